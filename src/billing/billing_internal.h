/* billing_internal.h - pieces shared by the files of src/billing/ (not a public interface). */
#ifndef FH_BILLING_INTERNAL_H
#define FH_BILLING_INTERNAL_H

#include <string.h>

#include "fh/fh_billing.h"

/* The enum fh_rc of a failed call as an FH_QS_* for a transaction function. */
static inline int billing_rc_qs(enum fh_rc rc)
{
    return rc == FH_OK ? 0 : fh_rc_qs(rc);
}

/* A subscription paid by card pays the plan and has not ended (canceled at its period end
 * included): no key may replace it and no second checkout may start, or both would bill. */
static inline bool billing_stripe_running(const struct fh_plan *p)
{
    return strcmp(p->source, "stripe") == 0 && !p->expired &&
           strcmp(p->stripe_status, "canceled") != 0;
}

/* The tier and interval ("month" | "year") whose price FISCALHUB_STRIPE_PRICES (prices) names
 * price; false when none does. */
bool billing_price_plan(const char *prices, const char *price, enum fh_tier *tier,
                        char interval[8]);

/* The stored form of a canonical key: hex HMAC-SHA256 under the master key (keys.c). */
void billing_key_hash(const uint8_t master[32], const char *key, char out[65]);
/* "INT-****-****-" + the key's last four characters. */
void billing_key_mask(const char *key, char out[24]);

/* Sets (replaces or extends) the organization's subscription inside the caller's transaction:
 * tier and seats as given; expires_at = max(current expiry, expires_at) so time already paid
 * for is never lost; starts_at kept when the plan is only extended. The Stripe fields are set
 * when given (NULL keeps them). Enqueues a release of invoices on hold. */
struct billing_set {
    int64_t org_id;
    enum fh_tier tier;
    int64_t seats, starts_at, expires_at, now;
    const char *source;                                             /* "key" | "stripe" */
    const char *key_hint;                                           /* NULL unless source is key */
    const char *interval, *customer, *subscription, *stripe_status; /* NULL: keep */
};
int billing_subscription_set(struct fh_store *st, const struct fh_queue_cfg *qcfg,
                             const struct billing_set *s);
/* After the organization's plan changed to tier (in the caller's transaction): its integrations
 * sync at that tier's speed, and a release of invoices on hold is enqueued. */
int billing_tier_apply(struct fh_store *st, const struct fh_queue_cfg *qcfg, int64_t org_id,
                       enum fh_tier tier, int64_t now);

#endif
