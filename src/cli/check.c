/* SPDX-License-Identifier: BSD-2-Clause */
/* cmd_check.c - `mpana check TRACE... [--expect FILE] [--junit FILE]`:
 * pass/fail verdicts on captured traces for CI (docs/check.md).
 *
 * Each trace is analyzed in-process, as `mpana -r TRACE -q --db TMP` would
 * (mp_selfrun_analyze), into a temporary SQLite database (the schema of
 * docs/schema.sql);
 * each expectation is then a query on it. Exit status: 0 every expectation
 * holds, 1 one failed, 2 usage, input or expectation-file error. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "mpana/cli.h"
#include "mpana/db.h"
#include "mpana/escape.h"
#include "mpana/expect.h"
#include "mpana/log.h"
#include "mpana/merge.h"
#include "mpana/pipeline.h"

#define MAX_EXPECT 256

/* How a metric is measured: a query returning one row (a count), or one
 * row per item (value, label) that must each satisfy the comparison. A
 * `?1` in the query is bound to the metric's suffix (option.X, events.X). */
struct metric {
	const char *name;  /* exact name, or a prefix ending in '.' */
	const char *sql;   /* the query */
	bool every;        /* one row per item, each must hold */
	const char *help;  /* for docs and error messages */
};

static const struct metric metrics[] = {
	{ "connections", "SELECT count(*) FROM connections", false,
	  "MPTCP connections, fallback ones included" },
	{ "mptcp_connections", "SELECT count(*) FROM connections WHERE fallback IS NULL", false,
	  "connections that did not fall back to TCP" },
	{ "fallback", "SELECT count(*) FROM connections WHERE fallback IS NOT NULL", false,
	  "connections that fell back to TCP" },
	{ "subflows", "SELECT (SELECT count(*) FROM subflows s WHERE s.conn_id = c.id),"
		      " 'connection ' || c.conn_no FROM connections c"
		      " WHERE c.fallback IS NULL ORDER BY c.conn_no", true,
	  "subflows of each MPTCP connection (every connection must hold)" },
	{ "subflows.total", "SELECT count(*) FROM subflows", false,
	  "subflows in the trace, attributed or not" },
	{ "hmac_failures", "SELECT count(*) FROM events WHERE type = 'hmac_failure'", false,
	  "MP_JOIN and ADD_ADDR HMACs that did not verify" },
	{ "orphan_joins", "SELECT count(*) FROM events WHERE type = 'orphan_join'", false,
	  "MP_JOIN SYNs whose token belongs to no connection" },
	{ "unattributed", "SELECT count(*) FROM subflows WHERE conn_id IS NULL", false,
	  "subflows never attributed to a connection" },
	{ "reinjections", "SELECT coalesce(sum(reinj_frames), 0) FROM connections", false,
	  "segments re-sending data first sent on another subflow (or under a new"
	  " subflow sequence)" },
	{ "malformed", "SELECT coalesce(sum(malformed), 0) FROM captures", false,
	  "MPTCP options that did not parse" },
	{ "failover.count", "SELECT count(*) FROM failovers WHERE kind = 'failover'", false,
	  "outage episodes recovered through another subflow (docs/sqlite.md)" },
	{ "failover.max_latency_ms", "SELECT coalesce(max(latency_ms), 0) FROM failovers"
				     " WHERE kind = 'failover'", false,
	  "the longest failover latency, 0 without failover" },
	{ "failover.latency_ms", "SELECT latency_ms, 'connection ' || c.conn_no || ' subflow '"
				 " || s.sf_no || ' ' || f.direction FROM failovers f"
				 " JOIN connections c ON c.id = f.conn_id"
				 " JOIN subflows s ON s.id = f.from_subflow"
				 " WHERE f.kind = 'failover' ORDER BY f.id", true,
	  "latency of each failover (every failover must hold)" },
	{ "failover.stall_ms", "SELECT stall_ms, 'connection ' || c.conn_no || ' subflow '"
			       " || s.sf_no || ' ' || f.direction FROM failovers f"
			       " JOIN connections c ON c.id = f.conn_id"
			       " JOIN subflows s ON s.id = f.from_subflow ORDER BY f.id", true,
	  "longest DATA_ACK stall of each episode" },
	{ "failover.per_connection", "SELECT (SELECT count(*) FROM failovers f WHERE"
				     " f.conn_id = c.id AND f.kind = 'failover'),"
				     " 'connection ' || c.conn_no FROM connections c"
				     " ORDER BY c.conn_no", true,
	  "failovers of each connection (every connection must hold)" },
	{ "stall.count", "SELECT count(*) FROM failovers WHERE kind = 'stall'", false,
	  "outage episodes that the failed subflow recovered from by itself" },
	{ "stall.per_connection", "SELECT (SELECT count(*) FROM failovers f WHERE"
				  " f.conn_id = c.id AND f.kind = 'stall'),"
				  " 'connection ' || c.conn_no FROM connections c"
				  " ORDER BY c.conn_no", true,
	  "stalls of each connection (every connection must hold)" },
	{ "joins.attempted", "SELECT count(*) FROM join_attempts", false,
	  "MP_JOIN SYN attempts (retransmitted SYNs count in their attempt)" },
	{ "joins.failed", "SELECT count(*) FROM join_attempts WHERE outcome <> 'established'", false,
	  "join attempts that did not establish a subflow" },
	{ "joins.outcome.", "SELECT count(*) FROM join_attempts WHERE outcome = ?1", false,
	  "joins.outcome.NAME: join attempts with that outcome (established, no_synack,"
	  " refused, synack_without_join, hmac_failure, rejected, not_established,"
	  " unknown_token)" },
	{ "addresses.announced", "SELECT count(*) FROM announcements", false,
	  "ADD_ADDR announcements (address records)" },
	{ "addresses.used", "SELECT count(*) FROM announcements WHERE verdict = 'used'", false,
	  "announced addresses with an established join" },
	{ "addresses.unused", "SELECT count(*) FROM announcements WHERE verdict = 'unused'", false,
	  "announced addresses echoed and never joined" },
	{ "addresses.failed", "SELECT count(*) FROM announcements WHERE verdict = 'failed'", false,
	  "announced addresses whose every join attempt failed" },
	{ "addresses.not_echoed", "SELECT count(*) FROM announcements WHERE verdict = 'not_echoed'",
	  false, "announced addresses never echoed nor joined" },
	{ "stalls", "SELECT count(*) FROM stalls", false,
	  "connection stalls: a DATA_ACK still for over 1 s while subflow ACKs"
	  " flow (table stalls; not stall.count, a subflow's outage)" },
	{ "option.", "SELECT coalesce(sum(count), 0) FROM option_counts WHERE opt = ?1"
		     " OR (?1 = 'unknown' AND opt LIKE 'unknown_%')", false,
	  "option.NAME: occurrences of an MPTCP option (mp_capable, mp_join, dss, ...)" },
	{ "events.", "SELECT count(*) FROM events WHERE type = ?1", false,
	  "events.TYPE: control events of a type (mpc_syn, join_ack, mp_prio, ...)" },
};

/* The checks every healthy MPTCP trace passes (no --expect). */
static const char *const default_expectations[] = {
	"hmac_failures == 0",
	"handshake_order valid",
	"malformed == 0",
	"orphan_joins == 0",
	"stalls == 0",
};

static const struct metric *metric_find(const char *name, const char **suffix)
{
	for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++) {
		size_t n = strlen(metrics[i].name);
		if (metrics[i].name[n - 1] == '.') {
			if (!strncmp(name, metrics[i].name, n) && name[n]) {
				*suffix = name + n;
				return &metrics[i];
			}
		} else if (!strcmp(name, metrics[i].name)) {
			*suffix = NULL;
			return &metrics[i];
		}
	}
	return NULL;
}

/* Reads and parses the expectation file; returns the count, or -1 after
 * reporting "FILE:LINE: message" on stderr. */
static int load_expectations(const char *path, struct mp_expect *ex, int max)
{
	char line[MP_EXPECT_TEXT_MAX + 64], err[160];
	int n = 0, lineno = 0;
	FILE *f;

	if (!path) {
		for (size_t i = 0; i < sizeof default_expectations / sizeof default_expectations[0]; i++) {
			if (mp_expect_parse_line(default_expectations[i], 0, &ex[n], err, sizeof err) == 1)
				n++;
		}
		return n;
	}
	f = fopen(path, "r");
	if (!f) {
		MP_LOG(MP_LOG_ERR, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			MP_LOG(MP_LOG_ERR, "%s:%d: line too long", path, lineno);
			fclose(f);
			return -1;
		}
		if (n >= max) {
			MP_LOG(MP_LOG_ERR, "%s:%d: more than %d expectations", path, lineno, max);
			fclose(f);
			return -1;
		}
		int r = mp_expect_parse_line(line, lineno, &ex[n], err, sizeof err);
		if (r < 0) {
			MP_LOG(MP_LOG_ERR, "%s:%d: %s", path, lineno, err);
			fclose(f);
			return -1;
		}
		if (r == 0)
			continue;
		if (ex[n].kind == MP_EXPECT_VALID && strcmp(ex[n].metric, "handshake_order")) {
			MP_LOG(MP_LOG_ERR, "%s:%d: only handshake_order can be \"valid\"", path, lineno);
			fclose(f);
			return -1;
		}
		const char *suffix;
		if (ex[n].kind == MP_EXPECT_METRIC && !metric_find(ex[n].metric, &suffix)) {
			MP_LOG(MP_LOG_ERR, "%s:%d: unknown metric \"%s\" (see docs/check.md)",
			       path, lineno, ex[n].metric);
			fclose(f);
			return -1;
		}
		n++;
	}
	if (ferror(f)) {
		MP_LOG(MP_LOG_ERR, "%s: %s", path, strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	return n;
}

struct verdict {
	bool pass;          /* the expectation holds */
	char measured[256]; /* what was measured, for the line and JUnit */
};

static void fmt_num(char *buf, size_t n, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%.3f", v);
}

/* Evaluates a count or per-item query; sets v. Returns 0 or -1 on an SQL
 * error, when it fails to prepare or a step fails (v->measured holds
 * sqlite3_errmsg for the caller to report). */
static int eval_query(struct mp_db *db, const char *sql, const char *bind, bool every,
		      const struct mp_expect *e, struct verdict *v)
{
	struct mp_db_stmt *st = NULL;
	int rc, rows = 0, bad = 0;
	char num[64];

	if (mp_db_prepare(db, sql, &st, NULL) != 0 || !st) {
		snprintf(v->measured, sizeof v->measured, "SQL error: %s",
			 st ? mp_db_errmsg(db) : "no statement");
		v->pass = false;
		return -1;
	}
	if (bind)
		mp_db_bind_text(st, 1, bind);
	v->pass = true;
	v->measured[0] = '\0';
	while ((rc = mp_db_step(st)) == 1) {
		size_t used = strlen(v->measured);
		double x = mp_db_column_double(st, 0);
		bool null = mp_db_column_type(st, 0) == MP_DBT_NULL;
		bool ok = !null && mp_cmp_holds(e->cmp, x, e->value);
		rows++;
		if (!every) {
			if (null) {
				snprintf(v->measured, sizeof v->measured, "NULL");
			} else {
				fmt_num(num, sizeof num, x);
				snprintf(v->measured, sizeof v->measured, "%s", num);
			}
			v->pass = ok;
			break;
		}
		/* every: list the items (failing ones first would reorder; keep order). */
		if (null)
			snprintf(num, sizeof num, "NULL");
		else
			fmt_num(num, sizeof num, x);
		if (used < sizeof v->measured - 1)
			snprintf(v->measured + used, sizeof v->measured - used, "%s%s %s%s",
				 used ? ", " : "", mp_db_column_text(st, 1) ?
				 mp_db_column_text(st, 1) : "?", num, ok ? "" : " (fails)");
		if (!ok) {
			v->pass = false;
			bad++;
		}
	}
	if (rc < 0) {
		snprintf(v->measured, sizeof v->measured, "SQL error: %s", mp_db_errmsg(db));
		v->pass = false;
		mp_db_finalize(st);
		return -1;
	}
	mp_db_finalize(st);
	if (rows == 0) {
		v->pass = false;
		snprintf(v->measured, sizeof v->measured, every ? "nothing to measure (no rows)" :
			 "query returned no row");
	}
	(void)bad;
	return 0;
}

static int eval_valid(struct mp_db *db, struct verdict *v)
{
	struct mp_db_stmt *st = NULL;
	int rc, rows = 0;

	v->pass = true;
	v->measured[0] = '\0';
	if (mp_db_prepare(db, "SELECT c.conn_no, h.valid, h.reason FROM handshake_verdict h"
			      " JOIN connections c ON c.id = h.conn_id ORDER BY c.capture_id, c.conn_no",
			  &st, NULL) != 0 || !st) {
		snprintf(v->measured, sizeof v->measured, "SQL error: %s", mp_db_errmsg(db));
		v->pass = false;
		return -1;
	}
	while ((rc = mp_db_step(st)) == 1) {
		size_t used = strlen(v->measured);
		rows++;
		if (mp_db_column_int(st, 1))
			continue;
		v->pass = false;
		if (used < sizeof v->measured - 1)
			snprintf(v->measured + used, sizeof v->measured - used, "%sconnection %d: %s",
				 used ? "; " : "", mp_db_column_int(st, 0),
				 mp_db_column_text(st, 2) ? mp_db_column_text(st, 2) : "invalid");
	}
	if (rc < 0)
		snprintf(v->measured, sizeof v->measured, "SQL error: %s", mp_db_errmsg(db));
	mp_db_finalize(st);
	if (rc < 0) {
		v->pass = false;
		return -1;
	}
	if (rows == 0) {
		v->pass = false;
		snprintf(v->measured, sizeof v->measured, "no connection");
	} else if (v->pass) {
		snprintf(v->measured, sizeof v->measured, "%d connection%s valid", rows, rows == 1 ? "" : "s");
	}
	return 0;
}

struct result {
	const char *trace;       /* borrowed from argv (or label) */
	char *label;             /* owned: a PostgreSQL target without its password */
	int analyze_rc;          /* exit status of the analysis */
	int n;                   /* verdicts used */
	struct verdict v[MAX_EXPECT];
};

static int write_junit(const char *path, struct result *res, int ntraces,
		       const struct mp_expect *ex)
{
	FILE *f = fopen(path, "w");
	int tests = 0, failures = 0, errors = 0;

	if (!f) {
		MP_LOG(MP_LOG_ERR, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (int t = 0; t < ntraces; t++) {
		if (res[t].analyze_rc != 0) {
			errors++;
			continue;
		}
		tests += res[t].n;
		for (int i = 0; i < res[t].n; i++)
			failures += !res[t].v[i].pass;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites name=\"mpana check\" tests=\"%d\" failures=\"%d\" errors=\"%d\">\n",
		tests + errors, failures, errors);
	for (int t = 0; t < ntraces; t++) {
		bool err = res[t].analyze_rc != 0;
		int tf = 0;
		for (int i = 0; i < res[t].n; i++)
			tf += !res[t].v[i].pass;
		fputs("  <testsuite name=\"", f);
		mp_escape_fputs(f, MP_ESC_XML, res[t].trace);
		fprintf(f, "\" tests=\"%d\" failures=\"%d\" errors=\"%d\">\n", err ? 1 : res[t].n,
			err ? 0 : tf, err ? 1 : 0);
		if (err) {
			fputs("    <testcase classname=\"mpana.check\" name=\"analysis\">\n"
			      "      <error message=\"the trace could not be analyzed\"/>\n"
			      "    </testcase>\n", f);
		}
		for (int i = 0; !err && i < res[t].n; i++) {
			fputs("    <testcase classname=\"mpana.check\" name=\"", f);
			mp_escape_fputs(f, MP_ESC_XML, ex[i].text);
			fputs("\">\n", f);
			fputs(res[t].v[i].pass ? "      <system-out>measured " : "      <failure message=\"measured ", f);
			mp_escape_fputs(f, MP_ESC_XML, res[t].v[i].measured);
			fputs(res[t].v[i].pass ? "</system-out>\n" : "\"/>\n", f);
			fputs("    </testcase>\n", f);
		}
		fputs("  </testsuite>\n", f);
	}
	fputs("</testsuites>\n", f);
	if (fclose(f) != 0) {
		MP_LOG(MP_LOG_ERR, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Writes `s` for a TAP description: '#' would start a directive and a
 * newline would end the line, so they are escaped. */
static void tap_desc(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '#' || *s == '\\')
			fputc('\\', f);
		fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
	}
}

/* A YAML double-quoted scalar. */
static void tap_yaml_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* TAP version 13 (testanything.org, as the kernel's selftests print it):
 * one test point per trace and expectation, in the order of the text
 * output, with the measured value; a YAML block under each failure. A
 * trace that cannot be analyzed is one "not ok" point (no Bail out!: the
 * other traces are still checked), so the plan is known before writing. */
static int write_tap(const char *path, struct result *res, int ntraces,
		     const struct mp_expect *ex)
{
	FILE *f = fopen(path, "w");
	int plan = 0, num = 0;

	if (!f) {
		MP_LOG(MP_LOG_ERR, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (int t = 0; t < ntraces; t++)
		plan += res[t].analyze_rc != 0 ? 1 : res[t].n;
	fprintf(f, "TAP version 13\n1..%d\n", plan);
	for (int t = 0; t < ntraces; t++) {
		if (res[t].analyze_rc != 0) {
			fprintf(f, "not ok %d - ", ++num);
			tap_desc(f, res[t].trace);
			fputs(": the trace could not be analyzed\n  ---\n  message: ", f);
			tap_yaml_str(f, "the trace could not be analyzed");
			fputs("\n  severity: fail\n  trace: ", f);
			tap_yaml_str(f, res[t].trace);
			fputs("\n  ...\n", f);
			continue;
		}
		for (int i = 0; i < res[t].n; i++) {
			const struct verdict *v = &res[t].v[i];
			fprintf(f, "%s %d - ", v->pass ? "ok" : "not ok", ++num);
			tap_desc(f, res[t].trace);
			if (ex[i].line)
				fprintf(f, ":%d", ex[i].line);
			fputs(": ", f);
			tap_desc(f, ex[i].text);
			fputs(" (measured ", f);
			tap_desc(f, v->measured);
			fputs(")\n", f);
			if (v->pass)
				continue;
			fputs("  ---\n  message: ", f);
			tap_yaml_str(f, "the expectation does not hold");
			fputs("\n  severity: fail\n  trace: ", f);
			tap_yaml_str(f, res[t].trace);
			if (ex[i].line)
				fprintf(f, "\n  line: %d", ex[i].line);
			fputs("\n  expectation: ", f);
			tap_yaml_str(f, ex[i].text);
			fputs("\n  measured: ", f);
			tap_yaml_str(f, v->measured);
			fputs("\n  ...\n", f);
		}
	}
	if (fclose(f) != 0) {
		MP_LOG(MP_LOG_ERR, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Removes a temporary database and its side files, whichever exist. */
/* A database written by mpana --db rather than a capture: a PostgreSQL
 * target (db.h) or a file that starts with SQLite's header. */
static bool is_database(const char *arg)
{
	char hdr[16];
	FILE *f;
	bool yes;

	if (mp_db_is_pg(arg))
		return true;
	f = fopen(arg, "rb");
	if (!f)
		return false;
	yes = fread(hdr, 1, sizeof hdr, f) == sizeof hdr && !memcmp(hdr, "SQLite format 3", 16);
	fclose(f);
	return yes;
}

static void remove_db(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[PATH_MAX + 48];

	for (size_t i = 0; i < sizeof suffix / sizeof *suffix; i++) {
		snprintf(p, sizeof p, "%s%s", path, suffix[i]);
		unlink(p);
	}
}

static void usage(FILE *f)
{
	fputs("Usage: mpana check TRACE|DB... [--expect FILE] [--junit FILE] [--tap FILE] [--merge]\n"
	      "Evaluates expectations on each capture, or on everything an mpana --db\n"
	      "database holds (an SQLite file or a postgresql:// target, docs/postgresql.md);\n"
	      "without --expect, the checks every\n"
	      "healthy MPTCP trace passes (hmac_failures == 0, handshake_order valid,\n"
	      "malformed == 0, orphan_joins == 0). Exit status: 0 all hold, 1 one fails,\n"
	      "2 usage, input or expectation-file error. Metrics: docs/check.md.\n"
	      "  --merge   the TRACEs are one trace (captures of one run at several\n"
	      "            points, merged by time as by mpana -r A -r B)\n", f);
}

int mp_cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "expect", required_argument, NULL, 'e' },
		{ "junit", required_argument, NULL, 'j' },
		{ "tap", required_argument, NULL, 't' },
		{ "merge", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct mp_expect ex[MAX_EXPECT];
	const char *expect_path = NULL, *junit_path = NULL;
	const char *tap_path = NULL;
	char merged_name[1024];
	bool merge = false;
	int nfiles = 0;
	struct result *res = NULL;
	int c, nex, ntraces, ret = MP_EXIT_OK;
	const char *tmpdir = getenv("TMPDIR");
	char dir[PATH_MAX];

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': expect_path = optarg; break;
		case 'j': junit_path = optarg; break;
		case 't': tap_path = optarg; break;
		case 'm': merge = true; break;
		case 'h': usage(stdout); return MP_EXIT_OK;
		default: usage(stderr); return MP_EXIT_CHECK_ERROR;
		}
	}
	ntraces = argc - optind;
	if (ntraces <= 0) {
		MP_LOG(MP_LOG_ERR, "check: no trace given");
		usage(stderr);
		return MP_EXIT_CHECK_ERROR;
	}
	if (merge && ntraces > MP_MERGE_MAX_INPUTS) {
		MP_LOG(MP_LOG_ERR, "check: at most %d capture files can be merged",
		       MP_MERGE_MAX_INPUTS);
		return MP_EXIT_CHECK_ERROR;
	}
	if (merge) {
		/* one trace: "a.pcap + b.pcap" in the verdicts and reports */
		size_t n = 0;

		merged_name[0] = '\0';
		for (int i = 0; i < ntraces && n < sizeof merged_name; i++)
			n += (size_t)snprintf(merged_name + n, sizeof merged_name - n,
					      "%s%s", i ? " + " : "", argv[optind + i]);
		nfiles = ntraces;
		ntraces = 1;
	}
	nex = load_expectations(expect_path, ex, MAX_EXPECT);
	if (nex < 0)
		return MP_EXIT_CHECK_ERROR;
	if (nex == 0) {
		MP_LOG(MP_LOG_ERR, "%s: no expectation in the file", expect_path);
		return MP_EXIT_CHECK_ERROR;
	}
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	if ((size_t)snprintf(dir, sizeof dir, "%s/mpana-check.XXXXXX", tmpdir) >= sizeof dir) {
		MP_LOG(MP_LOG_ERR, "check: TMPDIR too long");
		return MP_EXIT_CHECK_ERROR;
	}
	res = calloc((size_t)ntraces, sizeof *res);
	if (!res || !mkdtemp(dir)) {
		MP_LOG(MP_LOG_ERR, "check: %s", strerror(errno));
		free(res);
		return MP_EXIT_CHECK_ERROR;
	}

	for (int t = 0; t < ntraces; t++) {
		const char *arg = merge ? merged_name : argv[optind + t], *trace = arg;
		char dbpath[sizeof dir + 32], err[256];
		const char *target = dbpath;
		struct mp_db *db = NULL;
		bool given_db = !merge && is_database(arg);

		if (given_db && mp_db_is_pg(arg) && (res[t].label = mp_db_label(arg)))
			trace = res[t].label;
		res[t].trace = trace;
		snprintf(dbpath, sizeof dbpath, "%s/%d.db", dir, t);
		if (given_db) {
			/* an mpana --db database: checked as it is, nothing analyzed */
			res[t].analyze_rc = 0;
			target = arg;
		} else res[t].analyze_rc = merge
			? mp_selfrun_analyze_merged((const char *const *)argv + optind,
						    (unsigned)nfiles, dbpath, false)
			: mp_selfrun_analyze(arg, dbpath, false);
		if (res[t].analyze_rc != 0) {
			printf("ERROR %s: the trace could not be analyzed (mpana exited %d)\n",
			       trace, res[t].analyze_rc);
			ret = MP_EXIT_CHECK_ERROR;
			remove_db(dbpath); /* a failed run may have made it */
			continue;
		}
		db = mp_db_open(target, err, sizeof err);
		if (!db) {
			printf("ERROR %s: %s\n", trace, err);
			res[t].analyze_rc = -1;
			ret = MP_EXIT_CHECK_ERROR;
			if (!given_db)
				remove_db(dbpath);
			continue;
		}
		for (int i = 0; i < nex; i++) {
			struct verdict *v = &res[t].v[i];
			const struct mp_expect *e = &ex[i];
			int r;

			if (e->kind == MP_EXPECT_VALID) {
				r = eval_valid(db, v);
			} else if (e->kind == MP_EXPECT_SQL) {
				r = eval_query(db, e->sql, NULL, false, e, v);
			} else {
				const char *suffix = NULL;
				const struct metric *m = metric_find(e->metric, &suffix);
				r = eval_query(db, m->sql, suffix, m->every, e, v);
			}
			res[t].n = i + 1;
			if (r < 0) {
				printf("ERROR %s:%d: %s: %s\n", trace, e->line, e->text, v->measured);
				MP_LOG(MP_LOG_ERR, "%s:%d: %s: %s", trace, e->line, e->text,
				       v->measured);
				if (ret != MP_EXIT_CHECK_ERROR)
					ret = MP_EXIT_CHECK_ERROR;
				continue;
			}
			if (e->line)
				printf("%s  %s:%d  %s  (measured %s)\n", v->pass ? "PASS" : "FAIL",
				       trace, e->line, e->text, v->measured);
			else
				printf("%s  %s  %s  (measured %s)\n", v->pass ? "PASS" : "FAIL",
				       trace, e->text, v->measured);
			if (!v->pass && ret == MP_EXIT_OK)
				ret = MP_EXIT_CHECK_FAIL;
		}
		mp_db_close(db);
		if (!given_db)
			remove_db(dbpath);
	}
	rmdir(dir);

	int npass = 0, nfail = 0;
	for (int t = 0; t < ntraces; t++)
		for (int i = 0; i < res[t].n; i++)
			res[t].v[i].pass ? npass++ : nfail++;
	printf("check: %d passed, %d failed\n", npass, nfail);

	if (junit_path && write_junit(junit_path, res, ntraces, ex) < 0)
		ret = MP_EXIT_CHECK_ERROR;
	if (tap_path && write_tap(tap_path, res, ntraces, ex) < 0)
		ret = MP_EXIT_CHECK_ERROR;
	for (int t = 0; t < ntraces; t++)
		free(res[t].label);
	free(res);
	if (fflush(stdout) != 0)
		ret = MP_EXIT_CHECK_ERROR;
	return ret;
}
