#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# check.<scenario>: `mpana check` with the scenario's expectation file must
# pass (exit 0) and write JUnit XML that parses.
# usage: run_check.sh MPANA PCAP EXPECT
set -u
mpana=$1 pcap=$2 expect=$3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$mpana" check "$pcap" --expect "$expect" --junit "$tmp/junit.xml"
rc=$?
[ "$rc" -eq 0 ] || { echo "FAIL: mpana check exited $rc"; exit 1; }
python3 - "$tmp/junit.xml" <<'PY' || { echo "FAIL: JUnit XML"; exit 1; }
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
cases = root.findall("./testsuite/testcase")
assert cases and not root.findall(".//failure") and not root.findall(".//error")
print("JUnit: %d testcases, valid XML" % len(cases))
PY
