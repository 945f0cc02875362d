/* static.c - serves the built portal from the web directory. Hashed assets (/assets/...) are
 * cached for a year as immutable; everything else, index.html above all, is revalidated. Paths
 * that are not files fall back to index.html (client-side routes), except under /assets/ where
 * a missing file is a plain 404. Every HTML reply carries a strict Content-Security-Policy. */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fh/fh_http.h"
#include "http_internal.h"

static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                          "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
                          "frame-ancestors 'none'; form-action 'self'";

/* Only plain relative paths made of safe characters, no "..", no hidden files. */
static bool path_safe(const char *p)
{
    if (strlen(p) > 512)
        return false;
    for (const char *c = p; *c; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                  *c == '/' || *c == '.' || *c == '-' || *c == '_';
        if (!ok)
            return false;
    }
    return strstr(p, "/.") == NULL && p[0] != '.';
}

static int open_regular(const char *dir, const char *rel, struct stat *sb)
{
    char *full = fh_asprintf("%s/%s", dir, rel);
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    free(full);
    if (fd < 0)
        return -1;
    if (fstat(fd, sb) != 0 || !S_ISREG(sb->st_mode)) {
        close(fd);
        return -1;
    }
    return fd;
}

enum fh_rc fh_serve_static(struct fh_req *req)
{
    const char *dir = req->app->cfg->web_dir;
    const char *rel = req->path[0] == '/' ? req->path + 1 : req->path;
    bool asset = fh_starts_with(rel, "assets/");
    struct stat sb;
    int fd = -1;
    const char *served = "index.html";
    if (*rel && path_safe(rel)) {
        fd = open_regular(dir, rel, &sb);
        if (fd >= 0)
            served = rel;
    }
    if (fd < 0 && asset)
        return fh_reply_error(req, FH_EC_NOT_FOUND, "no such asset %s", req->path);
    if (fd < 0)
        fd = open_regular(dir, "index.html", &sb);
    if (fd < 0)
        return fh_reply_error(req, FH_EC_NOT_FOUND, "%s",
                              "the portal is not built (run make) or FISCALHUB_WEB_DIR is wrong");
    struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
    if (!resp) {
        close(fd);
        return fh_reply_error(req, FH_EC_INTERNAL, "%s", "cannot read a web file");
    }
    const char *type = fh_mime_type(served);
    MHD_add_response_header(resp, "Content-Type", type);
    if (asset)
        MHD_add_response_header(resp, "Cache-Control", "public, max-age=31536000, immutable");
    else
        MHD_add_response_header(resp, "Cache-Control", "no-cache");
    if (fh_starts_with(type, "text/html"))
        MHD_add_response_header(resp, "Content-Security-Policy", csp);
    return fh_http_queue(req, 200, resp);
}
