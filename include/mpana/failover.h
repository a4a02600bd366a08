/* SPDX-License-Identifier: BSD-2-Clause */
/* failover.h - failover detection from data-level progress (src/failover.c).
 *
 * RFC 8684 §3.3 (DSS, DATA_ACK), §3.3.6/§3.3.8 (reinjection, MP_PRIO).
 * Definition: MPTCP-NOTES.md, "Failover latency". A failover is a subflow S
 * whose data, in one data direction, was never acknowledged on S (subflow-
 * level TCP ACK) but was later acknowledged at the data level (DATA_ACK)
 * through another subflow T:
 *   t_fail     the first explicit failure signal on S after its last
 *              progress (RST, MP_TCPRST, FIN, REMOVE_ADDR of its address,
 *              MP_PRIO to backup) or, without one, the last packet on S that
 *              advanced the connection-level DATA_ACK;
 *   t_resume   the first packet on another subflow whose DATA_ACK reaches
 *              the highest DSN end outstanding on S at t_fail (when all S had
 *              sent was acknowledged at that instant: the first one that
 *              advances the DATA_ACK at all);
 *   t_reinject the first packet on another subflow mapping some of S's
 *              outstanding DSN range;
 *   stall      the longest gap between DATA_ACK advances in t_fail..t_resume.
 * The vantage of a failover is the sender's side: the capture holds the
 * failed subflow's unacknowledged segments (on the receiver's side they
 * never appear, and no failover is reported; the DATA_ACK stall shows).
 * A candidate is found at t_resume and confirmed when the connection ends
 * (mp_fo_conn_end, mp_fo_free); a subflow-level ACK on S covering its data
 * afterwards cancels it (the subflow was only slow).
 *
 * Memory: a small fixed record per connection and per subflow (at most
 * MP_FO_SUBFLOWS per connection), allocated when they first appear; nothing
 * is allocated per packet. */
#ifndef MPANA_FAILOVER_H
#define MPANA_FAILOVER_H

#include <stdbool.h>
#include <stdint.h>

#define MP_FO_SUBFLOWS 8 /* subflows tracked per connection */
#define MP_FO_RANGES 8   /* recent mapped DSN ranges kept per subflow and direction */

/* What marks t_fail (stable names: mp_fo_signal_name). */
enum mp_fo_signal {
	MP_FO_SIG_NONE = 0,
	MP_FO_SIG_DATA_ACK = 1,    /* "last_data_ack": silent, last DATA_ACK advance */
	MP_FO_SIG_RST = 2,         /* "rst" */
	MP_FO_SIG_TCPRST = 3,      /* "mp_tcprst" */
	MP_FO_SIG_FIN = 4,         /* "fin" */
	MP_FO_SIG_REMOVE_ADDR = 5, /* "remove_addr" */
	MP_FO_SIG_PRIO_BACKUP = 6, /* "mp_prio_backup" */
	MP_FO_SIG__COUNT
};

/* Where the capture was taken, for one data direction. */
enum mp_fo_vantage {
	MP_FO_VANTAGE_UNKNOWN = 0, /* "unknown" */
	MP_FO_VANTAGE_SENDER = 1,  /* "sender": near the host sending the data */
	MP_FO_VANTAGE_RECEIVER = 2, /* "receiver" */
};

/* One TCP packet of a connection, as the caller derived it from the engine. */
struct mp_fo_pkt {
	uint64_t frame;       /* 1-based packet number */
	uint64_t ts_ns;       /* capture time */
	uint32_t conn;        /* connection id, nonzero */
	uint32_t subflow;     /* subflow id, nonzero */
	uint8_t dir;          /* connection direction of the packet: 0 client → server */
	bool has_map;         /* carries a DSS mapping for data (dll > 0) */
	uint64_t dsn;         /* 64-bit DSN of the mapping */
	uint32_t dll;         /* its data-level length, DATA_FIN excluded */
	bool has_dack;        /* carries a DATA_ACK */
	uint64_t dack;        /* 64-bit DATA_ACK (acknowledges direction 1 - dir) */
	bool ack_flag;        /* TCP ACK flag set */
	uint32_t seq;         /* raw TCP sequence number */
	uint32_t ack;         /* raw TCP acknowledgment number */
	uint32_t payload_len; /* TCP payload length */
};

/* One failover found. Times are capture times in ns; 0 means none. */
struct mp_fo_result {
	uint32_t conn;            /* connection id */
	uint8_t dir;              /* data direction: 0 client → server */
	uint8_t vantage;          /* enum mp_fo_vantage for that direction */
	uint8_t signal;           /* enum mp_fo_signal marking t_fail */
	uint32_t from_sf;         /* the failed subflow */
	uint32_t to_sf;           /* the subflow carrying the resuming DATA_ACK */
	uint64_t t_fail_ns, fail_frame;
	uint64_t t_last_sf_ack_ns;  /* last subflow-level ACK advance on from_sf */
	uint64_t t_reinject_ns, reinject_frame;
	uint64_t t_resume_ns, resume_frame;
	uint64_t t_recovered_ns;  /* DATA_ACK covered all data mapped on from_sf */
	uint64_t stall_ns;        /* longest DATA_ACK gap in t_fail..t_resume */
	uint64_t dsn_acked;       /* connection DATA_ACK at t_fail */
	uint64_t dsn_outstanding; /* highest DSN end outstanding on from_sf at t_fail
				   * (= dsn_acked when all it had sent was acked) */
	uint64_t bytes_stranded;  /* mapped on from_sf beyond dsn_acked, by t_resume */
};

/* Receives each confirmed failover; `r` is borrowed for the call. */
typedef void mp_fo_fn(void *user, const struct mp_fo_result *r);

struct mp_fo;

/* Creates a detector reporting through fn(user, ...). Returns owned, or
 * NULL on OOM. */
struct mp_fo *mp_fo_new(mp_fo_fn *fn, void *user);

/* Confirms and reports what is pending on every connection (in order of
 * appearance), then frees everything. NULL is fine. */
void mp_fo_free(struct mp_fo *fo);

/* Feeds one packet (after the engine processed it). `p` is borrowed.
 * Allocates only for a connection or subflow seen for the first time;
 * on OOM the packet is ignored and counted (mp_fo_oom). */
void mp_fo_packet(struct mp_fo *fo, const struct mp_fo_pkt *p);

/* An explicit failure signal (enum mp_fo_signal, not NONE/DATA_ACK) on a
 * subflow: it is recorded for each data direction with data outstanding on
 * that subflow, unless an earlier one since its last progress exists. */
void mp_fo_signal(struct mp_fo *fo, uint32_t conn, uint32_t subflow,
		  unsigned sig, uint64_t ts_ns, uint64_t frame);

/* The connection ended: reports its pending failovers, frees its state. */
void mp_fo_conn_end(struct mp_fo *fo, uint32_t conn);

/* Packets ignored for lack of memory or beyond MP_FO_SUBFLOWS. */
uint64_t mp_fo_ignored(const struct mp_fo *fo);

/* Stable names; never NULL. */
const char *mp_fo_signal_name(unsigned sig);
const char *mp_fo_vantage_name(unsigned v);

#endif /* MPANA_FAILOVER_H */
