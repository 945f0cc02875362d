/* common.h - pieces shared by the HTTP partner emulators of fiscalhub-sandbox (Xero, Zoho
 * Books, ...), factored out of the Xero emulator:
 *   util.c       string map and vector, random ids, urlencoded forms, HTML and URL escaping,
 *                base64, JSON with exact decimal numbers, replies, control-API helpers
 *   page.c       server-rendered pages without scripts (consent and log-in screens)
 *   stats.c      a JSON tree of counters under its own lock
 *   faults.c     fault injection (5xx, timeouts, resets, slow answers, forced 429s)
 *   ratelimit.c  fixed-window call limits per tenant (minute, day, in flight; optional per app)
 *   worker.c     a background thread driven by a step function, and an HTTP POST with libcurl
 *                (the emulators' webhook senders)
 *   multipart.c  multipart/form-data request bodies split into parts (file uploads)
 * Each emulator keeps its own instances (struct sb_stats, sb_faults, sb_rl, sb_worker), so
 * their counters, faults and limits never mix. The locks inside them are leaves: they never
 * take an emulator's state lock. */
#ifndef FH_SANDBOX_COMMON_H
#define FH_SANDBOX_COMMON_H

#include <jansson.h>
#include <pthread.h>

#include "fh/fh_common.h"
#include "fh/fh_http.h"

#define SB_UUID_LEN 37 /* a UUID and its NUL */

/* ---- util.c ---- */
struct sb_map { /* string -> pointer, open addressing; keys are copied */
    char **keys;
    void **vals;
    size_t cap, n, used;
};
void *sb_map_get(const struct sb_map *m, const char *key);
void sb_map_put(struct sb_map *m, const char *key, void *val);
void *sb_map_del(struct sb_map *m, const char *key);
void sb_map_free(struct sb_map *m);
/* Iteration: for (size_t i = 0; i < m.cap; i++) if (sb_map_live(&m, i)) ... m.vals[i] */
bool sb_map_live(const struct sb_map *m, size_t i);

struct sb_vec {
    void **v;
    size_t n, cap;
};
void sb_vec_push(struct sb_vec *x, void *p);
bool sb_vec_remove(struct sb_vec *x, const void *p); /* keeps order */
void sb_vec_free(struct sb_vec *x);

void sb_uuid(char out[SB_UUID_LEN]);
void sb_hex(size_t nbytes, char *out, size_t outsize, bool upper); /* random hex */
/* nominal_ms divided by scale (at least 1 ms): the emulators' time-scaled durations. */
int64_t sb_scaled(int64_t nominal_ms, int64_t scale);

json_t *sbj_num(int64_t v, int dp);  /* v in ten-thousandths, printed with dp decimals (0..6) */
json_t *sbj_nullable(const char *s); /* string or JSON null */
char *sbj_dumps(const json_t *j);    /* compact JSON, numbers of sbj_num exact; caller frees */
bool sbj_money(const json_t *v, int64_t *out); /* number or numeric string -> ten-thousandths */
const char *sbj_str(const json_t *o, const char *key); /* string member or NULL */

char *sb_form_get(const char *body, size_t len, const char *name); /* decoded; caller frees */
size_t sb_form_get_all(const char *body, size_t len, const char *name, char **out, size_t max);
/* Every pair of an urlencoded string, decoded: calls fn(key, value, ud) in order. */
void sb_form_each(const char *body, size_t len, void (*fn)(char *key, char *val, void *ud),
                  void *ud);
void sb_html_esc(struct fh_buf *b, const char *s);
void sb_url_enc(struct fh_buf *b, const char *s);
char *sb_b64(const void *p, size_t n, bool url); /* caller frees */
bool sb_b64_decode(const char *s, uint8_t *out, size_t cap, size_t *len);
bool sb_ieq(const char *a, const char *b);
/* Client credentials of an Authorization: Basic header: 1 parsed, 0 no Basic header, -1
 * malformed (bad base64, no colon, a NUL, or too long for the buffers). */
int sb_basic_auth(struct fh_req *req, char *id, size_t idsize, char *secret, size_t secretsize);

/* Replies: body is taken (malloc'd, may be NULL with len 0); hdrs is name, value, ..., NULL. */
enum fh_rc sb_send(struct fh_req *req, unsigned int status, const char *ctype, char *body,
                   size_t len, const char *const *hdrs);
enum fh_rc sb_json(struct fh_req *req, unsigned int status, json_t *j); /* takes j */
enum fh_rc sb_cerr(struct fh_req *req, unsigned int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));    /* control API error {"error": "..."} */
json_t *sb_body_or_reply(struct fh_req *req); /* JSON object body (empty: {}) or NULL after 400 */

/* Control-API settings: whole numbers checked against their ranges, all or nothing. */
struct sb_num_setting {
    const char *key;
    int64_t *field;
    int64_t lo, hi;
};
enum fh_rc sb_apply_numbers(json_t *body, const struct sb_num_setting *ns, size_t n, char *err,
                            size_t errsize);

/* ---- page.c ---- */
struct sb_page_style {
    const char *site;  /* in the title: "<title> | <site> (sandbox)" */
    const char *brand; /* the logo text */
    const char *css;   /* stylesheet URL */
    const char *note;  /* the closing line ("This is fiscalhub's offline ... emulator") */
};
void sb_page_start(struct fh_buf *b, const struct sb_page_style *st, const char *title);
/* Closes the page and sends it with a strict CSP (no scripts); cookie may be NULL. */
enum fh_rc sb_page_send(struct fh_req *req, const struct sb_page_style *st, unsigned int status,
                        struct fh_buf *b, const char *cookie);
void sb_page_hidden(struct fh_buf *b, const char *name, const char *value);
void sb_page_alert(struct fh_buf *b, const char *problem); /* nothing when problem is NULL */
/* The pages' stylesheet in the partner's colours (#rrggbb). */
enum fh_rc sb_page_css(struct fh_req *req, const char *brand_color, const char *button_color);

/* ---- stats.c ---- */
struct sb_stats {
    pthread_mutex_t lock;
    json_t *tree;
    const char *const *groups; /* NULL-terminated; always present in the JSON, maybe empty */
};
#define SB_STATS_INIT(groups_)                                                                     \
    {                                                                                              \
        .lock = PTHREAD_MUTEX_INITIALIZER, .tree = NULL, .groups = groups_                         \
    }
void sb_stat_add(struct sb_stats *s, const char *group, const char *key, int64_t n);
/* A counter one level deeper: tree[group][sub][key] (e.g. per tenant). */
void sb_stat_sub(struct sb_stats *s, const char *group, const char *sub, const char *key,
                 int64_t n);
/* Sets a counter to a value (a gauge). */
void sb_stat_set(struct sb_stats *s, const char *group, const char *key, int64_t v);
/* A copy of the tree with every group and total_calls (the sum of the "calls" group). */
json_t *sb_stats_json(struct sb_stats *s);
void sb_stats_reset(struct sb_stats *s);

/* ---- faults.c ---- */
enum sb_fault { SBF_NONE, SBF_5XX, SBF_TIMEOUT, SBF_RESET, SBF_SLOW, SBF_CUT };
#define SB_FAULT_NEXT_MAX 64
struct sb_fault_draw {
    enum sb_fault kind;
    int status;
    int64_t ms;
};
/* Whether a cut fault was drawn for the request this thread runs (once: it is cleared). */
bool sb_faults_cut_reply(void);
struct sb_faults {
    pthread_mutex_t lock;
    /* Set once by the emulator: */
    const char *const *problems; /* 429 problem names, NULL-terminated; the first is the default */
    const char *tenant_key;      /* the force_429 member naming one tenant ("tenant_id") */
    size_t tenant_len;           /* its exact length, 0: any of 1..63 characters */
    const char *body_5xx, *ctype_5xx; /* the partner's answer to an injected 5xx */
    struct sb_stats *stats;           /* counts injected faults under "faults" */
    /* The configuration (faults.c): */
    double p[6];
    uint64_t seed, state;
    int64_t timeout_ms, slow_ms;
    int status_5xx;
    bool identity;
    enum sb_fault next[SB_FAULT_NEXT_MAX];
    size_t nnext, inext;
    int64_t f429_count, f429_retry;
    char f429_problem[16], f429_tenant[64];
};
void sb_faults_draw(struct sb_faults *f, bool identity, struct sb_fault_draw *d);
/* Forced 429s: true and the problem when one is due for this tenant. */
bool sb_faults_take_429(struct sb_faults *f, const char *tenant, const char **problem,
                        int64_t *retry_after_s);
enum fh_rc sb_faults_set(struct sb_faults *f, json_t *cfg, char *err, size_t errsize);
json_t *sb_faults_json(struct sb_faults *f);
void sb_faults_reset(struct sb_faults *f);
/* Applies a drawn fault: true when the request was consumed (reset, timeout, or a 5xx sent). */
bool sb_faults_apply(struct sb_faults *f, struct fh_req *req, const struct sb_fault_draw *d);

/* ---- ratelimit.c ---- */
struct sb_rl_limits {
    int64_t minute, day, concurrent, app_minute; /* app_minute applies only with an app */
};
struct sb_rl_ctx { /* the limits and window lengths of one call, from the emulator's settings */
    struct sb_rl_limits lim;
    int64_t minute_ms, day_ms;
};
struct sb_rl_result {
    const char *problem;   /* NULL: allowed; else "day", "appminute", "minute", "concurrent" */
    int64_t retry_after_s; /* 0: no Retry-After (concurrent) */
    int64_t day_left, min_left, app_min_left;
    int64_t day_limit, minute_limit;  /* the effective limits */
    int64_t day_reset_s, min_reset_s; /* seconds to the end of the windows (at least 1) */
};
struct sb_rl {
    pthread_mutex_t lock;
    struct sb_map buckets; /* "app/tenant" or "tenant" */
    struct sb_map apps;    /* app -> bucket (minute only) */
    struct sb_map overrides;
};
#define SB_RL_INIT                                                                                 \
    {                                                                                              \
        .lock = PTHREAD_MUTEX_INITIALIZER                                                          \
    }
/* Counts a call of app (NULL: no per-app limit) to tenant, or refuses it (not counted). */
void sb_rl_acquire(struct sb_rl *rl, const char *app, const char *tenant,
                   const struct sb_rl_ctx *ctx, struct sb_rl_result *r);
void sb_rl_release(struct sb_rl *rl, const char *app, const char *tenant);
void sb_rl_set_override(struct sb_rl *rl, const char *tenant, const struct sb_rl_limits *l);
json_t *sb_rl_override_json(struct sb_rl *rl, const char *tenant); /* -1 fields: defaults */
void sb_rl_hold(struct sb_rl *rl, const char *app, const char *tenant, int64_t slots, int64_t ms);
void sb_rl_reset(struct sb_rl *rl);

/* ---- worker.c ---- */
/* One background thread: it holds lock while calling step(), which does one piece of work
 * (it may unlock around slow I/O) and returns 0 to be called again at once, or how many ms it
 * can sleep; sb_worker_wake() cuts the sleep short. */
struct sb_worker {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    bool running, stop;
    int64_t (*step)(void);
};
#define SB_WORKER_INIT(step_)                                                                      \
    {                                                                                              \
        .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .step = step_         \
    }
enum fh_rc sb_worker_start(struct sb_worker *w, const char *name);
void sb_worker_stop(struct sb_worker *w);
void sb_worker_wake(struct sb_worker *w); /* caller holds w->lock */

struct sb_post_result {
    long status; /* 0: no HTTP answer (see error) */
    int64_t ms;
    size_t body_len;
    char error[160];
};
/* POSTs body to url with the given headers ("Name: value" strings, NULL-terminated) and a
 * timeout for connecting and for the whole exchange. Never call with a lock held. */
void sb_post(const char *url, const char *body, size_t len, const char *const *headers,
             int64_t timeout_ms, struct sb_post_result *r);

/* ---- base URL ---- */
struct fh_sandbox_ctx;
/* The URL an emulator announces for itself: public_url when set, else
 * http://<listen address, 127.0.0.1 for 0.0.0.0>:<port>/<name>; no trailing slash. */
void sb_base_url(const struct fh_sandbox_ctx *ctx, const char *public_url, const char *name,
                 char *out, size_t size);

/* ---- multipart.c ---- */
/* One part of a multipart/form-data body; data points into the request body. */
struct sb_part {
    char name[64];
    char filename[256]; /* without a path; "" without a filename parameter */
    bool has_filename;
    char ctype[128]; /* "" when the part has no Content-Type */
    const char *data;
    size_t len;
};
/* Splits the request's multipart/form-data body (the boundary from its Content-Type) into at
 * most max parts; false with the problem in err. */
bool sb_multipart(struct fh_req *req, struct sb_part *parts, size_t max, size_t *n, char *err,
                  size_t errsize);

#endif
