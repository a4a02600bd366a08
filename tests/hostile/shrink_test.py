#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""A capture file truncated by another process while mpana reads it (the
memory-mapped reader then faults with SIGBUS) ends like a truncated file:
exit 1, a message on stderr, and the summary of what was read.

mpana is held on a full stdout pipe while the file is cut in half, so the
cut always happens mid-read.

usage: shrink_test.py MPANA PCAP
"""
import fcntl
import os
import struct
import subprocess
import sys
import tempfile
import termios
import time

F_GETPIPE_SZ = 1032


def wait_pipe_full(p, timeout=60):
    """Returns once p's stdout pipe is full (mpana is then blocked in write)."""
    fd = p.stdout.fileno()
    size = fcntl.fcntl(fd, F_GETPIPE_SZ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and p.poll() is None:
        queued = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0]
        if queued >= size:
            return True
        time.sleep(0.01)
    return False


def main():
    mpana, pcap = sys.argv[1], sys.argv[2]
    data = open(pcap, "rb").read()
    hdr, body = data[:24], data[24:]
    with tempfile.TemporaryDirectory() as d:
        big = os.path.join(d, "big.pcap")
        with open(big, "wb") as f:
            f.write(hdr + body * 200)
        size = os.path.getsize(big)
        p = subprocess.Popen([mpana, "-r", big], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        if not wait_pipe_full(p):  # mpana fills the pipe and blocks in write()
            print("FAIL: mpana did not fill its output pipe (exit %s)" % p.poll())
            p.kill()
            p.communicate()
            return 1
        os.truncate(big, size // 2)
        out, err = p.communicate(timeout=120)
    out, err = out.decode(errors="replace"), err.decode(errors="replace")
    fails = []
    if p.returncode != 1:
        fails.append("exit %d (wanted 1; a negative value is a signal)" % p.returncode)
    if "shrank" not in err and "truncated" not in err:
        fails.append("no message on stderr: %r" % err[:200])
    if "summary:" not in out:
        fails.append("no summary on stdout")
    for f in fails:
        print("FAIL:", f)
    print("%d passed, %d failed" % (3 - len(fails), len(fails)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
