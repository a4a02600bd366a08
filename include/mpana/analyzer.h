/* SPDX-License-Identifier: BSD-2-Clause */
/* analyzer.h - per-packet pipeline: decode, count, hand to the sink. */
#ifndef MPANA_ANALYZER_H
#define MPANA_ANALYZER_H

#include <stdbool.h>
#include <stdint.h>

#include "mpana/opt.h"
#include "mpana/pkt.h"

/* Counters for the end-of-run summary. */
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
};

/* One captured record. */
struct mp_frame {
	uint64_t num;     /* 1-based packet number in the capture */
	uint64_t ts_ns;   /* capture time, ns since the epoch (UTC) */
	uint32_t caplen;  /* bytes captured */
	uint32_t wirelen; /* bytes on the wire */
};

struct mp_sink;

/* Output back ends share this table (STYLE R16). `packet` is called for
 * every TCP packet carrying at least one MPTCP option; `summary` once at the
 * end. Both borrow their arguments for the duration of the call. */
struct mp_sink_ops {
	void (*packet)(struct mp_sink *s, const struct mp_frame *f,
		       const struct mp_pkt *p);
	void (*summary)(struct mp_sink *s, const struct mp_stats *st);
};

struct mp_sink {
	const struct mp_sink_ops *ops; /* back end */
	struct mp_out *out;            /* where records go */
	bool quiet;                    /* -q: summary only */
};

struct mp_analyzer {
	int dlt;              /* link type of the capture */
	struct mp_stats st;   /* counters */
	struct mp_sink *sink; /* output */
	struct mp_pkt pkt;    /* scratch for the packet being decoded */
};

void mp_analyzer_init(struct mp_analyzer *a, int dlt, struct mp_sink *sink);

/* Decodes and accounts one record. `bytes` is borrowed for the call. */
void mp_analyzer_packet(struct mp_analyzer *a, const struct mp_frame *f,
			const uint8_t *bytes);

/* Sinks for text and JSON Lines output (src/out_text.c, src/out_json.c). */
void mp_sink_text_init(struct mp_sink *s, struct mp_out *out, bool quiet);
void mp_sink_json_init(struct mp_sink *s, struct mp_out *out, bool quiet);

#endif /* MPANA_ANALYZER_H */
