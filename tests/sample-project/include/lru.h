#ifndef AC_LRU_H
#define AC_LRU_H

#include <stddef.h>
#include "hashmap.h"
#include "list.h"

/* Least-recently-used cache from string keys to long values. */
typedef struct lru_cache {
    hashmap index; /* key -> struct lru_entry * */
    list order;    /* most recently used first */
    size_t capacity;
    unsigned long hits;
    unsigned long misses;
    unsigned long evictions;
} lru_cache;

void lru_init(lru_cache *c, size_t capacity);
void lru_free(lru_cache *c);
int lru_get(lru_cache *c, const char *key, long *value);
void lru_put(lru_cache *c, const char *key, long value);
int lru_contains(const lru_cache *c, const char *key);
/* Writes keys from most to least recently used, separated by sep. */
size_t lru_keys(const lru_cache *c, char *buf, size_t cap, char sep);

static inline size_t lru_size(const lru_cache *c)
{
    return c->order.len;
}

#endif /* AC_LRU_H */
