/* certificates.c - the `certificates` table: storing a validated taxpayer certificate with its
 * PFX, password and PAC sealed under the master key, revoking it (which erases the sealed
 * values), listing the public view, and opening the secrets for the fiscal engine.
 *
 * A UID is unique per organization for ever: revocation keeps the row (status 'revoked') so the
 * same certificate cannot be brought back by uploading it again; a replacement certificate from
 * TaxCore has a new UID. "expired" is not stored; it is derived from not_after when read. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_cert.h"
#include "fh/fh_crypto.h"
#include "fh/fh_json.h"
#include "fiscal_internal.h"

struct insert_ctx {
    int64_t org_id, now;
    const struct fh_cert_info *info;
    const char *pfx, *password, *pac; /* sealed */
    int64_t id;
    bool conflict, was_revoked;
};

static int insert_tx(struct fh_store *st, void *cls)
{
    struct insert_ctx *c = cls;
    const struct fh_cert_info *i = c->info;
    struct fh_param p[] = {FH_PI(c->org_id),   FH_PT(i->uid),      FH_PT(i->taxpayer),
                           FH_PT(i->tin),      FH_PT(i->location), FH_PT(i->address),
                           FH_PT(i->vsdc_url), FH_PT(i->api_url),  FH_PI(i->not_after_ms),
                           FH_PT(c->pfx),      FH_PT(c->password), FH_PT(c->pac),
                           FH_PI(c->now)};
    struct fh_rows rows;
    int qs = fh_store_exec(
        st,
        "INSERT INTO certificates (org_id, uid, taxpayer_name, tin, location_name, "
        "address, vsdc_url, api_url, not_after, status, pfx_sealed, password_sealed, "
        "pac_sealed, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', "
        "$10, $11, $12, $13) ON CONFLICT (org_id, uid) DO NOTHING RETURNING id",
        p, FH_ARRAY_LEN(p), &rows);
    c->id = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
    fh_rows_free(&rows);
    if (qs != 0)
        return qs;
    c->conflict = true;
    struct fh_param fp[] = {FH_PI(c->org_id), FH_PT(i->uid)};
    qs = fh_store_exec(st, "SELECT status FROM certificates WHERE org_id = $1 AND uid = $2", fp, 2,
                       &rows);
    c->was_revoked = qs > 0 && strcmp(fh_rows_get(&rows, 0, 0), "revoked") == 0;
    fh_rows_free(&rows);
    return qs < 0 ? qs : 0;
}

static void free_sealed(char *s)
{
    if (s)
        sodium_memzero(s, strlen(s)); /* ciphertext, but no reason to leave it around */
    free(s);
}

enum fh_rc fh_cert_insert(struct fh_store *st, const uint8_t master_key[32], int64_t org_id,
                          const struct fh_cert_info *info, const uint8_t *pfx, size_t pfx_len,
                          const char *password, const char *pac, int64_t now_ms, int64_t *cert_id,
                          bool *was_revoked)
{
    struct insert_ctx c = {.org_id = org_id, .now = now_ms, .info = info};
    char *spfx = fh_secret_seal(master_key, pfx, pfx_len);
    char *spw = fh_secret_seal(master_key, password, strlen(password));
    char *spac = fh_secret_seal(master_key, pac, strlen(pac));
    c.pfx = spfx;
    c.password = spw;
    c.pac = spac;
    int qs = fh_store_run_tx(st, insert_tx, &c);
    free_sealed(spfx);
    free_sealed(spw);
    free_sealed(spac);
    *was_revoked = c.was_revoked;
    *cert_id = c.id;
    if (qs < 0)
        return fh_qs_rc(qs);
    return c.conflict ? FH_E_CONFLICT : FH_OK;
}

enum fh_rc fh_cert_find(struct fh_store *st, int64_t org_id, const char *uid, int64_t *cert_id)
{
    struct fh_param p[] = {FH_PI(org_id), FH_PT(uid)};
    struct fh_rows rows;
    int qs = fh_store_exec(st, "SELECT id FROM certificates WHERE org_id = $1 AND uid = $2", p, 2,
                           &rows);
    *cert_id = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
    fh_rows_free(&rows);
    if (qs < 0)
        return fh_qs_rc(qs);
    return qs == 0 ? FH_E_NOTFOUND : FH_OK;
}

/* Opens a sealed cell into *out (NUL-terminated) and *len; a NULL cell leaves *out NULL. */
static enum fh_rc open_cell(const uint8_t key[32], const char *sealed, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (!sealed)
        return FH_OK;
    return fh_secret_open(key, sealed, out, len) == FH_OK ? FH_OK : FH_ERR;
}

static enum fh_rc open_secrets(const uint8_t key[32], const struct fh_rows *rows,
                               struct fh_cert_secret *out)
{
    uint8_t *pw = NULL, *pac = NULL;
    size_t pwlen, paclen;
    if (open_cell(key, fh_rows_get(rows, 0, 6), &out->pfx, &out->pfx_len) != FH_OK ||
        open_cell(key, fh_rows_get(rows, 0, 7), &pw, &pwlen) != FH_OK ||
        open_cell(key, fh_rows_get(rows, 0, 8), &pac, &paclen) != FH_OK)
        return FH_ERR;
    out->password = (char *)pw;
    out->pac = (char *)pac;
    return FH_OK;
}

/* The row's fields besides the sealed cells (columns 0-5 of both loading queries). */
static void secret_meta(const struct fh_rows *rows, struct fh_cert_secret *out)
{
    out->id = fh_rows_i64(rows, 0, 0, 0);
    out->org_id = fh_rows_i64(rows, 0, 1, 0);
    fh_strlcpy(out->uid, fh_rows_get(rows, 0, 2), sizeof(out->uid));
    fh_strlcpy(out->status, fh_rows_get(rows, 0, 3), sizeof(out->status));
    out->not_after_ms = fh_rows_i64(rows, 0, 4, 0);
    fh_strlcpy(out->vsdc_url, fh_rows_get(rows, 0, 5), sizeof(out->vsdc_url));
    out->refused = fh_rows_get(rows, 0, 9) != NULL;
}

/* The cache stamp of the sealed cells in columns 6-8: each cell's "v1:" and nonce, joined by
 * '|' (see cert_cache.c). Cells with no secret give an empty stamp (nothing to cache). */
static void secret_stamp(const struct fh_rows *rows, char out[FISCAL_CERT_STAMP_SIZE])
{
    enum { NONCE_TEXT = 3 + 32 }; /* "v1:" and the base64 of 24 nonce bytes */
    out[0] = '\0';
    size_t n = 0;
    for (size_t c = 6; c <= 8; c++) {
        const char *cell = fh_rows_get(rows, 0, c);
        if (!cell || strlen(cell) < NONCE_TEXT) {
            out[0] = '\0';
            return;
        }
        memcpy(out + n, cell, NONCE_TEXT);
        n += NONCE_TEXT;
        out[n++] = c < 8 ? '|' : '\0';
    }
}

/* The certificate's row: with whole sealed cells (full) or only their stamps. */
static int secret_row(struct fh_store *st, int64_t cert_id, bool full, struct fh_rows *rows)
{
    struct fh_param p[] = {FH_PI(cert_id)};
    return fh_store_exec(st,
                         full ? "SELECT id, org_id, uid, status, not_after, vsdc_url, pfx_sealed, "
                                "password_sealed, pac_sealed, refused_at FROM certificates "
                                "WHERE id = $1"
                              : "SELECT id, org_id, uid, status, not_after, vsdc_url, "
                                "substr(pfx_sealed, 1, 35), substr(password_sealed, 1, 35), "
                                "substr(pac_sealed, 1, 35), refused_at FROM certificates "
                                "WHERE id = $1",
                         p, 1, rows);
}

void fh_cert_refused(struct fh_store *st, int64_t cert_id, const char *why, int64_t now)
{
    struct fh_param p[] = {FH_PI(cert_id), FH_PT(why), FH_PI(now)};
    int qs = fh_store_exec(st,
                           why ? "UPDATE certificates SET refused_at = $3, refused_reason = $2 "
                                 "WHERE id = $1 AND status = 'active'"
                               : "UPDATE certificates SET refused_at = NULL, refused_reason = NULL "
                                 "WHERE id = $1 AND refused_at IS NOT NULL",
                           p, why ? 3 : 1, NULL);
    if (qs < 0)
        fh_log(FH_LOG_WARN, "certificates", "certificate %lld: the V-SDC's %s was not recorded",
               (long long)cert_id, why ? "refusal" : "acceptance");
    else if (qs > 0 && why)
        fh_log(FH_LOG_WARN, "certificate_refused", "certificate %lld: %s", (long long)cert_id, why);
}

enum fh_rc fh_cert_secret_load(struct fh_store *st, const uint8_t master_key[32], int64_t cert_id,
                               struct fh_cert_secret *out)
{
    memset(out, 0, sizeof(*out));
    char stamp[FISCAL_CERT_STAMP_SIZE];
    struct fh_rows rows;
    int qs = secret_row(st, cert_id, false, &rows);
    if (qs > 0) {
        secret_meta(&rows, out);
        secret_stamp(&rows, stamp);
    }
    fh_rows_free(&rows);
    if (qs <= 0)
        return fh_qs_found_rc(qs);
    if (stamp[0] && fiscal_cert_cache_get(cert_id, stamp, master_key, out))
        return FH_OK;
    /* not cached: the whole row again, so the fields and the secrets opened agree */
    memset(out, 0, sizeof(*out));
    qs = secret_row(st, cert_id, true, &rows);
    if (qs <= 0) {
        fh_rows_free(&rows);
        return fh_qs_found_rc(qs);
    }
    secret_meta(&rows, out);
    secret_stamp(&rows, stamp);
    enum fh_rc rc = open_secrets(master_key, &rows, out);
    fh_rows_free(&rows);
    if (rc != FH_OK) {
        fh_log(FH_LOG_ERROR, "certificates",
               "certificate %lld: a sealed value does not open under the master key",
               (long long)cert_id);
        fh_cert_secret_free(out);
        return rc;
    }
    if (out->pfx)
        fh_cert_fingerprint(out, out->fingerprint);
    fiscal_cert_cache_put(cert_id, stamp, master_key, out);
    return FH_OK;
}

void fh_cert_fingerprint(const struct fh_cert_secret *s, char out[65])
{
    struct fh_buf b;
    fh_buf_init(&b, FH_PFX_MAX_BYTES * 2);
    fh_buf_append(&b, s->pfx, s->pfx_len);
    fh_buf_append(&b, "", 1);
    fh_buf_appendf(&b, "%s", s->password ? s->password : "");
    fh_sha256_hex(b.data, b.len, out);
    sodium_memzero(b.data, b.len);
    fh_buf_free(&b);
}

enum fh_rc fh_cert_state(struct fh_store *st, int64_t cert_id, char status[16],
                         int64_t *not_after_ms)
{
    struct fh_param p[] = {FH_PI(cert_id)};
    struct fh_rows rows;
    int qs =
        fh_store_exec(st, "SELECT status, not_after FROM certificates WHERE id = $1", p, 1, &rows);
    if (qs > 0) {
        fh_strlcpy(status, fh_rows_get(&rows, 0, 0), 16);
        *not_after_ms = fh_rows_i64(&rows, 0, 1, 0);
    }
    fh_rows_free(&rows);
    if (qs < 0)
        return fh_qs_rc(qs);
    return qs == 0 ? FH_E_NOTFOUND : FH_OK;
}

void fh_cert_secret_free(struct fh_cert_secret *s)
{
    if (!s)
        return;
    if (s->held) {
        fiscal_cert_cache_release(s->held);
    } else {
        if (s->pfx)
            sodium_memzero(s->pfx, s->pfx_len);
        if (s->password)
            sodium_memzero(s->password, strlen(s->password));
        if (s->pac)
            sodium_memzero(s->pac, strlen(s->pac));
        free(s->pfx);
        free(s->password);
        free(s->pac);
    }
    sodium_memzero(s, sizeof(*s));
}

struct revoke_ctx {
    int64_t org_id, now;
    const char *uid;
    bool found;
    int64_t id;
};

static int revoke_tx(struct fh_store *st, void *cls)
{
    struct revoke_ctx *c = cls;
    struct fh_param p[] = {FH_PI(c->org_id), FH_PT(c->uid), FH_PI(c->now)};
    struct fh_rows rows;
    int qs = fh_store_exec(
        st,
        "UPDATE certificates SET status = 'revoked', revoked_at = $3, pfx_sealed = NULL, "
        "password_sealed = NULL, pac_sealed = NULL "
        "WHERE org_id = $1 AND uid = $2 AND status = 'active' RETURNING id",
        p, 3, &rows);
    if (qs == 0) { /* already revoked, or no such UID */
        fh_rows_free(&rows);
        qs = fh_store_exec(st, "SELECT id FROM certificates WHERE org_id = $1 AND uid = $2", p, 2,
                           &rows);
    }
    c->found = qs > 0;
    c->id = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
    fh_rows_free(&rows);
    return qs;
}

enum fh_rc fh_cert_revoke(struct fh_store *st, int64_t org_id, const char *uid, int64_t now_ms)
{
    struct revoke_ctx c = {.org_id = org_id, .now = now_ms, .uid = uid};
    int qs = fh_store_run_tx(st, revoke_tx, &c);
    if (qs < 0)
        return fh_qs_rc(qs);
    if (c.found)
        fiscal_cert_cache_forget(c.id); /* its sealed cells are gone; so goes their copy */
    return c.found ? FH_OK : FH_E_NOTFOUND;
}

const char *fh_cert_shown_status(const char *stored, int64_t not_after_ms, bool refused,
                                 int64_t now_ms)
{
    if (!stored || strcmp(stored, "active") != 0)
        return stored;
    if (not_after_ms <= now_ms)
        return "expired";
    return refused ? "refused" : stored;
}

static json_t *row_json(const struct fh_rows *rows, size_t i, int64_t now_ms)
{
    const char *stored = fh_rows_get(rows, i, 8);
    bool active = strcmp(stored, "active") == 0;
    const char *status = fh_cert_shown_status(stored, fh_rows_i64(rows, i, 7, 0),
                                              fh_rows_get(rows, i, 11) != NULL, now_ms);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:o}", "uid",
                     fh_rows_get(rows, i, 0), "taxpayer", fh_rows_get(rows, i, 1), "tin",
                     fh_rows_get(rows, i, 2), "location", fh_rows_get(rows, i, 3), "address",
                     fh_rows_get(rows, i, 4), "vsdc_url", fh_rows_get(rows, i, 5), "api_url",
                     fh_rows_get(rows, i, 6), "expires_at", fh_json_time_cell(rows, i, 7), "status",
                     status, "created_at", fh_json_time_cell(rows, i, 9), "revoked_at",
                     fh_json_time_cell(rows, i, 10), "refused_at",
                     active ? fh_json_time_cell(rows, i, 11) : json_null(), "refused_reason",
                     fh_json_str_or_null(active ? fh_rows_get(rows, i, 12) : NULL));
}

enum fh_rc fh_cert_list_json(struct fh_store *st, int64_t org_id, const char *uid, int64_t now_ms,
                             json_t **out)
{
    *out = NULL;
#define LIST_SQL                                                                                   \
    "SELECT uid, taxpayer_name, tin, location_name, address, vsdc_url, api_url, not_after, "       \
    "status, "                                                                                     \
    "created_at, revoked_at, refused_at, refused_reason FROM certificates WHERE org_id = $1"
    struct fh_param p[] = {FH_PI(org_id), FH_PT(uid)};
    struct fh_rows rows;
    int qs = uid ? fh_store_exec(st, LIST_SQL " AND uid = $2", p, 2, &rows)
                 : fh_store_exec(st, LIST_SQL " ORDER BY created_at, id", p, 1, &rows);
#undef LIST_SQL
    if (qs < 0)
        return fh_qs_rc(qs);
    json_t *list = json_array();
    for (size_t i = 0; i < rows.nrows; i++)
        json_array_append_new(list, row_json(&rows, i, now_ms));
    fh_rows_free(&rows);
    *out = list;
    return FH_OK;
}
