#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Hostile captures: generate a pcap in WORKDIR, run mpana (and the engine
driver hostile_engine) on it, check the expected outcome (ctest hostile.*).

usage: run_hostile.py MPANA HOSTILE_ENGINE WORKDIR CASE
       run_hostile.py --list

Every case must end without a crash (the sanitizer build aborts on any
error), with the exit code it names (0, or 1 for a damaged file with a
message on stderr), with a summary, and with the counts it names. Python 3
standard library only; the pcaps are written at test time, never committed.
HOSTILE_CONNS overrides the connection count of many_conns (default 200000;
docs/robustness.md has 1 000 000 measured by hand).
"""
import json
import os
import struct
import subprocess
import sys
import time

LINKTYPE_RAW = 101
NS = 10**9
T0 = 1700000000 * NS

# ---- packet and file builders ------------------------------------------


def ipv4_tcp(src, dst, sport, dport, flags, opts=b"", payload=b"", seq=1000,
             ack=0, ip_total=None):
    """An IPv4 + TCP packet; `opts` is padded with EOL to a multiple of 4."""
    opts = opts + b"\0" * (-len(opts) % 4)
    doff = (20 + len(opts)) // 4
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq, ack, doff << 4, flags,
                      65535, 0, 0) + opts + payload
    total = ip_total if ip_total is not None else 20 + len(tcp)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, total & 0xffff, 0, 0x4000, 64, 6,
                     0, bytes(src), bytes(dst))
    return ip + tcp


def ipv6_tcp(src, dst, sport, dport, flags, opts=b"", payload_len=None):
    opts = opts + b"\0" * (-len(opts) % 4)
    tcp = struct.pack(">HHIIBBHHH", sport, dport, 1, 0, (20 + len(opts)) // 4 << 4,
                      flags, 65535, 0, 0) + opts
    plen = payload_len if payload_len is not None else len(tcp)
    return struct.pack(">IHBB16s16s", 0x60000000, plen, 6, 64, bytes(src),
                       bytes(dst)) + tcp


def pcap_header(snaplen=65535, link=LINKTYPE_RAW, nano=True):
    magic = 0xa1b23c4d if nano else 0xa1b2c3d4
    return struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen & 0xffffffff, link)


def pcap_record(ts_ns, data, caplen=None, wirelen=None):
    cap = len(data) if caplen is None else caplen
    return struct.pack("<IIII", ts_ns // NS, ts_ns % NS, cap & 0xffffffff,
                       len(data) if wirelen is None else wirelen) + data


def write_pcap(path, pkts, snaplen=65535):
    """pkts: iterable of (ts_ns, bytes)."""
    with open(path, "wb") as f:
        f.write(pcap_header(snaplen))
        for ts, data in pkts:
            f.write(pcap_record(ts, data))


SYN, ACK, FIN, RST = 0x02, 0x10, 0x01, 0x04
A, B = (10, 0, 0, 1), (10, 0, 0, 2)


def mpc(version, key=None, rkey=None):
    """MP_CAPABLE: v1 SYN (no key), or with the sender's (and receiver's) key."""
    body = bytes([0x00 | version, 0x01])
    if key is not None:
        body += struct.pack(">Q", key)
    if rkey is not None:
        body += struct.pack(">Q", rkey)
    return bytes([30, 2 + len(body)]) + body


def join_syn(token, nonce, addr_id=1):
    return bytes([30, 12, 0x10, addr_id]) + struct.pack(">II", token, nonce)


def dss(dack, dsn, ssn, dll):
    return bytes([30, 20, 0x20, 0x05]) + struct.pack(">IIIHH", dack, dsn, ssn, dll, 0)


# ---- running ------------------------------------------------------------


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)
    print("ok: " + what)


def run_mpana(mpana, args, expect_rc=0, records=True):
    """Runs mpana --json ARGS; returns (summary, records, stderr, peak RSS KiB).

    stdout goes to a file (a big run writes one record per connection);
    records=False skips parsing them. Peak RSS comes from /usr/bin/time
    (getrusage in this process would include python's own peak, folded
    into the child at exec); None without it."""
    out_path = os.path.join(WORK, "mpana.stdout")
    rss_path = os.path.join(WORK, "mpana.rss")
    cmd = [mpana, "--json"] + args
    if os.access("/usr/bin/time", os.X_OK):
        cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_path] + cmd
    t = time.monotonic()
    env = dict(os.environ)
    # a small ASan quarantine, so that peak RSS reflects live memory
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=16"
    with open(out_path, "w") as out:
        p = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE, text=True, env=env)
    rss = None
    if os.path.exists(rss_path):
        rss = int(open(rss_path).read().split()[-1])
        os.unlink(rss_path)
    print("mpana %s: exit %d in %.1f s, peak RSS %s KiB" % (
        " ".join(args), p.returncode, time.monotonic() - t, rss))
    if p.stderr:
        print("stderr: " + p.stderr.strip()[:500])
    check(p.returncode == expect_rc, "mpana exit code %d (expected %d)" % (p.returncode, expect_rc))
    recs, last = [], None
    with open(out_path) as f:
        for line in f:
            if not line.strip():
                continue
            if last is not None and records:
                r = json.loads(last)
                if "opt" in r:  # option records, not connection/subflow ones
                    recs.append(r)
            last = line
    os.unlink(out_path)
    check(last is not None, "mpana printed output")
    summary = json.loads(last)
    check(summary.get("record") == "summary", "last line is the summary record")
    return summary, recs, p.stderr, rss


def run_engine(engine, pcap, max_conns=0, idle_s=0):
    t = time.monotonic()
    env = dict(os.environ)
    # a small ASan quarantine, so that peak RSS reflects live memory
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=16"
    p = subprocess.run([engine, pcap, str(max_conns), str(idle_s)],
                       capture_output=True, text=True, env=env)
    print("engine max_conns=%d idle=%d: exit %d in %.1f s" % (
        max_conns, idle_s, p.returncode, time.monotonic() - t))
    if p.stderr:
        print("stderr: " + p.stderr.strip()[:500])
    check(p.returncode == 0, "engine driver exit 0")
    r = json.loads(p.stdout)
    print("engine: " + json.dumps({k: v for k, v in r.items() if k != "events"}))
    print("engine events: " + json.dumps({k: v for k, v in r["events"].items() if v}))
    return r


def mpana_has_flag(mpana, flag):
    out = subprocess.run([mpana, "--help"], capture_output=True, text=True).stdout
    return flag in out


# ---- cases --------------------------------------------------------------


def case_join_flood(mpana, engine, work):
    """10 000 MP_JOIN SYNs to one unknown token, from distinct ports."""
    path = os.path.join(work, "join_flood.pcap")
    write_pcap(path, ((T0 + i * 100000, ipv4_tcp(A, B, 1024 + i, 80, SYN,
                       join_syn(0xdeadbeef, i))) for i in range(10000)))
    s, _, _, _ = run_mpana(mpana, ["-q", "-r", path])
    check(s["packets"] == 10000 and s["mptcp_packets"] == 10000, "10000 MPTCP packets")
    check(s["options"] == {"mp_join": 10000}, "10000 mp_join options")
    check(s["malformed"] == 0, "nothing malformed")
    r = run_engine(engine, path, max_conns=1000)
    check(r["max_subflows_live"] <= 2000, "subflows in memory stay <= the cap (2000)")
    check(r["max_conns_live"] <= 1000, "connections in memory stay <= the cap (1000)")
    check(r["events"]["orphan_join"] >= 1, "orphan joins reported")
    check(r["events"]["table_full"] >= 1, "the cap is reported (table_full)")


def write_many_conns(path, n):
    tmpl = ipv4_tcp(A, B, 0, 443, SYN, mpc(0, 0))
    with open(path, "wb") as f:
        f.write(pcap_header())
        for i in range(n):
            pkt = bytearray(tmpl)
            pkt[12:16] = bytes((10, 1 + (i >> 16) % 250, (i >> 8) & 255, i & 255))
            pkt[20:22] = struct.pack(">H", 1024 + i % 50000)
            pkt[44:52] = struct.pack(">Q", 0x1234567800000000 | i)
            f.write(pcap_record(T0 + i * 1000, bytes(pkt)))


def case_many_conns(mpana, engine, work):
    """N distinct MP_CAPABLE connections (SYN with a key): caps and memory.

    Memory is bounded when the peak RSS for N connections is about that for
    N/4 (under ASan the absolute figure is mostly shadow and quarantine)."""
    n = int(os.environ.get("HOSTILE_CONNS", "200000"))
    cap = 10000
    small = os.path.join(work, "quarter_conns.pcap")
    path = os.path.join(work, "many_conns.pcap")
    write_many_conns(small, n // 4)
    write_many_conns(path, n)
    capargs = ["--max-conns", str(cap)] if mpana_has_flag(mpana, "--max-conns") else []
    s4, _, _, rss4 = run_mpana(mpana, capargs + ["-q", "-r", small], records=False)
    s, _, _, rss = run_mpana(mpana, capargs + ["-q", "-r", path], records=False)
    check(s["packets"] == n and s["options"] == {"mp_capable": n}, "%d MP_CAPABLE SYNs" % n)
    if "evicted" in s and capargs:
        check(s["connections"] == n and s["evicted"] >= n - cap,
              "mpana --max-conns %d: %d connections, %d evicted" % (cap, n, s["evicted"]))
    if rss is not None and rss4 is not None:
        check(rss - rss4 < rss4 // 4 + 32768,
              "mpana peak RSS flat: %d KiB for %d conns, %d KiB for %d" % (rss, n, rss4, n // 4))
    r4 = run_engine(engine, small, max_conns=cap)
    r = run_engine(engine, path, max_conns=cap)
    check(r["conns"] == n, "%d connections created" % n)
    check(r["max_conns_live"] <= cap, "connections in memory <= %d" % cap)
    check(r["evicted"] >= n - cap, "the oldest were evicted (%d)" % r["evicted"])
    check(r["events"]["table_full"] >= 1, "table_full events say so")
    check(r["oom"] == 0, "no allocation failure")
    grow = r["peak_rss_kib"] - r4["peak_rss_kib"]
    check(grow < r4["peak_rss_kib"] // 4 + 32768,
          "peak RSS flat: %d KiB for %d conns, %d KiB for %d (+%d KiB)" % (
              r["peak_rss_kib"], n, r4["peak_rss_kib"], n // 4, grow))


def conn_packets(t, sport, key_a, key_b, src=A, dst=B):
    """A v0 MPTCP handshake and a DSS data packet starting at time t."""
    return [
        (t, ipv4_tcp(src, dst, sport, 80, SYN, mpc(0, key_a), seq=100)),
        (t + 1000000, ipv4_tcp(dst, src, 80, sport, SYN | ACK, mpc(0, key_b), seq=500, ack=101)),
        (t + 2000000, ipv4_tcp(src, dst, sport, 80, ACK, mpc(0, key_a, key_b), seq=101, ack=501)),
        (t + 3000000, ipv4_tcp(src, dst, sport, 80, ACK | 0x08, dss(1, 1, 1, 4), b"abcd",
                               seq=101, ack=501)),
    ]


def case_ooo_timestamps(mpana, engine, work):
    """Timestamps going backwards by hours, to zero, and forwards again."""
    path = os.path.join(work, "ooo.pcap")
    pkts = conn_packets(T0, 40000, 1, 2)
    jumps = [T0 + 3600 * NS, T0 - 7200 * NS, 0, T0 + 86400 * NS, T0]
    pkts = [(jumps[i % len(jumps)], d) for i, (_, d) in enumerate(pkts * 5)]
    pkts += conn_packets(T0 - 86400 * NS, 40001, 3, 4)
    write_pcap(path, pkts)
    s, _, _, _ = run_mpana(mpana, ["-q", "-r", path])
    check(s["packets"] == len(pkts) and s["malformed"] == 0, "%d packets, none malformed" % len(pkts))
    r = run_engine(engine, path, idle_s=60)
    check(r["conns"] >= 2, "both connections seen")


def case_truncated_record(mpana, engine, work):
    """A file cut inside a record's data, and one cut inside a record header."""
    pkts = conn_packets(T0, 40000, 1, 2)
    whole = pcap_header() + b"".join(pcap_record(t, d) for t, d in pkts)
    for name, cut in (("trunc_data", len(whole) - 10), ("trunc_hdr", len(whole) - len(pkts[-1][1]) - 8)):
        path = os.path.join(work, name + ".pcap")
        with open(path, "wb") as f:
            f.write(whole[:cut])
        s, _, err, _ = run_mpana(mpana, ["-q", "-r", path], expect_rc=1)
        check("truncated" in err, "%s: stderr says the file is truncated" % name)
        check(s["packets"] == 3, "%s: the 3 whole records were analyzed" % name)
        run_engine(engine, path)


def case_snaplen(mpana, engine, work):
    """Absurd snaplen in the file header (0, 0xffffffff), and a record claiming more than it."""
    pkts = conn_packets(T0, 40000, 1, 2)
    for snap in (0, 0xffffffff, 1):
        path = os.path.join(work, "snaplen_%x.pcap" % snap)
        write_pcap(path, pkts, snaplen=snap)
        s, _, _, _ = run_mpana(mpana, ["-q", "-r", path])
        if snap == 1:  # libpcap cuts each record to the header's snaplen
            check(s["packets"] == 4 and s["truncated"] == 4 and s["tcp"] == 0,
                  "snaplen 1: 4 packets, each counted as truncated")
        else:  # libpcap ignores 0 and absurd values (max for the link type)
            check(s["packets"] == 4 and s["mptcp_packets"] == 4 and s["malformed"] == 0,
                  "snaplen 0x%x: 4 MPTCP packets decoded, none malformed" % snap)
        run_engine(engine, path)
    # a record whose caplen is absurd: libpcap refuses it (damaged file)
    path = os.path.join(work, "caplen_huge.pcap")
    with open(path, "wb") as f:
        f.write(pcap_header() + pcap_record(T0, pkts[0][1]) +
                struct.pack("<IIII", T0 // NS, 0, 0xfffffff0, 60) + pkts[1][1])
    s, _, err, _ = run_mpana(mpana, ["-q", "-r", path], expect_rc=1)
    check("length" in err or "large" in err, "huge caplen: stderr names the bad length")
    check(s["packets"] == 1, "huge caplen: the record before it was analyzed")


def case_ip_len_over(mpana, engine, work):
    """IP length fields larger than the captured bytes (IPv4 and IPv6)."""
    path = os.path.join(work, "ip_len_over.pcap")
    a6, b6 = bytes(15) + b"\1", bytes(15) + b"\2"
    pkts = [
        (T0, ipv4_tcp(A, B, 40000, 80, SYN, mpc(0, 1), ip_total=1500)),
        (T0 + 1, ipv4_tcp(A, B, 40000, 80, ACK, dss(1, 1, 1, 4), b"ab", ip_total=65535)),
        (T0 + 2, ipv6_tcp(a6, b6, 40000, 80, SYN, mpc(0, 1), payload_len=65535)),
        (T0 + 3, ipv4_tcp(A, B, 40001, 80, SYN, mpc(0, 1), ip_total=21)),  # < headers
    ]
    write_pcap(path, pkts)
    s, _, _, _ = run_mpana(mpana, ["-q", "-r", path])
    check(s["packets"] == 4, "4 packets read")
    check(s["mptcp_packets"] == 3 and s["malformed"] == 0,
          "the 3 cut packets decode as snaplen truncation, options intact")
    check(s["bad"] + s["truncated"] == 1, "IP total length 21 (< IP + TCP headers) is counted bad or truncated")
    run_engine(engine, path)


def case_option_lengths(mpana, engine, work):
    """Option length bytes 0, 1 and 255, for MPTCP (kind 30) and SACK-permitted (kind 4)."""
    path = os.path.join(work, "optlen.pcap")
    pkts = []
    for i, (kind, ln) in enumerate((k, l) for k in (30, 4) for l in (0, 1, 255)):
        opts = bytes([1, kind, ln, 0x20, 0x05]) + bytes(35)
        pkts.append((T0 + i, ipv4_tcp(A, B, 40000 + i, 80, ACK, opts)))
    write_pcap(path, pkts)
    s, recs, _, _ = run_mpana(mpana, ["-r", path])
    check(s["packets"] == 6, "6 packets")
    check(s["malformed_by_error"] == {"tcp.opt.len_short": 2, "tcp.opt.len_overrun": 1},
          "MPTCP lengths 0, 1: tcp.opt.len_short; 255: tcp.opt.len_overrun")
    check(s["tcp_option_errors"] == 3, "the same 3 framing errors counted for kind 4")
    check(len(recs) == 3 and all(r.get("malformed") for r in recs), "3 malformed option records")


# Lengths that parse with zero-filled bodies (version 0, flags 0), per
# subtype and TCP flags; None: not asserted (depends on more than the length).
JOIN_OK = {SYN: {12}, SYN | ACK: {16}, ACK: {24}}


def case_all_subtypes(mpana, engine, work):
    """Every MPTCP subtype 0..15 with every length byte 0..40, in SYN, SYN/ACK and ACK."""
    path = os.path.join(work, "subtypes.pcap")
    pkts, meta = [], []
    for fl in (SYN, SYN | ACK, ACK):
        for sub in range(16):
            for ln in range(41):
                opts = bytes([30, ln, sub << 4]) + bytes(37)
                pkts.append((T0 + len(pkts) * 1000,
                             ipv4_tcp(A, B, 20000 + len(pkts), 80, fl, opts[:40])))
                meta.append((fl, sub, ln))
    write_pcap(path, pkts)
    s, recs, _, _ = run_mpana(mpana, ["-r", path])
    n = len(pkts)
    check(s["packets"] == n and s["tcp"] == n and s["mptcp_packets"] == n,
          "%d packets, each with one MPTCP option" % n)
    check(len(recs) == n, "one JSON record per option")
    check(s["malformed"] == sum(1 for r in recs if r.get("malformed")),
          "summary malformed count = malformed records")
    byframe = {r["frame"]: r for r in recs}
    bad = []
    for i, (fl, sub, ln) in enumerate(meta):
        r = byframe.get(i + 1, {})
        err = r.get("error", "") if r.get("malformed") else ""
        if ln < 2:
            want = {"tcp.opt.len_short"}
        elif ln == 2:
            want = {"mptcp.len_short"}
        elif sub == 1:
            want = {""} if ln in JOIN_OK[fl] else {"mp_join.bad_len"}
        elif sub == 2:
            want = {""} if ln == 4 else {"dss.bad_len"}
        elif sub == 0:
            want = {"", "mp_capable.bad_len"} if ln in (4, 12, 20, 22, 24) else {"mp_capable.bad_len"}
        elif sub >= 9:
            want = {""}  # unknown subtypes are data, not errors (STYLE R6)
        else:
            want = None
        if want is not None and err not in want:
            bad.append((fl, sub, ln, err, sorted(want)))
    check(not bad, "every error code as expected (first mismatches: %s)" % bad[:5])
    run_engine(engine, path)


def case_idle_expiry(mpana, engine, work):
    """A capture spanning more than the idle time: the first connection expires."""
    path = os.path.join(work, "idle.pcap")
    pkts = conn_packets(T0, 40000, 1, 2)
    # another connection 700 s later, active for 20 more minutes
    for k in range(0, 1200, 30):
        pkts += conn_packets(T0 + (700 + k) * NS, 41000 + k, 10 + k, 20 + k)
    write_pcap(path, pkts)
    s, _, _, _ = run_mpana(mpana, ["-q", "-r", path])
    check(s["packets"] == len(pkts), "%d packets" % len(pkts))
    if "expired" in s:  # the CLI runs the engine
        check(s["expired"] >= 1, "mpana: connections expired by capture time (%d)" % s["expired"])
    r = run_engine(engine, path)  # default idle: 600 s of capture time
    check(r["expired"] >= 1 and r["events"]["conn_expired"] >= 1,
          "default idle (600 s): connections idle > 600 s expire (%d)" % r["expired"])
    check(r["conns_live_end"] < r["conns"], "expired connections left memory")
    r2 = run_engine(engine, path, idle_s=100000)
    check(r2["expired"] == 0, "idle 100000 s: nothing expires")


WORK = "."
CASES = {name[5:]: fn for name, fn in sorted(globals().items()) if name.startswith("case_")}


def main():
    if sys.argv[1:] == ["--list"]:
        print("\n".join(CASES))
        return 0
    if len(sys.argv) != 5 or sys.argv[4] not in CASES:
        print(__doc__, file=sys.stderr)
        return 2
    mpana, engine, work, name = sys.argv[1:]
    global WORK
    work = WORK = os.path.join(work, name)
    os.makedirs(work, exist_ok=True)
    try:
        CASES[name](mpana, engine, work)
    except Fail as e:
        print("FAIL: " + str(e))
        return 1
    finally:
        for f in os.listdir(work):  # the pcaps can be large
            if f.endswith(".pcap") and not os.environ.get("HOSTILE_KEEP"):
                os.unlink(os.path.join(work, f))
    print("PASS: " + name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
