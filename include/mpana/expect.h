/* SPDX-License-Identifier: BSD-2-Clause */
/* expect.h - expectation files for `mpana check` (docs/check.md).
 *
 * One expectation per line:
 *     METRIC OP NUMBER          e.g.  connections == 1, failover.latency_ms < 1500
 *     handshake_order valid
 *     sql: SELECT ... ; OP NUMBER
 * where OP is one of == != < <= > >=. '#' starts a comment (outside sql:).
 * Parsing is pure: no I/O beyond the caller's buffer, no allocation. */
#ifndef MPANA_EXPECT_H
#define MPANA_EXPECT_H

#include <stdbool.h>
#include <stddef.h>

enum mp_cmp { MP_CMP_EQ, MP_CMP_NE, MP_CMP_LT, MP_CMP_LE, MP_CMP_GT, MP_CMP_GE };

enum mp_expect_kind {
	MP_EXPECT_METRIC = 0, /* METRIC OP NUMBER */
	MP_EXPECT_VALID = 1,  /* handshake_order valid */
	MP_EXPECT_SQL = 2,    /* sql: QUERY ; OP NUMBER */
};

#define MP_EXPECT_TEXT_MAX 1024

struct mp_expect {
	int line;                    /* 1-based line number in the file */
	enum mp_expect_kind kind;    /* form */
	char metric[64];             /* METRIC (MP_EXPECT_METRIC) */
	char sql[MP_EXPECT_TEXT_MAX]; /* QUERY (MP_EXPECT_SQL) */
	enum mp_cmp cmp;             /* OP */
	double value;                /* NUMBER */
	char text[MP_EXPECT_TEXT_MAX]; /* the expectation as written, trimmed */
};

/* Parses one line. Returns 1 and fills `e` for an expectation, 0 for a
 * blank or comment line, -1 on a syntax error with a message in `err`
 * (without the line number). Metric names are checked by the caller. */
int mp_expect_parse_line(const char *line, int lineno, struct mp_expect *e,
			 char *err, size_t errlen);

/* True when `measured OP value` holds. */
bool mp_cmp_holds(enum mp_cmp cmp, double measured, double value);

/* "==", "!=", ... */
const char *mp_cmp_name(enum mp_cmp cmp);

#endif /* MPANA_EXPECT_H */
