/* lifecycle.c - the two integration types of this module: Custom Integration ("custom": API
 * keys for the customer's own software) and Custom / Webhook ("webhook": outgoing events).
 * Neither has a consent step, so both are active as soon as they are created. Creating,
 * reconfiguring and removing each run in one transaction together with the
 * integration.status_changed event they cause.
 *
 * The endpoint: url (https, or http to a loopback host), the event types it receives, custom
 * headers (e.g. an Authorization token: the values are sealed under the master key and never
 * returned; only the names are shown) and the signing secret ("whsec_" + 32 random bytes, sealed:
 * fiscalhub needs it to sign, so it cannot be a hash), returned once at creation. */
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fh/fh_apikeys.h"
#include "fh/fh_auth.h"
#include "fh/fh_billing.h"
#include "fh/fh_connector.h"
#include "fh/fh_crypto.h"
#include "fh/fh_events.h"

#define URL_MAX 2000
#define HEADER_NAME_MAX 64
#define HEADER_VALUE_MAX 1024

static const char *const event_types[] = {FH_EVENT_INVOICE_FISCALIZED, FH_EVENT_INVOICE_FAILED,
                                          FH_EVENT_INTEGRATION_STATUS};

static enum fh_rc bad(struct fh_json_error *err, enum fh_ec ec, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum fh_rc bad(struct fh_json_error *err, enum fh_ec ec, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
    va_end(ap);
    err->ec = ec;
    return FH_E_INPUT;
}

static bool printable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static enum fh_rc check_url(json_t *v, const char *pre, struct fh_json_error *err)
{
    const char *url = json_string_value(v);
    if (!url)
        return bad(err, FH_EC_JSON_FIELD_TYPE, "%surl must be a string", pre);
    if (strlen(url) > URL_MAX)
        return bad(err, FH_EC_JSON_FIELD_TOO_LONG, "%surl is longer than %d bytes", pre, URL_MAX);
    if (!printable(url) || strchr(url, ' ') || !fh_http_url_allowed(url))
        return bad(err, FH_EC_WEBHOOK_URL, "%surl must be https (http only to a loopback host)",
                   pre);
    return FH_OK;
}

static enum fh_rc check_events(json_t *v, const char *pre, struct fh_json_error *err)
{
    if (!json_is_array(v))
        return bad(err, FH_EC_JSON_FIELD_TYPE, "%sevents must be an array", pre);
    if (json_array_size(v) == 0)
        return bad(err, FH_EC_JSON_FIELD_INVALID, "%sevents must name at least one event", pre);
    if (json_array_size(v) > FH_ARRAY_LEN(event_types))
        return bad(err, FH_EC_JSON_ARRAY_TOO_LONG, "%sevents has more than %zu elements", pre,
                   FH_ARRAY_LEN(event_types));
    size_t i, j;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        const char *s = json_string_value(e);
        bool known = false;
        for (j = 0; s && j < FH_ARRAY_LEN(event_types); j++)
            known |= strcmp(s, event_types[j]) == 0;
        if (!known)
            return bad(err, FH_EC_JSON_FIELD_INVALID,
                       "%sevents[%zu] must be invoice.fiscalized, invoice.failed or "
                       "integration.status_changed",
                       pre, i);
        for (j = 0; j < i; j++)
            if (strcmp(s, json_string_value(json_array_get(v, j))) == 0)
                return bad(err, FH_EC_JSON_FIELD_INVALID, "%sevents[%zu] is repeated", pre, i);
    }
    return FH_OK;
}

static bool header_name_ok(const char *n)
{
    static const char *const reserved[] = {
        "content-type", "content-length", "host", "transfer-encoding", "connection",
        "expect",       "user-agent",     "te",   "trailer",           "upgrade"};
    size_t len = strlen(n);
    if (len == 0 || len > HEADER_NAME_MAX ||
        strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                  "0123456789-_") != len)
        return false;
    if (strncasecmp(n, "fiscalhub-", 10) == 0)
        return false;
    for (size_t i = 0; i < FH_ARRAY_LEN(reserved); i++)
        if (strcasecmp(n, reserved[i]) == 0)
            return false;
    return true;
}

static enum fh_rc check_header(json_t *h, size_t i, bool create, const char *pre,
                               struct fh_json_error *err)
{
    if (!json_is_object(h))
        return bad(err, FH_EC_JSON_FIELD_TYPE, "%sheaders[%zu] must be an object", pre, i);
    const char *k;
    json_t *v;
    json_object_foreach(h, k, v)
    {
        if (strcmp(k, "name") != 0 && strcmp(k, "value") != 0)
            return bad(err, FH_EC_JSON_UNKNOWN_FIELD, "unknown field %sheaders[%zu].%.40s", pre, i,
                       k);
    }
    const char *name = json_string_value(json_object_get(h, "name"));
    json_t *value = json_object_get(h, "value");
    if (!name)
        return bad(err,
                   json_object_get(h, "name") ? FH_EC_JSON_FIELD_TYPE : FH_EC_JSON_FIELD_MISSING,
                   "%sheaders[%zu].name must be a string", pre, i);
    if (!header_name_ok(name))
        return bad(err, FH_EC_WEBHOOK_HEADER,
                   "%sheaders[%zu].name must be 1 to %d letters, digits, '-' or '_', and not a "
                   "header fiscalhub sets itself (Content-Type, Host, Fiscalhub-*, ...)",
                   pre, i, HEADER_NAME_MAX);
    if (!value || (json_is_null(value) && create))
        return bad(err, FH_EC_JSON_FIELD_MISSING, "%sheaders[%zu].value is required", pre, i);
    if (json_is_null(value))
        return FH_OK;
    const char *s = json_string_value(value);
    if (!s)
        return bad(err, FH_EC_JSON_FIELD_TYPE, "%sheaders[%zu].value must be a string", pre, i);
    bool ascii = true;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        ascii &= *p < 0x80;
    if (strlen(s) == 0 || strlen(s) > HEADER_VALUE_MAX || !printable(s) || !ascii)
        return bad(err, FH_EC_WEBHOOK_HEADER,
                   "%sheaders[%zu].value must be 1 to %d printable ASCII characters on one line",
                   pre, i, HEADER_VALUE_MAX);
    return FH_OK;
}

static enum fh_rc check_headers(json_t *v, bool create, const char *pre, struct fh_json_error *err)
{
    if (!json_is_array(v))
        return bad(err, FH_EC_JSON_FIELD_TYPE, "%sheaders must be an array", pre);
    if (json_array_size(v) > FH_WEBHOOK_MAX_HEADERS)
        return bad(err, FH_EC_JSON_ARRAY_TOO_LONG, "%sheaders has more than %d elements", pre,
                   FH_WEBHOOK_MAX_HEADERS);
    size_t i;
    json_t *h;
    json_array_foreach(v, i, h)
    {
        enum fh_rc rc = check_header(h, i, create, pre, err);
        if (rc != FH_OK)
            return rc;
        const char *name = json_string_value(json_object_get(h, "name"));
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(name,
                           json_string_value(json_object_get(json_array_get(v, j), "name"))) == 0)
                return bad(err, FH_EC_WEBHOOK_HEADER, "%sheaders[%zu].name is repeated", pre, i);
    }
    return FH_OK;
}

enum fh_rc fh_webhook_config_check(json_t *cfg, bool create, const char *pre,
                                   struct fh_json_error *err)
{
    memset(err, 0, sizeof(*err));
    if (!json_is_object(cfg))
        return bad(err, FH_EC_JSON_FIELD_MISSING, "%s",
                   create ? "settings with url and events is required"
                          : "a JSON object is required");
    const char *k;
    json_t *v;
    json_object_foreach(cfg, k, v)
    {
        if (strcmp(k, "url") != 0 && strcmp(k, "events") != 0 && strcmp(k, "headers") != 0)
            return bad(err, FH_EC_JSON_UNKNOWN_FIELD, "unknown field %s%.60s", pre, k);
    }
    if (create && !json_object_get(cfg, "url"))
        return bad(err, FH_EC_JSON_FIELD_MISSING, "%surl is required", pre);
    if (create && !json_object_get(cfg, "events"))
        return bad(err, FH_EC_JSON_FIELD_MISSING, "%sevents is required", pre);
    enum fh_rc rc = FH_OK;
    if ((v = json_object_get(cfg, "url")))
        rc = check_url(v, pre, err);
    if (rc == FH_OK && (v = json_object_get(cfg, "events")))
        rc = check_events(v, pre, err);
    if (rc == FH_OK && (v = json_object_get(cfg, "headers")))
        rc = check_headers(v, create, pre, err);
    return rc;
}

/* ---- storing ---- */

static char *events_text(json_t *events)
{
    struct fh_buf b;
    fh_buf_init(&b, 256);
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) fh_buf_appendf(&b, "%s%s", i ? "," : "", json_string_value(e));
    return fh_buf_steal(&b);
}

static char *header_names(json_t *headers)
{
    struct fh_buf b;
    fh_buf_init(&b, 2048);
    size_t i;
    json_t *h;
    json_array_foreach(headers, i, h)
        fh_buf_appendf(&b, "%s%s", i ? "," : "", json_string_value(json_object_get(h, "name")));
    return fh_buf_steal(&b);
}

/* Sealed JSON of a complete header list (every value a string); NULL for none. */
static char *seal_headers(const uint8_t *key, json_t *headers)
{
    if (!headers || json_array_size(headers) == 0)
        return NULL;
    char *plain = json_dumps(headers, JSON_COMPACT);
    char *sealed = fh_secret_seal(key, plain, strlen(plain));
    sodium_memzero(plain, strlen(plain));
    free(plain);
    return sealed;
}

static int insert_integration(struct fh_store *st, int64_t org_id, int64_t cert_id,
                              const char *type, int64_t now, char uid[16], int64_t *id)
{
    for (int i = 0; i < 5; i++) {
        fh_code_new("IN", uid, 16);
        struct fh_param p[] = {FH_PI(org_id), FH_PT(uid), FH_PT(type), FH_PI(now), FH_PI(cert_id)};
        struct fh_rows rows;
        int qs =
            fh_store_exec(st,
                          "INSERT INTO integrations (org_id, uid, type, status, created_at, "
                          "certificate_id, settings, connected_at, updated_at, sync_tier) "
                          "VALUES ($1, $2, $3, 'active', $4, $5, '{}', $4, $4, " FH_SYNC_TIER_SQL(
                              "$1") ") ON CONFLICT (uid) DO NOTHING RETURNING id",
                          p, FH_ARRAY_LEN(p), &rows);
        *id = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
        fh_rows_free(&rows);
        if (qs != 0)
            return qs;
    }
    return FH_QS_HARD;
}

struct create_ctx {
    struct fh_app *app;
    int64_t org_id, cert_id, now;
    const char *type;
    const char *url, *events, *names, *headers_sealed, *secret_sealed;
    char uid[16];
    enum fh_ec refused; /* no free seat: nothing inserted */
};

static int create_tx(struct fh_store *st, void *cls)
{
    struct create_ctx *c = cls;
    int64_t id = 0;
    int qs = fh_billing_seat_claim_tx(st, c->app->cfg, c->org_id, &c->refused);
    if (qs <= 0)
        return qs;
    qs = insert_integration(st, c->org_id, c->cert_id, c->type, c->now, c->uid, &id);
    if (qs <= 0)
        return qs < 0 ? qs : FH_QS_HARD;
    if (c->url) {
        struct fh_param p[] = {FH_PI(id),
                               FH_PI(c->org_id),
                               FH_PT(c->url),
                               FH_PT(c->events),
                               FH_PT(c->headers_sealed),
                               FH_PT(c->names),
                               FH_PT(c->secret_sealed),
                               FH_PI(c->now)};
        qs = fh_store_exec(st,
                           "INSERT INTO webhook_endpoints (integration_id, org_id, url, events, "
                           "headers_sealed, header_names, secret_sealed, created_at, updated_at) "
                           "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                           p, FH_ARRAY_LEN(p), NULL);
        if (qs <= 0)
            return qs < 0 ? qs : FH_QS_HARD;
    }
    qs = fh_events_integration_changed(st, id, NULL, c->now);
    return qs < 0 ? qs : 1;
}

/* The outcome of create_tx: FH_E_LIMIT when no seat was free. */
static enum fh_rc create_rc(int qs, const struct create_ctx *c)
{
    return qs >= 0 && c->refused ? FH_E_LIMIT : fh_qs_rc(qs);
}

enum fh_rc fh_custom_integration_create(struct fh_app *app, int64_t org_id, int64_t cert_id,
                                        char uid[16])
{
    struct create_ctx c = {
        .app = app, .org_id = org_id, .cert_id = cert_id, .now = fh_now_ms(), .type = "custom"};
    enum fh_rc rc = create_rc(fh_store_run_tx(app->store, create_tx, &c), &c);
    if (rc == FH_OK)
        fh_strlcpy(uid, c.uid, 16);
    return rc;
}

enum fh_rc fh_webhook_integration_create(struct fh_app *app, int64_t org_id, int64_t cert_id,
                                         json_t *cfg, char uid[16],
                                         char secret[FH_WEBHOOK_SECRET_SIZE])
{
    char token[48];
    memcpy(secret, "whsec_", 6);
    fh_random_token(32, token, sizeof(token));
    fh_strlcpy(secret + 6, token, FH_WEBHOOK_SECRET_SIZE - 6);
    sodium_memzero(token, sizeof(token));
    json_t *headers = json_object_get(cfg, "headers");
    char *events = events_text(json_object_get(cfg, "events"));
    char *names = header_names(headers);
    char *hs = seal_headers(app->master_key, headers);
    char *ss = fh_secret_seal(app->master_key, secret, strlen(secret));
    struct create_ctx c = {.app = app,
                           .org_id = org_id,
                           .cert_id = cert_id,
                           .now = fh_now_ms(),
                           .type = "webhook",
                           .url = json_string_value(json_object_get(cfg, "url")),
                           .events = events,
                           .names = names,
                           .headers_sealed = hs,
                           .secret_sealed = ss};
    enum fh_rc rc = create_rc(fh_store_run_tx(app->store, create_tx, &c), &c);
    free(events);
    free(names);
    free(hs);
    free(ss);
    if (rc == FH_OK)
        fh_strlcpy(uid, c.uid, 16);
    else
        sodium_memzero(secret, FH_WEBHOOK_SECRET_SIZE);
    return rc;
}

/* ---- update ---- */

/* The stored headers (opened), or an empty array. */
static json_t *stored_headers(struct fh_app *app, const char *sealed)
{
    uint8_t *plain = NULL;
    size_t len = 0;
    json_t *h = NULL;
    if (sealed && fh_secret_open(app->master_key, sealed, &plain, &len) == FH_OK) {
        h = json_loadb((const char *)plain, len, 0, NULL);
        sodium_memzero(plain, len);
        free(plain);
    }
    if (!json_is_array(h)) {
        json_decref(h);
        h = json_array();
    }
    return h;
}

/* The new header list: each given header, a null value taking the stored one of that name. */
static enum fh_rc merge_headers(json_t *given, json_t *stored, json_t **out,
                                struct fh_json_error *err)
{
    json_t *list = json_array();
    size_t i, j;
    json_t *h, *s;
    json_array_foreach(given, i, h)
    {
        const char *name = json_string_value(json_object_get(h, "name"));
        json_t *value = json_object_get(h, "value");
        if (json_is_null(value)) {
            value = NULL;
            json_array_foreach(
                stored, j,
                s) if (strcasecmp(name, json_string_value(json_object_get(s, "name")) ?: "") == 0)
                value = json_object_get(s, "value");
            if (!json_is_string(value)) {
                json_decref(list);
                return bad(err, FH_EC_JSON_FIELD_MISSING,
                           "headers[%zu].value is null but no header %.64s is stored", i, name);
            }
        }
        json_array_append_new(list, json_pack("{s:s, s:O}", "name", name, "value", value));
    }
    *out = list;
    return FH_OK;
}

struct update_ctx {
    int64_t id, now;
    const char *url, *events, *names, *headers_sealed;
    bool set_headers;
};

static int update_tx(struct fh_store *st, void *cls)
{
    struct update_ctx *c = cls;
    struct fh_param p[] = {FH_PI(c->id),
                           FH_PT(c->url),
                           FH_PT(c->events),
                           FH_PI(c->set_headers),
                           FH_PT(c->headers_sealed),
                           FH_PT(c->names),
                           FH_PI(c->now)};
    return fh_store_exec(st,
                         "UPDATE webhook_endpoints SET url = COALESCE($2, url), "
                         "events = COALESCE($3, events), "
                         "headers_sealed = CASE WHEN CAST($4 AS INTEGER) = 1 THEN $5 ELSE "
                         "headers_sealed END, "
                         "header_names = CASE WHEN CAST($4 AS INTEGER) = 1 THEN COALESCE($6, '') "
                         "ELSE header_names END, updated_at = $7 WHERE integration_id = $1",
                         p, FH_ARRAY_LEN(p), NULL);
}

static int load_sealed_headers(struct fh_store *st, int64_t id, char **sealed)
{
    struct fh_param p[] = {FH_PI(id)};
    struct fh_rows rows;
    int qs = fh_store_exec(
        st, "SELECT headers_sealed FROM webhook_endpoints WHERE integration_id = $1", p, 1, &rows);
    *sealed = qs > 0 && fh_rows_get(&rows, 0, 0) ? fh_strdup(fh_rows_get(&rows, 0, 0)) : NULL;
    fh_rows_free(&rows);
    return qs;
}

enum fh_rc fh_webhook_update(struct fh_app *app, int64_t integration_id, json_t *cfg,
                             struct fh_json_error *err)
{
    memset(err, 0, sizeof(*err));
    char *sealed = NULL;
    int qs = load_sealed_headers(app->store, integration_id, &sealed);
    if (qs <= 0)
        return fh_qs_found_rc(qs);
    json_t *given = json_object_get(cfg, "headers"), *merged = NULL;
    struct update_ctx c = {.id = integration_id,
                           .now = fh_now_ms(),
                           .url = json_string_value(json_object_get(cfg, "url")),
                           .set_headers = given != NULL};
    enum fh_rc rc = FH_OK;
    char *events = NULL, *names = NULL, *hs = NULL;
    if (given) {
        json_t *stored = stored_headers(app, sealed);
        rc = merge_headers(given, stored, &merged, err);
        json_decref(stored);
    }
    if (rc == FH_OK) {
        if (json_object_get(cfg, "events"))
            events = events_text(json_object_get(cfg, "events"));
        if (merged) {
            names = header_names(merged);
            hs = seal_headers(app->master_key, merged);
        }
        c.events = events;
        c.names = names;
        c.headers_sealed = hs;
        rc = fh_qs_rc(fh_store_run_tx(app->store, update_tx, &c));
    }
    json_decref(merged);
    free(sealed);
    free(events);
    free(names);
    free(hs);
    return rc;
}

/* "a,b,c" as ["a", "b", "c"], or with as_names [{"name": "a"}, ...]. */
static json_t *split_list(const char *text, bool as_names)
{
    json_t *out = json_array();
    for (const char *p = text ? text : ""; *p;) {
        size_t n = strcspn(p, ",");
        if (n > 0) {
            json_t *s = json_stringn(p, n);
            json_array_append_new(out, as_names ? json_pack("{s:o}", "name", s) : s);
        }
        p += n + (p[n] == ',');
    }
    return out;
}

enum fh_rc fh_webhook_endpoint_json(struct fh_store *st, int64_t integration_id, json_t **out)
{
    struct fh_param p[] = {FH_PI(integration_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT url, events, header_names, created_at, updated_at FROM "
                           "webhook_endpoints WHERE integration_id = $1",
                           p, 1, &rows);
    if (qs <= 0) {
        fh_rows_free(&rows);
        return fh_qs_found_rc(qs);
    }
    json_t *events = split_list(fh_rows_get(&rows, 0, 1), false);
    json_t *headers = split_list(fh_rows_get(&rows, 0, 2), true);
    char created[32], updated[32];
    fh_time_fmt(fh_rows_i64(&rows, 0, 3, 0), created, sizeof(created));
    fh_time_fmt(fh_rows_i64(&rows, 0, 4, 0), updated, sizeof(updated));
    *out = json_pack("{s:s, s:o, s:o, s:s, s:s}", "url", fh_rows_get(&rows, 0, 0) ?: "", "events",
                     events, "headers", headers, "created_at", created, "updated_at", updated);
    fh_rows_free(&rows);
    return FH_OK;
}

/* ---- remove ---- */

struct remove_ctx {
    const struct fh_queue_cfg *qcfg;
    int64_t id, org_id, now;
};

static int remove_tx(struct fh_store *st, void *cls)
{
    struct remove_ctx *c = cls;
    struct fh_param p[] = {FH_PI(c->id), FH_PI(c->now)};
    int qs = fh_events_integration_update(st, c->id,
                                          "UPDATE integrations SET status = 'removed', "
                                          "removed_at = $2, updated_at = $2 WHERE id = $1 AND "
                                          "status <> 'removed'",
                                          p, 2, c->now);
    if (qs <= 0)
        return qs;
    qs = fh_apikey_revoke_all(st, c->id, c->now);
    if (qs < 0)
        return qs;
    return fh_billing_release_soon(st, c->qcfg, c->org_id, c->now); /* a seat is free */
}

enum fh_rc fh_custom_integration_remove(struct fh_app *app, int64_t org_id, int64_t integration_id)
{
    struct remove_ctx c = {
        .qcfg = &app->qcfg, .id = integration_id, .org_id = org_id, .now = fh_now_ms()};
    return fh_qs_rc(fh_store_run_tx(app->store, remove_tx, &c));
}
