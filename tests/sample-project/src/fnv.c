/* fnv.c - Fowler/Noll/Vo FNV-1a hashes. */
#include "fnv.h"

uint32_t fnv1a32_continue(uint32_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= FNV32_PRIME;
    }
    return h;
}

uint32_t fnv1a32(const void *data, size_t n)
{
    return fnv1a32_continue(FNV32_OFFSET, data, n);
}

uint64_t fnv1a64(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = FNV64_OFFSET;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= FNV64_PRIME;
    }
    return h;
}
