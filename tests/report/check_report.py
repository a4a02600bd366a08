#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Structural check of `mpana report` (docs/report.md) on one trace.

usage: check_report.py MPANA TRACE [--failover yes|db] [--from-db] [--conn ID] [--why]

Writes the report into a temporary directory, parses it as XML (the page must
be well-formed XHTML), and compares it with the database mpana writes for the
same trace (`mpana -r TRACE -q --db`): one section per connection, one
timeline lane (class "lane") and one graph edge per subflow, one failover band
(class "failover") per failovers row and none without; no script, no external
reference. --failover yes: the trace must show at least one failover.
--from-db: the report is made from a database written without --db-packets
(lanes from lifetimes, a note instead of the DSN plot). --conn ID: only that
connection.

Failed joins and addresses (the issue "Why"): one dashed edge (class
"joinfail", data-outcome) per join_attempts row whose outcome is not
'established', one summary entry (class "announce" and its verdict) per
address_use row. When the trace's truth file (pcaps/NAME.truth.json) has a
"why" part, the report must show as many failed edges as it lists joins and
as many unused addresses as it lists announced with verdict 'unused'; a
reset reason or an unanswered SYN must be in the edge's label.
"""
import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

XHTML = "{http://www.w3.org/1999/xhtml}"
MAX_BYTES = 2 * 1024 * 1024


def classes(el):
    return (el.get("class") or "").split()


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def text_of(el):
    return "".join(el.itertext())


def check_why(con, tables, cid, sec):
    """Failed join edges and announced addresses of section `sec` against
    the database: returns the failed edges' labels and the unused count."""
    want = []
    if "join_attempts" in tables:
        want = sorted(r[0] for r in con.execute(
            "SELECT outcome FROM join_attempts WHERE conn_id = ?"
            " AND outcome <> 'established'", (cid,)))
    jf = [el for el in sec.iter() if "joinfail" in classes(el)]
    got = sorted(el.get("data-outcome") or "" for el in jf)
    if got != want:
        fail("connection %d: failed join edges %s, join_attempts not established %s"
             % (cid, got, want))
    labels = []
    for el in jf:
        paths = [p for p in el.iter() if p.tag.endswith("}path")]
        if not paths or not all(p.get("stroke-dasharray") for p in paths):
            fail("connection %d: failed join edge not dashed" % cid)
        marks = [text_of(t) for t in el.iter() if "failmark" in classes(t)]
        if not marks:
            fail("connection %d: failed join edge without a label" % cid)
        labels.append(marks[0])
    verdicts = []
    if "address_use" in tables:
        verdicts = sorted(r[0] for r in con.execute(
            "SELECT verdict FROM address_use WHERE conn_id = ?", (cid,)))
    ann = [el for el in sec.iter() if "announce" in classes(el)]
    shown = sorted(v for el in ann for v in classes(el)
                   if v in ("used", "unused", "failed", "not_echoed"))
    if shown != verdicts or len(ann) != len(verdicts):
        fail("connection %d: announced addresses %s, address_use verdicts %s"
             % (cid, shown, verdicts))
    for el in ann:
        if "used" not in classes(el) and "bad" not in classes(el):
            fail("connection %d: address not marked bad: %s" % (cid, text_of(el)))
    return labels, shown.count("unused")


def check_truth(trace, conn, labels, unused):
    """The failed joins and unused addresses the truth file lists."""
    path = re.sub(r"(\.server)?\.pcap$", ".truth.json", trace)
    if conn or not os.path.exists(path):
        return False
    with open(path, encoding="utf-8") as f:
        why = json.load(f).get("why")
    if not why:
        return False
    joins = [j for j in why.get("joins", []) if j.get("outcome") != "established"]
    if len(labels) != len(joins):
        fail("%d failed join edges, the truth file lists %d failed joins" % (len(labels), len(joins)))
    want_unused = sum(1 for x in why.get("announced", []) if x.get("verdict") == "unused")
    if unused != want_unused:
        fail("%d unused addresses, the truth file lists %d" % (unused, want_unused))
    for j in joins:
        if j.get("reset_reason") is not None:
            key = "(%d: " % j["reset_reason"]
        elif j.get("outcome") == "no_synack":
            key = "no SYN/ACK"
        else:
            continue
        if not any(key in t for t in labels):
            fail("no failed join edge labelled %r: %s" % (key, labels))
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mpana")
    ap.add_argument("trace")
    ap.add_argument("--failover", choices=("yes", "db"), default="db")
    ap.add_argument("--from-db", action="store_true")
    ap.add_argument("--conn", type=int)
    ap.add_argument("--why", action="store_true",
                    help="the truth file must have a \"why\" part")
    a = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="mpana-report-test.") as tmp:
        db = os.path.join(tmp, "t.db")
        out = os.path.join(tmp, "r.html")
        subprocess.run([a.mpana, "-r", a.trace, "-q", "--db", db], check=True,
                       stdout=subprocess.DEVNULL)
        cmd = [a.mpana, "report", db if a.from_db else a.trace, "-o", out]
        if a.conn:
            cmd += ["--conn", str(a.conn)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            fail("mpana report exited %d: %s" % (r.returncode, r.stderr))
        size = os.path.getsize(out)
        if size > MAX_BYTES:
            fail("report is %d bytes" % size)
        text = open(out, encoding="utf-8").read()
        if not text.startswith("<!DOCTYPE html>"):
            fail("no <!DOCTYPE html> first")
        try:
            root = ET.fromstring(text)
        except ET.ParseError as e:
            fail("not well-formed XML: %s" % e)
        if root.tag != XHTML + "html":
            fail("root element is %s" % root.tag)

        # Self-contained: no script, no event handler, no external reference.
        for el in root.iter():
            tag = el.tag.split("}")[-1]
            if tag in ("script", "iframe", "object", "embed", "link", "img"):
                fail("element <%s> in the page" % tag)
            for k, v in el.attrib.items():
                name = k.split("}")[-1]
                if name.startswith("on"):
                    fail("event handler attribute %s" % name)
                if name in ("href", "src") and not v.startswith("#"):
                    fail("external reference %s=%s" % (name, v))
        if re.search(r"url\(|@import|https?://(?!www\.w3\.org/)", text):
            fail("external URL or url() in the page")

        con = sqlite3.connect(db)
        conns = con.execute("SELECT id, subflows FROM connections"
                            + (" WHERE id = %d" % a.conn if a.conn else "")
                            + " ORDER BY id").fetchall()
        sections = [el for el in root.iter() if "conn" in classes(el)
                    and el.tag == XHTML + "section"]
        if len(sections) != min(len(conns), 16):
            fail("%d connection sections, the database has %d connections"
                 % (len(sections), len(conns)))
        tables = {r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        total_fo = 0
        joinfail_labels = []
        total_unused = 0
        for sec, (cid, _) in zip(sections, conns):
            if sec.get("data-conn") != str(cid):
                fail("section data-conn=%s, expected %d" % (sec.get("data-conn"), cid))
            nsf = con.execute("SELECT count(*) FROM subflows WHERE conn_id = ?",
                              (cid,)).fetchone()[0]
            nfo = con.execute("SELECT count(*) FROM failovers WHERE conn_id = ?"
                              " AND t_fail IS NOT NULL",
                              (cid,)).fetchone()[0]
            total_fo += nfo
            lanes = [el for el in sec.iter() if "lane" in classes(el)]
            if len(lanes) != nsf:
                fail("connection %d: %d timeline lanes, %d subflows" % (cid, len(lanes), nsf))
            sfs = sorted(int(el.get("data-subflow")) for el in lanes)
            if len(set(sfs)) != len(sfs):
                fail("connection %d: duplicate lanes %s" % (cid, sfs))
            edges = [el for el in sec.iter() if "edge" in classes(el)]
            if len(edges) != nsf:
                fail("connection %d: %d graph edges, %d subflows" % (cid, len(edges), nsf))
            bands = [el for el in sec.iter() if "failover" in classes(el)]
            if len(bands) != nfo:
                fail("connection %d: %d failover bands, %d failovers" % (cid, len(bands), nfo))
            # each band is labelled with its episode's latency (t_fail to t_recovered)
            lats = sorted("%.1f ms" % r[0] for r in con.execute(
                "SELECT latency_ms FROM failovers WHERE conn_id = ?", (cid,)))
            labels = sorted(
                "".join(t for el in b.iter() if el.tag.endswith("}text") for t in el.itertext())
                .rsplit(": ", 1)[-1].replace("\u2265 ", "") for b in bands)
            if labels != lats:
                fail("connection %d: band labels %s, latencies %s" % (cid, labels, lats))
            svgs = {c for el in sec.iter() if el.tag.endswith("}svg") for c in classes(el)}
            for want in ("graph", "timeline"):
                if want not in svgs:
                    fail("connection %d: no %s svg" % (cid, want))
            has_mpc = con.execute("SELECT count(*) FROM events WHERE conn_id = ? AND"
                                  " type = 'mpc_syn'", (cid,)).fetchone()[0]
            rows = [el for el in sec.iter() if el.tag == XHTML + "tr"
                    and el.find(XHTML + "td") is not None]
            if has_mpc and not rows:
                fail("connection %d: empty handshake table" % cid)
            mapped = con.execute("SELECT coalesce(bytes_c2s, 0) + coalesce(bytes_s2c, 0)"
                                 " FROM connections WHERE id = ?", (cid,)).fetchone()[0]
            if a.from_db:
                if "dsn" in svgs:
                    fail("connection %d: DSN plot without option rows" % cid)
                if "--db-packets" not in "".join(sec.itertext()):
                    fail("connection %d: no note about the missing option rows" % cid)
            elif mapped > 0 and "dsn" not in svgs:
                fail("connection %d: no DSN plot" % cid)
            if not a.from_db and mapped > 0 and not any(
                    "rate" in classes(el) for el in sec.iter()):
                fail("connection %d: no rate bars" % cid)
            jf, unused = check_why(con, tables, cid, sec)
            joinfail_labels += jf
            total_unused += unused
        if a.failover == "yes" and total_fo == 0:
            fail("no failover band (the trace has a failover)")
        if not check_truth(a.trace, a.conn, joinfail_labels, total_unused) and a.why:
            fail("--why: no truth file with a \"why\" part for %s" % a.trace)
        print("ok: %d bytes, %d connection(s), %d failover band(s), %d failed join edge(s),"
              " %d unused address(es)" % (size, len(sections), total_fo, len(joinfail_labels),
                                          total_unused))
    return 0


if __name__ == "__main__":
    sys.exit(main())
