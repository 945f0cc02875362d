/* api.c - the V-SDC API v3 (spec §3.1) as served over mutual TLS by tls_server.c:
 *   GET  /api/v3/attention               200, empty body
 *   GET  /api/v3/status                  tax groups and SDC info (PAC when --vsdc-pac-check all)
 *   GET  /api/v3/environment-parameters  endpoints, languages (PAC when --vsdc-pac-check all)
 *   POST /api/v3/invoices                sign; PAC required; RequestId makes it idempotent
 *   GET  /api/v3/invoices/{requestId}    the stored result, 404 when unknown; PAC required
 * Every request first needs a taxpayer in the registry for the certificate's UID that is not
 * revoked (else 403 with an IIS-style HTML page, as TaxCore's front answers), then the PAC
 * (else 401 with a JSON message naming the PAC). Faults (faults.c) apply to the invoice calls
 * after authentication. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fh/fh_crypto.h"
#include "vsdc_internal.h"

#define JSON_CT "application/json; charset=utf-8"

const char *vsdc_http_header(const struct vsdc_http_req *rq, const char *name)
{
    for (size_t i = 0; i < rq->nheaders; i++)
        if (strcasecmp(rq->hname[i], name) == 0)
            return rq->hvalue[i];
    return NULL;
}

void vsdc_resp_set(struct vsdc_http_resp *rs, int status, const char *ctype, char *body)
{
    free(rs->body);
    rs->status = status;
    rs->content_type = ctype;
    rs->body = body;
    rs->body_len = body ? strlen(body) : 0;
}

char *vsdc_json_text(const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15) | JSON_ENCODE_ANY);
    char *out = fh_strdup(s ? s : "null");
    free(s);
    return out;
}

static void reply_json(struct vsdc_http_resp *rs, int status, json_t *j)
{
    vsdc_resp_set(rs, status, JSON_CT, vsdc_json_text(j));
    json_decref(j);
}

static void reply_message(struct vsdc_http_resp *rs, int status, const char *message)
{
    reply_json(rs, status, json_pack("{s:s}", "message", message));
}

static void forbidden(struct vsdc_http_resp *rs, const char *why)
{
    char *html = fh_asprintf("<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" "
                             "\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\r\n<html "
                             "xmlns=\"http://www.w3.org/1999/xhtml\">"
                             "<head><title>403 - Forbidden: Access is "
                             "denied.</title></head><body><div id=\"header\"><h1>Server Error"
                             "</h1></div><div id=\"content\"><div "
                             "class=\"content-container\"><fieldset><h2>403 - Forbidden: Access is "
                             "denied.</h2><h3>%s</h3></fieldset></div></div></body></html>\r\n",
                             why);
    vsdc_resp_set(rs, 403, "text/html", html);
    vsdc_stat_inc("rejected_cert");
}

static enum vsdc_lang language(const struct vsdc_http_req *rq)
{
    const char *al = vsdc_http_header(rq, "Accept-Language");
    if (al) {
        size_t n = strcspn(al, ",;");
        while (n > 0 && al[n - 1] == ' ')
            n--;
        if (n == 5 && strncasecmp(al, "en-US", 5) == 0)
            return VSDC_LANG_EN;
        if (n == 10 && strncasecmp(al, "sr-Cyrl-RS", 10) == 0)
            return VSDC_LANG_SR;
    }
    return vsdc_ctx.set.default_lang;
}

static bool pac_ok_or_reply(const struct vsdc_http_req *rq, struct vsdc_http_resp *rs,
                            const struct vsdc_taxpayer *tp)
{
    const char *pac = vsdc_http_header(rq, "PAC");
    if (pac && strlen(pac) < 64 && fh_const_eq(pac, tp->pac))
        return true;
    reply_message(rs, vsdc_ctx.set.o.bad_pac_status,
                  pac ? "PAC is not valid for this certificate." : "PAC header is required.");
    vsdc_stat_inc("rejected_pac");
    return false;
}

static json_t *languages(void)
{
    return json_pack("[s, s]", "en-US", "sr-Cyrl-RS");
}

static void status_get(const struct vsdc_http_req *rq, struct vsdc_http_resp *rs)
{
    char when[48];
    vsdc_format_sdc_time(fh_now_ms() * 1000, when, sizeof(when));
    json_t *all = json_array(), *current = NULL;
    pthread_rwlock_rdlock(&vsdc_ctx.groups_lock);
    for (size_t i = 0; i < vsdc_ctx.groups.n; i++)
        json_array_append_new(all, vsdc_tax_group_json(&vsdc_ctx.groups.groups[i]));
    const struct vsdc_tax_group *g = vsdc_tax_group_at(&vsdc_ctx.groups, fh_now_ms());
    current = g ? vsdc_tax_group_json(g) : json_null();
    pthread_rwlock_unlock(&vsdc_ctx.groups_lock);
    reply_json(rs, 200,
               json_pack("{s:s, s:o, s:s, s:s, s:o, s:o}", "sdcDateTime", when,
                         "supportedLanguages", languages(), "uid", rq->uid, "taxCoreApi",
                         vsdc_ctx.set.vsdc_url, "currentTaxRates", current, "allTaxRates", all));
}

static void environment_get(struct vsdc_http_resp *rs)
{
    const char *tz = vsdc_ctx.set.o.timezone;
    bool cet = strcmp(tz, "Europe/Belgrade") == 0;
    json_t *endpoints = json_pack("{s:s, s:s, s:s, s:s}", "taxpayerAdminPortal",
                                  vsdc_ctx.set.vsdc_url, "taxCoreApi", vsdc_ctx.set.vsdc_url,
                                  "vsdc", vsdc_ctx.set.vsdc_url, "root", vsdc_ctx.set.verify_root);
    reply_json(rs, 200,
               json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:n, s:s, s:o}", "organizationName",
                         "fiscalhub sandbox Tax Authority", "serverTimeZone",
                         cet ? "Central Europe Standard Time" : tz, "street", "1 Sandbox Street",
                         "city", "Belgrade", "country", "RS", "endpoints", endpoints,
                         "environmentName", "fiscalhub sandbox", "logo", "ntpServer",
                         "pool.ntp.org", "supportedLanguages", languages()));
}

/* RequestId: at most 32 characters from [A-Za-z0-9._~-] (they appear in a URL path). */
static bool request_id_ok_or_reply(const char *rid, struct vsdc_http_resp *rs)
{
    const char *code = strlen(rid) > VSDC_REQUEST_ID_MAX ? "2801" : NULL;
    for (const char *p = rid; !code && *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~-", *p))
            code = "2805";
    if (!code)
        return true;
    struct vsdc_errors errs = {0};
    vsdc_errors_add(&errs, code, "requestId");
    reply_json(rs, 400, vsdc_errors_json(&errs));
    vsdc_stat_inc("rejected_400");
    return false;
}

/* error_5xx, timeout and reset end the request before anything is signed. */
static bool pre_fault(const struct vsdc_fault_decision *fd, struct vsdc_http_resp *rs)
{
    char stat[48];
    if (fd->kind == VSDC_FAULT_NONE)
        return false;
    snprintf(stat, sizeof(stat), "faults_%s", vsdc_fault_name(fd->kind));
    vsdc_stat_inc(stat);
    if (fd->kind == VSDC_FAULT_5XX) {
        reply_message(rs, fd->status, "An error has occurred.");
        return true;
    }
    if (fd->kind == VSDC_FAULT_LOST || fd->kind == VSDC_FAULT_CUT)
        return false;
    rs->action = fd->kind == VSDC_FAULT_TIMEOUT ? VSDC_HOLD_CLOSE : VSDC_RESET;
    rs->hold_ms = fd->hold_ms;
    return true;
}

static void bad_request(struct vsdc_http_resp *rs, const struct vsdc_errors *errs)
{
    reply_json(rs, 400, vsdc_errors_json(errs));
    vsdc_stat_inc("rejected_400");
}

static void sign_invoice(const struct vsdc_http_req *rq, struct vsdc_http_resp *rs,
                         const struct vsdc_taxpayer *tp, const char *rid)
{
    struct vsdc_errors errs = {0};
    json_error_t jerr;
    json_t *root = json_loadb(rq->body ? rq->body : "", rq->body_len, JSON_DECODE_ANY, &jerr);
    if (!root) {
        vsdc_errors_add(&errs, "2806", "request");
        bad_request(rs, &errs);
        return;
    }
    struct vsdc_invoice_req req;
    bool stored = false;
    char *text = NULL;
    if (vsdc_request_parse(root, &vsdc_ctx.set.lim, &req, &errs) == FH_OK)
        text = vsdc_invoice_create(tp, &req, rid, rq->body, language(rq), &errs, &stored);
    vsdc_request_free(&req);
    json_decref(root);
    if (text) {
        vsdc_resp_set(rs, 200, JSON_CT, text);
        if (stored)
            vsdc_stat_inc("stored_results_returned");
    } else if (errs.n) {
        bad_request(rs, &errs);
    } else {
        reply_message(rs, 500, "An error has occurred.");
    }
}

static void invoices_post(const struct vsdc_http_req *rq, struct vsdc_http_resp *rs,
                          const struct vsdc_taxpayer *tp)
{
    vsdc_stat_inc("posts_received");
    const char *rid = vsdc_http_header(rq, "RequestId");
    if (rid && !*rid)
        rid = NULL;
    if (rid && !request_id_ok_or_reply(rid, rs))
        return;
    if (rid)
        vsdc_store_count_post(tp->uid, rid);
    struct vsdc_fault_decision fd;
    vsdc_faults_draw(tp->uid, true, &fd);
    if (fd.latency_ms > 0)
        fh_sleep_ms(fd.latency_ms);
    if (pre_fault(&fd, rs))
        return;
    char *text = NULL;
    if (rid && vsdc_store_find(tp->uid, rid, &text) == FH_OK) {
        vsdc_resp_set(rs, 200, JSON_CT, text);
        vsdc_stat_inc("stored_results_returned");
    } else {
        sign_invoice(rq, rs, tp, rid);
    }
    if (fd.kind == VSDC_FAULT_LOST)
        rs->action = VSDC_DROP;
    else if (fd.kind == VSDC_FAULT_CUT && rs->status == 200 && rs->body_len > 1)
        rs->body_len /= 2; /* signed; the answer ends halfway, its length saying so */
}

static void percent_decode(const char *in, char *out, size_t outsize)
{
    size_t k = 0;
    for (; *in && k + 1 < outsize; in++) {
        unsigned v;
        if (*in == '%' && in[1] && in[2] && sscanf(in + 1, "%2x", &v) == 1) {
            out[k++] = (char)v;
            in += 2;
        } else {
            out[k++] = *in;
        }
    }
    out[k] = '\0';
}

static void invoice_get(const char *raw_id, struct vsdc_http_resp *rs,
                        const struct vsdc_taxpayer *tp)
{
    vsdc_stat_inc("gets_received");
    struct vsdc_fault_decision fd;
    vsdc_faults_draw(tp->uid, false, &fd);
    if (pre_fault(&fd, rs))
        return;
    if (fd.kind == VSDC_FAULT_LOST) {
        rs->action = VSDC_DROP;
        return;
    }
    char rid[128];
    percent_decode(raw_id, rid, sizeof(rid));
    char *text = NULL;
    if (vsdc_store_find(tp->uid, rid, &text) == FH_OK)
        vsdc_resp_set(rs, 200, JSON_CT, text);
    else
        reply_message(rs, 404, "No invoice was signed for this RequestId.");
    if (fd.kind == VSDC_FAULT_CUT && rs->status == 200 && rs->body_len > 1)
        rs->body_len /= 2;
}

void vsdc_api_handle(const struct vsdc_http_req *rq, struct vsdc_http_resp *rs)
{
    memset(rs, 0, sizeof(*rs));
    rs->action = VSDC_SEND;
    struct vsdc_taxpayer tp;
    if (vsdc_registry_find(vsdc_ctx.pki.dir, rq->uid, &tp) != FH_OK) {
        forbidden(rs, "The client certificate is not registered with this V-SDC.");
        return;
    }
    if (tp.revoked) {
        forbidden(rs, "The client certificate has been revoked.");
        return;
    }
    bool get = strcmp(rq->method, "GET") == 0, post = strcmp(rq->method, "POST") == 0;
    bool pac_all = strcmp(vsdc_ctx.set.o.pac_check, "all") == 0;
    const char *p = rq->path;
    if (strcmp(p, "/api/v3/attention") == 0 && get) {
        vsdc_resp_set(rs, 200, JSON_CT, NULL);
    } else if (strcmp(p, "/api/v3/status") == 0 && get) {
        if (!pac_all || pac_ok_or_reply(rq, rs, &tp))
            status_get(rq, rs);
    } else if (strcmp(p, "/api/v3/environment-parameters") == 0 && get) {
        if (!pac_all || pac_ok_or_reply(rq, rs, &tp))
            environment_get(rs);
    } else if (strcmp(p, "/api/v3/invoices") == 0 && post) {
        if (pac_ok_or_reply(rq, rs, &tp))
            invoices_post(rq, rs, &tp);
    } else if (fh_starts_with(p, "/api/v3/invoices/") && p[17] && !strchr(p + 17, '/') && get) {
        if (pac_ok_or_reply(rq, rs, &tp))
            invoice_get(p + 17, rs, &tp);
    } else if (fh_starts_with(p, "/api/v3/")) {
        char *m = fh_asprintf(
            "No HTTP resource was found that matches the request URI '%.200s' with method %s.", p,
            rq->method);
        reply_message(rs, get || post ? 404 : 405, m);
        free(m);
    } else {
        reply_message(rs, 404, "Not found.");
    }
}
