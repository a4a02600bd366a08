/* SPDX-License-Identifier: BSD-2-Clause */
/* test_expect.c - expectation-file line parser for `mpana check`. */
#include <criterion/criterion.h>

#include "mpana/expect.h"

static int parse(const char *line, struct mp_expect *e, char *err)
{
	return mp_expect_parse_line(line, 7, e, err, 128);
}

Test(expect, blank_and_comments)
{
	struct mp_expect e;
	char err[128];

	cr_assert_eq(parse("", &e, err), 0);
	cr_assert_eq(parse("   \t", &e, err), 0);
	cr_assert_eq(parse("# a comment", &e, err), 0);
	cr_assert_eq(parse("   # indented comment", &e, err), 0);
}

Test(expect, metric_forms)
{
	static const struct {
		const char *line;
		const char *metric;
		enum mp_cmp cmp;
		double value;
	} cases[] = {
		{ "connections == 1", "connections", MP_CMP_EQ, 1 },
		{ "subflows >= 3              # in every connection", "subflows", MP_CMP_GE, 3 },
		{ "hmac_failures==0", "hmac_failures", MP_CMP_EQ, 0 },
		{ "failover.latency_ms < 1500", "failover.latency_ms", MP_CMP_LT, 1500 },
		{ "failover.count >= 1", "failover.count", MP_CMP_GE, 1 },
		{ "option.mp_fastclose >= 1", "option.mp_fastclose", MP_CMP_GE, 1 },
		{ "malformed != 2", "malformed", MP_CMP_NE, 2 },
		{ "x <= 2.5", "x", MP_CMP_LE, 2.5 },
		{ "x > -1", "x", MP_CMP_GT, -1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mp_expect e;
		char err[128] = "";
		cr_assert_eq(parse(cases[i].line, &e, err), 1, "%s: %s", cases[i].line, err);
		cr_assert_eq(e.kind, MP_EXPECT_METRIC);
		cr_assert_str_eq(e.metric, cases[i].metric);
		cr_assert_eq(e.cmp, cases[i].cmp, "%s", cases[i].line);
		cr_assert_eq(e.value, cases[i].value, "%s", cases[i].line);
		cr_assert_eq(e.line, 7);
	}
}

Test(expect, text_drops_the_comment)
{
	struct mp_expect e;
	char err[128];

	cr_assert_eq(parse("  subflows >= 3   # every connection", &e, err), 1);
	cr_assert_str_eq(e.text, "subflows >= 3");
}

Test(expect, handshake_valid)
{
	struct mp_expect e;
	char err[128];

	cr_assert_eq(parse("handshake_order valid", &e, err), 1);
	cr_assert_eq(e.kind, MP_EXPECT_VALID);
	cr_assert_str_eq(e.metric, "handshake_order");
	cr_assert_eq(parse("handshake_order valid # ok", &e, err), 1);
	cr_assert_eq(parse("handshake_order valid please", &e, err), -1);
}

Test(expect, sql_form)
{
	struct mp_expect e;
	char err[128];

	cr_assert_eq(parse("sql: SELECT count(*) FROM events WHERE type = 'mp_prio' ; >= 1", &e, err), 1);
	cr_assert_eq(e.kind, MP_EXPECT_SQL);
	cr_assert_str_eq(e.sql, "SELECT count(*) FROM events WHERE type = 'mp_prio'");
	cr_assert_eq(e.cmp, MP_CMP_GE);
	cr_assert_eq(e.value, 1);
	/* '#' inside the query is not a comment. */
	cr_assert_eq(parse("sql: SELECT '#x' ; == 0", &e, err), 1);
	cr_assert_str_eq(e.sql, "SELECT '#x'");
}

Test(expect, errors)
{
	static const char *const bad[] = {
		"connections",              /* no comparison */
		"connections = 1",          /* not an operator */
		"connections == ",          /* no number */
		"connections == one",       /* not a number */
		"connections == 1 extra",   /* trailing text */
		"== 1",                     /* no metric */
		"sql: SELECT 1",            /* no ; OP NUMBER */
		"sql: ; == 1",              /* empty query */
		"sql: SELECT 1 ; ~ 1",      /* bad operator */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct mp_expect e;
		char err[128] = "";
		cr_assert_eq(parse(bad[i], &e, err), -1, "accepted: %s", bad[i]);
		cr_assert_neq(err[0], '\0', "no message for: %s", bad[i]);
	}
}

Test(expect, comparisons)
{
	cr_assert(mp_cmp_holds(MP_CMP_EQ, 1, 1));
	cr_assert_not(mp_cmp_holds(MP_CMP_EQ, 1, 2));
	cr_assert(mp_cmp_holds(MP_CMP_NE, 1, 2));
	cr_assert(mp_cmp_holds(MP_CMP_LT, 1, 2));
	cr_assert_not(mp_cmp_holds(MP_CMP_LT, 2, 2));
	cr_assert(mp_cmp_holds(MP_CMP_LE, 2, 2));
	cr_assert(mp_cmp_holds(MP_CMP_GT, 3, 2));
	cr_assert(mp_cmp_holds(MP_CMP_GE, 2, 2));
	cr_assert_str_eq(mp_cmp_name(MP_CMP_GE), ">=");
}
