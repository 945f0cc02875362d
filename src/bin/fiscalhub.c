/* fiscalhub - one binary: serve | worker | migrate | admin. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "fh/fh_cmd.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: fiscalhub <command> [options]\n\n"
                 "commands:\n"
                 "  serve     HTTP server, scheduler and job workers (--no-workers: HTTP only)\n"
                 "  worker    job workers and scheduler only\n"
                 "  migrate   apply pending store migrations and exit\n"
                 "  admin     administrative tasks (see fiscalhub admin --help)\n\n"
                 "Run fiscalhub <command> --help for the options of a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    /* Memory freed at the top of an arena stays there up to 8 MiB before it goes back to the
     * kernel. glibc's default (128 KiB) made SQLite's free() of a statement journal trim the
     * arena (madvise) on almost every write, and the next use fault the pages in again: a third
     * of the webhook intake's time (perf, bench/webhook_intake.mjs), no gain in resident memory. */
    mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
    const char *cmd = argv[1];
    if (strcmp(cmd, "serve") == 0)
        return fh_cmd_serve(argc - 2, argv + 2);
    if (strcmp(cmd, "worker") == 0)
        return fh_cmd_worker(argc - 2, argv + 2);
    if (strcmp(cmd, "migrate") == 0)
        return fh_cmd_migrate(argc - 2, argv + 2);
    if (strcmp(cmd, "admin") == 0)
        return fh_cmd_admin(argc - 2, argv + 2);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "fiscalhub: unknown command %s\n\n", cmd);
    usage(stderr);
    return 2;
}
