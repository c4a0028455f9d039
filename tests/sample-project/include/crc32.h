#ifndef AC_CRC32_H
#define AC_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320). */
uint32_t crc32_update(uint32_t crc, const void *data, size_t n);

static inline uint32_t crc32_buf(const void *data, size_t n)
{
    return crc32_update(0, data, n);
}

#endif /* AC_CRC32_H */
