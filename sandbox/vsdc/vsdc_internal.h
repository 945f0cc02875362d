/* vsdc_internal.h - the pieces of the V-SDC emulator shared between its files: tax groups and
 * arithmetic (tax.c), the parsed invoice request (request.c), the verification blob and URL
 * (verify_url.c), the journal (journal.c), the QR GIF (qr_gif.c), the sandbox PKI (pki.c,
 * certs.c), the taxpayer registry (registry.c), the in-memory invoice store and fault injection
 * (store.c, faults.c), the V-SDC HTTPS API (api.c over tls_server.c) and the control API
 * (control.c). See docs/internals/vsdc-sandbox.md. */
#ifndef FH_VSDC_INTERNAL_H
#define FH_VSDC_INTERNAL_H

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>

#include "fh/fh_common.h"
#include "vsdc.h"

#define VSDC_UID_LEN 8
#define VSDC_LABEL_MAX 8      /* one Unicode character: at most 4 UTF-8 bytes + NUL */
#define VSDC_MAX_TAX_ITEMS 64 /* distinct labels of one invoice */
#define VSDC_BUYER_ID_MAX 20
#define VSDC_REQUEST_ID_MAX 32
#define VSDC_RSA_BYTES 256

/* ---- tax groups and arithmetic (tax.c) ---- */
enum vsdc_cat_type { VSDC_TAX_ON_NET = 0, VSDC_TAX_ON_TOTAL = 1, VSDC_AMOUNT_PER_QUANTITY = 2 };

struct vsdc_tax_rate {
    char label[VSDC_LABEL_MAX];
    int64_t rate; /* ten-thousandths: percent for 0/1, money per unit for 2 */
};

struct vsdc_tax_category {
    char name[64];
    int type; /* enum vsdc_cat_type */
    int order_id;
    size_t nrates;
    struct vsdc_tax_rate rates[16];
};

struct vsdc_tax_group {
    int group_id;
    int64_t valid_from_ms;
    size_t ncats;
    struct vsdc_tax_category cats[16];
};

struct vsdc_tax_groups {
    size_t n;
    struct vsdc_tax_group *groups; /* owned */
};

struct vsdc_item {
    char *name;                          /* owned (request.c) */
    char *gtin;                          /* owned, may be NULL */
    int64_t quantity, unit_price, total; /* ten-thousandths */
    size_t nlabels;
    char labels[16][VSDC_LABEL_MAX];
};

struct vsdc_tax_item {
    char label[VSDC_LABEL_MAX];
    int cat_type;
    int64_t rate;
    int64_t amount;
    char cat_name[64];
};

/* A JSON number or numeric string as ten-thousandths (rounded half away from zero). */
bool vsdc_json_decimal(const json_t *v, int64_t *out);
json_t *vsdc_json_money(int64_t v);
/* a * b / c rounded half away from zero (c > 0). */
int64_t vsdc_muldiv_round(int64_t a, int64_t b, int64_t c);
/* The built-in groups: Serbian sandbox group 5 (current) and the older groups 1 and 2. */
void vsdc_tax_groups_default(struct vsdc_tax_groups *g);
void vsdc_tax_groups_free(struct vsdc_tax_groups *g);
/* Parses a JSON array of TaxRateGroup objects (the /status shape); err gets a message. */
enum fh_rc vsdc_tax_groups_from_json(json_t *arr, struct vsdc_tax_groups *g, char *err,
                                     size_t errsize);
json_t *vsdc_tax_group_json(const struct vsdc_tax_group *g);
/* The group in force at ms: latest valid_from <= ms, ties to the highest groupId; NULL if none. */
const struct vsdc_tax_group *vsdc_tax_group_at(const struct vsdc_tax_groups *g, int64_t ms);
/* Computes taxItems (spec §8) sorted by label. FH_E_NOTFOUND when an item has a label the
 * group does not define (*bad_item = its index); FH_E_LIMIT when out has no room. */
enum fh_rc vsdc_tax_compute(const struct vsdc_tax_group *g, const struct vsdc_item *items, size_t n,
                            struct vsdc_tax_item *out, size_t cap, size_t *nout, size_t *bad_item);

/* ---- the invoice request (request.c) ---- */
enum vsdc_invoice_type { VSDC_NORMAL, VSDC_PROFORMA, VSDC_COPY, VSDC_TRAINING, VSDC_ADVANCE };
enum vsdc_tx_type { VSDC_SALE, VSDC_REFUND };

struct vsdc_payment {
    int64_t amount;
    int type; /* 0 Other .. 6 MobileMoney */
};

struct vsdc_invoice_req {
    bool has_date_issue, has_ref_dt;
    int64_t date_issue_ms, ref_dt_ms;
    char *cashier, *buyer_id, *buyer_cost_center, *invoice_number, *ref_number; /* owned or NULL */
    int invoice_type, transaction_type;
    size_t npayments, nitems;
    struct vsdc_payment *payments; /* owned */
    struct vsdc_item *items;       /* owned */
    bool omit_qr, omit_journal;
};

struct vsdc_model_error {
    char property[64];
    char code[8];
};

struct vsdc_errors {
    size_t n;
    struct vsdc_model_error e[32];
};

struct vsdc_limits {
    size_t max_items, max_labels;
    bool strict_amounts;
};

void vsdc_errors_add(struct vsdc_errors *errs, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Validates and converts the body (spec §4, §7.3). Returns FH_OK or FH_E_INPUT with errs
 * filled; out must be released with vsdc_request_free in both cases. */
enum fh_rc vsdc_request_parse(json_t *root, const struct vsdc_limits *lim,
                              struct vsdc_invoice_req *out, struct vsdc_errors *errs);
void vsdc_request_free(struct vsdc_invoice_req *r);
/* ISO-8601 date-time (offset optional: UTC) to Unix ms. */
bool vsdc_parse_datetime(const char *s, int64_t *ms);
/* The 400 body {"message":"Bad Request","modelState":[...]}. */
json_t *vsdc_errors_json(const struct vsdc_errors *errs);

/* ---- verification blob and URL (verify_url.c) ---- */
struct vsdc_blob {
    uint8_t version;
    char requested_by[VSDC_UID_LEN + 1], signed_by[VSDC_UID_LEN + 1];
    uint32_t total_counter, ttc;
    uint64_t total_amount; /* ten-thousandths */
    uint64_t sdc_ms;       /* Unix ms UTC */
    uint8_t invoice_type, transaction_type;
    size_t buyer_id_len;
    char buyer_id[VSDC_BUYER_ID_MAX + 1];
    uint8_t internal[VSDC_RSA_BYTES], signature[VSDC_RSA_BYTES];
};

#define VSDC_BLOB_MAX (44 + VSDC_BUYER_ID_MAX + 2 * VSDC_RSA_BYTES + 16)

/* Bytes that the signature covers: offsets [0, 300 + n) of the blob. */
size_t vsdc_blob_signed_part(const struct vsdc_blob *b, uint8_t *out, size_t cap);
/* The whole blob with its trailing MD5; returns its length (0 if cap is too small). */
size_t vsdc_blob_encode(const struct vsdc_blob *b, uint8_t *out, size_t cap);
/* Parses a blob; FH_E_INPUT when malformed or the MD5 does not match. */
enum fh_rc vsdc_blob_decode(const uint8_t *in, size_t len, struct vsdc_blob *b);
/* root + URL-encode(base64(blob)); caller frees. */
char *vsdc_verify_url(const char *root, const uint8_t *blob, size_t len);
/* Decodes the vl value (URL-encoded or already decoded) into blob bytes (caller frees). */
enum fh_rc vsdc_verify_param_decode(const char *vl, uint8_t **blob, size_t *len);
/* Plain base64 helpers (no line breaks); caller frees. */
char *vsdc_base64(const uint8_t *data, size_t len);
enum fh_rc vsdc_unbase64(const char *text, uint8_t **out, size_t *len);

/* ---- journal (journal.c) ---- */
enum vsdc_lang { VSDC_LANG_EN, VSDC_LANG_SR };

struct vsdc_taxpayer {
    char uid[VSDC_UID_LEN + 1];
    char pac[8];
    char name[128], tin[32], location[128], address[128], district[128];
    bool revoked;
    int64_t issued_ms, not_after_ms;
};

struct vsdc_journal_in {
    enum vsdc_lang lang;
    const struct vsdc_taxpayer *tp;
    const struct vsdc_invoice_req *req;
    const struct vsdc_tax_item *tax;
    size_t ntax;
    int64_t total_amount;
    int64_t sdc_ms;
    const char *invoice_number;  /* fiscal: requestedBy-signedBy-counter */
    const char *invoice_counter; /* "ttc/total" + extension */
};

#define VSDC_JOURNAL_WIDTH 40
/* Builds the 40-column CRLF receipt (spec §9.1); caller frees. */
char *vsdc_journal_build(const struct vsdc_journal_in *in);
/* invoiceCounter: "{transactionTypeCounter}/{totalCounter}{extension}", e.g. "6/16NS". */
void vsdc_invoice_counter(char *out, size_t outsize, uint32_t ttc, uint32_t total, const char *ext);
/* Extension code for the counter: NS, NR, CS, ... (sr: ПП, ПР, ...). */
const char *vsdc_counter_extension(enum vsdc_lang lang, int invoice_type, int transaction_type);
/* "YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM" in the process time zone. */
void vsdc_format_sdc_time(int64_t us, char *out, size_t outsize);
/* Number of code points of a UTF-8 string. */
size_t vsdc_utf8_len(const char *s);

/* ---- QR as GIF (qr_gif.c) ---- */
/* Writes a 2-colour GIF89a of pixels (w*h bytes, 0 = white, 1 = black). */
enum fh_rc vsdc_gif_write(const uint8_t *pixels, int w, int h, struct fh_buf *out);
/* Base64 GIF of the QR code of text (caller frees); NULL if encoding failed. */
char *vsdc_qr_gif_base64(const char *text);
#define VSDC_QR_MODULE_PX 4
#define VSDC_QR_QUIET 4

/* ---- sandbox PKI (pki.c) and certificates (certs.c) ---- */
struct vsdc_pki {
    EVP_PKEY *ca_key, *ica_key, *server_key, *signer_key;
    X509 *ca, *ica, *server, *signer;
    char signer_uid[VSDC_UID_LEN + 1];
    char dir[512]; /* <data dir>/vsdc */
};

/* Loads <dir>/{ca,ica,server,signer}.{pem,key}, creating what is missing (under the lock). */
enum fh_rc vsdc_pki_load_or_create(const char *dir, struct vsdc_pki *pki);
void vsdc_pki_free(struct vsdc_pki *pki);
/* Loads the root and ICA of "another environment" from dir (<data dir>/vsdc: foreign-ca,
 * foreign-ica), creating them under the lock when missing; only dir, ca, ca_key, ica and ica_key
 * of *f are set (vsdc_pki_free frees them). */
enum fh_rc vsdc_pki_foreign_load_or_create(const char *dir, struct vsdc_pki *f);
EVP_PKEY *vsdc_rsa_generate(void);
/* A certificate for pub signed by issuer (NULL: self-signed with key). not_before/after in
 * seconds relative to now. subject is taken over (freed by the callee). */
X509 *vsdc_cert_make(X509_NAME *subject, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *issuer_key,
                     int64_t not_before_s, int64_t not_after_s, bool is_ca);
enum fh_rc vsdc_cert_add_ext(X509 *cert, X509 *issuer, int nid, const char *value);
/* Exclusive lock on <dir>/.lock (fd returned; close it to unlock). */
int vsdc_dir_lock(const char *dir);
enum fh_rc vsdc_write_file(const char *path, const void *data, size_t len, int mode);
char *vsdc_read_file(const char *path, size_t max, size_t *len);
/* Random string of n characters from [A-Z0-9] (UIDs, PACs, PFX passwords). */
void vsdc_random_code(char *out, size_t n);
bool vsdc_uid_valid(const char *uid);

struct vsdc_issued {
    char uid[VSDC_UID_LEN + 1];
    char pac[8];
    char password[16];
    uint8_t *pfx; /* owned */
    size_t pfx_len;
};
/* Issues a client certificate, records it in the registry, returns the PFX (certs.c); a
 * foreign one (o->foreign) is issued by the other environment's CA and not recorded. */
enum fh_rc vsdc_issue(const struct vsdc_pki *pki, const struct fh_vsdc_issue_opts *o,
                      struct vsdc_issued *out, char *err, size_t errsize);
void vsdc_issued_free(struct vsdc_issued *is);
/* Unloads OpenSSL's legacy provider if a legacy PFX loaded it (at exit). */
void vsdc_legacy_unload(void);
/* The caller's UID from a client certificate's SERIALNUMBER; false if absent or malformed. */
bool vsdc_cert_uid(X509 *cert, char uid[VSDC_UID_LEN + 1]);

/* ---- registry of issued certificates (registry.c) ---- */
/* Adds a taxpayer; FH_E_CONFLICT when the UID is taken. dir is <data dir>/vsdc. */
enum fh_rc vsdc_registry_add(const char *dir, const struct vsdc_taxpayer *tp);
enum fh_rc vsdc_registry_set_revoked(const char *dir, const char *uid, bool revoked);
/* Looks a UID up, re-reading the file when it changed; FH_E_NOTFOUND when unknown. */
enum fh_rc vsdc_registry_find(const char *dir, const char *uid, struct vsdc_taxpayer *out);
/* All taxpayers without their PACs (for the control API). */
json_t *vsdc_registry_list(const char *dir);
void vsdc_registry_cache_free(void);

/* ---- emulator state (state.c) ---- */
struct vsdc_settings {
    struct fh_vsdc_opts o;
    char vsdc_url[256], verify_root[512];
    enum vsdc_lang default_lang;
    struct vsdc_limits lim;
};

/* The running emulator: settings, PKI, tax groups (the lock guards the groups). */
struct vsdc_ctx {
    struct vsdc_settings set;
    struct vsdc_pki pki;
    pthread_rwlock_t groups_lock;
    struct vsdc_tax_groups groups;
};
extern struct vsdc_ctx vsdc_ctx;

/* ---- invoice store, stats (store.c) and faults (faults.c) ---- */
struct vsdc_invoice {
    char uid[VSDC_UID_LEN + 1];
    char request_id[VSDC_REQUEST_ID_MAX + 1]; /* "" when none was sent */
    char invoice_number[48];                  /* fiscal number */
    char *pos_number;                         /* the POS's own invoiceNumber, may be NULL */
    int invoice_type, transaction_type;
    uint32_t total_counter;
    int64_t sdc_ms, total_amount;
    char *result_json;  /* the exact InvoiceResult body */
    char *request_json; /* the request as received */
};

struct vsdc_counters {
    uint32_t total;
    uint32_t by_type[5][2];           /* [invoiceType][transactionType] */
    int64_t sale_total, refund_total; /* Normal invoices only, for encryptedInternalData */
};

void vsdc_store_init(void);
void vsdc_store_free(void);
/* Clears invoices, counters, stats and faults. */
void vsdc_store_reset(void);
/* Serializes creations of one UID and blocks reset meanwhile; returns a token for leave. */
void *vsdc_store_enter(const char *uid);
void vsdc_store_leave(void *token);
/* The counters of the UID entered with token (valid until leave). */
struct vsdc_counters *vsdc_store_counters(void *token);
/* Copies the stored result of (uid, request_id) into *json (caller frees); FH_E_NOTFOUND. */
enum fh_rc vsdc_store_find(const char *uid, const char *request_id, char **json);
/* Takes ownership of inv (allocated by the caller with fh_malloc). */
void vsdc_store_add(struct vsdc_invoice *inv);
void vsdc_store_count_post(const char *uid, const char *request_id);
/* Bumps a named statistic. */
void vsdc_stat_inc(const char *name);
/* Counts a completed TLS handshake of uid (resumed: an abbreviated one, session reused). */
void vsdc_store_count_handshake(const char *uid, bool resumed);
json_t *vsdc_store_stats_json(void);
json_t *vsdc_store_list_json(const char *uid, size_t offset, size_t limit);
/* The stored invoice by fiscal number as {request, result} (NULL if unknown). */
json_t *vsdc_store_get_json(const char *invoice_number);
/* The stored result text and request text by (requestedBy, totalCounter); caller frees. */
enum fh_rc vsdc_store_find_by_counter(const char *uid, uint32_t total_counter, char **result,
                                      char **request);

enum vsdc_fault {
    VSDC_FAULT_NONE,
    VSDC_FAULT_5XX,
    VSDC_FAULT_TIMEOUT,
    VSDC_FAULT_RESET,
    VSDC_FAULT_LOST,
    VSDC_FAULT_CUT
};
struct vsdc_fault_decision {
    enum vsdc_fault kind;
    int status;         /* 5xx */
    int64_t hold_ms;    /* timeout */
    int64_t latency_ms; /* every POST waits this long before it is handled */
};
/* Draws the fault for a request of certificate uid (post: POST /api/v3/invoices; else GET); the
 * queue `next` applies only to the POSTs of the certificate it is scoped to, if any. */
void vsdc_faults_draw(const char *uid, bool post, struct vsdc_fault_decision *d);
/* Replaces the configuration; FH_E_INPUT with err filled when invalid. */
enum fh_rc vsdc_faults_set(json_t *cfg, char *err, size_t errsize);
json_t *vsdc_faults_json(void);
void vsdc_faults_reset(void);
/* True when a failed handshake's connection is closed at once, without draining it. */
bool vsdc_faults_abrupt_refusal(void);
const char *vsdc_fault_name(enum vsdc_fault f);

/* ---- the V-SDC HTTPS API (api.c) over the TLS server (tls_server.c, http1.c) ---- */
#define VSDC_MAX_HEADERS 64

struct vsdc_http_req {
    char method[16];
    char path[1024]; /* without the query */
    char *head;      /* owned copy of the header block */
    size_t nheaders;
    const char *hname[VSDC_MAX_HEADERS], *hvalue[VSDC_MAX_HEADERS];
    char *body; /* owned, NUL-terminated */
    size_t body_len;
    bool keep_alive;
    bool expect_continue;
    char uid[VSDC_UID_LEN + 1]; /* the caller, from the client certificate */
};

enum vsdc_action { VSDC_SEND, VSDC_HOLD_CLOSE, VSDC_RESET, VSDC_DROP };

struct vsdc_http_resp {
    int status;
    const char *content_type;
    char *body; /* owned */
    size_t body_len;
    enum vsdc_action action;
    int64_t hold_ms;
    bool close;
};

const char *vsdc_http_header(const struct vsdc_http_req *rq, const char *name);
void vsdc_api_handle(const struct vsdc_http_req *rq, struct vsdc_http_resp *rs);
void vsdc_resp_set(struct vsdc_http_resp *rs, int status, const char *ctype, char *body);
/* JSON text with 4-decimal reals printed exactly (caller frees). */
char *vsdc_json_text(const json_t *j);

struct vsdc_tls_server;
enum fh_rc vsdc_tls_start(const struct vsdc_pki *pki, const char *addr, uint16_t port,
                          struct vsdc_tls_server **out);
uint16_t vsdc_tls_port(const struct vsdc_tls_server *s);
void vsdc_tls_stop(struct vsdc_tls_server *s);

/* ---- the invoice pipeline (invoice.c) ---- */
/* Signs a validated request for tp and stores it; returns the InvoiceResult text (caller
 * frees), or the stored one when request_id was signed before (*stored set), or NULL with errs
 * filled (2310) or, when errs is empty, a server failure. */
char *vsdc_invoice_create(const struct vsdc_taxpayer *tp, const struct vsdc_invoice_req *req,
                          const char *request_id, const char *request_text, enum vsdc_lang lang,
                          struct vsdc_errors *errs, bool *stored);

#endif
