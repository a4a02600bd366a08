/* SPDX-License-Identifier: BSD-2-Clause */
/* rows.c - rows of what the engine finalizes: control events, connections, subflows, announced addresses, MPTCP options (RFC 8684 §3; docs/sqlite.md). */
#include "store_int.h"

/* ---- events ------------------------------------------------------- */

static struct cinfo *cinfo_get(struct mp_store *st, uint32_t id, bool create)
{
	struct cinfo *ci = NULL;

	HASH_FIND(hh, st->cinfo, &id, sizeof id, ci);
	if (ci || !create)
		return ci;
	ci = calloc(1, sizeof *ci);
	if (!ci)
		return NULL;
	ci->id = id;
	ci->near = NEAR_UNKNOWN;
	HASH_ADD(hh, st->cinfo, id, sizeof ci->id, ci);
	if (!st->cinfo) {
		free(ci);
		return NULL;
	}
	return ci;
}

/* The capture point is near the host that answers at once: on the client
 * side SYN → SYN/ACK takes a round trip and SYN/ACK → ACK almost nothing. */
static void handshake_time(struct mp_store *st, const struct mp_event *ev,
			   unsigned step)
{
	struct cinfo *ci = cinfo_get(st, ev->conn, true);

	if (!ci || ci->ts[step])
		return;
	ci->ts[step] = ev->ts_ns ? ev->ts_ns : 1;
	if (ci->ts[0] && ci->ts[1] && ci->ts[2] && ci->ts[1] >= ci->ts[0] &&
	    ci->ts[2] >= ci->ts[1]) {
		uint64_t there = ci->ts[1] - ci->ts[0], back = ci->ts[2] - ci->ts[1];
		/* only a clear difference counts (sub-ms lab RTTs are noisy) */
		ci->near = there >= 2 * back ? NEAR_CLIENT
			 : back >= 2 * there ? NEAR_SERVER : NEAR_UNKNOWN;
	}
}

/* The MP_CAPABLE handshake's timing, for connections.vantage. */
static void handshake_step(struct mp_store *st, const struct mp_event *ev)
{
	switch (ev->type) {
	case MP_EV_MPC_SYN:
		handshake_time(st, ev, 0);
		break;
	case MP_EV_MPC_SYNACK:
		handshake_time(st, ev, 1);
		break;
	case MP_EV_MPC_ACK:
		handshake_time(st, ev, 2);
		break;
	default:
		break;
	}
}

void mp_store_on_event(void *user, const struct mp_event *ev)
{
	struct mp_store *st = user;

	if (!st || st->failed)
		return;
	if (ev->conn && ev->conn != st->last_conn_stub) {
		put_i64(st, 1, store_conn_id(st, ev->conn));
		put_i64(st, 2, st->capture_id);
		put_i64(st, 3, ev->conn);
		put_ts(st, 4, ev->ts_ns);
		store_run(st, S_CONN_STUB, "inserting a connection");
		st->last_conn_stub = ev->conn;
	}
	if (ev->subflow && ev->subflow != st->last_sf_stub) {
		put_i64(st, 1, store_sf_id(st, ev->subflow));
		put_conn(st, 2, ev->conn);
		put_i64(st, 3, st->capture_id);
		put_i64(st, 4, ev->subflow);
		store_run(st, S_SF_STUB, "inserting a subflow");
		st->last_sf_stub = ev->subflow;
	}
	put_i64(st, 1, st->capture_id);
	put_ts(st, 2, ev->ts_ns);
	put_i64(st, 3, (int64_t)ev->frame);
	put_conn(st, 4, ev->conn);
	put_sf(st, 5, ev->subflow);
	put_str(st, 6, mp_ev_name(ev->type));
	put_tri(st, 7, ev->ok);
	put_str(st, 8, ev->detail); /* lives until reset */
	if (store_run(st, S_EVENT, "inserting an event"))
		st->pending++;
	if (ev->conn)
		handshake_step(st, ev);
	if (st->pending >= st->cfg.batch_events)
		mp_store_commit(st);
}

/* ---- connections and subflows ------------------------------------- */

static void put_subflow(struct mp_store *st, const struct mp_subflow *sf)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], tok[24];
	bool initial = sf->kind == MP_SF_INITIAL;

	addr_str(src, sizeof src, sf->family, sf->src);
	addr_str(dst, sizeof dst, sf->family, sf->dst);
	put_i64(st, 1, store_sf_id(st, sf->id));
	put_conn(st, 2, sf->conn ? sf->conn->id : 0);
	put_i64(st, 3, st->capture_id);
	put_i64(st, 4, sf->id);
	put_str(st, 5, mp_sf_kind_name(sf->kind));
	put_text(st, 6, src);
	put_i64(st, 7, sf->sport);
	put_text(st, 8, dst);
	put_i64(st, 9, sf->dport);
	put_i64(st, 10, initial);
	put_i64(st, 11, sf->backup);
	for (int k = 0; k < 2; k++) {
		if (sf->addr_id_known[k])
			put_i64(st, 12 + k, sf->addr_id[k]);
		else if (initial) /* RFC 8684 §3.4.1: address id 0 */
			put_i64(st, 12 + k, 0);
		else
			put_null(st, 12 + k);
	}
	if (sf->kind == MP_SF_JOIN)
		put_text(st, 14, hex_u64(tok, sizeof tok, sf->token, 8));
	else
		put_null(st, 14);
	put_ts(st, 15, sf->syn_ts);
	put_ts(st, 16, sf->established_ts);
	put_ts(st, 17, sf->closed_ts);
	put_text(st, 18, mp_close_reason_name(sf->close_reason));
	if (sf->close_reason == MP_CLOSE_TCPRST)
		put_i64(st, 19, sf->tcprst_reason);
	else
		put_null(st, 19);
	put_str(st, 20, mp_sf_state_name(sf->state));
	put_text(st, 21, mp_fallback_name(sf->fallback));
	put_tri(st, 22, mp_subflow_hmac_ok(sf));
	put_i64(st, 23, sf->orphan);
	put_i64(st, 24, (int64_t)sf->bytes[0]);
	put_i64(st, 25, (int64_t)sf->bytes[1]);
	put_i64(st, 26, (int64_t)sf->pkts[0]);
	put_i64(st, 27, (int64_t)sf->pkts[1]);
	put_i64(st, 28, (int64_t)sf->retrans_bytes[0]);
	put_i64(st, 29, (int64_t)sf->retrans_bytes[1]);
	put_i64(st, 30, (int64_t)sf->reinj_bytes[0]);
	put_i64(st, 31, (int64_t)sf->reinj_bytes[1]);
	/* the packet that proves a fallback, and who fell back */
	put_opt_i64(st, 32, sf->fallback && sf->fallback_frame, (int64_t)sf->fallback_frame);
	put_text(st, 33, sf->fallback ? mp_fallback_side_name(sf->fallback_side) : NULL);
	if (store_run(st, S_SF, "inserting a subflow"))
		st->pending++;
}

static void put_address(struct mp_store *st, const struct mp_conn *c,
			const struct mp_addr_ent *a)
{
	char addr[INET6_ADDRSTRLEN];

	addr_str(addr, sizeof addr, a->family, a->addr);
	put_conn(st, 1, c->id);
	put_i64(st, 2, a->id);
	put_text(st, 3, addr);
	if (a->has_port)
		put_i64(st, 4, a->port);
	else
		put_null(st, 4);
	put_str(st, 5, a->host ? "server" : "client");
	put_i64(st, 6, (int64_t)a->frame);
	put_ts(st, 7, a->removed ? a->removed_ts : 0);
	put_i64(st, 8, a->echoed);
	put_tri(st, 9, a->hmac_ok);
	if (a->hmac_ok == MP_OK_TRUE)
		put_str(st, 10, mp_hmac_side_name((enum mp_hmac_side)a->hmac_side));
	else
		put_null(st, 10);
	put_ts(st, 11, a->ts);
	if (store_run(st, S_ADDR, "inserting an address"))
		st->pending++;
}

/* Data-level bytes of direction d: highest DSN end - IDSN - 1, without the
 * DATA_FIN's sequence number. -1 when unknown. */
static int64_t data_bytes(const struct mp_conn *c, int d)
{
	uint64_t n;

	if (!c->dir[d].dsn.valid || !c->key_known[d])
		return -1;
	n = c->dir[d].dsn.val - c->idsn[d] - 1u - (c->dir[d].data_fin ? 1u : 0u);
	return (int64_t)n < 0 ? -1 : (int64_t)n;
}

void mp_store_on_conn(void *user, const struct mp_conn *c)
{
	struct mp_store *st = user;
	char ca[INET6_ADDRSTRLEN], sa[INET6_ADDRSTRLEN], k[2][24], t[2][16];
	struct cinfo *ci;
	uint8_t near = NEAR_UNKNOWN;

	if (!st)
		return;
	ci = cinfo_get(st, c->id, false);
	if (ci) {
		near = ci->near;
		HASH_DELETE(hh, st->cinfo, ci);
		free(ci);
	}
	if (st->failed)
		return;
	addr_str(ca, sizeof ca, c->family, c->addr[0]);
	addr_str(sa, sizeof sa, c->family, c->addr[1]);
	put_i64(st, 1, store_conn_id(st, c->id));
	put_i64(st, 2, st->capture_id);
	put_i64(st, 3, c->id);
	if (c->version != 0xff)
		put_i64(st, 4, c->version);
	else
		put_null(st, 4);
	put_text(st, 5, c->family ? ca : NULL);
	put_i64(st, 6, c->port[0]);
	put_text(st, 7, c->family ? sa : NULL);
	put_i64(st, 8, c->port[1]);
	for (int h = 0; h < 2; h++) {
		put_text(st, 9 + h, c->key_known[h] ? hex_u64(k[h], sizeof k[h], c->key[h], 16) : NULL);
		put_text(st, 11 + h, c->token_known[h] ? hex_u64(t[h], sizeof t[h], c->token[h], 8) : NULL);
	}
	put_ts(st, 13, c->first_ts);
	put_ts(st, 14, c->last_ts);
	put_ts(st, 15, c->closed_ts);
	put_text(st, 16, mp_close_reason_name(c->close_reason));
	put_text(st, 17, mp_fallback_name(c->fallback));
	put_text(st, 18, c->app_proto);
	put_i64(st, 19, c->partial);
	put_i64(st, 20, (int)c->n_sf);
	put_str(st, 21, near == NEAR_CLIENT ? "client"
		: near == NEAR_SERVER ? "server" : "unknown");
	for (int d = 0; d < 2; d++) {
		int64_t n = data_bytes(c, d);
		if (n >= 0)
			put_i64(st, 22 + d, n);
		else
			put_null(st, 22 + d);
	}
	put_i64(st, 24, (int64_t)c->reinj_frames);
	put_i64(st, 25, (int64_t)c->reinj_bytes);
	/* the packet that proves a fallback, and who fell back */
	put_opt_i64(st, 26, c->fallback && c->fallback_frame, (int64_t)c->fallback_frame);
	put_text(st, 27, c->fallback ? mp_fallback_side_name(c->fallback_side) : NULL);
	if (store_run(st, S_CONN, "inserting a connection"))
		st->pending++;
	for (const struct mp_subflow *sf = c->sf_head; sf; sf = sf->conn_next)
		put_subflow(st, sf);
	for (unsigned i = 0; i < c->n_addrs; i++)
		put_address(st, c, &c->addrs[i]);
	if (st->last_conn_stub == c->id)
		st->last_conn_stub = 0;
}

void mp_store_on_subflow(void *user, const struct mp_subflow *sf)
{
	struct mp_store *st = user;

	if (st && !st->failed)
		put_subflow(st, sf);
}

/* ---- packets -------------------------------------------------------- */

static void put_options(struct mp_store *st, uint64_t frame, uint64_t ts_ns,
			const struct mp_pkt *p, const struct mp_pkt_ann *ann)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

	addr_str(src, sizeof src, p->family, p->src);
	addr_str(dst, sizeof dst, p->family, p->dst);
	for (unsigned i = 0; i < p->opts.n; i++) {
		const struct mp_opt *o = &p->opts.v[i];
		const struct mp_dss *d = &o->u.dss;
		bool dss = o->err == MP_E_NONE && o->subtype == MPTCP_SUB_DSS;

		put_i64(st, 1, st->capture_id);
		put_i64(st, 2, (int64_t)frame);
		put_ts(st, 3, ts_ns);
		put_conn(st, 4, ann ? ann->conn : 0);
		put_sf(st, 5, ann ? ann->subflow : 0);
		put_text(st, 6, src);
		put_i64(st, 7, p->sport);
		put_text(st, 8, dst);
		put_i64(st, 9, p->dport);
		put_i64(st, 10, p->flags);
		put_str(st, 11, mp_subtype_name(o->subtype));
		put_i64(st, 12, o->len);
		put_text(st, 13, o->err != MP_E_NONE ? mp_err_name((enum mp_err)o->err) : NULL);
		if (dss && (d->flags & DSS_A))
			put_i64(st, 14, (int64_t)d->data_ack);
		else
			put_null(st, 14);
		if (dss && (d->flags & DSS_M)) {
			put_i64(st, 15, (int64_t)d->dsn);
			put_i64(st, 16, d->ssn);
			put_i64(st, 17, d->dll);
		} else {
			put_null(st, 15);
			put_null(st, 16);
			put_null(st, 17);
		}
		if (dss)
			put_i64(st, 18, (d->flags & DSS_F) != 0);
		else
			put_null(st, 18);
		put_opt_i64(st, 19, dss && (d->flags & DSS_A) && ann && ann->has_dack,
			     ann ? (int64_t)ann->dack : 0);
		put_opt_i64(st, 20, dss && (d->flags & DSS_M) && ann && ann->has_dsn64,
			     ann ? (int64_t)ann->map_dsn : 0);
		put_text(st, 21, dss && ann && ann->resend ? mp_resend_name(ann->resend) : NULL);
		put_opt_i64(st, 22, dss && ann && ann->has_map, ann ? (int64_t)ann->seg_dsn : 0);
		put_opt_i64(st, 23, dss && ann && ann->has_map, ann ? (int64_t)ann->seg_dlen : 0);
		if (!store_run(st, S_OPTION, "inserting an option"))
			return;
		st->pending++;
	}
}

void mp_store_packet(struct mp_store *st, uint64_t frame, uint64_t ts_ns,
		     const struct mp_pkt *p, const struct mp_pkt_ann *ann)
{
	if (!st || st->failed)
		return;
	if (st->cfg.packets && p->opts.n)
		put_options(st, frame, ts_ns, p, ann);
	store_maybe_commit(st, ts_ns);
}
