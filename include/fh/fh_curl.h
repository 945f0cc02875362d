/* fh_curl.h - the libcurl callbacks both outbound clients use (the partners' HTTPS client,
 * src/connectors/common/http.c, and the V-SDC client, src/fiscal/taxcore/client.c). */
#ifndef FH_CURL_H
#define FH_CURL_H

#include <curl/curl.h>

#include "fh/fh_common.h"

/* A request body libcurl reads once and cannot rewind. When a kept-alive connection dies before
 * any answer, libcurl would otherwise send the request again on a new connection by itself, i.e.
 * post twice without the caller knowing; without a rewind the transfer fails instead
 * (CURLE_SEND_FAIL_REWIND), an unknown outcome the caller handles like any other. */
struct fh_curl_body {
    const char *p;
    size_t left;
};

/* Makes h POST the len bytes at p, read through b (which must outlive the transfer). */
void fh_curl_post_once(CURL *h, struct fh_curl_body *b, const char *p, size_t len);
/* Appends the answer's body to buf; the transfer fails when it would pass buf's limit. */
void fh_curl_collect(CURL *h, struct fh_buf *buf);

#endif
