/* SPDX-License-Identifier: BSD-2-Clause */
/* event.h - control events of the MPTCP connection engine (src/engine/engine.c).
 *
 * RFC 8684 §3 (handshakes §3.1/§3.2, addresses §3.4, endings §3.5/§3.6,
 * fallback §3.7). The engine calls a user callback once per control event,
 * in capture order; the SQLite store and the handshake-order and failover
 * queries (MPTCP-NOTES.md, "Definitions") are built on these records.
 *
 * The numeric values and the names are a stable schema (STYLE R7): append
 * new types before MP_EV__COUNT, never renumber or rename one. */
#ifndef MPANA_EVENT_H
#define MPANA_EVENT_H

#include <stdint.h>

enum mp_ev_type {
	MP_EV_NONE = 0,
	MP_EV_MPC_SYN = 1,           /* "mpc_syn": MP_CAPABLE SYN */
	MP_EV_MPC_SYNACK = 2,        /* "mpc_synack": MP_CAPABLE SYN/ACK */
	MP_EV_MPC_ACK = 3,           /* "mpc_ack": MP_CAPABLE third ACK */
	MP_EV_MPC_DATA = 4,          /* "mpc_data": v1 MP_CAPABLE with data (len 22/24) */
	MP_EV_JOIN_SYN = 5,          /* "join_syn" */
	MP_EV_JOIN_SYNACK = 6,       /* "join_synack"; ok = truncated HMAC verdict */
	MP_EV_JOIN_ACK = 7,          /* "join_ack"; ok = 160-bit HMAC verdict */
	MP_EV_JOIN_ACK_RESPONDER = 8, /* "join_ack_responder": B's ACK, 4th step */
	MP_EV_ADD_ADDR = 9,          /* "add_addr"; ok = HMAC verdict (v1) */
	MP_EV_ADD_ADDR_ECHO = 10,    /* "add_addr_echo"; ok = matched an announcement */
	MP_EV_REMOVE_ADDR = 11,      /* "remove_addr"; detail names the subflows hit */
	MP_EV_MP_PRIO = 12,          /* "mp_prio"; detail names the subflows hit */
	MP_EV_MP_FAIL = 13,          /* "mp_fail" */
	MP_EV_MP_FASTCLOSE = 14,     /* "mp_fastclose"; ok = receiver key matches */
	MP_EV_MP_TCPRST = 15,        /* "mp_tcprst"; detail = reason */
	MP_EV_DATA_FIN = 16,         /* "data_fin": first DATA_FIN per direction */
	MP_EV_FIN = 17,              /* "fin": first FIN per subflow direction */
	MP_EV_RST = 18,              /* "rst" */
	MP_EV_FALLBACK = 19,         /* "fallback"; detail = form (RFC 8684 §3.7) */
	MP_EV_REINJECTION = 20,      /* "reinjection": DSN range seen on another subflow */
	MP_EV_MALFORMED = 21,        /* "malformed": option that did not parse */
	MP_EV_HMAC_FAILURE = 22,     /* "hmac_failure": a HMAC that did not verify */
	MP_EV_ORPHAN_JOIN = 23,      /* "orphan_join": MP_JOIN SYN with an unknown token */
	MP_EV_KEY_MISMATCH = 24,     /* "key_mismatch": echoed keys differ */
	MP_EV_TABLE_FULL = 25,       /* "table_full": cap hit, oldest entry evicted */
	MP_EV_UNATTRIBUTED_SUBFLOW = 26, /* "unattributed_subflow": no handshake seen */
	MP_EV_SUBFLOW_ATTACHED = 27, /* "subflow_attached": a partial subflow joined a connection */
	MP_EV_CONN_CLOSED = 28,      /* "conn_closed"; detail = reason */
	MP_EV_SUBFLOW_CLOSED = 29,   /* "subflow_closed"; detail = reason */
	MP_EV_CONN_EXPIRED = 30,     /* "conn_expired": idle timeout (capture time) */
	MP_EV_TOKEN_COLLISION = 31,  /* "token_collision": a token already owned */
	MP_EV__COUNT
};

/* Tri-state verdicts (HMACs, echoes): unknown when a key or nonce is missing. */
enum { MP_OK_UNKNOWN = -1, MP_OK_FALSE = 0, MP_OK_TRUE = 1 };

#define MP_EV_DETAIL_MAX 96 /* detail text, NUL included */

struct mp_event {
	uint64_t ts_ns;       /* capture time of the packet (ns since the epoch) */
	uint64_t frame;       /* 1-based packet number; 0 for end-of-run events */
	uint32_t conn;        /* connection id (1-based), 0 when none */
	uint32_t subflow;     /* subflow id (1-based), 0 when none */
	uint8_t type;         /* enum mp_ev_type */
	int8_t ok;            /* MP_OK_*: verdict where the type has one */
	char detail[MP_EV_DETAIL_MAX]; /* NUL-terminated, may be empty */
};

/* Receives each event; `ev` is borrowed for the call only. */
typedef void mp_event_fn(void *user, const struct mp_event *ev);

/* "mpc_syn" ... ; "unknown" for an out-of-range value. Static, never NULL. */
const char *mp_ev_name(unsigned type);

#endif /* MPANA_EVENT_H */
