#ifndef AC_LEXER_H
#define AC_LEXER_H

#include <stddef.h>

typedef enum tok_kind {
#define TOK(kind, spelling) TOK_##kind,
#include "tokens.def"
#undef TOK
    TOK__COUNT
} tok_kind;

typedef struct token {
    tok_kind kind;
    size_t offset; /* byte offset in the source */
    size_t len;
    double number; /* valid for TOK_NUMBER */
} token;

typedef struct lexer {
    const char *src;
    size_t pos;
} lexer;

void lexer_init(lexer *lx, const char *src);
token lexer_next(lexer *lx);
const char *tok_kind_name(tok_kind kind);
/* Tokenizes everything up to and including TOK_END or TOK_ERROR; returns
 * the number of tokens produced (at most max). */
size_t lexer_tokenize(const char *src, token *out, size_t max);

static inline int tok_is_operator(tok_kind k)
{
    return k >= TOK_PLUS && k <= TOK_CARET;
}

#endif /* AC_LEXER_H */
