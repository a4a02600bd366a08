#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Live soak: memory of a long-running `mpana -i any -q` must stay flat.
#
#   tests/soak/soak.sh MPANA [SECONDS [SAMPLE_EVERY]]     (defaults 600, 10)
#
# Builds two network namespaces joined by two veth pairs (as tests/lab/lab.py
# does, without traffic shaping), with MPTCP endpoints so that every
# connection opens a second subflow (MP_JOIN). For SECONDS, a client loop
# opens MPTCP connections to the server one after another, each sending
# 256 KiB and closing (new connections, joins, DSS, DATA_FIN, FIN all the
# time), while mpana captures live on "any" in the client namespace. Every
# SAMPLE_EVERY seconds the script prints mpana's VmRSS and VmHWM from
# /proc/PID/status and the connections completed so far. At the end mpana
# gets SIGINT and must exit 0 with a summary. Pass: exit 0, summary, and
# the last RSS sample within 10% (+ 1 MiB) of the sample taken half-way
# (the first one for runs of under 4 samples): memory may grow while the
# connection table fills, then must stay flat. SOAK_MPANA_ARGS adds mpana
# options (e.g. "--max-conns 2000"). Exit 0 pass, 1 fail, 77 skip (not
# root, no namespaces, no MPTCP). Not in the default ctest run at full length (docs/robustness.md);
# ctest soak.short runs it for 20 s.
set -u
MPANA=${1:?usage: soak.sh MPANA [SECONDS [SAMPLE_EVERY]]}
DUR=${2:-600} EVERY=${3:-10}
MPANA=$(cd "$(dirname "$MPANA")" && pwd)/$(basename "$MPANA")
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root"
python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262).close()' \
	2>/dev/null || skip "no MPTCP sockets"
C=mpana-soak-c-$$ S=mpana-soak-s-$$
WORK=$(mktemp -d -t mpana-soak.XXXXXX)
. "$(dirname "$0")/../lib/live.sh"
cleanup() {
	[ -n "${MP:-}" ] && kill "$MP" 2>/dev/null
	[ -n "${SRV:-}" ] && kill "$SRV" 2>/dev/null
	[ -n "${CLI:-}" ] && kill "$CLI" 2>/dev/null
	ip netns del $C 2>/dev/null; ip netns del $S 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
if ! ip netns add $C || ! ip netns add $S; then skip "cannot create network namespaces"; fi
for i in 1 2; do
	ip link add c$i netns $C type veth peer name s$i netns $S
	ip -n $C addr add 10.77.$i.1/24 dev c$i; ip -n $C link set c$i up
	ip -n $S addr add 10.77.$i.2/24 dev s$i; ip -n $S link set s$i up
	ip -n $C rule add from 10.77.$i.1 table $((100 + i)) priority $((1000 + i))
	ip -n $C route add 10.77.$i.0/24 dev c$i table $((100 + i))
done
for n in $C $S; do
	ip -n $n link set lo up
	ip netns exec $n sysctl -q -w net.mptcp.enabled=1 net.ipv4.conf.all.rp_filter=0
done
ip -n $C mptcp limits set subflows 2 add_addr_accepted 2
ip -n $S mptcp limits set subflows 2 add_addr_accepted 2
ip -n $C mptcp endpoint add 10.77.2.1 dev c2 id 2 subflow

ip netns exec $S python3 - <<'PY' &
import socket, threading
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5201)); s.listen(64)
def serve(c):
    while c.recv(65536):
        pass
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
SRV=$!
for _ in $(seq 200); do # until the server listens
	[ -n "$(ip netns exec $S ss -Hltn 'sport = :5201' 2>/dev/null)" ] && break
	kill -0 $SRV 2>/dev/null || fail "the server did not start"
	sleep 0.05
done
# shellcheck disable=SC2086 # SOAK_MPANA_ARGS is a list of words
ip netns exec $C "$MPANA" -i any -q ${SOAK_MPANA_ARGS:-} "tcp port 5201" >"$WORK/out" 2>"$WORK/err" &
MP=$!
wait_capture $MP $C || fail "mpana did not start: $(cat "$WORK/err")"
ip netns exec $C python3 - "$WORK/count" <<'PY' &
import socket, sys, time
buf, n = b"m" * 262144, 0
while True:
    try:
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
        c.connect(("10.77.1.2", 5201))
        c.sendall(buf)
        time.sleep(0.02)  # let the join subflow come up sometimes
        c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
        n += 1
    except OSError:
        time.sleep(0.1)
    if n % 20 == 0:
        open(sys.argv[1], "w").write(str(n))
PY
CLI=$!

rss() { awk '/^VmRSS:/{r=$2} /^VmHWM:/{h=$2} END{print r" "h}' /proc/$MP/status; }
echo "t_s  VmRSS_KiB  VmHWM_KiB  connections"
t=0 first='' mid='' n=0 half=$((DUR / EVERY / 2))
while [ $t -lt "$DUR" ]; do
	sleep "$EVERY"; t=$((t + EVERY))
	kill -0 $MP 2>/dev/null || fail "mpana died: $(cat "$WORK/err")"
	read -r r h < <(rss)
	[ -z "$first" ] && first=$r
	n=$((n + 1)); [ $n = "$half" ] && mid=$r
	printf '%4d  %9d  %9d  %s\n' $t "$r" "$h" "$(cat "$WORK/count" 2>/dev/null || echo 0)"
	last=$r
done
kill $CLI; wait $CLI 2>/dev/null; CLI=
kill -INT $MP; wait $MP; rc=$?; MP=
[ $rc = 0 ] || fail "mpana exit $rc after SIGINT: $(cat "$WORK/err")"
grep -q "packets" "$WORK/out" || fail "no summary"
echo "--- summary:"; cat "$WORK/out"
ref=$first; [ "$half" -ge 2 ] && [ -n "$mid" ] && ref=$mid
lim=$((ref + ref / 10 + 1024))
[ "$last" -le $lim ] || fail "RSS grew: $first KiB after ${EVERY} s, ${mid:-?} KiB half-way, $last KiB at the end (limit $lim)"
echo "PASS: RSS $first KiB after ${EVERY} s, ${mid:-?} KiB half-way, $last KiB after $DUR s"
