/* SPDX-License-Identifier: BSD-2-Clause */
/* test_failover.c - unit.failover: outage episodes (failover.h) on
 * synthetic packet sequences, where the figures are known by construction.
 *
 * RFC 8684 §3.3; definition in MPTCP-NOTES.md ("Failover latency"). Each
 * test plays one connection (id 1) with subflow 1 (S, the one that fails)
 * and subflow 2 (T); data goes client → server (direction 0) and ACKs come
 * back (direction 1) with a subflow-level ack and a DATA_ACK. Times in ms.
 * The detector is the thing tested: episodes where a path fails, none
 * where it does not (idle subflows, a missed ACK, timestamps going back). */
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "mpana/failover.h"
#include "mpana/opt.h"

#define MS 1000000ull

static struct mp_failover got[8], back[8];
static unsigned n_got, n_back;
static struct mp_fo *FO;
static uint64_t FRAME;
static uint32_t snd[4];         /* next TCP sequence per subflow (client) */
static const uint8_t A1[4] = { 10, 0, 1, 1 }, B1[4] = { 10, 0, 1, 2 };
static const uint8_t A2[4] = { 10, 0, 2, 1 }, B2[4] = { 10, 0, 2, 2 };

static void on_episode(void *u, const struct mp_failover *f)
{
	(void)u;
	if (n_got < 8)
		got[n_got++] = *f;
}

static void on_failback(void *u, const struct mp_failover *f)
{
	(void)u;
	if (n_back < 8)
		back[n_back++] = *f;
}

static void setup(void)
{
	struct mp_fo_cfg cfg = { on_episode, on_failback, NULL };

	n_got = n_back = 0;
	FRAME = 0;
	snd[1] = 100;
	snd[2] = 5000;
	FO = mp_fo_new(&cfg);
	cr_assert_not_null(FO);
}

static void teardown(void)
{
	mp_fo_free(FO);
}

TestSuite(failover, .init = setup, .fini = teardown);

/* The packet being played: what the decoder and the engine would hand on. */
static struct mp_pkt P;
static struct mp_pkt_ann A;

static void pkt_base(struct mp_fo_pkt *p, uint32_t sf, uint64_t t, uint8_t dir)
{
	memset(&P, 0, sizeof P);
	memset(&A, 0, sizeof A);
	p->frame = ++FRAME;
	p->ts_ns = t * MS;
	p->pkt = &P;
	p->ann = &A;
	A.conn = 1;
	A.subflow = sf;
	A.conn_dir = dir;
	P.flags = MP_TH_ACK;
	P.family = 4;
	memcpy(P.src, sf == 2 ? A2 : A1, 4);
	memcpy(P.dst, sf == 2 ? B2 : B1, 4);
}

/* Data [dsn, dsn+len) sent by the client on subflow sf at t ms, new on
 * the subflow (or a re-send of sequence `seq` when seq != 0). */
static void data_ex(uint32_t sf, uint64_t t, uint64_t dsn, uint32_t len,
		    uint8_t resend, uint32_t resend_of, uint32_t seq)
{
	struct mp_fo_pkt p;

	pkt_base(&p, sf, t, 0);
	A.has_map = true;
	A.seg_dsn = dsn;
	A.seg_dlen = len;
	P.payload_len = len;
	A.resend = resend;
	A.resend_of_sf = resend_of;
	P.seq = seq ? seq : snd[sf];
	P.ack = 1;
	if (!seq)
		snd[sf] += len;
	mp_fo_packet(FO, &p);
}

static void data(uint32_t sf, uint64_t t, uint64_t dsn, uint32_t len)
{
	data_ex(sf, t, dsn, len, MP_RESEND_NONE, 0, 0);
}

/* The server's ACK on subflow sf at t ms: TCP ack `ack`, DATA_ACK `dack`. */
static void ack(uint32_t sf, uint64_t t, uint32_t tcp_ack, uint64_t dack)
{
	struct mp_fo_pkt p;

	pkt_base(&p, sf, t, 1);
	A.has_dack = true;
	A.dack = dack;
	P.seq = 1;
	P.ack = tcp_ack;
	mp_fo_packet(FO, &p);
}

/* Both subflows deliver until 13 ms; then S's segment [3000,4000) (TCP
 * 1100..2100) is lost and T's [4000,5000) arrives behind the hole. */
static void lose_on_s(void)
{
	data(1, 10, 1000, 1000);        /* S: TCP 100..1100 */
	ack(1, 11, 1100, 2000);         /* S's last ACK advance: t_fail */
	data(2, 12, 2000, 1000);        /* T: TCP 5000..6000 */
	ack(2, 13, 6000, 3000);
	data(1, 20, 3000, 1000);        /* S: lost */
	data(2, 21, 4000, 1000);        /* T: behind the hole */
	ack(2, 22, 7000, 3000);         /* DATA_ACK stuck at the hole */
}

Test(failover, silent_failure_is_reported_when_recovered)
{
	lose_on_s();
	data(2, 100, 5000, 1000);
	ack(2, 101, 8000, 3000);
	data_ex(2, 300, 3000, 1000, MP_RESEND_REINJECT, 1, 0); /* reinjection */
	cr_assert_eq(n_got, 0, "not before the DATA_ACK covers what S lost");
	ack(2, 301, 9000, 6000);        /* covers it: recovered */
	cr_assert_eq(n_got, 1, "reported as soon as complete");
	cr_assert_eq(got[0].kind, MP_FO_FAILOVER);
	cr_assert_eq(got[0].vantage, MP_FO_VANTAGE_SENDER);
	cr_assert_eq(got[0].from_sf, 1);
	cr_assert_eq(got[0].to_sf, 2);
	cr_assert_eq(got[0].dir, 0);
	cr_assert_eq(got[0].t_fail_ns, 11 * MS);
	cr_assert_eq(got[0].fail_frame, 2);
	cr_assert_eq(got[0].t_first_reinject_ns, 300 * MS);
	cr_assert_eq(got[0].t_recovered_ns, 301 * MS);
	cr_assert_eq(got[0].latency_ns, 290 * MS);
	cr_assert_eq(got[0].lost_bytes, 1000);
	cr_assert_eq(got[0].lost_dsn_end, 4000);
	cr_assert_eq(got[0].stall_ns, (301 - 13) * MS);
	cr_assert_not(got[0].lower_bound);
	cr_assert_eq(got[0].cause, MP_FO_CAUSE_NONE);
}

Test(failover, recovery_waits_for_the_last_segment_lost)
{
	/* a tail-loss probe of new data on S after the failure: part of the loss */
	lose_on_s();
	data(1, 60, 6000, 500);         /* S: lost too (TCP 2100..2600) */
	data(2, 100, 5000, 1000);
	ack(2, 101, 8000, 3000);
	data_ex(2, 300, 3000, 1000, MP_RESEND_REINJECT, 1, 0);
	ack(2, 301, 9000, 6000);        /* covers [3000,4000), not [6000,6500) */
	cr_assert_eq(n_got, 0);
	data_ex(2, 350, 6000, 500, MP_RESEND_REINJECT, 1, 0);
	ack(2, 351, 9500, 6500);
	cr_assert_eq(n_got, 1);
	cr_assert_eq(got[0].t_recovered_ns, 351 * MS);
	cr_assert_eq(got[0].lost_bytes, 1500);
	cr_assert_eq(got[0].lost_dsn_end, 6500);
}

Test(failover, subflow_recovering_first_is_a_stall)
{
	lose_on_s();
	data(2, 100, 5000, 1000);
	ack(2, 101, 8000, 3000);
	data_ex(1, 250, 3000, 1000, MP_RESEND_RETRANS, 1, 1100); /* S's own RTO */
	ack(1, 251, 2100, 6000);        /* S's ACK advances and covers it */
	cr_assert_eq(n_got, 1);
	cr_assert_eq(got[0].kind, MP_FO_STALL);
	cr_assert_eq(got[0].t_recovered_ns, 251 * MS);
	cr_assert_eq(got[0].latency_ns, 240 * MS);
}

Test(failover, short_gap_is_no_outage)
{
	lose_on_s();
	ack(1, 150, 2100, 6000);        /* S's ACK advances within 200 ms */
	mp_fo_conn_end(FO, 1, 1000 * MS);
	cr_assert_eq(n_got, 0);
}

Test(failover, idle_subflow_is_no_outage)
{
	data(1, 10, 1000, 1000);
	ack(1, 11, 1100, 2000);         /* everything acknowledged */
	data(2, 12, 2000, 1000);
	ack(2, 13, 6000, 3000);
	data(2, 500, 3000, 1000);       /* S idle for seconds */
	ack(2, 501, 7000, 4000);
	data(1, 900, 4000, 1000);       /* S used again, acked at once */
	ack(1, 902, 2100, 5000);
	mp_fo_conn_end(FO, 1, 2000 * MS);
	cr_assert_eq(n_got, 0);
}

Test(failover, idle_subflow_failing_reports_its_first_send_beside_t_fail)
{
	data(1, 10, 1000, 1000);
	ack(1, 11, 1100, 2000);         /* everything acknowledged */
	data(2, 12, 2000, 1000);
	ack(2, 13, 6000, 3000);
	data(1, 500, 3000, 1000);       /* S used again: lost */
	data(2, 510, 4000, 1000);
	ack(2, 511, 7000, 3000);
	data_ex(2, 800, 3000, 1000, MP_RESEND_REINJECT, 1, 0);
	ack(2, 801, 8000, 5000);
	cr_assert_eq(n_got, 1);
	cr_assert_eq(got[0].t_fail_ns, 11 * MS, "the contract's: S's last ACK advance");
	cr_assert_eq(got[0].latency_ns, 790 * MS);
	cr_assert_eq(got[0].t_sent_ns, 500 * MS, "where the outage shows");
	cr_assert_eq(got[0].sent_frame, 5);
}

Test(failover, missed_ack_in_the_capture_is_no_outage)
{
	/* the capture lost some of S's ACKs: the next one covers more */
	for (unsigned i = 0; i < 20; i++) {
		data(1, 10 + 30 * i, 1000 + 1000 * i, 1000);
		if (i % 4 != 3)         /* every fourth ACK missing */
			ack(1, 11 + 30 * i, snd[1], 2000 + 1000 * i);
	}
	mp_fo_conn_end(FO, 1, 700 * MS);
	cr_assert_eq(n_got, 0);
}

Test(failover, timestamps_going_back_make_no_outage)
{
	data(1, 500, 1000, 1000);
	ack(1, 501, 1100, 2000);
	data(1, 100, 2000, 1000);       /* out of order in the file */
	ack(1, 502, 2100, 3000);
	mp_fo_conn_end(FO, 1, 600 * MS);
	cr_assert_eq(n_got, 0);
}

Test(failover, flapping_path_gives_two_episodes)
{
	lose_on_s();
	data_ex(2, 300, 3000, 1000, MP_RESEND_REINJECT, 1, 0);
	ack(2, 301, 8000, 5000);        /* first episode recovered */
	cr_assert_eq(n_got, 1);
	ack(1, 400, 2100, 5000);        /* the path is back: S's ACK advances */
	data(1, 410, 5000, 1000);       /* new data on S: failback */
	cr_assert_eq(n_back, 1);
	cr_assert_eq(back[0].id, got[0].id);
	cr_assert_eq(back[0].t_failback_ns, 410 * MS);
	cr_assert_eq(back[0].failback_sf, 1);
	ack(1, 411, 3100, 6000);
	data(1, 420, 6000, 1000);       /* the path dies again: lost */
	data(2, 425, 7000, 1000);
	ack(2, 426, 10000, 6000);
	data_ex(2, 700, 6000, 1000, MP_RESEND_REINJECT, 1, 0);
	ack(2, 701, 11000, 8000);
	cr_assert_eq(n_got, 2);
	cr_assert_eq(got[1].t_fail_ns, 411 * MS);
	cr_assert_eq(got[1].latency_ns, 290 * MS);
	cr_assert_neq(got[1].id, got[0].id);
}

Test(failover, explicit_signal_names_the_cause_not_t_fail)
{
	struct mp_event ev;
	struct mp_sf_signal sig;

	lose_on_s();
	memset(&sig, 0, sizeof sig);
	sig.ts_ns = 50 * MS;
	sig.frame = 99;
	sig.conn = 1;
	sig.subflow = 1;
	sig.type = MP_EV_REMOVE_ADDR;
	mp_fo_signal(FO, &sig);
	memset(&ev, 0, sizeof ev);
	ev.ts_ns = 60 * MS;
	ev.conn = 1;
	ev.subflow = 1;
	ev.type = MP_EV_RST;            /* not the first */
	mp_fo_event(FO, &ev);
	data_ex(2, 300, 3000, 1000, MP_RESEND_REINJECT, 1, 0);
	ack(2, 301, 8000, 5000);
	cr_assert_eq(n_got, 1);
	cr_assert_eq(got[0].cause, MP_FO_CAUSE_REMOVE_ADDR);
	cr_assert_eq(got[0].t_fail_ns, 11 * MS);
}

Test(failover, capture_ending_in_the_outage_is_a_lower_bound)
{
	lose_on_s();
	data_ex(1, 250, 3000, 1000, MP_RESEND_RETRANS, 1, 1100); /* RTO, unanswered */
	mp_fo_conn_end(FO, 1, 900 * MS);
	cr_assert_eq(n_got, 1);
	cr_assert(got[0].lower_bound);
	cr_assert_eq(got[0].t_recovered_ns, 0);
	cr_assert_eq(got[0].latency_ns, (250 - 11) * MS, "to the connection's last packet");
	cr_assert_eq(got[0].lost_bytes, 1000);
}

/* ---- receiver side: the capture is beside the server ---------------- */

/* The server's ACK right after the data (the capture is beside it). */
static void rx_ack(uint32_t sf, uint64_t t_us, uint32_t tcp_ack, uint64_t dack)
{
	struct mp_fo_pkt p;

	pkt_base(&p, sf, 0, 1);
	p.ts_ns = t_us * 1000u;
	A.has_dack = true;
	A.dack = dack;
	P.seq = 1;
	P.ack = tcp_ack;
	mp_fo_packet(FO, &p);
}

static void rx_data(uint32_t sf, uint64_t t_us, uint64_t dsn, uint32_t len)
{
	struct mp_fo_pkt p;

	pkt_base(&p, sf, 0, 0);
	p.ts_ns = t_us * 1000u;
	A.has_map = true;
	A.seg_dsn = dsn;
	A.seg_dlen = len;
	P.payload_len = len;
	P.seq = snd[sf];
	P.ack = 1;
	snd[sf] += len;
	mp_fo_packet(FO, &p);
}

Test(failover, receiver_side_sees_the_holes_fill)
{
	uint64_t dsn = 1000, t, k;

	/* both subflows deliver, each ACKed 20 us later */
	for (t = 0; t < 100000; t += 10000) {
		rx_data(1, t, dsn, 1000);
		rx_ack(1, t + 20, snd[1], dsn + 1000);
		rx_data(2, t + 5000, dsn + 1000, 1000);
		rx_ack(2, t + 5020, snd[2], dsn + 2000);
		dsn += 2000;
	}
	rx_data(1, 100000, dsn, 1000);          /* S's last segment */
	rx_ack(1, 100020, snd[1], dsn + 1000);
	/* S's next one, [dsn+1000, dsn+2000), never arrives: T's data piles
	 * up behind the hole */
	for (t = 105000, k = 0; t < 600000; t += 10000, k++) {
		rx_data(2, t, dsn + 2000 + 1000 * k, 1000);
		rx_ack(2, t + 20, snd[2], dsn + 1000);
	}
	cr_assert_eq(n_got, 0);
	/* the reinjected data fills it: everything covered */
	rx_data(2, 600000, dsn + 1000, 1000);
	rx_ack(2, 600020, snd[2], dsn + 2000 + 1000 * k);
	cr_assert_eq(n_got, 1);
	cr_assert_eq(got[0].vantage, MP_FO_VANTAGE_RECEIVER);
	cr_assert_eq(got[0].from_sf, 1);
	cr_assert_eq(got[0].t_fail_ns, 100000 * 1000ull, "S's last data");
	cr_assert_eq(got[0].t_recovered_ns, 600020 * 1000ull);
	cr_assert_eq(got[0].latency_ns, 500020 * 1000ull);
	cr_assert_eq(got[0].kind, MP_FO_FAILOVER);
}

Test(failover, receiver_side_idle_subflow_with_other_loss_is_nothing)
{
	uint64_t dsn = 1000, t;

	for (t = 0; t < 100000; t += 10000) {
		rx_data(1, t, dsn, 1000);
		rx_ack(1, t + 20, snd[1], dsn + 1000);
		rx_data(2, t + 5000, dsn + 1000, 1000);
		rx_ack(2, t + 5020, snd[2], dsn + 2000);
		dsn += 2000;
	}
	/* S goes idle; T loses one segment (its own hole) for 300 ms */
	rx_data(2, 105000, dsn + 1000, 1000);   /* [dsn, dsn+1000) of T lost */
	for (t = 115000; t < 400000; t += 10000)
		rx_ack(2, t, snd[2], dsn);
	rx_data(2, 400000, dsn, 1000);
	rx_ack(2, 400020, snd[2], dsn + 2000);
	mp_fo_conn_end(FO, 1, 500000 * 1000ull);
	cr_assert_eq(n_got, 0, "the hole is T's, S was only idle");
}

Test(failover, receiver_side_idle_then_an_older_subflow_is_nothing)
{
	uint64_t dsn = 1000;

	/* S (2) carries some data, then the application pauses for 90 s
	 * and the next data goes on the initial subflow (1): no outage (an
	 * iperf3 control connection does this) */
	rx_data(1, 0, dsn, 100);
	rx_ack(1, 20, snd[1], dsn + 100);
	rx_data(2, 1000, dsn + 100, 700);
	rx_ack(2, 1020, snd[2], dsn + 800);
	rx_data(1, 90000000, dsn + 800, 7);
	rx_ack(1, 90000020, snd[1], dsn + 807);
	mp_fo_conn_end(FO, 1, 90000100 * 1000ull);
	cr_assert_eq(n_got, 0);
}

Test(failover, receiver_side_break_before_make_is_a_lower_bound)
{
	struct mp_event ev;
	uint64_t dsn = 1000;

	rx_data(1, 0, dsn, 1000);
	rx_ack(1, 20, snd[1], dsn + 1000);
	rx_data(1, 10000, dsn + 1000, 1000);    /* S's last data */
	rx_ack(1, 10020, snd[1], dsn + 2000);
	/* S dies; a join is made 400 ms later and the data resumes on it */
	memset(&ev, 0, sizeof ev);
	ev.ts_ns = 410000 * 1000ull;
	ev.frame = 99;
	ev.conn = 1;
	ev.subflow = 3;
	ev.type = MP_EV_JOIN_SYN;
	mp_fo_event(FO, &ev);
	{
		struct mp_fo_pkt p;     /* the join's SYN itself */
		pkt_base(&p, 3, 0, 0);
		p.ts_ns = 410000 * 1000ull;
		P.flags = MP_TH_SYN;
		mp_fo_packet(FO, &p);
	}
	rx_data(3, 411000, dsn + 2000, 1000);   /* reinjected data on the join */
	rx_ack(3, 411020, snd[3], dsn + 3000);
	cr_assert_eq(n_got, 1);
	cr_assert(got[0].lower_bound);
	cr_assert_eq(got[0].vantage, MP_FO_VANTAGE_RECEIVER);
	cr_assert_eq(got[0].from_sf, 1);
	cr_assert_eq(got[0].to_sf, 3);
	cr_assert_eq(got[0].t_fail_ns, 10000 * 1000ull);
	cr_assert_eq(got[0].t_recovered_ns, 411020 * 1000ull);
}
