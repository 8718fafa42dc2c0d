/* The queue's bytes on disk: CRC32C, the record frame and its bodies, and the
 * log segment files (create, scan with damage classification, write + sync,
 * cut).  The format is described in nxs_queue_int.h. */
#include "queue/nxs_queue_int.h"

#include <apr_strings.h>

#include <openssl/evp.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char qf_magic[4] = {'N', 'X', 'Q', '2'};

/* ---- buffers ------------------------------------------------------------ */

apr_status_t nxs_qbuf_reserve(nxs_qbuf_t *b, apr_size_t more)
{
    apr_size_t want = b->len + more, cap = b->cap ? b->cap : 256;
    char *np;

    if (want <= b->cap) {
        return APR_SUCCESS;
    }
    while (cap < want) {
        cap *= 2;
    }
    np = realloc(b->p, cap);
    if (np == NULL) {
        return APR_ENOMEM;
    }
    b->p = np;
    b->cap = cap;
    return APR_SUCCESS;
}

/* Gives back memory a burst of large records left behind. */
void nxs_qbuf_shrink(nxs_qbuf_t *b, apr_size_t keep)
{
    if (b->len == 0 && b->cap > keep) {
        free(b->p);
        b->p = NULL;
        b->cap = 0;
    }
}

void nxs_qbuf_free(nxs_qbuf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- CRC32C: slice-by-8 over tables built once -------------------------- */

static apr_uint32_t crc_tab[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    apr_uint32_t n, c;
    int k;

    for (n = 0; n < 256; ++n) {
        c = n;
        for (k = 0; k < 8; ++k) {
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        }
        crc_tab[0][n] = c;
    }
    for (n = 0; n < 256; ++n) {
        c = crc_tab[0][n];
        for (k = 1; k < 8; ++k) {
            c = crc_tab[0][c & 0xff] ^ (c >> 8);
            crc_tab[k][n] = c;
        }
    }
}

apr_uint32_t nxs_queue_crc32c(apr_uint32_t crc, const void *buf, apr_size_t len)
{
    const unsigned char *p = buf;
    apr_uint32_t a, b;

    pthread_once(&crc_once, crc_init);
    crc = ~crc;
    while (len >= 8) {
        a = crc ^ ((apr_uint32_t)p[0] | ((apr_uint32_t)p[1] << 8) | ((apr_uint32_t)p[2] << 16) |
                   ((apr_uint32_t)p[3] << 24));
        b = (apr_uint32_t)p[4] | ((apr_uint32_t)p[5] << 8) | ((apr_uint32_t)p[6] << 16) |
            ((apr_uint32_t)p[7] << 24);
        crc = crc_tab[7][a & 0xff] ^ crc_tab[6][(a >> 8) & 0xff] ^ crc_tab[5][(a >> 16) & 0xff] ^
              crc_tab[4][a >> 24] ^ crc_tab[3][b & 0xff] ^ crc_tab[2][(b >> 8) & 0xff] ^
              crc_tab[1][(b >> 16) & 0xff] ^ crc_tab[0][b >> 24];
        p += 8;
        len -= 8;
    }
    while (len--) {
        crc = crc_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
}

/* ---- frames ------------------------------------------------------------- */

/* The CRC covers the length (bytes 4..7) and type + body (13..). */
static apr_uint32_t frame_crc(const char *frame, apr_size_t body_len)
{
    apr_uint32_t crc = nxs_queue_crc32c(0, frame + 4, 4);
    return nxs_queue_crc32c(crc, frame + 12, 1 + body_len);
}

static void frame_head(char *out, int type, apr_size_t body_len)
{
    memcpy(out, qf_magic, 4);
    nxs_qle_put32(out + 4, (apr_uint32_t)body_len);
    nxs_qle_put32(out + 8, 0);
    out[12] = (char)type;
}

apr_status_t nxs_qf_put(nxs_qbuf_t *b, int type, const char *body, apr_size_t len)
{
    apr_status_t rv = nxs_qbuf_reserve(b, NXS_QF_HDR + len);
    char *f;

    if (rv == APR_SUCCESS) {
        f = b->p + b->len;
        frame_head(f, type | NXS_QF_END, len);
        memcpy(f + NXS_QF_HDR, body, len);
        nxs_qle_put32(f + 8, frame_crc(f, len));
        b->len += NXS_QF_HDR + len;
    }
    return rv;
}

int nxs_qf_parse(int *type, const char **body, apr_uint32_t *body_len, apr_size_t *frame_len,
                 const char *buf, apr_size_t avail)
{
    apr_uint32_t len;

    *frame_len = NXS_QF_HDR;
    if (avail < 4) {
        return avail == 0 || memcmp(buf, qf_magic, avail) == 0 ? NXS_QF_SHORT : NXS_QF_BAD;
    }
    if (memcmp(buf, qf_magic, 4) != 0) {
        return NXS_QF_BAD;
    }
    if (avail < NXS_QF_HDR) {
        return NXS_QF_SHORT;
    }
    len = nxs_qle_get32(buf + 4);
    if (len > NXS_QF_BODY_MAX) {
        return NXS_QF_BAD;
    }
    *frame_len = NXS_QF_HDR + (apr_size_t)len;
    if (avail < *frame_len) {
        return NXS_QF_SHORT;
    }
    if (frame_crc(buf, len) != nxs_qle_get32(buf + 8)) {
        return NXS_QF_BAD;
    }
    *type = (unsigned char)buf[12];
    if ((*type & NXS_QF_TYPE) < NXS_QF_HEADER || (*type & NXS_QF_TYPE) > NXS_QF_KEYS ||
        (*type & ~(NXS_QF_TYPE | NXS_QF_END)) != 0) {
        return NXS_QF_BAD;
    }
    *body = buf + NXS_QF_HDR;
    *body_len = len;
    return NXS_QF_OK;
}

/* ---- ENQUEUE: accepted_at | attempts | 7 strings | payload | seq -------- */

#define ENQ_STRINGS 7

static void record_strings(const char **s, const nxs_queue_record_t *r)
{
    s[0] = r->account;
    s[1] = r->team;
    s[2] = r->channel;
    s[3] = r->event_id;
    s[4] = r->category;
    s[5] = r->delivery_id;
    s[6] = r->record ? r->record : "";
}

apr_size_t nxs_qf_enqueue_size(const nxs_queue_record_t *r)
{
    const char *s[ENQ_STRINGS];
    apr_size_t body = 8 + 4 + 4 + r->payload_len + 8, l;
    int i;

    record_strings(s, r);
    for (i = 0; i < ENQ_STRINGS; ++i) {
        if (s[i] == NULL || (l = strlen(s[i])) > NXS_QUEUE_STR_MAX) {
            return 0;
        }
        body += 2 + l;
    }
    if (body > NXS_QF_BODY_MAX || (r->payload_len > 0 && r->payload == NULL)) {
        return 0;
    }
    return NXS_QF_HDR + body;
}

apr_uint32_t nxs_qf_enqueue_put(char *out, const nxs_queue_record_t *r, apr_uint32_t attempts,
                                int end)
{
    const char *s[ENQ_STRINGS];
    apr_size_t size = nxs_qf_enqueue_size(r), l;
    char *p = out + NXS_QF_HDR;
    apr_uint32_t crc;
    int i;

    frame_head(out, NXS_QF_ENQUEUE | (end ? NXS_QF_END : 0), size - NXS_QF_HDR);
    nxs_qle_put64(p, (apr_uint64_t)r->accepted_at);
    nxs_qle_put32(p + 8, attempts);
    p += 12;
    record_strings(s, r);
    for (i = 0; i < ENQ_STRINGS; ++i) {
        l = strlen(s[i]);
        nxs_qle_put16(p, (apr_uint32_t)l);
        memcpy(p + 2, s[i], l);
        p += 2 + l;
    }
    nxs_qle_put32(p, (apr_uint32_t)r->payload_len);
    if (r->payload_len) {
        memcpy(p + 4, r->payload, r->payload_len);
    }
    crc = nxs_queue_crc32c(0, out + 4, 4);
    return nxs_queue_crc32c(crc, out + 12, size - 12 - 8);
}

void nxs_qf_enqueue_seal(char *frame, apr_size_t frame_len, apr_uint64_t seq,
                         apr_uint32_t partial_crc)
{
    nxs_qle_put64(frame + frame_len - 8, seq);
    nxs_qle_put32(frame + 8, nxs_queue_crc32c(partial_crc, frame + frame_len - 8, 8));
}

void nxs_qf_enqueue_set_attempts(char *frame, apr_size_t frame_len, apr_uint32_t attempts)
{
    nxs_qle_put32(frame + NXS_QF_HDR + 8, attempts);
    nxs_qle_put32(frame + 8, frame_crc(frame, frame_len - NXS_QF_HDR));
}

apr_status_t nxs_qf_enqueue_decode(nxs_queue_record_t *r, const char *body, apr_uint32_t len,
                                   apr_pool_t *p)
{
    const char *s[ENQ_STRINGS];
    const char *q = body + 12, *end = body + len;
    apr_uint32_t l;
    int i;

    if (len < 8 + 4 + 4 + 8 + 2 * ENQ_STRINGS) {
        return APR_EGENERAL;
    }
    r->accepted_at = (apr_time_t)nxs_qle_get64(body);
    r->attempts = nxs_qle_get32(body + 8);
    r->seq = nxs_qle_get64(end - 8);
    if (r->seq == 0 || r->seq > NXS_QUEUE_SEQ_MAX) {
        return APR_EGENERAL;
    }
    end -= 8;
    for (i = 0; i < ENQ_STRINGS; ++i) {
        if (end - q < 2 || (l = nxs_qle_get16(q), (apr_size_t)(end - q - 2) < l)) {
            return APR_EGENERAL;
        }
        /* The writer puts C strings here: a NUL in one would be read as a
         * shorter string, a different account or channel.  Checked with or
         * without P, so that recovery skips what a load would refuse. */
        if (memchr(q + 2, '\0', l) != NULL) {
            return APR_EGENERAL;
        }
        s[i] = p ? apr_pstrmemdup(p, q + 2, l) : NULL;
        q += 2 + l;
    }
    if (end - q < 4 || (l = nxs_qle_get32(q), (apr_size_t)(end - q - 4) != l)) {
        return APR_EGENERAL;
    }
    if (p) {
        char *pl = apr_palloc(p, (apr_size_t)l + 1);
        memcpy(pl, q + 4, l);
        pl[l] = '\0';
        r->payload = pl;
        r->payload_len = l;
        r->account = s[0];
        r->team = s[1];
        r->channel = s[2];
        r->event_id = s[3];
        r->category = s[4];
        r->delivery_id = s[5];
        r->record = s[6];
    }
    return APR_SUCCESS;
}

/* ---- idempotency keys --------------------------------------------------- */

apr_status_t nxs_queue_key_digest(unsigned char *out, const char *account, const char *event_id)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    apr_status_t rv = APR_EGENERAL;

    /* The NUL separates account from event id, so ("ab","c") != ("a","bc"). */
    if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
        EVP_DigestUpdate(ctx, account, strlen(account) + 1) == 1 &&
        EVP_DigestUpdate(ctx, event_id, strlen(event_id)) == 1 &&
        EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen >= NXS_QUEUE_KEY_LEN) {
        memcpy(out, md, NXS_QUEUE_KEY_LEN);
        rv = APR_SUCCESS;
    }
    EVP_MD_CTX_free(ctx);
    return rv;
}

apr_status_t nxs_qf_idem_put(nxs_qbuf_t *b, const unsigned char *digest, apr_time_t expires,
                             const char *account, const char *event_id)
{
    apr_size_t al = account ? strlen(account) : 0, el = event_id ? strlen(event_id) : 0;
    char body[8 + NXS_QUEUE_KEY_LEN + 4 + 2 * 256];
    char *p = body;

    /* The names are kept for whoever reads the log; the digest is the key.
     * Long ones are cut: only the digest is compared. */
    al = al > 256 ? 256 : al;
    el = el > 256 ? 256 : el;
    nxs_qle_put64(p, (apr_uint64_t)expires);
    memcpy(p + 8, digest, NXS_QUEUE_KEY_LEN);
    p += 8 + NXS_QUEUE_KEY_LEN;
    nxs_qle_put16(p, (apr_uint32_t)al);
    if (al) {
        memcpy(p + 2, account, al);
    }
    p += 2 + al;
    nxs_qle_put16(p, (apr_uint32_t)el);
    if (el) {
        memcpy(p + 2, event_id, el);
    }
    p += 2 + el;
    return nxs_qf_put(b, NXS_QF_IDEM, body, (apr_size_t)(p - body));
}

apr_status_t nxs_qf_idem_decode(unsigned char *digest, apr_time_t *expires, const char *body,
                                apr_uint32_t len)
{
    if (len < 8 + NXS_QUEUE_KEY_LEN + 4) {
        return APR_EGENERAL;
    }
    *expires = (apr_time_t)nxs_qle_get64(body);
    memcpy(digest, body + 8, NXS_QUEUE_KEY_LEN);
    return APR_SUCCESS;
}

/* ---- files -------------------------------------------------------------- */

static apr_status_t os_error(void)
{
    return APR_FROM_OS_ERROR(errno);
}

apr_status_t nxs_queue_pread_all(int fd, char *buf, apr_size_t len, apr_off_t off)
{
    ssize_t n;

    while (len > 0) {
        n = pread(fd, buf, len, off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return n < 0 ? os_error() : APR_EOF;
        }
        buf += n;
        len -= (apr_size_t)n;
        off += n;
    }
    return APR_SUCCESS;
}

apr_status_t nxs_queue_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    apr_status_t rv = APR_SUCCESS;

    if (fd < 0) {
        return os_error();
    }
    if (fsync(fd) != 0) {
        rv = os_error();
    }
    close(fd);
    return rv;
}

/* apr_dbm has no sync call: any descriptor of the file flushes it. */
apr_status_t nxs_queue_sync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    apr_status_t rv = APR_SUCCESS;

    if (fd < 0) {
        return os_error();
    }
    if (fdatasync(fd) != 0) {
        rv = os_error();
    }
    close(fd);
    return rv;
}

char *nxs_queue_seg_name(const char *path, apr_uint32_t no)
{
    apr_size_t n = strlen(path) + 16;
    char *s = malloc(n);

    if (s) {
        snprintf(s, n, "%s.log.%u", path, (unsigned)no);
    }
    return s;
}

static nxs_queue_seg_t *seg_new(const char *path, apr_uint32_t no)
{
    nxs_queue_seg_t *seg = calloc(1, sizeof(*seg));

    if (seg && (seg->path = nxs_queue_seg_name(path, no)) == NULL) {
        free(seg);
        seg = NULL;
    }
    if (seg) {
        seg->no = no;
        seg->fd = -1;
    }
    return seg;
}

void nxs_queue_seg_free(nxs_queue_seg_t *seg)
{
    if (seg) {
        if (seg->fd >= 0) {
            close(seg->fd);
        }
        free(seg->path);
        free(seg);
    }
}

apr_status_t nxs_queue_seg_create(nxs_queue_seg_t **out, const char *path, const char *dir,
                                  apr_uint32_t no, apr_uint64_t next_seq)
{
    nxs_queue_seg_t *seg = seg_new(path, no);
    nxs_qbuf_t b = {0};
    char body[16];
    apr_status_t rv;

    if (seg == NULL) {
        return APR_ENOMEM;
    }
    nxs_qle_put32(body, NXS_QUEUE_FORMAT);
    nxs_qle_put32(body + 4, no);
    nxs_qle_put64(body + 8, next_seq);
    if ((rv = nxs_qf_put(&b, NXS_QF_HEADER, body, sizeof(body))) != APR_SUCCESS) {
        goto leave;
    }
    seg->fd = open(seg->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (seg->fd < 0) {
        rv = os_error();
        goto leave;
    }
    errno = 0;
    if (pwrite(seg->fd, b.p, b.len, 0) != (ssize_t)b.len) {
        rv = errno ? os_error() : APR_ENOSPC;
    } else if (fdatasync(seg->fd) != 0) {
        rv = os_error();
    } else {
        rv = nxs_queue_sync_dir(dir);
    }
    if (rv != APR_SUCCESS) {
        unlink(seg->path);
    }
    seg->size = (apr_off_t)b.len;
leave:
    nxs_qbuf_free(&b);
    if (rv != APR_SUCCESS) {
        nxs_queue_seg_free(seg);
        seg = NULL;
    }
    *out = seg;
    return rv;
}

apr_status_t nxs_queue_seg_open(nxs_queue_seg_t **out, const char *path, apr_uint32_t no)
{
    nxs_queue_seg_t *seg = seg_new(path, no);
    apr_status_t rv = APR_SUCCESS;

    if (seg == NULL) {
        return APR_ENOMEM;
    }
    seg->fd = open(seg->path, O_RDWR | O_CLOEXEC);
    if (seg->fd < 0) {
        rv = os_error();
        nxs_queue_seg_free(seg);
        seg = NULL;
    }
    *out = seg;
    return rv;
}

/* After damage at FROM: is there any good record later in the file?  Then
 * the damage is in the middle (corruption), else it is a torn tail. */
static int valid_record_after(int fd, apr_off_t from, apr_off_t size)
{
    enum { WIN = 1 << 20 };
    char *win, *frame = NULL, hdr[NXS_QF_HDR];
    const char *body;
    apr_uint32_t blen;
    apr_size_t n, i, flen;
    int type, found = 0;
    apr_off_t off, at;

    if (from + NXS_QF_HDR > size) {
        return 0;
    }
    /* No larger than what is left of the file: most segments a crash
     * damages are far smaller than a window. */
    win = malloc(size - from < WIN ? (apr_size_t)(size - from) : WIN);
    for (off = from; win && !found && off + NXS_QF_HDR <= size; off += (apr_off_t)n - 3) {
        n = (apr_size_t)(size - off < WIN ? size - off : WIN);
        if (n < NXS_QF_HDR || nxs_queue_pread_all(fd, win, n, off) != APR_SUCCESS) {
            break;
        }
        for (i = 0; !found && i + 4 <= n; ++i) {
            if (memcmp(win + i, qf_magic, 4) != 0) {
                continue;
            }
            at = off + (apr_off_t)i;
            if (at + NXS_QF_HDR > size || nxs_queue_pread_all(fd, hdr, NXS_QF_HDR, at)) {
                continue;
            }
            flen = NXS_QF_HDR + nxs_qle_get32(hdr + 4);
            if (flen > NXS_QF_HDR + NXS_QF_BODY_MAX || at + (apr_off_t)flen > size ||
                (frame = realloc(frame, flen)) == NULL) {
                continue;
            }
            if (nxs_queue_pread_all(fd, frame, flen, at) == APR_SUCCESS &&
                nxs_qf_parse(&type, &body, &blen, &flen, frame, flen) == NXS_QF_OK) {
                found = 1;
            }
        }
    }
    free(frame);
    free(win);
    return found;
}

apr_status_t nxs_queue_seg_scan(nxs_queue_scan_t *res, nxs_queue_seg_t *seg,
                                nxs_queue_visit_fn *visit, void *baton)
{
    enum { CHUNK = 1 << 20 };
    nxs_qbuf_t b = {0};
    struct stat st;
    apr_off_t pos = 0; /* file offset of b.p[0] */
    apr_size_t cur = 0, flen, n, want;
    apr_uint32_t blen;
    const char *body;
    apr_status_t rv = APR_SUCCESS;
    int type, r;

    memset(res, 0, sizeof(*res));
    if (fstat(seg->fd, &st) != 0) {
        return os_error();
    }
    res->file_size = st.st_size;
    /* A chunk at most, and no more than the file: segments are often small
     * (each start and each checkpoint begins a new one). */
    if ((rv = nxs_qbuf_reserve(&b, res->file_size < CHUNK ? (apr_size_t)res->file_size : CHUNK)) !=
        APR_SUCCESS) {
        return rv;
    }
    while (pos + (apr_off_t)cur < res->file_size) {
        r = nxs_qf_parse(&type, &body, &blen, &flen, b.p + cur, b.len - cur);
        if (r == NXS_QF_OK) {
            if ((rv = visit(baton, seg, pos + (apr_off_t)cur, type, body, blen, flen))) {
                goto leave;
            }
            cur += flen;
            ++res->records;
            continue;
        }
        if (r == NXS_QF_BAD || pos + (apr_off_t)b.len >= res->file_size) {
            res->damage = NXS_QSCAN_TORN;
            break;
        }
        /* Short: keep the unparsed bytes and read at least the whole record. */
        memmove(b.p, b.p + cur, b.len - cur);
        pos += (apr_off_t)cur;
        b.len -= cur;
        cur = 0;
        want = flen > CHUNK ? flen : CHUNK;
        if ((apr_off_t)want > res->file_size - pos) {
            want = (apr_size_t)(res->file_size - pos);
        }
        if ((rv = nxs_qbuf_reserve(&b, want)) != APR_SUCCESS) {
            goto leave;
        }
        n = b.cap - b.len;
        if ((apr_off_t)n > res->file_size - pos - (apr_off_t)b.len) {
            n = (apr_size_t)(res->file_size - pos - (apr_off_t)b.len);
        }
        if ((rv = nxs_queue_pread_all(seg->fd, b.p + b.len, n, pos + (apr_off_t)b.len))) {
            goto leave;
        }
        b.len += n;
    }
    res->good_end = pos + (apr_off_t)cur;
    if (res->damage && valid_record_after(seg->fd, res->good_end + 1, res->file_size)) {
        res->damage = NXS_QSCAN_CORRUPT;
    }
leave:
    nxs_qbuf_free(&b);
    return rv;
}

apr_status_t nxs_queue_seg_cut(nxs_queue_seg_t *seg, apr_off_t at)
{
    if (ftruncate(seg->fd, at) != 0 || fdatasync(seg->fd) != 0) {
        return os_error();
    }
    seg->size = at;
    return APR_SUCCESS;
}

apr_status_t nxs_queue_seg_write(int *cut_failed, nxs_queue_seg_t *seg, const struct iovec *iov,
                                 int niov, apr_off_t base)
{
    struct iovec local[64];
    apr_off_t off = base;
    apr_status_t rv = APR_SUCCESS;
    ssize_t w;
    int i = 0, k, m;

    *cut_failed = 0;
    while (i < niov && rv == APR_SUCCESS) {
        /* A private copy of the next few vectors, advanced over short writes. */
        m = niov - i < 64 ? niov - i : 64;
        memcpy(local, iov + i, (apr_size_t)m * sizeof(*local));
        k = 0;
        while (k < m) {
            w = pwritev(seg->fd, local + k, m - k, off);
            if (w < 0 && errno == EINTR) {
                continue;
            }
            if (w <= 0) {
                rv = w < 0 ? os_error() : APR_ENOSPC;
                break;
            }
            off += w;
            while (k < m && (apr_size_t)w >= local[k].iov_len) {
                w -= (ssize_t)local[k].iov_len;
                ++k;
            }
            if (k < m) {
                local[k].iov_base = (char *)local[k].iov_base + w;
                local[k].iov_len -= (apr_size_t)w;
            }
        }
        i += m;
    }
    if (rv == APR_SUCCESS && fdatasync(seg->fd) != 0) {
        rv = os_error();
    }
    if (rv != APR_SUCCESS) {
        /* Nothing of a failed commit may come back at recovery: its producers
         * were told it failed.  The cut is synced for the same reason. */
        *cut_failed = nxs_queue_seg_cut(seg, base) != APR_SUCCESS;
        seg->size = base;
    } else {
        seg->size = off;
    }
    return rv;
}
