/* fh_crypto.h - secrets at rest, password hashing, random tokens, hashing, constant-time compare.
 *
 * Secrets (OAuth tokens, PFX files and passwords, PACs, webhook secrets) are sealed with
 * libsodium's secretbox (XSalsa20-Poly1305) under the master key, with a fresh random nonce per
 * value, and stored as text: "v1:" + base64(nonce || ciphertext). Session tokens and API key
 * secrets are never stored, only their SHA-256 hashes. */
#ifndef FH_CRYPTO_H
#define FH_CRYPTO_H

#include "fh/fh_common.h"

#define FH_MASTER_KEY_BYTES 32

/* Must be called once before any other function here, and before the first JSON value is
 * made: it initializes libsodium and has jansson wipe every block it frees (parsed request
 * bodies hold passwords; fh_free_wiped). */
enum fh_rc fh_crypto_init(void);
/* Zeroes the whole of a heap block (malloc_usable_size), then frees it; NULL is ignored. */
void fh_free_wiped(void *p);
/* Zeroes the whole of a live heap block (malloc_usable_size) without freeing it. */
void fh_wipe_block(void *p);

/* Master key: from a 64-hex-digit string (FISCALHUB_MASTER_KEY), or a key file holding the
 * same. fh_master_key_load refuses a file readable by group or others (FH_E_NOTFOUND: there is
 * none); fh_master_key_create writes a new random key to a new file with mode 0600 (an existing
 * file is refused); fh_master_key_load_or_create creates the file when it does not exist. */
enum fh_rc fh_master_key_from_hex(const char *hex, uint8_t key[FH_MASTER_KEY_BYTES]);
enum fh_rc fh_master_key_load(const char *path, uint8_t key[FH_MASTER_KEY_BYTES]);
enum fh_rc fh_master_key_create(const char *path, uint8_t key[FH_MASTER_KEY_BYTES]);
enum fh_rc fh_master_key_load_or_create(const char *path, uint8_t key[FH_MASTER_KEY_BYTES]);

/* Retired master keys (README, "Master key rotation"): keys a rotation replaced, whose secrets
 * still open (fh_secret_open tries them after the key it is given) until `fiscalhub admin
 * reseal` has sealed them again under the current key. Set once at start, before any thread;
 * held in guarded memory and wiped by fh_crypto_forget_retired. */
enum fh_rc fh_crypto_retire_keys(const uint8_t (*keys)[FH_MASTER_KEY_BYTES], size_t n);
void fh_crypto_forget_retired(void);
size_t fh_crypto_retired_count(void);
/* The i-th retired key (NULL past the last). */
const uint8_t *fh_crypto_retired_key(size_t i);

/* Seals plain (len bytes) under key; returns newly allocated text the caller frees. */
char *fh_secret_seal(const uint8_t key[FH_MASTER_KEY_BYTES], const void *plain, size_t len);
/* Opens sealed text under key or, failing that, a retired key; on success *out (caller frees,
 * NUL-terminated for convenience) and *len. */
enum fh_rc fh_secret_open(const uint8_t key[FH_MASTER_KEY_BYTES], const char *sealed, uint8_t **out,
                          size_t *len);
/* The same under key alone: tells whether a secret still needs sealing again. */
enum fh_rc fh_secret_open_under(const uint8_t key[FH_MASTER_KEY_BYTES], const char *sealed,
                                uint8_t **out, size_t *len);

/* argon2id (libsodium's interactive limits unless FISCALHUB_PWHASH=fast is set for tests);
 * out receives the encoded hash string (crypto_pwhash_STRBYTES). */
enum fh_rc fh_password_hash(const char *password, char *out, size_t outsize);
bool fh_password_verify(const char *encoded, const char *password);

/* Fills out with a random URL-safe token of nbytes random bytes (base64url, no padding).
 * outsize must be >= 4 * nbytes / 3 + 2. */
void fh_random_token(size_t nbytes, char *out, size_t outsize);
/* Random index in [0, upper). */
uint32_t fh_random_uniform(uint32_t upper);
/* Lowercase hex SHA-256 of data into out (65 bytes). */
void fh_sha256_hex(const void *data, size_t len, char out[65]);
/* HMAC-SHA256 of data under key into mac (32 bytes). */
void fh_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len, uint8_t mac[32]);
/* Constant-time equality of two strings (length may leak, content does not). */
bool fh_const_eq(const char *a, const char *b);

#endif
