#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Differential test: mpana --json against tcpdump's expected output.

For every case of tcpdump's TESTLIST.mptcp (the captures and the .out files
tcpdump's own test suite checks), runs `mpana -r X.pcap --json` and compares
it field by field, per frame and per MPTCP option, with what tcpdump printed.

    compare_tcpdump.py --mpana BUILD/mpana --dir ../shared/peer/tcpdump [NAME...]
    compare_tcpdump.py ... --mpana-json FILE NAME   (compare a saved/doctored
                                                     JSON instead of running mpana)
    compare_tcpdump.py --mpana BUILD/mpana --pcap X.pcap [--pcap Y.pcap ...]
        (no expected file: run the installed tcpdump -# -n -tttt on the capture
         and compare with that; tolerates what tcpdump 4.99.3 cannot decode)

Exit status: 0 all equal, 1 a difference (or mpana failed / crashed /
sanitizer report), 77 skipped (no peer directory).

The tcpdump text is parsed by this script; the formats it understands are
those of tcpdump's print-mptcp.c (tcpdump >= 4.99):

  capable  v0|v1 flags [LETTERS|none] [csum] [{0xSKEY[,0xRKEY][,data_len=N]}]
           | Unknown Version (N)
  join     [backup] id N token 0xT nonce 0xN          (length 12, SYN)
           [backup] id N hmac 0xH nonce 0xN           (length 16, SYN/ACK)
           hmac 0x<40 hex digits>                      (length 24, ACK)
  dss      [fin] [ack N] [seq N subseq N len N [csum 0xC]]
  add-addr v0-ip4|v0-ip6|v1|v1-echo|[bad version/echo] id N ADDR[:PORT]
           [hmac 0xH]
  rem-addr id N [N...]
  prio     backup|non-backup [id N]
  fail     seq N
  fast-close key 0xK
  tcprst   flags [U?V?W?T?|none] reason TEXT|unknown (0xNN)
  unknown
and "<name>[bad opt]" when tcpdump refused the option (it then stops printing
the options of that packet).  Hex numbers are printed without zero padding,
so every number is compared as an integer.
"""

import argparse
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77

# tcpdump's option names -> mpana's "opt" values.
NAME2OPT = {
    "capable": "mp_capable",
    "join": "mp_join",
    "dss": "dss",
    "add-addr": "add_addr",
    "rem-addr": "remove_addr",
    "prio": "mp_prio",
    "fail": "mp_fail",
    "fast-close": "mp_fastclose",
    "tcprst": "mp_tcprst",
    "unknown": "unknown",
}
CAPABLE_LETTERS = "ABCDEFGH"          # 0x80 .. 0x01
TCPRST_LETTERS = {"U": 8, "V": 4, "W": 2, "T": 1}
TCPRST_REASONS = {
    "Unspecified error": 0,
    "MPTCP-specific error": 1,
    "Lack of resources": 2,
    "Administratively prohibited": 3,
    "Too much outstanding data": 4,
    "Unacceptable performance": 5,
    "Middlebox interference": 6,
}

FRAME_RE = re.compile(r"^\s*(\d+)\s+(\d{4}-\d\d-\d\d \d\d:|\d\d:\d\d:\d\d)")


class ParseError(Exception):
    pass


# ---------------------------------------------------------------- tcpdump text

def read_frames(path):
    """Returns {frame: joined text}; continuation lines (-v) are appended."""
    frames = {}
    order = []
    cur = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = FRAME_RE.match(line)
            if m:
                cur = int(m.group(1))
                frames[cur] = line.strip()
                order.append(cur)
            elif cur is not None and line.strip():
                frames[cur] += " " + line.strip()
    return frames


def option_lists(text):
    """Yields the content of every `options [...]` list of a packet line."""
    pos = 0
    while True:
        i = text.find("options [", pos)
        if i < 0:
            return
        j = i + len("options [")
        depth = 1
        k = j
        while k < len(text) and depth:
            if text[k] == "[":
                depth += 1
            elif text[k] == "]":
                depth -= 1
            k += 1
        yield text[j:k - 1] if depth == 0 else text[j:]
        pos = k


def split_top(s):
    """Splits on commas outside braces and brackets."""
    out, depth, cur = [], 0, []
    for ch in s:
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if cur:
        out.append("".join(cur).strip())
    return out


def hexint(s):
    if not s.lower().startswith("0x"):
        raise ParseError("expected 0x...: %r" % s)
    return int(s, 16)


def parse_capable(rest, exp):
    m = re.match(r"Unknown Version \((\d+)\)$", rest)
    if m:
        exp["version"] = int(m.group(1))
        return
    # tcpdump 4.99.x prints no "flags [...]", only "csum" for the A flag.
    m = re.match(r"v(\d+)(?: flags \[([A-H]+|none)\])?( csum)?(?: \{([^}]*)\})?$", rest)
    if not m:
        raise ParseError("capable: %r" % rest)
    exp["version"] = int(m.group(1))
    if m.group(2) is not None:
        letters = "" if m.group(2) == "none" else m.group(2)
        exp["flags"] = sum(0x80 >> CAPABLE_LETTERS.index(c) for c in letters)
    else:
        exp["flags&A"] = m.group(3) is not None
    if m.group(4) is not None:
        parts = m.group(4).split(",")
        exp["sender_key"] = hexint(parts[0])
        for p in parts[1:]:
            if p.startswith("data_len="):
                exp["data_len"] = int(p[len("data_len="):])
            else:
                exp["receiver_key"] = hexint(p)


def parse_join(rest, exp):
    m = re.match(r"hmac 0x([0-9a-f]{40})$", rest)
    if m:
        exp["hmac"] = int(m.group(1), 16)
        return
    m = re.match(r"(backup )?id (\d+) (?:token (0x[0-9a-f]+) nonce (0x[0-9a-f]+)"
                 r"|hmac (0x[0-9a-f]+) nonce (0x[0-9a-f]+))$", rest)
    if not m:
        raise ParseError("join: %r" % rest)
    exp["backup"] = m.group(1) is not None
    exp["addr_id"] = int(m.group(2))
    if m.group(3):
        exp["token"] = hexint(m.group(3))
        exp["nonce"] = hexint(m.group(4))
    else:
        exp["hmac"] = hexint(m.group(5))
        exp["nonce"] = hexint(m.group(6))


def parse_dss(rest, exp):
    m = re.match(r"(fin ?)?(?:ack (\d+) ?)?(?:seq (\d+) subseq (\d+) len (\d+)"
                 r"(?: csum (0x[0-9a-f]+))?)?$", rest)
    if not m:
        raise ParseError("dss: %r" % rest)
    exp["data_fin"] = m.group(1) is not None
    exp["data_ack"] = int(m.group(2)) if m.group(2) else None
    if m.group(3):
        exp["dsn"] = int(m.group(3))
        exp["ssn"] = int(m.group(4))
        exp["dll"] = int(m.group(5))
        exp["checksum"] = hexint(m.group(6)) if m.group(6) else None
    else:
        exp["dsn"] = None


def parse_add_addr(rest, length, exp):
    m = re.match(r"(v0-ip4|v0-ip6|v1-echo|v1|\[bad version/echo\]) id (\d+) (\S+)"
                 r"(?: hmac (0x[0-9a-f]+))?$", rest)
    if not m:
        raise ParseError("add-addr: %r" % rest)
    kind = m.group(1)
    if kind == "v0-ip4":
        exp.update(version=0, ipver=4)
    elif kind == "v0-ip6":
        exp.update(version=0, ipver=6)
    elif kind == "v1":
        exp.update(version=1, echo=False)
    elif kind == "v1-echo":
        exp.update(version=1, echo=True)
    exp["addr_id"] = int(m.group(2))
    addr = m.group(3)
    # tcpdump chooses the family and the port by the length only.
    if length in (10, 18, 22, 30):
        addr, port = addr.rsplit(":", 1)
        exp["port"] = int(port)
    else:
        exp["port"] = None
    exp["addr"] = str(ipaddress.ip_address(addr))
    exp["hmac"] = hexint(m.group(4)) if m.group(4) else None


def parse_option(text):
    """`mptcp LEN NAME ...` -> expectation dict."""
    m = re.match(r"mptcp (\d+) ([a-z-]+)(\[bad opt\])?\s*(.*)$", text)
    if not m:
        raise ParseError("mptcp option: %r" % text)
    length, name, bad, rest = int(m.group(1)), m.group(2), m.group(3), m.group(4)
    rest = rest.strip()
    if name not in NAME2OPT:
        raise ParseError("unknown tcpdump option name %r" % name)
    exp = {"len": length, "name": name, "opt": NAME2OPT[name], "text": text}
    # "[bad opt]" directly after the name, or after some printed fields.
    if bad or rest.endswith("[bad opt]"):
        exp["bad"] = True
        return exp
    exp["bad"] = False
    if name == "capable":
        parse_capable(rest, exp)
    elif name == "join":
        parse_join(rest, exp)
    elif name == "dss":
        parse_dss(rest, exp)
    elif name == "add-addr":
        parse_add_addr(rest, length, exp)
    elif name == "rem-addr":
        mm = re.match(r"id((?: \d+)+)$", rest)
        if not mm:
            raise ParseError("rem-addr: %r" % rest)
        exp["addr_ids"] = [int(x) for x in mm.group(1).split()]
    elif name == "prio":
        mm = re.match(r"(backup|non-backup)(?: id (\d+))?$", rest)
        if not mm:
            raise ParseError("prio: %r" % rest)
        exp["backup"] = mm.group(1) == "backup"
        exp["addr_id"] = int(mm.group(2)) if mm.group(2) else None
    elif name == "fail":
        mm = re.match(r"seq (\d+)$", rest)
        if not mm:
            raise ParseError("fail: %r" % rest)
        exp["dsn"] = int(mm.group(1))
    elif name == "fast-close":
        mm = re.match(r"key (0x[0-9a-f]+)$", rest)
        if not mm:
            raise ParseError("fast-close: %r" % rest)
        exp["receiver_key"] = hexint(mm.group(1))
    elif name == "tcprst":
        mm = re.match(r"flags \[([UVWT]+|none)\] reason (.*)$", rest)
        if not mm:
            raise ParseError("tcprst: %r" % rest)
        letters = "" if mm.group(1) == "none" else mm.group(1)
        exp["flags"] = sum(TCPRST_LETTERS[c] for c in letters)
        reason = mm.group(2)
        um = re.match(r"unknown \(0x([0-9a-f]{2})\)$", reason)
        if um:
            exp["reason"] = int(um.group(1), 16)
        elif reason in TCPRST_REASONS:
            exp["reason"] = TCPRST_REASONS[reason]
        else:
            raise ParseError("tcprst reason: %r" % reason)
    return exp


def tcpdump_expectations(out_path):
    """{frame: [expectation, ...]} for every frame with an MPTCP option."""
    res = {}
    for frame, text in read_frames(out_path).items():
        opts = []
        for lst in option_lists(text):
            for item in split_top(lst):
                if item.startswith("mptcp "):
                    opts.append(parse_option(item))
        if opts:
            res[frame] = opts
    return res


# ---------------------------------------------------------------- mpana JSON

def load_mpana(lines):
    frames = {}
    for n, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except ValueError as e:
            raise ParseError("mpana JSON line %d: %s: %r" % (n, e, line[:200]))
        if "record" in obj:
            continue
        frames.setdefault(obj["frame"], []).append(obj)
    return frames


def num(v):
    """mpana value -> int for comparison ("0x.." strings, ints, bools)."""
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower().startswith("0x"):
        return int(v, 16) if len(v) > 2 else 0
    return v


# ---------------------------------------------------------------- comparison

def compare(case, exp_frames, got_frames, old_tcpdump=False):
    """old_tcpdump: the installed tcpdump 4.99.3 (Debian 12) predates MP_TCPRST
    (prints "mptcp 4 unknown" for subtype 8) and rejects MP_CAPABLE of length
    24 ("capable[bad opt]", the v1 first data packet with a checksum); both
    seen on pcaps/fastclose.pcap frame 141 and pcaps/mpfail.pcap frame 6, which
    tshark decodes like mpana.  Such options are compared on length only."""
    errs = []

    def err(frame, idx, field, mine, theirs, extra=""):
        errs.append("%s: frame %s option #%s field %s: mpana=%s tcpdump=%s%s"
                    % (case, frame, idx, field, mine, theirs, extra))

    for frame in sorted(set(exp_frames) | set(got_frames)):
        exp = exp_frames.get(frame, [])
        got = got_frames.get(frame, [])
        # tcpdump stops printing the options of a packet at "[bad opt]".
        if exp and exp[-1]["bad"] and len(got) > len(exp):
            got = got[:len(exp)]
        if len(exp) != len(got):
            err(frame, "-", "option count", "%d %s" % (len(got), [o.get("opt") for o in got]),
                "%d %s" % (len(exp), [o["opt"] for o in exp]))
            continue
        for idx, (e, g) in enumerate(zip(exp, got)):
            ctx = "   [tcpdump: %s]" % e["text"]
            if g.get("len") != e["len"]:
                err(frame, idx, "len", g.get("len"), e["len"], ctx)
            if old_tcpdump and ((e["name"] == "unknown" and g.get("opt") == "mp_tcprst")
                                or (e["name"] == "capable" and e["bad"] and e["len"] == 24
                                    and g.get("opt") == "mp_capable")):
                continue
            if e["bad"]:
                if not g.get("malformed"):
                    err(frame, idx, "malformed", g.get("malformed", False),
                        "[bad opt]", ctx)
                continue
            if g.get("malformed"):
                err(frame, idx, "malformed", "true (%s)" % g.get("error"),
                    "decoded", ctx)
                continue
            if g.get("opt") != e["opt"]:
                err(frame, idx, "opt (subtype)", g.get("opt"), e["opt"], ctx)
                continue
            for field, want in e.items():
                if field in ("len", "name", "opt", "text", "bad"):
                    continue
                if field == "flags&A":
                    have = bool(num(g.get("flags", 0)) & 0x80)
                    if have != want:
                        err(frame, idx, "flags (A bit)", g.get("flags"),
                            "csum" if want else "no csum", ctx)
                    continue
                have = num(g.get(field))
                if want is None:
                    if field in g:
                        err(frame, idx, field, g[field], "(absent)", ctx)
                    continue
                if field == "addr" and have is not None:
                    try:
                        have = str(ipaddress.ip_address(have))
                    except ValueError:
                        pass
                if field == "addr_ids":
                    have = g.get("addr_ids")
                if have != want:
                    shown = hex(want) if isinstance(want, int) and not isinstance(want, bool) \
                        and field in ("sender_key", "receiver_key", "token", "nonce",
                                      "hmac", "checksum") else want
                    mine = g.get(field, "(absent)")
                    if isinstance(mine, int) and not isinstance(mine, bool) and \
                            isinstance(shown, str):
                        mine = "%d (0x%x)" % (mine, mine)
                    err(frame, idx, field, mine, shown, ctx)
            # fields tcpdump implies by their absence
            if e["opt"] == "dss":
                if e["data_ack"] is not None and g.get("data_ack_len") not in (4, 8):
                    err(frame, idx, "data_ack_len", g.get("data_ack_len"), "4 or 8", ctx)
            if e["opt"] == "unknown":
                st = g.get("subtype")
                if not isinstance(st, int) or st < 9:
                    err(frame, idx, "subtype", st, ">= 9", ctx)
    return errs


def run_mpana(mpana, pcap):
    p = subprocess.run([mpana, "-r", pcap, "--json"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=300)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def read_testlist(d):
    cases = []
    with open(os.path.join(d, "TESTLIST.mptcp"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or line.startswith("--"):
                continue
            parts = line.split()
            if len(parts) >= 3:
                cases.append((parts[0], parts[1], parts[2], parts[3:]))
    return cases


def report(name, exp, errs):
    nopts = sum(len(v) for v in exp.values())
    if errs:
        print("FAIL %s: %d difference(s) (%d frames, %d MPTCP options per tcpdump)"
              % (name, len(errs), len(exp), nopts))
        for e in errs[:200]:
            print("  " + e)
        if len(errs) > 200:
            print("  ... %d more" % (len(errs) - 200))
        return 1
    print("ok %s: %d frames, %d MPTCP options equal" % (name, len(exp), nopts))
    return 0


def live(a):
    """Runs the installed tcpdump on captures (e.g. pcaps/*.pcap) and compares."""
    if not a.tcpdump or not os.access(a.tcpdump, os.X_OK):
        print("SKIP: tcpdump not found")
        return SKIP
    pcaps = [p for p in a.pcap if os.path.isfile(p)]
    if not pcaps:
        print("SKIP: no capture to compare")
        return SKIP
    failed = 0
    for pcap in pcaps:
        name = os.path.basename(pcap)
        p = subprocess.run([a.tcpdump, "-#", "-n", "-tttt", "-r", pcap],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600,
                           env=dict(os.environ, TZ="GMT0"))
        if p.returncode != 0:
            print("FAIL %s: tcpdump exited with %d: %s" % (name, p.returncode, p.stderr[-500:]))
            failed += 1
            continue
        with tempfile.NamedTemporaryFile("wb", suffix=".out") as tf:
            tf.write(p.stdout)
            tf.flush()
            if a.mpana_json:
                with open(a.mpana_json, encoding="utf-8") as f:
                    rc, stdout, stderr = 0, f.read(), ""
            else:
                rc, stdout, stderr = run_mpana(a.mpana, pcap)
            if rc != 0:
                print("FAIL %s: mpana exited with %d" % (name, rc))
                sys.stdout.write(stderr[-4000:])
                failed += 1
                continue
            try:
                exp = tcpdump_expectations(tf.name)
                got = load_mpana(stdout.splitlines())
            except ParseError as e:
                print("FAIL %s: %s" % (name, e))
                failed += 1
                continue
            failed += report(name, exp, compare(name, exp, got, old_tcpdump=True))
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--mpana", help="mpana binary")
    ap.add_argument("--dir", help="peer/tcpdump directory (TESTLIST.mptcp)")
    ap.add_argument("--mpana-json", help="compare this JSON Lines file instead of "
                    "running mpana (to check that the test can fail)")
    ap.add_argument("--pcap", action="append", default=[],
                    help="instead of TESTLIST: run the local tcpdump on this capture "
                    "and compare with its output (repeatable)")
    ap.add_argument("--tcpdump", default=shutil.which("tcpdump"), help="tcpdump binary")
    ap.add_argument("names", nargs="*", help="test names (default: all)")
    a = ap.parse_args()

    if a.pcap:
        return live(a)
    if not os.path.isfile(os.path.join(a.dir or "", "TESTLIST.mptcp")):
        print("SKIP: %s/TESTLIST.mptcp not found (no ../shared checkout)" % a.dir)
        return SKIP
    cases = read_testlist(a.dir)
    if a.names:
        unknown = set(a.names) - {c[0] for c in cases}
        if unknown:
            print("FAIL: unknown test name(s): %s" % ", ".join(sorted(unknown)))
            return 1
        cases = [c for c in cases if c[0] in a.names]
    if not a.mpana_json and not a.mpana:
        ap.error("--mpana or --mpana-json is required")

    failed = 0
    for name, pcap, out, _args in cases:
        pcap = os.path.join(a.dir, pcap)
        out = os.path.join(a.dir, out)
        if a.mpana_json:
            with open(a.mpana_json, encoding="utf-8") as f:
                rc, stdout, stderr = 0, f.read(), ""
        else:
            rc, stdout, stderr = run_mpana(a.mpana, pcap)
        if rc != 0:
            print("FAIL %s: mpana exited with %d on %s" % (name, rc, pcap))
            sys.stdout.write(stderr[-4000:])
            failed += 1
            continue
        try:
            exp = tcpdump_expectations(out)
            got = load_mpana(stdout.splitlines())
        except ParseError as e:
            print("FAIL %s: %s" % (name, e))
            failed += 1
            continue
        failed += report(name, exp, compare(name, exp, got))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
