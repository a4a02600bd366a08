/* SPDX-License-Identifier: BSD-2-Clause */
/* engine_int.h - the connection engine's internals, shared by the files
 * of src/engine/ only (the public interface is include/mpana/flow.h).
 *
 * RFC 8684 §3.1-3.7 (RFC 6824 for version 0). Holds the engine and
 * per-packet context structs, the uthash configuration (seeded hash,
 * non-fatal OOM: it must precede every inclusion of uthash.h in the
 * engine), and the per-packet path's small functions as static inline,
 * so that mp_engine_packet() keeps them inlined whatever file they read
 * best in: 4-tuples, data sequence marks, the DSS handler and the
 * segment accounting. Only the engine's files mutate connection state
 * (STYLE R5). */
#ifndef MPANA_ENGINE_INT_H
#define MPANA_ENGINE_INT_H

#include <endian.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "mpana/appid.h"
#include "mpana/crypto.h"
#include "mpana/seq.h"

/* uthash configuration: must precede the first inclusion of uthash.h. */
extern uint64_t eng_hash_seed;  /* per process, from getrandom() (tables.c) */
extern int eng_hash_oom;        /* set by uthash when a bucket array failed */

/* A seeded 64-bit multiply-xorshift over 8-byte words (keys are 4 or 40
 * bytes). The seed keeps crafted 4-tuples from piling into one bucket. */
static inline unsigned hash_seeded(const void *k, size_t n)
{
	const uint8_t *p = k;
	uint64_t h = eng_hash_seed ^ (n * UINT64_C(0x9e3779b97f4a7c15));
	uint64_t w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * UINT64_C(0xbf58476d1ce4e5b9);
		h ^= h >> 31;
	}
	if (n) {
		w = 0;
		memcpy(&w, p, n);
		h = (h ^ w) * UINT64_C(0xbf58476d1ce4e5b9);
		h ^= h >> 31;
	}
	h ^= h >> 29;
	h *= UINT64_C(0x94d049bb133111eb);
	h ^= h >> 32;
	return (unsigned)h;
}

#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (eng_hash_oom = 1)
#define HASH_FUNCTION(keyptr, keylen, hashv) \
	((hashv) = hash_seeded((keyptr), (size_t)(keylen)))
#include "mpana/flow.h"
#include <uthash.h>
#include <utlist.h>

/* Subflow lookup cache: direct-mapped by the port pair, verified against
 * the packet's raw addresses and ports in either direction (equal to
 * comparing the canonical 4-tuple, which a hit then need not build).
 * Packets of a dozen subflows interleave on a busy link, where a one-entry
 * cache missed almost always and every packet paid the 40-byte hash and
 * the table probe (docs/performance.md). */
#define SF_CACHE 256

/* Symmetric in (a, b): a packet's (sport, dport) and its subflow's
 * (port_lo, port_hi) give the same slot whichever way it was sent. */
static inline unsigned port_slot(uint16_t a, uint16_t b)
{
	return ((unsigned)(a ^ b) * 40503u + (unsigned)a + b) % SF_CACHE;
}

static inline unsigned sf_slot(const struct mp_tuple *k)
{
	return port_slot(k->port_lo, k->port_hi);
}

#define LOOSE_ATTACH_TRIES 8   /* DSS packets of a partial subflow tried */
#define ATTACH_SHIFT 22        /* DSN index buckets of 4 MB (low 32 bits) */
#define DSN_BUCKETS (1u << (32 - ATTACH_SHIFT))
#define ATTACH_WINDOW (UINT64_C(1) << ATTACH_SHIFT) /* DSN distance that matches */
#define MALFORMED_FIRST 25     /* STYLE R7: the first 25 pass, then 1/1000 */
#define EXPIRE_EVERY_NS 1000000000ull

/* The engine's allocations: the public record first (so that a pointer
 * to it is a pointer to the wrapper), then the uthash handles, which only
 * this folder sees, configured above. */
struct eng_sf {
	struct mp_subflow pub;    /* what flow.h shows */
	UT_hash_handle hh;        /* mp_engine.sf_tab by pub.key */
};

struct eng_conn {
	struct mp_conn pub;       /* what flow.h shows */
	UT_hash_handle hh_tok0;   /* mp_engine.tok_tab0 by pub.token[0] (client) */
	UT_hash_handle hh_tok1;   /* mp_engine.tok_tab1 by pub.token[1] (server) */
};

static inline struct eng_sf *eng_sf_of(struct mp_subflow *sf)
{
	return (struct eng_sf *)sf; /* pub is the first member */
}

static inline struct eng_conn *eng_conn_of(struct mp_conn *c)
{
	return (struct eng_conn *)c;
}

struct mp_engine {
	struct mp_engine_cfg cfg;      /* copy of the configuration */
	struct eng_sf *sf_tab;         /* subflows by 4-tuple */
	struct eng_conn *tok_tab0;     /* connections by client token */
	struct eng_conn *tok_tab1;     /* connections by server token */
	struct mp_conn *all_head;      /* connections in id order (utlist DL) */
	struct mp_conn *lru_head;      /* by last activity, oldest first (DL) */
	struct mp_subflow *loose_head; /* loose subflows, LRU (DL) */
	struct mp_subflow *sf_cache[SF_CACHE]; /* recent subflows, by sf_slot() */
	struct mp_subflow *cur_sf;     /* subflow of the current packet, or NULL */
	struct mp_conn_dir *dsn_index[DSN_BUCKETS]; /* directions by DSN bucket */
	uint32_t n_partial;            /* live partial connections (merge candidates) */
	uint32_t next_conn_id;         /* last id given */
	uint32_t next_sf_id;           /* idem */
	uint64_t now_ns;               /* latest capture time seen */
	uint64_t last_expire_ns;       /* last expiry walk */
	struct mp_appid *appid;        /* classifier, created on first data */
	bool appid_tried;              /* creation attempted */
	struct mp_engine_stats st;     /* counters */
};

/* Per-packet context. */
struct pctx {
	struct mp_engine *e;
	const struct mp_pkt *p;
	struct mp_pkt_ann *ann;  /* never NULL (points to a scratch one) */
	uint64_t frame, ts;
	struct mp_subflow *sf;   /* subflow of the packet */
	int d;                   /* subflow direction of the packet */
	bool has_dss_map;        /* packet carried a DSS mapping (or MPC data) */
	bool has_tcprst;         /* packet carried MP_TCPRST */
	bool tcp_retrans;        /* payload is not new on its subflow */
	uint8_t tcprst_reason;   /* its reason */
};

/* ---- lists -------------------------------------------------------- */

/* The engine's doubly-linked lists are uthash's utlist DL lists (the head's
 * prev is the tail, the tail's next NULL), with named link fields; an
 * unlinked element gets NULL links. */
#define ENG_DL_TAIL(head, prev) ((head) ? (head)->prev : NULL)
#define ENG_DL_UNLINK(head, n, prev, next)                          \
	do {                                                        \
		DL_DELETE2(head, n, prev, next);                    \
		(n)->prev = (n)->next = NULL;                       \
	} while (0)

/* ---- across the engine's files -------------------------------------- */

__attribute__((format(printf, 7, 8)))
void eng_ev_raw(struct mp_engine *e, uint64_t frame, uint64_t ts,
		   uint32_t conn, uint32_t sf, unsigned type, const char *fmt, ...);

__attribute__((format(printf, 4, 5)))
void eng_ev(struct pctx *x, unsigned type, int ok, const char *fmt, ...);

void eng_conn_touch(struct mp_engine *e, struct mp_conn *c, uint64_t ts);

void eng_dir_unindex(struct mp_engine *e, struct mp_conn_dir *d);

bool eng_dir_index(struct mp_engine *e, struct mp_conn *c, int cd);

void eng_app_finish(struct mp_engine *e, struct mp_conn *c);

void eng_conn_finalize_ex(struct mp_engine *e, struct mp_conn *c,
			     uint8_t reason, bool emit);

void eng_conn_finalize(struct mp_engine *e, struct mp_conn *c,
			  uint8_t reason);

void eng_sf_loose_finalize(struct mp_engine *e, struct mp_subflow *sf);

struct mp_conn *eng_conn_new(struct pctx *x, uint8_t version);

void eng_sf_link(struct mp_subflow *sf, struct mp_conn *c,
		    bool src_is_client);

void eng_sf_attach(struct mp_engine *e, struct mp_subflow *sf,
		      struct mp_conn *c, bool src_is_client);

struct mp_subflow *eng_sf_new(struct pctx *x, const struct mp_tuple *key,
				 unsigned hashv, uint8_t kind, bool src_is_sender);

void eng_sf_replace(struct mp_engine *e, struct mp_subflow *sf);

struct mp_conn *eng_token_find(const struct mp_engine *e, uint32_t token,
				  int *host);

void eng_conn_set_token(struct pctx *x, struct mp_conn *c, int host,
			   uint32_t token);

void eng_conn_set_key(struct pctx *x, struct mp_conn *c, int host,
			 uint64_t key);

void eng_set_fallback(struct pctx *x, uint8_t form);

void eng_fallback_at(struct mp_engine *e, struct mp_subflow *sf, uint8_t form,
		     uint64_t frame, uint64_t ts, uint8_t side);

void eng_nodss_decide(struct mp_engine *e, struct mp_subflow *sf, bool final);

void eng_resend_found(struct pctx *x, struct mp_conn *c,
			 const struct mp_dseq_verdict *v);

void eng_conn_close(struct pctx *x, struct mp_conn *c, uint8_t reason);

void eng_try_attach(struct pctx *x, const struct mp_dss *d);

void eng_merge_partials(struct pctx *x, struct mp_conn *c, int cd);

void eng_partial_seed(struct pctx *x);

void eng_opt_dss(struct pctx *x, const struct mp_dss *d);

void eng_opt_malformed(struct pctx *x, const struct mp_opt *o);

void eng_options(struct pctx *x);

bool eng_has_subtype(const struct mp_opts *o, uint8_t subtype);

void eng_tcp_handshake_syn(struct pctx *x);

void eng_tcp_handshake_ack(struct pctx *x);

void eng_tcp_endings_slow(struct pctx *x);

void eng_app_feed(struct pctx *x, struct mp_conn *c);

void eng_data_accounting(struct pctx *x);

/* ---- the per-packet path, inline ---------------------------------- */

/* memcmp(a, b, 4 or 16)'s sign without the call: big-endian word
 * compares order addresses exactly as memcmp does. Per-packet path. */
static inline int addr_cmp(const uint8_t *a, const uint8_t *b, size_t alen)
{
	uint64_t x, y;
	uint32_t u, v;

	if (alen == 4) {
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		u = be32toh(u);
		v = be32toh(v);
		return (u > v) - (u < v);
	}
	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	if (x == y) {
		memcpy(&x, a + 8, 8);
		memcpy(&y, b + 8, 8);
	}
	x = be64toh(x);
	y = be64toh(y);
	return (x > y) - (x < y);
}

/* Fills the canonical key of `p`; returns the packet's direction relative
 * to the lower end (0: sent by the lower end). */
static inline int tuple_make(const struct mp_pkt *p, struct mp_tuple *t)
{
	size_t alen = p->family == 6 ? 16 : 4;
	int c = addr_cmp(p->src, p->dst, alen);
	int lo_is_src = c < 0 || (c == 0 && p->sport <= p->dport);

	const uint8_t *lo = lo_is_src ? p->src : p->dst;
	const uint8_t *hi = lo_is_src ? p->dst : p->src;

	memset(t, 0, sizeof *t);
	t->family = p->family;
	if (alen == 4) { /* constant sizes: plain moves, no memcpy call */
		memcpy(t->addr_lo, lo, 4);
		memcpy(t->addr_hi, hi, 4);
	} else {
		memcpy(t->addr_lo, lo, 16);
		memcpy(t->addr_hi, hi, 16);
	}
	t->port_lo = lo_is_src ? p->sport : p->dport;
	t->port_hi = lo_is_src ? p->dport : p->sport;
	return lo_is_src ? 0 : 1;
}

static inline size_t alen_of(uint8_t family)
{
	return family == 6 ? 16 : 4;
}

static inline bool addr_eq(const uint8_t *a, const uint8_t *b, size_t alen)
{
	uint64_t x0, y0, x1, y1;
	uint32_t u, v;

	if (alen == 4) {
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		return u == v;
	}
	memcpy(&x0, a, 8);
	memcpy(&y0, b, 8);
	memcpy(&x1, a + 8, 8);
	memcpy(&y1, b + 8, 8);
	return ((x0 ^ y0) | (x1 ^ y1)) == 0;
}

/* Whether `p` belongs to the 4-tuple of `sf` (sent either way): the same
 * as tuple_make(p) equal to sf->key, since sf->src/dst/sport/dport are
 * the two ends of that key. Returns sf_dir(sf, p) (0: sent by sf->src,
 * tried first, so equal to sf_dir() even when both ends are the same),
 * or -1 when it does not belong. */
static inline int sf_match(const struct mp_subflow *sf, const struct mp_pkt *p)
{
	size_t alen;

	if (sf->family != p->family)
		return -1;
	alen = alen_of(p->family);
	if (p->sport == sf->sport && p->dport == sf->dport &&
	    addr_eq(p->src, sf->src, alen) && addr_eq(p->dst, sf->dst, alen))
		return 0;
	if (p->sport == sf->dport && p->dport == sf->sport &&
	    addr_eq(p->src, sf->dst, alen) && addr_eq(p->dst, sf->src, alen))
		return 1;
	return -1;
}

/* Subflow direction of packet `p` on `sf`: 0 when sent by sf->src. */
static inline int sf_dir(const struct mp_subflow *sf, const struct mp_pkt *p)
{
	return (p->sport == sf->sport &&
		addr_cmp(p->src, sf->src, alen_of(sf->family)) == 0) ? 0 : 1;
}

/* Connection direction (= sending host: 0 client, 1 server) of subflow
 * direction d (0 or 1): d itself when sf->src is the client, else 1 - d. */
static inline int conn_dir(const struct mp_subflow *sf, int d)
{
	return d ^ !sf->src_is_client;
}

/* eng_dir_index() after direction cd of c saw a mapping (its DSN mark is
 * valid): inline for the common case, where it stays in its bucket. */
static inline bool dir_reindex(struct mp_engine *e, struct mp_conn *c, int cd)
{
	const struct mp_conn_dir *d = &c->dir[cd];

	if (d->indexed &&
	    d->bucket == (uint16_t)((uint32_t)d->dsn.val >> ATTACH_SHIFT))
		return false;
	return eng_dir_index(e, c, cd);
}

/* How much is known of a connection: 2 keys (a handshake), 1 a token (an
 * orphan join), 0 nothing (a partial connection seeded by data). */
static inline int conn_rank(const struct mp_conn *c)
{
	return !c->partial ? 2 : (c->token_known[0] || c->token_known[1]) ? 1 : 0;
}

static inline void mark_adv(struct mp_seqmark *m, uint64_t v, const struct pctx *x)
{
	if (!m->valid || mp_seq64_after(v, m->val)) {
		m->val = v;
		m->frame = x->frame;
		m->ts_ns = x->ts;
		m->valid = true;
	}
}

/* 64-bit DSN of a mapping sent in connection direction cd. */
static inline uint64_t dsn_expand(const struct mp_conn *c, int cd, uint64_t wire,
			   bool is64)
{
	uint64_t ref;

	if (is64)
		return wire;
	if (c->dir[cd].dsn.valid)
		ref = c->dir[cd].dsn.val;
	else if (c->key_known[cd])
		ref = c->idsn[cd] + 1;
	else
		return (uint32_t)wire;
	return mp_seq_expand32(ref, (uint32_t)wire);
}

/* 64-bit DATA_ACK carried in direction cd (acknowledging direction 1-cd). */
static inline uint64_t dack_expand(const struct mp_conn *c, int cd, uint64_t wire,
			    bool is64)
{
	uint64_t ref;

	if (is64)
		return wire;
	if (c->dir[cd].dack.valid)
		ref = c->dir[cd].dack.val;
	else if (c->dir[1 - cd].dsn.valid)
		ref = c->dir[1 - cd].dsn.val;
	else if (c->key_known[1 - cd])
		ref = c->idsn[1 - cd] + 1;
	else
		return (uint32_t)wire;
	return mp_seq_expand32(ref, (uint32_t)wire);
}

/* The payload of x->p, [seg, seg + len) at the data level in connection
 * direction cd: recorded in the direction's sent history, and classified
 * as new, retransmitted or reinjected (dseq.h: data sequence numbers are
 * given out once, so data sent before is a re-send, whatever its age). */
static inline void seg_account(struct pctx *x, struct mp_conn *c, int cd,
			       uint64_t seg, uint32_t len)
{
	struct mp_pkt_ann *a = x->ann;
	const struct mp_conn_dir *back = &c->dir[1 - cd]; /* carries the DATA_ACK */
	struct mp_dseq_verdict v;

	a->has_map = true;
	a->seg_dsn = seg;
	a->seg_dlen = len;
	if (__builtin_expect(mp_dseq_extend(&c->dir[cd].sent, &x->sf->sent_hint[x->d],
					    seg, len, x->sf->id, x->ts), 1))
		return; /* new data after this subflow's own */
	mp_dseq_sent(&c->dir[cd].sent, seg, len, x->sf->id, x->ts, x->frame,
		     back->dack.val, back->dack.valid, &x->sf->sent_hint[x->d], &v);
	if (__builtin_expect(v.resent != 0, 0))
		eng_resend_found(x, c, &v);
}

/* Finds this segment's part of the mapping [dsn, dsn + len) with subflow
 * sequence ssn (relative to the ISN, RFC 8684 §3.3.1; Linux repeats a
 * burst's mapping on each segment, so never take the mapping's end for the
 * segment's) and accounts it. */
static inline void seg_map(struct pctx *x, struct mp_conn *c, int cd,
			   uint64_t dsn, uint32_t len, uint32_t ssn)
{
	struct mp_subflow *sf = x->sf;
	const struct mp_pkt *p = x->p;
	int d = x->d;
	uint32_t seg_len;
	uint64_t seg;

	if (!sf->isn_valid[d]) {
		/* no handshake seen: this segment starts the mapping */
		sf->isn[d] = p->seq - ssn;
		sf->isn_valid[d] = true;
	}
	sf->map_dsn64[d] = dsn;
	sf->map_ssn[d] = ssn;
	sf->map_dlen[d] = len;
	seg = mp_seg_dsn(dsn, len, ssn, sf->isn[d], p->seq, p->payload_len, &seg_len);
	if (seg_len)
		seg_account(x, c, cd, seg, seg_len);
}

/* A mapping [dsn, dsn+len) in connection direction cd on x->sf: this
 * segment's data (seg_map), then the high-water marks. Inline: on the
 * per-packet path it is a few compares. */
static inline __attribute__((always_inline))
void data_map(struct pctx *x, int cd, uint64_t dsn, uint32_t len,
	      uint32_t ssn, bool data_fin)
{
	struct mp_subflow *sf = x->sf;
	struct mp_conn *c = sf->conn;
	struct mp_conn_dir *dir = &c->dir[cd];
	uint64_t end = dsn + len;

	x->has_dss_map = true;
	x->ann->has_dsn64 = true;
	x->ann->map_dsn = dsn;
	/* a DATA_FIN's sequence number is not data (Linux repeats a bare
	 * DATA_FIN on every subflow), nor is a mapping on a packet without
	 * payload */
	len -= data_fin ? 1u : 0u;
	if (len && x->p->payload_len && !(x->p->flags & MP_TH_SYN))
		seg_map(x, c, cd, dsn, len, ssn);
	mark_adv(&dir->dsn, end, x); /* end includes the DATA_FIN */
	mark_adv(&sf->dsn[x->d], end, x);
	if (dir_reindex(x->e, c, cd) && conn_rank(c))
		eng_merge_partials(x, c, cd);
}

/* Records the subflow-level end of a mapping (SSN relative to the ISN). */
static inline void map_note(struct mp_subflow *sf, int d, uint32_t ssn, uint16_t len)
{
	uint32_t end = ssn + len;

	if (!sf->map_known[d] || mp_seq32_after(end, sf->map_end[d])) {
		sf->map_end[d] = end;
		sf->map_known[d] = true;
	}
}

/* A DSS option on a subflow of connection c (= x->sf->conn): DATA_ACK,
 * mapping and DATA_FIN at the data level (RFC 8684 §3.3). Inlined into the
 * per-packet fast path (mp_engine_packet) as well as into eng_opt_dss(). */
static inline __attribute__((always_inline))
void dss_conn(struct pctx *x, struct mp_conn *c, const struct mp_dss *d)
{
	struct mp_subflow *sf = x->sf;
	int cd = conn_dir(sf, x->d);

	if (d->flags & DSS_A) {
		uint64_t v = dack_expand(c, cd, d->data_ack, (d->flags & DSS_a) != 0);
		x->ann->has_dack = true;
		x->ann->dack = v;
		mark_adv(&c->dir[cd].dack, v, x);
		mark_adv(&sf->dack[x->d], v, x);
	}
	if (d->flags & DSS_M) {
		x->has_dss_map = true;
		if (d->dll == 0) {
			eng_set_fallback(x, MP_FB_INFINITE_MAP);
		} else {
			uint64_t v = dsn_expand(c, cd, d->dsn, (d->flags & DSS_m) != 0);
			data_map(x, cd, v, d->dll, d->ssn, (d->flags & DSS_F) != 0);
			map_note(sf, x->d, d->ssn, d->dll);
		}
	}
	if ((d->flags & DSS_F) && !c->dir[cd].data_fin) {
		c->dir[cd].data_fin = true;
		eng_ev(x, MP_EV_DATA_FIN, MP_OK_UNKNOWN, "%s",
		   cd ? "server to client" : "client to server");
		/* RFC 8684 §3.3.3: DATA_FIN both ways closes the connection,
		 * whatever subflows linger (a dead path never sends its FIN) */
		if (c->dir[0].data_fin && c->dir[1].data_fin)
			eng_conn_close(x, c, MP_CLOSE_DATA_FIN);
	}
}

/* Handshake progress from the TCP flags (events come from the eng_options).
 * Per packet only the test that nothing is left to do once a subflow's
 * handshake was seen: eng_tcp_handshake_ack() acts only before the third ACK
 * (after a SYN/ACK) or, on a join, before the responder's ACK. */
static inline void tcp_handshake(struct pctx *x)
{
	const struct mp_subflow *sf = x->sf;
	uint8_t fl = x->p->flags;

	if (fl & MP_TH_SYN) {
		eng_tcp_handshake_syn(x);
		return;
	}
	if (!(fl & MP_TH_ACK))
		return;
	if ((sf->synack_seen && !sf->ack3_seen) ||
	    (sf->kind == MP_SF_JOIN && !sf->ack4_seen))
		eng_tcp_handshake_ack(x);
}

/* Subflow endings from the TCP flags (RST, FIN): rare, out of line. */
static inline void tcp_endings(struct pctx *x)
{
	if (x->p->flags & (MP_TH_RST | MP_TH_FIN))
		eng_tcp_endings_slow(x);
}

#endif /* MPANA_ENGINE_INT_H */
