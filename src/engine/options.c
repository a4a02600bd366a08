/* SPDX-License-Identifier: BSD-2-Clause */
/* options.c - one handler per MPTCP option subtype, dispatched through a table.
 *
 * RFC 8684 §3.1-3.7. Internals: engine_int.h. */
#include <arpa/inet.h>

#include "engine_int.h"

/* An address in its usual text form (inet_ntop: "fd00:2::2"), as every
 * other output prints it. */
static void fmt_addr(char *buf, size_t n, uint8_t family, const uint8_t *a)
{
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)n))
		snprintf(buf, n, "?");
}

static void opt_capable(struct pctx *x, const struct mp_capable *m)
{
	struct mp_subflow *sf = x->sf;
	struct mp_conn *c = sf->conn;
	uint8_t fl = x->p->flags;
	int cd;

	if ((fl & MP_TH_SYN) && !(fl & MP_TH_ACK)) {
		if (!c)
			return;
		if (m->has_sender_key)
			eng_conn_set_key(x, c, 0, m->sender_key);
		eng_ev(x, MP_EV_MPC_SYN, MP_OK_UNKNOWN, "v%u flags 0x%02x", m->version,
		   m->flags);
		return;
	}
	if (fl & MP_TH_SYN) {
		if (!c || sf->kind != MP_SF_INITIAL)
			return;
		if (c->version != m->version && !c->key_known[1]) {
			/* the SYN/ACK's version is the one negotiated */
			c->version = m->version;
			if (c->key_known[0]) {
				uint64_t k = c->key[0];
				c->key_known[0] = false;
				c->token_known[0] = false;
				if (c->tok_hashed[0]) {
					HASH_DELETE(hh_tok0, x->e->tok_tab0, eng_conn_of(c));
					c->tok_hashed[0] = false;
				}
				eng_conn_set_key(x, c, 0, k);
			}
		}
		c->mpc_flags = m->flags;
		if (m->has_sender_key)
			eng_conn_set_key(x, c, 1, m->sender_key);
		eng_ev(x, MP_EV_MPC_SYNACK, MP_OK_UNKNOWN, "v%u flags 0x%02x",
		   m->version, m->flags);
		return;
	}
	/* third ACK (len 20) or v1 first data (22/24): both keys, sender first */
	if (!c && m->has_sender_key && m->has_receiver_key) {
		/* handshake not captured: the keys make the connection */
		c = eng_conn_new(x, m->version);
		if (!c)
			return;
		sf->kind = MP_SF_INITIAL;
		eng_sf_attach(x->e, sf, c, x->d == 0);
		eng_ev(x, MP_EV_SUBFLOW_ATTACHED, MP_OK_UNKNOWN,
		   "connection %u from MP_CAPABLE keys", c->id);
	}
	if (!c || c->partial)
		return;
	cd = conn_dir(sf, x->d);
	if (m->has_sender_key)
		eng_conn_set_key(x, c, cd, m->sender_key);
	if (m->has_receiver_key)
		eng_conn_set_key(x, c, 1 - cd, m->receiver_key);
	if (m->has_data_len) {
		eng_ev(x, MP_EV_MPC_DATA, MP_OK_UNKNOWN, "data_len %u", m->data_len);
		if (c->key_known[cd] && m->data_len)
			data_map(x, cd, c->idsn[cd] + 1, m->data_len, 1, false);
		map_note(sf, x->d, 1, m->data_len);
		x->has_dss_map = true;
	} else {
		eng_ev(x, MP_EV_MPC_ACK, MP_OK_UNKNOWN, NULL);
	}
}

static void opt_join(struct pctx *x, const struct mp_join *j, unsigned i)
{
	struct mp_engine *e = x->e;
	struct mp_subflow *sf = x->sf;
	struct mp_conn *c;
	int host, a, ok = MP_OK_UNKNOWN;

	switch (j->phase) {
	case MP_JOIN_SYN:
		if (x->d != 0)
			return;
		sf->token = j->token;
		sf->nonce[0] = j->nonce;
		sf->nonce_known[0] = true;
		sf->addr_id[0] = j->addr_id;
		sf->addr_id_known[0] = true;
		sf->backup = j->backup;
		if (!sf->conn) {
			c = eng_token_find(e, j->token, &host);
			if (c && !c->partial) {
				/* the token is the receiver's: host `host` */
				eng_sf_attach(e, sf, c, host == 1);
			} else {
				if (!c) {
					c = eng_conn_new(x, 0xff);
					if (!c)
						return;
					c->partial = true;
					e->n_partial++;
					eng_sf_attach(e, sf, c, true);
					eng_conn_set_token(x, c, 1, j->token);
				} else {
					eng_sf_attach(e, sf, c, host == 1);
				}
				sf->orphan = true;
				eng_ev(x, MP_EV_ORPHAN_JOIN, MP_OK_FALSE,
				   "token 0x%08x matches no known connection",
				   j->token);
			}
		}
		eng_ev(x, MP_EV_JOIN_SYN, MP_OK_UNKNOWN,
		   "token 0x%08x addr_id %u%s", j->token, j->addr_id,
		   j->backup ? " backup" : "");
		return;
	case MP_JOIN_SYNACK:
		if (x->d != 1)
			return;
		sf->nonce[1] = j->nonce;
		sf->nonce_known[1] = true;
		sf->addr_id[1] = j->addr_id;
		sf->addr_id_known[1] = true;
		if (j->backup)
			sf->backup = true;
		c = sf->conn;
		if (c && !c->partial && c->key_known[0] && c->key_known[1] &&
		    sf->nonce_known[0]) {
			a = sf->src_is_client ? 0 : 1;
			ok = mp_join_synack_hmac_ok(c->version, c->key[a],
						    c->key[1 - a], sf->nonce[0],
						    sf->nonce[1], j->hmac)
				     ? MP_OK_TRUE : MP_OK_FALSE;
		}
		sf->hmac_synack = (int8_t)ok;
		x->ann->hmac_ok[i] = (int8_t)ok;
		eng_ev(x, MP_EV_JOIN_SYNACK, ok, "addr_id %u%s", j->addr_id,
		   j->backup ? " backup" : "");
		if (ok == MP_OK_FALSE)
			eng_ev(x, MP_EV_HMAC_FAILURE, MP_OK_FALSE,
			   "mp_join synack truncated hmac");
		return;
	case MP_JOIN_ACK:
	default:
		if (x->d != 0)
			return;
		c = sf->conn;
		if (c && !c->partial && c->key_known[0] && c->key_known[1] &&
		    sf->nonce_known[0] && sf->nonce_known[1]) {
			a = sf->src_is_client ? 0 : 1;
			ok = mp_join_ack_hmac_ok(c->version, c->key[a],
						 c->key[1 - a], sf->nonce[0],
						 sf->nonce[1], j->hmac)
				     ? MP_OK_TRUE : MP_OK_FALSE;
		}
		sf->hmac_ack = (int8_t)ok;
		x->ann->hmac_ok[i] = (int8_t)ok;
		eng_ev(x, MP_EV_JOIN_ACK, ok, NULL);
		if (ok == MP_OK_FALSE)
			eng_ev(x, MP_EV_HMAC_FAILURE, MP_OK_FALSE, "mp_join ack hmac");
		return;
	}
}

void eng_opt_dss(struct pctx *x, const struct mp_dss *d)
{
	struct mp_subflow *sf = x->sf;
	struct mp_conn *c;

	if (!sf->conn) {
		eng_try_attach(x, d);
		if (!sf->conn && (d->flags & DSS_M) && (d->flags & DSS_m) && d->dll)
			eng_partial_seed(x);
	}
	c = sf->conn;
	if (!c) {
		/* loose: keep subflow-local marks, relative to the first value */
		if ((d->flags & DSS_M) && d->dll) {
			const struct mp_seqmark *m = &sf->dsn[x->d];
			uint64_t v = (d->flags & DSS_m) ? d->dsn
				     : m->valid ? mp_seq_expand32(m->val, (uint32_t)d->dsn)
						: (uint32_t)d->dsn;
			mark_adv(&sf->dsn[x->d], v + d->dll, x);
			x->has_dss_map = true;
		}
		if (d->flags & DSS_A) {
			const struct mp_seqmark *m = &sf->dack[x->d];
			uint64_t v = (d->flags & DSS_a) ? d->data_ack
				     : m->valid ? mp_seq_expand32(m->val, (uint32_t)d->data_ack)
						: (uint32_t)d->data_ack;
			mark_adv(&sf->dack[x->d], v, x);
		}
		if (d->flags & DSS_M)
			x->has_dss_map = true;
		return;
	}
	dss_conn(x, c, d);
}

static void opt_add_addr(struct pctx *x, const struct mp_add_addr *aa,
			 unsigned i)
{
	struct mp_conn *c = x->sf->conn;
	struct mp_addr_ent *ent = NULL;
	char abuf[64];
	int host, ok = MP_OK_UNKNOWN;
	uint8_t side = MP_HMAC_NO_MATCH;
	size_t alen = aa->ipver == 6 ? 16 : 4;

	fmt_addr(abuf, sizeof abuf, aa->ipver, aa->addr);
	if (!c) {
		eng_ev(x, aa->echo ? MP_EV_ADD_ADDR_ECHO : MP_EV_ADD_ADDR,
		   MP_OK_UNKNOWN, "id %u %s (no connection)", aa->addr_id, abuf);
		return;
	}
	host = conn_dir(x->sf, x->d);
	if (aa->echo) {
		for (unsigned k = 0; k < c->n_addrs; k++) {
			struct mp_addr_ent *a2 = &c->addrs[k];
			if (a2->host == 1 - host && a2->id == aa->addr_id &&
			    a2->family == aa->ipver &&
			    memcmp(a2->addr, aa->addr, alen) == 0) {
				a2->echoed = true;
				ent = a2;
			}
		}
		eng_ev(x, MP_EV_ADD_ADDR_ECHO, ent ? MP_OK_TRUE : MP_OK_FALSE,
		   "id %u %s%s", aa->addr_id, abuf,
		   ent ? "" : ": no matching announcement");
		return;
	}
	if (aa->has_hmac && c->key_known[0] && c->key_known[1]) {
		side = (uint8_t)mp_add_addr_hmac_check(
			c->key[host], c->key[1 - host], aa->addr_id, aa->addr,
			alen, aa->has_port ? aa->port : 0, aa->hmac);
		ok = side != MP_HMAC_NO_MATCH ? MP_OK_TRUE : MP_OK_FALSE;
	}
	x->ann->hmac_ok[i] = (int8_t)ok;
	x->ann->hmac_side[i] = side;
	for (unsigned k = 0; k < c->n_addrs; k++)
		if (c->addrs[k].host == host && c->addrs[k].id == aa->addr_id)
			ent = &c->addrs[k];
	if (!ent) {
		if (c->n_addrs < MP_CONN_ADDRS)
			ent = &c->addrs[c->n_addrs++];
		else
			c->addrs_dropped++;
	}
	if (ent) {
		bool same = ent->frame && ent->family == aa->ipver &&
			    memcmp(ent->addr, aa->addr, alen) == 0;
		if (!same) {
			memset(ent, 0, sizeof *ent);
			ent->frame = x->frame;
			ent->ts = x->ts;
		}
		ent->family = aa->ipver;
		ent->id = aa->addr_id;
		ent->host = (uint8_t)host;
		ent->has_port = aa->has_port;
		ent->port = aa->port;
		memcpy(ent->addr, aa->addr, alen);
		ent->removed = false;
		if (ok != MP_OK_UNKNOWN || ent->hmac_ok == 0) {
			ent->hmac_ok = (int8_t)ok;
			ent->hmac_side = side;
		}
	}
	if (aa->has_port) {
		size_t l = strlen(abuf);
		snprintf(abuf + l, sizeof abuf - l, " port %u", aa->port);
	}
	eng_ev(x, MP_EV_ADD_ADDR, ok, "id %u %s by %s%s%s", aa->addr_id, abuf,
	   host ? "server" : "client",
	   ok == MP_OK_TRUE ? ", hmac " : "",
	   ok == MP_OK_TRUE ? mp_hmac_side_name((enum mp_hmac_side)side) : "");
	if (ok == MP_OK_FALSE)
		eng_ev(x, MP_EV_HMAC_FAILURE, MP_OK_FALSE, "add_addr id %u %s",
		   aa->addr_id, abuf);
}

/* Address id of host `host` on subflow s, or -1 when unknown. */
static int sf_host_id(const struct mp_subflow *s, int host)
{
	int end = ((host == 0) == s->src_is_client) ? 0 : 1;

	if (s->kind == MP_SF_INITIAL)
		return 0; /* RFC 8684 §3.4.1: the initial subflow's addresses are id 0 */
	return s->addr_id_known[end] ? s->addr_id[end] : -1;
}

/* Appends ",N" to a detail list, within its buffer; when it no longer
 * fits, ",..." once (the structured signal carries every subflow). */
static void list_add(char *buf, size_t n, uint32_t v)
{
	size_t l = strlen(buf);

	if (l + 16 < n)
		snprintf(buf + l, n - l, "%s%u", l ? "," : "", v);
	else if (l + 5 <= n && (l < 3 || strcmp(buf + l - 3, "...")))
		snprintf(buf + l, n - l, ",...");
}

/* One explicit signal about subflow s, for the analysis stage. */
static void sf_signal(struct pctx *x, const struct mp_subflow *s,
		      uint8_t type, bool backup)
{
	struct mp_sf_signal sig;

	if (!x->e->cfg.on_signal || !s->conn)
		return;
	sig.ts_ns = x->ts;
	sig.frame = x->frame;
	sig.conn = s->conn->id;
	sig.subflow = s->id;
	sig.type = type;
	sig.backup = backup;
	sig.from_host = (uint8_t)conn_dir(x->sf, x->d);
	x->e->cfg.on_signal(x->e->cfg.user, &sig);
}

static void opt_remove_addr(struct pctx *x, const struct mp_remove_addr *r)
{
	struct mp_conn *c = x->sf->conn;
	char ids[40] = "", sfs[40] = "";
	int host;

	for (unsigned k = 0; k < r->n_ids; k++)
		list_add(ids, sizeof ids, r->ids[k]);
	if (!c) {
		eng_ev(x, MP_EV_REMOVE_ADDR, MP_OK_UNKNOWN, "ids %s (no connection)", ids);
		return;
	}
	host = conn_dir(x->sf, x->d);
	for (unsigned k = 0; k < r->n_ids; k++) {
		for (unsigned a = 0; a < c->n_addrs; a++)
			if (c->addrs[a].host == host && c->addrs[a].id == r->ids[k] &&
			    !c->addrs[a].removed) {
				c->addrs[a].removed = true;
				c->addrs[a].removed_ts = x->ts;
			}
		for (struct mp_subflow *s = c->sf_head; s; s = s->conn_next) {
			if (sf_host_id(s, host) == r->ids[k]) {
				s->removed = true;
				list_add(sfs, sizeof sfs, s->id);
				sf_signal(x, s, MP_EV_REMOVE_ADDR, false);
			}
		}
	}
	eng_ev(x, MP_EV_REMOVE_ADDR, sfs[0] ? MP_OK_TRUE : MP_OK_FALSE,
	   "ids %s by %s: subflows %s", ids, host ? "server" : "client",
	   sfs[0] ? sfs : "none");
}

static void opt_prio(struct pctx *x, const struct mp_prio *pr)
{
	struct mp_conn *c = x->sf->conn;
	char sfs[64] = "";
	int host;

	if (!pr->has_addr_id || !c) {
		/* RFC 8684 §3.3.8: applies to the subflow it is sent on */
		x->sf->backup = pr->backup;
		list_add(sfs, sizeof sfs, x->sf->id);
		sf_signal(x, x->sf, MP_EV_MP_PRIO, pr->backup);
	} else {
		host = conn_dir(x->sf, x->d);
		for (struct mp_subflow *s = c->sf_head; s; s = s->conn_next) {
			if (sf_host_id(s, host) == pr->addr_id) {
				s->backup = pr->backup;
				list_add(sfs, sizeof sfs, s->id);
				sf_signal(x, s, MP_EV_MP_PRIO, pr->backup);
			}
		}
	}
	eng_ev(x, MP_EV_MP_PRIO, sfs[0] ? MP_OK_TRUE : MP_OK_FALSE,
	   "%s subflows %s", pr->backup ? "backup" : "regular",
	   sfs[0] ? sfs : "none");
}

static void opt_fastclose(struct pctx *x, const struct mp_fastclose *f)
{
	struct mp_conn *c = x->sf->conn;
	int ok = MP_OK_UNKNOWN, rcv;

	if (c) {
		rcv = 1 - conn_dir(x->sf, x->d);
		if (c->key_known[rcv])
			ok = c->key[rcv] == f->receiver_key ? MP_OK_TRUE : MP_OK_FALSE;
	}
	eng_ev(x, MP_EV_MP_FASTCLOSE, ok, "receiver key 0x%016llx",
	   (unsigned long long)f->receiver_key);
	if (c) {
		c->close_reason = MP_CLOSE_FASTCLOSE;
		eng_conn_close(x, c, MP_CLOSE_FASTCLOSE);
	}
}

/* RFC 8684 §3.7: with other subflows open, MP_FAIL resets only this one
 * (with MP_TCPRST); the connection falls back only when it has no other. */
static void opt_fail(struct pctx *x, const struct mp_fail *f)
{
	struct mp_subflow *sf = x->sf;
	struct mp_conn *c = sf->conn;
	unsigned others = 0;

	if (c)
		for (const struct mp_subflow *s = c->sf_head; s; s = s->conn_next)
			others += s != sf && s->state != MP_SFS_CLOSED;
	eng_ev(x, MP_EV_MP_FAIL, MP_OK_UNKNOWN, "dsn %llu%s", (unsigned long long)f->dsn,
	   !c ? "" : others ? ", other subflows open: this subflow fails"
			    : ", single subflow: connection falls back");
	if (!c)
		return;
	if (others) {
		if (sf->fallback == MP_FB_NONE) {
			sf->fallback = MP_FB_MP_FAIL;
			sf->fallback_frame = x->frame;
			sf->fallback_ts = x->ts;
			sf->fallback_side = MP_FB_SIDE_BOTH;
		}
	} else {
		eng_set_fallback(x, MP_FB_MP_FAIL);
	}
}

void eng_opt_malformed(struct pctx *x, const struct mp_opt *o)
{
	if (x->sf) {
		x->sf->malformed++;
		if (x->sf->malformed > MALFORMED_FIRST && x->sf->malformed % 1000)
			return;
	}
	{
		/* STYLE R7: code, claimed and captured lengths, offset, raw bytes */
		char raw[2 * 16 + 1];
		unsigned n = o->raw ? (o->caplen < 16 ? o->caplen : 16) : 0;
		for (unsigned i = 0; i < n; i++)
			snprintf(raw + 2 * i, 3, "%02x", o->raw[i]);
		raw[2 * n] = '\0';
		eng_ev(x, MP_EV_MALFORMED, MP_OK_FALSE, "%s len %u caplen %u off %u%s%s",
		   mp_err_name((enum mp_err)o->err), o->len, o->caplen, o->off,
		   n ? " raw 0x" : "", raw);
	}
}

/* One handler per option subtype (STYLE R8): each takes the option, well
 * formed, and its index in the packet (for the per-option annotations). */
typedef void opt_handler(struct pctx *x, const struct mp_opt *o, unsigned i);

static void h_capable(struct pctx *x, const struct mp_opt *o, unsigned i)
{
	(void)i;
	opt_capable(x, &o->u.capable);
}

static void h_join(struct pctx *x, const struct mp_opt *o, unsigned i)
{
	opt_join(x, &o->u.join, i);
}

static void h_dss(struct pctx *x, const struct mp_opt *o, unsigned i)
{
	(void)i;
	eng_opt_dss(x, &o->u.dss);
}

static void h_add_addr(struct pctx *x, const struct mp_opt *o, unsigned i)
{
	opt_add_addr(x, &o->u.add_addr, i);
}

static void h_remove_addr(struct pctx *x, const struct mp_opt *o, unsigned i)
{
	(void)i;
	opt_remove_addr(x, &o->u.remove_addr);
}

static void h_prio(struct pctx *x, const struct mp_opt *o, unsigned i)
{
	(void)i;
	opt_prio(x, &o->u.prio);
}

static void h_fail(struct pctx *x, const struct mp_opt *o, unsigned i)
{
	(void)i;
	opt_fail(x, &o->u.fail);
}

static void h_fastclose(struct pctx *x, const struct mp_opt *o, unsigned i)
{
	(void)i;
	opt_fastclose(x, &o->u.fastclose);
}

/* MP_TCPRST (RFC 8684 §3.6): the reason goes with the RST's ending. */
static void h_tcprst(struct pctx *x, const struct mp_opt *o, unsigned i)
{
	(void)i;
	x->has_tcprst = true;
	x->tcprst_reason = o->u.tcprst.reason;
	eng_ev(x, MP_EV_MP_TCPRST, MP_OK_UNKNOWN, "reason %u %s%s",
	       o->u.tcprst.reason, mp_tcprst_reason_name(o->u.tcprst.reason),
	       (o->u.tcprst.flags & TCPRST_T) ? " transient" : "");
}

/* The subtype is 4 bits: 16 slots, NULL for subtypes without a handler
 * (the dissector already reported unknown ones). */
static opt_handler *const handlers[16] = {
	[MPTCP_SUB_CAPABLE] = h_capable,
	[MPTCP_SUB_JOIN] = h_join,
	[MPTCP_SUB_DSS] = h_dss,
	[MPTCP_SUB_ADD_ADDR] = h_add_addr,
	[MPTCP_SUB_REMOVE_ADDR] = h_remove_addr,
	[MPTCP_SUB_PRIO] = h_prio,
	[MPTCP_SUB_FAIL] = h_fail,
	[MPTCP_SUB_FASTCLOSE] = h_fastclose,
	[MPTCP_SUB_TCPRST] = h_tcprst,
};

/* Every MPTCP option of the packet, in wire order: malformed ones become
 * events (STYLE R7), the others go to their subtype's handler. Out of line:
 * the typical packet (one DSS option) takes mp_engine_packet's fast path. */
__attribute__((noinline))
void eng_options(struct pctx *x)
{
	const struct mp_opts *opts = &x->p->opts;

	for (unsigned i = 0; i < opts->n; i++) {
		const struct mp_opt *o = &opts->v[i];
		opt_handler *h;

		if (o->err != MP_E_NONE) {
			eng_opt_malformed(x, o);
			continue;
		}
		h = handlers[o->subtype & 0x0f];
		if (h)
			h(x, o, i);
	}
}
