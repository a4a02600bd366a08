/* SPDX-License-Identifier: BSD-2-Clause */
/* db_read.c - the read interface of include/mpana/db.h: the target's back
 * end chosen by its name, the SQLite side of every function, and the
 * PostgreSQL side called in pg_read.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db_int.h"

/* ---- targets -------------------------------------------------------- */

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

bool mp_db_is_pg(const char *target)
{
	return target && (has_prefix(target, "postgresql:") || has_prefix(target, "postgres://"));
}

const char *mp_db_pg_conninfo(const char *target)
{
	if (has_prefix(target, "postgresql:") && !has_prefix(target, "postgresql://"))
		return target + strlen("postgresql:");
	return target;
}

bool mp_db_pg_available(void)
{
#if MPANA_WITH_PG
	return true;
#else
	return false;
#endif
}

/* Hides the password of a URI (scheme://user:PASSWORD@host...) and of a
 * key=value string (password=VALUE, quoted or not); a password given as
 * a URI parameter (?password=...) too. */
char *mp_db_label(const char *target)
{
	char *out = malloc(2 * strlen(target) + 16); /* "***" may be longer */
	const char *p = target, *at, *colon, *slash;
	size_t o = 0;

	if (!out)
		return NULL;
	if (mp_db_is_pg(target) && (slash = strstr(target, "://"))) {
		const char *auth = slash + 3;
		const char *end = auth + strcspn(auth, "/?#");
		at = memchr(auth, '@', (size_t)(end - auth));
		colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon) {
			memcpy(out, target, (size_t)(colon + 1 - target));
			o = (size_t)(colon + 1 - target);
			memcpy(out + o, "***", 3);
			o += 3;
			p = at;
		}
	}
	while (*p) {
		if (mp_db_is_pg(target) && has_prefix(p, "password=") &&
		    (p == target || strchr(" \t?&:", p[-1]))) {
			memcpy(out + o, "password=***", 12);
			o += 12;
			p += 9;
			if (*p == '\'') { /* key='quoted \' value' */
				for (p++; *p && *p != '\''; p++)
					if (*p == '\\' && p[1])
						p++;
				if (*p)
					p++;
			} else {
				p += strcspn(p, " \t&");
			}
			continue;
		}
		out[o++] = *p++;
	}
	out[o] = '\0';
	return out;
}

/* ---- open, close ---------------------------------------------------- */

struct mp_db *mp_db_open(const char *target, char *err, size_t n)
{
	struct mp_db *db = calloc(1, sizeof *db);
	struct stat sb;
	int rc;

	if (!db) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	if (mp_db_is_pg(target)) {
		db->kind = MP_DB_PG;
		if (!pgr_open(db, target, err, n)) {
			free(db);
			return NULL;
		}
		return db;
	}
	db->kind = MP_DB_SQLITE;
	if (stat(target, &sb) != 0) {
		snprintf(err, n, "no such database");
		free(db);
		return NULL;
	}
	rc = sqlite3_open_v2(target, &db->sq, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_extended_result_codes(db->sq, 1);
		sqlite3_busy_timeout(db->sq, 5000);
		rc = sqlite3_exec(db->sq, "PRAGMA query_only = 1", NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		snprintf(err, n, "%s", db->sq ? sqlite3_errmsg(db->sq) : sqlite3_errstr(rc));
		sqlite3_close(db->sq);
		free(db);
		return NULL;
	}
	return db;
}

void mp_db_close(struct mp_db *db)
{
	if (!db)
		return;
	if (db->kind == MP_DB_PG)
		pgr_close(db);
	else
		sqlite3_close(db->sq);
	free(db);
}

enum mp_db_kind mp_db_kind(const struct mp_db *db)
{
	return db->kind;
}

const char *mp_db_errmsg(struct mp_db *db)
{
	return db->kind == MP_DB_PG ? db->err : sqlite3_errmsg(db->sq);
}

bool mp_db_err_readonly(struct mp_db *db)
{
	if (db->kind == MP_DB_PG)
		return db->err_ro;
	return (sqlite3_extended_errcode(db->sq) & 0xff) == SQLITE_READONLY;
}

/* ---- statements ----------------------------------------------------- */

int mp_db_prepare(struct mp_db *db, const char *sql, struct mp_db_stmt **out,
		  const char **tail)
{
	struct mp_db_stmt *st = calloc(1, sizeof *st);
	const char *t = NULL;
	int rc;

	*out = NULL;
	if (!st) {
		snprintf(db->err, sizeof db->err, "out of memory");
		return -1;
	}
	st->db = db;
	if (db->kind == MP_DB_PG) {
		rc = pgr_prepare(db, sql, st, &t);
	} else {
		rc = sqlite3_prepare_v2(db->sq, sql, -1, &st->sq, &t) == SQLITE_OK ? 0 : -1;
		if (rc == 0 && !st->sq)
			rc = 1; /* no statement in that part */
	}
	if (tail)
		*tail = t;
	if (rc != 0) {
		free(st);
		return rc < 0 ? -1 : 0;
	}
	*out = st;
	return 0;
}

void mp_db_bind_i64(struct mp_db_stmt *st, int i, int64_t v)
{
	if (st->db->kind == MP_DB_PG) {
		char buf[24];
		snprintf(buf, sizeof buf, "%lld", (long long)v);
		pgr_bind(st, i, buf, true);
	} else {
		sqlite3_bind_int64(st->sq, i, v);
	}
}

void mp_db_bind_text(struct mp_db_stmt *st, int i, const char *v)
{
	if (st->db->kind == MP_DB_PG)
		pgr_bind(st, i, v, false);
	else
		sqlite3_bind_text(st->sq, i, v, -1, SQLITE_TRANSIENT);
}

int mp_db_step(struct mp_db_stmt *st)
{
	int rc;

	if (st->db->kind == MP_DB_PG)
		return pgr_step(st);
	rc = sqlite3_step(st->sq);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

void mp_db_reset(struct mp_db_stmt *st)
{
	if (st->db->kind == MP_DB_PG)
		pgr_reset(st);
	else
		sqlite3_reset(st->sq);
}

void mp_db_finalize(struct mp_db_stmt *st)
{
	if (!st)
		return;
	if (st->db->kind == MP_DB_PG)
		pgr_finalize(st);
	else
		sqlite3_finalize(st->sq);
	free(st);
}

/* ---- columns -------------------------------------------------------- */

int mp_db_column_count(struct mp_db_stmt *st)
{
	return st->db->kind == MP_DB_PG ? pgr_column_count(st) : sqlite3_column_count(st->sq);
}

const char *mp_db_column_name(struct mp_db_stmt *st, int i)
{
	return st->db->kind == MP_DB_PG ? pgr_column_name(st, i) : sqlite3_column_name(st->sq, i);
}

enum mp_db_type mp_db_column_type(struct mp_db_stmt *st, int i)
{
	if (st->db->kind == MP_DB_PG)
		return pgr_column_type(st, i);
	switch (sqlite3_column_type(st->sq, i)) {
	case SQLITE_INTEGER: return MP_DBT_INT;
	case SQLITE_FLOAT: return MP_DBT_REAL;
	case SQLITE_NULL: return MP_DBT_NULL;
	default: return MP_DBT_TEXT;
	}
}

const char *mp_db_column_text(struct mp_db_stmt *st, int i)
{
	if (st->db->kind == MP_DB_PG)
		return pgr_column_text(st, i);
	return (const char *)sqlite3_column_text(st->sq, i);
}

/* PostgreSQL values are converted from the text the server sent (full
 * precision, not the rendering above) as SQLite converts a column: a REAL
 * truncated towards zero, text by its numeric prefix. */
int64_t mp_db_column_i64(struct mp_db_stmt *st, int i)
{
	const char *t;

	if (st->db->kind != MP_DB_PG)
		return sqlite3_column_int64(st->sq, i);
	t = pgr_column_raw(st, i);
	if (!t)
		return 0;
	if (pgr_column_type(st, i) == MP_DBT_REAL)
		return (int64_t)strtod(t, NULL);
	return strtoll(t, NULL, 10);
}

int mp_db_column_int(struct mp_db_stmt *st, int i)
{
	return st->db->kind == MP_DB_PG ? (int)mp_db_column_i64(st, i)
					 : sqlite3_column_int(st->sq, i);
}

double mp_db_column_double(struct mp_db_stmt *st, int i)
{
	const char *t;

	if (st->db->kind != MP_DB_PG)
		return sqlite3_column_double(st->sq, i);
	t = pgr_column_raw(st, i);
	return t ? strtod(t, NULL) : 0.0;
}

/* ---- schema --------------------------------------------------------- */

static int sq_exists(struct mp_db *db, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(db->sq, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, a, -1, SQLITE_TRANSIENT);
	if (b)
		sqlite3_bind_text(s, 2, b, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int mp_db_has_table(struct mp_db *db, const char *name)
{
	if (db->kind == MP_DB_PG)
		return pgr_has_table(db, name);
	return sq_exists(db, "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view')"
			 " AND name = ?1", name, NULL);
}

int mp_db_has_column(struct mp_db *db, const char *table, const char *col)
{
	if (db->kind == MP_DB_PG)
		return pgr_has_column(db, table, col);
	return sq_exists(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", table, col);
}
