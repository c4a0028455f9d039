/* vec.c - type-erased dynamic array. */
#include <stdlib.h>
#include <string.h>

#include "vec.h"

#define VEC_MIN_CAP 4
#define ELEM_PTR(v, i) ((v)->data + (i) * (v)->elem_size)

void vec_init(vec *v, size_t elem_size)
{
    v->data = NULL;
    v->len = 0;
    v->cap = 0;
    v->elem_size = elem_size;
}

void vec_free(vec *v)
{
    free(v->data);
    vec_init(v, v->elem_size);
}

void vec_reserve(vec *v, size_t min_cap)
{
    if (min_cap <= v->cap)
        return;
    size_t cap = AC_MAX(v->cap * 2, (size_t)VEC_MIN_CAP);
    while (cap < min_cap)
        cap *= 2;
    v->data = ac_xrealloc(v->data, cap * v->elem_size);
    v->cap = cap;
}

void *vec_push(vec *v, const void *elem)
{
    vec_reserve(v, v->len + 1);
    void *slot = ELEM_PTR(v, v->len);
    memcpy(slot, elem, v->elem_size);
    v->len++;
    return slot;
}

int vec_pop(vec *v, void *out)
{
    if (v->len == 0)
        return 0;
    v->len--;
    if (out != NULL)
        memcpy(out, ELEM_PTR(v, v->len), v->elem_size);
    return 1;
}

void *vec_at(const vec *v, size_t i)
{
    return i < v->len ? ELEM_PTR(v, i) : NULL;
}

void vec_insert(vec *v, size_t i, const void *elem)
{
    if (i > v->len)
        i = v->len;
    vec_reserve(v, v->len + 1);
    memmove(ELEM_PTR(v, i + 1), ELEM_PTR(v, i), (v->len - i) * v->elem_size);
    memcpy(ELEM_PTR(v, i), elem, v->elem_size);
    v->len++;
}

void vec_remove(vec *v, size_t i)
{
    if (i >= v->len)
        return;
    memmove(ELEM_PTR(v, i), ELEM_PTR(v, i + 1), (v->len - i - 1) * v->elem_size);
    v->len--;
}

void vec_clear(vec *v)
{
    v->len = 0;
}

void vec_reverse(vec *v)
{
    if (v->len < 2)
        return;
    unsigned char tmp[64];
    unsigned char *buf = v->elem_size <= sizeof tmp ? tmp : ac_xmalloc(v->elem_size);
    for (size_t i = 0, j = v->len - 1; i < j; i++, j--) {
        memcpy(buf, ELEM_PTR(v, i), v->elem_size);
        memcpy(ELEM_PTR(v, i), ELEM_PTR(v, j), v->elem_size);
        memcpy(ELEM_PTR(v, j), buf, v->elem_size);
    }
    if (buf != tmp)
        free(buf);
}

void vec_sort(vec *v, int (*cmp)(const void *, const void *))
{
    if (v->len > 1)
        qsort(v->data, v->len, v->elem_size, cmp);
}
