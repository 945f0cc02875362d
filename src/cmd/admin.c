/* admin.c - `fiscalhub admin`: operator tasks on the store. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_internal.h"
#include "fh/fh_auth.h"
#include "fh/fh_billing.h"
#include "fh/fh_cmd.h"
#include "fh/fh_crypto.h"
#include "fh/fh_fiscal.h"

static const char summary[] =
    "Operator tasks:\n"
    "  admin tenants            list tenants and their organizations with codes\n"
    "  admin jobs [--dead]      list jobs that are not done (or only dead-lettered ones); a\n"
    "                           job waiting for its organization's turn shows as held\n"
    "  admin retry-job <id>     put a dead-lettered job back in the queue\n"
    "  admin reset-password <email>\n"
    "                           give the user a new random password, printed once, and end\n"
    "                           their sessions (for a user who forgot theirs)\n"
    "  admin backup <file>      write a consistent copy of the SQLite store to a new file while\n"
    "                           fiscalhub runs (on PostgreSQL use pg_dump); README, Backups\n"
    "  admin restored [--days N]\n"
    "                           after restoring the store by other means (pg_restore, a copied\n"
    "                           file), before the first start: for N days (7; 0 ends it) every\n"
    "                           fiscal invoice is looked up at the V-SDC before it is posted\n"
    "  admin new-master-key <file>\n"
    "                           write a new random master key to a new file (mode 0600), to\n"
    "                           rotate the key; README, Master key rotation\n"
    "  admin reseal             seal again under the current master key every secret that\n"
    "                           opens only under a retired one\n"
    "                           (FISCALHUB_RETIRED_MASTER_KEY_FILES)\n"
    "  admin keys issue --tier starter|growth|scale --seats N --months M [--count C]\n"
    "                           [--valid-days D] [--issuer NAME]\n"
    "                           print new activation keys (INT-XXXX-XXXX-XXXX), one a line";

static int list_tenants(struct fh_store *st)
{
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT t.code, t.name, o.code, o.name FROM tenants t "
                           "LEFT JOIN organizations o ON o.tenant_id = t.id ORDER BY t.id, o.id",
                           NULL, 0, &rows);
    if (qs < 0)
        return 1;
    for (size_t i = 0; i < rows.nrows; i++)
        printf("%s\t%s\t%s\t%s\n", fh_rows_get(&rows, i, 0), fh_rows_get(&rows, i, 1),
               fh_rows_get(&rows, i, 2) ? fh_rows_get(&rows, i, 2) : "-",
               fh_rows_get(&rows, i, 3) ? fh_rows_get(&rows, i, 3) : "-");
    fh_rows_free(&rows);
    return 0;
}

static int list_jobs(struct fh_store *st, bool dead_only)
{
    struct fh_param p[] = {FH_PI(FH_JOB_HELD_AT), FH_PI(dead_only ? 1 : 0)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT id, kind, CASE WHEN state = 'ready' AND run_at = $1 THEN 'held' "
                           "ELSE state END, lane, attempts, last_error FROM jobs "
                           "WHERE state = 'dead' OR (state <> 'done' AND $2 = 0) ORDER BY id",
                           p, 2, &rows);
    if (qs < 0)
        return 1;
    printf("id\tkind\tstate\tlane\tattempts\tlast_error\n");
    for (size_t i = 0; i < rows.nrows; i++)
        printf("%s\t%s\t%s\t%s\t%s\t%s\n", fh_rows_get(&rows, i, 0), fh_rows_get(&rows, i, 1),
               fh_rows_get(&rows, i, 2), fh_rows_get(&rows, i, 3) ? fh_rows_get(&rows, i, 3) : "-",
               fh_rows_get(&rows, i, 4), fh_rows_get(&rows, i, 5) ? fh_rows_get(&rows, i, 5) : "");
    fh_rows_free(&rows);
    return 0;
}

/* A new random password for the user with email: printed on stdout, never stored in clear. */
static int reset_password(struct fh_store *st, const char *email)
{
    char norm[256], password[40], hash[128];
    int64_t id = 0;
    char *old = NULL;
    enum fh_rc rc = fh_email_normalize(email, norm, sizeof(norm))
                        ? fh_user_by_email(st, norm, &id, &old)
                        : FH_E_NOTFOUND;
    free(old);
    if (rc == FH_E_NOTFOUND) {
        fprintf(stderr, "fiscalhub admin reset-password: no user with the email %s\n", email);
        return 1;
    }
    fh_random_token(18, password, sizeof(password));
    if (rc != FH_OK || fh_password_hash(password, hash, sizeof(hash)) != FH_OK ||
        fh_password_set(st, id, hash, NULL) != FH_OK) {
        fprintf(stderr, "fiscalhub admin reset-password: the store failed; see the log\n");
        return 1;
    }
    printf("%s\n", password);
    return 0;
}

static int backup(struct fh_store *st, const char *db, const char *path)
{
    char why[512], when[32];
    int64_t bytes = 0, now = fh_now_ms();
    enum fh_rc rc = fh_store_backup(st, path, now, &bytes, why, sizeof(why));
    if (rc != FH_OK) {
        fprintf(stderr, "fiscalhub admin backup: %s%s\n", why,
                rc == FH_E_INPUT && fh_store_backend(st) == FH_STORE_PG
                    ? "; after restoring a dump, run `fiscalhub admin restored` before the "
                      "first start"
                    : "");
        return 1;
    }
    fh_time_fmt(now, when, sizeof(when));
    printf("backup of %s taken at %s: %s (%lld bytes)\n"
           "To restore it, stop fiscalhub, put it in place of the store (and delete the store's "
           "-wal and -shm files), and start fiscalhub with the same master key: the first start "
           "looks up at the V-SDC every invoice not signed in the backup before it posts it. "
           "Keep the master key with the backup but apart from it: without the key the "
           "certificates and tokens in it cannot be opened.\n",
           db, when, path, (long long)bytes);
    return 0;
}

static int new_master_key(const char *path)
{
    if (fh_crypto_init() != FH_OK)
        return 1;
    uint8_t key[FH_MASTER_KEY_BYTES];
    enum fh_rc rc = fh_master_key_create(path, key);
    sodium_memzero(key, sizeof(key));
    if (rc != FH_OK) {
        fprintf(stderr,
                "fiscalhub admin new-master-key: cannot create %s (an existing file is never "
                "overwritten); see the log\n",
                path);
        return 1;
    }
    printf("wrote a new master key to %s. To rotate: start every fiscalhub process with "
           "FISCALHUB_MASTER_KEY_FILE=%s and the key it replaces in "
           "FISCALHUB_RETIRED_MASTER_KEY_FILES, run `fiscalhub admin reseal` with the same "
           "settings, then drop the retired key (README, Master key rotation)\n",
           path, path);
    return 0;
}

static int reseal(struct fh_app *app)
{
    if (fh_crypto_retired_count() == 0) {
        fprintf(stderr, "fiscalhub admin reseal: no retired master key given: name the keys a "
                        "rotation replaced in FISCALHUB_RETIRED_MASTER_KEY_FILES\n");
        return 2;
    }
    struct fh_reseal_result r;
    if (fh_secrets_reseal(app->store, app->master_key, &r) != FH_OK) {
        fprintf(stderr, "fiscalhub admin reseal: the store failed; see the log (what was sealed "
                        "again stays so: run it again)\n");
        return 1;
    }
    printf("sealed again under the current master key: %lld; already under it: %lld; changed "
           "meanwhile (run again): %lld; opening under no key given: %lld\n",
           (long long)r.resealed, (long long)r.current, (long long)r.changed,
           (long long)r.unreadable);
    if (r.unreadable == 0 && r.changed == 0)
        printf("no secret needs a retired key any more. Activation keys issued before the "
               "rotation are stored as keyed hashes and cannot be sealed again: keep the retired "
               "key until they are redeemed or past their redeem-by date\n");
    return r.unreadable > 0 || r.changed > 0 ? 1 : 0;
}

static int restored(struct fh_store *st, int64_t days)
{
    int64_t now = fh_now_ms();
    struct fh_fiscal_recovery r;
    if (fh_fiscal_recovery_begin(st, 0, now, now + days * 24 * 3600 * 1000, &r) != FH_OK) {
        fprintf(stderr, "fiscalhub admin restored: the store failed; see the log\n");
        return 1;
    }
    if (!r.begun) {
        printf("recovery ended: new fiscal invoices are posted at once again\n");
        return 0;
    }
    char until[32];
    fh_time_fmt(r.until, until, sizeof(until));
    printf("recovery until %s: %lld fiscal invoices not signed in the store, and every one "
           "submitted until then, are looked up at the V-SDC before they are posted\n",
           until, (long long)r.marked);
    return 0;
}

int fh_cmd_admin(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        printf("usage: fiscalhub admin <task> [options]\n\n%s\n\nCommon options: see fiscalhub serve --help "
               "(--database-url, --master-key-file).\n",
               summary);
        return argc < 1 ? 2 : 0;
    }
    const char *task = argv[0];
    int rest_start = 1;
    bool dead_only = false;
    int64_t job_id = 0, days = FH_FISCAL_RECOVERY_MS / (24 * 3600 * 1000);
    struct fh_key_batch batch;
    int nkeys = 0, nrest = 0;
    char **rest = NULL;
    if (strcmp(task, "keys") == 0) {
        if (argc < 2 || strcmp(argv[1], "issue") != 0) {
            fprintf(stderr, "fiscalhub admin keys: the task is `keys issue` (see --help)\n");
            return 2;
        }
        rest = fh_calloc((size_t)argc + 1, sizeof(char *));
        int ec = fh_keys_cli_args(argc - 2, argv + 2, &batch, &nkeys, rest + 1, &nrest);
        if (ec != 0) {
            free(rest);
            return ec;
        }
        argc = nrest + 1; /* the common settings, after rest[0] (unused, like the task) */
        argv = rest;
    } else if (strcmp(task, "jobs") == 0 && argc > 1 && strcmp(argv[1], "--dead") == 0) {
        dead_only = true;
        rest_start = 2;
    } else if (strcmp(task, "retry-job") == 0) {
        if (argc < 2 || !fh_parse_i64(argv[1], &job_id)) {
            fprintf(stderr, "fiscalhub admin retry-job: give the job id\n");
            return 2;
        }
        rest_start = 2;
    } else if (strcmp(task, "reset-password") == 0) {
        if (argc < 2 || argv[1][0] == '-') {
            fprintf(stderr, "fiscalhub admin reset-password: give the user's email\n");
            return 2;
        }
        rest_start = 2;
    } else if (strcmp(task, "backup") == 0) {
        if (argc < 2 || argv[1][0] == '-' || !argv[1][0]) {
            fprintf(stderr, "fiscalhub admin backup: give the file to write\n");
            return 2;
        }
        rest_start = 2;
    } else if (strcmp(task, "restored") == 0) {
        if (argc > 1 && strcmp(argv[1], "--days") == 0) {
            if (argc < 3 || !fh_parse_i64(argv[2], &days) || days < 0 || days > 3650) {
                fprintf(stderr, "fiscalhub admin restored: --days takes 0 to 3650\n");
                return 2;
            }
            rest_start = 3;
        }
    } else if (strcmp(task, "new-master-key") == 0) {
        if (argc != 2 || argv[1][0] == '-' || !argv[1][0]) {
            fprintf(stderr, "fiscalhub admin new-master-key: give the file to write\n");
            return 2;
        }
        return new_master_key(argv[1]);
    } else if (strcmp(task, "tenants") != 0 && strcmp(task, "jobs") != 0 &&
               strcmp(task, "reseal") != 0) {
        fprintf(stderr, "fiscalhub admin: unknown task %s (see --help)\n", task);
        return 2;
    }
    struct fh_app app;
    struct fh_config cfg;
    int ec = fh_cmd_setup(&app, &cfg, argc - rest_start, argv + rest_start, "admin", summary);
    if (ec >= 0) {
        free(rest);
        return ec;
    }
    if (fh_cmd_prepare_store(&app) != FH_OK)
        ec = 1;
    else if (rest)
        ec = fh_keys_cli_issue(&app, &batch, nkeys);
    else if (strcmp(task, "tenants") == 0)
        ec = list_tenants(app.store);
    else if (strcmp(task, "jobs") == 0)
        ec = list_jobs(app.store, dead_only);
    else if (strcmp(task, "reset-password") == 0)
        ec = reset_password(app.store, argv[1]);
    else if (strcmp(task, "backup") == 0)
        ec = backup(app.store, cfg.database_url, argv[1]);
    else if (strcmp(task, "restored") == 0)
        ec = restored(app.store, days);
    else if (strcmp(task, "reseal") == 0)
        ec = reseal(&app);
    else {
        enum fh_rc rc = fh_job_retry_dead(app.store, &app.qcfg, job_id, fh_now_ms());
        if (rc == FH_E_NOTFOUND)
            fprintf(stderr, "fiscalhub admin retry-job: no dead-lettered job %lld\n", (long long)job_id);
        else if (rc != FH_OK)
            fprintf(stderr, "fiscalhub admin retry-job: the store failed; see the log\n");
        ec = rc == FH_OK ? 0 : 1;
    }
    fh_cmd_teardown(&app, &cfg);
    free(rest);
    return ec;
}
