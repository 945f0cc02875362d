/* billing.c - what happens to checkout sessions, subscriptions and invoices, and the events
 * each step emits (caller holds stp.lock):
 *   pay a session      customer (new unless given), subscription (active, first period from
 *                      now), first invoice (paid, billing_reason subscription_create); events
 *                      customer.created, customer.subscription.created, invoice.paid,
 *                      invoice.payment_succeeded, checkout.session.completed
 *   advance            the subscription's clock jumps to its period end: a renewal invoice
 *                      (subscription_cycle) for the next period, paid -> invoice.paid,
 *                      invoice.payment_succeeded, customer.subscription.updated; failed ->
 *                      invoice.payment_failed, customer.subscription.updated (past_due); a
 *                      subscription set to cancel at period end ends instead
 *                      (customer.subscription.deleted)
 *   cancel             now (deleted) or at period end (updated, cancel_at_period_end)
 *   update an item     another price and/or quantity for one item (the portal's "Update plan",
 *                      POST /v1/subscriptions/{id} items[0]): updated, previous_attributes
 *                      {items, quantity}; no proration invoice items, the period stays, the
 *                      next renewal bills the new price x quantity (and follows its interval)
 * Periods follow the billing cycle anchor: a month after Jan 31 is the last day of February. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "stripe_internal.h"

const char *stp_session_status_name(enum stp_session_status s)
{
    return s == STP_S_OPEN ? "open" : s == STP_S_COMPLETE ? "complete" : "expired";
}

const char *stp_sub_status_name(enum stp_sub_status s)
{
    return s == STP_SUB_ACTIVE ? "active" : s == STP_SUB_PAST_DUE ? "past_due" : "canceled";
}

const char *stp_inv_status_name(enum stp_inv_status s)
{
    return s == STP_INV_OPEN ? "open" : s == STP_INV_PAID ? "paid" : "void";
}

int64_t stp_lines_total(const struct stp_line *l, size_t n)
{
    int64_t t = 0;
    for (size_t i = 0; i < n; i++)
        t += l[i].price->unit_amount * l[i].quantity;
    return t;
}

static int days_in_month(int year, int mon)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return mon == 1 && leap ? 29 : d[mon];
}

int64_t stp_add_interval(int64_t anchor, int64_t from, const char *interval, int64_t count)
{
    if (strcmp(interval, "day") == 0)
        return from + count * STP_DAY_S;
    if (strcmp(interval, "week") == 0)
        return from + count * 7 * STP_DAY_S;
    int64_t months = strcmp(interval, "year") == 0 ? 12 * count : count;
    time_t ta = (time_t)anchor, tf = (time_t)from;
    struct tm a, f;
    gmtime_r(&ta, &a);
    gmtime_r(&tf, &f);
    int64_t m = (int64_t)f.tm_year * 12 + f.tm_mon + months;
    f.tm_year = (int)(m / 12);
    f.tm_mon = (int)(m % 12);
    int dim = days_in_month(f.tm_year + 1900, f.tm_mon);
    f.tm_mday = a.tm_mday < dim ? a.tm_mday : dim;
    f.tm_hour = a.tm_hour;
    f.tm_min = a.tm_min;
    f.tm_sec = a.tm_sec;
    return (int64_t)timegm(&f);
}

static void emit_sub(const char *type, const struct stp_sub *sub, json_t *previous)
{
    stp_emit(type, stp_r_sub(sub), previous);
}

static void emit_invoice_paid(const struct stp_invoice *inv)
{
    stp_emit("invoice.paid", stp_r_invoice(inv), NULL);
    stp_emit("invoice.payment_succeeded", stp_r_invoice(inv), NULL);
}

static struct stp_invoice *invoice_new(struct stp_sub *sub, const char *reason, int64_t created)
{
    struct stp_invoice *inv = fh_calloc(1, sizeof(*inv));
    stp_id("in_", 24, inv->id);
    snprintf(inv->number, sizeof(inv->number), "FHSBX-%04lld", (long long)stp.next_number++);
    inv->customer = sub->customer;
    inv->sub = sub;
    inv->billing_reason = reason;
    inv->status = STP_INV_OPEN;
    inv->nlines = sub->nitems;
    for (size_t i = 0; i < sub->nitems; i++) {
        inv->lines[i] = sub->items[i];
        stp_id("il_", 24, inv->lines[i].id);
    }
    inv->amount_due = stp_lines_total(inv->lines, inv->nlines);
    inv->created = created;
    inv->line_start = sub->period_start;
    inv->line_end = sub->period_end;
    memcpy(inv->currency, sub->currency, sizeof(inv->currency));
    sub->latest_invoice = inv;
    sb_map_put(&stp.invoices, inv->id, inv);
    sb_vec_push(&stp.invoice_list, inv);
    return inv;
}

static void invoice_paid(struct stp_invoice *inv, int64_t at)
{
    inv->status = STP_INV_PAID;
    inv->amount_paid = inv->amount_due;
    inv->attempt_count++;
    inv->paid_at = at;
    inv->next_attempt = 0;
}

static struct stp_sub *sub_new(struct stp_session *s, struct stp_customer *cus)
{
    struct stp_sub *sub = fh_calloc(1, sizeof(*sub));
    stp_id("sub_", 24, sub->id);
    sub->customer = cus;
    sub->nitems = s->nlines;
    for (size_t i = 0; i < s->nlines; i++) {
        sub->items[i] = s->lines[i];
        stp_id("si_", 14, sub->items[i].id);
    }
    sub->status = STP_SUB_ACTIVE;
    int64_t now = stp_now();
    sub->created = sub->start_date = sub->anchor = sub->period_start = now;
    const struct stp_price *p = s->lines[0].price;
    sub->period_end = stp_add_interval(now, now, p->interval, p->interval_count);
    sub->metadata = stp_meta_copy(s->sub_metadata);
    memcpy(sub->currency, s->currency, sizeof(sub->currency));
    sb_map_put(&stp.subs, sub->id, sub);
    sb_vec_push(&stp.sub_list, sub);
    return sub;
}

void stp_session_complete(struct stp_session *s, const char *email, const char *name)
{
    struct stp_customer *cus = s->customer;
    bool new_customer = !cus;
    if (!cus)
        cus = s->customer = stp_customer_add(email, name);
    else if (name && *name && !cus->name)
        cus->name = fh_strdup(name);
    struct stp_sub *sub = s->sub = sub_new(s, cus);
    struct stp_invoice *inv = s->invoice = invoice_new(sub, "subscription_create", sub->created);
    inv->period_start = inv->period_end = inv->created;
    invoice_paid(inv, inv->created);
    s->status = STP_S_COMPLETE;
    s->paid = true;
    if (new_customer)
        stp_emit("customer.created", stp_r_customer(cus), NULL);
    emit_sub("customer.subscription.created", sub, NULL);
    emit_invoice_paid(inv);
    stp_emit("checkout.session.completed", stp_r_session(s, 0), NULL);
    sb_stat_add(&stp_stats, "sessions", "completed", 1);
    sb_stat_add(&stp_stats, "subscriptions", "created", 1);
}

void stp_session_expire(struct stp_session *s)
{
    if (s->status != STP_S_OPEN)
        return;
    s->status = STP_S_EXPIRED;
    stp_emit("checkout.session.expired", stp_r_session(s, 0), NULL);
    sb_stat_add(&stp_stats, "sessions", "expired", 1);
}

void stp_session_check_expiry(struct stp_session *s)
{
    if (s->status == STP_S_OPEN && stp_now() >= s->expires_at)
        stp_session_expire(s);
}

static json_t *period_previous(const struct stp_sub *sub)
{
    return json_pack("{s:I, s:I, s:o, s:s}", "current_period_start", (json_int_t)sub->period_start,
                     "current_period_end", (json_int_t)sub->period_end, "latest_invoice",
                     sbj_nullable(sub->latest_invoice ? sub->latest_invoice->id : NULL), "status",
                     stp_sub_status_name(sub->status));
}

void stp_sub_advance(struct stp_sub *sub, bool fail)
{
    if (sub->cancel_at_period_end) {
        sub->status = STP_SUB_CANCELED;
        sub->ended_at = sub->period_end;
        emit_sub("customer.subscription.deleted", sub, NULL);
        sb_stat_add(&stp_stats, "subscriptions", "ended", 1);
        return;
    }
    json_t *prev = period_previous(sub);
    int64_t old_start = sub->period_start, old_end = sub->period_end;
    const struct stp_price *p = sub->items[0].price;
    sub->period_start = old_end;
    sub->period_end = stp_add_interval(sub->anchor, old_end, p->interval, p->interval_count);
    struct stp_invoice *inv = invoice_new(sub, "subscription_cycle", old_end);
    inv->period_start = old_start;
    inv->period_end = old_end;
    enum stp_sub_status was = sub->status;
    if (fail) {
        inv->attempt_count = 1;
        inv->next_attempt = old_end + 3 * STP_DAY_S;
        sub->status = STP_SUB_PAST_DUE;
        stp_emit("invoice.payment_failed", stp_r_invoice(inv), NULL);
        sb_stat_add(&stp_stats, "subscriptions", "renewals_failed", 1);
    } else {
        invoice_paid(inv, old_end);
        sub->status = STP_SUB_ACTIVE;
        emit_invoice_paid(inv);
        sb_stat_add(&stp_stats, "subscriptions", "renewed", 1);
    }
    if (was == sub->status)
        json_object_del(prev, "status");
    emit_sub("customer.subscription.updated", sub, prev);
}

void stp_sub_cancel_now(struct stp_sub *sub)
{
    int64_t now = stp_now();
    sub->status = STP_SUB_CANCELED;
    sub->canceled_at = sub->ended_at = now;
    sub->cancel_at_period_end = false;
    sub->cancel_at = 0;
    if (sub->latest_invoice && sub->latest_invoice->status == STP_INV_OPEN)
        sub->latest_invoice->status = STP_INV_VOID;
    emit_sub("customer.subscription.deleted", sub, NULL);
    sb_stat_add(&stp_stats, "subscriptions", "canceled", 1);
}

void stp_sub_set_cancel_at_end(struct stp_sub *sub, bool on)
{
    if (sub->cancel_at_period_end == on)
        return;
    json_t *prev =
        json_pack("{s:b, s:o, s:o}", "cancel_at_period_end", !on, "cancel_at",
                  sub->cancel_at ? json_integer(sub->cancel_at) : json_null(), "canceled_at",
                  sub->canceled_at ? json_integer(sub->canceled_at) : json_null());
    sub->cancel_at_period_end = on;
    sub->cancel_at = on ? sub->period_end : 0;
    sub->canceled_at = on ? stp_now() : 0;
    emit_sub("customer.subscription.updated", sub, prev);
    sb_stat_add(&stp_stats, "subscriptions", on ? "cancel_at_period_end" : "resumed", 1);
}

void stp_sub_set_metadata(struct stp_sub *sub, json_t *metadata)
{
    json_t *prev = json_pack("{s:o}", "metadata", json_deep_copy(sub->metadata)), *v;
    const char *k;
    json_object_foreach(metadata, k, v)
    {
        if (json_string_length(v) == 0)
            json_object_del(sub->metadata, k);
        else
            json_object_set(sub->metadata, k, v);
    }
    json_decref(metadata);
    if (json_equal(json_object_get(prev, "metadata"), sub->metadata)) {
        json_decref(prev);
        return;
    }
    emit_sub("customer.subscription.updated", sub, prev);
}

bool stp_sub_update_item(struct stp_sub *sub, size_t i, struct stp_price *price, int64_t quantity)
{
    struct stp_line *it = &sub->items[i];
    if (it->price == price && it->quantity == quantity)
        return false;
    json_t *prev = json_pack("{s:o}", "items", stp_r_sub_items(sub));
    if (sub->nitems == 1 && it->quantity != quantity)
        json_object_set_new(prev, "quantity", json_integer((json_int_t)it->quantity));
    it->price = price;
    it->quantity = quantity;
    emit_sub("customer.subscription.updated", sub, prev);
    sb_stat_add(&stp_stats, "subscriptions", "items_updated", 1);
    return true;
}

enum fh_rc stp_invoice_pay(struct stp_invoice *inv, char *err, size_t errsize)
{
    if (inv->status != STP_INV_OPEN) {
        snprintf(err, errsize, "Invoice is already %s", stp_inv_status_name(inv->status));
        return FH_E_CONFLICT;
    }
    invoice_paid(inv, stp_now());
    emit_invoice_paid(inv);
    struct stp_sub *sub = inv->sub;
    if (sub && sub->latest_invoice == inv && sub->status == STP_SUB_PAST_DUE) {
        sub->status = STP_SUB_ACTIVE;
        emit_sub("customer.subscription.updated", sub, json_pack("{s:s}", "status", "past_due"));
    }
    return FH_OK;
}
