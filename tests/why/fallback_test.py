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
  - no fallback and no stall on every other bundled capture, on the
    tcpdump test captures (read in place, skipped when absent), and on
    copies of captures with one frame that carried a mapping removed
    (tests/why/drop_frame.py: a capture that missed a packet is not a
    fallback).

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


def err(msg):
    ERRS.append(msg)
    print("FAIL: " + msg)


def mpana(binary, pcap):
    p = subprocess.run([binary, "-r", pcap, "--json", "-q"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError("%s: mpana exit %d: %s" % (pcap, p.returncode, p.stderr.strip()))
    recs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
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


def check_handshake(binary, pcaps, name, drop=None):
    pcap = os.path.join(pcaps, name + ".pcap")
    truth = json.load(open(os.path.join(pcaps, name + ".truth.json")))
    side = nstat_sides(truth, ["MPTcpExtMPCapableFallbackSYNACK", "MPTcpExtMPCapableFallbackACK"])
    if side is None:
        side = "client"  # a server without MPTCP (no counters): only the client fell back
    label = name if drop is None else "%s without frame %d" % (name, drop)
    if drop is not None:
        tmp = tempfile.mkdtemp()
        try:
            cut = os.path.join(tmp, "cut.pcap")
            subprocess.run([sys.executable, os.path.join(HERE, "drop_frame.py"), pcap, cut, str(drop)], check=True)
            conns, stalls = mpana(binary, cut)
        finally:
            shutil.rmtree(tmp)
    else:
        conns, stalls = mpana(binary, pcap)
    c = one_conn(label, conns)
    if not c:
        return
    if c["fallback"] != "no_mpc_synack" or c["fallback_side"] != side:
        err("%s: fallback %s side %s, want no_mpc_synack side %s" % (label, c["fallback"], c["fallback_side"], side))
    if c["subflows"][0]["fallback"] != "no_mpc_synack":
        err("%s: a second fallback form on the subflow: %s" % (label, c["subflows"][0]["fallback"]))
    rows = tshark_rows(pcap, ["frame.number"], "tcp.flags.syn == 1 && tcp.flags.ack == 1")
    if rows is not None and (len(rows) != 1 or int(rows[0][0]) != c["fallback_frame"]):
        err("%s: fallback_frame %s, the SYN/ACK is %s" % (label, c["fallback_frame"], rows))
    if stalls:
        err("%s: stalls %s" % (label, stalls))


def check_clean(binary, label, pcap):
    try:
        conns, stalls = mpana(binary, pcap)
    except RuntimeError as e:
        err(str(e))
        return
    fb = [(c["conn"], c["fallback"]) for c in conns if c["fallback"]]
    if fb:
        err("%s: fallback %s" % (label, fb))
    if stalls:
        err("%s: stalls %s" % (label, [(s["conn"], s["frame"]) for s in stalls]))


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
    check_handshake(binary, pcaps, "strip_synack")
    check_handshake(binary, pcaps, "fallback")
    check_handshake(binary, pcaps, "fallback", drop=110)
    special = {"strip_after", "strip_after.server", "strip_synack", "fallback"}
    for pcap in sorted(glob.glob(os.path.join(pcaps, "*.pcap"))):
        name = os.path.basename(pcap)[:-5]
        if name not in special:
            check_clean(binary, name, pcap)
    if peer and os.path.isdir(peer):
        for pcap in sorted(glob.glob(os.path.join(peer, "*.pcap"))):
            check_clean(binary, "peer " + os.path.basename(pcap), pcap)
    tmp = tempfile.mkdtemp()
    try:
        for name, frames in DROPS:
            for n in frames:
                cut = os.path.join(tmp, "%s-%d.pcap" % (name, n))
                subprocess.run([sys.executable, os.path.join(HERE, "drop_frame.py"),
                                os.path.join(pcaps, name + ".pcap"), cut, str(n)], check=True)
                check_clean(binary, "%s without frame %d" % (name, n), cut)
                os.unlink(cut)
    finally:
        shutil.rmtree(tmp)
    print("%s" % ("ok" if not ERRS else "%d discrepancies" % len(ERRS)))
    return 1 if ERRS else 0


if __name__ == "__main__":
    sys.exit(main())
