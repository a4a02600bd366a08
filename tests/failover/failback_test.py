#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""failover.failback: the failed path carrying data again, against the lab.

    failback_test.py MPANA PCAP   (PCAP.truth.json beside it: pcaps/flap.pcap)

The lab knows when it restored each cut path (truth "outages": restore_epoch).
A failback can only come after the path was restored, and before the next
cut: every episode with a failback must have t_failback in
[restore_epoch, next cut_epoch), and failback_ms = t_failback - t_fail. The
first outage of flap.pcap is restored 0.8 s before the second cut, so it
must have one. An episode whose path never came back within the capture has
none. Exit 0 pass, 1 fail.
"""
import json
import subprocess
import sys


def main():
    mpana, pcap = sys.argv[1], sys.argv[2]
    truth = json.load(open(pcap[:-len(".pcap")] + ".truth.json"))
    outs = truth["outages"]
    out = subprocess.run([mpana, "--json", "-q", "-r", pcap], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    recs = [json.loads(l) for l in out if l.strip()]
    eps = [r for r in recs if r.get("record") == "failover" and r["kind"] == "failover"]
    # a failback comes later, as its own record of the same episode
    for fb in (r for r in recs if r.get("record") == "failback"):
        for ep in eps:
            if ep["episode"] == fb["episode"]:
                if ep["t_failback"] is not None:
                    print("FAIL: episode %d: a second failback" % ep["episode"], file=sys.stderr)
                    return 1
                ep.update({k: fb[k] for k in ("t_failback", "failback_frame",
                                              "failback_subflow", "failback_ms")})
    errs = []
    if len(eps) != len(outs):
        errs.append("%d failover episodes, the lab cut the path %d times" % (len(eps), len(outs)))
    for n, (ep, o) in enumerate(zip(sorted(eps, key=lambda r: r["t_fail"]), outs)):
        nxt = outs[n + 1]["cut_epoch"] if n + 1 < len(outs) else float("inf")
        tb = ep["t_failback"]
        print("episode %d: t_fail %+.3f s from the cut, failback %s (restored %+.3f s after "
              "the cut)" % (ep["episode"], ep["t_fail"] - o["cut_epoch"],
                            "none" if tb is None else "%+.3f s" % (tb - o["cut_epoch"]),
                            o["restore_epoch"] - o["cut_epoch"]))
        if tb is None:
            if nxt != float("inf"):
                errs.append("episode %d: no failback, although the path was restored %.1f s "
                            "before the next cut" % (ep["episode"], nxt - o["restore_epoch"]))
            continue
        if not o["restore_epoch"] <= tb < nxt:
            errs.append("episode %d: failback at %.3f, outside [restore %.3f, next cut %.3f)"
                        % (ep["episode"], tb, o["restore_epoch"], nxt))
        if abs(ep["failback_ms"] - (tb - ep["t_fail"]) * 1e3) > 0.01:
            errs.append("episode %d: failback_ms %.3f is not t_failback - t_fail"
                        % (ep["episode"], ep["failback_ms"]))
        if ep["failback_subflow"] is None:
            errs.append("episode %d: failback without its subflow" % ep["episode"])
    for e in errs:
        print("FAIL: " + e, file=sys.stderr)
    if not errs:
        print("PASS")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
