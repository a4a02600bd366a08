#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""pairs.py - N alternating runs of two shell commands, for comparisons on a
shared machine (docs/performance.md): both see the same moments of load.

    bench/pairs.py N 'COMMAND A' 'COMMAND B'

Prints the median and minimum wall time of each, the ratio of the medians,
the median of the per-pair ratios, the ratio of the minima, and the median
CPU time (user + system of the command and its children, all threads) of
each with its ratio. Output of the commands goes to /dev/null.
"""
import resource
import statistics as st
import subprocess
import sys
import time


def run(cmd):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    n, a, b = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    runs = [run(a) + run(b) for _ in range(n)]
    wa, ca, wb, cb = ([r[i] for r in runs] for i in range(4))
    print("A %.3f s (min %.3f), B %.3f s (min %.3f); wall: ratio of medians %.2f, "
          "median pair ratio %.2f, ratio of minima %.2f; CPU: A %.3f s, B %.3f s, ratio %.2f (n=%d)"
          % (st.median(wa), min(wa), st.median(wb), min(wb), st.median(wa) / st.median(wb),
             st.median([x / y for x, y in zip(wa, wb)]), min(wa) / min(wb),
             st.median(ca), st.median(cb), st.median(ca) / st.median(cb), n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
