/* SPDX-License-Identifier: BSD-2-Clause */
/* test_link.c - unit.link: link-layer headers down to IPv4/IPv6 (link.c).
 *
 * Ethernet II + IEEE 802.1Q/802.1ad tags, Linux SLL/SLL2, BSD NULL/LOOP,
 * PPP (RFC 1661 §2, RFC 1662 §3.1), raw IP. Each case prepends a link
 * header to a minimal IPv4 or IPv6 + TCP packet and decodes the whole. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>

#include "mpana/layer.h"
#include "mpana/pkt.h"

/* IPv4 (RFC 791 §3.1) + TCP (RFC 9293 §3.1), no options, no payload. */
static const uint8_t body4[] = {
	0x45,                   /* version 4, IHL 5 */
	0x00,                   /* DSCP, ECN */
	0x00, 0x28,             /* total length 40 */
	0x00, 0x01,             /* identification */
	0x40, 0x00,             /* DF, fragment offset 0 */
	0x40,                   /* TTL */
	0x06,                   /* protocol TCP */
	0x00, 0x00,             /* header checksum */
	192, 0, 2, 1,           /* source 192.0.2.1 */
	192, 0, 2, 2,           /* destination 192.0.2.2 */
	0x04, 0xd2,             /* source port 1234 */
	0x16, 0x2e,             /* destination port 5678 */
	0x00, 0x00, 0x00, 0x01, /* sequence number */
	0x00, 0x00, 0x00, 0x00, /* acknowledgment number */
	0x50,                   /* data offset 5 */
	0x02,                   /* flags SYN */
	0x72, 0x10,             /* window */
	0x00, 0x00,             /* checksum */
	0x00, 0x00,             /* urgent pointer */
};

/* IPv6 (RFC 8200 §3) + TCP, no extension headers, no payload. */
static const uint8_t body6[] = {
	0x60, 0x00, 0x00, 0x00, /* version 6, traffic class, flow label */
	0x00, 0x14,             /* payload length 20 */
	0x06,                   /* next header TCP */
	0x40,                   /* hop limit */
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0x01, /* source 2001:db8::1 */
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0x02, /* destination 2001:db8::2 */
	0x04, 0xd2,             /* source port 1234 */
	0x16, 0x2e,             /* destination port 5678 */
	0x00, 0x00, 0x00, 0x01, /* sequence number */
	0x00, 0x00, 0x00, 0x00, /* acknowledgment number */
	0x50,                   /* data offset 5 */
	0x02,                   /* flags SYN */
	0x72, 0x10,             /* window */
	0x00, 0x00,             /* checksum */
	0x00, 0x00,             /* urgent pointer */
};

/* Decodes link header `l` followed by `body` as link type `dlt`, from a
 * heap buffer of exactly the packet's size (ASan sees any over-read). */
static enum mp_pkt_status decode_cat(int dlt, const uint8_t *l, size_t nl,
				     const uint8_t *body, size_t nb,
				     struct mp_pkt *out)
{
	uint8_t *buf = malloc(nl + nb + 1);
	cr_assert_not_null(buf);
	memcpy(buf, l, nl);
	memcpy(buf + nl, body, nb);
	enum mp_pkt_status st = mp_pkt_decode(dlt, buf, nl + nb, out);
	/* out->payload and opts point into buf: only fields are checked. */
	free(buf);
	return st;
}

static void expect_tcp4(int dlt, const uint8_t *l, size_t nl)
{
	struct mp_pkt pkt;
	cr_assert_eq(decode_cat(dlt, l, nl, body4, sizeof body4, &pkt), MP_PKT_TCP);
	cr_assert_eq(pkt.family, 4);
	cr_assert_eq(pkt.src[0], 192);
	cr_assert_eq(pkt.dst[3], 2);
	cr_assert_eq(pkt.sport, 1234);
	cr_assert_eq(pkt.dport, 5678);
	cr_assert_eq(pkt.flags, 0x02);
}

static void expect_tcp6(int dlt, const uint8_t *l, size_t nl)
{
	struct mp_pkt pkt;
	cr_assert_eq(decode_cat(dlt, l, nl, body6, sizeof body6, &pkt), MP_PKT_TCP);
	cr_assert_eq(pkt.family, 6);
	cr_assert_eq(pkt.src[15], 1);
	cr_assert_eq(pkt.dst[15], 2);
	cr_assert_eq(pkt.sport, 1234);
	cr_assert_eq(pkt.dport, 5678);
}

/* The link header alone, cut at every length short of whole, is TRUNC, and
 * mp_link_decode() leaves the reader at the IP header when it is whole. */
static void expect_link_len(int dlt, const uint8_t *l, size_t nl,
			    uint8_t family)
{
	for (size_t cut = 0; cut < nl; cut++) {
		uint8_t *buf = malloc(cut ? cut : 1);
		cr_assert_not_null(buf);
		memcpy(buf, l, cut);
		struct mp_pkt pkt;
		cr_assert_eq(mp_pkt_decode(dlt, buf, cut, &pkt), MP_PKT_TRUNC,
			     "dlt %d cut at %zu", dlt, cut);
		free(buf);
	}
	struct mp_rd r = mp_rd_init(l, nl);
	uint8_t fam = 0;
	cr_assert_eq(mp_link_decode(dlt, &r, &fam), MP_PKT_NEXT);
	cr_assert_eq(fam, family);
	cr_assert_eq((size_t)(r.p - l), nl);
}

/* ---- Ethernet ---- */

static const uint8_t eth_v4[] = {
	0x02, 0, 0, 0, 0, 0x02, /* destination MAC */
	0x02, 0, 0, 0, 0, 0x01, /* source MAC */
	0x08, 0x00,             /* ethertype IPv4 */
};

Test(link, ethernet_ipv4)
{
	expect_tcp4(DLT_EN10MB, eth_v4, sizeof eth_v4);
	expect_link_len(DLT_EN10MB, eth_v4, sizeof eth_v4, 4);
}

Test(link, ethernet_ipv6)
{
	static const uint8_t eth[] = {
		0x02, 0, 0, 0, 0, 0x02, /* destination MAC */
		0x02, 0, 0, 0, 0, 0x01, /* source MAC */
		0x86, 0xdd,             /* ethertype IPv6 */
	};
	expect_tcp6(DLT_EN10MB, eth, sizeof eth);
	expect_link_len(DLT_EN10MB, eth, sizeof eth, 6);
}

Test(link, ethernet_8021q)
{
	static const uint8_t eth[] = {
		0x02, 0, 0, 0, 0, 0x02, /* destination MAC */
		0x02, 0, 0, 0, 0, 0x01, /* source MAC */
		0x81, 0x00,             /* TPID 802.1Q */
		0x20, 0x64,             /* PCP 1, VID 100 */
		0x08, 0x00,             /* ethertype IPv4 */
	};
	expect_tcp4(DLT_EN10MB, eth, sizeof eth);
	expect_link_len(DLT_EN10MB, eth, sizeof eth, 4);
}

Test(link, ethernet_qinq_8021ad)
{
	static const uint8_t eth[] = {
		0x02, 0, 0, 0, 0, 0x02, /* destination MAC */
		0x02, 0, 0, 0, 0, 0x01, /* source MAC */
		0x88, 0xa8,             /* TPID 802.1ad S-tag */
		0x00, 0x0a,             /* VID 10 */
		0x81, 0x00,             /* TPID 802.1Q C-tag */
		0x00, 0x64,             /* VID 100 */
		0x86, 0xdd,             /* ethertype IPv6 */
	};
	expect_tcp6(DLT_EN10MB, eth, sizeof eth);
	expect_link_len(DLT_EN10MB, eth, sizeof eth, 6);
}

Test(link, ethernet_9100_triple_tag)
{
	static const uint8_t eth[] = {
		0x02, 0, 0, 0, 0, 0x02, /* destination MAC */
		0x02, 0, 0, 0, 0, 0x01, /* source MAC */
		0x91, 0x00,             /* TPID 0x9100 (pre-802.1ad) */
		0x00, 0x01,             /* VID 1 */
		0x88, 0xa8,             /* TPID 802.1ad */
		0x00, 0x02,             /* VID 2 */
		0x81, 0x00,             /* TPID 802.1Q */
		0x00, 0x03,             /* VID 3 */
		0x08, 0x00,             /* ethertype IPv4 */
	};
	expect_tcp4(DLT_EN10MB, eth, sizeof eth);
	expect_link_len(DLT_EN10MB, eth, sizeof eth, 4);
}

Test(link, ethernet_not_ip)
{
	static const uint8_t arp[] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* destination MAC */
		0x02, 0, 0, 0, 0, 0x01, /* source MAC */
		0x08, 0x06,             /* ethertype ARP */
	};
	static const uint8_t llc[] = {
		0x01, 0x80, 0xc2, 0, 0, 0, /* destination MAC (STP) */
		0x02, 0, 0, 0, 0, 0x01, /* source MAC */
		0x00, 0x26,             /* 802.3 length 38 */
		0x42, 0x42, 0x03,       /* LLC DSAP, SSAP, control */
	};
	static const uint8_t vlan_arp[] = {
		0x02, 0, 0, 0, 0, 0x02, /* destination MAC */
		0x02, 0, 0, 0, 0, 0x01, /* source MAC */
		0x81, 0x00,             /* TPID 802.1Q */
		0x00, 0x64,             /* VID 100 */
		0x08, 0x06,             /* ethertype ARP */
	};
	struct mp_pkt pkt;
	cr_assert_eq(mp_pkt_decode(DLT_EN10MB, arp, sizeof arp, &pkt), MP_PKT_OTHER);
	cr_assert_eq(pkt.family, 0);
	cr_assert_eq(mp_pkt_decode(DLT_EN10MB, llc, sizeof llc, &pkt), MP_PKT_OTHER);
	cr_assert_eq(mp_pkt_decode(DLT_EN10MB, vlan_arp, sizeof vlan_arp, &pkt),
		     MP_PKT_OTHER);
}

/* ---- Linux cooked capture ---- */

Test(link, linux_sll)
{
	static const uint8_t sll[] = {
		0x00, 0x00,             /* packet type: to us */
		0x00, 0x01,             /* ARPHRD_ETHER */
		0x00, 0x06,             /* link-layer address length */
		0x02, 0, 0, 0, 0, 0x01, 0x00, 0x00, /* address, padded to 8 */
		0x08, 0x00,             /* protocol IPv4 */
	};
	static const uint8_t sll6[] = {
		0x00, 0x04,             /* packet type: outgoing */
		0x03, 0x04,             /* ARPHRD_LOOPBACK */
		0x00, 0x00,             /* address length 0 */
		0, 0, 0, 0, 0, 0, 0, 0, /* address (unused) */
		0x86, 0xdd,             /* protocol IPv6 */
	};
	expect_tcp4(DLT_LINUX_SLL, sll, sizeof sll);
	expect_link_len(DLT_LINUX_SLL, sll, sizeof sll, 4);
	expect_tcp6(DLT_LINUX_SLL, sll6, sizeof sll6);
}

Test(link, linux_sll_vlan_and_other)
{
	static const uint8_t vlan[] = {
		0x00, 0x00,             /* packet type: to us */
		0x00, 0x01,             /* ARPHRD_ETHER */
		0x00, 0x06,             /* address length */
		0x02, 0, 0, 0, 0, 0x01, 0x00, 0x00, /* address */
		0x81, 0x00,             /* protocol: 802.1Q tag reinserted */
		0x00, 0x64,             /* VID 100 */
		0x08, 0x00,             /* ethertype IPv4 */
	};
	static const uint8_t arp[] = {
		0x00, 0x01,             /* packet type: broadcast */
		0x00, 0x01,             /* ARPHRD_ETHER */
		0x00, 0x06,             /* address length */
		0x02, 0, 0, 0, 0, 0x01, 0x00, 0x00, /* address */
		0x08, 0x06,             /* protocol ARP */
	};
	struct mp_pkt pkt;
	expect_tcp4(DLT_LINUX_SLL, vlan, sizeof vlan);
	cr_assert_eq(mp_pkt_decode(DLT_LINUX_SLL, arp, sizeof arp, &pkt), MP_PKT_OTHER);
}

Test(link, linux_sll2)
{
	static const uint8_t sll2[] = {
		0x08, 0x00,             /* protocol IPv4 */
		0x00, 0x00,             /* reserved */
		0x00, 0x00, 0x00, 0x02, /* interface index */
		0x00, 0x01,             /* ARPHRD_ETHER */
		0x00,                   /* packet type: to us */
		0x06,                   /* address length */
		0x02, 0, 0, 0, 0, 0x01, 0x00, 0x00, /* address */
	};
	static const uint8_t sll2_6[] = {
		0x86, 0xdd,             /* protocol IPv6 */
		0x00, 0x00,             /* reserved */
		0x00, 0x00, 0x00, 0x01, /* interface index */
		0x03, 0x04,             /* ARPHRD_LOOPBACK */
		0x04,                   /* packet type: outgoing */
		0x00,                   /* address length */
		0, 0, 0, 0, 0, 0, 0, 0, /* address (unused) */
	};
	expect_tcp4(DLT_LINUX_SLL2, sll2, sizeof sll2);
	expect_link_len(DLT_LINUX_SLL2, sll2, sizeof sll2, 4);
	expect_tcp6(DLT_LINUX_SLL2, sll2_6, sizeof sll2_6);
	expect_link_len(DLT_LINUX_SLL2, sll2_6, sizeof sll2_6, 6);
}

/* ---- BSD loopback ---- */

struct af_case {
	int dlt;        /* DLT_NULL or DLT_LOOP */
	uint8_t hdr[4]; /* the family field as captured */
	int status;     /* expected enum mp_pkt_status */
	uint8_t family; /* expected family when TCP */
};

static const struct af_case af_cases[] = {
	{ DLT_NULL, { 0x02, 0x00, 0x00, 0x00 }, MP_PKT_TCP, 4 },   /* LE AF_INET */
	{ DLT_NULL, { 0x00, 0x00, 0x00, 0x02 }, MP_PKT_TCP, 4 },   /* BE AF_INET */
	{ DLT_NULL, { 0x0a, 0x00, 0x00, 0x00 }, MP_PKT_TCP, 6 },   /* LE Linux */
	{ DLT_NULL, { 0x18, 0x00, 0x00, 0x00 }, MP_PKT_TCP, 6 },   /* LE 24 */
	{ DLT_NULL, { 0x00, 0x00, 0x00, 0x18 }, MP_PKT_TCP, 6 },   /* BE 24 */
	{ DLT_NULL, { 0x1c, 0x00, 0x00, 0x00 }, MP_PKT_TCP, 6 },   /* LE FreeBSD */
	{ DLT_NULL, { 0x00, 0x00, 0x00, 0x1c }, MP_PKT_TCP, 6 },   /* BE FreeBSD */
	{ DLT_NULL, { 0x1e, 0x00, 0x00, 0x00 }, MP_PKT_TCP, 6 },   /* LE Darwin */
	{ DLT_NULL, { 0x00, 0x00, 0x00, 0x1e }, MP_PKT_TCP, 6 },   /* BE Darwin */
	{ DLT_NULL, { 0x11, 0x00, 0x00, 0x00 }, MP_PKT_OTHER, 0 }, /* AF 17 */
	{ DLT_LOOP, { 0x00, 0x00, 0x00, 0x02 }, MP_PKT_TCP, 4 },   /* AF_INET */
	{ DLT_LOOP, { 0x00, 0x00, 0x00, 0x18 }, MP_PKT_TCP, 6 },   /* 24 */
	{ DLT_LOOP, { 0x00, 0x00, 0x00, 0x1c }, MP_PKT_TCP, 6 },   /* 28 */
	{ DLT_LOOP, { 0x00, 0x00, 0x00, 0x1e }, MP_PKT_TCP, 6 },   /* 30 */
	{ DLT_LOOP, { 0x02, 0x00, 0x00, 0x00 }, MP_PKT_OTHER, 0 }, /* LE: wrong */
};

ParameterizedTestParameters(link, bsd_loopback)
{
	return cr_make_param_array(struct af_case, af_cases,
				   sizeof af_cases / sizeof af_cases[0]);
}

ParameterizedTest(const struct af_case *c, link, bsd_loopback)
{
	struct mp_pkt pkt;
	const uint8_t *body = c->family == 6 ? body6 : body4;
	size_t nb = c->family == 6 ? sizeof body6 : sizeof body4;

	cr_assert_eq(decode_cat(c->dlt, c->hdr, 4, body, nb, &pkt),
		     (enum mp_pkt_status)c->status);
	cr_assert_eq(pkt.family, c->family);
	if (c->status == MP_PKT_TCP)
		expect_link_len(c->dlt, c->hdr, 4, c->family);
}

/* ---- PPP ---- */

Test(link, ppp_with_and_without_address_control)
{
	static const uint8_t framed4[] = {
		0xff,                   /* address: all stations */
		0x03,                   /* control: UI */
		0x00, 0x21,             /* protocol IPv4 */
	};
	static const uint8_t bare6[] = {
		0x00, 0x57,             /* protocol IPv6 */
	};
	static const uint8_t framed6[] = {
		0xff,                   /* address */
		0x03,                   /* control */
		0x00, 0x57,             /* protocol IPv6 */
	};
	static const uint8_t bare4[] = {
		0x00, 0x21,             /* protocol IPv4 */
	};
	static const uint8_t pfc4[] = {
		0x21,                   /* protocol IPv4, field compressed */
	};
	expect_tcp4(DLT_PPP, framed4, sizeof framed4);
	expect_link_len(DLT_PPP, framed4, sizeof framed4, 4);
	expect_tcp4(DLT_PPP, bare4, sizeof bare4);
	expect_tcp6(DLT_PPP, bare6, sizeof bare6);
	expect_link_len(DLT_PPP, bare6, sizeof bare6, 6);
	expect_tcp6(DLT_PPP, framed6, sizeof framed6);
	expect_tcp4(DLT_PPP, pfc4, sizeof pfc4);
}

Test(link, ppp_serial)
{
	static const uint8_t framed4[] = {
		0xff,                   /* address */
		0x03,                   /* control */
		0x00, 0x21,             /* protocol IPv4 */
	};
	static const uint8_t bare6[] = {
		0x00, 0x57,             /* protocol IPv6 */
	};
	static const uint8_t chdlc4[] = {
		0x0f,                   /* Cisco HDLC unicast address */
		0x00,                   /* control */
		0x08, 0x00,             /* ethertype IPv4 */
	};
	expect_tcp4(DLT_PPP_SERIAL, framed4, sizeof framed4);
	expect_link_len(DLT_PPP_SERIAL, framed4, sizeof framed4, 4);
	expect_tcp6(DLT_PPP_SERIAL, bare6, sizeof bare6);
	expect_tcp4(DLT_PPP_SERIAL, chdlc4, sizeof chdlc4);
	expect_link_len(DLT_PPP_SERIAL, chdlc4, sizeof chdlc4, 4);
}

Test(link, ppp_not_ip_and_bad)
{
	static const uint8_t lcp[] = {
		0xff,                   /* address */
		0x03,                   /* control */
		0xc0, 0x21,             /* protocol LCP */
		0x01, 0x01, 0x00, 0x04, /* Configure-Request, id 1, length 4 */
	};
	static const uint8_t bad_control[] = {
		0xff,                   /* address */
		0x05,                   /* control: not UI */
		0x00, 0x21,             /* protocol IPv4 */
	};
	struct mp_pkt pkt;
	cr_assert_eq(mp_pkt_decode(DLT_PPP, lcp, sizeof lcp, &pkt), MP_PKT_OTHER);
	cr_assert_eq(mp_pkt_decode(DLT_PPP_SERIAL, lcp, sizeof lcp, &pkt),
		     MP_PKT_OTHER);
	cr_assert_eq(mp_pkt_decode(DLT_PPP, bad_control, sizeof bad_control, &pkt),
		     MP_PKT_BAD);
}

/* ---- raw IP ---- */

Test(link, raw_by_version_nibble)
{
	struct mp_pkt pkt;
	cr_assert_eq(mp_pkt_decode(DLT_RAW, body4, sizeof body4, &pkt), MP_PKT_TCP);
	cr_assert_eq(pkt.family, 4);
	cr_assert_eq(mp_pkt_decode(DLT_RAW, body6, sizeof body6, &pkt), MP_PKT_TCP);
	cr_assert_eq(pkt.family, 6);
	cr_assert_eq(pkt.sport, 1234);
	cr_assert_eq(mp_pkt_decode(DLT_RAW, NULL, 0, &pkt), MP_PKT_TRUNC);

	static const uint8_t v5[] = {
		0x55,                   /* version 5 */
		0x00, 0x00, 0x28,
	};
	cr_assert_eq(mp_pkt_decode(DLT_RAW, v5, sizeof v5, &pkt), MP_PKT_BAD);
	cr_assert_eq(pkt.family, 0);
}

Test(link, ipv4_and_ipv6_dlts)
{
	struct mp_pkt pkt;
	cr_assert_eq(mp_pkt_decode(DLT_IPV4, body4, sizeof body4, &pkt), MP_PKT_TCP);
	cr_assert_eq(pkt.family, 4);
	cr_assert_eq(mp_pkt_decode(DLT_IPV6, body6, sizeof body6, &pkt), MP_PKT_TCP);
	cr_assert_eq(pkt.family, 6);
	/* The DLT names the version; a mismatch is a malformed packet. */
	cr_assert_eq(mp_pkt_decode(DLT_IPV4, body6, sizeof body6, &pkt), MP_PKT_BAD);
	cr_assert_eq(mp_pkt_decode(DLT_IPV6, body4, sizeof body4, &pkt), MP_PKT_BAD);
	cr_assert_eq(mp_pkt_decode(DLT_IPV4, NULL, 0, &pkt), MP_PKT_TRUNC);
	cr_assert_eq(mp_pkt_decode(DLT_IPV6, NULL, 0, &pkt), MP_PKT_TRUNC);
}

/* ---- supported set ---- */

static const int supported[] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4,
	DLT_IPV6, DLT_NULL, DLT_LOOP, DLT_PPP, DLT_PPP_SERIAL,
};

Test(link, unsupported_dlt)
{
	static const int unsupported[] = {
		-1, DLT_IEEE802_11, DLT_IEEE802_11_RADIO, DLT_C_HDLC,
		DLT_PPP_ETHER, DLT_USB_LINUX, 100000,
	};
	struct mp_pkt pkt;
	for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
		int dlt = unsupported[i];
		cr_assert_not(mp_dlt_supported(dlt), "dlt %d", dlt);
		cr_assert_eq(mp_pkt_decode(dlt, eth_v4, sizeof eth_v4, &pkt),
			     MP_PKT_LINK_UNSUPPORTED, "dlt %d", dlt);
		cr_assert_eq(pkt.family, 0);
	}
}

Test(link, supported_exactly_those_decoded)
{
	size_t n = 0;
	for (size_t i = 0; i < sizeof supported / sizeof supported[0]; i++)
		cr_assert(mp_dlt_supported(supported[i]), "dlt %d", supported[i]);
	/* Agreement with the decoder over every small DLT, empty and not. */
	for (int dlt = -2; dlt < 400; dlt++) {
		struct mp_pkt pkt;
		bool sup = mp_dlt_supported(dlt);
		n += sup;
		cr_assert_eq(mp_pkt_decode(dlt, NULL, 0, &pkt) != MP_PKT_LINK_UNSUPPORTED,
			     sup, "dlt %d", dlt);
		cr_assert_eq(mp_pkt_decode(dlt, body4, sizeof body4, &pkt) !=
				     MP_PKT_LINK_UNSUPPORTED,
			     sup, "dlt %d", dlt);
	}
	cr_assert_eq(n, sizeof supported / sizeof supported[0]);
}
