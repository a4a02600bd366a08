/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_pcapfile.c - libFuzzer target: the zero-copy pcap reader
 * (src/capture/pcapfile.c, what `mpana -r FILE` uses for plain pcap files),
 * differentially against libpcap (STYLE R21).
 *
 * Input: a whole capture file. It is written to an unlinked temporary file
 * (the reader maps a path) and read twice: by mp_pcapfile_open/next and by
 * libpcap (fmemopen + pcap_fopen_offline_with_tstamp_precision(NANO)). When
 * the mapped reader accepts the file, it promises libpcap's behaviour
 * (include/mpana/pcapfile.h): every record must match libpcap's record
 * (timestamp, caplen, length, bytes) and both must end the same way (end of
 * file or an error), else abort(). Every record is also decoded with
 * mp_pkt_decode, as mpana would. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "mpana/pcapfile.h"
#include "mpana/pkt.h"

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

static void check(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mp_pkt pkt;
	static struct mp_pcapfile mf;
	char errbuf[PCAP_ERRBUF_SIZE];
	const char *path = stage(data, size);
	pcap_t *p;
	FILE *fp;

	if (!path || mp_pcapfile_open(&mf, path) != 1)
		return 0;
	fp = fmemopen((void *)(uintptr_t)data, size, "r");
	p = fp ? pcap_fopen_offline_with_tstamp_precision(
			 fp, PCAP_TSTAMP_PRECISION_NANO, errbuf)
	       : NULL;
	if (!p && fp)
		fclose(fp);
	/* the mapped reader accepts only what libpcap opens */
	check(p != NULL);
	check(pcap_datalink(p) == mf.dlt);
	for (;;) {
		struct mp_pcaprec r;
		struct pcap_pkthdr *h;
		const u_char *bytes;
		int mr = mp_pcapfile_next(&mf, &r);
		int lr = pcap_next_ex(p, &h, &bytes);

		if (mr == 1) {
			uint64_t lts;

			check(lr == 1);
			lts = (uint64_t)h->ts.tv_sec * 1000000000u +
			      (uint64_t)h->ts.tv_usec;
			check(r.ts_ns == lts);
			check(r.caplen == h->caplen && r.len == h->len);
			check(memcmp(r.data, bytes, r.caplen) == 0);
			(void)mp_pkt_decode(mf.dlt, r.data, r.caplen, &pkt);
			continue;
		}
		if (mr == 0)
			check(lr == PCAP_ERROR_BREAK); /* both at the end */
		else
			check(lr == PCAP_ERROR && mf.err[0]); /* both fail */
		break;
	}
	pcap_close(p);
	mp_pcapfile_close(&mf);
	return 0;
}
