#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Every flag and JSON key that `mpana --help` names must be in docs/mpana.1.

usage: check_flags.py MPANA MANPAGE
"""
import re
import subprocess
import sys


def main():
    mpana, manpage = sys.argv[1], sys.argv[2]
    help_text = subprocess.run([mpana, "--help"], check=True,
                               capture_output=True, text=True).stdout
    # roff escapes '-' as '\-'; fold it back and drop font changes.
    man = open(manpage, encoding="utf-8").read()
    man = re.sub(r"\\f[BIRP]", "", man).replace("\\-", "-")
    flags = sorted(set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", help_text)))
    missing = [f for f in flags if f not in man]
    keys_section = help_text.split("JSON", 1)[-1]
    keys = sorted(set(re.findall(r"\b([a-z]+(?:_[a-z]+)+)\b", keys_section)))
    missing += [k for k in keys if k not in man]
    if missing:
        print("in --help but not in %s: %s" % (manpage, " ".join(missing)))
        return 1
    print("%d flags and %d keys documented" % (len(flags), len(keys)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
