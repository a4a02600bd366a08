/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp.c - the TCP header: ports, sequence numbers, flags, options, payload.
 *
 * RFC 9293 §3.1 (header format). The options go to mp_tcpopt_walk(), which
 * keeps the MPTCP ones (RFC 8684 §3). A header cut by the snaplen inside its
 * options is normal input: what was captured is decoded. */
#include "mpana/layer.h"

#define TCP_MIN_HDR_LEN 20

/* The fixed part of the header (RFC 9293 §3.1), read from `h`. Inlined
 * twice: over a 20-byte sub-reader (every check folds) and, for a header
 * the capture cuts, over the packet's reader (ports kept when present). */
MP_RD_INLINE uint8_t tcp_fixed_fields(struct mp_rd *h, struct mp_pkt *out)
{
	out->sport = mp_rd_be16(h);    /* source port */
	out->dport = mp_rd_be16(h);    /* destination port */
	out->seq = mp_rd_be32(h);      /* sequence number */
	out->ack = mp_rd_be32(h);      /* acknowledgment number */
	uint8_t doff = mp_rd_u8(h);    /* data offset, reserved */
	out->flags = mp_rd_u8(h);      /* CWR ECE URG ACK PSH RST SYN FIN */
	out->win = mp_rd_be16(h);      /* window */
	mp_rd_skip(h, 4);              /* checksum, urgent pointer */
	return doff;
}

enum mp_pkt_status mp_tcp_decode(struct mp_rd *r, size_t l4_len,
				 struct mp_pkt *out)
{
	struct mp_rd h;
	uint8_t doff;

	if (mp_rd_fixed(r, TCP_MIN_HDR_LEN, &h)) {
		doff = tcp_fixed_fields(&h, out);
	} else {
		doff = tcp_fixed_fields(r, out);
		/* `r` is bounded by l4_len too: was it the capture? */
		return l4_len < TCP_MIN_HDR_LEN ? MP_PKT_BAD : MP_PKT_TRUNC;
	}

	size_t hdr_len = (size_t)(doff >> 4) * 4;
	out->tcp_hdr_len = (uint8_t)hdr_len;
	/* A first IP fragment too short for the whole header (RFC 1858's
	 * tiny fragment) lands here too. */
	if (hdr_len < TCP_MIN_HDR_LEN || hdr_len > l4_len)
		return MP_PKT_BAD;

	size_t opt_len = hdr_len - TCP_MIN_HDR_LEN;
	mp_tcpopt_walk(r->p, mp_rd_left(r), opt_len, out->flags, &out->opts);

	out->payload_len = (uint32_t)(l4_len - hdr_len);
	out->payload_caplen = 0;
	out->payload = NULL;
	if (mp_rd_skip(r, opt_len) && mp_rd_left(r) > 0) {
		out->payload_caplen = (uint32_t)mp_rd_left(r);
		out->payload = r->p;
	}
	return MP_PKT_TCP;
}
