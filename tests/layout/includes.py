#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""layout.includes: the layering rules of the source tree, from the
#include lines (docs/architecture.md, STYLE R1).

    includes.py SOURCE_DIR CC

1. dissect/ (and the headers it uses) includes only libc and include/mpana/;
2. no sink (src/sinks/) includes the capture layer (mpana/capture.h,
   pcapfile.h, progress.h, <pcap...>);
3. only src/engine/appid_ndpi.c includes nDPI, only src/engine/crypto.c
   nettle, only src/capture/ and src/cli/ libpcap, only the PostgreSQL
   files of the store (src/sinks/store/pg_*.c) libpq;
4. src/cli/ reaches the pipeline only through include/mpana/ (no other
   stage's internal header from src/), and no stage includes the CLI's
   internals;
5. the engine includes nothing of the later stages (analysis, sinks, cli);
6. every header of include/mpana/ compiles on its own (no header needs
   another to be included first), and none includes uthash (its settings
   must precede it, so only the files that own a table include it).
Exit 0 pass, 1 fail.
"""
import os
import re
import subprocess
import sys
import tempfile

LIBC = {"stdbool.h", "stddef.h", "stdint.h", "string.h", "stdio.h", "stdlib.h",
        "limits.h", "errno.h", "stdarg.h", "inttypes.h", "endian.h"}
DISSECT_HEADERS = {"rd.h", "opt.h", "pkt.h", "layer.h", "dlt.h"}
CAPTURE_HEADERS = {"mpana/capture.h", "mpana/pcapfile.h", "mpana/progress.h",
                   "mpana/bsrc.h", "mpana/mapfile.h", "mpana/pcapng.h",
                   "mpana/stream.h", "mpana/reader.h"}
LATER_THAN_ENGINE = {"mpana/analyzer.h", "mpana/failover.h", "mpana/store.h",
                     "mpana/report.h", "mpana/cli.h", "mpana/pipeline.h",
                     "mpana/expect.h", "mpana/graph_model.h"}
INC = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def includes(path):
    return [(k, n) for k, n in INC.findall(open(path, errors="replace").read())]


def files(top, sub, exts=(".c", ".h")):
    out = []
    for d, _, fs in os.walk(os.path.join(top, sub)):
        out += [os.path.join(d, f) for f in fs if f.endswith(exts)]
    return sorted(out)


def main():
    top, cc = sys.argv[1], sys.argv[2]
    errs = []
    rel = lambda p: os.path.relpath(p, top)
    # 1. dissect
    dis = files(top, "dissect") + [os.path.join(top, "include/mpana", h) for h in DISSECT_HEADERS]
    for p in dis:
        for k, n in includes(p):
            if k == "<" and n not in LIBC:
                errs.append("%s: dissect includes <%s> (libc and include/mpana/ only)" % (rel(p), n))
            if k == '"' and not (n.startswith("mpana/") or os.path.dirname(p).endswith("dissect")):
                errs.append("%s: dissect includes \"%s\"" % (rel(p), n))
    # 2. sinks never include capture
    for p in files(top, "src/sinks"):
        for k, n in includes(p):
            if n in CAPTURE_HEADERS or n.startswith("pcap"):
                errs.append("%s: a sink includes the capture layer (%s)" % (rel(p), n))
    # 3. one nDPI, one nettle, libpcap only in capture and cli
    for p in files(top, "src") + files(top, "dissect"):
        r = rel(p)
        for k, n in includes(p):
            if k != "<":
                continue
            if n.startswith("ndpi") and r != "src/engine/appid_ndpi.c":
                errs.append("%s: includes nDPI (only src/engine/appid_ndpi.c may)" % r)
            if n.startswith("nettle/") and r != "src/engine/crypto.c":
                errs.append("%s: includes nettle (only src/engine/crypto.c may)" % r)
            if n.startswith("pcap") and not (r.startswith("src/capture/") or r.startswith("src/cli/")):
                errs.append("%s: includes libpcap (%s)" % (r, n))
            if n.startswith("libpq") and not re.match(r"src/sinks/store/pg_\w+\.c$", r):
                errs.append("%s: includes libpq (only src/sinks/store/pg_*.c may)" % r)
    # 4. internal headers stay in their stage
    for p in files(top, "src"):
        stage = rel(p).split("/")[1]
        for k, n in includes(p):
            if k != '"' or n.startswith("mpana/"):
                continue
            target = os.path.normpath(os.path.join(os.path.dirname(p), n))
            tstage = rel(target).split("/")[1] if rel(target).startswith("src/") else None
            if tstage != stage:
                errs.append("%s: includes another stage's internal header %s" % (rel(p), n))
    # 5. the engine looks at nothing later
    for p in files(top, "src/engine"):
        for k, n in includes(p):
            if n in LATER_THAN_ENGINE:
                errs.append("%s: the engine includes %s (a later stage)" % (rel(p), n))
    for h in sorted(os.listdir(os.path.join(top, "include/mpana"))):
        if h.endswith(".h"):
            for k, n in includes(os.path.join(top, "include/mpana", h)):
                if n in ("uthash.h", "utlist.h"):
                    errs.append("include/mpana/%s includes <%s> (tables stay inside their owner)" % (h, n))
    # 6. self-contained public headers
    with tempfile.TemporaryDirectory() as d:
        for h in sorted(os.listdir(os.path.join(top, "include/mpana"))):
            if not h.endswith(".h"):
                continue
            c = os.path.join(d, "t.c")
            open(c, "w").write('#include "mpana/%s"\n#include "mpana/%s"\nint mp_layout_probe;\n' % (h, h))
            r = subprocess.run([cc, "-std=c11", "-D_POSIX_C_SOURCE=200809L", "-D_DEFAULT_SOURCE",
                                "-fsyntax-only", "-Wall", "-Wextra", "-Werror",
                                "-I", os.path.join(top, "include"), c],
                               capture_output=True, text=True)
            if r.returncode:
                errs.append("include/mpana/%s does not compile alone: %s"
                            % (h, r.stderr.strip().splitlines()[0] if r.stderr.strip() else r.returncode))
    for e in errs:
        print("FAIL: " + e, file=sys.stderr)
    if not errs:
        print("PASS: layering rules hold on %d files" % len(files(top, "src") + files(top, "dissect")))
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
