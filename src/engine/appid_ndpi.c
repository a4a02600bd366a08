/* SPDX-License-Identifier: BSD-2-Clause */
/* ndpi_glue.c - application protocol classification with libndpi (appid.h).
 *
 * No RFC; STYLE R14: the only file that includes nDPI headers, built only
 * under MPANA_WITH_NDPI. Written against Debian 12's libndpi 4.2
 * (NDPI_API_VERSION 8668): ndpi_init_detection_module(prefs) and the
 * 5-argument ndpi_detection_process_packet(); newer releases changed both. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

#include "mpana/appid.h"

#if !defined(NDPI_API_VERSION) || NDPI_API_VERSION < 8000 || NDPI_API_VERSION >= 9000
#error "ndpi_glue.c is written for the libndpi 4.2 API (NDPI_API_VERSION 8668)"
#endif

struct mp_appid {
	struct ndpi_detection_module_struct *ndpi; /* owned module */
};

struct mp_appid_flow {
	struct ndpi_flow_struct flow; /* nDPI's flow state, zeroed */
};

struct mp_appid *mp_appid_new(void)
{
	struct mp_appid *m = calloc(1, sizeof *m);
	NDPI_PROTOCOL_BITMASK all;

	if (!m)
		return NULL;
	m->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
	if (!m->ndpi) {
		free(m);
		return NULL;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(m->ndpi, &all);
	ndpi_finalize_initialization(m->ndpi);
	return m;
}

void mp_appid_free(struct mp_appid *m)
{
	if (!m)
		return;
	ndpi_exit_detection_module(m->ndpi);
	free(m);
}

struct mp_appid_flow *mp_appid_flow_new(void)
{
	return calloc(1, sizeof(struct mp_appid_flow));
}

void mp_appid_flow_free(struct mp_appid_flow *f)
{
	if (!f)
		return;
	ndpi_free_flow_data(&f->flow); /* members nDPI allocated; not the struct */
	free(f);
}

static bool proto_known(ndpi_protocol p)
{
	return p.app_protocol != NDPI_PROTOCOL_UNKNOWN ||
	       p.master_protocol != NDPI_PROTOCOL_UNKNOWN;
}

static void proto_name(struct mp_appid *m, ndpi_protocol p, char *name,
		       size_t name_len)
{
	char buf[64];

	if (!name_len)
		return;
	if (!proto_known(p)) {
		snprintf(name, name_len, "unknown");
		return;
	}
	ndpi_protocol2name(m->ndpi, p, buf, sizeof buf);
	snprintf(name, name_len, "%s", buf);
}

bool mp_appid_feed(struct mp_appid *m, struct mp_appid_flow *f,
		   const uint8_t *ip, size_t len, uint64_t ts_ms, char *name,
		   size_t name_len)
{
	ndpi_protocol p;

	if (!m || !f || len == 0)
		return false;
	if (len > 65535)
		len = 65535;
	p = ndpi_detection_process_packet(m->ndpi, &f->flow, ip,
					  (unsigned short)len, ts_ms);
	if (!proto_known(p))
		return false;
	proto_name(m, p, name, name_len);
	return true;
}

void mp_appid_giveup(struct mp_appid *m, struct mp_appid_flow *f, char *name,
		     size_t name_len)
{
	ndpi_protocol p;
	u_int8_t guessed = 0;

	if (!m || !f) {
		if (name_len)
			snprintf(name, name_len, "unknown");
		return;
	}
	p = ndpi_detection_giveup(m->ndpi, &f->flow, 1, &guessed);
	proto_name(m, p, name, name_len);
}
