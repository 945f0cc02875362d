/* fh_money.h - money as int64 ten-thousandths (4 decimals); never floating point. */
#ifndef FH_MONEY_H
#define FH_MONEY_H

#include "fh/fh_common.h"

#define FH_MONEY_SCALE 10000

/* Parses "12", "-3.5", "0.0001" (at most 4 decimals) into ten-thousandths. */
enum fh_rc fh_money_parse(const char *s, int64_t *out);
/* Formats with exactly `decimals` places (0..4), rounding half away from zero. */
void fh_money_fmt(int64_t v, int decimals, char *out, size_t outsize);
/* a * b / FH_MONEY_SCALE rounded half away from zero; FH_E_LIMIT on overflow. */
enum fh_rc fh_money_mul(int64_t a, int64_t b, int64_t *out);

#endif
