/* openapi_get.c - GET /api/openapi.json: the OpenAPI 3.1 document of the public API
 * (docs/api/openapi.json, compiled into the binary by scripts/embed_text.py, so the document
 * served is always the one this build implements). No authentication: it describes, it holds
 * nothing secret. tests/e2e/openapi.test.mjs exercises every operation it documents. */
#include <microhttpd.h>

#include "api.h"

extern const char fh_openapi_json[];
extern const size_t fh_openapi_json_len;

enum fh_rc fh_api_openapi_get(struct fh_req *req)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        fh_openapi_json_len, (void *)fh_openapi_json, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    return fh_http_queue(req, 200, resp);
}
