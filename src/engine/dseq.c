/* SPDX-License-Identifier: BSD-2-Clause */
/* dseq.c - the data sequence sent in one connection direction, as runs of
 * one subflow each, for telling re-sent data from new data and finding who
 * sent it first (RFC 8684 §3.3.1, §3.3.6). Contract: include/mpana/dseq.h. */
#include <stdlib.h>
#include <string.h>

#include "mpana/dseq.h"

/* a after b, modulo 2^64 (DSNs wrap) */
static inline bool after(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b) > 0;
}

static inline struct mp_dseq_run *run_at(const struct mp_sent_hist *h,
					 uint32_t i)
{
	return &h->v[(h->head + i) & (h->cap - 1)];
}

/* Makes room for one more run: drops acknowledged runs, else grows the
 * ring (a power of two), else forgets the oldest run. */
static void make_room(struct mp_sent_hist *h, uint64_t acked, bool acked_valid)
{
	while (acked_valid && h->n > 1) {
		const struct mp_dseq_run *r = run_at(h, 0);
		if (after(r->dsn + r->len, acked))
			break;
		h->head = (h->head + 1) & (h->cap - 1);
		h->n--;
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
			return;
		}
		if (!h->cap)
			return; /* nothing can be kept */
	}
	h->head = (h->head + 1) & (h->cap - 1);
	h->n--;
	h->forgotten++;
}

const struct mp_dseq_run *mp_dseq_find(const struct mp_sent_hist *h,
				       uint64_t dsn)
{
	uint32_t lo = 0, hi = h->n;
	const struct mp_dseq_run *r;

	if (!h->n || after(run_at(h, 0)->dsn, dsn))
		return NULL;
	/* the last run starting at or before dsn */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (after(run_at(h, mid)->dsn, dsn))
			hi = mid;
		else
			lo = mid;
	}
	r = run_at(h, lo);
	return after(r->dsn + r->len, dsn) ? r : NULL;
}

void mp_dseq_sent(struct mp_sent_hist *h, uint64_t dsn, uint32_t len,
		  uint32_t sf, uint64_t ts_ns, uint64_t frame, uint64_t acked,
		  bool acked_valid, struct mp_dseq_verdict *out)
{
	uint64_t end = dsn + len, start = dsn;
	struct mp_dseq_run *last;

	if (out) {
		out->resent = 0;
		out->first = NULL;
	}
	if (h->hi_valid && after(h->hi, dsn)) {
		/* dsn < hi: [dsn, min(end, hi)) was sent before */
		uint64_t top = after(end, h->hi) ? h->hi : end;
		if (out) {
			out->resent = top - dsn;
			out->first = mp_dseq_find(h, dsn);
		}
		if (!after(end, h->hi))
			return;
		start = h->hi;
	}
	h->hi = end;
	h->hi_valid = true;
	len = (uint32_t)(end - start);
	if (h->n) {
		last = run_at(h, h->n - 1);
		if (last->sf == sf && last->dsn + last->len == start &&
		    ts_ns - last->ts_ns < MP_DSEQ_RUN_NS &&
		    last->len <= UINT32_MAX - len) {
			last->len += len;
			return;
		}
	}
	make_room(h, acked, acked_valid);
	if (!h->cap)
		return;
	last = run_at(h, h->n);
	last->dsn = start;
	last->len = len;
	last->sf = sf;
	last->ts_ns = ts_ns;
	last->frame = frame;
	h->n++;
	/* a verdict's `first` may have moved with a grown ring */
	if (out && out->resent)
		out->first = mp_dseq_find(h, dsn);
}

void mp_dseq_free(struct mp_sent_hist *h)
{
	free(h->v);
	memset(h, 0, sizeof *h);
}
