# SPDX-License-Identifier: BSD-2-Clause
"""pcapng_writer.py - builds pcapng files block by block for the reader
tests (tests/perf/reader_equiv.py, tests/perf/pcapng_test.py) and the fuzz
seeds (tests/fuzz/make_seeds.py). python3 standard library only.

Written from draft-ietf-opsawg-pcapng: every block is type, total length,
body padded to 32 bits, total length again (§3.1); options are code,
length, value padded to 32 bits, ended by opt_endofopt (§3.5). Each
function takes the byte order of its section ("<" or ">"), so a file can
mix sections of both orders. Nothing here checks what it is given: the
tests also build damaged files with it.

Also reads classic pcap files (read_pcap) so that the tests can turn the
bundled captures into pcapng variants.
"""
import struct

BT_SHB, BT_IDB, BT_PB, BT_SPB, BT_EPB = 0x0A0D0D0A, 1, 2, 3, 6
BT_NRB, BT_ISB, BT_DSB, BT_CUSTOM = 4, 5, 0x0000000A, 0x00000BAD
OPT_END, OPT_COMMENT, IF_NAME, IF_TSRESOL, IF_TSOFFSET = 0, 1, 2, 9, 14
LT_EN10MB, LT_RAW, LT_SLL, LT_SLL2 = 1, 101, 113, 276


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def opt(end, code, value):
    """One option (§3.5), value padded to 32 bits."""
    return struct.pack(end + "HH", code, len(value)) + pad4(value)


def opts(end, items, terminate=True):
    """Options from [(code, bytes)], with opt_endofopt when any."""
    if not items:
        return b""
    out = b"".join(opt(end, c, v) for c, v in items)
    return out + (struct.pack(end + "HH", OPT_END, 0) if terminate else b"")


def block(end, btype, body, length=None, trailer=None):
    """A block of `body` (padded). `length`/`trailer` override the two
    total-length fields (damaged files)."""
    body = pad4(body)
    n = 12 + len(body)
    return (struct.pack(end + "II", btype, n if length is None else length) + body +
            struct.pack(end + "I", n if trailer is None else trailer))


def shb(end="<", comment=None, major=1, minor=0, options=None):
    items = list(options or [])
    if comment is not None:
        items.insert(0, (OPT_COMMENT, comment.encode()))
    body = struct.pack(end + "IHHq", 0x1A2B3C4D, major, minor, -1)
    return block(end, BT_SHB, body + opts(end, items))


def idb(end, linktype, snaplen=0, tsresol=None, tsoffset=None, name=None,
        options=None):
    """Interface Description Block (§4.2). tsresol: the option's raw byte
    (6 = microseconds, 9 = nanoseconds, 0x80 | n = 2^-n)."""
    items = []
    if name is not None:
        items.append((IF_NAME, name.encode()))
    if tsresol is not None:
        items.append((IF_TSRESOL, bytes([tsresol])))
    if tsoffset is not None:
        items.append((IF_TSOFFSET, struct.pack(end + "q", tsoffset)))
    items += list(options or [])
    body = struct.pack(end + "HHI", linktype, 0, snaplen)
    return block(end, BT_IDB, body + opts(end, items))


def epb(end, ifid, ts, data, wirelen=None, comment=None, caplen=None,
        options=None):
    """Enhanced Packet Block (§4.3); ts in the interface's units."""
    items = list(options or [])
    if comment is not None:
        items.insert(0, (OPT_COMMENT, comment.encode()))
    body = struct.pack(end + "IIIII", ifid, ts >> 32 & 0xffffffff, ts & 0xffffffff,
                       len(data) if caplen is None else caplen,
                       len(data) if wirelen is None else wirelen)
    return block(end, BT_EPB, body + pad4(data) + opts(end, items))


def spb(end, data, wirelen=None):
    """Simple Packet Block (§4.4): interface 0, no time stamp."""
    body = struct.pack(end + "I", len(data) if wirelen is None else wirelen)
    return block(end, BT_SPB, body + data)


def pb(end, ifid, ts, data, wirelen=None, comment=None):
    """The obsolete Packet Block (type 2)."""
    items = [(OPT_COMMENT, comment.encode())] if comment is not None else []
    body = struct.pack(end + "HHIIII", ifid, 0, ts >> 32 & 0xffffffff,
                       ts & 0xffffffff, len(data),
                       len(data) if wirelen is None else wirelen)
    return block(end, BT_PB, body + pad4(data) + opts(end, items))


def nrb(end):
    """A Name Resolution Block with one IPv4 record (§4.5)."""
    rec = struct.pack(end + "HH", 1, 4 + 10) + pad4(bytes([10, 0, 1, 1]) + b"host-a\0\0\0\0")
    return block(end, BT_NRB, rec + struct.pack(end + "HH", 0, 0))


def isb(end, ifid=0):
    """An Interface Statistics Block (§4.6) with no options."""
    return block(end, BT_ISB, struct.pack(end + "III", ifid, 0, 0))


def custom(end, payload=b"mpana test"):
    """A custom block (§4.8): PEN, then opaque bytes."""
    return block(end, BT_CUSTOM, struct.pack(end + "I", 32473) + payload)


def read_pcap(path):
    """(linktype, snaplen, [(ts_ns, wirelen, data)]) of a classic pcap."""
    raw = open(path, "rb").read()
    for end in ("<", ">"):
        magic = struct.unpack(end + "I", raw[:4])[0]
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            break
    else:
        raise ValueError("%s: not a classic pcap file" % path)
    nano = magic == 0xa1b23c4d
    snap, lt = struct.unpack(end + "II", raw[16:24])
    recs, off = [], 24
    while off + 16 <= len(raw):
        sec, frac, cap, wire = struct.unpack(end + "IIII", raw[off:off + 16])
        recs.append((sec * 10**9 + frac * (1 if nano else 1000), wire,
                     raw[off + 16:off + 16 + cap]))
        off += 16 + cap
    return lt & 0xffff, snap, recs


def ts_units(ts_ns, tsresol):
    """A time in ns in the units of an if_tsresol byte (None: 10^-6), cut
    toward zero as a writer would."""
    if tsresol is None:
        tsresol = 6
    if tsresol & 0x80:
        return ts_ns * (1 << (tsresol & 0x7f)) // 10**9
    return ts_ns * 10**tsresol // 10**9
