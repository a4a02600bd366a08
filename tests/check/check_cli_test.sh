#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# mpana check's contract: a false expectation fails (exit 1) and is shown
# with its measured value; a broken expectation file exits 2 naming the
# line; a trace that cannot be read exits 2; the default checks pass on a
# healthy trace and fail on a fallback one; JUnit XML records failures; an
# SQL error mid-query is an error; SIGINT stops it and leaves nothing behind.
# usage: check_cli_test.sh MPANA PCAPS_DIR
set -u
mpana=$1 pcaps=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
passes=0 fails=0
t() { # WANT_RC DESCRIPTION CMD...
	local want=$1 what=$2; shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
	if [ "$rc" -eq "$want" ]; then passes=$((passes + 1)); else
		fails=$((fails + 1)); echo "FAIL: $what: exit $rc, wanted $want"; sed 's/^/  /' "$tmp/out" "$tmp/err" | head -8; fi
}
has() { # FILE REGEX DESCRIPTION
	if grep -qE "$2" "$1"; then passes=$((passes + 1)); else fails=$((fails + 1)); echo "FAIL: $3: /$2/ not found"; sed 's/^/  /' "$1" | head -5; fi
}

printf 'connections == 7\nhmac_failures == 0\n' >"$tmp/false.expect"
t 1 "a false expectation fails" "$mpana" check "$pcaps/basic.pcap" --expect "$tmp/false.expect" --junit "$tmp/f.xml"
has "$tmp/out" '^FAIL .*connections == 7 +\(measured 1\)' "failing line with the measured value"
has "$tmp/out" '^PASS .*hmac_failures == 0' "the other expectation still evaluated"
python3 - "$tmp/f.xml" <<'PY' && passes=$((passes + 1)) || { fails=$((fails + 1)); echo "FAIL: JUnit failure element"; }
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
f = r.findall(".//testcase/failure")
assert len(f) == 1 and "measured 1" in f[0].get("message"), [x.attrib for x in f]
assert r.get("failures") == "1"
PY

printf '# fine\nconnections == 1\nsubflows >=\n' >"$tmp/broken.expect"
t 2 "a broken expectation file" "$mpana" check "$pcaps/basic.pcap" --expect "$tmp/broken.expect"
has "$tmp/err" 'broken.expect:3: ' "the error names line 3"
printf 'no_such_metric > 1\n' >"$tmp/unknown.expect"
t 2 "an unknown metric" "$mpana" check "$pcaps/basic.pcap" --expect "$tmp/unknown.expect"
has "$tmp/err" 'unknown.expect:1: unknown metric' "unknown metric message"
# an SQL error while stepping (not preparing) is an error: exit 2, with
# SQLite's message on stdout (the ERROR line) and on stderr
printf 'connections == 1\nsql: WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5) SELECT max(CASE WHEN x < 3 THEN x ELSE abs(-9223372036854775808) END) FROM n ; == 1\n' >"$tmp/overflow.expect"
t 2 "an SQL error mid-query" "$mpana" check "$pcaps/basic.pcap" --expect "$tmp/overflow.expect"
has "$tmp/out" '^ERROR .*:2: sql: .*integer overflow' "ERROR line with the message"
has "$tmp/err" 'integer overflow' "the message on stderr"
has "$tmp/out" '^PASS .*connections == 1' "the other expectation still evaluated"
t 2 "a missing expectation file" "$mpana" check "$pcaps/basic.pcap" --expect "$tmp/none.expect"
t 2 "a trace that does not exist" "$mpana" check "$tmp/none.pcap"
t 2 "no trace" "$mpana" check
t 0 "default checks on a healthy trace" "$mpana" check "$pcaps/basic.pcap" "$pcaps/multiconn.pcap"
has "$tmp/out" 'handshake_order valid' "default checks listed"
t 1 "default checks on a fallback trace" "$mpana" check "$pcaps/fallback.pcap"
has "$tmp/out" '^FAIL .*handshake_order valid' "fallback is not a valid MPTCP handshake"

# SIGINT during the analysis: the run stops, the traces left are not
# analyzed, exit 2, and the temporary databases are removed (the test runs
# with a private TMPDIR that must be empty afterwards)
python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); open(sys.argv[2], "wb").write(d + d[24:] * 300)' \
	"$pcaps/flap.pcap" "$tmp/big.pcap"
"$mpana" check "$tmp/big.pcap" "$pcaps/basic.pcap" >"$tmp/out" 2>"$tmp/err" & pid=$!
sleep 0.3; kill -INT "$pid"; wait "$pid"; rc=$?
if [ "$rc" -eq 2 ]; then passes=$((passes + 1)); else fails=$((fails + 1)); echo "FAIL: SIGINT: exit $rc, wanted 2"; fi
has "$tmp/err" 'big.pcap: interrupted' "interrupted message"
has "$tmp/out" '^ERROR .*basic.pcap: the trace could not be analyzed' "later traces not analyzed"
left=$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'mpana-check.*' -newer "$tmp/big.pcap")
if [ -z "$left" ]; then passes=$((passes + 1)); else fails=$((fails + 1)); echo "FAIL: left behind: $left"; fi

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
