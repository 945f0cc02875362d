/* control_objects.c - the control API over the catalogue and the buyer's objects: products and
 * prices, checkout sessions (list, complete without the page, expire), customers,
 * subscriptions (list; advance to the period end, fail the renewal, cancel, resume) and
 * invoices (list, pay an open one). Objects come back in their Stripe JSON shapes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stripe_internal.h"

/* A JSON array of the newest objects of v (at most ?limit, 100). */
static enum fh_rc list(struct fh_req *req, const struct sb_vec *v, json_t *(*render)(const void *))
{
    const char *lim = fh_req_query(req, "limit");
    int64_t limit = 100;
    if (lim && (!fh_parse_i64(lim, &limit) || limit < 1 || limit > 10000))
        return sb_cerr(req, 400, "limit is 1..10000");
    json_t *data = json_array();
    stp_lock();
    for (size_t k = v->n; k-- > 0 && (int64_t)json_array_size(data) < limit;)
        json_array_append_new(data, render(v->v[k]));
    size_t total = v->n;
    stp_unlock();
    return sb_json(req, 200, json_pack("{s:o, s:I}", "data", data, "total", (json_int_t)total));
}

static json_t *product_with_prices(const void *o)
{
    const struct stp_product *p = o;
    json_t *j = stp_r_product(p), *prices = json_array();
    for (size_t i = 0; i < stp.price_list.n; i++) {
        const struct stp_price *pr = stp.price_list.v[i];
        if (pr->product == p)
            json_array_append_new(prices, stp_r_price(pr));
    }
    json_object_set_new(j, "prices", prices);
    return j;
}

static json_t *r_session(const void *o)
{
    return stp_r_session(o, STP_X_LINES);
}

static json_t *r_customer(const void *o)
{
    return stp_r_customer(o);
}

static json_t *r_sub(const void *o)
{
    return stp_r_sub(o);
}

static json_t *r_invoice(const void *o)
{
    return stp_r_invoice(o);
}

enum fh_rc stp_c_products_get(struct fh_req *req)
{
    return list(req, &stp.product_list, product_with_prices);
}

enum fh_rc stp_c_sessions_get(struct fh_req *req)
{
    return list(req, &stp.session_list, r_session);
}

enum fh_rc stp_c_customers_get(struct fh_req *req)
{
    return list(req, &stp.customer_list, r_customer);
}

enum fh_rc stp_c_subs_get(struct fh_req *req)
{
    return list(req, &stp.sub_list, r_sub);
}

enum fh_rc stp_c_invoices_get(struct fh_req *req)
{
    return list(req, &stp.invoice_list, r_invoice);
}

/* ---- catalogue ---- */
enum fh_rc stp_c_products_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[200] = "";
    json_t *prices = json_object_get(body, "prices"), *out = NULL, *spec;
    size_t i;
    stp_lock();
    if (prices && (!json_is_array(prices) || json_array_size(prices) > 20)) {
        snprintf(err, sizeof(err), "prices is an array of at most 20 price specs");
    } else {
        struct stp_product *p = stp_product_add(body, err, sizeof(err));
        json_array_foreach(prices, i, spec)
        {
            if (!p || !json_is_object(spec))
                break;
            json_object_set_new(spec, "product", json_string(p->id));
            if (!stp_price_add(spec, err, sizeof(err)))
                break;
        }
        if (p)
            out = product_with_prices(p);
    }
    stp_unlock();
    json_decref(body);
    if (out && err[0]) { /* the product exists; say which price failed */
        json_object_set_new(out, "error", json_string(err));
        return sb_json(req, 400, out);
    }
    return out ? sb_json(req, 201, out) : sb_cerr(req, 400, "%s", err);
}

enum fh_rc stp_c_prices_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[200];
    stp_lock();
    struct stp_price *p = stp_price_add(body, err, sizeof(err));
    json_t *out = p ? stp_r_price(p) : NULL;
    stp_unlock();
    json_decref(body);
    return out ? sb_json(req, 201, out) : sb_cerr(req, 400, "%s", err);
}

/* ---- sessions ---- */
enum fh_rc stp_c_session_complete_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    const char *card = sbj_str(body, "card"), *email = sbj_str(body, "email"),
               *name = sbj_str(body, "name"), *code = NULL, *problem = NULL;
    unsigned int status = 200;
    stp_lock();
    struct stp_session *s = sb_map_get(&stp.sessions, fh_req_param(req, "id"));
    if (s)
        stp_session_check_expiry(s);
    const char *known = s ? (s->customer_email ? s->customer_email
                             : s->customer     ? s->customer->email
                                               : email)
                          : NULL;
    if (!s)
        status = 404, problem = "no such checkout session";
    else if (s->status != STP_S_OPEN)
        status = 409, problem = "the session is not open";
    else if (!s->customer && (!known || !strchr(known, '@')))
        status = 400, problem = "email is needed (the session has no customer or customer_email)";
    else if ((problem = stp_card_outcome(card ? card : "4242424242424242", "12/99", "123", &code)))
        status = 402, sb_stat_add(&stp_stats, "sessions", "declined", 1);
    else if ((int64_t)stp.nobjects + 3 > stp.set.max_objects)
        status = 503, problem = "the sandbox is full; reset it";
    else {
        stp.nobjects += s->customer ? 2 : 3;
        stp_session_complete(s, known, name);
    }
    json_t *out = s && !problem ? stp_r_session(s, STP_X_SUB) : NULL;
    stp_unlock();
    json_decref(body);
    if (!out)
        return code ? sb_json(req, status, json_pack("{s:s, s:s}", "error", problem, "code", code))
                    : sb_cerr(req, status, "%s", problem);
    return sb_json(req, 200, out);
}

enum fh_rc stp_c_session_expire_post(struct fh_req *req)
{
    stp_lock();
    struct stp_session *s = sb_map_get(&stp.sessions, fh_req_param(req, "id"));
    bool open = s && s->status == STP_S_OPEN;
    if (open)
        stp_session_expire(s);
    json_t *out = open ? stp_r_session(s, 0) : NULL;
    stp_unlock();
    if (!out)
        return sb_cerr(req, s ? 409 : 404, s ? "the session is not open" : "no such session");
    return sb_json(req, 200, out);
}

/* ---- subscriptions and invoices ---- */
static const char *sub_action(struct stp_sub *s, const char *action, json_t *body)
{
    if (s->status == STP_SUB_CANCELED)
        return "the subscription is canceled";
    if (strcmp(action, "advance") == 0 || strcmp(action, "fail") == 0) {
        if (!s->cancel_at_period_end && !stp_room())
            return "the sandbox is full; reset it";
        stp_sub_advance(s, strcmp(action, "fail") == 0);
        return NULL;
    }
    if (strcmp(action, "cancel") == 0) {
        json_t *at_end = json_object_get(body, "at_period_end");
        if (at_end && !json_is_boolean(at_end))
            return "at_period_end must be true or false";
        if (json_is_false(at_end))
            stp_sub_cancel_now(s);
        else
            stp_sub_set_cancel_at_end(s, true);
        return NULL;
    }
    if (strcmp(action, "resume") == 0) {
        stp_sub_set_cancel_at_end(s, false);
        return NULL;
    }
    return "action is advance, fail, cancel or resume";
}

enum fh_rc stp_c_sub_action_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    const char *problem = "no such subscription";
    stp_lock();
    struct stp_sub *s = sb_map_get(&stp.subs, fh_req_param(req, "id"));
    if (s)
        problem = sub_action(s, fh_req_param(req, "action"), body);
    json_t *out = s && !problem ? stp_r_sub(s) : NULL;
    if (out && s->latest_invoice)
        json_object_set_new(out, "latest_invoice", stp_r_invoice(s->latest_invoice));
    stp_unlock();
    json_decref(body);
    return out ? sb_json(req, 200, out) : sb_cerr(req, s ? 400 : 404, "%s", problem);
}

enum fh_rc stp_c_invoice_pay_post(struct fh_req *req)
{
    char err[120] = "no such invoice";
    stp_lock();
    struct stp_invoice *inv = sb_map_get(&stp.invoices, fh_req_param(req, "id"));
    bool ok = inv && stp_invoice_pay(inv, err, sizeof(err)) == FH_OK;
    json_t *out = ok ? stp_r_invoice(inv) : NULL;
    stp_unlock();
    return out ? sb_json(req, 200, out) : sb_cerr(req, inv ? 409 : 404, "%s", err);
}
