/* test_events.c - the pure pieces of outgoing events and the public API: the webhook signature
 * (a known answer computed independently), retry backoff bounds, response excerpts, opaque
 * cursors, webhook endpoint validation, the API keys' token bucket and HTTP Basic parsing. */
/* cmocka.h needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_apikeys.h"
#include "fh/fh_crypto.h"
#include "fh/fh_events.h"

static int setup(void **state)
{
    (void)state;
    return fh_crypto_init() == FH_OK ? 0 : -1;
}

static void test_signature_known_answer(void **state)
{
    (void)state;
    /* python3: hmac.new(b"whsec_test", b'1700000000.{"id":"evt_1"}', sha256).hexdigest() */
    const char body[] = "{\"id\":\"evt_1\"}";
    char sig[FH_WEBHOOK_SIG_SIZE];
    fh_webhook_signature("whsec_test", 1700000000, body, strlen(body), sig);
    assert_string_equal(
        sig, "t=1700000000,v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925");
    /* another timestamp, another body: another signature */
    char other[FH_WEBHOOK_SIG_SIZE];
    fh_webhook_signature("whsec_test", 1700000001, body, strlen(body), other);
    assert_string_not_equal(strchr(sig, ','), strchr(other, ','));
    fh_webhook_signature("whsec_test", 1700000000, "{\"id\":\"evt_2\"}", 14, other);
    assert_string_not_equal(sig, other);
}

static void test_backoff_doubles_within_jitter_and_cap(void **state)
{
    (void)state;
    for (int i = 0; i < 200; i++) {
        int64_t d1 = fh_webhook_backoff(1, 1000, 60000);
        int64_t d3 = fh_webhook_backoff(3, 1000, 60000);
        int64_t d20 = fh_webhook_backoff(20, 1000, 60000);
        assert_true(d1 >= 750 && d1 <= 1250);
        assert_true(d3 >= 3000 && d3 <= 5000);
        assert_true(d20 >= 45000 && d20 <= 75000);
    }
    /* a day of retries at the default settings takes a bounded number of attempts */
    int64_t t = 0;
    int n = 0;
    while (t < 86400000LL) {
        n++;
        t += fh_webhook_backoff(n, 30000, 3600000);
    }
    assert_true(n > 20 && n < 50);
}

static void test_excerpt_is_bounded_utf8(void **state)
{
    (void)state;
    char *e = fh_webhook_excerpt("ok\r\n\x01 \xc3\xa9t\xc3", 10, 100);
    assert_string_equal(e, "ok?\n? \xc3\xa9t?");
    free(e);
    char big[3000];
    memset(big, 'a', sizeof(big));
    big[1023] = '\xc3'; /* a two-byte character across the cut is left out whole */
    big[1024] = '\xa9';
    e = fh_webhook_excerpt(big, sizeof(big), FH_WEBHOOK_EXCERPT_MAX);
    assert_int_equal(strlen(e), 1023);
    free(e);
    e = fh_webhook_excerpt(NULL, 0, 10);
    assert_string_equal(e, "");
    free(e);
}

static void test_cursor_round_trip(void **state)
{
    (void)state;
    char c[40];
    int64_t id = 0;
    fh_cursor_encode(123456789012LL, c, sizeof(c));
    assert_null(strchr(c, '1')); /* opaque: not the id in clear */
    assert_true(fh_cursor_decode(c, &id));
    assert_int_equal(id, 123456789012LL);
    assert_false(fh_cursor_decode("", &id));
    assert_false(fh_cursor_decode("abc", &id));
    assert_false(fh_cursor_decode("YzE6MA", &id));  /* "c1:0" */
    assert_false(fh_cursor_decode("YzE6LTU", &id)); /* "c1:-5" */
    assert_false(fh_cursor_decode("eDE6NQ", &id));  /* "x1:5" */
}

static void expect_bad(json_t *cfg, bool create, enum fh_ec ec, const char *detail)
{
    struct fh_json_error err;
    assert_int_equal(fh_webhook_config_check(cfg, create, "settings.", &err), FH_E_INPUT);
    assert_int_equal(err.ec, ec);
    if (!strstr(err.detail, detail))
        fail_msg("detail \"%s\" lacks \"%s\"", err.detail, detail);
    json_decref(cfg);
}

static void test_webhook_config_check(void **state)
{
    (void)state;
    struct fh_json_error err;
    json_t *ok = json_pack("{s:s, s:[s, s], s:[{s:s, s:s}]}", "url", "https://erp.example.com/h",
                           "events", "invoice.fiscalized", "integration.status_changed", "headers",
                           "name", "Authorization", "value", "Bearer x");
    assert_int_equal(fh_webhook_config_check(ok, true, "settings.", &err), FH_OK);
    json_decref(ok);
    ok = json_pack("{s:s, s:[s]}", "url", "http://127.0.0.1:8081/receiver/hooks/a", "events",
                   "invoice.failed");
    assert_int_equal(fh_webhook_config_check(ok, true, "", &err), FH_OK);
    json_decref(ok);
    expect_bad(
        json_pack("{s:s, s:[s]}", "url", "http://erp.example.com/h", "events", "invoice.failed"),
        true, FH_EC_WEBHOOK_URL, "settings.url");
    expect_bad(json_pack("{s:s, s:[s]}", "url", "https://u:p@erp.example.com/", "events",
                         "invoice.failed"),
               true, FH_EC_WEBHOOK_URL, "settings.url");
    expect_bad(json_pack("{s:s}", "url", "https://erp.example.com/"), true,
               FH_EC_JSON_FIELD_MISSING, "settings.events");
    expect_bad(json_pack("{s:s, s:[]}", "url", "https://e.example/", "events"), true,
               FH_EC_JSON_FIELD_INVALID, "settings.events");
    expect_bad(json_pack("{s:s, s:[s, s]}", "url", "https://e.example/", "events", "invoice.failed",
                         "invoice.failed"),
               true, FH_EC_JSON_FIELD_INVALID, "events[1]");
    expect_bad(json_pack("{s:s, s:[s]}", "url", "https://e.example/", "events", "invoice.paid"),
               true, FH_EC_JSON_FIELD_INVALID, "events[0]");
    expect_bad(json_pack("{s:s, s:[s], s:[{s:s, s:s}]}", "url", "https://e.example/", "events",
                         "invoice.failed", "headers", "name", "Content-Type", "value", "x"),
               true, FH_EC_WEBHOOK_HEADER, "headers[0].name");
    expect_bad(json_pack("{s:s, s:[s], s:[{s:s, s:s}]}", "url", "https://e.example/", "events",
                         "invoice.failed", "headers", "name", "Fiscalhub-Signature", "value", "x"),
               true, FH_EC_WEBHOOK_HEADER, "headers[0].name");
    expect_bad(json_pack("{s:s, s:[s], s:[{s:s, s:s}]}", "url", "https://e.example/", "events",
                         "invoice.failed", "headers", "name", "X-Token", "value",
                         "a\r\nInjected: 1"),
               true, FH_EC_WEBHOOK_HEADER, "headers[0].value");
    expect_bad(json_pack("{s:s, s:[s], s:[{s:s, s:n}]}", "url", "https://e.example/", "events",
                         "invoice.failed", "headers", "name", "X-Token", "value"),
               true, FH_EC_JSON_FIELD_MISSING, "headers[0].value");
    expect_bad(json_pack("{s:s, s:[s], s:i}", "url", "https://e.example/", "events",
                         "invoice.failed", "secret", 1),
               true, FH_EC_JSON_UNKNOWN_FIELD, "settings.secret");
    /* on update a null value keeps the stored one, and nothing is required */
    ok = json_pack("{s:[{s:s, s:n}]}", "headers", "name", "X-Token", "value");
    assert_int_equal(fh_webhook_config_check(ok, false, "", &err), FH_OK);
    json_decref(ok);
}

static void test_token_bucket(void **state)
{
    (void)state;
    struct fh_bucket b = {0};
    int64_t now = 1000000;
    for (int i = 0; i < 5; i++)
        assert_int_equal(fh_bucket_take(&b, 60, 5, now), 0); /* a new bucket is full */
    int64_t wait = fh_bucket_take(&b, 60, 5, now);
    assert_true(wait > 0 && wait <= 1000); /* 60 a minute: one a second */
    assert_int_equal(fh_bucket_take(&b, 60, 5, now + 1000), 0);
    assert_true(fh_bucket_take(&b, 60, 5, now + 1000) > 0);
    /* a long pause refills up to the burst, not beyond */
    now += 10LL * 365 * 86400 * 1000;
    for (int i = 0; i < 5; i++)
        assert_int_equal(fh_bucket_take(&b, 60, 5, now), 0);
    assert_true(fh_bucket_take(&b, 60, 5, now) > 0);
    /* 1 a minute: the wait says a minute */
    struct fh_bucket slow = {0};
    assert_int_equal(fh_bucket_take(&slow, 1, 1, now), 0);
    assert_int_equal(fh_bucket_take(&slow, 1, 1, now), 60000);
}

static void test_basic_auth_parse(void **state)
{
    (void)state;
    char u[48], p[128];
    /* "ck_abc:cs_secret:with:colons" */
    assert_int_equal(fh_basic_auth_parse("Basic Y2tfYWJjOmNzX3NlY3JldDp3aXRoOmNvbG9ucw==", u,
                                         sizeof(u), p, sizeof(p)),
                     FH_OK);
    assert_string_equal(u, "ck_abc");
    assert_string_equal(p, "cs_secret:with:colons");
    assert_int_equal(fh_basic_auth_parse("basic Y2tfYWJjOmNzX3NlY3JldDp3aXRoOmNvbG9ucw", u,
                                         sizeof(u), p, sizeof(p)),
                     FH_OK);
    assert_int_equal(fh_basic_auth_parse("Bearer abc", u, sizeof(u), p, sizeof(p)), FH_E_INPUT);
    assert_int_equal(fh_basic_auth_parse("Basic !!!", u, sizeof(u), p, sizeof(p)), FH_E_INPUT);
    assert_int_equal(fh_basic_auth_parse("Basic Y2tfYWJj", u, sizeof(u), p, sizeof(p)), FH_E_INPUT);
    assert_int_equal(fh_basic_auth_parse("Basic ", u, sizeof(u), p, sizeof(p)), FH_E_INPUT);
    assert_int_equal(fh_basic_auth_parse(NULL, u, sizeof(u), p, sizeof(p)), FH_E_INPUT);
    /* a user name longer than the buffer is refused, not cut */
    assert_int_equal(
        fh_basic_auth_parse("Basic Y2tfYWJjOmNzX3NlY3JldDp3aXRoOmNvbG9ucw==", u, 4, p, sizeof(p)),
        FH_E_INPUT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_known_answer),
        cmocka_unit_test(test_backoff_doubles_within_jitter_and_cap),
        cmocka_unit_test(test_excerpt_is_bounded_utf8),
        cmocka_unit_test(test_cursor_round_trip),
        cmocka_unit_test(test_webhook_config_check),
        cmocka_unit_test(test_token_bucket),
        cmocka_unit_test(test_basic_auth_parse),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
