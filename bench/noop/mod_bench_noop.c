/* mod_bench_noop: the benchmark's reference handler.  It does the framing the
 * events handler cannot avoid (read the whole body, answer 202 with a small
 * JSON body) and nothing else, so that ingest can be reported as a ratio to
 * what this httpd does for a POST of the same size.
 *   <Location /noop> SetHandler bench-noop </Location> */
#include <httpd.h>
#include <http_config.h>
#include <http_protocol.h>
#include <string.h>

static int noop_handler(request_rec *r)
{
    char buf[8192];
    apr_off_t total = 0;
    long n;
    int rc;

    if (!r->handler || strcmp(r->handler, "bench-noop") != 0) {
        return DECLINED;
    }
    if ((rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK)) != OK) {
        return rc;
    }
    if (ap_should_client_block(r)) {
        while ((n = ap_get_client_block(r, buf, sizeof(buf))) > 0) {
            total += n;
        }
        if (n < 0) {
            return HTTP_BAD_REQUEST;
        }
    }
    r->status = HTTP_ACCEPTED;
    ap_set_content_type(r, "application/json");
    ap_rputs(total > 0 ? "{\"status\":\"queued\",\"deliveries\":1}"
                       : "{\"status\":\"queued\",\"deliveries\":0}",
             r);
    return OK;
}

static void register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_handler(noop_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA bench_noop_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, register_hooks, 0};
