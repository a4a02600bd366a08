/* SPDX-License-Identifier: BSD-2-Clause */
/* floor.c - the benchmark floor: the least a libpcap-based analyzer does.
 *
 * pcap_next_ex() over a file, then for every record: link header (EN10MB,
 * LINUX_SLL, LINUX_SLL2, RAW, NULL/LOOP), IPv4/IPv6 header, TCP header, and
 * a walk over the TCP options that counts MPTCP (kind 30) options per
 * subtype. No state, no output but a checksum line, so the compiler cannot
 * drop the work. Used by bench/run.sh as the reference for every ratio.
 *
 *     floor FILE      prints "packets tcp mptcp_opts sum" */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t packets = 0, tcp = 0, mpopts = 0, sum = 0;
	uint64_t subtype[16] = { 0 };
	pcap_t *p;
	int dlt, rc;

	if (argc != 2) {
		fprintf(stderr, "usage: floor FILE\n");
		return 2;
	}
	p = pcap_open_offline_with_tstamp_precision(argv[1],
		PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p) {
		fprintf(stderr, "floor: %s\n", errbuf);
		return 1;
	}
	dlt = pcap_datalink(p);
	while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
		size_t n = h->caplen, off, ip_len;
		unsigned proto, ip_proto;

		packets++;
		sum += (uint64_t)h->ts.tv_usec;
		switch (dlt) {
		case DLT_EN10MB:
			if (n < 14)
				continue;
			proto = be16(d + 12);
			off = 14;
			if (proto == 0x8100 && n >= 18) {
				proto = be16(d + 16);
				off = 18;
			}
			break;
		case DLT_LINUX_SLL:
			if (n < 16)
				continue;
			proto = be16(d + 14);
			off = 16;
			break;
		case DLT_LINUX_SLL2:
			if (n < 20)
				continue;
			proto = be16(d);
			off = 20;
			break;
		case DLT_RAW:
			if (n < 1)
				continue;
			proto = (d[0] >> 4) == 6 ? 0x86dd : 0x0800;
			off = 0;
			break;
		case DLT_NULL:
		case DLT_LOOP:
			if (n < 5)
				continue;
			proto = (d[4] >> 4) == 6 ? 0x86dd : 0x0800;
			off = 4;
			break;
		default:
			continue;
		}
		if (proto == 0x0800) {
			if (n < off + 20 || (d[off] >> 4) != 4)
				continue;
			ip_len = (size_t)(d[off] & 15) * 4;
			ip_proto = d[off + 9];
			if (ip_len < 20 || (be16(d + off + 6) & 0x1fff))
				continue;
		} else if (proto == 0x86dd) {
			if (n < off + 40 || (d[off] >> 4) != 6)
				continue;
			ip_len = 40;
			ip_proto = d[off + 6];
		} else {
			continue;
		}
		if (ip_proto != 6)
			continue;
		off += ip_len;
		if (n < off + 20)
			continue;
		size_t thl = (size_t)(d[off + 12] >> 4) * 4;
		if (thl < 20 || n < off + thl)
			continue;
		tcp++;
		sum += be16(d + off) + be16(d + off + 2) + d[off + 13];
		for (size_t i = off + 20, end = off + thl; i < end;) {
			unsigned kind = d[i];
			if (kind == 0)
				break;
			if (kind == 1) {
				i++;
				continue;
			}
			if (i + 2 > end || d[i + 1] < 2 || i + d[i + 1] > end)
				break;
			if (kind == 30 && d[i + 1] >= 3) {
				subtype[d[i + 2] >> 4]++;
				mpopts++;
			}
			i += d[i + 1];
		}
	}
	if (rc == PCAP_ERROR)
		fprintf(stderr, "floor: %s\n", pcap_geterr(p));
	for (int i = 0; i < 16; i++)
		sum += subtype[i] * (uint64_t)(i + 1);
	printf("%llu %llu %llu %llu\n", (unsigned long long)packets,
	       (unsigned long long)tcp, (unsigned long long)mpopts,
	       (unsigned long long)sum);
	pcap_close(p);
	return rc == PCAP_ERROR;
}
