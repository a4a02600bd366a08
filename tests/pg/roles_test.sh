#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# roles_test.sh - pg.roles: the roles of docs/scale.md (docs/pg_roles.sql,
# run as it is) on a database whose schema its owner made with
# `mpana query --schema postgresql | psql`: a sensor's login writes captures
# (the failback update included) and can neither read, delete nor change
# the schema; an analyst's login reads with mpana query and report and
# cannot write; a sensor on a database without the schema gets a clear
# error. The oracle is psql as the owner and PostgreSQL's own permission
# errors.
#
#   tests/pg/roles_test.sh MPANA PCAPDIR
#
# Exit status: 0 pass, 1 fail, 77 skip (no PostgreSQL server).
set -u
MPANA=$1
PCAPS=$2
HERE=$(dirname "$0")
T=$(mktemp -d -t mpana-pg-roles.XXXXXX)
. "$HERE/cluster.sh"
cleanup() { pg_stop; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pg_start
pg_createdb fleet
owner=$(pg_uri fleet)
"$MPANA" query --schema postgresql | psql "$owner" -X -q -v ON_ERROR_STOP=1 >/dev/null ||
	fail "the schema of mpana query --schema postgresql"
psql "$owner" -X -q -v ON_ERROR_STOP=1 -f "$HERE/../../docs/pg_roles.sql" >/dev/null ||
	fail "docs/pg_roles.sql"
pg_sql fleet "CREATE ROLE sensor1 LOGIN IN ROLE mpana_sensor;
	CREATE ROLE analyst1 LOGIN IN ROLE mpana_analyst" >/dev/null
sensor="postgresql:///fleet?host=$PG_DIR&user=sensor1"
analyst="postgresql:///fleet?host=$PG_DIR&user=analyst1"

# the sensor writes: flap has failovers with a failback (an UPDATE later)
for p in basic flap; do
	"$MPANA" -q -r "$PCAPS/$p.pcap" --db "$sensor" --db-packets >/dev/null 2>"$T/err" ||
		fail "sensor, $p: exit $? $(cat "$T/err")"
done
[ "$(pg_sql fleet "SELECT count(*), sum(complete) FROM captures")" = "2|2" ] || fail "captures"
[ "$(pg_sql fleet "SELECT count(*) FROM failovers WHERE failback_ms IS NOT NULL")" -ge 1 ] ||
	fail "no failback written"
[ "$(pg_sql fleet "SELECT count(*) FROM connections WHERE complete = 0")" = 0 ] ||
	fail "connections left as stubs"
[ "$(pg_sql fleet "SELECT count(*) FROM option_counts")" -gt 0 ] || fail "option counts"
# ... and may do nothing else
for sql in "SELECT count(*) FROM events" "DELETE FROM events" "TRUNCATE options" \
	"DROP TABLE events" "UPDATE events SET detail = 'x'" "CREATE TABLE x (a integer)"; do
	psql "$sensor" -XAtq -c "$sql" >/dev/null 2>"$T/err" && fail "sensor: $sql accepted"
	grep -qE "permission denied|must be owner" "$T/err" || fail "sensor: $sql: $(cat "$T/err")"
done
# the analyst reads, as the owner would
for f in "" --csv; do
	"$MPANA" query $f "$analyst" failover >"$T/a.out" 2>"$T/err" || fail "analyst: query: $(cat "$T/err")"
	"$MPANA" query $f "$owner" failover >"$T/o.out" || fail "owner: query"
	cmp -s "$T/a.out" "$T/o.out" || fail "analyst and owner see different rows"
done
[ "$(wc -l <"$T/a.out")" -ge 3 ] || fail "analyst: no failover rows: $(cat "$T/a.out")"
"$MPANA" report "$analyst" -o "$T/r.html" 2>"$T/err" || fail "analyst: report: $(cat "$T/err")"
grep -q "MPTCP report" "$T/r.html" || fail "analyst: report"
# ... and cannot write, through mpana or psql
"$MPANA" -q -r "$PCAPS/basic.pcap" --db "$analyst" >/dev/null 2>"$T/err" && fail "analyst wrote a capture"
grep -q "permission denied" "$T/err" || fail "analyst as a writer: $(cat "$T/err")"
psql "$analyst" -XAtq -c "DELETE FROM events" >/dev/null 2>&1 && fail "analyst: DELETE accepted"
[ "$(pg_sql fleet "SELECT count(*) FROM captures")" = 2 ] || fail "the analyst's run left a capture row"
# a sensor on a database without the schema: a clear error, nothing made
pg_createdb empty
pg_sql empty "GRANT CONNECT ON DATABASE empty TO sensor1" >/dev/null
"$MPANA" -q -r "$PCAPS/basic.pcap" --db "postgresql:///empty?host=$PG_DIR&user=sensor1" \
	>/dev/null 2>"$T/err" && fail "sensor created a schema"
grep -q "creating the schema: permission denied" "$T/err" || fail "no schema: $(cat "$T/err")"
[ "$(pg_sql empty "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 0 ] ||
	fail "tables left in the empty database"
echo "PASS"
