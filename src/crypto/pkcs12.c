/* pkcs12.c - validation of TaxCore taxpayer PFX (PKCS#12) files, entirely in memory.
 *
 * The checks run in an order that gives the user the most useful answer first:
 *   size cap -> DER PKCS#12 -> password (MAC first, so "wrong password" is not confused with
 *   "not a PKCS#12 file"; then the bags must decrypt) -> certificate and key present and
 *   matching -> validity period -> subject UID -> TaxCore extensions.
 * Old PFX files encrypt their bags with RC2-40 or 3DES, which OpenSSL 3 keeps in its "legacy"
 * provider; it is loaded once (with "default", which explicit loading would otherwise disable).
 * Nothing read from the file, and neither the password nor the key, is ever logged. */
#include <ctype.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fh/fh_cert.h"

#define TAXCORE_OID_PREFIX "1.3.6.1.4.1.49952."
#define TAXCORE_API_URL 5
#define TAXCORE_TIN 6
#define TAXCORE_VSDC_URL 7

static pthread_once_t providers_once = PTHREAD_ONCE_INIT;
static enum fh_rc providers_rc = FH_OK;
static OSSL_PROVIDER *prov_default, *prov_legacy;

/* Unloading at exit lets the legacy provider free its child library context (LeakSanitizer
 * reports it otherwise); it runs before OpenSSL's own exit handler. */
static void providers_unload(void)
{
    if (prov_legacy)
        OSSL_PROVIDER_unload(prov_legacy);
    if (prov_default)
        OSSL_PROVIDER_unload(prov_default);
    prov_legacy = prov_default = NULL;
}

static void providers_load_once(void)
{
    /* Explicitly loading any provider stops OpenSSL from loading "default" implicitly. */
    prov_default = OSSL_PROVIDER_load(NULL, "default");
    if (!prov_default) {
        fh_log(FH_LOG_ERROR, "pkcs12", "%s", "cannot load the OpenSSL default provider");
        providers_rc = FH_ERR;
    }
    prov_legacy = OSSL_PROVIDER_load(NULL, "legacy");
    if (!prov_legacy) {
        fh_log(
            FH_LOG_WARN, "pkcs12", "%s",
            "cannot load the OpenSSL legacy provider: RC2/3DES-encrypted PFX files will not open");
        providers_rc = FH_ERR;
    }
    atexit(providers_unload);
    ERR_clear_error();
}

enum fh_rc fh_openssl_providers_load(void)
{
    pthread_once(&providers_once, providers_load_once);
    return providers_rc;
}

const char *fh_pfx_error_str(enum fh_pfx_error err)
{
    switch (err) {
    case FH_PFX_OK:
        return "the certificate is valid";
    case FH_PFX_TOO_LARGE:
        return "the PFX file is larger than 64 KiB";
    case FH_PFX_NOT_PKCS12:
        return "the file is not a PKCS#12 (PFX) file";
    case FH_PFX_BAD_PASSWORD:
        return "the password does not open the PFX file";
    case FH_PFX_NO_CERT:
        return "the PFX file holds no certificate";
    case FH_PFX_NO_KEY:
        return "the PFX file holds no private key";
    case FH_PFX_KEY_MISMATCH:
        return "the private key does not belong to the certificate";
    case FH_PFX_EXPIRED:
        return "the certificate has expired";
    case FH_PFX_NOT_YET_VALID:
        return "the certificate is not valid yet";
    case FH_PFX_NO_TAXCORE:
        return "the certificate has no TaxCore extensions (OID 1.3.6.1.4.1.49952.*)";
    case FH_PFX_NO_VSDC_URL:
        return "the certificate has no V-SDC URL extension (OID 1.3.6.1.4.1.49952.X.Y.7)";
    case FH_PFX_NO_UID:
        return "the certificate subject has no usable SERIALNUMBER (the UID)";
    case FH_PFX_BAD_FIELD:
        return "a TaxCore extension of the certificate is not a text value of acceptable length";
    case FH_PFX_NO_MAC:
        return "the PFX file has no integrity MAC, which only a file without a password may lack";
    case FH_PFX_UNSUPPORTED:
        break;
    }
    return "the PFX file is encrypted with an algorithm this server cannot read";
}

bool fh_pac_valid(const char *pac)
{
    size_t n = 0;
    for (; pac[n]; n++) {
        if (n >= FH_PAC_LEN || !isascii((unsigned char)pac[n]) || !isalnum((unsigned char)pac[n]))
            return false;
    }
    return n == FH_PAC_LEN;
}

bool fh_cert_uid_valid(const char *uid)
{
    size_t n = 0;
    for (; uid[n]; n++) {
        unsigned char c = (unsigned char)uid[n];
        if (n >= FH_CERT_UID_MAX || !isascii(c) || !(isalnum(c) || c == '-' || c == '_'))
            return false;
    }
    return n > 0;
}

/* Copies n bytes of text into dst (dstsize), control characters replaced by spaces.
 * False when it does not fit. */
static bool copy_text(char *dst, size_t dstsize, const unsigned char *src, size_t n)
{
    if (n >= dstsize)
        return false;
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i] < 0x20 || src[i] == 0x7f ? ' ' : (char)src[i];
    dst[n] = '\0';
    return true;
}

static int64_t asn1_time_ms(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return 0;
    return (int64_t)timegm(&tm) * 1000;
}

/* The first subject entry with nid as UTF-8 into dst; "" when absent, truncated at dstsize. */
static void subject_entry(const X509_NAME *name, int nid, char *dst, size_t dstsize)
{
    dst[0] = '\0';
    int idx = X509_NAME_get_index_by_NID(name, nid, -1);
    if (idx < 0)
        return;
    const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, s);
    if (n < 0)
        return;
    size_t len = (size_t)n < dstsize ? (size_t)n : dstsize - 1;
    while (len > 0 && len < (size_t)n && (utf8[len] & 0xc0) == 0x80)
        len--; /* do not cut a UTF-8 sequence in half */
    copy_text(dst, dstsize, utf8, len);
    OPENSSL_free(utf8);
}

static void append_part(char *dst, size_t dstsize, const char *part)
{
    if (!part[0])
        return;
    size_t len = strlen(dst);
    snprintf(dst + len, dstsize - len, "%s%s", len ? ", " : "", part);
}

static enum fh_pfx_error read_subject(X509 *cert, struct fh_cert_info *out)
{
    const X509_NAME *name = X509_get_subject_name(cert);
    char uid[64], part[256];
    subject_entry(name, NID_serialNumber, uid, sizeof(uid));
    if (!fh_cert_uid_valid(uid))
        return FH_PFX_NO_UID;
    fh_strlcpy(out->uid, uid, sizeof(out->uid));
    subject_entry(name, NID_commonName, out->taxpayer, sizeof(out->taxpayer));
    if (!out->taxpayer[0])
        subject_entry(name, NID_organizationName, out->taxpayer, sizeof(out->taxpayer));
    subject_entry(name, NID_organizationalUnitName, out->location, sizeof(out->location));
    static const int addr_nids[] = {NID_streetAddress, NID_localityName, NID_stateOrProvinceName,
                                    NID_countryName};
    for (size_t i = 0; i < FH_ARRAY_LEN(addr_nids); i++) {
        subject_entry(name, addr_nids[i], part, sizeof(part));
        append_part(out->address, sizeof(out->address), part);
    }
    return FH_PFX_OK;
}

/* The value arc Z of a TaxCore OID 1.3.6.1.4.1.49952.X.Y.Z, or -1 for any other OID. */
static int taxcore_value_kind(const ASN1_OBJECT *obj)
{
    char oid[128];
    int n = OBJ_obj2txt(oid, sizeof(oid), obj, 1);
    if (n <= 0 || (size_t)n >= sizeof(oid) || !fh_starts_with(oid, TAXCORE_OID_PREFIX))
        return -1;
    const char *p = oid + strlen(TAXCORE_OID_PREFIX);
    long arcs[3];
    for (int i = 0; i < 3; i++) {
        if (!isdigit((unsigned char)*p))
            return -1;
        char *end;
        arcs[i] = strtol(p, &end, 10);
        p = end;
        if (*p != (i < 2 ? '.' : '\0'))
            return -1;
        p += i < 2;
    }
    return arcs[2] >= 0 && arcs[2] < 1000 ? (int)arcs[2] : -1;
}

static bool printable_text(const unsigned char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x20 || s[i] > 0x7e)
            return false;
    }
    return true;
}

/* Decodes a TaxCore extension value: a DER string (UTF8String, PrintableString, IA5String,
 * VisibleString, or an OCTET STRING holding text), or tolerated, the raw text itself. */
static bool ext_text(const X509_EXTENSION *ext, char *dst, size_t dstsize)
{
    const ASN1_OCTET_STRING *data = X509_EXTENSION_get_data((X509_EXTENSION *)ext);
    const unsigned char *raw = ASN1_STRING_get0_data(data), *p = raw;
    long rawlen = ASN1_STRING_length(data);
    ASN1_TYPE *t = d2i_ASN1_TYPE(NULL, &p, rawlen);
    bool ok = false;
    if (t && p == raw + rawlen) {
        switch (t->type) {
        case V_ASN1_UTF8STRING:
        case V_ASN1_PRINTABLESTRING:
        case V_ASN1_IA5STRING:
        case V_ASN1_VISIBLESTRING:
        case V_ASN1_OCTET_STRING: {
            const ASN1_STRING *s = t->value.asn1_string;
            const unsigned char *v = ASN1_STRING_get0_data(s);
            size_t n = (size_t)ASN1_STRING_length(s);
            ok = printable_text(v, n) && copy_text(dst, dstsize, v, n);
            break;
        }
        default:
            break;
        }
    } else if (printable_text(raw, (size_t)rawlen)) {
        ok = copy_text(dst, dstsize, raw, (size_t)rawlen);
    }
    ASN1_TYPE_free(t);
    ERR_clear_error();
    return ok;
}

static bool is_http_url(const char *s)
{
    return strncasecmp(s, "https://", 8) == 0 || strncasecmp(s, "http://", 7) == 0;
}

static enum fh_pfx_error read_extensions(X509 *cert, struct fh_cert_info *out)
{
    bool any = false;
    for (int i = 0; i < X509_get_ext_count(cert); i++) {
        const X509_EXTENSION *ext = X509_get_ext(cert, i);
        int kind = taxcore_value_kind(X509_EXTENSION_get_object((X509_EXTENSION *)ext));
        if (kind < 0)
            continue;
        any = true;
        char *dst = kind == TAXCORE_API_URL    ? out->api_url
                    : kind == TAXCORE_TIN      ? out->tin
                    : kind == TAXCORE_VSDC_URL ? out->vsdc_url
                                               : NULL;
        size_t dstsize = kind == TAXCORE_API_URL ? sizeof(out->api_url)
                         : kind == TAXCORE_TIN   ? sizeof(out->tin)
                                                 : sizeof(out->vsdc_url);
        if (!dst || dst[0])
            continue; /* another value, or a second environment: the first one wins */
        if (!ext_text(ext, dst, dstsize))
            return FH_PFX_BAD_FIELD;
    }
    if (!any)
        return FH_PFX_NO_TAXCORE;
    if (!out->vsdc_url[0] || !is_http_url(out->vsdc_url))
        return FH_PFX_NO_VSDC_URL;
    if (out->api_url[0] && !is_http_url(out->api_url))
        return FH_PFX_BAD_FIELD;
    return FH_PFX_OK;
}

/* Verifies the MAC with password the way PKCS12_parse (and so libcurl) will: an empty password
 * also tries the "no password" encoding. A file without a MAC opens only with an empty password
 * (PKCS12_parse in OpenSSL 3.0 requires a MAC for any other). */
static enum fh_pfx_error check_password(PKCS12 *p12, const char *password)
{
    if (!PKCS12_mac_present(p12))
        return password[0] ? FH_PFX_NO_MAC : FH_PFX_OK;
    if (password[0])
        return PKCS12_verify_mac(p12, password, -1) == 1 ? FH_PFX_OK : FH_PFX_BAD_PASSWORD;
    if (PKCS12_verify_mac(p12, NULL, 0) == 1 || PKCS12_verify_mac(p12, "", 0) == 1)
        return FH_PFX_OK;
    return FH_PFX_BAD_PASSWORD;
}

/* PKCS12_parse returns as cert only the certificate that matches the key, and puts every other
 * certificate in ca; so a file whose only certificate does not match the key yields no cert. */
static enum fh_pfx_error check_cert(X509 *cert, EVP_PKEY *key, STACK_OF(X509) * ca, int64_t now_ms,
                                    struct fh_cert_info *out)
{
    if (!cert && sk_X509_num(ca) <= 0)
        return FH_PFX_NO_CERT;
    if (!key)
        return FH_PFX_NO_KEY;
    if (!cert || X509_check_private_key(cert, key) != 1)
        return FH_PFX_KEY_MISMATCH;
    out->not_before_ms = asn1_time_ms(X509_get0_notBefore(cert));
    out->not_after_ms = asn1_time_ms(X509_get0_notAfter(cert));
    if (out->not_after_ms <= now_ms)
        return FH_PFX_EXPIRED;
    if (out->not_before_ms > now_ms)
        return FH_PFX_NOT_YET_VALID;
    enum fh_pfx_error e = read_subject(cert, out);
    return e != FH_PFX_OK ? e : read_extensions(cert, out);
}

enum fh_rc fh_pfx_inspect(const uint8_t *pfx, size_t len, const char *password, int64_t now_ms,
                          struct fh_cert_info *out, enum fh_pfx_error *err)
{
    memset(out, 0, sizeof(*out));
    *err = FH_PFX_OK;
    if (!password)
        password = "";
    if (len > FH_PFX_MAX_BYTES) {
        *err = FH_PFX_TOO_LARGE;
        return FH_E_INPUT;
    }
    fh_openssl_providers_load();
    const unsigned char *p = pfx;
    PKCS12 *p12 = len ? d2i_PKCS12(NULL, &p, (long)len) : NULL;
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    STACK_OF(X509) *ca = NULL;
    *err = !p12 || p != pfx + len ? FH_PFX_NOT_PKCS12 : check_password(p12, password);
    if (*err == FH_PFX_OK && !PKCS12_parse(p12, password, &key, &cert, &ca))
        /* with a verified MAC the password is right: the bags use a cipher we lack */
        *err = PKCS12_mac_present(p12) ? FH_PFX_UNSUPPORTED : FH_PFX_BAD_PASSWORD;
    else if (*err == FH_PFX_OK)
        *err = check_cert(cert, key, ca, now_ms, out);
    ERR_clear_error();
    EVP_PKEY_free(key);
    X509_free(cert);
    sk_X509_pop_free(ca, X509_free);
    PKCS12_free(p12);
    return *err == FH_PFX_OK ? FH_OK : FH_E_INPUT;
}
