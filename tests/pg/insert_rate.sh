#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# insert_rate.sh - the PostgreSQL insert rate of docs/scale.md: WRITERS
# mpana processes (default 4) write one part each of TRACE (split with
# editcap into WRITERS traces of consecutive packets, or TRACE whole for
# each without editcap) with --db-packets into one database of a
# throwaway cluster at the server's default durability (fsync on,
# synchronous_commit on), all at once; prints the rows written per table,
# the wall-clock time from the first start to the last end, rows/s, and
# the CPU time the server's sessions used (the postmaster's reaped children,
# /proc/PID/stat cutime + cstime), as rows per server CPU second.
# SPLIT=0: every writer reads TRACE whole. Not a ctest test: a measurement
# (docs/scale.md gives the command).
#
#   [SPLIT=0] tests/pg/insert_rate.sh MPANA TRACE [WRITERS]
set -u
MPANA=$1
TRACE=$2
N=${3:-4}
HERE=$(dirname "$0")
export TMPDIR=${TMPDIR:-/tmp}
T=$(mktemp -d "$TMPDIR/mpana-pg-rate.XXXXXX")
PG_FSYNC=on
. "$HERE/cluster.sh"
cleanup() { pg_stop; rm -rf "$T"; }
trap cleanup EXIT
pg_start rate
pg_createdb rate
uri=$(pg_uri rate)
parts=()
if [ "${SPLIT:-1}" != 0 ] && command -v editcap >/dev/null && command -v capinfos >/dev/null; then
	n=$(capinfos -T -r -c "$TRACE" | awk -F'\t' '{print $2}')
	editcap -c $(((n + N - 1) / N)) "$TRACE" "$T/part.pcap" >/dev/null
	parts=("$T"/part_*.pcap)
else
	for i in $(seq "$N"); do parts+=("$TRACE"); done
fi
# the schema exists before the clock starts: a fleet's steady state
"$MPANA" query --schema postgresql | psql "$uri" -X -q -v ON_ERROR_STOP=1 >/dev/null
tck=$(getconf CLK_TCK)
pm=$(head -1 "$PG_DIR/data/postmaster.pid")
cpu() { awk '{print $16 + $17}' "/proc/$pm/stat"; } # children's user + system ticks
kids() { pgrep -c -P "$pm"; } # the server's processes
k0=$(kids)
c0=$(cpu)
t0=$(date +%s.%N)
pids=()
for p in "${parts[@]:0:$N}"; do
	"$MPANA" -q -r "$p" --db "$uri" --db-packets >/dev/null &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || { echo "a writer failed" >&2; exit 1; }; done
t1=$(date +%s.%N)
# the sessions' CPU time is the postmaster's once it has reaped them
for _ in $(seq 100); do [ "$(kids)" -le "$k0" ] && break; sleep 0.05; done
c1=$(cpu)
rows=0
for t in captures option_counts connections subflows addresses events options failovers stalls \
	join_attempts announcements; do
	c=$(pg_sql rate "SELECT count(*) FROM $t")
	printf '%-14s %9d\n' "$t" "$c"
	rows=$((rows + c))
done
python3 -c "import sys
r, t0, t1, n, c0, c1, tck = sys.argv[1:]
r, s, c = int(r), float(t1) - float(t0), (int(c1) - int(c0)) / int(tck)
print('%s writers: %d rows in %.2f s: %.0f rows/s; server sessions %.2f CPU s:'
      ' %.0f rows per server CPU s' % (n, r, s, r / s, c, r / c if c else 0))" \
	"$rows" "$t0" "$t1" "$N" "$c0" "$c1" "$tck"
