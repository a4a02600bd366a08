#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""reader_equiv.py - the mmap pcap reader (src/capture/pcapfile.c) gives exactly what
the libpcap path gives: stdout, stderr and exit status, on every capture in
pcaps/ and on crafted files (both byte orders, micro/nano magic, a header or
record cut at EOF, caplen above the snaplen, absurd caplen, snaplen 0,
negative timestamps, link types with FCS bits, empty files).

    reader_equiv.py MPANA PCAPDIR       exit 0 pass, 1 fail
"""

import os
import struct
import subprocess
import sys
import tempfile


def run(mpana, args, env_reader):
    env = dict(os.environ)
    env.pop("MPANA_READER", None)
    if env_reader:
        env["MPANA_READER"] = env_reader
    r = subprocess.run([mpana] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=120)
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


def main():
    mpana, pcapdir = sys.argv[1], sys.argv[2]
    files = sorted(os.path.join(pcapdir, f) for f in os.listdir(pcapdir)
                   if f.endswith(".pcap"))
    tmp = tempfile.mkdtemp(prefix="mpana-reader-")
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
    large_files = set(files[-2:])

    fails = 0
    for f in files:
        modes = ((["-q", "-r", f],) if f in large_files else
                 (["-r", f], ["--json", "-r", f], ["-q", "-c", "3", "-r", f]))
        for args in modes:
            a = run(mpana, args, None)
            b = run(mpana, args, "libpcap")
            if a != b:
                fails += 1
                print("DIFF %s: mmap rc=%d libpcap rc=%d" % (" ".join(args), a[0], b[0]))
                if a[2] != b[2]:
                    print("  mmap stderr:    %r" % a[2][-300:])
                    print("  libpcap stderr: %r" % b[2][-300:])
                if a[1] != b[1]:
                    print("  stdout differs (%d vs %d bytes)" % (len(a[1]), len(b[1])))
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)
    print("%d files x 1-3 modes, %d differences" % (len(files), fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
