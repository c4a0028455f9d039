#ifndef AC_RLE_H
#define AC_RLE_H

#include <stddef.h>
#include "errors.h"

/* Byte-oriented run-length encoding as (count, byte) pairs, count 1..255. */
#define RLE_MAX_RUN 255u
#define RLE_WORST_CASE(n) (2u * (n))

size_t rle_encode(const unsigned char *in, size_t n, unsigned char *out);
ac_err rle_decode(const unsigned char *in, size_t n, unsigned char *out,
                  size_t out_cap, size_t *out_len);

#endif /* AC_RLE_H */
