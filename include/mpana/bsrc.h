/* SPDX-License-Identifier: BSD-2-Clause */
/* bsrc.h - a byte source for the capture-file parsers (pcapfile.h,
 * pcapng.h): the bytes at a cursor, made readable on demand.
 *
 * Two back ends fill it: a memory-mapped file (mapfile.h: every byte is
 * there, the slow path only moves the mapped-in window) and a stream
 * (stream.h: standard input, FIFOs, gzip or zstd data, refilled from a
 * decoder). The parsers see one contiguous span either way, so a record
 * they return points straight into the mapping or the stream's buffer:
 * no copy, no allocation per record.
 *
 * Lifetime: bytes before the cursor may be released by the next
 * mp_bsrc_need() that takes the slow path, so a parser hands out a record
 * borrowed until its next call, as pcap_next_ex(3PCAP) does. */
#ifndef MPANA_BSRC_H
#define MPANA_BSRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mp_bsrc {
	const uint8_t *p;   /* the cursor */
	const uint8_t *end; /* [p, end) is readable now */
	const uint8_t *org; /* a pointer of the current span ... */
	uint64_t org_pos;   /* ... and its offset in the data: mp_bsrc_pos() */
	/* Slow path: makes at least n bytes readable at p (may move p and end;
	 * bytes before p are given up). Returns the bytes readable at p, fewer
	 * than n only at the end of the data, on an error (err set) or when the
	 * caller asked to stop (stopped set). */
	size_t (*more)(struct mp_bsrc *s, size_t n);
	const char *err;    /* why the data ended early (decoder, read error);
			     * NULL at a clean end */
	bool stopped;       /* the data ended because a stop was requested */
};

/* Makes n bytes readable at s->p. Returns n, or fewer (possibly 0) when the
 * data ends first (see more above). Never reads past what it returns. */
static inline size_t mp_bsrc_need(struct mp_bsrc *s, size_t n)
{
	size_t have = (size_t)(s->end - s->p);

	return have >= n ? n : s->more(s, n);
}

/* Moves the cursor over n bytes made readable by mp_bsrc_need(). */
static inline void mp_bsrc_skip(struct mp_bsrc *s, size_t n)
{
	s->p += n;
}

/* Offset of the cursor in the data (bytes consumed so far). */
static inline uint64_t mp_bsrc_pos(const struct mp_bsrc *s)
{
	return s->org_pos + (uint64_t)(s->p - s->org);
}

#endif /* MPANA_BSRC_H */
