/* roman.c - conversion between integers and roman numerals. */
#include <string.h>

#include "common.h"
#include "roman.h"

static const struct {
    int value;
    const char *text;
} k_table[] = {
    { 1000, "M" }, { 900, "CM" }, { 500, "D" }, { 400, "CD" },
    { 100, "C" },  { 90, "XC" },  { 50, "L" },  { 40, "XL" },
    { 10, "X" },   { 9, "IX" },   { 5, "V" },   { 4, "IV" },
    { 1, "I" },
};

ac_err roman_format(int value, char *buf, size_t cap)
{
    if (value < ROMAN_MIN || value > ROMAN_MAX)
        return AC_E_RANGE;
    size_t pos = 0;
    for (size_t i = 0; i < AC_ARRAY_LEN(k_table); i++) {
        while (value >= k_table[i].value) {
            size_t n = strlen(k_table[i].text);
            if (pos + n + 1 > cap)
                return AC_E_TRUNCATED;
            memcpy(buf + pos, k_table[i].text, n);
            pos += n;
            value -= k_table[i].value;
        }
    }
    buf[pos] = '\0';
    return AC_E_OK;
}

static int digit_value(char c)
{
    switch (c) {
    case 'I': return 1;
    case 'V': return 5;
    case 'X': return 10;
    case 'L': return 50;
    case 'C': return 100;
    case 'D': return 500;
    case 'M': return 1000;
    default: return 0;
    }
}

ac_err roman_parse(const char *s, int *value)
{
    size_t n = strlen(s);
    if (n == 0 || n >= ROMAN_BUF_SIZE)
        return AC_E_SYNTAX;
    int total = 0;
    for (size_t i = 0; i < n; i++) {
        int v = digit_value(s[i]);
        if (v == 0)
            return AC_E_SYNTAX;
        int next = i + 1 < n ? digit_value(s[i + 1]) : 0;
        total += (v < next) ? -v : v;
    }
    /* Reject non-canonical spellings such as "IIII" or "VX". */
    char canonical[ROMAN_BUF_SIZE];
    if (roman_format(total, canonical, sizeof canonical) != AC_E_OK || strcmp(canonical, s) != 0)
        return AC_E_SYNTAX;
    *value = total;
    return AC_E_OK;
}
