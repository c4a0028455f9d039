/* adler32.c - Adler-32 checksum (RFC 1950). */
#include "adler32.h"

#define ADLER_MOD 65521u
/* Largest n such that 255n(n+1)/2 + (n+1)(MOD-1) fits in 32 bits. */
#define ADLER_NMAX 5552u

uint32_t adler32_update(uint32_t adler, const void *data, size_t n)
{
    const unsigned char *p = data;
    uint32_t a = adler & 0xFFFFu;
    uint32_t b = adler >> 16;
    while (n > 0) {
        size_t chunk = n < ADLER_NMAX ? n : ADLER_NMAX;
        n -= chunk;
        while (chunk--) {
            a += *p++;
            b += a;
        }
        a %= ADLER_MOD;
        b %= ADLER_MOD;
    }
    return (b << 16) | a;
}

uint32_t adler32_combine(uint32_t a1, uint32_t a2, size_t len2)
{
    uint32_t rem = (uint32_t)(len2 % ADLER_MOD);
    uint32_t sum1 = a1 & 0xFFFFu;
    uint32_t sum2 = (uint32_t)(((uint64_t)rem * sum1) % ADLER_MOD);
    sum1 += (a2 & 0xFFFFu) + ADLER_MOD - 1;
    sum2 += (a1 >> 16) + (a2 >> 16) + ADLER_MOD - rem;
    sum1 %= ADLER_MOD;
    sum2 %= ADLER_MOD;
    return (sum2 << 16) | sum1;
}
