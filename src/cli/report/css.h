/* SPDX-License-Identifier: BSD-2-Clause */
/* css.h - the report's style sheet, src/cli/report/report.css, embedded at
 * build time by cmake/embed.cmake (CMakeLists.txt) like docs/schema.sql. */
#ifndef MPANA_REPORT_CSS_H
#define MPANA_REPORT_CSS_H

/* The bytes of report.css, NUL-terminated; copied into each page's <style>. */
extern const char mp_report_css[];

#endif /* MPANA_REPORT_CSS_H */
