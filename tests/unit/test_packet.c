/* SPDX-License-Identifier: BSD-2-Clause */
/* test_packet.c - unit.packet: the whole decode, link → IP → TCP → options.
 *
 * RFC 9293 §3.1 (TCP header, data offset), RFC 8684 §3 (MPTCP option kind
 * 30). mp_pkt_decode() must never read past caplen: every test decodes
 * from a heap buffer of exactly caplen bytes, so ASan flags any over-read.
 * The MPTCP sub-parsers are tested in their own units: here only which
 * options reached opts (n, subtype, len, off) is checked. */
#include <criterion/criterion.h>
#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>

#include "mpana/layer.h"
#include "mpana/pkt.h"

/* Ethernet / IPv4 / TCP with timestamps and an MPTCP DSS data ACK / 4 bytes. */
static const uint8_t full[] = {
	/* Ethernet II (0) */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, /* destination MAC */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* source MAC */
	0x08, 0x00,             /* ethertype IPv4 */
	/* IPv4, RFC 791 §3.1 (14) */
	0x45,                   /* version 4, IHL 5 */
	0x00,                   /* DSCP, ECN */
	0x00, 0x40,             /* total length 64 */
	0x12, 0x34,             /* identification */
	0x40, 0x00,             /* DF, fragment offset 0 */
	0x40,                   /* TTL */
	0x06,                   /* protocol TCP */
	0x00, 0x00,             /* header checksum */
	10, 0, 0, 1,            /* source 10.0.0.1 */
	10, 0, 0, 2,            /* destination 10.0.0.2 */
	/* TCP, RFC 9293 §3.1 (34) */
	0x9c, 0x40,             /* source port 40000 */
	0x00, 0x50,             /* destination port 80 */
	0x11, 0x22, 0x33, 0x44, /* sequence number */
	0x55, 0x66, 0x77, 0x88, /* acknowledgment number */
	0xa0,                   /* data offset 10 (40 bytes) */
	0x18,                   /* flags ACK PSH */
	0xfa, 0xf0,             /* window */
	0x00, 0x00,             /* checksum */
	0x00, 0x00,             /* urgent pointer */
	/* TCP options (54) */
	0x01,                   /* NOP */
	0x01,                   /* NOP */
	0x08, 0x0a,             /* timestamps, length 10 */
	0x00, 0x00, 0x00, 0x01, /* TSval */
	0x00, 0x00, 0x00, 0x02, /* TSecr */
	0x1e, 0x08,             /* MPTCP, length 8 (option offset 12) */
	0x20,                   /* subtype DSS, reserved */
	0x01,                   /* flags A: 4-octet data ACK */
	0xde, 0xad, 0xbe, 0xef, /* data ACK */
	/* payload (74) */
	'd', 'a', 't', 'a',
};

#define FULL_TCP_OFF 34
#define FULL_OPT_OFF 54
#define FULL_DSS_OFF 66
#define FULL_PAYLOAD_OFF 74

/* Copies `n` bytes of `p` to a heap buffer of exactly `n` bytes. */
static uint8_t *heap_copy(const uint8_t *p, size_t n)
{
	uint8_t *buf = malloc(n ? n : 1);
	cr_assert_not_null(buf);
	memcpy(buf, p, n);
	return buf;
}

Test(packet, full_ethernet_ipv4_tcp_mptcp)
{
	uint8_t *buf = heap_copy(full, sizeof full);
	struct mp_pkt pkt;

	cr_assert_eq(mp_pkt_decode(DLT_EN10MB, buf, sizeof full, &pkt), MP_PKT_TCP);
	cr_assert_eq(pkt.family, 4);
	cr_assert_eq(pkt.ip_proto, 6);
	cr_assert_eq(memcmp(pkt.src, (const uint8_t[]){ 10, 0, 0, 1 }, 4), 0);
	cr_assert_eq(memcmp(pkt.dst, (const uint8_t[]){ 10, 0, 0, 2 }, 4), 0);
	cr_assert_eq(pkt.sport, 40000);
	cr_assert_eq(pkt.dport, 80);
	cr_assert_eq(pkt.seq, 0x11223344u);
	cr_assert_eq(pkt.ack, 0x55667788u);
	cr_assert_eq(pkt.flags, MP_TH_ACK | MP_TH_PSH);
	cr_assert_eq(pkt.win, 0xfaf0);
	cr_assert_eq(pkt.tcp_hdr_len, 40);
	cr_assert_eq(pkt.payload_len, 4);
	cr_assert_eq(pkt.payload_caplen, 4);
	cr_assert_eq(pkt.payload, buf + FULL_PAYLOAD_OFF);
	cr_assert_eq(pkt.opts.n, 1);
	cr_assert_eq(pkt.opts.tcp_err, MP_E_NONE);
	cr_assert_eq(pkt.opts.v[0].subtype, MPTCP_SUB_DSS);
	cr_assert_eq(pkt.opts.v[0].len, 8);
	cr_assert_eq(pkt.opts.v[0].off, 12);
	cr_assert_eq(pkt.opts.v[0].caplen, 8);
	cr_assert_eq(pkt.opts.v[0].raw, buf + FULL_DSS_OFF);
	free(buf);
}

/* Every caplen from 0 to the whole frame, each in a buffer of exactly that
 * size: never an over-read (ASan), and the status and fields fit the cut. */
Test(packet, truncation_at_every_byte)
{
	for (size_t caplen = 0; caplen <= sizeof full; caplen++) {
		uint8_t *buf = heap_copy(full, caplen);
		struct mp_pkt pkt;
		enum mp_pkt_status st = mp_pkt_decode(DLT_EN10MB, buf, caplen, &pkt);

		if (caplen < FULL_OPT_OFF) {
			cr_assert_eq(st, MP_PKT_TRUNC, "caplen %zu", caplen);
			cr_assert_eq(pkt.opts.n, 0);
			cr_assert_null(pkt.payload);
		} else {
			cr_assert_eq(st, MP_PKT_TCP, "caplen %zu", caplen);
			cr_assert_eq(pkt.tcp_hdr_len, 40);
			cr_assert_eq(pkt.seq, 0x11223344u);
			cr_assert_eq(pkt.payload_len, 4, "as sent, whatever the cut");
		}
		/* Addresses once the fixed IPv4 header is in, ports once
		 * their bytes are. */
		cr_assert_eq(pkt.family, caplen >= FULL_TCP_OFF ? 4 : 0, "caplen %zu",
			     caplen);
		if (caplen >= FULL_TCP_OFF)
			cr_assert_eq(pkt.dst[3], 2);
		cr_assert_eq(pkt.sport, caplen >= FULL_TCP_OFF + 2 ? 40000 : 0);
		cr_assert_eq(pkt.dport, caplen >= FULL_TCP_OFF + 4 ? 80 : 0);

		/* The DSS is listed once its kind byte is captured. */
		if (st == MP_PKT_TCP) {
			cr_assert_eq(pkt.opts.n, caplen > FULL_DSS_OFF ? 1 : 0,
				     "caplen %zu", caplen);
			if (pkt.opts.n == 1) {
				cr_assert_eq(pkt.opts.v[0].off, 12);
				cr_assert_eq(pkt.opts.v[0].raw, buf + FULL_DSS_OFF);
				cr_assert_leq(pkt.opts.v[0].caplen,
					      caplen - FULL_DSS_OFF);
			}
			if (caplen > FULL_DSS_OFF + 2) {
				cr_assert_eq(pkt.opts.v[0].subtype, MPTCP_SUB_DSS);
				cr_assert_eq(pkt.opts.v[0].len, 8);
			}
			size_t pay = caplen > FULL_PAYLOAD_OFF ? caplen - FULL_PAYLOAD_OFF : 0;
			cr_assert_eq(pkt.payload_caplen, pay, "caplen %zu", caplen);
			cr_assert_eq(pkt.payload, pay ? buf + FULL_PAYLOAD_OFF : NULL);
		}
		free(buf);
	}
}

Test(packet, ipv6_syn_mp_capable)
{
	static const uint8_t p[] = {
		/* IPv6, RFC 8200 §3 */
		0x60, 0x0a, 0xbc, 0xde, /* version 6, traffic class, flow label */
		0x00, 0x20,             /* payload length 32 */
		0x06,                   /* next header TCP */
		0x40,                   /* hop limit */
		0xfd, 0x00, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0x01, /* source fd00::1 */
		0xfd, 0x00, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0x02, /* destination fd00::2 */
		/* TCP */
		0xd4, 0x31,             /* source port 54321 */
		0x1f, 0x90,             /* destination port 8080 */
		0xa0, 0xb0, 0xc0, 0xd0, /* sequence number */
		0x00, 0x00, 0x00, 0x00, /* acknowledgment number */
		0x80,                   /* data offset 8 (32 bytes) */
		0x02,                   /* flags SYN */
		0xff, 0xc4,             /* window */
		0x00, 0x00,             /* checksum */
		0x00, 0x00,             /* urgent pointer */
		0x02, 0x04, 0x05, 0xa0, /* MSS 1440 */
		0x04, 0x02,             /* SACK permitted */
		0x1e, 0x04,             /* MPTCP, length 4 (offset 6) */
		0x01,                   /* subtype MP_CAPABLE, version 1 */
		0x81,                   /* flags A, H */
		0x01,                   /* NOP */
		0x01,                   /* NOP */
	};
	uint8_t *buf = heap_copy(p, sizeof p);
	struct mp_pkt pkt;

	cr_assert_eq(mp_pkt_decode(DLT_RAW, buf, sizeof p, &pkt), MP_PKT_TCP);
	cr_assert_eq(pkt.family, 6);
	cr_assert_eq(pkt.src[0], 0xfd);
	cr_assert_eq(pkt.src[15], 1);
	cr_assert_eq(pkt.dst[15], 2);
	cr_assert_eq(pkt.sport, 54321);
	cr_assert_eq(pkt.dport, 8080);
	cr_assert_eq(pkt.seq, 0xa0b0c0d0u);
	cr_assert_eq(pkt.flags, MP_TH_SYN);
	cr_assert_eq(pkt.tcp_hdr_len, 32);
	cr_assert_eq(pkt.payload_len, 0);
	cr_assert_null(pkt.payload);
	cr_assert_eq(pkt.opts.n, 1);
	cr_assert_eq(pkt.opts.v[0].subtype, MPTCP_SUB_CAPABLE);
	cr_assert_eq(pkt.opts.v[0].len, 4);
	cr_assert_eq(pkt.opts.v[0].off, 6);
	free(buf);
}

/* Raw IPv4 + TCP whose data offset and options the tests patch. */
static const uint8_t v4_two_opts[] = {
	0x45,                   /* version 4, IHL 5 */
	0x00,                   /* DSCP, ECN */
	0x00, 0x3c,             /* total length 60 */
	0x00, 0x01,             /* identification */
	0x00, 0x00,             /* no fragmentation */
	0x40,                   /* TTL */
	0x06,                   /* protocol TCP */
	0x00, 0x00,             /* header checksum */
	10, 0, 0, 1,            /* source */
	10, 0, 0, 2,            /* destination */
	0x9c, 0x41,             /* source port 40001 */
	0x00, 0x50,             /* destination port 80 */
	0x00, 0x00, 0x00, 0x64, /* sequence number */
	0x00, 0x00, 0x00, 0xc8, /* acknowledgment number */
	0x80,                   /* data offset 8 (32 bytes) */
	0x10,                   /* flags ACK */
	0x01, 0x00,             /* window */
	0x00, 0x00,             /* checksum */
	0x00, 0x00,             /* urgent pointer */
	0x1e, 0x03,             /* MPTCP, length 3 (offset 0) */
	0x51,                   /* subtype MP_PRIO, B = 1 */
	0x1e, 0x08,             /* MPTCP, length 8 (offset 3) */
	0x20,                   /* subtype DSS */
	0x01,                   /* flags A */
	0x00, 0x00, 0x00, 0x2a, /* data ACK */
	0x00,                   /* end of option list */
	'p', 'a', 'y', 'l', 'o', 'a', 'd', '!', /* payload */
};

#define V4_DOFF 32

Test(packet, two_mptcp_options)
{
	uint8_t *buf = heap_copy(v4_two_opts, sizeof v4_two_opts);
	struct mp_pkt pkt;

	cr_assert_eq(mp_pkt_decode(DLT_RAW, buf, sizeof v4_two_opts, &pkt), MP_PKT_TCP);
	cr_assert_eq(pkt.opts.n, 2);
	cr_assert_eq(pkt.opts.v[0].subtype, MPTCP_SUB_PRIO);
	cr_assert_eq(pkt.opts.v[0].len, 3);
	cr_assert_eq(pkt.opts.v[0].off, 0);
	cr_assert_eq(pkt.opts.v[1].subtype, MPTCP_SUB_DSS);
	cr_assert_eq(pkt.opts.v[1].len, 8);
	cr_assert_eq(pkt.opts.v[1].off, 3);
	cr_assert_eq(pkt.payload_len, 8);
	cr_assert_eq(pkt.payload_caplen, 8);
	cr_assert_eq(memcmp(pkt.payload, "payload!", 8), 0);
	free(buf);
}

Test(packet, cut_inside_tcp_options)
{
	/* 20 bytes IP + 20 TCP + 5 of the 12 option bytes: still TCP. */
	uint8_t *buf = heap_copy(v4_two_opts, 45);
	struct mp_pkt pkt;

	cr_assert_eq(mp_pkt_decode(DLT_RAW, buf, 45, &pkt), MP_PKT_TCP);
	cr_assert_eq(pkt.tcp_hdr_len, 32);
	cr_assert_eq(pkt.payload_len, 8);
	cr_assert_eq(pkt.payload_caplen, 0);
	cr_assert_null(pkt.payload);
	cr_assert_eq(pkt.opts.n, 2); /* MP_PRIO whole, the DSS cut */
	cr_assert_eq(pkt.opts.v[0].subtype, MPTCP_SUB_PRIO);
	cr_assert_eq(pkt.opts.v[1].off, 3);
	cr_assert_eq(pkt.opts.v[1].caplen, 2);
	free(buf);
}

Test(packet, tcp_data_offset_below_5)
{
	uint8_t p[sizeof v4_two_opts];
	struct mp_pkt pkt;

	for (unsigned doff = 0; doff < 5; doff++) {
		memcpy(p, v4_two_opts, sizeof p);
		p[V4_DOFF] = (uint8_t)(doff << 4);
		uint8_t *buf = heap_copy(p, sizeof p);
		cr_assert_eq(mp_pkt_decode(DLT_RAW, buf, sizeof p, &pkt), MP_PKT_BAD,
			     "data offset %u", doff);
		cr_assert_eq(pkt.family, 4);
		cr_assert_eq(pkt.sport, 40001);
		cr_assert_eq(pkt.opts.n, 0);
		cr_assert_null(pkt.payload);
		free(buf);
	}
}

Test(packet, tcp_header_longer_than_ip_payload)
{
	uint8_t p[sizeof v4_two_opts];
	struct mp_pkt pkt;

	/* Data offset 15 (60 bytes) in a 40-byte IP payload. */
	memcpy(p, v4_two_opts, sizeof p);
	p[V4_DOFF] = 0xf0;
	uint8_t *buf = heap_copy(p, sizeof p);
	cr_assert_eq(mp_pkt_decode(DLT_RAW, buf, sizeof p, &pkt), MP_PKT_BAD);
	cr_assert_eq(pkt.opts.n, 0);
	free(buf);

	/* Total length 52 leaves 32 bytes: data offset 9 (36) overruns. */
	memcpy(p, v4_two_opts, sizeof p);
	p[3] = 52;
	p[V4_DOFF] = 0x90;
	buf = heap_copy(p, sizeof p);
	cr_assert_eq(mp_pkt_decode(DLT_RAW, buf, sizeof p, &pkt), MP_PKT_BAD);
	free(buf);

	/* Exactly the header, no payload: fine. */
	p[V4_DOFF] = 0x80;
	buf = heap_copy(p, sizeof p);
	cr_assert_eq(mp_pkt_decode(DLT_RAW, buf, sizeof p, &pkt), MP_PKT_TCP);
	cr_assert_eq(pkt.payload_len, 0);
	cr_assert_eq(pkt.payload_caplen, 0);
	cr_assert_null(pkt.payload);
	free(buf);
}

Test(packet, every_field_defined_on_every_return)
{
	static const uint8_t arp[] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* destination MAC */
		0x02, 0, 0, 0, 0, 0x01, /* source MAC */
		0x08, 0x06,             /* ethertype ARP */
	};
	static const struct {
		int dlt;
		const uint8_t *p;
		size_t n;
		enum mp_pkt_status st;
	} cases[] = {
		{ 9999, full, sizeof full, MP_PKT_LINK_UNSUPPORTED },
		{ DLT_EN10MB, arp, sizeof arp, MP_PKT_OTHER },
		{ DLT_EN10MB, full, 20, MP_PKT_TRUNC },
		{ DLT_EN10MB, NULL, 0, MP_PKT_TRUNC },
	};
	struct mp_pkt zero, pkt;
	memset(&zero, 0, sizeof zero);

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&pkt, 0xa5, sizeof pkt); /* stale values of a previous packet */
		cr_assert_eq(mp_pkt_decode(cases[i].dlt, cases[i].p, cases[i].n, &pkt),
			     cases[i].st);
		cr_assert_eq(memcmp(&pkt, &zero, offsetof(struct mp_pkt, opts)), 0,
			     "case %zu", i);
		cr_assert_eq(pkt.opts.n, 0);
		cr_assert_eq(pkt.opts.tcp_err, MP_E_NONE);
		cr_assert_eq(pkt.opts.tcp_err_off, 0);
	}
}

/* A small deterministic mutation run (the fuzz target's job in miniature):
 * random cuts and byte flips of valid packets under every DLT, each from an
 * exact-size heap buffer, checking the output's own invariants. */
static uint32_t xorshift32(uint32_t *s)
{
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

Test(packet, mutations_stay_in_bounds)
{
	static const int dlts[] = {
		DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4,
		DLT_IPV6, DLT_NULL, DLT_LOOP, DLT_PPP, DLT_PPP_SERIAL,
	};
	const uint8_t *bases[] = { full, full + 14, v4_two_opts };
	const size_t base_lens[] = { sizeof full, sizeof full - 14, sizeof v4_two_opts };
	uint8_t tmp[sizeof full + 16];
	uint32_t seed = 0x2545f491u;

	for (int i = 0; i < 40000; i++) {
		size_t b = xorshift32(&seed) % 3;
		size_t n = xorshift32(&seed) % (base_lens[b] + 16);
		int dlt = dlts[xorshift32(&seed) % (sizeof dlts / sizeof dlts[0])];

		for (size_t j = 0; j < n; j++)
			tmp[j] = j < base_lens[b] ? bases[b][j] : (uint8_t)xorshift32(&seed);
		for (uint32_t k = xorshift32(&seed) % 5; k > 0 && n > 0; k--)
			tmp[xorshift32(&seed) % n] = (uint8_t)xorshift32(&seed);

		uint8_t *buf = heap_copy(tmp, n);
		struct mp_pkt pkt;
		enum mp_pkt_status st = mp_pkt_decode(dlt, buf, n, &pkt);
		cr_assert_leq((unsigned)st, (unsigned)MP_PKT_LINK_UNSUPPORTED);
		cr_assert(pkt.family == 0 || pkt.family == 4 || pkt.family == 6);
		if (st == MP_PKT_TCP) {
			cr_assert_geq(pkt.tcp_hdr_len, 20);
			cr_assert_leq(pkt.payload_caplen, n);
			if (pkt.payload) {
				cr_assert_geq(pkt.payload, buf);
				cr_assert_leq(pkt.payload + pkt.payload_caplen, buf + n);
			}
			cr_assert_leq(pkt.opts.n, MP_OPTS_MAX);
			for (size_t k = 0; k < pkt.opts.n; k++) {
				const struct mp_opt *o = &pkt.opts.v[k];
				cr_assert_geq(o->raw, buf);
				cr_assert_leq(o->raw + o->caplen, buf + n);
			}
		} else {
			cr_assert_eq(pkt.opts.n, 0);
			cr_assert_null(pkt.payload);
		}
		free(buf);
	}
}
