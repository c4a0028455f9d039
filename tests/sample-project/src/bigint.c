/* bigint.c - schoolbook arithmetic on base 10^9 limbs. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bigint.h"
#include "common.h"

void big_init(bigint *b)
{
    b->limbs = NULL;
    b->len = b->cap = 0;
}

void big_free(bigint *b)
{
    free(b->limbs);
    big_init(b);
}

static void big_reserve(bigint *b, size_t n)
{
    if (n <= b->cap)
        return;
    size_t cap = AC_MAX(n, b->cap * 2);
    b->limbs = ac_xrealloc(b->limbs, cap * sizeof *b->limbs);
    b->cap = cap;
}

static void big_trim(bigint *b)
{
    while (b->len > 0 && b->limbs[b->len - 1] == 0)
        b->len--;
}

static void big_swap(bigint *a, bigint *b)
{
    bigint t = *a;
    *a = *b;
    *b = t;
}

void big_copy(bigint *dst, const bigint *src)
{
    if (dst == src)
        return;
    big_reserve(dst, src->len);
    if (src->len > 0)
        memcpy(dst->limbs, src->limbs, src->len * sizeof *src->limbs);
    dst->len = src->len;
}

void big_from_u64(bigint *b, uint64_t v)
{
    b->len = 0;
    big_reserve(b, 3);
    while (v > 0) {
        b->limbs[b->len++] = (uint32_t)(v % BIG_BASE);
        v /= BIG_BASE;
    }
}

ac_err big_from_string(bigint *b, const char *s)
{
    size_t n = strlen(s);
    if (n == 0)
        return AC_E_SYNTAX;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return AC_E_SYNTAX;
    }
    b->len = 0;
    big_reserve(b, n / BIG_BASE_DIGITS + 1);
    /* Consume 9-digit groups from the right. */
    for (size_t end = n; end > 0;) {
        size_t start = end >= BIG_BASE_DIGITS ? end - BIG_BASE_DIGITS : 0;
        uint32_t limb = 0;
        for (size_t i = start; i < end; i++)
            limb = limb * 10 + (uint32_t)(s[i] - '0');
        b->limbs[b->len++] = limb;
        end = start;
    }
    big_trim(b);
    return AC_E_OK;
}

char *big_to_string(const bigint *b)
{
    if (b->len == 0)
        return ac_strdup("0");
    size_t cap = b->len * BIG_BASE_DIGITS + 1;
    char *out = ac_xmalloc(cap);
    int pos = snprintf(out, cap, "%" PRIu32, b->limbs[b->len - 1]);
    for (size_t i = b->len - 1; i-- > 0;)
        pos += snprintf(out + pos, cap - (size_t)pos, "%09" PRIu32, b->limbs[i]);
    return out;
}

int big_cmp(const bigint *a, const bigint *b)
{
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    for (size_t i = a->len; i-- > 0;) {
        if (a->limbs[i] != b->limbs[i])
            return a->limbs[i] < b->limbs[i] ? -1 : 1;
    }
    return 0;
}

void big_add(bigint *out, const bigint *a, const bigint *b)
{
    bigint r;
    big_init(&r);
    size_t n = AC_MAX(a->len, b->len);
    big_reserve(&r, n + 1);
    uint32_t carry = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t sum = carry;
        sum += i < a->len ? a->limbs[i] : 0;
        sum += i < b->len ? b->limbs[i] : 0;
        carry = sum >= BIG_BASE;
        r.limbs[i] = carry ? sum - BIG_BASE : sum;
    }
    r.len = n;
    if (carry)
        r.limbs[r.len++] = carry;
    big_swap(out, &r);
    big_free(&r);
}

void big_mul(bigint *out, const bigint *a, const bigint *b)
{
    bigint r;
    big_init(&r);
    if (a->len == 0 || b->len == 0) {
        big_swap(out, &r);
        big_free(&r);
        return;
    }
    size_t n = a->len + b->len;
    uint64_t *acc = ac_xcalloc(n, sizeof *acc);
    for (size_t i = 0; i < a->len; i++) {
        uint64_t carry = 0;
        for (size_t j = 0; j < b->len; j++) {
            uint64_t cur = acc[i + j] + (uint64_t)a->limbs[i] * b->limbs[j] + carry;
            acc[i + j] = cur % BIG_BASE;
            carry = cur / BIG_BASE;
        }
        for (size_t k = i + b->len; carry != 0; k++) {
            uint64_t cur = acc[k] + carry;
            acc[k] = cur % BIG_BASE;
            carry = cur / BIG_BASE;
        }
    }
    big_reserve(&r, n);
    for (size_t i = 0; i < n; i++)
        r.limbs[i] = (uint32_t)acc[i];
    r.len = n;
    free(acc);
    big_trim(&r);
    big_swap(out, &r);
    big_free(&r);
}

void big_mul_small(bigint *b, uint32_t m)
{
    uint64_t carry = 0;
    for (size_t i = 0; i < b->len; i++) {
        uint64_t cur = (uint64_t)b->limbs[i] * m + carry;
        b->limbs[i] = (uint32_t)(cur % BIG_BASE);
        carry = cur / BIG_BASE;
    }
    while (carry > 0) {
        big_reserve(b, b->len + 1);
        b->limbs[b->len++] = (uint32_t)(carry % BIG_BASE);
        carry /= BIG_BASE;
    }
    big_trim(b);
}

void big_factorial(bigint *out, unsigned n)
{
    big_from_u64(out, 1);
    for (unsigned i = 2; i <= n; i++)
        big_mul_small(out, i);
}
