/* hashmap.c - open addressing with linear probing and tombstones. */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "fnv.h"
#include "hashmap.h"

#define HM_INITIAL_CAP 16
/* Grow when used + tombstone slots would exceed 3/4 of the table. */
#define HM_NEEDS_GROW(m) (((m)->len + (m)->tombs + 1) * 4 > (m)->cap * 3)

void hm_init(hashmap *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->len = 0;
    m->tombs = 0;
}

void hm_free(hashmap *m, void (*free_value)(void *))
{
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].state == HM_USED) {
            free(m->slots[i].key);
            if (free_value != NULL)
                free_value(m->slots[i].value);
        }
    }
    free(m->slots);
    hm_init(m);
}

static void hm_resize(hashmap *m, size_t new_cap)
{
    hm_entry *old = m->slots;
    size_t old_cap = m->cap;

    m->slots = ac_xcalloc(new_cap, sizeof *m->slots);
    m->cap = new_cap;
    m->tombs = 0;

    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].state != HM_USED)
            continue;
        size_t j = old[i].hash & (new_cap - 1);
        while (m->slots[j].state == HM_USED)
            j = (j + 1) & (new_cap - 1);
        m->slots[j] = old[i];
    }
    free(old);
}

/* Returns the slot holding key, or SIZE_MAX if absent. */
static size_t hm_find(const hashmap *m, const char *key, uint32_t hash)
{
    if (m->cap == 0)
        return SIZE_MAX;
    size_t mask = m->cap - 1;
    for (size_t i = hash & mask, probes = 0; probes < m->cap; i = (i + 1) & mask, probes++) {
        const hm_entry *e = &m->slots[i];
        if (e->state == HM_EMPTY)
            return SIZE_MAX;
        if (e->state == HM_USED && e->hash == hash && strcmp(e->key, key) == 0)
            return i;
    }
    return SIZE_MAX;
}

int hm_put(hashmap *m, const char *key, void *value, void **old)
{
    uint32_t hash = fnv1a32_str(key);
    size_t found = hm_find(m, key, hash);
    if (found != SIZE_MAX) {
        if (old != NULL)
            *old = m->slots[found].value;
        m->slots[found].value = value;
        return 0;
    }

    if (m->cap == 0 || HM_NEEDS_GROW(m)) {
        size_t cap = m->cap ? m->cap : HM_INITIAL_CAP;
        /* Only double when live entries dominate; otherwise just purge tombstones. */
        if ((m->len + 1) * 2 > cap)
            cap *= 2;
        hm_resize(m, cap);
    }

    size_t mask = m->cap - 1;
    size_t i = hash & mask;
    while (m->slots[i].state == HM_USED)
        i = (i + 1) & mask;
    if (m->slots[i].state == HM_TOMB)
        m->tombs--;
    m->slots[i].key = ac_strdup(key);
    m->slots[i].value = value;
    m->slots[i].hash = hash;
    m->slots[i].state = HM_USED;
    m->len++;
    if (old != NULL)
        *old = NULL;
    return 1;
}

void *hm_get(const hashmap *m, const char *key, int *found)
{
    size_t i = hm_find(m, key, fnv1a32_str(key));
    if (found != NULL)
        *found = (i != SIZE_MAX);
    return i != SIZE_MAX ? m->slots[i].value : NULL;
}

int hm_remove(hashmap *m, const char *key, void **old)
{
    size_t i = hm_find(m, key, fnv1a32_str(key));
    if (i == SIZE_MAX)
        return 0;
    if (old != NULL)
        *old = m->slots[i].value;
    free(m->slots[i].key);
    m->slots[i].key = NULL;
    m->slots[i].value = NULL;
    m->slots[i].state = HM_TOMB;
    m->len--;
    m->tombs++;
    return 1;
}

int hm_next(hm_iter *it, const char **key, void **value)
{
    const hashmap *m = it->map;
    while (it->index < m->cap) {
        const hm_entry *e = &m->slots[it->index++];
        if (e->state == HM_USED) {
            if (key != NULL)
                *key = e->key;
            if (value != NULL)
                *value = e->value;
            return 1;
        }
    }
    return 0;
}
