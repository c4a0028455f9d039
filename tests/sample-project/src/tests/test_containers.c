/* test_containers.c - self tests for the data structures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitset.h"
#include "check.h"
#include "common.h"
#include "hashmap.h"
#include "heap.h"
#include "list.h"
#include "lru.h"
#include "prng.h"
#include "ringbuf.h"
#include "selftest.h"
#include "sort.h"
#include "trie.h"
#include "vec.h"

AC_DEFINE_TYPED_VEC(double, dvec)

void test_vec(void)
{
    vec v;
    vec_init(&v, sizeof(int));
    for (int i = 0; i < 100; i++)
        VEC_PUSH(&v, int, i * i);
    CHECK_EQ_INT(vec_len(&v), 100);
    CHECK_EQ_INT(VEC_AT(&v, int, 7), 49);
    CHECK(vec_at(&v, 100) == NULL);

    int x = -1;
    vec_insert(&v, 0, &x);
    CHECK_EQ_INT(VEC_AT(&v, int, 0) + VEC_AT(&v, int, 1), -1);
    vec_remove(&v, 0);
    CHECK_EQ_INT(VEC_AT(&v, int, 0), 0);

    vec_reverse(&v);
    CHECK_EQ_INT(VEC_AT(&v, int, 0), 99 * 99);
    vec_sort(&v, cmp_int_asc);
    CHECK(sort_is_sorted(v.data, vec_len(&v), sizeof(int), cmp_int_asc));

    int popped = 0;
    CHECK(vec_pop(&v, &popped) && popped == 99 * 99);
    vec_clear(&v);
    CHECK(!vec_pop(&v, NULL));
    vec_free(&v);

    dvec dv = { NULL, 0, 0 };
    for (int i = 1; i <= 20; i++)
        dvec_push(&dv, 1.0 / i);
    double sum = 0;
    for (size_t i = 0; i < dv.len; i++)
        sum += dv.items[i];
    CHECK_NEAR(sum, 3.597739657143682, 1e-12);
    dvec_free(&dv);
}

static void free_int(void *p)
{
    free(p);
}

void test_hashmap(void)
{
    hashmap m;
    hm_init(&m);
    char key[32];
    for (int i = 0; i < 1000; i++) {
        int *val = ac_xmalloc(sizeof *val);
        *val = i * 3;
        snprintf(key, sizeof key, "key-%d", i);
        hm_put(&m, key, val, NULL);
    }
    CHECK_EQ_INT(hm_len(&m), 1000);

    int found = 0;
    int *v = hm_get(&m, "key-500", &found);
    CHECK(found && v != NULL && *v == 1500);
    hm_get(&m, "key-1000", &found);
    CHECK(!found);

    /* Replace returns the previous value. */
    void *old = NULL;
    int *nv = ac_xmalloc(sizeof *nv);
    *nv = -7;
    CHECK_EQ_INT(hm_put(&m, "key-1", nv, &old), 0);
    CHECK(old != NULL && *(int *)old == 3);
    free(old);

    /* Remove every even key, then make sure odd keys survive. */
    int removed = 0;
    for (int i = 0; i < 1000; i += 2) {
        snprintf(key, sizeof key, "key-%d", i);
        void *gone = NULL;
        removed += hm_remove(&m, key, &gone);
        free(gone);
    }
    CHECK_EQ_INT(removed, 500);
    CHECK_EQ_INT(hm_len(&m), 500);
    int odd_ok = 1;
    for (int i = 1; i < 1000; i += 2) {
        snprintf(key, sizeof key, "key-%d", i);
        hm_get(&m, key, &found);
        odd_ok &= found;
    }
    CHECK(odd_ok);

    /* Churn through many insert/remove pairs to exercise tombstones. */
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "tmp-%d", i);
        hm_put(&m, key, NULL, NULL);
        hm_remove(&m, key, NULL);
    }
    CHECK_EQ_INT(hm_len(&m), 500);
    CHECK(m.cap <= 2048);

    hm_iter it = hm_iterate(&m);
    const char *k;
    size_t count = 0;
    while (hm_next(&it, &k, NULL))
        count += strncmp(k, "key-", 4) == 0;
    CHECK_EQ_INT(count, 500);
    hm_free(&m, free_int);
}

struct item {
    int value;
    list_node link;
};

static int item_less(const list_node *a, const list_node *b)
{
    return LIST_ENTRY(a, struct item, link)->value < LIST_ENTRY(b, struct item, link)->value;
}

static int list_sum(const list *l, int weight)
{
    int sum = 0, pos = 1;
    LIST_FOREACH(it, l) {
        sum += LIST_ENTRY(it, struct item, link)->value * (weight ? pos : 1);
        pos++;
    }
    return sum;
}

void test_list(void)
{
    struct item items[10];
    list l;
    list_init(&l);
    CHECK(list_empty(&l) && list_first(&l) == NULL);
    for (int i = 0; i < 10; i++) {
        items[i].value = (i * 7) % 10; /* 0 7 4 1 8 5 2 9 6 3 */
        list_push_back(&l, &items[i].link);
    }
    CHECK_EQ_INT(l.len, 10);
    CHECK_EQ_INT(list_sum(&l, 0), 45);
    CHECK_EQ_INT(LIST_ENTRY(list_last(&l), struct item, link)->value, 3);

    list_sort(&l, item_less);
    CHECK_EQ_INT(list_sum(&l, 1), 330); /* sum of i*(i-1) for i=1..10 */
    list_reverse(&l);
    CHECK_EQ_INT(LIST_ENTRY(list_first(&l), struct item, link)->value, 9);

    list_node *n = list_pop_front(&l);
    CHECK_EQ_INT(LIST_ENTRY(n, struct item, link)->value, 9);
    list_push_back(&l, n);
    list_move_to_front(&l, list_last(&l));
    CHECK_EQ_INT(LIST_ENTRY(list_first(&l), struct item, link)->value, 9);

    list_remove(&l, &items[0].link);
    CHECK_EQ_INT(l.len, 9);
    int drained = 0;
    while (list_pop_back(&l) != NULL)
        drained++;
    CHECK_EQ_INT(drained, 9);
    CHECK(list_empty(&l));
}

void test_ringbuf(void)
{
    ringbuf rb;
    CHECK_EQ_INT(ringbuf_init(&rb, 100), AC_E_INVALID);
    CHECK_EQ_INT(ringbuf_init(&rb, 16), AC_E_OK);

    unsigned char out[32];
    CHECK_EQ_INT(ringbuf_write(&rb, "0123456789", 10), 10);
    CHECK_EQ_INT(ringbuf_read(&rb, out, 6), 6);
    CHECK(memcmp(out, "012345", 6) == 0);
    /* This write wraps around the end of the storage. */
    CHECK_EQ_INT(ringbuf_write(&rb, "abcdefghijklmnop", 16), 12);
    CHECK_EQ_INT(ringbuf_len(&rb), 16);
    CHECK_EQ_INT(ringbuf_space(&rb), 0);
    CHECK_EQ_INT(ringbuf_peek(&rb, out, 5), 5);
    CHECK(memcmp(out, "6789a", 5) == 0);
    CHECK_EQ_INT(ringbuf_skip(&rb, 4), 4);
    CHECK_EQ_INT(ringbuf_read(&rb, out, sizeof out), 12);
    CHECK(memcmp(out, "abcdefghijkl", 12) == 0);
    CHECK_EQ_INT(ringbuf_len(&rb), 0);

    /* Stream many bytes through with odd chunk sizes. */
    unsigned sum_in = 0, sum_out = 0;
    unsigned char chunk[7];
    for (int round = 0; round < 500; round++) {
        for (size_t i = 0; i < sizeof chunk; i++)
            chunk[i] = (unsigned char)(round * 7 + (int)i);
        size_t w = ringbuf_write(&rb, chunk, (size_t)(round % 7) + 1);
        for (size_t i = 0; i < w; i++)
            sum_in += chunk[i];
        size_t r = ringbuf_read(&rb, out, (size_t)(round % 5) + 1);
        for (size_t i = 0; i < r; i++)
            sum_out += out[i];
    }
    while (ringbuf_len(&rb) > 0) {
        size_t r = ringbuf_read(&rb, out, 3);
        for (size_t i = 0; i < r; i++)
            sum_out += out[i];
    }
    CHECK_EQ_INT(sum_in, sum_out);
    ringbuf_free(&rb);
}

void test_lru(void)
{
    lru_cache c;
    lru_init(&c, 3);
    lru_put(&c, "a", 1);
    lru_put(&c, "b", 2);
    lru_put(&c, "c", 3);
    long v = 0;
    CHECK(lru_get(&c, "a", &v) && v == 1); /* a becomes most recent */
    lru_put(&c, "d", 4);                   /* evicts b */
    CHECK(!lru_contains(&c, "b"));
    CHECK(lru_contains(&c, "a") && lru_contains(&c, "c") && lru_contains(&c, "d"));

    char keys[32];
    lru_keys(&c, keys, sizeof keys, ',');
    CHECK_EQ_STR(keys, "d,a,c");
    lru_put(&c, "c", 30);
    lru_keys(&c, keys, sizeof keys, ',');
    CHECK_EQ_STR(keys, "c,d,a");
    CHECK(lru_get(&c, "c", &v) && v == 30);
    CHECK(!lru_get(&c, "zzz", &v));
    CHECK_EQ_INT(c.evictions, 1);
    CHECK_EQ_INT(c.hits, 2);
    CHECK_EQ_INT(c.misses, 1);

    /* Memoised Fibonacci through a tiny cache still gives exact answers. */
    char key[16];
    for (int i = 0; i < 60; i++) {
        long f;
        if (i < 2) {
            f = i;
        } else {
            long f1 = 0, f2 = 0;
            snprintf(key, sizeof key, "fib%d", i - 1);
            lru_get(&c, key, &f1);
            snprintf(key, sizeof key, "fib%d", i - 2);
            lru_get(&c, key, &f2);
            f = f1 + f2;
        }
        snprintf(key, sizeof key, "fib%d", i);
        lru_put(&c, key, f);
    }
    CHECK(lru_get(&c, "fib59", &v) && v == 956722026041L);
    CHECK_EQ_INT(lru_size(&c), 3);
    lru_free(&c);
}

void test_bitset(void)
{
    enum { LIMIT = 1000 };
    bitset composite;
    bitset_init(&composite, LIMIT);
    bitset_set(&composite, 0);
    bitset_set(&composite, 1);
    for (size_t i = 2; i * i < LIMIT; i++) {
        if (bitset_test(&composite, i))
            continue;
        for (size_t j = i * i; j < LIMIT; j += i)
            bitset_set(&composite, j);
    }
    CHECK_EQ_INT(LIMIT - bitset_count(&composite), 168);

    bitset primes;
    bitset_init(&primes, LIMIT);
    bitset_fill(&primes, 1);
    CHECK_EQ_INT(bitset_count(&primes), LIMIT);
    bitset_xor(&primes, &composite);
    CHECK_EQ_INT(bitset_count(&primes), 168);

    size_t p = 0, last = 0, found = 0;
    while (bitset_next_set(&primes, p, &p)) {
        last = p++;
        found++;
    }
    CHECK_EQ_INT(found, 168);
    CHECK_EQ_INT(last, 997);

    bitset_clear(&primes, 997);
    bitset_flip(&primes, 998);
    CHECK(!bitset_test(&primes, 997) && bitset_test(&primes, 998));
    bitset_and(&primes, &composite);
    CHECK_EQ_INT(bitset_count(&primes), 1);
    bitset_or(&primes, &composite);
    CHECK_EQ_INT(bitset_count(&primes), LIMIT - 168);
    bitset_free(&primes);
    bitset_free(&composite);
}

void test_heap(void)
{
    heap h;
    heap_init(&h);
    prng r;
    prng_seed(&r, 7);
    for (long i = 0; i < 500; i++)
        heap_push(&h, (long)prng_below(&r, 100), i);
    CHECK_EQ_INT(heap_size(&h), 500);
    CHECK(heap_check(&h));

    heap_item top, item;
    CHECK(heap_peek(&h, &top));
    long prev_prio = -1;
    long prev_value = -1;
    int ordered = 1, fifo = 1;
    while (heap_pop(&h, &item)) {
        ordered &= item.priority >= prev_prio;
        if (item.priority == prev_prio)
            fifo &= item.value > prev_value;
        prev_prio = item.priority;
        prev_value = item.value;
    }
    CHECK(ordered);
    CHECK(fifo);
    CHECK(!heap_pop(&h, &item));
    CHECK(!heap_peek(&h, &item));
    heap_free(&h);
}

typedef struct collected {
    char text[256];
    size_t count;
} collected;

static void collect_word(void *ud, const char *word)
{
    collected *c = ud;
    size_t used = strlen(c->text);
    snprintf(c->text + used, sizeof c->text - used, "%s%s", used ? " " : "", word);
    c->count++;
}

void test_trie(void)
{
    static const char *const words[] = {
        "car", "card", "care", "careful", "cart", "cat", "dog", "do", "zebra", "car",
    };
    trie t;
    trie_init(&t);
    int inserted = 0;
    for (size_t i = 0; i < AC_ARRAY_LEN(words); i++)
        inserted += trie_insert(&t, words[i]);
    CHECK_EQ_INT(inserted, 9);
    CHECK_EQ_INT(t.words, 9);
    CHECK(trie_contains(&t, "care") && !trie_contains(&t, "ca"));
    CHECK_EQ_INT(trie_count_prefix(&t, "car"), 5);
    CHECK_EQ_INT(trie_count_prefix(&t, "d"), 2);
    CHECK_EQ_INT(trie_count_prefix(&t, "x"), 0);
    CHECK_EQ_INT(trie_count_prefix(&t, ""), 9);
    CHECK_EQ_INT(trie_longest_prefix(&t, "carefully"), 7);
    CHECK_EQ_INT(trie_longest_prefix(&t, "cartoon"), 4);
    CHECK_EQ_INT(trie_longest_prefix(&t, "cow"), 0);

    collected c = { "", 0 };
    CHECK_EQ_INT(trie_collect(&t, "ca", collect_word, &c), 6);
    CHECK_EQ_STR(c.text, "car card care careful cart cat");
    trie_free(&t);
}
