/* fh_billing.h - licensing: tiers, seats, the free trial, reseller activation keys, usage
 * counters, invoices on hold, and buying seats through Stripe Checkout.
 *
 * An organization has at most one subscription (tier, seats, start, expiry, source "key" or
 * "stripe"); without one it is on the free trial (FISCALHUB_TRIAL_CONNECTIONS connections,
 * FISCALHUB_TRIAL_INVOICES fiscal invoices a month, no expiry). A seat is taken by every
 * integration that is not removed. Usage is counted per organization and per integration per
 * calendar month (UTC) in the SAME transaction as the fiscalization step it counts; an invoice
 * that the plan does not allow (over the monthly limit, or the licence expired) is kept "on
 * hold" and released later by a durable job. The design is in docs/internals/billing.md and at
 * the top of src/billing/usage.c and src/billing/keys.c. */
#ifndef FH_BILLING_H
#define FH_BILLING_H

#include <jansson.h>

#include "fh/fh_http.h"

#define FH_BILLING_RELEASE_JOB "billing.release"
#define FH_BILLING_KEY_LEN 18                                     /* "INT-XXXX-XXXX-XXXX" */
#define FH_BILLING_KEY_ALPHABET "23456789ABCDEFGHJKMNPQRSTUVWXYZ" /* 31: no 0/O, 1/I/L */
/* The status the API shows for fiscal_invoices alias t: a pending invoice with a hold reason is
 * "on_hold" (SQL text, the same in both backends). */
#define FH_BILLING_STATUS_SQL(t)                                                                   \
    "CASE WHEN " t ".hold_reason IS NOT NULL AND " t ".status = 'pending' THEN 'on_hold' ELSE " t  \
    ".status END"

enum fh_tier { FH_TIER_TRIAL, FH_TIER_STARTER, FH_TIER_GROWTH, FH_TIER_SCALE };

/* How fast a tier's integrations sync: Starter polls only (webhook deliveries are verified and
 * kept, their invoices read by the next poll); Growth reads a webhook's invoice after a short
 * batching delay; Scale (and the trial) at once. Each tier polls at its own interval (the
 * partner settings FISCALHUB_XERO_POLL_SECONDS / FISCALHUB_ZOHO_POLL_SECONDS, when set, replace
 * it for every tier). An integration carries its organization's tier (integrations.sync_tier). */
enum fh_sync_mode { FH_SYNC_POLLING, FH_SYNC_NEAR_REALTIME, FH_SYNC_REALTIME };
struct fh_sync_speed {
    enum fh_sync_mode mode;
    int64_t poll_ms;          /* polling interval of the tier */
    int64_t webhook_delay_ms; /* -1: webhooks are not used (polling only); 0: at once */
};

/* The plan in force for an organization at a moment (billing clock). */
struct fh_plan {
    enum fh_tier tier;
    bool trial;                    /* no subscription */
    bool expired;                  /* a subscription whose expiry has passed */
    int64_t seats;                 /* connections allowed at once */
    int64_t invoice_limit;         /* fiscal invoices per calendar month */
    int64_t starts_at, expires_at; /* 0 for the trial */
    char source[8];                /* "trial", "key", "stripe" */
    char key_hint[24];             /* "INT-****-****-7KQ2" for key plans, else "" */
    char interval[8];              /* Stripe: "month" | "year", else "" */
    char stripe_status[16];
    bool cancel_at_period_end;
    bool has_customer; /* a Stripe customer exists (the customer portal can open) */
};

/* ---- tiers and the clock (src/billing/plans.c) ---- */
const char *fh_tier_name(enum fh_tier t);  /* "trial", "starter", "growth", "scale" */
const char *fh_tier_label(enum fh_tier t); /* "Free trial", "Starter", ... */
/* "starter" / "growth" / "scale" (case-insensitive); false for anything else. */
bool fh_tier_parse(const char *s, enum fh_tier *out);
int64_t fh_tier_invoice_limit(const struct fh_config *cfg, enum fh_tier t);
void fh_tier_sync_speed(const struct fh_config *cfg, enum fh_tier t, struct fh_sync_speed *out);
/* SQL: the tier an organization's new integration syncs at (org: the SQL of its id). */
#define FH_SYNC_TIER_SQL(org)                                                                      \
    "COALESCE((SELECT tier FROM billing_subscriptions WHERE org_id = " org "), 'trial')"
/* The tier named s ("starter", "growth", "scale"); the trial for anything else ("trial"). */
enum fh_tier fh_tier_of_name(const char *s);
/* The polling interval of a tier's integrations: override_ms (a partner's setting) when > 0,
 * else the tier's, at least floor_ms (a partner's own bound, 0: none). */
int64_t fh_sync_poll_ms(const struct fh_config *cfg, enum fh_tier t, int64_t override_ms,
                        int64_t floor_ms);
/* How often a partner's poll runs: the smallest of its tiers' intervals, at most a minute. */
int64_t fh_sync_poll_tick_ms(const struct fh_config *cfg, int64_t override_ms);
/* The billing clock: the wall clock plus FISCALHUB_BILLING_CLOCK_OFFSET_DAYS (tests). */
int64_t fh_billing_now(const struct fh_config *cfg);
/* "YYYY-MM" (UTC) of ms into out (>= 8 bytes). */
void fh_billing_month(int64_t ms, char out[8]);
/* Adds months calendar months to ms, clamping the day (Jan 31 + 1 month = last day of Feb). */
int64_t fh_billing_add_months(int64_t ms, int64_t months);

/* The organization's plan at now. Joins the caller's transaction. FH_E_RETRY / FH_ERR. */
enum fh_rc fh_billing_plan(struct fh_store *st, const struct fh_config *cfg, int64_t org_id,
                           int64_t now, struct fh_plan *out);

/* ---- seats (src/billing/plans.c) ---- */
/* Integrations that hold a seat (every one that is not removed). */
enum fh_rc fh_billing_seats_used(struct fh_store *st, int64_t org_id, int64_t *out);
/* Before creating an integration of any type: replies 402 (9005 seats full, 9006 licence
 * expired) when the organization may not add one; FH_ERR then (already replied). Also the reply
 * after fh_billing_seat_claim_tx refused. */
enum fh_rc fh_billing_seat_check_or_reply(struct fh_req *req);
/* In the transaction that inserts an integration of org_id, before the insert: 1 when a seat is
 * free; 0 with *refused (FH_EC_BILLING_SEATS_FULL or FH_EC_BILLING_EXPIRED) when none is; else
 * FH_QS_SOFT / FH_QS_HARD. It locks the organization's row (on PostgreSQL; SQLite's write
 * transactions run one at a time), so concurrent creations, in any process, take seats one after
 * another. */
int fh_billing_seat_claim_tx(struct fh_store *st, const struct fh_config *cfg, int64_t org_id,
                             enum fh_ec *refused);

/* What an invoice's hold_reason (as fh_billing_admit words it) waits for: "invoice_limit" (a new
 * month or a higher limit), "licence_expired" (a renewal or a new key) or "seat_limit" (a seat
 * for its integration); NULL for NULL. */
const char *fh_billing_hold_kind(const char *reason);

/* ---- usage and holds (src/billing/usage.c); each joins the caller's transaction and returns
 * >= 0 or FH_QS_SOFT / FH_QS_HARD ---- */
/* Just before fiscal invoice_id's attempt is committed: counts it in this month's usage if it
 * is not counted yet and the plan allows it, else puts it on hold with the reason. *held tells
 * which (a held invoice must not be sent). */
int fh_billing_admit(struct fh_store *st, const struct fh_config *cfg, int64_t invoice_id,
                     bool *held);
/* After invoice_id's outcome changed: a definite refusal (failed and not uncertain) gives its
 * count back; a signed invoice that was never counted (signed by an answer to a GET) is
 * counted. */
int fh_billing_outcome(struct fh_store *st, int64_t invoice_id);
/* Releases the organization's held invoices that its plan allows now: clears their hold and
 * enqueues their fiscalization jobs. *released (may be NULL) receives how many. */
int fh_billing_release(struct fh_store *st, const struct fh_config *cfg,
                       const struct fh_queue_cfg *qcfg, int64_t org_id, int64_t *released);
/* Enqueues an immediate release job for the organization (after an upgrade or renewal, or when an
 * integration is removed and its seat freed). */
int fh_billing_release_soon(struct fh_store *st, const struct fh_queue_cfg *qcfg, int64_t org_id,
                            int64_t now);
/* Fiscal invoices counted this month (org total when integration_id is 0). */
enum fh_rc fh_billing_used(struct fh_store *st, int64_t org_id, int64_t integration_id, int64_t now,
                           int64_t *out);
/* The "billing.release" job: payload {"org_id": N} for one organization, {} for all with held
 * invoices (the periodic run that releases at a new month). cls is the struct fh_app. */
enum fh_rc fh_billing_job_release(void *cls, struct fh_store *st, const struct fh_job *job,
                                  char *err, size_t errsize);

/* ---- activation keys (src/billing/keys.c) ---- */
enum fh_key_check {
    FH_KEY_OK,
    FH_KEY_MALFORMED, /* not INT-XXXX-XXXX-XXXX */
    FH_KEY_MISTYPED,  /* shape right, check character wrong */
    FH_KEY_POS,       /* a POS- key (another product) */
};
/* Normalizes (upper case, spaces and dashes dropped and put back) and checks a typed key
 * without any lookup; out receives the canonical "INT-XXXX-XXXX-XXXX" (19 bytes). */
enum fh_key_check fh_key_check(const char *typed, char out[FH_BILLING_KEY_LEN + 1]);
/* The check character of the 11 characters before it. */
char fh_key_check_char(const char *eleven);
/* A new random well-formed key (19 bytes). */
void fh_key_generate(char out[FH_BILLING_KEY_LEN + 1]);

struct fh_key_batch {
    enum fh_tier tier;
    int64_t seats, months;
    int64_t valid_days; /* days the keys can be redeemed in */
    const char *issuer;
};
/* Issues count keys; each is stored only as a keyed hash. keys receives count strings the
 * caller frees (free each, then the array). */
enum fh_rc fh_keys_issue(struct fh_store *st, const uint8_t master_key[32],
                         const struct fh_key_batch *b, int count, char ***keys);

struct fh_key_info {
    enum fh_tier tier;
    int64_t seats, months, redeem_by;
    char effect[12];               /* "starts", "extends", "replaces" */
    int64_t starts_at, expires_at; /* what the subscription will be */
};
/* Validate (activate false: read-only) or redeem (activate true: single use, atomically, in one
 * transaction with the subscription change and a release job) a typed key for org_id by
 * user_id. On refusal returns FH_E_INPUT with *ec set (9000-9004, 9011) and detail filled. */
enum fh_rc fh_key_redeem(struct fh_app *app, int64_t org_id, int64_t user_id, const char *typed,
                         bool activate, struct fh_key_info *out, enum fh_ec *ec, char *detail,
                         size_t detailsize);

/* `fiscalhub admin keys issue` (src/billing/keys_cli.c): splits its options from argv (rest
 * receives the others, for the common settings; room for argc pointers) and returns 0, or
 * prints the usage and returns the exit code 2; then issues and prints the keys. */
int fh_keys_cli_args(int argc, char **argv, struct fh_key_batch *b, int *count, char **rest,
                     int *nrest);
int fh_keys_cli_issue(struct fh_app *app, struct fh_key_batch *b, int count);

/* ---- the API's view (src/billing/view.c) ---- */
/* The subscription object of GET /api/orgs/{org}/billing (docs/api/billing.md). */
enum fh_rc fh_billing_json(struct fh_app *app, int64_t org_id, json_t **out);
/* The `usage` object of GET /api/orgs/{org}/integrations, and each item's trial_badge (from its
 * invoices_this_month, which fh_integ_list_json reads from the same counters) and
 * over_seat_limit (integrations is the whole list, oldest first). */
enum fh_rc fh_billing_usage_json(struct fh_app *app, int64_t org_id, json_t *integrations,
                                 json_t **usage);

/* ---- Stripe (src/billing/stripe.c, stripe_events.c) ---- */
#define FH_STRIPE_TOLERANCE_S 300
enum fh_stripe_sig {
    FH_SIG_OK,
    FH_SIG_MISSING,   /* no header */
    FH_SIG_MALFORMED, /* no t= or not a number */
    FH_SIG_NO_V1,
    FH_SIG_MISMATCH,
    FH_SIG_STALE, /* outside the tolerance */
};
/* Verifies a Stripe-Signature header over the raw body with the whole whsec_ secret: any v1
 * may match (constant-time), |now - t| <= tolerance_s (0: no check). now in Unix seconds. */
enum fh_stripe_sig fh_stripe_verify(const char *header, const char *body, size_t len,
                                    const char *secret, int64_t now, int64_t tolerance_s);
/* Creates a Checkout Session (subscription mode) for seats of tier, interval "month"|"year";
 * *url receives the hosted page's URL (caller frees). The organization's earlier sessions still
 * open are expired first, one start per organization at a time. FH_E_INPUT: no price configured;
 * FH_E_LIMIT: a subscription paid by card pays the plan and has not ended; FH_E_CONFLICT: an
 * earlier session was paid meanwhile; FH_E_BUSY: another start of the organization's runs;
 * FH_E_RETRY: Stripe unreachable or refused (detail says why, no secrets). */
enum fh_rc fh_stripe_checkout(struct fh_app *app, int64_t org_id, int64_t user_id,
                              const char *email, enum fh_tier tier, const char *interval,
                              int64_t seats, char **url, char *detail, size_t detailsize);
/* A customer-portal session for the organization's Stripe customer. FH_E_NOTFOUND: none. */
enum fh_rc fh_stripe_portal(struct fh_app *app, int64_t org_id, char **url, char *detail,
                            size_t detailsize);
/* Applies one verified event body (deduplicated by event id) in one transaction; *outcome
 * (>= 24 bytes) says what happened. FH_E_INPUT for a body that is not an event. */
enum fh_rc fh_stripe_event_apply(struct fh_app *app, const char *body, size_t len, char *outcome,
                                 size_t outcomesize);

#endif
