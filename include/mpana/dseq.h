/* SPDX-License-Identifier: BSD-2-Clause */
/* dseq.h - the data sequence space of one connection direction: what was
 * sent, by which subflow, and when (src/engine/dseq.c).
 *
 * RFC 8684 §3.3.1: data sequence numbers are given to new data once, so
 * data whose DSNs were sent before is a re-send (§3.3.6: reinjection on
 * another subflow, or a TCP retransmission on its own). Data at or above
 * the highest DSN sent is new at once (O(1), the common case). Below it,
 * the ranges sent so far say: Linux hands a subflow its DSN range before
 * sending it, so another subflow's later range can go out first, and a
 * range below the highest one sent can still be new. The history keeps
 * the data sent as runs of consecutive bytes carried by one subflow, in
 * DSN order; a lookup is O(log n).
 *
 * Memory follows the data in flight, not the packets: consecutive segments
 * of one subflow within MP_DSEQ_RUN_NS extend one run; runs that the DATA_ACK covers are dropped
 * when room is needed; the array doubles (from MP_DSEQ_MIN_RUNS) only while
 * unacknowledged runs fill it, up to MP_DSEQ_MAX_RUNS, beyond which the
 * oldest runs are forgotten (counted in `forgotten`). */
#ifndef MPANA_DSEQ_H
#define MPANA_DSEQ_H

#include <stdbool.h>
#include <stdint.h>

#include "mpana/seq.h"

#define MP_DSEQ_MIN_RUNS 16u
#define MP_DSEQ_MAX_RUNS 4096u
/* A run spans at most this much capture time (10 ms), so that the first
 * sending time of any byte is known within it. */
#define MP_DSEQ_RUN_NS 10000000u

/* Data [dsn, dsn + len) first sent on subflow `sf`. */
struct mp_dseq_run {
	uint64_t dsn;   /* 64-bit DSN of the first byte */
	uint64_t ts_ns; /* capture time of the run's first segment */
	uint64_t frame; /* its packet */
	uint32_t len;   /* bytes */
	uint32_t sf;    /* subflow id */
};

struct mp_sent_hist {
	struct mp_dseq_run *v; /* ring of runs, owned; NULL until the first */
	uint32_t cap;          /* slots in v */
	uint32_t head;         /* slot of the oldest run */
	uint32_t n;            /* runs held */
	uint64_t hi;           /* highest DSN end sent (valid when n or hi_valid) */
	bool hi_valid;         /* something was sent */
	uint64_t floor;        /* end of the highest run dropped: data below it
				* was sent, by whom is no longer known */
	bool floor_valid;      /* a run was dropped */
	uint64_t forgotten;    /* runs dropped unacknowledged at MP_DSEQ_MAX_RUNS */
	struct mp_dseq_run found; /* copy of the last verdict's first sender */
	uint32_t gen;          /* bumped when v moves (mp_dseq_hint) */
};

/* What mp_dseq_sent() found about one segment. */
struct mp_dseq_verdict {
	uint64_t resent;         /* bytes of it below the highest DSN sent before */
	const struct mp_dseq_run *first; /* the run that sent it first: of the
				  * runs it overlaps, the first of another
				  * subflow than the sender's, else the first;
				  * NULL when new or no longer known; borrowed
				  * until the next call on the history */
};

/* Where a subflow's latest new data went in a history: its next segment
 * usually extends the same run (O(1), verified before use). Zero it. */
struct mp_dseq_hint {
	uint32_t slot; /* physical slot in v */
	uint32_t gen;  /* h->gen then; 0: none */
};

/* Accounts the segment [dsn, dsn + len) (len > 0) sent on subflow `sf`:
 * fills `out` (may be NULL), then records its new part, if any. `acked` is
 * the highest DATA_ACK seen for this direction (valid when `acked_valid`):
 * runs below it are dropped first when room is needed. Allocates only to
 * grow the ring; on OOM the oldest run is forgotten instead. `hint` (may be
 * NULL) is the sending subflow's: used when valid, updated. */
void mp_dseq_sent(struct mp_sent_hist *h, uint64_t dsn, uint32_t len,
		  uint32_t sf, uint64_t ts_ns, uint64_t frame, uint64_t acked,
		  bool acked_valid, struct mp_dseq_hint *hint,
		  struct mp_dseq_verdict *out);

/* The fast path of mp_dseq_sent(), inline for the per-packet path: when
 * the hinted run is this subflow's, ends where the segment starts, is
 * recent, and the segment fits before the next run, the segment is new
 * data that extends it: returns true (nothing more to do). Otherwise
 * false, and nothing changed: call mp_dseq_sent(). */
static inline bool mp_dseq_extend(struct mp_sent_hist *h,
				  const struct mp_dseq_hint *hint, uint64_t dsn,
				  uint32_t len, uint32_t sf, uint64_t ts_ns)
{
	struct mp_dseq_run *r;
	uint32_t li;

	if (!hint || !hint->gen || hint->gen != h->gen || hint->slot >= h->cap)
		return false;
	li = (hint->slot - h->head) & (h->cap - 1);
	if (li >= h->n)
		return false;
	r = &h->v[hint->slot];
	if (r->sf != sf || r->dsn + r->len != dsn || ts_ns - r->ts_ns >= MP_DSEQ_RUN_NS ||
	    r->len > UINT32_MAX - len)
		return false;
	if (li + 1 < h->n) {
		const struct mp_dseq_run *next = &h->v[(h->head + li + 1) & (h->cap - 1)];
		if (mp_seq64_after(dsn + len, next->dsn))
			return false; /* overlaps what was sent next */
	} else if (h->hi_valid && mp_seq64_after(dsn + len, h->hi)) {
		h->hi = dsn + len;
	}
	r->len += len;
	return true;
}

/* The run holding DSN `dsn`, or NULL. Borrowed. O(log n). */
const struct mp_dseq_run *mp_dseq_find(const struct mp_sent_hist *h,
				       uint64_t dsn);

/* Frees the ring; the history is empty afterwards. */
void mp_dseq_free(struct mp_sent_hist *h);

/* 64-bit DSN of the first payload byte of a segment that a mapping covers
 * (RFC 8684 §3.3.1: the subflow sequence number is relative to the
 * subflow's ISN): map_dsn + (seq - isn - ssn). Sets *seg_len to the
 * segment's bytes inside the mapping (0 when it lies outside). */
static inline uint64_t mp_seg_dsn(uint64_t map_dsn, uint32_t map_len,
				  uint32_t ssn, uint32_t isn, uint32_t seq,
				  uint32_t payload_len, uint32_t *seg_len)
{
	uint32_t off = seq - isn - ssn; /* modulo 2^32 */
	uint32_t left;

	if (off >= map_len) {
		*seg_len = 0;
		return map_dsn;
	}
	left = map_len - off;
	*seg_len = payload_len < left ? payload_len : left;
	return map_dsn + off;
}

#endif /* MPANA_DSEQ_H */
