/* rle.c - (count, byte) run-length coding. */
#include "rle.h"

size_t rle_encode(const unsigned char *in, size_t n, unsigned char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char b = in[i];
        size_t run = 1;
        while (i + run < n && in[i + run] == b && run < RLE_MAX_RUN)
            run++;
        out[o++] = (unsigned char)run;
        out[o++] = b;
        i += run;
    }
    return o;
}

ac_err rle_decode(const unsigned char *in, size_t n, unsigned char *out, size_t out_cap,
                  size_t *out_len)
{
    if (n % 2 != 0)
        return AC_E_SYNTAX;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 2) {
        size_t run = in[i];
        if (run == 0)
            return AC_E_SYNTAX;
        if (o + run > out_cap)
            return AC_E_TRUNCATED;
        for (size_t k = 0; k < run; k++)
            out[o++] = in[i + 1];
    }
    *out_len = o;
    return AC_E_OK;
}
