#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# capout.live: --conn ID -w in one pass on a live capture. Three MPTCP
# connections on the loopback interface (a port the kernel chose) are
# captured twice at once: `mpana -i lo -w all.pcap` and
# `mpana -i lo --conn 2 -w c2.pcap -U`. c2.pcap must be exactly tshark's
# second MPTCP connection of all.pcap (capout_test.py live-compare): the
# same packets and bytes (each packet socket timestamps lo's packets on its
# own, so the times differ between the two captures).
# Skips (77) when not root, without MPTCP in the kernel or tshark.
# usage: live_test.sh MPANA
set -u
mpana=$1
here=$(dirname "$0")
tmp=$(mktemp -d)
TPID= P1= P2=
trap 'for p in $TPID $P1 $P2; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for live capture"; exit 77; }
command -v tshark >/dev/null || { echo "SKIP: tshark not installed"; exit 77; }
. "$here/../lib/live.sh"

coproc TRAFFIC { python3 "$here/../lib/traffic.py" --conns 3 --size 30000; }
TPID=$TRAFFIC_PID
read -r port proto <&"${TRAFFIC[0]}" || { echo "FAIL: traffic helper"; exit 1; }
[ "$proto" = mptcp ] || { echo "SKIP: the kernel has no MPTCP (net.mptcp.enabled)"; exit 77; }

"$mpana" -i lo -w "$tmp/all.pcap" "tcp port $port" >"$tmp/all.out" 2>"$tmp/all.err" &
P1=$!
"$mpana" -i lo --conn 2 -w "$tmp/c2.pcap" -U "tcp port $port" >"$tmp/c2.out" 2>"$tmp/c2.err" &
P2=$!
for p in $P1 $P2; do
	if ! wait_capture "$p"; then
		if grep -qiE "permission|not permitted|socket" "$tmp"/*.err; then
			echo "SKIP: cannot capture on lo: $(head -1 "$tmp"/*.err)"; exit 77
		fi
		echo "FAIL: mpana -i lo died: $(cat "$tmp"/*.err)"; exit 1
	fi
done
echo go >&"${TRAFFIC[1]}"
read -r n <&"${TRAFFIC[0]}"
wait "$TPID" 2>/dev/null; TPID=
[ "$n" = 3 ] || { echo "FAIL: $n connections made"; exit 1; }
# every packet is in once both are idle (libpcap's timeout has passed)
wait_idle "$P1"; wait_idle "$P2"
kill -INT "$P1" "$P2"
wait "$P1"; rc1=$?; wait "$P2"; rc2=$?; P1= P2=
[ $rc1 = 0 ] && [ $rc2 = 0 ] || { echo "FAIL: exit $rc1/$rc2: $(cat "$tmp"/*.err)"; exit 1; }
grep -q 'connections: 3,' "$tmp/all.out" || { echo "FAIL: the capture does not hold 3 connections"; grep summary -A1 "$tmp/all.out"; exit 1; }

python3 "$here/capout_test.py" "$mpana" "$tmp" live-compare
