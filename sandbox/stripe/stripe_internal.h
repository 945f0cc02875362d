/* stripe_internal.h - the pieces of the Stripe emulator shared between its files:
 *   stripe.c     settings, life cycle, routes; the emulator's stats and faults (stp_stats,
 *                stp_faults)
 *   state.c      the one mutex, settings, ids, products, prices, customers, reset, demo data
 *   billing.c    checkout sessions, subscriptions, invoices: completion, renewal, failure,
 *                cancellation, and the events each step emits
 *   render.c     the model as Stripe JSON (API version STP_API_VERSION)
 *   params.c     Stripe's form encoding with bracket notation, checked against a field spec
 *   api.c        the API front: routing, secret key, faults, idempotency, Stripe's errors
 *   api_checkout.c  Checkout and portal sessions endpoints
 *   api_objects.c   the endpoint table; subscriptions, customers, invoices, prices, products,
 *                   events endpoints
 *   checkout_page.c  the hosted Checkout page and Stripe's test cards (HTML, no scripts)
 *   portal_page.c    the customer portal page
 *   events.c     events, webhook endpoints and the sender thread (signing, retries, forgeries)
 *   control.c, control_objects.c  the control API
 * Generic pieces (maps, forms, replies, pages, stats, faults, the sender thread and libcurl
 * POST) are in ../common/.
 *
 * Lock order: stp.lock (state), then the webhook worker's lock (events.c), then the leaf locks
 * of stp_stats and stp_faults. The worker never takes stp.lock. Objects live until reset;
 * handlers look them up under the lock and never keep pointers past unlocking. */
#ifndef FH_STRIPE_INTERNAL_H
#define FH_STRIPE_INTERNAL_H

#include <jansson.h>
#include <pthread.h>

#include "common/common.h"
#include "fh/fh_common.h"
#include "fh/fh_http.h"
#include "stripe.h"

#define STP_ID 72        /* an id and its NUL ("cs_test_" + 58 characters is the longest) */
#define STP_MAX_LINES 10 /* line items of a session */
#define STP_API_VERSION "2024-06-20"
#define STP_DAY_S 86400LL

extern struct sb_stats stp_stats;
extern struct sb_faults stp_faults;

/* ---- state.c ---- */
struct stp_settings {
    int64_t time_scale;
    char public_url[256];
    char secret_key[128], publishable_key[128], account_id[40];
    int64_t webhook_timeout_ms, webhook_attempts, retry_base_s, stale_age_s;
    int64_t session_lifetime_s, portal_lifetime_s, max_objects;
};

struct stp_product {
    char id[STP_ID];
    char *name, *description;
    json_t *metadata;
    bool active;
    int64_t created;
    char default_price[STP_ID];
};

struct stp_price {
    char id[STP_ID];
    struct stp_product *product;
    char currency[4];
    int64_t unit_amount; /* minor units (cents) */
    char interval[8];    /* day, week, month, year */
    int64_t interval_count;
    char *lookup_key, *nickname;
    json_t *metadata;
    bool active;
    int64_t created;
};

struct stp_customer {
    char id[STP_ID];
    char *email, *name;
    json_t *metadata;
    int64_t created;
};

struct stp_line { /* a session's line item, a subscription item or an invoice line */
    char id[STP_ID];
    struct stp_price *price;
    int64_t quantity;
    bool adjustable;
    int64_t min, max;
};

enum stp_session_status { STP_S_OPEN, STP_S_COMPLETE, STP_S_EXPIRED };
enum stp_sub_status { STP_SUB_ACTIVE, STP_SUB_PAST_DUE, STP_SUB_CANCELED };
enum stp_inv_status { STP_INV_OPEN, STP_INV_PAID, STP_INV_VOID };

struct stp_sub;
struct stp_invoice;

struct stp_session {
    char id[STP_ID], csrf[48];
    enum stp_session_status status;
    bool paid;
    char *success_url, *cancel_url, *client_reference_id, *customer_email;
    struct stp_customer *customer;
    json_t *metadata, *sub_metadata;
    struct stp_line lines[STP_MAX_LINES];
    size_t nlines;
    struct stp_sub *sub;
    struct stp_invoice *invoice;
    int64_t created, expires_at;
    char currency[4];
};

struct stp_sub {
    char id[STP_ID];
    struct stp_customer *customer;
    struct stp_line items[STP_MAX_LINES];
    size_t nitems;
    enum stp_sub_status status;
    int64_t created, start_date, anchor, period_start, period_end;
    int64_t canceled_at, ended_at, cancel_at; /* 0: null */
    bool cancel_at_period_end;
    json_t *metadata;
    struct stp_invoice *latest_invoice;
    char currency[4];
};

struct stp_invoice {
    char id[STP_ID], number[32];
    struct stp_customer *customer;
    struct stp_sub *sub;
    const char *billing_reason; /* subscription_create, subscription_cycle */
    enum stp_inv_status status;
    struct stp_line lines[STP_MAX_LINES];
    size_t nlines;
    int64_t amount_due, amount_paid, attempt_count, created, paid_at, next_attempt;
    int64_t period_start, period_end; /* the invoice's period (Stripe: the one that ended) */
    int64_t line_start, line_end;     /* the lines' period (the one being paid for) */
    char currency[4];
};

struct stp_portal {
    char id[STP_ID], csrf[48];
    struct stp_customer *customer;
    char *return_url;
    int64_t created, expires_at;
};

struct stp_idem { /* an Idempotency-Key's first answer */
    char hash[65];
    unsigned int status;
    char *body;
    int64_t at;
};

struct stp_state {
    pthread_mutex_t lock;
    struct stp_settings set;
    struct sb_map products, prices, customers, sessions, subs, invoices, portals, idem;
    struct sb_vec product_list, price_list, customer_list, session_list, sub_list, invoice_list,
        portal_list;
    int64_t next_number;
    size_t nobjects; /* sessions, customers, subscriptions, invoices, portal sessions */
};
extern struct stp_state stp;

void stp_lock(void);
void stp_unlock(void);
void stp_init(const struct fh_stripe_opts *o, const char *public_url);
/* Settings back to the flags, every object, event and endpoint gone, the demo catalogue again
 * (and the demo endpoint) unless demo is false. Caller holds the lock. */
void stp_reset(bool demo);
void stp_free(void);   /* at stop */
int64_t stp_now(void); /* Unix seconds */
/* A random id: prefix + n base62 characters. */
void stp_id(const char *prefix, size_t n, char out[STP_ID]);
/* True when one more object fits under max_objects (counts it). */
bool stp_room(void);

struct stp_product *stp_product_add(json_t *spec, char *err, size_t errsize);
struct stp_price *stp_price_add(json_t *spec, char *err, size_t errsize);
struct stp_customer *stp_customer_add(const char *email, const char *name);
json_t *stp_meta_copy(const json_t *m); /* {} when m is NULL */

/* ---- billing.c ---- */
/* Lazily expires an open session past expires_at (emits checkout.session.expired). */
void stp_session_check_expiry(struct stp_session *s);
/* Pays an open session: customer, subscription and first invoice, then the events. */
void stp_session_complete(struct stp_session *s, const char *email, const char *name);
void stp_session_expire(struct stp_session *s);
/* The subscription's current period ends: a renewal invoice paid (fail false) or failed, or
 * the end of a subscription set to cancel at period end. */
void stp_sub_advance(struct stp_sub *sub, bool fail);
/* Cancels now (deleted event) or at period end (updated event); undo with at_end false. */
void stp_sub_cancel_now(struct stp_sub *sub);
void stp_sub_set_cancel_at_end(struct stp_sub *sub, bool on);
void stp_sub_set_metadata(struct stp_sub *sub, json_t *metadata); /* takes metadata */
/* A plan or seats change: item i gets price and quantity (same id), customer.subscription.updated
 * with previous_attributes {items, quantity (when it changed)}. No proration and the period
 * stays: the next renewal bills the new price x quantity for the new price's interval. False
 * (nothing emitted) when nothing changes. The caller checked price (currency, interval). */
bool stp_sub_update_item(struct stp_sub *sub, size_t i, struct stp_price *price, int64_t quantity);
enum fh_rc stp_invoice_pay(struct stp_invoice *inv, char *err, size_t errsize);
int64_t stp_add_interval(int64_t anchor, int64_t from, const char *interval, int64_t count);
int64_t stp_lines_total(const struct stp_line *l, size_t n);
const char *stp_session_status_name(enum stp_session_status s);
const char *stp_sub_status_name(enum stp_sub_status s);
const char *stp_inv_status_name(enum stp_inv_status s);

/* ---- render.c ---- */
#define STP_X_LINES 1u /* expand[]: line_items (sessions) */
#define STP_X_SUB 2u   /* subscription */
#define STP_X_CUS 4u   /* customer */
json_t *stp_r_product(const struct stp_product *p);
json_t *stp_r_price(const struct stp_price *p);
json_t *stp_r_customer(const struct stp_customer *c);
json_t *stp_r_session(const struct stp_session *s, unsigned expand);
json_t *stp_r_session_lines(const struct stp_session *s);
json_t *stp_r_sub(const struct stp_sub *s);
json_t *stp_r_sub_items(const struct stp_sub *s); /* the `items` list of a subscription */
json_t *stp_r_invoice(const struct stp_invoice *inv);
json_t *stp_r_portal(const struct stp_portal *p);
/* A list object: {object: "list", data, has_more, url}; takes data. */
json_t *stp_r_list(json_t *data, bool has_more, const char *url);
void stp_session_url(const struct stp_session *s, char *out, size_t n);
void stp_portal_url(const struct stp_portal *p, char *out, size_t n);
/* "EUR 29.00" for 2900 minor units. */
void stp_money(int64_t minor, const char *currency, char *out, size_t n);
void stp_date(int64_t unix_s, char *out, size_t n); /* 2026-01-15 */

/* ---- params.c ---- */
enum stp_pkind { STP_P_STR, STP_P_INT, STP_P_BOOL, STP_P_MAP, STP_P_LIST, STP_P_OBJ };
struct stp_pspec {
    const char *name;
    enum stp_pkind kind;
    const struct stp_pspec *sub; /* LIST: its element (one entry); OBJ: fields, NULL name ends */
};
struct stp_perr { /* a Stripe invalid_request_error */
    char code[40], param[128], message[300];
};
/* Parses an urlencoded body (or the query of a GET when body is NULL) against spec (fields, NULL
 * name ends): a JSON object whose LISTs are arrays ordered by index, MAPs objects of strings.
 * NULL with err filled on an unknown parameter or a bad value. */
json_t *stp_params(struct fh_req *req, const char *body, size_t len, const struct stp_pspec *spec,
                   struct stp_perr *err);
/* Fills err and returns false (validation helpers). */
bool stp_fail(struct stp_perr *err, const char *code, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool stp_url_ok(const char *s); /* an absolute http(s) URL of at most 5000 characters */
/* The `expand` parameter as STP_X_* bits; false (err filled) on one the endpoint cannot expand. */
bool stp_expand(json_t *params, unsigned allowed, unsigned *out, struct stp_perr *err);

/* ---- api.c ---- */
struct stp_call {
    struct fh_req *req;
    const char *seg[5];
    size_t nseg;
    json_t *params;
    char request_id[STP_ID];
    char idem_key[256], idem_hash[65]; /* a POST's Idempotency-Key and request hash */
};
/* Answers 200 (or status) with a Stripe object; takes j. */
enum fh_rc stp_reply(struct stp_call *c, unsigned int status, json_t *j);
/* A Stripe error: type invalid_request_error unless given; code and param may be NULL. */
enum fh_rc stp_error(struct stp_call *c, unsigned int status, const char *type, const char *code,
                     const char *param, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
enum fh_rc stp_missing(struct stp_call *c, const char *what, const char *id); /* 404 */
enum fh_rc stp_perror(struct stp_call *c, const struct stp_perr *e);          /* 400 */
enum fh_rc stp_api(struct fh_req *req);                                       /* every /v1 route */

/* ---- api_objects.c: one handler per endpoint; params already parsed ---- */
struct stp_endpoint {
    const char *method;
    const char *path; /* segments after /v1, "*" for an id */
    const struct stp_pspec *spec;
    enum fh_rc (*fn)(struct stp_call *c);
};
extern const struct stp_endpoint stp_endpoints[];
extern const size_t stp_nendpoints;
/* A Stripe list of the objects of v (newest first) that keep() accepts, after the params'
 * starting_after, at most limit (1..100, 10). Takes stp.lock; every object starts with its id. */
enum fh_rc stp_list_reply(struct stp_call *c, const struct sb_vec *v,
                          bool (*keep)(const void *obj, json_t *params),
                          json_t *(*render)(const void *obj), const char *url);
extern const struct stp_pspec stp_spec_list[]; /* limit, starting_after */
/* api_checkout.c */
enum fh_rc stp_session_create(struct stp_call *c);
enum fh_rc stp_session_get(struct stp_call *c);
enum fh_rc stp_session_lines_get(struct stp_call *c);
enum fh_rc stp_session_expire_post(struct stp_call *c);
enum fh_rc stp_sessions_list(struct stp_call *c);
enum fh_rc stp_portal_create(struct stp_call *c);
extern const struct stp_pspec stp_spec_session_create[], stp_spec_expand[],
    stp_spec_sessions_list[], stp_spec_portal_create[];

/* ---- checkout_page.c, portal_page.c ---- */
extern const struct sb_page_style stp_page_style;
enum fh_rc stp_checkout_get(struct fh_req *req);
enum fh_rc stp_checkout_post(struct fh_req *req);
enum fh_rc stp_portal_get(struct fh_req *req);
enum fh_rc stp_portal_post(struct fh_req *req);
enum fh_rc stp_css_get(struct fh_req *req);
/* The outcome of a test card: NULL when it pays, else the decline message. */
const char *stp_card_outcome(const char *number, const char *exp, const char *cvc,
                             const char **code);

/* ---- events.c ---- */
/* Records an event (type, data.object, optional data.previous_attributes; takes both) and
 * queues it for every enabled endpoint that listens to type. Caller holds stp.lock. */
void stp_emit(const char *type, json_t *object, json_t *previous);
json_t *stp_event_get(const char *id); /* a copy, or NULL */
json_t *stp_events_list(const char *type, size_t limit, const char *starting_after, bool *has_more);
enum stp_forge {
    STP_F_NONE,
    STP_F_BAD_SIG,
    STP_F_STALE,
    STP_F_NO_HEADER,
    STP_F_NO_V1,
    STP_F_MULTI_V1
};
/* Webhook endpoints (control API). */
json_t *stp_wh_add(json_t *spec, char *err, size_t errsize);
json_t *stp_wh_update(const char *id, json_t *spec, char *err, size_t errsize, bool *found);
bool stp_wh_delete(const char *id);
json_t *stp_wh_json(const char *id); /* NULL id: all; NULL when id is unknown */
/* Queues a copy of a stored event (resend) or a forged body to one endpoint (NULL: all). */
enum fh_rc stp_wh_send(const char *endpoint, const char *event_id, const char *body,
                       enum stp_forge forge, int64_t age_s, char *err, size_t errsize, int *queued);
void stp_wh_settings(const struct stp_settings *s);
void stp_wh_reset(void);
void stp_events_reset(void);
enum fh_rc stp_wh_start(void);
void stp_wh_stop(void);
/* The signature header value of body at t under secret: "t=...,v1=<hex>". */
void stp_sign(const char *secret, int64_t t, const char *body, size_t len, char *out,
              size_t outsize);

/* ---- control.c, control_objects.c ---- */
enum fh_rc stp_c_info_get(struct fh_req *req);
enum fh_rc stp_c_settings_put(struct fh_req *req);
enum fh_rc stp_c_reset_post(struct fh_req *req);
enum fh_rc stp_c_stats_get(struct fh_req *req);
enum fh_rc stp_c_stats_reset_post(struct fh_req *req);
enum fh_rc stp_c_faults_get(struct fh_req *req);
enum fh_rc stp_c_faults_put(struct fh_req *req);
enum fh_rc stp_c_endpoints_get(struct fh_req *req);
enum fh_rc stp_c_endpoints_post(struct fh_req *req);
enum fh_rc stp_c_endpoint_get(struct fh_req *req);
enum fh_rc stp_c_endpoint_put(struct fh_req *req);
enum fh_rc stp_c_endpoint_delete(struct fh_req *req);
enum fh_rc stp_c_events_get(struct fh_req *req);
enum fh_rc stp_c_event_resend_post(struct fh_req *req);
enum fh_rc stp_c_forge_post(struct fh_req *req);
enum fh_rc stp_c_sign_post(struct fh_req *req);
enum fh_rc stp_c_products_get(struct fh_req *req);
enum fh_rc stp_c_products_post(struct fh_req *req);
enum fh_rc stp_c_prices_post(struct fh_req *req);
enum fh_rc stp_c_sessions_get(struct fh_req *req);
enum fh_rc stp_c_session_complete_post(struct fh_req *req);
enum fh_rc stp_c_session_expire_post(struct fh_req *req);
enum fh_rc stp_c_customers_get(struct fh_req *req);
enum fh_rc stp_c_subs_get(struct fh_req *req);
enum fh_rc stp_c_sub_action_post(struct fh_req *req); /* advance, fail, cancel, resume */
enum fh_rc stp_c_invoices_get(struct fh_req *req);
enum fh_rc stp_c_invoice_pay_post(struct fh_req *req);

#endif
