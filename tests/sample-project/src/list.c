/* list.c - intrusive doubly linked list operations. */
#include "list.h"

static void link_between(list_node *n, list_node *prev, list_node *next)
{
    n->prev = prev;
    n->next = next;
    prev->next = n;
    next->prev = n;
}

static void unlink_node(list_node *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
}

void list_push_front(list *l, list_node *n)
{
    link_between(n, &l->head, l->head.next);
    l->len++;
}

void list_push_back(list *l, list_node *n)
{
    link_between(n, l->head.prev, &l->head);
    l->len++;
}

list_node *list_pop_front(list *l)
{
    list_node *n = list_first(l);
    if (n != NULL)
        list_remove(l, n);
    return n;
}

list_node *list_pop_back(list *l)
{
    list_node *n = list_last(l);
    if (n != NULL)
        list_remove(l, n);
    return n;
}

void list_remove(list *l, list_node *n)
{
    unlink_node(n);
    l->len--;
}

void list_move_to_front(list *l, list_node *n)
{
    if (l->head.next == n)
        return;
    unlink_node(n);
    link_between(n, &l->head, l->head.next);
}

void list_reverse(list *l)
{
    list_node *n = &l->head;
    do {
        list_node *t = n->next;
        n->next = n->prev;
        n->prev = t;
        n = t;
    } while (n != &l->head);
}

void list_sort(list *l, int (*less)(const list_node *, const list_node *))
{
    if (l->len < 2)
        return;
    list_node *n = l->head.next->next;
    while (n != &l->head) {
        list_node *next = n->next;
        list_node *pos = n->prev;
        while (pos != &l->head && less(n, pos))
            pos = pos->prev;
        if (pos != n->prev) {
            unlink_node(n);
            link_between(n, pos, pos->next);
        }
        n = next;
    }
}
