/* SPDX-License-Identifier: BSD-2-Clause */
/* sqlite.c - the SQLite back end of the store (mpana --db FILE): the
 * statements, opening and locking, the schema, transactions. The rows are
 * put by rows.c and analysis_rows.c; store.c drives batches. Internals:
 * store_int.h.
 *
 * Schema in docs/schema.sql (embedded as mp_schema_sql), documentation in
 * docs/sqlite.md. STYLE R16: WAL with synchronous=NORMAL,
 * sqlite3_prepare_v3(SQLITE_PREPARE_PERSISTENT) once per statement,
 * sqlite3_step() checked against SQLITE_DONE. Ids are made unique in the
 * database by offsetting the engine's per-run numbers with the largest ids
 * present when the run starts; a second writer is refused (flock on the
 * database file) so the offsets cannot collide. Connection and subflow rows
 * are written as stubs when first seen in an event, so that a database cut
 * by kill -9 still names them, and completed when the engine finalizes
 * them. */
#include "store_int.h"

static const char *const sql[S__COUNT] = {
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
		   " reinj_bytes, fallback_frame, fallback_side, complete)"
		   " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
		   " ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,"
		   " ?22, ?23, ?24, ?25, ?26, ?27, 1)",
	[S_SF] = "INSERT OR REPLACE INTO subflows(id, conn_id, capture_id, sf_no,"
		 " kind, src_addr, src_port, dst_addr, dst_port, initial, backup,"
		 " local_addr_id, remote_addr_id, token, syn_ts, established_ts,"
		 " closed_ts, close_reason, tcprst_reason, state, fallback, hmac_ok,"
		 " orphan, bytes_fwd, bytes_rev, pkts_fwd, pkts_rev, retrans_fwd,"
		 " retrans_rev, reinj_fwd, reinj_rev, fallback_frame, fallback_side,"
		 " complete)"
		 " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
		 " ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26,"
		 " ?27, ?28, ?29, ?30, ?31, ?32, ?33, 1)",
	[S_ADDR] = "INSERT INTO addresses(conn_id, addr_id, addr, port, announced_by,"
		   " frame, removed_ts, echoed, hmac_ok, hmac_bits, announced_ts)"
		   " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
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
	[S_STALL] = "INSERT INTO stalls(capture_id, conn_id, direction, t_start,"
		    " frame, t_end, end_frame, ended, duration_ms, data_ack, dsn_end,"
		    " data_pkts, sf_acks) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
		    " ?10, ?11, ?12, ?13)",
};

static void fail_rc(struct mp_store *st, const char *what, int rc)
{
	store_fail_msg(st, what, st->db && sqlite3_errcode(st->db) == rc
				 ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
}

/* Binds the row put so far, steps the statement to completion, resets it. */
static bool sq_run(struct mp_store *st, int which, const char *what)
{
	sqlite3_stmt *s = st->s[which];
	int rc;

	for (int i = 1; i <= st->row_n; i++) {
		const struct fld *f = &st->row[i];
		switch (f->type) {
		case F_INT: sqlite3_bind_int64(s, i, f->i); break;
		case F_REAL: sqlite3_bind_double(s, i, f->d); break;
		/* the text lives until store_run() returns, after the reset */
		case F_TEXT: sqlite3_bind_text(s, i, f->t, -1, SQLITE_STATIC); break;
		default: sqlite3_bind_null(s, i); break;
		}
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fail_rc(st, what, rc);
		sqlite3_reset(s);
		return false;
	}
	sqlite3_reset(s);
	return true;
}

static bool sq_begin(struct mp_store *st)
{
	if (st->in_tx)
		return true;
	if (!store_run(st, S_BEGIN, "starting a transaction"))
		return false;
	st->in_tx = true;
	return true;
}

/* The rows went in as they came: only the transaction must be open. */
static bool sq_flush(struct mp_store *st)
{
	return sq_begin(st);
}

static bool sq_commit(struct mp_store *st)
{
	if (!store_run(st, S_COMMIT, "committing")) {
		/* SQLITE_FULL or an I/O error: roll back what is left */
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		st->in_tx = false;
		return false;
	}
	st->in_tx = false;
	return true;
}

static void sq_close(struct mp_store *st)
{
	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(st->s[i]);
	if (st->db && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	if (st->db) {
		int rc = sqlite3_close(st->db);
		if (rc != SQLITE_OK && !st->failed)
			store_fail_msg(st, "closing", sqlite3_errstr(rc));
		st->db = NULL;
	}
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	st->lock_fd = -1;
}

const struct store_backend store_sqlite_backend = {
	.run = sq_run,
	.begin = sq_begin,
	.flush = sq_flush,
	.commit = sq_commit,
	.close = sq_close,
};

/* ---- open ----------------------------------------------------------- */

static int64_t query_i64(struct mp_store *st, const char *q, int *rc)
{
	sqlite3_stmt *s = NULL;
	int64_t v = 0;

	*rc = sqlite3_prepare_v2(st->db, q, -1, &s, NULL);
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
		store_fail_msg(st, "open", strerror(errno));
		return false;
	}
	if (flock(st->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			store_fail_msg(st, "the database is being written by another"
				       " mpana process", "wait for it to end or use another file");
		else
			store_fail_msg(st, "lock", strerror(errno));
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
		fail_rc(st, "reading the schema version", rc);
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
		store_fail_msg(st, "creating the schema", err ? err : sqlite3_errstr(rc));
		sqlite3_free(err);
		return false;
	}
	return true;
}

static bool start_capture(struct mp_store *st, const char *source)
{
	sqlite3_stmt *s = NULL;
	char started[32], host[256];
	int rc;

	st->conn_base = query_i64(st, "SELECT coalesce(max(id), 0) FROM connections", &rc);
	if (rc == SQLITE_OK)
		st->sf_base = query_i64(st, "SELECT coalesce(max(id), 0) FROM subflows", &rc);
	if (rc != SQLITE_OK) {
		fail_rc(st, "reading the largest ids", rc);
		return false;
	}
	store_started(started, sizeof started);
	store_host(host, sizeof host);
	rc = sqlite3_prepare_v2(st->db,
		"INSERT INTO captures(source, linktype, conn_base, subflow_base,"
		" started, mpana_version, host) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1,
		&s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, source ? source : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(s, 2, st->cfg.linktype);
		sqlite3_bind_int64(s, 3, st->conn_base);
		sqlite3_bind_int64(s, 4, st->sf_base);
		sqlite3_bind_text(s, 5, started, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 6, MPANA_VERSION, -1, SQLITE_STATIC);
		if (host[0])
			sqlite3_bind_text(s, 7, host, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(s);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK) {
		fail_rc(st, "inserting the capture row", rc);
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
		fail_rc(st, "PRAGMA journal_mode", rc);
		return false;
	}
	return true;
}

bool store_sqlite_open(struct mp_store *st, const char *path, const char *source)
{
	int rc;

	(void)path; /* st->path is that copy */
	st->lock_fd = -1;
	rc = sqlite3_open_v2(st->path, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		store_fail_msg(st, "cannot open the database",
			       st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		return false;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, st->cfg.busy_timeout_ms);
	/* an empty new file is created only at the first write: force it */
	rc = sqlite3_exec(st->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		fail_rc(st, "cannot write the database (PRAGMA journal_mode)", rc);
		return false;
	}
	if (!lock_writer(st))
		return false;
	rc = sqlite3_exec(st->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		fail_rc(st, "PRAGMA synchronous", rc);
		return false;
	}
	if (!wal_check(st))
		return false;
	rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		fail_rc(st, "starting a transaction", rc);
		return false;
	}
	if (!setup_schema(st) || !start_capture(st, source))
		return false; /* sq_close rolls back */
	rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		fail_rc(st, "committing the schema", rc);
		return false;
	}
	if (st->cfg.max_pages) {
		char pragma[64];
		snprintf(pragma, sizeof pragma, "PRAGMA max_page_count = %u",
			 (unsigned)st->cfg.max_pages);
		sqlite3_exec(st->db, pragma, NULL, NULL, NULL);
	}
	for (int i = 0; i < S__COUNT; i++) {
		rc = sqlite3_prepare_v3(st->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					&st->s[i], NULL);
		if (rc != SQLITE_OK) {
			fail_rc(st, "preparing a statement", rc);
			return false;
		}
	}
	return true;
}
