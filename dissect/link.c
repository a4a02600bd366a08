/* SPDX-License-Identifier: BSD-2-Clause */
/* link.c - strip a link-layer header down to its IPv4 or IPv6 packet.
 *
 * Ethernet II with IEEE 802.1Q C-tags, IEEE 802.1ad S-tags and the older
 * 0x9100 S-tag, stacked (QinQ); Linux cooked capture v1 and v2 (<pcap/sll.h>);
 * BSD loopback (MP_DLT_NULL host order, MP_DLT_LOOP network order); PPP (RFC 1661
 * §2, with or without the RFC 1662 §3.1 ff 03 address/control bytes);
 * raw IP. Link types are the DLT_* values pcap_datalink() returns, never
 * the LINKTYPE_* values of the file header. */
#include <stdbool.h>

#include "mpana/dlt.h"
#include "mpana/layer.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_8021Q 0x8100  /* IEEE 802.1Q C-tag */
#define ETHERTYPE_8021AD 0x88a8 /* IEEE 802.1ad S-tag */
#define ETHERTYPE_QINQ 0x9100   /* pre-802.1ad vendor S-tag */

#define ETH_ADDRS_LEN 12    /* destination + source MAC */
#define VLAN_TCI_LEN 2      /* PCP, DEI, VID after the tag's TPID */
#define SLL_PROTO_OFF 14    /* pkttype, hatype, halen, addr[8] */
#define SLL2_AFTER_PROTO 18 /* reserved, ifindex, hatype, pkttype, halen, addr[8] */

#define PPP_ADDRESS 0xff  /* RFC 1662 §3.1 all-stations address */
#define PPP_CONTROL 0x03  /* RFC 1662 §3.1 unnumbered information */
#define PPP_IP 0x0021     /* RFC 1332 */
#define PPP_IPV6 0x0057   /* RFC 5072 */
#define CHDLC_UNICAST 0x0f /* Cisco HDLC on MP_DLT_PPP_SERIAL (as tcpdump) */
#define CHDLC_BCAST 0x8f

/* BSD loopback address families: AF_INET is 2 everywhere; AF_INET6 is 10 on
 * Linux, 24 on NetBSD/OpenBSD, 28 on FreeBSD, 30 on Darwin. */
#define BSD_AF_INET 2
#define BSD_AF_INET6_LINUX 10
#define BSD_AF_INET6_BSD 24
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN 30

static bool is_vlan_tpid(uint16_t type)
{
	return type == ETHERTYPE_8021Q || type == ETHERTYPE_8021AD ||
	       type == ETHERTYPE_QINQ;
}

/* Consumes a fixed link header of `hdr_len` bytes with a big-endian
 * ethertype at `type_off`, with one bounds check (mp_rd_fixed). A header
 * the capture cuts sets r->err, which ethertype_next() reports. */
MP_RD_INLINE uint16_t fixed_hdr_type(struct mp_rd *r, size_t hdr_len,
				     size_t type_off)
{
	struct mp_rd h;

	if (!mp_rd_fixed(r, hdr_len, &h)) {
		mp_rd_skip(r, hdr_len);
		return 0;
	}
	mp_rd_skip(&h, type_off);
	return mp_rd_be16(&h);
}

/* `type` was just read, `r` is right after it. Follows any number of VLAN
 * tags (each one consumes 4 bytes, so the loop ends with the capture) and
 * maps the final ethertype to an IP family. */
static enum mp_pkt_status ethertype_walk(struct mp_rd *r, uint16_t type,
					 uint8_t *family)
{
	while (!r->err && is_vlan_tpid(type)) {
		mp_rd_skip(r, VLAN_TCI_LEN);
		type = mp_rd_be16(r); /* the encapsulated ethertype */
	}
	if (r->err)
		return MP_PKT_TRUNC;
	if (type == ETHERTYPE_IPV4)
		*family = 4;
	else if (type == ETHERTYPE_IPV6)
		*family = 6;
	else
		return MP_PKT_OTHER; /* incl. 802.3 length fields (LLC) */
	return MP_PKT_NEXT;
}

/* ethertype_walk(), with an untagged IPv4 frame (nearly every frame)
 * decided inline. */
MP_RD_INLINE enum mp_pkt_status ethertype_next(struct mp_rd *r, uint16_t type,
					       uint8_t *family)
{
	if (!r->err && type == ETHERTYPE_IPV4) {
		*family = 4;
		return MP_PKT_NEXT;
	}
	return ethertype_walk(r, type, family);
}

static enum mp_pkt_status bsd_af_next(struct mp_rd *r, uint32_t af,
				      uint8_t *family)
{
	if (r->err)
		return MP_PKT_TRUNC;
	switch (af) {
	case BSD_AF_INET:
		*family = 4;
		return MP_PKT_NEXT;
	case BSD_AF_INET6_LINUX:
	case BSD_AF_INET6_BSD:
	case BSD_AF_INET6_FREEBSD:
	case BSD_AF_INET6_DARWIN:
		*family = 6;
		return MP_PKT_NEXT;
	default:
		return MP_PKT_OTHER;
	}
}

/* MP_DLT_NULL: the family is in the capturing host's byte order, which the
 * file does not record. Families are small, so a value with any of the
 * upper 16 bits set was written by the other byte order (as libpcap does). */
static enum mp_pkt_status null_decode(struct mp_rd *r, uint8_t *family)
{
	struct mp_rd be = *r;
	uint32_t af = mp_rd_le32(r);
	if (af > 0xffffu)
		af = mp_rd_be32(&be);
	return bsd_af_next(r, af, family);
}

/* MP_DLT_PPP / MP_DLT_PPP_SERIAL: optional ff 03, then the protocol, 1 byte when
 * compressed (RFC 1661 §6.5: protocol numbers are odd in their last byte,
 * even in the first, so an odd first byte is a whole compressed field). */
static enum mp_pkt_status ppp_decode(struct mp_rd *r, bool serial,
				     uint8_t *family)
{
	struct mp_rd peek = *r;
	uint8_t b0 = mp_rd_u8(&peek);
	uint8_t b1 = mp_rd_u8(&peek);
	uint16_t proto;

	if (serial && (b0 == CHDLC_UNICAST || b0 == CHDLC_BCAST)) {
		mp_rd_skip(r, 2); /* address, control */
		return ethertype_next(r, mp_rd_be16(r), family);
	}
	if (b0 == PPP_ADDRESS) { /* no protocol starts with ff: framed */
		if (peek.err)
			return MP_PKT_TRUNC;
		if (b1 != PPP_CONTROL)
			return MP_PKT_BAD;
		mp_rd_skip(r, 2);
	}
	peek = *r;
	if (mp_rd_u8(&peek) & 1)
		proto = mp_rd_u8(r);
	else
		proto = mp_rd_be16(r);
	if (r->err)
		return MP_PKT_TRUNC;
	if (proto == PPP_IP)
		*family = 4;
	else if (proto == PPP_IPV6)
		*family = 6;
	else
		return MP_PKT_OTHER; /* LCP, IPCP, ... */
	return MP_PKT_NEXT;
}

/* Raw IP: the version nibble decides, and is left for the IP decoder. */
static enum mp_pkt_status raw_decode(const struct mp_rd *r, uint8_t *family)
{
	struct mp_rd peek = *r;
	uint8_t version = mp_rd_u8(&peek) >> 4;
	if (peek.err)
		return MP_PKT_TRUNC;
	if (version != 4 && version != 6)
		return MP_PKT_BAD;
	*family = version;
	return MP_PKT_NEXT;
}

enum mp_pkt_status mp_link_decode(int dlt, struct mp_rd *r, uint8_t *family)
{
	uint16_t type;

	switch (dlt) {
	case MP_DLT_EN10MB:
		type = fixed_hdr_type(r, ETH_ADDRS_LEN + 2, ETH_ADDRS_LEN);
		return ethertype_next(r, type, family);
	case MP_DLT_LINUX_SLL:
		/* Protocol at offset 14; libpcap puts a VLAN tag it
		 * reinserts right there, so tags are followed here too. */
		type = fixed_hdr_type(r, SLL_PROTO_OFF + 2, SLL_PROTO_OFF);
		return ethertype_next(r, type, family);
	case MP_DLT_LINUX_SLL2: /* protocol at offset 0 */
		type = fixed_hdr_type(r, 2 + SLL2_AFTER_PROTO, 0);
		return ethertype_next(r, type, family);
	case MP_DLT_NULL:
		return null_decode(r, family);
	case MP_DLT_LOOP: {
		uint32_t af = mp_rd_be32(r);
		return bsd_af_next(r, af, family);
	}
	case MP_DLT_PPP:
		return ppp_decode(r, false, family);
	case MP_DLT_PPP_SERIAL:
		return ppp_decode(r, true, family);
	case MP_DLT_RAW:
		return raw_decode(r, family);
	case MP_DLT_IPV4:
		*family = 4; /* the IP decoder checks the version */
		return MP_PKT_NEXT;
	case MP_DLT_IPV6:
		*family = 6;
		return MP_PKT_NEXT;
	default:
		return MP_PKT_LINK_UNSUPPORTED;
	}
}
