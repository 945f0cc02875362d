/* credit.c - one Zoho Books credit note of an integration -> at most one Refund.
 *
 * A credit note is fiscalized when it is open or closed (not draft, not void) and credits an
 * invoice that fiscalhub fiscalized: the Refund references that invoice's V-SDC number and time
 * (the transaction type Refund of PRODUCT.md section 3). The invoice is the one the credit note
 * was created from (its invoice_id), else the first of the invoices it was applied to
 * (GET /creditnotes/{id}/invoices, one more call). A credit note not applied to an invoice yet is
 * not fiscalized (its next change is looked at again). While the credited invoice is being
 * signed the credit note waits for it (common/credit.c), also when the invoice has no fiscal
 * invoice at all (applying a credit can itself make an invoice due, whose fiscalization then
 * races the credit note's, or the invoice is paid and fiscalized days later): looked at again
 * during a minute, then woken by the invoice's signature, and left quietly after 30 days (an
 * invoice fiscalhub never fiscalized, from before the integration say, has no fiscal number to
 * refund). Exactly once: the source key "zoho:<organization_id>:CN:<creditnote_id>";
 * the write-back is a comment on the credit note. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zoho_internal.h"

static const char *jstr(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* GET path; the object under field of the answer (new reference) or NULL with the outcome. */
static enum zoho_outcome get(struct fh_app *app, const struct fh_integ *in, const char *path,
                             const char *what, const char *field, json_t **out, int64_t *retry_at,
                             char *why, size_t whysize)
{
    struct zoho_call c = {.method = "GET", .path = path, .what = what};
    json_t *j = NULL;
    *out = NULL;
    enum zoho_outcome o = zoho_api(app, in->id, &c, &j, retry_at, why, whysize);
    json_t *v = json_object_get(j, field);
    if (o == Z_OK && !v) {
        snprintf(why, whysize, "Zoho's answer holds no %s", what);
        o = Z_REFUSED;
    }
    if (o == Z_OK)
        *out = json_incref(v);
    json_decref(j);
    return o;
}

static enum zoho_process_result of_outcome(enum zoho_outcome o)
{
    switch (o) {
    case Z_OK:
    case Z_INACTIVE:
    case Z_NOT_FOUND:
        return ZP_DONE;
    case Z_WAIT:
        return ZP_WAIT;
    case Z_REFUSED:
        return ZP_FAILED;
    default:
        return ZP_RETRY;
    }
}

/* The id of the invoice the credit note credits into out ("" when none). */
static enum zoho_outcome credited_invoice(struct fh_app *app, const struct fh_integ *in, json_t *cn,
                                          const char *id, char *out, size_t outsize,
                                          int64_t *retry_at, char *why, size_t whysize)
{
    out[0] = '\0';
    if (zoho_id(json_object_get(cn, "invoice_id"), out, outsize))
        return Z_OK;
    char path[80];
    snprintf(path, sizeof(path), "/creditnotes/%s/invoices", id);
    json_t *list = NULL;
    enum zoho_outcome o =
        get(app, in, path, "invoices credited", "invoices_credited", &list, retry_at, why, whysize);
    if (o == Z_OK && !zoho_id(json_object_get(json_array_get(list, 0), "invoice_id"), out, outsize))
        out[0] = '\0';
    json_decref(list);
    return o;
}

static enum zoho_process_result submit(struct fh_app *app, const struct fh_integ *in, json_t *cn,
                                       const char *id, const char *key, const char *ref_number,
                                       const char *ref_time, char *why, size_t whysize)
{
    json_t *canonical = NULL;
    if (fh_zoho_map(cn, in->settings, &canonical, why, whysize) != FH_OK)
        return ZP_FAILED;
    json_object_set_new(canonical, "transaction_type", json_string("refund"));
    json_object_set_new(canonical, "referent_document_number", json_string(ref_number));
    json_object_set_new(canonical, "referent_document_time", json_string(ref_time));
    const char *number = jstr(cn, "creditnote_number");
    if (number && number[0] && strlen(number) <= 60) {
        char *n = fh_conn_text(number, 60);
        json_object_set_new(canonical, "pos_invoice_number", json_string(n));
        free(n);
    }
    enum zoho_process_result r =
        zoho_submit(app, in, cn, true, id, key, number, canonical, why, whysize);
    json_decref(canonical);
    return r;
}

static enum zoho_process_result process(struct fh_app *app, const struct fh_integ *in, json_t *cn,
                                        const char *id, const char *key, int64_t *retry_at,
                                        char *why, size_t whysize)
{
    const char *status = jstr(cn, "status");
    if (!status || (strcmp(status, "open") != 0 && strcmp(status, "closed") != 0)) {
        snprintf(why, whysize, "credit note status %.20s is never fiscalized",
                 status ? status : "unknown");
        return ZP_DONE;
    }
    char invoice[32];
    enum zoho_outcome o =
        credited_invoice(app, in, cn, id, invoice, sizeof(invoice), retry_at, why, whysize);
    if (o != Z_OK)
        return of_outcome(o);
    if (!invoice[0]) {
        snprintf(why, whysize, "the credit note is not applied to an invoice yet");
        return ZP_DONE;
    }
    char original[200], number[64], time[64];
    zoho_source_key(in->tenant_id, invoice, original, sizeof(original));
    struct fh_conn_waiter w = {
        .app = app, .in = in, .key = key, .ref = jstr(cn, "creditnote_number")};
    switch (
        fh_conn_credited(&w, original, number, sizeof(number), time, sizeof(time), why, whysize)) {
    case FH_ORIGINAL_ERROR:
        return ZP_RETRY;
    case FH_ORIGINAL_SIGNED:
        return submit(app, in, cn, id, key, number, time, why, whysize);
    default:
        return ZP_WAIT_ORIGINAL;
    }
}

enum zoho_process_result zoho_credit_note(struct fh_app *app, const struct fh_integ *in,
                                          const char *creditnote_id, int64_t *retry_at, char *why,
                                          size_t whysize)
{
    why[0] = '\0';
    char key[200], path[64];
    zoho_credit_key(in->tenant_id, creditnote_id, key, sizeof(key));
    bool failed = false;
    if (zoho_fiscalized(app->store, in->org_id, key, &failed))
        return failed ? ZP_RETRY : ZP_DONE;
    snprintf(path, sizeof(path), "/creditnotes/%s", creditnote_id);
    json_t *cn = NULL;
    enum zoho_outcome o =
        get(app, in, path, "credit note", "creditnote", &cn, retry_at, why, whysize);
    enum zoho_process_result r =
        o == Z_OK ? process(app, in, cn, creditnote_id, key, retry_at, why, whysize)
                  : of_outcome(o);
    const char *number = jstr(cn, "creditnote_number");
    if (r == ZP_FAILED) {
        char *url = zoho_view_url(app, in, true, creditnote_id);
        struct fh_conn_refusal d = {.key = key,
                                    .ref = number,
                                    .kind = "credit_note",
                                    .doc_id = creditnote_id,
                                    .url = url,
                                    .why = why};
        fh_conn_refused(app->store, in, &d);
        free(url);
    } else if (r == ZP_DONE && o == Z_OK) {
        fh_conn_settled(app->store, in, key);
    }
    json_decref(cn);
    return r;
}
