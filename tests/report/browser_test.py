#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Renders the `mpana report` of a trace in headless Chromium (docs/report.md).

usage: browser_test.py MPANA TRACE [PNG]

Fails on a console message or a failed resource load in Chromium's log, or
when the screenshot is blank (under 2 % non-white pixels, or none of the
subflow colours). Skips (exit 77) when chromium is not installed. PNG: where
to keep the screenshot (default: a temporary file).
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

SKIP = 77
PALETTE = [(0x00, 0x72, 0xB2), (0xE6, 0x9F, 0x00), (0x00, 0x9E, 0x73), (0xD5, 0x5E, 0x00)]


def png_pixels(path):
    """Returns (width, height, channels, rows) of an 8-bit RGB/RGBA PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("unsupported PNG (depth %d, colour type %d)" % (depth, ctype))
    ch = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * ch
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        ft = raw[y * (stride + 1)]
        cur = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if ft == 1:
            for i in range(ch, stride):
                cur[i] = (cur[i] + cur[i - ch]) & 255
        elif ft == 2:
            for i in range(stride):
                cur[i] = (cur[i] + prev[i]) & 255
        elif ft == 3:
            for i in range(stride):
                left = cur[i - ch] if i >= ch else 0
                cur[i] = (cur[i] + ((left + prev[i]) >> 1)) & 255
        elif ft == 4:
            for i in range(stride):
                a = cur[i - ch] if i >= ch else 0
                b = prev[i]
                c = prev[i - ch] if i >= ch else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[i] = (cur[i] + pr) & 255
        rows.append(cur)
        prev = cur
    return w, h, ch, rows


def main():
    mpana, trace = sys.argv[1], sys.argv[2]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("SKIP: chromium is not installed")
        return SKIP
    with tempfile.TemporaryDirectory(prefix="mpana-report-browser.") as tmp:
        html = os.path.join(tmp, "report.html")
        png = sys.argv[3] if len(sys.argv) > 3 else os.path.join(tmp, "report.png")
        subprocess.run([mpana, "report", trace, "-o", html], check=True)
        profile = os.path.join(tmp, "profile")
        os.mkdir(profile)
        r = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                            "--disable-quic", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update",
                            "--disable-sync", "--user-data-dir=" + profile,
                            "--enable-logging=stderr", "--v=0",
                            "--screenshot=" + png, "--window-size=1400,1800",
                            "file://" + html],
                           capture_output=True, text=True, timeout=120, cwd=tmp)
        log = r.stdout + r.stderr
        if r.returncode != 0 or not os.path.exists(png):
            print(log)
            print("FAIL: chromium exited %d without a screenshot" % r.returncode)
            return 1
        bad = [l for l in log.splitlines()
               if re.search(r"CONSOLE|Failed to load resource|Uncaught|net::ERR_", l)]
        if bad:
            print("\n".join(bad))
            print("FAIL: console errors while rendering")
            return 1
        w, h, ch, rows = png_pixels(png)
        nonwhite, seen = 0, set()
        for y in range(0, h, 2):
            row = rows[y]
            for x in range(0, w * ch, ch * 2):
                px = (row[x], row[x + 1], row[x + 2])
                if px != (255, 255, 255):
                    nonwhite += 1
                    for i, c in enumerate(PALETTE):
                        if all(abs(px[j] - c[j]) <= 6 for j in range(3)):
                            seen.add(i)
        share = nonwhite / ((h // 2) * (w // 2))
        print("screenshot %dx%d: %.1f %% non-white, subflow colours seen: %s"
              % (w, h, 100 * share, sorted(seen)))
        if share < 0.02:
            print("FAIL: the page rendered blank")
            return 1
        if len(seen) < 2:
            print("FAIL: the subflow colours are not on the page (SVG not rendered?)")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
