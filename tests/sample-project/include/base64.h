#ifndef AC_BASE64_H
#define AC_BASE64_H

#include <stddef.h>
#include "errors.h"

/* Constant-expression form, usable for array sizes. */
#define BASE64_ENCODED_LEN(n) (4 * (((n) + 2) / 3))

static inline size_t base64_encoded_len(size_t n)
{
    return BASE64_ENCODED_LEN(n);
}

static inline size_t base64_decoded_max(size_t n)
{
    return (n / 4) * 3;
}

/* Writes base64_encoded_len(n) characters plus a NUL; returns the length. */
size_t base64_encode(const void *src, size_t n, char *out);
/* Strict RFC 4648 decoding (padding required, no white space). */
ac_err base64_decode(const char *src, size_t n, unsigned char *out, size_t *out_len);

#endif /* AC_BASE64_H */
