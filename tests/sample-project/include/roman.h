#ifndef AC_ROMAN_H
#define AC_ROMAN_H

#include <stddef.h>
#include "errors.h"

#define ROMAN_MIN 1
#define ROMAN_MAX 3999
#define ROMAN_BUF_SIZE 16 /* "MMMDCCCLXXXVIII" + NUL */

ac_err roman_format(int value, char *buf, size_t cap);
/* Accepts only canonical numerals (e.g. "IV", not "IIII"). */
ac_err roman_parse(const char *s, int *value);

#endif /* AC_ROMAN_H */
