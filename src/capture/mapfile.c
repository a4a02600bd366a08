/* SPDX-License-Identifier: BSD-2-Clause */
/* mapfile.c - a read-only file mapping as a byte source (see mapfile.h). */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpana/mapfile.h"

#define WINDOW (4u << 20) /* mapped-in ahead / kept behind the cursor */
#define RA_STACK (64u << 10) /* the read-ahead thread's stack */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14; older kernels say EINVAL */
#endif

/* Every WINDOW bytes of cursor movement: gives back the pages more than a
 * window behind the cursor `at` (they stay in the page cache; the resident
 * size stays flat), and maps in the page tables of the next two windows
 * with one call (MADV_POPULATE_READ) instead of a page fault every 16
 * pages. Neither call can fault: a range past a shrunken file's end makes
 * MADV_POPULATE_READ fail with EFAULT, not SIGBUS. */
static void window_move(struct mp_mapfile *m, size_t at)
{
	size_t page = 4096, off = at & ~(page - 1);
	size_t behind = off > WINDOW ? off - WINDOW : 0;
	size_t ahead = m->size - off > 2 * (size_t)WINDOW ? off + 2 * (size_t)WINDOW
							  : m->size;

	if (behind > m->released) {
		madvise((void *)(uintptr_t)(m->base + m->released),
			behind - m->released, MADV_DONTNEED);
		m->released = behind;
	}
	if (ahead > m->populated) {
		size_t from = m->populated > off ? m->populated : off;
		madvise((void *)(uintptr_t)(m->base + from), ahead - from,
			MADV_POPULATE_READ);
		m->populated = (ahead + page - 1) & ~(page - 1);
	}
}

/* The read-ahead thread: moves the window to each cursor it is handed,
 * so that the system time of mapping pages in and out is spent beside the
 * parsing instead of in it. Pages it drops are behind the cursor; if the
 * reader ever outruns it, the reader just takes ordinary page faults. */
static void *readahead_main(void *arg)
{
	struct mp_mapfile *m = arg;
	size_t done = 0;

	pthread_mutex_lock(&m->ra_mu);
	for (;;) {
		while (!m->ra_stop && m->ra_cursor == done)
			pthread_cond_wait(&m->ra_cv, &m->ra_mu);
		if (m->ra_stop)
			break;
		done = m->ra_cursor;
		pthread_mutex_unlock(&m->ra_mu);
		window_move(m, done);
		pthread_mutex_lock(&m->ra_mu);
	}
	pthread_mutex_unlock(&m->ra_mu);
	return NULL;
}

/* Starts the read-ahead thread with every signal blocked in it (SIGINT,
 * SIGTERM, SIGPIPE and SIGBUS keep going to the reader). On failure the
 * reader moves the window itself, as for small files. */
static void readahead_start(struct mp_mapfile *m)
{
	pthread_attr_t attr;
	sigset_t all, old;

	if (pthread_mutex_init(&m->ra_mu, NULL) != 0)
		return;
	if (pthread_cond_init(&m->ra_cv, NULL) != 0) {
		pthread_mutex_destroy(&m->ra_mu);
		return;
	}
	m->ra_cursor = 0;
	m->ra_stop = false;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, RA_STACK); /* two madvise calls deep */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	m->ra_on = pthread_create(&m->ra, &attr, readahead_main, m) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (!m->ra_on) {
		pthread_cond_destroy(&m->ra_cv);
		pthread_mutex_destroy(&m->ra_mu);
	}
}

static void readahead_stop(struct mp_mapfile *m)
{
	if (!m->ra_on)
		return;
	pthread_mutex_lock(&m->ra_mu);
	m->ra_stop = true;
	pthread_cond_signal(&m->ra_cv);
	pthread_mutex_unlock(&m->ra_mu);
	pthread_join(m->ra, NULL);
	pthread_cond_destroy(&m->ra_cv);
	pthread_mutex_destroy(&m->ra_mu);
	m->ra_on = false;
}

/* Called when the cursor `off` crosses next_move. The first window is
 * mapped in before the first byte is read; after it, large files hand the
 * cursor to the read-ahead thread (one lock and signal per WINDOW bytes). */
static void window_advance(struct mp_mapfile *m, size_t off)
{
	if (m->next_move == 0) {
		window_move(m, off);
		if (m->size > 2 * (size_t)WINDOW)
			readahead_start(m);
	} else if (m->ra_on) {
		pthread_mutex_lock(&m->ra_mu);
		m->ra_cursor = off;
		pthread_cond_signal(&m->ra_cv);
		pthread_mutex_unlock(&m->ra_mu);
	} else {
		window_move(m, off);
	}
	m->next_move = off + WINDOW;
}

/* The slow path of mp_bsrc_need(): `end` stops at the next window move
 * (or the end of the file), so crossing it lands here once per WINDOW
 * bytes; a span reaching past it is simply extended. */
static size_t map_more(struct mp_bsrc *s, size_t n)
{
	struct mp_mapfile *m = (struct mp_mapfile *)s;
	size_t off = (size_t)(s->p - m->base), left = m->size - off;
	size_t want = n < left ? n : left, soft;

	if (off >= m->next_move)
		window_advance(m, off);
	soft = m->next_move < m->size ? m->next_move : m->size;
	if (soft < off + want)
		soft = off + want;
	s->end = m->base + soft;
	return want;
}

int mp_mapfile_open_fd(struct mp_mapfile *m, int fd, size_t min_size)
{
	struct stat st;
	const uint8_t *b;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size < (uint64_t)min_size ||
	    (uint64_t)st.st_size > (uint64_t)SIZE_MAX)
		return 0;
	b = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (b == MAP_FAILED)
		return 0;
	memset(m, 0, sizeof *m);
	m->base = b;
	m->size = (size_t)st.st_size;
	m->src.p = m->src.end = m->src.org = b;
	m->src.more = map_more;
	m->next_move = 0; /* the first need maps in the first windows */
	madvise((void *)(uintptr_t)b, m->size, MADV_SEQUENTIAL);
	return 1;
}

int mp_mapfile_open(struct mp_mapfile *m, const char *path, size_t min_size)
{
	struct stat st;
	int fd, ok;

	if (!path || !strcmp(path, "-"))
		return 0;
	/* stat first: opening a FIFO would block, and closing it again
	 * could hit its writer with SIGPIPE before libpcap reopens it */
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	ok = mp_mapfile_open_fd(m, fd, min_size);
	close(fd);
	return ok;
}

void mp_mapfile_close(struct mp_mapfile *m)
{
	readahead_stop(m);
	if (m->base)
		munmap((void *)(uintptr_t)m->base, m->size);
	m->base = NULL;
}
