/* http.c - the outbound HTTP client of the connectors: libcurl easy handles from a small pool,
 * bounded time and size, https only (plain http is allowed to loopback hosts, where the sandbox
 * emulators live), no redirects, and every answer put in an explicit class.
 *
 * No silent re-POST: when a kept-alive connection dies before any answer, libcurl would send
 * the request again on a new connection. A body is therefore fed by a read callback that cannot
 * seek, so libcurl fails with CURLE_SEND_FAIL_REWIND instead of re-sending; the caller sees
 * "no answer" and decides (for partner writes an Idempotency-Key makes the retry safe).
 *
 * Nothing here logs a URL's query, a header value or a body: tokens and secrets travel in them.
 * The pool keeps at most POOL_MAX idle handles (each with its connection cache), one thread per
 * handle at a time. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fh/fh_connector.h"
#include "fh/fh_curl.h"

enum { POOL_MAX = 16, MAX_HEADER_BYTES = 32 * 1024 };

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static CURL *pool[POOL_MAX];
static size_t pool_n;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static CURL *handle_take(void)
{
    pthread_once(&curl_once, curl_init_once);
    pthread_mutex_lock(&pool_lock);
    CURL *h = pool_n > 0 ? pool[--pool_n] : NULL;
    pthread_mutex_unlock(&pool_lock);
    if (h)
        curl_easy_reset(h); /* keeps the connection and DNS caches */
    else
        h = curl_easy_init();
    return h;
}

static void handle_give_back(CURL *h)
{
    pthread_mutex_lock(&pool_lock);
    if (pool_n < POOL_MAX) {
        pool[pool_n++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&pool_lock);
    if (h)
        curl_easy_cleanup(h);
}

void fh_http_shutdown(void)
{
    pthread_mutex_lock(&pool_lock);
    while (pool_n > 0)
        curl_easy_cleanup(pool[--pool_n]);
    pthread_mutex_unlock(&pool_lock);
}

/* The host of an http(s) URL into out ("[::1]" keeps its brackets); false if malformed. */
static bool url_host(const char *url, char *out, size_t outsize)
{
    const char *p = strstr(url, "://");
    if (!p)
        return false;
    p += 3;
    const char *at = NULL;
    for (const char *q = p; *q && *q != '/' && *q != '?' && *q != '#'; q++)
        if (*q == '@')
            at = q;
    if (at) /* user info is never ours to send */
        return false;
    size_t n;
    if (*p == '[') {
        const char *e = strchr(p, ']');
        if (!e)
            return false;
        n = (size_t)(e - p) + 1;
    } else {
        n = strcspn(p, ":/?#");
    }
    if (n == 0 || n >= outsize)
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

bool fh_http_url_allowed(const char *url)
{
    char host[256];
    if (!url || !url_host(url, host, sizeof(host)))
        return false;
    if (strncasecmp(url, "https://", 8) == 0)
        return true;
    if (strncasecmp(url, "http://", 7) != 0)
        return false;
    struct in_addr a4;
    if (inet_pton(AF_INET, host, &a4) == 1) /* an IPv4 literal in 127.0.0.0/8 */
        return (ntohl(a4.s_addr) >> 24) == 127;
    return strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct fh_buf *b = userdata;
    size_t n = size * nmemb;
    if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0)
        fh_buf_reset(b);      /* a new response (after 100 Continue): keep only the last headers */
    fh_buf_append(b, ptr, n); /* past the cap further lines are dropped, not fatal */
    return n;
}

static void set_method(CURL *h, const struct fh_http_request *rq, struct fh_curl_body *rd)
{
    const char *m = rq->method ? rq->method : "GET";
    bool has_body = rq->body != NULL || strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0;
    if (strcmp(m, "GET") == 0 && !rq->body) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        return;
    }
    if (has_body) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 0L);
        fh_curl_post_once(h, rd, rq->body ? rq->body : "", rq->body ? rq->body_len : 0);
    }
    if (strcmp(m, "POST") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
}

static void set_options(CURL *h, const struct fh_http_request *rq, struct fh_buf *body,
                        struct fh_buf *hdrs, char *errbuf)
{
    bool plain = strncasecmp(rq->url, "http://", 7) == 0;
    curl_easy_setopt(h, CURLOPT_URL, rq->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, plain ? "http" : "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, rq->timeout_ms > 0 ? rq->timeout_ms : 30000L);
    long connect = rq->timeout_ms > 0 && rq->timeout_ms < 10000 ? rq->timeout_ms : 10000L;
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)body->max);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "fiscalhub/0.1");
    fh_curl_collect(h, body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, hdrs);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    if (rq->basic_user) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, rq->basic_user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, rq->basic_pass ? rq->basic_pass : "");
    }
}

enum fh_rc fh_http_call(const struct fh_http_request *rq, struct fh_http_response *out)
{
    memset(out, 0, sizeof(*out));
    if (!fh_http_url_allowed(rq->url)) {
        snprintf(out->error, sizeof(out->error), "refused: only https (or http to loopback)");
        return FH_E_INPUT;
    }
    CURL *h = handle_take();
    if (!h) {
        snprintf(out->error, sizeof(out->error), "could not create an HTTP client");
        return FH_OK;
    }
    struct fh_buf body, hdrs;
    fh_buf_init(&body, rq->max_response ? rq->max_response : FH_CONN_MAX_RESPONSE);
    fh_buf_init(&hdrs, MAX_HEADER_BYTES);
    char errbuf[CURL_ERROR_SIZE] = "";
    struct fh_curl_body rd = {0};
    set_options(h, rq, &body, &hdrs, errbuf);
    set_method(h, rq, &rd);
    struct curl_slist *hl = NULL;
    for (size_t i = 0; rq->headers && rq->headers[i]; i++)
        hl = curl_slist_append(hl, rq->headers[i]);
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_USERNAME, NULL);
    curl_easy_setopt(h, CURLOPT_PASSWORD, NULL);
    curl_slist_free_all(hl); /* may hold a bearer token: freed at once */
    if (cc == CURLE_OK) {
        out->status = status;
    } else {
        out->too_large = cc == CURLE_FILESIZE_EXCEEDED || cc == CURLE_WRITE_ERROR;
        snprintf(out->error, sizeof(out->error), "%s", curl_easy_strerror(cc));
    }
    out->len = body.len;
    out->body = fh_buf_steal(&body);
    out->headers = fh_buf_steal(&hdrs);
    fh_buf_free(&body);
    fh_buf_free(&hdrs);
    handle_give_back(h);
    return FH_OK;
}

void fh_http_response_free(struct fh_http_response *r)
{
    if (!r)
        return;
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof(*r));
}

enum fh_http_class fh_http_classify(const struct fh_http_response *r)
{
    long s = r->status;
    if (s == 0)
        return FH_HC_NO_ANSWER;
    if (s >= 200 && s < 300)
        return FH_HC_OK;
    switch (s) {
    case 400:
    case 422:
        return FH_HC_BAD_REQUEST;
    case 401:
        return FH_HC_UNAUTHORIZED;
    case 403:
        return FH_HC_FORBIDDEN;
    case 404:
        return FH_HC_NOT_FOUND;
    case 409:
        return FH_HC_CONFLICT;
    case 429:
        return FH_HC_RATE_LIMITED;
    case 408:
        return FH_HC_SERVER;
    default:
        return s >= 500 && s < 600 ? FH_HC_SERVER : FH_HC_OTHER;
    }
}

const char *fh_http_class_name(enum fh_http_class c)
{
    static const char *const names[] = {
        "ok",       "bad request",  "unauthorized", "forbidden", "not found",
        "conflict", "rate limited", "server error", "no answer", "unexpected status",
    };
    return (size_t)c < FH_ARRAY_LEN(names) ? names[c] : "unknown";
}

void fh_http_no_use(const char *partner, const struct fh_http_response *r, char *why,
                    size_t whysize)
{
    char status[32] = "";
    if (r->status > 0)
        snprintf(status, sizeof(status), "HTTP %ld, ", r->status);
    snprintf(why, whysize, "%s did not answer usefully (%s%s%s%.80s)", partner, status,
             fh_http_class_name(fh_http_classify(r)), r->error[0] ? ": " : "", r->error);
}

bool fh_http_header(const struct fh_http_response *r, const char *name, char *out, size_t outsize)
{
    size_t nlen = strlen(name);
    for (const char *p = r->headers; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > nlen && strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
            const char *v = p + nlen + 1;
            const char *end = p + len;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            while (end > v && (end[-1] == '\r' || end[-1] == ' '))
                end--;
            size_t vl = (size_t)(end - v);
            if (vl >= outsize)
                vl = outsize - 1;
            memcpy(out, v, vl);
            out[vl] = '\0';
            return true;
        }
        p = eol ? eol + 1 : p + len;
    }
    return false;
}

void fh_url_encode(struct fh_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            fh_buf_append(b, p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            fh_buf_append(b, e, 3);
        }
    }
}
