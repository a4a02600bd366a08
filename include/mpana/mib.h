/* SPDX-License-Identifier: BSD-2-Clause */
/* mib.h - the Linux kernel's MPTCP counters (nstat MPTcpExt*, net/mptcp/mib.c)
 * that a capture taken at one endpoint shows, counted from its packets with
 * the kernel's semantics (src/analysis/mib.c).
 *
 * The counters of one endpoint: packets it sent (Tx) and received (Rx). A
 * counter is derived only where every increment in the kernel has a packet
 * the capture shows and a packet pattern that tells it apart; the others
 * (queues, windows, socket errors, syncookies, timers) are not in this list
 * rather than guessed (docs/mpana.1, MIB COUNTERS). Per packet nothing is
 * allocated: state grows with subflows and connections only. */
#ifndef MPANA_MIB_H
#define MPANA_MIB_H

#include <stdbool.h>
#include <stdint.h>

#include "mpana/flow.h"
#include "mpana/pkt.h"

/* The derived counters, in the kernel's order (mib.c). Names: mp_mib_name. */
enum mp_mib_counter {
	MP_MIB_MPCAPABLE_SYNRX = 0,   /* MPCapableSYNRX */
	MP_MIB_MPCAPABLE_SYNTX,       /* MPCapableSYNTX */
	MP_MIB_MPCAPABLE_SYNACKRX,    /* MPCapableSYNACKRX */
	MP_MIB_MPCAPABLE_ACKRX,       /* MPCapableACKRX */
	MP_MIB_MPCAPABLE_FB_ACK,      /* MPCapableFallbackACK */
	MP_MIB_MPCAPABLE_FB_SYNACK,   /* MPCapableFallbackSYNACK */
	MP_MIB_JOIN_SYNRX,            /* MPJoinSynRx */
	MP_MIB_JOIN_SYN_BACKUPRX,     /* MPJoinSynBackupRx */
	MP_MIB_JOIN_SYNACKRX,         /* MPJoinSynAckRx */
	MP_MIB_JOIN_SYNACK_BACKUPRX,  /* MPJoinSynAckBackupRx */
	MP_MIB_JOIN_SYNACK_HMAC,      /* MPJoinSynAckHMacFailure */
	MP_MIB_JOIN_ACKRX,            /* MPJoinAckRx */
	MP_MIB_JOIN_ACK_HMAC,         /* MPJoinAckHMacFailure */
	MP_MIB_JOIN_REJECTED,         /* MPJoinRejected */
	MP_MIB_JOIN_SYNTX,            /* MPJoinSynTx */
	MP_MIB_INFINITE_MAP_TX,       /* InfiniteMapTx */
	MP_MIB_INFINITE_MAP_RX,       /* InfiniteMapRx */
	MP_MIB_ADD_ADDR,              /* AddAddr */
	MP_MIB_ADD_ADDR_TX,           /* AddAddrTx */
	MP_MIB_ECHO_ADD,              /* EchoAdd */
	MP_MIB_ECHO_ADD_TX,           /* EchoAddTx */
	MP_MIB_JOIN_PORT_SYNACKRX,    /* MPJoinPortSynAckRx */
	MP_MIB_RM_ADDR,               /* RmAddr */
	MP_MIB_RM_ADDR_TX,            /* RmAddrTx */
	MP_MIB_PRIO_TX,               /* MPPrioTx */
	MP_MIB_PRIO_RX,               /* MPPrioRx */
	MP_MIB_FAIL_TX,               /* MPFailTx */
	MP_MIB_FAIL_RX,               /* MPFailRx */
	MP_MIB_FASTCLOSE_TX,          /* MPFastcloseTx */
	MP_MIB_FASTCLOSE_RX,          /* MPFastcloseRx */
	MP_MIB_RST_TX,                /* MPRstTx */
	MP_MIB_RST_RX,                /* MPRstRx */
	MP_MIB_DSS_FALLBACK,          /* DssFallback */
	MP_MIB_SIMULT_FALLBACK,       /* SimultConnectFallback */
	MP_MIB_MPCAPABLE_SYNTX_DROP,  /* MPCapableSYNTXDrop */
	MP_MIB_BLACKHOLE,             /* Blackhole */
	MP_MIB__COUNT
};

/* Whose counters: the endpoint the capture was taken at. */
enum mp_mib_side {
	MP_MIB_SIDE_CLIENT = 0, /* each connection's MP_CAPABLE SYN sender */
	MP_MIB_SIDE_SERVER = 1, /* its peer */
	MP_MIB_SIDE_ADDR = 2,   /* the host of each connection that uses `addr` */
};

struct mp_mib_cfg {
	uint8_t side;      /* enum mp_mib_side */
	uint8_t family;    /* MP_MIB_SIDE_ADDR: 4 or 6 */
	uint8_t addr[16];  /* MP_MIB_SIDE_ADDR: the address, network order */
};

struct mp_mib;

/* Creates a counter set. `cfg` is copied. Returns owned, or NULL on OOM. */
struct mp_mib *mp_mib_new(const struct mp_mib_cfg *cfg);

/* Frees `m`; NULL is fine. */
void mp_mib_free(struct mp_mib *m);

/* MP_MIB_SIDE_ADDR needs to know, before counting, which host of each
 * connection owns the address (a secondary address shows up only at its
 * join): feed every packet once through mp_mib_learn (a first pass, with an
 * engine of its own), then again through mp_mib_packet. For the other
 * sides mp_mib_learn is not needed. Arguments as for mp_mib_packet. */
void mp_mib_learn(struct mp_mib *m, const struct mp_pkt *p,
		  const struct mp_pkt_ann *ann);

/* Counts one decoded TCP packet, after mp_engine_packet() annotated it
 * (`ann`) and with that packet's subflow (mp_engine_current(), NULL when
 * untracked). Borrows everything for the call. Returns false on OOM (the
 * packet was not counted; the counters are then a lower bound). */
bool mp_mib_packet(struct mp_mib *m, const struct mp_pkt *p,
		   const struct mp_pkt_ann *ann, const struct mp_subflow *sf);

/* Ends the run: settles the decisions that wait for later packets (a data
 * packet without a mapping is a fallback only when no mapping follows).
 * Call once, after the last packet. */
void mp_mib_finish(struct mp_mib *m);

/* The counters, indexed by enum mp_mib_counter; borrowed, valid until
 * mp_mib_free. Complete after mp_mib_finish. */
const uint64_t *mp_mib_values(const struct mp_mib *m);

/* "MPCapableSYNRX" ... (the kernel's name; nstat adds "MPTcpExt"). Static,
 * "" out of range. */
const char *mp_mib_name(unsigned c);

#define MP_MIB_NSTAT_PREFIX "MPTcpExt"

#endif /* MPANA_MIB_H */
