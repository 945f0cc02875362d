/* request_id.c - the V-SDC RequestId of a source document, and RFC 3339 times.
 *
 * The RequestId is derived, never drawn at random: SHA-256 over "fiscalhub/request-id/v1", the
 * organization's id and code, and the source key (each NUL-separated), first 32 hex digits
 * (128 bits, the V-SDC's maximum length). The same source of the same organization therefore
 * always has the same RequestId, whatever path submits it again; the organization's code is
 * random per installation, so two installations (a demo and production sharing a certificate)
 * do not collide on "api:1" of their first organization. The row stores it as well, and the
 * stored value is what the job uses. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fh/fh_crypto.h"
#include "fh/fh_fiscal.h"

void fh_fiscal_request_id(int64_t org_id, const char *org_code, const char *source_key,
                          char out[FH_FISCAL_REQUEST_ID_LEN + 1])
{
    struct fh_buf b;
    fh_buf_init(&b, 4096);
    static const char tag[] = "fiscalhub/request-id/v1";
    fh_buf_append(&b, tag, sizeof(tag)); /* with its NUL */
    fh_buf_appendf(&b, "%lld", (long long)org_id);
    fh_buf_append(&b, "", 1);
    fh_buf_append(&b, org_code ? org_code : "", strlen(org_code ? org_code : "") + 1);
    fh_buf_append(&b, source_key ? source_key : "", strlen(source_key ? source_key : ""));
    char hex[65];
    fh_sha256_hex(b.data, b.len, hex);
    fh_buf_free(&b);
    memcpy(out, hex, FH_FISCAL_REQUEST_ID_LEN);
    out[FH_FISCAL_REQUEST_ID_LEN] = '\0';
}

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : d[m - 1];
}

/* The offset part: "Z" or "+HH:MM" / "-HH:MM"; *secs is the offset east of UTC. */
static bool parse_offset(const char *p, long *secs)
{
    int oh, om;
    if (strcmp(p, "Z") == 0) {
        *secs = 0;
        return true;
    }
    if ((p[0] != '+' && p[0] != '-') || strlen(p) != 6 || !digits(p + 1, 2, &oh) || p[3] != ':' ||
        !digits(p + 4, 2, &om) || oh > 23 || om > 59)
        return false;
    *secs = (p[0] == '-' ? -1 : 1) * (long)(oh * 3600 + om * 60);
    return true;
}

enum fh_rc fh_fiscal_time_parse(const char *s, bool allow_date, int64_t *ms)
{
    int y, mo, d, h = 0, mi = 0, se = 0, frac_ms = 0;
    if (!s || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || y < 1970)
        return FH_E_INPUT;
    long off = 0;
    if (s[10] == '\0') {
        if (!allow_date)
            return FH_E_INPUT;
    } else {
        const char *p = s + 19;
        if (s[10] != 'T' || !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) ||
            s[16] != ':' || !digits(s + 17, 2, &se) || h > 23 || mi > 59 || se > 60)
            return FH_E_INPUT;
        if (*p == '.') {
            size_t n = strspn(p + 1, "0123456789");
            if (n == 0 || n > 9)
                return FH_E_INPUT;
            for (size_t i = 0; i < 3; i++)
                frac_ms = frac_ms * 10 + (i < n ? p[1 + i] - '0' : 0);
            p += 1 + n;
        }
        if (!parse_offset(p, &off))
            return FH_E_INPUT;
    }
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = se > 59 ? 59 : se};
    if (ms)
        *ms = ((int64_t)timegm(&tm) - off) * 1000 + frac_ms;
    return FH_OK;
}

enum fh_rc fh_fiscal_time_bound(const char *s, bool end, int64_t *ms)
{
    if (fh_fiscal_time_parse(s, true, ms) != FH_OK)
        return FH_E_INPUT;
    if (end && strlen(s) == 10)
        *ms += 24LL * 3600 * 1000;
    return FH_OK;
}
