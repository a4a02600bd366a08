/* SPDX-License-Identifier: BSD-2-Clause */
/* svg.c - the report's drawing helpers: escaping, number and byte
 * formats, the subflow palette, the time scale and the time axis
 * (report_int.h). */
#include <math.h>
#include <stdio.h>

#include "mpana/escape.h"

#include "report_int.h"

/* Okabe-Ito: distinguishable with the common colour-vision deficiencies. */
static const char *const palette[8] = {
	"#0072B2", "#E69F00", "#009E73", "#D55E00",
	"#56B4E9", "#CC79A7", "#F0E442", "#000000",
};

void rpt_esc(FILE *f, const char *s)
{
	mp_escape_fputs(f, MP_ESC_XML, s);
}

/* The smallest of 1, 2, 5 x 10^k that is >= x (x > 0). */
double rpt_nice_ceil(double x)
{
	double p = pow(10.0, floor(log10(x)));
	if (p >= x)
		return p;
	if (2 * p >= x)
		return 2 * p;
	if (5 * p >= x)
		return 5 * p;
	return 10 * p;
}

/* Writes a byte count as "12.3 kB" (decimal units). */
void rpt_fmt_bytes(char *buf, size_t n, double b)
{
	if (b >= 1e9)
		snprintf(buf, n, "%.3g GB", b / 1e9);
	else if (b >= 1e6)
		snprintf(buf, n, "%.3g MB", b / 1e6);
	else if (b >= 1e3)
		snprintf(buf, n, "%.3g kB", b / 1e3);
	else
		snprintf(buf, n, "%.0f B", b);
}

/* Writes a time tick: seconds with as many decimals as the step needs. */
static void fmt_tick(char *buf, size_t n, double v, double step)
{
	int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
	if (dec > 6)
		dec = 6;
	snprintf(buf, n, "%.*f", dec, v);
}

const char *rpt_sf_color(int i)
{
	return palette[i % 8];
}

double rpt_xt(const struct rpt_data *d, double t)
{
	double x = ML + (t - d->t0) / d->dur * (W - ML - MR);
	if (x < ML)
		x = ML;
	if (x > W - MR)
		x = W - MR;
	return x;
}

/* The x axis: ticks, grid lines from y0 to y1, labels below y1. */
void rpt_time_axis(FILE *f, const struct rpt_data *d, double y0, double y1)
{
	double step = rpt_nice_ceil(d->dur / 9.0);
	char lab[32];

	fprintf(f, "<g class=\"axis\">\n");
	for (double t = 0; t <= d->dur * 1.0000001; t += step) {
		double x = rpt_xt(d, d->t0 + t);
		fmt_tick(lab, sizeof lab, t, step);
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
			x, y0, x, y1 + 4, x, y1 + 17, lab);
	}
	fprintf(f, "<line class=\"axisline\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		ML, y1, W - MR, y1);
	fprintf(f, "<text class=\"axislabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
		"time since the connection's first packet (s)</text>\n</g>\n",
		(ML + W - MR) / 2, y1 + 34);
}
