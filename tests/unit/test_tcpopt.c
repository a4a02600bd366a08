/* SPDX-License-Identifier: BSD-2-Clause */
/* test_tcpopt.c - unit tests for the TCP option walker (RFC 9293 §3.1 option
 * framing, RFC 8684 §3 kind 30), mp_opt_parse and the name tables. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "mpana/opt.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define ACK MP_TH_ACK

/* Walks `p` with `out` poisoned first, so stale fields would show. */
static void walk(const uint8_t *p, size_t caplen, size_t hdr_len, struct mp_opts *out)
{
	memset(out, 0xa5, sizeof *out);
	mp_tcpopt_walk(p, caplen, hdr_len, ACK, out);
}

/* The options of a real v1 SYN (tcpdump's mptcp-v1.pcap). */
Test(tcpopt, real_syn)
{
	static const uint8_t opts[] = {
		2, 4, 0x05, 0xb4,       /* MSS 1460 */
		4, 2,                   /* SACK permitted */
		8, 10,                  /* timestamps */
		0x1b, 0xaf, 0x9e, 0xa1, /* TS value */
		0x00, 0x00, 0x00, 0x00, /* TS echo reply */
		1,                      /* NOP */
		3, 3, 8,                /* window scale 8 */
		30,                     /* kind: MPTCP */
		4,                      /* length */
		0x01,                   /* MP_CAPABLE | version 1 */
		0x01,                   /* flags: H */
	};
	struct mp_opts out;

	memset(&out, 0xa5, sizeof out);
	mp_tcpopt_walk(opts, sizeof opts, sizeof opts, MP_TH_SYN, &out);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.tcp_err, MP_E_NONE);
	cr_assert_eq(out.tcp_err_off, 0);
	cr_assert_eq(out.v[0].subtype, MPTCP_SUB_CAPABLE);
	cr_assert_eq(out.v[0].err, MP_E_NONE);
	cr_assert_eq(out.v[0].off, 20);
	cr_assert_eq(out.v[0].len, 4);
	cr_assert_eq(out.v[0].caplen, 4);
	cr_assert_eq(out.v[0].raw, opts + 20);
	cr_assert_eq(out.v[0].u.capable.version, 1);
	cr_assert_eq(out.v[0].u.capable.flags, MPC_H);
}

Test(tcpopt, eol_stops)
{
	static const uint8_t opts[] = {
		30, 3, 0x51,            /* MPTCP MP_PRIO | B */
		0,                      /* EOL */
		30, 8, 0x20, 0x01,      /* MPTCP DSS after EOL: ignored */
		0, 0, 0, 1,             /* data ACK */
	};
	struct mp_opts out;

	walk(opts, sizeof opts, sizeof opts, &out);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.v[0].subtype, MPTCP_SUB_PRIO);
	cr_assert_eq(out.tcp_err, MP_E_NONE);

	walk(opts + 3, sizeof opts - 3, sizeof opts - 3, &out);
	cr_assert_eq(out.n, 0);
	cr_assert_eq(out.tcp_err, MP_E_NONE);
}

Test(tcpopt, empty)
{
	static const uint8_t opts[] = { 30, 3, 0x51 };
	struct mp_opts out;

	walk(opts, sizeof opts, 0, &out);
	cr_assert_eq(out.n, 0);
	cr_assert_eq(out.tcp_err, MP_E_NONE);
	walk(opts, 0, sizeof opts, &out);
	cr_assert_eq(out.n, 0);
	cr_assert_eq(out.tcp_err, MP_E_NONE);
}

/* Non-MPTCP options of every shape are skipped; only kind 30 is kept. */
Test(tcpopt, others_skipped)
{
	static const uint8_t opts[] = {
		1, 1,                   /* NOP NOP */
		5, 10,                  /* SACK, one block */
		0, 0, 0, 1, 0, 0, 0, 2, /* left and right edges */
		30, 4, 0x81, 0x02,      /* MPTCP MP_TCPRST | T, reason 2 */
		253, 4, 0x12, 0x34,     /* RFC 6994 experimental */
		2, 4, 0x05, 0xb4,       /* MSS */
		30, 8, 0x20, 0x01,      /* MPTCP DSS, flags A */
		0x00, 0x00, 0x00, 0x05, /* data ACK */
		4, 2,                   /* SACK permitted (odd place, still framed) */
		254, 2,                 /* experimental, empty */
		1, 1, 1, 0,             /* NOP NOP NOP EOL */
	};
	struct mp_opts out;

	cr_assert_eq(sizeof opts, 40);
	walk(opts, sizeof opts, sizeof opts, &out);
	cr_assert_eq(out.n, 2);
	cr_assert_eq(out.tcp_err, MP_E_NONE);
	cr_assert_eq(out.v[0].off, 12);
	cr_assert_eq(out.v[0].subtype, MPTCP_SUB_TCPRST);
	cr_assert_eq(out.v[0].u.tcprst.reason, 2);
	cr_assert_eq(out.v[1].off, 24);
	cr_assert_eq(out.v[1].u.dss.data_ack, 5);
}

/* Bytes captured past the options area (payload) are not options. */
Test(tcpopt, stops_at_hdr_len)
{
	static const uint8_t pkt[] = {
		30, 3, 0x50,            /* MPTCP MP_PRIO */
		1,                      /* NOP: end of the 4-byte options area */
		30, 3, 0x51,            /* payload that looks like an option */
		0,                      /* payload */
	};
	struct mp_opts out;

	walk(pkt, sizeof pkt, 4, &out);
	cr_assert_eq(out.n, 1);
	cr_assert_not(out.v[0].u.prio.backup);
}

/* The options of nearly every Linux data segment: NOP, NOP, timestamps,
 * then a DSS. The walker steps over the first 12 bytes at once when they
 * are all there (tcpopt.c: skip_nop_nop_timestamps); every cut and a
 * header too short for the timestamps must still be framed one by one. */
Test(tcpopt, nop_nop_timestamps)
{
	static const uint8_t opts[] = {
		1, 1,                   /* NOP, NOP */
		8, 10,                  /* timestamps */
		0, 0, 0, 1, 0, 0, 0, 2, /* TS value, echo reply */
		30, 20, 0x20, 0x05,     /* DSS: A, M (4-byte DSN and data ACK) */
		0, 0, 0, 7,             /* data ACK */
		0, 0, 0, 9,             /* DSN */
		0, 0, 0, 1,             /* SSN */
		0, 100,                 /* data-level length */
		1, 1,                   /* NOP, NOP: pad to 32 */
	};
	struct mp_opts out;

	walk(opts, sizeof opts, sizeof opts, &out);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.tcp_err, MP_E_NONE);
	cr_assert_eq(out.v[0].off, 12);
	cr_assert_eq(out.v[0].raw, opts + 12);
	cr_assert_eq(out.v[0].err, MP_E_NONE);
	cr_assert_eq(out.v[0].u.dss.data_ack, 7);
	cr_assert_eq(out.v[0].u.dss.dsn, 9);
	cr_assert_eq(out.v[0].u.dss.dll, 100);

	for (size_t cap = 0; cap < sizeof opts; cap++) {
		walk(opts, cap, sizeof opts, &out);
		cr_assert_eq(out.tcp_err, MP_E_NONE, "caplen %zu", cap);
		if (cap <= 12) { /* the capture ends in or right after the TS */
			cr_assert_eq(out.n, 0, "caplen %zu", cap);
			continue;
		}
		cr_assert_eq(out.n, 1, "caplen %zu", cap);
		cr_assert_eq(out.v[0].off, 12, "caplen %zu", cap);
		cr_assert_eq(out.v[0].caplen, cap - 12 < 20 ? cap - 12 : 20,
			     "caplen %zu", cap);
		cr_assert_eq(out.v[0].err, cap >= 32 ? MP_E_NONE : MP_E_TRUNCATED,
			     "caplen %zu", cap);
	}

	/* options area of 10 bytes: the timestamps overrun it */
	walk(opts, sizeof opts, 10, &out);
	cr_assert_eq(out.n, 0);
	cr_assert_eq(out.tcp_err, MP_E_TCP_OPT_LEN_OVERRUN);
	cr_assert_eq(out.tcp_err_off, 2);
}

struct framing_case {
	const char *name;
	uint8_t opts[12];
	uint8_t caplen;
	uint8_t hdr_len;
	uint8_t n;        /* MPTCP options expected */
	uint8_t last_err; /* error of the last MPTCP option */
	uint8_t last_off;
	uint8_t last_len;
	uint8_t last_caplen;
	uint8_t last_sub;
	uint8_t tcp_err;  /* framing error of a non-MPTCP option */
	uint8_t tcp_err_off;
};

ParameterizedTestParameters(tcpopt, framing)
{
	static struct framing_case cases[] = {
		/* Non-MPTCP framing errors go to tcp_err and stop the walk. */
		{ "mss_len0", { 30, 3, 0x50, 2, 0, 5, 0xb4, 30, 3, 0x51 }, 10, 10,
		  1, MP_E_NONE, 0, 3, 3, MPTCP_SUB_PRIO, MP_E_TCP_OPT_LEN_SHORT, 3 },
		{ "mss_len1", { 1, 2, 1, 5, 0xb4, 30, 3, 0x51 }, 8, 8,
		  0, 0, 0, 0, 0, 0, MP_E_TCP_OPT_LEN_SHORT, 1 },
		{ "ts_overrun", { 1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0 }, 12, 8,
		  0, 0, 0, 0, 0, 0, MP_E_TCP_OPT_LEN_OVERRUN, 2 },
		{ "kind_last_byte", { 30, 3, 0x50, 2 }, 4, 4,
		  1, MP_E_NONE, 0, 3, 3, MPTCP_SUB_PRIO, MP_E_TCP_OPT_LEN_OVERRUN, 3 },
		/* A non-MPTCP option cut by the snaplen is not an error. */
		{ "mss_kind_cut", { 30, 3, 0x50, 2, 4, 5, 0xb4, 0 }, 4, 8,
		  1, MP_E_NONE, 0, 3, 3, MPTCP_SUB_PRIO, MP_E_NONE, 0 },
		{ "ts_body_cut", { 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 30, 3 }, 6, 12,
		  0, 0, 0, 0, 0, 0, MP_E_NONE, 0 },
		/* The same errors on kind 30 are recorded as MPTCP options. */
		{ "mptcp_len0", { 1, 30, 0, 0x50 }, 4, 4,
		  1, MP_E_TCP_OPT_LEN_SHORT, 1, 0, 2, MPTCP_SUB_UNKNOWN, MP_E_NONE, 0 },
		{ "mptcp_len1", { 30, 1, 0x50 }, 3, 3,
		  1, MP_E_TCP_OPT_LEN_SHORT, 0, 1, 2, MPTCP_SUB_UNKNOWN, MP_E_NONE, 0 },
		{ "mptcp_overrun", { 1, 1, 30, 8, 0x20, 0x01, 0, 0 }, 8, 8,
		  1, MP_E_TCP_OPT_LEN_OVERRUN, 2, 8, 6, MPTCP_SUB_DSS, MP_E_NONE, 0 },
		{ "mptcp_overrun_len3", { 1, 30, 3 }, 3, 3,
		  1, MP_E_TCP_OPT_LEN_OVERRUN, 1, 3, 2, MPTCP_SUB_UNKNOWN, MP_E_NONE, 0 },
		{ "mptcp_kind_last_byte", { 1, 1, 1, 30 }, 4, 4,
		  1, MP_E_TCP_OPT_LEN_OVERRUN, 3, 0, 1, MPTCP_SUB_UNKNOWN, MP_E_NONE, 0 },
		{ "mptcp_len_cut", { 1, 1, 1, 30, 4, 0x80, 0 }, 4, 8,
		  1, MP_E_TRUNCATED, 3, 0, 1, MPTCP_SUB_UNKNOWN, MP_E_NONE, 0 },
		{ "mptcp_subtype_cut", { 1, 30, 4, 0x80, 0 }, 3, 8,
		  1, MP_E_TRUNCATED, 1, 4, 2, MPTCP_SUB_UNKNOWN, MP_E_NONE, 0 },
		{ "mptcp_body_cut", { 1, 30, 4, 0x80, 0, 1, 1, 1 }, 4, 8,
		  1, MP_E_TRUNCATED, 1, 4, 3, MPTCP_SUB_TCPRST, MP_E_NONE, 0 },
		/* Sane framing but too short for a subtype: the walk goes on. */
		{ "mptcp_len2", { 30, 2, 30, 3, 0x51, 0 }, 6, 6,
		  2, MP_E_NONE, 2, 3, 3, MPTCP_SUB_PRIO, MP_E_NONE, 0 },
	};
	return cr_make_param_array(struct framing_case, cases, NELEM(cases));
}

ParameterizedTest(struct framing_case *c, tcpopt, framing)
{
	struct mp_opts out;

	walk(c->opts, c->caplen, c->hdr_len, &out);
	cr_assert_eq(out.n, c->n, "%s: n %u", c->name, out.n);
	cr_assert_eq(out.tcp_err, c->tcp_err, "%s: tcp_err %s", c->name,
		     mp_err_name(out.tcp_err));
	cr_assert_eq(out.tcp_err_off, c->tcp_err_off, "%s", c->name);
	if (c->n == 0)
		return;
	const struct mp_opt *o = &out.v[out.n - 1];
	cr_assert_eq(o->err, c->last_err, "%s: err %s", c->name, mp_err_name(o->err));
	cr_assert_eq(o->off, c->last_off, "%s", c->name);
	cr_assert_eq(o->len, c->last_len, "%s", c->name);
	cr_assert_eq(o->caplen, c->last_caplen, "%s", c->name);
	cr_assert_eq(o->subtype, c->last_sub, "%s", c->name);
	cr_assert_eq(o->raw, c->opts + c->last_off, "%s", c->name);
}

Test(tcpopt, mptcp_len2_first)
{
	static const uint8_t opts[] = {
		30, 2,       /* MPTCP, length 2: no subtype */
		30, 3, 0x51, /* MPTCP MP_PRIO | B */
		0,           /* EOL */
	};
	struct mp_opts out;

	walk(opts, sizeof opts, sizeof opts, &out);
	cr_assert_eq(out.n, 2);
	cr_assert_eq(out.v[0].err, MP_E_MPTCP_LEN_SHORT);
	cr_assert_eq(out.v[0].subtype, MPTCP_SUB_UNKNOWN);
	cr_assert_str_eq(mp_err_name(out.v[0].err), "mptcp.len_short");
	cr_assert_eq(out.v[1].err, MP_E_NONE);
	cr_assert(out.v[1].u.prio.backup);
}

/* Subtypes 9..15 are reported as unknown, not malformed, with a clean
 * union. */
Test(tcpopt, unknown_subtypes)
{
	static const uint8_t zero[sizeof(((struct mp_opt *)0)->u)];

	for (uint8_t sub = 9; sub < 16; sub++) {
		const uint8_t opts[] = {
			30,                    /* kind: MPTCP */
			6,                     /* length */
			(uint8_t)(sub << 4),   /* subtype */
			0xff, 0xff, 0xff,      /* whatever it carries */
		};
		struct mp_opts out;

		walk(opts, sizeof opts, sizeof opts, &out);
		cr_assert_eq(out.n, 1);
		cr_assert_eq(out.v[0].subtype, sub);
		cr_assert_eq(out.v[0].err, MP_E_NONE);
		cr_assert_str_eq(mp_subtype_name(sub), "unknown");
		cr_assert_arr_eq(&out.v[0].u, zero, sizeof zero, "subtype %u", sub);
	}
}

/* An unknown subtype cut by the snaplen is a truncation, not a clean
 * unknown option. */
Test(tcpopt, unknown_subtype_truncated)
{
	const uint8_t opts[] = {
		30,          /* kind: MPTCP */
		6,           /* length */
		0xc0,        /* subtype 12 */
		0xff, 0xff,  /* the capture ends one byte short */
	};
	struct mp_opts out;

	walk(opts, sizeof opts, sizeof opts + 1, &out);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.v[0].subtype, 12);
	cr_assert_eq(out.v[0].err, MP_E_TRUNCATED);
}

/* 40 option bytes hold at most 13 MPTCP options; a bigger (bogus) header
 * fills at most MP_OPTS_MAX entries and never more. */
Test(tcpopt, many_options)
{
	uint8_t opts[60];
	struct mp_opts out;

	for (size_t i = 0; i < 20; i++) {
		opts[3 * i] = 30;                  /* kind: MPTCP */
		opts[3 * i + 1] = 3;               /* length */
		opts[3 * i + 2] = (uint8_t)(0x50 | (i & 1)); /* MP_PRIO, B alternating */
	}
	walk(opts, 39, 39, &out);
	cr_assert_eq(out.n, 13);
	for (uint8_t i = 0; i < out.n; i++) {
		cr_assert_eq(out.v[i].off, 3 * i);
		cr_assert_eq(out.v[i].u.prio.backup, i & 1);
	}
	walk(opts, sizeof opts, sizeof opts, &out);
	cr_assert_eq(out.n, MP_OPTS_MAX);
}

/* mp_opt_parse on its own: the checks it makes before dispatching. */
Test(tcpopt, opt_parse)
{
	static const uint8_t body[] = { 0x51 };
	struct mp_opt o;
	struct mp_rd r;

	memset(&o, 0xa5, sizeof o);
	r = mp_rd_init(body, 1);
	cr_assert_eq(mp_opt_parse(&r, 2, ACK, &o), MP_E_MPTCP_LEN_SHORT);
	cr_assert_eq(o.subtype, MPTCP_SUB_UNKNOWN);
	cr_assert_eq(o.err, MP_E_MPTCP_LEN_SHORT);

	r = mp_rd_init(body, 0);
	cr_assert_eq(mp_opt_parse(&r, 3, ACK, &o), MP_E_TRUNCATED);
	cr_assert_eq(o.subtype, MPTCP_SUB_UNKNOWN);

	r = mp_rd_init(body, 1);
	cr_assert_eq(mp_opt_parse(&r, 3, ACK, &o), MP_E_NONE);
	cr_assert_eq(o.subtype, MPTCP_SUB_PRIO);
	cr_assert(o.u.prio.backup);

	/* A length error outranks truncation. */
	r = mp_rd_init(body, 1);
	cr_assert_eq(mp_opt_parse(&r, 9, ACK, &o), MP_E_PRIO_BAD_LEN);
	r = mp_rd_init(body, 1);
	cr_assert_eq(mp_opt_parse(&r, 4, ACK, &o), MP_E_TRUNCATED);
	cr_assert_eq(o.subtype, MPTCP_SUB_PRIO);
}

Test(names, errors)
{
	static const struct { enum mp_err e; const char *name; } t[] = {
		{ MP_E_NONE, "" },
		{ MP_E_TCP_OPT_LEN_SHORT, "tcp.opt.len_short" },
		{ MP_E_TCP_OPT_LEN_OVERRUN, "tcp.opt.len_overrun" },
		{ MP_E_TRUNCATED, "mptcp.truncated" },
		{ MP_E_MPTCP_LEN_SHORT, "mptcp.len_short" },
		{ MP_E_CAPABLE_BAD_LEN, "mp_capable.bad_len" },
		{ MP_E_CAPABLE_BAD_VERSION, "mp_capable.bad_version" },
		{ MP_E_JOIN_BAD_LEN, "mp_join.bad_len" },
		{ MP_E_DSS_BAD_LEN, "dss.bad_len" },
		{ MP_E_ADD_ADDR_BAD_LEN, "add_addr.bad_len" },
		{ MP_E_ADD_ADDR_BAD_IPVER, "add_addr.bad_ipver" },
		{ MP_E_REMOVE_ADDR_BAD_LEN, "remove_addr.bad_len" },
		{ MP_E_PRIO_BAD_LEN, "mp_prio.bad_len" },
		{ MP_E_FAIL_BAD_LEN, "mp_fail.bad_len" },
		{ MP_E_FASTCLOSE_BAD_LEN, "mp_fastclose.bad_len" },
		{ MP_E_TCPRST_BAD_LEN, "mp_tcprst.bad_len" },
	};

	cr_assert_eq(NELEM(t), MP_E__COUNT, "a new code needs a name and a test");
	for (size_t i = 0; i < NELEM(t); i++)
		cr_assert_str_eq(mp_err_name(t[i].e), t[i].name);
	cr_assert_str_eq(mp_err_name(MP_E__COUNT), "unknown_error");
	cr_assert_str_eq(mp_err_name((enum mp_err)255), "unknown_error");
}

Test(names, subtypes)
{
	static const char *const names[] = {
		"mp_capable", "mp_join", "dss", "add_addr", "remove_addr",
		"mp_prio", "mp_fail", "mp_fastclose", "mp_tcprst",
	};

	for (uint8_t s = 0; s < NELEM(names); s++)
		cr_assert_str_eq(mp_subtype_name(s), names[s]);
	for (unsigned s = NELEM(names); s <= 255; s++)
		cr_assert_str_eq(mp_subtype_name((uint8_t)s), "unknown", "subtype %u", s);
}

Test(names, tcprst_reasons)
{
	static const char *const names[] = {
		"unspecified", "mptcp_specific", "lack_of_resources",
		"administratively_prohibited", "too_much_outstanding_data",
		"unacceptable_performance", "middlebox_interference",
	};

	for (uint8_t i = 0; i < NELEM(names); i++)
		cr_assert_str_eq(mp_tcprst_reason_name(i), names[i]);
	for (unsigned i = NELEM(names); i <= 255; i++)
		cr_assert_str_eq(mp_tcprst_reason_name((uint8_t)i), "unknown");
}
