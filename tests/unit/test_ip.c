/* SPDX-License-Identifier: BSD-2-Clause */
/* test_ip.c - unit.ip: IPv4 and IPv6 headers (ip.c).
 *
 * RFC 791 §3.1 (IHL, total length, fragments), RFC 8200 §4 (extension
 * headers, fragment header), RFC 4302 §2.2 (AH), RFC 2675 (jumbograms). The
 * IP length fields bound the TCP segment: snaplen cuts are normal and
 * Ethernet padding is ignored. */
#include <criterion/criterion.h>
#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>

#include "mpana/layer.h"
#include "mpana/pkt.h"

/* Decodes from a heap copy of exactly `n` bytes, so ASan catches any read
 * past the capture. Fields only are checked after: the copy is freed. */
static enum mp_pkt_status decode_exact(int dlt, const uint8_t *p, size_t n,
				       struct mp_pkt *out)
{
	uint8_t *buf = malloc(n ? n : 1);
	cr_assert_not_null(buf);
	memcpy(buf, p, n);
	enum mp_pkt_status st = mp_pkt_decode(dlt, buf, n, out);
	free(buf);
	return st;
}

/* ---- IPv4 ---- */

/* IPv4 with 8 option bytes + TCP + 4 bytes of payload. */
static const uint8_t v4_opts[] = {
	0x47,                   /* version 4, IHL 7 (28 bytes) */
	0x00,                   /* DSCP, ECN */
	0x00, 0x34,             /* total length 52 */
	0xab, 0xcd,             /* identification */
	0x00, 0x00,             /* flags 0, fragment offset 0 */
	0x40,                   /* TTL */
	0x06,                   /* protocol TCP */
	0x00, 0x00,             /* header checksum */
	10, 1, 0, 1,            /* source 10.1.0.1 */
	10, 2, 0, 1,            /* destination 10.2.0.1 */
	0x94, 0x04, 0x00, 0x00, /* option: router alert (RFC 2113) */
	0x01,                   /* option: NOP */
	0x01,                   /* option: NOP */
	0x01,                   /* option: NOP */
	0x00,                   /* option: end of list */
	0x00, 0x16,             /* TCP source port 22 */
	0xc3, 0x50,             /* destination port 50000 */
	0x00, 0x00, 0x10, 0x00, /* sequence number */
	0x00, 0x00, 0x20, 0x00, /* acknowledgment number */
	0x50,                   /* data offset 5 */
	0x18,                   /* flags ACK PSH */
	0x01, 0x00,             /* window */
	0x00, 0x00,             /* checksum */
	0x00, 0x00,             /* urgent pointer */
	'a', 'b', 'c', 'd',     /* payload */
};

Test(ip, ipv4_options_skipped)
{
	struct mp_pkt pkt;
	cr_assert_eq(decode_exact(DLT_RAW, v4_opts, sizeof v4_opts, &pkt), MP_PKT_TCP);
	cr_assert_eq(pkt.family, 4);
	cr_assert_eq(pkt.ip_proto, 6);
	cr_assert_eq(memcmp(pkt.src, (const uint8_t[]){ 10, 1, 0, 1 }, 4), 0);
	cr_assert_eq(memcmp(pkt.dst, (const uint8_t[]){ 10, 2, 0, 1 }, 4), 0);
	cr_assert_eq(pkt.src[4], 0); /* rest of the 16 bytes stays zero */
	cr_assert_eq(pkt.sport, 22);
	cr_assert_eq(pkt.dport, 50000);
	cr_assert_eq(pkt.seq, 0x1000);
	cr_assert_eq(pkt.ack, 0x2000);
	cr_assert_eq(pkt.payload_len, 4);
	cr_assert_eq(pkt.payload_caplen, 4);
}

Test(ip, ipv4_layer_span)
{
	struct mp_pkt pkt;
	memset(&pkt, 0, sizeof pkt);
	struct mp_rd r = mp_rd_init(v4_opts, sizeof v4_opts);
	size_t l4_len = 0;
	cr_assert_eq(mp_ipv4_decode(&r, &pkt, &l4_len), MP_PKT_NEXT);
	cr_assert_eq(l4_len, 24);
	cr_assert_eq((size_t)(r.p - v4_opts), 28);
	cr_assert_eq(mp_rd_left(&r), 24);
}

Test(ip, ipv4_options_truncated)
{
	struct mp_pkt pkt;
	/* The fixed header is captured, the options are not all. */
	cr_assert_eq(decode_exact(DLT_RAW, v4_opts, 24, &pkt), MP_PKT_TRUNC);
	cr_assert_eq(pkt.family, 4);
	cr_assert_eq(pkt.dst[1], 2);
	/* Inside the fixed header: no IP header seen. */
	for (size_t n = 0; n < 20; n++) {
		cr_assert_eq(decode_exact(DLT_RAW, v4_opts, n, &pkt), MP_PKT_TRUNC);
		cr_assert_eq(pkt.family, 0);
	}
}

/* A 20-byte IPv4 header template; tests patch single fields. */
static const uint8_t v4_tcp[] = {
	0x45,                   /* version 4, IHL 5 */
	0x00,                   /* DSCP, ECN */
	0x00, 0x2c,             /* total length 44 */
	0x00, 0x07,             /* identification */
	0x40, 0x00,             /* DF, fragment offset 0 */
	0x40,                   /* TTL */
	0x06,                   /* protocol TCP */
	0x00, 0x00,             /* header checksum */
	192, 0, 2, 1,           /* source */
	198, 51, 100, 1,        /* destination */
	0x30, 0x39,             /* TCP source port 12345 */
	0x01, 0xbb,             /* destination port 443 */
	0x00, 0x00, 0x00, 0x05, /* sequence number */
	0x00, 0x00, 0x00, 0x06, /* acknowledgment number */
	0x50,                   /* data offset 5 */
	0x10,                   /* flags ACK */
	0x00, 0x80,             /* window */
	0x00, 0x00,             /* checksum */
	0x00, 0x00,             /* urgent pointer */
	0xde, 0xad, 0xbe, 0xef, /* payload */
};

#define V4_TOTAL_LEN 2
#define V4_FRAG 6
#define V4_PROTO 9

static void patch16(uint8_t *p, size_t off, uint16_t v)
{
	p[off] = (uint8_t)(v >> 8);
	p[off + 1] = (uint8_t)v;
}

Test(ip, ipv4_bad_ihl_and_version)
{
	uint8_t p[sizeof v4_tcp];
	struct mp_pkt pkt;

	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		memcpy(p, v4_tcp, sizeof p);
		p[0] = (uint8_t)(0x40 | ihl);
		cr_assert_eq(decode_exact(DLT_IPV4, p, sizeof p, &pkt), MP_PKT_BAD,
			     "IHL %u", ihl);
	}
	memcpy(p, v4_tcp, sizeof p);
	p[0] = 0x65; /* version 6 on DLT_IPV4 */
	cr_assert_eq(decode_exact(DLT_IPV4, p, sizeof p, &pkt), MP_PKT_BAD);
	/* IHL 15 (60 bytes) in a 44-byte datagram: header > total length. */
	memcpy(p, v4_tcp, sizeof p);
	p[0] = 0x4f;
	cr_assert_eq(decode_exact(DLT_IPV4, p, sizeof p, &pkt), MP_PKT_BAD);
}

Test(ip, ipv4_fragments)
{
	uint8_t p[sizeof v4_tcp];
	struct mp_pkt pkt;

	/* First fragment: MF set, offset 0 - decoded. */
	memcpy(p, v4_tcp, sizeof p);
	patch16(p, V4_FRAG, 0x2000);
	cr_assert_eq(decode_exact(DLT_RAW, p, sizeof p, &pkt), MP_PKT_TCP);
	cr_assert_eq(pkt.sport, 12345);
	cr_assert_eq(pkt.payload_len, 4);

	/* Middle fragment: MF set, offset 185 (1480 bytes). */
	patch16(p, V4_FRAG, 0x2000 | 185);
	cr_assert_eq(decode_exact(DLT_RAW, p, sizeof p, &pkt), MP_PKT_FRAG);
	cr_assert_eq(pkt.family, 4);
	cr_assert_eq(pkt.ip_proto, 6);
	cr_assert_eq(pkt.src[0], 192);
	cr_assert_eq(pkt.dst[0], 198);
	cr_assert_eq(pkt.sport, 0); /* those bytes are not a TCP header */

	/* Last fragment: MF clear, offset 1. */
	patch16(p, V4_FRAG, 1);
	cr_assert_eq(decode_exact(DLT_RAW, p, sizeof p, &pkt), MP_PKT_FRAG);

	/* A non-first fragment needs no bytes past the fixed header. */
	cr_assert_eq(decode_exact(DLT_RAW, p, 20, &pkt), MP_PKT_FRAG);
}

Test(ip, ipv4_total_length_smaller_than_header)
{
	uint8_t p[sizeof v4_tcp];
	struct mp_pkt pkt;

	memcpy(p, v4_tcp, sizeof p);
	patch16(p, V4_TOTAL_LEN, 19);
	cr_assert_eq(decode_exact(DLT_RAW, p, sizeof p, &pkt), MP_PKT_BAD);
	/* Room for the IP header but not for a TCP header. */
	patch16(p, V4_TOTAL_LEN, 30);
	cr_assert_eq(decode_exact(DLT_RAW, p, sizeof p, &pkt), MP_PKT_BAD);
	cr_assert_eq(pkt.family, 4);
}

Test(ip, ipv4_total_length_larger_than_captured)
{
	uint8_t p[sizeof v4_tcp];
	struct mp_pkt pkt;

	/* Snaplen truncation: sent 1500 bytes, captured 44. */
	memcpy(p, v4_tcp, sizeof p);
	patch16(p, V4_TOTAL_LEN, 1500);
	cr_assert_eq(decode_exact(DLT_RAW, p, sizeof p, &pkt), MP_PKT_TCP);
	cr_assert_eq(pkt.payload_len, 1460);
	cr_assert_eq(pkt.payload_caplen, 4);
}

Test(ip, ipv4_total_length_zero_is_gso)
{
	uint8_t p[sizeof v4_tcp];
	struct mp_pkt pkt;

	memcpy(p, v4_tcp, sizeof p);
	patch16(p, V4_TOTAL_LEN, 0);
	cr_assert_eq(decode_exact(DLT_RAW, p, sizeof p, &pkt), MP_PKT_TCP);
	cr_assert_eq(pkt.payload_len, 4);
	cr_assert_eq(pkt.payload_caplen, 4);
}

Test(ip, ipv4_not_tcp)
{
	uint8_t p[sizeof v4_tcp];
	struct mp_pkt pkt;

	memcpy(p, v4_tcp, sizeof p);
	p[V4_PROTO] = 17; /* UDP */
	cr_assert_eq(decode_exact(DLT_RAW, p, sizeof p, &pkt), MP_PKT_OTHER);
	cr_assert_eq(pkt.ip_proto, 17);
	cr_assert_eq(pkt.family, 4);
	cr_assert_eq(pkt.src[0], 192);
}

Test(ip, ethernet_padding_ignored)
{
	/* A bare 40-byte SYN padded to the 60-byte Ethernet minimum. */
	static const uint8_t frame[] = {
		0x02, 0, 0, 0, 0, 0x02, /* destination MAC */
		0x02, 0, 0, 0, 0, 0x01, /* source MAC */
		0x08, 0x00,             /* ethertype IPv4 */
		0x45,                   /* version 4, IHL 5 */
		0x00,                   /* DSCP, ECN */
		0x00, 0x28,             /* total length 40 */
		0x00, 0x01,             /* identification */
		0x40, 0x00,             /* DF */
		0x40,                   /* TTL */
		0x06,                   /* protocol TCP */
		0x00, 0x00,             /* header checksum */
		10, 0, 0, 1,            /* source */
		10, 0, 0, 2,            /* destination */
		0x9c, 0x40,             /* source port 40000 */
		0x00, 0x50,             /* destination port 80 */
		0x00, 0x00, 0x00, 0x01, /* sequence number */
		0x00, 0x00, 0x00, 0x00, /* acknowledgment number */
		0x50,                   /* data offset 5 */
		0x02,                   /* flags SYN */
		0xff, 0xff,             /* window */
		0x00, 0x00,             /* checksum */
		0x00, 0x00,             /* urgent pointer */
		0x1e, 0x0c, 0x00, 0x81, 0, 0, /* padding that looks like MPTCP */
	};
	struct mp_pkt pkt;
	cr_assert_eq(sizeof frame, 60);
	cr_assert_eq(decode_exact(DLT_EN10MB, frame, sizeof frame, &pkt), MP_PKT_TCP);
	cr_assert_eq(pkt.payload_len, 0);
	cr_assert_eq(pkt.payload_caplen, 0);
	cr_assert_null(pkt.payload);
	cr_assert_eq(pkt.opts.n, 0);
}

/* ---- IPv6 ---- */

/* IPv6 + hop-by-hop + destination options + fragment (first) + TCP. */
static const uint8_t v6_ext[] = {
	0x60, 0x00, 0x00, 0x00, /* version 6, traffic class, flow label */
	0x00, 0x30,             /* payload length 48 */
	0x00,                   /* next header: hop-by-hop */
	0x40,                   /* hop limit */
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0x0a, /* source 2001:db8::a */
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0x0b, /* destination 2001:db8::b */
	/* hop-by-hop options, RFC 8200 §4.3 (offset 40) */
	0x3c,                   /* next header: destination options */
	0x00,                   /* length 0 (8 bytes) */
	0x05, 0x02, 0x00, 0x00, /* router alert option */
	0x01, 0x00,             /* PadN, 0 bytes */
	/* destination options, RFC 8200 §4.6 (offset 48) */
	0x2c,                   /* next header: fragment */
	0x00,                   /* length 0 (8 bytes) */
	0x01, 0x04, 0, 0, 0, 0, /* PadN, 4 bytes */
	/* fragment, RFC 8200 §4.5 (offset 56) */
	0x06,                   /* next header: TCP */
	0x00,                   /* reserved */
	0x00, 0x01,             /* offset 0, M = 1: first fragment */
	0x12, 0x34, 0x56, 0x78, /* identification */
	/* TCP (offset 64) */
	0x00, 0x50,             /* source port 80 */
	0xea, 0x60,             /* destination port 60000 */
	0x00, 0x00, 0x00, 0x09, /* sequence number */
	0x00, 0x00, 0x00, 0x0a, /* acknowledgment number */
	0x50,                   /* data offset 5 */
	0x10,                   /* flags ACK */
	0x00, 0x10,             /* window */
	0x00, 0x00,             /* checksum */
	0x00, 0x00,             /* urgent pointer */
	'x', 'y', 'z', '!',     /* payload */
};

#define V6_PLEN 4
#define V6_NH 6
#define V6_FRAG_OFF 58

Test(ip, ipv6_hbh_dstopts_fragment)
{
	struct mp_pkt pkt;
	cr_assert_eq(decode_exact(DLT_RAW, v6_ext, sizeof v6_ext, &pkt), MP_PKT_TCP);
	cr_assert_eq(pkt.family, 6);
	cr_assert_eq(pkt.ip_proto, 6);
	cr_assert_eq(pkt.src[15], 0x0a);
	cr_assert_eq(pkt.dst[15], 0x0b);
	cr_assert_eq(pkt.sport, 80);
	cr_assert_eq(pkt.dport, 60000);
	cr_assert_eq(pkt.payload_len, 4);
	cr_assert_eq(pkt.payload_caplen, 4);

	struct mp_rd r = mp_rd_init(v6_ext, sizeof v6_ext);
	size_t l4_len = 0;
	memset(&pkt, 0, sizeof pkt);
	cr_assert_eq(mp_ipv6_decode(&r, &pkt, &l4_len), MP_PKT_NEXT);
	cr_assert_eq((size_t)(r.p - v6_ext), 64);
	cr_assert_eq(l4_len, 24);
}

Test(ip, ipv6_non_first_fragment)
{
	uint8_t p[sizeof v6_ext];
	struct mp_pkt pkt;

	memcpy(p, v6_ext, sizeof p);
	patch16(p, V6_FRAG_OFF, (uint16_t)(185 << 3)); /* offset 1480, M = 0 */
	cr_assert_eq(decode_exact(DLT_IPV6, p, sizeof p, &pkt), MP_PKT_FRAG);
	cr_assert_eq(pkt.family, 6);
	cr_assert_eq(pkt.ip_proto, 6);
	cr_assert_eq(pkt.src[15], 0x0a);
	patch16(p, V6_FRAG_OFF, (uint16_t)(1 << 3 | 1)); /* offset 8, M = 1 */
	cr_assert_eq(decode_exact(DLT_IPV6, p, sizeof p, &pkt), MP_PKT_FRAG);
	/* Atomic fragment (offset 0, M = 0, RFC 6946): decoded. */
	patch16(p, V6_FRAG_OFF, 0);
	cr_assert_eq(decode_exact(DLT_IPV6, p, sizeof p, &pkt), MP_PKT_TCP);
}

Test(ip, ipv6_routing_and_ah)
{
	static const uint8_t p[] = {
		0x60, 0x00, 0x00, 0x00, /* version 6 */
		0x00, 0x38,             /* payload length 56 */
		0x2b,                   /* next header: routing */
		0x40,                   /* hop limit */
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0x01, /* source */
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0x02, /* destination */
		/* routing header, RFC 8200 §4.4 */
		0x33,                   /* next header: AH */
		0x02,                   /* length 2 (24 bytes) */
		0x04,                   /* routing type 4 (SRH) */
		0x00,                   /* segments left 0 */
		0, 0, 0, 0,             /* type-specific */
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0x02, /* segment list[0] */
		/* authentication header, RFC 4302 §2 */
		0x06,                   /* next header: TCP */
		0x01,                   /* payload length 1: (1 + 2) * 4 = 12 */
		0x00, 0x00,             /* reserved */
		0x00, 0x00, 0x01, 0x00, /* SPI */
		0x00, 0x00, 0x00, 0x01, /* sequence number */
		/* TCP */
		0x00, 0x50,             /* source port 80 */
		0x00, 0x51,             /* destination port 81 */
		0x00, 0x00, 0x00, 0x01, /* sequence number */
		0x00, 0x00, 0x00, 0x00, /* acknowledgment number */
		0x50,                   /* data offset 5 */
		0x02,                   /* flags SYN */
		0x00, 0x10,             /* window */
		0x00, 0x00,             /* checksum */
		0x00, 0x00,             /* urgent pointer */
	};
	struct mp_pkt pkt;
	cr_assert_eq(sizeof p, 40 + 56);
	cr_assert_eq(decode_exact(DLT_IPV6, p, sizeof p, &pkt), MP_PKT_TCP);
	cr_assert_eq(pkt.dport, 81);
	cr_assert_eq(pkt.payload_len, 0);
}

Test(ip, ipv6_not_tcp)
{
	uint8_t p[sizeof v6_ext];
	struct mp_pkt pkt;

	memcpy(p, v6_ext, sizeof p);
	p[V6_NH] = 17; /* UDP straight after the fixed header */
	cr_assert_eq(decode_exact(DLT_RAW, p, sizeof p, &pkt), MP_PKT_OTHER);
	cr_assert_eq(pkt.ip_proto, 17);
	cr_assert_eq(pkt.family, 6);

	memcpy(p, v6_ext, sizeof p);
	p[48] = 50; /* ESP after the destination options */
	cr_assert_eq(decode_exact(DLT_RAW, p, sizeof p, &pkt), MP_PKT_OTHER);
	cr_assert_eq(pkt.ip_proto, 50);

	memcpy(p, v6_ext, sizeof p);
	p[40] = 59; /* no next header after hop-by-hop */
	cr_assert_eq(decode_exact(DLT_RAW, p, sizeof p, &pkt), MP_PKT_OTHER);
	cr_assert_eq(pkt.ip_proto, 59);
}

Test(ip, ipv6_extension_header_bounds)
{
	uint8_t p[sizeof v6_ext];
	struct mp_pkt pkt;

	/* Hop-by-hop claims 2048 bytes, payload length says 48: malformed. */
	memcpy(p, v6_ext, sizeof p);
	p[41] = 0xff;
	cr_assert_eq(decode_exact(DLT_RAW, p, sizeof p, &pkt), MP_PKT_BAD);
	/* Payload length 12 ends inside the destination options. */
	memcpy(p, v6_ext, sizeof p);
	patch16(p, V6_PLEN, 12);
	cr_assert_eq(decode_exact(DLT_RAW, p, sizeof p, &pkt), MP_PKT_BAD);
	/* Payload length 9: the second header's length byte is not sent. */
	patch16(p, V6_PLEN, 9);
	cr_assert_eq(decode_exact(DLT_RAW, p, sizeof p, &pkt), MP_PKT_BAD);
	/* Payload length 30: the TCP header does not fit in 6 bytes. */
	patch16(p, V6_PLEN, 30);
	cr_assert_eq(decode_exact(DLT_RAW, p, sizeof p, &pkt), MP_PKT_BAD);
	/* The capture ends inside each extension header: truncation. */
	for (size_t n = 40; n < 64; n++) {
		cr_assert_eq(decode_exact(DLT_RAW, v6_ext, n, &pkt), MP_PKT_TRUNC,
			     "caplen %zu", n);
		cr_assert_eq(pkt.family, 6);
	}
	for (size_t n = 0; n < 40; n++) {
		cr_assert_eq(decode_exact(DLT_RAW, v6_ext, n, &pkt), MP_PKT_TRUNC);
		cr_assert_eq(pkt.family, 0);
	}
}

Test(ip, ipv6_payload_length_zero_and_larger)
{
	uint8_t p[sizeof v6_ext];
	struct mp_pkt pkt;

	/* 0: jumbogram / GSO, bounded by the capture. */
	memcpy(p, v6_ext, sizeof p);
	patch16(p, V6_PLEN, 0);
	cr_assert_eq(decode_exact(DLT_RAW, p, sizeof p, &pkt), MP_PKT_TCP);
	cr_assert_eq(pkt.payload_len, 4);
	cr_assert_eq(pkt.payload_caplen, 4);
	/* ... and a cut inside an extension header is still truncation. */
	cr_assert_eq(decode_exact(DLT_RAW, p, 60, &pkt), MP_PKT_TRUNC);

	/* Sent 1240 bytes after the fixed header, captured 48. */
	patch16(p, V6_PLEN, 1240);
	cr_assert_eq(decode_exact(DLT_RAW, p, sizeof p, &pkt), MP_PKT_TCP);
	cr_assert_eq(pkt.payload_len, 1240 - 24 - 20);
	cr_assert_eq(pkt.payload_caplen, 4);

	/* Payload length 44 of 48 captured: the last 4 bytes are padding. */
	patch16(p, V6_PLEN, 44);
	cr_assert_eq(decode_exact(DLT_RAW, p, sizeof p, &pkt), MP_PKT_TCP);
	cr_assert_eq(pkt.payload_len, 0);
	cr_assert_null(pkt.payload);
}
