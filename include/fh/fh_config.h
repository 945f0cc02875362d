/* fh_config.h - every setting, read once at start from FISCALHUB_* environment variables and
 * command-line flags (flags win), into one typed struct. */
#ifndef FH_CONFIG_H
#define FH_CONFIG_H

#include <stdio.h>

#include "fh/fh_common.h"

struct fh_config {
    char listen_addr[64];   /* FISCALHUB_LISTEN, --listen (default 127.0.0.1) */
    uint16_t port;          /* FISCALHUB_PORT, --port (8080) */
    char *database_url;     /* DATABASE_URL, --database-url (var/fiscalhub.db) */
    char *master_key_hex;   /* FISCALHUB_MASTER_KEY (optional; never logged) */
    char *master_key_file;  /* FISCALHUB_MASTER_KEY_FILE, --master-key-file (var/master.key) */
    char *retired_key_files; /* FISCALHUB_RETIRED_MASTER_KEY_FILES: comma-separated (NULL) */
    char *web_dir;          /* FISCALHUB_WEB_DIR, --web-dir (web/dist) */
    char *public_url;       /* FISCALHUB_PUBLIC_URL (http://<listen>:<port>) */
    char *sandbox_url;      /* FISCALHUB_SANDBOX_URL (http://127.0.0.1:8081) */
    int http_threads;       /* FISCALHUB_HTTP_THREADS (4) */
    int partner_threads;    /* FISCALHUB_PARTNER_THREADS (4) */
    int partner_queue;      /* FISCALHUB_PARTNER_QUEUE (64): waiting for a partner thread */
    bool sqlite_sync_full;  /* FISCALHUB_SQLITE_SYNCHRONOUS full|normal (full) */
    int64_t sqlite_max_mb;  /* FISCALHUB_SQLITE_MAX_MB (0: no limit) */
    int workers;            /* FISCALHUB_WORKERS (2); serve --no-workers sets 0 */
    int fiscal_workers;     /* FISCALHUB_FISCAL_WORKERS (2): more, for fiscalizations only */
    bool no_workers;
    int64_t session_ttl_ms;     /* FISCALHUB_SESSION_TTL_HOURS (168) */
    int login_max_failures;     /* FISCALHUB_LOGIN_MAX_FAILURES (5) */
    int64_t login_window_ms;    /* FISCALHUB_LOGIN_WINDOW_MINUTES (15) */
    int job_max_attempts;       /* FISCALHUB_JOB_MAX_ATTEMPTS (8) */
    int64_t job_lease_ms;       /* FISCALHUB_JOB_LEASE_SECONDS (60) */
    int64_t job_backoff_base_ms; /* FISCALHUB_JOB_BACKOFF_MS (1000) */
    int64_t shutdown_grace_ms;  /* FISCALHUB_SHUTDOWN_GRACE_SECONDS (20) */
    enum fh_log_level log_level; /* FISCALHUB_LOG_LEVEL debug|info|warn|error (info) */
    int64_t job_backoff_max_ms;  /* FISCALHUB_JOB_BACKOFF_MAX_MS (3600000) */
    char *taxcore_ca_file;       /* FISCALHUB_TAXCORE_CA_FILE: CA bundle of V-SDC servers (system) */
    int64_t taxcore_timeout_ms;  /* FISCALHUB_TAXCORE_TIMEOUT_MS (40000) */
    int64_t taxcore_connect_timeout_ms; /* FISCALHUB_TAXCORE_CONNECT_TIMEOUT_MS (10000) */
    char *taxcore_language;      /* FISCALHUB_TAXCORE_LANGUAGE Accept-Language ("en-US"; "none") */
    int fiscal_max_attempts;     /* FISCALHUB_FISCAL_MAX_ATTEMPTS (1000) */
    int fiscal_org_window;       /* FISCALHUB_FISCAL_ORG_WINDOW (16): the fiscal jobs' lane window */
    int64_t fiscal_retry_ms;     /* FISCALHUB_FISCAL_RETRY_SECONDS (86400): retries without a
                                    definite answer go on this long */
    /* Xero (docs/internals/connectors.md). Every URL defaults to the sandbox emulator under
     * <sandbox_url>/xero with its demo app, so `make run` works offline. */
    char *xero_client_id;        /* FISCALHUB_XERO_CLIENT_ID (the sandbox demo app) */
    char *xero_client_secret;    /* FISCALHUB_XERO_CLIENT_SECRET (never logged) */
    char *xero_authorize_url;    /* FISCALHUB_XERO_AUTHORIZE_URL */
    char *xero_token_url;        /* FISCALHUB_XERO_TOKEN_URL */
    char *xero_revoke_url;       /* FISCALHUB_XERO_REVOKE_URL */
    char *xero_connections_url;  /* FISCALHUB_XERO_CONNECTIONS_URL */
    char *xero_api_url;          /* FISCALHUB_XERO_API_URL (the Accounting API base) */
    char *xero_webhook_key;      /* FISCALHUB_XERO_WEBHOOK_KEY (never logged) */
    char *xero_scopes;           /* FISCALHUB_XERO_SCOPES (space separated) */
    char *xero_deep_link_url;    /* FISCALHUB_XERO_DEEP_LINK_URL: "View in Xero", + InvoiceID */
    int64_t xero_minute_limit;   /* FISCALHUB_XERO_MINUTE_LIMIT calls per tenant (60) */
    int64_t xero_day_limit;      /* FISCALHUB_XERO_DAY_LIMIT calls per tenant (5000) */
    int64_t xero_concurrent_limit; /* FISCALHUB_XERO_CONCURRENT_LIMIT per tenant (5) */
    int64_t xero_app_minute_limit; /* FISCALHUB_XERO_APP_MINUTE_LIMIT calls per app (10000) */
    int64_t xero_time_scale;     /* FISCALHUB_XERO_TIME_SCALE: rate windows divided by it (1) */
    int64_t xero_poll_ms;        /* FISCALHUB_XERO_POLL_SECONDS every tier's polling (0: by tier) */
    int64_t xero_timeout_ms;     /* FISCALHUB_XERO_TIMEOUT_MS one Xero call (30000) */
    int64_t xero_page_size;      /* FISCALHUB_XERO_PAGE_SIZE invoices a sync page (100; <= 1000) */
    /* Zoho Books (docs/internals/connectors.md). Unset, the client and the accounts servers are
     * the sandbox emulator's (<sandbox_url>/zoho/accounts/<dc>) and its demo client. */
    char *zoho_client_id;        /* FISCALHUB_ZOHO_CLIENT_ID (the sandbox demo client) */
    char *zoho_client_secret;    /* FISCALHUB_ZOHO_CLIENT_SECRET (never logged) */
    char *zoho_accounts_url;     /* FISCALHUB_ZOHO_ACCOUNTS_URL: "zoho" (Zoho's own accounts
                                  * servers) or a base the data center is appended to */
    char *zoho_scopes;           /* FISCALHUB_ZOHO_SCOPES (comma separated) */
    char *zoho_day_limits;       /* FISCALHUB_ZOHO_DAY_LIMITS calls a day by plan "free=1000,..." */
    int64_t zoho_minute_limit;   /* FISCALHUB_ZOHO_MINUTE_LIMIT calls per organization (80) */
    int64_t zoho_concurrent_limit; /* FISCALHUB_ZOHO_CONCURRENT_LIMIT per organization (5) */
    int64_t zoho_time_scale;     /* FISCALHUB_ZOHO_TIME_SCALE: rate windows divided by it (1) */
    int64_t zoho_poll_ms;        /* FISCALHUB_ZOHO_POLL_SECONDS the same for Zoho (0: by tier) */
    int64_t zoho_min_poll_ms;    /* FISCALHUB_ZOHO_MIN_POLL_SECONDS a tier polls Zoho at most this
                                  * often (360: a quarter of the Free plan's 1,000 calls a day) */
    int64_t zoho_webhook_poll_ms; /* FISCALHUB_ZOHO_WEBHOOK_POLL_SECONDS polling while they come (21600) */
    int64_t zoho_timeout_ms;     /* FISCALHUB_ZOHO_TIMEOUT_MS one Zoho call (30000) */
    /* Custom Integration and Custom / Webhook (docs/api/public-v1.md, docs/api/webhooks.md) */
    int64_t api_rate_per_minute;  /* FISCALHUB_API_RATE_PER_MINUTE requests per API key (600) */
    int64_t api_rate_burst;       /* FISCALHUB_API_RATE_BURST requests at once per key (60) */
    int64_t idempotency_ttl_ms;   /* FISCALHUB_IDEMPOTENCY_TTL_HOURS keys remembered (24) */
    int64_t webhook_timeout_ms;   /* FISCALHUB_WEBHOOK_TIMEOUT_MS one delivery POST (10000) */
    int64_t webhook_endpoint_concurrency; /* FISCALHUB_WEBHOOK_ENDPOINT_CONCURRENCY POSTs at once
                                             (0: half the workers, at least 1) */
    int64_t webhook_backoff_ms;   /* FISCALHUB_WEBHOOK_BACKOFF_MS first retry delay (30000) */
    int64_t webhook_backoff_max_ms; /* FISCALHUB_WEBHOOK_BACKOFF_MAX_MS longest delay (3600000) */
    int64_t webhook_retry_ms;     /* FISCALHUB_WEBHOOK_RETRY_SECONDS retries go on (86400) */
    int64_t webhook_log_ms;       /* FISCALHUB_WEBHOOK_LOG_DAYS events and log kept (30) */
    /* Licensing (docs/internals/billing.md). Stripe settings default to the sandbox emulator
     * under <sandbox_url>/stripe and its demo account, so `make run` works offline. */
    int64_t trial_connections;    /* FISCALHUB_TRIAL_CONNECTIONS (1) */
    int64_t trial_invoices;       /* FISCALHUB_TRIAL_INVOICES fiscal invoices a month (50) */
    int64_t tier_invoices[4];     /* FISCALHUB_{STARTER,GROWTH,SCALE}_INVOICES ([1..3]: 500,
                                   * 5000, 50000 a month; [0] unused) */
    int64_t tier_poll_ms[4];      /* FISCALHUB_{STARTER,GROWTH,SCALE}_POLL_SECONDS (900, 300, 60;
                                   * [0] unused: the trial polls like Scale) */
    int64_t growth_webhook_delay_ms; /* FISCALHUB_GROWTH_WEBHOOK_DELAY_SECONDS (60) */
    int64_t key_valid_ms;         /* FISCALHUB_KEY_VALID_DAYS a key can be redeemed in (365) */
    int64_t billing_clock_offset_ms; /* FISCALHUB_BILLING_CLOCK_OFFSET_DAYS (0; tests only) */
    int64_t billing_release_ms;   /* FISCALHUB_BILLING_RELEASE_SECONDS held invoices checked (300) */
    char *stripe_api_url;         /* FISCALHUB_STRIPE_API_URL (<sandbox>/stripe) */
    char *stripe_secret_key;      /* FISCALHUB_STRIPE_SECRET_KEY (sandbox demo; never logged) */
    char *stripe_webhook_secret;  /* FISCALHUB_STRIPE_WEBHOOK_SECRET (sandbox demo; never logged) */
    char *stripe_prices;          /* FISCALHUB_STRIPE_PRICES "<tier>_<month|year>=<price id>,..." */
    int64_t stripe_timeout_ms;    /* FISCALHUB_STRIPE_TIMEOUT_MS one Stripe call (15000) */
};

/* Option table entry, shared with --help output. */
struct fh_config_opt {
    const char *flag; /* "--port" */
    const char *env;  /* "FISCALHUB_PORT" */
    const char *help;
};

/* Fills cfg from defaults, then the environment, then argv (argv[0] is the first flag).
 * Unknown flags or bad values: prints the problem to stderr and returns FH_E_INPUT. "--help"
 * returns FH_E_NOTFOUND after printing nothing (the caller prints usage). */
enum fh_rc fh_config_load(struct fh_config *cfg, int argc, char **argv);
void fh_config_free(struct fh_config *cfg);
/* Prints the option table for --help. */
void fh_config_usage(FILE *out);

#endif
