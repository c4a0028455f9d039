#ifndef AC_HASHMAP_H
#define AC_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

/* Open-addressing (linear probing) map from C strings to pointers.
 * Keys are copied; values are owned by the caller. */

typedef struct hm_entry {
    char *key;
    void *value;
    uint32_t hash;
    unsigned char state; /* HM_EMPTY, HM_USED or HM_TOMB */
} hm_entry;

enum { HM_EMPTY = 0, HM_USED = 1, HM_TOMB = 2 };

typedef struct hashmap {
    hm_entry *slots;
    size_t cap;
    size_t len;
    size_t tombs;
} hashmap;

typedef struct hm_iter {
    const hashmap *map;
    size_t index;
} hm_iter;

void hm_init(hashmap *m);
void hm_free(hashmap *m, void (*free_value)(void *));
/* Returns 1 when a new key was inserted, 0 when an old value was replaced
 * (the old value is stored in *old if old is not NULL). */
int hm_put(hashmap *m, const char *key, void *value, void **old);
void *hm_get(const hashmap *m, const char *key, int *found);
int hm_remove(hashmap *m, const char *key, void **old);

static inline size_t hm_len(const hashmap *m)
{
    return m->len;
}

static inline hm_iter hm_iterate(const hashmap *m)
{
    hm_iter it = { m, 0 };
    return it;
}

int hm_next(hm_iter *it, const char **key, void **value);

#endif /* AC_HASHMAP_H */
