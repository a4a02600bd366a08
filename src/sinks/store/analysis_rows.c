/* SPDX-License-Identifier: BSD-2-Clause */
/* analysis_rows.c - rows of the analysis stage: outage episodes and failbacks, connection stalls, join attempts, announced addresses' use (docs/sqlite.md). */
#include "store_int.h"

/* ---- failovers ------------------------------------------------------ */

void mp_store_on_stall(struct mp_store *st, const struct mp_stall *x)
{
	sqlite3_stmt *s;

	if (!st || st->failed)
		return;
	s = st->s[S_STALL];
	sqlite3_bind_int64(s, 1, st->capture_id);
	bind_id(s, 2, st->conn_base, x->conn);
	sqlite3_bind_text(s, 3, mp_stall_dir_name(x->dir), -1, SQLITE_STATIC);
	bind_ts(s, 4, x->t_start);
	sqlite3_bind_int64(s, 5, (int64_t)x->frame);
	bind_ts(s, 6, x->t_end);
	bind_opt_i64(s, 7, x->end_frame != 0, (int64_t)x->end_frame);
	sqlite3_bind_int(s, 8, x->ended);
	bind_ms(s, 9, true, x->t_end - x->t_start);
	/* DSNs are 64-bit unsigned: SQLite keeps the bits as a signed integer */
	sqlite3_bind_int64(s, 10, (int64_t)x->data_ack);
	sqlite3_bind_int64(s, 11, (int64_t)x->dsn_end);
	sqlite3_bind_int64(s, 12, (int64_t)x->data_pkts);
	sqlite3_bind_int64(s, 13, (int64_t)x->sf_acks);
	if (store_run(st, S_STALL, "inserting a stall"))
		st->pending++;
}

void mp_store_on_failover(struct mp_store *st, const struct mp_failover *f)
{
	sqlite3_stmt *s;

	if (!st || st->failed)
		return;
	s = st->s[S_FAILOVER];
	sqlite3_bind_int64(s, 1, st->capture_id);
	sqlite3_bind_int64(s, 2, f->id);
	bind_id(s, 3, st->conn_base, f->conn);
	sqlite3_bind_text(s, 4, mp_fo_dir_name(f->dir), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, mp_fo_vantage_name(f->vantage), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, mp_fo_kind_name(f->kind), -1, SQLITE_STATIC);
	bind_id(s, 7, st->sf_base, f->from_sf);
	bind_id(s, 8, st->sf_base, f->to_sf);
	bind_ts(s, 9, f->t_fail_ns);
	sqlite3_bind_int64(s, 10, (int64_t)f->fail_frame);
	bind_ts(s, 11, f->t_first_reinject_ns);
	bind_opt_i64(s, 12, f->first_reinject_frame != 0, (int64_t)f->first_reinject_frame);
	bind_ts(s, 13, f->t_recovered_ns);
	bind_opt_i64(s, 14, f->recovered_frame != 0, (int64_t)f->recovered_frame);
	bind_ms(s, 15, true, f->latency_ns);
	sqlite3_bind_int(s, 16, f->lower_bound);
	sqlite3_bind_int64(s, 17, (int64_t)f->lost_bytes);
	/* DSNs are 64-bit unsigned: SQLite keeps the bits as a signed integer */
	bind_opt_i64(s, 18, f->lost_dsn_end != 0, (int64_t)f->lost_dsn_end);
	bind_ms(s, 19, true, f->stall_ns);
	bind_text(s, 20, f->cause ? mp_fo_cause_name(f->cause) : NULL);
	bind_id(s, 21, st->sf_base, f->join_sf);
	bind_ms(s, 22, f->join_sf != 0, f->join_setup_ns);
	bind_ts(s, 23, f->t_sent_ns);
	bind_opt_i64(s, 24, f->sent_frame != 0, (int64_t)f->sent_frame);
	bind_ms(s, 25, f->t_sent_ns && f->t_recovered_ns, f->t_recovered_ns - f->t_sent_ns);
	if (store_run(st, S_FAILOVER, "inserting a failover"))
		st->pending++;
}

void mp_store_on_failback(struct mp_store *st, const struct mp_failover *f)
{
	sqlite3_stmt *s;

	if (!st || st->failed)
		return;
	s = st->s[S_FAILBACK];
	sqlite3_bind_int64(s, 1, st->capture_id);
	sqlite3_bind_int64(s, 2, f->id);
	bind_ts(s, 3, f->t_failback_ns);
	sqlite3_bind_int64(s, 4, (int64_t)f->failback_frame);
	bind_id(s, 5, st->sf_base, f->failback_sf);
	bind_ms(s, 6, true, f->t_failback_ns - f->t_fail_ns);
	if (store_run(st, S_FAILBACK, "recording a failback"))
		st->pending++;
}

/* ---- join attempts, address use -------------------------------------- */

void mp_store_on_join_attempt(struct mp_store *st, const struct mp_join_attempt *r)
{
	sqlite3_stmt *s;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], tok[16];

	if (!st || st->failed)
		return;
	s = st->s[S_JOIN_ATTEMPT];
	addr_str(src, sizeof src, r->family, r->src);
	addr_str(dst, sizeof dst, r->family, r->dst);
	sqlite3_bind_int64(s, 1, st->capture_id);
	sqlite3_bind_int64(s, 2, r->id);
	bind_id(s, 3, st->conn_base, r->conn);
	bind_id(s, 4, st->sf_base, r->subflow);
	bind_text(s, 5, hex_u64(tok, sizeof tok, r->token, 8));
	sqlite3_bind_int(s, 6, r->token_known);
	bind_text(s, 7, mp_jn_host_name(r->initiator));
	bind_text(s, 8, src);
	sqlite3_bind_int(s, 9, r->sport);
	bind_text(s, 10, dst);
	sqlite3_bind_int(s, 11, r->dport);
	sqlite3_bind_int(s, 12, r->addr_id);
	sqlite3_bind_int(s, 13, r->backup);
	bind_opt_i64(s, 14, r->peer_id_known, r->peer_addr_id);
	bind_opt_i64(s, 15, r->peer_id_known, r->peer_backup);
	bind_ts(s, 16, r->t_syn_ns);
	sqlite3_bind_int64(s, 17, (int64_t)r->syn_frame);
	sqlite3_bind_int64(s, 18, r->retransmissions);
	bind_ts(s, 19, r->t_synack_ns);
	bind_opt_i64(s, 20, r->synack_frame != 0, (int64_t)r->synack_frame);
	bind_ts(s, 21, r->t_ack_ns);
	bind_opt_i64(s, 22, r->ack_frame != 0, (int64_t)r->ack_frame);
	bind_ts(s, 23, r->t_ack4_ns);
	bind_opt_i64(s, 24, r->ack4_frame != 0, (int64_t)r->ack4_frame);
	bind_ts(s, 25, r->t_established_ns);
	bind_ms(s, 26, r->outcome == MP_JN_ESTABLISHED && r->t_established_ns, r->setup_ns);
	sqlite3_bind_int(s, 27, r->inferred);
	bind_tri(s, 28, r->hmac_synack);
	bind_tri(s, 29, r->hmac_ack);
	bind_text(s, 30, mp_jn_hmac_name(r->hmac_failed));
	bind_text(s, 31, mp_jn_outcome_name(r->outcome));
	bind_ts(s, 32, r->t_reset_ns);
	bind_opt_i64(s, 33, r->reset_frame != 0, (int64_t)r->reset_frame);
	bind_text(s, 34, r->t_reset_ns ? (r->reset_by ? "responder" : "initiator") : NULL);
	bind_opt_i64(s, 35, r->tcprst_reason >= 0, r->tcprst_reason);
	bind_opt_i64(s, 36, r->outcome == MP_JN_NO_SYNACK, r->gave_up);
	if (store_run(st, S_JOIN_ATTEMPT, "inserting a join attempt"))
		st->pending++;
}

void mp_store_on_address_use(struct mp_store *st, const struct mp_addr_use *u)
{
	sqlite3_stmt *s;
	char addr[INET6_ADDRSTRLEN], list[MP_AU_JOINS_MAX * 48] = "";
	size_t l = 0;

	if (!st || st->failed)
		return;
	s = st->s[S_ANNOUNCE];
	addr_str(addr, sizeof addr, u->family, u->addr);
	for (uint32_t i = 0; i < u->n_joins && i < MP_AU_JOINS_MAX; i++)
		l += (size_t)snprintf(list + l, sizeof list - l, "%s%lld:%s", i ? "," : "",
				      (long long)(st->sf_base + u->join_sf[i]),
				      mp_jn_outcome_name(u->join_outcome[i]));
	sqlite3_bind_int64(s, 1, st->capture_id);
	sqlite3_bind_int64(s, 2, u->id);
	bind_id(s, 3, st->conn_base, u->conn);
	bind_text(s, 4, mp_jn_host_name(u->announcer));
	sqlite3_bind_int(s, 5, u->addr_id);
	bind_text(s, 6, addr);
	bind_opt_i64(s, 7, u->has_port, u->port);
	bind_ts(s, 8, u->t_announce_ns);
	sqlite3_bind_int64(s, 9, (int64_t)u->frame);
	sqlite3_bind_int64(s, 10, u->retransmissions);
	bind_ts(s, 11, u->t_echo_ns);
	bind_opt_i64(s, 12, u->echo_frame != 0, (int64_t)u->echo_frame);
	bind_tri(s, 13, u->hmac_ok);
	bind_text(s, 14, u->hmac_ok == MP_OK_TRUE
			 ? mp_hmac_side_name((enum mp_hmac_side)u->hmac_side) : NULL);
	bind_tri(s, 15, u->c_flag);
	sqlite3_bind_int(s, 16, u->initial);
	bind_ts(s, 17, u->t_removed_ns);
	bind_opt_i64(s, 18, u->removed_frame != 0, (int64_t)u->removed_frame);
	sqlite3_bind_int64(s, 19, u->n_joins);
	sqlite3_bind_int64(s, 20, u->n_established);
	bind_text(s, 21, list);
	bind_text(s, 22, mp_au_verdict_name(u->verdict));
	if (store_run(st, S_ANNOUNCE, "inserting an address record"))
		st->pending++;
}
