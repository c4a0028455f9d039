/* strutil.c - assorted string helpers (ASCII oriented). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "strbuf.h"
#include "strutil.h"

char *str_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    s[n] = '\0';
    return s;
}

int str_starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int str_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return m <= n && memcmp(s + n - m, suffix, m) == 0;
}

void str_to_lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

void str_to_upper(char *s)
{
    for (; *s; s++)
        *s = (char)toupper((unsigned char)*s);
}

int str_casecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = tolower((unsigned char)*a);
        int cb = tolower((unsigned char)*b);
        if (ca != cb || ca == 0)
            return ca - cb;
    }
}

size_t str_count(const char *s, const char *needle)
{
    size_t n = strlen(needle), count = 0;
    if (n == 0)
        return 0;
    for (const char *p = strstr(s, needle); p != NULL; p = strstr(p + n, needle))
        count++;
    return count;
}

size_t str_split(const char *s, char sep, char ***out)
{
    size_t count = 1;
    for (const char *p = s; *p; p++)
        count += (*p == sep);

    char **parts = ac_xmalloc(count * sizeof *parts);
    size_t i = 0;
    const char *start = s;
    for (const char *p = s;; p++) {
        if (*p == sep || *p == '\0') {
            parts[i++] = ac_strndup(start, (size_t)(p - start));
            if (*p == '\0')
                break;
            start = p + 1;
        }
    }
    *out = parts;
    return i;
}

void str_free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

char *str_join(char *const *parts, size_t n, const char *sep)
{
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strbuf_append(&sb, sep);
        strbuf_append(&sb, parts[i]);
    }
    return strbuf_detach(&sb);
}

char *str_replace_all(const char *s, const char *from, const char *to)
{
    size_t from_len = strlen(from);
    if (from_len == 0)
        return ac_strdup(s);
    strbuf sb = STRBUF_INIT;
    const char *p;
    while ((p = strstr(s, from)) != NULL) {
        strbuf_append_n(&sb, s, (size_t)(p - s));
        strbuf_append(&sb, to);
        s = p + from_len;
    }
    strbuf_append(&sb, s);
    return strbuf_detach(&sb);
}

void str_reverse(char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n / 2; i++) {
        char t = s[i];
        s[i] = s[n - 1 - i];
        s[n - 1 - i] = t;
    }
}

ac_err str_to_long(const char *s, int base, long *out)
{
    if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
        return AC_E_INVALID;
    char *end;
    errno = 0;
    long v = strtol(s, &end, base);
    if (errno == ERANGE)
        return AC_E_RANGE;
    if (*end != '\0')
        return AC_E_INVALID;
    *out = v;
    return AC_E_OK;
}

ac_err str_to_int(const char *s, int *out)
{
    long v;
    ac_err err = str_to_long(s, 10, &v);
    if (err != AC_E_OK)
        return err;
    if (v < INT_MIN || v > INT_MAX)
        return AC_E_RANGE;
    *out = (int)v;
    return AC_E_OK;
}

ac_err str_to_double(const char *s, double *out)
{
    if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
        return AC_E_INVALID;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno == ERANGE)
        return AC_E_RANGE;
    if (*end != '\0')
        return AC_E_INVALID;
    *out = v;
    return AC_E_OK;
}
