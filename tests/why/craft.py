# SPDX-License-Identifier: BSD-2-Clause
"""Small hand-made MPTCP captures, written at test time (Python standard
library only): classic pcap, Ethernet, IPv4, TCP with correct checksums.

    c = Conn("10.9.0.1", 20001, "10.9.0.2", 20002)   # A = client, B = server
    c.pkt(A, "S", mpc_syn())                         # SYN from A
    c.pkt(B, "SA", mpc_synack(c.key_b))
    ...
    write_pcap(path, c.frames)

Option encodings: RFC 8684 §3.1 (MP_CAPABLE v1: SYN 4 bytes, SYN/ACK 12,
third ACK 20), §3.3 (DSS: flags A=0x01, M=0x04, 4-byte DATA_ACK and DSN,
SSN relative to the ISN, data-level length; no checksum), RFC 2385 (TCP-MD5
signature, kind 19, 18 bytes: the digest here is 16 fixed bytes, which is
all an analyzer can see). Keys give the IDSN as the kernel derives it
(the low 64 bits of SHA-256 of the key).
"""
import hashlib
import socket
import struct

A, B = 0, 1   # the two hosts of a Conn


def mpc_syn():
    return bytes([30, 4, 0x01, 0x01])          # MP_CAPABLE v1, H (HMAC-SHA256)


def mpc_synack(key_b):
    return bytes([30, 12, 0x01, 0x01]) + struct.pack("!Q", key_b)


def mpc_ack(key_a, key_b):
    return bytes([30, 20, 0x01, 0x01]) + struct.pack("!QQ", key_a, key_b)


def dss(data_ack=None, dsn=None, ssn=0, dll=0, fin=False):
    flags, body = 0, b""
    if data_ack is not None:
        flags |= 0x01
        body += struct.pack("!I", data_ack & 0xffffffff)
    if dsn is not None:
        flags |= 0x04
        body += struct.pack("!IIH", dsn & 0xffffffff, ssn, dll)
    if fin:
        flags |= 0x10
    return bytes([30, 4 + len(body), 0x20, flags]) + body


def md5sig():
    return bytes([19, 18]) + bytes(range(0xa0, 0xb0))


def std_syn_opts():
    """MSS 1460, SACK permitted, window scale 7 (no timestamps: room for
    MPTCP and MD5 together)."""
    return bytes([2, 4, 0x05, 0xb4, 4, 2, 3, 3, 7])


def idsn(key):
    return int.from_bytes(hashlib.sha256(struct.pack("!Q", key)).digest()[24:], "big")


def _csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


class Conn:
    """One TCP 4-tuple seen from the middle; frames in capture order."""

    def __init__(self, a_ip, a_port, b_ip, b_port, key_a=0x1111222233334444,
                 key_b=0x5555666677778888, isn_a=1000, isn_b=5000, frames=None):
        self.ip = (socket.inet_aton(a_ip), socket.inet_aton(b_ip))
        self.port = (a_port, b_port)
        self.key_a, self.key_b = key_a, key_b
        self.isn = [isn_a, isn_b]
        self.nxt = [isn_a, isn_b]   # next sequence number per host
        self.frames = [] if frames is None else frames   # shared between Conns
        self.t = 1700000000.0

    def pkt(self, frm, flags, opts=b"", data=b"", seq=None, ack=None):
        """Appends a segment from host `frm`; `flags` in "SAFRP"; `seq`
        defaults to the host's next number, `ack` to the peer's (with A)."""
        to = 1 - frm
        fl = sum(v for k, v in (("F", 1), ("S", 2), ("R", 4), ("P", 8), ("A", 16))
                 if k in flags)
        if seq is None:
            seq = self.nxt[frm]
        if ack is None:
            ack = self.nxt[to] if "A" in flags else 0
        opts = opts + b"\x01" * (-len(opts) % 4)
        hl = 20 + len(opts)
        tcp = struct.pack("!HHIIBBHHH", self.port[frm], self.port[to], seq & 0xffffffff,
                          ack & 0xffffffff, (hl // 4) << 4, fl, 64240, 0, 0) + opts + data
        ph = self.ip[frm] + self.ip[to] + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", _csum(ph + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), len(self.frames) & 0xffff,
                         0x4000, 64, 6, 0, self.ip[frm], self.ip[to])
        ip = ip[:10] + struct.pack("!H", _csum(ip)) + ip[12:]
        eth = bytes([2, 0, 0, 0, 0, 2 - frm]) + bytes([2, 0, 0, 0, 0, 1 + frm]) + b"\x08\x00"
        self.t += 0.001
        self.frames.append((self.t, eth + ip + tcp))
        end = seq + len(data) + ("S" in flags) + ("F" in flags)
        if ((end - self.nxt[frm]) & 0xffffffff) < 0x80000000:
            self.nxt[frm] = end & 0xffffffff
        return len(self.frames)   # its frame number


def write_pcap(path, frames):
    """Classic pcap, microseconds, LINKTYPE_ETHERNET."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for t, b in frames:
            f.write(struct.pack("<IIII", int(t), int(round((t % 1) * 1e6)), len(b), len(b)))
            f.write(b)
