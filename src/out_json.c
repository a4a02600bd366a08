/* SPDX-License-Identifier: BSD-2-Clause */
/* out_json.c - JSON Lines output: one object per MPTCP option occurrence,
 * then one {"record":"summary"} object.
 *
 * Key contract (docs/mpana.1): keys as "0x%016x" strings, tokens and nonces
 * "0x%08x", HMACs "0x" + hex bytes, booleans as JSON booleans, numbers as
 * JSON integers; a field absent from the option is omitted. */
#include "mpana/analyzer.h"
#include "mpana/out.h"

/* ,"name": */
static void key(struct mp_out *o, const char *name)
{
	mp_out_str(o, ",\"");
	mp_out_str(o, name);
	mp_out_str(o, "\":");
}

static void key_u64(struct mp_out *o, const char *name, uint64_t v)
{
	key(o, name);
	mp_out_u64(o, v);
}

static void key_bool(struct mp_out *o, const char *name, bool v)
{
	key(o, name);
	mp_out_str(o, v ? "true" : "false");
}

static void key_hex(struct mp_out *o, const char *name, uint64_t v,
		    unsigned digits)
{
	key(o, name);
	mp_out_ch(o, '"');
	mp_out_hex(o, v, digits);
	mp_out_ch(o, '"');
}

static void key_hexbytes(struct mp_out *o, const char *name, const uint8_t *p,
			 size_t n)
{
	key(o, name);
	mp_out_ch(o, '"');
	mp_out_hexbytes(o, p, n);
	mp_out_ch(o, '"');
}

static void key_str(struct mp_out *o, const char *name, const char *v)
{
	key(o, name);
	mp_out_json_str(o, v);
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

static void json_packet(struct mp_sink *s, const struct mp_frame *f,
			const struct mp_pkt *p)
{
	struct mp_out *o = s->out;

	for (unsigned i = 0; i < p->opts.n; i++) {
		const struct mp_opt *opt = &p->opts.v[i];

		mp_out_reserve(o);
		mp_out_str(o, "{\"frame\":");
		mp_out_u64(o, f->num);
		mp_out_str(o, ",\"ts\":");
		mp_out_ts(o, f->ts_ns, 9);
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
		if (opt->err != MP_E_NONE) {
			key_bool(o, "malformed", true);
			key_str(o, "error", mp_err_name((enum mp_err)opt->err));
			if (opt->subtype < 16)
				key_u64(o, "subtype", opt->subtype);
			key_hexbytes(o, "raw", opt->raw, opt->caplen);
		} else {
			json_option_fields(o, opt);
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
	if (st->live) {
		key_u64(o, "received", st->ps_recv);
		key_u64(o, "dropped", st->ps_drop);
		key_u64(o, "ifdropped", st->ps_ifdrop);
	}
	mp_out_ch(o, '}');
	mp_out_eol(o);
}

static const struct mp_sink_ops json_ops = {
	.packet = json_packet,
	.summary = json_summary,
};

void mp_sink_json_init(struct mp_sink *s, struct mp_out *out, bool quiet)
{
	s->ops = &json_ops;
	s->out = out;
	s->quiet = quiet;
}
