/* SPDX-License-Identifier: BSD-2-Clause */
/* capture.c - libpcap files and live capture into the analyzer.
 *
 * Follows libpcap's testprogs/capturetest.c: pcap_create, snaplen, timeout,
 * pcap_activate (< 0 error, > 0 warning), then the filter. The SIGINT and
 * SIGTERM handlers only set a flag and call pcap_breakloop(), installed
 * without SA_RESTART (pcap_breakloop(3PCAP)). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "mpana/capture.h"
#include "mpana/log.h"
#include "mpana/merge.h"
#include "mpana/out.h"
#include "mpana/progress.h"
#include "mpana/reader.h"

#define DEFAULT_SNAPLEN 262144

volatile int mp_stop_requested;
static pcap_t *volatile running_pcap; /* for the signal handler */

static void on_signal(int sig)
{
	(void)sig;
	mp_stop_requested = 1;
	if (running_pcap)
		pcap_breakloop(running_pcap);
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a blocked read must return */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a closed stdout is a write error, handled */
}

struct loop_ctx {
	struct mp_analyzer *a;
	pcap_t *pcap;
	bool nano;        /* timestamps carry nanoseconds */
	uint64_t frame;   /* packets seen so far */
	struct mp_progress pr; /* progress line (files, stderr a tty) */
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h,
		      const u_char *bytes)
{
	struct loop_ctx *c = (struct loop_ctx *)(void *)user;
	struct mp_frame f;

	f.num = ++c->frame;
	f.ts_ns = (uint64_t)h->ts.tv_sec * 1000000000u +
		  (uint64_t)h->ts.tv_usec * (c->nano ? 1u : 1000u);
	f.caplen = h->caplen;
	f.wirelen = h->len;
	f.comment = NULL;
	f.comment_len = 0;
	mp_analyzer_packet(c->a, &f, bytes);
	if (mp_analyzer_must_stop(c->a))
		pcap_breakloop(c->pcap); /* stdout or the database failed: stop */
	if (c->pr.on && c->frame >= c->pr.next_check)
		mp_progress_draw(&c->pr, (uint64_t)ftello(pcap_file(c->pcap)),
				 c->frame);
}

/* Size of the file behind a savefile pcap_t, 0 when live or not a file. */
static uint64_t savefile_size(pcap_t *p)
{
	FILE *fp = pcap_file(p);
	struct stat st;

	if (!fp || fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	return (uint64_t)st.st_size;
}

static int apply_filter(pcap_t *p, const char *filter, bpf_u_int32 netmask)
{
	struct bpf_program prog;

	if (!filter || !*filter)
		return MP_EXIT_OK;
	if (pcap_compile(p, &prog, filter, 1, netmask) < 0) {
		MP_LOG(MP_LOG_ERR, "bad filter expression \"%s\": %s", filter,
		       pcap_geterr(p));
		return MP_EXIT_USAGE;
	}
	if (pcap_setfilter(p, &prog) < 0) {
		MP_LOG(MP_LOG_ERR, "cannot set filter: %s", pcap_geterr(p));
		pcap_freecode(&prog);
		return MP_EXIT_ERROR;
	}
	pcap_freecode(&prog);
	return MP_EXIT_OK;
}

static pcap_t *open_live(const struct mp_capture_cfg *cfg, bpf_u_int32 *netmask)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	bpf_u_int32 net;
	pcap_t *p;
	int st;

	*netmask = PCAP_NETMASK_UNKNOWN;
	p = pcap_create(cfg->iface, errbuf);
	if (!p) {
		MP_LOG(MP_LOG_ERR, "%s: %s", cfg->iface, errbuf);
		return NULL;
	}
	pcap_set_snaplen(p, cfg->snaplen ? cfg->snaplen : DEFAULT_SNAPLEN);
	pcap_set_promisc(p, cfg->promisc);
	pcap_set_timeout(p, 100);
	pcap_set_buffer_size(p, 16 * 1024 * 1024);
	if (cfg->immediate)
		pcap_set_immediate_mode(p, 1);
	pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
	st = pcap_activate(p);
	if (st < 0) {
		if (st == PCAP_ERROR || st == PCAP_ERROR_PERM_DENIED ||
		    st == PCAP_ERROR_NO_SUCH_DEVICE)
			MP_LOG(MP_LOG_ERR, "%s: %s", cfg->iface, pcap_geterr(p));
		else
			MP_LOG(MP_LOG_ERR, "%s: %s (%s)", cfg->iface,
			       pcap_statustostr(st), pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	if (st > 0)
		MP_LOG(MP_LOG_WARN, "%s: %s (%s)", cfg->iface,
		       pcap_statustostr(st), pcap_geterr(p));
	if (pcap_lookupnet(cfg->iface, &net, netmask, errbuf) < 0)
		*netmask = PCAP_NETMASK_UNKNOWN;
	return p;
}

static const char *dlt_label(int dlt, char *buf, size_t n)
{
	const char *name = pcap_datalink_val_to_name(dlt);
	const char *desc = pcap_datalink_val_to_description(dlt);

	snprintf(buf, n, "%s%s%s%s (%d)", name ? "DLT_" : "",
		 name ? name : "unknown", desc ? ", " : "", desc ? desc : "",
		 dlt);
	return buf;
}

/* The packet loop over an opened, filtered capture whose link type is
 * supported. Borrows `p`. Returns MP_EXIT_OK or MP_EXIT_ERROR (a read error,
 * reported on stderr naming `what`; when `rd` streamed the bytes to libpcap
 * and its decoder failed, the decoder's message, which says more). */
static int run_loop(pcap_t *p, const char *what, long count,
		    struct mp_analyzer *a, const struct mp_reader *rd)
{
	struct loop_ctx ctx;
	int rc;

	ctx.a = a;
	ctx.pcap = p;
	ctx.nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
	ctx.frame = 0;
	mp_progress_init(&ctx.pr, what, savefile_size(p));

	install_signals();
	running_pcap = p;
	if (!mp_stop_requested)
		rc = pcap_loop(p, count > 0 ? (int)count : -1, on_packet,
			       (u_char *)(void *)&ctx);
	else
		rc = PCAP_ERROR_BREAK;
	running_pcap = NULL;
	mp_progress_end(&ctx.pr);

	if (rc == PCAP_ERROR) {
		const char *serr = rd ? mp_reader_stream_error(rd) : NULL;
		MP_LOG(MP_LOG_ERR, "%s: %s (after %llu packets)", what,
		       serr ? serr : pcap_geterr(p), (unsigned long long)ctx.frame);
		return MP_EXIT_ERROR;
	}
	return MP_EXIT_OK;
}

int mp_capture_run_pcap(pcap_t *p, const char *what, long count,
			struct mp_analyzer *a)
{
	char label[160];
	int dlt = pcap_datalink(p);

	if (!mp_dlt_supported(dlt)) {
		MP_LOG(MP_LOG_ERR, "%s: unsupported link type %s", what,
		       dlt_label(dlt, label, sizeof label));
		return MP_EXIT_ERROR;
	}
	a->dlt = dlt;
	return run_loop(p, what, count, a, NULL);
}

/* -Z: becomes `pw` (groups, gid, then uid, as tcpdump's droproot()) once
 * the device is open. Root only: anyone else has nothing to drop. Refuses to
 * go on when any step fails or root could be regained. Returns MP_EXIT_*. */
static int drop_root(const struct passwd *pw)
{
	if (getuid() != 0 && geteuid() != 0) {
		MP_LOG(MP_LOG_WARN, "-Z %s: not running as root, nothing to drop",
		       pw->pw_name);
		return MP_EXIT_OK;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		MP_LOG(MP_LOG_ERR, "-Z %s: cannot drop privileges: %s",
		       pw->pw_name, strerror(errno));
		return MP_EXIT_ERROR;
	}
	if (pw->pw_uid != 0 && (setuid(0) == 0 || geteuid() == 0)) {
		MP_LOG(MP_LOG_ERR, "-Z %s: root privileges could be regained",
		       pw->pw_name);
		return MP_EXIT_ERROR;
	}
	MP_LOG(MP_LOG_INFO, "running as user %s (uid %u, gid %u)", pw->pw_name,
	       (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
	return MP_EXIT_OK;
}

int mp_capture_run(const struct mp_capture_cfg *cfg, struct mp_analyzer *a)
{
	static struct mp_reader rd; /* static: two mappings' state, 1 KiB */
	bool rd_open = false;
	char errbuf[PCAP_ERRBUF_SIZE];
	char label[160];
	bpf_u_int32 netmask = PCAP_NETMASK_UNKNOWN;
	const char *what = cfg->file ? cfg->file : cfg->iface;
	pcap_t *p;
	int dlt, ret = MP_EXIT_OK;

	pcap_init(PCAP_CHAR_ENC_UTF_8, errbuf);
	if (cfg->nfiles > 1) {
		static struct mp_merge_stats ms; /* the summary reads it later */

		install_signals();
		return mp_capture_merge(cfg, a, &ms);
	}
	if (cfg->file) {
		/* mpana's readers, unless a filter or MPANA_READER=libpcap asks
		 * for libpcap; they still undo gzip or zstd for it */
		const char *env = getenv("MPANA_READER");
		unsigned flags = (cfg->filter && *cfg->filter) ||
			(env && !strcmp(env, "libpcap")) ? MP_READER_ALL_LIBPCAP : 0;
		FILE *fp;

		install_signals();
		ret = mp_reader_open(&rd, cfg->file, flags, &mp_stop_requested);
		if (ret < 0) {
			MP_LOG(MP_LOG_ERR, "%s: %s", cfg->file, rd.err);
			return MP_EXIT_ERROR;
		}
		if (ret == 1) {
			ret = mp_capture_reader_run(cfg, a, &rd);
			mp_reader_close(&rd);
			return ret;
		}
		rd_open = true;
		fp = mp_reader_libpcap_file(&rd);
		if (fp) {
			p = pcap_fopen_offline_with_tstamp_precision(
				fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
			if (!p)
				fclose(fp);
		} else {
			p = pcap_open_offline_with_tstamp_precision(
				cfg->file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
		}
		if (!p) {
			const char *serr = mp_reader_stream_error(&rd);
			if (serr)
				MP_LOG(MP_LOG_ERR, "%s: %s", cfg->file, serr);
			else
				MP_LOG(MP_LOG_ERR, "%s", errbuf);
			mp_reader_close(&rd);
			return MP_EXIT_ERROR;
		}
		ret = MP_EXIT_OK;
	} else {
		struct passwd *pw = NULL;
		if (cfg->user) {
			errno = 0;
			pw = getpwnam(cfg->user);
			if (!pw) {
				MP_LOG(MP_LOG_ERR, "-Z %s: %s", cfg->user,
				       errno && errno != ENOENT ? strerror(errno)
						       : "no such user");
				return MP_EXIT_USAGE;
			}
		}
		p = open_live(cfg, &netmask);
		if (!p)
			return MP_EXIT_ERROR;
		if (pw && (ret = drop_root(pw)) != MP_EXIT_OK) {
			pcap_close(p);
			return ret;
		}
	}

	dlt = pcap_datalink(p);
	if (!mp_dlt_supported(dlt)) {
		MP_LOG(MP_LOG_ERR, "%s: unsupported link type %s", what,
		       dlt_label(dlt, label, sizeof label));
		ret = MP_EXIT_ERROR;
		goto out;
	}
	ret = apply_filter(p, cfg->filter, netmask);
	if (ret != MP_EXIT_OK)
		goto out;

	a->dlt = dlt;
	ret = run_loop(p, what, cfg->count, a, rd_open ? &rd : NULL);
	if (!cfg->file) {
		struct pcap_stat ps;
		if (pcap_stats(p, &ps) == 0) {
			a->st.live = true;
			a->st.ps_recv = ps.ps_recv;
			a->st.ps_drop = ps.ps_drop;
			a->st.ps_ifdrop = ps.ps_ifdrop;
		}
	}
out:
	pcap_close(p);
	if (rd_open)
		mp_reader_close(&rd);
	return ret;
}

int mp_capture_list_interfaces(void)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_if_t *all, *d;
	int i = 0;

	pcap_init(PCAP_CHAR_ENC_UTF_8, errbuf);
	if (pcap_findalldevs(&all, errbuf) < 0) {
		MP_LOG(MP_LOG_ERR, "%s", errbuf);
		return MP_EXIT_ERROR;
	}
	for (d = all; d; d = d->next) {
		printf("%d.%s", ++i, d->name);
		if (d->description)
			printf(" (%s)", d->description);
		printf(" [%s%s%s]\n", (d->flags & PCAP_IF_UP) ? "Up" : "Down",
		       (d->flags & PCAP_IF_RUNNING) ? ", Running" : "",
		       (d->flags & PCAP_IF_LOOPBACK) ? ", Loopback" : "");
	}
	pcap_freealldevs(all);
	if (fflush(stdout) != 0)
		return MP_EXIT_ERROR;
	return MP_EXIT_OK;
}
