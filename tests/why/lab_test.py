#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""What the kernel did in a fresh lab run vs what mpana finds in its captures.

    lab_test.py MPANA SCENARIO

Runs the lab scenario (tests/lab/lab.py --out DIR SCENARIO: real MPTCP
traffic between network namespaces) into a directory under $TMPDIR. The
lab saves `nstat -asz --json` of both namespaces in the run's truth file
(end minus start) and what the scenario made happen ("why", "expected").
Then, on that run:

  * mib: for every capture of the run (the client namespace's, and the
    server namespace's where the scenario captures there too), `mpana mib
    --json --side ADDR CAPTURE` (ADDR: the namespace's path-1 address,
    which names the host whatever role its socket had: in the simultaneous
    open both connect) prints counters whose values equal, one by one, the
    counters the kernel of that namespace counted in that run (compared
    here, key by key: every counter mib prints, none left out); `mpana mib
    --nstat FILE` on the same counters agrees (exit 0);
  * fallbacks: on every capture, exactly the fallbacks (form, side, per
    connection) the run's truth file names, which must also be what the
    kernels' fallback counters say (tests/why/fallback_test.py); no stall
    but where the scenario makes one (strip_after, client side);
  * joins and addresses: tests/why/joins_test.py on the run's first
    capture with its truth file (join outcomes, address verdicts, expected
    subflows, the kernel's join and ADD_ADDR counters, against tshark);
  * a missed packet: the first capture without one frame that carried a
    DSS mapping (the first segment of a mapping spanning several) shows
    the same fallbacks, stalls and join outcomes.

A lab run that fails (the capture does not show what the scenario claims,
e.g. under heavy load) is repeated once: that is the fixture, not the
subject. A difference between mpana and the kernel is never retried.
Everything made in $TMPDIR is removed.

Exit status: 0 pass, 1 a difference or a lab failure, 77 the lab cannot
run here (not root, no namespaces, no MPTCP, a tool missing).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
LAB = os.path.join(HERE, "..", "lab", "lab.py")
sys.path.insert(0, HERE)


def run_lab(out, name):
    """The lab's exit status (0, 1, 77) after at most two attempts."""
    for attempt in (1, 2):
        r = subprocess.run([sys.executable, LAB, "--out", out, name],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=120)
        if r.returncode in (0, 77):
            if r.returncode == 77:
                print("SKIP: " + (r.stdout.strip().splitlines() or ["lab cannot run"])[-1])
            return r.returncode
        print("lab run %d of %s failed:\n%s" % (attempt, name, r.stdout.strip()))
    return 1


def compare(mpana, out, name, cap, side, addr, kernel):
    """Differences (list of strings) between mib on `cap` for the host
    with address `addr` (the `side` namespace) and `kernel`."""
    pcap = os.path.join(out, cap)
    r = subprocess.run([mpana, "mib", "--json", "--side", addr, pcap],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        return ["%s: mpana mib exit %d: %s" % (cap, r.returncode, r.stderr.strip())]
    mib = json.loads(r.stdout)
    bad = []
    if not mib:
        bad.append("%s: mib printed no counter" % cap)
    for k, v in mib.items():
        if k not in kernel:
            bad.append("%s: %s not in the kernel's counters" % (cap, k))
        elif v != kernel[k]:
            bad.append("%s --side %s: %s mib %d kernel %d" % (cap, addr, k, v, kernel[k]))
    print("%-24s %-6s %d counters, %d differ%s" % (
        cap, side, len(mib), len(bad),
        "".join("\n    " + b for b in bad)))
    # the same through --nstat (nstat's own JSON form)
    ns = os.path.join(out, "%s.%s.nstat.json" % (name, side))
    with open(ns, "w") as f:
        json.dump({"kernel": kernel}, f)
    n = subprocess.run([mpana, "mib", "--side", addr, "--nstat", ns, pcap],
                       capture_output=True, text=True, timeout=300)
    want = 1 if bad else 0
    if n.returncode != want:
        bad.append("%s: mib --nstat exit %d, want %d:\n%s" % (cap, n.returncode, want,
                                                             n.stdout))
    return bad


def why_checks(mpana, out, name, truth):
    """Fallbacks, stalls, joins and a missed packet on the run's captures."""
    import fallback_test as ft
    ft.ERRS.clear()
    first = truth["captures"][0]["file"]
    want_first = None
    for c in truth["captures"]:
        want = ft.expect_from_why(truth, c["file"])
        if c["file"] == first:
            want_first = want
            kern = ft.expect_from_nstat(truth)
            if kern != want:
                ft.err("%s: the scenario says %s, the kernels' counters %s"
                       % (c["file"], want, kern))
        stalls = 1 if c["file"] == "strip_after.pcap" else 0
        ft.check_capture(mpana, c["file"], os.path.join(out, c["file"]), want, stalls)
    pcap = os.path.join(out, first)
    j = subprocess.run([sys.executable, os.path.join(HERE, "joins_test.py"), mpana, pcap,
                        "--truth", os.path.join(out, name + ".truth.json")],
                       capture_output=True, text=True, timeout=600)
    print(j.stdout.strip().splitlines()[-1] if j.stdout.strip() else "joins_test: no output")
    if j.returncode not in (0, 77):
        ft.err("joins_test on %s: exit %d\n%s%s" % (first, j.returncode, j.stdout, j.stderr))
    n = ft.mapping_frame(pcap)
    if n is not None:
        cut = os.path.join(out, "cut.pcap")
        subprocess.run([sys.executable, os.path.join(HERE, "drop_frame.py"), pcap, cut, str(n)],
                       check=True)
        ft.check_capture(mpana, "%s without frame %d" % (first, n), cut, want_first,
                         1 if first == "strip_after.pcap" else 0, proof=False,
                         joins_want=ft.JOINS[pcap])
    return list(ft.ERRS)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    mpana, name = os.path.abspath(sys.argv[1]), sys.argv[2]
    out = tempfile.mkdtemp(prefix="why-lab.")
    try:
        rc = run_lab(out, name)
        if rc != 0:
            return rc
        with open(os.path.join(out, name + ".truth.json")) as f:
            truth = json.load(f)
        if "nstat" not in truth:
            print("FAIL: the truth file has no nstat")
            return 1
        bad = []
        for c in truth["captures"]:
            side = c["where"].split()[0]   # "client namespace" / "server namespace"
            if side not in ("client", "server"):
                continue   # a bridge's port (paths): no endpoint, no counters
            addr = truth["paths"]["1"][side]
            bad += compare(mpana, out, name, c["file"], side, addr, truth["nstat"][side])
        bad += why_checks(mpana, out, name, truth)
        if bad:
            print("FAIL: %d difference(s) between mpana and the kernel or the run" % len(bad))
            return 1
        print("ok: %s, %d capture(s): every counter mib prints equals the kernel's; "
              "fallbacks, stalls, joins and addresses as the run made them"
              % (name, len(truth["captures"])))
        return 0
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
