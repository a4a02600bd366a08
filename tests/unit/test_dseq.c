/* SPDX-License-Identifier: BSD-2-Clause */
/* test_dseq.c - unit.dseq: the data sequence history of one direction
 * (dseq.h): new data, re-sent data and who sent it first, whatever its
 * age; memory bounded by unacknowledged runs. RFC 8684 §3.3.1, §3.3.6. */
#include <stdint.h>

#include <criterion/criterion.h>

#include "mpana/dseq.h"

#define MS 1000000ull

Test(dseq, new_data_then_reinjection_finds_the_first_sender)
{
	struct mp_sent_hist h = { 0 };
	struct mp_dseq_verdict v;

	mp_dseq_sent(&h, 1000, 500, 1, 10 * MS, 5, 0, false, NULL, &v);
	cr_assert_eq(v.resent, 0);
	mp_dseq_sent(&h, 1500, 500, 2, 11 * MS, 6, 0, false, NULL, &v);
	cr_assert_eq(v.resent, 0);
	/* 300 ms later, [1000, 1500) again on subflow 2 */
	mp_dseq_sent(&h, 1000, 500, 2, 311 * MS, 90, 0, false, NULL, &v);
	cr_assert_eq(v.resent, 500);
	cr_assert_not_null(v.first);
	cr_assert_eq(v.first->sf, 1);
	cr_assert_eq(v.first->frame, 5);
	cr_assert_eq(v.first->ts_ns, 10 * MS);
	cr_assert_eq(h.hi, 2000);
	mp_dseq_free(&h);
}

Test(dseq, partly_new_segment_adds_only_its_new_part)
{
	struct mp_sent_hist h = { 0 };
	struct mp_dseq_verdict v;

	mp_dseq_sent(&h, 0, 1000, 1, 0, 1, 0, false, NULL, &v);
	mp_dseq_sent(&h, 800, 400, 2, 5 * MS, 2, 0, false, NULL, &v);
	cr_assert_eq(v.resent, 200);
	cr_assert_eq(v.first->sf, 1);
	cr_assert_eq(h.hi, 1200);
	cr_assert_eq(mp_dseq_find(&h, 1100)->sf, 2);
	cr_assert_null(mp_dseq_find(&h, 1200));
	mp_dseq_free(&h);
}

Test(dseq, consecutive_segments_of_one_subflow_share_a_run)
{
	struct mp_sent_hist h = { 0 };

	for (unsigned i = 0; i < 100; i++)
		mp_dseq_sent(&h, 1000u * i, 1000, 1, i * 1000u, i + 1, 0, false, NULL, NULL);
	cr_assert_lt(h.n, 3, "100 segments in 0.1 ms: one run (or two)");
	cr_assert_eq(mp_dseq_find(&h, 55555)->sf, 1);
	mp_dseq_free(&h);
}

Test(dseq, acknowledged_runs_make_room_and_memory_stays_bounded)
{
	struct mp_sent_hist h = { 0 };

	/* 100000 runs alternating between subflows, each acknowledged soon:
	 * the ring stays small */
	for (uint64_t i = 0; i < 100000; i++)
		mp_dseq_sent(&h, 1000 * i, 1000, 1 + (uint32_t)(i & 1), i * MS, i + 1,
			     i >= 4 ? 1000 * (i - 4) : 0, i >= 4, NULL, NULL);
	cr_assert_leq(h.cap, 16u);
	cr_assert_eq(h.forgotten, 0);
	/* nothing acknowledged: capped, oldest forgotten */
	for (uint64_t i = 100000; i < 110000; i++)
		mp_dseq_sent(&h, 1000 * i, 1000, 1 + (uint32_t)(i & 1), i * MS, i + 1,
			     0, false, NULL, NULL);
	cr_assert_eq(h.cap, MP_DSEQ_MAX_RUNS);
	cr_assert_gt(h.forgotten, 0);
	cr_assert_eq(mp_dseq_find(&h, 1000 * 109999ull)->frame, 110000);
	mp_dseq_free(&h);
}

Test(dseq, wraps_around_the_64_bit_space)
{
	struct mp_sent_hist h = { 0 };
	struct mp_dseq_verdict v;

	mp_dseq_sent(&h, UINT64_MAX - 499, 1000, 1, 0, 1, 0, false, NULL, &v);
	cr_assert_eq(h.hi, 500);
	mp_dseq_sent(&h, UINT64_MAX - 99, 100, 2, MS, 2, 0, false, NULL, &v);
	cr_assert_eq(v.resent, 100);
	cr_assert_eq(v.first->sf, 1);
	mp_dseq_free(&h);
}

Test(dseq, segment_dsn_from_the_mapping)
{
	uint32_t n;

	/* mapping DSN 5000, 3000 bytes at relative subflow seq 1 (ISN 100):
	 * the segment at seq 1101 carries bytes 1000.. of it */
	cr_assert_eq(mp_seg_dsn(5000, 3000, 1, 100, 1101, 1448, &n), 6000);
	cr_assert_eq(n, 1448);
	cr_assert_eq(mp_seg_dsn(5000, 3000, 1, 100, 2601, 1448, &n), 7500);
	cr_assert_eq(n, 500, "cut at the mapping's end");
	mp_seg_dsn(5000, 3000, 1, 100, 50, 100, &n);
	cr_assert_eq(n, 0, "before the mapping");
}

Test(dseq, range_handed_out_earlier_but_sent_later_is_new)
{
	struct mp_sent_hist h = { 0 };
	struct mp_dseq_verdict v;

	/* failover.pcap frames 60-69: subflow 1 sends [0, 31328), subflow 2
	 * the range after the next one, [32768, 64096), then subflow 1 its
	 * tail mapping [31328, 32768): never sent before */
	mp_dseq_sent(&h, 0, 31328, 1, 0, 6, 0, false, NULL, &v);
	mp_dseq_sent(&h, 32768, 31328, 2, MS, 62, 0, false, NULL, &v);
	mp_dseq_sent(&h, 31328, 1440, 1, 20 * MS, 68, 0, false, NULL, &v);
	cr_assert_eq(v.resent, 0);
	cr_assert_null(v.first);
	cr_assert_eq(mp_dseq_find(&h, 32000)->frame, 68);
	/* and re-sending it later is a re-send of subflow 1's */
	mp_dseq_sent(&h, 31328, 1440, 2, 300 * MS, 300, 0, false, NULL, &v);
	cr_assert_eq(v.resent, 1440);
	cr_assert_eq(v.first->sf, 1);
	cr_assert_eq(v.first->frame, 68);
	mp_dseq_free(&h);
}

Test(dseq, below_the_dropped_runs_is_resent_by_an_unknown_sender)
{
	struct mp_sent_hist h = { 0 };
	struct mp_dseq_verdict v;

	for (uint64_t i = 0; i < 64; i++) /* acknowledged as sent */
		mp_dseq_sent(&h, 1000 * i, 1000, 1 + (uint32_t)(i & 1), i * MS, i + 1,
			     1000 * i, true, NULL, NULL);
	cr_assert(h.floor_valid);
	mp_dseq_sent(&h, 0, 1000, 2, 900 * MS, 900, 64000, true, NULL, &v);
	cr_assert_eq(v.resent, 1000);
	cr_assert_null(v.first);
	mp_dseq_free(&h);
}

Test(dseq, hinted_segments_extend_their_run_and_agree_with_the_slow_path)
{
	struct mp_sent_hist h = { 0 }, g = { 0 };
	struct mp_dseq_hint ha = { 0 }, hb = { 0 };
	struct mp_dseq_verdict v, w;

	/* two subflows sending interleaved parts of their own ranges, then a
	 * re-send: the same verdicts with and without hints */
	for (uint64_t i = 0; i < 200; i++) {
		uint64_t a = 1448 * i, b = 1000000 + 1448 * i;
		mp_dseq_sent(&h, a, 1448, 1, i * 1000, 2 * i + 1, 0, false, &ha, &v);
		mp_dseq_sent(&g, a, 1448, 1, i * 1000, 2 * i + 1, 0, false, NULL, &w);
		cr_assert_eq(v.resent, w.resent);
		mp_dseq_sent(&h, b, 1448, 2, i * 1000 + 500, 2 * i + 2, 0, false, &hb, &v);
		mp_dseq_sent(&g, b, 1448, 2, i * 1000 + 500, 2 * i + 2, 0, false, NULL, &w);
		cr_assert_eq(v.resent, w.resent);
	}
	cr_assert_eq(h.n, g.n);
	cr_assert_eq(h.hi, g.hi);
	mp_dseq_sent(&h, 1448 * 10, 1448, 2, MS * 500, 999, 0, false, &hb, &v);
	cr_assert_eq(v.resent, 1448);
	cr_assert_eq(v.first->sf, 1);
	cr_assert_eq(mp_dseq_find(&h, 1000000 + 1448 * 199)->sf, 2);
	mp_dseq_free(&h);
	mp_dseq_free(&g);
}
