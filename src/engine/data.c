/* SPDX-License-Identifier: BSD-2-Clause */
/* data.c - the data level: re-sent data, fallback forms, per-packet accounting.
 *
 * RFC 8684 §3.3, §3.3.6, §3.7. Internals: engine_int.h. */
#include "engine_int.h"

void eng_set_fallback(struct pctx *x, uint8_t form)
{
	struct mp_subflow *sf = x->sf;
	struct mp_conn *c = sf->conn;

	if (sf->fallback == MP_FB_NONE)
		sf->fallback = form;
	if (form == MP_FB_JOIN_REFUSED || !c) {
		eng_ev(x, MP_EV_FALLBACK, MP_OK_UNKNOWN, "%s", mp_fallback_name(form));
		return;
	}
	if (c->fallback != MP_FB_NONE)
		return; /* reported once per connection */
	c->fallback = form;
	eng_ev(x, MP_EV_FALLBACK, MP_OK_UNKNOWN, "%s", mp_fallback_name(form));
}

/* A segment whose data was sent before: a TCP retransmission when it
 * repeats the subflow's own sequence space, else a reinjection (RFC 8684
 * §3.3.6). Off the per-packet path. */
__attribute__((noinline))
void eng_resend_found(struct pctx *x, struct mp_conn *c,
			 const struct mp_dseq_verdict *v)
{
	struct mp_subflow *sf = x->sf;
	struct mp_pkt_ann *a = x->ann;
	uint64_t delay = 0;

	if (v->first) {
		a->resend_of_sf = v->first->sf;
		a->resend_of_frame = v->first->frame;
		delay = x->ts >= v->first->ts_ns ? x->ts - v->first->ts_ns : 0;
		a->resend_delay_ns = delay;
	}
	if (x->tcp_retrans) {
		a->resend = MP_RESEND_RETRANS;
		return;
	}
	a->resend = MP_RESEND_REINJECT;
	c->reinj_frames++;
	c->reinj_bytes += v->resent;
	sf->reinj_bytes[x->d] += v->resent;
	if (delay > c->reinj_max_delay_ns)
		c->reinj_max_delay_ns = delay;
	if (v->first)
		eng_ev(x, MP_EV_REINJECTION, MP_OK_UNKNOWN,
		   "dsn %llu len %u (%llu bytes) first on subflow %u, +%llu us",
		   (unsigned long long)a->seg_dsn, a->seg_dlen,
		   (unsigned long long)v->resent, v->first->sf,
		   (unsigned long long)(delay / 1000));
	else
		eng_ev(x, MP_EV_REINJECTION, MP_OK_UNKNOWN,
		   "dsn %llu len %u (%llu bytes) first sending not kept",
		   (unsigned long long)a->seg_dsn, a->seg_dlen,
		   (unsigned long long)v->resent);
}

void eng_data_accounting(struct pctx *x)
{
	struct mp_subflow *sf = x->sf;
	struct mp_conn *c = sf->conn;
	const struct mp_pkt *p = x->p;

	sf->pkts[x->d]++;
	if (!p->payload_len)
		return;
	sf->bytes[x->d] += p->payload_len;
	if (!c)
		return;
	if (!x->has_dss_map && sf->map_dlen[x->d] && sf->isn_valid[x->d] &&
	    !(p->flags & MP_TH_SYN)) {
		/* a segment after the one that carried its mapping */
		uint32_t seg_len;
		uint64_t seg = mp_seg_dsn(sf->map_dsn64[x->d], sf->map_dlen[x->d],
					  sf->map_ssn[x->d], sf->isn[x->d], p->seq,
					  p->payload_len, &seg_len);
		if (seg_len)
			seg_account(x, c, conn_dir(sf, x->d), seg, seg_len);
	}
	if (!x->has_dss_map && !(p->flags & MP_TH_SYN) && !c->partial &&
	    c->fallback == MP_FB_NONE && sf->kind != MP_SF_PARTIAL &&
	    (sf->ack3_seen || sf->state >= MP_SFS_ESTABLISHED)) {
		/* RFC 8684 §3.7: data without a mapping means fallback, unless a
		 * mapping seen earlier on this subflow still covers it. */
		bool isn_known = x->d == 0 ? sf->syn_ts != 0 : sf->synack_seen;
		uint32_t rel_end = p->seq - sf->isn[x->d] + p->payload_len;
		if (!sf->map_known[x->d] ||
		    (isn_known && mp_seq32_after(rel_end, sf->map_end[x->d])))
			eng_set_fallback(x, MP_FB_DATA_NO_DSS);
	}
	if (!c->app_done && !x->e->cfg.no_appid && p->payload_caplen && p->payload)
		eng_app_feed(x, c);
}
