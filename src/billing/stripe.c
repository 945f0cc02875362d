/* stripe.c - Stripe for buying seats online: webhook signature verification, Checkout sessions
 * and customer-portal sessions through the Stripe API (the sandbox emulator by default).
 *
 * Signatures (specs/other-platforms.md §4): "Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]";
 * the signed text is "<t>." + the raw body, HMAC-SHA256 keyed with the whole "whsec_..." secret,
 * lower-case hex, compared in constant time; any v1 may match (a secret being rolled); the
 * timestamp must be within FH_STRIPE_TOLERANCE_S of now. Unknown schemes (v0) are ignored.
 *
 * API calls are the only synchronous partner calls of the billing module: the user is
 * redirected to the URL they return. Each carries the secret key (never logged), an
 * Idempotency-Key, and the API version whose shapes the webhook code reads (2024-06-20). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing_internal.h"
#include "fh/fh_connector.h"
#include "fh/fh_crypto.h"

#define MAX_V1 8
#define STRIPE_VERSION "2024-06-20"
/* A Checkout Session stays open for 24 hours (Stripe's default expires_at). */
#define OPEN_SESSION_MS (24LL * 3600 * 1000)
/* How long a checkout start holds its organization's claim at most (a start whose process died
 * lets go after it); well above its Stripe calls' time limits. */
#define START_HOLD_MS (2LL * 60 * 1000)

static bool parse_t(const char *s, size_t n, int64_t *t)
{
    char b[24];
    if (n == 0 || n >= sizeof(b))
        return false;
    memcpy(b, s, n);
    b[n] = '\0';
    return fh_parse_i64(b, t) && *t > 0;
}

enum fh_stripe_sig fh_stripe_verify(const char *header, const char *body, size_t len,
                                    const char *secret, int64_t now, int64_t tolerance_s)
{
    if (!header || !*header)
        return FH_SIG_MISSING;
    int64_t t = 0;
    bool have_t = false;
    char v1[MAX_V1][65];
    int nv1 = 0;
    for (const char *p = header; *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n > 0 && *p == ' ')
            p++, n--;
        const char *eq = memchr(p, '=', n);
        if (eq) {
            size_t kl = (size_t)(eq - p), vl = n - kl - 1;
            if (kl == 1 && p[0] == 't')
                have_t = parse_t(eq + 1, vl, &t);
            else if (kl == 2 && memcmp(p, "v1", 2) == 0 && nv1 < MAX_V1 && vl < 65) {
                memcpy(v1[nv1], eq + 1, vl);
                v1[nv1++][vl] = '\0';
            }
        }
        p += n + (end ? 1 : 0);
        if (!end)
            break;
    }
    if (!have_t)
        return FH_SIG_MALFORMED;
    if (nv1 == 0)
        return FH_SIG_NO_V1;
    char ts[24];
    int tl = snprintf(ts, sizeof(ts), "%lld", (long long)t);
    char *msg = fh_malloc((size_t)tl + 1 + len + 1);
    memcpy(msg, ts, (size_t)tl);
    msg[tl] = '.';
    memcpy(msg + tl + 1, body, len);
    uint8_t mac[32];
    fh_hmac_sha256(secret, strlen(secret), msg, (size_t)tl + 1 + len, mac);
    free(msg);
    char want[65];
    for (int i = 0; i < 32; i++)
        snprintf(want + 2 * i, 3, "%02x", mac[i]);
    bool match = false;
    for (int i = 0; i < nv1; i++)
        match |= fh_const_eq(v1[i], want);
    sodium_memzero(want, sizeof(want));
    if (!match)
        return FH_SIG_MISMATCH;
    if (tolerance_s > 0 && (now - t > tolerance_s || t - now > tolerance_s))
        return FH_SIG_STALE;
    return FH_SIG_OK;
}

/* ---- API calls ---- */

static void form_add(struct fh_buf *b, const char *name, const char *value)
{
    if (b->len)
        fh_buf_append(b, "&", 1);
    fh_url_encode(b, name);
    fh_buf_append(b, "=", 1);
    fh_url_encode(b, value);
}

/* One call of stripe_call; *unread: a 2xx answer whose body could not be read. */
static enum fh_rc stripe_call_once(struct fh_app *app, const char *path, const char *form,
                                   const char *idem, json_t **reply, long *status, bool *unread,
                                   char *detail, size_t detailsize)
{
    *unread = false;
    const struct fh_config *cfg = app->cfg;
    char *url = fh_asprintf("%s/v1/%s", cfg->stripe_api_url, path);
    char *auth = fh_asprintf("Authorization: Bearer %s", cfg->stripe_secret_key);
    char *idem_h = fh_asprintf("Idempotency-Key: %s", idem ? idem : "");
    /* NULL-terminated: a GET ends at the Content-Type slot, a POST without a key at the next */
    const char *headers[] = {auth,
                             "Stripe-Version: " STRIPE_VERSION,
                             "Accept: application/json",
                             form ? "Content-Type: application/x-www-form-urlencoded" : NULL,
                             form && idem ? idem_h : NULL,
                             NULL};
    struct fh_http_request rq = {.method = form ? "POST" : "GET",
                                 .url = url,
                                 .headers = headers,
                                 .body = form,
                                 .body_len = form ? strlen(form) : 0,
                                 .timeout_ms = (long)cfg->stripe_timeout_ms,
                                 .max_response = 1024 * 1024};
    struct fh_http_response r = {0};
    enum fh_rc rc = fh_http_call(&rq, &r);
    sodium_memzero(auth, strlen(auth));
    free(auth);
    free(idem_h);
    free(url);
    *reply = NULL;
    if (status)
        *status = rc == FH_OK ? r.status : 0;
    if (rc != FH_OK) {
        snprintf(detail, detailsize,
                 "the Stripe API URL is not allowed (https, or http to a "
                 "loopback host)");
        return FH_E_RETRY;
    }
    json_t *j = r.body ? json_loads(r.body, 0, NULL) : NULL;
    if (r.status >= 200 && r.status < 300 && json_is_object(j)) {
        *reply = j;
    } else {
        const char *msg =
            json_string_value(json_object_get(json_object_get(j, "error"), "message"));
        if (r.status == 0)
            snprintf(detail, detailsize, "no answer from Stripe (%s)", r.error);
        else if ((*unread = r.status >= 200 && r.status < 300)) /* cut short, not Stripe's */
            snprintf(detail, detailsize,
                     "Stripe's answer (%ld) could not be read: its body is not a JSON object",
                     r.status);
        else if (r.status == 401)
            snprintf(detail, detailsize, "Stripe refused fiscalhub's API key (401)");
        else
            snprintf(detail, detailsize, "Stripe answered %ld: %.200s", r.status,
                     msg ? msg : "no error message");
        json_decref(j);
        rc = FH_E_RETRY;
    }
    fh_http_response_free(&r);
    return rc;
}

/* Calls <api>/v1/<path>: a POST of form (with idem as its Idempotency-Key), or a GET when form
 * is NULL; *reply receives the JSON object of a 2xx answer, *status (may be NULL) Stripe's
 * status (0: no answer). A POST whose 2xx answer could not be read (cut short) did what it asked
 * at Stripe: it is sent once more with the same key, and Stripe answers with what it made. */
static enum fh_rc stripe_call(struct fh_app *app, const char *path, const char *form,
                              const char *idem, json_t **reply, long *status, char *detail,
                              size_t detailsize)
{
    bool unread = false;
    enum fh_rc rc =
        stripe_call_once(app, path, form, idem, reply, status, &unread, detail, detailsize);
    if (rc == FH_E_RETRY && unread && form && idem) {
        const char *id = strchr(path, '/') ? strchr(strchr(path, '/') + 1, '/') : NULL;
        fh_log(FH_LOG_WARN, "stripe", "POST %.*s%s: %s; asked once more with its key",
               id ? (int)(id - path) : (int)strlen(path), path, id ? "/{id}" : "", detail);
        rc = stripe_call_once(app, path, form, idem, reply, status, &unread, detail, detailsize);
    }
    return rc;
}

/* The price id of tier and interval from FISCALHUB_STRIPE_PRICES; false when none. */
static bool price_of(const char *prices, enum fh_tier tier, const char *interval, char *out,
                     size_t outsize)
{
    char want[32];
    int wl = snprintf(want, sizeof(want), "%s_%s=", fh_tier_name(tier), interval);
    for (const char *p = prices ? prices : ""; *p;) {
        while (*p == ',' || *p == ' ')
            p++;
        size_t n = strcspn(p, ",");
        if (n > (size_t)wl && strncmp(p, want, (size_t)wl) == 0 && n - (size_t)wl < outsize) {
            memcpy(out, p + wl, n - (size_t)wl);
            out[n - (size_t)wl] = '\0';
            return true;
        }
        p += n;
    }
    return false;
}

bool billing_price_plan(const char *prices, const char *price, enum fh_tier *tier, char interval[8])
{
    static const enum fh_tier tiers[] = {FH_TIER_STARTER, FH_TIER_GROWTH, FH_TIER_SCALE};
    static const char *const intervals[] = {"month", "year"};
    char id[128];
    for (size_t t = 0; price && t < FH_ARRAY_LEN(tiers); t++)
        for (size_t i = 0; i < FH_ARRAY_LEN(intervals); i++)
            if (price_of(prices, tiers[t], intervals[i], id, sizeof(id)) &&
                strcmp(id, price) == 0) {
                *tier = tiers[t];
                fh_strlcpy(interval, intervals[i], 8);
                return true;
            }
    return false;
}

struct org_stripe {
    char code[32];
    char customer[64];
};

static enum fh_rc org_stripe_load(struct fh_store *st, int64_t org_id, struct org_stripe *o)
{
    memset(o, 0, sizeof(*o));
    struct fh_param p[] = {FH_PI(org_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT o.code, s.stripe_customer FROM organizations o LEFT JOIN "
                           "billing_subscriptions s ON s.org_id = o.id WHERE o.id = $1",
                           p, 1, &rows);
    if (qs > 0) {
        fh_strlcpy(o->code, fh_rows_get(&rows, 0, 0), sizeof(o->code));
        if (fh_rows_get(&rows, 0, 1))
            fh_strlcpy(o->customer, fh_rows_get(&rows, 0, 1), sizeof(o->customer));
    }
    fh_rows_free(&rows);
    return fh_qs_found_rc(qs);
}

static char *checkout_form(struct fh_app *app, const struct org_stripe *o, const char *email,
                           const char *price, enum fh_tier tier, int64_t seats)
{
    struct fh_buf f;
    fh_buf_init(&f, 16 * 1024);
    char n[24];
    snprintf(n, sizeof(n), "%lld", (long long)seats);
    char *ok = fh_asprintf("%s/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}",
                           app->cfg->public_url);
    char *cancel = fh_asprintf("%s/billing?checkout=canceled", app->cfg->public_url);
    form_add(&f, "mode", "subscription");
    form_add(&f, "line_items[0][price]", price);
    form_add(&f, "line_items[0][quantity]", n);
    form_add(&f, "success_url", ok);
    form_add(&f, "cancel_url", cancel);
    form_add(&f, "client_reference_id", o->code);
    form_add(&f, "metadata[org]", o->code);
    form_add(&f, "metadata[tier]", fh_tier_name(tier));
    form_add(&f, "metadata[seats]", n);
    form_add(&f, "subscription_data[metadata][org]", o->code);
    if (o->customer[0])
        form_add(&f, "customer", o->customer);
    else if (email && *email)
        form_add(&f, "customer_email", email);
    free(ok);
    free(cancel);
    return fh_buf_steal(&f);
}

/* Expires session id at Stripe (FH_OK also when it had expired already); FH_E_CONFLICT when
 * it was paid meanwhile (its checkout.session.completed may not have arrived yet). */
static enum fh_rc expire_session(struct fh_app *app, const char *id, char *detail,
                                 size_t detailsize)
{
    char path[300], idem[300];
    snprintf(path, sizeof(path), "checkout/sessions/%s/expire", id);
    snprintf(idem, sizeof(idem), "expire-%s", id);
    json_t *j = NULL;
    long status = 0;
    enum fh_rc rc = stripe_call(app, path, "", idem, &j, &status, detail, detailsize);
    if (rc != FH_OK && status == 400) { /* not open: expired or paid? */
        snprintf(path, sizeof(path), "checkout/sessions/%s", id);
        rc = stripe_call(app, path, NULL, NULL, &j, NULL, detail, detailsize);
    }
    const char *st = json_string_value(json_object_get(j, "status"));
    if (rc == FH_OK && !(st && strcmp(st, "expired") == 0)) {
        snprintf(detail, detailsize,
                 "an earlier checkout of this organization was just paid (Stripe session %s is "
                 "%s): its plan shows on the Billing page in a moment",
                 id, st ? st : "not open");
        rc = FH_E_CONFLICT;
    }
    json_decref(j);
    if (rc != FH_OK)
        return rc;
    struct fh_param p[] = {FH_PT(id), FH_PI(fh_now_ms())};
    return fh_qs_rc(fh_store_exec(
        app->store, "UPDATE stripe_checkouts SET expired_at = $2 WHERE session_id = $1", p, 2,
        NULL));
}

/* Before a new checkout: none while a subscription pays the plan (a second one would bill the
 * organization twice: seats and tier change in the customer portal), and the organization's
 * earlier sessions still open are expired, so that at most one can ever be paid. */
static enum fh_rc checkout_allowed(struct fh_app *app, int64_t org_id, char *detail,
                                   size_t detailsize)
{
    int64_t now = fh_billing_now(app->cfg);
    struct fh_plan plan;
    enum fh_rc rc = fh_billing_plan(app->store, app->cfg, org_id, now, &plan);
    if (rc != FH_OK)
        return rc;
    if (billing_stripe_running(&plan)) {
        char when[32];
        fh_time_fmt(plan.expires_at, when, sizeof(when));
        snprintf(detail, detailsize,
                 "the %s plan paid through Stripe runs until %s: change its seats or tier in the "
                 "customer portal",
                 fh_tier_label(plan.tier), when);
        return FH_E_LIMIT;
    }
    struct fh_param p[] = {FH_PI(org_id), FH_PI(fh_now_ms() - OPEN_SESSION_MS)};
    struct fh_rows rows;
    int qs = fh_store_exec(app->store,
                           "SELECT session_id FROM stripe_checkouts WHERE org_id = $1 AND "
                           "completed_at IS NULL AND expired_at IS NULL AND created_at > $2 "
                           "ORDER BY created_at",
                           p, 2, &rows);
    rc = fh_qs_rc(qs);
    for (size_t i = 0; rc == FH_OK && i < rows.nrows; i++)
        rc = expire_session(app, fh_rows_get(&rows, i, 0), detail, detailsize);
    fh_rows_free(&rows);
    return rc;
}

/* The organization's one checkout start at a time (0028-checkout-start.sql), taken at start
 * (FH_E_BUSY while another start holds it) and let go when it ends. */
static enum fh_rc start_claim(struct fh_store *st, int64_t org_id, int64_t started_at)
{
    struct fh_param p[] = {FH_PI(org_id), FH_PI(started_at), FH_PI(started_at - START_HOLD_MS)};
    struct fh_rows rows;
    int qs =
        fh_store_exec(st,
                      "INSERT INTO stripe_checkout_starts (org_id, started_at) VALUES ($1, $2) "
                      "ON CONFLICT (org_id) DO UPDATE SET started_at = excluded.started_at "
                      "WHERE stripe_checkout_starts.started_at < $3 RETURNING org_id",
                      p, 3, &rows);
    fh_rows_free(&rows);
    return qs == 0 ? FH_E_BUSY : fh_qs_rc(qs);
}

static void start_release(struct fh_store *st, int64_t org_id, int64_t started_at)
{
    struct fh_param p[] = {FH_PI(org_id), FH_PI(started_at)};
    if (fh_store_exec(st,
                      "DELETE FROM stripe_checkout_starts WHERE org_id = $1 AND started_at = $2", p,
                      2, NULL) < 0) /* it lapses after START_HOLD_MS */
        fh_log(FH_LOG_WARN, "stripe", "cannot end the checkout start of organization %lld",
               (long long)org_id);
}

/* Under the organization's start claim: earlier sessions expired, then the new one. */
static enum fh_rc checkout(struct fh_app *app, int64_t org_id, int64_t user_id, const char *email,
                           enum fh_tier tier, const char *interval, const char *price,
                           int64_t seats, char **url, char *detail, size_t detailsize)
{
    enum fh_rc rc = checkout_allowed(app, org_id, detail, detailsize);
    if (rc != FH_OK)
        return rc;
    struct org_stripe o;
    rc = org_stripe_load(app->store, org_id, &o);
    if (rc != FH_OK)
        return rc;
    char *form = checkout_form(app, &o, email, price, tier, seats);
    char idem[48];
    fh_random_token(18, idem, sizeof(idem));
    json_t *s = NULL;
    rc = stripe_call(app, "checkout/sessions", form, idem, &s, NULL, detail, detailsize);
    free(form);
    if (rc != FH_OK)
        return rc;
    const char *id = json_string_value(json_object_get(s, "id"));
    const char *u = json_string_value(json_object_get(s, "url"));
    if (!id || !u) {
        snprintf(detail, detailsize, "Stripe's session has no id or url");
        json_decref(s);
        return FH_E_RETRY;
    }
    struct fh_param p[] = {FH_PT(id),
                           FH_PI(org_id),
                           user_id ? FH_PI(user_id) : FH_PNULL,
                           FH_PT(fh_tier_name(tier)),
                           FH_PI(seats),
                           FH_PT(interval),
                           FH_PI(fh_now_ms())};
    int qs =
        fh_store_exec(app->store,
                      "INSERT INTO stripe_checkouts (session_id, org_id, user_id, tier, seats, "
                      "billing_interval, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                      "ON CONFLICT (session_id) DO NOTHING",
                      p, FH_ARRAY_LEN(p), NULL);
    if (qs >= 0)
        *url = fh_strdup(u);
    json_decref(s);
    return fh_qs_rc(qs);
}

enum fh_rc fh_stripe_checkout(struct fh_app *app, int64_t org_id, int64_t user_id,
                              const char *email, enum fh_tier tier, const char *interval,
                              int64_t seats, char **url, char *detail, size_t detailsize)
{
    *url = NULL;
    char price[128];
    if (!price_of(app->cfg->stripe_prices, tier, interval, price, sizeof(price))) {
        snprintf(detail, detailsize, "no Stripe price is configured for %s_%s", fh_tier_name(tier),
                 interval);
        return FH_E_INPUT;
    }
    int64_t started_at = fh_now_ms();
    enum fh_rc rc = start_claim(app->store, org_id, started_at);
    if (rc == FH_E_BUSY)
        snprintf(detail, detailsize,
                 "another checkout of this organization is being started at this moment; try "
                 "again in a few seconds");
    if (rc != FH_OK)
        return rc;
    rc = checkout(app, org_id, user_id, email, tier, interval, price, seats, url, detail,
                  detailsize);
    start_release(app->store, org_id, started_at);
    return rc;
}

enum fh_rc fh_stripe_portal(struct fh_app *app, int64_t org_id, char **url, char *detail,
                            size_t detailsize)
{
    *url = NULL;
    struct org_stripe o;
    enum fh_rc rc = org_stripe_load(app->store, org_id, &o);
    if (rc != FH_OK)
        return rc;
    if (!o.customer[0])
        return FH_E_NOTFOUND;
    struct fh_buf f;
    fh_buf_init(&f, 4096);
    char *back = fh_asprintf("%s/billing", app->cfg->public_url);
    form_add(&f, "customer", o.customer);
    form_add(&f, "return_url", back);
    free(back);
    char idem[48];
    fh_random_token(18, idem, sizeof(idem));
    json_t *s = NULL;
    rc = stripe_call(app, "billing_portal/sessions", f.data, idem, &s, NULL, detail, detailsize);
    fh_buf_free(&f);
    if (rc != FH_OK)
        return rc;
    const char *u = json_string_value(json_object_get(s, "url"));
    if (u)
        *url = fh_strdup(u);
    else
        snprintf(detail, detailsize, "Stripe's portal session has no url");
    json_decref(s);
    return u ? FH_OK : FH_E_RETRY;
}
