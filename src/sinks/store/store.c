/* SPDX-License-Identifier: BSD-2-Clause */
/* store.c - the store of one capture (mpana --db FILE|URI), whatever the
 * back end: choosing it from the target, batches and their commits, the
 * capture row's counters, closing. The back ends are sqlite.c (a file, the
 * default) and pg_store.c (a postgresql:// URI); the rows are put by
 * rows.c (what the engine finalizes) and analysis_rows.c (what the
 * analysis stage reports); sink.c makes the store one of the analyzer's
 * sinks. Internals: store_int.h.
 *
 * STYLE R16: a commit every batch_events rows or batch_ns of capture time
 * and at close, so that a stop (SIGINT, SIGTERM: the capture loop ends and
 * the caller closes the store) loses nothing already analyzed. */
#include "store_int.h"

#include "mpana/db.h"

/* ---- errors, rows --------------------------------------------------- */

void store_fail_msg(struct mp_store *st, const char *what, const char *msg)
{
	if (st->failed)
		return;
	st->failed = true;
	MP_LOG(MP_LOG_ERR, "%s: %s: %s", st->path, what, msg ? msg : "unknown error");
}

bool store_run(struct mp_store *st, int which, const char *what)
{
	bool ok = !st->failed && st->be->run(st, which, what);

	for (int i = 1; i <= st->row_n; i++)
		st->row[i].type = F_NULL;
	st->row_n = 0;
	return ok;
}

void store_host(char *buf, size_t n)
{
	if (gethostname(buf, n) != 0)
		buf[0] = '\0';
	buf[n - 1] = '\0';
}

void store_started(char *buf, size_t n)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M:%SZ", &tm);
}

/* ---- transactions --------------------------------------------------- */

static void update_capture(struct mp_store *st, bool complete)
{
	const struct mp_stats *t = st->cfg.stats;

	put_i64(st, 1, st->capture_id);
	put_i64(st, 2, st->cfg.linktype);
	put_ts(st, 3, t && t->packets ? t->first_ts_ns : 0);
	put_ts(st, 4, t && t->packets ? t->last_ts_ns : 0);
	put_i64(st, 5, t ? (int64_t)t->packets : 0);
	put_i64(st, 6, t ? (int64_t)t->tcp : 0);
	put_i64(st, 7, t ? (int64_t)t->mptcp_packets : 0);
	put_i64(st, 8, complete);
	put_i64(st, 9, t ? (int64_t)t->malformed : 0);
	store_run(st, S_CAPTURE, "updating the capture row");
	/* Exact option counts per subtype (mpana check: option.NAME). */
	for (unsigned i = 0; t && i < 17; i++) {
		char name[16];
		if (!t->options[i])
			continue;
		if (i == 16)
			snprintf(name, sizeof name, "unreadable");
		else if (!strcmp(mp_subtype_name((uint8_t)i), "unknown"))
			snprintf(name, sizeof name, "unknown_%u", i);
		else
			snprintf(name, sizeof name, "%s", mp_subtype_name((uint8_t)i));
		put_i64(st, 1, st->capture_id);
		put_str(st, 2, name);
		put_i64(st, 3, (int64_t)t->options[i]);
		store_run(st, S_OPTCOUNT, "updating the option counts");
	}
}

static bool begin(struct mp_store *st)
{
	if (st->failed || !st->be->begin(st)) {
		st->failed = true;
		return false;
	}
	st->pending = 0;
	return true;
}

static int commit(struct mp_store *st, bool complete, bool again)
{
	if (st->failed)
		return -1;
	if (!st->be->flush(st)) {
		st->failed = true;
		return -1;
	}
	update_capture(st, complete);
	if (st->failed || !st->be->commit(st)) {
		st->failed = true;
		return -1;
	}
	st->pending = 0;
	if (again && !begin(st))
		return -1;
	return 0;
}

int mp_store_commit(struct mp_store *st)
{
	return st ? commit(st, false, true) : -1;
}

/* Commits when the batch is full or 1 s of capture time old. */
void store_maybe_commit(struct mp_store *st, uint64_t ts_ns)
{
	if (st->failed)
		return;
	if (!st->batch_ts || ts_ns < st->batch_ts)
		st->batch_ts = ts_ns;
	/* batch_events is at least 1 (mp_store_open): nothing to commit
	 * without pending events, the usual case */
	if (st->pending && (st->pending >= st->cfg.batch_events ||
			    ts_ns - st->batch_ts >= st->cfg.batch_ns)) {
		commit(st, false, true);
		st->batch_ts = ts_ns;
	}
}

/* ---- open / close --------------------------------------------------- */

struct mp_store *mp_store_open(const struct mp_store_cfg *cfg)
{
	struct mp_store *st = calloc(1, sizeof *st);
	bool pg = mp_db_is_pg(cfg->path);
	bool ok;

	if (!st || !(st->path = pg ? mp_db_label(cfg->path) : strdup(cfg->path))) {
		MP_LOG(MP_LOG_ERR, "%s: out of memory", pg ? "postgresql" : cfg->path);
		free(st);
		return NULL;
	}
	st->lock_fd = -1;
	st->cfg = *cfg;
	st->cfg.path = st->cfg.source = NULL; /* not kept */
	if (!st->cfg.batch_events)
		st->cfg.batch_events = MP_STORE_BATCH_EVENTS;
	if (!st->cfg.batch_ns)
		st->cfg.batch_ns = MP_STORE_BATCH_NS;
	if (!st->cfg.busy_timeout_ms)
		st->cfg.busy_timeout_ms = 5000;
	st->be = pg ? &store_pg_backend : &store_sqlite_backend;
	ok = pg ? store_pg_open(st, cfg->path, cfg->source)
		: store_sqlite_open(st, cfg->path, cfg->source);
	if (!ok || !begin(st)) {
		st->failed = true;
		mp_store_close(st);
		return NULL;
	}
	return st;
}

bool mp_store_failed(const struct mp_store *st)
{
	return !st || st->failed;
}

void mp_store_set_linktype(struct mp_store *st, int linktype)
{
	if (st)
		st->cfg.linktype = linktype;
}

int mp_store_close(struct mp_store *st)
{
	struct cinfo *ci, *tmp;
	int ret;

	if (!st)
		return 0;
	if (!st->failed)
		commit(st, true, false);
	st->be->close(st);
	ret = st->failed ? -1 : 0;
	HASH_ITER(hh, st->cinfo, ci, tmp) {
		HASH_DELETE(hh, st->cinfo, ci);
		free(ci);
	}
	free(st->path);
	free(st);
	return ret;
}
