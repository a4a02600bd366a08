/* SPDX-License-Identifier: BSD-2-Clause */
/* test_joins.c - unit.joins: join attempts and address use (joins.h) on
 * synthetic event sequences, as the engine emits them, where the outcome
 * is known by construction.
 *
 * RFC 8684 §3.2, §3.4, §3.6. Each test plays connection 1: client
 * 10.0.1.1 / 10.0.2.1, server 10.0.1.2 / 10.0.2.2; subflow 1 is the initial
 * one, subflow 2 a join 10.0.2.1.40000 > 10.0.2.2.12345 made by the client
 * (address id 2). Every outcome of joins.h, and an attempt whose SYN/ACK the
 * capture misses. Times in ms. */
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "mpana/joins.h"
#include "mpana/opt.h"

#define MS 1000000ull

static struct mp_join_attempt got[8];
static struct mp_addr_use addrs[8];
static unsigned n_got, n_addrs;
static struct mp_jn *J;
static struct mp_conn C;
static struct mp_subflow SF1, SF2;
static uint64_t FRAME;
static const uint8_t A1[4] = { 10, 0, 1, 1 }, B1[4] = { 10, 0, 1, 2 };
static const uint8_t A2[4] = { 10, 0, 2, 1 }, B2[4] = { 10, 0, 2, 2 };

static void on_attempt(void *u, const struct mp_join_attempt *r)
{
	(void)u;
	if (n_got < 8)
		got[n_got++] = *r;
}

static void on_address(void *u, const struct mp_addr_use *a)
{
	(void)u;
	if (n_addrs < 8)
		addrs[n_addrs++] = *a;
}

static void setup(void)
{
	J = mp_jn_new(&(struct mp_jn_cfg){ .on_attempt = on_attempt,
					   .on_address = on_address });
	cr_assert_not_null(J);
	memset(&C, 0, sizeof C);
	C.id = 1;
	C.version = 1;
	C.family = 4;
	memcpy(C.addr[0], A1, 4);
	memcpy(C.addr[1], B1, 4);
	memset(&SF1, 0, sizeof SF1);
	SF1.id = 1;
	SF1.conn = &C;
	SF1.family = 4;
	SF1.kind = MP_SF_INITIAL;
	memcpy(SF1.src, A1, 4);
	memcpy(SF1.dst, B1, 4);
	SF1.sport = 50000;
	SF1.dport = 12345;
	SF1.src_is_client = true;
	SF1.syn_ts = 1;
	SF1.synack_seen = true;
	memset(&SF2, 0, sizeof SF2);
	SF2.id = 2;
	SF2.conn = &C;
	SF2.family = 4;
	SF2.kind = MP_SF_JOIN;
	memcpy(SF2.src, A2, 4);
	memcpy(SF2.dst, B2, 4);
	SF2.sport = 40000;
	SF2.dport = 12345;
	SF2.src_is_client = true;
	SF2.token = 0x1234abcd;
	SF2.addr_id[0] = 2;
	SF2.addr_id_known[0] = true;
	C.sf_head = &SF1;
	SF1.conn_next = &SF2;
	C.sf_tail = &SF2;
	C.n_sf = 2;
	FRAME = 0;
	n_got = n_addrs = 0;
}

static void teardown(void)
{
	mp_jn_free(J);
}

TestSuite(joins, .init = setup, .fini = teardown);

/* A packet on subflow `sf`, from its SYN sender (dir 0) or the other end. */
static void pkt_make(struct mp_pkt *p, const struct mp_subflow *sf, int dir, uint8_t flags)
{
	memset(p, 0, sizeof *p);
	p->family = 4;
	memcpy(p->src, dir ? sf->dst : sf->src, 4);
	memcpy(p->dst, dir ? sf->src : sf->dst, 4);
	p->sport = dir ? sf->dport : sf->sport;
	p->dport = dir ? sf->sport : sf->dport;
	p->flags = flags;
}

static struct mp_opt *opt_add(struct mp_pkt *p, uint8_t subtype)
{
	struct mp_opt *o = &p->opts.v[p->opts.n++];

	o->subtype = subtype;
	o->err = MP_E_NONE;
	return o;
}

/* One engine event made by packet `p` on subflow `sf`, at `ms`. */
static void ev(unsigned type, int ok, double ms, const struct mp_subflow *sf,
	       const struct mp_pkt *p)
{
	struct mp_event e;

	memset(&e, 0, sizeof e);
	e.ts_ns = (uint64_t)(ms * (double)MS) + 1000 * MS;
	e.frame = ++FRAME;
	e.conn = 1;
	e.subflow = sf->id;
	e.type = (uint8_t)type;
	e.ok = (int8_t)ok;
	mp_jn_event(J, &e, sf, p);
}

static void syn(double ms)
{
	struct mp_pkt p;

	pkt_make(&p, &SF2, 0, MP_TH_SYN);
	opt_add(&p, MPTCP_SUB_JOIN)->u.join.phase = MP_JOIN_SYN;
	ev(MP_EV_JOIN_SYN, MP_OK_UNKNOWN, ms, &SF2, &p);
}

static void synack(double ms, int ok)
{
	struct mp_pkt p;
	struct mp_opt *o;

	pkt_make(&p, &SF2, 1, MP_TH_SYN | MP_TH_ACK);
	o = opt_add(&p, MPTCP_SUB_JOIN);
	o->u.join.phase = MP_JOIN_SYNACK;
	o->u.join.addr_id = 5;
	o->u.join.backup = true;
	SF2.synack_seen = true;
	ev(MP_EV_JOIN_SYNACK, ok, ms, &SF2, &p);
}

static void ack3(double ms, int ok)
{
	struct mp_pkt p;

	pkt_make(&p, &SF2, 0, MP_TH_ACK);
	opt_add(&p, MPTCP_SUB_JOIN)->u.join.phase = MP_JOIN_ACK;
	ev(MP_EV_JOIN_ACK, ok, ms, &SF2, &p);
}

static void ack4(double ms)
{
	struct mp_pkt p;

	pkt_make(&p, &SF2, 1, MP_TH_ACK);
	ev(MP_EV_JOIN_ACK_RESPONDER, MP_OK_UNKNOWN, ms, &SF2, &p);
}

/* A RST from `dir`, with MP_TCPRST `reason` when >= 0. As the engine does,
 * a RST+ACK from the responder after the third ACK also makes a
 * join_ack_responder event first. */
static void rst(double ms, int dir, int reason)
{
	struct mp_pkt p;

	pkt_make(&p, &SF2, dir, MP_TH_RST | MP_TH_ACK);
	if (reason >= 0)
		opt_add(&p, MPTCP_SUB_TCPRST)->u.tcprst.reason = (uint8_t)reason;
	if (dir == 1)
		ev(MP_EV_JOIN_ACK_RESPONDER, MP_OK_UNKNOWN, ms, &SF2, &p);
	if (reason >= 0)
		ev(MP_EV_MP_TCPRST, MP_OK_UNKNOWN, ms, &SF2, &p);
	ev(MP_EV_RST, MP_OK_UNKNOWN, ms, &SF2, &p);
}

static void end(double ms)
{
	mp_jn_conn_end(J, &C, (uint64_t)(ms * (double)MS) + 1000 * MS);
}

Test(joins, established_at_the_fourth_ack)
{
	syn(0);
	synack(0.1, MP_OK_TRUE);
	ack3(0.2, MP_OK_TRUE);
	ack4(0.3);
	/* final at once, before the connection ends */
	cr_assert_eq(n_got, 1);
	cr_assert_eq(got[0].outcome, MP_JN_ESTABLISHED);
	cr_assert_eq(got[0].setup_ns, 300000);
	cr_assert_eq(got[0].retransmissions, 0);
	cr_assert_eq(got[0].initiator, 0);
	cr_assert_eq(got[0].addr_id, 2);
	cr_assert(got[0].peer_id_known);
	cr_assert_eq(got[0].peer_addr_id, 5);
	cr_assert(got[0].peer_backup);
	cr_assert_eq(got[0].hmac_synack, MP_OK_TRUE);
	cr_assert_eq(got[0].hmac_ack, MP_OK_TRUE);
	cr_assert_eq(got[0].token, 0x1234abcd);
	cr_assert(got[0].token_known);
	cr_assert_eq(got[0].syn_frame, 1);
	cr_assert_eq(got[0].ack4_frame, 4);
	cr_assert(!got[0].inferred);
	cr_assert_eq(got[0].tcprst_reason, -1);
	end(10);
	cr_assert_eq(n_got, 1, "reported once");
	cr_assert_str_eq(mp_jn_outcome_name(got[0].outcome), "established");
}

Test(joins, no_synack_given_up)
{
	syn(0);
	syn(1000);
	cr_assert_eq(n_got, 0);
	end(4000); /* more than twice the last interval after the last SYN */
	cr_assert_eq(n_got, 1);
	cr_assert_eq(got[0].outcome, MP_JN_NO_SYNACK);
	cr_assert_eq(got[0].retransmissions, 1);
	cr_assert(got[0].gave_up);
	cr_assert_eq(got[0].t_last_syn_ns - got[0].t_syn_ns, 1000 * MS);
}

Test(joins, no_synack_capture_ended_first)
{
	syn(0);
	syn(1000);
	end(2500); /* the next SYN would come at 3000 */
	cr_assert_eq(n_got, 1);
	cr_assert_eq(got[0].outcome, MP_JN_NO_SYNACK);
	cr_assert(!got[0].gave_up);
}

Test(joins, refused_by_a_rst_answering_the_syn)
{
	syn(0);
	rst(0.1, 1, -1);
	cr_assert_eq(n_got, 1);
	cr_assert_eq(got[0].outcome, MP_JN_REFUSED);
	cr_assert_eq(got[0].reset_by, 1);
	cr_assert_eq(got[0].tcprst_reason, -1);
	cr_assert_eq(got[0].t_ack4_ns, 0, "a RST is not the fourth ACK");
}

Test(joins, synack_without_join)
{
	struct mp_pkt p;

	syn(0);
	pkt_make(&p, &SF2, 1, MP_TH_SYN | MP_TH_ACK);
	SF2.synack_seen = true;
	SF2.fallback = MP_FB_JOIN_REFUSED;
	ev(MP_EV_FALLBACK, MP_OK_UNKNOWN, 0.1, &SF2, &p);
	end(10);
	cr_assert_eq(n_got, 1);
	cr_assert_eq(got[0].outcome, MP_JN_SYNACK_WITHOUT_JOIN);
	cr_assert_eq(got[0].synack_frame, 2);
	cr_assert(!got[0].peer_id_known);
}

Test(joins, hmac_failure_of_the_synack)
{
	syn(0);
	synack(0.1, MP_OK_FALSE);
	rst(0.2, 0, 0); /* the initiator resets */
	cr_assert_eq(n_got, 1);
	cr_assert_eq(got[0].outcome, MP_JN_HMAC_FAILURE);
	cr_assert_eq(got[0].hmac_failed, MP_JN_HMAC_SYNACK);
	cr_assert_str_eq(mp_jn_hmac_name(got[0].hmac_failed), "synack");
	cr_assert_eq(got[0].reset_by, 0);
}

Test(joins, hmac_failure_of_the_third_ack)
{
	syn(0);
	synack(0.1, MP_OK_TRUE);
	ack3(0.2, MP_OK_FALSE);
	end(10);
	cr_assert_eq(got[0].outcome, MP_JN_HMAC_FAILURE);
	cr_assert_eq(got[0].hmac_failed, MP_JN_HMAC_ACK);
}

Test(joins, rejected_after_the_third_ack_with_its_reason)
{
	syn(0);
	synack(0.01, MP_OK_TRUE);
	ack3(0.02, MP_OK_TRUE);
	rst(0.03, 1, 3); /* administratively prohibited */
	rst(0.04, 0, 0); /* the client's own reset after it: not counted */
	cr_assert_eq(n_got, 1);
	cr_assert_eq(got[0].outcome, MP_JN_REJECTED);
	cr_assert_eq(got[0].tcprst_reason, 3);
	cr_assert_eq(got[0].reset_by, 1);
	cr_assert_eq(got[0].t_ack4_ns, 0);
	cr_assert_neq(got[0].t_ack_ns, 0);
	end(10);
	cr_assert_eq(n_got, 1);
}

Test(joins, not_established_without_the_fourth_ack)
{
	syn(0);
	synack(0.1, MP_OK_TRUE);
	ack3(0.2, MP_OK_TRUE);
	SF2.pkts[1] = 1; /* the SYN/ACK only */
	end(10);
	cr_assert_eq(n_got, 1);
	cr_assert_eq(got[0].outcome, MP_JN_NOT_ESTABLISHED);
}

Test(joins, unknown_token)
{
	SF2.orphan = true;
	syn(0);
	rst(0.1, 1, -1);
	cr_assert_eq(n_got, 1);
	cr_assert_eq(got[0].outcome, MP_JN_UNKNOWN_TOKEN);
	cr_assert(!got[0].token_known);
	cr_assert_eq(got[0].initiator, MP_JN_HOST_UNKNOWN);
}

/* The capture misses the SYN/ACK: the engine sees no fourth ACK then (it
 * needs the SYN/ACK first), but the third ACK and the responder's packets
 * after it show the join was made. */
Test(joins, established_inferred_without_the_synack)
{
	syn(0);
	ack3(0.2, MP_OK_UNKNOWN);
	SF2.pkts[1] = 4;
	SF2.bytes[0] = 1000;
	end(10);
	cr_assert_eq(n_got, 1);
	cr_assert_eq(got[0].outcome, MP_JN_ESTABLISHED);
	cr_assert(got[0].inferred);
	cr_assert_eq(got[0].t_synack_ns, 0);
	cr_assert_eq(got[0].setup_ns, 200000);
}

/* ---- addresses ------------------------------------------------------- */

/* ADD_ADDR (or its echo) of 10.0.2.2 id 2 on the initial subflow: from
 * the server (dir 1), the echo from the client (dir 0). */
static void add_addr(double ms, bool echo, int ok)
{
	struct mp_pkt p;
	struct mp_opt *o;

	pkt_make(&p, &SF1, echo ? 0 : 1, MP_TH_ACK);
	o = opt_add(&p, MPTCP_SUB_ADD_ADDR);
	o->u.add_addr.version = 1;
	o->u.add_addr.ipver = 4;
	o->u.add_addr.echo = echo;
	o->u.add_addr.addr_id = 2;
	memcpy(o->u.add_addr.addr, B2, 4);
	o->u.add_addr.has_hmac = !echo;
	ev(echo ? MP_EV_ADD_ADDR_ECHO : MP_EV_ADD_ADDR, ok, ms, &SF1, &p);
}

static void remove_addr(double ms)
{
	struct mp_pkt p;
	struct mp_opt *o;

	pkt_make(&p, &SF1, 1, MP_TH_ACK);
	o = opt_add(&p, MPTCP_SUB_REMOVE_ADDR);
	o->u.remove_addr.n_ids = 1;
	o->u.remove_addr.ids[0] = 2;
	ev(MP_EV_REMOVE_ADDR, MP_OK_TRUE, ms, &SF1, &p);
}

Test(joins, address_used)
{
	add_addr(0, false, MP_OK_TRUE);
	add_addr(0.5, false, MP_OK_TRUE); /* the same again */
	add_addr(1, true, MP_OK_TRUE);
	syn(2);
	synack(2.1, MP_OK_TRUE);
	ack3(2.2, MP_OK_TRUE);
	ack4(2.3);
	remove_addr(50);
	end(100);
	cr_assert_eq(n_addrs, 1);
	cr_assert_eq(addrs[0].verdict, MP_AU_USED);
	cr_assert_eq(addrs[0].announcer, 1);
	cr_assert_eq(addrs[0].addr_id, 2);
	cr_assert_eq(addrs[0].retransmissions, 1);
	cr_assert_eq(addrs[0].frame, 1);
	cr_assert_eq(addrs[0].echo_frame, 3);
	cr_assert_eq(addrs[0].hmac_ok, MP_OK_TRUE);
	cr_assert_eq(addrs[0].n_joins, 1);
	cr_assert_eq(addrs[0].n_established, 1);
	cr_assert_eq(addrs[0].join_sf[0], 2);
	cr_assert_eq(addrs[0].join_id[0], got[0].id);
	cr_assert_eq(addrs[0].join_outcome[0], MP_JN_ESTABLISHED);
	cr_assert_neq(addrs[0].t_removed_ns, 0);
	cr_assert_eq(addrs[0].c_flag, MP_OK_FALSE);
	cr_assert(!addrs[0].initial);
	cr_assert_str_eq(mp_au_verdict_name(addrs[0].verdict), "used");
}

Test(joins, address_unused)
{
	add_addr(0, false, MP_OK_TRUE);
	add_addr(1, true, MP_OK_TRUE);
	end(100);
	cr_assert_eq(n_got, 0);
	cr_assert_eq(n_addrs, 1);
	cr_assert_eq(addrs[0].verdict, MP_AU_UNUSED);
	cr_assert_eq(addrs[0].n_joins, 0);
	cr_assert_eq(addrs[0].t_removed_ns, 0);
}

Test(joins, address_not_echoed)
{
	add_addr(0, false, MP_OK_UNKNOWN);
	end(100);
	cr_assert_eq(addrs[0].verdict, MP_AU_NOT_ECHOED);
	cr_assert_eq(addrs[0].echo_frame, 0);
}

Test(joins, address_failed_when_every_attempt_failed)
{
	add_addr(0, false, MP_OK_TRUE);
	add_addr(1, true, MP_OK_TRUE);
	syn(2);
	end(5000);
	cr_assert_eq(n_got, 1);
	cr_assert_eq(got[0].outcome, MP_JN_NO_SYNACK);
	cr_assert_eq(addrs[0].verdict, MP_AU_FAILED);
	cr_assert_eq(addrs[0].n_joins, 1);
	cr_assert_eq(addrs[0].join_outcome[0], MP_JN_NO_SYNACK);
}

Test(joins, c_flag_of_the_server)
{
	C.mpc_flags = MPC_C;
	add_addr(0, false, MP_OK_TRUE);
	end(100);
	cr_assert_eq(addrs[0].c_flag, MP_OK_TRUE);
}

/* What the connection end did not report, mp_jn_free does. */
Test(joins, free_reports_what_is_pending)
{
	syn(0);
	add_addr(1, false, MP_OK_TRUE);
	mp_jn_free(J);
	J = NULL;
	cr_assert_eq(n_got, 1);
	cr_assert_eq(got[0].outcome, MP_JN_NO_SYNACK);
	cr_assert_eq(n_addrs, 1);
}

Test(joins, names)
{
	for (unsigned i = 0; i < MP_JN__COUNT; i++)
		cr_assert_str_neq(mp_jn_outcome_name(i), "unknown");
	for (unsigned i = 0; i < MP_AU__COUNT; i++)
		cr_assert_str_neq(mp_au_verdict_name(i), "unknown");
	cr_assert_str_eq(mp_jn_outcome_name(MP_JN__COUNT), "unknown");
	cr_assert_str_eq(mp_jn_host_name(MP_JN_HOST_UNKNOWN), "");
}
