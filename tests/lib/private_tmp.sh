#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# private_tmp.sh CMD [ARGS...]: runs one test with a TMPDIR of its own (made
# here, under the caller's TMPDIR or /tmp) and fails it when anything is left
# in that directory afterwards: every temporary file or directory made by the
# test or by mpana (mpana check, mpana report) must be gone when it ends.
# The exit status is CMD's (0, 1, 77 skip), or 1 for leftovers.
set -u
priv=$(mktemp -d "${TMPDIR:-/tmp}/mpana-test.XXXXXX") || { echo "FAIL: mktemp" >&2; exit 1; }
TMPDIR=$priv "$@"
rc=$?
left=$(cd "$priv" && find . -mindepth 1 -maxdepth 2 | sort | head -20)
rm -rf "$priv"
if [ -n "$left" ]; then
	echo "FAIL: left behind in its TMPDIR:" $left >&2
	exit 1
fi
exit $rc
