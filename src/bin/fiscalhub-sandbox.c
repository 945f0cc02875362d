/* fiscalhub-sandbox - the partner emulators (see sandbox/sandbox.h).
 *   fiscalhub-sandbox serve [options]        serve every emulator
 *   fiscalhub-sandbox issue-cert [options]   issue a V-SDC client certificate (PFX, password, PAC)
 * Options come from the table below: a flag wins over its FISCALHUB_SANDBOX_* variable. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_crypto.h"
#include "sandbox.h"
#include "stripe/stripe.h"
#include "vsdc/vsdc.h"
#include "xero/xero.h"
#include "zoho/zoho.h"

enum opt_kind { O_STR, O_INT, O_BOOL };

struct opt {
    const char *flag, *env, *help;
    enum opt_kind kind;
    void *out;        /* const char **, int64_t *, bool * */
    int64_t min, max; /* O_INT */
};

static void usage(FILE *out, const struct opt *serve, const struct opt *issue)
{
    fprintf(out, "usage: fiscalhub-sandbox serve [options]\n"
                 "       fiscalhub-sandbox issue-cert --out DIR [options]\n\n"
                 "serve: local emulators of fiscalhub's partners (the TaxCore V-SDC over mTLS on "
                 "its own port).\n");
    for (const struct opt *o = serve; o && o->flag; o++)
        fprintf(out, "  %-24s %-40s %s\n", o->flag, o->env ? o->env : "", o->help);
    fprintf(out, "\nissue-cert: writes DIR/<UID>.pfx, .password and .pac and prints the UID.\n");
    for (const struct opt *o = issue; o && o->flag; o++)
        fprintf(out, "  %-24s %-40s %s\n", o->flag, o->env ? o->env : "", o->help);
}

static bool set_value(const struct opt *o, const char *v)
{
    int64_t n;
    switch (o->kind) {
    case O_STR:
        *(const char **)o->out = v;
        return true;
    case O_BOOL:
        *(bool *)o->out = v == NULL || strcmp(v, "1") == 0 || strcmp(v, "true") == 0;
        return true;
    case O_INT:
        if (!v || !fh_parse_i64(v, &n) || n < o->min || n > o->max)
            return false;
        *(int64_t *)o->out = n;
        return true;
    }
    return false;
}

/* Environment first, then flags. Returns -1 to go on, else an exit status. */
static int parse_opts(const struct opt *opts, int argc, char **argv)
{
    for (const struct opt *o = opts; o->flag; o++) {
        const char *v = o->env ? getenv(o->env) : NULL;
        if (v && *v && !set_value(o, v)) {
            fprintf(stderr, "fiscalhub-sandbox: bad value in %s\n", o->env);
            return 2;
        }
    }
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout, opts, NULL);
            return 0;
        }
        const struct opt *o = opts;
        while (o->flag && strcmp(o->flag, argv[i]) != 0)
            o++;
        if (!o->flag) {
            fprintf(stderr, "fiscalhub-sandbox: unknown option %s (see --help)\n", argv[i]);
            return 2;
        }
        const char *v = o->kind == O_BOOL ? NULL : i + 1 < argc ? argv[++i] : NULL;
        if ((o->kind != O_BOOL && !v) || !set_value(o, v)) {
            fprintf(stderr, "fiscalhub-sandbox: %s needs a valid value\n", o->flag);
            return 2;
        }
    }
    return -1;
}

struct serve_args {
    const char *listen, *data_dir;
    int64_t port, vsdc_port, bad_pac, max_items, max_labels, max_body, idle;
    struct fh_vsdc_opts v;
    struct fh_xero_opts x;
    struct fh_stripe_opts st;
    struct fh_zoho_opts z;
};

/* The Stripe emulator's options (see docs/internals/stripe-sandbox.md). */
#define STRIPE_OPT(flag, env, help, kind, field, lo, hi)                                           \
    {flag, "FISCALHUB_SANDBOX_STRIPE_" env, help, kind, field, lo, hi}
#define STRIPE_OPTS(a)                                                                             \
    STRIPE_OPT("--stripe-time-scale", "TIME_SCALE", "divide webhook retry delays by N (1)", O_INT, \
               &(a).st.time_scale, 1, 10000000),                                                   \
        STRIPE_OPT("--stripe-public-url", "PUBLIC_URL", "Stripe base URL it announces", O_STR,     \
                   &(a).st.public_url, 0, 0),                                                      \
        STRIPE_OPT("--stripe-secret-key", "SECRET_KEY", "the demo account's sk_test_ key", O_STR,  \
                   &(a).st.secret_key, 0, 0),                                                      \
        STRIPE_OPT("--stripe-demo-webhook-url", "DEMO_WEBHOOK_URL", "demo webhook endpoint URL",   \
                   O_STR, &(a).st.demo_webhook_url, 0, 0),                                         \
        STRIPE_OPT("--stripe-demo-webhook-secret", "DEMO_WEBHOOK_SECRET", "its whsec_ secret",     \
                   O_STR, &(a).st.demo_webhook_secret, 0, 0)

/* The Xero emulator's options (see docs/internals/xero-sandbox.md). */
#define XERO_OPT(flag, env, help, kind, field, lo, hi)                                             \
    {flag, "FISCALHUB_SANDBOX_XERO_" env, help, kind, field, lo, hi}
#define XERO_OPTS(a)                                                                               \
    XERO_OPT("--xero-time-scale", "TIME_SCALE", "divide Xero's durations by N (1)", O_INT,         \
             &(a).x.time_scale, 1, 86400),                                                         \
        XERO_OPT("--xero-public-url", "PUBLIC_URL", "Xero base URL it announces", O_STR,           \
                 &(a).x.public_url, 0, 0),                                                         \
        XERO_OPT("--xero-grace-replay", "GRACE_REPLAY", "same|new (same)", O_STR,                  \
                 &(a).x.grace_replay, 0, 0),                                                       \
        XERO_OPT("--xero-max-invoices", "MAX_INVOICES", "documents kept (200000)", O_INT,          \
                 &(a).x.max_invoices, 1, 2000000),                                                 \
        XERO_OPT("--xero-day-limit", "DAY_LIMIT", "calls per tenant a day (5000)", O_INT,          \
                 &(a).x.day_limit, 1, 100000000),                                                  \
        XERO_OPT("--xero-demo-client-id", "DEMO_CLIENT_ID", "demo app client_id", O_STR,           \
                 &(a).x.demo_client_id, 0, 0),                                                     \
        XERO_OPT("--xero-demo-client-secret", "DEMO_CLIENT_SECRET", "demo app secret", O_STR,      \
                 &(a).x.demo_client_secret, 0, 0),                                                 \
        XERO_OPT("--xero-demo-redirect-uris", "DEMO_REDIRECT_URIS",                                \
                 "demo app redirect URIs, comma separated", O_STR, &(a).x.demo_redirect_uris, 0,   \
                 0),                                                                               \
        XERO_OPT("--xero-demo-webhook-url", "DEMO_WEBHOOK_URL", "demo app webhook URL", O_STR,     \
                 &(a).x.demo_webhook_url, 0, 0),                                                   \
        XERO_OPT("--xero-demo-webhook-key", "DEMO_WEBHOOK_KEY", "demo app webhook key", O_STR,     \
                 &(a).x.demo_webhook_key, 0, 0),                                                   \
        XERO_OPT("--xero-demo-password", "DEMO_PASSWORD", "password of demo@example.com", O_STR,   \
                 &(a).x.demo_password, 0, 0)

/* The Zoho Books emulator's options (see docs/internals/zoho-sandbox.md). */
#define ZOHO_OPT(flag, env, help, kind, field, lo, hi)                                             \
    {flag, "FISCALHUB_SANDBOX_ZOHO_" env, help, kind, field, lo, hi}
#define ZOHO_OPTS(a)                                                                               \
    ZOHO_OPT("--zoho-time-scale", "TIME_SCALE", "divide Zoho's durations by N (1)", O_INT,         \
             &(a).z.time_scale, 1, 86400),                                                         \
        ZOHO_OPT("--zoho-public-url", "PUBLIC_URL", "Zoho base URL it announces", O_STR,           \
                 &(a).z.public_url, 0, 0),                                                         \
        ZOHO_OPT("--zoho-day-limit", "DAY_LIMIT", "calls per org a day (0: by plan)", O_INT,       \
                 &(a).z.day_limit, 0, 100000000),                                                  \
        ZOHO_OPT("--zoho-max-invoices", "MAX_INVOICES", "invoices kept (100000)", O_INT,           \
                 &(a).z.max_invoices, 1, 2000000),                                                 \
        ZOHO_OPT("--zoho-demo-client-id", "DEMO_CLIENT_ID", "demo client_id", O_STR,               \
                 &(a).z.demo_client_id, 0, 0),                                                     \
        ZOHO_OPT("--zoho-demo-client-secret", "DEMO_CLIENT_SECRET", "demo client secret", O_STR,   \
                 &(a).z.demo_client_secret, 0, 0),                                                 \
        ZOHO_OPT("--zoho-demo-redirect-uris", "DEMO_REDIRECT_URIS",                                \
                 "demo client redirect URIs, comma separated", O_STR, &(a).z.demo_redirect_uris,   \
                 0, 0),                                                                            \
        ZOHO_OPT("--zoho-demo-webhook-url", "DEMO_WEBHOOK_URL", "demo org workflow webhook URL",   \
                 O_STR, &(a).z.demo_webhook_url, 0, 0),                                            \
        ZOHO_OPT("--zoho-demo-webhook-secret", "DEMO_WEBHOOK_SECRET", "its secret", O_STR,         \
                 &(a).z.demo_webhook_secret, 0, 0),                                                \
        ZOHO_OPT("--zoho-demo-password", "DEMO_PASSWORD", "password of the demo users", O_STR,     \
                 &(a).z.demo_password, 0, 0)

#define SERVE_OPTS(a)                                                                              \
    {                                                                                              \
        {                                                                                          \
            "--listen",                                                                            \
            "FISCALHUB_SANDBOX_LISTEN",                                                            \
            "IPv4 address (127.0.0.1)",                                                            \
            O_STR,                                                                                 \
            &(a).listen,                                                                           \
            0,                                                                                     \
            0},                                                                                    \
            {"--port", "FISCALHUB_SANDBOX_PORT", "HTTP port (8081)", O_INT, &(a).port, 1, 65535},  \
            {"--data-dir",                                                                         \
             "FISCALHUB_SANDBOX_DATA_DIR",                                                         \
             "persistent state (var/sandbox)",                                                     \
             O_STR,                                                                                \
             &(a).data_dir,                                                                        \
             0,                                                                                    \
             0},                                                                                   \
            {"--vsdc-port",                                                                        \
             "FISCALHUB_SANDBOX_VSDC_PORT",                                                        \
             "V-SDC HTTPS port (8443; 0: any)",                                                    \
             O_INT,                                                                                \
             &(a).vsdc_port,                                                                       \
             0,                                                                                    \
             65535},                                                                               \
            {"--vsdc-public-url",                                                                  \
             "FISCALHUB_SANDBOX_VSDC_PUBLIC_URL",                                                  \
             "V-SDC URL it announces",                                                             \
             O_STR,                                                                                \
             &(a).v.public_url,                                                                    \
             0,                                                                                    \
             0},                                                                                   \
            {"--vsdc-verify-root",                                                                 \
             "FISCALHUB_SANDBOX_VSDC_VERIFY_ROOT",                                                 \
             "verification URL root",                                                              \
             O_STR,                                                                                \
             &(a).v.verify_root,                                                                   \
             0,                                                                                    \
             0},                                                                                   \
            {"--vsdc-timezone",                                                                    \
             "FISCALHUB_SANDBOX_VSDC_TIMEZONE",                                                    \
             "SDC clock zone (Europe/Belgrade)",                                                   \
             O_STR,                                                                                \
             &(a).v.timezone,                                                                      \
             0,                                                                                    \
             0},                                                                                   \
            {"--vsdc-language",                                                                    \
             "FISCALHUB_SANDBOX_VSDC_LANGUAGE",                                                    \
             "default language en-US|sr-Cyrl-RS",                                                  \
             O_STR,                                                                                \
             &(a).v.language,                                                                      \
             0,                                                                                    \
             0},                                                                                   \
            {"--vsdc-signed-by",                                                                   \
             "FISCALHUB_SANDBOX_VSDC_SIGNED_BY",                                                   \
             "own|requester (own)",                                                                \
             O_STR,                                                                                \
             &(a).v.signed_by,                                                                     \
             0,                                                                                    \
             0},                                                                                   \
            {"--vsdc-pac-check",                                                                   \
             "FISCALHUB_SANDBOX_VSDC_PAC_CHECK",                                                   \
             "invoices|all (invoices)",                                                            \
             O_STR,                                                                                \
             &(a).v.pac_check,                                                                     \
             0,                                                                                    \
             0},                                                                                   \
            {"--vsdc-bad-pac-status",                                                              \
             "FISCALHUB_SANDBOX_VSDC_BAD_PAC_STATUS",                                              \
             "401|403 (401)",                                                                      \
             O_INT,                                                                                \
             &(a).bad_pac,                                                                         \
             401,                                                                                  \
             403},                                                                                 \
            {"--vsdc-tax-groups",                                                                  \
             "FISCALHUB_SANDBOX_VSDC_TAX_GROUPS",                                                  \
             "JSON file of tax groups",                                                            \
             O_STR,                                                                                \
             &(a).v.tax_groups_file,                                                               \
             0,                                                                                    \
             0},                                                                                   \
            {"--vsdc-max-items",                                                                   \
             "FISCALHUB_SANDBOX_VSDC_MAX_ITEMS",                                                   \
             "items before 2808 (500)",                                                            \
             O_INT,                                                                                \
             &(a).max_items,                                                                       \
             1,                                                                                    \
             100000},                                                                              \
            {"--vsdc-max-labels",                                                                  \
             "FISCALHUB_SANDBOX_VSDC_MAX_LABELS",                                                  \
             "labels per item before 2808 (16)",                                                   \
             O_INT,                                                                                \
             &(a).max_labels,                                                                      \
             1,                                                                                    \
             16},                                                                                  \
            {"--vsdc-max-body",                                                                    \
             "FISCALHUB_SANDBOX_VSDC_MAX_BODY",                                                    \
             "request body bytes (1048576)",                                                       \
             O_INT,                                                                                \
             &(a).max_body,                                                                        \
             1024,                                                                                 \
             64 << 20},                                                                            \
            {"--vsdc-idle-timeout",                                                                \
             "FISCALHUB_SANDBOX_VSDC_IDLE_TIMEOUT",                                                \
             "keep-alive idle seconds (30)",                                                       \
             O_INT,                                                                                \
             &(a).idle,                                                                            \
             1,                                                                                    \
             3600},                                                                                \
            {"--vsdc-strict-amounts",                                                              \
             "FISCALHUB_SANDBOX_VSDC_STRICT_AMOUNTS",                                              \
             "check totals and payments",                                                          \
             O_BOOL,                                                                               \
             &(a).v.strict_amounts,                                                                \
             0,                                                                                    \
             0},                                                                                   \
            XERO_OPTS(a),                                                                          \
            STRIPE_OPTS(a),                                                                        \
            ZOHO_OPTS(a),                                                                          \
            {NULL, NULL, NULL, O_STR, NULL, 0, 0},                                                 \
    }

struct issue_args {
    const char *data_dir, *out;
    struct fh_vsdc_issue_opts o;
};

#define ISSUE_OPTS(a)                                                                               \
    {                                                                                               \
        {"--data-dir",                                                                              \
         "FISCALHUB_SANDBOX_DATA_DIR",                                                              \
         "sandbox state (var/sandbox)",                                                             \
         O_STR,                                                                                     \
         &(a).data_dir,                                                                             \
         0,                                                                                         \
         0},                                                                                        \
            {"--out", NULL, "folder for <UID>.pfx/.password/.pac", O_STR, &(a).out, 0, 0},          \
            {"--uid", NULL, "8 characters A-Z 0-9 (random)", O_STR, &(a).o.uid, 0, 0},              \
            {"--tin", NULL, "taxpayer TIN (random 9 digits)", O_STR, &(a).o.tin, 0, 0},             \
            {"--name", NULL, "taxpayer name", O_STR, &(a).o.name, 0, 0},                            \
            {"--location", NULL, "location name", O_STR, &(a).o.location, 0, 0},                    \
            {"--address", NULL, "street address", O_STR, &(a).o.address, 0, 0},                     \
            {"--district", NULL, "district / city", O_STR, &(a).o.district, 0, 0},                  \
            {"--vsdc-url",                                                                          \
             NULL,                                                                                  \
             "V-SDC URL in the cert (https://127.0.0.1:8443)",                                      \
             O_STR,                                                                                 \
             &(a).o.vsdc_url,                                                                       \
             0,                                                                                     \
             0},                                                                                    \
            {"--api-url", NULL, "TaxCore.API URL in the cert (same)", O_STR, &(a).o.api_url, 0, 0}, \
            {"--days", NULL, "validity in days (365)", O_INT, &(a).o.days, 1, 3650},                \
            {"--expired", NULL, "already expired", O_BOOL, &(a).o.expired, 0, 0},                   \
            {"--legacy", NULL, "RC2/3DES/SHA1 PKCS#12", O_BOOL, &(a).o.legacy, 0, 0},               \
            {"--no-taxcore-ext",                                                                    \
             NULL,                                                                                  \
             "without the TaxCore OIDs",                                                            \
             O_BOOL,                                                                                \
             &(a).o.no_taxcore_ext,                                                                 \
             0,                                                                                     \
             0},                                                                                    \
            {"--key-mismatch",                                                                      \
             NULL,                                                                                  \
             "a key that is not the certificate's",                                                 \
             O_BOOL,                                                                                \
             &(a).o.key_mismatch,                                                                   \
             0,                                                                                     \
             0},                                                                                    \
            {NULL, NULL, NULL, O_STR, NULL, 0, 0},                                                  \
    }

static int issue_cert(int argc, char **argv)
{
    struct issue_args a = {.data_dir = "var/sandbox", .o = {.days = 365}};
    struct opt opts[] = ISSUE_OPTS(a);
    int ec = parse_opts(opts, argc, argv);
    if (ec >= 0)
        return ec;
    if (!a.out) {
        fprintf(stderr, "fiscalhub-sandbox: issue-cert needs --out DIR\n");
        return 2;
    }
    if (!a.o.vsdc_url)
        a.o.vsdc_url = "https://127.0.0.1:8443";
    if (!a.o.api_url)
        a.o.api_url = a.o.vsdc_url;
    fh_log_set_level(FH_LOG_WARN);
    return fh_vsdc_issue_cert_cmd(a.data_dir, a.out, &a.o);
}

static int run(struct fh_config *cfg, const struct fh_sandbox_ctx *ctx)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    size_t n, started = 0;
    const struct fh_sandbox_emulator *e = fh_sandbox_emulators(&n);
    int status = 1;
    for (; started < n; started++)
        if (e[started].start && e[started].start(ctx) != FH_OK)
            goto stop;
    struct fh_app app;
    memset(&app, 0, sizeof(app));
    app.cfg = cfg;
    struct fh_route *routes = fh_sandbox_routes(&app.nroutes);
    app.routes = routes;
    struct fh_server *srv = NULL;
    if (fh_server_start(&app, &srv) == FH_OK) {
        printf("fiscalhub-sandbox: partner emulators at http://%s:%u\n", cfg->listen_addr,
               (unsigned)cfg->port);
        fflush(stdout);
        int sig = 0;
        sigwait(&set, &sig);
        fh_server_stop(srv);
        status = 0;
    }
    free(routes);
stop:
    while (started-- > 0)
        if (e[started].stop)
            e[started].stop();
    return status;
}

static int serve(int argc, char **argv)
{
    struct serve_args a = {.listen = "127.0.0.1", .data_dir = "var/sandbox", .port = 8081};
    fh_vsdc_opts_default(&a.v);
    fh_xero_opts_default(&a.x);
    fh_stripe_opts_default(&a.st);
    fh_zoho_opts_default(&a.z);
    a.vsdc_port = a.v.port;
    a.bad_pac = a.v.bad_pac_status;
    a.max_items = a.v.max_items;
    a.max_labels = a.v.max_labels;
    a.max_body = a.v.max_body;
    a.idle = a.v.idle_timeout_s;
    struct opt opts[] = SERVE_OPTS(a);
    int ec = parse_opts(opts, argc, argv);
    if (ec >= 0)
        return ec;
    a.v.port = (uint16_t)a.vsdc_port;
    a.v.bad_pac_status = (int)a.bad_pac;
    a.v.max_items = a.max_items;
    a.v.max_labels = a.max_labels;
    a.v.max_body = a.max_body;
    a.v.idle_timeout_s = a.idle;
    fh_vsdc_configure(&a.v);
    fh_xero_configure(&a.x);
    fh_stripe_configure(&a.st);
    fh_zoho_configure(&a.z);
    struct fh_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    if (!fh_strlcpy(cfg.listen_addr, a.listen, sizeof(cfg.listen_addr)))
        return 2;
    cfg.port = (uint16_t)a.port;
    /* An emulator's partner-facing handlers run on partner threads (sandbox.c), so a slow, held
     * or timed-out answer holds one of those, never an HTTP thread with other connections on it
     * (a test's control calls among them). */
    cfg.http_threads = 4;
    cfg.partner_threads = 64;
    cfg.partner_queue = 4096;
    cfg.shutdown_grace_ms = 5000;
    cfg.web_dir = fh_strdup("/nonexistent");
    struct fh_sandbox_ctx ctx = {
        .listen_addr = cfg.listen_addr, .http_port = cfg.port, .data_dir = a.data_dir};
    int status = run(&cfg, &ctx);
    free(cfg.web_dir);
    return status;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    fh_crypto_init();
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    const char *level = getenv("FISCALHUB_LOG_LEVEL");
    for (int i = 0; level && i < 4; i++)
        if (strcmp(level, levels[i]) == 0)
            fh_log_set_level((enum fh_log_level)i);
    if (argc >= 2 && strcmp(argv[1], "serve") == 0)
        return serve(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "issue-cert") == 0)
        return issue_cert(argc - 2, argv + 2);
    struct serve_args s;
    struct issue_args i;
    memset(&s, 0, sizeof(s));
    memset(&i, 0, sizeof(i));
    struct opt so[] = SERVE_OPTS(s), io[] = ISSUE_OPTS(i);
    bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    usage(help ? stdout : stderr, so, io);
    return help ? 0 : 2;
}
