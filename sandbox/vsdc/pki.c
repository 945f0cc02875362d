/* pki.c - the sandbox's public-key infrastructure, kept in <data dir>/vsdc/ so certificates
 * survive restarts:
 *   ca.pem, ca.key          root CA ("RCA"), the trust anchor fiscalhub must trust
 *   ica.pem, ica.key        issuing CA ("ICA"), signs every other certificate
 *   server.pem, server.key  the V-SDC's TLS certificate for 127.0.0.1, ::1 and localhost
 *   signer.pem, signer.key  the V-SDC's signing key (signature, encryptedInternalData); its
 *                           SERIALNUMBER is the V-SDC's own UID (signedBy)
 *   foreign-ca.{pem,key}, foreign-ica.{pem,key}
 *                           root and ICA of "another TaxCore environment", made for the first
 *                           `foreign` client certificate (certs.c), which they issue; the V-SDC's
 *                           TLS server does not trust them (its store holds only ca and ica)
 * All keys are RSA 2048, files are written 0600 in a 0700 folder, and creation runs under an
 * exclusive lock on <dir>/.lock so the sandbox and `issue-cert` never race. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vsdc_internal.h"

#define CA_DAYS 7300
#define LEAF_DAYS 3650

void vsdc_random_code(char *out, size_t n)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    size_t k = 0;
    while (k < n) {
        uint8_t r[32];
        RAND_bytes(r, sizeof(r));
        for (size_t i = 0; i < sizeof(r) && k < n; i++)
            if (r[i] < 252) /* 252 = 7 * 36: no modulo bias */
                out[k++] = alphabet[r[i] % 36];
    }
    out[n] = '\0';
}

bool vsdc_uid_valid(const char *uid)
{
    if (!uid || strlen(uid) != VSDC_UID_LEN)
        return false;
    for (const char *p = uid; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return false;
    return true;
}

static enum fh_rc mkdir_p(const char *path)
{
    char tmp[512];
    if (!fh_strlcpy(tmp, path, sizeof(tmp)))
        return FH_E_LIMIT;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return FH_ERR;
        *p = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return FH_ERR;
    return FH_OK;
}

int vsdc_dir_lock(const char *dir)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/.lock", dir);
    int fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 && flock(fd, LOCK_EX) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

enum fh_rc vsdc_write_file(const char *path, const void *data, size_t len, int mode)
{
    char tmp[640];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, mode);
    if (fd < 0)
        return FH_ERR;
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return FH_ERR;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return FH_ERR;
    }
    return FH_OK;
}

char *vsdc_read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct fh_buf b;
    fh_buf_init(&b, max);
    char chunk[8192];
    size_t n;
    bool ok = true;
    while (ok && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ok = fh_buf_append(&b, chunk, n) == FH_OK;
    fclose(f);
    if (!ok) {
        fh_buf_free(&b);
        return NULL;
    }
    if (len)
        *len = b.len;
    if (!b.data)
        return fh_strdup("");
    return fh_buf_steal(&b);
}

EVP_PKEY *vsdc_rsa_generate(void)
{
    return EVP_RSA_gen(2048);
}

enum fh_rc vsdc_cert_add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return FH_ERR;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? FH_OK : FH_ERR;
}

X509 *vsdc_cert_make(X509_NAME *subject, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *issuer_key,
                     int64_t not_before_s, int64_t not_after_s, bool is_ca)
{
    X509 *x = X509_new();
    uint8_t serial[16];
    RAND_bytes(serial, sizeof(serial));
    serial[0] &= 0x7F;
    BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    BN_free(bn);
    X509_set_version(x, 2);
    X509_gmtime_adj(X509_getm_notBefore(x), (long)not_before_s);
    X509_gmtime_adj(X509_getm_notAfter(x), (long)not_after_s);
    X509_set_subject_name(x, subject);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : subject);
    X509_NAME_free(subject);
    X509_set_pubkey(x, pub);
    bool ok = vsdc_cert_add_ext(x, issuer, NID_basic_constraints,
                                is_ca ? "critical,CA:TRUE" : "CA:FALSE") == FH_OK &&
              vsdc_cert_add_ext(x, issuer, NID_subject_key_identifier, "hash") == FH_OK &&
              vsdc_cert_add_ext(x, issuer, NID_authority_key_identifier, "keyid:always") == FH_OK &&
              (!is_ca || vsdc_cert_add_ext(x, issuer, NID_key_usage,
                                           "critical,keyCertSign,cRLSign") == FH_OK);
    if (!ok || !X509_sign(x, issuer_key, EVP_sha256())) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static X509_NAME *name_of(const char *cn, const char *serial)
{
    X509_NAME *n = X509_NAME_new();
    X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8, (const unsigned char *)"RS", -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)"fiscalhub sandbox",
                               -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
    if (serial)
        X509_NAME_add_entry_by_txt(n, "serialNumber", MBSTRING_UTF8, (const unsigned char *)serial,
                                   -1, -1, 0);
    return n;
}

static enum fh_rc save_pair(const char *dir, const char *base, X509 *x, EVP_PKEY *k)
{
    char path[600];
    BIO *m = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(m, k, NULL, NULL, 0, NULL, NULL);
    char *data;
    long len = BIO_get_mem_data(m, &data);
    snprintf(path, sizeof(path), "%s/%s.key", dir, base);
    enum fh_rc rc = vsdc_write_file(path, data, (size_t)len, 0600);
    BIO_reset(m);
    PEM_write_bio_X509(m, x);
    len = BIO_get_mem_data(m, &data);
    snprintf(path, sizeof(path), "%s/%s.pem", dir, base);
    if (rc == FH_OK)
        rc = vsdc_write_file(path, data, (size_t)len, 0644);
    BIO_free(m);
    return rc;
}

static bool load_pair(const char *dir, const char *base, X509 **x, EVP_PKEY **k)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/%s.pem", dir, base);
    FILE *f = fopen(path, "r");
    if (f) {
        *x = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
    }
    snprintf(path, sizeof(path), "%s/%s.key", dir, base);
    f = fopen(path, "r");
    if (f) {
        *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
    }
    if (*x && *k && X509_check_private_key(*x, *k) == 1)
        return true;
    ERR_clear_error();
    X509_free(*x);
    EVP_PKEY_free(*k);
    *x = NULL;
    *k = NULL;
    return false;
}

/* A leaf for the server (TLS) or the signer, issued by the ICA. */
static enum fh_rc make_leaf(struct vsdc_pki *p, bool server)
{
    EVP_PKEY *k = vsdc_rsa_generate();
    char uid[VSDC_UID_LEN + 1];
    vsdc_random_code(uid, VSDC_UID_LEN);
    X509_NAME *n = server ? name_of("localhost", NULL) : name_of("fiscalhub sandbox V-SDC", uid);
    X509 *x = k ? vsdc_cert_make(n, k, p->ica, p->ica_key, -3600, (int64_t)LEAF_DAYS * 86400, false)
                : NULL;
    bool ok =
        x && (server ? vsdc_cert_add_ext(x, p->ica, NID_subject_alt_name,
                                         "IP:127.0.0.1,IP:::1,DNS:localhost") == FH_OK &&
                           vsdc_cert_add_ext(x, p->ica, NID_ext_key_usage, "serverAuth") == FH_OK &&
                           vsdc_cert_add_ext(x, p->ica, NID_key_usage,
                                             "critical,digitalSignature,keyEncipherment") == FH_OK
                     : vsdc_cert_add_ext(x, p->ica, NID_key_usage,
                                         "critical,digitalSignature,keyEncipherment") == FH_OK);
    /* extensions added after vsdc_cert_make need a fresh signature */
    ok = ok && X509_sign(x, p->ica_key, EVP_sha256()) &&
         save_pair(p->dir, server ? "server" : "signer", x, k) == FH_OK;
    if (!ok) {
        X509_free(x);
        EVP_PKEY_free(k);
        return FH_ERR;
    }
    *(server ? &p->server : &p->signer) = x;
    *(server ? &p->server_key : &p->signer_key) = k;
    return FH_OK;
}

/* File names and CNs of a root and its ICA. */
struct ca_names {
    const char *ca_file, *ica_file, *ca_cn, *ica_cn;
};

static const struct ca_names own_cas = {"ca", "ica", "fiscalhub sandbox TaxCore RCA",
                                        "fiscalhub sandbox TaxCore ICA"};
static const struct ca_names foreign_cas = {"foreign-ca", "foreign-ica",
                                            "fiscalhub sandbox TaxCore RCA (another environment)",
                                            "fiscalhub sandbox TaxCore ICA (another environment)"};

static enum fh_rc make_cas(struct vsdc_pki *p, const struct ca_names *nm)
{
    p->ca_key = vsdc_rsa_generate();
    p->ica_key = vsdc_rsa_generate();
    if (!p->ca_key || !p->ica_key)
        return FH_ERR;
    p->ca = vsdc_cert_make(name_of(nm->ca_cn, NULL), p->ca_key, NULL, p->ca_key, -3600,
                           (int64_t)CA_DAYS * 86400, true);
    if (!p->ca)
        return FH_ERR;
    p->ica = vsdc_cert_make(name_of(nm->ica_cn, NULL), p->ica_key, p->ca, p->ca_key, -3600,
                            (int64_t)CA_DAYS * 86400, true);
    if (!p->ica || save_pair(p->dir, nm->ca_file, p->ca, p->ca_key) != FH_OK ||
        save_pair(p->dir, nm->ica_file, p->ica, p->ica_key) != FH_OK)
        return FH_ERR;
    return FH_OK;
}

static enum fh_rc load_or_create_locked(struct vsdc_pki *p)
{
    bool cas = load_pair(p->dir, "ca", &p->ca, &p->ca_key) &&
               load_pair(p->dir, "ica", &p->ica, &p->ica_key);
    if (!cas) { /* a new root invalidates every leaf */
        vsdc_pki_free(p);
        fh_log(FH_LOG_INFO, "vsdc", "creating the sandbox CA in %s", p->dir);
        if (make_cas(p, &own_cas) != FH_OK)
            return FH_ERR;
    }
    if ((!cas || !load_pair(p->dir, "server", &p->server, &p->server_key)) &&
        make_leaf(p, true) != FH_OK)
        return FH_ERR;
    if ((!cas || !load_pair(p->dir, "signer", &p->signer, &p->signer_key)) &&
        make_leaf(p, false) != FH_OK)
        return FH_ERR;
    if (!vsdc_cert_uid(p->signer, p->signer_uid))
        return FH_ERR;
    return FH_OK;
}

enum fh_rc vsdc_pki_load_or_create(const char *data_dir, struct vsdc_pki *p)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->dir, sizeof(p->dir), "%s/vsdc", data_dir);
    if (mkdir_p(p->dir) != FH_OK) {
        fh_log(FH_LOG_ERROR, "vsdc", "cannot create %s", p->dir);
        return FH_ERR;
    }
    int lock = vsdc_dir_lock(p->dir);
    if (lock < 0) {
        fh_log(FH_LOG_ERROR, "vsdc", "cannot lock %s", p->dir);
        return FH_ERR;
    }
    enum fh_rc rc = load_or_create_locked(p);
    close(lock);
    /* Fill OpenSSL's lazily computed extension caches now, before threads share the certs. */
    X509 *shared[] = {p->ca, p->ica, p->server, p->signer};
    for (size_t i = 0; rc == FH_OK && i < FH_ARRAY_LEN(shared); i++)
        X509_check_purpose(shared[i], -1, 0);
    if (rc != FH_OK) {
        fh_log(FH_LOG_ERROR, "vsdc", "cannot create the sandbox PKI in %s", p->dir);
        vsdc_pki_free(p);
    }
    return rc;
}

enum fh_rc vsdc_pki_foreign_load_or_create(const char *dir, struct vsdc_pki *f)
{
    memset(f, 0, sizeof(*f));
    if (!fh_strlcpy(f->dir, dir, sizeof(f->dir)))
        return FH_E_LIMIT;
    int lock = vsdc_dir_lock(f->dir);
    if (lock < 0)
        return FH_ERR;
    enum fh_rc rc = FH_OK;
    if (!load_pair(f->dir, foreign_cas.ca_file, &f->ca, &f->ca_key) ||
        !load_pair(f->dir, foreign_cas.ica_file, &f->ica, &f->ica_key)) {
        vsdc_pki_free(f);
        fh_log(FH_LOG_INFO, "vsdc", "creating the CA of another environment in %s", f->dir);
        rc = make_cas(f, &foreign_cas);
    }
    close(lock);
    if (rc != FH_OK) {
        fh_log(FH_LOG_ERROR, "vsdc", "cannot create the CA of another environment in %s", f->dir);
        vsdc_pki_free(f);
    }
    return rc;
}

void vsdc_pki_free(struct vsdc_pki *p)
{
    EVP_PKEY_free(p->ca_key);
    EVP_PKEY_free(p->ica_key);
    EVP_PKEY_free(p->server_key);
    EVP_PKEY_free(p->signer_key);
    X509_free(p->ca);
    X509_free(p->ica);
    X509_free(p->server);
    X509_free(p->signer);
    p->ca_key = p->ica_key = p->server_key = p->signer_key = NULL;
    p->ca = p->ica = p->server = p->signer = NULL;
}

bool vsdc_cert_uid(X509 *cert, char uid[VSDC_UID_LEN + 1])
{
    X509_NAME *n = cert ? X509_get_subject_name(cert) : NULL;
    int i = n ? X509_NAME_get_index_by_NID(n, NID_serialNumber, -1) : -1;
    if (i < 0)
        return false;
    ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
    if (ASN1_STRING_length(s) != VSDC_UID_LEN)
        return false;
    memcpy(uid, ASN1_STRING_get0_data(s), VSDC_UID_LEN);
    uid[VSDC_UID_LEN] = '\0';
    return vsdc_uid_valid(uid);
}
