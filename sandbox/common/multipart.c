/* multipart.c - multipart/form-data request bodies (file uploads) split into parts, following
 * RFC 7578 and RFC 2046 §5.1.1: the boundary from the Content-Type, quoted or not; CRLF line
 * ends; a preamble and an epilogue ignored; a delimiter only at the start of a line and followed
 * by "--" or blanks and CRLF (elsewhere it is data); binary data untouched; bounded (the caller's
 * number of parts, 8 KB of headers per part). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"

#define PART_HEADERS_MAX 8192
#define MAX_BOUNDARY 70

static bool fail(char *err, size_t errsize, const char *msg)
{
    snprintf(err, errsize, "%s", msg);
    return false;
}

static bool blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* The next parameter of a header value from *pp on ("; name=token" or "; name=\"quoted\"", a
 * backslash escaping a quote or a backslash): 1 with it in name and val, 0 at the end, -1 when
 * malformed or too long for the buffers. */
static int next_param(const char **pp, const char *end, char *name, size_t nsize, char *val,
                      size_t vsize)
{
    const char *p = *pp, *k;
    while (p < end && (*p == ';' || blank(*p)))
        p++;
    if (p == end)
        return 0;
    for (k = p; p < end && *p != '=' && *p != ';';)
        p++;
    size_t kl = (size_t)(p - k), vl = 0;
    while (kl > 0 && blank(k[kl - 1]))
        kl--;
    if (p == end || *p != '=' || kl == 0 || kl >= nsize)
        return -1;
    memcpy(name, k, kl);
    name[kl] = '\0';
    for (p++; p < end && blank(*p);)
        p++;
    bool quoted = p < end && *p == '"';
    for (p += quoted; p < end && (quoted ? *p != '"' : *p != ';' && !blank(*p)); p++) {
        if (quoted && *p == '\\' && p + 1 < end && (p[1] == '"' || p[1] == '\\'))
            p++;
        if (vl + 1 >= vsize)
            return -1;
        val[vl++] = *p;
    }
    if (quoted && p == end)
        return -1; /* no closing quote */
    val[vl] = '\0';
    for (p += quoted; p < end && blank(*p);)
        p++;
    *pp = p;
    return p == end || *p == ';' ? 1 : -1;
}

/* RFC 2046 bchars: 1 to 70 of digits, letters, '()+_,-./:=? and spaces, not ending in one. */
static bool boundary_ok(const char *b)
{
    size_t n = strlen(b);
    return n >= 1 && n <= MAX_BOUNDARY && b[n - 1] != ' ' &&
           strspn(b,
                  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ") ==
               n;
}

static bool boundary_of(const char *ctype, char *out, size_t outsize)
{
    static const char mt[] = "multipart/form-data";
    const char *end = ctype ? ctype + strlen(ctype) : NULL, *p = ctype;
    char name[64], val[MAX_BOUNDARY + 8];
    int r;
    bool found = false;
    while (p && p < end && blank(*p))
        p++;
    if (!p || (size_t)(end - p) < sizeof(mt) - 1 || strncasecmp(p, mt, sizeof(mt) - 1) != 0 ||
        (p[sizeof(mt) - 1] && p[sizeof(mt) - 1] != ';' && !blank(p[sizeof(mt) - 1])))
        return false;
    p += sizeof(mt) - 1;
    while ((r = next_param(&p, end, name, sizeof(name), val, sizeof(val))) == 1) {
        if (strcasecmp(name, "boundary") == 0) {
            found = true;
            fh_strlcpy(out, val, outsize);
        }
    }
    return r == 0 && found && boundary_ok(out);
}

/* After "--boundary": "--" (the close delimiter) or blanks and CRLF (*next: the part's start). */
static bool after_delim(const char *p, const char *end, bool *close, const char **next)
{
    if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
        *close = true;
        *next = end;
        return true;
    }
    while (p < end && blank(*p))
        p++;
    if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
        return false;
    *close = false;
    *next = p + 2;
    return true;
}

/* The next delimiter (CRLF "--" boundary, then as after_delim) at or after from; NULL: none. */
static const char *find_delim(const char *from, const char *end, const char *delim, size_t dl,
                              bool *close, const char **next)
{
    for (const char *q = from; q < end; q++) {
        q = memmem(q, (size_t)(end - q), delim, dl);
        if (!q || after_delim(q + dl, end, close, next))
            return q;
    }
    return NULL;
}

/* A header line of a part: Content-Disposition (form-data; name; filename) or Content-Type;
 * other headers are ignored. */
static bool part_header(const char *l, const char *le, struct sb_part *pt, bool *disp, char *err,
                        size_t errsize)
{
    for (const char *p = l; p < le; p++)
        if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
            return fail(err, errsize, "a part's header has a control character (CRLF line ends?)");
    const char *colon = memchr(l, ':', (size_t)(le - l)), *v, *p;
    if (!colon)
        return fail(err, errsize, "a part's header line has no colon");
    size_t nl = (size_t)(colon - l);
    v = colon + 1;
    while (nl > 0 && blank(l[nl - 1]))
        nl--;
    while (v < le && blank(*v))
        v++;
    while (le > v && blank(le[-1]))
        le--;
    if (nl == 12 && strncasecmp(l, "Content-Type", 12) == 0) {
        if ((size_t)(le - v) >= sizeof(pt->ctype))
            return fail(err, errsize, "a part's Content-Type is too long");
        memcpy(pt->ctype, v, (size_t)(le - v));
        pt->ctype[le - v] = '\0';
        return true;
    }
    if (nl != 19 || strncasecmp(l, "Content-Disposition", 19) != 0)
        return true;
    for (p = v; p < le && *p != ';' && !blank(*p);)
        p++;
    if (p - v != 9 || strncasecmp(v, "form-data", 9) != 0)
        return fail(err, errsize, "a part's Content-Disposition is not form-data");
    char name[32], val[sizeof(pt->filename)];
    int r;
    while ((r = next_param(&p, le, name, sizeof(name), val, sizeof(val))) == 1) {
        if (strcasecmp(name, "name") == 0 && !fh_strlcpy(pt->name, val, sizeof(pt->name)))
            return fail(err, errsize, "a part's name is longer than 63 bytes");
        if (strcasecmp(name, "filename") == 0) {
            const char *base = val + strlen(val); /* without a path (C:\dir\x.pdf, /tmp/x.pdf) */
            while (base > val && base[-1] != '/' && base[-1] != '\\')
                base--;
            fh_strlcpy(pt->filename, base, sizeof(pt->filename));
            pt->has_filename = true;
        }
    }
    *disp = true;
    return r == 0 ? true
                  : fail(err, errsize,
                         "a part's Content-Disposition does not parse (or its filename is "
                         "longer than 255 bytes)");
}

/* The headers of the part starting at s: *data is where its content starts. */
static bool part_headers(const char *s, const char *end, struct sb_part *pt, const char **data,
                         char *err, size_t errsize)
{
    const char *hend = s;
    bool disp = false;
    memset(pt, 0, sizeof(*pt));
    if (end - s < 2 || s[0] != '\r' || s[1] != '\n') { /* else no headers */
        size_t span =
            (size_t)(end - s) < PART_HEADERS_MAX + 4 ? (size_t)(end - s) : PART_HEADERS_MAX + 4;
        hend = memmem(s, span, "\r\n\r\n", 4);
        if (!hend)
            return fail(err, errsize,
                        "a part's headers do not end with an empty line (CRLF CRLF) within 8 KB");
    }
    *data = hend + (hend == s ? 2 : 4);
    for (const char *l = s; l < hend;) {
        const char *le = memmem(l, (size_t)(hend - l), "\r\n", 2);
        le = le ? le : hend;
        if (!part_header(l, le, pt, &disp, err, errsize))
            return false;
        l = le + 2;
    }
    if (!disp || !pt->name[0])
        return fail(err, errsize, "a part has no Content-Disposition: form-data with a name");
    return true;
}

bool sb_multipart(struct fh_req *req, struct sb_part *parts, size_t max, size_t *n, char *err,
                  size_t errsize)
{
    char b[MAX_BOUNDARY + 8], delim[MAX_BOUNDARY + 8];
    const char *body = req->body.data, *end, *next, *data;
    bool close;
    *n = 0;
    if (!boundary_of(fh_req_header(req, "Content-Type"), b, sizeof(b)))
        return fail(err, errsize,
                    "the Content-Type is not multipart/form-data with a boundary of 1 to 70 "
                    "characters");
    size_t dl = (size_t)snprintf(delim, sizeof(delim), "\r\n--%s", b);
    if (!body || req->body.len == 0)
        return fail(err, errsize, "the body is empty");
    end = body + req->body.len;
    bool dash = req->body.len >= dl - 2 && memcmp(body, delim + 2, dl - 2) == 0;
    if (!(dash && after_delim(body + dl - 2, end, &close, &next)) &&
        !find_delim(body, end, delim, dl, &close, &next))
        return fail(err, errsize,
                    dash ? "the first boundary line does not end with CRLF"
                         : "the boundary of the Content-Type is not in the body");
    while (!close) {
        if (*n == max) {
            snprintf(err, errsize, "more than %zu parts", max);
            return false;
        }
        struct sb_part *pt = &parts[(*n)++];
        if (!part_headers(next, end, pt, &data, err, errsize))
            return false;
        const char *q = find_delim(data, end, delim, dl, &close, &next);
        if (!q)
            return fail(err, errsize,
                        "a part does not end with the boundary (the body is cut short, or "
                        "the close delimiter is missing)");
        pt->data = data;
        pt->len = (size_t)(q - data);
    }
    return true;
}
