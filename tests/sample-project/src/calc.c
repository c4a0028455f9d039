/* calc.c - recursive-descent evaluator on top of lexer.c.
 *
 *   statement := IDENT '=' expr | expr
 *   expr      := term (('+' | '-') term)*
 *   term      := unary (('*' | '/' | '%') unary)*
 *   unary     := ('+' | '-') unary | power
 *   power     := primary ('^' unary)?          (right associative)
 *   primary   := NUMBER | IDENT | IDENT '(' args ')' | '(' expr ')'
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calc.h"
#include "common.h"
#include "hashmap.h"
#include "lexer.h"
#include "vec.h"

#define CALC_PI 3.14159265358979323846
#define CALC_E 2.71828182845904523536
#define CALC_MAX_ARGS 8

struct calc_env {
    hashmap vars; /* name -> double * */
};

typedef struct parser {
    const char *src;
    vec tokens;
    size_t pos;
    calc_env *env;
    ac_err err;
    size_t err_offset;
    char message[96];
} parser;

typedef ac_err (*calc_fn)(const double *args, size_t n, double *out);

static ac_err fn_sqrt(const double *a, size_t n, double *out)
{
    AC_UNUSED(n);
    if (a[0] < 0)
        return AC_E_DOMAIN;
    *out = sqrt(a[0]);
    return AC_E_OK;
}

static ac_err fn_abs(const double *a, size_t n, double *out)
{
    AC_UNUSED(n);
    *out = fabs(a[0]);
    return AC_E_OK;
}

static ac_err fn_pow(const double *a, size_t n, double *out)
{
    AC_UNUSED(n);
    *out = pow(a[0], a[1]);
    return AC_E_OK;
}

static ac_err fn_ln(const double *a, size_t n, double *out)
{
    AC_UNUSED(n);
    if (a[0] <= 0)
        return AC_E_DOMAIN;
    *out = log(a[0]);
    return AC_E_OK;
}

static ac_err fn_floor(const double *a, size_t n, double *out)
{
    AC_UNUSED(n);
    *out = floor(a[0]);
    return AC_E_OK;
}

static ac_err fn_min(const double *a, size_t n, double *out)
{
    double m = a[0];
    for (size_t i = 1; i < n; i++)
        m = AC_MIN(m, a[i]);
    *out = m;
    return AC_E_OK;
}

static ac_err fn_max(const double *a, size_t n, double *out)
{
    double m = a[0];
    for (size_t i = 1; i < n; i++)
        m = AC_MAX(m, a[i]);
    *out = m;
    return AC_E_OK;
}

static ac_err fn_hypot(const double *a, size_t n, double *out)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += a[i] * a[i];
    *out = sqrt(sum);
    return AC_E_OK;
}

static const struct {
    const char *name;
    size_t min_args, max_args;
    calc_fn fn;
} k_functions[] = {
    { "sqrt", 1, 1, fn_sqrt },
    { "abs", 1, 1, fn_abs },
    { "pow", 2, 2, fn_pow },
    { "ln", 1, 1, fn_ln },
    { "floor", 1, 1, fn_floor },
    { "min", 1, CALC_MAX_ARGS, fn_min },
    { "max", 1, CALC_MAX_ARGS, fn_max },
    { "hypot", 1, CALC_MAX_ARGS, fn_hypot },
};

calc_env *calc_env_new(void)
{
    calc_env *env = ac_xmalloc(sizeof *env);
    hm_init(&env->vars);
    calc_env_set(env, "pi", CALC_PI);
    calc_env_set(env, "e", CALC_E);
    return env;
}

void calc_env_free(calc_env *env)
{
    if (env == NULL)
        return;
    hm_free(&env->vars, free);
    free(env);
}

void calc_env_set(calc_env *env, const char *name, double value)
{
    double *slot = hm_get(&env->vars, name, NULL);
    if (slot == NULL) {
        slot = ac_xmalloc(sizeof *slot);
        hm_put(&env->vars, name, slot, NULL);
    }
    *slot = value;
}

int calc_env_get(const calc_env *env, const char *name, double *value)
{
    const double *slot = hm_get(&env->vars, name, NULL);
    if (slot == NULL)
        return 0;
    *value = *slot;
    return 1;
}

/* ---- parser helpers ------------------------------------------------- */

#define CUR(p) (&VEC_AT(&(p)->tokens, token, (p)->pos))
#define PEEK_KIND(p, k) ((p)->pos + (k) < vec_len(&(p)->tokens) \
                             ? VEC_AT(&(p)->tokens, token, (p)->pos + (k)).kind : TOK_END)

static void fail(parser *p, ac_err err, size_t offset, const char *what)
{
    if (p->err != AC_E_OK)
        return; /* keep the first error */
    p->err = err;
    p->err_offset = offset;
    snprintf(p->message, sizeof p->message, "%s at offset %zu", what, offset);
}

static int accept(parser *p, tok_kind kind)
{
    if (CUR(p)->kind != kind)
        return 0;
    if (kind != TOK_END)
        p->pos++;
    return 1;
}

static void expect(parser *p, tok_kind kind)
{
    if (!accept(p, kind)) {
        char what[64];
        snprintf(what, sizeof what, "expected '%s'", tok_kind_name(kind));
        fail(p, AC_E_SYNTAX, CUR(p)->offset, what);
    }
}

static double parse_expr(parser *p);
static double parse_unary(parser *p);

static double call_function(parser *p, const token *name_tok)
{
    double args[CALC_MAX_ARGS];
    size_t nargs = 0;
    size_t name_len = name_tok->len;
    const char *name = p->src + name_tok->offset;

    if (!accept(p, TOK_RPAREN)) {
        do {
            double v = parse_expr(p);
            if (nargs < CALC_MAX_ARGS)
                args[nargs] = v;
            nargs++;
        } while (p->err == AC_E_OK && accept(p, TOK_COMMA));
        expect(p, TOK_RPAREN);
    }
    if (p->err != AC_E_OK)
        return 0.0;

    for (size_t i = 0; i < AC_ARRAY_LEN(k_functions); i++) {
        if (strlen(k_functions[i].name) != name_len ||
            strncmp(k_functions[i].name, name, name_len) != 0)
            continue;
        if (nargs < k_functions[i].min_args || nargs > k_functions[i].max_args) {
            fail(p, AC_E_INVALID, name_tok->offset, "wrong number of arguments");
            return 0.0;
        }
        double out = 0.0;
        ac_err err = k_functions[i].fn(args, nargs, &out);
        if (err != AC_E_OK)
            fail(p, err, name_tok->offset, ac_err_message(err));
        return out;
    }
    fail(p, AC_E_UNKNOWN_NAME, name_tok->offset, "unknown function");
    return 0.0;
}

static double parse_primary(parser *p)
{
    token t = *CUR(p);
    switch (t.kind) {
    case TOK_NUMBER:
        p->pos++;
        return t.number;
    case TOK_IDENT: {
        p->pos++;
        if (accept(p, TOK_LPAREN))
            return call_function(p, &t);
        char name[64];
        size_t n = AC_MIN(t.len, sizeof name - 1);
        memcpy(name, p->src + t.offset, n);
        name[n] = '\0';
        double v = 0.0;
        if (!calc_env_get(p->env, name, &v))
            fail(p, AC_E_UNKNOWN_NAME, t.offset, "unknown variable");
        return v;
    }
    case TOK_LPAREN: {
        p->pos++;
        double v = parse_expr(p);
        expect(p, TOK_RPAREN);
        return v;
    }
    case TOK_ERROR:
        fail(p, AC_E_SYNTAX, t.offset, "invalid character");
        return 0.0;
    default:
        fail(p, AC_E_SYNTAX, t.offset, "expected a value");
        return 0.0;
    }
}

static double parse_power(parser *p)
{
    double base = parse_primary(p);
    if (p->err == AC_E_OK && accept(p, TOK_CARET)) {
        double exponent = parse_unary(p);
        return pow(base, exponent);
    }
    return base;
}

static double parse_unary(parser *p)
{
    if (accept(p, TOK_MINUS))
        return -parse_unary(p);
    if (accept(p, TOK_PLUS))
        return parse_unary(p);
    return parse_power(p);
}

static double parse_term(parser *p)
{
    double v = parse_unary(p);
    while (p->err == AC_E_OK) {
        size_t offset = CUR(p)->offset;
        if (accept(p, TOK_STAR)) {
            v *= parse_unary(p);
        } else if (accept(p, TOK_SLASH) || accept(p, TOK_PERCENT)) {
            tok_kind op = VEC_AT(&p->tokens, token, p->pos - 1).kind;
            double rhs = parse_unary(p);
            if (rhs == 0.0) {
                fail(p, AC_E_DIVZERO, offset, "division by zero");
                return 0.0;
            }
            v = (op == TOK_SLASH) ? v / rhs : fmod(v, rhs);
        } else {
            break;
        }
    }
    return v;
}

static double parse_expr(parser *p)
{
    double v = parse_term(p);
    while (p->err == AC_E_OK) {
        if (accept(p, TOK_PLUS))
            v += parse_term(p);
        else if (accept(p, TOK_MINUS))
            v -= parse_term(p);
        else
            break;
    }
    return v;
}

calc_result calc_eval(calc_env *env, const char *expr)
{
    calc_result res;
    memset(&res, 0, sizeof res);

    parser p;
    memset(&p, 0, sizeof p);
    p.src = expr;
    p.env = env;
    vec_init(&p.tokens, sizeof(token));

    lexer lx;
    lexer_init(&lx, expr);
    for (;;) {
        token t = lexer_next(&lx);
        vec_push(&p.tokens, &t);
        if (t.kind == TOK_END || t.kind == TOK_ERROR)
            break;
    }

    char target[64] = "";
    if (PEEK_KIND(&p, 0) == TOK_IDENT && PEEK_KIND(&p, 1) == TOK_ASSIGN) {
        const token *t = CUR(&p);
        size_t n = AC_MIN(t->len, sizeof target - 1);
        memcpy(target, expr + t->offset, n);
        target[n] = '\0';
        p.pos += 2;
    }

    double value = parse_expr(&p);
    if (p.err == AC_E_OK && CUR(&p)->kind != TOK_END)
        fail(&p, AC_E_SYNTAX, CUR(&p)->offset, "unexpected trailing input");
    if (p.err == AC_E_OK && !isfinite(value))
        fail(&p, AC_E_RANGE, 0, "result is not finite");

    res.err = p.err;
    if (p.err == AC_E_OK) {
        res.value = value;
        if (target[0] != '\0')
            calc_env_set(env, target, value);
    } else {
        res.error_offset = p.err_offset;
        memcpy(res.message, p.message, sizeof res.message);
    }
    vec_free(&p.tokens);
    return res;
}
