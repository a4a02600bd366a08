/* SPDX-License-Identifier: BSD-2-Clause */
/* pcap_out.c - the packet writer of -w FILE and --conn ID -w FILE (see
 * pcap_out.h).
 *
 * File format: pcap-savefile(5), draft-ietf-opsawg-pcap §4 (file header:
 * magic, version 2.4, reserved, SnapLen, LinkType) and §5 (record header:
 * seconds, nanoseconds with the 0xa1b23c4d magic, captured length,
 * original length), all in the writer's byte order. Written by hand, not
 * with pcap_dump(3PCAP): sinks do not use libpcap (docs/architecture.md),
 * and pcap_dump reports no write error, which -w must. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpana/dlt.h"
#include "mpana/log.h"
#include "mpana/pcap_out.h"

#define MAGIC_NS 0xa1b23c4du
#define FILE_HDR 24u
#define REC_HDR 16u
#define BUF_SIZE (256u * 1024u) /* records are gathered, then one write(2) */
#define NS 1000000000

struct mp_pcap_out {
	struct mp_pcap_out_cfg cfg; /* copy; path borrowed */
	int fd;               /* output; 1 for "-" */
	bool created;         /* the writer made the file (removed if not kept) */
	bool regular;         /* a regular file the writer opened: truncatable */
	bool started;         /* truncated and header written (into buf) */
	int dlt;              /* link type of the header, once started */
	int err;              /* errno of the first failed write, 0 if none */
	uint64_t whole;       /* file offset after the last record fully written */
	uint64_t written;     /* records fully written */
	uint64_t pending;     /* records in buf */
	bool conn_seen;       /* cfg.conn was finalized (the `conn` op) */
	bool conn_partial;    /* ... built from a partial capture */
	uint8_t conn_reason;  /* ... its close reason */
	size_t n;             /* bytes in buf, from a record boundary */
	uint8_t *buf;         /* BUF_SIZE bytes */
};

/* LINKTYPE_* (the file's numbers, draft-ietf-opsawg-pcap-linktype) of a
 * DLT_* that mpana decodes: the same number except DLT_RAW. */
static uint32_t dlt_linktype(int dlt)
{
	switch (dlt) {
	case MP_DLT_RAW:
		return 101; /* LINKTYPE_RAW */
	default:
		return (uint32_t)dlt;
	}
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof v); /* host order, as the magic says */
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof v);
}

struct mp_pcap_out *mp_pcap_out_open(const struct mp_pcap_out_cfg *cfg)
{
	struct mp_pcap_out *w = calloc(1, sizeof *w);
	struct stat st;

	if (!w || !(w->buf = malloc(BUF_SIZE))) {
		MP_LOG(MP_LOG_ERR, "%s: out of memory", cfg->path);
		free(w);
		return NULL;
	}
	w->cfg = *cfg;
	if (!w->cfg.snaplen)
		w->cfg.snaplen = MP_PCAP_OUT_SNAPLEN;
	if (!strcmp(cfg->path, "-")) {
		w->fd = STDOUT_FILENO;
		return w;
	}
	/* Not truncated yet: an existing file stays as it is when the capture
	 * cannot be read (as tcpdump, which opens its input first). */
	w->fd = open(cfg->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (w->fd >= 0)
		w->created = true;
	else if (errno == EEXIST)
		w->fd = open(cfg->path, O_WRONLY | O_CLOEXEC);
	if (w->fd < 0) {
		MP_LOG(MP_LOG_ERR, "%s: %s", cfg->path, strerror(errno));
		free(w->buf);
		free(w);
		return NULL;
	}
	w->regular = fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode);
	return w;
}

bool mp_pcap_out_same_file(const struct mp_pcap_out *w, const char *path)
{
	struct stat a, b;

	return path && fstat(w->fd, &a) == 0 && stat(path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* After a write of `done` bytes of buf failed: finds the last record
 * boundary within them (records are laid out by this file, caplen at
 * offset 8 of each header), so that the file can be cut back there. */
static void account_partial(struct mp_pcap_out *w, size_t done)
{
	size_t off = 0;

	if (w->whole == 0 && w->n >= FILE_HDR) { /* buf starts with the header */
		if (done < FILE_HDR)
			return;
		off = FILE_HDR;
	}
	while (off + REC_HDR <= w->n) {
		uint32_t caplen;
		memcpy(&caplen, w->buf + off + 8, sizeof caplen);
		if (off + REC_HDR + caplen > done)
			break;
		off += REC_HDR + caplen;
		w->written++;
	}
	w->whole += off;
}

/* Reports the first write error once; the file is cut back to its last
 * whole record when the writer owns it. */
static void fail(struct mp_pcap_out *w, int err)
{
	w->err = err;
	if (w->regular && ftruncate(w->fd, (off_t)w->whole) != 0)
		w->whole = UINT64_MAX; /* could not: the tail is damaged */
	if (err == EPIPE && w->fd == STDOUT_FILENO)
		return; /* the reader went away, as with head(1): no message */
	if (!w->regular)
		MP_LOG(MP_LOG_ERR, "writing %s: %s (after %llu packets)", w->cfg.path,
		       strerror(err), (unsigned long long)w->written);
	else if (w->whole == UINT64_MAX)
		MP_LOG(MP_LOG_ERR, "writing %s: %s (its last packet is incomplete)",
		       w->cfg.path, strerror(err));
	else
		MP_LOG(MP_LOG_ERR, "writing %s: %s (it holds the first %llu packets, "
		       "whole)", w->cfg.path, strerror(err), (unsigned long long)w->written);
}

/* Writes n bytes at p, retrying short writes; returns the bytes written
 * and sets *err on failure. */
static size_t write_all(int fd, const uint8_t *p, size_t n, int *err)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = write(fd, p + done, n - done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			*err = errno;
			break;
		}
		done += (size_t)r;
	}
	return done;
}

static void flush(struct mp_pcap_out *w)
{
	int err = 0;
	size_t done;

	if (w->err || !w->n)
		return;
	done = write_all(w->fd, w->buf, w->n, &err);
	if (err) {
		account_partial(w, done);
		w->n = 0;
		w->pending = 0;
		fail(w, err);
		return;
	}
	w->whole += w->n;
	w->written += w->pending;
	w->n = 0;
	w->pending = 0;
}

/* Truncates an existing file and puts the file header into buf. */
static void start(struct mp_pcap_out *w, int dlt)
{
	uint8_t *h = w->buf;

	w->started = true;
	w->dlt = dlt;
	if (w->regular && !w->created && ftruncate(w->fd, 0) != 0) {
		fail(w, errno);
		return;
	}
	put32(h, MAGIC_NS);
	put16(h + 4, 2);  /* version 2.4 */
	put16(h + 6, 4);
	put32(h + 8, 0);  /* reserved (thiszone) */
	put32(h + 12, 0); /* reserved (sigfigs) */
	put32(h + 16, w->cfg.snaplen);
	put32(h + 20, dlt_linktype(dlt));
	w->n = FILE_HDR;
}

static void po_linktype(struct mp_sink *s, int dlt)
{
	struct mp_pcap_out *w = s->user;

	if (!w->started)
		start(w, dlt);
}

/* Writes a record larger than buf on its own (buf is empty: flushed). */
static void write_direct(struct mp_pcap_out *w, const uint8_t hdr[REC_HDR],
			 const uint8_t *bytes, uint32_t caplen)
{
	int err = 0;

	write_all(w->fd, hdr, REC_HDR, &err);
	if (!err)
		write_all(w->fd, bytes, caplen, &err);
	if (err) {
		fail(w, err); /* cut back to `whole`, before this record */
		return;
	}
	w->whole += REC_HDR + (uint64_t)caplen;
	w->written++;
}

/* A record: header and bytes into buf. */
static void po_frame(struct mp_sink *s, const struct mp_frame *f, int dlt,
		     const uint8_t *bytes, const struct mp_pkt_ann *ann)
{
	struct mp_pcap_out *w = s->user;
	int64_t t = (int64_t)f->ts_ns, sec = t / NS, frac = t % NS;
	size_t need = REC_HDR + (size_t)f->caplen;
	uint8_t hdr[REC_HDR];

	if (w->cfg.conn && (!ann || ann->conn != w->cfg.conn))
		return;
	if (w->err || !w->started)
		return; /* failed; or never told the link type (cannot be) */
	if (__builtin_expect(dlt != w->dlt, 0)) {
		/* several inputs (-r a -r b) of other link types */
		flush(w);
		if (!w->err) {
			w->err = EINVAL;
			MP_LOG(MP_LOG_ERR, "writing %s: a packet of link type %d among packets of "
			       "link type %d (several inputs?): a pcap file holds one link type; "
			       "it holds the first %llu packets", w->cfg.path, dlt,
			       w->dlt, (unsigned long long)w->written);
		}
		return;
	}
	if (frac < 0) { /* before 1970: the readers sign-extend the seconds */
		sec--;
		frac += NS;
	}
	put32(hdr, (uint32_t)sec);
	put32(hdr + 4, (uint32_t)frac);
	put32(hdr + 8, f->caplen);
	put32(hdr + 12, f->wirelen);
	if (w->n + need > BUF_SIZE)
		flush(w);
	if (w->err)
		return;
	if (need > BUF_SIZE) { /* only with a snaplen above 256 KiB */
		write_direct(w, hdr, bytes, f->caplen);
		return;
	}
	memcpy(w->buf + w->n, hdr, REC_HDR);
	memcpy(w->buf + w->n + REC_HDR, bytes, f->caplen);
	w->n += need;
	w->pending++;
	if (w->cfg.packet_flush)
		flush(w);
}

/* The selected connection at its end: what a one-pass selection of its
 * packets may have missed (told at close). */
static void po_conn(struct mp_sink *s, const struct mp_conn *c)
{
	struct mp_pcap_out *w = s->user;

	if (!w->cfg.conn || c->id != w->cfg.conn)
		return;
	w->conn_seen = true;
	w->conn_partial = c->partial;
	w->conn_reason = c->close_reason;
	for (const struct mp_subflow *sf = c->sf_head; sf; sf = sf->conn_next)
		w->conn_partial |= sf->kind == MP_SF_PARTIAL || sf->orphan;
}

/* Warns when the file may not hold every packet of the selected
 * connection (docs/mpana.1, WRITING PACKETS). */
static void warn_conn(const struct mp_pcap_out *w)
{
	const char *p = w->cfg.path;
	unsigned id = w->cfg.conn;

	if (!w->conn_seen && !w->written)
		MP_LOG(MP_LOG_WARN, "no connection %u in the capture: %s holds no packets",
		       id, p);
	else if (!w->conn_seen)
		MP_LOG(MP_LOG_WARN, "connection %u was merged into another one (its subflows "
		       "were seen without their handshakes): %s holds only the packets read "
		       "while it had that number", id, p);
	else if (w->conn_partial)
		MP_LOG(MP_LOG_WARN, "connection %u was seen without some of its handshakes: "
		       "packets of its subflows read before they were matched to it are "
		       "not in %s", id, p);
	else if (w->conn_reason == MP_CLOSE_EVICTED || w->conn_reason == MP_CLOSE_IDLE)
		MP_LOG(MP_LOG_WARN, "connection %u was dropped before the end of the capture "
		       "(%s): packets of its subflows read after that are not in %s", id,
		       w->conn_reason == MP_CLOSE_IDLE ? "idle" : "--max-conns", p);
}

static bool po_failed(const struct mp_sink *s)
{
	const struct mp_pcap_out *w = s->user;

	return w->err != 0;
}

static const struct mp_sink_ops pcap_out_ops = {
	.linktype = po_linktype,
	.frame = po_frame,
	.conn = po_conn,
	.failed = po_failed,
};

void mp_sink_pcap_out_init(struct mp_sink *s, struct mp_pcap_out *w)
{
	memset(s, 0, sizeof *s);
	s->ops = &pcap_out_ops;
	s->out = NULL; /* writes its own file */
	s->quiet = true;
	s->user = w;
}

int mp_pcap_out_close(struct mp_pcap_out *w, int dlt, bool keep)
{
	int err;

	if (!w)
		return 0;
	if (!keep && !w->started) {
		/* the capture could not be read: leave no new file behind */
		if (w->created)
			unlink(w->cfg.path);
	} else {
		if (!w->started)
			start(w, dlt);
		flush(w);
		if (w->cfg.conn && !w->err)
			warn_conn(w);
	}
	err = w->err;
	if (w->fd != STDOUT_FILENO && close(w->fd) != 0 && !err) {
		err = errno; /* NFS and the like report late */
		MP_LOG(MP_LOG_ERR, "writing %s: %s", w->cfg.path, strerror(err));
	}
	free(w->buf);
	free(w);
	return err;
}
