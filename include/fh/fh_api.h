/* fh_api.h - the route table of fiscalhub's HTTP API. */
#ifndef FH_API_PUBLIC_H
#define FH_API_PUBLIC_H

#include "fh/fh_http.h"

/* The static route table and its length. */
const struct fh_route *fh_api_routes(size_t *count);

#endif
