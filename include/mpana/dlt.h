/* SPDX-License-Identifier: BSD-2-Clause */
/* dlt.h - the link types mpana decodes, as the DLT_* values libpcap's
 * pcap_datalink() returns on Linux (pcap/dlt.h). dissect/ uses these and
 * never includes libpcap (STYLE R1); src/capture/ checks at build time that
 * they equal libpcap's (pcap_dlt_check.c). */
#ifndef MPANA_DLT_H
#define MPANA_DLT_H

enum mp_dlt {
	MP_DLT_NULL = 0,          /* BSD loopback, family in host order */
	MP_DLT_EN10MB = 1,        /* Ethernet */
	MP_DLT_PPP = 9,           /* PPP */
	MP_DLT_RAW = 12,          /* raw IP (Linux's value; 14 on OpenBSD) */
	MP_DLT_PPP_SERIAL = 50,   /* PPP in HDLC-like framing */
	MP_DLT_LOOP = 108,        /* OpenBSD loopback, family in network order */
	MP_DLT_LINUX_SLL = 113,   /* Linux "any", cooked v1 */
	MP_DLT_IPV4 = 228,        /* raw IPv4 */
	MP_DLT_IPV6 = 229,        /* raw IPv6 */
	MP_DLT_LINUX_SLL2 = 276,  /* Linux "any", cooked v2 */
};

#endif /* MPANA_DLT_H */
