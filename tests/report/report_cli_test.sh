#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# report.cli: usage errors and exit codes of `mpana report` (docs/report.md).
# usage: report_cli_test.sh MPANA PCAPS_DIR
set -u
M=$1 P=$2
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fails=0
expect() { # expect RC DESCRIPTION -- command...
	local want=$1 what=$2; shift 3
	"$@" >"$T/out" 2>"$T/err"; local rc=$?
	if [ "$rc" != "$want" ]; then
		echo "FAIL: $what: exit $rc, want $want"; cat "$T/err"; fails=$((fails + 1))
	else
		echo "ok: $what"
	fi
}
expect 2 "no -o" -- "$M" report "$P/basic.pcap"
expect 2 "no input" -- "$M" report -o "$T/x.html"
expect 0 "two traces, merged" -- "$M" report "$P/paths.path1.pcap" "$P/paths.path2.pcap" -o "$T/m.html"
grep -q 'frame 2:' "$T/m.html" || { echo "FAIL: merged report without INPUT:FRAME frames"; fails=$((fails + 1)); }
"$M" -r "$P/basic.pcap" -q --db "$T/b.db" >/dev/null
expect 2 "a database and a trace" -- "$M" report "$T/b.db" "$P/prio.pcap" -o "$T/x.html"
expect 2 "bad --conn" -- "$M" report "$P/basic.pcap" -o "$T/x.html" --conn zero
expect 0 "--help" -- "$M" report --help
expect 1 "missing trace" -- "$M" report "$T/none.pcap" -o "$T/x.html"
printf 'not a capture' >"$T/junk"
expect 1 "not a capture" -- "$M" report "$T/junk" -o "$T/x.html"
expect 1 "unknown --conn" -- "$M" report "$P/basic.pcap" -o "$T/x.html" --conn 99
expect 1 "unwritable output" -- "$M" report "$P/basic.pcap" -o "$T/no/such/dir/x.html"
expect 0 "trace" -- "$M" report "$P/basic.pcap" -o "$T/ok.html"
grep -q '</html>' "$T/ok.html" || { echo "FAIL: incomplete page"; fails=$((fails + 1)); }
exit $((fails > 0))
