#ifndef AC_VEC_H
#define AC_VEC_H

#include <stddef.h>
#include <stdlib.h>
#include "common.h"

/* Type-erased dynamic array of fixed-size elements. */
typedef struct vec {
    unsigned char *data;
    size_t len;
    size_t cap;
    size_t elem_size;
} vec;

void vec_init(vec *v, size_t elem_size);
void vec_free(vec *v);
void vec_reserve(vec *v, size_t min_cap);
void *vec_push(vec *v, const void *elem);
int vec_pop(vec *v, void *out);
void *vec_at(const vec *v, size_t i);
void vec_insert(vec *v, size_t i, const void *elem);
void vec_remove(vec *v, size_t i);
void vec_clear(vec *v);
void vec_reverse(vec *v);
void vec_sort(vec *v, int (*cmp)(const void *, const void *));

static inline size_t vec_len(const vec *v)
{
    return v->len;
}

#define VEC_AT(v, type, i) (*(type *)vec_at((v), (i)))
#define VEC_PUSH(v, type, value)       \
    do {                               \
        type vec_tmp_ = (value);       \
        vec_push((v), &vec_tmp_);      \
    } while (0)

/* Generates a small strongly typed vector: struct name + name_push/free. */
#define AC_DEFINE_TYPED_VEC(T, name)                                          \
    typedef struct name {                                                     \
        T *items;                                                             \
        size_t len;                                                           \
        size_t cap;                                                           \
    } name;                                                                   \
    static inline void name##_push(name *v, T x)                              \
    {                                                                         \
        if (v->len == v->cap) {                                               \
            v->cap = v->cap ? v->cap * 2 : 8;                                 \
            v->items = (T *)ac_xrealloc(v->items, v->cap * sizeof(T));        \
        }                                                                     \
        v->items[v->len++] = x;                                               \
    }                                                                         \
    static inline void name##_free(name *v)                                   \
    {                                                                         \
        free(v->items);                                                       \
        v->items = NULL;                                                      \
        v->len = v->cap = 0;                                                  \
    }

#endif /* AC_VEC_H */
