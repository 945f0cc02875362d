/* test_pkcs12.c - TaxCore PFX validation (fh_pfx_inspect) on keys, certificates and PKCS#12
 * files built in memory here, and the certificate store (insert, find, secrets, revoke, list)
 * on a temporary SQLite file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fh/fh_cert.h"
#include "fh/fh_crypto.h"

#define PW "Pa55w0rd"
#define VSDC "https://vsdc.sandbox.taxcore.online/"
#define API "https://api.sandbox.taxcore.online/"

enum ext_enc { ENC_UTF8, ENC_IA5, ENC_PRINTABLE, ENC_OCTET, ENC_RAW, ENC_INTEGER };

struct certopts {
    const char *serial; /* subject SERIALNUMBER; NULL: none */
    const char *cn, *o;
    int64_t nb_s, na_s; /* validity as Unix seconds */
    const char *envc;   /* "X.Y" of the TaxCore OIDs; NULL: no TaxCore extensions */
    bool no_vsdc, no_tin;
    const char *vsdc; /* V-SDC URL (default VSDC) */
    enum ext_enc enc;
};

static int64_t now_s;

static struct certopts defaults(void)
{
    struct certopts o = {.serial = "AB12CD34",
                         .cn = "Test Taxpayer d.o.o.",
                         .o = "Test Org",
                         .nb_s = now_s - 3600,
                         .na_s = now_s + 30 * 86400,
                         .envc = "5.8",
                         .enc = ENC_UTF8};
    return o;
}

static EVP_PKEY *new_key(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    assert_non_null(k);
    return k;
}

static void add_name(X509_NAME *n, const char *field, const char *v)
{
    if (v)
        assert_int_equal(X509_NAME_add_entry_by_txt(n, field, MBSTRING_UTF8,
                                                    (const unsigned char *)v, -1, -1, 0),
                         1);
}

static void add_taxcore_ext(X509 *x, const char *envc, int z, const char *text, enum ext_enc enc)
{
    char oid[64];
    snprintf(oid, sizeof(oid), "1.3.6.1.4.1.49952.%s.%d", envc, z);
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    assert_non_null(obj);
    ASN1_OCTET_STRING *data = ASN1_OCTET_STRING_new();
    if (enc == ENC_RAW) {
        ASN1_OCTET_STRING_set(data, (const unsigned char *)text, (int)strlen(text));
    } else {
        static const int types[] = {V_ASN1_UTF8STRING, V_ASN1_IA5STRING, V_ASN1_PRINTABLESTRING,
                                    V_ASN1_OCTET_STRING};
        ASN1_TYPE *t = ASN1_TYPE_new();
        if (enc == ENC_INTEGER) {
            ASN1_INTEGER *i = ASN1_INTEGER_new();
            ASN1_INTEGER_set(i, 42);
            ASN1_TYPE_set(t, V_ASN1_INTEGER, i);
        } else {
            ASN1_STRING *s = ASN1_STRING_type_new(types[enc]);
            ASN1_STRING_set(s, text, -1);
            ASN1_TYPE_set(t, types[enc], s);
        }
        unsigned char *der = NULL;
        int n = i2d_ASN1_TYPE(t, &der);
        assert_true(n > 0);
        ASN1_OCTET_STRING_set(data, der, n);
        OPENSSL_free(der);
        ASN1_TYPE_free(t);
    }
    X509_EXTENSION *ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, data);
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(data);
    ASN1_OBJECT_free(obj);
}

static X509 *new_cert(EVP_PKEY *key, const struct certopts *o)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)o->nb_s);
    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)o->na_s);
    X509_NAME *n = X509_get_subject_name(x);
    add_name(n, "C", "RS");
    add_name(n, "L", "Beograd");
    add_name(n, "street", "Main 1");
    add_name(n, "O", o->o);
    add_name(n, "OU", "Shop 7");
    add_name(n, "CN", o->cn);
    add_name(n, "serialNumber", o->serial);
    X509_set_issuer_name(x, n);
    X509_set_pubkey(x, key);
    if (o->envc) {
        if (!o->no_tin)
            add_taxcore_ext(x, o->envc, 6, "100200300", o->enc == ENC_INTEGER ? ENC_UTF8 : o->enc);
        add_taxcore_ext(x, o->envc, 5, API, o->enc == ENC_INTEGER ? ENC_UTF8 : o->enc);
        if (!o->no_vsdc)
            add_taxcore_ext(x, o->envc, 7, o->vsdc ? o->vsdc : VSDC, o->enc);
    }
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    return x;
}

struct blob {
    uint8_t *p;
    size_t n;
};

static struct blob p12_der(PKCS12 *p12)
{
    assert_non_null(p12);
    unsigned char *der = NULL;
    int n = i2d_PKCS12(p12, &der);
    assert_true(n > 0);
    struct blob b = {fh_malloc((size_t)n), (size_t)n};
    memcpy(b.p, der, (size_t)n);
    OPENSSL_free(der);
    PKCS12_free(p12);
    return b;
}

/* A PFX with today's default algorithms (AES-256, PBKDF2); mac_iter -1 omits the MAC. */
static struct blob make_pfx(EVP_PKEY *key, X509 *cert, const char *pass, int mac_iter)
{
    return p12_der(PKCS12_create(pass, "taxpayer", key, cert, NULL, 0, 0, 0, mac_iter, 0));
}

static struct blob make_pfx_from(const struct certopts *o)
{
    EVP_PKEY *k = new_key();
    X509 *x = new_cert(k, o);
    struct blob b = make_pfx(k, x, PW, 0);
    X509_free(x);
    EVP_PKEY_free(k);
    return b;
}

static enum fh_pfx_error inspect(struct blob b, const char *pass, struct fh_cert_info *info)
{
    enum fh_pfx_error e = FH_PFX_OK;
    enum fh_rc rc = fh_pfx_inspect(b.p, b.n, pass, now_s * 1000, info, &e);
    assert_int_equal(rc, e == FH_PFX_OK ? FH_OK : FH_E_INPUT);
    return e;
}

static enum fh_pfx_error inspect_opts(const struct certopts *o, struct fh_cert_info *info)
{
    struct blob b = make_pfx_from(o);
    enum fh_pfx_error e = inspect(b, PW, info);
    free(b.p);
    return e;
}

static void assert_good_fields(const struct fh_cert_info *i, const struct certopts *o)
{
    assert_string_equal(i->uid, "AB12CD34");
    assert_string_equal(i->taxpayer, "Test Taxpayer d.o.o.");
    assert_string_equal(i->tin, "100200300");
    assert_string_equal(i->location, "Shop 7");
    assert_string_equal(i->address, "Main 1, Beograd, RS");
    assert_string_equal(i->vsdc_url, VSDC);
    assert_string_equal(i->api_url, API);
    assert_int_equal(i->not_before_ms, o->nb_s * 1000);
    assert_int_equal(i->not_after_ms, o->na_s * 1000);
}

/* Runs first: the legacy provider must be loaded by fh_pfx_inspect itself, so the file is built
 * in a library context of its own. */
static void test_legacy_rc2_3des_pfx(void **state)
{
    (void)state;
    bool before = OSSL_PROVIDER_available(NULL, "legacy");
    OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();
    OSSL_PROVIDER *def = OSSL_PROVIDER_load(ctx, "default"),
                  *leg = OSSL_PROVIDER_load(ctx, "legacy");
    assert_non_null(def);
    assert_non_null(leg);
    struct certopts o = defaults();
    EVP_PKEY *k = new_key();
    X509 *x = new_cert(k, &o);
    struct blob b =
        p12_der(PKCS12_create_ex(PW, "taxpayer", k, x, NULL, NID_pbe_WithSHA1And3_Key_TripleDES_CBC,
                                 NID_pbe_WithSHA1And40BitRC2_CBC, 0, 0, 0, ctx, NULL));
    struct fh_cert_info info;
    assert_int_equal(inspect(b, PW, &info), FH_PFX_OK);
    assert_good_fields(&info, &o);
    assert_true(OSSL_PROVIDER_available(NULL, "legacy"));
    if (before)
        print_message(
            "# note: the legacy provider was already loaded by the system configuration\n");
    assert_int_equal(inspect(b, "wrongpw1", &info), FH_PFX_BAD_PASSWORD);
    free(b.p);
    X509_free(x);
    EVP_PKEY_free(k);
    OSSL_PROVIDER_unload(leg);
    OSSL_PROVIDER_unload(def);
    OSSL_LIB_CTX_free(ctx);
}

static void test_good_certificate(void **state)
{
    (void)state;
    struct certopts o = defaults();
    struct blob b = make_pfx_from(&o);
    struct fh_cert_info info;
    assert_int_equal(inspect(b, PW, &info), FH_PFX_OK);
    assert_good_fields(&info, &o);
    /* the expiry is judged against the now given: valid until the last millisecond */
    enum fh_pfx_error e;
    assert_int_equal(fh_pfx_inspect(b.p, b.n, PW, o.na_s * 1000 - 1, &info, &e), FH_OK);
    assert_int_equal(fh_pfx_inspect(b.p, b.n, PW, o.na_s * 1000, &info, &e), FH_E_INPUT);
    assert_int_equal(e, FH_PFX_EXPIRED);
    assert_int_equal(info.not_after_ms, o.na_s * 1000);
    assert_int_equal(fh_pfx_inspect(b.p, b.n, PW, o.nb_s * 1000 - 1, &info, &e), FH_E_INPUT);
    assert_int_equal(e, FH_PFX_NOT_YET_VALID);
    free(b.p);
}

static void test_extension_encodings_and_environments(void **state)
{
    (void)state;
    static const enum ext_enc encs[] = {ENC_IA5, ENC_PRINTABLE, ENC_OCTET, ENC_RAW};
    static const char *const envs[] = {"3.2", "1.6", "2.5", "4.8"};
    for (size_t i = 0; i < FH_ARRAY_LEN(encs); i++) {
        struct certopts o = defaults();
        o.enc = encs[i];
        o.envc = envs[i];
        struct fh_cert_info info;
        assert_int_equal(inspect_opts(&o, &info), FH_PFX_OK);
        assert_string_equal(info.tin, "100200300");
        assert_string_equal(info.vsdc_url, VSDC);
        assert_string_equal(info.api_url, API);
    }
    /* no CN: the organization name is the taxpayer */
    struct certopts o = defaults();
    o.cn = NULL;
    struct fh_cert_info info;
    assert_int_equal(inspect_opts(&o, &info), FH_PFX_OK);
    assert_string_equal(info.taxpayer, "Test Org");
    /* TIN is optional; the V-SDC URL is not */
    o = defaults();
    o.no_tin = true;
    assert_int_equal(inspect_opts(&o, &info), FH_PFX_OK);
    assert_string_equal(info.tin, "");
}

static void test_missing_taxcore_data(void **state)
{
    (void)state;
    struct fh_cert_info info;
    struct certopts o = defaults();
    o.envc = NULL;
    assert_int_equal(inspect_opts(&o, &info), FH_PFX_NO_TAXCORE);
    o = defaults();
    o.no_vsdc = true;
    assert_int_equal(inspect_opts(&o, &info), FH_PFX_NO_VSDC_URL);
    o = defaults();
    o.vsdc = "ftp://vsdc.example/";
    assert_int_equal(inspect_opts(&o, &info), FH_PFX_NO_VSDC_URL);
    o = defaults();
    o.enc = ENC_INTEGER; /* the V-SDC URL is an INTEGER */
    assert_int_equal(inspect_opts(&o, &info), FH_PFX_BAD_FIELD);
    o = defaults();
    char longurl[700] = "https://";
    memset(longurl + 8, 'a', 600);
    longurl[608] = '\0';
    o.vsdc = longurl;
    assert_int_equal(inspect_opts(&o, &info), FH_PFX_BAD_FIELD);
    o = defaults();
    o.envc = "5.8.1"; /* 1.3.6.1.4.1.49952.5.8.1.7: not X.Y.Z */
    assert_int_equal(inspect_opts(&o, &info), FH_PFX_NO_TAXCORE);
    o = defaults();
    o.serial = NULL;
    assert_int_equal(inspect_opts(&o, &info), FH_PFX_NO_UID);
    o = defaults();
    o.serial = "AB/../12";
    assert_int_equal(inspect_opts(&o, &info), FH_PFX_NO_UID);
    o = defaults();
    o.serial = "ABCDEFGH12345678"; /* 16 characters */
    assert_int_equal(inspect_opts(&o, &info), FH_PFX_NO_UID);
}

static void test_expired_and_not_yet_valid(void **state)
{
    (void)state;
    struct fh_cert_info info;
    struct certopts o = defaults();
    o.nb_s = now_s - 400 * 86400;
    o.na_s = now_s - 86400;
    assert_int_equal(inspect_opts(&o, &info), FH_PFX_EXPIRED);
    assert_int_equal(info.not_after_ms, o.na_s * 1000);
    o = defaults();
    o.nb_s = now_s + 86400;
    assert_int_equal(inspect_opts(&o, &info), FH_PFX_NOT_YET_VALID);
    assert_int_equal(info.not_before_ms, o.nb_s * 1000);
}

/* PKCS12_create refuses a key that does not match, so the file is assembled bag by bag. */
static struct blob mismatched_pfx(EVP_PKEY *key, X509 *cert)
{
    STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
    STACK_OF(PKCS7) *safes = NULL;
    assert_non_null(PKCS12_add_cert(&bags, cert));
    assert_non_null(PKCS12_add_key(&bags, key, 0, PKCS12_DEFAULT_ITER,
                                   NID_pbe_WithSHA1And3_Key_TripleDES_CBC, PW));
    assert_non_null(PKCS12_add_safe(&safes, bags, -1, 0, NULL));
    PKCS12 *p12 = PKCS12_add_safes(safes, 0);
    assert_non_null(p12);
    assert_int_equal(PKCS12_set_mac(p12, PW, -1, NULL, 0, PKCS12_DEFAULT_ITER, NULL), 1);
    sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
    sk_PKCS7_pop_free(safes, PKCS7_free);
    return p12_der(p12);
}

static void test_key_mismatch_and_missing_parts(void **state)
{
    (void)state;
    struct certopts o = defaults();
    EVP_PKEY *k = new_key(), *other = new_key();
    X509 *x = new_cert(k, &o);
    struct fh_cert_info info;
    struct blob b = mismatched_pfx(other, x);
    assert_int_equal(inspect(b, PW, &info), FH_PFX_KEY_MISMATCH);
    assert_int_equal(inspect(b, "wrongpw1", &info), FH_PFX_BAD_PASSWORD);
    free(b.p);
    b = mismatched_pfx(k, x); /* the same construction with the right key passes */
    assert_int_equal(inspect(b, PW, &info), FH_PFX_OK);
    free(b.p);
    b = make_pfx(NULL, x, PW, 0);
    assert_int_equal(inspect(b, PW, &info), FH_PFX_NO_KEY);
    free(b.p);
    b = make_pfx(k, NULL, PW, 0);
    assert_int_equal(inspect(b, PW, &info), FH_PFX_NO_CERT);
    free(b.p);
    X509_free(x);
    EVP_PKEY_free(k);
    EVP_PKEY_free(other);
}

static void test_passwords(void **state)
{
    (void)state;
    struct certopts o = defaults();
    EVP_PKEY *k = new_key();
    X509 *x = new_cert(k, &o);
    struct fh_cert_info info;
    struct blob b = make_pfx(k, x, PW, 0);
    assert_int_equal(inspect(b, "Pa55w0rD", &info), FH_PFX_BAD_PASSWORD);
    assert_int_equal(inspect(b, "", &info), FH_PFX_BAD_PASSWORD);
    free(b.p);
    b = make_pfx(k, x, "", 0); /* an empty password is a password like any other */
    assert_int_equal(inspect(b, "", &info), FH_PFX_OK);
    assert_int_equal(inspect(b, PW, &info), FH_PFX_BAD_PASSWORD);
    free(b.p);
    b = make_pfx(k, x, PW, -1); /* no MAC with a password: PKCS12_parse (and libcurl) refuse it */
    assert_int_equal(inspect(b, PW, &info), FH_PFX_NO_MAC);
    free(b.p);
    X509_free(x);
    EVP_PKEY_free(k);
}

static void test_not_pkcs12_and_size(void **state)
{
    (void)state;
    struct fh_cert_info info;
    enum fh_pfx_error e;
    uint8_t *buf = fh_malloc(FH_PFX_MAX_BYTES + 1);
    RAND_bytes(buf, FH_PFX_MAX_BYTES + 1);
    buf[0] = 0x30; /* a SEQUENCE tag, to get past the first byte */
    assert_int_equal(fh_pfx_inspect(buf, 300, PW, now_s * 1000, &info, &e), FH_E_INPUT);
    assert_int_equal(e, FH_PFX_NOT_PKCS12);
    assert_int_equal(fh_pfx_inspect(buf, FH_PFX_MAX_BYTES, PW, now_s * 1000, &info, &e),
                     FH_E_INPUT);
    assert_int_equal(e, FH_PFX_NOT_PKCS12);
    assert_int_equal(fh_pfx_inspect(buf, FH_PFX_MAX_BYTES + 1, PW, now_s * 1000, &info, &e),
                     FH_E_INPUT);
    assert_int_equal(e, FH_PFX_TOO_LARGE);
    assert_int_equal(fh_pfx_inspect(buf, 0, PW, now_s * 1000, &info, &e), FH_E_INPUT);
    assert_int_equal(e, FH_PFX_NOT_PKCS12);
    const char pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    assert_int_equal(
        fh_pfx_inspect((const uint8_t *)pem, sizeof(pem) - 1, PW, now_s * 1000, &info, &e),
        FH_E_INPUT);
    assert_int_equal(e, FH_PFX_NOT_PKCS12);
    free(buf);
    struct certopts o = defaults();
    struct blob b = make_pfx_from(&o);
    assert_int_equal(fh_pfx_inspect(b.p, b.n - 10, PW, now_s * 1000, &info, &e), FH_E_INPUT);
    assert_int_equal(e, FH_PFX_NOT_PKCS12); /* truncated */
    uint8_t *longer = fh_malloc(b.n + 1);
    memcpy(longer, b.p, b.n);
    longer[b.n] = 0;
    assert_int_equal(fh_pfx_inspect(longer, b.n + 1, PW, now_s * 1000, &info, &e), FH_E_INPUT);
    assert_int_equal(e, FH_PFX_NOT_PKCS12); /* trailing garbage */
    free(longer);
    free(b.p);
    for (int i = FH_PFX_OK; i <= FH_PFX_UNSUPPORTED; i++)
        assert_true(strlen(fh_pfx_error_str((enum fh_pfx_error)i)) > 10);
}

static void test_pac_and_uid_rules(void **state)
{
    (void)state;
    assert_int_equal(FH_PAC_LEN, 6);
    assert_true(fh_pac_valid("A1b2C3"));
    assert_true(fh_pac_valid("123456"));
    assert_false(fh_pac_valid(""));
    assert_false(fh_pac_valid("12345"));
    assert_false(fh_pac_valid("1234567"));
    assert_false(fh_pac_valid("12345 "));
    assert_false(fh_pac_valid("12-456"));
    assert_false(fh_pac_valid("1234\xc3\xa9"));
    assert_true(fh_cert_uid_valid("AB12CD34"));
    assert_true(fh_cert_uid_valid("a-b_c"));
    assert_false(fh_cert_uid_valid(""));
    assert_false(fh_cert_uid_valid("AB 12"));
    assert_false(fh_cert_uid_valid("../x"));
    assert_false(fh_cert_uid_valid("0123456789ABCDEF"));
    assert_true(fh_cert_uid_valid("0123456789ABCDE"));
}

/* The store on a temporary SQLite file: two organizations, one certificate. */
static struct fh_store *temp_store(char *path, size_t pathsize)
{
    snprintf(path, pathsize, "/tmp/fh-test-cert-%d.db", (int)getpid());
    unlink(path);
    struct fh_store *st = NULL;
    assert_int_equal(fh_store_open(path, &st), FH_OK);
    assert_int_equal(fh_store_migrate(st), FH_OK);
    assert_true(
        fh_store_exec(st,
                      "INSERT INTO tenants (id, code, name, created_at) VALUES (1, 'TN-1', 't', 0)",
                      NULL, 0, NULL) >= 0);
    assert_true(
        fh_store_exec(st,
                      "INSERT INTO organizations (id, tenant_id, code, name, created_at) VALUES "
                      "(1, 1, 'OR-1', 'a', 0), (2, 1, 'OR-2', 'b', 0)",
                      NULL, 0, NULL) >= 0);
    return st;
}

static const char *list_status(struct fh_store *st, int64_t org, const char *uid, int64_t now_ms,
                               char *buf)
{
    json_t *list = NULL;
    assert_int_equal(fh_cert_list_json(st, org, uid, now_ms, &list), FH_OK);
    buf[0] = '\0';
    if (json_array_size(list) == 1) {
        json_t *c = json_array_get(list, 0);
        fh_strlcpy(buf, json_string_value(json_object_get(c, "status")), 16);
        assert_null(json_object_get(c, "password"));
        assert_null(json_object_get(c, "pac"));
        assert_string_equal(json_string_value(json_object_get(c, "uid")), uid);
    }
    json_decref(list);
    return buf;
}

static void test_store_insert_load_revoke(void **state)
{
    (void)state;
    char path[128], buf[16];
    struct fh_store *st = temp_store(path, sizeof(path));
    uint8_t key[32], other[32];
    memset(key, 3, sizeof(key));
    memset(other, 4, sizeof(other));
    struct certopts o = defaults();
    struct blob b = make_pfx_from(&o);
    struct fh_cert_info info;
    assert_int_equal(inspect(b, PW, &info), FH_PFX_OK);
    int64_t id = 0, found = 0;
    bool was_revoked = true;
    assert_int_equal(
        fh_cert_insert(st, key, 1, &info, b.p, b.n, PW, "A1B2C3", 1000, &id, &was_revoked), FH_OK);
    assert_false(was_revoked);
    assert_true(id > 0);
    assert_int_equal(
        fh_cert_insert(st, key, 1, &info, b.p, b.n, PW, "A1B2C3", 2000, &found, &was_revoked),
        FH_E_CONFLICT);
    assert_false(was_revoked);
    assert_int_equal(fh_cert_find(st, 1, info.uid, &found), FH_OK);
    assert_int_equal(found, id);
    assert_int_equal(fh_cert_find(st, 2, info.uid, &found), FH_E_NOTFOUND);
    /* at rest: sealed text only */
    struct fh_rows rows;
    struct fh_param p[] = {FH_PI(id)};
    assert_int_equal(
        fh_store_exec(
            st, "SELECT pfx_sealed, password_sealed, pac_sealed FROM certificates WHERE id = $1", p,
            1, &rows),
        1);
    for (size_t c = 0; c < 3; c++) {
        assert_true(fh_starts_with(fh_rows_get(&rows, 0, c), "v1:"));
        assert_null(strstr(fh_rows_get(&rows, 0, c), PW));
        assert_null(strstr(fh_rows_get(&rows, 0, c), "A1B2C3"));
    }
    fh_rows_free(&rows);
    struct fh_cert_secret s;
    assert_int_equal(fh_cert_secret_load(st, key, id, &s), FH_OK);
    assert_int_equal(s.id, id);
    assert_int_equal(s.org_id, 1);
    assert_string_equal(s.uid, "AB12CD34");
    assert_string_equal(s.status, "active");
    assert_string_equal(s.vsdc_url, VSDC);
    assert_int_equal(s.not_after_ms, o.na_s * 1000);
    assert_int_equal(s.pfx_len, b.n);
    assert_memory_equal(s.pfx, b.p, b.n);
    assert_string_equal(s.password, PW);
    assert_string_equal(s.pac, "A1B2C3");
    fh_cert_secret_free(&s);
    assert_null(s.pfx);
    assert_null(s.password);
    fh_cert_secret_free(NULL);
    assert_int_equal(fh_cert_secret_load(st, other, id, &s), FH_ERR);
    assert_null(s.pfx);
    assert_int_equal(fh_cert_secret_load(st, key, id + 100, &s), FH_E_NOTFOUND);
    assert_string_equal(list_status(st, 1, info.uid, now_s * 1000, buf), "active");
    assert_string_equal(list_status(st, 1, info.uid, o.na_s * 1000, buf), "expired");
    assert_string_equal(list_status(st, 2, info.uid, now_s * 1000, buf), "");
    /* revoke: secrets erased, idempotent, the UID stays taken */
    assert_int_equal(fh_cert_revoke(st, 2, info.uid, 3000), FH_E_NOTFOUND);
    assert_int_equal(fh_cert_revoke(st, 1, "NOSUCH", 3000), FH_E_NOTFOUND);
    assert_int_equal(fh_cert_revoke(st, 1, info.uid, 3000), FH_OK);
    assert_int_equal(fh_cert_revoke(st, 1, info.uid, 4000), FH_OK);
    assert_string_equal(list_status(st, 1, info.uid, o.na_s * 1000, buf), "revoked");
    assert_int_equal(fh_cert_secret_load(st, key, id, &s), FH_OK);
    assert_string_equal(s.status, "revoked");
    assert_null(s.pfx);
    assert_int_equal(s.pfx_len, 0);
    assert_null(s.password);
    assert_null(s.pac);
    fh_cert_secret_free(&s);
    assert_int_equal(
        fh_store_exec(st, "SELECT revoked_at FROM certificates WHERE id = $1", p, 1, &rows), 1);
    assert_int_equal(fh_rows_i64(&rows, 0, 0, 0), 3000);
    fh_rows_free(&rows);
    assert_int_equal(
        fh_cert_insert(st, key, 1, &info, b.p, b.n, PW, "A1B2C3", 5000, &found, &was_revoked),
        FH_E_CONFLICT);
    assert_true(was_revoked);
    /* another organization may hold the same certificate */
    assert_int_equal(
        fh_cert_insert(st, key, 2, &info, b.p, b.n, PW, "A1B2C3", 5000, &found, &was_revoked),
        FH_OK);
    assert_true(found != id);
    free(b.p);
    fh_store_close(st);
    unlink(path);
}

/* Opened secrets are cached by certificate id and the sealed cells' nonces: a second load opens
 * nothing, a revocation or new sealed values are seen at once, another master key never reads a
 * cached value, and secrets still held outlive their entry. */
static void test_store_cert_cache(void **state)
{
    (void)state;
    char path[128];
    struct fh_store *st = temp_store(path, sizeof(path));
    fh_cert_cache_clear();
    uint8_t key[32], other[32];
    memset(key, 5, sizeof(key));
    memset(other, 6, sizeof(other));
    struct certopts o = defaults();
    struct blob b = make_pfx_from(&o);
    struct fh_cert_info info;
    assert_int_equal(inspect(b, PW, &info), FH_PFX_OK);
    int64_t id = 0;
    bool was_revoked;
    assert_int_equal(
        fh_cert_insert(st, key, 1, &info, b.p, b.n, PW, "A1B2C3", 1000, &id, &was_revoked), FH_OK);
    struct fh_cert_secret s1, s2, s3;
    assert_int_equal(fh_cert_secret_load(st, key, id, &s1), FH_OK);
    assert_non_null(s1.held);
    assert_int_equal(fh_cert_cache_count(), 1);
    char fp[65];
    fh_cert_fingerprint(&s1, fp);
    assert_string_equal(s1.fingerprint, fp);
    assert_int_equal(fh_cert_secret_load(st, key, id, &s2), FH_OK);
    assert_ptr_equal(s2.pfx, s1.pfx); /* the same opened copy */
    assert_memory_equal(s2.pfx, b.p, b.n);
    assert_string_equal(s2.password, PW);
    assert_string_equal(s2.pac, "A1B2C3");
    fh_cert_secret_free(&s2);
    /* another master key: the sealed cells decide, not the cache */
    assert_int_equal(fh_cert_secret_load(st, other, id, &s3), FH_ERR);
    assert_null(s3.pfx);
    assert_int_equal(fh_cert_cache_count(), 0);
    assert_memory_equal(s1.pfx, b.p, b.n); /* still held: still readable */
    fh_cert_secret_free(&s1);
    /* new sealed values (another PFX) under the same id: a new stamp, the new secrets */
    struct certopts o2 = defaults();
    struct blob b2 = make_pfx_from(&o2);
    assert_int_equal(fh_cert_secret_load(st, key, id, &s1), FH_OK);
    char *sealed = fh_secret_seal(key, b2.p, b2.n);
    struct fh_param u[] = {FH_PI(id), FH_PT(sealed)};
    assert_int_equal(
        fh_store_exec(st, "UPDATE certificates SET pfx_sealed = $2 WHERE id = $1", u, 2, NULL), 1);
    free(sealed);
    assert_int_equal(fh_cert_secret_load(st, key, id, &s2), FH_OK);
    assert_int_equal(s2.pfx_len, b2.n);
    assert_memory_equal(s2.pfx, b2.p, b2.n);
    assert_string_not_equal(s2.fingerprint, s1.fingerprint);
    assert_memory_equal(s1.pfx, b.p, b.n); /* the replaced entry lives while held */
    fh_cert_secret_free(&s1);
    assert_int_equal(fh_cert_cache_count(), 1);
    /* revoked: the entry goes at once, and the load finds no secrets */
    assert_int_equal(fh_cert_revoke(st, 1, info.uid, 2000), FH_OK);
    assert_int_equal(fh_cert_cache_count(), 0);
    assert_memory_equal(s2.pfx, b2.p, b2.n);
    fh_cert_secret_free(&s2);
    assert_int_equal(fh_cert_secret_load(st, key, id, &s3), FH_OK);
    assert_string_equal(s3.status, "revoked");
    assert_null(s3.pfx);
    assert_null(s3.held);
    fh_cert_secret_free(&s3);
    char status[16];
    int64_t not_after = 0;
    assert_int_equal(fh_cert_state(st, id, status, &not_after), FH_OK);
    assert_string_equal(status, "revoked");
    assert_int_equal(not_after, o.na_s * 1000);
    assert_int_equal(fh_cert_state(st, id + 100, status, &not_after), FH_E_NOTFOUND);
    /* a revocation by another process (no in-process drop) is seen by the stamp */
    int64_t id2 = 0;
    assert_int_equal(
        fh_cert_insert(st, key, 2, &info, b.p, b.n, PW, "A1B2C3", 3000, &id2, &was_revoked), FH_OK);
    assert_int_equal(fh_cert_secret_load(st, key, id2, &s1), FH_OK);
    fh_cert_secret_free(&s1);
    struct fh_param r[] = {FH_PI(id2)};
    assert_int_equal(fh_store_exec(st,
                                   "UPDATE certificates SET status = 'revoked', pfx_sealed = NULL, "
                                   "password_sealed = NULL, pac_sealed = NULL WHERE id = $1",
                                   r, 1, NULL),
                     1);
    assert_int_equal(fh_cert_secret_load(st, key, id2, &s1), FH_OK);
    assert_null(s1.pfx);
    fh_cert_secret_free(&s1);
    fh_cert_cache_clear();
    free(b.p);
    free(b2.p);
    fh_store_close(st);
    unlink(path);
}

int main(void)
{
    now_s = (int64_t)time(NULL);
    if (fh_crypto_init() != FH_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_legacy_rc2_3des_pfx), /* first: see its comment */
        cmocka_unit_test(test_good_certificate),
        cmocka_unit_test(test_extension_encodings_and_environments),
        cmocka_unit_test(test_missing_taxcore_data),
        cmocka_unit_test(test_expired_and_not_yet_valid),
        cmocka_unit_test(test_key_mismatch_and_missing_parts),
        cmocka_unit_test(test_passwords),
        cmocka_unit_test(test_not_pkcs12_and_size),
        cmocka_unit_test(test_pac_and_uid_rules),
        cmocka_unit_test(test_store_insert_load_revoke),
        cmocka_unit_test(test_store_cert_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
