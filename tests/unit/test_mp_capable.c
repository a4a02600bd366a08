/* SPDX-License-Identifier: BSD-2-Clause */
/* test_mp_capable.c - unit tests for mp_capable_parse (RFC 8684 §3.1,
 * RFC 6824 §3.1), directly and through mp_tcpopt_walk. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "mpana/opt.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define SYN MP_TH_SYN
#define SYNACK (MP_TH_SYN | MP_TH_ACK)
#define ACK MP_TH_ACK

/* The longest form (24) with made-up but distinct values, padded so a
 * length byte up to 40 still finds captured bytes. */
static const uint8_t tpl[40] = {
	30,                                             /* kind: MPTCP */
	24,                                             /* length (patched) */
	0x01,                                           /* subtype 0 | version (patched) */
	0x81,                                           /* flags: A checksum | H */
	0x1f, 0xdb, 0x5d, 0xf3, 0x28, 0xbc, 0x3d, 0xef, /* sender key */
	0x29, 0xa6, 0xc8, 0x69, 0x81, 0xad, 0x93, 0x3c, /* receiver key */
	0x20, 0x00,                                     /* data-level length: 8192 */
	0xbe, 0xef,                                     /* checksum */
	0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, /* padding */
	0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, /* padding */
};

#define TPL_SENDER_KEY 0x1fdb5df328bc3defULL
#define TPL_RECEIVER_KEY 0x29a6c86981ad933cULL

/* Legal lengths per version and handshake step: the table under test. */
enum step { STEP_SYN, STEP_SYNACK, STEP_NOSYN };

static enum step step_of(uint8_t tcp_flags)
{
	if (!(tcp_flags & MP_TH_SYN))
		return STEP_NOSYN;
	return (tcp_flags & MP_TH_ACK) ? STEP_SYNACK : STEP_SYN;
}

static bool legal(uint8_t version, uint8_t tcp_flags, uint8_t len)
{
	static const struct { uint8_t version, step, len; } t[] = {
		{ 1, STEP_SYN, 4 },     /* RFC 8684: no key on the SYN */
		{ 1, STEP_SYNACK, 12 }, /* server key */
		{ 1, STEP_NOSYN, 20 },  /* both keys */
		{ 1, STEP_NOSYN, 22 },  /* + data-level length */
		{ 1, STEP_NOSYN, 24 },  /* + checksum */
		{ 0, STEP_SYN, 12 },    /* RFC 6824: client key on the SYN */
		{ 0, STEP_SYNACK, 12 },
		{ 0, STEP_NOSYN, 20 },
	};
	for (size_t i = 0; i < NELEM(t); i++)
		if (t[i].version == version && t[i].step == step_of(tcp_flags) &&
		    t[i].len == len)
			return true;
	return false;
}

static bool legal_any(uint8_t len)
{
	return len == 4 || len == 12 || len == 20 || len == 22 || len == 24;
}

static const uint8_t contexts[] = {
	SYN, SYN | MP_TH_ECE | MP_TH_CWR, /* SYN, with ECN setup */
	SYNACK, SYNACK | MP_TH_ECE,       /* SYN/ACK */
	ACK, ACK | MP_TH_PSH,             /* third ACK, first data */
	ACK | MP_TH_FIN, ACK | MP_TH_RST, 0,
};

/* Parses tpl with length byte `len` and version `version` under
 * `tcp_flags`, directly and through the walker, and checks the error and
 * every field against the table above. */
static void check_one(uint8_t version, uint8_t tcp_flags, uint8_t len)
{
	uint8_t buf[40];
	struct mp_capable o;
	enum mp_err want;

	memcpy(buf, tpl, sizeof buf);
	buf[1] = len;
	buf[2] = (uint8_t)(MPTCP_SUB_CAPABLE << 4 | version);
	if (!legal_any(len))
		want = MP_E_CAPABLE_BAD_LEN;
	else if (version > 1)
		want = MP_E_CAPABLE_BAD_VERSION;
	else
		want = legal(version, tcp_flags, len) ? MP_E_NONE : MP_E_CAPABLE_BAD_LEN;

	memset(&o, 0xa5, sizeof o); /* every field must be overwritten */
	struct mp_rd r = mp_rd_init(buf + 2, (size_t)len - 2);
	enum mp_err e = mp_capable_parse(&r, len, tcp_flags, &o);
	cr_assert_eq(e, want, "v%u flags %#x len %u: got %s want %s", version,
		     tcp_flags, len, mp_err_name(e), mp_err_name(want));
	cr_assert_not(r.err);

	struct mp_capable x;
	memset(&x, 0, sizeof x);
	if (want == MP_E_CAPABLE_BAD_LEN) {
		/* Nothing but the version nibble may have been read. */
		cr_assert_leq(r.p - (buf + 2), 1, "len %u", len);
		if (!legal_any(len))
			cr_assert_eq(r.p, buf + 2, "len %u", len);
		x.version = legal_any(len) ? version : 0;
	} else if (want == MP_E_CAPABLE_BAD_VERSION) {
		x.version = version;
		x.flags = 0x81;
	} else {
		cr_assert_eq(r.p, buf + len, "len %u: must consume the option", len);
		x.version = version;
		x.flags = 0x81;
		x.has_sender_key = len >= 12;
		x.has_receiver_key = len >= 20;
		x.has_data_len = len >= 22;
		x.has_checksum = len == 24;
		x.sender_key = x.has_sender_key ? TPL_SENDER_KEY : 0;
		x.receiver_key = x.has_receiver_key ? TPL_RECEIVER_KEY : 0;
		x.data_len = x.has_data_len ? 8192 : 0;
		x.checksum = x.has_checksum ? 0xbeef : 0;
	}
	cr_assert_eq(o.version, x.version);
	cr_assert_eq(o.flags, x.flags);
	cr_assert_eq(o.has_sender_key, x.has_sender_key, "len %u", len);
	cr_assert_eq(o.has_receiver_key, x.has_receiver_key, "len %u", len);
	cr_assert_eq(o.has_data_len, x.has_data_len, "len %u", len);
	cr_assert_eq(o.has_checksum, x.has_checksum, "len %u", len);
	cr_assert_eq(o.sender_key, x.sender_key, "len %u", len);
	cr_assert_eq(o.receiver_key, x.receiver_key, "len %u", len);
	cr_assert_eq(o.data_len, x.data_len, "len %u", len);
	cr_assert_eq(o.checksum, x.checksum, "len %u", len);
	cr_assert_eq(memcmp(&o, &x, sizeof o), 0, "padding or a stray field");

	/* The same option through the walker: same error, same fields. */
	struct mp_opts out;
	mp_tcpopt_walk(buf, len, len, tcp_flags, &out);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.tcp_err, MP_E_NONE);
	cr_assert_eq(out.v[0].err, want, "walk len %u", len);
	cr_assert_eq(out.v[0].subtype, MPTCP_SUB_CAPABLE);
	cr_assert_eq(out.v[0].len, len);
	cr_assert_eq(out.v[0].caplen, len);
	cr_assert_eq(out.v[0].off, 0);
	cr_assert_eq(out.v[0].raw, buf);
	cr_assert_eq(memcmp(&out.v[0].u.capable, &x, sizeof x), 0);
}

/* One parameter per legal (version, step, length); each checks the length
 * and its neighbours under every TCP-flag context. */
struct cap_case {
	uint8_t version;
	uint8_t tcp_flags; /* the step the length is legal in */
	uint8_t len;
};

ParameterizedTestParameters(mp_capable, legal_lengths)
{
	static struct cap_case cases[] = {
		{ 1, SYN, 4 },    { 1, SYNACK, 12 }, { 1, ACK, 20 },
		{ 1, ACK, 22 },   { 1, ACK, 24 },    { 0, SYN, 12 },
		{ 0, SYNACK, 12 }, { 0, ACK, 20 },
	};
	return cr_make_param_array(struct cap_case, cases, NELEM(cases));
}

ParameterizedTest(struct cap_case *c, mp_capable, legal_lengths)
{
	cr_assert(legal(c->version, c->tcp_flags, c->len));
	for (int d = -1; d <= 1; d++)
		for (size_t f = 0; f < NELEM(contexts); f++)
			check_one(c->version, contexts[f], (uint8_t)(c->len + d));
}

/* Every length a TCP header can hold, every version class, every context. */
Test(mp_capable, all_lengths)
{
	static const uint8_t versions[] = { 0, 1, 2, 15 };

	for (size_t v = 0; v < NELEM(versions); v++)
		for (size_t f = 0; f < NELEM(contexts); f++)
			for (uint8_t len = 3; len <= 40; len++)
				check_one(versions[v], contexts[f], len);
}

/* A length legal in no version is rejected before the subtype byte is read:
 * an empty reader stays untouched. */
Test(mp_capable, bad_len_reads_nothing)
{
	static const uint8_t bad[] = { 2, 3, 5, 8, 11, 13, 16, 21, 23, 25, 40, 255 };
	uint8_t dummy = 0;

	for (size_t i = 0; i < NELEM(bad); i++) {
		struct mp_rd r = mp_rd_init(&dummy, 0);
		struct mp_capable o;
		cr_assert_eq(mp_capable_parse(&r, bad[i], SYN, &o), MP_E_CAPABLE_BAD_LEN,
			     "len %u", bad[i]);
		cr_assert_not(r.err, "len %u: a byte was read", bad[i]);
	}
}

/* Parses one whole option (kind, length, body) through mp_opt_parse. */
static enum mp_err parse_opt(const uint8_t *opt, uint8_t tcp_flags, struct mp_opt *o)
{
	struct mp_rd r = mp_rd_init(opt + 2, (size_t)opt[1] - 2);
	memset(o, 0xa5, sizeof *o);
	return mp_opt_parse(&r, opt[1], tcp_flags, o);
}

/* Real options from tcpdump's mptcp-v1.pcap (Linux, RFC 8684). */
Test(mp_capable, v1_handshake_real)
{
	static const uint8_t syn[] = {
		30,   /* kind: MPTCP */
		4,    /* length */
		0x01, /* subtype 0 | version 1 */
		0x01, /* flags: H (HMAC-SHA256) */
	};
	static const uint8_t synack[] = {
		30,                                             /* kind */
		12,                                             /* length */
		0x01,                                           /* subtype 0 | version 1 */
		0x01,                                           /* flags: H */
		0x29, 0xa6, 0xc8, 0x69, 0x81, 0xad, 0x93, 0x3c, /* server key */
	};
	static const uint8_t ack[] = {
		30,                                             /* kind */
		20,                                             /* length */
		0x01,                                           /* subtype 0 | version 1 */
		0x01,                                           /* flags: H */
		0x1f, 0xdb, 0x5d, 0xf3, 0x28, 0xbc, 0x3d, 0xef, /* sender (client) key */
		0x29, 0xa6, 0xc8, 0x69, 0x81, 0xad, 0x93, 0x3c, /* receiver (server) key */
	};
	static const uint8_t data[] = {
		30,                                             /* kind */
		22,                                             /* length */
		0x01,                                           /* subtype 0 | version 1 */
		0x01,                                           /* flags: H */
		0x1f, 0xdb, 0x5d, 0xf3, 0x28, 0xbc, 0x3d, 0xef, /* sender key */
		0x29, 0xa6, 0xc8, 0x69, 0x81, 0xad, 0x93, 0x3c, /* receiver key */
		0x20, 0x00,                                     /* data-level length */
	};
	struct mp_opt o;

	cr_assert_eq(parse_opt(syn, SYN, &o), MP_E_NONE);
	cr_assert_eq(o.subtype, MPTCP_SUB_CAPABLE);
	cr_assert_eq(o.u.capable.version, 1);
	cr_assert_eq(o.u.capable.flags, MPC_H);
	cr_assert_not(o.u.capable.has_sender_key);
	cr_assert_eq(o.u.capable.sender_key, 0);

	cr_assert_eq(parse_opt(synack, SYNACK, &o), MP_E_NONE);
	cr_assert(o.u.capable.has_sender_key);
	cr_assert_not(o.u.capable.has_receiver_key);
	cr_assert_eq(o.u.capable.sender_key, 0x29a6c86981ad933cULL);

	cr_assert_eq(parse_opt(ack, ACK, &o), MP_E_NONE);
	cr_assert_eq(o.u.capable.sender_key, 0x1fdb5df328bc3defULL);
	cr_assert_eq(o.u.capable.receiver_key, 0x29a6c86981ad933cULL);
	cr_assert_not(o.u.capable.has_data_len);

	cr_assert_eq(parse_opt(data, ACK | MP_TH_PSH, &o), MP_E_NONE);
	cr_assert(o.u.capable.has_data_len);
	cr_assert_not(o.u.capable.has_checksum);
	cr_assert_eq(o.u.capable.data_len, 8192);
	cr_assert_eq(o.u.capable.receiver_key, 0x29a6c86981ad933cULL);

	/* The v1 SYN form in a SYN/ACK, and the SYN/ACK form in a SYN. */
	cr_assert_eq(parse_opt(syn, SYNACK, &o), MP_E_CAPABLE_BAD_LEN);
	cr_assert_eq(parse_opt(synack, SYN, &o), MP_E_CAPABLE_BAD_LEN);
	cr_assert_eq(parse_opt(ack, SYN, &o), MP_E_CAPABLE_BAD_LEN);
	cr_assert_eq(o.subtype, MPTCP_SUB_CAPABLE);
}

/* Real options from tcpdump's mptcp-v0.pcap (RFC 6824, checksums on). */
Test(mp_capable, v0_handshake_real)
{
	static const uint8_t syn[] = {
		30,                                             /* kind */
		12,                                             /* length */
		0x00,                                           /* subtype 0 | version 0 */
		0x81,                                           /* flags: A | H (HMAC-SHA1) */
		0x9c, 0x9e, 0xab, 0xd1, 0xe4, 0x6a, 0x33, 0xb2, /* client key */
	};
	static const uint8_t ack[] = {
		30,                                             /* kind */
		20,                                             /* length */
		0x00,                                           /* subtype 0 | version 0 */
		0x81,                                           /* flags: A | H */
		0x9c, 0x9e, 0xab, 0xd1, 0xe4, 0x6a, 0x33, 0xb2, /* sender key */
		0x96, 0x7d, 0x27, 0x70, 0xb6, 0x96, 0x05, 0x52, /* receiver key */
	};
	struct mp_opt o;

	cr_assert_eq(parse_opt(syn, SYN, &o), MP_E_NONE);
	cr_assert_eq(o.u.capable.version, 0);
	cr_assert_eq(o.u.capable.flags, MPC_A | MPC_H);
	cr_assert(o.u.capable.has_sender_key);
	cr_assert_eq(o.u.capable.sender_key, 0x9c9eabd1e46a33b2ULL);
	cr_assert_eq(parse_opt(syn, SYNACK, &o), MP_E_NONE);

	cr_assert_eq(parse_opt(ack, ACK, &o), MP_E_NONE);
	cr_assert_eq(o.u.capable.sender_key, 0x9c9eabd1e46a33b2ULL);
	cr_assert_eq(o.u.capable.receiver_key, 0x967d2770b6960552ULL);
	cr_assert_not(o.u.capable.has_data_len);
	cr_assert_eq(parse_opt(ack, SYN, &o), MP_E_CAPABLE_BAD_LEN);
}

Test(mp_capable, v1_checksummed_first_data)
{
	static const uint8_t opt[] = {
		30,                                             /* kind */
		24,                                             /* length */
		0x01,                                           /* subtype 0 | version 1 */
		0xa1,                                           /* flags: A | C | H */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, /* sender key */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, /* receiver key */
		0x05, 0xdc,                                     /* data-level length: 1500 */
		0x12, 0x34,                                     /* checksum */
	};
	struct mp_opt o;

	cr_assert_eq(parse_opt(opt, ACK | MP_TH_PSH, &o), MP_E_NONE);
	cr_assert_eq(o.u.capable.flags, MPC_A | MPC_C | MPC_H);
	cr_assert_eq(o.u.capable.sender_key, 1);
	cr_assert_eq(o.u.capable.receiver_key, 0xfffffffffffffffeULL);
	cr_assert_eq(o.u.capable.data_len, 1500);
	cr_assert(o.u.capable.has_checksum);
	cr_assert_eq(o.u.capable.checksum, 0x1234);
}

/* RFC 8684 §3.1: a host may offer a higher version; we report it. */
Test(mp_capable, future_version)
{
	static const uint8_t opt[] = {
		30,   /* kind */
		4,    /* length */
		0x02, /* subtype 0 | version 2 */
		0x41, /* flags: B | H */
	};
	static const uint8_t cut[] = {
		30,   /* kind */
		4,    /* length */
		0x0f, /* subtype 0 | version 15; flags byte not captured */
	};
	struct mp_opt o;

	cr_assert_eq(parse_opt(opt, SYN, &o), MP_E_CAPABLE_BAD_VERSION);
	cr_assert_eq(o.u.capable.version, 2);
	cr_assert_eq(o.u.capable.flags, MPC_B | MPC_H);
	cr_assert_not(o.u.capable.has_sender_key);

	/* The version is decided before truncation is. */
	struct mp_rd r = mp_rd_init(cut + 2, 1);
	cr_assert_eq(mp_opt_parse(&r, 4, SYN, &o), MP_E_CAPABLE_BAD_VERSION);
	cr_assert_eq(o.u.capable.version, 15);
	cr_assert_eq(o.u.capable.flags, 0);
}

/* Capture cut at every byte inside a legal option, through the walker. */
Test(mp_capable, truncated_every_byte)
{
	uint8_t buf[2 + 24];

	buf[0] = 1; /* NOP */
	buf[1] = 1; /* NOP */
	memcpy(buf + 2, tpl, 24);
	for (size_t cap = 2; cap < sizeof buf; cap++) {
		struct mp_opts out;
		mp_tcpopt_walk(buf, cap, sizeof buf, ACK, &out);
		if (cap == 2) { /* kind byte itself not captured */
			cr_assert_eq(out.n, 0);
			continue;
		}
		cr_assert_eq(out.n, 1, "cap %zu", cap);
		cr_assert_eq(out.v[0].err, MP_E_TRUNCATED, "cap %zu: %s", cap,
			     mp_err_name(out.v[0].err));
		cr_assert_eq(out.v[0].off, 2);
		cr_assert_eq(out.v[0].caplen, cap - 2);
		cr_assert_eq(out.v[0].subtype,
			     cap >= 5 ? MPTCP_SUB_CAPABLE : MPTCP_SUB_UNKNOWN);
	}
	struct mp_opts out;
	mp_tcpopt_walk(buf, sizeof buf, sizeof buf, ACK, &out);
	cr_assert_eq(out.v[0].err, MP_E_NONE);
	cr_assert_eq(out.v[0].u.capable.checksum, 0xbeef);
}

/* Length bytes 0 and 1, and an option running past the TCP header. */
Test(mp_capable, framing)
{
	uint8_t buf[24];
	struct mp_opts out;

	memcpy(buf, tpl, sizeof buf);
	for (uint8_t len = 0; len < 2; len++) {
		buf[1] = len;
		mp_tcpopt_walk(buf, sizeof buf, sizeof buf, ACK, &out);
		cr_assert_eq(out.n, 1);
		cr_assert_eq(out.v[0].err, MP_E_TCP_OPT_LEN_SHORT);
		cr_assert_eq(out.v[0].len, len);
		cr_assert_eq(out.tcp_err, MP_E_NONE);
	}
	buf[1] = 24; /* header declares only 20 option bytes */
	mp_tcpopt_walk(buf, sizeof buf, 20, ACK, &out);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.v[0].err, MP_E_TCP_OPT_LEN_OVERRUN);
	cr_assert_eq(out.v[0].subtype, MPTCP_SUB_CAPABLE);
	cr_assert_eq(out.v[0].caplen, 20);
	buf[1] = 2; /* sane framing, but no room for the subtype */
	mp_tcpopt_walk(buf, sizeof buf, 2, ACK, &out);
	cr_assert_eq(out.v[0].err, MP_E_MPTCP_LEN_SHORT);
	cr_assert_eq(out.v[0].subtype, MPTCP_SUB_UNKNOWN);
}

/* MP_CAPABLE and DSS in one header: both decoded, in wire order. */
Test(mp_capable, with_dss)
{
	static const uint8_t opts[] = {
		1,                                              /* NOP */
		1,                                              /* NOP */
		30,                                             /* kind: MPTCP */
		20,                                             /* length */
		0x01,                                           /* MP_CAPABLE | version 1 */
		0x01,                                           /* flags: H */
		0x1f, 0xdb, 0x5d, 0xf3, 0x28, 0xbc, 0x3d, 0xef, /* sender key */
		0x29, 0xa6, 0xc8, 0x69, 0x81, 0xad, 0x93, 0x3c, /* receiver key */
		30,                                             /* kind: MPTCP */
		8,                                              /* length */
		0x20,                                           /* DSS */
		0x01,                                           /* flags: A */
		0xee, 0x83, 0xa6, 0x16,                         /* data ACK (32 bits) */
		0,                                              /* EOL */
		0, 0,                                           /* padding */
	};
	struct mp_opts out;

	mp_tcpopt_walk(opts, sizeof opts, sizeof opts, ACK, &out);
	cr_assert_eq(out.n, 2);
	cr_assert_eq(out.v[0].subtype, MPTCP_SUB_CAPABLE);
	cr_assert_eq(out.v[0].err, MP_E_NONE);
	cr_assert_eq(out.v[0].off, 2);
	cr_assert_eq(out.v[0].u.capable.receiver_key, 0x29a6c86981ad933cULL);
	cr_assert_eq(out.v[1].subtype, MPTCP_SUB_DSS);
	cr_assert_eq(out.v[1].err, MP_E_NONE);
	cr_assert_eq(out.v[1].off, 22);
	cr_assert_eq(out.v[1].u.dss.data_ack, 0xee83a616ULL);

	/* The same header in a SYN: MP_CAPABLE 20 is malformed there, the
	 * DSS after it still decodes. */
	mp_tcpopt_walk(opts, sizeof opts, sizeof opts, SYN, &out);
	cr_assert_eq(out.n, 2);
	cr_assert_eq(out.v[0].err, MP_E_CAPABLE_BAD_LEN);
	cr_assert_eq(out.v[1].err, MP_E_NONE);
	cr_assert_eq(out.v[1].u.dss.data_ack, 0xee83a616ULL);
}
