/* render.c - the Stripe emulator's objects as Stripe JSON, in the shapes of API version
 * 2024-06-20 (the last one with current_period_start/end on the subscription itself and
 * `subscription` on the invoice). Amounts are integers in minor units; times Unix seconds;
 * livemode is always false (a test-mode account). Fields the emulator has no model for are
 * left out rather than invented. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "stripe_internal.h"

static json_t *nullable_int(int64_t v)
{
    return v ? json_integer(v) : json_null();
}

void stp_money(int64_t minor, const char *currency, char *out, size_t n)
{
    char cur[4] = "";
    for (int i = 0; i < 3 && currency[i]; i++)
        cur[i] = (char)(currency[i] & ~0x20);
    int64_t a = minor < 0 ? -minor : minor;
    snprintf(out, n, "%s %s%lld.%02lld", cur, minor < 0 ? "-" : "", (long long)(a / 100),
             (long long)(a % 100));
}

void stp_date(int64_t unix_s, char *out, size_t n)
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, n, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

void stp_session_url(const struct stp_session *s, char *out, size_t n)
{
    snprintf(out, n, "%s/c/pay/%s", stp.set.public_url, s->id);
}

void stp_portal_url(const struct stp_portal *p, char *out, size_t n)
{
    snprintf(out, n, "%s/p/session/%s", stp.set.public_url, p->id);
}

json_t *stp_r_list(json_t *data, bool has_more, const char *url)
{
    return json_pack("{s:s, s:o, s:b, s:s}", "object", "list", "data", data, "has_more", has_more,
                     "url", url);
}

json_t *stp_r_product(const struct stp_product *p)
{
    return json_pack("{s:s, s:s, s:b, s:I, s:o, s:o, s:[], s:b, s:O, s:s, s:s, s:I, s:n}", "id",
                     p->id, "object", "product", "active", p->active, "created",
                     (json_int_t)p->created, "default_price",
                     sbj_nullable(p->default_price[0] ? p->default_price : NULL), "description",
                     sbj_nullable(p->description), "images", "livemode", 0, "metadata", p->metadata,
                     "name", p->name, "type", "service", "updated", (json_int_t)p->created, "url");
}

json_t *stp_r_price(const struct stp_price *p)
{
    char dec[24];
    snprintf(dec, sizeof(dec), "%lld", (long long)p->unit_amount);
    return json_pack("{s:s, s:s, s:b, s:s, s:I, s:s, s:n, s:b, s:o, s:O, s:o, s:s, "
                     "s:{s:n, s:s, s:I, s:n, s:s}, s:s, s:n, s:n, s:s, s:I, s:s}",
                     "id", p->id, "object", "price", "active", p->active, "billing_scheme",
                     "per_unit", "created", (json_int_t)p->created, "currency", p->currency,
                     "custom_unit_amount", "livemode", 0, "lookup_key", sbj_nullable(p->lookup_key),
                     "metadata", p->metadata, "nickname", sbj_nullable(p->nickname), "product",
                     p->product->id, "recurring", "aggregate_usage", "interval", p->interval,
                     "interval_count", (json_int_t)p->interval_count, "trial_period_days",
                     "usage_type", "licensed", "tax_behavior", "unspecified", "tiers_mode",
                     "transform_quantity", "type", "recurring", "unit_amount",
                     (json_int_t)p->unit_amount, "unit_amount_decimal", dec);
}

json_t *stp_r_customer(const struct stp_customer *c)
{
    return json_pack("{s:s, s:s, s:i, s:I, s:n, s:b, s:n, s:o, s:b, s:O, s:o}", "id", c->id,
                     "object", "customer", "balance", 0, "created", (json_int_t)c->created,
                     "currency", "delinquent", 0, "description", "email", sbj_nullable(c->email),
                     "livemode", 0, "metadata", c->metadata, "name", sbj_nullable(c->name));
}

static void line_description(const struct stp_line *l, char *out, size_t n)
{
    char price[40];
    stp_money(l->price->unit_amount, l->price->currency, price, sizeof(price));
    snprintf(out, n, "%lld × %s (at %s / %s)", (long long)l->quantity, l->price->product->name,
             price, l->price->interval);
}

json_t *stp_r_session_lines(const struct stp_session *s)
{
    json_t *data = json_array();
    for (size_t i = 0; i < s->nlines; i++) {
        const struct stp_line *l = &s->lines[i];
        int64_t amount = l->price->unit_amount * l->quantity;
        json_array_append_new(
            data, json_pack("{s:s, s:s, s:i, s:I, s:i, s:I, s:s, s:s, s:o, s:I}", "id", l->id,
                            "object", "item", "amount_discount", 0, "amount_subtotal",
                            (json_int_t)amount, "amount_tax", 0, "amount_total", (json_int_t)amount,
                            "currency", l->price->currency, "description", l->price->product->name,
                            "price", stp_r_price(l->price), "quantity", (json_int_t)l->quantity));
    }
    char url[STP_ID + 40];
    snprintf(url, sizeof(url), "/v1/checkout/sessions/%s/line_items", s->id);
    return stp_r_list(data, false, url);
}

static json_t *session_refs(const struct stp_session *s, unsigned expand, json_t *o)
{
    json_t *cus = json_null(), *sub = json_null();
    if (s->customer)
        cus = expand & STP_X_CUS ? stp_r_customer(s->customer) : json_string(s->customer->id);
    if (s->sub)
        sub = expand & STP_X_SUB ? stp_r_sub(s->sub) : json_string(s->sub->id);
    json_object_set_new(o, "customer", cus);
    json_object_set_new(o, "subscription", sub);
    json_object_set_new(o, "invoice", s->invoice ? json_string(s->invoice->id) : json_null());
    json_object_set_new(o, "customer_details",
                        s->customer && s->status == STP_S_COMPLETE
                            ? json_pack("{s:o, s:o}", "email", sbj_nullable(s->customer->email),
                                        "name", sbj_nullable(s->customer->name))
                            : json_null());
    if (expand & STP_X_LINES)
        json_object_set_new(o, "line_items", stp_r_session_lines(s));
    return o;
}

json_t *stp_r_session(const struct stp_session *s, unsigned expand)
{
    char url[512];
    stp_session_url(s, url, sizeof(url));
    int64_t total = stp_lines_total(s->lines, s->nlines);
    json_t *o = json_pack(
        "{s:s, s:s, s:I, s:I, s:o, s:o, s:I, s:s, s:o, s:I, s:b, s:O, s:s, s:[s], s:s, s:s, "
        "s:o, s:o}",
        "id", s->id, "object", "checkout.session", "amount_subtotal", (json_int_t)total,
        "amount_total", (json_int_t)total, "cancel_url", sbj_nullable(s->cancel_url),
        "client_reference_id", sbj_nullable(s->client_reference_id), "created",
        (json_int_t)s->created, "currency", s->currency, "customer_email",
        sbj_nullable(s->customer_email), "expires_at", (json_int_t)s->expires_at, "livemode", 0,
        "metadata", s->metadata, "mode", "subscription", "payment_method_types", "card",
        "payment_status", s->paid ? "paid" : "unpaid", "status", stp_session_status_name(s->status),
        "success_url", sbj_nullable(s->success_url), "url",
        s->status == STP_S_OPEN ? json_string(url) : json_null());
    return session_refs(s, expand, o);
}

json_t *stp_r_sub_items(const struct stp_sub *s)
{
    json_t *data = json_array();
    for (size_t i = 0; i < s->nitems; i++)
        json_array_append_new(
            data, json_pack("{s:s, s:s, s:I, s:{}, s:o, s:I, s:s}", "id", s->items[i].id, "object",
                            "subscription_item", "created", (json_int_t)s->created, "metadata",
                            "price", stp_r_price(s->items[i].price), "quantity",
                            (json_int_t)s->items[i].quantity, "subscription", s->id));
    char url[STP_ID + 48];
    snprintf(url, sizeof(url), "/v1/subscription_items?subscription=%s", s->id);
    json_t *list = stp_r_list(data, false, url);
    json_object_set_new(list, "total_count", json_integer((json_int_t)s->nitems));
    return list;
}

json_t *stp_r_sub(const struct stp_sub *s)
{
    json_t *o = json_pack(
        "{s:s, s:s, s:I, s:o, s:b, s:o, s:s, s:I, s:s, s:I, s:I, s:s, s:o, s:o, s:o, s:b, s:O, "
        "s:I, s:s, s:n, s:n}",
        "id", s->id, "object", "subscription", "billing_cycle_anchor", (json_int_t)s->anchor,
        "cancel_at", nullable_int(s->cancel_at), "cancel_at_period_end", s->cancel_at_period_end,
        "canceled_at", nullable_int(s->canceled_at), "collection_method", "charge_automatically",
        "created", (json_int_t)s->created, "currency", s->currency, "current_period_end",
        (json_int_t)s->period_end, "current_period_start", (json_int_t)s->period_start, "customer",
        s->customer->id, "ended_at", nullable_int(s->ended_at), "items", stp_r_sub_items(s),
        "latest_invoice", s->latest_invoice ? json_string(s->latest_invoice->id) : json_null(),
        "livemode", 0, "metadata", s->metadata, "start_date", (json_int_t)s->start_date, "status",
        stp_sub_status_name(s->status), "trial_end", "trial_start");
    if (s->nitems == 1)
        json_object_set_new(o, "quantity", json_integer((json_int_t)s->items[0].quantity));
    return o;
}

static json_t *invoice_lines(const struct stp_invoice *inv)
{
    json_t *data = json_array();
    for (size_t i = 0; i < inv->nlines; i++) {
        const struct stp_line *l = &inv->lines[i];
        char desc[300];
        line_description(l, desc, sizeof(desc));
        const char *si = inv->sub && i < inv->sub->nitems ? inv->sub->items[i].id : NULL;
        json_array_append_new(
            data,
            json_pack("{s:s, s:s, s:I, s:s, s:s, s:{}, s:{s:I, s:I}, s:o, s:b, s:I, s:o, s:o, "
                      "s:s}",
                      "id", l->id, "object", "line_item", "amount",
                      (json_int_t)(l->price->unit_amount * l->quantity), "currency", inv->currency,
                      "description", desc, "metadata", "period", "start",
                      (json_int_t)inv->line_start, "end", (json_int_t)inv->line_end, "price",
                      stp_r_price(l->price), "proration", 0, "quantity", (json_int_t)l->quantity,
                      "subscription", sbj_nullable(inv->sub ? inv->sub->id : NULL),
                      "subscription_item", sbj_nullable(si), "type", "subscription"));
    }
    char url[STP_ID + 32];
    snprintf(url, sizeof(url), "/v1/invoices/%s/lines", inv->id);
    json_t *list = stp_r_list(data, false, url);
    json_object_set_new(list, "total_count", json_integer((json_int_t)inv->nlines));
    return list;
}

json_t *stp_r_invoice(const struct stp_invoice *inv)
{
    bool paid = inv->status == STP_INV_PAID;
    return json_pack(
        "{s:s, s:s, s:I, s:I, s:I, s:I, s:b, s:s, s:s, s:I, s:s, s:s, s:o, s:n, s:o, s:b, s:{}, "
        "s:o, s:s, s:b, s:I, s:I, s:s, s:{s:I, s:o}, s:o, s:I, s:I}",
        "id", inv->id, "object", "invoice", "amount_due", (json_int_t)inv->amount_due,
        "amount_paid", (json_int_t)inv->amount_paid, "amount_remaining",
        (json_int_t)(inv->amount_due - inv->amount_paid), "attempt_count",
        (json_int_t)inv->attempt_count, "attempted", inv->attempt_count > 0, "billing_reason",
        inv->billing_reason, "collection_method", "charge_automatically", "created",
        (json_int_t)inv->created, "currency", inv->currency, "customer", inv->customer->id,
        "customer_email", sbj_nullable(inv->customer->email), "hosted_invoice_url", "lines",
        invoice_lines(inv), "livemode", 0, "metadata", "next_payment_attempt",
        nullable_int(paid ? 0 : inv->next_attempt), "number", inv->number, "paid", paid,
        "period_end", (json_int_t)inv->period_end, "period_start", (json_int_t)inv->period_start,
        "status", stp_inv_status_name(inv->status), "status_transitions", "finalized_at",
        (json_int_t)inv->created, "paid_at", nullable_int(inv->paid_at), "subscription",
        sbj_nullable(inv->sub ? inv->sub->id : NULL), "subtotal", (json_int_t)inv->amount_due,
        "total", (json_int_t)inv->amount_due);
}

json_t *stp_r_portal(const struct stp_portal *p)
{
    char url[512];
    stp_portal_url(p, url, sizeof(url));
    return json_pack("{s:s, s:s, s:s, s:I, s:s, s:n, s:b, s:n, s:n, s:o, s:s}", "id", p->id,
                     "object", "billing_portal.session", "configuration", "bpc_1FhSandboxDefault",
                     "created", (json_int_t)p->created, "customer", p->customer->id, "flow",
                     "livemode", 0, "locale", "on_behalf_of", "return_url",
                     sbj_nullable(p->return_url), "url", url);
}
