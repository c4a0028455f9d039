#ifndef AC_FNV_H
#define AC_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV32_OFFSET UINT32_C(0x811c9dc5)
#define FNV32_PRIME UINT32_C(0x01000193)
#define FNV64_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV64_PRIME UINT64_C(0x00000100000001b3)

uint32_t fnv1a32(const void *data, size_t n);
uint64_t fnv1a64(const void *data, size_t n);
uint32_t fnv1a32_continue(uint32_t h, const void *data, size_t n);

static inline uint32_t fnv1a32_str(const char *s)
{
    uint32_t h = FNV32_OFFSET;
    while (*s) {
        h ^= (unsigned char)*s++;
        h *= FNV32_PRIME;
    }
    return h;
}

#endif /* AC_FNV_H */
