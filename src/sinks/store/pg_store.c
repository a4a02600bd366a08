/* SPDX-License-Identifier: BSD-2-Clause */
/* pg_store.c - the PostgreSQL back end of the store (mpana --db
 * postgresql://...): the connection, the schema, id blocks, the rows of a
 * batch as COPY text, and the batch's transaction. Internals: store_int.h;
 * documentation: docs/postgresql.md, docs/scale.md.
 *
 * libpq: https://www.postgresql.org/docs/15/libpq.html; COPY's text format:
 * https://www.postgresql.org/docs/15/sql-copy.html ("Text Format": columns
 * separated by a tab, \N for NULL, backslash escapes for backslash, tab,
 * newline and carriage return).
 *
 * Rows are kept in memory, one buffer of COPY text per table (the buffers
 * grow to a batch's size once and are reused: nothing is allocated per
 * packet), and sent at each commit inside one transaction: COPY ... FROM
 * STDIN per table, then the merges (below), then the capture row, then
 * COMMIT. The commit cadence is the SQLite store's (store.c).
 *
 * Several writers on several hosts may write into one database at once:
 *  - captures, events and the analysis tables take their ids from their
 *    identity sequences as the rows arrive;
 *  - connections and subflows take theirs from id blocks: each writer
 *    reserves block b of the sequence mpana_conn_blocks (mpana_subflow_blocks)
 *    and numbers engine connection n of that block b << MP_PG_ID_BITS plus
 *    its place in the block, reserving the next block when one is used up.
 *    A writer's events, subflows and analysis rows name its connections by
 *    these ids without asking the server. On a new database the first
 *    writer's block is 0, so its ids are those SQLite gives (conn_base 0).
 *  - a connection or subflow is written as a stub when first seen and
 *    completed at its end (sqlite.c uses INSERT OR IGNORE / OR REPLACE);
 *    here both go by COPY into temporary tables, merged at commit (the
 *    last full row of an id wins; a stub only adds a row that is not
 *    there). A failover's failback is an UPDATE of the same kind.
 *  - the schema is created under an advisory lock, so that writers
 *    starting together do not race; a database whose schema exists at this
 *    version is not altered (an INSERT-privileged role suffices). */
#include "store_int.h"

#include "mpana/db.h"
#include "mpana/escape.h"

#if MPANA_WITH_PG
#include <libpq-fe.h>

/* The COPY targets, in the order they are sent. */
enum {
	T_CONN, T_CONN_STUB, T_SF, T_SF_STUB, T_EVENT, T_OPTION, T_ADDR,
	T_FAILOVER, T_FAILBACK, T_STALL, T_JOIN, T_ANNOUNCE, T__COUNT
};

#define CONN_COLS "id, capture_id, conn_no, version, client_addr, client_port," \
	" server_addr, server_port, client_key, server_key, client_token," \
	" server_token, first_ts, last_ts, closed_ts, close_reason, fallback," \
	" app_proto, partial, subflows, vantage, bytes_c2s, bytes_s2c," \
	" reinj_frames, reinj_bytes, fallback_frame, fallback_side"
#define SF_COLS "id, conn_id, capture_id, sf_no, kind, src_addr, src_port," \
	" dst_addr, dst_port, initial, backup, local_addr_id, remote_addr_id," \
	" token, syn_ts, established_ts, closed_ts, close_reason, tcprst_reason," \
	" state, fallback, hmac_ok, orphan, bytes_fwd, bytes_rev, pkts_fwd," \
	" pkts_rev, retrans_fwd, retrans_rev, reinj_fwd, reinj_rev," \
	" fallback_frame, fallback_side"
#define FAILBACK_COLS "capture_id, episode, t_failback, failback_frame," \
	" failback_subflow, failback_ms"

/* Each statement's table and columns, in the order of its parameters
 * (store_int.h: the same numbers as sqlite.c's ?N). */
static const struct target {
	int stmt;          /* S_* */
	const char *table; /* COPY into it */
	const char *cols;  /* its columns, by parameter number */
} targets[T__COUNT] = {
	[T_CONN] = { S_CONN, "pg_temp.mpana_conn", CONN_COLS },
	[T_CONN_STUB] = { S_CONN_STUB, "pg_temp.mpana_conn_stub", "id, capture_id, conn_no, first_ts" },
	[T_SF] = { S_SF, "pg_temp.mpana_sf", SF_COLS },
	[T_SF_STUB] = { S_SF_STUB, "pg_temp.mpana_sf_stub", "id, conn_id, capture_id, sf_no" },
	[T_EVENT] = { S_EVENT, "events", "capture_id, ts, frame, conn_id, subflow_id, type, ok, detail" },
	[T_OPTION] = { S_OPTION, "options", "capture_id, frame, ts, conn_id, subflow_id,"
		       " src_addr, src_port, dst_addr, dst_port, tcp_flags, subtype, len, error,"
		       " data_ack, dsn, ssn, dll, data_fin, data_ack64, dsn64, resend, seg_dsn,"
		       " seg_len" },
	[T_ADDR] = { S_ADDR, "addresses", "conn_id, addr_id, addr, port, announced_by, frame,"
		     " removed_ts, echoed, hmac_ok, hmac_bits, announced_ts" },
	[T_FAILOVER] = { S_FAILOVER, "failovers", "capture_id, episode, conn_id, direction,"
			 " vantage, kind, from_subflow, to_subflow, t_fail, fail_frame,"
			 " t_first_reinject, first_reinject_frame, t_recovered, recovered_frame,"
			 " latency_ms, lower_bound, lost_bytes, lost_dsn_end, stall_ms, cause,"
			 " join_subflow, join_setup_ms, t_sent, sent_frame, latency_from_sent_ms" },
	[T_FAILBACK] = { S_FAILBACK, "pg_temp.mpana_failback", FAILBACK_COLS },
	[T_STALL] = { S_STALL, "stalls", "capture_id, conn_id, direction, t_start, frame, t_end,"
		      " end_frame, ended, duration_ms, data_ack, dsn_end, data_pkts, sf_acks" },
	[T_JOIN] = { S_JOIN_ATTEMPT, "join_attempts", "capture_id, attempt, conn_id, subflow_id,"
		     " token, token_known, initiator, src_addr, src_port, dst_addr, dst_port,"
		     " addr_id, backup, peer_addr_id, peer_backup, t_syn, syn_frame,"
		     " retransmissions, t_synack, synack_frame, t_ack, ack_frame, t_ack4,"
		     " ack4_frame, t_established, setup_ms, inferred, hmac_synack, hmac_ack,"
		     " hmac_failed, outcome, t_reset, reset_frame, reset_by, tcprst_reason,"
		     " gave_up" },
	[T_ANNOUNCE] = { S_ANNOUNCE, "announcements", "capture_id, address_no, conn_id,"
			 " announcer, addr_id, addr, port, t_announce, frame, retransmissions,"
			 " t_echo, echo_frame, hmac_ok, hmac_bits, c_flag, initial, t_removed,"
			 " removed_frame, joins, joins_established, join_list, verdict" },
};

/* The session's staging tables: rows to merge, emptied at each commit.
 * mpana_conn and mpana_sf, and their stubs', have the columns of
 * connections and subflows, read from the catalog (pg_attribute, readable
 * by every role: CREATE TABLE ... LIKE would need SELECT on the table,
 * which a sensor's role does not have), without their constraints. */
static const struct stage {
	const char *name;  /* the temporary table */
	const char *like;  /* the table whose columns it takes */
} stages[] = {
	{ "mpana_conn", "connections" },
	{ "mpana_conn_stub", "connections" },
	{ "mpana_sf", "subflows" },
	{ "mpana_sf_stub", "subflows" },
};
static const char stage_failback[] =
	"CREATE TEMP TABLE mpana_failback (seq bigint GENERATED ALWAYS AS IDENTITY,"
	" capture_id bigint, episode bigint, t_failback double precision,"
	" failback_frame bigint, failback_subflow bigint, failback_ms double precision)"
	" ON COMMIT DELETE ROWS";

/* The merges after the COPYs of a commit, each when its target had rows.
 * The last full row of an id wins (an UPDATE of the row, or an INSERT when
 * it is not there); a stub adds a row that is not there. No ON CONFLICT:
 * its EXCLUDED row would need SELECT on every column, which a sensor's role
 * does not have (docs/pg_roles.sql); and no other writer has these ids. */
#define LAST(stage) "(SELECT DISTINCT ON (id) * FROM pg_temp." stage " ORDER BY id, seq DESC) s"
#define ABSENT(table) " WHERE NOT EXISTS (SELECT 1 FROM " table " t WHERE t.id = s.id)"
static const struct merge {
	int target;        /* T_* */
	const char *sql;   /* run after the COPY */
	const char *set;   /* NULL, or its columns: the SQL goes on with
	                    * "c = s.c, ..., complete = 1" and `tail` */
	const char *tail;  /* after the SET list */
} merges[] = {
	{ T_CONN, "UPDATE connections t SET ", CONN_COLS,
	  " FROM " LAST("mpana_conn") " WHERE t.id = s.id" },
	{ T_CONN, "INSERT INTO connections (" CONN_COLS ", complete) SELECT " CONN_COLS ", 1"
		  " FROM " LAST("mpana_conn") ABSENT("connections"), NULL, NULL },
	{ T_CONN_STUB, "INSERT INTO connections (id, capture_id, conn_no, first_ts)"
		       " SELECT id, capture_id, conn_no, first_ts FROM " LAST("mpana_conn_stub")
		       ABSENT("connections"), NULL, NULL },
	{ T_SF, "UPDATE subflows t SET ", SF_COLS,
	  " FROM " LAST("mpana_sf") " WHERE t.id = s.id" },
	{ T_SF, "INSERT INTO subflows (" SF_COLS ", complete) SELECT " SF_COLS ", 1"
		" FROM " LAST("mpana_sf") ABSENT("subflows"), NULL, NULL },
	{ T_SF_STUB, "INSERT INTO subflows (id, conn_id, capture_id, sf_no)"
		     " SELECT id, conn_id, capture_id, sf_no FROM " LAST("mpana_sf_stub")
		     ABSENT("subflows"), NULL, NULL },
	{ T_FAILBACK, "UPDATE failovers f SET t_failback = x.t_failback,"
		      " failback_frame = x.failback_frame, failback_subflow = x.failback_subflow,"
		      " failback_ms = x.failback_ms FROM (SELECT DISTINCT ON (capture_id, episode) *"
		      " FROM pg_temp.mpana_failback ORDER BY capture_id, episode, seq DESC) x"
		      " WHERE f.capture_id = x.capture_id AND f.episode = x.episode", NULL, NULL },
};
#define N_MERGES (sizeof merges / sizeof merges[0])

/* The statements run at once, inside the commit's transaction. */
static const char sql_capture[] =
	"UPDATE captures SET linktype = $2, first_ts = $3, last_ts = $4, packets = $5,"
	" tcp_packets = $6, mptcp_packets = $7, complete = $8, malformed = $9 WHERE id = $1";
static const char sql_optcount[] =
	"WITH u AS (UPDATE option_counts SET count = $3 WHERE capture_id = $1 AND opt = $2"
	" RETURNING 1) INSERT INTO option_counts(capture_id, opt, count)"
	" SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM u)";

struct cbuf {
	char *p;           /* COPY text */
	size_t n, cap;     /* used, allocated */
	uint32_t rows;     /* rows in it */
};

struct pg_store {
	PGconn *conn;                /* the connection */
	struct cbuf buf[T__COUNT];   /* a batch's rows, per target */
	int ncols[T__COUNT];         /* columns of each target */
	int target_of[S__COUNT];     /* S_* → T_*, -1 none */
	char *merge_sql[N_MERGES];   /* merges with their SET lists, owned */
	int64_t *blocks[2];          /* connection, subflow blocks' first ids */
	size_t nblocks[2];           /* blocks reserved */
	bool in_tx;                  /* the commit's transaction is open */
	bool oom;                    /* a buffer could not grow */
};

/* ---- errors --------------------------------------------------------- */

/* Server notices and warnings (RAISE NOTICE, "terminating connection
 * due to ...") go through mpana's log, one line each, not libpq's own
 * printing to stderr. */
static void notice(void *arg, const char *msg)
{
	size_t n = strcspn(msg, "\n");

	(void)arg;
	MP_LOG(MP_LOG_WARN, "PostgreSQL: %.*s", (int)n, msg);
}


static void fail_res(struct mp_store *st, const char *what, const PGresult *r)
{
	const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char msg[512];

	snprintf(msg, sizeof msg, "%s", m ? m : PQerrorMessage(st->pg->conn));
	msg[strcspn(msg, "\n")] = '\0';
	store_fail_msg(st, what, msg);
}

/* Runs a command; false (reported) unless it succeeded. */
static bool exec_cmd(struct mp_store *st, const char *sql, const char *what)
{
	PGresult *r = PQexec(st->pg->conn, sql);
	ExecStatusType s = PQresultStatus(r);
	bool ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;

	if (!ok)
		fail_res(st, what, r);
	PQclear(r);
	return ok;
}

/* Runs a query returning one value as text into v (empty for NULL). */
static bool query_val(struct mp_store *st, const char *sql, int n, const char *const *params,
		      char *v, size_t vn, const char *what)
{
	PGresult *r = PQexecParams(st->pg->conn, sql, n, NULL, params, NULL, NULL, 0);
	bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;

	if (ok)
		snprintf(v, vn, "%s", PQgetvalue(r, 0, 0));
	else
		fail_res(st, what, r);
	PQclear(r);
	return ok;
}

/* ---- COPY text ------------------------------------------------------ */

static bool cb_reserve(struct pg_store *pg, struct cbuf *b, size_t n)
{
	if (b->n + n <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 65536;
	while (cap < b->n + n)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		pg->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static size_t fmt_i64(char *out, int64_t v)
{
	char tmp[24];
	size_t n = 0, o = 0;
	uint64_t u = v < 0 ? 0u - (uint64_t)v : (uint64_t)v;

	do {
		tmp[n++] = (char)('0' + u % 10u);
		u /= 10u;
	} while (u);
	if (v < 0)
		out[o++] = '-';
	while (n)
		out[o++] = tmp[--n];
	return o;
}

/* Text escaped for COPY; an invalid UTF-8 byte (the server refuses them)
 * becomes U+FFFD. */
static bool put_copy_text(struct pg_store *pg, struct cbuf *b, const char *t)
{
	const unsigned char *s = (const unsigned char *)t;
	const unsigned char *end = s + strlen(t);

	if (!cb_reserve(pg, b, 3 * (size_t)(end - s) + 1))
		return false;
	while (*s) {
		size_t l = mp_utf8_len(s, (size_t)(end - s));
		switch (*s) {
		case '\\': b->p[b->n++] = '\\'; b->p[b->n++] = '\\'; s++; continue;
		case '\t': b->p[b->n++] = '\\'; b->p[b->n++] = 't'; s++; continue;
		case '\n': b->p[b->n++] = '\\'; b->p[b->n++] = 'n'; s++; continue;
		case '\r': b->p[b->n++] = '\\'; b->p[b->n++] = 'r'; s++; continue;
		default: break;
		}
		if (!l) {
			memcpy(b->p + b->n, "\xef\xbf\xbd", 3);
			b->n += 3;
			s++;
			continue;
		}
		memcpy(b->p + b->n, s, l);
		b->n += l;
		s += l;
	}
	return true;
}

/* Appends st->row as one COPY line of target t. */
static bool put_row(struct mp_store *st, int t)
{
	struct pg_store *pg = st->pg;
	struct cbuf *b = &pg->buf[t];

	for (int i = 1; i <= pg->ncols[t]; i++) {
		const struct fld *f = i <= st->row_n ? &st->row[i] : NULL;
		if (!cb_reserve(pg, b, 40))
			return false;
		if (i > 1)
			b->p[b->n++] = '\t';
		if (!f || f->type == F_NULL) {
			b->p[b->n++] = '\\';
			b->p[b->n++] = 'N';
		} else if (f->type == F_INT) {
			b->n += fmt_i64(b->p + b->n, f->i);
		} else if (f->type == F_REAL) {
			/* 17 significant digits: the same double on the server */
			b->n += (size_t)snprintf(b->p + b->n, 32, "%.17g", f->d);
		} else if (!put_copy_text(pg, b, f->t)) {
			return false;
		}
	}
	if (!cb_reserve(pg, b, 1))
		return false;
	b->p[b->n++] = '\n';
	b->rows++;
	return true;
}

/* ---- the back end --------------------------------------------------- */

/* A statement's parameters as text for PQexecParams; `scratch` holds the
 * numbers' text. */
static void params_text(struct mp_store *st, const char **v, char (*scratch)[32], int n)
{
	for (int i = 1; i <= n; i++) {
		const struct fld *f = i <= st->row_n ? &st->row[i] : NULL;
		v[i - 1] = NULL;
		if (!f || f->type == F_NULL)
			continue;
		if (f->type == F_TEXT) {
			v[i - 1] = f->t;
			continue;
		}
		if (f->type == F_INT)
			scratch[i][fmt_i64(scratch[i], f->i)] = '\0';
		else
			snprintf(scratch[i], sizeof scratch[i], "%.17g", f->d);
		v[i - 1] = scratch[i];
	}
}

static bool pg_run(struct mp_store *st, int which, const char *what)
{
	struct pg_store *pg = st->pg;
	int t = pg->target_of[which];

	if (t >= 0) {
		if (!put_row(st, t)) {
			store_fail_msg(st, what, "out of memory");
			return false;
		}
		return true;
	}
	if (which == S_CAPTURE || which == S_OPTCOUNT) { /* inside the commit */
		const char *v[9];
		char scratch[10][32];
		int n = which == S_CAPTURE ? 9 : 3;
		PGresult *r;
		bool ok;

		params_text(st, v, scratch, n);
		r = PQexecParams(pg->conn, which == S_CAPTURE ? sql_capture : sql_optcount,
				 n, NULL, v, NULL, NULL, 0);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			fail_res(st, what, r);
		PQclear(r);
		return ok;
	}
	return true; /* S_BEGIN, S_COMMIT, S_ROLLBACK: not used here */
}

static bool pg_begin(struct mp_store *st)
{
	(void)st; /* the rows wait in memory until the commit */
	return true;
}

/* Sends one target's rows with COPY FROM STDIN. */
static bool send_copy(struct mp_store *st, int t)
{
	struct pg_store *pg = st->pg;
	struct cbuf *b = &pg->buf[t];
	char sql[1024];
	PGresult *r;
	bool ok;

	snprintf(sql, sizeof sql, "COPY %s (%s) FROM STDIN", targets[t].table, targets[t].cols);
	r = PQexec(pg->conn, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		fail_res(st, "COPY", r);
		PQclear(r);
		return false;
	}
	PQclear(r);
	for (size_t o = 0; o < b->n;) { /* in pieces of 256 KiB */
		size_t n = b->n - o < 262144 ? b->n - o : 262144;
		if (PQputCopyData(pg->conn, b->p + o, (int)n) != 1) {
			fail_res(st, "COPY", NULL);
			return false;
		}
		o += n;
	}
	if (PQputCopyEnd(pg->conn, NULL) != 1) {
		fail_res(st, "COPY", NULL);
		return false;
	}
	ok = true;
	while ((r = PQgetResult(pg->conn))) {
		if (ok && PQresultStatus(r) != PGRES_COMMAND_OK) {
			char what[64];
			snprintf(what, sizeof what, "writing %s", targets[t].table);
			fail_res(st, what, r);
			ok = false;
		}
		PQclear(r);
	}
	return ok;
}

static bool pg_flush(struct mp_store *st)
{
	struct pg_store *pg = st->pg;
	bool ok;

	if (pg->oom) {
		store_fail_msg(st, "keeping a batch", "out of memory");
		return false;
	}
	ok = exec_cmd(st, "BEGIN", "starting a transaction");
	pg->in_tx = ok;
	for (int t = 0; ok && t < T__COUNT; t++)
		if (pg->buf[t].rows)
			ok = send_copy(st, t);
	for (size_t m = 0; ok && m < N_MERGES; m++)
		if (pg->buf[merges[m].target].rows)
			ok = exec_cmd(st, pg->merge_sql[m], "merging a batch");
	for (int t = 0; t < T__COUNT; t++)
		pg->buf[t].n = pg->buf[t].rows = 0;
	return ok;
}

static bool pg_commit(struct mp_store *st)
{
	bool ok = exec_cmd(st, "COMMIT", "committing");

	st->pg->in_tx = false;
	return ok;
}

static void pg_close(struct mp_store *st)
{
	struct pg_store *pg = st->pg;

	if (!pg)
		return;
	if (pg->conn) {
		if (pg->in_tx && PQstatus(pg->conn) == CONNECTION_OK)
			PQclear(PQexec(pg->conn, "ROLLBACK"));
		PQfinish(pg->conn);
	}
	for (int t = 0; t < T__COUNT; t++)
		free(pg->buf[t].p);
	for (size_t m = 0; m < N_MERGES; m++)
		free(pg->merge_sql[m]);
	free(pg->blocks[0]);
	free(pg->blocks[1]);
	free(pg);
	st->pg = NULL;
}

const struct store_backend store_pg_backend = {
	.run = pg_run,
	.begin = pg_begin,
	.flush = pg_flush,
	.commit = pg_commit,
	.close = pg_close,
};

/* ---- ids ------------------------------------------------------------ */

/* Reserves the next block of connection (subflow) ids. */
static bool reserve_block(struct mp_store *st, int k)
{
	struct pg_store *pg = st->pg;
	char v[32];
	int64_t *p = realloc(pg->blocks[k], (pg->nblocks[k] + 1) * sizeof *p);

	if (!p) {
		store_fail_msg(st, "reserving ids", "out of memory");
		return false;
	}
	pg->blocks[k] = p;
	if (!query_val(st, k ? "SELECT nextval('mpana_subflow_blocks')"
			     : "SELECT nextval('mpana_conn_blocks')", 0, NULL, v, sizeof v,
		       "reserving ids"))
		return false;
	p[pg->nblocks[k]++] = strtoll(v, NULL, 10) << MP_PG_ID_BITS;
	return true;
}

int64_t pg_store_id(struct mp_store *st, int subflow, uint32_t n)
{
	struct pg_store *pg = st->pg;
	int k = subflow ? 1 : 0;
	size_t b = (size_t)((n - 1u) >> MP_PG_ID_BITS);

	if (n == 0) /* no engine id: callers write NULL; never a block */
		return 0;
	while (b >= pg->nblocks[k]) /* once per 2^20 connections */
		if (st->failed || !reserve_block(st, k))
			return 0;
	return pg->blocks[k][b] + (int64_t)((n - 1u) & ((1u << MP_PG_ID_BITS) - 1u)) + 1;
}

/* ---- open ----------------------------------------------------------- */

/* "a, b" → "a = s.a, b = s.b" without the id column. */
static char *set_list(const char *cols)
{
	char *out = malloc(3 * strlen(cols) + 64), *o = out;
	const char *p = cols;

	if (!out)
		return NULL;
	*o = '\0';
	while (*p) {
		size_t n;
		p += strspn(p, ", ");
		n = strcspn(p, ",");
		if (n && !(n == 2 && !strncmp(p, "id", 2)))
			o += sprintf(o, "%s%.*s = s.%.*s", o == out ? "" : ", ",
				     (int)n, p, (int)n, p);
		p += n;
	}
	return out;
}

/* Checks the schema version; creates the schema in a new database. */
static bool setup_schema(struct mp_store *st)
{
	char v[64], *ddl;
	bool ok;

	if (!exec_cmd(st, "BEGIN", "starting a transaction"))
		return false;
	st->pg->in_tx = true;
	/* one writer at a time creates the schema: 0x6d70616e61 is "mpana" */
	if (!query_val(st, "SELECT pg_advisory_xact_lock(470036868705)::text", 0, NULL,
		       v, sizeof v, "locking the schema") ||
	    !query_val(st, "SELECT (to_regclass('schema_version') IS NOT NULL)::int::text"
		       " || (to_regclass('captures') IS NOT NULL)::int::text", 0, NULL, v, sizeof v,
		       "reading the schema version"))
		return false;
	if (v[0] == '1') {
		char ver[32];
		if (!query_val(st, "SELECT coalesce(max(version), 0) FROM schema_version", 0, NULL,
			       ver, sizeof ver, "reading the schema version"))
			return false;
		if (atoi(ver) != MP_SCHEMA_VERSION) {
			MP_LOG(MP_LOG_ERR, "%s: schema version %s, this mpana writes version %d;"
			       " use a new database", st->path, ver, MP_SCHEMA_VERSION);
			st->failed = true;
			return false;
		}
	} else if (v[1] == '1') {
		store_fail_msg(st, "a table captures but no schema_version",
			       "not a database of this mpana; use a new database");
		return false;
	} else {
		if (!(ddl = mp_schema_pg())) {
			store_fail_msg(st, "creating the schema", "out of memory");
			return false;
		}
		ok = exec_cmd(st, ddl, "creating the schema");
		free(ddl);
		if (!ok)
			return false;
	}
	ok = exec_cmd(st, "COMMIT", "committing the schema");
	st->pg->in_tx = false;
	return ok;
}

/* The staging tables of the session (above). */
static bool create_stages(struct mp_store *st)
{
	char cols[4096], sql[4400];

	for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++) {
		const char *v[1] = { stages[i].like };
		if (!query_val(st, "SELECT string_agg(quote_ident(attname) || ' ' ||"
			       " format_type(atttypid, atttypmod), ', ' ORDER BY attnum)"
			       " FROM pg_attribute WHERE attrelid = to_regclass($1)"
			       " AND attnum > 0 AND NOT attisdropped", 1, v, cols, sizeof cols,
			       "reading the columns of a table"))
			return false;
		snprintf(sql, sizeof sql, "CREATE TEMP TABLE %s (seq bigint GENERATED ALWAYS"
			 " AS IDENTITY, %s) ON COMMIT DELETE ROWS", stages[i].name, cols);
		if (!exec_cmd(st, sql, "creating the session's staging tables"))
			return false;
	}
	return exec_cmd(st, stage_failback, "creating the session's staging tables");
}

static bool start_capture(struct mp_store *st, const char *source)
{
	char linktype[16], cb[24], sb[24], started[32], host[256], id[32];
	const char *v[7] = { source ? source : "", linktype, cb, sb, started, MPANA_VERSION, host };

	snprintf(linktype, sizeof linktype, "%d", st->cfg.linktype);
	st->conn_base = st->pg->blocks[0][0];
	st->sf_base = st->pg->blocks[1][0];
	snprintf(cb, sizeof cb, "%lld", (long long)st->conn_base);
	snprintf(sb, sizeof sb, "%lld", (long long)st->sf_base);
	store_started(started, sizeof started);
	store_host(host, sizeof host);
	if (!host[0])
		v[6] = NULL;
	if (!query_val(st, "INSERT INTO captures(source, linktype, conn_base, subflow_base,"
		       " started, mpana_version, host) VALUES($1, $2, $3, $4, $5, $6, $7)"
		       " RETURNING id", 7, v, id, sizeof id, "inserting the capture row"))
		return false;
	st->capture_id = strtoll(id, NULL, 10);
	return true;
}

bool store_pg_open(struct mp_store *st, const char *target, const char *source)
{
	static const char *const keys[] = { "dbname", "fallback_application_name",
					    "client_encoding", NULL };
	const char *vals[] = { mp_db_pg_conninfo(target), "mpana", "UTF8", NULL };
	struct pg_store *pg = calloc(1, sizeof *pg);

	if (!pg) {
		store_fail_msg(st, "opening", "out of memory");
		return false;
	}
	st->pg = pg;
	for (int s = 0; s < S__COUNT; s++)
		pg->target_of[s] = -1;
	for (int t = 0; t < T__COUNT; t++) {
		pg->target_of[targets[t].stmt] = t;
		pg->ncols[t] = 1;
		for (const char *c = targets[t].cols; *c; c++)
			pg->ncols[t] += *c == ',';
	}
	for (size_t m = 0; m < N_MERGES; m++) {
		char *set = merges[m].set ? set_list(merges[m].set) : NULL;
		size_t n = strlen(merges[m].sql) + (set ? strlen(set) : 0) +
			   (merges[m].tail ? strlen(merges[m].tail) : 0) + 16;
		if ((merges[m].set && !set) || !(pg->merge_sql[m] = malloc(n))) {
			free(set);
			store_fail_msg(st, "opening", "out of memory");
			return false;
		}
		snprintf(pg->merge_sql[m], n, "%s%s%s%s", merges[m].sql, set ? set : "",
			 set ? ", complete = 1" : "", merges[m].tail ? merges[m].tail : "");
		free(set);
	}
	pg->conn = PQconnectdbParams(keys, vals, 1);
	if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
		char msg[512];
		snprintf(msg, sizeof msg, "%s", pg->conn ? PQerrorMessage(pg->conn) : "out of memory");
		msg[strcspn(msg, "\n")] = '\0';
		store_fail_msg(st, "cannot connect", msg);
		return false;
	}
	PQsetNoticeProcessor(pg->conn, notice, NULL);
	if (PQserverVersion(pg->conn) < 100000) {
		store_fail_msg(st, "PostgreSQL server too old", "version 10 or later is needed");
		return false;
	}
	return setup_schema(st) && create_stages(st) &&
	       reserve_block(st, 0) && reserve_block(st, 1) &&
	       start_capture(st, source);
}

#else /* without libpq */

static bool none_run(struct mp_store *st, int which, const char *what)
{
	(void)st; (void)which; (void)what;
	return false;
}
static bool none_op(struct mp_store *st) { (void)st; return false; }
static void none_close(struct mp_store *st) { (void)st; }

const struct store_backend store_pg_backend = {
	.run = none_run,
	.begin = none_op,
	.flush = none_op,
	.commit = none_op,
	.close = none_close,
};

int64_t pg_store_id(struct mp_store *st, int subflow, uint32_t n)
{
	(void)st; (void)subflow; (void)n;
	return 0;
}

bool store_pg_open(struct mp_store *st, const char *target, const char *source)
{
	(void)target; (void)source;
	store_fail_msg(st, "PostgreSQL", "this mpana was built without PostgreSQL support"
		       " (rebuild with libpq-dev installed)");
	return false;
}

#endif /* MPANA_WITH_PG */
