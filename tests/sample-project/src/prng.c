/* prng.c - xoshiro256** (Blackman & Vigna) seeded by splitmix64. */
#include "common.h"
#include "prng.h"

uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void prng_seed(prng *r, uint64_t seed)
{
    for (size_t i = 0; i < AC_ARRAY_LEN(r->s); i++)
        r->s[i] = splitmix64(&seed);
}

uint64_t prng_next(prng *r)
{
    uint64_t *s = r->s;
    uint64_t result = ac_rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ac_rotl64(s[3], 45);
    return result;
}

uint32_t prng_below(prng *r, uint32_t bound)
{
    if (bound == 0)
        return 0;
    /* Rejection sampling removes modulo bias. */
    uint32_t threshold = (uint32_t)(-bound) % bound;
    for (;;) {
        uint32_t x = prng_u32(r);
        if (x >= threshold)
            return x % bound;
    }
}

double prng_double(prng *r)
{
    return (double)(prng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

void prng_shuffle(prng *r, int *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = prng_below(r, (uint32_t)i);
        int t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}
