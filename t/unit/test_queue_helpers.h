/* Helpers shared by the queue tests: a scratch directory per test, records
 * whose every field derives from a number (so any record read back can be
 * checked on its own), and the live set as a replay sees it. */
#ifndef TEST_QUEUE_HELPERS_H
#define TEST_QUEUE_HELPERS_H

#include "nxs_test.h"

#include "queue/nxs_queue.h"

#include <apr_strings.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define QT_T0 apr_time_from_sec(1700000000)

static inline apr_status_t qt_rmdir(void *data)
{
    const char *dir = data;
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[4096];

    while (d && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
            unlink(path);
        }
    }
    if (d) {
        closedir(d);
    }
    rmdir(dir);
    return APR_SUCCESS;
}

/* A fresh directory, removed when P is destroyed; returns DIR/queue. */
static inline const char *qt_path(apr_pool_t *p)
{
    const char *tmp = getenv("TMPDIR");
    char *dir = apr_psprintf(p, "%s/nxsq-XXXXXX", tmp && *tmp ? tmp : "/tmp");

    assert_non_null(mkdtemp(dir));
    apr_pool_cleanup_register(p, dir, qt_rmdir, apr_pool_cleanup_null);
    return apr_pstrcat(p, dir, "/queue", NULL);
}

static inline nxs_queue_t *qt_open(nxs_queue_report_t *report, const char *type, const char *path,
                                   const nxs_queue_opts_t *opts, apr_pool_t *p)
{
    nxs_queue_report_t local;
    nxs_queue_t *q = NULL;

    assert_int_equal(nxs_queue_open(&q, report ? report : &local, type, path, opts, p),
                     APR_SUCCESS);
    return q;
}

/* The payload of record I: LEN bytes, its number first, then a pattern
 * that depends on I (NUL bytes included, payloads are bytes). */
/* Not inlined: inlined with a constant LEN shorter than the head, GCC 12
 * warns (wrongly) that the loop below would overflow. */
static __attribute__((noinline)) char *qt_payload(apr_pool_t *p, unsigned long i, apr_size_t len)
{
    char *s = apr_palloc(p, len + 1), head[32];
    apr_size_t k, n = (apr_size_t)snprintf(head, sizeof(head), "payload-%06lu:", i);

    n = n < len ? n : len;
    memcpy(s, head, n);
    for (k = n; k < len; ++k) {
        s[k] = (char)((i * 31 + k * 7) % 256);
    }
    s[len] = '\0';
    return s;
}

static inline nxs_queue_record_t qt_rec(apr_pool_t *p, unsigned long i, apr_size_t len)
{
    nxs_queue_record_t r;

    memset(&r, 0, sizeof(r));
    r.accepted_at = QT_T0 + (apr_time_t)i * 1000;
    r.account = apr_psprintf(p, "acc_%lu", i % 7);
    r.team = "T0001";
    r.channel = apr_psprintf(p, "C%04lu", i % 13);
    r.event_id = apr_psprintf(p, "evt_%lu", i);
    r.category = "payments";
    r.delivery_id = apr_psprintf(p, "d%lu", i);
    /* Every third record has none: a NULL record reads back as "". */
    r.record = i % 3 ? apr_psprintf(p, "{\"kind\":\"invoice\",\"id\":\"inv_%lu\"}", i) : NULL;
    r.payload = qt_payload(p, i, len);
    r.payload_len = len;
    return r;
}

/* Which record (I) this is, from its delivery id; checks every field. */
static inline unsigned long qt_check(const nxs_queue_record_t *r, apr_size_t len, apr_pool_t *p)
{
    unsigned long i = strtoul(r->delivery_id + 1, NULL, 10);
    nxs_queue_record_t want = qt_rec(p, i, len);

    assert_int_equal(r->accepted_at, want.accepted_at);
    assert_string_equal(r->account, want.account);
    assert_string_equal(r->team, want.team);
    assert_string_equal(r->channel, want.channel);
    assert_string_equal(r->event_id, want.event_id);
    assert_string_equal(r->category, want.category);
    assert_string_equal(r->record, want.record ? want.record : "");
    assert_int_equal(r->payload_len, len);
    assert_memory_equal(r->payload, want.payload, len);
    assert_int_equal(r->payload[len], '\0');
    return i;
}

static inline apr_uint64_t qt_append(nxs_queue_t *q, apr_pool_t *p, unsigned long i, apr_size_t len)
{
    nxs_queue_record_t r = qt_rec(p, i, len);
    apr_uint64_t seq = 0;
    int dup = -1;

    assert_int_equal(nxs_queue_append(&seq, &dup, q, &r, 1, NULL), APR_SUCCESS);
    assert_int_equal(dup, 0);
    assert_true(seq > 0);
    return seq;
}

/* The live set in replay order: seq, attempts and record number of each
 * (payloads of LEN bytes, or any length when LEN is 0). */
typedef struct qt_live_t {
    apr_pool_t *p;
    apr_size_t len;
    apr_size_t n;
    apr_uint64_t seq[4096];
    unsigned attempts[4096];
    unsigned long id[4096];
} qt_live_t;

static inline apr_status_t qt_live_fn(void *baton, const nxs_queue_record_t *rec)
{
    qt_live_t *l = baton;

    assert_true(l->n < 4096);
    if (l->n > 0) {
        assert_true(rec->seq > l->seq[l->n - 1]); /* seq order, no repeats */
    }
    l->seq[l->n] = rec->seq;
    l->attempts[l->n] = rec->attempts;
    l->id[l->n] = qt_check(rec, l->len ? l->len : rec->payload_len, l->p);
    ++l->n;
    return APR_SUCCESS;
}

static inline qt_live_t *qt_live(nxs_queue_t *q, apr_size_t len, apr_pool_t *p)
{
    qt_live_t *l = apr_pcalloc(p, sizeof(*l));

    l->p = p;
    l->len = len;
    assert_int_equal(nxs_queue_replay(q, qt_live_fn, l, p), APR_SUCCESS);
    return l;
}

/* The file of the highest-numbered log segment with more than its header. */
static inline const char *qt_last_segment(const char *path, apr_pool_t *p)
{
    const char *best = NULL;
    unsigned long n;
    struct stat st;

    for (n = 1; n < 1000; ++n) {
        const char *f = apr_psprintf(p, "%s.log.%lu", path, n);
        if (stat(f, &st) == 0 && st.st_size > 64) {
            best = f;
        }
    }
    assert_non_null(best);
    return best;
}

static inline apr_off_t qt_size(const char *file)
{
    struct stat st;

    assert_int_equal(stat(file, &st), 0);
    return st.st_size;
}

/* Offset of the first occurrence of NEEDLE in FILE, or -1. */
static inline long qt_find(const char *file, const char *needle, apr_pool_t *p)
{
    apr_off_t size = qt_size(file);
    char *buf = apr_palloc(p, (apr_size_t)size + 1);
    FILE *f = fopen(file, "rb");
    apr_size_t nl = strlen(needle);
    long i;

    assert_non_null(f);
    assert_int_equal(fread(buf, 1, (apr_size_t)size, f), (apr_size_t)size);
    fclose(f);
    for (i = 0; i + (long)nl <= (long)size; ++i) {
        if (memcmp(buf + i, needle, nl) == 0) {
            return i;
        }
    }
    return -1;
}

static inline void qt_flip(const char *file, long off)
{
    FILE *f = fopen(file, "r+b");
    int c;

    assert_non_null(f);
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    c = fgetc(f);
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    fputc(c ^ 0x20, f);
    fclose(f);
}

/* Writes byte C at OFF in FILE. */
static inline void qt_poke(const char *file, long off, int c)
{
    FILE *f = fopen(file, "r+b");

    assert_non_null(f);
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    fputc(c, f);
    fclose(f);
}

/* CRC32C, bit by bit (the queue's own is internal to it). */
static inline apr_uint32_t qt_crc32c(apr_uint32_t crc, const unsigned char *p, apr_size_t n)
{
    int k;

    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (k = 0; k < 8; ++k) {
            crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
    }
    return ~crc;
}

/* The frame holding offset OFF of FILE: its offset, and in *len its size.
 * A frame is "NXQ2" | u32 length | u32 CRC32C of the length, the type and
 * the body | u8 type | body, little-endian (queue/nxs_queue_int.h). */
static inline long qt_frame(long *len, const char *file, long off, apr_pool_t *p)
{
    apr_off_t size = qt_size(file);
    unsigned char *buf = apr_palloc(p, (apr_size_t)size);
    FILE *f = fopen(file, "rb");
    long at;

    assert_non_null(f);
    assert_int_equal(fread(buf, 1, (apr_size_t)size, f), (apr_size_t)size);
    fclose(f);
    for (at = off; at >= 0 && memcmp(buf + at, "NXQ2", 4) != 0; --at) {
    }
    assert_true(at >= 0);
    *len = 13 + (long)(buf[at + 4] | (buf[at + 5] << 8) | (buf[at + 6] << 16) |
                       ((apr_uint32_t)buf[at + 7] << 24));
    return at;
}

/* Gives the frame holding offset OFF of FILE a checksum that matches its
 * bytes again, as a hand-edited file or a writer bug would: damage the
 * checksum cannot show. */
static inline void qt_reseal(const char *file, long off, apr_pool_t *p)
{
    long len, at = qt_frame(&len, file, off, p);
    unsigned char *buf = apr_palloc(p, (apr_size_t)len);
    FILE *f = fopen(file, "r+b");
    apr_uint32_t crc;

    assert_non_null(f);
    assert_int_equal(fseek(f, at, SEEK_SET), 0);
    assert_int_equal(fread(buf, 1, (apr_size_t)len, f), (apr_size_t)len);
    crc = qt_crc32c(qt_crc32c(0, buf + 4, 4), buf + 12, (apr_size_t)len - 12);
    assert_int_equal(fseek(f, at + 8, SEEK_SET), 0);
    for (int i = 0; i < 4; ++i) {
        fputc((int)((crc >> (8 * i)) & 0xff), f);
    }
    fclose(f);
}

#endif
