/* receiver_internal.h - the receiver's state, shared by receive.c and control.c. */
#ifndef FH_RECEIVER_INTERNAL_H
#define FH_RECEIVER_INTERNAL_H

#include <jansson.h>
#include <pthread.h>

#include "receiver.h"

#define RCV_MAX_HOOKS 256
#define RCV_MAX_RECORDS 2000      /* per hook; the oldest go first */
#define RCV_MAX_BODY (256 * 1024) /* bytes of a body kept */
#define RCV_NAME_MAX 64

/* One request as it arrived and what the receiver answered. */
struct rcv_record {
    int64_t received_at; /* Unix ms */
    unsigned int status; /* the answer */
    char outcome[16];    /* "accepted", "failed" (injected), "rejected" (signature) */
    char event_id[64], type[64];
    int signature; /* 1 valid, 0 invalid, -1 not checked (no secret) */
    char signature_error[96];
    bool duplicate;  /* accepted before under the same event id */
    json_t *headers; /* lower-case name -> value */
    char *body;
};

struct rcv_hook {
    char name[RCV_NAME_MAX + 1];
    char *secret;        /* NULL: signatures are not checked */
    int64_t tolerance_s; /* allowed |now - t| (300) */
    bool reject_invalid; /* answer 400 to a bad signature (true) */
    unsigned int fail_status;
    int64_t fail_until, fail_count; /* Unix ms; requests left */
    int64_t slow_ms, slow_until, slow_count;
    int64_t requests, accepted, failed, rejected, duplicates;
    struct rcv_record *recs; /* ring of RCV_MAX_RECORDS */
    size_t nrecs, first;
};

extern pthread_mutex_t rcv_lock;
/* The hook called name, created with the defaults when missing (NULL when the table is full).
 * Call with rcv_lock held. */
struct rcv_hook *rcv_hook_get(const char *name, bool create);
void rcv_hook_free(struct rcv_hook *h);
void rcv_hooks_clear(void);
/* Forgets one hook (rcv_lock held); false when there is none of that name. */
bool rcv_hook_delete(const char *name);
/* Every hook, for listing (rcv_lock held). */
struct rcv_hook **rcv_hooks(size_t *n);
bool rcv_name_ok(const char *name);
/* The record i (0 = oldest) of h. */
const struct rcv_record *rcv_record_at(const struct rcv_hook *h, size_t i);

/* The route handlers of control.c and receive.c. */
enum fh_rc rcv_hook_post(struct fh_req *req);
enum fh_rc rcv_control_list(struct fh_req *req);
enum fh_rc rcv_control_put(struct fh_req *req);
enum fh_rc rcv_control_get(struct fh_req *req);
enum fh_rc rcv_control_delete(struct fh_req *req);
enum fh_rc rcv_control_reset(struct fh_req *req);

#endif
