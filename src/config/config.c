/* config.c - settings from defaults, FISCALHUB_* environment, then flags; read once. */
#include "fh/fh_config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum opt_id {
    O_LISTEN, O_PORT, O_DB, O_KEYFILE, O_RETIRED_KEYS, O_WEB, O_PUBLIC, O_SANDBOX, O_HTTP_THREADS, O_PARTNER_THREADS, O_PARTNER_QUEUE, O_WORKERS,
    O_NO_WORKERS, O_SESSION_TTL, O_LOGIN_MAX, O_LOGIN_WINDOW, O_JOB_ATTEMPTS, O_JOB_LEASE,
    O_JOB_BACKOFF, O_GRACE, O_LOG_LEVEL, O_JOB_BACKOFF_MAX, O_TC_CA, O_TC_TIMEOUT,
    O_TC_CONNECT_TIMEOUT, O_TC_LANGUAGE, O_FISCAL_ATTEMPTS, O_XERO_CLIENT_ID, O_XERO_SECRET,
    O_XERO_AUTHORIZE, O_XERO_TOKEN, O_XERO_REVOKE, O_XERO_CONNECTIONS, O_XERO_API, O_XERO_WEBHOOK_KEY,
    O_XERO_SCOPES, O_XERO_DEEP_LINK, O_XERO_MINUTE, O_XERO_DAY, O_XERO_CONCURRENT, O_XERO_APP_MINUTE,
    O_XERO_TIME_SCALE, O_XERO_POLL, O_XERO_TIMEOUT, O_XERO_PAGE, O_ZOHO_CLIENT_ID, O_ZOHO_SECRET, O_ZOHO_ACCOUNTS,
    O_ZOHO_SCOPES, O_ZOHO_DAY_LIMITS, O_ZOHO_MINUTE, O_ZOHO_CONCURRENT, O_ZOHO_TIME_SCALE,
    O_ZOHO_POLL, O_ZOHO_MIN_POLL, O_ZOHO_WEBHOOK_POLL, O_ZOHO_TIMEOUT, O_API_RATE, O_API_BURST, O_IDEM_TTL,
    O_WH_TIMEOUT, O_WH_BACKOFF, O_WH_BACKOFF_MAX, O_WH_RETRY, O_WH_LOG, O_TRIAL_CONN,
    O_TRIAL_INV, O_STARTER_INV, O_GROWTH_INV, O_SCALE_INV, O_STARTER_POLL, O_GROWTH_POLL,
    O_SCALE_POLL, O_GROWTH_DELAY, O_KEY_VALID, O_BILL_OFFSET, O_BILL_RELEASE, O_STRIPE_API,
    O_STRIPE_KEY, O_STRIPE_WHSEC, O_STRIPE_PRICES, O_STRIPE_TIMEOUT, O_SQLITE_SYNC, O_FISCAL_WORKERS,
    O_WH_CONCURRENCY, O_FISCAL_RETRY, O_FISCAL_WINDOW, O_SQLITE_MAX_MB, O_COUNT
};

static const struct fh_config_opt opts[O_COUNT] = {
    [O_LISTEN] = {"--listen", "FISCALHUB_LISTEN", "address to listen on (127.0.0.1)"},
    [O_PORT] = {"--port", "FISCALHUB_PORT", "HTTP port (8080)"},
    [O_DB] = {"--database-url", "DATABASE_URL", "SQLite file path or postgres:// URL (var/fiscalhub.db)"},
    [O_KEYFILE] = {"--master-key-file", "FISCALHUB_MASTER_KEY_FILE",
                   "master key file, created 0600 when missing (var/master.key); "
                   "FISCALHUB_MASTER_KEY (64 hex digits) takes precedence"},
    [O_RETIRED_KEYS] = {"--retired-master-key-files", "FISCALHUB_RETIRED_MASTER_KEY_FILES",
                        "comma-separated files of master keys a rotation replaced: secrets "
                        "sealed under them still open until `fiscalhub admin reseal` (none)"},
    [O_WEB] = {"--web-dir", "FISCALHUB_WEB_DIR", "built portal to serve (web/dist)"},
    [O_PUBLIC] = {"--public-url", "FISCALHUB_PUBLIC_URL", "URL users reach (http://<listen>:<port>)"},
    [O_SANDBOX] = {"--sandbox-url", "FISCALHUB_SANDBOX_URL", "fiscalhub-sandbox base URL (http://127.0.0.1:8081)"},
    [O_SQLITE_SYNC] = {"--sqlite-synchronous", "FISCALHUB_SQLITE_SYNCHRONOUS",
                       "full: a SQLite commit is on the disk before it is acknowledged; normal: it "
                       "survives a crash of fiscalhub, not of the machine (full)"},
    [O_SQLITE_MAX_MB] = {"--sqlite-max-mb", "FISCALHUB_SQLITE_MAX_MB",
                         "the most MiB the SQLite store may grow to; beyond it writes fail as on a "
                         "full disk (0: no limit)"},
    [O_HTTP_THREADS] = {"--http-threads", "FISCALHUB_HTTP_THREADS", "HTTP thread pool size (4)"},
    [O_PARTNER_THREADS] = {"--partner-threads", "FISCALHUB_PARTNER_THREADS",
                           "threads that run the requests waiting for a partner's answer: OAuth "
                           "callbacks, Test Connection, tax mapping, Stripe checkout and portal (4)"},
    [O_PARTNER_QUEUE] = {"--partner-queue", "FISCALHUB_PARTNER_QUEUE",
                         "requests that may wait for a partner thread; more answer 503 (64)"},
    [O_WORKERS] = {"--workers", "FISCALHUB_WORKERS", "job worker threads (2)"},
    [O_FISCAL_WORKERS] = {"--fiscal-workers", "FISCALHUB_FISCAL_WORKERS",
                          "more job worker threads that run only fiscalizations (2)"},
    [O_NO_WORKERS] = {"--no-workers", NULL, "serve only: run no job workers or scheduler"},
    [O_SESSION_TTL] = {"--session-ttl-hours", "FISCALHUB_SESSION_TTL_HOURS", "session lifetime (168)"},
    [O_LOGIN_MAX] = {"--login-max-failures", "FISCALHUB_LOGIN_MAX_FAILURES",
                     "failed log-ins allowed per window (5)"},
    [O_LOGIN_WINDOW] = {"--login-window-minutes", "FISCALHUB_LOGIN_WINDOW_MINUTES",
                        "log-in rate-limit window (15)"},
    [O_JOB_ATTEMPTS] = {"--job-max-attempts", "FISCALHUB_JOB_MAX_ATTEMPTS",
                        "attempts before a job is dead-lettered (8)"},
    [O_JOB_LEASE] = {"--job-lease-seconds", "FISCALHUB_JOB_LEASE_SECONDS", "job lease (60)"},
    [O_JOB_BACKOFF] = {"--job-backoff-ms", "FISCALHUB_JOB_BACKOFF_MS", "first retry delay (1000)"},
    [O_GRACE] = {"--shutdown-grace-seconds", "FISCALHUB_SHUTDOWN_GRACE_SECONDS",
                 "time in-flight requests get on shutdown (20)"},
    [O_LOG_LEVEL] = {"--log-level", "FISCALHUB_LOG_LEVEL", "debug, info, warn or error (info)"},
    [O_JOB_BACKOFF_MAX] = {"--job-backoff-max-ms", "FISCALHUB_JOB_BACKOFF_MAX_MS",
                           "longest retry delay (3600000)"},
    [O_TC_CA] = {"--taxcore-ca-file", "FISCALHUB_TAXCORE_CA_FILE",
                 "CA bundle that signs V-SDC server certificates (system store)"},
    [O_TC_TIMEOUT] = {"--taxcore-timeout-ms", "FISCALHUB_TAXCORE_TIMEOUT_MS",
                      "whole V-SDC call (40000)"},
    [O_TC_CONNECT_TIMEOUT] = {"--taxcore-connect-timeout-ms", "FISCALHUB_TAXCORE_CONNECT_TIMEOUT_MS",
                              "V-SDC connect and TLS handshake (10000)"},
    [O_TC_LANGUAGE] = {"--taxcore-language", "FISCALHUB_TAXCORE_LANGUAGE",
                       "Accept-Language of journals and messages, or none (en-US)"},
    [O_FISCAL_WINDOW] = {"--fiscal-org-window", "FISCALHUB_FISCAL_ORG_WINDOW",
                         "fiscalizations of one organization due or running at once; its others "
                         "wait their turn behind other organizations' (16)"},
    [O_FISCAL_ATTEMPTS] = {"--fiscal-max-attempts", "FISCALHUB_FISCAL_MAX_ATTEMPTS",
                           "attempts to fiscalize an invoice before it fails (1000; the retry "
                           "window usually ends them first)"},
    [O_FISCAL_RETRY] = {"--fiscal-retry-seconds", "FISCALHUB_FISCAL_RETRY_SECONDS",
                        "attempts without a definite answer (V-SDC unreachable, 5xx, timeouts) "
                        "go on this long before the invoice fails (86400)"},
    [O_XERO_CLIENT_ID] = {"--xero-client-id", "FISCALHUB_XERO_CLIENT_ID", "Xero app client id (sandbox demo app)"},
    [O_XERO_SECRET] = {"--xero-client-secret", "FISCALHUB_XERO_CLIENT_SECRET", "Xero app client secret"},
    [O_XERO_AUTHORIZE] = {"--xero-authorize-url", "FISCALHUB_XERO_AUTHORIZE_URL",
                          "Xero consent page (<sandbox>/xero/identity/connect/authorize)"},
    [O_XERO_TOKEN] = {"--xero-token-url", "FISCALHUB_XERO_TOKEN_URL",
                      "Xero token endpoint (<sandbox>/xero/identity/connect/token)"},
    [O_XERO_REVOKE] = {"--xero-revoke-url", "FISCALHUB_XERO_REVOKE_URL",
                       "Xero revocation endpoint (<sandbox>/xero/identity/connect/revocation)"},
    [O_XERO_CONNECTIONS] = {"--xero-connections-url", "FISCALHUB_XERO_CONNECTIONS_URL",
                            "Xero connections (<sandbox>/xero/api/connections)"},
    [O_XERO_API] = {"--xero-api-url", "FISCALHUB_XERO_API_URL", "Xero Accounting API (<sandbox>/xero/api.xro/2.0)"},
    [O_XERO_WEBHOOK_KEY] = {"--xero-webhook-key", "FISCALHUB_XERO_WEBHOOK_KEY",
                            "Xero webhook signing key (the sandbox demo app's)"},
    [O_XERO_SCOPES] = {"--xero-scopes", "FISCALHUB_XERO_SCOPES", "OAuth scopes requested from Xero"},
    [O_XERO_DEEP_LINK] = {"--xero-deep-link-url", "FISCALHUB_XERO_DEEP_LINK_URL",
                          "View in Xero link, the InvoiceID is appended (sandbox page)"},
    [O_XERO_MINUTE] = {"--xero-minute-limit", "FISCALHUB_XERO_MINUTE_LIMIT", "Xero calls per tenant and minute (60)"},
    [O_XERO_DAY] = {"--xero-day-limit", "FISCALHUB_XERO_DAY_LIMIT", "Xero calls per tenant and day (5000)"},
    [O_XERO_CONCURRENT] = {"--xero-concurrent-limit", "FISCALHUB_XERO_CONCURRENT_LIMIT",
                           "Xero calls in flight per tenant (5)"},
    [O_XERO_APP_MINUTE] = {"--xero-app-minute-limit", "FISCALHUB_XERO_APP_MINUTE_LIMIT",
                           "Xero calls per minute for the whole app (10000)"},
    [O_XERO_TIME_SCALE] = {"--xero-time-scale", "FISCALHUB_XERO_TIME_SCALE",
                           "divides Xero's rate windows, as the sandbox's time scale does (1)"},
    [O_XERO_POLL] = {"--xero-poll-seconds", "FISCALHUB_XERO_POLL_SECONDS", "Xero polling interval for every tier (0: each tier's own)"},
    [O_XERO_TIMEOUT] = {"--xero-timeout-ms", "FISCALHUB_XERO_TIMEOUT_MS", "one Xero call (30000)"},
    [O_XERO_PAGE] = {"--xero-page-size", "FISCALHUB_XERO_PAGE_SIZE",
                     "invoices per GET /Invoices page when syncing, 1-1000 (100, Xero's default)"},
    [O_ZOHO_CLIENT_ID] = {"--zoho-client-id", "FISCALHUB_ZOHO_CLIENT_ID", "Zoho client id (sandbox demo client)"},
    [O_ZOHO_SECRET] = {"--zoho-client-secret", "FISCALHUB_ZOHO_CLIENT_SECRET", "Zoho client secret"},
    [O_ZOHO_ACCOUNTS] = {"--zoho-accounts-url", "FISCALHUB_ZOHO_ACCOUNTS_URL",
                         "zoho (Zoho's accounts servers) or a base + /<data center> (<sandbox>/zoho/accounts)"},
    [O_ZOHO_SCOPES] = {"--zoho-scopes", "FISCALHUB_ZOHO_SCOPES", "OAuth scopes requested from Zoho (comma separated)"},
    [O_ZOHO_DAY_LIMITS] = {"--zoho-day-limits", "FISCALHUB_ZOHO_DAY_LIMITS",
                           "Zoho calls a day per organization by plan (free=1000,standard=2000,...)"},
    [O_ZOHO_MINUTE] = {"--zoho-minute-limit", "FISCALHUB_ZOHO_MINUTE_LIMIT", "Zoho calls per organization and minute (80)"},
    [O_ZOHO_CONCURRENT] = {"--zoho-concurrent-limit", "FISCALHUB_ZOHO_CONCURRENT_LIMIT",
                           "Zoho calls in flight per organization (5)"},
    [O_ZOHO_TIME_SCALE] = {"--zoho-time-scale", "FISCALHUB_ZOHO_TIME_SCALE",
                           "divides Zoho's rate windows, as the sandbox's time scale does (1)"},
    [O_ZOHO_POLL] = {"--zoho-poll-seconds", "FISCALHUB_ZOHO_POLL_SECONDS", "Zoho polling while no webhook arrives, every tier (0: each tier's own)"},
    [O_ZOHO_MIN_POLL] = {"--zoho-min-poll-seconds", "FISCALHUB_ZOHO_MIN_POLL_SECONDS",
                         "Zoho: shortest polling interval of any tier (360)"},
    [O_ZOHO_WEBHOOK_POLL] = {"--zoho-webhook-poll-seconds", "FISCALHUB_ZOHO_WEBHOOK_POLL_SECONDS",
                             "Zoho polling while webhooks arrive, and how recent one must be (21600)"},
    [O_ZOHO_TIMEOUT] = {"--zoho-timeout-ms", "FISCALHUB_ZOHO_TIMEOUT_MS", "one Zoho call (30000)"},
    [O_API_RATE] = {"--api-rate-per-minute", "FISCALHUB_API_RATE_PER_MINUTE",
                    "public API requests per minute and API key (600)"},
    [O_API_BURST] = {"--api-rate-burst", "FISCALHUB_API_RATE_BURST",
                     "public API requests an API key may make at once (60)"},
    [O_IDEM_TTL] = {"--idempotency-ttl-hours", "FISCALHUB_IDEMPOTENCY_TTL_HOURS",
                    "how long an Idempotency-Key is remembered (24)"},
    [O_WH_TIMEOUT] = {"--webhook-timeout-ms", "FISCALHUB_WEBHOOK_TIMEOUT_MS", "one webhook delivery POST (10000)"},
    [O_WH_CONCURRENCY] = {"--webhook-endpoint-concurrency", "FISCALHUB_WEBHOOK_ENDPOINT_CONCURRENCY",
                          "webhook POSTs in flight to one endpoint at a time, per process (0: half "
                          "the workers, at least 1)"},
    [O_WH_BACKOFF] = {"--webhook-backoff-ms", "FISCALHUB_WEBHOOK_BACKOFF_MS",
                      "first webhook retry delay, doubled per attempt (30000)"},
    [O_WH_BACKOFF_MAX] = {"--webhook-backoff-max-ms", "FISCALHUB_WEBHOOK_BACKOFF_MAX_MS",
                          "longest webhook retry delay (3600000)"},
    [O_WH_RETRY] = {"--webhook-retry-seconds", "FISCALHUB_WEBHOOK_RETRY_SECONDS",
                    "how long a webhook delivery is retried before it is failed (86400)"},
    [O_WH_LOG] = {"--webhook-log-days", "FISCALHUB_WEBHOOK_LOG_DAYS", "outgoing events and their delivery log kept (30)"},
    [O_TRIAL_CONN] = {"--trial-connections", "FISCALHUB_TRIAL_CONNECTIONS", "free trial: connections (1)"},
    [O_TRIAL_INV] = {"--trial-invoices", "FISCALHUB_TRIAL_INVOICES", "free trial: fiscal invoices a month (50)"},
    [O_STARTER_INV] = {"--starter-invoices", "FISCALHUB_STARTER_INVOICES", "Starter: fiscal invoices a month (500)"},
    [O_GROWTH_INV] = {"--growth-invoices", "FISCALHUB_GROWTH_INVOICES", "Growth: fiscal invoices a month (5000)"},
    [O_SCALE_INV] = {"--scale-invoices", "FISCALHUB_SCALE_INVOICES", "Scale: fiscal invoices a month (50000)"},
    [O_STARTER_POLL] = {"--starter-poll-seconds", "FISCALHUB_STARTER_POLL_SECONDS", "Starter: polling interval (900)"},
    [O_GROWTH_POLL] = {"--growth-poll-seconds", "FISCALHUB_GROWTH_POLL_SECONDS", "Growth: polling interval (300)"},
    [O_SCALE_POLL] = {"--scale-poll-seconds", "FISCALHUB_SCALE_POLL_SECONDS", "Scale (and trial): polling interval (60)"},
    [O_GROWTH_DELAY] = {"--growth-webhook-delay-seconds", "FISCALHUB_GROWTH_WEBHOOK_DELAY_SECONDS",
                        "Growth: delay before a webhook's invoice is read (60)"},
    [O_KEY_VALID] = {"--key-valid-days", "FISCALHUB_KEY_VALID_DAYS", "days an issued activation key can be redeemed in (365)"},
    [O_BILL_OFFSET] = {"--billing-clock-offset-days", "FISCALHUB_BILLING_CLOCK_OFFSET_DAYS",
                       "tests only: days added to the licensing clock (0)"},
    [O_BILL_RELEASE] = {"--billing-release-seconds", "FISCALHUB_BILLING_RELEASE_SECONDS",
                        "how often invoices on hold are checked for release (300)"},
    [O_STRIPE_API] = {"--stripe-api-url", "FISCALHUB_STRIPE_API_URL", "Stripe API base (<sandbox>/stripe)"},
    [O_STRIPE_KEY] = {"--stripe-secret-key", "FISCALHUB_STRIPE_SECRET_KEY", "Stripe secret key (the sandbox demo account's)"},
    [O_STRIPE_WHSEC] = {"--stripe-webhook-secret", "FISCALHUB_STRIPE_WEBHOOK_SECRET",
                        "Stripe webhook signing secret whsec_... (the sandbox demo endpoint's)"},
    [O_STRIPE_PRICES] = {"--stripe-prices", "FISCALHUB_STRIPE_PRICES",
                         "price ids: starter_month=price_...,starter_year=...,growth_...,scale_... (sandbox demo)"},
    [O_STRIPE_TIMEOUT] = {"--stripe-timeout-ms", "FISCALHUB_STRIPE_TIMEOUT_MS", "one Stripe call (15000)"},
};

static void set_str(char **dst, const char *v);
static bool int_in(const char *v, int64_t lo, int64_t hi, int64_t *out);

static char **xero_str(struct fh_config *cfg, enum opt_id id)
{
    switch (id) {
    case O_XERO_CLIENT_ID: return &cfg->xero_client_id;
    case O_XERO_SECRET: return &cfg->xero_client_secret;
    case O_XERO_AUTHORIZE: return &cfg->xero_authorize_url;
    case O_XERO_TOKEN: return &cfg->xero_token_url;
    case O_XERO_REVOKE: return &cfg->xero_revoke_url;
    case O_XERO_CONNECTIONS: return &cfg->xero_connections_url;
    case O_XERO_API: return &cfg->xero_api_url;
    case O_XERO_WEBHOOK_KEY: return &cfg->xero_webhook_key;
    case O_XERO_SCOPES: return &cfg->xero_scopes;
    case O_XERO_DEEP_LINK: return &cfg->xero_deep_link_url;
    default: return NULL;
    }
}

static int64_t *xero_int(struct fh_config *cfg, enum opt_id id, int64_t *lo, int64_t *hi)
{
    *lo = 1;
    *hi = 1000000;
    switch (id) {
    case O_XERO_MINUTE: return &cfg->xero_minute_limit;
    case O_XERO_DAY: return &cfg->xero_day_limit;
    case O_XERO_CONCURRENT: *hi = 100; return &cfg->xero_concurrent_limit;
    case O_XERO_APP_MINUTE: return &cfg->xero_app_minute_limit;
    case O_XERO_TIME_SCALE: *hi = 3600; return &cfg->xero_time_scale;
    case O_XERO_POLL: *lo = 0; *hi = 86400; return &cfg->xero_poll_ms;
    case O_XERO_TIMEOUT: *lo = 100; *hi = 600000; return &cfg->xero_timeout_ms;
    case O_XERO_PAGE: *hi = 1000; return &cfg->xero_page_size;
    default: return NULL;
    }
}

/* The public API and webhook settings (integers, scaled to their unit); FH_E_NOTFOUND when id
 * is another option. */
struct int_opt {
    enum opt_id id;
    size_t off;
    int64_t lo, hi, unit;
};

/* Sets the int64_t setting of id from table t (value in [lo, hi] times unit); FH_E_NOTFOUND when
 * id is not in t. */
static enum fh_rc apply_ints(struct fh_config *cfg, const struct int_opt *t, size_t n,
                             enum opt_id id, const char *v)
{
    for (size_t i = 0; i < n; i++) {
        if (t[i].id != id)
            continue;
        int64_t x;
        if (!int_in(v, t[i].lo, t[i].hi, &x))
            return FH_E_INPUT;
        *(int64_t *)((char *)cfg + t[i].off) = x * t[i].unit;
        return FH_OK;
    }
    return FH_E_NOTFOUND;
}

static enum fh_rc apply_custom(struct fh_config *cfg, enum opt_id id, const char *v)
{
    static const struct int_opt t[] = {
        {O_API_RATE, offsetof(struct fh_config, api_rate_per_minute), 1, 1000000, 1},
        {O_API_BURST, offsetof(struct fh_config, api_rate_burst), 1, 100000, 1},
        {O_IDEM_TTL, offsetof(struct fh_config, idempotency_ttl_ms), 1, 24 * 365, 3600 * 1000},
        {O_WH_TIMEOUT, offsetof(struct fh_config, webhook_timeout_ms), 100, 120000, 1},
        {O_WH_CONCURRENCY, offsetof(struct fh_config, webhook_endpoint_concurrency), 0, 256, 1},
        {O_FISCAL_RETRY, offsetof(struct fh_config, fiscal_retry_ms), 1, 30LL * 86400, 1000},
        {O_WH_BACKOFF, offsetof(struct fh_config, webhook_backoff_ms), 1, 24LL * 3600 * 1000, 1},
        {O_WH_BACKOFF_MAX, offsetof(struct fh_config, webhook_backoff_max_ms), 1, 24LL * 3600 * 1000, 1},
        {O_WH_RETRY, offsetof(struct fh_config, webhook_retry_ms), 1, 30LL * 86400, 1000},
        {O_WH_LOG, offsetof(struct fh_config, webhook_log_ms), 1, 3650, 86400LL * 1000},
    };
    return apply_ints(cfg, t, FH_ARRAY_LEN(t), id, v);
}

static char **billing_str(struct fh_config *cfg, enum opt_id id)
{
    switch (id) {
    case O_STRIPE_API: return &cfg->stripe_api_url;
    case O_STRIPE_KEY: return &cfg->stripe_secret_key;
    case O_STRIPE_WHSEC: return &cfg->stripe_webhook_secret;
    case O_STRIPE_PRICES: return &cfg->stripe_prices;
    default: return NULL;
    }
}

/* The licensing settings; FH_E_NOTFOUND when id is another option. */
static enum fh_rc apply_billing(struct fh_config *cfg, enum opt_id id, const char *v)
{
    static const struct int_opt t[] = {
        {O_TRIAL_CONN, offsetof(struct fh_config, trial_connections), 0, 100000, 1},
        {O_TRIAL_INV, offsetof(struct fh_config, trial_invoices), 0, 100000000, 1},
        {O_STARTER_INV, offsetof(struct fh_config, tier_invoices[1]), 1, 100000000, 1},
        {O_GROWTH_INV, offsetof(struct fh_config, tier_invoices[2]), 1, 100000000, 1},
        {O_SCALE_INV, offsetof(struct fh_config, tier_invoices[3]), 1, 100000000, 1},
        {O_STARTER_POLL, offsetof(struct fh_config, tier_poll_ms[1]), 1, 86400, 1000},
        {O_GROWTH_POLL, offsetof(struct fh_config, tier_poll_ms[2]), 1, 86400, 1000},
        {O_SCALE_POLL, offsetof(struct fh_config, tier_poll_ms[3]), 1, 86400, 1000},
        {O_GROWTH_DELAY, offsetof(struct fh_config, growth_webhook_delay_ms), 0, 3600, 1000},
        {O_KEY_VALID, offsetof(struct fh_config, key_valid_ms), 1, 3650, 86400LL * 1000},
        {O_BILL_OFFSET, offsetof(struct fh_config, billing_clock_offset_ms), 0, 3650, 86400LL * 1000},
        {O_BILL_RELEASE, offsetof(struct fh_config, billing_release_ms), 1, 86400, 1000},
        {O_STRIPE_TIMEOUT, offsetof(struct fh_config, stripe_timeout_ms), 100, 120000, 1},
    };
    char **s = billing_str(cfg, id);
    if (s) {
        if (id == O_STRIPE_API && !fh_starts_with(v, "http://") && !fh_starts_with(v, "https://"))
            return FH_E_INPUT;
        set_str(s, v);
        return FH_OK;
    }
    return apply_ints(cfg, t, FH_ARRAY_LEN(t), id, v);
}

static char **zoho_str(struct fh_config *cfg, enum opt_id id)
{
    switch (id) {
    case O_ZOHO_CLIENT_ID: return &cfg->zoho_client_id;
    case O_ZOHO_SECRET: return &cfg->zoho_client_secret;
    case O_ZOHO_ACCOUNTS: return &cfg->zoho_accounts_url;
    case O_ZOHO_SCOPES: return &cfg->zoho_scopes;
    case O_ZOHO_DAY_LIMITS: return &cfg->zoho_day_limits;
    default: return NULL;
    }
}

/* The Zoho settings; FH_E_NOTFOUND when id is another option. */
static enum fh_rc apply_zoho(struct fh_config *cfg, enum opt_id id, const char *v)
{
    static const struct int_opt t[] = {
        {O_ZOHO_MINUTE, offsetof(struct fh_config, zoho_minute_limit), 1, 100000, 1},
        {O_ZOHO_CONCURRENT, offsetof(struct fh_config, zoho_concurrent_limit), 1, 100, 1},
        {O_ZOHO_TIME_SCALE, offsetof(struct fh_config, zoho_time_scale), 1, 3600, 1},
        {O_ZOHO_POLL, offsetof(struct fh_config, zoho_poll_ms), 0, 86400, 1000},
        {O_ZOHO_MIN_POLL, offsetof(struct fh_config, zoho_min_poll_ms), 0, 86400, 1000},
        {O_ZOHO_WEBHOOK_POLL, offsetof(struct fh_config, zoho_webhook_poll_ms), 1, 7 * 86400, 1000},
        {O_ZOHO_TIMEOUT, offsetof(struct fh_config, zoho_timeout_ms), 100, 600000, 1},
    };
    char **s = zoho_str(cfg, id);
    if (s) {
        if (id == O_ZOHO_ACCOUNTS && strcmp(v, "zoho") != 0 && !fh_starts_with(v, "http://") &&
            !fh_starts_with(v, "https://"))
            return FH_E_INPUT;
        set_str(s, v);
        return FH_OK;
    }
    return apply_ints(cfg, t, FH_ARRAY_LEN(t), id, v);
}

/* The Xero settings (strings and integers); FH_E_NOTFOUND when id is another option. */
static enum fh_rc apply_xero(struct fh_config *cfg, enum opt_id id, const char *v)
{
    char **s = xero_str(cfg, id);
    if (s) {
        bool url = id != O_XERO_CLIENT_ID && id != O_XERO_SECRET && id != O_XERO_WEBHOOK_KEY &&
                   id != O_XERO_SCOPES;
        if (url && !fh_starts_with(v, "http://") && !fh_starts_with(v, "https://"))
            return FH_E_INPUT;
        set_str(s, v);
        return FH_OK;
    }
    int64_t lo, hi, x;
    int64_t *i = xero_int(cfg, id, &lo, &hi);
    if (!i)
        return FH_E_NOTFOUND;
    if (!int_in(v, lo, hi, &x))
        return FH_E_INPUT;
    *i = id == O_XERO_POLL ? x * 1000 : x;
    return FH_OK;
}

static void set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = fh_strdup(v);
}

static bool int_in(const char *v, int64_t lo, int64_t hi, int64_t *out)
{
    int64_t x;
    if (!fh_parse_i64(v, &x) || x < lo || x > hi)
        return false;
    *out = x;
    return true;
}

static enum fh_rc apply(struct fh_config *cfg, enum opt_id id, const char *v)
{
    int64_t x = 0;
    enum fh_rc xrc = apply_xero(cfg, id, v);
    if (xrc != FH_E_NOTFOUND)
        return xrc;
    xrc = apply_zoho(cfg, id, v);
    if (xrc != FH_E_NOTFOUND)
        return xrc;
    xrc = apply_custom(cfg, id, v);
    if (xrc != FH_E_NOTFOUND)
        return xrc;
    xrc = apply_billing(cfg, id, v);
    if (xrc != FH_E_NOTFOUND)
        return xrc;
    switch (id) {
    case O_LISTEN:
        if (!fh_strlcpy(cfg->listen_addr, v, sizeof(cfg->listen_addr)))
            return FH_E_INPUT;
        return FH_OK;
    case O_PORT:
        if (!int_in(v, 1, 65535, &x))
            return FH_E_INPUT;
        cfg->port = (uint16_t)x;
        return FH_OK;
    case O_DB:
        set_str(&cfg->database_url, v);
        return FH_OK;
    case O_KEYFILE:
        set_str(&cfg->master_key_file, v);
        return FH_OK;
    case O_RETIRED_KEYS:
        set_str(&cfg->retired_key_files, v);
        return FH_OK;
    case O_WEB:
        set_str(&cfg->web_dir, v);
        return FH_OK;
    case O_PUBLIC:
        if (!fh_starts_with(v, "http://") && !fh_starts_with(v, "https://"))
            return FH_E_INPUT;
        set_str(&cfg->public_url, v);
        return FH_OK;
    case O_SANDBOX:
        set_str(&cfg->sandbox_url, v);
        return FH_OK;
    case O_SQLITE_SYNC:
        if (strcmp(v, "full") != 0 && strcmp(v, "normal") != 0)
            return FH_E_INPUT;
        cfg->sqlite_sync_full = strcmp(v, "full") == 0;
        return FH_OK;
    case O_SQLITE_MAX_MB:
        if (!int_in(v, 0, 1LL << 30, &x))
            return FH_E_INPUT;
        cfg->sqlite_max_mb = x;
        return FH_OK;
    case O_HTTP_THREADS:
        if (!int_in(v, 1, 256, &x))
            return FH_E_INPUT;
        cfg->http_threads = (int)x;
        return FH_OK;
    case O_PARTNER_THREADS:
        if (!int_in(v, 1, 256, &x))
            return FH_E_INPUT;
        cfg->partner_threads = (int)x;
        return FH_OK;
    case O_PARTNER_QUEUE:
        if (!int_in(v, 1, 4096, &x))
            return FH_E_INPUT;
        cfg->partner_queue = (int)x;
        return FH_OK;
    case O_WORKERS:
    case O_FISCAL_WORKERS:
        if (!int_in(v, 0, 256, &x))
            return FH_E_INPUT;
        *(id == O_WORKERS ? &cfg->workers : &cfg->fiscal_workers) = (int)x;
        return FH_OK;
    case O_NO_WORKERS:
        cfg->no_workers = true;
        return FH_OK;
    case O_SESSION_TTL:
        if (!int_in(v, 1, 24 * 365, &x))
            return FH_E_INPUT;
        cfg->session_ttl_ms = x * 3600 * 1000;
        return FH_OK;
    case O_LOGIN_MAX:
        if (!int_in(v, 1, 1000, &x))
            return FH_E_INPUT;
        cfg->login_max_failures = (int)x;
        return FH_OK;
    case O_LOGIN_WINDOW:
        if (!int_in(v, 1, 24 * 60, &x))
            return FH_E_INPUT;
        cfg->login_window_ms = x * 60 * 1000;
        return FH_OK;
    case O_JOB_ATTEMPTS:
        if (!int_in(v, 1, 1000, &x))
            return FH_E_INPUT;
        cfg->job_max_attempts = (int)x;
        return FH_OK;
    case O_JOB_LEASE:
        if (!int_in(v, 1, 24 * 3600, &x))
            return FH_E_INPUT;
        cfg->job_lease_ms = x * 1000;
        return FH_OK;
    case O_JOB_BACKOFF:
        if (!int_in(v, 1, 3600 * 1000, &x))
            return FH_E_INPUT;
        cfg->job_backoff_base_ms = x;
        return FH_OK;
    case O_GRACE:
        if (!int_in(v, 0, 3600, &x))
            return FH_E_INPUT;
        cfg->shutdown_grace_ms = x * 1000;
        return FH_OK;
    case O_JOB_BACKOFF_MAX:
        if (!int_in(v, 1, 24LL * 3600 * 1000, &x))
            return FH_E_INPUT;
        cfg->job_backoff_max_ms = x;
        return FH_OK;
    case O_TC_CA:
        set_str(&cfg->taxcore_ca_file, v);
        return FH_OK;
    case O_TC_TIMEOUT:
    case O_TC_CONNECT_TIMEOUT:
        if (!int_in(v, 100, 600 * 1000, &x))
            return FH_E_INPUT;
        *(id == O_TC_TIMEOUT ? &cfg->taxcore_timeout_ms : &cfg->taxcore_connect_timeout_ms) = x;
        return FH_OK;
    case O_TC_LANGUAGE:
        if (strlen(v) > 35 || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-") != strlen(v))
            return FH_E_INPUT;
        set_str(&cfg->taxcore_language, strcmp(v, "none") == 0 ? "" : v);
        return FH_OK;
    case O_FISCAL_ATTEMPTS:
    case O_FISCAL_WINDOW:
        if (!int_in(v, 1, 100000, &x))
            return FH_E_INPUT;
        *(id == O_FISCAL_ATTEMPTS ? &cfg->fiscal_max_attempts : &cfg->fiscal_org_window) = (int)x;
        return FH_OK;
    case O_LOG_LEVEL: {
        static const char *lv[] = {"debug", "info", "warn", "error"};
        for (size_t i = 0; i < FH_ARRAY_LEN(lv); i++) {
            if (strcmp(v, lv[i]) == 0) {
                cfg->log_level = (enum fh_log_level)i;
                return FH_OK;
            }
        }
        return FH_E_INPUT;
    }
    default:
        return FH_E_INPUT;
    }
}

static void defaults(struct fh_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    fh_strlcpy(cfg->listen_addr, "127.0.0.1", sizeof(cfg->listen_addr));
    cfg->port = 8080;
    cfg->database_url = fh_strdup("var/fiscalhub.db");
    cfg->master_key_file = fh_strdup("var/master.key");
    cfg->web_dir = fh_strdup("web/dist");
    cfg->sandbox_url = fh_strdup("http://127.0.0.1:8081");
    cfg->http_threads = 4;
    cfg->partner_threads = 4;
    cfg->partner_queue = 64;
    cfg->sqlite_sync_full = true;
    cfg->workers = 2;
    cfg->fiscal_workers = 2;
    cfg->session_ttl_ms = 168LL * 3600 * 1000;
    cfg->login_max_failures = 5;
    cfg->login_window_ms = 15LL * 60 * 1000;
    cfg->job_max_attempts = 8;
    cfg->job_lease_ms = 60 * 1000;
    cfg->job_backoff_base_ms = 1000;
    cfg->shutdown_grace_ms = 20 * 1000;
    cfg->log_level = FH_LOG_INFO;
    cfg->job_backoff_max_ms = 3600LL * 1000;
    cfg->taxcore_timeout_ms = 40000;
    cfg->taxcore_connect_timeout_ms = 10000;
    cfg->taxcore_language = fh_strdup("en-US");
    cfg->fiscal_max_attempts = 1000;
    cfg->fiscal_org_window = 16;
    cfg->fiscal_retry_ms = 86400LL * 1000;
    cfg->xero_minute_limit = 60;
    cfg->xero_day_limit = 5000;
    cfg->xero_concurrent_limit = 5;
    cfg->xero_app_minute_limit = 10000;
    cfg->xero_time_scale = 1;
    cfg->xero_poll_ms = 0;
    cfg->xero_timeout_ms = 30000;
    cfg->xero_page_size = 100;
    cfg->zoho_minute_limit = 80;
    cfg->zoho_concurrent_limit = 5;
    cfg->zoho_time_scale = 1;
    cfg->zoho_poll_ms = 0;
    cfg->zoho_min_poll_ms = 360 * 1000;
    cfg->zoho_webhook_poll_ms = 21600LL * 1000;
    cfg->zoho_timeout_ms = 30000;
    cfg->api_rate_per_minute = 600;
    cfg->api_rate_burst = 60;
    cfg->idempotency_ttl_ms = 24LL * 3600 * 1000;
    cfg->webhook_timeout_ms = 10000;
    cfg->webhook_endpoint_concurrency = 0;
    cfg->webhook_backoff_ms = 30000;
    cfg->webhook_backoff_max_ms = 3600LL * 1000;
    cfg->webhook_retry_ms = 86400LL * 1000;
    cfg->webhook_log_ms = 30LL * 86400 * 1000;
    cfg->trial_connections = 1;
    cfg->trial_invoices = 50;
    cfg->tier_invoices[1] = 500;
    cfg->tier_invoices[2] = 5000;
    cfg->tier_invoices[3] = 50000;
    cfg->tier_poll_ms[1] = 900 * 1000;
    cfg->tier_poll_ms[2] = 300 * 1000;
    cfg->tier_poll_ms[3] = 60 * 1000;
    cfg->growth_webhook_delay_ms = 60 * 1000;
    cfg->key_valid_ms = 365LL * 86400 * 1000;
    cfg->billing_release_ms = 300 * 1000;
    cfg->stripe_timeout_ms = 15000;
}

/* Stripe settings left unset point at the sandbox emulator (<sandbox_url>/stripe) and its demo
 * account, endpoint secret and catalogue (docs/internals/stripe-sandbox.md). */
static void billing_defaults(struct fh_config *cfg)
{
    const char *sb = cfg->sandbox_url;
    size_t n = strlen(sb);
    while (n > 0 && sb[n - 1] == '/')
        n--;
    if (!cfg->stripe_api_url)
        cfg->stripe_api_url = fh_asprintf("%.*s/stripe", (int)n, sb);
    if (!cfg->stripe_secret_key)
        cfg->stripe_secret_key = fh_strdup("sk_test_fhsandbox_demo_secret_key");
    if (!cfg->stripe_webhook_secret)
        cfg->stripe_webhook_secret = fh_strdup("whsec_fhsandbox_demo_webhook_secret");
    if (!cfg->stripe_prices)
        cfg->stripe_prices = fh_strdup(
            "starter_month=price_fh_starter_month,starter_year=price_fh_starter_year,"
            "growth_month=price_fh_growth_month,growth_year=price_fh_growth_year,"
            "scale_month=price_fh_scale_month,scale_year=price_fh_scale_year");
}

/* Xero settings left unset point at the sandbox emulator (<sandbox_url>/xero) and its demo app. */
static void xero_defaults(struct fh_config *cfg)
{
    const char *sb = cfg->sandbox_url;
    size_t n = strlen(sb);
    while (n > 0 && sb[n - 1] == '/')
        n--;
    int w = (int)n;
    if (!cfg->xero_client_id)
        cfg->xero_client_id = fh_strdup("D3A0D3A0D3A0D3A0D3A0D3A0D3A00001");
    if (!cfg->xero_client_secret)
        cfg->xero_client_secret = fh_strdup("sandbox-demo-client-secret");
    if (!cfg->xero_authorize_url)
        cfg->xero_authorize_url = fh_asprintf("%.*s/xero/identity/connect/authorize", w, sb);
    if (!cfg->xero_token_url)
        cfg->xero_token_url = fh_asprintf("%.*s/xero/identity/connect/token", w, sb);
    if (!cfg->xero_revoke_url)
        cfg->xero_revoke_url = fh_asprintf("%.*s/xero/identity/connect/revocation", w, sb);
    if (!cfg->xero_connections_url)
        cfg->xero_connections_url = fh_asprintf("%.*s/xero/api/connections", w, sb);
    if (!cfg->xero_api_url)
        cfg->xero_api_url = fh_asprintf("%.*s/xero/api.xro/2.0", w, sb);
    if (!cfg->xero_webhook_key)
        cfg->xero_webhook_key = fh_strdup("sandbox-demo-webhook-key");
    if (!cfg->xero_scopes)
        cfg->xero_scopes = fh_strdup("openid profile email offline_access accounting.transactions "
                                     "accounting.contacts.read accounting.settings.read "
                                     "accounting.attachments");
    if (!cfg->xero_deep_link_url)
        cfg->xero_deep_link_url =
            fh_asprintf("%.*s/xero/AccountsReceivable/View.aspx?InvoiceID=", w, sb);
}

/* Zoho settings left unset point at the sandbox emulator (<sandbox_url>/zoho) and its demo
 * client; the day limits are Zoho's per plan. */
static void zoho_defaults(struct fh_config *cfg)
{
    const char *sb = cfg->sandbox_url;
    size_t n = strlen(sb);
    while (n > 0 && sb[n - 1] == '/')
        n--;
    if (!cfg->zoho_client_id)
        cfg->zoho_client_id = fh_strdup("1000.FISCALHUBSANDBOXDEMOCLIENT01");
    if (!cfg->zoho_client_secret)
        cfg->zoho_client_secret = fh_strdup("sandbox-demo-zoho-client-secret");
    if (!cfg->zoho_accounts_url)
        cfg->zoho_accounts_url = fh_asprintf("%.*s/zoho/accounts", (int)n, sb);
    if (!cfg->zoho_scopes)
        cfg->zoho_scopes = fh_strdup("ZohoBooks.invoices.READ,ZohoBooks.invoices.CREATE,"
                                     "ZohoBooks.creditnotes.READ,ZohoBooks.creditnotes.CREATE,"
                                     "ZohoBooks.settings.READ");
    if (!cfg->zoho_day_limits)
        cfg->zoho_day_limits = fh_strdup("free=1000,standard=2000,professional=5000,"
                                         "premium=10000,elite=10000,ultimate=10000");
}

enum fh_rc fh_config_load(struct fh_config *cfg, int argc, char **argv)
{
    defaults(cfg);
    for (int id = 0; id < O_COUNT; id++) {
        const char *v = opts[id].env ? getenv(opts[id].env) : NULL;
        if (v && *v && apply(cfg, (enum opt_id)id, v) != FH_OK) {
            fprintf(stderr, "fiscalhub: bad value for %s\n", opts[id].env);
            return FH_E_INPUT;
        }
    }
    const char *mk = getenv("FISCALHUB_MASTER_KEY");
    if (mk && *mk)
        cfg->master_key_hex = fh_strdup(mk);
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return FH_E_NOTFOUND;
        char *eq = strchr(argv[i], '=');
        size_t flen = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
        int found = -1;
        for (int id = 0; id < O_COUNT; id++) {
            if (strlen(opts[id].flag) == flen && strncmp(argv[i], opts[id].flag, flen) == 0)
                found = id;
        }
        if (found < 0) {
            fprintf(stderr, "fiscalhub: unknown option %s (see --help)\n", argv[i]);
            return FH_E_INPUT;
        }
        const char *v = "1";
        if (found != O_NO_WORKERS) {
            if (eq)
                v = eq + 1;
            else if (i + 1 < argc)
                v = argv[++i];
            else {
                fprintf(stderr, "fiscalhub: %s needs a value\n", opts[found].flag);
                return FH_E_INPUT;
            }
        }
        if (apply(cfg, (enum opt_id)found, v) != FH_OK) {
            fprintf(stderr, "fiscalhub: bad value for %s\n", opts[found].flag);
            return FH_E_INPUT;
        }
    }
    if (!cfg->public_url)
        cfg->public_url = fh_asprintf("http://%s:%u", cfg->listen_addr, (unsigned)cfg->port);
    xero_defaults(cfg);
    zoho_defaults(cfg);
    billing_defaults(cfg);
    return FH_OK;
}

void fh_config_free(struct fh_config *cfg)
{
    free(cfg->database_url);
    free(cfg->master_key_hex);
    free(cfg->master_key_file);
    free(cfg->retired_key_files);
    free(cfg->web_dir);
    free(cfg->public_url);
    free(cfg->sandbox_url);
    free(cfg->taxcore_ca_file);
    free(cfg->taxcore_language);
    for (int id = 0; id < O_COUNT; id++) {
        char **x = xero_str(cfg, (enum opt_id)id);
        if (x)
            free(*x);
        x = zoho_str(cfg, (enum opt_id)id);
        if (x)
            free(*x);
        x = billing_str(cfg, (enum opt_id)id);
        if (x)
            free(*x);
    }
    memset(cfg, 0, sizeof(*cfg));
}

void fh_config_usage(FILE *out)
{
    for (int id = 0; id < O_COUNT; id++)
        fprintf(out, "  %-26s %-34s %s\n", opts[id].flag, opts[id].env ? opts[id].env : "",
                opts[id].help);
}
