/* SPDX-License-Identifier: BSD-2-Clause */
/* capture.c - libpcap files and live capture into the analyzer.
 *
 * Follows libpcap's testprogs/capturetest.c: pcap_create, snaplen, timeout,
 * pcap_activate (< 0 error, > 0 warning), then the filter. The SIGINT and
 * SIGTERM handlers only set a flag and call pcap_breakloop(), installed
 * without SA_RESTART (pcap_breakloop(3PCAP)). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#include "mpana/capture.h"
#include "mpana/log.h"
#include "mpana/out.h"

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
	mp_analyzer_packet(c->a, &f, bytes);
	if (c->a->sink->out->err)
		pcap_breakloop(c->pcap); /* stdout is gone or full: stop */
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

int mp_capture_run(const struct mp_capture_cfg *cfg, struct mp_analyzer *a)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	char label[160];
	bpf_u_int32 netmask = PCAP_NETMASK_UNKNOWN;
	struct loop_ctx ctx;
	const char *what = cfg->file ? cfg->file : cfg->iface;
	pcap_t *p;
	int dlt, rc, ret = MP_EXIT_OK;

	pcap_init(PCAP_CHAR_ENC_UTF_8, errbuf);
	if (cfg->file) {
		p = pcap_open_offline_with_tstamp_precision(
			cfg->file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
		if (!p) {
			MP_LOG(MP_LOG_ERR, "%s", errbuf);
			return MP_EXIT_ERROR;
		}
	} else {
		p = open_live(cfg, &netmask);
		if (!p)
			return MP_EXIT_ERROR;
	}

	dlt = pcap_datalink(p);
	if (!mp_dlt_supported(dlt)) {
		MP_LOG(MP_LOG_ERR, "%s: unsupported link type %s", what,
		       dlt_label(dlt, label, sizeof label));
		pcap_close(p);
		return MP_EXIT_ERROR;
	}
	ret = apply_filter(p, cfg->filter, netmask);
	if (ret != MP_EXIT_OK) {
		pcap_close(p);
		return ret;
	}

	a->dlt = dlt;
	ctx.a = a;
	ctx.pcap = p;
	ctx.nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
	ctx.frame = 0;

	install_signals();
	running_pcap = p;
	if (!mp_stop_requested)
		rc = pcap_loop(p, cfg->count > 0 ? (int)cfg->count : -1,
			       on_packet, (u_char *)(void *)&ctx);
	else
		rc = PCAP_ERROR_BREAK;
	running_pcap = NULL;

	if (rc == PCAP_ERROR) {
		MP_LOG(MP_LOG_ERR, "%s: %s (after %llu packets)", what,
		       pcap_geterr(p), (unsigned long long)ctx.frame);
		ret = MP_EXIT_ERROR;
	}
	if (!cfg->file) {
		struct pcap_stat ps;
		if (pcap_stats(p, &ps) == 0) {
			a->st.live = true;
			a->st.ps_recv = ps.ps_recv;
			a->st.ps_drop = ps.ps_drop;
			a->st.ps_ifdrop = ps.ps_ifdrop;
		}
	}
	pcap_close(p);
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
