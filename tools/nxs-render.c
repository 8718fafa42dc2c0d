/* nxs-render: prints the chat.postMessage body the module would post for
 * an event file (or a daily recap, or an active-hours summary), built from
 * the same core code as the module.  Used by docs, type checks and tests. */
#include <apr_general.h>
#include <apr_getopt.h>
#include <apr_strings.h>
#include <stdio.h>
#include <stdlib.h>

#include "nxs_json.h"
#include "nxs_log.h"
#include "render/nxs_render.h"
#include "render/nxs_render_summary.h"
#include "nxs_url.h"

#define EXIT_USAGE 2

static const char usage[] =
    "usage: nxs-render [options] EVENT.json\n"
    "       nxs-render [options] --recap RECAP.json\n"
    "       nxs-render [options] --summary EVENTS.json\n"
    "options:\n"
    "  --locale en|fr            message language (en)\n"
    "  --currency CODE           account currency for amounts without one (none)\n"
    "  --tz ZONE                 IANA time zone of readable dates (UTC)\n"
    "  --mention none|here|channel\n"
    "  --app-url URL             Nexte app base URL for record links\n"
    "  --delivery-id ID          adds \"Mark as handled\" with this value\n"
    "EVENTS.json is an array of envelopes, or {\"events\": [...]}: the events held\n"
    "for one channel, each made a summary item with these settings.\n";

typedef struct {
    nxs_render_settings_t settings;
    const char *recap, *summary, *event;
} options_t;

static int fail(int code, const char *what, const char *why)
{
    fprintf(stderr, "nxs-render: %s%s%s\n", what, why ? ": " : "", why ? why : "");
    if (code == EXIT_USAGE) {
        fputs(usage, stderr);
    }
    return code;
}

/* Returns 0, or the exit code after saying what is wrong. */
static int parse_options(options_t *o, int argc, const char *const *argv, apr_pool_t *p)
{
    static const apr_getopt_option_t opts[] = {{"locale", 'l', 1, ""},  {"currency", 'c', 1, ""},
                                               {"tz", 't', 1, ""},      {"mention", 'm', 1, ""},
                                               {"app-url", 'a', 1, ""}, {"delivery-id", 'd', 1, ""},
                                               {"recap", 'r', 1, ""},   {"summary", 's', 1, ""},
                                               {"help", 'h', 0, ""},    {NULL, 0, 0, NULL}};
    apr_getopt_t *g;
    const char *arg, *why;
    int c;
    apr_status_t rv;

    apr_getopt_init(&g, p, argc, argv);
    g->errfn = NULL;
    while ((rv = apr_getopt_long(g, opts, &c, &arg)) == APR_SUCCESS) {
        switch (c) {
        case 'l':
            o->settings.locale = arg;
            break;
        case 'c':
            o->settings.currency = arg;
            break;
        case 't':
            o->settings.timezone = arg;
            break;
        case 'm':
            if (nxs_render_mention_parse(&o->settings.mention, arg) != APR_SUCCESS) {
                return fail(EXIT_USAGE, "--mention", "none, here or channel");
            }
            break;
        case 'a':
            if (nxs_url_check_base(&o->settings.app_url, &why, arg, p) != APR_SUCCESS) {
                return fail(EXIT_USAGE, "--app-url", why);
            }
            break;
        case 'd':
            o->settings.delivery_id = arg;
            break;
        case 'r':
            o->recap = arg;
            break;
        case 's':
            o->summary = arg;
            break;
        default:
            fputs(usage, stdout);
            exit(EXIT_SUCCESS);
        }
    }
    if (rv != APR_EOF) {
        return fail(EXIT_USAGE, "bad option", NULL);
    }
    o->event = g->ind < argc ? argv[g->ind] : NULL;
    if ((o->event != NULL) + (o->recap != NULL) + (o->summary != NULL) != 1 ||
        g->ind + (o->event != NULL) < argc) {
        return fail(EXIT_USAGE, "give exactly one EVENT.json, --recap or --summary", NULL);
    }
    return 0;
}

/* The summary of the envelopes in IN, each made an item first. */
static apr_status_t summary(json_t **msg, const char **why, const json_t *in,
                            const nxs_render_settings_t *s, apr_pool_t *p)
{
    const json_t *events = json_is_object(in) ? json_object_get(in, "events") : in;
    size_t n = json_array_size(events);
    nxs_summary_item_t *items = apr_pcalloc(p, sizeof(*items) * (n + 1));
    apr_status_t rv;

    for (size_t i = 0; i < n; i++) {
        if ((rv = nxs_render_summary_item(&items[i], why, json_array_get(events, i), s, p)) !=
            APR_SUCCESS) {
            *why = apr_psprintf(p, "events[%lu]: %s", (unsigned long)i, *why);
            return rv;
        }
    }
    return nxs_render_summary(msg, why, items, (int)n, s, p);
}

static apr_status_t render(json_t **msg, const char **why, const options_t *o, apr_pool_t *p)
{
    const char *path = o->event ? o->event : o->recap ? o->recap : o->summary;
    json_t *in;
    nxs_recap_t *recap;
    apr_status_t rv;

    if ((rv = nxs_json_load_file(&in, why, path, p)) != APR_SUCCESS) {
        *why = apr_psprintf(p, "%s: %s", path, *why);
        return rv;
    }
    if (o->recap) {
        if ((rv = nxs_render_recap_read(&recap, why, in, p)) != APR_SUCCESS) {
            return rv;
        }
        return nxs_render_recap(msg, why, recap, &o->settings, p);
    }
    if (o->summary) {
        return summary(msg, why, in, &o->settings, p);
    }
    return nxs_render_event(msg, why, in, &o->settings, p);
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *p;
    options_t o = {0};
    json_t *msg = NULL;
    const char *why = NULL;
    int code;

    apr_app_initialize(&argc, &argv, NULL);
    nxs_log_use_stderr();
    atexit(apr_terminate);
    apr_pool_create(&p, NULL);
    if ((code = parse_options(&o, argc, argv, p)) != 0) {
        return code;
    }
    if (render(&msg, &why, &o, p) != APR_SUCCESS) {
        return fail(EXIT_FAILURE, "cannot render", why);
    }
    if (json_dumpf(msg, stdout, JSON_INDENT(2)) != 0 || fputc('\n', stdout) == EOF) {
        return fail(EXIT_FAILURE, "cannot write the message", NULL);
    }
    return EXIT_SUCCESS;
}
