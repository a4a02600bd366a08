#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""pcapng_test.py - what mpana's pcapng reader (src/capture/pcapng.c) reads
beyond libpcap 1.10, checked against independent oracles:

1. the analysis: pcaps/basic.pcap and pcaps/ipv6.pcap rewritten as pcapng
   files whose packets are spread over three sections (little-, big-,
   little-endian) and, in each, interfaces of different link types
   (Ethernet, Linux cooked v1 and v2, raw IP), time stamp resolutions
   (10^-6, 10^-9, 10^-7) and offsets, with EPB, PB, SPB-free, NRB, ISB and
   custom blocks and comments: `mpana` on it (text and JSON, mapped, gzip,
   and standard input) must print exactly what libpcap's reading of the
   original classic file prints (MPANA_READER=libpcap); and libpcap itself
   must refuse the rewritten file (so the test does go beyond it);
2. the records: tests/perf/reader_dump (reader.h, one line per record) on
   files with power-of-2 resolutions, offsets, comments, SPBs, several
   sections and interfaces, against tshark's reading of the same file
   (time, lengths, global interface number, comment) and against what the
   writer put in (link type, bytes, comments, section comments); read
   mapped, streamed from the file, and streamed from a pipe fed in odd
   pieces, with blocks larger than the stream's chunks (src/capture/stream.c);
3. an interface whose link type mpana does not decode: one warning, its
   packets counted as bad headers, the rest analyzed;
4. the merged reader (`-r A -r B`, src/capture/merge.c) on the rewritten
   pcapng file and the gzip form of the original: every TCP packet is
   found in both (tshark counts them), the connections are the original's.

    pcapng_test.py MPANA READER_DUMP PCAPDIR     exit 0 pass, 1 fail, 77 skip
"""
import gzip
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import pcapng_writer as W  # noqa: E402

DLT = {W.LT_EN10MB: 1, W.LT_SLL: 113, W.LT_SLL2: 276, W.LT_RAW: 12}
# DLT_* -> Wireshark's encapsulation number (wtap.h), tshark's frame.encap_type
WTAP = {1: "1", 113: "25", 276: "210", 12: "7"}
fails = 0


def fail(msg):
    global fails
    fails += 1
    print("FAIL " + msg)


def run(cmd, env_reader=None, stdin=b""):
    env = dict(os.environ)
    env.pop("MPANA_READER", None)
    if env_reader:
        env["MPANA_READER"] = env_reader
    r = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=300)
    return r.returncode, r.stdout, r.stderr


def relink(data, lt):
    """A Linux cooked v2 frame (pcaps/) re-framed for link type `lt`."""
    ip, proto = data[20:], data[0:2]
    if lt == W.LT_SLL2:
        return data
    if lt == W.LT_EN10MB:
        return b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02" + proto + ip
    if lt == W.LT_SLL:
        return struct.pack(">HHH", 0, 1, 6) + b"\x02\0\0\0\0\x01\0\0" + proto + ip
    return ip  # LT_RAW


def expected_ts(units, tsresol, tsoffset):
    """libpcap's conversion (NANO) of a time stamp in the interface's units:
    the independent formula the reader must follow."""
    res = (1 << (tsresol & 0x7f)) if tsresol is not None and tsresol & 0x80 else \
        10 ** (6 if tsresol is None else tsresol)
    sec, frac = units // res + tsoffset, units % res
    if res != 10**9:
        frac = frac * 10**9 % 2**64 // res if (tsresol or 0) & 0x80 else \
            (frac * (10**9 // res) if res < 10**9 else frac // (res // 10**9))
    return (sec * 10**9 + frac) % 2**64


class File:
    """A pcapng file being written, and what a reader must find in it."""

    def __init__(self):
        self.data, self.recs, self.shb_comments = [], [], []
        self.ifaces = []   # (linktype, tsresol, tsoffset) of this section
        self.section, self.end, self.global_base, self.n_global = 0, "<", 0, 0

    def shb(self, end, comment=None):
        self.end, self.section = end, self.section + 1
        self.global_base, self.ifaces = self.n_global, []
        self.shb_comments.append(comment)
        self.data.append(W.shb(end, comment=comment))

    def idb(self, lt, snap=0, tsresol=None, tsoffset=0):
        self.ifaces.append((lt, tsresol, tsoffset))
        self.n_global += 1
        self.data.append(W.idb(self.end, lt, snap, tsresol=tsresol,
                               tsoffset=tsoffset or None))

    def packet(self, ifid, ts_ns, data, wire, comment=None, kind="epb"):
        lt, tsresol, tsoffset = self.ifaces[ifid]
        units = W.ts_units(ts_ns - tsoffset * 10**9, tsresol)
        if kind == "pb":
            self.data.append(W.pb(self.end, ifid, units, data, wire, comment=comment))
        else:
            self.data.append(W.epb(self.end, ifid, units, data, wire, comment=comment))
        self.recs.append((expected_ts(units, tsresol, tsoffset), len(data), wire,
                          DLT.get(lt, -1), ifid, self.global_base + ifid, data, comment,
                          kind))

    def spb(self, data, wire):
        lt, tsresol, tsoffset = self.ifaces[0]
        self.data.append(W.spb(self.end, data, wire))
        self.recs.append((expected_ts(0, tsresol, tsoffset), len(data), wire,
                          DLT.get(lt, -1), 0, self.global_base, data, None, "spb"))

    def raw(self, block):
        self.data.append(block)

    def bytes(self):
        return b"".join(self.data)


def json_comments(out, f):
    """Checks the "comment" key of every JSON option record against the
    comment the file gives that packet (libpcap shows none), and returns
    the output without those keys, for the comparison with libpcap's."""
    want = {n + 1: r[7] for n, r in enumerate(f.recs)}
    kept = []
    for line in out.decode().splitlines():
        rec = json.loads(line)
        if "frame" in rec and "record" not in rec:
            if rec.get("comment") != want.get(rec["frame"]):
                fail("frame %d: comment %r, the file's %r" % (rec["frame"], rec.get("comment"),
                                                              want.get(rec["frame"])))
            line = re.sub(r',"comment":"(?:[^"\\]|\\.)*"', "", line)
        kept.append(line)
    return ("\n".join(kept) + "\n").encode() if kept else b""


def spread(recs, comments=True):
    """The records of a cooked v2 capture over three sections and nine
    interfaces of four link types."""
    f = File()
    plan = [("<", [(W.LT_EN10MB, None, 0), (W.LT_SLL2, 9, 1000), (W.LT_RAW, 7, 0)]),
            (">", [(W.LT_SLL, 9, 0), (W.LT_RAW, None, -7200), (W.LT_SLL2, 6, 0)]),
            ("<", [(W.LT_EN10MB, 7, 0), (W.LT_RAW, 9, 1795356000), (W.LT_SLL, None, 0)])]
    third = (len(recs) + 2) // 3
    n = 0
    for s, (end, ifs) in enumerate(plan):
        f.shb(end, comment="section %d" % s if comments else None)
        f.raw(W.nrb(end))
        for lt, res, off in ifs:
            f.idb(lt, 0, res, off)
        for i, (ts, wire, data) in enumerate(recs[s * third:(s + 1) * third]):
            ifid = i % 3
            if data[0:2] not in (b"\x08\x00", b"\x86\xdd"):
                ifid = 0  # not IP (ARP): not on a raw IP interface
            lt = ifs[ifid][0]
            d = relink(data, lt)
            c = "packet %d" % n if comments and n % 4 == 0 else None
            f.packet(ifid, ts, d, wire - len(data) + len(d), comment=c,
                     kind="pb" if n % 5 == 2 else "epb")
            if n % 7 == 0:
                f.raw(W.custom(end, b"between %d" % n))
            if n % 11 == 0:
                f.raw(W.isb(end, ifid))
            n += 1
    return f


def dump(reader_dump, args, stdin=b""):
    rc, out, err = run([reader_dump] + args, stdin=stdin)
    if rc != 0:
        fail("reader_dump %s: rc %d %r" % (args, rc, err[-200:]))
        return [], []
    recs, shbs = [], []
    for line in out.decode().splitlines():
        w = line.split(" ")
        if w[0] == "rec":
            recs.append(tuple(w[1:]))
        elif w[0] == "shb":
            shbs.append(w[2])
        elif w[0] == "end" and w[1] != "0":
            fail("reader_dump %s: ended with %s" % (args, line))
    return recs, shbs


def fnv(b):
    h = 0xcbf29ce484222325
    for x in b:
        h = ((h ^ x) * 0x100000001b3) % 2**64
    return "%016x" % h


def hexs(s):
    return "-" if s is None else (s.encode().hex() or '""')


def check_records(name, f, reader_dump, path, tshark):
    """reader_dump (mapped, streamed, piped) vs the writer and tshark."""
    want = [(str(ts), str(cl), str(wl), str(dlt), str(ifid), fnv(d), hexs(c))
            for ts, cl, wl, dlt, ifid, _, d, c, _ in f.recs]
    want_shb = [hexs(c) for c in f.shb_comments]
    got, shbs = dump(reader_dump, [path])
    if got != want or shbs != want_shb:
        fail("%s: the reader's records differ from the writer's" % name)
        for a, b in zip(got, want):
            if a != b:
                print("  first: got %s\n         want %s" % (a, b))
                break
        if len(got) != len(want):
            print("  %d records, want %d" % (len(got), len(want)))
        if shbs != want_shb:
            print("  section comments %s, want %s" % (shbs, want_shb))
    if dump(reader_dump, ["--stream", path]) != (got, shbs):
        fail("%s: streamed from the file, the records differ from the mapped ones" % name)
    # a pipe fed in odd pieces: records straddle what each read returns
    data = open(path, "rb").read()
    p = subprocess.Popen([reader_dump, "-"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def feed():
        for i in range(0, len(data), 7919):
            p.stdin.write(data[i:i + 7919])
            p.stdin.flush()
        p.stdin.close()
    t = threading.Thread(target=feed)
    t.start()
    out = p.stdout.read()
    err = p.stderr.read()
    t.join()
    p.wait()
    piped = [tuple(l.split(" ")[1:]) for l in out.decode().splitlines() if l.startswith("rec ")]
    if piped != got:
        fail("%s: from a pipe, the records differ (%d vs %d) %r" % (name, len(piped), len(got), err[-200:]))
    # tshark: time, lengths, interface (numbered across sections), comment
    # (-Y: packets only; tshark also lists custom blocks as frames)
    rc, out, err = run(["tshark", "-n", "-r", path, "-Y", "frame.encap_type",
                        "-T", "fields", "-E", "separator=|",
                        "-e", "frame.time_epoch", "-e", "frame.cap_len", "-e", "frame.len",
                        "-e", "frame.interface_id", "-e", tshark["comment"],
                        "-e", "frame.encap_type"])
    if rc != 0:
        fail("%s: tshark failed: %r" % (name, err[-300:]))
        return
    rows = [l.split("|") for l in out.decode().splitlines()]
    if len(rows) != len(f.recs):
        fail("%s: tshark reads %d packets, the reader %d" % (name, len(rows), len(got)))
        return
    for i, (row, g, r) in enumerate(zip(rows, got, f.recs)):
        sec, _, frac = row[0].partition(".")
        # an SPB has no time stamp: tshark shows none, the reader 0 + if_tsoffset
        ts = int(sec) * 10**9 + int((frac + "000000000")[:9]) if sec else r[0]
        if not sec and r[8] != "spb":
            fail("%s: packet %d: tshark shows no time" % (name, i + 1))
        gc = None if g[6] == "-" else bytes.fromhex(g[6].replace('""', "")).decode()
        # tshark joins a packet's comments with commas: the reader gives the first
        tc = row[4].split(",")[0] or None
        # (tshark 4.0 numbers the interfaces of each section from 0, as
        # the reader does; an SPB shows none)
        if (str(ts), row[1], row[2]) != g[0:3] or tc != gc or \
                int(row[3] or 0) != r[4] or WTAP.get(r[3]) != row[5]:
            fail("%s: packet %d: tshark says %s, the reader %s"
                 % (name, i + 1, row, g))
            break


def main():
    mpana, reader_dump, pcapdir = sys.argv[1:4]
    if not shutil.which("tshark"):
        print("SKIP: tshark is not installed (apt-get install tshark)")
        return 77
    # the packet comment field's name (frame.comment since Wireshark 3.6)
    rc, out, _ = run(["tshark", "-G", "fields"])
    names = {l.split("\t")[2] for l in out.decode(errors="replace").splitlines() if l.count("\t") > 2}
    tshark = {"comment": "frame.comment" if "frame.comment" in names else "pkt_comment"}
    # (CMake builds mpana without zlib when zlib1g-dev is missing)
    have_gzip = b"built without" not in run([mpana, "-q", "-r", "-"], stdin=gzip.compress(b""))[2]
    if not have_gzip:
        print("note: this mpana was built without zlib: gzip forms not checked")
    tmp = tempfile.mkdtemp(prefix="mpana-pcapng-")
    try:
        # 1. the analysis against libpcap on the original
        for cap in ("basic.pcap", "ipv6.pcap"):
            lt, snap, recs = W.read_pcap(os.path.join(pcapdir, cap))
            assert lt == W.LT_SLL2, cap
            f = spread(recs)
            path = os.path.join(tmp, cap + "ng")
            open(path, "wb").write(f.bytes())
            gz = path + ".gz"
            open(gz, "wb").write(gzip.compress(f.bytes()))
            for mode in ([], ["--json"]):
                ref = run([mpana] + mode + ["-r", os.path.join(pcapdir, cap)], "libpcap")
                forms = [(["-r", path], b"", path)]
                if have_gzip:
                    forms += [(["-r", gz], b"", gz), (["-r", "-"], open(gz, "rb").read(), "-")]
                for args, stdin, what in forms:
                    got = run([mpana] + mode + args, stdin=stdin)
                    if mode:
                        got = (got[0], json_comments(got[1], f), got[2])
                    if got[0] != ref[0] or got[1] != ref[1]:
                        fail("%s %s: rc %d, output differs from libpcap on %s (rc %d): %r"
                             % (" ".join(mode), what, got[0], cap, ref[0], got[2][-300:]))
            rc, _, err = run([mpana, "-q", "-r", path], "libpcap")
            if rc != 1 or b"different from the type of the first interface" not in err:
                fail("libpcap was expected to refuse %s: rc %d %r" % (path, rc, err[-200:]))
            check_records(cap + "ng", f, reader_dump, path, tshark)

        # 2. records: power-of-2 resolutions, SPBs, big blocks
        lt, snap, recs = W.read_pcap(os.path.join(pcapdir, "basic.pcap"))
        f = File()
        f.shb(">", comment="big-endian, 2^-20 and 2^-30 s")
        f.idb(W.LT_SLL2, 0, 0x80 | 20, 0)
        f.idb(W.LT_SLL2, 0, 0x80 | 30, 60)
        for i, (ts, wire, data) in enumerate(recs[:120]):
            f.packet(i % 2, ts, data, wire, comment="é %d" % i if i % 9 == 0 else None)
        f.shb("<")  # no comment
        f.idb(W.LT_RAW, 64, 6, 0)
        for ts, wire, data in recs[120:200]:
            f.spb(relink(data, W.LT_RAW)[:64], wire - 20)
        f.shb("<", comment="blocks larger than the stream's chunks")
        f.idb(W.LT_SLL2, 0, 9, 0)
        for i, (ts, wire, data) in enumerate(recs[200:]):
            if i == 5:
                f.raw(W.custom("<", b"x" * (400 << 10)))  # above the room before a chunk
            if i == 9:
                f.raw(W.custom("<", b"y" * (3 << 20)))    # above a chunk
            if i == 12:  # 2 MiB of options: the comment is the first of 32
                big = [(W.OPT_COMMENT, bytes([65 + k]) * 65532) for k in range(32)]
                f.data.append(W.epb("<", 0, W.ts_units(ts, 9), data, wire, options=big))
                f.recs.append((ts, len(data), wire, 276, 0, f.global_base, data, "A" * 65532,
                               "epb"))
                continue
            f.packet(0, ts, data, wire)
        path = os.path.join(tmp, "records.pcapng")
        open(path, "wb").write(f.bytes())
        check_records("records.pcapng", f, reader_dump, path, tshark)

        # 3. a link type mpana does not decode, on a later interface
        f = File()
        f.shb("<")
        f.idb(W.LT_SLL2, 0)
        f.idb(147, 0)  # LINKTYPE_USER0
        for i, (ts, wire, data) in enumerate(recs):
            f.packet(0, ts, data, wire)
            if i % 50 == 0:
                f.packet(1, ts, b"\x01\x02\x03", 3)
        path = os.path.join(tmp, "user0.pcapng")
        open(path, "wb").write(f.bytes())
        rc, out, err = run([mpana, "-q", "-r", path])
        ref = run([mpana, "-q", "-r", os.path.join(pcapdir, "basic.pcap")], "libpcap")
        n_user = (len(recs) + 49) // 50
        if rc != 0 or err.count(b"link type 147") != 1 or \
                b"bad headers: %d" % n_user not in out:
            fail("user0.pcapng: rc %d, stderr %r, summary %r" % (rc, err[-300:], out[-400:]))
        # the connections are those of the original
        if b"\n".join(l for l in out.splitlines() if b"conn" in l) != \
                b"\n".join(l for l in ref[1].splitlines() if b"conn" in l):
            fail("user0.pcapng: the connections differ from basic.pcap's")

        # 4. merged with the original's gzip form: the same packets
        if have_gzip:
            cap = os.path.join(pcapdir, "basic.pcap")
            spread_path = os.path.join(tmp, "basic.pcapng")
            gz = os.path.join(tmp, "basic.pcap.gz")
            open(gz, "wb").write(gzip.compress(open(cap, "rb").read()))
            rc, out, err = run([mpana, "-q", "--json", "-r", spread_path, "-r", gz])
            recs_ = [json.loads(l) for l in out.decode().splitlines()]
            summ = [r for r in recs_ if r.get("record") == "summary"]
            rc2, out2, _ = run(["tshark", "-n", "-r", cap, "-Y", "tcp", "-T", "fields",
                                "-e", "frame.number"])
            n_tcp = len(out2.splitlines())
            ref = run([mpana, "-q", "--json", "-r", cap], "libpcap")[1].decode().splitlines()
            conns = [l for l in out.decode().splitlines() if '"record":"connection"' in l]
            ref_conns = [l for l in ref if '"record":"connection"' in l]
            if rc != 0 or not summ or summ[0].get("duplicates") != n_tcp or \
                    len(conns) != len(ref_conns):
                fail("merge of basic.pcapng and basic.pcap.gz: rc %d, duplicates %s (tshark: %d TCP), "
                     "%d connections (want %d) %r" % (rc, summ and summ[0].get("duplicates"), n_tcp,
                                                     len(conns), len(ref_conns), err[-200:]))
    finally:
        shutil.rmtree(tmp)
    print("pcapng_test: %d failures" % fails)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
