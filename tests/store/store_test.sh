#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# store_test.sh - `mpana --db` and `mpana query` end to end (ctest store.*
# on SQLite files, pg.store.* on PostgreSQL).
#
#   tests/store/store_test.sh MPANA PCAPDIR CASE [sqlite|pg]
#
# CASE: queries (every named query on every pcaps/ scenario), failover,
# handshakes, multi (two captures in one database), readonly, usage, nulls
# (SQL NULL in the three output forms), steperror (an error mid-query),
# unwritable, fulldisk (tmpfs of 64 KiB; SQLite only), sigint and kill9
# (live capture on lo with MPTCP traffic generated on 127.0.0.1), writer2 (a
# second writer: refused by an SQLite file, welcome in PostgreSQL).
# With pg, each case runs against a throwaway PostgreSQL cluster of its own
# (tests/pg/cluster.sh), one database per trace, read back with psql; the
# queries case also checks that `mpana query` and `mpana report` print the
# same from PostgreSQL as from SQLite for every trace.
# Exit status: 0 pass, 1 fail, 77 skip (not root, no MPTCP, no tmpfs, no
# PostgreSQL server).
set -u

MPANA=$1
PCAPS=$2
CASE=$3
BACKEND=${4:-sqlite}
T=$(mktemp -d -t mpana-store-test.XXXXXX)
MNT=""
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	[ -n "$MNT" ] && umount "$MNT" 2>/dev/null
	[ "$BACKEND" = pg ] && pg_stop
	rm -rf "$T"
}
trap cleanup EXIT

. "$(dirname "$0")/../lib/live.sh"
fail() { echo "FAIL ($CASE, $BACKEND): $*" >&2; exit 1; }
skip() { echo "SKIP ($CASE, $BACKEND): $*" >&2; exit 77; }
q() { "$MPANA" query "$@"; }

if [ "$BACKEND" = pg ]; then
	. "$(dirname "$0")/../pg/cluster.sh"
	"$MPANA" query --help | grep -q postgresql || fail "mpana query --help names no PostgreSQL"
	"$MPANA" -q -r "$PCAPS/basic.pcap" --db "postgresql:///x?host=$T" >/dev/null 2>"$T/err"
	grep -q "built without PostgreSQL" "$T/err" && skip "this mpana was built without libpq"
	pg_start
	# one value per line, columns separated by "|": psql (independent reader)
	sql1() { psql "$1" -AtX -v ON_ERROR_STOP=1 -c "$2"; }
	db_new() { pg_createdb "$1" && pg_uri "$1"; } # a new, empty database
	db_exists() { [ -n "$(pg_sql postgres "SELECT 1 FROM pg_database WHERE datname = '$1'")" ]; }
else
	sql1() { sqlite3 "$1" "$2"; } # one value, sqlite3 CLI (independent reader)
	db_new() { echo "$T/$1.db"; }
	db_exists() { [ -f "$T/$1.db" ]; }
fi

db_of() { # pcap name -> database (created once)
	local db
	if ! db_exists "$1"; then
		db=$(db_new "$1") || fail "cannot create database $1"
		"$MPANA" -q -r "$PCAPS/$1.pcap" --db "$db" >/dev/null 2>"$T/err" ||
			fail "mpana -r $1.pcap --db: exit $? $(cat "$T/err")"
	fi
	if [ "$BACKEND" = pg ]; then pg_uri "$1"; else echo "$T/$1.db"; fi
}

# The schema version of a database: PRAGMA user_version or schema_version.
schema_version() {
	if [ "$BACKEND" = pg ]; then sql1 "$1" "SELECT version FROM schema_version"
	else sql1 "$1" "PRAGMA user_version"; fi
}

# The database's content, for "unchanged" checks: the file's hash, or a
# hash of pg_dump's data (without the random keys of its \restrict lines).
db_sum() {
	if [ "$BACKEND" = pg ]; then
		pg_dump -d "$1" --data-only | grep -v '^\\\(un\)\?restrict ' | sha256sum | cut -d' ' -f1
	else sha256sum "$1" | cut -d' ' -f1; fi
}

# traffic_start ARGS...: starts tests/lib/traffic.py ARGS (MPTCP connections
# on 127.0.0.1 to a port the kernel chose and the helper holds, so that no
# other test can use it) and sets PORT; traffic_go starts the connections.
traffic_start() {
	coproc TRAFFIC { python3 "$(dirname "$0")/../lib/traffic.py" "$@"; }
	PIDS+=("$TRAFFIC_PID")
	read -r PORT proto <&"${TRAFFIC[0]}" || fail "traffic helper did not start"
	[ "$proto" = mptcp ] || skip "no MPTCP sockets"
}
traffic_go() { echo go >&"${TRAFFIC[1]}"; }
traffic_stop() { echo stop >&"${TRAFFIC[1]}"; }
traffic_count() { local n; read -r n <&"${TRAFFIC[0]}" || fail "traffic"; echo "$n"; }

live_ok() {
	[ "$(id -u)" = 0 ] || skip "live capture needs root"
	[ "$(sysctl -n net.mptcp.enabled 2>/dev/null)" = 1 ] || skip "no MPTCP"
	command -v sqlite3 >/dev/null || skip "no sqlite3 CLI"
}

# Starts a live capture into $1 on lo for port $2; returns when the capture
# is open (its database row written, its packet filter attached).
live_start() {
	"$MPANA" -q -i lo --db "$1" tcp port "$2" >"$T/live.out" 2>"$T/live.err" &
	LIVE=$!
	PIDS+=("$LIVE")
	wait_capture "$LIVE" || fail "live capture did not start: $(cat "$T/live.err")"
	[ "$(sql1 "$1" "SELECT count(*) FROM captures")" = 1 ] || fail "no capture row"
}

case $CASE in
queries)
	for p in "$PCAPS"/*.pcap; do
		name=$(basename "$p" .pcap)
		db=$(db_of "$name")
		for n in captures connections subflows handshakes failover events addresses; do
			for f in "" --csv --json; do
				q $f "$db" $n >"$T/out" 2>"$T/err" || fail "$name: query $f $n: exit $? $(cat "$T/err")"
			done
		done
		[ "$(sql1 "$db" "SELECT complete FROM captures")" = 1 ] || fail "$name: capture not complete"
		[ "$(sql1 "$db" "SELECT host FROM captures")" = "$(hostname)" ] || fail "$name: captures.host"
		[ "$(schema_version "$db")" = 4 ] || fail "$name: schema version"
		if [ "$BACKEND" = sqlite ]; then
			[ "$(sql1 "$db" "PRAGMA integrity_check")" = ok ] || fail "$name: integrity"
			[ "$(sql1 "$db" "PRAGMA journal_mode")" = wal ] || fail "$name: journal_mode"
		else
			# the same trace in SQLite: every named query prints the same
			# (ids included: a new database's first writer numbers as
			# SQLite does), and so does the report
			lite="$T/$name.db"
			"$MPANA" -q -r "$p" --db "$lite" >/dev/null || fail "$name: SQLite run"
			for n in captures connections subflows handshakes failover events addresses; do
				for f in "" --csv --json; do
					q $f "$db" $n | sed 's/"started":"[^"]*"//' >"$T/pg.out"
					q $f "$lite" $n | sed 's/"started":"[^"]*"//' >"$T/lite.out"
					cmp -s "$T/pg.out" "$T/lite.out" ||
						fail "$name: query $f $n differs: $(diff "$T/pg.out" "$T/lite.out" | head -5)"
				done
			done
			"$MPANA" report "$db" -o "$T/pg.html" 2>"$T/err" || fail "$name: report: $(cat "$T/err")"
			"$MPANA" report "$lite" -o "$T/lite.html" || fail "$name: report (SQLite)"
			sed -i "s#postgresql:[^<]*#DB#g" "$T/pg.html"
			sed -i "s#$lite#DB#g" "$T/lite.html"
			cmp -s "$T/pg.html" "$T/lite.html" ||
				fail "$name: report differs: $(diff "$T/pg.html" "$T/lite.html" | head -c 600)"
			rm -f "$lite"*
		fi
	done
	# table form: header, rule, rows, count
	db=$(db_of basic)
	q "$db" connections >"$T/out" || fail "query connections"
	head -1 "$T/out" | grep -q "client_token" || fail "no header: $(head -2 "$T/out")"
	sed -n 2p "$T/out" | grep -q '^--' || fail "no rule line"
	tail -1 "$T/out" | grep -qx '(1 row)' || fail "row count line: $(tail -1 "$T/out")"
	q --json "$db" subflows | python3 -c 'import json,sys; r=[json.loads(l) for l in sys.stdin]; assert len(r)==3, r' ||
		fail "json subflows"
	[ "$(q --csv "$db" "SELECT count(*) AS n FROM events WHERE type = 'add_addr'" | tail -1 | tr -d '\r')" = 1 ] ||
		fail "csv count"
	# fallback: a connection that fell back to TCP at the handshake
	db=$(db_of fallback)
	q --csv "$db" connections | grep -q no_mpc_synack || fail "fallback not shown: $(q "$db" connections)"
	# remove: two REMOVE_ADDR, one per direction
	db=$(db_of remove)
	[ "$(sql1 "$db" "SELECT count(*) FROM events WHERE type = 'remove_addr'")" = 2 ] || fail "remove_addr events"
	[ "$(sql1 "$db" "SELECT count(*) FROM addresses WHERE removed_ts IS NOT NULL")" -ge 1 ] || fail "removed_ts"
	;;
failover)
	for name in failover backup; do
		db=$(db_of "$name")
		q "$db" failover >"$T/out" || fail "query failover"
		cat "$T/out"
		q --csv "$db" "SELECT f.from_subflow = s.id AS initial_failed, f.latency_ms,
			f.to_subflow <> s.id AS moved, f.vantage FROM failover f
			JOIN subflows s ON s.conn_id = f.conn_id AND s.initial = 1
			WHERE f.direction = 'c2s'" | tail -n +2 | tr -d '\r' >"$T/fo"
		[ "$(wc -l <"$T/fo")" = 1 ] || fail "$name: expected one c2s failover: $(cat "$T/fo")"
		IFS=, read -r initial lat moved vantage <"$T/fo"
		[ "$initial" = 1 ] && [ "$moved" = 1 ] || fail "$name: not the initial subflow: $(cat "$T/fo")"
		[ "$vantage" = sender ] || fail "$name: vantage $vantage"
		python3 -c "import sys; l=float('$lat'); sys.exit(0 if 100 <= l <= 800 else 1)" ||
			fail "$name: latency $lat ms not plausible"
	done
	# no failover where no path failed
	for name in basic prio checksum ipv6 addrport multiconn; do
		db=$(db_of "$name")
		[ "$(sql1 "$db" "SELECT count(*) FROM failovers")" = 0 ] || fail "$name: spurious failover"
	done
	;;
handshakes)
	db=$(db_of basic)
	q "$db" handshakes >"$T/out" || fail "query handshakes"
	cat "$T/out"
	q --csv "$db" handshakes | tail -n +2 | tr -d '\r' | cut -d, -f6 | head -3 | tr '\n' ' ' |
		grep -qx 'mpc_syn mpc_synack mpc_ack ' || fail "order of the MP_CAPABLE steps"
	[ "$(sql1 "$db" "SELECT valid FROM handshake_verdict")" = 1 ] || fail "basic not valid"
	# each join: syn < synack < ack < responder ack, in capture order
	[ "$(sql1 "$db" "SELECT count(*) FROM handshake_order WHERE step LIKE 'join%'")" = 8 ] || fail "join steps"
	db=$(db_of multiconn)
	[ "$(sql1 "$db" "SELECT count(*) FROM handshake_verdict WHERE valid = 1")" = 3 ] || fail "multiconn verdicts"
	db=$(db_of fallback)
	[ "$(sql1 "$db" "SELECT valid FROM handshake_verdict")" = 0 ] || fail "fallback must not be valid"
	sql1 "$db" "SELECT reason FROM handshake_verdict" | grep -q fallback || fail "fallback reason"
	;;
multi)
	db=$(db_new multi) || fail "cannot create the database"
	"$MPANA" -q -r "$PCAPS/basic.pcap" --db "$db" || fail "first capture"
	"$MPANA" -q -r "$PCAPS/failover.pcap" --db "$db" || fail "second capture"
	[ "$(sql1 "$db" "SELECT count(*) FROM captures")" = 2 ] || fail "captures"
	[ "$(sql1 "$db" "SELECT count(*), count(DISTINCT id) FROM subflows")" = "5|5" ] || fail "subflow ids"
	[ "$(sql1 "$db" "SELECT count(*) FROM connections WHERE conn_no = 1")" = 2 ] || fail "conn_no"
	[ "$(sql1 "$db" "SELECT x.capture_id FROM connections f JOIN failovers x ON x.conn_id = f.id")" = 2 ] ||
		fail "failover belongs to capture 2"
	;;
readonly)
	db=$(db_of basic)
	sum=$(db_sum "$db")
	n=$(sql1 "$db" "SELECT count(*) FROM events")
	q "$db" "INSERT INTO captures(source) VALUES('evil')" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc = 1 ] || fail "INSERT: exit $rc"
	grep -qi "read-\?only" "$T/err" || fail "no clear message: $(cat "$T/err")"
	q "$db" "DELETE FROM events" 2>/dev/null && fail "DELETE accepted"
	q "$db" "DROP TABLE events" 2>/dev/null && fail "DROP accepted"
	if [ "$BACKEND" = pg ]; then
		# ways out of the read-only transaction
		q "$db" "COMMIT; DELETE FROM events" 2>/dev/null && fail "COMMIT; DELETE accepted"
		q "$db" "ROLLBACK; DELETE FROM events" 2>/dev/null && fail "ROLLBACK; DELETE accepted"
		q "$db" "SET default_transaction_read_only = off; DELETE FROM events" 2>/dev/null &&
			fail "SET ...; DELETE accepted"
		q "$db" "SELECT set_config('transaction_read_only', 'off', false); DELETE FROM events" \
			2>/dev/null && fail "set_config; DELETE accepted"
		q "$db" "CREATE TABLE x (a integer)" 2>/dev/null && fail "CREATE accepted"
		q "$db" "UPDATE schema_version SET version = 7" 2>/dev/null
	else
		q "$db" "PRAGMA user_version = 7" 2>/dev/null; q "$db" "ATTACH '$T/x.db' AS x" 2>/dev/null
	fi
	[ "$(db_sum "$db")" = "$sum" ] || fail "database changed"
	[ "$(sql1 "$db" "SELECT count(*) FROM events")" = "$n" ] || fail "events changed"
	[ "$(schema_version "$db")" = 4 ] || fail "schema version changed"
	;;
usage)
	db=$(db_of basic)
	q >/dev/null 2>&1; [ $? = 2 ] || fail "no arguments: not 2"
	q "$db" >/dev/null 2>&1; [ $? = 2 ] || fail "no query: not 2"
	q "$db" nosuchname >/dev/null 2>&1; [ $? = 2 ] || fail "unknown name: not 2"
	q --bogus "$db" events >/dev/null 2>&1; [ $? = 2 ] || fail "unknown flag: not 2"
	q "$db" "SELEC nothing" >/dev/null 2>"$T/err"; [ $? = 1 ] || fail "bad SQL: not 1"
	grep -q "syntax error" "$T/err" || fail "bad SQL message: $(cat "$T/err")"
	if [ "$BACKEND" = pg ]; then
		none="postgresql:///none?host=$PG_DIR&user=postgres&password=s3cret"
		q "$none" events >/dev/null 2>"$T/err"; [ $? = 1 ] || fail "missing db: not 1"
		grep -q '"none" does not exist' "$T/err" || fail "missing db message: $(cat "$T/err")"
		grep -q s3cret "$T/err" && fail "the password is in the message: $(cat "$T/err")"
		db_exists none && fail "query created a database"
		q "postgresql:host=$PG_DIR user=postgres dbname=basic" captures >/dev/null ||
			fail "postgresql:KEY=VALUE form"
		q "postgres:///basic?host=$PG_DIR&user=postgres" captures >/dev/null ||
			fail "postgres:// form"
	else
		q "$T/none.db" events >/dev/null 2>"$T/err"; [ $? = 1 ] || fail "missing db: not 1"
		[ ! -e "$T/none.db" ] || fail "query created a database"
	fi
	q --help | grep -q handshakes || fail "query --help"
	"$MPANA" --db "$T/x.db" >/dev/null 2>&1; [ $? = 2 ] || fail "--db without -r/-i: not 2"
	"$MPANA" --help | grep -q -- "--db FILE" || fail "--help lacks --db"
	;;
nulls)
	# SQL NULL: empty in the table and CSV forms, null in JSON; never
	# 0.000000 (SQLite's printf() of NULL) in the named queries' times
	db=$(db_of basic)
	sql="SELECT 1 AS a, NULL AS b, 'x' AS c"
	q "$db" "$sql" >"$T/out" || fail "table: exit $?"
	[ "$(sed -n 3p "$T/out")" = "1     x" ] || fail "table NULL: $(cat "$T/out")"
	[ "$(q --csv "$db" "$sql" | tr -d '\r' | tail -1)" = "1,,x" ] || fail "csv NULL: $(q --csv "$db" "$sql")"
	[ "$(q --json "$db" "$sql")" = '{"a":1,"b":null,"c":"x"}' ] || fail "json NULL: $(q --json "$db" "$sql")"
	# basic: one ADD_ADDR, never removed
	[ "$(sql1 "$db" "SELECT count(*) FROM addresses WHERE removed_ts IS NULL")" = 1 ] || fail "no unremoved address"
	for n in captures connections events addresses; do
		for f in "" --csv --json; do
			q $f "$db" $n >"$T/out" || fail "query $f $n: exit $?"
			grep -q '0\.000000' "$T/out" && fail "query $f $n prints NULL as 0.000000: $(cat "$T/out")"
		done
	done
	q "$db" addresses | sed -n 3p | grep -qE '^ +1 +2 +10\.0\.2\.2 +server +[0-9]+\.[0-9]{6} +1 +1 +rightmost$' ||
		fail "table removed_ts: $(q "$db" addresses)"
	[ "$(q --csv "$db" addresses | tr -d '\r' | tail -1 | cut -d, -f7)" = "" ] || fail "csv removed_ts: $(q --csv "$db" addresses)"
	q --json "$db" addresses | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); assert r["removed_ts"] is None and r["port"] is None, r' ||
		fail "json removed_ts"
	;;
steperror)
	# an error in the middle of the rows (at a step, not at prepare): exit
	# 1 with the database's message on stderr, in every form; the table
	# form prints no half table. SQLite: an integer overflow on row 3;
	# PostgreSQL: a division by zero on row 3 (it folds constants earlier)
	db=$(db_of basic)
	if [ "$BACKEND" = pg ]; then bad="x / (x - 3)"; msg="division by zero"
	else bad="abs(-9223372036854775808)"; msg="integer overflow"; fi
	sql="WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5)
		SELECT x, CASE WHEN x < 3 THEN x ELSE $bad END AS y FROM n"
	for f in "" --csv --json; do
		q $f "$db" "$sql" >"$T/out" 2>"$T/err"; rc=$?
		[ $rc = 1 ] || fail "query $f: exit $rc, wanted 1"
		grep -q "$msg" "$T/err" || fail "query $f: message: $(cat "$T/err")"
	done
	# the first rows did arrive before the error
	q --csv "$db" "$sql" 2>/dev/null | tr -d '\r' | grep -qx "2,2" || fail "no rows before the error"
	q "$db" "$sql" 2>/dev/null | grep -q . && fail "table form printed a half table"
	# a second statement after a failing one does not run
	q "$db" "SELECT $bad FROM (SELECT 3 AS x) t; SELECT 'after' AS z" >"$T/out" 2>/dev/null && fail "exit 0"
	grep -q after "$T/out" && fail "ran the statement after the error"
	;;
unwritable)
	if [ "$BACKEND" = pg ]; then
		# no server on that socket; no such database; another schema version;
		# a database with a table captures of someone else
		"$MPANA" -q -r "$PCAPS/basic.pcap" --db "postgresql:///x?host=$T&password=s3cret" \
			>/dev/null 2>"$T/err"
		[ $? = 1 ] || fail "no server: not 1"
		grep -q "cannot connect" "$T/err" || fail "no server message: $(cat "$T/err")"
		grep -q s3cret "$T/err" && fail "the password is in the message: $(cat "$T/err")"
		"$MPANA" -q -r "$PCAPS/basic.pcap" --db "$(pg_uri nodb)" >/dev/null 2>"$T/err"
		[ $? = 1 ] || fail "no database: not 1"
		grep -q '"nodb" does not exist' "$T/err" || fail "no database message: $(cat "$T/err")"
		db=$(db_of basic)
		sql1 "$db" "UPDATE schema_version SET version = 3" >/dev/null
		"$MPANA" -q -r "$PCAPS/basic.pcap" --db "$db" >/dev/null 2>"$T/err"
		[ $? = 1 ] || fail "old schema: not 1"
		grep -q "schema version 3, this mpana writes version 4" "$T/err" ||
			fail "old schema message: $(cat "$T/err")"
		[ "$(sql1 "$db" "SELECT count(*) FROM captures")" = 1 ] || fail "old schema: written into"
		db=$(db_new other)
		sql1 "$db" "CREATE TABLE captures (id integer)" >/dev/null
		"$MPANA" -q -r "$PCAPS/basic.pcap" --db "$db" >/dev/null 2>"$T/err"
		[ $? = 1 ] || fail "foreign database: not 1"
		grep -q "not a database of this mpana" "$T/err" || fail "foreign message: $(cat "$T/err")"
		echo "PASS ($CASE, $BACKEND)"
		exit 0
	fi
	"$MPANA" -q -r "$PCAPS/basic.pcap" --db /nonexistent-dir/x.db >/dev/null 2>"$T/err"
	rc=$?
	[ $rc = 1 ] || fail "missing directory: exit $rc"
	grep -q "/nonexistent-dir/x.db" "$T/err" || fail "message lacks the path: $(cat "$T/err")"
	touch "$T/file"
	"$MPANA" -q -r "$PCAPS/basic.pcap" --db "$T/file/x.db" >/dev/null 2>"$T/err"
	[ $? = 1 ] || fail "parent is a file: not 1"
	echo "not a database, not a database, not a database, not a database, ..." >"$T/junk.db"
	"$MPANA" -q -r "$PCAPS/basic.pcap" --db "$T/junk.db" >/dev/null 2>"$T/err"
	[ $? = 1 ] || fail "junk file: not 1"
	grep -qi "not a database" "$T/err" || fail "junk message: $(cat "$T/err")"
	if [ "$(id -u)" != 0 ]; then
		mkdir "$T/ro" && chmod 555 "$T/ro"
		"$MPANA" -q -r "$PCAPS/basic.pcap" --db "$T/ro/x.db" >/dev/null 2>"$T/err"
		[ $? = 1 ] || fail "read-only directory: not 1"
	fi
	;;
fulldisk)
	[ "$BACKEND" = sqlite ] || fail "fulldisk is an SQLite case"
	[ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
	MNT="$T/mnt"
	mkdir "$MNT"
	mount -t tmpfs -o size=64k tmpfs "$MNT" 2>/dev/null || { MNT=""; skip "cannot mount tmpfs"; }
	"$MPANA" -q -r "$PCAPS/multiconn.pcap" --db "$MNT/x.db" --db-packets >/dev/null 2>"$T/err"
	rc=$?
	cat "$T/err"
	[ $rc = 1 ] || fail "full disk: exit $rc"
	grep -qi "full\|no space" "$T/err" || fail "no clear message: $(cat "$T/err")"
	;;
writer2)
	live_ok
	db=$(db_new w)
	live_start "$db" 9 # no traffic: any port will do
	"$MPANA" -q -r "$PCAPS/basic.pcap" --db "$db" >/dev/null 2>"$T/err"
	rc=$?
	if [ "$BACKEND" = pg ]; then
		# a second writer is welcome: its rows next to the live capture's
		[ $rc = 0 ] || fail "second writer: exit $rc $(cat "$T/err")"
		kill -INT "$LIVE"; wait "$LIVE" || fail "live mpana exit $?"
		[ "$(sql1 "$db" "SELECT count(*), sum(complete) FROM captures")" = "2|2" ] || fail "captures"
		[ "$(sql1 "$db" "SELECT count(*) FROM connections c JOIN captures k ON k.id = c.capture_id
			WHERE k.source LIKE '%basic.pcap'")" = 1 ] || fail "the second writer's connection"
	else
		[ $rc = 1 ] || fail "second writer: exit $rc"
		grep -q "another mpana" "$T/err" || fail "message: $(cat "$T/err")"
		kill -INT "$LIVE"; wait "$LIVE" || fail "live mpana exit $?"
		[ "$(sql1 "$db" "PRAGMA integrity_check")" = ok ] || fail "integrity"
		[ "$(sql1 "$db" "SELECT count(*) FROM captures")" = 1 ] || fail "captures"
	fi
	;;
sigint)
	live_ok
	traffic_start --conns 40 --size 20000 --interval 0.02
	db=$(db_new int)
	live_start "$db" "$PORT"
	traffic_go
	n=$(traffic_count)
	# every connection has ended on the wire; mpana has handled its packets
	# once it is idle
	wait_idle "$LIVE" || fail "live mpana ended early: $(cat "$T/live.err")"
	kill -INT "$LIVE"
	wait "$LIVE"; rc=$?
	[ $rc = 0 ] || fail "mpana after SIGINT: exit $rc $(cat "$T/live.err")"
	[ "$BACKEND" = pg ] || [ "$(sql1 "$db" "PRAGMA integrity_check")" = ok ] || fail "integrity"
	[ "$(sql1 "$db" "SELECT complete FROM captures")" = 1 ] || fail "capture not complete"
	c=$(sql1 "$db" "SELECT count(*) FROM connections WHERE complete = 1")
	e=$(sql1 "$db" "SELECT count(*) FROM events WHERE type = 'mpc_syn'")
	echo "connections $n made, $c stored complete, $e mpc_syn events"
	[ "$c" = "$n" ] && [ "$e" = "$n" ] || fail "not everything committed"
	;;
kill9)
	live_ok
	traffic_start --conns 2000 --size 20000 --interval 0.02 --until-stop
	db=$(db_new k9)
	live_start "$db" "$PORT"
	traffic_go
	# connections until a commit has stored events, connections and packets
	for _ in $(seq 600); do
		[ "$(sql1 "$db" "SELECT CASE WHEN (SELECT count(*) FROM events WHERE type = 'mpc_syn') > 0
			AND (SELECT count(*) FROM connections) > 0
			AND (SELECT packets FROM captures) > 0 THEN 1 ELSE 0 END" 2>/dev/null)" = 1 ] && break
		sleep 0.1
	done
	kill -9 "$LIVE"
	traffic_stop
	n=$(traffic_count)
	wait "$LIVE" 2>/dev/null
	[ "$BACKEND" = pg ] || [ "$(sql1 "$db" "PRAGMA integrity_check")" = ok ] || fail "integrity"
	e=$(sql1 "$db" "SELECT count(*) FROM events WHERE type = 'mpc_syn'")
	c=$(sql1 "$db" "SELECT count(*) FROM connections")
	p=$(sql1 "$db" "SELECT packets FROM captures")
	echo "connections made $n; after kill -9: $e mpc_syn events, $c connection rows, $p packets counted"
	[ "$e" -gt 0 ] && [ "$c" -gt 0 ] && [ "$p" -gt 0 ] || fail "nothing committed before kill -9"
	[ "$(sql1 "$db" "SELECT complete FROM captures")" = 0 ] || fail "complete after kill -9?"
	q "$db" connections >/dev/null || fail "query after kill -9"
	;;
*)
	fail "unknown case $CASE"
	;;
esac
echo "PASS ($CASE, $BACKEND)"
exit 0
