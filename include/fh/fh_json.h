/* fh_json.h - declarative JSON input: an array of field specs parses, validates and, on any
 * problem, answers 400 with the error naming the field, in one call. Unknown fields are
 * refused, so a typo never silently drops a value. */
#ifndef FH_JSON_H
#define FH_JSON_H

#include <jansson.h>

#include "fh/fh_common.h"
#include "fh/fh_err.h"

struct fh_req;

enum fh_jtype { FH_J_STRING, FH_J_INT, FH_J_BOOL, FH_J_OBJECT, FH_J_ARRAY, FH_J_ENUM };

struct fh_jspec {
    const char *name;
    enum fh_jtype type;
    bool optional;
    size_t min;                  /* strings: min bytes; arrays: min elements; ints: unused */
    size_t max;                  /* strings: max bytes; arrays: max elements (0: 1000 / 10000) */
    int64_t imin, imax;          /* ints: inclusive range when imin < imax */
    const char *const *choices;  /* FH_J_ENUM: NULL-terminated list */
    void *out; /* STRING/ENUM: const char ** (borrowed from the root); INT: int64_t *;
                  BOOL: bool *; OBJECT/ARRAY: json_t ** (borrowed) */
    bool *present; /* optional: set to whether the field was given */
};

#define FH_JSPEC_END {.name = NULL}

/* Caps applied to every parsed document. */
#define FH_JSON_MAX_DEPTH 32

struct fh_json_error {
    enum fh_ec ec;
    char detail[200];
};

/* Parses text (len bytes) with depth cap; *root is a new reference the caller decrefs. */
enum fh_rc fh_json_parse(const char *text, size_t len, json_t **root, struct fh_json_error *err);
/* Validates obj against specs and fills the outs. */
enum fh_rc fh_json_apply(json_t *obj, const struct fh_jspec *specs, struct fh_json_error *err);

/* For a large object of which only a few top-level strings matter (the V-SDC's signed answer):
 * checks that text (len bytes) is one JSON object that json_loadb would accept (a member named
 * twice counts with its last value), its arrays and objects nested at most FH_JSON_MAX_DEPTH
 * deep, without building it (src/json/pick.c), and copies out the top-level members named
 * names[0..n-1] whose values are strings, decoded: values[i] is then a new string the caller
 * frees, else NULL (absent or not a string). FH_E_INPUT, with every values[i] NULL, when text is
 * not such an object. */
enum fh_rc fh_json_pick(const char *text, size_t len, const char *const *names, char **values,
                        size_t n);
/* The same check, then for each element of the top-level member named array (the last one when
 * named twice) that is an object: fn(cls, values) with values[i] its member names[i] decoded
 * when that is a string, else NULL; fn may take a value (and set values[i] to NULL), the rest
 * are freed after it. fn returns false to stop (FH_E_LIMIT). FH_E_INPUT when text is not such
 * an object, FH_E_NOTFOUND when it has no such array member. */
enum fh_rc fh_json_pick_each(const char *text, size_t len, const char *array,
                             const char *const *names, size_t n,
                             bool (*fn)(void *cls, char **values), void *cls);

/* Reply helpers shared by the views. */
struct fh_rows;
/* A JSON string of s, or null when s is NULL (new reference). */
json_t *fh_json_str_or_null(const char *s);
/* Sets dst[name] to src[src_name] when that is a string or an integer, else to null. */
void fh_json_copy_scalar(json_t *dst, const char *name, json_t *src, const char *src_name);
/* The RFC 3339 UTC time of a Unix-ms store cell, or null when the cell is NULL (new reference). */
json_t *fh_json_time_cell(const struct fh_rows *r, size_t row, size_t col);

/* For handlers: parses the request body and applies specs; on failure replies 4xx and returns
 * FH_ERR. On success *root holds the document (borrowed outs point into it; caller decrefs). */
enum fh_rc fh_json_parse_body_or_reply(struct fh_req *req, const struct fh_jspec *specs,
                                       json_t **root);

#endif
