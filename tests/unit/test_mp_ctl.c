/* SPDX-License-Identifier: BSD-2-Clause */
/* test_mp_ctl.c - unit tests for mp_prio_parse, mp_fail_parse,
 * mp_fastclose_parse and mp_tcprst_parse (RFC 8684 §3.3.8, §3.7, §3.5,
 * §3.6; RFC 6824 §3.3.8), directly and through mp_tcpopt_walk. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "mpana/opt.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define ACK MP_TH_ACK

/* Byte 0 is the subtype byte, byte 1 the address id / reserved / reason,
 * then 8 bytes of DSN or key. */
static const uint8_t body_tpl[10] = {
	0x00,                                           /* subtype | nibble (patched) */
	0x0b,                                           /* addr id / reserved / reason */
	0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* DSN or key */
};

static bool legal(uint8_t subtype, uint8_t len)
{
	switch (subtype) {
	case MPTCP_SUB_PRIO:
		return len == 3 || len == 4; /* RFC 8684, RFC 6824 */
	case MPTCP_SUB_FAIL:
	case MPTCP_SUB_FASTCLOSE:
		return len == 12;
	default: /* MPTCP_SUB_TCPRST */
		return len == 4;
	}
}

static enum mp_err bad_len(uint8_t subtype)
{
	switch (subtype) {
	case MPTCP_SUB_PRIO:
		return MP_E_PRIO_BAD_LEN;
	case MPTCP_SUB_FAIL:
		return MP_E_FAIL_BAD_LEN;
	case MPTCP_SUB_FASTCLOSE:
		return MP_E_FASTCLOSE_BAD_LEN;
	default:
		return MP_E_TCPRST_BAD_LEN;
	}
}

/* Parses an option of `subtype` with length byte `len` (0..255) straight
 * into its parser, then (for lengths a header can hold) through the
 * walker; checks the error, the bytes read and every field. */
static void check_one(uint8_t subtype, uint8_t nibble, uint8_t len)
{
	uint8_t buf[256];
	bool ok = legal(subtype, len);
	enum mp_err want = ok ? MP_E_NONE : bad_len(subtype), e;
	union {
		struct mp_prio prio;
		struct mp_fail fail;
		struct mp_fastclose fastclose;
		struct mp_tcprst tcprst;
	} o, x;

	memset(buf, 0xee, sizeof buf);
	buf[0] = 30;  /* kind */
	buf[1] = len; /* length */
	memcpy(buf + 2, body_tpl, sizeof body_tpl);
	buf[2] = (uint8_t)(subtype << 4 | nibble);

	memset(&o, 0xa5, sizeof o);
	memset(&x, 0, sizeof x);
	struct mp_rd r = mp_rd_init(buf + 2, len >= 2 ? (size_t)len - 2 : 0);
	switch (subtype) {
	case MPTCP_SUB_PRIO:
		e = mp_prio_parse(&r, len, ACK, &o.prio);
		if (ok) {
			x.prio.backup = nibble & 1;
			x.prio.has_addr_id = len == 4;
			x.prio.addr_id = len == 4 ? 0x0b : 0;
		}
		cr_assert_eq(o.prio.backup, x.prio.backup, "len %u", len);
		cr_assert_eq(o.prio.has_addr_id, x.prio.has_addr_id, "len %u", len);
		cr_assert_eq(o.prio.addr_id, x.prio.addr_id, "len %u", len);
		cr_assert_eq(memcmp(&o.prio, &x.prio, sizeof x.prio), 0);
		break;
	case MPTCP_SUB_FAIL:
		e = mp_fail_parse(&r, len, ACK, &o.fail);
		x.fail.dsn = ok ? 0x1122334455667788ULL : 0;
		cr_assert_eq(o.fail.dsn, x.fail.dsn, "len %u", len);
		cr_assert_eq(memcmp(&o.fail, &x.fail, sizeof x.fail), 0);
		break;
	case MPTCP_SUB_FASTCLOSE:
		e = mp_fastclose_parse(&r, len, ACK, &o.fastclose);
		x.fastclose.receiver_key = ok ? 0x1122334455667788ULL : 0;
		cr_assert_eq(o.fastclose.receiver_key, x.fastclose.receiver_key, "len %u", len);
		cr_assert_eq(memcmp(&o.fastclose, &x.fastclose, sizeof x.fastclose), 0);
		break;
	default:
		e = mp_tcprst_parse(&r, len, ACK | MP_TH_RST, &o.tcprst);
		if (ok) {
			x.tcprst.flags = nibble;
			x.tcprst.reason = 0x0b;
		}
		cr_assert_eq(o.tcprst.flags, x.tcprst.flags, "len %u", len);
		cr_assert_eq(o.tcprst.reason, x.tcprst.reason, "len %u", len);
		cr_assert_eq(memcmp(&o.tcprst, &x.tcprst, sizeof x.tcprst), 0);
		break;
	}
	cr_assert_eq(e, want, "%s len %u: got %s", mp_subtype_name(subtype), len,
		     mp_err_name(e));
	cr_assert_not(r.err);
	cr_assert_eq(r.p, ok ? buf + len : buf + 2, "%s len %u: bytes read",
		     mp_subtype_name(subtype), len);

	if (len < 3 || len > 40)
		return;
	struct mp_opts out;
	mp_tcpopt_walk(buf, len, len, ACK, &out);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.v[0].subtype, subtype);
	cr_assert_eq(out.v[0].err, want);
	cr_assert_eq(memcmp(&out.v[0].u, &x, sizeof x), 0);
}

struct ctl_case {
	uint8_t subtype;
	uint8_t len; /* a legal length */
};

ParameterizedTestParameters(mp_ctl, legal_lengths)
{
	static struct ctl_case cases[] = {
		{ MPTCP_SUB_PRIO, 3 },       { MPTCP_SUB_PRIO, 4 },
		{ MPTCP_SUB_FAIL, 12 },      { MPTCP_SUB_FASTCLOSE, 12 },
		{ MPTCP_SUB_TCPRST, 4 },
	};
	return cr_make_param_array(struct ctl_case, cases, NELEM(cases));
}

/* Each legal length and its neighbours, with every flag nibble. */
ParameterizedTest(struct ctl_case *c, mp_ctl, legal_lengths)
{
	for (uint8_t nib = 0; nib < 16; nib++)
		for (int d = -1; d <= 1; d++)
			check_one(c->subtype, nib, (uint8_t)(c->len + d));
}

Test(mp_ctl, all_lengths)
{
	static const uint8_t subs[] = { MPTCP_SUB_PRIO, MPTCP_SUB_FAIL,
					MPTCP_SUB_FASTCLOSE, MPTCP_SUB_TCPRST };

	for (size_t s = 0; s < NELEM(subs); s++)
		for (unsigned len = 0; len <= 255; len++)
			check_one(subs[s], 0x5, (uint8_t)len);
}

/* Parses one whole option through mp_opt_parse. */
static enum mp_err parse_opt(const uint8_t *opt, uint8_t tcp_flags, struct mp_opt *o)
{
	struct mp_rd r = mp_rd_init(opt + 2, (size_t)opt[1] - 2);
	memset(o, 0xa5, sizeof *o);
	return mp_opt_parse(&r, opt[1], tcp_flags, o);
}

Test(mp_prio, forms)
{
	static const uint8_t v1[] = {
		30,   /* kind */
		3,    /* length */
		0x51, /* subtype 5 | B */
	};
	static const uint8_t v0[] = {
		30,   /* kind */
		4,    /* length */
		0x50, /* subtype 5 | B clear */
		0x03, /* address id */
	};
	struct mp_opt o;

	cr_assert_eq(parse_opt(v1, ACK, &o), MP_E_NONE);
	cr_assert_eq(o.subtype, MPTCP_SUB_PRIO);
	cr_assert(o.u.prio.backup);
	cr_assert_not(o.u.prio.has_addr_id);
	cr_assert_eq(parse_opt(v0, ACK, &o), MP_E_NONE);
	cr_assert_not(o.u.prio.backup);
	cr_assert(o.u.prio.has_addr_id);
	cr_assert_eq(o.u.prio.addr_id, 3);
}

/* tcpdump's mptcp-fclose.pcap: "fast-close key 0xd005b1ab34bad344". */
Test(mp_fastclose, real)
{
	static const uint8_t opt[] = {
		30,                                             /* kind */
		12,                                             /* length */
		0x70,                                           /* subtype 7 */
		0x00,                                           /* reserved */
		0xd0, 0x05, 0xb1, 0xab, 0x34, 0xba, 0xd3, 0x44, /* receiver's key */
	};
	struct mp_opt o;

	cr_assert_eq(parse_opt(opt, ACK, &o), MP_E_NONE);
	cr_assert_eq(o.subtype, MPTCP_SUB_FASTCLOSE);
	cr_assert_eq(o.u.fastclose.receiver_key, 0xd005b1ab34bad344ULL);
	cr_assert_eq(parse_opt(opt, MP_TH_RST, &o), MP_E_NONE);
}

Test(mp_fail, dsn)
{
	static const uint8_t opt[] = {
		30,                                             /* kind */
		12,                                             /* length */
		0x60,                                           /* subtype 6 */
		0x00,                                           /* reserved */
		0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, /* DSN */
	};
	struct mp_opt o;

	cr_assert_eq(parse_opt(opt, ACK, &o), MP_E_NONE);
	cr_assert_eq(o.subtype, MPTCP_SUB_FAIL);
	cr_assert_eq(o.u.fail.dsn, 0xffffffff00000001ULL);
	cr_assert_str_eq(mp_subtype_name(o.subtype), "mp_fail");
}

/* tcpdump's mptcp-tcprst.pcap, which tcpdump still calls "unknown". */
Test(mp_tcprst, real)
{
	static const uint8_t plain[] = {
		30,   /* kind */
		4,    /* length */
		0x80, /* subtype 8 | no flags */
		0x00, /* reason: unspecified */
	};
	static const uint8_t transient[] = {
		30,   /* kind */
		4,    /* length */
		0x81, /* subtype 8 | T */
		0x01, /* reason: MPTCP-specific error */
	};
	static const uint8_t all[] = {
		30,   /* kind */
		4,    /* length */
		0x8f, /* subtype 8 | U V W T */
		0x06, /* reason: middlebox interference */
	};
	struct mp_opt o;

	cr_assert_eq(parse_opt(plain, ACK | MP_TH_RST, &o), MP_E_NONE);
	cr_assert_eq(o.subtype, MPTCP_SUB_TCPRST);
	cr_assert_eq(o.u.tcprst.flags, 0);
	cr_assert_eq(o.u.tcprst.reason, 0);
	cr_assert_str_eq(mp_tcprst_reason_name(o.u.tcprst.reason), "unspecified");
	cr_assert_eq(parse_opt(transient, ACK | MP_TH_RST, &o), MP_E_NONE);
	cr_assert_eq(o.u.tcprst.flags, TCPRST_T);
	cr_assert_str_eq(mp_tcprst_reason_name(o.u.tcprst.reason), "mptcp_specific");
	cr_assert_eq(parse_opt(all, ACK | MP_TH_RST, &o), MP_E_NONE);
	cr_assert_eq(o.u.tcprst.flags, TCPRST_U | TCPRST_V | TCPRST_W | TCPRST_T);
	cr_assert_str_eq(mp_tcprst_reason_name(o.u.tcprst.reason), "middlebox_interference");
}

/* Truncation inside each option, several in one header, and the walk
 * going on past a bad length. */
Test(mp_ctl, walk)
{
	static const uint8_t opts[] = {
		30,                                             /* kind: MPTCP */
		3,                                              /* length */
		0x51,                                           /* MP_PRIO | B */
		30,                                             /* kind: MPTCP */
		5,                                              /* length: bad */
		0x80,                                           /* MP_TCPRST */
		0x02, 0x00,                                     /* reason, junk */
		30,                                             /* kind: MPTCP */
		4,                                              /* length */
		0x84,                                           /* MP_TCPRST | V */
		0x02,                                           /* lack of resources */
		30,                                             /* kind: MPTCP */
		12,                                             /* length */
		0x60,                                           /* MP_FAIL */
		0x00,                                           /* reserved */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, /* DSN */
		30,                                             /* kind: MPTCP */
		12,                                             /* length */
		0x70,                                           /* MP_FASTCLOSE */
		0x00,                                           /* reserved */
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* receiver's key */
	};
	struct mp_opts out;

	cr_assert_eq(sizeof opts, 36);
	mp_tcpopt_walk(opts, sizeof opts, sizeof opts, ACK | MP_TH_RST, &out);
	cr_assert_eq(out.n, 5);
	cr_assert_eq(out.v[0].err, MP_E_NONE);
	cr_assert(out.v[0].u.prio.backup);
	cr_assert_eq(out.v[1].err, MP_E_TCPRST_BAD_LEN);
	cr_assert_str_eq(mp_err_name(out.v[1].err), "mp_tcprst.bad_len");
	cr_assert_eq(out.v[2].err, MP_E_NONE);
	cr_assert_eq(out.v[2].off, 8);
	cr_assert_eq(out.v[2].u.tcprst.flags, TCPRST_V);
	cr_assert_eq(out.v[2].u.tcprst.reason, 2);
	cr_assert_eq(out.v[3].err, MP_E_NONE);
	cr_assert_eq(out.v[3].u.fail.dsn, 0x1000);
	cr_assert_eq(out.v[4].err, MP_E_NONE);
	cr_assert_eq(out.v[4].off, 24);
	cr_assert_eq(out.v[4].u.fastclose.receiver_key, 0x0102030405060708ULL);

	/* Cut inside each of the last three options in turn. */
	static const struct { size_t cap; uint8_t n; uint8_t sub; } cuts[] = {
		{ 11, 3, MPTCP_SUB_TCPRST },    /* reason byte missing */
		{ 23, 4, MPTCP_SUB_FAIL },      /* last DSN byte missing */
		{ 18, 4, MPTCP_SUB_FAIL },      /* half the DSN */
		{ 35, 5, MPTCP_SUB_FASTCLOSE }, /* last key byte missing */
	};
	for (size_t i = 0; i < NELEM(cuts); i++) {
		mp_tcpopt_walk(opts, cuts[i].cap, sizeof opts, ACK, &out);
		cr_assert_eq(out.n, cuts[i].n, "cap %zu", cuts[i].cap);
		cr_assert_eq(out.v[out.n - 1].subtype, cuts[i].sub);
		cr_assert_eq(out.v[out.n - 1].err, MP_E_TRUNCATED, "cap %zu", cuts[i].cap);
	}
}

Test(mp_ctl, framing)
{
	static const uint8_t short_len[] = {
		30,   /* kind: MPTCP */
		1,    /* length: < 2 */
		0x80, /* MP_TCPRST */
		0x00, /* reason */
	};
	static const uint8_t overrun[] = {
		30,   /* kind: MPTCP */
		12,   /* length: past the 8-byte header */
		0x70, /* MP_FASTCLOSE */
		0x00, /* reserved */
		0x01, 0x02, 0x03, 0x04, /* half a key */
	};
	struct mp_opts out;

	mp_tcpopt_walk(short_len, sizeof short_len, sizeof short_len, ACK, &out);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.v[0].err, MP_E_TCP_OPT_LEN_SHORT);
	cr_assert_eq(out.v[0].subtype, MPTCP_SUB_UNKNOWN);
	mp_tcpopt_walk(overrun, sizeof overrun, sizeof overrun, ACK, &out);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.v[0].err, MP_E_TCP_OPT_LEN_OVERRUN);
	cr_assert_eq(out.v[0].subtype, MPTCP_SUB_FASTCLOSE);
	cr_assert_eq(out.v[0].caplen, 8);
}
