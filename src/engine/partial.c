/* SPDX-License-Identifier: BSD-2-Clause */
/* partial.c - partial captures: subflows seen without their handshake, matched to connections by their data sequence space.
 *
 * RFC 8684 §3.3.1. Internals: engine_int.h. */
#include "engine_int.h"

/* Partial captures match a subflow to a connection by data sequence
 * numbers; the index keeps each connection direction in the bucket of its
 * current DSN (low 32 bits >> ATTACH_SHIFT), so matching looks at a few
 * neighbours instead of every connection. Moves happen every 4 MB. */
void eng_dir_unindex(struct mp_engine *e, struct mp_conn_dir *d)
{
	if (!d->indexed)
		return;
	if (d->bprev)
		d->bprev->bnext = d->bnext;
	else
		e->dsn_index[d->bucket] = d->bnext;
	if (d->bnext)
		d->bnext->bprev = d->bprev;
	d->bnext = d->bprev = NULL;
	d->indexed = false;
}

/* (Re)indexes direction cd of c; returns true when it entered a bucket. */
bool eng_dir_index(struct mp_engine *e, struct mp_conn *c, int cd)
{
	struct mp_conn_dir *d = &c->dir[cd];
	uint64_t v;
	uint16_t b;

	if (d->dsn.valid)
		v = d->dsn.val;
	else if (c->key_known[cd])
		v = c->idsn[cd] + 1;
	else
		return false;
	b = (uint16_t)((uint32_t)v >> ATTACH_SHIFT);
	if (d->indexed && d->bucket == b)
		return false;
	eng_dir_unindex(e, d);
	d->owner = c;
	d->idx = (uint8_t)cd;
	d->bucket = b;
	d->bprev = NULL;
	d->bnext = e->dsn_index[b];
	if (d->bnext)
		d->bnext->bprev = d;
	e->dsn_index[b] = d;
	d->indexed = true;
	return true;
}

/* Whether a DSS seen in connection direction cd fits c's data sequence
 * space; sets *checked when there was anything to compare. */
static bool dss_fits(const struct mp_conn *c, int cd, const struct mp_dss *d,
		     bool *checked)
{
	bool ok = true;

	if ((d->flags & DSS_M) && d->dll) {
		const struct mp_seqmark *m = &c->dir[cd].dsn;
		uint64_t ref = m->valid ? m->val : c->key_known[cd] ? c->idsn[cd] + 1 : 0;
		if (m->valid || c->key_known[cd]) {
			uint64_t v = (d->flags & DSS_m) ? d->dsn
				     : mp_seq_expand32(ref, (uint32_t)d->dsn);
			uint64_t dist = mp_seq64_after(v, ref) ? v - ref : ref - v;
			*checked = true;
			ok = ok && dist < ATTACH_WINDOW;
		}
	}
	if (d->flags & DSS_A) {
		const struct mp_seqmark *m = &c->dir[1 - cd].dsn;
		uint64_t ref = m->valid ? m->val
			       : c->key_known[1 - cd] ? c->idsn[1 - cd] + 1 : 0;
		if (m->valid || c->key_known[1 - cd]) {
			uint64_t v = (d->flags & DSS_a) ? d->data_ack
				     : mp_seq_expand32(ref, (uint32_t)d->data_ack);
			uint64_t dist = mp_seq64_after(v, ref) ? v - ref : ref - v;
			*checked = true;
			ok = ok && dist < ATTACH_WINDOW;
		}
	}
	return ok;
}

/* Whether loose sf has an address in common with c (its endpoints, its
 * subflows', its announced addresses). */
static bool conn_shares_addr(const struct mp_conn *c, const struct mp_subflow *sf)
{
	size_t n = alen_of(sf->family);

	for (int i = 0; i < 2; i++) {
		const uint8_t *a = i ? sf->dst : sf->src;
		if (!memcmp(c->addr[0], a, n) || !memcmp(c->addr[1], a, n))
			return true;
		for (const struct mp_subflow *s = c->sf_head; s; s = s->conn_next)
			if (!memcmp(s->src, a, n) || !memcmp(s->dst, a, n))
				return true;
		for (unsigned k = 0; k < c->n_addrs; k++)
			if (c->addrs[k].family == sf->family && !memcmp(c->addrs[k].addr, a, n))
				return true;
	}
	return false;
}

/* Records candidate (c, cd) in hits[] (at most 2 distinct connections). */
static void attach_hit(struct mp_conn **hit, int *hit_cd, int *hits,
		       struct mp_conn *c, int cd)
{
	if (*hits && hit[0] == c && hit_cd[0] == cd)
		return;
	if (*hits < 2) {
		hit[*hits] = c;
		hit_cd[*hits] = cd;
	}
	(*hits)++;
}

/* Tries to attach loose x->sf to the one connection whose data sequence
 * space its DSS fits: a mapping near a direction's DSN, or a DATA_ACK near
 * the DSN of the direction it acknowledges. Only indexed neighbours are
 * looked at; ambiguity attaches nothing (never a wrong attachment). A
 * 64-bit value that close is proof enough; 32-bit values (1 chance in 512
 * per connection direction to fall that close) also need an address in
 * common with the connection. */
void eng_try_attach(struct pctx *x, const struct mp_dss *d)
{
	struct mp_engine *e = x->e;
	struct mp_subflow *sf = x->sf;
	struct mp_conn *hit[2] = { NULL, NULL };
	int hit_cd[2] = { 0, 0 }, hits = 0;

	if (sf->attach_tries >= LOOSE_ATTACH_TRIES)
		return;
	sf->attach_tries++;
	for (int what = 0; what < 2; what++) {
		uint32_t low;
		if (what == 0 && (d->flags & DSS_M) && d->dll)
			low = (uint32_t)d->dsn;
		else if (what == 1 && (d->flags & DSS_A))
			low = (uint32_t)d->data_ack;
		else
			continue;
		for (int k = -1; k <= 1; k++) {
			uint32_t b = ((low >> ATTACH_SHIFT) + (uint32_t)(k + (int)DSN_BUCKETS)) %
				     DSN_BUCKETS;
			for (struct mp_conn_dir *n = e->dsn_index[b]; n; n = n->bnext) {
				struct mp_conn *c = n->owner;
				/* the packet's direction: the mapping's, or the
				 * one opposite the acknowledged data */
				int cd = what == 0 ? n->idx : 1 - n->idx;
				bool checked = false;
				bool wide = what == 0 ? (d->flags & DSS_m) : (d->flags & DSS_a);
				if (c->closed || c->family != sf->family)
					continue;
				if (dss_fits(c, cd, d, &checked) && checked &&
				    (wide || conn_shares_addr(c, sf)))
					attach_hit(hit, hit_cd, &hits, c, cd);
			}
		}
	}
	if (hits != 1)
		return;
	/* packet direction x->d is connection direction hit_cd[0] */
	eng_sf_attach(e, sf, hit[0], (x->d == 0) == (hit_cd[0] == 0));
	eng_ev(x, MP_EV_SUBFLOW_ATTACHED, MP_OK_UNKNOWN,
	   "data sequence numbers match connection %u", hit[0]->id);
}

/* Merges partial connection pc into c; pc's direction d is c's direction
 * d ^ flip. pc is freed without being emitted. */
static void conn_merge(struct pctx *x, struct mp_conn *c, struct mp_conn *pc,
		       int flip)
{
	struct mp_subflow *sf, *next;
	uint32_t pid = pc->id;

	for (sf = pc->sf_head; sf; sf = next) {
		next = sf->conn_next;
		sf->conn_next = NULL;
		eng_sf_link(sf, c, flip ? !sf->src_is_client : sf->src_is_client);
		eng_ev_raw(x->e, x->frame, x->ts, c->id, sf->id, MP_EV_SUBFLOW_ATTACHED,
		       "from partial connection %u", pid);
	}
	pc->sf_head = pc->sf_tail = NULL;
	pc->n_sf = 0;
	for (int d = 0; d < 2; d++) {
		struct mp_conn_dir *from = &pc->dir[d], *to = &c->dir[d ^ flip];
		if (from->dsn.valid && (!to->dsn.valid || mp_seq64_after(from->dsn.val, to->dsn.val)))
			to->dsn = from->dsn;
		if (from->dack.valid && (!to->dack.valid || mp_seq64_after(from->dack.val, to->dack.val)))
			to->dack = from->dack;
		to->data_fin |= from->data_fin;
		if (!to->sent.hi_valid) {
			/* the partial one's history is all there is */
			to->sent = from->sent;
			memset(&from->sent, 0, sizeof from->sent);
		}
	}
	c->reinj_frames += pc->reinj_frames;
	c->reinj_bytes += pc->reinj_bytes;
	if (pc->reinj_max_delay_ns > c->reinj_max_delay_ns)
		c->reinj_max_delay_ns = pc->reinj_max_delay_ns;
	if (pc->first_ts < c->first_ts)
		c->first_ts = pc->first_ts;
	eng_conn_finalize_ex(x->e, pc, MP_CLOSE_NONE, false);
}

/* c just entered a DSN bucket in direction cd: partial connections that
 * know less (conn_rank) and whose data sequence space is that one are the
 * same connection, seen before its keys or token were (RFC 8684 §3.3.1:
 * DSNs are per connection; 64-bit values do not collide by chance). */
void eng_merge_partials(struct pctx *x, struct mp_conn *c, int cd)
{
	struct mp_engine *e = x->e;
	const struct mp_conn_dir *d = &c->dir[cd];
	uint64_t v = d->dsn.valid ? d->dsn.val : c->idsn[cd] + 1;
	struct mp_conn *cand[4];
	int cand_flip[4], n = 0;

	/* Only partial connections are candidates: without any, the bucket
	 * walk (every live connection of three buckets) is wasted work. */
	if (e->n_partial == 0)
		return;
	for (int k = -1; k <= 1; k++) {
		uint32_t b = (d->bucket + (uint32_t)(k + (int)DSN_BUCKETS)) % DSN_BUCKETS;
		for (struct mp_conn_dir *nd = e->dsn_index[b]; nd && n < 4; nd = nd->bnext) {
			struct mp_conn *pc = nd->owner;
			uint64_t pv = nd->dsn.val, dist;
			bool dup = false;
			if (pc == c || conn_rank(pc) >= conn_rank(c) ||
			    pc->family != c->family || !nd->dsn.valid)
				continue;
			dist = mp_seq64_after(pv, v) ? pv - v : v - pv;
			if (dist >= ATTACH_WINDOW)
				continue;
			for (int i = 0; i < n; i++)
				dup |= cand[i] == pc;
			if (dup)
				continue;
			cand[n] = pc;
			cand_flip[n++] = nd->idx != cd;
		}
	}
	for (int i = 0; i < n; i++) {
		struct mp_conn *pc = cand[i];
		bool clash = false;
		/* a token the partial one learnt from a join must agree */
		for (int h = 0; h < 2; h++) {
			int ch = h ^ cand_flip[i];
			if (pc->token_known[h] && c->token_known[ch] &&
			    pc->token[h] != c->token[ch])
				clash = true;
		}
		if (!clash)
			conn_merge(x, c, pc, cand_flip[i]);
	}
}

/* A loose subflow's 64-bit mapping matched nothing: start a partial
 * connection from it, so that later subflows of the same connection (and
 * the connection itself, once its keys show) can join it. */
void eng_partial_seed(struct pctx *x)
{
	struct mp_conn *c = eng_conn_new(x, 0xff);

	if (!c)
		return;
	c->partial = true;
	x->e->n_partial++;
	eng_sf_attach(x->e, x->sf, c, true);
	eng_ev(x, MP_EV_UNATTRIBUTED_SUBFLOW, MP_OK_UNKNOWN,
	   "no handshake and no known connection: starts partial connection %u",
	   c->id);
}
