#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Loopback traffic on a port nobody else can have, for the live-capture tests.

    traffic.py [--conns N] [--size BYTES] [--interval S] [--until-stop]

Listens on 127.0.0.1 port 0 (MPTCP when the kernel has it, else TCP), so the
kernel picks a free port and holds it for the whole run, and prints one line
"PORT PROTO" (PROTO mptcp or tcp). Then waits for a line on stdin ("go"),
makes the connections one after another (each: connect, send BYTES, shut
down its side, read until the server closes, close: when the next one starts
the previous one has ended on the wire), prints the number of connections
made and exits. --until-stop: keeps making connections (at most N) until a
second line arrives on stdin. Standard library only.
"""
import argparse
import select
import socket
import sys
import threading
import time

IPPROTO_MPTCP = 262


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--conns", type=int, default=1)
    ap.add_argument("--size", type=int, default=10000)
    ap.add_argument("--interval", type=float, default=0.0)
    ap.add_argument("--until-stop", action="store_true")
    a = ap.parse_args()
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP).close()
        proto, name = IPPROTO_MPTCP, "mptcp"
    except OSError:
        proto, name = 0, "tcp"
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    print(srv.getsockname()[1], name, flush=True)

    def serve():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            while c.recv(65536):
                pass
            c.close()

    threading.Thread(target=serve, daemon=True).start()
    if not sys.stdin.readline():
        return 1
    buf, n = b"x" * a.size, 0
    while n < a.conns:
        if a.until_stop and select.select([sys.stdin], [], [], 0)[0]:
            break
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
        c.connect(("127.0.0.1", srv.getsockname()[1]))
        c.sendall(buf)
        c.shutdown(socket.SHUT_WR)
        while c.recv(65536):
            pass
        c.close()
        n += 1
        if a.interval:
            time.sleep(a.interval)
    srv.close()
    print(n, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
