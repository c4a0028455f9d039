#ifndef AC_STRUTIL_H
#define AC_STRUTIL_H

#include <stddef.h>
#include "errors.h"

/* Trims ASCII white space in place; returns a pointer into s. */
char *str_trim(char *s);
int str_starts_with(const char *s, const char *prefix);
int str_ends_with(const char *s, const char *suffix);
void str_to_lower(char *s);
void str_to_upper(char *s);
int str_casecmp(const char *a, const char *b);
size_t str_count(const char *s, const char *needle);

/* Splits on sep; *out receives a malloc'd array of malloc'd strings. */
size_t str_split(const char *s, char sep, char ***out);
void str_free_list(char **list, size_t n);
char *str_join(char *const *parts, size_t n, const char *sep);
char *str_replace_all(const char *s, const char *from, const char *to);
void str_reverse(char *s);

ac_err str_to_long(const char *s, int base, long *out);
ac_err str_to_int(const char *s, int *out);
ac_err str_to_double(const char *s, double *out);

#endif /* AC_STRUTIL_H */
