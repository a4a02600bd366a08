/* SPDX-License-Identifier: BSD-2-Clause */
/* db_int.h - the read interface's internals (include/mpana/db.h), shared
 * by db_read.c (the interface and SQLite) and pg_read.c (PostgreSQL). */
#ifndef MPANA_DB_INT_H
#define MPANA_DB_INT_H

#include <sqlite3.h>

#include "mpana/db.h"

struct pg_read; /* pg_read.c */
struct pg_stmt; /* pg_read.c */

struct mp_db {
	enum mp_db_kind kind;  /* SQLite or PostgreSQL */
	sqlite3 *sq;           /* SQLite: the connection */
	struct pg_read *pg;    /* PostgreSQL: the connection and its state */
	char err[1024];        /* PostgreSQL: the last error message */
	bool err_ro;           /* PostgreSQL: it was SQLSTATE 25006 (read-only) */
};

struct mp_db_stmt {
	struct mp_db *db;      /* the database */
	sqlite3_stmt *sq;      /* SQLite: the statement */
	struct pg_stmt *pg;    /* PostgreSQL: the statement */
};

/* pg_read.c: the PostgreSQL side of every mp_db_* function. */
bool pgr_open(struct mp_db *db, const char *target, char *err, size_t n);
void pgr_close(struct mp_db *db);
int pgr_prepare(struct mp_db *db, const char *sql, struct mp_db_stmt *st, const char **tail);
void pgr_bind(struct mp_db_stmt *st, int i, const char *v, bool integer);
int pgr_step(struct mp_db_stmt *st);
void pgr_reset(struct mp_db_stmt *st);
void pgr_finalize(struct mp_db_stmt *st);
int pgr_column_count(struct mp_db_stmt *st);
const char *pgr_column_name(struct mp_db_stmt *st, int i);
enum mp_db_type pgr_column_type(struct mp_db_stmt *st, int i);
const char *pgr_column_text(struct mp_db_stmt *st, int i);
/* The value as the server sent it (full precision; NULL for NULL). */
const char *pgr_column_raw(struct mp_db_stmt *st, int i);
int pgr_has_table(struct mp_db *db, const char *name);
int pgr_has_column(struct mp_db *db, const char *table, const char *col);

#endif /* MPANA_DB_INT_H */
