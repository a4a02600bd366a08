/* SPDX-License-Identifier: BSD-2-Clause */
/* record_keys.h - the JSON key writers every analysis record uses
 * (failover, join attempt, address, stall records; src/sinks/ only):
 * `,"name":` then the value, times in epoch seconds with 9 decimals,
 * durations in ms with 3, null for what is not known. */
#ifndef MPANA_RECORD_KEYS_H
#define MPANA_RECORD_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "mpana/out.h"

static inline void key(struct mp_out *o, const char *k)
{
	mp_out_str(o, ",\"");
	mp_out_str(o, k);
	mp_out_str(o, "\":");
}

static inline void ms(struct mp_out *o, uint64_t ns)
{
	uint64_t us = ns / 1000u;

	mp_out_u64(o, us / 1000u);
	mp_out_ch(o, '.');
	mp_out_ch(o, (char)('0' + us / 100u % 10u));
	mp_out_ch(o, (char)('0' + us / 10u % 10u));
	mp_out_ch(o, (char)('0' + us % 10u));
}

static inline void kts(struct mp_out *o, const char *k, uint64_t ts)
{
	key(o, k);
	if (ts)
		mp_out_ts(o, ts, 9);
	else
		mp_out_str(o, "null");
}

static inline void kid(struct mp_out *o, const char *k, uint64_t v)
{
	key(o, k);
	if (v)
		mp_out_u64(o, v);
	else
		mp_out_str(o, "null");
}

static inline void kstr(struct mp_out *o, const char *k, const char *v)
{
	key(o, k);
	if (v && *v)
		mp_out_json_str(o, v);
	else
		mp_out_str(o, "null");
}

#endif /* MPANA_RECORD_KEYS_H */
