#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Fallback causes a lab run cannot make, on captures written here
(tests/why/craft.py), with the near-misses where there is no fallback.

    crafted_test.py MPANA

Per case: `mpana --json -q` names the fallback form, side and proof frame
the case was built to show (or none), and `mpana mib` (the MP_CAPABLE SYN
sender's counters) counts SimultConnectFallback as net/mptcp would. tshark,
where installed, confirms that each capture holds what the case says (the
options per frame), so a case cannot pass by being built wrong.

  * simultaneous_connect (RFC 793 §3.4 crossed SYNs; RFC 8684 §3.7):
    Linux 6.18 falls back when its socket in SYN-SENT gets a SYN and
    answers with a SYN/ACK (mptcp_syn_options: SimultConnectFallback), with
    or without MP_CAPABLE on the crossing SYN. The lab's "simultaneous"
    scenario makes the kernel do it; here: both ends crossed, a crossing
    SYN without MPTCP (the peer is plain TCP: only the client falls back),
    and near-misses: a retransmitted SYN, a SYN from the other end after
    the handshake completed, two connections opened towards each other on
    different ports.
  * md5sig: Linux refuses TCP_MD5SIG on MPTCP sockets (ENOPROTOOPT, 6.18)
    and an endpoint with a TCP-MD5 key does not speak MPTCP (its SYN, or
    its SYN/ACK, carries no MP_CAPABLE: MD5SigFallback). A capture shows
    it when the handshake lacks MP_CAPABLE and carries a TCP-MD5 option
    (kind 19). Near-misses: MD5 with MP_CAPABLE kept throughout (no
    fallback), MD5 without any MPTCP (plain TCP, not a fallback), a plain
    server without MD5 (no_mpc_synack, not md5sig).
  * mpc_syn_dropped (blackhole detection; the lab's "syn_blackhole" makes
    the kernel do it): MP_CAPABLE SYNs unanswered, then the same SYN
    without MP_CAPABLE; mib counts MPCapableSYNTXDrop, and Blackhole when
    the SYN/ACK answers the first plain SYN. Near-miss: a plain SYN with
    another ISN on the same ports (a new attempt, not a retransmission).

Files go to $TMPDIR and are removed. Exit 0 pass, 1 a discrepancy.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from craft import (A, B, Conn, dss, idsn, md5sig, mpc_ack, mpc_syn, mpc_synack,  # noqa: E402
                   std_syn_opts, write_pcap)

ERRS = []


def err(msg):
    ERRS.append(msg)
    print("FAIL: " + msg)


def plain_tail(c):
    """Plain TCP after the handshake: data both ways, FINs."""
    c.pkt(A, "PA", data=b"a" * 100)
    c.pkt(B, "A")
    c.pkt(B, "PA", data=b"b" * 50)
    c.pkt(A, "A")
    c.pkt(A, "FA")
    c.pkt(B, "FA")
    c.pkt(A, "A")


def mptcp_tail(c, extra=b""):
    """MPTCP after the handshake: a mapped data segment, its DATA_ACK,
    FINs with DATA_ACKs (RFC 8684 §3.3)."""
    ia, ib = idsn(c.key_a), idsn(c.key_b)
    c.pkt(A, "PA", dss(data_ack=ib + 1, dsn=ia + 1, ssn=1, dll=100) + extra, b"a" * 100)
    c.pkt(B, "A", dss(data_ack=ia + 101) + extra)
    c.pkt(A, "FA", dss(data_ack=ib + 1) + extra)
    c.pkt(B, "FA", dss(data_ack=ia + 101) + extra)
    c.pkt(A, "A", dss(data_ack=ib + 1) + extra)


def conn():
    return Conn("10.9.0.1", 20001, "10.9.0.2", 20002)


# Each builder returns (frames, expect, checks): expect is [(form, side,
# frame)] per connection that fell back; checks are (frame, tshark display
# filter) pairs that must hold for that frame.
def simult_both():
    c = conn()
    c.pkt(A, "S", std_syn_opts() + mpc_syn())
    f = c.pkt(B, "S", std_syn_opts() + mpc_syn())          # crosses: A in SYN-SENT
    c.pkt(A, "SA", std_syn_opts(), seq=c.isn[A])          # both answer without MPTCP
    c.pkt(B, "SA", std_syn_opts(), seq=c.isn[B])
    c.pkt(A, "A")
    plain_tail(c)
    return c.frames, [("simultaneous_connect", "both", f)], 1, [
        (1, "tcp.flags == 0x002 && tcp.options.mptcp.subtype == 0"),
        (f, "tcp.flags == 0x002 && tcp.options.mptcp.subtype == 0 && ip.src == 10.9.0.2"),
        (3, "tcp.flags == 0x012 && !mptcp")]


def simult_linux():
    """What Linux 6.18 sends (pcaps/simultaneous.pcap): only the client's
    socket got the crossing SYN; the peer, still in SYN-SENT, gets the
    client's SYN/ACK without MP_CAPABLE."""
    c = conn()
    c.pkt(A, "S", std_syn_opts() + mpc_syn())
    f = c.pkt(B, "S", std_syn_opts() + mpc_syn())
    c.pkt(A, "SA", std_syn_opts(), seq=c.isn[A])
    c.pkt(B, "A")
    plain_tail(c)
    return c.frames, [("simultaneous_connect", "both", f)], 1, [
        (f, "tcp.flags == 0x002 && tcp.options.mptcp.subtype == 0 && ip.src == 10.9.0.2"),
        (3, "tcp.flags == 0x012 && !mptcp")]


def simult_plain_peer():
    """The crossing SYN has no MPTCP (the peer's socket is plain TCP): the
    client falls back all the same (SimultConnectFallback), the peer never
    spoke MPTCP."""
    c = conn()
    c.pkt(A, "S", std_syn_opts() + mpc_syn())
    f = c.pkt(B, "S", std_syn_opts())
    c.pkt(A, "SA", std_syn_opts(), seq=c.isn[A])
    c.pkt(B, "A")
    plain_tail(c)
    return c.frames, [("simultaneous_connect", "client", f)], 1, [
        (f, "tcp.flags == 0x002 && !mptcp && ip.src == 10.9.0.2")]


def near_syn_retrans():
    """A retransmitted SYN (same end) is not a crossing."""
    c = conn()
    c.pkt(A, "S", std_syn_opts() + mpc_syn())
    c.pkt(A, "S", std_syn_opts() + mpc_syn(), seq=c.isn[A])
    c.pkt(B, "SA", std_syn_opts() + mpc_synack(c.key_b))
    c.pkt(A, "A", mpc_ack(c.key_a, c.key_b))
    mptcp_tail(c)
    return c.frames, [], 0, [(2, "tcp.flags == 0x002 && ip.src == 10.9.0.1")]


def near_syn_after_handshake():
    """The other end sends a SYN (a bogus one: a challenge ACK answers it)
    after the handshake completed: not a crossing."""
    c = conn()
    c.pkt(A, "S", std_syn_opts() + mpc_syn())
    c.pkt(B, "SA", std_syn_opts() + mpc_synack(c.key_b))
    c.pkt(A, "A", mpc_ack(c.key_a, c.key_b))
    c.pkt(B, "S", std_syn_opts() + mpc_syn(), seq=c.isn[B] + 77777, ack=0)
    c.pkt(A, "A", dss(data_ack=idsn(c.key_b) + 1))
    mptcp_tail(c)
    return c.frames, [], 0, [(4, "tcp.flags == 0x002 && ip.src == 10.9.0.2")]


def near_two_conns():
    """Each end opens a connection to the other at the same time, on other
    ports: two handshakes, no crossing."""
    c = conn()
    d = Conn("10.9.0.2", 20003, "10.9.0.1", 20004, key_a=0x0102030405060708,
             key_b=0x1020304050607080, frames=c.frames)
    c.pkt(A, "S", std_syn_opts() + mpc_syn())
    d.pkt(A, "S", std_syn_opts() + mpc_syn())
    c.pkt(B, "SA", std_syn_opts() + mpc_synack(c.key_b))
    d.pkt(B, "SA", std_syn_opts() + mpc_synack(d.key_b))
    c.pkt(A, "A", mpc_ack(c.key_a, c.key_b))
    d.pkt(A, "A", mpc_ack(d.key_a, d.key_b))
    mptcp_tail(c)
    mptcp_tail(d)
    return c.frames, [], 0, [(2, "tcp.flags == 0x002 && ip.src == 10.9.0.2")]


def md5_fallback():
    """MP_CAPABLE and TCP-MD5 on the SYN; the server, which uses TCP-MD5,
    answers without MP_CAPABLE: the client falls back, the server never
    spoke MPTCP."""
    c = conn()
    c.pkt(A, "S", std_syn_opts() + mpc_syn() + md5sig())
    f = c.pkt(B, "SA", std_syn_opts() + md5sig())
    c.pkt(A, "A", md5sig())
    plain_tail(c)
    return c.frames, [("md5sig", "client", f)], 0, [
        (1, "tcp.option_kind == 19 && tcp.options.mptcp.subtype == 0"),
        (f, "tcp.option_kind == 19 && !mptcp && tcp.flags == 0x012")]


def md5_synack_only():
    """No MD5 on the SYN; the SYN/ACK carries one and no MP_CAPABLE."""
    c = conn()
    c.pkt(A, "S", std_syn_opts() + mpc_syn())
    f = c.pkt(B, "SA", std_syn_opts() + md5sig())
    c.pkt(A, "A")
    plain_tail(c)
    return c.frames, [("md5sig", "client", f)], 0, [
        (1, "!(tcp.option_kind == 19)"),
        (f, "tcp.option_kind == 19 && !mptcp")]


def near_md5_kept_mptcp():
    """TCP-MD5 on every packet, and MP_CAPABLE answered with MP_CAPABLE:
    MPTCP goes on (DSS), no fallback."""
    c = conn()
    c.pkt(A, "S", std_syn_opts() + mpc_syn() + md5sig())
    c.pkt(B, "SA", std_syn_opts() + mpc_synack(c.key_b) + md5sig())
    c.pkt(A, "A", mpc_ack(c.key_a, c.key_b) + md5sig())
    mptcp_tail(c, md5sig())
    return c.frames, [], 0, [
        (2, "tcp.option_kind == 19 && tcp.options.mptcp.subtype == 0"),
        (4, "tcp.option_kind == 19 && tcp.options.mptcp.subtype == 2")]


def near_md5_plain():
    """TCP-MD5 without any MPTCP option: plain TCP, never MPTCP."""
    c = conn()
    c.pkt(A, "S", std_syn_opts() + md5sig())
    c.pkt(B, "SA", std_syn_opts() + md5sig())
    c.pkt(A, "A", md5sig())
    plain_tail(c)
    return c.frames, [], 0, [(1, "tcp.option_kind == 19 && !mptcp")]


def near_plain_server():
    """A server without MPTCP and without MD5: no_mpc_synack, not md5sig."""
    c = conn()
    c.pkt(A, "S", std_syn_opts() + mpc_syn())
    f = c.pkt(B, "SA", std_syn_opts())
    c.pkt(A, "A")
    plain_tail(c)
    return c.frames, [("no_mpc_synack", "client", f)], 0, [
        (f, "!(tcp.option_kind == 19) && !mptcp")]


def blackhole():
    """Linux 6.18's blackhole detection (mptcp_active_detect_blackhole): the
    MP_CAPABLE SYN and two retransmissions of it go unanswered, the third
    retransmission carries no MP_CAPABLE (same ISN): the client fell back
    before any answer (MPCapableSYNTXDrop); the SYN/ACK answers that first
    plain SYN (Blackhole) and is no MPCapableFallbackSYNACK. The lab's
    "syn_blackhole" scenario makes the kernel do it."""
    c = conn()
    c.pkt(A, "S", std_syn_opts() + mpc_syn())
    c.pkt(A, "S", std_syn_opts() + mpc_syn(), seq=c.isn[A])
    c.pkt(A, "S", std_syn_opts() + mpc_syn(), seq=c.isn[A])
    f = c.pkt(A, "S", std_syn_opts(), seq=c.isn[A])
    c.pkt(B, "SA", std_syn_opts())
    c.pkt(A, "A")
    plain_tail(c)
    return c.frames, [("mpc_syn_dropped", "client", f)], BLACKHOLE_MIB, [
        (3, "tcp.flags == 0x002 && tcp.options.mptcp.subtype == 0"),
        (f, "tcp.flags == 0x002 && !mptcp"), (f + 1, "tcp.flags == 0x012 && !mptcp")]


def blackhole_plain_retrans():
    """The same, and the plain SYN is retransmitted too before the SYN/ACK:
    the kernel no longer calls it a blackhole (mpc_drop is reset when the
    plain SYN times out), the fallback stays."""
    c = conn()
    c.pkt(A, "S", std_syn_opts() + mpc_syn())
    c.pkt(A, "S", std_syn_opts() + mpc_syn(), seq=c.isn[A])
    f = c.pkt(A, "S", std_syn_opts(), seq=c.isn[A])
    c.pkt(A, "S", std_syn_opts(), seq=c.isn[A])
    c.pkt(B, "SA", std_syn_opts())
    c.pkt(A, "A")
    plain_tail(c)
    return c.frames, [("mpc_syn_dropped", "client", f)], dict(
        BLACKHOLE_MIB, MPTcpExtBlackhole=0), [
        (f, "tcp.flags == 0x002 && !mptcp"), (f + 1, "tcp.flags == 0x002 && !mptcp")]


def near_new_isn():
    """An unanswered MP_CAPABLE SYN, then a plain SYN on the same ports with
    another ISN (a new attempt by a plain TCP socket): not a fallback of the
    first attempt."""
    c = conn()
    c.pkt(A, "S", std_syn_opts() + mpc_syn())
    c.pkt(A, "S", std_syn_opts(), seq=c.isn[A] + 100000)
    c.pkt(B, "SA", std_syn_opts())
    c.pkt(A, "A")
    plain_tail(c)
    return c.frames, [], dict(BLACKHOLE_MIB, MPTcpExtMPCapableSYNTXDrop=0,
                              MPTcpExtBlackhole=0), [
        (2, "tcp.flags == 0x002 && !mptcp")]


# mpana mib of the blackhole cases (the MP_CAPABLE SYN sender's counters)
BLACKHOLE_MIB = {"MPTcpExtSimultConnectFallback": 0, "MPTcpExtMPCapableSYNTX": 1,
                 "MPTcpExtMPCapableSYNTXDrop": 1, "MPTcpExtBlackhole": 1,
                 "MPTcpExtMPCapableFallbackSYNACK": 0, "MPTcpExtMPCapableSYNACKRX": 0}


CASES = [blackhole, blackhole_plain_retrans, near_new_isn, simult_both, simult_linux, simult_plain_peer, near_syn_retrans,
         near_syn_after_handshake, near_two_conns, md5_fallback, md5_synack_only,
         near_md5_kept_mptcp, near_md5_plain, near_plain_server]


def check(mpana, tmp, case):
    name = case.__name__
    frames, want, simult, checks = case()
    pcap = os.path.join(tmp, name + ".pcap")
    write_pcap(pcap, frames)
    if shutil.which("tshark"):
        for n, filt in checks:
            r = subprocess.run(["tshark", "-r", pcap, "-Y", "frame.number == %d && (%s)" % (n, filt),
                                "-T", "fields", "-e", "frame.number"],
                               capture_output=True, text=True, timeout=60)
            if r.stdout.strip() != str(n):
                err("%s: built wrong: frame %d does not match %s" % (name, n, filt))
    r = subprocess.run([mpana, "-r", pcap, "--json", "-q"], capture_output=True, text=True,
                       timeout=60)
    if r.returncode != 0:
        err("%s: mpana exit %d: %s" % (name, r.returncode, r.stderr.strip()))
        return
    conns = [json.loads(l) for l in r.stdout.splitlines()
             if l.strip() and json.loads(l).get("record") == "connection"]
    got = [(c["fallback"], c["fallback_side"], c["fallback_frame"]) for c in conns
           if c["fallback"]]
    if got != want:
        err("%s: fallback %s, want %s" % (name, got, want))
    m = subprocess.run([mpana, "mib", "--json", pcap], capture_output=True, text=True,
                       timeout=60)
    mib = json.loads(m.stdout) if m.returncode == 0 else {}
    want_mib = simult if isinstance(simult, dict) else {
        "MPTcpExtSimultConnectFallback": simult, "MPTcpExtMPCapableSYNTXDrop": 0,
        "MPTcpExtBlackhole": 0}
    got_mib = {k: mib.get(k) for k in want_mib}
    if got_mib != want_mib:
        err("%s: mib %s, want %s" % (name, got_mib, want_mib))
    print("%-26s fallback %s, %s" % (name, got or "none", " ".join(
        "%s=%s" % (k[8:], v) for k, v in got_mib.items() if v)))
    os.unlink(pcap)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    tmp = tempfile.mkdtemp(prefix="crafted.")
    try:
        for case in CASES:
            check(os.path.abspath(sys.argv[1]), tmp, case)
    finally:
        shutil.rmtree(tmp)
    print("ok" if not ERRS else "%d discrepancies" % len(ERRS))
    return 1 if ERRS else 0


if __name__ == "__main__":
    sys.exit(main())
