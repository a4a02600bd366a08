#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# pg.check: `mpana check` reads a database as it reads a trace: the same
# verdicts (default checks and an expectation file with per-item metrics)
# from the trace itself, from its SQLite database and from PostgreSQL, a
# password never printed, and several captures in one database checked
# together.
# usage: check_test.sh MPANA PCAPS_DIR
set -u
M=$1 P=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/cluster.sh"
T=$(mktemp -d) || exit 1
trap 'pg_stop; rm -rf "$T"' EXIT
pg_start check
pg_createdb c
U=$(pg_uri c)
UQ=$(printf '%s' "$U" | sed 's/[.[\*^$]/\\&/g') # the URI as a sed pattern
fails=0
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

cat >"$T/e.expect" <<'X'
failover.count == 1
failover.latency_ms < 1000
subflows >= 2
joins.outcome.established == 1
option.dss > 100
X
for tr in failover basic; do
	"$M" -r "$P/$tr.pcap" -q --db "$T/$tr.db" >/dev/null || bad "$tr: --db sqlite"
	"$M" -r "$P/$tr.pcap" -q --db "$U" >/dev/null 2>"$T/err" || { bad "$tr: --db pg"; cat "$T/err"; }
done
# one trace per database: the verdicts are the trace's
for args in "" "--expect $T/e.expect"; do
	"$M" check "$P/failover.pcap" $args | sed "s|$P/failover.pcap|X|" >"$T/trace.out"
	"$M" check "$T/failover.db" $args | sed "s|$T/failover.db|X|" >"$T/sqlite.out"
	cmp -s "$T/trace.out" "$T/sqlite.out" || { bad "check on SQLite differs ($args)"; diff "$T/trace.out" "$T/sqlite.out"; }
	grep -q "^PASS  X" "$T/trace.out" || bad "no verdicts ($args)"
done
# PostgreSQL holds failover and basic: the checks see both captures
"$M" -r "$P/failover.pcap" -q --db "$T/both.db" >/dev/null
"$M" -r "$P/basic.pcap" -q --db "$T/both.db" >/dev/null
for args in "" "--expect $T/e.expect"; do
	"$M" check "$T/both.db" $args | sed "s|$T/both.db|X|" >"$T/sqlite.out"
	"$M" check "$U" $args | sed "s#$UQ#X#" >"$T/pg.out"
	cmp -s "$T/sqlite.out" "$T/pg.out" || { bad "check on PostgreSQL differs from SQLite ($args)"; diff "$T/sqlite.out" "$T/pg.out"; }
done
# per-item metrics list both captures' connections; failover.count sees 1
grep -q "PASS  X:1  failover.count == 1  (measured 1)" "$T/pg.out" || bad "failover.count on PostgreSQL: $(cat "$T/pg.out")"
grep -q "subflows >= 2  (measured connection 1 2, connection 1 3)" "$T/pg.out" || bad "subflows of two captures: $(grep subflows "$T/pg.out")"
# a password in the target is never printed
UP="postgresql://postgres:sekrit@/c?host=$(echo "$U" | sed 's|.*host=\([^&]*\).*|\1|')"
"$M" check "$UP" >"$T/pw.out" 2>&1
grep -q sekrit "$T/pw.out" && bad "the password was printed"
grep -q "PASS  postgresql://postgres:\*\*\*@" "$T/pw.out" || bad "no verdicts with a password in the target: $(head -3 "$T/pw.out")"
# a database that does not exist: an error verdict, exit 2
"$M" check "$(pg_uri nosuchdb)" >"$T/no.out" 2>&1; rc=$?
[ "$rc" = 2 ] && grep -q "^ERROR " "$T/no.out" || bad "missing database: exit $rc, $(cat "$T/no.out")"
[ "$fails" = 0 ] && echo "PASS: pg.check"
exit $((fails > 0))
