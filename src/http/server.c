/* server.c - libmicrohttpd front: a thread pool accepts requests, each request gets a context
 * (struct fh_req) with a request id, its matched route and its body collected up to the route's
 * limit, and is then dispatched: authorization (src/auth), then the route's handler. Every reply
 * goes through reply.c, which records the status; the completion callback records metrics and
 * frees the context.
 *
 * Bodies over the route's limit are answered 413. When the declared Content-Length is far over
 * the limit the reply is sent at once (and the connection closed by libmicrohttpd); otherwise
 * the rest of the body is read and discarded first, so ordinary clients always see the 413.
 *
 * Shutdown: fh_server_stop() quiesces the listener (no new connections), waits until in-flight
 * requests are done or the grace period passes (and, past it, until no request is suspended:
 * libmicrohttpd cannot stop with one), then stops the daemon.
 *
 * Suspended requests: a handler waiting for another thread (the webhook inbox's group commit)
 * suspends its connection instead of blocking an HTTP thread; the other thread resumes it, and
 * libmicrohttpd calls on_request again, which has the handler answer (fh_req_suspend).
 *
 * Partner threads: a FH_ROUTE_PARTNER route's handler waits for a partner (up to that partner's
 * timeout), so it is not run on the HTTP thread: once the request is authorized its connection
 * is suspended and the request queued for the server's partner threads; one runs the handler,
 * whose reply reply.c holds, and resumes the connection, whose own thread then queues it. The
 * partner threads are started with the server (when a route needs them) and joined at its stop,
 * after the last suspended request has been answered. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fh/fh_auth.h"
#include "fh/fh_crypto.h"
#include "fh/fh_http.h"
#include "http_internal.h"

struct partner_item {
    struct fh_req *req;
    struct partner_item *next;
};

struct fh_server {
    struct fh_app *app;
    struct MHD_Daemon *daemon;
    atomic_int inflight;
    uint16_t port;
    /* partner threads and the requests queued for them */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct partner_item *head, *tail;
    int queued; /* items from head to tail */
    bool stopping;
    int npartner;
    pthread_t *partner;
};

#define PARTNER_RETRY_AFTER_S "5"
#define DISCARD_FACTOR 16
#define DISCARD_MAX (4u * 1024 * 1024)

static const struct fh_route *match_route(struct fh_app *app, struct fh_req *req,
                                          bool *method_mismatch)
{
    *method_mismatch = false;
    for (size_t i = 0; i < app->nroutes; i++) {
        const struct fh_route *r = &app->routes[i];
        char *vals[FH_MAX_PATH_PARAMS] = {0};
        const char *names[FH_MAX_PATH_PARAMS] = {0};
        size_t n = 0;
        if (!fh_route_match(r->pattern, req->path, names, vals, &n))
            continue;
        bool same = strcmp(r->method, req->method) == 0 ||
                    (strcmp(req->method, "HEAD") == 0 && strcmp(r->method, "GET") == 0);
        if (!same) {
            *method_mismatch = true;
            for (size_t k = 0; k < n; k++)
                free(vals[k]);
            continue;
        }
        for (size_t k = 0; k < n; k++) {
            req->param_names[k] = names[k];
            req->param_values[k] = vals[k];
        }
        req->nparams = n;
        req->route_index = (int)i;
        return r;
    }
    return NULL;
}

/* A request id unique within the process's life: each thread draws 6 random bytes once and
 * counts its requests in 6 more (ids name requests in logs; they are not secrets). Saves a
 * getrandom call per request. */
static void request_id(char *out, size_t outsize)
{
    static _Thread_local uint8_t id[12];
    static _Thread_local uint64_t n;
    if (n == 0)
        randombytes_buf(id, 6);
    n++;
    for (int i = 0; i < 6; i++)
        id[6 + i] = (uint8_t)(n >> (8 * i));
    sodium_bin2base64(out, outsize, id, sizeof(id), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* libmicrohttpd decodes the path before routing: %2F would become a separator and %00 would end
 * the path early, so "/api/orgs/X%00/members" would be routed as "/api/orgs/X". The raw URI is
 * seen here first; a path holding either is marked, and answered 400 before any routing. */
static char bad_path_mark;

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    FH_UNUSED(cls);
    FH_UNUSED(conn);
    for (const char *p = uri; *p && *p != '?' && *p != '#'; p++)
        if (p[0] == '%' && p[1] && p[2] &&
            ((p[1] == '0' && p[2] == '0') || (p[1] == '2' && (p[2] == 'F' || p[2] == 'f'))))
            return &bad_path_mark;
    return NULL;
}

static struct fh_req *req_new(struct fh_app *app, struct MHD_Connection *conn, const char *url,
                              const char *method)
{
    struct fh_req *req = fh_calloc(1, sizeof(*req));
    req->app = app;
    req->conn = conn;
    req->route_index = -1;
    req->start_mono = fh_mono_ms();
    fh_strlcpy(req->method, method, sizeof(req->method));
    req->path = fh_strdup(url);
    request_id(req->request_id, sizeof(req->request_id));
    return req;
}

static void req_free(struct fh_req *req)
{
    if (req->held_reply) /* only when the server stops with a reply not sent */
        MHD_destroy_response(req->held_reply);
    if (req->state_free)
        req->state_free(req->state);
    for (size_t i = 0; i < req->nparams; i++)
        free(req->param_values[i]);
    if (req->body.data) /* bodies carry passwords and keys: not left in freed memory */
        sodium_memzero(req->body.data, req->body.len);
    fh_buf_free(&req->body);
    free(req->set_cookie);
    free(req->path);
    free(req);
}

static void partner_answer(struct fh_req *req)
{
    fh_http_queue_held(req);
}

/* Queues req for the partner threads; false (nothing done) when FISCALHUB_PARTNER_QUEUE requests
 * wait already: with every partner thread held by a partner that does not answer, more would
 * only wait longer than their clients do. */
static bool partner_queue(struct fh_server *srv, struct fh_req *req)
{
    pthread_mutex_lock(&srv->mu);
    if (srv->queued >= srv->app->cfg->partner_queue) {
        pthread_mutex_unlock(&srv->mu);
        return false;
    }
    struct partner_item *it = fh_calloc(1, sizeof(*it));
    it->req = req;
    req->on_partner_thread = true;
    fh_req_suspend(req, partner_answer, NULL, NULL);
    if (srv->tail)
        srv->tail->next = it;
    else
        srv->head = it;
    srv->tail = it;
    srv->queued++;
    pthread_cond_signal(&srv->cv);
    pthread_mutex_unlock(&srv->mu);
    return true;
}

static void *partner_main(void *arg)
{
    struct fh_server *srv = arg;
    for (;;) {
        pthread_mutex_lock(&srv->mu);
        while (!srv->head && !srv->stopping)
            pthread_cond_wait(&srv->cv, &srv->mu);
        struct partner_item *it = srv->head;
        if (it) {
            srv->head = it->next;
            if (!srv->head)
                srv->tail = NULL;
            srv->queued--;
        }
        pthread_mutex_unlock(&srv->mu);
        if (!it)
            return NULL;
        struct fh_req *req = it->req;
        free(it);
        fh_log_set_request_id(req->request_id);
        req->route->handler(req);
        if (!req->held_reply) {
            fh_log(FH_LOG_ERROR, "http", "handler for %s %s sent no reply", req->method,
                   req->route->pattern);
            fh_reply_error(req, FH_EC_INTERNAL, "%s", "no reply was produced");
        }
        fh_log_set_request_id(NULL);
        fh_req_resume(req);
    }
}

static void partner_start(struct fh_server *srv)
{
    pthread_mutex_init(&srv->mu, NULL);
    pthread_cond_init(&srv->cv, NULL);
    bool needed = false;
    for (size_t i = 0; i < srv->app->nroutes && !needed; i++)
        needed = srv->app->routes[i].flags & FH_ROUTE_PARTNER;
    if (!needed)
        return;
    int n = srv->app->cfg->partner_threads;
    srv->partner = fh_calloc((size_t)(n > 0 ? n : 1), sizeof(*srv->partner));
    for (int i = 0; i < n; i++) {
        if (pthread_create(&srv->partner[i], NULL, partner_main, srv) != 0) {
            fh_log(FH_LOG_ERROR, "http", "cannot start partner thread %d", i + 1);
            break;
        }
        srv->npartner++;
    }
}

/* Called once no request is suspended, so none is queued. */
static void partner_stop(struct fh_server *srv)
{
    pthread_mutex_lock(&srv->mu);
    srv->stopping = true;
    pthread_cond_broadcast(&srv->cv);
    pthread_mutex_unlock(&srv->mu);
    for (int i = 0; i < srv->npartner; i++)
        pthread_join(srv->partner[i], NULL);
    free(srv->partner);
    pthread_cond_destroy(&srv->cv);
    pthread_mutex_destroy(&srv->mu);
}

static void dispatch(struct fh_server *srv, struct fh_req *req, bool method_mismatch)
{
    fh_log_set_request_id(req->request_id);
    if (req->bad_path) {
        fh_reply_error(req, FH_EC_BAD_PATH_PARAM, "%s",
                       "the path holds an encoded NUL or slash (%00, %2F)");
        goto out;
    }
    if (req->body_too_large && req->route) {
        fh_reply_error(req, FH_EC_BODY_TOO_LARGE, "the limit for this endpoint is %zu bytes",
                       req->route->body_limit);
        goto out;
    }
    if (!req->route) { /* whatever its body: there is no endpoint to take it */
        bool api = fh_starts_with(req->path, "/api/") || strcmp(req->path, "/api") == 0;
        if (method_mismatch)
            fh_reply_error(req, FH_EC_METHOD_NOT_ALLOWED, "%s %s", req->method, req->path);
        else if (!api && (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0))
            fh_serve_static(req);
        else
            fh_reply_error(req, FH_EC_NOT_FOUND, "no endpoint %s %s", req->method, req->path);
        goto out;
    }
    if (fh_auth_request_or_reply(req) != FH_OK)
        goto out;
    if ((req->route->flags & FH_ROUTE_PARTNER) && srv->npartner > 0) {
        if (!partner_queue(srv, req)) {
            fh_reply_error_header(req, FH_EC_PARTNER_QUEUE_FULL, "Retry-After",
                                  PARTNER_RETRY_AFTER_S, "%d requests wait for a partner already",
                                  srv->app->cfg->partner_queue);
        }
        goto out;
    }
    req->route->handler(req);
    if (req->status == 0 && !req->suspended) {
        fh_log(FH_LOG_ERROR, "http", "handler for %s %s sent no reply", req->method,
               req->route->pattern);
        fh_reply_error(req, FH_EC_INTERNAL, "%s", "no reply was produced");
    }
out:
    fh_log_set_request_id(NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    FH_UNUSED(version);
    struct fh_server *srv = cls;
    struct fh_req *req = *con_cls;
    if (!req || req == (void *)&bad_path_mark) {
        bool bad_path = req != NULL;
        req = req_new(srv->app, conn, url, method);
        atomic_fetch_add(&srv->inflight, 1);
        *con_cls = req;
        bool mismatch = false;
        req->bad_path = bad_path;
        req->route = bad_path ? NULL : match_route(srv->app, req, &mismatch);
        size_t limit = req->route ? req->route->body_limit : 0;
        fh_buf_init(&req->body, limit);
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        int64_t clen = 0;
        if (cl && fh_parse_i64(cl, &clen) && clen > (int64_t)limit) {
            req->body_too_large = true;
            uint64_t discard_cap = (uint64_t)limit * DISCARD_FACTOR;
            if (discard_cap > DISCARD_MAX)
                discard_cap = DISCARD_MAX;
            if ((uint64_t)clen > discard_cap || mismatch || !req->route) {
                dispatch(srv, req, mismatch);
                return MHD_YES;
            }
        }
        if (mismatch)
            req->route_index = -2; /* remembered for dispatch */
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!req->body_too_large &&
            fh_buf_append(&req->body, upload_data, *upload_data_size) != FH_OK)
            req->body_too_large = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->suspended) { /* resumed: the handler's answer is ready */
        req->suspended = false;
        fh_log_set_request_id(req->request_id);
        req->resume(req);
        if (req->status == 0) {
            fh_log(FH_LOG_ERROR, "http", "resumed %s %s sent no reply", req->method,
                   req->route->pattern);
            fh_reply_error(req, FH_EC_INTERNAL, "%s", "no reply was produced");
        }
        fh_log_set_request_id(NULL);
        return MHD_YES;
    }
    if (req->status == 0) {
        bool mismatch = req->route_index == -2;
        if (mismatch)
            req->route_index = -1;
        dispatch(srv, req, mismatch);
    }
    return MHD_YES;
}

/* Requests suspended now (all servers of the process): libmicrohttpd must not be stopped while
 * one is. */
static atomic_int suspended_reqs;

void fh_req_suspend(struct fh_req *req, void (*resume)(struct fh_req *req), void *state,
                    void (*state_free)(void *state))
{
    req->resume = resume;
    req->state = state;
    req->state_free = state_free;
    req->suspended = true;
    atomic_fetch_add(&suspended_reqs, 1);
    MHD_suspend_connection(req->conn);
}

void fh_req_resume(struct fh_req *req)
{
    MHD_resume_connection(req->conn);
    atomic_fetch_sub(&suspended_reqs, 1);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    FH_UNUSED(conn);
    FH_UNUSED(toe);
    struct fh_server *srv = cls;
    struct fh_req *req = *con_cls;
    if (!req || req == (void *)&bad_path_mark) /* ended before its headers were complete */
        return;
    int64_t ms = fh_mono_ms() - req->start_mono;
    if (srv->app->metrics)
        fh_metrics_observe(srv->app->metrics, req->route_index, req->status, ms);
    if (req->route_index >= 0 || req->status >= 400) {
        fh_log_set_request_id(req->request_id);
        fh_log(req->status >= 500 ? FH_LOG_WARN : FH_LOG_INFO, "request", "%s %s -> %u in %lld ms",
               req->method, req->route ? req->route->pattern : "(static)", req->status,
               (long long)ms);
        fh_log_set_request_id(NULL);
    }
    req_free(req);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->inflight, 1);
}

static void on_panic(void *cls, const char *file, unsigned int line, const char *reason)
{
    FH_UNUSED(cls);
    fh_log(FH_LOG_ERROR, "mhd_panic", "%s:%u %s", file, line, reason ? reason : "");
    abort();
}

enum fh_rc fh_server_start(struct fh_app *app, struct fh_server **out)
{
    struct fh_server *srv = fh_calloc(1, sizeof(*srv));
    srv->app = app;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(app->cfg->port);
    if (inet_pton(AF_INET, app->cfg->listen_addr, &sa.sin_addr) != 1) {
        fh_log(FH_LOG_ERROR, "http", "listen address %s is not an IPv4 address",
               app->cfg->listen_addr);
        free(srv);
        return FH_ERR;
    }
    MHD_set_panic_func(on_panic, NULL);
    partner_start(srv);
    srv->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME |
            MHD_USE_ERROR_LOG,
        0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)app->cfg->http_threads,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int)4096, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
        MHD_OPTION_END);
    if (!srv->daemon) {
        fh_log(FH_LOG_ERROR, "http", "cannot listen on %s:%u", app->cfg->listen_addr,
               (unsigned)app->cfg->port);
        partner_stop(srv);
        free(srv);
        return FH_ERR;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : app->cfg->port;
    *out = srv;
    return FH_OK;
}

uint16_t fh_server_port(const struct fh_server *srv)
{
    return srv->port;
}

void fh_server_stop(struct fh_server *srv)
{
    if (!srv)
        return;
    atomic_store(&srv->app->shutting_down, true);
    MHD_socket s = MHD_quiesce_daemon(srv->daemon);
    if (s != MHD_INVALID_SOCKET)
        close(s);
    int64_t deadline = fh_mono_ms() + srv->app->cfg->shutdown_grace_ms;
    while (atomic_load(&srv->inflight) > 0 && fh_mono_ms() < deadline)
        fh_sleep_ms(20);
    if (atomic_load(&srv->inflight) > 0)
        fh_log(FH_LOG_WARN, "http", "%d requests still running after the grace period",
               atomic_load(&srv->inflight));
    /* a suspended request waits for work already under way (a commit): it gets its answer */
    while (atomic_load(&suspended_reqs) > 0)
        fh_sleep_ms(20);
    MHD_stop_daemon(srv->daemon);
    partner_stop(srv);
    free(srv);
}
