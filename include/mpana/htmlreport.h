/* SPDX-License-Identifier: BSD-2-Clause */
/* htmlreport.h - `mpana report TRACE|DB -o FILE [--conn ID]`: one
 * self-contained HTML page (inline SVG and CSS, no script) per capture
 * (src/cli/report/: report.c is the command, report_int.h lists the
 * other parts; docs/report.md). */
#ifndef MPANA_HTMLREPORT_H
#define MPANA_HTMLREPORT_H

/* argv[0] is "report". Returns 0, 1 (analysis, database or output error)
 * or 2 (usage). */
int mp_cmd_report(int argc, char **argv);

#endif /* MPANA_HTMLREPORT_H */
