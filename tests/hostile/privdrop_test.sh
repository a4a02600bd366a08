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
WORK=$(mktemp -d /tmp/mpana-privdrop.XXXXXX) || fail mktemp
trap 'rm -rf "$WORK"; [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null' EXIT
PORT=$((20000 + RANDOM % 20000))
ASAN_OPTIONS="${ASAN_OPTIONS:-}" \
	"$MPANA" -i lo -Z nobody -l --json "tcp port $PORT" >"$WORK/out" 2>"$WORK/err" &
PID=$!
ok=
for _ in $(seq 100); do
	st=$(awk '/^Uid:/{u=$2" "$3" "$4" "$5} /^Gid:/{g=$2" "$3" "$4" "$5} END{print u"/"g}' \
		/proc/$PID/status 2>/dev/null) || break
	if [ "$st" = "$U $U $U $U/$G $G $G $G" ]; then ok=1; break; fi
	sleep 0.1
done
if [ -z "$ok" ]; then
	kill -INT $PID 2>/dev/null; wait $PID; rc=$?
	grep -q "Operation not permitted\|permission\|No such device" "$WORK/err" &&
		{ echo "SKIP: cannot capture on lo: $(cat "$WORK/err")"; exit 77; }
	fail "process never ran as nobody (status: ${st:-gone}, exit $rc): $(cat "$WORK/err")"
fi
echo "ok: capturing as uid/gid $st (nobody)"
grep "^Groups:" /proc/$PID/status
python3 - "$PORT" <<'PY'
import socket, sys
port = int(sys.argv[1])
try:
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)  # MPTCP
    cli_proto = 262
except OSError:
    srv, cli_proto = socket.socket(), 0
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(1)
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, cli_proto)
c.connect(("127.0.0.1", port)); s, _ = srv.accept()
c.sendall(b"x" * 1000); s.recv(1000); c.close(); s.close(); srv.close()
PY
sleep 1
kill -INT $PID; wait $PID; rc=$?; PID=
[ $rc = 0 ] || fail "exit $rc after SIGINT: $(cat "$WORK/err")"
tail -n 1 "$WORK/out" | grep -q '"record":"summary"' || fail "no summary: $(tail -n 3 "$WORK/out")"
pk=$(tail -n 1 "$WORK/out" | sed 's/.*"packets":\([0-9]*\).*/\1/')
[ "$pk" -gt 0 ] || fail "no packet captured after dropping root"
echo "ok: exit 0 after SIGINT, summary with $pk packets captured as nobody"
echo "PASS"
