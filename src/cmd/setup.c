/* setup.c - what every subcommand does first: settings, crypto, master key, store. */
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd_internal.h"
#include "fh/fh_crypto.h"
#include "fh/fh_fiscal.h"

/* Creates the parent directory of path (one level, mode 0700) when it is missing. */
static void ensure_parent_dir(const char *path)
{
    char *copy = fh_strdup(path);
    char *dir = dirname(copy);
    if (strcmp(dir, ".") != 0 && mkdir(dir, 0700) != 0 && errno != EEXIST)
        fh_log(FH_LOG_WARN, "setup", "cannot create %s: %s", dir, strerror(errno));
    free(copy);
}

static enum fh_rc load_master_key(const struct fh_config *cfg, uint8_t key[32])
{
    if (cfg->master_key_hex) {
        if (fh_master_key_from_hex(cfg->master_key_hex, key) != FH_OK) {
            fh_log(FH_LOG_ERROR, "master_key", "FISCALHUB_MASTER_KEY must be 64 hex digits");
            return FH_ERR;
        }
        return FH_OK;
    }
    ensure_parent_dir(cfg->master_key_file);
    return fh_master_key_load_or_create(cfg->master_key_file, key);
}

enum { MAX_RETIRED_KEYS = 8 };

/* The retired master keys named by FISCALHUB_RETIRED_MASTER_KEY_FILES: each file must exist and
 * hold a key other than the current one. */
static enum fh_rc load_retired_keys(const struct fh_config *cfg, const uint8_t current[32])
{
    if (!cfg->retired_key_files || !cfg->retired_key_files[0])
        return FH_OK;
    uint8_t keys[MAX_RETIRED_KEYS][FH_MASTER_KEY_BYTES];
    size_t n = 0;
    char *list = fh_strdup(cfg->retired_key_files), *save = NULL;
    enum fh_rc rc = FH_OK;
    for (char *path = strtok_r(list, ",", &save); path && rc == FH_OK;
         path = strtok_r(NULL, ",", &save)) {
        if (n == MAX_RETIRED_KEYS) {
            fh_log(FH_LOG_ERROR, "master_key", "at most %d retired master key files",
                   MAX_RETIRED_KEYS);
            rc = FH_E_LIMIT;
        } else if (fh_master_key_load(path, keys[n]) != FH_OK) {
            rc = FH_ERR; /* logged: missing, readable by others, or not a key */
        } else if (sodium_memcmp(keys[n], current, FH_MASTER_KEY_BYTES) == 0) {
            fh_log(FH_LOG_ERROR, "master_key", "retired key file %s holds the current master key",
                   path);
            rc = FH_E_INPUT;
        } else {
            n++;
        }
    }
    free(list);
    if (rc == FH_OK)
        rc = fh_crypto_retire_keys((const uint8_t(*)[FH_MASTER_KEY_BYTES])keys, n);
    sodium_memzero(keys, sizeof(keys));
    return rc;
}

/* SIGINT/SIGTERM are taken by sigwait() in the main thread only: block them before any thread
 * starts (threads inherit the mask). A closed peer must not kill the process: ignore SIGPIPE. */
static void block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int fh_cmd_setup(struct fh_app *app, struct fh_config *cfg, int argc, char **argv, const char *name,
                 const char *summary)
{
    memset(app, 0, sizeof(*app));
    block_signals();
    enum fh_rc rc = fh_config_load(cfg, argc, argv);
    if (rc == FH_E_NOTFOUND) {
        printf("usage: fiscalhub %s [options]\n\n%s\n\noptions (flag, environment variable, "
               "meaning):\n",
               name, summary);
        fh_config_usage(stdout);
        fh_config_free(cfg);
        return 0;
    }
    if (rc != FH_OK) {
        fh_config_free(cfg);
        return 2;
    }
    fh_log_set_level(cfg->log_level);
    if (fh_crypto_init() != FH_OK) {
        fh_log(FH_LOG_ERROR, "setup", "libsodium failed to initialize");
        fh_config_free(cfg);
        return 1;
    }
    app->cfg = cfg;
    if (load_master_key(cfg, app->master_key) != FH_OK ||
        load_retired_keys(cfg, app->master_key) != FH_OK) {
        sodium_memzero(app->master_key, sizeof(app->master_key));
        fh_config_free(cfg);
        return 1;
    }
    if (!fh_starts_with(cfg->database_url, "postgres"))
        ensure_parent_dir(cfg->database_url);
    fh_store_sqlite_sync_full(cfg->sqlite_sync_full);
    fh_store_sqlite_max_mb(cfg->sqlite_max_mb);
    if (fh_store_open(cfg->database_url, &app->store) != FH_OK) {
        sodium_memzero(app->master_key, sizeof(app->master_key));
        fh_crypto_forget_retired();
        fh_config_free(cfg);
        return 1;
    }
    fh_queue_cfg_defaults(&app->qcfg);
    app->qcfg.default_max_attempts = cfg->job_max_attempts;
    app->qcfg.lease_ms = cfg->job_lease_ms;
    app->qcfg.backoff_base_ms = cfg->job_backoff_base_ms;
    app->qcfg.lane_window = cfg->fiscal_org_window;
    return -1;
}

enum fh_rc fh_cmd_prepare_store(struct fh_app *app)
{
    if (fh_store_migrate(app->store) != FH_OK)
        return FH_ERR;
    struct fh_fiscal_recovery r;
    if (fh_fiscal_recovery_check(app->store, fh_now_ms(), &r) != FH_OK) {
        fh_log(FH_LOG_ERROR, "restore", "%s", "could not check whether the store was restored");
        return FH_ERR;
    }
    fh_fiscal_recovery_log(&r);
    return FH_OK;
}

void fh_cmd_teardown(struct fh_app *app, struct fh_config *cfg)
{
    fh_store_close(app->store);
    fh_metrics_free(app->metrics);
    free(app->public_origin);
    sodium_memzero(app->master_key, sizeof(app->master_key));
    fh_crypto_forget_retired();
    fh_config_free(cfg);
}

void fh_cmd_wait_for_signal(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sig = 0;
    sigwait(&set, &sig);
    fh_log(FH_LOG_INFO, "shutdown", "received %s, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
}
