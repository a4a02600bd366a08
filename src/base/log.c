/* SPDX-License-Identifier: BSD-2-Clause */
/* log.c - diagnostics on stderr (STYLE R17). */
#include <stdarg.h>
#include <stdio.h>

#include "mpana/log.h"

int mp_log_level = MP_LOG_WARN;
const char *mp_progname = "mpana";

void mp_log_emit(int lvl, const char *fmt, ...)
{
	va_list ap;
	(void)lvl;
	fprintf(stderr, "%s: ", mp_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
