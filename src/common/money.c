/* money.c - fixed-point money in ten-thousandths. */
#include "fh/fh_money.h"

#include <stdio.h>
#include <string.h>

enum fh_rc fh_money_parse(const char *s, int64_t *out)
{
    bool neg = false;
    int64_t whole = 0, frac = 0;
    int fdigits = 0;
    if (*s == '-') {
        neg = true;
        s++;
    }
    if (!(*s >= '0' && *s <= '9'))
        return FH_E_INPUT;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (whole > (INT64_MAX / FH_MONEY_SCALE - 9) / 10)
            return FH_E_LIMIT;
        whole = whole * 10 + (*s - '0');
    }
    if (*s == '.') {
        s++;
        if (!(*s >= '0' && *s <= '9'))
            return FH_E_INPUT;
        for (; *s >= '0' && *s <= '9'; s++) {
            if (++fdigits > 4)
                return FH_E_INPUT;
            frac = frac * 10 + (*s - '0');
        }
    }
    if (*s != '\0')
        return FH_E_INPUT;
    for (int i = fdigits; i < 4; i++)
        frac *= 10;
    int64_t v = whole * FH_MONEY_SCALE + frac;
    *out = neg ? -v : v;
    return FH_OK;
}

void fh_money_fmt(int64_t v, int decimals, char *out, size_t outsize)
{
    if (decimals < 0)
        decimals = 0;
    if (decimals > 4)
        decimals = 4;
    int64_t div = 1;
    for (int i = decimals; i < 4; i++)
        div *= 10;
    bool neg = v < 0;
    uint64_t a = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    a = (a + (uint64_t)div / 2) / (uint64_t)div; /* half away from zero */
    uint64_t scale = 1;
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    if (decimals == 0)
        snprintf(out, outsize, "%s%llu", neg && a ? "-" : "", (unsigned long long)a);
    else
        snprintf(out, outsize, "%s%llu.%0*llu", neg && a ? "-" : "", (unsigned long long)(a / scale),
                 decimals, (unsigned long long)(a % scale));
}

enum fh_rc fh_money_mul(int64_t a, int64_t b, int64_t *out)
{
    __int128 p = (__int128)a * b;
    bool neg = p < 0;
    if (neg)
        p = -p;
    p = (p + FH_MONEY_SCALE / 2) / FH_MONEY_SCALE;
    if (neg)
        p = -p;
    if (p > INT64_MAX || p < INT64_MIN)
        return FH_E_LIMIT;
    *out = (int64_t)p;
    return FH_OK;
}
