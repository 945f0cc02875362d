/* tls_server.c - the V-SDC's HTTPS/1.1 listener: OpenSSL, a thread per connection, mutual TLS.
 *
 * Why not libmicrohttpd: the faults the emulator must produce (a TCP reset, a connection closed
 * after the invoice was signed, a connection held without an answer) need control of the socket
 * that MHD does not give, and MHD's GnuTLS mode would need its own client-certificate checks.
 *
 * TLS: TLS 1.2 or 1.3 with the server certificate and the ICA as its chain; the client must
 * present a certificate that chains to the sandbox root (SSL_VERIFY_PEER |
 * SSL_VERIFY_FAIL_IF_NO_PEER_CERT), so a missing or foreign certificate fails the handshake.
 * The caller is the UID in the certificate's SERIALNUMBER. Expired certificates fail too.
 * After a failed handshake the connection is half-closed and drained before it is closed, so the
 * client reads OpenSSL's alert ("unknown ca", ...) rather than a TCP reset (unless the fault
 * setting abrupt_refusal asks for the reset).
 *
 * HTTP: requests are read with a 16 KiB header cap and a body cap (Content-Length or chunked;
 * "Expect: 100-continue" answered), keep-alive by default on HTTP/1.1, pipelined requests kept
 * in the buffer. Idle connections close after the idle timeout. Each answer is one write of
 * headers and body. Faults end the connection as the API asks (hold, reset, drop). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vsdc_internal.h"

#define MAX_CONN 1024
#define HEAD_MAX (16 * 1024)
#define HANDSHAKE_TIMEOUT_S 10
#define DRAIN_MS 2000
#define DRAIN_MAX (256 * 1024)

struct vsdc_tls_server {
    SSL_CTX *ctx;
    int lfd, wake[2];
    uint16_t port;
    pthread_t acceptor;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stopping;
    int nconn;
    int fds[MAX_CONN];
};

struct conn {
    struct vsdc_tls_server *srv;
    int fd, slot;
    SSL *ssl;
    char uid[VSDC_UID_LEN + 1];
    char buf[HEAD_MAX];
    size_t off, len; /* unread bytes are buf[off, len) */
};

enum read_rc { RD_OK, RD_CLOSED, RD_BAD, RD_TOO_LARGE };

/* ---- reading ---- */

static bool fill(struct conn *c)
{
    if (c->off > 0) {
        memmove(c->buf, c->buf + c->off, c->len - c->off);
        c->len -= c->off;
        c->off = 0;
    }
    if (c->len == sizeof(c->buf))
        return false;
    int n = SSL_read(c->ssl, c->buf + c->len, (int)(sizeof(c->buf) - c->len));
    if (n <= 0)
        return false;
    c->len += (size_t)n;
    return true;
}

/* Copies n bytes of body into dst, from the buffer first. */
static bool read_exact(struct conn *c, char *dst, size_t n)
{
    while (n > 0) {
        if (c->off == c->len && !fill(c))
            return false;
        size_t take = c->len - c->off < n ? c->len - c->off : n;
        memcpy(dst, c->buf + c->off, take);
        c->off += take;
        dst += take;
        n -= take;
    }
    return true;
}

/* A CRLF-terminated line (without the CRLF) of at most outsize - 1 bytes. */
static bool read_line(struct conn *c, char *out, size_t outsize)
{
    for (;;) {
        char *eol = memmem(c->buf + c->off, c->len - c->off, "\r\n", 2);
        if (eol) {
            size_t n = (size_t)(eol - (c->buf + c->off));
            if (n >= outsize)
                return false;
            memcpy(out, c->buf + c->off, n);
            out[n] = '\0';
            c->off += n + 2;
            return true;
        }
        if (!fill(c))
            return false;
    }
}

static enum read_rc read_chunked(struct conn *c, struct vsdc_http_req *rq, size_t max)
{
    struct fh_buf body;
    fh_buf_init(&body, max);
    char line[128];
    for (;;) {
        char *end = NULL;
        if (!read_line(c, line, sizeof(line)))
            goto closed;
        unsigned long n = strtoul(line, &end, 16);
        if (end == line)
            goto bad;
        if (n == 0)
            break;
        if (n > max || body.len + n > max) {
            fh_buf_free(&body);
            return RD_TOO_LARGE;
        }
        char *chunk = fh_malloc(n);
        bool ok = read_exact(c, chunk, n) && fh_buf_append(&body, chunk, n) == FH_OK;
        free(chunk);
        if (!ok || !read_line(c, line, sizeof(line)) || line[0])
            goto closed;
    }
    do { /* trailers up to the empty line */
        if (!read_line(c, line, sizeof(line)))
            goto closed;
    } while (line[0]);
    rq->body_len = body.len;
    rq->body = body.data ? fh_buf_steal(&body) : fh_strdup("");
    return RD_OK;
bad:
    fh_buf_free(&body);
    return RD_BAD;
closed:
    fh_buf_free(&body);
    return RD_CLOSED;
}

/* The next CRLF-terminated line of *pos (terminated in place), NULL at the end. */
static char *next_line(char **pos)
{
    char *line = *pos;
    if (!line || !*line)
        return NULL;
    char *eol = strstr(line, "\r\n");
    if (eol) {
        *eol = '\0';
        *pos = eol + 2;
    } else {
        *pos = NULL;
    }
    return line;
}

/* Splits the header block (NUL-terminated copy in rq->head) into the request line and headers. */
static enum read_rc parse_head(struct vsdc_http_req *rq)
{
    char *next = rq->head, *line = next_line(&next);
    char target[sizeof(rq->path)], version[16];
    if (!line || sscanf(line, "%15s %1023s %15s", rq->method, target, version) != 3 ||
        !fh_starts_with(version, "HTTP/1."))
        return RD_BAD;
    target[strcspn(target, "?")] = '\0';
    fh_strlcpy(rq->path, target, sizeof(rq->path));
    rq->keep_alive = strcmp(version, "HTTP/1.1") == 0;
    while ((line = next_line(&next)) != NULL) {
        char *colon = strchr(line, ':');
        if (!colon || rq->nheaders == VSDC_MAX_HEADERS)
            return RD_BAD;
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t vl = strlen(v);
        while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
            v[--vl] = '\0';
        rq->hname[rq->nheaders] = line;
        rq->hvalue[rq->nheaders++] = v;
    }
    const char *conn = vsdc_http_header(rq, "Connection");
    if (conn && strcasecmp(conn, "close") == 0)
        rq->keep_alive = false;
    else if (conn && strcasecmp(conn, "keep-alive") == 0)
        rq->keep_alive = true;
    const char *expect = vsdc_http_header(rq, "Expect");
    rq->expect_continue = expect && strcasecmp(expect, "100-continue") == 0;
    return RD_OK;
}

static enum read_rc read_body(struct conn *c, struct vsdc_http_req *rq, size_t max)
{
    const char *te = vsdc_http_header(rq, "Transfer-Encoding");
    const char *cl = vsdc_http_header(rq, "Content-Length");
    int64_t n = 0;
    if (te && strcasecmp(te, "chunked") != 0)
        return RD_BAD;
    if (!te && cl && (!fh_parse_i64(cl, &n) || n < 0))
        return RD_BAD;
    if (n > (int64_t)max)
        return RD_TOO_LARGE;
    if (rq->expect_continue && (te || n > 0)) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        if (SSL_write(c->ssl, cont, (int)sizeof(cont) - 1) <= 0)
            return RD_CLOSED;
    }
    if (te)
        return read_chunked(c, rq, max);
    rq->body = fh_malloc((size_t)n + 1);
    rq->body_len = (size_t)n;
    rq->body[n] = '\0';
    return read_exact(c, rq->body, (size_t)n) ? RD_OK : RD_CLOSED;
}

static enum read_rc read_request(struct conn *c, struct vsdc_http_req *rq)
{
    memset(rq, 0, sizeof(*rq));
    char *end;
    while (!(end = memmem(c->buf + c->off, c->len - c->off, "\r\n\r\n", 4))) {
        if (!fill(c))
            return c->len - c->off == sizeof(c->buf) ? RD_TOO_LARGE : RD_CLOSED;
    }
    size_t hlen = (size_t)(end - (c->buf + c->off));
    rq->head = fh_strndup(c->buf + c->off, hlen);
    c->off += hlen + 4;
    enum read_rc rc = parse_head(rq);
    if (rc == RD_OK)
        rc = read_body(c, rq, (size_t)vsdc_ctx.set.o.max_body);
    fh_strlcpy(rq->uid, c->uid, sizeof(rq->uid));
    return rc;
}

static void request_free(struct vsdc_http_req *rq)
{
    free(rq->head);
    free(rq->body);
}

/* ---- writing ---- */

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Payload Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Status";
    }
}

static bool send_response(struct conn *c, const struct vsdc_http_resp *rs, bool head_only)
{
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    struct fh_buf out;
    fh_buf_init(&out, 64 * 1024 * 1024);
    fh_buf_appendf(
        &out,
        "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: fiscalhub-sandbox V-SDC\r\nContent-Length: %zu\r\n",
        rs->status, reason(rs->status), date, rs->body_len);
    if (rs->content_type)
        fh_buf_appendf(&out, "Content-Type: %s\r\n", rs->content_type);
    fh_buf_appendf(&out, "Cache-Control: no-cache\r\n%s\r\n",
                   rs->close ? "Connection: close\r\n" : "");
    if (rs->body_len && !head_only)
        fh_buf_append(&out, rs->body, rs->body_len);
    bool ok = out.len <= INT32_MAX && SSL_write(c->ssl, out.data, (int)out.len) == (int)out.len;
    fh_buf_free(&out);
    return ok;
}

static void send_error(struct conn *c, int status, const char *message)
{
    struct vsdc_http_resp rs = {
        .status = status, .content_type = "application/json; charset=utf-8", .close = true};
    rs.body = fh_asprintf("{\"message\":\"%s\"}", message);
    rs.body_len = strlen(rs.body);
    send_response(c, &rs, false);
    free(rs.body);
}

/* ---- connections ---- */

static void set_timeout(int fd, int64_t seconds)
{
    struct timeval tv = {.tv_sec = (time_t)seconds};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Waits ms or until the server stops. */
static void hold(struct vsdc_tls_server *s, int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    while (!s->stopping && pthread_cond_timedwait(&s->cond, &s->lock, &until) != ETIMEDOUT) {
    }
    pthread_mutex_unlock(&s->lock);
}

/* Serves requests until the connection ends; returns true for an orderly TLS close. */
static bool serve(struct conn *c)
{
    for (;;) {
        struct vsdc_http_req rq;
        enum read_rc rc = read_request(c, &rq);
        if (rc != RD_OK) {
            if (rc == RD_BAD)
                send_error(c, 400, "Bad Request");
            else if (rc == RD_TOO_LARGE)
                send_error(c, 413, "The request is larger than this V-SDC accepts.");
            request_free(&rq);
            return rc != RD_CLOSED;
        }
        struct vsdc_http_resp rs;
        vsdc_api_handle(&rq, &rs);
        rs.close = rs.close || !rq.keep_alive;
        bool head = strcmp(rq.method, "HEAD") == 0;
        request_free(&rq);
        enum vsdc_action action = rs.action;
        bool ok = action == VSDC_SEND && send_response(c, &rs, head);
        free(rs.body);
        if (action == VSDC_HOLD_CLOSE)
            hold(c->srv, rs.hold_ms);
        if (action == VSDC_RESET) {
            struct linger lg = {.l_onoff = 1, .l_linger = 0};
            setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        }
        if (!ok || rs.close)
            return ok;
    }
}

/* After a failed handshake OpenSSL has written its alert. With TLS 1.3 the client ends its side
 * of the handshake first and sends its request at once; closing with those bytes unread answers
 * with a TCP reset, and the client then fails on writing ("Connection reset by peer") before it
 * reads the alert. So: send FIN after the alert, read what the client still sends until it closes
 * (at most DRAIN_MS, DRAIN_MAX bytes), then close. */
static void drain_after_failed_handshake(int fd)
{
    shutdown(fd, SHUT_WR);
    set_timeout(fd, 1);
    char sink[4096];
    size_t total = 0;
    int64_t until = fh_now_ms() + DRAIN_MS;
    while (total < DRAIN_MAX && fh_now_ms() < until) {
        ssize_t n = recv(fd, sink, sizeof(sink), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        total += (size_t)n;
    }
}

static void *conn_main(void *arg)
{
    struct conn *c = arg;
    struct vsdc_tls_server *s = c->srv;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    set_timeout(c->fd, HANDSHAKE_TIMEOUT_S);
    c->ssl = SSL_new(s->ctx);
    bool orderly = false;
    if (c->ssl && SSL_set_fd(c->ssl, c->fd) == 1 && SSL_accept(c->ssl) == 1) {
        X509 *peer = SSL_get0_peer_certificate(c->ssl);
        set_timeout(c->fd, vsdc_ctx.set.o.idle_timeout_s);
        if (vsdc_cert_uid(peer, c->uid)) {
            vsdc_store_count_handshake(c->uid, SSL_session_reused(c->ssl) == 1);
            orderly = serve(c);
        } else {
            send_error(c, 403, "The client certificate has no valid SERIALNUMBER (UID).");
        }
    } else {
        fh_log(FH_LOG_DEBUG, "vsdc", "TLS handshake failed: %s",
               ERR_reason_error_string(ERR_peek_last_error()));
        if (vsdc_faults_abrupt_refusal()) { /* a reset right behind the alert */
            struct linger lg = {.l_onoff = 1, .l_linger = 0};
            setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        } else {
            drain_after_failed_handshake(c->fd);
        }
    }
    ERR_clear_error();
    if (orderly)
        SSL_shutdown(c->ssl);
    SSL_free(c->ssl);
    pthread_mutex_lock(&s->lock);
    s->fds[c->slot] = -1;
    s->nconn--;
    close(c->fd);
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    free(c);
    OPENSSL_thread_stop();
    return NULL;
}

static void start_conn(struct vsdc_tls_server *s, int fd)
{
    pthread_mutex_lock(&s->lock);
    int slot = -1;
    for (int i = 0; i < MAX_CONN && slot < 0 && !s->stopping; i++)
        if (s->fds[i] < 0)
            slot = i;
    if (slot >= 0) {
        s->fds[slot] = fd;
        s->nconn++;
    }
    pthread_mutex_unlock(&s->lock);
    if (slot < 0) {
        close(fd);
        return;
    }
    struct conn *c = fh_calloc(1, sizeof(*c));
    c->srv = s;
    c->fd = fd;
    c->slot = slot;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    if (pthread_create(&t, &attr, conn_main, c) != 0) {
        pthread_mutex_lock(&s->lock);
        s->fds[slot] = -1;
        s->nconn--;
        pthread_mutex_unlock(&s->lock);
        close(fd);
        free(c);
    }
    pthread_attr_destroy(&attr);
}

static void *accept_main(void *arg)
{
    struct vsdc_tls_server *s = arg;
    for (;;) {
        struct pollfd p[2] = {{.fd = s->lfd, .events = POLLIN},
                              {.fd = s->wake[0], .events = POLLIN}};
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            break;
        if (!(p[0].revents & POLLIN))
            continue;
        int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0)
            start_conn(s, fd);
        else if (errno == EMFILE || errno == ENFILE)
            fh_sleep_ms(50);
    }
    return NULL;
}

/* ---- setup ---- */

static SSL_CTX *make_ctx(const struct vsdc_pki *pki)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx)
        return NULL;
    STACK_OF(X509_NAME) *cas = sk_X509_NAME_new_null();
    sk_X509_NAME_push(cas, X509_NAME_dup(X509_get_subject_name(pki->ca)));
    sk_X509_NAME_push(cas, X509_NAME_dup(X509_get_subject_name(pki->ica)));
    SSL_CTX_set_client_CA_list(ctx, cas);
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    bool ok = SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) &&
              SSL_CTX_use_certificate(ctx, pki->server) == 1 &&
              SSL_CTX_use_PrivateKey(ctx, pki->server_key) == 1 &&
              SSL_CTX_add1_chain_cert(ctx, pki->ica) == 1 &&
              X509_STORE_add_cert(store, pki->ca) == 1 &&
              X509_STORE_add_cert(store, pki->ica) == 1 &&
              SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"fh-vsdc", 7) == 1;
    if (!ok) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_verify_depth(ctx, 4);
    SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
    return ctx;
}

static int listen_on(const char *addr, uint16_t port, uint16_t *bound)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    socklen_t len = sizeof(sa);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 512) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *bound = ntohs(sa.sin_port);
    return fd;
}

enum fh_rc vsdc_tls_start(const struct vsdc_pki *pki, const char *addr, uint16_t port,
                          struct vsdc_tls_server **out)
{
    struct vsdc_tls_server *s = fh_calloc(1, sizeof(*s));
    for (int i = 0; i < MAX_CONN; i++)
        s->fds[i] = -1;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->wake[0] = s->wake[1] = -1;
    s->ctx = make_ctx(pki);
    s->lfd = s->ctx ? listen_on(addr, port, &s->port) : -1;
    if (!s->ctx || s->lfd < 0 || pipe2(s->wake, O_CLOEXEC) != 0 ||
        pthread_create(&s->acceptor, NULL, accept_main, s) != 0) {
        fh_log(FH_LOG_ERROR, "vsdc", "cannot serve HTTPS on %s:%u", addr, (unsigned)port);
        if (s->lfd >= 0)
            close(s->lfd);
        SSL_CTX_free(s->ctx);
        free(s);
        return FH_ERR;
    }
    *out = s;
    return FH_OK;
}

uint16_t vsdc_tls_port(const struct vsdc_tls_server *s)
{
    return s->port;
}

void vsdc_tls_stop(struct vsdc_tls_server *s)
{
    if (!s)
        return;
    ssize_t w = write(s->wake[1], "x", 1);
    FH_UNUSED(w);
    pthread_join(s->acceptor, NULL);
    close(s->lfd);
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    for (int i = 0; i < MAX_CONN; i++)
        if (s->fds[i] >= 0)
            shutdown(s->fds[i], SHUT_RDWR);
    pthread_cond_broadcast(&s->cond);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    while (s->nconn > 0 && pthread_cond_timedwait(&s->cond, &s->lock, &until) != ETIMEDOUT) {
    }
    int left = s->nconn;
    pthread_mutex_unlock(&s->lock);
    close(s->wake[0]);
    close(s->wake[1]);
    if (left > 0) { /* a thread still uses s: leave it */
        fh_log(FH_LOG_WARN, "vsdc", "%d connections still open at shutdown", left);
        return;
    }
    SSL_CTX_free(s->ctx);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}
