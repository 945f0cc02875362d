/* fh_err.h - error registry generated from src/err/errors.def. */
#ifndef FH_ERR_H
#define FH_ERR_H

enum fh_ec {
#define FH_ERROR(code, name, status, hint) FH_EC_##name = code,
#include "errors.def"
#undef FH_ERROR
};

struct fh_err_info {
    int code;
    const char *name;
    unsigned int http_status;
    const char *hint;
};

/* Returns the registry entry for ec; never NULL (unknown codes map to INTERNAL). */
const struct fh_err_info *fh_err_info(enum fh_ec ec);
/* The whole table, for docs generation and tests. */
const struct fh_err_info *fh_err_table(unsigned int *count);

#endif
