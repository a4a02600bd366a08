/* SPDX-License-Identifier: BSD-2-Clause */
/* test_conn.c - unit.conn: the MPTCP connection engine (flow.h, event.h).
 *
 * RFC 8684 §3.1-3.7, RFC 6824. Packets are built by filling struct mp_pkt
 * directly (no pcap). Keys, nonces and HMACs marked "real" come from the
 * captures in ../shared/peer/tcpdump/ (tcpdump -nn -# -v -r; frame numbers
 * are tcpdump's); the end-to-end tests at the bottom read those captures in
 * place and skip when they are absent. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <pcap/pcap.h>

#include "mpana/crypto.h"
#include "mpana/flow.h"

/* ---- scaffolding ---------------------------------------------------- */

#define MAX_EV 256

struct rec_ev {
	uint64_t frame;
	uint32_t conn, sf;
	uint8_t type;
	int8_t ok;
	char detail[MP_EV_DETAIL_MAX];
};

static struct rec_ev evs[MAX_EV];
static unsigned n_evs;
static struct mp_engine *E;
static struct mp_pkt P;
static uint64_t FRAME;
static uint64_t T0 = UINT64_C(1600000000000000000);
static uint64_t TS;                 /* time of the next packet */
static struct mp_pkt_ann ANN;       /* annotations of the last packet */

/* finalized records, copied */
static struct mp_conn fin_conns[8];
static struct mp_subflow fin_sfs[8][4];
static unsigned n_fin_conns;
static struct mp_subflow fin_loose[8];
static unsigned n_fin_loose;

static void on_event(void *u, const struct mp_event *ev)
{
	(void)u;
	if (n_evs < MAX_EV) {
		struct rec_ev *r = &evs[n_evs++];
		r->frame = ev->frame;
		r->conn = ev->conn;
		r->sf = ev->subflow;
		r->type = ev->type;
		r->ok = ev->ok;
		memcpy(r->detail, ev->detail, sizeof r->detail);
	}
}

static void on_conn(void *u, const struct mp_conn *c)
{
	(void)u;
	if (n_fin_conns < 8) {
		unsigned k = 0;
		fin_conns[n_fin_conns] = *c;
		for (const struct mp_subflow *s = c->sf_head; s && k < 4; s = s->conn_next)
			fin_sfs[n_fin_conns][k++] = *s;
		n_fin_conns++;
	}
}

static void on_subflow(void *u, const struct mp_subflow *sf)
{
	(void)u;
	if (n_fin_loose < 8)
		fin_loose[n_fin_loose++] = *sf;
}

static void engine(uint32_t max_conns, uint64_t idle_ns)
{
	struct mp_engine_cfg cfg = {
		.max_conns = max_conns, .idle_ns = idle_ns, .no_appid = true,
		.on_event = on_event, .on_conn = on_conn, .on_subflow = on_subflow,
	};
	n_evs = 0;
	n_fin_conns = n_fin_loose = 0;
	FRAME = 0;
	TS = T0;
	E = mp_engine_new(&cfg);
	cr_assert_not_null(E);
}

static void setup(void)
{
	engine(0, 0);
}

static void teardown(void)
{
	mp_engine_free(E);
	E = NULL;
}

/* Starts a packet. */
static struct mp_pkt *pk(const char *src, uint16_t sport, const char *dst,
			 uint16_t dport, uint8_t flags, uint32_t seq,
			 uint32_t ack, uint32_t len)
{
	static const uint8_t payload[1500];

	memset(&P, 0, sizeof P);
	P.family = 4;
	P.ip_proto = 6;
	cr_assert_eq(inet_pton(AF_INET, src, P.src), 1);
	cr_assert_eq(inet_pton(AF_INET, dst, P.dst), 1);
	P.sport = sport;
	P.dport = dport;
	P.flags = flags;
	P.seq = seq;
	P.ack = ack;
	P.win = 1000;
	P.tcp_hdr_len = 20;
	P.payload_len = len;
	P.payload_caplen = len < sizeof payload ? len : sizeof payload;
	P.payload = len ? payload : NULL;
	return &P;
}

static struct mp_opt *opt(uint8_t subtype)
{
	struct mp_opt *o = &P.opts.v[P.opts.n++];
	memset(o, 0, sizeof *o);
	o->subtype = subtype;
	o->err = MP_E_NONE;
	return o;
}

/* Sends the packet being built; returns its frame number. */
static uint64_t send_pkt(void)
{
	FRAME++;
	TS += 1000000; /* 1 ms apart */
	mp_engine_packet(E, FRAME, TS, &P, &ANN);
	return FRAME;
}

static unsigned count_ev(uint8_t type)
{
	unsigned n = 0;
	for (unsigned i = 0; i < n_evs; i++)
		n += evs[i].type == type;
	return n;
}

static const struct rec_ev *find_ev(uint8_t type)
{
	for (unsigned i = 0; i < n_evs; i++)
		if (evs[i].type == type)
			return &evs[i];
	return NULL;
}

/* Real v1 keys (mptcp-v1.pcap frames 2-3) and tokens (test_crypto.c). */
#define V1_KC UINT64_C(0x1fdb5df328bc3def)
#define V1_KS UINT64_C(0x29a6c86981ad933c)
#define V1_TC 0x239fbdb0u
#define V1_TS 0xa35d6d82u

#define CLI "10.0.1.1"
#define SRV "10.0.2.1"
#define CLI2 "10.0.3.1"
#define SRV2 "10.0.4.1"

static void mpc(uint8_t version, bool skey, uint64_t ks, bool rkey, uint64_t kr)
{
	struct mp_opt *o = opt(MPTCP_SUB_CAPABLE);
	o->u.capable.version = version;
	o->u.capable.flags = MPC_H;
	o->u.capable.has_sender_key = skey;
	o->u.capable.sender_key = ks;
	o->u.capable.has_receiver_key = rkey;
	o->u.capable.receiver_key = kr;
}

/* v1 MP_CAPABLE handshake: client ISN 1000, server ISN 5000. */
static void v1_handshake(const char *c, uint16_t cp, const char *s,
			 uint16_t sp, uint64_t kc, uint64_t ks)
{
	pk(c, cp, s, sp, MP_TH_SYN, 1000, 0, 0);
	mpc(1, false, 0, false, 0);
	send_pkt();
	pk(s, sp, c, cp, MP_TH_SYN | MP_TH_ACK, 5000, 1001, 0);
	mpc(1, true, ks, false, 0);
	send_pkt();
	pk(c, cp, s, sp, MP_TH_ACK, 1001, 5001, 0);
	mpc(1, true, kc, true, ks);
	send_pkt();
}

static void dss(uint8_t flags, uint64_t ack, uint64_t dsn, uint32_t ssn,
		uint16_t dll)
{
	struct mp_opt *o = opt(MPTCP_SUB_DSS);
	o->u.dss.flags = flags;
	o->u.dss.data_ack = ack;
	o->u.dss.dsn = dsn;
	o->u.dss.ssn = ssn;
	o->u.dss.dll = dll;
}

static void join_syn(const char *a, uint16_t ap, const char *b, uint16_t bp,
		     uint32_t token, uint8_t id, uint32_t nonce, bool backup)
{
	struct mp_opt *o;
	pk(a, ap, b, bp, MP_TH_SYN, 7000, 0, 0);
	o = opt(MPTCP_SUB_JOIN);
	o->u.join.phase = MP_JOIN_SYN;
	o->u.join.token = token;
	o->u.join.addr_id = id;
	o->u.join.nonce = nonce;
	o->u.join.backup = backup;
	send_pkt();
}

static void join_synack(const char *a, uint16_t ap, const char *b, uint16_t bp,
			uint8_t id, uint32_t nonce, const uint8_t hmac[8])
{
	struct mp_opt *o;
	pk(b, bp, a, ap, MP_TH_SYN | MP_TH_ACK, 9000, 7001, 0);
	o = opt(MPTCP_SUB_JOIN);
	o->u.join.phase = MP_JOIN_SYNACK;
	o->u.join.addr_id = id;
	o->u.join.nonce = nonce;
	o->u.join.hmac_len = 8;
	memcpy(o->u.join.hmac, hmac, 8);
	send_pkt();
}

static void join_ack(const char *a, uint16_t ap, const char *b, uint16_t bp,
		     const uint8_t hmac[20])
{
	struct mp_opt *o;
	pk(a, ap, b, bp, MP_TH_ACK, 7001, 9001, 0);
	o = opt(MPTCP_SUB_JOIN);
	o->u.join.phase = MP_JOIN_ACK;
	o->u.join.hmac_len = 20;
	memcpy(o->u.join.hmac, hmac, 20);
	send_pkt();
}

/* A full v1 join from client address CLI2 to the server with correct HMACs;
 * `flip` flips one byte of the SYN/ACK HMAC. */
static void v1_join(uint16_t ap, uint8_t id_a, uint8_t id_b, bool flip)
{
	const uint32_t ra = 0x01020304, rb = 0xa0b0c0d0;
	uint8_t h8[8], h20[20];

	mp_join_synack_hmac(1, V1_KC, V1_KS, ra, rb, h8);
	mp_join_ack_hmac(1, V1_KC, V1_KS, ra, rb, h20);
	if (flip)
		h8[3] ^= 0x40;
	join_syn(CLI2, ap, SRV, 80, V1_TS, id_a, ra, false);
	join_synack(CLI2, ap, SRV, 80, id_b, rb, h8);
	join_ack(CLI2, ap, SRV, 80, h20);
	pk(SRV, 80, CLI2, ap, MP_TH_ACK, 9001, 7001, 0); /* responder's ACK */
	dss(DSS_A | DSS_a, 0, 0, 0, 0);
	send_pkt();
}

/* ---- handshakes ----------------------------------------------------- */

Test(conn, v1_handshake, .init = setup, .fini = teardown)
{
	const struct mp_conn *c;
	const struct mp_subflow *sf;
	uint64_t idsn_c;

	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	pk(CLI, 40000, SRV, 80, MP_TH_ACK | MP_TH_PSH, 1001, 5001, 100);
	mpc(1, true, V1_KC, true, V1_KS);
	P.opts.v[0].u.capable.has_data_len = true;
	P.opts.v[0].u.capable.data_len = 100;
	send_pkt();

	cr_assert_eq(mp_engine_stats(E)->conns, 1);
	c = mp_engine_conn_by_token(E, V1_TC);
	cr_assert_not_null(c);
	cr_assert_eq(c, mp_engine_conn_by_token(E, V1_TS));
	cr_assert_eq(c->id, 1);
	cr_assert_eq(c->version, 1);
	cr_assert(c->key_known[0] && c->key_known[1]);
	cr_assert_eq(c->key[0], V1_KC);
	cr_assert_eq(c->key[1], V1_KS);
	cr_assert_eq(c->token[0], V1_TC);
	cr_assert_eq(c->token[1], V1_TS);
	cr_assert_eq(c->fallback, MP_FB_NONE);
	sf = c->sf_head;
	cr_assert_eq(sf->kind, MP_SF_INITIAL);
	cr_assert_eq(sf->state, MP_SFS_ESTABLISHED);
	cr_assert_eq(sf->syn_frame, 1);
	cr_assert_neq(sf->established_ts, 0);
	cr_assert_eq(sf->bytes[0], 100);
	mp_key_derive(1, V1_KC, NULL, &idsn_c);
	cr_assert_eq(c->dir[0].dsn.val, idsn_c + 1 + 100);
	cr_assert_eq(evs[0].type, MP_EV_MPC_SYN);
	cr_assert_eq(evs[1].type, MP_EV_MPC_SYNACK);
	cr_assert_eq(evs[2].type, MP_EV_MPC_ACK);
	cr_assert_eq(evs[3].type, MP_EV_MPC_DATA);
	cr_assert_eq(evs[3].frame, 4);
	cr_assert_eq(ANN.conn, 1);
	cr_assert_eq(ANN.subflow, 1);
	cr_assert_eq(count_ev(MP_EV_KEY_MISMATCH), 0);
}

/* Real v0 keys: mptcp-v0.pcap frames 1-3 (client 10.2.1.2.35961, server
 * 10.1.1.2.22); tokens from test_crypto.c. */
#define V0_KA UINT64_C(0x9c9eabd1e46a33b2)
#define V0_KB UINT64_C(0x967d2770b6960552)

static void v0_handshake(void)
{
	pk("10.2.1.2", 35961, "10.1.1.2", 22, MP_TH_SYN, 1000, 0, 0);
	mpc(0, true, V0_KA, false, 0);
	send_pkt();
	pk("10.1.1.2", 22, "10.2.1.2", 35961, MP_TH_SYN | MP_TH_ACK, 5000, 1001, 0);
	mpc(0, true, V0_KB, false, 0);
	send_pkt();
	pk("10.2.1.2", 35961, "10.1.1.2", 22, MP_TH_ACK, 1001, 5001, 0);
	mpc(0, true, V0_KA, true, V0_KB);
	send_pkt();
}

Test(conn, v0_handshake, .init = setup, .fini = teardown)
{
	const struct mp_conn *c;

	v0_handshake();
	c = mp_engine_conn_by_token(E, 0xe47f0142);
	cr_assert_not_null(c);
	cr_assert_eq(c->version, 0);
	cr_assert_eq(c->token[0], 0xaf9706eb);
	cr_assert_eq(c->token[1], 0xe47f0142);
	cr_assert_eq(c->idsn[0], UINT64_C(0x9851b565d52abec9));
	cr_assert_eq(c->sf_head->state, MP_SFS_ESTABLISHED);
	cr_assert_eq(count_ev(MP_EV_MPC_ACK), 1);
}

Test(conn, key_mismatch_in_third_ack, .init = setup, .fini = teardown)
{
	const struct mp_conn *c;

	pk(CLI, 40000, SRV, 80, MP_TH_SYN, 1000, 0, 0);
	mpc(1, false, 0, false, 0);
	send_pkt();
	pk(SRV, 80, CLI, 40000, MP_TH_SYN | MP_TH_ACK, 5000, 1001, 0);
	mpc(1, true, V1_KS, false, 0);
	send_pkt();
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001, 5001, 0);
	mpc(1, true, V1_KC, true, V1_KS ^ 1); /* echoes another server key */
	uint64_t f = send_pkt();
	const struct rec_ev *e = find_ev(MP_EV_KEY_MISMATCH);
	cr_assert_not_null(e);
	cr_assert_eq(e->frame, f);
	cr_assert_eq(e->ok, MP_OK_FALSE);
	c = mp_engine_conn_by_token(E, V1_TS);
	cr_assert(c->key_mismatch);
	cr_assert_eq(c->key[1], V1_KS); /* the first key seen is kept */
}

/* ---- joins ---------------------------------------------------------- */

/* mptcp-v0.pcap frames 8-10: real nonces and HMACs (test_crypto.c). */
Test(conn, v0_join_real_hmacs, .init = setup, .fini = teardown)
{
	static const uint8_t h8[8] = { 0x5a, 0xb6, 0x80, 0xc7, 0x88, 0x4a, 0xf0, 0x3d };
	static const uint8_t h20[20] = { 0xcb, 0x7b, 0x87, 0xf5, 0xe5, 0xf0, 0x50,
					 0x2f, 0x43, 0xb5, 0x35, 0xfb, 0x70, 0xef,
					 0x66, 0x07, 0xdf, 0x2e, 0x6c, 0x7a };
	const struct mp_subflow *sf;

	v0_handshake();
	join_syn("10.2.1.2", 41221, "10.1.2.2", 22, 0xe47f0142, 0, 0x1b665a18, false);
	join_synack("10.2.1.2", 41221, "10.1.2.2", 22, 1, 0x33abe9d5, h8);
	cr_assert_eq(ANN.hmac_ok[0], MP_OK_TRUE);
	join_ack("10.2.1.2", 41221, "10.1.2.2", 22, h20);
	cr_assert_eq(ANN.hmac_ok[0], MP_OK_TRUE);
	cr_assert_eq(ANN.conn, 1);
	cr_assert_eq(ANN.subflow, 2);
	pk("10.1.2.2", 22, "10.2.1.2", 41221, MP_TH_ACK, 9001, 7001, 0);
	send_pkt();
	sf = mp_engine_subflow_by_id(E, 2);
	cr_assert_eq(sf->conn->id, 1);
	cr_assert_eq(sf->kind, MP_SF_JOIN);
	cr_assert_eq(sf->hmac_synack, MP_OK_TRUE);
	cr_assert_eq(sf->hmac_ack, MP_OK_TRUE);
	cr_assert(sf->src_is_client);
	cr_assert_eq(sf->addr_id[0], 0);
	cr_assert_eq(sf->addr_id[1], 1);
	cr_assert(sf->ack4_seen);
	cr_assert_eq(count_ev(MP_EV_JOIN_ACK_RESPONDER), 1);
	cr_assert_eq(count_ev(MP_EV_HMAC_FAILURE), 0);
	cr_assert_eq(sf->conn->n_sf, 2);
}

Test(conn, v1_join_hmacs_verify, .init = setup, .fini = teardown)
{
	const struct mp_subflow *sf;

	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	v1_join(40001, 2, 0, false);
	sf = mp_engine_subflow_by_id(E, 2);
	cr_assert_eq(sf->conn->id, 1);
	cr_assert_eq(sf->hmac_synack, MP_OK_TRUE);
	cr_assert_eq(sf->hmac_ack, MP_OK_TRUE);
	cr_assert_eq(sf->token, V1_TS);
	const struct rec_ev *e = find_ev(MP_EV_JOIN_SYNACK);
	cr_assert_eq(e->ok, MP_OK_TRUE);
	e = find_ev(MP_EV_JOIN_ACK);
	cr_assert_eq(e->ok, MP_OK_TRUE);
	cr_assert_eq(count_ev(MP_EV_JOIN_ACK_RESPONDER), 1);
}

/* A join initiated by the server towards the client: the token is the
 * client's, A = server. */
Test(conn, join_from_server_side, .init = setup, .fini = teardown)
{
	const uint32_t ra = 0x11111111, rb = 0x22222222;
	uint8_t h8[8], h20[20];
	const struct mp_subflow *sf;

	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	mp_join_synack_hmac(1, V1_KS, V1_KC, ra, rb, h8);
	mp_join_ack_hmac(1, V1_KS, V1_KC, ra, rb, h20);
	join_syn(SRV2, 5555, CLI, 40000, V1_TC, 3, ra, false);
	join_synack(SRV2, 5555, CLI, 40000, 0, rb, h8);
	join_ack(SRV2, 5555, CLI, 40000, h20);
	sf = mp_engine_subflow_by_id(E, 2);
	cr_assert(!sf->src_is_client);
	cr_assert_eq(sf->hmac_synack, MP_OK_TRUE);
	cr_assert_eq(sf->hmac_ack, MP_OK_TRUE);
}

Test(conn, flipped_hmac_byte, .init = setup, .fini = teardown)
{
	const struct mp_subflow *sf;

	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	v1_join(40001, 2, 0, true); /* frames 4 SYN, 5 SYN/ACK */
	sf = mp_engine_subflow_by_id(E, 2);
	cr_assert_eq(sf->hmac_synack, MP_OK_FALSE);
	cr_assert_eq(sf->hmac_ack, MP_OK_TRUE);
	const struct rec_ev *e = find_ev(MP_EV_HMAC_FAILURE);
	cr_assert_not_null(e);
	cr_assert_eq(e->frame, 5);
	cr_assert_eq(e->sf, 2);
	cr_assert_eq(count_ev(MP_EV_HMAC_FAILURE), 1);
}

Test(conn, join_unknown_token_is_orphan, .init = setup, .fini = teardown)
{
	const struct mp_subflow *sf;
	uint8_t h8[8] = { 0 }, h20[20] = { 0 };

	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	join_syn(CLI2, 40001, SRV, 80, 0xdeadbeef, 1, 5, false);
	join_synack(CLI2, 40001, SRV, 80, 0, 6, h8);
	cr_assert_eq(ANN.hmac_ok[0], MP_OK_UNKNOWN);
	join_ack(CLI2, 40001, SRV, 80, h20);
	sf = mp_engine_subflow_by_id(E, 2);
	cr_assert(sf->orphan);
	cr_assert_neq(sf->conn->id, 1); /* never attached to the wrong one */
	cr_assert(sf->conn->partial);
	cr_assert_eq(sf->hmac_synack, MP_OK_UNKNOWN);
	cr_assert_eq(mp_engine_conn_by_id(E, 1)->n_sf, 1);
	const struct rec_ev *e = find_ev(MP_EV_ORPHAN_JOIN);
	cr_assert_not_null(e);
	cr_assert_eq(e->frame, 4);
	cr_assert_eq(count_ev(MP_EV_HMAC_FAILURE), 0);
	/* a second join with the same unknown token groups with the first */
	join_syn(CLI2, 40002, SRV, 80, 0xdeadbeef, 2, 7, false);
	cr_assert_eq(mp_engine_subflow_by_id(E, 3)->conn, sf->conn);
}

/* ---- addresses ------------------------------------------------------ */

static void add_addr(const char *from, uint16_t fp, const char *to, uint16_t tp,
		     uint8_t id, const char *addr, bool echo, const uint8_t *hmac)
{
	struct mp_opt *o;
	pk(from, fp, to, tp, MP_TH_ACK, 2000, 2000, 0);
	o = opt(MPTCP_SUB_ADD_ADDR);
	o->u.add_addr.version = 1;
	o->u.add_addr.ipver = 4;
	o->u.add_addr.echo = echo;
	o->u.add_addr.addr_id = id;
	cr_assert_eq(inet_pton(AF_INET, addr, o->u.add_addr.addr), 1);
	if (hmac) {
		o->u.add_addr.has_hmac = true;
		memcpy(o->u.add_addr.hmac, hmac, 8);
	}
	send_pkt();
}

/* mptcp-aa-v1.pcap frame 13 (real): the old kernel's leftmost 64 bits. */
Test(conn, add_addr_left_side_real, .init = setup, .fini = teardown)
{
	static const uint8_t wire[8] = { 0x66, 0x99, 0x28, 0x74, 0x43, 0x66, 0x71, 0x6c };

	v1_handshake("192.168.125.212", 52278, "192.168.125.165", 55555,
		     UINT64_C(0x8f0c7c64a6a32ac1), UINT64_C(0x73bb150358a0aecb));
	add_addr("192.168.125.165", 55555, "192.168.125.212", 52278, 1,
		 "192.168.136.225", false, wire);
	cr_assert_eq(ANN.hmac_ok[0], MP_OK_TRUE);
	cr_assert_eq(ANN.hmac_side[0], MP_HMAC_LEFT);
	const struct mp_conn *c = mp_engine_conn_by_id(E, 1);
	cr_assert_eq(c->n_addrs, 1);
	cr_assert_eq(c->addrs[0].host, 1);
	cr_assert_eq(c->addrs[0].hmac_side, MP_HMAC_LEFT);
	const struct rec_ev *e = find_ev(MP_EV_ADD_ADDR);
	cr_assert_eq(e->ok, MP_OK_TRUE);
	cr_assert(strstr(e->detail, "leftmost"), "%s", e->detail);
}

Test(conn, add_addr_right_side_and_failure, .init = setup, .fini = teardown)
{
	static const uint8_t a[4] = { 10, 0, 5, 1 };
	uint8_t full[32], wire[8];

	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	mp_add_addr_hmac(V1_KS, V1_KC, 4, a, 4, 0, full);
	memcpy(wire, full + 24, 8);
	add_addr(SRV, 80, CLI, 40000, 4, "10.0.5.1", false, wire);
	cr_assert_eq(ANN.hmac_ok[0], MP_OK_TRUE);
	cr_assert_eq(ANN.hmac_side[0], MP_HMAC_RIGHT);
	wire[0] ^= 1; /* the same announcement, corrupted */
	add_addr(SRV, 80, CLI, 40000, 4, "10.0.5.1", false, wire);
	cr_assert_eq(ANN.hmac_ok[0], MP_OK_FALSE);
	const struct rec_ev *e = find_ev(MP_EV_HMAC_FAILURE);
	cr_assert_not_null(e);
	cr_assert_eq(e->frame, FRAME);
}

Test(conn, add_addr_echo_matching, .init = setup, .fini = teardown)
{
	static const uint8_t a[4] = { 10, 0, 5, 1 };
	uint8_t full[32];

	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	mp_add_addr_hmac(V1_KS, V1_KC, 4, a, 4, 0, full);
	add_addr(SRV, 80, CLI, 40000, 4, "10.0.5.1", false, full + 24);
	add_addr(CLI, 40000, SRV, 80, 4, "10.0.5.1", true, NULL);
	const struct rec_ev *e = find_ev(MP_EV_ADD_ADDR_ECHO);
	cr_assert_eq(e->ok, MP_OK_TRUE);
	cr_assert(mp_engine_conn_by_id(E, 1)->addrs[0].echoed);
	/* an echo of something never announced */
	add_addr(CLI, 40000, SRV, 80, 9, "10.0.9.9", true, NULL);
	cr_assert_eq(evs[n_evs - 1].type, MP_EV_ADD_ADDR_ECHO);
	cr_assert_eq(evs[n_evs - 1].ok, MP_OK_FALSE);
}

Test(conn, remove_addr_and_prio_resolution, .init = setup, .fini = teardown)
{
	struct mp_opt *o;

	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	v1_join(40001, 2, 0, false); /* subflow 2: client id 2, server id 0 */
	v1_join(40002, 3, 0, false); /* subflow 3: client id 3 */
	/* v0-style MP_PRIO naming client address id 3 */
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001, 5001, 0);
	o = opt(MPTCP_SUB_PRIO);
	o->u.prio.backup = true;
	o->u.prio.has_addr_id = true;
	o->u.prio.addr_id = 3;
	send_pkt();
	cr_assert(mp_engine_subflow_by_id(E, 3)->backup);
	cr_assert(!mp_engine_subflow_by_id(E, 2)->backup);
	cr_assert(!mp_engine_subflow_by_id(E, 1)->backup);
	/* v1 MP_PRIO: the subflow it is sent on */
	pk(CLI2, 40001, SRV, 80, MP_TH_ACK, 7001, 9001, 0);
	o = opt(MPTCP_SUB_PRIO);
	o->u.prio.backup = true;
	send_pkt();
	cr_assert(mp_engine_subflow_by_id(E, 2)->backup);
	/* client removes address id 2 (sent on the initial subflow) */
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001, 5001, 0);
	o = opt(MPTCP_SUB_REMOVE_ADDR);
	o->u.remove_addr.n_ids = 1;
	o->u.remove_addr.ids[0] = 2;
	send_pkt();
	cr_assert(mp_engine_subflow_by_id(E, 2)->removed);
	cr_assert(!mp_engine_subflow_by_id(E, 3)->removed);
	const struct rec_ev *e = &evs[n_evs - 1];
	cr_assert_eq(e->type, MP_EV_REMOVE_ADDR);
	cr_assert_eq(e->ok, MP_OK_TRUE);
	cr_assert(strstr(e->detail, "subflows 2"), "%s", e->detail);
	/* id 0 is the initial subflow's */
	pk(SRV, 80, CLI, 40000, MP_TH_ACK, 5001, 1001, 0);
	o = opt(MPTCP_SUB_REMOVE_ADDR);
	o->u.remove_addr.n_ids = 1;
	o->u.remove_addr.ids[0] = 0;
	send_pkt();
	cr_assert(mp_engine_subflow_by_id(E, 1)->removed);
	cr_assert(mp_engine_subflow_by_id(E, 3)->removed); /* server id 0 there too */
}

/* ---- endings -------------------------------------------------------- */

Test(conn, fin_and_data_fin, .init = setup, .fini = teardown)
{
	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001, 5001, 0);
	dss(DSS_M | DSS_m | DSS_F, 0, 12345, 0, 1);
	send_pkt();
	pk(SRV, 80, CLI, 40000, MP_TH_ACK, 5001, 1001, 0);
	dss(DSS_M | DSS_m | DSS_F, 0, 999, 0, 1);
	send_pkt();
	cr_assert_eq(count_ev(MP_EV_DATA_FIN), 2);
	pk(CLI, 40000, SRV, 80, MP_TH_ACK | MP_TH_FIN, 1001, 5001, 0);
	send_pkt();
	cr_assert_eq(mp_engine_subflow_by_id(E, 1)->state, MP_SFS_CLOSING);
	pk(SRV, 80, CLI, 40000, MP_TH_ACK | MP_TH_FIN, 5001, 1002, 0);
	send_pkt();
	const struct mp_conn *c = mp_engine_conn_by_id(E, 1);
	cr_assert_eq(c->sf_head->state, MP_SFS_CLOSED);
	cr_assert_eq(c->sf_head->close_reason, MP_CLOSE_FIN);
	cr_assert(c->closed);
	cr_assert_eq(c->close_reason, MP_CLOSE_DATA_FIN);
	cr_assert_eq(count_ev(MP_EV_FIN), 2);
	cr_assert_eq(count_ev(MP_EV_CONN_CLOSED), 1);
}

Test(conn, rst_and_tcprst, .init = setup, .fini = teardown)
{
	struct mp_opt *o;

	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	v1_join(40001, 2, 0, false);
	pk(SRV, 80, CLI2, 40001, MP_TH_RST | MP_TH_ACK, 9001, 7001, 0);
	o = opt(MPTCP_SUB_TCPRST);
	o->u.tcprst.reason = 1;
	o->u.tcprst.flags = TCPRST_T;
	send_pkt();
	const struct mp_subflow *sf = mp_engine_subflow_by_id(E, 2);
	cr_assert_eq(sf->close_reason, MP_CLOSE_TCPRST);
	cr_assert_eq(sf->tcprst_reason, 1);
	cr_assert_eq(count_ev(MP_EV_MP_TCPRST), 1);
	cr_assert(!sf->conn->closed);
	pk(SRV, 80, CLI, 40000, MP_TH_RST, 5001, 0, 0);
	send_pkt();
	cr_assert_eq(mp_engine_subflow_by_id(E, 1)->close_reason, MP_CLOSE_RST);
	cr_assert(sf->conn->closed);
	cr_assert_eq(sf->conn->close_reason, MP_CLOSE_SUBFLOWS);
	cr_assert_eq(count_ev(MP_EV_RST), 2);
}

Test(conn, fastclose, .init = setup, .fini = teardown)
{
	struct mp_opt *o;

	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001, 5001, 0);
	o = opt(MPTCP_SUB_FASTCLOSE);
	o->u.fastclose.receiver_key = V1_KS;
	send_pkt();
	const struct mp_conn *c = mp_engine_conn_by_id(E, 1);
	cr_assert(c->closed);
	cr_assert_eq(c->close_reason, MP_CLOSE_FASTCLOSE);
	cr_assert_eq(find_ev(MP_EV_MP_FASTCLOSE)->ok, MP_OK_TRUE);
}

/* ---- partial captures ----------------------------------------------- */

Test(conn, partial_subflow_attaches_by_dsn, .init = setup, .fini = teardown)
{
	uint64_t idsn_c;

	mp_key_derive(1, V1_KC, NULL, &idsn_c);
	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001, 5001, 1000);
	dss(DSS_M, 0, (uint32_t)(idsn_c + 1), 1, 1000);
	send_pkt();
	/* a subflow whose handshake was not captured, sending the next data */
	pk(CLI2, 50000, SRV, 80, MP_TH_ACK, 777, 888, 500);
	dss(DSS_M, 0, (uint32_t)(idsn_c + 1001), 1, 500);
	send_pkt();
	const struct mp_subflow *sf = mp_engine_subflow_by_id(E, 2);
	cr_assert_eq(sf->kind, MP_SF_PARTIAL);
	cr_assert_not_null(sf->conn);
	cr_assert_eq(sf->conn->id, 1);
	cr_assert(sf->src_is_client);
	cr_assert_eq(count_ev(MP_EV_SUBFLOW_ATTACHED), 1);
	cr_assert_eq(count_ev(MP_EV_UNATTRIBUTED_SUBFLOW), 0);
	cr_assert_eq(sf->conn->dir[0].dsn.val, idsn_c + 1501);
	cr_assert_eq(ANN.conn, 1);
}

Test(conn, partial_subflow_unattributed, .init = setup, .fini = teardown)
{
	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	pk(CLI2, 50000, SRV2, 80, MP_TH_ACK, 777, 888, 500);
	dss(DSS_M, 0, 42, 1, 500); /* 32-bit, far from any known DSN */
	send_pkt();
	const struct mp_subflow *sf = mp_engine_subflow_by_id(E, 2);
	cr_assert_null(sf->conn);
	cr_assert_eq(ANN.conn, 0);
	cr_assert_eq(ANN.subflow, 2);
	cr_assert_eq(count_ev(MP_EV_UNATTRIBUTED_SUBFLOW), 1);
	mp_engine_free(E);
	E = NULL;
	cr_assert_eq(n_fin_conns, 1);
	cr_assert_eq(n_fin_loose, 1);
	cr_assert_eq(fin_loose[0].id, 2);
	cr_assert_eq(fin_loose[0].bytes[0], 500);
}

/* Capture starts mid-connection; both the initial subflow and a later join
 * are seen without keys. The join's unknown token makes a partial
 * connection; the initial subflow then attaches through its DSNs. */
Test(conn, partial_attach_through_later_join, .init = setup, .fini = teardown)
{
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 100, 200, 100);
	dss(DSS_M | DSS_m, 0, 1000000, 50, 100);
	send_pkt();
	cr_assert(mp_engine_subflow_by_id(E, 1)->conn->partial); /* seeded */
	join_syn(CLI2, 40001, SRV, 80, 0xabcdef01, 1, 5, false);
	pk(CLI2, 40001, SRV, 80, MP_TH_ACK, 7001, 9001, 100);
	dss(DSS_M | DSS_m, 0, 1000100, 1, 100);
	send_pkt();
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 200, 200, 100);
	dss(DSS_M | DSS_m, 0, 1000200, 150, 100);
	send_pkt();
	const struct mp_subflow *sf = mp_engine_subflow_by_id(E, 1);
	cr_assert_not_null(sf->conn);
	cr_assert_eq(sf->conn, mp_engine_subflow_by_id(E, 2)->conn);
	cr_assert(sf->conn->partial);
	cr_assert(sf->conn->token_known[1]); /* the join's group absorbed it */
	cr_assert_eq(mp_engine_stats(E)->conns_live, 1);
}

/* Capture started mid-connection, no keys anywhere: the first subflow's
 * 64-bit DSNs start a partial connection; the others join it by DSN, and
 * when the keys show up (a v1 MP_CAPABLE with data on a new subflow would
 * not, but a retransmitted third ACK does) everything merges. */
Test(conn, partial_subflows_group_then_merge, .init = setup, .fini = teardown)
{
	uint64_t idsn_c;

	mp_key_derive(1, V1_KC, NULL, &idsn_c);
	pk(CLI2, 50000, SRV, 80, MP_TH_ACK, 100, 200, 1000);
	dss(DSS_M | DSS_m, 0, idsn_c + 5001, 3, 1000);
	send_pkt();
	const struct mp_subflow *s1 = mp_engine_subflow_by_id(E, 1);
	cr_assert_not_null(s1->conn);
	cr_assert(s1->conn->partial);
	cr_assert_eq(count_ev(MP_EV_UNATTRIBUTED_SUBFLOW), 1);
	pk(CLI2, 50001, SRV, 80, MP_TH_ACK, 100, 200, 1000);
	dss(DSS_M | DSS_m, 0, idsn_c + 6001, 3, 1000);
	send_pkt();
	cr_assert_eq(mp_engine_subflow_by_id(E, 2)->conn, s1->conn);
	/* the initial subflow's third ACK, retransmitted: keys → connection 2,
	 * whose client IDSN sits just below: partial connection 1 merges */
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001, 5001, 0);
	mpc(1, true, V1_KC, true, V1_KS);
	send_pkt();
	const struct mp_conn *c = mp_engine_conn_by_token(E, V1_TC);
	cr_assert_not_null(c);
	cr_assert_eq(c->n_sf, 3);
	cr_assert_null(mp_engine_conn_by_id(E, 1));
	cr_assert_eq(mp_engine_subflow_by_id(E, 1)->conn, c);
	cr_assert(mp_engine_subflow_by_id(E, 1)->src_is_client);
	cr_assert_eq(c->dir[0].dsn.val, idsn_c + 7001);
	teardown();
	cr_assert_eq(n_fin_conns, 1); /* the merged partial one is not emitted */
}

/* ---- data level ----------------------------------------------------- */

Test(conn, expand_32_to_64_across_wrap, .init = setup, .fini = teardown)
{
	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001, 5001, 0x100);
	dss(DSS_M | DSS_m, 0, UINT64_C(0x1ffffff00), 1, 0x100);
	send_pkt();
	const struct mp_conn *c = mp_engine_conn_by_id(E, 1);
	cr_assert_eq(c->dir[0].dsn.val, UINT64_C(0x200000000));
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 0x1101, 5001, 0x100);
	dss(DSS_M, 0, 0x00000000, 0x101, 0x100); /* 32-bit, wrapped */
	uint64_t f = send_pkt();
	cr_assert_eq(c->dir[0].dsn.val, UINT64_C(0x200000100));
	cr_assert_eq(c->dir[0].dsn.frame, f);
	/* the server's 32-bit DATA_ACK of it, also across the wrap */
	pk(SRV, 80, CLI, 40000, MP_TH_ACK, 5001, 0x1201, 0);
	dss(DSS_A, 0xfffffff0u, 0, 0, 0);
	send_pkt();
	cr_assert_eq(c->dir[1].dack.val, UINT64_C(0x1fffffff0));
	pk(SRV, 80, CLI, 40000, MP_TH_ACK, 5001, 0x1201, 0);
	dss(DSS_A, 0x00000100u, 0, 0, 0);
	f = send_pkt();
	cr_assert_eq(c->dir[1].dack.val, UINT64_C(0x200000100));
	cr_assert_eq(c->dir[1].dack.frame, f);
	cr_assert_eq(c->sf_head->dack[1].val, UINT64_C(0x200000100));
	/* an old (behind) 32-bit ack does not move the mark back */
	pk(SRV, 80, CLI, 40000, MP_TH_ACK, 5001, 0x1201, 0);
	dss(DSS_A, 0xfffffff8u, 0, 0, 0);
	send_pkt();
	cr_assert_eq(c->dir[1].dack.val, UINT64_C(0x200000100));
	cr_assert_eq(c->dir[1].dack.frame, f);
}

Test(conn, fallback_no_mpc_synack, .init = setup, .fini = teardown)
{
	pk(CLI, 40000, SRV, 80, MP_TH_SYN, 1000, 0, 0);
	mpc(1, false, 0, false, 0);
	send_pkt();
	pk(SRV, 80, CLI, 40000, MP_TH_SYN | MP_TH_ACK, 5000, 1001, 0);
	send_pkt(); /* no MPTCP option at all */
	cr_assert_eq(mp_engine_conn_by_id(E, 1)->fallback, MP_FB_NO_MPC_SYNACK);
	cr_assert_eq(mp_engine_conn_by_id(E, 1)->fallback_frame, 2);
	cr_assert_eq(mp_engine_conn_by_id(E, 1)->fallback_side, MP_FB_SIDE_CLIENT);
	cr_assert_eq(ANN.conn, 1);
	const struct rec_ev *e = find_ev(MP_EV_FALLBACK);
	cr_assert_str_eq(e->detail, "no_mpc_synack");
}

Test(conn, fallback_no_mpc_ack, .init = setup, .fini = teardown)
{
	pk(CLI, 40000, SRV, 80, MP_TH_SYN, 1000, 0, 0);
	mpc(1, false, 0, false, 0);
	send_pkt();
	pk(SRV, 80, CLI, 40000, MP_TH_SYN | MP_TH_ACK, 5000, 1001, 0);
	mpc(1, true, V1_KS, false, 0);
	send_pkt();
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001, 5001, 0);
	send_pkt();
	cr_assert_eq(mp_engine_conn_by_id(E, 1)->fallback, MP_FB_NO_MPC_ACK);
}

/* A middlebox strips the options after the handshake, seen at the server:
 * the client's data comes without DSS, and the server (which falls back)
 * sends no MPTCP option any more. Fallback no_dss at the server, proved
 * by the first unmapped data packet; decided once the runs leave no doubt. */
Test(conn, fallback_no_dss_receiver, .init = setup, .fini = teardown)
{
	uint64_t first = 0;

	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001, 5001, 1000);
	dss(DSS_M | DSS_m, 0, 5, 1, 1000);
	send_pkt();
	for (uint32_t i = 0; i < 20; i++) {
		pk(CLI, 40000, SRV, 80, MP_TH_ACK, 2001 + i * 1000, 5001, 1000);
		uint64_t f = send_pkt(); /* stripped: no option */
		if (!first)
			first = f;
		pk(SRV, 80, CLI, 40000, MP_TH_ACK, 5001, 3001 + i * 1000, 0);
		send_pkt(); /* the server's ACK, no option either */
	}
	const struct mp_conn *c = mp_engine_conn_by_id(E, 1);
	cr_assert_eq(c->fallback, MP_FB_DATA_NO_DSS);
	cr_assert_eq(c->fallback_frame, first);
	cr_assert_eq(c->fallback_side, MP_FB_SIDE_SERVER);
	cr_assert_eq(c->sf_head->fallback_side, MP_FB_SIDE_SERVER);
	cr_assert_eq(count_ev(MP_EV_FALLBACK), 1);
	cr_assert_str_eq(find_ev(MP_EV_FALLBACK)->detail, "no_dss");
	cr_assert_eq(find_ev(MP_EV_FALLBACK)->frame, first);
}

/* The same strip seen at the client: its data keeps its DSS, the server's
 * ACKs come without options: the server fell back, proved by its first
 * ACK without them. */
Test(conn, fallback_no_dss_sender_view, .init = setup, .fini = teardown)
{
	uint64_t first = 0;

	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	for (uint32_t i = 0; i < 20; i++) {
		pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001 + i * 1000, 5001, 1000);
		dss(DSS_M | DSS_m, 0, 5 + i * 1000, 1 + i * 1000, 1000);
		send_pkt();
		pk(SRV, 80, CLI, 40000, MP_TH_ACK, 5001, 2001 + i * 1000, 0);
		uint64_t f = send_pkt();
		if (!first)
			first = f;
	}
	const struct mp_conn *c = mp_engine_conn_by_id(E, 1);
	cr_assert_eq(c->fallback, MP_FB_DATA_NO_DSS);
	cr_assert_eq(c->fallback_frame, first);
	cr_assert_eq(c->fallback_side, MP_FB_SIDE_SERVER);
}

/* The capture missed the packet that carried a mapping (v0 style: one
 * DSS per mapping): its other segments come without DSS, then the next
 * mapping. The receiver's DATA_ACKs go on: no fallback, ever. */
Test(conn, no_fallback_for_a_missed_mapping, .init = setup, .fini = teardown)
{
	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001, 5001, 1000);
	dss(DSS_M | DSS_m, 0, 5, 1, 1000);
	send_pkt();
	/* the mapping of 2001..6000 was in a packet the capture missed */
	for (uint32_t i = 1; i < 5; i++) {
		pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001 + i * 1000, 5001, 1000);
		send_pkt();
		pk(SRV, 80, CLI, 40000, MP_TH_ACK, 5001, 2001 + i * 1000, 0);
		dss(DSS_A | DSS_a, 5 + i * 1000, 0, 0, 0);
		send_pkt();
	}
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 6001, 5001, 1000);
	dss(DSS_M | DSS_m, 0, 5005, 5001, 1000);
	send_pkt();
	cr_assert_eq(mp_engine_conn_by_id(E, 1)->fallback, MP_FB_NONE);
	/* and again at the very end, closed by MP_FASTCLOSE right after */
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 8001, 5001, 1000);
	send_pkt();
	pk(SRV, 80, CLI, 40000, MP_TH_ACK, 5001, 9001, 0);
	dss(DSS_A | DSS_a, 8005, 0, 0, 0);
	send_pkt();
	pk(CLI, 40000, SRV, 80, MP_TH_RST | MP_TH_ACK, 9001, 5001, 0);
	opt(MPTCP_SUB_FASTCLOSE);
	send_pkt();
	mp_engine_free(E);
	E = NULL;
	cr_assert_eq(n_fin_conns, 1);
	cr_assert_eq(fin_conns[0].fallback, MP_FB_NONE);
	cr_assert_eq(count_ev(MP_EV_FALLBACK), 0);
}

Test(conn, no_fallback_inside_a_mapping, .init = setup, .fini = teardown)
{
	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	pk(SRV, 80, CLI, 40000, MP_TH_ACK, 5001, 1001, 1000);
	dss(DSS_M | DSS_m, 0, 5, 1, 2000); /* maps 2000 bytes */
	send_pkt();
	pk(SRV, 80, CLI, 40000, MP_TH_ACK, 6001, 1001, 1000);
	send_pkt(); /* the rest of that mapping, no DSS */
	cr_assert_eq(mp_engine_conn_by_id(E, 1)->fallback, MP_FB_NONE);
	pk(SRV, 80, CLI, 40000, MP_TH_ACK, 7001, 1001, 1000);
	send_pkt(); /* beyond it: not alone a fallback */
	cr_assert_eq(mp_engine_conn_by_id(E, 1)->fallback, MP_FB_NONE);
}

Test(conn, fallback_simultaneous_connect, .init = setup, .fini = teardown)
{
	pk(CLI, 40000, SRV, 80, MP_TH_SYN, 1000, 0, 0);
	mpc(1, false, 0, false, 0);
	send_pkt();
	pk(SRV, 80, CLI, 40000, MP_TH_SYN, 5000, 0, 0);
	mpc(1, false, 0, false, 0);
	uint64_t f = send_pkt();
	const struct mp_conn *c = mp_engine_conn_by_id(E, 1);
	cr_assert_eq(c->fallback, MP_FB_SIMULTANEOUS);
	cr_assert_eq(c->fallback_frame, f);
	cr_assert_eq(c->fallback_side, MP_FB_SIDE_BOTH);
	cr_assert_str_eq(find_ev(MP_EV_FALLBACK)->detail, "simultaneous_connect");
}

Test(conn, fallback_md5sig, .init = setup, .fini = teardown)
{
	/* MP_CAPABLE + TCP-MD5 on the SYN: not a fallback yet */
	pk(CLI, 40000, SRV, 80, MP_TH_SYN, 1000, 0, 0);
	mpc(1, false, 0, false, 0);
	P.opts.tcp_md5 = true;
	send_pkt();
	const struct mp_conn *c = mp_engine_conn_by_id(E, 1);
	cr_assert_eq(c->fallback, MP_FB_NONE);
	/* the server signs its SYN/ACK with TCP-MD5, no MP_CAPABLE: the
	 * client falls back (the server never spoke MPTCP) */
	pk(SRV, 80, CLI, 40000, MP_TH_SYN | MP_TH_ACK, 5000, 1001, 0);
	P.opts.tcp_md5 = true;
	uint64_t f = send_pkt();
	cr_assert_eq(c->fallback, MP_FB_MD5SIG);
	cr_assert_eq(c->fallback_frame, f);
	cr_assert_eq(c->fallback_side, MP_FB_SIDE_CLIENT);
	cr_assert_str_eq(mp_fallback_name(MP_FB_MD5SIG), "md5sig");
}

Test(conn, no_fallback_md5_with_mp_capable, .init = setup, .fini = teardown)
{
	pk(CLI, 40000, SRV, 80, MP_TH_SYN, 1000, 0, 0);
	mpc(1, false, 0, false, 0);
	P.opts.tcp_md5 = true;
	send_pkt();
	pk(SRV, 80, CLI, 40000, MP_TH_SYN | MP_TH_ACK, 5000, 1001, 0);
	mpc(1, true, V1_KS, false, 0);
	P.opts.tcp_md5 = true;
	send_pkt();
	cr_assert_eq(mp_engine_conn_by_id(E, 1)->fallback, MP_FB_NONE);
	cr_assert_eq(count_ev(MP_EV_FALLBACK), 0);
}

Test(conn, no_simultaneous_connect_after_synack, .init = setup, .fini = teardown)
{
	/* a SYN from the server once its SYN/ACK was seen crossed nothing */
	pk(CLI, 40000, SRV, 80, MP_TH_SYN, 1000, 0, 0);
	mpc(1, false, 0, false, 0);
	send_pkt();
	pk(SRV, 80, CLI, 40000, MP_TH_SYN | MP_TH_ACK, 5000, 1001, 0);
	mpc(1, true, V1_KS, false, 0);
	send_pkt();
	pk(SRV, 80, CLI, 40000, MP_TH_SYN, 9000, 0, 0);
	mpc(1, false, 0, false, 0);
	send_pkt();
	cr_assert_eq(mp_engine_conn_by_id(E, 1)->fallback, MP_FB_NONE);
}

Test(conn, fallback_simultaneous_connect_plain_peer, .init = setup, .fini = teardown)
{
	/* the crossing SYN carries no MPTCP: only the client falls back */
	pk(CLI, 40000, SRV, 80, MP_TH_SYN, 1000, 0, 0);
	mpc(1, false, 0, false, 0);
	send_pkt();
	pk(SRV, 80, CLI, 40000, MP_TH_SYN, 5000, 0, 0);
	uint64_t f = send_pkt();
	const struct mp_conn *c = mp_engine_conn_by_id(E, 1);
	cr_assert_eq(c->fallback, MP_FB_SIMULTANEOUS);
	cr_assert_eq(c->fallback_frame, f);
	cr_assert_eq(c->fallback_side, MP_FB_SIDE_CLIENT);
}

Test(conn, fallback_infinite_mapping_and_mp_fail, .init = setup, .fini = teardown)
{
	struct mp_opt *o;

	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001, 5001, 10);
	dss(DSS_M | DSS_m, 0, 77, 1, 0);
	send_pkt();
	cr_assert_eq(mp_engine_conn_by_id(E, 1)->fallback, MP_FB_INFINITE_MAP);
	v1_handshake(CLI, 40001, SRV, 80, V1_KC ^ 2, V1_KS ^ 2);
	pk(SRV, 80, CLI, 40001, MP_TH_ACK, 5001, 1001, 0);
	o = opt(MPTCP_SUB_FAIL);
	o->u.fail.dsn = 1234;
	send_pkt();
	cr_assert_eq(mp_engine_conn_by_id(E, 2)->fallback, MP_FB_MP_FAIL);
	cr_assert_eq(count_ev(MP_EV_MP_FAIL), 1);
	cr_assert_eq(count_ev(MP_EV_FALLBACK), 2);
}

Test(conn, reinjection, .init = setup, .fini = teardown)
{
	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	v1_join(40001, 2, 0, false);
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001, 5001, 1000);
	dss(DSS_M | DSS_m, 0, 100000, 1, 1000);
	send_pkt();
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001, 5001, 1000);
	dss(DSS_M | DSS_m, 0, 100000, 1, 1000);
	send_pkt(); /* same subflow again: a retransmission, not a reinjection */
	TS += 200000000; /* 200 ms later, on the other subflow */
	pk(CLI2, 40001, SRV, 80, MP_TH_ACK, 7001, 9001, 1000);
	dss(DSS_M | DSS_m, 0, 100500, 1, 1000);
	send_pkt();
	const struct mp_conn *c = mp_engine_conn_by_id(E, 1);
	cr_assert_eq(c->reinj_frames, 1);
	cr_assert_eq(c->reinj_bytes, 500);
	cr_assert_geq(c->reinj_max_delay_ns, 200000000);
	cr_assert_lt(c->reinj_max_delay_ns, 300000000);
	cr_assert_eq(count_ev(MP_EV_REINJECTION), 1);
	/* the same mapping repeated (GSO) on subflow 2 counts once */
	pk(CLI2, 40001, SRV, 80, MP_TH_ACK, 8001, 9001, 1000);
	dss(DSS_M | DSS_m, 0, 100500, 1, 1000);
	send_pkt();
	cr_assert_eq(c->reinj_frames, 1);
}

Test(conn, tcp_retransmission_is_not_reinjection, .init = setup, .fini = teardown)
{
	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	v1_join(40001, 2, 0, false);
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001, 5001, 1000);
	dss(DSS_M | DSS_m, 0, 100000, 1, 1000);
	send_pkt();
	pk(CLI2, 40001, SRV, 80, MP_TH_ACK, 7001, 9001, 1000);
	dss(DSS_M | DSS_m, 0, 100000, 1, 1000);
	send_pkt(); /* reinjected on subflow 2 */
	cr_assert_eq(mp_engine_conn_by_id(E, 1)->reinj_frames, 1);
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001, 5001, 1000);
	dss(DSS_M | DSS_m, 0, 100000, 1, 1000);
	for (int i = 0; i < 10; i++) /* subflow 1 retransmits its own segment */
		send_pkt();
	cr_assert_eq(mp_engine_conn_by_id(E, 1)->reinj_frames, 1);
}

Test(conn, data_fin_on_every_subflow_is_not_reinjection, .init = setup, .fini = teardown)
{
	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	v1_join(40001, 2, 0, false);
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001, 5001, 0);
	dss(DSS_M | DSS_m | DSS_F, 0, 5000, 0, 1);
	send_pkt();
	pk(CLI2, 40001, SRV, 80, MP_TH_ACK, 7001, 9001, 0);
	dss(DSS_M | DSS_m | DSS_F, 0, 5000, 0, 1);
	send_pkt();
	cr_assert_eq(mp_engine_conn_by_id(E, 1)->reinj_frames, 0);
	cr_assert_eq(count_ev(MP_EV_DATA_FIN), 1);
}

/* RFC 8684 §3.7: MP_FAIL with another subflow open resets only that
 * subflow; the connection does not fall back. */
Test(conn, mp_fail_with_other_subflows_is_not_fallback, .init = setup, .fini = teardown)
{
	struct mp_opt *o;

	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	v1_join(40001, 2, 0, false);
	pk(SRV, 80, CLI2, 40001, MP_TH_RST | MP_TH_ACK, 9001, 7001, 0);
	o = opt(MPTCP_SUB_FAIL);
	o->u.fail.dsn = 1234;
	o = opt(MPTCP_SUB_TCPRST);
	o->u.tcprst.reason = 6;
	send_pkt();
	const struct mp_conn *c = mp_engine_conn_by_id(E, 1);
	cr_assert_eq(c->fallback, MP_FB_NONE);
	cr_assert_eq(mp_engine_subflow_by_id(E, 2)->fallback, MP_FB_MP_FAIL);
	cr_assert_eq(mp_engine_subflow_by_id(E, 2)->tcprst_reason, 6);
	cr_assert_eq(count_ev(MP_EV_FALLBACK), 0);
	cr_assert_eq(count_ev(MP_EV_MP_FAIL), 1);
}

Test(conn, ipv6_handshake_and_join, .init = setup, .fini = teardown)
{
	const uint32_t ra = 7, rb = 9;
	uint8_t h8[8], h20[20];
	struct mp_opt *o;

	/* the v4 helpers, then rewrite addresses as IPv6 */
#define V6(pkt, a, b)                                                     \
	do {                                                              \
		struct mp_pkt *q_ = (pkt);                                \
		q_->family = 6;                                           \
		cr_assert_eq(inet_pton(AF_INET6, (a), q_->src), 1);       \
		cr_assert_eq(inet_pton(AF_INET6, (b), q_->dst), 1);       \
	} while (0)
	V6(pk(CLI, 1, SRV, 2, MP_TH_SYN, 1000, 0, 0), "fd00:1::1", "fd00:1::2");
	mpc(1, false, 0, false, 0);
	send_pkt();
	V6(pk(SRV, 2, CLI, 1, MP_TH_SYN | MP_TH_ACK, 5000, 1001, 0), "fd00:1::2", "fd00:1::1");
	mpc(1, true, V1_KS, false, 0);
	send_pkt();
	V6(pk(CLI, 1, SRV, 2, MP_TH_ACK, 1001, 5001, 0), "fd00:1::1", "fd00:1::2");
	mpc(1, true, V1_KC, true, V1_KS);
	send_pkt();
	mp_join_synack_hmac(1, V1_KC, V1_KS, ra, rb, h8);
	mp_join_ack_hmac(1, V1_KC, V1_KS, ra, rb, h20);
	V6(pk(CLI, 3, SRV, 2, MP_TH_SYN, 1, 0, 0), "fd00:2::1", "fd00:1::2");
	o = opt(MPTCP_SUB_JOIN);
	o->u.join.phase = MP_JOIN_SYN;
	o->u.join.token = V1_TS;
	o->u.join.nonce = ra;
	send_pkt();
	V6(pk(SRV, 2, CLI, 3, MP_TH_SYN | MP_TH_ACK, 1, 2, 0), "fd00:1::2", "fd00:2::1");
	o = opt(MPTCP_SUB_JOIN);
	o->u.join.phase = MP_JOIN_SYNACK;
	o->u.join.nonce = rb;
	o->u.join.hmac_len = 8;
	memcpy(o->u.join.hmac, h8, 8);
	send_pkt();
	cr_assert_eq(ANN.hmac_ok[0], MP_OK_TRUE);
	V6(pk(CLI, 3, SRV, 2, MP_TH_ACK, 2, 2, 0), "fd00:2::1", "fd00:1::2");
	o = opt(MPTCP_SUB_JOIN);
	o->u.join.phase = MP_JOIN_ACK;
	o->u.join.hmac_len = 20;
	memcpy(o->u.join.hmac, h20, 20);
	send_pkt();
	cr_assert_eq(ANN.hmac_ok[0], MP_OK_TRUE);
	cr_assert_eq(ANN.conn, 1);
	cr_assert_eq(mp_engine_conn_by_id(E, 1)->family, 6);
	cr_assert_eq(mp_engine_conn_by_id(E, 1)->n_sf, 2);
#undef V6
}

Test(conn, synack_first_capture, .init = setup, .fini = teardown)
{
	/* the capture starts at the SYN/ACK: the client is its receiver */
	pk(SRV, 80, CLI, 40000, MP_TH_SYN | MP_TH_ACK, 5000, 1001, 0);
	mpc(1, true, V1_KS, false, 0);
	send_pkt();
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001, 5001, 0);
	mpc(1, true, V1_KC, true, V1_KS);
	send_pkt();
	const struct mp_conn *c = mp_engine_conn_by_id(E, 1);
	cr_assert_not_null(c);
	cr_assert_eq(c->port[0], 40000);
	cr_assert_eq(c->key[0], V1_KC);
	cr_assert_eq(c->sf_head->state, MP_SFS_ESTABLISHED);
	cr_assert_eq(count_ev(MP_EV_KEY_MISMATCH), 0);
}

Test(conn, keys_from_third_ack_without_handshake, .init = setup, .fini = teardown)
{
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001, 5001, 0);
	mpc(1, true, V1_KC, true, V1_KS);
	send_pkt();
	cr_assert_eq(ANN.conn, 1);
	cr_assert_not_null(mp_engine_conn_by_token(E, V1_TC));
	cr_assert_eq(count_ev(MP_EV_UNATTRIBUTED_SUBFLOW), 0);
}

Test(conn, malformed_events_rate_limited, .init = setup, .fini = teardown)
{
	struct mp_opt *o;

	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	for (int i = 0; i < 100; i++) {
		pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001, 5001, 0);
		o = opt(MPTCP_SUB_DSS);
		o->err = MP_E_DSS_BAD_LEN;
		send_pkt();
	}
	cr_assert_eq(count_ev(MP_EV_MALFORMED), 25);
	cr_assert_eq(mp_engine_subflow_by_id(E, 1)->malformed, 100);
}

Test(conn, subflow_cap_and_loose_expiry)
{
	struct mp_engine_cfg cfg = {
		.max_conns = 4, .max_subflows = 2, .idle_ns = 1000000000u,
		.no_appid = true, .on_event = on_event, .on_subflow = on_subflow,
	};
	n_evs = 0;
	n_fin_loose = 0;
	E = mp_engine_new(&cfg);
	for (uint16_t p = 1; p <= 3; p++) {
		pk(CLI, p, SRV2, 80, MP_TH_ACK, 1, 1, 10);
		dss(DSS_M, 0, (uint64_t)p << 28, 1, 10); /* 32-bit: stays loose */
		send_pkt();
	}
	cr_assert_eq(mp_engine_stats(E)->subflows_live, 2);
	cr_assert_eq(count_ev(MP_EV_TABLE_FULL), 1);
	cr_assert_eq(n_fin_loose, 1);
	cr_assert_eq(fin_loose[0].id, 1);
	TS += UINT64_C(3) * 1000000000u;
	pk(CLI, 9, SRV, 80, MP_TH_SYN, 1, 0, 0); /* plain TCP, moves the clock */
	send_pkt();
	cr_assert_eq(mp_engine_stats(E)->subflows_live, 0);
	cr_assert_eq(n_fin_loose, 3);
	teardown();
}

/* ---- tables --------------------------------------------------------- */

Test(conn, table_cap_evicts_oldest)
{
	engine(2, 0);
	v1_handshake(CLI, 40000, SRV, 80, 1, 2);
	v1_handshake(CLI, 40001, SRV, 80, 3, 4);
	v1_handshake(CLI, 40002, SRV, 80, 5, 6);
	const struct rec_ev *e = find_ev(MP_EV_TABLE_FULL);
	cr_assert_not_null(e);
	cr_assert_eq(e->conn, 1);
	cr_assert_eq(mp_engine_stats(E)->conns_live, 2);
	cr_assert_eq(mp_engine_stats(E)->evicted, 1);
	cr_assert_eq(n_fin_conns, 1);
	cr_assert_eq(fin_conns[0].id, 1);
	cr_assert_eq(fin_conns[0].close_reason, MP_CLOSE_EVICTED);
	cr_assert_null(mp_engine_conn_by_id(E, 1));
	cr_assert_null(mp_engine_conn_by_token(E, 0)); /* no stale entries */
	teardown();
	cr_assert_eq(n_fin_conns, 3);
	cr_assert_eq(fin_conns[1].id, 2);
	cr_assert_eq(fin_conns[2].id, 3);
}

Test(conn, idle_expiry_by_capture_time)
{
	engine(0, UINT64_C(10) * 1000000000u); /* 10 s */
	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	TS += UINT64_C(5) * 1000000000u;
	v1_handshake(CLI, 40001, SRV, 80, 3, 4);
	cr_assert_eq(n_fin_conns, 0);
	TS += UINT64_C(8) * 1000000000u; /* conn 1 idle 13 s, conn 2 8 s */
	pk(CLI, 40001, SRV, 80, MP_TH_ACK, 1001, 5001, 0);
	send_pkt();
	cr_assert_eq(n_fin_conns, 1);
	cr_assert_eq(fin_conns[0].id, 1);
	cr_assert_eq(fin_conns[0].close_reason, MP_CLOSE_IDLE);
	cr_assert_eq(count_ev(MP_EV_CONN_EXPIRED), 1);
	cr_assert_null(mp_engine_conn_by_token(E, V1_TS));
	cr_assert_not_null(mp_engine_conn_by_id(E, 2));
	teardown();
}

/* A closed connection leaves memory after MP_CLOSED_GRACE_NS of capture
 * time (like TIME_WAIT), not after the whole idle time; an open one stays. */
Test(conn, closed_connection_freed_after_grace, .init = setup, .fini = teardown)
{
	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	v1_handshake(CLI, 40001, SRV, 80, 3, 4);
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001, 5001, 0);
	dss(DSS_M | DSS_m | DSS_F, 0, 12345, 0, 1);
	send_pkt();
	pk(SRV, 80, CLI, 40000, MP_TH_ACK, 5001, 1001, 0);
	dss(DSS_M | DSS_m | DSS_F, 0, 999, 0, 1);
	send_pkt();
	pk(CLI, 40000, SRV, 80, MP_TH_ACK | MP_TH_FIN, 1001, 5001, 0);
	send_pkt();
	pk(SRV, 80, CLI, 40000, MP_TH_ACK | MP_TH_FIN, 5001, 1002, 0);
	send_pkt();
	cr_assert(mp_engine_conn_by_id(E, 1)->closed);
	cr_assert_eq(n_fin_conns, 0);

	TS += MP_CLOSED_GRACE_NS / 2; /* within the grace: kept */
	pk(CLI, 40001, SRV, 80, MP_TH_ACK, 1001, 5001, 0);
	send_pkt();
	cr_assert_eq(n_fin_conns, 0);
	TS += MP_CLOSED_GRACE_NS / 2 + 2000000000u; /* past it: freed */
	pk(CLI, 40001, SRV, 80, MP_TH_ACK, 1001, 5001, 0);
	send_pkt();
	cr_assert_eq(n_fin_conns, 1);
	cr_assert_eq(fin_conns[0].id, 1);
	cr_assert_eq(fin_conns[0].close_reason, MP_CLOSE_DATA_FIN);
	cr_assert_eq(count_ev(MP_EV_CONN_EXPIRED), 0);
	cr_assert_null(mp_engine_conn_by_id(E, 1));
	cr_assert_not_null(mp_engine_conn_by_id(E, 2));
}

Test(conn, tuple_reuse_replaces_subflow, .init = setup, .fini = teardown)
{
	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	pk(CLI, 40000, SRV, 80, MP_TH_RST, 1001, 0, 0);
	send_pkt();
	v1_handshake(CLI, 40000, SRV, 80, 11, 12);
	cr_assert_eq(mp_engine_stats(E)->conns, 2);
	cr_assert_eq(ANN.conn, 2);
	cr_assert_eq(ANN.subflow, 2);
}

Test(conn, plain_tcp_is_not_tracked, .init = setup, .fini = teardown)
{
	pk(CLI, 1, SRV, 2, MP_TH_SYN, 1, 0, 0);
	send_pkt();
	pk(CLI, 1, SRV, 2, MP_TH_ACK, 1, 0, 100);
	send_pkt();
	cr_assert_eq(mp_engine_stats(E)->subflows, 0);
	cr_assert_eq(ANN.subflow, 0);
	cr_assert_eq(n_evs, 0);
}

Test(conn, malformed_is_reported, .init = setup, .fini = teardown)
{
	struct mp_opt *o;

	v1_handshake(CLI, 40000, SRV, 80, V1_KC, V1_KS);
	pk(CLI, 40000, SRV, 80, MP_TH_ACK, 1001, 5001, 0);
	o = opt(MPTCP_SUB_DSS);
	o->err = MP_E_DSS_BAD_LEN;
	o->len = 7;
	send_pkt();
	const struct rec_ev *e = find_ev(MP_EV_MALFORMED);
	cr_assert_not_null(e);
	cr_assert_str_eq(e->detail, "dss.bad_len len 7 caplen 0 off 0");
}

Test(conn, event_names_are_stable)
{
	cr_assert_str_eq(mp_ev_name(MP_EV_MPC_SYN), "mpc_syn");
	cr_assert_str_eq(mp_ev_name(MP_EV_JOIN_ACK_RESPONDER), "join_ack_responder");
	cr_assert_str_eq(mp_ev_name(MP_EV_TABLE_FULL), "table_full");
	cr_assert_str_eq(mp_ev_name(MP_EV_UNATTRIBUTED_SUBFLOW), "unattributed_subflow");
	cr_assert_str_eq(mp_ev_name(MP_EV__COUNT), "unknown");
	for (unsigned i = 0; i < MP_EV__COUNT; i++)
		cr_assert_str_neq(mp_ev_name(i), "unknown", "type %u unnamed", i);
}

/* ---- end to end: the tcpdump captures -------------------------------- */

struct e2e {
	struct mp_engine *e;
	unsigned hmac_true, hmac_false, hmac_unknown;
	unsigned left, right;
};

static bool run_pcap(const char *name, struct e2e *r)
{
	char path[512], err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *b;
	pcap_t *pc;
	uint64_t n = 0;
	struct mp_pkt pkt;
	struct mp_pkt_ann ann;

	snprintf(path, sizeof path, "%s/peer/tcpdump/%s", MPANA_SHARED_DIR, name);
	pc = pcap_open_offline(path, err);
	if (!pc)
		return false;
	memset(r, 0, sizeof *r);
	r->e = E;
	while (pcap_next_ex(pc, &h, &b) == 1) {
		n++;
		if (mp_pkt_decode(pcap_datalink(pc), b, h->caplen, &pkt) != MP_PKT_TCP)
			continue;
		mp_engine_packet(E, n, (uint64_t)h->ts.tv_sec * 1000000000u +
					       (uint64_t)h->ts.tv_usec * 1000u,
				 &pkt, &ann);
		for (unsigned i = 0; i < pkt.opts.n; i++) {
			uint8_t st = pkt.opts.v[i].subtype;
			bool hm = (st == MPTCP_SUB_JOIN && pkt.opts.v[i].u.join.hmac_len) ||
				  (st == MPTCP_SUB_ADD_ADDR && pkt.opts.v[i].u.add_addr.has_hmac);
			if (!hm || pkt.opts.v[i].err)
				continue;
			if (ann.hmac_ok[i] == MP_OK_TRUE)
				r->hmac_true++;
			else if (ann.hmac_ok[i] == MP_OK_FALSE)
				r->hmac_false++;
			else
				r->hmac_unknown++;
			r->left += ann.hmac_side[i] == MP_HMAC_LEFT;
			r->right += ann.hmac_side[i] == MP_HMAC_RIGHT;
		}
	}
	pcap_close(pc);
	return true;
}

#define NEED_PCAP(name, r)                                                  \
	do {                                                                \
		if (!run_pcap((name), (r)))                                  \
			cr_skip_test("%s/peer/tcpdump/%s not available",    \
				     MPANA_SHARED_DIR, (name));             \
	} while (0)

Test(conn, e2e_v1, .init = setup, .fini = teardown)
{
	struct e2e r;

	NEED_PCAP("mptcp-v1.pcap", &r);
	cr_assert_eq(mp_engine_stats(E)->conns, 1);
	cr_assert_eq(mp_engine_stats(E)->subflows, 1);
	const struct mp_conn *c = mp_engine_conn_by_id(E, 1);
	cr_assert_eq(c->token[0], V1_TC);
	cr_assert_eq(c->token[1], V1_TS);
	cr_assert_eq(c->fallback, MP_FB_NONE);
	cr_assert(c->dir[0].data_fin && c->dir[1].data_fin);
	cr_assert_eq(count_ev(MP_EV_KEY_MISMATCH), 0);
	cr_assert_eq(count_ev(MP_EV_HMAC_FAILURE), 0);
	cr_assert_eq(count_ev(MP_EV_UNATTRIBUTED_SUBFLOW), 0);
}

Test(conn, e2e_v0, .init = setup, .fini = teardown)
{
	struct e2e r;

	NEED_PCAP("mptcp-v0.pcap", &r);
	const struct mp_conn *c = mp_engine_conn_by_token(E, 0xe47f0142);
	cr_assert_not_null(c);
	cr_assert_eq(c->version, 0);
	cr_assert_geq(c->n_sf, 2);
	cr_assert_gt(r.hmac_true, 0);
	cr_assert_eq(r.hmac_false, 0);
	cr_assert_eq(count_ev(MP_EV_HMAC_FAILURE), 0);
	cr_assert_eq(count_ev(MP_EV_ORPHAN_JOIN), 0);
	for (const struct mp_subflow *s = c->sf_head; s; s = s->conn_next)
		if (s->kind == MP_SF_JOIN) {
			cr_assert_eq(s->hmac_synack, MP_OK_TRUE, "subflow %u", s->id);
			cr_assert_eq(s->hmac_ack, MP_OK_TRUE, "subflow %u", s->id);
		}
	/* the v0 ADD_ADDR (no HMAC) is recorded */
	cr_assert_geq(c->n_addrs, 1);
}

Test(conn, e2e_aa_v1_left_side, .init = setup, .fini = teardown)
{
	struct e2e r;

	NEED_PCAP("mptcp-aa-v1.pcap", &r);
	cr_assert_eq(r.hmac_false, 0);
	cr_assert_geq(r.hmac_true, 1);
	cr_assert_eq(r.left, r.hmac_true);
	cr_assert_eq(r.right, 0);
	cr_assert_eq(count_ev(MP_EV_HMAC_FAILURE), 0);
}

Test(conn, e2e_others_do_not_crash, .init = setup, .fini = teardown)
{
	static const char *const names[] = { "mptcp-aa-echo.pcap", "mptcp-fclose.pcap",
					     "mptcp-tcprst.pcap", "mptcp-dss-oobr.pcap" };
	struct e2e r;

	for (unsigned i = 0; i < 4; i++) {
		mp_engine_free(E);
		engine(0, 0);
		NEED_PCAP(names[i], &r);
		cr_assert_eq(r.hmac_false, 0, "%s", names[i]);
	}
	/* the last run was dss-oobr; check fclose separately */
	mp_engine_free(E);
	engine(0, 0);
	NEED_PCAP("mptcp-fclose.pcap", &r);
	const struct mp_conn *c = mp_engine_conn_by_id(E, 1);
	cr_assert(c->closed);
	cr_assert_eq(c->close_reason, MP_CLOSE_FASTCLOSE);
	cr_assert_eq(find_ev(MP_EV_MP_FASTCLOSE)->ok, MP_OK_TRUE);
}

/* nDPI names the application of a connection from its first data packets
 * (mptcp-v0.pcap carries SSH); without nDPI it stays "unknown". */
Test(conn, e2e_v0_app_proto)
{
	struct mp_engine_cfg cfg = { .on_conn = on_conn };
	struct e2e r;

	n_fin_conns = 0;
	E = mp_engine_new(&cfg);
	NEED_PCAP("mptcp-v0.pcap", &r);
	teardown();
	cr_assert_eq(n_fin_conns, 1);
#ifdef MPANA_WITH_NDPI
	cr_assert_str_eq(fin_conns[0].app_proto, "SSH");
#else
	cr_assert_str_eq(fin_conns[0].app_proto, "unknown");
#endif
	cr_assert_null(fin_conns[0].app_flow); /* classifier state freed */
}
