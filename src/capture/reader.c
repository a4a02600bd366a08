/* SPDX-License-Identifier: BSD-2-Clause */
/* reader.c - choosing the reader for a capture input (see reader.h).
 *
 * Magic numbers: classic pcap a1b2c3d4 / a1b23c4d in either byte order
 * (pcap-savefile(5)), pcapng 0a0d0d0a (draft-ietf-opsawg-pcapng §4.1),
 * gzip 1f 8b (RFC 1952 §2.3.1), zstd 28 b5 2f fd (RFC 8878 §3.1.1). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpana/reader.h"
#include "mpana/stream.h"

enum kind { K_OTHER, K_PCAP, K_PCAPNG, K_COMPRESSED };

static enum kind kind_of(const uint8_t *m, size_t n)
{
	uint32_t v;

	if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
		return K_COMPRESSED;
	if (n < 4)
		return K_OTHER;
	if (!memcmp(m, "\x28\xb5\x2f\xfd", 4))
		return K_COMPRESSED;
	memcpy(&v, m, 4);
	if (v == 0x0a0d0d0a)
		return K_PCAPNG;
	if (v == 0xa1b2c3d4 || v == 0xa1b23c4d || v == 0xd4c3b2a1 ||
	    v == 0x4d3cb2a1)
		return K_PCAP;
	return K_OTHER;
}

/* Opens the format found at `src`'s cursor. 1 ours, 0 libpcap's (nothing
 * consumed), -1 out of memory. */
static int open_format(struct mp_reader *r, struct mp_bsrc *src)
{
	size_t n = mp_bsrc_need(src, 4);
	int rc;

	switch (kind_of(src->p, n)) {
	case K_PCAP:
		if (mp_pcapfile_open_src(&r->pcap, src) != 1)
			return 0;
		r->fmt = MP_RD_PCAP;
		return 1;
	case K_PCAPNG:
		rc = mp_pcapng_open_src(&r->ng, src);
		if (rc == 1)
			r->fmt = MP_RD_PCAPNG;
		else if (rc < 0)
			snprintf(r->err, sizeof r->err, "out of memory");
		return rc;
	default:
		return 0;
	}
}

/* A stream over `fd` (taken). 1, 0 or -1 as mp_reader_open(). */
static int open_stream(struct mp_reader *r, int fd, bool own, unsigned flags,
		       volatile int *stop)
{
	r->stream = mp_stream_open(fd, own, stop, r->err, sizeof r->err);
	if (!r->stream)
		return -1;
	r->codec = mp_stream_codec(r->stream);
	if (flags & MP_READER_ALL_LIBPCAP)
		return 0;
	return open_format(r, mp_stream_src(r->stream));
}

int mp_reader_open(struct mp_reader *r, const char *path, unsigned flags,
		   volatile int *stop)
{
	uint8_t magic[4];
	struct stat st;
	ssize_t n;
	int fd, rc;

	memset(r, 0, sizeof *r);
	if (!strcmp(path, "-"))
		return open_stream(r, STDIN_FILENO, false, flags, stop);
	/* what libpcap cannot open it reports itself, in its words */
	if (stat(path, &st) != 0)
		return 0;
	if (!S_ISREG(st.st_mode) || (flags & MP_READER_NO_MAP)) {
		/* a FIFO, a device: blocks like fopen */
		if (S_ISDIR(st.st_mode))
			return 0;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 0;
		return open_stream(r, fd, true, flags, stop);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	r->size = (uint64_t)st.st_size;
	n = pread(fd, magic, sizeof magic, 0);
	switch (kind_of(magic, n > 0 ? (size_t)n : 0)) {
	case K_COMPRESSED:
		return open_stream(r, fd, true, flags, stop);
	case K_PCAP:
	case K_PCAPNG:
		if (flags & MP_READER_ALL_LIBPCAP)
			break;
		if (kind_of(magic, 4) == K_PCAP) {
			if (mp_pcapfile_open_fd(&r->pcap, fd) == 1) {
				r->fmt = MP_RD_PCAP;
				r->map = &r->pcap.map;
			}
		} else {
			rc = mp_pcapng_open_fd(&r->ng, fd);
			if (rc == 1) {
				r->fmt = MP_RD_PCAPNG;
				r->map = &r->ng.map;
			} else if (rc < 0) {
				snprintf(r->err, sizeof r->err, "out of memory");
				close(fd);
				return -1;
			}
		}
		close(fd);
		return r->fmt != MP_RD_LIBPCAP;
		break;
	default:
		break;
	}
	close(fd);
	return 0;
}

const char *mp_reader_error(const struct mp_reader *r)
{
	return r->fmt == MP_RD_PCAP ? r->pcap.err : r->ng.err;
}

FILE *mp_reader_libpcap_file(struct mp_reader *r)
{
	return r->stream ? mp_stream_fopen(r->stream) : NULL;
}

const char *mp_reader_stream_error(const struct mp_reader *r)
{
	return r->stream ? mp_stream_src(r->stream)->err : NULL;
}

uint64_t mp_reader_pos(const struct mp_reader *r)
{
	if (r->stream)
		return mp_stream_in_pos(r->stream);
	if (r->fmt == MP_RD_PCAP)
		return mp_bsrc_pos(r->pcap.src);
	if (r->fmt == MP_RD_PCAPNG)
		return mp_bsrc_pos(r->ng.src);
	return 0;
}

void mp_reader_close(struct mp_reader *r)
{
	if (r->fmt == MP_RD_PCAP)
		mp_pcapfile_close(&r->pcap);
	else if (r->fmt == MP_RD_PCAPNG)
		mp_pcapng_close(&r->ng);
	r->fmt = MP_RD_LIBPCAP;
	mp_stream_close(r->stream);
	r->stream = NULL;
}
