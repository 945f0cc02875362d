/* state.c - the Stripe emulator's memory: one mutex over everything (stp.lock), the settings,
 * ids, products, prices and customers, reset and the demo data (fiscalhub's tiers).
 *
 * One test-mode account: every API call authenticates with its secret key. Objects are kept in
 * maps by id and in vectors in creation order (lists answer newest first, as Stripe does). The
 * objects a buyer creates (sessions, customers, subscriptions, invoices, portal sessions) count
 * against max_objects; past it, creating answers an error until a reset. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_crypto.h"
#include "stripe_internal.h"

struct stp_state stp = {.lock = PTHREAD_MUTEX_INITIALIZER};
static struct fh_stripe_opts opts;

void stp_lock(void)
{
    pthread_mutex_lock(&stp.lock);
}

void stp_unlock(void)
{
    pthread_mutex_unlock(&stp.lock);
}

int64_t stp_now(void)
{
    return fh_now_ms() / 1000;
}

void stp_id(const char *prefix, size_t n, char out[STP_ID])
{
    static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    size_t p = strlen(prefix);
    if (p + n >= STP_ID)
        n = STP_ID - p - 1;
    memcpy(out, prefix, p);
    for (size_t i = 0; i < n; i++)
        out[p + i] = alphabet[fh_random_uniform(62)];
    out[p + n] = '\0';
}

bool stp_room(void)
{
    if ((int64_t)stp.nobjects >= stp.set.max_objects)
        return false;
    stp.nobjects++;
    return true;
}

json_t *stp_meta_copy(const json_t *m)
{
    return json_is_object(m) ? json_deep_copy(m) : json_object();
}

static void default_settings(struct stp_settings *s, const char *public_url)
{
    memset(s, 0, sizeof(*s));
    s->time_scale = opts.time_scale > 0 ? opts.time_scale : 1;
    fh_strlcpy(s->public_url, public_url, sizeof(s->public_url));
    fh_strlcpy(s->secret_key,
               opts.secret_key ? opts.secret_key : "sk_test_fhsandbox_demo_secret_key",
               sizeof(s->secret_key));
    fh_strlcpy(s->publishable_key, "pk_test_fhsandbox_demo_publishable_key",
               sizeof(s->publishable_key));
    fh_strlcpy(s->account_id, "acct_1FhSandboxDemo01", sizeof(s->account_id));
    s->webhook_timeout_ms = 5000;
    s->webhook_attempts = 3;
    s->retry_base_s = 3600;
    s->stale_age_s = 600;
    s->session_lifetime_s = STP_DAY_S;
    s->portal_lifetime_s = 3600;
    s->max_objects = 100000;
}

/* ---- products and prices ---- */
static bool id_ok(const char *id, const char *prefix)
{
    size_t n = strlen(id);
    if (!fh_starts_with(id, prefix) || n <= strlen(prefix) || n >= STP_ID)
        return false;
    for (const char *p = id; *p; p++)
        if (!(*p == '_' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z')))
            return false;
    return true;
}

static bool str_field(json_t *spec, const char *key, size_t max, bool required, const char **out,
                      char *err, size_t errsize)
{
    json_t *v = json_object_get(spec, key);
    *out = NULL;
    if (!v && !required)
        return true;
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max) {
        snprintf(err, errsize, "%s must be a string of 1 to %zu characters", key, max);
        return false;
    }
    *out = json_string_value(v);
    return true;
}

static bool meta_field(json_t *spec, char *err, size_t errsize)
{
    json_t *m = json_object_get(spec, "metadata"), *v;
    const char *k;
    if (!m)
        return true;
    bool ok = json_is_object(m) && json_object_size(m) <= 50;
    json_object_foreach(m, k, v) ok =
        ok && strlen(k) <= 40 && json_is_string(v) && json_string_length(v) <= 500;
    if (!ok)
        snprintf(err, errsize,
                 "metadata is an object of at most 50 strings (keys up to 40, "
                 "values up to 500 characters)");
    return ok;
}

static void product_free(struct stp_product *p)
{
    free(p->name);
    free(p->description);
    json_decref(p->metadata);
    free(p);
}

static void price_free(struct stp_price *p)
{
    free(p->lookup_key);
    free(p->nickname);
    json_decref(p->metadata);
    free(p);
}

struct stp_product *stp_product_add(json_t *spec, char *err, size_t errsize)
{
    const char *id, *name, *desc;
    if (!str_field(spec, "id", STP_ID - 1, false, &id, err, errsize) ||
        !str_field(spec, "name", 250, true, &name, err, errsize) ||
        !str_field(spec, "description", 1000, false, &desc, err, errsize) ||
        !meta_field(spec, err, errsize))
        return NULL;
    if (id && (!id_ok(id, "prod_") || sb_map_get(&stp.products, id))) {
        snprintf(err, errsize, "id must be a new prod_... id of letters, digits and _");
        return NULL;
    }
    struct stp_product *p = fh_calloc(1, sizeof(*p));
    if (id)
        fh_strlcpy(p->id, id, sizeof(p->id));
    else
        stp_id("prod_", 14, p->id);
    p->name = fh_strdup(name);
    p->description = desc ? fh_strdup(desc) : NULL;
    p->metadata = stp_meta_copy(json_object_get(spec, "metadata"));
    p->active = true;
    p->created = stp_now();
    sb_map_put(&stp.products, p->id, p);
    sb_vec_push(&stp.product_list, p);
    return p;
}

static bool lookup_key_taken(const char *key)
{
    for (size_t i = 0; i < stp.price_list.n; i++) {
        const struct stp_price *p = stp.price_list.v[i];
        if (p->lookup_key && strcmp(p->lookup_key, key) == 0)
            return true;
    }
    return false;
}

static bool price_numbers(json_t *spec, int64_t *amount, int64_t *count, char *err, size_t errsize)
{
    json_t *a = json_object_get(spec, "unit_amount"), *c = json_object_get(spec, "interval_count");
    if (!json_is_integer(a) || json_integer_value(a) < 0 || json_integer_value(a) > 99999999LL) {
        snprintf(err, errsize, "unit_amount must be a whole number of minor units (0..99999999)");
        return false;
    }
    if (c && (!json_is_integer(c) || json_integer_value(c) < 1 || json_integer_value(c) > 12)) {
        snprintf(err, errsize, "interval_count must be 1..12");
        return false;
    }
    *amount = json_integer_value(a);
    *count = c ? json_integer_value(c) : 1;
    return true;
}

struct stp_price *stp_price_add(json_t *spec, char *err, size_t errsize)
{
    const char *id, *product, *currency, *interval, *lookup, *nickname;
    int64_t amount, count;
    if (!str_field(spec, "id", STP_ID - 1, false, &id, err, errsize) ||
        !str_field(spec, "product", STP_ID - 1, true, &product, err, errsize) ||
        !str_field(spec, "currency", 3, false, &currency, err, errsize) ||
        !str_field(spec, "interval", 5, true, &interval, err, errsize) ||
        !str_field(spec, "lookup_key", 200, false, &lookup, err, errsize) ||
        !str_field(spec, "nickname", 250, false, &nickname, err, errsize) ||
        !price_numbers(spec, &amount, &count, err, errsize) || !meta_field(spec, err, errsize))
        return NULL;
    struct stp_product *prod = sb_map_get(&stp.products, product);
    if (!prod) {
        snprintf(err, errsize, "no such product: %s", product);
        return NULL;
    }
    if (strcmp(interval, "day") != 0 && strcmp(interval, "week") != 0 &&
        strcmp(interval, "month") != 0 && strcmp(interval, "year") != 0) {
        snprintf(err, errsize, "interval must be day, week, month or year");
        return NULL;
    }
    if (currency && strlen(currency) != 3) {
        snprintf(err, errsize, "currency is a three-letter code");
        return NULL;
    }
    if ((id && (!id_ok(id, "price_") || sb_map_get(&stp.prices, id))) ||
        (lookup && lookup_key_taken(lookup))) {
        snprintf(err, errsize, "id (price_...) and lookup_key must be new");
        return NULL;
    }
    struct stp_price *p = fh_calloc(1, sizeof(*p));
    if (id)
        fh_strlcpy(p->id, id, sizeof(p->id));
    else
        stp_id("price_", 24, p->id);
    p->product = prod;
    for (int i = 0; i < 3; i++)
        p->currency[i] = (char)((currency ? currency : "eur")[i] | 0x20);
    p->unit_amount = amount;
    fh_strlcpy(p->interval, interval, sizeof(p->interval));
    p->interval_count = count;
    p->lookup_key = lookup ? fh_strdup(lookup) : NULL;
    p->nickname = nickname ? fh_strdup(nickname) : NULL;
    p->metadata = stp_meta_copy(json_object_get(spec, "metadata"));
    p->active = true;
    p->created = stp_now();
    if (!prod->default_price[0])
        fh_strlcpy(prod->default_price, p->id, sizeof(prod->default_price));
    sb_map_put(&stp.prices, p->id, p);
    sb_vec_push(&stp.price_list, p);
    return p;
}

struct stp_customer *stp_customer_add(const char *email, const char *name)
{
    struct stp_customer *c = fh_calloc(1, sizeof(*c));
    stp_id("cus_", 14, c->id);
    c->email = email && *email ? fh_strdup(email) : NULL;
    c->name = name && *name ? fh_strdup(name) : NULL;
    c->metadata = json_object();
    c->created = stp_now();
    sb_map_put(&stp.customers, c->id, c);
    sb_vec_push(&stp.customer_list, c);
    return c;
}

/* ---- reset, demo, life cycle ---- */
static void free_all(void)
{
    for (size_t i = 0; i < stp.session_list.n; i++) {
        struct stp_session *s = stp.session_list.v[i];
        free(s->success_url);
        free(s->cancel_url);
        free(s->client_reference_id);
        free(s->customer_email);
        json_decref(s->metadata);
        json_decref(s->sub_metadata);
        free(s);
    }
    for (size_t i = 0; i < stp.sub_list.n; i++) {
        struct stp_sub *s = stp.sub_list.v[i];
        json_decref(s->metadata);
        free(s);
    }
    for (size_t i = 0; i < stp.invoice_list.n; i++)
        free(stp.invoice_list.v[i]);
    for (size_t i = 0; i < stp.portal_list.n; i++) {
        struct stp_portal *p = stp.portal_list.v[i];
        free(p->return_url);
        free(p);
    }
    for (size_t i = 0; i < stp.customer_list.n; i++) {
        struct stp_customer *c = stp.customer_list.v[i];
        free(c->email);
        free(c->name);
        json_decref(c->metadata);
        free(c);
    }
    for (size_t i = 0; i < stp.price_list.n; i++)
        price_free(stp.price_list.v[i]);
    for (size_t i = 0; i < stp.product_list.n; i++)
        product_free(stp.product_list.v[i]);
    for (size_t i = 0; i < stp.idem.cap; i++) {
        if (!sb_map_live(&stp.idem, i))
            continue;
        struct stp_idem *e = stp.idem.vals[i];
        free(e->body);
        free(e);
    }
    struct sb_map *maps[] = {&stp.products, &stp.prices,   &stp.customers, &stp.sessions,
                             &stp.subs,     &stp.invoices, &stp.portals,   &stp.idem};
    for (size_t i = 0; i < FH_ARRAY_LEN(maps); i++)
        sb_map_free(maps[i]);
    struct sb_vec *vecs[] = {&stp.product_list, &stp.price_list, &stp.customer_list,
                             &stp.session_list, &stp.sub_list,   &stp.invoice_list,
                             &stp.portal_list};
    for (size_t i = 0; i < FH_ARRAY_LEN(vecs); i++)
        sb_vec_free(vecs[i]);
    stp.nobjects = 0;
}

/* fiscalhub's tiers: a per-seat price, monthly and yearly (ten months' worth). */
static void demo(void)
{
    static const struct {
        const char *tier, *name, *desc;
        int64_t month;
    } tiers[] = {
        {"starter", "fiscalhub Starter", "Basic sync (polling), per connection", 1900},
        {"growth", "fiscalhub Growth", "Near real-time sync, per connection", 4900},
        {"scale", "fiscalhub Scale", "Real-time sync, per connection", 9900},
    };
    char err[200];
    for (size_t i = 0; i < FH_ARRAY_LEN(tiers); i++) {
        json_t *ps = json_pack("{s:s++, s:s, s:s, s:{s:s}}", "id", "prod_fh_", tiers[i].tier, "",
                               "name", tiers[i].name, "description", tiers[i].desc, "metadata",
                               "tier", tiers[i].tier);
        struct stp_product *p = stp_product_add(ps, err, sizeof(err));
        json_decref(ps);
        for (int y = 0; p && y < 2; y++) {
            const char *iv = y ? "year" : "month";
            json_t *spec =
                json_pack("{s:s+++, s:s, s:I, s:s, s:s, s:s+, s:s+++, s:{s:s, s:s}}", "id",
                          "price_fh_", tiers[i].tier, "_", iv, "product", p->id, "unit_amount",
                          (json_int_t)(y ? tiers[i].month * 10 : tiers[i].month), "currency", "eur",
                          "interval", iv, "lookup_key", tiers[i].tier, y ? "_yearly" : "_monthly",
                          "nickname", tiers[i].name, " (", iv, ")", "metadata", "tier",
                          tiers[i].tier, "seats", "per_unit");
            if (!stp_price_add(spec, err, sizeof(err)))
                fh_log(FH_LOG_WARN, "stripe", "demo price: %s", err);
            json_decref(spec);
        }
    }
}

void stp_reset(bool with_demo)
{
    char url[sizeof(stp.set.public_url)];
    fh_strlcpy(url, stp.set.public_url, sizeof(url));
    default_settings(&stp.set, url);
    free_all();
    stp_events_reset();
    stp_wh_reset();
    stp.next_number = 1;
    if (with_demo) {
        demo();
        if (opts.demo_webhook_url) {
            char err[200];
            json_t *spec =
                json_pack("{s:s, s:s, s:s}", "url", opts.demo_webhook_url, "secret",
                          opts.demo_webhook_secret ? opts.demo_webhook_secret
                                                   : "whsec_fhsandbox_demo_webhook_secret",
                          "description", "fiscalhub (sandbox demo)");
            json_t *we = stp_wh_add(spec, err, sizeof(err));
            if (!we)
                fh_log(FH_LOG_WARN, "stripe", "demo webhook endpoint: %s", err);
            json_decref(we);
            json_decref(spec);
        }
    }
}

void stp_init(const struct fh_stripe_opts *o, const char *public_url)
{
    opts = *o;
    stp_lock();
    fh_strlcpy(stp.set.public_url, public_url, sizeof(stp.set.public_url));
    stp_reset(true);
    stp_unlock();
}

void stp_free(void)
{
    stp_lock();
    free_all();
    stp_events_reset();
    stp_unlock();
}
