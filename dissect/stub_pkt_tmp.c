/* TEMPORARY build placeholder: replaced by dissect/packet.c before commit. */
#include "mpana/pkt.h"
enum mp_pkt_status mp_pkt_decode(int dlt, const uint8_t *p, size_t caplen, struct mp_pkt *out) { (void)dlt; (void)p; (void)caplen; (void)out; return MP_PKT_OTHER; }
bool mp_dlt_supported(int dlt) { (void)dlt; return false; }
