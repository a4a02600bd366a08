/* SPDX-License-Identifier: BSD-2-Clause */
/* db.h - reading a database written by `mpana --db`, an SQLite file or a
 * PostgreSQL database, through one interface (src/sinks/store/db_read.c
 * for SQLite, pg_read.c for PostgreSQL): `mpana query` and `mpana report`
 * read both the same way.
 *
 * The interface is SQLite's, cut to what the readers need: prepare one
 * statement of a text (the tail is the rest), bind ?N parameters, step
 * through the rows, read columns. Values come out as SQLite gives them, so
 * that the same query prints the same on both back ends: booleans are the
 * integers 1 and 0, integral numerics are integers, and a REAL's text is
 * SQLite's rendering ("%!.15g": 12.0, 0.25, 1.5e+20). The SQL itself must
 * be valid in both dialects (docs/postgresql.md lists what differs).
 *
 * A database is opened read-only: SQLite with SQLITE_OPEN_READONLY and
 * PRAGMA query_only; PostgreSQL inside one REPEATABLE READ, READ ONLY
 * transaction that is rolled back at close, with transaction control
 * statements refused, so nothing can be written either way. */
#ifndef MPANA_DB_H
#define MPANA_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* PostgreSQL targets: "postgresql://..." and "postgres://..." URIs, and
 * "postgresql:KEY=VALUE ..." for a libpq key=value connection string
 * (https://www.postgresql.org/docs/15/libpq-connect.html §34.1.1).
 * Anything else is an SQLite file name. */
bool mp_db_is_pg(const char *target);

/* The key=value or URI connection string of a PostgreSQL target (the
 * prefix "postgresql:" removed from the key=value form); borrowed from it. */
const char *mp_db_pg_conninfo(const char *target);

/* True when this mpana was built with PostgreSQL support (libpq). */
bool mp_db_pg_available(void);

/* `target` for messages, with a password in it replaced by "***".
 * Returns owned, NULL when out of memory. */
char *mp_db_label(const char *target);

enum mp_db_kind { MP_DB_SQLITE, MP_DB_PG };
enum mp_db_type { MP_DBT_NULL, MP_DBT_INT, MP_DBT_REAL, MP_DBT_TEXT };

struct mp_db;
struct mp_db_stmt;

/* Opens `target` read-only. Returns owned, or NULL with the reason in
 * err (a missing SQLite file is "no such database"; it is not created). */
struct mp_db *mp_db_open(const char *target, char *err, size_t n);
/* Closes `db` (NULL is fine); its statements must be finalized first. */
void mp_db_close(struct mp_db *db);
enum mp_db_kind mp_db_kind(const struct mp_db *db);
/* The last error's message; valid until the next call on `db`. */
const char *mp_db_errmsg(struct mp_db *db);
/* True when the last error was a write refused as read-only. */
bool mp_db_err_readonly(struct mp_db *db);

/* Prepares the first statement of `sql`; *tail (may be NULL) is set to
 * the rest of the text. *st is NULL when that part held no statement
 * (blanks, comments). Returns 0, or -1 (mp_db_errmsg). */
int mp_db_prepare(struct mp_db *db, const char *sql, struct mp_db_stmt **st,
		  const char **tail);
/* Binds parameter ?i (1-based); text is copied. */
void mp_db_bind_i64(struct mp_db_stmt *st, int i, int64_t v);
void mp_db_bind_text(struct mp_db_stmt *st, int i, const char *v);
/* The next row: 1, 0 at the end, -1 on an error (mp_db_errmsg). */
int mp_db_step(struct mp_db_stmt *st);
/* Back to before the first row; bindings are kept. */
void mp_db_reset(struct mp_db_stmt *st);
/* Frees `st` (NULL is fine). */
void mp_db_finalize(struct mp_db_stmt *st);

/* The columns of the current row; text is valid until the next step,
 * reset or finalize, NULL for SQL NULL. */
int mp_db_column_count(struct mp_db_stmt *st);
const char *mp_db_column_name(struct mp_db_stmt *st, int i);
enum mp_db_type mp_db_column_type(struct mp_db_stmt *st, int i);
int64_t mp_db_column_i64(struct mp_db_stmt *st, int i);
int mp_db_column_int(struct mp_db_stmt *st, int i);
double mp_db_column_double(struct mp_db_stmt *st, int i);
const char *mp_db_column_text(struct mp_db_stmt *st, int i);

/* Does the database have table or view `name` (1), column `col` of table
 * `table` (1)? 0 no, -1 on an error. */
int mp_db_has_table(struct mp_db *db, const char *name);
int mp_db_has_column(struct mp_db *db, const char *table, const char *col);

#endif /* MPANA_DB_H */
