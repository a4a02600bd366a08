#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Independent oracle for MPTCP failover latency (RFC 8684 §3.3, docs in
../shared/MPTCP-NOTES.md "Failover latency").

Reads a capture through tshark's fields only (no mpana code, no mpana
output) and prints a JSON object:

  {"episodes": [...], "reinjections": [...], "tshark_reinjection_marks": [...],
   "subflows": [...]}

episodes: one record per outage episode, with the field names of mpana's
{"record":"failover"} record, plus "rtt_ms", "from_tuple", "to_tuple" (the
subflow as [client, cport, server, sport]) and "oracle_note".

reinjections: data segments whose data-level range was sent before on
another subflow of the connection and never on this one (subflow-level
retransmissions of the same subflow sequence range are "retransmission").
Data-level ranges come from the DSS mapping on the wire: DSN + (seq - ISN -
SSN), never tshark's mptcp.rawdsn64 (wrong on join subflows in 4.0.17).

tshark_reinjection_marks: frames tshark itself marks with
mptcp.reinjection_of / mptcp.reinjected_in (none in 4.0.17 on the lab
captures; see tests/failover/README.md).

usage: oracle.py [--tshark PATH] PCAP
"""
import argparse
import hashlib
import json
import subprocess
import sys

GAP = 0.200          # outage threshold (Linux's minimum RTO)
RX_SETTLE = 0.100    # receiver side: "received at least ~100 ms earlier"

PREFS = ["-o", "mptcp.analyze_mptcp:TRUE", "-o", "mptcp.relative_sequence_numbers:FALSE",
         "-o", "mptcp.analyze_mappings:TRUE", "-o", "mptcp.intersubflows_retransmission:TRUE"]
FIELDS = ["frame.number", "frame.time_epoch", "tcp.stream", "ip.src", "ip.dst",
          "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport", "tcp.seq_raw",
          "tcp.ack_raw", "tcp.len", "tcp.flags", "tcp.options.mptcp.subtype",
          "tcp.options.mptcp.dseqnpresent.flag", "tcp.options.mptcp.dseqn8.flag",
          "tcp.options.mptcp.rawdataseqno", "tcp.options.mptcp.subflowseqno",
          "tcp.options.mptcp.datalvllen", "tcp.options.mptcp.dataackpresent.flag",
          "tcp.options.mptcp.dataack8.flag", "tcp.options.mptcp.rawdataack",
          "mptcp.stream", "tcp.options.mptcp.sendkey", "tcp.options.mptcp.recvkey",
          "sll.pkttype",
          "mptcp.reinjection_of", "mptcp.reinjected_in", "tcp.options.mptcp.datafin.flag",
          "tcp.options.mptcp.rst_reason", "tcp.options.mptcp.backup.flag"]
M32 = 1 << 32
M64 = 1 << 64


def first(v):
    return v.split(",")[0] if v else ""


def ints(v):
    return [int(x, 0) for x in v.split(",") if x != ""] if v else []


def load(pcap, tshark):
    cmd = [tshark, "-r", pcap, "-2"] + PREFS + ["-T", "fields", "-E", "occurrence=a",
                                               "-E", "aggregator=,", "-E", "separator=/t"]
    for f in FIELDS:
        cmd += ["-e", f]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise SystemExit("tshark failed: %s" % p.stderr.strip()[:400])
    rows = []
    for line in p.stdout.splitlines():
        v = line.split("\t")
        v += [""] * (len(FIELDS) - len(v))
        r = dict(zip(FIELDS, v))
        if r["tcp.stream"] == "":
            continue
        rows.append(r)
    return rows


def expand(v32, ref):
    """The 64-bit value nearest to ref whose low 32 bits are v32 (kernel's
    __mptcp_expand_seq, both ways)."""
    if ref is None:
        return v32
    cand = (ref & ~(M32 - 1)) | v32
    if cand - ref > M32 // 2:
        cand -= M32
    elif ref - cand > M32 // 2:
        cand += M32
    return cand % M64


class Pkt:
    __slots__ = ("frame", "t", "sf", "dir", "seq", "ack", "len", "flags", "subtypes",
                 "map", "dack", "out", "rel", "rel_end", "dsn", "dsn_end", "datafin",
                 "rst", "tcprst", "prio_backup", "ackrel")


class Subflow:
    def __init__(self, sid, stream, a, ap, b, bp):
        self.id = sid
        self.stream = stream
        self.ends = ((a, ap), (b, bp))     # first packet's src, dst
        self.client = None                 # index into ends of the SYN sender
        self.isn = [None, None]            # per sender end index
        self.maps = [[], []]               # per sender: (ssn, len, dsn)
        self.mptcp_stream = None
        self.syn_t = None
        self.rtt = None
        self.conn = None
        self.syn_frame = None
        self.join = False
        self.first_t = None
        self.keys = [None, None]           # MP_CAPABLE keys per end index

    def tup(self):
        c = self.client if self.client is not None else 0
        (a, ap), (b, bp) = self.ends[c], self.ends[1 - c]
        return [a, ap, b, bp]


def idsn_of(key):
    return int.from_bytes(hashlib.sha256(key.to_bytes(8, "big")).digest()[-8:], "big")


def build(rows):
    sfs = {}
    order = []
    pk = []
    for r in rows:
        st = int(r["tcp.stream"])
        src = r["ip.src"] or r["ipv6.src"]
        dst = r["ip.dst"] or r["ipv6.dst"]
        sp, dp = int(r["tcp.srcport"]), int(r["tcp.dstport"])
        if st not in sfs:
            sfs[st] = Subflow(len(order) + 1, st, src, sp, dst, dp)
            order.append(sfs[st])
        s = sfs[st]
        d = 0 if (src, sp) == s.ends[0] else 1
        p = Pkt()
        p.frame = int(r["frame.number"])
        p.t = float(r["frame.time_epoch"])
        p.sf, p.dir = s, d
        p.seq = int(r["tcp.seq_raw"]) if r["tcp.seq_raw"] else None
        p.ack = int(r["tcp.ack_raw"]) if r["tcp.ack_raw"] else None
        p.len = int(r["tcp.len"] or 0)
        p.flags = int(r["tcp.flags"], 16) if r["tcp.flags"] else 0
        p.subtypes = ints(r["tcp.options.mptcp.subtype"])
        p.out = r["sll.pkttype"] == "4" if r["sll.pkttype"] else None
        p.map = None
        p.dack = None
        p.datafin = "1" in r["tcp.options.mptcp.datafin.flag"].split(",")
        p.rst = bool(p.flags & 0x04)
        p.tcprst = 8 in p.subtypes
        p.prio_backup = 5 in p.subtypes and "1" in r["tcp.options.mptcp.backup.flag"].split(",")
        if s.first_t is None:
            s.first_t = p.t
        if 0 in p.subtypes and r["tcp.options.mptcp.sendkey"]:
            s.keys[d] = int(first(r["tcp.options.mptcp.sendkey"]))
            if r["tcp.options.mptcp.recvkey"]:
                s.keys[1 - d] = int(first(r["tcp.options.mptcp.recvkey"]))
        if r["mptcp.stream"] and s.mptcp_stream is None:
            s.mptcp_stream = int(first(r["mptcp.stream"]))
        if p.flags & 0x02:                               # SYN
            s.isn[d] = p.seq
            if not p.flags & 0x10:
                s.client = d
                s.syn_t = p.t
                s.syn_frame = p.frame
                s.join = 1 in p.subtypes
            elif s.syn_t is not None and s.rtt is None:
                s.rtt = p.t - s.syn_t
        if s.client is None and p.flags & 0x12 == 0x12:
            s.client = 1 - d
        # DSS mapping (RFC 8684 §3.3): DSN (4 or 8 bytes), SSN relative to ISN, length
        if "1" in r["tcp.options.mptcp.dseqnpresent.flag"].split(",") and \
                r["tcp.options.mptcp.rawdataseqno"]:
            dsn = int(first(r["tcp.options.mptcp.rawdataseqno"]))
            p.map = [dsn, int(first(r["tcp.options.mptcp.subflowseqno"]) or 0),
                     int(first(r["tcp.options.mptcp.datalvllen"]) or 0),
                     "1" in r["tcp.options.mptcp.dseqn8.flag"].split(",")]
        elif 0 in p.subtypes and p.len > 0 and r["tcp.options.mptcp.sendkey"]:
            # v1 MP_CAPABLE with data (len 22): implicit mapping DSN = IDSN + 1, SSN 1
            key = int(first(r["tcp.options.mptcp.sendkey"]))
            dl = ints(r["tcp.options.mptcp.datalvllen"])
            p.map = [(idsn_of(key) + 1) % M64, 1, dl[0] if dl else p.len, True]
        if "1" in r["tcp.options.mptcp.dataackpresent.flag"].split(",") and \
                r["tcp.options.mptcp.rawdataack"]:
            p.dack = [int(first(r["tcp.options.mptcp.rawdataack"])),
                      "1" in r["tcp.options.mptcp.dataack8.flag"].split(",")]
        pk.append(p)
    # connections: by tshark's mptcp.stream (first appearance order)
    conns = {}
    for s in order:
        key = s.mptcp_stream if s.mptcp_stream is not None else ("tcp", s.stream)
        if key not in conns:
            conns[key] = len(conns) + 1
        s.conn = conns[key]
    pk.sort(key=lambda p: (p.t, p.frame))
    return order, pk


def resolve(order, pk):
    """Subflow-relative sequence numbers, data-level ranges (64-bit) and
    64-bit DATA_ACKs.  Connections' data directions are keyed (conn, sender
    is client?)."""
    last64 = {}    # (conn, client_sends) -> last 64-bit DSN seen, for 32-bit expansion
    for s in order:                 # seeded with IDSN + 1 from the MP_CAPABLE keys
        if s.client is None:
            continue
        for d in (0, 1):
            if s.keys[d] is not None:
                last64.setdefault((s.conn, d == s.client), (idsn_of(s.keys[d]) + 1) % M64)
    for p in pk:
        s = p.sf
        if s.isn[p.dir] is None and p.map and p.len and p.seq is not None:
            s.isn[p.dir] = (p.seq - p.map[1]) % M32     # no SYN seen: first mapping
        c2s = (p.dir == s.client) if s.client is not None else p.dir == 0
        key = (s.conn, c2s)
        if p.map:
            dsn, ssn, dl, is64 = p.map
            if not is64:
                dsn = expand(dsn, last64.get(key))
            p.map = (dsn, ssn, dl)
            last64[key] = dsn
            s.maps[p.dir].append(p.map)
        p.rel = p.rel_end = p.dsn = p.dsn_end = None
        if p.seq is not None and s.isn[p.dir] is not None:
            p.rel = (p.seq - s.isn[p.dir]) % M32
            p.rel_end = p.rel + p.len
        p.ackrel = None
        if p.ack is not None and p.flags & 0x10 and s.isn[1 - p.dir] is not None:
            p.ackrel = (p.ack - s.isn[1 - p.dir]) % M32
        if p.len and p.rel is not None and not p.flags & 0x02:
            m = p.map
            if m is None or not (m[1] <= p.rel < m[1] + max(m[2], 1)):
                m = None
                for mm in reversed(s.maps[p.dir]):
                    if mm[1] <= p.rel < mm[1] + max(mm[2], 1):
                        m = mm
                        break
            if m is not None:
                p.dsn = (m[0] + (p.rel - m[1])) % M64
                p.dsn_end = p.dsn + p.len
        if p.dack:
            v, is64 = p.dack
            # the DATA_ACK from this sender acknowledges the other direction
            okey = (s.conn, not c2s)
            if is64:
                p.dack = v
            elif okey in last64:
                p.dack = expand(v, last64[okey])
            else:
                p.dack = None       # a 32-bit DATA_ACK with nothing to expand it against


def direction(s, d):
    return "c2s" if d == s.client else "s2c"


def vantage(order, pk):
    """Per (conn, c2s): 'sender' when the capture saw the data sender's
    segments leave (SLL pkttype 4 'outgoing'), 'receiver' when they came in.
    Without an SLL header: 'sender' (and a note)."""
    v = {}
    for p in pk:
        if p.len and p.out is not None:
            key = (p.sf.conn, p.dir == p.sf.client)
            v.setdefault(key, "sender" if p.out else "receiver")
    return v


def sender_episodes(order, pk, conn, c2s, t_end):
    eps = []
    dpk = [p for p in pk if p.sf.conn == conn]
    # DATA_ACKs from the receiver Y of direction c2s, any subflow
    dacks = [p for p in dpk if p.dack is not None and (p.sf.client is None or
                                                       (p.dir != p.sf.client) == c2s)]
    for s in [x for x in order if x.conn == conn]:
        if s.client is None:
            continue
        X = s.client if c2s else 1 - s.client
        sp = [p for p in dpk if p.sf is s]
        data = [p for p in sp if p.dir == X and p.len and p.rel is not None
                and not p.flags & 0x02]
        if not data:
            continue
        acks = [p for p in sp if p.dir != X and p.ackrel is not None]
        # consecutive advances of S's ACK from Y
        adv = []
        cur = None
        for p in acks:
            if cur is None or 0 < (p.ackrel - cur) % M32 < M32 // 2:
                cur = p.ackrel
                adv.append(p)
        if not adv:
            continue
        for i, a in enumerate(adv):
            ack0 = a.ackrel
            nxt = adv[i + 1] if i + 1 < len(adv) else None
            t_next = nxt.t if nxt else t_end
            if t_next - a.t <= GAP:
                continue            # the gap itself is short: no outage possible
            # data outstanding after a: sent before the outage ends, beyond ack0
            out = [p for p in data if p.t < t_next and 0 < (p.rel_end - ack0) % M32 < M32 // 2]
            if not out:
                continue
            start = max(a.t, min(p.t for p in out))
            # a reset subflow has nothing outstanding any more: the outage
            # window closes at the first RST on S (either direction)
            t_cap = min([t_next] + [p.t for p in sp if p.rst and p.t >= start])
            if t_cap - start <= GAP:
                continue
            lost = out
            known = [p for p in lost if p.dsn_end is not None]
            ep = {"record": "failover", "conn": conn, "direction": "c2s" if c2s else "s2c",
                  "vantage": "sender", "from_subflow": s.id, "t_fail": a.t,
                  "fail_frame": a.frame, "lower_bound": False, "cause": None,
                  "oracle_note": None}
            # lost bytes: distinct subflow-level bytes beyond ack0
            iv = sorted((max(p.rel, ack0), p.rel_end) for p in lost)
            tot, hi = 0, None
            for lo, e in iv:
                if hi is None or lo > hi:
                    tot += e - lo
                    hi = e
                elif e > hi:
                    tot += e - hi
                    hi = e
            ep["lost_bytes"] = tot
            if not known:
                ep["oracle_note"] = "no mapping seen for the lost data"
                M = None
            else:
                M = max(p.dsn_end for p in known)
            rec = None
            if M is not None:
                for p in dacks:
                    if (p.t, p.frame) > (a.t, a.frame) and (p.dack - M) % M64 < M64 // 2:
                        rec = p
                        break
            ep["t_recovered"] = rec.t if rec else None
            ep["recovered_frame"] = rec.frame if rec else None
            ep["latency_ms"] = round((rec.t - a.t) * 1000, 3) if rec else None
            ep["to_subflow"] = rec.sf.id if rec else None
            ep["kind"] = "failover" if rec and (nxt is None or (rec.t, rec.frame) <
                                                (nxt.t, nxt.frame)) else "stall"
            # first reinjection of S's lost data on another subflow
            ranges = [(p.dsn, p.dsn_end) for p in known]
            t_re = None
            for p in dpk:
                if p.sf is s or p.dsn is None or (p.t, p.frame) <= (a.t, a.frame):
                    continue
                if (p.dir == p.sf.client) != c2s:
                    continue
                if any(p.dsn < e and lo < p.dsn_end for lo, e in ranges):
                    t_re = p.t
                    ep["first_reinject_frame"] = p.frame
                    ep["first_reinject_subflow"] = p.sf.id
                    break
            ep["t_first_reinject"] = t_re
            # longest DATA_ACK stall inside [t_fail, t_recovered]
            t_stop = rec.t if rec else t_next
            marks, best = a.t, 0.0
            last = None
            for p in dacks:
                if p.t < a.t:
                    last = p.dack
                    continue
                if p.t > t_stop:
                    break
                if last is None or 0 < (p.dack - last) % M64 < M64 // 2:
                    best = max(best, p.t - marks)
                    marks, last = p.t, p.dack
            best = max(best, t_stop - marks)
            ep["stall_ms"] = round(best * 1000, 3)
            ep["cause"] = cause_of(s, sp, a.t, t_next)
            if ep["kind"] == "failover" and nxt is not None:
                ep["t_failback"] = nxt.t
                ep["failback_ms"] = round((nxt.t - a.t) * 1000, 3)
            else:
                ep["t_failback"] = ep["failback_ms"] = None
            ep["join_setup_ms"] = join_setup(order, pk, conn, start, t_stop)
            ep["rtt_ms"] = rtt_ms(s, sp, X)
            eps.append(ep)
    return eps


def cause_of(s, sp, t0, t1):
    for p in sp:
        if t0 <= p.t <= t1:
            if p.tcprst:
                return "mp_tcprst"
            if p.rst:
                return "rst"
            if p.prio_backup:
                return "mp_prio_backup"
    return None


def join_setup(order, pk, conn, t0, t1):
    """A join whose SYN falls inside the outage: SYN to the responder's first
    ACK after the third ACK (the fourth packet of the join handshake)."""
    for s in order:
        if s.conn != conn or not s.join or s.syn_t is None or not (t0 <= s.syn_t <= t1):
            continue
        third = None
        for p in pk:
            if p.sf is not s or p.t < s.syn_t:
                continue
            if third is None and p.dir == s.client and p.flags & 0x12 == 0x10:
                third = p
            elif third is not None and p.dir != s.client and p.flags & 0x10:
                return round((p.t - s.syn_t) * 1000, 3)
    return None


def rtt_ms(s, sp, X):
    if s.rtt is not None and s.rtt > 0:
        return round(s.rtt * 1000, 3)
    return None


def receiver_episodes(order, pk, conn, c2s, t_end):
    """MPTCP-NOTES "Receiver-side capture"."""
    eps = []
    dpk = [p for p in pk if p.sf.conn == conn]
    xdata = [p for p in dpk if p.len and p.dsn_end is not None and
             (p.dir == p.sf.client) == c2s]
    ydack = [p for p in dpk if p.dack is not None and (p.dir == p.sf.client) != c2s]
    if not xdata:
        return eps

    def R(t):    # max data-level end received up to t
        v = None
        for p in xdata:
            if p.t > t:
                break
            v = p.dsn_end if v is None or p.dsn_end > v else v
        return v

    def A(t):    # Y's latest DATA_ACK at t
        v = None
        for p in ydack:
            if p.t > t:
                break
            v = p.dack
        return v

    for s in [x for x in order if x.conn == conn]:
        sd = [p for p in xdata if p.sf is s]
        for i, d in enumerate(sd):
            t_next = sd[i + 1].t if i + 1 < len(sd) else t_end
            if t_next - d.t <= GAP:
                continue
            if any(p.datafin and p.t <= d.t for p in dpk if (p.dir == p.sf.client) == c2s):
                continue            # the sender had finished: not an outage
            a200, r100 = A(d.t + GAP), R(d.t + RX_SETTLE)
            others = [p for p in xdata if p.sf is not s and d.t < p.t < t_next]
            ep = {"record": "failover", "conn": conn, "direction": "c2s" if c2s else "s2c",
                  "vantage": "receiver", "from_subflow": s.id, "t_fail": d.t,
                  "fail_frame": d.frame, "lost_bytes": None, "cause": None,
                  "t_failback": None, "failback_ms": None, "oracle_note": None}
            rec = None
            if others and a200 is not None and r100 is not None and a200 < r100:
                for p in ydack:
                    if p.t >= d.t + GAP:
                        rv = R(p.t - RX_SETTLE)
                        if rv is not None and p.dack >= rv and p.dack > a200:
                            rec = p
                            break
                ep["lower_bound"] = False
            elif not others and sd[i + 1:] == [] and any(
                    p.sf is not s and p.sf.join and p.sf.syn_t and p.sf.syn_t > d.t
                    for p in xdata):
                # break-before-make: no holes can be seen
                resume = min(p.t for p in xdata if p.t > d.t)
                last = A(resume)
                for p in ydack:
                    if p.t >= resume and (last is None or p.dack > last):
                        rec = p
                        break
                ep["lower_bound"] = True
                ep["oracle_note"] = "no other subflow carried data: lower bound"
            else:
                continue
            ep["t_recovered"] = rec.t if rec else None
            ep["recovered_frame"] = rec.frame if rec else None
            ep["latency_ms"] = round((rec.t - d.t) * 1000, 3) if rec else None
            ep["to_subflow"] = rec.sf.id if rec else None
            ep["kind"] = "failover" if rec and rec.t < t_next else "stall"
            t_re = None
            hi = R(d.t)
            for p in xdata:
                if p.sf is s or p.t <= d.t:
                    continue
                if hi is not None and p.dsn < hi:
                    t_re = p.t
                    ep["first_reinject_frame"] = p.frame
                    break
                hi = p.dsn_end if hi is None or p.dsn_end > hi else hi
            ep["t_first_reinject"] = t_re
            t_stop = rec.t if rec else t_next
            marks, best, last = d.t, 0.0, A(d.t)
            for p in ydack:
                if p.t <= d.t:
                    continue
                if p.t > t_stop:
                    break
                if last is None or p.dack > last:
                    best = max(best, p.t - marks)
                    marks, last = p.t, p.dack
            ep["stall_ms"] = round(max(best, t_stop - marks) * 1000, 3)
            ep["join_setup_ms"] = join_setup(order, pk, conn, d.t, t_stop)
            ep["rtt_ms"] = rtt_ms(s, None, None)
            eps.append(ep)
    return eps


def reinjections(order, pk):
    """Per data segment: 'reinjection' when its data-level range overlaps
    data sent earlier on another subflow of the connection, in the same
    direction, and its subflow range was not sent before on this subflow
    (that is a subflow-level 'retransmission')."""
    out = []
    sent_sf = {}       # (subflow id, dir) -> list of (rel, rel_end)
    sent_dsn = {}      # (conn, c2s) -> list of (dsn, dsn_end, subflow id)
    for p in pk:
        if not p.len or p.rel is None or p.flags & 0x02:
            continue
        s = p.sf
        k = (s.id, p.dir)
        prev = sent_sf.setdefault(k, [])
        is_retx = any(lo < p.rel_end and p.rel < e for lo, e in prev)
        prev.append((p.rel, p.rel_end))
        if p.dsn is None:
            continue
        ck = (s.conn, p.dir == s.client)
        seen = sent_dsn.setdefault(ck, [])
        other = [x for x in seen if x[2] != s.id and x[0] < p.dsn_end and p.dsn < x[1]]
        if other and not is_retx:
            out.append({"frame": p.frame, "t": p.t, "conn": s.conn, "subflow": s.id,
                        "direction": direction(s, p.dir), "dsn": p.dsn, "dlen": p.len,
                        "of_subflow": other[0][2]})
        seen.append((p.dsn, p.dsn_end, s.id))
    return out


def tshark_marks(rows):
    res = []
    for r in rows:
        if r["mptcp.reinjection_of"] or r["mptcp.reinjected_in"]:
            res.append({"frame": int(r["frame.number"]),
                        "reinjection_of": ints(r["mptcp.reinjection_of"]),
                        "reinjected_in": ints(r["mptcp.reinjected_in"])})
    return res


def analyze(pcap, tshark="tshark"):
    rows = load(pcap, tshark)
    order, pk = build(rows)
    resolve(order, pk)
    t_end = max((p.t for p in pk), default=0.0)
    van = vantage(order, pk)
    eps = []
    conns = sorted({s.conn for s in order})
    for c in conns:
        for c2s in (True, False):
            v = van.get((c, c2s), "sender")
            if v == "sender":
                eps += sender_episodes(order, pk, c, c2s, t_end)
            else:
                eps += receiver_episodes(order, pk, c, c2s, t_end)
    byid = {s.id: s for s in order}
    for e in eps:
        e["from_tuple"] = byid[e["from_subflow"]].tup()
        e["to_tuple"] = byid[e["to_subflow"]].tup() if e.get("to_subflow") else None
    eps.sort(key=lambda e: (e["t_fail"], e["from_subflow"]))
    return {"pcap": pcap,
            "vantage": {"%d/%s" % (c, "c2s" if d else "s2c"): v for (c, d), v in van.items()},
            "subflows": [{"subflow": s.id, "conn": s.conn, "tcp_stream": s.stream,
                          "tuple": s.tup(), "join": s.join} for s in order],
            "episodes": eps,
            "reinjections": reinjections(order, pk),
            "tshark_reinjection_marks": tshark_marks(rows)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pcap")
    ap.add_argument("--tshark", default="tshark")
    ap.add_argument("--episodes", action="store_true", help="print episodes only")
    a = ap.parse_args()
    res = analyze(a.pcap, a.tshark)
    json.dump(res["episodes"] if a.episodes else res, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
