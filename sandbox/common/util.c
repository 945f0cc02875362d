/* util.c - small helpers of the sandbox's HTTP emulators: a string map and a vector, random
 * ids, JSON with exact decimal numbers, urlencoded forms, HTML and URL escaping, base64, replies
 * and control-API settings (moved here from the Xero emulator).
 *
 * Exact numbers: partners print amounts as JSON numbers with fixed decimals (40.00, 1.000000),
 * which jansson cannot. sbj_num() stores the formatted number as a marked string; sbj_dumps()
 * serialises and then strips the quotes and the marker, leaving the bare number. */
#include <ctype.h>
#include <math.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "../sandbox.h"
#include "fh/fh_json.h"
#include "fh/fh_money.h"

/* ---- map ---- */
static char tomb;

static size_t hash(const char *s)
{
    size_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

bool sb_map_live(const struct sb_map *m, size_t i)
{
    return m->keys[i] && m->keys[i] != &tomb;
}

static void rehash(struct sb_map *m, size_t cap)
{
    char **keys = m->keys;
    void **vals = m->vals;
    size_t old = m->cap;
    m->keys = fh_calloc(cap, sizeof(char *));
    m->vals = fh_calloc(cap, sizeof(void *));
    m->cap = cap;
    m->used = m->n;
    for (size_t i = 0; i < old; i++) {
        if (!keys[i] || keys[i] == &tomb)
            continue;
        size_t j = hash(keys[i]) & (cap - 1);
        while (m->keys[j])
            j = (j + 1) & (cap - 1);
        m->keys[j] = keys[i];
        m->vals[j] = vals[i];
    }
    free(keys);
    free(vals);
}

static size_t find(const struct sb_map *m, const char *key)
{
    size_t j = hash(key) & (m->cap - 1);
    while (m->keys[j]) {
        if (m->keys[j] != &tomb && strcmp(m->keys[j], key) == 0)
            return j;
        j = (j + 1) & (m->cap - 1);
    }
    return SIZE_MAX;
}

void *sb_map_get(const struct sb_map *m, const char *key)
{
    if (!m->cap || !key)
        return NULL;
    size_t j = find(m, key);
    return j == SIZE_MAX ? NULL : m->vals[j];
}

void sb_map_put(struct sb_map *m, const char *key, void *val)
{
    if ((m->used + 1) * 4 >= m->cap * 3)
        rehash(m, m->cap < 64 ? 64 : m->n * 2 < m->cap ? m->cap : m->cap * 2);
    size_t j = find(m, key);
    if (j != SIZE_MAX) {
        m->vals[j] = val;
        return;
    }
    j = hash(key) & (m->cap - 1);
    while (m->keys[j] && m->keys[j] != &tomb)
        j = (j + 1) & (m->cap - 1);
    if (!m->keys[j])
        m->used++;
    m->keys[j] = fh_strdup(key);
    m->vals[j] = val;
    m->n++;
}

void *sb_map_del(struct sb_map *m, const char *key)
{
    if (!m->cap || !key)
        return NULL;
    size_t j = find(m, key);
    if (j == SIZE_MAX)
        return NULL;
    void *v = m->vals[j];
    free(m->keys[j]);
    m->keys[j] = &tomb;
    m->vals[j] = NULL;
    m->n--;
    return v;
}

void sb_map_free(struct sb_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        if (sb_map_live(m, i))
            free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

/* ---- vector ---- */
void sb_vec_push(struct sb_vec *x, void *p)
{
    if (x->n == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 8;
        x->v = fh_realloc(x->v, x->cap * sizeof(void *));
    }
    x->v[x->n++] = p;
}

bool sb_vec_remove(struct sb_vec *x, const void *p)
{
    for (size_t i = 0; i < x->n; i++) {
        if (x->v[i] == p) {
            memmove(x->v + i, x->v + i + 1, (x->n - i - 1) * sizeof(void *));
            x->n--;
            return true;
        }
    }
    return false;
}

void sb_vec_free(struct sb_vec *x)
{
    free(x->v);
    memset(x, 0, sizeof(*x));
}

/* ---- ids and time ---- */
void sb_uuid(char out[SB_UUID_LEN])
{
    uint8_t b[16];
    randombytes_buf(b, sizeof(b));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, SB_UUID_LEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}

void sb_hex(size_t nbytes, char *out, size_t outsize, bool upper)
{
    uint8_t b[64];
    if (nbytes > sizeof(b))
        nbytes = sizeof(b);
    randombytes_buf(b, nbytes);
    sodium_bin2hex(out, outsize, b, nbytes);
    for (char *p = out; upper && *p; p++)
        *p = (char)toupper((unsigned char)*p);
}

int64_t sb_scaled(int64_t nominal_ms, int64_t scale)
{
    int64_t v = nominal_ms / (scale > 0 ? scale : 1);
    return v > 0 ? v : 1;
}

/* ---- JSON with exact numbers ---- */
#define MARK "\x01\x02"
#define MARK_JSON "\"\\u0001\\u0002"

json_t *sbj_num(int64_t v, int dp)
{
    char num[48], out[56];
    if (dp <= 4) {
        fh_money_fmt(v, dp, num, sizeof(num));
    } else {
        int64_t a = v < 0 ? -v : v;
        snprintf(num, sizeof(num), "%s%lld.%04lld%0*d", v < 0 ? "-" : "", (long long)(a / 10000),
                 (long long)(a % 10000), dp - 4, 0);
    }
    snprintf(out, sizeof(out), MARK "%s", num);
    return json_string(out);
}

json_t *sbj_nullable(const char *s)
{
    return s ? json_string(s) : json_null();
}

char *sbj_dumps(const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s)
        return fh_strdup("{}");
    size_t ml = strlen(MARK_JSON);
    char *w = s;
    for (const char *r = s; *r;) {
        if (strncmp(r, MARK_JSON, ml) == 0) {
            r += ml;
            while (*r && *r != '"')
                *w++ = *r++;
            if (*r)
                r++;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return s;
}

bool sbj_money(const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i > 900000000000000LL || i < -900000000000000LL)
            return false;
        *out = (int64_t)i * 10000;
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!isfinite(d) || fabs(d) > 9e13)
            return false;
        *out = (int64_t)llround(d * 10000.0);
        return true;
    }
    return json_is_string(v) && fh_money_parse(json_string_value(v), out) == FH_OK;
}

const char *sbj_str(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ---- forms, escaping, base64 ---- */
static int hexval(int c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

static char *decode(const char *p, size_t n)
{
    char *out = fh_malloc(n + 1), *w = out;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '+') {
            *w++ = ' ';
        } else if (p[i] == '%' && i + 2 < n && hexval((unsigned char)p[i + 1]) >= 0 &&
                   hexval((unsigned char)p[i + 2]) >= 0) {
            *w++ = (char)(hexval((unsigned char)p[i + 1]) * 16 + hexval((unsigned char)p[i + 2]));
            i += 2;
        } else {
            *w++ = p[i];
        }
    }
    *w = '\0';
    return out;
}

size_t sb_form_get_all(const char *body, size_t len, const char *name, char **out, size_t max)
{
    size_t found = 0, nl = strlen(name);
    const char *p = body, *end = body ? body + len : NULL;
    while (p && p < end && found < max) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pe = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pe - p));
        const char *ke = eq ? eq : pe;
        char *key = decode(p, (size_t)(ke - p));
        if (strlen(key) == nl && strcmp(key, name) == 0)
            out[found++] = eq ? decode(eq + 1, (size_t)(pe - eq - 1)) : fh_strdup("");
        free(key);
        p = amp ? amp + 1 : NULL;
    }
    return found;
}

void sb_form_each(const char *body, size_t len, void (*fn)(char *key, char *val, void *ud),
                  void *ud)
{
    const char *p = body, *end = body ? body + len : NULL;
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pe = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pe - p));
        const char *ke = eq ? eq : pe;
        if (pe > p) {
            char *key = decode(p, (size_t)(ke - p));
            char *val = eq ? decode(eq + 1, (size_t)(pe - eq - 1)) : fh_strdup("");
            fn(key, val, ud);
            free(key);
            free(val);
        }
        p = amp ? amp + 1 : NULL;
    }
}

char *sb_form_get(const char *body, size_t len, const char *name)
{
    char *v[2] = {NULL, NULL};
    size_t n = sb_form_get_all(body, len, name, v, 2);
    if (n > 1) { /* a repeated parameter is malformed for single-valued fields */
        free(v[0]);
        free(v[1]);
        return NULL;
    }
    return v[0];
}

void sb_html_esc(struct fh_buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            fh_buf_append(b, "&lt;", 4);
            break;
        case '>':
            fh_buf_append(b, "&gt;", 4);
            break;
        case '&':
            fh_buf_append(b, "&amp;", 5);
            break;
        case '"':
            fh_buf_append(b, "&quot;", 6);
            break;
        case '\'':
            fh_buf_append(b, "&#39;", 5);
            break;
        default:
            fh_buf_append(b, s, 1);
        }
    }
}

void sb_url_enc(struct fh_buf *b, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
            fh_buf_append(b, s, 1);
        else
            fh_buf_appendf(b, "%%%02X", c);
    }
}

char *sb_b64(const void *p, size_t n, bool url)
{
    int variant = url ? sodium_base64_VARIANT_URLSAFE_NO_PADDING : sodium_base64_VARIANT_ORIGINAL;
    size_t cap = sodium_base64_encoded_len(n, variant);
    char *out = fh_malloc(cap);
    sodium_bin2base64(out, cap, p, n, variant);
    return out;
}

bool sb_b64_decode(const char *s, uint8_t *out, size_t cap, size_t *len)
{
    const char *end = NULL;
    return sodium_base642bin(out, cap, s, strlen(s), NULL, len, &end,
                             sodium_base64_VARIANT_ORIGINAL) == 0 &&
           end && *end == '\0';
}

bool sb_ieq(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

int sb_basic_auth(struct fh_req *req, char *id, size_t idsize, char *secret, size_t secretsize)
{
    const char *h = fh_req_header(req, "Authorization");
    if (!h || strncasecmp(h, "Basic ", 6) != 0)
        return 0;
    uint8_t raw[400];
    size_t len = 0;
    if (!sb_b64_decode(h + 6, raw, sizeof(raw) - 1, &len))
        return -1;
    raw[len] = '\0';
    char *colon = memchr(raw, ':', len);
    if (!colon || memchr(raw, '\0', len))
        return -1;
    *colon = '\0';
    return fh_strlcpy(id, (char *)raw, idsize) && fh_strlcpy(secret, colon + 1, secretsize) ? 1
                                                                                            : -1;
}

/* ---- replies ---- */
enum fh_rc sb_send(struct fh_req *req, unsigned int status, const char *ctype, char *body,
                   size_t len, const char *const *hdrs)
{
    if (sb_faults_cut_reply() && status == 200 && body && len > 1)
        len /= 2; /* the cut fault: half the answer, the Content-Length saying so */
    struct MHD_Response *resp =
        body ? MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (ctype)
        MHD_add_response_header(resp, "Content-Type", ctype);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    for (size_t i = 0; hdrs && hdrs[i] && hdrs[i + 1]; i += 2)
        MHD_add_response_header(resp, hdrs[i], hdrs[i + 1]);
    return fh_http_queue(req, status, resp);
}

enum fh_rc sb_json(struct fh_req *req, unsigned int status, json_t *j)
{
    char *text = sbj_dumps(j);
    json_decref(j);
    return sb_send(req, status, "application/json; charset=utf-8", text, strlen(text), NULL);
}

enum fh_rc sb_cerr(struct fh_req *req, unsigned int status, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_t *j = json_pack("{s:s}", "error", msg);
    if (!j)
        j = json_pack("{s:s}", "error", "invalid request");
    return sb_json(req, status, j);
}

json_t *sb_body_or_reply(struct fh_req *req)
{
    if (req->body.len == 0)
        return json_object();
    json_t *root = NULL;
    struct fh_json_error err;
    if (fh_json_parse(req->body.data, req->body.len, &root, &err) != FH_OK) {
        sb_cerr(req, 400, "the body is not valid JSON: %s", err.detail);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        sb_cerr(req, 400, "the body must be a JSON object");
        return NULL;
    }
    return root;
}

enum fh_rc sb_apply_numbers(json_t *body, const struct sb_num_setting *ns, size_t n, char *err,
                            size_t errsize)
{
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_object_get(body, ns[i].key);
        if (!v)
            continue;
        if (!json_is_integer(v) || json_integer_value(v) < ns[i].lo ||
            json_integer_value(v) > ns[i].hi) {
            snprintf(err, errsize, "%s must be a whole number from %lld to %lld", ns[i].key,
                     (long long)ns[i].lo, (long long)ns[i].hi);
            return FH_E_INPUT;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (json_object_get(body, ns[i].key))
            *ns[i].field = json_integer_value(json_object_get(body, ns[i].key));
    return FH_OK;
}

void sb_base_url(const struct fh_sandbox_ctx *ctx, const char *public_url, const char *name,
                 char *out, size_t size)
{
    const char *host = strcmp(ctx->listen_addr, "0.0.0.0") == 0 ? "127.0.0.1" : ctx->listen_addr;
    if (public_url)
        fh_strlcpy(out, public_url, size);
    else
        snprintf(out, size, "http://%s:%u/%s", host, (unsigned)ctx->http_port, name);
    size_t n = strlen(out);
    if (n && out[n - 1] == '/')
        out[n - 1] = '\0';
}
