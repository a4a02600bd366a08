/* SPDX-License-Identifier: BSD-2-Clause */
/* stall.c - connection stalls: the DATA_ACK stands still while
 * subflow-level ACKs flow (stall.h has the definition).
 *
 * RFC 8684 §3.3.2 (DATA_ACK), §3.7 (fallback). Per connection and data
 * direction X → Y: the highest DATA_ACK from Y, and a candidate stall from
 * X's first mapped data packet beyond it. Each subflow that carries X's
 * data during the candidate must see its TCP ACK from Y advance (a dead
 * subflow is the failover analysis's outage, not a stall); the candidate
 * becomes a stall when X sends mapped data more than MP_STALL_NS after it
 * began, and is reported when Y's DATA_ACK advances or the connection
 * ends. */
#include <stdlib.h>
#include <string.h>

#define HASH_NONFATAL_OOM 1
#include <uthash.h>

#include "mpana/stall.h"

#define CACHE 64    /* connections by id & (CACHE - 1) */
#define SF_SLOTS 8  /* subflows followed per direction; data on more: no stall */

/* One subflow carrying X's data during a candidate. */
struct ssf {
	uint32_t id;     /* subflow id, 0: free */
	bool data;       /* carried X's mapped data during the candidate */
	bool acked;      /* its TCP ACK from Y advanced during the candidate */
	bool ack_known;  /* `ack` valid */
	uint32_t ack;    /* highest TCP ACK from Y on it */
};

/* One data direction X → Y of a connection. */
struct sdir {
	bool dack_known;       /* Y sent a DATA_ACK for X's data */
	bool cand;             /* a candidate stall is open */
	bool stalled;          /* and lasted: it is a stall */
	bool untracked;        /* X's data went on a subflow beyond SF_SLOTS */
	uint64_t dack;         /* highest DATA_ACK from Y */
	uint64_t hi;           /* highest data-level end X sent */
	struct mp_stall s;     /* the record being built */
	struct ssf sf[SF_SLOTS]; /* subflows of X's data */
};

struct sconn {
	UT_hash_handle hh;     /* by id */
	uint32_t id;           /* connection id */
	struct sdir d[2];      /* per data direction */
};

struct mp_st {
	struct mp_st_cfg cfg;      /* copy */
	struct sconn *conns;       /* table by id */
	struct sconn *cache[CACHE]; /* recent ones */
	uint64_t ignored;          /* connections not tracked (OOM) */
};

const char *mp_stall_dir_name(unsigned dir)
{
	return dir ? "s2c" : "c2s";
}

struct mp_st *mp_st_new(const struct mp_st_cfg *cfg)
{
	struct mp_st *st = calloc(1, sizeof *st);

	if (st && cfg)
		st->cfg = *cfg;
	return st;
}

void mp_st_free(struct mp_st *st)
{
	struct sconn *c, *tmp;

	if (!st)
		return;
	HASH_ITER(hh, st->conns, c, tmp) {
		HASH_DEL(st->conns, c);
		free(c);
	}
	free(st);
}

uint64_t mp_st_ignored(const struct mp_st *st)
{
	return st ? st->ignored : 0;
}

static struct sconn *conn_find(struct mp_st *st, uint32_t id)
{
	struct sconn *c = st->cache[id & (CACHE - 1)];

	if (c && c->id == id)
		return c;
	HASH_FIND(hh, st->conns, &id, sizeof id, c);
	if (c)
		st->cache[id & (CACHE - 1)] = c;
	return c;
}

__attribute__((noinline))
static struct sconn *conn_add(struct mp_st *st, uint32_t id)
{
	struct sconn *c = calloc(1, sizeof *c);

	if (!c) {
		st->ignored++;
		return NULL;
	}
	c->id = id;
	HASH_ADD(hh, st->conns, id, sizeof c->id, c);
	if (!st->conns) { /* the bucket array failed */
		free(c);
		st->ignored++;
		return NULL;
	}
	st->cache[id & (CACHE - 1)] = c;
	return c;
}

static struct ssf *slot(struct sdir *d, uint32_t sf, bool add)
{
	for (unsigned i = 0; i < SF_SLOTS; i++) {
		if (d->sf[i].id == sf)
			return &d->sf[i];
		if (!d->sf[i].id) {
			if (!add)
				return NULL;
			memset(&d->sf[i], 0, sizeof d->sf[i]);
			d->sf[i].id = sf;
			return &d->sf[i];
		}
	}
	return NULL;
}

static void report(struct mp_st *st, struct sdir *d)
{
	if (d->stalled && st->cfg.on_stall)
		st->cfg.on_stall(st->cfg.user, &d->s);
	d->cand = d->stalled = d->untracked = false;
}

/* Mapped data [.., end) from X in direction `x` on subflow `sf`. */
static void data_seen(struct sdir *d, uint32_t conn, unsigned x, uint32_t sf,
		      uint64_t frame, uint64_t ts, uint64_t end)
{
	struct ssf *s;

	if (end > d->hi)
		d->hi = end;
	if (!d->dack_known || end <= d->dack)
		return; /* acknowledged already: a late retransmission */
	if (!d->cand) {
		d->cand = true;
		d->stalled = d->untracked = false;
		for (unsigned i = 0; i < SF_SLOTS; i++)
			d->sf[i].data = d->sf[i].acked = false;
		memset(&d->s, 0, sizeof d->s);
		d->s.conn = conn;
		d->s.dir = (uint8_t)x;
		d->s.frame = frame;
		d->s.t_start = ts;
		d->s.data_ack = d->dack;
	}
	d->s.data_pkts++;
	d->s.dsn_end = d->hi;
	s = slot(d, sf, true);
	if (s)
		s->data = true;
	else
		d->untracked = true;
	if (d->stalled || d->untracked || ts - d->s.t_start <= MP_STALL_NS)
		return;
	for (unsigned i = 0; i < SF_SLOTS && d->sf[i].id; i++)
		if (d->sf[i].data && !d->sf[i].acked)
			return; /* a subflow whose ACK stopped: an outage */
	d->stalled = true;
}

/* Y's TCP ACK `ack` on subflow `sf` (acknowledging X's data). */
static void sf_ack_seen(struct sdir *d, uint32_t sf, uint32_t ack)
{
	struct ssf *s = slot(d, sf, true);

	if (!s)
		return;
	if (s->ack_known && (int32_t)(ack - s->ack) > 0 && d->cand) {
		s->acked = true;
		d->s.sf_acks++;
	}
	if (!s->ack_known || (int32_t)(ack - s->ack) > 0) {
		s->ack = ack;
		s->ack_known = true;
	}
}

void mp_st_packet(struct mp_st *st, uint64_t frame, uint64_t ts_ns,
		  const struct mp_pkt *p, const struct mp_pkt_ann *ann)
{
	unsigned x = ann->conn_dir & 1u; /* the sender's data direction */
	struct sconn *c = conn_find(st, ann->conn);
	struct sdir *mine, *theirs;

	if (__builtin_expect(!c, 0)) {
		if (!ann->has_dack && !ann->has_map)
			return; /* nothing at the data level yet */
		c = conn_add(st, ann->conn);
		if (!c)
			return;
	}
	mine = &c->d[x];
	theirs = &c->d[1 - x]; /* the other direction's data, which this acks */
	if (ann->has_map && ann->seg_dlen && p->payload_len &&
	    !(p->flags & MP_TH_SYN))
		data_seen(mine, c->id, x, ann->subflow, frame, ts_ns,
			  ann->seg_dsn + ann->seg_dlen);
	if (ann->has_dack &&
	    (!theirs->dack_known || ann->dack > theirs->dack)) {
		if (theirs->cand) {
			theirs->s.ended = true;
			theirs->s.end_frame = frame;
			theirs->s.t_end = ts_ns;
			report(st, theirs);
		}
		theirs->dack = ann->dack;
		theirs->dack_known = true;
	}
	if (p->flags & MP_TH_ACK)
		sf_ack_seen(theirs, ann->subflow, p->ack);
}

void mp_st_conn_end(struct mp_st *st, uint32_t conn, uint64_t last_ts)
{
	struct sconn *c;

	if (!st)
		return;
	c = conn_find(st, conn);
	if (!c)
		return;
	for (unsigned x = 0; x < 2; x++) {
		struct sdir *d = &c->d[x];
		if (!d->cand)
			continue;
		d->s.ended = false;
		d->s.end_frame = 0;
		d->s.t_end = last_ts > d->s.t_start ? last_ts : d->s.t_start;
		report(st, d);
	}
	st->cache[conn & (CACHE - 1)] = NULL;
	HASH_DEL(st->conns, c);
	free(c);
}
