/* SPDX-License-Identifier: BSD-2-Clause */
/* mib.c - the kernel's MPTCP counters (nstat MPTcpExt*) of one endpoint,
 * derived from a capture taken there (include/mpana/mib.h).
 *
 * Each rule follows where Linux (net/mptcp/, checked against 6.18's
 * counters in the lab captures, pcaps/README.md) increments the counter:
 *  - SYN counters count a connect()/request once: retransmitted SYNs and
 *    SYN/ACKs are not counted again (MPCapableSYNTX, MPJoinSynTx at the
 *    active side; MPCapableSYNRX, MPJoinSynRx at the listener).
 *  - The active side handles only the first SYN/ACK (subflow_finish_connect):
 *    MPCapableSYNACKRX or MPCapableFallbackSYNACK; MPJoinSynAckRx (HMAC
 *    valid; + MPJoinSynAckBackupRx with B, + MPJoinPortSynAckRx when the
 *    join goes to another port than the connection) or
 *    MPJoinSynAckHMacFailure.
 *  - The listener handles the packet that completes the handshake
 *    (subflow_syn_recv_sock): MPCapableACKRX or MPCapableFallbackACK; for a
 *    join, MPJoinAckRx when the child socket is made, else the reset that
 *    follows at once tells MPJoinAckHMacFailure (HMAC wrong) from
 *    MPJoinRejected (the path manager's limit).
 *  - MPRstTx counts an MP_TCPRST written by a full socket (mptcp_write_options
 *    with a tcp_sock): a reset a listener sends for a request socket (to
 *    the SYN or the third ACK, before it sent anything else) is not counted,
 *    nor a reset without ACK (it answers a segment: tcp_v4/v6_send_reset
 *    writes the option through mptcp_reset_option, uncounted; an active
 *    reset, tcp_send_active_reset, always carries ACK). Nothing is counted
 *    on receive on a subflow the endpoint reset (no socket left).
 *  - MPRstRx, AddAddr, EchoAdd, RmAddr, MPPrioRx, MPFailRx, MPFastcloseRx
 *    come from mptcp_incoming_options, which ignores every option once the
 *    connection fell back, and a reset on a subflow not yet fully
 *    established (a join without its fourth ACK) is answered by a reset of
 *    its own before MPRstRx is counted. An ADD_ADDR whose HMAC fails and an
 *    MP_FASTCLOSE with another key are dropped uncounted.
 *  - An endpoint that sends MP_FASTCLOSE closes every subflow of the
 *    connection at once (mptcp_do_fastclose): what arrives afterwards on
 *    any of them finds no socket and is not counted (MPRstRx above all).
 *    The capture may show the endpoint's own resets later than the peer's
 *    (they wait in the egress queue behind data), so the first
 *    MP_FASTCLOSE it sent on any subflow decides.
 *  - Tx options count per option sent; RmAddr/RmAddrTx per address id.
 *  - SimultConnectFallback: the active side of an MP_CAPABLE SYN gets a
 *    SYN (any, with or without MPTCP) before a SYN/ACK: the SYNs crossed
 *    (checked on Linux 6.18: lab scenario "simultaneous").
 *  - MPCapableSYNTXDrop: the active side retransmits its MP_CAPABLE SYN
 *    without MP_CAPABLE (mptcp_active_detect_blackhole: the SYN timed out
 *    net.mptcp.syn_retrans_before_tcp_fallback times, 2 by default; the
 *    subflow falls back before any answer, so the SYN/ACK that follows
 *    counts neither MPCapableSYNACKRX nor MPCapableFallbackSYNACK).
 *    Blackhole: that SYN/ACK answers the first SYN without MP_CAPABLE (a
 *    second one resets mpc_drop) and active MPTCP is then disabled in the
 *    namespace (mptcp_active_disable; assumes net.mptcp.blackhole_timeout
 *    is not 0, its default 3600). The connections refused MPTCP while it
 *    is disabled (MPCapableSYNTXDisabled) send plain SYNs: not derived.
 *  - InfiniteMapTx/Rx: the first infinite mapping of a connection (the
 *    connection falls back with it).
 *  - DssFallback: data received without a mapping beyond the last mapping
 *    (get_mapping_status: MAPPING_INVALID), on a connection still allowed
 *    to fall back (never a join, no data-level retransmission by this
 *    endpoint). A missing packet is not a fallback: the mappings must stop
 *    for good on that subflow, so it is settled at the end.
 * Per packet nothing is allocated; the per-subflow and per-connection state
 * arrays grow (amortized) when a new id appears. */
#include <stdlib.h>
#include <string.h>

#include "mpana/seq.h"
#include "mpana/mib.h"

static const char *const names[MP_MIB__COUNT] = {
	[MP_MIB_MPCAPABLE_SYNRX] = "MPCapableSYNRX",
	[MP_MIB_MPCAPABLE_SYNTX] = "MPCapableSYNTX",
	[MP_MIB_MPCAPABLE_SYNACKRX] = "MPCapableSYNACKRX",
	[MP_MIB_MPCAPABLE_ACKRX] = "MPCapableACKRX",
	[MP_MIB_MPCAPABLE_FB_ACK] = "MPCapableFallbackACK",
	[MP_MIB_MPCAPABLE_FB_SYNACK] = "MPCapableFallbackSYNACK",
	[MP_MIB_JOIN_SYNRX] = "MPJoinSynRx",
	[MP_MIB_JOIN_SYN_BACKUPRX] = "MPJoinSynBackupRx",
	[MP_MIB_JOIN_SYNACKRX] = "MPJoinSynAckRx",
	[MP_MIB_JOIN_SYNACK_BACKUPRX] = "MPJoinSynAckBackupRx",
	[MP_MIB_JOIN_SYNACK_HMAC] = "MPJoinSynAckHMacFailure",
	[MP_MIB_JOIN_ACKRX] = "MPJoinAckRx",
	[MP_MIB_JOIN_ACK_HMAC] = "MPJoinAckHMacFailure",
	[MP_MIB_JOIN_REJECTED] = "MPJoinRejected",
	[MP_MIB_JOIN_SYNTX] = "MPJoinSynTx",
	[MP_MIB_INFINITE_MAP_TX] = "InfiniteMapTx",
	[MP_MIB_INFINITE_MAP_RX] = "InfiniteMapRx",
	[MP_MIB_ADD_ADDR] = "AddAddr",
	[MP_MIB_ADD_ADDR_TX] = "AddAddrTx",
	[MP_MIB_ECHO_ADD] = "EchoAdd",
	[MP_MIB_ECHO_ADD_TX] = "EchoAddTx",
	[MP_MIB_JOIN_PORT_SYNACKRX] = "MPJoinPortSynAckRx",
	[MP_MIB_RM_ADDR] = "RmAddr",
	[MP_MIB_RM_ADDR_TX] = "RmAddrTx",
	[MP_MIB_PRIO_TX] = "MPPrioTx",
	[MP_MIB_PRIO_RX] = "MPPrioRx",
	[MP_MIB_FAIL_TX] = "MPFailTx",
	[MP_MIB_FAIL_RX] = "MPFailRx",
	[MP_MIB_FASTCLOSE_TX] = "MPFastcloseTx",
	[MP_MIB_FASTCLOSE_RX] = "MPFastcloseRx",
	[MP_MIB_RST_TX] = "MPRstTx",
	[MP_MIB_RST_RX] = "MPRstRx",
	[MP_MIB_DSS_FALLBACK] = "DssFallback",
	[MP_MIB_SIMULT_FALLBACK] = "SimultConnectFallback",
	[MP_MIB_MPCAPABLE_SYNTX_DROP] = "MPCapableSYNTXDrop",
	[MP_MIB_BLACKHOLE] = "Blackhole",
};

#define HOST_UNKNOWN 0xff

/* One connection, as the local endpoint's kernel sees it. */
struct cst {
	uint8_t local;     /* the endpoint's host: 0 client, 1 server, HOST_UNKNOWN */
	bool fallen;       /* fell back at the endpoint: incoming options ignored */
	bool no_inf_fb;    /* may no longer fall back on data without a mapping
			    * (a join, or a data-level retransmission) */
	bool inf_tx;       /* an infinite mapping was sent */
	bool inf_rx;       /* one was received */
	bool dss_fb;       /* DssFallback counted */
	bool fc_tx;        /* the endpoint sent MP_FASTCLOSE: every subflow of
			    * the connection is closed at once */
};

/* One subflow, as the local endpoint's kernel sees it. */
struct sst {
	uint32_t conn;       /* its connection id, 0 before the first packet */
	bool syn_seen;       /* the first SYN was seen */
	bool active;         /* the endpoint sent that SYN */
	bool mpc;            /* it carried MP_CAPABLE */
	bool join;           /* it carried MP_JOIN */
	bool synack_sent;    /* passive: the endpoint sent a SYN/ACK */
	bool synack_mpc;     /* passive: with MP_CAPABLE */
	bool synack_done;    /* active: the first SYN/ACK was handled */
	uint8_t plain_syns;  /* active, MP_CAPABLE dropped: SYNs sent without
			      * it before the SYN/ACK: 0, 1, or 2 for more */
	bool ack3_done;      /* passive: the handshake's last ACK was handled */
	bool join_pending;   /* passive join: third ACK in, verdict waits for
			      * the endpoint's next packet */
	int8_t ack_hmac;     /* its HMAC verdict (MP_OK_*) */
	bool sent_nonsyn;    /* the endpoint sent something besides SYN/SYN-ACK */
	bool fully;          /* fully established at the endpoint */
	bool closed;         /* the endpoint reset it */
	bool fb_cand;        /* data without a mapping came: DssFallback unless
			      * a mapping follows */
};

struct mp_mib {
	struct mp_mib_cfg cfg;   /* whose counters */
	uint64_t v[MP_MIB__COUNT]; /* the counters */
	struct cst *conns;       /* by connection id (index 0 unused) */
	uint32_t n_conns;        /* entries allocated */
	struct sst *sfs;         /* by subflow id (index 0 unused) */
	uint32_t n_sfs;          /* entries allocated */
};

const char *mp_mib_name(unsigned c)
{
	return c < MP_MIB__COUNT ? names[c] : "";
}

struct mp_mib *mp_mib_new(const struct mp_mib_cfg *cfg)
{
	struct mp_mib *m = calloc(1, sizeof *m);

	if (m)
		m->cfg = *cfg;
	return m;
}

void mp_mib_free(struct mp_mib *m)
{
	if (!m)
		return;
	free(m->conns);
	free(m->sfs);
	free(m);
}

const uint64_t *mp_mib_values(const struct mp_mib *m)
{
	return m->v;
}

/* Grows `*arr` (of `*n` entries of `size` bytes) to hold index `id`, zeroing
 * the new entries. False on OOM (nothing changed). */
static bool grow(void **arr, uint32_t *n, uint32_t id, size_t size)
{
	uint32_t want;
	void *p;

	if (id < *n)
		return true;
	want = *n ? *n : 64;
	while (want <= id) {
		if (want > UINT32_MAX / 2)
			return false;
		want *= 2;
	}
	p = realloc(*arr, (size_t)want * size);
	if (!p)
		return false;
	memset((uint8_t *)p + (size_t)*n * size, 0, (size_t)(want - *n) * size);
	*arr = p;
	*n = want;
	return true;
}

static struct cst *conn_state(struct mp_mib *m, uint32_t id)
{
	uint32_t old = m->n_conns;

	if (!grow((void **)&m->conns, &m->n_conns, id, sizeof *m->conns))
		return NULL;
	for (uint32_t i = old; i < m->n_conns; i++)
		m->conns[i].local = HOST_UNKNOWN;
	return &m->conns[id];
}

static bool addr_is(const struct mp_mib *m, const struct mp_pkt *p, const uint8_t *a)
{
	size_t n = m->cfg.family == 6 ? 16 : 4;

	return p->family == m->cfg.family && memcmp(a, m->cfg.addr, n) == 0;
}

void mp_mib_learn(struct mp_mib *m, const struct mp_pkt *p,
		  const struct mp_pkt_ann *ann)
{
	struct cst *c;

	if (m->cfg.side != MP_MIB_SIDE_ADDR || !ann->conn)
		return;
	c = conn_state(m, ann->conn);
	if (!c || c->local != HOST_UNKNOWN)
		return;
	if (addr_is(m, p, p->src))
		c->local = ann->conn_dir;
	else if (addr_is(m, p, p->dst))
		c->local = (uint8_t)(1 - ann->conn_dir);
}

/* The first option of `subtype` that parsed, with its index; NULL if none. */
static const struct mp_opt *opt_find(const struct mp_pkt *p, uint8_t subtype, unsigned *idx)
{
	for (unsigned i = 0; i < p->opts.n; i++) {
		if (p->opts.v[i].subtype == subtype && p->opts.v[i].err == MP_E_NONE) {
			if (idx)
				*idx = i;
			return &p->opts.v[i];
		}
	}
	return NULL;
}

/* True when the packet carries a data mapping (DSS M, or MP_CAPABLE with a
 * data-level length). */
static bool has_mapping(const struct mp_pkt *p)
{
	const struct mp_opt *o = opt_find(p, MPTCP_SUB_DSS, NULL);
	const struct mp_opt *c = opt_find(p, MPTCP_SUB_CAPABLE, NULL);

	return (o && (o->u.dss.flags & DSS_M)) || (c && c->u.capable.has_data_len);
}

static void on_syn(struct mp_mib *m, struct cst *c, struct sst *s,
		   const struct mp_pkt *p, const struct mp_subflow *sf, bool tx)
{
	const struct mp_opt *j = opt_find(p, MPTCP_SUB_JOIN, NULL);

	if (s->syn_seen && s->active && !tx && s->mpc && !s->synack_done) {
		/* the peer's SYN crossed ours: SYN-SENT → SYN-RECV, and the
		 * SYN/ACK the endpoint then builds falls back (RFC 793 §3.4;
		 * mptcp_syn_options, subflow_simultaneous_connect). Later
		 * SYN/ACKs get no special handling (the socket left SYN-SENT). */
		s->synack_done = true;
		c->fallen = true;
		m->v[MP_MIB_SIMULT_FALLBACK]++;
		return;
	}
	if (s->syn_seen && s->active && tx && !s->synack_done &&
	    sf->fallback == MP_FB_MPC_SYN_DROPPED &&
	    !opt_find(p, MPTCP_SUB_CAPABLE, NULL)) {
		/* the MP_CAPABLE SYN retransmitted without it: the subflow
		 * fell back (blackhole detection; the engine's verdict,
		 * endings.c) */
		if (s->plain_syns < 2)
			s->plain_syns++;
		if (s->plain_syns == 1) {
			m->v[MP_MIB_MPCAPABLE_SYNTX_DROP]++;
			c->fallen = true;
		}
		return;
	}
	if (s->syn_seen)
		return; /* a retransmitted SYN: counted at connect()/request time */
	s->syn_seen = true;
	s->active = tx;
	s->mpc = opt_find(p, MPTCP_SUB_CAPABLE, NULL) != NULL;
	s->join = !s->mpc && j && j->u.join.phase == MP_JOIN_SYN;
	if (s->join)
		c->no_inf_fb = true; /* allow_infinite_fallback = false */
	if (s->mpc) {
		m->v[tx ? MP_MIB_MPCAPABLE_SYNTX : MP_MIB_MPCAPABLE_SYNRX]++;
	} else if (s->join) {
		m->v[tx ? MP_MIB_JOIN_SYNTX : MP_MIB_JOIN_SYNRX]++;
		if (!tx && j->u.join.backup)
			m->v[MP_MIB_JOIN_SYN_BACKUPRX]++;
	}
}

static void on_synack(struct mp_mib *m, struct cst *c, struct sst *s,
		      const struct mp_pkt *p, const struct mp_pkt_ann *ann,
		      const struct mp_subflow *sf, bool tx)
{
	const struct mp_opt *o;
	unsigned idx = 0;

	if (!s->syn_seen)
		return;
	if (tx) {
		if (!s->active && !s->synack_sent) {
			s->synack_sent = true;
			s->synack_mpc = opt_find(p, MPTCP_SUB_CAPABLE, NULL) != NULL;
		}
		return;
	}
	if (!s->active || s->synack_done)
		return;
	s->synack_done = true; /* later SYN/ACKs get no special handling */
	if (s->mpc && s->plain_syns) {
		if (s->plain_syns == 1)
			m->v[MP_MIB_BLACKHOLE]++;
	} else if (s->mpc) {
		if (opt_find(p, MPTCP_SUB_CAPABLE, NULL)) {
			m->v[MP_MIB_MPCAPABLE_SYNACKRX]++;
		} else {
			m->v[MP_MIB_MPCAPABLE_FB_SYNACK]++;
			c->fallen = true;
		}
	} else if (s->join) {
		o = opt_find(p, MPTCP_SUB_JOIN, &idx);
		if (!o || o->u.join.phase != MP_JOIN_SYNACK)
			return; /* reset, MPTCP_RST_EMPTCP, no counter */
		if (ann->hmac_ok[idx] == MP_OK_FALSE) {
			m->v[MP_MIB_JOIN_SYNACK_HMAC]++;
			return;
		}
		m->v[MP_MIB_JOIN_SYNACKRX]++;
		if (o->u.join.backup)
			m->v[MP_MIB_JOIN_SYNACK_BACKUPRX]++;
		/* the join's remote port vs the connection's remote port */
		if (sf->conn && sf->dport != sf->conn->port[1 - c->local])
			m->v[MP_MIB_JOIN_PORT_SYNACKRX]++;
	}
}

/* The listener's side of the packet that completes a handshake. */
static void on_ack3(struct mp_mib *m, struct cst *c, struct sst *s,
		    const struct mp_pkt *p, const struct mp_pkt_ann *ann)
{
	const struct mp_opt *o;
	unsigned idx = 0;

	s->ack3_done = true;
	if (s->mpc && s->synack_mpc) {
		if (opt_find(p, MPTCP_SUB_CAPABLE, NULL)) {
			m->v[MP_MIB_MPCAPABLE_ACKRX]++;
			s->fully = true;
		} else {
			m->v[MP_MIB_MPCAPABLE_FB_ACK]++;
			c->fallen = true;
		}
	} else if (s->join) {
		o = opt_find(p, MPTCP_SUB_JOIN, &idx);
		if (o && o->u.join.phase == MP_JOIN_ACK) {
			s->join_pending = true;
			s->ack_hmac = ann->hmac_ok[idx];
		}
	}
}

/* A passive join's third ACK: accepted unless the endpoint resets at once. */
static void settle_join(struct mp_mib *m, struct sst *s, bool reset)
{
	if (!s->join_pending)
		return;
	s->join_pending = false;
	if (!reset) {
		m->v[MP_MIB_JOIN_ACKRX]++;
		s->fully = true;
	} else if (s->ack_hmac == MP_OK_FALSE) {
		m->v[MP_MIB_JOIN_ACK_HMAC]++;
	} else {
		m->v[MP_MIB_JOIN_REJECTED]++;
	}
}

static void count_tx(struct mp_mib *m, struct cst *c, struct sst *s,
		     const struct mp_pkt *p, const struct mp_pkt_ann *ann)
{
	bool rst = p->flags & MP_TH_RST;

	/* a listener's reset before its child socket exists goes out
	 * without a tcp_sock: no MPRstTx; nor does a reset without ACK:
	 * it answers a segment (tcp_v4/v6_send_reset, the option written by
	 * mptcp_reset_option), where an active reset carries ACK */
	if (rst && (p->flags & MP_TH_ACK) && opt_find(p, MPTCP_SUB_TCPRST, NULL) &&
	    !(s->syn_seen && !s->active && !s->sent_nonsyn))
		m->v[MP_MIB_RST_TX]++;
	settle_join(m, s, rst);
	if (rst)
		s->closed = true;
	s->sent_nonsyn = true;
	if (p->payload_len && ann->resend == MP_RESEND_REINJECT)
		c->no_inf_fb = true; /* data-level retransmission */
	for (unsigned i = 0; i < p->opts.n; i++) {
		const struct mp_opt *o = &p->opts.v[i];
		if (o->err != MP_E_NONE)
			continue;
		switch (o->subtype) {
		case MPTCP_SUB_ADD_ADDR:
			m->v[o->u.add_addr.echo ? MP_MIB_ECHO_ADD_TX : MP_MIB_ADD_ADDR_TX]++;
			break;
		case MPTCP_SUB_REMOVE_ADDR:
			m->v[MP_MIB_RM_ADDR_TX] += o->u.remove_addr.n_ids;
			break;
		case MPTCP_SUB_PRIO:
			m->v[MP_MIB_PRIO_TX]++;
			break;
		case MPTCP_SUB_FAIL:
			m->v[MP_MIB_FAIL_TX]++;
			break;
		case MPTCP_SUB_FASTCLOSE:
			m->v[MP_MIB_FASTCLOSE_TX]++;
			c->fc_tx = true;
			break;
		case MPTCP_SUB_DSS:
			if ((o->u.dss.flags & DSS_M) && o->u.dss.dll == 0 && !c->inf_tx) {
				c->inf_tx = true;
				c->fallen = true;
				m->v[MP_MIB_INFINITE_MAP_TX]++;
			}
			break;
		default:
			break;
		}
	}
}

static void count_rx(struct mp_mib *m, struct cst *c, struct sst *s,
		     const struct mp_pkt *p, const struct mp_pkt_ann *ann,
		     const struct mp_subflow *sf)
{
	const struct mp_opt *o;
	bool mapped = has_mapping(p);

	if (s->syn_seen && !s->active && s->synack_sent && !s->ack3_done)
		on_ack3(m, c, s, p, ann);
	if (mapped)
		s->fb_cand = false; /* the mappings go on: a capture gap */
	if (s->closed)
		return; /* the endpoint reset this subflow: no socket left */
	if (c->fallen)
		return; /* mptcp_incoming_options: nothing more is parsed */
	if (c->fc_tx)
		return; /* every subflow was closed with the fast close: no
			 * socket left to count what comes in */
	/* the active side is fully established by the peer's first DATA_ACK
	 * or ADD_ADDR (check_fully_established) */
	if (s->active && !s->fully) {
		o = opt_find(p, MPTCP_SUB_DSS, NULL);
		const struct mp_opt *a = opt_find(p, MPTCP_SUB_ADD_ADDR, NULL);
		if ((o && (o->u.dss.flags & DSS_A)) || (a && !a->u.add_addr.echo))
			s->fully = true;
	}
	for (unsigned i = 0; i < p->opts.n; i++) {
		o = &p->opts.v[i];
		if (o->err != MP_E_NONE)
			continue;
		switch (o->subtype) {
		case MPTCP_SUB_ADD_ADDR:
			if (ann->hmac_ok[i] == MP_OK_FALSE)
				break; /* dropped: the HMAC does not verify */
			m->v[o->u.add_addr.echo ? MP_MIB_ECHO_ADD : MP_MIB_ADD_ADDR]++;
			break;
		case MPTCP_SUB_REMOVE_ADDR:
			m->v[MP_MIB_RM_ADDR] += o->u.remove_addr.n_ids;
			break;
		case MPTCP_SUB_PRIO:
			m->v[MP_MIB_PRIO_RX]++;
			break;
		case MPTCP_SUB_FAIL:
			m->v[MP_MIB_FAIL_RX]++;
			break;
		case MPTCP_SUB_FASTCLOSE:
			if (!sf->conn || !sf->conn->key_known[c->local] ||
			    sf->conn->key[c->local] == o->u.fastclose.receiver_key)
				m->v[MP_MIB_FASTCLOSE_RX]++;
			break;
		case MPTCP_SUB_TCPRST:
			/* a subflow never seen opening counts as established */
			if ((p->flags & MP_TH_RST) && !s->closed &&
			    (s->fully || !s->syn_seen))
				m->v[MP_MIB_RST_RX]++;
			break;
		case MPTCP_SUB_DSS:
			if ((o->u.dss.flags & DSS_M) && o->u.dss.dll == 0 &&
			    p->payload_len && !c->inf_rx) {
				c->inf_rx = true;
				c->fallen = true;
				m->v[MP_MIB_INFINITE_MAP_RX]++;
			}
			break;
		default:
			break;
		}
	}
	/* data beyond the last mapping, without one of its own */
	if (p->payload_len && !mapped && !c->fallen && !c->no_inf_fb &&
	    sf->kind == MP_SF_INITIAL && !(p->flags & (MP_TH_SYN | MP_TH_RST))) {
		uint8_t d = ann->sf_dir;
		uint32_t rel = p->seq - sf->isn[d];
		if (sf->isn_valid[d] && sf->map_known[d] &&
		    !mp_seq32_after(sf->map_end[d], rel))
			s->fb_cand = true;
	}
}

bool mp_mib_packet(struct mp_mib *m, const struct mp_pkt *p,
		   const struct mp_pkt_ann *ann, const struct mp_subflow *sf)
{
	struct cst *c;
	struct sst *s;
	bool tx;

	if (!ann->conn || !ann->subflow || !sf)
		return true; /* plain TCP, or a subflow of no known connection */
	c = conn_state(m, ann->conn);
	if (!c || !grow((void **)&m->sfs, &m->n_sfs, ann->subflow, sizeof *m->sfs))
		return false;
	s = &m->sfs[ann->subflow];
	s->conn = ann->conn;
	if (m->cfg.side == MP_MIB_SIDE_CLIENT)
		c->local = 0;
	else if (m->cfg.side == MP_MIB_SIDE_SERVER)
		c->local = 1;
	else if (c->local == HOST_UNKNOWN)
		return true; /* the address is not this connection's */
	tx = ann->conn_dir == c->local;

	if ((p->flags & (MP_TH_SYN | MP_TH_ACK)) == MP_TH_SYN)
		on_syn(m, c, s, p, sf, tx);
	else if (p->flags & MP_TH_SYN)
		on_synack(m, c, s, p, ann, sf, tx);
	else if (tx)
		count_tx(m, c, s, p, ann);
	else
		count_rx(m, c, s, p, ann, sf);
	return true;
}

void mp_mib_finish(struct mp_mib *m)
{
	for (uint32_t i = 1; i < m->n_sfs; i++) {
		struct sst *s = &m->sfs[i];
		struct cst *c;

		settle_join(m, s, false); /* no reset seen: the child was made */
		if (!s->fb_cand || !s->conn || s->conn >= m->n_conns)
			continue;
		c = &m->conns[s->conn];
		if (!c->dss_fb) {
			c->dss_fb = true;
			m->v[MP_MIB_DSS_FALLBACK]++;
		}
	}
}
