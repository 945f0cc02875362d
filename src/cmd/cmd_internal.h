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
/* Blocks until SIGINT or SIGTERM. */
void fh_cmd_wait_for_signal(void);
/* The job kinds this process runs; kinds that need the app carry it as cls. */
const struct fh_job_kind *fh_cmd_job_kinds(struct fh_app *app, size_t *count);
/* Declares the built-in periodic jobs. */
enum fh_rc fh_cmd_schedule_builtin(struct fh_store *st);

#endif
