/* SPDX-License-Identifier: BSD-2-Clause */
/* test_out_fmt.c - the hand-written number and address formatters of
 * src/base/out.c (made fast for JSON output, docs/performance.md) against
 * snprintf and inet_ntop. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "mpana/escape.h"
#include "mpana/out.h"

static struct mp_out o;

static void check_u64(uint64_t v)
{
	char want[32];

	mp_out_init(&o, -1, false);
	mp_out_u64(&o, v);
	snprintf(want, sizeof want, "%" PRIu64, v);
	cr_assert_eq(o.n, strlen(want), "%s: length %zu", want, o.n);
	cr_assert(memcmp(o.buf, want, o.n) == 0, "%s: got %.*s", want, (int)o.n, o.buf);
}

Test(out_fmt, u64_boundaries)
{
	uint64_t p = 1;

	check_u64(0);
	check_u64(UINT64_MAX);
	for (int i = 0; i < 20; i++) {
		check_u64(p - 1);
		check_u64(p);
		check_u64(p + 1);
		if (i < 19)
			p *= 10;
	}
}

Test(out_fmt, u64_random)
{
	uint64_t x = 0x9e3779b97f4a7c15u;

	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		check_u64(x >> (i % 64));
	}
}

Test(out_fmt, ipv4_every_octet)
{
	uint8_t a[4];
	char want[INET_ADDRSTRLEN];

	for (unsigned b = 0; b < 256; b++) {
		a[0] = (uint8_t)b;
		a[1] = (uint8_t)(255 - b);
		a[2] = (uint8_t)(b * 7);
		a[3] = (uint8_t)(b / 3);
		mp_out_init(&o, -1, false);
		mp_out_addr(&o, 4, a);
		inet_ntop(AF_INET, a, want, sizeof want);
		cr_assert_eq(o.n, strlen(want));
		cr_assert(memcmp(o.buf, want, o.n) == 0, "%s: got %.*s", want,
			  (int)o.n, o.buf);
	}
}

/* mp_utf8_len (src/base/escape.c) against RFC 3629 §4: every code point
 * encoded here is accepted whole; of all two- and three-byte sequences,
 * exactly the encodings of U+0080..U+07FF and of U+0800..U+FFFF without
 * the surrogates are; truncated, overlong and out-of-range ones are not. */
static size_t utf8_encode(uint32_t cp, uint8_t *b)
{
	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	b[0] = (uint8_t)(0xf0 | cp >> 18);
	b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
	b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
	b[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

Test(out_fmt, utf8_len)
{
	uint8_t b[4];
	unsigned long valid2 = 0, valid3 = 0;

	for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		size_t n = utf8_encode(cp, b);
		cr_assert_eq(mp_utf8_len(b, n), n, "U+%04X", cp);
		if (n > 1)
			cr_assert_eq(mp_utf8_len(b, n - 1), 0, "U+%04X truncated", cp);
	}
	for (unsigned i = 0; i < 0x10000; i++) {
		b[0] = (uint8_t)(i >> 8);
		b[1] = (uint8_t)i;
		valid2 += mp_utf8_len(b, 2) == 2;
	}
	for (unsigned i = 0; i < 0x1000000; i++) {
		b[0] = (uint8_t)(i >> 16);
		b[1] = (uint8_t)(i >> 8);
		b[2] = (uint8_t)i;
		valid3 += mp_utf8_len(b, 3) == 3;
	}
	cr_assert_eq(valid2, 0x800 - 0x80);
	cr_assert_eq(valid3, 0x10000 - 0x800 - 0x800);
	cr_assert_eq(mp_utf8_len((const uint8_t *)"\xf4\x90\x80\x80", 4), 0); /* > U+10FFFF */
	cr_assert_eq(mp_utf8_len((const uint8_t *)"\xf0\x8f\xbf\xbf", 4), 0); /* overlong */
	cr_assert_eq(mp_utf8_len((const uint8_t *)"\xf5\x80\x80\x80", 4), 0);
	cr_assert_eq(mp_utf8_len((const uint8_t *)"\x80", 1), 0);
}

/* A pcapng comment in JSON: escaped as JSON wants, UTF-8 kept, every byte
 * that starts no well-formed sequence replaced by \ufffd. */
Test(out_fmt, json_strn)
{
	static const uint8_t in[] = "a\"\\\n\xc3\xa9\xed\xa0\x80\xe2\x82z";
	static const char want[] = "\"a\\\"\\\\\\u000a\xc3\xa9\\ufffd\\ufffd\\ufffd"
				   "\\ufffd\\ufffdz\"";

	mp_out_init(&o, -1, false);
	mp_out_json_strn(&o, in, sizeof in - 1);
	cr_assert_eq(o.n, strlen(want), "got %.*s", (int)o.n, o.buf);
	cr_assert(memcmp(o.buf, want, o.n) == 0, "got %.*s", (int)o.n, o.buf);
}
