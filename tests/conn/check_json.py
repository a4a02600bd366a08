#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""`mpana --json` connection annotations on tcpdump's MPTCP captures.

RFC 8684 §3.1, §3.2, §3.4.1. Checks, on ../shared/peer/tcpdump (skipped,
exit 77, when absent):
  mptcp-v0.pcap      the join's synack and ack records have hmac_ok true;
                     every option record has conn 1; one connection record
                     (v0, 2 subflows, the join's hmac_ok true)
  mptcp-aa-v1.pcap   the ADD_ADDR has hmac_ok true, hmac_side "left" (an
                     older kernel: leftmost 64 bits)
  mptcp-aa-echo.pcap no handshake: conn null, hmac_ok null (keys unknown),
                     two {"record":"subflow"} unattributed records
usage: check_json.py MPANA SHARED_TCPDUMP_DIR
"""
import json
import os
import subprocess
import sys


def run(mpana, path):
    out = subprocess.run([mpana, "-r", path, "--json"], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    recs = [json.loads(l) for l in out.splitlines()]
    return ([r for r in recs if "record" not in r],
            [r for r in recs if r.get("record") == "connection"],
            [r for r in recs if r.get("record") == "subflow"], recs[-1])


def main():
    mpana, d = sys.argv[1], sys.argv[2]
    if not os.path.exists(os.path.join(d, "mptcp-v0.pcap")):
        print("no %s" % d)
        return 77
    errs = []

    def check(cond, what):
        if not cond:
            errs.append(what)

    opts, conns, loose, summ = run(mpana, os.path.join(d, "mptcp-v0.pcap"))
    joins = [o for o in opts if o["opt"] == "mp_join" and o["phase"] != "syn"]
    check(len(joins) == 2 and all(o["hmac_ok"] is True for o in joins), "v0 join hmac_ok")
    check(all(o["conn"] == 1 for o in opts), "v0 conn ids")
    check(len(conns) == 1 and conns[0]["version"] == 0 and len(conns[0]["subflows"]) == 2,
          "v0 connection record")
    check(conns and conns[0]["subflows"][1]["hmac_ok"] is True, "v0 join subflow hmac_ok")
    check(summ["connections"] == 1 and summ["hmac_failures"] == 0, "v0 summary")

    opts, conns, loose, _ = run(mpana, os.path.join(d, "mptcp-aa-v1.pcap"))
    aa = [o for o in opts if o["opt"] == "add_addr"]
    check(len(aa) == 1 and aa[0]["hmac_ok"] is True and aa[0]["hmac_side"] == "left",
          "aa-v1 ADD_ADDR left: %s" % aa)
    check(conns and conns[0]["addresses"][0]["hmac_side"] == "left", "aa-v1 address record")

    opts, conns, loose, summ = run(mpana, os.path.join(d, "mptcp-aa-echo.pcap"))
    check(all(o["conn"] is None and o["subflow"] for o in opts), "aa-echo conn null")
    check([o.get("hmac_ok", "absent") for o in opts if o["opt"] == "add_addr"] == [None, "absent"],
          "aa-echo hmac_ok null (keys unknown), absent on the echo")
    check(not conns and len(loose) == 2 and all(s["unattributed"] for s in loose),
          "aa-echo unattributed subflow records")
    check(summ["unattributed_subflows"] == 2, "aa-echo summary")

    for e in errs:
        print("FAIL: " + e)
    print("%d failed" % len(errs))
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
