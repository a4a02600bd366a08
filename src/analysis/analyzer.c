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
#include "mpana/joins.h"
#include "mpana/out.h"
#include "mpana/stall.h"

void mp_analyzer_init(struct mp_analyzer *a, int dlt, struct mp_sink *sink)
{
	memset(&a->st, 0, sizeof a->st);
	a->dlt = dlt;
	a->sink = sink;
	a->eng = NULL;
	a->fo = NULL;
	a->jn = NULL;
	a->eng_failed = false;
	a->max_conns = 0;
	a->idle_ns = 0;
	a->no_appid = false;
	a->sinks[0] = sink;
	a->n_sinks = 1;
	a->dlt_told = false;
	a->predecoded = false; /* `a` may come from malloc (mp_selfrun_analyze) */
	a->stalls = NULL;
	a->any_frame = sink->ops->frame != NULL;
}

bool mp_analyzer_add_sink(struct mp_analyzer *a, struct mp_sink *s)
{
	if (a->n_sinks >= MP_SINKS_MAX)
		return false;
	a->sinks[a->n_sinks++] = s;
	a->any_frame |= s->ops->frame != NULL;
	return true;
}

/* Calls op OP of every sink that has it, with the arguments after the
 * sink. */
#define EACH_SINK(a, op, ...)                                              \
	do {                                                               \
		for (unsigned k_ = 0; k_ < (a)->n_sinks; k_++) {           \
			struct mp_sink *s_ = (a)->sinks[k_];                \
			if (s_->ops->op)                                    \
				s_->ops->op(s_, __VA_ARGS__);               \
		}                                                          \
	} while (0)

static void on_stall(void *user, const struct mp_stall *s)
{
	struct mp_analyzer *a = user;

	a->st.conn_stalls++;
	EACH_SINK(a, stall, s);
}

static void on_event(void *user, const struct mp_event *ev)
{
	struct mp_analyzer *a = user;

	if (ev->type == MP_EV_HMAC_FAILURE)
		a->st.hmac_failures++;
	mp_fo_event(a->fo, ev);
	/* the packet being processed made it, unless it is an end-of-run event */
	mp_jn_event(a->jn, ev, ev->frame ? mp_engine_current(a->eng) : NULL,
		    ev->frame ? &a->pkt : NULL);
	EACH_SINK(a, event, ev);
}

static void on_conn(void *user, const struct mp_conn *c)
{
	struct mp_analyzer *a = user;

	/* its episodes first: sinks show them in the connection's record */
	mp_fo_conn_end(a->fo, c->id, a->st.last_ts_ns);
	mp_jn_conn_end(a->jn, c, a->st.last_ts_ns);
	mp_st_conn_end(a->stalls, c->id, c->last_ts);
	EACH_SINK(a, conn, c);
}

static void on_loose(void *user, const struct mp_subflow *sf)
{
	struct mp_analyzer *a = user;

	a->st.unattributed++;
	EACH_SINK(a, loose, sf);
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
	EACH_SINK(a, failover, f);
}

static void on_failback(void *user, const struct mp_failover *f)
{
	struct mp_analyzer *a = user;

	EACH_SINK(a, failback, f);
}

static void on_join_attempt(void *user, const struct mp_join_attempt *r)
{
	struct mp_analyzer *a = user;

	a->st.join_attempts++;
	a->st.join_failed += r->outcome != MP_JN_ESTABLISHED;
	EACH_SINK(a, join_attempt, r);
}

static void on_address(void *user, const struct mp_addr_use *u)
{
	struct mp_analyzer *a = user;

	a->st.addresses++;
	a->st.addresses_unused += u->verdict == MP_AU_UNUSED;
	EACH_SINK(a, address, u);
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
	a->jn = mp_jn_new(&(struct mp_jn_cfg){ .on_attempt = on_join_attempt,
					       .on_address = on_address,
					       .user = a });
	a->stalls = mp_st_new(&(struct mp_st_cfg){ .on_stall = on_stall, .user = a });
	a->eng = a->fo && a->jn && a->stalls ? mp_engine_new(&cfg) : NULL;
	a->eng_failed = a->eng == NULL;
	if (!a->eng) {
		mp_fo_free(a->fo);
		a->fo = NULL;
		mp_jn_free(a->jn);
		a->jn = NULL;
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
	mp_jn_free(a->jn);
	a->jn = NULL;
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

static inline void analyze(struct mp_analyzer *a, const struct mp_frame *f,
			   const uint8_t *bytes)
{
	struct mp_stats *st = &a->st;
	struct mp_pkt *p = &a->pkt;

	st->packets++;
	if (st->packets == 1) {
		st->first_ts_ns = f->ts_ns;
		if (!a->dlt_told) {
			EACH_SINK(a, linktype, a->dlt);
			a->dlt_told = true;
		}
	}
	st->last_ts_ns = f->ts_ns;

	enum mp_pkt_status status;

	if (__builtin_expect(a->predecoded, 0)) { /* mp_analyzer_packet_decoded */
		status = a->predecoded_status;
		a->predecoded = false;
	} else {
		status = mp_pkt_decode(a->dlt, bytes, f->caplen, p);
	}
	switch (status) {
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
	} else {
		memset(&a->ann, 0, sizeof a->ann);
		memset(a->ann.hmac_ok, MP_OK_UNKNOWN, sizeof a->ann.hmac_ok);
	}
	if (p->opts.n)
		st->mptcp_packets++;
	for (unsigned k = 0; k < a->n_sinks; k++) {
		struct mp_sink *s = a->sinks[k];
		if (s->ops->packet && (s->all_packets || (p->opts.n && !s->quiet)))
			s->ops->packet(s, f, p, &a->ann);
	}
}

void mp_analyzer_packet(struct mp_analyzer *a, const struct mp_frame *f,
			const uint8_t *bytes)
{
	uint64_t tcp = a->st.tcp;

	analyze(a, f, bytes);
	/* then the record itself, with its connection when it is TCP */
	if (__builtin_expect(a->any_frame, 0))
		EACH_SINK(a, frame, f, a->dlt, bytes, a->st.tcp != tcp ? &a->ann : NULL);
}

void mp_analyzer_packet_decoded(struct mp_analyzer *a, const struct mp_frame *f,
				const uint8_t *bytes, enum mp_pkt_status status)
{
	a->predecoded = true;
	a->predecoded_status = status;
	mp_analyzer_packet(a, f, bytes);
}

bool mp_analyzer_must_stop(const struct mp_analyzer *a)
{
	for (unsigned k = 0; k < a->n_sinks; k++) {
		const struct mp_sink *s = a->sinks[k];
		if ((s->out && s->out->err) || (s->ops->failed && s->ops->failed(s)))
			return true;
	}
	return false;
}
