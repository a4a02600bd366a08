/* SPDX-License-Identifier: BSD-2-Clause */
/* pipeline.h - one run of the analysis pipeline over a capture: capture →
 * analyzer → sink, plus the SQLite store with --db, wired as
 * `mpana -r FILE | -i IFACE [--db DB]` runs it (src/cli/pipeline.c). The
 * subcommands that analyze a trace into a database (check, report) run the
 * same code in-process through mp_selfrun_analyze. */
#ifndef MPANA_PIPELINE_H
#define MPANA_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "mpana/analyzer.h"
#include "mpana/capture.h"
#include "mpana/cli.h"

struct mp_pipeline_cfg {
	struct mp_capture_cfg capture; /* -r/-i, filter, -c ...; borrowed */
	const char *db_path;           /* --db: also store into this database; NULL: none */
	bool db_packets;               /* --db-packets: one row per MPTCP option */
	uint32_t max_conns;            /* --max-conns; 0: MP_DEFAULT_MAX_CONNS */
	struct mp_sink *extra;         /* also fed, e.g. -w's packet writer
					* (pcap_out.h); NULL: none */
};

/* Initializes `an` with `sink`, opens the store (cfg->db_path), runs the
 * capture through them, then writes the connection records and the sink's
 * summary (when anything was read and sink->out has not failed) and closes
 * the store. Borrows everything; `an` is the caller's storage (it is large:
 * static or heap) and holds the counters afterwards. sink->out is not
 * flushed. Returns MP_EXIT_OK, MP_EXIT_ERROR (capture or database error,
 * reported on stderr) or MP_EXIT_USAGE (a bad filter). */
int mp_pipeline_run(const struct mp_pipeline_cfg *cfg, struct mp_sink *sink,
		    struct mp_analyzer *an);

/* Analyzes the capture file `trace` into the database `db` (created when
 * missing), exactly as `mpana -r trace -q --db db [--db-packets]` would,
 * in this process and printing nothing on stdout; errors go to stderr with
 * the same messages. Returns that command's exit status (MP_EXIT_OK,
 * MP_EXIT_ERROR for a missing, damaged or unsupported trace or a database
 * error), or -1 when it could not be run (out of memory) or SIGINT/SIGTERM
 * interrupted it: the database then holds a partial analysis, and later
 * calls return -1 at once. The caller's SIGINT, SIGTERM and SIGPIPE
 * dispositions are restored before it returns. */
int mp_selfrun_analyze(const char *trace, const char *db, bool packets);

/* The same over several capture files read as one trace (`mpana -r a -r b`,
 * include/mpana/merge.h); n == 1 is mp_selfrun_analyze. Messages name the
 * first file. */
int mp_selfrun_analyze_merged(const char *const *traces, unsigned n,
			      const char *db, bool packets);

#endif /* MPANA_PIPELINE_H */
