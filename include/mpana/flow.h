/* SPDX-License-Identifier: BSD-2-Clause */
/* flow.h - the MPTCP connection reassembly engine: subflows, connections,
 * data-level state (src/engine/engine.c).
 *
 * RFC 8684 §3.1-3.7 (RFC 6824 for version 0). Subflows are found by their
 * 4-tuple in either direction, connections by either of their two tokens.
 * Both tables are capped and expire idle entries by capture time (STYLE
 * R11). The tables' uthash handles live beside these records in the
 * engine's own wrappers (engine_int.h), so that these public structs do
 * not depend on uthash or on its settings. Per-packet work allocates
 * nothing: memory grows with connections and subflows, never with
 * packets. The records below are read by the output back ends; only the
 * files of src/engine/ write them.
 *
 * Directions: a subflow's direction 0 is from its `src` (the host that sent
 * its SYN, or the first packet seen when there was no SYN) to its `dst`; a
 * connection's direction 0 is from its client (the MP_CAPABLE SYN sender)
 * to its server. Hosts of a connection are numbered 0 (client), 1 (server). */
#ifndef MPANA_FLOW_H
#define MPANA_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mpana/dseq.h"
#include "mpana/event.h"
#include "mpana/opt.h"
#include "mpana/pkt.h"


#define MP_CONN_ADDRS 8      /* announced addresses kept per connection */
#define MP_APP_NAME_MAX 32   /* application protocol name, NUL included */
#define MP_DEFAULT_MAX_CONNS 65536u
#define MP_DEFAULT_IDLE_NS (600ull * 1000000000ull) /* 10 min of capture time */
#define MP_CLOSED_GRACE_NS (60ull * 1000000000ull) /* closed connections kept, like TIME_WAIT */

enum mp_sf_kind {
	MP_SF_INITIAL = 0, /* MP_CAPABLE handshake */
	MP_SF_JOIN = 1,    /* MP_JOIN handshake */
	MP_SF_PARTIAL = 2, /* seen without its handshake */
};

enum mp_sf_state {
	MP_SFS_SYN_SENT = 0,    /* SYN seen */
	MP_SFS_SYN_RCVD = 1,    /* SYN/ACK seen */
	MP_SFS_ESTABLISHED = 2, /* third ACK seen (or data without handshake) */
	MP_SFS_CLOSING = 3,     /* one FIN seen */
	MP_SFS_CLOSED = 4,      /* both FINs, or a RST */
};

/* Why a subflow or a connection ended (RFC 8684 §3.5, §3.6). */
enum mp_close_reason {
	MP_CLOSE_NONE = 0,      /* still open */
	MP_CLOSE_FIN = 1,       /* both FINs (subflow) */
	MP_CLOSE_RST = 2,       /* TCP RST */
	MP_CLOSE_TCPRST = 3,    /* RST with MP_TCPRST (reason in tcprst_reason) */
	MP_CLOSE_FASTCLOSE = 4, /* MP_FASTCLOSE */
	MP_CLOSE_DATA_FIN = 5,  /* DATA_FIN in both directions (connection) */
	MP_CLOSE_SUBFLOWS = 6,  /* all subflows closed without DATA_FIN (connection) */
	MP_CLOSE_IDLE = 7,      /* expired: idle for the configured capture time */
	MP_CLOSE_EVICTED = 8,   /* evicted when a table was full */
	MP_CLOSE_REPLACED = 9,  /* 4-tuple reused by a new SYN */
};

/* Fallback to regular TCP (RFC 8684 §3.7), first form seen. */
enum mp_fallback {
	MP_FB_NONE = 0,
	MP_FB_NO_MPC_SYNACK = 1, /* SYN/ACK without MP_CAPABLE */
	MP_FB_NO_MPC_ACK = 2,    /* third ACK without MP_CAPABLE */
	MP_FB_DATA_NO_DSS = 3,   /* data without a DSS mapping */
	MP_FB_INFINITE_MAP = 4,  /* DSS mapping with data-level length 0 */
	MP_FB_MP_FAIL = 5,       /* MP_FAIL */
	MP_FB_JOIN_REFUSED = 6,  /* join SYN/ACK without MP_JOIN (subflow only) */
	MP_FB_SIMULTANEOUS = 7,  /* MP_CAPABLE SYNs crossed (simultaneous connect) */
	MP_FB_MD5SIG = 8,        /* TCP-MD5 option (kind 19) on the handshake */
	MP_FB_MPC_SYN_DROPPED = 9, /* MP_CAPABLE SYN unanswered, retried without it */
};
/* MP_FB_DATA_NO_DSS ("no_dss") means the mappings stopped for good on a
 * subflow, never one packet that no seen mapping covers (captures miss
 * packets): it is decided from a run of packets without MPTCP options
 * (struct mp_nodss_run), early when the run leaves no doubt, else when
 * the subflow or its connection ends. */

/* Which host fell back (bits; host 0 client, host 1 server). */
enum mp_fb_side {
	MP_FB_SIDE_NONE = 0,
	MP_FB_SIDE_CLIENT = 1,
	MP_FB_SIDE_SERVER = 2,
	MP_FB_SIDE_BOTH = 3,
};

/* A run of packets without any MPTCP option in one subflow direction,
 * after the MPTCP handshake and before any FIN or RST (fallback "no_dss"). */
struct mp_nodss_run {
	uint64_t frame;         /* first packet of the run, 0: no run */
	uint64_t ts;            /* its capture time */
	uint64_t data_frame;    /* first data packet no seen mapping covers, 0: none */
	uint64_t data_ts;       /* its capture time */
	uint32_t data_seq;      /* relative subflow sequence of that data */
	uint32_t data_end;      /* highest uncovered end since (relative) */
	uint32_t pkts;          /* packets in the run */
	uint32_t peer_data;     /* data packets of the other direction meanwhile */
	bool peer_spoke;        /* the other direction sent an MPTCP option after
				 * data_frame (its receiver did not fall back) */
};

/* A 64-bit sequence value with the packet that last advanced it. */
struct mp_seqmark {
	uint64_t val;   /* 64-bit value (DSN end or DATA_ACK) */
	uint64_t frame; /* packet that last advanced it */
	uint64_t ts_ns; /* and its capture time */
	bool valid;     /* set once a value was seen */
};

/* The canonical 4-tuple: the lower (address, port) end first, so both
 * directions give the same key. Compared bytewise: always zero it first. */
struct mp_tuple {
	uint8_t family;      /* 4 or 6 */
	uint8_t pad[3];      /* zero */
	uint16_t port_lo;    /* port of the lower end */
	uint16_t port_hi;    /* port of the higher end */
	uint8_t addr_lo[16]; /* lower end's address */
	uint8_t addr_hi[16]; /* higher end's address */
};

struct mp_conn;

struct mp_subflow {
	struct mp_tuple key;      /* canonical 4-tuple */
	uint32_t id;              /* 1-based, in order of first appearance */
	struct mp_conn *conn;     /* owner; NULL while unattributed */
	struct mp_subflow *conn_next; /* next subflow of `conn`, in id order */
	struct mp_subflow *lru_prev, *lru_next; /* loose (conn == NULL) LRU list */
	uint8_t family;           /* 4 or 6 */
	uint8_t src[16];          /* SYN sender (or first sender seen) */
	uint8_t dst[16];          /* the other end */
	uint16_t sport, dport;    /* host order */
	uint8_t kind;             /* enum mp_sf_kind */
	uint8_t state;            /* enum mp_sf_state */
	uint8_t close_reason;     /* enum mp_close_reason */
	uint8_t tcprst_reason;    /* MP_TCPRST reason when close_reason says so */
	uint8_t fallback;         /* enum mp_fallback seen on this subflow */
	bool src_is_client;       /* src is the connection's client host */
	bool orphan;              /* join whose token matched no known connection */
	bool in_table;            /* still in the 4-tuple table */
	bool backup;              /* backup per the last MP_JOIN/MP_PRIO seen */
	bool removed;             /* an address of it was removed (REMOVE_ADDR) */
	bool fin[2];              /* FIN seen per subflow direction */
	bool synack_seen;         /* SYN/ACK seen */
	bool ack3_seen;           /* third ACK (from src after SYN/ACK) seen */
	bool ack4_seen;           /* join: responder's ACK seen */
	bool addr_id_known[2];    /* [0]: src host's address id, [1]: dst host's */
	uint8_t addr_id[2];       /* idem */
	uint8_t attach_tries;     /* partial: DSS packets tried against connections */
	bool isn_valid[2];        /* isn[d] known: from the SYN / SYN/ACK, or
				   * estimated from the first mapping seen on a
				   * subflow without handshake (mp_seg_dsn) */
	int8_t hmac_synack;       /* MP_OK_*: join SYN/ACK truncated HMAC */
	int8_t hmac_ack;          /* MP_OK_*: join third ACK HMAC */
	uint16_t malformed;       /* malformed options seen (events rate-limited) */
	uint32_t token;           /* join SYN: token of the receiving host */
	uint32_t nonce[2];        /* join: R-A (src), R-B (dst) */
	bool nonce_known[2];      /* idem */
	uint32_t isn[2];          /* TCP ISN per direction (from SYN, SYN/ACK) */
	uint64_t syn_frame;       /* first SYN (0 when none seen) */
	uint64_t syn_ts;          /* its capture time (ns), 0 when none */
	uint64_t established_ts;  /* third ACK (or first packet without handshake) */
	uint64_t closed_ts;       /* when it reached CLOSED, 0 while open */
	uint64_t first_ts;        /* first packet */
	uint64_t last_ts;         /* latest packet */
	uint64_t pkts[2];         /* packets per subflow direction */
	uint64_t bytes[2];        /* TCP payload bytes per subflow direction */
	uint64_t retrans_bytes[2]; /* TCP retransmissions: payload bytes re-sent on
				   * this subflow with the same subflow sequence */
	uint64_t reinj_bytes[2];  /* reinjections carried: payload bytes of data
				   * first sent on another subflow (RFC 8684 §3.3.6) */
	uint32_t snd_nxt[2];      /* highest TCP sequence end sent, per direction */
	bool snd_known[2];        /* snd_nxt valid */
	uint32_t map_end[2];      /* end of the highest mapping, relative subflow seq */
	bool map_known[2];        /* map_end valid */
	uint64_t map_dsn64[2];    /* latest mapping with data: 64-bit DSN, */
	uint32_t map_ssn[2];      /* its relative subflow sequence number */
	uint32_t map_dlen[2];     /* and its data length (0: none yet) */
	struct mp_dseq_hint sent_hint[2]; /* its run in the connection's sent history */
	void *an;                 /* the analysis stage's state of it, owned there
				   * (mp_pkt_ann.sf_an); NULL until it sets it */
	struct mp_seqmark dsn[2]; /* highest DSN end mapped, per subflow direction */
	struct mp_seqmark dack[2]; /* highest DATA_ACK sent, per subflow direction */
	struct mp_nodss_run nodss[2]; /* current run without MPTCP options, per direction */
	uint64_t fallback_frame;  /* packet that proves `fallback`, 0 when none */
	uint64_t fallback_ts;     /* its capture time */
	uint8_t fallback_side;    /* enum mp_fb_side: who fell back */
};

/* One ADD_ADDR announcement. */
struct mp_addr_ent {
	uint8_t family;    /* 4 or 6 */
	uint8_t id;        /* address id */
	uint8_t host;      /* announcing host: 0 client, 1 server */
	bool has_port;     /* port present */
	bool echoed;       /* the peer echoed it */
	bool removed;      /* REMOVE_ADDR named it */
	int8_t hmac_ok;    /* MP_OK_* */
	uint8_t hmac_side; /* enum mp_hmac_side when it matched */
	uint16_t port;     /* host order */
	uint8_t addr[16];  /* network order */
	uint64_t frame;    /* packet of the (first) announcement */
	uint64_t ts;       /* and its capture time */
	uint64_t removed_ts; /* first REMOVE_ADDR naming it, 0 none */
};

/* Data-level state of one direction. */
struct mp_conn_dir {
	struct mp_seqmark dsn;   /* highest DSN end mapped */
	struct mp_seqmark dack;  /* highest DATA_ACK carried in this direction
				  * (acknowledging the other direction's data) */
	bool data_fin;           /* DATA_FIN seen */
	struct mp_sent_hist sent; /* data sent so far, by DSN: who carried it first */
	/* engine index by DSN neighbourhood (partial-capture matching) */
	struct mp_conn_dir *bnext, *bprev; /* bucket list */
	struct mp_conn *owner;   /* the connection */
	uint16_t bucket;         /* bucket while indexed */
	uint8_t idx;             /* direction index of this entry */
	bool indexed;            /* in the index */
};

struct mp_conn {
	uint32_t token[2];        /* tokens: [0] client, [1] server */
	bool tok_hashed[2];       /* the token is in its table */
	uint32_t id;              /* 1-based, in order of first appearance */
	uint8_t version;          /* MP_CAPABLE version; 0xff unknown (partial) */
	uint8_t mpc_flags;        /* flags of the MP_CAPABLE SYN/ACK (or SYN) */
	uint8_t fallback;         /* enum mp_fallback, first form seen */
	uint8_t close_reason;     /* enum mp_close_reason */
	bool partial;             /* built from an orphan join: no keys known */
	bool closed;              /* every subflow closed, or fast-closed */
	bool key_known[2];        /* keys: [0] client, [1] server */
	bool key_mismatch;        /* a third ACK echoed other keys */
	bool token_known[2];      /* token[i] valid (from a key or a join) */
	uint64_t key[2];          /* idem */
	uint64_t idsn[2];         /* IDSN per host (from its key) */
	uint8_t family;           /* of the initial subflow */
	uint8_t addr[2][16];      /* initial subflow: [0] client, [1] server */
	uint16_t port[2];         /* idem, host order */
	struct mp_subflow *sf_head, *sf_tail; /* subflows in id order */
	uint32_t n_sf;            /* number of subflows */
	struct mp_conn *all_prev, *all_next; /* engine list in id order */
	struct mp_conn *lru_prev, *lru_next; /* engine list by last activity */
	uint64_t first_ts, last_ts; /* capture times */
	uint64_t closed_ts;       /* when closed, 0 while open */
	struct mp_conn_dir dir[2]; /* data level: [0] client → server */
	uint64_t reinj_frames;    /* segments re-sending data first sent on another subflow */
	uint64_t reinj_bytes;     /* their re-sent payload bytes */
	uint64_t reinj_max_delay_ns; /* longest first-send → reinjection delay */
	uint8_t n_addrs;          /* entries used in addrs */
	uint32_t addrs_dropped;   /* announcements beyond MP_CONN_ADDRS */
	struct mp_addr_ent addrs[MP_CONN_ADDRS]; /* ADD_ADDR announcements */
	void *app_flow;           /* classifier state while classifying */
	uint8_t app_pkts;         /* data packets fed to the classifier */
	uint32_t app_seq[2];      /* synthetic TCP sequence per direction for it */
	bool app_done;            /* classification finished */
	char app_proto[MP_APP_NAME_MAX]; /* "unknown" until classified */
	void *an;                 /* the analysis stage's state of it, owned there */
	uint64_t fallback_frame;  /* packet that proves `fallback`, 0 when none */
	uint64_t fallback_ts;     /* its capture time */
	uint32_t fallback_sf;     /* subflow it was seen on, 0 when none */
	uint8_t fallback_side;    /* enum mp_fb_side: who fell back */
};

/* Per-packet annotations for the output: which connection and subflow the
 * packet belongs to, and the verdict of each HMAC-bearing option. */
struct mp_pkt_ann {
	uint32_t conn;                 /* connection id, 0 when none */
	uint32_t subflow;              /* subflow id, 0 when the packet was not tracked */
	uint8_t sf_dir;                /* subflow direction when tracked: 0 when sent by
					* the subflow's source (mp_subflow src/sport), else 1 */
	int8_t hmac_ok[MP_OPTS_MAX];   /* MP_OK_* per option (join synack/ack, add_addr) */
	uint8_t hmac_side[MP_OPTS_MAX]; /* enum mp_hmac_side for add_addr */
	/* Data level, expanded to 64 bits once (RFC 8684 §3.3.1); valid only
	 * when conn is nonzero. */
	uint8_t conn_dir;              /* connection direction: 0 client → server */
	uint8_t resend;                /* enum mp_resend of this segment's data */
	bool has_map;                  /* a mapping covers this segment's payload */
	bool has_dack;                 /* the packet carries a DATA_ACK */
	bool has_dsn64;                /* map_dsn is valid (first DSS or MPC mapping) */
	uint32_t seg_dlen;             /* payload bytes of this segment in the mapping */
	uint64_t seg_dsn;              /* 64-bit DSN of the segment's first payload byte */
	uint64_t map_dsn;              /* 64-bit DSN of the mapping itself */
	uint64_t dack;                 /* 64-bit DATA_ACK (acknowledges 1 - conn_dir) */
	uint32_t resend_of_sf;         /* resend: the subflow that first carried it */
	uint64_t resend_of_frame;      /* and the packet, 0 when no longer known */
	uint64_t resend_delay_ns;      /* time since that first send */
	/* Slots where the next stage keeps its own state of this packet's
	 * subflow and connection (it finds them without a lookup); valid until
	 * the next engine call. NULL when the packet was not tracked. */
	void **sf_an, **conn_an;
};

/* What a segment's data is at the data level (RFC 8684 §3.3.6): data
 * sequence numbers only grow for new data, so data below the highest DSN
 * already sent in its direction is sent again. Stable names: mp_resend_name. */
enum mp_resend {
	MP_RESEND_NONE = 0,    /* new data (or no mapping) */
	MP_RESEND_RETRANS = 1, /* "retransmission": same subflow, same subflow sequence */
	MP_RESEND_REINJECT = 2, /* "reinjection": sent again on another subflow, or
				 * under a new subflow sequence */
};

/* Explicit per-subflow signals, for the analysis stage (failover causes):
 * one call per subflow that a REMOVE_ADDR or an MP_PRIO names, however many
 * (the event's detail text is for people and may be cut). RST, MP_TCPRST
 * and FIN are events of their own subflow already (event.h). */
struct mp_sf_signal {
	uint64_t ts_ns;   /* capture time */
	uint64_t frame;   /* packet */
	uint32_t conn;    /* connection id */
	uint32_t subflow; /* the subflow it concerns */
	uint8_t type;     /* MP_EV_REMOVE_ADDR or MP_EV_MP_PRIO */
	bool backup;      /* MP_EV_MP_PRIO: the new backup flag */
	uint8_t from_host; /* host that sent it: 0 client, 1 server */
};
typedef void mp_sf_signal_fn(void *user, const struct mp_sf_signal *sig);

/* Called when a connection (with its subflows) or a loose subflow (never
 * attributed to a connection) is finalized, just before it is freed.
 * Arguments are borrowed for the call. */
typedef void mp_conn_fn(void *user, const struct mp_conn *c);
typedef void mp_subflow_fn(void *user, const struct mp_subflow *sf);

struct mp_engine_cfg {
	uint32_t max_conns;     /* connection cap; 0: MP_DEFAULT_MAX_CONNS */
	uint32_t max_subflows;  /* subflow cap; 0: 2 * max_conns */
	uint64_t idle_ns;       /* idle expiry in capture time; 0: default, UINT64_MAX: never */
	bool no_appid;          /* skip application classification */
	mp_event_fn *on_event;  /* control events; may be NULL */
	mp_conn_fn *on_conn;    /* finalized connections; may be NULL */
	mp_subflow_fn *on_subflow; /* finalized loose subflows; may be NULL */
	mp_sf_signal_fn *on_signal; /* explicit per-subflow signals; may be NULL */
	void *user;             /* passed to the callbacks */
};

/* Engine counters. */
struct mp_engine_stats {
	uint64_t conns;          /* connections created */
	uint64_t subflows;       /* subflows created */
	uint64_t conns_live;     /* connections in memory */
	uint64_t subflows_live;  /* subflows in memory */
	uint64_t evicted;        /* entries evicted by the caps */
	uint64_t expired;        /* connections expired by idle time */
	uint64_t unattributed;   /* subflows finalized without a connection */
	uint64_t oom;            /* allocation failures (packets not tracked) */
	uint64_t events[MP_EV__COUNT]; /* events per type */
};

struct mp_engine;

/* Creates an engine. `cfg` is copied. Returns owned, or NULL on OOM. */
struct mp_engine *mp_engine_new(const struct mp_engine_cfg *cfg);

/* Finalizes every remaining connection (in id order) and loose subflow
 * through the callbacks, then frees all. NULL is fine. */
void mp_engine_free(struct mp_engine *e);

/* Processes one decoded TCP packet (status MP_PKT_TCP), with or without
 * MPTCP options. `p` is borrowed. Fills `ann` (may be NULL). Allocates only
 * when a new subflow or connection appears. */
void mp_engine_packet(struct mp_engine *e, uint64_t frame, uint64_t ts_ns,
		      const struct mp_pkt *p, struct mp_pkt_ann *ann);

/* The subflow of the packet last passed to mp_engine_packet(), NULL when
 * that packet was not tracked (plain TCP); also inside the callbacks that
 * mp_engine_packet() makes (the packet's subflow, once found). Borrowed,
 * valid until the next call into the engine. */
const struct mp_subflow *mp_engine_current(const struct mp_engine *e);

/* Finalizes connections idle for cfg.idle_ns before capture time `now_ns`
 * (mp_engine_packet calls it about once a second of capture time). */
void mp_engine_expire(struct mp_engine *e, uint64_t now_ns);

/* Counters; borrowed, valid until the next call into the engine. */
const struct mp_engine_stats *mp_engine_stats(const struct mp_engine *e);

/* Lookups for tests and tools; borrowed pointers, valid until the next
 * mp_engine_packet/expire call. NULL when absent. */
const struct mp_conn *mp_engine_conn_by_token(const struct mp_engine *e,
					      uint32_t token);
const struct mp_conn *mp_engine_conn_by_id(const struct mp_engine *e,
					   uint32_t id);
const struct mp_subflow *mp_engine_subflow_by_id(const struct mp_engine *e,
						 uint32_t id);

/* Names (static strings, never NULL). */
const char *mp_sf_state_name(unsigned state);   /* "syn_sent" ... */
const char *mp_close_reason_name(unsigned r);   /* "" for NONE, "fin" ... */
const char *mp_fallback_name(unsigned fb);      /* "" for NONE, "no_mpc_synack" ... */
const char *mp_fallback_side_name(unsigned side); /* "" for NONE, "client", "server", "both" */
const char *mp_sf_kind_name(unsigned kind);     /* "initial", "join", "partial" */
const char *mp_resend_name(unsigned r);         /* "", "retransmission", "reinjection" */

#endif /* MPANA_FLOW_H */
