#!/usr/bin/env python3
"""drop_frame.py IN OUT FRAMENO -- copy a capture without one frame.

Writes OUT as a byte-for-byte copy of IN minus the packet that tshark/
Wireshark number FRAMENO (1-based).  Handles classic pcap (either byte order,
microsecond or nanosecond magic) and pcapng (every section's byte order;
Enhanced, Simple and obsolete Packet Blocks are numbered frames, every other
block -- section headers, interface descriptions, statistics, name
resolution, decryption secrets -- is kept as it is).  The file format is
recognised from its content, not its name (files named .pcap may be pcapng).

Exit status: 0 written, 1 FRAMENO not in the file, 2 usage or format error.
Standard library only.
"""

import struct
import sys

PCAP_MAGICS = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">",      # usec
               b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}      # nsec
PCAPNG_SHB = 0x0A0D0D0A
PCAPNG_PACKET_BLOCKS = (0x00000006, 0x00000003, 0x00000002)   # EPB, SPB, PB


class FormatError(Exception):
    pass


def split_pcap(data):
    """Yields (is_frame, bytes) pieces whose concatenation is `data`."""
    e = PCAP_MAGICS[data[:4]]
    if len(data) < 24:
        raise FormatError("truncated pcap header")
    yield False, data[:24]
    off = 24
    while off < len(data):
        if off + 16 > len(data):
            raise FormatError("truncated record header at offset %d" % off)
        incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
        end = off + 16 + incl
        if end > len(data):
            raise FormatError("truncated record at offset %d" % off)
        yield True, data[off:end]
        off = end


def split_pcapng(data):
    off, e = 0, None
    while off < len(data):
        if off + 12 > len(data):
            raise FormatError("truncated block at offset %d" % off)
        raw_type = data[off:off + 4]
        if struct.unpack("<I", raw_type)[0] == PCAPNG_SHB:
            bom = data[off + 8:off + 12]
            if bom == b"\x4d\x3c\x2b\x1a":
                e = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                e = ">"
            else:
                raise FormatError("bad byte-order magic at offset %d" % off)
        elif e is None:
            raise FormatError("pcapng file does not start with a section header")
        btype, blen = struct.unpack(e + "II", data[off:off + 8])
        if blen < 12 or blen % 4 or off + blen > len(data):
            raise FormatError("bad block length %d at offset %d" % (blen, off))
        if struct.unpack(e + "I", data[off + blen - 4:off + blen])[0] != blen:
            raise FormatError("block lengths disagree at offset %d" % off)
        yield btype in PCAPNG_PACKET_BLOCKS, data[off:off + blen]
        off += blen


def drop_frame(data, frameno):
    """Returns (data without frame `frameno`, number of frames in `data`)."""
    if data[:4] in PCAP_MAGICS:
        pieces = split_pcap(data)
    elif len(data) >= 4 and struct.unpack("<I", data[:4])[0] == PCAPNG_SHB:
        pieces = split_pcapng(data)
    else:
        raise FormatError("neither pcap nor pcapng")
    out, n = [], 0
    for is_frame, piece in pieces:
        if is_frame:
            n += 1
            if n == frameno:
                continue
        out.append(piece)
    return b"".join(out), n


def main(argv):
    if len(argv) != 4 or not argv[3].isdigit() or int(argv[3]) < 1:
        sys.stderr.write("usage: drop_frame.py IN OUT FRAMENO  (FRAMENO >= 1, as "
                         "tshark numbers frames)\n")
        return 2
    src, dst, frameno = argv[1], argv[2], int(argv[3])
    try:
        with open(src, "rb") as f:
            data = f.read()
        out, n = drop_frame(data, frameno)
    except (OSError, FormatError) as e:
        sys.stderr.write("drop_frame.py: %s: %s\n" % (src, e))
        return 2
    if frameno > n:
        sys.stderr.write("drop_frame.py: %s has %d frames, no frame %d\n"
                         % (src, n, frameno))
        return 1
    try:
        with open(dst, "wb") as f:
            f.write(out)
    except OSError as e:
        sys.stderr.write("drop_frame.py: %s: %s\n" % (dst, e))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
