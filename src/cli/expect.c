/* SPDX-License-Identifier: BSD-2-Clause */
/* expect.c - parse expectation-file lines for `mpana check` (see expect.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpana/expect.h"

static const char *const cmp_names[] = { "==", "!=", "<", "<=", ">", ">=" };

const char *mp_cmp_name(enum mp_cmp cmp)
{
	return (unsigned)cmp < 6 ? cmp_names[cmp] : "?";
}

bool mp_cmp_holds(enum mp_cmp cmp, double m, double v)
{
	switch (cmp) {
	case MP_CMP_EQ: return m == v;
	case MP_CMP_NE: return m != v;
	case MP_CMP_LT: return m < v;
	case MP_CMP_LE: return m <= v;
	case MP_CMP_GT: return m > v;
	case MP_CMP_GE: return m >= v;
	}
	return false;
}

static const char *skip_ws(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

/* Copies [s, s+n) trimmed of surrounding blanks into dst (size cap). */
static bool copy_trimmed(char *dst, size_t cap, const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= cap)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

/* Parses "OP NUMBER" with nothing after it but blanks or a comment. */
static int parse_cmp_value(const char *s, struct mp_expect *e, char *err,
			   size_t errlen)
{
	static const struct { const char *op; enum mp_cmp cmp; } ops[] = {
		{ "==", MP_CMP_EQ }, { "!=", MP_CMP_NE }, { "<=", MP_CMP_LE },
		{ ">=", MP_CMP_GE }, { "<", MP_CMP_LT },  { ">", MP_CMP_GT },
	};
	size_t i;
	char *end;

	s = skip_ws(s);
	for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!strncmp(s, ops[i].op, strlen(ops[i].op)))
			break;
	if (i == sizeof ops / sizeof ops[0]) {
		snprintf(err, errlen, "expected a comparison (== != < <= > >=) at \"%.20s\"", s);
		return -1;
	}
	e->cmp = ops[i].cmp;
	s = skip_ws(s + strlen(ops[i].op));
	errno = 0;
	e->value = strtod(s, &end);
	if (end == s || errno || !isfinite(e->value)) {
		snprintf(err, errlen, "expected a number after %s", ops[i].op);
		return -1;
	}
	s = skip_ws(end);
	if (*s && *s != '#') {
		snprintf(err, errlen, "unexpected text after the number: \"%.20s\"", s);
		return -1;
	}
	return 1;
}

int mp_expect_parse_line(const char *line, int lineno, struct mp_expect *e,
			 char *err, size_t errlen)
{
	const char *s = skip_ws(line);
	size_t n;

	memset(e, 0, sizeof *e);
	e->line = lineno;
	if (!*s || *s == '#')
		return 0;

	if (!strncmp(s, "sql:", 4)) {
		const char *q = s + 4;
		const char *semi = strrchr(q, ';');
		e->kind = MP_EXPECT_SQL;
		if (!semi) {
			snprintf(err, errlen, "sql: needs \"; OP NUMBER\" after the query");
			return -1;
		}
		if (!copy_trimmed(e->sql, sizeof e->sql, q, (size_t)(semi - q)) || !e->sql[0]) {
			snprintf(err, errlen, "sql: query missing or too long");
			return -1;
		}
		if (parse_cmp_value(semi + 1, e, err, errlen) < 0)
			return -1;
		n = strlen(s);
		copy_trimmed(e->text, sizeof e->text, s, n < sizeof e->text - 1 ? n : sizeof e->text - 1);
		return 1;
	}

	/* METRIC: letters, digits, '_' and '.'. */
	n = 0;
	while (s[n] && (isalnum((unsigned char)s[n]) || s[n] == '_' || s[n] == '.'))
		n++;
	if (n == 0) {
		snprintf(err, errlen, "expected a metric name at \"%.20s\"", s);
		return -1;
	}
	if (n >= sizeof e->metric) {
		snprintf(err, errlen, "metric name too long");
		return -1;
	}
	memcpy(e->metric, s, n);
	e->metric[n] = '\0';

	const char *rest = skip_ws(s + n);
	if (!strncmp(rest, "valid", 5) &&
	    (!rest[5] || isspace((unsigned char)rest[5]) || rest[5] == '#')) {
		const char *after = skip_ws(rest + 5);
		if (*after && *after != '#') {
			snprintf(err, errlen, "unexpected text after \"valid\"");
			return -1;
		}
		e->kind = MP_EXPECT_VALID;
	} else {
		e->kind = MP_EXPECT_METRIC;
		if (parse_cmp_value(rest, e, err, errlen) < 0)
			return -1;
	}
	/* The text as written, without a trailing comment. */
	const char *hash = strchr(s, '#');
	n = hash ? (size_t)(hash - s) : strlen(s);
	if (n > sizeof e->text - 1)
		n = sizeof e->text - 1;
	copy_trimmed(e->text, sizeof e->text, s, n);
	return 1;
}
