/* SPDX-License-Identifier: BSD-2-Clause */
/* pcapfile.c - zero-copy classic pcap reader (see pcapfile.h).
 *
 * pcap-savefile(5); the per-record rules and messages follow libpcap 1.10
 * sf-pcap.c (pcap_check_header, pcap_next_packet), so that results and
 * errors are those of the libpcap path it replaces. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "mpana/pcapfile.h"

#define MAGIC_US 0xa1b2c3d4u
#define MAGIC_NS 0xa1b23c4du
#define FILE_HDR 24
#define REC_HDR 16
#define MAX_SNAPLEN 262144u /* libpcap's MAXIMUM_SNAPLEN for these types */
#define PREFETCH_AHEAD 2048 /* bytes; a prefetch never faults */
#define WINDOW (4u << 20) /* mapped-in ahead / kept behind the cursor */
#define RA_STACK (64u << 10) /* the read-ahead thread's stack */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14; older kernels say EINVAL */
#endif

static uint32_t rd32(const uint8_t *p, bool swap)
{
	uint32_t v;

	memcpy(&v, p, sizeof v);
	return swap ? __builtin_bswap32(v) : v;
}

/* LINKTYPE_* (file) to DLT_* (pcap_datalink()), for the link types mpana
 * decodes; -1 for anything else, which goes to libpcap. */
static int linktype_dlt(uint32_t lt)
{
	switch (lt) {
	case 0:   return DLT_NULL;
	case 1:   return DLT_EN10MB;
	case 9:   return DLT_PPP;
	case 50:  return DLT_PPP_SERIAL;
	case 101: return DLT_RAW;          /* LINKTYPE_RAW */
	case 108: return DLT_LOOP;         /* LINKTYPE_LOOP */
	case 113: return DLT_LINUX_SLL;
	case 228: return DLT_IPV4;
	case 229: return DLT_IPV6;
	case 276: return DLT_LINUX_SLL2;
	default:  return -1;
	}
}

int mp_pcapfile_open(struct mp_pcapfile *f, const char *path)
{
	struct stat st;
	const uint8_t *m;
	uint32_t magic, snaplen, lt;
	bool swap;
	int fd, dlt;

	if (!path || !strcmp(path, "-"))
		return 0;
	/* stat first: opening a FIFO would block, and closing it again
	 * could hit its writer with SIGPIPE before libpcap reopens it */
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0; /* libpcap reports the error its way */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < FILE_HDR ||
	    (uint64_t)st.st_size > (uint64_t)SIZE_MAX) {
		close(fd);
		return 0;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return 0;

	memcpy(&magic, m, sizeof magic);
	if (magic == MAGIC_US || magic == MAGIC_NS)
		swap = false;
	else if (magic == __builtin_bswap32(MAGIC_US) ||
		 magic == __builtin_bswap32(MAGIC_NS))
		swap = true;
	else
		goto not_mine;
	/* version 2.4 only; 2.3 and older have length quirks libpcap handles */
	uint16_t vmaj, vmin;
	memcpy(&vmaj, m + 4, 2);
	memcpy(&vmin, m + 6, 2);
	if (swap) {
		vmaj = __builtin_bswap16(vmaj);
		vmin = __builtin_bswap16(vmin);
	}
	if (vmaj != 2 || vmin != 4)
		goto not_mine;
	snaplen = rd32(m + 16, swap);
	lt = rd32(m + 20, swap);
	dlt = linktype_dlt(lt); /* also rejects FCS and reserved upper bits */
	if (dlt < 0)
		goto not_mine;

	memset(f, 0, sizeof *f);
	f->base = m;
	f->size = (size_t)st.st_size;
	f->off = FILE_HDR;
	f->swap = swap;
	f->nano = (swap ? __builtin_bswap32(magic) : magic) == MAGIC_NS;
	f->dlt = dlt;
	f->max_caplen = MAX_SNAPLEN;
	/* libpcap: a snaplen <= 0 (as int) or above the maximum becomes the
	 * maximum */
	f->snapshot = ((int32_t)snaplen <= 0 || snaplen > MAX_SNAPLEN) ?
		MAX_SNAPLEN : snaplen;
	madvise((void *)(uintptr_t)m, f->size, MADV_SEQUENTIAL);
	f->next_move = 0; /* first record: populate the first windows */
	return 1;

not_mine:
	munmap((void *)(uintptr_t)m, (size_t)st.st_size);
	return 0;
}

/* Every WINDOW bytes of cursor movement: gives back the pages more than a
 * window behind the cursor `at` (they stay in the page cache; the resident
 * size stays flat), and maps in the page tables of the next two windows
 * with one call (MADV_POPULATE_READ) instead of a page fault every 16
 * pages. Neither call can fault: a range past a shrunken file's end makes
 * MADV_POPULATE_READ fail with EFAULT, not SIGBUS. */
static void window_move(struct mp_pcapfile *f, size_t at)
{
	size_t page = 4096, off = at & ~(page - 1);
	size_t behind = off > WINDOW ? off - WINDOW : 0;
	size_t ahead = f->size - off > 2 * (size_t)WINDOW ? off + 2 * (size_t)WINDOW
							  : f->size;

	if (behind > f->released) {
		madvise((void *)(uintptr_t)(f->base + f->released),
			behind - f->released, MADV_DONTNEED);
		f->released = behind;
	}
	if (ahead > f->populated) {
		size_t from = f->populated > off ? f->populated : off;
		madvise((void *)(uintptr_t)(f->base + from), ahead - from,
			MADV_POPULATE_READ);
		f->populated = (ahead + page - 1) & ~(page - 1);
	}
}

/* The read-ahead thread: moves the window to each cursor it is handed,
 * so that the system time of mapping pages in and out is spent beside the
 * analysis instead of in it. Pages it drops are behind the cursor; if the
 * reader ever outruns it, the reader just takes ordinary page faults. */
static void *readahead_main(void *arg)
{
	struct mp_pcapfile *f = arg;
	size_t done = 0;

	pthread_mutex_lock(&f->ra_mu);
	for (;;) {
		while (!f->ra_stop && f->ra_cursor == done)
			pthread_cond_wait(&f->ra_cv, &f->ra_mu);
		if (f->ra_stop)
			break;
		done = f->ra_cursor;
		pthread_mutex_unlock(&f->ra_mu);
		window_move(f, done);
		pthread_mutex_lock(&f->ra_mu);
	}
	pthread_mutex_unlock(&f->ra_mu);
	return NULL;
}

/* Starts the read-ahead thread with every signal blocked in it (SIGINT,
 * SIGTERM, SIGPIPE and SIGBUS keep going to the reader). On failure the
 * reader moves the window itself, as for small files. */
static void readahead_start(struct mp_pcapfile *f)
{
	pthread_attr_t attr;
	sigset_t all, old;

	if (pthread_mutex_init(&f->ra_mu, NULL) != 0)
		return;
	if (pthread_cond_init(&f->ra_cv, NULL) != 0) {
		pthread_mutex_destroy(&f->ra_mu);
		return;
	}
	f->ra_cursor = 0;
	f->ra_stop = false;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, RA_STACK); /* two madvise calls deep */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	f->ra_on = pthread_create(&f->ra, &attr, readahead_main, f) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (!f->ra_on) {
		pthread_cond_destroy(&f->ra_cv);
		pthread_mutex_destroy(&f->ra_mu);
	}
}

static void readahead_stop(struct mp_pcapfile *f)
{
	if (!f->ra_on)
		return;
	pthread_mutex_lock(&f->ra_mu);
	f->ra_stop = true;
	pthread_cond_signal(&f->ra_cv);
	pthread_mutex_unlock(&f->ra_mu);
	pthread_join(f->ra, NULL);
	pthread_cond_destroy(&f->ra_cv);
	pthread_mutex_destroy(&f->ra_mu);
	f->ra_on = false;
}

/* Called when the cursor crosses next_move. The first window is mapped in
 * before the first record is read; after it, large files hand the cursor
 * to the read-ahead thread (one lock and signal per WINDOW bytes). */
static void window_advance(struct mp_pcapfile *f)
{
	if (f->next_move == 0) {
		window_move(f, f->off);
		if (f->size > 2 * (size_t)WINDOW)
			readahead_start(f);
	} else if (f->ra_on) {
		pthread_mutex_lock(&f->ra_mu);
		f->ra_cursor = f->off;
		pthread_cond_signal(&f->ra_cv);
		pthread_mutex_unlock(&f->ra_mu);
	} else {
		window_move(f, f->off);
	}
	f->next_move = f->off + WINDOW;
}

int mp_pcapfile_next(struct mp_pcapfile *f, struct mp_pcaprec *r)
{
	size_t left = f->size - f->off, avail;
	const uint8_t *h = f->base + f->off;
	uint32_t caplen;
	int64_t sec, frac;

	if (left < REC_HDR) {
		if (left == 0)
			return 0;
		snprintf(f->err, sizeof f->err,
			 "truncated dump file; tried to read %d header bytes, only got %zu",
			 REC_HDR, left);
		return -1;
	}
	if (f->off >= f->next_move)
		window_advance(f);
	/* the hardware prefetcher stops at page boundaries: ask ahead */
	__builtin_prefetch(h + PREFETCH_AHEAD);

	/* struct pcap_timeval holds bpf_int32 fields: libpcap sign-extends */
	sec = (int32_t)rd32(h, f->swap);
	frac = (int32_t)rd32(h + 4, f->swap);
	caplen = rd32(h + 8, f->swap);
	r->len = rd32(h + 12, f->swap);
	if (!f->nano)
		frac *= 1000; /* libpcap's SCALE_UP */
	r->ts_ns = (uint64_t)sec * 1000000000u + (uint64_t)frac;
	r->data = h + REC_HDR;
	avail = left - REC_HDR;

	if (caplen > f->max_caplen) {
		if (caplen > f->snapshot)
			snprintf(f->err, sizeof f->err,
				 "invalid packet capture length %u, bigger than snaplen of %d",
				 caplen, (int)f->snapshot);
		else
			snprintf(f->err, sizeof f->err,
				 "invalid packet capture length %u, bigger than maximum of %u",
				 caplen, f->max_caplen);
		return -1;
	}
	if (caplen > f->snapshot) {
		/* libpcap keeps the first snapshot bytes, skips the rest */
		if (avail < caplen) {
			snprintf(f->err, sizeof f->err,
				 "truncated dump file; tried to read %u captured bytes, only got %zu",
				 avail < f->snapshot ? f->snapshot : caplen, avail);
			return -1;
		}
		r->caplen = f->snapshot;
	} else {
		if (avail < caplen) {
			snprintf(f->err, sizeof f->err,
				 "truncated dump file; tried to read %u captured bytes, only got %zu",
				 caplen, avail);
			return -1;
		}
		r->caplen = caplen;
	}
	f->off += REC_HDR + (size_t)caplen;
	return 1;
}

void mp_pcapfile_close(struct mp_pcapfile *f)
{
	readahead_stop(f);
	if (f->base)
		munmap((void *)(uintptr_t)f->base, f->size);
	f->base = NULL;
}
