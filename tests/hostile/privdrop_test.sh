#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# -Z USER (drop root after opening the device, as tcpdump -Z):
#   1. an unknown user is a usage error: exit 2, "no such user" on stderr;
#   2. -Z with -r is a usage error (live capture only);
#   3. as root: `mpana -i lo -Z nobody` runs as nobody (real, effective,
#      saved and filesystem uid and gid in /proc/PID/status), still sees
#      the traffic it captures, and ends with exit 0 and a summary on SIGINT.
# usage: privdrop_test.sh MPANA PCAP. Exit 0 pass, 1 fail, 77 skip (part 3
# needs root and a capturable lo; parts 1-2 have run by then).
set -u
MPANA=$1 PCAP=$2
fail() { echo "FAIL: $*" >&2; exit 1; }

err=$("$MPANA" -i lo -Z no-such-user-mpana 2>&1 >/dev/null); rc=$?
[ $rc = 2 ] || fail "unknown user: exit $rc, expected 2"
grep -q "no-such-user-mpana: no such user" <<<"$err" || fail "unknown user: message: $err"
echo "ok: -Z unknown user: exit 2, \"$err\""
err=$("$MPANA" -r "$PCAP" -Z nobody 2>&1 >/dev/null); rc=$?
[ $rc = 2 ] || fail "-Z with -r: exit $rc, expected 2"
echo "ok: -Z with -r: exit 2, \"$err\""

[ "$(id -u)" = 0 ] || { echo "SKIP: not root"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "SKIP: no user nobody"; exit 77; }
U=$(id -u nobody) G=$(id -g nobody)
. "$(dirname "$0")/../lib/live.sh"
WORK=$(mktemp -d -t mpana-privdrop.XXXXXX) || fail mktemp
# The traffic helper listens on a port the kernel chose (port 0), and holds
# it, before the capture starts: no other test can have that port.
coproc TRAFFIC { python3 "$(dirname "$0")/../lib/traffic.py" --conns 1 --size 1000; }
TPID=$TRAFFIC_PID
trap 'rm -rf "$WORK"; [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null; kill "$TPID" 2>/dev/null' EXIT
read -r PORT _ <&"${TRAFFIC[0]}" || fail "traffic helper did not start"
ASAN_OPTIONS="${ASAN_OPTIONS:-}" \
	"$MPANA" -i lo -Z nobody -l "tcp port $PORT" >"$WORK/out" 2>"$WORK/err" &
PID=$!
if ! wait_capture "$PID"; then
	kill -INT $PID 2>/dev/null; wait $PID; rc=$?; PID=
	grep -q "Operation not permitted\|permission\|No such device" "$WORK/err" &&
		{ echo "SKIP: cannot capture on lo: $(cat "$WORK/err")"; exit 77; }
	fail "the capture never started (exit $rc): $(cat "$WORK/err")"
fi
# the filter is set after the drop (capture.c): the ids are final by now
st=$(awk '/^Uid:/{u=$2" "$3" "$4" "$5} /^Gid:/{g=$2" "$3" "$4" "$5} END{print u"/"g}' \
	/proc/$PID/status 2>/dev/null)
[ "$st" = "$U $U $U $U/$G $G $G $G" ] || fail "not running as nobody: $st: $(cat "$WORK/err")"
echo "ok: capturing as uid/gid $st (nobody)"
grep "^Groups:" /proc/$PID/status
echo go >&"${TRAFFIC[1]}"
read -r n <&"${TRAFFIC[0]}" || fail "traffic helper failed"
# the connection's last packet (the final ACK, text output, -l) shows that
# mpana has seen all of it
wait_line "$WORK/out" "\.$PORT: Flags \[F" || fail "the connection was not captured: $(tail -n 3 "$WORK/out")"
wait_idle "$PID"
kill -INT $PID; wait $PID; rc=$?; PID=
[ $rc = 0 ] || fail "exit $rc after SIGINT: $(cat "$WORK/err")"
grep -q '^summary: ' "$WORK/out" || fail "no summary: $(tail -n 3 "$WORK/out")"
pk=$(sed -n 's/^summary: \([0-9]*\) packets.*/\1/p' "$WORK/out")
[ "${pk:-0}" -gt 0 ] || fail "no packet captured after dropping root"
echo "ok: exit 0 after SIGINT, summary with $pk packets captured as nobody"
echo "PASS"
