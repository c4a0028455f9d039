/* binsearch.c - lower/upper bound and friends. */
#include <limits.h>

#include "binsearch.h"
#include "common.h"

#define AT(base, i, size) ((const char *)(base) + (i) * (size))

size_t bs_lower_bound(const void *base, size_t n, size_t size, const void *key, cmp_fn cmp)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp(AT(base, mid, size), key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t bs_upper_bound(const void *base, size_t n, size_t size, const void *key, cmp_fn cmp)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp(AT(base, mid, size), key) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

long bs_find_int(const int *a, size_t n, int key)
{
    size_t i = bs_lower_bound(a, n, sizeof *a, &key, cmp_int_asc);
    return (i < n && a[i] == key) ? (long)i : -1L;
}

unsigned long bs_isqrt(unsigned long x)
{
    /* Largest r with r*r <= x; the bound avoids overflow in mid*mid. */
    unsigned long lo = 0, hi = x < 2 ? x : AC_MIN(x / 2, (unsigned long)UINT_MAX);
    while (lo < hi) {
        unsigned long mid = lo + (hi - lo + 1) / 2;
        if (mid <= x / mid)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}
