#ifndef AC_SORT_H
#define AC_SORT_H

#include <stddef.h>

typedef int (*cmp_fn)(const void *a, const void *b);

void sort_insertion(void *base, size_t n, size_t size, cmp_fn cmp);
void sort_merge(void *base, size_t n, size_t size, cmp_fn cmp); /* stable */
void sort_heap(void *base, size_t n, size_t size, cmp_fn cmp);
void sort_quick(void *base, size_t n, size_t size, cmp_fn cmp);
int sort_is_sorted(const void *base, size_t n, size_t size, cmp_fn cmp);

int cmp_int_asc(const void *a, const void *b);
int cmp_int_desc(const void *a, const void *b);
int cmp_double_asc(const void *a, const void *b);
int cmp_cstr_asc(const void *a, const void *b); /* elements are char * */

#endif /* AC_SORT_H */
