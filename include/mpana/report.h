/* SPDX-License-Identifier: BSD-2-Clause */
/* report.h - connection and subflow records for the text and JSON outputs
 * and the connection graph (src/sinks/conn_records.c, src/cli/graph.c).
 *
 * RFC 8684 §3 (what the records describe). The writers borrow the records
 * for the call and write one complete record each (JSON: one line). */
#ifndef MPANA_REPORT_H
#define MPANA_REPORT_H

#include "mpana/flow.h"
#include "mpana/out.h"

/* {"record":"connection",...} (docs/mpana.1, JSON CONNECTION RECORDS). */
void mp_out_conn_json(struct mp_out *o, const struct mp_conn *c);
/* {"record":"subflow","conn":null,...} for a subflow never attributed. */
void mp_out_loose_json(struct mp_out *o, const struct mp_subflow *sf);
/* The readable forms: one block per connection, one row per subflow. */
void mp_out_conn_text(struct mp_out *o, const struct mp_conn *c);

/* "0xCLIENT/0xSERVER" tokens of `c`, '?' for one not known (text, DOT). */
void mp_out_conn_tokens(struct mp_out *o, const struct mp_conn *c);
void mp_out_loose_text(struct mp_out *o, const struct mp_subflow *sf);

/* Outage episodes (failover.h; src/sinks/failover_records.c):
 * {"record":"failover",...} when complete, {"record":"failback",...} when
 * its path carries data again later; and the text line of an episode in
 * its connection's block. */
struct mp_failover;
void mp_out_failover_json(struct mp_out *o, const struct mp_failover *f);
void mp_out_failback_json(struct mp_out *o, const struct mp_failover *f);
void mp_out_failover_text(struct mp_out *o, const struct mp_failover *f);

/* Join attempts and announced addresses (joins.h;
 * src/sinks/joins_records.c): {"record":"join_attempt",...} and
 * {"record":"address",...}, and their text lines in their connection's
 * block. */
struct mp_join_attempt;
struct mp_addr_use;
void mp_out_join_attempt_json(struct mp_out *o, const struct mp_join_attempt *r);
void mp_out_address_json(struct mp_out *o, const struct mp_addr_use *u);
void mp_out_join_attempt_text(struct mp_out *o, const struct mp_join_attempt *r);
void mp_out_address_text(struct mp_out *o, const struct mp_addr_use *u);

/* A subflow as every output shows it, derived in one place
 * (mp_subflow_record, src/sinks/conn_records.c) and rendered by the JSON
 * record, the text row, and the graph's DOT label and JSON edge. The
 * strings are static. */
struct mp_sf_record {
	uint32_t id;               /* subflow id */
	const char *kind;          /* "initial", "join", "partial" */
	bool initial;              /* the MP_CAPABLE subflow */
	bool backup, orphan, removed; /* flags */
	const char *state;         /* mp_sf_state_name */
	const char *close_reason;  /* mp_close_reason_name: "" while open */
	int hmac_ok;               /* MP_OK_*: every HMAC of its handshake */
	uint16_t sport, dport;     /* host order */
	uint64_t bytes[2];         /* TCP payload bytes: src->dst, dst->src */
};

/* Fills `r` from the engine's subflow `s` (borrowed for the call). */
void mp_subflow_record(const struct mp_subflow *s, struct mp_sf_record *r);

/* The combined HMAC verdict of a subflow: MP_OK_FALSE when any HMAC failed,
 * MP_OK_TRUE when every HMAC of its handshake verified, MP_OK_UNKNOWN
 * otherwise (initial subflows carry none). */
int mp_subflow_hmac_ok(const struct mp_subflow *sf);

/* src/sinks/merge_records.c: the inputs of a merged trace and the packets
 * two of them share. Text: whole lines of the summary; JSON: keys to add to
 * the summary object (each starts with a comma). */
struct mp_merge_stats;
void mp_out_merge_text(struct mp_out *o, const struct mp_merge_stats *ms);
void mp_out_merge_json(struct mp_out *o, const struct mp_merge_stats *ms);

#endif /* MPANA_REPORT_H */
