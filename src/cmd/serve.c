/* serve.c - `fiscalhub serve`: migrations, the HTTP server, and (unless --no-workers) the job
 * workers and scheduler, until SIGINT/SIGTERM; then in-flight requests and jobs finish. */
#include <stdio.h>
#include <string.h>

#include "cmd_internal.h"
#include "fh/fh_cmd.h"
#include "fh/fh_api.h"
#include "fh/fh_events.h"
#include "fh/fh_fiscal.h"

/* scheme://host[:port] of a URL (the part an Origin header carries). */
static char *origin_of(const char *url)
{
    const char *sep = strstr(url, "://");
    const char *end = sep ? strchr(sep + 3, '/') : NULL;
    return end ? fh_strndup(url, (size_t)(end - url)) : fh_strdup(url);
}

static enum fh_rc start_runner(struct fh_app *app, bool with_scheduler)
{
    size_t nkinds;
    const struct fh_job_kind *kinds = fh_cmd_job_kinds(app, &nkinds);
    app->qcfg.backoff_max_ms = app->cfg->job_backoff_max_ms;
    if (fh_cmd_schedule_builtin(app->store) != FH_OK)
        return FH_ERR;
    if (fh_webhook_wake_waiting(app->store) != FH_OK) /* else they run at their time */
        fh_log(FH_LOG_WARN, "serve", "%s", "could not wake the deliveries waiting for endpoints");
    return fh_runner_start(app->store, &app->qcfg, kinds, nkinds, app->cfg->workers,
                           app->cfg->fiscal_workers, with_scheduler, 1000, &app->runner);
}

int fh_cmd_serve(int argc, char **argv)
{
    struct fh_app app;
    struct fh_config cfg;
    int ec = fh_cmd_setup(&app, &cfg, argc, argv, "serve",
                          "Runs the HTTP server (API and portal), the scheduler and job workers.");
    if (ec >= 0)
        return ec;
    struct fh_server *srv = NULL;
    ec = 1;
    if (fh_cmd_prepare_store(&app) != FH_OK || fh_cmd_check_master_key(&app) != FH_OK)
        goto out;
    app.routes = fh_api_routes(&app.nroutes);
    app.metrics = fh_metrics_new(app.nroutes);
    app.public_origin = origin_of(cfg.public_url);
    app.secure_cookies = fh_starts_with(cfg.public_url, "https://");
    if (!cfg.no_workers && cfg.workers + cfg.fiscal_workers > 0 && start_runner(&app, true) != FH_OK)
        goto out;
    if (fh_server_start(&app, &srv) != FH_OK)
        goto out;
    fh_log(FH_LOG_INFO, "serve", "listening on %s:%u, store %s, %d workers (%d more for fiscalizations)",
           cfg.listen_addr, (unsigned)fh_server_port(srv),
           fh_store_backend(app.store) == FH_STORE_PG ? "postgresql" : "sqlite",
           app.runner ? cfg.workers : 0, app.runner ? cfg.fiscal_workers : 0);
    printf("fiscalhub: the Client Portal is at %s\n", cfg.public_url);
    fflush(stdout);
    fh_cmd_wait_for_signal();
    ec = 0;
out:
    fh_server_stop(srv);
    if (app.runner)
        fh_runner_stop(app.runner);
    fh_fiscal_shutdown();
    fh_log(FH_LOG_INFO, "serve", "stopped");
    fh_cmd_teardown(&app, &cfg);
    return ec;
}

int fh_cmd_worker(int argc, char **argv)
{
    struct fh_app app;
    struct fh_config cfg;
    int ec = fh_cmd_setup(&app, &cfg, argc, argv, "worker",
                          "Runs job workers and the scheduler only (several may share one PostgreSQL store).");
    if (ec >= 0)
        return ec;
    ec = 1;
    if (fh_cmd_prepare_store(&app) != FH_OK || fh_cmd_check_master_key(&app) != FH_OK ||
        start_runner(&app, true) != FH_OK)
        goto out;
    fh_log(FH_LOG_INFO, "worker", "%d workers running (%d more for fiscalizations)", cfg.workers,
           cfg.fiscal_workers);
    fh_cmd_wait_for_signal();
    ec = 0;
out:
    if (app.runner)
        fh_runner_stop(app.runner);
    fh_fiscal_shutdown();
    fh_cmd_teardown(&app, &cfg);
    return ec;
}

int fh_cmd_migrate(int argc, char **argv)
{
    struct fh_app app;
    struct fh_config cfg;
    int ec = fh_cmd_setup(&app, &cfg, argc, argv, "migrate", "Applies pending store migrations and exits.");
    if (ec >= 0)
        return ec;
    ec = fh_cmd_prepare_store(&app) == FH_OK ? 0 : 1;
    if (ec == 0)
        printf("schema version %d\n", fh_store_schema_version(app.store));
    fh_cmd_teardown(&app, &cfg);
    return ec;
}
