/* SPDX-License-Identifier: BSD-2-Clause */
/* out_json.c - JSON Lines output: one object per MPTCP option occurrence,
 * then one {"record":"connection"} object per connection (and
 * {"record":"subflow"} per unattributed subflow; src/sinks/conn_records.c), then one
 * {"record":"summary"} object. RFC 8684 §3.
 *
 * Key contract (docs/mpana.1): keys as "0x%016x" strings, tokens and nonces
 * "0x%08x", HMACs "0x" + hex bytes, booleans as JSON booleans, numbers as
 * JSON integers; a field absent from the option is omitted. */
#include "mpana/analyzer.h"
#include "mpana/crypto.h"
#include "mpana/failover.h"
#include "mpana/joins.h"
#include "mpana/stall.h"
#include "mpana/out.h"
#include "mpana/report.h"

/* Keys are string literals: KEY(name) is the whole `,"name":` as one
 * literal, written with one fixed-size copy (no strlen, one append instead
 * of three; docs/performance.md). The key_* macros keep the call sites. */
#define KEY(name) ",\"" name "\":"
#define key(o, name) mp_out_mem((o), KEY(name), sizeof KEY(name) - 1)
#define key_u64(o, name, v) key_u64_((o), KEY(name), sizeof KEY(name) - 1, (v))
#define key_bool(o, name, v) key_bool_((o), KEY(name), sizeof KEY(name) - 1, (v))
#define key_hex(o, name, v, d) key_hex_((o), KEY(name), sizeof KEY(name) - 1, (v), (d))
#define key_hexbytes(o, name, p, n) \
	key_hexbytes_((o), KEY(name), sizeof KEY(name) - 1, (p), (n))
#define key_str(o, name, v) key_str_((o), KEY(name), sizeof KEY(name) - 1, (v))
#define key_id(o, name, id) key_id_((o), KEY(name), sizeof KEY(name) - 1, (id))

static void key_u64_(struct mp_out *o, const char *k, size_t kn, uint64_t v)
{
	mp_out_mem(o, k, kn);
	mp_out_u64(o, v);
}

static void key_bool_(struct mp_out *o, const char *k, size_t kn, bool v)
{
	mp_out_mem(o, k, kn);
	if (v)
		mp_out_mem(o, "true", 4);
	else
		mp_out_mem(o, "false", 5);
}

static void key_hex_(struct mp_out *o, const char *k, size_t kn, uint64_t v,
		     unsigned digits)
{
	mp_out_mem(o, k, kn);
	mp_out_ch(o, '"');
	mp_out_hex(o, v, digits);
	mp_out_ch(o, '"');
}

static void key_hexbytes_(struct mp_out *o, const char *k, size_t kn,
			  const uint8_t *p, size_t n)
{
	mp_out_mem(o, k, kn);
	mp_out_ch(o, '"');
	mp_out_hexbytes(o, p, n);
	mp_out_ch(o, '"');
}

static void key_str_(struct mp_out *o, const char *k, size_t kn, const char *v)
{
	mp_out_mem(o, k, kn);
	mp_out_json_str(o, v);
}

/* ,"name":N or ,"name":null for an id of 0 (none). */
static void key_id_(struct mp_out *o, const char *k, size_t kn, uint32_t id)
{
	mp_out_mem(o, k, kn);
	if (id)
		mp_out_u64(o, id);
	else
		mp_out_mem(o, "null", 4);
}

/* This segment's data at the data level, from the engine: its 64-bit DSN
 * and length inside the mapping, and whether it was sent before. */
static void json_segment(struct mp_out *o, const struct mp_pkt_ann *ann)
{
	key_u64(o, "seg_dsn", ann->seg_dsn);
	key_u64(o, "seg_dlen", ann->seg_dlen);
	if (ann->resend) {
		key_str(o, "resend", mp_resend_name(ann->resend));
		key_id(o, "resend_of_subflow", ann->resend_of_sf);
	}
}

static void json_capable(struct mp_out *o, const struct mp_capable *c)
{
	key_u64(o, "version", c->version);
	key_u64(o, "flags", c->flags);
	if (c->has_sender_key)
		key_hex(o, "sender_key", c->sender_key, 16);
	if (c->has_receiver_key)
		key_hex(o, "receiver_key", c->receiver_key, 16);
	if (c->has_data_len)
		key_u64(o, "data_len", c->data_len);
	if (c->has_checksum)
		key_u64(o, "checksum", c->checksum);
}

static void json_join(struct mp_out *o, const struct mp_join *j)
{
	static const char *const phases[] = { "syn", "synack", "ack" };

	key_str(o, "phase", phases[j->phase < 3 ? j->phase : 2]);
	if (j->phase != MP_JOIN_ACK) {
		key_bool(o, "backup", j->backup);
		key_u64(o, "addr_id", j->addr_id);
		key_hex(o, "nonce", j->nonce, 8);
	}
	if (j->phase == MP_JOIN_SYN)
		key_hex(o, "token", j->token, 8);
	if (j->hmac_len)
		key_hexbytes(o, "hmac", j->hmac, j->hmac_len);
}

static void json_dss(struct mp_out *o, const struct mp_dss *d)
{
	key_u64(o, "flags", d->flags);
	if (d->flags & DSS_A) {
		key_u64(o, "data_ack", d->data_ack);
		key_u64(o, "data_ack_len", (d->flags & DSS_a) ? 8 : 4);
	}
	if (d->flags & DSS_M) {
		key_u64(o, "dsn", d->dsn);
		key_u64(o, "dsn_len", (d->flags & DSS_m) ? 8 : 4);
		key_u64(o, "ssn", d->ssn);
		key_u64(o, "dll", d->dll);
		if (d->has_checksum)
			key_u64(o, "checksum", d->checksum);
	}
	key_bool(o, "data_fin", (d->flags & DSS_F) != 0);
}

static void json_add_addr(struct mp_out *o, const struct mp_add_addr *a)
{
	key_u64(o, "version", a->version);
	key_u64(o, "addr_id", a->addr_id);
	key(o, "addr");
	mp_out_ch(o, '"');
	mp_out_addr(o, a->ipver, a->addr);
	mp_out_ch(o, '"');
	if (a->has_port)
		key_u64(o, "port", a->port);
	if (a->version)
		key_bool(o, "echo", a->echo);
	else
		key_u64(o, "ipver", a->ipver);
	if (a->has_hmac)
		key_hexbytes(o, "hmac", a->hmac, sizeof a->hmac);
}

static void json_option_fields(struct mp_out *o, const struct mp_opt *opt)
{
	switch (opt->subtype) {
	case MPTCP_SUB_CAPABLE:
		json_capable(o, &opt->u.capable);
		break;
	case MPTCP_SUB_JOIN:
		json_join(o, &opt->u.join);
		break;
	case MPTCP_SUB_DSS:
		json_dss(o, &opt->u.dss);
		break;
	case MPTCP_SUB_ADD_ADDR:
		json_add_addr(o, &opt->u.add_addr);
		break;
	case MPTCP_SUB_REMOVE_ADDR:
		key(o, "addr_ids");
		mp_out_ch(o, '[');
		for (unsigned i = 0; i < opt->u.remove_addr.n_ids; i++) {
			if (i)
				mp_out_ch(o, ',');
			mp_out_u64(o, opt->u.remove_addr.ids[i]);
		}
		mp_out_ch(o, ']');
		break;
	case MPTCP_SUB_PRIO:
		key_bool(o, "backup", opt->u.prio.backup);
		if (opt->u.prio.has_addr_id)
			key_u64(o, "addr_id", opt->u.prio.addr_id);
		break;
	case MPTCP_SUB_FAIL:
		key_u64(o, "dsn", opt->u.fail.dsn);
		break;
	case MPTCP_SUB_FASTCLOSE:
		key_hex(o, "receiver_key", opt->u.fastclose.receiver_key, 16);
		break;
	case MPTCP_SUB_TCPRST:
		key_u64(o, "flags", opt->u.tcprst.flags);
		key_u64(o, "reason", opt->u.tcprst.reason);
		key_str(o, "reason_name",
			mp_tcprst_reason_name(opt->u.tcprst.reason));
		break;
	default:
		key_u64(o, "subtype", opt->subtype);
		break;
	}
}

/* The engine's verdict on an HMAC-bearing option: "hmac_ok" true, false or
 * null (a key or nonce unknown), and for ADD_ADDR the side that matched. */
static void json_hmac(struct mp_out *o, const struct mp_opt *opt, int8_t ok,
		      uint8_t side)
{
	bool has = (opt->subtype == MPTCP_SUB_JOIN && opt->u.join.hmac_len) ||
		   (opt->subtype == MPTCP_SUB_ADD_ADDR && opt->u.add_addr.has_hmac);

	if (!has)
		return;
	key(o, "hmac_ok");
	mp_out_str(o, ok == MP_OK_TRUE ? "true" : ok == MP_OK_FALSE ? "false" : "null");
	if (opt->subtype == MPTCP_SUB_ADD_ADDR && ok == MP_OK_TRUE)
		key_str(o, "hmac_side", side == MP_HMAC_LEFT ? "left" : "right");
}


static void json_packet(struct mp_sink *s, const struct mp_frame *f,
			const struct mp_pkt *p, const struct mp_pkt_ann *ann)
{
	struct mp_out *o = s->out;

	for (unsigned i = 0; i < p->opts.n; i++) {
		const struct mp_opt *opt = &p->opts.v[i];

		mp_out_reserve(o);
		mp_out_str(o, "{\"frame\":");
		mp_out_u64(o, f->num);
		mp_out_str(o, ",\"ts\":");
		mp_out_ts(o, f->ts_ns, 9);
		if (__builtin_expect(f->comment != NULL, 0)) {
			mp_out_str(o, ",\"comment\":");
			mp_out_json_strn(o, f->comment, f->comment_len);
		}
		mp_out_str(o, ",\"src\":\"");
		mp_out_addr(o, p->family, p->src);
		mp_out_str(o, "\",\"sport\":");
		mp_out_u64(o, p->sport);
		mp_out_str(o, ",\"dst\":\"");
		mp_out_addr(o, p->family, p->dst);
		mp_out_str(o, "\",\"dport\":");
		mp_out_u64(o, p->dport);
		mp_out_str(o, ",\"tcp_flags\":\"");
		mp_out_tcp_flags(o, p->flags);
		mp_out_str(o, "\",\"opt\":\"");
		mp_out_str(o, opt->subtype < 16 ? mp_subtype_name(opt->subtype)
						: "unknown");
		mp_out_str(o, "\",\"len\":");
		mp_out_u64(o, opt->len);
		key_id(o, "conn", ann ? ann->conn : 0);
		key_id(o, "subflow", ann ? ann->subflow : 0);
		if (opt->err != MP_E_NONE) {
			key_bool(o, "malformed", true);
			key_str(o, "error", mp_err_name((enum mp_err)opt->err));
			if (opt->subtype < 16)
				key_u64(o, "subtype", opt->subtype);
			key_hexbytes(o, "raw", opt->raw, opt->caplen);
		} else {
			json_option_fields(o, opt);
			if (ann)
				json_hmac(o, opt, ann->hmac_ok[i], ann->hmac_side[i]);
			if (ann && ann->has_map && (opt->subtype == MPTCP_SUB_DSS ||
						    opt->subtype == MPTCP_SUB_CAPABLE))
				json_segment(o, ann);
		}
		mp_out_ch(o, '}');
		mp_out_eol(o);
	}
}

static void json_summary(struct mp_sink *s, const struct mp_stats *st)
{
	struct mp_out *o = s->out;
	bool any = false;

	mp_out_reserve(o);
	mp_out_str(o, "{\"record\":\"summary\"");
	key_u64(o, "packets", st->packets);
	key_u64(o, "tcp", st->tcp);
	key_u64(o, "mptcp_packets", st->mptcp_packets);
	key(o, "options");
	mp_out_ch(o, '{');
	for (unsigned i = 0; i < 16; i++) {
		uint64_t n = st->options[i];
		if (!n)
			continue;
		if (any)
			mp_out_ch(o, ',');
		mp_out_ch(o, '"');
		mp_out_str(o, mp_subtype_name((uint8_t)i));
		if (mp_subtype_name((uint8_t)i)[0] == 'u') {
			mp_out_ch(o, '_');
			mp_out_u64(o, i);
		}
		mp_out_str(o, "\":");
		mp_out_u64(o, n);
		any = true;
	}
	if (st->options[16]) {
		mp_out_str(o, any ? ",\"unreadable\":" : "\"unreadable\":");
		mp_out_u64(o, st->options[16]);
	}
	mp_out_ch(o, '}');
	key_u64(o, "malformed", st->malformed);
	key(o, "malformed_by_error");
	mp_out_ch(o, '{');
	any = false;
	for (unsigned e = 1; e < MP_E__COUNT; e++) {
		if (!st->malformed_by_err[e])
			continue;
		if (any)
			mp_out_ch(o, ',');
		mp_out_json_str(o, mp_err_name((enum mp_err)e));
		mp_out_ch(o, ':');
		mp_out_u64(o, st->malformed_by_err[e]);
		any = true;
	}
	mp_out_ch(o, '}');
	key_u64(o, "tcp_option_errors", st->tcp_opt_errors);
	key_u64(o, "fragments_skipped", st->fragments);
	key_u64(o, "truncated", st->truncated);
	key_u64(o, "bad", st->bad);
	key_u64(o, "not_tcp", st->other);
	key_u64(o, "connections", st->conns);
	key_u64(o, "subflows", st->subflows);
	key_u64(o, "unattributed_subflows", st->unattributed);
	key_u64(o, "hmac_failures", st->hmac_failures);
	key_u64(o, "failovers", st->failovers);
	key_u64(o, "stalls", st->stalls);
	key_u64(o, "join_attempts", st->join_attempts);
	key_u64(o, "joins_failed", st->join_failed);
	key_u64(o, "addresses", st->addresses);
	key_u64(o, "addresses_unused", st->addresses_unused);
	key_u64(o, "conn_stalls", st->conn_stalls);
	key_u64(o, "evicted", st->evicted);
	key_u64(o, "expired", st->expired);
	if (st->live) {
		key_u64(o, "received", st->ps_recv);
		key_u64(o, "dropped", st->ps_drop);
		key_u64(o, "ifdropped", st->ps_ifdrop);
	}
	if (st->merge)
		mp_out_merge_json(o, st->merge);
	mp_out_ch(o, '}');
	mp_out_eol(o);
}

static void json_conn(struct mp_sink *s, const struct mp_conn *c)
{
	mp_out_conn_json(s->out, c);
}

static void json_loose(struct mp_sink *s, const struct mp_subflow *sf)
{
	mp_out_loose_json(s->out, sf);
}

/* Episodes go out as soon as the analysis completes them (with -l, flushed
 * at once), so that a live capture can alert while it happens. */
static void json_failover(struct mp_sink *s, const struct mp_failover *f)
{
	mp_out_failover_json(s->out, f);
}

static void json_failback(struct mp_sink *s, const struct mp_failover *f)
{
	mp_out_failback_json(s->out, f);
}

static void json_join_attempt(struct mp_sink *s, const struct mp_join_attempt *r)
{
	mp_out_join_attempt_json(s->out, r);
}

static void json_address(struct mp_sink *s, const struct mp_addr_use *u)
{
	mp_out_address_json(s->out, u);
}

/* Connection stalls go out when they end (or with their connection). */
static void json_stall(struct mp_sink *s, const struct mp_stall *x)
{
	mp_out_stall_json(s->out, x);
}

static const struct mp_sink_ops json_ops = {
	.packet = json_packet,
	.conn = json_conn,
	.loose = json_loose,
	.failover = json_failover,
	.failback = json_failback,
	.summary = json_summary,
	.join_attempt = json_join_attempt,
	.address = json_address,
	.stall = json_stall,
};

void mp_sink_json_init(struct mp_sink *s, struct mp_out *out, bool quiet)
{
	s->ops = &json_ops;
	s->out = out;
	s->quiet = quiet;
	s->all_packets = false;
}
