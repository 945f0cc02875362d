/* vsdc.h - the TaxCore V-SDC emulator of fiscalhub-sandbox (specs/taxcore-vsdc.md).
 *
 * It serves the V-SDC API v3 over HTTPS with mutual TLS on its own port; the caller is the UID
 * in the SERIALNUMBER of a client certificate issued by the sandbox CA. The CA, the server and
 * signing keys and the registry of issued certificates live in <data dir>/vsdc/ so certificates
 * stay valid across restarts; invoices, counters, statistics and fault settings live in memory.
 * A control API for tests and demos is served on the sandbox's plain HTTP port under
 * /vsdc/control/. The interface is documented in docs/internals/vsdc-sandbox.md. */
#ifndef FH_VSDC_H
#define FH_VSDC_H

#include "fh/fh_http.h"

/* Settings of the running emulator (flags and FISCALHUB_SANDBOX_VSDC_* variables). */
struct fh_vsdc_opts {
    uint16_t port;           /* HTTPS port (8443) */
    const char *public_url;  /* V-SDC URL in environment-parameters (https://127.0.0.1:<port>) */
    const char *verify_root; /* verification URL root (http://127.0.0.1:<http port>/vsdc/v/?vl=) */
    const char *timezone;    /* IANA zone of the SDC clock (Europe/Belgrade) */
    const char *language;    /* default journal language: en-US or sr-Cyrl-RS (en-US) */
    const char *signed_by;   /* "own": the V-SDC's own UID signs; "requester": same UID (own) */
    const char
        *pac_check; /* "invoices": PAC required on invoice calls; "all": also status (invoices) */
    const char *tax_groups_file; /* JSON array of TaxRateGroup replacing the defaults (NULL) */
    int bad_pac_status;          /* 401 or 403 (401) */
    int64_t max_items;           /* items per invoice before 2808 (500) */
    int64_t max_labels;          /* labels per item before 2808 (16) */
    int64_t max_body;            /* request body cap in bytes (1 MiB) */
    int64_t idle_timeout_s;      /* keep-alive idle timeout (30) */
    bool strict_amounts;         /* also check item totals and payments (off) */
};

void fh_vsdc_opts_default(struct fh_vsdc_opts *o);
/* Called once before the sandbox starts; the strings must outlive the emulator. */
void fh_vsdc_configure(const struct fh_vsdc_opts *o);

/* Options of `fiscalhub-sandbox issue-cert` and of POST /vsdc/control/certificates. */
struct fh_vsdc_issue_opts {
    const char *uid; /* 8 characters [0-9A-Z]; random when NULL */
    const char *tin, *name, *location, *address, *district; /* defaults when NULL */
    const char *vsdc_url;                                   /* https://127.0.0.1:8443 */
    const char *api_url; /* TaxCore.API URL written into the certificate */
    int64_t days;        /* validity (365) */
    bool expired, legacy, no_taxcore_ext, key_mismatch;
    bool foreign; /* issued by the CA of another environment: the V-SDC's handshake refuses it */
};

/* issue-cert: creates the PKI under data_dir when missing, writes out_dir/<UID>.pfx,
 * .password and .pac, prints the UID. Returns a process exit status. */
int fh_vsdc_issue_cert_cmd(const char *data_dir, const char *out_dir,
                           const struct fh_vsdc_issue_opts *o);

/* Emulator table hooks (sandbox.c). */
#define FH_VSDC_NROUTES 20
extern const struct fh_route fh_vsdc_routes[FH_VSDC_NROUTES];
struct fh_sandbox_ctx;
enum fh_rc fh_vsdc_start(const struct fh_sandbox_ctx *ctx);
void fh_vsdc_stop(void);

#endif
