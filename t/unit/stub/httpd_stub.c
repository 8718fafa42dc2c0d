/* The httpd stub: the httpd functions and data the module's glue uses
 * (found with `nm -u` on the glue objects), implemented minimally so that
 * the real glue links into a unit test without httpd.  Each function says
 * how it differs from httpd's.  Real APR and APR-util do the rest.
 *
 * Controls and captures for tests: httpd_stub.h. */
#include "httpd_stub.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <apr_file_info.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <ap_listen.h>
#include <ap_mpm.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <mod_unixd.h>
#include <scoreboard.h>
#include <unixd.h>
#include <util_cookies.h>
#include <util_script.h>
#include <stdio.h>
#include <string.h>

/* Slots in the fake config vectors: core (index 0, as in httpd) and the
 * module under test. */
#define STUB_MODULE_SLOTS 4
#define STUB_MODULE_INDEX 1
#define STUB_MAGIC        0x6e787373u

/* A fake request: the request_rec comes first so that the request_rec *
 * the glue is given is also the stub's own record of it. */
typedef struct stub_request_t {
    request_rec r;
    conn_rec c;
    unsigned magic;
    core_dir_config *core;
    const char *body;
    apr_size_t body_len;
    apr_size_t body_pos;
    apr_off_t declared;
    int chunked;
    int fail_setup;
    int fail_read;
    char *out;
    apr_size_t out_len;
    apr_size_t out_cap;
    int flushes;
} stub_request_t;

static struct {
    apr_pool_t *pool;
    apr_array_header_t *log; /* of const char * */
    const char *runtime_dir;
    const char *server_root;
    int main_state;
    int mpm_state;
    nxs_stub_handler_fn handler;
    nxs_stub_config_fn check_config;
    nxs_stub_config_fn post_config;
    ap_HOOK_child_init_t *child_init;
} stub;

/* httpd's data: no scoreboard (the status handler then reports uptime 0),
 * and a unixd config of user and group 0 that nothing in a test uses. */
AP_DECLARE_DATA scoreboard *ap_scoreboard_image = NULL;
AP_DECLARE_DATA unixd_config_rec ap_unixd_config;

void nxs_stub_reset(apr_pool_t *p)
{
    memset(&stub, 0, sizeof(stub));
    stub.pool = p;
    stub.log = p ? apr_array_make(p, 16, sizeof(const char *)) : NULL;
    stub.runtime_dir = "/tmp";
    stub.server_root = "/nonexistent-server-root";
    stub.main_state = AP_SQ_MS_CREATE_PRE_CONFIG;
    stub.mpm_state = AP_MPMQ_RUNNING;
}

void nxs_stub_set_runtime_dir(const char *dir)
{
    stub.runtime_dir = dir;
}

void nxs_stub_set_server_root(const char *dir)
{
    stub.server_root = dir;
}

void nxs_stub_set_main_state(int state)
{
    stub.main_state = state;
}

void nxs_stub_set_mpm_state(int state)
{
    stub.mpm_state = state;
}

/* ---------------------------------------------------------------- logging */

static const char *const level_names[] = {
    "emerg",  "alert",  "crit",   "error",  "warn",   "notice", "info",   "debug",
    "trace1", "trace2", "trace3", "trace4", "trace5", "trace6", "trace7", "trace8",
};

/* httpd writes to the error log with a timestamp, module, pid and client;
 * the stub keeps "LEVEL: [(STATUS)text: ]message" for the test to read. */
static void capture(int level, apr_status_t status, const char *fmt, va_list ap)
{
    char err[128];
    apr_pool_t *p = stub.pool;
    const char *msg, *line;

    if (!p) {
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        return;
    }
    msg = apr_pvsprintf(p, fmt, ap);
    line = status ? apr_psprintf(p, "%s: (%d)%s: %s", level_names[level & APLOG_LEVELMASK], status,
                                 apr_strerror(status, err, sizeof(err)), msg)
                  : apr_psprintf(p, "%s: %s", level_names[level & APLOG_LEVELMASK], msg);
    APR_ARRAY_PUSH(stub.log, const char *) = line;
}

/* httpd: filters by the server's LogLevel (done by the ap_log_error macro
 * before this is called) and writes the error log. */
AP_DECLARE(void)
ap_log_error_(const char *file, int line, int module_index, int level, apr_status_t status,
              const server_rec *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    capture(level, status, fmt, ap);
    va_end(ap);
}

/* httpd: adds the client address and the request to the line. */
AP_DECLARE(void)
ap_log_rerror_(const char *file, int line, int module_index, int level, apr_status_t status,
               const request_rec *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    capture(level, status, fmt, ap);
    va_end(ap);
}

const char *nxs_stub_log(void)
{
    if (!stub.log || stub.log->nelts == 0) {
        return "";
    }
    return apr_array_pstrcat(stub.pool, stub.log, '\n');
}

int nxs_stub_log_has(const char *needle)
{
    int i;

    for (i = 0; stub.log && i < stub.log->nelts; ++i) {
        if (strstr(APR_ARRAY_IDX(stub.log, i, const char *), needle)) {
            return 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ hooks */

/* httpd: sorts hooks by order and predecessors into per-hook arrays; the
 * stub keeps the module's one function per hook. */
AP_DECLARE(void)
ap_hook_handler(ap_HOOK_handler_t *pf, const char *const *pre, const char *const *succ, int order)
{
    stub.handler = pf;
}

AP_DECLARE(void)
ap_hook_check_config(ap_HOOK_check_config_t *pf, const char *const *pre, const char *const *succ,
                     int order)
{
    stub.check_config = pf;
}

AP_DECLARE(void)
ap_hook_post_config(ap_HOOK_post_config_t *pf, const char *const *pre, const char *const *succ,
                    int order)
{
    stub.post_config = pf;
}

AP_DECLARE(void)
ap_hook_child_init(ap_HOOK_child_init_t *pf, const char *const *pre, const char *const *succ,
                   int order)
{
    stub.child_init = pf;
}

/* httpd: the sorted child_init hooks of every module; the stub has none
 * (no mod_dbd), which the delivery daemon's set-up treats as "not loaded". */
AP_DECLARE(apr_array_header_t *) ap_hook_get_child_init(void)
{
    return NULL;
}

void nxs_stub_register_module(apr_pool_t *p)
{
    nexte_slack_module.register_hooks(p);
}

nxs_stub_handler_fn nxs_stub_hooked_handler(void)
{
    return stub.handler;
}

nxs_stub_config_fn nxs_stub_hooked_check_config(void)
{
    return stub.check_config;
}

nxs_stub_config_fn nxs_stub_hooked_post_config(void)
{
    return stub.post_config;
}

/* ------------------------------------------------- servers and directives */

static void **config_vector(apr_pool_t *p)
{
    /* httpd numbers modules as it loads them; here the module is always 1. */
    if (nexte_slack_module.module_index < 0) {
        nexte_slack_module.module_index = STUB_MODULE_INDEX;
    }
    return apr_pcalloc(p, sizeof(void *) * STUB_MODULE_SLOTS);
}

/* A server of the configuration read whose pool is PCONF (httpd's pconf:
 * one per read, shared by the main server and its virtual hosts, and what
 * create_server allocates from). */
static server_rec *new_server(apr_pool_t *pconf, process_rec *proc, int is_virtual,
                              const char *hostname, unsigned line)
{
    apr_pool_t *p = pconf;
    server_rec *s = apr_pcalloc(p, sizeof(*s));
    void **dir = config_vector(p);

    s->process = proc;
    s->is_virtual = is_virtual;
    s->server_hostname = apr_pstrdup(p, hostname);
    s->port = 80;
    s->defn_name = "stub.conf";
    s->defn_line_number = line;
    s->timeout = apr_time_from_sec(60);
    s->log.level = APLOG_TRACE8;
    s->module_config = (struct ap_conf_vector_t *)config_vector(p);
    dir[AP_CORE_MODULE_INDEX] = apr_pcalloc(p, sizeof(core_dir_config));
    s->lookup_defaults = (struct ap_conf_vector_t *)dir;
    ((void **)s->module_config)[nexte_slack_module.module_index] =
        nexte_slack_module.create_server_config(p, s);
    return s;
}

server_rec *nxs_stub_server(apr_pool_t *p)
{
    process_rec *proc = apr_pcalloc(p, sizeof(*proc));

    /* each main server is a configuration read of its own */
    proc->pool = p;
    apr_pool_create(&proc->pconf, p);
    proc->short_name = "httpd";
    return new_server(proc->pconf, proc, 0, "main.test", 1);
}

server_rec *nxs_stub_vhost(apr_pool_t *p, server_rec *main, const char *hostname)
{
    server_rec *last = main, *v;
    unsigned n = 1;

    while (last->next) {
        last = last->next;
        ++n;
    }
    v = new_server(main->process->pconf, main->process, 1, hostname, 10 * n);
    last->next = v;
    return v;
}

void nxs_stub_merge_vhosts(apr_pool_t *p, server_rec *main)
{
    int i = nexte_slack_module.module_index;
    void *base = ((void **)main->module_config)[i];
    server_rec *v;

    for (v = main->next; v; v = v->next) {
        void **vec = (void **)v->module_config;
        vec[i] = nexte_slack_module.merge_server_config(main->process->pconf, base, vec[i]);
    }
}

/* httpd: reads the line, checks the context (req_override) and splits the
 * arguments, quoting included, before calling the directive's function; the
 * stub gets them split and checks only their number. */
const char *nxs_stub_directive(server_rec *s, apr_pool_t *p, const char *name, const char *arg1,
                               const char *arg2)
{
    const command_rec *c;
    cmd_parms cmd;
    ap_directive_t *d = apr_pcalloc(p, sizeof(*d));

    for (c = nexte_slack_module.cmds; c && c->name; ++c) {
        if (strcasecmp(c->name, name) == 0) {
            break;
        }
    }
    if (!c || !c->name) {
        fail_msg("no directive %s in the module's command table", name);
        return NULL;
    }
    d->directive = c->name;
    d->args = arg2 ? apr_pstrcat(p, arg1, " ", arg2, NULL) : arg1;
    d->filename = s->defn_name;
    d->line_num = s->defn_line_number;
    memset(&cmd, 0, sizeof(cmd));
    cmd.info = c->cmd_data;
    cmd.override = RSRC_CONF;
    cmd.limited = -1;
    cmd.pool = p;
    cmd.temp_pool = p;
    cmd.server = s;
    cmd.cmd = c;
    cmd.directive = d;
    switch (c->args_how) {
    case TAKE1:
        if (!arg1 || arg2) {
            return apr_pstrcat(p, c->name, " takes one argument, ", c->errmsg, NULL);
        }
        return c->AP_TAKE1(&cmd, NULL, arg1);
    case TAKE2:
        if (!arg1 || !arg2) {
            return apr_pstrcat(p, c->name, " takes two arguments, ", c->errmsg, NULL);
        }
        return c->AP_TAKE2(&cmd, NULL, arg1, arg2);
    case TAKE12:
        if (!arg1) {
            return apr_pstrcat(p, c->name, " takes one or two arguments, ", c->errmsg, NULL);
        }
        return c->AP_TAKE2(&cmd, NULL, arg1, arg2);
    default:
        fail_msg("directive %s: argument form %d is not supported by the stub", name,
                 (int)c->args_how);
        return NULL;
    }
}

/* httpd: DefaultRuntimeDir (ServerRoot/logs by default); here a directory
 * the test chooses. */
AP_DECLARE(char *) ap_runtime_dir_relative(apr_pool_t *p, const char *fname)
{
    char *out = NULL;

    if (apr_filepath_merge(&out, stub.runtime_dir, fname, APR_FILEPATH_TRUENAME, p) !=
        APR_SUCCESS) {
        return NULL;
    }
    return out;
}

/* httpd: ServerRoot; here a directory the test chooses. */
AP_DECLARE(char *) ap_server_root_relative(apr_pool_t *p, const char *fname)
{
    char *out = NULL;

    if (apr_filepath_merge(&out, stub.server_root, fname, APR_FILEPATH_TRUENAME, p) !=
        APR_SUCCESS) {
        return NULL;
    }
    return out;
}

/* httpd: the process's real state; here what the test set. */
AP_DECLARE(int) ap_state_query(int query)
{
    switch (query) {
    case AP_SQ_MAIN_STATE:
        return stub.main_state;
    case AP_SQ_RUN_MODE:
        return AP_SQ_RM_NORMAL;
    case AP_SQ_CONFIG_GEN:
        return 1;
    default:
        return AP_SQ_NOT_SUPPORTED;
    }
}

/* httpd: asks the MPM; here only its state is known. */
AP_DECLARE(apr_status_t) ap_mpm_query(int code, int *result)
{
    if (code == AP_MPMQ_MPM_STATE) {
        *result = stub.mpm_state;
        return APR_SUCCESS;
    }
    return APR_ENOTIMPL;
}

/* httpd: closes the listening sockets in a forked helper; a test has none. */
AP_DECLARE_NONSTD(void) ap_close_listeners(void)
{
}

/* httpd: switches to the User/Group of the config; a test stays who it is. */
AP_DECLARE(int) ap_unixd_setup_child(void)
{
    return 0;
}

AP_DECLARE(const char *) ap_get_server_banner(void)
{
    return "Apache/2.4 (nxs-stub)";
}

/* --------------------------------------------------------------- requests */

static stub_request_t *stub_of(const request_rec *r)
{
    stub_request_t *sr = (stub_request_t *)r;

    if (sr->magic != STUB_MAGIC) {
        fail_msg("request_rec %p was not made by nxs_stub_request", (const void *)r);
    }
    return sr;
}

static int method_number(const char *m)
{
    static const struct {
        const char *name;
        int number;
    } methods[] = {
        {"GET", M_GET},       {"HEAD", M_GET},        {"POST", M_POST},   {"PUT", M_PUT},
        {"DELETE", M_DELETE}, {"OPTIONS", M_OPTIONS}, {"PATCH", M_PATCH},
    };
    size_t i;

    for (i = 0; i < sizeof(methods) / sizeof(methods[0]); ++i) {
        if (strcmp(methods[i].name, m) == 0) {
            return methods[i].number;
        }
    }
    return M_INVALID;
}

request_rec *nxs_stub_request(apr_pool_t *p, server_rec *s, const char *method, const char *target)
{
    stub_request_t *sr = apr_pcalloc(p, sizeof(*sr));
    request_rec *r = &sr->r;
    const char *q = strchr(target, '?');
    void **dir = config_vector(p);

    sr->magic = STUB_MAGIC;
    sr->core = apr_pcalloc(p, sizeof(*sr->core));
    dir[AP_CORE_MODULE_INDEX] = sr->core;
    sr->c.pool = p;
    sr->c.base_server = s;
    sr->c.client_ip = "192.0.2.1";
    sr->c.local_ip = "192.0.2.2";
    sr->c.conn_config = (struct ap_conf_vector_t *)config_vector(p);
    sr->c.notes = apr_table_make(p, 4);
    r->pool = p;
    r->connection = &sr->c;
    r->server = s;
    r->method = method;
    r->method_number = method_number(method);
    r->header_only = strcmp(method, "HEAD") == 0;
    r->protocol = "HTTP/1.1";
    r->proto_num = HTTP_VERSION(1, 1);
    r->hostname = s->server_hostname;
    r->the_request = apr_pstrcat(p, method, " ", target, " HTTP/1.1", NULL);
    r->unparsed_uri = apr_pstrdup(p, target);
    r->uri = q ? apr_pstrmemdup(p, target, (apr_size_t)(q - target)) : r->unparsed_uri;
    r->args = q ? apr_pstrdup(p, q + 1) : NULL;
    r->request_time = apr_time_now();
    r->status = HTTP_OK;
    r->headers_in = apr_table_make(p, 8);
    r->headers_out = apr_table_make(p, 8);
    r->err_headers_out = apr_table_make(p, 4);
    r->subprocess_env = apr_table_make(p, 4);
    r->notes = apr_table_make(p, 4);
    r->per_dir_config = (struct ap_conf_vector_t *)dir;
    r->request_config = (struct ap_conf_vector_t *)config_vector(p);
    r->useragent_ip = sr->c.client_ip;
    sr->body = "";
    return r;
}

void nxs_stub_location(request_rec *r, const char *location)
{
    stub_of(r)->core->d = apr_pstrdup(r->pool, location);
}

void nxs_stub_body(request_rec *r, const char *body, apr_size_t len)
{
    stub_request_t *sr = stub_of(r);

    sr->body = body;
    sr->body_len = len;
    sr->declared = (apr_off_t)len;
    apr_table_setn(r->headers_in, "Content-Length", apr_off_t_toa(r->pool, sr->declared));
}

void nxs_stub_declare_length(request_rec *r, apr_off_t declared)
{
    stub_request_t *sr = stub_of(r);

    sr->declared = declared;
    apr_table_setn(r->headers_in, "Content-Length", apr_off_t_toa(r->pool, declared));
}

void nxs_stub_chunked(request_rec *r)
{
    stub_of(r)->chunked = 1;
    apr_table_unset(r->headers_in, "Content-Length");
    apr_table_setn(r->headers_in, "Transfer-Encoding", "chunked");
}

void nxs_stub_body_fails(request_rec *r, int at_setup)
{
    if (at_setup) {
        stub_of(r)->fail_setup = 1;
    } else {
        stub_of(r)->fail_read = 1;
    }
}

/* httpd: parses Content-Length and Transfer-Encoding itself and answers
 * 400/413 for bad ones; here the test has said what the client sent. */
AP_DECLARE(int) ap_setup_client_block(request_rec *r, int read_policy)
{
    stub_request_t *sr = stub_of(r);

    if (sr->fail_setup) {
        return HTTP_BAD_REQUEST;
    }
    r->read_body = read_policy;
    r->read_chunked = sr->chunked;
    r->remaining = sr->chunked ? 0 : sr->declared;
    r->read_length = 0;
    return OK;
}

/* The same rule as httpd's. */
AP_DECLARE(int) ap_should_client_block(request_rec *r)
{
    return !(r->read_length || (!r->read_chunked && r->remaining <= 0));
}

/* httpd: reads through the input filters; here from the body the test set.
 * A body shorter than its declared length fails as a timed-out read does. */
AP_DECLARE(long) ap_get_client_block(request_rec *r, char *buffer, apr_size_t bufsiz)
{
    stub_request_t *sr = stub_of(r);
    apr_size_t avail = sr->body_len - sr->body_pos, n;

    if (!sr->chunked) {
        if (r->remaining <= 0) {
            return 0;
        }
        if ((apr_off_t)avail > r->remaining) {
            avail = (apr_size_t)r->remaining;
        }
    }
    if (avail == 0) {
        return sr->fail_read || (!sr->chunked && r->remaining > 0) ? -1 : 0;
    }
    n = avail < bufsiz ? avail : bufsiz;
    memcpy(buffer, sr->body + sr->body_pos, n);
    sr->body_pos += n;
    r->read_length += (apr_off_t)n;
    if (!sr->chunked) {
        r->remaining -= (apr_off_t)n;
    }
    return (long)n;
}

/* httpd: also parses "; charset=" and marks the type trusted. */
AP_DECLARE(void) ap_set_content_type(request_rec *r, const char *ct)
{
    r->content_type = ct;
}

/* The same effect as httpd's: r->clength and the Content-Length header. */
AP_DECLARE(void) ap_set_content_length(request_rec *r, apr_off_t length)
{
    r->clength = length;
    apr_table_setn(r->headers_out, "Content-Length", apr_off_t_toa(r->pool, length));
}

/* True when the If-None-Match list LIST names ETAG ("*" names any), compared
 * weakly as httpd does for If-None-Match (a W/ prefix is ignored). */
static int etag_listed(apr_pool_t *p, const char *list, const char *etag)
{
    char *copy = apr_pstrdup(p, list), *last = NULL, *t;

    if (strncmp(etag, "W/", 2) == 0) {
        etag += 2;
    }
    for (t = apr_strtok(copy, ", \t", &last); t; t = apr_strtok(NULL, ", \t", &last)) {
        if (strcmp(t, "*") == 0 || strcmp(strncmp(t, "W/", 2) == 0 ? t + 2 : t, etag) == 0) {
            return 1;
        }
    }
    return 0;
}

/* httpd: RFC 9110's preconditions in full (If-Match, If-Unmodified-Since,
 * If-None-Match, If-Modified-Since) against the ETag in headers_out and
 * r->mtime; the stub: If-None-Match only (304 for GET and HEAD, 412 for
 * other methods), which is what the glue's callers rely on. */
AP_DECLARE(int) ap_meets_conditions(request_rec *r)
{
    const char *inm = apr_table_get(r->headers_in, "If-None-Match");
    const char *etag = apr_table_get(r->headers_out, "ETag");

    if (!inm || !etag || !etag_listed(r->pool, inm, etag)) {
        return OK;
    }
    return r->method_number == M_GET ? HTTP_NOT_MODIFIED : HTTP_PRECONDITION_FAILED;
}

/* httpd: passes the bytes down the output filters to the client; here they
 * are kept for nxs_stub_response. */
AP_DECLARE(int) ap_rwrite(const void *buf, int nbyte, request_rec *r)
{
    stub_request_t *sr = stub_of(r);
    apr_size_t need = sr->out_len + (apr_size_t)nbyte + 1;

    if (need > sr->out_cap) {
        apr_size_t cap = need * 2;
        char *grown = apr_palloc(r->pool, cap);
        if (sr->out_len) {
            memcpy(grown, sr->out, sr->out_len);
        }
        sr->out = grown;
        sr->out_cap = cap;
    }
    memcpy(sr->out + sr->out_len, buf, (apr_size_t)nbyte);
    sr->out_len += (apr_size_t)nbyte;
    sr->out[sr->out_len] = '\0';
    r->bytes_sent += nbyte;
    return nbyte;
}

/* httpd: sends what is buffered to the client; here it is counted. */
AP_DECLARE(int) ap_rflush(request_rec *r)
{
    ++stub_of(r)->flushes;
    return 0;
}

const char *nxs_stub_response(const request_rec *r)
{
    const stub_request_t *sr = stub_of(r);

    return sr->out ? sr->out : "";
}

int nxs_stub_flushes(const request_rec *r)
{
    return stub_of(r)->flushes;
}

/* httpd splits r->args the same way and decodes each part with
 * ap_unescape_url; the stub turns '+' into a space and %XX into its byte. */
static char *form_decode(apr_pool_t *p, const char *s, apr_size_t n)
{
    char *out = apr_palloc(p, n + 1), *o = out;
    apr_size_t i;

    for (i = 0; i < n; ++i) {
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%' && i + 2 < n && apr_isxdigit(s[i + 1]) && apr_isxdigit(s[i + 2])) {
            char hex[3] = {s[i + 1], s[i + 2], '\0'};
            *o++ = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

AP_DECLARE(void) ap_args_to_table(request_rec *r, apr_table_t **table)
{
    const char *a = r->args ? r->args : "";

    *table = apr_table_make(r->pool, 8);
    while (*a) {
        apr_size_t n = strcspn(a, "&");
        const char *eq = memchr(a, '=', n);
        if (n > 0) {
            apr_size_t kn = eq ? (apr_size_t)(eq - a) : n;
            apr_table_addn(*table, form_decode(r->pool, a, kn),
                           eq ? form_decode(r->pool, eq + 1, n - kn - 1) : "");
        }
        a += n;
        if (*a == '&') {
            ++a;
        }
    }
}

/* httpd reads the body through the input filters and splits it on '&';
 * here the body the test set is split the same way, each value decoded into
 * a brigade of one heap bucket.  As httpd, a body that is not
 * application/x-www-form-urlencoded gives no pairs and OK; a body over
 * USIZE is HTTP_REQUEST_ENTITY_TOO_LARGE; NUM (the most pairs) is ignored. */
AP_DECLARE(int)
ap_parse_form_data(request_rec *r, ap_filter_t *f, apr_array_header_t **ptr, apr_size_t num,
                   apr_size_t usize)
{
    stub_request_t *sr = stub_of(r);
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    apr_bucket_alloc_t *ba = apr_bucket_alloc_create(r->pool);
    const char *a = sr->body ? sr->body : "";
    const char *end = a + sr->body_len;

    (void)f;
    (void)num;
    *ptr = apr_array_make(r->pool, 4, sizeof(ap_form_pair_t));
    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
        return OK;
    }
    if (sr->body_len > usize) {
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    }
    while (a < end) {
        const char *amp = memchr(a, '&', (apr_size_t)(end - a));
        apr_size_t n = amp ? (apr_size_t)(amp - a) : (apr_size_t)(end - a);
        const char *eq = memchr(a, '=', n);
        if (n > 0) {
            ap_form_pair_t *pair = apr_array_push(*ptr);
            apr_size_t kn = eq ? (apr_size_t)(eq - a) : n;
            const char *value = eq ? form_decode(r->pool, eq + 1, n - kn - 1) : "";
            pair->name = form_decode(r->pool, a, kn);
            pair->value = apr_brigade_create(r->pool, ba);
            apr_brigade_write(pair->value, NULL, NULL, value, strlen(value));
        }
        a += n + (amp != NULL);
    }
    sr->body_pos = sr->body_len;
    return OK;
}

/* ---------------------------------------------------------------- cookies */

typedef struct cookie_find_t {
    apr_pool_t *p;
    const char *name;
    const char *value;
    int found;
} cookie_find_t;

static int find_cookie(void *v, const char *key, const char *header)
{
    cookie_find_t *f = v;
    apr_size_t nl = strlen(f->name);
    const char *c = header;

    while (*c) {
        apr_size_t n;
        while (*c == ' ' || *c == ';') {
            ++c;
        }
        n = strcspn(c, ";");
        if (n > nl && strncmp(c, f->name, nl) == 0 && c[nl] == '=') {
            f->value = apr_pstrmemdup(f->p, c + nl + 1, n - nl - 1);
            ++f->found;
        }
        c += n;
    }
    return 1;
}

/* httpd: the same lookup over Cookie and Cookie2, and REMOVE takes the
 * cookie out of the header; the stub ignores REMOVE.  Like httpd, a cookie
 * sent twice is an error (APR_EGENERAL). */
AP_DECLARE(apr_status_t)
ap_cookie_read(request_rec *r, const char *name, const char **val, int remove)
{
    cookie_find_t f = {r->pool, name, NULL, 0};

    apr_table_do(find_cookie, &f, r->headers_in, "Cookie", NULL);
    if (f.found > 1) {
        return APR_EGENERAL;
    }
    if (f.found) {
        *val = f.value;
    }
    return APR_SUCCESS;
}

/* As httpd: Set-Cookie goes into each table of the NULL-terminated list. */
static void add_to_tables(const char *header, va_list ap)
{
    apr_table_t *t;

    while ((t = va_arg(ap, apr_table_t *)) != NULL) {
        apr_table_addn(t, "Set-Cookie", header);
    }
}

/* The same header as httpd's ("NAME=VAL;Max-Age=N;ATTRS", no Max-Age when
 * MAXAGE is 0) added to the tables given; httpd also logs it at debug. */
AP_DECLARE_NONSTD(apr_status_t)
ap_cookie_write(request_rec *r, const char *name, const char *val, const char *attrs, long maxage,
                ...)
{
    va_list ap;
    const char *h = apr_pstrcat(r->pool, name, "=", val, ";",
                                maxage ? apr_psprintf(r->pool, "Max-Age=%ld;", maxage) : "",
                                attrs && *attrs ? attrs : "HttpOnly;Secure;Version=1", NULL);

    va_start(ap, maxage);
    add_to_tables(h, ap);
    va_end(ap);
    return APR_SUCCESS;
}

/* The same header as httpd's: an empty value with Max-Age=0. */
AP_DECLARE_NONSTD(apr_status_t)
ap_cookie_remove(request_rec *r, const char *name, const char *attrs, ...)
{
    va_list ap;
    const char *h = apr_pstrcat(r->pool, name, "=;Max-Age=0;", attrs ? attrs : "Version=1", NULL);

    va_start(ap, attrs);
    add_to_tables(h, ap);
    va_end(ap);
    return APR_SUCCESS;
}

/* --------------------------------------------------------------- escaping */

/* httpd: the same four entities, and with TOASC every byte above 127 as a
 * numeric entity. */
AP_DECLARE(char *) ap_escape_html2(apr_pool_t *p, const char *s, int toasc)
{
    apr_size_t n = strlen(s), i, o = 0;
    char *out = apr_palloc(p, n * 6 + 1);

    for (i = 0; i < n; ++i) {
        unsigned char ch = (unsigned char)s[i];
        const char *e = ch == '<'   ? "&lt;"
                        : ch == '>' ? "&gt;"
                        : ch == '&' ? "&amp;"
                        : ch == '"' ? "&quot;"
                                    : NULL;
        if (e) {
            memcpy(out + o, e, strlen(e));
            o += strlen(e);
        } else if (toasc && ch > 127) {
            o += (apr_size_t)sprintf(out + o, "&#%u;", ch);
        } else {
            out[o++] = (char)ch;
        }
    }
    out[o] = '\0';
    return out;
}

/* httpd: escapes by a generated table; the stub escapes quote and
 * backslash with a backslash and every other unprintable byte as \xHH. */
AP_DECLARE(char *) ap_escape_logitem(apr_pool_t *p, const char *str)
{
    apr_size_t n, i, o = 0;
    char *out;

    if (!str) {
        return NULL;
    }
    n = strlen(str);
    out = apr_palloc(p, n * 4 + 1);
    for (i = 0; i < n; ++i) {
        unsigned char ch = (unsigned char)str[i];
        if (ch == '"' || ch == '\\') {
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else if (ch < 0x20 || ch >= 0x7f) {
            o += (apr_size_t)sprintf(out + o, "\\x%02x", ch);
        } else {
            out[o++] = (char)ch;
        }
    }
    out[o] = '\0';
    return out;
}

/* httpd: form encoding by a generated table; the stub keeps letters,
 * digits and "-._*", turns a space into '+' and the rest into %XX. */
AP_DECLARE(char *) ap_escape_urlencoded(apr_pool_t *p, const char *s)
{
    apr_size_t n = strlen(s), i, o = 0;
    char *out = apr_palloc(p, n * 3 + 1);

    for (i = 0; i < n; ++i) {
        unsigned char ch = (unsigned char)s[i];
        if (apr_isalnum(ch) || strchr("-._*", ch)) {
            out[o++] = (char)ch;
        } else if (ch == ' ') {
            out[o++] = '+';
        } else {
            o += (apr_size_t)sprintf(out + o, "%%%02X", ch);
        }
    }
    out[o] = '\0';
    return out;
}
