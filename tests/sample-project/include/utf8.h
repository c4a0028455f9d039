#ifndef AC_UTF8_H
#define AC_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define UTF8_MAX_BYTES 4
#define UTF8_REPLACEMENT 0xFFFDu

/* Decodes one code point; returns bytes consumed (1..4) or -1 if invalid. */
int utf8_decode(const char *s, size_t len, uint32_t *cp);
/* Encodes cp into out; returns bytes written or 0 if cp is not encodable. */
size_t utf8_encode(uint32_t cp, char out[UTF8_MAX_BYTES]);
/* Number of code points, or -1 if the input is not valid UTF-8. */
long utf8_length(const char *s, size_t len);
int utf8_valid(const char *s, size_t len);

static inline int utf8_is_continuation(unsigned char c)
{
    return (c & 0xC0u) == 0x80u;
}

#endif /* AC_UTF8_H */
