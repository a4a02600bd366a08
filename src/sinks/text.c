/* SPDX-License-Identifier: BSD-2-Clause */
/* out_text.c - tcpdump-like text output: one line per MPTCP packet, then
 * one block per connection (src/sinks/conn_records.c), then a summary. Times are UTC;
 * values are printed as on the wire (no relative sequence numbers), so lines
 * can be compared with tcpdump -nn -S. RFC 8684 §3. */
#include <stdlib.h>

#include "mpana/analyzer.h"
#include "mpana/crypto.h"
#include "mpana/failover.h"
#include "mpana/joins.h"
#include "mpana/stall.h"
#include "mpana/merge.h"
#include "mpana/out.h"
#include "mpana/report.h"

static void flag_letters(struct mp_out *o, uint8_t flags, const char *letters,
			 unsigned nbits)
{
	mp_out_ch(o, '[');
	for (unsigned i = 0; i < nbits; i++)
		if (flags & (1u << (nbits - 1 - i)))
			mp_out_ch(o, letters[i]);
	mp_out_ch(o, ']');
}

static void text_capable(struct mp_out *o, const struct mp_capable *c)
{
	mp_out_str(o, " v");
	mp_out_u64(o, c->version);
	mp_out_str(o, " flags ");
	flag_letters(o, c->flags, "ABCDEFGH", 8);
	if (c->has_sender_key) {
		mp_out_str(o, " skey ");
		mp_out_hex(o, c->sender_key, 16);
	}
	if (c->has_receiver_key) {
		mp_out_str(o, " rkey ");
		mp_out_hex(o, c->receiver_key, 16);
	}
	if (c->has_data_len) {
		mp_out_str(o, " dlen ");
		mp_out_u64(o, c->data_len);
	}
	if (c->has_checksum) {
		mp_out_str(o, " csum ");
		mp_out_hex(o, c->checksum, 4);
	}
}

static void text_join(struct mp_out *o, const struct mp_join *j)
{
	static const char *const phases[] = { " syn", " synack", " ack" };

	mp_out_str(o, phases[j->phase < 3 ? j->phase : 2]);
	if (j->phase != MP_JOIN_ACK) {
		if (j->backup)
			mp_out_str(o, " backup");
		mp_out_str(o, " id ");
		mp_out_u64(o, j->addr_id);
	}
	if (j->phase == MP_JOIN_SYN) {
		mp_out_str(o, " token ");
		mp_out_hex(o, j->token, 8);
	}
	if (j->hmac_len) {
		mp_out_str(o, " hmac ");
		mp_out_hexbytes(o, j->hmac, j->hmac_len);
	}
	if (j->phase != MP_JOIN_ACK) {
		mp_out_str(o, " nonce ");
		mp_out_hex(o, j->nonce, 8);
	}
}

static void text_dss(struct mp_out *o, const struct mp_dss *d)
{
	if (d->flags & DSS_A) {
		mp_out_str(o, (d->flags & DSS_a) ? " ack64 " : " ack ");
		mp_out_u64(o, d->data_ack);
	}
	if (d->flags & DSS_M) {
		mp_out_str(o, (d->flags & DSS_m) ? " dsn64 " : " dsn ");
		mp_out_u64(o, d->dsn);
		mp_out_str(o, " ssn ");
		mp_out_u64(o, d->ssn);
		mp_out_str(o, " dll ");
		mp_out_u64(o, d->dll);
		if (d->dll == 0)
			mp_out_str(o, " infinite");
		if (d->has_checksum) {
			mp_out_str(o, " csum ");
			mp_out_hex(o, d->checksum, 4);
		}
	}
	if (d->flags & DSS_F)
		mp_out_str(o, " fin");
}

static void text_add_addr(struct mp_out *o, const struct mp_add_addr *a)
{
	mp_out_str(o, a->version ? " v1" : " v0");
	if (a->echo)
		mp_out_str(o, " echo");
	mp_out_str(o, " id ");
	mp_out_u64(o, a->addr_id);
	mp_out_ch(o, ' ');
	mp_out_addr(o, a->ipver, a->addr);
	if (a->has_port) {
		mp_out_str(o, " port ");
		mp_out_u64(o, a->port);
	}
	if (a->has_hmac) {
		mp_out_str(o, " hmac ");
		mp_out_hexbytes(o, a->hmac, sizeof a->hmac);
	}
}

/* The engine's HMAC verdict after an HMAC-bearing option. */
static void text_hmac(struct mp_out *o, const struct mp_opt *opt, int8_t ok,
		      uint8_t side)
{
	bool has = (opt->subtype == MPTCP_SUB_JOIN && opt->u.join.hmac_len) ||
		   (opt->subtype == MPTCP_SUB_ADD_ADDR && opt->u.add_addr.has_hmac);

	if (!has || opt->err != MP_E_NONE)
		return;
	if (ok == MP_OK_TRUE)
		mp_out_str(o, opt->subtype == MPTCP_SUB_ADD_ADDR
				      ? (side == MP_HMAC_LEFT ? " (hmac ok, left)" : " (hmac ok, right)")
				      : " (hmac ok)");
	else if (ok == MP_OK_FALSE)
		mp_out_str(o, " (hmac BAD)");
}

static void text_option(struct mp_out *o, const struct mp_opt *opt)
{
	mp_out_str(o, mp_subtype_name(opt->subtype));
	if (opt->err != MP_E_NONE) {
		mp_out_str(o, " malformed ");
		mp_out_str(o, mp_err_name((enum mp_err)opt->err));
		mp_out_str(o, " len ");
		mp_out_u64(o, opt->len);
		return;
	}
	switch (opt->subtype) {
	case MPTCP_SUB_CAPABLE:
		text_capable(o, &opt->u.capable);
		break;
	case MPTCP_SUB_JOIN:
		text_join(o, &opt->u.join);
		break;
	case MPTCP_SUB_DSS:
		text_dss(o, &opt->u.dss);
		break;
	case MPTCP_SUB_ADD_ADDR:
		text_add_addr(o, &opt->u.add_addr);
		break;
	case MPTCP_SUB_REMOVE_ADDR:
		mp_out_str(o, " ids ");
		for (unsigned i = 0; i < opt->u.remove_addr.n_ids; i++) {
			if (i)
				mp_out_ch(o, ',');
			mp_out_u64(o, opt->u.remove_addr.ids[i]);
		}
		break;
	case MPTCP_SUB_PRIO:
		mp_out_str(o, opt->u.prio.backup ? " backup" : " nobackup");
		if (opt->u.prio.has_addr_id) {
			mp_out_str(o, " id ");
			mp_out_u64(o, opt->u.prio.addr_id);
		}
		break;
	case MPTCP_SUB_FAIL:
		mp_out_str(o, " dsn ");
		mp_out_u64(o, opt->u.fail.dsn);
		break;
	case MPTCP_SUB_FASTCLOSE:
		mp_out_str(o, " rkey ");
		mp_out_hex(o, opt->u.fastclose.receiver_key, 16);
		break;
	case MPTCP_SUB_TCPRST:
		mp_out_str(o, " flags ");
		flag_letters(o, opt->u.tcprst.flags, "UVWT", 4);
		mp_out_str(o, " reason ");
		mp_out_u64(o, opt->u.tcprst.reason);
		mp_out_ch(o, ' ');
		mp_out_str(o, mp_tcprst_reason_name(opt->u.tcprst.reason));
		break;
	default:
		mp_out_str(o, " subtype ");
		mp_out_u64(o, opt->subtype);
		mp_out_str(o, " len ");
		mp_out_u64(o, opt->len);
		break;
	}
}

/* v as exactly `digits` decimal digits, zero-padded. */
static void out_padded(struct mp_out *o, uint64_t v, unsigned digits)
{
	char tmp[20];

	for (unsigned i = digits; i-- > 0; v /= 10)
		tmp[i] = (char)('0' + v % 10);
	mp_out_mem(o, tmp, digits);
}

/* The packet line's timestamp and the space after it, in one of
 * tcpdump(1)'s -t forms. Times are UTC; fractions have 6 digits
 * (truncated, as libpcap's microsecond precision), 9 with --nano. Deltas
 * are taken between times at that precision, as tcpdump does, and print
 * as a sign (' ' or '-') and hours:minutes:seconds (hours do not wrap at
 * 24). The default and -tttt give the same output. */
static void text_ts(struct mp_out *o, struct mp_text_fmt *fmt, uint64_t ts_ns)
{
	unsigned digits = fmt && fmt->nano ? 9 : 6;
	uint64_t t, d, unit = digits == 9 ? 1 : 1000;

	switch (fmt ? fmt->ts : MP_TS_DATE) {
	case MP_TS_NONE:
		return;
	case MP_TS_EPOCH:
		mp_out_ts(o, ts_ns, digits);
		break;
	case MP_TS_DELTA_PREV:
	case MP_TS_DELTA_FIRST:
		t = ts_ns - ts_ns % unit;
		if (!fmt->ref_set) {
			fmt->ref_ns = t;
			fmt->ref_set = true;
		}
		mp_out_ch(o, t < fmt->ref_ns ? '-' : ' ');
		d = t < fmt->ref_ns ? fmt->ref_ns - t : t - fmt->ref_ns;
		if (fmt->ts == MP_TS_DELTA_PREV)
			fmt->ref_ns = t;
		if (d / 3600000000000u < 100)
			out_padded(o, d / 3600000000000u, 2);
		else
			mp_out_u64(o, d / 3600000000000u);
		mp_out_ch(o, ':');
		out_padded(o, d / 60000000000u % 60, 2);
		mp_out_ch(o, ':');
		out_padded(o, d / 1000000000u % 60, 2);
		mp_out_ch(o, '.');
		out_padded(o, d % 1000000000u / unit, digits);
		break;
	case MP_TS_DATE:
	default:
		mp_out_utc(o, ts_ns); /* 6 digits */
		if (digits == 9)
			out_padded(o, ts_ns % 1000, 3);
		break;
	}
	mp_out_ch(o, ' ');
}

static void text_packet(struct mp_sink *s, const struct mp_frame *f,
			const struct mp_pkt *p, const struct mp_pkt_ann *ann)
{
	struct mp_out *o = s->out;

	mp_out_reserve(o);
	mp_out_frame_text(o, f->num);
	mp_out_ch(o, ' ');
	text_ts(o, s->text_fmt, f->ts_ns);
	mp_out_str(o, p->family == 6 ? "IP6 " : "IP ");
	mp_out_addr(o, p->family, p->src);
	mp_out_ch(o, '.');
	mp_out_u64(o, p->sport);
	mp_out_str(o, " > ");
	mp_out_addr(o, p->family, p->dst);
	mp_out_ch(o, '.');
	mp_out_u64(o, p->dport);
	mp_out_str(o, ": Flags [");
	mp_out_tcp_flags(o, p->flags);
	mp_out_str(o, "], seq ");
	mp_out_u64(o, p->seq);
	if (p->flags & MP_TH_ACK) {
		mp_out_str(o, ", ack ");
		mp_out_u64(o, p->ack);
	}
	mp_out_str(o, ", win ");
	mp_out_u64(o, p->win);
	mp_out_str(o, ", length ");
	mp_out_u64(o, p->payload_len);
	if (p->opts.n) /* none: a packet printed for -v */
		mp_out_str(o, ", mptcp ");
	for (unsigned i = 0; i < p->opts.n; i++) {
		if (i)
			mp_out_str(o, "; ");
		text_option(o, &p->opts.v[i]);
		if (ann)
			text_hmac(o, &p->opts.v[i], ann->hmac_ok[i], ann->hmac_side[i]);
	}
	if (ann && ann->subflow) {
		mp_out_str(o, " [conn ");
		if (ann->conn)
			mp_out_u64(o, ann->conn);
		else
			mp_out_ch(o, '-');
		mp_out_str(o, " subflow ");
		mp_out_u64(o, ann->subflow);
		mp_out_ch(o, ']');
	}
	mp_out_eol(o);
}

static void text_flush_episodes(struct mp_sink *s, uint32_t conn);
static void text_flush_why(struct mp_sink *s, uint32_t conn);

static void text_summary(struct mp_sink *s, const struct mp_stats *st)
{
	struct mp_out *o = s->out;
	bool any = false;

	text_flush_episodes(s, 0); /* none left, unless a sink user skipped conn */
	text_flush_why(s, 0);
	mp_out_reserve(o);
	mp_out_str(o, "summary: ");
	mp_out_u64(o, st->packets);
	mp_out_str(o, " packets, ");
	mp_out_u64(o, st->tcp);
	mp_out_str(o, " TCP, ");
	mp_out_u64(o, st->mptcp_packets);
	mp_out_str(o, " with MPTCP options");
	mp_out_eol(o);

	mp_out_str(o, "  connections: ");
	mp_out_u64(o, st->conns);
	mp_out_str(o, ", subflows: ");
	mp_out_u64(o, st->subflows);
	mp_out_str(o, " (");
	mp_out_u64(o, st->unattributed);
	mp_out_str(o, " unattributed), HMAC failures: ");
	mp_out_u64(o, st->hmac_failures);
	mp_out_str(o, ", failovers: ");
	mp_out_u64(o, st->failovers);
	mp_out_str(o, ", stalls: ");
	mp_out_u64(o, st->stalls);
	if (st->conn_stalls) { /* the MPTCP-level ones (stall.h) */
		mp_out_str(o, ", connection stalls: ");
		mp_out_u64(o, st->conn_stalls);
	}
	if (st->evicted || st->expired) {
		mp_out_str(o, ", evicted: ");
		mp_out_u64(o, st->evicted);
		mp_out_str(o, ", expired: ");
		mp_out_u64(o, st->expired);
	}
	mp_out_eol(o);

	mp_out_str(o, "  options:");
	for (unsigned i = 0; i < 17; i++) {
		if (!st->options[i])
			continue;
		mp_out_str(o, any ? ", " : " ");
		mp_out_str(o, i < 16 ? mp_subtype_name((uint8_t)i) : "unreadable");
		if (i < 16 && mp_subtype_name((uint8_t)i)[0] == 'u') {
			mp_out_ch(o, '(');
			mp_out_u64(o, i);
			mp_out_ch(o, ')');
		}
		mp_out_ch(o, ' ');
		mp_out_u64(o, st->options[i]);
		any = true;
	}
	if (!any)
		mp_out_str(o, " none");
	mp_out_eol(o);

	mp_out_str(o, "  malformed options: ");
	mp_out_u64(o, st->malformed);
	any = false;
	for (unsigned e = 1; e < MP_E__COUNT; e++) {
		if (!st->malformed_by_err[e])
			continue;
		mp_out_str(o, any ? ", " : " (");
		mp_out_str(o, mp_err_name((enum mp_err)e));
		mp_out_ch(o, ' ');
		mp_out_u64(o, st->malformed_by_err[e]);
		any = true;
	}
	if (any)
		mp_out_ch(o, ')');
	mp_out_eol(o);

	mp_out_str(o, "  other TCP option errors: ");
	mp_out_u64(o, st->tcp_opt_errors);
	mp_out_str(o, ", non-first fragments skipped: ");
	mp_out_u64(o, st->fragments);
	mp_out_str(o, ", truncated headers: ");
	mp_out_u64(o, st->truncated);
	mp_out_str(o, ", bad headers: ");
	mp_out_u64(o, st->bad);
	mp_out_str(o, ", not TCP: ");
	mp_out_u64(o, st->other);
	mp_out_eol(o);

	if (st->live) {
		mp_out_str(o, "  capture: ");
		mp_out_u64(o, st->ps_recv);
		mp_out_str(o, " received by filter, ");
		mp_out_u64(o, st->ps_drop);
		mp_out_str(o, " dropped by kernel, ");
		mp_out_u64(o, st->ps_ifdrop);
		mp_out_str(o, " dropped by interface");
		mp_out_eol(o);
	}
	if (st->merge)
		mp_out_merge_text(o, st->merge);
}

/* Episodes wait for their connection's block (they always come before
 * it); a failback that comes later gets a line of its own. */
struct held_episode {
	struct mp_failover f;        /* copy */
	struct held_episode *next;   /* in order of report */
	bool is_stall;               /* a connection stall: `st`, f only has conn */
	struct mp_stall st;          /* copy, when is_stall */
};

static void text_failover(struct mp_sink *s, const struct mp_failover *f)
{
	struct held_episode *h = malloc(sizeof *h), **tail;

	if (!h) { /* no memory to hold it: show it now */
		mp_out_failover_text(s->out, f);
		return;
	}
	h->f = *f;
	h->next = NULL;
	h->is_stall = false;
	for (tail = (struct held_episode **)&s->user; *tail; tail = &(*tail)->next)
		;
	*tail = h;
}

static void text_failback(struct mp_sink *s, const struct mp_failover *f)
{
	struct held_episode *h;

	for (h = s->user; h; h = h->next) {
		if (!h->is_stall && h->f.id == f->id) {
			h->f = *f;
			return;
		}
	}
	mp_out_reserve(s->out);
	mp_out_str(s->out, "connection ");
	mp_out_u64(s->out, f->conn);
	mp_out_str(s->out, " failback:");
	mp_out_failover_text(s->out, f);
}

/* Writes and frees the held episodes of connection `conn` (0: all). */
static void text_flush_episodes(struct mp_sink *s, uint32_t conn)
{
	struct held_episode **pp = (struct held_episode **)&s->user, *h;

	while ((h = *pp)) {
		if (conn && h->f.conn != conn) {
			pp = &h->next;
			continue;
		}
		if (h->is_stall)
			mp_out_stall_text(s->out, &h->st);
		else
			mp_out_failover_text(s->out, &h->f);
		*pp = h->next;
		free(h);
	}
}

/* Join attempts and address records wait for their connection's block
 * (they always come before it). */
struct held_why {
	bool is_addr;                /* u, else r */
	struct mp_join_attempt r;    /* copy */
	struct mp_addr_use u;        /* copy */
	struct held_why *next;       /* in order of report */
};

static void text_hold_why(struct mp_sink *s, const struct mp_join_attempt *r,
			  const struct mp_addr_use *u)
{
	struct held_why *h = calloc(1, sizeof *h), **tail;

	if (!h) { /* no memory to hold it: show it now */
		if (r)
			mp_out_join_attempt_text(s->out, r);
		else
			mp_out_address_text(s->out, u);
		return;
	}
	h->is_addr = u != NULL;
	if (r)
		h->r = *r;
	else
		h->u = *u;
	for (tail = (struct held_why **)&s->held_why; *tail; tail = &(*tail)->next)
		;
	*tail = h;
}

static void text_join_attempt(struct mp_sink *s, const struct mp_join_attempt *r)
{
	text_hold_why(s, r, NULL);
}

static void text_address(struct mp_sink *s, const struct mp_addr_use *u)
{
	text_hold_why(s, NULL, u);
}

/* Writes and frees the held records of connection `conn` (0: all). */
static void text_flush_why(struct mp_sink *s, uint32_t conn)
{
	struct held_why **pp = (struct held_why **)&s->held_why, *h;

	while ((h = *pp)) {
		if (conn && (h->is_addr ? h->u.conn : h->r.conn) != conn) {
			pp = &h->next;
			continue;
		}
		if (h->is_addr)
			mp_out_address_text(s->out, &h->u);
		else
			mp_out_join_attempt_text(s->out, &h->r);
		*pp = h->next;
		free(h);
	}
}

/* Connection stalls wait for their connection's block too. */
static void text_stall(struct mp_sink *s, const struct mp_stall *x)
{
	struct held_episode *h = calloc(1, sizeof *h), **tail;

	if (!h) { /* no memory to hold it: show it now */
		mp_out_stall_text(s->out, x);
		return;
	}
	h->is_stall = true;
	h->st = *x;
	h->f.conn = x->conn;
	for (tail = (struct held_episode **)&s->user; *tail; tail = &(*tail)->next)
		;
	*tail = h;
}

static void text_conn(struct mp_sink *s, const struct mp_conn *c)
{
	mp_out_conn_text(s->out, c);
	text_flush_episodes(s, c->id);
	text_flush_why(s, c->id);
}

static void text_loose(struct mp_sink *s, const struct mp_subflow *sf)
{
	mp_out_loose_text(s->out, sf);
}

static const struct mp_sink_ops text_ops = {
	.packet = text_packet,
	.conn = text_conn,
	.loose = text_loose,
	.failover = text_failover,
	.failback = text_failback,
	.summary = text_summary,
	.join_attempt = text_join_attempt,
	.address = text_address,
	.stall = text_stall,
};

void mp_sink_text_init(struct mp_sink *s, struct mp_out *out, bool quiet)
{
	s->ops = &text_ops;
	s->out = out;
	s->quiet = quiet;
	s->all_packets = false;
	s->user = NULL; /* held episodes */
	s->held_why = NULL;
	s->text_fmt = NULL; /* the default timestamp */
}
