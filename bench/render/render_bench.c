/* Render cost per message: what the events handler does per delivery, i.e.
 * nxs_render_event() of an envelope plus the compact JSON text (nxs_json_dump) of the
 * chat.postMessage body, each message in its own sub-pool (as per request).
 *
 *   render_bench N EVENT.json...   renders N messages, cycling over the files
 *                                  (each in en and fr alternately) and prints
 *                                  "messages N ns_per_message X bytes_per_message Y"
 * Under callgrind, run it twice with two N and divide the difference in Ir by
 * the difference in N: start-up (ICU data, loading the files) cancels out. */
#include <apr_general.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nxs_json.h"
#include "render/nxs_render.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *p, *sub;
    json_t *events[64];
    const char *why = NULL;
    long n, i;
    int nev = 0;
    size_t bytes = 0;
    double t0;

    apr_app_initialize(&argc, &argv, NULL);
    atexit(apr_terminate);
    apr_pool_create(&p, NULL);
    apr_pool_create(&sub, p);
    if (argc < 3 || (n = atol(argv[1])) <= 0) {
        fprintf(stderr, "usage: render_bench N EVENT.json...\n");
        return 2;
    }
    for (i = 2; i < argc && nev < 64; i++) {
        if (nxs_json_load_file(&events[nev], &why, argv[i], p) != APR_SUCCESS) {
            fprintf(stderr, "render_bench: %s: %s\n", argv[i], why);
            return 1;
        }
        nev++;
    }
    t0 = now_s();
    for (i = 0; i < n; i++) {
        /* The account's settings as the events handler passes them. */
        nxs_render_settings_t s = {(i / nev) % 2 ? "fr" : "en",
                                   "EUR",
                                   "Europe/Paris",
                                   NXS_MENTION_NONE,
                                   "https://app.nexte.io",
                                   "d_0123456789abcdef"};
        json_t *msg = NULL;
        const char *text;

        if (nxs_render_event(&msg, &why, events[i % nev], &s, sub) != APR_SUCCESS) {
            fprintf(stderr, "render_bench: cannot render: %s\n", why);
            return 1;
        }
        json_object_set_new(msg, "channel", json_string("C0BENCH0001"));
        text = nxs_json_dump(msg, JSON_COMPACT, sub);
        bytes += strlen(text);
        apr_pool_clear(sub);
    }
    printf("messages %ld ns_per_message %.0f bytes_per_message %zu\n", n,
           (now_s() - t0) * 1e9 / (double)n, bytes / (size_t)n);
    return 0;
}
