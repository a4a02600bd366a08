/* SPDX-License-Identifier: BSD-2-Clause */
/* hostile_engine.c - runs a capture file through the packet decoder and the
 * connection engine (src/engine/engine.c) with given caps, and prints what bounded
 * resources look like afterwards, for tests/hostile/run_hostile.py.
 *
 * usage: hostile_engine PCAP MAX_CONNS IDLE_S
 *   MAX_CONNS 0 = engine default; IDLE_S 0 = engine default (600 s).
 * Prints one JSON object on stdout: packets, tcp, the engine counters
 * (conns, subflows, evicted, expired, unattributed, oom), the highest
 * conns_live / subflows_live seen after any packet, the count of each event
 * type by name, and the peak RSS in KiB (VmHWM: getrusage's ru_maxrss would
 * include the parent's peak folded in at exec). Exit 0, or 1 when the
 * file cannot be opened. The engine's finalize callbacks only count. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <pcap/pcap.h>

#include "mpana/event.h"
#include "mpana/flow.h"
#include "mpana/pkt.h"

struct counts {
	uint64_t ev[MP_EV__COUNT]; /* events per type */
	uint64_t conns_done;       /* connections finalized */
	uint64_t loose_done;       /* loose subflows finalized */
};

static void on_event(void *user, const struct mp_event *ev)
{
	struct counts *c = user;

	if (ev->type < MP_EV__COUNT)
		c->ev[ev->type]++;
}

static void on_conn(void *user, const struct mp_conn *conn)
{
	(void)conn;
	((struct counts *)user)->conns_done++;
}

static void on_subflow(void *user, const struct mp_subflow *sf)
{
	(void)sf;
	((struct counts *)user)->loose_done++;
}

/* VmHWM of this process image in KiB, -1 when unknown. */
static long peak_rss_kib(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmHWM: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	static struct counts cnt;
	static struct mp_pkt pkt;
	struct mp_engine_cfg cfg = { 0 };
	struct pcap_pkthdr *h;
	const u_char *bytes;
	uint64_t packets = 0, tcp = 0, max_conns_live = 0, max_sf_live = 0;
	struct mp_engine *e;
	pcap_t *p;
	int dlt, rc;

	if (argc != 4) {
		fprintf(stderr, "usage: %s PCAP MAX_CONNS IDLE_S\n", argv[0]);
		return 2;
	}
	cfg.max_conns = (uint32_t)strtoul(argv[2], NULL, 10);
	cfg.idle_ns = strtoull(argv[3], NULL, 10) * 1000000000ull;
	cfg.no_appid = true;
	cfg.on_event = on_event;
	cfg.on_conn = on_conn;
	cfg.on_subflow = on_subflow;
	cfg.user = &cnt;
	p = pcap_open_offline_with_tstamp_precision(argv[1],
						    PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p) {
		fprintf(stderr, "%s\n", errbuf);
		return 1;
	}
	dlt = pcap_datalink(p);
	e = mp_engine_new(&cfg);
	if (!e) {
		pcap_close(p);
		return 1;
	}
	while ((rc = pcap_next_ex(p, &h, &bytes)) == 1) {
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
		const struct mp_engine_stats *st;

		packets++;
		if (mp_pkt_decode(dlt, bytes, h->caplen, &pkt) != MP_PKT_TCP)
			continue;
		tcp++;
		mp_engine_packet(e, packets, ts, &pkt, NULL);
		st = mp_engine_stats(e);
		if (st->conns_live > max_conns_live)
			max_conns_live = st->conns_live;
		if (st->subflows_live > max_sf_live)
			max_sf_live = st->subflows_live;
	}
	if (rc == PCAP_ERROR)
		fprintf(stderr, "%s: %s\n", argv[1], pcap_geterr(p));
	pcap_close(p);

	const struct mp_engine_stats *st = mp_engine_stats(e);
	printf("{\"packets\":%llu,\"tcp\":%llu,\"conns\":%llu,\"subflows\":%llu,"
	       "\"evicted\":%llu,\"expired\":%llu,\"unattributed\":%llu,"
	       "\"oom\":%llu,\"max_conns_live\":%llu,\"max_subflows_live\":%llu,"
	       "\"conns_live_end\":%llu,",
	       (unsigned long long)packets, (unsigned long long)tcp,
	       (unsigned long long)st->conns, (unsigned long long)st->subflows,
	       (unsigned long long)st->evicted, (unsigned long long)st->expired,
	       (unsigned long long)st->unattributed, (unsigned long long)st->oom,
	       (unsigned long long)max_conns_live,
	       (unsigned long long)max_sf_live,
	       (unsigned long long)st->conns_live);
	mp_engine_free(e);
	printf("\"conns_finalized\":%llu,\"loose_finalized\":%llu,\"events\":{",
	       (unsigned long long)cnt.conns_done, (unsigned long long)cnt.loose_done);
	for (unsigned i = 1; i < MP_EV__COUNT; i++)
		printf("%s\"%s\":%llu", i > 1 ? "," : "", mp_ev_name(i),
		       (unsigned long long)cnt.ev[i]);
	printf("},\"peak_rss_kib\":%ld}\n", peak_rss_kib());
	return 0;
}
