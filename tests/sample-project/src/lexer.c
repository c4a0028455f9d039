/* lexer.c - tokenizer for calculator expressions. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "lexer.h"

static const char *const k_kind_names[] = {
#define TOK(kind, spelling) spelling,
#include "tokens.def"
#undef TOK
};

_Static_assert(AC_ARRAY_LEN(k_kind_names) == TOK__COUNT, "one name per token kind");

const char *tok_kind_name(tok_kind kind)
{
    return (unsigned)kind < TOK__COUNT ? k_kind_names[kind] : "?";
}

void lexer_init(lexer *lx, const char *src)
{
    lx->src = src;
    lx->pos = 0;
}

#define IS_IDENT_START(c) (isalpha((unsigned char)(c)) || (c) == '_')
#define IS_IDENT_CHAR(c) (isalnum((unsigned char)(c)) || (c) == '_')
#define IS_DIGIT(c) isdigit((unsigned char)(c))

static size_t scan_number(const char *s)
{
    size_t i = 0;
    while (IS_DIGIT(s[i]))
        i++;
    if (s[i] == '.') {
        i++;
        while (IS_DIGIT(s[i]))
            i++;
    }
    if (s[i] == 'e' || s[i] == 'E') {
        size_t j = i + 1;
        if (s[j] == '+' || s[j] == '-')
            j++;
        if (IS_DIGIT(s[j])) {
            while (IS_DIGIT(s[j]))
                j++;
            i = j;
        }
    }
    return i;
}

static tok_kind single_char_kind(char c)
{
    switch (c) {
    case '+': return TOK_PLUS;
    case '-': return TOK_MINUS;
    case '*': return TOK_STAR;
    case '/': return TOK_SLASH;
    case '%': return TOK_PERCENT;
    case '^': return TOK_CARET;
    case '(': return TOK_LPAREN;
    case ')': return TOK_RPAREN;
    case ',': return TOK_COMMA;
    case '=': return TOK_ASSIGN;
    default: return TOK_ERROR;
    }
}

token lexer_next(lexer *lx)
{
    const char *s = lx->src;
    while (isspace((unsigned char)s[lx->pos]))
        lx->pos++;

    token t = { TOK_END, lx->pos, 0, 0.0 };
    char c = s[lx->pos];
    if (c == '\0')
        return t;

    if (IS_DIGIT(c) || (c == '.' && IS_DIGIT(s[lx->pos + 1]))) {
        size_t n = scan_number(s + lx->pos);
        char buf[64];
        size_t copy = AC_MIN(n, sizeof buf - 1);
        memcpy(buf, s + lx->pos, copy);
        buf[copy] = '\0';
        t.kind = TOK_NUMBER;
        t.len = n;
        t.number = strtod(buf, NULL);
    } else if (IS_IDENT_START(c)) {
        size_t n = 1;
        while (IS_IDENT_CHAR(s[lx->pos + n]))
            n++;
        t.kind = TOK_IDENT;
        t.len = n;
    } else {
        t.kind = single_char_kind(c);
        t.len = 1;
    }
    lx->pos += t.len;
    return t;
}

size_t lexer_tokenize(const char *src, token *out, size_t max)
{
    lexer lx;
    size_t n = 0;
    lexer_init(&lx, src);
    while (n < max) {
        out[n] = lexer_next(&lx);
        tok_kind k = out[n++].kind;
        if (k == TOK_END || k == TOK_ERROR)
            break;
    }
    return n;
}
