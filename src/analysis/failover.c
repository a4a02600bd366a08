/* SPDX-License-Identifier: BSD-2-Clause */
/* failover.c - outage episodes per subflow and data direction: failover
 * and stall latency, from either end of the path.
 *
 * RFC 8684 §3.3 (DSS, DATA_ACK), §3.3.6 (reinjection). The definition is
 * MPTCP-NOTES.md, "Failover latency"; the contract and its refinements are
 * in include/mpana/failover.h. State is one record per connection and one
 * per subflow, allocated when they first appear; per packet nothing is
 * allocated.
 *
 * Longer than the usual 600 lines on purpose: the sender-side and the
 * receiver-side detectors are one state machine over the same per-subflow
 * record (a receiver-side candidate is dropped when the sender side sees
 * an outage in the same direction), and keeping it in one file keeps that
 * record's fields and every transition readable together. */
#include <stdlib.h>
#include <string.h>

#define HASH_NONFATAL_OOM 1
#include <uthash.h>

#include "mpana/failover.h"
#include "mpana/opt.h"
#include "mpana/pkt.h"
#include "mpana/seq.h"

#define DQ 16                 /* outstanding segments tracked for their maximum */
#define CACHE 256             /* direct-mapped lookup caches (a power of two) */
#define SAMPLES 32            /* receiver side: data-level highs kept per direction */
#define SAMPLE_NS (10ull * 1000000ull) /* at least this far apart */

/* a after b in 32-bit (TCP) and 64-bit (data) sequence space */

static inline uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Capture time from `since` to `now`; 0 when the capture went backwards
 * (timestamps are not always in order). */
static inline uint64_t elapsed(uint64_t now, uint64_t since)
{
	return now > since ? now - since : 0;
}

/* An outstanding segment: its subflow sequence end and data-level end. */
struct seg_end {
	uint32_t seq_end;
	uint64_t dend;
};

enum ep_state {
	EP_NONE = 0,  /* no outage */
	EP_OPEN = 1,  /* outage in progress */
	EP_ENDED = 2, /* S's ACK advanced again before recovery: a stall, waiting */
};

enum rc_state {
	RC_NONE = 0,  /* S carries data, or never did */
	RC_CAND = 1,  /* silent for MP_FO_GAP_NS: holes not yet seen */
	RC_HOLES = 2, /* a DATA_ACK left holes: an episode */
	RC_BBM = 3,   /* nothing else carried data; data resumed elsewhere */
	RC_IDLE = 4,  /* silent without holes: S was idle, until its next data */
};

/* One subflow S, data direction X → Y (X: the connection direction of the
 * data's sender). */
struct fdir {
	/* sender side: X's data on S, Y's subflow-level ACKs of it */
	bool snd_known, ack_known;
	uint32_t snd_nxt;          /* highest sequence end X sent on S */
	uint32_t ack_hi;           /* highest ACK from Y on S */
	uint64_t adv_ts, adv_frame; /* the packet that last advanced ack_hi */
	uint64_t os_ts, os_frame;  /* data outstanding since (0: none) */
	uint64_t new_ts;           /* the latest new data segment */
	struct seg_end dq[DQ];     /* decreasing dend, increasing seq_end */
	uint8_t dq_head, dq_n;     /* ring indices */
	bool covered;              /* a DATA_ACK covered the deque's maximum */
	uint64_t cov_ts, cov_frame; /* the first one that did */
	uint32_t cov_sf;           /* and its subflow */
	uint64_t rj_ts, rj_frame;  /* first reinjection of S's data since adv */
	uint32_t rj_sf;            /* on which subflow */
	uint8_t cause_since;       /* first explicit signal since adv */
	bool reported_since;       /* an episode since adv was reported: the
				    * same outage opens no other */
	bool ended;                /* FIN from X, or RST, on S */
	uint64_t end_ts;           /* when */
	bool fb_wait;              /* fb is a reported failover awaiting failback */
	bool fb_back;              /* S's ACK advanced since: its path is back */
	/* the sender-side episode */
	uint8_t ep;                /* enum ep_state */
	uint32_t ack_start;        /* ACK at the outage's start */
	uint32_t lost_seq_end;     /* highest sequence end sent on S since */
	struct mp_failover f;      /* its figures */
	struct mp_failover fb;     /* the reported failover, for its failback */
	/* receiver side */
	uint64_t last_data_ts, last_data_frame; /* X's latest data on S */
	uint64_t last_dend;        /* highest data-level end X sent on S (0: unknown) */
	uint8_t rc;                /* enum rc_state */
	bool rc_other;             /* another subflow carried data since t_fail */
	uint64_t rc_resume_ts;     /* RC_BBM: data resumed elsewhere then */
	struct mp_failover rf;     /* its figures */
};

struct fconn;

struct fsf {
	UT_hash_handle hh;         /* fo->sfs by id */
	uint32_t id;               /* subflow id */
	struct fconn *conn;        /* owner */
	struct fsf *next;          /* next of the connection, in order of appearance */
	uint8_t family;            /* 4 or 6; 0 until a packet was seen */
	uint8_t a[16], b[16];      /* its two addresses, as first seen */
	uint64_t first_ts;         /* first packet or event */
	uint64_t join_syn_ts;      /* MP_JOIN SYN, 0 none */
	uint64_t join_est_ts;      /* its responder's ACK (else its third), 0 none */
	struct fdir d[2];          /* by data direction */
};

/* Data-level state of one direction of a connection. */
struct fcdir {
	bool dack_valid;           /* dack valid */
	uint64_t dack;             /* highest DATA_ACK for this direction's data */
	uint64_t dack_ts, dack_frame; /* its last advance */
	bool sender_vantage;       /* a sender-side outage was seen: receiver-side
				    * candidates in this direction are void */
	uint64_t ack_delay_min;    /* shortest data → ACK-of-all-of-it time seen
				    * (0: none yet); receiver side when small */
	bool hi_valid;             /* hi valid */
	uint64_t hi;               /* highest data-level end seen */
	uint8_t smp_pos, smp_n;    /* samples ring */
	struct { uint64_t ts, hi; } smp[SAMPLES]; /* hi over time */
	uint32_t n_rc;             /* receiver candidates (RC_CAND/HOLES/BBM) */
	uint32_t n_open;           /* sender-side episodes not yet reported */
	bool watch_valid;          /* watch valid */
	uint64_t watch;            /* at most the lowest outstanding-data end not
				    * yet covered by a DATA_ACK on any subflow:
				    * below it, a DATA_ACK advance needs no walk */
	uint32_t n_fb;             /* failovers awaiting failback */
};

struct fconn {
	UT_hash_handle hh;         /* fo->conns by id */
	uint32_t id;               /* connection id */
	struct fsf *sf_head, *sf_tail; /* its subflows */
	uint64_t next_check;       /* the next outage deadline (capture time) */
	uint64_t last_ts;          /* its latest packet */
	struct fcdir x[2];         /* by data direction */
};

struct mp_fo {
	struct mp_fo_cfg cfg;      /* callbacks */
	struct fconn *conns;       /* by id */
	struct fsf *sfs;           /* by id */
	struct fconn *conn_cache[CACHE]; /* recent connections, by id % CACHE */
	struct fsf *sf_cache[CACHE]; /* recent subflows, by id % CACHE */
	uint32_t next_id;          /* last episode id given */
	uint64_t ignored;          /* packets not tracked (OOM) */
	uint64_t now;              /* latest capture time seen */
};

/* ---- names -------------------------------------------------------- */

const char *mp_fo_kind_name(unsigned kind)
{
	return kind == MP_FO_STALL ? "stall" : "failover";
}

const char *mp_fo_vantage_name(unsigned v)
{
	return v == MP_FO_VANTAGE_RECEIVER ? "receiver" : "sender";
}

const char *mp_fo_cause_name(unsigned cause)
{
	static const char *const names[MP_FO_CAUSE__COUNT] = {
		"", "rst", "mp_tcprst", "remove_addr", "mp_prio_backup",
	};
	return cause < MP_FO_CAUSE__COUNT ? names[cause] : "";
}

const char *mp_fo_dir_name(unsigned dir)
{
	return dir ? "s2c" : "c2s";
}

/* ---- tables ------------------------------------------------------- */

struct mp_fo *mp_fo_new(const struct mp_fo_cfg *cfg)
{
	struct mp_fo *fo = calloc(1, sizeof *fo);

	if (fo)
		fo->cfg = *cfg;
	return fo;
}

uint64_t mp_fo_ignored(const struct mp_fo *fo)
{
	return fo ? fo->ignored : 0;
}

static struct fconn *conn_get(struct mp_fo *fo, uint32_t id)
{
	struct fconn *c = fo->conn_cache[id & (CACHE - 1)];

	if (c && c->id == id)
		return c;
	HASH_FIND(hh, fo->conns, &id, sizeof id, c);
	if (!c) {
		c = calloc(1, sizeof *c);
		if (!c)
			return NULL;
		c->id = id;
		c->next_check = UINT64_MAX;
		HASH_ADD(hh, fo->conns, id, sizeof c->id, c);
		if (!fo->conns) { /* the bucket array failed */
			free(c);
			return NULL;
		}
	}
	fo->conn_cache[id & (CACHE - 1)] = c;
	return c;
}

static struct fsf *sf_find(struct mp_fo *fo, uint32_t id)
{
	struct fsf *s = fo->sf_cache[id & (CACHE - 1)];

	if (s && s->id == id)
		return s;
	HASH_FIND(hh, fo->sfs, &id, sizeof id, s);
	if (s)
		fo->sf_cache[id & (CACHE - 1)] = s;
	return s;
}

static struct fsf *sf_get(struct mp_fo *fo, struct fconn *c, uint32_t id,
			  uint64_t ts)
{
	struct fsf *s = sf_find(fo, id);

	if (s && s->conn == c)
		return s;
	if (s && s->conn != c) {
		/* a partial connection merged into c (the engine moved its
		 * subflows): the subflow's state moves along */
		struct fconn *old = s->conn;
		struct fsf **pp = &old->sf_head, *prev = NULL;
		while (*pp && *pp != s) {
			prev = *pp;
			pp = &(*pp)->next;
		}
		if (*pp)
			*pp = s->next;
		if (old->sf_tail == s)
			old->sf_tail = prev;
		s->next = NULL;
		s->conn = c;
		if (c->sf_tail)
			c->sf_tail->next = s;
		else
			c->sf_head = s;
		c->sf_tail = s;
	}
	if (!s) {
		s = calloc(1, sizeof *s);
		if (!s)
			return NULL;
		s->id = id;
		s->conn = c;
		s->first_ts = ts;
		HASH_ADD(hh, fo->sfs, id, sizeof s->id, s);
		if (!fo->sfs) {
			free(s);
			return NULL;
		}
		if (c->sf_tail)
			c->sf_tail->next = s;
		else
			c->sf_head = s;
		c->sf_tail = s;
	}
	fo->sf_cache[id & (CACHE - 1)] = s;
	return s;
}

/* ---- outstanding segments ----------------------------------------- */

static inline struct seg_end *dq_at(struct fdir *fd, unsigned i)
{
	return &fd->dq[(fd->dq_head + i) % DQ];
}

/* Appends a new segment (its seq_end beyond all others): segments with a
 * lower or equal data-level end are dominated and go. When full, the last
 * entry absorbs it (keeps the larger dend: conservative). */
static void dq_push(struct fdir *fd, uint32_t seq_end, uint64_t dend)
{
	while (fd->dq_n && !mp_seq64_after(dq_at(fd, fd->dq_n - 1u)->dend, dend))
		fd->dq_n--;
	if (fd->dq_n == DQ) {
		dq_at(fd, DQ - 1u)->seq_end = seq_end;
		return;
	}
	dq_at(fd, fd->dq_n)->seq_end = seq_end;
	dq_at(fd, fd->dq_n)->dend = dend;
	fd->dq_n++;
}

/* Drops the segments that `ack` covers at the subflow level. */
static void dq_ack(struct fdir *fd, uint32_t ack)
{
	while (fd->dq_n && !mp_seq32_after(dq_at(fd, 0)->seq_end, ack)) {
		fd->dq_head = (uint8_t)((fd->dq_head + 1u) % DQ);
		fd->dq_n--;
	}
}

/* The largest data-level end of S's outstanding data (0: unknown). */
static inline uint64_t dq_max(struct fdir *fd)
{
	return fd->dq_n ? dq_at(fd, 0)->dend : 0;
}

/* ---- receiver-side samples ---------------------------------------- */

static void hi_note(struct fcdir *cx, uint64_t ts, uint64_t end)
{
	if (cx->hi_valid && !mp_seq64_after(end, cx->hi))
		return;
	cx->hi = end;
	cx->hi_valid = true;
	if (cx->smp_n) {
		unsigned last = (cx->smp_pos + SAMPLES - 1u) % SAMPLES;
		if (ts - cx->smp[last].ts < SAMPLE_NS) {
			cx->smp[last].hi = end; /* still "as of" a time within it */
			return;
		}
	}
	cx->smp[cx->smp_pos].ts = ts;
	cx->smp[cx->smp_pos].hi = end;
	cx->smp_pos = (uint8_t)((cx->smp_pos + 1u) % SAMPLES);
	if (cx->smp_n < SAMPLES)
		cx->smp_n++;
}

/* The data-level high that had been reached by time t (the latest sample
 * at or before it; the oldest one kept when none is that old). */
static uint64_t hi_at(const struct fcdir *cx, uint64_t t)
{
	uint64_t v = 0;
	bool found = false;

	for (unsigned i = 0; i < cx->smp_n; i++) {
		unsigned k = (cx->smp_pos + SAMPLES - 1u - i) % SAMPLES;
		v = cx->smp[k].hi;
		if (cx->smp[k].ts <= t) {
			found = true;
			break;
		}
	}
	(void)found;
	return v;
}

/* ---- reporting ---------------------------------------------------- */

/* The first join of c whose SYN came after the outage began (t_fail, or
 * the first segment of an idle subflow) and by t1: break-before-make. */
static void join_during(const struct fconn *c, struct mp_failover *f,
			uint64_t t1)
{
	uint64_t t0 = f->t_sent_ns ? f->t_sent_ns : f->t_fail_ns;

	for (const struct fsf *s = c->sf_head; s; s = s->next) {
		if (s->join_syn_ts && s->join_syn_ts >= t0 &&
		    s->join_syn_ts <= t1 && s->id != f->from_sf) {
			f->join_sf = s->id;
			f->join_setup_ns = s->join_est_ts > s->join_syn_ts
					   ? s->join_est_ts - s->join_syn_ts : 0;
			return;
		}
	}
}

static void report(struct mp_fo *fo, const struct fconn *c,
		   struct mp_failover *f, uint64_t end_ns)
{
	if (f->t_recovered_ns) {
		f->latency_ns = f->t_recovered_ns - f->t_fail_ns;
	} else {
		f->lower_bound = true;
		f->latency_ns = elapsed(end_ns, f->t_fail_ns);
	}
	join_during(c, f, f->t_recovered_ns ? f->t_recovered_ns : end_ns);
	f->id = ++fo->next_id;
	if (fo->cfg.on_episode)
		fo->cfg.on_episode(fo->cfg.user, f);
}

/* A sender-side episode is complete. */
static void ep_done(struct mp_fo *fo, struct fconn *c, struct fdir *fd,
		    uint64_t end_ns)
{
	struct mp_failover *f = &fd->f;

	f->kind = fd->ep == EP_OPEN && f->t_recovered_ns ? MP_FO_FAILOVER
							 : MP_FO_STALL;
	f->lost_bytes = (uint32_t)(fd->lost_seq_end - fd->ack_start);
	report(fo, c, f, end_ns);
	fd->reported_since = fd->ep == EP_OPEN; /* the outage goes on */
	c->x[f->dir].n_open--;
	if (f->kind == MP_FO_FAILOVER && f->t_recovered_ns) {
		fd->fb = *f;
		if (!fd->fb_wait)
			c->x[f->dir].n_fb++;
		fd->fb_wait = true;
		fd->fb_back = false;
	}
	fd->ep = EP_NONE;
}

/* S has had data outstanding without an ACK advance for MP_FO_GAP_NS. */
static void ep_open(struct mp_fo *fo, struct fconn *c, struct fsf *s,
		    unsigned x, uint64_t now)
{
	struct fdir *fd = &s->d[x];
	struct mp_failover *f = &fd->f;

	memset(f, 0, sizeof *f);
	f->conn = c->id;
	f->dir = (uint8_t)x;
	f->vantage = MP_FO_VANTAGE_SENDER;
	f->from_sf = s->id;
	f->t_fail_ns = fd->adv_ts;
	f->fail_frame = fd->adv_frame;
	if (fd->os_ts > fd->adv_ts + MP_FO_GAP_NS) {
		/* S was idle, everything acknowledged, for longer than an
		 * outage: t_fail (the contract's) is that old ACK; the first
		 * segment sent since is where the outage can be seen */
		f->t_sent_ns = fd->os_ts;
		f->sent_frame = fd->os_frame;
	}
	f->cause = fd->cause_since;
	if (fd->rj_ts) {
		f->t_first_reinject_ns = fd->rj_ts;
		f->first_reinject_frame = fd->rj_frame;
		f->to_sf = fd->rj_sf;
	}
	fd->ack_start = fd->ack_hi;
	fd->lost_seq_end = fd->snd_nxt;
	f->lost_dsn_end = dq_max(fd);
	fd->ep = EP_OPEN;
	c->x[x].n_open++;
	c->x[x].sender_vantage = true;
	if (fd->fb_wait) { /* a new outage before the failback */
		fd->fb_wait = false;
		c->x[x].n_fb--;
	}
	/* the DATA_ACK may have covered it already (only the ACKs were lost) */
	if (f->lost_dsn_end && fd->covered && fd->cov_ts >= f->t_fail_ns) {
		f->t_recovered_ns = fd->cov_ts;
		f->recovered_frame = fd->cov_frame;
		if (!f->to_sf)
			f->to_sf = fd->cov_sf;
		ep_done(fo, c, fd, now);
	} else if (f->lost_dsn_end && c->x[x].dack_valid &&
		   !mp_seq64_after(f->lost_dsn_end, c->x[x].dack) && c->x[x].dack_ts >= f->t_fail_ns) {
		/* covered since its maximum went down with S's ACKs: the
		 * latest DATA_ACK advance is when it was known at the latest */
		f->t_recovered_ns = c->x[x].dack_ts;
		f->recovered_frame = c->x[x].dack_frame;
		ep_done(fo, c, fd, now);
	}
	(void)now;
}

/* A receiver-side episode is complete. */
static void rc_done(struct mp_fo *fo, struct fconn *c, struct fdir *fd,
		    uint64_t end_ns)
{
	struct fcdir *cx = &c->x[fd->rf.dir];

	if (!cx->sender_vantage)
		report(fo, c, &fd->rf, end_ns);
	fd->rc = RC_IDLE;
	cx->n_rc--;
}

/* ---- per packet --------------------------------------------------- */

/* Scans c's subflows for outages that have begun, and sets the next
 * deadline. */
static void scan(struct mp_fo *fo, struct fconn *c, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	for (struct fsf *s = c->sf_head; s; s = s->next) {
		for (unsigned x = 0; x < 2; x++) {
			struct fdir *fd = &s->d[x];
			struct fcdir *cx = &c->x[x];
			if (fd->ep == EP_NONE && fd->snd_known && fd->ack_known &&
			    !fd->reported_since && mp_seq32_after(fd->snd_nxt, fd->ack_hi)) {
				uint64_t since = max64(fd->adv_ts, fd->os_ts);
				/* a subflow closed by a FIN or RST is no longer
				 * waiting for its ACKs */
				uint64_t upto = fd->ended && fd->end_ts < now ? fd->end_ts : now;
				if (elapsed(upto, since) > MP_FO_GAP_NS)
					ep_open(fo, c, s, x, now);
				else if (since + MP_FO_GAP_NS + 1 < next)
					next = since + MP_FO_GAP_NS + 1;
			}
			/* receiver side: only where the capture is beside Y
			 * (ACKs follow the data at once) */
			if (fd->rc != RC_NONE || !fd->last_data_ts || fd->ended ||
			    cx->sender_vantage || !cx->ack_delay_min ||
			    cx->ack_delay_min > MP_FO_NEAR_NS)
				continue;
			if (elapsed(now, fd->last_data_ts) > MP_FO_GAP_NS) {
				memset(&fd->rf, 0, sizeof fd->rf);
				fd->rf.conn = c->id;
				fd->rf.dir = (uint8_t)x;
				fd->rf.vantage = MP_FO_VANTAGE_RECEIVER;
				fd->rf.kind = MP_FO_FAILOVER;
				fd->rf.from_sf = s->id;
				fd->rf.t_fail_ns = fd->last_data_ts;
				fd->rf.fail_frame = fd->last_data_frame;
				fd->rf.cause = fd->cause_since;
				fd->rc = RC_CAND;
				fd->rc_other = false;
				for (const struct fsf *t = c->sf_head; t; t = t->next)
					if (t != s && t->d[x].last_data_ts > fd->last_data_ts)
						fd->rc_other = true;
				cx->n_rc++;
			} else if (fd->last_data_ts + MP_FO_GAP_NS + 1 < next) {
				next = fd->last_data_ts + MP_FO_GAP_NS + 1;
			}
		}
	}
	c->next_check = next;
}

/* Y's subflow-level ACK on S advanced to `ack`. */
static void sf_ack_adv(struct mp_fo *fo, struct fconn *c, struct fsf *s,
		       unsigned x, const struct mp_fo_pkt *p)
{
	struct fdir *fd = &s->d[x];

	if (fd->ep == EP_NONE && fd->snd_known && !fd->reported_since &&
	    mp_seq32_after(fd->snd_nxt, fd->ack_hi) &&
	    elapsed(p->ts_ns, max64(fd->adv_ts, fd->os_ts)) > MP_FO_GAP_NS)
		ep_open(fo, c, s, x, p->ts_ns); /* the scan had no chance */
	if (fd->ep == EP_OPEN) {
		/* the outage ends; not recovered yet: S recovers by itself */
		fd->ep = EP_ENDED;
		if (!fd->f.lost_dsn_end) /* the lost data's end is unknown */
			ep_done(fo, c, fd, p->ts_ns);
	}
	if (fd->snd_known && p->pkt->ack == fd->snd_nxt && fd->new_ts) {
		/* everything acknowledged: how long after the last of it? */
		struct fcdir *cx = &c->x[x];
		uint64_t delay = elapsed(p->ts_ns, fd->new_ts) + 1; /* 0: none */
		if (!cx->ack_delay_min || delay < cx->ack_delay_min)
			cx->ack_delay_min = delay;
	}
	fd->ack_hi = p->pkt->ack;
	fd->adv_ts = p->ts_ns;
	fd->adv_frame = p->frame;
	dq_ack(fd, p->pkt->ack);
	if (fd->dq_n && !fd->covered) {
		/* its maximum may have gone down */
		struct fcdir *cw = &c->x[x];
		if (!cw->watch_valid || mp_seq64_after(cw->watch, dq_max(fd))) {
			cw->watch = dq_max(fd);
			cw->watch_valid = true;
		}
	}
	if (!fd->snd_known || !mp_seq32_after(fd->snd_nxt, p->pkt->ack))
		fd->os_ts = 0;
	fd->rj_ts = 0;
	fd->cause_since = MP_FO_CAUSE_NONE;
	fd->reported_since = false;
	if (fd->fb_wait)
		fd->fb_back = true;
}

static void failback(struct mp_fo *fo, struct fconn *c, struct fdir *fd,
		     const struct mp_fo_pkt *p)
{
	fd->fb.t_failback_ns = p->ts_ns;
	fd->fb.failback_frame = p->frame;
	fd->fb.failback_sf = p->ann->subflow;
	fd->fb_wait = false;
	c->x[fd->fb.dir].n_fb--;
	if (fo->cfg.on_failback)
		fo->cfg.on_failback(fo->cfg.user, &fd->fb);
}

static bool same_addrs(const struct fsf *s, const struct fsf *t)
{
	size_t n = s->family == 6 ? 16 : 4;

	if (s->family != t->family || !s->family)
		return false;
	return (!memcmp(s->a, t->a, n) && !memcmp(s->b, t->b, n)) ||
	       (!memcmp(s->a, t->b, n) && !memcmp(s->b, t->a, n));
}

/* New data from X on S: failbacks that it completes. */
static void new_data_failback(struct mp_fo *fo, struct fconn *c,
			      struct fsf *s, unsigned x,
			      const struct mp_fo_pkt *p)
{
	struct fdir *fd = &s->d[x];

	if (fd->fb_wait && fd->fb_back && p->ts_ns > fd->fb.t_recovered_ns) {
		failback(fo, c, fd, p);
		return;
	}
	for (struct fsf *t = c->sf_head; t && c->x[x].n_fb; t = t->next) {
		struct fdir *td = &t->d[x];
		if (t != s && td->fb_wait && s->first_ts > td->fb.t_fail_ns &&
		    same_addrs(s, t))
			failback(fo, c, td, p);
	}
}

/* Payload from X on S. */
static void data_seg(struct mp_fo *fo, struct fconn *c, struct fsf *s,
		     const struct mp_fo_pkt *p)
{
	unsigned x = p->ann->conn_dir;
	struct fdir *fd = &s->d[x];
	struct fcdir *cx = &c->x[x];
	uint32_t seq_end = p->pkt->seq + p->pkt->payload_len;
	uint64_t dend = p->ann->has_map ? p->ann->seg_dsn + p->ann->seg_dlen : 0;

	if (p->ann->has_map)
		hi_note(cx, p->ts_ns, dend);
	if (!fd->snd_known || mp_seq32_after(seq_end, fd->snd_nxt)) {
		if (!fd->snd_known || !fd->ack_known ||
		    !mp_seq32_after(fd->snd_nxt, fd->ack_hi) || !fd->os_ts) {
			fd->os_ts = p->ts_ns; /* data outstanding from now */
			fd->os_frame = p->frame;
			if (p->ts_ns + MP_FO_GAP_NS + 1 < c->next_check)
				c->next_check = p->ts_ns + MP_FO_GAP_NS + 1;
		}
		fd->snd_nxt = seq_end;
		fd->snd_known = true;
		fd->new_ts = p->ts_ns;
		if (p->ann->has_map) {
			if (!fd->dq_n || mp_seq64_after(dend, dq_max(fd))) {
				fd->covered = false;
				if (!cx->watch_valid || mp_seq64_after(cx->watch, dend)) {
					cx->watch = dend;
					cx->watch_valid = true;
				}
			}
			dq_push(fd, seq_end, dend);
		}
		if (__builtin_expect(cx->n_fb != 0, 0))
			new_data_failback(fo, c, s, x, p);
	}
	if (fd->ep == EP_OPEN) {
		if (mp_seq32_after(seq_end, fd->lost_seq_end))
			fd->lost_seq_end = seq_end;
		if (p->ann->has_map && mp_seq64_after(dend, fd->f.lost_dsn_end))
			fd->f.lost_dsn_end = dend;
	}
	/* receiver side */
	fd->last_data_ts = p->ts_ns;
	fd->last_data_frame = p->frame;
	if (p->ann->has_map && (!fd->last_dend || mp_seq64_after(dend, fd->last_dend)))
		fd->last_dend = dend;
	if (fd->rc == RC_CAND || fd->rc == RC_BBM) {
		fd->rc = RC_NONE; /* S was only idle */
		cx->n_rc--;
	} else if (fd->rc == RC_HOLES) {
		fd->rf.kind = MP_FO_STALL; /* S resumed before the holes filled */
	} else if (fd->rc == RC_IDLE) {
		fd->rc = RC_NONE;
	}
	if (cx->n_rc) {
		for (struct fsf *t = c->sf_head; t; t = t->next) {
			struct fdir *td = &t->d[x];
			if (t == s || td->rc != RC_CAND || td->rc_other)
				continue;
			if (p->ts_ns > td->rf.t_fail_ns + MP_FO_GAP_NS &&
			    s->join_syn_ts > td->rf.t_fail_ns) {
				/* break-before-make: the data resumes on a
				 * subflow joined after S went silent */
				td->rc = RC_BBM;
				td->rc_resume_ts = p->ts_ns;
				td->rf.to_sf = s->id;
			} else {
				/* another subflow that existed before: S was
				 * idle, or the holes will tell */
				td->rc_other = true;
			}
		}
	}
	/* a reinjection of another subflow's data */
	if (p->ann->resend == MP_RESEND_REINJECT && p->ann->resend_of_sf &&
	    p->ann->resend_of_sf != s->id) {
		struct fsf *o = sf_find(fo, p->ann->resend_of_sf);
		if (o && o->conn == c) {
			struct fdir *od = &o->d[x];
			if (!od->rj_ts) {
				od->rj_ts = p->ts_ns;
				od->rj_frame = p->frame;
				od->rj_sf = s->id;
			}
			if (od->ep != EP_NONE && !od->f.t_first_reinject_ns) {
				od->f.t_first_reinject_ns = p->ts_ns;
				od->f.first_reinject_frame = p->frame;
				od->f.to_sf = s->id;
			}
		}
	}
}

/* A DATA_ACK for the data of direction x, on subflow `via`. */
static void data_ack(struct mp_fo *fo, struct fconn *c, unsigned x,
		     const struct mp_fo_pkt *p)
{
	struct fcdir *cx = &c->x[x];
	bool adv = !cx->dack_valid || mp_seq64_after(p->ann->dack, cx->dack);

	if (cx->n_rc) {
		/* receiver side: every DATA_ACK counts, also repeated ones */
		uint64_t covered_hi = hi_at(cx, elapsed(p->ts_ns, MP_FO_HOLE_NS));
		for (struct fsf *t = c->sf_head; t; t = t->next) {
			struct fdir *td = &t->d[x];
			if (td->rc == RC_BBM) {
				if (adv && p->ts_ns > td->rc_resume_ts) {
					td->rf.lower_bound = true;
					td->rf.t_recovered_ns = p->ts_ns;
					td->rf.recovered_frame = p->frame;
					rc_done(fo, c, td, p->ts_ns);
				}
				continue;
			}
			if (td->rc != RC_CAND && td->rc != RC_HOLES)
				continue;
			if (p->ts_ns < td->rf.t_fail_ns + MP_FO_GAP_NS)
				continue;
			if (!mp_seq64_after(covered_hi, p->ann->dack)) {
				if (td->rc == RC_HOLES) {
					td->rf.t_recovered_ns = p->ts_ns;
					td->rf.recovered_frame = p->frame;
					if (!td->rf.to_sf)
						td->rf.to_sf = p->ann->subflow;
					rc_done(fo, c, td, p->ts_ns);
				} else if (td->rc_other) {
					td->rc = RC_IDLE; /* no holes: S was idle */
					cx->n_rc--;
				}
			} else if (td->rc == RC_CAND && td->last_dend &&
				   p->ann->dack == td->last_dend) {
				/* the first hole starts where S's data stopped:
				 * it is S's (not another subflow's loss) */
				td->rc = RC_HOLES;
			}
			if (td->rc == RC_HOLES && adv && cx->dack_valid) {
				uint64_t g = elapsed(p->ts_ns, max64(cx->dack_ts, td->rf.t_fail_ns));
				if (g > td->rf.stall_ns)
					td->rf.stall_ns = g;
			}
		}
	}
	if (!adv)
		return;
	if (!cx->n_open && (!cx->watch_valid || mp_seq64_after(cx->watch, p->ann->dack)))
		goto done; /* nothing waits for this DATA_ACK */
	cx->watch_valid = false;
	for (struct fsf *t = c->sf_head; t; t = t->next) {
		struct fdir *td = &t->d[x];
		if (td->ep != EP_NONE) {
			uint64_t from = cx->dack_valid ? max64(cx->dack_ts, td->f.t_fail_ns)
						       : td->f.t_fail_ns;
			if (p->ts_ns > from && p->ts_ns - from > td->f.stall_ns)
				td->f.stall_ns = p->ts_ns - from;
			if (td->f.lost_dsn_end && !mp_seq64_after(td->f.lost_dsn_end, p->ann->dack)) {
				td->f.t_recovered_ns = p->ts_ns;
				td->f.recovered_frame = p->frame;
				if (!td->f.to_sf)
					td->f.to_sf = p->ann->subflow;
				ep_done(fo, c, td, p->ts_ns);
			}
		} else if (td->dq_n && !td->covered) {
			if (!mp_seq64_after(dq_max(td), p->ann->dack)) {
				td->covered = true;
				td->cov_ts = p->ts_ns;
				td->cov_frame = p->frame;
				td->cov_sf = p->ann->subflow;
			} else if (!cx->watch_valid || mp_seq64_after(cx->watch, dq_max(td))) {
				cx->watch = dq_max(td);
				cx->watch_valid = true;
			}
		}
	}
done:
	cx->dack = p->ann->dack;
	cx->dack_valid = true;
	cx->dack_ts = p->ts_ns;
	cx->dack_frame = p->frame;
}

void mp_fo_packet(struct mp_fo *fo, const struct mp_fo_pkt *p)
{
	struct fconn *c;
	struct fsf *s;
	unsigned x = p->ann->conn_dir & 1u;

	/* the engine keeps our state's address beside its own */
	s = p->ann->sf_an ? *p->ann->sf_an : NULL;
	if (__builtin_expect(!s || s->conn->id != p->ann->conn || s->id != p->ann->subflow, 0)) {
		c = conn_get(fo, p->ann->conn);
		s = c ? sf_get(fo, c, p->ann->subflow, p->ts_ns) : NULL;
		if (!s) {
			fo->ignored++;
			return;
		}
		if (p->ann->sf_an)
			*p->ann->sf_an = s;
	}
	c = s->conn;
	if (__builtin_expect(!s->family, 0) && (p->pkt->family == 4 || p->pkt->family == 6)) {
		s->family = p->pkt->family;
		memcpy(s->a, p->pkt->src, p->pkt->family == 6 ? 16 : 4);
		memcpy(s->b, p->pkt->dst, p->pkt->family == 6 ? 16 : 4);
	}
	if (p->pkt->payload_len && !(p->pkt->flags & MP_TH_SYN))
		data_seg(fo, c, s, p);
	if (p->pkt->flags & MP_TH_ACK) {
		/* the subflow-level ACK of the other direction's data */
		struct fdir *fd = &s->d[1 - x];
		if (!fd->ack_known) {
			fd->ack_known = true;
			fd->ack_hi = p->pkt->ack;
			fd->adv_ts = p->ts_ns;
			fd->adv_frame = p->frame;
		} else if (mp_seq32_after(p->pkt->ack, fd->ack_hi)) {
			sf_ack_adv(fo, c, s, 1 - x, p);
		}
	}
	if ((p->pkt->flags & MP_TH_FIN) && !s->d[x].ended) {
		s->d[x].ended = true;
		s->d[x].end_ts = p->ts_ns;
	}
	for (unsigned k = 0; k < 2 && (p->pkt->flags & MP_TH_RST); k++) {
		if (!s->d[k].ended) {
			s->d[k].ended = true;
			s->d[k].end_ts = p->ts_ns;
		}
	}
	c->last_ts = max64(c->last_ts, p->ts_ns);
	if (p->ts_ns > fo->now)
		fo->now = p->ts_ns;
	if (p->ann->has_dack)
		data_ack(fo, c, 1 - x, p);
	if (p->ts_ns >= c->next_check)
		scan(fo, c, p->ts_ns);
}

/* ---- events and signals ------------------------------------------- */

static void cause(struct fsf *s, unsigned why)
{
	for (unsigned x = 0; x < 2; x++) {
		struct fdir *fd = &s->d[x];
		if (!fd->cause_since)
			fd->cause_since = (uint8_t)why;
		if (fd->ep != EP_NONE && !fd->f.cause)
			fd->f.cause = (uint8_t)why;
		if ((fd->rc == RC_CAND || fd->rc == RC_HOLES) && !fd->rf.cause)
			fd->rf.cause = (uint8_t)why;
	}
}

void mp_fo_event(struct mp_fo *fo, const struct mp_event *ev)
{
	struct fconn *c;
	struct fsf *s;

	if (!ev->conn || !ev->subflow)
		return;
	switch (ev->type) {
	case MP_EV_RST:
	case MP_EV_MP_TCPRST:
	case MP_EV_FIN:
	case MP_EV_JOIN_SYN:
	case MP_EV_JOIN_ACK:
	case MP_EV_JOIN_ACK_RESPONDER:
		break;
	default:
		return;
	}
	c = conn_get(fo, ev->conn);
	s = c ? sf_get(fo, c, ev->subflow, ev->ts_ns) : NULL;
	if (!s)
		return;
	switch (ev->type) {
	case MP_EV_RST:
		cause(s, MP_FO_CAUSE_RST);
		break;
	case MP_EV_MP_TCPRST:
		cause(s, MP_FO_CAUSE_TCPRST);
		break;
	case MP_EV_JOIN_SYN:
		if (!s->join_syn_ts)
			s->join_syn_ts = ev->ts_ns;
		break;
	case MP_EV_JOIN_ACK:
		if (!s->join_est_ts)
			s->join_est_ts = ev->ts_ns;
		break;
	case MP_EV_JOIN_ACK_RESPONDER:
		/* the fourth step: the join is set up (RFC 8684 §3.2) */
		s->join_est_ts = ev->ts_ns;
		break;
	default:
		break;
	}
}

void mp_fo_signal(struct mp_fo *fo, const struct mp_sf_signal *sig)
{
	struct fconn *c = conn_get(fo, sig->conn);
	struct fsf *s = c ? sf_get(fo, c, sig->subflow, sig->ts_ns) : NULL;

	if (!s)
		return;
	if (sig->type == MP_EV_REMOVE_ADDR)
		cause(s, MP_FO_CAUSE_REMOVE_ADDR);
	else if (sig->type == MP_EV_MP_PRIO && sig->backup)
		cause(s, MP_FO_CAUSE_PRIO_BACKUP);
}

/* ---- endings ------------------------------------------------------ */

static void conn_close(struct mp_fo *fo, struct fconn *c, uint64_t now)
{
	struct fsf *s, *next;

	/* outages running to the end of the capture, or of the connection
	 * when it ended earlier (its last packet) */
	if (c->last_ts && c->last_ts < now)
		now = c->last_ts;
	scan(fo, c, now);
	for (s = c->sf_head; s; s = s->next) {
		for (unsigned x = 0; x < 2; x++) {
			struct fdir *fd = &s->d[x];
			if (fd->ep != EP_NONE)
				ep_done(fo, c, fd, now);
			if (fd->rc == RC_HOLES)
				rc_done(fo, c, fd, now);
		}
	}
	for (s = c->sf_head; s; s = next) {
		next = s->next;
		HASH_DEL(fo->sfs, s);
		if (fo->sf_cache[s->id & (CACHE - 1)] == s)
			fo->sf_cache[s->id & (CACHE - 1)] = NULL;
		free(s);
	}
	HASH_DEL(fo->conns, c);
	if (fo->conn_cache[c->id & (CACHE - 1)] == c)
		fo->conn_cache[c->id & (CACHE - 1)] = NULL;
	free(c);
}

void mp_fo_conn_end(struct mp_fo *fo, uint32_t conn, uint64_t now_ns)
{
	struct fconn *c = NULL;

	if (!fo)
		return;
	HASH_FIND(hh, fo->conns, &conn, sizeof conn, c);
	if (c)
		conn_close(fo, c, max64(now_ns, fo->now));
}

void mp_fo_free(struct mp_fo *fo)
{
	if (!fo)
		return;
	while (fo->conns)
		conn_close(fo, fo->conns, fo->now);
	free(fo);
}
