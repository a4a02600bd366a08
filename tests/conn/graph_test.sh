#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# `mpana graph`: DOT and JSON forms, --conn, errors. RFC 8684 §3.2, §3.4.
# usage: graph_test.sh MPANA PCAP_DIR   (uses basic.pcap and multiconn.pcap)
# `dot -Tsvg` is run when graphviz is installed, else that check is skipped.
set -u
mpana=$1
dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
ok()   { passes=$((passes + 1)); }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
[ -f "$dir/basic.pcap" ] && [ -f "$dir/multiconn.pcap" ] || { echo "no captures"; exit 77; }

"$mpana" graph "$dir/basic.pcap" >"$tmp/g.dot" 2>"$tmp/err" && ok || fail "graph basic.pcap exit $?"
[ -s "$tmp/err" ] && fail "stderr: $(head -1 "$tmp/err")"
head -1 "$tmp/g.dot" | grep -q '^digraph mpana {' && ok || fail "no digraph header"
tail -1 "$tmp/g.dot" | grep -q '^}' && ok || fail "graph not closed"
[ "$(grep -c -- '->' "$tmp/g.dot")" -eq 3 ] && ok || fail "basic: want 3 subflow edges"
grep -q 'announced by server' "$tmp/g.dot" && ok || fail "ADD_ADDR node not marked"
grep -q 'hmac ok' "$tmp/g.dot" && ok || fail "join HMAC verdict missing"
if command -v dot >/dev/null; then
	dot -Tsvg "$tmp/g.dot" >"$tmp/g.svg" 2>"$tmp/dot.err" && ok || fail "dot -Tsvg: $(head -3 "$tmp/dot.err")"
	grep -q '<svg' "$tmp/g.svg" && ok || fail "no svg"
else
	echo "dot not installed: rendering not checked"
fi

"$mpana" graph "$dir/multiconn.pcap" --conn 2 >"$tmp/c2.dot" && ok || fail "--conn 2"
grep -q 'cluster_c2' "$tmp/c2.dot" && ok || fail "--conn 2: no cluster_c2"
grep -q 'cluster_c1\|cluster_c3' "$tmp/c2.dot" && fail "--conn 2 shows other connections" || ok

"$mpana" graph "$dir/multiconn.pcap" --format json >"$tmp/g.jsonl" && ok || fail "--format json"
python3 - "$tmp/g.jsonl" <<'PY' && ok || fail "graph JSON"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert [r["conn"] for r in recs] == [1, 2, 3], recs
for r in recs:
    assert r["record"] == "graph"
    assert len(r["edges"]) == 3
    assert sum(e["initial"] for e in r["edges"]) == 1
    for e in r["edges"]:
        assert 0 <= e["from"] < len(r["nodes"]) and 0 <= e["to"] < len(r["nodes"])
        assert e["hmac_ok"] is (None if e["initial"] else True), e
    assert any(n["announced_by"] == "server" for n in r["nodes"])
PY

"$mpana" graph >/dev/null 2>&1; [ $? -eq 2 ] && ok || fail "graph without TRACE: want exit 2"
"$mpana" graph "$dir/basic.pcap" --format svg >/dev/null 2>&1; [ $? -eq 2 ] && ok || fail "bad format: want exit 2"
"$mpana" graph "$tmp/missing.pcap" >/dev/null 2>&1; [ $? -eq 1 ] && ok || fail "missing file: want exit 1"
"$mpana" graph --help | grep -q '^Usage: mpana graph' && ok || fail "graph --help"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
