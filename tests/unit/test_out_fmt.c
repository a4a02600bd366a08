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
