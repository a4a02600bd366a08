/* SPDX-License-Identifier: BSD-2-Clause */
/* joins.c - join attempts and the use of announced addresses, from the
 * engine's events and its final connection records.
 *
 * RFC 8684 §3.2, §3.4, §3.6. The definitions and the outcome and verdict
 * rules are in include/mpana/joins.h. State: one record per join attempt
 * (by subflow id) and one per connection that had a join or an address
 * option (by connection id), both allocated from events only. */
#include <stdlib.h>
#include <string.h>

#define HASH_NONFATAL_OOM 1
#include <uthash.h>
#include <utlist.h>

#include "mpana/joins.h"
#include "mpana/opt.h"
#include "mpana/pkt.h"

#define SEC_NS 1000000000ull

struct jconn;

struct attempt {
	UT_hash_handle hh;         /* mp_jn.atts by sf */
	uint32_t sf;               /* subflow id (key) */
	struct jconn *jc;          /* connection state it is listed in */
	struct attempt *prev, *next; /* jc's list (utlist DL) */
	struct mp_join_attempt r;  /* the record being built */
	uint64_t t_prev_syn_ns;    /* the SYN before the latest, 0 none */
	bool synack_nojoin;        /* the SYN/ACK carried no MP_JOIN */
	bool reported;             /* r was reported (final) */
	bool at_end;               /* collected by the current mp_jn_conn_end */
};

struct announce {
	struct mp_addr_use r;      /* the record being built */
};

struct jconn {
	UT_hash_handle hh;         /* mp_jn.conns by id */
	uint32_t id;               /* connection id (key) */
	struct attempt *atts;      /* attempts first seen in it (utlist DL) */
	bool c_syn;                /* the MP_CAPABLE SYN carried the C flag */
	uint8_t n_addrs;           /* entries used in addrs */
	struct announce addrs[MP_JN_ADDRS_MAX]; /* announcements, in order */
};

struct mp_jn {
	struct mp_jn_cfg cfg;      /* copy */
	struct attempt *atts;      /* by subflow id */
	struct jconn *conns;       /* by connection id */
	uint32_t next_attempt;     /* last attempt id given */
	uint32_t next_addr;        /* last address record id given */
	uint64_t last_frame;       /* address options of this frame were done */
	uint8_t last_type;         /* for this event type */
	uint64_t ignored;          /* not tracked: OOM or no room */
};

static const char *const outcome_names[MP_JN__COUNT] = {
	[MP_JN_ESTABLISHED] = "established",
	[MP_JN_NO_SYNACK] = "no_synack",
	[MP_JN_REFUSED] = "refused",
	[MP_JN_SYNACK_WITHOUT_JOIN] = "synack_without_join",
	[MP_JN_HMAC_FAILURE] = "hmac_failure",
	[MP_JN_REJECTED] = "rejected",
	[MP_JN_NOT_ESTABLISHED] = "not_established",
	[MP_JN_UNKNOWN_TOKEN] = "unknown_token",
};

static const char *const verdict_names[MP_AU__COUNT] = {
	[MP_AU_USED] = "used",
	[MP_AU_UNUSED] = "unused",
	[MP_AU_FAILED] = "failed",
	[MP_AU_NOT_ECHOED] = "not_echoed",
};

const char *mp_jn_outcome_name(unsigned outcome)
{
	return outcome < MP_JN__COUNT ? outcome_names[outcome] : "unknown";
}

const char *mp_au_verdict_name(unsigned verdict)
{
	return verdict < MP_AU__COUNT ? verdict_names[verdict] : "unknown";
}

const char *mp_jn_hmac_name(unsigned which)
{
	return which == MP_JN_HMAC_SYNACK ? "synack" : which == MP_JN_HMAC_ACK ? "ack" : "";
}

const char *mp_jn_host_name(unsigned host)
{
	return host == 0 ? "client" : host == 1 ? "server" : "";
}

struct mp_jn *mp_jn_new(const struct mp_jn_cfg *cfg)
{
	struct mp_jn *j = calloc(1, sizeof *j);

	if (j)
		j->cfg = *cfg;
	return j;
}

uint64_t mp_jn_ignored(const struct mp_jn *j)
{
	return j ? j->ignored : 0;
}

static struct jconn *jconn_find(struct mp_jn *j, uint32_t id)
{
	struct jconn *jc;

	HASH_FIND(hh, j->conns, &id, sizeof id, jc);
	return jc;
}

static struct jconn *jconn_get(struct mp_jn *j, uint32_t id)
{
	struct jconn *jc = jconn_find(j, id);

	if (jc)
		return jc;
	jc = calloc(1, sizeof *jc);
	if (!jc)
		return NULL;
	jc->id = id;
	HASH_ADD(hh, j->conns, id, sizeof jc->id, jc);
	if (!j->conns) { /* the bucket array failed */
		free(jc);
		return NULL;
	}
	return jc;
}

static struct attempt *attempt_find(struct mp_jn *j, uint32_t sf)
{
	struct attempt *a;

	HASH_FIND(hh, j->atts, &sf, sizeof sf, a);
	return a;
}

static size_t alen(uint8_t family)
{
	return family == 6 ? 16 : 4;
}

/* Subflow direction of `p` on `sf`: 0 when sent by its SYN sender. */
static int pkt_dir(const struct mp_subflow *sf, const struct mp_pkt *p)
{
	return p->sport == sf->sport && !memcmp(p->src, sf->src, alen(sf->family)) ? 0 : 1;
}

/* Host (0 client, 1 server) that sent `p` on `sf`. */
static uint8_t pkt_host(const struct mp_subflow *sf, const struct mp_pkt *p)
{
	return (uint8_t)((pkt_dir(sf, p) == 0) == sf->src_is_client ? 0 : 1);
}

/* ---- join attempts --------------------------------------------------- */

static void attempt_syn(struct mp_jn *j, const struct mp_event *ev,
			const struct mp_subflow *sf, const struct mp_pkt *p)
{
	struct attempt *a = attempt_find(j, sf->id);
	struct jconn *jc;

	if (a) {
		if (a->reported)
			return;
		a->r.retransmissions++;
		a->t_prev_syn_ns = a->r.t_last_syn_ns;
		a->r.t_last_syn_ns = ev->ts_ns;
		return;
	}
	jc = jconn_get(j, ev->conn);
	a = jc ? calloc(1, sizeof *a) : NULL;
	if (!a) {
		j->ignored++;
		return;
	}
	a->sf = sf->id;
	HASH_ADD(hh, j->atts, sf, sizeof a->sf, a);
	if (!j->atts) {
		free(a);
		j->ignored++;
		return;
	}
	a->jc = jc;
	DL_APPEND(jc->atts, a);
	a->r.conn = ev->conn;
	a->r.subflow = sf->id;
	a->r.token = sf->token;
	a->r.token_known = !sf->orphan;
	a->r.initiator = sf->orphan ? MP_JN_HOST_UNKNOWN : (sf->src_is_client ? 0 : 1);
	a->r.family = p->family;
	memcpy(a->r.src, p->src, sizeof a->r.src);
	memcpy(a->r.dst, p->dst, sizeof a->r.dst);
	a->r.sport = p->sport;
	a->r.dport = p->dport;
	a->r.addr_id = sf->addr_id[0];
	a->r.backup = sf->backup;
	a->r.t_syn_ns = a->r.t_last_syn_ns = ev->ts_ns;
	a->r.syn_frame = ev->frame;
	a->r.hmac_synack = a->r.hmac_ack = MP_OK_UNKNOWN;
	a->r.tcprst_reason = -1;
}

/* The outcome from what was seen (joins.h); `sf` is the engine's final
 * record when the connection ends, else NULL. */
static void classify(struct attempt *a, const struct mp_subflow *sf, uint64_t end_ns)
{
	struct mp_join_attempt *r = &a->r;

	r->hmac_failed = r->hmac_synack == MP_OK_FALSE ? MP_JN_HMAC_SYNACK
			 : r->hmac_ack == MP_OK_FALSE ? MP_JN_HMAC_ACK : MP_JN_HMAC_NONE;
	if (r->t_ack4_ns) {
		r->outcome = MP_JN_ESTABLISHED;
		r->t_established_ns = r->t_ack4_ns;
	} else if (!r->t_reset_ns && sf &&
		   ((r->t_ack_ns && !sf->synack_seen && sf->pkts[1] > 0) ||
		    (sf->bytes[0] > 0 && sf->bytes[1] > 0))) {
		/* the capture missed the SYN/ACK or the fourth ACK */
		r->outcome = MP_JN_ESTABLISHED;
		r->inferred = true;
		r->t_established_ns = r->t_ack_ns;
	} else if (r->hmac_failed) {
		r->outcome = MP_JN_HMAC_FAILURE;
	} else if (a->synack_nojoin) {
		r->outcome = MP_JN_SYNACK_WITHOUT_JOIN;
	} else if (!r->token_known) {
		r->outcome = MP_JN_UNKNOWN_TOKEN;
	} else if (r->t_reset_ns && !r->t_synack_ns && !r->t_ack_ns && r->reset_by == 1) {
		r->outcome = MP_JN_REFUSED;
	} else if (r->t_reset_ns && (r->t_synack_ns || r->t_ack_ns)) {
		r->outcome = MP_JN_REJECTED;
	} else if (r->t_synack_ns || r->t_ack_ns) {
		r->outcome = MP_JN_NOT_ESTABLISHED;
	} else {
		uint64_t iv = r->retransmissions ? r->t_last_syn_ns - a->t_prev_syn_ns : SEC_NS;
		r->outcome = MP_JN_NO_SYNACK;
		r->gave_up = end_ns > r->t_last_syn_ns + 2 * iv;
	}
	if (r->t_established_ns && r->t_established_ns >= r->t_syn_ns)
		r->setup_ns = r->t_established_ns - r->t_syn_ns;
}

static void attempt_report(struct mp_jn *j, struct attempt *a)
{
	a->reported = true;
	a->r.id = ++j->next_attempt;
	if (j->cfg.on_attempt)
		j->cfg.on_attempt(j->cfg.user, &a->r);
}

static void attempt_rst(struct mp_jn *j, struct attempt *a, const struct mp_event *ev,
			const struct mp_subflow *sf, const struct mp_pkt *p)
{
	struct mp_join_attempt *r = &a->r;

	r->t_reset_ns = ev->ts_ns;
	r->reset_frame = ev->frame;
	r->reset_by = (uint8_t)(sf && p ? pkt_dir(sf, p) : 1);
	for (unsigned i = 0; p && i < p->opts.n; i++)
		if (p->opts.v[i].subtype == MPTCP_SUB_TCPRST && p->opts.v[i].err == MP_E_NONE)
			r->tcprst_reason = p->opts.v[i].u.tcprst.reason;
	classify(a, NULL, ev->ts_ns);
	attempt_report(j, a);
}

static const struct mp_opt *join_opt(const struct mp_pkt *p)
{
	for (unsigned i = 0; p && i < p->opts.n; i++)
		if (p->opts.v[i].subtype == MPTCP_SUB_JOIN && p->opts.v[i].err == MP_E_NONE)
			return &p->opts.v[i];
	return NULL;
}

static void attempt_event(struct mp_jn *j, const struct mp_event *ev,
			  const struct mp_subflow *sf, const struct mp_pkt *p)
{
	struct attempt *a = attempt_find(j, ev->subflow);
	const struct mp_opt *o;

	if (!a || a->reported)
		return;
	switch (ev->type) {
	case MP_EV_JOIN_SYNACK:
		if (a->r.t_synack_ns)
			break;
		a->r.t_synack_ns = ev->ts_ns;
		a->r.synack_frame = ev->frame;
		a->r.hmac_synack = ev->ok;
		if ((o = join_opt(p))) {
			a->r.peer_id_known = true;
			a->r.peer_addr_id = o->u.join.addr_id;
			a->r.peer_backup = o->u.join.backup;
		}
		break;
	case MP_EV_FALLBACK:
		if (sf && sf->fallback == MP_FB_JOIN_REFUSED && !a->r.t_synack_ns) {
			a->synack_nojoin = true;
			a->r.t_synack_ns = ev->ts_ns;
			a->r.synack_frame = ev->frame;
		}
		break;
	case MP_EV_JOIN_ACK:
		if (a->r.t_ack_ns)
			break;
		a->r.t_ack_ns = ev->ts_ns;
		a->r.ack_frame = ev->frame;
		a->r.hmac_ack = ev->ok;
		break;
	case MP_EV_JOIN_ACK_RESPONDER:
		if (p && (p->flags & MP_TH_RST))
			break; /* a reset, not the ACK that completes the join */
		a->r.t_ack4_ns = ev->ts_ns;
		a->r.ack4_frame = ev->frame;
		classify(a, NULL, ev->ts_ns);
		attempt_report(j, a);
		break;
	case MP_EV_RST:
		attempt_rst(j, a, ev, sf, p);
		break;
	default:
		break;
	}
}

/* ---- announcements --------------------------------------------------- */

static struct announce *announce_find(struct jconn *jc, uint8_t host, uint8_t id,
				      uint8_t family, const uint8_t *addr)
{
	for (unsigned k = 0; k < jc->n_addrs; k++) {
		struct mp_addr_use *u = &jc->addrs[k].r;
		if (u->announcer == host && u->addr_id == id && u->family == family &&
		    !memcmp(u->addr, addr, alen(family)))
			return &jc->addrs[k];
	}
	return NULL;
}

static void addr_event(struct mp_jn *j, const struct mp_event *ev,
		       const struct mp_subflow *sf, const struct mp_pkt *p)
{
	struct jconn *jc;
	uint8_t host;
	unsigned n_aa = 0;

	if (!sf->conn || sf->conn->partial)
		return;
	/* the engine reports each option of the packet: do the packet once */
	if (ev->frame == j->last_frame && ev->type == j->last_type)
		return;
	j->last_frame = ev->frame;
	j->last_type = ev->type;
	host = pkt_host(sf, p);
	jc = ev->type == MP_EV_ADD_ADDR ? jconn_get(j, ev->conn) : jconn_find(j, ev->conn);
	if (!jc) {
		j->ignored += ev->type == MP_EV_ADD_ADDR;
		return;
	}
	for (unsigned i = 0; i < p->opts.n; i++)
		n_aa += p->opts.v[i].subtype == MPTCP_SUB_ADD_ADDR && !p->opts.v[i].u.add_addr.echo;
	for (unsigned i = 0; i < p->opts.n; i++) {
		const struct mp_opt *o = &p->opts.v[i];
		const struct mp_add_addr *aa = &o->u.add_addr;
		struct announce *an;

		if (o->err != MP_E_NONE)
			continue;
		if (ev->type == MP_EV_REMOVE_ADDR && o->subtype == MPTCP_SUB_REMOVE_ADDR) {
			for (unsigned k = 0; k < jc->n_addrs; k++) {
				struct mp_addr_use *u = &jc->addrs[k].r;
				for (unsigned m = 0; m < o->u.remove_addr.n_ids; m++)
					if (u->announcer == host && u->addr_id == o->u.remove_addr.ids[m] &&
					    !u->t_removed_ns) {
						u->t_removed_ns = ev->ts_ns;
						u->removed_frame = ev->frame;
					}
			}
			continue;
		}
		if (o->subtype != MPTCP_SUB_ADD_ADDR)
			continue;
		if (aa->echo) {
			if (ev->type != MP_EV_ADD_ADDR_ECHO)
				continue;
			an = announce_find(jc, (uint8_t)(1 - host), aa->addr_id, aa->ipver, aa->addr);
			if (an && !an->r.t_echo_ns) {
				an->r.t_echo_ns = ev->ts_ns;
				an->r.echo_frame = ev->frame;
			}
			continue;
		}
		if (ev->type != MP_EV_ADD_ADDR)
			continue;
		an = announce_find(jc, host, aa->addr_id, aa->ipver, aa->addr);
		if (an && an->r.has_port == aa->has_port && an->r.port == aa->port) {
			an->r.retransmissions++;
		} else {
			if (jc->n_addrs >= MP_JN_ADDRS_MAX) {
				j->ignored++;
				continue;
			}
			an = &jc->addrs[jc->n_addrs++];
			memset(an, 0, sizeof *an);
			an->r.conn = ev->conn;
			an->r.announcer = host;
			an->r.addr_id = aa->addr_id;
			an->r.family = aa->ipver;
			memcpy(an->r.addr, aa->addr, alen(aa->ipver));
			an->r.has_port = aa->has_port;
			an->r.port = aa->port;
			an->r.t_announce_ns = ev->ts_ns;
			an->r.frame = ev->frame;
			an->r.hmac_ok = MP_OK_UNKNOWN;
			an->r.c_flag = MP_OK_UNKNOWN;
		}
		/* the event's verdict is this option's when it is the only one */
		if (n_aa == 1 && (ev->ok == MP_OK_TRUE || an->r.hmac_ok == MP_OK_UNKNOWN))
			an->r.hmac_ok = ev->ok;
	}
}

void mp_jn_event(struct mp_jn *j, const struct mp_event *ev,
		 const struct mp_subflow *sf, const struct mp_pkt *p)
{
	if (!j || !ev->subflow || !ev->conn)
		return;
	if (sf && sf->id != ev->subflow)
		sf = NULL; /* an event about another subflow than the packet's */
	switch (ev->type) {
	case MP_EV_JOIN_SYN:
		if (sf && p)
			attempt_syn(j, ev, sf, p);
		break;
	case MP_EV_JOIN_SYNACK:
	case MP_EV_JOIN_ACK:
	case MP_EV_JOIN_ACK_RESPONDER:
	case MP_EV_FALLBACK:
	case MP_EV_RST:
		if (j->atts)
			attempt_event(j, ev, sf, p);
		break;
	case MP_EV_ADD_ADDR:
	case MP_EV_ADD_ADDR_ECHO:
	case MP_EV_REMOVE_ADDR:
		if (sf && p)
			addr_event(j, ev, sf, p);
		break;
	case MP_EV_MPC_SYN:
		for (unsigned i = 0; p && i < p->opts.n; i++) {
			const struct mp_opt *o = &p->opts.v[i];
			if (o->subtype == MPTCP_SUB_CAPABLE && o->err == MP_E_NONE &&
			    (o->u.capable.flags & MPC_C)) {
				struct jconn *jc = jconn_get(j, ev->conn);
				if (jc)
					jc->c_syn = true;
			}
		}
		break;
	default:
		break;
	}
}

/* ---- connection end -------------------------------------------------- */

static bool attempt_to(const struct mp_join_attempt *r, const struct mp_addr_use *u)
{
	return r->initiator == 1 - u->announcer && r->family == u->family &&
	       !memcmp(r->dst, u->addr, alen(u->family)) &&
	       (!u->has_port || r->dport == u->port);
}

/* Completes an address record with the engine's connection record (NULL
 * when gone) and the attempts of the connection, and reports it. */
static void addr_report(struct mp_jn *j, struct announce *an, const struct mp_conn *c,
			struct attempt **list, size_t n)
{
	struct mp_addr_use *u = &an->r;

	if (c) {
		const struct mp_subflow *init = c->sf_head && c->sf_head->kind == MP_SF_INITIAL
						? c->sf_head : NULL;
		u->conn = c->id;
		u->version = c->version;
		for (unsigned k = 0; k < c->n_addrs; k++) {
			const struct mp_addr_ent *e = &c->addrs[k];
			if (e->host == u->announcer && e->id == u->addr_id &&
			    e->family == u->family && !memcmp(e->addr, u->addr, alen(u->family)) &&
			    e->hmac_ok != MP_OK_UNKNOWN) {
				u->hmac_ok = e->hmac_ok;
				u->hmac_side = e->hmac_side;
			}
		}
		u->initial = c->family == u->family &&
			     !memcmp(c->addr[u->announcer], u->addr, alen(u->family));
		if (u->announcer == 1 && init && init->synack_seen)
			u->c_flag = (c->mpc_flags & MPC_C) ? MP_OK_TRUE : MP_OK_FALSE;
		else if (u->announcer == 0 && init && init->syn_ts)
			u->c_flag = an->r.c_flag == MP_OK_TRUE ? MP_OK_TRUE : MP_OK_FALSE;
	} else {
		u->version = 0xff;
	}
	for (size_t i = 0; i < n; i++) {
		const struct mp_join_attempt *r = &list[i]->r;
		if (!attempt_to(r, u))
			continue;
		if (u->n_joins < MP_AU_JOINS_MAX) {
			u->join_id[u->n_joins] = r->id;
			u->join_sf[u->n_joins] = r->subflow;
			u->join_outcome[u->n_joins] = r->outcome;
		}
		u->n_joins++;
		u->n_established += r->outcome == MP_JN_ESTABLISHED;
	}
	u->verdict = u->n_established ? MP_AU_USED
		     : u->n_joins ? MP_AU_FAILED
		     : (u->t_echo_ns || u->version == 0) ? MP_AU_UNUSED : MP_AU_NOT_ECHOED;
	u->id = ++j->next_addr;
	if (j->cfg.on_address)
		j->cfg.on_address(j->cfg.user, u);
}

static void attempt_free(struct mp_jn *j, struct attempt *a)
{
	HASH_DEL(j->atts, a);
	DL_DELETE(a->jc->atts, a);
	free(a);
}

/* Reports what is pending of `jc` and of the attempts in `list` (those of
 * connection `c`, or jc's own when c is NULL), then frees them and jc. */
static void conn_finish(struct mp_jn *j, struct jconn *jc, const struct mp_conn *c,
			struct attempt **list, size_t n, uint64_t now_ns)
{
	for (size_t i = 0; i < n; i++) {
		struct attempt *a = list[i];
		const struct mp_subflow *sf = NULL;
		if (c) {
			for (sf = c->sf_head; sf && sf->id != a->sf; sf = sf->conn_next)
				;
			a->r.conn = c->id;
		}
		if (!a->reported) {
			uint64_t end = now_ns;
			if (c && c->last_ts > end)
				end = c->last_ts;
			classify(a, sf, end);
			attempt_report(j, a);
		}
	}
	if (jc) {
		for (unsigned k = 0; k < jc->n_addrs; k++) {
			if (jc->c_syn)
				jc->addrs[k].r.c_flag = MP_OK_TRUE; /* the client's SYN */
			addr_report(j, &jc->addrs[k], c, list, n);
		}
	}
	for (size_t i = 0; i < n; i++)
		attempt_free(j, list[i]);
	if (jc) {
		while (jc->atts) /* none left unless list was cut short by OOM */
			attempt_free(j, jc->atts);
		HASH_DEL(j->conns, jc);
		free(jc);
	}
}

void mp_jn_conn_end(struct mp_jn *j, const struct mp_conn *c, uint64_t now_ns)
{
	struct jconn *jc;
	struct attempt **list, *a;
	size_t n = 0, cap = 0;

	if (!j)
		return;
	jc = jconn_find(j, c->id);
	if (!jc && !j->atts)
		return;
	/* its attempts: by its subflows (an unknown-token join's partial
	 * connection may have been merged into c), then any listed in jc */
	for (const struct mp_subflow *s = c->sf_head; s; s = s->conn_next)
		cap += s->kind == MP_SF_JOIN;
	if (jc)
		DL_FOREACH(jc->atts, a)
			cap++;
	list = cap ? calloc(cap, sizeof *list) : NULL;
	if (cap && !list) {
		j->ignored++;
		cap = 0;
	}
	for (const struct mp_subflow *s = c->sf_head; s && n < cap; s = s->conn_next) {
		if (s->kind != MP_SF_JOIN || !(a = attempt_find(j, s->id)) || a->at_end)
			continue;
		a->at_end = true;
		list[n++] = a;
	}
	if (jc)
		DL_FOREACH(jc->atts, a)
			if (!a->at_end && n < cap) {
				a->at_end = true;
				list[n++] = a;
			}
	conn_finish(j, jc, c, list, n, now_ns);
	free(list);
}

void mp_jn_free(struct mp_jn *j)
{
	struct jconn *jc, *tmp;

	if (!j)
		return;
	HASH_ITER(hh, j->conns, jc, tmp) {
		struct attempt *a, *list[64];
		size_t n = 0;
		DL_FOREACH(jc->atts, a)
			if (n < sizeof list / sizeof list[0])
				list[n++] = a;
		conn_finish(j, jc, NULL, list, n, 0);
	}
	HASH_CLEAR(hh, j->atts); /* none: every attempt is listed in a jconn */
	free(j);
}
