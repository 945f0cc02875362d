/* xero_internal.h - the pieces of the Xero emulator shared between its files:
 *   util.c       Xero's dates and the scaled clock (maps, forms, replies, exact JSON numbers,
 *                pages, stats, faults, rate-limit windows and the sender thread are in
 *                ../common/, shared with the other emulators)
 *   state.c      the one mutex, settings, users, organisations, apps, reset and the demo data
 *   tokens.c     grants, connections, authorization codes, access and refresh tokens
 *   docs.c       contacts, invoices, credit notes, payments, history, attachments (the model)
 *   render.c     the model as Xero JSON
 *   where.c      the `where` filter subset
 *   identity.c   /connect/token, /connect/revocation, /connections
 *   consent.c    the authorize pages (log in, pick organisations, allow)
 *   accounting.c the Accounting API front: routing, bearer, tenant, limits, replies
 *   acc_docs.c   the Accounting API document endpoints
 *   xero.c       settings, life cycle, routes; the emulator's stats, faults and rate-limit
 *                instances (x_stats, x_faults, x_rl)
 *   webhooks.c   the webhook sender thread (intent to receive, batches, retries)
 *   control.c, control_docs.c  the control API
 * See docs/internals/xero-sandbox.md. */
#ifndef FH_XERO_INTERNAL_H
#define FH_XERO_INTERNAL_H

#include <jansson.h>
#include <pthread.h>

#include "common/common.h"
#include "fh/fh_common.h"
#include "fh/fh_http.h"
#include "xero.h"

#define X_ID 37 /* a UUID and its NUL */
#define X_MINUTE_MS 60000LL
#define X_DAY_MS 86400000LL

/* ---- util.c ---- */
int64_t x_now_ms(void);
/* Lifetimes: nominal milliseconds divided by the time scale (at least 1 ms). */
int64_t x_scaled(int64_t nominal_ms);
void x_msdate(int64_t ms, bool zone, char *out, size_t n);     /* /Date(ms+0000)/ */
void x_datestring(int64_t ms, char *out, size_t n);            /* 2026-01-15T00:00:00 */
void x_iso(int64_t ms, int frac, bool z, char *out, size_t n); /* frac digits 0, 3 or 7 */
/* "2026-01-15", "2026-01-15T10:00:00[.fff][Z]" or an RFC 1123 date -> Unix ms (UTC). */
bool x_parse_time(const char *s, int64_t *ms);
int64_t x_day(int64_t ms); /* midnight UTC of that day */

/* The emulator's counters, faults and limits (xero.c). */
extern struct sb_stats x_stats;
extern struct sb_faults x_faults;
extern struct sb_rl x_rl;

/* ---- state.c ---- */
struct x_settings {
    int64_t time_scale;
    char public_url[256];
    bool grace_same;
    int64_t max_invoices;
    int64_t code_lifetime_s, access_lifetime_s, grace_s, refresh_idle_s;
    int64_t lim_minute, lim_day, lim_concurrent, lim_app_minute;
    bool require_accept_json, require_state;
    int64_t max_attachments, max_attachment_bytes;
    int64_t webhook_timeout_ms, itr_rounds, batch_max, batch_delay_ms;
    int64_t idempotency_s; /* how long an Idempotency-Key is remembered; 0: not at all */
    int64_t latency_ms;    /* an accounting call admitted by the limits takes at least this long */
};

struct x_taxrate {
    char *name, *type;
    int64_t rate; /* percent, ten-thousandths */
    bool revenue, expenses;
};

struct x_account {
    char id[X_ID];
    char *code, *name, *type, *tax_type;
    bool payments;
};

struct x_rec { /* first member of everything kept in an update log */
    uint64_t seq;
    int64_t updated_ms;
};

struct xlog_entry {
    int64_t ms;
    uint64_t seq;
    struct x_rec *rec;
};

struct xlog { /* objects in UpdatedDateUTC order; an update appends, the old entry goes stale */
    struct xlog_entry *e;
    size_t n, cap, live;
};

struct x_org {
    char id[X_ID];
    char *name, *legal_name, *short_code, *country, *currency, *version, *timezone, *tax_number;
    int64_t created_ms, last_upd_ms;
    struct x_taxrate *rates;
    size_t nrates;
    struct x_account *accounts;
    size_t naccounts;
    struct xlog contacts, invoices, credits, payments;
    int64_t next_inv, next_cn;
};

struct x_user {
    char id[X_ID];
    char *email, *password, *first, *last;
    struct sb_vec orgs; /* struct x_org * */
};

struct x_app {
    char client_id[40];
    char *secret; /* NULL: a PKCE app */
    char *name;
    struct sb_vec redirect_uris, denied_scopes; /* char * */
    char *webhook_url, *webhook_key;
    int64_t created_ms;
};

struct x_state {
    pthread_mutex_t lock;
    struct x_settings set;
    uint64_t seq;
    uint8_t jwt_key[32];
    struct sb_map users, users_by_email, orgs, apps;
    struct sb_vec user_list, org_list, app_list;
    struct sb_map grants, conns, codes, access, refresh, sessions, authreqs;
    struct sb_vec conn_list;
    struct sb_map docs, contacts, payments; /* by id (docs: invoices and credit notes) */
    size_t ndocs;
    struct sb_map idem; /* idempotency cache */
    struct x_path_fault { /* the lost_response fault (control.c): the next count writes whose */
        int64_t count;    /* path contains path are carried out, then their connection is reset */
        char path[128];
        int64_t ms; /* stale_response: the next count reads whose path contains path are answered
                       ms after they were read, so the client gets a snapshot that old */
        char status[16]; /* stale_response: only reads of the document path ends with while it
                            has this Status (e.g. AUTHORISED); "" any */
    } lost, stale, cut;  /* cut_response: the next count reads whose path contains path are
                            answered with half their body */
};
extern struct x_state xs;

void xs_lock(void);
void xs_unlock(void);
void xs_init(const struct fh_xero_opts *o, const char *public_url);
void xs_reset(bool demo); /* caller holds the lock */
void xs_free(void);       /* at stop */
void xlog_touch(struct x_org *org, struct xlog *log, struct x_rec *rec, bool is_new);
size_t xlog_lower_bound(const struct xlog *log, int64_t ms);
bool xlog_valid(const struct xlog *log, size_t i);

struct x_user *xs_user_add(const char *email, const char *password, const char *first,
                           const char *last);
struct x_org *xs_org_add(json_t *spec, char *err, size_t errsize); /* spec: control API body */
struct x_app *xs_app_add(json_t *spec, char *err, size_t errsize);
enum fh_rc xs_app_update(struct x_app *app, json_t *spec, char *err, size_t errsize);
struct x_org *xs_org(const char *id);
struct x_app *xs_app(const char *client_id);
struct x_user *xs_user(const char *id_or_email);
const struct x_taxrate *xs_taxrate(const struct x_org *org, const char *type);
json_t *xs_org_json(const struct x_org *o);
json_t *xs_app_json(const struct x_app *a, bool secret);
json_t *xs_user_json(const struct x_user *u);

/* ---- tokens.c ---- */
struct x_grant { /* one user's consent to one app: scopes are additive */
    struct x_app *app;
    struct x_user *user;
    char *scope;
};

struct x_conn {
    char id[X_ID], auth_event[X_ID];
    struct x_grant *grant;
    struct x_org *org;
    int64_t created_ms, updated_ms;
};

struct x_code {
    char code[48], auth_event[X_ID];
    struct x_grant *grant;
    char *redirect_uri, *scope, *challenge, *nonce;
    int64_t expires_ms;
    bool used;
};

struct x_access {
    char *token;
    struct x_grant *grant;
    char *scope;
    int64_t expires_ms;
};

struct x_refresh {
    char token[72], auth_event[X_ID];
    struct x_grant *grant;
    char *scope;
    int64_t expires_ms, used_ms; /* used_ms 0: unused */
    bool revoked;
    /* What its first use returned, for a replay within the grace window ("same" mode). */
    char *next_access, *next_refresh, *next_id_token;
    int64_t next_access_exp;
};

struct x_grant *tok_grant(struct x_app *app, struct x_user *user, const char *scope);
struct x_conn *tok_connect(struct x_grant *g, struct x_org *org, const char *auth_event);
void tok_disconnect(struct x_conn *c, bool xero_side); /* frees c */
size_t tok_grant_conns(const struct x_grant *g, struct x_conn **out, size_t max);
struct x_code *tok_code_new(struct x_grant *g, const char *redirect_uri, const char *scope,
                            const char *challenge, const char *nonce, const char *auth_event);
/* Issues an access token (and a refresh token when offline_access is granted); id_token when
 * openid is. Strings in the result are owned by the state. */
struct x_issue {
    struct x_access *access;
    struct x_refresh *refresh;
    char *id_token; /* caller frees */
};
void tok_issue(struct x_grant *g, const char *scope, const char *auth_event, const char *nonce,
               struct x_issue *out);
bool tok_has_scope(const char *scope, const char *want);
void tok_revoke_grant(struct x_grant *g); /* refresh tokens invalid, connections gone */
void tok_free_all(void);
void consent_free_all(void); /* log-in sessions and pending authorize requests */
void idem_free_all(void);
json_t *tok_conn_json(const struct x_conn *c);
json_t *tok_conn_control_json(const struct x_conn *c);

/* ---- docs.c (the model) ---- */
enum x_status { XS_DRAFT, XS_SUBMITTED, XS_AUTHORISED, XS_PAID, XS_VOIDED, XS_DELETED };
const char *x_status_name(enum x_status s);
bool x_status_parse(const char *s, enum x_status *out);

struct x_contact {
    struct x_rec rec;
    char id[X_ID];
    struct x_org *org;
    char *name, *first, *last, *email, *number, *tax_number;
    bool archived;
};

struct x_line {
    char id[X_ID];
    char *desc, *account, *tax_type, *item_code;
    int64_t qty, unit, discount_rate, line_amount, tax_amount;
};

struct x_history {
    int64_t ms;
    char *changes, *user, *details;
};

struct x_attach {
    char id[X_ID];
    char *name, *mime;
    uint8_t *data;
    size_t len;
    bool online;
};

struct x_doc { /* an invoice or a credit note */
    struct x_rec rec;
    char id[X_ID];
    struct x_org *org;
    bool credit;
    char type[16];
    char *number, *reference, *url;
    struct x_contact *contact;
    int64_t date_ms, due_ms, fully_paid_ms;
    enum x_status status;
    char lat[12]; /* Exclusive, Inclusive, NoTax */
    char currency[4];
    int64_t rate; /* CurrencyRate in ten-thousandths: 10000 for the organisation's currency */
    struct x_line *lines;
    size_t nlines;
    int64_t subtotal, tax, total, paid, credited;
    bool sent;
    struct sb_vec payments, allocs, history, attachments;
};

struct x_alloc {
    char id[X_ID];
    struct x_doc *cn, *inv;
    int64_t amount, date_ms;
};

struct x_payment {
    struct x_rec rec;
    char id[X_ID];
    struct x_doc *doc;
    int64_t amount, date_ms;
    char *reference, *account_code;
    bool deleted;
};

struct x_contact *doc_contact_add(struct x_org *org, json_t *spec, char *err, size_t errsize);
enum fh_rc doc_contact_edit(struct x_contact *c, json_t *spec, char *err, size_t errsize);
struct x_contact *doc_contact_find(struct x_org *org,
                                   const json_t *ref); /* {ContactID} or {Name} */
/* Creates an invoice from a Xero-shaped body (Type, Contact, Date, DueDate, LineItems, ...). */
struct x_doc *doc_invoice_add(struct x_org *org, json_t *spec, bool events, char *err,
                              size_t errsize);
enum fh_rc doc_invoice_edit(struct x_doc *d, json_t *spec, char *err, size_t errsize);
enum fh_rc doc_set_status(struct x_doc *d, enum x_status to, char *err, size_t errsize);
struct x_payment *doc_pay(struct x_doc *d, json_t *spec, char *err, size_t errsize);
struct x_doc *doc_credit(struct x_doc *inv, json_t *spec, char *err, size_t errsize);
/* Removes the credit note's allocation alloc_id (Xero's DELETE
 * /CreditNotes/{id}/Allocations/{id}): the invoice owes that amount again. FH_E_NOTFOUND. */
enum fh_rc doc_unallocate(struct x_doc *cn, const char *alloc_id, char *err, size_t errsize);
void doc_history(struct x_doc *d, const char *changes, const char *user, const char *details);
struct x_attach *doc_attach(struct x_doc *d, const char *name, const char *mime,
                            const uint8_t *data, size_t len, bool online);
struct x_attach *doc_attachment(const struct x_doc *d, const char *name_or_id);
struct x_doc *doc_find(struct x_org *org, const char *id_or_number, bool credit);
void doc_event(struct x_org *org, const char *category, const char *type, const char *id,
               json_t *data);
void doc_free_all(void);
void doc_recompute(struct x_doc *d);
struct x_doc *doc_new(struct x_org *org, bool credit, const char *type);
void doc_free(struct x_doc *d);
enum fh_rc doc_set_lines(struct x_doc *d, json_t *arr, char *err, size_t errsize);
void doc_free_org(struct x_org *org);

/* ---- render.c ---- */
enum r_mode { R_FULL, R_PAGED, R_UNPAGED, R_SUMMARY };
json_t *r_doc(const struct x_doc *d, enum r_mode mode, int unitdp);
json_t *r_contact(const struct x_contact *c, bool full);
json_t *r_payment(const struct x_payment *p, bool full);
json_t *r_org(const struct x_org *o);
json_t *r_taxrate(const struct x_taxrate *t);
json_t *r_account(const struct x_account *a);
json_t *r_history(const struct x_history *h);
json_t *r_attachment(const struct x_doc *d, const struct x_attach *a);
json_t *r_envelope(const char *provider, const char *key,
                   json_t *items); /* takes items (may be NULL) */

/* ---- where.c ---- */
struct x_where;
struct x_where *where_parse(const char *text, char *err, size_t errsize);
void where_free(struct x_where *w);
enum w_kind { W_STR, W_NUM, W_TIME, W_BOOL, W_NONE };
struct w_val {
    enum w_kind kind;
    const char *s;
    int64_t n; /* money (ten-thousandths), ms, or 0/1 */
};
typedef bool (*where_getter)(const void *obj, const char *field, struct w_val *out);
/* False when a field is unknown to the getter (the caller answers 400). */
bool where_match(const struct x_where *w, const void *obj, where_getter get, bool *ok);

/* ---- tokens / identity helpers used by accounting.c ---- */
enum x_bearer { XB_OK, XB_MISSING, XB_INVALID, XB_EXPIRED };
/* Resolves Authorization: Bearer; caller holds the lock. */
enum x_bearer tok_bearer(struct fh_req *req, struct x_access **out);
/* The 401/403 problem JSON of the Accounting and connections endpoints. */
enum fh_rc x_problem(struct fh_req *req, unsigned int status, const char *detail,
                     const char *const *hdrs);

/* ---- webhooks.c ---- */
enum fh_rc wh_start(void);
void wh_stop(void);
/* Sets (url NULL: removes) an app's subscription; a new or changed URL runs intent to receive. */
void wh_configure(const char *client_id, const char *url, const char *key, json_t *categories);
void wh_run_itr(const char *client_id);
void wh_enqueue(const char *client_id, const char *category, const char *type,
                const char *resource_url, const char *resource_id, const char *tenant,
                json_t *data);
json_t *wh_json(const char *client_id); /* NULL: every app */
void wh_reset(void);
void wh_settings(const struct x_settings *s); /* copies what the sender thread needs */

/* ---- handlers (route table in xero.c) ---- */
enum fh_rc xh_authorize_get(struct fh_req *req);
enum fh_rc xh_login_post(struct fh_req *req);
enum fh_rc xh_consent_get(struct fh_req *req);
enum fh_rc xh_consent_post(struct fh_req *req);
enum fh_rc xh_consent_css(struct fh_req *req);
enum fh_rc xh_token_post(struct fh_req *req);
enum fh_rc xh_revocation_post(struct fh_req *req);
enum fh_rc xh_discovery_get(struct fh_req *req);
enum fh_rc xh_connections_get(struct fh_req *req);
enum fh_rc xh_connection_delete(struct fh_req *req);
enum fh_rc xh_accounting(struct fh_req *req);

/* acc_docs.c: the Accounting API endpoints behind xh_accounting. */
struct acc_ctx {
    struct fh_req *req;
    struct x_org *org;
    struct x_app *app;
    const char *seg[4];
    size_t nseg;
    const char *hdrs[16]; /* rate limit headers: name, value, ..., NULL */
    size_t nhdrs;
    char hv[4][24];
    bool xml;  /* the client did not ask for JSON */
    bool lost; /* the lost_response fault: carry the request out, reset instead of answering */
    int64_t stale_ms; /* the stale_response fault: the answer is held (below), sent this late */
    bool cut;         /* the cut_response fault: a 200 is sent with the first half of its body */
    struct {
        unsigned int status;
        char *ctype, *body;
        size_t len;
    } held;
    char idem_key[256], idem_hash[65];
};
enum fh_rc acc_reply(struct acc_ctx *c, unsigned int status, json_t *j); /* takes j */
enum fh_rc acc_reply_raw(struct acc_ctx *c, unsigned int status, const char *ctype, char *body,
                         size_t len);
enum fh_rc acc_not_found(struct acc_ctx *c);
enum fh_rc acc_validation(struct acc_ctx *c, json_t *element, const char *message); /* 400 */
enum fh_rc acc_invoices_get(struct acc_ctx *c);
enum fh_rc acc_invoice_get(struct acc_ctx *c);
enum fh_rc acc_credit_notes_get(struct acc_ctx *c);
enum fh_rc acc_credit_note_get(struct acc_ctx *c);
enum fh_rc acc_contacts_get(struct acc_ctx *c);
enum fh_rc acc_contact_get(struct acc_ctx *c);
enum fh_rc acc_payments_get(struct acc_ctx *c);
enum fh_rc acc_payment_get(struct acc_ctx *c);
enum fh_rc acc_history_get(struct acc_ctx *c);
enum fh_rc acc_history_put(struct acc_ctx *c);
enum fh_rc acc_attachments_get(struct acc_ctx *c);
enum fh_rc acc_attachment_get(struct acc_ctx *c);
enum fh_rc acc_attachment_put(struct acc_ctx *c);

/* control.c / control_docs.c */
enum fh_rc xc_info_get(struct fh_req *req);
enum fh_rc xc_settings_put(struct fh_req *req);
enum fh_rc xc_reset_post(struct fh_req *req);
enum fh_rc xc_users_post(struct fh_req *req);
enum fh_rc xc_users_get(struct fh_req *req);
enum fh_rc xc_orgs_post(struct fh_req *req);
enum fh_rc xc_orgs_get(struct fh_req *req);
enum fh_rc xc_org_limits_put(struct fh_req *req);
enum fh_rc xc_org_hold_post(struct fh_req *req);
enum fh_rc xc_apps_post(struct fh_req *req);
enum fh_rc xc_app_get(struct fh_req *req);
enum fh_rc xc_app_put(struct fh_req *req);
enum fh_rc xc_app_itr_post(struct fh_req *req);
enum fh_rc xc_connections_get(struct fh_req *req);
enum fh_rc xc_connection_delete(struct fh_req *req);
enum fh_rc xc_tokens_expire_post(struct fh_req *req);
enum fh_rc xc_stats_get(struct fh_req *req);
enum fh_rc xc_stats_reset_post(struct fh_req *req);
enum fh_rc xc_faults_get(struct fh_req *req);
enum fh_rc xc_faults_put(struct fh_req *req);
enum fh_rc xc_webhooks_get(struct fh_req *req);
enum fh_rc xc_contacts_post(struct fh_req *req);
enum fh_rc xc_contact_put(struct fh_req *req);
enum fh_rc xc_invoices_post(struct fh_req *req);
enum fh_rc xc_invoices_bulk_post(struct fh_req *req);
enum fh_rc xc_invoice_get(struct fh_req *req);
enum fh_rc xc_invoice_put(struct fh_req *req);
enum fh_rc xc_invoice_action_post(struct fh_req *req);
enum fh_rc xc_invoice_history_get(struct fh_req *req);
enum fh_rc xc_invoice_attachments_get(struct fh_req *req);
enum fh_rc xc_invoice_attachment_get(struct fh_req *req);
enum fh_rc xc_credit_note_get(struct fh_req *req);
enum fh_rc xc_credit_note_allocation_delete(struct fh_req *req);

#endif
