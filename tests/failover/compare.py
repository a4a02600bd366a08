#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""mpana's failover episodes and reinjections vs the independent oracle
(oracle.py, tshark fields only) and the lab's ground truth.

usage:
  compare.py episodes MPANA PCAP [--sender-pcap PCAP2]
      every oracle episode has an mpana episode (same connection, direction,
      vantage and from-subflow 4-tuple, t_fail within max(RTT, 5 ms)) with
      the latency within 5 ms, the same kind, lower_bound and to-subflow;
      mpana reports no episode the oracle lacks. With --sender-pcap (the
      simultaneous sender-side capture of a receiver-side PCAP), each
      receiver-side episode's latency must be within max(20 ms, 10 %) of the
      same episode's sender-side latency (oracle on PCAP2).
      With PCAP's truth file (X.truth.json, or the one of X for X.server.pcap):
      each cut of the truth's "outages" has exactly one oracle and one mpana
      episode on the failed path's subflow in the truth's data direction,
      t_fail in [cut - pacing interval - 20 ms, cut_done + max(RTT, 5 ms)],
      t_recovered after the cut and before the restore (when restored).
  compare.py none MPANA PCAP
      a capture without failure: no {"record":"failover"} from mpana, and no
      episode from the oracle.
  compare.py thinned MPANA PCAP
      a copy of PCAP with every 5th frame after the first 20 removed (SYNs
      kept), in a fresh temporary directory: the oracle finds as many
      episodes as on the full file, mpana matches the oracle on the copy
      (as for 'episodes'), and each episode's latency is not smaller than on
      the full file and at most 50 ms larger.
  compare.py reinject MPANA PCAP
      the union of the data-level ranges mpana marks "resend":"reinjection"
      (seg_dsn, seg_dlen on DSS records) on another subflow than the one that
      first sent them (resend_of_subflow) equals the oracle's, per connection
      and direction; every frame tshark itself marks mptcp.reinjected_in
      must lie inside both (tshark 4.0.17 marks almost nothing: README.md).
Exit 0 pass, 1 fail, 77 skip (tshark missing).
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import oracle  # noqa: E402  (tests/failover/oracle.py: no mpana code)

SKIP = 77


def fail(msgs):
    for m in msgs:
        print("FAIL:", m)
    return 1 if msgs else 0


def run_mpana(mpana, pcap):
    p = subprocess.run([mpana, "--json", "-r", pcap], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=600)
    if p.returncode != 0:
        raise SystemExit("FAIL: mpana exit %d: %s" % (p.returncode, p.stderr.strip()[:300]))
    return [json.loads(l) for l in p.stdout.splitlines() if l.strip()]


def mp_tuples(recs):
    """mpana subflow id -> frozenset of its two (addr, port) ends; conn of each."""
    tup, conn = {}, {}
    for r in recs:
        if "subflow" in r and "src" in r and "sport" in r and r.get("subflow"):
            k = r["subflow"]
            if k not in tup:
                tup[k] = frozenset([(r["src"], r["sport"]), (r["dst"], r["dport"])])
                conn[k] = r.get("conn")
    return tup, conn


def otup(t):
    return frozenset([(t[0], t[1]), (t[2], t[3])]) if t else None


def conn_map(orc, tup, conn):
    """oracle conn id -> mpana conn id, through the subflows' 4-tuples."""
    inv = {v: k for k, v in tup.items()}
    m = {}
    for s in orc["subflows"]:
        k = inv.get(otup(s["tuple"]))
        if k is not None:
            m.setdefault(s["conn"], conn[k])
    return m


def mp_episodes(recs):
    return [r for r in recs if r.get("record") == "failover"]


def fmt(e):
    return "%s %s %s from %s t_fail=%.6f (frame %s) recovered frame %s latency %s kind %s" % (
        e.get("direction"), e.get("vantage"), e.get("conn"), e.get("from_subflow"),
        e.get("t_fail") or 0, e.get("fail_frame"), e.get("recovered_frame"),
        e.get("latency_ms"), e.get("kind"))


def match_episodes(orc, recs, errs, lat_tol=None, label=""):
    """Pairs each oracle episode with one mpana episode; returns the pairs."""
    tup, conn = mp_tuples(recs)
    cm = conn_map(orc, tup, conn)
    mps = mp_episodes(recs)
    if orc["episodes"] and not mps:
        errs.append("%smpana printed no {\"record\":\"failover\"} record (the oracle has %d "
                    "episodes): is failover analysis in this build?" % (label,
                                                                          len(orc["episodes"])))
        return []
    used, pairs = set(), []
    for e in orc["episodes"]:
        tol = max((e.get("rtt_ms") or 0) / 1000.0, 0.005)
        cands = [(abs(m["t_fail"] - e["t_fail"]), i) for i, m in enumerate(mps)
                 if i not in used and m.get("direction") == e["direction"]
                 and m.get("vantage") == e["vantage"]
                 and m.get("conn") == cm.get(e["conn"])
                 and tup.get(m.get("from_subflow")) == otup(e["from_tuple"])
                 and m.get("t_fail") is not None and abs(m["t_fail"] - e["t_fail"]) <= tol]
        if not cands:
            errs.append("%soracle episode without an mpana episode (t_fail within %.1f ms): %s"
                        % (label, tol * 1000, fmt(e)))
            continue
        i = min(cands)[1]
        used.add(i)
        m = mps[i]
        pairs.append((e, m))
        if e["latency_ms"] is None or m.get("latency_ms") is None:
            if e["latency_ms"] != m.get("latency_ms"):
                errs.append("%slatency %s vs oracle %s: %s" % (label, m.get("latency_ms"),
                                                               e["latency_ms"], fmt(e)))
        else:
            lt = lat_tol(e["latency_ms"]) if lat_tol else 5.0
            if abs(m["latency_ms"] - e["latency_ms"]) > lt:
                errs.append("%slatency %.3f ms vs oracle %.3f ms (tolerance %.1f ms): %s"
                            % (label, m["latency_ms"], e["latency_ms"], lt, fmt(e)))
        for k in ("kind", "lower_bound"):
            if m.get(k) != e[k]:
                errs.append("%s%s %r vs oracle %r: %s" % (label, k, m.get(k), e[k], fmt(e)))
        if e.get("to_tuple") and tup.get(m.get("to_subflow")) != otup(e["to_tuple"]):
            errs.append("%sto_subflow %s (%s) vs oracle %s: %s" % (
                label, m.get("to_subflow"), sorted(tup.get(m.get("to_subflow")) or []),
                e["to_tuple"], fmt(e)))
        if e.get("lost_bytes") is not None and m.get("lost_bytes") != e["lost_bytes"]:
            print("note: lost_bytes %s vs oracle %s (not compared): %s"
                  % (m.get("lost_bytes"), e["lost_bytes"], fmt(e)))
    for i, m in enumerate(mps):
        if i not in used:
            errs.append("%smpana episode the oracle does not have: %s" % (label, fmt(m)))
    return pairs


def truth_for(pcap):
    base = pcap[:-5] if pcap.endswith(".pcap") else pcap
    for cand in (base + ".truth.json", base.rsplit(".", 1)[0] + ".truth.json"):
        if os.path.exists(cand):
            return json.load(open(cand))
    return None


def check_truth(truth, orc, recs, errs):
    outs = truth.get("outages") or []
    if not outs and truth.get("failed_paths"):
        # truth files written before "outages" existed (failover, backup):
        # upload, epoch = t0 + relative time
        t0 = truth["t0_epoch"]
        outs = [{"path": f["path"], "client_addr": f["client_addr"], "data_direction": "c2s",
                 "cut_t": f["t"], "cut_t_done": f["t_done"], "cut_epoch": t0 + f["t"],
                 "cut_epoch_done": t0 + f["t_done"], "restore_epoch": None}
                for f in truth["failed_paths"]]
    if not outs:
        return
    pacing = 0.05
    try:
        pacing = float(truth["traffic"]["pacing"].split("every")[1].split()[0])
    except (KeyError, IndexError, ValueError):
        pass
    if truth["traffic"].get("server_to_client_bytes") and outs[0]["data_direction"] == "s2c":
        pacing = 0.05
    tup, conn = mp_tuples(recs)
    for who, eps, tfrom in (("oracle", orc["episodes"], lambda e: otup(e["from_tuple"])),
                            ("mpana", mp_episodes(recs), lambda e: tup.get(e.get("from_subflow")))):
        for o in outs:
            on_path = [e for e in eps if e.get("direction") == o["data_direction"]
                       and any(a == o["client_addr"] for a, _ in (tfrom(e) or []))]
            lo = o["cut_epoch"] - pacing - 0.020
            hits = []
            for e in on_path:
                tol = max((e.get("rtt_ms") or 0) / 1000.0, 0.005)
                if lo <= e["t_fail"] <= o["cut_epoch_done"] + tol:
                    hits.append(e)
            if len(hits) != 1:
                errs.append("%s: %d episodes for the cut of path %d at t=%.4f (t_done %.4f) "
                            "in %s, want 1 with t_fail in [cut - %.0f ms, cut_done + "
                            "max(RTT, 5 ms)]" % (who, len(hits), o["path"], o["cut_t"],
                                                 o["cut_t_done"], o["data_direction"],
                                                 (pacing + 0.020) * 1000))
                continue
            e = hits[0]
            tr = e.get("t_recovered")
            if tr is None or tr <= o["cut_epoch"] or (
                    o.get("restore_epoch") and e.get("kind") == "failover"
                    and tr > o["restore_epoch_done"] + 1.0):
                errs.append("%s: t_recovered %s not after the cut (%.6f): %s"
                            % (who, tr, o["cut_epoch"], fmt(e)))
            else:
                print("%s: cut path %d at %.4f s -> t_fail %+.1f ms after the cut, latency "
                      "%s ms, %s" % (who, o["path"], o["cut_t"],
                                     (e["t_fail"] - o["cut_epoch"]) * 1000,
                                     e.get("latency_ms"), e.get("kind")))


def cmd_episodes(a):
    errs = []
    orc = oracle.analyze(a.pcap)
    recs = run_mpana(a.mpana, a.pcap)
    for e in orc["episodes"]:
        print("oracle:", fmt(e))
    for m in mp_episodes(recs):
        print("mpana: ", fmt(m))
    match_episodes(orc, recs, errs)
    truth = truth_for(a.pcap)
    if truth:
        check_truth(truth, orc, recs, errs)
    if a.sender_pcap:
        snd = oracle.analyze(a.sender_pcap)
        sdir = {e["direction"]: e for e in snd["episodes"] if e["vantage"] == "sender"}
        for src, eps in (("oracle", orc["episodes"]), ("mpana", mp_episodes(recs))):
            for e in [x for x in eps if x.get("vantage") == "receiver"]:
                s = sdir.get(e.get("direction"))
                if s is None or e.get("latency_ms") is None or s["latency_ms"] is None:
                    errs.append("%s receiver episode without a sender-side latency to "
                                "compare: %s" % (src, fmt(e)))
                    continue
                tol = max(20.0, 0.10 * s["latency_ms"])
                d = e["latency_ms"] - s["latency_ms"]
                print("%s receiver latency %.3f ms vs sender-side %.3f ms (%+.3f, tolerance "
                      "%.1f ms); t_fail %+.3f ms" % (src, e["latency_ms"], s["latency_ms"], d,
                                                     tol, (e["t_fail"] - s["t_fail"]) * 1000))
                if abs(d) > tol:
                    errs.append("%s receiver-side latency %.3f ms vs sender-side %.3f ms "
                                "(tolerance %.1f ms)" % (src, e["latency_ms"],
                                                         s["latency_ms"], tol))
    return fail(errs)


def cmd_none(a):
    errs = []
    orc = oracle.analyze(a.pcap)
    recs = run_mpana(a.mpana, a.pcap)
    for e in orc["episodes"]:
        errs.append("oracle found an episode on a capture without failure: " + fmt(e))
    for m in mp_episodes(recs):
        errs.append("mpana reported an episode on a capture without failure: " + fmt(m))
    return fail(errs)


def thin(src, dst, every=5, keep_first=20):
    """Classic pcap copy without every `every`-th record after the first
    `keep_first` records; SYNs are always kept (so the ISNs stay known)."""
    with open(src, "rb") as f:
        data = f.read()
    magic = data[:4]
    e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    linktype = struct.unpack(e + "I", data[20:24])[0]
    out = [data[:24]]
    off, n, dropped = 24, 0, []
    while off + 16 <= len(data):
        incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
        rec = data[off:off + 16 + incl]
        off += 16 + incl
        n += 1
        pkt = rec[16:]
        syn = False
        if linktype == 276 and len(pkt) > 20:          # LINUX_SLL2
            ip = pkt[20:]
            if ip and ip[0] >> 4 == 4 and len(ip) >= 20 and ip[9] == 6:
                th = ip[(ip[0] & 15) * 4:]
                syn = len(th) > 13 and bool(th[13] & 0x02)
            elif ip and ip[0] >> 4 == 6 and len(ip) >= 54 and ip[6] == 6:
                syn = bool(ip[40 + 13] & 0x02)
        if n > keep_first and n % every == 0 and not syn:
            dropped.append(n)
            continue
        out.append(rec)
    with open(dst, "wb") as f:
        f.write(b"".join(out))
    return dropped


def cmd_thinned(a):
    errs = []
    tmp = tempfile.mkdtemp(prefix="mpana-failover-thinned-")
    try:
        dst = os.path.join(tmp, "thinned-" + os.path.basename(a.pcap))
        dropped = thin(a.pcap, dst)
        print("removed %d frames (every 5th after the first 20, SYNs kept)" % len(dropped))
        full = oracle.analyze(a.pcap)
        orc = oracle.analyze(dst)
        recs = run_mpana(a.mpana, dst)
        for e in orc["episodes"]:
            print("oracle (thinned):", fmt(e))
        for m in mp_episodes(recs):
            print("mpana (thinned): ", fmt(m))
        if len(orc["episodes"]) != len(full["episodes"]):
            errs.append("oracle: %d episodes on the thinned copy, %d on the full capture"
                        % (len(orc["episodes"]), len(full["episodes"])))
        for e, f in zip(orc["episodes"], full["episodes"]):
            if e["latency_ms"] is None or f["latency_ms"] is None:
                continue
            if not (f["latency_ms"] - 0.001 <= e["latency_ms"] <= f["latency_ms"] + 50.0):
                errs.append("oracle latency %.3f ms on the thinned copy vs %.3f ms on the full "
                            "capture (want between +0 and +50 ms)" % (e["latency_ms"],
                                                                      f["latency_ms"]))
        match_episodes(orc, recs, errs, label="thinned: ")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return fail(errs)


def union(iv):
    out = []
    for lo, hi in sorted(iv):
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [tuple(x) for x in out]


def covered(lo, hi, u):
    return any(a <= lo and hi <= b for a, b in u)


def cmd_reinject(a):
    errs = []
    orc = oracle.analyze(a.pcap)
    recs = run_mpana(a.mpana, a.pcap)
    tup, conn = mp_tuples(recs)
    cm = conn_map(orc, tup, conn)
    clients = {}
    for r in recs:
        if r.get("record") == "connection":
            clients[r["conn"]] = (r["client"]["addr"], r["client"]["port"])
    dss = [r for r in recs if r.get("opt") == "dss" and r.get("dsn") is not None]
    if dss and not any("seg_dsn" in r for r in dss):
        return fail(["mpana's DSS records carry no seg_dsn/seg_dlen/resend: is the "
                     "reinjection marking in this build?"])
    mp = {}
    same = 0
    for r in dss:
        if r.get("resend") == "reinjection" and r.get("seg_dlen"):
            if r.get("resend_of_subflow") == r.get("subflow"):
                # re-sent on the subflow that sent it first, under a new
                # subflow sequence: a reinjection by the rule, not
                # an inter-subflow one (the oracle's and tshark's notion)
                same += 1
                continue
            # the client's subflow end: tshark-style direction from the subflow tuple
            d = "c2s" if (r["src"], r["sport"]) in _client_ends(recs, r) else "s2c"
            mp.setdefault((r["conn"], d), []).append((r["seg_dsn"], r["seg_dsn"] + r["seg_dlen"]))
    if same:
        print("mpana: %d segments re-sent on their own subflow under a new subflow "
              "sequence (not compared)" % same)
    orr = {}
    byframe = {}
    for x in orc["reinjections"]:
        orr.setdefault((cm.get(x["conn"]), x["direction"]), []).append(
            (x["dsn"], x["dsn"] + x["dlen"]))
    for k in sorted(set(mp) | set(orr), key=str):
        um, uo = union(mp.get(k, [])), union(orr.get(k, []))
        print("conn %s %s: mpana %d ranges (%d bytes), oracle %d ranges (%d bytes)"
              % (k[0], k[1], len(um), sum(h - l for l, h in um), len(uo),
                 sum(h - l for l, h in uo)))
        if um != uo:
            only_m = [r for r in um if not any(covered(r[0], r[1], [o]) for o in uo)]
            only_o = [r for r in uo if not any(covered(r[0], r[1], [m]) for m in um)]
            errs.append("conn %s %s: reinjected DSN ranges differ; mpana only %s; oracle only "
                        "%s" % (k[0], k[1], only_m[:5], only_o[:5]))
    # tshark's own marks: the frames it says data was reinjected in
    fr = {}
    for r in recs:
        if r.get("opt") == "dss" and "seg_dsn" in r:
            fr[r["frame"]] = r
    ofr = {x["frame"] for x in orc["reinjections"]}
    for mk in orc["tshark_reinjection_marks"]:
        frames = list(mk["reinjected_in"]) + ([mk["frame"]] if mk["reinjection_of"] else [])
        for f in frames:
            r = fr.get(f)
            what = r.get("resend") if r else None
            print("tshark: frame %d carries a reinjection (marks on frame %d: reinjected_in "
                  "%s, reinjection_of %s); oracle %s, mpana %r"
                  % (f, mk["frame"], mk["reinjected_in"], mk["reinjection_of"],
                     "agrees" if f in ofr else "disagrees", what))
            if f not in ofr:
                print("  ignored: tshark 4.0.17's DSN on join subflows is wrong (README.md)")
            elif what != "reinjection":
                errs.append("tshark and the oracle say frame %d carries a reinjection; mpana "
                            "marks it %r" % (f, what))
    return fail(errs)


def _client_ends(recs, r):
    ends = set()
    for c in recs:
        if c.get("record") == "connection" and c["conn"] == r["conn"]:
            for s in c.get("subflows", []):
                ends.add((s["src"], s["sport"]))
    return ends


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["episodes", "none", "thinned", "reinject"])
    ap.add_argument("mpana")
    ap.add_argument("pcap")
    ap.add_argument("--sender-pcap")
    a = ap.parse_args()
    if shutil.which("tshark") is None:
        print("SKIP: tshark not installed")
        return SKIP
    return {"episodes": cmd_episodes, "none": cmd_none, "thinned": cmd_thinned,
            "reinject": cmd_reinject}[a.mode](a)


if __name__ == "__main__":
    sys.exit(main())
