/* SPDX-License-Identifier: BSD-2-Clause */
/* pcap_dlt_check.c - the link types of dlt.h are libpcap's (checked at
 * build time; dissect/ does not include libpcap). */
#include <pcap/dlt.h>

#include "mpana/dlt.h"

_Static_assert(MP_DLT_NULL == DLT_NULL, "DLT_NULL");
_Static_assert(MP_DLT_EN10MB == DLT_EN10MB, "DLT_EN10MB");
_Static_assert(MP_DLT_PPP == DLT_PPP, "DLT_PPP");
_Static_assert(MP_DLT_RAW == DLT_RAW, "DLT_RAW");
_Static_assert(MP_DLT_PPP_SERIAL == DLT_PPP_SERIAL, "DLT_PPP_SERIAL");
_Static_assert(MP_DLT_LOOP == DLT_LOOP, "DLT_LOOP");
_Static_assert(MP_DLT_LINUX_SLL == DLT_LINUX_SLL, "DLT_LINUX_SLL");
_Static_assert(MP_DLT_IPV4 == DLT_IPV4, "DLT_IPV4");
_Static_assert(MP_DLT_IPV6 == DLT_IPV6, "DLT_IPV6");
_Static_assert(MP_DLT_LINUX_SLL2 == DLT_LINUX_SLL2, "DLT_LINUX_SLL2");
