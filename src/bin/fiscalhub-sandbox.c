/* fiscalhub-sandbox - the partner emulators (see sandbox/sandbox.h). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_crypto.h"
#include "sandbox.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: fiscalhub-sandbox serve [--listen ADDR] [--port N]\n\n"
                 "Serves local emulators of fiscalhub's partners over HTTP.\n"
                 "  --listen ADDR   FISCALHUB_SANDBOX_LISTEN   address (127.0.0.1)\n"
                 "  --port N        FISCALHUB_SANDBOX_PORT     port (8081)\n");
}

static int parse(struct fh_config *cfg, int argc, char **argv)
{
    memset(cfg, 0, sizeof(*cfg));
    fh_strlcpy(cfg->listen_addr, "127.0.0.1", sizeof(cfg->listen_addr));
    cfg->port = 8081;
    cfg->http_threads = 4;
    cfg->shutdown_grace_ms = 5000;
    cfg->web_dir = fh_strdup("/nonexistent");
    const char *env_port = getenv("FISCALHUB_SANDBOX_PORT");
    const char *env_listen = getenv("FISCALHUB_SANDBOX_LISTEN");
    const char *port = env_port, *listen = env_listen;
    for (int i = 0; i < argc; i++) {
        if ((strcmp(argv[i], "--port") == 0 || strcmp(argv[i], "--listen") == 0) && i + 1 < argc) {
            if (argv[i][2] == 'p')
                port = argv[++i];
            else
                listen = argv[++i];
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "fiscalhub-sandbox: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    int64_t p = 0;
    if (port && (!fh_parse_i64(port, &p) || p < 1 || p > 65535)) {
        fprintf(stderr, "fiscalhub-sandbox: bad port %s\n", port);
        return 2;
    }
    if (p)
        cfg->port = (uint16_t)p;
    if (listen && !fh_strlcpy(cfg->listen_addr, listen, sizeof(cfg->listen_addr)))
        return 2;
    return -1;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "serve") != 0) {
        usage(argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
        return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    struct fh_config cfg;
    int ec = parse(&cfg, argc - 2, argv + 2);
    if (ec >= 0) {
        free(cfg.web_dir);
        return ec;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    fh_crypto_init();
    struct fh_app app;
    memset(&app, 0, sizeof(app));
    app.cfg = &cfg;
    struct fh_route *routes = fh_sandbox_routes(&app.nroutes);
    app.routes = routes;
    struct fh_server *srv = NULL;
    if (fh_server_start(&app, &srv) != FH_OK) {
        free(routes);
        free(cfg.web_dir);
        return 1;
    }
    printf("fiscalhub-sandbox: partner emulators at http://%s:%u\n", cfg.listen_addr, (unsigned)cfg.port);
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    fh_server_stop(srv);
    free(routes);
    free(cfg.web_dir);
    return 0;
}
