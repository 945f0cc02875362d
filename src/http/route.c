/* route.c - path pattern matching for the static route table and MIME types for web files. */
#include <stdlib.h>
#include <string.h>

#include "fh/fh_http.h"

bool fh_route_match(const char *pattern, const char *path, const char **names, char **values,
                    size_t *nparams)
{
    size_t n = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close || n >= FH_MAX_PATH_PARAMS)
                goto fail;
            const char *seg_end = strchr(s, '/');
            size_t seglen = seg_end ? (size_t)(seg_end - s) : strlen(s);
            if (seglen == 0 || seglen > 128)
                goto fail;
            names[n] = p + 1; /* name runs to '}' ; callers compare with fh_req_param */
            values[n] = fh_strndup(s, seglen);
            n++;
            p = close + 1;
            s += seglen;
            continue;
        }
        if (*p != *s)
            goto fail;
        p++;
        s++;
    }
    if (*p || *s)
        goto fail;
    *nparams = n;
    return true;
fail:
    for (size_t i = 0; i < n; i++) {
        free(values[i]);
        values[i] = NULL;
    }
    *nparams = 0;
    return false;
}

const char *fh_mime_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
        {".map", "application/json"},
        {".webmanifest", "application/manifest+json"},
    };
    const char *dot = strrchr(path, '.');
    if (dot && !strchr(dot, '/')) {
        for (size_t i = 0; i < FH_ARRAY_LEN(types); i++) {
            if (strcmp(dot, types[i].ext) == 0)
                return types[i].type;
        }
    }
    return "application/octet-stream";
}
