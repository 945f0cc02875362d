/* health_get.c - GET /healthz (process alive), GET /readyz (store reachable; store_full_since
 * while writes fail for lack of space), GET /metrics. */
#include <microhttpd.h>
#include <string.h>

#include "api.h"

enum fh_rc fh_api_healthz_get(struct fh_req *req)
{
    return fh_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

enum fh_rc fh_api_readyz_get(struct fh_req *req)
{
    if (atomic_load(&req->app->shutting_down))
        return fh_reply_error(req, FH_EC_SHUTTING_DOWN, "%s", "draining");
    if (fh_store_ping(req->app->store) != FH_OK)
        return fh_reply_error(req, FH_EC_STORE_UNAVAILABLE, "%s", "the store did not answer");
    json_t *o =
        json_pack("{s:s, s:s}", "status", "ready", "store",
                  fh_store_backend(req->app->store) == FH_STORE_PG ? "postgresql" : "sqlite");
    /* Reads still work (sign-in, lists) while writes fail for lack of space: ready, but said. */
    int64_t full = fh_store_full_since();
    char since[32] = "";
    if (full)
        fh_time_fmt(full, since, sizeof(since));
    json_object_set_new(o, "store_full_since", full ? json_string(since) : json_null());
    return fh_reply_json(req, 200, o);
}

enum fh_rc fh_api_metrics_get(struct fh_req *req)
{
    struct fh_buf out;
    fh_buf_init(&out, 4 * 1024 * 1024);
    fh_metrics_render(req->app, &out);
    char *text = fh_buf_steal(&out);
    struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    return fh_http_queue(req, 200, resp);
}
