/* One entry point per SetHandler name; each lives in its own file. */
#ifndef NXS_HANDLERS_H
#define NXS_HANDLERS_H

#include <httpd.h>

int nxs_handle_status(request_rec *r);
int nxs_handle_settings(request_rec *r);
int nxs_handle_oauth(request_rec *r);
int nxs_handle_events(request_rec *r);

/* Handlers whose issue has not landed yet answer 501 not_implemented. */
int nxs_handle_not_implemented(request_rec *r);

#endif
