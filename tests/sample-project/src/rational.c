/* rational.c - exact fraction arithmetic with overflow detection. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "rational.h"

static int64_t abs64(int64_t x)
{
    return x < 0 ? -x : x;
}

int64_t rat_gcd(int64_t a, int64_t b)
{
    a = abs64(a);
    b = abs64(b);
    while (b != 0) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int mul_overflows(int64_t a, int64_t b)
{
    if (a == 0 || b == 0)
        return 0;
    if (a == -1)
        return b == INT64_MIN;
    if (b == -1)
        return a == INT64_MIN;
    if (a > 0)
        return b > 0 ? a > INT64_MAX / b : b < INT64_MIN / a;
    return b > 0 ? a < INT64_MIN / b : a < INT64_MAX / b;
}

static int add_overflows(int64_t a, int64_t b)
{
    return (b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b);
}

rational rat_make_unchecked(int64_t num, int64_t den)
{
    rational r = { num, den };
    if (r.den < 0) {
        r.num = -r.num;
        r.den = -r.den;
    }
    int64_t g = rat_gcd(r.num, r.den);
    if (g > 1) {
        r.num /= g;
        r.den /= g;
    }
    return r;
}

ac_err rat_make(int64_t num, int64_t den, rational *out)
{
    if (den == 0)
        return AC_E_DIVZERO;
    if (num == INT64_MIN || den == INT64_MIN)
        return AC_E_OVERFLOW;
    *out = rat_make_unchecked(num, den);
    return AC_E_OK;
}

ac_err rat_add(rational a, rational b, rational *out)
{
    /* a/b + c/d = (a*(d/g) + c*(b/g)) / (b/g*d) with g = gcd(b, d). */
    int64_t g = rat_gcd(a.den, b.den);
    int64_t bd = b.den / g, ad = a.den / g;
    if (mul_overflows(a.num, bd) || mul_overflows(b.num, ad) || mul_overflows(a.den, bd))
        return AC_E_OVERFLOW;
    int64_t x = a.num * bd, y = b.num * ad;
    if (add_overflows(x, y))
        return AC_E_OVERFLOW;
    return rat_make(x + y, a.den * bd, out);
}

ac_err rat_sub(rational a, rational b, rational *out)
{
    if (b.num == INT64_MIN)
        return AC_E_OVERFLOW;
    b.num = -b.num;
    return rat_add(a, b, out);
}

ac_err rat_mul(rational a, rational b, rational *out)
{
    int64_t g1 = rat_gcd(a.num, b.den), g2 = rat_gcd(b.num, a.den);
    if (g1 == 0)
        g1 = 1;
    if (g2 == 0)
        g2 = 1;
    int64_t n1 = a.num / g1, d2 = b.den / g1, n2 = b.num / g2, d1 = a.den / g2;
    if (mul_overflows(n1, n2) || mul_overflows(d1, d2))
        return AC_E_OVERFLOW;
    return rat_make(n1 * n2, d1 * d2, out);
}

ac_err rat_div(rational a, rational b, rational *out)
{
    if (b.num == 0)
        return AC_E_DIVZERO;
    rational inv = rat_make_unchecked(b.den, b.num);
    return rat_mul(a, inv, out);
}

int rat_cmp(rational a, rational b)
{
    rational d;
    if (rat_sub(a, b, &d) == AC_E_OK)
        return (d.num > 0) - (d.num < 0);
    double x = rat_to_double(a), y = rat_to_double(b);
    return (x > y) - (x < y);
}

double rat_to_double(rational r)
{
    return (double)r.num / (double)r.den;
}

rational rat_approx(double x, int64_t max_den)
{
    /* Continued-fraction convergents h/k. */
    int64_t h0 = 0, h1 = 1, k0 = 1, k1 = 0;
    double frac = x;
    for (int iter = 0; iter < 64; iter++) {
        double a = floor(frac);
        if (fabs(a) > 1e15)
            break;
        int64_t ai = (int64_t)a;
        int64_t h2 = ai * h1 + h0, k2 = ai * k1 + k0;
        if (k2 > max_den)
            break;
        h0 = h1;
        h1 = h2;
        k0 = k1;
        k1 = k2;
        double rem = frac - a;
        if (rem < 1e-12)
            break;
        frac = 1.0 / rem;
    }
    if (k1 == 0)
        return rat_make_unchecked((int64_t)floor(x), 1);
    return rat_make_unchecked(h1, k1);
}

int rat_format(rational r, char *buf, size_t cap)
{
    if (r.den == 1)
        return snprintf(buf, cap, "%" PRId64, r.num);
    return snprintf(buf, cap, "%" PRId64 "/%" PRId64, r.num, r.den);
}
