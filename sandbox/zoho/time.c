/* time.c - the Zoho emulator's clock, its fixed windows (the limits on token mints and grant
 * codes), and Zoho's time formats: timestamps in the organization's offset without a colon
 * (2013-11-18T02:02:51-0800, specs/zoho-books.md §2.1) and dates (2013-11-18). Offsets are fixed
 * per organization (no daylight saving). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zoho_internal.h"

int64_t z_now_ms(void)
{
    return fh_now_ms();
}

int64_t z_scaled(int64_t nominal_ms)
{
    return sb_scaled(nominal_ms, zs.set.time_scale);
}

bool z_window_take(int64_t *start, int64_t *count, int64_t window_s, int64_t limit)
{
    int64_t now = z_now_ms();
    if (*start == 0 || now >= *start + z_scaled(window_s * 1000)) {
        *start = now;
        *count = 0;
    }
    if (*count >= limit)
        return false;
    (*count)++;
    return true;
}

static void tm_of(int64_t ms, int offset_min, struct tm *tm)
{
    int64_t local = ms + (int64_t)offset_min * 60000;
    time_t secs = (time_t)(local >= 0 ? local / 1000 : (local - 999) / 1000);
    gmtime_r(&secs, tm);
}

void z_timestamp(int64_t ms, int offset_min, char *out, size_t n)
{
    struct tm tm;
    tm_of(ms, offset_min, &tm);
    int a = abs(offset_min);
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, offset_min < 0 ? '-' : '+', a / 60,
             a % 60);
}

void z_date(int64_t ms, int offset_min, char *out, size_t n)
{
    struct tm tm;
    tm_of(ms, offset_min, &tm);
    snprintf(out, n, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

bool z_parse_offset(const char *s, int *minutes)
{
    if (strcmp(s, "Z") == 0) {
        *minutes = 0;
        return true;
    }
    size_t n = strlen(s);
    if ((s[0] != '+' && s[0] != '-') || (n != 5 && n != 6))
        return false;
    const char *mm = n == 5 ? s + 3 : s + 4;
    if (!digits(s + 1, 2) || (n == 6 && s[3] != ':') || !digits(mm, 2))
        return false;
    int h = (s[1] - '0') * 10 + (s[2] - '0'), m = (mm[0] - '0') * 10 + (mm[1] - '0');
    if (h > 14 || m > 59)
        return false;
    *minutes = (s[0] == '-' ? -1 : 1) * (h * 60 + m);
    return true;
}

bool z_parse_date(const char *s)
{
    int y, mo, d, used = 0;
    return s && strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &used) == 3 &&
           used == 10 && digits(s, 4) && mo >= 1 && mo <= 12 && d >= 1 && d <= 31;
}

bool z_parse_timestamp(const char *s, int64_t *ms)
{
    int y, mo, d, h, mi, sec, used = 0, off;
    if (!s || strlen(s) < 20 || s[10] != 'T')
        return false;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
        used != 19 || !digits(s, 4) || !z_parse_offset(s + 19, &off))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return false;
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = sec};
    *ms = ((int64_t)timegm(&tm) - (int64_t)off * 60) * 1000;
    return true;
}
