#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""zlibcat.py FILE.gz - zlib's inflate alone over a gzip file, output
dropped: the decompressor's own speed, for docs/performance.md (gzip(1)
has an inflate of its own, slower than zlib's, which mpana uses)."""
import sys
import zlib

d = zlib.decompressobj(31)  # gzip wrapper
with open(sys.argv[1], "rb") as f:
    for chunk in iter(lambda: f.read(1 << 18), b""):
        while chunk:
            d.decompress(chunk, 1 << 20)
            chunk = d.unconsumed_tail
