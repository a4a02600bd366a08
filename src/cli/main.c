/* SPDX-License-Identifier: BSD-2-Clause */
/* main.c - the mpana command line: a subcommand (graph, query, check, report,
 * from the table subcmds), or tcpdump-style flags, then the BPF filter.
 * Exit codes: 0 success (also after SIGINT/SIGTERM), 1 capture or output
 * error, 2 usage error (docs/mpana.1, EXIT STATUS). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "mpana/analyzer.h"
#include "mpana/capture.h"
#include "mpana/cli.h"
#include "mpana/log.h"
#include "mpana/merge.h"
#include "mpana/out.h"
#include "mpana/pcap_out.h"
#include "mpana/pipeline.h"

/* The subcommands: `mpana NAME ARGS...` runs fn(argc - 1, argv + 1). */
static const struct subcmd {
	const char *name;                 /* first argument */
	int (*fn)(int argc, char **argv); /* entry point (cli.h) */
	const char *summary;              /* its arguments, for --help */
} subcmds[] = {
	{ "graph", mp_cmd_graph, "FILE [--conn ID] [--format dot|json]" },
	{ "query", mp_cmd_query, "[--table|--csv|--json] DB NAME|SQL" },
	{ "check", mp_cmd_check, "TRACE|DB... [--expect FILE] [--junit FILE] [--tap FILE] [--merge]" },
	{ "report", mp_cmd_report, "TRACE...|DB -o FILE [--conn ID]" },
	{ "mib", mp_cmd_mib, "TRACE... [--side client|server|ADDR] [--json] [--nstat FILE]" },
};

static const char usage_head[] =
"Usage: mpana [options] -r FILE [-r FILE...] [filter expression]\n"
"       mpana [options] -i IFACE [filter expression]\n"
"       mpana [options] -r FILE|-i IFACE [--conn ID] -w OUT [filter expression]\n"
"       mpana -D | -h | --version\n";

static const char usage_text[] =
"\n"
"Decodes the Multipath TCP options (RFC 8684 v1, RFC 6824 v0) of every packet\n"
"in a capture file or a live capture. The filter expression is a libpcap\n"
"filter (pcap-filter(7)), as for tcpdump: mpana -i any port 12345\n"
"\n"
"Input:\n"
"  -r FILE          read a pcap or pcapng file, plain or gzip/zstd compressed;\n"
"                   \"-\" reads standard input.\n"
"                   Several -r: one trace, merged by capture time; a packet\n"
"                   seen in two files is analyzed once; frames are INPUT:N\n"
"  -i IFACE         capture live on IFACE (\"any\" for all interfaces)\n"
"  -c N             stop after N packets\n"
"  -s SNAPLEN       live: bytes to capture per packet (default 262144)\n"
"  -p               live: do not put the interface into promiscuous mode\n"
"  -Z USER          live: once the interface is open, drop root and run as USER\n"
"  -D               list the interfaces available for capture and exit\n"
"Output (stdout; diagnostics go to stderr):\n"
"  (default)        text: one line per packet with MPTCP options, then a summary\n"
"  -v               text: a line for every TCP packet, also those without\n"
"                   MPTCP options (plain ACKs, fallback data); -vv as -v\n"
"  -t               text: no timestamp on packet lines; -tt seconds since the\n"
"                   epoch; -ttt delta from the previous line; -tttt date and\n"
"                   time (the default, UTC); -ttttt delta from the first line\n"
"  --nano           text: 9 fraction digits in timestamps (default 6);\n"
"                   also --time-stamp-precision=nano|micro\n"
"  --json           JSON Lines: one object per MPTCP option, then a summary object\n"
"  --format FMT     text or json\n"
"  -q               no per-packet output: connection records and the summary\n"
"  -l               flush after every line (for live pipes)\n"
"  --max-conns N    keep at most N connections (default 65536; the least\n"
"                   recently active one is written and dropped when full)\n"
"  --db FILE|URI    also store connections, subflows, addresses, events and\n"
"                   failovers in the SQLite database FILE (docs/sqlite.md) or\n"
"                   the PostgreSQL database postgresql://... (docs/postgresql.md)\n"
"  --db-packets     with --db: also one row per MPTCP option (small traces)\n"
"  -n, -S           accepted for tcpdump habits: mpana never resolves names\n"
"                   and prints sequence numbers as on the wire\n"
"Writing packets (docs/mpana.1, WRITING PACKETS):\n"
"  -w OUT           write the packets read (after the filter) to the pcap file\n"
"                   OUT, byte for byte, nanosecond timestamps; \"-\": stdout.\n"
"                   No packet lines then (connection records and summary\n"
"                   still go to stdout, unless OUT is \"-\")\n"
"  --conn ID        with -w: only the packets of MPTCP connection ID (as\n"
"                   printed, \"connection ID\"): every packet of its subflows\n"
"  --print          with -w OUT: print the packet lines too\n"
"  -U               with -w: write each packet out at once (live pipes)\n"
"  -h, --help       this text\n"
"  --version        version of mpana and libpcap\n"
"\n"
"JSON option records (keys; a field absent from the option is omitted):\n"
"  every record: frame (1-based packet number), ts (epoch seconds, ns digits),\n"
"    src, sport, dst, dport, tcp_flags, opt (mp_capable, mp_join, dss, add_addr,\n"
"    remove_addr, mp_prio, mp_fail, mp_fastclose, mp_tcprst, unknown), len;\n"
"    malformed: true, error (a stable code such as dss.bad_len), raw (hex);\n"
"    conn, subflow (1-based numbers in order of appearance, null if none)\n"
"  mp_capable: version, flags, sender_key, receiver_key, data_len, checksum\n"
"  mp_join: phase (syn, synack, ack), backup, addr_id, token, nonce, hmac,\n"
"    hmac_ok (true, false, null when a key is unknown)\n"
"  dss: flags, data_ack, data_ack_len, dsn, dsn_len, ssn, dll, checksum, data_fin\n"
"  add_addr: version, addr_id, addr, port, echo (v1), ipver (v0), hmac,\n"
"    hmac_ok, hmac_side (left or right: which 64 bits matched)\n"
"  remove_addr: addr_ids; mp_prio: backup, addr_id; mp_fail: dsn;\n"
"  mp_fastclose: receiver_key; mp_tcprst: flags, reason, reason_name;\n"
"  unknown: subtype\n"
"  Keys are \"0x%016x\" strings, tokens and nonces \"0x%08x\", HMACs \"0x\" + hex.\n"
"  Then one {\"record\":\"connection\"} per connection: conn, version, fallback,\n"
"    app_proto, client, server, tokens, state, close_reason, reinjections,\n"
"    addresses, subflows (subflow, kind, src, sport, dst, dport, initial,\n"
"    backup, addr_ids, state, close_reason, hmac_ok, bytes ...), and one\n"
"    {\"record\":\"subflow\"} per unattributed subflow (see mpana(1)).\n"
"  The last line is {\"record\":\"summary\", packets, tcp, mptcp_packets, options,\n"
"    malformed, malformed_by_error, connections, subflows, ...}.\n"
"\n"
"Exit status: 0 success (also after SIGINT or SIGTERM), 1 capture or output\n"
"error, 2 usage error or bad filter. See mpana(1).\n";

static void usage(FILE *f)
{
	fputs(usage_head, f);
	for (size_t i = 0; i < sizeof subcmds / sizeof subcmds[0]; i++)
		fprintf(f, "       mpana %s %s\n", subcmds[i].name, subcmds[i].summary);
	fputs(usage_text, f);
}

/* Joins argv[from..argc) with spaces into a static buffer, as tcpdump does
 * with a filter given in several words. Returns NULL when there are none. */
static char *join_args(int argc, char **argv, int from)
{
	static char buf[8192];
	size_t n = 0;

	if (from >= argc)
		return NULL;
	for (int i = from; i < argc; i++) {
		size_t l = strlen(argv[i]);
		if (n + l + 2 > sizeof buf) {
			MP_LOG(MP_LOG_ERR, "filter expression too long");
			exit(MP_EXIT_USAGE);
		}
		if (n)
			buf[n++] = ' ';
		memcpy(buf + n, argv[i], l);
		n += l;
	}
	buf[n] = '\0';
	return buf;
}

static long parse_count(const char *s, const char *what, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > max) {
		MP_LOG(MP_LOG_ERR, "invalid %s \"%s\"", what, s);
		exit(MP_EXIT_USAGE);
	}
	return v;
}

enum { OPT_JSON = 256, OPT_FORMAT, OPT_VERSION, OPT_MAX_CONNS, OPT_DB, OPT_DB_PACKETS,
       OPT_CONN, OPT_PRINT, OPT_NANO, OPT_TSPREC };

/* -t given n times: tcpdump(1)'s timestamp forms. */
static const enum mp_ts_fmt t_forms[] = {
	MP_TS_DATE, MP_TS_NONE, MP_TS_EPOCH, MP_TS_DELTA_PREV, MP_TS_DATE,
	MP_TS_DELTA_FIRST,
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
		{ "db", required_argument, NULL, OPT_DB },
		{ "db-packets", no_argument, NULL, OPT_DB_PACKETS },
		{ "conn", required_argument, NULL, OPT_CONN },
		{ "print", no_argument, NULL, OPT_PRINT },
		{ "nano", no_argument, NULL, OPT_NANO },
		{ "time-stamp-precision", required_argument, NULL, OPT_TSPREC },
		{ NULL, 0, NULL, 0 },
	};
	static const struct mp_sink_ops discard_ops; /* -w -: nothing on stdout */
	static struct mp_text_fmt tfmt;
	struct mp_pcap_out_cfg wcfg = { 0 };
	struct mp_pcap_out *writer = NULL;
	struct mp_sink wsink;
	bool print = false;
	unsigned tflag = 0, vflag = 0;
	struct mp_capture_cfg cfg = { .promisc = true };
	static const char *files[MP_MERGE_MAX_INPUTS];
	static struct mp_out out;
	static struct mp_analyzer an;
	struct mp_sink sink;
	struct mp_pipeline_cfg pcfg = { 0 };
	bool json = false, quiet = false, line = false, db_packets = false;
	const char *db_path = NULL;
	uint32_t max_conns = 0;
	int c, rc;

	for (size_t i = 0; argc > 1 && i < sizeof subcmds / sizeof subcmds[0]; i++)
		if (strcmp(argv[1], subcmds[i].name) == 0)
			return subcmds[i].fn(argc - 1, argv + 1);

	while ((c = getopt_long(argc, argv, "+r:i:c:s:pZ:Dqlnhw:UtvS", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (cfg.nfiles == MP_MERGE_MAX_INPUTS) {
				MP_LOG(MP_LOG_ERR, "at most %d capture files (-r) can be merged",
				       MP_MERGE_MAX_INPUTS);
				return MP_EXIT_USAGE;
			}
			files[cfg.nfiles++] = optarg;
			cfg.file = files[0];
			cfg.files = files;
			break;
		case 'i':
			cfg.iface = optarg;
			break;
		case 'c':
			cfg.count = parse_count(optarg, "packet count", 2147483647L);
			break;
		case 's':
			cfg.snaplen = (int)parse_count(optarg, "snaplen", 262144L);
			break;
		case 'p':
			cfg.promisc = false;
			break;
		case 'Z':
			cfg.user = optarg;
			break;
		case 'D':
			return mp_capture_list_interfaces();
		case 'q':
			quiet = true;
			break;
		case 'l':
			line = true;
			break;
		case 'n':
		case 'S':
			break;
		case 'w':
			wcfg.path = optarg;
			break;
		case 'U':
			wcfg.packet_flush = true;
			break;
		case 't':
			if (++tflag >= sizeof t_forms / sizeof t_forms[0]) {
				MP_LOG(MP_LOG_ERR, "-t given %u times (at most 5: see --help)", tflag);
				return MP_EXIT_USAGE;
			}
			break;
		case 'v':
			vflag++;
			break;
		case OPT_CONN:
			wcfg.conn = (uint32_t)parse_count(optarg, "connection id", 4294967295L);
			break;
		case OPT_PRINT:
			print = true;
			break;
		case OPT_NANO:
			tfmt.nano = true;
			break;
		case OPT_TSPREC:
			if (!strcmp(optarg, "nano") || !strcmp(optarg, "nanoseconds")) {
				tfmt.nano = true;
			} else if (!strcmp(optarg, "micro") || !strcmp(optarg, "microseconds")) {
				tfmt.nano = false;
			} else {
				MP_LOG(MP_LOG_ERR, "unknown time stamp precision \"%s\" (micro or nano)", optarg);
				return MP_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return MP_EXIT_OK;
		case OPT_JSON:
			json = true;
			break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "json")) {
				json = true;
			} else if (!strcmp(optarg, "text")) {
				json = false;
			} else {
				MP_LOG(MP_LOG_ERR, "unknown format \"%s\" (text or json)", optarg);
				return MP_EXIT_USAGE;
			}
			break;
		case OPT_DB:
			db_path = optarg;
			break;
		case OPT_DB_PACKETS:
			db_packets = true;
			break;
		case OPT_MAX_CONNS:
			max_conns = (uint32_t)parse_count(optarg, "connection limit",
							  100000000L);
			break;
		case OPT_VERSION:
			printf("mpana %s\n%s\n", MPANA_VERSION, pcap_lib_version());
			return MP_EXIT_OK;
		default:
			usage(stderr);
			return MP_EXIT_USAGE;
		}
	}
	if (!!cfg.file == !!cfg.iface) {
		MP_LOG(MP_LOG_ERR, "give exactly one of -r FILE or -i IFACE (see --help)");
		return MP_EXIT_USAGE;
	}
	if (cfg.user && !cfg.iface) {
		MP_LOG(MP_LOG_ERR, "-Z applies to live capture (-i IFACE) only");
		return MP_EXIT_USAGE;
	}
	cfg.filter = join_args(argc, argv, optind);
	cfg.immediate = line;

	if (db_packets && !db_path) {
		MP_LOG(MP_LOG_ERR, "--db-packets needs --db FILE");
		return MP_EXIT_USAGE;
	}

	if (wcfg.conn && !wcfg.path) {
		MP_LOG(MP_LOG_ERR, "--conn ID selects the packets -w writes: give -w FILE");
		return MP_EXIT_USAGE;
	}
	if (print && (!wcfg.path || !strcmp(wcfg.path, "-"))) {
		MP_LOG(MP_LOG_ERR, "--print goes with -w FILE (a file, not standard output)");
		return MP_EXIT_USAGE;
	}
	if (wcfg.path) {
		wcfg.snaplen = cfg.iface && cfg.snaplen ? (uint32_t)cfg.snaplen : 0;
		writer = mp_pcap_out_open(&wcfg); /* reports its own errors */
		if (!writer)
			return MP_EXIT_ERROR;
		for (unsigned i = 0; i < cfg.nfiles; i++) {
			if (strcmp(files[i], "-") && mp_pcap_out_same_file(writer, files[i])) {
				MP_LOG(MP_LOG_ERR, "-w %s would overwrite the capture being read",
				       wcfg.path);
				mp_pcap_out_close(writer, 0, false);
				return MP_EXIT_USAGE;
			}
		}
		mp_sink_pcap_out_init(&wsink, writer);
		pcfg.extra = &wsink;
		if (!print)
			quiet = true; /* tcpdump: no packet lines with -w */
	}

	tfmt.ts = t_forms[tflag];
	mp_out_init(&out, STDOUT_FILENO, line);
	if (wcfg.path && !strcmp(wcfg.path, "-")) {
		/* standard output carries the packets only */
		mp_out_init(&out, -1, false); /* never written */
		sink = (struct mp_sink){ .ops = &discard_ops, .out = &out, .quiet = true };
	} else if (json) {
		mp_sink_json_init(&sink, &out, quiet);
	} else {
		mp_sink_text_init(&sink, &out, quiet);
		sink.text_fmt = &tfmt;
		sink.all_packets = vflag > 0 && !quiet;
	}
	pcfg.capture = cfg;
	pcfg.db_path = db_path;
	pcfg.db_packets = db_packets;
	pcfg.max_conns = max_conns;
	rc = mp_pipeline_run(&pcfg, &sink, &an);
	if (writer) {
		/* the capture was read (even if it held no packet) unless it
		 * could not be opened: then no new file is left behind */
		bool keep = rc == MP_EXIT_OK || an.st.packets > 0;
		int werr = mp_pcap_out_close(writer, an.dlt, keep);
		if (werr && werr != EPIPE)
			rc = MP_EXIT_ERROR; /* reported with the path */
	}
	if (mp_out_flush(&out) != 0) {
		if (out.err == EPIPE)
			return rc; /* the reader went away, as with head(1) */
		MP_LOG(MP_LOG_ERR, "writing output: %s", strerror(out.err));
		return MP_EXIT_ERROR;
	}
	return rc;
}
