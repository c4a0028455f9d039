#ifndef AC_TRIE_H
#define AC_TRIE_H

#include <stddef.h>

typedef struct trie_node trie_node;

typedef struct trie {
    trie_node *root;
    size_t words;
    size_t nodes;
} trie;

typedef void (*trie_visit_fn)(void *userdata, const char *word);

void trie_init(trie *t);
void trie_free(trie *t);
int trie_insert(trie *t, const char *word); /* 1 if new */
int trie_contains(const trie *t, const char *word);
size_t trie_count_prefix(const trie *t, const char *prefix);
/* Length of the longest stored word that is a prefix of s (0 if none). */
size_t trie_longest_prefix(const trie *t, const char *s);
/* Visits words starting with prefix in lexicographic (byte) order. */
size_t trie_collect(const trie *t, const char *prefix, trie_visit_fn fn, void *userdata);

#endif /* AC_TRIE_H */
