/* SPDX-License-Identifier: BSD-2-Clause */
/* reader.h - one pull-style reader for the capture files mpana parses
 * itself: classic pcap (pcapfile.h) and pcapng (pcapng.h), mapped when
 * the file is a regular one (mapfile.h), streamed (stream.h) when it is
 * gzip or zstd compressed, standard input ("-") or a FIFO. The format and
 * the compression are recognized by their magic numbers, never by the file
 * name.
 *
 * open / next / close, one record at a time: each record carries its own
 * capture time (ns), link type and, for pcapng, interface and comment, and
 * borrows its bytes until the next call on the same reader, so that
 * several readers can be open side by side (a merge holds one record of
 * each). No allocation per record.
 *
 * What the parsers leave to libpcap (other pcap versions, link types mpana
 * does not decode, pcapng files unusual before their first interface, data
 * that is neither format) is handed back: for a stream, as a stdio stream
 * that replays the decoded bytes from the start (libpcap reads it with
 * pcap_fopen_offline and gives its own message). */
#ifndef MPANA_READER_H
#define MPANA_READER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mpana/pcapfile.h"
#include "mpana/pcapng.h"

enum mp_reader_fmt {
	MP_RD_LIBPCAP = 0, /* not ours: see mp_reader_open() */
	MP_RD_PCAP,        /* classic pcap */
	MP_RD_PCAPNG,      /* pcapng */
};

/* Flags of mp_reader_open(). */
#define MP_READER_ALL_LIBPCAP 1u /* parse nothing ourselves (MPANA_READER=
				  * libpcap, a BPF filter): only undo the
				  * compression and hand the bytes over */
#define MP_READER_NO_MAP 2u      /* read regular files as streams too (the
				  * tests' way to reach the stream path) */

struct mp_stream;

struct mp_reader {
	enum mp_reader_fmt fmt;   /* what next() reads */
	struct mp_pcapfile pcap;  /* fmt MP_RD_PCAP */
	struct mp_pcapng ng;      /* fmt MP_RD_PCAPNG */
	struct mp_stream *stream; /* the stream, when not mapped (owned) */
	const struct mp_mapfile *map; /* the mapping in use, or NULL */
	uint64_t size;            /* bytes of the input file; 0: unknown */
	const char *codec;        /* "gzip", "zstd", or NULL */
	char err[MP_PCAPFILE_ERRBUF]; /* the open's message */
};

/* Opens `path` ("-": standard input). Returns
 *   1  ours: read with mp_reader_next();
 *   0  libpcap's: if mp_reader_libpcap_file() gives a stdio stream, hand it
 *      to pcap_fopen_offline*(), else open `path` with libpcap (nothing was
 *      read from it); close `r` after the pcap_t;
 *  -1  an error (message in r->err: a decoder missing from this build, a
 *      read error, out of memory); nothing to close.
 * `stop` (may be NULL) ends waits on a pipe once nonzero (stream.h). */
int mp_reader_open(struct mp_reader *r, const char *path, unsigned flags,
		   volatile int *stop);

/* Next record: 1 (filled), 0 at the end (or on a requested stop), -1 on
 * damage or an input error (message: mp_reader_error()). */
static inline int mp_reader_next(struct mp_reader *r, struct mp_pcaprec *rec)
{
	return r->fmt == MP_RD_PCAP ? mp_pcapfile_next(&r->pcap, rec)
				    : mp_pcapng_next(&r->ng, rec);
}

/* The message of the last failure of mp_reader_next(). */
const char *mp_reader_error(const struct mp_reader *r);

/* For libpcap (mp_reader_open() gave 0): the decoded bytes as a stdio
 * stream, or NULL when libpcap should open the path itself. Owned by `r`:
 * libpcap's pcap_close() fcloses it, which leaves the stream to
 * mp_reader_close(). */
FILE *mp_reader_libpcap_file(struct mp_reader *r);

/* The stream's message when it ended the data early (a decoder or read
 * error), else NULL: for the libpcap path, whose message then says less. */
const char *mp_reader_stream_error(const struct mp_reader *r);

/* Bytes of the input file consumed so far (compressed bytes for a
 * compressed file), for the progress line. */
uint64_t mp_reader_pos(const struct mp_reader *r);

/* Frees everything. Safe on a reader whose open gave 0. */
void mp_reader_close(struct mp_reader *r);

struct mp_capture_cfg;
struct mp_analyzer;
/* src/capture/file.c: runs every record of the open reader `rd` through
 * `a` (a->sink set; signals installed by the caller), at most cfg->count.
 * Sets a->dlt per record (pcapng interfaces may differ; a link type mpana
 * does not decode is warned about once and its packets counted as
 * undecodable). Returns MP_EXIT_OK or MP_EXIT_ERROR (message on stderr,
 * after everything before the damage was analyzed). Does not close `rd`. */
int mp_capture_reader_run(const struct mp_capture_cfg *cfg,
			  struct mp_analyzer *a, struct mp_reader *rd);

#endif /* MPANA_READER_H */
