#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# concurrent_test.sh - pg.concurrent: four mpana processes write into one
# PostgreSQL database at once, each a different set of traces, and every
# table then holds what SQLite holds for the same traces (tests/pg/compare.py,
# with psql and sqlite3 as the readers): no id collides, every reference
# stays in its capture, nothing is lost or doubled.
#
#   tests/pg/concurrent_test.sh MPANA PCAPDIR
#
# Exit status: 0 pass, 1 fail, 77 skip (no PostgreSQL server, no sqlite3).
set -u
MPANA=$1
PCAPS=$2
HERE=$(dirname "$0")
T=$(mktemp -d -t mpana-pg-concurrent.XXXXXX)
. "$HERE/cluster.sh"
cleanup() { pg_stop; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "SKIP: no sqlite3 CLI (apt-get install sqlite3)" >&2; exit 77; }
pg_start
pg_createdb fleet
uri=$(pg_uri fleet)

# 12 traces, 3 per writer, each with --db-packets (the options table too)
traces=(basic failover multiconn flap bbm backup join_rejected join_timeout addrport remove
	fastclose ipv6)
for w in 0 1 2 3; do
	(
		for i in 0 1 2; do
			p=${traces[$((w * 3 + i))]}
			"$MPANA" -q -r "$PCAPS/$p.pcap" --db "$uri" --db-packets >/dev/null 2>"$T/w$w.$i.err" ||
				{ echo "writer $w, $p: exit $? $(cat "$T/w$w.$i.err")"; exit 1; }
		done
	) &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a writer failed"; done
# the same traces into SQLite, one file each
lites=()
for p in "${traces[@]}"; do
	"$MPANA" -q -r "$PCAPS/$p.pcap" --db "$T/$p.db" --db-packets >/dev/null || fail "SQLite $p"
	lites+=("$T/$p.db")
done
[ "$(pg_sql fleet "SELECT count(*), sum(complete), count(DISTINCT host) FROM captures")" = "12|12|1" ] ||
	fail "captures: $(pg_sql fleet "SELECT id, source, complete, host FROM captures")"
python3 "$HERE/compare.py" "$uri" "${lites[@]}"
rc=$?
[ $rc = 0 ] || fail "the tables differ"
# the comparison can fail: one changed value, one subflow moved to another
# capture's connection
pg_sql fleet "UPDATE events SET detail = 'changed' WHERE id = (SELECT max(id) FROM events)" >/dev/null
python3 "$HERE/compare.py" "$uri" "${lites[@]}" >"$T/neg" 2>&1 && fail "a changed value went unnoticed"
grep -q "table events" "$T/neg" || fail "the changed value: $(cat "$T/neg")"
pg_sql fleet "UPDATE subflows SET conn_id = (SELECT min(id) FROM connections
	WHERE capture_id = (SELECT min(capture_id) FROM connections))
	WHERE id = (SELECT max(id) FROM subflows
	WHERE capture_id <> (SELECT min(capture_id) FROM connections))" >/dev/null
python3 "$HERE/compare.py" "$uri" "${lites[@]}" >"$T/neg" 2>&1 && fail "a crossed reference went unnoticed"
grep -q "does not name a conn of capture" "$T/neg" || fail "the crossed reference: $(cat "$T/neg")"
echo "PASS"
