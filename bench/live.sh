#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/live.sh - live capture: does mpana drop packets tcpdump would not?
#
#   sudo bench/live.sh                     # rates 200mbit 1gbit 4gbit 20gbit
#   RATES="1gbit" SECS=20 bench/live.sh
#
# For each tbf rate (per path and direction), bench/mktrace.py runs the lab
# (2 paths, iperf3 -P 4 under mptcpize) for SECS seconds while, in the
# client namespace (tbf burst 256 KiB and GSO off on the veths, so that the
# rate is not capped by tbf's per-packet timer and the frames stay MTU-sized), `tcpdump -i any -s 128 -w /dev/null` and
# `mpana -q -i any -s 128` capture the same traffic at the same time. Prints
# iperf3's rate and both drop counters (libpcap's pcap_stats(): tcpdump's
# "dropped by kernel", mpana's summary line).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
CACHE=${CACHE:-/var/tmp/mpana-bench}
RATES=${RATES:-"200mbit 1gbit 4gbit 20gbit"}
SECS=${SECS:-20}
MPANA=${MPANA:-$TOP/build-rel/mpana}
mkdir -p "$CACHE"
printf '%-8s %10s | %10s %10s | %10s %10s\n' rate "Mbit/s" "tcpdump rx" dropped "mpana rx" dropped
for rate in $RATES; do
	out=$CACHE/live-$rate
	python3 "$HERE/mktrace.py" --seconds "$SECS" --rate "$rate" --out "$out" \
		--live-cmd "$MPANA -q -i any -s 128" \
		--burst "${BURST:-262144}" --no-gso 2>"$out.log" || { cat "$out.log"; continue; }
	mbit=$(sed -n 's/.*iperf3 \([0-9.]*\) Mbit.*/\1/p' "$out.log")
	td_rx=$(sed -n 's/^\([0-9]*\) packets received by filter.*/\1/p' "$out.tcpdump.stderr")
	td_dr=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$out.tcpdump.stderr")
	mp_line=$(grep -i 'dropped by kernel' "$out.live.stdout" || true)
	mp_rx=$(echo "$mp_line" | grep -o '[0-9]* received by filter' | cut -d' ' -f1)
	mp_dr=$(echo "$mp_line" | grep -o '[0-9]* dropped by kernel' | cut -d' ' -f1)
	printf '%-8s %10s | %10s %10s | %10s %10s\n' "$rate" "$mbit" "$td_rx" "$td_dr" "${mp_rx:-?}" "${mp_dr:-?}"
done | tee "$CACHE/live-results.txt"
