/* test_http.c - route pattern matching, MIME types, the error registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_api.h"
#include "fh/fh_http.h"

static void test_route_match(void **state)
{
    (void)state;
    const char *names[FH_MAX_PATH_PARAMS];
    char *vals[FH_MAX_PATH_PARAMS] = {0};
    size_t n = 0;
    assert_true(fh_route_match("/api/orgs/{org}/members/{user_id}", "/api/orgs/OR-ABC/members/12", names, vals, &n));
    assert_int_equal(n, 2);
    assert_string_equal(vals[0], "OR-ABC");
    assert_string_equal(vals[1], "12");
    assert_true(strncmp(names[0], "org}", 4) == 0);
    free(vals[0]);
    free(vals[1]);
    assert_false(fh_route_match("/api/orgs/{org}", "/api/orgs/", names, vals, &n));
    assert_false(fh_route_match("/api/orgs/{org}", "/api/orgs/a/b", names, vals, &n));
    assert_false(fh_route_match("/api/orgs/{org}/members", "/api/orgs/a/memberz", names, vals, &n));
    assert_false(fh_route_match("/api/me", "/api/me/", names, vals, &n));
    assert_true(fh_route_match("/api/me", "/api/me", names, vals, &n));
    assert_int_equal(n, 0);
    char longseg[200];
    memset(longseg, 'x', sizeof(longseg));
    memcpy(longseg, "/api/orgs/", 10);
    longseg[sizeof(longseg) - 1] = '\0';
    assert_false(fh_route_match("/api/orgs/{org}", longseg, names, vals, &n));
}

static void test_route_table_is_sane(void **state)
{
    (void)state;
    size_t n;
    const struct fh_route *r = fh_api_routes(&n);
    assert_true(n > 5);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(r[i].handler);
        assert_true(r[i].pattern[0] == '/');
        bool body_method = strcmp(r[i].method, "POST") == 0 || strcmp(r[i].method, "PATCH") == 0 ||
                           strcmp(r[i].method, "PUT") == 0;
        if (strcmp(r[i].method, "GET") == 0 || strcmp(r[i].method, "DELETE") == 0)
            assert_int_equal(r[i].body_limit, 0);
        if (r[i].auth == FH_AUTH_ORG)
            assert_non_null(strstr(r[i].pattern, "{org}"));
        (void)body_method;
        for (size_t j = 0; j < i; j++)
            assert_false(strcmp(r[i].method, r[j].method) == 0 && strcmp(r[i].pattern, r[j].pattern) == 0);
    }
}

static void test_mime_types(void **state)
{
    (void)state;
    assert_string_equal(fh_mime_type("index.html"), "text/html; charset=utf-8");
    assert_string_equal(fh_mime_type("assets/index-abc.js"), "text/javascript; charset=utf-8");
    assert_string_equal(fh_mime_type("assets/style.css"), "text/css; charset=utf-8");
    assert_string_equal(fh_mime_type("favicon.svg"), "image/svg+xml");
    assert_string_equal(fh_mime_type("noext"), "application/octet-stream");
    assert_string_equal(fh_mime_type("dir.v1/file"), "application/octet-stream");
}

static void test_error_registry(void **state)
{
    (void)state;
    unsigned int n;
    const struct fh_err_info *t = fh_err_table(&n);
    assert_true(n > 10);
    for (unsigned int i = 0; i < n; i++) {
        assert_true(t[i].http_status >= 400 && t[i].http_status < 600);
        assert_true(strlen(t[i].hint) > 10);
        for (unsigned int j = 0; j < i; j++)
            assert_int_not_equal(t[i].code, t[j].code);
    }
    assert_int_equal(fh_err_info(FH_EC_AUTH_CSRF)->http_status, 403);
    assert_int_equal(fh_err_info((enum fh_ec)424242)->code, FH_EC_INTERNAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_match),
        cmocka_unit_test(test_route_table_is_sane),
        cmocka_unit_test(test_mime_types),
        cmocka_unit_test(test_error_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
