/* fh_cert.h - taxpayer certificates for TaxCore: PKCS#12 (PFX) inspection, encrypted storage,
 * and loading for the fiscal engine.
 *
 * A TaxCore taxpayer certificate arrives as a PFX file (certificate + private key), its password
 * (8 characters by TaxCore's rules, not enforced here: the file's MAC is the judge) and a PAC
 * (6 letters or digits). fh_pfx_inspect() validates the file fully in memory (never on disk) and
 * extracts what the portal shows and the engine needs: the UID (subject SERIALNUMBER), the
 * taxpayer, the location and address, and from the TaxCore extensions
 * 1.3.6.1.4.1.49952.<environment>.<country>.<value> the TaxCore.API URL (5), the TIN (6) and the
 * V-SDC URL (7). The PFX bytes, the password and the PAC are stored sealed under the master key
 * (fh_secret_seal); revoking a certificate erases them, so a revoked certificate can never sign
 * again. The queries on the `certificates` table live in src/fiscal/certificates.c. */
#ifndef FH_CERT_H
#define FH_CERT_H

#include <jansson.h>

#include "fh/fh_common.h"
#include "fh/fh_store.h"

#define FH_PFX_MAX_BYTES (64 * 1024) /* larger files are refused before parsing */
#define FH_PAC_LEN 6                 /* TaxCore PAC: exactly this many [A-Za-z0-9] */
#define FH_CERT_UID_MAX 15           /* longest UID accepted (TaxCore's are 8) */

/* Why a PFX was refused. Several values share one API error code (see fh_cert_error_ec in
 * src/api/certificates_post.c); fh_pfx_error_str() says which case it was. */
enum fh_pfx_error {
    FH_PFX_OK = 0,
    FH_PFX_TOO_LARGE,     /* more than FH_PFX_MAX_BYTES */
    FH_PFX_NOT_PKCS12,    /* not a DER PKCS#12 structure */
    FH_PFX_BAD_PASSWORD,  /* the MAC does not verify, or the bags do not decrypt */
    FH_PFX_NO_MAC,        /* no MAC but a password: OpenSSL (and so libcurl) cannot open it */
    FH_PFX_NO_CERT,       /* no certificate in the file */
    FH_PFX_NO_KEY,        /* no private key in the file */
    FH_PFX_KEY_MISMATCH,  /* the key does not belong to the certificate */
    FH_PFX_EXPIRED,       /* notAfter <= now (out->not_after_ms says when) */
    FH_PFX_NOT_YET_VALID, /* notBefore > now (out->not_before_ms says when) */
    FH_PFX_NO_TAXCORE,    /* no 1.3.6.1.4.1.49952.X.Y.Z extension at all */
    FH_PFX_NO_VSDC_URL,   /* TaxCore extensions, but no usable V-SDC URL (Z = 7) */
    FH_PFX_NO_UID,        /* no usable subject SERIALNUMBER (1..15 of [A-Za-z0-9_-]) */
    FH_PFX_BAD_FIELD,     /* a TaxCore extension is not a string, or too long */
    FH_PFX_UNSUPPORTED,   /* the MAC verifies but the bags do not decrypt (unknown cipher) */
};

/* What a certificate says about itself. Strings are UTF-8, NUL-terminated, control characters
 * replaced by spaces; empty when absent. */
struct fh_cert_info {
    char uid[16];
    char taxpayer[256]; /* CN, else O */
    char tin[64];
    char location[256]; /* OU */
    char address[256];  /* STREET, L, ST, C joined by ", " */
    char vsdc_url[512];
    char api_url[512];
    int64_t not_before_ms, not_after_ms;
};

/* A stored certificate with its secrets opened, for the fiscal engine. Load with
 * fh_cert_secret_load, release with fh_cert_secret_free. The caller must refuse to sign unless
 * status is "active" and not_after_ms is in the future. A revoked certificate has its secrets
 * erased: pfx, password and pac are NULL. The secrets are read-only: when held is set they point
 * into the cache of opened certificates (src/fiscal/cert_cache.c, locked memory). */
struct fh_cert_secret {
    int64_t id, org_id;
    char uid[16];
    char status[16]; /* "active" or "revoked" as stored (expiry is not folded in) */
    bool refused;    /* the V-SDC refused it last time it was used (fh_cert_refused) */
    int64_t not_after_ms;
    char vsdc_url[512];
    uint8_t *pfx; /* DER PKCS#12, pfx_len bytes: give to CURLOPT_SSLCERT_BLOB with type "P12" */
    size_t pfx_len;
    char *password;       /* the PFX password */
    char *pac;            /* the PAC header value */
    char fingerprint[65]; /* fh_cert_fingerprint of pfx and password ("" without secrets) */
    void *held;           /* the cache entry the secrets belong to, or NULL: owned copies */
};

/* Loads OpenSSL's "legacy" (RC2, 3DES PFX files) and "default" providers into the default
 * library context, once, thread-safe. fh_pfx_inspect calls it; call it before handing a PFX to
 * libcurl too. FH_ERR when a provider could not be loaded (logged once). */
enum fh_rc fh_openssl_providers_load(void);

/* Validates a PFX in memory and describes it. On FH_OK *err is FH_PFX_OK and out is filled.
 * On FH_E_INPUT *err says why (out is filled as far as parsing got: dates for EXPIRED and
 * NOT_YET_VALID). now_ms is Unix ms. The input is only read, never copied to disk. */
enum fh_rc fh_pfx_inspect(const uint8_t *pfx, size_t len, const char *password, int64_t now_ms,
                          struct fh_cert_info *out, enum fh_pfx_error *err);
/* A fixed English sentence for err (no secrets, no data from the file). */
const char *fh_pfx_error_str(enum fh_pfx_error err);

/* True when pac is exactly FH_PAC_LEN characters of [A-Za-z0-9]. */
bool fh_pac_valid(const char *pac);
/* True when uid is 1..FH_CERT_UID_MAX characters of [A-Za-z0-9_-] (safe in URL paths). */
bool fh_cert_uid_valid(const char *uid);

/* ---- storage (src/fiscal/certificates.c) ---- */

/* Stores a certificate that fh_pfx_inspect accepted, sealing pfx, password and pac under
 * master_key. FH_E_CONFLICT when the organization already has (or had, and revoked) this UID:
 * *was_revoked tells which; nothing is written then. FH_E_RETRY / FH_ERR on store failure. */
enum fh_rc fh_cert_insert(struct fh_store *st, const uint8_t master_key[32], int64_t org_id,
                          const struct fh_cert_info *info, const uint8_t *pfx, size_t pfx_len,
                          const char *password, const char *pac, int64_t now_ms, int64_t *cert_id,
                          bool *was_revoked);

/* The certificate (org_id, uid), any status. FH_E_NOTFOUND when there is none. */
enum fh_rc fh_cert_find(struct fh_store *st, int64_t org_id, const char *uid, int64_t *cert_id);

/* Opens a certificate's secrets (see struct fh_cert_secret). FH_E_NOTFOUND, FH_E_RETRY, or
 * FH_ERR when a sealed value does not open under master_key (logged, without the value). */
enum fh_rc fh_cert_secret_load(struct fh_store *st, const uint8_t master_key[32], int64_t cert_id,
                               struct fh_cert_secret *out);
/* Releases the secrets (owned copies are wiped with sodium_memzero and freed; cached ones are
 * given back to the cache) and clears the struct. NULL-safe. */
void fh_cert_secret_free(struct fh_cert_secret *s);
/* SHA-256 (hex) of pfx, a NUL and the password: tells a replaced PFX or password apart without
 * keeping either (the V-SDC client's handle pool keys on it). */
void fh_cert_fingerprint(const struct fh_cert_secret *s, char out[65]);
/* Records that the V-SDC refused the certificate (why: the reason shown, no secrets) at now, or,
 * with why NULL, that it signed with it again (the record is cleared). Best effort: the
 * certificate list shows the status "refused" while the record stands. */
void fh_cert_refused(struct fh_store *st, int64_t cert_id, const char *why, int64_t now);
/* The status and expiry of a stored certificate without opening its secrets. status gets
 * "active" or "revoked". FH_E_NOTFOUND, FH_E_RETRY, FH_ERR. */
enum fh_rc fh_cert_state(struct fh_store *st, int64_t cert_id, char status[16],
                         int64_t *not_after_ms);
/* The cache of opened certificates (src/fiscal/cert_cache.c): empties it (entries still held are
 * wiped when released), and counts its entries (tests). */
void fh_cert_cache_clear(void);
size_t fh_cert_cache_count(void);

/* Marks (org_id, uid) revoked at now_ms and erases its sealed secrets; revoking a revoked
 * certificate changes nothing. FH_E_NOTFOUND when the organization has no such UID. */
enum fh_rc fh_cert_revoke(struct fh_store *st, int64_t org_id, const char *uid, int64_t now_ms);

/* The status a certificate is shown with (the certificate list, the integration's row): an
 * active one past not_after_ms at now_ms is "expired", an active one the V-SDC refused the last
 * time it was used (refused) "refused"; otherwise the stored status ("active" or "revoked"). */
const char *fh_cert_shown_status(const char *stored, int64_t not_after_ms, bool refused,
                                 int64_t now_ms);

/* The public view of the organization's certificates (never a secret), oldest first, as a JSON
 * array of objects {uid, taxpayer, tin, location, address, vsdc_url, api_url, expires_at,
 * status (fh_cert_shown_status), created_at, revoked_at, refused_at, refused_reason}. With uid
 * non-NULL only that one (an empty array when it does not exist). *out is a new reference. */
enum fh_rc fh_cert_list_json(struct fh_store *st, int64_t org_id, const char *uid, int64_t now_ms,
                             json_t **out);

#endif
