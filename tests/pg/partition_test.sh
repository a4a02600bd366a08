#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# partition_test.sh - pg.partition: docs/pg_partitions.sql run as it is
# (events and options partitioned by month of capture time), then writers
# on traces of two months: every row is in its month's partition (none in
# the DEFAULT ones), event ids stay unique without a key constraint, and
# every table equals SQLite's for the same traces (tests/pg/compare.py).
#
#   tests/pg/partition_test.sh MPANA PCAPDIR
#
# Exit status: 0 pass, 1 fail, 77 skip (no PostgreSQL server, no sqlite3).
set -u
MPANA=$1
PCAPS=$2
HERE=$(dirname "$0")
T=$(mktemp -d -t mpana-pg-partition.XXXXXX)
. "$HERE/cluster.sh"
cleanup() { pg_stop; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "SKIP: no sqlite3 CLI (apt-get install sqlite3)" >&2; exit 77; }
pg_start
pg_createdb parts
db=$(pg_uri parts)
schema() { "$MPANA" query --schema postgresql | psql "$db" -X -q -v ON_ERROR_STOP=1 >/dev/null 2>&1; }
schema || fail "the schema"
psql "$db" -X -q -v ON_ERROR_STOP=1 -f "$HERE/../../docs/pg_partitions.sql" >/dev/null 2>"$T/err" ||
	fail "docs/pg_partitions.sql: $(cat "$T/err")"
schema || fail "the schema, second run"
[ "$(pg_sql parts "SELECT mpana_add_months('2026-01-01', 24)")" = 48 ] || fail "mpana_add_months"
[ "$(pg_sql parts "SELECT mpana_add_months('2026-06-15', 3)")" = 0 ] || fail "mpana_add_months again"
[ "$(pg_sql parts "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class
	WHERE relkind = 'p' AND relname IN ('events', 'options')")" = "events,options" ] ||
	fail "events and options are not partitioned"

# basic and multiconn are of 2026-11, flap and failover of 2026-12
traces=(basic flap multiconn failover)
lites=()
for p in "${traces[@]}"; do
	"$MPANA" -q -r "$PCAPS/$p.pcap" --db "$db" --db-packets >/dev/null 2>"$T/err" ||
		fail "$p: exit $? $(cat "$T/err")"
	"$MPANA" -q -r "$PCAPS/$p.pcap" --db "$T/$p.db" --db-packets >/dev/null || fail "SQLite $p"
	lites+=("$T/$p.db")
done
pg_sql parts "SELECT tableoid::regclass, count(*) FROM events GROUP BY 1
	UNION ALL SELECT tableoid::regclass, count(*) FROM options GROUP BY 1 ORDER BY 1" >"$T/where"
cat "$T/where"
grep -q default "$T/where" && fail "rows in a DEFAULT partition"
for t in events_202611 events_202612 options_202611 options_202612; do
	grep -q "^$t|" "$T/where" || fail "no rows in $t"
done
# every row in the month of its time
[ "$(pg_sql parts "SELECT count(*) FROM events WHERE to_char(to_timestamp(ts) AT TIME ZONE 'UTC',
	'YYYYMM') <> substring(tableoid::regclass::text from '[0-9]+$')")" = 0 ] || fail "events in the wrong month"
[ "$(pg_sql parts "SELECT count(*) - count(DISTINCT id) FROM events")" = 0 ] || fail "event ids repeat"
python3 "$HERE/compare.py" "$db" "${lites[@]}" || fail "the tables differ from SQLite's"
echo "PASS"
