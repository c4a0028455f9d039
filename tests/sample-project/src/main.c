/* main.c - calc-demo: a command-line front end for the sample library. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adler32.h"
#include "args.h"
#include "calc.h"
#include "common.h"
#include "crc32.h"
#include "date.h"
#include "fnv.h"
#include "json.h"
#include "log.h"
#include "roman.h"
#include "selftest.h"
#include "sha1.h"
#include "strbuf.h"
#include "strutil.h"

typedef struct options {
    int verbose;
    int quiet;
    int help;
    int version;
    const char *only;
} options;

static void print_usage(FILE *out, const arg_spec *specs, size_t nspecs)
{
    strbuf sb = STRBUF_INIT;
    args_usage(specs, nspecs, &sb);
    fprintf(out,
            "usage: calc-demo [options] <command> [args...]\n"
            "\n"
            "commands:\n"
            "  selftest              run the built-in tests for every module\n"
            "  eval EXPR...          evaluate expressions; 'x = 1 + 2' defines x\n"
            "  hash TEXT             print CRC-32, Adler-32, FNV-1a and SHA-1 of TEXT\n"
            "  roman N|NUMERAL       convert to or from roman numerals\n"
            "  date YYYY-MM-DD       show weekday and day numbers\n"
            "  json TEXT             tokenize and validate a JSON document\n"
            "\n"
            "options:\n%s",
            strbuf_cstr(&sb));
    strbuf_free(&sb);
}

static int cmd_eval(int argc, const char *const *argv)
{
    calc_env *env = calc_env_new();
    int status = 0;
    for (int i = 0; i < argc; i++) {
        calc_result r = calc_eval(env, argv[i]);
        if (r.err == AC_E_OK) {
            printf("%s = %.10g\n", argv[i], r.value);
        } else {
            fprintf(stderr, "calc-demo: %s: %s (%s)\n", argv[i], r.message, ac_err_name(r.err));
            status = 1;
        }
    }
    calc_env_free(env);
    return status;
}

static int cmd_hash(const char *text)
{
    size_t n = strlen(text);
    char hex[SHA1_HEX_SIZE];
    sha1_hex(text, n, hex);
    printf("crc32    %08" PRIx32 "\n", crc32_buf(text, n));
    printf("adler32  %08" PRIx32 "\n", adler32_buf(text, n));
    printf("fnv1a32  %08" PRIx32 "\n", fnv1a32(text, n));
    printf("fnv1a64  %016" PRIx64 "\n", fnv1a64(text, n));
    printf("sha1     %s\n", hex);
    return 0;
}

static int cmd_roman(const char *arg)
{
    int value;
    char buf[ROMAN_BUF_SIZE];
    if (str_to_int(arg, &value) == AC_E_OK) {
        ac_err err = roman_format(value, buf, sizeof buf);
        if (err != AC_E_OK) {
            fprintf(stderr, "calc-demo: %s: %s\n", arg, ac_err_message(err));
            return 1;
        }
        printf("%d = %s\n", value, buf);
        return 0;
    }
    char *upper = ac_strdup(arg);
    str_to_upper(upper);
    ac_err err = roman_parse(upper, &value);
    if (err == AC_E_OK)
        printf("%s = %d\n", upper, value);
    else
        fprintf(stderr, "calc-demo: %s: not a roman numeral\n", arg);
    free(upper);
    return err == AC_E_OK ? 0 : 1;
}

static int cmd_date(const char *arg)
{
    ymd d;
    ac_err err = date_parse(arg, &d);
    if (err != AC_E_OK) {
        fprintf(stderr, "calc-demo: %s: %s\n", arg, ac_err_message(err));
        return 1;
    }
    char buf[DATE_BUF_SIZE];
    date_format(d, buf, sizeof buf);
    printf("%s is a %s, day %d of %d, day %ld since 1970-01-01\n", buf,
           date_weekday_name(date_weekday(d)), date_day_of_year(d), d.year, date_to_days(d));
    return 0;
}

static int cmd_json(const char *text)
{
    json_lexer lx;
    json_lexer_init(&lx, text, strlen(text));
    for (;;) {
        json_token t = json_next(&lx);
        switch (t.kind) {
        case JSON_STRING:
            printf("%-6s \"%s\"\n", json_kind_name(t.kind), t.str);
            break;
        case JSON_NUMBER:
            printf("%-6s %g\n", json_kind_name(t.kind), t.number);
            break;
        case JSON_ERROR:
            printf("%-6s %s at offset %zu\n", json_kind_name(t.kind), t.error, t.offset);
            break;
        default:
            printf("%s\n", json_kind_name(t.kind));
            break;
        }
        json_kind kind = t.kind;
        json_token_free(&t);
        if (kind == JSON_END || kind == JSON_ERROR)
            break;
    }
    size_t depth = 0;
    ac_err err = json_validate(text, strlen(text), &depth);
    printf("valid: %s (depth %zu)\n", err == AC_E_OK ? "yes" : "no", depth);
    return err == AC_E_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    options opt = { 0, 0, 0, 0, NULL };
    const arg_spec specs[] = {
        { 'v', "verbose", ARG_FLAG, &opt.verbose, "more output (repeat for even more)" },
        { 'q', "quiet", ARG_FLAG, &opt.quiet, "only report errors" },
        { 'h', "help", ARG_FLAG, &opt.help, "show this help" },
        { 0, "version", ARG_FLAG, &opt.version, "print the version" },
        { 't', "only", ARG_STRING, &opt.only, "selftest: run just this module" },
    };

    arg_parse_result parsed;
    ac_err err = args_parse(specs, AC_ARRAY_LEN(specs), argc, argv, &parsed);
    if (err != AC_E_OK) {
        fprintf(stderr, "calc-demo: %s\n", parsed.message);
        print_usage(stderr, specs, AC_ARRAY_LEN(specs));
        return 2;
    }
    if (opt.help) {
        print_usage(stdout, specs, AC_ARRAY_LEN(specs));
        return 0;
    }
    if (opt.version) {
        printf("calc-demo " AC_VERSION_STRING "\n");
        return 0;
    }
    log_set_level(opt.quiet ? LOG_LVL_ERROR : opt.verbose ? LOG_LVL_DEBUG : LOG_LVL_WARN);

    if (parsed.npositional == 0) {
        print_usage(stderr, specs, AC_ARRAY_LEN(specs));
        return 2;
    }

    const char *cmd = parsed.positional[0];
    const char *const *rest = parsed.positional + 1;
    int nrest = parsed.npositional - 1;
    LOG_DEBUG("command '%s' with %d argument(s)", cmd, nrest);

    if (strcmp(cmd, "selftest") == 0) {
        selftest_options so = { opt.verbose, opt.only };
        return selftest_run(&so) == 0 ? 0 : 1;
    }
    if (strcmp(cmd, "eval") == 0 && nrest >= 1)
        return cmd_eval(nrest, rest);
    if (strcmp(cmd, "hash") == 0 && nrest == 1)
        return cmd_hash(rest[0]);
    if (strcmp(cmd, "roman") == 0 && nrest == 1)
        return cmd_roman(rest[0]);
    if (strcmp(cmd, "date") == 0 && nrest == 1)
        return cmd_date(rest[0]);
    if (strcmp(cmd, "json") == 0 && nrest == 1)
        return cmd_json(rest[0]);

    LOG_ERROR("unknown command or wrong arguments: %s", cmd);
    print_usage(stderr, specs, AC_ARRAY_LEN(specs));
    return 2;
}
