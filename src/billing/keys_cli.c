/* keys_cli.c - `fiscalhub admin keys issue --tier T --seats N --months M [--count C]
 * [--valid-days D] [--issuer NAME]`: issues activation keys and prints them, one a line, on
 * standard output (the only place a key is ever shown; the store keeps hashes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "billing_internal.h"

static const char usage[] =
    "usage: fiscalhub admin keys issue --tier starter|growth|scale --seats N --months M\n"
    "       [--count C (1)] [--valid-days D (FISCALHUB_KEY_VALID_DAYS, 365)] [--issuer NAME]\n";

static bool num(const char *v, int64_t lo, int64_t hi, int64_t *out)
{
    return v && fh_parse_i64(v, out) && *out >= lo && *out <= hi;
}

int fh_keys_cli_args(int argc, char **argv, struct fh_key_batch *b, int *count, char **rest,
                     int *nrest)
{
    memset(b, 0, sizeof(*b));
    *count = 1;
    *nrest = 0;
    bool tier = false;
    int64_t x = 0;
    b->issuer = "admin";
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = true, mine = true;
        if (strcmp(a, "--tier") == 0)
            ok = tier = v && fh_tier_parse(v, &b->tier);
        else if (strcmp(a, "--seats") == 0)
            ok = num(v, 1, 10000, &b->seats);
        else if (strcmp(a, "--months") == 0)
            ok = num(v, 1, 120, &b->months);
        else if (strcmp(a, "--count") == 0)
            ok = num(v, 1, 10000, &x), *count = (int)x;
        else if (strcmp(a, "--valid-days") == 0)
            ok = num(v, 1, 3650, &b->valid_days);
        else if (strcmp(a, "--issuer") == 0)
            ok = v && strlen(v) >= 1 && strlen(v) <= 100, b->issuer = v;
        else
            mine = false;
        if (!ok) {
            fprintf(stderr, "fiscalhub admin keys issue: bad value for %s\n%s", a, usage);
            return 2;
        }
        if (mine)
            i++;
        else
            rest[(*nrest)++] = argv[i];
    }
    if (!tier || b->seats == 0 || b->months == 0) {
        fprintf(stderr, "fiscalhub admin keys issue: --tier, --seats and --months are required\n%s",
                usage);
        return 2;
    }
    return 0;
}

int fh_keys_cli_issue(struct fh_app *app, struct fh_key_batch *b, int count)
{
    if (b->valid_days == 0)
        b->valid_days = app->cfg->key_valid_ms / (86400LL * 1000);
    char **keys = NULL;
    enum fh_rc rc = fh_keys_issue(app->store, app->master_key, b, count, &keys);
    if (rc != FH_OK) {
        fprintf(stderr, "fiscalhub admin keys issue: %s\n",
                rc == FH_E_INPUT ? "bad batch" : "the store failed; see the log");
        return 1;
    }
    for (int i = 0; i < count; i++) {
        printf("%s\n", keys[i]);
        sodium_memzero(keys[i], FH_BILLING_KEY_LEN + 1);
        free(keys[i]);
    }
    free(keys);
    fflush(stdout);
    fh_log(FH_LOG_INFO, "keys_issued", "%d %s keys (%lld seats, %lld months) by %s", count,
           fh_tier_name(b->tier), (long long)b->seats, (long long)b->months, b->issuer);
    return 0;
}
