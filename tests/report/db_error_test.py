#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""report.db_error: a database error while `mpana report` reads a database
ends the report with exit 1 and the database's message, never a silently
truncated page with exit 0 (STYLE R16: every sqlite3_step loop ends at
SQLITE_DONE or is an error).

Each table and view the report reads is replaced in turn, in a copy of a
good database, by a view with the same rows whose WHERE clause fails at
step time ("integer overflow": abs() of the smallest 64-bit integer).
usage: db_error_test.py MPANA PCAP"""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

READ = ["captures", "connections", "subflows", "failovers", "addresses",
        "events", "options", "handshake_order", "handshake_verdict", "join_attempts"]
FAIL = "abs(-9223372036854775807 - 1) >= 0"  # integer overflow when stepped


def break_table(path, name):
    db = sqlite3.connect(path)
    kind, sql = db.execute("SELECT type, sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    if kind == "table":
        db.execute(f"ALTER TABLE {name} RENAME TO {name}_t")
        db.execute(f"CREATE VIEW {name} AS SELECT * FROM {name}_t WHERE {FAIL}")
    else:  # a view: the same query, filtered
        body = sql[sql.upper().index(" AS") + 3:]
        db.execute(f"DROP VIEW {name}")
        db.execute(f"CREATE VIEW {name} AS SELECT * FROM ({body}) WHERE {FAIL}")
    db.commit()
    db.close()


def main():
    mpana, pcap = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp()
    fails = 0
    try:
        good = os.path.join(tmp, "good.db")
        subprocess.run([mpana, "-r", pcap, "-q", "--db", good, "--db-packets"], check=True,
                       stdout=subprocess.DEVNULL)
        out = os.path.join(tmp, "good.html")
        r = subprocess.run([mpana, "report", good, "-o", out], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL: the good database: exit {r.returncode}: {r.stderr}")
            fails += 1
        for name in READ:
            bad = os.path.join(tmp, f"{name}.db")
            shutil.copy(good, bad)
            break_table(bad, name)
            r = subprocess.run([mpana, "report", bad, "-o", os.path.join(tmp, f"{name}.html")],
                               capture_output=True, text=True)
            want = f"report: reading {name}"
            if r.returncode != 1 or want not in r.stderr or "integer overflow" not in r.stderr:
                print(f"FAIL: {name}: exit {r.returncode}, stderr {r.stderr.strip()!r}"
                      f" (want exit 1 and '{want}...: integer overflow')")
                fails += 1
            else:
                print(f"ok: {name}: {r.stderr.strip().splitlines()[-1]}")
    finally:
        shutil.rmtree(tmp)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
