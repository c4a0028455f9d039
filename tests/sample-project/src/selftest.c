/* selftest.c - runs the test table generated from tests.def. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "selftest.h"

typedef struct test_case {
    const char *name;
    const char *description;
    void (*fn)(void);
} test_case;

static const test_case k_tests[] = {
#define TEST(name, desc) { #name, desc, test_##name },
#include "tests.def"
#undef TEST
};

enum {
#define TEST(name, desc) TEST_INDEX_##name,
#include "tests.def"
#undef TEST
    TEST_COUNT
};

_Static_assert(AC_ARRAY_LEN(k_tests) == TEST_COUNT, "test table matches tests.def");

static int g_verbose;
static long g_total;
static long g_failed;

void check_set_verbose(int verbose)
{
    g_verbose = verbose;
}

long check_total(void)
{
    return g_total;
}

long check_failed(void)
{
    return g_failed;
}

int check_report(int ok, const char *expr, const char *file, int line)
{
    g_total++;
    if (!ok) {
        g_failed++;
        printf("    check failed: %s:%d: %s\n", file, line, expr);
    } else if (g_verbose > 1) {
        printf("    ok: %s\n", expr);
    }
    return ok;
}

int check_eq_ll(long long got, long long want, const char *expr, const char *file, int line)
{
    int ok = check_report(got == want, expr, file, line);
    if (!ok)
        printf("      got %lld, want %lld\n", got, want);
    return ok;
}

int check_eq_str(const char *got, const char *want, const char *expr, const char *file,
                 int line)
{
    int same = (got == NULL || want == NULL) ? got == want : strcmp(got, want) == 0;
    int ok = check_report(same, expr, file, line);
    if (!ok)
        printf("      got \"%s\", want \"%s\"\n", got ? got : "(null)", want ? want : "(null)");
    return ok;
}

int check_near(double got, double want, double eps, const char *expr, const char *file, int line)
{
    int ok = check_report(fabs(got - want) <= eps, expr, file, line);
    if (!ok)
        printf("      got %.17g, want %.17g (eps %g)\n", got, want, eps);
    return ok;
}

size_t selftest_count(void)
{
    return AC_ARRAY_LEN(k_tests);
}

const char *selftest_name(size_t i)
{
    return i < AC_ARRAY_LEN(k_tests) ? k_tests[i].name : NULL;
}

int selftest_run(const selftest_options *opts)
{
    int failed_tests = 0, ran = 0;
    check_set_verbose(opts->verbose);

    for (size_t i = 0; i < AC_ARRAY_LEN(k_tests); i++) {
        const test_case *t = &k_tests[i];
        if (opts->only != NULL && strcmp(opts->only, t->name) != 0)
            continue;
        long total_before = g_total, failed_before = g_failed;
        t->fn();
        long checks = g_total - total_before, failures = g_failed - failed_before;
        ran++;
        if (failures == 0 && checks > 0) {
            printf("PASS %-10s %-28s (%ld checks)\n", t->name, t->description, checks);
        } else {
            failed_tests++;
            printf("FAIL %-10s %-28s (%ld of %ld checks failed)\n", t->name, t->description,
                   failures, checks);
        }
    }

    if (ran == 0) {
        printf("FAIL no test named '%s'\n", opts->only ? opts->only : "");
        return 1;
    }
    printf("selftest: %d/%d modules passed, %ld checks, %ld failed\n", ran - failed_tests, ran,
           g_total, g_failed);
    return failed_tests;
}
