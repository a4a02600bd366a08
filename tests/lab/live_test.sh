#!/bin/bash
# Live-capture test for mpana (meant to be wired into ctest).
#
#   tests/lab/live_test.sh /path/to/mpana
#
# Runs the lab's `basic` scenario (real MPTCP traffic between two network
# namespaces, see tests/lab/lab.py) while, inside the client namespace, BOTH
#     tcpdump -i any -s 256 -w X port 12345          (the lab's own capture)
#     MPANA --json -i any port 12345                  (live; options before the filter)
# capture.  After the traffic the lab stops tcpdump, then sends SIGINT to
# mpana.  The test then requires:
#   1. mpana (live) exited 0 and the last non-empty line of its stdout contains
#      "record":"summary";
#   2. `MPANA --json -r X` exits 0 and also ends with the summary record;
#   3. the MPTCP option records (JSON lines with an "opt" key) of the live run
#      and of the offline run on tcpdump's file are the same multiset, after
#      dropping keys that legitimately differ between two captures of the same
#      packets: "frame" and timestamps (any key named ts/t/time or containing
#      "time").  Both captures use the same interface and BPF filter and run
#      from before the first SYN until after the last FIN, so they contain the
#      same packets, and the same decoder sees them: every other field (opt,
#      addresses, ports, DSN/DATA_ACK, ...) must match exactly.  A per-option
#      count table is printed in any case; on mismatch the differing records
#      are listed.  Extra keys to ignore: LIVE_TEST_IGNORE_KEYS="k1,k2".
#      LIVE_TEST_TOLERANCE=N accepts up to N differing records (default 0).
#
# Exit status: 0 pass, 1 failure, 77 skip (not root, no network namespaces,
# no MPTCP, tools missing).
set -u

MPANA=${1:-}
HERE=$(cd "$(dirname "$0")" && pwd)
LAB="$HERE/lab.py"

skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -n "$MPANA" ] || fail "usage: $0 /path/to/mpana"
[ -x "$MPANA" ] || fail "mpana binary not found or not executable: $MPANA"
MPANA=$(cd "$(dirname "$MPANA")" && pwd)/$(basename "$MPANA")

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
for t in ip tc nft tcpdump python3; do
    command -v "$t" >/dev/null 2>&1 || skip "missing tool: $t"
done
probe="mpana-probe-$$"
if ! ip netns add "$probe" 2>/dev/null; then
    skip "cannot create network namespaces"
fi
ip netns del "$probe" 2>/dev/null
python3 - <<'EOF' || skip "kernel without MPTCP (socket(AF_INET, SOCK_STREAM, 262) failed or net.mptcp.enabled=0)"
import socket, sys
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262).close()
    sys.exit(0 if open("/proc/sys/net/mptcp/enabled").read().strip() == "1" else 1)
except OSError:
    sys.exit(1)
EOF

WORK=$(mktemp -d -t mpana-live.XXXXXX) || fail "mktemp"
trap 'rm -rf "$WORK"' EXIT
# lab.py cleans up its namespaces/processes itself, also on SIGINT/SIGTERM
trap 'exit 1' INT TERM

# What this run of the lab makes carries its own marks: the namespaces are
# mpana-c-<lab pid>-basic and mpana-s-<lab pid>-basic (the nft table lives
# inside the server one), and every process it starts inherits
# MPANA_LAB_RUN=<tag> from its environment. Other tests and other suites on
# this machine make their own, which are not counted.
TAG="live-$$-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
leftovers() { # LABPID: what this lab run left, one line each
    local f d
    ip netns list 2>/dev/null | awk -v p="^mpana-[cs]-$1-" '$1 ~ p {print "namespace " $1}'
    for f in $(grep -lsxzF "MPANA_LAB_RUN=$TAG" /proc/[0-9]*/environ); do
        d=${f%/environ}
        echo "process ${d#/proc/}: $(tr '\0' ' ' 2>/dev/null <"$d/cmdline")"
    done
}

echo "running the basic scenario with live mpana capture (work dir $WORK)"
MPANA_LAB_RUN=$TAG python3 "$LAB" --out "$WORK" --filter "port 12345" \
    --live-cmd "$MPANA --json -i any port 12345" --live-wait 30 basic &
LABPID=$!
wait $LABPID
rc=$?
# lab.py has run its cleanup before exiting; processes it killed may take a
# moment to be gone: wait (bounded) until nothing of this run is left
left=
for _ in $(seq 200); do
    left=$(leftovers $LABPID)
    [ -z "$left" ] && break
    sleep 0.05
done
if [ -n "$left" ]; then
    echo "FAIL: the lab left namespaces, nft tables or processes behind:" >&2
    echo "$left" >&2
    exit 1
fi
echo "no namespace, nft table or lab process left behind"
[ $rc = 77 ] && skip "lab cannot run here"
[ $rc = 0 ] || fail "lab.py failed (exit $rc); see messages above"

PCAP="$WORK/basic.pcap"
LIVE_OUT="$WORK/basic.live.stdout"
LIVE_ERR="$WORK/basic.live.stderr"
LIVE_RC=$(cat "$WORK/basic.live.rc" 2>/dev/null || echo missing)

if [ "$LIVE_RC" != 0 ]; then
    echo "--- mpana (live) stderr:" >&2; tail -n 20 "$LIVE_ERR" >&2
    fail "live mpana exit status $LIVE_RC after SIGINT (expected 0)"
fi

"$MPANA" --json -r "$PCAP" >"$WORK/offline.stdout" 2>"$WORK/offline.stderr"
orc=$?
if [ $orc != 0 ]; then
    echo "--- mpana -r stderr:" >&2; tail -n 20 "$WORK/offline.stderr" >&2
    fail "mpana --json -r $PCAP exited $orc"
fi

python3 - "$LIVE_OUT" "$WORK/offline.stdout" <<'EOF'
import collections, json, os, sys

live_path, off_path = sys.argv[1], sys.argv[2]
ignore = {"frame", "ts", "t", "time"}
ignore |= {k for k in os.environ.get("LIVE_TEST_IGNORE_KEYS", "").split(",") if k}
tolerance = int(os.environ.get("LIVE_TEST_TOLERANCE", "0"))

def load(path, what):
    lines = [l for l in open(path, errors="replace").read().splitlines() if l.strip()]
    if not lines:
        print("FAIL: %s printed nothing" % what, file=sys.stderr); sys.exit(1)
    if '"record":"summary"' not in lines[-1].replace(" ", ""):
        print("FAIL: %s: last line is not the summary record: %s" % (what, lines[-1][:200]),
              file=sys.stderr)
        sys.exit(1)
    recs, bad = [], 0
    for l in lines:
        try:
            o = json.loads(l)
        except ValueError:
            bad += 1
            continue
        if isinstance(o, dict) and "opt" in o:
            norm = {k: v for k, v in o.items()
                    if k not in ignore and "time" not in k.lower()}
            recs.append(json.dumps(norm, sort_keys=True))
    if bad:
        print("note: %s: %d non-JSON lines ignored" % (what, bad))
    return collections.Counter(recs)

live = load(live_path, "mpana live")
off = load(off_path, "mpana -r")

def per_opt(c):
    d = collections.Counter()
    for r, n in c.items():
        d[json.loads(r)["opt"]] += n
    return d

pl, po = per_opt(live), per_opt(off)
print("%-16s %8s %8s" % ("option", "live", "offline"))
for k in sorted(set(pl) | set(po)):
    print("%-16s %8d %8d%s" % (k, pl[k], po[k], "" if pl[k] == po[k] else "   <-- differs"))

if not off:
    print("FAIL: mpana -r reported no MPTCP option records", file=sys.stderr); sys.exit(1)
for need in ("mp_capable", "mp_join", "dss", "add_addr"):
    if po[need] == 0:
        print("FAIL: offline run reports no %s (the basic scenario has them)" % need,
              file=sys.stderr)
        sys.exit(1)

only_live, only_off = live - off, off - live
ndiff = sum(only_live.values()) + sum(only_off.values())
if ndiff:
    for name, c in (("only in live", only_live), ("only in offline", only_off)):
        for r, n in list(c.items())[:10]:
            print("%s (x%d): %s" % (name, n, r))
if ndiff > tolerance:
    print("FAIL: %d option records differ between live and offline (tolerance %d)"
          % (ndiff, tolerance), file=sys.stderr)
    sys.exit(1)
print("PASS: %d option records, live and offline agree (%d differing, tolerance %d)"
      % (sum(off.values()), ndiff, tolerance))
EOF
verdict=$?
exit $verdict
