#ifndef AC_JSON_H
#define AC_JSON_H

#include <stddef.h>
#include "errors.h"

typedef enum json_kind {
    JSON_LBRACE,
    JSON_RBRACE,
    JSON_LBRACKET,
    JSON_RBRACKET,
    JSON_COLON,
    JSON_COMMA,
    JSON_STRING,
    JSON_NUMBER,
    JSON_TRUE,
    JSON_FALSE,
    JSON_NULL,
    JSON_END,
    JSON_ERROR
} json_kind;

typedef struct json_token {
    json_kind kind;
    size_t offset;
    size_t len;
    double number;    /* JSON_NUMBER */
    char *str;        /* JSON_STRING: decoded UTF-8, malloc'd */
    size_t str_len;
    const char *error; /* JSON_ERROR: static description */
} json_token;

typedef struct json_lexer {
    const char *src;
    size_t len;
    size_t pos;
} json_lexer;

void json_lexer_init(json_lexer *lx, const char *src, size_t len);
json_token json_next(json_lexer *lx);
void json_token_free(json_token *tok);
const char *json_kind_name(json_kind kind);
/* Checks full JSON syntax; reports the maximum nesting depth. */
ac_err json_validate(const char *src, size_t len, size_t *max_depth);

#define JSON_MAX_DEPTH 64

#endif /* AC_JSON_H */
