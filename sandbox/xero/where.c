/* where.c - the subset of Xero's `where` filter the emulator understands (specs/xero.md §2.2):
 *
 *   expr   := and ( ("OR" | "||") and )*
 *   and    := term ( ("AND" | "&&") term )*
 *   term   := "(" expr ")" | field op value | field "." method "(" string ")"
 *   field  := Name ( "." Name )*              e.g. Status, Contact.ContactID
 *   op     := == != >= <= > <
 *   value  := "string" | Guid("...") | DateTime(y,m,d[,h,mi,s]) | number | true | false | null
 *   method := Contains | StartsWith | EndsWith
 *
 * String comparisons ignore case [I]. The object side comes from a getter per collection; a field
 * the getter does not know makes the whole filter fail, and the caller answers 400. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fh/fh_money.h"
#include "xero_internal.h"

enum node_t { N_AND, N_OR, N_CMP, N_METHOD };
enum op_t { OP_EQ, OP_NE, OP_GE, OP_LE, OP_GT, OP_LT };
enum method_t { M_CONTAINS, M_STARTS, M_ENDS };

struct x_where {
    enum node_t t;
    struct x_where *a, *b;
    char *field;
    int op;
    struct w_val v;
    char *sval;
};

struct parser {
    const char *p;
    char *err;
    size_t errsize;
    int depth;
};

static void ws(struct parser *ps)
{
    while (isspace((unsigned char)*ps->p))
        ps->p++;
}

static bool fail(struct parser *ps, const char *msg)
{
    if (!*ps->err)
        snprintf(ps->err, ps->errsize, "%s near '%.20s'", msg, ps->p);
    return false;
}

static bool word(struct parser *ps, const char *w)
{
    ws(ps);
    size_t n = strlen(w);
    if (strncasecmp(ps->p, w, n) == 0 && !isalnum((unsigned char)ps->p[n])) {
        ps->p += n;
        return true;
    }
    return false;
}

static bool sym(struct parser *ps, const char *s)
{
    ws(ps);
    size_t n = strlen(s);
    if (strncmp(ps->p, s, n) == 0) {
        ps->p += n;
        return true;
    }
    return false;
}

static char *ident(struct parser *ps)
{
    ws(ps);
    const char *s = ps->p;
    while (isalnum((unsigned char)*ps->p) || *ps->p == '_' || *ps->p == '.')
        ps->p++;
    return ps->p > s ? fh_strndup(s, (size_t)(ps->p - s)) : NULL;
}

static char *quoted(struct parser *ps)
{
    ws(ps);
    if (*ps->p != '"')
        return NULL;
    const char *s = ++ps->p;
    while (*ps->p && *ps->p != '"')
        ps->p++;
    if (*ps->p != '"')
        return NULL;
    char *out = fh_strndup(s, (size_t)(ps->p - s));
    ps->p++;
    return out;
}

static bool datetime(struct parser *ps, struct x_where *n)
{
    int f[6] = {0, 1, 1, 0, 0, 0}, k = 0;
    if (!sym(ps, "("))
        return fail(ps, "DateTime needs (y,m,d)");
    do {
        ws(ps);
        char *end;
        long v = strtol(ps->p, &end, 10);
        if (end == ps->p || k >= 6)
            return fail(ps, "bad DateTime");
        f[k++] = (int)v;
        ps->p = end;
    } while (sym(ps, ","));
    if (!sym(ps, ")") || k < 3)
        return fail(ps, "bad DateTime");
    struct tm tm = {.tm_year = f[0] - 1900,
                    .tm_mon = f[1] - 1,
                    .tm_mday = f[2],
                    .tm_hour = f[3],
                    .tm_min = f[4],
                    .tm_sec = f[5]};
    n->v.kind = W_TIME;
    n->v.n = (int64_t)timegm(&tm) * 1000;
    return true;
}

static bool value(struct parser *ps, struct x_where *n)
{
    ws(ps);
    if (*ps->p == '"') {
        n->sval = quoted(ps);
        n->v.kind = W_STR;
        n->v.s = n->sval;
        return n->sval ? true : fail(ps, "unterminated string");
    }
    if (word(ps, "Guid")) {
        if (!sym(ps, "(") || !(n->sval = quoted(ps)) || !sym(ps, ")"))
            return fail(ps, "Guid needs (\"...\")");
        n->v.kind = W_STR;
        n->v.s = n->sval;
        return true;
    }
    if (word(ps, "DateTime"))
        return datetime(ps, n);
    if (word(ps, "true") || word(ps, "false")) {
        n->v.kind = W_BOOL;
        n->v.n = strncasecmp(ps->p - 4, "true", 4) == 0;
        return true;
    }
    if (word(ps, "null")) {
        n->v.kind = W_NONE;
        return true;
    }
    const char *s = ps->p;
    while (isdigit((unsigned char)*ps->p) || *ps->p == '.' || *ps->p == '-')
        ps->p++;
    char *num = fh_strndup(s, (size_t)(ps->p - s));
    bool ok = *num && fh_money_parse(num, &n->v.n) == FH_OK;
    free(num);
    n->v.kind = W_NUM;
    return ok ? true : fail(ps, "expected a value");
}

static struct x_where *expr(struct parser *ps);

static struct x_where *term(struct parser *ps)
{
    if (sym(ps, "(")) {
        if (++ps->depth > 16)
            return fail(ps, "too deeply nested"), NULL;
        struct x_where *e = expr(ps);
        ps->depth--;
        if (e && !sym(ps, ")")) {
            where_free(e);
            return fail(ps, "missing )"), NULL;
        }
        return e;
    }
    struct x_where *n = fh_calloc(1, sizeof(*n));
    n->field = ident(ps);
    static const char *const methods[] = {".Contains", ".StartsWith", ".EndsWith"};
    for (int m = 0; n->field && m < 3; m++) {
        size_t fl = strlen(n->field), ml = strlen(methods[m]);
        if (fl > ml && strcasecmp(n->field + fl - ml, methods[m]) == 0) {
            n->field[fl - ml] = '\0';
            n->t = N_METHOD;
            n->op = m;
            if (!sym(ps, "(") || !(n->sval = quoted(ps)) || !sym(ps, ")"))
                return fail(ps, "method needs (\"...\")"), where_free(n), NULL;
            return n;
        }
    }
    static const char *const ops[] = {"==", "!=", ">=", "<=", ">", "<"};
    n->t = N_CMP;
    n->op = -1;
    for (int i = 0; n->field && i < 6 && n->op < 0; i++)
        if (sym(ps, ops[i]))
            n->op = i;
    if (!n->field || n->op < 0 || !value(ps, n)) {
        fail(ps, "expected Field == value");
        where_free(n);
        return NULL;
    }
    return n;
}

static struct x_where *join(enum node_t t, struct x_where *a, struct x_where *b)
{
    struct x_where *n = fh_calloc(1, sizeof(*n));
    n->t = t;
    n->a = a;
    n->b = b;
    return n;
}

static struct x_where *and_expr(struct parser *ps)
{
    struct x_where *l = term(ps);
    while (l && (word(ps, "AND") || sym(ps, "&&"))) {
        struct x_where *r = term(ps);
        if (!r) {
            where_free(l);
            return NULL;
        }
        l = join(N_AND, l, r);
    }
    return l;
}

static struct x_where *expr(struct parser *ps)
{
    struct x_where *l = and_expr(ps);
    while (l && (word(ps, "OR") || sym(ps, "||"))) {
        struct x_where *r = and_expr(ps);
        if (!r) {
            where_free(l);
            return NULL;
        }
        l = join(N_OR, l, r);
    }
    return l;
}

struct x_where *where_parse(const char *text, char *err, size_t errsize)
{
    struct parser ps = {.p = text, .err = err, .errsize = errsize};
    err[0] = '\0';
    if (strlen(text) > 4000) {
        snprintf(err, errsize, "the where filter is too long");
        return NULL;
    }
    struct x_where *w = expr(&ps);
    ws(&ps);
    if (w && *ps.p) {
        fail(&ps, "unexpected text");
        where_free(w);
        return NULL;
    }
    if (!w && !*err)
        snprintf(err, errsize, "the where filter cannot be parsed");
    return w;
}

void where_free(struct x_where *w)
{
    if (!w)
        return;
    where_free(w->a);
    where_free(w->b);
    free(w->field);
    free(w->sval);
    free(w);
}

static int cmp(const struct w_val *a, const struct w_val *b, bool *ok)
{
    if (a->kind == W_NONE || b->kind == W_NONE)
        return (a->kind == W_NONE) == (b->kind == W_NONE) ? 0 : 1;
    if (a->kind == W_STR && b->kind == W_STR)
        return strcasecmp(a->s, b->s);
    if (a->kind != b->kind) {
        *ok = false;
        return 1;
    }
    return a->n < b->n ? -1 : a->n > b->n ? 1 : 0;
}

static bool method(const struct x_where *w, const struct w_val *v)
{
    if (v->kind != W_STR)
        return false;
    size_t hl = strlen(v->s), nl = strlen(w->sval);
    if (nl > hl)
        return false;
    if (w->op == M_CONTAINS)
        return strcasestr(v->s, w->sval) != NULL;
    return strncasecmp(w->op == M_STARTS ? v->s : v->s + hl - nl, w->sval, nl) == 0;
}

bool where_match(const struct x_where *w, const void *obj, where_getter get, bool *ok)
{
    if (w->t == N_AND)
        return where_match(w->a, obj, get, ok) && where_match(w->b, obj, get, ok);
    if (w->t == N_OR)
        return where_match(w->a, obj, get, ok) || where_match(w->b, obj, get, ok);
    struct w_val v = {.kind = W_NONE};
    if (!get(obj, w->field, &v)) {
        *ok = false;
        return false;
    }
    if (w->t == N_METHOD)
        return method(w, &v);
    int c = cmp(&v, &w->v, ok);
    switch (w->op) {
    case OP_EQ:
        return c == 0;
    case OP_NE:
        return c != 0;
    case OP_GE:
        return c >= 0;
    case OP_LE:
        return c <= 0;
    case OP_GT:
        return c > 0;
    default:
        return c < 0;
    }
}
