/* json.c - JSON tokenizer (RFC 8259) and a structural validator. */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "json.h"
#include "strbuf.h"
#include "utf8.h"

static const char *const k_json_kind_names[] = {
    "{", "}", "[", "]", ":", ",", "string", "number", "true", "false", "null", "end", "error",
};

_Static_assert(AC_ARRAY_LEN(k_json_kind_names) == JSON_ERROR + 1, "one name per JSON token kind");

const char *json_kind_name(json_kind kind)
{
    return (unsigned)kind <= JSON_ERROR ? k_json_kind_names[kind] : "?";
}

void json_lexer_init(json_lexer *lx, const char *src, size_t len)
{
    lx->src = src;
    lx->len = len;
    lx->pos = 0;
}

void json_token_free(json_token *tok)
{
    free(tok->str);
    tok->str = NULL;
    tok->str_len = 0;
}

#define JSON_IS_WS(c) ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r')
#define JSON_IS_DIGIT(c) ((c) >= '0' && (c) <= '9')

static json_token make_error(json_lexer *lx, size_t start, const char *why)
{
    json_token t;
    memset(&t, 0, sizeof t);
    t.kind = JSON_ERROR;
    t.offset = start;
    t.len = lx->pos - start;
    t.error = why;
    return t;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int read_hex4(json_lexer *lx, uint32_t *out)
{
    if (lx->pos + 4 > lx->len)
        return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value(lx->src[lx->pos + (size_t)i]);
        if (h < 0)
            return 0;
        v = (v << 4) | (uint32_t)h;
    }
    lx->pos += 4;
    *out = v;
    return 1;
}

static json_token lex_string(json_lexer *lx)
{
    size_t start = lx->pos++;
    strbuf sb = STRBUF_INIT;
    strbuf_reserve(&sb, 0);

    for (;;) {
        if (lx->pos >= lx->len) {
            strbuf_free(&sb);
            return make_error(lx, start, "unterminated string");
        }
        unsigned char c = (unsigned char)lx->src[lx->pos];
        if (c == '"') {
            lx->pos++;
            break;
        }
        if (c < 0x20) {
            strbuf_free(&sb);
            return make_error(lx, start, "control character in string");
        }
        if (c != '\\') {
            uint32_t cp;
            int n = utf8_decode(lx->src + lx->pos, lx->len - lx->pos, &cp);
            if (n < 0) {
                strbuf_free(&sb);
                return make_error(lx, start, "invalid UTF-8 in string");
            }
            strbuf_append_n(&sb, lx->src + lx->pos, (size_t)n);
            lx->pos += (size_t)n;
            continue;
        }

        lx->pos++;
        if (lx->pos >= lx->len) {
            strbuf_free(&sb);
            return make_error(lx, start, "unterminated escape");
        }
        char e = lx->src[lx->pos++];
        switch (e) {
        case '"': strbuf_append_char(&sb, '"'); break;
        case '\\': strbuf_append_char(&sb, '\\'); break;
        case '/': strbuf_append_char(&sb, '/'); break;
        case 'b': strbuf_append_char(&sb, '\b'); break;
        case 'f': strbuf_append_char(&sb, '\f'); break;
        case 'n': strbuf_append_char(&sb, '\n'); break;
        case 'r': strbuf_append_char(&sb, '\r'); break;
        case 't': strbuf_append_char(&sb, '\t'); break;
        case 'u': {
            uint32_t cp;
            if (!read_hex4(lx, &cp)) {
                strbuf_free(&sb);
                return make_error(lx, start, "bad \\u escape");
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (lx->pos + 2 > lx->len || lx->src[lx->pos] != '\\' ||
                    lx->src[lx->pos + 1] != 'u') {
                    strbuf_free(&sb);
                    return make_error(lx, start, "unpaired surrogate");
                }
                lx->pos += 2;
                if (!read_hex4(lx, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                    strbuf_free(&sb);
                    return make_error(lx, start, "unpaired surrogate");
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                strbuf_free(&sb);
                return make_error(lx, start, "unpaired surrogate");
            }
            char enc[UTF8_MAX_BYTES];
            size_t n = utf8_encode(cp, enc);
            strbuf_append_n(&sb, enc, n);
            break;
        }
        default:
            strbuf_free(&sb);
            return make_error(lx, start, "unknown escape");
        }
    }

    json_token t;
    memset(&t, 0, sizeof t);
    t.kind = JSON_STRING;
    t.offset = start;
    t.len = lx->pos - start;
    t.str_len = strbuf_len(&sb);
    t.str = strbuf_detach(&sb);
    return t;
}

static json_token lex_number(json_lexer *lx)
{
    const char *s = lx->src;
    size_t start = lx->pos, i = lx->pos;
#define AT(k) ((k) < lx->len ? s[(k)] : '\0')
    if (AT(i) == '-')
        i++;
    if (AT(i) == '0') {
        i++;
    } else if (JSON_IS_DIGIT(AT(i))) {
        while (JSON_IS_DIGIT(AT(i)))
            i++;
    } else {
        lx->pos = i;
        return make_error(lx, start, "bad number");
    }
    if (AT(i) == '.') {
        i++;
        if (!JSON_IS_DIGIT(AT(i))) {
            lx->pos = i;
            return make_error(lx, start, "digit expected after '.'");
        }
        while (JSON_IS_DIGIT(AT(i)))
            i++;
    }
    if (AT(i) == 'e' || AT(i) == 'E') {
        i++;
        if (AT(i) == '+' || AT(i) == '-')
            i++;
        if (!JSON_IS_DIGIT(AT(i))) {
            lx->pos = i;
            return make_error(lx, start, "digit expected in exponent");
        }
        while (JSON_IS_DIGIT(AT(i)))
            i++;
    }
#undef AT
    char buf[128];
    size_t n = i - start;
    if (n >= sizeof buf) {
        lx->pos = i;
        return make_error(lx, start, "number too long");
    }
    memcpy(buf, s + start, n);
    buf[n] = '\0';

    json_token t;
    memset(&t, 0, sizeof t);
    t.kind = JSON_NUMBER;
    t.offset = start;
    t.len = n;
    t.number = strtod(buf, NULL);
    lx->pos = i;
    return t;
}

static int match_word(json_lexer *lx, const char *word)
{
    size_t n = strlen(word);
    return lx->pos + n <= lx->len && memcmp(lx->src + lx->pos, word, n) == 0;
}

json_token json_next(json_lexer *lx)
{
    while (lx->pos < lx->len && JSON_IS_WS(lx->src[lx->pos]))
        lx->pos++;

    json_token t;
    memset(&t, 0, sizeof t);
    t.offset = lx->pos;
    if (lx->pos >= lx->len) {
        t.kind = JSON_END;
        return t;
    }

    char c = lx->src[lx->pos];
    switch (c) {
    case '{': t.kind = JSON_LBRACE; break;
    case '}': t.kind = JSON_RBRACE; break;
    case '[': t.kind = JSON_LBRACKET; break;
    case ']': t.kind = JSON_RBRACKET; break;
    case ':': t.kind = JSON_COLON; break;
    case ',': t.kind = JSON_COMMA; break;
    case '"': return lex_string(lx);
    default:
        if (c == '-' || JSON_IS_DIGIT(c))
            return lex_number(lx);
        static const struct {
            const char *word;
            json_kind kind;
        } literals[] = { { "true", JSON_TRUE }, { "false", JSON_FALSE }, { "null", JSON_NULL } };
        for (size_t i = 0; i < AC_ARRAY_LEN(literals); i++) {
            if (match_word(lx, literals[i].word)) {
                t.kind = literals[i].kind;
                t.len = strlen(literals[i].word);
                lx->pos += t.len;
                return t;
            }
        }
        lx->pos++;
        return make_error(lx, t.offset, "unexpected character");
    }
    t.len = 1;
    lx->pos++;
    return t;
}

/* ---- validator ------------------------------------------------------ */

typedef struct validator {
    json_lexer lx;
    json_token tok;
    size_t depth;
    size_t max_depth;
    ac_err err;
} validator;

static void advance(validator *v)
{
    json_token_free(&v->tok);
    v->tok = json_next(&v->lx);
    if (v->tok.kind == JSON_ERROR && v->err == AC_E_OK)
        v->err = AC_E_SYNTAX;
}

static int expect_kind(validator *v, json_kind k)
{
    if (v->err != AC_E_OK)
        return 0;
    if (v->tok.kind != k) {
        v->err = AC_E_SYNTAX;
        return 0;
    }
    advance(v);
    return v->err == AC_E_OK;
}

static void parse_value(validator *v);

static void parse_container(validator *v, json_kind close, int is_object)
{
    if (++v->depth > JSON_MAX_DEPTH) {
        v->err = AC_E_RANGE;
        return;
    }
    v->max_depth = AC_MAX(v->max_depth, v->depth);
    advance(v); /* opening bracket */
    if (v->err == AC_E_OK && v->tok.kind == close) {
        advance(v);
        v->depth--;
        return;
    }
    while (v->err == AC_E_OK) {
        if (is_object) {
            if (!expect_kind(v, JSON_STRING) || !expect_kind(v, JSON_COLON))
                return;
        }
        parse_value(v);
        if (v->err != AC_E_OK)
            return;
        if (v->tok.kind == JSON_COMMA) {
            advance(v);
            continue;
        }
        if (expect_kind(v, close))
            v->depth--;
        return;
    }
}

static void parse_value(validator *v)
{
    switch (v->tok.kind) {
    case JSON_LBRACE:
        parse_container(v, JSON_RBRACE, 1);
        break;
    case JSON_LBRACKET:
        parse_container(v, JSON_RBRACKET, 0);
        break;
    case JSON_STRING:
    case JSON_NUMBER:
    case JSON_TRUE:
    case JSON_FALSE:
    case JSON_NULL:
        advance(v);
        break;
    default:
        v->err = AC_E_SYNTAX;
        break;
    }
}

ac_err json_validate(const char *src, size_t len, size_t *max_depth)
{
    validator v;
    memset(&v, 0, sizeof v);
    json_lexer_init(&v.lx, src, len);
    advance(&v);
    parse_value(&v);
    if (v.err == AC_E_OK && v.tok.kind != JSON_END)
        v.err = AC_E_SYNTAX;
    json_token_free(&v.tok);
    if (max_depth != NULL)
        *max_depth = v.max_depth;
    return v.err;
}
