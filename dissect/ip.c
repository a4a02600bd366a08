/* SPDX-License-Identifier: BSD-2-Clause */
/* ip.c - IPv4 and IPv6 headers: addresses, protocol, the TCP segment's span.
 *
 * RFC 791 §3.1 (IPv4 header), RFC 8200 §3 (IPv6 header) and §4 (extension
 * headers: hop-by-hop §4.3, routing §4.4, fragment §4.5, destination
 * options §4.6), RFC 4302 §2.2 (AH length in 4-octet units), RFC 2675 §3
 * (jumbogram: payload length 0). The IP length fields bound the segment:
 * captured bytes past them (Ethernet padding) are not TCP, and a length
 * larger than the capture is snaplen truncation, not an error. */
#include "mpana/layer.h"

#define IPV4_MIN_HDR_LEN 20
#define IPV4_FRAG_OFFSET 0x1fff /* fragment offset, in 8-octet units */

/* IANA protocol numbers (named so as not to clash with <netinet/in.h>). */
enum {
	NH_HOPOPTS = 0,
	NH_TCP = 6,
	NH_ROUTING = 43,
	NH_FRAGMENT = 44,
	NH_AH = 51,
	NH_DSTOPTS = 60,
};

/* RFC 8200 §4.5: offset (13 bits), 2 reserved bits, M. */
#define IPV6_FRAG_OFFSET_SHIFT 3

/* The header length the version/IHL byte declares, 0 when the version is
 * not 4 or the IHL is below 5 (RFC 791 §3.1). */
static inline size_t ipv4_hdr_len(uint8_t vihl)
{
	size_t hdr_len = (size_t)(vihl & 0x0f) * 4;
	return vihl >> 4 != 4 || hdr_len < IPV4_MIN_HDR_LEN ? 0 : hdr_len;
}

/* The fixed 20 bytes of an IPv4 header (RFC 791 §3.1) from the total
 * length on, read from `h` (see tcp_fixed_fields() in tcp.c for why twice). */
MP_RD_INLINE void ipv4_fixed_fields(struct mp_rd *h, struct mp_pkt *out,
				    uint16_t *total_len, uint16_t *frag,
				    uint8_t *proto)
{
	mp_rd_skip(h, 1);               /* DSCP, ECN */
	*total_len = mp_rd_be16(h);     /* header + data, octets */
	mp_rd_skip(h, 2);               /* identification */
	*frag = mp_rd_be16(h);          /* flags, fragment offset */
	mp_rd_skip(h, 1);               /* TTL */
	*proto = mp_rd_u8(h);           /* protocol */
	mp_rd_skip(h, 2);               /* header checksum */
	mp_rd_copy(h, out->src, 4);     /* source address */
	mp_rd_copy(h, out->dst, 4);     /* destination address */
}

enum mp_pkt_status mp_ipv4_decode(struct mp_rd *r, struct mp_pkt *out,
				  size_t *l4_len)
{
	uint16_t total_len, frag;
	uint8_t proto;
	size_t hdr_len;
	struct mp_rd h;

	if (mp_rd_fixed(r, IPV4_MIN_HDR_LEN, &h)) {
		hdr_len = ipv4_hdr_len(mp_rd_u8(&h));
		if (hdr_len == 0)
			return MP_PKT_BAD;
		ipv4_fixed_fields(&h, out, &total_len, &frag, &proto);
	} else {
		/* cut inside the fixed part: a wrong version or IHL is still
		 * reported as such when its byte was captured */
		uint8_t vihl = mp_rd_u8(r);
		if (r->err)
			return MP_PKT_TRUNC;
		if (ipv4_hdr_len(vihl) == 0)
			return MP_PKT_BAD;
		ipv4_fixed_fields(r, out, &total_len, &frag, &proto);
		return MP_PKT_TRUNC;
	}
	out->family = 4;
	out->ip_proto = proto;

	/* Total length 0 appears in GSO/TSO super-segments captured before
	 * segmentation: the capture is then the only bound. */
	if (total_len != 0 && total_len < hdr_len)
		return MP_PKT_BAD;
	/* RFC 791: a first fragment (offset 0, MF set) carries the start of
	 * the segment and is decoded; later ones have no TCP header. */
	if (frag & IPV4_FRAG_OFFSET)
		return MP_PKT_FRAG;
	if (proto != NH_TCP)
		return MP_PKT_OTHER;
	if (!mp_rd_skip(r, hdr_len - IPV4_MIN_HDR_LEN)) /* options */
		return MP_PKT_TRUNC;

	*l4_len = total_len != 0 ? (size_t)total_len - hdr_len : mp_rd_left(r);
	mp_rd_limit(r, *l4_len);
	return MP_PKT_NEXT;
}

/* Length of the extension header `nh` whose length byte is `len`, or 0 when
 * `nh` is not an extension header this walker steps over. */
static size_t ext_hdr_len(uint8_t nh, uint8_t len)
{
	switch (nh) {
	case NH_HOPOPTS:
	case NH_ROUTING:
	case NH_DSTOPTS:
		return ((size_t)len + 1) * 8; /* 8-octet units, first excluded */
	case NH_FRAGMENT:
		return 8; /* fixed; the second byte is reserved */
	case NH_AH:
		return ((size_t)len + 2) * 4; /* RFC 4302 §2.2 */
	default:
		return 0;
	}
}

enum mp_pkt_status mp_ipv6_decode(struct mp_rd *r, struct mp_pkt *out,
				  size_t *l4_len)
{
	struct mp_rd peek = *r;
	uint8_t version = mp_rd_u8(&peek) >> 4;
	if (peek.err)
		return MP_PKT_TRUNC;
	if (version != 6)
		return MP_PKT_BAD;

	mp_rd_skip(r, 4);                 /* version, traffic class, flow label */
	uint16_t payload_len = mp_rd_be16(r); /* after this header, octets */
	uint8_t nh = mp_rd_u8(r);         /* next header */
	mp_rd_skip(r, 1);                 /* hop limit */
	mp_rd_copy(r, out->src, 16);      /* source address */
	mp_rd_copy(r, out->dst, 16);      /* destination address */
	if (r->err)
		return MP_PKT_TRUNC;
	out->family = 6;
	out->ip_proto = nh;

	/* 0: a jumbogram (RFC 2675) or a GSO super-segment; the capture is
	 * then the only bound, and running past it is truncation. */
	int declared = payload_len != 0;
	size_t left = declared ? payload_len : mp_rd_left(r);
	mp_rd_limit(r, left);

	/* Each extension header is at least 8 octets and is consumed from
	 * `r`, so the walk ends with the bounded span. */
	while (nh != NH_TCP) {
		struct mp_rd h = *r;
		uint8_t next = mp_rd_u8(&h); /* next header */
		uint8_t len = mp_rd_u8(&h);  /* length (units per type) */
		size_t n = ext_hdr_len(nh, len);

		if (n == 0)
			return MP_PKT_OTHER; /* UDP, ICMPv6, ESP, no next, ... */
		if (h.err)
			return declared && left < 2 ? MP_PKT_BAD : MP_PKT_TRUNC;
		if (n > left)
			return declared ? MP_PKT_BAD : MP_PKT_TRUNC;
		if (nh == NH_FRAGMENT) {
			uint16_t off_m = mp_rd_be16(&h); /* offset, res, M */
			if (h.err)
				return MP_PKT_TRUNC;
			if (off_m >> IPV6_FRAG_OFFSET_SHIFT) {
				out->ip_proto = next;
				return MP_PKT_FRAG;
			}
		}
		if (!mp_rd_skip(r, n))
			return MP_PKT_TRUNC;
		left -= n;
		nh = next;
		out->ip_proto = nh;
	}
	*l4_len = left;
	return MP_PKT_NEXT;
}
