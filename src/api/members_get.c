/* members_get.c - GET /api/orgs/{org}/members. */
#include "api.h"

enum fh_rc fh_api_members_get(struct fh_req *req)
{
    struct fh_param p[] = {FH_PI(req->org.id)};
    struct fh_rows rows;
    int qs = fh_store_exec(req->app->store,
                           "SELECT u.id, u.email, u.name, m.role FROM memberships m "
                           "JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY u.id",
                           p, 1, &rows);
    if (qs < 0)
        return fh_api_store_failed(req, FH_E_RETRY, "cannot list members");
    json_t *list = json_array();
    for (size_t i = 0; i < rows.nrows; i++)
        json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s}", "user_id",
                                              (json_int_t)fh_rows_i64(&rows, i, 0, 0), "email",
                                              fh_rows_get(&rows, i, 1), "name", fh_rows_get(&rows, i, 2),
                                              "role", fh_rows_get(&rows, i, 3)));
    fh_rows_free(&rows);
    return fh_reply_json(req, 200, json_pack("{s:o}", "members", list));
}
