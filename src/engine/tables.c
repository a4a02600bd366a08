/* SPDX-License-Identifier: BSD-2-Clause */
/* tables.c - the engine's tables: subflows by 4-tuple, connections by token, creation, keys and tokens, finalization and eviction.
 *
 * RFC 8684 §3.1 (keys, tokens), §3.2 (joins by token). Internals: engine_int.h. */
#include "engine_int.h"

uint64_t eng_hash_seed;
int eng_hash_oom;

/* Moves live connection `c` (in the LRU list) to its most recent end. */
void eng_conn_touch(struct mp_engine *e, struct mp_conn *c, uint64_t ts)
{
	if (ts > c->last_ts)
		c->last_ts = ts;
	if (e->lru_head->lru_prev != c) { /* not the tail already */
		DL_DELETE2(e->lru_head, c, lru_prev, lru_next);
		DL_APPEND2(e->lru_head, c, lru_prev, lru_next);
	}
}

static void sf_free(struct mp_engine *e, struct mp_subflow *sf)
{
	if (sf->in_table)
		HASH_DELETE(hh, e->sf_tab, eng_sf_of(sf));
	if (e->sf_cache[sf_slot(&sf->key)] == sf)
		e->sf_cache[sf_slot(&sf->key)] = NULL;
	if (e->cur_sf == sf)
		e->cur_sf = NULL;
	e->st.subflows_live--;
	free(sf);
}

/* Emits `c` through on_conn and frees it with its subflows. `reason` is
 * recorded when the connection was still open. */
void eng_conn_finalize_ex(struct mp_engine *e, struct mp_conn *c,
			     uint8_t reason, bool emit)
{
	struct mp_subflow *sf, *next;

	if (!c->closed && reason != MP_CLOSE_NONE && c->close_reason == MP_CLOSE_NONE)
		c->close_reason = reason;
	eng_app_finish(e, c);
	if (emit)
		for (sf = c->sf_head; sf; sf = sf->conn_next)
			eng_nodss_decide(e, sf, true); /* the runs are final now */
	if (emit && e->cfg.on_conn)
		e->cfg.on_conn(e->cfg.user, c);
	for (sf = c->sf_head; sf; sf = next) {
		next = sf->conn_next;
		sf_free(e, sf);
	}
	if (c->tok_hashed[0])
		HASH_DELETE(hh_tok0, e->tok_tab0, eng_conn_of(c));
	if (c->tok_hashed[1])
		HASH_DELETE(hh_tok1, e->tok_tab1, eng_conn_of(c));
	eng_dir_unindex(e, &c->dir[0]);
	eng_dir_unindex(e, &c->dir[1]);
	mp_dseq_free(&c->dir[0].sent);
	mp_dseq_free(&c->dir[1].sent);
	ENG_DL_UNLINK(e->all_head, c, all_prev, all_next);
	ENG_DL_UNLINK(e->lru_head, c, lru_prev, lru_next);
	e->st.conns_live--;
	if (c->partial)
		e->n_partial--;
	free(c);
}

void eng_conn_finalize(struct mp_engine *e, struct mp_conn *c,
			  uint8_t reason)
{
	eng_conn_finalize_ex(e, c, reason, true);
}

void eng_sf_loose_finalize(struct mp_engine *e, struct mp_subflow *sf)
{
	ENG_DL_UNLINK(e->loose_head, sf, lru_prev, lru_next);
	e->st.unattributed++;
	if (e->cfg.on_subflow)
		e->cfg.on_subflow(e->cfg.user, sf);
	sf_free(e, sf);
}

static void conn_evict(struct mp_engine *e, struct pctx *x, const char *what)
{
	struct mp_conn *c = e->lru_head;

	if (!c)
		return;
	e->st.evicted++;
	eng_ev_raw(e, x->frame, x->ts, c->id, 0, MP_EV_TABLE_FULL,
	       "%s cap %u reached: evicted connection %u", what,
	       what[0] == 'c' ? e->cfg.max_conns : e->cfg.max_subflows, c->id);
	eng_conn_finalize(e, c, MP_CLOSE_EVICTED);
}

struct mp_conn *eng_conn_new(struct pctx *x, uint8_t version)
{
	struct mp_engine *e = x->e;
	struct mp_conn *c;

	while (e->st.conns_live >= e->cfg.max_conns && e->lru_head)
		conn_evict(e, x, "connections");
	{
		struct eng_conn *ec = calloc(1, sizeof *ec);
		c = ec ? &ec->pub : NULL;
	}
	if (!c) {
		e->st.oom++;
		return NULL;
	}
	c->id = ++e->next_conn_id;
	c->version = version;
	c->first_ts = c->last_ts = x->ts;
	snprintf(c->app_proto, sizeof c->app_proto, "unknown");
	DL_APPEND2(e->all_head, c, all_prev, all_next);
	DL_APPEND2(e->lru_head, c, lru_prev, lru_next);
	e->st.conns++;
	e->st.conns_live++;
	return c;
}

/* Links loose `sf` into `c` (kept in id order); `src_is_client` maps its
 * directions to the connection's. */
void eng_sf_link(struct mp_subflow *sf, struct mp_conn *c,
		    bool src_is_client)
{
	struct mp_subflow **pp = &c->sf_head;

	sf->conn = c;
	sf->src_is_client = src_is_client;
	while (*pp && (*pp)->id < sf->id)
		pp = &(*pp)->conn_next;
	sf->conn_next = *pp;
	*pp = sf;
	if (!sf->conn_next)
		c->sf_tail = sf;
	c->n_sf++;
	if (c->n_sf == 1) {
		/* the first subflow gives the connection its endpoints */
		size_t n = alen_of(sf->family);
		int ci = src_is_client ? 0 : 1;
		c->family = sf->family;
		memcpy(c->addr[ci], sf->src, n);
		memcpy(c->addr[1 - ci], sf->dst, n);
		c->port[ci] = sf->sport;
		c->port[1 - ci] = sf->dport;
	}
}

void eng_sf_attach(struct mp_engine *e, struct mp_subflow *sf,
		      struct mp_conn *c, bool src_is_client)
{
	ENG_DL_UNLINK(e->loose_head, sf, lru_prev, lru_next);
	eng_sf_link(sf, c, src_is_client);
}

/* Creates a loose subflow for `x->p` with the given kind; `src_is_sender`
 * says whether the packet's sender is the SYN sender. Returns NULL on OOM. */
struct mp_subflow *eng_sf_new(struct pctx *x, const struct mp_tuple *key,
				 unsigned hashv, uint8_t kind, bool src_is_sender)
{
	struct mp_engine *e = x->e;
	const struct mp_pkt *p = x->p;
	struct mp_subflow *sf;
	size_t n = alen_of(p->family);

	while (e->st.subflows_live >= e->cfg.max_subflows &&
	       (e->loose_head || e->lru_head)) {
		if (e->loose_head) {
			struct mp_subflow *old = e->loose_head;
			e->st.evicted++;
			eng_ev_raw(e, x->frame, x->ts, 0, old->id, MP_EV_TABLE_FULL,
			       "subflows cap %u reached: evicted subflow %u",
			       e->cfg.max_subflows, old->id);
			eng_sf_loose_finalize(e, old);
		} else {
			conn_evict(e, x, "subflows");
		}
	}
	{
		struct eng_sf *es = calloc(1, sizeof *es);
		sf = es ? &es->pub : NULL;
	}
	if (!sf) {
		e->st.oom++;
		return NULL;
	}
	sf->key = *key;
	sf->id = ++e->next_sf_id;
	sf->family = p->family;
	if (src_is_sender) {
		memcpy(sf->src, p->src, n);
		memcpy(sf->dst, p->dst, n);
		sf->sport = p->sport;
		sf->dport = p->dport;
	} else {
		memcpy(sf->src, p->dst, n);
		memcpy(sf->dst, p->src, n);
		sf->sport = p->dport;
		sf->dport = p->sport;
	}
	sf->kind = kind;
	sf->src_is_client = true;
	sf->hmac_synack = sf->hmac_ack = MP_OK_UNKNOWN;
	sf->first_ts = sf->last_ts = x->ts;
	eng_hash_oom = 0;
	HASH_ADD_KEYPTR_BYHASHVALUE(hh, e->sf_tab, &sf->key, sizeof sf->key,
				    hashv, eng_sf_of(sf));
	if (eng_hash_oom) {
		e->st.oom++;
		e->next_sf_id--;
		free(sf);
		return NULL;
	}
	sf->in_table = true;
	DL_APPEND2(e->loose_head, sf, lru_prev, lru_next);
	e->st.subflows++;
	e->st.subflows_live++;
	return sf;
}

/* Takes `sf` out of the 4-tuple table (the tuple is being reused). A loose
 * subflow is finalized; one in a connection stays there, closed. */
void eng_sf_replace(struct mp_engine *e, struct mp_subflow *sf)
{
	HASH_DELETE(hh, e->sf_tab, eng_sf_of(sf));
	sf->in_table = false;
	if (e->sf_cache[sf_slot(&sf->key)] == sf)
		e->sf_cache[sf_slot(&sf->key)] = NULL;
	if (e->cur_sf == sf)
		e->cur_sf = NULL;
	if (sf->state != MP_SFS_CLOSED) {
		sf->state = MP_SFS_CLOSED;
		sf->close_reason = MP_CLOSE_REPLACED;
		sf->closed_ts = sf->last_ts;
	}
	if (!sf->conn)
		eng_sf_loose_finalize(e, sf);
}

/* The connection owning `token` and which host (0 client, 1 server). */
struct mp_conn *eng_token_find(const struct mp_engine *e, uint32_t token,
				  int *host)
{
	struct eng_conn *ec = NULL;

	HASH_FIND(hh_tok1, e->tok_tab1, &token, sizeof token, ec);
	if (ec) {
		*host = 1;
		return &ec->pub;
	}
	HASH_FIND(hh_tok0, e->tok_tab0, &token, sizeof token, ec);
	if (ec)
		*host = 0;
	return ec ? &ec->pub : NULL;
}

void eng_conn_set_token(struct pctx *x, struct mp_conn *c, int host,
			   uint32_t token)
{
	struct mp_engine *e = x->e;
	struct mp_conn *other;
	int oh;

	if (c->token_known[host])
		return;
	c->token[host] = token;
	c->token_known[host] = true;
	other = eng_token_find(e, token, &oh);
	if (other && other != c) {
		eng_ev(x, MP_EV_TOKEN_COLLISION, MP_OK_UNKNOWN,
		   "token 0x%08x already owned by connection %u", token, other->id);
		return;
	}
	if (other)
		return;
	eng_hash_oom = 0;
	if (host == 0)
		HASH_ADD(hh_tok0, e->tok_tab0, pub.token[0], sizeof(uint32_t), eng_conn_of(c));
	else
		HASH_ADD(hh_tok1, e->tok_tab1, pub.token[1], sizeof(uint32_t), eng_conn_of(c));
	if (eng_hash_oom)
		e->st.oom++;
	else
		c->tok_hashed[host] = true;
}

/* Records `key` as host `host`'s key; a different key than known before is
 * a key_mismatch event (the first one is kept). */
void eng_conn_set_key(struct pctx *x, struct mp_conn *c, int host,
			 uint64_t key)
{
	uint32_t token;

	if (c->key_known[host]) {
		if (c->key[host] != key) {
			c->key_mismatch = true;
			eng_ev(x, MP_EV_KEY_MISMATCH, MP_OK_FALSE,
			   "%s key 0x%016llx, earlier 0x%016llx",
			   host ? "server" : "client", (unsigned long long)key,
			   (unsigned long long)c->key[host]);
		}
		return;
	}
	c->key[host] = key;
	c->key_known[host] = true;
	mp_key_derive(c->version, key, &token, &c->idsn[host]);
	eng_conn_set_token(x, c, host, token);
	if (eng_dir_index(x->e, c, host) && conn_rank(c))
		eng_merge_partials(x, c, host);
}
