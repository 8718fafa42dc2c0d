/* Shared between the nxs_queue*.c files only: the record format, the log
 * segments, the in-memory index and the queue's state.  Callers see
 * nxs_queue_t as opaque (nxs_queue.h).
 *
 * Files: nxs_queue.c (open, recovery, replay, load, stats, close),
 * nxs_queue_commit.c (append, group commit, DONE/ATTEMPT, segment rotation),
 * nxs_queue_wal.c (CRC32C, record framing, segment files),
 * nxs_queue_index.c (seq index, idempotency keys),
 * nxs_queue_snapshot.c (the apr_dbm snapshot's format, reading, recovery),
 * nxs_queue_checkpoint.c (writing a snapshot). */
#ifndef NXS_QUEUE_INT_H
#define NXS_QUEUE_INT_H

#include <apr_dbm.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_rwlock.h>

#include <sys/uio.h>

#include "queue/nxs_queue.h"

/* ---- Record framing (nxs_queue_wal.c) -------------------------------------
 * Every record on disk, in a log segment or as a snapshot value, is a frame:
 *   magic "NXQ2" | u32 body length | u32 CRC32C | u8 type | body
 * ("NXQ2": version 2, whose ENQUEUE records carry the event's record; a
 * version-1 file reads as damaged, never as wrong data.)
 * all integers little-endian; the CRC covers the length, the type and the
 * body, so a torn or flipped byte anywhere is detected.  The magic lets
 * recovery tell a torn tail (nothing valid after the damage) from a corrupt
 * middle (valid records follow).
 *
 * The frames of one append (its ENQUEUE records, then its IDEM record) form
 * a group: only the last has NXS_QF_END in its type byte.  Recovery applies
 * a group only when its end is there, so a write torn by a crash never
 * leaves deliveries without their idempotency key or half an event. */
#define NXS_QF_HDR      13
#define NXS_QF_BODY_MAX (64u * 1024 * 1024) /* larger lengths are damage */

enum {
    NXS_QF_HEADER = 1, /* first record of a segment: version, segment number, next seq */
    NXS_QF_ENQUEUE,    /* a delivery; its seq is the LAST field (see nxs_qf_enqueue_put) */
    NXS_QF_DONE,       /* seq */
    NXS_QF_ATTEMPT,    /* seq, attempts */
    NXS_QF_IDEM,       /* expires_at, digest, account, event id */
    NXS_QF_META,       /* snapshot only: version, covered segment, next seq, ... */
    NXS_QF_KEYS        /* snapshot only: a bucket of (digest, expires_at), sorted */
};

#define NXS_QF_TYPE 0x7f
#define NXS_QF_END  0x80

enum { NXS_QF_OK = 0, NXS_QF_SHORT, NXS_QF_BAD };

#define NXS_QUEUE_FORMAT  2  /* 2: snapshot records in blocks, keys in buckets */
#define NXS_QUEUE_KEY_LEN 16 /* idempotency digest: SHA-256 prefix */
#define NXS_QUEUE_ATT_MAX 0xFFFFu
#define NXS_QUEUE_STR_MAX 0xFFFFu
#define NXS_QUEUE_SEG_MAX 0xFFFFFFFFu /* offsets in the index are 32-bit */
/* Seqs run from 1 to NXS_QUEUE_SEQ_MAX (centuries at a million a second).
 * A record naming a larger one is malformed, and a segment header or
 * snapshot naming a larger next seq is not believed: so recovery never
 * makes the next seq wrap round to one in use, whatever a checksum-valid
 * file says. */
#define NXS_QUEUE_SEQ_MAX ((apr_uint64_t)1 << 62)

/* A growable malloc'd byte buffer (pools never give memory back). */
typedef struct nxs_qbuf_t {
    char *p;
    apr_size_t len, cap;
} nxs_qbuf_t;

apr_status_t nxs_qbuf_reserve(nxs_qbuf_t *b, apr_size_t more);
void nxs_qbuf_shrink(nxs_qbuf_t *b, apr_size_t keep);
void nxs_qbuf_free(nxs_qbuf_t *b);

static inline void nxs_qle_put16(char *p, apr_uint32_t v)
{
    p[0] = (char)(v & 0xff);
    p[1] = (char)((v >> 8) & 0xff);
}
static inline void nxs_qle_put32(char *p, apr_uint32_t v)
{
    int i;
    for (i = 0; i < 4; ++i) {
        p[i] = (char)((v >> (8 * i)) & 0xff);
    }
}
static inline void nxs_qle_put64(char *p, apr_uint64_t v)
{
    int i;
    for (i = 0; i < 8; ++i) {
        p[i] = (char)((v >> (8 * i)) & 0xff);
    }
}
static inline apr_uint32_t nxs_qle_get16(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (apr_uint32_t)u[0] | ((apr_uint32_t)u[1] << 8);
}
static inline apr_uint32_t nxs_qle_get32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (apr_uint32_t)u[0] | ((apr_uint32_t)u[1] << 8) | ((apr_uint32_t)u[2] << 16) |
           ((apr_uint32_t)u[3] << 24);
}
static inline apr_uint64_t nxs_qle_get64(const char *p)
{
    return (apr_uint64_t)nxs_qle_get32(p) | ((apr_uint64_t)nxs_qle_get32(p + 4) << 32);
}

/* CRC32C (Castagnoli), chainable: crc(A || B) == crc32c(crc32c(0, A), B). */
apr_uint32_t nxs_queue_crc32c(apr_uint32_t crc, const void *buf, apr_size_t len);

/* Size of R's ENQUEUE frame, or 0 when a string is too long. */
apr_size_t nxs_qf_enqueue_size(const nxs_queue_record_t *r);

/* Writes R's ENQUEUE frame into OUT (nxs_qf_enqueue_size bytes) without its
 * seq, and returns the CRC of everything before the seq: the costly part
 * (the payload) is summed outside the queue's lock, and nxs_qf_enqueue_seal
 * finishes the frame once the seq is known. */
apr_uint32_t nxs_qf_enqueue_put(char *out, const nxs_queue_record_t *r, apr_uint32_t attempts,
                                int end);
void nxs_qf_enqueue_seal(char *frame, apr_size_t frame_len, apr_uint64_t seq,
                         apr_uint32_t partial_crc);

/* Appends a complete frame of TYPE with BODY to B, ending its group. */
apr_status_t nxs_qf_put(nxs_qbuf_t *b, int type, const char *body, apr_size_t len);

/* Checks the frame at BUF (AVAIL bytes available): NXS_QF_OK with *type (the
 * type byte, NXS_QF_END included),
 * *body, *body_len and *frame_len; NXS_QF_SHORT when *frame_len bytes are
 * needed to tell; NXS_QF_BAD when it is damaged. */
int nxs_qf_parse(int *type, const char **body, apr_uint32_t *body_len, apr_size_t *frame_len,
                 const char *buf, apr_size_t avail);

/* Decodes an ENQUEUE body.  With P, fills every field (copies in P);
 * without, only seq, accepted_at and attempts.  APR_EGENERAL if malformed
 * (lengths that do not add up, a string holding a NUL, a seq of 0 or above
 * NXS_QUEUE_SEQ_MAX). */
apr_status_t nxs_qf_enqueue_decode(nxs_queue_record_t *r, const char *body, apr_uint32_t len,
                                   apr_pool_t *p);

/* Re-frames an ENQUEUE frame with a new attempt count (checkpoint). */
void nxs_qf_enqueue_set_attempts(char *frame, apr_size_t frame_len, apr_uint32_t attempts);

/* The idempotency digest of (account, event id). */
apr_status_t nxs_queue_key_digest(unsigned char *out, const char *account, const char *event_id);

/* IDEM body: i64 expires | digest | u16 + account | u16 + event id. */
apr_status_t nxs_qf_idem_put(nxs_qbuf_t *b, const unsigned char *digest, apr_time_t expires,
                             const char *account, const char *event_id);
apr_status_t nxs_qf_idem_decode(unsigned char *digest, apr_time_t *expires, const char *body,
                                apr_uint32_t len);

/* ---- Log segments (nxs_queue_wal.c) ------------------------------------ */
#define NXS_QUEUE_SEG_HDR (NXS_QF_HDR + 16) /* a segment's HEADER record */

typedef struct nxs_queue_seg_t {
    apr_uint32_t no;
    int fd;
    apr_off_t size; /* end of the last good (and, when written by us, synced) record */
    char *path;     /* malloc'd */
} nxs_queue_seg_t;

typedef struct nxs_queue_scan_t {
    apr_off_t good_end; /* end of the last good record */
    apr_off_t file_size;
    int damage; /* 0, NXS_QSCAN_TORN or NXS_QSCAN_CORRUPT */
    apr_size_t records;
} nxs_queue_scan_t;

enum { NXS_QSCAN_TORN = 1, NXS_QSCAN_CORRUPT };

typedef apr_status_t nxs_queue_visit_fn(void *baton, nxs_queue_seg_t *seg, apr_off_t off, int type,
                                        const char *body, apr_uint32_t body_len,
                                        apr_size_t frame_len);

char *nxs_queue_seg_name(const char *path, apr_uint32_t no);
/* Creates segment NO with its HEADER record, synced, directory synced. */
apr_status_t nxs_queue_seg_create(nxs_queue_seg_t **out, const char *path, const char *dir,
                                  apr_uint32_t no, apr_uint64_t next_seq);
apr_status_t nxs_queue_seg_open(nxs_queue_seg_t **out, const char *path, apr_uint32_t no);
void nxs_queue_seg_free(nxs_queue_seg_t *seg);
/* Reads SEG from the start, calling VISIT for each good record; stops at the
 * first damage and says what kind in *res. */
apr_status_t nxs_queue_seg_scan(nxs_queue_scan_t *res, nxs_queue_seg_t *seg,
                                nxs_queue_visit_fn *visit, void *baton);
/* Writes IOV at BASE and fdatasyncs; on failure cuts the file back to BASE
 * (*cut_failed set when even that failed). */
apr_status_t nxs_queue_seg_write(int *cut_failed, nxs_queue_seg_t *seg, const struct iovec *iov,
                                 int niov, apr_off_t base);
apr_status_t nxs_queue_seg_cut(nxs_queue_seg_t *seg, apr_off_t at);
apr_status_t nxs_queue_sync_dir(const char *dir);
apr_status_t nxs_queue_sync_path(const char *path);
apr_status_t nxs_queue_pread_all(int fd, char *buf, apr_size_t len, apr_off_t off);

/* ---- Index (nxs_queue_index.c) -------------------------------------------
 * seq -> where the record is, 24 bytes per live record, in seq order: a
 * list of chunks that are appended at the end and shrink as records finish
 * (a pool never gives memory back, so chunks are malloc'd). */
typedef struct nxs_queue_ent_t {
    apr_uint64_t seq;
    apr_uint32_t seg; /* 0: in the snapshot (its block is found by seq) */
    apr_uint32_t off; /* frame offset in the segment */
    apr_uint32_t len; /* frame length */
    apr_uint16_t attempts;
    apr_uint16_t dead;
} nxs_queue_ent_t;

typedef struct nxs_queue_chunk_t nxs_queue_chunk_t;

typedef struct nxs_queue_index_t {
    nxs_queue_chunk_t **c;
    apr_size_t nc, capc;
    apr_size_t live;
    apr_size_t bytes;
} nxs_queue_index_t;

apr_status_t nxs_queue_index_push(nxs_queue_index_t *x, const nxs_queue_ent_t *e);
nxs_queue_ent_t *nxs_queue_index_find(nxs_queue_index_t *x, apr_uint64_t seq);
int nxs_queue_index_remove(nxs_queue_index_t *x, apr_uint64_t seq);
apr_uint64_t nxs_queue_index_last_seq(const nxs_queue_index_t *x);
/* Copies up to MAX live entries with seq > AFTER, in order. */
apr_size_t nxs_queue_index_copy(nxs_queue_ent_t *out, apr_size_t max, nxs_queue_index_t *x,
                                apr_uint64_t after);
/* Entries in segments 1..COVERED now live in the snapshot. */
void nxs_queue_index_rebase(nxs_queue_index_t *x, apr_uint32_t covered);
void nxs_queue_index_free(nxs_queue_index_t *x);

/* Idempotency keys accepted since the last checkpoint: an open-addressing
 * table of digests (32 bytes each).  SEG is the segment holding the key, 0
 * while its commit is in progress. */
typedef struct nxs_queue_key_t {
    unsigned char d[NXS_QUEUE_KEY_LEN];
    apr_time_t expires;
    apr_uint32_t seg;
    apr_uint32_t used;
} nxs_queue_key_t;

typedef struct nxs_queue_keys_t {
    nxs_queue_key_t *slot;
    apr_size_t cap, n;
} nxs_queue_keys_t;

nxs_queue_key_t *nxs_queue_keys_find(nxs_queue_keys_t *k, const unsigned char *d);
apr_status_t nxs_queue_keys_put(nxs_queue_keys_t *k, const unsigned char *d, apr_time_t expires,
                                apr_uint32_t seg);
void nxs_queue_keys_del(nxs_queue_keys_t *k, const unsigned char *d);
/* Forgets keys held in segments 1..COVERED (now in the snapshot). */
apr_status_t nxs_queue_keys_prune(nxs_queue_keys_t *k, apr_uint32_t covered);
void nxs_queue_keys_free(nxs_queue_keys_t *k);

/* ---- Snapshot blocks (nxs_queue_snapshot.c) -------------------------------
 * GDBM stores about 10 000 values/s into a growing file whatever their size
 * up to ~16 KB (measured here), so a snapshot packs records, in seq order,
 * into blocks of about 64 KB ("b" + block number), and idempotency keys into
 * buckets by digest prefix ("k" + bucket).  The directory maps each block's
 * first seq to its number, 16 bytes per block. */
#define NXS_QUEUE_BLOCK    (64 * 1024)
#define NXS_QUEUE_BUCKET   256 /* keys per bucket, about */
#define NXS_QUEUE_BITS_MAX 20

typedef struct nxs_queue_blk_t {
    apr_uint64_t first_seq;
    apr_uint32_t no;
} nxs_queue_blk_t;

/* An apr_dbm handle in a pool of its own (unmanaged, so that whichever
 * thread reopens it touches no shared allocator), with a one-block cache:
 * records are mostly read in seq order, so consecutive reads hit the same
 * block.
 *
 * GDBM maps the whole file and every page it touched stays in the process's
 * RSS (as file pages) until the handle is closed, so a handle is reopened
 * after opts.dbm_remap bytes (8 MiB) read or written through it: a replay
 * of a million records then adds ~8 MiB, not the snapshot's size. */

typedef struct nxs_queue_dbm_t {
    apr_dbm_t *db; /* NULL: closed */
    apr_pool_t *pool;
    const char *type;
    const char *path; /* must outlive the handle */
    apr_int32_t mode;
    apr_size_t since; /* bytes through it since it was opened */
    apr_size_t remap; /* ... that make it due for a reopen */
    nxs_qbuf_t buf;   /* the cached block */
    apr_uint32_t no;
    int ok;
} nxs_queue_dbm_t;

apr_status_t nxs_queue_dbm_open(nxs_queue_dbm_t *h, const char *type, const char *path,
                                apr_int32_t mode, apr_size_t remap);
/* Reopens H when it is due (see above); a reader keeps its old handle if
 * that fails. */
apr_status_t nxs_queue_dbm_refresh(nxs_queue_dbm_t *h);
/* Closes H's handle (the block cache too when ALL). */
void nxs_queue_dbm_close(nxs_queue_dbm_t *h, int all);
/* Copies KEY's value into OUT; *found says whether there was one. */
apr_status_t nxs_queue_dbm_fetch(nxs_qbuf_t *out, int *found, nxs_queue_dbm_t *h, const char *key,
                                 apr_size_t klen);

/* ---- The queue ---------------------------------------------------------- */

/* One producer's part of a commit, on its stack: its encoded frames, and
 * where the leader reports the outcome. */
typedef struct nxs_queue_contrib_t {
    struct nxs_queue_contrib_t *next;
    char *buf; /* n ENQUEUE frames, then the IDEM frame if any */
    apr_size_t len;
    apr_size_t n;
    apr_uint32_t *offs; /* frame offsets in buf; offs[n] == end of the last */
    const nxs_queue_record_t *recs;
    apr_uint64_t first_seq;
    int has_key;
    unsigned char key[NXS_QUEUE_KEY_LEN];
    int done;
    apr_status_t rv;
} nxs_queue_contrib_t;

typedef struct nxs_queue_batch_t {
    nxs_qbuf_t lazy; /* DONE and ATTEMPT frames, written first */
    nxs_queue_contrib_t *head, *tail;
} nxs_queue_batch_t;

struct nxs_queue_t {
    apr_pool_t *pool;
    const char *type;
    const char *path;       /* PATH as given */
    const char *dir;        /* its directory, for fsync */
    const char *snap_final; /* PATH.dbm */
    nxs_queue_opts_t opts;
    int lock_fd;
    int closed;

    /* Lock order: mu, then files, then snap_mu.  ckpt_mu is taken before all. */
    apr_thread_mutex_t *mu;      /* everything below unless said otherwise */
    apr_thread_cond_t *cv;       /* a commit finished, or leadership was released */
    apr_thread_rwlock_t *files;  /* read: using a segment fd or the snapshot handle
                                    without mu; write: closing or swapping them */
    apr_thread_mutex_t *snap_mu; /* the snapshot handle serves one call at a time */
    apr_thread_mutex_t *ckpt_mu; /* one checkpoint at a time */

    nxs_queue_index_t idx;
    nxs_queue_keys_t keys;
    apr_uint64_t next_seq;
    nxs_queue_seg_t **segs; /* ascending numbers; the last is the active one */
    apr_size_t nsegs, capsegs;
    nxs_queue_batch_t fill; /* what the next leader writes */
    nxs_qbuf_t spare_lazy;
    int leading; /* a leader (or a checkpoint's rotation) owns the active segment */
    apr_status_t broken;

    nxs_queue_dbm_t snap; /* read-only on PATH.dbm; snap.db NULL: no snapshot.
                             Used under snap_mu, and mu or files held. */
    nxs_queue_blk_t *blk; /* the snapshot's block directory, by first seq */
    apr_size_t nblk;
    apr_uint32_t key_bits; /* its key buckets: 2^key_bits */
    apr_uint32_t covered;  /* the snapshot holds everything of segments 1..covered */
    apr_off_t snap_bytes;
    apr_size_t snap_keys;
    apr_off_t dirty; /* bytes logged since the last checkpoint */

    apr_time_t last_ckpt;
    apr_interval_time_t last_ckpt_took;
    apr_status_t last_ckpt_rv;
    apr_size_t checkpoints;
    apr_uint64_t commits, committed;
    apr_size_t dropped;
    apr_uint64_t oldest_seq; /* cache for stats */
    apr_time_t oldest_at;
};

apr_time_t nxs_queue_now(const nxs_queue_t *q);
nxs_queue_seg_t *nxs_queue_seg_by_no(nxs_queue_t *q, apr_uint32_t no);
apr_status_t nxs_queue_seg_add(nxs_queue_t *q, nxs_queue_seg_t *seg);
apr_off_t nxs_queue_log_bytes(const nxs_queue_t *q);

/* nxs_queue_commit.c */
/* Waits (mu held) until C's batch is committed, leading it if nobody is. */
apr_status_t nxs_queue_commit_wait(nxs_queue_t *q, nxs_queue_contrib_t *c);
/* Takes the right to write the active segment (mu held, may wait). */
void nxs_queue_lead_acquire(nxs_queue_t *q);
void nxs_queue_lead_release(nxs_queue_t *q);
/* Closes the active segment and opens the next (caller leads; mu held, dropped meanwhile). */
apr_status_t nxs_queue_rotate(nxs_queue_t *q);
void nxs_queue_batch_free(nxs_queue_t *q);

/* nxs_queue_snapshot.c */
typedef struct nxs_queue_snapinfo_t {
    int found;
    int unreadable; /* renamed aside, nothing of it used */
    int damaged;    /* some values were bad: the rest is used, a link kept aside */
    apr_uint32_t covered;
    apr_uint64_t next_seq;
} nxs_queue_snapinfo_t;

/* META body: format u32 | covered u32 | next seq u64 | created i64 |
 * records u64 | keys u64 | key bits u32 | blocks u32 */
#define NXS_QUEUE_META_LEN 48

apr_status_t nxs_queue_snapshot_load(nxs_queue_snapinfo_t *info, nxs_queue_t *q,
                                     nxs_queue_report_t *report);
/* KIND + NO big-endian: a snapshot key of 5 bytes. */
void nxs_queue_dbm_key(char *key, char kind, apr_uint32_t no);
/* The top BITS bits of a digest (or of any 4 big-endian bytes). */
apr_uint32_t nxs_queue_bucket_of(const unsigned char *d, apr_uint32_t bits);
/* 1 when V is exactly one good frame of TYPE. */
int nxs_queue_value_frame(const char **body, apr_uint32_t *blen, const char *v, apr_size_t len,
                          int type);
void nxs_queue_snapshot_close(nxs_queue_t *q);
/* Sets a damaged file aside as FROM.corrupt-<time>: renamed, or with KEEP
 * hard-linked (the original stays in use until a checkpoint replaces it;
 * nothing is done if it has a link already).  Returns the new name or NULL. */
char *nxs_queue_set_aside(nxs_queue_t *q, const char *from, int keep, nxs_queue_report_t *report);
/* Looks key D up in the snapshot (mu held): *taken is 1 when it is there and
 * unexpired at NOW. */
apr_status_t nxs_queue_snapshot_has_key(int *taken, nxs_queue_t *q, const unsigned char *d,
                                        apr_time_t now);

/* The snapshot block that holds SEQ (mu held), or 0 when none. */
int nxs_queue_block_of(apr_uint32_t *no, const nxs_queue_t *q, apr_uint64_t seq);

/* Reads entry E's frame into OUT and checks it: from SEG, or for a snapshot
 * record from block BLK through H (NULL: the queue's own handle, taken under
 * snap_mu).  APR_EGENERAL when damaged or missing. */
apr_status_t nxs_queue_read_frame(nxs_qbuf_t *out, nxs_queue_t *q, nxs_queue_seg_t *seg,
                                  nxs_queue_dbm_t *h, apr_uint32_t blk, const nxs_queue_ent_t *e);

#endif
