/* SPDX-License-Identifier: BSD-2-Clause */
/* bins.c - the report's time and DSN bins of one connection: data mapped
 * per subflow, direction and time bin (the timeline's rate lanes), DSN
 * ranges mapped and the highest DATA_ACK per bin (the data-sequence plot)
 * (report_int.h).
 *
 * RFC 8684 §3.3 (DSS mappings, DATA_ACK). The DSNs and DATA_ACKs are the
 * engine's 64-bit values; a direction's origin is the first DSN it mapped,
 * and positions are 64-bit differences from it. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "report_int.h"

static int bin_of(double t, double t0, double w, int n)
{
	double b = floor((t - t0) / w);
	if (!(b >= 0))
		return 0;
	return b >= n ? n - 1 : (int)b;
}

/* Accounts the mapping subflow k was sending in direction dir: its bytes
 * not mapped on k before (TCP retransmissions and repeated options count
 * once) spread evenly over the time its segments were seen, and its DSN
 * range into the DSN plot's bin of its first segment. */
static void map_flush(struct rpt_data *d, int k, int dir)
{
	struct rpt_curmap *m = &d->cur[k][dir];
	int64_t from;

	if (!m->on)
		return;
	m->on = false;
	from = m->start > d->hi[k][dir] ? m->start : d->hi[k][dir];
	if (m->end > from) {
		double bytes = (double)(m->end - from), span = m->t_last - m->t_first;
		int b0 = bin_of(m->t_first, d->t0, d->rbin, d->nrb), b1 = bin_of(m->t_last, d->t0, d->rbin, d->nrb);
		if (b1 == b0 || !(span > 0)) {
			d->rate[k][dir][b0] += bytes;
		} else {
			for (int b = b0; b <= b1; b++) {
				double lo = d->t0 + b * d->rbin, hi = lo + d->rbin;
				if (lo < m->t_first)
					lo = m->t_first;
				if (hi > m->t_last)
					hi = m->t_last;
				if (hi > lo)
					d->rate[k][dir][b] += bytes * (hi - lo) / span;
			}
		}
		d->hi[k][dir] = m->end;
	}
	if (dir == d->main_dir && m->start >= 0) {
		int b = bin_of(m->t_first, d->t0, d->dbin, d->ndb);
		if (m->start < d->dmin[k][b])
			d->dmin[k][b] = m->start;
		if (m->end > d->dmax[k][b])
			d->dmax[k][b] = m->end;
		if (m->t_first < d->tmin[k][b])
			d->tmin[k][b] = m->t_first;
		if (m->t_last > d->tmax[k][b])
			d->tmax[k][b] = m->t_last;
		if (m->end > d->ymax)
			d->ymax = m->end;
	}
}

void rpt_bins_init(struct rpt_data *d)
{
	const struct rpt_conn *c = &d->c;
	double tend = c->last_ts;

	if (!isnan(c->closed_ts) && (isnan(tend) || c->closed_ts > tend))
		tend = c->closed_ts;
	for (int i = 0; i < d->nsf; i++)
		if (!isnan(d->sf[i].closed_ts) && d->sf[i].closed_ts > tend)
			tend = d->sf[i].closed_ts;
	d->t0 = c->first_ts;
	d->dur = tend - d->t0;
	if (!(d->dur > 1e-3))
		d->dur = 1e-3;
	d->rbin = rpt_nice_ceil(d->dur / RATE_BINS);
	d->nrb = (int)ceil(d->dur / d->rbin);
	if (d->nrb > MAX_BINS)
		d->nrb = MAX_BINS;
	if (d->nrb < 1)
		d->nrb = 1;
	d->dbin = rpt_nice_ceil(d->dur / DSN_BINS);
	d->ndb = (int)ceil(d->dur / d->dbin);
	if (d->ndb > MAX_BINS)
		d->ndb = MAX_BINS;
	if (d->ndb < 1)
		d->ndb = 1;
	d->main_dir = c->bytes_s2c > c->bytes_c2s;
	for (int i = 0; i < MAX_SF; i++)
		for (int b = 0; b < MAX_BINS; b++) {
			d->dmin[i][b] = INT64_MAX;
			d->dmax[i][b] = -1;
			d->tmin[i][b] = INFINITY;
			d->tmax[i][b] = -INFINITY;
		}
	for (int b = 0; b < MAX_BINS; b++)
		d->ack[b] = -1;
}

void rpt_bins_map(struct rpt_data *d, int k, int dir, double ts, uint64_t dsn, int64_t len)
{
	struct rpt_curmap *m = &d->cur[k][dir];
	int64_t rel, end;

	if (!d->have_base[dir]) {
		d->base[dir] = dsn;
		d->have_base[dir] = true;
	}
	rel = (int64_t)(dsn - d->base[dir]);
	end = rel + len;
	if (m->on && m->start == rel && m->end == end &&
	    ts - m->t_last <= (2 * d->dbin > 0.05 ? 2 * d->dbin : 0.05)) {
		m->t_last = ts; /* one more segment of the same mapping */
	} else {
		map_flush(d, k, dir);
		m->on = true;
		m->start = rel;
		m->end = end;
		m->t_first = m->t_last = ts;
	}
}

void rpt_bins_ack(struct rpt_data *d, int dir, double ts, uint64_t ack)
{
	if (dir == d->main_dir && d->have_base[dir]) {
		int64_t rel = (int64_t)(ack - d->base[dir]);
		int b = bin_of(ts, d->t0, d->dbin, d->ndb);
		if (rel >= 0 && rel > d->ack[b])
			d->ack[b] = rel;
	}
}

void rpt_bins_finish(struct rpt_data *d)
{
	for (int k = 0; k < d->nsf; k++)
		for (int dir = 0; dir < 2; dir++)
			map_flush(d, k, dir);
	/* A DATA_ACK far beyond the data mapped (a capture that starts mid-
	 * connection, without keys: no trustworthy origin) is not drawn. */
	d->yplot = d->ymax;
	for (int b = 0; b < d->ndb; b++)
		if (d->ack[b] > 2 * d->ymax + 65536)
			d->ack[b] = -1;
		else if (d->ack[b] > d->yplot)
			d->yplot = d->ack[b];
}
