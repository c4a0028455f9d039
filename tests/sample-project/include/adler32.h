#ifndef AC_ADLER32_H
#define AC_ADLER32_H

#include <stddef.h>
#include <stdint.h>

#define ADLER32_INIT UINT32_C(1)

uint32_t adler32_update(uint32_t adler, const void *data, size_t n);
uint32_t adler32_combine(uint32_t a1, uint32_t a2, size_t len2);

static inline uint32_t adler32_buf(const void *data, size_t n)
{
    return adler32_update(ADLER32_INIT, data, n);
}

#endif /* AC_ADLER32_H */
