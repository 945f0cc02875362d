/* reply.c - request accessors and replies. Every reply carries the request id and the security
 * headers; API replies are never cached. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_http.h"
#include "fh/fh_store.h"
#include "http_internal.h"

const char *fh_req_param(const struct fh_req *req, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < req->nparams; i++) {
        if (strncmp(req->param_names[i], name, len) == 0 && req->param_names[i][len] == '}')
            return req->param_values[i];
    }
    return NULL;
}

const char *fh_req_header(const struct fh_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *fh_req_query(const struct fh_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *fh_req_cookie(const struct fh_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

void fh_req_client_addr(const struct fh_req *req, char *out, size_t outsize)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = '\0';
    if (!ci || !ci->client_addr)
        return;
    if (ci->client_addr->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ci->client_addr;
        inet_ntop(AF_INET, &sin->sin_addr, out, (socklen_t)outsize);
    } else if (ci->client_addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ci->client_addr;
        inet_ntop(AF_INET6, &sin6->sin6_addr, out, (socklen_t)outsize);
    }
}

void fh_req_set_cookie(struct fh_req *req, const char *name, const char *value, int64_t max_age_s)
{
    free(req->set_cookie);
    req->set_cookie = fh_asprintf("%s=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%lld%s", name,
                                  value ? value : "", value ? (long long)max_age_s : 0LL,
                                  req->app->secure_cookies ? "; Secure" : "");
}

static void common_headers(struct fh_req *req, struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "X-Request-Id", req->request_id);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    if (req->set_cookie)
        MHD_add_response_header(resp, "Set-Cookie", req->set_cookie);
}

enum fh_rc fh_http_queue(struct fh_req *req, unsigned int status, struct MHD_Response *resp)
{
    common_headers(req, resp);
    if (req->on_partner_thread) { /* queued by the connection's own thread once resumed */
        if (req->held_reply) {    /* a second reply: the first stands, as with libmicrohttpd */
            MHD_destroy_response(resp);
            return FH_ERR;
        }
        req->held_reply = resp;
        req->status = status;
        return FH_OK;
    }
    enum MHD_Result r = MHD_queue_response(req->conn, status, resp);
    MHD_destroy_response(resp);
    req->status = status;
    return r == MHD_YES ? FH_OK : FH_ERR;
}

void fh_http_queue_held(struct fh_req *req)
{
    struct MHD_Response *resp = req->held_reply;
    req->held_reply = NULL;
    req->on_partner_thread = false;
    if (!resp)
        return;
    if (MHD_queue_response(req->conn, req->status, resp) != MHD_YES)
        fh_log(FH_LOG_WARN, "http", "%s", "the connection refused a partner request's reply");
    MHD_destroy_response(resp);
}

static enum fh_rc reply_text(struct fh_req *req, unsigned int status, char *text, const char *ctype)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", ctype);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    return fh_http_queue(req, status, resp);
}

enum fh_rc fh_reply_json(struct fh_req *req, unsigned int status, json_t *body)
{
    if (!body)
        body = json_object();
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text)
        text = fh_strdup("{}");
    /* json_dumps allocates with malloc, which MHD frees with free(). */
    return reply_text(req, status, text, "application/json");
}

struct stream {
    fh_reply_fill_fn fill;
    void (*done)(void *cls);
    void *cls;
    struct fh_buf piece;
    size_t sent; /* of piece */
    bool end;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    FH_UNUSED(pos);
    struct stream *s = cls;
    while (s->sent == s->piece.len) {
        if (s->end)
            return MHD_CONTENT_READER_END_OF_STREAM;
        fh_buf_reset(&s->piece);
        s->sent = 0;
        enum fh_rc rc = s->fill(s->cls, &s->piece, &s->end);
        if (rc != FH_OK) {
            fh_log(FH_LOG_ERROR, "http", "a download ended early: %s",
                   rc == FH_E_LIMIT ? "a piece outgrew its limit" : "its next piece failed");
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
    }
    size_t n = s->piece.len - s->sent < max ? s->piece.len - s->sent : max;
    memcpy(out, s->piece.data + s->sent, n);
    s->sent += n;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct stream *s = cls;
    s->done(s->cls);
    fh_buf_free(&s->piece);
    free(s);
}

enum fh_rc fh_reply_download(struct fh_req *req, const char *ctype, const char *filename,
                             fh_reply_fill_fn fill, void (*done)(void *cls), void *cls,
                             size_t piece_max)
{
    struct stream *s = fh_calloc(1, sizeof(*s));
    *s = (struct stream){.fill = fill, .done = done, .cls = cls};
    fh_buf_init(&s->piece, piece_max);
    enum fh_rc rc = fill(cls, &s->piece, &s->end);
    if (rc != FH_OK) {
        stream_free(s);
        return rc;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, s, stream_free);
    if (!resp) {
        stream_free(s);
        return FH_ERR;
    }
    char disposition[160];
    snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s\"", filename);
    MHD_add_response_header(resp, "Content-Type", ctype);
    MHD_add_response_header(resp, "Content-Disposition", disposition);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    return fh_http_queue(req, 200, resp);
}

enum fh_rc fh_reply_file(struct fh_req *req, const char *ctype, bool inline_, const char *filename,
                         uint8_t *bytes, size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, bytes, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(bytes);
        return FH_ERR;
    }
    char disposition[160];
    snprintf(disposition, sizeof(disposition), "%s; filename=\"%s\"",
             inline_ ? "inline" : "attachment", filename);
    MHD_add_response_header(resp, "Content-Type", ctype);
    MHD_add_response_header(resp, "Content-Disposition", disposition);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    return fh_http_queue(req, 200, resp);
}

enum fh_rc fh_reply_empty(struct fh_req *req, unsigned int status)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    return fh_http_queue(req, status, resp);
}

static enum fh_rc reply_error_v(struct fh_req *req, enum fh_ec ec, const char *hname,
                                const char *hvalue, const char *detail_fmt, va_list ap)
{
    /* A store failure while the disk is full says so, not "something went wrong". */
    if ((ec == FH_EC_INTERNAL || ec == FH_EC_STORE_UNAVAILABLE) && fh_store_full_since()) {
        ec = FH_EC_STORE_FULL;
        hname = "Retry-After";
        hvalue = "60";
    }
    const struct fh_err_info *info = fh_err_info(ec);
    char detail[512];
    vsnprintf(detail, sizeof(detail), detail_fmt, ap);
    json_t *body = json_pack("{s:i, s:s, s:s}", "code", info->code, "hint", info->hint, "detail", detail);
    if (!body) /* detail was not valid UTF-8 */
        body = json_pack("{s:i, s:s, s:s}", "code", info->code, "hint", info->hint, "detail", "");
    if (!hname)
        return fh_reply_json(req, info->http_status, body);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, hname, hvalue);
    return fh_http_queue(req, info->http_status, resp);
}

enum fh_rc fh_reply_error(struct fh_req *req, enum fh_ec ec, const char *detail_fmt, ...)
{
    va_list ap;
    va_start(ap, detail_fmt);
    enum fh_rc rc = reply_error_v(req, ec, NULL, NULL, detail_fmt, ap);
    va_end(ap);
    return rc;
}

enum fh_rc fh_reply_error_header(struct fh_req *req, enum fh_ec ec, const char *hname,
                                 const char *hvalue, const char *detail_fmt, ...)
{
    va_list ap;
    va_start(ap, detail_fmt);
    enum fh_rc rc = reply_error_v(req, ec, hname, hvalue, detail_fmt, ap);
    va_end(ap);
    return rc;
}
