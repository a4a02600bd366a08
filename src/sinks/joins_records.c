/* SPDX-License-Identifier: BSD-2-Clause */
/* joins_records.c - join attempts and address use as JSON Lines and text
 * (report.h).
 *
 * RFC 8684 §3.2, §3.4. The records of the analysis stage (joins.h),
 * written the same way for every output: JSON keys in a fixed order, times
 * in epoch seconds, durations in ms with 3 decimals, null for what is not
 * known (docs/mpana.1, JOIN ATTEMPT AND ADDRESS RECORDS). */
#include "mpana/crypto.h"
#include "mpana/joins.h"
#include "mpana/report.h"

#include "record_keys.h"

static void ku64(struct mp_out *o, const char *k, bool present, uint64_t v)
{
	key(o, k);
	if (present)
		mp_out_u64(o, v);
	else
		mp_out_str(o, "null");
}

static void kbool(struct mp_out *o, const char *k, bool v)
{
	key(o, k);
	mp_out_str(o, v ? "true" : "false");
}

static void ktri(struct mp_out *o, const char *k, int ok)
{
	key(o, k);
	mp_out_str(o, ok == MP_OK_TRUE ? "true" : ok == MP_OK_FALSE ? "false" : "null");
}

static void kaddr(struct mp_out *o, const char *k, uint8_t family, const uint8_t *a)
{
	key(o, k);
	mp_out_ch(o, '"');
	mp_out_addr(o, family, a);
	mp_out_ch(o, '"');
}

static const char *reset_by_name(const struct mp_join_attempt *r)
{
	return r->t_reset_ns ? (r->reset_by ? "responder" : "initiator") : NULL;
}

void mp_out_join_attempt_json(struct mp_out *o, const struct mp_join_attempt *r)
{
	mp_out_reserve(o);
	mp_out_str(o, "{\"record\":\"join_attempt\",\"attempt\":");
	mp_out_u64(o, r->id);
	key(o, "conn");
	mp_out_u64(o, r->conn);
	key(o, "subflow");
	mp_out_u64(o, r->subflow);
	key(o, "token");
	mp_out_ch(o, '"');
	mp_out_hex(o, r->token, 8);
	mp_out_ch(o, '"');
	kbool(o, "token_known", r->token_known);
	kstr(o, "initiator", mp_jn_host_name(r->initiator));
	kaddr(o, "src", r->family, r->src);
	key(o, "sport");
	mp_out_u64(o, r->sport);
	kaddr(o, "dst", r->family, r->dst);
	key(o, "dport");
	mp_out_u64(o, r->dport);
	key(o, "addr_id");
	mp_out_u64(o, r->addr_id);
	kbool(o, "backup", r->backup);
	ku64(o, "peer_addr_id", r->peer_id_known, r->peer_addr_id);
	key(o, "peer_backup");
	mp_out_str(o, !r->peer_id_known ? "null" : r->peer_backup ? "true" : "false");
	kts(o, "t_syn", r->t_syn_ns);
	kid(o, "syn_frame", r->syn_frame);
	key(o, "retransmissions");
	mp_out_u64(o, r->retransmissions);
	kts(o, "t_synack", r->t_synack_ns);
	kid(o, "synack_frame", r->synack_frame);
	kts(o, "t_ack", r->t_ack_ns);
	kid(o, "ack_frame", r->ack_frame);
	kts(o, "t_ack4", r->t_ack4_ns);
	kid(o, "ack4_frame", r->ack4_frame);
	kts(o, "t_established", r->t_established_ns);
	key(o, "setup_ms");
	if (r->outcome == MP_JN_ESTABLISHED && r->t_established_ns)
		ms(o, r->setup_ns);
	else
		mp_out_str(o, "null");
	kbool(o, "inferred", r->inferred);
	ktri(o, "hmac_synack", r->hmac_synack);
	ktri(o, "hmac_ack", r->hmac_ack);
	kstr(o, "hmac_failed", mp_jn_hmac_name(r->hmac_failed));
	kstr(o, "outcome", mp_jn_outcome_name(r->outcome));
	kts(o, "t_reset", r->t_reset_ns);
	kid(o, "reset_frame", r->reset_frame);
	kstr(o, "reset_by", reset_by_name(r));
	ku64(o, "tcprst_reason", r->tcprst_reason >= 0, (uint64_t)r->tcprst_reason);
	kstr(o, "tcprst_reason_name", r->tcprst_reason >= 0
		 ? mp_tcprst_reason_name((uint8_t)r->tcprst_reason) : NULL);
	key(o, "gave_up");
	mp_out_str(o, r->outcome != MP_JN_NO_SYNACK ? "null" : r->gave_up ? "true" : "false");
	mp_out_ch(o, '}');
	mp_out_eol(o);
}

void mp_out_address_json(struct mp_out *o, const struct mp_addr_use *u)
{
	mp_out_reserve(o);
	mp_out_str(o, "{\"record\":\"address\",\"address\":");
	mp_out_u64(o, u->id);
	key(o, "conn");
	mp_out_u64(o, u->conn);
	kstr(o, "announcer", mp_jn_host_name(u->announcer));
	key(o, "addr_id");
	mp_out_u64(o, u->addr_id);
	kaddr(o, "addr", u->family, u->addr);
	ku64(o, "port", u->has_port, u->port);
	kts(o, "t_announce", u->t_announce_ns);
	kid(o, "frame", u->frame);
	key(o, "retransmissions");
	mp_out_u64(o, u->retransmissions);
	kts(o, "t_echo", u->t_echo_ns);
	kid(o, "echo_frame", u->echo_frame);
	ktri(o, "hmac_ok", u->hmac_ok);
	kstr(o, "hmac_bits", u->hmac_ok == MP_OK_TRUE
		 ? mp_hmac_side_name((enum mp_hmac_side)u->hmac_side) : NULL);
	ktri(o, "c_flag", u->c_flag);
	kbool(o, "initial", u->initial);
	kts(o, "t_removed", u->t_removed_ns);
	kid(o, "removed_frame", u->removed_frame);
	key(o, "joins");
	mp_out_ch(o, '[');
	for (uint32_t i = 0; i < u->n_joins && i < MP_AU_JOINS_MAX; i++) {
		mp_out_str(o, i ? ",{\"attempt\":" : "{\"attempt\":");
		mp_out_u64(o, u->join_id[i]);
		key(o, "subflow");
		mp_out_u64(o, u->join_sf[i]);
		kstr(o, "outcome", mp_jn_outcome_name(u->join_outcome[i]));
		mp_out_ch(o, '}');
	}
	mp_out_ch(o, ']');
	key(o, "n_joins");
	mp_out_u64(o, u->n_joins);
	key(o, "n_established");
	mp_out_u64(o, u->n_established);
	kstr(o, "verdict", mp_au_verdict_name(u->verdict));
	mp_out_ch(o, '}');
	mp_out_eol(o);
}

/* "10.0.2.1.40001", as the subflow rows show endpoints (tcpdump's form) */
static void endpoint(struct mp_out *o, uint8_t family, const uint8_t *a, uint16_t port)
{
	mp_out_addr(o, family, a);
	mp_out_ch(o, '.');
	mp_out_u64(o, port);
}

/* "  join sf 3 10.0.2.1.40001 > 10.0.1.2.12345 id 2 (client): rejected,
 *  2 SYNs, reset by responder 0.105 ms after the SYN, MP_TCPRST reason 3
 *  (administratively prohibited)" */
void mp_out_join_attempt_text(struct mp_out *o, const struct mp_join_attempt *r)
{
	mp_out_reserve(o);
	mp_out_str(o, "  join sf ");
	mp_out_u64(o, r->subflow);
	mp_out_ch(o, ' ');
	endpoint(o, r->family, r->src, r->sport);
	mp_out_str(o, " > ");
	endpoint(o, r->family, r->dst, r->dport);
	mp_out_str(o, " id ");
	mp_out_u64(o, r->addr_id);
	if (r->backup)
		mp_out_str(o, " backup");
	if (*mp_jn_host_name(r->initiator)) {
		mp_out_str(o, " (");
		mp_out_str(o, mp_jn_host_name(r->initiator));
		mp_out_ch(o, ')');
	}
	mp_out_str(o, ": ");
	mp_out_str(o, mp_jn_outcome_name(r->outcome));
	if (r->outcome == MP_JN_ESTABLISHED && r->t_established_ns) {
		mp_out_str(o, " in ");
		ms(o, r->setup_ns);
		mp_out_str(o, " ms");
	}
	if (r->inferred)
		mp_out_str(o, " (inferred: handshake not all captured)");
	mp_out_str(o, ", ");
	mp_out_u64(o, r->retransmissions + 1);
	mp_out_str(o, r->retransmissions ? " SYNs" : " SYN");
	if (r->hmac_failed) {
		mp_out_str(o, ", ");
		mp_out_str(o, mp_jn_hmac_name(r->hmac_failed));
		mp_out_str(o, " HMAC failed");
	}
	if (!r->token_known) {
		mp_out_str(o, ", unknown token ");
		mp_out_hex(o, r->token, 8);
	}
	if (r->t_reset_ns) {
		mp_out_str(o, ", reset by ");
		mp_out_str(o, reset_by_name(r));
		mp_out_str(o, " +");
		ms(o, r->t_reset_ns - r->t_syn_ns);
		mp_out_str(o, " ms");
		if (r->tcprst_reason >= 0) {
			mp_out_str(o, ", MP_TCPRST reason ");
			mp_out_u64(o, (uint64_t)r->tcprst_reason);
			mp_out_str(o, " (");
			mp_out_str(o, mp_tcprst_reason_name((uint8_t)r->tcprst_reason));
			mp_out_ch(o, ')');
		}
	}
	if (r->outcome == MP_JN_NO_SYNACK)
		mp_out_str(o, r->gave_up ? ", given up" : ", capture ended first");
	mp_out_eol(o);
}

/* "  address server id 2 10.0.2.2: unused, echoed +0.050 ms, hmac ok,
 *  no join" */
void mp_out_address_text(struct mp_out *o, const struct mp_addr_use *u)
{
	mp_out_reserve(o);
	mp_out_str(o, "  address ");
	mp_out_str(o, mp_jn_host_name(u->announcer));
	mp_out_str(o, " id ");
	mp_out_u64(o, u->addr_id);
	mp_out_ch(o, ' ');
	if (u->has_port)
		endpoint(o, u->family, u->addr, u->port);
	else
		mp_out_addr(o, u->family, u->addr);
	mp_out_str(o, ": ");
	mp_out_str(o, mp_au_verdict_name(u->verdict));
	if (u->t_echo_ns) {
		mp_out_str(o, ", echoed +");
		ms(o, u->t_echo_ns - u->t_announce_ns);
		mp_out_str(o, " ms");
	} else {
		mp_out_str(o, ", no echo");
	}
	if (u->retransmissions) {
		mp_out_str(o, ", sent ");
		mp_out_u64(o, u->retransmissions + 1);
		mp_out_str(o, " times");
	}
	if (u->hmac_ok != MP_OK_UNKNOWN)
		mp_out_str(o, u->hmac_ok == MP_OK_TRUE ? ", hmac ok" : ", hmac FAILED");
	if (u->c_flag == MP_OK_TRUE)
		mp_out_str(o, ", announcer's C flag set");
	if (u->n_joins) {
		mp_out_str(o, ", joins:");
		for (uint32_t i = 0; i < u->n_joins && i < MP_AU_JOINS_MAX; i++) {
			mp_out_str(o, i ? ", sf " : " sf ");
			mp_out_u64(o, u->join_sf[i]);
			mp_out_ch(o, ' ');
			mp_out_str(o, mp_jn_outcome_name(u->join_outcome[i]));
		}
		if (u->n_joins > MP_AU_JOINS_MAX)
			mp_out_str(o, ", ...");
	} else {
		mp_out_str(o, ", no join");
	}
	if (u->t_removed_ns) {
		mp_out_str(o, ", removed +");
		ms(o, u->t_removed_ns - u->t_announce_ns);
		mp_out_str(o, " ms");
	}
	mp_out_eol(o);
}
