/* SPDX-License-Identifier: BSD-2-Clause */
/* pcapng.h - a zero-copy pcapng reader over a byte source (bsrc.h): a
 * mapped file or a stream.
 *
 * Format: draft-ietf-opsawg-pcapng (the PCAP Next Generation capture file
 * format). Reads Section Header Blocks in either byte order, several
 * sections in one file (each with its own byte order and interfaces),
 * Interface Description Blocks (link type, snaplen, if_tsresol in both the
 * power-of-10 and power-of-2 forms, if_tsoffset), Enhanced Packet Blocks,
 * Simple Packet Blocks and the obsolete Packet Block; every other block
 * (Name Resolution, Interface Statistics, Decryption Secrets, custom ...)
 * is skipped by its length. Comments are kept: the section's opt_comment
 * (mp_pcapng.shb_comment) and each packet's first opt_comment (the
 * record's `comment`).
 *
 * Where libpcap reads a file, this reader reads it the same way, with the
 * same messages (libpcap 1.10 sf-pcapng.c: pcap_ng_check_header,
 * read_block, pcap_ng_next_packet): every block length is checked (at
 * least 12, a multiple of 4, at most 16 MiB, within the data, the trailer
 * equal to the header), timestamps are converted the way
 * pcap_open_offline_with_tstamp_precision(NANO) converts them, a caplen
 * above the interface's snapshot length or a packet on an interface the
 * section does not describe is an error. Beyond libpcap, which stops at
 * them, it also reads interfaces with different link types or snapshot
 * lengths and sections in another byte order: each record carries its own
 * interface, link type and timestamp.
 *
 * Opening mirrors libpcap's open: the file is the caller's to hand to
 * libpcap ("not mine") when anything up to and including the first
 * Interface Description Block is damaged or unusual, or when the first
 * interface's link type is one mpana does not decode, so that libpcap's
 * message is the one shown. Later interfaces with such link types are
 * read; their records carry the link type and the caller decides. */
#ifndef MPANA_PCAPNG_H
#define MPANA_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mpana/bsrc.h"
#include "mpana/mapfile.h"
#include "mpana/pcapfile.h" /* struct mp_pcaprec, MP_PCAPFILE_ERRBUF */

/* One interface of the current section (an IDB). */
struct mp_pcapng_if {
	int dlt;           /* DLT_* of its link type; -1: one mpana does not
			    * decode (see linktype) */
	uint16_t linktype; /* LINKTYPE_* as in the file */
	uint32_t snapshot; /* snaplen; 0 or above INT_MAX: 262144 (libpcap) */
	uint64_t tsresol;  /* time stamp units per second */
	uint64_t scale;    /* units to ns: factor (power of 10 resolutions) */
	uint8_t how;       /* how units become ns (pcapng.c: TS_*) */
	int64_t tsoffset;  /* if_tsoffset: seconds added to every time stamp */
};

struct mp_pcapng {
	struct mp_mapfile map; /* the mapping, when opened by path */
	struct mp_bsrc *src;   /* where the bytes come from */
	bool swap;             /* this section is in the other byte order */
	uint32_t sections;     /* sections seen (1 after open) */
	uint32_t nif;          /* interfaces of this section */
	uint32_t cap_if;       /* entries allocated in `ifs` */
	struct mp_pcapng_if *ifs; /* this section's interfaces (owned) */
	int dlt;               /* the first interface's link type (DLT_*) */
	uint32_t first_snapshot; /* the first interface's snapshot length */
	bool beyond;           /* the file used what libpcap 1.10 refuses: a
				* section in the other byte order, or an
				* interface whose link type or snaplen differs
				* from the first one's (from then on libpcap
				* is no reference) */
	char *shb_comment;     /* this section's opt_comment, NUL-terminated,
				* or NULL (owned; replaced by the next SHB) */
	char err[MP_PCAPFILE_ERRBUF]; /* message of the last error */
};

/* Opens `path` when it is a regular, mappable pcapng file this reader
 * handles. Returns 1 when opened, 0 when the caller should use libpcap
 * instead (`g` needs no close), -1 when out of memory. */
int mp_pcapng_open(struct mp_pcapng *g, const char *path);

/* The same for the open descriptor of a regular file (the caller keeps and
 * closes `fd`). */
int mp_pcapng_open_fd(struct mp_pcapng *g, int fd);

/* The same over a byte source positioned at the first SHB (not owned).
 * Returns 1 with everything up to the first IDB consumed, 0 with nothing
 * consumed (the caller can hand the same bytes to libpcap), -1 when out
 * of memory. */
int mp_pcapng_open_src(struct mp_pcapng *g, struct mp_bsrc *src);

/* Next packet (EPB, SPB or PB), skipping every other block. Returns 1 and
 * fills `r`, 0 at the end of the data, -1 on damage (message in g->err,
 * libpcap's wording where libpcap has one) or when the source failed. */
int mp_pcapng_next(struct mp_pcapng *g, struct mp_pcaprec *r);

/* Frees the interfaces and comment and unmaps (a source given to
 * mp_pcapng_open_src stays the caller's). */
void mp_pcapng_close(struct mp_pcapng *g);

#endif /* MPANA_PCAPNG_H */
