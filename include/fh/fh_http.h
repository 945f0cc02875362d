/* fh_http.h - the HTTP front: libmicrohttpd with a thread pool, one static route table,
 * request context, body limits, JSON and error replies, cookies, static web files, metrics. */
#ifndef FH_HTTP_H
#define FH_HTTP_H

#include <jansson.h>
#include <stdatomic.h>

#include "fh/fh_common.h"
#include "fh/fh_config.h"
#include "fh/fh_err.h"
#include "fh/fh_jobs.h"
#include "fh/fh_store.h"

struct MHD_Connection;
struct MHD_Response;
struct fh_req;
struct fh_metrics;

/* Who may call a route. Session routes also need the X-CSRF-Token header on unsafe methods. */
enum fh_auth_class {
    FH_AUTH_NONE,            /* anyone */
    FH_AUTH_NO_SESSION_JSON, /* anyone; body must be JSON and Origin (if sent) ours (log-in) */
    FH_AUTH_SESSION,         /* a valid session */
    FH_AUTH_ORG,             /* a session that is a member of the {org} in the path with perm */
    FH_AUTH_API_KEY, /* an active API key of a Custom Integration (HTTP Basic), rate limited */
};

/* Permissions, granted by role (see docs/api/portal.md). */
enum fh_perm {
    FH_PERM_VIEW,
    FH_PERM_OPERATE,
    FH_PERM_MANAGE_INTEGRATIONS,
    FH_PERM_MEMBERS,
    FH_PERM_ORG,
    FH_PERM_BILLING,
    FH_PERM_COUNT
};

enum fh_role { FH_ROLE_VIEWER, FH_ROLE_MEMBER, FH_ROLE_ADMIN, FH_ROLE_OWNER };

typedef enum fh_rc (*fh_handler)(struct fh_req *req);

/* The handler calls a partner and waits for its answer (an OAuth code exchange, Test Connection,
 * a partner's taxes, a Stripe session): it runs on one of the server's partner threads
 * (FISCALHUB_PARTNER_THREADS) while its connection is suspended, so a partner that is slow to
 * answer holds no HTTP thread and every other request is still served. */
#define FH_ROUTE_PARTNER 1u

struct fh_route {
    const char *method;  /* "GET", "POST", ... */
    const char *pattern; /* "/api/orgs/{org}/members/{user_id}" */
    size_t body_limit;   /* bytes; 0: no body accepted */
    enum fh_auth_class auth;
    enum fh_perm perm; /* FH_AUTH_ORG only */
    fh_handler handler;
    unsigned flags; /* FH_ROUTE_PARTNER */
};

struct fh_app {
    struct fh_config *cfg;
    struct fh_store *store;
    uint8_t master_key[32];
    struct fh_queue_cfg qcfg;
    const struct fh_route *routes;
    size_t nroutes;
    struct fh_metrics *metrics;
    struct fh_runner *runner; /* may be NULL */
    bool secure_cookies;
    char *public_origin; /* scheme://host[:port] of cfg->public_url */
    atomic_bool shutting_down;
};

#define FH_MAX_PATH_PARAMS 4

struct fh_session_info {
    int64_t user_id;
    int64_t tenant_id;
    char email[256];
    char csrf_token[64];
    char token_hash[65];
};

struct fh_org_info {
    int64_t id;
    int64_t tenant_id;
    char code[32];
    enum fh_role role;
};

/* The API key a public API request authenticated with (src/auth/apikeys.c). */
struct fh_apikey_info {
    int64_t key_id, integration_id, org_id, certificate_id;
    char client_id[48];
    char integration_uid[16];
    char certificate_uid[16];
    char org_code[32];
};

struct fh_req {
    struct fh_app *app;
    struct MHD_Connection *conn;
    const struct fh_route *route; /* NULL for static files and unmatched paths */
    int route_index;              /* -1 when route is NULL */
    char method[16];
    char *path;
    const char *param_names[FH_MAX_PATH_PARAMS];
    char *param_values[FH_MAX_PATH_PARAMS];
    size_t nparams;
    struct fh_buf body;
    bool body_too_large;
    bool bad_path; /* the raw path held %00 or %2F (server.c) */
    char request_id[24];
    int64_t start_mono;
    unsigned int status; /* set by the reply */
    char *set_cookie;    /* added to the reply when set */
    bool has_session;
    struct fh_session_info session;
    bool has_org;
    struct fh_org_info org;
    bool has_apikey;
    struct fh_apikey_info apikey;
    /* a handler answering later (fh_req_suspend) */
    bool suspended;
    void (*resume)(struct fh_req *req);
    void *state;
    void (*state_free)(void *state);
    /* a FH_ROUTE_PARTNER handler's reply (its status in status), made on a partner thread and
     * queued on resume */
    bool on_partner_thread;
    struct MHD_Response *held_reply;
};

/* ---- server ---- */
struct fh_server;
enum fh_rc fh_server_start(struct fh_app *app, struct fh_server **out);
/* Stops accepting, lets in-flight requests finish (up to the grace period), stops. */
void fh_server_stop(struct fh_server *srv);
/* The port actually bound (useful with port 0). */
uint16_t fh_server_port(const struct fh_server *srv);

/* ---- request accessors ---- */
const char *fh_req_param(const struct fh_req *req, const char *name); /* path parameter */
const char *fh_req_header(const struct fh_req *req, const char *name);
const char *fh_req_query(const struct fh_req *req, const char *name);
const char *fh_req_cookie(const struct fh_req *req, const char *name);
/* Lets a handler answer later, once some other thread's work is done, without holding an HTTP
 * thread: the connection is suspended when the handler returns; fh_req_resume(req), from any
 * thread and exactly once, has the server call resume(req) on the connection's own thread,
 * which must reply. state (whatever resume needs) is freed with state_free (may be NULL) when
 * the request ends, whether or not it was resumed. Call it before handing req to that thread. */
void fh_req_suspend(struct fh_req *req, void (*resume)(struct fh_req *req), void *state,
                    void (*state_free)(void *state));
void fh_req_resume(struct fh_req *req);
/* Client address as text (for rate limiting). */
void fh_req_client_addr(const struct fh_req *req, char *out, size_t outsize);

/* ---- replies (each returns FH_OK once the reply is queued) ---- */
/* Takes ownership of body (may be NULL for an empty JSON object). */
enum fh_rc fh_reply_json(struct fh_req *req, unsigned int status, json_t *body);
enum fh_rc fh_reply_empty(struct fh_req *req, unsigned int status);
/* The next piece of a streamed reply, appended to out; *end once nothing follows. Anything but
 * FH_OK ends the reply cut short (chunked, without its last chunk), so the client sees that it
 * is incomplete. */
typedef enum fh_rc (*fh_reply_fill_fn)(void *cls, struct fh_buf *out, bool *end);
/* 200 with a file to save, made piece by piece by fill (on the request's HTTP thread, as the
 * client reads; each piece at most piece_max bytes); done(cls) runs when the reply is over.
 * ctype, and filename (letters, digits, '-', '.' only: it is not quoted further) in
 * Content-Disposition. The first piece is made before anything is sent: when it fails, its
 * code is returned, done(cls) has run and nothing is queued, so the caller can still answer
 * with an error. */
enum fh_rc fh_reply_download(struct fh_req *req, const char *ctype, const char *filename,
                             fh_reply_fill_fn fill, void (*done)(void *cls), void *cls,
                             size_t piece_max);
/* 200 with bytes (malloc'd, taken) of type ctype, shown in place (inline) or saved (attachment)
 * as filename (letters, digits, '-', '.' only: it is not quoted further). */
enum fh_rc fh_reply_file(struct fh_req *req, const char *ctype, bool inline_, const char *filename,
                         uint8_t *bytes, size_t len);
enum fh_rc fh_reply_error(struct fh_req *req, enum fh_ec ec, const char *detail_fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* fh_reply_error with one more header (WWW-Authenticate, Retry-After). */
enum fh_rc fh_reply_error_header(struct fh_req *req, enum fh_ec ec, const char *hname,
                                 const char *hvalue, const char *detail_fmt, ...)
    __attribute__((format(printf, 5, 6)));
struct MHD_Response;
/* Adds the request id and security headers, queues resp, destroys it, records the status. */
enum fh_rc fh_http_queue(struct fh_req *req, unsigned int status, struct MHD_Response *resp);
/* Sets a cookie for the next reply (value NULL clears it). */
void fh_req_set_cookie(struct fh_req *req, const char *name, const char *value, int64_t max_age_s);

/* ---- pieces shared by the server and tests ---- */
/* Matches path against pattern; on success fills names/values (values allocated). */
bool fh_route_match(const char *pattern, const char *path, const char **names, char **values,
                    size_t *nparams);
/* Content type for a file name by extension. */
const char *fh_mime_type(const char *path);

/* ---- metrics ---- */
struct fh_metrics *fh_metrics_new(size_t nroutes);
void fh_metrics_free(struct fh_metrics *m);
void fh_metrics_observe(struct fh_metrics *m, int route_index, unsigned int status, int64_t ms);
/* Appends the Prometheus text exposition (routes, latency, queue depth, job outcomes). */
enum fh_rc fh_metrics_render(struct fh_app *app, struct fh_buf *out);

#endif
