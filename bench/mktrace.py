#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""mktrace.py - makes the large benchmark trace with the netns lab.

Reuses tests/lab/lab.py for the namespaces, the two veth paths, the policy
routing and the MPTCP endpoints (client `subflow` on path 2, server `signal`
on path 2), reshapes both paths to tbf RATE (default 200mbit, burst 1600 so
that tbf segments GSO super-packets and the capture sees MTU-sized frames),
and runs iperf3 under mptcpize with -P STREAMS for SECONDS while
`tcpdump -i any -s 128` captures in the client namespace.

    sudo python3 bench/mktrace.py --out /var/tmp/mpana-bench/trace.pcap
    sudo python3 bench/mktrace.py --seconds 10 --out /tmp/small.pcap

Also serves the live-capture measurement (bench/live.sh): --live-cmd CMD
runs CMD in the client namespace next to tcpdump (which then writes to
/dev/null: no pcap is kept) and stops both with SIGINT; tcpdump's stderr goes
to OUT.tcpdump.stderr, CMD's output to OUT.live.stdout / OUT.live.stderr.

Exit: 0 ok, 1 failure, 77 cannot run here (not root, no MPTCP, tool missing).
"""

import argparse
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lab"))
import lab  # noqa: E402  (tests/lab/lab.py)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="pcap file to write")
    ap.add_argument("--seconds", type=int, default=90)
    ap.add_argument("--streams", type=int, default=4)
    ap.add_argument("--rate", default="200mbit", help="tbf rate per path and direction")
    ap.add_argument("--snaplen", type=int, default=128)
    ap.add_argument("--burst", default="1600",
                    help="tbf burst in bytes (1600: tbf itself cuts GSO packets to MTU "
                    "size, but caps the rate near 200 Mbit/s in total)")
    ap.add_argument("--no-gso", action="store_true",
                    help="gso_max_segs 1 on the veths: MTU-sized packets whatever the "
                    "burst (for rates above what burst 1600 allows)")
    ap.add_argument("--live-cmd", default=None,
                    help="extra capture command run in the client namespace")
    ap.add_argument("--no-tcpdump", action="store_true",
                    help="with --live-cmd: no tcpdump capture at all")
    args = ap.parse_args()

    if os.geteuid() != 0:
        print("mktrace: needs root (network namespaces)", file=sys.stderr)
        return 77
    for tool in ("iperf3", "mptcpize", "tcpdump", "ip", "tc"):
        if not shutil.which(tool):
            print("mktrace: %s not found (apt-get install iperf3 mptcpize tcpdump "
                  "iproute2)" % tool, file=sys.stderr)
            return 77
    why = lab.preflight()
    if why:
        print("mktrace: " + why, file=sys.stderr)
        return 77

    lab.SHAPE_RATE = args.rate
    lab.SHAPE_BURST = args.burst
    lab.SHAPE_LATENCY = "50ms"
    sc = dict(lab.BASE)
    sc.update(name="bench", desc="benchmark", client_eps=[("c2", 2, "subflow")],
              server_eps=[("s2", 2, "signal", None)])
    L = lab.Lab(sc, os.path.dirname(os.path.abspath(args.out)))
    signal.signal(signal.SIGINT, lab._on_signal)
    signal.signal(signal.SIGTERM, lab._on_signal)
    tmp = args.out + ".tmp"
    td = live = None
    t_err = open(args.out + ".tcpdump.stderr", "w")
    try:
        L.setup()
        C, S = L.ns["client"], L.ns["server"]
        if args.no_gso:
            for ns, side in ((C, "c"), (S, "s")):
                for i in (1, 2):
                    lab.sh("ip", "-n", ns, "link", "set", "%s%d" % (side, i),
                           "gso_max_segs", "1", "gso_max_size", "1500")
        srv = L.spawn(S, ["mptcpize", "run", "iperf3", "-s", "-1", "-B", L.a["s1"]],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        if args.live_cmd:
            l_err = open(args.out + ".live.stderr", "w")
            l_out = open(args.out + ".live.stdout", "w")
            live = L.spawn(C, shlex.split(args.live_cmd), stdout=l_out, stderr=l_err)
        if not args.no_tcpdump:
            # live measurement: tcpdump only counts (its drops are the reference)
            dst = "/dev/null" if args.live_cmd else tmp
            td = L.spawn(C, ["tcpdump", "-i", "any", "-s", str(args.snaplen), "-n",
                             "-w", dst], stdout=subprocess.DEVNULL, stderr=t_err)
        time.sleep(1.5)
        t0 = time.time()
        cli = L.spawn(C, ["mptcpize", "run", "iperf3", "-c", L.a["s1"], "-P",
                          str(args.streams), "-t", str(args.seconds), "-J"],
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = cli.communicate(timeout=args.seconds + 60)
        elapsed = time.time() - t0
        if cli.returncode != 0:
            raise RuntimeError("iperf3 client exited %d: %s %s"
                               % (cli.returncode, out[-2000:], err))
        time.sleep(0.5)
        for p in (td, live):
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGINT)
                p.wait(timeout=30)
        srv.wait(timeout=10)
        try:
            import json
            j = json.loads(out)
            bps = j["end"]["sum_received"]["bits_per_second"]
            print("mktrace: iperf3 %.1f Mbit/s over %.1f s" % (bps / 1e6, elapsed),
                  file=sys.stderr)
        except (ValueError, KeyError):
            pass
        if td is not None and not args.live_cmd:
            os.replace(tmp, args.out)
            print("mktrace: wrote %s (%d bytes)" % (args.out, os.path.getsize(args.out)),
                  file=sys.stderr)
        return 0
    except (lab.Interrupted, RuntimeError, subprocess.TimeoutExpired) as e:
        print("mktrace: %s" % e, file=sys.stderr)
        return 1
    finally:
        t_err.close()
        L.cleanup()
        if os.path.exists(tmp):
            os.unlink(tmp)


if __name__ == "__main__":
    sys.exit(main())
