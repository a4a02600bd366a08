#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""`mpana check --tap FILE`: TAP version 13 that a TAP consumer accepts and
that says what the text output says (docs/check.md).

Runs check on passing, failing and unreadable traces, parses the TAP file
(version line, plan, consecutive test points, YAML blocks under failures
only) and compares: one test point per text line, "ok" for PASS, "not ok"
for FAIL and ERROR, the same measured values. Temporary files go under
$TMPDIR.

usage: tap_test.py MPANA PCAPS_DIR
"""
import os
import re
import subprocess
import sys
import tempfile

failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg)


def parse_tap(text):
    """Returns (plan, [(ok, num, desc, yaml_lines)]) or raises ValueError."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != "TAP version 13":
        raise ValueError("first line is not 'TAP version 13'")
    m = re.fullmatch(r"1\.\.(\d+)", lines[1] if len(lines) > 1 else "")
    if not m:
        raise ValueError("no plan on the second line")
    plan = int(m.group(1))
    points, i = [], 2
    while i < len(lines):
        m = re.fullmatch(r"(ok|not ok) (\d+) - (.*)", lines[i])
        if not m:
            raise ValueError(f"line {i + 1}: not a test point: {lines[i]!r}")
        i += 1
        yaml = []
        if i < len(lines) and lines[i] == "  ---":
            i += 1
            while i < len(lines) and lines[i] != "  ...":
                if not lines[i].startswith("  "):
                    raise ValueError(f"line {i + 1}: YAML not indented")
                yaml.append(lines[i].strip())
                i += 1
            if i == len(lines):
                raise ValueError("YAML block without its '...'")
            i += 1
        points.append((m.group(1) == "ok", int(m.group(2)), m.group(3), yaml))
    return plan, points


def check_run(mpana, args, tmp, name, want_rc):
    tap = os.path.join(tmp, name + ".tap")
    r = subprocess.run([mpana, "check"] + args + ["--tap", tap],
                       capture_output=True, text=True)
    if r.returncode != want_rc:
        fail(f"{name}: exit {r.returncode}, want {want_rc}: {r.stderr}")
    try:
        with open(tap) as f:
            plan, points = parse_tap(f.read())
    except (OSError, ValueError) as e:
        fail(f"{name}: {e}")
        return
    finally:
        if os.path.exists(tap):
            os.unlink(tap)
    text = [ln for ln in r.stdout.splitlines() if re.match(r"(PASS|FAIL|ERROR)", ln)]
    if plan != len(points):
        fail(f"{name}: plan 1..{plan} but {len(points)} test points")
    if [p[1] for p in points] != list(range(1, len(points) + 1)):
        fail(f"{name}: test points not numbered 1..{len(points)}")
    if len(points) != len(text):
        fail(f"{name}: {len(points)} test points, {len(text)} text lines")
        return
    n_ok = sum(1 for p in points if p[0])
    if n_ok != sum(1 for t in text if t.startswith("PASS")):
        fail(f"{name}: {n_ok} ok, text has another count of PASS")
    m = re.search(r"check: (\d+) passed", r.stdout)
    if not m or int(m.group(1)) != n_ok:
        fail(f"{name}: summary line disagrees with {n_ok} ok")
    for (ok, num, desc, yaml), line in zip(points, text):
        if ok != line.startswith("PASS"):
            fail(f"{name}: point {num} {'ok' if ok else 'not ok'} vs {line!r}")
        if ok == bool(yaml):
            fail(f"{name}: point {num}: YAML block {'on a pass' if ok else 'missing'}")
        tm = re.search(r"\(measured (.*)\)$", line)
        if tm and f"(measured {tm.group(1).replace('#', chr(92) + '#')})" not in desc:
            fail(f"{name}: point {num}: measured value differs: {desc!r} vs {line!r}")
        if not ok and not any(y.startswith("message: ") for y in yaml):
            fail(f"{name}: point {num}: YAML block without message")
        if line.startswith("FAIL") and not any(y.startswith("measured: ") for y in yaml):
            fail(f"{name}: point {num}: failure without its measured value")


def main():
    mpana, pcaps = sys.argv[1:3]
    tmp = tempfile.mkdtemp(prefix="tap-test.")
    try:
        exp = os.path.join(tmp, "x.expect")
        with open(exp, "w") as f:
            f.write("connections == 1\nfailover.count >= 1  # basic fails this\n"
                    "option.mp_join > 0\n")
        basic = os.path.join(pcaps, "basic.pcap")
        failover = os.path.join(pcaps, "failover.pcap")
        missing = os.path.join(tmp, "missing.pcap")
        check_run(mpana, [basic], tmp, "defaults", 0)
        check_run(mpana, [basic, failover, "--expect", exp], tmp, "failing", 1)
        check_run(mpana, [basic, missing, failover, "--expect", exp], tmp, "unreadable", 2)
        # an expectation with '#' and quotes in it stays one escaped line
        with open(exp, "w") as f:
            f.write("sql: SELECT count(*) FROM connections WHERE '#' <> '\"' ; == 2\n")
        check_run(mpana, [basic, "--expect", exp], tmp, "escaped", 1)
        os.unlink(exp)
    finally:
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)
    print(f"tap_test: {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
