/* err.c - lookup over the errors.def registry. */
#include "fh/fh_err.h"

#include <stddef.h>

static const struct fh_err_info table[] = {
#define FH_ERROR(code, name, status, hint) {code, #name, status, hint},
#include "errors.def"
#undef FH_ERROR
};

const struct fh_err_info *fh_err_info(enum fh_ec ec)
{
    const struct fh_err_info *internal = NULL;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (table[i].code == (int)ec)
            return &table[i];
        if (table[i].code == FH_EC_INTERNAL)
            internal = &table[i];
    }
    return internal;
}

const struct fh_err_info *fh_err_table(unsigned int *count)
{
    *count = (unsigned int)(sizeof(table) / sizeof(table[0]));
    return table;
}
