/* SPDX-License-Identifier: BSD-2-Clause */
/* mapfile.h - a regular file mapped read-only as a byte source (bsrc.h)
 * for the zero-copy capture readers (pcapfile.h, pcapng.h).
 *
 * Pages more than a few MiB behind the cursor are released (MADV_DONTNEED),
 * so the resident size stays flat however large the file is; the next few
 * MiB are mapped in ahead with one MADV_POPULATE_READ. For files larger
 * than two windows, a read-ahead thread makes those two calls while the
 * caller goes on parsing (it touches nothing but the page tables of the
 * mapping, and blocks every signal, so signals still reach the caller).
 * The window moves in the source's slow path, so the per-record cost is
 * the one bounds compare of mp_bsrc_need(). */
#ifndef MPANA_MAPFILE_H
#define MPANA_MAPFILE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mpana/bsrc.h"

struct mp_mapfile {
	struct mp_bsrc src;  /* the parsers' view (first member) */
	const uint8_t *base; /* the mapping (whole file); NULL when closed */
	size_t size;         /* file size at open */
	size_t released;     /* pages below this offset were given back */
	size_t populated;    /* page tables are filled up to here */
	size_t next_move;    /* offset at which to move the window again */
	/* Read-ahead thread (ra_on): it alone moves released/populated once
	 * started; the reader hands it the cursor through ra_cursor. */
	bool ra_on;
	pthread_t ra;
	pthread_mutex_t ra_mu;
	pthread_cond_t ra_cv;
	size_t ra_cursor; /* under ra_mu: the last cursor handed over */
	bool ra_stop;     /* under ra_mu: asks the thread to end */
};

/* Maps the open descriptor `fd` of a regular file of at least `min_size`
 * bytes (the caller keeps and closes `fd`; the mapping does not need it).
 * Returns 1 when mapped, 0 otherwise (too small, not mappable: `m` is then
 * untouched and needs no close). */
int mp_mapfile_open_fd(struct mp_mapfile *m, int fd, size_t min_size);

/* Same for `path`, which must name a regular file ("-", FIFOs and devices
 * give 0 without being opened: opening a FIFO would block). */
int mp_mapfile_open(struct mp_mapfile *m, const char *path, size_t min_size);

/* Stops the read-ahead thread, if any, and unmaps. Safe twice. */
void mp_mapfile_close(struct mp_mapfile *m);

/* True when `addr` lies in the mapping (for a SIGBUS handler: a file that
 * shrinks while mapped faults on the pages past its new end). */
static inline bool mp_mapfile_has(const struct mp_mapfile *m, const void *addr)
{
	const uint8_t *a = addr;

	return m->base && a >= m->base && a < m->base + m->size;
}

#endif /* MPANA_MAPFILE_H */
