/* util.c - the Xero emulator's clock and Xero's date formats (/Date(ms+0000)/, DateString,
 * UpdatedDateUTCString); the generic helpers (maps, forms, replies, exact JSON numbers) are in
 * ../common/util.c. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "xero_internal.h"

int64_t x_now_ms(void)
{
    return fh_now_ms();
}

int64_t x_scaled(int64_t nominal_ms)
{
    return sb_scaled(nominal_ms, xs.set.time_scale);
}

void x_msdate(int64_t ms, bool zone, char *out, size_t n)
{
    snprintf(out, n, "/Date(%lld%s)/", (long long)ms, zone ? "+0000" : "");
}

static void tm_of(int64_t ms, struct tm *tm)
{
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    gmtime_r(&secs, tm);
}

void x_datestring(int64_t ms, char *out, size_t n)
{
    struct tm tm;
    tm_of(ms, &tm);
    snprintf(out, n, "%04d-%02d-%02dT00:00:00", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

void x_iso(int64_t ms, int frac, bool z, char *out, size_t n)
{
    struct tm tm;
    tm_of(ms, &tm);
    char f[16] = "";
    if (frac == 3)
        snprintf(f, sizeof(f), ".%03d", (int)(ms % 1000));
    else if (frac == 7)
        snprintf(f, sizeof(f), ".%03d0000", (int)(ms % 1000));
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d%s%s", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, f, z ? "Z" : "");
}

int64_t x_day(int64_t ms)
{
    return ms - (((ms % X_DAY_MS) + X_DAY_MS) % X_DAY_MS);
}

static bool parse_iso(const char *s, int64_t *ms)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, used = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 || used != 10)
        return false;
    const char *p = s + 10;
    int frac_ms = 0;
    if (*p == 'T' || *p == ' ') {
        if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &used) != 3 || used != 8)
            return false;
        p += 9;
        if (*p == '.') {
            int k = 0;
            for (p++; isdigit((unsigned char)*p); p++, k++)
                if (k < 3)
                    frac_ms = frac_ms * 10 + (*p - '0');
            for (; k > 0 && k < 3; k++)
                frac_ms *= 10;
        }
        if (*p == 'Z')
            p++;
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return false;
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = sec};
    *ms = (int64_t)timegm(&tm) * 1000 + frac_ms;
    return true;
}

bool x_parse_time(const char *s, int64_t *ms)
{
    if (!s)
        return false;
    while (*s == ' ')
        s++;
    if (parse_iso(s, ms))
        return true;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end || *end)
        return false;
    *ms = (int64_t)timegm(&tm) * 1000;
    return true;
}
