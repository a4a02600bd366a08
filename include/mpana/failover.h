/* SPDX-License-Identifier: BSD-2-Clause */
/* failover.h - outage episodes of subflows: failover and stall latency
 * (src/analysis/failover.c), an analysis stage between the connection
 * engine and the sinks.
 *
 * RFC 8684 §3.3 (DSS, DATA_ACK), §3.3.6 (reinjection), §3.3.8 (MP_PRIO).
 * The definition is MPTCP-NOTES.md, "Failover latency", implemented as
 * written there; per subflow S and data direction X → Y:
 *   outage      a gap of more than MP_FO_GAP_NS between two advances of S's
 *               subflow-level ACK from Y (or from the last one to the end of
 *               the capture) while S has data outstanding. The gap is
 *               counted from when data became outstanding, so that an idle
 *               subflow's silence is no outage;
 *   t_fail      the packet that last advanced S's ACK before the gap. When
 *               everything had been acknowledged then and S stayed idle
 *               for more than MP_FO_GAP_NS, the latency includes that idle
 *               time; t_sent (the first segment S sent since) is reported
 *               beside it, and latency_from_sent = t_recovered - t_sent;
 *   lost data   every segment sent on S before the outage ends whose
 *               subflow sequence end lies beyond the ACK at its start, at
 *               its segment-exact data-level end (DSN of its first byte,
 *               from the engine, plus its length; tail-loss probes and
 *               retransmissions included);
 *   t_recovered the first packet whose DATA_ACK covers all of it;
 *   kind        "failover" when t_recovered comes before S's next ACK
 *               advance, else "stall" (S recovered by itself).
 * Vantage: the capture is beside the receiver Y of a direction when Y's
 * ACK of all that X had sent followed X's last segment within
 * MP_FO_NEAR_NS at least once (beside X, that takes a round trip); only
 * then are receiver-side episodes looked for, and only while no
 * sender-side outage was seen in that direction.
 * Receiver-side captures (the lost data never shows): t_fail is the last
 * data packet on S before a silence of more than MP_FO_GAP_NS; the episode
 * exists when a DATA_ACK sent at least MP_FO_GAP_NS after t_fail fails to
 * cover what had arrived MP_FO_HOLE_NS before it (holes) and stops exactly
 * where S's data stopped (the first hole is S's: another subflow's loss
 * while S is idle is not S's outage), and t_recovered
 * is the first one that covers it again. When no other subflow carried
 * data during the silence (break-before-make) the holes cannot be seen:
 * when the data resumes on a subflow joined after the silence began, the
 * first DATA_ACK advance after that is reported as a lower bound (data
 * resuming on a subflow that existed before is an idle application, not
 * break-before-make).
 *
 * Records are reported as soon as an episode is complete (recovered, kind
 * known), or when its connection ends. A failover's failback (the failed
 * path carrying new data again: S itself, or a new subflow between the
 * same addresses) comes later and is reported through on_failback with the
 * same record, now with t_failback set.
 *
 * Cost: O(1) amortised per packet (a scan of the connection's subflows at
 * most once per deadline, and over its subflows on DATA_ACK advances while
 * data is in flight); memory per connection and subflow, allocated when
 * they first appear; nothing per packet. */
#ifndef MPANA_FAILOVER_H
#define MPANA_FAILOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "mpana/event.h"
#include "mpana/flow.h"
#include "mpana/pkt.h"

#define MP_FO_GAP_NS (200ull * 1000000ull)  /* Linux's minimum RTO */
#define MP_FO_HOLE_NS (100ull * 1000000ull) /* receiver side: data this old must be covered */
#define MP_FO_NEAR_NS (1000000ull)          /* receiver side: Y's ACK of all X sent came
					      * this soon at least once */

enum mp_fo_kind {
	MP_FO_FAILOVER = 0, /* "failover": recovered through another subflow */
	MP_FO_STALL = 1,    /* "stall": S recovered by itself first */
};

enum mp_fo_vantage {
	MP_FO_VANTAGE_SENDER = 0,   /* "sender": the capture shows the lost data */
	MP_FO_VANTAGE_RECEIVER = 1, /* "receiver": it shows the holes it left */
};

/* The explicit signal that names the cause (it never moves t_fail). */
enum mp_fo_cause {
	MP_FO_CAUSE_NONE = 0,        /* silent */
	MP_FO_CAUSE_RST = 1,         /* "rst" */
	MP_FO_CAUSE_TCPRST = 2,      /* "mp_tcprst" */
	MP_FO_CAUSE_REMOVE_ADDR = 3, /* "remove_addr" of one of S's addresses */
	MP_FO_CAUSE_PRIO_BACKUP = 4, /* "mp_prio_backup" */
	MP_FO_CAUSE__COUNT
};

/* One outage episode. Times are capture times in ns; a 0 time means none. */
struct mp_failover {
	uint32_t id;             /* 1-based, in order of report */
	uint32_t conn;           /* connection id */
	uint8_t dir;             /* data direction: 0 client → server */
	uint8_t vantage;         /* enum mp_fo_vantage */
	uint8_t kind;            /* enum mp_fo_kind */
	uint8_t cause;           /* enum mp_fo_cause */
	bool lower_bound;        /* latency is only a lower bound */
	uint32_t from_sf;        /* S, the subflow whose path failed */
	uint32_t to_sf;          /* the subflow that carried the data back (first
				  * reinjection), else the recovering packet's; 0 none */
	uint64_t t_fail_ns, fail_frame;
	uint64_t t_sent_ns, sent_frame; /* S was idle (everything acknowledged) for
				  * more than MP_FO_GAP_NS before the outage: the
				  * first segment it sent since; 0 otherwise */
	uint64_t t_first_reinject_ns, first_reinject_frame; /* of S's data elsewhere */
	uint64_t t_recovered_ns, recovered_frame; /* 0: never (capture ended) */
	uint64_t latency_ns;     /* t_recovered - t_fail; without recovery the
				  * time to the capture's end (lower_bound) */
	uint64_t stall_ns;       /* longest DATA_ACK stall inside the episode */
	uint64_t lost_bytes;     /* payload bytes S lost (sender side; 0 receiver) */
	uint64_t lost_dsn_end;   /* data-level end of all it lost (0 unknown) */
	uint64_t join_setup_ns;  /* a join made during the outage (break-before-
				  * make): its SYN to the responder's ACK that
				  * completes it (else its third ACK); 0 none */
	uint32_t join_sf;        /* that join's subflow, 0 none */
	uint64_t t_failback_ns, failback_frame; /* the failed path carrying data again */
	uint32_t failback_sf;    /* on which subflow (S or a new one) */
};

/* Receives a record; borrowed for the call. */
typedef void mp_failover_fn(void *user, const struct mp_failover *f);

struct mp_fo_cfg {
	mp_failover_fn *on_episode;  /* each complete episode */
	mp_failover_fn *on_failback; /* a reported failover's failback, later */
	void *user;
};

/* One TCP packet of a connection, as the engine left it: the decoded
 * packet and the engine's annotation (its data level, 64-bit already, and
 * the slot for this stage's subflow state). Both borrowed for the call. */
struct mp_fo_pkt {
	uint64_t frame, ts_ns;          /* packet number and capture time */
	const struct mp_pkt *pkt;       /* TCP header fields, addresses */
	const struct mp_pkt_ann *ann;   /* conn and subflow ids (nonzero), conn_dir,
					 * seg_dsn/seg_dlen, dack, resend, sf_an */
};

struct mp_fo;

/* Returns an owned detector, or NULL on OOM. `cfg` is copied. */
struct mp_fo *mp_fo_new(const struct mp_fo_cfg *cfg);

/* Reports what is pending on every connection (as mp_fo_conn_end), then
 * frees everything. NULL is fine. */
void mp_fo_free(struct mp_fo *fo);

/* Feeds one packet after the engine processed it. Allocates only for a
 * connection or a subflow seen for the first time (on OOM the packet is
 * ignored and counted). */
void mp_fo_packet(struct mp_fo *fo, const struct mp_fo_pkt *p);

/* Engine events: RST, MP_TCPRST (causes), FIN, join handshakes (set-up
 * time of a join made during an outage). Others are ignored. */
void mp_fo_event(struct mp_fo *fo, const struct mp_event *ev);

/* REMOVE_ADDR and MP_PRIO, per subflow named (flow.h). */
void mp_fo_signal(struct mp_fo *fo, const struct mp_sf_signal *sig);

/* The connection ends: outages still open at `now_ns` are closed (the end
 * of the capture), pending episodes reported, its state freed. */
void mp_fo_conn_end(struct mp_fo *fo, uint32_t conn, uint64_t now_ns);

/* Packets not tracked for lack of memory. */
uint64_t mp_fo_ignored(const struct mp_fo *fo);

/* Stable names; never NULL. */
const char *mp_fo_kind_name(unsigned kind);       /* "failover", "stall" */
const char *mp_fo_vantage_name(unsigned v);       /* "sender", "receiver" */
const char *mp_fo_cause_name(unsigned cause);     /* NULL-like "" for NONE */
const char *mp_fo_dir_name(unsigned dir);         /* "c2s", "s2c" */

#endif /* MPANA_FAILOVER_H */
