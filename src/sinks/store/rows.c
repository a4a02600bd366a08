/* SPDX-License-Identifier: BSD-2-Clause */
/* rows.c - rows of what the engine finalizes: control events, connections, subflows, announced addresses, MPTCP options (RFC 8684 §3; docs/sqlite.md). */
#include "store_int.h"

/* The packet that proves a fallback and who fell back, on the row `id`
 * of connections (S_CONN_FB) or subflows (S_SF_FB) just written. */
void store_put_fallback_proof(struct mp_store *st, int which, int64_t id,
			       uint64_t frame, uint8_t side)
{
	sqlite3_stmt *s = st->s[which];

	sqlite3_bind_int64(s, 1, id);
	bind_opt_i64(s, 2, frame != 0, (int64_t)frame);
	bind_text(s, 3, mp_fallback_side_name(side));
	store_run(st, which, "writing a fallback's proof");
}


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
	sqlite3_stmt *s;

	if (!st || st->failed)
		return;
	if (ev->conn && ev->conn != st->last_conn_stub) {
		s = st->s[S_CONN_STUB];
		sqlite3_bind_int64(s, 1, st->conn_base + ev->conn);
		sqlite3_bind_int64(s, 2, st->capture_id);
		sqlite3_bind_int64(s, 3, ev->conn);
		bind_ts(s, 4, ev->ts_ns);
		store_run(st, S_CONN_STUB, "inserting a connection");
		st->last_conn_stub = ev->conn;
	}
	if (ev->subflow && ev->subflow != st->last_sf_stub) {
		s = st->s[S_SF_STUB];
		sqlite3_bind_int64(s, 1, st->sf_base + ev->subflow);
		bind_id(s, 2, st->conn_base, ev->conn);
		sqlite3_bind_int64(s, 3, st->capture_id);
		sqlite3_bind_int64(s, 4, ev->subflow);
		store_run(st, S_SF_STUB, "inserting a subflow");
		st->last_sf_stub = ev->subflow;
	}
	s = st->s[S_EVENT];
	sqlite3_bind_int64(s, 1, st->capture_id);
	bind_ts(s, 2, ev->ts_ns);
	sqlite3_bind_int64(s, 3, (int64_t)ev->frame);
	bind_id(s, 4, st->conn_base, ev->conn);
	bind_id(s, 5, st->sf_base, ev->subflow);
	sqlite3_bind_text(s, 6, mp_ev_name(ev->type), -1, SQLITE_STATIC);
	bind_tri(s, 7, ev->ok);
	sqlite3_bind_text(s, 8, ev->detail, -1, SQLITE_STATIC); /* lives until reset */
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
	sqlite3_stmt *s = st->s[S_SF];
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], tok[24];
	bool initial = sf->kind == MP_SF_INITIAL;

	addr_str(src, sizeof src, sf->family, sf->src);
	addr_str(dst, sizeof dst, sf->family, sf->dst);
	sqlite3_bind_int64(s, 1, st->sf_base + sf->id);
	bind_id(s, 2, st->conn_base, sf->conn ? sf->conn->id : 0);
	sqlite3_bind_int64(s, 3, st->capture_id);
	sqlite3_bind_int64(s, 4, sf->id);
	sqlite3_bind_text(s, 5, mp_sf_kind_name(sf->kind), -1, SQLITE_STATIC);
	bind_text(s, 6, src);
	sqlite3_bind_int(s, 7, sf->sport);
	bind_text(s, 8, dst);
	sqlite3_bind_int(s, 9, sf->dport);
	sqlite3_bind_int(s, 10, initial);
	sqlite3_bind_int(s, 11, sf->backup);
	for (int k = 0; k < 2; k++) {
		if (sf->addr_id_known[k])
			sqlite3_bind_int(s, 12 + k, sf->addr_id[k]);
		else if (initial) /* RFC 8684 §3.4.1: address id 0 */
			sqlite3_bind_int(s, 12 + k, 0);
		else
			sqlite3_bind_null(s, 12 + k);
	}
	if (sf->kind == MP_SF_JOIN)
		bind_text(s, 14, hex_u64(tok, sizeof tok, sf->token, 8));
	else
		sqlite3_bind_null(s, 14);
	bind_ts(s, 15, sf->syn_ts);
	bind_ts(s, 16, sf->established_ts);
	bind_ts(s, 17, sf->closed_ts);
	bind_text(s, 18, mp_close_reason_name(sf->close_reason));
	if (sf->close_reason == MP_CLOSE_TCPRST)
		sqlite3_bind_int(s, 19, sf->tcprst_reason);
	else
		sqlite3_bind_null(s, 19);
	sqlite3_bind_text(s, 20, mp_sf_state_name(sf->state), -1, SQLITE_STATIC);
	bind_text(s, 21, mp_fallback_name(sf->fallback));
	bind_tri(s, 22, mp_subflow_hmac_ok(sf));
	sqlite3_bind_int(s, 23, sf->orphan);
	sqlite3_bind_int64(s, 24, (int64_t)sf->bytes[0]);
	sqlite3_bind_int64(s, 25, (int64_t)sf->bytes[1]);
	sqlite3_bind_int64(s, 26, (int64_t)sf->pkts[0]);
	sqlite3_bind_int64(s, 27, (int64_t)sf->pkts[1]);
	sqlite3_bind_int64(s, 28, (int64_t)sf->retrans_bytes[0]);
	sqlite3_bind_int64(s, 29, (int64_t)sf->retrans_bytes[1]);
	sqlite3_bind_int64(s, 30, (int64_t)sf->reinj_bytes[0]);
	sqlite3_bind_int64(s, 31, (int64_t)sf->reinj_bytes[1]);
	if (store_run(st, S_SF, "inserting a subflow"))
		st->pending++;
	if (sf->fallback)
		store_put_fallback_proof(st, S_SF_FB, st->sf_base + sf->id,
				   sf->fallback_frame, sf->fallback_side);
}

static void put_address(struct mp_store *st, const struct mp_conn *c,
			const struct mp_addr_ent *a)
{
	sqlite3_stmt *s = st->s[S_ADDR];
	char addr[INET6_ADDRSTRLEN];

	addr_str(addr, sizeof addr, a->family, a->addr);
	bind_id(s, 1, st->conn_base, c->id);
	sqlite3_bind_int(s, 2, a->id);
	bind_text(s, 3, addr);
	if (a->has_port)
		sqlite3_bind_int(s, 4, a->port);
	else
		sqlite3_bind_null(s, 4);
	sqlite3_bind_text(s, 5, a->host ? "server" : "client", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, (int64_t)a->frame);
	bind_ts(s, 7, a->removed ? a->removed_ts : 0);
	sqlite3_bind_int(s, 8, a->echoed);
	bind_tri(s, 9, a->hmac_ok);
	if (a->hmac_ok == MP_OK_TRUE)
		sqlite3_bind_text(s, 10, mp_hmac_side_name((enum mp_hmac_side)a->hmac_side),
				  -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 10);
	bind_ts(s, 11, a->ts);
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
	sqlite3_stmt *s;
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
	s = st->s[S_CONN];
	addr_str(ca, sizeof ca, c->family, c->addr[0]);
	addr_str(sa, sizeof sa, c->family, c->addr[1]);
	sqlite3_bind_int64(s, 1, st->conn_base + c->id);
	sqlite3_bind_int64(s, 2, st->capture_id);
	sqlite3_bind_int64(s, 3, c->id);
	if (c->version != 0xff)
		sqlite3_bind_int(s, 4, c->version);
	else
		sqlite3_bind_null(s, 4);
	bind_text(s, 5, c->family ? ca : NULL);
	sqlite3_bind_int(s, 6, c->port[0]);
	bind_text(s, 7, c->family ? sa : NULL);
	sqlite3_bind_int(s, 8, c->port[1]);
	for (int h = 0; h < 2; h++) {
		bind_text(s, 9 + h, c->key_known[h] ? hex_u64(k[h], sizeof k[h], c->key[h], 16) : NULL);
		bind_text(s, 11 + h, c->token_known[h] ? hex_u64(t[h], sizeof t[h], c->token[h], 8) : NULL);
	}
	bind_ts(s, 13, c->first_ts);
	bind_ts(s, 14, c->last_ts);
	bind_ts(s, 15, c->closed_ts);
	bind_text(s, 16, mp_close_reason_name(c->close_reason));
	bind_text(s, 17, mp_fallback_name(c->fallback));
	bind_text(s, 18, c->app_proto);
	sqlite3_bind_int(s, 19, c->partial);
	sqlite3_bind_int(s, 20, (int)c->n_sf);
	sqlite3_bind_text(s, 21, near == NEAR_CLIENT ? "client"
			  : near == NEAR_SERVER ? "server" : "unknown", -1,
			  SQLITE_STATIC);
	for (int d = 0; d < 2; d++) {
		int64_t n = data_bytes(c, d);
		if (n >= 0)
			sqlite3_bind_int64(s, 22 + d, n);
		else
			sqlite3_bind_null(s, 22 + d);
	}
	sqlite3_bind_int64(s, 24, (int64_t)c->reinj_frames);
	sqlite3_bind_int64(s, 25, (int64_t)c->reinj_bytes);
	if (store_run(st, S_CONN, "inserting a connection"))
		st->pending++;
	if (c->fallback)
		store_put_fallback_proof(st, S_CONN_FB, st->conn_base + c->id,
				   c->fallback_frame, c->fallback_side);
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
	sqlite3_stmt *s = st->s[S_OPTION];
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

	addr_str(src, sizeof src, p->family, p->src);
	addr_str(dst, sizeof dst, p->family, p->dst);
	for (unsigned i = 0; i < p->opts.n; i++) {
		const struct mp_opt *o = &p->opts.v[i];
		const struct mp_dss *d = &o->u.dss;
		bool dss = o->err == MP_E_NONE && o->subtype == MPTCP_SUB_DSS;

		sqlite3_bind_int64(s, 1, st->capture_id);
		sqlite3_bind_int64(s, 2, (int64_t)frame);
		bind_ts(s, 3, ts_ns);
		bind_id(s, 4, st->conn_base, ann ? ann->conn : 0);
		bind_id(s, 5, st->sf_base, ann ? ann->subflow : 0);
		bind_text(s, 6, src);
		sqlite3_bind_int(s, 7, p->sport);
		bind_text(s, 8, dst);
		sqlite3_bind_int(s, 9, p->dport);
		sqlite3_bind_int(s, 10, p->flags);
		sqlite3_bind_text(s, 11, mp_subtype_name(o->subtype), -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 12, o->len);
		bind_text(s, 13, o->err != MP_E_NONE ? mp_err_name((enum mp_err)o->err) : NULL);
		if (dss && (d->flags & DSS_A))
			sqlite3_bind_int64(s, 14, (int64_t)d->data_ack);
		else
			sqlite3_bind_null(s, 14);
		if (dss && (d->flags & DSS_M)) {
			sqlite3_bind_int64(s, 15, (int64_t)d->dsn);
			sqlite3_bind_int64(s, 16, d->ssn);
			sqlite3_bind_int(s, 17, d->dll);
		} else {
			sqlite3_bind_null(s, 15);
			sqlite3_bind_null(s, 16);
			sqlite3_bind_null(s, 17);
		}
		if (dss)
			sqlite3_bind_int(s, 18, (d->flags & DSS_F) != 0);
		else
			sqlite3_bind_null(s, 18);
		bind_opt_i64(s, 19, dss && (d->flags & DSS_A) && ann && ann->has_dack,
			     ann ? (int64_t)ann->dack : 0);
		bind_opt_i64(s, 20, dss && (d->flags & DSS_M) && ann && ann->has_dsn64,
			     ann ? (int64_t)ann->map_dsn : 0);
		bind_text(s, 21, dss && ann && ann->resend ? mp_resend_name(ann->resend) : NULL);
		bind_opt_i64(s, 22, dss && ann && ann->has_map, ann ? (int64_t)ann->seg_dsn : 0);
		bind_opt_i64(s, 23, dss && ann && ann->has_map, ann ? (int64_t)ann->seg_dlen : 0);
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
