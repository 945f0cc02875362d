/* registry.c - the registry of issued client certificates, <data dir>/vsdc/registry.json (0600:
 * it holds the PACs): {"version":1,"taxpayers":[{uid, pac, name, tin, location, address,
 * district, revoked, issued_at, not_after}]}.
 *
 * Writers (`issue-cert` in another process, the control API) take the folder lock, read, change
 * and replace the file atomically. The running sandbox keeps a parsed copy and re-reads the file
 * whenever its inode, size or modification time changed, so a certificate issued while the
 * sandbox runs, or a revocation, counts from the next request on. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vsdc_internal.h"

#define REGISTRY_MAX (64 * 1024 * 1024)

static struct {
    pthread_mutex_t lock;
    char path[600];
    struct stat st;
    bool loaded;
    size_t n;
    struct vsdc_taxpayer *tps;
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void path_of(const char *dir, char *out, size_t outsize)
{
    snprintf(out, outsize, "%s/registry.json", dir);
}

static void copy_str(json_t *o, const char *key, char *dst, size_t size)
{
    const char *s = json_string_value(json_object_get(o, key));
    fh_strlcpy(dst, s ? s : "", size);
}

static bool parse_tp(json_t *o, struct vsdc_taxpayer *tp)
{
    memset(tp, 0, sizeof(*tp));
    copy_str(o, "uid", tp->uid, sizeof(tp->uid));
    copy_str(o, "pac", tp->pac, sizeof(tp->pac));
    copy_str(o, "name", tp->name, sizeof(tp->name));
    copy_str(o, "tin", tp->tin, sizeof(tp->tin));
    copy_str(o, "location", tp->location, sizeof(tp->location));
    copy_str(o, "address", tp->address, sizeof(tp->address));
    copy_str(o, "district", tp->district, sizeof(tp->district));
    tp->revoked = json_is_true(json_object_get(o, "revoked"));
    const char *t = json_string_value(json_object_get(o, "issued_at"));
    if (t)
        vsdc_parse_datetime(t, &tp->issued_ms);
    t = json_string_value(json_object_get(o, "not_after"));
    if (t)
        vsdc_parse_datetime(t, &tp->not_after_ms);
    return vsdc_uid_valid(tp->uid);
}

static json_t *tp_json(const struct vsdc_taxpayer *tp, bool with_pac)
{
    char issued[32], after[32];
    fh_time_fmt(tp->issued_ms, issued, sizeof(issued));
    fh_time_fmt(tp->not_after_ms, after, sizeof(after));
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s}", "uid", tp->uid, "name", tp->name,
                  "tin", tp->tin, "location", tp->location, "address", tp->address, "district",
                  tp->district, "revoked", tp->revoked, "issued_at", issued, "not_after", after);
    if (o && with_pac)
        json_object_set_new(o, "pac", json_string(tp->pac));
    return o;
}

/* Reads the file into a new array; a missing file is an empty registry. */
static enum fh_rc load(const char *path, struct vsdc_taxpayer **tps, size_t *n)
{
    *tps = NULL;
    *n = 0;
    size_t len = 0;
    char *text = vsdc_read_file(path, REGISTRY_MAX, &len);
    if (!text)
        return access(path, F_OK) == 0 ? FH_ERR : FH_OK;
    json_t *root = json_loadb(text, len, 0, NULL);
    free(text);
    json_t *arr = json_object_get(root, "taxpayers");
    if (!json_is_array(arr)) {
        json_decref(root);
        return FH_ERR;
    }
    *tps = fh_calloc(json_array_size(arr) + 1, sizeof(**tps));
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o)
    {
        if (parse_tp(o, &(*tps)[*n]))
            (*n)++;
    }
    json_decref(root);
    return FH_OK;
}

static enum fh_rc save(const char *path, const struct vsdc_taxpayer *tps, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, tp_json(&tps[i], true));
    json_t *root = json_pack("{s:i, s:o}", "version", 1, "taxpayers", arr);
    char *text = json_dumps(root, JSON_INDENT(1));
    json_decref(root);
    enum fh_rc rc = text ? vsdc_write_file(path, text, strlen(text), 0600) : FH_ERR;
    free(text);
    return rc;
}

/* Read-modify-write under the folder lock: add (tp) or set the revoked flag (uid). */
static enum fh_rc update(const char *dir, const struct vsdc_taxpayer *add, const char *uid,
                         bool revoked)
{
    char path[600];
    path_of(dir, path, sizeof(path));
    int lock = vsdc_dir_lock(dir);
    if (lock < 0)
        return FH_ERR;
    struct vsdc_taxpayer *tps;
    size_t n;
    enum fh_rc rc = load(path, &tps, &n);
    const char *key = add ? add->uid : uid;
    size_t at = n;
    for (size_t i = 0; rc == FH_OK && i < n; i++)
        if (strcmp(tps[i].uid, key) == 0)
            at = i;
    if (rc == FH_OK && add) {
        rc = at < n ? FH_E_CONFLICT : FH_OK;
        if (rc == FH_OK) {
            tps = fh_realloc(tps, (n + 1) * sizeof(*tps));
            tps[n++] = *add;
        }
    } else if (rc == FH_OK) {
        rc = at < n ? FH_OK : FH_E_NOTFOUND;
        if (rc == FH_OK)
            tps[at].revoked = revoked;
    }
    if (rc == FH_OK)
        rc = save(path, tps, n);
    free(tps);
    close(lock);
    return rc;
}

enum fh_rc vsdc_registry_add(const char *dir, const struct vsdc_taxpayer *tp)
{
    return update(dir, tp, NULL, false);
}

enum fh_rc vsdc_registry_set_revoked(const char *dir, const char *uid, bool revoked)
{
    return update(dir, NULL, uid, revoked);
}

/* Re-reads the file when it changed; call with cache.lock held. */
static void refresh(const char *dir)
{
    char path[600];
    path_of(dir, path, sizeof(path));
    struct stat st;
    memset(&st, 0, sizeof(st));
    bool exists = stat(path, &st) == 0;
    if (cache.loaded && strcmp(cache.path, path) == 0 && exists && st.st_ino == cache.st.st_ino &&
        st.st_size == cache.st.st_size && st.st_mtim.tv_sec == cache.st.st_mtim.tv_sec &&
        st.st_mtim.tv_nsec == cache.st.st_mtim.tv_nsec)
        return;
    struct vsdc_taxpayer *tps;
    size_t n;
    if (load(path, &tps, &n) != FH_OK) {
        fh_log(FH_LOG_WARN, "vsdc", "cannot read %s; keeping the previous registry", path);
        return;
    }
    free(cache.tps);
    cache.tps = tps;
    cache.n = n;
    cache.st = st;
    cache.loaded = true;
    fh_strlcpy(cache.path, path, sizeof(cache.path));
}

enum fh_rc vsdc_registry_find(const char *dir, const char *uid, struct vsdc_taxpayer *out)
{
    pthread_mutex_lock(&cache.lock);
    refresh(dir);
    enum fh_rc rc = FH_E_NOTFOUND;
    for (size_t i = 0; i < cache.n; i++)
        if (strcmp(cache.tps[i].uid, uid) == 0) {
            *out = cache.tps[i];
            rc = FH_OK;
            break;
        }
    pthread_mutex_unlock(&cache.lock);
    return rc;
}

json_t *vsdc_registry_list(const char *dir)
{
    pthread_mutex_lock(&cache.lock);
    refresh(dir);
    json_t *arr = json_array();
    for (size_t i = 0; i < cache.n; i++)
        json_array_append_new(arr, tp_json(&cache.tps[i], false));
    pthread_mutex_unlock(&cache.lock);
    return arr;
}

void vsdc_registry_cache_free(void)
{
    pthread_mutex_lock(&cache.lock);
    free(cache.tps);
    cache.tps = NULL;
    cache.n = 0;
    cache.loaded = false;
    pthread_mutex_unlock(&cache.lock);
}
