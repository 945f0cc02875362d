/* tax_check.c - the V-SDC's tax total against the one the source document states.
 *
 * A partner tax without a mapping goes to the V-SDC with the default label, whatever its rate,
 * so a receipt can carry other VAT than the invoice it fiscalizes. The V-SDC derives the tax from
 * the tax-included totals per label (taxItems, 4 decimals); sources round each line's tax to
 * cents. So the two totals may differ by rounding, at most half a cent per line, and the check
 * allows a cent per item (at least one cent): a wrong label's rate differs by far more on any
 * amount worth fiscalizing. */
#include <stdlib.h>

#include "fiscal_internal.h"

#define CENT 100 /* ten-thousandths */

/* The sum of the answer's taxItems amounts; false when it has none to read. */
static bool vsdc_tax_total(json_t *result, int64_t *out)
{
    json_t *items = json_object_get(result, "taxItems");
    if (!json_is_array(items))
        return false;
    int64_t sum = 0;
    size_t i;
    json_t *t;
    json_array_foreach(items, i, t)
    {
        int64_t a;
        if (!fh_fiscal_vsdc_amount(json_object_get(t, "amount"), &a))
            return false;
        sum += a;
    }
    *out = sum;
    return true;
}

bool fiscal_tax_check(const char *result, const char *canonical, int64_t source_tax,
                      int64_t *vsdc_tax, bool *mismatch)
{
    *mismatch = false;
    json_t *r = result ? json_loads(result, 0, NULL) : NULL;
    bool known = vsdc_tax_total(r, vsdc_tax);
    json_decref(r);
    if (!known)
        return false;
    json_t *c = canonical ? json_loads(canonical, 0, NULL) : NULL;
    size_t items = json_array_size(json_object_get(c, "items"));
    json_decref(c);
    int64_t allowed = CENT * (int64_t)(items > 1 ? items : 1);
    int64_t diff = *vsdc_tax - source_tax;
    *mismatch = diff > allowed || diff < -allowed;
    return true;
}
