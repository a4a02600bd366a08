#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""merge_test.py MPANA PCAPS CASE: several -r inputs read as one trace.

The captures are the lab's `paths` scenario (pcaps/paths*.pcap): one
upload over two paths, each through a bridge namespace, path 1 cut at
t=0.20 s, captured at the client (paths.pcap), the server
(paths.server.pcap) and on each bridge's client-side port
(paths.path1.pcap, paths.path2.pcap).

Cases (the oracle of each in brackets):
  paths     the two per-path captures merged give the connection, its
            subflows, join and failover episode that the capture at the
            client gives [the host capture; the lab's cut time]
  ends      client + server: which packets are the same at both ends and
            the one-way delays per direction [tshark's fields of both
            files, matched here by this script's own rule]
  superset  client + both path captures: every path packet is a copy of a
            client packet, the analysis is the client capture's alone
            [tshark's TCP packet counts]
  frames    every frame number in a merged run names an input and a packet
            in it whose time and addresses are those of the record
            [tshark on that file]
  self      a file merged with itself: analyzed once [tshark's TCP count]
  pcapng    a pcapng input (editcap) merges as its pcap form does
  usage     -r - twice, a missing file, 17 inputs, -i with -r
  filter    a filter applies to every input [the records' addresses]
  mib       `mpana mib` of the two path captures merged: the client
            capture's counters [the client capture; its own test compares
            those with the kernel's]
  check     `mpana check --merge` checks the merged trace: path 2's capture
            alone has an orphan join, both together one failover [the lab]
Exit 0 pass, 1 fail, 77 skip (tshark/editcap missing).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

BASE = 10 ** 12


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def run(args, rc=0):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if rc is not None and p.returncode != rc:
        fail("%s: exit %d (want %d): %s" % (" ".join(args), p.returncode, rc, p.stderr))
    return p


def records(mpana, files, extra=()):
    args = [mpana]
    for f in files:
        args += ["-r", f]
    out = run(args + ["--json"] + list(extra)).stdout
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def by(recs, kind):
    return [r for r in recs if r.get("record") == kind]


def tshark_fields(path, fields, filt="tcp"):
    out = run(["tshark", "-n", "-r", path, "-Y", filt, "-T", "fields",
               "-E", "separator=\t"] + sum([["-e", f] for f in fields], [])).stdout
    return [l.split("\t") for l in out.splitlines()]


def conn_shape(recs):
    """What must not depend on where or how the trace was captured."""
    cs = by(recs, "connection")
    shape = []
    for c in cs:
        sfs = sorted((s["kind"], s["src"], s["sport"], s["dst"], s["dport"],
                      s["bytes"]["fwd"], s["bytes"]["rev"],
                      s["packets"]["fwd"], s["packets"]["rev"])
                     for s in c.get("subflows", []))
        shape.append((c["tokens"]["client"], c["tokens"]["server"],
                      c["client"]["key"], c["server"]["key"], c["state"],
                      c["close_reason"], c["fallback"], tuple(sfs)))
    return sorted(shape)


def episodes(recs):
    return sorted((f["conn"], f["direction"], f["vantage"], f["kind"],
                   f["from_subflow"], f["to_subflow"], f["latency_ms"], f["lost_bytes"])
                  for f in by(recs, "failover"))


def joins(recs):
    return sorted((j["src"], j["sport"], j["dst"], j["dport"], j["outcome"])
                  for j in by(recs, "join_attempt"))


def case_paths(mpana, pc):
    host = records(mpana, [pc + "/paths.pcap"], ["-q"])
    merged = records(mpana, [pc + "/paths.path1.pcap", pc + "/paths.path2.pcap"], ["-q"])
    if not by(host, "connection"):
        fail("paths.pcap: no connection")
    if conn_shape(host) != conn_shape(merged):
        fail("connections differ:\n host   %s\n merged %s" % (conn_shape(host),
                                                            conn_shape(merged)))
    if joins(host) != joins(merged):
        fail("join attempts differ: %s vs %s" % (joins(host), joins(merged)))
    eh, em = episodes(host), episodes(merged)
    if len(eh) != 1 or len(em) != 1:
        fail("want one episode each: host %s merged %s" % (eh, em))
    # the bridge's port sees the client's packets some microseconds later
    if eh[0][:6] != em[0][:6] or eh[0][7] != em[0][7] or abs(eh[0][6] - em[0][6]) > 0.1:
        fail("episode differs: host %s merged %s" % (eh[0], em[0]))
    truth = json.load(open(pc + "/paths.truth.json"))
    cut = truth["t0_epoch"] + [e for e in truth["events"] if e["action"] == "fail_path"][0]["t"]
    fo = by(merged, "failover")[0]
    if not (cut <= fo["t_fail"] <= cut + 0.1):
        fail("t_fail %.6f not within 100 ms after the cut %.6f" % (fo["t_fail"], cut))
    # the episode's frames name the path-1 capture (fail) and path 2 (recovery)
    if fo["fail_frame"] // BASE != 1 or fo["recovered_frame"] // BASE != 2:
        fail("episode frames %d, %d: want inputs 1 and 2" % (fo["fail_frame"],
                                                            fo["recovered_frame"]))
    s = by(merged, "summary")[0]
    if s.get("duplicates") != 0 or [i["file"] for i in s["inputs"]] != [
            pc + "/paths.path1.pcap", pc + "/paths.path2.pcap"]:
        fail("summary inputs/duplicates: %s %s" % (s.get("inputs"), s.get("duplicates")))


KEY = ["frame.time_epoch", "ip.src", "ip.dst", "tcp.srcport", "tcp.dstport",
       "tcp.seq_raw", "tcp.ack_raw", "tcp.flags", "tcp.len", "tcp.payload"]


def oracle_pairs(files, window=1.0):
    """The same rule as merge.h, written from tshark's fields: packets in
    time order (input order on ties); a packet whose key (addresses, ports,
    raw seq/ack, flags, length, first 32 payload bytes) was first seen on
    another input within `window` s, and not yet on this one, is a copy of
    the latest such first sighting."""
    pk = []
    for i, f in enumerate(files, 1):
        for n, row in enumerate(tshark_fields(f, KEY)):
            key = tuple(row[1:9]) + (row[9][:64],)
            pk.append((float(row[0]), i, n, key))
    pk.sort(key=lambda x: (x[0], x[1], x[2]))
    firsts = {}   # key -> [[ts, input, seen set], ...]
    pairs = {}
    dups = 0
    for ts, i, _, key in pk:
        cands = [c for c in firsts.get(key, []) if 0 <= ts - c[0] <= window
                 and i not in c[2]]
        if cands:
            c = max(cands, key=lambda c: c[0])
            c[2].add(i)
            d = pairs.setdefault((c[1], i), [])
            d.append((ts - c[0]) * 1e3)
            dups += 1
        else:
            firsts.setdefault(key, []).append([ts, i, {i}])
    return dups, pairs


def case_ends(mpana, pc):
    files = [pc + "/paths.pcap", pc + "/paths.server.pcap"]
    s = by(records(mpana, files, ["-q"]), "summary")[0]
    dups, pairs = oracle_pairs(files)
    if dups < 300:
        fail("oracle: only %d shared packets" % dups)
    if s["duplicates"] != dups:
        fail("duplicates %d, oracle %d" % (s["duplicates"], dups))
    got = {(p["first"], p["second"]): p for p in s["input_pairs"]}
    if set(got) != set(pairs):
        fail("pairs %s, oracle %s" % (sorted(got), sorted(pairs)))
    for k, d in pairs.items():
        p = got[k]
        if p["packets"] != len(d):
            fail("pair %s: %d packets, oracle %d" % (k, p["packets"], len(d)))
        for name, want in (("min", min(d)), ("max", max(d)), ("mean", sum(d) / len(d))):
            if abs(p["delay_ms"][name] - want) > 0.0015:
                fail("pair %s delay %s %.3f ms, oracle %.4f" % (k, name,
                                                               p["delay_ms"][name], want))
    # client first = c2s one-way delay client -> server, and the reverse
    if not all(0 <= got[k]["delay_ms"]["max"] < 5 for k in got):
        fail("one-way delays above 5 ms on a veth lab: %s" % got)
    print("ends: %d shared; %s" % (dups, ", ".join(
        "%d then %d: %d packets, mean %.3f ms" % (k[0], k[1], len(d), sum(d) / len(d))
        for k, d in sorted(pairs.items()))))


def tcp_count(path):
    return len(tshark_fields(path, ["frame.number"]))


def case_superset(mpana, pc):
    host = records(mpana, [pc + "/paths.pcap"], ["-q"])
    files = [pc + "/paths.pcap", pc + "/paths.path1.pcap", pc + "/paths.path2.pcap"]
    merged = records(mpana, files, ["-q"])
    if conn_shape(host) != conn_shape(merged) or episodes(host) != episodes(merged) \
            or joins(host) != joins(merged):
        fail("client + path captures differ from the client capture alone")
    s = by(merged, "summary")[0]
    want = tcp_count(files[1]) + tcp_count(files[2])
    if s["duplicates"] != want:
        fail("duplicates %d, want every TCP packet of the path captures (%d)"
             % (s["duplicates"], want))
    hs = by(host, "summary")[0]
    if s["tcp"] != hs["tcp"]:
        fail("TCP packets analyzed %d, the client capture has %d" % (s["tcp"], hs["tcp"]))


def case_frames(mpana, pc):
    files = [pc + "/paths.pcap", pc + "/paths.server.pcap"]
    recs = records(mpana, files)
    opts = [r for r in recs if "opt" in r and "frame" in r and "record" not in r]
    if len(opts) < 400:
        fail("only %d option records" % len(opts))
    tsh = {}
    for i, f in enumerate(files, 1):
        for row in tshark_fields(f, ["frame.number", "frame.time_epoch", "ip.src",
                                     "tcp.srcport", "ip.dst", "tcp.dstport"]):
            tsh[(i, int(row[0]))] = row[1:]
    inputs = set()
    for r in opts:
        i, n = divmod(r["frame"], BASE)
        inputs.add(i)
        t = tsh.get((i, n))
        if not t:
            fail("frame %d: no TCP packet %d in input %d" % (r["frame"], n, i))
        if abs(float(t[0]) - r["ts"]) > 1e-6 or [t[1], int(t[2]), t[3], int(t[4])] != [
                r["src"], r["sport"], r["dst"], r["dport"]]:
            fail("frame %d: record %s, tshark %s" % (r["frame"], r, t))
    if inputs != {1, 2}:
        fail("option records from inputs %s" % inputs)
    # text: "2:123"
    out = run([mpana, "-r", files[0], "-r", files[1]]).stdout.splitlines()
    if not any(l.startswith("2:") for l in out) or not any(l.startswith("1:") for l in out):
        fail("text lines do not start with INPUT:FRAME")


def case_self(mpana, pc):
    f = pc + "/paths.pcap"
    one = records(mpana, [f], ["-q"])
    two = records(mpana, [f, f], ["-q"])
    if conn_shape(one) != conn_shape(two) or episodes(one) != episodes(two):
        fail("a file merged with itself is not analyzed as the file")
    s = by(two, "summary")[0]
    if s["duplicates"] != tcp_count(f):
        fail("duplicates %d, tshark TCP packets %d" % (s["duplicates"], tcp_count(f)))
    p = s["input_pairs"]
    if len(p) != 1 or p[0]["delay_ms"]["max"] != 0:
        fail("self pair: %s" % p)


def case_pcapng(mpana, pc, tmp):
    ng = os.path.join(tmp, "server.pcapng")
    run(["editcap", "-F", "pcapng", pc + "/paths.server.pcap", ng])
    a = records(mpana, [pc + "/paths.pcap", pc + "/paths.server.pcap"], ["-q"])
    b = records(mpana, [pc + "/paths.pcap", ng], ["-q"])
    sa, sb = by(a, "summary")[0], by(b, "summary")[0]
    if conn_shape(a) != conn_shape(b) or episodes(a) != episodes(b) or \
            sa["duplicates"] != sb["duplicates"] or sa["input_pairs"] != sb["input_pairs"]:
        fail("pcapng input merges differently from its pcap form")


def case_usage(mpana, pc):
    f = pc + "/paths.pcap"
    p = run([mpana, "-r", "-", "-r", "-"], rc=2)
    if "standard input" not in p.stderr:
        fail("-r - twice: %s" % p.stderr)
    p = run([mpana, "-r", f, "-r", os.path.join(pc, "no-such.pcap"), "-q"], rc=1)
    if "no-such.pcap" not in p.stderr or p.stdout:
        fail("missing input: stdout %r stderr %r" % (p.stdout, p.stderr))
    p = run([mpana] + ["-r", f] * 17 + ["-q"], rc=2)
    if "at most 16" not in p.stderr:
        fail("17 inputs: %s" % p.stderr)
    run([mpana, "-r", f, "-r", f, "-i", "lo"], rc=2)
    # stdin as one of the inputs
    with open(f, "rb") as fh:
        q = subprocess.run([mpana, "-r", "-", "-r", pc + "/paths.server.pcap", "-q",
                            "--json"], stdin=fh, stdout=subprocess.PIPE, text=True)
    s = [json.loads(l) for l in q.stdout.splitlines() if '"summary"' in l]
    if q.returncode != 0 or not s or s[0]["inputs"][0]["file"] != "-":
        fail("-r - with a file: rc %d %s" % (q.returncode, s))


def case_filter(mpana, pc):
    files = [pc + "/paths.pcap", pc + "/paths.server.pcap"]
    recs = records(mpana, files, ["src", "host", "10.0.1.1"])
    opts = [r for r in recs if "opt" in r and "record" not in r]
    if not opts or any(r["src"] != "10.0.1.1" for r in opts):
        fail("filter not applied to every input")
    if {r["frame"] // BASE for r in opts} != {1} and \
            by(recs, "summary")[0]["duplicates"] == 0:
        fail("filtered merge found no shared packets")


def case_mib(mpana, pc):
    host = json.loads(run([mpana, "mib", "--json", pc + "/paths.pcap"]).stdout)
    merged = json.loads(run([mpana, "mib", "--json", pc + "/paths.path1.pcap",
                             pc + "/paths.path2.pcap"]).stdout)
    if host != merged or not host.get("MPTcpExtMPJoinSynTx"):
        fail("mib: client capture %s, merged paths %s" % (host, merged))


def case_check(mpana, pc, tmp):
    p1, p2 = pc + "/paths.path1.pcap", pc + "/paths.path2.pcap"
    alone = run([mpana, "check", p2], rc=1).stdout
    if "FAIL  %s  orphan_joins == 0  (measured 1)" % p2 not in alone:
        fail("path 2 alone: %s" % alone)
    ex = os.path.join(tmp, "m.expect")
    with open(ex, "w") as f:
        f.write("orphan_joins == 0\nfailover.count == 1\nhmac_failures == 0\n"
                "failover.max_latency_ms < 1000\n")
    out = run([mpana, "check", "--merge", p1, p2, "--expect", ex], rc=0).stdout
    name = p1 + " + " + p2
    for want in ("orphan_joins == 0  (measured 0)", "failover.count == 1  (measured 1)"):
        if "PASS  %s:" % name not in out or want not in out:
            fail("check --merge: want %r for %r:\n%s" % (want, name, out))
    if "check: 4 passed, 0 failed" not in out:
        fail("check --merge: %s" % out)


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    mpana, pc, case = sys.argv[1:]
    for tool in ("tshark", "editcap"):
        if not shutil.which(tool):
            print("SKIP: %s not installed" % tool)
            return 77
    tmp = tempfile.mkdtemp()
    try:
        if case in ("pcapng", "check"):
            globals()["case_" + case](mpana, pc, tmp)
        else:
            globals()["case_" + case](mpana, pc)
    finally:
        shutil.rmtree(tmp)
    print("PASS: merge %s" % case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
