/* SPDX-License-Identifier: BSD-2-Clause */
/* dseq.c - the data sequence sent in one connection direction, as runs of
 * one subflow each, for telling re-sent data from new data and finding who
 * sent it first (RFC 8684 §3.3.1, §3.3.6). Contract: include/mpana/dseq.h. */
#include <stdlib.h>
#include <string.h>

#include "mpana/dseq.h"
#include "mpana/seq.h"


static inline struct mp_dseq_run *run_at(const struct mp_sent_hist *h,
					 uint32_t i)
{
	return &h->v[(h->head + i) & (h->cap - 1)];
}

static void drop_front(struct mp_sent_hist *h)
{
	const struct mp_dseq_run *r = run_at(h, 0);
	uint64_t end = r->dsn + r->len;

	if (!h->floor_valid || mp_seq64_after(end, h->floor))
		h->floor = end;
	h->floor_valid = true;
	h->head = (h->head + 1) & (h->cap - 1);
	h->n--;
}

/* Makes room for one more run: drops acknowledged runs, else grows the
 * ring (a power of two), else forgets the oldest run. Dropped runs raise
 * the floor: data below it was sent before, by whom is no longer known. */
static void make_room(struct mp_sent_hist *h, uint64_t acked, bool acked_valid)
{
	if (h->n < h->cap)
		return; /* who sent what is kept as long as there is room */
	while (acked_valid && h->n > 1) {
		const struct mp_dseq_run *r = run_at(h, 0);
		if (mp_seq64_after(r->dsn + r->len, acked))
			break;
		drop_front(h);
	}
	if (h->n < h->cap)
		return;
	if (h->cap < MP_DSEQ_MAX_RUNS) {
		uint32_t ncap = h->cap ? h->cap * 2 : MP_DSEQ_MIN_RUNS;
		struct mp_dseq_run *nv = malloc(ncap * sizeof *nv);
		if (nv) {
			for (uint32_t i = 0; i < h->n; i++)
				nv[i] = *run_at(h, i);
			free(h->v);
			h->v = nv;
			h->cap = ncap;
			h->head = 0;
			h->gen++; /* slots moved: hints are void */
			return;
		}
		if (!h->cap)
			return; /* nothing can be kept */
	}
	drop_front(h);
	h->forgotten++;
}

/* Index of the first run that ends after dsn (h->n when none). */
static uint32_t first_ending_after(const struct mp_sent_hist *h, uint64_t dsn)
{
	uint32_t lo = 0, hi = h->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct mp_dseq_run *r = run_at(h, mid);
		if (mp_seq64_after(r->dsn + r->len, dsn))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

const struct mp_dseq_run *mp_dseq_find(const struct mp_sent_hist *h,
				       uint64_t dsn)
{
	uint32_t i = first_ending_after(h, dsn);
	const struct mp_dseq_run *r;

	if (i == h->n)
		return NULL;
	r = run_at(h, i);
	return mp_seq64_after(r->dsn, dsn) ? NULL : r;
}

/* Inserts a run at index i (runs stay in DSN order). The caller made room. */
static void insert_at(struct mp_sent_hist *h, uint32_t i, uint64_t dsn,
		      uint32_t len, uint32_t sf, uint64_t ts_ns, uint64_t frame)
{
	struct mp_dseq_run *r;

	for (uint32_t k = h->n; k > i; k--)
		*run_at(h, k) = *run_at(h, k - 1);
	r = run_at(h, i);
	r->dsn = dsn;
	r->len = len;
	r->sf = sf;
	r->ts_ns = ts_ns;
	r->frame = frame;
	h->n++;
}

/* Appends [dsn, dsn + len) above everything sent, extending the last run
 * when it is the same subflow's, contiguous and recent. */
static void append(struct mp_sent_hist *h, uint64_t dsn, uint32_t len,
		   uint32_t sf, uint64_t ts_ns, uint64_t frame, uint64_t acked,
		   bool acked_valid)
{
	if (h->n) {
		struct mp_dseq_run *last = run_at(h, h->n - 1);
		if (last->sf == sf && last->dsn + last->len == dsn &&
		    ts_ns - last->ts_ns < MP_DSEQ_RUN_NS &&
		    last->len <= UINT32_MAX - len) {
			last->len += len;
			return;
		}
	}
	make_room(h, acked, acked_valid);
	if (h->n < h->cap)
		insert_at(h, h->n, dsn, len, sf, ts_ns, frame);
}

/* Points the hint at the run holding dsn, when it is the subflow's. */
static void hint_set(const struct mp_sent_hist *h, struct mp_dseq_hint *hint,
		     uint64_t dsn, uint32_t sf)
{
	uint32_t i;

	if (!hint)
		return;
	hint->gen = 0;
	i = first_ending_after(h, dsn);
	if (i < h->n && run_at(h, i)->sf == sf && !mp_seq64_after(run_at(h, i)->dsn, dsn)) {
		hint->slot = (h->head + i) & (h->cap - 1);
		hint->gen = h->gen;
	}
}

void mp_dseq_sent(struct mp_sent_hist *h, uint64_t dsn, uint32_t len,
		  uint32_t sf, uint64_t ts_ns, uint64_t frame, uint64_t acked,
		  bool acked_valid, struct mp_dseq_hint *hint,
		  struct mp_dseq_verdict *out)
{
	uint64_t end = dsn + len, pos = dsn, top;
	uint64_t resent = 0;
	uint32_t first = UINT32_MAX, i;

	if (mp_dseq_extend(h, hint, dsn, len, sf, ts_ns)) {
		if (out) {
			out->resent = 0;
			out->first = NULL;
		}
		return;
	}

	if (!h->hi_valid || !mp_seq64_after(h->hi, dsn)) {
		/* all new (a gap below it is data not seen, or not sent yet) */
		append(h, dsn, len, sf, ts_ns, frame, acked, acked_valid);
		h->hi = end;
		h->hi_valid = true;
		if (hint && h->n && run_at(h, h->n - 1)->sf == sf) {
			hint->slot = (h->head + h->n - 1) & (h->cap - 1);
			hint->gen = h->gen;
		} else if (hint) {
			hint->gen = 0;
		}
		if (out) {
			out->resent = 0;
			out->first = NULL;
		}
		return;
	}
	/* Below the highest DSN sent: new only where nothing was sent yet
	 * (Linux hands DSN ranges to subflows ahead of sending them, so a
	 * subflow's next mapping can start below another's); below the floor,
	 * sent before by a sender no longer known. */
	make_room(h, acked, acked_valid);
	top = mp_seq64_after(end, h->hi) ? h->hi : end;
	if (h->floor_valid && mp_seq64_after(h->floor, pos)) {
		uint64_t stop = mp_seq64_after(top, h->floor) ? h->floor : top;
		resent += stop - pos;
		pos = stop;
	}
	i = first_ending_after(h, pos);
	while (mp_seq64_after(top, pos)) {
		const struct mp_dseq_run *r = i < h->n ? run_at(h, i) : NULL;
		if (r && !mp_seq64_after(r->dsn, pos)) {
			/* [pos, ...) was sent by r */
			uint64_t rend = r->dsn + r->len;
			uint64_t stop = mp_seq64_after(top, rend) ? rend : top;
			/* the first sender: another subflow's when there is
			 * one (an inter-subflow re-send, RFC 8684 §3.3.6) */
			if (first == UINT32_MAX ||
			    (run_at(h, first)->sf == sf && r->sf != sf))
				first = i;
			resent += stop - pos;
			pos = stop;
			i++;
		} else {
			/* a gap nobody sent: new data, in its place (the
			 * run before it grows when it is this subflow's) */
			uint64_t stop = r && mp_seq64_after(top, r->dsn) ? r->dsn : top;
			struct mp_dseq_run *prev = i ? run_at(h, i - 1) : NULL;
			if (prev && prev->sf == sf && prev->dsn + prev->len == pos &&
			    ts_ns - prev->ts_ns < MP_DSEQ_RUN_NS &&
			    prev->len <= UINT32_MAX - (stop - pos)) {
				prev->len += (uint32_t)(stop - pos);
			} else if (h->n < h->cap) {
				insert_at(h, i, pos, (uint32_t)(stop - pos), sf, ts_ns, frame);
				i++;
			}
			pos = stop;
		}
	}
	if (first != UINT32_MAX)
		h->found = *run_at(h, first); /* appending may move the runs */
	if (mp_seq64_after(end, h->hi)) {
		append(h, h->hi, (uint32_t)(end - h->hi), sf, ts_ns, frame, acked,
		       acked_valid);
		h->hi = end;
	}
	hint_set(h, hint, end - 1, sf);
	if (out) {
		out->resent = resent;
		out->first = first != UINT32_MAX ? &h->found : NULL;
	}
}

void mp_dseq_free(struct mp_sent_hist *h)
{
	free(h->v);
	memset(h, 0, sizeof *h);
}
