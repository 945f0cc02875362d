/* portal_page.c - the customer portal (billing-portal session url = /stripe/p/session/{bps_...}):
 * the customer's subscriptions (plan, seats, price, status, next renewal or end), invoice
 * history, and a link back to return_url. One form per subscription posts back:
 *   action=cancel  cancel at period end  -> customer.subscription.updated
 *   action=renew   undo that             -> customer.subscription.updated
 *   action=pay     pay the open renewal invoice of a past_due subscription -> invoice.paid, ...
 *   action=update  the "Update plan" form of a one-item subscription (Stripe's
 *                  subscription_update feature): seats (quantity, 1..99) and a price of the
 *                  catalogue in the subscription's currency -> customer.subscription.updated
 *                  (previous_attributes items, quantity); no proration (billing.c). The same
 *                  price and seats again is refused like any impossible change (400 page).
 * then 303 back to the page (post/redirect/get) with a notice. A session lives
 * portal_lifetime_s (1 hour). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_crypto.h"
#include "stripe_internal.h"

#define MAX_SEATS 99 /* the "Update plan" form's seats (the 400 page's message says 99) */

struct portal_form { /* a posted form, decoded; every field may be NULL */
    char *csrf, *action, *sub, *price, *quantity;
};

/* A price the "Update plan" form offers for s: its current one, or an active one in its
 * currency (every price of the catalogue is recurring). */
static bool offered(const struct stp_sub *s, const struct stp_price *pr)
{
    return pr == s->items[0].price || (pr->active && strcmp(pr->currency, s->currency) == 0);
}

static void price_option(struct fh_buf *b, const struct stp_price *pr, bool selected)
{
    char unit[40];
    stp_money(pr->unit_amount, pr->currency, unit, sizeof(unit));
    fh_buf_appendf(b, "<option value=\"");
    sb_html_esc(b, pr->id);
    fh_buf_appendf(b, "\"%s>", selected ? " selected" : "");
    sb_html_esc(b, pr->product->name);
    if (pr->interval_count > 1)
        fh_buf_appendf(b, ", %s per seat / %lld %ss</option>", unit, (long long)pr->interval_count,
                       pr->interval);
    else
        fh_buf_appendf(b, ", %s per seat / %s</option>", unit, pr->interval);
}

static void update_form(struct fh_buf *b, const struct stp_portal *p, const struct stp_sub *s)
{
    const char *id = s->id;
    fh_buf_appendf(b,
                   "<form method=\"post\" action=\"/stripe/p/session/%s\"><fieldset><legend>"
                   "Update plan</legend>",
                   p->id);
    sb_page_hidden(b, "csrf", p->csrf);
    sb_page_hidden(b, "subscription", id);
    fh_buf_appendf(b,
                   "<label for=\"seats-%s\">Seats</label><input type=\"number\" id=\"seats-%s\" "
                   "name=\"quantity\" min=\"1\" max=\"%d\" step=\"1\" required value=\"%lld\" "
                   "aria-describedby=\"update-hint-%s\"><label for=\"price-%s\">Plan</label>"
                   "<select id=\"price-%s\" name=\"price\" required "
                   "aria-describedby=\"update-hint-%s\">",
                   id, id, MAX_SEATS, (long long)s->items[0].quantity, id, id, id, id);
    for (size_t k = 0; k < stp.price_list.n; k++) {
        const struct stp_price *pr = stp.price_list.v[k];
        if (offered(s, pr))
            price_option(b, pr, pr == s->items[0].price);
    }
    fh_buf_appendf(b,
                   "</select><p class=\"hint\" id=\"update-hint-%s\">Changes apply now, without "
                   "proration: the next invoice bills the new plan and seats.</p><button "
                   "type=\"submit\" name=\"action\" value=\"update\">Update plan</button>"
                   "</fieldset></form>",
                   id);
}

static void sub_card(struct fh_buf *b, const struct stp_portal *p, const struct stp_sub *s)
{
    char total[40], end[16];
    stp_money(stp_lines_total(s->items, s->nitems), s->currency, total, sizeof(total));
    stp_date(s->period_end, end, sizeof(end));
    fh_buf_appendf(b, "<section aria-labelledby=\"h-%s\"><h2 id=\"h-%s\">", s->id, s->id);
    for (size_t i = 0; i < s->nitems; i++) {
        fh_buf_appendf(b, "%s", i ? ", " : "");
        sb_html_esc(b, s->items[i].price->product->name);
    }
    fh_buf_appendf(b, "</h2><p>");
    for (size_t i = 0; i < s->nitems; i++)
        fh_buf_appendf(b, "%s%lld seat%s", i ? ", " : "", (long long)s->items[i].quantity,
                       s->items[i].quantity == 1 ? "" : "s");
    fh_buf_appendf(b, " &middot; %s per %s</p><p>Status: <strong>%s</strong>. ", total,
                   s->items[0].price->interval, stp_sub_status_name(s->status));
    if (s->status == STP_SUB_CANCELED)
        fh_buf_appendf(b, "Ended.</p></section>");
    else if (s->cancel_at_period_end)
        fh_buf_appendf(b, "Cancels on %s.</p>", end);
    else
        fh_buf_appendf(b, "Renews on %s.</p>", end);
    if (s->status == STP_SUB_CANCELED)
        return;
    if (s->nitems == 1)
        update_form(b, p, s);
    fh_buf_appendf(b, "<form method=\"post\" action=\"/stripe/p/session/%s\">", p->id);
    sb_page_hidden(b, "csrf", p->csrf);
    sb_page_hidden(b, "subscription", s->id);
    if (s->status == STP_SUB_PAST_DUE)
        fh_buf_appendf(b, "<p class=\"error\">The last payment failed.</p><button type=\"submit\" "
                          "name=\"action\" value=\"pay\">Pay now</button>");
    if (s->cancel_at_period_end)
        fh_buf_appendf(b, "<button type=\"submit\" name=\"action\" value=\"renew\">Renew plan"
                          "</button>");
    else
        fh_buf_appendf(b, "<button type=\"submit\" name=\"action\" value=\"cancel\" "
                          "class=\"secondary\">Cancel plan</button>");
    fh_buf_appendf(b, "</form></section>");
}

static void invoices_table(struct fh_buf *b, const struct stp_customer *c)
{
    fh_buf_appendf(b, "<table><caption>Invoice history</caption><thead><tr><th scope=\"col\">"
                      "Invoice</th><th scope=\"col\">Date</th><th scope=\"col\">Amount</th>"
                      "<th scope=\"col\">Status</th></tr></thead><tbody>");
    size_t shown = 0;
    for (size_t k = stp.invoice_list.n; k-- > 0 && shown < 24;) {
        const struct stp_invoice *inv = stp.invoice_list.v[k];
        if (inv->customer != c)
            continue;
        char amount[40], date[16];
        stp_money(inv->amount_due, inv->currency, amount, sizeof(amount));
        stp_date(inv->created, date, sizeof(date));
        fh_buf_appendf(b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>", inv->number,
                       date, amount, stp_inv_status_name(inv->status));
        shown++;
    }
    if (!shown)
        fh_buf_appendf(b, "<tr><td colspan=\"4\">No invoices yet.</td></tr>");
    fh_buf_appendf(b, "</tbody></table>");
}

static void render_portal(struct fh_buf *b, const struct stp_portal *p, const char *notice)
{
    sb_page_start(b, &stp_page_style, "Manage your subscription");
    if (notice)
        fh_buf_appendf(b, "<p role=\"status\">%s</p>", notice);
    fh_buf_appendf(b, "<p>Signed in as ");
    sb_html_esc(b, p->customer->email ? p->customer->email : p->customer->id);
    fh_buf_appendf(b, "</p>");
    size_t n = 0;
    for (size_t k = stp.sub_list.n; k-- > 0;) {
        const struct stp_sub *s = stp.sub_list.v[k];
        if (s->customer == p->customer) {
            sub_card(b, p, s);
            n++;
        }
    }
    if (!n)
        fh_buf_appendf(b, "<p>No subscriptions.</p>");
    invoices_table(b, p->customer);
    if (p->return_url) {
        fh_buf_appendf(b, "<p><a href=\"");
        sb_html_esc(b, p->return_url);
        fh_buf_appendf(b, "\">Return to fiscalhub</a></p>");
    }
}

static struct stp_portal *live_portal(const char *id)
{
    struct stp_portal *p = sb_map_get(&stp.portals, id);
    return p && stp_now() < p->expires_at ? p : NULL;
}

static enum fh_rc expired(struct fh_req *req)
{
    struct fh_buf b;
    fh_buf_init(&b, 16 * 1024);
    sb_page_start(&b, &stp_page_style, "Session expired");
    fh_buf_appendf(&b, "<p>This portal link is no longer valid. Return to the business's site to "
                       "open the portal again.</p>");
    return sb_page_send(req, &stp_page_style, 410, &b, NULL);
}

static const char *notice_text(const char *code)
{
    if (!code)
        return NULL;
    if (strcmp(code, "canceled") == 0)
        return "Your plan will be canceled at the end of the billing period.";
    if (strcmp(code, "renewed") == 0)
        return "Your plan will renew.";
    if (strcmp(code, "paid") == 0)
        return "Payment received. Thank you.";
    if (strcmp(code, "updated") == 0)
        return "Your plan was updated.";
    return NULL;
}

enum fh_rc stp_portal_get(struct fh_req *req)
{
    struct fh_buf b;
    fh_buf_init(&b, 256 * 1024);
    stp_lock();
    struct stp_portal *p = live_portal(fh_req_param(req, "id"));
    if (p) {
        render_portal(&b, p, notice_text(fh_req_query(req, "notice")));
        sb_stat_add(&stp_stats, "portal", "page_views", 1);
    }
    stp_unlock();
    if (!p) {
        fh_buf_free(&b);
        return expired(req);
    }
    return sb_page_send(req, &stp_page_style, 200, &b, NULL);
}

/* The "Update plan" form: the notice code, or NULL with *why (a 400 page). */
static const char *update_plan(struct stp_sub *s, const struct portal_form *f, const char **why)
{
    int64_t seats = 0;
    struct stp_price *pr = f->price ? sb_map_get(&stp.prices, f->price) : NULL;
    if (s->nitems != 1)
        *why = "Only a subscription of one plan can be changed here.";
    else if (!f->quantity || !fh_parse_i64(f->quantity, &seats) || seats < 1 || seats > MAX_SEATS)
        *why = "Seats must be a whole number from 1 to 99.";
    else if (!pr || !offered(s, pr))
        *why = "That plan is not available for this subscription.";
    else if (!stp_sub_update_item(s, 0, pr, seats))
        *why = "It already has this plan and number of seats.";
    else
        return "updated";
    return NULL;
}

/* Applies the action to the customer's subscription: the notice code, or NULL (a 400 page,
 * *why may tell the reason). */
static const char *act(struct stp_portal *p, const struct portal_form *f, const char **why)
{
    struct stp_sub *s = f->sub ? sb_map_get(&stp.subs, f->sub) : NULL;
    const char *action = f->action;
    char err[120];
    if (!s || s->customer != p->customer || s->status == STP_SUB_CANCELED || !action)
        return NULL;
    if (strcmp(action, "update") == 0)
        return update_plan(s, f, why);
    if (strcmp(action, "cancel") == 0) {
        stp_sub_set_cancel_at_end(s, true);
        return "canceled";
    }
    if (strcmp(action, "renew") == 0) {
        stp_sub_set_cancel_at_end(s, false);
        return "renewed";
    }
    if (strcmp(action, "pay") == 0 && s->latest_invoice &&
        stp_invoice_pay(s->latest_invoice, err, sizeof(err)) == FH_OK)
        return "paid";
    return NULL;
}

static void form_read(const struct fh_req *req, struct portal_form *f)
{
    const char *body = req->body.data ? req->body.data : "";
    size_t n = req->body.len;
    f->csrf = sb_form_get(body, n, "csrf");
    f->action = sb_form_get(body, n, "action");
    f->sub = sb_form_get(body, n, "subscription");
    f->price = sb_form_get(body, n, "price");
    f->quantity = sb_form_get(body, n, "quantity");
}

static void form_free(struct portal_form *f)
{
    free(f->csrf);
    free(f->action);
    free(f->sub);
    free(f->price);
    free(f->quantity);
}

static enum fh_rc refused(struct fh_req *req, const char *id, bool csrf_ok, const char *why)
{
    char msg[300];
    snprintf(msg, sizeof(msg), "%s%s%s",
             csrf_ok ? "That change is not possible for this subscription."
                     : "This form is no longer valid.",
             why ? " " : "", why ? why : "");
    struct fh_buf b;
    fh_buf_init(&b, 16 * 1024);
    sb_page_start(&b, &stp_page_style, "Something went wrong");
    sb_page_alert(&b, msg);
    fh_buf_appendf(&b, "<p><a href=\"/stripe/p/session/%s\">Back</a></p>", id);
    return sb_page_send(req, &stp_page_style, csrf_ok ? 400 : 403, &b, NULL);
}

enum fh_rc stp_portal_post(struct fh_req *req)
{
    struct portal_form f;
    form_read(req, &f);
    const char *id = fh_req_param(req, "id"), *done = NULL, *why = NULL;
    stp_lock();
    struct stp_portal *p = live_portal(id);
    bool csrf_ok = p && f.csrf && fh_const_eq(f.csrf, p->csrf);
    if (csrf_ok)
        done = act(p, &f, &why);
    stp_unlock();
    form_free(&f);
    if (!p)
        return expired(req);
    if (!done)
        return refused(req, id, csrf_ok, why);
    char loc[STP_ID + 64];
    snprintf(loc, sizeof(loc), "/stripe/p/session/%s?notice=%s", id, done);
    const char *hdrs[] = {"Location", loc, NULL};
    return sb_send(req, 303, NULL, NULL, 0, hdrs);
}
