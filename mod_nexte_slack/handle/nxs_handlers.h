/* One entry point per SetHandler name; each lives in its own file. */
#ifndef NXS_HANDLERS_H
#define NXS_HANDLERS_H

#include <httpd.h>

int nxs_handle_status(request_rec *r);
int nxs_handle_settings(request_rec *r);
int nxs_handle_oauth(request_rec *r);
int nxs_handle_events(request_rec *r);
int nxs_handle_interactions(request_rec *r);

#endif
