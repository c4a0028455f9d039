/* heap.c - binary min-heap priority queue. */
#include <stdlib.h>

#include "common.h"
#include "heap.h"

/* a sorts before b: lower priority first, FIFO among equals. */
#define HEAP_LESS(a, b) \
    ((a).priority < (b).priority || ((a).priority == (b).priority && (a).seq < (b).seq))

void heap_init(heap *h)
{
    h->items = NULL;
    h->len = h->cap = 0;
    h->next_seq = 0;
}

void heap_free(heap *h)
{
    free(h->items);
    heap_init(h);
}

static void swap_items(heap_item *a, heap_item *b)
{
    heap_item t = *a;
    *a = *b;
    *b = t;
}

static void sift_up(heap *h, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!HEAP_LESS(h->items[i], h->items[parent]))
            break;
        swap_items(&h->items[i], &h->items[parent]);
        i = parent;
    }
}

static void sift_down(heap *h, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, best = i;
        if (l < h->len && HEAP_LESS(h->items[l], h->items[best]))
            best = l;
        if (r < h->len && HEAP_LESS(h->items[r], h->items[best]))
            best = r;
        if (best == i)
            return;
        swap_items(&h->items[i], &h->items[best]);
        i = best;
    }
}

void heap_push(heap *h, long priority, long value)
{
    if (h->len == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 16;
        h->items = ac_xrealloc(h->items, h->cap * sizeof *h->items);
    }
    heap_item item = { priority, value, h->next_seq++ };
    h->items[h->len] = item;
    sift_up(h, h->len++);
}

int heap_peek(const heap *h, heap_item *out)
{
    if (h->len == 0)
        return 0;
    *out = h->items[0];
    return 1;
}

int heap_pop(heap *h, heap_item *out)
{
    if (h->len == 0)
        return 0;
    if (out != NULL)
        *out = h->items[0];
    h->items[0] = h->items[--h->len];
    sift_down(h, 0);
    return 1;
}

int heap_check(const heap *h)
{
    for (size_t i = 1; i < h->len; i++) {
        if (HEAP_LESS(h->items[i], h->items[(i - 1) / 2]))
            return 0;
    }
    return 1;
}
