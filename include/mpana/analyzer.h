/* SPDX-License-Identifier: BSD-2-Clause */
/* analyzer.h - per-packet pipeline: decode, count, reassemble MPTCP
 * connections (flow.h), hand to the sink. RFC 8684 §3. */
#ifndef MPANA_ANALYZER_H
#define MPANA_ANALYZER_H

#include <stdbool.h>
#include <stdint.h>

#include "mpana/event.h"
#include "mpana/flow.h"
#include "mpana/opt.h"
#include "mpana/pkt.h"

/* Counters for the end-of-run summary. */
struct mp_merge_stats;
struct mp_stats {
	uint64_t packets;       /* records read from the capture */
	uint64_t tcp;           /* packets whose TCP header was decoded */
	uint64_t mptcp_packets; /* TCP packets with at least one MPTCP option */
	uint64_t options[17];   /* MPTCP options per subtype; [16]: unreadable */
	uint64_t malformed;     /* MPTCP options that did not parse */
	uint64_t malformed_by_err[MP_E__COUNT]; /* idem, per error code */
	uint64_t tcp_opt_errors; /* framing errors of non-MPTCP options */
	uint64_t fragments;     /* non-first IP fragments skipped */
	uint64_t truncated;     /* cut by the snaplen before the TCP header ended */
	uint64_t bad;           /* malformed link, IP or TCP header */
	uint64_t other;         /* not TCP */
	uint64_t first_ts_ns;   /* capture time of the first packet */
	uint64_t last_ts_ns;    /* capture time of the latest packet */
	bool live;              /* the drop counters below are valid */
	uint64_t ps_recv;       /* pcap_stats(): received */
	uint64_t ps_drop;       /* pcap_stats(): dropped, no buffer space */
	uint64_t ps_ifdrop;     /* pcap_stats(): dropped by the interface */
	uint64_t conns;         /* MPTCP connections (incl. fallback, partial) */
	uint64_t subflows;      /* subflows */
	uint64_t unattributed;  /* subflows never attributed to a connection */
	uint64_t evicted;       /* entries evicted by --max-conns */
	uint64_t expired;       /* connections expired by idle capture time */
	uint64_t hmac_failures; /* HMACs that did not verify */
	uint64_t failovers;     /* outage episodes of kind failover */
	uint64_t stalls;        /* outage episodes of kind stall */
	uint64_t failover_max_latency_ns; /* longest failover latency */
	uint64_t join_attempts; /* MP_JOIN SYN attempts (joins.h) */
	uint64_t join_failed;   /* of which not established */
	uint64_t addresses;     /* ADD_ADDR announcements (address records) */
	uint64_t addresses_unused; /* of which echoed and never joined */
	uint64_t conn_stalls;   /* connection stalls (stall.h), not the above */
	const struct mp_merge_stats *merge; /* several inputs (merge.h); else NULL */
};

/* One captured record. */
struct mp_frame {
	uint64_t num;     /* 1-based packet number in the capture; with several
			   * inputs, input and packet (mp_frame_make) */
	uint64_t ts_ns;   /* capture time, ns since the epoch (UTC) */
	uint32_t caplen;  /* bytes captured */
	uint32_t wirelen; /* bytes on the wire */
	const uint8_t *comment; /* pcapng: the packet's comment (UTF-8, not
				 * NUL-terminated), borrowed for the call; NULL
				 * when none or not read by mpana's own reader */
	uint16_t comment_len;
};

struct mp_sink;
struct mp_failover;
struct mp_fo;
struct mp_jn;
struct mp_join_attempt;
struct mp_addr_use;
struct mp_stall;
struct mp_st;
struct mp_text_fmt;

/* Output back ends share this table (STYLE R16). `packet` is called for
 * every TCP packet carrying at least one MPTCP option, with the engine's
 * annotations (connection and subflow ids, HMAC verdicts per option);
 * `conn` for each connection when it is finalized (end of run in id order,
 * or idle expiry / eviction in live runs), `loose` for each subflow never
 * attributed to a connection, `event` for every control event (event.h);
 * `failover` for each outage episode as soon as it is complete (always
 * before its connection's `conn`), `failback` when a reported failover's
 * path carries data again (possibly after its connection's `conn`);
 * `join_attempt` for each MP_JOIN attempt when its outcome is final and
 * `address` for each announced address (joins.h), both before their
 * connection's `conn`;
 * `summary` once at the end. All borrow their arguments for the call; any
 * may be NULL. */
struct mp_sink_ops {
	void (*packet)(struct mp_sink *s, const struct mp_frame *f,
		       const struct mp_pkt *p, const struct mp_pkt_ann *ann);
	void (*conn)(struct mp_sink *s, const struct mp_conn *c);
	void (*loose)(struct mp_sink *s, const struct mp_subflow *sf);
	void (*event)(struct mp_sink *s, const struct mp_event *ev);
	void (*failover)(struct mp_sink *s, const struct mp_failover *f);
	void (*failback)(struct mp_sink *s, const struct mp_failover *f);
	void (*summary)(struct mp_sink *s, const struct mp_stats *st);
	/* the capture's link type, once known (before the first packet) */
	void (*linktype)(struct mp_sink *s, int dlt);
	/* true when the sink cannot go on (the run stops); NULL: never */
	bool (*failed)(const struct mp_sink *s);
	void (*join_attempt)(struct mp_sink *s, const struct mp_join_attempt *r);
	void (*address)(struct mp_sink *s, const struct mp_addr_use *u);
	/* each connection stall (stall.h) when it ends, or at the end of its
	 * connection (before the connection's `conn`) */
	void (*stall)(struct mp_sink *s, const struct mp_stall *st);
	/* every record analyzed (after the BPF filter; with several inputs,
	 * each packet once), TCP or not, once the engine and the analysis
	 * stage have processed it: `bytes` are its f->caplen captured bytes
	 * of link type `dlt`; `ann` the engine's annotation for a TCP packet
	 * (conn 0 when no connection owns it), NULL for anything else (the
	 * packet writer, pcap_out.h) */
	void (*frame)(struct mp_sink *s, const struct mp_frame *f, int dlt,
		      const uint8_t *bytes, const struct mp_pkt_ann *ann);
};

struct mp_sink {
	const struct mp_sink_ops *ops; /* back end */
	struct mp_out *out;            /* where records go; NULL for a sink that
					* writes elsewhere (the store) */
	bool quiet;                    /* -q: no per-packet records */
	bool all_packets;              /* `packet` for every TCP packet, not only
					* those with MPTCP options (the store: its
					* batches follow capture time) */
	void *user;                    /* back-end state */
	void *held_why;                /* text: join attempts and addresses held
					* for their connection's block */
	struct mp_text_fmt *text_fmt;  /* text: time format (-t forms); NULL:
					* the default date and time */
};

#define MP_SINKS_MAX 4 /* sinks one run feeds: the output, the store, ... */

struct mp_analyzer {
	int dlt;              /* link type of the capture */
	struct mp_stats st;   /* counters */
	struct mp_sink *sink; /* the output (sinks[0]) */
	struct mp_sink *sinks[MP_SINKS_MAX]; /* every sink, fed alike */
	unsigned n_sinks;     /* entries used in sinks */
	struct mp_pkt pkt;    /* scratch for the packet being decoded */
	struct mp_pkt_ann ann; /* scratch: the engine's annotations */
	struct mp_engine *eng; /* connection engine, created at the first TCP packet */
	struct mp_fo *fo;     /* analysis stage: outage episodes (with the engine) */
	struct mp_jn *jn;     /* analysis stage: join attempts, address use */
	bool eng_failed;      /* creation failed (OOM): decode only */
	uint32_t max_conns;   /* --max-conns; 0: MP_DEFAULT_MAX_CONNS */
	uint64_t idle_ns;     /* idle expiry (capture time); 0: default */
	bool no_appid;        /* skip application classification (nDPI) */
	bool dlt_told;        /* the sinks were told the link type */
	bool predecoded;      /* a->pkt holds the next packet, decoded */
	enum mp_pkt_status predecoded_status; /* what the decode returned */
	struct mp_st *stalls; /* analysis stage: connection stalls (with the engine) */
	bool any_frame;       /* some sink has a `frame` op */
};

/* Sets up `a` (no allocation; the engine comes with the first TCP packet).
 * Set max_conns/idle_ns before the first packet. */
void mp_analyzer_init(struct mp_analyzer *a, int dlt, struct mp_sink *sink);

/* Ends the run: finalizes every connection (sink->conn, in id order) and
 * unattributed subflow (sink->loose), frees the engine and completes
 * a->st. Call once, before the summary. */
void mp_analyzer_finish(struct mp_analyzer *a);

/* Adds a sink fed like the output (e.g. the SQLite store: store.h
 * mp_sink_store_init). Borrowed for the analyzer's life; at most
 * MP_SINKS_MAX in all. Returns false when there is no room. */
bool mp_analyzer_add_sink(struct mp_analyzer *a, struct mp_sink *s);

/* Decodes and accounts one record. `bytes` is borrowed for the call. */
void mp_analyzer_packet(struct mp_analyzer *a, const struct mp_frame *f,
			const uint8_t *bytes);

/* mp_analyzer_packet for a packet already decoded into a->pkt (with
 * a->dlt; `status` what mp_pkt_decode returned): the merged reader decodes
 * every packet to recognise copies, and the analyzer then uses that.
 * `bytes` (the record, borrowed for the call) still go to the sinks'
 * `frame` op (-w). */
void mp_analyzer_packet_decoded(struct mp_analyzer *a, const struct mp_frame *f,
				const uint8_t *bytes, enum mp_pkt_status status);

/* True when the run should stop: stdout failed (closed pipe, full disk)
 * or another sink failed (the --db store). */
bool mp_analyzer_must_stop(const struct mp_analyzer *a);

/* Sinks for text and JSON Lines output (src/sinks/text.c, src/sinks/json.c). */
void mp_sink_text_init(struct mp_sink *s, struct mp_out *out, bool quiet);

/* The text sink's packet-line timestamp, as tcpdump(1)'s -t forms (set
 * s->text_fmt after mp_sink_text_init; borrowed for the run). */
enum mp_ts_fmt {
	MP_TS_DATE = 0,    /* default, -tttt: "YYYY-MM-DD HH:MM:SS.frac", UTC */
	MP_TS_NONE,        /* -t: none */
	MP_TS_EPOCH,       /* -tt: seconds since the epoch "S.frac" */
	MP_TS_DELTA_PREV,  /* -ttt: " HH:MM:SS.frac" since the previous line */
	MP_TS_DELTA_FIRST, /* -ttttt: idem since the first line */
};
struct mp_text_fmt {
	enum mp_ts_fmt ts; /* which form */
	bool nano;         /* 9 fraction digits (--nano), else 6 */
	bool ref_set;      /* ref_ns is valid (a line was printed) */
	uint64_t ref_ns;   /* deltas: the previous / first line's time */
};
void mp_sink_json_init(struct mp_sink *s, struct mp_out *out, bool quiet);

#endif /* MPANA_ANALYZER_H */
