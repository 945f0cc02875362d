/* alloc.c - allocation that aborts on exhaustion, and bounded buffers. */
#include "fh/fh_common.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "{\"level\":\"error\",\"event\":\"oom\",\"msg\":\"allocation of %zu bytes failed\"}\n", n);
    abort();
}

void *fh_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *fh_calloc(size_t count, size_t n)
{
    void *p = calloc(count ? count : 1, n ? n : 1);
    if (!p)
        oom(count * n);
    return p;
}

void *fh_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *fh_strdup(const char *s)
{
    return fh_strndup(s, strlen(s));
}

char *fh_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = fh_malloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *fh_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        oom(0);
    char *p = fh_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void fh_buf_init(struct fh_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

static enum fh_rc buf_reserve(struct fh_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return FH_E_LIMIT;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return FH_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    b->data = fh_realloc(b->data, cap);
    b->cap = cap;
    return FH_OK;
}

enum fh_rc fh_buf_append(struct fh_buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) != FH_OK)
        return FH_E_LIMIT;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return FH_OK;
}

enum fh_rc fh_buf_appendf(struct fh_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return FH_ERR;
    if (buf_reserve(b, (size_t)n) != FH_OK)
        return FH_E_LIMIT;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return FH_OK;
}

void fh_buf_reset(struct fh_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void fh_buf_free(struct fh_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *fh_buf_steal(struct fh_buf *b)
{
    char *p = b->data ? b->data : fh_strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

bool fh_strlcpy(char *dst, const char *src, size_t dstsize)
{
    size_t n = strlen(src);
    if (dstsize == 0)
        return n == 0;
    size_t c = n < dstsize - 1 ? n : dstsize - 1;
    memcpy(dst, src, c);
    dst[c] = '\0';
    return c == n;
}

bool fh_parse_i64(const char *s, int64_t *out)
{
    if (!s || !*s)
        return false;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || end == s)
        return false;
    if (s[0] == ' ' || s[0] == '+' || s[0] == '\t')
        return false;
    *out = (int64_t)v;
    return true;
}

bool fh_starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}
