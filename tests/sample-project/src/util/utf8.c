/* utf8.c - strict UTF-8 decoding and encoding (RFC 3629). */
#include "utf8.h"

int utf8_decode(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    if (len == 0)
        return -1;

    unsigned char b0 = p[0];
    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }

    int need;
    uint32_t value, min;
    if (b0 < 0xC2) {
        return -1; /* stray continuation byte or overlong 2-byte lead */
    } else if (b0 < 0xE0) {
        need = 1;
        value = b0 & 0x1Fu;
        min = 0x80;
    } else if (b0 < 0xF0) {
        need = 2;
        value = b0 & 0x0Fu;
        min = 0x800;
    } else if (b0 < 0xF5) {
        need = 3;
        value = b0 & 0x07u;
        min = 0x10000;
    } else {
        return -1;
    }

    if (len < (size_t)need + 1)
        return -1;
    for (int i = 1; i <= need; i++) {
        if (!utf8_is_continuation(p[i]))
            return -1;
        value = (value << 6) | (p[i] & 0x3Fu);
    }
    if (value < min || value > 0x10FFFFu || (value >= 0xD800u && value <= 0xDFFFu))
        return -1;
    *cp = value;
    return need + 1;
}

size_t utf8_encode(uint32_t cp, char out[UTF8_MAX_BYTES])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return 0;
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp <= 0x10FFFF) {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        return 4;
    }
    return 0;
}

long utf8_length(const char *s, size_t len)
{
    long count = 0;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        int n = utf8_decode(s + i, len - i, &cp);
        if (n < 0)
            return -1;
        i += (size_t)n;
        count++;
    }
    return count;
}

int utf8_valid(const char *s, size_t len)
{
    return utf8_length(s, len) >= 0;
}
