/* SPDX-License-Identifier: BSD-2-Clause */
/* progress.c - progress line on a terminal stderr (see progress.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mpana/progress.h"

#define CHECK_EVERY 65536u       /* packets between clock reads */
#define REDRAW_NS 250000000u     /* at most 4 redraws a second */
#define FIRST_NS 500000000u      /* short runs never show a line */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void mp_progress_init(struct mp_progress *pr, const char *name, uint64_t total)
{
	memset(pr, 0, sizeof *pr);
	pr->on = total > 0 && isatty(STDERR_FILENO) == 1;
	pr->total = total;
	pr->name = name;
	pr->next_check = CHECK_EVERY;
	if (pr->on) {
		pr->t0_ns = now_ns();
		pr->last_ns = pr->t0_ns + FIRST_NS - REDRAW_NS;
	}
}

void mp_progress_draw(struct mp_progress *pr, uint64_t pos, uint64_t packets)
{
	uint64_t t = now_ns();
	char line[200];
	double pct, secs, rate;
	const char *base;
	int n;

	pr->next_check = packets + CHECK_EVERY;
	if (t - pr->last_ns < REDRAW_NS)
		return;
	pr->last_ns = t;
	pct = pr->total ? 100.0 * (double)pos / (double)pr->total : 0.0;
	if (pct > 100.0)
		pct = 100.0;
	secs = (double)(t - pr->t0_ns) / 1e9;
	rate = secs > 0 ? (double)packets / secs : 0.0;
	base = strrchr(pr->name, '/');
	base = base ? base + 1 : pr->name;
	n = snprintf(line, sizeof line,
		     "\r\033[Kmpana: %3.0f%% of %.60s, %llu packets, %.2f M packets/s",
		     pct, base, (unsigned long long)packets, rate / 1e6);
	if (n > 0) {
		if ((size_t)n >= sizeof line)
			n = (int)sizeof line - 1;
		if (write(STDERR_FILENO, line, (size_t)n) == n)
			pr->drawn = true;
	}
}

void mp_progress_end(struct mp_progress *pr)
{
	static const char clear[] = "\r\033[K";

	if (pr->drawn && write(STDERR_FILENO, clear, sizeof clear - 1) < 0)
		pr->drawn = false;
	pr->drawn = false;
}
