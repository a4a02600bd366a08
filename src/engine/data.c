/* SPDX-License-Identifier: BSD-2-Clause */
/* data.c - the data level: re-sent data, fallback forms, per-packet accounting.
 *
 * RFC 8684 §3.3, §3.3.6, §3.7. Internals: engine_int.h. */
#include "engine_int.h"

/* Host bit (enum mp_fb_side) of the sender of subflow direction d. */
static uint8_t side_of(const struct mp_subflow *sf, int d)
{
	return conn_dir(sf, d) == 0 ? MP_FB_SIDE_CLIENT : MP_FB_SIDE_SERVER;
}

void eng_fallback_at(struct mp_engine *e, struct mp_subflow *sf, uint8_t form,
		     uint64_t frame, uint64_t ts, uint8_t side)
{
	struct mp_conn *c = sf->conn;

	if (sf->fallback == MP_FB_NONE) {
		sf->fallback = form;
		sf->fallback_frame = frame;
		sf->fallback_ts = ts;
		sf->fallback_side = side;
	}
	if (form == MP_FB_JOIN_REFUSED || !c) {
		eng_ev_raw(e, frame, ts, c ? c->id : 0, sf->id, MP_EV_FALLBACK,
			   "%s", mp_fallback_name(form));
		return;
	}
	if (c->fallback != MP_FB_NONE)
		return; /* reported once per connection */
	c->fallback = form;
	c->fallback_frame = frame;
	c->fallback_ts = ts;
	c->fallback_sf = sf->id;
	c->fallback_side = side;
	eng_ev_raw(e, frame, ts, c->id, sf->id, MP_EV_FALLBACK, "%s",
		   mp_fallback_name(form));
}

/* Who falls back for each form, proved by the packet in hand
 * (MPTCP-NOTES.md, "Fallback"): the client on a SYN/ACK without
 * MP_CAPABLE (MPCapableFallbackSYNACK), the server on a third ACK without
 * it (MPCapableFallbackACK), both ends otherwise (an infinite mapping,
 * MP_FAIL); a refused join: its initiator. Crossed SYNs and TCP-MD5 name
 * their side in endings.c. */
void eng_set_fallback(struct pctx *x, uint8_t form)
{
	uint8_t side = MP_FB_SIDE_BOTH;

	if (form == MP_FB_NO_MPC_SYNACK)
		side = MP_FB_SIDE_CLIENT;
	else if (form == MP_FB_NO_MPC_ACK)
		side = MP_FB_SIDE_SERVER;
	else if (form == MP_FB_JOIN_REFUSED)
		side = side_of(x->sf, 0);
	eng_fallback_at(x->e, x->sf, form, x->frame, x->ts, side);
}

/* Fallback "no_dss" (RFC 8684 §3.7): decides from the runs of packets
 * without MPTCP options of `sf` whether the mappings stopped for good.
 * Two ways show it:
 *  - data arrives in direction d that no seen mapping covers, and the
 *    receiver sends no MPTCP option from then on (it fell back: the
 *    kernel's DssFallback is counted by the receiver): the receiver fell
 *    back, proved by the first such data packet. One missed packet that
 *    carried a mapping leaves the receiver's DATA_ACKs going, and a
 *    mapping covers at most 65535 bytes, so this needs the receiver's own
 *    run of `k` packets, or more uncovered data than a mapping can hold;
 *  - a host's packets stop carrying MPTCP options (no data of its own
 *    among them) while the other host keeps sending data: that host fell
 *    back (a middlebox that strips options after the handshake, seen at
 *    the other end), proved by its first packet without them.
 * `final`: the subflow or its connection ended, the runs are for good and
 * fewer packets do. Off the per-packet path. */
#define NODSS_PKTS 16      /* packets in a run that decide at once */
#define NODSS_END_PKTS 3   /* idem once the subflow ended */
#define MAP_LEN_MAX 65535u /* a mapping's data-level length is 16 bits */

__attribute__((noinline))
void eng_nodss_decide(struct mp_engine *e, struct mp_subflow *sf, bool final)
{
	uint32_t k = final ? NODSS_END_PKTS : NODSS_PKTS;
	uint64_t frame = UINT64_MAX, ts = 0;
	uint8_t side = MP_FB_SIDE_NONE;

	if (!sf->conn || sf->fallback != MP_FB_NONE ||
	    sf->conn->fallback != MP_FB_NONE)
		return;
	for (int d = 0; d < 2; d++) {
		const struct mp_nodss_run *r = &sf->nodss[d], *o = &sf->nodss[1 - d];
		if (!r->frame)
			continue;
		if (r->data_frame) {
			bool quiet = !r->peer_spoke;
			bool span = r->data_end - r->data_seq > MAP_LEN_MAX;
			if (quiet && (span || (o->frame && o->pkts >= k))) {
				side |= side_of(sf, 1 - d);
				if (r->data_frame < frame) {
					frame = r->data_frame;
					ts = r->data_ts;
				}
			}
		} else if (r->pkts >= k && r->peer_data >= k) {
			side |= side_of(sf, d);
			if (r->frame < frame) {
				frame = r->frame;
				ts = r->ts;
			}
		}
	}
	if (side != MP_FB_SIDE_NONE)
		eng_fallback_at(e, sf, MP_FB_DATA_NO_DSS, frame, ts, side);
}

/* A packet with MPTCP options while a run without them is open on its
 * subflow: its direction's run ends, the other direction's learns that
 * this host still speaks MPTCP. */
__attribute__((noinline))
static void nodss_opt(struct pctx *x)
{
	struct mp_subflow *sf = x->sf;
	struct mp_nodss_run *o = &sf->nodss[1 - x->d];

	sf->nodss[x->d].frame = 0;
	if (o->frame && o->data_frame)
		o->peer_spoke = true;
	if (o->frame && x->p->payload_len)
		o->peer_data++;
}

/* A packet without any MPTCP option on an MPTCP subflow (x->sf, its
 * connection c): extends the direction's run (eng_nodss_decide). */
__attribute__((noinline))
static void nodss_add(struct pctx *x, struct mp_conn *c)
{
	struct mp_subflow *sf = x->sf;
	struct mp_nodss_run *r = &sf->nodss[x->d];
	const struct mp_pkt *p = x->p;

	if (c->fallback != MP_FB_NONE || sf->fallback != MP_FB_NONE ||
	    c->partial || sf->kind == MP_SF_PARTIAL)
		return;
	if (sf->nodss[1 - x->d].frame && p->payload_len)
		sf->nodss[1 - x->d].peer_data++;
	if ((p->flags & (MP_TH_SYN | MP_TH_RST)) || sf->fin[0] || sf->fin[1] ||
	    c->closed || sf->state == MP_SFS_CLOSED ||
	    !(sf->ack3_seen || sf->state >= MP_SFS_ESTABLISHED))
		return; /* endings and handshakes carry no DSS anyway */
	if (!r->frame) {
		memset(r, 0, sizeof *r);
		r->frame = x->frame;
		r->ts = x->ts;
	}
	r->pkts++;
	if (p->payload_len && !x->has_dss_map) {
		bool isn_known = x->d == 0 ? sf->syn_ts != 0 : sf->synack_seen;
		uint32_t rel_end = p->seq - sf->isn[x->d] + p->payload_len;
		if (!sf->map_known[x->d] ||
		    (isn_known && mp_seq32_after(rel_end, sf->map_end[x->d]))) {
			if (!r->data_frame) {
				r->data_frame = x->frame;
				r->data_ts = x->ts;
				r->data_seq = rel_end - p->payload_len;
				r->data_end = rel_end;
			} else if (mp_seq32_after(rel_end, r->data_end)) {
				r->data_end = rel_end;
			}
		}
	}
	eng_nodss_decide(x->e, sf, false);
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
	/* RFC 8684 §3.7: fallback when the mappings stop for good
	 * (eng_nodss_decide), never from one packet alone. Per packet only
	 * the test that no run without options is open. */
	if (__builtin_expect(p->opts.n != 0, 1)) {
		if (__builtin_expect(sf->nodss[0].frame | sf->nodss[1].frame, 0))
			nodss_opt(x);
	} else if (c) {
		nodss_add(x, c);
	}
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
	if (!c->app_done && !x->e->cfg.no_appid && p->payload_caplen && p->payload)
		eng_app_feed(x, c);
}
