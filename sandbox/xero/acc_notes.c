/* acc_notes.c - history records and attachments of invoices and credit notes (specs/xero.md
 * §2.6, §2.7), called by accounting.c under xs.lock.
 *
 * PUT .../History takes {"HistoryRecords":[{"Details":"..."}]}; each record is kept with
 * Changes "Note" and the app's name as User, and GET .../History lists them newest first next to
 * the records the emulator writes itself (Created, Approved, Payment Received, ...).
 * PUT and POST .../Attachments/{FileName} store the raw body under that name (a second upload
 * of a name replaces it); the MIME type is the request's Content-Type, or guessed from the file
 * name when that is application/octet-stream. At most max_attachments (10) per document and
 * max_attachment_bytes (10 MB) per file [S]; over either a ValidationException. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xero_internal.h"

#define MAX_DETAILS 10000

static struct x_doc *parent(struct acc_ctx *c)
{
    return doc_find(c->org, c->seg[1], sb_ieq(c->seg[0], "CreditNotes"));
}

enum fh_rc acc_history_get(struct acc_ctx *c)
{
    struct x_doc *d = parent(c);
    if (!d)
        return acc_not_found(c);
    json_t *arr = json_array();
    for (size_t i = d->history.n; i > 0; i--)
        json_array_append_new(arr, r_history(d->history.v[i - 1]));
    return acc_reply(c, 200, r_envelope(c->app->name, "HistoryRecords", arr));
}

static json_t *body_json(struct acc_ctx *c)
{
    json_error_t jerr;
    if (!c->req->body.len)
        return NULL;
    return json_loadb(c->req->body.data, c->req->body.len, JSON_REJECT_DUPLICATES, &jerr);
}

enum fh_rc acc_history_put(struct acc_ctx *c)
{
    struct x_doc *d = parent(c);
    if (!d)
        return acc_not_found(c);
    json_t *root = body_json(c), *recs = json_object_get(root, "HistoryRecords");
    if (!json_is_array(recs) || json_array_size(recs) == 0 || json_array_size(recs) > 100) {
        json_decref(root);
        return acc_validation(
            c, NULL,
            "The request body must be {\"HistoryRecords\":[{\"Details\":\"...\"}]} with 1 to "
            "100 records.");
    }
    size_t i;
    json_t *r;
    json_array_foreach(recs, i, r)
    {
        const char *details = sbj_str(r, "Details");
        if (!details || !*details || strlen(details) > MAX_DETAILS) {
            json_t *el = json_deep_copy(r);
            json_decref(root);
            return acc_validation(c, json_is_object(el) ? el : json_object(),
                                  "Details is required and must have at most 10000 characters.");
        }
    }
    json_t *out = json_array();
    json_array_foreach(recs, i, r)
    {
        doc_history(d, "Note", c->app->name, sbj_str(r, "Details"));
        const struct x_history *h = d->history.v[d->history.n - 1];
        json_t *j = r_history(h);
        json_object_del(j, "Changes");
        json_object_del(j, "User");
        json_object_set_new(j, "ValidationErrors", json_array());
        json_array_append_new(out, j);
    }
    sb_stat_add(&x_stats, "history", "notes_added", (int64_t)json_array_size(recs));
    json_decref(root);
    return acc_reply(c, 200, r_envelope(c->app->name, "HistoryRecords", out));
}

enum fh_rc acc_attachments_get(struct acc_ctx *c)
{
    struct x_doc *d = parent(c);
    if (!d)
        return acc_not_found(c);
    json_t *arr = json_array();
    for (size_t i = 0; i < d->attachments.n; i++)
        json_array_append_new(arr, r_attachment(d, d->attachments.v[i]));
    return acc_reply(c, 200, r_envelope(c->app->name, "Attachments", arr));
}

enum fh_rc acc_attachment_get(struct acc_ctx *c)
{
    struct x_doc *d = parent(c);
    struct x_attach *a = d ? doc_attachment(d, c->seg[3]) : NULL;
    if (!a)
        return acc_not_found(c);
    char *copy = fh_malloc(a->len ? a->len : 1);
    memcpy(copy, a->data, a->len);
    return acc_reply_raw(c, 200, a->mime, copy, a->len);
}

static const char *guess_mime(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {{".pdf", "application/pdf"},   {".png", "image/png"},
                 {".jpg", "image/jpeg"},        {".jpeg", "image/jpeg"},
                 {".gif", "image/gif"},         {".txt", "text/plain"},
                 {".csv", "text/csv"},          {".xml", "application/xml"},
                 {".json", "application/json"}, {".html", "text/html"}};
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < FH_ARRAY_LEN(types); i++)
        if (strcasecmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

enum fh_rc acc_attachment_put(struct acc_ctx *c)
{
    struct x_doc *d = parent(c);
    if (!d)
        return acc_not_found(c);
    const char *name = c->seg[3], *ct = fh_req_header(c->req, "Content-Type");
    size_t len = c->req->body.len;
    const char *problem = NULL;
    if (!*name || strlen(name) > 255)
        problem = "The file name must have 1 to 255 characters.";
    else if (len == 0)
        problem = "The file is empty.";
    else if ((int64_t)len > xs.set.max_attachment_bytes)
        problem = "The file is larger than the maximum attachment size.";
    else if (!doc_attachment(d, name) && (int64_t)d->attachments.n >= xs.set.max_attachments)
        problem = "The maximum number of attachments for this document has been reached.";
    if (problem) {
        json_t *el = json_pack("{s:s}", d->credit ? "CreditNoteID" : "InvoiceID", d->id);
        return acc_validation(c, el, problem);
    }
    char mime[128];
    fh_strlcpy(mime, ct && *ct ? ct : "application/octet-stream", sizeof(mime));
    mime[strcspn(mime, ";")] = '\0';
    if (strcasecmp(mime, "application/octet-stream") == 0)
        fh_strlcpy(mime, guess_mime(name), sizeof(mime));
    bool online = sb_ieq(fh_req_query(c->req, "IncludeOnline"), "true");
    struct x_attach *a = doc_attach(d, name, mime, (const uint8_t *)c->req->body.data, len, online);
    char details[400];
    snprintf(details, sizeof(details), "Attached the file %s through the Xero API using %s", name,
             c->app->name);
    doc_history(d, "Attached a file", "System Generated", details);
    sb_stat_add(&x_stats, "attachments", "stored", 1);
    return acc_reply(c, 200,
                     r_envelope(c->app->name, "Attachments", json_pack("[o]", r_attachment(d, a))));
}
