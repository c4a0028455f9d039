/* bitset.c - fixed-size bit sets backed by 64-bit words. */
#include <stdlib.h>
#include <string.h>

#include "bitset.h"
#include "common.h"

#define WORDS_FOR(nbits) (((nbits) + 63u) / 64u)

static unsigned popcount64(uint64_t x)
{
    x = x - ((x >> 1) & UINT64_C(0x5555555555555555));
    x = (x & UINT64_C(0x3333333333333333)) + ((x >> 2) & UINT64_C(0x3333333333333333));
    x = (x + (x >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
    return (unsigned)((x * UINT64_C(0x0101010101010101)) >> 56);
}

static unsigned ctz64(uint64_t x)
{
    unsigned n = 0;
    while ((x & 1u) == 0) {
        x >>= 1;
        n++;
    }
    return n;
}

void bitset_init(bitset *b, size_t nbits)
{
    b->nbits = nbits;
    b->words = ac_xcalloc(WORDS_FOR(nbits), sizeof *b->words);
}

void bitset_free(bitset *b)
{
    free(b->words);
    b->words = NULL;
    b->nbits = 0;
}

static void clear_tail(bitset *b)
{
    size_t rem = b->nbits & 63u;
    if (rem != 0)
        b->words[WORDS_FOR(b->nbits) - 1] &= (UINT64_C(1) << rem) - 1;
}

void bitset_fill(bitset *b, int value)
{
    memset(b->words, value ? 0xFF : 0x00, WORDS_FOR(b->nbits) * sizeof *b->words);
    clear_tail(b);
}

size_t bitset_count(const bitset *b)
{
    size_t total = 0;
    for (size_t i = 0; i < WORDS_FOR(b->nbits); i++)
        total += popcount64(b->words[i]);
    return total;
}

int bitset_next_set(const bitset *b, size_t from, size_t *found)
{
    if (from >= b->nbits)
        return 0;
    size_t w = BITSET_WORD(from);
    uint64_t word = b->words[w] & ~(BITSET_MASK(from) - 1);
    for (;;) {
        if (word != 0) {
            size_t idx = w * 64 + ctz64(word);
            if (idx >= b->nbits)
                return 0;
            *found = idx;
            return 1;
        }
        if (++w >= WORDS_FOR(b->nbits))
            return 0;
        word = b->words[w];
    }
}

#define BITSET_BINOP(name, op)                                   \
    void bitset_##name(bitset *dst, const bitset *src)           \
    {                                                            \
        size_t n = WORDS_FOR(AC_MIN(dst->nbits, src->nbits));    \
        for (size_t i = 0; i < n; i++)                           \
            dst->words[i] op src->words[i];                      \
        clear_tail(dst);                                         \
    }

BITSET_BINOP(and, &=)
BITSET_BINOP(or, |=)
BITSET_BINOP(xor, ^=)
