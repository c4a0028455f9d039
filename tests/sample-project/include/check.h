#ifndef AC_CHECK_H
#define AC_CHECK_H

/* Assertion helpers used by the self tests.  Unlike assert() they never
 * abort: a failing check is reported with its file and line and counted. */

int check_report(int ok, const char *expr, const char *file, int line);
int check_eq_ll(long long got, long long want, const char *expr,
                const char *file, int line);
int check_eq_str(const char *got, const char *want, const char *expr,
                 const char *file, int line);
int check_near(double got, double want, double eps, const char *expr,
               const char *file, int line);
void check_set_verbose(int verbose);
long check_total(void);
long check_failed(void);

#define CHECK(cond) check_report(!!(cond), #cond, __FILE__, __LINE__)
#define CHECK_EQ_INT(got, want) \
    check_eq_ll((long long)(got), (long long)(want), #got " == " #want, __FILE__, __LINE__)
#define CHECK_EQ_STR(got, want) \
    check_eq_str((got), (want), #got " == " #want, __FILE__, __LINE__)
#define CHECK_NEAR(got, want, eps) \
    check_near((got), (want), (eps), #got " ~= " #want, __FILE__, __LINE__)

#endif /* AC_CHECK_H */
