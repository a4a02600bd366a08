/* SPDX-License-Identifier: BSD-2-Clause */
/* store_int.h - the store's internals, shared by the files of
 * src/sinks/store/ only (the interface is include/mpana/store.h): the
 * statements, the row being written, the two back ends behind one table of
 * operations, small value helpers.
 *
 * A row is written in two steps: the writers (rows.c, analysis_rows.c,
 * store.c) put its values by parameter number (put_*), as they would bind
 * an SQLite statement, then store_run() hands it to the back end: SQLite
 * binds and steps the statement (sqlite.c); PostgreSQL appends it to that
 * statement's COPY buffer, sent at the next commit (pg_store.c). */
#ifndef MPANA_STORE_INT_H
#define MPANA_STORE_INT_H

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

/* The statements, by what they write. Their SQLite text is in sqlite.c,
 * their PostgreSQL COPY targets in pg_store.c; the parameter numbers
 * (put_* below) are the same for both. */
enum {
	S_BEGIN, S_COMMIT, S_ROLLBACK, S_EVENT, S_CONN_STUB, S_SF_STUB, S_CONN,
	S_SF, S_ADDR, S_FAILOVER, S_FAILBACK, S_OPTION, S_CAPTURE, S_OPTCOUNT,
	S_JOIN_ATTEMPT, S_ANNOUNCE, S_STALL,
	S__COUNT
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

/* One value of the row being written. */
enum { F_NULL = 0, F_INT, F_REAL, F_TEXT };
struct fld {
	uint8_t type;        /* F_* */
	int64_t i;           /* F_INT */
	double d;            /* F_REAL */
	const char *t;       /* F_TEXT: borrowed until store_run() returns */
};
#define ROW_MAX 40           /* parameters of the widest statement (36) and room */

struct mp_store;

/* A back end: SQLite (sqlite.c) or PostgreSQL (pg_store.c). */
struct store_backend {
	/* Writes st->row as statement `which`; false once reported. */
	bool (*run)(struct mp_store *st, int which, const char *what);
	/* Starts a batch (a transaction for SQLite; nothing for PostgreSQL,
	 * whose rows wait in memory). */
	bool (*begin)(struct mp_store *st);
	/* The first half of a commit: the batch's rows are written inside an
	 * open transaction, so that the capture row written next (S_CAPTURE,
	 * S_OPTCOUNT) joins them. */
	bool (*flush)(struct mp_store *st);
	/* The second half: commits that transaction. */
	bool (*commit)(struct mp_store *st);
	/* Releases the back end; rolls back whatever is not committed. */
	void (*close)(struct mp_store *st);
};

extern const struct store_backend store_sqlite_backend;
extern const struct store_backend store_pg_backend;

struct pg_store; /* pg_store.c */

struct mp_store {
	const struct store_backend *be; /* SQLite or PostgreSQL */
	sqlite3 *db;               /* SQLite: the connection */
	sqlite3_stmt *s[S__COUNT]; /* SQLite: persistent statements */
	int lock_fd;               /* SQLite: flock'ed descriptor of the file, -1 none */
	struct pg_store *pg;       /* PostgreSQL: its state; NULL for SQLite */
	char *path;                /* the database for messages (no password) */
	struct mp_store_cfg cfg;   /* copy; strings not kept */
	int64_t capture_id;        /* captures.id of this run */
	int64_t conn_base;         /* connections.id = conn_base + engine id
	                            * (PostgreSQL: of the first block, pg_store.c) */
	int64_t sf_base;           /* subflows.id = sf_base + engine id (same) */
	bool in_tx;                /* SQLite: a transaction is open */
	bool failed;               /* an error was reported: inert */
	uint32_t pending;          /* rows since the last commit */
	uint64_t batch_ts;         /* capture time of the batch start, 0 unset */
	uint32_t last_conn_stub;   /* conn id stubbed last (skip repeats) */
	uint32_t last_sf_stub;     /* subflow id stubbed last */
	struct cinfo *cinfo;       /* live connections' handshake times */
	struct fld row[ROW_MAX + 1]; /* the row being written, by parameter number */
	int row_n;                 /* highest parameter number put */
};

/* ---- the row being written ------------------------------------------- */

static inline void put_fld(struct mp_store *st, int i, uint8_t type)
{
	st->row[i].type = type;
	if (i > st->row_n)
		st->row_n = i;
}

static inline void put_null(struct mp_store *st, int i)
{
	put_fld(st, i, F_NULL);
}

static inline void put_i64(struct mp_store *st, int i, int64_t v)
{
	st->row[i].i = v;
	put_fld(st, i, F_INT);
}

static inline void put_real(struct mp_store *st, int i, double v)
{
	st->row[i].d = v;
	put_fld(st, i, F_REAL);
}

/* Text as it is (NULL pointer: NULL). Borrowed until store_run(). */
static inline void put_str(struct mp_store *st, int i, const char *t)
{
	if (!t) {
		put_null(st, i);
		return;
	}
	st->row[i].t = t;
	put_fld(st, i, F_TEXT);
}

/* ---- helpers -------------------------------------------------------- */

static inline double secs(uint64_t ns)
{
	return (double)(ns / 1000000000u) + (double)(ns % 1000000000u) / 1e9;
}

/* A capture time; 0 (unknown) is NULL. */
static inline void put_ts(struct mp_store *st, int i, uint64_t ns)
{
	if (ns)
		put_real(st, i, secs(ns));
	else
		put_null(st, i);
}

/* Text; NULL or empty is NULL. */
static inline void put_text(struct mp_store *st, int i, const char *t)
{
	if (t && *t)
		put_str(st, i, t);
	else
		put_null(st, i);
}

static inline void put_tri(struct mp_store *st, int i, int ok)
{
	if (ok == MP_OK_TRUE || ok == MP_OK_FALSE)
		put_i64(st, i, ok);
	else
		put_null(st, i);
}

static inline void put_opt_i64(struct mp_store *st, int i, bool present, int64_t v)
{
	if (present)
		put_i64(st, i, v);
	else
		put_null(st, i);
}

static inline void put_ms(struct mp_store *st, int i, bool present, uint64_t ns)
{
	if (present)
		put_real(st, i, (double)ns / 1e6);
	else
		put_null(st, i);
}

/* The database id of engine connection / subflow `n` (n > 0): the run's
 * base plus n for SQLite, from the run's id blocks for PostgreSQL. */
int64_t pg_store_id(struct mp_store *st, int subflow, uint32_t n);

static inline int64_t store_conn_id(struct mp_store *st, uint32_t n)
{
	return st->pg ? pg_store_id(st, 0, n) : st->conn_base + n;
}

static inline int64_t store_sf_id(struct mp_store *st, uint32_t n)
{
	return st->pg ? pg_store_id(st, 1, n) : st->sf_base + n;
}

/* Engine connection / subflow ids as database ids; 0 (none) is NULL. */
static inline void put_conn(struct mp_store *st, int i, uint32_t n)
{
	if (n)
		put_i64(st, i, store_conn_id(st, n));
	else
		put_null(st, i);
}

static inline void put_sf(struct mp_store *st, int i, uint32_t n)
{
	if (n)
		put_i64(st, i, store_sf_id(st, n));
	else
		put_null(st, i);
}

static inline void addr_str(char *buf, size_t n, uint8_t family, const uint8_t *a)
{
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)n))
		buf[0] = '\0';
}

static inline const char *hex_u64(char *buf, size_t n, uint64_t v, unsigned digits)
{
	snprintf(buf, n, "0x%0*llx", (int)digits, (unsigned long long)v);
	return buf;
}

/* ---- store.c, for the back ends ------------------------------------- */

/* Reports the first error of the store (`msg`: the library's message, or
 * NULL) and makes it inert. */
void store_fail_msg(struct mp_store *st, const char *what, const char *msg);
/* Writes the row put so far as statement `which` through the back end and
 * clears it; false (reported) on an error. */
bool store_run(struct mp_store *st, int which, const char *what);
/* Commits when the batch is due (events or capture time). */
void store_maybe_commit(struct mp_store *st, uint64_t ts_ns);
/* The host name for captures.host (gethostname), into buf. */
void store_host(char *buf, size_t n);
/* The wall-clock time now for captures.started, into buf. */
void store_started(char *buf, size_t n);

/* ---- the back ends' open functions ----------------------------------- */

/* Each opens the database named by st->cfg / target, writes the schema when
 * needed and the captures row (st->capture_id, conn_base, sf_base), with
 * its errors reported; false on failure (st->be->close still runs). */
bool store_sqlite_open(struct mp_store *st, const char *path, const char *source);
bool store_pg_open(struct mp_store *st, const char *target, const char *source);

#endif /* MPANA_STORE_INT_H */
