/* test_crypto.c - secret boxes, master key files, password hashing, tokens, HMAC, wiped frees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fh/fh_crypto.h"

static int setup(void **state)
{
    (void)state;
    setenv("FISCALHUB_PWHASH", "fast", 1);
    return fh_crypto_init() == FH_OK ? 0 : -1;
}

static void test_seal_open_round_trip_and_tamper(void **state)
{
    (void)state;
    uint8_t key[32], other[32];
    memset(key, 7, sizeof(key));
    memset(other, 8, sizeof(other));
    const char secret[] = "refresh-token-\x01\x02binary";
    char *sealed = fh_secret_seal(key, secret, sizeof(secret));
    assert_true(fh_starts_with(sealed, "v1:"));
    assert_null(strstr(sealed, "refresh-token"));
    uint8_t *plain = NULL;
    size_t len = 0;
    assert_int_equal(fh_secret_open(key, sealed, &plain, &len), FH_OK);
    assert_int_equal(len, sizeof(secret));
    assert_memory_equal(plain, secret, sizeof(secret));
    free(plain);
    /* Same plaintext, fresh nonce: different ciphertext. */
    char *again = fh_secret_seal(key, secret, sizeof(secret));
    assert_string_not_equal(sealed, again);
    free(again);
    assert_int_equal(fh_secret_open(other, sealed, &plain, &len), FH_E_INPUT);
    sealed[10] = sealed[10] == 'A' ? 'B' : 'A';
    assert_int_equal(fh_secret_open(key, sealed, &plain, &len), FH_E_INPUT);
    assert_int_equal(fh_secret_open(key, "v0:abc", &plain, &len), FH_E_INPUT);
    assert_int_equal(fh_secret_open(key, "v1:!!!", &plain, &len), FH_E_INPUT);
    free(sealed);
}

static void test_master_key_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/fh-test-key-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/master.key", dir);
    uint8_t k1[32], k2[32];
    assert_int_equal(fh_master_key_load_or_create(path, k1), FH_OK);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(fh_master_key_load_or_create(path, k2), FH_OK);
    assert_memory_equal(k1, k2, 32);
    chmod(path, 0644);
    assert_int_equal(fh_master_key_load_or_create(path, k2), FH_ERR);
    chmod(path, 0600);
    int fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(write(fd, "nothex\n", 7) == 7);
    close(fd);
    assert_int_equal(fh_master_key_load_or_create(path, k2), FH_ERR);
    unlink(path);
    rmdir(dir);
    assert_int_equal(fh_master_key_from_hex(
                         "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", k1),
                     FH_OK);
    assert_int_equal(k1[1], 0x11);
    assert_int_equal(fh_master_key_from_hex("0011", k1), FH_E_INPUT);
    assert_int_equal(fh_master_key_from_hex(
                         "zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", k1),
                     FH_E_INPUT);
}

/* After a rotation: secrets sealed under a retired key still open through fh_secret_open, never
 * through fh_secret_open_under the current key; new secrets are sealed under the key given. */
static void test_retired_keys(void **state)
{
    (void)state;
    uint8_t old[32], cur[32], gone[32];
    memset(old, 1, sizeof(old));
    memset(cur, 2, sizeof(cur));
    memset(gone, 3, sizeof(gone));
    char *under_old = fh_secret_seal(old, "pfx-password", 12);
    char *under_gone = fh_secret_seal(gone, "x", 1);
    uint8_t *plain = NULL;
    size_t len = 0;
    assert_int_equal(fh_secret_open(cur, under_old, &plain, &len), FH_E_INPUT);
    assert_int_equal(fh_crypto_retire_keys((const uint8_t(*)[32]) & old, 1), FH_OK);
    assert_int_equal(fh_crypto_retired_count(), 1);
    assert_memory_equal(fh_crypto_retired_key(0), old, 32);
    assert_null(fh_crypto_retired_key(1));
    assert_int_equal(fh_secret_open(cur, under_old, &plain, &len), FH_OK);
    assert_int_equal(len, 12);
    assert_memory_equal(plain, "pfx-password", 12);
    free(plain);
    assert_int_equal(fh_secret_open_under(cur, under_old, &plain, &len), FH_E_INPUT);
    assert_int_equal(fh_secret_open(cur, under_gone, &plain, &len), FH_E_INPUT);
    char *fresh = fh_secret_seal(cur, "new", 3);
    assert_int_equal(fh_secret_open_under(cur, fresh, &plain, &len), FH_OK);
    free(plain);
    assert_int_equal(fh_secret_open_under(old, fresh, &plain, &len), FH_E_INPUT);
    fh_crypto_forget_retired();
    assert_int_equal(fh_crypto_retired_count(), 0);
    assert_int_equal(fh_secret_open(cur, under_old, &plain, &len), FH_E_INPUT);
    free(fresh);
    free(under_old);
    free(under_gone);
}

/* fh_master_key_create never overwrites; fh_master_key_load never creates. */
static void test_master_key_create_and_load(void **state)
{
    (void)state;
    char dir[] = "/tmp/fh-test-key-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/new.key", dir);
    uint8_t k1[32], k2[32];
    assert_int_equal(fh_master_key_load(path, k1), FH_E_NOTFOUND);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(fh_master_key_create(path, k1), FH_OK);
    assert_int_equal(fh_master_key_create(path, k2), FH_ERR);
    assert_int_equal(fh_master_key_load(path, k2), FH_OK);
    assert_memory_equal(k1, k2, 32);
    unlink(path);
    rmdir(dir);
}

static void test_password_hash_is_argon2id(void **state)
{
    (void)state;
    char hash[128];
    assert_int_equal(fh_password_hash("correct horse battery", hash, sizeof(hash)), FH_OK);
    assert_true(fh_starts_with(hash, "$argon2id$"));
    assert_true(fh_password_verify(hash, "correct horse battery"));
    assert_false(fh_password_verify(hash, "correct horse batterz"));
    assert_false(fh_password_verify(hash, ""));
    char hash2[128];
    fh_password_hash("correct horse battery", hash2, sizeof(hash2));
    assert_string_not_equal(hash, hash2); /* salted */
}

static void test_tokens_hashes_hmac(void **state)
{
    (void)state;
    char a[64], b[64];
    fh_random_token(32, a, sizeof(a));
    fh_random_token(32, b, sizeof(b));
    assert_int_equal(strlen(a), 43);
    assert_string_not_equal(a, b);
    assert_null(strpbrk(a, "+/="));
    char hex[65];
    fh_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    uint8_t mac[32];
    /* RFC 4231 test case 2 */
    fh_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
    static const uint8_t want[4] = {0x5b, 0xdc, 0xc1, 0x46};
    assert_memory_equal(mac, want, 4);
    assert_true(fh_const_eq("same", "same"));
    assert_false(fh_const_eq("same", "sama"));
    assert_false(fh_const_eq("same", "same-longer"));
    for (int i = 0; i < 1000; i++)
        assert_true(fh_random_uniform(7) < 7);
}

/* fh_crypto_init has jansson free through fh_free_wiped; fh_wipe_block zeroes a whole block. */
static void test_wiped_frees(void **state)
{
    (void)state;
    json_malloc_t m = NULL;
    json_free_t f = NULL;
    json_get_alloc_funcs(&m, &f);
    assert_ptr_equal(f, fh_free_wiped);
    assert_ptr_equal(m, malloc);
    char *block = malloc(40);
    memset(block, 'x', 40);
    fh_wipe_block(block);
    for (size_t i = 0; i < 40; i++)
        assert_int_equal(block[i], 0);
    free(block);
    fh_free_wiped(NULL);
    fh_wipe_block(NULL);
    /* jansson's values and what json_dumps hands out (free()d by its callers) still work */
    json_t *j = json_loads("{\"password\":\"correct horse battery staple\"}", 0, NULL);
    assert_non_null(j);
    char *text = json_dumps(j, JSON_COMPACT);
    assert_string_equal(text, "{\"password\":\"correct horse battery staple\"}");
    free(text);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal_open_round_trip_and_tamper),
        cmocka_unit_test(test_master_key_file),
        cmocka_unit_test(test_retired_keys),
        cmocka_unit_test(test_master_key_create_and_load),
        cmocka_unit_test(test_password_hash_is_argon2id),
        cmocka_unit_test(test_tokens_hashes_hmac),
        cmocka_unit_test(test_wiped_frees),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
