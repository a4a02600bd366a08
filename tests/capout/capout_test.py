#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""capout.<case>: `mpana -w`, `mpana --conn ID -w` and tcpdump's habits
(-t forms, -v, -n/-nn/-S) against independent readers (docs/mpana.1,
WRITING PACKETS).

    capout_test.py MPANA PCAPS CASE

Cases:
  write    -w OUT vs `tcpdump -r IN -w REF` on the same filter and -c: same
           packets, bytes, captured and wire lengths, nanosecond timestamps
           (tcpdump --nano -xx and tshark read both); pcapng, stdin, raw-IP
           and nanosecond inputs; an empty result is a valid file.
  conn     --conn ID -w OUT for every connection of every bundled capture
           whose handshakes are all in it: OUT holds exactly the packets of
           one tshark MPTCP connection (its subflows' tcp.stream set, grouped
           by mptcp.stream, or the MP_CAPABLE SYN's stream when tshark gives
           none, as after a fallback at the handshake), the ids and tshark's
           connections match one to one, and mpana re-reading OUT finds that
           connection alone with the subflows of the full run; -r - gives
           the same file.
  partial  a capture without the first handshake: what one pass cannot
           include is exactly what mpana(1) says, and it warns.
  tforms   -t, -tt, -ttt, -tttt (= the default), -ttttt, with and without
           --nano, against `TZ=UTC tcpdump -#` on the same frames, also on a
           nanosecond capture whose time goes backwards.
  verbose  -v prints every TCP packet tcpdump prints, with its connection;
           -n, -nn and -S change nothing.
  errors   unwritable OUT, OUT = the input, an unreadable input (an existing
           OUT untouched, a new one removed), a full device (/dev/full), a
           file size limit mid-file (the file is cut back to whole packets:
           a prefix of the input that tshark reads without complaint).
Exit 0 pass, 1 fail, 77 skip (tshark, tcpdump, editcap or capinfos missing).
"""
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

MPANA = PCAPS = TMP = None
FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL:", msg)


def run(cmd, ok=(0,), env=None, stdin=None, **kw):
    p = subprocess.run(cmd, capture_output=True, env=env, stdin=stdin, **kw)
    if p.returncode not in ok:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(map(str, cmd)), p.returncode,
                                                p.stderr.decode(errors="replace")[:400]))
    return p


def utc_env():
    e = dict(os.environ)
    e["TZ"] = "UTC"
    return e


def tcpdump_dump(path, filt=()):
    """tcpdump's reading of a file: one block per packet (timestamp with
    nanoseconds, its decode, every captured byte in hex)."""
    out = run(["tcpdump", "-r", path, "-nn", "-S", "-tt", "--nano", "-xx"] + list(filt),
              env=utc_env()).stdout.decode(errors="replace")
    blocks = []
    for line in out.splitlines():
        if line.startswith("\t"):
            blocks[-1] += "\n" + line
        else:
            blocks.append(line)
    return blocks


TS_FIELDS = ["frame.number", "frame.time_epoch", "frame.len", "frame.cap_len"]


def tshark_rows(path, fields, extra=()):
    out = run(["tshark", "-r", path, "-n", "-o", "mptcp.analyze_mptcp:TRUE",
               "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
               "-E", "aggregator=,"] + list(extra) +
              [a for f in fields for a in ("-e", f)]).stdout.decode()
    return [dict(zip(fields, l.split("\t"))) for l in out.splitlines()]


def frames_key(rows):
    """(time, wire length, captured length) of every packet, in order."""
    return [(r["frame.time_epoch"], r["frame.len"], r["frame.cap_len"]) for r in rows]


def pcap_info(path):
    """magic, snaplen and link type of a classic pcap file (read here: the
    header layout of pcap-savefile(5), nothing of mpana's)."""
    with open(path, "rb") as f:
        h = f.read(24)
    if len(h) < 24:
        return None
    for order in "<>":
        magic, vmaj, vmin, _, _, snap, lt = struct.unpack(order + "IHHiIII", h)
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            return {"nano": magic == 0xa1b23c4d, "version": (vmaj, vmin),
                    "snaplen": snap, "linktype": lt & 0x0fffffff}
    return None


def encap(path):
    out = run(["capinfos", "-E", "-c", "-M", path]).stdout.decode()
    e = re.search(r"encapsulation:\s*(.*)", out)
    n = re.search(r"Number of packets:\s*(\d+)", out)
    return (e.group(1).strip() if e else None, int(n.group(1)) if n else None)


def same_packets(label, ref, out, filt=()):
    """The packets of `out` are those of `ref` (after `filt` on ref):
    tcpdump's and tshark's readings agree in count, bytes, times, lengths."""
    a, b = tcpdump_dump(ref, filt), tcpdump_dump(out)
    if a != b:
        diff = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        fail("%s: tcpdump reads %d packets in the reference, %d in the output; first "
             "difference at packet %d:\n  %s\n  %s" % (label, len(a), len(b), diff + 1,
                                                      (a[diff:diff + 1] or ["-"])[0][:200],
                                                      (b[diff:diff + 1] or ["-"])[0][:200]))
        return False
    ta = frames_key(tshark_rows(ref, TS_FIELDS, ("-Y", " ".join(filt)) if filt else ()))
    tb = frames_key(tshark_rows(out, TS_FIELDS))
    if ta != tb:
        fail("%s: tshark sees other times or lengths (%d vs %d packets)" % (label, len(ta), len(tb)))
        return False
    return True


def mpana(*args, ok=(0,), **kw):
    return run([MPANA] + list(args), ok=ok, **kw)


# ---------------------------------------------------------------- write

def case_write():
    basic = os.path.join(PCAPS, "basic.pcap")
    multi = os.path.join(PCAPS, "multiconn.pcap")
    ipv6 = os.path.join(PCAPS, "ipv6.pcap")
    n = 0
    for src, filt, count in [(basic, [], None), (multi, [], None), (ipv6, [], None),
                             (multi, ["tcp", "port", "12345", "and", "tcp[13]", "&", "2", "!=", "0"], None),
                             (basic, ["arp"], None), (multi, [], "17"),
                             (basic, ["tcp", "port", "1"], None)]:
        out, ref = os.path.join(TMP, "w%d.pcap" % n), os.path.join(TMP, "r%d.pcap" % n)
        n += 1
        cargs = ["-c", count] if count else []
        p = mpana("-r", src, "-w", out, *cargs, *filt)
        run(["tcpdump", "-r", src, "-w", ref] + cargs + filt)
        label = "-w %s %s %s" % (os.path.basename(src), " ".join(cargs), " ".join(filt))
        if b"mptcp " in p.stdout:
            fail("%s: packet lines printed with -w" % label)
        if not re.search(rb"^summary: ", p.stdout, re.M):
            fail("%s: no summary on stdout" % label)
        info = pcap_info(out)
        if not info or not info["nano"] or info["version"] != (2, 4):
            fail("%s: not a nanosecond pcap 2.4 file: %s" % (label, info))
        if encap(out)[0] != encap(src)[0]:
            fail("%s: link type %s, input %s" % (label, encap(out)[0], encap(src)[0]))
        if encap(out)[1] != encap(ref)[1]:
            fail("%s: %s packets, tcpdump wrote %s" % (label, encap(out)[1], encap(ref)[1]))
        same_packets(label, ref, out)
        # --print: the packet lines as without -w
        if not filt and not count and src == basic:
            q = mpana("-r", src, "-w", out, "--print")
            if q.stdout != mpana("-r", src).stdout:
                fail("-w --print: stdout differs from the run without -w")

    # stdin to stdout, byte for byte the file version
    with open(multi, "rb") as f:
        p = mpana("-r", "-", "-w", "-", stdin=f)
    mine = open(os.path.join(TMP, "w1.pcap"), "rb").read()
    if p.stdout != mine:
        fail("-r - -w -: %d bytes, -r FILE -w FILE gave %d" % (len(p.stdout), len(mine)))
    if p.stderr:
        fail("-w -: stderr not empty: %r" % p.stderr[:200])
    # -U: same bytes, written packet by packet
    out = os.path.join(TMP, "u.pcap")
    mpana("-r", multi, "-w", out, "-U")
    if open(out, "rb").read() != mine:
        fail("-U: other bytes")

    # pcapng, raw IP (DLT_RAW is LINKTYPE_RAW 101 in the file), nanoseconds
    conv = [("pcapng", ["editcap", "-F", "pcapng", basic]),
            ("rawip", ["editcap", "-C", "20", "-T", "rawip", basic]),
            ("nsec", ["editcap", "-F", "nsecpcap", "-t", "0.000000123", basic])]
    for name, cmd in conv:
        src = os.path.join(TMP, "in-" + name)
        out = os.path.join(TMP, "out-" + name + ".pcap")
        run(cmd + [src])
        mpana("-r", src, "-w", out)
        same_packets("-w from %s" % name, src, out)
        if encap(out)[0] != encap(src)[0]:
            fail("-w from %s: link type %s, input %s" % (name, encap(out)[0], encap(src)[0]))
        if name == "rawip" and pcap_info(out)["linktype"] != 101:
            fail("raw IP written as link type %d, not 101" % pcap_info(out)["linktype"])
        if name == "nsec":
            t = tshark_rows(out, ["frame.time_epoch"])[0]["frame.time_epoch"]
            if not t.endswith("123"):
                fail("nanoseconds lost: first packet at %s" % t)
    # several inputs (-r a -r b): the merged trace, each packet once.
    # Two paths' captures share no packet: what mergecap writes.
    p1, p2 = os.path.join(PCAPS, "paths.path1.pcap"), os.path.join(PCAPS, "paths.path2.pcap")
    if os.path.exists(p1) and os.path.exists(p2) and shutil.which("mergecap"):
        out, ref = os.path.join(TMP, "merged.pcap"), os.path.join(TMP, "mergecap.pcap")
        mpana("-r", p1, "-r", p2, "-w", out)
        run(["mergecap", "-w", ref, p1, p2])
        same_packets("-w of two inputs", ref, out)
        # the host capture and the server's see the same packets: once each
        host, srv = os.path.join(PCAPS, "paths.pcap"), os.path.join(PCAPS, "paths.server.pcap")
        out = os.path.join(TMP, "dedup.pcap")
        p = mpana("-r", host, "-r", srv, "-w", out)
        n = int(re.search(rb"^summary: (\d+) packets", p.stdout, re.M).group(1))
        inputs = set(tcpdump_dump(host)) | set(tcpdump_dump(srv))
        got = tcpdump_dump(out)
        if len(got) != n or len(set(got)) != n or not set(got) <= inputs:
            fail("-w of overlapping inputs: %d packets (%d distinct), %d analyzed" %
                 (len(got), len(set(got)), n))
        # link types that differ cannot share a pcap file
        out = os.path.join(TMP, "mixed.pcap")
        p = mpana("-r", p1, "-r", basic, "-w", out, ok=(1,))
        m = re.search(rb"holds the first (\d+) packets", p.stderr)
        if not m or b"link type" not in p.stderr or encap(out)[1] != int(m.group(1)):
            fail("-w of inputs of two link types: %r" % p.stderr)
    # a filter matching nothing: a valid, empty file of the input's link type
    out = os.path.join(TMP, "empty.pcap")
    mpana("-r", basic, "-w", out, "udp")
    if encap(out) != (encap(basic)[0], 0):
        fail("empty result: %s" % (encap(out),))


# ---------------------------------------------------------------- conn

def oracle_conns(path):
    """tshark's MPTCP connections of a capture: lists of tcp.stream ids,
    with the frame numbers of all their packets. A connection is the
    streams of one mptcp.stream, or a stream whose MP_CAPABLE SYN tshark
    gave no mptcp.stream (a fallback at the handshake)."""
    rows = tshark_rows(path, ["frame.number", "tcp.stream", "mptcp.stream", "tcp.flags.syn",
                              "tcp.flags.ack", "tcp.options.mptcp.subtype"])
    streams = {}
    for r in rows:
        if not r["tcp.stream"]:
            continue
        s = streams.setdefault(int(r["tcp.stream"]), {"frames": [], "m": set(), "mpc_syn": False})
        s["frames"].append(int(r["frame.number"]))
        if r["mptcp.stream"]:
            s["m"].update(int(x) for x in r["mptcp.stream"].split(","))
        subtypes = set(r["tcp.options.mptcp.subtype"].split(",")) - {""}
        if r["tcp.flags.syn"] in ("1", "True") and r["tcp.flags.ack"] in ("0", "False") \
                and ("0" in subtypes or "0x00" in subtypes or "0x0" in subtypes):
            s["mpc_syn"] = True
    conns = {}
    for sid, s in streams.items():
        if len(s["m"]) > 1:
            raise RuntimeError("%s: tcp.stream %d in several mptcp.streams" % (path, sid))
        key = ("m", min(s["m"])) if s["m"] else ("s", sid) if s["mpc_syn"] else None
        if key:
            conns.setdefault(key, []).append(sid)
    out = []
    for key, sids in conns.items():
        frames = sorted(f for sid in sids for f in streams[sid]["frames"])
        out.append({"streams": sorted(sids), "frames": frames})
    return sorted(out, key=lambda c: c["frames"][0])


def mpana_conns(path):
    """The connection records of `mpana -q --json`: id -> subflow 4-tuples."""
    res, summary = {}, None
    for line in mpana("-r", path, "-q", "--json").stdout.decode().splitlines():
        o = json.loads(line)
        if o.get("record") == "connection":
            res[o["conn"]] = sorted((s["src"], s["sport"], s["dst"], s["dport"], s["kind"])
                                    for s in o["subflows"])
        elif o.get("record") == "summary":
            summary = o
    return res, summary


# Captures whose every handshake is in the file (tshark's mptcp.stream needs
# them too); the partial case covers the others.
CONN_PCAPS = ["multiconn", "basic", "fallback", "failover", "addrport", "backup", "bbm",
              "checksum", "download", "fastclose", "flap", "ipv6", "join_rejected",
              "join_timeout", "mpfail", "prio", "remove", "strip_after", "strip_synack",
              "addr_unused", "bridge", "bridge.server", "strip_after.server"]


def case_conn():
    total = 0
    for name in CONN_PCAPS:
        src = os.path.join(PCAPS, name + ".pcap")
        if not os.path.exists(src):
            continue
        full, _ = mpana_conns(src)
        oracle = oracle_conns(src)
        if len(full) != len(oracle):
            fail("%s: mpana finds %d connections, tshark %d" % (name, len(full), len(oracle)))
        blocks = tcpdump_dump(src)
        times = frames_key(tshark_rows(src, TS_FIELDS))
        used = set()
        for cid in sorted(full):
            out = os.path.join(TMP, "%s-c%d.pcap" % (name, cid))
            p = mpana("-r", src, "--conn", str(cid), "-w", out)
            if p.stderr:
                fail("%s --conn %d: unexpected warning: %s" % (name, cid, p.stderr.decode()[:200]))
            got_rows = tshark_rows(out, TS_FIELDS + ["tcp.stream"])
            got_blocks, got_times = tcpdump_dump(out), frames_key(got_rows)
            match = [i for i, c in enumerate(oracle)
                     if [blocks[f - 1] for f in c["frames"]] == got_blocks
                     and [times[f - 1] for f in c["frames"]] == got_times]
            if len(match) != 1 or match[0] in used:
                sizes = [len(c["frames"]) for c in oracle]
                fail("%s --conn %d: %d packets match no single tshark connection "
                     "(their sizes: %s)" % (name, cid, len(got_blocks), sizes))
                continue
            used.add(match[0])
            # every subflow is in it: tshark sees the streams, mpana the subflows
            streams = {r["tcp.stream"] for r in got_rows} - {""}
            again, summ = mpana_conns(out)
            if list(again.values()) != [full[cid]]:
                fail("%s --conn %d: re-read gives %s, the full run %s" %
                     (name, cid, list(again.values()), full[cid]))
            if len(streams) != len(full[cid]) or len(oracle[match[0]]["streams"]) != len(streams):
                fail("%s --conn %d: %d TCP streams in the file, %d subflows, tshark %d" %
                     (name, cid, len(streams), len(full[cid]), len(oracle[match[0]]["streams"])))
            if summ["unattributed_subflows"] != 0 or summ["connections"] != 1:
                fail("%s --conn %d: unattributed subflows when re-read" % (name, cid))
            total += 1
        # one pass from standard input: the same file
        if full:
            cid = max(full)
            with open(src, "rb") as f:
                p = mpana("-r", "-", "--conn", str(cid), "-w", "-", stdin=f)
            if p.stdout != open(os.path.join(TMP, "%s-c%d.pcap" % (name, cid)), "rb").read():
                fail("%s --conn %d: -r - -w - differs from the file run" % (name, cid))
    if total < 20:
        fail("only %d connections checked" % total)
    print("conn: %d connections match tshark packet for packet" % total)


# ---------------------------------------------------------------- partial

def case_partial():
    """basic.pcap without its first five frames (ARP, the MP_CAPABLE SYN
    and SYN/ACK): the initial subflow is seen without its handshake, the
    joins' token matches no known connection. mpana(1): packets of a
    subflow read before it was matched to the connection are not written,
    nothing after; a warning says so."""
    src = os.path.join(TMP, "cut.pcap")
    run(["editcap", os.path.join(PCAPS, "basic.pcap"), src, "1-5"])
    full, _ = mpana_conns(src)
    streams = {}
    for r in tshark_rows(src, ["frame.number", "tcp.stream"]):
        if r["tcp.stream"]:
            streams.setdefault(int(r["tcp.stream"]), []).append(int(r["frame.number"]))
    blocks = tcpdump_dump(src)
    cid = min(full)
    out = os.path.join(TMP, "cut-c%d.pcap" % cid)
    p = mpana("-r", src, "--conn", str(cid), "-w", out)
    if b"without some of its handshakes" not in p.stderr:
        fail("partial: no warning: %r" % p.stderr)
    got = tcpdump_dump(out)
    index = {b: i + 1 for i, b in enumerate(blocks)}
    got_frames = [index.get(b) for b in got]
    if None in got_frames or got_frames != sorted(got_frames):
        fail("partial: written packets are not input packets in order")
        return
    # per tshark stream: what is written is a suffix of the stream (nothing
    # after the first packet written is left out), and every join subflow
    # (its handshake is in the capture) is complete
    ok = True
    for sid, frames in streams.items():
        mine = [f for f in frames if f in got_frames]
        if not mine:
            continue
        if frames[frames.index(mine[0]):] != mine:
            fail("partial: stream %d: %d of %d packets after the first one written" %
                 (sid, len(mine), len(frames) - frames.index(mine[0])))
            ok = False
        if sid != 0 and mine != frames:
            fail("partial: join stream %d incomplete: %d of %d" % (sid, len(mine), len(frames)))
            ok = False
    if set(got_frames) - {f for fr in streams.values() for f in fr}:
        fail("partial: packets of other streams written")
    if ok:
        missed = len(streams[0]) - len([f for f in streams[0] if f in got_frames])
        print("partial: %d packets written; the initial subflow's first %d (before it "
              "was matched) are not, as documented" % (len(got_frames), missed))
    # a number merged away: warns, and its packets are those of the initial
    # subflow read while it had that number
    merged = max(full) + 1
    p = mpana("-r", src, "--conn", str(merged), "-w", os.path.join(TMP, "m.pcap"))
    if b"merged into another" not in p.stderr:
        fail("partial: no warning for a merged connection number: %r" % p.stderr)
    p = mpana("-r", src, "--conn", "99", "-w", os.path.join(TMP, "n.pcap"))
    if b"no connection 99" not in p.stderr or encap(os.path.join(TMP, "n.pcap"))[1] != 0:
        fail("--conn 99: no warning or packets written")


# ---------------------------------------------------------------- tforms

def tcpdump_times(path, targs, filt=()):
    """frame number -> timestamp text, from `tcpdump -# -nn`."""
    out = run(["tcpdump", "-r", path, "-#", "-nn"] + targs + list(filt),
              env=utc_env()).stdout.decode()
    res = {}
    for line in out.splitlines():
        tok = line.split()
        if not tok or not tok[0].isdigit():
            continue
        if "-tttt" in targs:
            res[int(tok[0])] = tok[1] + " " + tok[2]
        elif "-t" in targs:
            res[int(tok[0])] = None
        else:
            res[int(tok[0])] = tok[1]
    return res


def mpana_times(path, targs, filt=()):
    out = mpana("-r", path, *targs, *filt).stdout.decode()
    res = {}
    for line in out.splitlines():
        tok = line.split()
        if not tok or not tok[0].isdigit() or " IP" not in line:
            continue
        ip = tok.index("IP") if "IP" in tok else tok.index("IP6")
        res[int(tok[0])] = " ".join(tok[1:ip]) or None
    return res


def write_jittered(src, dst):
    """A nanosecond copy of `src` whose timestamps have nanosecond digits
    and go backwards twice (pcap-savefile(5) layout, written here)."""
    data = open(src, "rb").read()
    order = "<" if struct.unpack("<I", data[:4])[0] in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    magic = struct.unpack(order + "I", data[:4])[0]
    out = bytearray(struct.pack(order + "I", 0xa1b23c4d) + data[4:24])
    off, i = 24, 0
    while off + 16 <= len(data):
        sec, frac, caplen, wlen = struct.unpack(order + "IIII", data[off:off + 16])
        ns = sec * 10**9 + (frac * 1000 if magic == 0xa1b2c3d4 else frac)
        ns += (i * 7919) % 1000  # nanosecond digits
        if i in (20, 21):
            ns -= 3 * 10**6  # time goes backwards, then on
        out += struct.pack(order + "IIII", ns // 10**9, ns % 10**9, caplen, wlen)
        out += data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        i += 1
    open(dst, "wb").write(bytes(out))


def case_tforms():
    srcs = [os.path.join(PCAPS, "basic.pcap"), os.path.join(PCAPS, "failover.pcap")]
    jit = os.path.join(TMP, "jitter.pcap")
    write_jittered(srcs[0], jit)
    srcs.append(jit)
    checked = 0
    for src in srcs:
        default = mpana("-r", src).stdout
        if mpana("-r", src, "-tttt").stdout != default:
            fail("%s: -tttt differs from the default output" % src)
        for prec in ([], ["--nano"]):
            for t in ["-t", "-tt", "-tttt"]:
                want = tcpdump_times(src, [t] + prec)
                got = mpana_times(src, [t] + prec)
                bad = [f for f in got if want.get(f, "missing") != got[f]]
                if not got or bad:
                    f = bad[0] if bad else None
                    fail("%s %s %s: frame %s: mpana %r, tcpdump %r" %
                         (os.path.basename(src), t, " ".join(prec), f, got.get(f), want.get(f)))
                checked += len(got)
            # deltas: with -v every TCP packet is a line, as tcpdump's on `tcp`
            for t in ["-ttt", "-ttttt"]:
                want = tcpdump_times(src, [t] + prec, ["tcp"])
                got = mpana_times(src, [t, "-v"] + prec, ["tcp"])
                if got != want:
                    f = next((k for k in want if want[k] != got.get(k)), None)
                    fail("%s %s -v %s: %d lines vs tcpdump's %d; frame %s: mpana %r, tcpdump %r" %
                         (os.path.basename(src), t, " ".join(prec), len(got), len(want), f,
                          got.get(f), want.get(f)))
                checked += len(got)
    # what tcpdump cannot say: a negative delta appears, hours do not wrap
    got = mpana_times(jit, ["-ttt", "--nano"])
    if not any(v.startswith("-") for v in got.values()):
        fail("no negative -ttt delta on a capture whose time goes backwards")
    big = os.path.join(TMP, "gap.pcap")
    data = bytearray(open(os.path.join(PCAPS, "basic.pcap"), "rb").read())
    order = "<" if struct.unpack("<I", data[:4])[0] == 0xa1b2c3d4 else ">"
    off, i = 24, 0
    while off + 16 <= len(data):  # 25 hours between the 10th packet and the 11th
        if i >= 10:
            sec = struct.unpack(order + "I", data[off:off + 4])[0]
            data[off:off + 4] = struct.pack(order + "I", sec + 25 * 3600)
        off += 16 + struct.unpack(order + "I", data[off + 8:off + 12])[0]
        i += 1
    open(big, "wb").write(bytes(data))
    got = mpana_times(big, ["-ttttt", "-v"])
    if not any(v.strip().startswith("25:00:00") for v in got.values()):
        fail("-ttttt: 25 hours not shown as 25:00:00: %s" % sorted(set(v[:9] for v in got.values())))
    print("tforms: %d timestamps equal tcpdump's" % checked)


# ---------------------------------------------------------------- verbose

def case_verbose():
    for name in ["fallback", "basic", "strip_after"]:
        src = os.path.join(PCAPS, name + ".pcap")
        # the same packets as tcpdump's on `tcp`: frame numbers, addresses,
        # ports, flags
        head = re.compile(r"^ *(\d+) .*?(IP6? \S+ > \S+: Flags \[[^]]*\])")
        tcp = run(["tcpdump", "-r", src, "-#", "-nn", "-S", "-t", "tcp"]).stdout.decode()
        want = [" ".join(head.match(l).groups()) for l in tcp.splitlines()]
        got = [" ".join(head.match(l).groups()) for l in
               mpana("-r", src, "-v", "-t", "tcp").stdout.decode().splitlines()
               if head.match(l)]
        if got != want:
            i = next((k for k, (x, y) in enumerate(zip(got, want)) if x != y), min(len(got), len(want)))
            fail("%s -v: %d lines, tcpdump prints %d TCP packets; line %d: %r vs %r" %
                 (name, len(got), len(want), i + 1, (got[i:i + 1] or [""])[0], (want[i:i + 1] or [""])[0]))
        out = mpana("-r", src, "-v").stdout.decode().splitlines()
        lines = [l for l in out if re.match(r"^\d+ ", l)]
        # every packet of a connection's streams says so (tshark's streams)
        rows = tshark_rows(src, ["frame.number", "tcp.stream"])
        stream = {int(r["frame.number"]): r["tcp.stream"] for r in rows}
        conns = oracle_conns(src)
        for c in conns:
            for f in c["frames"]:
                l = next((x for x in lines if x.startswith("%d " % f)), "")
                if not re.search(r"\[conn \d+ subflow \d+\]$", l):
                    fail("%s -v: frame %d (tcp.stream %s) has no connection: %s" %
                         (name, f, stream[f], l[:120]))
                    break
        plain = [l for l in lines if ", mptcp " not in l]
        if name == "fallback" and not plain:
            fail("fallback -v: no line without MPTCP options")
        base = mpana("-r", src).stdout
        for flags in (["-n"], ["-nn"], ["-S"], ["-nn", "-S"]):
            if mpana("-r", src, *flags).stdout != base:
                fail("%s %s: output differs" % (name, " ".join(flags)))
    print("verbose: -v lines are tcpdump's TCP packets; -n, -nn, -S accepted")


# ---------------------------------------------------------------- errors

def case_errors():
    basic = os.path.join(PCAPS, "basic.pcap")
    multi = os.path.join(PCAPS, "multiconn.pcap")
    p = mpana("-r", basic, "-w", os.path.join(TMP, "nodir", "x.pcap"), ok=(1,))
    if b"No such file" not in p.stderr or p.stdout:
        fail("unwritable -w: %r / stdout %d bytes" % (p.stderr, len(p.stdout)))
    copy = os.path.join(TMP, "in.pcap")
    shutil.copy(basic, copy)
    p = mpana("-r", copy, "-w", copy, ok=(2,))
    if open(copy, "rb").read() != open(basic, "rb").read() or b"overwrite" not in p.stderr:
        fail("-w the input: %r" % p.stderr)
    # an input that cannot be read: an existing output untouched, a new one removed
    old = os.path.join(TMP, "old.pcap")
    shutil.copy(basic, old)
    mpana("-r", os.path.join(TMP, "missing.pcap"), "-w", old, ok=(1,))
    if open(old, "rb").read() != open(basic, "rb").read():
        fail("an existing -w file was changed although the input could not be read")
    new = os.path.join(TMP, "new.pcap")
    mpana("-r", os.path.join(TMP, "missing.pcap"), "-w", new, ok=(1,))
    if os.path.exists(new):
        fail("a new -w file was left although the input could not be read")
    mpana("-r", basic, "-w", new, "bad filter (", ok=(2,))
    if os.path.exists(new):
        fail("a new -w file was left after a bad filter")
    # usage
    mpana("-r", basic, "--conn", "1", ok=(2,))
    mpana("-r", basic, "-w", "-", "--print", ok=(2,))
    mpana("-r", basic, "-tttttt", ok=(2,))
    mpana("-r", basic, "--time-stamp-precision", "pico", ok=(2,))
    # a full device: exit 1, a clear message, the analysis still printed
    if os.path.exists("/dev/full"):
        p = mpana("-r", multi, "-w", "/dev/full", ok=(1,))
        if b"No space left" not in p.stderr or not re.search(rb"^summary: 739 packets", p.stdout, re.M) \
                and not re.search(rb"^summary: ", p.stdout, re.M):
            fail("/dev/full: %r / %r" % (p.stderr, p.stdout[-200:]))
        if b"connection 1:" not in p.stdout:
            fail("/dev/full: the connection records were lost")
    # a file size limit mid-file (no root needed): SIGXFSZ ignored, so
    # write(2) says EFBIG; the file is cut back to whole packets
    for extra in ([], ["-U"]):
        out = os.path.join(TMP, "limit%s.pcap" % "".join(extra))
        p = run(["bash", "-c", "trap '' XFSZ; ulimit -f 40; exec \"$@\"", "sh", MPANA,
                 "-r", multi, "-w", out] + extra, ok=(1,))
        m = re.search(rb"holds the first (\d+) packets", p.stderr)
        if b"File too large" not in p.stderr or not m:
            fail("file size limit %s: %r" % (extra, p.stderr))
            continue
        if not re.search(rb"^summary: ", p.stdout, re.M):
            fail("file size limit: no summary on stdout")
        t = subprocess.run(["tshark", "-r", out, "-T", "fields", "-e", "frame.number"],
                           capture_output=True)
        n = len(t.stdout.split())
        if t.returncode != 0 or b"cut short" in t.stderr or n != int(m.group(1)) or n < 10:
            fail("file size limit %s: tshark reads %d packets (rc %d, %r), message says %s" %
                 (extra, n, t.returncode, t.stderr[:200], m.group(1)))
            continue
        if os.path.getsize(out) > 40 * 1024:
            fail("file size limit: %d bytes" % os.path.getsize(out))
        want = tcpdump_dump(multi)[:n]
        if tcpdump_dump(out) != want:
            fail("file size limit %s: the file is not the first %d input packets" % (extra, n))
    # a real full disk, partway through the file: a 64 KiB tmpfs (root)
    mnt = os.path.join(TMP, "mnt")
    os.mkdir(mnt)
    if os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs",
                                             mnt], capture_output=True).returncode == 0:
        try:
            out = os.path.join(mnt, "x.pcap")
            p = mpana("-r", multi, "-w", out, ok=(1,))
            m = re.search(rb"holds the first (\d+) packets", p.stderr)
            if b"No space left" not in p.stderr or not m:
                fail("full tmpfs: %r" % p.stderr)
            elif tcpdump_dump(out) != tcpdump_dump(multi)[:int(m.group(1))] or int(m.group(1)) < 10:
                fail("full tmpfs: the file is not the first %s input packets" % m.group(1).decode())
            if not re.search(rb"^summary: ", p.stdout, re.M):
                fail("full tmpfs: no summary on stdout")
        finally:
            subprocess.run(["umount", mnt], capture_output=True)
    else:
        print("errors: no tmpfs (not root): the full-disk case runs on /dev/full only")
    print("errors: all behave as documented")


def case_live_compare():
    """live_test.sh: DIR/c2.pcap, written live with --conn 2, holds the
    packets of tshark's second MPTCP connection of DIR/all.pcap, captured
    at the same time by another packet socket: the same packets, bytes and
    lengths, in order. Not the same timestamps: each socket takes its own
    for the packets sent on lo (the file cases check timestamps)."""
    all_, c2 = os.path.join(PCAPS, "all.pcap"), os.path.join(PCAPS, "c2.pcap")
    oracle = oracle_conns(all_)
    if len(oracle) != 3:
        fail("live: tshark finds %d connections in the capture" % len(oracle))
        return
    untimed = lambda path: [b.split(" ", 1)[1] for b in tcpdump_dump(path)]
    lens = lambda path: [k[1:] for k in frames_key(tshark_rows(path, TS_FIELDS))]
    blocks, sizes = untimed(all_), lens(all_)
    want = oracle[1]["frames"]
    got = untimed(c2)
    if got != [blocks[f - 1] for f in want] or lens(c2) != [sizes[f - 1] for f in want]:
        fail("live: --conn 2 wrote %d packets, tshark's second connection has %d "
             "(or other bytes)" % (len(got), len(want)))
    else:
        print("live: the %d packets of connection 2, as tshark selects them" % len(got))


def main():
    global MPANA, PCAPS, TMP
    MPANA, PCAPS, case = sys.argv[1], sys.argv[2], sys.argv[3]
    for tool in ("tshark", "tcpdump", "editcap", "capinfos"):
        if not shutil.which(tool):
            print("SKIP: %s not installed" % tool)
            return 77
    cases = {"write": case_write, "conn": case_conn, "partial": case_partial,
             "tforms": case_tforms, "verbose": case_verbose, "errors": case_errors,
             "live-compare": case_live_compare}
    with tempfile.TemporaryDirectory(prefix="capout-%s." % case) as d:
        TMP = d
        try:
            cases[case]()
        except RuntimeError as e:
            fail(str(e))
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        return 1
    print("capout.%s: pass" % case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
