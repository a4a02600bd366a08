/* SPDX-License-Identifier: BSD-2-Clause */
/* analysis_rows.c - rows of the analysis stage: outage episodes and failbacks, connection stalls, join attempts, announced addresses' use (docs/sqlite.md). */
#include "store_int.h"

/* ---- failovers ------------------------------------------------------ */

void mp_store_on_stall(struct mp_store *st, const struct mp_stall *x)
{

	if (!st || st->failed)
		return;
	put_i64(st, 1, st->capture_id);
	put_conn(st, 2, x->conn);
	put_str(st, 3, mp_stall_dir_name(x->dir));
	put_ts(st, 4, x->t_start);
	put_i64(st, 5, (int64_t)x->frame);
	put_ts(st, 6, x->t_end);
	put_opt_i64(st, 7, x->end_frame != 0, (int64_t)x->end_frame);
	put_i64(st, 8, x->ended);
	put_ms(st, 9, true, x->t_end - x->t_start);
	/* DSNs are 64-bit unsigned: SQLite keeps the bits as a signed integer */
	put_i64(st, 10, (int64_t)x->data_ack);
	put_i64(st, 11, (int64_t)x->dsn_end);
	put_i64(st, 12, (int64_t)x->data_pkts);
	put_i64(st, 13, (int64_t)x->sf_acks);
	if (store_run(st, S_STALL, "inserting a stall"))
		st->pending++;
}

void mp_store_on_failover(struct mp_store *st, const struct mp_failover *f)
{

	if (!st || st->failed)
		return;
	put_i64(st, 1, st->capture_id);
	put_i64(st, 2, f->id);
	put_conn(st, 3, f->conn);
	put_str(st, 4, mp_fo_dir_name(f->dir));
	put_str(st, 5, mp_fo_vantage_name(f->vantage));
	put_str(st, 6, mp_fo_kind_name(f->kind));
	put_sf(st, 7, f->from_sf);
	put_sf(st, 8, f->to_sf);
	put_ts(st, 9, f->t_fail_ns);
	put_i64(st, 10, (int64_t)f->fail_frame);
	put_ts(st, 11, f->t_first_reinject_ns);
	put_opt_i64(st, 12, f->first_reinject_frame != 0, (int64_t)f->first_reinject_frame);
	put_ts(st, 13, f->t_recovered_ns);
	put_opt_i64(st, 14, f->recovered_frame != 0, (int64_t)f->recovered_frame);
	put_ms(st, 15, true, f->latency_ns);
	put_i64(st, 16, f->lower_bound);
	put_i64(st, 17, (int64_t)f->lost_bytes);
	/* DSNs are 64-bit unsigned: SQLite keeps the bits as a signed integer */
	put_opt_i64(st, 18, f->lost_dsn_end != 0, (int64_t)f->lost_dsn_end);
	put_ms(st, 19, true, f->stall_ns);
	put_text(st, 20, f->cause ? mp_fo_cause_name(f->cause) : NULL);
	put_sf(st, 21, f->join_sf);
	put_ms(st, 22, f->join_sf != 0, f->join_setup_ns);
	put_ts(st, 23, f->t_sent_ns);
	put_opt_i64(st, 24, f->sent_frame != 0, (int64_t)f->sent_frame);
	put_ms(st, 25, f->t_sent_ns && f->t_recovered_ns, f->t_recovered_ns - f->t_sent_ns);
	if (store_run(st, S_FAILOVER, "inserting a failover"))
		st->pending++;
}

void mp_store_on_failback(struct mp_store *st, const struct mp_failover *f)
{

	if (!st || st->failed)
		return;
	put_i64(st, 1, st->capture_id);
	put_i64(st, 2, f->id);
	put_ts(st, 3, f->t_failback_ns);
	put_i64(st, 4, (int64_t)f->failback_frame);
	put_sf(st, 5, f->failback_sf);
	put_ms(st, 6, true, f->t_failback_ns - f->t_fail_ns);
	if (store_run(st, S_FAILBACK, "recording a failback"))
		st->pending++;
}

/* ---- join attempts, address use -------------------------------------- */

void mp_store_on_join_attempt(struct mp_store *st, const struct mp_join_attempt *r)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], tok[16];

	if (!st || st->failed)
		return;
	addr_str(src, sizeof src, r->family, r->src);
	addr_str(dst, sizeof dst, r->family, r->dst);
	put_i64(st, 1, st->capture_id);
	put_i64(st, 2, r->id);
	put_conn(st, 3, r->conn);
	put_sf(st, 4, r->subflow);
	put_text(st, 5, hex_u64(tok, sizeof tok, r->token, 8));
	put_i64(st, 6, r->token_known);
	put_text(st, 7, mp_jn_host_name(r->initiator));
	put_text(st, 8, src);
	put_i64(st, 9, r->sport);
	put_text(st, 10, dst);
	put_i64(st, 11, r->dport);
	put_i64(st, 12, r->addr_id);
	put_i64(st, 13, r->backup);
	put_opt_i64(st, 14, r->peer_id_known, r->peer_addr_id);
	put_opt_i64(st, 15, r->peer_id_known, r->peer_backup);
	put_ts(st, 16, r->t_syn_ns);
	put_i64(st, 17, (int64_t)r->syn_frame);
	put_i64(st, 18, r->retransmissions);
	put_ts(st, 19, r->t_synack_ns);
	put_opt_i64(st, 20, r->synack_frame != 0, (int64_t)r->synack_frame);
	put_ts(st, 21, r->t_ack_ns);
	put_opt_i64(st, 22, r->ack_frame != 0, (int64_t)r->ack_frame);
	put_ts(st, 23, r->t_ack4_ns);
	put_opt_i64(st, 24, r->ack4_frame != 0, (int64_t)r->ack4_frame);
	put_ts(st, 25, r->t_established_ns);
	put_ms(st, 26, r->outcome == MP_JN_ESTABLISHED && r->t_established_ns, r->setup_ns);
	put_i64(st, 27, r->inferred);
	put_tri(st, 28, r->hmac_synack);
	put_tri(st, 29, r->hmac_ack);
	put_text(st, 30, mp_jn_hmac_name(r->hmac_failed));
	put_text(st, 31, mp_jn_outcome_name(r->outcome));
	put_ts(st, 32, r->t_reset_ns);
	put_opt_i64(st, 33, r->reset_frame != 0, (int64_t)r->reset_frame);
	put_text(st, 34, r->t_reset_ns ? (r->reset_by ? "responder" : "initiator") : NULL);
	put_opt_i64(st, 35, r->tcprst_reason >= 0, r->tcprst_reason);
	put_opt_i64(st, 36, r->outcome == MP_JN_NO_SYNACK, r->gave_up);
	if (store_run(st, S_JOIN_ATTEMPT, "inserting a join attempt"))
		st->pending++;
}

void mp_store_on_address_use(struct mp_store *st, const struct mp_addr_use *u)
{
	char addr[INET6_ADDRSTRLEN], list[MP_AU_JOINS_MAX * 48] = "";
	size_t l = 0;

	if (!st || st->failed)
		return;
	addr_str(addr, sizeof addr, u->family, u->addr);
	for (uint32_t i = 0; i < u->n_joins && i < MP_AU_JOINS_MAX; i++)
		l += (size_t)snprintf(list + l, sizeof list - l, "%s%lld:%s", i ? "," : "",
				      (long long)store_sf_id(st, u->join_sf[i]),
				      mp_jn_outcome_name(u->join_outcome[i]));
	put_i64(st, 1, st->capture_id);
	put_i64(st, 2, u->id);
	put_conn(st, 3, u->conn);
	put_text(st, 4, mp_jn_host_name(u->announcer));
	put_i64(st, 5, u->addr_id);
	put_text(st, 6, addr);
	put_opt_i64(st, 7, u->has_port, u->port);
	put_ts(st, 8, u->t_announce_ns);
	put_i64(st, 9, (int64_t)u->frame);
	put_i64(st, 10, u->retransmissions);
	put_ts(st, 11, u->t_echo_ns);
	put_opt_i64(st, 12, u->echo_frame != 0, (int64_t)u->echo_frame);
	put_tri(st, 13, u->hmac_ok);
	put_text(st, 14, u->hmac_ok == MP_OK_TRUE
			 ? mp_hmac_side_name((enum mp_hmac_side)u->hmac_side) : NULL);
	put_tri(st, 15, u->c_flag);
	put_i64(st, 16, u->initial);
	put_ts(st, 17, u->t_removed_ns);
	put_opt_i64(st, 18, u->removed_frame != 0, (int64_t)u->removed_frame);
	put_i64(st, 19, u->n_joins);
	put_i64(st, 20, u->n_established);
	put_text(st, 21, list);
	put_text(st, 22, mp_au_verdict_name(u->verdict));
	if (store_run(st, S_ANNOUNCE, "inserting an address record"))
		st->pending++;
}
