/* SPDX-License-Identifier: BSD-2-Clause */
/* sink.c - the store as one of the analyzer's sinks (analyzer.h). */
#include "store_int.h"

/* ---- the store as a sink (analyzer.h) ------------------------------- */

static void sk_packet(struct mp_sink *s, const struct mp_frame *f,
		      const struct mp_pkt *p, const struct mp_pkt_ann *ann)
{
	mp_store_packet(s->user, f->num, f->ts_ns, p, ann);
}

static void sk_conn(struct mp_sink *s, const struct mp_conn *c)
{
	mp_store_on_conn(s->user, c);
}

static void sk_loose(struct mp_sink *s, const struct mp_subflow *sf)
{
	mp_store_on_subflow(s->user, sf);
}

static void sk_event(struct mp_sink *s, const struct mp_event *ev)
{
	mp_store_on_event(s->user, ev);
}

static void sk_failover(struct mp_sink *s, const struct mp_failover *f)
{
	mp_store_on_failover(s->user, f);
}

static void sk_failback(struct mp_sink *s, const struct mp_failover *f)
{
	mp_store_on_failback(s->user, f);
}

static void sk_join_attempt(struct mp_sink *s, const struct mp_join_attempt *r)
{
	mp_store_on_join_attempt(s->user, r);
}

static void sk_address(struct mp_sink *s, const struct mp_addr_use *u)
{
	mp_store_on_address_use(s->user, u);
}

static void sk_stall(struct mp_sink *s, const struct mp_stall *x)
{
	mp_store_on_stall(s->user, x);
}

static void sk_linktype(struct mp_sink *s, int dlt)
{
	mp_store_set_linktype(s->user, dlt);
}

static bool sk_failed(const struct mp_sink *s)
{
	return mp_store_failed(s->user);
}

static const struct mp_sink_ops store_ops = {
	.packet = sk_packet,
	.conn = sk_conn,
	.loose = sk_loose,
	.event = sk_event,
	.failover = sk_failover,
	.failback = sk_failback,
	.linktype = sk_linktype,
	.failed = sk_failed,
	.join_attempt = sk_join_attempt,
	.address = sk_address,
	.stall = sk_stall,
};

void mp_sink_store_init(struct mp_sink *s, struct mp_store *st)
{
	memset(s, 0, sizeof *s);
	s->ops = &store_ops;
	s->all_packets = true; /* its batches follow capture time */
	s->user = st;
}
