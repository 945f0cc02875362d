/* secrets.c - the store's sealed secrets as a whole: the check at start that the master key opens
 * them, and `fiscalhub admin reseal`, which seals again under the current master key every
 * secret that still opens only under a retired one (README, "Master key rotation"). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_internal.h"
#include "fh/fh_crypto.h"

/* Every column that holds a sealed secret (fh_secret_seal), with its table's key.
 * tests/store/test_secrets.c checks that no *_sealed column of the schema is missing. */
const struct fh_sealed_col fh_sealed_cols[] = {
    {"certificates", "id", "pfx_sealed", false},
    {"certificates", "id", "password_sealed", false},
    {"certificates", "id", "pac_sealed", false},
    {"integrations", "id", "access_sealed", false},
    {"integrations", "id", "refresh_sealed", false},
    {"integrations", "id", "webhook_secret_sealed", false},
    {"webhook_endpoints", "integration_id", "headers_sealed", false},
    {"webhook_endpoints", "integration_id", "secret_sealed", false},
    {"oauth_states", "state_hash", "verifier_sealed", true},
};
const size_t fh_sealed_ncols = FH_ARRAY_LEN(fh_sealed_cols);

enum { RESEAL_PAGE = 200 };

/* Which keys open a sealed value: 1 the current key, 2 a retired one, 0 none. */
static int opened_by(const uint8_t key[32], const char *sealed, uint8_t **plain, size_t *len)
{
    *plain = NULL;
    if (fh_secret_open_under(key, sealed, plain, len) == FH_OK)
        return 1;
    for (size_t i = 0; i < fh_crypto_retired_count(); i++)
        if (fh_secret_open_under(fh_crypto_retired_key(i), sealed, plain, len) == FH_OK)
            return 2;
    return 0;
}

static void plain_free(uint8_t *plain, size_t len)
{
    if (plain)
        sodium_memzero(plain, len);
    free(plain);
}

/* One value that opened under a retired key, sealed again under key if it has not changed
 * since it was read (a running process may have replaced it meanwhile). */
static int reseal_one(struct fh_store *st, const struct fh_sealed_col *c, const uint8_t key[32],
                      const char *id, const char *old, const uint8_t *plain, size_t len)
{
    int64_t nid = 0;
    if (!c->text_key && !fh_parse_i64(id, &nid))
        return FH_QS_HARD;
    char *sealed = fh_secret_seal(key, plain, len);
    char *sql = fh_asprintf("UPDATE %s SET %s = $1 WHERE %s = $2 AND %s = $3", c->table, c->col,
                            c->key, c->col);
    struct fh_param p[] = {FH_PT(sealed), c->text_key ? FH_PT(id) : FH_PI(nid), FH_PT(old)};
    int qs = fh_store_exec(st, sql, p, 3, NULL);
    free(sql);
    free(sealed);
    return qs;
}

static enum fh_rc reseal_col(struct fh_store *st, const struct fh_sealed_col *c,
                             const uint8_t key[32], struct fh_reseal_result *r)
{
    char *sql = fh_asprintf("SELECT %s, %s FROM %s WHERE %s > $1 AND %s IS NOT NULL ORDER BY %s "
                            "LIMIT %d",
                            c->key, c->col, c->table, c->key, c->col, c->key, RESEAL_PAGE);
    char last[128] = "";
    int64_t last_id = 0;
    enum fh_rc rc = FH_OK;
    for (;;) {
        struct fh_param p[] = {c->text_key ? FH_PT(last) : FH_PI(last_id)};
        struct fh_rows rows;
        int qs = fh_store_exec(st, sql, p, 1, &rows);
        if (qs < 0) {
            fh_rows_free(&rows);
            rc = fh_qs_rc(qs);
            break;
        }
        for (size_t i = 0; i < rows.nrows && rc == FH_OK; i++) {
            const char *id = fh_rows_get(&rows, i, 0), *old = fh_rows_get(&rows, i, 1);
            uint8_t *plain;
            size_t len = 0;
            int by = opened_by(key, old, &plain, &len);
            if (by == 1) {
                r->current++;
            } else if (by == 0) {
                r->unreadable++;
                fh_log(FH_LOG_ERROR, "reseal", "%s.%s of %s %s opens under no master key given",
                       c->table, c->col, c->key, id);
            } else {
                int u = reseal_one(st, c, key, id, old, plain, len);
                if (u < 0)
                    rc = fh_qs_rc(u);
                else if (u == 0)
                    r->changed++;
                else
                    r->resealed++;
            }
            plain_free(plain, len);
        }
        if (rows.nrows > 0) {
            fh_strlcpy(last, fh_rows_get(&rows, rows.nrows - 1, 0), sizeof(last));
            last_id = fh_rows_i64(&rows, rows.nrows - 1, 0, 0);
        }
        size_t got = rows.nrows;
        fh_rows_free(&rows);
        if (rc != FH_OK || got < RESEAL_PAGE)
            break;
    }
    free(sql);
    return rc;
}

enum fh_rc fh_secrets_reseal(struct fh_store *st, const uint8_t key[32], struct fh_reseal_result *r)
{
    memset(r, 0, sizeof(*r));
    for (size_t i = 0; i < fh_sealed_ncols; i++) {
        enum fh_rc rc = reseal_col(st, &fh_sealed_cols[i], key, r);
        if (rc != FH_OK)
            return rc;
    }
    return FH_OK;
}

enum fh_rc fh_secrets_sample(struct fh_store *st, const uint8_t key[32], int counts[3])
{
    counts[0] = counts[1] = counts[2] = 0;
    for (size_t i = 0; i < fh_sealed_ncols; i++) {
        const struct fh_sealed_col *c = &fh_sealed_cols[i];
        char *sql =
            fh_asprintf("SELECT %s FROM %s WHERE %s IS NOT NULL LIMIT 1", c->col, c->table, c->col);
        struct fh_rows rows;
        int qs = fh_store_exec(st, sql, NULL, 0, &rows);
        free(sql);
        if (qs > 0) {
            uint8_t *plain;
            size_t len = 0;
            counts[opened_by(key, fh_rows_get(&rows, 0, 0), &plain, &len)]++;
            plain_free(plain, len);
        }
        fh_rows_free(&rows);
        if (qs < 0)
            return fh_qs_rc(qs);
    }
    return FH_OK;
}

enum fh_rc fh_cmd_check_master_key(struct fh_app *app)
{
    int n[3];
    if (fh_secrets_sample(app->store, app->master_key, n) != FH_OK) {
        fh_log(FH_LOG_ERROR, "master_key", "could not read the store's secrets to check the key");
        return FH_ERR;
    }
    if (n[0] > 0 && n[1] + n[2] == 0) {
        fh_log(FH_LOG_ERROR, "master_key",
               "the master key opens none of the store's secrets (%d tried): it is not the key "
               "they were sealed with. Check FISCALHUB_MASTER_KEY or FISCALHUB_MASTER_KEY_FILE%s",
               n[0],
               fh_crypto_retired_count() == 0 ? "; after a rotation, name the replaced key in "
                                                "FISCALHUB_RETIRED_MASTER_KEY_FILES"
                                              : " and FISCALHUB_RETIRED_MASTER_KEY_FILES");
        return FH_ERR;
    }
    if (n[0] > 0)
        fh_log(FH_LOG_WARN, "master_key", "%d of the store's secrets tried open under no key given",
               n[0]);
    if (n[2] > 0)
        fh_log(FH_LOG_WARN, "master_key",
               "secrets sealed under a retired master key remain: run `fiscalhub admin reseal`");
    return FH_OK;
}
