#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# cluster.sh - a throwaway PostgreSQL cluster for one test (sourced):
#
#   . tests/pg/cluster.sh
#   pg_start [NAME]     # initdb into "$TMPDIR/NAME.XXXXXX", pg_ctl start
#   pg_uri DB           # prints postgresql:///DB?host=SOCKETDIR&user=postgres
#   pg_sql DB SQL       # psql -AtX: one value per line, "|" between columns
#   pg_createdb DB
#   pg_stop             # stops the server and removes its directory
#
# Debian's postgresql package (/usr/lib/postgresql/N/bin): initdb into a
# directory of the test's private TMPDIR, the server on a Unix socket in it
# only (listen_addresses='': no TCP port, so tests running at once cannot
# meet), trust authentication for the OS user running it. initdb refuses
# root: as root the cluster belongs to the user postgres (or nobody). The
# caller's EXIT trap must call pg_stop (pg_start adds it to PG_CLEANUP for
# callers with a trap of their own). pg_start exits 77 with one line when
# no PostgreSQL server can be found. PG_FSYNC=on keeps fsync (measurements);
# the default turns it off (tests do not survive power losses).
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
PG_DIR=""
PG_OWNER=""

pg_as() { # runs a command as the cluster's owner
	if [ -n "$PG_OWNER" ]; then runuser -u "$PG_OWNER" -- "$@"; else "$@"; fi
}

pg_start() {
	local name=${1:-pg} fsync=${PG_FSYNC:-off}
	if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
		echo "SKIP: no PostgreSQL server (initdb, pg_ctl): apt-get install postgresql" >&2
		exit 77
	fi
	command -v psql >/dev/null && command -v pg_isready >/dev/null || {
		echo "SKIP: no psql or pg_isready: apt-get install postgresql-client" >&2
		exit 77
	}
	if [ "$(id -u)" = 0 ]; then
		PG_OWNER=postgres
		id -u postgres >/dev/null 2>&1 || PG_OWNER=nobody
		# the owner must reach its directory through the private TMPDIR
		chmod 711 "${TMPDIR:-/tmp}"
	fi
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX") || { echo "FAIL: mktemp" >&2; exit 1; }
	if [ -n "$PG_OWNER" ]; then
		chown "$PG_OWNER" "$PG_DIR"
		pg_as test -w "$PG_DIR" || {
			echo "FAIL: the user $PG_OWNER cannot reach $PG_DIR (a parent directory is closed to it: set TMPDIR)" >&2
			rm -rf "$PG_DIR"
			exit 1
		}
	fi
	pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C \
		--no-sync >"$PG_DIR/initdb.log" 2>&1 || {
		echo "FAIL: initdb: $(tail -3 "$PG_DIR/initdb.log")" >&2
		pg_stop
		exit 1
	}
	# pg_ctl -w waits until the server accepts connections (at most -t s)
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-c listen_addresses='' -c unix_socket_directories='$PG_DIR' -c fsync=$fsync -c max_connections=40" \
		start >/dev/null || {
		echo "FAIL: pg_ctl start: $(tail -3 "$PG_DIR/server.log")" >&2
		pg_stop
		exit 1
	}
	local i
	for i in $(seq 600); do # bounded: 60 s
		pg_isready -q -h "$PG_DIR" -U postgres && return 0
		sleep 0.1
	done
	echo "FAIL: the PostgreSQL server did not become ready: $(tail -3 "$PG_DIR/server.log")" >&2
	pg_stop
	exit 1
}

pg_stop() {
	[ -n "$PG_DIR" ] || return 0
	if [ -f "$PG_DIR/data/postmaster.pid" ]; then
		pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 60 stop >/dev/null 2>&1
	fi
	rm -rf "$PG_DIR"
	PG_DIR=""
}

pg_uri() { echo "postgresql:///$1?host=$PG_DIR&user=postgres"; }

pg_sql() { psql -h "$PG_DIR" -U postgres -d "$1" -AtX -v ON_ERROR_STOP=1 -c "$2"; }

pg_createdb() { pg_sql postgres "CREATE DATABASE \"$1\"" >/dev/null; }
