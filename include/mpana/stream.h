/* SPDX-License-Identifier: BSD-2-Clause */
/* stream.h - capture data that cannot be mapped, as a byte source
 * (bsrc.h): standard input, FIFOs, and gzip (RFC 1952) or zstd (RFC 8878)
 * compressed data, recognized by their magic numbers (1f 8b, 28 b5 2f fd),
 * never by a file name.
 *
 * A decoder thread reads the input and decodes it into a few fixed chunks
 * of memory while the caller parses the previous one, so decoding and
 * analysis overlap; memory stays flat whatever the size of the input. A
 * record that straddles two chunks is copied once into the room kept in
 * front of the next chunk (or, above that room's size, into one buffer
 * that grows to the largest such record); everything else is parsed where
 * the decoder wrote it.
 *
 * On a pipe the thread hands over what it has as soon as the input has
 * nothing more to give at the moment, so that `tcpdump -U -w - | mpana -r -`
 * sees each packet when it arrives, not a chunk later.
 *
 * Damaged input (a corrupt or truncated gzip member or zstd frame, a read
 * error) ends the data at the point where it was found; the byte source's
 * `err` says what happened, so the caller reports it after analyzing
 * everything before it. Built without zlib or libzstd (CMake says so),
 * such input is refused with a message naming the missing library. */
#ifndef MPANA_STREAM_H
#define MPANA_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mpana/bsrc.h"

struct mp_stream;

/* Starts reading `fd` (blocking reads; taken when `own_fd`, closed by
 * mp_stream_close). Looks at the first bytes to choose the decoder.
 * `stop`, when not NULL, is polled while waiting for input: once it is
 * nonzero (a signal handler set it and interrupted the wait) the data ends
 * with the source's `stopped` set. Returns the stream, or NULL with a
 * message in `err` (no decoder built in, out of memory, a read error). */
struct mp_stream *mp_stream_open(int fd, bool own_fd, volatile int *stop,
				 char *err, size_t errlen);

/* The decoded bytes, from the start of the data. Borrowed from `st`. */
struct mp_bsrc *mp_stream_src(struct mp_stream *st);

/* "gzip", "zstd", or NULL for data read as it is. */
const char *mp_stream_codec(const struct mp_stream *st);

/* Bytes of input (compressed) read so far: for a progress line. */
uint64_t mp_stream_in_pos(const struct mp_stream *st);

/* A stdio stream of the decoded bytes from the source's cursor on (for
 * libpcap: pcap_fopen_offline). fclose() on it leaves `st` open; close it
 * before mp_stream_close(). A decoder error reads as EIO. NULL when out of
 * memory. */
FILE *mp_stream_fopen(struct mp_stream *st);

/* Stops the thread, frees everything, closes the descriptor if owned.
 * NULL is fine. */
void mp_stream_close(struct mp_stream *st);

#endif /* MPANA_STREAM_H */
