#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""A copy of a real capture with one HMAC byte flipped is reported as failed
at that frame, for each kind of HMAC: MP_JOIN SYN/ACK (truncated), MP_JOIN
third ACK (160 bits) and ADD_ADDR. The untouched capture verifies.

usage: flip_hmac_test.py MPANA PCAP
"""
import json
import os
import struct
import subprocess
import sys
import tempfile


def records(mpana, pcap):
    out = subprocess.run([mpana, "-r", pcap, "--json"], check=True,
                         capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines()]


def pcap_frames(data):
    """Yields (offset of the packet bytes, caplen) per record (classic pcap)."""
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        yield off + 16, caplen
        off += 16 + caplen


def main():
    mpana, pcap = sys.argv[1], sys.argv[2]
    recs = records(mpana, pcap)
    data = bytearray(open(pcap, "rb").read())
    frames = list(pcap_frames(bytes(data)))
    failures = 0
    cases = [
        ("mp_join synack", lambda r: r.get("opt") == "mp_join" and r.get("phase") == "synack"),
        ("mp_join ack", lambda r: r.get("opt") == "mp_join" and r.get("phase") == "ack"),
        ("add_addr", lambda r: r.get("opt") == "add_addr" and "hmac" in r),
    ]
    for name, match in cases:
        target = next((r for r in recs if match(r)), None)
        if target is None:
            print("FAIL: %s: no such option in %s" % (name, pcap))
            failures += 1
            continue
        if target.get("hmac_ok") is not True:
            print("FAIL: %s: the untouched capture does not verify (frame %d: %r)"
                  % (name, target["frame"], target.get("hmac_ok")))
            failures += 1
            continue
        hmac = bytes.fromhex(target["hmac"][2:])
        off, caplen = frames[target["frame"] - 1]
        pkt = bytes(data[off:off + caplen])
        pos = pkt.find(hmac)
        if pos < 0:
            print("FAIL: %s: HMAC bytes not found in frame %d" % (name, target["frame"]))
            failures += 1
            continue
        copy = bytearray(data)
        copy[off + pos] ^= 0x01  # one bit of the HMAC's first byte
        with tempfile.NamedTemporaryFile(suffix=".pcap", delete=False) as f:
            f.write(copy)
            path = f.name
        try:
            after = records(mpana, path)
            hit = [r for r in after if r.get("frame") == target["frame"] and match(r)]
            summary = after[-1]
            ok = hit and hit[0].get("hmac_ok") is False and summary.get("hmac_failures", 0) >= 1
            others = [r for r in after if "hmac_ok" in r and r.get("hmac_ok") is False
                      and r.get("frame") != target["frame"]]
            chk = subprocess.run([mpana, "check", path], capture_output=True, text=True)
            if not ok or others or chk.returncode != 1 or "FAIL" not in chk.stdout:
                print("FAIL: %s: flipped HMAC at frame %d not reported as failed there "
                      "(record %r, other failures %d, check exit %d)"
                      % (name, target["frame"], hit[:1], len(others), chk.returncode))
                failures += 1
            else:
                print("ok: %s: flipped HMAC reported as failed at frame %d only; "
                      "mpana check fails" % (name, target["frame"]))
        finally:
            os.unlink(path)
    print("%d passed, %d failed" % (len(cases) - failures, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
