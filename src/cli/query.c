/* SPDX-License-Identifier: BSD-2-Clause */
/* cmd_query.c - `mpana query DB NAME|SQL`: named or free SQL queries on a
 * database written by `mpana --db` (an SQLite file or a PostgreSQL URI),
 * printed as an aligned table, CSV or JSON Lines.
 *
 * Schema: docs/schema.sql, cookbook: docs/sqlite.md, PostgreSQL:
 * docs/postgresql.md. The database is read through mpana/db.h, which opens
 * it read-only (SQLite: SQLITE_OPEN_READONLY and PRAGMA query_only;
 * PostgreSQL: one read-only transaction), so any write is refused by the
 * database itself; the named queries are SQL both dialects run, and print
 * the same on both. Exit codes: 0 success, 1 SQL or database error, 2
 * usage (docs/mpana.1). Results are collected in memory only for the table
 * form (column widths); CSV and JSON stream row by row. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mpana/cli.h"
#include "mpana/db.h"
#include "mpana/log.h"
#include "mpana/store.h"

enum fmt { FMT_TABLE, FMT_CSV, FMT_JSON };

struct named {
	const char *name; /* the NAME argument */
	const char *help; /* one line for the usage text */
	const char *sql;  /* the query */
};

/* A time as text with microseconds; NULL stays NULL (SQLite's printf()
 * would print it as 0.000000). PostgreSQL runs the printf() and the
 * round(REAL, N) of these queries as the functions docs/postgresql.md
 * describes. */
#define TS(col) "CASE WHEN " col " IS NULL THEN NULL ELSE printf('%.6f', " col ") END"

static const struct named named_queries[] = {
	{ "captures", "the captures written into the database",
	  "SELECT id, source, linktype, " TS("first_ts") " AS first_ts,"
	  " " TS("last_ts") " AS last_ts, packets, mptcp_packets, complete"
	  " FROM captures ORDER BY id" },
	{ "connections", "one row per MPTCP connection",
	  "SELECT c.id, c.capture_id AS capture, c.conn_no, c.version,"
	  " c.client_addr || ':' || c.client_port AS client,"
	  " c.server_addr || ':' || c.server_port AS server,"
	  " c.client_token, c.server_token, " TS("c.first_ts") " AS first_ts,"
	  " round((c.last_ts - c.first_ts) * 1000.0, 3) AS duration_ms,"
	  " c.subflows, c.bytes_c2s, c.bytes_s2c, c.close_reason, c.fallback,"
	  " c.app_proto, c.vantage, v.valid AS handshake_valid"
	  " FROM connections c LEFT JOIN handshake_verdict v ON v.conn_id = c.id"
	  " ORDER BY c.id" },
	{ "subflows", "one row per subflow",
	  "SELECT id, conn_id, sf_no, kind, src_addr || ':' || src_port AS src,"
	  " dst_addr || ':' || dst_port AS dst, backup, local_addr_id AS lid,"
	  " remote_addr_id AS rid, hmac_ok,"
	  " round((established_ts - syn_ts) * 1000.0, 3) AS handshake_ms,"
	  " bytes_fwd, bytes_rev, close_reason, state"
	  " FROM subflows ORDER BY id" },
	{ "handshakes", "each connection's handshake steps in order, with the verdict",
	  "SELECT o.conn_id, o.seq, o.rel_ms, o.frame, o.subflow_id AS subflow,"
	  " o.step, o.ok, v.valid, v.reason"
	  " FROM handshake_order o JOIN handshake_verdict v ON v.conn_id = o.conn_id"
	  " ORDER BY o.conn_id, o.seq" },
	{ "failover", "outage episodes: failover or stall, latency, reinjection, DATA_ACK stall",
	  "SELECT f.conn_id, f.direction, f.vantage, f.kind, f.from_subflow, f.to_subflow,"
	  " round((f.t_fail - c.first_ts) * 1000.0, 3) AS fail_at_ms, f.fail_frame,"
	  " round((f.t_first_reinject - c.first_ts) * 1000.0, 3) AS reinject_at_ms,"
	  " round((f.t_recovered - c.first_ts) * 1000.0, 3) AS recovered_at_ms,"
	  " f.recovered_frame, round(f.latency_ms, 3) AS latency_ms, f.lower_bound,"
	  " round(f.stall_ms, 3) AS stall_ms, f.lost_bytes, f.cause,"
	  " round(f.join_setup_ms, 3) AS join_setup_ms, round(f.failback_ms, 3) AS failback_ms"
	  " FROM failover f LEFT JOIN connections c ON c.id = f.conn_id"
	  " ORDER BY f.conn_id, f.t_fail" },
	{ "events", "every control event in capture order",
	  "SELECT id, capture_id AS capture, frame, " TS("ts") " AS ts,"
	  " conn_id, subflow_id, type, ok, detail FROM events ORDER BY id" },
	{ "addresses", "ADD_ADDR announcements and their removal",
	  "SELECT conn_id, addr_id, addr, port, announced_by,"
	  " " TS("announced_ts") " AS announced_ts,"
	  " " TS("removed_ts") " AS removed_ts, echoed, hmac_ok, hmac_bits"
	  " FROM addresses ORDER BY conn_id, announced_ts" },
};

#define N_NAMED (sizeof named_queries / sizeof named_queries[0])

static void usage(FILE *f)
{
	fputs("Usage: mpana query [--csv | --json] DB NAME\n"
	      "       mpana query [--csv | --json] DB \"SQL\"\n"
	      "       mpana query --schema sqlite|postgresql\n"
	      "\n"
	      "Runs a named query or any SQL on a database written by mpana --db:\n"
	      "DB is an SQLite file or a PostgreSQL database (postgresql://...,\n"
	      "postgres://... or postgresql:KEY=VALUE...). The database is opened\n"
	      "read-only: statements that write fail. --schema prints the schema\n"
	      "mpana creates, in that dialect (for a PostgreSQL owner to create it).\n"
	      "Output: an aligned table (default), --csv (RFC 4180, with a header)\n"
	      "or --json (JSON Lines, one object per row).\n"
	      "\nNames:\n", f);
	for (size_t i = 0; i < N_NAMED; i++)
		fprintf(f, "  %-12s %s\n", named_queries[i].name, named_queries[i].help);
	fputs("\nExit status: 0 success, 1 SQL or database error, 2 usage error.\n"
	      "Schema and cookbook: docs/sqlite.md, docs/postgresql.md.\n", f);
}

/* ---- output --------------------------------------------------------- */

static void csv_field(const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static void json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", stdout); break;
		case '\\': fputs("\\\\", stdout); break;
		case '\n': fputs("\\n", stdout); break;
		case '\r': fputs("\\r", stdout); break;
		case '\t': fputs("\\t", stdout); break;
		default:
			if (*p < 0x20)
				printf("\\u%04x", *p);
			else
				putchar(*p);
		}
	}
	putchar('"');
}

/* A table being collected: cells are owned strings, NULL for SQL NULL. */
struct table {
	int ncol;          /* columns */
	size_t nrow, cap;  /* rows used, allocated */
	char **cell;       /* nrow * ncol cells, row-major */
	bool *num;         /* per column: every non-NULL value numeric */
	size_t *width;     /* per column: display width */
	char **head;       /* column names, owned */
};

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrow * (size_t)t->ncol; i++)
		free(t->cell[i]);
	for (int c = 0; c < t->ncol; c++)
		free(t->head ? t->head[c] : NULL);
	free(t->cell);
	free(t->num);
	free(t->width);
	free(t->head);
	memset(t, 0, sizeof *t);
}

/* Display width in characters of UTF-8 text (code points, not bytes). */
static size_t text_width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static bool table_init(struct table *t, struct mp_db_stmt *s)
{
	memset(t, 0, sizeof *t);
	t->ncol = mp_db_column_count(s);
	t->num = calloc((size_t)t->ncol + 1, sizeof *t->num);
	t->width = calloc((size_t)t->ncol + 1, sizeof *t->width);
	t->head = calloc((size_t)t->ncol + 1, sizeof *t->head);
	if (!t->num || !t->width || !t->head)
		return false;
	for (int c = 0; c < t->ncol; c++) {
		const char *n = mp_db_column_name(s, c);
		t->head[c] = strdup(n ? n : "");
		if (!t->head[c])
			return false;
		t->width[c] = text_width(t->head[c]);
		t->num[c] = true;
	}
	return true;
}

static bool table_add(struct table *t, struct mp_db_stmt *s)
{
	if (t->nrow == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		char **p = realloc(t->cell, cap * (size_t)t->ncol * sizeof *p);
		if (!p)
			return false;
		t->cell = p;
		t->cap = cap;
	}
	for (int c = 0; c < t->ncol; c++) {
		const char *v = mp_db_column_text(s, c);
		enum mp_db_type type = mp_db_column_type(s, c);
		char *cp = NULL;
		if (v && !(cp = strdup(v)))
			return false;
		t->cell[t->nrow * (size_t)t->ncol + (size_t)c] = cp;
		if (cp) {
			size_t w = text_width(cp);
			if (w > t->width[c])
				t->width[c] = w;
			if (type != MP_DBT_INT && type != MP_DBT_REAL)
				t->num[c] = false;
		}
	}
	t->nrow++;
	return true;
}

static void pad(size_t n)
{
	while (n--)
		putchar(' ');
}

static void table_print(const struct table *t)
{
	for (int c = 0; c < t->ncol; c++) {
		if (c)
			fputs("  ", stdout);
		if (t->num[c])
			pad(t->width[c] - text_width(t->head[c]));
		fputs(t->head[c], stdout);
		if (!t->num[c] && c + 1 < t->ncol)
			pad(t->width[c] - text_width(t->head[c]));
	}
	putchar('\n');
	for (int c = 0; c < t->ncol; c++) {
		if (c)
			fputs("  ", stdout);
		for (size_t i = 0; i < t->width[c]; i++)
			putchar('-');
	}
	putchar('\n');
	for (size_t r = 0; r < t->nrow; r++) {
		for (int c = 0; c < t->ncol; c++) {
			const char *v = t->cell[r * (size_t)t->ncol + (size_t)c];
			size_t w = v ? text_width(v) : 0;
			if (c)
				fputs("  ", stdout);
			if (t->num[c])
				pad(t->width[c] - w);
			if (v)
				fputs(v, stdout);
			if (!t->num[c] && c + 1 < t->ncol)
				pad(t->width[c] - w);
		}
		putchar('\n');
	}
	printf("(%zu row%s)\n", t->nrow, t->nrow == 1 ? "" : "s");
}

static void json_row(struct mp_db_stmt *s)
{
	int n = mp_db_column_count(s);

	putchar('{');
	for (int c = 0; c < n; c++) {
		const char *name = mp_db_column_name(s, c);
		if (c)
			putchar(',');
		json_str(name ? name : "");
		putchar(':');
		switch (mp_db_column_type(s, c)) {
		case MP_DBT_NULL:
			fputs("null", stdout);
			break;
		case MP_DBT_INT:
			printf("%lld", (long long)mp_db_column_i64(s, c));
			break;
		case MP_DBT_REAL: /* SQLite's own rendering: "%!.15g", a JSON number */
			fputs(mp_db_column_text(s, c), stdout);
			break;
		default:
			json_str(mp_db_column_text(s, c));
		}
	}
	fputs("}\n", stdout);
}

static void csv_row(struct mp_db_stmt *s, bool header)
{
	int n = mp_db_column_count(s);

	for (int c = 0; c < n; c++) {
		if (c)
			putchar(',');
		csv_field(header ? mp_db_column_name(s, c) : mp_db_column_text(s, c));
	}
	fputs("\r\n", stdout);
}

/* Runs one prepared statement and prints its rows. Returns 0 or 1. */
static int run_stmt(struct mp_db *db, struct mp_db_stmt *s, enum fmt fmt, const char *path)
{
	struct table t;
	bool first = true;
	int rc, ret = MP_EXIT_OK;

	if (fmt == FMT_TABLE && mp_db_column_count(s) > 0 && !table_init(&t, s)) {
		table_free(&t);
		MP_LOG(MP_LOG_ERR, "query: out of memory");
		return MP_EXIT_ERROR;
	}
	while ((rc = mp_db_step(s)) == 1) {
		switch (fmt) {
		case FMT_TABLE:
			if (!table_add(&t, s)) {
				MP_LOG(MP_LOG_ERR, "query: out of memory");
				table_free(&t);
				return MP_EXIT_ERROR;
			}
			break;
		case FMT_CSV:
			if (first)
				csv_row(s, true);
			csv_row(s, false);
			break;
		case FMT_JSON:
			json_row(s);
			break;
		}
		first = false;
	}
	if (rc != 0) {
		MP_LOG(MP_LOG_ERR, "query: %s: %s%s", path, mp_db_errmsg(db),
		       mp_db_err_readonly(db) ? " (mpana query opens databases read-only)" : "");
		ret = MP_EXIT_ERROR;
	}
	if (fmt == FMT_TABLE && mp_db_column_count(s) > 0) {
		if (ret == MP_EXIT_OK)
			table_print(&t);
		table_free(&t);
	} else if (fmt == FMT_CSV && first && ret == MP_EXIT_OK &&
		   mp_db_column_count(s) > 0) {
		csv_row(s, true); /* header even without rows */
	}
	return ret;
}

enum { OPT_CSV = 256, OPT_JSON, OPT_TABLE, OPT_SCHEMA };

/* --schema DIALECT: the schema mpana creates, as SQL of that dialect. */
static int print_schema(const char *dialect)
{
	char *pg;

	if (!strcmp(dialect, "sqlite")) {
		fputs(mp_schema_sql, stdout);
	} else if (!strcmp(dialect, "postgresql")) {
		if (!(pg = mp_schema_pg())) {
			MP_LOG(MP_LOG_ERR, "query: out of memory");
			return MP_EXIT_ERROR;
		}
		fputs(pg, stdout);
		free(pg);
	} else {
		MP_LOG(MP_LOG_ERR, "query: --schema sqlite or --schema postgresql, not \"%s\"",
		       dialect);
		return MP_EXIT_USAGE;
	}
	return fflush(stdout) == 0 ? MP_EXIT_OK : MP_EXIT_ERROR;
}

int mp_cmd_query(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "table", no_argument, NULL, OPT_TABLE },
		{ "schema", required_argument, NULL, OPT_SCHEMA },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum fmt fmt = FMT_TABLE;
	const char *path = NULL, *what = NULL, *sql, *tail, *schema = NULL;
	struct mp_db *db = NULL;
	char err[1024], *label;
	int c, ret = MP_EXIT_OK;

	opterr = 0; /* our own messages, as before */
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_CSV: fmt = FMT_CSV; break;
		case OPT_JSON: fmt = FMT_JSON; break;
		case OPT_TABLE: fmt = FMT_TABLE; break;
		case OPT_SCHEMA: schema = optarg; break;
		case 'h':
			usage(stdout);
			return MP_EXIT_OK;
		default:
			if (optopt > 0 && optopt < OPT_CSV)
				MP_LOG(MP_LOG_ERR, "query: unknown option \"-%c\" (see mpana query --help)",
				       optopt);
			else
				MP_LOG(MP_LOG_ERR, "query: unknown option \"%s\" (see mpana query --help)",
				       argv[optind - 1]);
			return MP_EXIT_USAGE;
		}
	}
	if (schema) {
		if (optind < argc) {
			MP_LOG(MP_LOG_ERR, "query: --schema takes no database or query");
			return MP_EXIT_USAGE;
		}
		return print_schema(schema);
	}
	if (optind < argc)
		path = argv[optind++];
	if (optind < argc)
		what = argv[optind++];
	if (optind < argc) {
		MP_LOG(MP_LOG_ERR, "query: one NAME or SQL argument only (quote the SQL)");
		return MP_EXIT_USAGE;
	}
	if (!path || !what || !*what) {
		usage(stderr);
		return MP_EXIT_USAGE;
	}
	sql = what;
	for (size_t i = 0; i < N_NAMED; i++)
		if (!strcmp(what, named_queries[i].name))
			sql = named_queries[i].sql;
	if (sql == what && !strpbrk(what, " \t\n;")) {
		MP_LOG(MP_LOG_ERR, "query: unknown query name \"%s\" (see mpana query --help)", what);
		return MP_EXIT_USAGE;
	}
	if (!(label = mp_db_label(path))) {
		MP_LOG(MP_LOG_ERR, "query: out of memory");
		return MP_EXIT_ERROR;
	}
	if (!(db = mp_db_open(path, err, sizeof err))) {
		MP_LOG(MP_LOG_ERR, "query: %s: %s", label, err);
		free(label);
		return MP_EXIT_ERROR;
	}
	/* every statement of the text, in order */
	while (ret == MP_EXIT_OK && sql && *sql) {
		struct mp_db_stmt *s = NULL;
		if (mp_db_prepare(db, sql, &s, &tail) < 0) {
			MP_LOG(MP_LOG_ERR, "query: %s: %s%s", label, mp_db_errmsg(db),
			       mp_db_err_readonly(db) ? " (mpana query opens databases read-only)" : "");
			ret = MP_EXIT_ERROR;
			break;
		}
		if (s)
			ret = run_stmt(db, s, fmt, label);
		mp_db_finalize(s);
		sql = tail;
	}
	if (fflush(stdout) != 0 && ret == MP_EXIT_OK)
		ret = MP_EXIT_ERROR;
	mp_db_close(db);
	free(label);
	return ret;
}
