/* SPDX-License-Identifier: BSD-2-Clause */
/* pcapfile.c - zero-copy classic pcap reader (see pcapfile.h).
 *
 * pcap-savefile(5); the per-record rules and messages follow libpcap 1.10
 * sf-pcap.c (pcap_check_header, pcap_next_packet), so that results and
 * errors are those of the libpcap path it replaces. */
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#include "mpana/pcapfile.h"

#define MAGIC_US 0xa1b2c3d4u
#define MAGIC_NS 0xa1b23c4du
#define FILE_HDR 24
#define REC_HDR 16
#define MAX_SNAPLEN 262144u /* libpcap's MAXIMUM_SNAPLEN for these types */
#define PREFETCH_AHEAD 2048 /* bytes; a prefetch never faults */

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

/* Checks the file header at the source's cursor. Returns 1 with the
 * header consumed and `f` set, 0 with nothing consumed. */
static int open_header(struct mp_pcapfile *f, struct mp_bsrc *src)
{
	const uint8_t *m;
	uint32_t magic, snaplen, lt;
	uint16_t vmaj, vmin;
	bool swap;
	int dlt;

	if (mp_bsrc_need(src, FILE_HDR) < FILE_HDR)
		return 0;
	m = src->p;
	memcpy(&magic, m, sizeof magic);
	if (magic == MAGIC_US || magic == MAGIC_NS)
		swap = false;
	else if (magic == __builtin_bswap32(MAGIC_US) ||
		 magic == __builtin_bswap32(MAGIC_NS))
		swap = true;
	else
		return 0;
	/* version 2.4 only; 2.3 and older have length quirks libpcap handles */
	memcpy(&vmaj, m + 4, 2);
	memcpy(&vmin, m + 6, 2);
	if (swap) {
		vmaj = __builtin_bswap16(vmaj);
		vmin = __builtin_bswap16(vmin);
	}
	if (vmaj != 2 || vmin != 4)
		return 0;
	snaplen = rd32(m + 16, swap);
	lt = rd32(m + 20, swap);
	dlt = linktype_dlt(lt); /* also rejects FCS and reserved upper bits */
	if (dlt < 0)
		return 0;

	f->src = src;
	f->swap = swap;
	f->nano = (swap ? __builtin_bswap32(magic) : magic) == MAGIC_NS;
	f->dlt = dlt;
	f->max_caplen = MAX_SNAPLEN;
	/* libpcap 1.10's pcap_adjust_snapshot(): a snaplen of 0 or above
	 * INT_MAX becomes the maximum; any other stays as it is (a caplen
	 * above the maximum is an error whose words depend on it) */
	f->snapshot = (int32_t)snaplen <= 0 ? MAX_SNAPLEN : snaplen;
	f->err[0] = 0;
	mp_bsrc_skip(src, FILE_HDR);
	return 1;
}

/* The mapping is set up in f->map (in place: its read-ahead thread holds
 * its address); reads the header from it. */
static int open_mapped(struct mp_pcapfile *f)
{
	if (open_header(f, &f->map.src) != 1) {
		mp_mapfile_close(&f->map);
		return 0;
	}
	return 1;
}

int mp_pcapfile_open(struct mp_pcapfile *f, const char *path)
{
	memset(f, 0, sizeof *f);
	if (mp_mapfile_open(&f->map, path, FILE_HDR) != 1)
		return 0;
	return open_mapped(f);
}

int mp_pcapfile_open_fd(struct mp_pcapfile *f, int fd)
{
	memset(f, 0, sizeof *f);
	if (mp_mapfile_open_fd(&f->map, fd, FILE_HDR) != 1)
		return 0;
	return open_mapped(f);
}

int mp_pcapfile_open_src(struct mp_pcapfile *f, struct mp_bsrc *src)
{
	memset(&f->map, 0, sizeof f->map);
	return open_header(f, src);
}

/* The data ended early because the source failed: its message (a decoder
 * or read error says more than "truncated"). */
static int src_failed(struct mp_pcapfile *f)
{
	snprintf(f->err, sizeof f->err, "%s", f->src->err);
	return -1;
}

int mp_pcapfile_next(struct mp_pcapfile *f, struct mp_pcaprec *r)
{
	struct mp_bsrc *s = f->src;
	size_t got = mp_bsrc_need(s, REC_HDR), avail, want;
	const uint8_t *h;
	uint32_t caplen;
	int64_t sec, frac;

	if (got < REC_HDR) {
		if (s->err)
			return src_failed(f);
		if (got == 0 || s->stopped)
			return 0; /* the end, or a stop on a pipe */
		snprintf(f->err, sizeof f->err,
			 "truncated dump file; tried to read %d header bytes, only got %zu",
			 REC_HDR, got);
		return -1;
	}
	h = s->p;
	/* the hardware prefetcher stops at page boundaries: ask ahead */
	__builtin_prefetch(h + PREFETCH_AHEAD);

	caplen = rd32(h + 8, f->swap);
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
	want = REC_HDR + (size_t)caplen;
	got = mp_bsrc_need(s, want);
	if (got < want) {
		if (s->err)
			return src_failed(f);
		if (s->stopped)
			return 0;
		avail = got - REC_HDR;
		/* above the snapshot libpcap reads the first snapshot bytes
		 * before it finds the file cut */
		snprintf(f->err, sizeof f->err,
			 "truncated dump file; tried to read %u captured bytes, only got %zu",
			 caplen > f->snapshot && avail < f->snapshot ? f->snapshot
								      : caplen,
			 avail);
		return -1;
	}
	h = s->p; /* a stream may have moved the bytes */
	/* struct pcap_timeval holds bpf_int32 fields: libpcap sign-extends */
	sec = (int32_t)rd32(h, f->swap);
	frac = (int32_t)rd32(h + 4, f->swap);
	r->len = rd32(h + 12, f->swap);
	if (!f->nano)
		frac *= 1000; /* libpcap's SCALE_UP */
	r->ts_ns = (uint64_t)sec * 1000000000u + (uint64_t)frac;
	r->data = h + REC_HDR;
	/* libpcap keeps the first snapshot bytes, skips the rest */
	r->caplen = caplen > f->snapshot ? f->snapshot : caplen;
	r->dlt = f->dlt;
	r->iface = 0;
	r->comment = NULL;
	r->comment_len = 0;
	mp_bsrc_skip(s, want);
	return 1;
}

void mp_pcapfile_close(struct mp_pcapfile *f)
{
	mp_mapfile_close(&f->map);
}
