#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# store_test.sh - `mpana --db` and `mpana query` end to end (ctest store.*).
#
#   tests/store/store_test.sh MPANA PCAPDIR CASE
#
# CASE: queries (every named query on every pcaps/ scenario), failover,
# handshakes, multi (two captures in one database), readonly, usage, nulls
# (SQL NULL in the three output forms), steperror (an error mid-query),
# unwritable, fulldisk (tmpfs of 64 KiB), sigint and kill9 (live capture on
# lo with MPTCP traffic generated on 127.0.0.1), writer2 (a second writer).
# Exit status: 0 pass, 1 fail, 77 skip (not root, no MPTCP, no tmpfs).
set -u

MPANA=$1
PCAPS=$2
CASE=$3
T=$(mktemp -d -t mpana-store-test.XXXXXX)
MNT=""
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	[ -n "$MNT" ] && umount "$MNT" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

. "$(dirname "$0")/../lib/live.sh"
fail() { echo "FAIL ($CASE): $*" >&2; exit 1; }
skip() { echo "SKIP ($CASE): $*" >&2; exit 77; }
q() { "$MPANA" query "$@"; }
sql1() { sqlite3 "$1" "$2"; } # one value, sqlite3 CLI (independent reader)

db_of() { # pcap name -> database (created once)
	local db="$T/$1.db"
	if [ ! -f "$db" ]; then
		"$MPANA" -q -r "$PCAPS/$1.pcap" --db "$db" >/dev/null 2>"$T/err" ||
			fail "mpana -r $1.pcap --db: exit $? $(cat "$T/err")"
	fi
	echo "$db"
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
		[ "$(sql1 "$db" "PRAGMA integrity_check")" = ok ] || fail "$name: integrity"
		[ "$(sql1 "$db" "PRAGMA user_version")" = 4 ] || fail "$name: user_version"
		[ "$(sql1 "$db" "PRAGMA journal_mode")" = wal ] || fail "$name: journal_mode"
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
	[ "$(sql1 "$db" "SELECT group_concat(valid) FROM handshake_verdict")" = 1 ] || fail "basic not valid"
	# each join: syn < synack < ack < responder ack, in capture order
	[ "$(sql1 "$db" "SELECT count(*) FROM handshake_order WHERE step LIKE 'join%'")" = 8 ] || fail "join steps"
	db=$(db_of multiconn)
	[ "$(sql1 "$db" "SELECT count(*) FROM handshake_verdict WHERE valid = 1")" = 3 ] || fail "multiconn verdicts"
	db=$(db_of fallback)
	[ "$(sql1 "$db" "SELECT valid FROM handshake_verdict")" = 0 ] || fail "fallback must not be valid"
	sql1 "$db" "SELECT reason FROM handshake_verdict" | grep -q fallback || fail "fallback reason"
	;;
multi)
	db="$T/multi.db"
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
	sum=$(sha256sum "$db" | cut -d' ' -f1)
	n=$(sql1 "$db" "SELECT count(*) FROM events")
	q "$db" "INSERT INTO captures(source) VALUES('evil')" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc = 1 ] || fail "INSERT: exit $rc"
	grep -qi "read-\?only" "$T/err" || fail "no clear message: $(cat "$T/err")"
	q "$db" "DELETE FROM events" 2>/dev/null && fail "DELETE accepted"
	q "$db" "DROP TABLE events" 2>/dev/null && fail "DROP accepted"
	q "$db" "PRAGMA user_version = 7" 2>/dev/null; q "$db" "ATTACH '$T/x.db' AS x" 2>/dev/null
	[ "$(sha256sum "$db" | cut -d' ' -f1)" = "$sum" ] || fail "database changed"
	[ "$(sql1 "$db" "SELECT count(*) FROM events")" = "$n" ] || fail "events changed"
	[ "$(sql1 "$db" "PRAGMA user_version")" = 4 ] || fail "user_version changed"
	;;
usage)
	db=$(db_of basic)
	q >/dev/null 2>&1; [ $? = 2 ] || fail "no arguments: not 2"
	q "$db" >/dev/null 2>&1; [ $? = 2 ] || fail "no query: not 2"
	q "$db" nosuchname >/dev/null 2>&1; [ $? = 2 ] || fail "unknown name: not 2"
	q --bogus "$db" events >/dev/null 2>&1; [ $? = 2 ] || fail "unknown flag: not 2"
	q "$db" "SELEC nothing" >/dev/null 2>"$T/err"; [ $? = 1 ] || fail "bad SQL: not 1"
	grep -q "syntax error" "$T/err" || fail "bad SQL message: $(cat "$T/err")"
	q "$T/none.db" events >/dev/null 2>"$T/err"; [ $? = 1 ] || fail "missing db: not 1"
	[ ! -e "$T/none.db" ] || fail "query created a database"
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
	# an error in the middle of the rows (sqlite3_step, not prepare): exit
	# 1 with SQLite's message on stderr, in every form; the table form
	# prints no half table
	db=$(db_of basic)
	sql="WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5)
		SELECT x, CASE WHEN x < 3 THEN x ELSE abs(-9223372036854775808) END AS y FROM n"
	for f in "" --csv --json; do
		q $f "$db" "$sql" >"$T/out" 2>"$T/err"; rc=$?
		[ $rc = 1 ] || fail "query $f: exit $rc, wanted 1"
		grep -q "integer overflow" "$T/err" || fail "query $f: message: $(cat "$T/err")"
	done
	q "$db" "$sql" 2>/dev/null | grep -q . && fail "table form printed a half table"
	# a second statement after a failing one does not run
	q "$db" "SELECT abs(-9223372036854775808); SELECT 'after' AS z" >"$T/out" 2>/dev/null && fail "exit 0"
	grep -q after "$T/out" && fail "ran the statement after the error"
	;;
unwritable)
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
	db="$T/w.db"
	live_start "$db" 9 # no traffic: any port will do
	"$MPANA" -q -r "$PCAPS/basic.pcap" --db "$db" >/dev/null 2>"$T/err"
	rc=$?
	[ $rc = 1 ] || fail "second writer: exit $rc"
	grep -q "another mpana" "$T/err" || fail "message: $(cat "$T/err")"
	kill -INT "$LIVE"; wait "$LIVE" || fail "live mpana exit $?"
	[ "$(sql1 "$db" "PRAGMA integrity_check")" = ok ] || fail "integrity"
	[ "$(sql1 "$db" "SELECT count(*) FROM captures")" = 1 ] || fail "captures"
	;;
sigint)
	live_ok
	traffic_start --conns 40 --size 20000 --interval 0.02
	db="$T/int.db"
	live_start "$db" "$PORT"
	traffic_go
	n=$(traffic_count)
	# every connection has ended on the wire; mpana has handled its packets
	# once it is idle
	wait_idle "$LIVE" || fail "live mpana ended early: $(cat "$T/live.err")"
	kill -INT "$LIVE"
	wait "$LIVE"; rc=$?
	[ $rc = 0 ] || fail "mpana after SIGINT: exit $rc $(cat "$T/live.err")"
	[ "$(sql1 "$db" "PRAGMA integrity_check")" = ok ] || fail "integrity"
	[ "$(sql1 "$db" "SELECT complete FROM captures")" = 1 ] || fail "capture not complete"
	c=$(sql1 "$db" "SELECT count(*) FROM connections WHERE complete = 1")
	e=$(sql1 "$db" "SELECT count(*) FROM events WHERE type = 'mpc_syn'")
	echo "connections $n made, $c stored complete, $e mpc_syn events"
	[ "$c" = "$n" ] && [ "$e" = "$n" ] || fail "not everything committed"
	;;
kill9)
	live_ok
	traffic_start --conns 2000 --size 20000 --interval 0.02 --until-stop
	db="$T/k9.db"
	live_start "$db" "$PORT"
	traffic_go
	# connections until a commit has stored events, connections and packets
	for _ in $(seq 600); do
		[ "$(sql1 "$db" "SELECT (SELECT count(*) FROM events WHERE type = 'mpc_syn') > 0
			AND (SELECT count(*) FROM connections) > 0
			AND (SELECT packets FROM captures) > 0" 2>/dev/null)" = 1 ] && break
		sleep 0.1
	done
	kill -9 "$LIVE"
	traffic_stop
	n=$(traffic_count)
	wait "$LIVE" 2>/dev/null
	[ "$(sql1 "$db" "PRAGMA integrity_check")" = ok ] || fail "integrity"
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
echo "PASS ($CASE)"
exit 0
