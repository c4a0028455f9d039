/* mem.c - checked allocation helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static size_t g_allocations;

AC_NORETURN static void out_of_memory(size_t n)
{
    fprintf(stderr, "calc-demo: out of memory allocating %zu bytes\n", n);
    abort();
}

void *ac_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        out_of_memory(n);
    g_allocations++;
    return p;
}

void *ac_xcalloc(size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        out_of_memory(SIZE_MAX);
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL)
        out_of_memory(count * size);
    g_allocations++;
    return p;
}

void *ac_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        out_of_memory(n);
    if (p == NULL)
        g_allocations++;
    return q;
}

char *ac_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = ac_xmalloc(n);
    memcpy(d, s, n);
    return d;
}

char *ac_strndup(const char *s, size_t n)
{
    size_t len = 0;
    while (len < n && s[len] != '\0')
        len++;
    char *d = ac_xmalloc(len + 1);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

size_t ac_alloc_count(void)
{
    return g_allocations;
}
