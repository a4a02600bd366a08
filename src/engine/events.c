/* SPDX-License-Identifier: BSD-2-Clause */
/* events.c - control events: formatting and the on_event callback (event.h).
 *
 * RFC 8684 §3. Internals: engine_int.h. */
#include "engine_int.h"

__attribute__((format(printf, 8, 0)))
static void emit(struct mp_engine *e, uint64_t frame, uint64_t ts,
		 uint32_t conn, uint32_t sf, unsigned type, int ok,
		 const char *fmt, va_list ap)
{
	struct mp_event eng_ev;

	e->st.events[type < MP_EV__COUNT ? type : 0]++;
	if (!e->cfg.on_event)
		return; /* no formatting when nobody listens */
	eng_ev.ts_ns = ts;
	eng_ev.frame = frame;
	eng_ev.conn = conn;
	eng_ev.subflow = sf;
	eng_ev.type = (uint8_t)type;
	eng_ev.ok = (int8_t)ok;
	eng_ev.detail[0] = '\0';
	if (fmt)
		vsnprintf(eng_ev.detail, sizeof eng_ev.detail, fmt, ap);
	e->cfg.on_event(e->cfg.user, &eng_ev);
}

__attribute__((format(printf, 7, 8)))
void eng_ev_raw(struct mp_engine *e, uint64_t frame, uint64_t ts,
		   uint32_t conn, uint32_t sf, unsigned type, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(e, frame, ts, conn, sf, type, MP_OK_UNKNOWN, fmt, ap);
	va_end(ap);
}

/* An event of the packet in `x`, for its subflow and connection. */
__attribute__((format(printf, 4, 5)))
void eng_ev(struct pctx *x, unsigned type, int ok, const char *fmt, ...)
{
	va_list ap;
	const struct mp_subflow *sf = x->sf;

	va_start(ap, fmt);
	emit(x->e, x->frame, x->ts, sf && sf->conn ? sf->conn->id : 0,
	     sf ? sf->id : 0, type, ok, fmt, ap);
	va_end(ap);
}
