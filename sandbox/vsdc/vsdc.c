/* vsdc.c - the V-SDC emulator's life cycle: settings, start (PKI, tax groups, clock zone, the
 * HTTPS listener), stop, and the `issue-cert` command. The design is described in vsdc.h and
 * docs/internals/vsdc-sandbox.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sandbox.h"
#include "vsdc_internal.h"

struct vsdc_ctx vsdc_ctx = {.groups_lock = PTHREAD_RWLOCK_INITIALIZER};
static struct vsdc_tls_server *tls;
static bool configured;

void fh_vsdc_opts_default(struct fh_vsdc_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->port = 8443;
    o->timezone = "Europe/Belgrade";
    o->language = "en-US";
    o->signed_by = "own";
    o->pac_check = "invoices";
    o->bad_pac_status = 401;
    o->max_items = 500;
    o->max_labels = 16;
    o->max_body = 1024 * 1024;
    o->idle_timeout_s = 30;
}

void fh_vsdc_configure(const struct fh_vsdc_opts *o)
{
    vsdc_ctx.set.o = *o;
    configured = true;
}

static enum fh_rc check_settings(const struct fh_vsdc_opts *o)
{
    const char *bad = NULL;
    if (strcmp(o->language, "en-US") != 0 && strcmp(o->language, "sr-Cyrl-RS") != 0)
        bad = "--vsdc-language must be en-US or sr-Cyrl-RS";
    else if (strcmp(o->signed_by, "own") != 0 && strcmp(o->signed_by, "requester") != 0)
        bad = "--vsdc-signed-by must be own or requester";
    else if (strcmp(o->pac_check, "invoices") != 0 && strcmp(o->pac_check, "all") != 0)
        bad = "--vsdc-pac-check must be invoices or all";
    else if (o->bad_pac_status != 401 && o->bad_pac_status != 403)
        bad = "--vsdc-bad-pac-status must be 401 or 403";
    else if (o->max_items < 1 || o->max_labels < 1 || o->max_labels > 16 || o->max_body < 1024 ||
             o->idle_timeout_s < 1)
        bad = "--vsdc-max-items >= 1, --vsdc-max-labels 1..16, --vsdc-max-body >= 1024, "
              "--vsdc-idle-timeout >= 1";
    if (bad)
        fh_log(FH_LOG_ERROR, "vsdc", "%s", bad);
    return bad ? FH_E_INPUT : FH_OK;
}

static enum fh_rc load_tax_groups(const char *file)
{
    vsdc_tax_groups_default(&vsdc_ctx.groups);
    if (!file)
        return FH_OK;
    json_error_t jerr;
    json_t *arr = json_load_file(file, 0, &jerr);
    char err[200] = "";
    enum fh_rc rc =
        arr ? vsdc_tax_groups_from_json(arr, &vsdc_ctx.groups, err, sizeof(err)) : FH_E_INPUT;
    json_decref(arr);
    if (rc != FH_OK)
        fh_log(FH_LOG_ERROR, "vsdc", "tax groups in %s: %s", file, arr ? err : jerr.text);
    return rc;
}

static void derive_urls(const struct fh_sandbox_ctx *ctx, uint16_t port)
{
    struct vsdc_settings *s = &vsdc_ctx.set;
    const char *host = strcmp(ctx->listen_addr, "0.0.0.0") == 0 ? "127.0.0.1" : ctx->listen_addr;
    if (s->o.public_url)
        fh_strlcpy(s->vsdc_url, s->o.public_url, sizeof(s->vsdc_url));
    else
        snprintf(s->vsdc_url, sizeof(s->vsdc_url), "https://%s:%u", host, (unsigned)port);
    if (s->o.verify_root)
        fh_strlcpy(s->verify_root, s->o.verify_root, sizeof(s->verify_root));
    else
        snprintf(s->verify_root, sizeof(s->verify_root), "http://%s:%u/vsdc/v/?vl=", host,
                 (unsigned)ctx->http_port);
}

enum fh_rc fh_vsdc_start(const struct fh_sandbox_ctx *ctx)
{
    struct vsdc_settings *s = &vsdc_ctx.set;
    if (!configured)
        fh_vsdc_opts_default(&s->o);
    if (check_settings(&s->o) != FH_OK)
        return FH_E_INPUT;
    s->default_lang = strcmp(s->o.language, "sr-Cyrl-RS") == 0 ? VSDC_LANG_SR : VSDC_LANG_EN;
    s->lim =
        (struct vsdc_limits){(size_t)s->o.max_items, (size_t)s->o.max_labels, s->o.strict_amounts};
    setenv("TZ", s->o.timezone, 1); /* before any thread runs: the SDC clock's zone */
    tzset();
    vsdc_store_init();
    vsdc_faults_reset();
    if (load_tax_groups(s->o.tax_groups_file) != FH_OK ||
        vsdc_pki_load_or_create(ctx->data_dir, &vsdc_ctx.pki) != FH_OK)
        return FH_ERR;
    derive_urls(ctx, s->o.port);
    if (vsdc_tls_start(&vsdc_ctx.pki, ctx->listen_addr, s->o.port, &tls) != FH_OK) {
        vsdc_pki_free(&vsdc_ctx.pki);
        return FH_ERR;
    }
    derive_urls(ctx, vsdc_tls_port(tls));
    printf("fiscalhub-sandbox: V-SDC at %s (mTLS; trust %s/ca.pem; signer UID %s)\n", s->vsdc_url,
           vsdc_ctx.pki.dir, vsdc_ctx.pki.signer_uid);
    fflush(stdout);
    return FH_OK;
}

void fh_vsdc_stop(void)
{
    vsdc_tls_stop(tls);
    tls = NULL;
    vsdc_store_free();
    vsdc_pki_free(&vsdc_ctx.pki);
    vsdc_tax_groups_free(&vsdc_ctx.groups);
    vsdc_registry_cache_free();
    vsdc_legacy_unload();
}

static enum fh_rc write_out(const char *dir, const char *uid, const char *ext, const void *data,
                            size_t len)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/%s.%s", dir, uid, ext);
    enum fh_rc rc = vsdc_write_file(path, data, len, 0600);
    if (rc != FH_OK)
        fprintf(stderr, "fiscalhub-sandbox: cannot write %s: %s\n", path, strerror(errno));
    return rc;
}

int fh_vsdc_issue_cert_cmd(const char *data_dir, const char *out_dir,
                           const struct fh_vsdc_issue_opts *o)
{
    struct vsdc_pki pki;
    if (vsdc_pki_load_or_create(data_dir, &pki) != FH_OK) {
        fprintf(stderr, "fiscalhub-sandbox: cannot open or create the sandbox CA under %s/vsdc\n",
                data_dir);
        return 1;
    }
    if (mkdir(out_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "fiscalhub-sandbox: cannot create %s: %s\n", out_dir, strerror(errno));
        vsdc_pki_free(&pki);
        return 1;
    }
    struct vsdc_issued is;
    char err[200] = "";
    enum fh_rc rc = vsdc_issue(&pki, o, &is, err, sizeof(err));
    int status = 0;
    if (rc != FH_OK) {
        fprintf(stderr, "fiscalhub-sandbox: %s\n", err);
        status = rc == FH_E_INPUT || rc == FH_E_CONFLICT ? 2 : 1;
    } else if (write_out(out_dir, is.uid, "pfx", is.pfx, is.pfx_len) != FH_OK ||
               write_out(out_dir, is.uid, "password", is.password, strlen(is.password)) != FH_OK ||
               write_out(out_dir, is.uid, "pac", is.pac, strlen(is.pac)) != FH_OK) {
        status = 1;
    } else {
        printf("%s\n", is.uid);
        fflush(stdout);
    }
    vsdc_issued_free(&is);
    vsdc_legacy_unload();
    vsdc_pki_free(&pki);
    return status;
}
