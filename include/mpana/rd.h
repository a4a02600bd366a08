/* SPDX-License-Identifier: BSD-2-Clause */
/* rd.h - the one bounds-checked reader for all wire bytes (STYLE R2).
 *
 * Contract: a reader covers [p, end). Every take checks the remaining length
 * first; a short read sets the sticky `err` flag, returns NULL or 0 and never
 * touches memory outside the span. Callers read straight through and test
 * `err` once at the end. Invariant: once `err` is set, p == end (nothing is
 * left), so later reads fail on the length test alone; only mp_rd_take()
 * sets `err`. */
#ifndef MPANA_RD_H
#define MPANA_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Always inlined: the per-packet path makes some 35 reads per packet, and
 * with the engine linked in (LTO) gcc stops inlining them on its own
 * (-30 instructions per packet, docs/performance.md). */
#define MP_RD_INLINE static inline __attribute__((always_inline))

struct mp_rd {
	const uint8_t *p;   /* next unread byte */
	const uint8_t *end; /* one past the last readable byte */
	bool err;           /* sticky: set by the first short read */
};

MP_RD_INLINE struct mp_rd mp_rd_init(const uint8_t *p, size_t len)
{
	struct mp_rd r = { p, p + len, false };
	return r;
}

MP_RD_INLINE size_t mp_rd_left(const struct mp_rd *r)
{
	return (size_t)(r->end - r->p); /* 0 after an error: p == end */
}

/* Returns a pointer to the next n bytes and advances, or NULL (and sets err). */
MP_RD_INLINE const uint8_t *mp_rd_take(struct mp_rd *r, size_t n)
{
	/* A failed take also empties the span (p = end), so for n > 0 the
	 * length test alone covers the sticky flag: with a constant n, one
	 * compare per read. */
	if ((size_t)(r->end - r->p) < n || (n == 0 && r->err)) {
		r->err = true;
		r->p = r->end;
		return NULL;
	}
	const uint8_t *q = r->p;
	r->p += n;
	return q;
}

MP_RD_INLINE bool mp_rd_skip(struct mp_rd *r, size_t n)
{
	return mp_rd_take(r, n) != NULL;
}

MP_RD_INLINE uint8_t mp_rd_u8(struct mp_rd *r)
{
	const uint8_t *q = mp_rd_take(r, 1);
	return q ? q[0] : 0;
}

MP_RD_INLINE uint16_t mp_rd_be16(struct mp_rd *r)
{
	const uint8_t *q = mp_rd_take(r, 2);
	return q ? (uint16_t)((unsigned)q[0] << 8 | q[1]) : 0;
}

MP_RD_INLINE uint32_t mp_rd_be32(struct mp_rd *r)
{
	const uint8_t *q = mp_rd_take(r, 4);
	return q ? (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 |
			   (uint32_t)q[2] << 8 | q[3]
		 : 0;
}

MP_RD_INLINE uint64_t mp_rd_be64(struct mp_rd *r)
{
	const uint8_t *q = mp_rd_take(r, 8); /* one check, not two */
	return q ? (uint64_t)q[0] << 56 | (uint64_t)q[1] << 48 |
			   (uint64_t)q[2] << 40 | (uint64_t)q[3] << 32 |
			   (uint64_t)q[4] << 24 | (uint64_t)q[5] << 16 |
			   (uint64_t)q[6] << 8 | q[7]
		 : 0;
}

/* Little-endian 32-bit read (DLT_NULL's host-order family field). */
MP_RD_INLINE uint32_t mp_rd_le32(struct mp_rd *r)
{
	const uint8_t *q = mp_rd_take(r, 4);
	return q ? (uint32_t)q[3] << 24 | (uint32_t)q[2] << 16 |
			   (uint32_t)q[1] << 8 | q[0]
		 : 0;
}

/* Fixed-size headers (STYLE R2 still holds: every byte comes through a
 * reader). When `n` more bytes are readable, consumes them from `r` and
 * returns a reader over exactly those bytes in `*sub`; otherwise leaves both
 * untouched and returns false, so the caller can fall back to reading `r`
 * field by field (which keeps the partial results of a truncated header).
 * With a constant `n` the sub-reader's span is a constant, so the compiler
 * folds every check of the reads that follow: one check per header instead
 * of one per field (docs/performance.md). */
MP_RD_INLINE bool mp_rd_fixed(struct mp_rd *r, size_t n, struct mp_rd *sub)
{
	if ((size_t)(r->end - r->p) < n || (n == 0 && r->err))
		return false;
	*sub = mp_rd_init(r->p, n);
	r->p += n;
	return true;
}

/* Copies n bytes to dst; on a short read dst is zeroed. */
MP_RD_INLINE bool mp_rd_copy(struct mp_rd *r, void *dst, size_t n)
{
	const uint8_t *q = mp_rd_take(r, n);
	if (!q) {
		memset(dst, 0, n);
		return false;
	}
	memcpy(dst, q, n);
	return true;
}

#endif /* MPANA_RD_H */
