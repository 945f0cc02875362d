/* api_objects.c - the endpoint table of the Stripe API front and the endpoints of the objects
 * a buyer's checkout leaves behind, and of the catalogue:
 *   GET    /v1/subscriptions[/{id}]   list (customer, status), retrieve
 *   POST   /v1/subscriptions/{id}     cancel_at_period_end, metadata, items[0][id|price|quantity]
 *                                     (a plan or seats change), proration_behavior (ignored)
 *   DELETE /v1/subscriptions/{id}     cancel now
 *   GET    /v1/customers[/{id}], /v1/invoices[/{id}], /v1/prices[/{id}], /v1/products[/{id}],
 *          /v1/events[/{id}]
 * Checkout sessions and portal sessions are in api_checkout.c. */
#include <stdio.h>
#include <string.h>

#include "stripe_internal.h"

static const struct stp_pspec str_el[] = {{"", STP_P_STR, NULL}};
static const struct stp_pspec none[] = {{NULL, STP_P_STR, NULL}};
#define LIST_FIELDS                                                                                \
    {"limit", STP_P_INT, NULL},                                                                    \
    {                                                                                              \
        "starting_after", STP_P_STR, NULL                                                          \
    }
#define END                                                                                        \
    {                                                                                              \
        NULL, STP_P_STR, NULL                                                                      \
    }

const struct stp_pspec stp_spec_list[] = {LIST_FIELDS, END};
static const struct stp_pspec subs_list[] = {LIST_FIELDS,
                                             {"customer", STP_P_STR, NULL},
                                             {"status", STP_P_STR, NULL},
                                             {"price", STP_P_STR, NULL},
                                             END};
static const struct stp_pspec item_update_fields[] = {
    {"id", STP_P_STR, NULL}, {"price", STP_P_STR, NULL}, {"quantity", STP_P_INT, NULL}, END};
static const struct stp_pspec item_update[] = {{"", STP_P_OBJ, item_update_fields}};
static const struct stp_pspec sub_update[] = {{"cancel_at_period_end", STP_P_BOOL, NULL},
                                              {"metadata", STP_P_MAP, NULL},
                                              {"items", STP_P_LIST, item_update},
                                              {"proration_behavior", STP_P_STR, NULL},
                                              END};
static const struct stp_pspec customers_list[] = {LIST_FIELDS, {"email", STP_P_STR, NULL}, END};
static const struct stp_pspec invoices_list[] = {LIST_FIELDS,
                                                 {"customer", STP_P_STR, NULL},
                                                 {"subscription", STP_P_STR, NULL},
                                                 {"status", STP_P_STR, NULL},
                                                 END};
static const struct stp_pspec prices_list[] = {LIST_FIELDS,
                                               {"active", STP_P_BOOL, NULL},
                                               {"product", STP_P_STR, NULL},
                                               {"type", STP_P_STR, NULL},
                                               {"lookup_keys", STP_P_LIST, str_el},
                                               END};
static const struct stp_pspec products_list[] = {LIST_FIELDS, {"active", STP_P_BOOL, NULL}, END};
static const struct stp_pspec events_list[] = {LIST_FIELDS, {"type", STP_P_STR, NULL}, END};

/* ---- lists ---- */
enum fh_rc stp_list_reply(struct stp_call *c, const struct sb_vec *v,
                          bool (*keep)(const void *obj, json_t *params),
                          json_t *(*render)(const void *obj), const char *url)
{
    json_t *lim = json_object_get(c->params, "limit");
    const char *after = sbj_str(c->params, "starting_after");
    if (lim && (json_integer_value(lim) < 1 || json_integer_value(lim) > 100))
        return stp_error(c, 400, NULL, NULL, "limit",
                         "This value must be greater than or equal to 1 and less than or equal "
                         "to 100.");
    size_t limit = lim ? (size_t)json_integer_value(lim) : 10;
    json_t *data = json_array();
    bool started = after == NULL, more = false;
    stp_lock();
    for (size_t k = v->n; k-- > 0;) {
        const void *obj = v->v[k];
        if (!started) {
            started = strcmp((const char *)obj, after) == 0;
            continue;
        }
        if (!keep(obj, c->params))
            continue;
        if (json_array_size(data) == limit) {
            more = true;
            break;
        }
        json_array_append_new(data, render(obj));
    }
    stp_unlock();
    return stp_reply(c, 200, stp_r_list(data, more, url));
}

static bool eq_opt(const char *want, const char *have)
{
    return !want || (have && strcmp(want, have) == 0);
}

/* ---- subscriptions ---- */
static json_t *sub_render(const void *o)
{
    return stp_r_sub(o);
}

static bool sub_keep(const void *obj, json_t *p)
{
    const struct stp_sub *s = obj;
    const char *status = sbj_str(p, "status"), *price = sbj_str(p, "price");
    bool has_price = !price;
    for (size_t i = 0; i < s->nitems && !has_price; i++)
        has_price = strcmp(s->items[i].price->id, price) == 0;
    bool status_ok =
        status ? strcmp(status, "all") == 0 || strcmp(status, stp_sub_status_name(s->status)) == 0
               : s->status != STP_SUB_CANCELED;
    return eq_opt(sbj_str(p, "customer"), s->customer->id) && status_ok && has_price;
}

static enum fh_rc subs_list_get(struct stp_call *c)
{
    return stp_list_reply(c, &stp.sub_list, sub_keep, sub_render, "/v1/subscriptions");
}

static enum fh_rc sub_get(struct stp_call *c)
{
    stp_lock();
    struct stp_sub *s = sb_map_get(&stp.subs, c->seg[1]);
    json_t *out = s ? stp_r_sub(s) : NULL;
    stp_unlock();
    return out ? stp_reply(c, 200, out) : stp_missing(c, "subscription", c->seg[1]);
}

/* An items[] change: which item, its new price and quantity (the current ones unless given). */
struct item_change {
    bool given;
    size_t index;
    struct stp_price *price;
    int64_t quantity;
};

static bool new_price_ok(const struct stp_sub *s, size_t index, const char *id,
                         struct item_change *ch, struct stp_perr *e)
{
    const char *param = "items[0][price]";
    ch->price = sb_map_get(&stp.prices, id);
    if (!ch->price || (!ch->price->active && ch->price != s->items[index].price))
        return stp_fail(e, "resource_missing", param, "No such price: '%s'", id);
    if (strcmp(ch->price->currency, s->currency) != 0)
        return stp_fail(e, NULL, param,
                        "The price's currency (%s) must be the subscription's currency (%s).",
                        ch->price->currency, s->currency);
    for (size_t i = 0; i < s->nitems; i++)
        if (i != index && (strcmp(s->items[i].price->interval, ch->price->interval) != 0 ||
                           s->items[i].price->interval_count != ch->price->interval_count))
            return stp_fail(e, NULL, param,
                            "All prices on a subscription must have the same "
                            "`recurring.interval` and `recurring.interval_count`.");
    return true;
}

/* items[0][id|price|quantity]: one existing item of s gets another price and/or quantity. */
static bool item_change_ok(json_t *items, const struct stp_sub *s, struct item_change *ch,
                           struct stp_perr *e)
{
    memset(ch, 0, sizeof(*ch));
    if (!items)
        return true;
    if (json_array_size(items) != 1)
        return stp_fail(e, NULL, "items", "The sandbox changes one subscription item per request.");
    json_t *it = json_array_get(items, 0), *q = json_object_get(it, "quantity");
    const char *id = sbj_str(it, "id"), *price = sbj_str(it, "price");
    if (!id)
        return stp_fail(e, "parameter_missing", "items[0][id]",
                        "Missing required param: items[0][id] (the sandbox changes an existing "
                        "item; it does not add one).");
    for (ch->index = 0; ch->index < s->nitems; ch->index++)
        if (strcmp(s->items[ch->index].id, id) == 0)
            break;
    if (ch->index == s->nitems)
        return stp_fail(e, "resource_missing", "items[0][id]", "No such subscription item: '%s'",
                        id);
    ch->price = s->items[ch->index].price;
    ch->quantity = q ? json_integer_value(q) : s->items[ch->index].quantity;
    if (price && !new_price_ok(s, ch->index, price, ch, e))
        return false;
    if (ch->quantity < 1 || ch->quantity > 999999)
        return stp_fail(e, NULL, "items[0][quantity]",
                        "Invalid quantity: must be between 1 and 999999");
    ch->given = true;
    return true;
}

/* Accepted and ignored: the sandbox never prorates (see billing.c). */
static bool proration_ok(const char *v, struct stp_perr *e)
{
    if (!v || strcmp(v, "create_prorations") == 0 || strcmp(v, "none") == 0 ||
        strcmp(v, "always_invoice") == 0)
        return true;
    return stp_fail(e, NULL, "proration_behavior",
                    "Invalid proration_behavior: must be one of create_prorations, none, or "
                    "always_invoice");
}

static enum fh_rc sub_post(struct stp_call *c)
{
    json_t *cape = json_object_get(c->params, "cancel_at_period_end"),
           *meta = json_object_get(c->params, "metadata");
    struct stp_perr err;
    struct item_change ch = {.given = false};
    if (!proration_ok(sbj_str(c->params, "proration_behavior"), &err))
        return stp_perror(c, &err);
    stp_lock();
    struct stp_sub *s = sb_map_get(&stp.subs, c->seg[1]);
    bool canceled = s && s->status == STP_SUB_CANCELED;
    bool ok = s && !canceled && item_change_ok(json_object_get(c->params, "items"), s, &ch, &err);
    if (ok && ch.given) /* checked first: a refused request changes nothing */
        stp_sub_update_item(s, ch.index, ch.price, ch.quantity);
    if (ok && cape)
        stp_sub_set_cancel_at_end(s, json_is_true(cape));
    if (ok && meta)
        stp_sub_set_metadata(s, json_incref(meta));
    json_t *out = ok ? stp_r_sub(s) : NULL;
    stp_unlock();
    if (canceled)
        return stp_error(c, 400, NULL, NULL, NULL,
                         "A canceled subscription can only update its cancellation_details "
                         "and metadata.");
    if (s && !ok)
        return stp_perror(c, &err);
    return out ? stp_reply(c, 200, out) : stp_missing(c, "subscription", c->seg[1]);
}

static enum fh_rc sub_delete(struct stp_call *c)
{
    stp_lock();
    struct stp_sub *s = sb_map_get(&stp.subs, c->seg[1]);
    bool canceled = s && s->status == STP_SUB_CANCELED;
    if (s && !canceled)
        stp_sub_cancel_now(s);
    json_t *out = s && !canceled ? stp_r_sub(s) : NULL;
    stp_unlock();
    if (canceled)
        return stp_error(c, 404, NULL, "resource_missing", "id",
                         "No such subscription: '%s' (it is canceled)", c->seg[1]);
    return out ? stp_reply(c, 200, out) : stp_missing(c, "subscription", c->seg[1]);
}

/* ---- customers, invoices ---- */
static json_t *customer_render(const void *o)
{
    return stp_r_customer(o);
}

static bool customer_keep(const void *obj, json_t *p)
{
    return eq_opt(sbj_str(p, "email"), ((const struct stp_customer *)obj)->email);
}

static enum fh_rc customers_list_get(struct stp_call *c)
{
    return stp_list_reply(c, &stp.customer_list, customer_keep, customer_render, "/v1/customers");
}

static enum fh_rc customer_get(struct stp_call *c)
{
    stp_lock();
    struct stp_customer *cu = sb_map_get(&stp.customers, c->seg[1]);
    json_t *out = cu ? stp_r_customer(cu) : NULL;
    stp_unlock();
    return out ? stp_reply(c, 200, out) : stp_missing(c, "customer", c->seg[1]);
}

static json_t *invoice_render(const void *o)
{
    return stp_r_invoice(o);
}

static bool invoice_keep(const void *obj, json_t *p)
{
    const struct stp_invoice *inv = obj;
    return eq_opt(sbj_str(p, "customer"), inv->customer->id) &&
           eq_opt(sbj_str(p, "subscription"), inv->sub ? inv->sub->id : NULL) &&
           eq_opt(sbj_str(p, "status"), stp_inv_status_name(inv->status));
}

static enum fh_rc invoices_list_get(struct stp_call *c)
{
    return stp_list_reply(c, &stp.invoice_list, invoice_keep, invoice_render, "/v1/invoices");
}

static enum fh_rc invoice_get(struct stp_call *c)
{
    stp_lock();
    struct stp_invoice *inv = sb_map_get(&stp.invoices, c->seg[1]);
    json_t *out = inv ? stp_r_invoice(inv) : NULL;
    stp_unlock();
    return out ? stp_reply(c, 200, out) : stp_missing(c, "invoice", c->seg[1]);
}

/* ---- prices, products ---- */
static json_t *price_render(const void *o)
{
    return stp_r_price(o);
}

static bool price_keep(const void *obj, json_t *p)
{
    const struct stp_price *pr = obj;
    json_t *active = json_object_get(p, "active"), *keys = json_object_get(p, "lookup_keys"), *k;
    const char *type = sbj_str(p, "type");
    bool key_ok = json_array_size(keys) == 0;
    size_t i;
    json_array_foreach(keys, i, k) key_ok =
        key_ok || (pr->lookup_key && strcmp(pr->lookup_key, json_string_value(k)) == 0);
    return (!active || json_is_true(active) == pr->active) &&
           eq_opt(sbj_str(p, "product"), pr->product->id) &&
           (!type || strcmp(type, "recurring") == 0) && key_ok;
}

static enum fh_rc prices_list_get(struct stp_call *c)
{
    return stp_list_reply(c, &stp.price_list, price_keep, price_render, "/v1/prices");
}

static enum fh_rc price_get(struct stp_call *c)
{
    stp_lock();
    struct stp_price *p = sb_map_get(&stp.prices, c->seg[1]);
    json_t *out = p ? stp_r_price(p) : NULL;
    stp_unlock();
    return out ? stp_reply(c, 200, out) : stp_missing(c, "price", c->seg[1]);
}

static json_t *product_render(const void *o)
{
    return stp_r_product(o);
}

static bool product_keep(const void *obj, json_t *p)
{
    json_t *active = json_object_get(p, "active");
    return !active || json_is_true(active) == ((const struct stp_product *)obj)->active;
}

static enum fh_rc products_list_get(struct stp_call *c)
{
    return stp_list_reply(c, &stp.product_list, product_keep, product_render, "/v1/products");
}

static enum fh_rc product_get(struct stp_call *c)
{
    stp_lock();
    struct stp_product *p = sb_map_get(&stp.products, c->seg[1]);
    json_t *out = p ? stp_r_product(p) : NULL;
    stp_unlock();
    return out ? stp_reply(c, 200, out) : stp_missing(c, "product", c->seg[1]);
}

/* ---- events ---- */
static enum fh_rc events_list_get(struct stp_call *c)
{
    json_t *lim = json_object_get(c->params, "limit");
    if (lim && (json_integer_value(lim) < 1 || json_integer_value(lim) > 100))
        return stp_error(c, 400, NULL, NULL, "limit",
                         "This value must be greater than or equal to 1 and less than or equal "
                         "to 100.");
    bool more;
    stp_lock();
    json_t *data =
        stp_events_list(sbj_str(c->params, "type"), lim ? (size_t)json_integer_value(lim) : 10,
                        sbj_str(c->params, "starting_after"), &more);
    stp_unlock();
    return stp_reply(c, 200, stp_r_list(data, more, "/v1/events"));
}

static enum fh_rc event_get(struct stp_call *c)
{
    stp_lock();
    json_t *out = stp_event_get(c->seg[1]);
    stp_unlock();
    return out ? stp_reply(c, 200, out) : stp_missing(c, "event", c->seg[1]);
}

/* ---- the table (api.c routes by it; "*" matches one id segment) ---- */
const struct stp_endpoint stp_endpoints[] = {
    {"POST", "checkout/sessions", stp_spec_session_create, stp_session_create},
    {"GET", "checkout/sessions", stp_spec_sessions_list, stp_sessions_list},
    {"GET", "checkout/sessions/*", stp_spec_expand, stp_session_get},
    {"GET", "checkout/sessions/*/line_items", stp_spec_list, stp_session_lines_get},
    {"POST", "checkout/sessions/*/expire", none, stp_session_expire_post},
    {"POST", "billing_portal/sessions", stp_spec_portal_create, stp_portal_create},
    {"GET", "subscriptions", subs_list, subs_list_get},
    {"GET", "subscriptions/*", none, sub_get},
    {"POST", "subscriptions/*", sub_update, sub_post},
    {"DELETE", "subscriptions/*", none, sub_delete},
    {"GET", "customers", customers_list, customers_list_get},
    {"GET", "customers/*", none, customer_get},
    {"GET", "invoices", invoices_list, invoices_list_get},
    {"GET", "invoices/*", none, invoice_get},
    {"GET", "prices", prices_list, prices_list_get},
    {"GET", "prices/*", none, price_get},
    {"GET", "products", products_list, products_list_get},
    {"GET", "products/*", none, product_get},
    {"GET", "events", events_list, events_list_get},
    {"GET", "events/*", none, event_get},
};
const size_t stp_nendpoints = FH_ARRAY_LEN(stp_endpoints);
