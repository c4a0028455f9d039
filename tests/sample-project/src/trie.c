/* trie.c - prefix tree with sorted first-child/next-sibling links. */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "strbuf.h"
#include "trie.h"

struct trie_node {
    unsigned char ch;
    unsigned char terminal;
    size_t below; /* number of words ending in this subtree */
    trie_node *child;
    trie_node *sibling;
};

static trie_node *node_new(trie *t, unsigned char ch)
{
    trie_node *n = ac_xcalloc(1, sizeof *n);
    n->ch = ch;
    t->nodes++;
    return n;
}

static void node_free(trie_node *n)
{
    while (n != NULL) {
        trie_node *next = n->sibling;
        node_free(n->child);
        free(n);
        n = next;
    }
}

void trie_init(trie *t)
{
    t->nodes = 0;
    t->words = 0;
    t->root = NULL;
    t->root = node_new(t, 0);
}

void trie_free(trie *t)
{
    node_free(t->root);
    t->root = NULL;
    t->nodes = t->words = 0;
}

static trie_node *find_child(const trie_node *n, unsigned char ch)
{
    for (trie_node *c = n->child; c != NULL && c->ch <= ch; c = c->sibling) {
        if (c->ch == ch)
            return c;
    }
    return NULL;
}

static const trie_node *walk(const trie *t, const char *s)
{
    const trie_node *n = t->root;
    for (; n != NULL && *s; s++)
        n = find_child(n, (unsigned char)*s);
    return n;
}

int trie_insert(trie *t, const char *word)
{
    if (trie_contains(t, word))
        return 0;
    trie_node *n = t->root;
    n->below++;
    for (const unsigned char *p = (const unsigned char *)word; *p; p++) {
        trie_node **link = &n->child;
        while (*link != NULL && (*link)->ch < *p)
            link = &(*link)->sibling;
        if (*link == NULL || (*link)->ch != *p) {
            trie_node *c = node_new(t, *p);
            c->sibling = *link;
            *link = c;
        }
        n = *link;
        n->below++;
    }
    n->terminal = 1;
    t->words++;
    return 1;
}

int trie_contains(const trie *t, const char *word)
{
    const trie_node *n = walk(t, word);
    return n != NULL && n->terminal;
}

size_t trie_count_prefix(const trie *t, const char *prefix)
{
    const trie_node *n = walk(t, prefix);
    return n ? n->below : 0;
}

size_t trie_longest_prefix(const trie *t, const char *s)
{
    const trie_node *n = t->root;
    size_t best = 0;
    for (size_t i = 0; s[i] != '\0'; i++) {
        n = find_child(n, (unsigned char)s[i]);
        if (n == NULL)
            break;
        if (n->terminal)
            best = i + 1;
    }
    return best;
}

static size_t collect(const trie_node *n, strbuf *path, trie_visit_fn fn, void *ud)
{
    size_t count = 0;
    if (n->terminal) {
        fn(ud, strbuf_cstr(path));
        count++;
    }
    for (const trie_node *c = n->child; c != NULL; c = c->sibling) {
        strbuf_append_char(path, (char)c->ch);
        count += collect(c, path, fn, ud);
        strbuf_truncate(path, strbuf_len(path) - 1);
    }
    return count;
}

size_t trie_collect(const trie *t, const char *prefix, trie_visit_fn fn, void *userdata)
{
    const trie_node *n = walk(t, prefix);
    if (n == NULL)
        return 0;
    strbuf path = STRBUF_INIT;
    strbuf_append(&path, prefix);
    size_t count = collect(n, &path, fn, userdata);
    strbuf_free(&path);
    return count;
}
