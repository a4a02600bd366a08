/* SPDX-License-Identifier: BSD-2-Clause */
/* selfrun.h - run this mpana binary on a trace into a database, for the
 * subcommands that work on a database (check, report). */
#ifndef MPANA_SELFRUN_H
#define MPANA_SELFRUN_H

#include <stdbool.h>

#include "mpana/cli.h"

/* Runs `mpana -r trace -q --db db [--db-packets]` with this same binary
 * (/proc/self/exe), its stdout discarded and its stderr shared. Returns its
 * exit status, or -1 when it could not be run or died of a signal. */
int mp_selfrun_analyze(const char *trace, const char *db, bool packets);

#endif /* MPANA_SELFRUN_H */
