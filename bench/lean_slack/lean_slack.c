/* lean_slack: a small, fast stand-in for Slack's Web API for the benchmark.
 *
 * The test mock (t/mock_slack) checks every Block Kit rule in Python and is
 * too slow to stay out of the way at 1 000 messages/s; this one answers from
 * one epoll thread and only does what the benchmark measures:
 *
 *   API port (HTTP/1.1, keep-alive, pipelining)
 *     POST /api/oauth.v2.access   code=TEAM -> a bot token for team TEAM
 *     POST /api/auth.test         ok
 *     POST /api/chat.postMessage  per-channel token bucket at Slack's tolerance
 *                                 (1/s, burst 3, like the mock): a post above it
 *                                 is a rate violation, answered 429 Retry-After 1;
 *                                 otherwise ok, and the receipt is recorded:
 *                                 marker (digits after "NXB" in the body),
 *                                 channel, CLOCK_MONOTONIC ns.
 *   Control port
 *     GET /outage/on   close the API listener and every API connection
 *     GET /outage/off  listen again on the same port
 *     GET /stats       {"posts","violations","receipts","channels","outage"}
 *     GET /reset       forget receipts, counters and buckets
 *     GET /dump?path=F write the receipts to F ("marker channel t_ns" lines)
 *
 *   lean_slack API_PORT CONTROL_PORT      (prints READY once both listen)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS     65536
#define MAX_REQUEST (1024 * 1024)
#define RATE        1.0 /* messages per second per channel */
#define BURST       3.0 /* what Slack tolerates (the module keeps to 2) */
#define CHAN_SLOTS  (1 << 16)

typedef struct {
    char *in, *out;
    size_t in_len, in_cap, out_len, out_cap, out_off;
    int is_control, open;
} conn_t;

typedef struct {
    uint64_t marker;
    uint32_t channel;
    int64_t t_ns;
} receipt_t;

typedef struct {
    char name[32];
    double tokens;
    int64_t last_ns;
} chan_t;

static conn_t conns[MAX_FDS];
static int ep, api_fd = -1, api_port;
static receipt_t *receipts;
static size_t n_receipts, cap_receipts;
static chan_t *chans;
static size_t n_chans;
static uint64_t posts, violations;
static volatile sig_atomic_t stop;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        perror("lean_slack: realloc");
        exit(1);
    }
    return q;
}

static int listen_on(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 1024)) {
        fprintf(stderr, "lean_slack: cannot listen on %d: %s\n", port, strerror(errno));
        exit(1);
    }
    return fd;
}

static void watch(int fd, uint32_t events, int op)
{
    struct epoll_event ev = {.events = events, .data.fd = fd};
    epoll_ctl(ep, op, fd, &ev);
}

static void conn_close(int fd)
{
    conn_t *c = &conns[fd];
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    c->in_len = c->out_len = c->out_off = 0;
    c->open = 0;
}

static void out_add(conn_t *c, const char *s, size_t n)
{
    if (c->out_len + n > c->out_cap) {
        c->out_cap = (c->out_len + n) * 2;
        c->out = xrealloc(c->out, c->out_cap);
    }
    memcpy(c->out + c->out_len, s, n);
    c->out_len += n;
}

static void respond(conn_t *c, int status, const char *extra_headers, const char *body)
{
    char head[256];
    const char *reason = status == 200 ? "OK" : status == 429 ? "Too Many Requests" : "Not Found";
    size_t n = strlen(body);
    int h = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json; charset=utf-8\r\n"
                     "Content-Length: %zu\r\n%s\r\n",
                     status, reason, n, extra_headers);
    out_add(c, head, (size_t)h);
    out_add(c, body, n);
}

/* Index of channel NAME (added on first sight): open addressing on a hash. */
static uint32_t channel_index(const char *name, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    size_t i;

    if (len >= sizeof(chans[0].name)) {
        len = sizeof(chans[0].name) - 1;
    }
    for (i = 0; i < len; i++) {
        h = (h ^ (unsigned char)name[i]) * 1099511628211ULL;
    }
    for (i = h & (CHAN_SLOTS - 1);; i = (i + 1) & (CHAN_SLOTS - 1)) {
        chan_t *ch = &chans[i];
        if (!ch->name[0]) {
            memcpy(ch->name, name, len);
            ch->name[len] = '\0';
            ch->tokens = BURST;
            ch->last_ns = now_ns();
            n_chans++;
            return (uint32_t)i;
        }
        if (strlen(ch->name) == len && memcmp(ch->name, name, len) == 0) {
            return (uint32_t)i;
        }
    }
}

/* The value of the first "KEY": "..." string in JSON (no escapes expected). */
static const char *json_str(const char *body, size_t n, const char *key, size_t *len)
{
    const char *p = memmem(body, n, key, strlen(key)), *end = body + n, *q;

    if (!p) {
        return NULL;
    }
    p += strlen(key);
    while (p < end && (*p == ' ' || *p == ':')) {
        p++;
    }
    if (p >= end || *p != '"') {
        return NULL;
    }
    p++;
    q = memchr(p, '"', (size_t)(end - p));
    if (!q) {
        return NULL;
    }
    *len = (size_t)(q - p);
    return p;
}

static void post_message(conn_t *c, const char *body, size_t n)
{
    size_t clen = 0;
    const char *cname = json_str(body, n, "\"channel\"", &clen), *m;
    int64_t t = now_ns();
    uint32_t ci;
    chan_t *ch;
    char out[256];

    posts++;
    if (!cname || !clen) {
        respond(c, 200, "", "{\"ok\":false,\"error\":\"channel_not_found\"}");
        return;
    }
    ci = channel_index(cname, clen);
    ch = &chans[ci];
    ch->tokens += (double)(t - ch->last_ns) / 1e9 * RATE;
    if (ch->tokens > BURST) {
        ch->tokens = BURST;
    }
    ch->last_ns = t;
    if (ch->tokens < 1.0) {
        violations++;
        respond(c, 429, "Retry-After: 1\r\n", "{\"ok\":false,\"error\":\"ratelimited\"}");
        return;
    }
    ch->tokens -= 1.0;
    if (n_receipts == cap_receipts) {
        cap_receipts = cap_receipts ? cap_receipts * 2 : 1 << 20;
        receipts = xrealloc(receipts, cap_receipts * sizeof(*receipts));
    }
    m = memmem(body, n, "NXB", 3);
    receipts[n_receipts++] = (receipt_t){m ? strtoull(m + 3, NULL, 10) : 0, ci, t};
    snprintf(out, sizeof(out), "{\"ok\":true,\"channel\":\"%s\",\"ts\":\"%lld.%06llu\"}", ch->name,
             (long long)(t / 1000000000), (unsigned long long)(n_receipts % 1000000));
    respond(c, 200, "", out);
}

static void oauth_access(conn_t *c, const char *body, size_t n)
{
    const char *p = memmem(body, n, "code=", 5);
    char team[33] = "T0BENCH", out[512];
    size_t i = 0;

    if (p) {
        for (p += 5; p < body + n && i < sizeof(team) - 1 && *p != '&'; p++) {
            team[i++] = *p;
        }
        team[i] = '\0';
    }
    snprintf(out, sizeof(out),
             "{\"ok\":true,\"app_id\":\"A0BENCH\",\"authed_user\":{\"id\":\"U0INSTALL\"},"
             "\"scope\":\"chat:write,chat:write.public,channels:read\",\"token_type\":\"bot\","
             "\"access_token\":\"xoxb-bench-%s\",\"bot_user_id\":\"U0BOT\","
             "\"team\":{\"id\":\"%s\",\"name\":\"Bench %s\"},\"enterprise\":null}",
             team, team, team);
    respond(c, 200, "", out);
}

static void api_outage(int on)
{
    int fd;

    if (on && api_fd >= 0) {
        conn_close(api_fd);
        api_fd = -1;
        for (fd = 0; fd < MAX_FDS; fd++) {
            if (conns[fd].open && !conns[fd].is_control) {
                conn_close(fd);
            }
        }
    } else if (!on && api_fd < 0) {
        api_fd = listen_on(api_port);
        conns[api_fd].open = 1;
        watch(api_fd, EPOLLIN, EPOLL_CTL_ADD);
    }
}

static void dump(conn_t *c, const char *path)
{
    FILE *f = fopen(path, "w");
    size_t i;

    if (!f) {
        respond(c, 200, "", "{\"ok\":false,\"error\":\"cannot_open\"}");
        return;
    }
    for (i = 0; i < n_receipts; i++) {
        fprintf(f, "%llu %s %lld\n", (unsigned long long)receipts[i].marker,
                chans[receipts[i].channel].name, (long long)receipts[i].t_ns);
    }
    fclose(f);
    respond(c, 200, "", "{\"ok\":true}");
}

static void control(conn_t *c, const char *path)
{
    char out[256];

    if (strcmp(path, "/outage/on") == 0 || strcmp(path, "/outage/off") == 0) {
        api_outage(path[9] == 'n');
        respond(c, 200, "", "{\"ok\":true}");
    } else if (strcmp(path, "/stats") == 0) {
        snprintf(out, sizeof(out),
                 "{\"ok\":true,\"posts\":%llu,\"violations\":%llu,\"receipts\":%zu,"
                 "\"channels\":%zu,\"outage\":%s}",
                 (unsigned long long)posts, (unsigned long long)violations, n_receipts, n_chans,
                 api_fd < 0 ? "true" : "false");
        respond(c, 200, "", out);
    } else if (strcmp(path, "/reset") == 0) {
        posts = violations = 0;
        n_receipts = n_chans = 0;
        memset(chans, 0, CHAN_SLOTS * sizeof(*chans));
        respond(c, 200, "", "{\"ok\":true}");
    } else if (strncmp(path, "/dump?path=", 11) == 0) {
        dump(c, path + 11);
    } else {
        respond(c, 404, "", "{\"ok\":false,\"error\":\"unknown\"}");
    }
}

/* Handles every complete request in C's input; 0 when the connection must close. */
static int handle_input(conn_t *c)
{
    size_t off = 0;
    int keep = 1;

    for (;;) {
        char *start = c->in + off, *end, *cl, path[1024];
        size_t avail = c->in_len - off, head, body_len = 0, plen;
        const char *sp1, *sp2;

        end = memmem(start, avail, "\r\n\r\n", 4);
        if (!end) {
            break;
        }
        head = (size_t)(end - start) + 4;
        *end = '\0'; /* the headers become one C string for strcasestr */
        cl = strcasestr(start, "\r\nContent-Length:");
        if (cl) {
            body_len = strtoull(cl + 17, NULL, 10);
        }
        if (strcasestr(start, "\r\nConnection: close")) {
            keep = 0;
        }
        if (avail < head + body_len) {
            *end = '\r';
            break;
        }
        sp1 = memchr(start, ' ', head);
        sp2 = sp1 ? memchr(sp1 + 1, ' ', head - (size_t)(sp1 + 1 - start)) : NULL;
        plen = sp1 && sp2 ? (size_t)(sp2 - sp1 - 1) : 0;
        if (plen >= sizeof(path)) {
            plen = 0;
        }
        memcpy(path, sp1 ? sp1 + 1 : "", plen);
        path[plen] = '\0';
        if (c->is_control) {
            control(c, path);
        } else if (strcmp(path, "/api/chat.postMessage") == 0) {
            post_message(c, start + head, body_len);
        } else if (strcmp(path, "/api/oauth.v2.access") == 0) {
            oauth_access(c, start + head, body_len);
        } else if (strcmp(path, "/api/auth.test") == 0) {
            respond(
                c, 200, "",
                "{\"ok\":true,\"team_id\":\"T0BENCH\",\"user_id\":\"U0BOT\",\"bot_id\":\"B0BOT\"}");
        } else {
            respond(c, 404, "", "{\"ok\":false,\"error\":\"unknown_method\"}");
        }
        off += head + body_len;
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
    return keep && c->in_len < MAX_REQUEST;
}

static int flush_out(int fd, conn_t *c)
{
    while (c->out_off < c->out_len) {
        ssize_t w = send(fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN) {
                watch(fd, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
                return 1;
            }
            return 0;
        }
        c->out_off += (size_t)w;
    }
    c->out_len = c->out_off = 0;
    watch(fd, EPOLLIN, EPOLL_CTL_MOD);
    return 1;
}

static void on_readable(int fd)
{
    conn_t *c = &conns[fd];
    int keep = 1;

    for (;;) {
        ssize_t r;
        if (c->in_cap - c->in_len < 16384) {
            c->in_cap = c->in_cap ? c->in_cap * 2 : 65536;
            c->in = xrealloc(c->in, c->in_cap + 1);
        }
        r = recv(fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
        if (r > 0) {
            c->in_len += (size_t)r;
            continue;
        }
        if (r == 0 || errno != EAGAIN) {
            keep = 0;
        }
        break;
    }
    keep = handle_input(c) && keep;
    if (!flush_out(fd, c) || (!keep && c->out_len == 0)) {
        conn_close(fd);
    }
}

static void on_accept(int lfd, int is_control)
{
    for (;;) {
        int one = 1, fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            return;
        }
        if (fd >= MAX_FDS) {
            close(fd);
            continue;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        conns[fd].is_control = is_control;
        conns[fd].open = 1;
        watch(fd, EPOLLIN, EPOLL_CTL_ADD);
    }
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    struct epoll_event evs[256];
    int ctl_fd;

    if (argc != 3) {
        fprintf(stderr, "usage: lean_slack API_PORT CONTROL_PORT\n");
        return 2;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    chans = calloc(CHAN_SLOTS, sizeof(*chans));
    ep = epoll_create1(EPOLL_CLOEXEC);
    api_port = atoi(argv[1]);
    api_fd = listen_on(api_port);
    ctl_fd = listen_on(atoi(argv[2]));
    conns[api_fd].open = conns[ctl_fd].open = 1;
    conns[ctl_fd].is_control = 1;
    watch(api_fd, EPOLLIN, EPOLL_CTL_ADD);
    watch(ctl_fd, EPOLLIN, EPOLL_CTL_ADD);
    printf("READY api=%d control=%s\n", api_port, argv[2]);
    fflush(stdout);
    while (!stop) {
        int i, n = epoll_wait(ep, evs, 256, 500);
        for (i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ctl_fd) {
                on_accept(fd, 1);
            } else if (fd == api_fd) {
                on_accept(fd, 0);
            } else if (conns[fd].open) {
                if (evs[i].events & EPOLLOUT) {
                    if (!flush_out(fd, &conns[fd])) {
                        conn_close(fd);
                        continue;
                    }
                }
                if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                    on_readable(fd);
                }
            }
        }
    }
    return 0;
}
