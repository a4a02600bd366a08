/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_options.c - libFuzzer target: the TCP option walker and every MPTCP
 * option parser (RFC 8684 §3, RFC 6824 §3; STYLE R21).
 *
 * Input: one TCP flags byte, then the TCP option bytes. The options area the
 * data offset would declare is the input length rounded up to 4 (at most 40),
 * so inputs whose length is not a multiple of 4 also exercise a capture cut
 * inside the options. The bytes are copied into an exact-size heap buffer
 * so that AddressSanitizer catches a read one byte past them. Invariants of
 * the walker's output (STYLE R3) are checked and abort() when violated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpana/opt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mp_opts opts;
	uint8_t flags;
	uint8_t *buf;
	size_t caplen, hdr_len;
	volatile unsigned sink = 0;

	if (size < 1)
		return 0;
	flags = data[0];
	caplen = size - 1;
	if (caplen > 40)
		caplen = 40;
	hdr_len = (caplen + 3) & ~(size_t)3;
	buf = malloc(caplen ? caplen : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, caplen);

	memset(&opts, 0xa5, sizeof opts); /* the walker must set what it reports */
	mp_tcpopt_walk(buf, caplen, hdr_len, flags, &opts);

	check(opts.n <= MP_OPTS_MAX);
	check(opts.tcp_err < MP_E__COUNT);
	for (unsigned i = 0; i < opts.n; i++) {
		const struct mp_opt *o = &opts.v[i];

		check(o->err < MP_E__COUNT);
		check(o->caplen <= o->len || o->err != MP_E_NONE);
		check((size_t)o->off + o->caplen <= caplen);
		check(o->raw == buf + o->off);
		/* raw[0..caplen) is borrowed packet memory: touch all of it */
		for (unsigned k = 0; k < o->caplen; k++)
			sink += o->raw[k];
		sink += (unsigned)strlen(mp_err_name((enum mp_err)o->err));
		sink += (unsigned)strlen(mp_subtype_name(o->subtype));
		if (o->err == MP_E_NONE) {
			switch (o->subtype) {
			case MPTCP_SUB_DSS:
				check(mp_dss_len(o->u.dss.flags) +
					      (o->u.dss.has_checksum ? 2u : 0u) ==
				      (size_t)o->len);
				break;
			case MPTCP_SUB_REMOVE_ADDR:
				check(o->u.remove_addr.n_ids <= MP_REMOVE_ADDR_MAX);
				break;
			case MPTCP_SUB_TCPRST:
				sink += (unsigned)strlen(
					mp_tcprst_reason_name(o->u.tcprst.reason));
				break;
			default:
				break;
			}
		}
	}
	(void)sink;
	free(buf);
	return 0;
}
