#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Fallback causes and connection stalls vs independent facts.

RFC 8684 §3.7; MPTCP-NOTES.md, "Fallback". Runs `mpana --json -q` and
checks its connection and stall records against:

  - the kernel's own counters in the lab truth files (nstat, end minus
    start, per namespace): which side fell back (MPTcpExtDssFallback,
    MPCapableFallbackSYNACK at the client, MPCapableFallbackACK at the
    server), and the strip rule's time (truth "events");
  - the packets themselves, read with tshark where it is installed: the
    proof frame carries what it should (no MPTCP option, from the side
    the form names; the SYN/ACK without MP_CAPABLE);
  - every capture in pcaps/ (each named by a truth file) shows exactly the
    fallbacks (form and side, per connection) its truth file names ("why",
    "expected"), checked against the kernels' own fallback counters where
    the truth file has them, with the proof frame the packets show; no
    other fallback and no stall where the run had none;
  - the tcpdump test captures (read in place, skipped when absent): the
    expectation read from them with tshark (PEER_EXPECT): no fallback;
  - copies of every bundled capture without one frame that carried a DSS
    mapping (the first segment of a mapping that spans several, chosen
    with tshark; tests/why/drop_frame.py), and the fixed frames of
    tests/why/README.md: the same fallbacks, stalls and join outcomes as
    the whole capture (a capture that missed a packet is not a fallback,
    nor a failed join).

usage: fallback_test.py MPANA PCAP_DIR [PEER_DIR]
Exit status 0 all hold, 1 a discrepancy.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ERRS = []
JOINS = {}   # capture path -> its join attempts (src, dst, dport, outcome)


def err(msg):
    ERRS.append(msg)
    print("FAIL: " + msg)


def mpana(binary, pcap):
    p = subprocess.run([binary, "-r", pcap, "--json", "-q"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError("%s: mpana exit %d: %s" % (pcap, p.returncode, p.stderr.strip()))
    recs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    JOINS[pcap] = [(r["src"], r["dst"], r.get("dport"), r["outcome"]) for r in recs
                   if r.get("record") == "join_attempt"]
    return ([r for r in recs if r.get("record") == "connection"],
            [r for r in recs if r.get("record") == "stall"])


def tshark_rows(pcap, fields, filt):
    """Rows of tshark fields for the frames matching `filt`; None without tshark."""
    if not shutil.which("tshark"):
        return None
    cmd = ["tshark", "-r", pcap, "-Y", filt, "-T", "fields"]
    for f in fields:
        cmd += ["-e", f]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, timeout=300)
    return [line.split("\t") for line in p.stdout.splitlines()]


def nstat_sides(truth, counters):
    """'client', 'server', 'both' or None: which namespaces counted any of `counters`."""
    sides = [s for s in ("client", "server")
             if any(truth.get("nstat", {}).get(s, {}).get(c, 0) for c in counters)]
    return {0: None, 1: sides[0] if sides else None, 2: "both"}[len(sides)]


def one_conn(name, conns):
    if len(conns) != 1:
        err("%s: %d connections, want 1" % (name, len(conns)))
        return None
    return conns[0]


def check_strip_after(binary, pcaps):
    pcap = os.path.join(pcaps, "strip_after.pcap")
    truth = json.load(open(os.path.join(pcaps, "strip_after.truth.json")))
    side = nstat_sides(truth, ["MPTcpExtDssFallback"])
    t_strip = truth["events"][0]["epoch"]  # the nft rule started (before t_done)
    for name, vantage in (("strip_after.pcap", "client"), ("strip_after.server.pcap", "server")):
        conns, stalls = mpana(binary, os.path.join(pcaps, name))
        c = one_conn(name, conns)
        if not c:
            continue
        if c["fallback"] != "no_dss" or c["fallback_side"] != side:
            err("%s: fallback %s side %s, kernel DssFallback on the %s" % (name, c["fallback"], c["fallback_side"], side))
        sf = c["subflows"][0]
        if sf["fallback"] != "no_dss" or sf["fallback_frame"] != c["fallback_frame"]:
            err("%s: subflow fallback %s frame %s" % (name, sf["fallback"], sf["fallback_frame"]))
        # the proof: the first packet without any MPTCP option after the strip
        # rule, from the server (its ACKs, client view) or from the client
        # (its data, server view)
        sender = "10.0.1.2" if vantage == "client" else "10.0.1.1"
        rows = tshark_rows(os.path.join(pcaps, name), ["frame.number", "frame.time_epoch", "tcp.len"],
                           "ip.src == %s && !mptcp && !(tcp.flags.syn == 1) && !(tcp.flags.reset == 1)"
                           " && !(tcp.flags.fin == 1)" % sender)
        if rows is not None:
            rows = [r for r in rows if float(r[1]) >= t_strip]
            if vantage == "server":
                rows = [r for r in rows if int(r[2]) > 0]
            if not rows or int(rows[0][0]) != c["fallback_frame"]:
                err("%s: fallback_frame %s, first %s packet without MPTCP after the strip: %s"
                    % (name, c["fallback_frame"], sender, rows[0][0] if rows else None))
        if vantage == "client":
            # the client does not fall back; its DATA_ACK stands still while
            # every segment is acknowledged at TCP level, to the end
            if len(stalls) != 1:
                err("%s: %d stalls, want 1" % (name, len(stalls)))
                continue
            s = stalls[0]
            if s["conn"] != c["conn"] or s["direction"] != "c2s" or s["ended"]:
                err("%s: stall %s" % (name, s))
            if not (t_strip - 0.05 <= s["t_start"] <= truth["events"][0]["epoch_done"] + 0.05):
                err("%s: stall starts at %.3f, strip rule at %.3f" % (name, s["t_start"], t_strip))
            if s["t_end"] - s["t_start"] < 2.5 or s["duration_ms"] < 2500:
                err("%s: stall of %s ms, the client ran stalled from 0.3 s to 3 s" % (name, s["duration_ms"]))
            if s["subflow_acks"] < 10 or s["data_packets"] < 10:
                err("%s: stall without ACKs or data flowing: %s" % (name, s))
            rows = tshark_rows(os.path.join(pcaps, name), ["frame.number"],
                               "frame.number == %d && ip.src == 10.0.1.1 && tcp.len > 0 && tcp.options.mptcp.subtype == 2"
                               % s["frame"])
            if rows is not None and len(rows) != 1:
                err("%s: stall frame %d is not a client data segment with DSS" % (name, s["frame"]))
        elif stalls:
            err("%s: stalls %s (the server sees no mapped data after the strip)" % (name, stalls))


# the lab's names for the causes (truth "why"/"fallback"/"cause") -> mpana's
CAUSES = {"dss_missing": "no_dss", "synack_without_mp_capable": "no_mpc_synack",
          "ack_without_mp_capable": "no_mpc_ack"}

# The tcpdump test captures (read in place), read with tshark: every
# MP_CAPABLE SYN there is answered by a SYN/ACK with MP_CAPABLE, every data
# segment carries a DSS mapping (or MP_CAPABLE with a data length: v1's
# first data), no mapping has data-level length 0, no MP_FAIL; aa-echo,
# dss-oobr and tcprst are fragments (1-2 packets, no handshake). No
# fallback in any of them.
PEER_EXPECT = {"mptcp-aa-echo": [], "mptcp-aa-v1": [], "mptcp-dss-oobr": [],
               "mptcp-fclose": [], "mptcp-tcprst": [], "mptcp-v0": [], "mptcp-v1": []}


def expect_from_why(truth, capture):
    """[(form, side)] per connection that fell back, from the truth file's
    description of the run (why / expected), for `capture` (a file name of
    truth["captures"])."""
    why = (truth.get("why") or {}).get("fallback")
    if why:
        w = why.get("server_capture") if capture.endswith(".server.pcap") else None
        w = w or why
        if w["cause"] is None:
            return []   # that capture shows no MPTCP connection falling back
        return [(CAUSES.get(w["cause"], w["cause"]), w["side"])]
    if truth["expected"].get("fallback"):
        # a server without MPTCP: the client falls back at the SYN/ACK
        return [("no_mpc_synack", "client")] * truth["expected"]["tcp_connections"]
    return []


def expect_from_nstat(truth):
    """The same for the client namespace's capture, from the kernels' own
    counters only (None without them): which namespace counted which
    fallback (net/mptcp: MPCapableFallbackSYNACK at the MP_CAPABLE SYN's
    sender, MPCapableFallbackACK at its peer, DssFallback at the receiver
    of unmapped data, SimultConnectFallback at the end that got the
    crossing SYN)."""
    ns = truth.get("nstat")
    if not ns:
        return None
    def n(side, c):
        return ns.get(side, {}).get("MPTcpExt" + c, 0)
    out = []
    for side in ("client", "server"):
        if n(side, "SimultConnectFallback"):
            out.append(("simultaneous_connect", "both"))
    if not out and n("client", "MPCapableSYNTXDrop"):
        # the MP_CAPABLE SYN unanswered, retried without it (blackhole
        # detection): the client fell back before any SYN/ACK
        out = [("mpc_syn_dropped", "client")]
    if not out and n("client", "MPCapableFallbackSYNACK"):
        out = [("no_mpc_synack", "both" if n("server", "MPCapableFallbackACK") else "client")]
    elif not out and n("server", "MPCapableFallbackACK"):
        out = [("no_mpc_ack", "server")]
    dss = [side for side in ("client", "server") if n(side, "DssFallback")]
    if dss and not out:
        out = [("no_dss", "both" if len(dss) == 2 else dss[0])]
    return out


def fallbacks(conns):
    return [(c["fallback"], c["fallback_side"]) for c in conns if c["fallback"]]


def check_proof(label, pcap, conns):
    """The proof frame of the handshake forms, from tshark: the first
    SYN/ACK of the connection's initial subflow, without MP_CAPABLE; the
    first SYN from the other end, that crossed the initial SYN."""
    for c in conns:
        sf = c["subflows"][0]
        tup = "tcp.port == %d && tcp.port == %d" % (sf["sport"], sf["dport"])
        if c["fallback"] == "no_mpc_synack":
            rows = tshark_rows(pcap, ["frame.number", "tcp.options.mptcp.subtype"],
                               "tcp.flags.syn == 1 && tcp.flags.ack == 1 && " + tup)
            if rows is not None and (not rows or int(rows[0][0]) != c["fallback_frame"]
                                     or rows[0][1]):
                err("%s: fallback_frame %s, the first SYN/ACK is %s" % (label, c["fallback_frame"], rows[:1]))
        elif c["fallback"] == "mpc_syn_dropped":
            # the first SYN of the initial subflow without MP_CAPABLE, with
            # the ISN of the MP_CAPABLE SYN before it
            rows = tshark_rows(pcap, ["frame.number", "tcp.options.mptcp.subtype", "tcp.seq_raw"],
                               "tcp.flags.syn == 1 && tcp.flags.ack == 0 && " + tup)
            if rows is not None:
                plain = [r for r in rows if "0" not in r[1].split(",")]
                if not rows or "0" not in rows[0][1].split(",") or not plain \
                        or plain[0][2] != rows[0][2] \
                        or int(plain[0][0]) != c["fallback_frame"]:
                    err("%s: fallback_frame %s, the SYNs are %s" % (label, c["fallback_frame"], rows))
        elif c["fallback"] == "simultaneous_connect":
            rows = tshark_rows(pcap, ["frame.number", "tcp.srcport"],
                               "tcp.flags.syn == 1 && tcp.flags.ack == 0 && " + tup)
            if rows is not None:
                crossing = [r for r in rows if r[1] != rows[0][1]]
                if not crossing or int(crossing[0][0]) != c["fallback_frame"]:
                    err("%s: fallback_frame %s, the crossing SYN is %s"
                        % (label, c["fallback_frame"], crossing[:1]))


def check_capture(binary, label, pcap, want, stalls_want=0, proof=True, joins_want=None):
    try:
        conns, stalls = mpana(binary, pcap)
    except RuntimeError as e:
        err(str(e))
        return
    got = fallbacks(conns)
    if got != want:
        err("%s: fallback %s, expected %s" % (label, got, want))
    for c in conns:
        for sf in c["subflows"]:
            if c["fallback"] and sf["fallback"] and sf["fallback"] != c["fallback"] \
                    and sf["fallback"] != "join_refused":
                err("%s: a second fallback form on subflow %s: %s" % (label, sf["subflow"], sf["fallback"]))
    if len(stalls) != stalls_want:
        err("%s: %d stalls %s, expected %d" % (label, len(stalls),
                                              [(s["conn"], s["frame"]) for s in stalls], stalls_want))
    if proof:
        check_proof(label, pcap, conns)
    if joins_want is not None and JOINS[pcap] != joins_want:
        err("%s: join attempts %s, the whole capture's %s" % (label, JOINS[pcap], joins_want))
    print("%-44s fallback %s, %d stall(s), joins %s" % (
        label, got or "none", len(stalls),
        ",".join(j[3] for j in JOINS[pcap]) or "none"))


def mapping_frame(pcap):
    """A frame to remove (tests/why/README.md, "Good frames to drop"): the
    first segment of a DSS mapping that spans several segments, with the
    next segment of that mapping in the capture, in the middle of the
    transfer; without any, a data segment in the middle. None without
    tshark or data."""
    rows = tshark_rows(pcap, ["frame.number", "tcp.stream", "tcp.srcport", "tcp.seq", "tcp.len",
                              "tcp.options.mptcp.subflowseqno", "tcp.options.mptcp.datalvllen",
                              "tcp.options.mptcp.subtype"], "tcp.len > 0")
    if not rows:
        return None
    seen, cands = {}, []
    for r in rows:
        key = (r[1], r[2])
        seq, ln = int(r[3]), int(r[4])
        nxt = seen.get(key)
        if nxt and nxt[1] == seq:
            cands.append(nxt[0])     # the mapping's next segment is here
        seen[key] = None
        ssn, dll = r[5].split(","), r[6].split(",")
        if "2" in r[7].split(",") and ssn[0] and dll[0] and int(ssn[0]) == seq \
                and int(dll[0]) > ln:
            seen[key] = (int(r[0]), seq + ln)
    if cands:
        return cands[len(cands) // 2]
    return int(rows[len(rows) // 2][0])


# frames whose removal must change nothing (tests/why/README.md): the first
# segment of a multi-segment mapping, mid-transfer, and the ones after it
DROPS = [("basic", [147, 195, 199, 203]), ("addr_unused", [110, 111, 113, 114]),
         ("multiconn", [200, 300]), ("download", [250]), ("checksum", [195])]


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    binary, pcaps = sys.argv[1], sys.argv[2]
    peer = sys.argv[3] if len(sys.argv) > 3 else None
    check_strip_after(binary, pcaps)
    # every bundled capture: the fallbacks its truth file names, no other
    expect = {}
    for tpath in sorted(glob.glob(os.path.join(pcaps, "*.truth.json"))):
        truth = json.load(open(tpath))
        # older truth files name only their one capture ("pcap")
        for cap in truth.get("captures") or [{"file": truth["pcap"]}]:
            pcap = os.path.join(pcaps, cap["file"])
            if not os.path.exists(pcap):
                continue
            want = expect_from_why(truth, cap["file"])
            kern = expect_from_nstat(truth)
            if kern is not None and not cap["file"].endswith(".server.pcap") and kern != want:
                err("%s: the truth's why says %s, the kernels' counters %s" % (cap["file"], want, kern))
            stalls = 1 if cap["file"] == "strip_after.pcap" else 0
            expect[cap["file"]] = (want, stalls)
            check_capture(binary, cap["file"], pcap, want, stalls)
    for pcap in sorted(glob.glob(os.path.join(pcaps, "*.pcap"))):
        if os.path.basename(pcap) not in expect:
            err("%s: no truth file names it" % os.path.basename(pcap))
    if peer and os.path.isdir(peer):
        for pcap in sorted(glob.glob(os.path.join(peer, "*.pcap"))):
            name = os.path.basename(pcap)[:-5]
            if name not in PEER_EXPECT:
                err("peer %s: no expectation (read it with tshark and add one)" % name)
                continue
            check_capture(binary, "peer " + name, pcap, PEER_EXPECT[name])
    tmp = tempfile.mkdtemp()
    try:
        cases = [(n + ".pcap", f) for n, fs in DROPS for f in fs]
        if shutil.which("tshark"):
            # one mapping-carrying frame removed from every bundled capture
            cases += [(cap, mapping_frame(os.path.join(pcaps, cap))) for cap in sorted(expect)]
        else:
            print("no tshark: the frame to drop per capture is not chosen (only the fixed list)")
        for cap, n in cases:
            if n is None:
                err("%s: no data frame to drop" % cap)
                continue
            cut = os.path.join(tmp, "%s-%d.pcap" % (cap[:-5], n))
            subprocess.run([sys.executable, os.path.join(HERE, "drop_frame.py"),
                            os.path.join(pcaps, cap), cut, str(n)], check=True)
            want, stalls = expect[cap]
            # the join outcomes of the whole capture are checked against
            # tshark by joins.<name>; a missed data packet changes none
            check_capture(binary, "%s without frame %d" % (cap, n), cut, want, stalls,
                          proof=False, joins_want=JOINS[os.path.join(pcaps, cap)])
            os.unlink(cut)
    finally:
        shutil.rmtree(tmp)
    print("%s" % ("ok" if not ERRS else "%d discrepancies" % len(ERRS)))
    return 1 if ERRS else 0


if __name__ == "__main__":
    sys.exit(main())
