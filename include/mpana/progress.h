/* SPDX-License-Identifier: BSD-2-Clause */
/* progress.h - a progress line on stderr for long offline runs.
 *
 * "mpana: 42% of trace.pcap, 1234567 packets, 8.1 M packets/s", redrawn in
 * place at most four times a second and erased at the end. Only when
 * stderr is a terminal; never otherwise (pipes, files, tests). The clock is
 * read once every 65536 packets, so the per-packet cost is one compare. */
#ifndef MPANA_PROGRESS_H
#define MPANA_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct mp_progress {
	bool on;            /* stderr is a tty and the input has a known size */
	bool drawn;         /* a line is on the screen */
	uint64_t total;     /* input size in bytes */
	uint64_t next_check;/* packet count at which to look at the clock */
	uint64_t t0_ns;     /* monotonic time at start */
	uint64_t last_ns;   /* monotonic time of the last redraw */
	const char *name;   /* file name shown (borrowed) */
};

/* Starts; `total` is the file size (0: unknown, no progress). `name` is
 * borrowed for the whole run. */
void mp_progress_init(struct mp_progress *pr, const char *name, uint64_t total);

void mp_progress_draw(struct mp_progress *pr, uint64_t pos, uint64_t packets);

/* Call per packet; cheap unless a redraw is due. `pos`: bytes consumed. */
static inline void mp_progress_tick(struct mp_progress *pr, uint64_t pos,
				    uint64_t packets)
{
	if (pr->on && packets >= pr->next_check)
		mp_progress_draw(pr, pos, packets);
}

/* Erases the line if one was drawn. */
void mp_progress_end(struct mp_progress *pr);

#endif /* MPANA_PROGRESS_H */
