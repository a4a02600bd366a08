/* SPDX-License-Identifier: BSD-2-Clause */
/* store_int.h - the SQLite store's internals, shared by the files of
 * src/sinks/store/ only (the interface is include/mpana/store.h): the
 * prepared statements, the store's state, small binding helpers. */
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

enum {
	S_BEGIN, S_COMMIT, S_ROLLBACK, S_EVENT, S_CONN_STUB, S_SF_STUB, S_CONN,
	S_SF, S_ADDR, S_FAILOVER, S_FAILBACK, S_OPTION, S_CAPTURE, S_OPTCOUNT,
	S_JOIN_ATTEMPT, S_ANNOUNCE,
	S_CONN_FB, S_SF_FB, S_STALL, /* fallback proofs, connection stalls */
	S__COUNT
};

/* The statements' SQL, by S_* (store.c). */
extern const char *const store_sql[S__COUNT];

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

/* ---- helpers -------------------------------------------------------- */

static inline double secs(uint64_t ns)
{
	return (double)(ns / 1000000000u) + (double)(ns % 1000000000u) / 1e9;
}

static inline void bind_ts(sqlite3_stmt *s, int i, uint64_t ns)
{
	if (ns)
		sqlite3_bind_double(s, i, secs(ns));
	else
		sqlite3_bind_null(s, i);
}

static inline void bind_text(sqlite3_stmt *s, int i, const char *t)
{
	if (t && *t)
		sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static inline void bind_tri(sqlite3_stmt *s, int i, int ok)
{
	if (ok == MP_OK_TRUE || ok == MP_OK_FALSE)
		sqlite3_bind_int(s, i, ok);
	else
		sqlite3_bind_null(s, i);
}

static inline void bind_id(sqlite3_stmt *s, int i, int64_t base, uint32_t id)
{
	if (id)
		sqlite3_bind_int64(s, i, base + id);
	else
		sqlite3_bind_null(s, i);
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

static inline void bind_opt_i64(sqlite3_stmt *s, int i, bool present, int64_t v)
{
	if (present)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

static inline void bind_ms(sqlite3_stmt *s, int i, bool present, uint64_t ns)
{
	if (present)
		sqlite3_bind_double(s, i, (double)ns / 1e6);
	else
		sqlite3_bind_null(s, i);
}

/* Reports the first error of the store (sqlite3_errmsg when rc is the
 * database's error) and makes it inert. */
void store_fail(struct mp_store *st, const char *what, int rc);
/* Steps statement `which` to SQLITE_DONE and resets it; false (reported)
 * otherwise. */
bool store_run(struct mp_store *st, int which, const char *what);
/* Commits when the batch is due (events or capture time). */
void store_maybe_commit(struct mp_store *st, uint64_t ts_ns);
/* The packet that proves a fallback and who fell back, on row `id` of
 * connections (S_CONN_FB) or subflows (S_SF_FB). */
void store_put_fallback_proof(struct mp_store *st, int which, int64_t id,
			      uint64_t frame, uint8_t side);

#endif /* MPANA_STORE_INT_H */
