/* portal_page.c - the customer portal (billing-portal session url = /stripe/p/session/{bps_...}):
 * the customer's subscriptions (plan, seats, price, status, next renewal or end), invoice
 * history, and a link back to return_url. One form per subscription posts back:
 *   action=cancel  cancel at period end  -> customer.subscription.updated
 *   action=renew   undo that             -> customer.subscription.updated
 *   action=pay     pay the open renewal invoice of a past_due subscription -> invoice.paid, ...
 * then 303 back to the page (post/redirect/get). A session lives portal_lifetime_s (1 hour). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_crypto.h"
#include "stripe_internal.h"

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

/* Applies the action to the customer's subscription: the notice code, or NULL (a 400 page). */
static const char *act(struct stp_portal *p, const char *action, const char *sub_id)
{
    struct stp_sub *s = sub_id ? sb_map_get(&stp.subs, sub_id) : NULL;
    char err[120];
    if (!s || s->customer != p->customer || s->status == STP_SUB_CANCELED || !action)
        return NULL;
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

enum fh_rc stp_portal_post(struct fh_req *req)
{
    const char *body = req->body.data ? req->body.data : "";
    char *csrf = sb_form_get(body, req->body.len, "csrf"),
         *action = sb_form_get(body, req->body.len, "action"),
         *sub = sb_form_get(body, req->body.len, "subscription");
    const char *id = fh_req_param(req, "id"), *done = NULL;
    stp_lock();
    struct stp_portal *p = live_portal(id);
    bool csrf_ok = p && csrf && fh_const_eq(csrf, p->csrf);
    if (csrf_ok)
        done = act(p, action, sub);
    stp_unlock();
    free(csrf);
    free(action);
    free(sub);
    if (!p)
        return expired(req);
    if (!done) {
        struct fh_buf b;
        fh_buf_init(&b, 16 * 1024);
        sb_page_start(&b, &stp_page_style, "Something went wrong");
        fh_buf_appendf(&b, "<p>%s</p><p><a href=\"/stripe/p/session/%s\">Back</a></p>",
                       csrf_ok ? "That change is not possible for this subscription."
                               : "This form is no longer valid.",
                       id);
        return sb_page_send(req, &stp_page_style, csrf_ok ? 400 : 403, &b, NULL);
    }
    char loc[STP_ID + 64];
    snprintf(loc, sizeof(loc), "/stripe/p/session/%s?notice=%s", id, done);
    const char *hdrs[] = {"Location", loc, NULL};
    return sb_send(req, 303, NULL, NULL, 0, hdrs);
}
