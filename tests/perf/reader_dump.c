/* SPDX-License-Identifier: BSD-2-Clause */
/* reader_dump.c - prints what mpana's capture-file reader (reader.h) hands
 * out, one line per record, for tests/perf/pcapng_test.py to compare with
 * tshark and with what its generator wrote.
 *
 *     reader_dump [--stream] FILE|-
 *
 * Lines: "rec TS_NS CAPLEN LEN DLT IFACE FNV1A64 COMMENT" (COMMENT in hex,
 * "-" when none), "shb SECTION COMMENT" whenever a pcapng section's
 * comment is first seen, then "end RC MESSAGE" (RC 0 end of data, -1
 * error). --stream reads a regular file as a stream (stream.h). Exit 0
 * when the reader took the input, 2 when it left it to libpcap or failed
 * to open it. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mpana/reader.h"

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3u;
	return h;
}

static void hex(const uint8_t *p, size_t n)
{
	if (!p) {
		fputs("-", stdout);
		return;
	}
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	if (!n)
		fputs("\"\"", stdout);
}

int main(int argc, char **argv)
{
	static struct mp_reader rd;
	struct mp_pcaprec r;
	unsigned flags = 0;
	uint32_t shown = 0;
	int rc;

	if (argc == 3 && !strcmp(argv[1], "--stream"))
		flags = MP_READER_NO_MAP;
	else if (argc != 2) {
		fprintf(stderr, "usage: reader_dump [--stream] FILE|-\n");
		return 2;
	}
	rc = mp_reader_open(&rd, argv[argc - 1], flags, NULL);
	if (rc != 1) {
		fprintf(stderr, "reader_dump: %s\n", rc < 0 ? rd.err : "left to libpcap");
		mp_reader_close(&rd);
		return 2;
	}
	for (;;) {
		rc = mp_reader_next(&rd, &r);
		/* a new section's comment, before its first record */
		if (rd.fmt == MP_RD_PCAPNG && rd.ng.sections != shown) {
			shown = rd.ng.sections;
			printf("shb %" PRIu32 " ", shown);
			hex((const uint8_t *)rd.ng.shb_comment,
			    rd.ng.shb_comment ? strlen(rd.ng.shb_comment) : 0);
			putchar('\n');
		}
		if (rc != 1)
			break;
		printf("rec %" PRIu64 " %" PRIu32 " %" PRIu32 " %d %" PRIu32 " %016" PRIx64 " ",
		       r.ts_ns, r.caplen, r.len, r.dlt, r.iface,
		       fnv1a(r.data, r.caplen));
		hex(r.comment, r.comment_len);
		putchar('\n');
	}
	printf("end %d %s\n", rc, rc < 0 ? mp_reader_error(&rd) : "");
	mp_reader_close(&rd);
	return 0;
}
