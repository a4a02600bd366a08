#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/run.sh - mpana throughput and memory benchmark on a large real
# MPTCP trace (docs/performance.md).
#
#   sudo bench/run.sh                 # make the trace once, build, measure
#   RUNS=7 bench/run.sh               # more runs per tool (median is shown)
#   TRACE=/path/x.pcap bench/run.sh   # measure another file
#   NO_TSHARK=1 bench/run.sh          # skip the (slow) tshark run
#   NO_FORMATS=1 bench/run.sh         # skip the pcapng, .gz and .zst rows
#
# 1. the trace: bench/mktrace.py (netns lab, 2 paths x tbf 200 Mbit/s,
#    iperf3 -P 4 under mptcpize for 90 s, tcpdump -i any -s 128), cached in
#    $CACHE (default /var/tmp/mpana-bench), made only when missing;
# 2. a Release build in build-rel/: mpana, mpana_floor (bench/floor.c) and
#    mpana_pipeline (bench/pipeline.c: reader + decode + engine [+ store]);
# 3. RUNS (default 5) alternating rounds of: floor, mpana -q, mpana --json,
#    mpana --db (when the binary has it), tcpdump -r -w /dev/null, the
#    pipeline with the engine, and with engine + SQLite store; the other
#    forms of the trace, made once next to it (editcap -F pcapng, gzip -6,
#    zstd -3): the floor and mpana -q on the pcapng file, gzip -dc and
#    zstd -dc alone and mpana -q on the .gz and .zst files and on the .zst
#    file from standard input; then tshark's MPTCP analysis once. Wall time
#    and peak RSS by /usr/bin/time.
# Prints a table (median wall time, packets/s, ratio to the floor, peak RSS,
# median user+sys CPU time and its ratio: steadier on a busy machine),
# then each other form against its own reference (mpana -q on the pcapng
# file against the floor on it; on the compressed files against the
# decompressor alone), and keeps it, with the load average and commands,
# in $CACHE/results.txt.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
CACHE=${CACHE:-/var/tmp/mpana-bench}
TRACE=${TRACE:-$CACHE/trace.pcap}
RUNS=${RUNS:-5}
BUILD=${BUILD:-$TOP/build-rel}
TIME=/usr/bin/time

mkdir -p "$CACHE"

# 0. what the benchmark runs besides mpana: Debian packages, installed here
# when missing (as root; otherwise the list is printed and the run skipped)
need=()
[ -x "$TIME" ] || need+=(time)
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v python3 >/dev/null || need+=(python3)
if [ -z "${NO_TSHARK:-}" ]; then command -v tshark >/dev/null || need+=(tshark); fi
if [ -z "${NO_FORMATS:-}" ]; then
	command -v editcap >/dev/null || need+=(wireshark-common)
	command -v zstd >/dev/null || need+=(zstd)
fi
if [ ! -s "$TRACE" ]; then # making the trace needs the lab's tools
	command -v iperf3 >/dev/null || need+=(iperf3)
	command -v mptcpize >/dev/null || need+=(mptcpize)
	command -v ip >/dev/null && command -v tc >/dev/null || need+=(iproute2)
fi
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "run.sh: installing ${need[*]}" >&2
		apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${need[@]}" >/dev/null
	else
		echo "run.sh: missing ${need[*]} (as root: apt-get install ${need[*]})" >&2
		exit 77
	fi
fi

# 1. the trace
if [ ! -s "$TRACE" ]; then
	echo "run.sh: making $TRACE (about 2 minutes)..." >&2
	python3 "$HERE/mktrace.py" --out "$TRACE" --seconds "${SECONDS_TRAFFIC:-90}"
fi

# the other forms of the trace (made once, kept in $CACHE)
FORM=$CACHE/$(basename "$TRACE")
if [ -z "${NO_FORMATS:-}" ]; then
	[ -s "$FORM.pcapng" ] || editcap -F pcapng "$TRACE" "$FORM.pcapng"
	[ -s "$FORM.gz" ] || gzip -6 -c "$TRACE" >"$FORM.gz"
	[ -s "$FORM.zst" ] || zstd -q -3 -c "$TRACE" >"$FORM.zst"
fi

# 2. builds
cmake -S "$TOP" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j2 --target mpana mpana_floor mpana_pipeline >/dev/null
MPANA=${MPANA:-$BUILD/mpana}
FLOOR=$BUILD/mpana_floor
PIPELINE=$BUILD/mpana_pipeline

HAVE_DB=0
if "$MPANA" --help 2>&1 | grep -q -- '--db'; then HAVE_DB=1; fi

# name|command (run by bash -c, stdout to /dev/null unless redirected)
CMDS=(
	"floor|$FLOOR $TRACE"
	"mpana -q|$MPANA -q -r $TRACE"
	"mpana --json|$MPANA --json -r $TRACE"
	"tcpdump -w /dev/null|tcpdump -r $TRACE -w /dev/null"
)
if [ "$HAVE_DB" = 1 ]; then
	CMDS+=("mpana --db|rm -f $CACHE/bench.db*; $MPANA -q --db $CACHE/bench.db -r $TRACE")
fi
if [ -z "${NO_FORMATS:-}" ]; then
	CMDS+=("floor (pcapng)|$FLOOR $FORM.pcapng"
		"mpana -q (pcapng)|$MPANA -q -r $FORM.pcapng"
		"gzip -dc|gzip -dc $FORM.gz"
		"mpana -q (.gz)|$MPANA -q -r $FORM.gz"
		"zstd -dc|zstd -dc $FORM.zst"
		"mpana -q (.zst)|$MPANA -q -r $FORM.zst"
		"mpana -q (-r - < .zst)|$MPANA -q -r - < $FORM.zst")
fi
# the analysis without the CLI (bench/pipeline.c): reader, decode, engine,
# and the SQLite store (src/sinks/store/store.c) as --db will run them
CMDS+=("pipeline: engine|$PIPELINE $TRACE"
	"pipeline: engine+store|rm -f $CACHE/pipe.db*; $PIPELINE $TRACE $CACHE/pipe.db")
TSHARK="tshark -n -r $TRACE -o mptcp.analyze_mptcp:TRUE -o mptcp.analyze_mappings:TRUE -o mptcp.intersubflows_retransmission:TRUE -Y mptcp -q"

PACKETS=$("$FLOOR" "$TRACE" | cut -d' ' -f1)
JSON_RECORDS=$("$MPANA" --json -r "$TRACE" | grep -c '^{"frame"' || true)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

declare -A WALL RSS CPU
measure() { # name command -> appends "wall rss" to WALL[name], RSS[name]
	local name=$1 cmd=$2 out
	$TIME -o "$CACHE/.time" -f '%e %M %U %S' bash -c "$cmd" >/dev/null 2>&1 || true
	read -r w m u s < <(tail -1 "$CACHE/.time")
	WALL[$name]+="$w "
	RSS[$name]+="$m "
	CPU[$name]+="$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }') "
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
maxof() { tr ' ' '\n' | grep -v '^$' | sort -g | tail -1; }

cat "$TRACE" >/dev/null # page cache warm for everyone
if [ -z "${NO_FORMATS:-}" ]; then cat "$FORM.pcapng" "$FORM.gz" "$FORM.zst" >/dev/null; fi
for ((i = 1; i <= RUNS; i++)); do
	for c in "${CMDS[@]}"; do
		measure "${c%%|*}" "${c#*|}"
	done
	echo "run.sh: round $i/$RUNS done" >&2
done
if [ -z "${NO_TSHARK:-}" ] && command -v tshark >/dev/null; then
	echo "run.sh: tshark (once, slow)..." >&2
	measure "tshark MPTCP analysis" "$TSHARK"
	CMDS+=("tshark MPTCP analysis|$TSHARK")
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

fl=$(echo "${WALL[floor]}" | median)
fc=$(echo "${CPU[floor]}" | median)
{
	echo "trace: $TRACE ($(stat -c %s "$TRACE") bytes, $PACKETS packets, $JSON_RECORDS JSON option records)"
	echo "host: $(nproc) cpus, $(uname -r); load before: $LOAD_BEFORE, after: $LOAD_AFTER; runs: $RUNS (median)"
	printf '%-24s %7s %11s %7s %10s %8s %8s  %s\n' tool "wall s" "packets/s" "x floor" "peak RSS" "cpu s" "cpu x fl" "all runs, wall (s)"
	for c in "${CMDS[@]}"; do
		n=${c%%|*}
		w=$(echo "${WALL[$n]}" | median)
		r=$(echo "${RSS[$n]}" | maxof)
		pps=$(awk -v p="$PACKETS" -v w="$w" 'BEGIN { printf "%.2f M", (w > 0 ? p / w / 1e6 : 0) }')
		ratio=$(awk -v w="$w" -v f="$fl" 'BEGIN { printf "%.2f", (f > 0 ? w / f : 0) }')
		rss=$(awk -v r="$r" 'BEGIN { printf "%.1f MiB", r / 1024 }')
		cpu=$(echo "${CPU[$n]}" | median)
		cr=$(awk -v c="$cpu" -v f="$fc" 'BEGIN { printf "%.2f", (f > 0 ? c / f : 0) }')
		printf '%-24s %7s %11s %7s %10s %8s %8s  %s\n' "$n" "$w" "$pps" "$ratio" "$rss" "$cpu" "$cr" "${WALL[$n]}"
	done
	w=$(echo "${WALL[mpana --json]}" | median)
	awk -v n="$JSON_RECORDS" -v w="$w" 'BEGIN { printf "JSON Lines: %.2f M option records/s\n", (w > 0 ? n / w / 1e6 : 0) }'
	[ "$HAVE_DB" = 1 ] || echo "mpana --db: not measured (this mpana has no --db option yet)"
	if [ -z "${NO_FORMATS:-}" ]; then
		echo "other forms against their own reference (median wall, median CPU):"
		for pair in "mpana -q (pcapng)|floor (pcapng)" "mpana -q (.gz)|gzip -dc" \
			"mpana -q (.zst)|zstd -dc" "mpana -q (-r - < .zst)|zstd -dc"; do
			a=${pair%%|*} b=${pair#*|}
			awk -v a="$a" -v b="$b" -v wa="$(echo "${WALL[$a]}" | median)" \
				-v wb="$(echo "${WALL[$b]}" | median)" -v ca="$(echo "${CPU[$a]}" | median)" \
				-v cb="$(echo "${CPU[$b]}" | median)" 'BEGIN {
				printf "  %-24s %.2fx %s (wall %s / %s s), CPU %.2fx\n", a, (wb > 0 ? wa / wb : 0), b, wa, wb, (cb > 0 ? ca / cb : 0) }'
		done
	fi
	echo "commands:"
	for c in "${CMDS[@]}"; do echo "  ${c%%|*}: ${c#*|}"; done
} | tee "$CACHE/results.txt"
