/* SPDX-License-Identifier: BSD-2-Clause */
/* test_mp_addr.c - unit tests for mp_add_addr_parse and
 * mp_remove_addr_parse (RFC 8684 §3.4, RFC 6824 §3.4), directly and through
 * mp_tcpopt_walk. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "mpana/opt.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define ACK MP_TH_ACK

/* ADD_ADDR header, then a byte stream 0x81, 0x82, ...: the address, port
 * and HMAC are the next bytes of the stream whatever the form. */
static const uint8_t tpl[40] = {
	30,   /* kind: MPTCP */
	0,    /* length (patched) */
	0x30, /* subtype 3 | IPVer or E (patched) */
	0x05, /* address id */
	0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, /* address, port, HMAC */
	0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90,
	0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98,
	0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0,
	0xa1, 0xa2, 0xa3, 0xa4,
};

/* The legal forms (RFC 6824 §3.4.1, RFC 8684 §3.4.1). */
struct aa_form {
	uint8_t nibble;   /* low nibble of the subtype byte */
	uint8_t len;      /* legal length */
	uint8_t version;  /* 0 or 1 */
	uint8_t ipver;    /* 4 or 6 */
	bool port;        /* port present */
	bool hmac;        /* truncated HMAC present */
};

static const struct aa_form forms[] = {
	{ 4, 8, 0, 4, false, false },  { 4, 10, 0, 4, true, false },
	{ 6, 20, 0, 6, false, false }, { 6, 22, 0, 6, true, false },
	{ 1, 8, 1, 4, false, false },  { 1, 10, 1, 4, true, false },
	{ 1, 20, 1, 6, false, false }, { 1, 22, 1, 6, true, false },
	{ 0, 16, 1, 4, false, true },  { 0, 18, 1, 4, true, true },
	{ 0, 28, 1, 6, false, true },  { 0, 30, 1, 6, true, true },
};

static const struct aa_form *form_of(uint8_t nibble, uint8_t len)
{
	for (size_t i = 0; i < NELEM(forms); i++)
		if (forms[i].nibble == nibble && forms[i].len == len)
			return &forms[i];
	return NULL;
}

static bool legal_any(uint8_t len)
{
	for (size_t i = 0; i < NELEM(forms); i++)
		if (forms[i].len == len)
			return true;
	return false;
}

static void check_add(uint8_t nibble, uint8_t len)
{
	uint8_t buf[40];
	const struct aa_form *fm = form_of(nibble, len);
	enum mp_err want;
	bool known = nibble == 0 || nibble == 1 || nibble == 4 || nibble == 6;

	if (!legal_any(len))
		want = MP_E_ADD_ADDR_BAD_LEN;
	else if (!known)
		want = MP_E_ADD_ADDR_BAD_IPVER;
	else
		want = fm ? MP_E_NONE : MP_E_ADD_ADDR_BAD_LEN;

	memcpy(buf, tpl, sizeof buf);
	buf[1] = len;
	buf[2] = (uint8_t)(MPTCP_SUB_ADD_ADDR << 4 | nibble);

	struct mp_add_addr o;
	memset(&o, 0xa5, sizeof o);
	struct mp_rd r = mp_rd_init(buf + 2, (size_t)len - 2);
	enum mp_err e = mp_add_addr_parse(&r, len, ACK, &o);
	cr_assert_eq(e, want, "nibble %u len %u: got %s want %s", nibble, len,
		     mp_err_name(e), mp_err_name(want));
	cr_assert_not(r.err);

	struct mp_add_addr x;
	memset(&x, 0, sizeof x);
	if (want != MP_E_NONE) {
		cr_assert_leq(r.p - (buf + 2), 1, "nibble %u len %u", nibble, len);
		if (!legal_any(len))
			cr_assert_eq(r.p, buf + 2, "nibble %u len %u", nibble, len);
		if (want == MP_E_ADD_ADDR_BAD_LEN && legal_any(len)) {
			/* Only what the subtype byte says. */
			x.version = nibble < 2;
			x.ipver = nibble >= 4 ? nibble : 0;
			x.echo = nibble == 1;
		}
	} else {
		size_t alen = fm->ipver == 4 ? 4 : 16;
		cr_assert_eq(r.p, buf + len, "nibble %u len %u: not all read", nibble, len);
		x.version = fm->version;
		x.ipver = fm->ipver;
		x.echo = nibble == 1;
		x.addr_id = 0x05;
		memcpy(x.addr, tpl + 4, alen);
		x.has_port = fm->port;
		if (fm->port)
			x.port = (uint16_t)(tpl[4 + alen] << 8 | tpl[5 + alen]);
		x.has_hmac = fm->hmac;
		if (fm->hmac)
			memcpy(x.hmac, tpl + 4 + alen + (fm->port ? 2 : 0), 8);
	}
	cr_assert_eq(o.version, x.version, "nibble %u len %u", nibble, len);
	cr_assert_eq(o.ipver, x.ipver, "nibble %u len %u", nibble, len);
	cr_assert_eq(o.echo, x.echo, "nibble %u len %u", nibble, len);
	cr_assert_eq(o.addr_id, x.addr_id, "nibble %u len %u", nibble, len);
	cr_assert_arr_eq(o.addr, x.addr, sizeof x.addr, "nibble %u len %u", nibble, len);
	cr_assert_eq(o.has_port, x.has_port, "nibble %u len %u", nibble, len);
	cr_assert_eq(o.port, x.port, "nibble %u len %u", nibble, len);
	cr_assert_eq(o.has_hmac, x.has_hmac, "nibble %u len %u", nibble, len);
	cr_assert_arr_eq(o.hmac, x.hmac, sizeof x.hmac, "nibble %u len %u", nibble, len);
	cr_assert_eq(memcmp(&o, &x, sizeof o), 0, "padding or a stray field");

	struct mp_opts out;
	mp_tcpopt_walk(buf, len, len, ACK, &out);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.v[0].subtype, MPTCP_SUB_ADD_ADDR);
	cr_assert_eq(out.v[0].err, want);
	cr_assert_eq(memcmp(&out.v[0].u.add_addr, &x, sizeof x), 0);
}

ParameterizedTestParameters(add_addr, forms)
{
	return cr_make_param_array(struct aa_form, (void *)forms, NELEM(forms));
}

/* Each form at its length and neighbours, and under every other nibble. */
ParameterizedTest(const struct aa_form *f, add_addr, forms)
{
	for (uint8_t nib = 0; nib < 16; nib++)
		for (int d = -1; d <= 1; d++)
			check_add(nib, (uint8_t)(f->len + d));
}

Test(add_addr, all_lengths)
{
	for (uint8_t nib = 0; nib < 16; nib++)
		for (uint8_t len = 3; len <= 40; len++)
			check_add(nib, len);
}

Test(add_addr, bad_len_reads_nothing)
{
	static const uint8_t bad[] = { 2, 3, 4, 7, 9, 11, 12, 14, 17, 19, 21, 24, 29, 31, 40 };
	uint8_t dummy = 0;

	for (size_t i = 0; i < NELEM(bad); i++) {
		struct mp_rd r = mp_rd_init(&dummy, 0);
		struct mp_add_addr o;
		cr_assert_eq(mp_add_addr_parse(&r, bad[i], ACK, &o), MP_E_ADD_ADDR_BAD_LEN);
		cr_assert_not(r.err, "len %u", bad[i]);
	}
}

/* Parses one whole option through mp_opt_parse. */
static enum mp_err parse_opt(const uint8_t *opt, struct mp_opt *o)
{
	struct mp_rd r = mp_rd_init(opt + 2, (size_t)opt[1] - 2);
	memset(o, 0xa5, sizeof *o);
	return mp_opt_parse(&r, opt[1], ACK, o);
}

/* tcpdump's mptcp-aa-v1.pcap: "add-addr v1 id 1 192.168.136.225 hmac
 * 0x669928744366716c". */
Test(add_addr, real_v1_hmac)
{
	static const uint8_t opt[] = {
		30,                                             /* kind */
		16,                                             /* length */
		0x30,                                           /* subtype 3 | E clear */
		0x01,                                           /* address id */
		192, 168, 136, 225,                             /* address */
		0x66, 0x99, 0x28, 0x74, 0x43, 0x66, 0x71, 0x6c, /* truncated HMAC */
	};
	struct mp_opt o;

	cr_assert_eq(parse_opt(opt, &o), MP_E_NONE);
	cr_assert_eq(o.subtype, MPTCP_SUB_ADD_ADDR);
	cr_assert_eq(o.u.add_addr.version, 1);
	cr_assert_eq(o.u.add_addr.ipver, 4);
	cr_assert_not(o.u.add_addr.echo);
	cr_assert_eq(o.u.add_addr.addr_id, 1);
	cr_assert_arr_eq(o.u.add_addr.addr, opt + 4, 4);
	cr_assert_not(o.u.add_addr.has_port);
	cr_assert(o.u.add_addr.has_hmac);
	cr_assert_arr_eq(o.u.add_addr.hmac, opt + 8, 8);
}

/* IPv6 with a port and an HMAC: the longest option, 30 bytes. */
Test(add_addr, v1_ipv6_port)
{
	static const uint8_t opt[] = {
		30,                                             /* kind */
		30,                                             /* length */
		0x30,                                           /* subtype 3 | E clear */
		0x09,                                           /* address id */
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, /* 2001:db8::1 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
		0x1f, 0x90,                                     /* port 8080 */
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, /* truncated HMAC */
	};
	static const uint8_t v0[] = {
		30,                                             /* kind */
		22,                                             /* length */
		0x36,                                           /* subtype 3 | IPVer 6 */
		0x02,                                           /* address id */
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, /* 2001:db8::2 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
		0x00, 0x50,                                     /* port 80 */
	};
	struct mp_opt o;

	cr_assert_eq(parse_opt(opt, &o), MP_E_NONE);
	cr_assert_eq(o.u.add_addr.ipver, 6);
	cr_assert_eq(o.u.add_addr.addr_id, 9);
	cr_assert_arr_eq(o.u.add_addr.addr, opt + 4, 16);
	cr_assert(o.u.add_addr.has_port);
	cr_assert_eq(o.u.add_addr.port, 8080);
	cr_assert_arr_eq(o.u.add_addr.hmac, opt + 22, 8);

	cr_assert_eq(parse_opt(v0, &o), MP_E_NONE);
	cr_assert_eq(o.u.add_addr.version, 0);
	cr_assert_eq(o.u.add_addr.ipver, 6);
	cr_assert_eq(o.u.add_addr.port, 80);
	cr_assert_not(o.u.add_addr.has_hmac);
}

/* tcpdump's mptcp-aa-echo.pcap: ADD_ADDR then DSS, after NOP NOP TS; and
 * the echo that answers it. */
Test(add_addr, real_with_dss)
{
	static const uint8_t opts[] = {
		1, 1,                                           /* NOP NOP */
		8, 10,                                          /* timestamps */
		0x79, 0xb0, 0x51, 0x27,                         /* TS value */
		0x30, 0x09, 0xcb, 0x9e,                         /* TS echo reply */
		30,                                             /* kind: MPTCP */
		16,                                             /* length */
		0x30,                                           /* ADD_ADDR | E clear */
		0x01,                                           /* address id */
		10, 0, 2, 1,                                    /* address */
		0xf8, 0x29, 0x58, 0x62, 0xf6, 0x45, 0xdf, 0x19, /* truncated HMAC */
		30,                                             /* kind: MPTCP */
		8,                                              /* length */
		0x20,                                           /* DSS */
		0x01,                                           /* flags: A */
		0xd0, 0xbd, 0x7a, 0xef,                         /* data ACK */
	};
	static const uint8_t echo[] = {
		1, 1,                                           /* NOP NOP */
		8, 10,                                          /* timestamps */
		0x16, 0x40, 0x73, 0x24,                         /* TS value */
		0xfe, 0xd4, 0xeb, 0x3e,                         /* TS echo reply */
		30,                                             /* kind: MPTCP */
		8,                                              /* length */
		0x31,                                           /* ADD_ADDR | E */
		0x01,                                           /* address id */
		10, 0, 2, 1,                                    /* address */
		30,                                             /* kind: MPTCP */
		12,                                             /* length */
		0x20,                                           /* DSS */
		0x03,                                           /* flags: a A */
		0xf9, 0x94, 0x8e, 0xf8, 0x04, 0x57, 0x7f, 0x69, /* data ACK (64) */
	};
	struct mp_opts out;

	mp_tcpopt_walk(opts, sizeof opts, sizeof opts, ACK, &out);
	cr_assert_eq(out.n, 2);
	cr_assert_eq(out.v[0].subtype, MPTCP_SUB_ADD_ADDR);
	cr_assert_eq(out.v[0].err, MP_E_NONE);
	cr_assert_eq(out.v[0].off, 12);
	cr_assert(out.v[0].u.add_addr.has_hmac);
	cr_assert_arr_eq(out.v[0].u.add_addr.hmac, opts + 20, 8);
	cr_assert_eq(out.v[1].subtype, MPTCP_SUB_DSS);
	cr_assert_eq(out.v[1].err, MP_E_NONE);
	cr_assert_eq(out.v[1].off, 28);
	cr_assert_eq(out.v[1].u.dss.data_ack, 3502078703ULL);

	mp_tcpopt_walk(echo, sizeof echo, sizeof echo, ACK, &out);
	cr_assert_eq(out.n, 2);
	cr_assert_eq(out.v[0].err, MP_E_NONE);
	cr_assert(out.v[0].u.add_addr.echo);
	cr_assert_not(out.v[0].u.add_addr.has_hmac);
	cr_assert_eq(out.v[0].u.add_addr.version, 1);
	cr_assert_eq(out.v[0].u.add_addr.ipver, 4);
	cr_assert_arr_eq(out.v[0].u.add_addr.addr, echo + 16, 4);
	cr_assert_eq(out.v[1].u.dss.data_ack, 17984156407873109865ULL);
}

/* tcpdump's mptcp-v0.pcap: v0 ADD_ADDR and a checksummed DSS fill all 40
 * option bytes; then a REMOVE_ADDR with a DSS. */
Test(add_addr, real_v0_with_dss)
{
	static const uint8_t opts[] = {
		1, 1,                   /* NOP NOP */
		8, 10,                  /* timestamps */
		0xff, 0xff, 0xa2, 0xf2, /* TS value */
		0xff, 0xff, 0xa1, 0xb0, /* TS echo reply */
		30,                     /* kind: MPTCP */
		8,                      /* length */
		0x34,                   /* ADD_ADDR | IPVer 4 */
		0x01,                   /* address id */
		10, 1, 2, 2,            /* address */
		30,                     /* kind: MPTCP */
		20,                     /* length */
		0x20,                   /* DSS */
		0x05,                   /* flags: M A */
		0xd5, 0x2a, 0xbe, 0xca, /* data ACK */
		0xd1, 0xb9, 0x74, 0x90, /* DSN */
		0x00, 0x00, 0x00, 0x01, /* SSN */
		0x00, 0x29,             /* data-level length */
		0x08, 0x2f,             /* checksum */
	};
	static const uint8_t rm[] = {
		1, 1,                   /* NOP NOP */
		8, 10,                  /* timestamps */
		0xff, 0xff, 0xa5, 0x36, /* TS value */
		0xff, 0xff, 0xa2, 0x4a, /* TS echo reply */
		30,                     /* kind: MPTCP */
		4,                      /* length */
		0x40,                   /* REMOVE_ADDR */
		0x00,                   /* address id 0 */
		30,                     /* kind: MPTCP */
		8,                      /* length */
		0x20,                   /* DSS */
		0x01,                   /* flags: A */
		0xd5, 0x2a, 0xcf, 0xfb, /* data ACK */
	};
	struct mp_opts out;

	cr_assert_eq(sizeof opts, 40);
	mp_tcpopt_walk(opts, sizeof opts, sizeof opts, ACK | MP_TH_PSH, &out);
	cr_assert_eq(out.n, 2);
	cr_assert_eq(out.v[0].err, MP_E_NONE);
	cr_assert_eq(out.v[0].u.add_addr.version, 0);
	cr_assert_eq(out.v[0].u.add_addr.ipver, 4);
	cr_assert_eq(out.v[0].u.add_addr.addr_id, 1);
	cr_assert_arr_eq(out.v[0].u.add_addr.addr, opts + 16, 4);
	cr_assert_not(out.v[0].u.add_addr.has_port);
	cr_assert_eq(out.v[1].err, MP_E_NONE);
	cr_assert_eq(out.v[1].u.dss.dsn, 3518592144ULL);
	cr_assert_eq(out.v[1].u.dss.dll, 41);
	cr_assert_eq(out.v[1].u.dss.checksum, 0x082f);

	mp_tcpopt_walk(rm, sizeof rm, sizeof rm, ACK, &out);
	cr_assert_eq(out.n, 2);
	cr_assert_eq(out.v[0].subtype, MPTCP_SUB_REMOVE_ADDR);
	cr_assert_eq(out.v[0].err, MP_E_NONE);
	cr_assert_eq(out.v[0].u.remove_addr.n_ids, 1);
	cr_assert_eq(out.v[0].u.remove_addr.ids[0], 0);
	cr_assert_eq(out.v[1].u.dss.data_ack, 3576352763ULL);
}

/* A bad IPVer with a sane length byte: reported, and the walk goes on. */
Test(add_addr, bad_ipver_walk_continues)
{
	static const uint8_t opts[] = {
		30,                     /* kind: MPTCP */
		8,                      /* length */
		0x35,                   /* ADD_ADDR | IPVer 5 */
		0x01,                   /* address id */
		10, 0, 0, 1,            /* address */
		30,                     /* kind: MPTCP */
		8,                      /* length */
		0x20,                   /* DSS */
		0x01,                   /* flags: A */
		0x00, 0x00, 0x00, 0x2a, /* data ACK */
	};
	struct mp_opts out;

	mp_tcpopt_walk(opts, sizeof opts, sizeof opts, ACK, &out);
	cr_assert_eq(out.n, 2);
	cr_assert_eq(out.v[0].err, MP_E_ADD_ADDR_BAD_IPVER);
	cr_assert_str_eq(mp_err_name(out.v[0].err), "add_addr.bad_ipver");
	cr_assert_eq(out.v[1].err, MP_E_NONE);
	cr_assert_eq(out.v[1].u.dss.data_ack, 42);
}

Test(add_addr, truncated_every_byte)
{
	uint8_t buf[30];

	memcpy(buf, tpl, sizeof buf);
	buf[1] = 30;
	for (size_t cap = 1; cap < sizeof buf; cap++) {
		struct mp_opts out;
		mp_tcpopt_walk(buf, cap, sizeof buf, ACK, &out);
		cr_assert_eq(out.n, 1, "cap %zu", cap);
		cr_assert_eq(out.v[0].err, MP_E_TRUNCATED, "cap %zu", cap);
		cr_assert_eq(out.v[0].caplen, cap);
		cr_assert_eq(out.v[0].subtype,
			     cap >= 3 ? MPTCP_SUB_ADD_ADDR : MPTCP_SUB_UNKNOWN);
	}
}

Test(add_addr, framing)
{
	uint8_t buf[8];
	struct mp_opts out;

	memcpy(buf, tpl, sizeof buf);
	buf[2] = 0x34;
	buf[1] = 1;
	mp_tcpopt_walk(buf, sizeof buf, sizeof buf, ACK, &out);
	cr_assert_eq(out.v[0].err, MP_E_TCP_OPT_LEN_SHORT);
	buf[1] = 8;
	mp_tcpopt_walk(buf, sizeof buf, 6, ACK, &out);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.v[0].err, MP_E_TCP_OPT_LEN_OVERRUN);
	cr_assert_eq(out.v[0].subtype, MPTCP_SUB_ADD_ADDR);
}

/* REMOVE_ADDR: every length from 0 to 255 straight into the parser (the
 * walker never passes more than 40), checking each id. */
static void check_remove(uint8_t len)
{
	uint8_t buf[256];
	bool ok = len >= 4 && len <= 40;

	buf[0] = 30;   /* kind */
	buf[1] = len;  /* length */
	buf[2] = 0x4f; /* subtype 4 | reserved bits set */
	for (size_t i = 3; i < sizeof buf; i++)
		buf[i] = (uint8_t)(0x60 + i); /* address ids */

	struct mp_remove_addr o;
	memset(&o, 0xa5, sizeof o);
	struct mp_rd r = mp_rd_init(buf + 2, len >= 2 ? (size_t)len - 2 : 0);
	enum mp_err e = mp_remove_addr_parse(&r, len, ACK, &o);
	cr_assert_eq(e, ok ? MP_E_NONE : MP_E_REMOVE_ADDR_BAD_LEN, "len %u", len);
	cr_assert_not(r.err);

	struct mp_remove_addr x;
	memset(&x, 0, sizeof x);
	if (ok) {
		cr_assert_eq(r.p, buf + len, "len %u: not all read", len);
		x.n_ids = (uint8_t)(len - 3);
		memcpy(x.ids, buf + 3, x.n_ids);
	} else {
		cr_assert_eq(r.p, buf + 2, "len %u: read before the check", len);
	}
	cr_assert_eq(o.n_ids, x.n_ids, "len %u", len);
	cr_assert_arr_eq(o.ids, x.ids, sizeof x.ids, "len %u", len);
}

ParameterizedTestParameters(remove_addr, lengths)
{
	/* The shortest, a typical and the longest legal length. */
	static uint8_t lens[] = { 4, 6, 40 };
	return cr_make_param_array(uint8_t, lens, NELEM(lens));
}

ParameterizedTest(uint8_t *len, remove_addr, lengths)
{
	for (int d = -1; d <= 1; d++)
		check_remove((uint8_t)(*len + d));
}

Test(remove_addr, all_lengths)
{
	for (unsigned len = 0; len <= 255; len++)
		check_remove((uint8_t)len);
}

Test(remove_addr, walk)
{
	static const uint8_t opts[] = {
		30,         /* kind: MPTCP */
		6,          /* length */
		0x40,       /* REMOVE_ADDR */
		3, 7, 250,  /* address ids */
		30,         /* kind: MPTCP */
		3,          /* length: no id */
		0x40,       /* REMOVE_ADDR */
		1,          /* NOP */
		30,         /* kind: MPTCP */
		4,          /* length */
		0x40,       /* REMOVE_ADDR */
		9,          /* address id, beyond the capture */
	};
	struct mp_opts out;

	mp_tcpopt_walk(opts, sizeof opts, sizeof opts, ACK, &out);
	cr_assert_eq(out.n, 3);
	cr_assert_eq(out.v[0].err, MP_E_NONE);
	cr_assert_eq(out.v[0].u.remove_addr.n_ids, 3);
	cr_assert_eq(out.v[0].u.remove_addr.ids[0], 3);
	cr_assert_eq(out.v[0].u.remove_addr.ids[1], 7);
	cr_assert_eq(out.v[0].u.remove_addr.ids[2], 250);
	cr_assert_eq(out.v[1].err, MP_E_REMOVE_ADDR_BAD_LEN);
	cr_assert_str_eq(mp_err_name(out.v[1].err), "remove_addr.bad_len");
	cr_assert_eq(out.v[2].err, MP_E_NONE);
	cr_assert_eq(out.v[2].u.remove_addr.ids[0], 9);

	mp_tcpopt_walk(opts, sizeof opts - 1, sizeof opts, ACK, &out);
	cr_assert_eq(out.n, 3);
	cr_assert_eq(out.v[2].err, MP_E_TRUNCATED);
	cr_assert_eq(out.v[2].subtype, MPTCP_SUB_REMOVE_ADDR);
	cr_assert_eq(out.v[2].caplen, 3);
}
