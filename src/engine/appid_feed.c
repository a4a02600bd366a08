/* SPDX-License-Identifier: BSD-2-Clause */
/* appid_feed.c - application classification: the data the classifier sees, as one TCP flow per connection.
 *
 * appid.h. Internals: engine_int.h. */
#include <endian.h>

#include "engine_int.h"

void eng_app_finish(struct mp_engine *e, struct mp_conn *c)
{
	if (c->app_done)
		return;
	if (c->app_flow)
		mp_appid_giveup(e->appid, c->app_flow, c->app_proto,
				sizeof c->app_proto);
	mp_appid_flow_free(c->app_flow);
	c->app_flow = NULL;
	c->app_done = true;
}

/* Network-order stores into the synthetic header (<endian.h>). */
static void put16(uint8_t *b, uint16_t v)
{
	v = htobe16(v);
	memcpy(b, &v, 2);
}

static void put32(uint8_t *b, uint32_t v)
{
	v = htobe32(v);
	memcpy(b, &v, 4);
}

/* Feeds a data packet to the classifier as one IP packet of a single TCP
 * flow between the connection's initial endpoints, with synthetic sequence
 * numbers so that data from several subflows reads as one stream. */
void eng_app_feed(struct pctx *x, struct mp_conn *c)
{
	struct mp_engine *e = x->e;
	const struct mp_pkt *p = x->p;
	uint8_t buf[40 + 20 + 1500];
	size_t ip_len, n = p->payload_caplen;
	int cd = conn_dir(x->sf, x->d);
	size_t al = alen_of(c->family);
	uint8_t *t;

	if (!e->appid_tried) {
		e->appid_tried = true;
		e->appid = mp_appid_new();
	}
	if (!e->appid) {
		c->app_done = true;
		return;
	}
	if (!c->app_flow) {
		c->app_flow = mp_appid_flow_new();
		if (!c->app_flow) {
			c->app_done = true;
			return;
		}
		c->app_seq[0] = 1;
		c->app_seq[1] = 1;
	}
	if (n > 1500)
		n = 1500;
	memset(buf, 0, 60);
	if (c->family == 6) {
		ip_len = 40;
		buf[0] = 0x60;
		put16(buf + 4, (uint16_t)(20 + n));
		buf[6] = 6;
		buf[7] = 64;
		memcpy(buf + 8, c->addr[cd], 16);
		memcpy(buf + 24, c->addr[1 - cd], 16);
	} else {
		ip_len = 20;
		buf[0] = 0x45;
		put16(buf + 2, (uint16_t)(20 + 20 + n));
		buf[6] = 0x40;
		buf[8] = 64;
		buf[9] = 6;
		memcpy(buf + 12, c->addr[cd], al);
		memcpy(buf + 16, c->addr[1 - cd], al);
	}
	t = buf + ip_len;
	put16(t, c->port[cd]);
	put16(t + 2, c->port[1 - cd]);
	put32(t + 4, c->app_seq[cd]);
	put32(t + 8, c->app_seq[1 - cd]);
	t[12] = 5 << 4;
	t[13] = MP_TH_ACK | MP_TH_PSH;
	put16(t + 14, 65535);
	memcpy(t + 20, p->payload, n);
	c->app_seq[cd] += (uint32_t)n;
	if (mp_appid_feed(e->appid, c->app_flow, buf, ip_len + 20 + n,
			  x->ts / 1000000u, c->app_proto, sizeof c->app_proto)) {
		mp_appid_flow_free(c->app_flow);
		c->app_flow = NULL;
		c->app_done = true;
		return;
	}
	if (++c->app_pkts >= MP_APPID_MAX_PKTS)
		eng_app_finish(e, c);
}
