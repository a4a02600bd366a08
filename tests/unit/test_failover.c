/* SPDX-License-Identifier: BSD-2-Clause */
/* test_failover.c - unit.failover: the failover detector (failover.h) on
 * synthetic packet sequences.
 *
 * RFC 8684 §3.3; definition in MPTCP-NOTES.md ("Failover latency"). Each
 * test plays one connection (id 1) with subflow 1 (S, the one that fails)
 * and subflow 2 (T), data from the client (direction 0); ACKs flow back in
 * direction 1 with a TCP ack and a DATA_ACK. Times are in ms. */
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "mpana/failover.h"

#define MS 1000000ull

static struct mp_fo_result got[8];
static unsigned n_got;
static struct mp_fo *FO;
static uint64_t FRAME;

static void on_fo(void *u, const struct mp_fo_result *r)
{
	(void)u;
	if (n_got < 8)
		got[n_got++] = *r;
}

static void setup(void)
{
	n_got = 0;
	FRAME = 0;
	FO = mp_fo_new(on_fo, NULL);
	cr_assert_not_null(FO);
}

TestSuite(failover, .init = setup);

/* TCP sequence per subflow (client side) for the data sent on it. */
static uint32_t snd[3] = { 0, 100, 5000 };

/* Data [dsn, dsn+len) sent on subflow sf at t ms. */
static void data(uint32_t sf, uint64_t t, uint64_t dsn, uint32_t len)
{
	struct mp_fo_pkt p;

	memset(&p, 0, sizeof p);
	p.frame = ++FRAME;
	p.ts_ns = t * MS;
	p.conn = 1;
	p.subflow = sf;
	p.dir = 0;
	p.has_map = true;
	p.dsn = dsn;
	p.dll = len;
	p.ack_flag = true;
	p.seq = snd[sf];
	p.ack = 1;
	p.payload_len = len;
	snd[sf] += len;
	mp_fo_packet(FO, &p);
}

/* An ACK on subflow sf at t ms: TCP ack `ack`, DATA_ACK `dack`. */
static void ack(uint32_t sf, uint64_t t, uint32_t tcp_ack, uint64_t dack)
{
	struct mp_fo_pkt p;

	memset(&p, 0, sizeof p);
	p.frame = ++FRAME;
	p.ts_ns = t * MS;
	p.conn = 1;
	p.subflow = sf;
	p.dir = 1;
	p.has_dack = true;
	p.dack = dack;
	p.ack_flag = true;
	p.seq = 1;
	p.ack = tcp_ack;
	mp_fo_packet(FO, &p);
}

/* The common start: both subflows deliver, then S's segment [3000,4000)
 * (TCP 1100..2100) is lost and T's [4000,5000) arrives behind the hole. */
static void lose_on_s(uint64_t base)
{
	snd[1] = 100;
	snd[2] = 5000;
	data(1, 10, base + 1000, 1000);        /* S: TCP 100..1100 */
	ack(1, 11, 1100, base + 2000);         /* S progresses: t_fail candidate */
	data(2, 12, base + 2000, 1000);        /* T */
	ack(2, 13, 6000, base + 3000);
	data(1, 20, base + 3000, 1000);        /* S: lost */
	data(2, 21, base + 4000, 1000);        /* T: behind the hole */
	ack(2, 22, 7000, base + 3000);         /* DATA_ACK stuck */
}

Test(failover, silent_failure)
{
	lose_on_s(0);
	data(2, 300, 3000, 1000);              /* reinjection on T */
	ack(2, 301, 8000, 5000);               /* resume */
	cr_assert_eq(n_got, 0, "reported only when the connection ends");
	mp_fo_conn_end(FO, 1);
	cr_assert_eq(n_got, 1);
	cr_assert_eq(got[0].from_sf, 1);
	cr_assert_eq(got[0].to_sf, 2);
	cr_assert_eq(got[0].dir, 0);
	cr_assert_eq(got[0].signal, MP_FO_SIG_DATA_ACK);
	cr_assert_eq(got[0].t_fail_ns, 11 * MS);
	cr_assert_eq(got[0].t_reinject_ns, 300 * MS);
	cr_assert_eq(got[0].t_resume_ns, 301 * MS);
	cr_assert_eq(got[0].t_recovered_ns, 301 * MS);
	cr_assert_eq(got[0].stall_ns, (301 - 13) * MS);
	cr_assert_eq(got[0].dsn_acked, 2000);
	cr_assert_eq(got[0].dsn_outstanding, 4000);
	cr_assert_eq(got[0].vantage, MP_FO_VANTAGE_SENDER);
	mp_fo_free(FO);
}

Test(failover, slow_subflow_is_not_a_failover)
{
	lose_on_s(0);
	ack(2, 40, 7000, 5000);                /* DATA_ACK via T first ... */
	ack(1, 41, 2100, 5000);                /* ... then S acks its segment */
	mp_fo_free(FO);
	cr_assert_eq(n_got, 0);
}

Test(failover, explicit_signal_marks_t_fail)
{
	lose_on_s(0);
	mp_fo_signal(FO, 1, 1, MP_FO_SIG_RST, 50 * MS, 99);
	mp_fo_signal(FO, 1, 1, MP_FO_SIG_FIN, 60 * MS, 100); /* not the first */
	data(2, 70, 3000, 1000);
	ack(2, 71, 8000, 5000);
	mp_fo_free(FO);
	cr_assert_eq(n_got, 1);
	cr_assert_eq(got[0].signal, MP_FO_SIG_RST);
	cr_assert_eq(got[0].t_fail_ns, 50 * MS);
	cr_assert_eq(got[0].fail_frame, 99);
	cr_assert_eq(got[0].t_resume_ns - got[0].t_fail_ns, 21 * MS);
}

Test(failover, signal_without_outstanding_data_is_ignored)
{
	snd[1] = 100;
	data(1, 10, 1000, 1000);
	ack(1, 11, 1100, 2000);
	mp_fo_signal(FO, 1, 1, MP_FO_SIG_FIN, 12 * MS, 5);
	data(2, 13, 2000, 1000);
	ack(2, 14, 6000, 3000);
	mp_fo_free(FO);
	cr_assert_eq(n_got, 0);
}

Test(failover, vantage_is_the_sender_side)
{
	lose_on_s(0);
	ack(2, 301, 8000, 5000);
	mp_fo_free(FO);
	cr_assert_eq(n_got, 1);
	cr_assert_eq(got[0].vantage, MP_FO_VANTAGE_SENDER);
	cr_assert_eq(got[0].t_reinject_ns, 0, "no reinjection seen");
}

Test(failover, dsn_wraps_at_2_64)
{
	uint64_t base = UINT64_MAX - 2500; /* the lost segment straddles 2^64 */

	lose_on_s(base);
	ack(2, 301, 8000, base + 5000);
	mp_fo_free(FO);
	cr_assert_eq(n_got, 1);
	cr_assert_eq(got[0].dsn_outstanding, base + 4000);
}

Test(failover, bounded_subflows)
{
	for (uint32_t sf = 1; sf <= MP_FO_SUBFLOWS + 2; sf++) {
		struct mp_fo_pkt p;
		memset(&p, 0, sizeof p);
		p.conn = 7;
		p.subflow = sf;
		p.ts_ns = sf;
		mp_fo_packet(FO, &p);
	}
	cr_assert_eq(mp_fo_ignored(FO), 2);
	mp_fo_free(FO);
}

Test(failover, names)
{
	cr_assert_str_eq(mp_fo_signal_name(MP_FO_SIG_DATA_ACK), "last_data_ack");
	cr_assert_str_eq(mp_fo_signal_name(MP_FO_SIG_PRIO_BACKUP), "mp_prio_backup");
	cr_assert_str_eq(mp_fo_signal_name(200), "unknown");
	cr_assert_str_eq(mp_fo_vantage_name(MP_FO_VANTAGE_SENDER), "sender");
	mp_fo_free(FO);
}
