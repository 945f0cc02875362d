/* roles.c - roles, the permissions they grant, emails and human-readable codes. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "fh/fh_auth.h"
#include "fh/fh_crypto.h"

static const char *const role_names[] = {"viewer", "member", "admin", "owner"};
static const char *const perm_names[FH_PERM_COUNT] = {
    [FH_PERM_VIEW] = "integrations.view",
    [FH_PERM_OPERATE] = "integrations.operate",
    [FH_PERM_MANAGE_INTEGRATIONS] = "integrations.manage",
    [FH_PERM_MEMBERS] = "members.manage",
    [FH_PERM_ORG] = "org.manage",
    [FH_PERM_BILLING] = "billing.manage",
};
/* The least role that holds each permission. */
static const enum fh_role perm_min_role[FH_PERM_COUNT] = {
    [FH_PERM_VIEW] = FH_ROLE_VIEWER,
    [FH_PERM_OPERATE] = FH_ROLE_MEMBER,
    [FH_PERM_MANAGE_INTEGRATIONS] = FH_ROLE_ADMIN,
    [FH_PERM_MEMBERS] = FH_ROLE_ADMIN,
    [FH_PERM_ORG] = FH_ROLE_OWNER,
    [FH_PERM_BILLING] = FH_ROLE_OWNER,
};

const char *fh_role_name(enum fh_role role)
{
    return (unsigned)role < FH_ARRAY_LEN(role_names) ? role_names[role] : "viewer";
}

bool fh_role_parse(const char *s, enum fh_role *out)
{
    for (size_t i = 0; i < FH_ARRAY_LEN(role_names); i++) {
        if (strcmp(s, role_names[i]) == 0) {
            *out = (enum fh_role)i;
            return true;
        }
    }
    return false;
}

bool fh_role_has(enum fh_role role, enum fh_perm perm)
{
    return (unsigned)perm < FH_PERM_COUNT && role >= perm_min_role[perm];
}

json_t *fh_role_permissions_json(enum fh_role role)
{
    json_t *a = json_array();
    for (int p = 0; p < FH_PERM_COUNT; p++) {
        if (fh_role_has(role, (enum fh_perm)p))
            json_array_append_new(a, json_string(perm_names[p]));
    }
    return a;
}

bool fh_email_normalize(const char *in, char *out, size_t outsize)
{
    size_t len = strlen(in);
    if (len < 3 || len > 254 || len >= outsize)
        return false;
    const char *at = strchr(in, '@');
    if (!at || at == in || strchr(at + 1, '@') || !strchr(at + 1, '.') || at[1] == '.' ||
        in[len - 1] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '"' || c == '\\' || c == ',')
            return false;
        out[i] = (char)tolower(c);
    }
    out[len] = '\0';
    return true;
}

void fh_code_new(const char *prefix, char *out, size_t outsize)
{
    static const char alphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    char tail[7];
    for (size_t i = 0; i < 6; i++)
        tail[i] = alphabet[fh_random_uniform((uint32_t)(sizeof(alphabet) - 1))];
    tail[6] = '\0';
    snprintf(out, outsize, "%s-%s", prefix, tail);
}
