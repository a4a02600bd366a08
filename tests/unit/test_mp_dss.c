/* SPDX-License-Identifier: BSD-2-Clause */
/* test_mp_dss.c - unit tests for mp_dss_parse and mp_dss_len (RFC 8684
 * §3.3), directly and through mp_tcpopt_walk. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "mpana/opt.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Option header followed by a byte stream 0x11, 0x12, ...: whatever the
 * flags, each field's expected value is the next bytes of the stream. */
static const uint8_t tpl[40] = {
	30,   /* kind: MPTCP */
	0,    /* length (patched) */
	0x20, /* subtype 2 | reserved */
	0x00, /* flags (patched) */
	0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, /* fields in flag order */
	0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
	0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
	0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30,
	0x31, 0x32, 0x33, 0x34,
};

static uint64_t be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* The legal lengths, spelled out per shape (RFC 8684 §3.3, Figure 9):
 * 4 header bytes, data ACK 4/8, mapping DSN 4/8 + SSN 4 + length 2, and
 * 2 more for a checksum, which only a mapping can carry. */
struct shape {
	uint8_t flags;   /* A a M m bits that matter */
	uint8_t len;     /* without checksum */
	uint8_t len_ck;  /* with checksum; 0: none possible */
};

static const struct shape shapes[] = {
	{ 0, 4, 0 },
	{ DSS_A, 8, 0 },
	{ DSS_A | DSS_a, 12, 0 },
	{ DSS_M, 14, 16 },
	{ DSS_M | DSS_m, 18, 20 },
	{ DSS_A | DSS_M, 18, 20 },
	{ DSS_A | DSS_M | DSS_m, 22, 24 },
	{ DSS_A | DSS_a | DSS_M, 22, 24 },
	{ DSS_A | DSS_a | DSS_M | DSS_m, 26, 28 },
};

/* The bits that decide the layout: a only with A, m only with M. */
static uint8_t shape_bits(uint8_t flags)
{
	uint8_t s = flags & (DSS_A | DSS_M);
	if (flags & DSS_A)
		s |= flags & DSS_a;
	if (flags & DSS_M)
		s |= flags & DSS_m;
	return s;
}

static const struct shape *shape_of(uint8_t flags)
{
	for (size_t i = 0; i < NELEM(shapes); i++)
		if (shapes[i].flags == shape_bits(flags))
			return &shapes[i];
	cr_assert_fail("no shape for %#x", flags);
	return NULL;
}

static bool legal_any(uint8_t len)
{
	for (size_t i = 0; i < NELEM(shapes); i++)
		if (len == shapes[i].len || len == shapes[i].len_ck)
			return true;
	return false;
}

/* Parses tpl with `flags` and length byte `len`, directly and through the
 * walker; checks the error, what was read, and every field. */
static void check_one(uint8_t flags, uint8_t len, uint8_t tcp_flags)
{
	uint8_t buf[40];
	const struct shape *sh = shape_of(flags);
	enum mp_err want;

	memcpy(buf, tpl, sizeof buf);
	buf[1] = len;
	buf[3] = flags;
	want = (len == sh->len || len == sh->len_ck) ? MP_E_NONE : MP_E_DSS_BAD_LEN;

	struct mp_dss o;
	memset(&o, 0xa5, sizeof o);
	struct mp_rd r = mp_rd_init(buf + 2, (size_t)len - 2);
	enum mp_err e = mp_dss_parse(&r, len, tcp_flags, &o);
	cr_assert_eq(e, want, "flags %#x len %u: got %s want %s", flags, len,
		     mp_err_name(e), mp_err_name(want));
	cr_assert_not(r.err);

	struct mp_dss x;
	memset(&x, 0, sizeof x);
	if (want != MP_E_NONE) {
		/* At most the subtype and flags bytes were read; none at all
		 * for a length no flags allow. */
		cr_assert_leq(r.p - (buf + 2), 2);
		if (!legal_any(len))
			cr_assert_eq(r.p, buf + 2, "flags %#x len %u", flags, len);
		else
			x.flags = flags;
	} else {
		const uint8_t *f = buf + 4;
		cr_assert_eq(r.p, buf + len, "flags %#x len %u: not all read", flags, len);
		x.flags = flags;
		x.has_checksum = len == sh->len_ck;
		if (flags & DSS_A) {
			size_t n = (flags & DSS_a) ? 8 : 4;
			x.data_ack = be(f, n);
			f += n;
		}
		if (flags & DSS_M) {
			size_t n = (flags & DSS_m) ? 8 : 4;
			x.dsn = be(f, n);
			x.ssn = (uint32_t)be(f + n, 4);
			x.dll = (uint16_t)be(f + n + 4, 2);
			if (x.has_checksum)
				x.checksum = (uint16_t)be(f + n + 6, 2);
		}
	}
	cr_assert_eq(o.flags, x.flags);
	cr_assert_eq(o.has_checksum, x.has_checksum, "flags %#x len %u", flags, len);
	cr_assert_eq(o.data_ack, x.data_ack, "flags %#x len %u", flags, len);
	cr_assert_eq(o.dsn, x.dsn, "flags %#x len %u", flags, len);
	cr_assert_eq(o.ssn, x.ssn, "flags %#x len %u", flags, len);
	cr_assert_eq(o.dll, x.dll, "flags %#x len %u", flags, len);
	cr_assert_eq(o.checksum, x.checksum, "flags %#x len %u", flags, len);
	cr_assert_eq(memcmp(&o, &x, sizeof o), 0, "padding or a stray field");

	struct mp_opts out;
	mp_tcpopt_walk(buf, len, len, tcp_flags, &out);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.v[0].subtype, MPTCP_SUB_DSS);
	cr_assert_eq(out.v[0].err, want);
	cr_assert_eq(out.v[0].len, len);
	cr_assert_eq(out.v[0].caplen, len);
	cr_assert_eq(memcmp(&out.v[0].u.dss, &x, sizeof x), 0);
}

ParameterizedTestParameters(dss, shapes)
{
	return cr_make_param_array(struct shape, (void *)shapes, NELEM(shapes));
}

/* Each shape at its legal lengths and neighbours, with and without
 * DATA_FIN, with the ignored a/m bits and reserved bits set, in data and
 * control segments. */
ParameterizedTest(const struct shape *s, dss, shapes)
{
	static const uint8_t extra[] = { 0, DSS_F, DSS_a, DSS_m, DSS_a | DSS_m,
					 0xe0, 0xe0 | DSS_F };
	static const uint8_t ctx[] = { MP_TH_ACK, MP_TH_ACK | MP_TH_PSH,
				       MP_TH_ACK | MP_TH_FIN, MP_TH_SYN };

	cr_assert_eq(mp_dss_len(s->flags), s->len);
	for (size_t i = 0; i < NELEM(extra); i++) {
		uint8_t flags = s->flags | extra[i];
		/* Adding a or m to a shape without A or M must not change it. */
		if (shape_bits(flags) != s->flags)
			continue;
		cr_assert_eq(mp_dss_len(flags), s->len, "flags %#x", flags);
		for (size_t c = 0; c < NELEM(ctx); c++) {
			for (int d = -1; d <= 3; d++)
				check_one(flags, (uint8_t)(s->len + d), ctx[c]);
		}
	}
}

/* Every flags byte against every length a TCP header can hold. */
Test(dss, all_flags_all_lengths)
{
	for (unsigned f = 0; f <= 0xff; f++)
		for (uint8_t len = 3; len <= 40; len++)
			check_one((uint8_t)f, len, MP_TH_ACK);
}

Test(dss, dss_len_all_flags)
{
	for (unsigned f = 0; f <= 0xff; f++)
		cr_assert_eq(mp_dss_len((uint8_t)f), shape_of((uint8_t)f)->len, "flags %#x", f);
}

/* A length legal for no flags is refused before the flags byte is read. */
Test(dss, bad_len_reads_nothing)
{
	static const uint8_t bad[] = { 2, 3, 5, 6, 7, 9, 10, 11, 13, 15, 17, 19,
				       21, 23, 25, 27, 29, 30, 40, 255 };
	uint8_t dummy = 0;

	for (size_t i = 0; i < NELEM(bad); i++) {
		struct mp_rd r = mp_rd_init(&dummy, 0);
		struct mp_dss o;
		cr_assert_eq(mp_dss_parse(&r, bad[i], MP_TH_ACK, &o), MP_E_DSS_BAD_LEN,
			     "len %u", bad[i]);
		cr_assert_not(r.err, "len %u: a byte was read", bad[i]);
	}
}

/* Parses one whole option through mp_opt_parse. */
static enum mp_err parse_opt(const uint8_t *opt, struct mp_opt *o)
{
	struct mp_rd r = mp_rd_init(opt + 2, (size_t)opt[1] - 2);
	memset(o, 0xa5, sizeof *o);
	return mp_opt_parse(&r, opt[1], MP_TH_ACK, o);
}

/* From tcpdump's mptcp-fclose.pcap: "dss ack 3386645601 seq 2976985014
 * subseq 1 len 1 csum 0x9e91". */
Test(dss, real_v0_checksummed_mapping)
{
	static const uint8_t opt[] = {
		30,                     /* kind */
		20,                     /* length */
		0x20,                   /* subtype 2 */
		0x05,                   /* flags: M | A */
		0xc9, 0xdc, 0x1c, 0x61, /* data ACK (32 bits) */
		0xb1, 0x71, 0x2f, 0xb6, /* DSN (32 bits) */
		0x00, 0x00, 0x00, 0x01, /* subflow sequence number */
		0x00, 0x01,             /* data-level length */
		0x9e, 0x91,             /* checksum */
	};
	struct mp_opt o;

	cr_assert_eq(parse_opt(opt, &o), MP_E_NONE);
	cr_assert_eq(o.subtype, MPTCP_SUB_DSS);
	cr_assert_eq(o.u.dss.flags, DSS_M | DSS_A);
	cr_assert_eq(o.u.dss.data_ack, 3386645601ULL);
	cr_assert_eq(o.u.dss.dsn, 2976985014ULL);
	cr_assert_eq(o.u.dss.ssn, 1);
	cr_assert_eq(o.u.dss.dll, 1);
	cr_assert(o.u.dss.has_checksum);
	cr_assert_eq(o.u.dss.checksum, 0x9e91);
}

/* From tcpdump's mptcp-aa-v1.pcap: "dss ack 17186763219675866581 seq
 * 12148165319181844526 subseq 1 len 16". */
Test(dss, real_v1_64bit_mapping)
{
	static const uint8_t opt[] = {
		30,                                             /* kind */
		26,                                             /* length */
		0x20,                                           /* subtype 2 */
		0x0f,                                           /* flags: m M a A */
		0xee, 0x83, 0xa6, 0x16, 0xc3, 0x87, 0x65, 0xd5, /* data ACK (64) */
		0xa8, 0x96, 0xf3, 0xfe, 0x7a, 0x8d, 0xc0, 0x2e, /* DSN (64) */
		0x00, 0x00, 0x00, 0x01,                         /* SSN */
		0x00, 0x10,                                     /* data-level length */
	};
	static const uint8_t ack64[] = {
		30,                                             /* kind */
		12,                                             /* length */
		0x20,                                           /* subtype 2 */
		0x03,                                           /* flags: a A */
		0xee, 0x83, 0xa6, 0x16, 0xc3, 0x87, 0x65, 0xc5, /* data ACK (64) */
	};
	static const uint8_t ack32[] = {
		30,                     /* kind */
		8,                      /* length */
		0x20,                   /* subtype 2 */
		0x01,                   /* flags: A */
		0xb1, 0x71, 0x2f, 0xb7, /* data ACK (32) */
	};
	struct mp_opt o;

	cr_assert_eq(parse_opt(opt, &o), MP_E_NONE);
	cr_assert_eq(o.u.dss.data_ack, 17186763219675866581ULL);
	cr_assert_eq(o.u.dss.dsn, 12148165319181844526ULL);
	cr_assert_eq(o.u.dss.ssn, 1);
	cr_assert_eq(o.u.dss.dll, 16);
	cr_assert_not(o.u.dss.has_checksum);
	cr_assert_eq(o.u.dss.checksum, 0);

	cr_assert_eq(parse_opt(ack64, &o), MP_E_NONE);
	cr_assert_eq(o.u.dss.data_ack, 17186763219675866565ULL);
	cr_assert_eq(o.u.dss.dsn, 0);
	cr_assert_eq(parse_opt(ack32, &o), MP_E_NONE);
	cr_assert_eq(o.u.dss.data_ack, 2976985015ULL);
}

/* A bare DSS (neither A nor M) of length 4 is legal; so is DATA_FIN with an
 * infinite mapping (data-level length 0). */
Test(dss, bare_and_infinite)
{
	static const uint8_t bare[] = {
		30,   /* kind */
		4,    /* length */
		0x20, /* subtype 2 */
		0x00, /* flags: none */
	};
	static const uint8_t fin[] = {
		30,                     /* kind */
		14,                     /* length */
		0x20,                   /* subtype 2 */
		0x14,                   /* flags: F | M */
		0xff, 0xff, 0xff, 0xff, /* DSN (32) */
		0x00, 0x00, 0x00, 0x00, /* SSN: 0 */
		0x00, 0x00,             /* data-level length: 0 (infinite) */
	};
	struct mp_opt o;

	cr_assert_eq(parse_opt(bare, &o), MP_E_NONE);
	cr_assert_eq(o.u.dss.flags, 0);
	cr_assert_eq(parse_opt(fin, &o), MP_E_NONE);
	cr_assert_eq(o.u.dss.flags, DSS_F | DSS_M);
	cr_assert_eq(o.u.dss.dsn, 0xffffffffULL);
	cr_assert_eq(o.u.dss.ssn, 0);
	cr_assert_eq(o.u.dss.dll, 0);
	cr_assert_not(o.u.dss.has_checksum);
}

/* tcpdump's mptcp-dss-oobr.pcap (CVE-2017-13040): a DSS of length 3 in a
 * SYN whose last option byte is not captured. */
Test(dss, real_oobr)
{
	static const uint8_t opts[] = {
		2, 4, 0x40, 0x0c,       /* MSS 16396 */
		4, 2,                   /* SACK permitted */
		8, 10,                  /* timestamps */
		0x23, 0x97, 0x55, 0x34, /* TS value */
		0x00, 0x00, 0x00, 0x00, /* TS echo reply */
		30,                     /* kind: MPTCP */
		3,                      /* length: no room for the flags */
		0x20,                   /* subtype 2 */
		/* the header's 20th option byte is beyond the capture */
	};
	struct mp_opts out;

	mp_tcpopt_walk(opts, sizeof opts, 20, MP_TH_SYN, &out);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.tcp_err, MP_E_NONE);
	cr_assert_eq(out.v[0].subtype, MPTCP_SUB_DSS);
	cr_assert_eq(out.v[0].err, MP_E_DSS_BAD_LEN);
	cr_assert_eq(out.v[0].off, 16);
	cr_assert_eq(out.v[0].caplen, 3);
	cr_assert_str_eq(mp_err_name(out.v[0].err), "dss.bad_len");
}

/* A capture cut anywhere inside the longest DSS, and inside the flags. */
Test(dss, truncated_every_byte)
{
	uint8_t buf[28];

	memcpy(buf, tpl, sizeof buf);
	buf[1] = 28;
	buf[3] = DSS_A | DSS_a | DSS_M | DSS_m;
	for (size_t cap = 1; cap < sizeof buf; cap++) {
		struct mp_opts out;
		mp_tcpopt_walk(buf, cap, sizeof buf, MP_TH_ACK, &out);
		cr_assert_eq(out.n, 1, "cap %zu", cap);
		cr_assert_eq(out.v[0].err, MP_E_TRUNCATED, "cap %zu: %s", cap,
			     mp_err_name(out.v[0].err));
		cr_assert_eq(out.v[0].caplen, cap);
		cr_assert_eq(out.v[0].subtype, cap >= 3 ? MPTCP_SUB_DSS : MPTCP_SUB_UNKNOWN);
	}
	/* Flags byte missing but the length is legal for no flags. */
	buf[1] = 5;
	struct mp_opts out;
	mp_tcpopt_walk(buf, 3, 8, MP_TH_ACK, &out);
	cr_assert_eq(out.v[0].err, MP_E_DSS_BAD_LEN);
}

/* A malformed DSS with a sane length byte does not stop the walk. */
Test(dss, walk_continues_after_bad_len)
{
	static const uint8_t opts[] = {
		30,                     /* kind: MPTCP */
		6,                      /* length: legal for no flags */
		0x20,                   /* subtype 2 */
		0x01,                   /* flags: A */
		0xaa, 0xbb,             /* half a data ACK */
		30,                     /* kind: MPTCP */
		8,                      /* length */
		0x20,                   /* subtype 2 */
		0x01,                   /* flags: A */
		0x00, 0x00, 0x10, 0x00, /* data ACK */
		30,                     /* kind: MPTCP */
		12,                     /* length: A wants 8 */
		0x20,                   /* subtype 2 */
		0x01,                   /* flags: A */
		1, 2, 3, 4, 5, 6, 7, 8, /* 64 bits though a is clear */
		1, 1,                   /* NOP NOP */
	};
	struct mp_opts out;

	mp_tcpopt_walk(opts, sizeof opts, sizeof opts, MP_TH_ACK, &out);
	cr_assert_eq(out.n, 3);
	cr_assert_eq(out.v[0].err, MP_E_DSS_BAD_LEN);
	cr_assert_eq(out.v[0].u.dss.data_ack, 0);
	cr_assert_eq(out.v[1].err, MP_E_NONE);
	cr_assert_eq(out.v[1].off, 6);
	cr_assert_eq(out.v[1].u.dss.data_ack, 0x1000);
	cr_assert_eq(out.v[2].err, MP_E_DSS_BAD_LEN);
	cr_assert_eq(out.v[2].off, 14);
	cr_assert_eq(out.v[2].u.dss.flags, DSS_A);
}

Test(dss, framing)
{
	uint8_t buf[8];
	struct mp_opts out;

	memcpy(buf, tpl, sizeof buf);
	buf[3] = DSS_A;
	buf[1] = 1;
	mp_tcpopt_walk(buf, sizeof buf, sizeof buf, MP_TH_ACK, &out);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.v[0].err, MP_E_TCP_OPT_LEN_SHORT);
	buf[1] = 8;
	mp_tcpopt_walk(buf, sizeof buf, 7, MP_TH_ACK, &out);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.v[0].err, MP_E_TCP_OPT_LEN_OVERRUN);
	cr_assert_eq(out.v[0].subtype, MPTCP_SUB_DSS);
	cr_assert_eq(out.v[0].caplen, 7);
}
