#ifndef AC_HEAP_H
#define AC_HEAP_H

#include <stddef.h>

/* Binary min-heap keyed by priority; ties are broken by insertion order. */
typedef struct heap_item {
    long priority;
    long value;
    unsigned long seq;
} heap_item;

typedef struct heap {
    heap_item *items;
    size_t len;
    size_t cap;
    unsigned long next_seq;
} heap;

void heap_init(heap *h);
void heap_free(heap *h);
void heap_push(heap *h, long priority, long value);
int heap_pop(heap *h, heap_item *out);
int heap_peek(const heap *h, heap_item *out);
int heap_check(const heap *h); /* verifies the heap invariant */

static inline size_t heap_size(const heap *h)
{
    return h->len;
}

#endif /* AC_HEAP_H */
