/* SPDX-License-Identifier: BSD-2-Clause */
/* endings.c - TCP handshakes and endings of subflows and connections.
 *
 * RFC 8684 §3.1, §3.2, §3.5, §3.6. Internals: engine_int.h. */
#include "engine_int.h"

/* Options of a SYN/ACK without MPTCP from which one was blanked out: a
 * plain SYN/ACK carries 20 bytes (MSS, SACK permitted, timestamps, NOP,
 * window scale), and a middlebox that resets MP_CAPABLE leaves its 12
 * bytes as NOPs (pcaps/strip_synack.pcap: 32). */
#define SYNACK_BLANKED_OPT_LEN 32

void eng_conn_close(struct pctx *x, struct mp_conn *c, uint8_t reason)
{
	if (c->closed)
		return;
	c->closed = true;
	if (c->close_reason == MP_CLOSE_NONE)
		c->close_reason = reason;
	c->closed_ts = x->ts;
	eng_ev(x, MP_EV_CONN_CLOSED, MP_OK_UNKNOWN, "%s",
	   mp_close_reason_name(c->close_reason));
}

static void sf_close(struct pctx *x, uint8_t reason)
{
	struct mp_subflow *sf = x->sf, *s;
	struct mp_conn *c = sf->conn;

	if (sf->state == MP_SFS_CLOSED)
		return;
	eng_nodss_decide(x->e, sf, true); /* its runs without options are final */
	sf->state = MP_SFS_CLOSED;
	sf->close_reason = reason;
	sf->closed_ts = x->ts;
	eng_ev(x, MP_EV_SUBFLOW_CLOSED, MP_OK_UNKNOWN, "%s%s%s",
	   mp_close_reason_name(reason), reason == MP_CLOSE_TCPRST ? " " : "",
	   reason == MP_CLOSE_TCPRST ? mp_tcprst_reason_name(sf->tcprst_reason) : "");
	if (!c)
		return;
	for (s = c->sf_head; s; s = s->conn_next)
		if (s->state != MP_SFS_CLOSED)
			return;
	eng_conn_close(x, c, (c->dir[0].data_fin && c->dir[1].data_fin)
				 ? MP_CLOSE_DATA_FIN : MP_CLOSE_SUBFLOWS);
}

bool eng_has_subtype(const struct mp_opts *o, uint8_t subtype)
{
	for (unsigned i = 0; i < o->n; i++)
		if (o->v[i].subtype == subtype && o->v[i].err == MP_E_NONE)
			return true;
	return false;
}

/* The SYN and SYN/ACK of a subflow (tcp_handshake). */
__attribute__((noinline))
void eng_tcp_handshake_syn(struct pctx *x)
{
	struct mp_subflow *sf = x->sf;
	const struct mp_pkt *p = x->p;
	uint8_t fl = p->flags;

	if (!(fl & MP_TH_ACK)) {
		if (x->d == 1 && sf->kind == MP_SF_INITIAL && sf->syn_ts &&
		    !sf->synack_seen)
			/* The other end's SYN crossed the MP_CAPABLE SYN (RFC
			 * 793 §3.4 simultaneous open): the client's socket, in
			 * SYN-SENT, falls back when it answers with its SYN/ACK
			 * (Linux: SimultConnectFallback), whatever that SYN
			 * carries; the other end too when its SYN was
			 * MP_CAPABLE (it gets a SYN/ACK without MP_CAPABLE, or
			 * crossed as well). A SYN after the SYN/ACK is no
			 * crossing. */
			eng_fallback_at(x->e, sf, MP_FB_SIMULTANEOUS, x->frame, x->ts,
					eng_has_subtype(&p->opts, MPTCP_SUB_CAPABLE)
						? MP_FB_SIDE_BOTH : MP_FB_SIDE_CLIENT);
		if (x->d == 0 && sf->syn_ts && sf->kind == MP_SF_INITIAL &&
		    !sf->synack_seen && sf->isn_valid[0] && p->seq == sf->isn[0] &&
		    !eng_has_subtype(&p->opts, MPTCP_SUB_CAPABLE))
			/* The MP_CAPABLE SYN went unanswered and the client
			 * retransmits it without MP_CAPABLE: it fell back
			 * before any answer (Linux: after
			 * net.mptcp.syn_retrans_before_tcp_fallback timeouts,
			 * MPCapableSYNTXDrop, blackhole detection). Whatever
			 * SYN/ACK follows answers a plain TCP SYN. */
			eng_fallback_at(x->e, sf, MP_FB_MPC_SYN_DROPPED, x->frame,
					x->ts, MP_FB_SIDE_CLIENT);
		if (x->d == 0 && !sf->syn_ts) {
			sf->syn_ts = x->ts;
			sf->syn_frame = x->frame;
			sf->isn[0] = p->seq;
			sf->isn_valid[0] = true;
			sf->state = MP_SFS_SYN_SENT;
		}
		return;
	}
	if (x->d != 1 || sf->synack_seen)
		return;
	sf->synack_seen = true;
	sf->isn[1] = p->seq;
	sf->isn_valid[1] = true;
	if (sf->state < MP_SFS_SYN_RCVD)
		sf->state = MP_SFS_SYN_RCVD;
	if (sf->kind == MP_SF_INITIAL && p->opts.tcp_md5 &&
	    !eng_has_subtype(&p->opts, MPTCP_SUB_CAPABLE)) {
		/* A server that signs its SYN/ACK with TCP-MD5 (RFC 2385)
		 * does not speak MPTCP on it (Linux: no MPTCP on a socket
		 * with an MD5 key, "or we may run out of TCP option space";
		 * MD5SigFallback): the client falls back. MD5 with
		 * MP_CAPABLE answered is no fallback. */
		eng_fallback_at(x->e, sf, MP_FB_MD5SIG, x->frame, x->ts,
				MP_FB_SIDE_CLIENT);
	} else if (sf->kind == MP_SF_INITIAL &&
	    !eng_has_subtype(&p->opts, MPTCP_SUB_CAPABLE)) {
		/* The client falls back here (MPCapableFallbackSYNACK). Room
		 * for a blanked-out option (a middlebox reset the server's
		 * MP_CAPABLE to NOPs) shows that the server spoke MPTCP: it
		 * falls back too, at the third ACK (MPCapableFallbackACK). */
		eng_fallback_at(x->e, sf, MP_FB_NO_MPC_SYNACK, x->frame, x->ts,
				p->tcp_hdr_len >= 20 + SYNACK_BLANKED_OPT_LEN
					? MP_FB_SIDE_BOTH : MP_FB_SIDE_CLIENT);
	}
	else if (sf->kind == MP_SF_JOIN &&
		 !eng_has_subtype(&p->opts, MPTCP_SUB_JOIN))
		eng_set_fallback(x, MP_FB_JOIN_REFUSED);
}

/* An ACK without SYN: the third ACK, or a join's fourth (tcp_handshake). */
__attribute__((noinline))
void eng_tcp_handshake_ack(struct pctx *x)
{
	struct mp_subflow *sf = x->sf;
	const struct mp_pkt *p = x->p;

	if (x->d == 0 && sf->synack_seen && !sf->ack3_seen) {
		sf->ack3_seen = true;
		sf->established_ts = x->ts;
		if (sf->state < MP_SFS_ESTABLISHED)
			sf->state = MP_SFS_ESTABLISHED;
		if (sf->kind == MP_SF_INITIAL && p->opts.n == 0 && sf->conn &&
		    sf->conn->fallback == MP_FB_NONE)
			/* the server falls back (MPCapableFallbackACK); a
			 * client that signs it with TCP-MD5 dropped MPTCP for
			 * that (md5sig, still the server's fallback) */
			eng_fallback_at(x->e, sf, p->opts.tcp_md5 ? MP_FB_MD5SIG
								   : MP_FB_NO_MPC_ACK,
					x->frame, x->ts, MP_FB_SIDE_SERVER);
	} else if (x->d == 1 && sf->kind == MP_SF_JOIN && sf->ack3_seen &&
		   !sf->ack4_seen) {
		sf->ack4_seen = true;
		eng_ev(x, MP_EV_JOIN_ACK_RESPONDER, MP_OK_UNKNOWN, NULL);
	}
}

__attribute__((noinline))
void eng_tcp_endings_slow(struct pctx *x)
{
	struct mp_subflow *sf = x->sf;
	uint8_t fl = x->p->flags;

	if (fl & MP_TH_RST) {
		eng_ev(x, MP_EV_RST, MP_OK_UNKNOWN, "%s",
		   x->d == 0 ? "from subflow initiator" : "from subflow responder");
		if (x->has_tcprst) {
			sf->tcprst_reason = x->tcprst_reason;
			sf_close(x, MP_CLOSE_TCPRST);
		} else {
			sf_close(x, MP_CLOSE_RST);
		}
		return;
	}
	if ((fl & MP_TH_FIN) && !sf->fin[x->d]) {
		sf->fin[x->d] = true;
		eng_ev(x, MP_EV_FIN, MP_OK_UNKNOWN, "%s",
		   x->d == 0 ? "from subflow initiator" : "from subflow responder");
		if (sf->fin[0] && sf->fin[1])
			sf_close(x, MP_CLOSE_FIN);
		else if (sf->state < MP_SFS_CLOSING)
			sf->state = MP_SFS_CLOSING;
	}
}
