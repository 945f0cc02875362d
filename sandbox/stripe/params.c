/* params.c - Stripe's request parameters: application/x-www-form-urlencoded bodies (and GET
 * queries) whose keys use bracket notation, checked against a field spec in one call:
 *   line_items[0][price]=price_...   -> {"line_items": [{"price": "price_..."}]}
 *   metadata[org]=42                 -> {"metadata": {"org": "42"}}
 *   expand[]=subscription            -> {"expand": ["subscription"]}
 * A key the spec does not know is Stripe's 400 parameter_unknown naming the whole key; an empty
 * scalar is parameter_invalid_empty (Stripe reads empty values as "unset"); integers and
 * booleans are checked. A repeated scalar keeps its last value; list elements are ordered by
 * their index. */
#include <ctype.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stripe_internal.h"

#define MAX_SEGS 6
#define MAX_INDEX 99
#define MAX_STR 5000
#define MAX_MAP_KEY 40
#define MAX_MAP_VAL 500

struct pctx {
    json_t *root;
    const struct stp_pspec *spec;
    struct stp_perr *err;
    bool failed;
};

static void fail(struct pctx *c, const char *code, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail(struct pctx *c, const char *code, const char *param, const char *fmt, ...)
{
    if (c->failed)
        return;
    c->failed = true;
    fh_strlcpy(c->err->code, code ? code : "", sizeof(c->err->code));
    fh_strlcpy(c->err->param, param, sizeof(c->err->param));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err->message, sizeof(c->err->message), fmt, ap);
    va_end(ap);
}

/* name[a][b] -> "name", "a", "b"; false when malformed. Segments point into buf. */
static bool split(char *buf, char **segs, size_t *n)
{
    *n = 0;
    char *open = strchr(buf, '[');
    segs[(*n)++] = buf;
    if (!open)
        return *buf != '\0';
    *open = '\0';
    char *p = open + 1;
    for (;;) {
        char *close = strchr(p, ']');
        if (!close || *n >= MAX_SEGS)
            return false;
        *close = '\0';
        segs[(*n)++] = p;
        if (close[1] == '\0')
            return *buf != '\0';
        if (close[1] != '[')
            return false;
        p = close + 2;
    }
}

static const struct stp_pspec *field(const struct stp_pspec *spec, const char *name)
{
    for (; spec && spec->name; spec++)
        if (strcmp(spec->name, name) == 0)
            return spec;
    return NULL;
}

static json_t *scalar(struct pctx *c, const struct stp_pspec *f, const char *key, const char *val)
{
    if (!*val) {
        fail(c, "parameter_invalid_empty", key,
             "You passed an empty string for '%s'. We assume empty values are an attempt to "
             "unset a parameter; however it cannot be unset. You should remove it from your "
             "request or supply a non-empty value.",
             key);
        return NULL;
    }
    if (f->kind == STP_P_INT) {
        int64_t n;
        if (!fh_parse_i64(val, &n)) {
            fail(c, "parameter_invalid_integer", key, "Invalid integer: %s", val);
            return NULL;
        }
        return json_integer(n);
    }
    if (f->kind == STP_P_BOOL) {
        if (strcmp(val, "true") != 0 && strcmp(val, "false") != 0) {
            fail(c, NULL, key, "Invalid boolean: %s", val);
            return NULL;
        }
        return json_boolean(strcmp(val, "true") == 0);
    }
    if (strlen(val) > MAX_STR) {
        fail(c, NULL, key, "Invalid string: %.40s...; must be at most 5000 characters", val);
        return NULL;
    }
    return json_string(val);
}

static json_t *child(json_t *container, const char *slot)
{
    json_t *o = json_object_get(container, slot);
    if (!json_is_object(o)) {
        o = json_object();
        json_object_set_new(container, slot, o);
    }
    return o;
}

static int digits(const char *s)
{
    int v = 0;
    for (; isdigit((unsigned char)*s); s++)
        v = v * 10 + (*s - '0');
    return v;
}

static bool index_ok(const char *s, json_t *list, char *out, size_t n)
{
    if (!*s) { /* name[]: the next element */
        snprintf(out, n, "%zu", json_object_size(list));
        return true;
    }
    size_t len = strlen(s);
    if (len > 2 || !isdigit((unsigned char)s[0]) || (len == 2 && !isdigit((unsigned char)s[1])))
        return false;
    snprintf(out, n, "%d", digits(s));
    return true;
}

/* Stores val at container[slot], following f through segs[i..n). */
static void put(struct pctx *c, json_t *container, const char *slot, const struct stp_pspec *f,
                char **segs, size_t i, size_t n, const char *key, const char *val)
{
    char idx[8];
    switch (f->kind) {
    case STP_P_STR:
    case STP_P_INT:
    case STP_P_BOOL: {
        if (i != n) {
            fail(c, "parameter_unknown", key, "Received unknown parameter: %s", key);
            return;
        }
        json_t *v = scalar(c, f, key, val);
        if (v)
            json_object_set_new(container, slot, v);
        return;
    }
    case STP_P_MAP:
        if (i + 1 != n || !*segs[i] || strlen(segs[i]) > MAX_MAP_KEY || strlen(val) > MAX_MAP_VAL) {
            fail(c, NULL, key,
                 "Invalid hash for %s: keys of up to 40 and values of up to 500 characters", key);
            return;
        }
        json_object_set_new(child(container, slot), segs[i], json_string(val));
        return;
    case STP_P_OBJ: {
        const struct stp_pspec *sub = i < n ? field(f->sub, segs[i]) : NULL;
        if (!sub) {
            fail(c, "parameter_unknown", key, "Received unknown parameter: %s", key);
            return;
        }
        put(c, child(container, slot), segs[i], sub, segs, i + 1, n, key, val);
        return;
    }
    case STP_P_LIST: {
        json_t *list = child(container, slot);
        if (i >= n || !index_ok(segs[i], list, idx, sizeof(idx))) {
            fail(c, NULL, key, "Invalid array: %s", key);
            return;
        }
        put(c, list, idx, f->sub, segs, i + 1, n, key, val);
        return;
    }
    }
}

static void add(struct pctx *c, const char *key, const char *val)
{
    if (c->failed)
        return;
    char buf[256], *segs[MAX_SEGS];
    size_t n;
    if (strlen(key) >= sizeof(buf)) {
        fail(c, "parameter_unknown", "", "Received unknown parameter: %.100s", key);
        return;
    }
    fh_strlcpy(buf, key, sizeof(buf));
    const struct stp_pspec *f = split(buf, segs, &n) ? field(c->spec, segs[0]) : NULL;
    if (!f) {
        fail(c, "parameter_unknown", key, "Received unknown parameter: %s", key);
        return;
    }
    put(c, c->root, segs[0], f, segs, 1, n, key, val ? val : "");
}

static void on_pair(char *key, char *val, void *ud)
{
    add(ud, key, val);
}

static enum MHD_Result on_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *val)
{
    FH_UNUSED(kind);
    add(cls, key, val);
    return MHD_YES;
}

static int by_index(const void *a, const void *b)
{
    return digits(*(const char *const *)a) - digits(*(const char *const *)b);
}

/* Turns the index-keyed objects of LIST fields into arrays, recursively. */
static void finish(json_t *obj, const struct stp_pspec *spec)
{
    for (; spec && spec->name; spec++) {
        json_t *v = json_object_get(obj, spec->name);
        if (!v)
            continue;
        if (spec->kind == STP_P_OBJ) {
            finish(v, spec->sub);
        } else if (spec->kind == STP_P_LIST) {
            const char *keys[MAX_INDEX + 1], *k;
            size_t nk = 0;
            json_t *e;
            json_object_foreach(v, k, e) if (nk <= MAX_INDEX) keys[nk++] = k;
            qsort(keys, nk, sizeof(*keys), by_index);
            json_t *arr = json_array();
            for (size_t i = 0; i < nk; i++) {
                json_t *el = json_object_get(v, keys[i]);
                if (spec->sub->kind == STP_P_OBJ)
                    finish(el, spec->sub->sub);
                json_array_append(arr, el);
            }
            json_object_set_new(obj, spec->name, arr);
        }
    }
}

json_t *stp_params(struct fh_req *req, const char *body, size_t len, const struct stp_pspec *spec,
                   struct stp_perr *err)
{
    memset(err, 0, sizeof(*err));
    struct pctx c = {.root = json_object(), .spec = spec, .err = err};
    if (body)
        sb_form_each(body, len, on_pair, &c);
    else
        MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, on_arg, &c);
    if (c.failed) {
        json_decref(c.root);
        return NULL;
    }
    finish(c.root, spec);
    return c.root;
}

bool stp_fail(struct stp_perr *err, const char *code, const char *param, const char *fmt, ...)
{
    fh_strlcpy(err->code, code ? code : "", sizeof(err->code));
    fh_strlcpy(err->param, param ? param : "", sizeof(err->param));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return false;
}

bool stp_url_ok(const char *s)
{
    const char *host = fh_starts_with(s, "https://")  ? s + 8
                       : fh_starts_with(s, "http://") ? s + 7
                                                      : NULL;
    if (!host || !*host || *host == '/' || strlen(s) > MAX_STR)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ')
            return false;
    return true;
}

bool stp_expand(json_t *params, unsigned allowed, unsigned *out, struct stp_perr *err)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"line_items", STP_X_LINES}, {"subscription", STP_X_SUB}, {"customer", STP_X_CUS}};
    *out = 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(params, "expand"), i, v)
    {
        unsigned bit = 0;
        for (size_t k = 0; k < FH_ARRAY_LEN(names); k++)
            if (strcmp(json_string_value(v), names[k].name) == 0)
                bit = names[k].bit;
        if (!(bit & allowed)) {
            char param[32];
            snprintf(param, sizeof(param), "expand[%zu]", i);
            return stp_fail(err, NULL, param, "This property cannot be expanded (%s).",
                            json_string_value(v));
        }
        *out |= bit;
    }
    return true;
}
