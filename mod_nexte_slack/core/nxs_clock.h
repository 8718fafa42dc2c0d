/* The clock seam: every piece of scheduled work (pre-meeting alerts, the
 * daily recap, purges, token refresh) asks nxs_clock_now() for the time
 * instead of apr_time_now(), so that unit tests can move time by hand and
 * test a whole day, a DST night or a long outage without waiting.
 *
 * No production directive sets it: httpd always runs on apr_time_now (the
 * Apache-Test suite moves time with libfaketime, which apr_time_now
 * follows).
 *
 * Thread safety: nxs_clock_now() may be called from any thread.
 * nxs_clock_set() writes a process-wide pointer without a lock: call it
 * only before any thread that reads the clock starts (tests call it from
 * their single thread). */
#ifndef NXS_CLOCK_H
#define NXS_CLOCK_H

#include <apr_time.h>

typedef apr_time_t (*nxs_clock_fn)(void);

/* The current time, from the clock set last (apr_time_now by default). */
apr_time_t nxs_clock_now(void);

/* Replaces the clock; NULL restores apr_time_now. */
void nxs_clock_set(nxs_clock_fn fn);

#endif
