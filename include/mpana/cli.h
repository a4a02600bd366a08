/* SPDX-License-Identifier: BSD-2-Clause */
/* cli.h - the mpana command line (src/cli/): its exit statuses and the
 * entry points of the subcommands that main.c dispatches to.
 *
 * Exit statuses are what users and scripts see (docs/mpana.1 EXIT STATUS,
 * docs/check.md): their numbers never change. `mpana check` gives 1 and 2
 * meanings of its own, so it has names of its own for them. */
#ifndef MPANA_CLI_H
#define MPANA_CLI_H

enum mp_exit {
	/* mpana, graph, query, report */
	MP_EXIT_OK = 0,          /* success, also after SIGINT/SIGTERM */
	MP_EXIT_ERROR = 1,       /* capture, database, SQL or output error
				  * (message on stderr) */
	MP_EXIT_USAGE = 2,       /* bad command line, including a bad filter */
	/* mpana check (docs/check.md); 0 is MP_EXIT_OK: every expectation holds */
	MP_EXIT_CHECK_FAIL = 1,  /* an expectation does not hold */
	MP_EXIT_CHECK_ERROR = 2, /* usage error, a trace that cannot be read,
				  * an expectation-file or output error */
	/* mpana mib (docs/mpana.1); 0 is MP_EXIT_OK: with --nstat, all equal */
	MP_EXIT_MIB_DIFF = 1,    /* --nstat: a derived counter differs */
	MP_EXIT_MIB_ERROR = 2,   /* usage error, unreadable trace or nstat file */
};

/* Subcommands: argv[0] is the subcommand's name ("query", ...), the rest
 * its own arguments. Each returns an exit status above. */

/* `mpana graph TRACE [--conn ID] [--format dot|json]` (src/cli/graph.c). */
int mp_cmd_graph(int argc, char **argv);

/* `mpana query [--table|--csv|--json] DB NAME|SQL` (src/cli/query.c): opens
 * DB read-only. MP_EXIT_OK, MP_EXIT_ERROR (SQL or database error) or
 * MP_EXIT_USAGE. */
int mp_cmd_query(int argc, char **argv);

/* `mpana check TRACE... [--expect FILE] [--junit FILE]` (src/cli/check.c,
 * docs/check.md): MP_EXIT_OK, MP_EXIT_CHECK_FAIL or MP_EXIT_CHECK_ERROR. */
int mp_cmd_check(int argc, char **argv);

/* `mpana report TRACE|DB -o FILE [--conn ID]` (src/cli/report/report.c,
 * docs/report.md): MP_EXIT_OK, MP_EXIT_ERROR (analysis, database or output
 * error) or MP_EXIT_USAGE. */
int mp_cmd_report(int argc, char **argv);

/* `mpana mib TRACE [--side client|server|ADDR] [--json] [--nstat FILE]`
 * (src/cli/mib.c, docs/mpana.1 MIB COUNTERS): MP_EXIT_OK, MP_EXIT_MIB_DIFF
 * or MP_EXIT_MIB_ERROR. */
int mp_cmd_mib(int argc, char **argv);

#endif /* MPANA_CLI_H */
