/* The durable delivery queue (docs/CONTRACT.md "Delivery"): what the daemon has accepted
 * and not yet delivered, kept so that it survives kill -9 of any process and,
 * with a disk that honours flushes, power loss.
 *
 * On disk, next to PATH:
 *   PATH.log.N   append-only log segments of checksummed records (length +
 *                CRC32C per record); every acknowledged append is covered by
 *                an fdatasync (group commit: one fdatasync for everything
 *                pending, however many producer threads wait);
 *   PATH.dbm     a snapshot in apr_dbm (GDBM by default, or DB) of every live
 *                record (packed in seq order into ~64 KB values) and every
 *                unexpired idempotency key (in sorted buckets).  It is never
 *                modified in place (no apr_dbm type survives kill -9 when it
 *                is, see bench/primitives/README.md): a checkpoint writes a
 *                new file, syncs it, renames it over the old one, syncs the
 *                directory, and only then deletes the log segments it covers;
 *   PATH.lock    flock()ed by the owner: one process owns the queue.
 * A kill at any instant leaves the old snapshot + its logs or the new
 * snapshot + its logs; recovery replays the logs newer than the snapshot.
 *
 * Guarantees:
 * - nxs_queue_append returns success only once its records and idempotency
 *   key are on disk and synced; a failure (disk full, I/O error) writes
 *   nothing that recovery would replay, and the queue stays usable.  An
 *   append is all or nothing at recovery too: a write torn by a crash loses
 *   all its records and its key, never some of them.
 * - Completion (DONE) and attempt records are buffered and synced with the
 *   next commit, nxs_queue_flush or nxs_queue_maybe_checkpoint: a crash can
 *   lose the last ones, so a delivered message may be delivered once more
 *   after a restart (never more than once per crash).
 * - Damage is reported, never fatal: a torn tail is cut; a segment with a
 *   bad record before its end keeps what precedes it (the rest of that
 *   segment is lost) and a snapshot with bad values keeps the others, both
 *   linked aside as FILE.corrupt-<time> and replaced by a checkpoint run
 *   during recovery; a snapshot apr_dbm cannot open or iterate is renamed
 *   aside and the logs are replayed alone, losing what lived only in it
 *   (records and idempotency keys older than its checkpoint).
 * - Memory stays flat: payloads are read back from disk on demand; the queue
 *   keeps 24 bytes per live record, 32 bytes per idempotency key accepted
 *   since the last checkpoint (older keys are looked up in the snapshot) and
 *   16 bytes per 64 KB snapshot block.
 *
 * Thread safety: every call may come from any thread at the same time,
 * except nxs_queue_open and nxs_queue_close.  Producer threads that append
 * concurrently share fdatasyncs.  A checkpoint (normally from one background
 * thread) writes the snapshot while appends continue in a new log segment;
 * it holds the queue's lock only to copy small slices of the index. */
#ifndef NXS_QUEUE_H
#define NXS_QUEUE_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

typedef struct nxs_queue_t nxs_queue_t;

/* One queued delivery.  On append, SEQ is ignored (the queue assigns it);
 * strings must be non-NULL (may be empty) and at most 65535 bytes. */
typedef struct nxs_queue_record_t {
    apr_uint64_t seq; /* strictly increasing in acceptance order, never reused */
    apr_time_t accepted_at;
    const char *account;
    const char *team;
    const char *channel;
    const char *event_id;
    const char *category;
    const char *delivery_id;
    const char *record;  /* the event's record as compact JSON {"kind","id"}, "" or NULL for none */
    unsigned attempts;   /* failed tries so far (saturates at 65535) */
    const char *payload; /* the chat.postMessage JSON; NUL-terminated when loaded */
    apr_size_t payload_len;
} nxs_queue_record_t;

/* The idempotency key of an event: (account, event id) is accepted once
 * until EXPIRES_AT.  Keys are compared through a 128-bit SHA-256 prefix of
 * account and event id. */
typedef struct nxs_queue_idem_t {
    const char *account;
    const char *event_id;
    apr_time_t expires_at;
} nxs_queue_idem_t;

/* The steps of a checkpoint, for nxs_queue_opts_t.checkpoint_hook. */
typedef enum {
    NXS_QUEUE_CKPT_ROTATED = 1, /* appends go to a new segment */
    NXS_QUEUE_CKPT_WRITTEN,     /* PATH.dbm.tmp-N written and closed */
    NXS_QUEUE_CKPT_SYNCED,      /* ... and fdatasync'ed */
    NXS_QUEUE_CKPT_RENAMED,     /* renamed over PATH.dbm (directory not yet synced) */
    NXS_QUEUE_CKPT_DIR_SYNCED,  /* directory synced: the new snapshot is durable */
    NXS_QUEUE_CKPT_LOGS_DELETED /* covered segments deleted */
} nxs_queue_ckpt_step_e;

typedef apr_time_t nxs_queue_clock_fn(void *baton);
typedef apr_status_t nxs_queue_ckpt_hook_fn(void *baton, nxs_queue_ckpt_step_e step);

typedef struct nxs_queue_opts_t {
    apr_off_t checkpoint_bytes;              /* maybe_checkpoint: when the logs exceed this and half
                                                the snapshot (64 MiB) */
    apr_interval_time_t checkpoint_interval; /* ... or this long after the last one, if
                                                anything was logged since (5 min; 0: never) */
    apr_off_t segment_bytes;   /* a segment past this size is closed for appends (256 MiB) */
    apr_size_t record_max;     /* largest encoded record accepted by append (4 MiB) */
    apr_size_t lazy_max;       /* buffered DONE/ATTEMPT bytes that force a commit (1 MiB) */
    apr_size_t dbm_remap;      /* bytes read or written through an apr_dbm handle before it
                                  is reopened, because GDBM maps the whole file and what it
                                  touched stays in RSS until then (8 MiB) */
    nxs_queue_clock_fn *clock; /* NULL: apr_time_now; decides idempotency expiry */
    void *clock_baton;
    /* Test seam: called after each checkpoint step; a non-success return stops
     * the checkpoint right there, as a crash would, and is returned. */
    nxs_queue_ckpt_hook_fn *checkpoint_hook;
    void *hook_baton;
} nxs_queue_opts_t;

/* What recovery found, for the daemon's log and the status page. */
typedef struct nxs_queue_report_t {
    apr_size_t live;                 /* live records after recovery */
    apr_size_t snapshot_records;     /* live records loaded from the snapshot */
    apr_size_t snapshot_keys;        /* unexpired idempotency keys in the snapshot */
    apr_size_t snapshot_bad;         /* damaged snapshot records or key buckets (lost) */
    int snapshot_unreadable;         /* the snapshot could not be opened or iterated: it was
                                        renamed aside and the logs were replayed alone */
    apr_size_t segments;             /* log segments replayed */
    apr_size_t log_records;          /* records replayed from them */
    apr_size_t stale_removed;        /* segments an earlier checkpoint had covered, and tmp
                                        files of an interrupted one, deleted */
    apr_size_t torn_tails;           /* segments whose incomplete tail was cut */
    apr_off_t torn_bytes;            /* bytes cut */
    apr_size_t corrupt_segments;     /* segments with a bad record before their end */
    apr_off_t corrupt_bytes;         /* bytes from the bad record to the segment's end, not
                                        replayed */
    apr_array_header_t *moved_aside; /* const char *: FILE.corrupt-<time>, damaged files
                                        kept for inspection (a rename of an unreadable
                                        snapshot; a hard link of a damaged segment or
                                        snapshot whose good part is still used) */
    int checkpointed;                /* damage was found, so recovery wrote a fresh snapshot */
    apr_status_t checkpoint_rv;      /* ... and how that went */
} nxs_queue_report_t;

typedef struct nxs_queue_stats_t {
    apr_size_t live;
    apr_time_t oldest_accepted_at; /* of the lowest live seq; 0 when empty */
    apr_uint64_t next_seq;
    apr_off_t log_bytes;
    apr_size_t log_segments;
    apr_off_t snapshot_bytes;
    apr_size_t snapshot_keys;   /* idempotency keys in the snapshot */
    apr_size_t recent_keys;     /* ... accepted since, held in memory */
    apr_time_t last_checkpoint; /* or the open time */
    apr_interval_time_t last_checkpoint_took;
    apr_size_t checkpoints;
    apr_status_t last_checkpoint_rv;
    apr_uint64_t commits;           /* fdatasyncs of the log */
    apr_uint64_t committed_records; /* ENQUEUE records they covered */
    apr_size_t dropped_unreadable;  /* acknowledged records later found damaged on disk */
    apr_size_t index_bytes;         /* memory of the index, the recent keys and the
                                       snapshot's block directory */
    apr_status_t broken;            /* non-zero: a write could not be undone; every
                                       append fails until the queue is reopened */
} nxs_queue_stats_t;

/* Called for each live record by nxs_queue_replay, in seq order; REC and its
 * strings live until the callback returns.  It may call the queue (done,
 * set_attempts, append).  A non-success return stops the replay. */
typedef apr_status_t nxs_queue_record_fn(void *baton, const nxs_queue_record_t *rec);

void nxs_queue_opts_default(nxs_queue_opts_t *opts);

/* Opens (creating if needed) the queue at PATH with apr_dbm type TYPE for
 * its snapshot ("GDBM" when NULL, or "DB"; SDBM is refused with APR_EINVAL:
 * its two files cannot be renamed at once).  Recovers as described in
 * *report (always filled, damage is reported rather than failed on).  Fails
 * with APR_EBUSY when another process owns the queue, or with the error of
 * the directory or file that cannot be read or written.  The queue lives
 * until nxs_queue_close or the destruction of P. */
apr_status_t nxs_queue_open(nxs_queue_t **out, nxs_queue_report_t *report, const char *type,
                            const char *path, const nxs_queue_opts_t *opts, apr_pool_t *p);

/* Calls FN for every live record in seq order (the daemon's start: it feeds
 * the scheduler).  Records appended meanwhile are included if their seq is
 * above the last one visited.  Scratch memory comes from P, cleared per
 * record. */
apr_status_t nxs_queue_replay(nxs_queue_t *q, nxs_queue_record_fn *fn, void *baton, apr_pool_t *p);

/* Appends N records (seqs *first_seq .. *first_seq + N - 1) and, when IDEM is
 * not NULL, the event's idempotency key, in one commit: all or nothing, and
 * durable when this returns APR_SUCCESS.  When IDEM names a key accepted
 * before and not expired, nothing is written, *duplicate is 1 and the call
 * succeeds (wait: a key still being committed by another thread is answered
 * after that commit).  N may be 0 with a key (an event with no delivery).
 * APR_EINVAL for a bad record or one larger than record_max; an I/O error
 * (APR_ENOSPC, EIO, ...) means nothing was stored: answer 503 (so does
 * APR_EGENERAL, once 2^62 seqs are used). */
apr_status_t nxs_queue_append(apr_uint64_t *first_seq, int *duplicate, nxs_queue_t *q,
                              const nxs_queue_record_t *recs, apr_size_t n,
                              const nxs_queue_idem_t *idem);

/* SEQ is finished (delivered, dead-lettered or dropped): it leaves the queue
 * at once; its DONE record is synced lazily (see the guarantees above).
 * APR_NOTFOUND when SEQ is not live. */
apr_status_t nxs_queue_done(nxs_queue_t *q, apr_uint64_t seq);

/* Records SEQ's failed-attempt count (for backoff across restarts), lazily
 * synced like DONE.  APR_NOTFOUND when SEQ is not live. */
apr_status_t nxs_queue_set_attempts(nxs_queue_t *q, apr_uint64_t seq, unsigned attempts);

/* Makes every buffered DONE and attempt record durable. */
apr_status_t nxs_queue_flush(nxs_queue_t *q);

/* Reads live record SEQ back from disk into *rec (strings and payload in P),
 * with its current attempt count.  APR_NOTFOUND when SEQ is not live; a
 * record found damaged on disk is dropped from the queue, counted in
 * stats.dropped_unreadable, and answered APR_EGENERAL. */
apr_status_t nxs_queue_load(nxs_queue_record_t *rec, nxs_queue_t *q, apr_uint64_t seq,
                            apr_pool_t *p);

void nxs_queue_stats(nxs_queue_stats_t *st, nxs_queue_t *q);

/* Writes a new snapshot and deletes the log segments it covers (see the top
 * of this file).  One at a time; appends go on meanwhile.  On failure the
 * previous snapshot and every log stay in force. */
apr_status_t nxs_queue_checkpoint(nxs_queue_t *q);

/* The daemon's background tick, from a timer (every second or so; not per
 * request: its flush costs an fdatasync whenever DONE/attempt records are
 * buffered).  Flushes them, then checkpoints when the logs exceed both
 * checkpoint_bytes and half the snapshot (a large backlog is not rewritten
 * for every few MiB logged), or when checkpoint_interval has passed with
 * something logged; after a failed checkpoint, not again within 10 s.  *did
 * (may be NULL) is 1 when it checkpointed. */
apr_status_t nxs_queue_maybe_checkpoint(int *did, nxs_queue_t *q);

/* Flushes and releases everything (also run by P's cleanup).  No other call
 * may be in progress or follow. */
apr_status_t nxs_queue_close(nxs_queue_t *q);

#endif
