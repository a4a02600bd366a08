#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Writes a pcap (Ethernet, IPv4 and IPv6) with one packet per MPTCP option
form: every subtype, every legal length, odd lengths, several options per
packet.  Used by diff_tshark.py --synthetic so that forms the lab captures
never contain (MP_FAIL, odd MP_PRIO, unknown subtypes, IPv6 ADD_ADDR with a
port, ...) are still compared with tshark.

    craft_pcap.py OUT.pcap
"""

import struct
import sys

SYN, ACK, RST, PSH = 0x02, 0x10, 0x04, 0x08
SYNACK = SYN | ACK


def _csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def mp(sub_byte, body=b""):
    """One MPTCP option: kind 30, length, subtype/flags byte, body."""
    return bytes([30, 3 + len(body), sub_byte]) + body


def packet(opts, flags=ACK, v6=False, payload=b"", sport=40000, dport=80):
    o = b"".join(opts)
    while len(o) % 4:
        o += b"\x01"                       # NOP padding after the options
    assert len(o) <= 40, len(o)
    thl = 20 + len(o)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1000, 2000, (thl // 4) << 4, flags,
                      65535, 0, 0) + o + payload
    if v6:
        src = bytes.fromhex("fd000001000000000000000000000001")
        dst = bytes.fromhex("fd000002000000000000000000000002")
        pseudo = src + dst + struct.pack("!IxxxB", len(tcp), 6)
        tcp = tcp[:16] + struct.pack("!H", _csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!IHBB", 6 << 28, len(tcp), 6, 64) + src + dst
        ethertype = 0x86DD
    else:
        src, dst = bytes([10, 0, 1, 1]), bytes([10, 0, 1, 2])
        pseudo = src + dst + struct.pack("!xBH", 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", _csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", _csum(ip)) + ip[12:]
        ethertype = 0x0800
    eth = bytes.fromhex("020000000002") + bytes.fromhex("020000000001") + struct.pack("!H", ethertype)
    return eth + ip + tcp


def k(n):
    """8 distinct key bytes."""
    return bytes((n + i) & 0xFF for i in range(8))


IP6 = bytes.fromhex("20010db8000000000000000000000001")


def packets():
    P = []
    add = P.append
    # MP_CAPABLE
    add(packet([mp(0x01, b"\x81")], SYN))                                   # v1 SYN, len 4
    add(packet([mp(0x01, b"\x01" + k(1))], SYNACK))                         # v1 SYN/ACK, 12
    add(packet([mp(0x01, b"\x01" + k(1) + k(0x81))], ACK))                  # v1 ACK, 20
    add(packet([mp(0x01, b"\x01" + k(1) + k(0x81) + b"\x05\xdc")], ACK | PSH, payload=b"x" * 8))
    add(packet([mp(0x01, b"\x81" + k(1) + k(0x81) + b"\x00\x08\xbe\xef")], ACK | PSH, payload=b"y" * 8))
    add(packet([mp(0x00, b"\x81" + k(0xf0))], SYN))                         # v0 SYN, 12
    add(packet([mp(0x01, b"\x81" + k(1) + k(0x81) + b"\x05\xdc")], ACK))   # 22 with A
    add(packet([mp(0x01, b"\x01" + k(1) + k(0x81) + b"\x00\x08\xbe\xef")], ACK))  # 24 without A
    add(packet([mp(0x01, b"\x01" + k(1))], ACK))                            # 12 without SYN
    add(packet([mp(0x02, b"\x01" + k(1))], SYN))                            # version 2
    add(packet([mp(0x01, b"\x01" + k(1)[:4])], SYN))                        # len 8
    add(packet([mp(0x01, b"\x01" + k(1) + k(2)[:4])], ACK))                 # len 16
    # MP_JOIN
    add(packet([mp(0x10, b"\x02" + b"\xde\xad\xbe\xef" + b"\x01\x02\x03\x04")], SYN))
    add(packet([mp(0x11, b"\x03" + b"\x00\x00\x00\x01" + b"\xff\xff\xff\xff")], SYN))  # backup
    add(packet([mp(0x11, b"\x04" + k(0x10) + b"\x0a\x0b\x0c\x0d")], SYNACK))
    add(packet([mp(0x10, b"\x00" + bytes(range(20)))], ACK))
    add(packet([mp(0x10, b"\x00" + k(0x10) + b"\x0a\x0b\x0c\x0d")], ACK))  # 16 not SYN/ACK
    add(packet([mp(0x10, b"\x00" + bytes(6))], ACK))                        # len 10
    # DSS, every flag combination of A/a/M/m/F with and without checksum
    for f in range(0x20):
        body = b""
        if f & 0x01:
            body += k(0x20)[: 8 if f & 0x02 else 4]
        if f & 0x04:
            body += k(0x40)[: 8 if f & 0x08 else 4] + b"\x00\x00\x10\x01" + b"\x05\xb4"
        add(packet([mp(0x20, bytes([f]) + body)], ACK | PSH, payload=b"z" * 4))
        if f & 0x04:
            add(packet([mp(0x20, bytes([f]) + body + b"\x12\x34")], ACK))  # + checksum
    add(packet([mp(0x20, b"\x04" + b"\0\0\0\1" + b"\0\0\0\2" + b"\0\0")], ACK))  # infinite
    add(packet([mp(0x20)], ACK))                                            # len 3
    add(packet([mp(0x20, b"\x01" + b"\0\0\0\1\0")], ACK))                   # len 9
    add(packet([mp(0x20, b"\x01" + k(0x20))], SYN))                         # DSS on SYN
    # ADD_ADDR
    add(packet([mp(0x34, b"\x01" + bytes([10, 0, 2, 1]))], ACK))            # v0 ip4
    add(packet([mp(0x34, b"\x02" + bytes([10, 0, 2, 1]) + b"\x1f\x90")], ACK))
    add(packet([mp(0x36, b"\x03" + IP6)], ACK))                            # v0 ip6
    add(packet([mp(0x36, b"\x03" + IP6 + b"\x00\x50")], ACK))
    add(packet([mp(0x30, b"\x05" + bytes([10, 0, 2, 2]) + k(0x50))], ACK))  # v1 16
    add(packet([mp(0x30, b"\x06" + bytes([10, 0, 2, 2]) + b"\x30\x3a" + k(0x50))], ACK))
    add(packet([mp(0x31, b"\x05" + bytes([10, 0, 2, 2]))], ACK))            # echo 8
    add(packet([mp(0x31, b"\x06" + bytes([10, 0, 2, 2]) + b"\x30\x3a")], ACK))
    add(packet([mp(0x30, b"\x07" + IP6 + k(0x60))], ACK, v6=True))          # v1 ip6 28
    add(packet([mp(0x30, b"\x08" + IP6 + b"\x01\xbb" + k(0x60))], ACK, v6=True))
    add(packet([mp(0x31, b"\x07" + IP6)], ACK, v6=True))                    # echo ip6 20
    add(packet([mp(0x31, b"\x08" + IP6 + b"\x01\xbb")], ACK, v6=True))
    add(packet([mp(0x30, b"\x09" + bytes([10, 0, 2, 3]))], ACK))            # v1 no hmac
    add(packet([mp(0x35, b"\x09" + bytes([10, 0, 2, 3]))], ACK))            # nibble 5
    add(packet([mp(0x30)], ACK))                                            # len 3
    # REMOVE_ADDR, MP_PRIO, MP_FAIL, MP_FASTCLOSE, MP_TCPRST, unknown
    add(packet([mp(0x40, b"\x01")], ACK))
    add(packet([mp(0x40, bytes([2, 3, 4, 250]))], ACK))
    add(packet([mp(0x40)], ACK))                                            # no id
    add(packet([mp(0x51, b"\x07")], ACK))
    add(packet([mp(0x50, b"\x07")], ACK))
    add(packet([mp(0x51)], ACK))                                            # len 3
    add(packet([mp(0x50, b"\x01\x02")], ACK))                               # len 5
    add(packet([mp(0x60, b"\x00" + k(0x70))], ACK))
    add(packet([mp(0x60, b"\x00" + k(0x70)[:4])], ACK))                     # len 8
    add(packet([mp(0x70, b"\x00" + k(0x80))], ACK))
    add(packet([mp(0x70, b"\x00" + k(0x80)[:4])], ACK))                     # len 8
    for fl, reason in ((0x0, 0), (0x1, 1), (0xF, 6), (0x2, 3), (0x0, 0x2a)):
        add(packet([mp(0x80 | fl, bytes([reason]))], RST | ACK))
    add(packet([mp(0x80, b"\x01\x02")], RST | ACK))                         # len 5
    for st in (9, 0xE, 0xF):
        add(packet([mp(st << 4, b"\x01")], ACK))
    # several options in one packet
    add(packet([mp(0x30, b"\x0a" + bytes([10, 0, 2, 4]) + k(0x90)), mp(0x20, b"\x01" + b"\0\0\0\7")], ACK))
    add(packet([mp(0x31, b"\x0a" + bytes([10, 0, 2, 4])), mp(0x20, b"\x03" + k(0x33)),
                mp(0x51, b"\x02")], ACK))
    add(packet([mp(0x40, b"\x01"), mp(0x40, bytes([2, 3])), mp(0x50, b"\x04")], ACK))
    add(packet([mp(0x20, b"\x15" + b"\0\0\0\7" + b"\0\0\0\x09" + b"\0\0\0\1" + b"\0\1"),
                mp(0x60, b"\x00" + k(0x70))], ACK | PSH, payload=b"!"))
    return P


def write(path):
    P = packets()
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1))  # ns pcap
        for i, p in enumerate(P):
            out.write(struct.pack("<IIII", 1700000000 + i, 123456789, len(p), len(p)) + p)
    return len(P)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print("%s: %d packets" % (sys.argv[1], write(sys.argv[1])))
