/* test_codecs.c - self tests for encoders, checksums and parsers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adler32.h"
#include "base64.h"
#include "calc.h"
#include "check.h"
#include "common.h"
#include "crc32.h"
#include "fnv.h"
#include "json.h"
#include "lexer.h"
#include "prng.h"
#include "rle.h"
#include "roman.h"
#include "selftest.h"
#include "sha1.h"

#define QUICK_FOX "The quick brown fox jumps over the lazy dog"
#define STRLEN_LIT(s) (sizeof(s) - 1)

void test_base64(void)
{
    static const struct {
        const char *plain, *encoded;
    } vectors[] = {
        { "", "" },         { "f", "Zg==" },         { "fo", "Zm8=" },
        { "foo", "Zm9v" },  { "foob", "Zm9vYg==" },  { "fooba", "Zm9vYmE=" },
        { "foobar", "Zm9vYmFy" },
    };
    char enc[64];
    unsigned char dec[64];
    size_t dec_len = 0;
    for (size_t i = 0; i < AC_ARRAY_LEN(vectors); i++) {
        size_t n = strlen(vectors[i].plain);
        CHECK_EQ_INT(base64_encode(vectors[i].plain, n, enc), base64_encoded_len(n));
        CHECK_EQ_STR(enc, vectors[i].encoded);
        CHECK_EQ_INT(base64_decode(enc, strlen(enc), dec, &dec_len), AC_E_OK);
        CHECK(dec_len == n && memcmp(dec, vectors[i].plain, n) == 0);
    }
    CHECK_EQ_INT(base64_decode("Zm9", 3, dec, &dec_len), AC_E_SYNTAX);
    CHECK_EQ_INT(base64_decode("Zm=v", 4, dec, &dec_len), AC_E_SYNTAX);
    CHECK_EQ_INT(base64_decode("Zm9v!A==", 8, dec, &dec_len), AC_E_SYNTAX);

    unsigned char bin[256];
    char big[BASE64_ENCODED_LEN(sizeof bin) + 1];
    unsigned char back[sizeof bin];
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (unsigned char)(255 - i);
    size_t len = base64_encode(bin, sizeof bin, big);
    CHECK_EQ_INT(base64_decode(big, len, back, &dec_len), AC_E_OK);
    CHECK(dec_len == sizeof bin && memcmp(back, bin, sizeof bin) == 0);
}

void test_rle(void)
{
    const unsigned char input[] = "aaaabbbcccd";
    unsigned char enc[RLE_WORST_CASE(sizeof input)];
    unsigned char dec[64];
    size_t n = rle_encode(input, STRLEN_LIT("aaaabbbcccd"), enc);
    CHECK_EQ_INT(n, 8);
    CHECK(enc[0] == 4 && enc[1] == 'a' && enc[6] == 1 && enc[7] == 'd');
    size_t out_len = 0;
    CHECK_EQ_INT(rle_decode(enc, n, dec, sizeof dec, &out_len), AC_E_OK);
    CHECK(out_len == 11 && memcmp(dec, input, 11) == 0);
    CHECK_EQ_INT(rle_decode(enc, n, dec, 5, &out_len), AC_E_TRUNCATED);
    CHECK_EQ_INT(rle_decode(enc, n - 1, dec, sizeof dec, &out_len), AC_E_SYNTAX);

    /* Long runs are split at 255 bytes. */
    unsigned char zeros[600] = { 0 };
    unsigned char zenc[RLE_WORST_CASE(600)];
    unsigned char zdec[600];
    n = rle_encode(zeros, sizeof zeros, zenc);
    CHECK_EQ_INT(n, 6);
    CHECK(zenc[0] == 255 && zenc[2] == 255 && zenc[4] == 90);
    CHECK_EQ_INT(rle_decode(zenc, n, zdec, sizeof zdec, &out_len), AC_E_OK);
    CHECK_EQ_INT(out_len, 600);
}

void test_roman(void)
{
    char buf[ROMAN_BUF_SIZE];
    static const struct {
        int value;
        const char *text;
    } vectors[] = {
        { 1, "I" },       { 4, "IV" },        { 9, "IX" },          { 14, "XIV" },
        { 40, "XL" },     { 90, "XC" },       { 400, "CD" },        { 1994, "MCMXCIV" },
        { 2024, "MMXXIV" }, { 3888, "MMMDCCCLXXXVIII" }, { 3999, "MMMCMXCIX" },
    };
    for (size_t i = 0; i < AC_ARRAY_LEN(vectors); i++) {
        int back = 0;
        CHECK_EQ_INT(roman_format(vectors[i].value, buf, sizeof buf), AC_E_OK);
        CHECK_EQ_STR(buf, vectors[i].text);
        CHECK_EQ_INT(roman_parse(vectors[i].text, &back), AC_E_OK);
        CHECK_EQ_INT(back, vectors[i].value);
    }
    int v;
    CHECK_EQ_INT(roman_format(0, buf, sizeof buf), AC_E_RANGE);
    CHECK_EQ_INT(roman_format(4000, buf, sizeof buf), AC_E_RANGE);
    CHECK_EQ_INT(roman_format(3888, buf, 4), AC_E_TRUNCATED);
    CHECK_EQ_INT(roman_parse("IIII", &v), AC_E_SYNTAX);
    CHECK_EQ_INT(roman_parse("VX", &v), AC_E_SYNTAX);
    CHECK_EQ_INT(roman_parse("ABC", &v), AC_E_SYNTAX);
    CHECK_EQ_INT(roman_parse("", &v), AC_E_SYNTAX);

    int all = 1;
    for (int i = ROMAN_MIN; i <= ROMAN_MAX; i++) {
        int back = 0;
        all &= roman_format(i, buf, sizeof buf) == AC_E_OK && roman_parse(buf, &back) == AC_E_OK &&
               back == i;
    }
    CHECK(all);
}

void test_crc32(void)
{
    CHECK_EQ_INT(crc32_buf("", 0), 0);
    CHECK_EQ_INT(crc32_buf("123456789", 9), 0xCBF43926u);
    CHECK_EQ_INT(crc32_buf(QUICK_FOX, STRLEN_LIT(QUICK_FOX)), 0x414FA339u);
    /* Incremental updates give the same result as one call. */
    uint32_t crc = 0;
    for (size_t i = 0; i < STRLEN_LIT(QUICK_FOX); i += 5)
        crc = crc32_update(crc, QUICK_FOX + i, AC_MIN((size_t)5, STRLEN_LIT(QUICK_FOX) - i));
    CHECK_EQ_INT(crc, 0x414FA339u);
}

void test_adler32(void)
{
    CHECK_EQ_INT(adler32_buf("", 0), 1);
    CHECK_EQ_INT(adler32_buf("Wikipedia", 9), 0x11E60398u);
    static unsigned char many_a[100000];
    memset(many_a, 'a', sizeof many_a);
    CHECK_EQ_INT(adler32_buf(many_a, sizeof many_a), 0x79660B4Du);
    uint32_t first = adler32_buf("Wiki", 4), second = adler32_buf("pedia", 5);
    CHECK_EQ_INT(adler32_combine(first, second, 5), 0x11E60398u);
}

void test_fnv(void)
{
    CHECK_EQ_INT(fnv1a32("", 0), 0x811C9DC5u);
    CHECK_EQ_INT(fnv1a32("a", 1), 0xE40C292Cu);
    CHECK_EQ_INT(fnv1a32("foobar", 6), 0xBF9CF968u);
    CHECK_EQ_INT(fnv1a32_str("foobar"), 0xBF9CF968u);
    CHECK_EQ_INT(fnv1a32_continue(fnv1a32("foo", 3), "bar", 3), 0xBF9CF968u);
    CHECK(fnv1a64("a", 1) == UINT64_C(0xaf63dc4c8601ec8c));
    CHECK(fnv1a64("foobar", 6) == UINT64_C(0x85944171f73967e8));
}

void test_sha1(void)
{
    char hex[SHA1_HEX_SIZE];
    sha1_hex("", 0, hex);
    CHECK_EQ_STR(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    sha1_hex("abc", 3, hex);
    CHECK_EQ_STR(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    sha1_hex(QUICK_FOX, STRLEN_LIT(QUICK_FOX), hex);
    CHECK_EQ_STR(hex, "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12");
    static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha1_hex(two_blocks, STRLEN_LIT(two_blocks), hex);
    CHECK_EQ_STR(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");

    /* One million 'a' fed in uneven pieces. */
    sha1_ctx ctx;
    unsigned char digest[SHA1_DIGEST_SIZE];
    char chunk[997];
    memset(chunk, 'a', sizeof chunk);
    sha1_init(&ctx);
    size_t left = 1000000;
    while (left > 0) {
        size_t n = AC_MIN(left, sizeof chunk);
        sha1_update(&ctx, chunk, n);
        left -= n;
    }
    sha1_final(&ctx, digest);
    CHECK(digest[0] == 0x34 && digest[1] == 0xaa && digest[19] == 0x6f);
}

void test_lexer(void)
{
    token toks[32];
    size_t n = lexer_tokenize("x1 = 3.5e2*(y_2 - .5) ^ 2, 7 % 3", toks, AC_ARRAY_LEN(toks));
    static const tok_kind expected[] = {
        TOK_IDENT, TOK_ASSIGN, TOK_NUMBER, TOK_STAR, TOK_LPAREN, TOK_IDENT,  TOK_MINUS,
        TOK_NUMBER, TOK_RPAREN, TOK_CARET, TOK_NUMBER, TOK_COMMA, TOK_NUMBER, TOK_PERCENT,
        TOK_NUMBER, TOK_END,
    };
    CHECK_EQ_INT(n, AC_ARRAY_LEN(expected));
    int kinds_ok = n == AC_ARRAY_LEN(expected);
    for (size_t i = 0; kinds_ok && i < n; i++)
        kinds_ok = toks[i].kind == expected[i];
    CHECK(kinds_ok);
    CHECK_NEAR(toks[2].number, 350.0, 0.0);
    CHECK_NEAR(toks[7].number, 0.5, 0.0);
    CHECK_EQ_INT(toks[5].offset, 12);
    CHECK_EQ_INT(toks[5].len, 3);
    CHECK(tok_is_operator(toks[3].kind) && !tok_is_operator(toks[4].kind));
    CHECK_EQ_STR(tok_kind_name(TOK_CARET), "^");

    n = lexer_tokenize("1 + $", toks, AC_ARRAY_LEN(toks));
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_INT(toks[2].kind, TOK_ERROR);
    CHECK_EQ_INT(toks[2].offset, 4);
}

void test_calc(void)
{
    static const struct {
        const char *expr;
        double value;
    } ok_cases[] = {
        { "1 + 2 * 3", 7 },          { "(1 + 2) * 3", 9 },       { "2 ^ 3 ^ 2", 512 },
        { "-2 ^ 2", -4 },            { "2 ^ -1", 0.5 },          { "10 % 4 + 7 / 2", 5.5 },
        { "sqrt(16) + abs(-3)", 7 }, { "max(1, 5, 3) - min(4, 2)", 3 },
        { "pow(2, 10)", 1024 },      { "hypot(3, 4)", 5 },      { "floor(pi * 100)", 314 },
        { "ln(e)", 1 },              { "--3", 3 },              { "1e3 / 8", 125 },
    };
    calc_env *env = calc_env_new();
    for (size_t i = 0; i < AC_ARRAY_LEN(ok_cases); i++) {
        calc_result r = calc_eval(env, ok_cases[i].expr);
        if (CHECK_EQ_INT(r.err, AC_E_OK))
            CHECK_NEAR(r.value, ok_cases[i].value, 1e-9);
        else
            printf("      %s: %s\n", ok_cases[i].expr, r.message);
    }

    calc_result r = calc_eval(env, "radius = 2.5");
    CHECK_EQ_INT(r.err, AC_E_OK);
    r = calc_eval(env, "area = pi * radius ^ 2");
    CHECK_NEAR(r.value, 19.634954084936208, 1e-12);
    double area = 0;
    CHECK(calc_env_get(env, "area", &area) && fabs(area - r.value) < 1e-15);

    static const struct {
        const char *expr;
        ac_err err;
        size_t offset;
    } bad_cases[] = {
        { "1 +", AC_E_SYNTAX, 3 },        { "(1 + 2", AC_E_SYNTAX, 6 },
        { "4 / (2 - 2)", AC_E_DIVZERO, 2 }, { "nope + 1", AC_E_UNKNOWN_NAME, 0 },
        { "sqrt(-1)", AC_E_DOMAIN, 0 },   { "sqrt(1, 2)", AC_E_INVALID, 0 },
        { "frob(1)", AC_E_UNKNOWN_NAME, 0 }, { "1 2", AC_E_SYNTAX, 2 },
        { "3 # 4", AC_E_SYNTAX, 2 },
    };
    for (size_t i = 0; i < AC_ARRAY_LEN(bad_cases); i++) {
        r = calc_eval(env, bad_cases[i].expr);
        CHECK_EQ_INT(r.err, bad_cases[i].err);
        CHECK_EQ_INT(r.error_offset, bad_cases[i].offset);
    }
    calc_env_free(env);
}

static size_t count_tokens(const char *src, json_kind *last_kind, double *number_sum)
{
    json_lexer lx;
    size_t count = 0;
    json_lexer_init(&lx, src, strlen(src));
    *number_sum = 0;
    for (;;) {
        json_token t = json_next(&lx);
        count++;
        *last_kind = t.kind;
        if (t.kind == JSON_NUMBER)
            *number_sum += t.number;
        json_token_free(&t);
        if (*last_kind == JSON_END || *last_kind == JSON_ERROR)
            return count;
    }
}

void test_json(void)
{
    const char *doc = "{\"name\": \"caf\\u00e9\", \"tags\": [\"a\", \"b\\n\"], "
                      "\"n\": [1, -2.5, 3e2, 0], \"ok\": true, \"none\": null, \"no\": false}";
    json_kind last;
    double sum;
    CHECK_EQ_INT(count_tokens(doc, &last, &sum), 38);
    CHECK_EQ_INT(last, JSON_END);
    CHECK_NEAR(sum, 298.5, 1e-12);

    json_lexer lx;
    json_lexer_init(&lx, doc, strlen(doc));
    json_token t = json_next(&lx);
    CHECK_EQ_INT(t.kind, JSON_LBRACE);
    t = json_next(&lx);
    CHECK_EQ_STR(t.str, "name");
    json_token_free(&t);
    json_next(&lx); /* colon */
    t = json_next(&lx);
    CHECK_EQ_STR(t.str, "caf\xC3\xA9");
    CHECK_EQ_INT(t.str_len, 5);
    json_token_free(&t);

    json_lexer_init(&lx, "\"\\ud83d\\ude00\"", 14);
    t = json_next(&lx);
    CHECK_EQ_STR(t.str, "\xF0\x9F\x98\x80");
    json_token_free(&t);

    size_t depth = 0;
    CHECK_EQ_INT(json_validate(doc, strlen(doc), &depth), AC_E_OK);
    CHECK_EQ_INT(depth, 2);
    CHECK_EQ_INT(json_validate("[[[[]]], {}]", 12, &depth), AC_E_OK);
    CHECK_EQ_INT(depth, 4);

    static const char *const invalid[] = {
        "",        "[1, 2",     "{\"a\" 1}", "[1,]",       "01",     "1.",
        "\"abc",   "tru",       "{1: 2}",    "[\"\\x\"]",  "\"\\ud800\"", "[] []",
    };
    int all_rejected = 1;
    for (size_t i = 0; i < AC_ARRAY_LEN(invalid); i++) {
        ac_err err = json_validate(invalid[i], strlen(invalid[i]), NULL);
        if (err == AC_E_OK) {
            printf("      accepted invalid JSON: %s\n", invalid[i]);
            all_rejected = 0;
        }
    }
    CHECK(all_rejected);

    char deep[2 * (JSON_MAX_DEPTH + 1) + 1];
    memset(deep, '[', JSON_MAX_DEPTH + 1);
    memset(deep + JSON_MAX_DEPTH + 1, ']', JSON_MAX_DEPTH + 1);
    deep[sizeof deep - 1] = '\0';
    CHECK_EQ_INT(json_validate(deep, strlen(deep), NULL), AC_E_RANGE);
    CHECK_EQ_STR(json_kind_name(JSON_COLON), ":");
}
