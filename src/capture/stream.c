/* SPDX-License-Identifier: BSD-2-Clause */
/* stream.c - standard input, FIFOs and compressed captures as a byte
 * source (see stream.h).
 *
 * gzip: RFC 1952 members (several in a row, as `cat a.gz b.gz` or pigz
 * write them) through zlib's inflate; zstd: RFC 8878 frames (several in a
 * row, skippable frames included) through ZSTD_decompressStream.
 *
 * Threads: the decoder thread (producer) fills slots[filled % NSLOT] while
 * fewer than NSLOT slots are filled and not yet released; the caller
 * (consumer) takes them in order and releases each when its view moves
 * on. The two counters are the only shared state besides the slots they
 * hand over (acquire/release); each side sleeps in poll() on an eventfd
 * the other writes, so a signal interrupts the caller's wait (the SIGINT
 * handler is installed without SA_RESTART) and the close interrupts the
 * decoder's. Without a thread (pthread_create failed) the caller decodes
 * each slot itself when it needs it. */
#define _GNU_SOURCE /* fopencookie(3) */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef MPANA_HAVE_ZLIB
#include <zlib.h>
#endif
#ifdef MPANA_HAVE_ZSTD
#include <zstd.h>
#endif

#include "mpana/stream.h"

#define CHUNK (1u << 20)   /* decoded bytes per slot */
#define HEAD (320u << 10)  /* room before each slot for the carried-over
			    * start of a record (a classic pcap record of
			    * the largest snaplen fits) */
#define NSLOT 4            /* slots in flight */
#define INBUF (256u << 10) /* input read at once */
#define ERRLEN 256

enum codec { C_RAW, C_GZIP, C_ZSTD };

struct slot {
	uint8_t *mem; /* HEAD bytes of room, then CHUNK bytes of data */
	size_t len;   /* bytes of data */
	bool last;    /* the data ends with this slot */
};

struct mp_stream {
	struct mp_bsrc src;       /* the parsers' view (first member) */
	int fd;                   /* input */
	bool own_fd;              /* close fd at the end */
	bool pipe;                /* not a regular file: hand over early */
	volatile int *stop;       /* the caller's stop flag, or NULL */
	enum codec codec;
	/* decoder state: the producer's alone once the thread runs */
	uint8_t *in;              /* input buffer */
	size_t in_pos, in_len;    /* unread input is in[in_pos, in_len) */
	bool pending;             /* the decoder may hold output not yet given */
	bool member_done;         /* gzip: a member ended; another may follow */
	size_t zret;              /* zstd: the last hint (0: at a frame end) */
	bool done;                /* the last slot was filled */
	bool stopped;             /* the input ended because of a stop */
	char perr[ERRLEN];        /* why the input ended early ("" if it did not) */
#ifdef MPANA_HAVE_ZLIB
	z_stream z;
	bool z_on;
#endif
#ifdef MPANA_HAVE_ZSTD
	ZSTD_DStream *zs;
#endif
	_Atomic uint64_t in_total; /* input bytes read */
	/* the hand-over */
	struct slot slots[NSLOT];
	_Atomic unsigned filled;   /* slots filled (producer) */
	_Atomic unsigned released; /* slots given back (consumer) */
	_Atomic bool quit;         /* the consumer is closing */
	int ev_data, ev_space;     /* eventfds: "a slot is filled" / "a slot
				    * is free or quit" */
	bool thread_on;
	pthread_t th;
	/* the consumer's */
	unsigned taken;            /* slots taken */
	int cur;                   /* slot the view is in; -1: none */
	bool at_end;               /* the last slot was taken */
	uint8_t *big;              /* the view for records spanning slots */
	size_t big_cap;
};

static void ev_post(int fd)
{
	uint64_t one = 1;
	ssize_t r = write(fd, &one, sizeof one);

	(void)r; /* a full counter (2^64 - 2 posts) is already a wake-up */
}

static void ev_drain(int fd)
{
	uint64_t v;
	ssize_t r = read(fd, &v, sizeof v);

	(void)r; /* EAGAIN: nothing posted */
}

/* True when the input has bytes to give right now (pipes only). */
static bool readable_now(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

/* Reads up to n bytes of input. Returns the count, 0 at the end of the
 * input, -1 on a read error (perr set), -2 when asked to stop. Waits in
 * poll() so that the close (ev_space) or a signal (no thread) ends it. */
static ssize_t read_in(struct mp_stream *st, uint8_t *buf, size_t n)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = st->fd, .events = POLLIN },
				       { .fd = st->ev_space, .events = POLLIN } };
		ssize_t r;

		if (atomic_load(&st->quit) ||
		    (!st->thread_on && st->stop && *st->stop))
			return -2;
		if (poll(p, st->thread_on ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(st->perr, sizeof st->perr, "read error: %s",
				 strerror(errno));
			return -1;
		}
		if (st->thread_on && p[1].revents) {
			/* a slot came free, or the close: recheck (the wait
			 * for a free slot rechecks its condition too) */
			ev_drain(st->ev_space);
			continue;
		}
		r = read(st->fd, buf, n);
		if (r >= 0) {
			atomic_fetch_add(&st->in_total, (uint64_t)r);
			return r;
		}
		if (errno == EINTR || errno == EAGAIN)
			continue;
		snprintf(st->perr, sizeof st->perr, "read error: %s",
			 strerror(errno));
		return -1;
	}
}

/* One decoder step from in[in_pos..] into out[*n..cap). Returns 0, or -1
 * with perr set. */
static int decode_step(struct mp_stream *st, uint8_t *out, size_t *n, size_t cap)
{
	switch (st->codec) {
#ifdef MPANA_HAVE_ZLIB
	case C_GZIP: {
		int zr;

		if (st->member_done) {
			/* RFC 1952 §2.2: members follow one another */
			if (st->in[st->in_pos] != 0x1f) {
				snprintf(st->perr, sizeof st->perr,
					 "trailing garbage after the gzip data");
				return -1;
			}
			inflateReset(&st->z);
			st->member_done = false;
		}
		st->z.next_in = st->in + st->in_pos;
		st->z.avail_in = (uInt)(st->in_len - st->in_pos);
		st->z.next_out = out + *n;
		st->z.avail_out = (uInt)(cap - *n);
		zr = inflate(&st->z, Z_NO_FLUSH);
		st->in_pos = st->in_len - st->z.avail_in;
		*n = cap - st->z.avail_out;
		st->pending = st->z.avail_out == 0;
		if (zr == Z_STREAM_END) {
			st->member_done = true;
			st->pending = false;
		} else if (zr == Z_BUF_ERROR) {
			st->pending = false; /* nothing to give without input */
		} else if (zr != Z_OK) {
			snprintf(st->perr, sizeof st->perr, "corrupt gzip data: %s",
				 st->z.msg ? st->z.msg : zError(zr));
			return -1;
		}
		return 0;
	}
#endif
#ifdef MPANA_HAVE_ZSTD
	case C_ZSTD: {
		ZSTD_inBuffer ib = { st->in, st->in_len, st->in_pos };
		ZSTD_outBuffer ob = { out, cap, *n };
		size_t r = ZSTD_decompressStream(st->zs, &ob, &ib);

		if (ZSTD_isError(r)) {
			snprintf(st->perr, sizeof st->perr, "corrupt zstd data: %s",
				 ZSTD_getErrorName(r));
			return -1;
		}
		st->zret = r;
		st->in_pos = ib.pos;
		st->pending = ob.pos == ob.size;
		*n = ob.pos;
		return 0;
	}
#endif
	default:
		(void)out;
		(void)n;
		(void)cap;
		return -1;
	}
}

/* Fills `s` with the next decoded bytes: until it is full, the input
 * ends, fails or is stopped, or (on a pipe) has nothing more right now. */
static void produce(struct mp_stream *st, struct slot *s)
{
	uint8_t *out = s->mem + HEAD;
	size_t n = 0;
	ssize_t r;

	s->last = false;
	while (n < CHUNK) {
		if (st->codec == C_RAW) {
			if (st->in_pos < st->in_len) { /* the bytes looked at */
				size_t k = st->in_len - st->in_pos;
				k = k < CHUNK - n ? k : CHUNK - n;
				memcpy(out + n, st->in + st->in_pos, k);
				st->in_pos += k;
				n += k;
				continue;
			}
			if (n > 0 && st->pipe && !readable_now(st->fd))
				break;
			r = read_in(st, out + n, CHUNK - n);
			if (r > 0) {
				n += (size_t)r;
				continue;
			}
			goto ended;
		}
		if (st->in_pos == st->in_len && !st->pending) {
			if (n > 0 && st->pipe && !readable_now(st->fd))
				break;
			r = read_in(st, st->in, INBUF);
			if (r <= 0)
				goto ended;
			st->in_pos = 0;
			st->in_len = (size_t)r;
		}
		if (decode_step(st, out, &n, CHUNK) != 0) {
			r = -1;
			goto ended;
		}
	}
	s->len = n;
	return;

ended:
	if (r == 0) { /* end of input: complete only at a member/frame end */
		if (st->codec == C_GZIP && !st->member_done)
			snprintf(st->perr, sizeof st->perr,
				 "truncated gzip data (the compressed input ends early)");
		else if (st->codec == C_ZSTD && st->zret != 0)
			snprintf(st->perr, sizeof st->perr,
				 "truncated zstd data (the compressed input ends early)");
	}
	st->stopped = r == -2;
	st->done = true;
	s->len = n;
	s->last = true;
}

static void *producer_main(void *arg)
{
	struct mp_stream *st = arg;

	while (!st->done) {
		unsigned f = atomic_load_explicit(&st->filled, memory_order_relaxed);

		while (f - atomic_load_explicit(&st->released,
						memory_order_acquire) >= NSLOT) {
			struct pollfd p = { .fd = st->ev_space, .events = POLLIN };
			if (atomic_load(&st->quit))
				return NULL;
			if (poll(&p, 1, -1) > 0)
				ev_drain(st->ev_space);
		}
		produce(st, &st->slots[f % NSLOT]);
		atomic_store_explicit(&st->filled, f + 1, memory_order_release);
		ev_post(st->ev_data);
	}
	return NULL;
}

/* The consumer: the next filled slot, or NULL when a stop was requested
 * while waiting for it. */
static struct slot *take_next(struct mp_stream *st)
{
	if (!st->thread_on) {
		produce(st, &st->slots[st->taken % NSLOT]);
		atomic_store(&st->filled, st->taken + 1);
	}
	while (atomic_load_explicit(&st->filled, memory_order_acquire) ==
	       st->taken) {
		struct pollfd p = { .fd = st->ev_data, .events = POLLIN };

		if (st->stop && *st->stop)
			return NULL;
		if (poll(&p, 1, -1) > 0)
			ev_drain(st->ev_data);
	}
	return &st->slots[st->taken++ % NSLOT];
}

static void release_cur(struct mp_stream *st)
{
	if (st->cur < 0)
		return;
	st->cur = -1;
	atomic_fetch_add_explicit(&st->released, 1, memory_order_release);
	if (st->thread_on)
		ev_post(st->ev_space);
}

/* mp_bsrc's slow path: moves the view on to the next slots until n bytes
 * are readable at p. The bytes not yet consumed are carried along: into
 * the room in front of the next slot when they fit, else with the next
 * slot's data into `big` (grown to the largest such span; never for a
 * classic pcap record, whose largest size fits in the room). */
static size_t st_more(struct mp_bsrc *b, size_t n)
{
	struct mp_stream *st = (struct mp_stream *)b;

	for (;;) {
		size_t carry = (size_t)(b->end - b->p), len;
		uint64_t pos = mp_bsrc_pos(b);
		struct slot *nx;
		bool last;

		if (carry >= n)
			return n;
		if (st->at_end)
			return carry;
		nx = take_next(st);
		if (!nx) {
			b->stopped = true;
			return carry;
		}
		/* read before the slot may be released (and refilled) */
		len = nx->len;
		last = nx->last;
		if (carry <= HEAD) {
			uint8_t *dst = nx->mem + HEAD - carry;
			if (carry)
				memcpy(dst, b->p, carry);
			release_cur(st);
			st->cur = (int)(nx - st->slots);
			b->p = dst;
			b->end = nx->mem + HEAD + len;
		} else {
			size_t need = carry + len;
			if (need > st->big_cap) {
				size_t cap = st->big_cap ? st->big_cap : CHUNK;
				uint8_t *nb;
				while (cap < need)
					cap *= 2;
				nb = malloc(cap);
				if (!nb) {
					snprintf(st->perr, sizeof st->perr, "out of memory");
					b->err = st->perr;
					st->at_end = true;
					return carry;
				}
				memcpy(nb, b->p, carry);
				free(st->big);
				st->big = nb;
				st->big_cap = cap;
			} else {
				memmove(st->big, b->p, carry);
			}
			memcpy(st->big + carry, nx->mem + HEAD, len);
			release_cur(st);
			st->cur = (int)(nx - st->slots);
			release_cur(st); /* copied: give it back at once */
			b->p = st->big;
			b->end = st->big + need;
		}
		b->org = b->p;
		b->org_pos = pos;
		if (last) {
			st->at_end = true;
			b->err = st->perr[0] ? st->perr : NULL;
			b->stopped = st->stopped;
		}
	}
}

static int decoder_init(struct mp_stream *st, char *err, size_t errlen)
{
	switch (st->codec) {
	case C_GZIP:
#ifdef MPANA_HAVE_ZLIB
		if (inflateInit2(&st->z, 15 + 16) != Z_OK) { /* gzip wrapper */
			snprintf(err, errlen, "cannot start the gzip decoder");
			return -1;
		}
		st->z_on = true;
		return 0;
#else
		snprintf(err, errlen, "gzip-compressed input, but this mpana was built without zlib (zlib1g-dev)");
		return -1;
#endif
	case C_ZSTD:
#ifdef MPANA_HAVE_ZSTD
		st->zs = ZSTD_createDStream();
		if (!st->zs || ZSTD_isError(ZSTD_initDStream(st->zs))) {
			snprintf(err, errlen, "cannot start the zstd decoder");
			return -1;
		}
		st->zret = 1; /* no frame read yet */
		return 0;
#else
		snprintf(err, errlen, "zstd-compressed input, but this mpana was built without libzstd (libzstd-dev)");
		return -1;
#endif
	default:
		return 0;
	}
}

/* Starts the decoder thread with every signal blocked in it, so that
 * SIGINT, SIGTERM and SIGPIPE keep going to the caller. */
static void thread_start(struct mp_stream *st)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	st->thread_on = true; /* read_in() looks at it from the thread */
	if (pthread_create(&st->th, NULL, producer_main, st) != 0)
		st->thread_on = false;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

struct mp_stream *mp_stream_open(int fd, bool own_fd, volatile int *stop,
				 char *err, size_t errlen)
{
	struct mp_stream *st = calloc(1, sizeof *st);
	struct stat sb;

	if (!st) {
		snprintf(err, errlen, "out of memory");
		if (own_fd)
			close(fd);
		return NULL;
	}
	st->fd = fd;
	st->own_fd = own_fd;
	st->stop = stop;
	st->cur = -1;
	st->ev_data = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	st->ev_space = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	st->in = malloc(INBUF);
	if (st->ev_data < 0 || st->ev_space < 0 || !st->in) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < NSLOT; i++) {
		st->slots[i].mem = malloc((size_t)HEAD + CHUNK);
		if (!st->slots[i].mem) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	st->pipe = fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode);
	/* the magic: up to 4 bytes (fewer only at the end of the input) */
	while (st->in_len < 4) {
		ssize_t r = read_in(st, st->in + st->in_len, 4 - st->in_len);
		if (r == 0 || r == -2)
			break;
		if (r < 0) {
			snprintf(err, errlen, "%s", st->perr);
			goto fail;
		}
		st->in_len += (size_t)r;
	}
	if (st->in_len >= 2 && st->in[0] == 0x1f && st->in[1] == 0x8b)
		st->codec = C_GZIP;
	else if (st->in_len == 4 && !memcmp(st->in, "\x28\xb5\x2f\xfd", 4))
		st->codec = C_ZSTD;
	else
		st->codec = C_RAW;
	if (decoder_init(st, err, errlen) != 0)
		goto fail;
	st->src.more = st_more;
	thread_start(st);
	return st;

fail:
	mp_stream_close(st);
	return NULL;
}

struct mp_bsrc *mp_stream_src(struct mp_stream *st)
{
	return &st->src;
}

const char *mp_stream_codec(const struct mp_stream *st)
{
	return st->codec == C_GZIP ? "gzip" : st->codec == C_ZSTD ? "zstd" : NULL;
}

uint64_t mp_stream_in_pos(const struct mp_stream *st)
{
	return atomic_load_explicit(&st->in_total, memory_order_relaxed);
}

static ssize_t cookie_read(void *c, char *buf, size_t size)
{
	struct mp_bsrc *b = mp_stream_src(c);
	size_t have = (size_t)(b->end - b->p);

	if (have == 0)
		have = b->more(b, 1);
	if (have == 0) {
		if (b->err) {
			errno = EIO;
			return -1;
		}
		return 0;
	}
	if (have > size)
		have = size;
	memcpy(buf, b->p, have);
	b->p += have;
	return (ssize_t)have;
}

static int cookie_close(void *c)
{
	(void)c; /* the stream stays the caller's */
	return 0;
}

FILE *mp_stream_fopen(struct mp_stream *st)
{
	cookie_io_functions_t io = { .read = cookie_read, .close = cookie_close };

	return fopencookie(st, "r", io);
}

void mp_stream_close(struct mp_stream *st)
{
	if (!st)
		return;
	if (st->thread_on) {
		atomic_store(&st->quit, true);
		ev_post(st->ev_space);
		pthread_join(st->th, NULL);
	}
#ifdef MPANA_HAVE_ZLIB
	if (st->z_on)
		inflateEnd(&st->z);
#endif
#ifdef MPANA_HAVE_ZSTD
	ZSTD_freeDStream(st->zs);
#endif
	for (unsigned i = 0; i < NSLOT; i++)
		free(st->slots[i].mem);
	free(st->big);
	free(st->in);
	if (st->ev_data >= 0)
		close(st->ev_data);
	if (st->ev_space >= 0)
		close(st->ev_space);
	if (st->own_fd && st->fd >= 0)
		close(st->fd);
	free(st);
}
