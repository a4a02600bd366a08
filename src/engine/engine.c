/* SPDX-License-Identifier: BSD-2-Clause */
/* mptcp.c - the MPTCP connection reassembly engine (flow.h, event.h).
 *
 * RFC 8684 §3.1 (MP_CAPABLE), §3.2 (MP_JOIN), §3.3 (DSS, data sequence
 * space), §3.4 (ADD_ADDR/REMOVE_ADDR), §3.5-3.6 (MP_FASTCLOSE, MP_TCPRST),
 * §3.7 (fallback), §3.3.8 (MP_PRIO); RFC 6824 for version 0.
 *
 * The only file that mutates connection state (STYLE R5). Tables are uthash
 * with a seeded hash and non-fatal OOM (STYLE R12); a packet whose subflow
 * is in the lookup cache (sf_cached) hashes nothing, and the typical packet
 * (one DSS option on a subflow of a connection) takes mp_engine_packet()'s
 * fast path, with the rare cases out of line. Memory is allocated only
 * when a subflow or connection appears (and for the classifier's
 * per-connection state); it is bounded by the caps and freed on expiry. */
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
static uint64_t hash_seed;  /* per process, from getrandom() */
static int hash_oom;        /* set by uthash when a bucket array failed */

/* A seeded 64-bit multiply-xorshift over 8-byte words (keys are 4 or 40
 * bytes). The seed keeps crafted 4-tuples from piling into one bucket. */
static inline unsigned hash_seeded(const void *k, size_t n)
{
	const uint8_t *p = k;
	uint64_t h = hash_seed ^ (n * UINT64_C(0x9e3779b97f4a7c15));
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
#define uthash_nonfatal_oom(obj) (hash_oom = 1)
#define HASH_FUNCTION(keyptr, keylen, hashv) \
	((hashv) = hash_seeded((keyptr), (size_t)(keylen)))
#include "mpana/flow.h"

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

struct mp_engine {
	struct mp_engine_cfg cfg;      /* copy of the configuration */
	struct mp_subflow *sf_tab;     /* subflows by 4-tuple */
	struct mp_conn *tok_tab0;      /* connections by client token */
	struct mp_conn *tok_tab1;      /* connections by server token */
	struct mp_conn *all_head, *all_tail; /* connections in id order */
	struct mp_conn *lru_head, *lru_tail; /* by last activity, oldest first */
	struct mp_subflow *loose_head, *loose_tail; /* loose subflows, LRU */
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

/* ---- names -------------------------------------------------------- */

static const char *const ev_names[MP_EV__COUNT] = {
	[MP_EV_NONE] = "none",
	[MP_EV_MPC_SYN] = "mpc_syn",
	[MP_EV_MPC_SYNACK] = "mpc_synack",
	[MP_EV_MPC_ACK] = "mpc_ack",
	[MP_EV_MPC_DATA] = "mpc_data",
	[MP_EV_JOIN_SYN] = "join_syn",
	[MP_EV_JOIN_SYNACK] = "join_synack",
	[MP_EV_JOIN_ACK] = "join_ack",
	[MP_EV_JOIN_ACK_RESPONDER] = "join_ack_responder",
	[MP_EV_ADD_ADDR] = "add_addr",
	[MP_EV_ADD_ADDR_ECHO] = "add_addr_echo",
	[MP_EV_REMOVE_ADDR] = "remove_addr",
	[MP_EV_MP_PRIO] = "mp_prio",
	[MP_EV_MP_FAIL] = "mp_fail",
	[MP_EV_MP_FASTCLOSE] = "mp_fastclose",
	[MP_EV_MP_TCPRST] = "mp_tcprst",
	[MP_EV_DATA_FIN] = "data_fin",
	[MP_EV_FIN] = "fin",
	[MP_EV_RST] = "rst",
	[MP_EV_FALLBACK] = "fallback",
	[MP_EV_REINJECTION] = "reinjection",
	[MP_EV_MALFORMED] = "malformed",
	[MP_EV_HMAC_FAILURE] = "hmac_failure",
	[MP_EV_ORPHAN_JOIN] = "orphan_join",
	[MP_EV_KEY_MISMATCH] = "key_mismatch",
	[MP_EV_TABLE_FULL] = "table_full",
	[MP_EV_UNATTRIBUTED_SUBFLOW] = "unattributed_subflow",
	[MP_EV_SUBFLOW_ATTACHED] = "subflow_attached",
	[MP_EV_CONN_CLOSED] = "conn_closed",
	[MP_EV_SUBFLOW_CLOSED] = "subflow_closed",
	[MP_EV_CONN_EXPIRED] = "conn_expired",
	[MP_EV_TOKEN_COLLISION] = "token_collision",
};

const char *mp_ev_name(unsigned type)
{
	return type < MP_EV__COUNT && ev_names[type] ? ev_names[type] : "unknown";
}

const char *mp_sf_state_name(unsigned state)
{
	static const char *const n[] = { "syn_sent", "syn_rcvd", "established",
					 "closing", "closed" };
	return state < 5 ? n[state] : "unknown";
}

const char *mp_close_reason_name(unsigned r)
{
	static const char *const n[] = { "", "fin", "rst", "mp_tcprst",
					 "mp_fastclose", "data_fin", "subflows_closed",
					 "idle", "evicted", "replaced" };
	return r < sizeof n / sizeof n[0] ? n[r] : "unknown";
}

const char *mp_fallback_name(unsigned fb)
{
	static const char *const n[] = { "", "no_mpc_synack", "no_mpc_ack",
					 "data_without_dss", "infinite_mapping",
					 "mp_fail", "join_refused" };
	return fb < sizeof n / sizeof n[0] ? n[fb] : "unknown";
}

const char *mp_resend_name(unsigned r)
{
	static const char *const names[] = { "", "retransmission", "reinjection" };
	return r < 3 ? names[r] : "";
}

const char *mp_sf_kind_name(unsigned kind)
{
	static const char *const n[] = { "initial", "join", "partial" };
	return kind < 3 ? n[kind] : "unknown";
}

/* ---- events ------------------------------------------------------- */

__attribute__((format(printf, 8, 0)))
static void emit(struct mp_engine *e, uint64_t frame, uint64_t ts,
		 uint32_t conn, uint32_t sf, unsigned type, int ok,
		 const char *fmt, va_list ap)
{
	struct mp_event ev;

	e->st.events[type < MP_EV__COUNT ? type : 0]++;
	if (!e->cfg.on_event)
		return; /* no formatting when nobody listens */
	ev.ts_ns = ts;
	ev.frame = frame;
	ev.conn = conn;
	ev.subflow = sf;
	ev.type = (uint8_t)type;
	ev.ok = (int8_t)ok;
	ev.detail[0] = '\0';
	if (fmt)
		vsnprintf(ev.detail, sizeof ev.detail, fmt, ap);
	e->cfg.on_event(e->cfg.user, &ev);
}

__attribute__((format(printf, 7, 8)))
static void ev_raw(struct mp_engine *e, uint64_t frame, uint64_t ts,
		   uint32_t conn, uint32_t sf, unsigned type, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(e, frame, ts, conn, sf, type, MP_OK_UNKNOWN, fmt, ap);
	va_end(ap);
}

/* An event of the packet in `x`, for its subflow and connection. */
__attribute__((format(printf, 4, 5)))
static void ev(struct pctx *x, unsigned type, int ok, const char *fmt, ...)
{
	va_list ap;
	const struct mp_subflow *sf = x->sf;

	va_start(ap, fmt);
	emit(x->e, x->frame, x->ts, sf && sf->conn ? sf->conn->id : 0,
	     sf ? sf->id : 0, type, ok, fmt, ap);
	va_end(ap);
}

/* ---- lists -------------------------------------------------------- */

#define DL_UNLINK(head, tail, n, prev, next)                        \
	do {                                                        \
		if ((n)->prev) (n)->prev->next = (n)->next;         \
		else (head) = (n)->next;                            \
		if ((n)->next) (n)->next->prev = (n)->prev;         \
		else (tail) = (n)->prev;                            \
		(n)->prev = (n)->next = NULL;                       \
	} while (0)

#define DL_APPEND(head, tail, n, prev, next)                        \
	do {                                                        \
		(n)->prev = (tail);                                 \
		(n)->next = NULL;                                   \
		if (tail) (tail)->next = (n);                       \
		else (head) = (n);                                  \
		(tail) = (n);                                       \
	} while (0)

/* Moves live connection `c` to the most recent end of the LRU list. Per
 * packet: DL_UNLINK + DL_APPEND, minus the tests that c being in the list
 * but not its tail answers (c has a successor; the list has a tail). */
static void conn_touch(struct mp_engine *e, struct mp_conn *c, uint64_t ts)
{
	if (ts > c->last_ts)
		c->last_ts = ts;
	if (e->lru_tail != c) {
		struct mp_conn *prev = c->lru_prev, *next = c->lru_next;
		if (prev)
			prev->lru_next = next;
		else
			e->lru_head = next;
		next->lru_prev = prev;
		c->lru_prev = e->lru_tail;
		c->lru_next = NULL;
		e->lru_tail->lru_next = c;
		e->lru_tail = c;
	}
}

/* ---- tuples ------------------------------------------------------- */

/* memcmp(a, b, 4 or 16)'s sign without the call: big-endian word
 * compares order addresses exactly as memcmp does. Per-packet path. */
static inline int addr_cmp(const uint8_t *a, const uint8_t *b, size_t alen)
{
	uint64_t x, y;
	uint32_t u, v;

	if (alen == 4) {
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		u = __builtin_bswap32(u);
		v = __builtin_bswap32(v);
		return (u > v) - (u < v);
	}
	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	if (x == y) {
		memcpy(&x, a + 8, 8);
		memcpy(&y, b + 8, 8);
	}
	x = __builtin_bswap64(x);
	y = __builtin_bswap64(y);
	return (x > y) - (x < y);
}

/* Fills the canonical key of `p`; returns the packet's direction relative
 * to the lower end (0: sent by the lower end). */
static int tuple_make(const struct mp_pkt *p, struct mp_tuple *t)
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

static size_t alen_of(uint8_t family)
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
static int sf_dir(const struct mp_subflow *sf, const struct mp_pkt *p)
{
	return (p->sport == sf->sport &&
		addr_cmp(p->src, sf->src, alen_of(sf->family)) == 0) ? 0 : 1;
}

/* Connection direction (= sending host: 0 client, 1 server) of subflow
 * direction d (0 or 1): d itself when sf->src is the client, else 1 - d. */
static int conn_dir(const struct mp_subflow *sf, int d)
{
	return d ^ !sf->src_is_client;
}

/* ---- DSN index ---------------------------------------------------- */

/* Partial captures match a subflow to a connection by data sequence
 * numbers; the index keeps each connection direction in the bucket of its
 * current DSN (low 32 bits >> ATTACH_SHIFT), so matching looks at a few
 * neighbours instead of every connection. Moves happen every 4 MB. */
static void dir_unindex(struct mp_engine *e, struct mp_conn_dir *d)
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
static bool dir_index(struct mp_engine *e, struct mp_conn *c, int cd)
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
	dir_unindex(e, d);
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

/* dir_index() after direction cd of c saw a mapping (its DSN mark is
 * valid): inline for the common case, where it stays in its bucket. */
static inline bool dir_reindex(struct mp_engine *e, struct mp_conn *c, int cd)
{
	const struct mp_conn_dir *d = &c->dir[cd];

	if (d->indexed &&
	    d->bucket == (uint16_t)((uint32_t)d->dsn.val >> ATTACH_SHIFT))
		return false;
	return dir_index(e, c, cd);
}

static void merge_partials(struct pctx *x, struct mp_conn *c, int cd);

/* How much is known of a connection: 2 keys (a handshake), 1 a token (an
 * orphan join), 0 nothing (a partial connection seeded by data). */
static int conn_rank(const struct mp_conn *c)
{
	return !c->partial ? 2 : (c->token_known[0] || c->token_known[1]) ? 1 : 0;
}

/* ---- finalization ------------------------------------------------- */

static void sf_free(struct mp_engine *e, struct mp_subflow *sf)
{
	if (sf->in_table)
		HASH_DELETE(hh, e->sf_tab, sf);
	if (e->sf_cache[sf_slot(&sf->key)] == sf)
		e->sf_cache[sf_slot(&sf->key)] = NULL;
	if (e->cur_sf == sf)
		e->cur_sf = NULL;
	e->st.subflows_live--;
	free(sf);
}

static void app_finish(struct mp_engine *e, struct mp_conn *c)
{
	if (c->app_done)
		return;
	if (c->app_flow)
		mp_appid_giveup(e->appid, c->app_flow, c->app_proto,
				sizeof c->app_proto);
	mp_appid_flow_free(c->app_flow);
	c->app_flow = NULL;
	c->app_done = true;
}

/* Emits `c` through on_conn and frees it with its subflows. `reason` is
 * recorded when the connection was still open. */
static void conn_finalize_ex(struct mp_engine *e, struct mp_conn *c,
			     uint8_t reason, bool emit)
{
	struct mp_subflow *sf, *next;

	if (!c->closed && reason != MP_CLOSE_NONE && c->close_reason == MP_CLOSE_NONE)
		c->close_reason = reason;
	app_finish(e, c);
	if (emit && e->cfg.on_conn)
		e->cfg.on_conn(e->cfg.user, c);
	for (sf = c->sf_head; sf; sf = next) {
		next = sf->conn_next;
		sf_free(e, sf);
	}
	if (c->tok_hashed[0])
		HASH_DELETE(hh_tok0, e->tok_tab0, c);
	if (c->tok_hashed[1])
		HASH_DELETE(hh_tok1, e->tok_tab1, c);
	dir_unindex(e, &c->dir[0]);
	dir_unindex(e, &c->dir[1]);
	mp_dseq_free(&c->dir[0].sent);
	mp_dseq_free(&c->dir[1].sent);
	DL_UNLINK(e->all_head, e->all_tail, c, all_prev, all_next);
	DL_UNLINK(e->lru_head, e->lru_tail, c, lru_prev, lru_next);
	e->st.conns_live--;
	if (c->partial)
		e->n_partial--;
	free(c);
}

static void conn_finalize(struct mp_engine *e, struct mp_conn *c,
			  uint8_t reason)
{
	conn_finalize_ex(e, c, reason, true);
}

static void sf_loose_finalize(struct mp_engine *e, struct mp_subflow *sf)
{
	DL_UNLINK(e->loose_head, e->loose_tail, sf, lru_prev, lru_next);
	e->st.unattributed++;
	if (e->cfg.on_subflow)
		e->cfg.on_subflow(e->cfg.user, sf);
	sf_free(e, sf);
}

/* ---- creation ----------------------------------------------------- */

static void conn_evict(struct mp_engine *e, struct pctx *x, const char *what)
{
	struct mp_conn *c = e->lru_head;

	if (!c)
		return;
	e->st.evicted++;
	ev_raw(e, x->frame, x->ts, c->id, 0, MP_EV_TABLE_FULL,
	       "%s cap %u reached: evicted connection %u", what,
	       what[0] == 'c' ? e->cfg.max_conns : e->cfg.max_subflows, c->id);
	conn_finalize(e, c, MP_CLOSE_EVICTED);
}

static struct mp_conn *conn_new(struct pctx *x, uint8_t version)
{
	struct mp_engine *e = x->e;
	struct mp_conn *c;

	while (e->st.conns_live >= e->cfg.max_conns && e->lru_head)
		conn_evict(e, x, "connections");
	c = calloc(1, sizeof *c);
	if (!c) {
		e->st.oom++;
		return NULL;
	}
	c->id = ++e->next_conn_id;
	c->version = version;
	c->first_ts = c->last_ts = x->ts;
	snprintf(c->app_proto, sizeof c->app_proto, "unknown");
	DL_APPEND(e->all_head, e->all_tail, c, all_prev, all_next);
	DL_APPEND(e->lru_head, e->lru_tail, c, lru_prev, lru_next);
	e->st.conns++;
	e->st.conns_live++;
	return c;
}

/* Links loose `sf` into `c` (kept in id order); `src_is_client` maps its
 * directions to the connection's. */
static void sf_link(struct mp_subflow *sf, struct mp_conn *c,
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

static void sf_attach(struct mp_engine *e, struct mp_subflow *sf,
		      struct mp_conn *c, bool src_is_client)
{
	DL_UNLINK(e->loose_head, e->loose_tail, sf, lru_prev, lru_next);
	sf_link(sf, c, src_is_client);
}

/* Creates a loose subflow for `x->p` with the given kind; `src_is_sender`
 * says whether the packet's sender is the SYN sender. Returns NULL on OOM. */
static struct mp_subflow *sf_new(struct pctx *x, const struct mp_tuple *key,
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
			ev_raw(e, x->frame, x->ts, 0, old->id, MP_EV_TABLE_FULL,
			       "subflows cap %u reached: evicted subflow %u",
			       e->cfg.max_subflows, old->id);
			sf_loose_finalize(e, old);
		} else {
			conn_evict(e, x, "subflows");
		}
	}
	sf = calloc(1, sizeof *sf);
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
	hash_oom = 0;
	HASH_ADD_KEYPTR_BYHASHVALUE(hh, e->sf_tab, &sf->key, sizeof sf->key,
				    hashv, sf);
	if (hash_oom) {
		e->st.oom++;
		e->next_sf_id--;
		free(sf);
		return NULL;
	}
	sf->in_table = true;
	DL_APPEND(e->loose_head, e->loose_tail, sf, lru_prev, lru_next);
	e->st.subflows++;
	e->st.subflows_live++;
	return sf;
}

/* Takes `sf` out of the 4-tuple table (the tuple is being reused). A loose
 * subflow is finalized; one in a connection stays there, closed. */
static void sf_replace(struct mp_engine *e, struct mp_subflow *sf)
{
	HASH_DELETE(hh, e->sf_tab, sf);
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
		sf_loose_finalize(e, sf);
}

/* ---- tokens and keys ---------------------------------------------- */

/* The connection owning `token` and which host (0 client, 1 server). */
static struct mp_conn *token_find(const struct mp_engine *e, uint32_t token,
				  int *host)
{
	struct mp_conn *c = NULL;

	HASH_FIND(hh_tok1, e->tok_tab1, &token, sizeof token, c);
	if (c) {
		*host = 1;
		return c;
	}
	HASH_FIND(hh_tok0, e->tok_tab0, &token, sizeof token, c);
	if (c)
		*host = 0;
	return c;
}

static void conn_set_token(struct pctx *x, struct mp_conn *c, int host,
			   uint32_t token)
{
	struct mp_engine *e = x->e;
	struct mp_conn *other;
	int oh;

	if (c->token_known[host])
		return;
	c->token[host] = token;
	c->token_known[host] = true;
	other = token_find(e, token, &oh);
	if (other && other != c) {
		ev(x, MP_EV_TOKEN_COLLISION, MP_OK_UNKNOWN,
		   "token 0x%08x already owned by connection %u", token, other->id);
		return;
	}
	if (other)
		return;
	hash_oom = 0;
	if (host == 0)
		HASH_ADD(hh_tok0, e->tok_tab0, token[0], sizeof(uint32_t), c);
	else
		HASH_ADD(hh_tok1, e->tok_tab1, token[1], sizeof(uint32_t), c);
	if (hash_oom)
		e->st.oom++;
	else
		c->tok_hashed[host] = true;
}

/* Records `key` as host `host`'s key; a different key than known before is
 * a key_mismatch event (the first one is kept). */
static void conn_set_key(struct pctx *x, struct mp_conn *c, int host,
			 uint64_t key)
{
	uint32_t token;

	if (c->key_known[host]) {
		if (c->key[host] != key) {
			c->key_mismatch = true;
			ev(x, MP_EV_KEY_MISMATCH, MP_OK_FALSE,
			   "%s key 0x%016llx, earlier 0x%016llx",
			   host ? "server" : "client", (unsigned long long)key,
			   (unsigned long long)c->key[host]);
		}
		return;
	}
	c->key[host] = key;
	c->key_known[host] = true;
	mp_key_derive(c->version, key, &token, &c->idsn[host]);
	conn_set_token(x, c, host, token);
	if (dir_index(x->e, c, host) && conn_rank(c))
		merge_partials(x, c, host);
}

/* ---- data level --------------------------------------------------- */

static bool seq_after(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b) > 0;
}

static void mark_adv(struct mp_seqmark *m, uint64_t v, const struct pctx *x)
{
	if (!m->valid || seq_after(v, m->val)) {
		m->val = v;
		m->frame = x->frame;
		m->ts_ns = x->ts;
		m->valid = true;
	}
}

/* 64-bit DSN of a mapping sent in connection direction cd. */
static uint64_t dsn_expand(const struct mp_conn *c, int cd, uint64_t wire,
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
static uint64_t dack_expand(const struct mp_conn *c, int cd, uint64_t wire,
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

static void set_fallback(struct pctx *x, uint8_t form)
{
	struct mp_subflow *sf = x->sf;
	struct mp_conn *c = sf->conn;

	if (sf->fallback == MP_FB_NONE)
		sf->fallback = form;
	if (form == MP_FB_JOIN_REFUSED || !c) {
		ev(x, MP_EV_FALLBACK, MP_OK_UNKNOWN, "%s", mp_fallback_name(form));
		return;
	}
	if (c->fallback != MP_FB_NONE)
		return; /* reported once per connection */
	c->fallback = form;
	ev(x, MP_EV_FALLBACK, MP_OK_UNKNOWN, "%s", mp_fallback_name(form));
}

/* A segment whose data was sent before: a TCP retransmission when it
 * repeats the subflow's own sequence space, else a reinjection (RFC 8684
 * §3.3.6). Off the per-packet path. */
__attribute__((noinline))
static void resend_found(struct pctx *x, struct mp_conn *c,
			 const struct mp_dseq_verdict *v)
{
	struct mp_subflow *sf = x->sf;
	struct mp_pkt_ann *a = x->ann;
	uint64_t delay = 0;

	if (v->first) {
		a->resend_of_sf = v->first->sf;
		a->resend_of_frame = v->first->frame;
		delay = x->ts >= v->first->ts_ns ? x->ts - v->first->ts_ns : 0;
		a->resend_delay_ns = delay;
	}
	if (x->tcp_retrans) {
		a->resend = MP_RESEND_RETRANS;
		return;
	}
	a->resend = MP_RESEND_REINJECT;
	c->reinj_frames++;
	c->reinj_bytes += v->resent;
	sf->reinj_bytes[x->d] += v->resent;
	if (delay > c->reinj_max_delay_ns)
		c->reinj_max_delay_ns = delay;
	if (v->first)
		ev(x, MP_EV_REINJECTION, MP_OK_UNKNOWN,
		   "dsn %llu len %u (%llu bytes) first on subflow %u, +%llu us",
		   (unsigned long long)a->seg_dsn, a->seg_dlen,
		   (unsigned long long)v->resent, v->first->sf,
		   (unsigned long long)(delay / 1000));
	else
		ev(x, MP_EV_REINJECTION, MP_OK_UNKNOWN,
		   "dsn %llu len %u (%llu bytes) first sending not kept",
		   (unsigned long long)a->seg_dsn, a->seg_dlen,
		   (unsigned long long)v->resent);
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
		resend_found(x, c, &v);
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
		merge_partials(x, c, cd);
}

/* Records the subflow-level end of a mapping (SSN relative to the ISN). */
static void map_note(struct mp_subflow *sf, int d, uint32_t ssn, uint16_t len)
{
	uint32_t end = ssn + len;

	if (!sf->map_known[d] || (int32_t)(end - sf->map_end[d]) > 0) {
		sf->map_end[d] = end;
		sf->map_known[d] = true;
	}
}

static void conn_close(struct pctx *x, struct mp_conn *c, uint8_t reason)
{
	if (c->closed)
		return;
	c->closed = true;
	if (c->close_reason == MP_CLOSE_NONE)
		c->close_reason = reason;
	c->closed_ts = x->ts;
	ev(x, MP_EV_CONN_CLOSED, MP_OK_UNKNOWN, "%s",
	   mp_close_reason_name(c->close_reason));
}

static void sf_close(struct pctx *x, uint8_t reason)
{
	struct mp_subflow *sf = x->sf, *s;
	struct mp_conn *c = sf->conn;

	if (sf->state == MP_SFS_CLOSED)
		return;
	sf->state = MP_SFS_CLOSED;
	sf->close_reason = reason;
	sf->closed_ts = x->ts;
	ev(x, MP_EV_SUBFLOW_CLOSED, MP_OK_UNKNOWN, "%s%s%s",
	   mp_close_reason_name(reason), reason == MP_CLOSE_TCPRST ? " " : "",
	   reason == MP_CLOSE_TCPRST ? mp_tcprst_reason_name(sf->tcprst_reason) : "");
	if (!c)
		return;
	for (s = c->sf_head; s; s = s->conn_next)
		if (s->state != MP_SFS_CLOSED)
			return;
	conn_close(x, c, (c->dir[0].data_fin && c->dir[1].data_fin)
				 ? MP_CLOSE_DATA_FIN : MP_CLOSE_SUBFLOWS);
}

/* ---- partial subflows --------------------------------------------- */

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
			uint64_t dist = seq_after(v, ref) ? v - ref : ref - v;
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
			uint64_t dist = seq_after(v, ref) ? v - ref : ref - v;
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
static void try_attach(struct pctx *x, const struct mp_dss *d)
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
	sf_attach(e, sf, hit[0], (x->d == 0) == (hit_cd[0] == 0));
	ev(x, MP_EV_SUBFLOW_ATTACHED, MP_OK_UNKNOWN,
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
		sf_link(sf, c, flip ? !sf->src_is_client : sf->src_is_client);
		ev_raw(x->e, x->frame, x->ts, c->id, sf->id, MP_EV_SUBFLOW_ATTACHED,
		       "from partial connection %u", pid);
	}
	pc->sf_head = pc->sf_tail = NULL;
	pc->n_sf = 0;
	for (int d = 0; d < 2; d++) {
		struct mp_conn_dir *from = &pc->dir[d], *to = &c->dir[d ^ flip];
		if (from->dsn.valid && (!to->dsn.valid || seq_after(from->dsn.val, to->dsn.val)))
			to->dsn = from->dsn;
		if (from->dack.valid && (!to->dack.valid || seq_after(from->dack.val, to->dack.val)))
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
	conn_finalize_ex(x->e, pc, MP_CLOSE_NONE, false);
}

/* c just entered a DSN bucket in direction cd: partial connections that
 * know less (conn_rank) and whose data sequence space is that one are the
 * same connection, seen before its keys or token were (RFC 8684 §3.3.1:
 * DSNs are per connection; 64-bit values do not collide by chance). */
static void merge_partials(struct pctx *x, struct mp_conn *c, int cd)
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
			dist = seq_after(pv, v) ? pv - v : v - pv;
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
static void partial_seed(struct pctx *x)
{
	struct mp_conn *c = conn_new(x, 0xff);

	if (!c)
		return;
	c->partial = true;
	x->e->n_partial++;
	sf_attach(x->e, x->sf, c, true);
	ev(x, MP_EV_UNATTRIBUTED_SUBFLOW, MP_OK_UNKNOWN,
	   "no handshake and no known connection: starts partial connection %u",
	   c->id);
}

/* ---- options ------------------------------------------------------ */

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
			conn_set_key(x, c, 0, m->sender_key);
		ev(x, MP_EV_MPC_SYN, MP_OK_UNKNOWN, "v%u flags 0x%02x", m->version,
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
					HASH_DELETE(hh_tok0, x->e->tok_tab0, c);
					c->tok_hashed[0] = false;
				}
				conn_set_key(x, c, 0, k);
			}
		}
		c->mpc_flags = m->flags;
		if (m->has_sender_key)
			conn_set_key(x, c, 1, m->sender_key);
		ev(x, MP_EV_MPC_SYNACK, MP_OK_UNKNOWN, "v%u flags 0x%02x",
		   m->version, m->flags);
		return;
	}
	/* third ACK (len 20) or v1 first data (22/24): both keys, sender first */
	if (!c && m->has_sender_key && m->has_receiver_key) {
		/* handshake not captured: the keys make the connection */
		c = conn_new(x, m->version);
		if (!c)
			return;
		sf->kind = MP_SF_INITIAL;
		sf_attach(x->e, sf, c, x->d == 0);
		ev(x, MP_EV_SUBFLOW_ATTACHED, MP_OK_UNKNOWN,
		   "connection %u from MP_CAPABLE keys", c->id);
	}
	if (!c || c->partial)
		return;
	cd = conn_dir(sf, x->d);
	if (m->has_sender_key)
		conn_set_key(x, c, cd, m->sender_key);
	if (m->has_receiver_key)
		conn_set_key(x, c, 1 - cd, m->receiver_key);
	if (m->has_data_len) {
		ev(x, MP_EV_MPC_DATA, MP_OK_UNKNOWN, "data_len %u", m->data_len);
		if (c->key_known[cd] && m->data_len)
			data_map(x, cd, c->idsn[cd] + 1, m->data_len, 1, false);
		map_note(sf, x->d, 1, m->data_len);
		x->has_dss_map = true;
	} else {
		ev(x, MP_EV_MPC_ACK, MP_OK_UNKNOWN, NULL);
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
			c = token_find(e, j->token, &host);
			if (c && !c->partial) {
				/* the token is the receiver's: host `host` */
				sf_attach(e, sf, c, host == 1);
			} else {
				if (!c) {
					c = conn_new(x, 0xff);
					if (!c)
						return;
					c->partial = true;
					e->n_partial++;
					sf_attach(e, sf, c, true);
					conn_set_token(x, c, 1, j->token);
				} else {
					sf_attach(e, sf, c, host == 1);
				}
				sf->orphan = true;
				ev(x, MP_EV_ORPHAN_JOIN, MP_OK_FALSE,
				   "token 0x%08x matches no known connection",
				   j->token);
			}
		}
		ev(x, MP_EV_JOIN_SYN, MP_OK_UNKNOWN,
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
		ev(x, MP_EV_JOIN_SYNACK, ok, "addr_id %u%s", j->addr_id,
		   j->backup ? " backup" : "");
		if (ok == MP_OK_FALSE)
			ev(x, MP_EV_HMAC_FAILURE, MP_OK_FALSE,
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
		ev(x, MP_EV_JOIN_ACK, ok, NULL);
		if (ok == MP_OK_FALSE)
			ev(x, MP_EV_HMAC_FAILURE, MP_OK_FALSE, "mp_join ack hmac");
		return;
	}
}

/* A DSS option on a subflow of connection c (= x->sf->conn): DATA_ACK,
 * mapping and DATA_FIN at the data level (RFC 8684 §3.3). Inlined into the
 * per-packet fast path (mp_engine_packet) as well as into opt_dss(). */
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
			set_fallback(x, MP_FB_INFINITE_MAP);
		} else {
			uint64_t v = dsn_expand(c, cd, d->dsn, (d->flags & DSS_m) != 0);
			data_map(x, cd, v, d->dll, d->ssn, (d->flags & DSS_F) != 0);
			map_note(sf, x->d, d->ssn, d->dll);
		}
	}
	if ((d->flags & DSS_F) && !c->dir[cd].data_fin) {
		c->dir[cd].data_fin = true;
		ev(x, MP_EV_DATA_FIN, MP_OK_UNKNOWN, "%s",
		   cd ? "server to client" : "client to server");
		/* RFC 8684 §3.3.3: DATA_FIN both ways closes the connection,
		 * whatever subflows linger (a dead path never sends its FIN) */
		if (c->dir[0].data_fin && c->dir[1].data_fin)
			conn_close(x, c, MP_CLOSE_DATA_FIN);
	}
}

static void opt_dss(struct pctx *x, const struct mp_dss *d)
{
	struct mp_subflow *sf = x->sf;
	struct mp_conn *c;

	if (!sf->conn) {
		try_attach(x, d);
		if (!sf->conn && (d->flags & DSS_M) && (d->flags & DSS_m) && d->dll)
			partial_seed(x);
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

static void fmt_addr(char *buf, size_t n, uint8_t family, const uint8_t *a);

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
		ev(x, aa->echo ? MP_EV_ADD_ADDR_ECHO : MP_EV_ADD_ADDR,
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
		ev(x, MP_EV_ADD_ADDR_ECHO, ent ? MP_OK_TRUE : MP_OK_FALSE,
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
	ev(x, MP_EV_ADD_ADDR, ok, "id %u %s by %s%s%s", aa->addr_id, abuf,
	   host ? "server" : "client",
	   ok == MP_OK_TRUE ? ", hmac " : "",
	   ok == MP_OK_TRUE ? mp_hmac_side_name((enum mp_hmac_side)side) : "");
	if (ok == MP_OK_FALSE)
		ev(x, MP_EV_HMAC_FAILURE, MP_OK_FALSE, "add_addr id %u %s",
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
		ev(x, MP_EV_REMOVE_ADDR, MP_OK_UNKNOWN, "ids %s (no connection)", ids);
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
	ev(x, MP_EV_REMOVE_ADDR, sfs[0] ? MP_OK_TRUE : MP_OK_FALSE,
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
	ev(x, MP_EV_MP_PRIO, sfs[0] ? MP_OK_TRUE : MP_OK_FALSE,
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
	ev(x, MP_EV_MP_FASTCLOSE, ok, "receiver key 0x%016llx",
	   (unsigned long long)f->receiver_key);
	if (c) {
		c->close_reason = MP_CLOSE_FASTCLOSE;
		conn_close(x, c, MP_CLOSE_FASTCLOSE);
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
	ev(x, MP_EV_MP_FAIL, MP_OK_UNKNOWN, "dsn %llu%s", (unsigned long long)f->dsn,
	   !c ? "" : others ? ", other subflows open: this subflow fails"
			    : ", single subflow: connection falls back");
	if (!c)
		return;
	if (others) {
		if (sf->fallback == MP_FB_NONE)
			sf->fallback = MP_FB_MP_FAIL;
	} else {
		set_fallback(x, MP_FB_MP_FAIL);
	}
}

static void opt_malformed(struct pctx *x, const struct mp_opt *o)
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
		ev(x, MP_EV_MALFORMED, MP_OK_FALSE, "%s len %u caplen %u off %u%s%s",
		   mp_err_name((enum mp_err)o->err), o->len, o->caplen, o->off,
		   n ? " raw 0x" : "", raw);
	}
}

/* Every MPTCP option of the packet, in wire order. Out of line: the
 * typical packet (one DSS option) takes mp_engine_packet's fast path. */
__attribute__((noinline))
static void options(struct pctx *x)
{
	const struct mp_opts *opts = &x->p->opts;

	for (unsigned i = 0; i < opts->n; i++) {
		const struct mp_opt *o = &opts->v[i];

		if (o->err != MP_E_NONE) {
			opt_malformed(x, o);
			continue;
		}
		switch (o->subtype) {
		case MPTCP_SUB_CAPABLE:
			opt_capable(x, &o->u.capable);
			break;
		case MPTCP_SUB_JOIN:
			opt_join(x, &o->u.join, i);
			break;
		case MPTCP_SUB_DSS:
			opt_dss(x, &o->u.dss);
			break;
		case MPTCP_SUB_ADD_ADDR:
			opt_add_addr(x, &o->u.add_addr, i);
			break;
		case MPTCP_SUB_REMOVE_ADDR:
			opt_remove_addr(x, &o->u.remove_addr);
			break;
		case MPTCP_SUB_PRIO:
			opt_prio(x, &o->u.prio);
			break;
		case MPTCP_SUB_FAIL:
			opt_fail(x, &o->u.fail);
			break;
		case MPTCP_SUB_FASTCLOSE:
			opt_fastclose(x, &o->u.fastclose);
			break;
		case MPTCP_SUB_TCPRST:
			x->has_tcprst = true;
			x->tcprst_reason = o->u.tcprst.reason;
			ev(x, MP_EV_MP_TCPRST, MP_OK_UNKNOWN, "reason %u %s%s",
			   o->u.tcprst.reason,
			   mp_tcprst_reason_name(o->u.tcprst.reason),
			   (o->u.tcprst.flags & TCPRST_T) ? " transient" : "");
			break;
		default:
			break;
		}
	}
}

/* ---- helpers ------------------------------------------------------ */

static void fmt_addr(char *buf, size_t n, uint8_t family, const uint8_t *a)
{
	if (family == 6) {
		size_t l = 0;
		buf[0] = '\0';
		for (int k = 0; k < 8 && l + 6 < n; k++)
			l += (size_t)snprintf(buf + l, n - l, "%s%x", k ? ":" : "",
					      (unsigned)(a[2 * k] << 8 | a[2 * k + 1]));
	} else {
		snprintf(buf, n, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
	}
}

static bool has_subtype(const struct mp_opts *o, uint8_t subtype)
{
	for (unsigned i = 0; i < o->n; i++)
		if (o->v[i].subtype == subtype && o->v[i].err == MP_E_NONE)
			return true;
	return false;
}

/* The SYN and SYN/ACK of a subflow (tcp_handshake). */
__attribute__((noinline))
static void tcp_handshake_syn(struct pctx *x)
{
	struct mp_subflow *sf = x->sf;
	const struct mp_pkt *p = x->p;
	uint8_t fl = p->flags;

	if (!(fl & MP_TH_ACK)) {
		if (x->d == 0 && !sf->syn_ts) {
			sf->syn_ts = x->ts;
			sf->syn_frame = x->frame;
			sf->isn[0] = p->seq;
			sf->isn_valid[0] = true;
			sf->state = MP_SFS_SYN_SENT;
		}
		return;
	}
	if (x->d != 1 || sf->synack_seen)
		return;
	sf->synack_seen = true;
	sf->isn[1] = p->seq;
	sf->isn_valid[1] = true;
	if (sf->state < MP_SFS_SYN_RCVD)
		sf->state = MP_SFS_SYN_RCVD;
	if (sf->kind == MP_SF_INITIAL &&
	    !has_subtype(&p->opts, MPTCP_SUB_CAPABLE))
		set_fallback(x, MP_FB_NO_MPC_SYNACK);
	else if (sf->kind == MP_SF_JOIN &&
		 !has_subtype(&p->opts, MPTCP_SUB_JOIN))
		set_fallback(x, MP_FB_JOIN_REFUSED);
}

/* An ACK without SYN: the third ACK, or a join's fourth (tcp_handshake). */
__attribute__((noinline))
static void tcp_handshake_ack(struct pctx *x)
{
	struct mp_subflow *sf = x->sf;
	const struct mp_pkt *p = x->p;

	if (x->d == 0 && sf->synack_seen && !sf->ack3_seen) {
		sf->ack3_seen = true;
		sf->established_ts = x->ts;
		if (sf->state < MP_SFS_ESTABLISHED)
			sf->state = MP_SFS_ESTABLISHED;
		if (sf->kind == MP_SF_INITIAL && p->opts.n == 0 && sf->conn &&
		    sf->conn->fallback == MP_FB_NONE)
			set_fallback(x, MP_FB_NO_MPC_ACK);
	} else if (x->d == 1 && sf->kind == MP_SF_JOIN && sf->ack3_seen &&
		   !sf->ack4_seen) {
		sf->ack4_seen = true;
		ev(x, MP_EV_JOIN_ACK_RESPONDER, MP_OK_UNKNOWN, NULL);
	}
}

/* Handshake progress from the TCP flags (events come from the options).
 * Per packet only the test that nothing is left to do once a subflow's
 * handshake was seen: tcp_handshake_ack() acts only before the third ACK
 * (after a SYN/ACK) or, on a join, before the responder's ACK. */
static inline void tcp_handshake(struct pctx *x)
{
	const struct mp_subflow *sf = x->sf;
	uint8_t fl = x->p->flags;

	if (fl & MP_TH_SYN) {
		tcp_handshake_syn(x);
		return;
	}
	if (!(fl & MP_TH_ACK))
		return;
	if ((sf->synack_seen && !sf->ack3_seen) ||
	    (sf->kind == MP_SF_JOIN && !sf->ack4_seen))
		tcp_handshake_ack(x);
}

__attribute__((noinline))
static void tcp_endings_slow(struct pctx *x)
{
	struct mp_subflow *sf = x->sf;
	uint8_t fl = x->p->flags;

	if (fl & MP_TH_RST) {
		ev(x, MP_EV_RST, MP_OK_UNKNOWN, "%s",
		   x->d == 0 ? "from subflow initiator" : "from subflow responder");
		if (x->has_tcprst) {
			sf->tcprst_reason = x->tcprst_reason;
			sf_close(x, MP_CLOSE_TCPRST);
		} else {
			sf_close(x, MP_CLOSE_RST);
		}
		return;
	}
	if ((fl & MP_TH_FIN) && !sf->fin[x->d]) {
		sf->fin[x->d] = true;
		ev(x, MP_EV_FIN, MP_OK_UNKNOWN, "%s",
		   x->d == 0 ? "from subflow initiator" : "from subflow responder");
		if (sf->fin[0] && sf->fin[1])
			sf_close(x, MP_CLOSE_FIN);
		else if (sf->state < MP_SFS_CLOSING)
			sf->state = MP_SFS_CLOSING;
	}
}

/* Subflow endings from the TCP flags (RST, FIN): rare, out of line. */
static inline void tcp_endings(struct pctx *x)
{
	if (x->p->flags & (MP_TH_RST | MP_TH_FIN))
		tcp_endings_slow(x);
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	put16(b + 2, (uint16_t)v);
}

/* Feeds a data packet to the classifier as one IP packet of a single TCP
 * flow between the connection's initial endpoints, with synthetic sequence
 * numbers so that data from several subflows reads as one stream. */
static void app_feed(struct pctx *x, struct mp_conn *c)
{
	struct mp_engine *e = x->e;
	const struct mp_pkt *p = x->p;
	uint8_t buf[40 + 20 + 1500];
	size_t ip_len, n = p->payload_caplen;
	int cd = conn_dir(x->sf, x->d);
	size_t al = alen_of(c->family);
	uint8_t *t;

	if (!e->appid_tried) {
		e->appid_tried = true;
		e->appid = mp_appid_new();
	}
	if (!e->appid) {
		c->app_done = true;
		return;
	}
	if (!c->app_flow) {
		c->app_flow = mp_appid_flow_new();
		if (!c->app_flow) {
			c->app_done = true;
			return;
		}
		c->app_seq[0] = 1;
		c->app_seq[1] = 1;
	}
	if (n > 1500)
		n = 1500;
	memset(buf, 0, 60);
	if (c->family == 6) {
		ip_len = 40;
		buf[0] = 0x60;
		put16(buf + 4, (uint16_t)(20 + n));
		buf[6] = 6;
		buf[7] = 64;
		memcpy(buf + 8, c->addr[cd], 16);
		memcpy(buf + 24, c->addr[1 - cd], 16);
	} else {
		ip_len = 20;
		buf[0] = 0x45;
		put16(buf + 2, (uint16_t)(20 + 20 + n));
		buf[6] = 0x40;
		buf[8] = 64;
		buf[9] = 6;
		memcpy(buf + 12, c->addr[cd], al);
		memcpy(buf + 16, c->addr[1 - cd], al);
	}
	t = buf + ip_len;
	put16(t, c->port[cd]);
	put16(t + 2, c->port[1 - cd]);
	put32(t + 4, c->app_seq[cd]);
	put32(t + 8, c->app_seq[1 - cd]);
	t[12] = 5 << 4;
	t[13] = MP_TH_ACK | MP_TH_PSH;
	put16(t + 14, 65535);
	memcpy(t + 20, p->payload, n);
	c->app_seq[cd] += (uint32_t)n;
	if (mp_appid_feed(e->appid, c->app_flow, buf, ip_len + 20 + n,
			  x->ts / 1000000u, c->app_proto, sizeof c->app_proto)) {
		mp_appid_flow_free(c->app_flow);
		c->app_flow = NULL;
		c->app_done = true;
		return;
	}
	if (++c->app_pkts >= MP_APPID_MAX_PKTS)
		app_finish(e, c);
}

static void data_accounting(struct pctx *x)
{
	struct mp_subflow *sf = x->sf;
	struct mp_conn *c = sf->conn;
	const struct mp_pkt *p = x->p;

	sf->pkts[x->d]++;
	if (!p->payload_len)
		return;
	sf->bytes[x->d] += p->payload_len;
	if (!c)
		return;
	if (!x->has_dss_map && sf->map_dlen[x->d] && sf->isn_valid[x->d] &&
	    !(p->flags & MP_TH_SYN)) {
		/* a segment after the one that carried its mapping */
		uint32_t seg_len;
		uint64_t seg = mp_seg_dsn(sf->map_dsn64[x->d], sf->map_dlen[x->d],
					  sf->map_ssn[x->d], sf->isn[x->d], p->seq,
					  p->payload_len, &seg_len);
		if (seg_len)
			seg_account(x, c, conn_dir(sf, x->d), seg, seg_len);
	}
	if (!x->has_dss_map && !(p->flags & MP_TH_SYN) && !c->partial &&
	    c->fallback == MP_FB_NONE && sf->kind != MP_SF_PARTIAL &&
	    (sf->ack3_seen || sf->state >= MP_SFS_ESTABLISHED)) {
		/* RFC 8684 §3.7: data without a mapping means fallback, unless a
		 * mapping seen earlier on this subflow still covers it. */
		bool isn_known = x->d == 0 ? sf->syn_ts != 0 : sf->synack_seen;
		uint32_t rel_end = p->seq - sf->isn[x->d] + p->payload_len;
		if (!sf->map_known[x->d] ||
		    (isn_known && (int32_t)(rel_end - sf->map_end[x->d]) > 0))
			set_fallback(x, MP_FB_DATA_NO_DSS);
	}
	if (!c->app_done && !x->e->cfg.no_appid && p->payload_caplen && p->payload)
		app_feed(x, c);
}

/* ---- the engine --------------------------------------------------- */

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
	if (!hash_seed) {
		uint64_t s = 0;
		if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s)
			s = (uint64_t)time(NULL) * UINT64_C(0x9e3779b97f4a7c15) ^
			    (uint64_t)(uintptr_t)e;
		hash_seed = s | 1;
	}
	return e;
}

void mp_engine_free(struct mp_engine *e)
{
	if (!e)
		return;
	while (e->all_head)
		conn_finalize(e, e->all_head, MP_CLOSE_NONE);
	/* loose subflows in id order: the list is LRU, so pick the lowest */
	while (e->loose_head) {
		struct mp_subflow *low = e->loose_head;
		for (struct mp_subflow *s = low->lru_next; s; s = s->lru_next)
			if (s->id < low->id)
				low = s;
		sf_loose_finalize(e, low);
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
		ev_raw(e, 0, now_ns, c->id, 0, MP_EV_CONN_EXPIRED,
		       "idle for %llu s", (unsigned long long)((now_ns - c->last_ts) / 1000000000u));
		conn_finalize(e, c, MP_CLOSE_IDLE);
	}
	while (e->loose_head && now_ns > e->loose_head->last_ts &&
	       now_ns - e->loose_head->last_ts > idle)
		sf_loose_finalize(e, e->loose_head);
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
			conn_finalize(e, c, MP_CLOSE_NONE);
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

	return token_find(e, token, &host);
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
		HASH_FIND_BYHASHVALUE(hh, e->sf_tab, &key, sizeof key, hashv, sf);
	}
	if (sf && syn && !ack && sf_dir(sf, p) == 0 &&
	    (sf->state == MP_SFS_CLOSED || (sf->syn_ts && p->seq != sf->isn[0])) &&
	    (has_subtype(&p->opts, MPTCP_SUB_CAPABLE) ||
	     has_subtype(&p->opts, MPTCP_SUB_JOIN))) {
		sf_replace(e, sf); /* the 4-tuple is reused by a new subflow */
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
		if (syn && !ack && has_subtype(&p->opts, MPTCP_SUB_CAPABLE)) {
			sf = sf_new(x, &key, hashv, MP_SF_INITIAL, true);
		} else if (syn && !ack && has_subtype(&p->opts, MPTCP_SUB_JOIN)) {
			sf = sf_new(x, &key, hashv, MP_SF_JOIN, true);
		} else if (syn && ack && has_subtype(&p->opts, MPTCP_SUB_CAPABLE)) {
			sf = sf_new(x, &key, hashv, MP_SF_INITIAL, false);
		} else if (syn && ack && has_subtype(&p->opts, MPTCP_SUB_JOIN)) {
			sf = sf_new(x, &key, hashv, MP_SF_PARTIAL, false);
		} else {
			sf = sf_new(x, &key, hashv, MP_SF_PARTIAL, true);
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
			struct mp_conn *c = conn_new(x, o ? o->u.capable.version : 1);
			if (c)
				sf_attach(e, sf, c, true);
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
		/* untracked: still report its malformed MPTCP options */
		for (unsigned i = 0; i < p->opts.n; i++)
			if (p->opts.v[i].err != MP_E_NONE)
				opt_malformed(&x, &p->opts.v[i]);
		return;
	}
	if (ts_ns > x.sf->last_ts)
		x.sf->last_ts = ts_ns;
	if (!x.sf->conn && e->loose_tail != x.sf) {
		DL_UNLINK(e->loose_head, e->loose_tail, x.sf, lru_prev, lru_next);
		DL_APPEND(e->loose_head, e->loose_tail, x.sf, lru_prev, lru_next);
	}
	if (p->payload_len) {
		/* new data on this subflow, or a TCP-level retransmission */
		uint32_t end = p->seq + p->payload_len;
		int d = x.d;
		if (x.sf->snd_known[d] && (int32_t)(end - x.sf->snd_nxt[d]) <= 0) {
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
		/* the typical packet (options() would do just this) */
		dss_conn(&x, x.sf->conn, &p->opts.v[0].u.dss);
	else
		options(&x);
	tcp_endings(&x);
	data_accounting(&x);
	if (x.sf->conn)
		conn_touch(e, x.sf->conn, ts_ns);
	else if (created)
		ev(&x, MP_EV_UNATTRIBUTED_SUBFLOW, MP_OK_UNKNOWN,
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
