/* test_secrets.c - the store's sealed secrets on the store given by DATABASE_URL (default: a
 * fresh SQLite file in /tmp): every *_sealed column of the schema is one `admin reseal` knows,
 * and a reseal after a rotation leaves every secret under the new key alone, with the same
 * plaintext, across pages, without touching what no key given opens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define HARNESS_SUITE "secrets"
#include "harness.h"

#include "../../src/cmd/cmd_internal.h"
#include "fh/fh_crypto.h"

static uint8_t old_key[32], new_key[32], lost_key[32];

static int group_setup(void **state)
{
    memset(old_key, 0x11, sizeof(old_key));
    memset(new_key, 0x22, sizeof(new_key));
    memset(lost_key, 0x33, sizeof(lost_key));
    return harness_group_setup(state);
}

static int setup(void **state)
{
    fh_crypto_forget_retired();
    return harness_setup(state);
}

static void exec_ok(const char *sql, const struct fh_param *p, size_t n)
{
    assert_true(fh_store_exec(st, sql, p, n, NULL) >= 0);
}

static bool listed(const char *table, const char *col)
{
    for (size_t i = 0; i < fh_sealed_ncols; i++)
        if (strcmp(fh_sealed_cols[i].table, table) == 0 && strcmp(fh_sealed_cols[i].col, col) == 0)
            return true;
    return false;
}

/* A new sealed column that reseal does not know would keep its secrets under the old key. */
static void test_every_sealed_column_is_known(void **state)
{
    FH_UNUSED(state);
    struct fh_rows rows;
    int qs = fh_store_exec(
        st,
        fh_store_sql(st,
                     "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p "
                     "WHERE m.type = 'table' AND p.name LIKE '%\\_sealed' ESCAPE '\\'",
                     "SELECT table_name, column_name FROM information_schema.columns WHERE "
                     "table_schema = current_schema() AND column_name LIKE '%\\_sealed' "
                     "ESCAPE '\\'"),
        NULL, 0, &rows);
    assert_int_equal(qs, (int)fh_sealed_ncols);
    for (size_t i = 0; i < rows.nrows; i++) {
        if (!listed(fh_rows_get(&rows, i, 0), fh_rows_get(&rows, i, 1)))
            fail_msg("%s.%s holds sealed secrets admin reseal does not know",
                     fh_rows_get(&rows, i, 0), fh_rows_get(&rows, i, 1));
    }
    fh_rows_free(&rows);
}

static char *sealed_under(const uint8_t *key, const char *plain)
{
    return fh_secret_seal(key, plain, strlen(plain));
}

/* Every sealed column filled under the old key, one certificate's PAC under a key nobody has,
 * and 450 consents (more than two of reseal's pages, keyed by text). */
static void fill(void)
{
    exec_ok("INSERT INTO tenants (id, code, name, created_at) VALUES (1, 't', 'T', 1)", NULL, 0);
    exec_ok("INSERT INTO organizations (id, tenant_id, code, name, created_at) "
            "VALUES (1, 1, 'o', 'O', 1)",
            NULL, 0);
    char *v[9];
    for (size_t i = 0; i < 9; i++) {
        char plain[32];
        snprintf(plain, sizeof(plain), "secret-%zu", i);
        v[i] = sealed_under(i == 2 ? lost_key : old_key, plain);
    }
    struct fh_param c[] = {FH_PT(v[0]), FH_PT(v[1]), FH_PT(v[2])};
    exec_ok("INSERT INTO certificates (id, org_id, uid, taxpayer_name, tin, location_name, "
            "address, vsdc_url, api_url, not_after, status, created_at, pfx_sealed, "
            "password_sealed, pac_sealed) VALUES (1, 1, 'AB12CD34', 'T', '1', 'L', 'A', "
            "'https://v', 'https://a', 9, 'active', 1, $1, $2, $3)",
            c, 3);
    struct fh_param in[] = {FH_PT(v[3]), FH_PT(v[4]), FH_PT(v[5])};
    exec_ok("INSERT INTO integrations (id, org_id, uid, type, status, created_at, access_sealed, "
            "refresh_sealed, webhook_secret_sealed) VALUES (1, 1, 'INT1', 'xero', 'active', 1, "
            "$1, $2, $3)",
            in, 3);
    struct fh_param w[] = {FH_PT(v[6]), FH_PT(v[7])};
    exec_ok("INSERT INTO webhook_endpoints (integration_id, org_id, url, events, headers_sealed, "
            "secret_sealed, created_at, updated_at) VALUES (1, 1, 'https://x', 'invoice.signed', "
            "$1, $2, 1, 1)",
            w, 2);
    struct fh_param o[] = {FH_PT(v[8])};
    exec_ok("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 450) "
            "INSERT INTO oauth_states (state_hash, integration_id, session_hash, verifier_sealed, "
            "created_at, expires_at) SELECT 'h' || n.i, 1, 's', $1, 1, 2 FROM n",
            o, 1);
    for (size_t i = 0; i < 9; i++)
        free(v[i]);
}

/* What a column of the first row of its table (by key) opens to under the new key alone. */
static char *open_new(const struct fh_sealed_col *c)
{
    char *sql = fh_asprintf("SELECT %s FROM %s ORDER BY %s LIMIT 1", c->col, c->table, c->key);
    struct fh_rows rows;
    assert_int_equal(fh_store_exec(st, sql, NULL, 0, &rows), 1);
    free(sql);
    uint8_t *plain = NULL;
    size_t len = 0;
    char *out = fh_secret_open_under(new_key, fh_rows_get(&rows, 0, 0), &plain, &len) == FH_OK
                    ? (char *)plain
                    : NULL;
    if (!out)
        free(plain);
    fh_rows_free(&rows);
    return out;
}

static void test_reseal_after_a_rotation(void **state)
{
    FH_UNUSED(state);
    fill();
    int n[3];
    /* the new key alone opens nothing: a server would refuse to start */
    assert_int_equal(fh_secrets_sample(st, new_key, n), FH_OK);
    assert_int_equal(n[0], 9);
    assert_int_equal(n[1] + n[2], 0);
    assert_int_equal(fh_crypto_retire_keys((const uint8_t(*)[32])old_key, 1), FH_OK);
    assert_int_equal(fh_secrets_sample(st, new_key, n), FH_OK);
    assert_int_equal(n[0], 1); /* the PAC under the lost key */
    assert_int_equal(n[1], 0);
    assert_int_equal(n[2], 8);

    struct fh_reseal_result r;
    assert_int_equal(fh_secrets_reseal(st, new_key, &r), FH_OK);
    assert_int_equal(r.resealed, 7 + 450);
    assert_int_equal(r.current, 0);
    assert_int_equal(r.unreadable, 1);
    assert_int_equal(r.changed, 0);
    for (size_t i = 0; i < fh_sealed_ncols; i++) {
        char *plain = open_new(&fh_sealed_cols[i]);
        char want[32];
        snprintf(want, sizeof(want), "secret-%zu", i);
        if (i == 2)
            assert_null(plain); /* left as it was */
        else
            assert_string_equal(plain, want);
        free(plain);
    }
    /* every consent, on every page */
    struct fh_rows rows;
    assert_int_equal(fh_store_exec(st, "SELECT verifier_sealed FROM oauth_states", NULL, 0, &rows),
                     450);
    for (size_t i = 0; i < rows.nrows; i++) {
        uint8_t *plain = NULL;
        size_t len = 0;
        assert_int_equal(fh_secret_open_under(new_key, fh_rows_get(&rows, i, 0), &plain, &len),
                         FH_OK);
        free(plain);
    }
    fh_rows_free(&rows);

    /* again: nothing left to do; with the retired key gone, the new key opens all but the PAC */
    assert_int_equal(fh_secrets_reseal(st, new_key, &r), FH_OK);
    assert_int_equal(r.resealed, 0);
    assert_int_equal(r.current, 7 + 450);
    assert_int_equal(r.unreadable, 1);
    fh_crypto_forget_retired();
    assert_int_equal(fh_secrets_sample(st, new_key, n), FH_OK);
    assert_int_equal(n[1], 8);
    assert_int_equal(n[0], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_every_sealed_column_is_known, setup),
        cmocka_unit_test_setup(test_reseal_after_a_rotation, setup),
    };
    return cmocka_run_group_tests(tests, group_setup, harness_group_teardown);
}
