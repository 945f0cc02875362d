/* books_inv.c - the Books v3 endpoints behind books.c (specs/zoho-books.md §2.3-2.9):
 * organizations, the invoice list (filters, sort, paging) and detail, payments, comments (the
 * write-back target) and custom fields, attachments (POST a file as multipart/form-data, GET the
 * latest one back; [3P]), a contact, the taxes; the credit note list (paged, sorted and
 * filtered by last_modified_time as invoices), detail, credits applied to invoices (listed,
 * and deleted one by one) and comments. Handlers run under zs.lock with c->org the checked
 * organization (NULL for /organizations). The two lists share their checks and their paged
 * answer (bad_param, page_reply), the two comment endpoints the comment (comment_or_reply). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fh/fh_json.h"
#include "zoho_internal.h"

/* The Books envelope {"code": 0, "message": msg}. */
static json_t *envelope(const char *msg)
{
    return json_pack("{s:i, s:s}", "code", 0, "message", msg);
}

/* 200 {"code": 0, "message": "success", key: value} (takes value). */
static enum fh_rc success(struct books_ctx *c, const char *key, json_t *value)
{
    json_t *j = envelope("success");
    json_object_set_new(j, key, value);
    return zbk_reply(c, 200, j);
}

/* 400 code 2 "Invalid value passed for <param>". */
static enum fh_rc invalid_param(struct books_ctx *c, const char *param)
{
    char msg[80];
    snprintf(msg, sizeof(msg), "Invalid value passed for %s", param);
    return zbk_error(c, 400, 2, msg);
}

enum fh_rc zbk_orgs_get(struct books_ctx *c)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < c->user->orgs.n; i++)
        json_array_append_new(arr, zr_org(c->user->orgs.v[i], i == 0));
    return success(c, "organizations", arr);
}

enum fh_rc zbk_org_get(struct books_ctx *c)
{
    struct z_org *o = zs_org(c->seg[1]);
    return success(c, "organization", zr_org(o, c->user->orgs.n && c->user->orgs.v[0] == o));
}

/* ---- the lists: GET /invoices, GET /creditnotes ---- */
struct list_q {
    int64_t page, per_page, since_s;
    bool since;
    const char *since_text;
    const char *status, *customer, *number, *date_start, *date_end, *column;
    bool desc;
};

/* Sort columns; the last, last_modified_time, only with sort_by_modified. */
static const char *const columns[] = {
    "customer_name", "invoice_number", "date",         "due_date",
    "total",         "balance",        "created_time", "last_modified_time"};

static const char *bad_param(struct books_ctx *c, struct list_q *q, const char *const *cols,
                             size_t ncols)
{
    const char *page = fh_req_query(c->req, "page"), *pp = fh_req_query(c->req, "per_page");
    const char *lm = fh_req_query(c->req, "last_modified_time");
    const char *order = fh_req_query(c->req, "sort_order");
    q->page = 1;
    q->per_page = 200;
    if (page && (!fh_parse_i64(page, &q->page) || q->page < 1 || q->page > 1000000))
        return "page";
    if (pp && (!fh_parse_i64(pp, &q->per_page) || q->per_page < 1))
        return "per_page";
    q->per_page = q->per_page > 200 ? 200 : q->per_page;
    if (lm) {
        int64_t ms;
        if (!z_parse_timestamp(lm, &ms))
            return "last_modified_time";
        q->since = true;
        q->since_s = ms / 1000;
        q->since_text = lm;
    }
    if ((q->date_start && !z_parse_date(q->date_start)) ||
        (q->date_end && !z_parse_date(q->date_end)))
        return q->date_start && !z_parse_date(q->date_start) ? "date_start" : "date_end";
    size_t ncol = zs.set.sort_by_modified ? ncols : ncols - 1;
    bool known = !q->column;
    for (size_t i = 0; q->column && i < ncol; i++)
        known = known || strcmp(q->column, cols[i]) == 0;
    if (!known)
        return "sort_column";
    if (order && strcmp(order, "A") != 0 && strcmp(order, "D") != 0)
        return "sort_order";
    q->desc = !order || strcmp(order, "D") == 0;
    q->column = q->column ? q->column : "created_time";
    return NULL;
}

static const char *status_filter(const char *filter_by, const char *status, bool *bad)
{
    static const struct {
        const char *filter, *status;
    } map[] = {{"Status.All", NULL},        {"Status.Draft", "draft"},
               {"Status.Sent", "sent"},     {"Status.Overdue", "overdue"},
               {"Status.Paid", "paid"},     {"Status.Void", "void"},
               {"Status.Unpaid", "unpaid"}, {"Status.PartiallyPaid", "partially_paid"},
               {"Status.Viewed", "viewed"}};
    static const char *const statuses[] = {"sent", "draft",  "overdue",        "paid",
                                           "void", "unpaid", "partially_paid", "viewed"};
    *bad = false;
    if (filter_by) {
        for (size_t i = 0; i < FH_ARRAY_LEN(map); i++)
            if (strcmp(map[i].filter, filter_by) == 0)
                return map[i].status;
        *bad = true;
        return NULL;
    }
    for (size_t i = 0; status && i < FH_ARRAY_LEN(statuses); i++)
        if (strcmp(statuses[i], status) == 0)
            return status;
    *bad = status != NULL;
    return NULL;
}

static bool status_match(const struct z_invoice *inv, const char *want)
{
    const char *s = z_status_name(inv->org, inv->status, inv->due_date);
    if (!want)
        return true;
    if (strcmp(want, "unpaid") == 0)
        return strcmp(s, "sent") == 0 || strcmp(s, "overdue") == 0 ||
               strcmp(s, "partially_paid") == 0;
    if (strcmp(want, "sent") == 0) /* Zoho's "sent" includes overdue ones */
        return strcmp(s, "sent") == 0 || strcmp(s, "overdue") == 0;
    return strcmp(s, want) == 0;
}

/* last_modified_time: strictly after the second (modified_inclusive: at or after it). */
static bool modified_match(int64_t modified_ms, const struct list_q *q)
{
    return !q->since || (zs.set.modified_inclusive ? modified_ms / 1000 >= q->since_s
                                                   : modified_ms / 1000 > q->since_s);
}

static bool matches(const struct z_invoice *inv, const struct list_q *q)
{
    if (!modified_match(inv->modified_ms, q))
        return false;
    return status_match(inv, q->status) &&
           (!q->customer || strcmp(inv->customer->id, q->customer) == 0) &&
           (!q->number || strcmp(inv->number, q->number) == 0) &&
           (!q->date_start || strcmp(inv->date, q->date_start) >= 0) &&
           (!q->date_end || strcmp(inv->date, q->date_end) <= 0);
}

static int cmp_i64(int64_t a, int64_t b)
{
    return a < b ? -1 : a > b;
}

static int compare(const void *pa, const void *pb, void *ud)
{
    const struct z_invoice *a = *(void *const *)pa, *b = *(void *const *)pb;
    const struct list_q *q = ud;
    int r;
    if (strcmp(q->column, "customer_name") == 0)
        r = strcmp(a->customer->name, b->customer->name);
    else if (strcmp(q->column, "invoice_number") == 0)
        r = strcmp(a->number, b->number);
    else if (strcmp(q->column, "date") == 0)
        r = strcmp(a->date, b->date);
    else if (strcmp(q->column, "due_date") == 0)
        r = strcmp(a->due_date, b->due_date);
    else if (strcmp(q->column, "total") == 0)
        r = cmp_i64(a->total, b->total);
    else if (strcmp(q->column, "balance") == 0)
        r = cmp_i64(zm_balance(a), zm_balance(b));
    else if (strcmp(q->column, "last_modified_time") == 0)
        r = cmp_i64(a->modified_ms / 1000, b->modified_ms / 1000);
    else
        r = cmp_i64(a->created_ms / 1000, b->created_ms / 1000);
    r = r ? r : strcmp(a->id, b->id) < 0 ? -1 : strcmp(a->id, b->id) > 0; /* ids grow */
    return q->desc ? -r : r;
}

static json_t *page_context(const struct list_q *q, bool more, const char *filter,
                            const char *report)
{
    json_t *crit = json_array();
    if (q->since)
        json_array_append_new(
            crit, json_pack("{s:s, s:s, s:s}", "column_name", "last_modified_time", "search_text",
                            q->since_text, "comparator",
                            zs.set.modified_inclusive ? "greater_equal" : "greater_than"));
    return json_pack("{s:I, s:I, s:b, s:s, s:s, s:s, s:s, s:o}", "page", (json_int_t)q->page,
                     "per_page", (json_int_t)q->per_page, "has_more_page", more, "report_name",
                     report, "applied_filter", filter, "sort_column", q->column, "sort_order",
                     q->desc ? "D" : "A", "search_criteria", crit);
}

/* What the two lists differ in when they answer: their key and report name, order, rows. */
struct listing {
    const char *key, *report; /* "invoices", "Invoices" */
    int (*cmp)(const void *, const void *, void *);
    json_t *(*row)(const void *); /* a summary */
};

/* Sorts the n hits (freed here) and answers q's page of them: {"code", "message", l->key: [rows],
 * "page_context"}; filter is the applied_filter. */
static enum fh_rc page_reply(struct books_ctx *c, const struct listing *l, const struct list_q *q,
                             void **hits, size_t n, const char *filter)
{
    qsort_r(hits, n, sizeof(*hits), l->cmp, (void *)q);
    json_t *arr = json_array();
    size_t from = (size_t)((q->page - 1) * q->per_page), to = from + (size_t)q->per_page;
    for (size_t i = from; i < n && i < to; i++)
        json_array_append_new(arr, l->row(hits[i]));
    free(hits);
    json_t *j = envelope("success");
    json_object_set_new(j, l->key, arr);
    json_object_set_new(j, "page_context", page_context(q, n > to, filter, l->report));
    return zbk_reply(c, 200, j);
}

static json_t *invoice_row(const void *inv)
{
    return zr_invoice(inv, false);
}

static const struct listing invoice_list = {"invoices", "Invoices", compare, invoice_row};

enum fh_rc zbk_invoices_get(struct books_ctx *c)
{
    struct list_q q;
    memset(&q, 0, sizeof(q));
    q.customer = fh_req_query(c->req, "customer_id");
    q.number = fh_req_query(c->req, "invoice_number");
    q.date_start = fh_req_query(c->req, "date_start");
    q.date_end = fh_req_query(c->req, "date_end");
    q.column = fh_req_query(c->req, "sort_column");
    const char *filter_by = fh_req_query(c->req, "filter_by");
    bool bad;
    q.status = status_filter(filter_by, fh_req_query(c->req, "status"), &bad);
    const char *param = bad ? (filter_by ? "filter_by" : "status")
                            : bad_param(c, &q, columns, FH_ARRAY_LEN(columns));
    if (param)
        return invalid_param(c, param);
    void **hits = fh_calloc(c->org->invoices.n + 1, sizeof(*hits));
    size_t n = 0;
    for (size_t i = 0; i < c->org->invoices.n; i++)
        if (matches(c->org->invoices.v[i], &q))
            hits[n++] = c->org->invoices.v[i];
    return page_reply(c, &invoice_list, &q, hits, n, filter_by ? filter_by : "Status.All");
}

/* ---- one invoice ---- */
static struct z_invoice *invoice_or_reply(struct books_ctx *c)
{
    struct z_invoice *inv = zm_invoice(c->seg[1]);
    if (!inv || inv->org != c->org) {
        zbk_error(c, 404, 1002, "Invoice does not exist.");
        return NULL;
    }
    return inv;
}

enum fh_rc zbk_invoice_get(struct books_ctx *c)
{
    struct z_invoice *inv = invoice_or_reply(c);
    return inv ? success(c, "invoice", zr_invoice(inv, true)) : FH_OK;
}

enum fh_rc zbk_payments_get(struct books_ctx *c)
{
    struct z_invoice *inv = invoice_or_reply(c);
    if (!inv)
        return FH_OK;
    json_t *arr = json_array();
    for (size_t i = 0; i < inv->payments.n; i++)
        json_array_append_new(arr, zr_payment(inv, inv->payments.v[i]));
    return success(c, "payments", arr);
}

enum fh_rc zbk_comments_get(struct books_ctx *c)
{
    struct z_invoice *inv = invoice_or_reply(c);
    if (!inv)
        return FH_OK;
    json_t *arr = json_array();
    for (size_t i = inv->comments.n; i-- > 0;) /* newest first */
        json_array_append_new(arr, zr_comment(inv, inv->comments.v[i]));
    return success(c, "comments", arr);
}

/* The JSON body, or NULL after Zoho's 400 code 1038 (form bodies included). */
static json_t *body_or_reply(struct books_ctx *c)
{
    json_t *root = NULL;
    struct fh_json_error err;
    if (c->req->body.len == 0 ||
        fh_json_parse(c->req->body.data, c->req->body.len, &root, &err) != FH_OK) {
        zbk_error(c, 400, 1038, "JSON is not well formed");
        return NULL;
    }
    return root;
}

/* The comment of a POST .../comments body ({"description", "show_comment_to_clients"?,
 * "payment_expected_date"?}), c->user's, added to comments and counted as stat; NULL after
 * Zoho's 400. */
static struct z_comment *comment_or_reply(struct books_ctx *c, json_t *body,
                                          struct sb_vec *comments, const char *stat)
{
    const char *desc = sbj_str(body, "description");
    json_t *show = json_object_get(body, "show_comment_to_clients");
    const char *ped = sbj_str(body, "payment_expected_date");
    if (!json_is_object(body) || !desc || !*desc || strlen(desc) > 10000 ||
        (show && !json_is_boolean(show)) || (ped && !z_parse_date(ped))) {
        zbk_error(c, 400, 2, "Invalid value passed for description");
        return NULL;
    }
    struct z_comment *k =
        zm_comment_push(comments, desc, c->user->name, "internal", "Added", json_is_true(show));
    sb_stat_add(&z_stats, "books", stat, 1);
    return k;
}

enum fh_rc zbk_comments_post(struct books_ctx *c)
{
    struct z_invoice *inv = invoice_or_reply(c);
    json_t *body = inv ? body_or_reply(c) : NULL;
    enum fh_rc rc = FH_OK;
    if (body && comment_or_reply(c, body, &inv->comments, "comments_added")) {
        if (zs.set.comment_touches)
            zm_touch(inv);
        if (zs.set.comment_fires_edit)
            zwh_fire(inv, ZE_EDIT);
        rc = zbk_reply(c, 200, envelope("Comments added."));
    }
    json_decref(body);
    return rc;
}

enum fh_rc zbk_customfields_put(struct books_ctx *c)
{
    struct z_invoice *inv = invoice_or_reply(c);
    json_t *body = inv ? body_or_reply(c) : NULL;
    if (!body)
        return FH_OK;
    char err[200];
    enum fh_rc rc;
    if (zm_set_cf(inv, body, err, sizeof(err)) != FH_OK) {
        rc = zbk_error(c, 400, 2, err);
    } else {
        zm_touch(inv);
        sb_stat_add(&z_stats, "books", "custom_fields_updated", 1);
        if (zs.set.customfield_fires_edit)
            zwh_fire(inv, ZE_EDIT);
        rc = zbk_reply(c, 200, envelope("Custom Fields Updated Successfully"));
    }
    json_decref(body);
    return rc;
}

/* ---- attachments ---- */
#define MAX_PARTS 16

/* A can_send_in_email value: true or false, any case; false when it is neither. */
static bool flag_text(const char *s, size_t len, bool *out)
{
    if ((len == 4 && strncasecmp(s, "true", 4) == 0) ||
        (len == 5 && strncasecmp(s, "false", 5) == 0)) {
        *out = len == 4;
        return true;
    }
    return false;
}

/* The file part "attachment" and can_send_in_email (the query's, the form part's over it);
 * NULL after a 400. */
static const struct sb_part *upload_or_reply(struct books_ctx *c, struct sb_part *parts,
                                             bool *in_email)
{
    size_t n, files = 0;
    char err[200], msg[300];
    const struct sb_part *file = NULL;
    const char *q = fh_req_query(c->req, "can_send_in_email");
    bool ok = !q || flag_text(q, strlen(q), in_email);
    if (!sb_multipart(c->req, parts, MAX_PARTS, &n, err, sizeof(err))) {
        snprintf(msg, sizeof(msg), "Invalid multipart/form-data body: %s.", err);
        zbk_error(c, 400, 2, msg);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(parts[i].name, "attachment") == 0) {
            file = &parts[i];
            files++;
        } else if (strcmp(parts[i].name, "can_send_in_email") == 0)
            ok = ok && flag_text(parts[i].data, parts[i].len, in_email);
    }
    if (files != 1 || !file->has_filename || !file->filename[0]) {
        zbk_error(c, 400, 2,
                  files > 1 ? "Invalid multipart/form-data body: more than one part named "
                              "attachment."
                            : "Invalid multipart/form-data body: no file part named attachment "
                              "(with a filename).");
        return NULL;
    }
    if (!ok) {
        zbk_error(c, 400, 2, "Invalid value passed for can_send_in_email");
        return NULL;
    }
    return file;
}

enum fh_rc zbk_attachment_post(struct books_ctx *c)
{
    struct z_invoice *inv = invoice_or_reply(c);
    struct sb_part parts[MAX_PARTS];
    bool in_email = false;
    const struct sb_part *f = inv ? upload_or_reply(c, parts, &in_email) : NULL;
    if (!f)
        return FH_OK;
    char err[400];
    if (!zm_attach(inv, f->filename, f->ctype[0] ? f->ctype : "application/octet-stream", f->data,
                   f->len, in_email, err, sizeof(err)))
        return zbk_error(c, 400, 2, err);
    sb_stat_add(&z_stats, "books", "attachments_added", 1);
    if (zs.set.attachment_touches)
        zm_touch(inv);
    if (zs.set.attachment_fires_edit)
        zwh_fire(inv, ZE_EDIT);
    json_t *j = envelope("Your file has been attached.");
    json_object_set_new(j, "documents", zr_documents(inv));
    return zbk_reply(c, 200, j);
}

/* The invoice's latest attachment, with its file name in Content-Disposition. */
enum fh_rc zbk_attachment_get(struct books_ctx *c)
{
    struct z_invoice *inv = invoice_or_reply(c);
    if (!inv)
        return FH_OK;
    if (inv->attachments.n == 0)
        return zbk_error(c, 404, 1002, "Attachment does not exist.");
    const struct z_attachment *a = inv->attachments.v[inv->attachments.n - 1];
    char name[256], disp[300];
    fh_strlcpy(name, a->file_name, sizeof(name));
    for (char *p = name; *p; p++) /* quotes and backslashes would end or escape the value */
        *p = *p == '"' || *p == '\\' ? '_' : *p;
    snprintf(disp, sizeof(disp), "inline; filename=\"%s\"", name);
    const char *hdrs[FH_ARRAY_LEN(c->hdrs) + 2];
    size_t n = 0;
    for (; n < FH_ARRAY_LEN(c->hdrs) && c->hdrs[n]; n++)
        hdrs[n] = c->hdrs[n];
    hdrs[n++] = "Content-Disposition";
    hdrs[n++] = disp;
    hdrs[n] = NULL;
    char *body = fh_malloc(a->size);
    memcpy(body, a->data, a->size);
    return sb_send(c->req, 200, zm_attachment_mime(a), body, a->size, hdrs);
}

enum fh_rc zbk_contact_get(struct books_ctx *c)
{
    struct z_contact *ct = sb_map_get(&zs.contacts, c->seg[1]);
    if (!ct || ct->org != c->org)
        return zbk_error(c, 404, 1002, "Contact does not exist.");
    return success(c, "contact", zr_contact(ct));
}

enum fh_rc zbk_taxes_get(struct books_ctx *c)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < c->org->taxes.n; i++) {
        json_t *t = zr_tax(c->org->taxes.v[i]);
        json_object_set_new(t, "is_default_tax", json_boolean(i == 0));
        json_array_append_new(arr, t);
    }
    json_t *j = envelope("success");
    json_object_set_new(j, "taxes", arr);
    json_object_set_new(j, "page_context",
                        json_pack("{s:i, s:i, s:b, s:s}", "page", 1, "per_page", 200,
                                  "has_more_page", 0, "report_name", "Taxes"));
    return zbk_reply(c, 200, j);
}

/* ---- credit notes ---- */
/* Sort columns; the last, last_modified_time, only with sort_by_modified. */
static const char *const cn_columns[] = {"creditnote_number", "date", "created_time",
                                         "last_modified_time"};

static int cn_compare(const void *pa, const void *pb, void *ud)
{
    const struct z_creditnote *a = *(void *const *)pa, *b = *(void *const *)pb;
    const struct list_q *q = ud;
    int r;
    if (strcmp(q->column, "creditnote_number") == 0)
        r = strcmp(a->number, b->number);
    else if (strcmp(q->column, "date") == 0)
        r = strcmp(a->date, b->date);
    else if (strcmp(q->column, "last_modified_time") == 0)
        r = cmp_i64(a->modified_ms / 1000, b->modified_ms / 1000);
    else
        r = cmp_i64(a->created_ms / 1000, b->created_ms / 1000);
    r = r ? r : strcmp(a->id, b->id) < 0 ? -1 : strcmp(a->id, b->id) > 0; /* ids grow */
    return q->desc ? -r : r;
}

/* status (draft, open, closed, void) -> its filter name, NULL: all; *bad for another value. */
static const char *cn_filter(const char *status, bool *bad)
{
    static const char *const filters[] = {"Status.Draft", "Status.Open", "Status.Closed",
                                          "Status.Void"};
    *bad = false;
    for (size_t i = 0; status && i < FH_ARRAY_LEN(filters); i++)
        if (strcmp(status, z_cn_status_name((enum z_cn_status)i)) == 0)
            return filters[i];
    *bad = status != NULL;
    return NULL;
}

static json_t *cn_row(const void *cn)
{
    return zr_creditnote(cn, false);
}

static const struct listing cn_list = {"creditnotes", "Credit Notes", cn_compare, cn_row};

enum fh_rc zbk_creditnotes_get(struct books_ctx *c)
{
    struct list_q q;
    memset(&q, 0, sizeof(q));
    q.column = fh_req_query(c->req, "sort_column");
    q.status = fh_req_query(c->req, "status");
    bool bad;
    const char *filter = cn_filter(q.status, &bad);
    const char *param = bad ? "status" : bad_param(c, &q, cn_columns, FH_ARRAY_LEN(cn_columns));
    if (param)
        return invalid_param(c, param);
    void **hits = fh_calloc(c->org->creditnotes.n + 1, sizeof(*hits));
    size_t n = 0;
    for (size_t i = 0; i < c->org->creditnotes.n; i++) {
        struct z_creditnote *cn = c->org->creditnotes.v[i];
        if (modified_match(cn->modified_ms, &q) &&
            (!q.status || strcmp(z_cn_status_name(cn->status), q.status) == 0))
            hits[n++] = cn;
    }
    return page_reply(c, &cn_list, &q, hits, n, filter ? filter : "Status.All");
}

static struct z_creditnote *cn_or_reply(struct books_ctx *c)
{
    struct z_creditnote *cn = zm_creditnote(c->seg[1]);
    if (!cn || cn->org != c->org) {
        zbk_error(c, 404, 1002, "Credit Note does not exist.");
        return NULL;
    }
    return cn;
}

enum fh_rc zbk_creditnote_get(struct books_ctx *c)
{
    struct z_creditnote *cn = cn_or_reply(c);
    return cn ? success(c, "creditnote", zr_creditnote(cn, true)) : FH_OK;
}

enum fh_rc zbk_cn_invoices_get(struct books_ctx *c)
{
    struct z_creditnote *cn = cn_or_reply(c);
    if (!cn)
        return FH_OK;
    json_t *arr = json_array();
    for (size_t i = 0; i < cn->credits.n; i++) /* oldest first */
        json_array_append_new(arr, zr_credit(cn, cn->credits.v[i]));
    return success(c, "invoices_credited", arr);
}

/* DELETE /creditnotes/{id}/invoices/{creditnote_invoice_id}: the credit note's edit event and
 * the invoice's (payment_fires_edit), as when the credit was applied. */
enum fh_rc zbk_cn_credit_delete(struct books_ctx *c)
{
    struct z_creditnote *cn = cn_or_reply(c);
    if (!cn)
        return FH_OK;
    struct z_invoice *inv;
    char err[100];
    if (zm_cn_unapply(cn, c->seg[3], &inv, err, sizeof(err)) != FH_OK)
        return zbk_error(c, 404, 1002, "Credits applied to the invoice do not exist.");
    sb_stat_add(&z_stats, "books", "credits_deleted", 1);
    zwh_fire_credit_deleted(cn, inv);
    return zbk_reply(c, 200, envelope("Credits applied to an invoice have been deleted."));
}

enum fh_rc zbk_cn_comments_post(struct books_ctx *c)
{
    struct z_creditnote *cn = cn_or_reply(c);
    json_t *body = cn ? body_or_reply(c) : NULL;
    struct z_comment *k =
        body ? comment_or_reply(c, body, &cn->comments, "creditnote_comments_added") : NULL;
    enum fh_rc rc = FH_OK;
    if (k) {
        json_t *j = envelope("Comments added.");
        json_object_set_new(j, "comment", zr_cn_comment(cn, k));
        if (zs.set.comment_touches)
            zm_cn_touch(cn);
        if (zs.set.comment_fires_edit)
            zwh_fire_cn(cn, ZE_EDIT);
        rc = zbk_reply(c, 201, j);
    }
    json_decref(body);
    return rc;
}
