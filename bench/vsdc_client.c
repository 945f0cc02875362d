/* vsdc_client.c - the baseline of benchmark 2 (bench/fiscalize.mjs): the least a client must do
 * to have invoices signed by the V-SDC. For each certificate one thread and one libcurl handle,
 * so one kept-alive mutual-TLS connection per certificate, with the PFX given from memory
 * (CURLOPT_SSLCERT_BLOB, type P12) exactly as fiscalhub's TaxCore client does; it POSTs the
 * certificate's requests one after another and checks each answer is 200 with an invoiceNumber.
 * Nothing is stored.
 *
 *   fh-bench-vsdc-client <url> <ca.pem> <dir> <n>
 *
 * <dir> holds, per certificate i in 0..n-1: i.pfx, i.password, i.pac, and i.jobs, one request a
 * line: "<RequestId>\t<JSON body on one line>". Prints one JSON line:
 *   {"posts": N, "ok": N, "seconds": S, "connects": C, "cpu_seconds": U}
 * where connects is the connections libcurl opened (n when every connection was kept alive) and
 * cpu_seconds the client's own CPU time (user + system).
 * Exit status 1 when a request failed. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

struct cert {
    int index;
    const char *url, *ca, *dir;
    char *pfx, *password, *pac, *jobs;
    size_t pfx_len, jobs_len;
    long posts, ok, connects;
    char error[300];
};

struct answer {
    char *data;
    size_t len;
};

static char *slurp(const char *dir, int i, const char *ext, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%d.%s", dir, i, ext);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        fclose(f);
        return NULL;
    }
    fclose(f);
    b[n] = '\0';
    if (len)
        *len = (size_t)n;
    return b;
}

static size_t on_data(char *p, size_t size, size_t n, void *userdata)
{
    struct answer *a = userdata;
    size_t add = size * n;
    char *d = realloc(a->data, a->len + add + 1);
    if (!d)
        return 0;
    memcpy(d + a->len, p, add);
    a->data = d;
    a->len += add;
    a->data[a->len] = '\0';
    return add;
}

static void *run(void *arg)
{
    struct cert *c = arg;
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(c->error, sizeof(c->error), "curl_easy_init failed");
        return NULL;
    }
    char url[1024], pac[64];
    snprintf(url, sizeof(url), "%s/api/v3/invoices", c->url);
    snprintf(pac, sizeof(pac), "PAC: %s", c->pac);
    struct curl_blob blob = {.data = c->pfx, .len = c->pfx_len, .flags = CURL_BLOB_COPY};
    curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &blob);
    curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "P12");
    curl_easy_setopt(h, CURLOPT_KEYPASSWD, c->password);
    curl_easy_setopt(h, CURLOPT_CAINFO, c->ca);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 40000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    for (char *line = c->jobs; line && *line;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        char *tab = strchr(line, '\t');
        if (!tab)
            break;
        *tab = '\0';
        char rid[80];
        snprintf(rid, sizeof(rid), "RequestId: %s", line);
        struct curl_slist *hd = NULL;
        hd = curl_slist_append(hd, pac);
        hd = curl_slist_append(hd, rid);
        hd = curl_slist_append(hd, "Accept: application/json");
        hd = curl_slist_append(hd, "Content-Type: application/json");
        hd = curl_slist_append(hd, "Accept-Language: en-US");
        struct answer a = {0};
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, tab + 1);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
        CURLcode rc = curl_easy_perform(h);
        long status = 0, conns = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &conns);
        c->connects += conns;
        c->posts++;
        if (rc == CURLE_OK && status == 200 && a.data && strstr(a.data, "\"invoiceNumber\""))
            c->ok++;
        else if (!c->error[0])
            snprintf(c->error, sizeof(c->error), "cert %d request %s: curl %d, HTTP %ld", c->index,
                     line, (int)rc, status);
        free(a.data);
        curl_slist_free_all(hd);
        line = end ? end + 1 : NULL;
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
    if (argc != 5) {
        fprintf(stderr, "usage: %s <url> <ca.pem> <dir> <n>\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[4]);
    if (n <= 0 || n > 256) {
        fprintf(stderr, "n must be 1..256\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct cert *certs = calloc((size_t)n, sizeof(*certs));
    pthread_t *t = calloc((size_t)n, sizeof(*t));
    if (!certs || !t)
        return 1;
    for (int i = 0; i < n; i++) {
        struct cert *c = &certs[i];
        c->index = i;
        c->url = argv[1];
        c->ca = argv[2];
        c->dir = argv[3];
        c->pfx = slurp(c->dir, i, "pfx", &c->pfx_len);
        c->password = slurp(c->dir, i, "password", NULL);
        c->pac = slurp(c->dir, i, "pac", NULL);
        c->jobs = slurp(c->dir, i, "jobs", &c->jobs_len);
        if (!c->pfx || !c->password || !c->pac || !c->jobs) {
            fprintf(stderr, "missing files of certificate %d in %s\n", i, c->dir);
            return 2;
        }
    }
    double t0 = now_s();
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, run, &certs[i]);
    long posts = 0, ok = 0, connects = 0;
    const char *error = NULL;
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        posts += certs[i].posts;
        ok += certs[i].ok;
        connects += certs[i].connects;
        if (certs[i].error[0] && !error)
            error = certs[i].error;
    }
    double secs = now_s() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    printf("{\"posts\": %ld, \"ok\": %ld, \"seconds\": %.4f, \"connects\": %ld, "
           "\"cpu_seconds\": %.4f}\n",
           posts, ok, secs, connects, cpu);
    if (error)
        fprintf(stderr, "%s\n", error);
    for (int i = 0; i < n; i++) {
        free(certs[i].pfx);
        free(certs[i].password);
        free(certs[i].pac);
        free(certs[i].jobs);
    }
    free(certs);
    free(t);
    curl_global_cleanup();
    return error || ok != posts ? 1 : 0;
}
