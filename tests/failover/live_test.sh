#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# failover.live: a failover seen live is reported while it happens.
#
#   tests/failover/live_test.sh /path/to/mpana
#
# Runs the lab's `failover` scenario (real kernel MPTCP traffic; path 1 dies
# silently at t = 0.2 s while the client uploads) with
#     MPANA --json -l -i any port 12345
# capturing live in the client namespace beside the lab's tcpdump. Requires:
#   1. live mpana exits 0 after SIGINT, ending with the summary record;
#   2. its {"record":"failover"} for subflow 1 (c2s, sender view, kind
#      failover) was written as soon as the episode was complete: before the
#      connection record, and followed by option records of later packets
#      (it did not wait for the end of the capture);
#   3. the same episode from `mpana -r` on tcpdump's file of the same packets
#      has the same frames' worth of latency (within 5 ms: two captures);
#   4. t_fail lies within 50 ms after the lab's cut (the truth file).
# Exit 0 pass, 1 fail, 77 skip (not root, no namespaces, no MPTCP, tools).
set -u

MPANA=${1:-}
HERE=$(cd "$(dirname "$0")" && pwd)
LAB="$HERE/../lab/lab.py"

skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -x "$MPANA" ] || fail "usage: $0 /path/to/mpana"
MPANA=$(cd "$(dirname "$MPANA")" && pwd)/$(basename "$MPANA")
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
for t in ip tc nft tcpdump python3; do
	command -v "$t" >/dev/null 2>&1 || skip "missing tool: $t"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mpana-fo-live.XXXXXX") || fail "mktemp"
trap 'rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM

python3 "$LAB" --out "$WORK" --filter "port 12345" \
	--live-cmd "$MPANA --json -l -i any port 12345" --live-wait 30 failover
rc=$?
[ $rc = 77 ] && skip "lab cannot run here"
[ $rc = 0 ] || fail "lab.py failed (exit $rc)"
[ "$(cat "$WORK/failover.live.rc" 2>/dev/null)" = 0 ] ||
	fail "live mpana exit status $(cat "$WORK/failover.live.rc" 2>/dev/null) after SIGINT"
"$MPANA" --json -q -r "$WORK/failover.pcap" >"$WORK/offline.jsonl" ||
	fail "mpana -r on the lab's capture"

python3 - "$WORK/failover.live.stdout" "$WORK/offline.jsonl" "$WORK/failover.truth.json" <<'PY'
import json, sys

live = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
off = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
truth = json.load(open(sys.argv[3]))
errs = []

def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)

if not live or live[-1].get("record") != "summary":
    fail("live output does not end with the summary record")

def episode(recs, what):
    eps = [(i, r) for i, r in enumerate(recs) if r.get("record") == "failover"
           and r["direction"] == "c2s" and r["kind"] == "failover"
           and r["vantage"] == "sender"]
    if len(eps) != 1:
        fail("%s: %d c2s failover episodes from the sender's view, expected 1: %s"
             % (what, len(eps), [r for _, r in eps]))
    return eps[0]

i, ep = episode(live, "live")
_, ep_off = episode(off, "offline")
conn_at = min((k for k, r in enumerate(live) if r.get("record") == "connection"),
              default=len(live))
if i > conn_at:
    fail("the failover record came after the connection record (at exit?)")
later = [r for r in live[i + 1:] if "opt" in r and r["frame"] > ep["recovered_frame"]]
print("live: episode at line %d of %d, latency %.3f ms; %d option records of later packets "
      "after it" % (i + 1, len(live), ep["latency_ms"], len(later)))
if not later:
    fail("no packet records after the failover record: it was not written as soon as complete")
print("offline (tcpdump's file): latency %.3f ms" % ep_off["latency_ms"])
if abs(ep["latency_ms"] - ep_off["latency_ms"]) > 5:
    fail("live latency %.3f ms, offline %.3f ms" % (ep["latency_ms"], ep_off["latency_ms"]))
cut = truth.get("t0_epoch", 0) + 0.2
outs = truth.get("outages") or []
if outs:
    cut = outs[0].get("cut_epoch", cut)
d = ep["t_fail"] - cut
print("t_fail - cut = %.1f ms" % (d * 1e3))
if not -0.05 <= d <= 0.05:
    fail("t_fail %.1f ms away from the lab's cut" % (d * 1e3))
print("PASS")
PY
