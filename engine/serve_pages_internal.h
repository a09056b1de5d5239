/*
 * The service's Chinese pages (serve_pages.c): path and method routed
 * there by serve.c. They call serve_api.c, serve_session.c and
 * serve_http.c.
 */
#ifndef CC_SERVE_PAGES_INTERNAL_H
#define CC_SERVE_PAGES_INTERNAL_H

#include "serve_http_internal.h"

void cc_page_route(cc_reply *out, cc_request *r);
/* The login page, with a message ("" for none). */
void cc_page_login(cc_reply *out, cc_request *r, int status, const char *msg);

#endif
