/* base64.c - RFC 4648 base64 with the standard alphabet. */
#include <string.h>

#include "base64.h"

static const char k_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t base64_encode(const void *src, size_t n, char *out)
{
    const unsigned char *in = src;
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned long v = ((unsigned long)in[i] << 16) | ((unsigned long)in[i + 1] << 8) | in[i + 2];
        out[o++] = k_alphabet[(v >> 18) & 63];
        out[o++] = k_alphabet[(v >> 12) & 63];
        out[o++] = k_alphabet[(v >> 6) & 63];
        out[o++] = k_alphabet[v & 63];
    }
    if (i < n) {
        unsigned long v = (unsigned long)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned long)in[i + 1] << 8;
        out[o++] = k_alphabet[(v >> 18) & 63];
        out[o++] = k_alphabet[(v >> 12) & 63];
        out[o++] = (i + 1 < n) ? k_alphabet[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

static int decode_char(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

ac_err base64_decode(const char *src, size_t n, unsigned char *out, size_t *out_len)
{
    if (n % 4 != 0)
        return AC_E_SYNTAX;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int last = (i + 4 == n);
        int pad = 0;
        int v[4];
        for (int k = 0; k < 4; k++) {
            char c = src[i + (size_t)k];
            if (c == '=' && last && k >= 2) {
                v[k] = 0;
                pad++;
                continue;
            }
            if (pad > 0)
                return AC_E_SYNTAX; /* data after padding */
            v[k] = decode_char(c);
            if (v[k] < 0)
                return AC_E_SYNTAX;
        }
        unsigned long bits = ((unsigned long)v[0] << 18) | ((unsigned long)v[1] << 12) |
                             ((unsigned long)v[2] << 6) | (unsigned long)v[3];
        out[o++] = (unsigned char)(bits >> 16);
        if (pad < 2)
            out[o++] = (unsigned char)(bits >> 8);
        if (pad < 1)
            out[o++] = (unsigned char)bits;
    }
    *out_len = o;
    return AC_E_OK;
}
