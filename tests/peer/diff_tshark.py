#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Differential test: mpana --json against tshark's MPTCP dissector.

    diff_tshark.py --mpana BUILD/mpana [--tshark PATH] PCAP...
    diff_tshark.py --mpana-json FILE PCAP     (compare a saved/doctored JSON
                                               instead of running mpana)

For every frame tshark shows with an MPTCP option, the MPTCP options of the
frame are compared one by one, in order, with mpana's records of that frame:
subtype, length and every value both decoders produce.  Options mpana calls
malformed are compared on subtype and length only (tshark decodes whatever
it can and flags nothing).  The frame's addresses, ports, TCP flags and
capture time are compared too.

Exit status: 0 all equal, 1 a difference (or mpana failed / crashed /
sanitizer report), 77 skipped (tshark missing or no capture given).

How the aggregated tshark fields are aligned with options
---------------------------------------------------------
`-T fields -E occurrence=a` gives, per frame and per field, the list of all
its occurrences in tree order, not per option.  tcp.options.mptcp.subtype
has exactly one entry per MPTCP option; tcp.option_len one per TCP option
except NOP and EOL (aligned with tcp.option_kind by skipping kinds 0 and 1).
The other fields are then handed out, option by option, with a model of
which fields tshark 4.0 adds for a given subtype, length and flags byte
(TSHARK_MODEL below).  Every field list must be consumed exactly; if not, the
model and tshark disagree and the frame is reported as an alignment failure
(never silently skipped), except in frames tshark itself calls malformed.

tshark 4.0.17 quirks (each checked with -T pdml on the captures of
../shared/peer/tcpdump and on craft_pcap.py's packets):
  * It never adds tcp.options.mptcp.checksum for DSS, even when the DSS
    length leaves room for one (MPTCP-NOTES.md); it does for MP_CAPABLE of
    length 24.  DSS checksums are not compared here (compare_tcpdump.py does).
  * tcp.options.mptcp.flags is the 4th option byte for MP_CAPABLE and DSS,
    but the raw 3rd byte (subtype nibble included) for MP_JOIN, MP_PRIO and
    MP_TCPRST: an MP_TCPRST with flags T shows flags=0x81 (mptcp-tcprst.pcap
    frame 2), MP_PRIO backup 0x51, a join SYN 0x10 (mptcp-v0.pcap frame 8).
    Only the low nibble is compared for those.
  * tcp.options.mptcp.rst_reason is printed in hex ("0x06"), keys, tokens,
    nonces, truncated HMACs, DSN and DATA_ACK in decimal, the 20-byte join
    HMAC as plain hex.
  * ADD_ADDR: it shows tcp.options.mptcp.ipver when the low nibble of the
    3rd byte is 4 or 6 (v0) and tcp.options.mptcp.echo otherwise (a
    nibble of 5 shows as echo=1); the address family comes from the length
    only (8/10/16/18 -> IPv4, 20/22/28/30 -> IPv6), a port when length % 4 ==
    2, a truncated HMAC for lengths 16/18/28/30.  It accepts forms mpana
    rejects (v1 ADD_ADDR without echo and without HMAC, v0 with an HMAC).
  * It decodes MP_JOIN of length 16 outside a SYN/ACK and MP_CAPABLE of
    length 12 without SYN as if valid, and MP_CAPABLE of version > 1 with the
    v1 layout; it raises an exception ("[Malformed Packet]") for MP_FAIL or
    MP_FASTCLOSE shorter than 12 and for a DSS shorter than its flags say,
    and then stops dissecting the packet's remaining options.
  * With mptcp.analyze_mptcp off it still adds mptcp.ack after most
    rawdataack; that field is not used here.
"""

import argparse
import decimal
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
MP = "tcp.options.mptcp."

FIELDS = [
    "frame.number", "frame.time_epoch", "_ws.malformed",
    "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport", "tcp.flags",
    "tcp.option_kind", "tcp.option_len",
    MP + "subtype", MP + "version", MP + "flags", MP + "sendkey", MP + "recvkey",
    MP + "recvtok", MP + "sendrand", MP + "sendtrunchmac", MP + "sendhmac",
    MP + "addrid", MP + "rawdataack", MP + "rawdataseqno", MP + "subflowseqno",
    MP + "datalvllen", MP + "checksum", MP + "ipver", MP + "echo", MP + "ipv4",
    MP + "ipv6", MP + "port", MP + "addaddrtrunchmac", MP + "rst_reason",
]
SHORT = {f: f[len(MP):] for f in FIELDS if f.startswith(MP)}

SUBTYPES = {0: "mp_capable", 1: "mp_join", 2: "dss", 3: "add_addr", 4: "remove_addr",
            5: "mp_prio", 6: "mp_fail", 7: "mp_fastclose", 8: "mp_tcprst"}
TCP_FLAG_LETTERS = [(0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x10, "."),
                    (0x20, "U"), (0x40, "E"), (0x80, "W")]


class Misaligned(Exception):
    pass


class Frame:
    """One tshark line: per-field queues of values."""

    def __init__(self, names, cols):
        self.v = {}
        for n, c in zip(names, cols):
            self.v[n] = [x for x in c.split(",")] if c != "" else []
        self.q = {}
        for f, s in SHORT.items():
            self.q[s] = list(self.v.get(f, []))

    def take(self, name):
        q = self.q[name]
        if not q:
            raise Misaligned("tshark has fewer %s values than its options need" % name)
        return q.pop(0)


def tshark_model(fr, sub, length):
    """Consumes the fields tshark 4.0 shows for one MPTCP option; returns
    {field: raw string}.  Stops early (returns with "_exception") where
    tshark raises a bounds exception."""
    o = {}
    t = fr.take
    if sub == 0:
        o["version"] = t("version")
        o["flags"] = t("flags")
        if length in (12, 20, 22, 24):
            o["sendkey"] = t("sendkey")
        if length in (20, 22, 24):
            o["recvkey"] = t("recvkey")
        if length in (22, 24):
            o["datalvllen"] = t("datalvllen")
        if length == 24:
            o["checksum"] = t("checksum")
    elif sub == 1:
        if length == 12:
            o["flags"] = t("flags")
            o["addrid"] = t("addrid")
            o["recvtok"] = t("recvtok")
            o["sendrand"] = t("sendrand")
        elif length == 16:
            o["flags"] = t("flags")
            o["addrid"] = t("addrid")
            o["sendtrunchmac"] = t("sendtrunchmac")
            o["sendrand"] = t("sendrand")
        elif length == 24:
            o["sendhmac"] = t("sendhmac")
    elif sub == 2:
        if length < 4:
            return o
        o["flags"] = t("flags")
        f = int(o["flags"], 16)
        off = 4
        if f & 0x01:
            n = 8 if f & 0x02 else 4
            if off + n > length:
                o["_exception"] = True
                return o
            o["rawdataack"] = t("rawdataack")
            off += n
        if f & 0x04:
            n = 8 if f & 0x08 else 4
            if off + n > length:
                o["_exception"] = True
                return o
            o["rawdataseqno"] = t("rawdataseqno")
            off += n
            if off + 4 > length:
                o["_exception"] = True
                return o
            o["subflowseqno"] = t("subflowseqno")
            off += 4
            if off + 2 > length:
                o["_exception"] = True
                return o
            o["datalvllen"] = t("datalvllen")
    elif sub == 3:
        # ipver (v0) or echo (v1): whichever of the two queues is next for it
        if fr.q["ipver"] and not fr.q["echo"]:
            o["ipver"] = t("ipver")
        elif fr.q["echo"] and not fr.q["ipver"]:
            o["echo"] = t("echo")
        else:
            raise Misaligned("ADD_ADDR ipver/echo ambiguous in this frame")
        if length < 4:
            o["_exception"] = True
            return o
        o["addrid"] = t("addrid")
        if length in (8, 10, 16, 18):
            o["ipv4"] = t("ipv4")
        elif length in (20, 22, 28, 30):
            o["ipv6"] = t("ipv6")
        if length % 4 == 2 and length >= 10:
            o["port"] = t("port")
        if length in (16, 18, 28, 30):
            o["addaddrtrunchmac"] = t("addaddrtrunchmac")
    elif sub == 4:
        o["addrid"] = [t("addrid") for _ in range(max(0, length - 3))]
    elif sub == 5:
        o["flags"] = t("flags")
        if length == 4:
            o["addrid"] = t("addrid")
    elif sub == 6:
        if length < 12:
            o["_exception"] = True
            return o
        o["rawdataseqno"] = t("rawdataseqno")
    elif sub == 7:
        if length < 12:
            o["_exception"] = True
            return o
        o["recvkey"] = t("recvkey")
    elif sub == 8:
        o["flags"] = t("flags")
        o["rst_reason"] = t("rst_reason")
    return o


def tshark_options(fr):
    """[(subtype, len, fields)] for a frame."""
    kinds = [int(k) for k in fr.v["tcp.option_kind"]]
    lens = [int(x) for x in fr.v["tcp.option_len"]]
    mp_lens = []
    li = 0
    for k in kinds:
        if k in (0, 1):
            continue
        if li >= len(lens):
            raise Misaligned("tcp.option_len shorter than tcp.option_kind")
        if k == 30:
            mp_lens.append(lens[li])
        li += 1
    subs = [int(s) for s in fr.v[MP + "subtype"]]
    if len(subs) != len(mp_lens):
        raise Misaligned("%d MPTCP subtypes but %d MPTCP option lengths"
                         % (len(subs), len(mp_lens)))
    res = []
    for s, ln in zip(subs, mp_lens):
        o = tshark_model(fr, s, ln)
        res.append((s, ln, o))
        if o.get("_exception"):
            return res, True
    left = {k: v for k, v in fr.q.items() if v and k != "subtype"}
    if left:
        raise Misaligned("tshark values left over after the last option: %s" % left)
    return res, False


def run_tshark(tshark, pcap):
    cmd = [tshark, "-n", "-r", pcap, "-Y", "mptcp", "-T", "fields", "-E", "separator=/t",
           "-E", "occurrence=a", "-E", "aggregator=,", "-E", "header=y",
           "-o", "mptcp.relative_sequence_numbers:FALSE", "-o", "mptcp.analyze_mptcp:FALSE"]
    for f in FIELDS:
        cmd += ["-e", f]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=1800)
    if p.returncode != 0:
        raise RuntimeError("tshark exited with %d: %s" % (p.returncode,
                                                            p.stderr.decode()[-2000:]))
    lines = p.stdout.decode("utf-8", "replace").splitlines()
    names = lines[0].split("\t")
    frames = {}
    for line in lines[1:]:
        cols = line.split("\t")
        cols += [""] * (len(names) - len(cols))
        fr = Frame(names, cols)
        frames[int(fr.v["frame.number"][0])] = fr
    return frames


def load_mpana(text):
    frames = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        obj = json.loads(line, parse_float=decimal.Decimal)
        if "record" in obj:
            continue
        frames.setdefault(obj["frame"], []).append(obj)
    return frames


def as_int(v):
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        return int(v, 16) if v.lower().startswith("0x") else int(v)
    return v


def compare_frame(fnum, fr, got, errs, notes):
    def err(idx, field, mine, theirs):
        errs.append("frame %d option #%s field %s: mpana=%s tshark=%s"
                    % (fnum, idx, field, mine, theirs))

    # frame-level fields, from the first option record
    g0 = got[0] if got else None
    if g0 is not None:
        src = (fr.v["ip.src"] or fr.v["ipv6.src"])
        dst = (fr.v["ip.dst"] or fr.v["ipv6.dst"])
        # innermost header last (tunnels)
        for key, vals in (("src", src), ("dst", dst)):
            if vals and str(ipaddress.ip_address(g0.get(key, "0.0.0.0"))) != \
                    str(ipaddress.ip_address(vals[-1])):
                err("-", key, g0.get(key), vals[-1])
        for key, f in (("sport", "tcp.srcport"), ("dport", "tcp.dstport")):
            if fr.v[f] and g0.get(key) != int(fr.v[f][-1]):
                err("-", key, g0.get(key), fr.v[f][-1])
        if fr.v["tcp.flags"]:
            tf = int(fr.v["tcp.flags"][-1], 16)
            want = sorted(c for b, c in TCP_FLAG_LETTERS if tf & b)
            if sorted(g0.get("tcp_flags", "")) != want:
                err("-", "tcp_flags", g0.get("tcp_flags"), "%s (0x%03x)" % ("".join(want), tf))
        if fr.v["frame.time_epoch"]:
            want_ts = decimal.Decimal(fr.v["frame.time_epoch"][0])
            have_ts = decimal.Decimal(str(g0.get("ts")))
            if abs(want_ts - have_ts) >= decimal.Decimal("0.000000001"):
                err("-", "ts", g0.get("ts"), fr.v["frame.time_epoch"][0])

    malformed_frame = bool(fr.v["_ws.malformed"])
    try:
        opts, exc = tshark_options(fr)
    except Misaligned as e:
        if malformed_frame:
            notes.append("frame %d: tshark marks it malformed; fields not aligned (%s)"
                         % (fnum, e))
            return
        err("-", "(alignment)", "%d options" % len(got), "cannot align tshark fields: %s" % e)
        return
    if exc:
        notes.append("frame %d: tshark raised an exception in option #%d; options after it "
                     "are not compared" % (fnum, len(opts) - 1))
        got = got[:len(opts)]
    if len(opts) != len(got):
        err("-", "option count", "%d %s" % (len(got), [g.get("opt") for g in got]),
            "%d %s" % (len(opts), [SUBTYPES.get(s, "unknown") for s, _, _ in opts]))
        return

    for idx, ((sub, ln, o), g) in enumerate(zip(opts, got)):
        want_opt = SUBTYPES.get(sub, "unknown")
        if g.get("opt") != want_opt:
            err(idx, "opt (subtype)", g.get("opt"), "%s (%d)" % (want_opt, sub))
            continue
        if want_opt == "unknown" and g.get("subtype") != sub:
            err(idx, "subtype", g.get("subtype"), sub)
        if g.get("len") != ln:
            err(idx, "len", g.get("len"), ln)
        if g.get("malformed") or o.get("_exception"):
            if o.get("_exception") and not g.get("malformed"):
                err(idx, "malformed", g.get("malformed", False),
                    "tshark raised an exception decoding it")
            continue

        checks = []  # (mpana field, expected python value or None = absent, display)

        def want(field, val, shown=None):
            checks.append((field, val, val if shown is None else shown))

        if sub == 0:
            want("version", int(o["version"]))
            want("flags", int(o["flags"], 16), o["flags"])
            want("sender_key", int(o["sendkey"]) if "sendkey" in o else None)
            want("receiver_key", int(o["recvkey"]) if "recvkey" in o else None)
            want("data_len", int(o["datalvllen"]) if "datalvllen" in o else None)
            if "checksum" in o and o["checksum"] != "":
                want("checksum", int(o["checksum"], 16), o["checksum"])
        elif sub == 1:
            phase = {12: "syn", 16: "synack", 24: "ack"}.get(ln)
            want("phase", phase)
            if "flags" in o:
                want("backup", bool(int(o["flags"], 16) & 1), o["flags"])
                want("addr_id", int(o["addrid"]))
                want("nonce", int(o["sendrand"]))
            if "recvtok" in o:
                want("token", int(o["recvtok"]))
            if "sendtrunchmac" in o:
                want("hmac", int(o["sendtrunchmac"]))
            if "sendhmac" in o:
                want("hmac", int(o["sendhmac"].replace(":", ""), 16), "0x" + o["sendhmac"])
        elif sub == 2:
            f = int(o["flags"], 16)
            want("flags", f, o["flags"])
            want("data_fin", bool(f & 0x10), o["flags"])
            if "rawdataack" in o:
                want("data_ack", int(o["rawdataack"]))
                want("data_ack_len", 8 if f & 0x02 else 4, o["flags"])
            else:
                want("data_ack", None)
            if "rawdataseqno" in o:
                want("dsn", int(o["rawdataseqno"]))
                want("dsn_len", 8 if f & 0x08 else 4, o["flags"])
                want("ssn", int(o["subflowseqno"]))
                want("dll", int(o["datalvllen"]))
            else:
                want("dsn", None)
            # DSS checksum: tshark never shows it (see the module doc).
        elif sub == 3:
            if "ipver" in o:
                want("version", 0, "ipver=%s" % o["ipver"])
                want("ipver", int(o["ipver"]))
            else:
                want("version", 1, "echo=%s" % o["echo"])
                want("echo", bool(int(o["echo"])))
            want("addr_id", int(o["addrid"]))
            addr = o.get("ipv4") or o.get("ipv6")
            want("addr", str(ipaddress.ip_address(addr)) if addr else None)
            want("port", int(o["port"]) if "port" in o else None)
            want("hmac", int(o["addaddrtrunchmac"]) if "addaddrtrunchmac" in o else None)
        elif sub == 4:
            want("addr_ids", [int(x) for x in o["addrid"]])
        elif sub == 5:
            want("backup", bool(int(o["flags"], 16) & 1), o["flags"])
            want("addr_id", int(o["addrid"]) if "addrid" in o else None)
        elif sub == 6:
            want("dsn", int(o["rawdataseqno"]))
        elif sub == 7:
            want("receiver_key", int(o["recvkey"]))
        elif sub == 8:
            want("flags", int(o["flags"], 16) & 0x0F, o["flags"])
            want("reason", int(o["rst_reason"], 16), o["rst_reason"])

        for field, val, shown in checks:
            if val is None:
                if field in g:
                    err(idx, field, g[field], "(absent)")
                continue
            if field not in g:
                err(idx, field, "(absent)", shown)
                continue
            have = g[field]
            if field == "addr":
                try:
                    have = str(ipaddress.ip_address(have))
                except ValueError:
                    pass
            elif field not in ("phase", "addr_ids") and not isinstance(val, bool):
                try:
                    have = as_int(have)
                except ValueError:
                    pass
            if have != val:
                if isinstance(val, int) and not isinstance(val, bool) and \
                        isinstance(g[field], str) and g[field].startswith("0x") and \
                        not str(shown).startswith("0x"):
                    shown = "%s (0x%x)" % (shown, val)
                err(idx, field, g[field], shown)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--mpana", help="mpana binary")
    ap.add_argument("--tshark", default=shutil.which("tshark"), help="tshark binary")
    ap.add_argument("--mpana-json", help="compare this JSON Lines file instead of "
                    "running mpana (to check that the test can fail)")
    ap.add_argument("--synthetic", action="store_true", help="also compare a capture "
                    "crafted by craft_pcap.py (every option form)")
    ap.add_argument("pcaps", nargs="*")
    a = ap.parse_args()

    if not a.tshark or not os.access(a.tshark, os.X_OK):
        print("SKIP: tshark not found")
        return SKIP
    pcaps = [p for p in a.pcaps if os.path.isfile(p)]
    tmpdir = None
    if a.synthetic:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import craft_pcap
        tmpdir = tempfile.TemporaryDirectory(prefix="mpana-peer-")
        path = os.path.join(tmpdir.name, "synthetic.pcap")
        craft_pcap.write(path)
        pcaps.append(path)
    if not pcaps:
        print("SKIP: no capture to compare (pcaps/*.pcap is empty)")
        return SKIP
    if not a.mpana and not a.mpana_json:
        ap.error("--mpana or --mpana-json is required")

    failed = 0
    for pcap in pcaps:
        name = os.path.basename(pcap)
        if a.mpana_json:
            with open(a.mpana_json, encoding="utf-8") as f:
                out = f.read()
        else:
            p = subprocess.run([a.mpana, "-r", pcap, "--json"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=1800)
            if p.returncode != 0:
                print("FAIL %s: mpana exited with %d" % (name, p.returncode))
                sys.stdout.write(p.stderr.decode("utf-8", "replace")[-4000:])
                failed += 1
                continue
            out = p.stdout.decode("utf-8", "replace")
        try:
            ts = run_tshark(a.tshark, pcap)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            print("FAIL %s: %s" % (name, e))
            failed += 1
            continue
        got = load_mpana(out)
        errs, notes = [], []
        for fnum in sorted(set(ts) | set(got)):
            if fnum not in ts:
                errs.append("frame %d: mpana has %d MPTCP option(s) %s, tshark shows none"
                            % (fnum, len(got[fnum]), [g.get("opt") for g in got[fnum]]))
                continue
            compare_frame(fnum, ts[fnum], got.get(fnum, []), errs, notes)
        nopts = sum(len(v) for v in got.values())
        for n in notes[:50]:
            print("  note %s: %s" % (name, n))
        if errs:
            failed += 1
            print("FAIL %s: %d difference(s) (%d frames, %d mpana options)"
                  % (name, len(errs), len(ts), nopts))
            for e in errs[:200]:
                print("  %s: %s" % (name, e))
            if len(errs) > 200:
                print("  ... %d more" % (len(errs) - 200))
        else:
            print("ok %s: %d frames, %d MPTCP options equal" % (name, len(ts), nopts))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
