/* SPDX-License-Identifier: BSD-2-Clause */
/* store.c - the SQLite store: control events, connections, subflows,
 * addresses and failovers of one capture into a database (mpana --db).
 *
 * RFC 8684 §3 for what is stored; schema in docs/schema.sql (embedded as
 * mp_schema_sql), documentation in docs/sqlite.md. STYLE R16: WAL with
 * synchronous=NORMAL, sqlite3_prepare_v3(SQLITE_PREPARE_PERSISTENT) once per
 * statement, a commit every batch_events events or batch_ns of capture time
 * and at close, sqlite3_step() checked against SQLITE_DONE. Ids are made
 * unique in the database by offsetting the engine's per-run numbers with
 * the largest ids present when the run starts; a second writer is refused
 * (flock on the database file) so the offsets cannot collide. Connection and
 * subflow rows are written as stubs when first seen in an event, so that a
 * database cut by kill -9 still names them, and completed when the engine
 * finalizes them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sqlite3.h>

#define HASH_NONFATAL_OOM 1
#include <uthash.h>

#include "mpana/failover.h"
#include "mpana/joins.h"
#include "mpana/log.h"
#include "mpana/report.h"
#include "mpana/seq.h"
#include "mpana/stall.h"
#include "mpana/store.h"
#include "mpana/analyzer.h"
#include "mpana/crypto.h"

enum {
	S_BEGIN, S_COMMIT, S_ROLLBACK, S_EVENT, S_CONN_STUB, S_SF_STUB, S_CONN,
	S_SF, S_ADDR, S_FAILOVER, S_FAILBACK, S_OPTION, S_CAPTURE, S_OPTCOUNT,
	S_JOIN_ATTEMPT, S_ANNOUNCE,
	S_CONN_FB, S_SF_FB, S_STALL, /* fallback proofs, connection stalls */
	S__COUNT
};

static const char *const sql_text[S__COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_EVENT] = "INSERT INTO events(capture_id, ts, frame, conn_id, subflow_id,"
		    " type, ok, detail) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_CONN_STUB] = "INSERT OR IGNORE INTO connections(id, capture_id, conn_no,"
			" first_ts) VALUES(?1, ?2, ?3, ?4)",
	[S_SF_STUB] = "INSERT OR IGNORE INTO subflows(id, conn_id, capture_id, sf_no)"
		      " VALUES(?1, ?2, ?3, ?4)",
	[S_CONN] = "INSERT OR REPLACE INTO connections(id, capture_id, conn_no,"
		   " version, client_addr, client_port, server_addr, server_port,"
		   " client_key, server_key, client_token, server_token, first_ts,"
		   " last_ts, closed_ts, close_reason, fallback, app_proto, partial,"
		   " subflows, vantage, bytes_c2s, bytes_s2c, reinj_frames,"
		   " reinj_bytes, complete) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
		   " ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,"
		   " ?22, ?23, ?24, ?25, 1)",
	[S_SF] = "INSERT OR REPLACE INTO subflows(id, conn_id, capture_id, sf_no,"
		 " kind, src_addr, src_port, dst_addr, dst_port, initial, backup,"
		 " local_addr_id, remote_addr_id, token, syn_ts, established_ts,"
		 " closed_ts, close_reason, tcprst_reason, state, fallback, hmac_ok,"
		 " orphan, bytes_fwd, bytes_rev, pkts_fwd, pkts_rev, retrans_fwd,"
		 " retrans_rev, reinj_fwd, reinj_rev, complete)"
		 " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
		 " ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26,"
		 " ?27, ?28, ?29, ?30, ?31, 1)",
	[S_ADDR] = "INSERT INTO addresses(conn_id, addr_id, addr, port, announced_by,"
		   " announced_ts, frame, removed_ts, echoed, hmac_ok, hmac_bits)"
		   " VALUES(?1, ?2, ?3, ?4, ?5,"
		   " ?11, ?6, ?7, ?8, ?9, ?10)",
	[S_FAILOVER] = "INSERT INTO failovers(capture_id, episode, conn_id, direction,"
		       " vantage, kind, from_subflow, to_subflow, t_fail, fail_frame,"
		       " t_first_reinject, first_reinject_frame, t_recovered,"
		       " recovered_frame, latency_ms, lower_bound, lost_bytes,"
		       " lost_dsn_end, stall_ms, cause, join_subflow, join_setup_ms,"
		       " t_sent, sent_frame, latency_from_sent_ms)"
		       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
		       " ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
	[S_FAILBACK] = "UPDATE failovers SET t_failback = ?3, failback_frame = ?4,"
		       " failback_subflow = ?5, failback_ms = ?6"
		       " WHERE capture_id = ?1 AND episode = ?2",
	[S_OPTION] = "INSERT INTO options(capture_id, frame, ts, conn_id, subflow_id,"
		     " src_addr, src_port, dst_addr, dst_port, tcp_flags, subtype,"
		     " len, error, data_ack, dsn, ssn, dll, data_fin, data_ack64,"
		     " dsn64, resend, seg_dsn, seg_len) VALUES(?1, ?2, ?3, ?4, ?5, ?6,"
		     " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,"
		     " ?20, ?21, ?22, ?23)",
	[S_CAPTURE] = "UPDATE captures SET linktype = ?2, first_ts = ?3, last_ts = ?4,"
		      " packets = ?5, tcp_packets = ?6, mptcp_packets = ?7,"
		      " complete = ?8, malformed = ?9 WHERE id = ?1",
	[S_OPTCOUNT] = "INSERT OR REPLACE INTO option_counts(capture_id, opt, count)"
		       " VALUES(?1, ?2, ?3)",
	[S_JOIN_ATTEMPT] = "INSERT INTO join_attempts(capture_id, attempt, conn_id,"
			   " subflow_id, token, token_known, initiator, src_addr, src_port,"
			   " dst_addr, dst_port, addr_id, backup, peer_addr_id, peer_backup,"
			   " t_syn, syn_frame, retransmissions, t_synack, synack_frame, t_ack,"
			   " ack_frame, t_ack4, ack4_frame, t_established, setup_ms, inferred,"
			   " hmac_synack, hmac_ack, hmac_failed, outcome, t_reset, reset_frame,"
			   " reset_by, tcprst_reason, gave_up) VALUES(?1, ?2, ?3, ?4, ?5, ?6,"
			   " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,"
			   " ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33,"
			   " ?34, ?35, ?36)",
	[S_ANNOUNCE] = "INSERT INTO announcements(capture_id, address_no, conn_id,"
		       " announcer, addr_id, addr, port, t_announce, frame,"
		       " retransmissions, t_echo, echo_frame, hmac_ok, hmac_bits, c_flag,"
		       " initial, t_removed, removed_frame, joins, joins_established,"
		       " join_list, verdict) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
		       " ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
	[S_CONN_FB] = "UPDATE connections SET fallback_frame = ?2, fallback_side = ?3"
		      " WHERE id = ?1",
	[S_SF_FB] = "UPDATE subflows SET fallback_frame = ?2, fallback_side = ?3"
		    " WHERE id = ?1",
	[S_STALL] = "INSERT INTO stalls(capture_id, conn_id, direction, t_start,"
		    " frame, t_end, end_frame, ended, duration_ms, data_ack, dsn_end,"
		    " data_pkts, sf_acks) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
		    " ?10, ?11, ?12, ?13)",
};

/* Capture point relative to a connection's hosts (connections.vantage). */
enum { NEAR_CLIENT = 0, NEAR_SERVER = 1, NEAR_UNKNOWN = 2 };

/* MP_CAPABLE handshake times of a live connection, for the vantage point. */
struct cinfo {
	UT_hash_handle hh;   /* st->cinfo by id */
	uint32_t id;         /* engine connection id */
	uint64_t ts[3];      /* mpc_syn, mpc_synack, mpc_ack; 0 unseen */
	uint8_t near;        /* NEAR_* */
};

struct mp_store {
	sqlite3 *db;               /* the connection */
	sqlite3_stmt *s[S__COUNT]; /* persistent statements */
	char *path;                /* owned copy of cfg.path */
	int lock_fd;               /* flock'ed descriptor of the file, -1 none */
	struct mp_store_cfg cfg;   /* copy; strings not kept */
	int64_t capture_id;        /* captures.id of this run */
	int64_t conn_base;         /* connections.id = conn_base + engine id */
	int64_t sf_base;           /* subflows.id = sf_base + engine id */
	bool in_tx;                /* a transaction is open */
	bool failed;               /* an error was reported: inert */
	uint32_t pending;          /* rows since the last commit */
	uint64_t batch_ts;         /* capture time of the batch start, 0 unset */
	uint32_t last_conn_stub;   /* conn id stubbed last (skip repeats) */
	uint32_t last_sf_stub;     /* subflow id stubbed last */
	struct cinfo *cinfo;       /* live connections' handshake times */
};

/* ---- helpers ------------------------------------------------------- */

static void fail(struct mp_store *st, const char *what, int rc)
{
	if (st->failed)
		return;
	st->failed = true;
	MP_LOG(MP_LOG_ERR, "%s: %s: %s", st->path, what,
	       st->db && sqlite3_errcode(st->db) == rc ? sqlite3_errmsg(st->db)
						       : sqlite3_errstr(rc));
}

/* Steps a bound statement to completion and resets it. */
static bool run(struct mp_store *st, int which, const char *what)
{
	sqlite3_stmt *s = st->s[which];
	int rc;

	if (st->failed)
		return false;
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fail(st, what, rc);
		sqlite3_reset(s);
		return false;
	}
	sqlite3_reset(s);
	return true;
}

static double secs(uint64_t ns)
{
	return (double)(ns / 1000000000u) + (double)(ns % 1000000000u) / 1e9;
}

static void bind_ts(sqlite3_stmt *s, int i, uint64_t ns)
{
	if (ns)
		sqlite3_bind_double(s, i, secs(ns));
	else
		sqlite3_bind_null(s, i);
}

static void bind_text(sqlite3_stmt *s, int i, const char *t)
{
	if (t && *t)
		sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static void bind_tri(sqlite3_stmt *s, int i, int ok)
{
	if (ok == MP_OK_TRUE || ok == MP_OK_FALSE)
		sqlite3_bind_int(s, i, ok);
	else
		sqlite3_bind_null(s, i);
}

static void bind_id(sqlite3_stmt *s, int i, int64_t base, uint32_t id)
{
	if (id)
		sqlite3_bind_int64(s, i, base + id);
	else
		sqlite3_bind_null(s, i);
}

static void addr_str(char *buf, size_t n, uint8_t family, const uint8_t *a)
{
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)n))
		buf[0] = '\0';
}

static const char *hex_u64(char *buf, size_t n, uint64_t v, unsigned digits)
{
	snprintf(buf, n, "0x%0*llx", (int)digits, (unsigned long long)v);
	return buf;
}

/* ---- transactions --------------------------------------------------- */

static void update_capture(struct mp_store *st, bool complete)
{
	sqlite3_stmt *s = st->s[S_CAPTURE];
	const struct mp_stats *t = st->cfg.stats;

	sqlite3_bind_int64(s, 1, st->capture_id);
	sqlite3_bind_int(s, 2, st->cfg.linktype);
	bind_ts(s, 3, t && t->packets ? t->first_ts_ns : 0);
	bind_ts(s, 4, t && t->packets ? t->last_ts_ns : 0);
	sqlite3_bind_int64(s, 5, t ? (int64_t)t->packets : 0);
	sqlite3_bind_int64(s, 6, t ? (int64_t)t->tcp : 0);
	sqlite3_bind_int64(s, 7, t ? (int64_t)t->mptcp_packets : 0);
	sqlite3_bind_int(s, 8, complete);
	sqlite3_bind_int64(s, 9, t ? (int64_t)t->malformed : 0);
	run(st, S_CAPTURE, "updating the capture row");
	/* Exact option counts per subtype (mpana check: option.NAME). */
	for (unsigned i = 0; t && i < 17; i++) {
		char name[16];
		if (!t->options[i])
			continue;
		if (i == 16)
			snprintf(name, sizeof name, "unreadable");
		else if (!strcmp(mp_subtype_name((uint8_t)i), "unknown"))
			snprintf(name, sizeof name, "unknown_%u", i);
		else
			snprintf(name, sizeof name, "%s", mp_subtype_name((uint8_t)i));
		s = st->s[S_OPTCOUNT];
		sqlite3_bind_int64(s, 1, st->capture_id);
		sqlite3_bind_text(s, 2, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 3, (int64_t)t->options[i]);
		run(st, S_OPTCOUNT, "updating the option counts");
	}
}

static bool begin(struct mp_store *st)
{
	if (st->in_tx || st->failed)
		return !st->failed;
	if (!run(st, S_BEGIN, "starting a transaction"))
		return false;
	st->in_tx = true;
	st->pending = 0;
	return true;
}

static int commit(struct mp_store *st, bool complete, bool again)
{
	if (st->failed)
		return -1;
	if (!st->in_tx && !begin(st))
		return -1;
	update_capture(st, complete);
	if (!run(st, S_COMMIT, "committing")) {
		/* SQLITE_FULL or an I/O error: roll back what is left */
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		st->in_tx = false;
		return -1;
	}
	st->in_tx = false;
	st->pending = 0;
	if (again && !begin(st))
		return -1;
	return 0;
}

int mp_store_commit(struct mp_store *st)
{
	return st ? commit(st, false, true) : -1;
}

/* Commits when the batch is full or 1 s of capture time old. */
static void maybe_commit(struct mp_store *st, uint64_t ts_ns)
{
	if (st->failed)
		return;
	if (!st->batch_ts || ts_ns < st->batch_ts)
		st->batch_ts = ts_ns;
	/* batch_events is at least 1 (mp_store_open): nothing to commit
	 * without pending events, the usual case */
	if (st->pending && (st->pending >= st->cfg.batch_events ||
			    ts_ns - st->batch_ts >= st->cfg.batch_ns)) {
		commit(st, false, true);
		st->batch_ts = ts_ns;
	}
}

/* ---- failovers ------------------------------------------------------ */

static void bind_opt_i64(sqlite3_stmt *s, int i, bool present, int64_t v)
{
	if (present)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

static void bind_ms(sqlite3_stmt *s, int i, bool present, uint64_t ns)
{
	if (present)
		sqlite3_bind_double(s, i, (double)ns / 1e6);
	else
		sqlite3_bind_null(s, i);
}

/* The packet that proves a fallback and who fell back, on the row `id`
 * of connections (S_CONN_FB) or subflows (S_SF_FB) just written. */
static void put_fallback_proof(struct mp_store *st, int which, int64_t id,
			       uint64_t frame, uint8_t side)
{
	sqlite3_stmt *s = st->s[which];

	sqlite3_bind_int64(s, 1, id);
	bind_opt_i64(s, 2, frame != 0, (int64_t)frame);
	bind_text(s, 3, mp_fallback_side_name(side));
	run(st, which, "writing a fallback's proof");
}

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
	if (run(st, S_STALL, "inserting a stall"))
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
	if (run(st, S_FAILOVER, "inserting a failover"))
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
	if (run(st, S_FAILBACK, "recording a failback"))
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
	if (run(st, S_JOIN_ATTEMPT, "inserting a join attempt"))
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
	if (run(st, S_ANNOUNCE, "inserting an address record"))
		st->pending++;
}

/* ---- open / close --------------------------------------------------- */

static int64_t query_i64(struct mp_store *st, const char *sql, int *rc)
{
	sqlite3_stmt *s = NULL;
	int64_t v = 0;

	*rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (*rc == SQLITE_OK) {
		*rc = sqlite3_step(s);
		if (*rc == SQLITE_ROW) {
			v = sqlite3_column_int64(s, 0);
			*rc = SQLITE_OK;
		} else if (*rc == SQLITE_DONE) {
			*rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(s);
	return v;
}

/* Refuses a second writer: an exclusive flock() on the database file,
 * which SQLite's own fcntl() locks do not interact with on Linux. */
static bool lock_writer(struct mp_store *st)
{
	st->lock_fd = open(st->path, O_RDONLY | O_CLOEXEC);
	if (st->lock_fd < 0) {
		MP_LOG(MP_LOG_ERR, "%s: %s", st->path, strerror(errno));
		st->failed = true;
		return false;
	}
	if (flock(st->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			MP_LOG(MP_LOG_ERR, "%s: the database is being written by another"
			       " mpana process; wait for it to end or use another file",
			       st->path);
		else
			MP_LOG(MP_LOG_ERR, "%s: lock: %s", st->path, strerror(errno));
		st->failed = true;
		return false;
	}
	return true;
}

static bool setup_schema(struct mp_store *st)
{
	char *err = NULL;
	int64_t ver;
	int rc;

	ver = query_i64(st, "PRAGMA user_version", &rc);
	if (rc != SQLITE_OK) {
		fail(st, "reading the schema version", rc);
		return false;
	}
	if (ver != 0 && ver != MP_SCHEMA_VERSION) {
		MP_LOG(MP_LOG_ERR, "%s: schema version %lld, this mpana writes version %d;"
		       " use a new file", st->path, (long long)ver, MP_SCHEMA_VERSION);
		st->failed = true;
		return false;
	}
	rc = sqlite3_exec(st->db, mp_schema_sql, NULL, NULL, &err);
	if (rc != SQLITE_OK) {
		MP_LOG(MP_LOG_ERR, "%s: creating the schema: %s", st->path,
		       err ? err : sqlite3_errstr(rc));
		sqlite3_free(err);
		st->failed = true;
		return false;
	}
	return true;
}

static bool start_capture(struct mp_store *st, const char *source)
{
	sqlite3_stmt *s = NULL;
	char started[32];
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	st->conn_base = query_i64(st, "SELECT coalesce(max(id), 0) FROM connections", &rc);
	if (rc == SQLITE_OK)
		st->sf_base = query_i64(st, "SELECT coalesce(max(id), 0) FROM subflows", &rc);
	if (rc != SQLITE_OK) {
		fail(st, "reading the largest ids", rc);
		return false;
	}
	gmtime_r(&now, &tm);
	strftime(started, sizeof started, "%Y-%m-%d %H:%M:%SZ", &tm);
	rc = sqlite3_prepare_v2(st->db,
		"INSERT INTO captures(source, linktype, conn_base, subflow_base,"
		" started, mpana_version) VALUES(?1, ?2, ?3, ?4, ?5, ?6)", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, source ? source : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(s, 2, st->cfg.linktype);
		sqlite3_bind_int64(s, 3, st->conn_base);
		sqlite3_bind_int64(s, 4, st->sf_base);
		sqlite3_bind_text(s, 5, started, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 6, MPANA_VERSION, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK) {
		fail(st, "inserting the capture row", rc);
		return false;
	}
	st->capture_id = sqlite3_last_insert_rowid(st->db);
	return true;
}

/* WAL mode sticks to the file; a file system without shared memory
 * support leaves the old mode, which is reported and accepted. */
static bool wal_check(struct mp_store *st)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode", -1, &s, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *m = sqlite3_column_text(s, 0);
		if (!m || strcmp((const char *)m, "wal") != 0)
			MP_LOG(MP_LOG_WARN, "%s: journal mode %s, not wal", st->path,
			       m ? (const char *)m : "unknown");
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK) {
		fail(st, "PRAGMA journal_mode", rc);
		return false;
	}
	return true;
}

struct mp_store *mp_store_open(const struct mp_store_cfg *cfg)
{
	struct mp_store *st = calloc(1, sizeof *st);
	int rc;

	if (!st || !(st->path = strdup(cfg->path))) {
		MP_LOG(MP_LOG_ERR, "%s: out of memory", cfg->path);
		free(st);
		return NULL;
	}
	st->lock_fd = -1;
	st->cfg = *cfg;
	st->cfg.path = st->cfg.source = NULL; /* not kept */
	if (!st->cfg.batch_events)
		st->cfg.batch_events = MP_STORE_BATCH_EVENTS;
	if (!st->cfg.batch_ns)
		st->cfg.batch_ns = MP_STORE_BATCH_NS;
	if (!st->cfg.busy_timeout_ms)
		st->cfg.busy_timeout_ms = 5000;

	rc = sqlite3_open_v2(st->path, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		MP_LOG(MP_LOG_ERR, "%s: cannot open the database: %s", st->path,
		       st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto err;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, st->cfg.busy_timeout_ms);
	/* an empty new file is created only at the first write: force it */
	rc = sqlite3_exec(st->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		fail(st, "cannot write the database (PRAGMA journal_mode)", rc);
		goto err;
	}
	if (!lock_writer(st))
		goto err;
	rc = sqlite3_exec(st->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		fail(st, "PRAGMA synchronous", rc);
		goto err;
	}
	if (!wal_check(st))
		goto err;
	rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		fail(st, "starting a transaction", rc);
		goto err;
	}
	if (!setup_schema(st) || !start_capture(st, cfg->source))
		goto err_rollback;
	rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		fail(st, "committing the schema", rc);
		goto err_rollback;
	}
	if (st->cfg.max_pages) {
		char pragma[64];
		snprintf(pragma, sizeof pragma, "PRAGMA max_page_count = %u",
			 (unsigned)st->cfg.max_pages);
		sqlite3_exec(st->db, pragma, NULL, NULL, NULL);
	}
	for (int i = 0; i < S__COUNT; i++) {
		rc = sqlite3_prepare_v3(st->db, sql_text[i], -1,
					SQLITE_PREPARE_PERSISTENT, &st->s[i], NULL);
		if (rc != SQLITE_OK) {
			fail(st, "preparing a statement", rc);
			goto err;
		}
	}
	if (!begin(st))
		goto err;
	return st;

err_rollback:
	if (st->db && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
err:
	st->failed = true;
	mp_store_close(st);
	return NULL;
}

bool mp_store_failed(const struct mp_store *st)
{
	return !st || st->failed;
}

void mp_store_set_linktype(struct mp_store *st, int linktype)
{
	if (st)
		st->cfg.linktype = linktype;
}

int mp_store_close(struct mp_store *st)
{
	struct cinfo *ci, *tmp;
	int ret;

	if (!st)
		return 0;
	if (st->db && !st->failed)
		commit(st, true, false);
	ret = st->failed ? -1 : 0;
	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(st->s[i]);
	if (st->db && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	if (st->db) {
		int rc = sqlite3_close(st->db);
		if (rc != SQLITE_OK && ret == 0) {
			MP_LOG(MP_LOG_ERR, "%s: closing: %s", st->path, sqlite3_errstr(rc));
			ret = -1;
		}
	}
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	HASH_ITER(hh, st->cinfo, ci, tmp) {
		HASH_DELETE(hh, st->cinfo, ci);
		free(ci);
	}
	free(st->path);
	free(st);
	return ret;
}

/* ---- events ------------------------------------------------------- */

static struct cinfo *cinfo_get(struct mp_store *st, uint32_t id, bool create)
{
	struct cinfo *ci = NULL;

	HASH_FIND(hh, st->cinfo, &id, sizeof id, ci);
	if (ci || !create)
		return ci;
	ci = calloc(1, sizeof *ci);
	if (!ci)
		return NULL;
	ci->id = id;
	ci->near = NEAR_UNKNOWN;
	HASH_ADD(hh, st->cinfo, id, sizeof ci->id, ci);
	if (!st->cinfo) {
		free(ci);
		return NULL;
	}
	return ci;
}

/* The capture point is near the host that answers at once: on the client
 * side SYN → SYN/ACK takes a round trip and SYN/ACK → ACK almost nothing. */
static void handshake_time(struct mp_store *st, const struct mp_event *ev,
			   unsigned step)
{
	struct cinfo *ci = cinfo_get(st, ev->conn, true);

	if (!ci || ci->ts[step])
		return;
	ci->ts[step] = ev->ts_ns ? ev->ts_ns : 1;
	if (ci->ts[0] && ci->ts[1] && ci->ts[2] && ci->ts[1] >= ci->ts[0] &&
	    ci->ts[2] >= ci->ts[1]) {
		uint64_t there = ci->ts[1] - ci->ts[0], back = ci->ts[2] - ci->ts[1];
		/* only a clear difference counts (sub-ms lab RTTs are noisy) */
		ci->near = there >= 2 * back ? NEAR_CLIENT
			 : back >= 2 * there ? NEAR_SERVER : NEAR_UNKNOWN;
	}
}

/* The MP_CAPABLE handshake's timing, for connections.vantage. */
static void handshake_step(struct mp_store *st, const struct mp_event *ev)
{
	switch (ev->type) {
	case MP_EV_MPC_SYN:
		handshake_time(st, ev, 0);
		break;
	case MP_EV_MPC_SYNACK:
		handshake_time(st, ev, 1);
		break;
	case MP_EV_MPC_ACK:
		handshake_time(st, ev, 2);
		break;
	default:
		break;
	}
}

void mp_store_on_event(void *user, const struct mp_event *ev)
{
	struct mp_store *st = user;
	sqlite3_stmt *s;

	if (!st || st->failed)
		return;
	if (ev->conn && ev->conn != st->last_conn_stub) {
		s = st->s[S_CONN_STUB];
		sqlite3_bind_int64(s, 1, st->conn_base + ev->conn);
		sqlite3_bind_int64(s, 2, st->capture_id);
		sqlite3_bind_int64(s, 3, ev->conn);
		bind_ts(s, 4, ev->ts_ns);
		run(st, S_CONN_STUB, "inserting a connection");
		st->last_conn_stub = ev->conn;
	}
	if (ev->subflow && ev->subflow != st->last_sf_stub) {
		s = st->s[S_SF_STUB];
		sqlite3_bind_int64(s, 1, st->sf_base + ev->subflow);
		bind_id(s, 2, st->conn_base, ev->conn);
		sqlite3_bind_int64(s, 3, st->capture_id);
		sqlite3_bind_int64(s, 4, ev->subflow);
		run(st, S_SF_STUB, "inserting a subflow");
		st->last_sf_stub = ev->subflow;
	}
	s = st->s[S_EVENT];
	sqlite3_bind_int64(s, 1, st->capture_id);
	bind_ts(s, 2, ev->ts_ns);
	sqlite3_bind_int64(s, 3, (int64_t)ev->frame);
	bind_id(s, 4, st->conn_base, ev->conn);
	bind_id(s, 5, st->sf_base, ev->subflow);
	sqlite3_bind_text(s, 6, mp_ev_name(ev->type), -1, SQLITE_STATIC);
	bind_tri(s, 7, ev->ok);
	sqlite3_bind_text(s, 8, ev->detail, -1, SQLITE_STATIC); /* lives until reset */
	if (run(st, S_EVENT, "inserting an event"))
		st->pending++;
	if (ev->conn)
		handshake_step(st, ev);
	if (st->pending >= st->cfg.batch_events)
		commit(st, false, true);
}

/* ---- connections and subflows ------------------------------------- */

static void put_subflow(struct mp_store *st, const struct mp_subflow *sf)
{
	sqlite3_stmt *s = st->s[S_SF];
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], tok[24];
	bool initial = sf->kind == MP_SF_INITIAL;

	addr_str(src, sizeof src, sf->family, sf->src);
	addr_str(dst, sizeof dst, sf->family, sf->dst);
	sqlite3_bind_int64(s, 1, st->sf_base + sf->id);
	bind_id(s, 2, st->conn_base, sf->conn ? sf->conn->id : 0);
	sqlite3_bind_int64(s, 3, st->capture_id);
	sqlite3_bind_int64(s, 4, sf->id);
	sqlite3_bind_text(s, 5, mp_sf_kind_name(sf->kind), -1, SQLITE_STATIC);
	bind_text(s, 6, src);
	sqlite3_bind_int(s, 7, sf->sport);
	bind_text(s, 8, dst);
	sqlite3_bind_int(s, 9, sf->dport);
	sqlite3_bind_int(s, 10, initial);
	sqlite3_bind_int(s, 11, sf->backup);
	for (int k = 0; k < 2; k++) {
		if (sf->addr_id_known[k])
			sqlite3_bind_int(s, 12 + k, sf->addr_id[k]);
		else if (initial) /* RFC 8684 §3.4.1: address id 0 */
			sqlite3_bind_int(s, 12 + k, 0);
		else
			sqlite3_bind_null(s, 12 + k);
	}
	if (sf->kind == MP_SF_JOIN)
		bind_text(s, 14, hex_u64(tok, sizeof tok, sf->token, 8));
	else
		sqlite3_bind_null(s, 14);
	bind_ts(s, 15, sf->syn_ts);
	bind_ts(s, 16, sf->established_ts);
	bind_ts(s, 17, sf->closed_ts);
	bind_text(s, 18, mp_close_reason_name(sf->close_reason));
	if (sf->close_reason == MP_CLOSE_TCPRST)
		sqlite3_bind_int(s, 19, sf->tcprst_reason);
	else
		sqlite3_bind_null(s, 19);
	sqlite3_bind_text(s, 20, mp_sf_state_name(sf->state), -1, SQLITE_STATIC);
	bind_text(s, 21, mp_fallback_name(sf->fallback));
	bind_tri(s, 22, mp_subflow_hmac_ok(sf));
	sqlite3_bind_int(s, 23, sf->orphan);
	sqlite3_bind_int64(s, 24, (int64_t)sf->bytes[0]);
	sqlite3_bind_int64(s, 25, (int64_t)sf->bytes[1]);
	sqlite3_bind_int64(s, 26, (int64_t)sf->pkts[0]);
	sqlite3_bind_int64(s, 27, (int64_t)sf->pkts[1]);
	sqlite3_bind_int64(s, 28, (int64_t)sf->retrans_bytes[0]);
	sqlite3_bind_int64(s, 29, (int64_t)sf->retrans_bytes[1]);
	sqlite3_bind_int64(s, 30, (int64_t)sf->reinj_bytes[0]);
	sqlite3_bind_int64(s, 31, (int64_t)sf->reinj_bytes[1]);
	if (run(st, S_SF, "inserting a subflow"))
		st->pending++;
	if (sf->fallback)
		put_fallback_proof(st, S_SF_FB, st->sf_base + sf->id,
				   sf->fallback_frame, sf->fallback_side);
}

static void put_address(struct mp_store *st, const struct mp_conn *c,
			const struct mp_addr_ent *a)
{
	sqlite3_stmt *s = st->s[S_ADDR];
	char addr[INET6_ADDRSTRLEN];

	addr_str(addr, sizeof addr, a->family, a->addr);
	bind_id(s, 1, st->conn_base, c->id);
	sqlite3_bind_int(s, 2, a->id);
	bind_text(s, 3, addr);
	if (a->has_port)
		sqlite3_bind_int(s, 4, a->port);
	else
		sqlite3_bind_null(s, 4);
	sqlite3_bind_text(s, 5, a->host ? "server" : "client", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, (int64_t)a->frame);
	bind_ts(s, 7, a->removed ? a->removed_ts : 0);
	sqlite3_bind_int(s, 8, a->echoed);
	bind_tri(s, 9, a->hmac_ok);
	if (a->hmac_ok == MP_OK_TRUE)
		sqlite3_bind_text(s, 10, mp_hmac_side_name((enum mp_hmac_side)a->hmac_side),
				  -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 10);
	bind_ts(s, 11, a->ts);
	if (run(st, S_ADDR, "inserting an address"))
		st->pending++;
}

/* Data-level bytes of direction d: highest DSN end - IDSN - 1, without the
 * DATA_FIN's sequence number. -1 when unknown. */
static int64_t data_bytes(const struct mp_conn *c, int d)
{
	uint64_t n;

	if (!c->dir[d].dsn.valid || !c->key_known[d])
		return -1;
	n = c->dir[d].dsn.val - c->idsn[d] - 1u - (c->dir[d].data_fin ? 1u : 0u);
	return (int64_t)n < 0 ? -1 : (int64_t)n;
}

void mp_store_on_conn(void *user, const struct mp_conn *c)
{
	struct mp_store *st = user;
	sqlite3_stmt *s;
	char ca[INET6_ADDRSTRLEN], sa[INET6_ADDRSTRLEN], k[2][24], t[2][16];
	struct cinfo *ci;
	uint8_t near = NEAR_UNKNOWN;

	if (!st)
		return;
	ci = cinfo_get(st, c->id, false);
	if (ci) {
		near = ci->near;
		HASH_DELETE(hh, st->cinfo, ci);
		free(ci);
	}
	if (st->failed)
		return;
	s = st->s[S_CONN];
	addr_str(ca, sizeof ca, c->family, c->addr[0]);
	addr_str(sa, sizeof sa, c->family, c->addr[1]);
	sqlite3_bind_int64(s, 1, st->conn_base + c->id);
	sqlite3_bind_int64(s, 2, st->capture_id);
	sqlite3_bind_int64(s, 3, c->id);
	if (c->version != 0xff)
		sqlite3_bind_int(s, 4, c->version);
	else
		sqlite3_bind_null(s, 4);
	bind_text(s, 5, c->family ? ca : NULL);
	sqlite3_bind_int(s, 6, c->port[0]);
	bind_text(s, 7, c->family ? sa : NULL);
	sqlite3_bind_int(s, 8, c->port[1]);
	for (int h = 0; h < 2; h++) {
		bind_text(s, 9 + h, c->key_known[h] ? hex_u64(k[h], sizeof k[h], c->key[h], 16) : NULL);
		bind_text(s, 11 + h, c->token_known[h] ? hex_u64(t[h], sizeof t[h], c->token[h], 8) : NULL);
	}
	bind_ts(s, 13, c->first_ts);
	bind_ts(s, 14, c->last_ts);
	bind_ts(s, 15, c->closed_ts);
	bind_text(s, 16, mp_close_reason_name(c->close_reason));
	bind_text(s, 17, mp_fallback_name(c->fallback));
	bind_text(s, 18, c->app_proto);
	sqlite3_bind_int(s, 19, c->partial);
	sqlite3_bind_int(s, 20, (int)c->n_sf);
	sqlite3_bind_text(s, 21, near == NEAR_CLIENT ? "client"
			  : near == NEAR_SERVER ? "server" : "unknown", -1,
			  SQLITE_STATIC);
	for (int d = 0; d < 2; d++) {
		int64_t n = data_bytes(c, d);
		if (n >= 0)
			sqlite3_bind_int64(s, 22 + d, n);
		else
			sqlite3_bind_null(s, 22 + d);
	}
	sqlite3_bind_int64(s, 24, (int64_t)c->reinj_frames);
	sqlite3_bind_int64(s, 25, (int64_t)c->reinj_bytes);
	if (run(st, S_CONN, "inserting a connection"))
		st->pending++;
	if (c->fallback)
		put_fallback_proof(st, S_CONN_FB, st->conn_base + c->id,
				   c->fallback_frame, c->fallback_side);
	for (const struct mp_subflow *sf = c->sf_head; sf; sf = sf->conn_next)
		put_subflow(st, sf);
	for (unsigned i = 0; i < c->n_addrs; i++)
		put_address(st, c, &c->addrs[i]);
	if (st->last_conn_stub == c->id)
		st->last_conn_stub = 0;
}

void mp_store_on_subflow(void *user, const struct mp_subflow *sf)
{
	struct mp_store *st = user;

	if (st && !st->failed)
		put_subflow(st, sf);
}

/* ---- packets -------------------------------------------------------- */

static void put_options(struct mp_store *st, uint64_t frame, uint64_t ts_ns,
			const struct mp_pkt *p, const struct mp_pkt_ann *ann)
{
	sqlite3_stmt *s = st->s[S_OPTION];
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

	addr_str(src, sizeof src, p->family, p->src);
	addr_str(dst, sizeof dst, p->family, p->dst);
	for (unsigned i = 0; i < p->opts.n; i++) {
		const struct mp_opt *o = &p->opts.v[i];
		const struct mp_dss *d = &o->u.dss;
		bool dss = o->err == MP_E_NONE && o->subtype == MPTCP_SUB_DSS;

		sqlite3_bind_int64(s, 1, st->capture_id);
		sqlite3_bind_int64(s, 2, (int64_t)frame);
		bind_ts(s, 3, ts_ns);
		bind_id(s, 4, st->conn_base, ann ? ann->conn : 0);
		bind_id(s, 5, st->sf_base, ann ? ann->subflow : 0);
		bind_text(s, 6, src);
		sqlite3_bind_int(s, 7, p->sport);
		bind_text(s, 8, dst);
		sqlite3_bind_int(s, 9, p->dport);
		sqlite3_bind_int(s, 10, p->flags);
		sqlite3_bind_text(s, 11, mp_subtype_name(o->subtype), -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 12, o->len);
		bind_text(s, 13, o->err != MP_E_NONE ? mp_err_name((enum mp_err)o->err) : NULL);
		if (dss && (d->flags & DSS_A))
			sqlite3_bind_int64(s, 14, (int64_t)d->data_ack);
		else
			sqlite3_bind_null(s, 14);
		if (dss && (d->flags & DSS_M)) {
			sqlite3_bind_int64(s, 15, (int64_t)d->dsn);
			sqlite3_bind_int64(s, 16, d->ssn);
			sqlite3_bind_int(s, 17, d->dll);
		} else {
			sqlite3_bind_null(s, 15);
			sqlite3_bind_null(s, 16);
			sqlite3_bind_null(s, 17);
		}
		if (dss)
			sqlite3_bind_int(s, 18, (d->flags & DSS_F) != 0);
		else
			sqlite3_bind_null(s, 18);
		bind_opt_i64(s, 19, dss && (d->flags & DSS_A) && ann && ann->has_dack,
			     ann ? (int64_t)ann->dack : 0);
		bind_opt_i64(s, 20, dss && (d->flags & DSS_M) && ann && ann->has_dsn64,
			     ann ? (int64_t)ann->map_dsn : 0);
		bind_text(s, 21, dss && ann && ann->resend ? mp_resend_name(ann->resend) : NULL);
		bind_opt_i64(s, 22, dss && ann && ann->has_map, ann ? (int64_t)ann->seg_dsn : 0);
		bind_opt_i64(s, 23, dss && ann && ann->has_map, ann ? (int64_t)ann->seg_dlen : 0);
		if (!run(st, S_OPTION, "inserting an option"))
			return;
		st->pending++;
	}
}

void mp_store_packet(struct mp_store *st, uint64_t frame, uint64_t ts_ns,
		     const struct mp_pkt *p, const struct mp_pkt_ann *ann)
{
	if (!st || st->failed)
		return;
	if (st->cfg.packets && p->opts.n)
		put_options(st, frame, ts_ns, p, ann);
	maybe_commit(st, ts_ns);
}

/* ---- the store as a sink (analyzer.h) ------------------------------- */

static void sk_packet(struct mp_sink *s, const struct mp_frame *f,
		      const struct mp_pkt *p, const struct mp_pkt_ann *ann)
{
	mp_store_packet(s->user, f->num, f->ts_ns, p, ann);
}

static void sk_conn(struct mp_sink *s, const struct mp_conn *c)
{
	mp_store_on_conn(s->user, c);
}

static void sk_loose(struct mp_sink *s, const struct mp_subflow *sf)
{
	mp_store_on_subflow(s->user, sf);
}

static void sk_event(struct mp_sink *s, const struct mp_event *ev)
{
	mp_store_on_event(s->user, ev);
}

static void sk_failover(struct mp_sink *s, const struct mp_failover *f)
{
	mp_store_on_failover(s->user, f);
}

static void sk_failback(struct mp_sink *s, const struct mp_failover *f)
{
	mp_store_on_failback(s->user, f);
}

static void sk_join_attempt(struct mp_sink *s, const struct mp_join_attempt *r)
{
	mp_store_on_join_attempt(s->user, r);
}

static void sk_address(struct mp_sink *s, const struct mp_addr_use *u)
{
	mp_store_on_address_use(s->user, u);
}

static void sk_stall(struct mp_sink *s, const struct mp_stall *x)
{
	mp_store_on_stall(s->user, x);
}

static void sk_linktype(struct mp_sink *s, int dlt)
{
	mp_store_set_linktype(s->user, dlt);
}

static bool sk_failed(const struct mp_sink *s)
{
	return mp_store_failed(s->user);
}

static const struct mp_sink_ops store_ops = {
	.packet = sk_packet,
	.conn = sk_conn,
	.loose = sk_loose,
	.event = sk_event,
	.failover = sk_failover,
	.failback = sk_failback,
	.linktype = sk_linktype,
	.failed = sk_failed,
	.join_attempt = sk_join_attempt,
	.address = sk_address,
	.stall = sk_stall,
};

void mp_sink_store_init(struct mp_sink *s, struct mp_store *st)
{
	memset(s, 0, sizeof *s);
	s->ops = &store_ops;
	s->all_packets = true; /* its batches follow capture time */
	s->user = st;
}
