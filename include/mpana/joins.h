/* SPDX-License-Identifier: BSD-2-Clause */
/* joins.h - join attempts and the use of announced addresses
 * (src/analysis/joins.c), an analysis stage between the connection engine
 * and the sinks: why a connection has the subflows it has.
 *
 * RFC 8684 §3.2 (MP_JOIN), §3.4.1 (ADD_ADDR, its echo), §3.4.2
 * (REMOVE_ADDR), §3.6 (MP_TCPRST), §3.1 (the MP_CAPABLE C flag). The ways a
 * join fails are those of MPTCP-NOTES.md, "Fallback": no SYN/ACK, a RST
 * answering the SYN, a SYN/ACK without MP_JOIN, a failed HMAC, a reset
 * after the SYN/ACK or the third ACK (with MP_TCPRST), no fourth ACK.
 *
 * Join attempt: one per MP_JOIN SYN, that is per subflow begun by one; its
 * SYN retransmissions (same 4-tuple, same ISN) count in it. The outcome,
 * first rule that holds:
 *   established         the responder's fourth ACK came (RFC 8684 §3.2: the
 *                       subflow is usable from then on); or, when the
 *                       capture misses the SYN/ACK or that ACK, the third
 *                       ACK came and the responder sent something after it
 *                       other than a RST ("inferred");
 *   hmac_failure        the SYN/ACK's or the third ACK's HMAC did not verify
 *                       (hmac_failed says which);
 *   synack_without_join the SYN/ACK came without MP_JOIN;
 *   unknown_token       the SYN's token matched no connection seen;
 *   refused             a RST came before any SYN/ACK (from the responder);
 *   rejected            a RST after the SYN/ACK or the third ACK, by either
 *                       end, with its MP_TCPRST reason when it has one;
 *   not_established     a SYN/ACK (or third ACK) came, no fourth ACK;
 *   no_synack           nothing answered the SYN: given up (gave_up: the
 *                       capture went on for more than twice the last SYN
 *                       interval, 1 s for a single SYN, after the last SYN)
 *                       or the capture ended first.
 * A record is reported as soon as its outcome is final (the fourth ACK, a
 * RST), the others when their connection ends.
 *
 * Address use: one record per ADD_ADDR announcement (announcing host, id,
 * address, port; the same announcement again is a retransmission) with
 * its echo, HMAC verdict, removal, the announcer's MP_CAPABLE C flag, and
 * the join attempts to it: made by the other host to that address (and
 * port, when announced with one). Verdict, first rule that holds:
 *   used        an attempt to it was established;
 *   failed      attempts were made, every one failed;
 *   unused      echoed (or MPTCP v0, which has no echo), never joined;
 *   not_echoed  no echo seen, never joined.
 * Address records are reported when their connection ends, after its
 * join attempts.
 *
 * Cost: nothing per packet. State is allocated on join SYNs and address
 * options only (engine events), per attempt and per announcement. */
#ifndef MPANA_JOINS_H
#define MPANA_JOINS_H

#include <stdbool.h>
#include <stdint.h>

#include "mpana/event.h"
#include "mpana/flow.h"
#include "mpana/pkt.h"

#define MP_AU_JOINS_MAX 8     /* join attempts listed per address record */
#define MP_JN_ADDRS_MAX 32    /* announcements tracked per connection */

enum mp_jn_outcome {
	MP_JN_ESTABLISHED = 0,         /* "established" */
	MP_JN_NO_SYNACK = 1,           /* "no_synack" */
	MP_JN_REFUSED = 2,             /* "refused" */
	MP_JN_SYNACK_WITHOUT_JOIN = 3, /* "synack_without_join" */
	MP_JN_HMAC_FAILURE = 4,        /* "hmac_failure" */
	MP_JN_REJECTED = 5,            /* "rejected" */
	MP_JN_NOT_ESTABLISHED = 6,     /* "not_established" */
	MP_JN_UNKNOWN_TOKEN = 7,       /* "unknown_token" */
	MP_JN__COUNT
};

enum mp_au_verdict {
	MP_AU_USED = 0,       /* "used" */
	MP_AU_UNUSED = 1,     /* "unused" */
	MP_AU_FAILED = 2,     /* "failed" */
	MP_AU_NOT_ECHOED = 3, /* "not_echoed" */
	MP_AU__COUNT
};

/* Which HMAC of a join did not verify. */
enum { MP_JN_HMAC_NONE = 0, MP_JN_HMAC_SYNACK = 1, MP_JN_HMAC_ACK = 2 };

/* Hosts: 0 client, 1 server (flow.h), MP_JN_HOST_UNKNOWN when the
 * connection's client is not known (a join whose token matched nothing). */
#define MP_JN_HOST_UNKNOWN 2

/* One join attempt. Times are capture times in ns; 0 means none. */
struct mp_join_attempt {
	uint32_t id;              /* 1-based, in order of report */
	uint32_t conn;            /* connection id (a partial one for an unknown token) */
	uint32_t subflow;         /* subflow id */
	uint32_t token;           /* the SYN's token (the responder's) */
	bool token_known;         /* it matched a connection seen */
	uint8_t initiator;        /* host that sent the SYN: 0, 1, MP_JN_HOST_UNKNOWN */
	uint8_t family;           /* 4 or 6 */
	uint8_t src[16], dst[16]; /* initiator, responder (network order) */
	uint16_t sport, dport;    /* host order */
	uint8_t addr_id;          /* the SYN's address id (initiator's) */
	bool backup;              /* the SYN's B flag */
	bool peer_id_known;       /* the SYN/ACK's fields below are valid */
	uint8_t peer_addr_id;     /* the SYN/ACK's address id (responder's) */
	bool peer_backup;         /* the SYN/ACK's B flag */
	uint64_t t_syn_ns, syn_frame; /* first SYN */
	uint32_t retransmissions; /* SYNs after the first */
	uint64_t t_last_syn_ns;   /* latest SYN */
	uint64_t t_synack_ns, synack_frame; /* first SYN/ACK, with or without MP_JOIN */
	uint64_t t_ack_ns, ack_frame; /* third ACK (initiator's, with MP_JOIN) */
	uint64_t t_ack4_ns, ack4_frame; /* the responder's ACK completing it */
	uint64_t t_established_ns; /* the fourth ACK, else (inferred) the third */
	uint64_t setup_ns;        /* t_established - t_syn (established only) */
	bool inferred;            /* established without the fourth ACK seen */
	int8_t hmac_synack;       /* MP_OK_*: SYN/ACK HMAC */
	int8_t hmac_ack;          /* MP_OK_*: third ACK HMAC */
	uint8_t hmac_failed;      /* MP_JN_HMAC_*: the one that failed first */
	uint8_t outcome;          /* enum mp_jn_outcome */
	uint64_t t_reset_ns, reset_frame; /* first RST before it was established */
	uint8_t reset_by;         /* 0 initiator, 1 responder (valid with t_reset) */
	int16_t tcprst_reason;    /* MP_TCPRST reason of that RST, -1 none */
	bool gave_up;             /* no_synack: given up before the capture ended */
};

/* One announced address and what became of it. */
struct mp_addr_use {
	uint32_t id;              /* 1-based, in order of report */
	uint32_t conn;            /* connection id */
	uint8_t announcer;        /* host: 0 client, 1 server */
	uint8_t addr_id;          /* address id */
	uint8_t family;           /* 4 or 6 */
	uint8_t addr[16];         /* network order */
	bool has_port;            /* announced with a port */
	uint16_t port;            /* host order */
	uint8_t version;          /* MPTCP version of the connection (0xff unknown) */
	uint64_t t_announce_ns, frame; /* first announcement */
	uint32_t retransmissions; /* the same announcement again */
	uint64_t t_echo_ns, echo_frame; /* first echo, 0 none */
	int8_t hmac_ok;           /* MP_OK_* (v1): best verdict of its announcements */
	uint8_t hmac_side;        /* enum mp_hmac_side when it matched */
	int8_t c_flag;            /* MP_OK_*: the announcer's MP_CAPABLE C flag
				   * ("no new subflows to my initial address") */
	bool initial;             /* the address is the announcer's initial one */
	uint64_t t_removed_ns, removed_frame; /* first REMOVE_ADDR of its id, 0 none */
	uint32_t n_joins;         /* join attempts to it */
	uint32_t n_established;   /* of which established */
	uint32_t join_id[MP_AU_JOINS_MAX];  /* the first of them: attempt ids */
	uint32_t join_sf[MP_AU_JOINS_MAX];  /* their subflows */
	uint8_t join_outcome[MP_AU_JOINS_MAX]; /* their outcomes */
	uint8_t verdict;          /* enum mp_au_verdict */
};

typedef void mp_join_attempt_fn(void *user, const struct mp_join_attempt *a);
typedef void mp_addr_use_fn(void *user, const struct mp_addr_use *u);

struct mp_jn_cfg {
	mp_join_attempt_fn *on_attempt; /* each join attempt, when final */
	mp_addr_use_fn *on_address;     /* each announcement, at connection end */
	void *user;
};

struct mp_jn;

/* Returns an owned analysis, or NULL on OOM. `cfg` is copied. */
struct mp_jn *mp_jn_new(const struct mp_jn_cfg *cfg);

/* Reports what is pending (without the engine's final records), frees
 * everything. NULL is fine. */
void mp_jn_free(struct mp_jn *j);

/* One engine event, during the engine's handling of the packet that made
 * it: `sf` its subflow (mp_engine_current()), `p` the packet; both
 * borrowed, NULL for events of no packet. Uses join_syn, join_synack,
 * join_ack, join_ack_responder, fallback, rst, add_addr, add_addr_echo,
 * remove_addr and mpc_syn; ignores the others. Allocates only for a new
 * attempt or announcement (on OOM it is counted and ignored). */
void mp_jn_event(struct mp_jn *j, const struct mp_event *ev,
		 const struct mp_subflow *sf, const struct mp_pkt *p);

/* Connection `c` is finalized (borrowed): its pending attempts get their
 * outcome (the capture ends at `now_ns`), then its address records are
 * reported; its state is freed. */
void mp_jn_conn_end(struct mp_jn *j, const struct mp_conn *c, uint64_t now_ns);

/* Attempts and announcements not tracked for lack of memory or room. */
uint64_t mp_jn_ignored(const struct mp_jn *j);

/* Stable names; never NULL. */
const char *mp_jn_outcome_name(unsigned outcome); /* "established" ... */
const char *mp_au_verdict_name(unsigned verdict); /* "used" ... */
const char *mp_jn_hmac_name(unsigned which);      /* "", "synack", "ack" */
const char *mp_jn_host_name(unsigned host);       /* "client", "server", "" */

#endif /* MPANA_JOINS_H */
