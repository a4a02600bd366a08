/* SPDX-License-Identifier: BSD-2-Clause */
/* log.h - diagnostics go to stderr only; stdout carries data (STYLE R17). */
#ifndef MPANA_LOG_H
#define MPANA_LOG_H

enum { MP_LOG_ERR = 0, MP_LOG_WARN = 1, MP_LOG_INFO = 2, MP_LOG_DEBUG = 3 };

extern int mp_log_level;       /* messages above this level are dropped */
extern const char *mp_progname; /* prefix of every message */

/* Arguments are evaluated only when the level passes (the Redis pattern). */
#define MP_LOG(lvl, ...)                                                   \
	do {                                                               \
		if ((lvl) <= mp_log_level)                                 \
			mp_log_emit((lvl), __VA_ARGS__);                   \
	} while (0)

void mp_log_emit(int lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* MPANA_LOG_H */
