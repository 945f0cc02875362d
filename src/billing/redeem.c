/* redeem.c - Validate and Activate of an activation key (the rules are at the top of keys.c). */
#include <stdio.h>
#include <string.h>

#include "billing_internal.h"
#include "fh/fh_crypto.h"

struct redeem_ctx {
    struct fh_app *app;
    int64_t org_id, user_id, now;
    const char *hash;
    const char *hint; /* "INT-****-****-XXXX" */
    bool activate;
    struct fh_key_info *out;
    enum fh_ec ec;
    char *detail;
    size_t detailsize;
};

static int refuse(struct redeem_ctx *c, enum fh_ec ec, const char *detail)
{
    c->ec = ec;
    fh_strlcpy(c->detail, detail, c->detailsize);
    return 0;
}

/* Why a key cannot be redeemed (unknown, used, expired); 1 when it can, with the plan read. */
static int classify(struct fh_store *st, struct redeem_ctx *c)
{
    struct fh_param p[] = {FH_PT(c->hash)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT tier, seats, months, redeem_by, redeemed_at, redeemed_org_id "
                           "FROM activation_keys WHERE key_hash = $1",
                           p, 1, &rows);
    if (qs < 0) {
        fh_rows_free(&rows);
        return qs;
    }
    char when[32], msg[200];
    if (qs == 0) {
        snprintf(msg, sizeof(msg), "%s was never issued", c->hint);
        qs = refuse(c, FH_EC_BILLING_KEY_UNKNOWN, msg);
    } else if (fh_rows_get(&rows, 0, 4)) {
        fh_time_fmt(fh_rows_i64(&rows, 0, 4, 0), when, sizeof(when));
        snprintf(msg, sizeof(msg), "%s was activated at %s%s", c->hint, when,
                 fh_rows_i64(&rows, 0, 5, 0) == c->org_id ? " by this organization" : "");
        qs = refuse(c, FH_EC_BILLING_KEY_USED, msg);
    } else if (fh_rows_i64(&rows, 0, 3, 0) <= c->now) {
        fh_time_fmt(fh_rows_i64(&rows, 0, 3, 0), when, sizeof(when));
        snprintf(msg, sizeof(msg), "%s could be activated until %s", c->hint, when);
        qs = refuse(c, FH_EC_BILLING_KEY_EXPIRED, msg);
    } else {
        fh_tier_parse(fh_rows_get(&rows, 0, 0), &c->out->tier);
        c->out->seats = fh_rows_i64(&rows, 0, 1, 1);
        c->out->months = fh_rows_i64(&rows, 0, 2, 1);
        c->out->redeem_by = fh_rows_i64(&rows, 0, 3, 0);
        qs = 1;
    }
    fh_rows_free(&rows);
    return qs;
}

/* The single-use step: exactly one concurrent caller gets the row back. */
static int claim(struct fh_store *st, struct redeem_ctx *c)
{
    struct fh_param p[] = {FH_PT(c->hash), FH_PI(c->now), FH_PI(c->org_id),
                           c->user_id ? FH_PI(c->user_id) : FH_PNULL};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "UPDATE activation_keys SET redeemed_at = $2, redeemed_org_id = $3, "
                           "redeemed_user_id = $4 WHERE key_hash = $1 AND redeemed_at IS NULL "
                           "AND redeem_by > $2 RETURNING tier, seats, months, redeem_by",
                           p, FH_ARRAY_LEN(p), &rows);
    if (qs > 0) {
        fh_tier_parse(fh_rows_get(&rows, 0, 0), &c->out->tier);
        c->out->seats = fh_rows_i64(&rows, 0, 1, 1);
        c->out->months = fh_rows_i64(&rows, 0, 2, 1);
        c->out->redeem_by = fh_rows_i64(&rows, 0, 3, 0);
    }
    fh_rows_free(&rows);
    if (qs == 0) { /* lost the race, or never redeemable: say which */
        qs = classify(st, c);
        return qs > 0 ? FH_QS_SOFT : qs; /* redeemable after all: try again */
    }
    return qs;
}

/* What the key does to the plan in force (rules at the top of keys.c). */
static void effect(const struct fh_plan *cur, int64_t now, struct fh_key_info *o)
{
    int64_t fresh = fh_billing_add_months(now, o->months);
    if (cur->trial || cur->expired) {
        fh_strlcpy(o->effect, "starts", sizeof(o->effect));
        o->starts_at = now;
        o->expires_at = fresh;
    } else if (cur->tier == o->tier && cur->seats == o->seats) {
        fh_strlcpy(o->effect, "extends", sizeof(o->effect));
        o->starts_at = cur->starts_at;
        o->expires_at = fh_billing_add_months(cur->expires_at, o->months);
    } else {
        fh_strlcpy(o->effect, "replaces", sizeof(o->effect));
        o->starts_at = now;
        o->expires_at = cur->expires_at > fresh ? cur->expires_at : fresh;
    }
}

static int redeem_tx(struct fh_store *st, void *cls)
{
    struct redeem_ctx *c = cls;
    c->ec = 0;
    struct fh_plan cur;
    enum fh_rc rc = fh_billing_plan(st, c->app->cfg, c->org_id, c->now, &cur);
    if (rc != FH_OK)
        return billing_rc_qs(rc);
    if (billing_stripe_running(&cur)) {
        char when[32], msg[200];
        fh_time_fmt(cur.expires_at, when, sizeof(when));
        snprintf(msg, sizeof(msg), "the %s plan paid through Stripe runs until %s",
                 fh_tier_label(cur.tier), when);
        return refuse(c, FH_EC_BILLING_KEY_STRIPE_ACTIVE, msg);
    }
    int qs = c->activate ? claim(st, c) : classify(st, c);
    if (qs <= 0)
        return qs;
    effect(&cur, c->now, c->out);
    if (!c->activate)
        return 1;
    struct billing_set s = {.org_id = c->org_id,
                            .tier = c->out->tier,
                            .seats = c->out->seats,
                            .starts_at = c->out->starts_at,
                            .expires_at = c->out->expires_at,
                            .now = c->now,
                            .source = "key",
                            .key_hint = c->hint};
    return billing_subscription_set(st, &c->app->qcfg, &s);
}

static int hash_known(struct fh_store *st, const char *hash)
{
    struct fh_param p[] = {FH_PT(hash)};
    struct fh_rows rows;
    int qs = fh_store_exec(st, "SELECT 1 FROM activation_keys WHERE key_hash = $1", p, 1, &rows);
    fh_rows_free(&rows);
    return qs;
}

/* The key's hash as the store holds it: made with the current master key, or with a retired
 * one for a key issued before a rotation (keys are stored only as keyed hashes, so `admin
 * reseal` cannot renew them). A key found under none gets the current key's hash. */
static enum fh_rc stored_hash(struct fh_app *app, const char *key, char hash[65])
{
    billing_key_hash(app->master_key, key, hash);
    size_t n = fh_crypto_retired_count();
    if (n == 0)
        return FH_OK;
    char other[65];
    for (size_t i = 0; i <= n; i++) {
        const char *h = hash;
        if (i > 0) {
            billing_key_hash(fh_crypto_retired_key(i - 1), key, other);
            h = other;
        }
        int qs = hash_known(app->store, h);
        if (qs < 0)
            return FH_E_RETRY;
        if (qs > 0) {
            memcpy(hash, h, 65);
            return FH_OK;
        }
    }
    return FH_OK; /* under none: the current key's hash, which the lookup then finds unknown */
}

enum fh_rc fh_key_redeem(struct fh_app *app, int64_t org_id, int64_t user_id, const char *typed,
                         bool activate, struct fh_key_info *out, enum fh_ec *ec, char *detail,
                         size_t detailsize)
{
    memset(out, 0, sizeof(*out));
    *ec = 0;
    char key[FH_BILLING_KEY_LEN + 1];
    switch (fh_key_check(typed, key)) {
    case FH_KEY_OK:
        break;
    case FH_KEY_POS:
        *ec = FH_EC_BILLING_KEY_POS;
        fh_strlcpy(detail, "key: POS- keys activate the POS product", detailsize);
        return FH_E_INPUT;
    case FH_KEY_MALFORMED:
        *ec = FH_EC_BILLING_KEY_MALFORMED;
        fh_strlcpy(detail, "key must be INT- and 12 letters or digits", detailsize);
        return FH_E_INPUT;
    case FH_KEY_MISTYPED:
        *ec = FH_EC_BILLING_KEY_MISTYPED;
        fh_strlcpy(detail, "key: its check character does not match the other characters",
                   detailsize);
        return FH_E_INPUT;
    }
    char hash[65], hint[24];
    if (stored_hash(app, key, hash) != FH_OK)
        return FH_E_RETRY;
    billing_key_mask(key, hint);
    struct redeem_ctx c = {.app = app,
                           .org_id = org_id,
                           .user_id = user_id,
                           .now = fh_billing_now(app->cfg),
                           .hash = hash,
                           .hint = hint,
                           .activate = activate,
                           .out = out,
                           .detail = detail,
                           .detailsize = detailsize};
    int qs = fh_store_run_tx(app->store, redeem_tx, &c);
    if (qs < 0)
        return fh_qs_rc(qs);
    if (c.ec) {
        *ec = c.ec;
        return FH_E_INPUT;
    }
    if (activate)
        fh_log(FH_LOG_INFO, "key_activated", "org %lld activated %s (%s, %lld seats, %lld months)",
               (long long)org_id, hint, fh_tier_name(out->tier), (long long)out->seats,
               (long long)out->months);
    return FH_OK;
}
