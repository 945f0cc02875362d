/* api_checkout.c - the Checkout and customer-portal endpoints:
 *   POST /v1/checkout/sessions                 create (mode=subscription only)
 *   GET  /v1/checkout/sessions                 list (customer, subscription, status)
 *   GET  /v1/checkout/sessions/{id}            retrieve (expand[]: line_items, subscription,
 *                                              customer)
 *   GET  /v1/checkout/sessions/{id}/line_items
 *   POST /v1/checkout/sessions/{id}/expire
 *   POST /v1/billing_portal/sessions           {customer, return_url} -> {url}
 * Validation happens under stp.lock into a struct stp_perr; the reply goes out after unlocking. */
#include <stdio.h>
#include <string.h>

#include "stripe_internal.h"

static const struct stp_pspec str_el[] = {{"", STP_P_STR, NULL}};
static const struct stp_pspec adjustable[] = {{"enabled", STP_P_BOOL, NULL},
                                              {"minimum", STP_P_INT, NULL},
                                              {"maximum", STP_P_INT, NULL},
                                              {NULL, STP_P_STR, NULL}};
static const struct stp_pspec item_fields[] = {{"price", STP_P_STR, NULL},
                                               {"quantity", STP_P_INT, NULL},
                                               {"adjustable_quantity", STP_P_OBJ, adjustable},
                                               {NULL, STP_P_STR, NULL}};
static const struct stp_pspec item[] = {{"", STP_P_OBJ, item_fields}};
static const struct stp_pspec sub_data[] = {{"metadata", STP_P_MAP, NULL}, {NULL, STP_P_STR, NULL}};

const struct stp_pspec stp_spec_session_create[] = {
    {"mode", STP_P_STR, NULL},
    {"line_items", STP_P_LIST, item},
    {"success_url", STP_P_STR, NULL},
    {"cancel_url", STP_P_STR, NULL},
    {"client_reference_id", STP_P_STR, NULL},
    {"customer", STP_P_STR, NULL},
    {"customer_email", STP_P_STR, NULL},
    {"metadata", STP_P_MAP, NULL},
    {"subscription_data", STP_P_OBJ, sub_data},
    {"payment_method_types", STP_P_LIST, str_el},
    {"expand", STP_P_LIST, str_el},
    {NULL, STP_P_STR, NULL},
};
const struct stp_pspec stp_spec_expand[] = {{"expand", STP_P_LIST, str_el},
                                            {NULL, STP_P_STR, NULL}};
const struct stp_pspec stp_spec_sessions_list[] = {
    {"limit", STP_P_INT, NULL},    {"starting_after", STP_P_STR, NULL},
    {"customer", STP_P_STR, NULL}, {"subscription", STP_P_STR, NULL},
    {"status", STP_P_STR, NULL},   {NULL, STP_P_STR, NULL},
};
const struct stp_pspec stp_spec_portal_create[] = {
    {"customer", STP_P_STR, NULL}, {"return_url", STP_P_STR, NULL}, {NULL, STP_P_STR, NULL}};

/* ---- create ---- */
static bool line_ok(json_t *li, size_t i, struct stp_line *out, struct stp_perr *e)
{
    char param[64];
    const char *price = sbj_str(li, "price");
    json_t *q = json_object_get(li, "quantity"), *adj = json_object_get(li, "adjustable_quantity");
    snprintf(param, sizeof(param), "line_items[%zu][price]", i);
    if (!price)
        return stp_fail(e, "parameter_missing", param, "Missing required param: %s.", param);
    out->price = sb_map_get(&stp.prices, price);
    if (!out->price || !out->price->active)
        return stp_fail(e, "resource_missing", param, "No such price: '%s'", price);
    snprintf(param, sizeof(param), "line_items[%zu][quantity]", i);
    if (!q)
        return stp_fail(e, "parameter_missing", param,
                        "Quantity is required. Add `quantity` to `line_items[%zu]`", i);
    out->quantity = json_integer_value(q);
    out->adjustable = json_is_true(json_object_get(adj, "enabled"));
    json_t *mn = json_object_get(adj, "minimum"), *mx = json_object_get(adj, "maximum");
    out->min = mn ? json_integer_value(mn) : 1;
    out->max = mx ? json_integer_value(mx) : 99;
    if (adj && !json_object_get(adj, "enabled"))
        return stp_fail(e, "parameter_missing", param,
                        "Missing required param: line_items[%zu][adjustable_quantity][enabled].",
                        i);
    if (out->min < 0 || out->max > 999999 || out->min > out->max)
        return stp_fail(e, NULL, param,
                        "adjustable_quantity needs 0 <= minimum <= maximum <= 999999");
    if (out->quantity < 1 || out->quantity > 999999 ||
        (out->adjustable && (out->quantity < out->min || out->quantity > out->max)))
        return stp_fail(e, NULL, param, "Invalid quantity: must be between %lld and %lld",
                        (long long)(out->adjustable ? out->min : 1),
                        (long long)(out->adjustable ? out->max : 999999));
    stp_id("li_", 24, out->id);
    return true;
}

static bool lines_ok(json_t *items, struct stp_session *s, struct stp_perr *e)
{
    if (json_array_size(items) == 0)
        return stp_fail(e, "parameter_missing", "line_items",
                        "Missing required param: line_items.");
    if (json_array_size(items) > STP_MAX_LINES)
        return stp_fail(e, NULL, "line_items", "The sandbox takes at most %d line items.",
                        STP_MAX_LINES);
    size_t i;
    json_t *li;
    json_array_foreach(items, i, li)
    {
        if (!line_ok(li, i, &s->lines[s->nlines], e))
            return false;
        const struct stp_price *a = s->lines[0].price, *b = s->lines[s->nlines].price;
        if (strcmp(a->currency, b->currency) != 0)
            return stp_fail(e, NULL, "line_items", "Checkout does not support mixed currencies.");
        if (strcmp(a->interval, b->interval) != 0 || a->interval_count != b->interval_count)
            return stp_fail(e, NULL, "line_items",
                            "All prices on a subscription must have the same "
                            "`recurring.interval` and `recurring.interval_count`.");
        s->nlines++;
    }
    memcpy(s->currency, s->lines[0].price->currency, sizeof(s->currency));
    return true;
}

static bool top_ok(json_t *p, struct stp_session *s, struct stp_perr *e)
{
    const char *mode = sbj_str(p, "mode"), *ok = sbj_str(p, "success_url"),
               *cancel = sbj_str(p, "cancel_url"), *ref = sbj_str(p, "client_reference_id"),
               *cus = sbj_str(p, "customer"), *email = sbj_str(p, "customer_email");
    size_t i;
    json_t *v;
    if (!mode)
        return stp_fail(e, "parameter_missing", "mode", "Missing required param: mode.");
    if (strcmp(mode, "subscription") != 0)
        return stp_fail(e, NULL, "mode",
                        strcmp(mode, "payment") == 0 || strcmp(mode, "setup") == 0
                            ? "The sandbox supports mode=subscription only."
                            : "Invalid mode: must be one of payment, setup, or subscription");
    if (!ok)
        return stp_fail(e, "parameter_missing", "success_url",
                        "Missing required param: success_url.");
    if (!stp_url_ok(ok) || (cancel && !stp_url_ok(cancel)))
        return stp_fail(e, "url_invalid", stp_url_ok(ok) ? "cancel_url" : "success_url",
                        "Not a valid URL");
    if (ref && strlen(ref) > 200)
        return stp_fail(e, NULL, "client_reference_id",
                        "Invalid string: must be at most 200 characters");
    if (cus && email)
        return stp_fail(e, NULL, "customer_email",
                        "You may only specify one of these parameters: customer, customer_email.");
    if (email && (!strchr(email, '@') || strlen(email) > 512))
        return stp_fail(e, "email_invalid", "customer_email", "Invalid email address: %s", email);
    if (cus && !(s->customer = sb_map_get(&stp.customers, cus)))
        return stp_fail(e, "resource_missing", "customer", "No such customer: '%s'", cus);
    json_array_foreach(json_object_get(p, "payment_method_types"), i,
                       v) if (strcmp(json_string_value(v), "card") !=
                              0) return stp_fail(e, NULL, "payment_method_types",
                                                 "The sandbox takes card only.");
    return true;
}

static void session_fill(json_t *p, struct stp_session *s)
{
    const char *cancel = sbj_str(p, "cancel_url"), *ref = sbj_str(p, "client_reference_id"),
               *email = sbj_str(p, "customer_email");
    stp_id("cs_test_", 58, s->id);
    sb_hex(16, s->csrf, sizeof(s->csrf), false);
    s->status = STP_S_OPEN;
    s->success_url = fh_strdup(sbj_str(p, "success_url"));
    s->cancel_url = cancel ? fh_strdup(cancel) : NULL;
    s->client_reference_id = ref ? fh_strdup(ref) : NULL;
    s->customer_email = email ? fh_strdup(email) : NULL;
    s->metadata = stp_meta_copy(json_object_get(p, "metadata"));
    s->sub_metadata =
        stp_meta_copy(json_object_get(json_object_get(p, "subscription_data"), "metadata"));
    s->created = stp_now();
    s->expires_at = s->created + stp.set.session_lifetime_s;
    sb_map_put(&stp.sessions, s->id, s);
    sb_vec_push(&stp.session_list, s);
}

enum fh_rc stp_session_create(struct stp_call *c)
{
    struct stp_perr e;
    unsigned expand;
    if (!stp_expand(c->params, STP_X_LINES | STP_X_SUB | STP_X_CUS, &expand, &e))
        return stp_perror(c, &e);
    struct stp_session *s = fh_calloc(1, sizeof(*s));
    stp_lock();
    bool ok = top_ok(c->params, s, &e) && lines_ok(json_object_get(c->params, "line_items"), s, &e);
    if (ok && !stp_room()) {
        ok =
            stp_fail(&e, "sandbox_limit", NULL, "The sandbox holds at most %lld objects; reset it.",
                     (long long)stp.set.max_objects);
    }
    json_t *out = NULL;
    if (ok) {
        session_fill(c->params, s);
        out = stp_r_session(s, expand);
        sb_stat_add(&stp_stats, "sessions", "created", 1);
    }
    stp_unlock();
    if (!ok) {
        free(s);
        return stp_perror(c, &e);
    }
    return stp_reply(c, 200, out);
}

/* ---- retrieve, list, expire ---- */
static struct stp_session *session_find(const char *id)
{
    struct stp_session *s = sb_map_get(&stp.sessions, id);
    if (s)
        stp_session_check_expiry(s);
    return s;
}

enum fh_rc stp_session_get(struct stp_call *c)
{
    struct stp_perr e;
    unsigned expand;
    if (!stp_expand(c->params, STP_X_LINES | STP_X_SUB | STP_X_CUS, &expand, &e))
        return stp_perror(c, &e);
    stp_lock();
    struct stp_session *s = session_find(c->seg[2]);
    json_t *out = s ? stp_r_session(s, expand) : NULL;
    stp_unlock();
    return out ? stp_reply(c, 200, out) : stp_missing(c, "checkout.session", c->seg[2]);
}

enum fh_rc stp_session_lines_get(struct stp_call *c)
{
    stp_lock();
    struct stp_session *s = session_find(c->seg[2]);
    json_t *out = s ? stp_r_session_lines(s) : NULL;
    stp_unlock();
    return out ? stp_reply(c, 200, out) : stp_missing(c, "checkout.session", c->seg[2]);
}

enum fh_rc stp_session_expire_post(struct stp_call *c)
{
    stp_lock();
    struct stp_session *s = session_find(c->seg[2]);
    bool open = s && s->status == STP_S_OPEN;
    if (open)
        stp_session_expire(s);
    json_t *out = s ? stp_r_session(s, 0) : NULL;
    stp_unlock();
    if (!out)
        return stp_missing(c, "checkout.session", c->seg[2]);
    if (!open) {
        json_decref(out);
        return stp_error(c, 400, NULL, NULL, NULL,
                         "Only Checkout Sessions with a status of `open` can be expired.");
    }
    return stp_reply(c, 200, out);
}

static bool session_keep(const void *obj, json_t *p)
{
    const struct stp_session *s = obj;
    const char *cus = sbj_str(p, "customer"), *sub = sbj_str(p, "subscription"),
               *status = sbj_str(p, "status");
    return (!cus || (s->customer && strcmp(s->customer->id, cus) == 0)) &&
           (!sub || (s->sub && strcmp(s->sub->id, sub) == 0)) &&
           (!status || strcmp(stp_session_status_name(s->status), status) == 0);
}

static json_t *session_render(const void *obj)
{
    return stp_r_session(obj, 0);
}

enum fh_rc stp_sessions_list(struct stp_call *c)
{
    return stp_list_reply(c, &stp.session_list, session_keep, session_render,
                          "/v1/checkout/sessions");
}

/* ---- customer portal ---- */
enum fh_rc stp_portal_create(struct stp_call *c)
{
    const char *cus = sbj_str(c->params, "customer"), *ret = sbj_str(c->params, "return_url");
    struct stp_perr e;
    json_t *out = NULL;
    stp_lock();
    struct stp_customer *customer = cus ? sb_map_get(&stp.customers, cus) : NULL;
    if (!cus)
        stp_fail(&e, "parameter_missing", "customer", "Missing required param: customer.");
    else if (!customer)
        stp_fail(&e, "resource_missing", "customer", "No such customer: '%s'", cus);
    else if (ret && !stp_url_ok(ret))
        stp_fail(&e, "url_invalid", "return_url", "Not a valid URL");
    else if (!stp_room())
        stp_fail(&e, "sandbox_limit", NULL, "The sandbox holds at most %lld objects; reset it.",
                 (long long)stp.set.max_objects);
    else {
        struct stp_portal *p = fh_calloc(1, sizeof(*p));
        stp_id("bps_", 24, p->id);
        sb_hex(16, p->csrf, sizeof(p->csrf), false);
        p->customer = customer;
        p->return_url = ret ? fh_strdup(ret) : NULL;
        p->created = stp_now();
        p->expires_at = p->created + stp.set.portal_lifetime_s;
        sb_map_put(&stp.portals, p->id, p);
        sb_vec_push(&stp.portal_list, p);
        out = stp_r_portal(p);
        sb_stat_add(&stp_stats, "portal", "sessions_created", 1);
    }
    stp_unlock();
    return out ? stp_reply(c, 200, out) : stp_perror(c, &e);
}
