#ifndef AC_SELFTEST_H
#define AC_SELFTEST_H

#include <stddef.h>

#define TEST(name, desc) void test_##name(void);
#include "tests.def"
#undef TEST

typedef struct selftest_options {
    int verbose;      /* print every passing check as well */
    const char *only; /* run just this test, or NULL for all */
} selftest_options;

/* Runs the selected tests, prints PASS/FAIL lines, returns failed count. */
int selftest_run(const selftest_options *opts);
size_t selftest_count(void);
const char *selftest_name(size_t i);

#endif /* AC_SELFTEST_H */
