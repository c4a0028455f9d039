/* test_core.c - self tests for the utility layer (src/util). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "check.h"
#include "common.h"
#include "errors.h"
#include "log.h"
#include "selftest.h"
#include "strbuf.h"
#include "strutil.h"
#include "utf8.h"

void test_mem(void)
{
    size_t before = ac_alloc_count();
    char *s = ac_strdup("hello");
    char *t = ac_strndup("hello world", 5);
    int *zeros = ac_xcalloc(16, sizeof *zeros);
    CHECK_EQ_STR(s, "hello");
    CHECK_EQ_STR(t, "hello");
    char *empty = ac_strndup(s, 0);
    CHECK_EQ_STR(empty, "");
    free(empty);
    int all_zero = 1;
    for (int i = 0; i < 16; i++)
        all_zero &= zeros[i] == 0;
    CHECK(all_zero);
    CHECK(ac_alloc_count() >= before + 3);
    CHECK(ac_is_pow2(64) && !ac_is_pow2(65) && !ac_is_pow2(0));
    CHECK_EQ_INT(ac_next_pow2(100), 128);
    CHECK_EQ_INT(AC_CLAMP(42, 0, 10), 10);
    CHECK_EQ_INT(AC_CLAMP(-3, 0, 10) + AC_MAX(2, 7) * 2, 14);
    CHECK_EQ_INT(ac_rotl32(0x80000001u, 1), 3);
    CHECK_EQ_STR(AC_VERSION_STRING, "1.4");
    free(s);
    free(t);
    free(zeros);
}

void test_errors(void)
{
    CHECK_EQ_STR(ac_err_name(AC_E_OK), "OK");
    CHECK_EQ_STR(ac_err_name(AC_E_DIVZERO), "DIVZERO");
    CHECK_EQ_STR(ac_err_message(AC_E_NOMEM), "out of memory");
    CHECK_EQ_INT(ac_err_from_name("SYNTAX"), AC_E_SYNTAX);
    CHECK_EQ_INT(ac_err_from_name("NO_SUCH_ERROR"), AC_E__COUNT);
    CHECK_EQ_STR(ac_err_message((ac_err)999), "unknown error");
    /* Every code round-trips through its name. */
    int roundtrip = 1;
    for (int e = 0; e < AC_E__COUNT; e++)
        roundtrip &= ac_err_from_name(ac_err_name((ac_err)e)) == (ac_err)e;
    CHECK(roundtrip);
}

typedef struct captured_log {
    strbuf text;
    int lines;
    log_level last_level;
} captured_log;

static void capture_sink(void *ud, log_level level, const char *line)
{
    captured_log *c = ud;
    strbuf_appendf(&c->text, "%s\n", line);
    c->lines++;
    c->last_level = level;
}

void test_log(void)
{
    captured_log cap = { STRBUF_INIT, 0, LOG_LVL_OFF };
    log_level saved = log_get_level();
    log_set_sink(capture_sink, &cap);
    log_set_level(LOG_LVL_INFO);

    LOG_DEBUG("hidden %d", 1);
    LOG_INFO("value=%d name=%s", 42, "answer");
    int warn_line = __LINE__ + 1;
    LOG_WARN("careful");
    LOG_ERROR("%s:%u", "disk", 7u);

    log_set_sink(NULL, NULL);
    log_set_level(saved);

    char expected[64];
    snprintf(expected, sizeof expected, "[WARN] test_core.c:%d: careful\n", warn_line);
    CHECK_EQ_INT(cap.lines, 3);
    CHECK_EQ_INT(cap.last_level, LOG_LVL_ERROR);
    CHECK(strstr(strbuf_cstr(&cap.text), "value=42 name=answer") != NULL);
    CHECK(strstr(strbuf_cstr(&cap.text), expected) != NULL);
    CHECK(strstr(strbuf_cstr(&cap.text), "hidden") == NULL);
    CHECK(strstr(strbuf_cstr(&cap.text), "[ERROR]") != NULL);
    CHECK_EQ_STR(log_level_name(LOG_LVL_DEBUG), "DEBUG");
    strbuf_free(&cap.text);
}

void test_args(void)
{
    int verbose = 0, dry = 0;
    long jobs = 1;
    const char *out = NULL;
    const arg_spec specs[] = {
        { 'v', "verbose", ARG_FLAG, &verbose, "be chatty" },
        { 'n', "dry-run", ARG_FLAG, &dry, "do nothing" },
        { 'j', "jobs", ARG_INT, &jobs, "parallel jobs" },
        { 'o', "output", ARG_STRING, &out, "output file" },
    };
    char a0[] = "prog", a1[] = "-vv", a2[] = "input.c", a3[] = "--jobs=8", a4[] = "-o",
         a5[] = "out.o", a6[] = "--", a7[] = "-not-an-option";
    char *argv[] = { a0, a1, a2, a3, a4, a5, a6, a7 };
    arg_parse_result r;
    ac_err err = args_parse(specs, AC_ARRAY_LEN(specs), (int)AC_ARRAY_LEN(argv), argv, &r);
    CHECK_EQ_INT(err, AC_E_OK);
    CHECK_EQ_INT(verbose, 2);
    CHECK_EQ_INT(dry, 0);
    CHECK_EQ_INT(jobs, 8);
    CHECK_EQ_STR(out, "out.o");
    CHECK_EQ_INT(r.npositional, 2);
    CHECK_EQ_STR(r.positional[0], "input.c");
    CHECK_EQ_STR(r.positional[1], "-not-an-option");

    char b1[] = "-nj16", b2[] = "--dry-run";
    char *argv2[] = { a0, b1, b2 };
    err = args_parse(specs, AC_ARRAY_LEN(specs), 3, argv2, &r);
    CHECK_EQ_INT(err, AC_E_OK);
    CHECK_EQ_INT(jobs, 16);
    CHECK_EQ_INT(dry, 2);
    CHECK_EQ_INT(r.npositional, 0);

    char c1[] = "--jobs", c2[] = "x12";
    char *argv3[] = { a0, c1, c2 };
    CHECK_EQ_INT(args_parse(specs, AC_ARRAY_LEN(specs), 3, argv3, &r), AC_E_INVALID);
    CHECK(strstr(r.message, "x12") != NULL);

    char d1[] = "--colour";
    char *argv4[] = { a0, d1 };
    CHECK_EQ_INT(args_parse(specs, AC_ARRAY_LEN(specs), 2, argv4, &r), AC_E_UNKNOWN_NAME);

    strbuf usage = STRBUF_INIT;
    args_usage(specs, AC_ARRAY_LEN(specs), &usage);
    CHECK(strstr(strbuf_cstr(&usage), "-j, --jobs N") != NULL);
    CHECK_EQ_INT(str_count(strbuf_cstr(&usage), "\n"), 4);
    strbuf_free(&usage);
}

void test_strbuf(void)
{
    strbuf sb = STRBUF_INIT;
    CHECK_EQ_STR(strbuf_cstr(&sb), "");
    strbuf_append(&sb, "abc");
    strbuf_append_char(&sb, '-');
    strbuf_appendf(&sb, "%d/%s/%.2f", 12, "x", 0.5);
    CHECK_EQ_STR(strbuf_cstr(&sb), "abc-12/x/0.50");
    strbuf_truncate(&sb, 3);
    strbuf_append_repeat(&sb, '.', 3);
    CHECK_EQ_STR(strbuf_cstr(&sb), "abc...");
    for (int i = 0; i < 1000; i++)
        strbuf_appendf(&sb, "%03d", i % 1000);
    CHECK_EQ_INT(strbuf_len(&sb), 6 + 3000);
    CHECK(memcmp(strbuf_cstr(&sb) + strbuf_len(&sb) - 6, "998999", 6) == 0);
    char *owned = strbuf_detach(&sb);
    CHECK_EQ_INT(strbuf_len(&sb), 0);
    CHECK_EQ_INT(strlen(owned), 3006);
    free(owned);
    strbuf_clear(&sb);
    strbuf_free(&sb);
}

void test_strutil(void)
{
    char buf[] = "  \t Hello, World \n";
    char *t = str_trim(buf);
    CHECK_EQ_STR(t, "Hello, World");
    str_to_upper(t);
    CHECK_EQ_STR(t, "HELLO, WORLD");
    str_to_lower(t);
    CHECK_EQ_STR(t, "hello, world");
    CHECK(str_starts_with(t, "hello") && !str_starts_with(t, "world"));
    CHECK(str_ends_with(t, "world") && !str_ends_with("d", "world"));
    CHECK_EQ_INT(str_casecmp("ABC", "abc"), 0);
    CHECK(str_casecmp("abc", "abd") < 0);

    char **parts;
    size_t n = str_split("a,b,,c", ',', &parts);
    CHECK_EQ_INT(n, 4);
    CHECK_EQ_STR(parts[2], "");
    char *joined = str_join(parts, n, " + ");
    CHECK_EQ_STR(joined, "a + b +  + c");
    free(joined);
    str_free_list(parts, n);

    char *r = str_replace_all("the cat sat on the mat", "at", "og");
    CHECK_EQ_STR(r, "the cog sog on the mog");
    CHECK_EQ_INT(str_count(r, "og"), 3);
    free(r);

    char rev[] = "stressed";
    str_reverse(rev);
    CHECK_EQ_STR(rev, "desserts");

    long v = 0;
    int iv = 0;
    double d = 0;
    CHECK_EQ_INT(str_to_long("-1234", 10, &v), AC_E_OK);
    CHECK_EQ_INT(v, -1234);
    CHECK_EQ_INT(str_to_long("0x1F", 0, &v), AC_E_OK);
    CHECK_EQ_INT(v, 31);
    CHECK_EQ_INT(str_to_long("12abc", 10, &v), AC_E_INVALID);
    CHECK_EQ_INT(str_to_long("99999999999999999999999", 10, &v), AC_E_RANGE);
    CHECK_EQ_INT(errno, ERANGE);
    CHECK_EQ_INT(str_to_long("", 10, &v), AC_E_INVALID);
    CHECK_EQ_INT(str_to_int("2147483648", &iv), INT_MAX == 2147483647 ? AC_E_RANGE : AC_E_OK);
    CHECK_EQ_INT(str_to_double("2.5e3", &d), AC_E_OK);
    CHECK_NEAR(d, 2500.0, 1e-9);
}

void test_utf8(void)
{
    uint32_t cp = 0;
    CHECK_EQ_INT(utf8_decode("A", 1, &cp), 1);
    CHECK_EQ_INT(cp, 'A');
    CHECK_EQ_INT(utf8_decode("\xC3\xA9", 2, &cp), 2);
    CHECK_EQ_INT(cp, 0xE9);
    CHECK_EQ_INT(utf8_decode("\xE2\x82\xAC", 3, &cp), 3);
    CHECK_EQ_INT(cp, 0x20AC);
    CHECK_EQ_INT(utf8_decode("\xF0\x9F\x98\x80", 4, &cp), 4);
    CHECK_EQ_INT(cp, 0x1F600);

    /* Malformed input: overlong, surrogate, out of range, truncated. */
    CHECK_EQ_INT(utf8_decode("\xC0\xAF", 2, &cp), -1);
    CHECK_EQ_INT(utf8_decode("\xE0\x80\xAF", 3, &cp), -1);
    CHECK_EQ_INT(utf8_decode("\xED\xA0\x80", 3, &cp), -1);
    CHECK_EQ_INT(utf8_decode("\xF4\x90\x80\x80", 4, &cp), -1);
    CHECK_EQ_INT(utf8_decode("\xE2\x82", 2, &cp), -1);
    CHECK_EQ_INT(utf8_decode("\x80", 1, &cp), -1);

    const char *text = "h\xC3\xA9llo \xE2\x82\xAC" "5";
    CHECK_EQ_INT(utf8_length(text, strlen(text)), 8);
    CHECK(!utf8_valid("\xFF", 1));

    char enc[UTF8_MAX_BYTES];
    int roundtrip = 1;
    for (uint32_t c = 0; c < 0x110000; c += 0x101) {
        size_t n = utf8_encode(c, enc);
        if (c >= 0xD800 && c <= 0xDFFF) {
            roundtrip &= n == 0;
            continue;
        }
        uint32_t back = 0;
        roundtrip &= n > 0 && utf8_decode(enc, n, &back) == (int)n && back == c;
    }
    CHECK(roundtrip);
    CHECK_EQ_INT(utf8_encode(0x110000, enc), 0);
}
