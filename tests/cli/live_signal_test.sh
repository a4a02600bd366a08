#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A live capture on the loopback interface ends cleanly on SIGINT and on
# SIGTERM: exit 0, the packets seen so far printed, the summary with
# libpcap's counters. Skips (77) when not root or lo cannot be opened.
# usage: live_signal_test.sh MPANA
set -u
mpana=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for live capture"; exit 77; }
port=$((20000 + $$ % 20000))
fails=0

for sig in INT TERM; do
	"$mpana" -i lo -l "tcp port $port" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	sleep 1
	if ! kill -0 "$pid" 2>/dev/null; then
		if grep -qiE "permission|not permitted|socket" "$tmp/err"; then
			echo "SKIP: cannot capture on lo: $(head -1 "$tmp/err")"; exit 77
		fi
		echo "FAIL: mpana -i lo died: $(cat "$tmp/err")"; exit 1
	fi
	# One MPTCP connection (plain TCP if the kernel has no MPTCP).
	python3 - "$port" <<'PY'
import socket, sys
port = int(sys.argv[1])
try:
    proto = 262
    socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto).close()
except OSError:
    proto = 0
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(1)
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
c.connect(("127.0.0.1", port)); a, _ = s.accept()
c.sendall(b"x" * 10000); n = 0
while n < 10000:
    n += len(a.recv(65536))
c.close(); a.close(); s.close()
PY
	sleep 0.5
	kill -"$sig" "$pid"
	wait "$pid"
	rc=$?
	if [ "$rc" -ne 0 ]; then echo "FAIL: SIG$sig: exit $rc ($(head -2 "$tmp/err"))"; fails=$((fails + 1)); continue; fi
	grep -q '^summary: ' "$tmp/out" || { echo "FAIL: SIG$sig: no summary"; fails=$((fails + 1)); }
	grep -q 'received by filter' "$tmp/out" || { echo "FAIL: SIG$sig: no capture counters"; fails=$((fails + 1)); }
	grep -q "\.$port: Flags \[S\]" "$tmp/out" || { echo "FAIL: SIG$sig: the SYN was not printed"; fails=$((fails + 1)); }
	echo "SIG$sig: exit 0, $(grep -c 'mptcp ' "$tmp/out") MPTCP packet lines, summary present"
done
[ "$fails" -eq 0 ] && echo "2 passed, 0 failed" || echo "$((2 - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
