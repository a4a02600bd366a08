/* SPDX-License-Identifier: BSD-2-Clause */
/* check.h - `mpana check`: expectations on captured traces (docs/check.md). */
#ifndef MPANA_CHECK_H
#define MPANA_CHECK_H

/* argv[0] is "check". Returns 0 (all hold), 1 (one fails) or 2 (usage,
 * input or expectation-file error). */
int mp_cmd_check(int argc, char **argv);

#endif /* MPANA_CHECK_H */
