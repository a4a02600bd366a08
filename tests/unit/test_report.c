/* SPDX-License-Identifier: BSD-2-Clause */
/* test_report.c - unit.report: connection records, JSON and text (report.h).
 *
 * RFC 8684 §3. A connection is built through the engine with packets filled
 * in directly (as in test_conn.c), then written to a temporary file. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "mpana/crypto.h"
#include "mpana/report.h"

static struct mp_out out;
static FILE *tmp;
static struct mp_pkt P;
static uint64_t frame_no;
static bool json_mode;

static void on_conn(void *u, const struct mp_conn *c)
{
	(void)u;
	if (json_mode)
		mp_out_conn_json(&out, c);
	else
		mp_out_conn_text(&out, c);
}

static void on_loose(void *u, const struct mp_subflow *sf)
{
	(void)u;
	if (json_mode)
		mp_out_loose_json(&out, sf);
	else
		mp_out_loose_text(&out, sf);
}

static void pk(const char *src, uint16_t sport, const char *dst, uint16_t dport,
	       uint8_t flags, uint32_t len)
{
	memset(&P, 0, sizeof P);
	P.family = 4;
	inet_pton(AF_INET, src, P.src);
	inet_pton(AF_INET, dst, P.dst);
	P.sport = sport;
	P.dport = dport;
	P.flags = flags;
	P.payload_len = len;
}

static struct mp_opt *opt(uint8_t subtype)
{
	struct mp_opt *o = &P.opts.v[P.opts.n++];
	o->subtype = subtype;
	return o;
}

static void go(struct mp_engine *e)
{
	frame_no++;
	mp_engine_packet(e, frame_no, UINT64_C(1600000000000000000) + frame_no * 1000000u,
			 &P, NULL);
}

/* Runs a v1 connection with one verified join and one ADD_ADDR, then an
 * unattributed subflow; returns what was written. Caller frees. */
static char *render(bool json)
{
	const uint64_t kc = UINT64_C(0x1fdb5df328bc3def), ks = UINT64_C(0x29a6c86981ad933c);
	struct mp_engine_cfg cfg = { .no_appid = true, .on_conn = on_conn,
				     .on_subflow = on_loose };
	struct mp_engine *e = mp_engine_new(&cfg);
	struct mp_opt *o;
	uint8_t h8[8], h20[20], full[32];
	static const uint8_t a2[4] = { 10, 0, 2, 2 };
	char *buf;
	long n;

	json_mode = json;
	tmp = tmpfile();
	cr_assert_not_null(tmp);
	mp_out_init(&out, fileno(tmp), false);
	pk("10.0.1.1", 1000, "10.0.1.2", 80, MP_TH_SYN, 0);
	o = opt(MPTCP_SUB_CAPABLE);
	o->u.capable.version = 1;
	go(e);
	pk("10.0.1.2", 80, "10.0.1.1", 1000, MP_TH_SYN | MP_TH_ACK, 0);
	o = opt(MPTCP_SUB_CAPABLE);
	o->u.capable.version = 1;
	o->u.capable.has_sender_key = true;
	o->u.capable.sender_key = ks;
	go(e);
	pk("10.0.1.1", 1000, "10.0.1.2", 80, MP_TH_ACK, 0);
	o = opt(MPTCP_SUB_CAPABLE);
	o->u.capable.version = 1;
	o->u.capable.has_sender_key = o->u.capable.has_receiver_key = true;
	o->u.capable.sender_key = kc;
	o->u.capable.receiver_key = ks;
	go(e);
	mp_add_addr_hmac(ks, kc, 2, a2, 4, 0, full);
	pk("10.0.1.2", 80, "10.0.1.1", 1000, MP_TH_ACK, 0);
	o = opt(MPTCP_SUB_ADD_ADDR);
	o->u.add_addr.version = 1;
	o->u.add_addr.ipver = 4;
	o->u.add_addr.addr_id = 2;
	memcpy(o->u.add_addr.addr, a2, 4);
	o->u.add_addr.has_hmac = true;
	memcpy(o->u.add_addr.hmac, full, 8); /* leftmost: an older kernel */
	go(e);
	mp_join_synack_hmac(1, kc, ks, 1, 2, h8);
	mp_join_ack_hmac(1, kc, ks, 1, 2, h20);
	pk("10.0.2.1", 2000, "10.0.2.2", 80, MP_TH_SYN, 0);
	o = opt(MPTCP_SUB_JOIN);
	o->u.join.phase = MP_JOIN_SYN;
	o->u.join.token = 0xa35d6d82;
	o->u.join.addr_id = 5;
	o->u.join.nonce = 1;
	o->u.join.backup = true;
	go(e);
	pk("10.0.2.2", 80, "10.0.2.1", 2000, MP_TH_SYN | MP_TH_ACK, 0);
	o = opt(MPTCP_SUB_JOIN);
	o->u.join.phase = MP_JOIN_SYNACK;
	o->u.join.addr_id = 2;
	o->u.join.nonce = 2;
	o->u.join.hmac_len = 8;
	memcpy(o->u.join.hmac, h8, 8);
	go(e);
	pk("10.0.2.1", 2000, "10.0.2.2", 80, MP_TH_ACK, 0);
	o = opt(MPTCP_SUB_JOIN);
	o->u.join.phase = MP_JOIN_ACK;
	o->u.join.hmac_len = 20;
	memcpy(o->u.join.hmac, h20, 20);
	go(e);
	pk("10.0.2.1", 2000, "10.0.2.2", 80, MP_TH_ACK, 700);
	o = opt(MPTCP_SUB_DSS);
	o->u.dss.flags = DSS_M | DSS_m;
	o->u.dss.dsn = 12345;
	o->u.dss.ssn = 1;
	o->u.dss.dll = 700;
	go(e);
	pk("192.0.2.9", 7, "192.0.2.10", 8, MP_TH_ACK, 10);
	o = opt(MPTCP_SUB_DSS);
	o->u.dss.flags = DSS_M; /* 32-bit: stays unattributed */
	o->u.dss.dsn = 5;
	o->u.dss.ssn = 1;
	o->u.dss.dll = 10;
	go(e);
	mp_engine_free(e);
	cr_assert_eq(mp_out_flush(&out), 0);
	n = ftell(tmp);
	cr_assert_gt(n, 0);
	buf = calloc(1, (size_t)n + 1);
	rewind(tmp);
	cr_assert_eq(fread(buf, 1, (size_t)n, tmp), (size_t)n);
	fclose(tmp);
	return buf;
}

#define HAS(buf, s) cr_assert(strstr((buf), (s)), "missing %s in:\n%s", (s), (buf))

Test(report, connection_json)
{
	char *j = render(true);
	char *second = strchr(j, '\n');

	cr_assert_not_null(second);
	cr_assert(strncmp(j, "{\"record\":\"connection\",\"conn\":1,\"version\":1,", 44) == 0, "%s", j);
	HAS(j, "\"client\":{\"addr\":\"10.0.1.1\",\"port\":1000,\"key\":\"0x1fdb5df328bc3def\"}");
	HAS(j, "\"tokens\":{\"client\":\"0x239fbdb0\",\"server\":\"0xa35d6d82\"}");
	HAS(j, "\"reinjections\":{\"count\":0,\"bytes\":0,\"max_delay_ms\":null}");
	HAS(j, "\"hmac_ok\":true,\"hmac_side\":\"left\"");
	HAS(j, "{\"subflow\":1,\"kind\":\"initial\",\"src\":\"10.0.1.1\",\"sport\":1000,"
	       "\"dst\":\"10.0.1.2\",\"dport\":80,\"initial\":true");
	HAS(j, "\"addr_ids\":{\"src\":5,\"dst\":2}");
	HAS(j, "\"backup\":true");
	HAS(j, "\"hmac_ok\":true,\"token\":\"0xa35d6d82\",\"hmac_synack\":true,\"hmac_ack\":true");
	HAS(j, "\"bytes\":{\"fwd\":700,\"rev\":0}");
	HAS(j, "\"app_proto\":\"unknown\"");
	/* then the unattributed subflow, one line */
	cr_assert(strncmp(second + 1, "{\"record\":\"subflow\",\"conn\":null,\"unattributed\":true,", 50) == 0,
		  "%s", second + 1);
	cr_assert_eq(strchr(second + 1, '\n')[1], '\0');
	free(j);
}

Test(report, connection_text)
{
	char *t = render(false);

	HAS(t, "connection 1: v1 10.0.1.1.1000 > 10.0.1.2.80, tokens 0x239fbdb0/0xa35d6d82, app unknown");
	HAS(t, "address id 2 10.0.2.2 announced by server, hmac ok (left)");
	HAS(t, "10.0.2.1.2000 > 10.0.2.2.80");
	HAS(t, "unattributed subflow");
	cr_assert_null(strstr(t, "mptcp "), "the cli test counts 'mptcp ' lines");
	free(t);
}
