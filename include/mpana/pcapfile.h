/* SPDX-License-Identifier: BSD-2-Clause */
/* pcapfile.h - a zero-copy reader for classic pcap files, over a byte
 * source (bsrc.h): a mapped file (mapfile.h) or a stream (stream.h).
 *
 * Format: pcap-savefile(5) / draft-ietf-opsawg-pcap. Handles both byte
 * orders and the microsecond (0xa1b2c3d4) and nanosecond (0xa1b23c4d)
 * magics, version 2.4, and the link types mpana decodes. Anything else
 * (other versions, odd link types) is left to libpcap: the open functions
 * then say "not mine" and the caller falls back, so that every message and
 * corner case stays libpcap's.
 *
 * Per record it does what libpcap 1.10's sf-pcap.c pcap_next_packet()
 * does, with the same messages: a header cut at EOF and a record cut at
 * EOF are "truncated dump file" errors, a caplen above the snapshot length
 * is cut to it (above the link type's maximum, an error), timestamps are
 * scaled to nanoseconds the way pcap_open_offline_with_tstamp_precision(
 * NANO) scales them.
 *
 * Packets point into the mapping or the stream's buffer: no copy, no
 * allocation per packet. */
#ifndef MPANA_PCAPFILE_H
#define MPANA_PCAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mpana/bsrc.h"
#include "mpana/mapfile.h"

#define MP_PCAPFILE_ERRBUF 256

struct mp_pcapfile {
	struct mp_mapfile map; /* the mapping, when opened by path */
	struct mp_bsrc *src; /* where the bytes come from (&map.src or a stream) */
	bool swap;           /* file written in the other byte order */
	bool nano;           /* nanosecond timestamps in the file */
	uint32_t snapshot;   /* effective snapshot length (libpcap's rule) */
	uint32_t max_caplen; /* largest sane caplen for the link type */
	int dlt;             /* DLT_* of the link type */
	char err[MP_PCAPFILE_ERRBUF]; /* message of the last error */
};

/* One record, of any of the readers (pcapfile.h, pcapng.h, reader.h).
 * `data` and `comment` are borrowed: valid until the next call on the same
 * reader (a mapped file's bytes until it is closed). */
struct mp_pcaprec {
	uint64_t ts_ns;      /* capture time, ns since the epoch */
	uint32_t caplen;     /* bytes at `data` */
	uint32_t len;        /* length on the wire */
	const uint8_t *data; /* borrowed */
	int dlt;             /* DLT_* of the record's link type (pcapng: of its
			      * interface; not always one mpana decodes) */
	uint32_t iface;      /* pcapng: interface id within its section;
			      * classic pcap: 0 */
	const uint8_t *comment; /* pcapng: the packet's first opt_comment
				 * (UTF-8, not NUL-terminated); NULL if none */
	uint16_t comment_len;   /* bytes at `comment` */
};

/* Opens `path` when it is a regular, mappable pcap file this reader
 * handles. Returns 1 when opened, 0 when the caller should use libpcap
 * instead (not a plain pcap file, unknown link type, not mappable ...; `f`
 * is then untouched and needs no close), -1 never: every doubt is 0. */
int mp_pcapfile_open(struct mp_pcapfile *f, const char *path);

/* The same for the open descriptor of a regular file (the caller keeps and
 * closes `fd`; the mapping does not need it). */
int mp_pcapfile_open_fd(struct mp_pcapfile *f, int fd);

/* The same over a byte source positioned at the file header (not owned).
 * Returns 1 with the header consumed, or 0 with nothing consumed (the
 * caller can hand the same bytes to libpcap). */
int mp_pcapfile_open_src(struct mp_pcapfile *f, struct mp_bsrc *src);

/* Next record. Returns 1 and fills `r`, 0 at the end of the file, -1 on a
 * damaged record (message in f->err, libpcap's wording) or when the source
 * failed (its message). */
int mp_pcapfile_next(struct mp_pcapfile *f, struct mp_pcaprec *r);

/* Unmaps (a source given to mp_pcapfile_open_src stays the caller's). */
void mp_pcapfile_close(struct mp_pcapfile *f);

#endif /* MPANA_PCAPFILE_H */
