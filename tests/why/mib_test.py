#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""`mpana mib` against the kernel's own counters of the lab runs.

For every capture whose truth file has `nstat` (client side on X.pcap,
server side on strip_after.server.pcap):
  * `mpana mib --json --side S` equals the namespace's counters on every
    counter it prints (tests/why/nstat_compare.py);
  * `--nstat` on the namespace's counters (JSON as `nstat -a --json` writes
    it, and the text form) exits 0, and 1 on a doctored copy;
  * `--side ADDR` with one of the endpoint's addresses gives what its role
    gives.
Plus the usage errors (exit 2). Temporary files go under $TMPDIR.

usage: mib_test.py MPANA PCAPS_DIR NSTAT_COMPARE
"""
import json
import os
import subprocess
import sys
import tempfile

CASES = [  # capture, truth, side, an address of that endpoint
    ("join_timeout.pcap", "join_timeout", "client", "10.0.1.1"),
    ("join_rejected.pcap", "join_rejected", "client", "10.0.2.1"),
    ("addr_unused.pcap", "addr_unused", "client", "10.0.1.1"),
    ("strip_after.pcap", "strip_after", "client", "10.0.1.1"),
    ("strip_after.server.pcap", "strip_after", "server", "10.0.1.2"),
    ("strip_synack.pcap", "strip_synack", "client", "10.0.1.1"),
    ("syn_blackhole.pcap", "syn_blackhole", "client", "10.0.1.1"),
    ("syn_blackhole.server.pcap", "syn_blackhole", "server", "10.0.1.2"),
]

failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg)


def run(args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True, text=True)


def main():
    mpana, pcaps, compare = sys.argv[1:4]
    tmp = tempfile.mkdtemp(prefix="mib-test.")
    try:
        for pcap, truth_name, side, addr in CASES:
            trace = os.path.join(pcaps, pcap)
            truth_path = os.path.join(pcaps, truth_name + ".truth.json")
            with open(truth_path) as f:
                kernel = json.load(f)["nstat"][side]
            name = f"{pcap} --side {side}"

            r = run([mpana, "mib", "--json", "--side", side, trace])
            if r.returncode != 0:
                fail(f"{name}: exit {r.returncode}: {r.stderr}")
                continue
            mib = json.loads(r.stdout)
            if len(mib) < 28 or not all(k.startswith("MPTcpExt") for k in mib):
                fail(f"{name}: unexpected keys {list(mib)}")
            c = run([sys.executable, compare, "-", truth_path, "--side", side], r.stdout)
            if c.returncode != 0:
                fail(f"{name}: differs from the kernel:\n{c.stdout}{c.stderr}")

            # the text output: one line per counter, the same values
            t = run([mpana, "mib", "--side", side, trace])
            rows = dict((ln.split()[0], int(ln.split()[1])) for ln in t.stdout.splitlines())
            if t.returncode != 0 or rows != mib:
                fail(f"{name}: text output differs from --json")

            # an address of the endpoint names the same host
            a = run([mpana, "mib", "--json", "--side", addr, trace])
            if a.returncode != 0 or json.loads(a.stdout) != mib:
                fail(f"{name}: --side {addr} differs from --side {side}")

            # --nstat: nstat's JSON (all of its counters, zeros left out
            # as nstat does without -z), then its text form
            ns = {"kernel": {k: v for k, v in kernel.items() if v}}
            js = os.path.join(tmp, f"{truth_name}.{side}.json")
            with open(js, "w") as f:
                json.dump(ns, f)
            n = run([mpana, "mib", "--side", side, "--nstat", js, trace])
            if n.returncode != 0:
                fail(f"{name}: --nstat exit {n.returncode}:\n{n.stdout}{n.stderr}")
            txt = os.path.join(tmp, f"{truth_name}.{side}.txt")
            with open(txt, "w") as f:
                f.write("#kernel\n")
                for k, v in kernel.items():
                    f.write(f"{k:<40}{v:<10}0.0\n")
            n = run([mpana, "mib", "--side", side, "--nstat", txt, trace])
            if n.returncode != 0:
                fail(f"{name}: --nstat (text) exit {n.returncode}:\n{n.stdout}{n.stderr}")

            # a doctored file: one derived counter off by one
            bad = dict(kernel)
            key = "MPTcpExtMPCapableSYNTX" if side == "client" else "MPTcpExtMPCapableSYNRX"
            bad[key] += 1
            bp = os.path.join(tmp, f"{truth_name}.{side}.bad.json")
            with open(bp, "w") as f:
                json.dump({"kernel": bad}, f)
            n = run([mpana, "mib", "--side", side, "--nstat", bp, trace])
            if n.returncode != 1:
                fail(f"{name}: doctored --nstat exit {n.returncode}, want 1")
            elif not any(ln.startswith(key) and ln.rstrip().endswith("-1")
                         for ln in n.stdout.splitlines()):
                fail(f"{name}: doctored --nstat does not show {key} -1:\n{n.stdout}")
            else:
                os.unlink(bp)
            os.unlink(js)
            os.unlink(txt)

        # usage and input errors: exit 2
        trace = os.path.join(pcaps, "basic.pcap")
        empty = os.path.join(tmp, "empty.json")
        open(empty, "w").close()
        for args in (["mib"], ["mib", "-", "-"], ["mib", "--side", "nowhere", trace],
                     ["mib", os.path.join(tmp, "missing.pcap")],
                     ["mib", "--nstat", os.path.join(tmp, "missing.json"), trace],
                     ["mib", "--nstat", empty, trace],
                     ["mib", "--side", "10.0.1.1", "-"], ["mib", "--bogus", trace]):
            r = run([mpana] + args)
            if r.returncode != 2 or not r.stderr:
                fail(f"{' '.join(args)}: exit {r.returncode}, want 2 with a message")
        os.unlink(empty)
    finally:
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)
    print(f"mib_test: {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
