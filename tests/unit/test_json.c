/* test_json.c - declarative field specs: types, bounds, enums, unknown fields, depth; picking
 * top-level strings out of a large object (fh_json_pick), and strings out of the objects of a
 * top-level array (fh_json_pick_each), as jansson would read them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fh/fh_json.h"

static const char *const colors[] = {"red", "green", NULL};

struct outs {
    const char *name, *color;
    int64_t n;
    bool flag, flag_present;
    json_t *items;
};

static enum fh_rc run(const char *text, struct outs *o, struct fh_json_error *err)
{
    struct fh_jspec spec[] = {
        {.name = "name", .type = FH_J_STRING, .min = 2, .max = 5, .out = &o->name},
        {.name = "color", .type = FH_J_ENUM, .choices = colors, .out = &o->color},
        {.name = "n", .type = FH_J_INT, .imin = 1, .imax = 10, .out = &o->n},
        {.name = "flag",
         .type = FH_J_BOOL,
         .optional = true,
         .out = &o->flag,
         .present = &o->flag_present},
        {.name = "items", .type = FH_J_ARRAY, .optional = true, .max = 2, .out = &o->items},
        FH_JSPEC_END,
    };
    json_t *root = NULL;
    memset(err, 0, sizeof(*err));
    enum fh_rc rc = fh_json_parse(text, strlen(text), &root, err);
    if (rc == FH_OK)
        rc = fh_json_apply(root, spec, err);
    json_decref(root); /* outs borrowed from root: only compared before this in callers */
    return rc;
}

static void expect(const char *text, enum fh_ec ec, const char *detail_prefix)
{
    struct outs o = {0};
    struct fh_json_error err;
    assert_int_equal(run(text, &o, &err), FH_E_INPUT);
    assert_int_equal(err.ec, ec);
    if (detail_prefix && strncmp(err.detail, detail_prefix, strlen(detail_prefix)) != 0)
        fail_msg("detail '%s' does not start with '%s'", err.detail, detail_prefix);
}

static void test_valid_document(void **state)
{
    (void)state;
    struct fh_jspec spec[] = {
        {.name = "name", .type = FH_J_STRING, .min = 2, .max = 5, .out = NULL},
        FH_JSPEC_END,
    };
    const char *name = NULL;
    spec[0].out = &name;
    json_t *root = NULL;
    struct fh_json_error err;
    assert_int_equal(fh_json_parse("{\"name\":\"abc\"}", 14, &root, &err), FH_OK);
    assert_int_equal(fh_json_apply(root, spec, &err), FH_OK);
    assert_string_equal(name, "abc");
    json_decref(root);

    struct outs o = {0};
    assert_int_equal(
        run("{\"name\":\"ab\",\"color\":\"green\",\"n\":10,\"items\":[1,2]}", &o, &err), FH_OK);
    assert_false(o.flag_present);
    assert_int_equal(run("{\"name\":\"ab\",\"color\":\"red\",\"n\":1,\"flag\":true}", &o, &err),
                     FH_OK);
    assert_true(o.flag_present);
    assert_true(o.flag);
    assert_int_equal(o.n, 1);
}

static void test_errors_name_the_field(void **state)
{
    (void)state;
    expect("{", FH_EC_JSON_MALFORMED, "line 1");
    expect("", FH_EC_JSON_MALFORMED, NULL);
    expect("[1]", FH_EC_JSON_NOT_OBJECT, NULL);
    expect("\"x\"", FH_EC_JSON_NOT_OBJECT, NULL);
    expect("{\"color\":\"red\",\"n\":1}", FH_EC_JSON_FIELD_MISSING, "name is required");
    expect("{\"name\":null,\"color\":\"red\",\"n\":1}", FH_EC_JSON_FIELD_MISSING,
           "name is required");
    expect("{\"name\":5,\"color\":\"red\",\"n\":1}", FH_EC_JSON_FIELD_TYPE,
           "name must be a string");
    expect("{\"name\":\"abcdef\",\"color\":\"red\",\"n\":1}", FH_EC_JSON_FIELD_TOO_LONG,
           "name is longer than 5");
    expect("{\"name\":\"a\",\"color\":\"red\",\"n\":1}", FH_EC_JSON_FIELD_INVALID,
           "name must be at least 2");
    expect("{\"name\":\"ab\",\"color\":\"blue\",\"n\":1}", FH_EC_JSON_FIELD_INVALID,
           "color must be one of: red green");
    expect("{\"name\":\"ab\",\"color\":\"red\",\"n\":11}", FH_EC_JSON_FIELD_INVALID,
           "n must be between 1 and 10");
    expect("{\"name\":\"ab\",\"color\":\"red\",\"n\":1.5}", FH_EC_JSON_FIELD_TYPE,
           "n must be an integer");
    expect("{\"name\":\"ab\",\"color\":\"red\",\"n\":1,\"flag\":1}", FH_EC_JSON_FIELD_TYPE,
           "flag must be true or false");
    expect("{\"name\":\"ab\",\"color\":\"red\",\"n\":1,\"items\":[1,2,3]}",
           FH_EC_JSON_ARRAY_TOO_LONG, "items has more");
    expect("{\"name\":\"ab\",\"color\":\"red\",\"n\":1,\"zzz\":1}", FH_EC_JSON_UNKNOWN_FIELD,
           "unknown field zzz");
    expect("{\"name\":\"ab\",\"name\":\"cd\",\"color\":\"red\",\"n\":1}", FH_EC_JSON_MALFORMED,
           NULL);
    /* jansson refuses \u0000 inside strings at parse time. */
    expect("{\"name\":\"a\\u0000b\",\"color\":\"red\",\"n\":1}", FH_EC_JSON_MALFORMED, NULL);
}

static void test_depth_cap(void **state)
{
    (void)state;
    char doc[256];
    size_t k = 0;
    doc[k++] = '{';
    memcpy(doc + k, "\"a\":", 4);
    k += 4;
    for (int i = 0; i < 40; i++)
        doc[k++] = '[';
    for (int i = 0; i < 40; i++)
        doc[k++] = ']';
    doc[k++] = '}';
    doc[k] = '\0';
    json_t *root = NULL;
    struct fh_json_error err;
    assert_int_equal(fh_json_parse(doc, strlen(doc), &root, &err), FH_E_INPUT);
    assert_int_equal(err.ec, FH_EC_JSON_TOO_DEEP);
    assert_null(root);
}

/* ---- fh_json_pick ---- */

static const char *const picked[] = {"invoiceNumber", "sdcDateTime", "verificationUrl"};

/* fh_json_pick on text must agree with json_loadb(text, 0): accepted exactly when jansson builds
 * an object, and each picked value equal to jansson's string (NULL when absent or no string). */
static bool pick_agrees(const char *text, size_t len)
{
    char *v[3];
    enum fh_rc rc = fh_json_pick(text, len, picked, v, 3);
    json_t *j = json_loadb(text, len, 0, NULL);
    bool want = json_is_object(j);
    if ((rc == FH_OK) != want)
        fail_msg("fh_json_pick %s but jansson %s: %.*s", rc == FH_OK ? "accepts" : "refuses",
                 want ? "accepts" : "refuses", (int)len, text);
    for (size_t i = 0; i < 3; i++) {
        const char *jv = want ? json_string_value(json_object_get(j, picked[i])) : NULL;
        if (jv)
            assert_string_equal(v[i], jv);
        else
            assert_null(v[i]);
        free(v[i]);
    }
    json_decref(j);
    return want;
}

static void test_pick_fields(void **state)
{
    (void)state;
    const char *doc =
        " {\"invoiceNumber\": \"A\\u00e9\\ud83d\\ude00\\n\", \"x\": {\"sdcDateTime\": "
        "\"inner\"}, \"sdcDateTime\": 1, \"sdcDateTime\": \"T\", "
        "\"verificationUrl\": [\"no\"], \"q\": [1, -2.5e3, true, false, null]}\r\n";
    char *v[3];
    assert_int_equal(fh_json_pick(doc, strlen(doc), picked, v, 3), FH_OK);
    assert_string_equal(v[0], "A\xc3\xa9\xf0\x9f\x98\x80\n");
    assert_string_equal(v[1], "T"); /* the top-level one, the last of two */
    assert_null(v[2]);              /* not a string */
    free(v[0]);
    free(v[1]);
    assert_int_equal(fh_json_pick("[]", 2, picked, v, 3), FH_E_INPUT);
    assert_null(v[0]);
    assert_int_equal(fh_json_pick("{\"invoiceNumber\":\"A\"} x", 24, picked, v, 3), FH_E_INPUT);
    assert_null(v[0]);
    assert_int_equal(fh_json_pick(NULL, 0, picked, v, 3), FH_E_INPUT);
    assert_int_equal(fh_json_pick("{}", 2, NULL, NULL, 0), FH_OK);
    /* nesting past the cap */
    char deep[200];
    size_t k = 0;
    memcpy(deep, "{\"a\":", 5);
    k = 5;
    for (int i = 0; i < FH_JSON_MAX_DEPTH; i++)
        deep[k++] = '[';
    for (int i = 0; i < FH_JSON_MAX_DEPTH; i++)
        deep[k++] = ']';
    deep[k++] = '}';
    assert_int_equal(fh_json_pick(deep, k, NULL, NULL, 0), FH_E_INPUT);
    assert_int_equal(fh_json_pick(deep + 5, k - 6, NULL, NULL, 0), FH_E_INPUT); /* an array */
}

/* One pseudo-random mutation of base (n bytes) into buf (n + 1 bytes at least): a byte replaced
 * by one of alphabet, one inserted or removed, or the text cut short. Returns its length. */
static size_t mutate(const char *base, size_t n, const char *alphabet, uint32_t *x, char *buf)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    size_t at = *x % n, len = n;
    char c = alphabet[(*x >> 8) % strlen(alphabet)];
    memcpy(buf, base, n);
    switch ((*x >> 16) % 4) {
    case 0:
        buf[at] = c;
        break;
    case 1: /* insert */
        memmove(buf + at + 1, buf + at, n - at);
        buf[at] = c;
        len = n + 1;
        break;
    case 2: /* remove */
        memmove(buf + at, buf + at + 1, n - at - 1);
        len = n - 1;
        break;
    default:
        len = at;
    }
    return len;
}

static void test_pick_agrees_with_jansson(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "{}",
        "{ }",
        "[]",
        "\"s\"",
        "1",
        "",
        " ",
        "{",
        "}",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{,}",
        "{\"a\":1 \"b\":2}",
        "{\"a\":[1,]}",
        "{\"a\":[,1]}",
        "{\"a\":01}",
        "{\"a\":-}",
        "{\"a\":1.}",
        "{\"a\":.5}",
        "{\"a\":1e}",
        "{\"a\":1e+}",
        "{\"a\":-0}",
        "{\"a\":-0.0e-0}",
        "{\"a\":1e400}",
        "{\"a\":-1e400}",
        "{\"a\":1e-400}",
        "{\"a\":9223372036854775807}",
        "{\"a\":9223372036854775808}",
        "{\"a\":-9223372036854775808}",
        "{\"a\":-9223372036854775809}",
        "{\"a\":tru}",
        "{\"a\":nul}",
        "{\"a\":True}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12\"}",
        "{\"a\":\"\\u12G4\"}",
        "{\"a\":\"\\u0000\"}",
        "{\"a\":\"\\ud800\"}",
        "{\"a\":\"\\udc00\"}",
        "{\"a\":\"\\ud800\\u0041\"}",
        "{\"a\":\"\\ud800\\udc00\"}",
        "{\"a\":\"\\uDBFF\\uDFFF\"}",
        "{\"a\":\"\t\"}",
        "{\"a\":\"\x7f\"}",
        "{\"a\":\"\xc3\xa9\"}",
        "{\"a\":\"\xc3\"}",
        "{\"a\":\"\xc0\x80\"}",
        "{\"a\":\"\xe0\x80\x80\"}",
        "{\"a\":\"\xed\xa0\x80\"}",
        "{\"a\":\"\xf4\x90\x80\x80\"}",
        "{\"a\":\"\xf0\x9f\x98\x80\"}",
        "{\"a\":\"\x80\"}",
        "{\"a\":\"\xff\"}",
        "{\"invoiceNumber\":\"\\u00e9\",\"sdcDateTime\":\"\\/\\b\\f\\r\\t\\\"\\\\\"}",
        "{\"invoice\\u004eumber\":\"escaped name\"}",
        "{\"invoiceNumber\":\"a\",\"invoiceNumber\":2}",
        "\xef\xbb\xbf{}",
        "{}\x00",
        "{\"a\":[[[[{\"b\":[{}]}]]]]}",
        " \t\r\n{ \"a\" : [ 1 , 2 ] } \n",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        pick_agrees(cases[i], strlen(cases[i]));
    /* mutations of an answer shaped like the V-SDC's: a byte replaced, inserted or removed, or the
     * text cut short, with a fixed pseudo-random sequence */
    const char *base =
        "{\"requestedBy\":\"AB12CD34\",\"sdcDateTime\":\"2024-05-01T10:00:00.123+02:00\","
        "\"invoiceCounter\":\"12/34\\u041f\\u041f\",\"invoiceNumber\":\"AB12CD34-AB12CD34-12\","
        "\"verificationUrl\":\"https:\\/\\/tap.example\\/v\\/?vl=QUJD%2B\",\"totalCounter\":34,"
        "\"transactionTypeCounter\":12,\"totalAmount\":100.87,\"taxItems\":[{\"label\":"
        "\"\xd0\x82\","
        "\"categoryName\":\"VAT\",\"rate\":20.0,\"amount\":-1.5e2,\"x\":[true,false,null,{}]}],"
        "\"journal\":\"==== \xd0\xa4\xd0\x98\xd0\xa1\xd0\x9a\xd0\x90\xd0\x9b\xd0\x9d\xd0\x98 "
        "\xf0\x9f\x98\x80 ====\\r\\n\\t\\\"end\\\"\",\"verificationQRCode\":\"R0lGODlh+/==\"}";
    static const char alphabet[] =
        "{}[],:\"\\u0123456789eE.-+ tfnxa\t\x01\x1f\x7f\x80\xc3\xa9\xed\xa0"
        "\xf4\x90\xff";
    size_t n = strlen(base);
    char *buf = malloc(n + 2);
    uint32_t x = 2463534242u;
    int accepted = 0;
    for (int round = 0; round < 20000; round++)
        accepted += pick_agrees(buf, mutate(base, n, alphabet, &x, buf));
    free(buf);
    assert_true(accepted > 2000 && accepted < 18000); /* both sides are exercised */
}

/* ---- fh_json_pick_each ---- */

static const char *const ev_fields[] = {"tenantId", "eventCategory", "resourceId"};

struct each_seen {
    char *v[64][3]; /* the picked values of each object element, in order */
    size_t n;
    size_t stop_after; /* 0: never stop */
};

static bool each_take(void *cls, char **values)
{
    struct each_seen *e = cls;
    if (e->n == 64)
        return false;
    for (size_t i = 0; i < 3; i++) {
        e->v[e->n][i] = values[i];
        values[i] = NULL; /* taken */
    }
    e->n++;
    return !e->stop_after || e->n < e->stop_after;
}

static void each_free(struct each_seen *e)
{
    for (size_t k = 0; k < e->n; k++)
        for (size_t i = 0; i < 3; i++)
            free(e->v[k][i]);
    e->n = 0;
}

/* fh_json_pick_each on text must agree with jansson: FH_E_INPUT exactly when json_loadb does not
 * build an object, FH_E_NOTFOUND when "events" is no array, else one call per object element
 * with jansson's strings. Returns whether the events were walked. */
static bool each_agrees(const char *text, size_t len)
{
    struct each_seen e = {.n = 0};
    enum fh_rc rc = fh_json_pick_each(text, len, "events", ev_fields, 3, each_take, &e);
    json_t *j = json_loadb(text, len, 0, NULL);
    json_t *events = json_object_get(j, "events");
    enum fh_rc want = !json_is_object(j)      ? FH_E_INPUT
                      : json_is_array(events) ? FH_OK
                                              : FH_E_NOTFOUND;
    if (rc != want)
        fail_msg("fh_json_pick_each gives %d, jansson %d: %.*s", rc, want, (int)len, text);
    size_t k = 0, i;
    json_t *el;
    json_array_foreach(events, i, el)
    {
        if (!json_is_object(el))
            continue;
        assert_true(k < e.n);
        for (size_t f = 0; f < 3; f++) {
            const char *jv = json_string_value(json_object_get(el, ev_fields[f]));
            if (jv)
                assert_string_equal(e.v[k][f], jv);
            else
                assert_null(e.v[k][f]);
        }
        k++;
    }
    assert_int_equal(k, e.n);
    each_free(&e);
    json_decref(j);
    return want == FH_OK;
}

static void test_pick_each_events(void **state)
{
    (void)state;
    const char *doc =
        "{\"events\": \"first\", \"entropy\": \"X\", \"events\": [{\"tenantId\": \"t1\", "
        "\"eventCategory\": \"INVOICE\", \"resourceId\": \"r\\u0031\", \"x\": "
        "{\"tenantId\": \"inner\"}}, 7, [\"no\"], {\"tenantId\": 5, \"resourceId\": \"r2\", "
        "\"resourceId\": \"r3\"}, {}]}";
    struct each_seen e = {.n = 0};
    assert_int_equal(fh_json_pick_each(doc, strlen(doc), "events", ev_fields, 3, each_take, &e),
                     FH_OK);
    assert_int_equal(e.n, 3); /* the object elements of the last "events" */
    assert_string_equal(e.v[0][0], "t1");
    assert_string_equal(e.v[0][1], "INVOICE");
    assert_string_equal(e.v[0][2], "r1");
    assert_null(e.v[1][0]); /* not a string */
    assert_string_equal(e.v[1][2], "r3");
    assert_null(e.v[2][0]);
    each_free(&e);
    e.stop_after = 2;
    assert_int_equal(fh_json_pick_each(doc, strlen(doc), "events", ev_fields, 3, each_take, &e),
                     FH_E_LIMIT);
    assert_int_equal(e.n, 2);
    each_free(&e);
    assert_int_equal(
        fh_json_pick_each("{\"events\":{}}", 13, "events", ev_fields, 3, each_take, &e),
        FH_E_NOTFOUND);
    assert_int_equal(fh_json_pick_each("{}", 2, "events", ev_fields, 3, each_take, &e),
                     FH_E_NOTFOUND);
    assert_int_equal(fh_json_pick_each("{\"events\":[}", 12, "events", ev_fields, 3, each_take, &e),
                     FH_E_INPUT);
    assert_int_equal(fh_json_pick_each(NULL, 0, "events", ev_fields, 3, each_take, &e), FH_E_INPUT);
    assert_int_equal(e.n, 0);
}

static void test_pick_each_agrees_with_jansson(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "{\"events\":[]}",
        "{\"events\":[{}]}",
        "{\"events\":[{},]}",
        "{\"events\":[1,{\"tenantId\":\"a\"},null]}",
        "{\"events\":[{\"tenantId\":\"a\",\"tenantId\":\"b\"}]}",
        "{\"events\":[],\"events\":[{\"resourceId\":\"z\"}]}",
        "{\"events\":[{\"resourceId\":\"z\"}],\"events\":null}",
        "{\"ev\\u0065nts\":[{\"tenantId\":\"escaped name\"}]}",
        "{\"x\":{\"events\":[{\"tenantId\":\"nested\"}]}}",
        "[{\"events\":[]}]",
        "{\"events\":[{\"tenantId\":\"\\u0000\"}]}",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        each_agrees(cases[i], strlen(cases[i]));
    /* mutations of a Xero delivery of two events, as for fh_json_pick */
    const char *base =
        "{\"events\":[{\"resourceUrl\":\"https://api.xero.com/api.xro/2.0/Invoices/"
        "0f6b8c1e-4a5b-4e1c-9d2f-1b2c3d4e5f60\",\"resourceId\":\"0f6b8c1e-4a5b-4e1c-9d2f-"
        "1b2c3d4e5f60\",\"eventDateUtc\":\"2026-11-22T00:00:00.123\",\"eventType\":\"UPDATE\","
        "\"eventCategory\":\"INVOICE\",\"tenantId\":\"c2cc9b6e-9458-4c7d-93cc-f02b81b0594f\","
        "\"tenantType\":\"ORGANISATION\"},{\"resourceId\":\"\\u00e9x\",\"eventCategory\":"
        "\"CREDITNOTE\",\"tenantId\":\"t\",\"n\":[1,-2.5e3,true,false,null]}],"
        "\"firstEventSequence\":1,\"lastEventSequence\":2,\"entropy\":\"ABCDEFGHIJ\"}";
    static const char alphabet[] = "{}[],:\"\\u0123456789eE.-+ tfnxa\t\x01\x7f\x80\xc3\xa9\xff";
    size_t n = strlen(base);
    char *buf = malloc(n + 2);
    uint32_t x = 88172645u;
    int walked = 0;
    for (int round = 0; round < 20000; round++)
        walked += each_agrees(buf, mutate(base, n, alphabet, &x, buf));
    free(buf);
    assert_true(walked > 2000 && walked < 18000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_document),
        cmocka_unit_test(test_errors_name_the_field),
        cmocka_unit_test(test_depth_cap),
        cmocka_unit_test(test_pick_fields),
        cmocka_unit_test(test_pick_agrees_with_jansson),
        cmocka_unit_test(test_pick_each_events),
        cmocka_unit_test(test_pick_each_agrees_with_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
