/* sort.c - generic comparison sorts over arrays of fixed-size elements. */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "sort.h"

#define ELEM(base, i, size) ((char *)(base) + (i) * (size))
#define INSERTION_CUTOFF 12

static void swap_bytes(void *a, void *b, size_t size)
{
    unsigned char *x = a, *y = b;
    while (size--) {
        unsigned char t = *x;
        *x++ = *y;
        *y++ = t;
    }
}

void sort_insertion(void *base, size_t n, size_t size, cmp_fn cmp)
{
    for (size_t i = 1; i < n; i++) {
        for (size_t j = i; j > 0 && cmp(ELEM(base, j - 1, size), ELEM(base, j, size)) > 0; j--)
            swap_bytes(ELEM(base, j - 1, size), ELEM(base, j, size), size);
    }
}

static void merge_rec(char *a, char *tmp, size_t n, size_t size, cmp_fn cmp)
{
    if (n <= INSERTION_CUTOFF) {
        sort_insertion(a, n, size, cmp);
        return;
    }
    size_t mid = n / 2;
    merge_rec(a, tmp, mid, size, cmp);
    merge_rec(ELEM(a, mid, size), tmp, n - mid, size, cmp);

    size_t i = 0, j = mid, k = 0;
    while (i < mid && j < n) {
        /* "<= 0" takes from the left run on ties, which keeps the sort stable. */
        if (cmp(ELEM(a, i, size), ELEM(a, j, size)) <= 0)
            memcpy(ELEM(tmp, k++, size), ELEM(a, i++, size), size);
        else
            memcpy(ELEM(tmp, k++, size), ELEM(a, j++, size), size);
    }
    while (i < mid)
        memcpy(ELEM(tmp, k++, size), ELEM(a, i++, size), size);
    while (j < n)
        memcpy(ELEM(tmp, k++, size), ELEM(a, j++, size), size);
    memcpy(a, tmp, n * size);
}

void sort_merge(void *base, size_t n, size_t size, cmp_fn cmp)
{
    if (n < 2)
        return;
    char *tmp = ac_xmalloc(n * size);
    merge_rec(base, tmp, n, size, cmp);
    free(tmp);
}

static void sift_down(char *a, size_t start, size_t n, size_t size, cmp_fn cmp)
{
    size_t root = start;
    while (2 * root + 1 < n) {
        size_t child = 2 * root + 1;
        if (child + 1 < n && cmp(ELEM(a, child, size), ELEM(a, child + 1, size)) < 0)
            child++;
        if (cmp(ELEM(a, root, size), ELEM(a, child, size)) >= 0)
            return;
        swap_bytes(ELEM(a, root, size), ELEM(a, child, size), size);
        root = child;
    }
}

void sort_heap(void *base, size_t n, size_t size, cmp_fn cmp)
{
    if (n < 2)
        return;
    for (size_t i = n / 2; i-- > 0;)
        sift_down(base, i, n, size, cmp);
    for (size_t end = n - 1; end > 0; end--) {
        swap_bytes(ELEM(base, 0, size), ELEM(base, end, size), size);
        sift_down(base, 0, end, size, cmp);
    }
}

static void quick_rec(char *a, size_t n, size_t size, cmp_fn cmp)
{
    while (n > INSERTION_CUTOFF) {
        /* Median of three moved to the end, then Lomuto partition. */
        size_t mid = n / 2, last = n - 1;
        if (cmp(ELEM(a, mid, size), ELEM(a, 0, size)) < 0)
            swap_bytes(ELEM(a, mid, size), ELEM(a, 0, size), size);
        if (cmp(ELEM(a, last, size), ELEM(a, 0, size)) < 0)
            swap_bytes(ELEM(a, last, size), ELEM(a, 0, size), size);
        if (cmp(ELEM(a, mid, size), ELEM(a, last, size)) < 0)
            swap_bytes(ELEM(a, mid, size), ELEM(a, last, size), size);

        size_t store = 0;
        for (size_t i = 0; i < last; i++) {
            if (cmp(ELEM(a, i, size), ELEM(a, last, size)) < 0) {
                if (i != store)
                    swap_bytes(ELEM(a, i, size), ELEM(a, store, size), size);
                store++;
            }
        }
        swap_bytes(ELEM(a, store, size), ELEM(a, last, size), size);

        /* Recurse into the smaller side, loop on the larger one. */
        size_t left = store, right = n - store - 1;
        if (left < right) {
            quick_rec(a, left, size, cmp);
            a = ELEM(a, store + 1, size);
            n = right;
        } else {
            quick_rec(ELEM(a, store + 1, size), right, size, cmp);
            n = left;
        }
    }
    sort_insertion(a, n, size, cmp);
}

void sort_quick(void *base, size_t n, size_t size, cmp_fn cmp)
{
    quick_rec(base, n, size, cmp);
}

int sort_is_sorted(const void *base, size_t n, size_t size, cmp_fn cmp)
{
    for (size_t i = 1; i < n; i++) {
        if (cmp(ELEM(base, i - 1, size), ELEM(base, i, size)) > 0)
            return 0;
    }
    return 1;
}

int cmp_int_asc(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int cmp_int_desc(const void *a, const void *b)
{
    return cmp_int_asc(b, a);
}

int cmp_double_asc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int cmp_cstr_asc(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}
