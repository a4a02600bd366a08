#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Seed corpora for the fuzz targets (tests/fuzz/fuzz_*.c) from captures.

usage: make_seeds.py OUTDIR PCAP...

Writes OUTDIR/options/, OUTDIR/packet/ and OUTDIR/pcap/, one file per seed
named by the SHA-1 of its content (as libFuzzer names them):
  options  TCP flags byte + TCP option bytes of each distinct MPTCP packet
           (distinct by flags and option kind/length/subtype/DSS flags)
  packet   selector byte + [len_hi len_lo dt bytes] frames (fuzz_packet.c):
           each distinct MPTCP packet alone, and the first 40 packets of
           each capture (cut to 128 bytes) as one sequence
  pcap     the first 24 records of each capture as a small pcap file
  pcapng   the first 24 records of each capture as small pcapng files
           (tests/lib/pcapng_writer.py): little- and big-endian sections,
           if_tsresol in powers of 10 and 2, if_tsoffset, two interfaces of
           different link types, several sections in both byte orders, EPB,
           PB and SPB blocks, comments, NRB/ISB/custom blocks (for the
           pcap and pcapfile targets)

The committed corpus (tests/fuzz/corpus/) is made from the project's own
pcaps/ only, then minimized with libFuzzer's -merge=1 (docs/robustness.md);
../shared/peer/tcpdump captures may be used in place as extra seeds for a
local run, never committed. Reads classic pcap (us/ns, either byte order)
and pcapng (EPB/SPB/IDB).
"""
import hashlib
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import pcapng_writer as W  # noqa: E402

# LINKTYPE_* in files -> index into fuzz_packet.c's dlt_table
LINK_INDEX = {1: 0, 113: 1, 276: 2, 101: 3, 228: 4, 229: 5, 0: 6, 108: 7}


def read_records(path):
    """Yields (linktype, ts_ns, caplen, wirelen, data) for every record."""
    raw = open(path, "rb").read()
    magic = raw[:4]
    if magic == b"\x0a\x0d\x0d\x0a":
        yield from read_pcapng(raw)
        return
    for end, nano_magic in (("<", 0xa1b23c4d), (">", 0xa1b23c4d)):
        m = struct.unpack(end + "I", magic)[0]
        if m in (0xa1b2c3d4, 0xa1b23c4d):
            nano = m == nano_magic
            break
    else:
        raise ValueError("%s: not a pcap file" % path)
    _, _, _, _, _, link = struct.unpack(end + "HHiIII", raw[4:24])
    off = 24
    while off + 16 <= len(raw):
        sec, frac, cap, wire = struct.unpack(end + "IIII", raw[off:off + 16])
        off += 16
        data = raw[off:off + cap]
        off += cap
        yield link & 0xffff, sec * 10**9 + frac * (1 if nano else 1000), cap, wire, data


def read_pcapng(raw):
    off, links, end = 0, [], "<"
    while off + 12 <= len(raw):
        btype = struct.unpack(end + "I", raw[off:off + 4])[0]
        if btype == 0x0a0d0d0a:
            end = "<" if raw[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        blen = struct.unpack(end + "I", raw[off + 4:off + 8])[0]
        if blen < 12:
            return
        body = raw[off + 8:off + blen - 4]
        if btype == 1:
            links.append(struct.unpack(end + "H", body[:2])[0])
        elif btype == 6:
            ifc, hi, lo, cap, wire = struct.unpack(end + "IIIII", body[:20])
            ts = (hi << 32 | lo) * 1000
            yield links[ifc] if ifc < len(links) else 1, ts, cap, wire, body[20:20 + cap]
        off += blen


def ip_offset(link, data):
    """Offset of the IP header, or None."""
    if link == 1:
        off, etype = 14, data[12:14]
        while etype in (b"\x81\x00", b"\x88\xa8") and len(data) >= off + 4:
            etype, off = data[off + 2:off + 4], off + 4
        return off if etype in (b"\x08\x00", b"\x86\xdd") else None
    if link == 113:
        return 16 if data[14:16] in (b"\x08\x00", b"\x86\xdd") else None
    if link == 276:
        return 20 if data[0:2] in (b"\x08\x00", b"\x86\xdd") else None
    if link in (0, 108):
        return 4
    if link in (101, 228, 229):
        return 0
    return None


def tcp_options(link, data):
    """(flags, option bytes) of a TCP packet, or None."""
    off = ip_offset(link, data)
    if off is None or len(data) < off + 1:
        return None
    ver = data[off] >> 4
    if ver == 4:
        ihl = (data[off] & 15) * 4
        if len(data) < off + 20 or data[off + 9] != 6:
            return None
        t = off + ihl
    elif ver == 6:
        if len(data) < off + 40 or data[off + 6] != 6:
            return None
        t = off + 40
    else:
        return None
    if len(data) < t + 20:
        return None
    doff = (data[t + 12] >> 4) * 4
    return data[t + 13], data[t + 20:t + max(doff, 20)]


def mptcp_signature(flags, opts):
    sig, i = [flags & 0x17], 0
    while i < len(opts):
        kind = opts[i]
        if kind in (0, 1):
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            sig.append(("bad", kind))
            break
        ln = opts[i + 1]
        if kind == 30:
            sub = opts[i + 2] >> 4 if i + 2 < len(opts) else -1
            extra = opts[i + 3] if sub == 2 and i + 3 < len(opts) else 0
            sig.append((kind, ln, sub, extra))
        i += ln
    if not any(isinstance(s, tuple) and s[0] == 30 for s in sig[1:]):
        return None
    return tuple(sig)


def frame(data, dt=0):
    return struct.pack(">HB", len(data), dt) + data


def write(outdir, group, blob):
    d = os.path.join(outdir, group)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(blob).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(blob)


def pcapng_seeds(link, recs):
    """Small pcapng files of (link, ts_ns, cap, wire, data) records."""
    def pkts(end, rs, ifids=(0,), tsresol=None, tsoffset=0, comments=False):
        return b"".join(W.epb(end, ifids[i % len(ifids)],
                              W.ts_units(ts - tsoffset * 10**9, tsresol), d, wire,
                              comment="c%d" % i if comments and i % 3 == 0 else None)
                        for i, (_, ts, _, wire, d) in enumerate(rs))
    out = []
    for end in ("<", ">"):
        out.append(W.shb(end) + W.idb(end, link, 262144) + pkts(end, recs))
    out.append(W.shb(">", comment="s") + W.idb(">", link, 0, tsresol=9) + W.nrb(">")
               + pkts(">", recs, tsresol=9, comments=True) + W.isb(">") + W.custom(">"))
    out.append(W.shb("<") + W.idb("<", link, 0, tsresol=0x80 | 20, tsoffset=-5)
               + W.idb("<", 101, 96, tsresol=3) + pkts("<", recs, ifids=(0, 1), tsresol=0x80 | 20,
                                                      tsoffset=-5))
    half = len(recs) // 2
    out.append(W.shb("<") + W.idb("<", link, 0) + pkts("<", recs[:half])
               + W.shb(">") + W.idb(">", link, 0) + W.idb(">", 1, 0) + pkts(">", recs[half:], ifids=(1, 0)))
    out.append(W.shb("<") + W.idb("<", link, 128)
               + b"".join(W.spb("<", d[:128], wire) if i % 2 else W.pb("<", 0, ts // 1000, d, wire, comment="p")
                          for i, (_, ts, _, wire, d) in enumerate(recs)))
    return out


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    outdir, seen, n = sys.argv[1], set(), 0
    for path in sys.argv[2:]:
        recs = list(read_records(path))
        if not recs:
            continue
        link = recs[0][0]
        sel = LINK_INDEX.get(link)
        for lk, ts, cap, wire, data in recs:
            to = tcp_options(lk, data)
            if not to:
                continue
            sig = mptcp_signature(*to)
            if sig is None or (lk, sig) in seen:
                continue
            seen.add((lk, sig))
            write(outdir, "options", bytes([to[0]]) + to[1])
            if sel is not None:
                write(outdir, "packet", bytes([sel]) + frame(data[:160]))
            n += 1
        if sel is not None:
            seq, prev = bytearray([sel]), recs[0][1]
            for lk, ts, cap, wire, data in recs[:40]:
                dt = min(255, max(0, (ts - prev) // 10**9))
                prev = ts
                seq += frame(data[:128], dt)
            write(outdir, "packet", bytes(seq))
        # a small pcap: the original header (magic, snaplen, link) + 24 records
        hdr = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, link)
        body = b"".join(struct.pack("<IIII", ts // 10**9, ts % 10**9 // 1000,
                                    len(d), wire) + d
                        for _, ts, _, wire, d in recs[:24])
        write(outdir, "pcap", hdr + body)
        for blob in pcapng_seeds(link, recs[:24]):
            write(outdir, "pcapng", blob)
    print("%d distinct MPTCP packets from %d captures" % (n, len(sys.argv) - 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
