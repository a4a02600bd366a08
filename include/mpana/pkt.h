/* SPDX-License-Identifier: BSD-2-Clause */
/* pkt.h - one captured packet decoded down to its MPTCP options.
 *
 * mp_pkt_decode() walks link → IPv4/IPv6 → TCP → options over the captured
 * bytes only. A packet cut by the snaplen is normal input: whatever is
 * present is decoded, nothing past `caplen` is read. Pure: no I/O, no
 * allocation (STYLE R1). */
#ifndef MPANA_PKT_H
#define MPANA_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mpana/opt.h"

enum mp_pkt_status {
	MP_PKT_TCP = 0,          /* TCP header decoded; opts filled */
	MP_PKT_OTHER,            /* not IP, or IP but not TCP */
	MP_PKT_FRAG,             /* non-first IP fragment: skipped, counted */
	MP_PKT_TRUNC,            /* capture ends before the TCP header does */
	MP_PKT_BAD,              /* malformed link, IP or TCP header */
	MP_PKT_LINK_UNSUPPORTED, /* unknown DLT */
};

struct mp_pkt {
	uint8_t family;          /* 4 or 6; 0 when no IP header was found */
	uint8_t ip_proto;        /* upper-layer protocol after extension headers */
	uint8_t src[16];         /* IPv4 uses the first 4 bytes */
	uint8_t dst[16];         /* idem */
	uint16_t sport;          /* host order */
	uint16_t dport;          /* host order */
	uint32_t seq;            /* raw TCP sequence number */
	uint32_t ack;            /* raw TCP acknowledgment number */
	uint8_t flags;           /* MP_TH_* */
	uint16_t win;            /* raw window */
	uint8_t tcp_hdr_len;     /* data offset * 4 */
	uint32_t payload_len;    /* TCP payload per the IP length fields (as sent) */
	uint32_t payload_caplen; /* payload bytes present in the capture */
	const uint8_t *payload;  /* borrowed; NULL when payload_caplen is 0 */
	struct mp_opts opts;     /* MPTCP options (only when MP_PKT_TCP) */
};

/* Decodes a packet of link type `dlt` (a pcap DLT_* value). `p` holds the
 * `caplen` captured bytes; they are borrowed and `out` points into them.
 * Returns the status; `out` is fully valid only for MP_PKT_TCP, and its
 * addresses for MP_PKT_TRUNC/FRAG/OTHER when an IP header was seen. */
enum mp_pkt_status mp_pkt_decode(int dlt, const uint8_t *p, size_t caplen,
				 struct mp_pkt *out);

/* True when mp_pkt_decode() knows `dlt`. */
bool mp_dlt_supported(int dlt);

#endif /* MPANA_PKT_H */
