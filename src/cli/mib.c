/* SPDX-License-Identifier: BSD-2-Clause */
/* mib.c - `mpana mib TRACE [--side client|server|ADDR] [--json] [--nstat FILE]`:
 * the kernel's MPTcpExt* counters of the endpoint that took the capture,
 * derived from its packets (src/analysis/mib.c, docs/mpana.1 MIB COUNTERS),
 * and, with --nstat, compared with what that kernel counted.
 *
 * A run of its own over the capture: decode → connection engine → counters,
 * without the default pipeline's sinks, store or failover stage. Exit
 * status: 0 (with --nstat: every derived counter equals the kernel's), 1 a
 * counter differs, 2 usage error, unreadable trace or nstat file. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "mpana/cli.h"
#include "mpana/flow.h"
#include "mpana/log.h"
#include "mpana/merge.h"
#include "mpana/mib.h"
#include "mpana/pkt.h"

#define NSTAT_MAX_BYTES (16u << 20) /* an nstat file is a few KiB */

static void usage(FILE *f)
{
	fputs("Usage: mpana mib TRACE... [--side client|server|ADDR] [--json] [--nstat FILE]\n"
	      "The kernel's MPTcpExt* counters that a capture taken at one endpoint shows,\n"
	      "counted from its packets with the kernel's rules (see mpana(1), MIB COUNTERS).\n"
	      "  --side SIDE   whose counters: client (the MP_CAPABLE SYN sender, default),\n"
	      "                server, or an IPv4/IPv6 address of that endpoint\n"
	      "  --json        one JSON object keyed by the nstat names\n"
	      "  --nstat FILE  compare with `nstat -a --json` (or its text form) taken on\n"
	      "                that endpoint: both columns and the differences\n"
	      "Exit status: 0 success (with --nstat: all equal), 1 a derived counter\n"
	      "differs from the kernel's, 2 usage error, unreadable trace or nstat file.\n", f);
}

/* One pass over the capture (several files: merged, merge.h): learn (ADDR
 * side, first pass) or count. */
static int run_pass(const char *const *traces, unsigned ntraces, struct mp_mib *m,
		    bool learn)
{
	static struct mp_pkt pkt; /* static: large, one pass at a time */
	static struct mp_merge_stats ms;
	struct mp_pkt_ann ann;
	struct mp_engine_cfg ecfg;
	struct mp_engine *eng;
	struct mp_trace *t;
	struct mp_trace_rec r;
	int got, rc = MP_EXIT_OK;

	if (mp_trace_open(&t, traces, ntraces, NULL, &ms) != MP_EXIT_OK)
		return MP_EXIT_MIB_ERROR; /* reported, naming the file */
	memset(&ecfg, 0, sizeof ecfg);
	ecfg.no_appid = true;
	eng = mp_engine_new(&ecfg);
	if (!eng) {
		MP_LOG(MP_LOG_ERR, "mib: out of memory");
		mp_trace_close(t);
		return MP_EXIT_MIB_ERROR;
	}
	while ((got = mp_trace_next(t, &r, &pkt)) == 1) {
		if ((r.status >= 0 ? (enum mp_pkt_status)r.status
				   : mp_pkt_decode(r.dlt, r.data, r.caplen, &pkt)) != MP_PKT_TCP)
			continue;
		mp_engine_packet(eng, r.frame, r.ts_ns, &pkt, &ann);
		if (learn) {
			mp_mib_learn(m, &pkt, &ann);
		} else if (!mp_mib_packet(m, &pkt, &ann, mp_engine_current(eng))) {
			MP_LOG(MP_LOG_ERR, "mib: out of memory");
			rc = MP_EXIT_MIB_ERROR;
			break;
		}
	}
	if (got < 0)
		rc = MP_EXIT_MIB_ERROR; /* reported */
	mp_engine_free(eng);
	mp_trace_close(t);
	return rc;
}

/* One counter read from an nstat file. */
struct nstat_ent {
	char name[64];  /* full nstat name */
	uint64_t value; /* its value */
};

#define NSTAT_MAX 512

static void nstat_add(struct nstat_ent *e, int *n, int *all, const char *name,
		      size_t len, uint64_t value)
{
	(*all)++;
	if (*n >= NSTAT_MAX || len >= sizeof e->name ||
	    strncmp(name, MP_MIB_NSTAT_PREFIX, strlen(MP_MIB_NSTAT_PREFIX)))
		return;
	memcpy(e[*n].name, name, len);
	e[*n].name[len] = '\0';
	e[*n].value = value;
	(*n)++;
}

/* Reads `nstat -a --json` ({"kernel": {...}} or a flat object) or nstat's
 * text form ("NAME VALUE RATE" lines, '#' headers) from `path`. Keeps the
 * MPTcpExt* counters. Returns their count (0 when the file lists other
 * counters only: nstat leaves zeros out, and a namespace where MPTCP did
 * nothing has no MPTcpExt line), or -1 after a message (no counter at
 * all: not nstat's output). */
static int nstat_read(const char *path, struct nstat_ent *e)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL, *s;
	size_t len = 0, cap = 0;
	int n = 0, all = 0;

	if (!f) {
		MP_LOG(MP_LOG_ERR, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len + 4097 > cap) {
			char *nb;
			cap = cap ? cap * 2 : 65536;
			if (cap > NSTAT_MAX_BYTES || !(nb = realloc(buf, cap))) {
				MP_LOG(MP_LOG_ERR, "%s: too large", path);
				goto fail;
			}
			buf = nb;
		}
		size_t got = fread(buf + len, 1, 4096, f);
		len += got;
		if (got < 4096)
			break;
	}
	if (ferror(f)) {
		MP_LOG(MP_LOG_ERR, "%s: %s", path, strerror(errno));
		goto fail;
	}
	buf[len] = '\0';
	s = buf + strspn(buf, " \t\r\n");
	if (*s == '{') {
		if (strstr(s, "\"kernel\""))
			all++; /* nstat's own form, if with no counter at all */
		/* every "NAME": INTEGER pair, at any depth */
		while ((s = strchr(s, '"')) != NULL) {
			char *name = s + 1, *end = strchr(name, '"'), *q, *num_end;
			if (!end)
				break;
			q = end + 1 + strspn(end + 1, " \t\r\n");
			s = end + 1;
			if (*q != ':')
				continue;
			q++;
			q += strspn(q, " \t\r\n");
			if (*q < '0' || *q > '9')
				continue;
			errno = 0;
			uint64_t v = strtoull(q, &num_end, 10);
			if (errno)
				continue;
			nstat_add(e, &n, &all, name, (size_t)(end - name), v);
			s = num_end;
		}
	} else {
		for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
			char name[64];
			unsigned long long v;
			if (line[0] == '#')
				continue;
			if (sscanf(line, "%63s %llu", name, &v) == 2)
				nstat_add(e, &n, &all, name, strlen(name), v);
		}
	}
	if (all == 0) {
		MP_LOG(MP_LOG_ERR, "%s: no counter (nstat -a --json output expected)", path);
		goto fail;
	}
	free(buf);
	fclose(f);
	return n;
fail:
	free(buf);
	fclose(f);
	return -1;
}

static void print_text(const uint64_t *v)
{
	for (unsigned i = 0; i < MP_MIB__COUNT; i++) {
		char name[64];
		snprintf(name, sizeof name, MP_MIB_NSTAT_PREFIX "%s", mp_mib_name(i));
		printf("%-40s %" PRIu64 "\n", name, v[i]);
	}
}

static void print_json(const uint64_t *v)
{
	fputs("{", stdout);
	for (unsigned i = 0; i < MP_MIB__COUNT; i++)
		printf("%s\n  \"" MP_MIB_NSTAT_PREFIX "%s\": %" PRIu64, i ? "," : "",
		       mp_mib_name(i), v[i]);
	fputs("\n}\n", stdout);
}

/* Prints both columns; returns the number of counters that differ. A
 * counter nstat does not list is 0 (nstat leaves zeros out without -z). */
static int print_compare(const uint64_t *v, const struct nstat_ent *e, int ne, bool json)
{
	int differ = 0;

	if (json)
		fputs("{", stdout);
	else
		printf("%-40s %10s %10s  %s\n", "counter", "mib", "nstat", "diff");
	for (unsigned i = 0; i < MP_MIB__COUNT; i++) {
		char name[64];
		uint64_t k = 0;
		bool listed = false;

		snprintf(name, sizeof name, MP_MIB_NSTAT_PREFIX "%s", mp_mib_name(i));
		for (int j = 0; j < ne; j++) {
			if (!strcmp(e[j].name, name)) {
				k = e[j].value;
				listed = true;
				break;
			}
		}
		differ += v[i] != k;
		if (json) {
			printf("%s\n  \"%s\": {\"mib\": %" PRIu64 ", \"nstat\": %" PRIu64
			       ", \"listed\": %s}", i ? "," : "", name, v[i], k,
			       listed ? "true" : "false");
		} else if (v[i] == k) {
			printf("%-40s %10" PRIu64 " %10" PRIu64 "  ok\n", name, v[i], k);
		} else {
			printf("%-40s %10" PRIu64 " %10" PRIu64 "  %+" PRId64 "\n", name, v[i], k,
			       (int64_t)(v[i] - k));
		}
	}
	if (json)
		fputs("\n}\n", stdout);
	else
		printf("mib: %d counters compared, %d differ\n", MP_MIB__COUNT, differ);
	return differ;
}

int mp_cmd_mib(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "side", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "nstat", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct nstat_ent nst[NSTAT_MAX];
	struct mp_mib_cfg cfg = { .side = MP_MIB_SIDE_CLIENT };
	const char *side = "client", *nstat_path = NULL;
	const char *const *traces;
	unsigned ntraces;
	struct mp_mib *m = NULL;
	bool json = false;
	int c, ne = 0, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': side = optarg; break;
		case 'j': json = true; break;
		case 'n': nstat_path = optarg; break;
		case 'h': usage(stdout); return MP_EXIT_OK;
		default: usage(stderr); return MP_EXIT_MIB_ERROR;
		}
	}
	if (argc - optind < 1 || argc - optind > MP_MERGE_MAX_INPUTS) {
		MP_LOG(MP_LOG_ERR, "mib: give one trace (or up to %d, merged)",
		       MP_MERGE_MAX_INPUTS);
		usage(stderr);
		return MP_EXIT_MIB_ERROR;
	}
	traces = (const char *const *)argv + optind;
	ntraces = (unsigned)(argc - optind);
	if (!strcmp(side, "client")) {
		cfg.side = MP_MIB_SIDE_CLIENT;
	} else if (!strcmp(side, "server")) {
		cfg.side = MP_MIB_SIDE_SERVER;
	} else if (inet_pton(AF_INET, side, cfg.addr) == 1) {
		cfg.side = MP_MIB_SIDE_ADDR;
		cfg.family = 4;
	} else if (inet_pton(AF_INET6, side, cfg.addr) == 1) {
		cfg.side = MP_MIB_SIDE_ADDR;
		cfg.family = 6;
	} else {
		MP_LOG(MP_LOG_ERR, "mib: --side \"%s\": client, server or an IP address", side);
		return MP_EXIT_MIB_ERROR;
	}
	for (unsigned i = 0; i < ntraces; i++)
		if (cfg.side == MP_MIB_SIDE_ADDR && !strcmp(traces[i], "-")) {
			MP_LOG(MP_LOG_ERR, "mib: --side ADDR reads the trace twice: give a file, not -");
			return MP_EXIT_MIB_ERROR;
		}
	if (nstat_path && (ne = nstat_read(nstat_path, nst)) < 0)
		return MP_EXIT_MIB_ERROR;

	m = mp_mib_new(&cfg);
	if (!m) {
		MP_LOG(MP_LOG_ERR, "mib: out of memory");
		return MP_EXIT_MIB_ERROR;
	}
	rc = MP_EXIT_OK;
	if (cfg.side == MP_MIB_SIDE_ADDR)
		rc = run_pass(traces, ntraces, m, true);
	if (rc == MP_EXIT_OK)
		rc = run_pass(traces, ntraces, m, false);
	if (rc == MP_EXIT_OK) {
		mp_mib_finish(m);
		if (nstat_path) {
			if (print_compare(mp_mib_values(m), nst, ne, json))
				rc = MP_EXIT_MIB_DIFF;
		} else if (json) {
			print_json(mp_mib_values(m));
		} else {
			print_text(mp_mib_values(m));
		}
	}
	mp_mib_free(m);
	if (fflush(stdout) != 0) {
		MP_LOG(MP_LOG_ERR, "mib: writing output: %s", strerror(errno));
		rc = MP_EXIT_MIB_ERROR;
	}
	return rc;
}
