/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_packet.c - libFuzzer target: the whole packet path, link → IP → TCP
 * → MPTCP options → connection engine (src/engine/engine.c, driven by the
 * analyzer) → the text or JSON writers (packets, events, connection and
 * subflow records, summary), into /dev/null (STYLE R21).
 *
 * Input: a selector byte, then packets framed as
 *     len_hi len_lo dt  bytes[len]
 * where dt is the capture-time step in seconds (0-255) before that packet;
 * a frame that claims more bytes than remain takes the rest. Several packets
 * per input let the engine build and tear down connection state. Selector:
 * bits 0-2 pick the link type (dlt_table), bit 3 JSON instead of text
 * output, bit 4 quiet, bits 5-7 all set: application classification
 * (nDPI) on. The engine runs with small caps (4 connections,
 * hence 8 subflows, 60 s idle) so that eviction and expiry are reached
 * quickly. Each packet is copied into an exact-size heap buffer (ASan sees
 * a read one byte past it). All state is per input. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/dlt.h>

#include "mpana/analyzer.h"
#include "mpana/out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int dlt_table[8] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
	DLT_IPV4,   DLT_IPV6,      DLT_NULL,       DLT_LOOP,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mp_out out;
	static struct mp_analyzer an;
	static int devnull = -2;
	struct mp_sink sink;
	uint64_t ts = 1000000000ull * 1600000000ull, frame = 0;
	size_t pos = 1;

	if (size < 1)
		return 0;
	if (devnull == -2)
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0)
		return 0;
	mp_out_init(&out, devnull, false);
	if (data[0] & 0x08)
		mp_sink_json_init(&sink, &out, data[0] & 0x10);
	else
		mp_sink_text_init(&sink, &out, data[0] & 0x10);
	mp_analyzer_init(&an, dlt_table[data[0] & 7], &sink);
	an.max_conns = 4;
	an.idle_ns = 60ull * 1000000000ull;
	/* nDPI's module set-up costs ~20 ms: classify 1 input in 8 */
	an.no_appid = (data[0] & 0xe0) != 0xe0;

	while (pos + 3 <= size) {
		size_t len = (size_t)data[pos] << 8 | data[pos + 1];
		struct mp_frame f = { 0 };
		uint8_t *pkt;

		ts += (uint64_t)data[pos + 2] * 1000000000ull;
		pos += 3;
		if (len > size - pos)
			len = size - pos;
		pkt = malloc(len ? len : 1);
		if (!pkt)
			break;
		memcpy(pkt, data + pos, len);
		pos += len;

		f.num = ++frame;
		f.ts_ns = ts;
		f.caplen = (uint32_t)len;
		f.wirelen = (uint32_t)len;
		mp_analyzer_packet(&an, &f, pkt);
		free(pkt);
	}
	mp_analyzer_finish(&an);
	sink.ops->summary(&sink, &an.st);
	mp_out_flush(&out);
	return 0;
}
