/* keys.c - reseller activation keys: INT-XXXX-XXXX-XXXX.
 *
 * Format. 12 characters after "INT-" from a 31-letter alphabet without look-alikes (no 0/O,
 * 1/I/L): 11 random ones (about 54 bits) and a check character, the weighted sum
 * sum((i + 1) * value(c_i)) mod 31 of the 11. As 31 is prime and every weight is below it, any
 * single wrong character and any swap of two characters changes the sum, so a typo is refused
 * before any lookup (FH_KEY_MISTYPED). Typed keys are normalized first: upper case, spaces and
 * dashes ignored. A key of the POS product ("POS-...") is recognized and refused by name.
 *
 * Storage. Only HMAC-SHA256(master key, "fiscalhub/activation-key/v1:" + key) is stored, with
 * the last four characters for display (a masked "INT-****-****-7KQ2"), the plan (tier, seats,
 * months), the issuer, the redemption window (redeem_by) and the redemption record (time, org,
 * user). A stolen database does not reveal usable keys, and keys only work on the installation
 * whose master key issued them.
 *
 * Redemption. Validate is read-only. Activate is one transaction: a conditional
 *   UPDATE activation_keys SET redeemed_at = now ... WHERE key_hash = $1 AND redeemed_at IS NULL
 *   AND redeem_by > now RETURNING ...
 * (of N concurrent activations exactly one updates the row: SQLite serializes writers, and
 * PostgreSQL re-checks the WHERE after the winner's row lock is released), then the
 * subscription change and a release job for invoices on hold. Activating while a plan is in
 * force: the same tier and seats extend it by the key's months from its current expiry; another
 * tier or seat count replaces it from now, and the expiry is the later of the old one and now +
 * months, so time already paid for is never lost. A plan paid by card through Stripe that has
 * not ended refuses keys (9011): its renewals would otherwise keep charging. */
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing_internal.h"
#include "fh/fh_crypto.h"

#define ALPHA FH_BILLING_KEY_ALPHABET
#define NALPHA 31
#define BODY 12

static int value_of(char c)
{
    const char *p = c ? strchr(ALPHA, c) : NULL;
    return p ? (int)(p - ALPHA) : -1;
}

char fh_key_check_char(const char *eleven)
{
    int sum = 0;
    for (int i = 0; i < BODY - 1; i++)
        sum = (sum + (i + 1) * value_of(eleven[i])) % NALPHA;
    return ALPHA[sum];
}

static void format_key(const char body[BODY], char out[FH_BILLING_KEY_LEN + 1])
{
    snprintf(out, FH_BILLING_KEY_LEN + 1, "INT-%.4s-%.4s-%.4s", body, body + 4, body + 8);
}

void fh_key_generate(char out[FH_BILLING_KEY_LEN + 1])
{
    char body[BODY];
    for (int i = 0; i < BODY - 1; i++)
        body[i] = ALPHA[fh_random_uniform(NALPHA)];
    body[BODY - 1] = fh_key_check_char(body);
    format_key(body, out);
}

enum fh_key_check fh_key_check(const char *typed, char out[FH_BILLING_KEY_LEN + 1])
{
    char s[40];
    size_t n = 0;
    out[0] = '\0';
    for (const char *p = typed ? typed : ""; *p; p++) {
        if (*p == ' ' || *p == '-' || *p == '\t')
            continue;
        if (n + 1 >= sizeof(s))
            return FH_KEY_MALFORMED;
        s[n++] = (char)toupper((unsigned char)*p);
    }
    s[n] = '\0';
    if (strncmp(s, "POS", 3) == 0)
        return FH_KEY_POS;
    if (strncmp(s, "INT", 3) != 0 || n != 3 + BODY)
        return FH_KEY_MALFORMED;
    const char *body = s + 3;
    for (int i = 0; i < BODY; i++)
        if (!isalnum((unsigned char)body[i]))
            return FH_KEY_MALFORMED;
    format_key(body, out);
    for (int i = 0; i < BODY; i++)
        if (value_of(body[i]) < 0)
            return FH_KEY_MISTYPED;
    return fh_key_check_char(body) == body[BODY - 1] ? FH_KEY_OK : FH_KEY_MISTYPED;
}

void billing_key_hash(const uint8_t master[32], const char *key, char out[65])
{
    char msg[64];
    int n = snprintf(msg, sizeof(msg), "fiscalhub/activation-key/v1:%s", key);
    uint8_t mac[32];
    fh_hmac_sha256(master, 32, msg, (size_t)n, mac);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
    sodium_memzero(msg, sizeof(msg));
}

void billing_key_mask(const char *key, char out[24])
{
    snprintf(out, 24, "INT-****-****-%.4s", key + 14);
}

/* ---- issuing ---- */

struct issue_ctx {
    const uint8_t *master;
    const struct fh_key_batch *b;
    int count;
    char **keys;
    int64_t now;
};

static int issue_tx(struct fh_store *st, void *cls)
{
    struct issue_ctx *c = cls;
    for (int i = 0; i < c->count; i++) {
        char hash[65], hint[24];
        fh_key_generate(c->keys[i]);
        billing_key_hash(c->master, c->keys[i], hash);
        billing_key_mask(c->keys[i], hint);
        struct fh_param p[] = {FH_PT(hash),
                               FH_PT(hint + 14),
                               FH_PT(fh_tier_name(c->b->tier)),
                               FH_PI(c->b->seats),
                               FH_PI(c->b->months),
                               FH_PT(c->b->issuer),
                               FH_PI(c->now),
                               FH_PI(c->now + c->b->valid_days * 86400000LL)};
        int qs = fh_store_exec(st,
                               "INSERT INTO activation_keys (key_hash, hint, tier, seats, months, "
                               "issuer, created_at, redeem_by) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                               "$8)",
                               p, FH_ARRAY_LEN(p), NULL);
        if (qs < 0)
            return qs;
    }
    return 1;
}

enum fh_rc fh_keys_issue(struct fh_store *st, const uint8_t master_key[32],
                         const struct fh_key_batch *b, int count, char ***keys)
{
    *keys = NULL;
    if (count < 1 || count > 10000 || b->seats < 1 || b->seats > 10000 || b->months < 1 ||
        b->months > 120 || b->valid_days < 1 || b->tier == FH_TIER_TRIAL)
        return FH_E_INPUT;
    struct issue_ctx c = {.master = master_key, .b = b, .count = count, .now = fh_now_ms()};
    c.keys = fh_calloc((size_t)count, sizeof(char *));
    for (int i = 0; i < count; i++)
        c.keys[i] = fh_calloc(1, FH_BILLING_KEY_LEN + 1);
    int qs = fh_store_run_tx(st, issue_tx, &c);
    if (qs < 0) {
        for (int i = 0; i < count; i++) {
            sodium_memzero(c.keys[i], FH_BILLING_KEY_LEN + 1);
            free(c.keys[i]);
        }
        free(c.keys);
        return fh_qs_rc(qs);
    }
    *keys = c.keys;
    return FH_OK;
}
