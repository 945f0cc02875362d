/* client.c - HTTPS calls to the TaxCore V-SDC with libcurl: mutual TLS from the PFX in memory,
 * a pool of handles per certificate, bounded time and size, every outcome classified.
 *
 * Identity: the client certificate and key go to libcurl as a PKCS#12 blob (CURLOPT_SSLCERT_BLOB,
 * type "P12", CURLOPT_KEYPASSWD), copied into libcurl's memory; the decrypted PFX never touches
 * the disk. The server is verified against FISCALHUB_TAXCORE_CA_FILE when set (the tax
 * authority's RCA/ICA, or the sandbox CA), else the system store. Only https is spoken, and
 * redirects are not followed.
 *
 * Pool: a libcurl easy handle keeps its own connection cache and TLS session cache, so reusing
 * the handle of a certificate reuses the kept-alive connection and resumes TLS sessions. Idle
 * handles wait in a list keyed by certificate id and a fingerprint of the PFX and password (a
 * replaced certificate never meets a stale handle). A thread takes a handle out of the list for
 * one call and puts it back afterwards, so a handle is used by one thread at a time; the list is
 * capped per certificate and in total, and extra handles are closed.
 *
 * The PAC travels in a header of every call and is never logged; libcurl's verbose output stays
 * off. Headers: PAC, RequestId (POST), Accept, Content-Type (POST), Accept-Language. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_curl.h"
#include "taxcore.h"

enum { MAX_IDLE_PER_CERT = 16, MAX_IDLE_TOTAL = 128 };

struct conn {
    int64_t cert_id;
    char fp[65];
    CURL *h;
    char errbuf[CURL_ERROR_SIZE];
    struct conn *next;
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct conn *pool_idle;
static size_t pool_nidle;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void fh_tc_reply_free(struct fh_tc_reply *r)
{
    if (!r)
        return;
    free(r->body);
    free(r->invoice_number);
    free(r->sdc_time);
    free(r->verification_url);
    memset(r, 0, sizeof(*r));
}

static struct conn *conn_new(const struct fh_tc_settings *s, const struct fh_cert_secret *cert,
                             const char *fp)
{
    struct conn *c = fh_calloc(1, sizeof(*c));
    c->cert_id = cert->id;
    fh_strlcpy(c->fp, fp, sizeof(c->fp));
    c->h = curl_easy_init();
    if (!c->h) {
        free(c);
        return NULL;
    }
    struct curl_blob blob = {.data = cert->pfx, .len = cert->pfx_len, .flags = CURL_BLOB_COPY};
    CURL *h = c->h;
    curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &blob);
    curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "P12");
    curl_easy_setopt(h, CURLOPT_KEYPASSWD, cert->password ? cert->password : "");
    if (s->ca_file && s->ca_file[0])
        curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_file);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, s->timeout_ms > 0 ? s->timeout_ms : 40000L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     s->connect_timeout_ms > 0 ? s->connect_timeout_ms : 10000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)FH_TC_MAX_RESPONSE);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "fiscalhub/0.1");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    return c;
}

/* Takes an idle handle of this certificate out of the pool, or makes one. */
static struct conn *pool_take(const struct fh_tc_settings *s, const struct fh_cert_secret *cert)
{
    char fp[65];
    if (cert->fingerprint[0]) /* fh_cert_secret_load computed it once */
        fh_strlcpy(fp, cert->fingerprint, sizeof(fp));
    else
        fh_cert_fingerprint(cert, fp);
    pthread_mutex_lock(&pool_lock);
    for (struct conn **p = &pool_idle; *p; p = &(*p)->next) {
        if ((*p)->cert_id == cert->id && strcmp((*p)->fp, fp) == 0) {
            struct conn *c = *p;
            *p = c->next;
            c->next = NULL;
            pool_nidle--;
            pthread_mutex_unlock(&pool_lock);
            return c;
        }
    }
    pthread_mutex_unlock(&pool_lock);
    return conn_new(s, cert, fp);
}

static void conn_free(struct conn *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->h);
    free(c);
}

static void pool_give_back(struct conn *c)
{
    size_t same = 0;
    pthread_mutex_lock(&pool_lock);
    for (struct conn *i = pool_idle; i; i = i->next)
        same += i->cert_id == c->cert_id;
    if (same < MAX_IDLE_PER_CERT && pool_nidle < MAX_IDLE_TOTAL) {
        c->next = pool_idle;
        pool_idle = c;
        pool_nidle++;
        c = NULL;
    }
    pthread_mutex_unlock(&pool_lock);
    conn_free(c);
}

void fh_tc_pool_shutdown(void)
{
    pthread_mutex_lock(&pool_lock);
    struct conn *c = pool_idle;
    pool_idle = NULL;
    pool_nidle = 0;
    pthread_mutex_unlock(&pool_lock);
    while (c) {
        struct conn *next = c->next;
        conn_free(c);
        c = next;
    }
}

/* A TLS alert by which the V-SDC refuses our certificate: definite, retrying cannot help. */
static bool peer_refused_cert(const char *err)
{
    static const char *const alerts[] = {
        "alert certificate revoked", "alert certificate expired",
        "alert bad certificate",     "alert certificate unknown",
        "alert unknown ca",          "alert certificate required",
        "alert access denied",       "alert unsupported certificate",
    };
    for (size_t i = 0; i < FH_ARRAY_LEN(alerts); i++)
        if (strstr(err, alerts[i]))
            return true;
    return false;
}

/* The transfer opened its connection and lost it before any answer, with no alert read: with
 * TLS 1.3 the client's handshake ends before the server has checked our certificate and the
 * request follows at once, so a server that refuses the certificate and closes with that request
 * unread sends a reset that can reach us before its alert does. */
static bool lost_after_connect(CURL *h, CURLcode cc, const char *errbuf)
{
    long connects = 0, header_bytes = 0;
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
    curl_easy_getinfo(h, CURLINFO_HEADER_SIZE, &header_bytes);
    return (cc == CURLE_SEND_ERROR || cc == CURLE_RECV_ERROR) && connects > 0 &&
           header_bytes == 0 && !peer_refused_cert(errbuf);
}

static void classify_curl(CURLcode cc, const char *errbuf, struct fh_tc_reply *out)
{
    const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(cc);
    switch (cc) {
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
        out->outcome = FH_TC_REJECTED;
        snprintf(out->reason, sizeof(out->reason),
                 "The certificate's PFX cannot be used for TLS (%.300s); upload it again.", detail);
        return;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        out->outcome = FH_TC_REJECTED;
        snprintf(out->reason, sizeof(out->reason),
                 "The V-SDC URL of the certificate is not a usable https URL (%.300s).", detail);
        return;
    case CURLE_FILESIZE_EXCEEDED:
    case CURLE_WRITE_ERROR:
        out->outcome = FH_TC_UNKNOWN;
        snprintf(out->reason, sizeof(out->reason),
                 "The V-SDC's answer was larger than %d bytes; outcome unknown.",
                 FH_TC_MAX_RESPONSE);
        return;
    default:
        break;
    }
    if (peer_refused_cert(detail)) {
        out->outcome = FH_TC_REJECTED;
        out->cert_refused = true;
        snprintf(out->reason, sizeof(out->reason),
                 "The V-SDC refused the certificate during the TLS handshake (%.300s).", detail);
        return;
    }
    out->outcome = FH_TC_UNKNOWN;
    snprintf(out->reason, sizeof(out->reason), "No answer from the V-SDC (%.60s: %.300s).",
             curl_easy_strerror(cc), detail);
}

static struct curl_slist *headers_for(const struct fh_tc_settings *s,
                                      const struct fh_cert_secret *cert, enum fh_tc_call call,
                                      const char *request_id)
{
    struct curl_slist *hl = NULL;
    char line[256];
    snprintf(line, sizeof(line), "PAC: %s", cert->pac ? cert->pac : "");
    hl = curl_slist_append(hl, line);
    hl = curl_slist_append(hl, "Accept: application/json");
    if (s->accept_language && s->accept_language[0]) {
        snprintf(line, sizeof(line), "Accept-Language: %s", s->accept_language);
        hl = curl_slist_append(hl, line);
    }
    if (call == FH_TC_POST_INVOICE) {
        snprintf(line, sizeof(line), "RequestId: %s", request_id);
        hl = curl_slist_append(hl, line);
        hl = curl_slist_append(hl, "Content-Type: application/json");
        hl = curl_slist_append(hl, "Expect:");
    }
    return hl;
}

/* base + path for call; false when the certificate's V-SDC URL is not https. */
static bool build_url(const struct fh_cert_secret *cert, enum fh_tc_call call,
                      const char *request_id, char *out, size_t outsize)
{
    const char *base = cert->vsdc_url;
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    if (strncmp(base, "https://", 8) != 0 || n <= 8)
        return false;
    const char *path = call == FH_TC_POST_INVOICE ? "/api/v3/invoices"
                       : call == FH_TC_GET_STATUS ? "/api/v3/status"
                       : call == FH_TC_GET_ENV    ? "/api/v3/environment-parameters"
                                                  : "/api/v3/invoices/";
    int w = snprintf(out, outsize, "%.*s%s%s", (int)n, base, path,
                     call == FH_TC_GET_INVOICE ? request_id : "");
    return w > 0 && (size_t)w < outsize;
}

void fh_tc_call(const struct fh_tc_settings *s, const struct fh_cert_secret *cert,
                enum fh_tc_call call, const char *request_id, const char *body,
                struct fh_tc_reply *out)
{
    memset(out, 0, sizeof(*out));
    pthread_once(&curl_once, curl_init_once);
    char url[700];
    if (!build_url(cert, call, request_id ? request_id : "", url, sizeof(url))) {
        out->outcome = FH_TC_REJECTED;
        snprintf(out->reason, sizeof(out->reason),
                 "The certificate's V-SDC URL is not an https URL; fiscalhub speaks only https.");
        return;
    }
    fh_openssl_providers_load(); /* legacy PFX ciphers (RC2, 3DES) */
    struct conn *c = pool_take(s, cert);
    if (!c) {
        out->outcome = FH_TC_UNKNOWN;
        snprintf(out->reason, sizeof(out->reason), "Could not create an HTTPS client.");
        return;
    }
    struct fh_buf resp;
    fh_buf_init(&resp, FH_TC_MAX_RESPONSE);
    struct curl_slist *hl = headers_for(s, cert, call, request_id);
    c->errbuf[0] = '\0';
    curl_easy_setopt(c->h, CURLOPT_URL, url);
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hl);
    fh_curl_collect(c->h, &resp);
    /* the body cannot be rewound: a connection lost before any answer fails the call instead
     * of posting it again unseen, and the worker asks the V-SDC for the RequestId first */
    struct fh_curl_body rd;
    if (call == FH_TC_POST_INVOICE) {
        fh_curl_post_once(c->h, &rd, body ? body : "", strlen(body ? body : ""));
    } else {
        curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
    }
    CURLcode cc = curl_easy_perform(c->h);
    if (call != FH_TC_POST_INVOICE && lost_after_connect(c->h, cc, c->errbuf)) {
        /* asked once more over TLS 1.2, where a refused certificate is refused inside the
         * handshake and its alert is read; a GET is safe to repeat */
        c->errbuf[0] = '\0';
        fh_buf_reset(&resp);
        curl_easy_setopt(c->h, CURLOPT_SSLVERSION,
                         (long)(CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2));
        cc = curl_easy_perform(c->h);
        curl_easy_setopt(c->h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    }
    long status = 0;
    curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, NULL);
    curl_easy_setopt(c->h, CURLOPT_READDATA, NULL);
    curl_slist_free_all(hl); /* holds the PAC: freed at once */
    out->http_status = cc == CURLE_OK ? status : 0;
    if (cc == CURLE_OK) {
        out->len = resp.len;
        out->body = fh_buf_steal(&resp);
        fh_tc_classify_http(call, status, out->body, out->len, out);
    } else {
        classify_curl(cc, c->errbuf, out);
    }
    fh_buf_free(&resp);
    pool_give_back(c);
}
