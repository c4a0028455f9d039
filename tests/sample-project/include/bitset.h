#ifndef AC_BITSET_H
#define AC_BITSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct bitset {
    uint64_t *words;
    size_t nbits;
} bitset;

#define BITSET_WORD(i) ((i) >> 6)
#define BITSET_MASK(i) (UINT64_C(1) << ((i) & 63u))

void bitset_init(bitset *b, size_t nbits);
void bitset_free(bitset *b);
void bitset_fill(bitset *b, int value);
size_t bitset_count(const bitset *b);
int bitset_next_set(const bitset *b, size_t from, size_t *found);
void bitset_and(bitset *dst, const bitset *src);
void bitset_or(bitset *dst, const bitset *src);
void bitset_xor(bitset *dst, const bitset *src);

static inline void bitset_set(bitset *b, size_t i) { b->words[BITSET_WORD(i)] |= BITSET_MASK(i); }
static inline void bitset_clear(bitset *b, size_t i) { b->words[BITSET_WORD(i)] &= ~BITSET_MASK(i); }
static inline void bitset_flip(bitset *b, size_t i) { b->words[BITSET_WORD(i)] ^= BITSET_MASK(i); }
static inline int bitset_test(const bitset *b, size_t i)
{
    return (b->words[BITSET_WORD(i)] & BITSET_MASK(i)) != 0;
}

#endif /* AC_BITSET_H */
