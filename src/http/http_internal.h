/* http_internal.h - shared inside src/http. */
#ifndef FH_HTTP_INTERNAL_H
#define FH_HTTP_INTERNAL_H

#include "fh/fh_http.h"

/* Serves a file of the built portal (or index.html for client-side routes). */
enum fh_rc fh_serve_static(struct fh_req *req);
/* Queues the reply a FH_ROUTE_PARTNER handler made on a partner thread (reply.c holds it);
 * called on the connection's own thread once it is resumed. */
void fh_http_queue_held(struct fh_req *req);

#endif
