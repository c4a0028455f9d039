#ifndef AC_RATIONAL_H
#define AC_RATIONAL_H

#include <stddef.h>
#include <stdint.h>
#include "errors.h"

/* Exact fractions, always normalised: gcd(num, den) == 1 and den > 0. */
typedef struct rational {
    int64_t num;
    int64_t den;
} rational;

#define RAT(n, d) rat_make_unchecked((n), (d))

ac_err rat_make(int64_t num, int64_t den, rational *out);
rational rat_make_unchecked(int64_t num, int64_t den);
ac_err rat_add(rational a, rational b, rational *out);
ac_err rat_sub(rational a, rational b, rational *out);
ac_err rat_mul(rational a, rational b, rational *out);
ac_err rat_div(rational a, rational b, rational *out);
int rat_cmp(rational a, rational b);
double rat_to_double(rational r);
/* Best approximation with denominator <= max_den (continued fractions). */
rational rat_approx(double x, int64_t max_den);
int rat_format(rational r, char *buf, size_t cap);
int64_t rat_gcd(int64_t a, int64_t b);

static inline int rat_eq(rational a, rational b)
{
    return a.num == b.num && a.den == b.den;
}

#endif /* AC_RATIONAL_H */
