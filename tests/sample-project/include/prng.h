#ifndef AC_PRNG_H
#define AC_PRNG_H

#include <stddef.h>
#include <stdint.h>

/* xoshiro256** seeded through splitmix64. Not for cryptography. */
typedef struct prng {
    uint64_t s[4];
} prng;

uint64_t splitmix64(uint64_t *state);
void prng_seed(prng *r, uint64_t seed);
uint64_t prng_next(prng *r);
uint32_t prng_below(prng *r, uint32_t bound); /* uniform in [0, bound) */
double prng_double(prng *r);                  /* uniform in [0, 1) */
void prng_shuffle(prng *r, int *a, size_t n);

static inline uint32_t prng_u32(prng *r)
{
    return (uint32_t)(prng_next(r) >> 32);
}

#endif /* AC_PRNG_H */
