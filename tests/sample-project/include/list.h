#ifndef AC_LIST_H
#define AC_LIST_H

#include <stddef.h>
#include "common.h"

/* Intrusive, circular, doubly linked list with a sentinel node. */
typedef struct list_node {
    struct list_node *prev;
    struct list_node *next;
} list_node;

typedef struct list {
    list_node head;
    size_t len;
} list;

#define LIST_ENTRY(node, type, member) AC_CONTAINER_OF(node, type, member)
#define LIST_FOREACH(it, l) \
    for (list_node *it = (l)->head.next; it != &(l)->head; it = it->next)

static inline void list_init(list *l)
{
    l->head.prev = l->head.next = &l->head;
    l->len = 0;
}

static inline int list_empty(const list *l)
{
    return l->head.next == &l->head;
}

static inline list_node *list_first(const list *l)
{
    return list_empty(l) ? NULL : l->head.next;
}

static inline list_node *list_last(const list *l)
{
    return list_empty(l) ? NULL : l->head.prev;
}

void list_push_front(list *l, list_node *n);
void list_push_back(list *l, list_node *n);
list_node *list_pop_front(list *l);
list_node *list_pop_back(list *l);
void list_remove(list *l, list_node *n);
void list_move_to_front(list *l, list_node *n);
void list_reverse(list *l);
/* Stable insertion sort; less(a, b) returns non-zero if a sorts before b. */
void list_sort(list *l, int (*less)(const list_node *, const list_node *));

#endif /* AC_LIST_H */
