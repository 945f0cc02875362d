/* errors.c - what a V-SDC answer means, in words a user understands.
 *
 * HTTP status -> outcome (see taxcore.h): 200 ok (if the body is a JSON object, and for invoice
 * calls one with an invoiceNumber: a 200 we cannot read is an unknown outcome, not a success);
 * 404 on GET invoice: none; 400: refused, each modelState entry {property, errors[code]} turned
 * into "<canonical field>: <what the code means> (<code>)"; 401 / 403: the PAC or the certificate
 * refused; other 4xx and 3xx: refused; 408, 429 and 5xx (and anything else): unknown outcome.
 * Error pages in HTML (IIS style, spec §2.1) are reduced to their <h3> or <title> text. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fh/fh_fiscal.h"
#include "fh/fh_json.h"
#include "taxcore.h"

struct code_text {
    const char *code;
    bool about_field; /* the text completes "<field> ..." */
    const char *text;
};

/* spec §7.2 */
static const struct code_text codes[] = {
    {"0000", false, "all OK"},
    {"0100", false, "PIN accepted"},
    {"0210", false, "the SDC has internet access"},
    {"0220", false, "the SDC has no internet access"},
    {"1100", false, "the SDC's audit storage is 90% full; an audit is due soon"},
    {"1300", false, "the smart card (secure element) is not present"},
    {"1400", false, "an audit is required: the sale and refund total reached 75% of the limit"},
    {"1500", false, "the SDC requires a PIN"},
    {"1999", false, "the SDC reported an undefined warning"},
    {"2100", false, "the PIN is wrong"},
    {"2110", false, "the card is locked after too many wrong PINs"},
    {"2210", false,
     "the secure element is locked: no invoices can be signed until an audit "
     "completes; contact the tax authority"},
    {"2220", false, "the SDC cannot communicate with the secure element"},
    {"2230", false, "the secure element's protocol version is not supported"},
    {"2310", true, "uses a tax label that is not defined at the V-SDC for this taxpayer"},
    {"2400", false,
     "the V-SDC is not configured (no tax rates or verification URL); contact the "
     "tax authority"},
    {"2800", true, "is required"},
    {"2801", true, "is too long"},
    {"2802", true, "is too short"},
    {"2803", true, "has a length the V-SDC does not allow"},
    {"2804", true, "is out of the allowed range"},
    {"2805", true, "has a value the V-SDC does not accept"},
    {"2806", true, "has an invalid format"},
    {"2807", true, "is empty; at least one entry is required"},
    {"2808", true, "has more entries than the V-SDC accepts"},
    {"2809", false, "the secure element has expired"},
};

void fh_taxcore_code_message(const char *code, const char *property, char *out, size_t outsize)
{
    const struct code_text *ct = NULL;
    for (size_t i = 0; code && i < FH_ARRAY_LEN(codes); i++)
        if (strcmp(codes[i].code, code) == 0)
            ct = &codes[i];
    bool has_prop = property && property[0];
    const char *c = code ? code : "?";
    if (!ct) {
        snprintf(out, outsize, "%s%sthe V-SDC reported error code %.8s", has_prop ? property : "",
                 has_prop ? ": " : "", c);
        return;
    }
    if (ct->about_field)
        snprintf(out, outsize, "%s %s (%s)", has_prop ? property : "the invoice", ct->text, c);
    else
        snprintf(out, outsize, "%s%s%s (%s)", has_prop ? property : "", has_prop ? ": " : "",
                 ct->text, c);
}

/* ---- property names: V-SDC camelCase path -> canonical snake_case path ---- */

static const struct {
    const char *vsdc, *canonical;
} names[] = {
    {"invoiceType", "invoice_type"},
    {"transactionType", "transaction_type"},
    {"payment", "payments"},
    {"paymentType", "method"},
    {"amount", "amount"},
    {"invoiceNumber", "pos_invoice_number"},
    {"referentDocumentNumber", "referent_document_number"},
    {"referentDocumentDT", "referent_document_time"},
    {"buyerId", "buyer_id"},
    {"buyerCostCenterId", "buyer_cost_center_id"},
    {"cashier", "cashier"},
    {"items", "items"},
    {"gtin", "gtin"},
    {"name", "name"},
    {"quantity", "quantity"},
    {"unitPrice", "unit_price"},
    {"labels", "labels"},
    {"totalAmount", "total"},
};

void fh_tc_property_canonical(const char *property, char *out, size_t outsize)
{
    struct fh_buf b;
    fh_buf_init(&b, outsize > 0 ? outsize - 1 : 0);
    const char *p = property ? property : "";
    /* ASP.NET may prefix the bound parameter ("request.items[0].name"); drop it. */
    if (strncasecmp(p, "request.", 8) == 0)
        p += 8;
    while (*p) {
        size_t seg = strcspn(p, ".[");
        const char *canon = NULL;
        for (size_t i = 0; i < FH_ARRAY_LEN(names) && seg; i++)
            if (strlen(names[i].vsdc) == seg && strncasecmp(names[i].vsdc, p, seg) == 0)
                canon = names[i].canonical;
        if (canon)
            fh_buf_appendf(&b, "%s", canon);
        else
            fh_buf_append(&b, p, seg);
        p += seg;
        size_t rest = strcspn(p, ".");
        if (*p == '[') { /* the index, kept as is */
            fh_buf_append(&b, p, rest);
            p += rest;
        }
        if (*p == '.') {
            fh_buf_append(&b, ".", 1);
            p++;
        }
    }
    fh_strlcpy(out, b.data ? b.data : "", outsize);
    fh_buf_free(&b);
}

/* ---- bodies ---- */

/* Printable text between <tag> and </tag> of an HTML page, or "". */
static void html_text(const char *body, const char *tag, char *out, size_t outsize)
{
    char open[16], close[16];
    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    const char *a = strcasestr(body, open);
    const char *z = a ? strcasestr(a, close) : NULL;
    out[0] = '\0';
    if (!a || !z)
        return;
    a += strlen(open);
    size_t n = (size_t)(z - a) < outsize - 1 ? (size_t)(z - a) : outsize - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = isprint((unsigned char)a[i]) ? a[i] : ' ';
    out[n] = '\0';
}

/* A short description of an error body: JSON message, HTML h3/title, or the start of the text. */
static void body_gist(const char *body, size_t len, char *out, size_t outsize)
{
    out[0] = '\0';
    if (!body || !len)
        return;
    json_t *j = json_loadb(body, len, 0, NULL);
    if (j) {
        const char *keys[] = {"message", "Message", "MessageDetails", "title"};
        for (size_t i = 0; i < FH_ARRAY_LEN(keys) && !out[0]; i++)
            if (json_is_string(json_object_get(j, keys[i])))
                snprintf(out, outsize, "%s", json_string_value(json_object_get(j, keys[i])));
        json_decref(j);
        if (out[0])
            return;
    }
    html_text(body, "h3", out, outsize);
    if (!out[0])
        html_text(body, "title", out, outsize);
    if (!out[0]) {
        size_t n = len < outsize - 1 ? len : outsize - 1;
        for (size_t i = 0; i < n; i++)
            out[i] = isprint((unsigned char)body[i]) ? body[i] : ' ';
        out[n] = '\0';
    }
}

/* "items[0].labels: ... (2310); pos_invoice_number is too long (2801)" from a 400 body. */
static bool model_state(const char *body, size_t len, char *out, size_t outsize)
{
    json_t *j = body ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *ms = json_object_get(j, "modelState");
    if (!ms)
        ms = json_object_get(j, "ModelState");
    if (!json_is_array(ms) || json_array_size(ms) == 0) {
        json_decref(j);
        return false;
    }
    struct fh_buf b;
    fh_buf_init(&b, outsize > 0 ? outsize - 1 : 0);
    size_t i;
    json_t *e;
    json_array_foreach(ms, i, e)
    {
        const char *prop = json_string_value(json_object_get(e, "property"));
        char canon[160], msg[300];
        fh_tc_property_canonical(prop ? prop : "", canon, sizeof(canon));
        size_t k;
        json_t *code;
        json_array_foreach(json_object_get(e, "errors"), k, code)
        {
            char num[16] = "";
            if (json_is_string(code))
                snprintf(num, sizeof(num), "%.8s", json_string_value(code));
            else if (json_is_integer(code))
                snprintf(num, sizeof(num), "%04lld", (long long)json_integer_value(code));
            fh_taxcore_code_message(num, canon, msg, sizeof(msg));
            if (fh_buf_appendf(&b, "%s%s", b.len ? "; " : "", msg) != FH_OK)
                break;
        }
    }
    fh_strlcpy(out, b.data ? b.data : "", outsize);
    fh_buf_free(&b);
    json_decref(j);
    return out[0] != '\0';
}

/* Whether a 200 answer is a readable one: a JSON object, for invoice calls with invoiceNumber
 * and sdcDateTime, which are copied into out with verificationUrl. A signed invoice's answer is
 * large (journal, QR image): it is validated without being built (fh_json_pick). */
static bool readable_ok(enum fh_tc_call call, const char *body, size_t len, struct fh_tc_reply *out)
{
    if (call != FH_TC_POST_INVOICE && call != FH_TC_GET_INVOICE)
        return fh_json_pick(body, len, NULL, NULL, 0) == FH_OK;
    static const char *const fields[] = {"invoiceNumber", "sdcDateTime", "verificationUrl"};
    char *v[FH_ARRAY_LEN(fields)];
    if (fh_json_pick(body, len, fields, v, FH_ARRAY_LEN(fields)) != FH_OK)
        return false;
    if (!v[0] || !v[1]) {
        for (size_t i = 0; i < FH_ARRAY_LEN(fields); i++)
            free(v[i]);
        return false;
    }
    out->invoice_number = v[0];
    out->sdc_time = v[1];
    out->verification_url = v[2];
    return true;
}

void fh_tc_classify_http(enum fh_tc_call call, long status, const char *body, size_t len,
                         struct fh_tc_reply *out)
{
    char gist[300] = "", ms[500];
    /* the gist (a JSON message or an HTML title) only words a failure: a signed invoice's
     * answer is large (journal, QR image) and is parsed once, by readable_ok */
    if (status != 200 && !(status == 404 && call == FH_TC_GET_INVOICE))
        body_gist(body, len, gist, sizeof(gist));
    if (status == 200) {
        out->outcome = readable_ok(call, body, len, out) ? FH_TC_OK : FH_TC_UNKNOWN;
        if (out->outcome == FH_TC_UNKNOWN)
            snprintf(out->reason, sizeof(out->reason),
                     "The V-SDC answered 200 with a body that is not a signed invoice; outcome "
                     "unknown.");
    } else if (status == 404 && call == FH_TC_GET_INVOICE) {
        out->outcome = FH_TC_NONE;
    } else if (status == 400) {
        out->outcome = FH_TC_REJECTED;
        if (model_state(body, len, ms, sizeof(ms)))
            snprintf(out->reason, sizeof(out->reason), "The V-SDC refused the invoice: %s.", ms);
        else
            snprintf(out->reason, sizeof(out->reason),
                     "The V-SDC refused the request (400: %.250s).", gist);
    } else if (status == 401 || status == 403) {
        out->outcome = FH_TC_REJECTED;
        out->cert_refused = true;
        bool pac = strcasestr(gist, "PAC") != NULL || status == 401;
        snprintf(out->reason, sizeof(out->reason),
                 pac ? "The V-SDC refused the PAC (%ld: %.250s); check the PAC delivered with the "
                       "certificate."
                     : "The V-SDC refused the certificate (%ld: %.250s); it may be revoked or not "
                       "issued for this V-SDC.",
                 status, gist);
    } else if (status == 408 || status == 429 || status >= 500 || status < 300) {
        out->outcome = FH_TC_UNKNOWN;
        snprintf(out->reason, sizeof(out->reason),
                 "The V-SDC answered %ld (%.250s); outcome unknown.", status, gist);
    } else {
        out->outcome = FH_TC_REJECTED;
        snprintf(out->reason, sizeof(out->reason), "The V-SDC answered %ld (%.250s)%s.", status,
                 gist, status < 400 ? "; check the certificate's V-SDC URL" : "");
    }
}
