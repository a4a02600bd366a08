/* SPDX-License-Identifier: BSD-2-Clause */
/* stall.h - connection stalls (src/analysis/stall.c): the DATA_ACK stops
 * while subflow-level ACKs flow, an analysis stage beside failover.h.
 *
 * RFC 8684 §3.3.2 (DATA_ACK), §3.7 (fallback). A *connection* stall, at the
 * MPTCP level, for the data direction X → Y of a connection: X keeps
 * sending mapped data while Y's DATA_ACK does not advance for more than
 * MP_STALL_NS, and every subflow that carried that data saw its
 * subflow-level (TCP) ACK from Y advance meanwhile: the packets arrive,
 * the data level does not move. One side fell back (MPTCP-NOTES.md,
 * "Fallback": a middlebox strips the options after the handshake, the
 * receiver falls back, the sender keeps sending DSS), or the options are
 * stripped on the way back. This is not the failover analysis's episode
 * of kind "stall" (failover.h), which is a *subflow* outage: there the
 * subflow's own ACK stops; here it flows.
 *   frame, t_start  the first data packet of X that the last DATA_ACK
 *                   advance did not cover (the DATA_ACK stays below its end);
 *   t_end           the packet whose DATA_ACK advanced again, or the
 *                   connection's last packet when it never did (ended false).
 * Records are reported when the stall ends or at the end of the
 * connection. Cost per packet: a cache lookup and a few compares; memory
 * per connection, allocated when it first shows data; nothing per packet. */
#ifndef MPANA_STALL_H
#define MPANA_STALL_H

#include <stdbool.h>
#include <stdint.h>

#include "mpana/flow.h"
#include "mpana/pkt.h"

#define MP_STALL_NS 1000000000ull /* DATA_ACK standing still for longer: a stall */

struct mp_stall {
	uint32_t conn;         /* connection id */
	uint8_t dir;           /* data direction: 0 client → server, 1 back */
	bool ended;            /* the DATA_ACK advanced again (else still stalled
				* when the connection ended) */
	uint64_t frame;        /* first packet: X's first data packet not covered */
	uint64_t t_start;      /* its capture time (ns) */
	uint64_t end_frame;    /* the packet whose DATA_ACK advanced, 0 when none */
	uint64_t t_end;        /* its capture time, or the connection's last packet */
	uint64_t data_ack;     /* the 64-bit DATA_ACK it stood at */
	uint64_t dsn_end;      /* highest data-level end X sent during it */
	uint64_t data_pkts;    /* X's mapped data packets during it */
	uint64_t sf_acks;      /* subflow-level ACK advances from Y during it
				* (counted from MP_STALL_NS / 2 on) */
};

typedef void mp_stall_fn(void *user, const struct mp_stall *s);

struct mp_st_cfg {
	mp_stall_fn *on_stall; /* each stall; the record is borrowed for the call */
	void *user;            /* passed to it */
};

struct mp_st;

/* Creates the stage; `cfg` is copied. Returns owned, or NULL on OOM. */
struct mp_st *mp_st_new(const struct mp_st_cfg *cfg);

/* Frees it without reporting (report first with mp_st_conn_end). NULL ok. */
void mp_st_free(struct mp_st *st);

/* One packet of a connection (ann->conn != 0), after the engine. Borrows. */
void mp_st_packet(struct mp_st *st, uint64_t frame, uint64_t ts_ns,
		  const struct mp_pkt *p, const struct mp_pkt_ann *ann);

/* The connection ended (before its record): reports its open stall,
 * ending at `last_ts` (its last packet), and forgets it. */
void mp_st_conn_end(struct mp_st *st, uint32_t conn, uint64_t last_ts);

/* Number of connections not tracked (allocation failures). */
uint64_t mp_st_ignored(const struct mp_st *st);

/* "c2s" / "s2c", as the failover records. Static, never NULL. */
const char *mp_stall_dir_name(unsigned dir);

/* Records (src/sinks/stall_records.c): {"record":"stall", ...} and the
 * text line of a connection block. `s` is borrowed. */
struct mp_out;
void mp_out_stall_json(struct mp_out *o, const struct mp_stall *s);
void mp_out_stall_text(struct mp_out *o, const struct mp_stall *s);

#endif /* MPANA_STALL_H */
