/* SPDX-License-Identifier: BSD-2-Clause */
/* cmd_report.c - `mpana report TRACE|DB -o FILE [--conn ID]`: one
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
 * the page says so. The page is well-formed XHTML (tests parse it as XML). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "mpana/escape.h"
#include "mpana/graph_model.h"
#include "mpana/htmlreport.h"
#include "mpana/log.h"
#include "mpana/selfrun.h"

#include "css.h"

enum { EXIT_OK = 0, EXIT_ERR = 1, EXIT_USAGE = 2 };

#define MAX_SF 32          /* subflows drawn per connection */
#define MAX_FO 16          /* failovers per connection */
#define MAX_CONNS 16       /* connections drawn in full; the rest are listed */
#define MAX_MARKERS 600    /* event markers per connection */
#define MAX_REINJ 400      /* reinjection marks per connection */
#define MAX_HS_ROWS 300    /* handshake table rows per connection */
#define RATE_BINS 200      /* target bins of a rate lane */
#define DSN_BINS 500       /* target bins of the DSN plot */
#define MAX_BINS 1000      /* hard cap of either */

/* Okabe-Ito: distinguishable with the common colour-vision deficiencies. */
static const char *const palette[8] = {
	"#0072B2", "#E69F00", "#009E73", "#D55E00",
	"#56B4E9", "#CC79A7", "#F0E442", "#000000",
};

/* Plot geometry (px). */
#define W 1180.0           /* width of the timeline and DSN plot */
#define ML 230.0           /* left margin: lane labels */
#define MR 30.0            /* right margin */
#define LANE_H 54.0        /* height of one rate lane */
#define LANE_GAP 8.0

struct conn {
	int64_t id;               /* connections.id */
	int64_t capture_id;
	int conn_no;
	int version;              /* -1 unknown */
	char client[64], server[64];
	int cport, sport;
	char ckey[24], skey[24];  /* "0x..." or "" */
	double first_ts, last_ts, closed_ts; /* NAN when NULL */
	char close_reason[32], fallback[64], app[48], vantage[16];
	int partial, nsub;
	int64_t bytes_c2s, bytes_s2c, reinj_frames, reinj_bytes;
};

struct sf {
	int64_t id;
	int sf_no;
	char kind[16];
	char src[64], dst[64];
	int sport, dport;
	int initial, backup;
	int lid, rid;             /* address ids; -1 unknown */
	double syn_ts, est_ts, closed_ts;
	char close_reason[24];
	int tcprst_reason;        /* -1 none */
	int hmac_ok;              /* 1, 0, -1 NULL */
	int64_t bytes_fwd, bytes_rev;
	bool server_init;         /* the SYN came from the server side */
	bool failed;              /* reset, failed over, failed HMAC or never established */
	char why[64];             /* why it counts as failed */
};

struct fo {
	char dir[4];
	int64_t from, to;         /* subflow ids; to 0 when NULL */
	char kind[12];            /* "failover" or "stall" */
	char cause[24];           /* explicit signal, "" when silent */
	bool lower_bound;         /* latency is a lower bound */
	double t_fail, t_recovered, t_reinject, latency_ms, stall_ms; /* NAN: none */
};

/* Everything drawn for one connection: bounded, allocated per connection. */
struct cdata {
	struct conn c;
	struct sf sf[MAX_SF];
	int nsf, nsf_total;
	struct fo fo[MAX_FO];
	int nfo;
	double t0, dur;           /* time axis: connection start, length (s) */
	double rbin;              /* rate bin width (s) */
	int nrb;                  /* rate bins used */
	double dbin;              /* DSN bin width (s) */
	int ndb;
	bool have_opts;           /* option rows exist for it */
	bool db_opts;             /* the database has option rows at all */
	int main_dir;             /* 0 c2s, 1 s2c: the direction plotted */
	uint64_t base[2];         /* DSN origin (IDSN + 1) per direction */
	bool have_base[2];
	int64_t hi[MAX_SF][2];    /* highest relative DSN end mapped per subflow */
	double rate[MAX_SF][2][MAX_BINS]; /* new bytes mapped per bin */
	int64_t dmin[MAX_SF][MAX_BINS], dmax[MAX_SF][MAX_BINS]; /* DSN range mapped per bin */
	double tmin[MAX_SF][MAX_BINS], tmax[MAX_SF][MAX_BINS];  /* when it was sent */
	struct curmap {           /* the mapping a subflow is sending now */
		bool on;
		int64_t start, end;   /* relative DSN range */
		double t_first, t_last; /* first and last segment carrying it */
	} cur[MAX_SF][2];
	int64_t ack[MAX_BINS];    /* highest DATA_ACK per bin (main direction), -1 none */
	int64_t ymax;             /* highest relative DSN end (main direction) */
	int64_t opt_rows;
};

/* ---- small helpers ---- */

/* HTML text and attribute values (escape.h). */
static void esc(FILE *f, const char *s)
{
	mp_escape_fputs(f, MP_ESC_XML, s);
}

static void col_text(sqlite3_stmt *st, int i, char *buf, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	snprintf(buf, n, "%s", t ? (const char *)t : "");
}

static double col_real(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static int col_int(sqlite3_stmt *st, int i, int null)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? null : sqlite3_column_int(st, i);
}

/* The smallest of 1, 2, 5 x 10^k that is >= x (x > 0). */
static double nice_ceil(double x)
{
	double p = pow(10.0, floor(log10(x)));
	if (p >= x)
		return p;
	if (2 * p >= x)
		return 2 * p;
	if (5 * p >= x)
		return 5 * p;
	return 10 * p;
}

/* Writes a byte count as "12.3 kB" (decimal units). */
static void fmt_bytes(char *buf, size_t n, double b)
{
	if (b >= 1e9)
		snprintf(buf, n, "%.3g GB", b / 1e9);
	else if (b >= 1e6)
		snprintf(buf, n, "%.3g MB", b / 1e6);
	else if (b >= 1e3)
		snprintf(buf, n, "%.3g kB", b / 1e3);
	else
		snprintf(buf, n, "%.0f B", b);
}

/* Writes a time tick: seconds with as many decimals as the step needs. */
static void fmt_tick(char *buf, size_t n, double v, double step)
{
	int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
	if (dec > 6)
		dec = 6;
	snprintf(buf, n, "%.*f", dec, v);
}

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

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		MP_LOG(MP_LOG_ERR, "report: %s", sqlite3_errmsg(db));
		return NULL;
	}
	return st;
}

static int sf_index(const struct cdata *d, int64_t id)
{
	for (int i = 0; i < d->nsf; i++)
		if (d->sf[i].id == id)
			return i;
	return -1;
}

static const char *sf_color(int i)
{
	return palette[i % 8];
}

/* ---- loading ---- */

static int load_conn_row(sqlite3_stmt *st, struct conn *c)
{
	memset(c, 0, sizeof *c);
	c->id = sqlite3_column_int64(st, 0);
	c->capture_id = sqlite3_column_int64(st, 1);
	c->conn_no = sqlite3_column_int(st, 2);
	c->version = col_int(st, 3, -1);
	col_text(st, 4, c->client, sizeof c->client);
	c->cport = col_int(st, 5, 0);
	col_text(st, 6, c->server, sizeof c->server);
	c->sport = col_int(st, 7, 0);
	col_text(st, 8, c->ckey, sizeof c->ckey);
	col_text(st, 9, c->skey, sizeof c->skey);
	c->first_ts = col_real(st, 10);
	c->last_ts = col_real(st, 11);
	c->closed_ts = col_real(st, 12);
	col_text(st, 13, c->close_reason, sizeof c->close_reason);
	col_text(st, 14, c->fallback, sizeof c->fallback);
	col_text(st, 15, c->app, sizeof c->app);
	c->partial = col_int(st, 16, 0);
	c->nsub = col_int(st, 17, 0);
	col_text(st, 18, c->vantage, sizeof c->vantage);
	c->bytes_c2s = sqlite3_column_int64(st, 19);
	c->bytes_s2c = sqlite3_column_int64(st, 20);
	c->reinj_frames = sqlite3_column_int64(st, 21);
	c->reinj_bytes = sqlite3_column_int64(st, 22);
	return 0;
}

#define CONN_COLS "id, capture_id, conn_no, version, client_addr, client_port, server_addr," \
	" server_port, client_key, server_key, first_ts, last_ts, closed_ts, close_reason," \
	" fallback, app_proto, partial, subflows, vantage, bytes_c2s, bytes_s2c," \
	" reinj_frames, reinj_bytes"

/* Is addr a server-side address of the connection (its server address or
 * one the server announced)? */
static bool server_side_addr(sqlite3 *db, const struct conn *c, const char *addr)
{
	sqlite3_stmt *st;
	bool yes = false;

	if (!strcmp(addr, c->server))
		return true;
	if (!strcmp(addr, c->client))
		return false;
	st = prep(db, "SELECT 1 FROM addresses WHERE conn_id = ?1 AND addr = ?2 AND announced_by = 'server'");
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, c->id);
	sqlite3_bind_text(st, 2, addr, -1, SQLITE_TRANSIENT);
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return yes;
}

static int load_subflows(sqlite3 *db, struct cdata *d)
{
	sqlite3_stmt *st = prep(db, "SELECT id, sf_no, kind, src_addr, src_port, dst_addr, dst_port,"
				" initial, backup, local_addr_id, remote_addr_id, syn_ts, established_ts,"
				" closed_ts, close_reason, tcprst_reason, hmac_ok, bytes_fwd, bytes_rev"
				" FROM subflows WHERE conn_id = ?1 ORDER BY id");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, d->c.id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		d->nsf_total++;
		if (d->nsf >= MAX_SF)
			continue;
		struct sf *s = &d->sf[d->nsf++];
		memset(s, 0, sizeof *s);
		s->id = sqlite3_column_int64(st, 0);
		s->sf_no = sqlite3_column_int(st, 1);
		col_text(st, 2, s->kind, sizeof s->kind);
		col_text(st, 3, s->src, sizeof s->src);
		s->sport = col_int(st, 4, 0);
		col_text(st, 5, s->dst, sizeof s->dst);
		s->dport = col_int(st, 6, 0);
		s->initial = col_int(st, 7, 0);
		s->backup = col_int(st, 8, 0);
		s->lid = col_int(st, 9, -1);
		s->rid = col_int(st, 10, -1);
		s->syn_ts = col_real(st, 11);
		s->est_ts = col_real(st, 12);
		s->closed_ts = col_real(st, 13);
		col_text(st, 14, s->close_reason, sizeof s->close_reason);
		s->tcprst_reason = col_int(st, 15, -1);
		s->hmac_ok = col_int(st, 16, -1);
		s->bytes_fwd = sqlite3_column_int64(st, 17);
		s->bytes_rev = sqlite3_column_int64(st, 18);
	}
	sqlite3_finalize(st);
	for (int i = 0; i < d->nsf; i++) {
		struct sf *s = &d->sf[i];
		s->server_init = !s->initial && server_side_addr(db, &d->c, s->src) &&
				 !server_side_addr(db, &d->c, s->dst);
		if (!strcmp(s->close_reason, "rst") || !strcmp(s->close_reason, "mp_tcprst")) {
			s->failed = true;
			snprintf(s->why, sizeof s->why, "closed by %s",
				 s->close_reason[0] == 'r' ? "RST" : "MP_TCPRST");
		} else if (s->hmac_ok == 0) {
			s->failed = true;
			snprintf(s->why, sizeof s->why, "HMAC failed");
		} else if (isnan(s->est_ts)) {
			s->failed = true;
			snprintf(s->why, sizeof s->why, "never established");
		}
	}
	return 0;
}

static int load_failovers(sqlite3 *db, struct cdata *d)
{
	sqlite3_stmt *st = prep(db, "SELECT direction, from_subflow, to_subflow, kind, cause, t_fail,"
				" t_recovered, t_first_reinject, latency_ms, stall_ms, lower_bound"
				" FROM failovers WHERE conn_id = ?1 ORDER BY t_fail, id");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, d->c.id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && d->nfo < MAX_FO) {
		struct fo *f = &d->fo[d->nfo++];
		col_text(st, 0, f->dir, sizeof f->dir);
		f->from = sqlite3_column_int64(st, 1);
		f->to = sqlite3_column_int64(st, 2);
		col_text(st, 3, f->kind, sizeof f->kind);
		col_text(st, 4, f->cause, sizeof f->cause);
		f->t_fail = col_real(st, 5);
		f->t_recovered = col_real(st, 6);
		f->t_reinject = col_real(st, 7);
		f->latency_ms = col_real(st, 8);
		f->stall_ms = col_real(st, 9);
		f->lower_bound = sqlite3_column_int(st, 10) != 0;
		int k = sf_index(d, f->from);
		if (k >= 0 && !d->sf[k].failed) {
			char why[sizeof d->sf[k].why];
			snprintf(why, sizeof why, "%s%s%.24s",
				 strcmp(f->kind, "stall") ? "failed over" : "stalled",
				 f->cause[0] ? ": " : "", f->cause);
			memcpy(d->sf[k].why, why, sizeof why);
			d->sf[k].failed = true;
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		MP_LOG(MP_LOG_ERR, "report: reading failovers: %s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

static int bin_of(double t, double t0, double w, int n)
{
	double b = floor((t - t0) / w);
	if (!(b >= 0))
		return 0;
	return b >= n ? n - 1 : (int)b;
}

/* Accounts the mapping subflow k was sending in direction dir: its bytes
 * not mapped on k before (TCP retransmissions and repeated options count
 * once) spread evenly over the time its segments were seen, and its DSN
 * range into the DSN plot's bin of its first segment. */
static void map_flush(struct cdata *d, int k, int dir)
{
	struct curmap *m = &d->cur[k][dir];
	int64_t from;

	if (!m->on)
		return;
	m->on = false;
	from = m->start > d->hi[k][dir] ? m->start : d->hi[k][dir];
	if (m->end > from) {
		double bytes = (double)(m->end - from), span = m->t_last - m->t_first;
		int b0 = bin_of(m->t_first, d->t0, d->rbin, d->nrb), b1 = bin_of(m->t_last, d->t0, d->rbin, d->nrb);
		if (b1 == b0 || !(span > 0)) {
			d->rate[k][dir][b0] += bytes;
		} else {
			for (int b = b0; b <= b1; b++) {
				double lo = d->t0 + b * d->rbin, hi = lo + d->rbin;
				if (lo < m->t_first)
					lo = m->t_first;
				if (hi > m->t_last)
					hi = m->t_last;
				if (hi > lo)
					d->rate[k][dir][b] += bytes * (hi - lo) / span;
			}
		}
		d->hi[k][dir] = m->end;
	}
	if (dir == d->main_dir && m->start >= 0) {
		int b = bin_of(m->t_first, d->t0, d->dbin, d->ndb);
		if (m->start < d->dmin[k][b])
			d->dmin[k][b] = m->start;
		if (m->end > d->dmax[k][b])
			d->dmax[k][b] = m->end;
		if (m->t_first < d->tmin[k][b])
			d->tmin[k][b] = m->t_first;
		if (m->t_last > d->tmax[k][b])
			d->tmax[k][b] = m->t_last;
		if (m->end > d->ymax)
			d->ymax = m->end;
	}
}

/* One ordered pass over the connection's DSS option rows into the bins. */
static int load_options(sqlite3 *db, struct cdata *d)
{
	/* 64-bit values from the engine (options.dsn64, data_ack64): the
	 * origin of a direction is the first DSN it mapped */
	sqlite3_stmt *st = prep(db, "SELECT ts, subflow_id, src_addr, src_port, dsn64, dll, data_ack64"
				" FROM options WHERE capture_id = ?1 AND conn_id = ?2 AND subtype = 'dss'"
				" AND error IS NULL AND subflow_id IS NOT NULL ORDER BY frame");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, d->c.capture_id);
	sqlite3_bind_int64(st, 2, d->c.id);
	for (int i = 0; i < MAX_SF; i++)
		for (int b = 0; b < MAX_BINS; b++) {
			d->dmin[i][b] = INT64_MAX;
			d->dmax[i][b] = -1;
			d->tmin[i][b] = INFINITY;
			d->tmax[i][b] = -INFINITY;
		}
	for (int b = 0; b < MAX_BINS; b++)
		d->ack[b] = -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		char src[64];
		int k = sf_index(d, sqlite3_column_int64(st, 1));
		double ts = sqlite3_column_double(st, 0);
		if (k < 0)
			continue;
		d->opt_rows++;
		col_text(st, 2, src, sizeof src);
		const struct sf *s = &d->sf[k];
		bool fwd = !strcmp(src, s->src) && sqlite3_column_int(st, 3) == s->sport;
		int dir = (fwd != s->server_init) ? 0 : 1; /* 0: client to server */
		if (sqlite3_column_type(st, 4) != SQLITE_NULL && sqlite3_column_int64(st, 5) > 0) {
			uint64_t v = (uint64_t)sqlite3_column_int64(st, 4);
			if (!d->have_base[dir]) {
				d->base[dir] = v;
				d->have_base[dir] = true;
			}
			int64_t rel = (int64_t)(v - d->base[dir]);
			int64_t end = rel + sqlite3_column_int64(st, 5);
			struct curmap *m = &d->cur[k][dir];
			if (m->on && m->start == rel && m->end == end &&
			    ts - m->t_last <= (2 * d->dbin > 0.05 ? 2 * d->dbin : 0.05)) {
				m->t_last = ts; /* one more segment of the same mapping */
			} else {
				map_flush(d, k, dir);
				m->on = true;
				m->start = rel;
				m->end = end;
				m->t_first = m->t_last = ts;
			}
		}
		if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
			int adir = 1 - dir; /* the DATA_ACK acknowledges the other direction */
			uint64_t v = (uint64_t)sqlite3_column_int64(st, 6);
			if (adir == d->main_dir && d->have_base[adir]) {
				int64_t rel = (int64_t)(v - d->base[adir]);
				int b = bin_of(ts, d->t0, d->dbin, d->ndb);
				if (rel >= 0 && rel > d->ack[b])
					d->ack[b] = rel;
			}
		}
	}
	sqlite3_finalize(st);
	for (int k = 0; k < d->nsf; k++)
		for (int dir = 0; dir < 2; dir++)
			map_flush(d, k, dir);
	return 0;
}

/* ---- drawing ---- */

static double xt(const struct cdata *d, double t)
{
	double x = ML + (t - d->t0) / d->dur * (W - ML - MR);
	if (x < ML)
		x = ML;
	if (x > W - MR)
		x = W - MR;
	return x;
}

/* The x axis: ticks, grid lines from y0 to y1, labels below y1. */
static void time_axis(FILE *f, const struct cdata *d, double y0, double y1)
{
	double step = nice_ceil(d->dur / 9.0);
	char lab[32];

	fprintf(f, "<g class=\"axis\">\n");
	for (double t = 0; t <= d->dur * 1.0000001; t += step) {
		double x = xt(d, d->t0 + t);
		fmt_tick(lab, sizeof lab, t, step);
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
			x, y0, x, y1 + 4, x, y1 + 17, lab);
	}
	fprintf(f, "<line class=\"axisline\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		ML, y1, W - MR, y1);
	fprintf(f, "<text class=\"axislabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
		"time since the connection's first packet (s)</text>\n</g>\n",
		(ML + W - MR) / 2, y1 + 34);
}

static void sf_label(char *buf, size_t n, const struct sf *s)
{
	snprintf(buf, n, "sf %d", s->sf_no);
}

static void write_header(FILE *f, sqlite3 *db, const struct cdata *d)
{
	const struct conn *c = &d->c;
	char b1[32], b2[32];
	sqlite3_stmt *st;
	int hm_ok = 0, hm_bad = 0, hm_na = 0;

	fprintf(f, "<table class=\"kv\">\n<tr><th>endpoints</th><td>");
	esc(f, c->client);
	fprintf(f, ":%d &#8594; ", c->cport);
	esc(f, c->server);
	fprintf(f, ":%d (client &#8594; server: the MP_CAPABLE SYN sender first)</td></tr>\n", c->sport);
	if (c->version >= 0)
		fprintf(f, "<tr><th>version</th><td>MPTCP v%d (%s)</td></tr>\n", c->version,
			c->version == 0 ? "RFC 6824" : "RFC 8684");
	else
		fprintf(f, "<tr><th>version</th><td>unknown</td></tr>\n");
	fprintf(f, "<tr><th>app protocol</th><td>");
	esc(f, c->app[0] ? c->app : "unknown");
	fmt_bytes(b1, sizeof b1, (double)c->bytes_c2s);
	fmt_bytes(b2, sizeof b2, (double)c->bytes_s2c);
	fprintf(f, "</td></tr>\n<tr><th>data</th><td>%s client &#8594; server, %s server &#8594; client;"
		" %" PRId64 " reinjected segment%s (%" PRId64 " bytes)</td></tr>\n",
		b1, b2, c->reinj_frames, c->reinj_frames == 1 ? "" : "s", c->reinj_bytes);
	fprintf(f, "<tr><th>duration</th><td>%.3f s", d->dur);
	if (c->close_reason[0]) {
		fprintf(f, ", closed (");
		esc(f, c->close_reason);
		fprintf(f, ")");
	} else {
		fprintf(f, ", still open at the end of the capture");
	}
	fprintf(f, "; capture vantage: ");
	esc(f, c->vantage[0] ? c->vantage : "unknown");
	fprintf(f, "</td></tr>\n<tr><th>subflows</th><td>%d", d->nsf_total);
	for (int i = 0; i < d->nsf; i++) {
		char l[16];
		sf_label(l, sizeof l, &d->sf[i]);
		fprintf(f, "%s<span class=\"sw\" style=\"background:%s\"></span>%s %s%s%s",
			i ? ", " : ": ", sf_color(i), l, d->sf[i].kind, d->sf[i].backup ? " backup" : "",
			d->sf[i].failed ? " (failed)" : "");
		if (d->sf[i].hmac_ok == 1)
			hm_ok++;
		else if (d->sf[i].hmac_ok == 0)
			hm_bad++;
		else if (!d->sf[i].initial)
			hm_na++;
	}
	if (d->nsf < d->nsf_total)
		fprintf(f, " (the first %d are drawn)", d->nsf);
	fprintf(f, "</td></tr>\n");

	st = prep(db, "SELECT count(*), total(hmac_ok = 1), total(hmac_ok = 0) FROM addresses WHERE conn_id = ?1");
	int a_n = 0, a_ok = 0, a_bad = 0;
	if (st) {
		sqlite3_bind_int64(st, 1, c->id);
		if (sqlite3_step(st) == SQLITE_ROW) {
			a_n = sqlite3_column_int(st, 0);
			a_ok = sqlite3_column_int(st, 1);
			a_bad = sqlite3_column_int(st, 2);
		}
		sqlite3_finalize(st);
	}
	fprintf(f, "<tr><th>HMACs</th><td class=\"%s\">MP_JOIN: %d verified, %d failed, %d not verifiable;"
		" ADD_ADDR: %d announced, %d verified, %d failed</td></tr>\n",
		hm_bad || a_bad ? "bad" : "good", hm_ok, hm_bad, hm_na, a_n, a_ok, a_bad);

	st = prep(db, "SELECT valid, reason, joins FROM handshake_verdict WHERE conn_id = ?1");
	if (st) {
		sqlite3_bind_int64(st, 1, c->id);
		if (sqlite3_step(st) == SQLITE_ROW) {
			char reason[160];
			col_text(st, 1, reason, sizeof reason);
			if (sqlite3_column_int(st, 0))
				fprintf(f, "<tr><th>handshake order</th><td class=\"good\">valid (%d join%s)</td></tr>\n",
					sqlite3_column_int(st, 2), sqlite3_column_int(st, 2) == 1 ? "" : "s");
			else {
				fprintf(f, "<tr><th>handshake order</th><td class=\"bad\">invalid: ");
				esc(f, reason);
				fprintf(f, "</td></tr>\n");
			}
		}
		sqlite3_finalize(st);
	}
	fprintf(f, "<tr><th>fallback</th><td class=\"%s\">", c->fallback[0] ? "bad" : "good");
	if (c->fallback[0])
		esc(f, c->fallback);
	else
		fputs("none", f);
	if (c->partial)
		fputs("; partial: built from a join whose token matched no connection", f);
	fprintf(f, "</td></tr>\n<tr><th>failovers</th><td>");
	if (!d->nfo)
		fputs("none found", f);
	for (int i = 0; i < d->nfo; i++) {
		const struct fo *o = &d->fo[i];
		int a = sf_index(d, o->from), b = sf_index(d, o->to);
		fprintf(f, "%s<b>%s%.1f ms</b> (", i ? "<br/>" : "", o->lower_bound ? "&#8805; " : "",
			o->latency_ms);
		esc(f, o->kind);
		fprintf(f, " %s, sf %d &#8594; sf %d, cause ", o->dir, a >= 0 ? d->sf[a].sf_no : 0,
			b >= 0 ? d->sf[b].sf_no : 0);
		esc(f, o->cause[0] ? o->cause : "none");
		fprintf(f, ", fail at %.3f s", o->t_fail - d->t0);
		if (!isnan(o->t_recovered))
			fprintf(f, ", recovered at %.3f s", o->t_recovered - d->t0);
		fprintf(f, ", DATA_ACK stall %.1f ms)", o->stall_ms);
	}
	fprintf(f, "</td></tr>\n</table>\n");
}

/* The graph model of d's connection from the database: its client and
 * server addresses (address id 0), each drawn subflow (edge i is d->sf[i]),
 * then the addresses announced, in announcement order. Returns 0, -1 on
 * OOM. */
static int load_graph(sqlite3 *db, const struct cdata *d, struct mp_gmodel *m)
{
	struct mp_gnode *n;
	sqlite3_stmt *st;

	if ((n = mp_gmodel_node(m, d->c.client, 0))) {
		n->initial = true;
		mp_gnode_add_id(n, 0);
	}
	if ((n = mp_gmodel_node(m, d->c.server, 1))) {
		n->initial = true;
		mp_gnode_add_id(n, 0);
	}
	for (int i = 0; i < d->nsf; i++) {
		const struct sf *s = &d->sf[i];
		mp_gmodel_subflow(m, s->src, s->lid, s->dst, s->rid, s->server_init);
	}
	st = prep(db, "SELECT addr, addr_id, announced_by, removed_ts FROM addresses WHERE conn_id = ?1"
		  " ORDER BY announced_ts");
	if (st) {
		sqlite3_bind_int64(st, 1, d->c.id);
		while (sqlite3_step(st) == SQLITE_ROW) {
			char addr[64], by[16];
			col_text(st, 0, addr, sizeof addr);
			col_text(st, 2, by, sizeof by);
			mp_gmodel_announce(m, addr, strcmp(by, "server") == 0, sqlite3_column_int(st, 1),
					   sqlite3_column_type(st, 3) != SQLITE_NULL);
		}
		sqlite3_finalize(st);
	}
	mp_gmodel_layout(m);
	return m->oom ? -1 : 0;
}

/* The subflow graph: client addresses left, server addresses right. */
static int write_graph(FILE *f, sqlite3 *db, const struct cdata *d)
{
	struct mp_gmodel m;
	const double gw = 900, xl = 170, xr = 730, nw = 220, nh = 44, pitch = 84;
	double labx[MAX_SF], laby[MAX_SF];
	int nlab = 0;

	mp_gmodel_init(&m);
	if (load_graph(db, d, &m) < 0) {
		MP_LOG(MP_LOG_ERR, "report: out of memory");
		mp_gmodel_free(&m);
		return -1;
	}
	double gh = 60 + pitch * m.rows + 10;

	fprintf(f, "<svg class=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\""
		" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"subflow graph\">\n", gw, gh, gw, gh);
	fprintf(f, "<text class=\"side\" x=\"%.0f\" y=\"22\" text-anchor=\"middle\">client addresses</text>"
		"<text class=\"side\" x=\"%.0f\" y=\"22\" text-anchor=\"middle\">server addresses</text>\n",
		xl, xr);
	/* Edges first, so nodes cover their ends. */
	for (int i = 0; i < d->nsf; i++) {
		const struct sf *s = &d->sf[i];
		const struct mp_gedge *e = &m.edge[i];
		const struct mp_gnode *a = &m.node[e->src_side ? e->to : e->from];
		const struct mp_gnode *b = &m.node[e->src_side ? e->from : e->to];
		int dup = e->dup;
		double x1 = xl + nw / 2, x2 = xr - nw / 2;
		double y1 = 60 + pitch * a->row + nh / 2, y2 = 60 + pitch * b->row + nh / 2;
		double off = (dup % 2 ? 1 : -1) * 22.0 * ((dup + 1) / 2);
		double mx = (x1 + x2) / 2, my = (y1 + y2) / 2 + 2 * off;
		char bf[32], br[32];
		fmt_bytes(bf, sizeof bf, (double)s->bytes_fwd);
		fmt_bytes(br, sizeof br, (double)s->bytes_rev);
		fprintf(f, "<g class=\"edge%s%s\" data-subflow=\"%d\"><title>sf %d %s: ", s->backup ? " backup" : "",
			s->failed ? " failed" : "", s->sf_no, s->sf_no, s->kind);
		esc(f, s->src);
		fprintf(f, ":%d &#8594; ", s->sport);
		esc(f, s->dst);
		fprintf(f, ":%d, %s sent by the SYN sender, %s back%s%s</title>\n", s->dport, bf, br,
			s->failed ? "; " : "", s->failed ? s->why : "");
		fprintf(f, "<path d=\"M%.1f %.1f Q%.1f %.1f %.1f %.1f\" fill=\"none\" stroke=\"%s\""
			" stroke-width=\"3\"%s/>\n", x1, y1, mx, my, x2, y2, sf_color(i),
			s->backup ? " stroke-dasharray=\"9 6\"" : "");
		/* The label sits on the curve (quadratic Bezier, parameter t), at
		 * the first of a few positions that does not cover another label. */
		static const double ts[] = { 0.5, 0.28, 0.72, 0.16, 0.84 };
		double lx = 0, ly = 0, best = -1;
		for (size_t k = 0; k < sizeof ts / sizeof ts[0]; k++) {
			double t = ts[k], u = 1 - t, score = 1e9;
			double px = u * u * x1 + 2 * u * t * mx + t * t * x2;
			double py = u * u * y1 + 2 * u * t * my + t * t * y2;
			for (int j = 0; j < nlab; j++) {
				double sx = fabs(labx[j] - px) / 205, sy = fabs(laby[j] - py) / 50;
				double sc = sx > sy ? sx : sy;
				if (sc < score)
					score = sc;
			}
			if (score > best) {
				best = score;
				lx = px;
				ly = py;
			}
			if (score >= 1)
				break;
		}
		if (nlab < MAX_SF) {
			labx[nlab] = lx;
			laby[nlab++] = ly;
		}
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"200\" height=\"%d\" rx=\"4\" class=\"elabel\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\"><tspan font-weight=\"bold\" fill=\"%s\">"
			"sf %d</tspan> %s%s%s</text>\n", lx - 100, ly - 12, s->failed ? 34 : 20, lx, ly + 2,
			sf_color(i), s->sf_no, s->initial ? "initial" : s->kind, s->backup ? ", backup" : "",
			s->hmac_ok == 0 ? ", HMAC &#10007;" : "");
		if (s->failed) {
			fprintf(f, "<text class=\"failmark\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">&#10007; ",
				lx, ly + 17);
			esc(f, s->why);
			fprintf(f, "</text>\n");
		}
		fprintf(f, "</g>\n");
	}
	for (size_t i = 0; i < m.n_node; i++) {
		const struct mp_gnode *nd = &m.node[i];
		double x = (nd->side ? xr : xl) - nw / 2, y = 60 + pitch * nd->row;
		fprintf(f, "<g class=\"node\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" rx=\"8\"%s/>"
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"addr\">", x, y, nw, nh,
			nd->removed ? " class=\"removed\"" : "", x + nw / 2, y + 18);
		esc(f, nd->addr);
		fprintf(f, "</text><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"ids\">", x + nw / 2,
			y + 35);
		if (nd->n_ids) {
			fprintf(f, "address id%s ", nd->n_ids > 1 ? "s" : "");
			for (unsigned k = 0; k < nd->n_ids; k++)
				fprintf(f, "%s%d", k ? ", " : "", nd->ids[k]);
		} else {
			fprintf(f, "address id unknown");
		}
		fprintf(f, "%s%s</text></g>\n", nd->announced_by >= 0 ? " &#183; ADD_ADDR" : "",
			nd->removed ? " &#183; removed" : "");
	}
	fprintf(f, "</svg>\n");
	fprintf(f, "<p class=\"legend\">Edges are subflows (colour as in the timeline);"
		" <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"40\" height=\"10\"><line x1=\"0\" y1=\"5\" x2=\"40\""
		" y2=\"5\" stroke=\"#555\" stroke-width=\"3\" stroke-dasharray=\"9 6\"/></svg> backup;"
		" <span class=\"failmark\">&#10007;</span> failed (reset, failed over, HMAC failure or never"
		" established); hover an edge for its 4-tuple and bytes.</p>\n");
	mp_gmodel_free(&m);
	return 0;
}

struct marker_kind {
	const char *type;
	const char *abbr;
	const char *name;
};

static const struct marker_kind marker_kinds[] = {
	{ "join_syn", "J", "MP_JOIN SYN" },
	{ "add_addr", "A+", "ADD_ADDR" },
	{ "remove_addr", "A&#8722;", "REMOVE_ADDR" },
	{ "mp_prio", "P", "MP_PRIO" },
	{ "mp_fail", "MF", "MP_FAIL" },
	{ "mp_fastclose", "FC", "MP_FASTCLOSE" },
	{ "mp_tcprst", "TR", "MP_TCPRST" },
	{ "fin", "F", "FIN" },
	{ "rst", "R", "RST" },
};

static const struct marker_kind *marker_find(const char *type)
{
	for (size_t i = 0; i < sizeof marker_kinds / sizeof marker_kinds[0]; i++)
		if (!strcmp(marker_kinds[i].type, type))
			return &marker_kinds[i];
	return NULL;
}

static void write_timeline(FILE *f, sqlite3 *db, const struct cdata *d)
{
	const double top = 44, lane0 = top + LANE_H * 0.6 + LANE_GAP; /* connection row, then lanes */
	double bottom = lane0 + d->nsf * (LANE_H + LANE_GAP);
	double h = bottom + 44, pw = (W - ML - MR) / d->dur;
	double peak = 0;
	double last_lab[MAX_SF + 1];
	sqlite3_stmt *st;
	int nmark = 0, skipped = 0;

	for (int i = 0; i < d->nsf; i++)
		for (int b = 0; b < d->nrb; b++) {
			double v = (d->rate[i][0][b] + d->rate[i][1][b]) * 8 / d->rbin / 1e6;
			if (v > peak)
				peak = v;
		}
	fprintf(f, "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\""
		" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"timeline\">\n", W, h, W, h);
	/* Failover shading under everything. */
	for (int i = 0; i < d->nfo; i++) {
		const struct fo *o = &d->fo[i];
		if (isnan(o->t_fail))
			continue;
		/* one band per episode, t_fail to t_recovered (or the end of
		 * the capture when it never recovered) */
		double x1 = xt(d, o->t_fail);
		double x2 = xt(d, isnan(o->t_recovered) ? o->t_fail + o->latency_ms / 1e3 : o->t_recovered);
		int a = sf_index(d, o->from), b = sf_index(d, o->to);
		const char *kind = strcmp(o->kind, "stall") ? "failover" : "stall";
		fprintf(f, "<g class=\"failover %s\" data-from=\"%d\" data-to=\"%d\"><title>%s %s sf %d &#8594; sf %d:"
			" %s%.1f ms (cause %s)</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>"
			"<text x=\"%.1f\" y=\"%.1f\">%s sf %d &#8594; sf %d: %s%.1f ms</text></g>\n",
			kind, a >= 0 ? d->sf[a].sf_no : 0, b >= 0 ? d->sf[b].sf_no : 0, kind, o->dir,
			a >= 0 ? d->sf[a].sf_no : 0, b >= 0 ? d->sf[b].sf_no : 0,
			o->lower_bound ? "&#8805; " : "", o->latency_ms, o->cause[0] ? o->cause : "none",
			x1, top - 30 + 12.0 * i, x2 - x1 < 1 ? 1 : x2 - x1, bottom - top + 30 - 12.0 * i,
			x1 + 3, top - 20 + 12.0 * i, kind, a >= 0 ? d->sf[a].sf_no : 0,
			b >= 0 ? d->sf[b].sf_no : 0, o->lower_bound ? "&#8805; " : "", o->latency_ms);
	}
	time_axis(f, d, top, bottom);
	fprintf(f, "<text class=\"lanelab\" x=\"8\" y=\"%.1f\">connection events</text>\n", top + LANE_H * 0.35);
	fprintf(f, "<line class=\"laneline\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", ML,
		top + LANE_H * 0.6, W - MR, top + LANE_H * 0.6);
	for (int i = 0; i < d->nsf; i++) {
		const struct sf *s = &d->sf[i];
		double y = lane0 + i * (LANE_H + LANE_GAP), base = y + LANE_H;
		double lane_peak = 0;
		fprintf(f, "<g class=\"lane\" data-subflow=\"%d\" data-conn=\"%" PRId64 "\">\n", s->sf_no, d->c.id);
		fprintf(f, "<rect class=\"lanebg\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", ML, y,
			W - ML - MR, LANE_H);
		/* lifetime: SYN to close (or the end) */
		double ls = isnan(s->syn_ts) ? d->t0 : s->syn_ts;
		double le = isnan(s->closed_ts) ? d->t0 + d->dur : s->closed_ts;
		fprintf(f, "<rect class=\"life\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"3\" fill=\"%s\"/>\n",
			xt(d, ls), base - 3, xt(d, le) - xt(d, ls) < 1 ? 1 : xt(d, le) - xt(d, ls), sf_color(i));
		fprintf(f, "<text class=\"lanelab\" x=\"8\" y=\"%.1f\"><tspan font-weight=\"bold\" fill=\"%s\">sf %d</tspan>"
			" %s%s%s</text>\n", y + 16, sf_color(i), s->sf_no, s->kind, s->backup ? ", backup" : "",
			s->failed ? ", failed" : "");
		fprintf(f, "<text class=\"lanesub\" x=\"8\" y=\"%.1f\">", y + 32);
		esc(f, s->src);
		fprintf(f, ":%d &#8594; ", s->sport);
		esc(f, s->dst);
		fprintf(f, ":%d</text>\n", s->dport);
		if (d->have_opts && peak > 0) {
			/* c2s solid, s2c stacked on top, lighter */
			for (int dir = 0; dir < 2; dir++) {
				bool any = false;
				for (int b = 0; b < d->nrb; b++) {
					double v0 = d->rate[i][0][b] * 8 / d->rbin / 1e6;
					double v = d->rate[i][dir][b] * 8 / d->rbin / 1e6;
					if (v <= 0)
						continue;
					if (v0 + d->rate[i][1][b] * 8 / d->rbin / 1e6 > lane_peak)
						lane_peak = v0 + d->rate[i][1][b] * 8 / d->rbin / 1e6;
					double hh = v / peak * (LANE_H - 6);
					double yb = base - 3 - (dir ? v0 / peak * (LANE_H - 6) : 0);
					double bw = d->rbin * pw;
					if (!any)
						fprintf(f, "<path class=\"rate %s\" fill=\"%s\"%s d=\"", dir ? "s2c" : "c2s",
							sf_color(i), dir ? " fill-opacity=\"0.4\"" : "");
					any = true;
					fprintf(f, "M%.1f %.1fh%.2fv%.1fh%.2fz", xt(d, d->t0 + b * d->rbin), yb,
						bw > 1.2 ? bw - 0.4 : bw, -hh, -(bw > 1.2 ? bw - 0.4 : bw));
				}
				if (any)
					fprintf(f, "\"/>\n");
			}
			fprintf(f, "<text class=\"peak\" x=\"8\" y=\"%.1f\">peak %.2f Mbit/s</text>\n", y + 47, lane_peak);
		} else {
			char b1[32], b2[32];
			fmt_bytes(b1, sizeof b1, (double)s->bytes_fwd);
			fmt_bytes(b2, sizeof b2, (double)s->bytes_rev);
			fprintf(f, "<text class=\"peak\" x=\"8\" y=\"%.1f\">%s &#8594;, %s &#8592; (lifetime only)</text>\n",
				y + 47, b1, b2);
		}
		fprintf(f, "</g>\n");
	}
	/* Event markers. */
	for (int i = 0; i <= MAX_SF; i++)
		last_lab[i] = -100;
	st = prep(db, "SELECT ts, subflow_id, type, detail, frame FROM events WHERE conn_id = ?1 AND type IN"
		  " ('join_syn', 'add_addr', 'remove_addr', 'mp_prio', 'mp_fail', 'mp_fastclose', 'mp_tcprst',"
		  " 'fin', 'rst') ORDER BY ts, frame");
	if (st) {
		sqlite3_bind_int64(st, 1, d->c.id);
		while (sqlite3_step(st) == SQLITE_ROW) {
			char type[24], detail[200];
			col_text(st, 2, type, sizeof type);
			col_text(st, 3, detail, sizeof detail);
			const struct marker_kind *mk = marker_find(type);
			int k = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 :
				sf_index(d, sqlite3_column_int64(st, 1));
			double x = xt(d, sqlite3_column_double(st, 0)), y0, y1;
			if (!mk)
				continue;
			if (nmark >= MAX_MARKERS) {
				skipped++;
				continue;
			}
			nmark++;
			if (k < 0 || !strcmp(type, "add_addr") || !strcmp(type, "remove_addr")) {
				y0 = top;
				y1 = top + LANE_H * 0.6;
			} else {
				y0 = lane0 + k * (LANE_H + LANE_GAP);
				y1 = y0 + LANE_H;
			}
			fprintf(f, "<g class=\"marker\" data-type=\"%s\"><title>%s at %.6f s, frame %d%s", type, mk->name,
				sqlite3_column_double(st, 0) - d->t0, sqlite3_column_int(st, 4), detail[0] ? ": " : "");
			esc(f, detail);
			fprintf(f, "</title><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x, y0, x, y1);
			int li = k < 0 || y0 == top ? MAX_SF : k;
			if (x - last_lab[li] > 18) {
				fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%s</text>", x + 2, y0 + 11, mk->abbr);
				last_lab[li] = x;
			}
			fprintf(f, "</g>\n");
		}
		sqlite3_finalize(st);
	}
	fprintf(f, "</svg>\n");
	fprintf(f, "<p class=\"legend\">Bars: data mapped per subflow (new DSS mappings, bytes) per %.3g ms bin,"
		" as Mbit/s on one scale for all lanes (peak %.2f Mbit/s); solid client &#8594; server,"
		" light server &#8594; client. Thin bar at the bottom of a lane: subflow lifetime (SYN to close)."
		" Markers:", d->rbin * 1e3, peak);
	for (size_t i = 0; i < sizeof marker_kinds / sizeof marker_kinds[0]; i++)
		fprintf(f, " <b>%s</b> %s%s", marker_kinds[i].abbr, marker_kinds[i].name,
			i + 1 < sizeof marker_kinds / sizeof marker_kinds[0] ? "," : ".");
	fprintf(f, " ADD_ADDR / REMOVE_ADDR and events of no subflow are on the connection row."
		" Grey band: an outage episode (failover or stall), from the failed subflow's last sign of life"
		" (t_fail) to the first DATA_ACK covering all the data it lost (t_recovered), labelled with its"
		" latency.");
	if (skipped)
		fprintf(f, " %d more markers not drawn.", skipped);
	fprintf(f, "</p>\n");
}

/* Y axis for the DSN plot. */
static double yd(int64_t v, int64_t ymax, double y0, double y1)
{
	return y1 - (double)v / (double)ymax * (y1 - y0);
}

static void write_dsn(FILE *f, sqlite3 *db, struct cdata *d)
{
	const double y0 = 20, y1 = 330, h = 380;
	int64_t ymax = d->ymax;
	sqlite3_stmt *st;
	char lab[32];
	int nre = 0;

	if (!d->have_opts && d->db_opts) {
		fprintf(f, "<p class=\"note\">No data-sequence plot: no DSS option of this connection was seen%s.</p>\n",
			d->c.fallback[0] ? " (it fell back to plain TCP)" : "");
		return;
	}
	if (!d->have_opts) {
		fprintf(f, "<p class=\"note\">No data-sequence plot: the database has no per-option rows for this"
			" connection (it was written without <code>--db-packets</code>). Run <code>mpana report</code>"
			" on the trace itself to get it.</p>\n");
		return;
	}
	/* A DATA_ACK far beyond the data mapped (a capture that starts mid-
	 * connection, without keys: no trustworthy origin) is not drawn. */
	for (int b = 0; b < d->ndb; b++)
		if (d->ack[b] > 2 * d->ymax + 65536)
			d->ack[b] = -1;
		else if (d->ack[b] > ymax)
			ymax = d->ack[b];
	if (ymax <= 0) {
		fprintf(f, "<p class=\"note\">No data mapped in either direction.</p>\n");
		return;
	}
	double ystep = nice_ceil((double)ymax / 6.0);
	fprintf(f, "<svg class=\"dsn\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\""
		" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"data sequence plot\">\n", W, h, W, h);
	for (int i = 0; i < d->nfo; i++) {
		const struct fo *o = &d->fo[i];
		double t2 = isnan(o->t_recovered) ? o->t_fail + o->latency_ms / 1e3 : o->t_recovered;
		if (isnan(o->t_fail))
			continue;
		fprintf(f, "<rect class=\"fshade\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
			xt(d, o->t_fail), y0, xt(d, t2) - xt(d, o->t_fail), y1 - y0);
	}
	time_axis(f, d, y0, y1);
	fprintf(f, "<g class=\"axis\">\n");
	for (double v = 0; v <= (double)ymax * 1.0000001; v += ystep) {
		double y = yd((int64_t)v, ymax, y0, y1);
		fmt_bytes(lab, sizeof lab, v);
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", ML - 4, y, W - MR, y, ML - 8,
			y + 4, lab);
	}
	fprintf(f, "<line class=\"axisline\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", ML, y0, ML, y1);
	fprintf(f, "<text class=\"axislabel\" transform=\"translate(%.1f %.1f) rotate(-90)\" text-anchor=\"middle\">"
		"data sequence, %s (bytes from IDSN)</text>\n</g>\n", ML - 80, (y0 + y1) / 2,
		d->main_dir ? "server &#8594; client" : "client &#8594; server");
	for (int i = 0; i < d->nsf; i++) {
		bool any = false;
		for (int b = 0; b < d->ndb; b++) {
			if (d->dmax[i][b] < 0)
				continue;
			double xa = xt(d, d->tmin[i][b]), xb = xt(d, d->tmax[i][b]);
			if (!any)
				fprintf(f, "<path class=\"dsnpts\" data-subflow=\"%d\" stroke=\"%s\" d=\"", d->sf[i].sf_no,
					sf_color(i));
			any = true;
			fprintf(f, "M%.1f %.1fL%.1f %.1f", xa, yd(d->dmin[i][b], ymax, y0, y1), xb < xa + 1 ? xa + 1 : xb,
				yd(d->dmax[i][b], ymax, y0, y1));
		}
		if (any)
			fprintf(f, "\"/>\n");
	}
	/* DATA_ACK: a step line through the per-bin maxima, carried forward. */
	int64_t cur = -1;
	bool started = false;
	for (int b = 0; b < d->ndb; b++) {
		if (d->ack[b] > cur)
			cur = d->ack[b];
		if (cur < 0)
			continue;
		double x = xt(d, d->t0 + (b + 1) * d->dbin), y = yd(cur, ymax, y0, y1);
		if (!started)
			fprintf(f, "<path class=\"dataack\" d=\"M%.1f %.1f", xt(d, d->t0 + b * d->dbin), y);
		else
			fprintf(f, "V%.1f", y);
		fprintf(f, "H%.1f", x);
		started = true;
	}
	if (started)
		fprintf(f, "\"/>\n");
	/* Reinjections: the segments the engine marked, at their own DSN */
	st = prep(db, "SELECT ts, subflow_id, seg_dsn, seg_len, frame FROM options"
		  " WHERE capture_id = ?1 AND conn_id = ?2 AND resend = 'reinjection'"
		  " AND seg_dsn IS NOT NULL ORDER BY frame");
	if (st) {
		sqlite3_bind_int64(st, 1, d->c.capture_id);
		sqlite3_bind_int64(st, 2, d->c.id);
		while (sqlite3_step(st) == SQLITE_ROW && nre < MAX_REINJ) {
			uint64_t dsn = (uint64_t)sqlite3_column_int64(st, 2);
			if (!d->have_base[d->main_dir])
				break;
			int64_t rel = (int64_t)(dsn - d->base[d->main_dir]);
			if (rel < 0 || rel > ymax)
				continue;
			int k = sf_index(d, sqlite3_column_int64(st, 1));
			nre++;
			fprintf(f, "<g class=\"reinjection\"><title>reinjection at %.6f s on sf %d:"
				" frame %lld, %lld bytes at DSN +%lld</title><circle cx=\"%.1f\" cy=\"%.1f\""
				" r=\"6\"/></g>\n", sqlite3_column_double(st, 0) - d->t0,
				k >= 0 ? d->sf[k].sf_no : 0, (long long)sqlite3_column_int64(st, 4),
				(long long)sqlite3_column_int64(st, 3), (long long)rel,
				xt(d, sqlite3_column_double(st, 0)), yd(rel, ymax, y0, y1));
		}
		sqlite3_finalize(st);
	}
	fprintf(f, "</svg>\n");
	fprintf(f, "<p class=\"legend\">Coloured lines: the DSN ranges a subflow mapped, from the first to"
		" the last segment seen carrying them (merged per %.3g ms bin; colour = subflow); <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"30\" height=\"10\"><line x1=\"0\""
		" y1=\"5\" x2=\"30\" y2=\"5\" class=\"dataack\"/></svg> DATA_ACK (highest per bin);"
		" <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"14\" height=\"14\"><circle cx=\"7\" cy=\"7\" r=\"5\""
		" class=\"reinj\"/></svg> reinjection (%d drawn); grey band: failover. Plotted direction: the one"
		" with more data.</p>\n", d->dbin * 1e3, nre);
}

static void write_handshake(FILE *f, sqlite3 *db, const struct cdata *d)
{
	sqlite3_stmt *st = prep(db, "SELECT seq, rel_ms, subflow_id, step, ok, frame, detail FROM handshake_order"
				" WHERE conn_id = ?1 ORDER BY seq");
	int rows = 0, more = 0;

	if (!st)
		return;
	sqlite3_bind_int64(st, 1, d->c.id);
	fprintf(f, "<table class=\"hs\">\n<thead><tr><th>#</th><th>time (ms)</th><th>frame</th><th>subflow</th>"
		"<th>step</th><th>verdict</th><th>detail</th></tr></thead>\n<tbody>\n");
	while (sqlite3_step(st) == SQLITE_ROW) {
		char step[32], detail[240];
		if (rows >= MAX_HS_ROWS) {
			more++;
			continue;
		}
		rows++;
		col_text(st, 3, step, sizeof step);
		col_text(st, 6, detail, sizeof detail);
		int k = sqlite3_column_type(st, 2) == SQLITE_NULL ? -1 : sf_index(d, sqlite3_column_int64(st, 2));
		int ok = col_int(st, 4, -1);
		fprintf(f, "<tr><td>%d</td><td class=\"num\">%.3f</td><td class=\"num\">%d</td><td>",
			sqlite3_column_int(st, 0), sqlite3_column_double(st, 1), sqlite3_column_int(st, 5));
		if (k >= 0)
			fprintf(f, "<span class=\"sw\" style=\"background:%s\"></span>sf %d", sf_color(k), d->sf[k].sf_no);
		fprintf(f, "</td><td>");
		esc(f, step);
		fprintf(f, "</td><td class=\"%s\">%s</td><td>", ok == 1 ? "good" : ok == 0 ? "bad" : "",
			ok == 1 ? "ok" : ok == 0 ? "FAILED" : "");
		esc(f, detail);
		fprintf(f, "</td></tr>\n");
	}
	sqlite3_finalize(st);
	fprintf(f, "</tbody>\n</table>\n");
	if (more)
		fprintf(f, "<p class=\"note\">%d more rows: <code>mpana query DB \"SELECT * FROM handshake_order"
			" WHERE conn_id = %" PRId64 "\"</code>.</p>\n", more, d->c.id);
}

static int write_conn(FILE *f, sqlite3 *db, struct cdata *d)
{
	const struct conn *c = &d->c;
	double tend = c->last_ts;

	if (load_subflows(db, d) < 0 || load_failovers(db, d) < 0)
		return -1;
	if (!isnan(c->closed_ts) && (isnan(tend) || c->closed_ts > tend))
		tend = c->closed_ts;
	for (int i = 0; i < d->nsf; i++)
		if (!isnan(d->sf[i].closed_ts) && d->sf[i].closed_ts > tend)
			tend = d->sf[i].closed_ts;
	d->t0 = c->first_ts;
	d->dur = tend - d->t0;
	if (!(d->dur > 1e-3))
		d->dur = 1e-3;
	d->rbin = nice_ceil(d->dur / RATE_BINS);
	d->nrb = (int)ceil(d->dur / d->rbin);
	if (d->nrb > MAX_BINS)
		d->nrb = MAX_BINS;
	if (d->nrb < 1)
		d->nrb = 1;
	d->dbin = nice_ceil(d->dur / DSN_BINS);
	d->ndb = (int)ceil(d->dur / d->dbin);
	if (d->ndb > MAX_BINS)
		d->ndb = MAX_BINS;
	if (d->ndb < 1)
		d->ndb = 1;
	d->main_dir = c->bytes_s2c > c->bytes_c2s;
	if (load_options(db, d) < 0)
		return -1;
	d->have_opts = d->opt_rows > 0;

	fprintf(f, "<section class=\"conn\" id=\"conn-%" PRId64 "\" data-conn=\"%" PRId64 "\" data-subflows=\"%d\">\n",
		c->id, c->id, d->nsf);
	fprintf(f, "<h2>Connection %" PRId64 ": ", c->id);
	esc(f, c->client);
	fprintf(f, ":%d &#8594; ", c->cport);
	esc(f, c->server);
	fprintf(f, ":%d</h2>\n", c->sport);
	write_header(f, db, d);
	if (!d->have_opts && d->db_opts)
		fprintf(f, "<p class=\"note\">No DSS option of this connection was seen%s: the lanes show subflow"
			" lifetimes and byte totals only.</p>\n", c->fallback[0] ? " (it fell back to plain TCP)" : "");
	else if (!d->have_opts)
		fprintf(f, "<p class=\"note\">This database has no per-option rows for the connection"
			" (written without <code>--db-packets</code>): the lanes show subflow lifetimes and byte"
			" totals only, and there is no data-sequence plot.</p>\n");
	fprintf(f, "<h3>Subflow graph</h3>\n");
	if (write_graph(f, db, d) < 0)
		return -1;
	fprintf(f, "<h3>Timeline</h3>\n");
	write_timeline(f, db, d);
	fprintf(f, "<h3>Data sequence</h3>\n");
	write_dsn(f, db, d);
	fprintf(f, "<h3>Handshake order</h3>\n");
	write_handshake(f, db, d);
	fprintf(f, "</section>\n");
	return 0;
}

static void usage(FILE *f)
{
	fputs("Usage: mpana report TRACE|DB -o FILE [--conn ID]\n"
	      "Writes one self-contained HTML page (inline SVG, no script) with, per MPTCP\n"
	      "connection, its verdicts, subflow graph, timeline with failovers, data\n"
	      "sequence plot and handshake order. TRACE is analyzed with --db-packets into\n"
	      "a temporary database; DB is an mpana --db file. --conn ID: only the\n"
	      "connection with that database id. See docs/report.md.\n", f);
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
	int c, ret = EXIT_OK, nconn = 0, drawn = 0;
	const char *tmpdir = getenv("TMPDIR");
	char dir[PATH_MAX], dbpath[PATH_MAX + 16];
	bool tmp = false;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	FILE *f = NULL;
	struct cdata *d = NULL;

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
				return EXIT_USAGE;
			}
			only = v;
			break;
		}
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || !out_path) {
		MP_LOG(MP_LOG_ERR, "report: give one TRACE or DB and -o FILE");
		usage(stderr);
		return EXIT_USAGE;
	}
	input = argv[optind];
	if (access(input, R_OK) != 0) {
		MP_LOG(MP_LOG_ERR, "%s: %s", input, strerror(errno));
		return EXIT_ERR;
	}
	if (is_sqlite_file(input)) {
		snprintf(dbpath, sizeof dbpath, "%s", input);
	} else {
		if (!tmpdir || !*tmpdir)
			tmpdir = "/tmp";
		if ((size_t)snprintf(dir, sizeof dir, "%s/mpana-report.XXXXXX", tmpdir) >= sizeof dir) {
			MP_LOG(MP_LOG_ERR, "report: TMPDIR too long");
			return EXIT_ERR;
		}
		if (!mkdtemp(dir)) {
			MP_LOG(MP_LOG_ERR, "report: %s", strerror(errno));
			return EXIT_ERR;
		}
		tmp = true;
		snprintf(dbpath, sizeof dbpath, "%s/r.db", dir);
		int rc = mp_selfrun_analyze(input, dbpath, true);
		if (rc != 0) {
			MP_LOG(MP_LOG_ERR, "%s: the trace could not be analyzed (mpana exited %d)", input, rc);
			ret = EXIT_ERR;
			goto out;
		}
	}
	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		MP_LOG(MP_LOG_ERR, "%s: %s", dbpath, db ? sqlite3_errmsg(db) : "cannot open");
		ret = EXIT_ERR;
		goto out;
	}
	d = malloc(sizeof *d);
	f = fopen(out_path, "w");
	if (!d || !f) {
		MP_LOG(MP_LOG_ERR, "%s: %s", out_path, strerror(errno));
		ret = EXIT_ERR;
		goto out;
	}

	fprintf(f, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
		"<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
		"<meta name=\"generator\" content=\"mpana %s\"/>\n<title>mpana report: ", MPANA_VERSION);
	esc(f, input);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>MPTCP report: ", mp_report_css);
	esc(f, input);
	fprintf(f, "</h1>\n<p class=\"meta\">");
	st = prep(db, "SELECT count(*), total(packets), total(mptcp_packets), min(first_ts), max(last_ts),"
		  " total(malformed) FROM captures");
	if (st && sqlite3_step(st) == SQLITE_ROW)
		fprintf(f, "%d capture%s, %.0f packets (%.0f with MPTCP options, %.0f malformed options),"
			" %.3f s. ", sqlite3_column_int(st, 0), sqlite3_column_int(st, 0) == 1 ? "" : "s",
			sqlite3_column_double(st, 1), sqlite3_column_double(st, 2), sqlite3_column_double(st, 5),
			sqlite3_column_double(st, 4) - sqlite3_column_double(st, 3));
	sqlite3_finalize(st);
	st = NULL;
	fprintf(f, "Generated by mpana %s report%s. Times are relative to each connection's first packet."
		"</p>\n", MPANA_VERSION, tmp ? " (analysis with --db-packets)" : " from a database");

	st = prep(db, "SELECT EXISTS (SELECT 1 FROM options)");
	bool db_opts = st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;

	/* Index of the connections. */
	st = prep(db, "SELECT " CONN_COLS " FROM connections WHERE ?1 = 0 OR id = ?1 ORDER BY id");
	if (!st) {
		ret = EXIT_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, only);
	fprintf(f, "<nav><b>Connections</b><ul>\n");
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct conn cc;
		load_conn_row(st, &cc);
		nconn++;
		fprintf(f, "<li>");
		if (nconn <= MAX_CONNS)
			fprintf(f, "<a href=\"#conn-%" PRId64 "\">", cc.id);
		fprintf(f, "%" PRId64 ": ", cc.id);
		esc(f, cc.client);
		fprintf(f, ":%d &#8594; ", cc.cport);
		esc(f, cc.server);
		fprintf(f, ":%d, %d subflow%s%s%s", cc.sport, cc.nsub, cc.nsub == 1 ? "" : "s",
			cc.fallback[0] ? ", fallback" : "", nconn <= MAX_CONNS ? "</a>" : " (not drawn: use --conn)");
		fprintf(f, "</li>\n");
	}
	fprintf(f, "</ul></nav>\n");
	sqlite3_reset(st);
	if (nconn == 0)
		fprintf(f, "<p class=\"note\">No MPTCP connection%s.</p>\n", only ? " with that id" : " in the capture");
	while (sqlite3_step(st) == SQLITE_ROW && drawn < MAX_CONNS) {
		memset(d, 0, sizeof *d);
		d->db_opts = db_opts;
		load_conn_row(st, &d->c);
		if (write_conn(f, db, d) < 0) {
			ret = EXIT_ERR;
			break;
		}
		drawn++;
	}
	if (nconn > drawn && ret == EXIT_OK)
		fprintf(f, "<p class=\"note\">%d more connections are listed above but not drawn (at most %d per"
			" page): use <code>--conn ID</code>.</p>\n", nconn - drawn, MAX_CONNS);
	fprintf(f, "</body>\n</html>\n");
	if (only && nconn == 0) {
		MP_LOG(MP_LOG_ERR, "report: no connection with id %" PRId64, only);
		ret = EXIT_ERR;
	}

out:
	sqlite3_finalize(st);
	if (f && (ferror(f) | (fclose(f) != 0)) && ret == EXIT_OK) {
		MP_LOG(MP_LOG_ERR, "%s: write error", out_path);
		ret = EXIT_ERR;
	}
	sqlite3_close(db);
	free(d);
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
