#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A live capture on the loopback interface ends cleanly on SIGINT and on
# SIGTERM: exit 0, the packets seen so far printed, the summary with
# libpcap's counters. Skips (77) when not root or lo cannot be opened.
# usage: live_signal_test.sh MPANA
set -u
mpana=$1
tmp=$(mktemp -d)
TPID=
trap 'rm -rf "$tmp"; [ -n "$TPID" ] && kill "$TPID" 2>/dev/null' EXIT
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for live capture"; exit 77; }
. "$(dirname "$0")/../lib/live.sh"
fails=0

for sig in INT TERM; do
	# One MPTCP connection (plain TCP if the kernel has no MPTCP) to a port
	# the kernel chose and the helper holds: no other test can use it.
	coproc TRAFFIC { python3 "$(dirname "$0")/../lib/traffic.py" --conns 1 --size 10000; }
	TPID=$TRAFFIC_PID
	read -r port _ <&"${TRAFFIC[0]}" || { echo "FAIL: traffic helper"; exit 1; }
	"$mpana" -i lo -l "tcp port $port" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	if ! wait_capture "$pid"; then
		if grep -qiE "permission|not permitted|socket" "$tmp/err"; then
			echo "SKIP: cannot capture on lo: $(head -1 "$tmp/err")"; exit 77
		fi
		echo "FAIL: mpana -i lo died: $(cat "$tmp/err")"; exit 1
	fi
	echo go >&"${TRAFFIC[1]}"
	read -r _ <&"${TRAFFIC[0]}"
	wait "$TPID" 2>/dev/null; TPID=
	# the packets are in; mpana has handled them once the SYN is printed
	# and it is idle
	wait_line "$tmp/out" "\.$port: Flags \[S\]"
	wait_idle "$pid"
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
