/* fh_fiscal.h - fiscalization: the canonical invoice, submitting it, and the durable job that
 * signs it at the TaxCore V-SDC exactly once.
 *
 * Every source (the REST API now, connectors later) maps its document into one canonical invoice
 * (struct fh_fiscal_invoice; JSON shape in docs/api/fiscal-invoices.md): integer money in
 * ten-thousandths, enum names in snake_case, amounts as decimal strings. fh_fiscal_submit()
 * validates it, checks the certificate, and in one transaction stores a `fiscal_invoices` row and
 * enqueues its "fiscal.submit" job; the job handler (fh_fiscal_job_handler) talks to the V-SDC.
 * The exactly-once protocol is described in docs/internals/fiscal.md and at the top of
 * src/fiscal/engine.c. */
#ifndef FH_FISCAL_H
#define FH_FISCAL_H

#include <jansson.h>

#include "fh/fh_http.h"
#include "fh/fh_jobs.h"
#include "fh/fh_json.h"
#include "fh/fh_money.h"

/* Amounts are below 100 billion (in ten-thousandths): sums stay far from INT64_MAX. */
#define FH_FISCAL_AMOUNT_MAX (100000000000LL * FH_MONEY_SCALE)
#define FH_FISCAL_JOB_KIND "fiscal.submit"
/* The longest gap between two attempts of one invoice (FISCALHUB_JOB_BACKOFF_MAX_MS when
 * shorter): once the V-SDC is back, waiting invoices go within this time. */
#define FH_FISCAL_BACKOFF_MAX_MS (5LL * 60 * 1000)
#define FH_FISCAL_REQUEST_ID_LEN 32 /* hex characters of a RequestId */
#define FH_FISCAL_MAX_ITEMS 1000
#define FH_FISCAL_MAX_LABELS 16 /* per item */
#define FH_FISCAL_MAX_PAYMENTS 50
#define FH_FISCAL_SOURCE_ID_MAX 128

/* The values are the V-SDC's integers (spec §4). */
enum fh_invoice_type {
    FH_INVOICE_NORMAL = 0,
    FH_INVOICE_PROFORMA = 1,
    FH_INVOICE_COPY = 2,
    FH_INVOICE_TRAINING = 3,
    FH_INVOICE_ADVANCE = 4,
};
enum fh_transaction_type { FH_TRANSACTION_SALE = 0, FH_TRANSACTION_REFUND = 1 };
enum fh_payment_method {
    FH_PAYMENT_OTHER = 0,
    FH_PAYMENT_CASH = 1,
    FH_PAYMENT_CARD = 2,
    FH_PAYMENT_CHECK = 3,
    FH_PAYMENT_WIRE_TRANSFER = 4,
    FH_PAYMENT_VOUCHER = 5,
    FH_PAYMENT_MOBILE_MONEY = 6,
};

struct fh_fiscal_payment {
    enum fh_payment_method method;
    int64_t amount; /* ten-thousandths, >= 0 */
};

struct fh_fiscal_item {
    char *gtin; /* NULL when absent; 8..14 digits */
    char *name;
    int64_t quantity;   /* ten-thousandths, > 0, at most 3 decimals */
    int64_t unit_price; /* ten-thousandths, >= 0, tax included */
    int64_t total;      /* ten-thousandths, >= 0, tax included */
    size_t nlabels;
    char labels[FH_FISCAL_MAX_LABELS][8]; /* one Unicode character each, UTF-8 */
};

/* Strings are owned (NULL when absent); free with fh_fiscal_invoice_free. */
struct fh_fiscal_invoice {
    enum fh_invoice_type invoice_type;
    enum fh_transaction_type transaction_type;
    char *referent_document_number;
    char *referent_document_time; /* RFC 3339 date-time, as given */
    char *cashier;
    char *buyer_id;
    char *buyer_cost_center_id;
    char *pos_invoice_number; /* the source document number, sent as invoiceNumber */
    size_t npayments;
    struct fh_fiscal_payment *payments;
    size_t nitems;
    struct fh_fiscal_item *items;
};

void fh_fiscal_invoice_free(struct fh_fiscal_invoice *inv);

/* Parses and validates a canonical invoice object. On FH_E_INPUT err->detail names the field
 * ("items[2].labels ...") and err->ec is a 1xxx code (shape) or FH_EC_FISCAL_INVOICE_RULE. */
enum fh_rc fh_fiscal_invoice_parse(json_t *obj, struct fh_fiscal_invoice *out,
                                   struct fh_json_error *err);
/* The normalized canonical JSON of inv (amounts re-formatted, absent fields omitted); new
 * reference. Parsing it again yields the same invoice. */
json_t *fh_fiscal_invoice_json(const struct fh_fiscal_invoice *inv);
/* Sum of the item totals (what the V-SDC reports as totalAmount). */
int64_t fh_fiscal_invoice_total(const struct fh_fiscal_invoice *inv);
/* Takes off sale what the refunds that reference it refunded (refund_rest.c): items by quantity
 * where a refund names the same item, other amounts from the items with the same tax labels; the
 * payments cut to the new total. False when nothing is left to refund. */
/* Takes off sale (fh_fiscal_refund_rest) the refunds stored for org that reference its V-SDC
 * number: all of them but the one under except_key (NULL: none); with counted only those that
 * count against the sale (not failed, or failed with an outcome the V-SDC may still hold).
 * named (NULL: not wanted): a copy of the sale whose items lose only the quantities the refunds
 * named them by (fh_fiscal_refund_fits). *nrefunds: how many; *left_some: false when nothing is
 * left. FH_ERR when a stored invoice does not parse (sale is then as it was), store errors. */
enum fh_rc fh_fiscal_take_off_refunds(struct fh_store *st, int64_t org_id, const char *number,
                                      const char *except_key, bool counted,
                                      struct fh_fiscal_invoice *sale,
                                      struct fh_fiscal_invoice *named, size_t *nrefunds,
                                      bool *left_some);
/* A signed sale and what its refunds left of it (fh_fiscal_refund_left). */
struct fh_fiscal_sale_left {
    struct fh_fiscal_invoice left;  /* the sale less its refunds; no items: nothing left */
    struct fh_fiscal_invoice named; /* the sale less the quantities refunds named its items by */
    char number[128];               /* its V-SDC number */
};
void fh_fiscal_sale_left_free(struct fh_fiscal_sale_left *s);
/* What is left of the signed sale id of org once its refunds that count are taken off
 * (fh_fiscal_take_off_refunds; except_key: a refund not to take off, NULL: none). lock:
 * PostgreSQL locks the sale's row (FOR UPDATE), so refunds of one sale are checked one at a time.
 * FH_E_NOTFOUND: no such signed sale. Free *out with fh_fiscal_sale_left_free. */
enum fh_rc fh_fiscal_refund_left(struct fh_store *st, int64_t org_id, int64_t id,
                                 const char *except_key, bool lock,
                                 struct fh_fiscal_sale_left *out);
/* Whether refund fits in what is left of a sale: no item it names by the sale's name, GTIN,
 * unit price and labels beyond the quantity left of it, and taking it off s->left takes off
 * exactly its total (per tax label, as fh_fiscal_refund_rest takes amounts). Else false with
 * why, for people, naming the item or the amounts. */
bool fh_fiscal_refund_fits(const struct fh_fiscal_sale_left *s,
                           const struct fh_fiscal_invoice *refund, char *why, size_t whysize);
bool fh_fiscal_refund_rest(struct fh_fiscal_invoice *sale, const struct fh_fiscal_invoice *refunds,
                           size_t nrefunds);
/* True for the types the V-SDC prints as a fiscal receipt (normal, advance). */
bool fh_fiscal_invoice_is_fiscal(const struct fh_fiscal_invoice *inv);
/* The body of POST /api/v3/invoices (spec §4): camelCase names, enum names, amounts as JSON
 * numbers written from the integers exactly. Caller frees. */
char *fh_fiscal_vsdc_request(const struct fh_fiscal_invoice *inv);
/* Exact JSON number text of v ten-thousandths: "100.87", "1", "0.0001", "-3.5". */
void fh_fiscal_decimal(int64_t v, char *out, size_t outsize);
/* The same as a JSON string, as every view shows amounts (new reference). */
json_t *fh_fiscal_decimal_json(int64_t v);
/* The same of a store cell of ten-thousandths; null for a NULL cell. */
struct fh_rows;
json_t *fh_fiscal_decimal_cell(const struct fh_rows *r, size_t row, size_t col);
/* A V-SDC amount (a JSON number with at most 4 decimals, parsed as a double) as an exact
 * decimal string; null when v is not a number (new reference). */
json_t *fh_fiscal_vsdc_amount_json(json_t *v);
/* The same into ten-thousandths; false when v is not a number below FH_FISCAL_AMOUNT_MAX. */
bool fh_fiscal_vsdc_amount(json_t *v, int64_t *out);
/* Sets on dst what both views show of the V-SDC's answer r (NULL: nulls and no tax items):
 * invoice_counter, total_counter, transaction_type_counter, requested_by, signed_by, journal,
 * messages and tax_items (label, category_name, category_type, rate, amount). */
void fh_fiscal_result_fields(json_t *dst, json_t *r);

const char *fh_invoice_type_name(enum fh_invoice_type t);         /* "normal" ... */
const char *fh_transaction_type_name(enum fh_transaction_type t); /* "sale" | "refund" */
const char *fh_payment_method_name(enum fh_payment_method m);     /* "cash" ... */

/* Parses an RFC 3339 date-time ("2026-11-21T10:00:00Z", fraction and offset allowed) or, with
 * allow_date, a date ("2026-11-21", midnight UTC) into Unix ms (ms may be NULL). */
enum fh_rc fh_fiscal_time_parse(const char *s, bool allow_date, int64_t *ms);
/* A listing's from / to bound: a date (the whole UTC day: with end, the next midnight, so the
 * day is included) or an RFC 3339 date-time. */
enum fh_rc fh_fiscal_time_bound(const char *s, bool end, int64_t *ms);
/* True when s matches ^[0-9A-Za-z]{8}-[0-9A-Za-z]{8}-[0-9]+$ and is at most 50 characters. */
bool fh_fiscal_referent_number_valid(const char *s);

/* The RequestId of a source document: the first 32 hex digits of SHA-256 over a versioned
 * encoding of the organization (id and code) and the source key. Stable: a re-submit of the
 * same source can never produce a new RequestId. out receives 33 bytes. */
void fh_fiscal_request_id(int64_t org_id, const char *org_code, const char *source_key,
                          char out[FH_FISCAL_REQUEST_ID_LEN + 1]);

/* A user-readable sentence for one TaxCore status/error code (spec §7.2) about property (the
 * camelCase path the V-SDC named; may be NULL or ""), e.g. "items[0].labels: tax label is not
 * defined at the V-SDC (2310)". */
void fh_taxcore_code_message(const char *code, const char *property, char *out, size_t outsize);

/* ---- submitting ---- */
struct fh_fiscal_submit_in {
    int64_t org_id;
    const char *certificate_uid;
    int64_t integration_id; /* 0: none (API submissions) */
    const char *source_key; /* unique per organization, e.g. "api:<source_id>" */
    const char *source_ref; /* the source document's number for people (may be NULL) */
    const char *source_url; /* a link to it in the source system (may be NULL) */
    json_t *invoice;        /* canonical invoice object (borrowed) */
    /* The tax total the source document states, in ten-thousandths, when has_source_tax: once
     * signed, the V-SDC's tax total is checked against it (src/fiscal/tax_check.c). */
    bool has_source_tax;
    int64_t source_tax;
    /* A normal refund made from the public API names its sale's id here: it must fit in what is
     * left of the sale after its refunds that did not fail (fh_fiscal_refund_fits), checked in
     * the transaction that stores it; FH_EC_REFUND_EXCEEDS otherwise. 0: not checked (the
     * connectors' credit notes follow their partner's amounts). */
    int64_t refund_of_id;
};

struct fh_fiscal_submit_out {
    int64_t id;
    bool created; /* false: this source was submitted before; id is the existing invoice */
    char request_id[FH_FISCAL_REQUEST_ID_LEN + 1];
    char status[16];
};

/* Validates, checks that the certificate belongs to the organization and is active and not
 * expired, then stores the invoice and enqueues its job in one transaction. FH_E_INPUT with err
 * filled for bad input (including the certificate checks); FH_E_RETRY / FH_ERR on store
 * failure. A duplicate source_key returns the existing invoice (created false) without
 * validating the certificate again. */
enum fh_rc fh_fiscal_submit(struct fh_app *app, const struct fh_fiscal_submit_in *in,
                            struct fh_fiscal_submit_out *out, struct fh_json_error *err);

/* The tax labels the V-SDC of certificate cert_id defines now, for mapping a partner's taxes:
 * {"labels": [{"label", "rate", "category", "category_type"}], "valid_from", "group_id"}
 * (currentTaxRates of its status, cached per certificate). FH_E_NOTFOUND, FH_E_CONFLICT (revoked
 * or expired), FH_E_RETRY (the V-SDC did not answer, or the store); err says which. */
enum fh_rc fh_fiscal_tax_labels(struct fh_app *app, int64_t cert_id, json_t **out, char *err,
                                size_t errsize);

/* User retry of a failed invoice (or of a pending one whose job is dead): back to pending and
 * the job re-armed. FH_E_NOTFOUND (no such invoice in org), FH_E_CONFLICT with *why set to
 * FH_EC_FISCAL_ALREADY_SIGNED, FH_EC_FISCAL_IN_PROGRESS or FH_EC_REFUND_EXCEEDS (a public API
 * refund that no longer fits in what is left of its sale: detail, when not NULL, says why). */
enum fh_rc fh_fiscal_retry(struct fh_app *app, int64_t org_id, int64_t invoice_id, enum fh_ec *why,
                           char *detail, size_t dsize);
/* fh_fiscal_retry of the organization's failed invoices that match f (its status and paging are
 * ignored), oldest first, at most FH_FISCAL_RETRY_BATCH per call. *retried: those put back to
 * pending; *remaining: the failed ones that match after it (a call again takes the next). */
#define FH_FISCAL_RETRY_BATCH 1000
struct fh_fiscal_filter;
enum fh_rc fh_fiscal_retry_failed(struct fh_app *app, int64_t org_id,
                                  const struct fh_fiscal_filter *f, int64_t *retried,
                                  int64_t *remaining);

/* ---- documents waiting for an invoice (src/fiscal/waits.c) ---- */
/* Records that the document with source key waiting_key (ref: its number for people; the
 * integration it came through, 0: none) cannot be fiscalized before the organization's invoice
 * with source key original_key is signed. Repeating it keeps the first time. */
enum fh_rc fh_fiscal_wait_begin(struct fh_store *st, int64_t org_id, const char *waiting_key,
                                const char *original_key, const char *ref, int64_t integration_id,
                                int64_t now);
/* The document no longer waits (it went on, or gave up). */
enum fh_rc fh_fiscal_wait_end(struct fh_store *st, int64_t org_id, const char *waiting_key);
/* When the document's wait began (fh_fiscal_wait_begin); 0 when it has no wait recorded. */
enum fh_rc fh_fiscal_wait_since(struct fh_store *st, int64_t org_id, const char *waiting_key,
                                int64_t *since);
/* Puts job (running, the waiting document's handler) back to wait as the same row, without
 * spending an attempt (fh_job_release, reason why): due at next_at, or at once when the original
 * was signed meanwhile; its id is kept on the wait, so the transaction that signs the original
 * makes it due at once (fiscal_row_sign). The original's row is read under a lock its signature
 * must wait for (PostgreSQL), so that wake is never lost. Returns FH_LATER (the handler's
 * result) or FH_E_RETRY. */
enum fh_rc fh_fiscal_wait_park(struct fh_store *st, const struct fh_job *job, int64_t org_id,
                               const char *waiting_key, int64_t next_at, const char *why,
                               int64_t now);

/* ---- the receipt (src/fiscal/receipt.c) ---- */
/* A signed invoice's fiscal receipt as a PDF (caller frees): journal line for line and the QR
 * code of url below it (fh_pdf_receipt, title "Fiscal invoice <number>"); NULL (*len 0) when
 * there is no journal. */
uint8_t *fh_fiscal_receipt_pdf(const char *number, const char *url, const char *journal,
                               size_t *len);
/* The name of a file of a fiscal invoice, "fiscal-<number>.<ext>": the receipt PDF, and the QR,
 * journal and receipt attached at Xero and Zoho Books. The number's first 60 characters, any but
 * letters, digits and '-' made '-' (a V-SDC number is all of those already). */
void fh_fiscal_file_name(const char *number, const char *ext, char *out, size_t outsize);
/* The receipt's file name, "fiscal-<number>.pdf". */
void fh_fiscal_receipt_name(const char *number, char *out, size_t outsize);

/* ---- reading (src/fiscal/view.c) ---- */
struct fh_fiscal_filter {
    const char *status;          /* NULL: any */
    const char *integration_uid; /* NULL: any */
    int64_t from_ms, to_ms;      /* created_at in [from, to); 0: open */
    bool tax_mismatch;           /* only invoices the tax check flagged (tax_check.c) */
    int64_t page, page_size;     /* 1-based */
};
/* {"invoices": [summary...], "total", "page", "page_size"}, newest first. New reference. */
enum fh_rc fh_fiscal_list_json(struct fh_store *st, int64_t org_id,
                               const struct fh_fiscal_filter *f, json_t **out);
/* The organization's invoices that match f (paging ignored) as CSV, oldest first, a header line
 * first (docs/api/fiscal-invoices.md), a page of FH_FISCAL_CSV_PAGE invoices at a time, so an
 * export of any size holds one page in memory. fh_fiscal_csv_next appends the next page to out
 * (the header with the first), and sets *end once nothing follows; FH_E_LIMIT when a page did not
 * fit in out's limit. The filter's strings are copied. */
#define FH_FISCAL_CSV_PAGE 1000
struct fh_fiscal_csv;
struct fh_fiscal_csv *fh_fiscal_csv_open(struct fh_store *st, int64_t org_id,
                                         const struct fh_fiscal_filter *f);
enum fh_rc fh_fiscal_csv_next(struct fh_fiscal_csv *c, struct fh_buf *out, bool *end);
void fh_fiscal_csv_free(struct fh_fiscal_csv *c);
/* The ids of the organization's invoices that match f (paging ignored), oldest first, at most
 * limit (*ids allocated; free it), and in *total how many match in all. */
enum fh_rc fh_fiscal_ids(struct fh_store *st, int64_t org_id, const struct fh_fiscal_filter *f,
                         int64_t limit, int64_t **ids, size_t *n, int64_t *total);
/* The details of one invoice of the organization (summary plus canonical invoice, journal,
 * QR, tax items and the V-SDC result verbatim). FH_E_NOTFOUND for another organization's id. */
enum fh_rc fh_fiscal_get_json(struct fh_store *st, int64_t org_id, int64_t id, json_t **out);

/* The job-queue lane of an organization's fiscal jobs, "org:<id>": organizations take turns at
 * the workers, so one organization's burst does not hold back the others' invoices (lanes in
 * src/jobs/queue.c). out has at least FH_FISCAL_LANE_SIZE bytes. */
#define FH_FISCAL_LANE_SIZE 32
void fh_fiscal_lane(int64_t org_id, char *out);

/* The "fiscal.submit" job's prepare hook (fh_job_prepare), run in the claiming transaction:
 * when the invoice can be posted at once (pending, no earlier attempt of unknown outcome, its
 * certificate active), marks the attempt there (usage count or hold included), so the claim and
 * the mark are one commit; the handler then posts without a commit of its own. cls: the app. */
int fh_fiscal_job_prepare(void *cls, struct fh_store *st, struct fh_job *job);
/* The "fiscal.submit" job handler; cls is the struct fh_app. */
enum fh_rc fh_fiscal_job_handler(void *cls, struct fh_store *st, const struct fh_job *job,
                                 char *err, size_t errsize);

/* Moves the V-SDC answers stored before migration 17 (fiscal_invoices.vsdc_result, read with
 * COALESCE meanwhile) to fiscal_results, batch invoices per transaction, until none is left;
 * *moved counts them. The maintenance sweep runs it: a batch at a time keeps the WAL and the
 * file from growing by the whole table at once (the cleared values' pages take the next
 * batch's answers). */
enum fh_rc fh_fiscal_results_move(struct fh_store *st, int batch, int64_t *moved);

/* A recovery after a restore (src/fiscal/restore.c): until `until` every new fiscal invoice
 * starts uncertain, so its first attempt asks the V-SDC for its RequestId before it posts. */
#define FH_FISCAL_RECOVERY_MS (7LL * 24 * 3600 * 1000)
struct fh_fiscal_recovery {
    bool begun;       /* this call began it */
    int64_t taken_at; /* the backup's time; 0 when unknown */
    int64_t until;    /* 0: no recovery in force */
    int64_t marked;   /* invoices not signed that it made uncertain when it began */
};
/* At every start, after the migrations: a store holding a backup's mark (fh_store_backup) was
 * restored from it, so a recovery of FH_FISCAL_RECOVERY_MS begins (the mark removed, in one
 * transaction). *out: the recovery in force, if any. */
enum fh_rc fh_fiscal_recovery_check(struct fh_store *st, int64_t now,
                                    struct fh_fiscal_recovery *out);
/* Begins a recovery until `until` for a store restored by other means (taken_at 0 when unknown);
 * until <= now ends the one in force instead. */
enum fh_rc fh_fiscal_recovery_begin(struct fh_store *st, int64_t taken_at, int64_t now,
                                    int64_t until, struct fh_fiscal_recovery *out);
/* True while a recovery lasts at now (and when the store cannot tell: the caller looks first). */
bool fh_fiscal_recovering(struct fh_store *st, int64_t now);
/* Logs the recovery in force (a warning when it began now). */
void fh_fiscal_recovery_log(const struct fh_fiscal_recovery *r);

/* Frees the pooled V-SDC connections and cached environment data (at shutdown). */
void fh_fiscal_shutdown(void);

#endif
