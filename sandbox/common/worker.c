/* worker.c - the emulators' webhook senders (moved here from the Xero emulator): one background
 * thread per emulator that calls the emulator's step function under the worker's lock and
 * sleeps on a condition variable as long as step says, and a blocking HTTP POST with libcurl
 * that the step function calls with the lock released (on copies of what it sends). */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"

static void *thread_main(void *arg)
{
    struct sb_worker *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        int64_t wait = w->step();
        if (wait <= 0 || w->stop)
            continue;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = ts.tv_nsec + (wait % 1000) * 1000000;
        ts.tv_sec += wait / 1000 + ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        pthread_cond_timedwait(&w->cond, &w->lock, &ts);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

enum fh_rc sb_worker_start(struct sb_worker *w, const char *name)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    w->stop = false;
    if (pthread_create(&w->thread, NULL, thread_main, w) != 0) {
        fh_log(FH_LOG_ERROR, name, "cannot start the webhook thread");
        curl_global_cleanup();
        return FH_ERR;
    }
    w->running = true;
    return FH_OK;
}

void sb_worker_stop(struct sb_worker *w)
{
    if (!w->running)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    w->running = false;
    curl_global_cleanup();
}

void sb_worker_wake(struct sb_worker *w)
{
    pthread_cond_signal(&w->cond);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    FH_UNUSED(p);
    *(size_t *)ud += size * n;
    return size * n;
}

void sb_post(const char *url, const char *body, size_t len, const char *const *headers,
             int64_t timeout_ms, struct sb_post_result *r)
{
    memset(r, 0, sizeof(*r));
    CURL *h = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    for (size_t i = 0; headers && headers[i]; i++)
        hdrs = curl_slist_append(hdrs, headers[i]);
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->body_len);
    int64_t t0 = fh_mono_ms();
    CURLcode rc = curl_easy_perform(h);
    r->ms = fh_mono_ms() - t0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    else
        snprintf(r->error, sizeof(r->error), "%s", curl_easy_strerror(rc));
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
}
