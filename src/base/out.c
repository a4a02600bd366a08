/* SPDX-License-Identifier: BSD-2-Clause */
/* out.c - buffered record writer for stdout (see out.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mpana/escape.h"
#include "mpana/merge.h"
#include "mpana/out.h"

void mp_out_init(struct mp_out *o, int fd, bool line_flush)
{
	o->fd = fd;
	o->line_flush = line_flush;
	o->err = 0;
	o->n = 0;
}

int mp_out_flush(struct mp_out *o)
{
	size_t done = 0;

	while (done < o->n && !o->err) {
		ssize_t w = write(o->fd, o->buf + done, o->n - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			o->err = errno;
			break;
		}
		done += (size_t)w;
	}
	o->n = 0; /* after an error the bytes are dropped: the caller stops */
	return o->err;
}

void mp_out_mem_flush(struct mp_out *o, const char *s, size_t n)
{
	if (n > MP_OUT_BUF - o->n) {
		mp_out_flush(o);
		if (n > MP_OUT_BUF)
			n = MP_OUT_BUF;
	}
	memcpy(o->buf + o->n, s, n);
	o->n += n;
}

/* "00" "01" ... "99": two digits per division (the usual itoa trick). */
static const char digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

void mp_out_u64(struct mp_out *o, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof tmp;

	while (v >= 100) {
		unsigned d = (unsigned)(v % 100) * 2;
		v /= 100;
		tmp[--i] = digits2[d + 1];
		tmp[--i] = digits2[d];
	}
	if (v >= 10) {
		unsigned d = (unsigned)v * 2;
		tmp[--i] = digits2[d + 1];
		tmp[--i] = digits2[d];
	} else {
		tmp[--i] = (char)('0' + v);
	}
	mp_out_mem(o, tmp + i, sizeof tmp - i);
}

void mp_out_i64(struct mp_out *o, int64_t v)
{
	if (v < 0) {
		mp_out_ch(o, '-');
		mp_out_u64(o, (uint64_t)0 - (uint64_t)v);
	} else {
		mp_out_u64(o, (uint64_t)v);
	}
}

static const char hexdig[] = "0123456789abcdef";

void mp_out_hex(struct mp_out *o, uint64_t v, unsigned digits)
{
	char tmp[18];

	if (digits > 16)
		digits = 16;
	tmp[0] = '0';
	tmp[1] = 'x';
	for (unsigned i = 0; i < digits; i++)
		tmp[2 + i] = hexdig[(v >> (4 * (digits - 1 - i))) & 0xf];
	mp_out_mem(o, tmp, 2 + digits);
}

void mp_out_hexbytes(struct mp_out *o, const uint8_t *p, size_t n)
{
	char tmp[2 + 2 * 64];

	if (n > 64)
		n = 64;
	tmp[0] = '0';
	tmp[1] = 'x';
	for (size_t i = 0; i < n; i++) {
		tmp[2 + 2 * i] = hexdig[p[i] >> 4];
		tmp[3 + 2 * i] = hexdig[p[i] & 0xf];
	}
	mp_out_mem(o, tmp, 2 + 2 * n);
}

void mp_out_addr(struct mp_out *o, int family, const uint8_t *addr)
{
	char tmp[INET6_ADDRSTRLEN];

	if (family != 6) {
		/* inet_ntop's IPv4 form ("%u.%u.%u.%u"), without its sprintf */
		size_t n = 0;
		for (int i = 0; i < 4; i++) {
			unsigned b = addr[i];
			if (i)
				tmp[n++] = '.';
			if (b >= 100) {
				tmp[n++] = (char)('0' + b / 100);
				b %= 100;
				tmp[n++] = digits2[2 * b];
				tmp[n++] = digits2[2 * b + 1];
			} else if (b >= 10) {
				tmp[n++] = digits2[2 * b];
				tmp[n++] = digits2[2 * b + 1];
			} else {
				tmp[n++] = (char)('0' + b);
			}
		}
		mp_out_mem(o, tmp, n);
		return;
	}
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, tmp, sizeof tmp))
		strcpy(tmp, "?");
	mp_out_str(o, tmp);
}

static void out_frac(struct mp_out *o, uint64_t frac, unsigned digits)
{
	char tmp[9];

	for (unsigned i = digits; i-- > 0;) {
		tmp[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	mp_out_mem(o, tmp, digits);
}

void mp_out_ts(struct mp_out *o, uint64_t ts_ns, unsigned decimals)
{
	mp_out_u64(o, ts_ns / 1000000000u);
	mp_out_ch(o, '.');
	if (decimals == 6)
		out_frac(o, (ts_ns % 1000000000u) / 1000u, 6);
	else
		out_frac(o, ts_ns % 1000000000u, 9);
}

void mp_out_utc(struct mp_out *o, uint64_t ts_ns)
{
	time_t sec = (time_t)(ts_ns / 1000000000u);
	struct tm tm;
	char tmp[32];

	if (!gmtime_r(&sec, &tm) ||
	    strftime(tmp, sizeof tmp, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		strcpy(tmp, "invalid-time");
	mp_out_str(o, tmp);
	mp_out_ch(o, '.');
	out_frac(o, (ts_ns % 1000000000u) / 1000u, 6);
}

void mp_out_json_str(struct mp_out *o, const char *s)
{
	char buf[8];

	mp_out_ch(o, '"');
	for (; *s; s++) {
		const char *r = mp_escape_char(MP_ESC_JSON, (unsigned char)*s, buf);
		if (o->n > MP_OUT_BUF - 8)
			mp_out_flush(o);
		if (r)
			mp_out_str(o, r);
		else
			mp_out_ch(o, *s);
	}
	mp_out_ch(o, '"');
}

void mp_out_eol(struct mp_out *o)
{
	mp_out_ch(o, '\n');
	if (o->line_flush)
		mp_out_flush(o);
}

void mp_out_tcp_flags(struct mp_out *o, uint8_t flags)
{
	/* tcpdump's order and letters (print-tcp.c tcp_flag_values). */
	static const struct {
		uint8_t bit;
		char c;
	} names[] = { { 0x01, 'F' }, { 0x02, 'S' }, { 0x04, 'R' }, { 0x08, 'P' },
		      { 0x20, 'U' }, { 0x40, 'E' }, { 0x80, 'W' }, { 0x10, '.' } };
	bool any = false;

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (flags & names[i].bit) {
			mp_out_ch(o, names[i].c);
			any = true;
		}
	}
	if (!any)
		mp_out_str(o, "none");
}

void mp_out_frame_text(struct mp_out *o, uint64_t frame)
{
	unsigned input = mp_frame_input(frame);

	if (input) {
		mp_out_u64(o, input);
		mp_out_ch(o, ':');
	}
	mp_out_u64(o, mp_frame_packet(frame));
}

void mp_out_json_strn(struct mp_out *o, const uint8_t *s, size_t n)
{
	char buf[8];

	mp_out_ch(o, '"');
	for (size_t i = 0; i < n;) {
		size_t l = mp_utf8_len(s + i, n - i);

		if (o->n > MP_OUT_BUF - 8)
			mp_out_flush(o);
		if (l == 1) {
			const char *r = mp_escape_char(MP_ESC_JSON, s[i], buf);
			if (r)
				mp_out_str(o, r);
			else
				mp_out_ch(o, (char)s[i]);
			i++;
		} else if (l) {
			mp_out_mem(o, (const char *)s + i, l);
			i += l;
		} else {
			mp_out_str(o, "\\ufffd"); /* not UTF-8: U+FFFD */
			i++;
		}
	}
	mp_out_ch(o, '"');
}
