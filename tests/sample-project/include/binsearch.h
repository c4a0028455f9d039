#ifndef AC_BINSEARCH_H
#define AC_BINSEARCH_H

#include <stddef.h>
#include "sort.h"

/* First index whose element is not less than key (n if none). */
size_t bs_lower_bound(const void *base, size_t n, size_t size, const void *key, cmp_fn cmp);
/* First index whose element is greater than key (n if none). */
size_t bs_upper_bound(const void *base, size_t n, size_t size, const void *key, cmp_fn cmp);
/* Index of an element equal to key, or -1. */
long bs_find_int(const int *a, size_t n, int key);
/* Integer square root by bisection. */
unsigned long bs_isqrt(unsigned long x);

static inline size_t bs_count_equal(const void *base, size_t n, size_t size,
                                    const void *key, cmp_fn cmp)
{
    return bs_upper_bound(base, n, size, key, cmp) - bs_lower_bound(base, n, size, key, cmp);
}

#endif /* AC_BINSEARCH_H */
