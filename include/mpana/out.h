/* SPDX-License-Identifier: BSD-2-Clause */
/* out.h - a buffered writer for stdout records, without stdio per field.
 *
 * Formatting goes into a fixed buffer that is written out with write(2)
 * when it fills and on mp_out_flush(). No allocation: the buffer is part of
 * the struct. A write error is sticky and reported by mp_out_flush(). */
#ifndef MPANA_OUT_H
#define MPANA_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MP_OUT_BUF (256 * 1024)
#define MP_OUT_LINE_MAX 4096 /* the longest record we ever format */

struct mp_out {
	int fd;            /* destination, usually 1 */
	bool line_flush;   /* flush at every mp_out_eol() (-l, live) */
	int err;           /* errno of the first failed write, 0 if none */
	size_t n;          /* bytes pending in buf */
	char buf[MP_OUT_BUF]; /* pending bytes */
};

void mp_out_init(struct mp_out *o, int fd, bool line_flush);

/* Writes all pending bytes. Returns 0, or the errno of the first failure
 * (EPIPE when the reader went away, ENOSPC on a full disk ...). */
int mp_out_flush(struct mp_out *o);

/* Ensures room for one record of up to MP_OUT_LINE_MAX bytes. */
static inline void mp_out_reserve(struct mp_out *o)
{
	if (o->n > MP_OUT_BUF - MP_OUT_LINE_MAX)
		mp_out_flush(o);
}

static inline void mp_out_ch(struct mp_out *o, char c)
{
	o->buf[o->n++] = c;
}

/* Slow path of mp_out_mem(): flushes first. */
void mp_out_mem_flush(struct mp_out *o, const char *s, size_t n);

/* Appends n bytes. Inline so that records built from string literals cost
 * a fixed-size copy each (JSON keys: strlen folds to a constant). */
static inline void mp_out_mem(struct mp_out *o, const char *s, size_t n)
{
	if (n <= MP_OUT_BUF - o->n) {
		memcpy(o->buf + o->n, s, n);
		o->n += n;
	} else {
		mp_out_mem_flush(o, s, n);
	}
}

static inline void mp_out_str(struct mp_out *o, const char *s)
{
	mp_out_mem(o, s, strlen(s));
}

void mp_out_u64(struct mp_out *o, uint64_t v);
void mp_out_i64(struct mp_out *o, int64_t v);
/* "0x" + exactly `digits` lowercase hex digits of v. */
void mp_out_hex(struct mp_out *o, uint64_t v, unsigned digits);
/* "0x" + the hex of n bytes. */
void mp_out_hexbytes(struct mp_out *o, const uint8_t *p, size_t n);
/* An address in the usual text form (inet_ntop). */
void mp_out_addr(struct mp_out *o, int family, const uint8_t *addr);
/* seconds.fraction with `decimals` (6 or 9) digits from nanoseconds. */
void mp_out_ts(struct mp_out *o, uint64_t ts_ns, unsigned decimals);
/* "YYYY-MM-DD HH:MM:SS.uuuuuu" in UTC. */
void mp_out_utc(struct mp_out *o, uint64_t ts_ns);
/* A JSON string literal with escaping. */
void mp_out_json_str(struct mp_out *o, const char *s);
/* The same for `n` bytes of UTF-8 text from a capture (a pcapng comment):
 * a byte that does not start a well-formed sequence becomes \ufffd, so the
 * output stays valid UTF-8 JSON whatever the file holds. */
void mp_out_json_strn(struct mp_out *o, const uint8_t *s, size_t n);
/* TCP flags as tcpdump shows them: "S", "S.", "P.", "F.", "R" ... */
void mp_out_tcp_flags(struct mp_out *o, uint8_t flags);
/* Ends a record: newline, and a flush when line_flush is set. */
void mp_out_eol(struct mp_out *o);

#endif /* MPANA_OUT_H */
