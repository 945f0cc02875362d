/* test_json.c - declarative field specs: types, bounds, enums, unknown fields, depth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

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
        {.name = "flag", .type = FH_J_BOOL, .optional = true, .out = &o->flag, .present = &o->flag_present},
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
    assert_int_equal(run("{\"name\":\"ab\",\"color\":\"green\",\"n\":10,\"items\":[1,2]}", &o, &err), FH_OK);
    assert_false(o.flag_present);
    assert_int_equal(run("{\"name\":\"ab\",\"color\":\"red\",\"n\":1,\"flag\":true}", &o, &err), FH_OK);
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
    expect("{\"name\":null,\"color\":\"red\",\"n\":1}", FH_EC_JSON_FIELD_MISSING, "name is required");
    expect("{\"name\":5,\"color\":\"red\",\"n\":1}", FH_EC_JSON_FIELD_TYPE, "name must be a string");
    expect("{\"name\":\"abcdef\",\"color\":\"red\",\"n\":1}", FH_EC_JSON_FIELD_TOO_LONG, "name is longer than 5");
    expect("{\"name\":\"a\",\"color\":\"red\",\"n\":1}", FH_EC_JSON_FIELD_INVALID, "name must be at least 2");
    expect("{\"name\":\"ab\",\"color\":\"blue\",\"n\":1}", FH_EC_JSON_FIELD_INVALID, "color must be one of: red green");
    expect("{\"name\":\"ab\",\"color\":\"red\",\"n\":11}", FH_EC_JSON_FIELD_INVALID, "n must be between 1 and 10");
    expect("{\"name\":\"ab\",\"color\":\"red\",\"n\":1.5}", FH_EC_JSON_FIELD_TYPE, "n must be an integer");
    expect("{\"name\":\"ab\",\"color\":\"red\",\"n\":1,\"flag\":1}", FH_EC_JSON_FIELD_TYPE, "flag must be true or false");
    expect("{\"name\":\"ab\",\"color\":\"red\",\"n\":1,\"items\":[1,2,3]}", FH_EC_JSON_ARRAY_TOO_LONG, "items has more");
    expect("{\"name\":\"ab\",\"color\":\"red\",\"n\":1,\"zzz\":1}", FH_EC_JSON_UNKNOWN_FIELD, "unknown field zzz");
    expect("{\"name\":\"ab\",\"name\":\"cd\",\"color\":\"red\",\"n\":1}", FH_EC_JSON_MALFORMED, NULL);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_document),
        cmocka_unit_test(test_errors_name_the_field),
        cmocka_unit_test(test_depth_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
