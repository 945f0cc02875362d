/* log.c - structured JSON log lines on stderr, one write(2) per line so threads never interleave.
 * The request id of the calling thread is attached to every line logged while it is set. */
#include "fh/fh_common.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum fh_log_level min_level = FH_LOG_INFO;
static _Thread_local char request_id[40];

void fh_log_set_level(enum fh_log_level lvl)
{
    min_level = lvl;
}

void fh_log_set_request_id(const char *rid)
{
    fh_strlcpy(request_id, rid ? rid : "", sizeof(request_id));
}

const char *fh_log_request_id(void)
{
    return request_id;
}

static void json_escape(struct fh_buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fh_buf_appendf(b, "\\%c", c);
        else if (c < 0x20)
            fh_buf_appendf(b, "\\u%04x", c);
        else
            fh_buf_append(b, s, 1);
    }
}

void fh_log(enum fh_log_level lvl, const char *event, const char *fmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if (lvl < min_level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    char ts[32];
    fh_time_fmt(fh_now_ms(), ts, sizeof(ts));
    struct fh_buf b;
    fh_buf_init(&b, 16384);
    fh_buf_appendf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"event\":\"", ts, names[lvl]);
    json_escape(&b, event);
    fh_buf_appendf(&b, "\"");
    if (request_id[0]) {
        fh_buf_appendf(&b, ",\"request_id\":\"");
        json_escape(&b, request_id);
        fh_buf_appendf(&b, "\"");
    }
    fh_buf_appendf(&b, ",\"msg\":\"");
    json_escape(&b, msg);
    fh_buf_appendf(&b, "\"}\n");
    if (b.data) {
        ssize_t off = 0;
        while ((size_t)off < b.len) {
            ssize_t w = write(STDERR_FILENO, b.data + off, b.len - (size_t)off);
            if (w <= 0)
                break;
            off += w;
        }
    }
    fh_buf_free(&b);
}
