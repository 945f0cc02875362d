/* json.c - parse with caps, then validate against field specs. */
#include "fh/fh_json.h"

#include <stdio.h>
#include <string.h>

#include "fh/fh_http.h"
#include "fh/fh_store.h"

/* detail reads "<field> <text>", e.g. "email is required". */
static void set_err(struct fh_json_error *err, enum fh_ec ec, const char *field, const char *text)
{
    err->ec = ec;
    snprintf(err->detail, sizeof(err->detail), "%.80s %s", field, text);
}

static bool depth_ok(json_t *v, int depth)
{
    if (depth > FH_JSON_MAX_DEPTH)
        return false;
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach(v, k, c)
        {
            if (!depth_ok(c, depth + 1))
                return false;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c)
        {
            if (!depth_ok(c, depth + 1))
                return false;
        }
    }
    return true;
}

enum fh_rc fh_json_parse(const char *text, size_t len, json_t **root, struct fh_json_error *err)
{
    json_error_t jerr;
    if (len == 0) {
        err->ec = FH_EC_JSON_MALFORMED;
        fh_strlcpy(err->detail, "the body is empty", sizeof(err->detail));
        return FH_E_INPUT;
    }
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!doc) {
        err->ec = FH_EC_JSON_MALFORMED;
        snprintf(err->detail, sizeof(err->detail), "line %d column %d: %s", jerr.line, jerr.column,
                 jerr.text);
        return FH_E_INPUT;
    }
    if (!depth_ok(doc, 1)) {
        json_decref(doc);
        err->ec = FH_EC_JSON_TOO_DEEP;
        snprintf(err->detail, sizeof(err->detail), "nesting deeper than %d levels",
                 FH_JSON_MAX_DEPTH);
        return FH_E_INPUT;
    }
    *root = doc;
    return FH_OK;
}

static const char *type_name(enum fh_jtype t)
{
    switch (t) {
    case FH_J_STRING:
    case FH_J_ENUM:
        return "a string";
    case FH_J_INT:
        return "an integer";
    case FH_J_BOOL:
        return "true or false";
    case FH_J_OBJECT:
        return "an object";
    default:
        return "an array";
    }
}

static enum fh_rc apply_one(const struct fh_jspec *s, json_t *v, struct fh_json_error *err)
{
    char msg[160];
    switch (s->type) {
    case FH_J_STRING:
    case FH_J_ENUM: {
        if (!json_is_string(v))
            break;
        const char *str = json_string_value(v);
        size_t len = json_string_length(v);
        size_t max = s->max ? s->max : 1000;
        if (strlen(str) != len) {
            set_err(err, FH_EC_JSON_FIELD_INVALID, s->name, "must not contain NUL characters");
            return FH_E_INPUT;
        }
        if (len > max) {
            snprintf(msg, sizeof(msg), "is longer than %zu bytes", max);
            set_err(err, FH_EC_JSON_FIELD_TOO_LONG, s->name, msg);
            return FH_E_INPUT;
        }
        if (len < s->min) {
            snprintf(msg, sizeof(msg), "must be at least %zu characters", s->min);
            set_err(err, s->min == 1 ? FH_EC_JSON_FIELD_MISSING : FH_EC_JSON_FIELD_INVALID, s->name,
                    s->min == 1 ? "must not be empty" : msg);
            return FH_E_INPUT;
        }
        if (s->type == FH_J_ENUM) {
            bool ok = false;
            for (const char *const *c = s->choices; c && *c; c++)
                ok = ok || strcmp(*c, str) == 0;
            if (!ok) {
                struct fh_buf b;
                fh_buf_init(&b, 150);
                fh_buf_appendf(&b, "must be one of:");
                for (const char *const *c = s->choices; c && *c; c++)
                    fh_buf_appendf(&b, " %s", *c);
                set_err(err, FH_EC_JSON_FIELD_INVALID, s->name, b.data);
                fh_buf_free(&b);
                return FH_E_INPUT;
            }
        }
        *(const char **)s->out = str;
        return FH_OK;
    }
    case FH_J_INT:
        if (!json_is_integer(v))
            break;
        if (s->imin < s->imax &&
            (json_integer_value(v) < s->imin || json_integer_value(v) > s->imax)) {
            snprintf(msg, sizeof(msg), "must be between %lld and %lld", (long long)s->imin,
                     (long long)s->imax);
            set_err(err, FH_EC_JSON_FIELD_INVALID, s->name, msg);
            return FH_E_INPUT;
        }
        *(int64_t *)s->out = json_integer_value(v);
        return FH_OK;
    case FH_J_BOOL:
        if (!json_is_boolean(v))
            break;
        *(bool *)s->out = json_is_true(v);
        return FH_OK;
    case FH_J_OBJECT:
        if (!json_is_object(v))
            break;
        *(json_t **)s->out = v;
        return FH_OK;
    case FH_J_ARRAY: {
        if (!json_is_array(v))
            break;
        size_t max = s->max ? s->max : 10000;
        if (json_array_size(v) > max) {
            snprintf(msg, sizeof(msg), "has more than %zu elements", max);
            set_err(err, FH_EC_JSON_ARRAY_TOO_LONG, s->name, msg);
            return FH_E_INPUT;
        }
        if (json_array_size(v) < s->min) {
            snprintf(msg, sizeof(msg), "needs at least %zu elements", s->min);
            set_err(err, FH_EC_JSON_FIELD_INVALID, s->name, msg);
            return FH_E_INPUT;
        }
        *(json_t **)s->out = v;
        return FH_OK;
    }
    }
    snprintf(msg, sizeof(msg), "must be %s", type_name(s->type));
    set_err(err, FH_EC_JSON_FIELD_TYPE, s->name, msg);
    return FH_E_INPUT;
}

enum fh_rc fh_json_apply(json_t *obj, const struct fh_jspec *specs, struct fh_json_error *err)
{
    if (!json_is_object(obj)) {
        err->ec = FH_EC_JSON_NOT_OBJECT;
        fh_strlcpy(err->detail, "expected a JSON object", sizeof(err->detail));
        return FH_E_INPUT;
    }
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        bool known = false;
        for (const struct fh_jspec *s = specs; s->name; s++)
            known = known || strcmp(s->name, key) == 0;
        if (!known) {
            err->ec = FH_EC_JSON_UNKNOWN_FIELD;
            snprintf(err->detail, sizeof(err->detail), "unknown field %.100s", key);
            return FH_E_INPUT;
        }
    }
    for (const struct fh_jspec *s = specs; s->name; s++) {
        json_t *v = json_object_get(obj, s->name);
        if (s->present)
            *s->present = v != NULL && !json_is_null(v);
        if (!v || json_is_null(v)) {
            if (s->optional)
                continue;
            set_err(err, FH_EC_JSON_FIELD_MISSING, s->name, "is required");
            return FH_E_INPUT;
        }
        enum fh_rc rc = apply_one(s, v, err);
        if (rc != FH_OK)
            return rc;
    }
    return FH_OK;
}

enum fh_rc fh_json_parse_body_or_reply(struct fh_req *req, const struct fh_jspec *specs,
                                       json_t **root)
{
    struct fh_json_error err = {0};
    const char *ct = fh_req_header(req, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0) {
        fh_reply_error(req, FH_EC_CONTENT_TYPE, "Content-Type is %s", ct ? ct : "missing");
        return FH_ERR;
    }
    json_t *doc = NULL;
    if (fh_json_parse(req->body.data ? req->body.data : "", req->body.len, &doc, &err) != FH_OK ||
        fh_json_apply(doc, specs, &err) != FH_OK) {
        json_decref(doc);
        fh_reply_error(req, err.ec, "%s", err.detail);
        return FH_ERR;
    }
    *root = doc;
    return FH_OK;
}

json_t *fh_json_str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

void fh_json_copy_scalar(json_t *dst, const char *name, json_t *src, const char *src_name)
{
    json_t *v = json_object_get(src, src_name);
    json_object_set_new(dst, name,
                        json_is_string(v) || json_is_integer(v) ? json_incref(v) : json_null());
}

json_t *fh_json_time_cell(const struct fh_rows *r, size_t row, size_t col)
{
    if (!fh_rows_get(r, row, col))
        return json_null();
    char t[32];
    fh_time_fmt(fh_rows_i64(r, row, col, 0), t, sizeof(t));
    return json_string(t);
}
