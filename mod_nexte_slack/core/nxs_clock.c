/* The process-wide clock behind nxs_clock_now (see nxs_clock.h). */
#include "nxs_clock.h"

static nxs_clock_fn clock_fn = apr_time_now;

apr_time_t nxs_clock_now(void)
{
    return clock_fn();
}

void nxs_clock_set(nxs_clock_fn fn)
{
    clock_fn = fn ? fn : apr_time_now;
}
