/* certs.c - taxpayer client certificates as TaxCore issues them (spec §2): an RSA 2048 key and
 * a certificate from the sandbox ICA whose subject is CN = taxpayer name, SERIALNUMBER = UID,
 * O = taxpayer name, OU = location, STREET = address, L = district, C = RS, with the TaxCore
 * extensions 1.3.6.1.4.1.49952.5.8.{5,6,7} (sandbox/Serbia: TaxCore.API URL, TIN, V-SDC URL)
 * holding UTF8String values. The PKCS#12 is assembled bag by bag (not with PKCS12_create, which
 * refuses a key that does not match the certificate) so the error cases fiscalhub must reject
 * can be produced: expired, without TaxCore extensions, mismatched key, and the legacy
 * RC2/3DES/SHA1 encryption of older TaxCore PFX files (needs OpenSSL's legacy provider).
 *
 * A foreign certificate is what a taxpayer has when they upload the certificate of another
 * TaxCore environment (a test environment's against production): the same subject, extensions
 * and PFX, but issued by the other environment's CA (pki.c, foreign-ca and foreign-ica), which
 * the V-SDC's TLS server does not trust, so the handshake refuses it ("unknown ca"). It is not
 * recorded in the registry: its UID and PAC belong to the other environment. */
#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsdc_internal.h"

#define OID_PREFIX "1.3.6.1.4.1.49952.5.8."

static pthread_mutex_t legacy_lock = PTHREAD_MUTEX_INITIALIZER;
static OSSL_PROVIDER *legacy_default, *legacy_provider;

/* Loading a provider explicitly stops the default one from loading implicitly: load both. */
static bool load_legacy(void)
{
    pthread_mutex_lock(&legacy_lock);
    if (!legacy_provider) {
        legacy_default = OSSL_PROVIDER_load(NULL, "default");
        legacy_provider = legacy_default ? OSSL_PROVIDER_load(NULL, "legacy") : NULL;
        if (!legacy_provider)
            ERR_clear_error();
    }
    bool ok = legacy_provider != NULL;
    pthread_mutex_unlock(&legacy_lock);
    return ok;
}

void vsdc_legacy_unload(void)
{
    pthread_mutex_lock(&legacy_lock);
    if (legacy_provider)
        OSSL_PROVIDER_unload(legacy_provider);
    if (legacy_default)
        OSSL_PROVIDER_unload(legacy_default);
    legacy_provider = legacy_default = NULL;
    pthread_mutex_unlock(&legacy_lock);
}

static enum fh_rc add_string_ext(X509 *x, const char *oid, const char *value)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    ASN1_UTF8STRING *s = ASN1_UTF8STRING_new();
    ASN1_OCTET_STRING *oct = ASN1_OCTET_STRING_new();
    unsigned char *der = NULL;
    int len = -1;
    if (obj && s && oct && ASN1_STRING_set(s, value, -1))
        len = i2d_ASN1_UTF8STRING(s, &der);
    X509_EXTENSION *ext = NULL;
    if (len > 0 && ASN1_OCTET_STRING_set(oct, der, len))
        ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, oct);
    int ok = ext && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    OPENSSL_free(der);
    ASN1_OCTET_STRING_free(oct);
    ASN1_UTF8STRING_free(s);
    ASN1_OBJECT_free(obj);
    return ok ? FH_OK : FH_ERR;
}

static X509_NAME *taxpayer_name(const struct vsdc_taxpayer *tp)
{
    const char *f[][2] = {
        {"C", "RS"},          {"L", tp->district}, {"street", tp->address},  {"O", tp->name},
        {"OU", tp->location}, {"CN", tp->name},    {"serialNumber", tp->uid}};
    X509_NAME *n = X509_NAME_new();
    for (size_t i = 0; i < FH_ARRAY_LEN(f); i++)
        X509_NAME_add_entry_by_txt(n, f[i][0], MBSTRING_UTF8, (const unsigned char *)f[i][1], -1,
                                   -1, 0);
    return n;
}

/* p is the issuing environment: its ICA signs. */
static X509 *client_cert(const struct vsdc_pki *p, const struct vsdc_taxpayer *tp, EVP_PKEY *key,
                         const struct fh_vsdc_issue_opts *o)
{
    int64_t nb = o->expired ? -(o->days + 1) * 86400 : -3600;
    int64_t na = o->expired ? -86400 : o->days * 86400;
    X509 *x = vsdc_cert_make(taxpayer_name(tp), key, p->ica, p->ica_key, nb, na, false);
    bool ok = x &&
              vsdc_cert_add_ext(x, p->ica, NID_key_usage,
                                "critical,digitalSignature,keyEncipherment") == FH_OK &&
              vsdc_cert_add_ext(x, p->ica, NID_ext_key_usage, "clientAuth") == FH_OK;
    if (ok && !o->no_taxcore_ext)
        ok = add_string_ext(x, OID_PREFIX "5", o->api_url) == FH_OK &&
             add_string_ext(x, OID_PREFIX "6", tp->tin) == FH_OK &&
             add_string_ext(x, OID_PREFIX "7", o->vsdc_url) == FH_OK;
    if (!ok || !X509_sign(x, p->ica_key, EVP_sha256())) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static bool tag_bag(PKCS12_SAFEBAG *bag, const char *name, const unsigned char *id,
                    unsigned int idlen)
{
    return bag && PKCS12_add_friendlyname_asc(bag, name, -1) &&
           PKCS12_add_localkeyid(bag, (unsigned char *)id, (int)idlen);
}

/* Certificate + chain in one encrypted safe, the shrouded key in a plain one, then the MAC. */
static PKCS12 *build_p12(EVP_PKEY *key, X509 *cert, const struct vsdc_pki *p, const char *pass,
                         const char *name, bool legacy)
{
    int nid_certs = legacy ? NID_pbe_WithSHA1And40BitRC2_CBC : NID_aes_256_cbc;
    int nid_key = legacy ? NID_pbe_WithSHA1And3_Key_TripleDES_CBC : NID_aes_256_cbc;
    unsigned char id[EVP_MAX_MD_SIZE];
    unsigned int idlen = 0;
    STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
    STACK_OF(PKCS7) *safes = NULL;
    PKCS12 *p12 = NULL;
    X509_digest(cert, EVP_sha1(), id, &idlen);
    bool ok = tag_bag(PKCS12_add_cert(&bags, cert), name, id, idlen) &&
              PKCS12_add_cert(&bags, p->ica) && PKCS12_add_cert(&bags, p->ca) &&
              PKCS12_add_safe(&safes, bags, nid_certs, PKCS12_DEFAULT_ITER, pass);
    sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
    bags = NULL;
    ok = ok &&
         tag_bag(PKCS12_add_key(&bags, key, 0, PKCS12_DEFAULT_ITER, nid_key, pass), name, id,
                 idlen) &&
         PKCS12_add_safe(&safes, bags, -1, 0, NULL);
    sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
    if (ok)
        p12 = PKCS12_add_safes(safes, 0);
    sk_PKCS7_pop_free(safes, PKCS7_free);
    if (p12 && !PKCS12_set_mac(p12, pass, -1, NULL, 0, PKCS12_DEFAULT_ITER,
                               legacy ? EVP_sha1() : EVP_sha256())) {
        PKCS12_free(p12);
        p12 = NULL;
    }
    return p12;
}

static void fill_taxpayer(struct vsdc_taxpayer *tp, const struct fh_vsdc_issue_opts *o)
{
    char digits[10];
    vsdc_random_code(digits, 9);
    for (int i = 0; i < 9; i++) /* a 9-digit PIB-like TIN */
        digits[i] = (char)('0' + (unsigned char)digits[i] % 10);
    digits[0] = digits[0] == '0' ? '1' : digits[0];
    fh_strlcpy(tp->tin, o->tin ? o->tin : digits, sizeof(tp->tin));
    if (o->name)
        fh_strlcpy(tp->name, o->name, sizeof(tp->name));
    else
        snprintf(tp->name, sizeof(tp->name), "Sandbox Taxpayer %s", tp->uid);
    fh_strlcpy(tp->location, o->location ? o->location : "Sandbox Store 1", sizeof(tp->location));
    fh_strlcpy(tp->address, o->address ? o->address : "1 Main Street", sizeof(tp->address));
    fh_strlcpy(tp->district, o->district ? o->district : "Belgrade", sizeof(tp->district));
    vsdc_random_code(tp->pac, 6);
    tp->issued_ms = fh_now_ms();
    tp->not_after_ms = tp->issued_ms + (o->expired ? -86400 : o->days * 86400) * 1000;
}

/* Reserves a UID in the registry (random ones are retried on a collision); a foreign
 * certificate's UID is not recorded. */
static enum fh_rc reserve(const struct vsdc_pki *p, const struct fh_vsdc_issue_opts *o,
                          struct vsdc_taxpayer *tp, char *err, size_t errsize)
{
    if (o->foreign) {
        if (o->uid)
            fh_strlcpy(tp->uid, o->uid, sizeof(tp->uid));
        else
            vsdc_random_code(tp->uid, VSDC_UID_LEN);
        fill_taxpayer(tp, o);
        return FH_OK;
    }
    for (int attempt = 0; attempt < 8; attempt++) {
        if (o->uid)
            fh_strlcpy(tp->uid, o->uid, sizeof(tp->uid));
        else
            vsdc_random_code(tp->uid, VSDC_UID_LEN);
        fill_taxpayer(tp, o);
        enum fh_rc rc = vsdc_registry_add(p->dir, tp);
        if (rc == FH_OK)
            return FH_OK;
        if (rc != FH_E_CONFLICT || o->uid) {
            snprintf(err, errsize,
                     rc == FH_E_CONFLICT ? "UID %s was already issued"
                                         : "cannot write the registry in %s",
                     rc == FH_E_CONFLICT ? tp->uid : p->dir);
            return rc;
        }
    }
    snprintf(err, errsize, "no free UID found");
    return FH_ERR;
}

static enum fh_rc check_opts(const struct fh_vsdc_issue_opts *o, char *err, size_t errsize)
{
    const char *longest[] = {o->tin, o->name, o->location, o->address, o->district};
    if (o->uid && !vsdc_uid_valid(o->uid)) {
        snprintf(err, errsize, "a UID is 8 characters A-Z or 0-9");
        return FH_E_INPUT;
    }
    if (o->days < 1 || o->days > 3650 || !o->vsdc_url || !o->api_url || strlen(o->vsdc_url) > 200 ||
        strlen(o->api_url) > 200) {
        snprintf(err, errsize, "days must be 1..3650 and the URLs at most 200 characters");
        return FH_E_INPUT;
    }
    for (size_t i = 0; i < FH_ARRAY_LEN(longest); i++)
        if (longest[i] && (strlen(longest[i]) == 0 || strlen(longest[i]) > (i == 0 ? 20 : 100))) {
            snprintf(err, errsize,
                     "tin is 1..20 and name, location, address, district 1..100 characters");
            return FH_E_INPUT;
        }
    if (o->legacy) {
        if (!load_legacy()) {
            snprintf(err, errsize, "OpenSSL's legacy provider is not available");
            return FH_ERR;
        }
    }
    return FH_OK;
}

enum fh_rc vsdc_issue(const struct vsdc_pki *p, const struct fh_vsdc_issue_opts *o,
                      struct vsdc_issued *out, char *err, size_t errsize)
{
    memset(out, 0, sizeof(*out));
    enum fh_rc rc = check_opts(o, err, errsize);
    if (rc != FH_OK)
        return rc;
    struct vsdc_taxpayer tp;
    memset(&tp, 0, sizeof(tp));
    struct vsdc_pki foreign;
    memset(&foreign, 0, sizeof(foreign));
    const struct vsdc_pki *issuer = p;
    if (o->foreign) {
        if (vsdc_pki_foreign_load_or_create(p->dir, &foreign) != FH_OK) {
            snprintf(err, errsize, "cannot create the CA of another environment in %s", p->dir);
            return FH_ERR;
        }
        issuer = &foreign;
    }
    EVP_PKEY *key = vsdc_rsa_generate();
    EVP_PKEY *other = o->key_mismatch ? vsdc_rsa_generate() : NULL;
    X509 *cert = NULL;
    PKCS12 *p12 = NULL;
    rc = FH_ERR;
    if (!key || (o->key_mismatch && !other))
        goto out;
    if ((rc = reserve(p, o, &tp, err, errsize)) != FH_OK)
        goto out;
    rc = FH_ERR;
    vsdc_random_code(out->password, 8);
    cert = client_cert(issuer, &tp, key, o);
    p12 = cert ? build_p12(other ? other : key, cert, issuer, out->password, tp.uid, o->legacy)
               : NULL;
    unsigned char *der = NULL;
    int len = p12 ? i2d_PKCS12(p12, &der) : -1;
    if (len <= 0) {
        snprintf(err, errsize, "cannot build the certificate for %s", tp.uid);
        goto out;
    }
    out->pfx = fh_malloc((size_t)len);
    memcpy(out->pfx, der, (size_t)len);
    out->pfx_len = (size_t)len;
    OPENSSL_free(der);
    fh_strlcpy(out->uid, tp.uid, sizeof(out->uid));
    fh_strlcpy(out->pac, tp.pac, sizeof(out->pac));
    rc = FH_OK;
out:
    if (rc != FH_OK)
        ERR_clear_error();
    PKCS12_free(p12);
    X509_free(cert);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
    vsdc_pki_free(&foreign);
    return rc;
}

void vsdc_issued_free(struct vsdc_issued *is)
{
    free(is->pfx);
    OPENSSL_cleanse(is->password, sizeof(is->password));
    OPENSSL_cleanse(is->pac, sizeof(is->pac));
    is->pfx = NULL;
}
