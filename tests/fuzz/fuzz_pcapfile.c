/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_pcapfile.c - libFuzzer target: mpana's own capture-file readers
 * (src/capture/reader.c: the zero-copy classic pcap and pcapng readers,
 * what `mpana -r FILE` uses), differentially against libpcap, and the
 * mapped reader against the streamed one (STYLE R21).
 *
 * Input: a whole capture file. It is written to an unlinked temporary file
 * (the reader maps a path) and read three times: mapped by mp_reader_open,
 * streamed by mp_reader_open(MP_READER_NO_MAP) (src/capture/stream.c),
 * and by libpcap (fmemopen + pcap_fopen_offline_with_tstamp_precision(NANO)).
 *
 * When the mapped reader accepts the file, it promises libpcap's behaviour
 * (include/mpana/pcapfile.h, pcapng.h): every record must match libpcap's
 * (timestamp, caplen, length, link type, bytes) and both must end the same
 * way (end of file, or an error with the same message), else abort(). The
 * one exception is what the pcapng reader reads beyond libpcap (a section
 * in the other byte order, interfaces with different link types or
 * snaplens: mp_pcapng.beyond): libpcap stops there with an error, and the
 * comparison with it ends. The streamed reader must give exactly what the
 * mapped one gives, to the last message. gzip or zstd inputs are decoded
 * and read through (no libpcap reference). Every record is also decoded
 * with mp_pkt_decode, as mpana would. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "mpana/pkt.h"
#include "mpana/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int tmp_fd = -2;
static char tmp_path[64];

/* A private temporary file holding `data`; returns its /proc path or NULL. */
static const char *stage(const uint8_t *data, size_t size)
{
	if (tmp_fd == -2) {
		char name[] = "/tmp/mpana-fuzz-pcapfile.XXXXXX";
		tmp_fd = mkstemp(name);
		if (tmp_fd >= 0)
			unlink(name);
		snprintf(tmp_path, sizeof tmp_path, "/proc/self/fd/%d", tmp_fd);
	}
	if (tmp_fd < 0 || ftruncate(tmp_fd, 0) != 0)
		return NULL;
	for (size_t off = 0; off < size;) {
		ssize_t n = pwrite(tmp_fd, data + off, size - off, (off_t)off);
		if (n <= 0)
			return NULL;
		off += (size_t)n;
	}
	return tmp_path;
}

/* abort() (libFuzzer's finding) naming the broken promise's line */
#define check(cond) check_at((cond), __LINE__)
static void check_at(int cond, int line)
{
	if (!cond) {
		fprintf(stderr, "fuzz_pcapfile.c:%d: check failed\n", line);
		abort();
	}
}

static bool beyond(const struct mp_reader *r)
{
	return r->fmt == MP_RD_PCAPNG && r->ng.beyond;
}

/* The first link type the reader reports (before any record). */
static int first_dlt(const struct mp_reader *r)
{
	return r->fmt == MP_RD_PCAP ? r->pcap.dlt : r->ng.dlt;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mp_pkt pkt;
	static struct mp_reader mr, sr;
	char errbuf[PCAP_ERRBUF_SIZE];
	const char *path = stage(data, size);
	pcap_t *p = NULL;
	bool with_pcap;
	int rc, src;
	FILE *fp;

	if (!path)
		return 0;
	rc = mp_reader_open(&mr, path, 0, NULL);
	src = mp_reader_open(&sr, path, MP_READER_NO_MAP, NULL);
	/* the stream takes what the mapping takes */
	check(src == rc);
	if (rc != 1 || mr.codec) {
		/* not ours, or compressed (both streamed): read it through */
		struct mp_pcaprec r;
		while (rc == 1 && mp_reader_next(&mr, &r) == 1)
			(void)mp_pkt_decode(r.dlt, r.data, r.caplen, &pkt);
		mp_reader_close(&sr);
		mp_reader_close(&mr);
		return 0;
	}
	check(first_dlt(&sr) == first_dlt(&mr));
	fp = fmemopen((void *)(uintptr_t)data, size, "r");
	p = fp ? pcap_fopen_offline_with_tstamp_precision(
			 fp, PCAP_TSTAMP_PRECISION_NANO, errbuf)
	       : NULL;
	if (!p && fp)
		fclose(fp);
	/* the mapped reader accepts only what libpcap opens */
	check(p != NULL);
	check(pcap_datalink(p) == first_dlt(&mr));
	with_pcap = true;
	for (;;) {
		struct mp_pcaprec r, s;
		struct pcap_pkthdr *h;
		const u_char *bytes;
		int m = mp_reader_next(&mr, &r);
		int t = mp_reader_next(&sr, &s);
		int l = with_pcap ? pcap_next_ex(p, &h, &bytes) : 0;

		/* mapped and streamed: the same, always */
		check(m == t);
		if (m == 1) {
			check(r.ts_ns == s.ts_ns && r.caplen == s.caplen &&
			      r.len == s.len && r.dlt == s.dlt && r.iface == s.iface);
			check(memcmp(r.data, s.data, r.caplen) == 0);
			check(r.comment_len == s.comment_len &&
			      (!r.comment) == (!s.comment));
			check(!r.comment || !memcmp(r.comment, s.comment, r.comment_len));
		} else if (m < 0) {
			check(strcmp(mp_reader_error(&mr), mp_reader_error(&sr)) == 0);
		}
		if (with_pcap && l != 1 && beyond(&mr)) {
			/* libpcap stopped where the reader goes beyond it */
			check(l == PCAP_ERROR);
			with_pcap = false;
		}
		if (with_pcap) {
			if (m == 1) {
				uint64_t lts;

				check(l == 1);
				lts = (uint64_t)h->ts.tv_sec * 1000000000u +
				      (uint64_t)h->ts.tv_usec;
				check(r.ts_ns == lts);
				check(r.caplen == h->caplen && r.len == h->len);
				check(r.dlt == pcap_datalink(p));
				check(memcmp(r.data, bytes, r.caplen) == 0);
			} else if (m == 0) {
				check(l == PCAP_ERROR_BREAK); /* both at the end */
			} else {
				/* both fail, with the same words */
				check(l == PCAP_ERROR);
				check(strcmp(mp_reader_error(&mr), pcap_geterr(p)) == 0);
			}
		}
		if (m != 1)
			break;
		(void)mp_pkt_decode(r.dlt, r.data, r.caplen, &pkt);
	}
	pcap_close(p);
	mp_reader_close(&sr);
	mp_reader_close(&mr);
	return 0;
}
