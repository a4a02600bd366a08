#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Join attempts and address use (mpana's join_attempt and address records)
against an independent oracle and the lab's ground truth.

    joins_test.py MPANA PCAP [--truth TRUTH_JSON]
    joins_test.py MPANA PCAP --drop FRAME SYNFRAME:OUTCOME[:inferred]...

Oracle: tshark fields only (no mpana code): per TCP stream that starts with
a SYN carrying MP_JOIN, the SYNs, the SYN/ACK (with or without MP_JOIN),
the initiator's third ACK, the responder's fourth ACK, the first RST and
its MP_TCPRST reason give the outcome (include/mpana/joins.h rules, minus
HMACs and tokens, which tshark does not check); per ADD_ADDR (mptcp.stream,
sender, id, address, port) the first frame, repeats, the echo and the
attempts to it give the verdict. Truth: the truth file's `why` (outcomes,
reset reason, announced addresses and verdicts), `expected.subflows`
(every join the kernel made is an attempt, established unless `why` says
otherwise) and `nstat` (the capture namespace's MPJoinSynTx,
MPJoinSynAckRx, AddAddr, EchoAddTx; the peer's MPJoinRejected).
Exit 0 pass, 1 fail, 77 skip (no tshark, or PCAP absent), 2 usage."""
import json
import os
import shutil
import subprocess
import sys

FIELDS = ["frame.number", "frame.time_epoch", "tcp.stream", "ip.src", "ipv6.src",
          "tcp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport", "tcp.flags.syn",
          "tcp.flags.ack", "tcp.flags.reset", "tcp.options.mptcp.subtype",
          "tcp.options.mptcp.rst_reason", "tcp.options.mptcp.addrid",
          "tcp.options.mptcp.echo", "tcp.options.mptcp.ipv4",
          "tcp.options.mptcp.ipv6", "tcp.options.mptcp.port", "mptcp.stream"]

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def tshark_rows(pcap):
    cmd = ["tshark", "-r", pcap, "-2", "-o", "mptcp.analyze_mptcp:TRUE", "-Y", "tcp",
           "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=;"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("|")))
        r = {
            "frame": int(v["frame.number"]), "t": float(v["frame.time_epoch"]),
            "stream": int(v["tcp.stream"]),
            "src": v["ip.src"] or v["ipv6.src"], "dst": v["ip.dst"] or v["ipv6.dst"],
            "sport": int(v["tcp.srcport"]), "dport": int(v["tcp.dstport"]),
            "syn": v["tcp.flags.syn"] in ("1", "True"),
            "ack": v["tcp.flags.ack"] in ("1", "True"),
            "rst": v["tcp.flags.reset"] in ("1", "True"),
            "subtypes": [int(x) for x in v["tcp.options.mptcp.subtype"].split(";") if x],
            "rst_reason": [int(x, 0) for x in v["tcp.options.mptcp.rst_reason"].split(";") if x],
            "addrid": [int(x) for x in v["tcp.options.mptcp.addrid"].split(";") if x],
            "echo": [x in ("1", "True") for x in v["tcp.options.mptcp.echo"].split(";") if x],
            "aaddr": [x for x in (v["tcp.options.mptcp.ipv4"] + ";" + v["tcp.options.mptcp.ipv6"]).split(";") if x],
            "aport": [int(x) for x in v["tcp.options.mptcp.port"].split(";") if x],
            "mstream": v["mptcp.stream"].split(";")[0] if v["mptcp.stream"] else "",
        }
        rows.append(r)
    return rows


def oracle_joins(rows):
    """Join attempts by TCP stream, outcome from the packets alone."""
    by_stream = {}
    for r in rows:
        by_stream.setdefault(r["stream"], []).append(r)
    atts = []
    for _, pk in sorted(by_stream.items()):
        first = pk[0]
        if not (first["syn"] and not first["ack"] and 1 in first["subtypes"]):
            continue
        ini = (first["src"], first["sport"])
        a = {"src": first["src"], "sport": first["sport"], "dst": first["dst"],
             "dport": first["dport"], "syn_frame": first["frame"], "syns": 0,
             "synack": None, "synack_join": False, "ack3": None, "ack4": None,
             "rst": None, "rst_by": None, "reason": None, "mstream": first["mstream"]}
        for r in pk:
            frm = (r["src"], r["sport"]) == ini
            if r["syn"] and not r["ack"] and frm:
                if a["synack"] is None:
                    a["syns"] += 1
                continue
            if a["ack4"] or a["rst"]:
                break
            if r["rst"]:
                a["rst"] = r["frame"]
                a["rst_by"] = "initiator" if frm else "responder"
                a["reason"] = r["rst_reason"][0] if r["rst_reason"] else None
                continue
            if r["syn"] and r["ack"] and not frm and a["synack"] is None:
                a["synack"] = r["frame"]
                a["synack_join"] = 1 in r["subtypes"]
            elif frm and r["ack"] and a["synack"] and a["ack3"] is None and 1 in r["subtypes"]:
                a["ack3"] = r["frame"]
            elif not frm and r["ack"] and not r["syn"] and a["ack3"]:
                a["ack4"] = r["frame"]
        if a["ack4"]:
            a["outcome"] = "established"
        elif a["synack"] and not a["synack_join"]:
            a["outcome"] = "synack_without_join"
        elif a["rst"] and not a["synack"] and a["rst_by"] == "responder":
            a["outcome"] = "refused"
        elif a["rst"] and a["synack"]:
            a["outcome"] = "rejected"
        elif a["synack"]:
            a["outcome"] = "not_established"
        else:
            a["outcome"] = "no_synack"
        atts.append(a)
    return atts


def oracle_addresses(rows, atts):
    # an ADD_ADDR counts where its connection shows (MP_CAPABLE or MP_JOIN
    # seen in its mptcp.stream); mpana keeps address records per connection
    conns = {r["mstream"] for r in rows if 0 in r["subtypes"] or 1 in r["subtypes"]}
    anns = {}
    for r in rows:
        if r["mstream"] not in conns:
            continue
        n = 0
        for i, st in enumerate(r["subtypes"]):
            if st != 3:
                continue
            if n >= len(r["addrid"]):
                break
            echo = r["echo"][n] if n < len(r["echo"]) else False
            aid = r["addrid"][n]
            addr = r["aaddr"][n] if n < len(r["aaddr"]) else None
            n += 1
            if echo:
                for k, v in anns.items():
                    if k[0] == r["mstream"] and k[2] == aid and k[3] == addr and \
                            k[1] != r["src"] and v["echo"] is None:
                        v["echo"] = r["frame"]
                continue
            port = r["aport"][0] if len(r["aport"]) == 1 else None
            k = (r["mstream"], r["src"], aid, addr, port)
            if k in anns:
                anns[k]["repeats"] += 1
            else:
                anns[k] = {"frame": r["frame"], "repeats": 0, "echo": None}
    out = []
    for k, v in anns.items():
        to = [a for a in atts if a["mstream"] == k[0] and a["dst"] == k[3] and
              (k[4] is None or a["dport"] == k[4])]
        est = [a for a in to if a["outcome"] == "established"]
        v.update({"addr": k[3], "id": k[2], "port": k[4], "joins": len(to),
                  "verdict": "used" if est else "failed" if to else
                  "unused" if v["echo"] else "not_echoed"})
        out.append(v)
    return out


def mpana_records(mpana, pcap):
    out = subprocess.run([mpana, "-r", pcap, "--json", "-q"], check=True,
                         capture_output=True, text=True).stdout
    recs = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    return ([r for r in recs if r.get("record") == "join_attempt"],
            [r for r in recs if r.get("record") == "address"])


def compare_oracle(name, atts, mj, oaddrs, ma):
    by_frame = {r["syn_frame"]: r for r in mj}
    if len(mj) != len(atts):
        fail(f"{name}: {len(mj)} join attempts, oracle {len(atts)}")
    for a in atts:
        r = by_frame.get(a["syn_frame"])
        if not r:
            fail(f"{name}: no join attempt for the SYN in frame {a['syn_frame']}")
            continue
        got = (r["src"], r["sport"], r["dst"], r["dport"], r["retransmissions"] + 1)
        exp = (a["src"], a["sport"], a["dst"], a["dport"], a["syns"])
        if got != exp:
            fail(f"{name}: attempt frame {a['syn_frame']}: {got} != oracle {exp}")
        out = r["outcome"]
        if out in ("hmac_failure", "unknown_token") and a["outcome"] != "established":
            pass  # tshark checks neither HMACs nor tokens: any failure agrees
        elif out != a["outcome"]:
            fail(f"{name}: attempt frame {a['syn_frame']}: outcome {out}, oracle {a['outcome']}")
        for k, f in (("synack_frame", "synack"), ("ack_frame", "ack3"), ("ack4_frame", "ack4"),
                     ("reset_frame", "rst")):
            if k == "ack_frame" and r["outcome"] == "hmac_failure":
                continue
            if r[k] != a[f]:
                fail(f"{name}: attempt frame {a['syn_frame']}: {k} {r[k]}, oracle {a[f]}")
        if a["rst"] and r["tcprst_reason"] != a["reason"]:
            fail(f"{name}: attempt frame {a['syn_frame']}: MP_TCPRST reason "
                 f"{r['tcprst_reason']}, oracle {a['reason']}")
    mby = {r["frame"]: r for r in ma}
    if len(ma) != len(oaddrs):
        fail(f"{name}: {len(ma)} address records, oracle {len(oaddrs)}")
    for o in oaddrs:
        r = mby.get(o["frame"])
        if not r:
            fail(f"{name}: no address record for the ADD_ADDR in frame {o['frame']}")
            continue
        got = (r["addr"], r["addr_id"], r["port"], r["retransmissions"], r["echo_frame"],
               r["n_joins"], r["verdict"])
        exp = (o["addr"], o["id"], o["port"], o["repeats"], o["echo"], o["joins"], o["verdict"])
        if got != exp:
            fail(f"{name}: address frame {o['frame']}: {got} != oracle {exp}")


def compare_truth(name, truth, mj, ma):
    why = truth.get("why") or {}
    exp = truth.get("expected", {})
    nconn = exp.get("mptcp_connections", 1)
    joins = [s for s in exp.get("subflows", []) if s.get("role") == "join"]
    wj = why.get("joins", [])
    if len(mj) != len(joins) * nconn:
        fail(f"{name}: {len(mj)} join attempts, truth {len(joins) * nconn}")
    for s in joins:
        hits = [r for r in mj if r["src"] == s["client"] and r["dst"] == s["server"] and
                r["dport"] == s["server_port"]]
        if len(hits) != nconn:
            fail(f"{name}: join {s['client']} > {s['server']}:{s['server_port']}: "
                 f"{len(hits)} attempts, truth {nconn}")
        w = [j for j in wj if j["from"] == s["client"] and j["to"] == s["server"] and
             j["to_port"] == s["server_port"]]
        want = w[0]["outcome"] if w else "established"
        want = {"reset_after_ack": "rejected"}.get(want, want)
        for r in hits:
            if r["outcome"] != want:
                fail(f"{name}: join {r['src']} > {r['dst']}: outcome {r['outcome']}, truth {want}")
            if w and "reset_reason" in w[0] and r["tcprst_reason"] != w[0]["reset_reason"]:
                fail(f"{name}: join reset reason {r['tcprst_reason']}, truth {w[0]['reset_reason']}")
            if want == "rejected" and (r["reset_by"] != "responder" or not r["ack_frame"]):
                fail(f"{name}: the reset must come from the responder after the third ACK")
            if want == "no_synack" and not r["gave_up"]:
                fail(f"{name}: the join was given up before the capture ended")
    for an in why.get("announced", []):
        hits = [u for u in ma if u["addr"] == an["addr"] and u["addr_id"] == an["id"] and
                u["port"] == an["port"] and u["announcer"] == an["by"]]
        if not hits:
            fail(f"{name}: no address record for {an['addr']} id {an['id']}")
        for u in hits:
            if u["verdict"] != an["verdict"] or (u["t_echo"] is not None) != an["echoed"]:
                fail(f"{name}: address {an['addr']}: {u['verdict']}, echoed "
                     f"{u['t_echo'] is not None}; truth {an['verdict']}, {an['echoed']}")
    # The kernel's counters of the capture's namespace (the client's for
    # every lab file here) and what the peer counted of the same packets.
    ns = truth.get("nstat")
    if ns and truth.get("capture", {}).get("namespace", "client") == "client":
        c, s = ns["client"], ns["server"]
        mine = [r for r in mj if r["initiator"] == "client"]
        checks = [
            ("client MPTcpExtMPJoinSynTx", len(mine), c.get("MPTcpExtMPJoinSynTx")),
            ("client MPTcpExtMPJoinSynAckRx",
             len([r for r in mine if r["peer_addr_id"] is not None]),
             c.get("MPTcpExtMPJoinSynAckRx")),
            ("server MPTcpExtMPJoinRejected",
             len([r for r in mine if r["outcome"] == "rejected" and r["reset_by"] == "responder"]),
             s.get("MPTcpExtMPJoinRejected")),
            ("client MPTcpExtAddAddr",
             sum(1 + u["retransmissions"] for u in ma if u["announcer"] == "server"),
             c.get("MPTcpExtAddAddr")),
            ("client MPTcpExtEchoAddTx",
             len([u for u in ma if u["announcer"] == "server" and u["t_echo"] is not None]),
             c.get("MPTcpExtEchoAddTx")),
        ]
        for what, got, want in checks:
            if want is not None and got != want:
                fail(f"{name}: {what}: {got} from the capture, kernel {want}")


def dropped(mpana, pcap, frame, expects):
    """The capture without one frame (drop_frame.py): each SYNFRAME:OUTCOME
    [:inferred] must hold for the attempt whose SYN is that frame."""
    import tempfile
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "cut.pcap")
        subprocess.run([sys.executable, os.path.join(here, "drop_frame.py"), pcap, out,
                        str(frame)], check=True)
        mj, _ = mpana_records(mpana, out)
    by = {r["syn_frame"]: r for r in mj}
    for e in expects:
        f, outcome, *rest = e.split(":")
        r = by.get(int(f))
        if not r:
            fail(f"without frame {frame}: no attempt with its SYN in frame {f}")
            continue
        if r["outcome"] != outcome or r["inferred"] != ("inferred" in rest):
            fail(f"without frame {frame}: attempt {f}: {r['outcome']} inferred "
                 f"{r['inferred']}, expected {e}")
    print(f"without frame {frame}: " + ", ".join(
        f"{r['syn_frame']}:{r['outcome']}{':inferred' if r['inferred'] else ''}" for r in mj))
    return 1 if failures else 0


def main():
    args = sys.argv[1:]
    truth = None
    if "--drop" in args:
        i = args.index("--drop")
        return dropped(args[0], args[1], int(args[i + 1]), args[i + 2:])
    if "--truth" in args:
        i = args.index("--truth")
        truth = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    mpana, pcap = args
    if not os.path.exists(pcap):
        print(f"SKIP: {pcap} absent")
        return 77
    if not shutil.which("tshark"):
        print("SKIP: tshark missing")
        return 77
    name = pcap.rsplit("/", 1)[-1]
    mj, ma = mpana_records(mpana, pcap)
    rows = tshark_rows(pcap)
    atts = oracle_joins(rows)
    compare_oracle(name, atts, mj, oracle_addresses(rows, atts), ma)
    if truth:
        with open(truth) as f:
            compare_truth(name, json.load(f), mj, ma)
    print(f"{name}: {len(mj)} join attempts "
          f"({', '.join(sorted(set(r['outcome'] for r in mj))) or 'none'}), "
          f"{len(ma)} addresses ({', '.join(sorted(set(u['verdict'] for u in ma))) or 'none'})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
