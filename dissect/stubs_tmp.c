/* TEMPORARY build placeholder: replaced by the real parsers before commit. */
#include "mpana/opt.h"
#include "mpana/pkt.h"
enum mp_err mp_capable_parse(struct mp_rd *r, uint8_t len, uint8_t f, struct mp_capable *o) { (void)r; (void)len; (void)f; (void)o; return MP_E_NONE; }
enum mp_err mp_join_parse(struct mp_rd *r, uint8_t len, uint8_t f, struct mp_join *o) { (void)r; (void)len; (void)f; (void)o; return MP_E_NONE; }
enum mp_err mp_dss_parse(struct mp_rd *r, uint8_t len, uint8_t f, struct mp_dss *o) { (void)r; (void)len; (void)f; (void)o; return MP_E_NONE; }
enum mp_err mp_add_addr_parse(struct mp_rd *r, uint8_t len, uint8_t f, struct mp_add_addr *o) { (void)r; (void)len; (void)f; (void)o; return MP_E_NONE; }
enum mp_err mp_remove_addr_parse(struct mp_rd *r, uint8_t len, uint8_t f, struct mp_remove_addr *o) { (void)r; (void)len; (void)f; (void)o; return MP_E_NONE; }
enum mp_err mp_prio_parse(struct mp_rd *r, uint8_t len, uint8_t f, struct mp_prio *o) { (void)r; (void)len; (void)f; (void)o; return MP_E_NONE; }
enum mp_err mp_fail_parse(struct mp_rd *r, uint8_t len, uint8_t f, struct mp_fail *o) { (void)r; (void)len; (void)f; (void)o; return MP_E_NONE; }
enum mp_err mp_fastclose_parse(struct mp_rd *r, uint8_t len, uint8_t f, struct mp_fastclose *o) { (void)r; (void)len; (void)f; (void)o; return MP_E_NONE; }
enum mp_err mp_tcprst_parse(struct mp_rd *r, uint8_t len, uint8_t f, struct mp_tcprst *o) { (void)r; (void)len; (void)f; (void)o; return MP_E_NONE; }
