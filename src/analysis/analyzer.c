/* SPDX-License-Identifier: BSD-2-Clause */
/* analyzer.c - the per-packet pipeline: decode, count, reassemble, emit.
 *
 * RFC 8684 §3. Every decoded TCP packet goes through the connection engine
 * (src/engine/engine.c) and then the analysis stage (src/analysis/) before the
 * sink, also packets without MPTCP options: FIN, RST and data without DSS
 * end subflows or reveal fallback, plain ACKs end outages. Per packet
 * nothing is allocated: the decoded packet and its annotations live in the
 * analyzer; the engine allocates only for new subflows and connections. */
#include <string.h>

#include "mpana/analyzer.h"
#include "mpana/failover.h"
#include "mpana/out.h"
#include "mpana/stall.h"
#include "mpana/store.h"

void mp_analyzer_init(struct mp_analyzer *a, int dlt, struct mp_sink *sink)
{
	memset(&a->st, 0, sizeof a->st);
	a->dlt = dlt;
	a->sink = sink;
	a->eng = NULL;
	a->fo = NULL;
	a->eng_failed = false;
	a->max_conns = 0;
	a->idle_ns = 0;
	a->no_appid = false;
	a->store = NULL;
	a->store_dlt_set = false;
	a->stalls = NULL;
}

static void on_stall(void *user, const struct mp_stall *s)
{
	struct mp_analyzer *a = user;

	a->st.conn_stalls++;
	if (a->store)
		mp_store_on_stall(a->store, s);
	if (a->sink->ops->stall)
		a->sink->ops->stall(a->sink, s);
}

static void on_event(void *user, const struct mp_event *ev)
{
	struct mp_analyzer *a = user;

	if (ev->type == MP_EV_HMAC_FAILURE)
		a->st.hmac_failures++;
	mp_fo_event(a->fo, ev);
	if (a->store)
		mp_store_on_event(a->store, ev);
	if (a->sink->ops->event)
		a->sink->ops->event(a->sink, ev);
}

static void on_conn(void *user, const struct mp_conn *c)
{
	struct mp_analyzer *a = user;

	/* its episodes first: sinks show them in the connection's record */
	mp_fo_conn_end(a->fo, c->id, a->st.last_ts_ns);
	mp_st_conn_end(a->stalls, c->id, c->last_ts);
	if (a->store)
		mp_store_on_conn(a->store, c);
	if (a->sink->ops->conn)
		a->sink->ops->conn(a->sink, c);
}

static void on_loose(void *user, const struct mp_subflow *sf)
{
	struct mp_analyzer *a = user;

	a->st.unattributed++;
	if (a->store)
		mp_store_on_subflow(a->store, sf);
	if (a->sink->ops->loose)
		a->sink->ops->loose(a->sink, sf);
}

static void on_signal(void *user, const struct mp_sf_signal *sig)
{
	struct mp_analyzer *a = user;

	mp_fo_signal(a->fo, sig);
}

static void on_episode(void *user, const struct mp_failover *f)
{
	struct mp_analyzer *a = user;

	if (f->kind == MP_FO_FAILOVER) {
		a->st.failovers++;
		if (f->latency_ns > a->st.failover_max_latency_ns)
			a->st.failover_max_latency_ns = f->latency_ns;
	} else {
		a->st.stalls++;
	}
	if (a->store)
		mp_store_on_failover(a->store, f);
	if (a->sink->ops->failover)
		a->sink->ops->failover(a->sink, f);
}

static void on_failback(void *user, const struct mp_failover *f)
{
	struct mp_analyzer *a = user;

	if (a->store)
		mp_store_on_failback(a->store, f);
	if (a->sink->ops->failback)
		a->sink->ops->failback(a->sink, f);
}

/* Creates the engine on first use; false when it cannot exist (OOM). */
static bool engine_ready(struct mp_analyzer *a)
{
	struct mp_engine_cfg cfg;

	if (a->eng)
		return true;
	if (a->eng_failed)
		return false;
	memset(&cfg, 0, sizeof cfg);
	cfg.max_conns = a->max_conns;
	cfg.idle_ns = a->idle_ns;
	cfg.no_appid = a->no_appid;
	cfg.on_event = on_event;
	cfg.on_conn = on_conn;
	cfg.on_subflow = on_loose;
	cfg.on_signal = on_signal;
	cfg.user = a;
	a->fo = mp_fo_new(&(struct mp_fo_cfg){ .on_episode = on_episode,
					       .on_failback = on_failback,
					       .user = a });
	a->stalls = mp_st_new(&(struct mp_st_cfg){ .on_stall = on_stall, .user = a });
	a->eng = a->fo && a->stalls ? mp_engine_new(&cfg) : NULL;
	a->eng_failed = a->eng == NULL;
	if (!a->eng) {
		mp_fo_free(a->fo);
		a->fo = NULL;
		mp_st_free(a->stalls);
		a->stalls = NULL;
	}
	return a->eng != NULL;
}

void mp_analyzer_finish(struct mp_analyzer *a)
{
	const struct mp_engine_stats *es;

	if (!a->eng)
		return;
	es = mp_engine_stats(a->eng);
	a->st.conns = es->conns;
	a->st.subflows = es->subflows;
	a->st.evicted = es->evicted;
	a->st.expired = es->expired;
	mp_engine_free(a->eng); /* emits the rest through the callbacks */
	a->eng = NULL;
	mp_fo_free(a->fo);
	a->fo = NULL;
	mp_st_free(a->stalls);
	a->stalls = NULL;
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

/* Hands a packet of a connection to the analysis stage: the engine's
 * annotation carries its data-level facts, 64-bit already. */
static inline void analysis_packet(struct mp_analyzer *a, const struct mp_frame *f,
				   const struct mp_pkt *p, const struct mp_pkt_ann *ann)
{
	struct mp_fo_pkt fp = { f->num, f->ts_ns, p, ann };

	mp_fo_packet(a->fo, &fp);
	mp_st_packet(a->stalls, f->num, f->ts_ns, p, ann);
}

void mp_analyzer_packet(struct mp_analyzer *a, const struct mp_frame *f,
			const uint8_t *bytes)
{
	struct mp_stats *st = &a->st;
	struct mp_pkt *p = &a->pkt;

	st->packets++;
	if (st->packets == 1) {
		st->first_ts_ns = f->ts_ns;
		if (a->store && !a->store_dlt_set) {
			mp_store_set_linktype(a->store, a->dlt);
			a->store_dlt_set = true;
		}
	}
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
	if (engine_ready(a)) {
		mp_engine_packet(a->eng, f->num, f->ts_ns, p, &a->ann);
		if (a->ann.conn)
			analysis_packet(a, f, p, &a->ann);
		if (a->store)
			mp_store_packet(a->store, f->num, f->ts_ns, p, &a->ann);
	} else {
		memset(&a->ann, 0, sizeof a->ann);
		memset(a->ann.hmac_ok, MP_OK_UNKNOWN, sizeof a->ann.hmac_ok);
	}
	if (p->opts.n == 0)
		return;
	st->mptcp_packets++;
	if (!a->sink->quiet && a->sink->ops->packet)
		a->sink->ops->packet(a->sink, f, p, &a->ann);
}

bool mp_analyzer_must_stop(const struct mp_analyzer *a)
{
	return a->sink->out->err != 0 || (a->store && mp_store_failed(a->store));
}
