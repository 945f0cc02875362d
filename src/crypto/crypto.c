/* crypto.c - libsodium for secret boxes, argon2id, randomness, hashing, HMAC; wiped frees. */
#include "fh/fh_crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <malloc.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void fh_wipe_block(void *p)
{
    if (p)
        sodium_memzero(p, malloc_usable_size(p));
}

void fh_free_wiped(void *p)
{
    fh_wipe_block(p);
    free(p);
}

enum fh_rc fh_crypto_init(void)
{
    /* jansson's blocks come from malloc as before (what json_dumps returns is still free()d by
     * its callers); only its frees wipe first. */
    json_set_alloc_funcs(malloc, fh_free_wiped);
    return sodium_init() < 0 ? FH_ERR : FH_OK;
}

enum fh_rc fh_master_key_from_hex(const char *hex, uint8_t key[FH_MASTER_KEY_BYTES])
{
    size_t bin_len = 0;
    const char *end = NULL;
    if (strlen(hex) != 2 * FH_MASTER_KEY_BYTES)
        return FH_E_INPUT;
    if (sodium_hex2bin(key, FH_MASTER_KEY_BYTES, hex, strlen(hex), NULL, &bin_len, &end) != 0 ||
        bin_len != FH_MASTER_KEY_BYTES || *end != '\0')
        return FH_E_INPUT;
    return FH_OK;
}

enum fh_rc fh_master_key_create(const char *path, uint8_t key[FH_MASTER_KEY_BYTES])
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        fh_log(FH_LOG_ERROR, "master_key", "cannot create %s: %s", path, strerror(errno));
        return FH_ERR;
    }
    randombytes_buf(key, FH_MASTER_KEY_BYTES);
    char hex[2 * FH_MASTER_KEY_BYTES + 2];
    sodium_bin2hex(hex, sizeof(hex), key, FH_MASTER_KEY_BYTES);
    strcat(hex, "\n");
    size_t n = strlen(hex);
    bool ok = write(fd, hex, n) == (ssize_t)n && fsync(fd) == 0;
    close(fd);
    sodium_memzero(hex, sizeof(hex));
    if (!ok) {
        unlink(path);
        return FH_ERR;
    }
    fh_log(FH_LOG_INFO, "master_key", "created a new master key file %s (mode 0600)", path);
    return FH_OK;
}

enum fh_rc fh_master_key_load(const char *path, uint8_t key[FH_MASTER_KEY_BYTES])
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        int e = errno;
        fh_log(FH_LOG_ERROR, "master_key", "cannot open %s: %s", path, strerror(e));
        return e == ENOENT ? FH_E_NOTFOUND : FH_ERR;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || (sb.st_mode & 077) != 0) {
        fh_log(FH_LOG_ERROR, "master_key", "%s must not be readable by group or others (chmod 600)",
               path);
        close(fd);
        return FH_ERR;
    }
    char hex[2 * FH_MASTER_KEY_BYTES + 8] = {0};
    ssize_t n = read(fd, hex, sizeof(hex) - 1);
    close(fd);
    if (n < 2 * FH_MASTER_KEY_BYTES)
        goto bad;
    hex[2 * FH_MASTER_KEY_BYTES] = '\0';
    if (fh_master_key_from_hex(hex, key) != FH_OK)
        goto bad;
    sodium_memzero(hex, sizeof(hex));
    return FH_OK;
bad:
    sodium_memzero(hex, sizeof(hex));
    fh_log(FH_LOG_ERROR, "master_key", "%s does not hold a 64-hex-digit key", path);
    return FH_ERR;
}

enum fh_rc fh_master_key_load_or_create(const char *path, uint8_t key[FH_MASTER_KEY_BYTES])
{
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return fh_master_key_create(path, key);
    return fh_master_key_load(path, key);
}

/* Master keys replaced by a rotation (fh_crypto_retire_keys), tried after the current one. */
static uint8_t (*retired)[FH_MASTER_KEY_BYTES];
static size_t nretired;

enum fh_rc fh_crypto_retire_keys(const uint8_t (*keys)[FH_MASTER_KEY_BYTES], size_t n)
{
    fh_crypto_forget_retired();
    if (n == 0)
        return FH_OK;
    retired = sodium_malloc(n * FH_MASTER_KEY_BYTES);
    if (!retired)
        return FH_ERR;
    memcpy(retired, keys, n * FH_MASTER_KEY_BYTES);
    nretired = n;
    return FH_OK;
}

void fh_crypto_forget_retired(void)
{
    sodium_free(retired); /* wipes */
    retired = NULL;
    nretired = 0;
}

size_t fh_crypto_retired_count(void)
{
    return nretired;
}

const uint8_t *fh_crypto_retired_key(size_t i)
{
    return i < nretired ? retired[i] : NULL;
}

char *fh_secret_seal(const uint8_t key[FH_MASTER_KEY_BYTES], const void *plain, size_t len)
{
    size_t blen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
    uint8_t *box = fh_malloc(blen);
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, plain, len, box, key);
    size_t b64len = sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_ORIGINAL);
    char *out = fh_malloc(3 + b64len);
    memcpy(out, "v1:", 3);
    sodium_bin2base64(out + 3, b64len, box, blen, sodium_base64_VARIANT_ORIGINAL);
    free(box);
    return out;
}

enum fh_rc fh_secret_open_under(const uint8_t key[FH_MASTER_KEY_BYTES], const char *sealed,
                                uint8_t **out, size_t *len)
{
    if (!fh_starts_with(sealed, "v1:"))
        return FH_E_INPUT;
    const char *b64 = sealed + 3;
    size_t b64len = strlen(b64);
    uint8_t *box = fh_malloc(b64len);
    size_t blen = 0;
    if (sodium_base642bin(box, b64len, b64, b64len, NULL, &blen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        blen < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
        free(box);
        return FH_E_INPUT;
    }
    size_t plen = blen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    uint8_t *plain = fh_malloc(plen + 1);
    if (crypto_secretbox_open_easy(plain, box + crypto_secretbox_NONCEBYTES,
                                   blen - crypto_secretbox_NONCEBYTES, box, key) != 0) {
        free(box);
        free(plain);
        return FH_E_INPUT;
    }
    plain[plen] = '\0';
    free(box);
    *out = plain;
    *len = plen;
    return FH_OK;
}

enum fh_rc fh_secret_open(const uint8_t key[FH_MASTER_KEY_BYTES], const char *sealed, uint8_t **out,
                          size_t *len)
{
    enum fh_rc rc = fh_secret_open_under(key, sealed, out, len);
    for (size_t i = 0; rc != FH_OK && i < nretired; i++)
        rc = fh_secret_open_under(retired[i], sealed, out, len);
    return rc;
}

enum fh_rc fh_password_hash(const char *password, char *out, size_t outsize)
{
    if (outsize < crypto_pwhash_STRBYTES)
        return FH_E_LIMIT;
    const char *mode = getenv("FISCALHUB_PWHASH");
    bool fast = mode && strcmp(mode, "fast") == 0;
    unsigned long long ops = fast ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE;
    size_t mem = fast ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE;
    if (crypto_pwhash_str_alg(out, password, strlen(password), ops, mem,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return FH_ERR;
    return FH_OK;
}

bool fh_password_verify(const char *encoded, const char *password)
{
    return crypto_pwhash_str_verify(encoded, password, strlen(password)) == 0;
}

void fh_random_token(size_t nbytes, char *out, size_t outsize)
{
    uint8_t buf[128];
    if (nbytes > sizeof(buf))
        nbytes = sizeof(buf);
    randombytes_buf(buf, nbytes);
    sodium_bin2base64(out, outsize, buf, nbytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(buf, sizeof(buf));
}

uint32_t fh_random_uniform(uint32_t upper)
{
    return randombytes_uniform(upper);
}

void fh_sha256_hex(const void *data, size_t len, char out[65])
{
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    sodium_bin2hex(out, 65, h, sizeof(h));
}

void fh_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len, uint8_t mac[32])
{
    /* libsodium's HMAC: a few hundred ns for a webhook body, where OpenSSL's one-shot HMAC()
     * looks its digest up and allocates a context on every call. */
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, keylen);
    crypto_auth_hmacsha256_update(&st, data, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(&st, sizeof(st));
}

bool fh_const_eq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return false;
    return sodium_memcmp(a, b, la) == 0;
}
