/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_pcap.c - libFuzzer target: the capture-file reader (libpcap's pcap
 * and pcapng parsers as mpana calls them) and the per-packet pipeline behind
 * it, into the text or JSON writer on /dev/null (STYLE R21).
 *
 * Input: a whole capture file, read through fmemopen() +
 * pcap_fopen_offline_with_tstamp_precision() (no temporary file), then
 * mp_capture_run_pcap() and mp_analyzer_finish() as `mpana -r` runs them
 * (decoder, connection engine, writers). The input's last byte picks
 * the output format (bit 0: JSON) and, when bits 1-3 are all set,
 * application classification (nDPI). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "mpana/analyzer.h"
#include "mpana/capture.h"
#include "mpana/log.h"
#include "mpana/out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mp_out out;
	static struct mp_analyzer an;
	static int devnull = -2;
	char errbuf[PCAP_ERRBUF_SIZE];
	struct mp_sink sink;
	pcap_t *p;
	FILE *f;

	if (size < 1)
		return 0;
	if (devnull == -2) {
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		mp_log_level = MP_LOG_ERR - 1; /* no read-error messages */
	}
	if (devnull < 0)
		return 0;
	/* fmemopen wants a writable buffer in some libcs: "r" never writes */
	f = fmemopen((void *)(uintptr_t)data, size, "r");
	if (!f)
		return 0;
	p = pcap_fopen_offline_with_tstamp_precision(
		f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p) {
		fclose(f);
		return 0;
	}
	mp_out_init(&out, devnull, false);
	if (data[size - 1] & 1)
		mp_sink_json_init(&sink, &out, false);
	else
		mp_sink_text_init(&sink, &out, false);
	mp_analyzer_init(&an, 0, &sink);
	/* nDPI's module set-up costs ~20 ms: classify 1 input in 8 */
	an.no_appid = (data[size - 1] & 0x0e) != 0x0e;
	(void)mp_capture_run_pcap(p, "fuzz", 0, &an);
	mp_analyzer_finish(&an);
	sink.ops->summary(&sink, &an.st);
	mp_out_flush(&out);
	pcap_close(p); /* closes f too */
	return 0;
}
