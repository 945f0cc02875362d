/* fh_common.h - return codes, allocation that aborts on OOM, bounded buffers, time, logging. */
#ifndef FH_COMMON_H
#define FH_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fh_rc {
    FH_OK = 0,
    FH_DONE = 1,     /* ok, and already recorded: a job handler that completed its own job */
    FH_LATER = 2,    /* not now: a job handler that put its job back (fh_job_release) */
    FH_ERR = -1,     /* generic failure, already logged */
    FH_E_RETRY = -2, /* transient: try again later */
    FH_E_NOTFOUND = -3,
    FH_E_LIMIT = -4, /* a bound was exceeded */
    FH_E_INPUT = -5, /* malformed input */
    FH_E_CONFLICT = -6,
    FH_E_BUSY = -7, /* another caller is doing the same thing right now */
};

#define FH_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define FH_UNUSED(x) ((void)(x))

/* Allocation: never returns NULL, aborts the process on exhaustion. */
void *fh_malloc(size_t n);
void *fh_calloc(size_t count, size_t n);
void *fh_realloc(void *p, size_t n);
char *fh_strdup(const char *s);
char *fh_strndup(const char *s, size_t n);
/* Returns a newly allocated formatted string; caller frees. */
char *fh_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Bounded buffer: refuses to grow past max (curl dynbuf style). Always NUL-terminated. */
struct fh_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
};
void fh_buf_init(struct fh_buf *b, size_t max);
enum fh_rc fh_buf_append(struct fh_buf *b, const void *p, size_t n);
enum fh_rc fh_buf_appendf(struct fh_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void fh_buf_reset(struct fh_buf *b);
void fh_buf_free(struct fh_buf *b);
/* Hands the data to the caller (who frees it) and resets the buffer. */
char *fh_buf_steal(struct fh_buf *b);

/* Copies at most dstsize-1 bytes; returns false if truncated. */
bool fh_strlcpy(char *dst, const char *src, size_t dstsize);
/* Strict decimal parse of the whole string; false on junk or overflow. */
bool fh_parse_i64(const char *s, int64_t *out);
/* Case-sensitive prefix test. */
bool fh_starts_with(const char *s, const char *prefix);

/* Time */
int64_t fh_now_ms(void);  /* wall clock, Unix ms */
int64_t fh_mono_ms(void); /* monotonic ms */
void fh_sleep_ms(int64_t ms);
/* Formats Unix ms as RFC 3339 UTC "2026-11-21T10:00:00.000Z" into out (>= 25 bytes). */
void fh_time_fmt(int64_t ms, char *out, size_t outsize);

/* Logging: one JSON object per line on stderr, with the thread's request id when set. */
enum fh_log_level { FH_LOG_DEBUG, FH_LOG_INFO, FH_LOG_WARN, FH_LOG_ERROR };
void fh_log_set_level(enum fh_log_level lvl);
/* Sets the request id of the calling thread ("" or NULL clears it). */
void fh_log_set_request_id(const char *rid);
const char *fh_log_request_id(void);
void fh_log(enum fh_log_level lvl, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define FH_LOG_INFO_(ev, ...) fh_log(FH_LOG_INFO, ev, __VA_ARGS__)

#endif
