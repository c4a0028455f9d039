/* common.h - small helpers shared by every module of calc-demo.
 *
 * This header deliberately uses `#pragma once` instead of include guards.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define AC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define AC_MIN(a, b) ((a) < (b) ? (a) : (b))
#define AC_MAX(a, b) ((a) > (b) ? (a) : (b))
#define AC_CLAMP(x, lo, hi) AC_MIN(AC_MAX((x), (lo)), (hi))
#define AC_UNUSED(x) ((void)(x))

#define AC_STR_(x) #x
#define AC_STR(x) AC_STR_(x)
#define AC_CONCAT_(a, b) a##b
#define AC_CONCAT(a, b) AC_CONCAT_(a, b)

/* Recover the enclosing structure from a pointer to one of its members. */
#define AC_CONTAINER_OF(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#if defined(__GNUC__) || defined(__clang__)
#define AC_PRINTF_FMT(fmt_index, first_arg) \
    __attribute__((format(printf, fmt_index, first_arg)))
#define AC_NORETURN __attribute__((noreturn))
#else
#define AC_PRINTF_FMT(fmt_index, first_arg)
#define AC_NORETURN
#endif

#define AC_VERSION_MAJOR 1
#define AC_VERSION_MINOR 4
#define AC_VERSION_STRING AC_STR(AC_VERSION_MAJOR) "." AC_STR(AC_VERSION_MINOR)

static inline uint32_t ac_rotl32(uint32_t x, unsigned n)
{
    n &= 31u;
    return n == 0 ? x : (x << n) | (x >> (32u - n));
}

static inline uint64_t ac_rotl64(uint64_t x, unsigned n)
{
    n &= 63u;
    return n == 0 ? x : (x << n) | (x >> (64u - n));
}

static inline int ac_is_pow2(size_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

static inline size_t ac_next_pow2(size_t x)
{
    size_t p = 1;
    while (p < x)
        p <<= 1;
    return p;
}

/* Allocation helpers (src/util/mem.c); they abort on exhaustion. */
void *ac_xmalloc(size_t n);
void *ac_xcalloc(size_t count, size_t size);
void *ac_xrealloc(void *p, size_t n);
char *ac_strdup(const char *s);
char *ac_strndup(const char *s, size_t n);
size_t ac_alloc_count(void);
