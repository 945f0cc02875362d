/* metrics.c - Prometheus text exposition: requests by route and status, a latency histogram
 * per route, the job queue depth (read from the store at scrape time) and job outcomes.
 * Counters are lock-free atomics indexed by route and status, so observing costs no lock. */
#include <stdlib.h>
#include <string.h>

#include "fh/fh_http.h"

#define STATUS_SLOTS 500 /* statuses 100..599 */
static const int64_t buckets_ms[] = {1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
#define NBUCKETS (sizeof(buckets_ms) / sizeof(buckets_ms[0]))

struct route_metrics {
    atomic_uint_fast64_t status[STATUS_SLOTS];
    atomic_uint_fast64_t bucket[NBUCKETS + 1];
    atomic_uint_fast64_t sum_ms;
};

struct fh_metrics {
    size_t nslots; /* nroutes + 1: the last slot is static files and unmatched paths */
    struct route_metrics *r;
};

struct fh_metrics *fh_metrics_new(size_t nroutes)
{
    struct fh_metrics *m = fh_calloc(1, sizeof(*m));
    m->nslots = nroutes + 1;
    m->r = fh_calloc(m->nslots, sizeof(*m->r));
    return m;
}

void fh_metrics_free(struct fh_metrics *m)
{
    if (!m)
        return;
    free(m->r);
    free(m);
}

void fh_metrics_observe(struct fh_metrics *m, int route_index, unsigned int status, int64_t ms)
{
    size_t slot = route_index >= 0 && (size_t)route_index < m->nslots - 1 ? (size_t)route_index
                                                                           : m->nslots - 1;
    struct route_metrics *r = &m->r[slot];
    if (status >= 100 && status < 100 + STATUS_SLOTS)
        atomic_fetch_add(&r->status[status - 100], 1);
    size_t b = 0;
    while (b < NBUCKETS && ms > buckets_ms[b])
        b++;
    atomic_fetch_add(&r->bucket[b], 1);
    atomic_fetch_add(&r->sum_ms, (uint_fast64_t)(ms < 0 ? 0 : ms));
}

static void route_label(const struct fh_app *app, size_t slot, struct fh_buf *out)
{
    if (slot < app->nroutes)
        fh_buf_appendf(out, "route=\"%s %s\"", app->routes[slot].method, app->routes[slot].pattern);
    else
        fh_buf_appendf(out, "route=\"static\"");
}

static void render_routes(struct fh_app *app, struct fh_buf *out)
{
    struct fh_metrics *m = app->metrics;
    fh_buf_appendf(out, "# HELP fiscalhub_http_requests_total HTTP requests by route and status.\n"
                        "# TYPE fiscalhub_http_requests_total counter\n");
    for (size_t s = 0; s < m->nslots; s++) {
        for (size_t st = 0; st < STATUS_SLOTS; st++) {
            uint64_t n = atomic_load(&m->r[s].status[st]);
            if (!n)
                continue;
            fh_buf_appendf(out, "fiscalhub_http_requests_total{");
            route_label(app, s, out);
            fh_buf_appendf(out, ",status=\"%zu\"} %llu\n", st + 100, (unsigned long long)n);
        }
    }
    fh_buf_appendf(out, "# HELP fiscalhub_http_request_duration_ms Request latency in milliseconds.\n"
                        "# TYPE fiscalhub_http_request_duration_ms histogram\n");
    for (size_t s = 0; s < m->nslots; s++) {
        uint64_t cum = 0;
        for (size_t b = 0; b <= NBUCKETS; b++)
            cum += atomic_load(&m->r[s].bucket[b]);
        if (!cum)
            continue;
        uint64_t total = cum;
        cum = 0;
        for (size_t b = 0; b <= NBUCKETS; b++) {
            cum += atomic_load(&m->r[s].bucket[b]);
            fh_buf_appendf(out, "fiscalhub_http_request_duration_ms_bucket{");
            route_label(app, s, out);
            if (b < NBUCKETS)
                fh_buf_appendf(out, ",le=\"%lld\"} %llu\n", (long long)buckets_ms[b], (unsigned long long)cum);
            else
                fh_buf_appendf(out, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
        }
        fh_buf_appendf(out, "fiscalhub_http_request_duration_ms_sum{");
        route_label(app, s, out);
        fh_buf_appendf(out, "} %llu\nfiscalhub_http_request_duration_ms_count{", (unsigned long long)atomic_load(&m->r[s].sum_ms));
        route_label(app, s, out);
        fh_buf_appendf(out, "} %llu\n", (unsigned long long)total);
    }
}

enum fh_rc fh_metrics_render(struct fh_app *app, struct fh_buf *out)
{
    render_routes(app, out);
    struct fh_queue_depth d;
    if (fh_queue_depth(app->store, fh_now_ms(), &d) == FH_OK) {
        fh_buf_appendf(out,
                       "# HELP fiscalhub_jobs_queue_depth Jobs by state.\n"
                       "# TYPE fiscalhub_jobs_queue_depth gauge\n"
                       "fiscalhub_jobs_queue_depth{state=\"ready\"} %lld\n"
                       "fiscalhub_jobs_queue_depth{state=\"due\"} %lld\n"
                       "fiscalhub_jobs_queue_depth{state=\"held\"} %lld\n"
                       "fiscalhub_jobs_queue_depth{state=\"running\"} %lld\n"
                       "fiscalhub_jobs_queue_depth{state=\"dead\"} %lld\n",
                       (long long)d.ready, (long long)d.due_ready, (long long)d.held,
                       (long long)d.running, (long long)d.dead);
    }
    struct fh_job_outcomes o = {0};
    if (app->runner)
        fh_runner_outcomes(app->runner, &o);
    fh_buf_appendf(out,
                   "# HELP fiscalhub_jobs_outcomes_total Job attempts by outcome in this process.\n"
                   "# TYPE fiscalhub_jobs_outcomes_total counter\n"
                   "fiscalhub_jobs_outcomes_total{outcome=\"done\"} %llu\n"
                   "fiscalhub_jobs_outcomes_total{outcome=\"retried\"} %llu\n"
                   "fiscalhub_jobs_outcomes_total{outcome=\"dead\"} %llu\n"
                   "fiscalhub_jobs_outcomes_total{outcome=\"lost_lease\"} %llu\n"
                   "fiscalhub_jobs_outcomes_total{outcome=\"deferred\"} %llu\n",
                   (unsigned long long)o.done, (unsigned long long)o.retried, (unsigned long long)o.dead,
                   (unsigned long long)o.lost_lease, (unsigned long long)o.deferred);
    fh_buf_appendf(
        out,
        "# HELP fiscalhub_store_full 1 while the store refuses writes for lack of space.\n"
        "# TYPE fiscalhub_store_full gauge\n"
        "fiscalhub_store_full %d\n",
        fh_store_full_since() ? 1 : 0);
    return out->len < out->max ? FH_OK : FH_E_LIMIT;
}
