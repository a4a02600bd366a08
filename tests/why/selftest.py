#!/usr/bin/env python3
"""Self-test of drop_frame.py and nstat_compare.py on the bundled captures
(ctest why.tools).  Exit 0 pass, 1 fail."""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PCAPS = os.path.join(HERE, "..", "..", "pcaps")
sys.path.insert(0, HERE)
import drop_frame  # noqa: E402


def frames(data):
    return [p for f, p in (drop_frame.split_pcap(data) if data[:4] in drop_frame.PCAP_MAGICS
                           else drop_frame.split_pcapng(data)) if f]


def run(*args, stdin=None):
    return subprocess.run([sys.executable] + list(args), input=stdin, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def main():
    bad = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, n in (("fallback", 110), ("basic", 195), ("addr_unused", 110)):
            src = os.path.join(PCAPS, name + ".pcap")
            dst = os.path.join(tmp, name + ".pcap")
            r = run(os.path.join(HERE, "drop_frame.py"), src, dst, str(n))
            a, b = frames(open(src, "rb").read()), frames(open(dst, "rb").read())
            if r.returncode or b != a[:n - 1] + a[n:]:
                bad.append("drop_frame %s %d: rc=%d" % (name, n, r.returncode))
        if run(os.path.join(HERE, "drop_frame.py"), src, dst, "100000").returncode != 1:
            bad.append("drop_frame: frame out of range not exit 1")
        truth = os.path.join(PCAPS, "join_rejected.truth.json")
        k = json.load(open(truth))["nstat"]["server"]
        same = json.dumps({"MPTcpExtMPJoinRejected": k["MPTcpExtMPJoinRejected"],
                           "MPTcpExtMPJoinSynRx": k["MPTcpExtMPJoinSynRx"]})
        diff = json.dumps({"MPTcpExtMPJoinRejected": k["MPTcpExtMPJoinRejected"] + 1})
        cmp_ = os.path.join(HERE, "nstat_compare.py")
        for mib, side, want in ((same, "server", 0), (diff, "server", 1),
                                ('{"NoSuchCounter": 0}', "server", 1)):
            r = run(cmp_, "-", truth, "--side", side, stdin=mib)
            if r.returncode != want:
                bad.append("nstat_compare %s: rc=%d, want %d" % (mib, r.returncode, want))
        r = run(cmp_, "-", os.path.join(PCAPS, "basic.truth.json"), "--side", "client",
                stdin="{}")
        if r.returncode != 2:
            bad.append("nstat_compare without nstat: rc=%d, want 2" % r.returncode)
    for b in bad:
        print("FAIL", b)
    print("why.tools:", "FAIL" if bad else "ok")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
