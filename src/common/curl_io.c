/* curl_io.c - a request body read once (no rewind) and an answer collected into a bounded
 * buffer, for libcurl (fh_curl.h). */
#include <string.h>

#include "fh/fh_curl.h"

static size_t on_read(char *buf, size_t size, size_t nitems, void *userdata)
{
    struct fh_curl_body *r = userdata;
    size_t n = size * nitems < r->left ? size * nitems : r->left;
    memcpy(buf, r->p, n);
    r->p += n;
    r->left -= n;
    return n;
}

static int on_seek(void *userdata, curl_off_t offset, int origin)
{
    FH_UNUSED(userdata);
    FH_UNUSED(offset);
    FH_UNUSED(origin);
    return CURL_SEEKFUNC_CANTSEEK;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct fh_buf *b = userdata;
    size_t n = size * nmemb;
    return fh_buf_append(b, ptr, n) == FH_OK ? n : 0; /* 0: libcurl stops (too large) */
}

void fh_curl_post_once(CURL *h, struct fh_curl_body *b, const char *p, size_t len)
{
    b->p = p;
    b->left = len;
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, b);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
}

void fh_curl_collect(CURL *h, struct fh_buf *buf)
{
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, buf);
}
