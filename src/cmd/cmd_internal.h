/* cmd_internal.h - process set-up shared by the subcommands. */
#ifndef FH_CMD_INTERNAL_H
#define FH_CMD_INTERNAL_H

#include "fh/fh_config.h"
#include "fh/fh_http.h"

/* Loads settings (printing usage for --help with the command's summary), initializes crypto,
 * loads the master key, opens the store. Returns -1 on success (continue), else an exit code. */
int fh_cmd_setup(struct fh_app *app, struct fh_config *cfg, int argc, char **argv, const char *name,
                 const char *summary);
/* Applies pending migrations, then begins the recovery of a store restored from a backup
 * (fh_fiscal_recovery_check) and logs the one in force. Every command runs it first. */
enum fh_rc fh_cmd_prepare_store(struct fh_app *app);
void fh_cmd_teardown(struct fh_app *app, struct fh_config *cfg);

/* ---- the store's sealed secrets (secrets.c) ---- */
struct fh_sealed_col {
    const char *table, *key, *col;
    bool text_key; /* the key is text, else an integer */
};
extern const struct fh_sealed_col fh_sealed_cols[];
extern const size_t fh_sealed_ncols;
/* Refuses a master key that opens none of the store's secrets (one of each column tried, under
 * the key and the retired ones): a wrong key file or environment, or a rotation whose old key
 * was not named as retired. Warns when some remain under a retired key. serve and worker. */
enum fh_rc fh_cmd_check_master_key(struct fh_app *app);
/* counts[0]: secrets tried (one of each column that has any) that open under no key given;
 * counts[1]: under key; counts[2]: only under a retired key. */
enum fh_rc fh_secrets_sample(struct fh_store *st, const uint8_t key[32], int counts[3]);
struct fh_reseal_result {
    int64_t resealed;   /* opened under a retired key, now sealed under the current one */
    int64_t current;    /* already under the current key */
    int64_t unreadable; /* open under no key given (logged with table, column and key) */
    int64_t changed;    /* replaced by a running process between the read and the write */
};
/* Seals again under key every secret of the store that opens only under a retired key, each
 * with an UPDATE that applies only if the value is still the one read. Running processes that
 * have key as their current key (and the old one as retired) go on meanwhile. */
enum fh_rc fh_secrets_reseal(struct fh_store *st, const uint8_t key[32],
                             struct fh_reseal_result *r);
/* Blocks until SIGINT or SIGTERM. */
void fh_cmd_wait_for_signal(void);
/* The job kinds this process runs; kinds that need the app carry it as cls. */
const struct fh_job_kind *fh_cmd_job_kinds(struct fh_app *app, size_t *count);
/* Declares the built-in periodic jobs. */
enum fh_rc fh_cmd_schedule_builtin(struct fh_store *st);

#endif
