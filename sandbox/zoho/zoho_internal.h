/* zoho_internal.h - the pieces of the Zoho Books emulator shared between its files:
 *   zoho.c       settings, life cycle, route table; the stats, faults and rate-limit instances
 *   state.c      the one mutex, settings, data centres, users, organizations, clients, reset,
 *                the demo data
 *   time.c       Zoho's timestamps (2026-04-23T14:15:00+0200) and dates, the scaled clock and
 *                its fixed windows
 *   tokens.c     consents (grants), grant codes, refresh and access tokens and Zoho's rules
 *   accounts.c   POST /oauth/v2/token, the two revoke endpoints, /oauth/serverinfo
 *   consent.c    GET /oauth/v2/auth and its pages (log in, pick organization, Accept)
 *   model.c      contacts, taxes, custom fields, invoices, payments, comments, attachments
 *                (the model)
 *   creditnotes.c  the model's credit notes and their credits applied to invoices (and deleted
 *                again)
 *   render.c     the model as Books JSON
 *   books.c      the Books API front: routing, Zoho-oauthtoken, organization_id, limits, faults
 *   books_inv.c  the Books endpoints (organizations, invoices, credit notes, comments,
 *                attachments, ...)
 *   webhooks.c   workflow webhooks per organization and their sender thread
 *   control.c, control_inv.c  the control API (control_inv.c: invoices and credit notes)
 * Generic helpers (maps, forms, replies, pages, stats, faults, limits, the sender thread) are in
 * ../common/. See docs/internals/zoho-sandbox.md. */
#ifndef FH_ZOHO_INTERNAL_H
#define FH_ZOHO_INTERNAL_H

#include <jansson.h>
#include <pthread.h>

#include "common/common.h"
#include "fh/fh_http.h"
#include "zoho.h"

#define Z_ID 24 /* a numeric id ("460000000012345") and its NUL */
#define Z_TOKEN 80
#define Z_MINUTE_MS 60000LL
#define Z_DAY_MS 86400000LL
#define Z_MAX_USERS 10000
#define Z_MAX_ORGS 10000
#define Z_MAX_CLIENTS 1000
#define Z_MAX_COMMENTS 1000 /* per invoice */
#define Z_MAX_PAYMENTS 100  /* per invoice */
#define Z_MAX_LINES 200     /* per invoice or credit note */
#define Z_MAX_CREDITS 100   /* credits applied per credit note */
#define Z_MAX_FILE_BYTES (15 * 1024 * 1024)      /* the highest max_attachment_bytes */
#define Z_MAX_ATTACH_TOTAL (256LL * 1024 * 1024) /* attachment bytes kept, all invoices */

extern struct sb_stats z_stats;
extern struct sb_faults z_faults;
extern struct sb_rl z_rl;

/* ---- time.c ---- */
int64_t z_now_ms(void);
int64_t z_scaled(int64_t nominal_ms); /* divided by the time scale, at least 1 */
/* Counts one use in a fixed window of window_s (scaled) seconds that starts with the first use
 * after the last one ended (*start 0: none yet); false, counting nothing, when *count has reached
 * limit in the current window. */
bool z_window_take(int64_t *start, int64_t *count, int64_t window_s, int64_t limit);
/* 2026-04-23T14:15:00+0200 in the given offset (minutes east of UTC). */
void z_timestamp(int64_t ms, int offset_min, char *out, size_t n);
void z_date(int64_t ms, int offset_min, char *out, size_t n); /* 2026-04-23 */
/* YYYY-MM-DDTHH:MM:SS followed by +HHMM, -HHMM, +HH:MM or Z -> Unix ms. */
bool z_parse_timestamp(const char *s, int64_t *ms);
bool z_parse_date(const char *s);                 /* yyyy-mm-dd */
bool z_parse_offset(const char *s, int *minutes); /* "+0100", "-05:30" */

/* ---- state.c ---- */
struct z_dc {
    const char *id;            /* the path segment: com, eu, in, com.au, jp, ca, com.cn, sa, uk */
    const char *location;      /* Zoho's location value: us, eu, in, au, jp, ca, cn, sa, uk */
    const char *real_accounts; /* the real accounts server (for the docs and serverinfo) */
};
const struct z_dc *z_dc_by_id(const char *id);
const struct z_dc *z_dc_by_location(const char *location);
const struct z_dc *z_dc_list(size_t *n);
void z_accounts_url(const struct z_dc *dc, char *out, size_t n); /* <public>/accounts/<id> */
void z_api_domain(const struct z_dc *dc, char *out, size_t n);   /* <public>/apis/<id> */

enum z_plan { ZP_FREE, ZP_STANDARD, ZP_PROFESSIONAL, ZP_PREMIUM, ZP_ELITE, ZP_ULTIMATE };
const char *z_plan_name(enum z_plan p);
bool z_plan_parse(const char *s, enum z_plan *out);

struct z_settings {
    int64_t time_scale;
    char public_url[256];
    int64_t code_lifetime_s, access_lifetime_s;
    int64_t refresh_cap, access_per_refresh, mint_limit, mint_window_s, grant_limit, grant_window_s;
    int64_t token_error_status; /* 200 (Zoho's habit) or 400 */
    bool restrict_to_chosen_org, accept_bearer, accept_fullaccess;
    bool sort_by_modified, modified_inclusive;
    int64_t lim_minute, day_limit, conc_free, conc_paid, rate_limit_code;
    bool comment_fires_edit, comment_touches, customfield_fires_edit, payment_fires_edit;
    bool attachment_fires_edit, attachment_touches;
    int64_t max_attachments, max_attachment_bytes; /* per invoice; per file */
    bool payload_org_id, signature_upper;
    int64_t webhook_timeout_ms, webhook_retries, webhook_retry_s;
    int64_t max_invoices;
};

struct z_tax {
    char id[Z_ID];
    char *name;
    int64_t percentage; /* ten-thousandths of a percent unit: 20 % is 200000 */
};

struct z_cfdef { /* a custom field of the invoice module */
    char id[Z_ID];
    char *label, *api_name;
};

struct z_webhook { /* the organization's workflow rules with the same webhook action */
    char *url, *secret;
    bool on_create, on_edit;
    bool invoices, creditnotes; /* the modules with a rule */
    json_t *headers; /* object: name -> value */
};

struct z_org {
    char id[Z_ID];
    const struct z_dc *dc;
    enum z_plan plan;
    char *name, *currency, *currency_symbol, *time_zone, *email;
    int offset_min; /* the time zone's fixed UTC offset */
    int64_t created_ms;
    struct sb_vec taxes, cfdefs, contacts, invoices; /* invoices in creation order */
    struct sb_vec creditnotes;                       /* in creation order */
    struct sb_map numbers;                           /* invoice_number -> invoice */
    struct sb_map cn_numbers;                        /* creditnote_number -> credit note */
    int64_t next_number, next_cn_number;
    struct z_webhook hook;
};

struct z_user {
    char id[Z_ID];
    char *email, *password, *name;
    const struct z_dc *dc;
    struct sb_vec orgs; /* struct z_org * */
};

struct z_client {
    char client_id[48];
    char *secret, *name;
    struct sb_vec redirect_uris;      /* char * */
    json_t *dc_secrets;               /* object: DC id -> secret there (else the client secret) */
    int64_t grant_start, grant_count; /* the grant-code window */
};

struct z_state {
    pthread_mutex_t lock;
    struct z_settings set;
    int64_t next_id;
    struct sb_map users, users_by_email, orgs, clients;
    struct sb_vec user_list, org_list, client_list;
    struct sb_map grants, codes, access, refresh, sessions, authreqs;
    struct sb_map invoices, contacts, creditnotes; /* by id */
    size_t ninvoices, ncreditnotes;                /* together at most set.max_invoices */
    int64_t attachment_bytes;                      /* at most Z_MAX_ATTACH_TOTAL */
};
extern struct z_state zs;

void zs_lock(void);
void zs_unlock(void);
void zs_init(const struct fh_zoho_opts *o, const char *public_url);
void zs_reset(bool demo); /* caller holds the lock */
void zs_free(void);       /* at stop */
void zs_new_id(char out[Z_ID]);
const char *z_secret_at(const struct z_client *c, const struct z_dc *dc);

struct z_user *zs_user_add(json_t *spec, char *err, size_t errsize);
struct z_org *zs_org_add(json_t *spec, char *err, size_t errsize);
struct z_client *zs_client_add(json_t *spec, char *err, size_t errsize);
enum fh_rc zs_client_update(struct z_client *c, json_t *spec, char *err, size_t errsize);
enum fh_rc zs_link(struct z_user *u, struct z_org *o, char *err, size_t errsize);
struct z_user *zs_user(const char *id_or_email);
struct z_org *zs_org(const char *id);
struct z_client *zs_client(const char *client_id);
bool zs_user_has_org(const struct z_user *u, const struct z_org *o);
json_t *zs_user_json(const struct z_user *u);
json_t *zs_org_json(const struct z_org *o);
json_t *zs_client_json(const struct z_client *c);
int64_t zs_day_limit(const struct z_org *o);   /* by plan, or the --zoho-day-limit setting */
int64_t zs_concurrency(const struct z_org *o); /* free 5, paid 10 */

/* ---- tokens.c ---- */
struct z_grant { /* one user's consent to one client */
    struct z_user *user;
    struct z_client *client;
    char *scope;
    struct z_org *org;     /* chosen on the consent page */
    struct sb_vec refresh; /* struct z_refresh *, oldest first */
    struct sb_vec online;  /* struct z_access * without a refresh token, oldest first */
};

struct z_refresh {
    char token[Z_TOKEN];
    struct z_grant *grant;
    const struct z_dc *dc;
    int64_t created_ms, mint_start, mint_count;
    struct sb_vec access; /* struct z_access *, oldest first */
};

struct z_access {
    char token[Z_TOKEN];
    struct z_grant *grant;
    struct z_refresh *refresh; /* NULL: from an online grant code */
    const struct z_dc *dc;
    int64_t expires_ms;
};

struct z_code {
    char code[Z_TOKEN];
    struct z_grant *grant;
    const struct z_dc *dc;
    char *redirect_uri;
    bool offline; /* a refresh token comes with the access token */
    int64_t expires_ms;
};

struct z_grant *ztok_grant(struct z_user *u, struct z_client *c);      /* NULL: none */
struct z_grant *ztok_grant_make(struct z_user *u, struct z_client *c); /* finds or creates */
size_t ztok_live_refresh(const struct z_grant *g);
struct z_code *ztok_code_new(struct z_grant *g, const struct z_dc *dc, const char *redirect_uri,
                             bool offline);
struct z_refresh *ztok_refresh_new(struct z_grant *g, const struct z_dc *dc);
struct z_access *ztok_access_new(struct z_grant *g, struct z_refresh *r, const struct z_dc *dc);
void ztok_refresh_revoke(struct z_refresh *r); /* frees r and its access tokens */
void ztok_access_revoke(struct z_access *a);   /* frees a */
void ztok_grant_drop(struct z_grant *g);       /* frees g, its tokens and codes */
bool ztok_has_scope(const char *granted, const char *module, const char *op);
size_t ztok_expire_access(const char *client_id, const char *user_id);
json_t *ztok_grants_json(const char *client_id, const char *user_id);
void ztok_free_all(void);
void zconsent_free_all(void);

/* ---- model.c ---- */
enum z_inv_status { ZI_DRAFT, ZI_SENT, ZI_PARTIALLY_PAID, ZI_PAID, ZI_VOID };
const char *z_status_name(const struct z_org *o, enum z_inv_status s, const char *due_date);

struct z_contact {
    char id[Z_ID];
    struct z_org *org;
    char *name, *email, *vat_reg_no;
    int64_t created_ms, modified_ms;
};

struct z_line {
    char id[Z_ID];
    char *name, *description, *unit;
    const struct z_tax *tax;                                  /* may be NULL */
    int64_t rate, quantity, discount, item_total, tax_amount; /* ten-thousandths */
};

struct z_payment {
    char id[Z_ID];
    char *mode, *reference, date[11];
    int64_t amount, created_ms;
};

struct z_comment {
    char id[Z_ID];
    char *description, *by, *type, *operation;
    bool to_client;
    int64_t ms;
};

struct z_attachment {  /* a file attached through POST /invoices/{id}/attachment */
    char id[Z_ID];     /* document_id */
    char *file_name;   /* without a path */
    char *ctype;       /* the Content-Type of its part, as uploaded */
    char file_type[8]; /* the extension, lower case: gif, png, jpeg, jpg, bmp, pdf */
    unsigned char *data;
    size_t size;
    bool in_email; /* can_send_in_email */
};

struct z_cfval {
    const struct z_cfdef *def;
    char *value;
};

struct z_invoice {
    char id[Z_ID];
    struct z_org *org;
    char *number, *reference, *notes;
    struct z_contact *customer;
    char date[11], due_date[11];
    enum z_inv_status status;
    bool inclusive;
    char currency[4]; /* "" = the organization's */
    int64_t rate;     /* exchange_rate in ten-thousandths; 0 = 1 (the organization's currency) */
    struct z_line *lines;
    size_t nlines;
    int64_t sub_total, tax_total, total, paid, credited; /* credited: from credit notes */
    struct sb_vec payments, comments, cfvals, attachments; /* attachments in upload order */
    int64_t created_ms, modified_ms;
};

struct z_contact *zm_contact(struct z_org *o, const char *id_or_name, bool create);
struct z_invoice *zm_invoice_add(struct z_org *o, json_t *spec, char *err, size_t errsize);
enum fh_rc zm_invoice_edit(struct z_invoice *inv, json_t *spec, char *err, size_t errsize);
enum fh_rc zm_void(struct z_invoice *inv, char *err, size_t errsize);
enum fh_rc zm_send(struct z_invoice *inv, char *err, size_t errsize);
struct z_payment *zm_pay(struct z_invoice *inv, json_t *spec, char *err, size_t errsize);
struct z_comment *zm_comment(struct z_invoice *inv, const char *description, const char *by,
                             const char *type, const char *operation, bool to_client);
/* Sets custom field values: [{customfield_id | api_name, value}]; 400-style err on failure. */
enum fh_rc zm_set_cf(struct z_invoice *inv, json_t *arr, char *err, size_t errsize);
void zm_touch(struct z_invoice *inv); /* last_modified_time = now (never backwards) */
/* Attaches a copy of size bytes of data, a file called file_name (its path is dropped) with the
 * part's Content-Type ctype, after checking the extension, the size and the count against the
 * settings; NULL with a 400-style text in err. */
struct z_attachment *zm_attach(struct z_invoice *inv, const char *file_name, const char *ctype,
                               const void *data, size_t size, bool in_email, char *err,
                               size_t errsize);
const char *zm_attachment_mime(const struct z_attachment *a); /* by its extension */
void zm_size_text(int64_t bytes, char *out, size_t n);        /* "512 bytes", "1.2 KB", "10 MB" */
struct z_invoice *zm_invoice(const char *id);
struct z_tax *zm_tax_add(struct z_org *o, const char *name, int64_t percentage);
struct z_cfdef *zm_cfdef_add(struct z_org *o, const char *label, const char *api_name);
void zm_free_org(struct z_org *o); /* frees the organization and everything in it */
int64_t zm_balance(const struct z_invoice *inv);

/* What creditnotes.c shares with the invoices of model.c. */
/* Whether one more invoice or credit note may be kept (max_invoices counts both); else false
 * with "the sandbox keeps at most <max_invoices> <what>" in err. */
bool zm_room(const char *what, char *err, size_t errsize);
/* The header fields invoices and credit notes share (zm_header_fields sets them). */
struct head {
    struct z_org *org;
    struct z_contact **customer;
    char *date, *due_date; /* char[11]; due_date NULL: the record has none (credit notes) */
    char **reference, **notes;
    bool *inclusive;
    char *currency; /* char[4] */
    int64_t *rate;
    /* When set, a contact named for the first time is not made but its name left here, for the
     * caller to make once the rest of the record is valid too. */
    const char **new_customer;
};

enum fh_rc zm_header_fields(const struct head *h, json_t *spec, bool is_new, char *err,
                            size_t errsize);
/* Lines from a line_items array (400 texts in err); zm_sum_lines totals them. */
enum fh_rc zm_set_lines(const struct z_org *o, struct z_line **out, size_t *nout, json_t *arr,
                        char *err, size_t errsize);
void zm_sum_lines(struct z_line *lines, size_t n, bool inclusive, int64_t *sub, int64_t *tax,
                  int64_t *total);
void zm_free_lines(struct z_line *lines, size_t n);
/* An edit's checks before it changes anything: its line_items parsed into *lines / *n (NULL, 0
 * without them; FH_E_INPUT with err when malformed), and FH_E_CONFLICT (nothing kept, the caller
 * words err) when its total, with its is_inclusive_tax, would fall below covered. */
enum fh_rc zm_edit_lines(const struct z_org *o, json_t *spec, struct z_line *cur, size_t ncur,
                         bool inclusive, int64_t covered, struct z_line **lines, size_t *n,
                         char *err, size_t errsize);
void zm_settle(struct z_invoice *inv); /* status from payments and credits */
struct z_comment *zm_comment_push(struct sb_vec *comments, const char *description, const char *by,
                                  const char *type, const char *operation, bool to_client);
void zm_comment_free(struct z_comment *c);

/* Credit notes: draft, open (a balance left), closed (balance 0), void. Their credits applied
 * to invoices of the same organization lower both balances (the invoice's like a payment). */
enum z_cn_status { ZC_DRAFT, ZC_OPEN, ZC_CLOSED, ZC_VOID };
const char *z_cn_status_name(enum z_cn_status s);

struct z_credit {  /* a credit note's credit applied to an invoice */
    char id[Z_ID]; /* creditnote_invoice_id */
    struct z_invoice *invoice;
    char date[11];
    int64_t amount;
};

struct z_creditnote {
    char id[Z_ID];
    struct z_org *org;
    char *number, *reference, *notes;
    struct z_contact *customer;
    struct z_invoice *invoice; /* the invoice it was created from; NULL: none */
    char date[11];
    enum z_cn_status status;
    bool inclusive;
    char currency[4]; /* "" = the organization's */
    int64_t rate;     /* exchange_rate as for invoices */
    struct z_line *lines;
    size_t nlines;
    int64_t sub_total, tax_total, total, applied; /* applied: the credits' sum */
    struct sb_vec credits, comments;              /* oldest first */
    int64_t created_ms, modified_ms;
};

/* NULL with *rc FH_E_INPUT (400) or FH_E_CONFLICT (409) and err on failure. The credits of
 * invoice_id and invoices[] are applied at once (all or nothing). */
struct z_creditnote *zm_cn_add(struct z_org *o, json_t *spec, enum fh_rc *rc, char *err,
                               size_t errsize);
enum fh_rc zm_cn_edit(struct z_creditnote *cn, json_t *spec, char *err, size_t errsize);
/* Applies [{invoice_id, amount_applied}], all or nothing; the new credits are appended to
 * cn->credits. */
enum fh_rc zm_cn_apply(struct z_creditnote *cn, json_t *items, char *err, size_t errsize);
/* Deletes the credit credit_id (a creditnote_invoice_id of cn): both balances go back up, the
 * invoice's status and the credit note's are settled again, both are touched; *inv is the
 * invoice it credited. FH_E_NOTFOUND with err when cn has no such credit. */
enum fh_rc zm_cn_unapply(struct z_creditnote *cn, const char *credit_id, struct z_invoice **inv,
                         char *err, size_t errsize);
enum fh_rc zm_cn_open(struct z_creditnote *cn, char *err, size_t errsize);
enum fh_rc zm_cn_void(struct z_creditnote *cn, char *err, size_t errsize);
struct z_comment *zm_cn_comment(struct z_creditnote *cn, const char *description, const char *by,
                                const char *type, const char *operation, bool to_client);
void zm_cn_touch(struct z_creditnote *cn);
struct z_creditnote *zm_creditnote(const char *id);
int64_t zm_cn_balance(const struct z_creditnote *cn);
void zm_cn_free(struct z_creditnote *cn);

/* ---- render.c ---- */
json_t *zr_invoice(const struct z_invoice *inv, bool detail);
json_t *zr_org(const struct z_org *o, bool is_default);
json_t *zr_contact(const struct z_contact *c);
json_t *zr_tax(const struct z_tax *t);
json_t *zr_comment(const struct z_invoice *inv, const struct z_comment *c);
json_t *zr_payment(const struct z_invoice *inv, const struct z_payment *p);
json_t *zr_cfvals(const struct z_invoice *inv);
json_t *zr_documents(const struct z_invoice *inv); /* the attachments, in upload order */
json_t *zr_creditnote(const struct z_creditnote *cn, bool detail);
json_t *zr_cn_comment(const struct z_creditnote *cn, const struct z_comment *c);
json_t *zr_credit(const struct z_creditnote *cn, const struct z_credit *k); /* invoices_credited */

/* ---- webhooks.c ---- */
enum z_event { ZE_CREATE, ZE_EDIT };
/* Queues the organization's webhook for inv when its rule covers the event; caller holds
 * zs.lock (the payload is rendered here). */
void zwh_fire(struct z_invoice *inv, enum z_event ev);
void zwh_fire_cn(struct z_creditnote *cn, enum z_event ev); /* the rule on credit notes */
/* The events of a credit of cn deleted from inv (through either API): the credit note's edit,
 * then the invoice's as for a payment (payment_fires_edit). */
void zwh_fire_credit_deleted(struct z_creditnote *cn, struct z_invoice *inv);
enum fh_rc zwh_configure(struct z_org *o, json_t *spec, char *err, size_t errsize);
json_t *zwh_org_json(const struct z_org *o); /* configuration, counters and the last deliveries */
size_t zwh_replay(const char *org_id);       /* failed deliveries queued again */
void zwh_settings(const struct z_settings *s);
enum fh_rc zwh_start(void);
void zwh_stop(void);
void zwh_reset(void);
/* The signature of a delivery: hex HMAC-SHA256(secret, sorted query pairs + body). */
char *zwh_sign(const char *secret, const char *url, const char *body, bool upper);

/* ---- handlers (route table in zoho.c) ---- */
enum fh_rc zh_auth_get(struct fh_req *req);
enum fh_rc zh_login_post(struct fh_req *req);
enum fh_rc zh_consent_get(struct fh_req *req);
enum fh_rc zh_consent_post(struct fh_req *req);
enum fh_rc zh_css_get(struct fh_req *req);
enum fh_rc zh_token_post(struct fh_req *req);
enum fh_rc zh_revoke_post(struct fh_req *req);
enum fh_rc zh_revoke2_post(struct fh_req *req);
enum fh_rc zh_serverinfo_get(struct fh_req *req);
enum fh_rc zh_books(struct fh_req *req);
enum fh_rc zh_books_upload(struct fh_req *req); /* POST /invoices/{id}/attachment */
/* DELETE /creditnotes/{id}/invoices/{creditnote_invoice_id} (four segments) */
enum fh_rc zh_books_cn_credit_delete(struct fh_req *req);

/* books.c / books_inv.c: the Books endpoints behind zh_books. */
struct books_ctx {
    struct fh_req *req;
    struct z_user *user;
    struct z_org *org; /* NULL for /organizations */
    const char *seg[4];
    size_t nseg;
    const char *hdrs[8]; /* X-Rate-Limit-*: name, value, ..., NULL */
    char hv[3][24];
};
enum fh_rc zbk_reply(struct books_ctx *c, unsigned int status, json_t *j); /* takes j */
enum fh_rc zbk_error(struct books_ctx *c, unsigned int status, int code, const char *msg);
enum fh_rc zbk_invoices_get(struct books_ctx *c);
enum fh_rc zbk_invoice_get(struct books_ctx *c);
enum fh_rc zbk_payments_get(struct books_ctx *c);
enum fh_rc zbk_comments_get(struct books_ctx *c);
enum fh_rc zbk_comments_post(struct books_ctx *c);
enum fh_rc zbk_customfields_put(struct books_ctx *c);
enum fh_rc zbk_attachment_post(struct books_ctx *c);
enum fh_rc zbk_attachment_get(struct books_ctx *c);
enum fh_rc zbk_orgs_get(struct books_ctx *c);
enum fh_rc zbk_org_get(struct books_ctx *c);
enum fh_rc zbk_contact_get(struct books_ctx *c);
enum fh_rc zbk_taxes_get(struct books_ctx *c);
enum fh_rc zbk_creditnotes_get(struct books_ctx *c);
enum fh_rc zbk_creditnote_get(struct books_ctx *c);
enum fh_rc zbk_cn_invoices_get(struct books_ctx *c);
enum fh_rc zbk_cn_comments_post(struct books_ctx *c);
enum fh_rc zbk_cn_credit_delete(struct books_ctx *c);

/* control.c / control_inv.c */
enum fh_rc zc_info_get(struct fh_req *req);
enum fh_rc zc_settings_put(struct fh_req *req);
enum fh_rc zc_reset_post(struct fh_req *req);
enum fh_rc zc_users_post(struct fh_req *req);
enum fh_rc zc_users_get(struct fh_req *req);
enum fh_rc zc_orgs_post(struct fh_req *req);
enum fh_rc zc_orgs_get(struct fh_req *req);
enum fh_rc zc_org_put(struct fh_req *req);
enum fh_rc zc_org_hold_post(struct fh_req *req);
enum fh_rc zc_org_webhook_get(struct fh_req *req);
enum fh_rc zc_org_webhook_put(struct fh_req *req);
enum fh_rc zc_org_webhook_replay_post(struct fh_req *req);
enum fh_rc zc_org_customfields_post(struct fh_req *req);
enum fh_rc zc_clients_post(struct fh_req *req);
enum fh_rc zc_client_get(struct fh_req *req);
enum fh_rc zc_client_put(struct fh_req *req);
enum fh_rc zc_tokens_get(struct fh_req *req);
enum fh_rc zc_tokens_revoke_post(struct fh_req *req);
enum fh_rc zc_tokens_expire_post(struct fh_req *req);
enum fh_rc zc_stats_get(struct fh_req *req);
enum fh_rc zc_stats_reset_post(struct fh_req *req);
enum fh_rc zc_faults_get(struct fh_req *req);
enum fh_rc zc_faults_put(struct fh_req *req);
enum fh_rc zc_webhooks_get(struct fh_req *req);
enum fh_rc zc_invoices_post(struct fh_req *req);
enum fh_rc zc_invoices_bulk_post(struct fh_req *req);
enum fh_rc zc_invoice_get(struct fh_req *req);
enum fh_rc zc_invoice_put(struct fh_req *req);
enum fh_rc zc_invoice_action_post(struct fh_req *req);
enum fh_rc zc_invoice_comments_get(struct fh_req *req);
enum fh_rc zc_creditnotes_post(struct fh_req *req);
enum fh_rc zc_creditnote_get(struct fh_req *req);
enum fh_rc zc_creditnote_put(struct fh_req *req);
enum fh_rc zc_creditnote_action_post(struct fh_req *req);
enum fh_rc zc_creditnote_credit_delete(struct fh_req *req);
enum fh_rc zc_creditnote_comments_get(struct fh_req *req);

#endif
