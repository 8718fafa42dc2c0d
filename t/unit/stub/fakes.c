/* Resets both link-level fakes (nxs_fakes.h).  Apart from them so that a
 * test linking one real file instead of its fake does not pull the fake in
 * through this function. */
#include "nxs_fakes.h"

void nxs_fakes_reset(void)
{
    nxs_fake_dbd_reset();
    nxs_fake_daemon_reset();
}
