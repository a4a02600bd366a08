/* SPDX-License-Identifier: BSD-2-Clause */
/* test_store.c - unit.store: the SQLite store (store.h) and its schema
 * (docs/schema.sql): creation, user_version, appending a second capture
 * with globally unique ids, the named views, the failovers of the lab
 * captures pcaps/failover.pcap and pcaps/backup.pcap (their truth.json:
 * the initial subflow fails at t≈0.20 s and the transfer completes on the
 * join), refusal of a second writer and of a newer schema.
 *
 * The captures are run through the engine and the store here, without the
 * command line (tests/store/ covers `mpana --db` and `mpana query`). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <sqlite3.h>

#include "mpana/analyzer.h"
#include "mpana/flow.h"
#include "mpana/log.h"
#include "mpana/out.h"
#include "mpana/pkt.h"
#include "mpana/store.h"

static char dir[] = "/tmp/mpana-store-XXXXXX";

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	if (getenv("MPANA_KEEP_TEST_DB"))
		return;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(store, .init = setup, .fini = teardown);

static const char *db_path(const char *name)
{
	static char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return p;
}

/* Runs pcaps/<name> through the engine into `db`. Returns the store's
 * close status. */
static uint32_t max_pages; /* full-disk simulation for the next run */
static bool with_packets;  /* --db-packets */

static const struct mp_sink_ops no_ops; /* the store is the only output */

static int run_pcap(const char *name, const char *db)
{
	char path[512], err[PCAP_ERRBUF_SIZE];
	struct mp_store_cfg sc;
	static struct mp_analyzer a;
	static struct mp_out out;
	static struct mp_sink store_sink;
	struct mp_sink sink = { .ops = &no_ops, .out = &out, .quiet = true };
	struct mp_store *st;
	struct pcap_pkthdr *h;
	const u_char *bytes;
	pcap_t *pc;
	uint64_t frame = 0;
	int dlt;

	snprintf(path, sizeof path, "%s/pcaps/%s", MPANA_SOURCE_DIR, name);
	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	cr_assert_not_null(pc, "%s", err);
	dlt = pcap_datalink(pc);
	mp_out_init(&out, 1, false);
	mp_analyzer_init(&a, dlt, &sink);
	a.no_appid = true;
	memset(&sc, 0, sizeof sc);
	sc.path = db;
	sc.source = path;
	sc.linktype = dlt;
	sc.stats = &a.st;
	sc.max_pages = max_pages;
	sc.packets = with_packets;
	st = mp_store_open(&sc);
	cr_assert_not_null(st);
	mp_sink_store_init(&store_sink, st);
	mp_analyzer_add_sink(&a, &store_sink);
	/* the whole pipeline: engine, analysis stage, store (analyzer.h) */
	while (pcap_next_ex(pc, &h, &bytes) == 1) {
		struct mp_frame f = { 0 };
		f.num = ++frame;
		f.ts_ns = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
		f.caplen = h->caplen;
		f.wirelen = h->len;
		mp_analyzer_packet(&a, &f, bytes);
	}
	pcap_close(pc);
	mp_analyzer_finish(&a);
	return mp_store_close(st);
}

static sqlite3 *db_open(const char *path)
{
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	return db;
}

static int64_t q_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s: %s",
		     sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static double q_dbl(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	double v = -1;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s: %s",
		     sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		v = sqlite3_column_double(s, 0);
	sqlite3_finalize(s);
	return v;
}

Test(store, schema_creates_and_versions)
{
	struct mp_store_cfg sc = { .path = db_path("s.db"), .source = "test" };
	struct mp_store *st = mp_store_open(&sc);
	sqlite3 *db;

	cr_assert_not_null(st);
	cr_assert_eq(mp_store_close(st), 0);
	db = db_open(sc.path);
	cr_assert_eq(q_int(db, "PRAGMA user_version"), MP_SCHEMA_VERSION);
	cr_assert_eq(q_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN"
			   " ('captures','connections','subflows','addresses','events',"
			   "'options','failovers','failover','handshake_order',"
			   "'handshake_verdict')"), 10);
	cr_assert_eq(q_int(db, "SELECT count(*) FROM captures WHERE complete = 1"), 1);
	/* the schema text is the file, byte for byte */
	cr_assert_not_null(strstr(mp_schema_sql, "PRAGMA user_version = 4;"));
	sqlite3_close(db);
	db = NULL;
	cr_assert_eq(sqlite3_open(sc.path, &db), SQLITE_OK);
	{
		sqlite3_stmt *s;
		cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
		cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
		cr_assert_str_eq((const char *)sqlite3_column_text(s, 0), "wal");
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
}

/* A full disk (simulated with PRAGMA max_page_count): the store reports the
 * error, close returns -1, and what was committed before is intact. */
Test(store, full_disk)
{
	const char *path = db_path("full.db");
	sqlite3 *db;

	mp_log_level = -1;
	max_pages = 30; /* 120 KiB: the schema fits (~22 pages), the options do not */
	with_packets = true;
	cr_assert_eq(run_pcap("multiconn.pcap", path), -1);
	db = db_open(path);
	cr_assert_eq(q_int(db, "SELECT count(*) FROM captures"), 1);
	{
		sqlite3_stmt *s;
		cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
		cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
		cr_assert_str_eq((const char *)sqlite3_column_text(s, 0), "ok");
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
}

Test(store, options_rows)
{
	const char *path = db_path("opts.db");
	sqlite3 *db;

	with_packets = true;
	cr_assert_eq(run_pcap("basic.pcap", path), 0);
	db = db_open(path);
	/* pcaps/README.md: 3 MPC, 6 JOIN, 335 DSS, 2 ADD_ADDR options */
	cr_assert_eq(q_int(db, "SELECT count(*) FROM options WHERE subtype = 'mp_capable'"), 3);
	cr_assert_eq(q_int(db, "SELECT count(*) FROM options WHERE subtype = 'mp_join'"), 6);
	cr_assert_eq(q_int(db, "SELECT count(*) FROM options WHERE subtype = 'dss'"), 335);
	cr_assert_eq(q_int(db, "SELECT count(*) FROM options WHERE subtype = 'add_addr'"), 2);
	sqlite3_close(db);
}

Test(store, newer_schema_refused)
{
	sqlite3 *db = NULL;
	struct mp_store_cfg sc = { .path = db_path("new.db"), .source = "test" };

	cr_assert_eq(sqlite3_open(sc.path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	mp_log_level = -1; /* the error is expected */
	cr_assert_null(mp_store_open(&sc));
}

Test(store, second_writer_refused)
{
	struct mp_store_cfg sc = { .path = db_path("two.db"), .source = "one" };
	struct mp_store *a = mp_store_open(&sc), *b;

	cr_assert_not_null(a);
	mp_log_level = -1;
	sc.source = "two";
	b = mp_store_open(&sc);
	cr_assert_null(b);
	cr_assert_eq(mp_store_close(a), 0);
	b = mp_store_open(&sc); /* free again */
	cr_assert_not_null(b);
	cr_assert_eq(mp_store_close(b), 0);
}

Test(store, unwritable_path)
{
	struct mp_store_cfg sc = { .path = "/nonexistent-dir/x.db", .source = "t" };
	mp_log_level = -1;
	cr_assert_null(mp_store_open(&sc));
}

Test(store, basic_rows_and_verdict)
{
	const char *path = db_path("basic.db");
	sqlite3 *db;

	cr_assert_eq(run_pcap("basic.pcap", path), 0);
	db = db_open(path);
	cr_assert_eq(q_int(db, "SELECT count(*) FROM connections WHERE complete = 1"), 1);
	cr_assert_eq(q_int(db, "SELECT count(*) FROM subflows"), 3);
	cr_assert_eq(q_int(db, "SELECT count(*) FROM subflows WHERE hmac_ok = 1"), 2);
	cr_assert_eq(q_int(db, "SELECT count(*) FROM addresses WHERE addr = '10.0.2.2'"
			   " AND hmac_ok = 1 AND announced_ts IS NOT NULL"), 1);
	cr_assert_eq(q_int(db, "SELECT valid FROM handshake_verdict"), 1);
	cr_assert_eq(q_int(db, "SELECT step = 'mpc_syn' FROM handshake_order WHERE seq = 1"), 1);
	cr_assert_eq(q_int(db, "SELECT count(*) FROM failovers"), 0);
	cr_assert_eq(q_int(db, "SELECT bytes_c2s FROM connections"), 196608);
	cr_assert_eq(q_int(db, "SELECT bytes_s2c FROM connections"), 16384);
	cr_assert_eq(q_int(db, "SELECT vantage IN ('client', 'unknown') FROM connections"), 1);
	sqlite3_close(db);
}

Test(store, append_second_capture)
{
	const char *path = db_path("two-captures.db");
	sqlite3 *db;

	cr_assert_eq(run_pcap("basic.pcap", path), 0);
	cr_assert_eq(run_pcap("multiconn.pcap", path), 0);
	db = db_open(path);
	cr_assert_eq(q_int(db, "SELECT count(*) FROM captures"), 2);
	cr_assert_eq(q_int(db, "SELECT count(*) FROM connections"), 4);
	cr_assert_eq(q_int(db, "SELECT count(DISTINCT id) FROM subflows"), 12);
	/* per-run numbers restart, ids do not */
	cr_assert_eq(q_int(db, "SELECT count(*) FROM connections WHERE conn_no = 1"), 2);
	cr_assert_eq(q_int(db, "SELECT min(id) FROM connections WHERE capture_id = 2"), 2);
	cr_assert_eq(q_int(db, "SELECT conn_base FROM captures WHERE id = 2"), 1);
	cr_assert_eq(q_int(db, "SELECT count(*) FROM events e JOIN connections c ON"
			   " c.id = e.conn_id AND c.capture_id <> e.capture_id"), 0);
	cr_assert_eq(q_int(db, "SELECT count(*) FROM handshake_verdict WHERE valid = 1"), 4);
	sqlite3_close(db);
}

/* The truth: path 1 (the initial subflow) dies at t = 0.20 s; all client
 * data is DATA_ACKed on the join at ~0.67 s (failover), ~0.9 s (backup):
 * one failover episode, from the sender's side, with its lost data
 * reinjected on the join before it is recovered. */
static void check_failover(const char *pcap, double lo_ms, double hi_ms)
{
	const char *path = db_path("fo.db");
	double t0 = 0, t_fail, lat;
	sqlite3 *db;

	cr_assert_eq(run_pcap(pcap, path), 0);
	db = db_open(path);
	cr_assert_eq(q_int(db, "SELECT count(*) FROM failover WHERE direction = 'c2s'"), 1);
	cr_assert_eq(q_int(db, "SELECT count(*) FROM failover WHERE kind = 'failover'"), 1);
	cr_assert_eq(q_int(db, "SELECT s.initial FROM failover f JOIN subflows s"
			   " ON s.id = f.from_subflow"), 1);
	cr_assert_eq(q_int(db, "SELECT s.kind = 'join' FROM failover f JOIN subflows s"
			   " ON s.id = f.to_subflow"), 1);
	cr_assert_eq(q_int(db, "SELECT vantage = 'sender' FROM failover"), 1);
	t0 = q_dbl(db, "SELECT min(ts) FROM events");
	t_fail = q_dbl(db, "SELECT t_fail FROM failover") - t0;
	lat = q_dbl(db, "SELECT latency_ms FROM failover");
	cr_assert(t_fail > 0.15 && t_fail < 0.26, "t_fail %f", t_fail);
	cr_assert(lat >= lo_ms && lat <= hi_ms, "latency %f ms", lat);
	cr_assert(fabs(lat - 1000.0 * (q_dbl(db, "SELECT t_recovered - t_fail FROM failover"))) < 0.01,
		  "latency_ms = t_recovered - t_fail");
	cr_assert(q_dbl(db, "SELECT t_first_reinject FROM failover") >
		  q_dbl(db, "SELECT t_fail FROM failover"));
	cr_assert(q_dbl(db, "SELECT t_first_reinject FROM failover") <
		  q_dbl(db, "SELECT t_recovered FROM failover"));
	cr_assert(q_dbl(db, "SELECT stall_ms FROM failover") > 0);
	cr_assert_gt(q_int(db, "SELECT lost_bytes FROM failover"), 0);
	sqlite3_close(db);
}

Test(store, failover_pcap)
{
	/* MPTCP-NOTES: frame 206 to frame 384, 458.7 ms (the oracle agrees) */
	check_failover("failover.pcap", 458.6, 458.8);
}

Test(store, backup_pcap)
{
	/* frame 131 to frame 274, 731.7 ms */
	check_failover("backup.pcap", 731.6, 731.8);
}

Test(store, no_failover_without_failure)
{
	static const char *const names[] = { "basic.pcap", "prio.pcap",
		"checksum.pcap", "multiconn.pcap", "ipv6.pcap", "addrport.pcap" };
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
		char name[64];
		sqlite3 *db;
		snprintf(name, sizeof name, "nf%u.db", i);
		cr_assert_eq(run_pcap(names[i], db_path(name)), 0);
		db = db_open(db_path(name));
		cr_assert_eq(q_int(db, "SELECT count(*) FROM failovers"), 0, "%s", names[i]);
		sqlite3_close(db);
	}
}
