#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Connections and subflows that mpana reassembles vs the lab's ground truth.

RFC 8684 §3.1-3.4. For each pcaps/<name>.pcap with pcaps/<name>.truth.json
(written by tests/lab/lab.py), runs `mpana -r <pcap> --json -q` and checks
its {"record":"connection"} records against the truth's "expected" block:

  - MPTCP connections (no fallback) and fallback connections, by count;
  - per connection, the subflows: the same number, each expected subflow
    found by (client address, server address, server port), the initial one
    of kind "initial", joins of kind "join", the backup flag, and the address
    ids the truth names ("client subflow endpoint id N" is the joining
    host's id, "ADD_ADDR id N from the server" the server's);
  - every HMAC verifies (MP_JOIN SYN/ACK and third ACK, ADD_ADDR): this is
    Linux kernel traffic, so anything but true is a finding;
  - no subflow is left unattributed or orphaned;
  - when the truth names why MPTCP fell back ("why"/"fallback": the kernel's
    counters), the connection's fallback form, side and proof frame: a
    one-sided fallback (one end kept MPTCP) still counts as an MPTCP
    connection; otherwise there must be no fallback at all.

usage: check_truth.py MPANA PCAP [PCAP...]
Exit status 0 all match, 1 a discrepancy, 77 nothing to check.
"""
import ipaddress
import json
import os
import re
import subprocess
import sys

SKIP = 77

# the lab's names for the causes (truth "why"/"fallback"/"cause") -> mpana's
FALLBACK_CAUSES = {
    "dss_missing": "no_dss",
    "synack_without_mp_capable": "no_mpc_synack",
    "ack_without_mp_capable": "no_mpc_ack",
}


def norm(a):
    return str(ipaddress.ip_address(a))


def run(mpana, pcap):
    p = subprocess.run([mpana, "-r", pcap, "--json", "-q"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError("mpana exit %d: %s" % (p.returncode, p.stderr.strip()))
    if p.stderr.strip():
        raise RuntimeError("mpana stderr: %s" % p.stderr.strip()[:300])
    recs = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    return ([r for r in recs if r.get("record") == "connection"],
            [r for r in recs if r.get("record") == "subflow"])


def check(mpana, pcap):
    truth_path = re.sub(r"\.pcap$", ".truth.json", pcap)
    if not os.path.exists(truth_path):
        return None
    truth = json.load(open(truth_path))
    exp = truth["expected"]
    errs = []
    conns, loose = run(mpana, pcap)
    why = (truth.get("why") or {}).get("fallback")
    one_sided = bool(why and why.get("one_sided"))
    mp = [c for c in conns if (c["fallback"] is None or one_sided) and not c["partial"]]
    fb = [c for c in conns if c["fallback"] is not None]
    if why:
        form = FALLBACK_CAUSES.get(why["cause"], why["cause"])
        for c in fb:
            if c["fallback"] != form or c["fallback_side"] != why["side"] or not c["fallback_frame"]:
                errs.append("conn %d: fallback %s side %s frame %s, truth %s side %s"
                            % (c["conn"], c["fallback"], c["fallback_side"], c["fallback_frame"],
                               form, why["side"]))
        if not fb:
            errs.append("no fallback, truth %s side %s" % (form, why["side"]))
    elif exp["fallback"] is False and fb:
        errs.append("fallback connections: %s, truth none" % [c["fallback"] for c in fb])
    partial = [c for c in conns if c["partial"]]
    if len(mp) != exp["mptcp_connections"]:
        errs.append("MPTCP connections: %d, truth %d" % (len(mp), exp["mptcp_connections"]))
    if bool(fb) != bool(exp["fallback"]) and not one_sided:
        errs.append("fallback connections: %d, truth fallback=%s" % (len(fb), exp["fallback"]))
    if len(conns) != exp["tcp_connections"]:
        errs.append("connections: %d, truth %d TCP connections" % (len(conns), exp["tcp_connections"]))
    if partial:
        errs.append("partial connections: %s" % [c["conn"] for c in partial])
    if loose:
        errs.append("unattributed subflows: %s" % [s["subflow"] for s in loose])
    for c in conns:
        sfs = c["subflows"]
        if len(sfs) != exp["subflows_per_connection"]:
            errs.append("conn %d: %d subflows, truth %d" % (c["conn"], len(sfs),
                                                             exp["subflows_per_connection"]))
        for e in exp["subflows"]:
            want = (norm(e["client"]), norm(e["server"]), e["server_port"])
            hits = [s for s in sfs if (norm(s["src"]), norm(s["dst"]), s["dport"]) == want]
            if len(hits) != 1:
                errs.append("conn %d: %d subflows %s -> %s:%d, truth 1"
                            % (c["conn"], len(hits), e["client"], e["server"], e["server_port"]))
                continue
            s = hits[0]
            kind = "initial" if e["role"].startswith("initial") else "join"
            if s["kind"] != kind:
                errs.append("conn %d subflow %d: kind %s, truth %s" % (c["conn"], s["subflow"], s["kind"], kind))
            if s["backup"] != e["backup"]:
                errs.append("conn %d subflow %d: backup %s, truth %s" % (c["conn"], s["subflow"], s["backup"], e["backup"]))
            m = re.search(r"client subflow endpoint id (\d+)", e["created_by"])
            if m and s["addr_ids"]["src"] != int(m.group(1)):
                errs.append("conn %d subflow %d: client address id %s, truth %s"
                            % (c["conn"], s["subflow"], s["addr_ids"]["src"], m.group(1)))
            m = re.search(r"ADD_ADDR id (\d+) from the server", e["created_by"])
            if m and s["addr_ids"]["dst"] != int(m.group(1)):
                errs.append("conn %d subflow %d: server address id %s, truth %s"
                            % (c["conn"], s["subflow"], s["addr_ids"]["dst"], m.group(1)))
        # joins the scenario made fail before their handshake completed
        # (truth "join_outcome" other than established) have no HMAC to verify
        unfinished = {(norm(e["client"]), norm(e["server"]), e["server_port"])
                      for e in exp["subflows"] if e.get("join_outcome", "established") != "established"}
        for s in sfs:
            if s["kind"] == "join" and (norm(s["src"]), norm(s["dst"]), s["dport"]) in unfinished:
                continue
            if s["kind"] == "join" and s["hmac_ok"] is not True:
                errs.append("conn %d subflow %d: hmac_ok %s (synack %s, ack %s)"
                            % (c["conn"], s["subflow"], s["hmac_ok"], s.get("hmac_synack"), s.get("hmac_ack")))
            if s["orphan"]:
                errs.append("conn %d subflow %d: orphan" % (c["conn"], s["subflow"]))
        for a in c["addresses"]:
            if c["version"] == 1 and a["hmac_ok"] is not True:
                errs.append("conn %d ADD_ADDR id %d %s: hmac_ok %s" % (c["conn"], a["id"], a["addr"], a["hmac_ok"]))
        if c["key_mismatch"]:
            errs.append("conn %d: key mismatch" % c["conn"])
    return errs


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    mpana, pcaps = sys.argv[1], sys.argv[2:]
    checked = failed = 0
    for pcap in pcaps:
        try:
            errs = check(mpana, pcap)
        except Exception as e:  # noqa: BLE001 - report any failure as one
            errs = ["%s" % e]
        if errs is None:
            continue
        checked += 1
        name = os.path.basename(pcap)
        if errs:
            failed += 1
            for e in errs:
                print("%s: %s" % (name, e))
        else:
            print("%s: ok" % name)
    if not checked:
        print("no capture with a .truth.json")
        return SKIP
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
