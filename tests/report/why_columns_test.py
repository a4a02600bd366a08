#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""report.why_columns: the summary table's fallback proof (columns
connections.fallback_frame, fallback_side) and connection stalls (table
stalls) are shown when the database has them, and their absence is no error
(docs/report.md). The fallback trace's database is written without them,
the report checked, then the columns and table are added with one stall per
connection and the report from the database checked again.
usage: why_columns_test.py MPANA PCAP"""
import os
import sqlite3
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

STALLS = """CREATE TABLE stalls (id INTEGER PRIMARY KEY, capture_id INTEGER NOT NULL,
  conn_id INTEGER NOT NULL, direction TEXT NOT NULL, t_start REAL NOT NULL,
  frame INTEGER NOT NULL, t_end REAL NOT NULL, end_frame INTEGER, ended INTEGER NOT NULL,
  duration_ms REAL NOT NULL, data_ack INTEGER, dsn_end INTEGER,
  data_pkts INTEGER NOT NULL, sf_acks INTEGER NOT NULL)"""


def report(mpana, db, out):
    r = subprocess.run([mpana, "report", db, "-o", out], capture_output=True, text=True)
    if r.returncode != 0:
        print(f"FAIL: mpana report exited {r.returncode}: {r.stderr}")
        sys.exit(1)
    root = ET.fromstring(open(out, encoding="utf-8").read())
    return [el for el in root.iter() if "conn" in (el.get("class") or "").split()
            and el.tag.endswith("}section")]


def spans(sec, cls):
    return ["".join(el.itertext()) for el in sec.iter() if cls in (el.get("class") or "").split()]


def main():
    mpana, pcap = sys.argv[1], sys.argv[2]
    fails = 0
    with tempfile.TemporaryDirectory(prefix="mpana-report-why.") as tmp:
        db = os.path.join(tmp, "t.db")
        subprocess.run([mpana, "-r", pcap, "-q", "--db", db], check=True, stdout=subprocess.DEVNULL)
        con = sqlite3.connect(db)
        cols = {r[1] for r in con.execute("PRAGMA table_info(connections)")}
        has_stalls = con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'stalls'").fetchone()[0]
        if "fallback_frame" in cols or has_stalls:
            # a newer schema: drop them here to test their absence
            if has_stalls:
                con.execute("DROP TABLE stalls")
            for c in ("fallback_frame", "fallback_side"):
                if c in cols:
                    con.execute(f"ALTER TABLE connections DROP COLUMN {c}")
            con.commit()
        for sec in report(mpana, db, os.path.join(tmp, "a.html")):
            if spans(sec, "fbcause") or spans(sec, "stall"):
                print(f"FAIL: connection {sec.get('data-conn')}: fallback proof or stall without the columns")
                fails += 1
        fb = dict(con.execute("SELECT id, fallback FROM connections"))
        con.execute("ALTER TABLE connections ADD COLUMN fallback_frame INTEGER")
        con.execute("ALTER TABLE connections ADD COLUMN fallback_side TEXT")
        con.execute("UPDATE connections SET fallback_frame = 2, fallback_side = 'server'"
                    " WHERE fallback IS NOT NULL")
        con.execute(STALLS)
        con.execute("INSERT INTO stalls (capture_id, conn_id, direction, t_start, frame, t_end,"
                    " end_frame, ended, duration_ms, data_pkts, sf_acks)"
                    " SELECT capture_id, id, 'c2s', first_ts + 0.25, 7, first_ts + 1.75, 20, 1,"
                    " 1500.0, 5, 3 FROM connections")
        con.commit()
        con.close()
        secs = report(mpana, db, os.path.join(tmp, "b.html"))
        if not secs:
            print("FAIL: no connection section")
            fails += 1
        for sec in secs:
            cid = int(sec.get("data-conn"))
            st = spans(sec, "stall")
            if len(st) != 1 or "at 0.250 s (frame 7) for 1500.0 ms" not in st[0]:
                print(f"FAIL: connection {cid}: stalls {st}")
                fails += 1
            fc = spans(sec, "fbcause")
            want = ["; proven by frame 2; fell back: server"] if fb.get(cid) else []
            if fc != want:
                print(f"FAIL: connection {cid}: fallback proof {fc}, want {want}")
                fails += 1
            else:
                print(f"ok: connection {cid}: stall {st[0]!r}, fallback proof {fc}")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
