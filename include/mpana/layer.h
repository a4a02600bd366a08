/* SPDX-License-Identifier: BSD-2-Clause */
/* layer.h - the per-layer decoders behind mp_pkt_decode() (dissect/ only).
 *
 * Internal to dissect/link.c, ip.c, tcp.c and packet.c, and to their unit
 * tests; src/ uses pkt.h. Each decoder reads its header from a reader that
 * starts at that header and leaves the reader at the next layer. Each
 * returns MP_PKT_NEXT to mean "go on to the next layer", or the final status
 * of the packet. Pure like the rest of dissect/ (STYLE R1): no I/O, no
 * allocation, no globals; bytes are read only through rd.h (STYLE R2). */
#ifndef MPANA_LAYER_H
#define MPANA_LAYER_H

#include <stddef.h>
#include <stdint.h>

#include "mpana/pkt.h"
#include "mpana/rd.h"

/* "Header decoded, go on": a layer decoder's success. It is MP_PKT_TCP's
 * value, so the TCP decoder's success is the packet's final status. */
#define MP_PKT_NEXT MP_PKT_TCP

/* Narrows `r` to at most `n` more bytes (a length field bounds what follows;
 * captured bytes past it, such as Ethernet padding, are dropped). Never
 * widens: a length larger than the capture is snaplen truncation. */
static inline void mp_rd_limit(struct mp_rd *r, size_t n)
{
	if (!r->err && (size_t)(r->end - r->p) > n)
		r->end = r->p + n;
}

/* Strips the link-layer header of pcap link type `dlt` (a DLT_* value).
 * `r` starts at the first captured byte. Returns MP_PKT_NEXT with `*family`
 * set to 4 or 6 and `r` at the IP header; MP_PKT_OTHER for a non-IP frame,
 * MP_PKT_TRUNC when the capture ends inside the link header, MP_PKT_BAD for
 * raw IP whose version nibble is neither 4 nor 6, MP_PKT_LINK_UNSUPPORTED
 * for an unknown `dlt` (decided before any byte is read). */
enum mp_pkt_status mp_link_decode(int dlt, struct mp_rd *r, uint8_t *family);

/* Decode the IPv4 (RFC 791 §3.1) or IPv6 (RFC 8200 §3-4) header at `r`.
 * Fill out->family, src, dst and ip_proto as far as they were captured.
 * Return MP_PKT_NEXT when a TCP header follows: `r` then covers the captured
 * TCP segment, bounded by the IP length fields, and `*l4_len` is the
 * segment's length per those fields (what was sent; the captured length
 * when the field is 0: GSO/TSO or an IPv6 jumbogram). Otherwise return
 * MP_PKT_OTHER (not TCP; ip_proto says what), MP_PKT_FRAG (non-first
 * fragment), MP_PKT_TRUNC or MP_PKT_BAD. */
enum mp_pkt_status mp_ipv4_decode(struct mp_rd *r, struct mp_pkt *out,
				  size_t *l4_len);
enum mp_pkt_status mp_ipv6_decode(struct mp_rd *r, struct mp_pkt *out,
				  size_t *l4_len);

/* Decodes the TCP header (RFC 9293 §3.1) at `r`, which covers the captured
 * segment; `l4_len` is the segment length the IP header declares. Fills
 * ports, sequence numbers, flags, window, header length, the MPTCP options
 * (via mp_tcpopt_walk) and the payload fields of `out`. Returns MP_PKT_TCP
 * (also when the capture ends inside the options: what is there is decoded),
 * MP_PKT_TRUNC when the fixed 20 bytes are not all captured (ports filled
 * when present) and MP_PKT_BAD when the data offset is below 5 or the header
 * does not fit in `l4_len`. out->payload borrows the packet bytes. */
enum mp_pkt_status mp_tcp_decode(struct mp_rd *r, size_t l4_len,
				 struct mp_pkt *out);

#endif /* MPANA_LAYER_H */
