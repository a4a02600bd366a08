/* SPDX-License-Identifier: BSD-2-Clause */
/* analyzer.c - the per-packet pipeline: decode, count, emit.
 *
 * Nothing here allocates: the decoded packet lives in the analyzer. */
#include <string.h>

#include "mpana/analyzer.h"

void mp_analyzer_init(struct mp_analyzer *a, int dlt, struct mp_sink *sink)
{
	memset(&a->st, 0, sizeof a->st);
	a->dlt = dlt;
	a->sink = sink;
}

static void count_options(struct mp_stats *st, const struct mp_opts *opts)
{
	for (unsigned i = 0; i < opts->n; i++) {
		const struct mp_opt *o = &opts->v[i];
		st->options[o->subtype < 16 ? o->subtype : 16]++;
		if (o->err != MP_E_NONE) {
			st->malformed++;
			st->malformed_by_err[o->err < MP_E__COUNT ? o->err : 0]++;
		}
	}
	if (opts->tcp_err != MP_E_NONE)
		st->tcp_opt_errors++;
}

void mp_analyzer_packet(struct mp_analyzer *a, const struct mp_frame *f,
			const uint8_t *bytes)
{
	struct mp_stats *st = &a->st;
	struct mp_pkt *p = &a->pkt;

	st->packets++;
	if (st->packets == 1)
		st->first_ts_ns = f->ts_ns;
	st->last_ts_ns = f->ts_ns;

	switch (mp_pkt_decode(a->dlt, bytes, f->caplen, p)) {
	case MP_PKT_TCP:
		break;
	case MP_PKT_FRAG:
		st->fragments++;
		return;
	case MP_PKT_TRUNC:
		st->truncated++;
		return;
	case MP_PKT_BAD:
	case MP_PKT_LINK_UNSUPPORTED:
		st->bad++;
		return;
	case MP_PKT_OTHER:
	default:
		st->other++;
		return;
	}
	st->tcp++;
	count_options(st, &p->opts);
	if (p->opts.n == 0)
		return;
	st->mptcp_packets++;
	if (!a->sink->quiet && a->sink->ops->packet)
		a->sink->ops->packet(a->sink, f, p);
}
