#!/usr/bin/env python3
"""nstat_compare.py MIB_JSON TRUTH_JSON --side client|server

Compares counters derived from a capture (MIB_JSON: a JSON object whose keys
are full nstat names, e.g. {"MPTcpExtMPJoinSynTx": 1, ...}; also accepted:
nstat's own {"kernel": {...}} form) with the kernel's counters that the lab
saved for one namespace in TRUTH_JSON ("nstat": {"client": {...},
"server": {...}}).  Only the keys present in MIB_JSON are compared; a key the
truth file does not have counts as a difference unless --allow-missing.
MIB_JSON may be "-" (standard input).

Prints one line per counter: name, the MIB_JSON value, the kernel's value,
and the difference (MIB_JSON - kernel) or "ok"; then a summary line.
Exit status: 0 all equal, 1 any difference, 2 usage or input error.
Standard library only.
"""

import argparse
import json
import sys


def load(path, what):
    try:
        if path == "-":
            return json.load(sys.stdin)
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise SystemExit("nstat_compare.py: cannot read %s %s: %s" % (what, path, e))


def counters(obj, what):
    if isinstance(obj, dict) and isinstance(obj.get("kernel"), dict):
        obj = obj["kernel"]                       # nstat --json
    if not isinstance(obj, dict):
        raise SystemExit("nstat_compare.py: %s is not a JSON object" % what)
    for k, v in obj.items():
        if isinstance(v, bool) or not isinstance(v, int):
            raise SystemExit("nstat_compare.py: %s: %s is not an integer: %r"
                             % (what, k, v))
    return obj


def main():
    p = argparse.ArgumentParser(
        description="Compare capture-derived counters with the kernel's (lab truth "
        "file), counter by counter, for the keys in MIB_JSON.")
    p.add_argument("mib", metavar="MIB_JSON")
    p.add_argument("truth", metavar="TRUTH_JSON")
    p.add_argument("--side", required=True, choices=("client", "server"),
                   help="which namespace's counters of the truth file")
    p.add_argument("--allow-missing", action="store_true",
                   help="a counter the truth file lacks is reported, not a difference")
    try:
        a = p.parse_args()
    except SystemExit as e:
        return 2 if e.code else 0
    try:
        mib = counters(load(a.mib, "MIB_JSON"), "MIB_JSON")
        truth = load(a.truth, "truth file")
        nstat = truth.get("nstat") if isinstance(truth, dict) else None
        if not isinstance(nstat, dict) or not isinstance(nstat.get(a.side), dict):
            raise SystemExit("nstat_compare.py: %s has no nstat.%s (only captures made "
                             "since the lab saves counters have them)"
                             % (a.truth, a.side))
        kernel = counters(nstat[a.side], "truth nstat.%s" % a.side)
    except SystemExit as e:
        sys.stderr.write("%s\n" % e.code)
        return 2
    w = max([len("counter")] + [len(k) for k in mib])
    print("%-*s %10s %10s  %s" % (w, "counter", "mib", "kernel", "diff"))
    diffs = missing = 0
    for k in mib:                              # MIB_JSON's order
        m = mib[k]
        if k not in kernel:
            print("%-*s %10d %10s  %s" % (w, k, m, "-", "not in truth"))
            missing += 1
            continue
        d = m - kernel[k]
        print("%-*s %10d %10d  %s" % (w, k, m, kernel[k], "ok" if d == 0 else "%+d" % d))
        diffs += d != 0
    bad = diffs + (0 if a.allow_missing else missing)
    print("%d counters compared (%s side): %d differ, %d not in the truth file"
          % (len(mib), a.side, diffs, missing))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
