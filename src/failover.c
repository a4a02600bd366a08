/* SPDX-License-Identifier: BSD-2-Clause */
/* failover.c - failover detection from per-packet data-level progress.
 *
 * RFC 8684 §3.3 (DSS mappings and DATA_ACK), definition in MPTCP-NOTES.md
 * ("Failover latency") and include/mpana/failover.h. Per connection and
 * data direction it follows the DATA_ACK; per subflow and direction the
 * DSN ranges mapped on it, its last DATA_ACK advance, its subflow-level
 * TCP ACK and the first explicit failure signal since its last progress.
 * Fixed-size records, allocated when a connection or a subflow first
 * appears; nothing per packet. */
#include <stdlib.h>
#include <string.h>

#define HASH_NONFATAL_OOM 1
#include <uthash.h>

#include "mpana/failover.h"

/* One mapped DSN range [lo, hi). */
struct range {
	uint64_t lo, hi; /* 64-bit DSNs */
};

/* A candidate failover, waiting for the end of the connection. */
struct cand {
	bool active;          /* found, not cancelled, not yet reported */
	bool reported;        /* one failover per subflow and direction */
	uint32_t snd_end;     /* TCP sequence end sent on S when found */
	struct mp_fo_result r; /* the figures */
};

/* State of one subflow for one data direction d (data sent in d). */
struct sfdir {
	bool dsn_known;        /* dsn_hi valid */
	uint64_t dsn_hi;       /* highest DSN end mapped on it */
	uint8_t n_ranges;      /* entries used in ranges */
	uint8_t range_pos;     /* slot of the newest range */
	struct range ranges[MP_FO_RANGES]; /* recent mappings, contiguous ones merged */
	bool gap_ok;           /* [gap_lo, gap_hi) is free of ranges (gap_fits) */
	uint64_t gap_lo, gap_hi; /* idem */
	/* progress: the last packet on it whose DATA_ACK of d advanced past
	 * the DATA_ACKs seen on it before (own_dack) */
	bool own_known;        /* own_dack valid */
	uint64_t own_dack;     /* highest DATA_ACK of d carried on it */
	bool adv_known;        /* an advance was seen */
	uint64_t adv_ts, adv_frame; /* its time and packet */
	uint64_t adv_dack;     /* the DATA_ACK then */
	uint64_t adv_hi;       /* highest DSN end mapped on it then */
	bool out_known;        /* it had data outstanding then, or mapped some since */
	/* the first explicit failure signal since the last advance */
	uint8_t sig;           /* enum mp_fo_signal, NONE when none */
	uint64_t sig_ts, sig_frame; /* when */
	uint64_t sig_dack, sig_hi; /* DATA_ACK and dsn_hi then */
	/* TCP level */
	bool snd_known;        /* snd_end valid */
	uint32_t snd_end;      /* highest sequence end sent in d */
	bool ack_known;        /* ack_hi valid */
	uint32_t ack_hi;       /* highest ACK of that data received on it */
	uint64_t sf_ack_ts;    /* when ack_hi last advanced */
	/* since the last advance */
	uint64_t reinj_ts, reinj_frame; /* first re-send elsewhere, 0 none */
	uint64_t stall_ns;     /* longest DATA_ACK gap since t_fail */
	struct cand cand;      /* pending failover */
};

struct connst;

struct sfst {
	uint32_t id;           /* subflow id */
	uint8_t idx;           /* its slot in conn->sf */
	struct connst *conn;   /* owner */
	struct sfdir d[2];     /* per data direction */
};

struct connst {
	UT_hash_handle hh;     /* fo->conns by id */
	uint32_t id;           /* connection id */
	bool dack_known[2];    /* dack valid, per data direction */
	uint64_t dack[2];      /* highest DATA_ACK of each data direction */
	uint64_t dack_ts[2];   /* when it last advanced */
	uint8_t n_sf;          /* entries used in sf */
	uint8_t scan[2];       /* per data direction, bit i: sf[i] has data
				* mapped and no reinjection found since its
				* last advance, the ones on_map looks at
				* (scan_note) */
	struct sfst *sf[MP_FO_SUBFLOWS]; /* subflows in order of appearance */
};

#define FO_CACHE 64 /* entries of the connection lookup cache */

struct mp_fo {
	mp_fo_fn *fn;          /* report callback */
	void *user;            /* its argument */
	struct connst *conns;  /* by id, insertion order */
	struct connst *cache[FO_CACHE]; /* by id % FO_CACHE: recent lookups */
	struct sfst *sf_cache[FO_CACHE]; /* by subflow id % FO_CACHE: idem */
	uint64_t ignored;      /* packets not tracked */
};

static bool after(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b) > 0;
}

static bool after_eq(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b) >= 0;
}

static bool after32(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

const char *mp_fo_signal_name(unsigned sig)
{
	static const char *const n[MP_FO_SIG__COUNT] = {
		"", "last_data_ack", "rst", "mp_tcprst", "fin", "remove_addr",
		"mp_prio_backup",
	};
	return sig < MP_FO_SIG__COUNT ? n[sig] : "unknown";
}

const char *mp_fo_vantage_name(unsigned v)
{
	static const char *const n[] = { "unknown", "sender", "receiver" };
	return v < 3 ? n[v] : "unknown";
}

struct mp_fo *mp_fo_new(mp_fo_fn *fn, void *user)
{
	struct mp_fo *fo = calloc(1, sizeof *fo);

	if (!fo)
		return NULL;
	fo->fn = fn;
	fo->user = user;
	return fo;
}

uint64_t mp_fo_ignored(const struct mp_fo *fo)
{
	return fo ? fo->ignored : 0;
}

static struct connst *conn_find_slow(struct mp_fo *fo, uint32_t id, bool create);

static inline struct connst *conn_find(struct mp_fo *fo, uint32_t id, bool create)
{
	/* connection ids are small and sequential: a direct-mapped cache
	 * skips the hash on almost every packet (88 instructions per packet,
	 * docs/performance.md); the hit is inlined into mp_fo_packet (a call
	 * saving every register for the hash path cost 26 per packet) */
	struct connst *c = fo->cache[id % FO_CACHE];

	if (c && c->id == id)
		return c;
	return conn_find_slow(fo, id, create);
}

__attribute__((noinline))
static struct connst *conn_find_slow(struct mp_fo *fo, uint32_t id, bool create)
{
	struct connst *c = NULL;

	HASH_FIND(hh, fo->conns, &id, sizeof id, c);
	if (c)
		fo->cache[id % FO_CACHE] = c;
	if (c || !create)
		return c;
	c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->id = id;
	HASH_ADD(hh, fo->conns, id, sizeof c->id, c);
	if (!fo->conns) { /* uthash could not allocate its table */
		free(c);
		return NULL;
	}
	return c;
}

static struct sfst *sf_find(struct connst *c, uint32_t id, bool create)
{
	struct sfst *s;

	for (unsigned i = 0; i < c->n_sf; i++)
		if (c->sf[i]->id == id)
			return c->sf[i];
	if (!create || c->n_sf >= MP_FO_SUBFLOWS)
		return NULL;
	s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->id = id;
	s->idx = c->n_sf;
	s->conn = c;
	c->sf[c->n_sf++] = s;
	return s;
}

/* The vantage for a failover: the capture holds segments of the failed
 * subflow that were never acknowledged on it (the detection requires it),
 * so it was taken on the sender's side of the loss. A capture on the
 * receiver's side never sees the stranded data. */
static uint8_t vantage_of(const struct connst *c, unsigned d)
{
	(void)c;
	(void)d;
	return MP_FO_VANTAGE_SENDER;
}

/* t_fail of s in its current episode: the signal, else the last advance.
 * Returns false when it has none or had nothing outstanding. */
static bool fail_point(const struct sfdir *s, uint64_t *ts, uint64_t *frame,
		       uint64_t *dack, uint64_t *hi, uint8_t *sig)
{
	if (s->sig != MP_FO_SIG_NONE) {
		*ts = s->sig_ts;
		*frame = s->sig_frame;
		*dack = s->sig_dack;
		*hi = s->sig_hi;
		*sig = s->sig;
		return after(s->sig_hi, s->sig_dack);
	}
	if (!s->adv_known || !s->out_known)
		return false; /* no data on it since its last progress */
	*ts = s->adv_ts;
	*frame = s->adv_frame;
	*dack = s->adv_dack;
	*hi = s->adv_hi;
	*sig = MP_FO_SIG_DATA_ACK;
	return true;
}

/* Whether s still has data sent in its direction without a TCP ACK on it. */
static bool tcp_unacked(const struct sfdir *s)
{
	return s->snd_known && (!s->ack_known || after32(s->snd_end, s->ack_hi));
}

static void report(struct mp_fo *fo, struct sfdir *s)
{
	if (!s->cand.active)
		return;
	s->cand.active = false;
	s->cand.reported = true;
	if (fo->fn)
		fo->fn(fo->user, &s->cand.r);
}

/* Keeps s's bit of c->scan[d]: dsn_known and reinj_ts of s->d[d] changed. */
static void scan_note(struct connst *c, const struct sfst *s, unsigned d)
{
	unsigned bit = 1u << s->idx;

	if (s->d[d].dsn_known && !s->d[d].reinj_ts)
		c->scan[d] = (uint8_t)(c->scan[d] | bit);
	else
		c->scan[d] = (uint8_t)(c->scan[d] & ~bit);
}

/* A DSN gap between the ranges of one subflow and direction (sfdir.gap_*),
 * so that a later mapping inside it needs no look at them (on_map). With
 * gap_ok, W = gap_hi - gap_lo < GAP_SPAN and every range r of it fits
 * (gap_fits): it ends before the gap, gap_lo - r->hi < GAP_SPAN, or it
 * starts after, r->lo - gap_hi < GAP_SPAN, and is narrow, r->hi - r->lo <
 * GAP_SPAN (unsigned differences). Then a mapping [dsn, dsn + len) inside
 * the gap (x = dsn - gap_lo <= W, len <= W - x) overlaps none of them:
 *  - r before: dsn - r->hi = x + (gap_lo - r->hi) is below 2^62, so r->hi
 *    is not after dsn;
 *  - r after: z = r->lo - end = (r->lo - gap_hi) + (W - x - len) is below
 *    2^62, so end is not after r->lo; when the outstanding start is the
 *    DATA_ACK f instead, after r->lo by y, r->hi is after f only for
 *    y < r->hi - r->lo < GAP_SPAN, and then end - f = -(z + y) is not
 *    after 0 either.
 * The gap stays valid whatever the DATA_ACK does; a range of the subflow
 * that changes is checked against it (on_map). */
#define GAP_SPAN (UINT64_C(1) << 61)
#define GAP_NEAR (UINT64_C(1) << 60) /* gap_find: ranges this close only */

static bool gap_fits(const struct sfdir *s, const struct range *r)
{
	return s->gap_lo - r->hi < GAP_SPAN ||
	       (r->lo - s->gap_hi < GAP_SPAN && r->hi - r->lo < GAP_SPAN);
}

/* Whether [dsn, dsn + len) lies inside s's gap. */
static bool in_gap(const struct sfdir *s, uint64_t dsn, uint32_t len)
{
	uint64_t x = dsn - s->gap_lo, w = s->gap_hi - s->gap_lo;

	return s->gap_ok && x <= w && len <= w - x;
}

/* Makes s's gap start at dsn and end at the nearest range starting at or
 * after dsn + len (at most GAP_NEAR after it); invalid when a range lies
 * across or too far from it. */
static void gap_find(struct sfdir *s, uint64_t dsn, uint32_t len)
{
	uint64_t end = dsn + len, up = GAP_NEAR;

	s->gap_ok = false;
	for (unsigned k = 0; k < s->n_ranges; k++) {
		const struct range *r = &s->ranges[k];
		uint64_t b = r->lo - end;
		if (dsn - r->hi < GAP_NEAR)
			continue; /* ends at or before dsn */
		if (b >= GAP_NEAR || r->hi - r->lo >= GAP_SPAN)
			return;
		if (b < up)
			up = b;
	}
	s->gap_lo = dsn;
	s->gap_hi = end + up;
	s->gap_ok = true;
}

/* Data of direction d mapped on subflow t: [dsn, dsn + len). */
static void on_map(struct connst *c, struct sfst *t, unsigned d, uint64_t dsn,
		   uint32_t len, uint64_t ts, uint64_t frame)
{
	struct sfdir *td = &t->d[d];
	uint64_t end = dsn + len;
	struct range *last;

	/* reinjection: the range overlaps data outstanding on another subflow
	 * with data mapped and no reinjection yet (c->scan; the connection's
	 * DATA_ACK is read once: the loop writes only the other subflows'
	 * reinj_ts/reinj_frame) */
	const bool dk = c->dack_known[d];
	const uint64_t floor = dk ? c->dack[d] : 0;
	for (unsigned m = c->scan[d] & ~(1u << t->idx); m; m &= m - 1) {
		struct sfst *o = c->sf[__builtin_ctz(m)];
		struct sfdir *s = &o->d[d];
		unsigned n;
		bool hit;
		if (!after(s->dsn_hi, floor) || in_gap(s, dsn, len))
			continue; /* in_gap: the common case */
		n = s->n_ranges;
		hit = false;
		for (unsigned k = 0; k < n && !hit; k++) {
			const struct range *r = &s->ranges[k];
			uint64_t lo;
			if (!after(r->hi, dsn))
				continue; /* ends before dsn */
			lo = dk && after(floor, r->lo) ? floor : r->lo;
			hit = after(r->hi, lo) && after(end, lo);
		}
		if (hit) {
			s->reinj_ts = ts;
			s->reinj_frame = frame;
			scan_note(c, o, d);
		} else {
			gap_find(s, dsn, len); /* for the next mappings */
		}
	}
	/* keep the range, merged with the newest one when contiguous */
	last = td->n_ranges ? &td->ranges[td->range_pos] : NULL;
	if (last && after_eq(dsn, last->lo) && after_eq(last->hi, dsn)) {
		if (after(end, last->hi))
			last->hi = end;
	} else {
		if (td->n_ranges)
			td->range_pos = (uint8_t)((td->range_pos + 1) % MP_FO_RANGES);
		td->ranges[td->range_pos].lo = dsn;
		td->ranges[td->range_pos].hi = end;
		if (td->n_ranges < MP_FO_RANGES)
			td->n_ranges++;
	}
	if (td->gap_ok && !gap_fits(td, &td->ranges[td->range_pos]))
		td->gap_ok = false;
	if (!td->dsn_known || after(end, td->dsn_hi)) {
		if (td->cand.active)
			td->cand.r.t_recovered_ns = 0; /* more data on it to recover */
		td->dsn_hi = end;
		if (!td->dsn_known) {
			td->dsn_known = true;
			scan_note(c, t, d);
		}
	}
	/* nothing was outstanding at its last advance: the first data it
	 * sends after is what a failure strands */
	if (td->adv_known && !td->out_known) {
		td->adv_hi = end;
		td->out_known = true;
	}
}

/* The connection-level DATA_ACK of d advanced to a on a packet of t:
 * judges every other subflow's episode. */
static void conn_dack(struct connst *c, struct sfst *t, unsigned d, uint64_t a,
		      uint64_t ts, uint64_t frame)
{
	uint64_t prev = c->dack[d], prev_ts = c->dack_ts[d];
	bool had = c->dack_known[d];

	c->dack[d] = a;
	c->dack_ts[d] = ts;
	c->dack_known[d] = true;

	for (unsigned i = 0; i < c->n_sf; i++) {
		struct sfdir *s = &c->sf[i]->d[d];
		uint64_t f_ts, f_frame, f_dack, f_hi, gap, thr;
		uint8_t sig;

		if (c->sf[i] == t)
			continue;
		if (s->cand.active) {
			if (!s->cand.r.t_recovered_ns && s->dsn_known &&
			    after_eq(a, s->dsn_hi))
				s->cand.r.t_recovered_ns = ts;
			continue;
		}
		if (s->cand.reported || !fail_point(s, &f_ts, &f_frame, &f_dack, &f_hi, &sig))
			continue;
		/* the longest DATA_ACK gap since t_fail */
		if (had) {
			gap = ts - (after(prev_ts, f_ts) ? prev_ts : f_ts);
			if ((int64_t)gap > 0 && gap > s->stall_ns)
				s->stall_ns = gap;
		}
		/* the DATA_ACK must pass what was outstanding at t_fail, or
		 * at least advance when nothing was */
		thr = after(f_hi, f_dack) ? f_hi : f_dack + 1;
		if (!after_eq(a, thr) || (had && after_eq(prev, thr)) ||
		    !tcp_unacked(s))
			continue;
		/* t_resume: the DATA_ACK passes what s had outstanding */
		memset(&s->cand, 0, sizeof s->cand);
		s->cand.active = true;
		s->cand.snd_end = s->snd_end;
		s->cand.r.conn = c->id;
		s->cand.r.dir = (uint8_t)d;
		s->cand.r.vantage = vantage_of(c, d);
		s->cand.r.signal = sig;
		s->cand.r.from_sf = c->sf[i]->id;
		s->cand.r.to_sf = t->id;
		s->cand.r.t_fail_ns = f_ts;
		s->cand.r.fail_frame = f_frame;
		s->cand.r.t_last_sf_ack_ns = s->sf_ack_ts;
		s->cand.r.t_reinject_ns = s->reinj_ts;
		s->cand.r.reinject_frame = s->reinj_frame;
		s->cand.r.t_resume_ns = ts;
		s->cand.r.resume_frame = frame;
		s->cand.r.t_recovered_ns = s->dsn_known && after_eq(a, s->dsn_hi) ? ts : 0;
		s->cand.r.stall_ns = s->stall_ns;
		s->cand.r.dsn_acked = f_dack;
		s->cand.r.dsn_outstanding = f_hi;
		s->cand.r.bytes_stranded = s->dsn_known && after(s->dsn_hi, f_dack)
					   ? s->dsn_hi - f_dack : 0;
	}
}

/* A DATA_ACK of data direction d, value a, carried on subflow t. */
static void on_dack(struct connst *c, struct sfst *t, unsigned d, uint64_t a,
		    uint64_t ts, uint64_t frame)
{
	struct sfdir *td = &t->d[d];
	uint64_t prev = c->dack[d];
	bool had = c->dack_known[d];

	/* progress on t itself starts a new episode (after the others are
	 * judged: t's own DATA_ACK may be the one that resumes them) */
	if (!had || after(a, prev))
		conn_dack(c, t, d, a, ts, frame);
	if (td->own_known && !after(a, td->own_dack))
		return;
	td->own_known = true;
	td->own_dack = a;
	td->adv_known = true;
	td->adv_ts = ts;
	td->adv_frame = frame;
	td->adv_dack = c->dack[d]; /* connection level, >= a */
	/* outstanding: sent on t without a subflow-level ACK yet; when
	 * there is none, the first segment t sends next (on_map) */
	td->out_known = td->dsn_known && tcp_unacked(td) &&
			after(td->dsn_hi, td->adv_dack);
	td->adv_hi = td->out_known ? td->dsn_hi : td->adv_dack;
	td->sig = MP_FO_SIG_NONE;
	td->reinj_ts = 0;
	scan_note(c, t, d);
	td->reinj_frame = 0;
	td->stall_ns = 0;
}

/* The subflow record of (conn, subflow), both nonzero, created when new;
 * NULL when it cannot be tracked. Also caches it (see mp_fo_packet). */
static struct sfst *sf_of(struct mp_fo *fo, uint32_t conn, uint32_t subflow)
{
	struct connst *c = conn_find(fo, conn, true);
	struct sfst *t = c ? sf_find(c, subflow, true) : NULL;

	if (t)
		fo->sf_cache[subflow % FO_CACHE] = t;
	return t;
}

void mp_fo_packet(struct mp_fo *fo, const struct mp_fo_pkt *p)
{
	struct connst *c;
	struct sfst *t;
	unsigned d = p->dir & 1u, rd = 1u - d;

	if (!fo)
		return;
	/* subflow ids are small and sequential like connection ids: a
	 * direct-mapped cache by subflow id, checked against both ids, finds
	 * the record without conn_find and sf_find on almost every packet;
	 * it holds only records with nonzero ids, so a hit also passes the
	 * check for packets without a connection or subflow */
	t = fo->sf_cache[p->subflow % FO_CACHE];
	if (!t || t->id != p->subflow || t->conn->id != p->conn) {
		if (!p->conn || !p->subflow)
			return;
		t = sf_of(fo, p->conn, p->subflow);
		if (!t) {
			fo->ignored++;
			return;
		}
	}
	c = t->conn;
	/* TCP level: data sent in d, acknowledgments of direction rd */
	if (p->payload_len) {
		struct sfdir *s = &t->d[d];
		uint32_t end = p->seq + p->payload_len;
		if (!s->snd_known || after32(end, s->snd_end)) {
			s->snd_end = end;
			s->snd_known = true;
		}
	}
	if (p->ack_flag) {
		struct sfdir *s = &t->d[rd];
		if (!s->ack_known || after32(p->ack, s->ack_hi)) {
			s->ack_hi = p->ack;
			s->ack_known = true;
			s->sf_ack_ts = p->ts_ns;
			/* acknowledged on the subflow after all: only slow */
			if (s->cand.active && !after32(s->cand.snd_end, p->ack))
				s->cand.active = false;
		}
	}
	if (p->has_map && p->dll)
		on_map(c, t, d, p->dsn, p->dll, p->ts_ns, p->frame);
	if (p->has_dack)
		on_dack(c, t, rd, p->dack, p->ts_ns, p->frame);
}

void mp_fo_signal(struct mp_fo *fo, uint32_t conn, uint32_t subflow,
		  unsigned sig, uint64_t ts_ns, uint64_t frame)
{
	struct connst *c;
	struct sfst *s;

	if (!fo || sig <= MP_FO_SIG_DATA_ACK || sig >= MP_FO_SIG__COUNT)
		return;
	c = conn_find(fo, conn, false);
	s = c ? sf_find(c, subflow, false) : NULL;
	if (!s)
		return;
	for (unsigned d = 0; d < 2; d++) {
		struct sfdir *sd = &s->d[d];
		uint64_t dack = c->dack_known[d] ? c->dack[d] : 0;
		if (sd->sig != MP_FO_SIG_NONE || !sd->dsn_known ||
		    (c->dack_known[d] && !after(sd->dsn_hi, dack)))
			continue; /* nothing outstanding on it */
		sd->sig = (uint8_t)sig;
		sd->sig_ts = ts_ns;
		sd->sig_frame = frame;
		sd->sig_dack = dack;
		sd->sig_hi = sd->dsn_hi;
		sd->stall_ns = 0;
	}
}

static void conn_drop(struct mp_fo *fo, struct connst *c)
{
	for (unsigned i = 0; i < c->n_sf; i++) {
		for (unsigned d = 0; d < 2; d++) {
			report(fo, &c->sf[i]->d[d]);
		}
	}
	for (unsigned i = 0; i < c->n_sf; i++) {
		if (fo->sf_cache[c->sf[i]->id % FO_CACHE] == c->sf[i])
			fo->sf_cache[c->sf[i]->id % FO_CACHE] = NULL;
		free(c->sf[i]);
	}
	HASH_DELETE(hh, fo->conns, c);
	if (fo->cache[c->id % FO_CACHE] == c)
		fo->cache[c->id % FO_CACHE] = NULL;
	free(c);
}

void mp_fo_conn_end(struct mp_fo *fo, uint32_t conn)
{
	struct connst *c = fo ? conn_find(fo, conn, false) : NULL;

	if (c)
		conn_drop(fo, c);
}

void mp_fo_free(struct mp_fo *fo)
{
	if (!fo)
		return;
	while (fo->conns)
		conn_drop(fo, fo->conns);
	free(fo);
}
