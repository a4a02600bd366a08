#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""reader_equiv.py - mpana's own capture-file readers (src/capture/reader.c)
give exactly what the libpcap path (MPANA_READER=libpcap) gives: stdout,
stderr and exit status.

    reader_equiv.py MPANA PCAPDIR [classic|pcapng|stream]   exit 0 pass, 1 fail

classic (default): the mapped pcap reader (src/capture/pcapfile.c) on every
  capture in pcaps/ and on crafted files (both byte orders, micro/nano
  magic, a header or record cut at EOF, caplen above the snaplen, absurd
  caplen, snaplen 0, negative timestamps, link types with FCS bits, empty
  files).
pcapng: the pcapng reader (src/capture/pcapng.c) on the pcapng forms of
  pcaps/ (editcap -F pcapng, when editcap is installed) and on files built
  by tests/lib/pcapng_writer.py: both byte orders, if_tsresol in powers of
  10 and of 2, if_tsoffset, two interfaces, several sections, SHB, EPB and
  PB comments, SPB and PB blocks, NRB/ISB/DSB/custom blocks between the
  packets, and every damage libpcap has a message for (block lengths,
  trailers, cut blocks, short blocks, caplen above the snaplen or the
  block, an undescribed interface, bad IDB options, bad section headers).
stream: gzip and zstd forms of some of those and standard input (a pipe):
  the stream reader (src/capture/stream.c) against libpcap reading the same
  decoded bytes, and against the uncompressed file; truncated, corrupt,
  multi-member and trailing-garbage compressed files.
"""

import gzip
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import pcapng_writer as W  # noqa: E402


def run(mpana, args, env_reader, stdin=None):
    env = dict(os.environ)
    env.pop("MPANA_READER", None)
    if env_reader:
        env["MPANA_READER"] = env_reader
    r = subprocess.run([mpana] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=300,
                       input=stdin if stdin is not None else b"",
                       )
    return r.returncode, r.stdout, r.stderr


def parse_pcap(data):
    """(header fields, [(sec, frac, caplen, len, bytes)]) of a LE pcap."""
    magic, vmaj, vmin, tz, sf, snap, lt = struct.unpack("<IHHiIII", data[:24])
    recs, off = [], 24
    while off + 16 <= len(data):
        sec, frac, cl, ln = struct.unpack("<IIII", data[off:off + 16])
        recs.append((sec, frac, cl, ln, data[off + 16:off + 16 + cl]))
        off += 16 + cl
    return (magic, vmaj, vmin, snap, lt), recs


def build(hdr, recs, endian="<", nano=False, snap=None, lt=None, magic=None):
    m = magic if magic is not None else (0xa1b23c4d if nano else 0xa1b2c3d4)
    out = [struct.pack(endian + "IHHiIII", m, 2, 4, 0, 0,
                       hdr[3] if snap is None else snap,
                       hdr[4] if lt is None else lt)]
    for sec, frac, cl, ln, b in recs:
        out.append(struct.pack(endian + "IIII", sec & 0xffffffff,
                               frac & 0xffffffff, cl, ln))
        out.append(b)
    return b"".join(out)


def classic_files(pcapdir, tmp):
    """[paths], {paths read in summary mode only}"""
    files = sorted(os.path.join(pcapdir, f) for f in os.listdir(pcapdir)
                   if f.endswith(".pcap"))
    base = open(os.path.join(pcapdir, "basic.pcap"), "rb").read()
    hdr, recs = parse_pcap(base)
    assert hdr[0] == 0xa1b2c3d4, "basic.pcap: expected a LE microsecond file"
    few = recs[:40]

    def craft(name, data):
        p = os.path.join(tmp, name)
        with open(p, "wb") as f:
            f.write(data)
        files.append(p)

    craft("be-micro.pcap", build(hdr, few, ">"))
    craft("le-nano.pcap", build(hdr, [(s, f * 1000 + 7, c, l, b)
                                      for s, f, c, l, b in few], "<", nano=True))
    craft("be-nano.pcap", build(hdr, few, ">", nano=True))
    good = build(hdr, few)
    craft("cut-in-record.pcap", good[:-10])
    craft("cut-in-header.pcap", good + b"\x01\x02\x03\x04\x05")
    craft("cut-after-header.pcap", good + struct.pack("<IIII", 1, 2, 60, 60))
    # caplen above the file's snaplen: libpcap keeps the first snaplen bytes
    craft("caplen-gt-snaplen.pcap", build(hdr, few, snap=64))
    craft("caplen-gt-snaplen-eof.pcap", build(hdr, few, snap=64)[:-3])
    craft("caplen-gt-snaplen-eof2.pcap", build(hdr, few, snap=64)[:-(few[-1][2] - 30)])
    big = list(few)
    big.insert(5, (1, 2, 300000, 300000, b""))
    craft("caplen-absurd.pcap", build(hdr, big))
    big[5] = (1, 2, 0xffffff00, 0xffffff00, b"")
    craft("caplen-huge.pcap", build(hdr, big))
    # a snaplen above the maximum stays (libpcap 1.10): the words of the
    # error for a caplen above the maximum depend on it
    above = list(few)
    above.insert(5, (1, 2, 300000, 300000, b""))
    craft("snaplen-big-caplen-above-max.pcap", build(hdr, above, snap=20000000))
    craft("snaplen-zero.pcap", build(hdr, few, snap=0))
    craft("snaplen-negative.pcap", build(hdr, few, snap=0x80000000))
    craft("snaplen-huge.pcap", build(hdr, few, snap=10000000))
    craft("negative-ts.pcap", build(hdr, [(0xffffffff - i, 0xfffffff0 + i, c, l, b)
                                         for i, (s, f, c, l, b) in enumerate(few)]))
    craft("fcs-bits.pcap", build(hdr, few, lt=hdr[4] | 0x04000000 | (4 << 28)))
    craft("unknown-linktype.pcap", build(hdr, few, lt=147))
    craft("raw-101.pcap", build(hdr, [], lt=101))
    craft("header-only.pcap", build(hdr, []))
    craft("short-header.pcap", good[:20])
    craft("empty.pcap", b"")
    craft("version-2-3.pcap", good[:4] + struct.pack("<HH", 2, 3) + good[8:])
    craft("zero-caplen.pcap", build(hdr, [(1, 2, 0, 60, b"")] + few[:3]))
    # Larger than two 4 MiB windows: the mapped reader hands the window to
    # its read-ahead thread (src/capture/pcapfile.c); summary mode only (the others are slow under ASan).
    n = (10 << 20) // len(base) + 1
    many = [(s + i * 10, f, c, l, b) for i in range(n) for s, f, c, l, b in recs]
    large = build(hdr, many)
    craft("large.pcap", large)
    craft("large-cut.pcap", large[:-7])
    return files, set(files[-2:])


def compare(mpana, files, large_files):
    """Both readers on every file; returns the count of differences. Large
    files in summary mode, editcap's forms of pcaps/ in JSON mode (every
    field of every option record), the rest in three modes."""
    fails = 0
    for f in files:
        modes = ((["-q", "-r", f],) if f in large_files else
                 (["--json", "-r", f],) if os.path.basename(f).startswith("editcap-") else
                 (["-r", f], ["--json", "-r", f], ["-q", "-c", "3", "-r", f]))
        for args in modes:
            a = run(mpana, args, None)
            b = run(mpana, args, "libpcap")
            if "--json" in args:
                # pcapng packet comments: only mpana's reader shows them
                # (checked against the file in reader.pcapng)
                a = (a[0], re.sub(rb',"comment":"(?:[^"\\]|\\.)*"', b"", a[1]), a[2])
            if a != b:
                fails += 1
                print("DIFF %s: mmap rc=%d libpcap rc=%d" % (" ".join(args), a[0], b[0]))
                if a[2] != b[2]:
                    print("  mmap stderr:    %r" % a[2][-300:])
                    print("  libpcap stderr: %r" % b[2][-300:])
                if a[1] != b[1]:
                    print("  stdout differs (%d vs %d bytes)" % (len(a[1]), len(b[1])))
    return fails


def ng_packets(end, recs, ifid=0, tsresol=None, tsoffset=0, comment=None,
               kinds=None):
    """EPBs (or PBs, kinds[i % len] == "pb") of (ts_ns, wire, data)
    records; comment(i) gives the comment of packet i, or None."""
    out = []
    for i, (ts, wire, data) in enumerate(recs):
        units = W.ts_units(ts - tsoffset * 10**9, tsresol)
        c = comment(i) if comment else None
        if kinds and kinds[i % len(kinds)] == "pb":
            out.append(W.pb(end, ifid, units, data, wire, comment=c))
        else:
            out.append(W.epb(end, ifid, units, data, wire, comment=c))
    return b"".join(out)


def pcapng_files(pcapdir, tmp):
    """[paths], {paths read in summary mode only}: pcapng files libpcap
    reads (or refuses with a message)."""
    files = []

    def craft(name, data):
        p = os.path.join(tmp, name)
        with open(p, "wb") as f:
            f.write(data)
        files.append(p)

    if shutil.which("editcap"):
        for f in sorted(os.listdir(pcapdir)):
            if f.endswith(".pcap"):
                out = os.path.join(tmp, "editcap-" + f + "ng")
                subprocess.run(["editcap", "-F", "pcapng", os.path.join(pcapdir, f), out],
                               check=True, stdout=subprocess.DEVNULL)
                files.append(out)
    else:
        print("note: editcap not found (tshark/wireshark-common): only the written pcapng files")

    lt, snap, recs = W.read_pcap(os.path.join(pcapdir, "basic.pcap"))
    few = recs[:40]
    le, be = "<", ">"

    def simple(end, tsresol=None, tsoffset=0, **kw):
        return (W.shb(end) + W.idb(end, lt, snap, tsresol=tsresol, tsoffset=tsoffset or None)
                + ng_packets(end, few, tsresol=tsresol, tsoffset=tsoffset, **kw))

    good = simple(le)
    craft("le-us.pcapng", good)
    craft("be-us.pcapng", simple(be))
    craft("le-ns.pcapng", simple(le, tsresol=9))
    craft("be-ns.pcapng", simple(be, tsresol=9))
    craft("le-ms.pcapng", simple(le, tsresol=3))
    craft("be-2pow24.pcapng", simple(be, tsresol=0x80 | 24))
    craft("le-2pow40.pcapng", simple(le, tsresol=0x80 | 40, tsoffset=1795356000))
    craft("le-10pow10.pcapng", simple(le, tsresol=10, tsoffset=1795356000))
    craft("le-10pow19.pcapng", simple(le, tsresol=19, tsoffset=1795356938))
    craft("le-10pow0.pcapng", simple(le, tsresol=0))
    craft("tsoffset.pcapng", simple(le, tsoffset=1700000000))
    craft("tsoffset-negative.pcapng", simple(be, tsoffset=-3600))
    craft("version-1-2.pcapng", W.shb(le, minor=2) + W.idb(le, lt, snap) + ng_packets(le, few))
    craft("comments-pb.pcapng",
          W.shb(le, comment="a section comment") + W.idb(le, lt, snap, name="any")
          + ng_packets(le, few, comment=lambda i: "packet %d" % i if i % 3 else None,
                       kinds=["epb", "pb"]))
    craft("unknown-blocks.pcapng",
          W.shb(be) + W.nrb(be) + W.custom(be) + W.idb(be, lt, snap) + W.isb(be)
          + b"".join(W.block(be, W.BT_DSB, struct.pack(be + "II", 0x544c534b, 4) + b"keys")
                     + ng_packets(be, few[i:i + 5]) + W.nrb(be) + W.custom(be, b"x" * i)
                     for i in range(0, 40, 5))
          + W.isb(be))
    two = W.shb(le) + W.idb(le, lt, snap, tsresol=6) + W.idb(le, lt, snap, tsresol=9)
    for i, r in enumerate(few):
        two += ng_packets(le, [r], ifid=i % 2, tsresol=9 if i % 2 else 6)
    craft("two-ifaces.pcapng", two)
    sections = b""
    for k in range(4):
        sections += (W.shb(le, comment="section %d" % k) + W.idb(le, lt, snap, tsresol=6 + k % 2 * 3)
                     + ng_packets(le, few[k * 10:k * 10 + 10], tsresol=6 + k % 2 * 3))
    craft("sections.pcapng", sections)
    craft("spb.pcapng", W.shb(le) + W.idb(le, lt, snap)
          + b"".join(W.spb(le, d, w) for _, w, d in few))
    craft("spb-be-snap64.pcapng", W.shb(be) + W.idb(be, lt, 64)
          + b"".join(W.spb(be, d[:64], w) for _, w, d in few))
    craft("snaplen-0.pcapng", W.shb(le) + W.idb(le, lt, 0) + ng_packets(le, few))
    # a snaplen above 262144 stays (libpcap 1.10), so a caplen above 262144
    # is read; above INT_MAX it becomes 262144
    craft("snaplen-10M.pcapng", W.shb(le) + W.idb(le, lt, 10000000) + ng_packets(le, few[:5])
          + W.epb(le, 0, 5, b"\0" * 300000) + ng_packets(le, few[5:]))
    craft("snaplen-int-max.pcapng", W.shb(le) + W.idb(le, lt, 0x80000001) + ng_packets(le, few[:5])
          + W.epb(le, 0, 5, b"\0" * 300000) + ng_packets(le, few[5:]))
    craft("idb-options.pcapng", W.shb(le) + W.idb(le, lt, snap, name="eth0", options=[
        (3, b"description"), (8, struct.pack("<Q", 10**9)), (12, b"Linux"),
        (2988, b"custom option"), (13, b"\x04")]) + ng_packets(le, few))
    craft("epb-options.pcapng", W.shb(le) + W.idb(le, lt, snap) + b"".join(
        W.epb(le, 0, W.ts_units(t, None), d, w, options=[(2, struct.pack("<I", 1)),
                                                           (4, b"\x00" * 8)])
        for t, w, d in few))
    craft("no-endofopt.pcapng", W.shb(le) + W.block(le, W.BT_IDB, struct.pack(le + "HHI", lt, 0, snap)
                                                    + W.opt(le, 9, b"\x09"))
          + ng_packets(le, few, tsresol=9))
    craft("idb-mid-file.pcapng", W.shb(le) + W.idb(le, lt, snap) + ng_packets(le, few[:20])
          + W.idb(le, lt, snap, tsresol=9) + ng_packets(le, few[20:], ifid=1, tsresol=9))
    # damage
    craft("cut-in-block-header.pcapng", good + W.isb(le)[:5])
    craft("cut-in-block.pcapng", good[:-10])
    craft("cut-after-header.pcapng", good + W.isb(le)[:8])
    craft("len-lt-12.pcapng", good + W.block(le, 99, b"", length=8))
    craft("len-not-4.pcapng", good + W.block(le, 99, b"abcd", length=18))
    craft("len-huge.pcapng", good + W.block(le, 99, b"abcd", length=(16 << 20) + 4))
    craft("block-above-16MiB.pcapng", good + W.custom(le, bytes(16 << 20)) + ng_packets(le, few[:2]))
    craft("trailer-mismatch.pcapng", good[:len(good) // 2] + W.block(le, 99, b"abcd", trailer=20)
          + good[len(good) // 2:])
    craft("epb-too-short.pcapng", good + W.block(le, W.BT_EPB, b"\0" * 12))
    craft("spb-too-short.pcapng", good + W.block(le, W.BT_SPB, b""))
    craft("pb-too-short.pcapng", good + W.block(le, W.BT_PB, b"\0" * 16))
    craft("idb-too-short.pcapng", good + W.block(le, W.BT_IDB, b"\0" * 4))
    craft("shb2-too-short.pcapng", good + W.block(le, W.BT_SHB, struct.pack("<I", 0x1A2B3C4D)))
    craft("caplen-gt-snaplen.pcapng", W.shb(le) + W.idb(le, lt, 64) + ng_packets(le, few))
    craft("caplen-gt-block.pcapng", good + W.epb(le, 0, 5, b"\0" * 60, caplen=2000))
    craft("spb-gt-block.pcapng", W.shb(le) + W.idb(le, lt, 0) + W.spb(le, b"\0" * 60, 1500))
    craft("unknown-iface.pcapng", good + ng_packets(le, few[:3], ifid=3))
    craft("spb-in-section-without-idb.pcapng", good + W.shb(le) + W.spb(le, few[0][2], few[0][1]))
    for name, o in (("tsresol-len2", [(9, b"\x06\x06")]),
                    ("tsresol-dup", [(9, b"\x06"), (9, b"\x09")]),
                    ("tsresol-2pow64", [(9, b"\xc0")]),
                    ("tsresol-10pow20", [(9, b"\x14")]),
                    ("tsoffset-len4", [(14, b"\0\0\0\0")]),
                    ("tsoffset-dup", [(14, b"\0" * 8), (14, b"\0" * 8)]),
                    ("endofopt-len4", [(0, b"\0\0\0\0")])):
        bad = W.block(le, W.BT_IDB, struct.pack(le + "HHI", lt, 0, snap)
                      + b"".join(W.opt(le, c, v) for c, v in o))
        craft("first-" + name + ".pcapng", W.shb(le) + bad + ng_packets(le, few))
        craft("second-" + name + ".pcapng", good + bad + ng_packets(le, few[:2], ifid=1))
    overrun = W.block(le, W.BT_IDB, struct.pack(le + "HHI", lt, 0, snap)
                      + struct.pack(le + "HH", 2, 40) + b"name")
    craft("first-option-overrun.pcapng", W.shb(le) + overrun + ng_packets(le, few))
    craft("second-option-overrun.pcapng", good + overrun)
    craft("shb2-bad-bom.pcapng", good + W.block(le, W.BT_SHB, struct.pack(le + "IHHq", 0x11223344, 1, 0, -1))
          + W.idb(le, lt, snap) + ng_packets(le, few[:3]))
    craft("shb2-major-2.pcapng", good + W.shb(le, major=2) + W.idb(le, lt, snap) + ng_packets(le, few[:3]))
    craft("shb-version-1-1.pcapng", W.shb(le, minor=1) + W.idb(le, lt, snap) + ng_packets(le, few))
    craft("shb-len-insane.pcapng", W.block(le, W.BT_SHB, struct.pack(le + "IHHq", 0x1A2B3C4D, 1, 0, -1),
                                           length=2 << 20) + good[28:])
    craft("shb-len-small.pcapng", W.block(le, W.BT_SHB, struct.pack(le + "IHHq", 0x1A2B3C4D, 1, 0, -1),
                                          length=20) + good[28:])
    craft("shb-len-unaligned.pcapng", W.block(le, W.BT_SHB, struct.pack(le + "IHHq", 0x1A2B3C4D, 1, 0, -1)
                                              + b"\0\0", length=30)[:30] + good[28:])
    craft("shb-cut.pcapng", good[:20])
    craft("shb-only.pcapng", W.shb(le))
    craft("epb-before-idb.pcapng", W.shb(le) + ng_packets(le, few[:2]) + W.idb(le, lt, snap))
    craft("first-idb-unsupported.pcapng", W.shb(le) + W.idb(le, 147, snap) + ng_packets(le, few))
    craft("first-idb-unsupported-ok-later.pcapng", W.shb(le) + W.idb(le, 147, snap)
          + W.idb(le, lt, snap) + ng_packets(le, few, ifid=1))
    craft("empty-file.pcapng", b"")
    craft("just-magic.pcapng", good[:4])
    # larger than two 4 MiB windows: the read-ahead thread (mapfile.c)
    n = (10 << 20) // len(good) + 1
    many = [(t + i * 10**10, w, d) for i in range(n) for t, w, d in recs]
    large = W.shb(le) + W.idb(le, lt, snap, tsresol=9) + ng_packets(le, many, tsresol=9)
    craft("large.pcapng", large)
    craft("large-cut.pcapng", large[:-7])
    return files, set(files[-2:])


def built_with(mpana, comp):
    """False when this mpana was built without the decoder of `comp` (a
    compressed empty input): CMake lets it build without zlib or libzstd."""
    r = run(mpana, ["-q", "-r", "-"], None, stdin=comp)
    return b"built without" not in r[2]


def stream_checks(mpana, pcapdir, tmp):
    """The stream reader against libpcap on the same decoded bytes and
    against the uncompressed file. Returns the count of failures, or None
    when this mpana has no gzip decoder (skip)."""
    fails = 0
    if not built_with(mpana, gzip.compress(b"")):
        print("SKIP: this mpana was built without zlib (zlib1g-dev)")
        return None
    have_zstd = shutil.which("zstd") is not None
    if not have_zstd:
        print("note: zstd not found: zstd inputs not checked")
    elif not built_with(mpana, subprocess.run(["zstd", "-q", "-c"], input=b"", check=True,
                                             stdout=subprocess.PIPE).stdout):
        print("note: this mpana was built without libzstd: zstd inputs not checked")
        have_zstd = False
    lt, snap, recs = W.read_pcap(os.path.join(pcapdir, "basic.pcap"))
    ng = W.shb(">") + W.idb(">", lt, snap, tsresol=0x80 | 24) + ng_packets(">", recs, tsresol=0x80 | 24)
    n = (6 << 20) // len(ng) + 1
    many = [(t + i * 10**10, w, d) for i in range(n) for t, w, d in recs]
    large_ng = W.shb("<") + W.idb("<", lt, snap) + ng_packets("<", many)
    srcs = {
        "basic.pcap": open(os.path.join(pcapdir, "basic.pcap"), "rb").read(),
        "ipv6.pcap": open(os.path.join(pcapdir, "ipv6.pcap"), "rb").read(),
        "be-2pow24.pcapng": ng,
        "cut.pcapng": ng[:-30],
        "trailer.pcapng": ng[:len(ng) // 2] + W.block(">", 99, b"abcd", trailer=20),
        "large.pcapng": large_ng,
    }

    def write(name, data):
        p = os.path.join(tmp, name)
        with open(p, "wb") as f:
            f.write(data)
        return p

    def zstd(data):
        return subprocess.run(["zstd", "-q", "-c", "-3"], input=data, check=True,
                              stdout=subprocess.PIPE).stdout

    def same(what, a, b):
        nonlocal fails
        if a != b:
            fails += 1
            print("DIFF %s: rc %d vs %d" % (what, a[0], b[0]))
            if a[2] != b[2]:
                print("  stderr: %r\n  vs:     %r" % (a[2][-300:], b[2][-300:]))
            if a[1] != b[1]:
                print("  stdout differs (%d vs %d bytes)" % (len(a[1]), len(b[1])))

    for name, data in srcs.items():
        plain = write(name, data)
        quiet = ["-q"] if name.startswith("large") else []
        ref = run(mpana, quiet + ["-r", plain], None)
        forms = [("gz", gzip.compress(data, 6))]
        if have_zstd:
            forms.append(("zst", zstd(data)))
        for ext, comp in forms:
            cpath = write(name + "." + ext, comp)
            a = run(mpana, quiet + ["-r", cpath], None)
            b = run(mpana, quiet + ["-r", cpath], "libpcap")
            same("-r %s: own vs libpcap" % cpath, a, b)
            # the uncompressed file's output, the file name aside
            same("-r %s vs -r %s" % (cpath, plain),
                 (a[0], a[1], a[2].replace(cpath.encode(), plain.encode())), ref)
            # standard input, a pipe
            a = run(mpana, quiet + ["-r", "-"], None, stdin=comp)
            b = run(mpana, quiet + ["-r", "-"], "libpcap", stdin=comp)
            same("-r - < %s: own vs libpcap" % cpath, a, b)
            same("-r - < %s vs -r %s" % (cpath, plain),
                 (a[0], a[1], a[2].replace(b"-: ", plain.encode() + b": ")), ref)
            # a filter: libpcap reads the decoded bytes (and filters them)
            a = run(mpana, quiet + ["-r", cpath, "tcp port 12345"], None)
            same("-r %s 'tcp port 12345' vs -r %s" % (cpath, plain),
                 (a[0], a[1], a[2].replace(cpath.encode(), plain.encode())),
                 run(mpana, quiet + ["-r", plain, "tcp port 12345"], None))
        a = run(mpana, quiet + ["-r", "-"], None, stdin=data)
        b = run(mpana, quiet + ["-r", "-"], "libpcap", stdin=data)
        same("-r - < %s: own vs libpcap" % plain, a, b)
        same("-r - < %s vs -r %s" % (plain, plain),
             (a[0], a[1], a[2].replace(b"-: ", plain.encode() + b": ")), ref)

    # damaged compressed data: the data before the damage is analyzed, then
    # the decoder's message and exit status 1, with either reader
    data = srcs["basic.pcap"]
    gz = gzip.compress(data, 6)
    zs = zstd(data) if have_zstd else None
    cases = [("cut.pcap.gz", gz[:len(gz) * 2 // 3], b"truncated gzip data"),
             ("crc.pcap.gz", gz[:-8] + bytes([gz[-8] ^ 1]) + gz[-7:], b"corrupt gzip data"),
             ("garbage.pcap.gz", gz + b"not gzip", b"trailing garbage after the gzip data"),
             ("flip.pcap.gz", gz[:200] + bytes([gz[200] ^ 0xff]) + gz[201:], b"gzip data")]
    if zs:
        cases += [("cut.pcap.zst", zs[:len(zs) * 2 // 3], b"truncated zstd data"),
                  ("flip.pcap.zst", zs[:-20] + bytes([zs[-20] ^ 0xff]) + zs[-19:], b"zstd data")]
    for name, comp, msg in cases:
        cpath = write(name, comp)
        a = run(mpana, ["-r", cpath], None)
        b = run(mpana, ["-r", cpath], "libpcap")
        same("-r %s: own vs libpcap" % cpath, a, b)
        # (zstd decodes whole blocks: a cut or damaged small file may give
        # nothing before the message)
        if a[0] != 1 or msg not in a[2] or (b"(after " not in a[2] and b"zstd" not in msg):
            fails += 1
            print("FAIL -r %s: rc %d, stderr %r (expected 1 and %r)" % (cpath, a[0], a[2][-300:], msg))
        a = run(mpana, ["-r", "-"], None, stdin=comp)
        if a[0] != 1 or msg not in a[2]:
            fails += 1
            print("FAIL -r - < %s: rc %d, stderr %r" % (cpath, a[0], a[2][-300:]))
    # several gzip members in a row read as one
    half = len(recs) // 2
    p1 = write("m1.pcap", data[:24 + sum(16 + len(d) for _, _, d in recs[:half])])
    cpath = write("members.pcap.gz", gzip.compress(open(p1, "rb").read())
                  + gzip.compress(data[len(open(p1, "rb").read()):]))
    a = run(mpana, ["-r", cpath], None)
    ref = run(mpana, ["-r", os.path.join(tmp, "basic.pcap")], None)
    same("-r %s (two members) vs the plain file" % cpath,
         (a[0], a[1], a[2]), ref)
    return fails


def main():
    mpana, pcapdir = sys.argv[1], sys.argv[2]
    which = sys.argv[3] if len(sys.argv) > 3 else "classic"
    tmp = tempfile.mkdtemp(prefix="mpana-reader-")
    try:
        if which == "classic":
            files, large = classic_files(pcapdir, tmp)
            fails = compare(mpana, files, large)
        elif which == "pcapng":
            files, large = pcapng_files(pcapdir, tmp)
            fails = compare(mpana, files, large)
        elif which == "stream":
            files = []
            fails = stream_checks(mpana, pcapdir, tmp)
            if fails is None:
                return 77
        else:
            print("usage: reader_equiv.py MPANA PCAPDIR [classic|pcapng|stream]")
            return 2
    finally:
        shutil.rmtree(tmp)
    print("%s: %d files, %d differences" % (which, len(files), fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
