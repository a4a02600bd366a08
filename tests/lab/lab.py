#!/usr/bin/env python3
"""mpana real-traffic MPTCP lab (Python 3 standard library only).

Creates two network namespaces (client, server) joined by two veth pairs
(path 1 and path 2), configures the in-kernel MPTCP path manager per
scenario, runs an MPTCP server and client, captures in the client namespace
with tcpdump -i any, and writes <out>/<scenario>.pcap and
<out>/<scenario>.truth.json.  Everything created is removed afterwards, also
on SIGINT/SIGTERM.

    sudo python3 tests/lab/lab.py --all --out pcaps/
    sudo python3 tests/lab/lab.py --out pcaps/ basic failover
    sudo python3 tests/lab/lab.py --list

Topology (IPv4; the ipv6 scenario uses fd00:1::/64 and fd00:2::/64):

      client ns                                   server ns
   +-------------+  path 1: veth c1 <-> s1   +-------------+
   | 10.0.1.1 c1 |---------------------------| s1 10.0.1.2 |
   |             |  path 2: veth c2 <-> s2   |             |
   | 10.0.2.1 c2 |---------------------------| s2 10.0.2.2 |
   +-------------+                           +-------------+

Source-address policy routing on both sides makes the path a function of the
*client* address: every packet with client address 10.0.1.1 uses path 1,
every packet with client address 10.0.2.1 uses path 2 (whatever the server
address).  Both directions of each veth are shaped with tbf.

Internal roles (used by the orchestrator through `ip netns exec`):
    lab.py _server ...   /   lab.py _client ...
"""

import argparse
import json
import os
import random
import select
import shlex
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

IPPROTO_MPTCP = 262
PORT = 12345
HERE = os.path.dirname(os.path.abspath(__file__))
SELF = os.path.abspath(__file__)

ADDR = {
    4: {"c1": "10.0.1.1", "s1": "10.0.1.2", "c2": "10.0.2.1", "s2": "10.0.2.2",
        "plen": 24, "net1": "10.0.1.0/24", "net2": "10.0.2.0/24"},
    6: {"c1": "fd00:1::1", "s1": "fd00:1::2", "c2": "fd00:2::1", "s2": "fd00:2::2",
        "plen": 64, "net1": "fd00:1::/64", "net2": "fd00:2::/64"},
}

SHAPE_RATE = "4mbit"    # tbf rate on every veth end (both directions)
SHAPE_BURST = "1600"    # bytes; >= one MTU frame, small enough that tbf
                        # segments GSO super-packets into MTU-sized segments
SHAPE_LATENCY = "200ms"

# --------------------------------------------------------------------------
# Scenario plans.  Times are seconds after t0 = just before the client's
# first connect() call.  'events' are executed by the orchestrator at those times.
# --------------------------------------------------------------------------
# Common traffic: the client sends `size` bytes in `chunk`-byte writes every
# `interval` seconds (application pacing, well below the tbf rate, so the
# wire timing follows the plan), then shuts down its write side; the server
# reads to EOF, replies `reply` bytes and closes.

BASE = dict(family=4, conns=1, size=196608, chunk=32768, interval=0.05,
            reply=16384, linger0_at=None, server_mptcp=True, checksum=False,
            client_eps=[], server_eps=[], client_limits=(2, 2),
            server_limits=(2, 0), events=[], extra_sysctl={}, capture_tail=0.5,
            mangle=None, drop_iface=None,
            # reply pacing: 0 = the server sends its reply in one sendall()
            reply_chunk=0, reply_interval=0.0,
            # seconds the client waits after its last write before shutdown(SHUT_WR)
            client_hold=0.0,
            # "direct": veths client<->server; "bridge": one bridge namespace
            # per path between them (fail_path then drops in the bridge)
            topology="direct",
            # where fail_path drops: "server" or "client" namespace, or "bridge"
            fail_at="server",
            # tcpdump per namespace: (role, file suffix); the first is <name>.pcap
            capture_at=(("client", ""),),
            # nft rules applied before the traffic starts: [(namespace role, rules)]
            # (roles "client", "server", "bridge1", "bridge2"; the tables of
            # setup() exist: inet mpanalab in/out/pre, bridge mpanalab fw)
            nft_setup=[],
            # seconds to wait for the client; stall_ok: a client still running
            # then is stopped (SIGTERM: it logs how far it got and exits) and the
            # run goes on (a stalled connection is what the scenario shows)
            # instead of failing
            client_timeout=30.0, stall_ok=False,
            # simultaneous open: nobody listens; the server namespace's
            # process connects to the client's port while the client's SYN
            # is out (RFC 793 §3.4 crossed SYNs), see "simultaneous"
            simultaneous=False)

SCENARIOS = {}


def scenario(name, desc, **kw):
    s = dict(BASE)
    s.update(kw)
    s["name"] = name
    s["desc"] = desc
    SCENARIOS[name] = s


scenario("basic",
         "Client subflow endpoint on its path-2 address, server signal endpoint on its "
         "path-2 address: MP_CAPABLE, ADD_ADDR + echo, two MP_JOINs, DSS, DATA_FIN.",
         capture_at=(("client", ""), ("server", ".server")),
         client_eps=[("c2", 2, "subflow")], server_eps=[("s2", 2, "signal", None)])

scenario("failover",
         "Two subflows (initial on path 1, join on path 2). Path 1 dies silently at "
         "t=0.20 s (nft drop in the server namespace, both directions of s1) while the "
         "client is uploading; MPTCP reinjects the outstanding data on path 2 and the "
         "transfer completes there.",
         size=262144, client_eps=[("c2", 2, "subflow")],
         events=[(0.20, "fail_path", 1)],
         extra_sysctl={"client": {"net.ipv4.tcp_retries2": "4"}}, capture_tail=1.0)

scenario("backup",
         "Client endpoint on path 2 is 'subflow backup' (MP_JOIN SYN with B=1). Path 1 "
         "(initial subflow) dies silently at t=0.20 s; the traffic moves to the backup "
         "subflow.",
         size=262144, client_eps=[("c2", 2, "subflow backup")],
         events=[(0.20, "fail_path", 1)],
         extra_sysctl={"client": {"net.ipv4.tcp_retries2": "4"}}, capture_tail=1.0)

scenario("prio",
         "Two subflows; at t=0.15 s the client's endpoint id 2 (path 2) is changed to "
         "backup (MP_PRIO B=1 on the path-2 subflow), at t=0.35 s back to nobackup "
         "(MP_PRIO B=0).",
         capture_at=(("client", ""), ("server", ".server")),
         size=327680, client_eps=[("c2", 2, "subflow")],
         events=[(0.15, "ep_change", ("client", 2, "backup")),
                 (0.35, "ep_change", ("client", 2, "nobackup"))])

scenario("remove",
         "As basic (three subflows); at t=0.15 s the server deletes its signal "
         "endpoint id 2 (REMOVE_ADDR from the server, subflow to 10.0.2.2 reset); at "
         "t=0.30 s the client deletes its subflow endpoint id 2 (REMOVE_ADDR from the "
         "client, subflow from 10.0.2.1 closed). The transfer finishes on path 1.",
         capture_at=(("client", ""), ("server", ".server")),
         size=327680,
         client_eps=[("c2", 2, "subflow")], server_eps=[("s2", 2, "signal", None)],
         events=[(0.15, "ep_delete", ("server", 2)),
                 (0.30, "ep_delete", ("client", 2))])

scenario("fastclose",
         "Two subflows; the client aborts at t=0.15 s in the middle of its upload "
         "(SO_LINGER l_onoff=1 l_linger=0, then close()).",
         capture_at=(("client", ""), ("server", ".server")),
         size=327680, client_eps=[("c2", 2, "subflow")], linger0_at=0.15, reply=0)

scenario("fallback",
         "The server uses a plain TCP socket: the MP_CAPABLE SYN is answered without "
         "MP_CAPABLE and the connection falls back to TCP; no join is attempted.",
         server_mptcp=False, client_eps=[("c2", 2, "subflow")])

scenario("ipv6", "basic over IPv6.", capture_at=(("client", ""), ("server", ".server")),
         family=6,
         client_eps=[("c2", 2, "subflow")], server_eps=[("s2", 2, "signal", None)])

scenario("checksum",
         "basic with net.mptcp.checksum_enabled=1 in both namespaces: MP_CAPABLE with "
         "the A flag, every DSS mapping carries a checksum.",
         capture_at=(("client", ""), ("server", ".server")),
         checksum=True,
         client_eps=[("c2", 2, "subflow")], server_eps=[("s2", 2, "signal", None)])

scenario("addrport",
         "Server announces 10.0.2.2 with port 12346 (ADD_ADDR with port); the client "
         "joins 10.0.2.2:12346. Note: a 'port 12345' BPF filter misses that subflow.",
         capture_at=(("client", ""), ("server", ".server")),
         client_limits=(1, 1), server_limits=(1, 0),
         server_eps=[("s2", 2, "signal", 12346)])

scenario("multiconn",
         "Three concurrent MPTCP connections (started 50 ms apart) with the basic "
         "endpoints: 3 connections x 3 subflows.",
         capture_at=(("client", ""), ("server", ".server")),
         conns=3, size=131072,
         client_eps=[("c2", 2, "subflow")], server_eps=[("s2", 2, "signal", None)])

scenario("mpfail",
         "Checksums on; two subflows (join on path 2). From t=0.25 s the server "
         "namespace corrupts 4 payload bytes of ONE client->server data segment arriving "
         "on path 2 (nft '@th,800,32 set', limited to one packet) -> DSS checksum "
         "failure on a join subflow -> the server resets that subflow with MP_FAIL + "
         "MP_TCPRST; the transfer completes on path 1. The client-side capture shows "
         "the segment unmodified (mangling happens at the server).",
         capture_at=(("client", ""), ("server", ".server")),
         checksum=True, client_eps=[("c2", 2, "subflow")],
         events=[(0.25, "mangle_path", 2)])

scenario("flap",
         "Two subflows, steady upload (16 KiB every 100 ms). Path 1 dies silently at "
         "t=0.30 s (nft drop in the server namespace), comes back at t=1.30 s, dies "
         "again at t=2.10 s and comes back at t=3.10 s: two outage episodes on the "
         "initial subflow, each recovered through path 2.",
         size=36 * 16384, chunk=16384, interval=0.1, client_eps=[("c2", 2, "subflow")],
         events=[(0.30, "fail_path", 1), (1.30, "restore_path", 1),
                 (2.10, "fail_path", 1), (3.10, "restore_path", 1)],
         extra_sysctl={"client": {"net.ipv4.tcp_retries2": "8"}}, capture_tail=0.5)

scenario("download",
         "Two subflows; the client sends a 1 KiB request, the server sends "
         "256 KiB (32 KiB every 50 ms). Path 1 dies silently at t=0.20 s (nft drop in "
         "the CLIENT namespace); the capture is taken in the server namespace, i.e. at "
         "the sender of the data (server -> client).",
         size=1024, chunk=1024, reply=262144, reply_chunk=32768, reply_interval=0.05,
         client_hold=0.05,
         client_eps=[("c2", 2, "subflow")], fail_at="client",
         capture_at=(("server", ""),),
         events=[(0.20, "fail_path", 1)],
         extra_sysctl={"server": {"net.ipv4.tcp_retries2": "4"}}, capture_tail=1.0)

scenario("bridge",
         "As failover, with a bridge namespace on each path between the hosts; path 1 "
         "dies silently at t=0.20 s by an nft bridge-family drop in the path-1 bridge. "
         "Captured at both hosts: <name>.pcap in the client namespace (sender of the "
         "upload), <name>.server.pcap in the server namespace (receiver).",
         size=262144, client_eps=[("c2", 2, "subflow")], topology="bridge",
         fail_at="bridge", capture_at=(("client", ""), ("server", ".server")),
         events=[(0.20, "fail_path", 1)],
         extra_sysctl={"client": {"net.ipv4.tcp_retries2": "4"}}, capture_tail=1.0)

scenario("paths",
         "As bridge, captured at four points: the client (<name>.pcap), the server "
         "(<name>.server.pcap) and each path's bridge, on its client-side port "
         "(<name>.path1.pcap, <name>.path2.pcap): per-path captures of one failover, "
         "for merging (mpana -r a -r b). Path 1 dies at t=0.20 s by an nft drop in "
         "the path-1 bridge, after that bridge's capture point.",
         size=262144, client_eps=[("c2", 2, "subflow")], topology="bridge",
         fail_at="bridge", capture_at=(("client", ""), ("server", ".server"),
                                       ("bridge1", ".path1"), ("bridge2", ".path2")),
         events=[(0.20, "fail_path", 1)],
         extra_sysctl={"client": {"net.ipv4.tcp_retries2": "4"}}, capture_tail=1.0)

scenario("bbm",
         "Break-before-make: one subflow only (no endpoint at first). At t=0.20 s path 1 "
         "dies silently (nft drop in the server namespace) and the client adds a "
         "'subflow' endpoint 10.0.2.1 id 2; the in-kernel path manager then joins "
         "10.0.2.1 -> 10.0.1.2 over path 2 on the existing connection and the "
         "outstanding data is reinjected there.",
         size=262144, client_eps=[],
         events=[(0.20, "fail_path", 1), (0.20, "ep_add", ("client", "c2", 2, "subflow"))],
         extra_sysctl={"client": {"net.ipv4.tcp_retries2": "4"}}, capture_tail=1.0)

# --- "why" scenarios (issue: join attempts, address use, fallback causes and
# the kernel's own counters).  Their truth files carry "why" (what the
# scenario made happen: joins, announced addresses, fallback, stall) and
# "nstat" (the MPTcpExt* counters of both namespaces).
JOIN_SYN = "tcp flags & (syn|ack) == syn tcp option mptcp subtype 1"

scenario("join_timeout",
         "A bridge namespace on each path. The client's subflow endpoint 10.0.2.1 makes "
         "a join towards 10.0.1.2 over path 2, but the path-2 bridge drops every SYN "
         "carrying MP_JOIN: the client retransmits the join SYN once (tcp_syn_retries=1, "
         "tcp_syn_linear_timeouts=0) and "
         "gives up ~3 s after the first one; the connection stays on the initial subflow "
         "(the client holds it open 3.6 s after its last write so the give-up happens "
         "first).",
         size=131072, chunk=16384, client_eps=[("c2", 2, "subflow")], topology="bridge",
         fail_at="bridge", client_hold=3.6,
         nft_setup=[("bridge2", "add rule bridge mpanalab fw %s counter drop\n" % JOIN_SYN)],
         extra_sysctl={"client": {"net.ipv4.tcp_syn_retries": "1",
                                  "net.ipv4.tcp_syn_linear_timeouts": "0"}},
         capture_tail=0.3)

scenario("join_rejected",
         "The server's subflow limit is 0 (ip mptcp limits set subflows 0): the client's "
         "join 10.0.2.1 -> 10.0.1.2 (path 2, client subflow endpoint) is refused by the "
         "server; the connection continues on the initial subflow.",
         capture_at=(("client", ""), ("server", ".server")),
         size=131072, chunk=16384, client_eps=[("c2", 2, "subflow")],
         server_limits=(0, 0))

scenario("addr_unused",
         "The server announces 10.0.2.2 (signal endpoint id 2) but the client's "
         "add_addr_accepted limit is 0 (and it has no endpoint): the ADD_ADDR is echoed "
         "and never joined.",
         capture_at=(("client", ""), ("server", ".server")),
         size=131072, chunk=16384, client_limits=(2, 0),
         server_eps=[("s2", 2, "signal", None)])

scenario("strip_after",
         "One subflow through a bridge namespace on path 1. At t=0.30 s the bridge "
         "starts stripping every MPTCP option in both directions (nft bridge family "
         "'reset tcp option mptcp': the option bytes become NOPs). The server receives "
         "data without DSS and falls back to TCP; the client keeps sending DSS and its "
         "DATA_ACK never advances. Captured at both hosts (<name>.pcap client, "
         "<name>.server.pcap server); the client, still stalled at 3 s, is stopped.",
         size=262144, chunk=16384, topology="bridge", fail_at="bridge",
         capture_at=(("client", ""), ("server", ".server")),
         events=[(0.30, "nft", ("bridge1", "add rule bridge mpanalab fw meta l4proto tcp "
                                "counter reset tcp option mptcp\n"))],
         client_timeout=3.0, stall_ok=True, capture_tail=0.3)

scenario("strip_synack",
         "A bridge namespace on path 1 strips MP_CAPABLE from the server's SYN/ACK "
         "(nft bridge family, SYN/ACKs only, from the start): the client falls back to "
         "TCP at the handshake (MPCapableFallbackSYNACK), the server when the third ACK "
         "comes without MP_CAPABLE (MPCapableFallbackACK); no joins.",
         size=131072, chunk=16384, client_eps=[("c2", 2, "subflow")], topology="bridge",
         fail_at="bridge",
         nft_setup=[("bridge1", "add rule bridge mpanalab fw tcp flags & (syn|ack) == "
                     "(syn|ack) counter reset tcp option mptcp\n")])


scenario("simultaneous",
         "Simultaneous open: nobody listens. The client binds 10.0.1.1 to a port P and "
         "connects to 10.0.1.2:Q while the server namespace's process, bound to "
         "10.0.1.2:Q, connects to 10.0.1.1:P (P and Q picked at random in 20000-29999). "
         "The path-1 bridge drops the client's first SYN, the server connects once the "
         "client's socket is in SYN-SENT: its MP_CAPABLE SYN reaches the client in "
         "SYN-SENT, the SYNs cross. Data: the server namespace sends `reply` bytes, the "
         "client then `size`. Captured at both hosts.",
         simultaneous=True, size=16384, chunk=16384, reply=16384, topology="bridge",
         fail_at="bridge", capture_at=(("client", ""), ("server", ".server")),
         nft_setup=[("bridge1", "add rule bridge mpanalab fw ip saddr 10.0.1.1 tcp flags "
                     "& (syn|ack) == syn counter drop\n")],
         client_timeout=10.0)

scenario("syn_blackhole",
         "A bridge namespace on path 1 drops every SYN that carries MP_CAPABLE (a "
         "firewall that blackholes MPTCP): the client sends its MP_CAPABLE SYN and two "
         "retransmissions of it (~1 s apart: tcp_syn_linear_timeouts), then, at the "
         "third timeout (~3 s, net.mptcp.syn_retrans_before_tcp_fallback = 2), falls "
         "back and retransmits the SYN without MP_CAPABLE, which passes "
         "(MPCapableSYNTXDrop); the SYN/ACK "
         "answers that first plain SYN, so the kernel marks a blackhole (Blackhole) and "
         "the connection runs as plain TCP. No joins.",
         size=131072, chunk=16384, client_eps=[("c2", 2, "subflow")], topology="bridge",
         fail_at="bridge", capture_at=(("client", ""), ("server", ".server")),
         nft_setup=[("bridge1", "add rule bridge mpanalab fw tcp flags & (syn|ack) == syn "
                     "tcp option mptcp subtype 0 counter drop\n")],
         extra_sysctl={"client": {"net.mptcp.syn_retrans_before_tcp_fallback": "2",
                                  "net.mptcp.blackhole_timeout": "3600",
                                  "net.ipv4.tcp_syn_linear_timeouts": "4"}})


# What the kernel did in response (verified on Linux 6.18; documented in
# pcaps/README.md).  Goes into the truth file as "outcome".
OUTCOME = {
    "basic": "3 subflows: initial 10.0.1.1->10.0.1.2 (path 1); join 10.0.2.1->10.0.2.2 "
             "(path 2, after ADD_ADDR id 2); join 10.0.2.1->10.0.1.2 (path 2, client "
             "subflow endpoint id 2). Upload spread over path 1 and path 2. Orderly "
             "close: DATA_FIN both ways, FIN on every subflow.",
    "failover": "Subflow 1 (path 1) gets no more ACKs from t=0.20 s; the client keeps "
                "sending on it for a while (visible in the capture, never acknowledged), "
                "then MPTCP reinjects that data on subflow 2 (~0.5 s) and the "
                "connection completes on subflow 2 (DATA_FIN and FINs there). Subflow 1 "
                "never closes within the capture (only unanswered retransmissions).",
    "backup": "The backup subflow (path 2, MP_JOIN SYN B=1) carries no data until path 1 "
              "dies at t=0.20 s; then outstanding data is reinjected on it (~0.4 s) and "
              "the transfer completes there.",
    "prio": "MP_PRIO B=1 on the path-2 subflow shortly after t=0.15 s: the path-2 subflow "
            "stops carrying new data; MP_PRIO B=0 shortly after t=0.35 s: it carries data "
            "again.",
    "remove": "REMOVE_ADDR id 2 from the server (~0.17 s): the server closes the subflow "
              "10.0.2.1<->10.0.2.2 (FIN, then RST with MP_TCPRST reason 0); in-flight "
              "client segments on it get plain RSTs. REMOVE_ADDR id 2 from the client "
              "(sent with a later ACK, ~0.3-0.38 s): the subflow 10.0.2.1->10.0.1.2 is "
              "closed (seen: server FIN then RST + MP_TCPRST, or FINs only). The rest "
              "of the upload uses path 1 only; orderly DATA_FIN/FIN close.",
    "fastclose": "At ~0.15 s the client sends RST + MP_FASTCLOSE (with the server's key) "
                 "+ MP_TCPRST (reason 0) on every subflow; the server resets its side "
                 "(RST + MP_TCPRST) and answers in-flight segments with plain RSTs. No "
                 "DATA_FIN.",
    "fallback": "One TCP connection: only the SYN carries MP_CAPABLE; SYN/ACK has none; "
                "no DSS, no joins (the client's subflow endpoint is not used).",
    "ipv6": "As basic, over IPv6 (ADD_ADDR carries fd00:2::2).",
    "checksum": "As basic; MP_CAPABLE has the A (checksum) flag in every direction, "
                "every DSS mapping carries a checksum.",
    "addrport": "2 subflows: initial on path 1 and a join 10.0.2.1 -> 10.0.2.2:12346 "
                "(the ADD_ADDR port).",
    "multiconn": "3 MPTCP connections, each with the 3 subflows of basic.",
    "mpfail": "The join subflow on path 2 is reset by the server with RST + MP_FAIL "
              "(DSN of the mapping that failed the checksum) + MP_TCPRST reason 6 "
              "(middlebox interference); its unacknowledged data is reinjected on path 1 "
              "and the transfer completes there.",
}

# What the "why" scenarios made happen; filled in from the captures and the
# counters of verified runs (see pcaps/README.md).  Goes into the truth file
# as "why".
WHY = {
    "join_timeout": {
        "joins": [
            {"from": "10.0.2.1", "to": "10.0.1.2", "to_port": PORT, "path": 2,
             "by": "client subflow endpoint id 2", "outcome": "no_synack",
             "detail": "every SYN with MP_JOIN is dropped in the path-2 bridge (nft "
                       "bridge family, forward hook); the client sends the join SYN "
                       "twice (t~0 and ~1 s: tcp_syn_retries=1, "
                       "tcp_syn_linear_timeouts=0), then gives up at ~3 s (no packet "
                       "shows it: client TcpAttemptFails=1, TCPAbortOnTimeout=1; no MPTCP "
                       "counter counts a failed join) before the connection "
                       "closes (~4 s); no SYN/ACK, no RST, no further join attempt"}],
        "announced": [],
        "fallback": None,
        "stall": None,
        "connection": "completes on the initial subflow (path 1)"},
    "join_rejected": {
        "joins": [
            {"from": "10.0.2.1", "to": "10.0.1.2", "to_port": PORT, "path": 2,
             "by": "client subflow endpoint id 2", "outcome": "reset_after_ack",
             "reset_reason": 3,
             "detail": "the server answers the join SYN with a SYN/ACK carrying MP_JOIN "
                       "(HMAC) as usual; the client sends its third ACK (MP_JOIN, 20 "
                       "bytes) and the server then resets the subflow: RST with "
                       "MP_TCPRST reason 3 (administratively prohibited), server "
                       "MPJoinRejected=1; the client answers with RST/ACK + MP_TCPRST "
                       "reason 0 (client MPRstTx=1, TcpEstabResets=1). The reject itself "
                       "is not counted as MPRstTx at the server nor MPRstRx at the "
                       "client. All four within ~0.1 ms; no RST "
                       "answers the SYN, no fourth ACK; not retried"}],
        "announced": [],
        "fallback": None,
        "stall": None,
        "connection": "completes on the initial subflow (path 1)"},
    "addr_unused": {
        "joins": [],
        "announced": [
            {"addr": "10.0.2.2", "id": 2, "port": None, "by": "server",
             "echoed": True, "verdict": "unused",
             "why": "client limit add_addr_accepted 0 (client nstat AddAddr=1, "
                    "EchoAddTx=1, no MP_JOIN sent; AddAddrDrop stays 0)"}],
        "fallback": None,
        "stall": None,
        "connection": "completes on the initial subflow (path 1), the only subflow"},
    "strip_after": {
        "joins": [],
        "announced": [],
        "fallback": {
            "cause": "dss_missing", "side": "server", "one_sided": True,
            "kernel_counter": "server MPTcpExtDssFallback=1 (client: 0)",
            "detail": "from t~0.32 s the path-1 bridge replaces every MPTCP option by "
                      "NOPs in both directions: the server receives data without a DSS "
                      "mapping on a connection with one subflow and falls back to TCP "
                      "(DssFallback); its ACKs carry no DSS from then on. The client "
                      "receives only pure ACKs (no data): it does not fall back, keeps "
                      "sending DSS mappings, and its data-level ACK never advances"},
        "stall": {
            "from_t": 0.32, "side": "client (data sender)",
            "detail": "TCP-level ACKs keep flowing (the server acknowledges every "
                      "segment) while no DATA_ACK arrives; the client's MPTCP "
                      "retransmission timer resends the unacknowledged mappings on the "
                      "same subflow (client MPTCPRetrans > 0) as NEW subflow bytes, "
                      "which the fallen-back server delivers to its application as "
                      "stream data: the server application receives more bytes than "
                      "were written (server_log: server_terminated.received, ~450 KB "
                      "for 256 KiB written). Never ends by itself: the client is "
                      "stopped at client_timeout (3 s) and its orphaned socket goes on "
                      "resending DSS segments; the server application is stopped 1 s "
                      "later (~4.0 s): FIN from the server, then plain RSTs answer the "
                      "client's next segments (server TCPAbortOnData=1, TcpOutRsts; "
                      "client TcpEstabResets=1). No DATA_FIN, no FIN from the client"}},
    "strip_synack": {
        "joins": [],
        "announced": [],
        "fallback": {
            "cause": "synack_without_mp_capable", "side": "both",
            "one_sided": False,
            "kernel_counter": "client MPTcpExtMPCapableFallbackSYNACK=1, server "
                              "MPTcpExtMPCapableFallbackACK=1",
            "detail": "the path-1 bridge replaces the SYN/ACK's MP_CAPABLE (12 bytes) "
                      "by 12 NOPs: the client falls back at the SYN/ACK and sends its "
                      "third ACK without MP_CAPABLE, so the server (which had sent "
                      "MP_CAPABLE) falls back there; plain TCP afterwards, the client's "
                      "subflow endpoint is never used"},
        "stall": None,
        "connection": "completes as plain TCP"},
    "simultaneous": {
        "joins": [],
        "announced": [],
        "fallback": {
            "cause": "simultaneous_connect", "side": "both", "one_sided": False,
            "kernel_counter": "client MPTcpExtSimultConnectFallback=1, server "
                              "MPTcpExtMPCapableFallbackSYNACK=1",
            "server_capture": {"cause": "synack_without_mp_capable", "side": "client",
                               "why": "in the server namespace's capture its own "
                                      "MP_CAPABLE SYN comes first (the client's first "
                                      "SYN was dropped in the bridge): that process is "
                                      "the connection's client there, and it gets a "
                                      "SYN/ACK without MP_CAPABLE"},
            "detail": "the client's socket is in SYN-SENT when the server namespace's "
                      "MP_CAPABLE SYN arrives: it moves to SYN-RECV and falls back "
                      "when it builds its SYN/ACK (mptcp_syn_options: "
                      "SimultConnectFallback), which carries no MP_CAPABLE; the server "
                      "namespace's socket, in SYN-SENT, gets that SYN/ACK and falls "
                      "back too (MPCapableFallbackSYNACK); plain TCP afterwards"},
        "stall": None,
        "connection": "plain TCP. Seen on Linux 6.18 (not a capture matter): the "
                      "client's connect() returns only once the server namespace's "
                      "data arrives, and the client application reads one byte less "
                      "than was sent (client_log received vs server reply) although "
                      "the capture shows every byte acknowledged"},
    "syn_blackhole": {
        "joins": [],
        "announced": [],
        "fallback": {
            "cause": "mpc_syn_dropped", "side": "client", "one_sided": False,
            "kernel_counter": "client MPTcpExtMPCapableSYNTXDrop=1, "
                              "MPTcpExtBlackhole=1 (server: no MPTCP counter)",
            "server_capture": {"cause": None,
                               "why": "no MP_CAPABLE SYN reaches the server: its "
                                      "capture holds a plain TCP connection"},
            "detail": "the path-1 bridge drops the three MP_CAPABLE SYNs; at the "
                      "third timeout the client falls back "
                      "(mptcp_active_detect_blackhole) and sends the same SYN (same "
                      "ISN) without MP_CAPABLE, which the server answers: plain TCP. "
                      "The SYN/ACK answers the first SYN without MP_CAPABLE, so the "
                      "client's kernel disables active MPTCP in its namespace "
                      "(Blackhole) and counts no MPCapableFallbackSYNACK"},
        "stall": None,
        "connection": "completes as plain TCP after ~3 s of SYN retransmissions"},
}

# What each capture must show (checked after every run; counts of MPTCP
# options as tshark reports them, per option occurrence).  (min, max); None =
# unbounded.  A run that does not satisfy its expectation fails.
EXPECT = {
    "basic":     {"tcp_streams": (3, 3), "mp_join": (6, 6), "add_addr": (2, 2),
                  "mp_capable": (3, None), "dss": (100, None), "dss_fin": (2, None)},
    "failover":  {"tcp_streams": (2, 2), "mp_join": (3, 3), "mp_capable": (3, None),
                  "client_done": True},
    "backup":    {"tcp_streams": (2, 2), "mp_join": (3, 3), "join_backup": (1, 1),
                  "client_done": True},
    "prio":      {"tcp_streams": (2, 2), "mp_join": (3, 3), "mp_prio": (2, 2)},
    "remove":    {"tcp_streams": (3, 3), "mp_join": (6, 6), "add_addr": (2, 2),
                  "remove_addr": (2, 2)},
    "fastclose": {"tcp_streams": (2, 2), "mp_join": (3, 3), "mp_fastclose": (2, 2),
                  "mp_tcprst": (2, None)},
    "fallback":  {"tcp_streams": (1, 1), "mp_capable": (1, 1), "dss": (0, 0),
                  "mp_join": (0, 0)},
    "ipv6":      {"tcp_streams": (3, 3), "mp_join": (6, 6), "add_addr": (2, 2)},
    "checksum":  {"tcp_streams": (3, 3), "mp_join": (6, 6), "add_addr": (2, 2),
                  "capable_csum": (3, None)},
    "addrport":  {"tcp_streams": (2, 2), "mp_join": (3, 3), "add_addr": (2, 2),
                  "port_12346": (1, None)},
    "multiconn": {"tcp_streams": (9, 9), "mp_join": (18, 18), "add_addr": (6, 6),
                  "mp_capable": (9, None)},
    "mpfail":    {"tcp_streams": (2, 2), "mp_join": (3, 3), "mp_fail": (1, 1),
                  "mp_tcprst": (1, None), "client_done": True},
    # path1_outages: gaps > 200 ms between advances of the initial subflow's
    # ACK (from the data receiver) with data sent on it in between
    "flap":      {"tcp_streams": (2, 2), "mp_join": (3, 3), "client_done": True,
                  "path1_outages": (2, 2)},
    "download":  {"tcp_streams": (2, 2), "mp_join": (3, 3), "client_done": True,
                  "path1_outages": (1, 1)},
    "bridge":    {"tcp_streams": (2, 2), "mp_join": (3, 3), "client_done": True,
                  "path1_outages": (1, 1), "captures_present": (2, 2)},
    "paths":     {"tcp_streams": (2, 2), "mp_join": (3, 3), "client_done": True,
                  "path1_outages": (1, 1), "captures_present": (4, 4)},
    "bbm":       {"tcp_streams": (2, 2), "mp_join": (3, 3), "client_done": True,
                  "path1_outages": (1, 1), "join_after_outage": (1, 1)},
    # "why" scenarios: capture evidence plus the kernels' own counters
    # ("nstat.<side>.<counter>", from the truth file)
    "join_timeout":  {"tcp_streams": (2, 2), "join_syn": (2, 2), "join_synack": (0, 0),
                      "join_ack": (0, 0), "client_done": True,
                      "nstat.client.MPTcpExtMPJoinSynTx": (1, 1),
                      "nstat.client.TcpAttemptFails": (1, 1),
                      "nstat.client.TcpExtTCPAbortOnTimeout": (1, 1),
                      "nstat.client.TcpExtTCPSynRetrans": (1, 1),
                      "nstat.server.MPTcpExtMPJoinSynRx": (0, 0)},
    "join_rejected": {"tcp_streams": (2, 2), "join_syn": (1, 1), "join_synack": (1, 1),
                      "join_ack": (1, 1), "tcprst_reason3": (1, 1), "client_done": True,
                      "nstat.server.MPTcpExtMPJoinRejected": (1, 1),
                      "nstat.server.MPTcpExtMPJoinSynRx": (1, 1),
                      "nstat.client.MPTcpExtMPJoinSynAckRx": (1, 1)},
    "addr_unused":   {"tcp_streams": (1, 1), "add_addr": (2, 2), "mp_join": (0, 0),
                      "client_done": True,
                      "nstat.client.MPTcpExtAddAddr": (1, 1),
                      "nstat.client.MPTcpExtEchoAddTx": (1, 1),
                      "nstat.client.MPTcpExtMPJoinSynTx": (0, 0),
                      "nstat.server.MPTcpExtAddAddrTx": (1, 1),
                      "nstat.server.MPTcpExtEchoAdd": (1, 1)},
    "strip_after":   {"tcp_streams": (1, 1), "mp_join": (0, 0), "dss_rx_after": (0, 0),
                      "dss_tx_after": (50, None), "captures_present": (2, 2),
                      "nstat.server.MPTcpExtDssFallback": (1, 1),
                      "nstat.client.MPTcpExtDssFallback": (0, 0),
                      "nstat.client.MPTcpExtMPTCPRetrans": (1, None)},
    "strip_synack":  {"tcp_streams": (1, 1), "mp_capable": (1, 1), "mpc_synack": (0, 0),
                      "synack_nops": (12, None), "dss": (0, 0), "mp_join": (0, 0),
                      "client_done": True,
                      "nstat.client.MPTcpExtMPCapableFallbackSYNACK": (1, 1),
                      "nstat.server.MPTcpExtMPCapableFallbackACK": (1, 1)},
    "syn_blackhole": {"tcp_streams": (1, 1), "mp_capable": (3, 3), "mpc_synack": (0, 0),
                      "dss": (0, 0), "mp_join": (0, 0), "client_done": True,
                      "captures_present": (2, 2),
                      "nstat.client.MPTcpExtMPCapableSYNTX": (1, 1),
                      "nstat.client.MPTcpExtMPCapableSYNTXDrop": (1, 1),
                      "nstat.client.MPTcpExtBlackhole": (1, 1),
                      "nstat.client.MPTcpExtMPCapableFallbackSYNACK": (0, 0),
                      "nstat.server.MPTcpExtMPCapableSYNRX": (0, 0)},
    "simultaneous":  {"tcp_streams": (1, 1), "mp_capable": (2, 2), "mpc_synack": (0, 0),
                      "dss": (0, 0), "mp_join": (0, 0), "client_done": True,
                      "captures_present": (2, 2),
                      "nstat.client.MPTcpExtSimultConnectFallback": (1, 1),
                      "nstat.client.MPTcpExtMPCapableSYNTX": (1, 1),
                      "nstat.server.MPTcpExtMPCapableSYNTX": (1, 1),
                      "nstat.server.MPTcpExtMPCapableFallbackSYNACK": (1, 1)},
}


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def log(*a):
    print("[lab]", *a, file=sys.stderr, flush=True)


def sh(*args, check=True, ns=None, quiet=False, input=None):
    cmd = list(args)
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, input=input)
    if check and r.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s" % (r.returncode, " ".join(cmd),
                                                             r.stderr.strip()))
    return r


class Interrupted(Exception):
    pass


def _on_signal(signum, frame):
    raise Interrupted("signal %d" % signum)


# --------------------------------------------------------------------------
# Lab: namespaces, links, endpoints, capture, events
# --------------------------------------------------------------------------

class Lab:
    def __init__(self, sc, out):
        self.sc = sc
        self.out = out
        tag = "%d-%s" % (os.getpid(), sc["name"])
        self.ns = {"client": "mpana-c-" + tag, "server": "mpana-s-" + tag}
        if sc["topology"] == "bridge":
            for i in (1, 2):
                self.ns["bridge%d" % i] = "mpana-b%d-%s" % (i, tag)
        self.procs = []
        self.fam = sc["family"]
        self.a = ADDR[self.fam]
        self.created = []
        self.actions = []   # (epoch, what)
        self.t0 = None

    # ---- setup -----------------------------------------------------------
    def setup(self):
        C, S = self.ns["client"], self.ns["server"]
        for who, n in self.ns.items():
            sh("ip", "netns", "add", n)
            self.created.append(n)
            if who.startswith("bridge") and self.fam == 4:
                # no IPv6 on the bridge ports either (their MLD/RS frames would
                # reach the hosts' captures); before the veths exist
                for k in ("all", "default"):
                    sh("sysctl", "-q", "-w", "net.ipv6.conf.%s.disable_ipv6=1" % k, ns=n)
        a = self.a
        for i in (1, 2):
            if self.sc["topology"] != "bridge":
                sh("ip", "link", "add", "c%d" % i, "netns", C, "type", "veth",
                   "peer", "name", "s%d" % i, "netns", S)
                continue
            # client c<i> <-> bc<i> [bridge ns: br0] bs<i> <-> s<i> server
            B = self.ns["bridge%d" % i]
            sh("ip", "link", "add", "c%d" % i, "netns", C, "type", "veth",
               "peer", "name", "bc%d" % i, "netns", B)
            sh("ip", "link", "add", "s%d" % i, "netns", S, "type", "veth",
               "peer", "name", "bs%d" % i, "netns", B)
            sh("ip", "-n", B, "link", "add", "br0", "type", "bridge", "stp_state", "0",
               "forward_delay", "0", "mcast_snooping", "0")
            for dev in ("bc%d" % i, "bs%d" % i):
                sh("ip", "-n", B, "link", "set", dev, "master", "br0")
                sh("ip", "-n", B, "link", "set", dev, "up")
            sh("ip", "-n", B, "link", "set", "br0", "up")
            sh("ip", "-n", B, "link", "set", "lo", "up")
            # the drop happens here (fail_path with fail_at="bridge"): neither
            # host's capture sees the lost packets
            sh("nft", "-f", "-", ns=B, input="""
table bridge mpanalab {
  chain fw { type filter hook forward priority 0; policy accept; }
}
""")
        for ns, side in ((C, "c"), (S, "s")):
            ipn = ["ip", "-n", ns]
            sysctls = {"net.ipv4.conf.all.rp_filter": "0",
                       "net.ipv4.conf.default.rp_filter": "0",
                       "net.mptcp.enabled": "1",
                       "net.mptcp.checksum_enabled": "1" if self.sc["checksum"] else "0"}
            role = "client" if side == "c" else "server"
            sysctls.update(self.sc["extra_sysctl"].get(role, {}))
            if self.fam == 4:
                # no IPv6 at all: keeps link-local/MLD/RS noise out of the capture
                sysctls["net.ipv6.conf.all.disable_ipv6"] = "1"
                sysctls["net.ipv6.conf.default.disable_ipv6"] = "1"
            else:
                sysctls["net.ipv6.conf.all.accept_ra"] = "0"
                sysctls["net.ipv6.conf.default.accept_ra"] = "0"
                sysctls["net.ipv6.conf.all.forwarding"] = "0"
            for k, v in sysctls.items():
                sh("sysctl", "-q", "-w", "%s=%s" % (k, v), ns=ns)
            sh(*ipn, "link", "set", "lo", "up")
            for i in (1, 2):
                dev = "%s%d" % (side, i)
                sh("sysctl", "-q", "-w", "net.ipv4.conf.%s.rp_filter=0" % dev, ns=ns)
                if self.fam == 6:
                    sh(*ipn, "-6", "addr", "add", "%s/%d" % (a[dev], a["plen"]),
                       "dev", dev, "nodad")
                else:
                    sh(*ipn, "addr", "add", "%s/%d" % (a[dev], a["plen"]), "dev", dev)
                sh(*ipn, "link", "set", dev, "up")
                sh("tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", SHAPE_RATE,
                   "burst", SHAPE_BURST, "latency", SHAPE_LATENCY, ns=ns)
                if side == "c":
                    # client: source-address policy routing, the client address
                    # selects the path.  The server needs nothing: its connected
                    # routes send replies to 10.0.i.1 out of s<i>.
                    fam = "-6" if self.fam == 6 else "-4"
                    table = str(100 + i)
                    sh(*ipn, fam, "rule", "add", "from", a[dev], "table", table,
                       "priority", str(1000 + i))
                    sh(*ipn, fam, "route", "add", a["net%d" % i], "dev", dev,
                       "table", table)
                    sh(*ipn, fam, "route", "add", "default", "via", a["s%d" % i],
                       "dev", dev, "table", table)
        # mptcp limits and endpoints
        cl, sl = self.sc["client_limits"], self.sc["server_limits"]
        sh("ip", "-n", C, "mptcp", "limits", "set", "subflows", str(cl[0]),
           "add_addr_accepted", str(cl[1]))
        sh("ip", "-n", S, "mptcp", "limits", "set", "subflows", str(sl[0]),
           "add_addr_accepted", str(sl[1]))
        for dev, epid, flags in self.sc["client_eps"]:
            sh("ip", "-n", C, "mptcp", "endpoint", "add", a[dev], "dev", dev,
               "id", str(epid), *flags.split())
        for dev, epid, flags, port in self.sc["server_eps"]:
            extra = ["port", str(port)] if port else []
            sh("ip", "-n", S, "mptcp", "endpoint", "add", a[dev], "dev", dev,
               "id", str(epid), *extra, *flags.split())
        # nft table in both host namespaces (initially empty chains)
        for ns in (S, C) if self.sc["fail_at"] == "client" else (S,):
            sh("nft", "-f", "-", ns=ns, input="""
table inet mpanalab {
  chain in  { type filter hook input priority 0; policy accept; }
  chain out { type filter hook output priority 0; policy accept; }
  chain pre { type filter hook prerouting priority -150; policy accept; }
}
""")
        if self.fam == 6:
            self.wait_ipv6()

    def wait_ipv6(self):
        deadline = time.time() + 5
        while time.time() < deadline:
            bad = False
            for ns in self.ns.values():
                r = sh("ip", "-n", ns, "-6", "addr", "show", "tentative", quiet=True)
                if r.stdout.strip():
                    bad = True
            if not bad:
                return
            time.sleep(0.05)
        raise RuntimeError("IPv6 addresses still tentative")

    # ---- processes -------------------------------------------------------
    def spawn(self, ns, args, **kw):
        p = subprocess.Popen(["ip", "netns", "exec", ns] + args, **kw)
        self.procs.append(p)
        return p

    def start_capture(self, pcap, role="client"):
        """tcpdump -i any in the namespace of `role`, writing `pcap`."""
        self.pcap = pcap
        self.tmps = getattr(self, "tmps", []) + [pcap]
        # a bridge namespace: only its client-side port (bc<i>), so each
        # packet is captured once, as it arrives from or leaves for the client
        iface = "bc" + role[-1] if role.startswith("bridge") else "any"
        p = self.spawn(self.ns[role],
                       ["tcpdump", "-i", iface, "-s", "256", "-U", "--immediate-mode",
                        "-n", "-w", pcap] + (shlex.split(OPTS["filter"])
                                             if OPTS["filter"] else []),
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.tcpdump = p
        self.tcpdumps = getattr(self, "tcpdumps", []) + [p]
        deadline = time.time() + 10
        buf = b""
        fd = p.stderr.fileno()
        # raw reads on the fd (a buffered readline could swallow the line we
        # wait for into Python's buffer where select() cannot see it)
        while time.time() < deadline:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                buf += chunk
                if b"listening on" in buf:
                    time.sleep(0.2)
                    return
        raise RuntimeError("tcpdump did not start: " + buf.decode(errors="replace"))

    def start_live(self):
        """Optional extra live capture command (live_test.sh: mpana -i any ...),
        run inside the client namespace before the traffic starts and stopped
        with SIGINT after tcpdump.  Its stdout/stderr/exit code go to
        <out>/<scenario>.live.{stdout,stderr,rc}."""
        self.live = None
        if not OPTS["live_cmd"]:
            return
        base = os.path.join(self.out, self.sc["name"] + ".live")
        self.live_files = (open(base + ".stdout", "w"), open(base + ".stderr", "w"))
        self.live_rc_path = base + ".rc"
        self.live = self.spawn(self.ns["client"], shlex.split(OPTS["live_cmd"]),
                               stdout=self.live_files[0], stderr=self.live_files[1])
        self.wait_live_filter()

    def wait_live_filter(self):
        """Returns once the live command (`ip netns exec` execs it: same pid)
        holds a packet socket with a BPF filter attached (`ss -0 -b -p`; libpcap
        attaches the filter last: the capture is then complete), when it has
        ended, or after at most --live-wait seconds (a command that captures
        without a filter never shows one)."""
        pid = "pid=%d," % self.live.pid
        deadline = time.time() + OPTS["live_wait"]
        while self.live.poll() is None and time.time() < deadline:
            r = sh("ss", "-0", "-b", "-p", ns=self.ns["client"], check=False)
            mine = False
            for line in r.stdout.splitlines():
                if pid in line:
                    mine = True
                    continue
                if mine and "bpf filter (" in line:
                    n = line.split("bpf filter (", 1)[1].split(")", 1)[0]
                    if n.isdigit() and int(n) > 1:
                        return
                mine = False
            time.sleep(0.05)

    def stop_live(self):
        p = self.live
        if p is None:
            return
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                log("live command did not exit within 15 s after SIGINT; killed")
        for f in self.live_files:
            f.close()
        with open(self.live_rc_path, "w") as f:
            f.write("%d\n" % p.returncode)
        self.live = None

    def stop_capture(self):
        """Stops every tcpdump; tcpdump_stats is the first (main) capture's."""
        for i, p in enumerate(self.tcpdumps):
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            err = os.read(p.stderr.fileno(), 65536) if p.stderr else b""
            if i == 0:
                self.tcpdump_stats = err.decode(errors="replace").strip()
            else:
                self.extra_stats = getattr(self, "extra_stats", []) + [
                    err.decode(errors="replace").strip()]

    # ---- events ----------------------------------------------------------
    def start_agents(self):
        """One small helper process per namespace that runs event commands
        without the cost of `ip netns exec` (which remounts /sys): the event
        times in the truth file are then accurate to a few ms."""
        self.agents = {}
        for who, ns in self.ns.items():
            self.agents[who] = self.spawn(ns, [sys.executable, SELF, "_agent"],
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          text=True)

    def agent_run(self, who, argv, input=None):
        a = self.agents[who]
        a.stdin.write(json.dumps({"argv": argv, "input": input}) + "\n")
        a.stdin.flush()
        line = a.stdout.readline()
        if not line:
            raise RuntimeError("agent in %s namespace died" % who)
        r = json.loads(line)
        if r["rc"] != 0:
            raise RuntimeError("command failed (%d) in %s namespace: %s\n%s"
                               % (r["rc"], who, " ".join(argv), r["err"]))
        return r["t1"], r["t2"]

    def do_event(self, kind, arg):
        """Returns (epoch when the command started, epoch when it returned)."""
        if kind in ("fail_path", "restore_path"):
            where = self.sc["fail_at"]
            if where == "bridge":
                rules = ("add rule bridge mpanalab fw drop\n" if kind == "fail_path"
                         else "flush chain bridge mpanalab fw\n")
                return self.agent_run("bridge%d" % arg, ["nft", "-f", "-"], input=rules)
            dev = "%s%d" % ("c" if where == "client" else "s", arg)
            if kind == "fail_path":
                rules = ('add rule inet mpanalab in iifname "%s" drop\n'
                         'add rule inet mpanalab out oifname "%s" drop\n' % (dev, dev))
            else:
                # only one path is ever down at a time: flushing is enough
                rules = "flush chain inet mpanalab in\nflush chain inet mpanalab out\n"
            return self.agent_run(where, ["nft", "-f", "-"], input=rules)
        elif kind == "nft":
            who, rules = arg
            return self.agent_run(who, ["nft", "-f", "-"], input=rules)
        elif kind == "ep_add":
            who, dev, epid, flags = arg
            return self.agent_run(who, ["ip", "mptcp", "endpoint", "add", self.a[dev],
                                        "dev", dev, "id", str(epid)] + flags.split())
        elif kind == "mangle_path":
            dev = "s%d" % arg
            # corrupt 32 bits at TCP-header offset 100 bytes (inside the payload
            # of any full-sized data segment) of exactly one packet
            return self.agent_run("server", ["nft", "-f", "-"], input="""
add rule inet mpanalab pre iifname "%s" tcp dport %d meta length > 1000 limit rate 1/hour burst 1 packets @th,800,32 set 0x4d504641
""" % (dev, PORT))
        elif kind == "ep_change":
            who, epid, flag = arg
            return self.agent_run(who, ["ip", "mptcp", "endpoint", "change", "id",
                                        str(epid), flag])
        elif kind == "ep_delete":
            who, epid = arg
            return self.agent_run(who, ["ip", "mptcp", "endpoint", "delete", "id",
                                        str(epid)])
        raise ValueError(kind)

    # ---- run -------------------------------------------------------------
    def run(self):
        sc, a = self.sc, self.a
        C, S = self.ns["client"], self.ns["server"]
        os.makedirs(self.out, exist_ok=True)
        pcap = os.path.join(self.out, sc["name"] + ".pcap")
        pcaps = [(role, os.path.join(self.out, sc["name"] + suf + ".pcap"))
                 for role, suf in sc["capture_at"]]
        for _, f in pcaps:
            if os.path.exists(f + ".tmp"):
                os.unlink(f + ".tmp")
        self.setup()
        for who, rules in sc["nft_setup"]:
            sh("nft", "-f", "-", ns=self.ns[who], input=rules)
        self.nstat_base = {r: read_nstat(self.ns[r]) for r in ("client", "server")}
        self.start_agents()
        sargs, cport, sport = [], PORT, None
        if sc["simultaneous"]:
            # two ports below the ephemeral range (namespaces of our own:
            # nothing else binds there)
            cport, sport = random.sample(range(20000, 30000), 2)
            self.simult_ports = {"client": cport, "server": sport}
            sargs = ["--simult", "--src", a["s1"], "--sport", str(sport),
                     "--dst", a["c1"], "--port", str(cport)]
        srv = self.spawn(S, [sys.executable, SELF, "_server", "--family", str(self.fam),
                             "--port", str(PORT), "--conns", str(sc["conns"]),
                             "--reply", str(sc["reply"]),
                             "--reply-chunk", str(sc["reply_chunk"]),
                             "--reply-interval", str(sc["reply_interval"]),
                             "--mptcp", "1" if sc["server_mptcp"] else "0"] + sargs,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        line = srv.stdout.readline()
        if "LISTENING" not in line and "READY" not in line:
            raise RuntimeError("server did not start: %s %s" % (line, srv.stderr.read()))
        self.start_live()
        for role, f in pcaps:
            self.start_capture(f + ".tmp", role)
        cargs = [sys.executable, SELF, "_client", "--family", str(self.fam),
                 "--dst", a["s1"], "--src", a["c1"],
                 "--port", str(sport if sc["simultaneous"] else PORT),
                 "--conns", str(sc["conns"]), "--size", str(sc["size"]),
                 "--chunk", str(sc["chunk"]), "--interval", str(sc["interval"])]
        if sc["linger0_at"] is not None:
            cargs += ["--abort-at", str(sc["linger0_at"])]
        if sc["client_hold"]:
            cargs += ["--hold", str(sc["client_hold"])]
        if sc["simultaneous"]:
            cargs += ["--sport", str(cport), "--simult", "--timeout", str(sc["client_timeout"])]
        cli = self.spawn(C, cargs, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = cli.stdout.readline()
        if not line.startswith("T0 "):
            raise RuntimeError("client failed: %s %s" % (line, cli.stderr.read()))
        self.t0 = float(line.split()[1])
        if sc["simultaneous"]:
            self.start_crossing(srv, cport)
        for at, kind, arg in sorted(sc["events"], key=lambda e: e[0]):
            delay = self.t0 + at - time.time()
            if delay > 0:
                time.sleep(delay)
            t, t_done = self.do_event(kind, arg)
            # the change takes effect between t (command started) and t_done
            # (command returned), typically a few ms apart
            self.actions.append({"t": round(t - self.t0, 4),
                                 "t_done": round(t_done - self.t0, 4), "planned_t": at,
                                 "epoch": round(t, 6),
                                 "epoch_done": round(t_done, 6), "action": kind,
                                 "arg": arg})
        self.client_killed = None
        try:
            cli.wait(timeout=max(1.0, self.t0 + sc["client_timeout"] - time.time()))
        except subprocess.TimeoutExpired:
            if not sc["stall_ok"]:
                raise RuntimeError("client timed out")
            # the stall is the scenario: `ip netns exec` execs python, so this
            # pid is the client itself; it reports how far it got and exits
            self.client_killed = round(time.time() - self.t0, 4)
            cli.terminate()
            try:
                cli.wait(timeout=3)
            except subprocess.TimeoutExpired:
                cli.kill()
                cli.wait()
        cout, cerr = cli.stdout.read(), cli.stderr.read()
        self.client_out = [json.loads(l) for l in cout.splitlines() if l.startswith("{")]
        if self.client_killed is not None:
            self.client_out.append({"ev": "client_stopped", "t": self.client_killed,
                                    "why": "still running at client_timeout=%g s"
                                    % sc["client_timeout"]})
        elif cli.returncode != 0:
            raise RuntimeError("client exited %d: %s" % (cli.returncode, cerr))
        try:
            srv.wait(timeout=1 if self.client_killed is not None else 10)
        except subprocess.TimeoutExpired:
            srv.terminate()
            try:
                srv.wait(timeout=3)
            except subprocess.TimeoutExpired:   # a thread stuck in recv()
                srv.kill()
                srv.wait()
        sout = srv.stdout.read()
        self.server_out = [json.loads(l) for l in sout.splitlines() if l.startswith("{")]
        time.sleep(sc["capture_tail"])
        self.t_end = time.time()
        # the counters cover the same time as the capture: read them before
        # tcpdump stops (and before cleanup closes anything)
        self.nstat_end = {r: read_nstat(self.ns[r]) for r in ("client", "server")}
        self.nft_final = {}
        for who in sorted({w for w, _ in sc["nft_setup"]} |
                          {e[2][0] for e in sc["events"] if e[1] == "nft"}):
            r = sh("nft", "list", "ruleset", ns=self.ns[who], check=False)
            self.nft_final[who] = [l.strip() for l in r.stdout.splitlines()
                                   if "counter" in l]
        self.stop_capture()
        self.stop_live()
        st = os.stat(self.out)   # tcpdump drops privileges: give the file back
        for _, f in pcaps:
            os.replace(f + ".tmp", f)
            os.chown(f, st.st_uid, st.st_gid)
        self.pcaps = pcaps
        self.write_truth(pcap)
        return pcap

    def start_crossing(self, srv, cport):
        """Simultaneous open: once the client's socket (port `cport`) is in
        SYN-SENT (its first SYN is out, dropped in the path-1 bridge), the
        server process connects to it: its SYN reaches the client in
        SYN-SENT. Waits on the socket state, at most 5 s."""
        deadline = time.time() + 5
        while time.time() < deadline:
            r = sh("ss", "-Htn", "state", "syn-sent", "sport", "= :%d" % cport,
                   ns=self.ns["client"], check=False)
            if r.stdout.strip():
                srv.stdin.write("GO\n")
                srv.stdin.flush()
                self.actions.append({"t": round(time.time() - self.t0, 4),
                                     "action": "server_connect",
                                     "arg": "client socket in SYN-SENT"})
                return
            time.sleep(0.01)
        raise RuntimeError("the client's socket never reached SYN-SENT")

    # ---- cleanup ---------------------------------------------------------
    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    p.send_signal(signal.SIGINT if p in getattr(self, "tcpdumps", [])
                                  else signal.SIGTERM)
                    p.wait(timeout=3)
                except Exception:
                    p.kill()
                    try:
                        p.wait(timeout=3)
                    except Exception:
                        pass
        for n in self.created:
            # any process still inside our namespace was started by us
            r = sh("ip", "netns", "pids", n, check=False)
            for pid in r.stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            sh("ip", "netns", "del", n, check=False)
        self.created = []
        for tmp in getattr(self, "tmps", []):
            if tmp.endswith(".tmp") and os.path.exists(tmp):
                if os.environ.get("LAB_KEEP_FAILED"):   # debugging a failed run
                    os.replace(tmp, tmp[:-4] + ".failed")
                else:
                    os.unlink(tmp)

    # ---- ground truth ----------------------------------------------------
    def write_truth(self, pcap):
        sc, a = self.sc, self.a
        name = sc["name"]
        cport = [c["sport"] for c in self.client_out if c.get("ev") == "connected"]
        conn_info = [c for c in self.client_out if c.get("ev") == "connected"]
        paths = {
            "1": {"client": a["c1"], "server": a["s1"], "client_if": "c1",
                  "server_if": "s1"},
            "2": {"client": a["c2"], "server": a["s2"], "client_if": "c2",
                  "server_if": "s2"},
        }
        # expected subflows per connection
        subflows = []
        if sc["server_mptcp"] and not sc["simultaneous"]:
            subflows.append({"role": "initial", "client": a["c1"], "server": a["s1"],
                             "server_port": PORT, "path": 1, "backup": False,
                             "created_by": "MP_CAPABLE"})
            for dev, epid, flags in sc["client_eps"]:
                if "subflow" in flags:
                    subflows.append({"role": "join", "client": a[dev], "server": a["s1"],
                                     "server_port": PORT, "path": int(dev[1]),
                                     "backup": "backup" in flags,
                                     "created_by": "client subflow endpoint id %d" % epid})
            for dev, epid, flags, port in sc["server_eps"]:
                if "signal" in flags:
                    subflows.append({"role": "join", "client": a["c%s" % dev[1]],
                                     "server": a[dev], "server_port": port or PORT,
                                     "path": int(dev[1]), "backup": False,
                                     "created_by": "ADD_ADDR id %d from the server" % epid})
            for e in sc["events"]:
                if e[1] == "ep_add" and e[2][0] == "client" and "subflow" in e[2][3]:
                    dev, epid = e[2][1], e[2][2]
                    subflows.append({"role": "join", "client": a[dev], "server": a["s1"],
                                     "server_port": PORT, "path": int(dev[1]),
                                     "backup": "backup" in e[2][3],
                                     "created_by": "client subflow endpoint id %d, added "
                                     "at t=%g s" % (epid, e[0])})
        if sc["simultaneous"]:
            subflows = [{"role": "initial (simultaneous open, fallback to plain TCP)",
                         "client": a["c1"], "server": a["s1"],
                         "server_port": self.simult_ports["server"], "path": 1,
                         "backup": False,
                         "created_by": "MP_CAPABLE SYNs from both ends, crossed"}]
        elif not sc["server_mptcp"]:
            subflows.append({"role": "initial (fallback to plain TCP)", "client": a["c1"],
                             "server": a["s1"], "server_port": PORT, "path": 1,
                             "backup": False, "created_by": "MP_CAPABLE SYN, not answered"})
        where = sc["fail_at"]
        if where == "bridge":
            how = ("nft bridge-family drop (forward hook) in the path-%d bridge namespace, "
                   "both directions (effective between t and t_done)")
        else:
            how = ("nft drop in the %s namespace, input iifname %s%%d and output oifname "
                   "%s%%d (effective between t and t_done)"
                   % (where, where[0], where[0]))
        failed = [{"path": e["arg"], "t": e["t"], "t_done": e["t_done"],
                   "client_addr": a["c%d" % e["arg"]],
                   "how": how % ((e["arg"],) if where == "bridge" else (e["arg"], e["arg"]))}
                  for e in self.actions if e["action"] == "fail_path"]
        # one outage per fail_path, closed by the next restore_path of that path
        download = sc["reply_chunk"] > 0
        outages = []
        for e in self.actions:
            if e["action"] == "fail_path":
                outages.append({
                    "path": e["arg"], "client_addr": a["c%d" % e["arg"]],
                    "server_addr": a["s%d" % e["arg"]],
                    "data_direction": "s2c" if download else "c2s",
                    "data_sender": "server" if download else "client",
                    "cut_t": e["t"], "cut_t_done": e["t_done"],
                    "cut_epoch": e["epoch"], "cut_epoch_done": e["epoch_done"],
                    "restore_t": None, "restore_t_done": None,
                    "restore_epoch": None, "restore_epoch_done": None})
            elif e["action"] == "restore_path":
                for o in outages:
                    if o["path"] == e["arg"] and o["restore_t"] is None:
                        o.update(restore_t=e["t"], restore_t_done=e["t_done"],
                                 restore_epoch=e["epoch"], restore_epoch_done=e["epoch_done"])
        captures = []
        for role, f in getattr(self, "pcaps", [(sc["capture_at"][0][0], pcap)]):
            sender = (role == "server") == download
            captures.append({"file": os.path.basename(f), "where": role + " namespace",
                             "vantage": "sender" if sender else "receiver",
                             "data_sender": "server" if download else "client"})
        truth = {
            "scenario": name,
            "description": sc["desc"],
            "pcap": os.path.basename(pcap),
            "capture": {"where": captures[0]["where"], "tool": "tcpdump -i any -s 256 -U "
                        "--immediate-mode -w",
                        "vantage": "%s (%s of the %s)" % (
                            sc["capture_at"][0][0], captures[0]["vantage"],
                            "download" if download else "upload")},
            "captures": captures,
            "topology": sc["topology"],
            "family": "ipv%d" % self.fam,
            "t0_epoch": round(self.t0, 6),
            "t0_meaning": "just before the client's first connect() call",
            "t_end": round(self.t_end - self.t0, 4),
            "paths": paths,
            "server_port": (self.simult_ports["server"] if sc["simultaneous"]
                            else PORT),
            "mptcp_version": 1,
            "checksum_enabled": sc["checksum"],
            "shaping": "tbf rate %s burst %s on both ends of both veths" % (SHAPE_RATE,
                                                                             SHAPE_BURST),
            "client_endpoints": [{"addr": a[d], "id": i, "flags": f}
                                 for d, i, f in sc["client_eps"]],
            "server_endpoints": [{"addr": a[d], "id": i, "flags": f, "port": p}
                                 for d, i, f, p in sc["server_eps"]],
            "limits": {"client": {"subflows": sc["client_limits"][0],
                                  "add_addr_accepted": sc["client_limits"][1]},
                       "server": {"subflows": sc["server_limits"][0],
                                  "add_addr_accepted": sc["server_limits"][1]}},
            "traffic": {"client_to_server_bytes": sc["size"],
                        "server_to_client_bytes": sc["reply"],
                        "pacing": "%d-byte writes every %g s" % (sc["chunk"],
                                                                 sc["interval"]),
                        "abort_at": sc["linger0_at"]},
            "expected": {
                "mptcp_connections": (sc["conns"] if sc["server_mptcp"] and
                                      not sc["simultaneous"] else 0),
                "tcp_connections": sc["conns"],
                "fallback": not sc["server_mptcp"] or sc["simultaneous"],
                "subflows_per_connection": len(subflows),
                "subflows": subflows,
            },
            "tcpdump_stats": parse_tcpdump_stats(getattr(self, "tcpdump_stats", "")),
            "outcome": OUTCOME.get(name, ""),
            "why": WHY.get(name),
            "failed_paths": failed,
            "outages": outages,
            "events": self.actions,
            "connections": conn_info,
            "client_log": self.client_out,
            "server_log": self.server_out,
        }
        if WHY.get(name) is None:
            del truth["why"]
        else:
            expected_from_why(truth["expected"], WHY[name])
        if getattr(self, "simult_ports", None):
            truth["simultaneous_ports"] = self.simult_ports
        if getattr(self, "nstat_end", None):
            truth["nstat"] = {r: nstat_delta(self.nstat_end[r], self.nstat_base[r])
                              for r in ("client", "server")}
            truth["nstat_how"] = (
                "ip netns exec NS nstat -asz --json in the client and the server "
                "namespace, read after the setup (before the server starts) and again "
                "at the end (after capture_tail, before tcpdump stops); the values are "
                "end minus start (a fresh namespace starts at zero: "
                "nstat_start_nonzero lists the exceptions). MPTcpExtMPCurrEstab is a "
                "gauge (connections established at the end), the others are counters.")
            truth["nstat_start_nonzero"] = {
                r: {k: v for k, v in self.nstat_base[r].items() if v}
                for r in ("client", "server")}
        if getattr(self, "nft_final", None):
            truth["nft_counters"] = self.nft_final
        truth["observed_tshark"] = observe(pcap)
        truth["observed_tcpdump"] = observe_tcpdump(pcap)
        truth["_pcap_path"] = pcap
        self.check(truth)
        del truth["_pcap_path"]
        with open(os.path.join(self.out, name + ".truth.json"), "w") as f:
            json.dump(truth, f, indent=1, sort_keys=False)
            f.write("\n")


    def check(self, truth):
        exp = EXPECT.get(self.sc["name"], {})
        obs = dict(truth["observed_tshark"].get("mptcp_option_counts", {}))
        obs["tcp_streams"] = truth["observed_tshark"].get("tcp_streams")
        obs.update(truth["observed_tcpdump"])
        if "path1_outages" in exp or "join_after_outage" in exp:
            o = observe_outages(truth)
            truth["observed_outages"] = o
            obs.update(o)
        if any(k in exp for k in ("join_syn", "join_synack", "mpc_synack",
                                  "synack_nops", "dss_rx_after")):
            o = observe_why(truth)
            truth["observed_why"] = o
            obs.update(o)
        for k in exp:
            if k.startswith("nstat."):
                # counters the kernels reported for this run (truth file)
                _, side, name = k.split(".", 2)
                obs[k] = truth.get("nstat", {}).get(side, {}).get(name, 0)
        if "captures_present" in exp:
            obs["captures_present"] = sum(
                1 for c in truth.get("captures", [])
                if os.path.exists(os.path.join(os.path.dirname(truth["_pcap_path"]),
                                               c["file"])))
        bad = []
        for k, v in exp.items():
            if k == "client_done":
                ok = any(c.get("ev") == "client_conn_done" and "error" not in c
                         for c in self.client_out)
                if not ok:
                    bad.append("client did not complete")
                continue
            n = obs.get(k, 0) or 0
            lo, hi = v
            if n < lo or (hi is not None and n > hi):
                bad.append("%s=%d, expected %s..%s" % (k, n, lo, hi if hi is not None else ""))
        truth["expectation"] = {k: list(v) if isinstance(v, tuple) else v
                                for k, v in exp.items()}
        if bad:
            raise RuntimeError("capture does not show the scenario: " + "; ".join(bad))


# Join outcomes whose handshake never reached the third ACK: no HMAC to
# verify (tests/conn/check_truth.py skips those joins).
JOIN_UNFINISHED = ("no_synack",)


def expected_from_why(exp, why):
    """The connections and subflows the kernel made, where the scenario's
    "why" says it did not make what the endpoints and limits ask for: an
    announced address never joined, a join given up, a fallback at the
    handshake (no MPTCP connection, no join)."""
    subs = exp["subflows"]
    notes = []
    for a in why.get("announced", []):
        if a.get("verdict") == "unused":
            by = "ADD_ADDR id %d from the %s" % (a["id"], a["by"])
            subs[:] = [e for e in subs if e["created_by"] != by]
            notes.append("the ADD_ADDR is echoed and never joined: " + a["why"])
    for j in why.get("joins", []):
        if j["outcome"] in JOIN_UNFINISHED:
            for e in subs:
                if (e["role"] == "join" and e["client"] == j["from"] and e["server"] == j["to"]
                        and e["server_port"] == j["to_port"]):
                    e["join_outcome"] = j["outcome"]
            notes.append("join %s -> %s: %s" % (j["from"], j["to"], j["outcome"]))
    fb = why.get("fallback")
    if fb and not fb.get("one_sided") and fb["cause"] != "dss_missing":
        subs[:] = [e for e in subs if e["role"] != "join"]
        exp["mptcp_connections"] = 0
        exp["fallback"] = True
        notes.append("fallback at the handshake (%s): no join" % fb["cause"])
    exp["subflows_per_connection"] = len(subs)
    if notes:
        exp["note"] = "; ".join(notes)


# Besides every MPTcpExt* counter, these TCP ones go into the truth files.
NSTAT_TCP = ("TcpActiveOpens", "TcpPassiveOpens", "TcpAttemptFails", "TcpEstabResets",
             "TcpInSegs", "TcpOutSegs", "TcpRetransSegs", "TcpInErrs", "TcpOutRsts",
             "TcpExtTCPSynRetrans", "TcpExtTCPTimeouts", "TcpExtTCPLossProbes",
             "TcpExtTCPAbortOnData", "TcpExtTCPAbortOnClose", "TcpExtTCPAbortOnTimeout",
             "TcpExtTCPAbortOnLinger", "TcpExtTCPAbortFailed", "TcpExtListenDrops",
             "TcpExtListenOverflows", "TcpExtTCPReqQFullDrop", "TcpExtTCPBacklogDrop",
             "TcpExtTCPDSACKRecv", "TcpExtTCPDSACKOldSent", "TcpExtTCPFastRetrans",
             "TcpExtTCPOFOQueue", "TcpExtTCPZeroWindowDrop", "TcpExtTCPToZeroWindowAdv",
             "TcpExtTCPWantZeroWindowAdv")


def read_nstat(ns):
    """All counters of namespace `ns` (absolute values: -a ignores and -s does
    not write nstat's history file, which `ip netns exec` would share between
    namespaces)."""
    r = sh("nstat", "-asz", "--json", ns=ns, check=False)
    try:
        return json.loads(r.stdout).get("kernel", {})
    except ValueError:
        return {}


def nstat_delta(end, base):
    """This scenario's counters: end - baseline, MPTcpExt* and NSTAT_TCP."""
    keep = [k for k in end if k.startswith("MPTcpExt")] + [k for k in NSTAT_TCP
                                                          if k in end]
    return {k: end[k] - base.get(k, 0) for k in keep}


def parse_tcpdump_stats(text):
    st = {}
    for key, pat in (("captured", "packets captured"), ("received_by_filter",
                     "packets received by filter"), ("dropped_by_kernel",
                     "packets dropped by kernel")):
        for line in text.splitlines():
            if line.strip().endswith(pat):
                try:
                    st[key] = int(line.split()[0])
                except ValueError:
                    pass
    return st


def observe_outages(truth):
    """path1_outages: on the initial subflow (tcp.stream 0), the number of gaps
    of more than 200 ms between advances of the data receiver's ACK during
    which the data sender sent at least one segment there (the path was down
    while in use).  join_after_outage: MP_JOIN SYNs sent after the first such
    gap began (break-before-make)."""
    pcap = truth["_pcap_path"]
    try:
        r = subprocess.run(["tshark", "-r", pcap, "-T", "fields", "-e", "frame.time_epoch",
                            "-e", "tcp.stream", "-e", "ip.src", "-e", "tcp.len",
                            "-e", "tcp.ack_raw", "-e", "tcp.flags",
                            "-e", "tcp.options.mptcp.subtype"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                           timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    sender_ip = truth["paths"]["1"]["client"]
    outs = [o for o in truth.get("outages", [])]
    if outs and outs[0].get("data_sender") == "server":
        sender_ip = truth["paths"]["1"]["server"]
    gaps, last_adv, ack, sent, first_gap = 0, None, None, False, None
    joins = []
    for line in r.stdout.splitlines():
        f = line.split("\t")
        if len(f) < 7 or not f[1]:
            continue
        t, st, src = float(f[0]), f[1], f[2]
        flags = int(f[5], 16) if f[5] else 0
        if flags & 0x12 == 0x02 and "1" in f[6].split(","):
            joins.append(t)
        if st != "0":
            continue
        if src == sender_ip:
            if int(f[3] or 0) > 0 and last_adv is not None:
                sent = True
            continue
        if not f[4] or not flags & 0x10:
            continue
        a = int(f[4])
        if ack is None or 0 < (a - ack) % (1 << 32) < (1 << 31):
            if last_adv is not None and t - last_adv > 0.2 and sent:
                gaps += 1
                first_gap = last_adv if first_gap is None else first_gap
            ack, last_adv, sent = a, t, False
    if last_adv is not None and sent and r.stdout:
        t_end = max(float(l.split("\t")[0]) for l in r.stdout.splitlines() if l)
        if t_end - last_adv > 0.2:
            gaps += 1
            first_gap = last_adv if first_gap is None else first_gap
    return {"path1_outages": gaps,
            "join_after_outage": sum(1 for t in joins if first_gap is not None
                                     and t > first_gap)}


def observe_why(truth):
    """Join, fallback and stripping evidence in the (client-side) capture:
    join_syn / join_synack / join_ack: SYN, SYN/ACK and ACK frames with MP_JOIN;
    tcprst_reason3: MP_TCPRST with reason 3 (administratively prohibited);
    mpc_synack: SYN/ACKs with MP_CAPABLE; synack_nops: the most NOP options in
    one SYN/ACK (a stripped 12-byte MP_CAPABLE leaves 12); dss_rx_after /
    dss_tx_after: DSS options received from / sent to the server after the
    first "nft" event had returned (t_done)."""
    pcap = truth["_pcap_path"]
    cip = truth["paths"]["1"]["client"], truth["paths"]["2"]["client"]
    after = [e["epoch_done"] for e in truth.get("events", []) if e["action"] == "nft"]
    after = after[0] if after else None
    try:
        r = subprocess.run(["tshark", "-r", pcap, "-Y", "tcp", "-T", "fields",
                            "-e", "frame.time_epoch", "-e", "ip.src", "-e", "tcp.flags",
                            "-e", "tcp.options.mptcp.subtype",
                            "-e", "tcp.options.mptcp.rst_reason", "-e", "tcp.option_kind"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                           timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    o = dict.fromkeys(("join_syn", "join_synack", "join_ack", "tcprst_reason3",
                       "mpc_synack", "synack_nops", "dss_rx_after", "dss_tx_after"), 0)
    for line in r.stdout.splitlines():
        f = line.split("\t")
        if len(f) < 6:
            continue
        t, flags = float(f[0]), int(f[2], 16) if f[2] else 0
        sub = [int(x, 0) for x in f[3].split(",") if x]
        syn, ack = flags & 0x02, flags & 0x10
        if 1 in sub:
            o["join_syn" if syn and not ack else "join_synack" if syn else "join_ack"] += 1
        if syn and ack:
            o["mpc_synack"] += 0 in sub
            o["synack_nops"] = max(o["synack_nops"], f[5].split(",").count("1"))
        o["tcprst_reason3"] += sum(1 for x in f[4].split(",") if x and int(x, 0) == 3)
        if after is not None and t > after and 2 in sub:
            o["dss_tx_after" if f[1] in cip else "dss_rx_after"] += sub.count(2)
    return o


def observe_tcpdump(pcap):
    """Counts of tcpdump -nn text markers (tcpdump 4.99 prints MP_TCPRST as
    'unknown', REMOVE_ADDR as 'rem-addr')."""
    r = subprocess.run(["tcpdump", "-nn", "-r", pcap], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    lines = r.stdout.splitlines()
    marks = {"join_backup": "join backup", "capable_csum": "capable v1 csum",
             "dss_fin": "dss fin", "port_12346": ".12346", "t_add_addr": "add-addr",
             "t_join": " join", "t_rem_addr": "rem-addr", "t_prio": " prio",
             "t_fast_close": "fast-close", "t_fail": " fail", "t_unknown": "unknown"}
    return {k: sum(1 for l in lines if m in l) for k, m in marks.items()}


OPTS = {"filter": None, "live_cmd": None, "live_wait": 1.0}

SUBTYPE = {0: "mp_capable", 1: "mp_join", 2: "dss", 3: "add_addr", 4: "remove_addr",
           5: "mp_prio", 6: "mp_fail", 7: "mp_fastclose", 8: "mp_tcprst"}


def observe(pcap):
    """Counts from tshark (if available): MPTCP option subtypes, TCP streams."""
    res = {}
    try:
        r = subprocess.run(["tshark", "-r", pcap, "-T", "fields", "-e",
                            "tcp.options.mptcp.subtype", "-e", "tcp.stream",
                            "-e", "tcp.flags.syn", "-e", "tcp.flags.reset"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                           timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return {"error": "tshark unavailable"}
    counts, streams, rst = {}, set(), 0
    frames = 0
    for line in r.stdout.splitlines():
        f = line.split("\t")
        if len(f) < 4:
            continue
        frames += 1
        if f[1]:
            streams.add(f[1])
        if f[3] == "1":
            rst += 1
        for st in filter(None, f[0].split(",")):
            k = SUBTYPE.get(int(st, 0), st)
            counts[k] = counts.get(k, 0) + 1
    res["frames"] = frames
    res["tcp_streams"] = len(streams)
    res["rst_frames"] = rst
    res["mptcp_option_counts"] = counts
    return res


# --------------------------------------------------------------------------
# traffic roles
# --------------------------------------------------------------------------

def jprint(**kw):
    print(json.dumps(kw), flush=True)


def role_agent():
    for line in sys.stdin:
        req = json.loads(line)
        t1 = time.time()
        r = subprocess.run(req["argv"], input=req.get("input"), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        t2 = time.time()
        print(json.dumps({"rc": r.returncode, "err": r.stderr, "t1": t1, "t2": t2}),
              flush=True)


def recv_all(s):
    got = 0
    while True:
        d = s.recv(65536)
        if not d:
            return got
        got += len(d)


def role_simult_server(args):
    """Simultaneous open, server namespace: bound to (src, sport), connects
    to (dst, port) when the orchestrator writes GO; sends `reply` bytes,
    half-closes, reads to EOF."""
    fam = socket.AF_INET6 if args.family == 6 else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM, IPPROTO_MPTCP if args.mptcp else 0)
    s.bind((args.src, args.sport))
    print("READY", flush=True)
    signal.signal(signal.SIGTERM, lambda *a: (jprint(ev="server_terminated", t=time.time()),
                                               os._exit(1)))
    sys.stdin.readline()
    got, err = 0, None
    try:
        s.settimeout(10)
        s.connect((args.dst, args.port))
        jprint(ev="server_connected", sport=args.sport, dport=args.port, t=time.time())
        s.sendall(b"S" * args.reply)
        s.shutdown(socket.SHUT_WR)
        got = recv_all(s)
    except OSError as e:
        err = str(e)
    s.close()
    jprint(ev="server_conn_done", peer=[args.dst, args.port], received=got, error=err,
           t=time.time())


def role_server(args):
    if args.simult:
        return role_simult_server(args)
    fam = socket.AF_INET6 if args.family == 6 else socket.AF_INET
    proto = IPPROTO_MPTCP if args.mptcp else 0
    ls = socket.socket(fam, socket.SOCK_STREAM, proto)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", args.port))
    ls.listen(16)
    print("LISTENING", flush=True)
    lock = threading.Lock()

    def handle(c, peer):
        got = 0
        err = None
        key = "%s:%d" % peer[:2]
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                got += len(d)
                progress[key] = got
            if args.reply and args.reply_chunk:
                # paced reply (download scenarios): chunk bytes per interval
                nxt, left = time.time(), args.reply
                while left > 0:
                    n = min(args.reply_chunk, left)
                    c.sendall(b"S" * n)
                    left -= n
                    nxt += args.reply_interval
                    d = nxt - time.time()
                    if d > 0 and left > 0:
                        time.sleep(d)
            elif args.reply:
                c.sendall(b"S" * args.reply)
            c.shutdown(socket.SHUT_WR)
            while c.recv(65536):
                pass
        except OSError as e:
            err = str(e)
        finally:
            c.close()
        with lock:
            jprint(ev="server_conn_done", peer=list(peer[:2]), received=got, error=err,
                   t=time.time())

    progress = {}

    def on_term(*a):
        # stopped by the orchestrator (a stalled scenario): say how far it got
        jprint(ev="server_terminated", received=dict(progress), t=time.time())
        os._exit(1)

    signal.signal(signal.SIGTERM, on_term)
    threads = []
    for _ in range(args.conns):
        c, peer = ls.accept()
        th = threading.Thread(target=handle, args=(c, peer))
        th.start()
        threads.append(th)
    for th in threads:
        th.join(timeout=60)
    ls.close()


def role_simult_client(args):
    """Simultaneous open, client namespace: bound to (src, sport), connects
    to (dst, port), where nobody listens: the peer's own SYN answers. Reads
    to EOF, then sends `size` bytes and closes."""
    fam = socket.AF_INET6 if args.family == 6 else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM, IPPROTO_MPTCP)
    s.bind((args.src, args.sport))
    s.settimeout(args.timeout)
    t0 = time.time()
    print("T0 %.6f" % t0, flush=True)
    res = {"sent": 0}
    try:
        s.connect((args.dst, args.port))
        jprint(ev="connected", conn=0, sport=args.sport, src=args.src, dst=args.dst,
               dport=args.port, t=round(time.time() - t0, 4))
        res["received"] = recv_all(s)
        s.sendall(b"C" * args.size)
        res["sent"] = args.size
        s.shutdown(socket.SHUT_WR)
        res["t_eof"] = round(time.time() - t0, 4)
    except OSError as e:
        res["error"] = str(e)
    s.close()
    jprint(ev="client_conn_done", conn=0, **res)
    if "error" in res:
        sys.exit(2)


def role_client(args):
    if args.simult:
        return role_simult_client(args)
    fam = socket.AF_INET6 if args.family == 6 else socket.AF_INET
    t0 = None
    socks = []
    for i in range(args.conns):
        s = socket.socket(fam, socket.SOCK_STREAM, IPPROTO_MPTCP)
        s.bind((args.src, 0))
        now = time.time()
        if t0 is None:
            t0 = now
        s.connect((args.dst, args.port))
        if i == 0:
            print("T0 %.6f" % t0, flush=True)
        sport = s.getsockname()[1]
        jprint(ev="connected", conn=i, sport=sport, src=args.src, dst=args.dst,
               dport=args.port, t=round(now - t0, 4))
        socks.append(s)
        if i + 1 < args.conns:
            time.sleep(0.05)
    lock = threading.Lock()
    results = [None] * len(socks)
    progress = [0] * len(socks)

    def on_term(*a):
        jprint(ev="client_terminated", sent=list(progress), t=round(time.time() - t0, 4))
        os._exit(3)

    signal.signal(signal.SIGTERM, on_term)

    def work(i, s):
        sent = 0
        buf = b"C" * args.chunk
        nxt = time.time()
        aborted = False
        try:
            while sent < args.size:
                if args.abort_at is not None and time.time() - t0 >= args.abort_at:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 struct.pack("ii", 1, 0))
                    t = time.time()
                    s.close()
                    aborted = True
                    with lock:
                        jprint(ev="abort", conn=i, sent=sent, t=round(t - t0, 4))
                    break
                n = min(args.chunk, args.size - sent)
                s.sendall(buf[:n])
                sent += n
                progress[i] = sent
                nxt += args.interval
                d = nxt - time.time()
                if d > 0:
                    time.sleep(d)
            if aborted:
                results[i] = {"sent": sent, "aborted": True}
                return
            if args.hold:
                time.sleep(args.hold)
            t_sent = time.time()
            s.shutdown(socket.SHUT_WR)
            got = 0
            while True:
                d = s.recv(65536)
                if not d:
                    break
                got += len(d)
            t_done = time.time()
            s.close()
            results[i] = {"sent": sent, "received": got,
                          "t_last_write": round(t_sent - t0, 4),
                          "t_eof": round(t_done - t0, 4)}
        except OSError as e:
            results[i] = {"sent": sent, "error": str(e)}

    ths = [threading.Thread(target=work, args=(i, s)) for i, s in enumerate(socks)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    for i, r in enumerate(results):
        jprint(ev="client_conn_done", conn=i, **(r or {}))
    if any(r is None or "error" in r for r in results):
        sys.exit(2)


# --------------------------------------------------------------------------

def verify(out, names):
    rc = 0
    for n in names:
        pcap = os.path.join(out, n + ".pcap")
        tpath = os.path.join(out, n + ".truth.json")
        if not os.path.exists(pcap) or not os.path.exists(tpath):
            print("%-10s MISSING" % n)
            rc = 1
            continue
        truth = json.load(open(tpath))
        truth["observed_tshark"] = observe(pcap)
        truth["observed_tcpdump"] = observe_tcpdump(pcap)
        truth["_pcap_path"] = pcap
        lab = Lab.__new__(Lab)
        lab.sc = SCENARIOS[n]
        lab.client_out = truth.get("client_log", [])
        try:
            lab.check(truth)
            print("%-10s ok   %s" % (n, " ".join(
                "%s=%d" % kv for kv in sorted(
                    truth["observed_tshark"]["mptcp_option_counts"].items()))))
        except RuntimeError as e:
            print("%-10s FAIL %s" % (n, e))
            rc = 1
    return rc


def preflight():
    if os.geteuid() != 0:
        return "must run as root (network namespaces)"
    for tool in ("ip", "tc", "nft", "tcpdump"):
        if subprocess.run(["which", tool], stdout=subprocess.DEVNULL).returncode:
            return "missing tool: " + tool
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
        s.close()
    except OSError as e:
        return "kernel without MPTCP: %s" % e
    return None


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "_agent":
        signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
        role_agent()
        return 0
    if len(sys.argv) > 1 and sys.argv[1] in ("_server", "_client"):
        p = argparse.ArgumentParser()
        p.add_argument("role")
        p.add_argument("--family", type=int, default=4)
        p.add_argument("--port", type=int, default=PORT)
        p.add_argument("--conns", type=int, default=1)
        p.add_argument("--reply", type=int, default=0)
        p.add_argument("--reply-chunk", type=int, default=0)
        p.add_argument("--reply-interval", type=float, default=0.0)
        p.add_argument("--mptcp", type=int, default=1)
        p.add_argument("--dst")
        p.add_argument("--src")
        p.add_argument("--size", type=int, default=0)
        p.add_argument("--chunk", type=int, default=16384)
        p.add_argument("--interval", type=float, default=0.05)
        p.add_argument("--abort-at", type=float, default=None)
        p.add_argument("--hold", type=float, default=0.0)
        p.add_argument("--simult", action="store_true")
        p.add_argument("--sport", type=int, default=0)
        p.add_argument("--timeout", type=float, default=10.0)
        args = p.parse_args()
        signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
        (role_server if args.role == "_server" else role_client)(args)
        return 0

    p = argparse.ArgumentParser(description="mpana MPTCP lab (see module docstring)")
    p.add_argument("scenarios", nargs="*", help="scenario names (default: none)")
    p.add_argument("--all", action="store_true", help="run every scenario")
    p.add_argument("--out", default=os.path.join(HERE, "..", "..", "pcaps"))
    p.add_argument("--list", action="store_true")
    p.add_argument("--keep-going", action="store_true",
                   help="continue with the next scenario after a failure")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a numeric plan value (size, chunk, interval, reply) or "
                   "rate=<tbf rate>; for experiments only, the committed pcaps use the "
                   "defaults")
    p.add_argument("--verify", action="store_true",
                   help="do not run anything: re-check existing <out>/<name>.pcap "
                   "against the scenario expectations (needs tshark and tcpdump)")
    p.add_argument("--filter", help="BPF filter for the lab's tcpdump (default: none)")
    p.add_argument("--live-cmd", help="extra command run in the client namespace during "
                   "the capture and stopped with SIGINT (used by live_test.sh)")
    p.add_argument("--live-wait", type=float, default=1.0,
                   help="at most seconds to let --live-cmd start before the traffic: "
                   "the wait ends when its capture filter is attached")
    args = p.parse_args()
    OPTS.update(filter=args.filter, live_cmd=args.live_cmd, live_wait=args.live_wait)
    global SHAPE_RATE
    for kv in args.set:
        k, v = kv.split("=", 1)
        if k == "rate":
            SHAPE_RATE = v
            continue
        for sc in SCENARIOS.values():
            sc[k] = type(BASE[k])(v) if BASE[k] is not None else float(v)
    if args.list:
        for n, s in SCENARIOS.items():
            print("%-10s %s" % (n, s["desc"]))
        return 0
    if args.verify:
        return verify(args.out, list(SCENARIOS) if args.all or not args.scenarios
                      else args.scenarios)
    names = list(SCENARIOS) if args.all else args.scenarios
    if not names:
        p.error("give scenario names or --all (see --list)")
    for n in names:
        if n not in SCENARIOS:
            p.error("unknown scenario %s (see --list)" % n)
    why = preflight()
    if why:
        log("cannot run:", why)
        return 77
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    rc = 0
    for n in names:
        lab = Lab(SCENARIOS[n], args.out)
        try:
            log("scenario", n)
            pcap = lab.run()
            log("wrote", pcap, os.path.getsize(pcap), "bytes")
        except Interrupted as e:
            log("interrupted:", e)
            rc = 130
            break
        except Exception as e:
            log("scenario %s FAILED: %s" % (n, e))
            rc = 1
            if not args.keep_going:
                break
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            lab.cleanup()
            signal.signal(signal.SIGINT, _on_signal)
            signal.signal(signal.SIGTERM, _on_signal)
    return rc


if __name__ == "__main__":
    sys.exit(main())
