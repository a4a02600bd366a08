/* SPDX-License-Identifier: BSD-2-Clause */
/* report.c - `mpana report TRACE|DB -o FILE [--conn ID]`: one
 * self-contained HTML page (inline SVG and CSS, no script, no network) per
 * capture, with for each MPTCP connection a header of verdicts, the subflow
 * graph, a timeline of per-subflow data rate with control-event markers and
 * failover shading, a data-sequence plot and the handshake order
 * (docs/report.md).
 *
 * RFC 8684 §3 (connections, subflows), §3.3 (DSS: data sequence numbers,
 * DATA_ACK), §3.4 (address ids). A trace is first analyzed by this same
 * binary into a temporary database (`mpana -r TRACE -q --db TMP
 * --db-packets`, like `mpana check`); a database is read as it is. The
 * rate lanes and the DSN plot come from the `options` rows, read once per
 * connection in frame order into fixed-size bins, so memory does not grow
 * with the trace; without option rows the lanes show subflow lifetimes and
 * the page says so. The page is well-formed XHTML (tests parse it as XML).
 * This file is the command: its arguments, the pipeline (analysis, then
 * per connection: load, bin, draw; report_int.h) and the page around the
 * drawings, whose style sheet is report.css (css.h). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpana/db.h"

#include "mpana/cli.h"
#include "mpana/graph_model.h"
#include "mpana/log.h"
#include "mpana/merge.h"
#include "mpana/pipeline.h"

#include "css.h"
#include "report_int.h"



static bool is_sqlite_file(const char *path)
{
	char hdr[16];
	FILE *f = fopen(path, "rb");
	bool yes;

	if (!f)
		return false;
	yes = fread(hdr, 1, sizeof hdr, f) == sizeof hdr && memcmp(hdr, "SQLite format 3", 16) == 0;
	fclose(f);
	return yes;
}

/* One connection's section: loads d->c's rows (model.c) and bins
 * (bins.c), then draws each part. Returns 0, -1 on a database error
 * (logged). */
static int write_conn(FILE *f, struct mp_db *db, struct rpt_data *d)
{
	const struct rpt_conn *c = &d->c;
	struct mp_gmodel m;
	int ret = -1;

	mp_gmodel_init(&m);
	if (rpt_load_conn(db, d) < 0)
		goto out;
	rpt_bins_init(d);
	if (rpt_load_options(db, d) < 0)
		goto out;
	rpt_bins_finish(d);
	if ((d->have_opts && rpt_load_reinj(db, d) < 0) || rpt_load_graph(db, d, &m) < 0)
		goto out;

	fprintf(f, "<section class=\"conn\" id=\"conn-%" PRId64 "\" data-conn=\"%" PRId64 "\" data-subflows=\"%d\">\n",
		c->id, c->id, d->nsf);
	fprintf(f, "<h2>Connection %" PRId64 ": ", c->id);
	rpt_esc(f, c->client);
	fprintf(f, ":%d &#8594; ", c->cport);
	rpt_esc(f, c->server);
	fprintf(f, ":%d</h2>\n", c->sport);
	rpt_write_header(f, d);
	if (!d->have_opts && d->db_opts)
		fprintf(f, "<p class=\"note\">No DSS option of this connection was seen%s: the lanes show subflow"
			" lifetimes and byte totals only.</p>\n", c->fallback[0] ? " (it fell back to plain TCP)" : "");
	else if (!d->have_opts)
		fprintf(f, "<p class=\"note\">This database has no per-option rows for the connection"
			" (written without <code>--db-packets</code>): the lanes show subflow lifetimes and byte"
			" totals only, and there is no data-sequence plot.</p>\n");
	fprintf(f, "<h3>Subflow graph</h3>\n");
	rpt_write_graph(f, d, &m);
	fprintf(f, "<h3>Timeline</h3>\n");
	rpt_write_timeline(f, d);
	fprintf(f, "<h3>Data sequence</h3>\n");
	rpt_write_dsn(f, d);
	fprintf(f, "<h3>Handshake order</h3>\n");
	rpt_write_handshake(f, d);
	fprintf(f, "</section>\n");
	ret = 0;
out:
	mp_gmodel_free(&m);
	return ret;
}

static void usage(FILE *f)
{
	fputs("Usage: mpana report TRACE...|DB -o FILE [--conn ID]\n"
	      "Writes one self-contained HTML page (inline SVG, no script) with, per MPTCP\n"
	      "connection, its verdicts, subflow graph, timeline with failovers, data\n"
	      "sequence plot and handshake order. TRACE is analyzed with --db-packets into\n"
	      "a temporary database; DB is an mpana --db file or PostgreSQL URI\n"
	      "(postgresql://...). --conn ID: only the connection with that database\n"
	      "id. Several TRACEs are one trace, merged by time as by mpana -r A -r B.\n"
	      "See docs/report.md.\n", f);
}

int mp_cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "conn", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out_path = NULL, *input;
	int64_t only = 0;
	int c, rc, ret = MP_EXIT_OK, nconn = 0, drawn = 0;
	const char *tmpdir = getenv("TMPDIR");
	char dir[PATH_MAX], dbpath[PATH_MAX + 16];
	bool tmp = false;
	struct mp_db *db = NULL;
	char err[1024], *label = NULL; /* label: a PostgreSQL input, its password hidden */
	struct mp_db_stmt *st = NULL;
	FILE *f = NULL;
	struct rpt_data *d = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out_path = optarg; break;
		case 'c': {
			char *end;
			errno = 0;
			long long v = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || v <= 0) {
				MP_LOG(MP_LOG_ERR, "report: invalid connection id \"%s\"", optarg);
				return MP_EXIT_USAGE;
			}
			only = v;
			break;
		}
		case 'h': usage(stdout); return MP_EXIT_OK;
		default: usage(stderr); return MP_EXIT_USAGE;
		}
	}
	if (argc - optind < 1 || argc - optind > MP_MERGE_MAX_INPUTS || !out_path) {
		MP_LOG(MP_LOG_ERR, "report: give one TRACE or DB (or up to %d TRACEs, "
		       "merged) and -o FILE", MP_MERGE_MAX_INPUTS);
		usage(stderr);
		return MP_EXIT_USAGE;
	}
	input = argv[optind];
	if (!mp_db_is_pg(input) && access(input, R_OK) != 0) {
		MP_LOG(MP_LOG_ERR, "%s: %s", input, strerror(errno));
		return MP_EXIT_ERROR;
	}
	for (int i = optind + 1; i < argc; i++)
		if (mp_db_is_pg(argv[i]) || mp_db_is_pg(input) || access(argv[i], R_OK) != 0 ||
		    is_sqlite_file(argv[i]) || is_sqlite_file(input)) {
			MP_LOG(MP_LOG_ERR, "%s: %s", argv[i], !mp_db_is_pg(argv[i]) && access(argv[i], R_OK)
				? strerror(errno) : "several inputs are merged traces, not databases");
			return MP_EXIT_USAGE;
		}
	if (mp_db_is_pg(input)) {
		label = mp_db_label(input);
	} else if (is_sqlite_file(input)) {
		snprintf(dbpath, sizeof dbpath, "%s", input);
	} else {
		if (!tmpdir || !*tmpdir)
			tmpdir = "/tmp";
		if ((size_t)snprintf(dir, sizeof dir, "%s/mpana-report.XXXXXX", tmpdir) >= sizeof dir) {
			MP_LOG(MP_LOG_ERR, "report: TMPDIR too long");
			return MP_EXIT_ERROR;
		}
		if (!mkdtemp(dir)) {
			MP_LOG(MP_LOG_ERR, "report: %s", strerror(errno));
			return MP_EXIT_ERROR;
		}
		tmp = true;
		snprintf(dbpath, sizeof dbpath, "%s/r.db", dir);
		rc = mp_selfrun_analyze_merged((const char *const *)argv + optind,
					       (unsigned)(argc - optind), dbpath, true);
		if (rc != 0) {
			MP_LOG(MP_LOG_ERR, "%s: the trace could not be analyzed (mpana exited %d)", input, rc);
			ret = MP_EXIT_ERROR;
			goto out;
		}
	}
	if (!(db = mp_db_open(label ? input : dbpath, err, sizeof err))) {
		MP_LOG(MP_LOG_ERR, "%s: %s", label ? label : dbpath, err);
		ret = MP_EXIT_ERROR;
		goto out;
	}
	d = malloc(sizeof *d);
	f = fopen(out_path, "w");
	if (!d || !f) {
		MP_LOG(MP_LOG_ERR, "%s: %s", out_path, strerror(errno));
		ret = MP_EXIT_ERROR;
		goto out;
	}

	fprintf(f, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
		"<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
		"<meta name=\"generator\" content=\"mpana %s\"/>\n<title>mpana report: ", MPANA_VERSION);
	rpt_esc(f, label ? label : input);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>MPTCP report: ", mp_report_css);
	rpt_esc(f, label ? label : input);
	fprintf(f, "</h1>\n<p class=\"meta\">");
	st = rpt_prep(db, "SELECT count(*), coalesce(sum(packets), 0), coalesce(sum(mptcp_packets), 0),"
		  " min(first_ts), max(last_ts), coalesce(sum(malformed), 0) FROM captures");
	if (!st) {
		ret = MP_EXIT_ERROR;
		goto out;
	}
	if ((rc = mp_db_step(st)) == 1)
		fprintf(f, "%d capture%s, %.0f packets (%.0f with MPTCP options, %.0f malformed options),"
			" %.3f s. ", mp_db_column_int(st, 0), mp_db_column_int(st, 0) == 1 ? "" : "s",
			mp_db_column_double(st, 1), mp_db_column_double(st, 2), mp_db_column_double(st, 5),
			mp_db_column_double(st, 4) - mp_db_column_double(st, 3));
	mp_db_finalize(st);
	st = NULL;
	if (rpt_step_end(db, rc, "captures") < 0) {
		ret = MP_EXIT_ERROR;
		goto out;
	}
	fprintf(f, "Generated by mpana %s report%s. Times are relative to each connection's first packet."
		"</p>\n", MPANA_VERSION, tmp ? " (analysis with --db-packets)" : " from a database");

	st = rpt_prep(db, "SELECT EXISTS (SELECT 1 FROM options)");
	if (!st) {
		ret = MP_EXIT_ERROR;
		goto out;
	}
	rc = mp_db_step(st);
	bool db_opts = rc == 1 && mp_db_column_int(st, 0);
	mp_db_finalize(st);
	st = NULL;
	if (rpt_step_end(db, rc, "options") < 0) {
		ret = MP_EXIT_ERROR;
		goto out;
	}

	/* Index of the connections. */
	st = rpt_prep(db, "SELECT " RPT_CONN_COLS " FROM connections WHERE ?1 = 0 OR id = ?1 ORDER BY id");
	if (!st) {
		ret = MP_EXIT_ERROR;
		goto out;
	}
	mp_db_bind_i64(st, 1, only);
	fprintf(f, "<nav><b>Connections</b><ul>\n");
	while ((rc = mp_db_step(st)) == 1) {
		struct rpt_conn cc;
		rpt_conn_row(st, &cc);
		nconn++;
		fprintf(f, "<li>");
		if (nconn <= MAX_CONNS)
			fprintf(f, "<a href=\"#conn-%" PRId64 "\">", cc.id);
		fprintf(f, "%" PRId64 ": ", cc.id);
		rpt_esc(f, cc.client);
		fprintf(f, ":%d &#8594; ", cc.cport);
		rpt_esc(f, cc.server);
		fprintf(f, ":%d, %d subflow%s%s%s", cc.sport, cc.nsub, cc.nsub == 1 ? "" : "s",
			cc.fallback[0] ? ", fallback" : "", nconn <= MAX_CONNS ? "</a>" : " (not drawn: use --conn)");
		fprintf(f, "</li>\n");
	}
	fprintf(f, "</ul></nav>\n");
	if (rpt_step_end(db, rc, "connections") < 0) {
		ret = MP_EXIT_ERROR;
		goto out;
	}
	mp_db_reset(st);
	if (nconn == 0)
		fprintf(f, "<p class=\"note\">No MPTCP connection%s.</p>\n", only ? " with that id" : " in the capture");
	while (drawn < MAX_CONNS && (rc = mp_db_step(st)) == 1) {
		memset(d, 0, sizeof *d);
		d->db_opts = db_opts;
		rpt_conn_row(st, &d->c);
		if (write_conn(f, db, d) < 0) {
			ret = MP_EXIT_ERROR;
			break;
		}
		drawn++;
	}
	if (ret == MP_EXIT_OK && drawn < MAX_CONNS && rpt_step_end(db, rc, "connections") < 0) {
		ret = MP_EXIT_ERROR;
		goto out;
	}
	if (nconn > drawn && ret == MP_EXIT_OK)
		fprintf(f, "<p class=\"note\">%d more connections are listed above but not drawn (at most %d per"
			" page): use <code>--conn ID</code>.</p>\n", nconn - drawn, MAX_CONNS);
	fprintf(f, "</body>\n</html>\n");
	if (only && nconn == 0) {
		MP_LOG(MP_LOG_ERR, "report: no connection with id %" PRId64, only);
		ret = MP_EXIT_ERROR;
	}

out:
	mp_db_finalize(st);
	if (f && (ferror(f) | (fclose(f) != 0)) && ret == MP_EXIT_OK) {
		MP_LOG(MP_LOG_ERR, "%s: write error", out_path);
		ret = MP_EXIT_ERROR;
	}
	mp_db_close(db);
	free(d);
	free(label);
	if (tmp) {
		char side[sizeof dbpath + 8];
		unlink(dbpath);
		snprintf(side, sizeof side, "%s-wal", dbpath);
		unlink(side);
		snprintf(side, sizeof side, "%s-shm", dbpath);
		unlink(side);
		snprintf(side, sizeof side, "%s-journal", dbpath);
		unlink(side);
		rmdir(dir);
	}
	return ret;
}
