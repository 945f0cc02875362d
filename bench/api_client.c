/* api_client.c - the client side of benchmark 2 (bench/fiscalize.mjs): submits invoices to
 * fiscalhub's public API (POST /api/v1/invoices, HTTP Basic with an API key) as cheaply as the
 * baseline client talks to the V-SDC, so that the CPU of the machine goes to fiscalhub and the
 * emulator, not to the load generator (a node client cost 0.8 ms of CPU per invoice, almost as
 * much as fiscalhub itself).
 *
 *   fh-bench-api-client <base url> <dir> <keys> <invoices> <connections> <tag>
 *
 * <dir>/i.auth (i in 0..keys-1) holds the Authorization header value of API key i. Invoice j
 * (0..invoices-1) goes with key j % keys, source_id and POS number "<tag>-<j>", the canonical
 * invoice of tests/lib/fiscal.mjs (one item of 100.87, label A, cash). <connections> threads,
 * each with one kept-alive connection, take the next invoice in turn. Prints one JSON line:
 *   {"posts": N, "ok": N, "seconds": S, "start_ms": T, "cpu_seconds": U}
 * (start_ms: Unix ms just before the first request). Exit status 1 when an answer was not 200
 * or 202. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

struct shared {
    const char *url, *tag;
    char **auth;
    long keys, invoices;
    atomic_long next, ok, posts;
    atomic_bool failed;
    char error[300];
    pthread_mutex_t lock;
};

static size_t discard(char *p, size_t size, size_t n, void *userdata)
{
    (void)p;
    (void)userdata;
    return size * n;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    return strdup(buf);
}

static void *run(void *arg)
{
    struct shared *s = arg;
    CURL *h = curl_easy_init();
    if (!h)
        return NULL;
    char url[1024];
    snprintf(url, sizeof(url), "%s/api/v1/invoices", s->url);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    for (long j; (j = atomic_fetch_add(&s->next, 1)) < s->invoices && !atomic_load(&s->failed);) {
        char body[1024], auth[600];
        snprintf(body, sizeof(body),
                 "{\"source_id\":\"%s-%ld\",\"invoice\":{\"invoice_type\":\"normal\","
                 "\"transaction_type\":\"sale\",\"cashier\":\"Ana\",\"pos_invoice_number\":"
                 "\"%s-%ld\",\"payments\":[{\"method\":\"cash\",\"amount\":\"100.87\"}],"
                 "\"items\":[{\"gtin\":\"12345678\",\"name\":\"Cable\",\"quantity\":\"1\","
                 "\"unit_price\":\"100.87\",\"labels\":[\"A\"],\"total\":\"100.87\"}]}}",
                 s->tag, j, s->tag, j);
        snprintf(auth, sizeof(auth), "Authorization: %s", s->auth[j % s->keys]);
        struct curl_slist *hd = NULL;
        hd = curl_slist_append(hd, auth);
        hd = curl_slist_append(hd, "Content-Type: application/json");
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        CURLcode rc = curl_easy_perform(h);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(hd);
        atomic_fetch_add(&s->posts, 1);
        if (rc == CURLE_OK && (status == 202 || status == 200)) {
            atomic_fetch_add(&s->ok, 1);
        } else if (!atomic_exchange(&s->failed, true)) {
            pthread_mutex_lock(&s->lock);
            snprintf(s->error, sizeof(s->error), "invoice %ld: curl %d, HTTP %ld", j, (int)rc,
                     status);
            pthread_mutex_unlock(&s->lock);
        }
    }
    curl_easy_cleanup(h);
    return NULL;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: %s <base url> <dir> <keys> <invoices> <connections> <tag>\n",
                argv[0]);
        return 2;
    }
    struct shared s = {.url = argv[1], .tag = argv[6], .keys = atol(argv[3]),
                       .invoices = atol(argv[4]), .lock = PTHREAD_MUTEX_INITIALIZER};
    long conns = atol(argv[5]);
    if (s.keys < 1 || s.keys > 1000 || s.invoices < 0 || conns < 1 || conns > 256)
        return 2;
    s.auth = calloc((size_t)s.keys, sizeof(*s.auth));
    for (long i = 0; i < s.keys; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%ld.auth", argv[2], i);
        if (!(s.auth[i] = slurp(path))) {
            fprintf(stderr, "cannot read %s\n", path);
            return 2;
        }
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_t *t = calloc((size_t)conns, sizeof(*t));
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    double t0 = now_s();
    for (long i = 0; i < conns; i++)
        pthread_create(&t[i], NULL, run, &s);
    for (long i = 0; i < conns; i++)
        pthread_join(t[i], NULL);
    double secs = now_s() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    printf("{\"posts\": %ld, \"ok\": %ld, \"seconds\": %.4f, \"start_ms\": %lld, "
           "\"cpu_seconds\": %.4f}\n",
           atomic_load(&s.posts), atomic_load(&s.ok), secs,
           (long long)wall.tv_sec * 1000 + wall.tv_nsec / 1000000, cpu);
    if (s.error[0])
        fprintf(stderr, "%s\n", s.error);
    for (long i = 0; i < s.keys; i++)
        free(s.auth[i]);
    free(s.auth);
    free(t);
    curl_global_cleanup();
    return atomic_load(&s.ok) == s.invoices ? 0 : 1;
}
