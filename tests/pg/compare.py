#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Every table of a PostgreSQL database written by mpana against the SQLite
databases mpana wrote for the same traces, row by row.

    compare.py PG_URI SQLITE_DB...

Readers: psql and the sqlite3 CLI (not mpana). Each capture of the
PostgreSQL database is matched with the SQLite database whose one capture
has the same source. Ids differ between the two (PostgreSQL takes them from
sequences and id blocks shared by concurrent writers), so they are compared
through what they stand for: a connection id as (capture, conn_no), a
subflow id as (capture, sf_no), a capture id as its source, and the rows
with their own id (events, failovers, stalls, join_attempts, announcements)
in id order. Every reference must resolve to a row of the same capture in
the same database (none dangles, none crosses captures). REAL values are
compared exactly: 17 significant digits from SQLite (printf '%!.17g': the
"!" lifts its printf's limit of 16 digits), PostgreSQL's shortest exact
text. Also checked in PostgreSQL: schema_version, id blocks that do
not overlap, connections.id = conn_base + conn_no. Exit 0 equal, 1 not.
"""
import os
import subprocess
import sys

SEP, REC, NULL = "\x1f", "\x1e", "<NULL>"

# Tables, each with its columns that hold ids: what they refer to.
CONN, SF, CAP, OWN = "conn", "sf", "capture", "own"
REFS = {
    "captures": {"id": OWN},
    "option_counts": {"capture_id": CAP},
    "connections": {"id": CONN, "capture_id": CAP},
    "subflows": {"id": SF, "conn_id": CONN, "capture_id": CAP},
    "addresses": {"conn_id": CONN},
    "events": {"id": OWN, "capture_id": CAP, "conn_id": CONN, "subflow_id": SF},
    "options": {"capture_id": CAP, "conn_id": CONN, "subflow_id": SF},
    "failovers": {"id": OWN, "capture_id": CAP, "conn_id": CONN, "from_subflow": SF,
                  "to_subflow": SF, "join_subflow": SF, "failback_subflow": SF},
    "stalls": {"id": OWN, "capture_id": CAP, "conn_id": CONN},
    "join_attempts": {"id": OWN, "capture_id": CAP, "conn_id": CONN, "subflow_id": SF},
    "announcements": {"id": OWN, "capture_id": CAP, "conn_id": CONN},
}
# Columns that differ by nature: wall-clock start, the id offsets.
SKIP = {("captures", "started"), ("captures", "conn_base"), ("captures", "subflow_base")}


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("FAIL: %s: %s" % (" ".join(cmd[:2]), r.stderr.strip()))
    return r.stdout


def rows_of(out, ncol):
    """Records end with REC (sqlite3) or are separated by it (psql, which
    ends its output with one newline)."""
    if out.endswith("\n"):
        out = out[:-1]
    recs = out.split(REC)
    if recs and recs[-1] == "":
        recs.pop()
    rows = []
    for rec in recs:
        f = rec.split(SEP)
        if len(f) != ncol:
            sys.exit("FAIL: a row of %d fields, %d expected: %r" % (len(f), ncol, rec[:200]))
        rows.append([None if v == NULL else v for v in f])
    return rows


class Db:
    """One database: its tables as lists of typed rows."""

    def __init__(self, kind, target, schema):
        self.kind, self.target, self.schema = kind, target, schema
        self.t = {name: self.read(name) for name in REFS}

    def read(self, table):
        cols = self.schema[table]
        if self.kind == "pg":
            sel = ", ".join(c for c, _ in cols)
            out = run(["psql", self.target, "-X", "-q", "-A", "-t", "-F", SEP, "-R", REC,
                       "-P", "null=" + NULL, "-v", "ON_ERROR_STOP=1", "-c",
                       "SELECT %s FROM %s" % (sel, table)])
        else:
            sel = ", ".join("CASE WHEN %s IS NULL THEN NULL ELSE printf('%%!.17g', %s) END" % (c, c)
                            if t == "REAL" else c for c, t in cols)
            out = run(["sqlite3", "-batch", "-noheader", "-separator", SEP, "-newline", REC,
                       "-nullvalue", NULL, self.target, "SELECT %s FROM %s" % (sel, table)])
        rows = []
        for r in rows_of(out, len(cols)):
            typed = {}
            for (c, t), v in zip(cols, r):
                if v is not None and t == "INTEGER":
                    v = int(v)
                elif v is not None and t == "REAL":
                    v = float(v)
                typed[c] = v
            rows.append(typed)
        return rows


def sqlite_schema(db):
    schema = {}
    for table in REFS:
        out = run(["sqlite3", "-batch", "-noheader", "-separator", SEP, db,
                   "SELECT name, type FROM pragma_table_info('%s') ORDER BY cid" % table])
        schema[table] = [tuple(l.split(SEP)) for l in out.splitlines() if l]
    return schema


def canon(db, errs):
    """{capture source: {table: [rows]}} with the ids replaced by what they
    stand for, checking that each reference resolves within its capture."""
    src = {c["id"]: os.path.basename(c["source"]) for c in db.t["captures"]}
    conn = {r["id"]: (src.get(r["capture_id"]), r["conn_no"]) for r in db.t["connections"]}
    sf = {r["id"]: (src.get(r["capture_id"]), r["sf_no"]) for r in db.t["subflows"]}
    out = {s: {t: [] for t in REFS} for s in src.values()}
    for table, refs in REFS.items():
        for r in sorted(db.t[table], key=lambda r: r.get("id") or 0):
            cap = src.get(r["capture_id"]) if "capture_id" in r else None
            if table == "captures":
                cap = src[r["id"]]
            if table == "addresses":
                cap = conn.get(r["conn_id"], (None,))[0]
            if cap is None:
                errs.append("%s: %s row of no capture: %r" % (db.kind, table, r))
                continue
            row = []
            for c, _ in db.schema[table]:
                v = r[c]
                kind = refs.get(c)
                if (table, c) in SKIP or kind in (OWN, CAP):
                    continue
                if kind in (CONN, SF) and v is not None:
                    m = conn if kind == CONN else sf
                    if v not in m or m[v][0] != cap:
                        errs.append("%s: %s.%s = %s does not name a %s of capture %s"
                                    % (db.kind, table, c, v, kind, cap))
                        continue
                    v = m[v][1]
                if table == "announcements" and c == "join_list" and v:
                    parts = []
                    for item in v.split(","):
                        i, outcome = item.split(":", 1)
                        if int(i) not in sf or sf[int(i)][0] != cap:
                            errs.append("%s: announcements.join_list names subflow %s of no"
                                        " capture %s" % (db.kind, i, cap))
                        parts.append("%s:%s" % (sf.get(int(i), (0, "?"))[1], outcome))
                    v = ",".join(parts)
                row.append(v)
            out[cap][table].append(tuple(row))
    for s in out:  # no order among the rows without an id of their own
        for table in ("option_counts", "addresses", "options", "connections", "subflows"):
            out[s][table].sort(key=repr)
    return out


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    uri, lites = sys.argv[1], sys.argv[2:]
    schema = sqlite_schema(lites[0])
    errs = []
    pg = Db("pg", uri, schema)
    pgc = canon(pg, errs)
    # PostgreSQL only: the schema version and the id blocks
    ver = run(["psql", uri, "-XAtq", "-c", "SELECT version FROM schema_version"]).split()
    if ver != ["4"]:
        errs.append("pg: schema_version %s" % ver)
    bases = [(c["conn_base"], c["subflow_base"]) for c in pg.t["captures"]]
    for k in (0, 1):
        b = sorted(x[k] for x in bases)
        if len(set(b)) != len(b) or any(x % (1 << 20) for x in b):
            errs.append("pg: id blocks overlap or are not aligned: %s" % b)
    base = {c["id"]: c["conn_base"] for c in pg.t["captures"]}
    for r in pg.t["connections"]:
        if r["id"] != base[r["capture_id"]] + r["conn_no"]:
            errs.append("pg: connection %s is not conn_base + conn_no" % r["id"])
    seen = set()
    for path in lites:
        lite = Db("sqlite", path, schema)
        lc = canon(lite, errs)
        if len(lc) != 1:
            errs.append("%s: %d captures, 1 expected" % (path, len(lc)))
            continue
        (name, tables), = lc.items()
        seen.add(name)
        if name not in pgc:
            errs.append("%s: no capture of it in PostgreSQL" % name)
            continue
        total = 0
        for table in REFS:
            a, b = pgc[name][table], tables[table]
            total += len(b)
            if a != b:
                diff = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
                errs.append("%s: table %s: PostgreSQL %d rows, SQLite %d; first difference at"
                            " row %d:\n  pg:     %s\n  sqlite: %s"
                            % (name, table, len(a), len(b), diff,
                               a[diff] if diff < len(a) else "-", b[diff] if diff < len(b) else "-"))
        print("%-24s %6d rows equal in %d tables" % (name, total, len(REFS)) if not errs else
              "%-24s compared" % name)
    for name in pgc:
        if name not in seen:
            errs.append("%s: in PostgreSQL, not among the SQLite databases" % name)
    if errs:
        print("FAIL:\n" + "\n".join(errs[:20]))
        return 1
    print("PASS: %d captures, every table equal" % len(seen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
