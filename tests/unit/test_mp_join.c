/* SPDX-License-Identifier: BSD-2-Clause */
/* test_mp_join.c - unit tests for mp_join_parse (RFC 8684 §3.2), directly
 * and through mp_tcpopt_walk. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "mpana/opt.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define SYN MP_TH_SYN
#define SYNACK (MP_TH_SYN | MP_TH_ACK)
#define ACK MP_TH_ACK

/* Option header, then a byte stream 0x41, 0x42, ...: each phase's fields
 * are the next bytes of the stream. */
static const uint8_t tpl[40] = {
	30,   /* kind: MPTCP */
	0,    /* length (patched) */
	0x10, /* subtype 1 | flags (patched) */
	0x07, /* address id (SYN, SYN/ACK) or reserved (ACK) */
	0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, /* token / HMAC ... */
	0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50,
	0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58,
	0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60,
	0x61, 0x62, 0x63, 0x64,
};

static const uint8_t contexts[] = {
	SYN, SYN | MP_TH_ECE | MP_TH_CWR, SYNACK, SYNACK | MP_TH_ECE, ACK,
	ACK | MP_TH_PSH, ACK | MP_TH_FIN, ACK | MP_TH_RST, 0,
};

/* The one legal length per step (RFC 8684 §3.2). */
static uint8_t legal_len(uint8_t tcp_flags, uint8_t *phase)
{
	if (!(tcp_flags & SYN)) {
		*phase = MP_JOIN_ACK;
		return 24;
	}
	if (tcp_flags & ACK) {
		*phase = MP_JOIN_SYNACK;
		return 16;
	}
	*phase = MP_JOIN_SYN;
	return 12;
}

static void check_one(uint8_t nibble, uint8_t tcp_flags, uint8_t len)
{
	uint8_t buf[40], phase;
	uint8_t want_len = legal_len(tcp_flags, &phase);
	enum mp_err want = len == want_len ? MP_E_NONE : MP_E_JOIN_BAD_LEN;

	memcpy(buf, tpl, sizeof buf);
	buf[1] = len;
	buf[2] = (uint8_t)(MPTCP_SUB_JOIN << 4 | nibble);

	struct mp_join o;
	memset(&o, 0xa5, sizeof o);
	struct mp_rd r = mp_rd_init(buf + 2, (size_t)len - 2);
	enum mp_err e = mp_join_parse(&r, len, tcp_flags, &o);
	cr_assert_eq(e, want, "flags %#x len %u: got %s", tcp_flags, len, mp_err_name(e));
	cr_assert_not(r.err);

	struct mp_join x;
	memset(&x, 0, sizeof x);
	x.phase = phase;
	if (want != MP_E_NONE) {
		cr_assert_eq(r.p, buf + 2, "flags %#x len %u: read before the check",
			     tcp_flags, len);
	} else {
		cr_assert_eq(r.p, buf + len, "flags %#x len %u: not all read", tcp_flags, len);
		switch (phase) {
		case MP_JOIN_SYN:
			x.backup = nibble & 1;
			x.addr_id = 0x07;
			x.token = 0x41424344;
			x.nonce = 0x45464748;
			break;
		case MP_JOIN_SYNACK:
			x.backup = nibble & 1;
			x.addr_id = 0x07;
			x.hmac_len = 8;
			memcpy(x.hmac, tpl + 4, 8);
			x.nonce = 0x494a4b4c;
			break;
		default:
			x.hmac_len = 20;
			memcpy(x.hmac, tpl + 4, 20);
			break;
		}
	}
	cr_assert_eq(o.phase, x.phase, "flags %#x len %u", tcp_flags, len);
	cr_assert_eq(o.backup, x.backup, "flags %#x len %u", tcp_flags, len);
	cr_assert_eq(o.addr_id, x.addr_id, "flags %#x len %u", tcp_flags, len);
	cr_assert_eq(o.token, x.token, "flags %#x len %u", tcp_flags, len);
	cr_assert_eq(o.nonce, x.nonce, "flags %#x len %u", tcp_flags, len);
	cr_assert_eq(o.hmac_len, x.hmac_len, "flags %#x len %u", tcp_flags, len);
	cr_assert_arr_eq(o.hmac, x.hmac, sizeof x.hmac);
	cr_assert_eq(memcmp(&o, &x, sizeof o), 0, "padding or a stray field");

	struct mp_opts out;
	mp_tcpopt_walk(buf, len, len, tcp_flags, &out);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.v[0].subtype, MPTCP_SUB_JOIN);
	cr_assert_eq(out.v[0].err, want);
	cr_assert_eq(memcmp(&out.v[0].u.join, &x, sizeof x), 0);
}

struct join_case {
	uint8_t tcp_flags; /* the step */
	uint8_t len;       /* its legal length */
};

ParameterizedTestParameters(mp_join, legal_lengths)
{
	static struct join_case cases[] = {
		{ SYN, 12 },
		{ SYNACK, 16 },
		{ ACK, 24 },
	};
	return cr_make_param_array(struct join_case, cases, NELEM(cases));
}

/* Each step's length and its neighbours in every TCP-flag context, with
 * the backup flag clear and set, and the reserved bits set. */
ParameterizedTest(struct join_case *c, mp_join, legal_lengths)
{
	static const uint8_t nibbles[] = { 0x0, 0x1, 0xe, 0xf };

	for (size_t n = 0; n < NELEM(nibbles); n++)
		for (size_t f = 0; f < NELEM(contexts); f++)
			for (int d = -1; d <= 1; d++)
				check_one(nibbles[n], contexts[f], (uint8_t)(c->len + d));
}

Test(mp_join, all_lengths)
{
	for (size_t f = 0; f < NELEM(contexts); f++)
		for (uint8_t len = 3; len <= 40; len++)
			check_one(0x1, contexts[f], len);
}

/* Parses one whole option through mp_opt_parse. */
static enum mp_err parse_opt(const uint8_t *opt, uint8_t tcp_flags, struct mp_opt *o)
{
	struct mp_rd r = mp_rd_init(opt + 2, (size_t)opt[1] - 2);
	memset(o, 0xa5, sizeof *o);
	return mp_opt_parse(&r, opt[1], tcp_flags, o);
}

/* The join handshake of tcpdump's mptcp-v0.pcap. */
Test(mp_join, real_handshake)
{
	static const uint8_t syn[] = {
		30,                     /* kind */
		12,                     /* length */
		0x10,                   /* subtype 1 | B clear */
		0x00,                   /* address id 0 */
		0xe4, 0x7f, 0x01, 0x42, /* receiver's token */
		0x1b, 0x66, 0x5a, 0x18, /* sender's nonce */
	};
	static const uint8_t synack[] = {
		30,                                             /* kind */
		16,                                             /* length */
		0x10,                                           /* subtype 1 | B clear */
		0x01,                                           /* address id 1 */
		0x5a, 0xb6, 0x80, 0xc7, 0x88, 0x4a, 0xf0, 0x3d, /* truncated HMAC */
		0x33, 0xab, 0xe9, 0xd5,                         /* sender's nonce */
	};
	static const uint8_t ack[] = {
		30,                                             /* kind */
		24,                                             /* length */
		0x10,                                           /* subtype 1 | reserved */
		0x00,                                           /* reserved */
		0xcb, 0x7b, 0x87, 0xf5, 0xe5, 0xf0, 0x50, 0x2f, /* HMAC ... */
		0x43, 0xb5, 0x35, 0xfb, 0x70, 0xef, 0x66, 0x07,
		0xdf, 0x2e, 0x6c, 0x7a,
	};
	struct mp_opt o;

	cr_assert_eq(parse_opt(syn, SYN, &o), MP_E_NONE);
	cr_assert_eq(o.subtype, MPTCP_SUB_JOIN);
	cr_assert_eq(o.u.join.phase, MP_JOIN_SYN);
	cr_assert_not(o.u.join.backup);
	cr_assert_eq(o.u.join.addr_id, 0);
	cr_assert_eq(o.u.join.token, 0xe47f0142);
	cr_assert_eq(o.u.join.nonce, 0x1b665a18);
	cr_assert_eq(o.u.join.hmac_len, 0);

	cr_assert_eq(parse_opt(synack, SYNACK, &o), MP_E_NONE);
	cr_assert_eq(o.u.join.phase, MP_JOIN_SYNACK);
	cr_assert_eq(o.u.join.addr_id, 1);
	cr_assert_eq(o.u.join.hmac_len, 8);
	cr_assert_arr_eq(o.u.join.hmac, synack + 4, 8);
	cr_assert_eq(o.u.join.nonce, 0x33abe9d5);
	cr_assert_eq(o.u.join.token, 0);

	cr_assert_eq(parse_opt(ack, ACK, &o), MP_E_NONE);
	cr_assert_eq(o.u.join.phase, MP_JOIN_ACK);
	cr_assert_eq(o.u.join.hmac_len, 20);
	cr_assert_arr_eq(o.u.join.hmac, ack + 4, 20);
	cr_assert_eq(o.u.join.nonce, 0);

	/* Length 16 outside a SYN/ACK, 12 outside a SYN (MPTCP-NOTES). */
	cr_assert_eq(parse_opt(synack, ACK, &o), MP_E_JOIN_BAD_LEN);
	cr_assert_eq(parse_opt(synack, SYN, &o), MP_E_JOIN_BAD_LEN);
	cr_assert_eq(parse_opt(syn, SYNACK, &o), MP_E_JOIN_BAD_LEN);
	cr_assert_eq(parse_opt(ack, SYNACK, &o), MP_E_JOIN_BAD_LEN);
	cr_assert_eq(o.subtype, MPTCP_SUB_JOIN);
	cr_assert_str_eq(mp_err_name(o.err), "mp_join.bad_len");
}

Test(mp_join, backup_syn)
{
	static const uint8_t syn[] = {
		30,                     /* kind */
		12,                     /* length */
		0x11,                   /* subtype 1 | B */
		0x02,                   /* address id 2 */
		0xde, 0xad, 0xbe, 0xef, /* receiver's token */
		0x00, 0x00, 0x00, 0x01, /* sender's nonce */
	};
	struct mp_opt o;

	cr_assert_eq(parse_opt(syn, SYN | MP_TH_ECE | MP_TH_CWR, &o), MP_E_NONE);
	cr_assert(o.u.join.backup);
	cr_assert_eq(o.u.join.addr_id, 2);
	cr_assert_eq(o.u.join.token, 0xdeadbeef);
	cr_assert_eq(o.u.join.nonce, 1);
}

Test(mp_join, truncated_every_byte)
{
	uint8_t buf[16];

	memcpy(buf, tpl, sizeof buf);
	buf[1] = 16;
	for (size_t cap = 1; cap < sizeof buf; cap++) {
		struct mp_opts out;
		mp_tcpopt_walk(buf, cap, sizeof buf, SYNACK, &out);
		cr_assert_eq(out.n, 1, "cap %zu", cap);
		cr_assert_eq(out.v[0].err, MP_E_TRUNCATED, "cap %zu", cap);
		cr_assert_eq(out.v[0].caplen, cap);
		cr_assert_eq(out.v[0].subtype, cap >= 3 ? MPTCP_SUB_JOIN : MPTCP_SUB_UNKNOWN);
	}
	/* A wrong length outranks truncation: it is decided before reads. */
	struct mp_opts out;
	mp_tcpopt_walk(buf, 5, sizeof buf, ACK, &out);
	cr_assert_eq(out.v[0].err, MP_E_JOIN_BAD_LEN);
}

Test(mp_join, framing)
{
	uint8_t buf[12];
	struct mp_opts out;

	memcpy(buf, tpl, sizeof buf);
	buf[1] = 0;
	mp_tcpopt_walk(buf, sizeof buf, sizeof buf, SYN, &out);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.v[0].err, MP_E_TCP_OPT_LEN_SHORT);
	buf[1] = 12;
	mp_tcpopt_walk(buf, sizeof buf, 11, SYN, &out);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.v[0].err, MP_E_TCP_OPT_LEN_OVERRUN);
	cr_assert_eq(out.v[0].subtype, MPTCP_SUB_JOIN);
}
