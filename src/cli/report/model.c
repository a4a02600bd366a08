/* SPDX-License-Identifier: BSD-2-Clause */
/* model.c - the report's data model: one connection's rows (connection,
 * subflows, failovers, addresses, handshake verdict and order, events,
 * DSS options, reinjections) read from the database into struct rpt_data
 * and the graph model (report_int.h, docs/schema.sql).
 *
 * RFC 8684 §3 (connections, subflows), §3.3 (DSS), §3.4 (addresses). The
 * DSS rows are read once, in frame order, into the bins (bins.c): memory
 * does not grow with the trace. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mpana/db.h"

#include "mpana/graph_model.h"
#include "mpana/log.h"
#include "mpana/opt.h"

#include "report_int.h"

static void col_text(struct mp_db_stmt *st, int i, char *buf, size_t n)
{
	const char *t = mp_db_column_text(st, i);
	snprintf(buf, n, "%s", t ? t : "");
}

static double col_real(struct mp_db_stmt *st, int i)
{
	return mp_db_column_type(st, i) == MP_DBT_NULL ? NAN : mp_db_column_double(st, i);
}

static int col_int(struct mp_db_stmt *st, int i, int null)
{
	return mp_db_column_type(st, i) == MP_DBT_NULL ? null : mp_db_column_int(st, i);
}

struct mp_db_stmt *rpt_prep(struct mp_db *db, const char *sql)
{
	struct mp_db_stmt *st = NULL;
	if (mp_db_prepare(db, sql, &st, NULL) < 0 || !st) {
		MP_LOG(MP_LOG_ERR, "report: %s", st ? "no statement" : mp_db_errmsg(db));
		mp_db_finalize(st);
		return NULL;
	}
	return st;
}

int rpt_step_end(struct mp_db *db, int rc, const char *what)
{
	if (rc >= 0) /* at the end, or a row: a loop that stopped early */
		return 0;
	MP_LOG(MP_LOG_ERR, "report: reading %s: %s", what, mp_db_errmsg(db));
	return -1;
}

int rpt_sf_index(const struct rpt_data *d, int64_t id)
{
	for (int i = 0; i < d->nsf; i++)
		if (d->sf[i].id == id)
			return i;
	return -1;
}

void rpt_conn_row(struct mp_db_stmt *st, struct rpt_conn *c)
{
	memset(c, 0, sizeof *c);
	c->id = mp_db_column_i64(st, 0);
	c->capture_id = mp_db_column_i64(st, 1);
	c->conn_no = mp_db_column_int(st, 2);
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
	c->fallback_frame = -1;
	col_text(st, 15, c->app, sizeof c->app);
	c->partial = col_int(st, 16, 0);
	c->nsub = col_int(st, 17, 0);
	col_text(st, 18, c->vantage, sizeof c->vantage);
	c->bytes_c2s = mp_db_column_i64(st, 19);
	c->bytes_s2c = mp_db_column_i64(st, 20);
	c->reinj_frames = mp_db_column_i64(st, 21);
	c->reinj_bytes = mp_db_column_i64(st, 22);
}

/* Is addr a server-side address of the connection (its server address or
 * one the server announced)? 1 yes, 0 no, -1 database error. */
static int server_side_addr(struct mp_db *db, const struct rpt_conn *c, const char *addr)
{
	struct mp_db_stmt *st;
	int rc;

	if (!strcmp(addr, c->server))
		return 1;
	if (!strcmp(addr, c->client))
		return 0;
	st = rpt_prep(db, "SELECT 1 FROM addresses WHERE conn_id = ?1 AND addr = ?2 AND announced_by = 'server'");
	if (!st)
		return -1;
	mp_db_bind_i64(st, 1, c->id);
	mp_db_bind_text(st, 2, addr);
	rc = mp_db_step(st);
	mp_db_finalize(st);
	if (rpt_step_end(db, rc, "addresses") < 0)
		return -1;
	return rc == 1;
}

static int load_subflows(struct mp_db *db, struct rpt_data *d)
{
	struct mp_db_stmt *st = rpt_prep(db, "SELECT id, sf_no, kind, src_addr, src_port, dst_addr, dst_port,"
				" initial, backup, local_addr_id, remote_addr_id, syn_ts, established_ts,"
				" closed_ts, close_reason, tcprst_reason, hmac_ok, bytes_fwd, bytes_rev"
				" FROM subflows WHERE conn_id = ?1 ORDER BY id");
	int rc;

	if (!st)
		return -1;
	mp_db_bind_i64(st, 1, d->c.id);
	while ((rc = mp_db_step(st)) == 1) {
		d->nsf_total++;
		if (d->nsf >= MAX_SF)
			continue;
		struct rpt_sf *s = &d->sf[d->nsf++];
		memset(s, 0, sizeof *s);
		s->id = mp_db_column_i64(st, 0);
		s->sf_no = mp_db_column_int(st, 1);
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
		s->bytes_fwd = mp_db_column_i64(st, 17);
		s->bytes_rev = mp_db_column_i64(st, 18);
	}
	mp_db_finalize(st);
	if (rpt_step_end(db, rc, "subflows") < 0)
		return -1;
	for (int i = 0; i < d->nsf; i++) {
		struct rpt_sf *s = &d->sf[i];
		int src_srv = 0, dst_srv = 0;
		if (!s->initial && (src_srv = server_side_addr(db, &d->c, s->src)) == 1)
			dst_srv = server_side_addr(db, &d->c, s->dst);
		if (src_srv < 0 || dst_srv < 0)
			return -1;
		s->server_init = src_srv && !dst_srv;
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

static int load_failovers(struct mp_db *db, struct rpt_data *d)
{
	struct mp_db_stmt *st = rpt_prep(db, "SELECT direction, from_subflow, to_subflow, kind, cause, t_fail,"
				" t_recovered, t_first_reinject, latency_ms, stall_ms, lower_bound"
				" FROM failovers WHERE conn_id = ?1 ORDER BY t_fail, id");
	int rc;

	if (!st)
		return -1;
	mp_db_bind_i64(st, 1, d->c.id);
	while ((rc = mp_db_step(st)) == 1 && d->nfo < MAX_FO) {
		struct rpt_fo *f = &d->fo[d->nfo++];
		col_text(st, 0, f->dir, sizeof f->dir);
		f->from = mp_db_column_i64(st, 1);
		f->to = mp_db_column_i64(st, 2);
		col_text(st, 3, f->kind, sizeof f->kind);
		col_text(st, 4, f->cause, sizeof f->cause);
		f->t_fail = col_real(st, 5);
		f->t_recovered = col_real(st, 6);
		f->t_reinject = col_real(st, 7);
		f->latency_ms = col_real(st, 8);
		f->stall_ms = col_real(st, 9);
		f->lower_bound = mp_db_column_int(st, 10) != 0;
		int k = rpt_sf_index(d, f->from);
		if (k >= 0 && !d->sf[k].failed) {
			char why[sizeof d->sf[k].why];
			snprintf(why, sizeof why, "%s%s%.24s",
				 strcmp(f->kind, "stall") ? "failed over" : "stalled",
				 f->cause[0] ? ": " : "", f->cause);
			memcpy(d->sf[k].why, why, sizeof why);
			d->sf[k].failed = true;
		}
	}
	mp_db_finalize(st);
	return rpt_step_end(db, rc, "failovers");
}

/* The header's facts: ADD_ADDR HMAC counts and the handshake verdict. */
static int load_facts(struct mp_db *db, struct rpt_data *d)
{
	struct mp_db_stmt *st = rpt_prep(db, "SELECT count(*),"
				    " coalesce(sum(CASE WHEN hmac_ok = 1 THEN 1 ELSE 0 END), 0),"
				    " coalesce(sum(CASE WHEN hmac_ok = 0 THEN 1 ELSE 0 END), 0)"
				    " FROM addresses WHERE conn_id = ?1");
	int rc;

	if (!st)
		return -1;
	mp_db_bind_i64(st, 1, d->c.id);
	if ((rc = mp_db_step(st)) == 1) {
		d->addr_n = mp_db_column_int(st, 0);
		d->addr_ok = mp_db_column_int(st, 1);
		d->addr_bad = mp_db_column_int(st, 2);
	}
	mp_db_finalize(st);
	if (rpt_step_end(db, rc, "addresses") < 0)
		return -1;
	st = rpt_prep(db, "SELECT valid, reason, joins FROM handshake_verdict WHERE conn_id = ?1");
	if (!st)
		return -1;
	mp_db_bind_i64(st, 1, d->c.id);
	if ((rc = mp_db_step(st)) == 1) {
		d->have_verdict = true;
		d->hs_valid = mp_db_column_int(st, 0);
		col_text(st, 1, d->hs_reason, sizeof d->hs_reason);
		d->hs_joins = mp_db_column_int(st, 2);
	}
	mp_db_finalize(st);
	return rpt_step_end(db, rc, "handshake_verdict");
}

/* The control events drawn as timeline markers, by time. */
static int load_markers(struct mp_db *db, struct rpt_data *d)
{
	struct mp_db_stmt *st = rpt_prep(db, "SELECT ts, subflow_id, type, detail, frame FROM events"
				    " WHERE conn_id = ?1 AND type IN ('join_syn', 'add_addr',"
				    " 'remove_addr', 'mp_prio', 'mp_fail', 'mp_fastclose', 'mp_tcprst',"
				    " 'fin', 'rst') ORDER BY ts, frame");
	int rc;

	if (!st)
		return -1;
	mp_db_bind_i64(st, 1, d->c.id);
	while ((rc = mp_db_step(st)) == 1) {
		if (d->nmark >= MAX_MARKERS) {
			d->mark_skipped++;
			continue;
		}
		struct rpt_marker *mk = &d->mark[d->nmark++];
		mk->ts = mp_db_column_double(st, 0);
		mk->k = mp_db_column_type(st, 1) == MP_DBT_NULL ? -1 :
			rpt_sf_index(d, mp_db_column_i64(st, 1));
		col_text(st, 2, mk->type, sizeof mk->type);
		col_text(st, 3, mk->detail, sizeof mk->detail);
		mk->frame = mp_db_column_i64(st, 4);
	}
	mp_db_finalize(st);
	return rpt_step_end(db, rc, "events");
}

/* The first MAX_HS_ROWS rows of the handshake order. */
static int load_handshake(struct mp_db *db, struct rpt_data *d)
{
	struct mp_db_stmt *st = rpt_prep(db, "SELECT seq, rel_ms, subflow_id, step, ok, frame, detail"
				    " FROM handshake_order WHERE conn_id = ?1 ORDER BY seq");
	int rc;

	if (!st)
		return -1;
	mp_db_bind_i64(st, 1, d->c.id);
	while ((rc = mp_db_step(st)) == 1) {
		if (d->nhs >= MAX_HS_ROWS) {
			d->hs_more++;
			continue;
		}
		struct rpt_hs *h = &d->hs[d->nhs++];
		h->seq = mp_db_column_int(st, 0);
		h->rel_ms = mp_db_column_double(st, 1);
		h->k = mp_db_column_type(st, 2) == MP_DBT_NULL ? -1 :
		       rpt_sf_index(d, mp_db_column_i64(st, 2));
		col_text(st, 3, h->step, sizeof h->step);
		h->ok = col_int(st, 4, -1);
		h->frame = mp_db_column_i64(st, 5);
		col_text(st, 6, h->detail, sizeof h->detail);
	}
	mp_db_finalize(st);
	return rpt_step_end(db, rc, "handshake_order");
}

/* Does the database have table or view `name`? 1 yes, 0 no, -1 error. */
static int has_table(struct mp_db *db, const char *name)
{
	int rc = mp_db_has_table(db, name);

	if (rc < 0)
		MP_LOG(MP_LOG_ERR, "report: reading the schema: %s", mp_db_errmsg(db));
	return rc;
}

/* Does table `table` have column `col`? 1 yes, 0 no, -1 error. */
static int has_column(struct mp_db *db, const char *table, const char *col)
{
	int rc = mp_db_has_column(db, table, col);

	if (rc < 0)
		MP_LOG(MP_LOG_ERR, "report: reading the schema: %s", mp_db_errmsg(db));
	return rc;
}

/* The fallback's proof (connections.fallback_frame, fallback_side), when
 * the database has those columns. */
static int load_fallback_cause(struct mp_db *db, struct rpt_data *d)
{
	struct mp_db_stmt *st;
	int rc, a, b;

	if (!d->c.fallback[0])
		return 0;
	if ((a = has_column(db, "connections", "fallback_frame")) < 0 ||
	    (b = has_column(db, "connections", "fallback_side")) < 0)
		return -1;
	if (!a || !b)
		return 0;
	st = rpt_prep(db, "SELECT fallback_frame, fallback_side FROM connections WHERE id = ?1");
	if (!st)
		return -1;
	mp_db_bind_i64(st, 1, d->c.id);
	if ((rc = mp_db_step(st)) == 1) {
		if (mp_db_column_type(st, 0) != MP_DBT_NULL)
			d->c.fallback_frame = mp_db_column_i64(st, 0);
		col_text(st, 1, d->c.fallback_side, sizeof d->c.fallback_side);
	}
	mp_db_finalize(st);
	return rpt_step_end(db, rc, "connections (fallback cause)");
}

/* The label of a failed join attempt: its outcome, with the MP_TCPRST
 * reason (RFC 8684 §3.6) of a rejection and the retransmissions of an
 * unanswered SYN. */
static void join_label(char *buf, size_t n, const char *outcome, int reason, int retrans, int gave_up)
{
	if (!strcmp(outcome, "rejected") && reason >= 0) {
		char name[40];
		snprintf(name, sizeof name, "%s", mp_tcprst_reason_name((uint8_t)reason));
		for (char *p = name; *p; p++)
			if (*p == '_')
				*p = ' ';
		snprintf(buf, n, "rejected (%d: %s)", reason, name);
	} else if (!strcmp(outcome, "no_synack")) {
		snprintf(buf, n, "no SYN/ACK (%d retransmission%s%s)", retrans, retrans == 1 ? "" : "s",
			 gave_up ? ", gave up" : "");
	} else if (n) {
		size_t i = 0;
		for (; outcome[i] && i + 1 < n; i++)
			buf[i] = outcome[i] == '_' ? ' ' : outcome[i];
		buf[i] = '\0';
	}
}

/* The join attempts that did not end established (table join_attempts,
 * when the database has it); each labels its subflow's edge, or gets an
 * edge of its own when its subflow is not drawn. */
static int load_joinfails(struct mp_db *db, struct rpt_data *d)
{
	struct mp_db_stmt *st;
	int rc = has_table(db, "join_attempts");

	if (rc <= 0)
		return rc;
	st = rpt_prep(db, "SELECT subflow_id, initiator, src_addr, src_port, dst_addr, dst_port, addr_id,"
		      " outcome, tcprst_reason, retransmissions, gave_up FROM join_attempts"
		      " WHERE conn_id = ?1 AND outcome <> 'established' ORDER BY t_syn, id");
	if (!st)
		return -1;
	mp_db_bind_i64(st, 1, d->c.id);
	while ((rc = mp_db_step(st)) == 1) {
		char by[16];
		d->njf_total++;
		if (d->njf >= MAX_JOINFAIL)
			continue;
		struct rpt_joinfail *j = &d->jf[d->njf++];
		memset(j, 0, sizeof *j);
		j->k = mp_db_column_type(st, 0) == MP_DBT_NULL ? -1 :
		       rpt_sf_index(d, mp_db_column_i64(st, 0));
		col_text(st, 1, by, sizeof by);
		j->server_init = !strcmp(by, "server");
		col_text(st, 2, j->src, sizeof j->src);
		j->sport = col_int(st, 3, 0);
		col_text(st, 4, j->dst, sizeof j->dst);
		j->dport = col_int(st, 5, 0);
		j->lid = col_int(st, 6, -1);
		col_text(st, 7, j->outcome, sizeof j->outcome);
		join_label(j->label, sizeof j->label, j->outcome, col_int(st, 8, -1), col_int(st, 9, 0),
			   col_int(st, 10, 0));
		if (j->k >= 0) {
			struct rpt_sf *s = &d->sf[j->k];
			s->failed = true;
			_Static_assert(sizeof s->why == sizeof j->label, "why holds a join label");
			memcpy(s->why, j->label, sizeof s->why);
		}
	}
	mp_db_finalize(st);
	return rpt_step_end(db, rc, "join_attempts");
}

/* The announced addresses and their verdicts (view address_use, when the
 * database has it), by announcement time. */
static int load_announcements(struct mp_db *db, struct rpt_data *d)
{
	struct mp_db_stmt *st;
	int rc = has_table(db, "address_use");

	if (rc <= 0)
		return rc;
	st = rpt_prep(db, "SELECT announcer, addr_id, addr, port, hmac_ok, joins, joins_established,"
		      " t_echo IS NOT NULL, verdict FROM address_use WHERE conn_id = ?1"
		      " ORDER BY t_announce, addr_id");
	if (!st)
		return -1;
	mp_db_bind_i64(st, 1, d->c.id);
	while ((rc = mp_db_step(st)) == 1) {
		d->nann_total++;
		if (d->nann >= MAX_ANN)
			continue;
		struct rpt_ann *a = &d->ann[d->nann++];
		memset(a, 0, sizeof *a);
		col_text(st, 0, a->announcer, sizeof a->announcer);
		a->addr_id = col_int(st, 1, -1);
		col_text(st, 2, a->addr, sizeof a->addr);
		a->port = col_int(st, 3, 0);
		a->hmac_ok = col_int(st, 4, -1);
		a->joins = col_int(st, 5, 0);
		a->joins_est = col_int(st, 6, 0);
		a->echoed = col_int(st, 7, 0) != 0;
		col_text(st, 8, a->verdict, sizeof a->verdict);
	}
	mp_db_finalize(st);
	return rpt_step_end(db, rc, "address_use");
}

/* The connection's stalls (table stalls, when the database has it). */
static int load_stalls(struct mp_db *db, struct rpt_data *d)
{
	struct mp_db_stmt *st;
	int rc = has_table(db, "stalls");

	if (rc <= 0)
		return rc;
	d->have_stalls = true;
	st = rpt_prep(db, "SELECT direction, t_start, t_end, frame, ended, duration_ms FROM stalls"
		      " WHERE conn_id = ?1 ORDER BY t_start, id");
	if (!st)
		return -1;
	mp_db_bind_i64(st, 1, d->c.id);
	while ((rc = mp_db_step(st)) == 1) {
		d->nstall_total++;
		if (d->nstall >= MAX_STALLS)
			continue;
		struct rpt_stall *s = &d->stall[d->nstall++];
		col_text(st, 0, s->dir, sizeof s->dir);
		s->t_start = col_real(st, 1);
		s->t_end = col_real(st, 2);
		s->frame = mp_db_column_i64(st, 3);
		s->ended = col_int(st, 4, 0) != 0;
		s->duration_ms = col_real(st, 5);
	}
	mp_db_finalize(st);
	return rpt_step_end(db, rc, "stalls");
}

int rpt_load_conn(struct mp_db *db, struct rpt_data *d)
{
	if (load_subflows(db, d) < 0 || load_joinfails(db, d) < 0 || load_failovers(db, d) < 0 ||
	    load_markers(db, d) < 0 || load_handshake(db, d) < 0 || load_facts(db, d) < 0 ||
	    load_fallback_cause(db, d) < 0 || load_announcements(db, d) < 0 || load_stalls(db, d) < 0)
		return -1;
	return 0;
}

int rpt_load_options(struct mp_db *db, struct rpt_data *d)
{
	/* 64-bit values from the engine (options.dsn64, data_ack64) */
	struct mp_db_stmt *st = rpt_prep(db, "SELECT ts, subflow_id, src_addr, src_port, dsn64, dll, data_ack64"
				" FROM options WHERE capture_id = ?1 AND conn_id = ?2 AND subtype = 'dss'"
				" AND error IS NULL AND subflow_id IS NOT NULL ORDER BY frame");
	int rc;

	if (!st)
		return -1;
	mp_db_bind_i64(st, 1, d->c.capture_id);
	mp_db_bind_i64(st, 2, d->c.id);
	while ((rc = mp_db_step(st)) == 1) {
		char src[64];
		int k = rpt_sf_index(d, mp_db_column_i64(st, 1));
		double ts = mp_db_column_double(st, 0);
		if (k < 0)
			continue;
		d->opt_rows++;
		col_text(st, 2, src, sizeof src);
		const struct rpt_sf *s = &d->sf[k];
		bool fwd = !strcmp(src, s->src) && mp_db_column_int(st, 3) == s->sport;
		int dir = (fwd != s->server_init) ? 0 : 1; /* 0: client to server */
		if (mp_db_column_type(st, 4) != MP_DBT_NULL && mp_db_column_i64(st, 5) > 0)
			rpt_bins_map(d, k, dir, ts, (uint64_t)mp_db_column_i64(st, 4),
				     mp_db_column_i64(st, 5));
		/* the DATA_ACK acknowledges the other direction */
		if (mp_db_column_type(st, 6) != MP_DBT_NULL)
			rpt_bins_ack(d, 1 - dir, ts, (uint64_t)mp_db_column_i64(st, 6));
	}
	mp_db_finalize(st);
	d->have_opts = d->opt_rows > 0;
	return rpt_step_end(db, rc, "options");
}

/* Reinjections: the segments the engine marked, at their own DSN, inside
 * the plot (at most MAX_REINJ). */
int rpt_load_reinj(struct mp_db *db, struct rpt_data *d)
{
	struct mp_db_stmt *st = rpt_prep(db, "SELECT ts, subflow_id, seg_dsn, seg_len, frame FROM options"
				    " WHERE capture_id = ?1 AND conn_id = ?2 AND resend = 'reinjection'"
				    " AND seg_dsn IS NOT NULL ORDER BY frame");
	int rc;

	if (!st)
		return -1;
	mp_db_bind_i64(st, 1, d->c.capture_id);
	mp_db_bind_i64(st, 2, d->c.id);
	while ((rc = mp_db_step(st)) == 1 && d->nreinj < MAX_REINJ) {
		uint64_t dsn = (uint64_t)mp_db_column_i64(st, 2);
		if (!d->have_base[d->main_dir])
			break;
		int64_t rel = (int64_t)(dsn - d->base[d->main_dir]);
		if (rel < 0 || rel > d->yplot)
			continue;
		struct rpt_reinj *r = &d->reinj[d->nreinj++];
		r->ts = mp_db_column_double(st, 0);
		r->k = rpt_sf_index(d, mp_db_column_i64(st, 1));
		r->len = (long long)mp_db_column_i64(st, 3);
		r->frame = (long long)mp_db_column_i64(st, 4);
		r->rel = rel;
	}
	mp_db_finalize(st);
	return rpt_step_end(db, rc, "options (reinjections)");
}

/* The graph model from the database: the client and server addresses
 * (address id 0), each drawn subflow, then the addresses announced, in
 * announcement order. */
int rpt_load_graph(struct mp_db *db, const struct rpt_data *d, struct mp_gmodel *m)
{
	struct mp_gnode *n;
	struct mp_db_stmt *st;
	int rc;

	if ((n = mp_gmodel_node(m, d->c.client, 0))) {
		n->initial = true;
		mp_gnode_add_id(n, 0);
	}
	if ((n = mp_gmodel_node(m, d->c.server, 1))) {
		n->initial = true;
		mp_gnode_add_id(n, 0);
	}
	for (int i = 0; i < d->nsf; i++) {
		const struct rpt_sf *s = &d->sf[i];
		mp_gmodel_subflow(m, s->src, s->lid, s->dst, s->rid, s->server_init);
	}
	for (int i = 0; i < d->njf; i++) {
		const struct rpt_joinfail *j = &d->jf[i];
		if (j->k < 0)
			mp_gmodel_subflow(m, j->src, j->lid, j->dst, -1, j->server_init);
	}
	st = rpt_prep(db, "SELECT addr, addr_id, announced_by, removed_ts FROM addresses WHERE conn_id = ?1"
		      " ORDER BY announced_ts");
	if (!st)
		return -1;
	mp_db_bind_i64(st, 1, d->c.id);
	while ((rc = mp_db_step(st)) == 1) {
		char addr[64], by[16];
		col_text(st, 0, addr, sizeof addr);
		col_text(st, 2, by, sizeof by);
		mp_gmodel_announce(m, addr, strcmp(by, "server") == 0, mp_db_column_int(st, 1),
				   mp_db_column_type(st, 3) != MP_DBT_NULL);
	}
	mp_db_finalize(st);
	if (rpt_step_end(db, rc, "addresses") < 0)
		return -1;
	mp_gmodel_layout(m);
	if (m->oom) {
		MP_LOG(MP_LOG_ERR, "report: out of memory");
		return -1;
	}
	return 0;
}
