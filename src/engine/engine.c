/* SPDX-License-Identifier: BSD-2-Clause */
/* engine.c - the engine's interface: creation, the per-packet entry point, expiry, lookups (flow.h).
 *
 * RFC 8684 §3. Internals: engine_int.h. */
#include "engine_int.h"

struct mp_engine *mp_engine_new(const struct mp_engine_cfg *cfg)
{
	struct mp_engine *e = calloc(1, sizeof *e);

	if (!e)
		return NULL;
	if (cfg)
		e->cfg = *cfg;
	if (!e->cfg.max_conns)
		e->cfg.max_conns = MP_DEFAULT_MAX_CONNS;
	if (!e->cfg.max_subflows)
		e->cfg.max_subflows = e->cfg.max_conns > UINT32_MAX / 2
					      ? UINT32_MAX : 2 * e->cfg.max_conns;
	if (!e->cfg.idle_ns)
		e->cfg.idle_ns = MP_DEFAULT_IDLE_NS;
	if (!eng_hash_seed) {
		uint64_t s = 0;
		if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s)
			s = (uint64_t)time(NULL) * UINT64_C(0x9e3779b97f4a7c15) ^
			    (uint64_t)(uintptr_t)e;
		eng_hash_seed = s | 1;
	}
	return e;
}

void mp_engine_free(struct mp_engine *e)
{
	if (!e)
		return;
	while (e->all_head)
		eng_conn_finalize(e, e->all_head, MP_CLOSE_NONE);
	/* loose subflows in id order: the list is LRU, so pick the lowest */
	while (e->loose_head) {
		struct mp_subflow *low = e->loose_head;
		for (struct mp_subflow *s = low->lru_next; s; s = s->lru_next)
			if (s->id < low->id)
				low = s;
		eng_sf_loose_finalize(e, low);
	}
	HASH_CLEAR(hh, e->sf_tab);
	mp_appid_free(e->appid);
	free(e);
}

__attribute__((noinline)) /* about once a second of capture time */
void mp_engine_expire(struct mp_engine *e, uint64_t now_ns)
{
	uint64_t idle = e->cfg.idle_ns;

	e->last_expire_ns = now_ns;
	if (idle == UINT64_MAX)
		return;
	while (e->lru_head && now_ns > e->lru_head->last_ts &&
	       now_ns - e->lru_head->last_ts > idle) {
		struct mp_conn *c = e->lru_head;
		e->st.expired++;
		eng_ev_raw(e, 0, now_ns, c->id, 0, MP_EV_CONN_EXPIRED,
		       "idle for %llu s", (unsigned long long)((now_ns - c->last_ts) / 1000000000u));
		eng_conn_finalize(e, c, MP_CLOSE_IDLE);
	}
	while (e->loose_head && now_ns > e->loose_head->last_ts &&
	       now_ns - e->loose_head->last_ts > idle)
		eng_sf_loose_finalize(e, e->loose_head);
	/* Closed connections (every subflow closed, or fast-closed) are
	 * finalized once quiet for MP_CLOSED_GRACE_NS, like TCP's TIME_WAIT:
	 * late retransmissions still find them, and memory does not hold
	 * every finished connection for the whole idle time. */
	uint64_t grace = idle < MP_CLOSED_GRACE_NS ? idle : MP_CLOSED_GRACE_NS;
	for (struct mp_conn *c = e->lru_head, *next; c; c = next) {
		next = c->lru_next;
		if (now_ns <= c->last_ts || now_ns - c->last_ts <= grace)
			break; /* LRU order: the rest are more recent */
		if (c->closed)
			eng_conn_finalize(e, c, MP_CLOSE_NONE);
	}
}

const struct mp_engine_stats *mp_engine_stats(const struct mp_engine *e)
{
	return &e->st;
}

const struct mp_conn *mp_engine_conn_by_token(const struct mp_engine *e,
					      uint32_t token)
{
	int host;

	return eng_token_find(e, token, &host);
}

const struct mp_conn *mp_engine_conn_by_id(const struct mp_engine *e,
					   uint32_t id)
{
	for (const struct mp_conn *c = e->all_head; c; c = c->all_next)
		if (c->id == id)
			return c;
	return NULL;
}

const struct mp_subflow *mp_engine_subflow_by_id(const struct mp_engine *e,
						 uint32_t id)
{
	for (const struct mp_conn *c = e->all_head; c; c = c->all_next)
		for (const struct mp_subflow *s = c->sf_head; s; s = s->conn_next)
			if (s->id == id)
				return s;
	for (const struct mp_subflow *s = e->loose_head; s; s = s->lru_next)
		if (s->id == id)
			return s;
	return NULL;
}

/* The subflow cache's entry for `p` when it is p's subflow, NULL when not;
 * *d is then sf_dir(sf, p). */
static inline struct mp_subflow *sf_cached(const struct mp_engine *e,
					   const struct mp_pkt *p, int *d)
{
	struct mp_subflow *sf = e->sf_cache[port_slot(p->sport, p->dport)];

	if (sf && (*d = sf_match(sf, p)) < 0)
		sf = NULL;
	return sf;
}

/* A SYN `p` from the initiator of `sf` starts a new connection on its
 * 4-tuple: the subflow is closed, or the SYN has another ISN (a
 * retransmission keeps it, and may drop MP_CAPABLE: that SYN's fallback,
 * endings.c). With MPTCP options it starts a new subflow; a plain one is a
 * plain TCP connection, but only where the subflow's SYN was never
 * answered (a stray SYN inside a connection leaves it be). */
static bool tuple_reused(const struct mp_subflow *sf, const struct mp_pkt *p)
{
	bool new_isn = sf->syn_ts && p->seq != sf->isn[0];

	if (sf->state == MP_SFS_CLOSED)
		return true;
	if (eng_has_subtype(&p->opts, MPTCP_SUB_CAPABLE) ||
	    eng_has_subtype(&p->opts, MPTCP_SUB_JOIN))
		return new_isn;
	return new_isn && !sf->synack_seen;
}

/* Finds the subflow of `p`, creating one when the packet starts or shows
 * MPTCP. Sets x->sf and x->d; x->sf stays NULL for untracked packets. */
__attribute__((noinline))
static bool sf_lookup(struct pctx *x, bool *created)
{
	struct mp_engine *e = x->e;
	const struct mp_pkt *p = x->p;
	struct mp_tuple key;
	struct mp_subflow *sf = NULL;
	unsigned hashv;
	bool syn = (p->flags & MP_TH_SYN) != 0, ack = (p->flags & MP_TH_ACK) != 0;
	bool any_ok = false, key_made = false;
	int hit_d = -1; /* sf_dir() of a cache hit, -1 when none */

	*created = false;
	sf = sf_cached(e, p, &hit_d);
	if (!sf)
		hit_d = -1;
	if (!sf) {
		tuple_make(p, &key);
		key_made = true;
		HASH_VALUE(&key, sizeof key, hashv);
		{
			struct eng_sf *es = NULL;
			HASH_FIND_BYHASHVALUE(hh, e->sf_tab, &key, sizeof key, hashv, es);
			sf = es ? &es->pub : NULL;
		}
	}
	if (sf && syn && !ack && sf_dir(sf, p) == 0 && tuple_reused(sf, p)) {
		eng_sf_replace(e, sf);
		sf = NULL;
		hit_d = -1;
	}
	if (!sf) {
		for (unsigned i = 0; i < p->opts.n; i++)
			any_ok |= p->opts.v[i].err == MP_E_NONE;
		if (!any_ok)
			return false; /* plain TCP, or nothing usable */
		if (!key_made)
			tuple_make(p, &key);
		HASH_VALUE(&key, sizeof key, hashv);
		if (syn && !ack && eng_has_subtype(&p->opts, MPTCP_SUB_CAPABLE)) {
			sf = eng_sf_new(x, &key, hashv, MP_SF_INITIAL, true);
		} else if (syn && !ack && eng_has_subtype(&p->opts, MPTCP_SUB_JOIN)) {
			sf = eng_sf_new(x, &key, hashv, MP_SF_JOIN, true);
		} else if (syn && ack && eng_has_subtype(&p->opts, MPTCP_SUB_CAPABLE)) {
			sf = eng_sf_new(x, &key, hashv, MP_SF_INITIAL, false);
		} else if (syn && ack && eng_has_subtype(&p->opts, MPTCP_SUB_JOIN)) {
			sf = eng_sf_new(x, &key, hashv, MP_SF_PARTIAL, false);
		} else {
			sf = eng_sf_new(x, &key, hashv, MP_SF_PARTIAL, true);
			if (sf) {
				sf->established_ts = x->ts;
				sf->state = MP_SFS_ESTABLISHED;
			}
		}
		if (!sf)
			return false;
		*created = true;
		if (sf->kind == MP_SF_INITIAL) {
			const struct mp_opt *o = NULL;
			for (unsigned i = 0; i < p->opts.n; i++)
				if (p->opts.v[i].subtype == MPTCP_SUB_CAPABLE &&
				    p->opts.v[i].err == MP_E_NONE)
					o = &p->opts.v[i];
			struct mp_conn *c = eng_conn_new(x, o ? o->u.capable.version : 1);
			if (c)
				eng_sf_attach(e, sf, c, true);
		}
	}
	x->sf = sf;
	if (hit_d >= 0) { /* found in the cache, in its slot */
		x->d = hit_d;
		return true;
	}
	x->d = sf_dir(sf, p);
	e->sf_cache[sf_slot(&sf->key)] = sf;
	return true;
}

void mp_engine_packet(struct mp_engine *e, uint64_t frame, uint64_t ts_ns,
		      const struct mp_pkt *p, struct mp_pkt_ann *ann)
{
	struct mp_pkt_ann scratch;
	struct pctx x;
	bool created;

	if (!ann)
		ann = &scratch;
	ann->conn = 0;
	ann->subflow = 0;
	ann->sf_dir = 0;
	ann->conn_dir = 0;
	ann->resend = MP_RESEND_NONE;
	ann->has_map = false;
	ann->has_dack = false;
	ann->has_dsn64 = false;
	ann->resend_of_sf = 0;
	ann->resend_of_frame = 0;
	ann->resend_delay_ns = 0;
	ann->sf_an = NULL;
	ann->conn_an = NULL;
	memset(ann->hmac_ok, MP_OK_UNKNOWN, sizeof ann->hmac_ok);
	memset(ann->hmac_side, 0, sizeof ann->hmac_side);
	e->cur_sf = NULL;
	if (ts_ns > e->now_ns)
		e->now_ns = ts_ns;
	if (e->now_ns - e->last_expire_ns >= EXPIRE_EVERY_NS)
		mp_engine_expire(e, e->now_ns);

	memset(&x, 0, sizeof x);
	x.e = e;
	x.p = p;
	x.ann = ann;
	x.frame = frame;
	x.ts = ts_ns;
	if (p->family != 4 && p->family != 6)
		return;
	/* Fast path: a cache hit needs none of sf_lookup()'s work unless the
	 * packet is a SYN (which may reuse the 4-tuple). */
	x.sf = sf_cached(e, p, &x.d);
	created = false;
	if (__builtin_expect(!x.sf || (p->flags & MP_TH_SYN), 0) &&
	    !sf_lookup(&x, &created)) {
		/* untracked: still report its malformed MPTCP eng_options */
		for (unsigned i = 0; i < p->opts.n; i++)
			if (p->opts.v[i].err != MP_E_NONE)
				eng_opt_malformed(&x, &p->opts.v[i]);
		return;
	}
	e->cur_sf = x.sf; /* mp_engine_current() in the callbacks too */
	if (ts_ns > x.sf->last_ts)
		x.sf->last_ts = ts_ns;
	if (!x.sf->conn && ENG_DL_TAIL(e->loose_head, lru_prev) != x.sf) {
		ENG_DL_UNLINK(e->loose_head, x.sf, lru_prev, lru_next);
		DL_APPEND2(e->loose_head, x.sf, lru_prev, lru_next);
	}
	if (p->payload_len) {
		/* new data on this subflow, or a TCP-level retransmission */
		uint32_t end = p->seq + p->payload_len;
		int d = x.d;
		if (x.sf->snd_known[d] && !mp_seq32_after(end, x.sf->snd_nxt[d])) {
			x.tcp_retrans = true;
			x.sf->retrans_bytes[d] += p->payload_len;
		} else {
			x.sf->snd_nxt[d] = end;
			x.sf->snd_known[d] = true;
		}
	}
	tcp_handshake(&x);
	if (__builtin_expect(p->opts.n == 1 && p->opts.v[0].err == MP_E_NONE &&
			     p->opts.v[0].subtype == MPTCP_SUB_DSS &&
			     x.sf->conn != NULL, 1))
		/* the typical packet (eng_options() would do just this) */
		dss_conn(&x, x.sf->conn, &p->opts.v[0].u.dss);
	else
		eng_options(&x);
	tcp_endings(&x);
	eng_data_accounting(&x);
	if (x.sf->conn)
		eng_conn_touch(e, x.sf->conn, ts_ns);
	else if (created)
		eng_ev(&x, MP_EV_UNATTRIBUTED_SUBFLOW, MP_OK_UNKNOWN,
		   "no handshake seen; not yet matched to a connection");
	ann->conn = x.sf->conn ? x.sf->conn->id : 0;
	ann->subflow = x.sf->id;
	ann->sf_dir = (uint8_t)x.d;
	ann->sf_an = &x.sf->an;
	if (x.sf->conn) {
		ann->conn_dir = (uint8_t)conn_dir(x.sf, x.d);
		ann->conn_an = &x.sf->conn->an;
	}
	e->cur_sf = x.sf;
}

const struct mp_subflow *mp_engine_current(const struct mp_engine *e)
{
	return e->cur_sf;
}
