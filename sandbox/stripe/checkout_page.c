/* checkout_page.c - the hosted Checkout page (session.url = /stripe/c/pay/{cs_test_...}):
 * server-rendered HTML without scripts (../common/page.c), one form that posts back:
 *   action=pay     checks the seats (adjustable line items), the email and the test card, then
 *                  completes the session (billing.c) and answers 303 to success_url with
 *                  {CHECKOUT_SESSION_ID} replaced; a declined card shows the page again (402)
 *                  and changes nothing
 *   action=cancel  303 to cancel_url; the session stays open, as at Stripe
 * Test cards are Stripe's (stp_card_outcome); any other valid number is refused as a non-test
 * card. Card data is checked and forgotten: never stored, logged or echoed back. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fh/fh_crypto.h"
#include "stripe_internal.h"

#define FORM_FIELDS 32

const struct sb_page_style stp_page_style = {
    .site = "Stripe",
    .brand = "stripe",
    .css = "/stripe/static/stripe.css",
    .note = "This is fiscalhub's offline Stripe emulator in test mode: no real payment is made.",
};

enum fh_rc stp_css_get(struct fh_req *req)
{
    return sb_page_css(req, "#635bff", "#635bff");
}

/* ---- test cards ---- */
static const struct {
    const char *number, *code, *message;
} cards[] = {
    {"4242424242424242", NULL, NULL},
    {"4000056655665556", NULL, NULL},
    {"5555555555554444", NULL, NULL},
    {"4000000000000002", "card_declined", "Your card was declined."},
    {"4000000000009995", "insufficient_funds", "Your card has insufficient funds."},
    {"4000000000000069", "expired_card", "Your card has expired."},
    {"4000000000000127", "incorrect_cvc", "Your card's security code is incorrect."},
    {"4000000000000119", "processing_error",
     "An error occurred while processing your card. Try again in a little bit."},
};

static bool luhn(const char *d)
{
    int sum = 0;
    size_t n = strlen(d);
    for (size_t i = 0; i < n; i++) {
        int v = d[n - 1 - i] - '0';
        if (i % 2 == 1 && (v *= 2) > 9)
            v -= 9;
        sum += v;
    }
    return sum % 10 == 0;
}

static bool digits_of(const char *in, char *out, size_t cap, bool allow_sep)
{
    size_t n = 0;
    for (; in && *in; in++) {
        if (isdigit((unsigned char)*in) && n + 1 < cap)
            out[n++] = *in;
        else if (!(allow_sep && (*in == ' ' || *in == '-' || *in == '/')))
            return false;
    }
    out[n] = '\0';
    return n > 0;
}

static bool expiry_ok(const char *exp)
{
    char d[8];
    if (!digits_of(exp, d, sizeof(d), true) || (strlen(d) != 4 && strlen(d) != 6))
        return false;
    int month = (d[0] - '0') * 10 + (d[1] - '0');
    int year = 0;
    for (const char *p = d + 2; *p; p++)
        year = year * 10 + (*p - '0');
    if (year < 100)
        year += 2000;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    int cur = (tm.tm_year + 1900) * 12 + tm.tm_mon + 1;
    return month >= 1 && month <= 12 && year * 12 + month >= cur;
}

const char *stp_card_outcome(const char *number, const char *exp, const char *cvc,
                             const char **code)
{
    char d[24], c[8];
    if (!digits_of(number, d, sizeof(d), true) || strlen(d) < 13 || strlen(d) > 19 || !luhn(d)) {
        *code = "incorrect_number";
        return "Your card number is incorrect.";
    }
    if (!expiry_ok(exp)) {
        *code = "invalid_expiry_year";
        return "Your card's expiration date is incomplete or in the past.";
    }
    if (!digits_of(cvc, c, sizeof(c), false) || strlen(c) < 3 || strlen(c) > 4) {
        *code = "incomplete_cvc";
        return "Your card's security code is incomplete.";
    }
    for (size_t i = 0; i < FH_ARRAY_LEN(cards); i++) {
        if (strcmp(cards[i].number, d) == 0) {
            *code = cards[i].code;
            return cards[i].message;
        }
    }
    *code = "card_declined";
    return "Your card was declined. Your request was in test mode, but used a non test card. For "
           "a list of valid test cards, visit: https://stripe.com/docs/testing.";
}

/* ---- the page ---- */
static void line_row(struct fh_buf *b, const struct stp_line *l, size_t i)
{
    char unit[40], sub[40];
    stp_money(l->price->unit_amount, l->price->currency, unit, sizeof(unit));
    stp_money(l->price->unit_amount * l->quantity, l->price->currency, sub, sizeof(sub));
    fh_buf_appendf(b, "<tr><th scope=\"row\">");
    sb_html_esc(b, l->price->product->name);
    fh_buf_appendf(b, "<br><small>%s per seat / %s</small></th><td>", unit, l->price->interval);
    if (l->adjustable) {
        fh_buf_appendf(b,
                       "<label for=\"quantity_%zu\">Seats</label><input type=\"number\" "
                       "id=\"quantity_%zu\" name=\"quantity_%zu\" min=\"%lld\" max=\"%lld\" "
                       "value=\"%lld\">",
                       i, i, i, (long long)l->min, (long long)l->max, (long long)l->quantity);
    } else {
        fh_buf_appendf(b, "%lld seat%s", (long long)l->quantity, l->quantity == 1 ? "" : "s");
    }
    fh_buf_appendf(b, "</td><td>%s</td></tr>", sub);
}

static void field(struct fh_buf *b, const char *name, const char *label, const char *type,
                  const char *autocomplete, const char *value, bool readonly)
{
    fh_buf_appendf(b,
                   "<label for=\"%s\">%s</label><input type=\"%s\" id=\"%s\" name=\"%s\" "
                   "autocomplete=\"%s\" required",
                   name, label, type, name, name, autocomplete);
    if (value) {
        fh_buf_appendf(b, " value=\"");
        sb_html_esc(b, value);
        fh_buf_appendf(b, "\"");
    }
    fh_buf_appendf(b, "%s>", readonly ? " readonly" : "");
}

static void render_checkout(struct fh_buf *b, const struct stp_session *s, const char *problem,
                            const char *email, const char *name)
{
    const struct stp_price *p0 = s->lines[0].price;
    char total[40];
    stp_money(stp_lines_total(s->lines, s->nlines), s->currency, total, sizeof(total));
    sb_page_alert(b, problem);
    if (p0->interval_count > 1)
        fh_buf_appendf(b, "<p>Billed every %lld %ss.", (long long)p0->interval_count, p0->interval);
    else
        fh_buf_appendf(b, "<p>Billed every %s.", p0->interval);
    fh_buf_appendf(b, " Total due today: <strong>%s</strong>.</p>", total);
    fh_buf_appendf(b, "<form method=\"post\" action=\"/stripe/c/pay/%s\">", s->id);
    sb_page_hidden(b, "csrf", s->csrf);
    fh_buf_appendf(b, "<table><caption>Your subscription</caption><thead><tr><th scope=\"col\">"
                      "Plan</th><th scope=\"col\">Quantity</th><th scope=\"col\">Amount</th>"
                      "</tr></thead><tbody>");
    for (size_t i = 0; i < s->nlines; i++)
        line_row(b, &s->lines[i], i);
    fh_buf_appendf(b, "</tbody></table><fieldset><legend>Contact information</legend>");
    const char *known = s->customer_email ? s->customer_email
                        : s->customer     ? s->customer->email
                                          : NULL;
    field(b, "email", "Email", "email", "email", known ? known : email, known != NULL);
    fh_buf_appendf(b, "</fieldset><fieldset><legend>Card information</legend>");
    field(b, "card_number", "Card number", "text", "cc-number", NULL, false);
    field(b, "card_expiry", "Expiry (MM / YY)", "text", "cc-exp", NULL, false);
    field(b, "card_cvc", "CVC", "text", "cc-csc", NULL, false);
    field(b, "name", "Cardholder name", "text", "cc-name", name, false);
    fh_buf_appendf(b, "</fieldset><p class=\"note\">Test mode: pay with 4242 4242 4242 4242, any "
                      "future date and any CVC; 4000 0000 0000 0002 is declined.</p>"
                      "<button type=\"submit\" name=\"action\" value=\"pay\">Subscribe</button>");
    if (s->cancel_url)
        fh_buf_appendf(b, "<button type=\"submit\" name=\"action\" value=\"cancel\" "
                          "class=\"secondary\" formnovalidate>Cancel</button>");
    fh_buf_appendf(b, "</form>");
}

static enum fh_rc gone(struct fh_req *req, unsigned int status, const char *title, const char *text)
{
    struct fh_buf b;
    fh_buf_init(&b, 64 * 1024);
    sb_page_start(&b, &stp_page_style, title);
    fh_buf_appendf(&b, "<p>%s</p>", text);
    return sb_page_send(req, &stp_page_style, status, &b, NULL);
}

/* Under stp.lock: the session of the path, or NULL after a page for a missing or closed one
 * was described in status, title and text. */
static struct stp_session *open_session(const char *id, unsigned int *status, const char **title,
                                        const char **text)
{
    struct stp_session *s = sb_map_get(&stp.sessions, id);
    if (s)
        stp_session_check_expiry(s);
    *status = 404;
    *title = "Page not found";
    *text = "This Checkout Session could not be found.";
    if (s && s->status != STP_S_OPEN) {
        *status = 410;
        *title = s->status == STP_S_COMPLETE ? "Already paid" : "Session expired";
        *text = s->status == STP_S_COMPLETE
                    ? "This Checkout Session is complete; there is nothing more to pay."
                    : "This Checkout Session has expired. Return to the business's site to "
                      "start again.";
    }
    return s && s->status == STP_S_OPEN ? s : NULL;
}

enum fh_rc stp_checkout_get(struct fh_req *req)
{
    unsigned int status;
    const char *title, *text;
    struct fh_buf b;
    fh_buf_init(&b, 256 * 1024);
    stp_lock();
    struct stp_session *s = open_session(fh_req_param(req, "id"), &status, &title, &text);
    if (s) {
        char heading[300];
        snprintf(heading, sizeof(heading), "Subscribe to %s", s->lines[0].price->product->name);
        sb_page_start(&b, &stp_page_style, heading);
        render_checkout(&b, s, NULL, NULL, NULL);
        sb_stat_add(&stp_stats, "sessions", "page_views", 1);
    }
    stp_unlock();
    if (!s) {
        fh_buf_free(&b);
        return gone(req, status, title, text);
    }
    return sb_page_send(req, &stp_page_style, 200, &b, NULL);
}

/* ---- the form ---- */
struct pay_form {
    char *csrf, *action, *email, *name, *number, *exp, *cvc;
    char *qty[STP_MAX_LINES];
};

static void form_read(struct fh_req *req, struct pay_form *f)
{
    const char *body = req->body.data ? req->body.data : "";
    size_t len = req->body.len;
    memset(f, 0, sizeof(*f));
    f->csrf = sb_form_get(body, len, "csrf");
    f->action = sb_form_get(body, len, "action");
    f->email = sb_form_get(body, len, "email");
    f->name = sb_form_get(body, len, "name");
    f->number = sb_form_get(body, len, "card_number");
    f->exp = sb_form_get(body, len, "card_expiry");
    f->cvc = sb_form_get(body, len, "card_cvc");
    for (size_t i = 0; i < STP_MAX_LINES; i++) {
        char name[24];
        snprintf(name, sizeof(name), "quantity_%zu", i);
        f->qty[i] = sb_form_get(body, len, name);
    }
}

static void form_free(struct pay_form *f)
{
    if (f->number) /* card data does not linger in freed memory */
        memset(f->number, 0, strlen(f->number));
    if (f->cvc)
        memset(f->cvc, 0, strlen(f->cvc));
    char *all[] = {f->csrf, f->action, f->email, f->name, f->number, f->exp, f->cvc};
    for (size_t i = 0; i < FH_ARRAY_LEN(all); i++)
        free(all[i]);
    for (size_t i = 0; i < STP_MAX_LINES; i++)
        free(f->qty[i]);
}

/* Seats of adjustable lines into q; NULL or the problem. */
static const char *quantities(const struct stp_session *s, const struct pay_form *f, int64_t *q,
                              char *msg, size_t n)
{
    for (size_t i = 0; i < s->nlines; i++) {
        const struct stp_line *l = &s->lines[i];
        q[i] = l->quantity;
        if (!l->adjustable || !f->qty[i])
            continue;
        if (!fh_parse_i64(f->qty[i], &q[i]) || q[i] < l->min || q[i] > l->max) {
            snprintf(msg, n, "Choose between %lld and %lld seats for %s.", (long long)l->min,
                     (long long)l->max, l->price->product->name);
            return msg;
        }
    }
    return NULL;
}

/* Pays s when everything checks out: NULL, or the problem and the page's status. */
static const char *pay(struct stp_session *s, const struct pay_form *f, unsigned int *status,
                       char *msg, size_t n)
{
    int64_t q[STP_MAX_LINES];
    const char *email = s->customer_email ? s->customer_email
                        : s->customer     ? s->customer->email
                                          : f->email;
    const char *problem = quantities(s, f, q, msg, n), *code = NULL;
    *status = 400;
    if (problem)
        return problem;
    if (!s->customer && (!email || !strchr(email, '@') || strlen(email) > 512))
        return "Enter a valid email address.";
    problem = stp_card_outcome(f->number, f->exp, f->cvc, &code);
    if (problem) {
        *status = 402;
        sb_stat_add(&stp_stats, "sessions", "declined", 1);
        sb_stat_add(&stp_stats, "declines", code, 1);
        return problem;
    }
    if ((int64_t)stp.nobjects + 3 > stp.set.max_objects) {
        *status = 503;
        return "The sandbox is full; reset it.";
    }
    stp.nobjects += s->customer ? 2 : 3;
    for (size_t i = 0; i < s->nlines; i++)
        s->lines[i].quantity = q[i];
    stp_session_complete(s, email, f->name);
    return NULL;
}

static char *success_location(const struct stp_session *s)
{
    struct fh_buf b;
    fh_buf_init(&b, 16 * 1024);
    const char *tpl = "{CHECKOUT_SESSION_ID}", *p = s->success_url, *hit;
    while ((hit = strstr(p, tpl))) {
        fh_buf_append(&b, p, (size_t)(hit - p));
        fh_buf_appendf(&b, "%s", s->id);
        p = hit + strlen(tpl);
    }
    fh_buf_appendf(&b, "%s", p);
    char *out = fh_buf_steal(&b);
    fh_buf_free(&b);
    return out;
}

enum fh_rc stp_checkout_post(struct fh_req *req)
{
    struct pay_form f;
    form_read(req, &f);
    unsigned int status, page_status = 200;
    const char *title, *text, *problem = NULL;
    char *location = NULL, msg[200];
    struct fh_buf b;
    fh_buf_init(&b, 256 * 1024);
    stp_lock();
    struct stp_session *s = open_session(fh_req_param(req, "id"), &status, &title, &text);
    if (s && (!f.csrf || !fh_const_eq(f.csrf, s->csrf))) {
        status = 403;
        title = "Form expired";
        text = "This form is no longer valid. Open the checkout link again.";
        s = NULL;
    } else if (s && f.action && strcmp(f.action, "cancel") == 0) {
        if (s->cancel_url)
            location = fh_strdup(s->cancel_url);
        else
            problem = "This checkout has no cancel URL.";
        sb_stat_add(&stp_stats, "sessions", "canceled_by_buyer", s->cancel_url ? 1 : 0);
    } else if (s) {
        problem = pay(s, &f, &page_status, msg, sizeof(msg));
        if (!problem)
            location = success_location(s);
    }
    if (s && !location) {
        char heading[300];
        snprintf(heading, sizeof(heading), "Subscribe to %s", s->lines[0].price->product->name);
        sb_page_start(&b, &stp_page_style, heading);
        render_checkout(&b, s, problem, f.email, f.name);
    }
    bool page = s && !location;
    stp_unlock();
    form_free(&f);
    if (location) {
        fh_buf_free(&b);
        const char *hdrs[] = {"Location", location, NULL};
        enum fh_rc rc = sb_send(req, 303, NULL, NULL, 0, hdrs);
        free(location);
        return rc;
    }
    if (!page) {
        fh_buf_free(&b);
        return gone(req, status, title, text);
    }
    return sb_page_send(req, &stp_page_style, page_status, &b, NULL);
}
