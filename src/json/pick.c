/* pick.c - fh_json_pick: validate a JSON object and copy out a few of its top-level strings
 * without building the document.
 *
 * The V-SDC's answer for a signed invoice is about 15 KB (the journal and a QR image as base64)
 * of which fiscalhub reads three strings; building it with jansson was about 17% of the
 * worker's CPU in the fiscalization benchmark. This scanner walks the text once: strings are
 * checked a run of plain characters at a time and only the picked ones are decoded.
 *
 * It accepts what json_loadb(text, len, 0, ...) accepts, with arrays and objects nested at most
 * FH_JSON_MAX_DEPTH deep: one object (RFC 8259 grammar), nothing but white space around it, strings
 * of valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF) without control
 * characters, escapes including surrogate pairs but not \u0000, integers that fit in int64 and
 * reals that do not overflow a double, and nesting up to FH_JSON_MAX_DEPTH. A member named twice
 * counts with its last value, as in jansson. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_json.h"

struct scan {
    const unsigned char *p, *end;
    int depth;
    const char *locate;         /* a top-level member to find (fh_json_pick_each) */
    const unsigned char *found; /* where its value starts (the last one named so) */
};

static void skip_ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

/* One UTF-8 sequence of 2 to 4 bytes at s->p (its lead byte >= 0x80); advances past it. */
static bool utf8_seq(struct scan *s)
{
    const unsigned char *p = s->p;
    unsigned c = p[0], n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return false; /* a continuation byte, an overlong lead (C0, C1) or past F4 */
    }
    if ((size_t)(s->end - p) < n)
        return false;
    for (unsigned i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return false;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return false;
    s->p += n;
    return true;
}

static int hex4(const unsigned char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = p[i], d = c >= '0' && c <= '9'   ? c - '0'
                          : c >= 'a' && c <= 'f' ? c - 'a' + 10
                          : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static void put_utf8(struct fh_buf *out, uint32_t cp)
{
    unsigned char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    fh_buf_append(out, b, n);
}

/* The escape after a backslash at s->p; appends its character to out (may be NULL). */
static bool escape(struct scan *s, struct fh_buf *out)
{
    if (s->end - s->p < 2)
        return false;
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *k = s->p[1] ? strchr(from, s->p[1]) : NULL;
    if (k) {
        if (out)
            fh_buf_append(out, &to[k - from], 1);
        s->p += 2;
        return true;
    }
    if (s->p[1] != 'u' || s->end - s->p < 6)
        return false;
    int hi = hex4(s->p + 2);
    uint32_t cp = (uint32_t)hi;
    s->p += 6;
    if (hi < 0 || hi == 0 || (hi >= 0xDC00 && hi <= 0xDFFF))
        return false; /* not hex, NUL, or a lone low surrogate */
    if (hi >= 0xD800 && hi <= 0xDBFF) {
        int lo = s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u' ? hex4(s->p + 2) : -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return false;
        cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
        s->p += 6;
    }
    if (out)
        put_utf8(out, cp);
    return true;
}

/* The string at s->p (its opening quote); its decoded text goes to out (may be NULL). */
static bool string(struct scan *s, struct fh_buf *out)
{
    s->p++;
    for (;;) {
        const unsigned char *run = s->p;
        while (s->p < s->end && *s->p >= 0x20 && *s->p < 0x80 && *s->p != '"' && *s->p != '\\')
            s->p++;
        if (out && s->p > run)
            fh_buf_append(out, run, (size_t)(s->p - run));
        if (s->p >= s->end)
            return false;
        unsigned c = *s->p;
        if (c == '"') {
            s->p++;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c == '\\') {
            if (!escape(s, out))
                return false;
            continue;
        }
        run = s->p;
        if (!utf8_seq(s))
            return false;
        if (out)
            fh_buf_append(out, run, (size_t)(s->p - run));
    }
}

static bool digits(struct scan *s)
{
    const unsigned char *start = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
        s->p++;
    return s->p > start;
}

/* A number, in the range jansson accepts: an integer in int64, a real that is not infinite. */
static bool number(struct scan *s)
{
    const unsigned char *start = s->p;
    bool real = false;
    if (*s->p == '-')
        s->p++;
    if (s->p < s->end && *s->p == '0')
        s->p++;
    else if (!digits(s))
        return false;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        real = true;
        if (!digits(s))
            return false;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        real = true;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (!digits(s))
            return false;
    }
    char *text = fh_strndup((const char *)start, (size_t)(s->p - start));
    errno = 0;
    bool ok;
    if (real) {
        double d = strtod(text, NULL);
        ok = !(errno == ERANGE && d != 0);
    } else {
        (void)strtoll(text, NULL, 10);
        ok = errno != ERANGE;
    }
    free(text);
    return ok;
}

static bool literal(struct scan *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return false;
    s->p += n;
    return true;
}

static bool value(struct scan *s);

/* Members of the object at s->p (its opening brace); a member named names[i] with a string value
 * has it decoded into values[i] (NULL names: nothing picked). */
static bool object(struct scan *s, const char *const *names, char **values, size_t n)
{
    if (++s->depth > FH_JSON_MAX_DEPTH)
        return false;
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        s->depth--;
        return true;
    }
    struct fh_buf key; /* decoded text is never longer than the document */
    fh_buf_init(&key, (size_t)(s->end - s->p));
    bool ok = false;
    for (;;) {
        skip_ws(s);
        fh_buf_reset(&key);
        bool locating = s->locate && s->depth == 1;
        if (s->p >= s->end || *s->p != '"' || !string(s, names || locating ? &key : NULL))
            break;
        skip_ws(s);
        if (s->p >= s->end || *s->p != ':')
            break;
        s->p++;
        skip_ws(s);
        if (locating && key.data && strcmp(key.data, s->locate) == 0)
            s->found = s->p;
        size_t i = n;
        if (names && key.data)
            for (i = 0; i < n && strcmp(names[i], key.data) != 0; i++)
                ;
        if (i < n) { /* named twice: the last one counts */
            free(values[i]);
            values[i] = NULL;
        }
        if (i < n && s->p < s->end && *s->p == '"') {
            struct fh_buf v;
            fh_buf_init(&v, (size_t)(s->end - s->p));
            if (!string(s, &v)) {
                fh_buf_free(&v);
                break;
            }
            values[i] = fh_buf_steal(&v);
        } else if (!value(s)) {
            break;
        }
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        ok = s->p < s->end && *s->p == '}';
        if (ok)
            s->p++;
        break;
    }
    fh_buf_free(&key);
    s->depth--;
    return ok;
}

static bool array(struct scan *s)
{
    if (++s->depth > FH_JSON_MAX_DEPTH)
        return false;
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        s->depth--;
        return true;
    }
    for (;;) {
        skip_ws(s);
        if (!value(s))
            return false;
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == ']') {
            s->p++;
            s->depth--;
            return true;
        }
        return false;
    }
}

static bool value(struct scan *s)
{
    if (s->p >= s->end)
        return false;
    switch (*s->p) {
    case '{':
        return object(s, NULL, NULL, 0);
    case '[':
        return array(s);
    case '"':
        return string(s, NULL);
    case 't':
        return literal(s, "true");
    case 'f':
        return literal(s, "false");
    case 'n':
        return literal(s, "null");
    default:
        return (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) && number(s);
    }
}

enum fh_rc fh_json_pick(const char *text, size_t len, const char *const *names, char **values,
                        size_t n)
{
    for (size_t i = 0; i < n; i++)
        values[i] = NULL;
    if (!text)
        return FH_E_INPUT;
    struct scan s = {.p = (const unsigned char *)text, .end = (const unsigned char *)text + len};
    skip_ws(&s);
    bool ok = s.p < s.end && *s.p == '{' && object(&s, names, values, n);
    skip_ws(&s);
    if (ok && s.p == s.end)
        return FH_OK;
    for (size_t i = 0; i < n; i++) {
        free(values[i]);
        values[i] = NULL;
    }
    return FH_E_INPUT;
}

enum fh_rc fh_json_pick_each(const char *text, size_t len, const char *array,
                             const char *const *names, size_t n,
                             bool (*fn)(void *cls, char **values), void *cls)
{
    if (!text)
        return FH_E_INPUT;
    struct scan s = {.p = (const unsigned char *)text,
                     .end = (const unsigned char *)text + len,
                     .locate = array};
    skip_ws(&s);
    bool ok = s.p < s.end && *s.p == '{' && object(&s, NULL, NULL, 0);
    skip_ws(&s);
    if (!ok || s.p != s.end)
        return FH_E_INPUT;
    if (!s.found || *s.found != '[')
        return FH_E_NOTFOUND;
    /* the text is valid: walk the array again, picking from its objects */
    char **values = fh_calloc(n ? n : 1, sizeof(*values));
    struct scan a = {.p = s.found + 1, .end = s.end, .depth = 2};
    enum fh_rc rc = FH_OK;
    for (;;) {
        skip_ws(&a);
        if (a.p >= a.end || *a.p == ']')
            break;
        if (*a.p == '{') {
            ok = object(&a, names, values, n);
            if (ok && !fn(cls, values))
                rc = FH_E_LIMIT;
            for (size_t i = 0; i < n; i++) {
                free(values[i]);
                values[i] = NULL;
            }
        } else {
            ok = value(&a);
        }
        if (!ok || rc != FH_OK)
            break;
        skip_ws(&a);
        if (a.p < a.end && *a.p == ',')
            a.p++;
    }
    free(values);
    return ok ? rc : FH_E_INPUT;
}
