/* SPDX-License-Identifier: BSD-2-Clause */
/* pg_read.c - the PostgreSQL side of the read interface (include/mpana/db.h):
 * one libpq connection in one REPEATABLE READ, READ ONLY transaction,
 * statements prepared by name, rows streamed in single-row mode.
 *
 * libpq: https://www.postgresql.org/docs/15/libpq.html (§34.3 command
 * execution, §34.6 single-row mode). Parameters are written ?N as in
 * SQLite and sent as $N. A statement with parameters is prepared at its
 * first step, once they are bound: an integer is declared int8, so that
 * "?1 = 0 OR id = ?1" does not make it int4. Only one statement's rows can
 * stream on a connection: when another statement runs meanwhile (the report
 * reads a connection's rows while it walks the connections), the rows still
 * to come of the first are read into memory first. Values are given the
 * SQLite types and text of db.h from their type OIDs (pg_type.dat: bool 16,
 * int8 20, int2 21, int4 23, oid 26, float4 700, float8 701, numeric
 * 1700). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"
#include "mpana/log.h"

#if MPANA_WITH_PG
#include <libpq-fe.h>

/* What a column's OID becomes. */
enum { K_TEXT, K_INT, K_REAL, K_BOOL, K_NUMERIC };

#define MAX_PARAMS 99

struct pg_read {
	PGconn *conn;              /* the connection */
	struct mp_db_stmt *active; /* the statement whose rows are streaming */
	unsigned next_name;        /* numbers the prepared statements */
};

struct pg_stmt {
	char name[24];             /* prepared statement name, "" before */
	char *sql;                 /* the statement with $N parameters, owned */
	int nparams;               /* highest parameter number */
	char *pv[MAX_PARAMS + 1];  /* parameter values by number, owned */
	bool pint[MAX_PARAMS + 1]; /* bound as an integer */
	PGresult *desc;            /* the columns (PQdescribePrepared) */
	int *kind;                 /* per column: K_* */
	char (*real)[32];          /* per column: a REAL's text */
	bool executed;             /* sent since the last reset */
	bool active;               /* its rows are streaming on the connection */
	PGresult *cur;             /* the current row */
	PGresult **q;              /* results read ahead into memory */
	size_t qn, qh, qcap;       /* used, next, allocated */
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


static void set_err(struct mp_db *db, const PGresult *r, const char *fallback)
{
	const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	if (!m)
		m = fallback ? fallback : PQerrorMessage(db->pg->conn);
	snprintf(db->err, sizeof db->err, "%s", m);
	/* libpq's own messages end with a newline */
	db->err[strcspn(db->err, "\n")] = '\0';
	db->err_ro = state && !strcmp(state, "25006"); /* read_only_sql_transaction */
}

/* ---- open, close ---------------------------------------------------- */

static bool exec_ok(struct mp_db *db, const char *sql)
{
	PGresult *r = PQexec(db->pg->conn, sql);
	ExecStatusType s = PQresultStatus(r);
	bool ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;

	if (!ok)
		set_err(db, r, NULL);
	PQclear(r);
	return ok;
}

bool pgr_open(struct mp_db *db, const char *target, char *err, size_t n)
{
	static const char *const keys[] = { "dbname", "fallback_application_name",
					    "client_encoding", NULL };
	const char *vals[] = { mp_db_pg_conninfo(target), "mpana", "UTF8", NULL };

	db->pg = calloc(1, sizeof *db->pg);
	if (!db->pg) {
		snprintf(err, n, "out of memory");
		return false;
	}
	db->pg->conn = PQconnectdbParams(keys, vals, 1);
	if (!db->pg->conn || PQstatus(db->pg->conn) != CONNECTION_OK) {
		snprintf(err, n, "cannot connect: %s",
			 db->pg->conn ? PQerrorMessage(db->pg->conn) : "out of memory");
		err[strcspn(err, "\n")] = '\0';
		pgr_close(db);
		return false;
	}
	PQsetNoticeProcessor(db->pg->conn, notice, NULL);
	/* one snapshot for every statement; a read-only transaction is
	 * fixed once a statement ran in it (SET TRANSACTION cannot undo it) */
	if (!exec_ok(db, "SET default_transaction_read_only = on") ||
	    !exec_ok(db, "START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY") ||
	    !exec_ok(db, "SELECT 1")) {
		snprintf(err, n, "%s", db->err);
		pgr_close(db);
		return false;
	}
	return true;
}

static void drain(struct mp_db_stmt *st);

void pgr_close(struct mp_db *db)
{
	if (!db->pg)
		return;
	if (db->pg->active)
		drain(db->pg->active);
	if (db->pg->conn) {
		if (PQstatus(db->pg->conn) == CONNECTION_OK)
			PQclear(PQexec(db->pg->conn, "ROLLBACK"));
		PQfinish(db->pg->conn);
	}
	free(db->pg);
	db->pg = NULL;
}

/* ---- the SQL text --------------------------------------------------- */

/* Length of the dollar-quote tag at s ("$$", "$tag$"), 0 if none. */
static size_t dollar_tag(const char *s)
{
	size_t i = 1;

	if (s[0] != '$')
		return 0;
	if (isalpha((unsigned char)s[1]) || s[1] == '_')
		while (isalnum((unsigned char)s[i]) || s[i] == '_')
			i++;
	return s[i] == '$' ? i + 1 : 0;
}

/* Copies the first statement of `sql` into *out with ?N written $N, up to
 * its ';' (outside quotes, comments and dollar quotes) or the end; *tail
 * is what follows, *np the highest parameter number, *empty whether it
 * held only blanks and comments. Returns false when out of memory or a
 * parameter number is above MAX_PARAMS. */
static bool split(const char *sql, char **out, const char **tail, int *np, bool *empty)
{
	size_t n = strlen(sql), o = 0;
	char *b = malloc(n + 1);
	const char *p = sql;

	*np = 0;
	*empty = true;
	if (!b)
		return false;
	while (*p && *p != ';') {
		const char *start = p;
		if (p[0] == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') { /* comments nest */
			int depth = 1;
			for (p += 2; *p && depth; p++) {
				if (p[0] == '/' && p[1] == '*')
					depth++, p++;
				else if (p[0] == '*' && p[1] == '/')
					depth--, p++;
			}
		} else if (*p == '\'' || *p == '"') {
			char q = *p;
			bool esc = q == '\'' && p > sql && (p[-1] == 'E' || p[-1] == 'e');
			for (p++; *p; p++) {
				if (esc && *p == '\\' && p[1]) {
					p++;
				} else if (*p == q) {
					if (p[1] != q)
						break;
					p++;
				}
			}
			if (*p)
				p++;
			*empty = false;
		} else if (dollar_tag(p)) {
			size_t t = dollar_tag(p);
			const char *end = p + t;
			while (*end && !(end[0] == '$' && !strncmp(end, p, t)))
				end++;
			p = *end ? end + t : end;
			*empty = false;
		} else if (*p == '?' && isdigit((unsigned char)p[1])) {
			long v = strtol(p + 1, (char **)&p, 10);
			if (v < 1 || v > MAX_PARAMS) {
				free(b);
				return false;
			}
			if (v > *np)
				*np = (int)v;
			o += (size_t)snprintf(b + o, n + 1 - o, "$%ld", v);
			*empty = false;
			continue;
		} else {
			if (!isspace((unsigned char)*p))
				*empty = false;
			p++;
		}
		memcpy(b + o, start, (size_t)(p - start));
		o += (size_t)(p - start);
	}
	b[o] = '\0';
	*out = b;
	*tail = *p == ';' ? p + 1 : p;
	return true;
}

/* The first word of a statement, upper-cased into w. */
static void first_word(const char *s, char *w, size_t n)
{
	size_t i = 0;

	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (s[0] == '-' && s[1] == '-')
			s += strcspn(s, "\n");
		else if (s[0] == '/' && s[1] == '*' && strstr(s, "*/"))
			s = strstr(s, "*/") + 2;
		else
			break;
	}
	while (isalpha((unsigned char)*s) && i + 1 < n)
		w[i++] = (char)toupper((unsigned char)*s++);
	w[i] = '\0';
}

/* Statements that would end or escape the read-only transaction, or
 * stream COPY data this interface does not read. */
static bool refused(const char *sql)
{
	static const char *const words[] = { "BEGIN", "START", "COMMIT", "END",
		"ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE", "PREPARE", "COPY", NULL };
	char w[16];

	first_word(sql, w, sizeof w);
	for (int i = 0; words[i]; i++)
		if (!strcmp(w, words[i]))
			return true;
	return false;
}

/* ---- statements ----------------------------------------------------- */

static void clear_results(struct pg_stmt *p)
{
	PQclear(p->cur);
	p->cur = NULL;
	for (size_t i = p->qh; i < p->qn; i++)
		PQclear(p->q[i]);
	p->qn = p->qh = 0;
}

/* Reads the rest of a streaming statement's results into memory. */
static void drain(struct mp_db_stmt *st)
{
	struct pg_stmt *p = st->pg;
	struct pg_read *c = st->db->pg;
	PGresult *r;

	while ((r = PQgetResult(c->conn))) {
		if (p->qn == p->qcap) {
			size_t cap = p->qcap ? 2 * p->qcap : 64;
			PGresult **q = realloc(p->q, cap * sizeof *q);
			if (!q) { /* keep the failure as the statement's end */
				PQclear(r);
				continue;
			}
			p->q = q;
			p->qcap = cap;
		}
		p->q[p->qn++] = r;
	}
	p->active = false;
	if (c->active == st)
		c->active = NULL;
}

/* Makes the connection free for another command. */
static void idle(struct mp_db *db)
{
	if (db->pg->active)
		drain(db->pg->active);
}

/* Prepares the statement on the server with the parameter types bound so
 * far (int8 for integers, left to the server for text) and describes its
 * columns. */
static int server_prepare(struct mp_db_stmt *st)
{
	struct mp_db *db = st->db;
	struct pg_stmt *p = st->pg;
	unsigned int types[MAX_PARAMS];
	PGresult *r;
	int n;

	for (int i = 0; i < p->nparams; i++)
		types[i] = p->pint[i + 1] ? 20u : 0u; /* int8, unknown */
	idle(db);
	snprintf(p->name, sizeof p->name, "mpana_%u", ++db->pg->next_name);
	r = PQprepare(db->pg->conn, p->name, p->sql, p->nparams, types);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		set_err(db, r, NULL);
		PQclear(r);
		p->name[0] = '\0';
		return -1;
	}
	PQclear(r);
	p->desc = PQdescribePrepared(db->pg->conn, p->name);
	if (PQresultStatus(p->desc) != PGRES_COMMAND_OK) {
		set_err(db, p->desc, NULL);
		return -1;
	}
	n = PQnfields(p->desc);
	p->kind = calloc((size_t)n + 1, sizeof *p->kind);
	p->real = calloc((size_t)n + 1, sizeof *p->real);
	if (!p->kind || !p->real) {
		set_err(db, NULL, "out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		switch (PQftype(p->desc, i)) {
		case 16: p->kind[i] = K_BOOL; break;
		case 20: case 21: case 23: case 26: p->kind[i] = K_INT; break;
		case 700: case 701: p->kind[i] = K_REAL; break;
		case 1700: p->kind[i] = K_NUMERIC; break;
		default: p->kind[i] = K_TEXT; break;
		}
	}
	return 0;
}

int pgr_prepare(struct mp_db *db, const char *sql, struct mp_db_stmt *st, const char **tail)
{
	struct pg_stmt *p = calloc(1, sizeof *p);
	bool empty;

	if (!p) {
		set_err(db, NULL, "out of memory");
		return -1;
	}
	st->pg = p;
	if (!split(sql, &p->sql, tail, &p->nparams, &empty)) {
		set_err(db, NULL, "out of memory, or a parameter number above 99");
		pgr_finalize(st);
		return -1;
	}
	if (empty) {
		pgr_finalize(st);
		st->pg = NULL;
		return 1;
	}
	if (refused(p->sql)) {
		char w[16];
		first_word(p->sql, w, sizeof w);
		snprintf(db->err, sizeof db->err, "%s: not allowed here (mpana reads a"
			 " PostgreSQL database in one read-only transaction; use psql)", w);
		db->err_ro = false;
		pgr_finalize(st);
		st->pg = NULL;
		return -1;
	}
	/* with parameters: at the first step, once their types are known */
	if (p->nparams == 0 && server_prepare(st) < 0) {
		pgr_finalize(st);
		st->pg = NULL;
		return -1;
	}
	return 0;
}

void pgr_bind(struct mp_db_stmt *st, int i, const char *v, bool integer)
{
	struct pg_stmt *p = st->pg;

	if (i < 1 || i > MAX_PARAMS)
		return;
	free(p->pv[i]);
	p->pv[i] = v ? strdup(v) : NULL;
	p->pint[i] = integer;
}

/* The next result of a running statement, from memory or the connection. */
static PGresult *next_result(struct mp_db_stmt *st)
{
	struct pg_stmt *p = st->pg;

	if (p->qh < p->qn)
		return p->q[p->qh++];
	if (p->active)
		return PQgetResult(st->db->pg->conn);
	return NULL;
}

int pgr_step(struct mp_db_stmt *st)
{
	struct mp_db *db = st->db;
	struct pg_stmt *p = st->pg;
	PGresult *r;

	if (!p->name[0] && server_prepare(st) < 0)
		return -1;
	PQclear(p->cur);
	p->cur = NULL;
	if (!p->executed) {
		idle(db);
		if (!PQsendQueryPrepared(db->pg->conn, p->name, p->nparams,
					 (const char *const *)p->pv + 1, NULL, NULL, 0)) {
			set_err(db, NULL, NULL);
			return -1;
		}
		PQsetSingleRowMode(db->pg->conn);
		p->executed = p->active = true;
		db->pg->active = st;
	}
	r = next_result(st);
	switch (PQresultStatus(r)) {
	case PGRES_SINGLE_TUPLE:
		p->cur = r;
		return 1;
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		PQclear(r);
		if (p->active)
			drain(st); /* the NULL that ends it */
		return 0;
	default:
		if (!r) /* already at the end */
			return 0;
		set_err(db, r, NULL);
		PQclear(r);
		if (p->active)
			drain(st);
		clear_results(p);
		return -1;
	}
}

void pgr_reset(struct mp_db_stmt *st)
{
	struct pg_stmt *p = st->pg;

	if (p->active)
		drain(st);
	clear_results(p);
	p->executed = false;
}

void pgr_finalize(struct mp_db_stmt *st)
{
	struct pg_stmt *p = st->pg;

	if (!p)
		return;
	pgr_reset(st);
	if (p->name[0]) {
		char sql[48];
		snprintf(sql, sizeof sql, "DEALLOCATE %s", p->name);
		PQclear(PQexec(st->db->pg->conn, sql));
	}
	PQclear(p->desc);
	for (int i = 0; i <= MAX_PARAMS; i++)
		free(p->pv[i]);
	free(p->q);
	free(p->kind);
	free(p->real);
	free(p->sql);
	free(p);
	st->pg = NULL;
}

/* ---- columns -------------------------------------------------------- */

int pgr_column_count(struct mp_db_stmt *st)
{
	struct pg_stmt *p = st->pg;

	if (!p->name[0] && server_prepare(st) < 0)
		return 0;
	return PQnfields(p->desc);
}

const char *pgr_column_name(struct mp_db_stmt *st, int i)
{
	return pgr_column_count(st) > i ? PQfname(st->pg->desc, i) : NULL;
}

/* A numeric's value is an integer when its text is one that fits. */
static bool integral(const char *t)
{
	char *end;

	if (strpbrk(t, ".eEIN")) /* 1.5, 1e9, Infinity, NaN */
		return false;
	errno = 0;
	strtoll(t, &end, 10);
	return errno == 0 && !*end;
}

enum mp_db_type pgr_column_type(struct mp_db_stmt *st, int i)
{
	struct pg_stmt *p = st->pg;

	if (!p->cur || i < 0 || i >= PQnfields(p->cur) || PQgetisnull(p->cur, 0, i))
		return MP_DBT_NULL;
	switch (p->kind[i]) {
	case K_INT: case K_BOOL: return MP_DBT_INT;
	case K_REAL: return MP_DBT_REAL;
	case K_NUMERIC: return integral(PQgetvalue(p->cur, 0, i)) ? MP_DBT_INT : MP_DBT_REAL;
	default: return MP_DBT_TEXT;
	}
}

const char *pgr_column_text(struct mp_db_stmt *st, int i)
{
	struct pg_stmt *p = st->pg;
	const char *t;

	switch (pgr_column_type(st, i)) {
	case MP_DBT_NULL:
		return NULL;
	case MP_DBT_REAL:
		/* SQLite's own rendering of a REAL (sqlite3VdbeMemStringify) */
		sqlite3_snprintf(sizeof p->real[i], p->real[i], "%!.15g",
				 strtod(PQgetvalue(p->cur, 0, i), NULL));
		return p->real[i];
	default:
		t = PQgetvalue(p->cur, 0, i);
		if (p->kind[i] == K_BOOL)
			return *t == 't' ? "1" : "0";
		return t;
	}
}

const char *pgr_column_raw(struct mp_db_stmt *st, int i)
{
	struct pg_stmt *p = st->pg;

	if (pgr_column_type(st, i) == MP_DBT_NULL)
		return NULL;
	if (p->kind[i] == K_BOOL)
		return *PQgetvalue(p->cur, 0, i) == 't' ? "1" : "0";
	return PQgetvalue(p->cur, 0, i);
}

/* ---- schema --------------------------------------------------------- */

static int exists(struct mp_db *db, const char *sql, const char *a, const char *b)
{
	const char *v[2] = { a, b };
	PGresult *r;
	int ret;

	idle(db);
	r = PQexecParams(db->pg->conn, sql, b ? 2 : 1, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		set_err(db, r, NULL);
		ret = -1;
	} else {
		ret = PQntuples(r) > 0;
	}
	PQclear(r);
	return ret;
}

int pgr_has_table(struct mp_db *db, const char *name)
{
	return exists(db, "SELECT 1 WHERE to_regclass($1) IS NOT NULL", name, NULL);
}

int pgr_has_column(struct mp_db *db, const char *table, const char *col)
{
	return exists(db, "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1)"
		      " AND attname = $2 AND attnum > 0 AND NOT attisdropped", table, col);
}

#else /* without libpq: every PostgreSQL target is refused at open */

bool pgr_open(struct mp_db *db, const char *target, char *err, size_t n)
{
	(void)db;
	(void)target;
	snprintf(err, n, "this mpana was built without PostgreSQL support"
		 " (rebuild with libpq-dev installed)");
	return false;
}

void pgr_close(struct mp_db *db) { (void)db; }
int pgr_prepare(struct mp_db *db, const char *sql, struct mp_db_stmt *st, const char **tail)
{
	(void)db; (void)sql; (void)st; (void)tail;
	return -1;
}
void pgr_bind(struct mp_db_stmt *st, int i, const char *v, bool integer)
{
	(void)st; (void)i; (void)v; (void)integer;
}
int pgr_step(struct mp_db_stmt *st) { (void)st; return -1; }
void pgr_reset(struct mp_db_stmt *st) { (void)st; }
void pgr_finalize(struct mp_db_stmt *st) { (void)st; }
int pgr_column_count(struct mp_db_stmt *st) { (void)st; return 0; }
const char *pgr_column_name(struct mp_db_stmt *st, int i) { (void)st; (void)i; return NULL; }
enum mp_db_type pgr_column_type(struct mp_db_stmt *st, int i)
{
	(void)st; (void)i;
	return MP_DBT_NULL;
}
const char *pgr_column_text(struct mp_db_stmt *st, int i) { (void)st; (void)i; return NULL; }
const char *pgr_column_raw(struct mp_db_stmt *st, int i) { (void)st; (void)i; return NULL; }
int pgr_has_table(struct mp_db *db, const char *name) { (void)db; (void)name; return -1; }
int pgr_has_column(struct mp_db *db, const char *table, const char *col)
{
	(void)db; (void)table; (void)col;
	return -1;
}

#endif /* MPANA_WITH_PG */
