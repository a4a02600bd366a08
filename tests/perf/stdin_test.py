#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""stdin_test.py - `mpana -r -` on a pipe that stays open (a capture being
written, as `tcpdump -U -w - | mpana -l -r -`): the packets written so far are
analyzed without waiting for more (src/capture/stream.c hands over what the
pipe had), and SIGINT or SIGTERM then ends the run cleanly (exit 0, the
summary with exactly the packets written), for plain pcap, pcapng and gzip
data flushed mid-stream (Z_SYNC_FLUSH), with mpana's reader and with
libpcap reading through it (MPANA_READER=libpcap).

    stdin_test.py MPANA PCAPDIR        exit 0 pass, 1 fail
"""
import gzip
import os
import signal
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import pcapng_writer as W  # noqa: E402


def wait_for(path, needle, proc, seconds=60):
    """True once `needle` is in the file at `path` (a condition, polled)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with open(path, "rb") as f:
            if needle in f.read():
                return True
        if proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def main():
    mpana, pcapdir = sys.argv[1], sys.argv[2]
    raw = open(os.path.join(pcapdir, "basic.pcap"), "rb").read()
    lt, snap, recs = W.read_pcap(os.path.join(pcapdir, "basic.pcap"))
    # the first 60 records: frame 60 must be one mpana prints (MPTCP options)
    n = 60
    cut = 24 + sum(16 + len(d) for _, _, d in recs[:n])
    ng = W.shb("<") + W.idb("<", lt, snap) + b"".join(
        W.epb("<", 0, W.ts_units(t, None), d, w) for t, w, d in recs[:n])
    z = zlib.compressobj(6, zlib.DEFLATED, 31)  # gzip wrapper
    gz = z.compress(raw[:cut]) + z.flush(zlib.Z_SYNC_FLUSH)
    fails = 0
    inputs = [("pcap", raw[:cut]), ("pcapng", ng), ("gzip", gz)]
    # (CMake builds mpana without zlib when zlib1g-dev is missing)
    r = subprocess.run([mpana, "-q", "-r", "-"], input=gzip.compress(b""),
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if b"built without" in r.stderr:
        print("note: this mpana was built without zlib: the gzip case not checked")
        inputs.pop()
    tmp = tempfile.mkdtemp(prefix="mpana-stdin-")
    try:
        for name, data in inputs:
            for reader in (None, "libpcap"):
                for sig in (signal.SIGINT, signal.SIGTERM):
                    what = "%s, %s, %s" % (name, reader or "mpana's reader", sig.name)
                    env = dict(os.environ)
                    env.pop("MPANA_READER", None)
                    if reader:
                        env["MPANA_READER"] = reader
                    out = os.path.join(tmp, "out")
                    with open(out, "wb") as fo:
                        p = subprocess.Popen([mpana, "-l", "-r", "-"], stdin=subprocess.PIPE,
                                             stdout=fo, stderr=subprocess.PIPE, env=env)
                    p.stdin.write(data)
                    p.stdin.flush()
                    # frame n's line appears while the pipe is still open
                    if not wait_for(out, b"\n%d " % n, p):
                        fails += 1
                        print("FAIL %s: frame %d not analyzed while the pipe is open" % (what, n))
                        p.kill()
                        p.wait()
                        continue
                    p.send_signal(sig)
                    try:
                        rc = p.wait(timeout=60)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait()
                        rc = "hung"
                    err = p.stderr.read()
                    p.stdin.close()
                    p.stderr.close()
                    summary = open(out, "rb").read()
                    if rc != 0 or b"summary: %d packets" % n not in summary:
                        fails += 1
                        print("FAIL %s: exit %s, stderr %r, summary %r"
                              % (what, rc, err[-200:], summary[-300:]))
                    os.unlink(out)
    finally:
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)
    print("stdin_test: %d failures" % fails)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
