#ifndef AC_BIGINT_H
#define AC_BIGINT_H

#include <stddef.h>
#include <stdint.h>
#include "errors.h"

/* Non-negative arbitrary precision integers, base 10^9 limbs,
 * least significant limb first; zero has len == 0. */
#define BIG_BASE 1000000000u
#define BIG_BASE_DIGITS 9

typedef struct bigint {
    uint32_t *limbs;
    size_t len;
    size_t cap;
} bigint;

void big_init(bigint *b);
void big_free(bigint *b);
void big_copy(bigint *dst, const bigint *src);
void big_from_u64(bigint *b, uint64_t v);
ac_err big_from_string(bigint *b, const char *s);
char *big_to_string(const bigint *b);
int big_cmp(const bigint *a, const bigint *b);
void big_add(bigint *out, const bigint *a, const bigint *b); /* out may alias */
void big_mul(bigint *out, const bigint *a, const bigint *b); /* out may alias */
void big_mul_small(bigint *b, uint32_t m);
void big_factorial(bigint *out, unsigned n);

static inline int big_is_zero(const bigint *b)
{
    return b->len == 0;
}

#endif /* AC_BIGINT_H */
