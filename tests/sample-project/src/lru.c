/* lru.c - LRU cache built from hashmap.c and list.c. */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "lru.h"

struct lru_entry {
    list_node link;
    char *key;
    long value;
};

#define ENTRY_OF(node) LIST_ENTRY(node, struct lru_entry, link)

void lru_init(lru_cache *c, size_t capacity)
{
    hm_init(&c->index);
    list_init(&c->order);
    c->capacity = capacity ? capacity : 1;
    c->hits = c->misses = c->evictions = 0;
}

static void free_entry(void *p)
{
    struct lru_entry *e = p;
    free(e->key);
    free(e);
}

void lru_free(lru_cache *c)
{
    hm_free(&c->index, free_entry);
    list_init(&c->order);
}

int lru_get(lru_cache *c, const char *key, long *value)
{
    struct lru_entry *e = hm_get(&c->index, key, NULL);
    if (e == NULL) {
        c->misses++;
        return 0;
    }
    c->hits++;
    list_move_to_front(&c->order, &e->link);
    if (value != NULL)
        *value = e->value;
    return 1;
}

int lru_contains(const lru_cache *c, const char *key)
{
    int found;
    hm_get(&c->index, key, &found);
    return found;
}

void lru_put(lru_cache *c, const char *key, long value)
{
    struct lru_entry *e = hm_get(&c->index, key, NULL);
    if (e != NULL) {
        e->value = value;
        list_move_to_front(&c->order, &e->link);
        return;
    }

    if (lru_size(c) >= c->capacity) {
        struct lru_entry *victim = ENTRY_OF(list_pop_back(&c->order));
        hm_remove(&c->index, victim->key, NULL);
        free_entry(victim);
        c->evictions++;
    }

    e = ac_xmalloc(sizeof *e);
    e->key = ac_strdup(key);
    e->value = value;
    list_push_front(&c->order, &e->link);
    hm_put(&c->index, key, e, NULL);
}

size_t lru_keys(const lru_cache *c, char *buf, size_t cap, char sep)
{
    size_t pos = 0;
    if (cap == 0)
        return 0;
    LIST_FOREACH(it, &c->order) {
        const struct lru_entry *e = ENTRY_OF(it);
        size_t n = strlen(e->key);
        size_t extra = (pos > 0) + n;
        if (pos + extra + 1 > cap)
            break;
        if (pos > 0)
            buf[pos++] = sep;
        memcpy(buf + pos, e->key, n);
        pos += n;
    }
    buf[pos] = '\0';
    return pos;
}
