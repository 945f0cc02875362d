/* test_common.c - bounded buffers, strict integer parsing, money, time formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_common.h"
#include "fh/fh_money.h"

static void test_buf_refuses_to_grow_past_max(void **state)
{
    (void)state;
    struct fh_buf b;
    fh_buf_init(&b, 10);
    assert_int_equal(fh_buf_append(&b, "hello", 5), FH_OK);
    assert_int_equal(fh_buf_appendf(&b, "%d", 12345), FH_OK);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "hello12345");
    assert_int_equal(fh_buf_append(&b, "x", 1), FH_E_LIMIT);
    assert_int_equal(fh_buf_appendf(&b, "%s", "y"), FH_E_LIMIT);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "hello12345");
    char *s = fh_buf_steal(&b);
    assert_string_equal(s, "hello12345");
    assert_null(b.data);
    free(s);
    fh_buf_free(&b);
}

static void test_buf_large_append(void **state)
{
    (void)state;
    struct fh_buf b;
    fh_buf_init(&b, 1 << 20);
    char chunk[1000];
    memset(chunk, 'a', sizeof(chunk));
    for (int i = 0; i < 1000; i++)
        assert_int_equal(fh_buf_append(&b, chunk, sizeof(chunk)), FH_OK);
    assert_int_equal(b.len, 1000000);
    assert_int_equal(b.data[b.len], '\0');
    assert_int_equal(fh_buf_append(&b, chunk, 100000), FH_E_LIMIT);
    fh_buf_free(&b);
}

static void test_parse_i64_is_strict(void **state)
{
    (void)state;
    int64_t v = 0;
    assert_true(fh_parse_i64("42", &v));
    assert_int_equal(v, 42);
    assert_true(fh_parse_i64("-9223372036854775808", &v));
    assert_true(v == INT64_MIN);
    assert_false(fh_parse_i64("9223372036854775808", &v));
    assert_false(fh_parse_i64("", &v));
    assert_false(fh_parse_i64("12a", &v));
    assert_false(fh_parse_i64(" 12", &v));
    assert_false(fh_parse_i64("+12", &v));
    assert_false(fh_parse_i64("1.5", &v));
    assert_false(fh_parse_i64(NULL, &v));
}

static void test_strlcpy_reports_truncation(void **state)
{
    (void)state;
    char b[4];
    assert_true(fh_strlcpy(b, "abc", sizeof(b)));
    assert_false(fh_strlcpy(b, "abcd", sizeof(b)));
    assert_string_equal(b, "abc");
}

static void test_money_parse_and_format(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(fh_money_parse("12", &v), FH_OK);
    assert_true(v == 120000);
    assert_int_equal(fh_money_parse("-3.5", &v), FH_OK);
    assert_true(v == -35000);
    assert_int_equal(fh_money_parse("0.0001", &v), FH_OK);
    assert_true(v == 1);
    assert_int_equal(fh_money_parse("0.00001", &v), FH_E_INPUT);
    assert_int_equal(fh_money_parse("1.", &v), FH_E_INPUT);
    assert_int_equal(fh_money_parse("abc", &v), FH_E_INPUT);
    assert_int_equal(fh_money_parse("99999999999999999999", &v), FH_E_LIMIT);
    char out[32];
    fh_money_fmt(56527, 4, out, sizeof(out));
    assert_string_equal(out, "5.6527");
    fh_money_fmt(56527, 2, out, sizeof(out));
    assert_string_equal(out, "5.65");
    fh_money_fmt(-56550, 2, out, sizeof(out));
    assert_string_equal(out, "-5.66"); /* half away from zero */
    fh_money_fmt(-40, 2, out, sizeof(out));
    assert_string_equal(out, "0.00");
    fh_money_fmt(1234567, 0, out, sizeof(out));
    assert_string_equal(out, "123");
}

static void test_money_mul_rounds_half_away(void **state)
{
    (void)state;
    int64_t r;
    /* 34.23 x 2.000 = 68.46 */
    assert_int_equal(fh_money_mul(342300, 20000, &r), FH_OK);
    assert_true(r == 684600);
    /* 0.0001 x 0.5 = 0.00005 -> 0.0001 */
    assert_int_equal(fh_money_mul(1, 5000, &r), FH_OK);
    assert_true(r == 1);
    assert_int_equal(fh_money_mul(-1, 5000, &r), FH_OK);
    assert_true(r == -1);
    assert_int_equal(fh_money_mul(INT64_MAX, INT64_MAX, &r), FH_E_LIMIT);
}

static void test_time_fmt(void **state)
{
    (void)state;
    char out[32];
    fh_time_fmt(1686050475504LL, out, sizeof(out));
    assert_string_equal(out, "2023-06-06T11:21:15.504Z");
    assert_true(fh_now_ms() > 1700000000000LL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_refuses_to_grow_past_max),
        cmocka_unit_test(test_buf_large_append),
        cmocka_unit_test(test_parse_i64_is_strict),
        cmocka_unit_test(test_strlcpy_reports_truncation),
        cmocka_unit_test(test_money_parse_and_format),
        cmocka_unit_test(test_money_mul_rounds_half_away),
        cmocka_unit_test(test_time_fmt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
