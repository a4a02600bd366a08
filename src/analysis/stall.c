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

#include "mpana/seq.h"
#include "mpana/stall.h"

#define CACHE 64    /* connections by id & (CACHE - 1) */
#define SF_SLOTS 8  /* subflows followed per direction; data on more: no stall */

/* One subflow carrying X's data while a candidate is followed. */
struct ssf {
	uint32_t id;     /* subflow id, 0: free */
	bool data;       /* carried X's mapped data meanwhile */
	bool acked;      /* its TCP ACK from Y advanced meanwhile */
	bool ack_known;  /* `ack` valid */
	uint32_t ack;    /* highest TCP ACK from Y on it */
};

/* One data direction X → Y of a connection. A candidate opens at X's
 * first mapped data beyond the DATA_ACK and closes at the next DATA_ACK
 * advance (in normal traffic: one round trip later), at the cost of a few
 * stores; only one that lasts MP_STALL_NS / 2 is followed per subflow. */
struct sdir {
	bool dack_known;       /* Y sent a DATA_ACK for X's data */
	bool cand;             /* a candidate stall is open */
	bool follow;           /* and followed per subflow (older than FOLLOW_NS) */
	bool stalled;          /* and lasted: it is a stall */
	bool untracked;        /* X's data went on a subflow beyond SF_SLOTS */
	uint64_t dack;         /* highest DATA_ACK from Y */
	uint64_t hi;           /* highest data-level end X sent */
	uint64_t frame, ts;    /* the candidate's first packet */
	uint64_t data_pkts;    /* X's mapped data packets since */
	uint64_t sf_acks;      /* Y's subflow ACK advances while followed */
	struct ssf sf[SF_SLOTS]; /* subflows, while followed */
};

#define FOLLOW_NS (MP_STALL_NS / 2) /* candidates older than this are followed */

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

static struct ssf *slot(struct sdir *d, uint32_t sf)
{
	for (unsigned i = 0; i < SF_SLOTS; i++) {
		if (d->sf[i].id == sf)
			return &d->sf[i];
		if (!d->sf[i].id) {
			d->sf[i].id = sf;
			return &d->sf[i];
		}
	}
	return NULL;
}

/* Reports the candidate of direction x when it became a stall; closes it. */
static void cand_close(struct mp_st *st, struct sconn *c, unsigned x,
		       bool ended, uint64_t end_frame, uint64_t t_end)
{
	struct sdir *d = &c->d[x];
	struct mp_stall s;

	if (d->stalled && st->cfg.on_stall) {
		memset(&s, 0, sizeof s);
		s.conn = c->id;
		s.dir = (uint8_t)x;
		s.ended = ended;
		s.frame = d->frame;
		s.t_start = d->ts;
		s.end_frame = end_frame;
		s.t_end = t_end > d->ts ? t_end : d->ts;
		s.data_ack = d->dack;
		s.dsn_end = d->hi;
		s.data_pkts = d->data_pkts;
		s.sf_acks = d->sf_acks;
		st->cfg.on_stall(st->cfg.user, &s);
	}
	d->cand = d->follow = d->stalled = false;
}

/* An old candidate: from now on each subflow carrying X's data must see
 * its ACK from Y advance. */
__attribute__((noinline))
static void follow_start(struct sdir *d)
{
	memset(d->sf, 0, sizeof d->sf);
	d->follow = true;
	d->untracked = false;
	d->sf_acks = 0;
}

/* Mapped data from X on subflow `sf` while candidate d is followed; at
 * MP_STALL_NS it becomes a stall unless a subflow's ACK stood still. */
__attribute__((noinline))
static void follow_data(struct sdir *d, uint32_t sf, uint64_t ts)
{
	struct ssf *s = slot(d, sf);

	if (s)
		s->data = true;
	else
		d->untracked = true;
	if (d->stalled || d->untracked || ts - d->ts <= MP_STALL_NS)
		return;
	for (unsigned i = 0; i < SF_SLOTS && d->sf[i].id; i++)
		if (d->sf[i].data && !d->sf[i].acked)
			return; /* a subflow whose ACK stopped: an outage */
	if (d->sf_acks)
		d->stalled = true;
}

/* Y's TCP ACK `ack` on subflow `sf` while candidate d is followed. */
__attribute__((noinline))
static void follow_ack(struct sdir *d, uint32_t sf, uint32_t ack)
{
	struct ssf *s = slot(d, sf);

	if (!s)
		return;
	if (s->ack_known && mp_seq32_after(ack, s->ack)) {
		s->acked = true;
		d->sf_acks++;
	}
	if (!s->ack_known || mp_seq32_after(ack, s->ack)) {
		s->ack = ack;
		s->ack_known = true;
	}
}

/* The rare part of a packet: a connection not in the cache, a candidate
 * to follow or to close. Out of line, so that mp_st_packet() stays a leaf. */
__attribute__((noinline))
static void packet_slow(struct mp_st *st, struct sconn *c, uint64_t frame,
			uint64_t ts_ns, const struct mp_pkt *p,
			const struct mp_pkt_ann *ann)
{
	unsigned x = ann->conn_dir & 1u;
	struct sdir *mine, *theirs;

	if (!c) {
		if (!ann->has_dack && !ann->has_map)
			return; /* nothing at the data level yet */
		c = conn_find(st, ann->conn);
		if (!c && !(c = conn_add(st, ann->conn)))
			return;
	}
	mine = &c->d[x];
	theirs = &c->d[1 - x];
	if (ann->has_map && ann->seg_dlen && p->payload_len) {
		uint64_t end = ann->seg_dsn + ann->seg_dlen;
		if (!mine->hi || mp_seq64_after(end, mine->hi)) /* 0: none yet */
			mine->hi = end;
		if (mine->dack_known && mp_seq64_after(end, mine->dack)) {
			if (!mine->cand) {
				mine->cand = true;
				mine->frame = frame;
				mine->ts = ts_ns;
				mine->data_pkts = 0;
			}
			mine->data_pkts++;
			if (ts_ns - mine->ts > FOLLOW_NS) {
				if (!mine->follow)
					follow_start(mine);
				follow_data(mine, ann->subflow, ts_ns);
			}
		}
	}
	if (ann->has_dack && (!theirs->dack_known || mp_seq64_after(ann->dack, theirs->dack))) {
		if (theirs->cand)
			cand_close(st, c, 1 - x, true, frame, ts_ns);
		theirs->dack = ann->dack;
		theirs->dack_known = true;
	}
	if (theirs->follow && (p->flags & MP_TH_ACK))
		follow_ack(theirs, ann->subflow, p->ack);
}

/* Per packet: the common cases here (data opening or extending a
 * candidate, a DATA_ACK advance closing none), the rest in packet_slow. */
void mp_st_packet(struct mp_st *st, uint64_t frame, uint64_t ts_ns,
		  const struct mp_pkt *p, const struct mp_pkt_ann *ann)
{
	unsigned x = ann->conn_dir & 1u; /* the sender's data direction */
	struct sconn *c = st->cache[ann->conn & (CACHE - 1)];

	if (__builtin_expect(!c || c->id != ann->conn, 0)) {
		packet_slow(st, NULL, frame, ts_ns, p, ann);
		return;
	}
	struct sdir *mine = &c->d[x], *theirs = &c->d[1 - x];
	if (__builtin_expect(mine->follow | theirs->follow, 0)) {
		packet_slow(st, c, frame, ts_ns, p, ann);
		return;
	}
	if (ann->has_map && ann->seg_dlen && p->payload_len) {
		uint64_t end = ann->seg_dsn + ann->seg_dlen;
		if (!mine->hi || mp_seq64_after(end, mine->hi)) /* 0: none yet */
			mine->hi = end;
		if (mine->dack_known && mp_seq64_after(end, mine->dack)) {
			if (!mine->cand) {
				mine->cand = true;
				mine->frame = frame;
				mine->ts = ts_ns;
				mine->data_pkts = 0;
			} else if (__builtin_expect(ts_ns - mine->ts > FOLLOW_NS, 0)) {
				mine->data_pkts--; /* counted again there */
				packet_slow(st, c, frame, ts_ns, p, ann);
				return;
			}
			mine->data_pkts++;
		}
	}
	if (ann->has_dack && (!theirs->dack_known || mp_seq64_after(ann->dack, theirs->dack))) {
		if (__builtin_expect(theirs->stalled, 0)) {
			packet_slow(st, c, frame, ts_ns, p, ann);
			return;
		}
		theirs->cand = false;
		theirs->dack = ann->dack;
		theirs->dack_known = true;
	}
}

void mp_st_conn_end(struct mp_st *st, uint32_t conn, uint64_t last_ts)
{
	struct sconn *c;

	if (!st)
		return;
	c = conn_find(st, conn);
	if (!c)
		return;
	for (unsigned x = 0; x < 2; x++)
		if (c->d[x].cand)
			cand_close(st, c, x, false, 0, last_ts);
	st->cache[conn & (CACHE - 1)] = NULL;
	HASH_DEL(st->conns, c);
	free(c);
}
