/* errdoc.c - writes docs/errors.md from the registry (run by `make docs`, checked by tests). */
#include "fh/fh_err.h"

#include <stdio.h>

int main(void)
{
    unsigned int n;
    const struct fh_err_info *t = fh_err_table(&n);
    printf("# fiscalhub error codes\n\n");
    printf("Every error reply is JSON `{\"code\": N, \"hint\": \"...\", \"detail\": \"...\"}` with the "
           "HTTP status below. `hint` is fixed per code; `detail` names the field or value at fault.\n"
           "This file is generated from `src/err/errors.def` by `fh-errdoc`; do not edit it by hand.\n\n");
    printf("| code | name | HTTP | hint |\n| --- | --- | --- | --- |\n");
    for (unsigned int i = 0; i < n; i++)
        printf("| %d | %s | %u | %s |\n", t[i].code, t[i].name, t[i].http_status, t[i].hint);
    return 0;
}
