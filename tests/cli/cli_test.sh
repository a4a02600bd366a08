#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Command-line behaviour of mpana: inputs, flags, exit codes, error messages.
# usage: cli_test.sh MPANA PCAP   (PCAP: a small MPTCP capture from pcaps/)
set -u
mpana=$1
pcap=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0

ok()   { passes=$((passes + 1)); }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# expect_rc WANT CMD...: runs CMD, stdout to $tmp/out, stderr to $tmp/err
expect_rc() {
	local want=$1; shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "exit $rc, wanted $want: $*"; sed 's/^/  stderr: /' "$tmp/err" | head -5
		return 1
	fi
	ok
}
expect_grep() { # FILE REGEX WHAT
	if grep -qE "$2" "$1"; then ok; else fail "$3: /$2/ not in $(basename "$1")"; sed 's/^/  /' "$1" | head -5; fi
}

# Reference output.
expect_rc 0 "$mpana" -r "$pcap" && cp "$tmp/out" "$tmp/ref.txt"
expect_grep "$tmp/ref.txt" '^summary: [0-9]+ packets' "text summary"
[ -s "$tmp/err" ] && fail "stderr not empty on a good file: $(head -1 "$tmp/err")"
lines=$(grep -c 'mptcp ' "$tmp/ref.txt")
[ "$lines" -gt 3 ] && ok || fail "too few MPTCP lines ($lines) in $pcap"

# -r - reads standard input, same output.
expect_rc 0 sh -c "cat '$pcap' | '$mpana' -r -"
cmp -s "$tmp/out" "$tmp/ref.txt" && ok || fail "-r - output differs from -r FILE"

# pcapng gives the same output.
if command -v editcap >/dev/null; then
	editcap -F pcapng "$pcap" "$tmp/x.pcapng" >/dev/null 2>&1
	expect_rc 0 "$mpana" -r "$tmp/x.pcapng"
	cmp -s "$tmp/out" "$tmp/ref.txt" && ok || fail "pcapng output differs from pcap"
fi

# -c N stops after N packets.
expect_rc 0 "$mpana" -r "$pcap" -c 3 -q
expect_grep "$tmp/out" '^summary: 3 packets' "-c 3"

# -q: summary only.
expect_rc 0 "$mpana" -r "$pcap" -q
[ "$(grep -c 'mptcp ' "$tmp/out")" -eq 0 ] && ok || fail "-q printed packet lines"
expect_grep "$tmp/out" '^summary:' "-q summary"

# --json: every line is JSON; the last one is the summary.
expect_rc 0 "$mpana" -r "$pcap" --json
python3 - "$tmp/out" <<'PY' && ok || fail "--json output is not JSON Lines with a final summary"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
objs = [json.loads(l) for l in lines]
assert objs and objs[-1].get("record") == "summary"
for o in objs[:-1]:
    if "record" in o:
        continue
    for k in ("frame", "ts", "src", "sport", "dst", "dport", "opt", "len"):
        assert k in o, (k, o)
PY
expect_rc 0 "$mpana" -r "$pcap" --format json -q
expect_grep "$tmp/out" '"record":"summary"' "--format json"

# A BPF filter applies to files; several words are joined.
expect_rc 0 "$mpana" -r "$pcap" -q tcp and port 1
expect_grep "$tmp/out" '^summary: 0 packets' "filter matching nothing"
expect_rc 0 "$mpana" -r "$pcap" -q tcp port 12345
expect_grep "$tmp/out" '^summary: [1-9][0-9]* packets' "filter on port 12345"

# Usage errors exit 2 with a message on stderr.
expect_rc 2 "$mpana" --no-such-flag
expect_rc 2 "$mpana"
expect_grep "$tmp/err" 'exactly one of -r' "no input"
expect_rc 2 "$mpana" -r "$pcap" 'tcp port'
expect_grep "$tmp/err" 'bad filter expression' "bad filter"
expect_rc 2 "$mpana" -r "$pcap" -c 0
expect_rc 2 "$mpana" -r "$pcap" --format xml

# Help and version.
expect_rc 0 "$mpana" --help
expect_grep "$tmp/out" '^Usage: mpana' "--help"
expect_rc 0 "$mpana" -h
expect_rc 0 "$mpana" --version
expect_grep "$tmp/out" '^mpana [0-9]' "--version"
expect_grep "$tmp/out" 'libpcap' "--version names libpcap"

# Missing file, unsupported link type, corrupt files: exit 1, clear message.
expect_rc 1 "$mpana" -r "$tmp/does-not-exist.pcap"
expect_grep "$tmp/err" 'does-not-exist.pcap' "missing file named"
python3 - "$tmp" <<'PY'
import struct, sys
d = sys.argv[1]
hdr = lambda lt: struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, lt)
open(d + "/usb.pcap", "wb").write(hdr(189) + struct.pack("<IIII", 0, 0, 4, 4) + b"abcd")
open(d + "/garbage.pcap", "wb").write(b"this is not a capture file at all")
PY
expect_rc 1 "$mpana" -r "$tmp/usb.pcap"
expect_grep "$tmp/err" 'unsupported link type .*189' "unsupported link type named"
expect_rc 1 "$mpana" -r "$tmp/garbage.pcap"
[ -s "$tmp/err" ] && ok || fail "no message for a garbage file"

# A file cut inside a record: earlier packets are analyzed and printed.
size=$(stat -c %s "$pcap")
head -c $((size - 7)) "$pcap" >"$tmp/cut.pcap"
expect_rc 1 "$mpana" -r "$tmp/cut.pcap"
expect_grep "$tmp/err" 'truncated' "truncated file message"
expect_grep "$tmp/out" '^summary:' "summary after a truncated file"
[ "$(grep -c 'mptcp ' "$tmp/out")" -ge $((lines - 1)) ] && ok || fail "packets lost before the damage"

# Output errors: a full disk is an error, a closed pipe is not.
if [ -w /dev/full ]; then
	expect_rc 1 sh -c "'$mpana' -r '$pcap' > /dev/full"
	expect_grep "$tmp/err" 'No space left' "full disk message"
fi
expect_rc 0 sh -c "'$mpana' -r '$pcap' | head -1 >/dev/null"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
