/* SPDX-License-Identifier: BSD-2-Clause */
/* pcapfile.h - a zero-copy reader for classic pcap files (mmap).
 *
 * Format: pcap-savefile(5) / draft-ietf-opsawg-pcap. Handles both byte
 * orders and the microsecond (0xa1b2c3d4) and nanosecond (0xa1b23c4d)
 * magics, version 2.4, and the link types mpana decodes. Anything else
 * (pcapng, other versions, odd link types, pipes, stdin) is left to
 * libpcap: mp_pcapfile_open() then says "not mine" and the caller falls
 * back, so that every message and corner case stays libpcap's.
 *
 * Per record it does what libpcap 1.10's sf-pcap.c pcap_next_packet()
 * does, with the same messages: a header cut at EOF and a record cut at
 * EOF are "truncated dump file" errors, a caplen above the snapshot length
 * is cut to it (above the link type's maximum, an error), timestamps are
 * scaled to nanoseconds the way pcap_open_offline_with_tstamp_precision(
 * NANO) scales them.
 *
 * Packets point into the mapping: no copy, no allocation per packet. Pages
 * more than a few MiB behind the cursor are released (MADV_DONTNEED), so
 * the resident size stays flat however large the file is; the next few MiB
 * are mapped in ahead with one MADV_POPULATE_READ. For files larger than
 * two windows, a read-ahead thread makes those two calls while the caller
 * goes on analyzing (it touches nothing but the page tables of the
 * mapping, and blocks every signal, so signals still reach the caller). */
#ifndef MPANA_PCAPFILE_H
#define MPANA_PCAPFILE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MP_PCAPFILE_ERRBUF 256

struct mp_pcapfile {
	const uint8_t *base; /* the mapping (whole file) */
	size_t size;         /* file size at open */
	size_t off;          /* offset of the next record header */
	size_t released;     /* pages below this offset were given back */
	size_t populated;    /* page tables are filled up to here */
	size_t next_move;    /* offset at which to move the window again */
	bool swap;           /* file written in the other byte order */
	bool nano;           /* nanosecond timestamps in the file */
	uint32_t snapshot;   /* effective snapshot length (libpcap's rule) */
	uint32_t max_caplen; /* largest sane caplen for the link type */
	int dlt;             /* DLT_* of the link type */
	char err[MP_PCAPFILE_ERRBUF]; /* message of the last error */
	/* Read-ahead thread (ra_on): it alone moves released/populated once
	 * started; the reader hands it the cursor through ra_cursor. */
	bool ra_on;
	pthread_t ra;
	pthread_mutex_t ra_mu;
	pthread_cond_t ra_cv;
	size_t ra_cursor; /* under ra_mu: the last cursor handed over */
	bool ra_stop;     /* under ra_mu: asks the thread to end */
};

/* One record. `data` borrows the mapping: valid until mp_pcapfile_close(). */
struct mp_pcaprec {
	uint64_t ts_ns;      /* capture time, ns since the epoch */
	uint32_t caplen;     /* bytes at `data` */
	uint32_t len;        /* length on the wire */
	const uint8_t *data; /* borrowed */
};

/* Opens `path` when it is a regular, mappable pcap file this reader
 * handles. Returns 1 when opened, 0 when the caller should use libpcap
 * instead (not a plain pcap file, unknown link type, not mappable ...; `f`
 * is then untouched and needs no close), -1 never: every doubt is 0. */
int mp_pcapfile_open(struct mp_pcapfile *f, const char *path);

/* Next record. Returns 1 and fills `r`, 0 at the end of the file, -1 on a
 * damaged record (message in f->err, libpcap's wording). */
int mp_pcapfile_next(struct mp_pcapfile *f, struct mp_pcaprec *r);

/* Stops the read-ahead thread, if any, and unmaps. */
void mp_pcapfile_close(struct mp_pcapfile *f);

struct mp_capture_cfg;
struct mp_analyzer;
/* src/capture/file.c: runs cfg->file through `a` with this reader (a->sink
 * set; signals installed by the caller). Returns -1 when the file is not
 * one for this reader (the caller then uses libpcap; nothing was read),
 * else MP_EXIT_OK or MP_EXIT_ERROR (message on stderr). */
int mp_capture_file_mapped(const struct mp_capture_cfg *cfg,
			   struct mp_analyzer *a);

#endif /* MPANA_PCAPFILE_H */
