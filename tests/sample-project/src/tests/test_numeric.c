/* test_numeric.c - self tests for algorithms and numeric modules. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bigint.h"
#include "binsearch.h"
#include "check.h"
#include "common.h"
#include "date.h"
#include "matrix.h"
#include "prng.h"
#include "rational.h"
#include "selftest.h"
#include "sort.h"

typedef void (*sort_fn)(void *, size_t, size_t, cmp_fn);

typedef struct pair {
    int key;
    int order;
} pair;

static int cmp_pair_key(const void *a, const void *b)
{
    return cmp_int_asc(&((const pair *)a)->key, &((const pair *)b)->key);
}

static int sorted_matches(sort_fn fn, const int *input, const int *reference, size_t n)
{
    int *copy = ac_xmalloc(n * sizeof *copy);
    memcpy(copy, input, n * sizeof *copy);
    fn(copy, n, sizeof *copy, cmp_int_asc);
    int same = memcmp(copy, reference, n * sizeof *copy) == 0;
    free(copy);
    return same;
}

void test_sort(void)
{
    static const struct {
        const char *name;
        sort_fn fn;
    } sorters[] = {
#define SORTER(fn) { #fn, fn }
        SORTER(sort_insertion), SORTER(sort_merge), SORTER(sort_heap), SORTER(sort_quick),
#undef SORTER
    };
    static const size_t sizes[] = { 0, 1, 2, 13, 100, 1000 };
    prng r;
    prng_seed(&r, 2024);

    for (size_t s = 0; s < AC_ARRAY_LEN(sizes); s++) {
        size_t n = sizes[s];
        int *input = ac_xmalloc((n + 1) * sizeof *input);
        int *reference = ac_xmalloc((n + 1) * sizeof *reference);
        for (size_t i = 0; i < n; i++)
            input[i] = (int)prng_below(&r, 50) - 25; /* many duplicates */
        memcpy(reference, input, n * sizeof *input);
        qsort(reference, n, sizeof *reference, cmp_int_asc);
        for (size_t k = 0; k < AC_ARRAY_LEN(sorters); k++) {
            if (!CHECK(sorted_matches(sorters[k].fn, input, reference, n)))
                printf("      %s failed for n=%zu\n", sorters[k].name, n);
        }
        free(input);
        free(reference);
    }

    /* Already sorted and reverse sorted inputs. */
    int asc[200], desc[200];
    for (int i = 0; i < 200; i++) {
        asc[i] = i;
        desc[i] = 199 - i;
    }
    sort_quick(desc, 200, sizeof(int), cmp_int_asc);
    CHECK(memcmp(asc, desc, sizeof asc) == 0);
    sort_heap(asc, 200, sizeof(int), cmp_int_desc);
    CHECK(asc[0] == 199 && asc[199] == 0);

    /* Merge sort must be stable. */
    pair pairs[64];
    for (int i = 0; i < 64; i++) {
        pairs[i].key = (i * 37) % 8;
        pairs[i].order = i;
    }
    sort_merge(pairs, 64, sizeof(pair), cmp_pair_key);
    int stable = 1;
    for (int i = 1; i < 64; i++) {
        if (pairs[i].key == pairs[i - 1].key)
            stable &= pairs[i].order > pairs[i - 1].order;
    }
    CHECK(stable);

    const char *names[] = { "pear", "apple", "fig", "banana" };
    sort_insertion(names, AC_ARRAY_LEN(names), sizeof names[0], cmp_cstr_asc);
    CHECK_EQ_STR(names[0], "apple");
    CHECK_EQ_STR(names[3], "pear");

    double ds[] = { 3.5, -1.0, 2.25, 0.0 };
    sort_quick(ds, 4, sizeof ds[0], cmp_double_asc);
    CHECK(sort_is_sorted(ds, 4, sizeof ds[0], cmp_double_asc));
}

void test_binsearch(void)
{
    const int a[] = { 1, 3, 3, 3, 5, 8, 13, 21 };
    const size_t n = AC_ARRAY_LEN(a);
    int key = 3;
    CHECK_EQ_INT(bs_lower_bound(a, n, sizeof a[0], &key, cmp_int_asc), 1);
    CHECK_EQ_INT(bs_upper_bound(a, n, sizeof a[0], &key, cmp_int_asc), 4);
    CHECK_EQ_INT(bs_count_equal(a, n, sizeof a[0], &key, cmp_int_asc), 3);
    key = 4;
    CHECK_EQ_INT(bs_count_equal(a, n, sizeof a[0], &key, cmp_int_asc), 0);
    key = 100;
    CHECK_EQ_INT(bs_lower_bound(a, n, sizeof a[0], &key, cmp_int_asc), n);
    CHECK_EQ_INT(bs_find_int(a, n, 13), 6);
    CHECK_EQ_INT(bs_find_int(a, n, 0), -1);
    CHECK_EQ_INT(bs_find_int(a, 0, 1), -1);

    int all = 1;
    for (int i = 0; i <= 21; i++) {
        long idx = bs_find_int(a, n, i);
        int present = 0;
        for (size_t j = 0; j < n; j++)
            present |= a[j] == i;
        all &= present ? (idx >= 0 && a[idx] == i) : idx == -1;
    }
    CHECK(all);

    CHECK_EQ_INT(bs_isqrt(0), 0);
    CHECK_EQ_INT(bs_isqrt(1), 1);
    CHECK_EQ_INT(bs_isqrt(15), 3);
    CHECK_EQ_INT(bs_isqrt(16), 4);
    CHECK_EQ_INT(bs_isqrt(1000000007UL), 31622);
    CHECK_EQ_INT(bs_isqrt(4294967295UL), 65535);
}

void test_matrix(void)
{
    const double av[] = { 2, 1, 1, 1, 3, 2, 1, 0, 0 };
    matrix a = mat_from(3, 3, av);
    double det = 0;
    CHECK_EQ_INT(mat_det(&a, &det), AC_E_OK);
    CHECK_NEAR(det, -1.0, 1e-12);

    matrix inv, prod;
    CHECK_EQ_INT(mat_inverse(&a, &inv), AC_E_OK);
    CHECK_EQ_INT(mat_mul(&a, &inv, &prod), AC_E_OK);
    matrix id = mat_identity(3);
    CHECK(mat_approx_equal(&prod, &id, 1e-12));
    mat_free(&prod);

    const double bv[] = { 1, 2, 3, 4, 5, 6 };
    matrix b = mat_from(2, 3, bv);
    matrix bt = mat_transpose(&b);
    CHECK(bt.rows == 3 && bt.cols == 2 && MAT_AT(&bt, 2, 0) == 3.0);
    CHECK_EQ_INT(mat_mul(&b, &b, &prod), AC_E_INVALID);
    CHECK_EQ_INT(mat_mul(&b, &bt, &prod), AC_E_OK);
    const double expected[] = { 14, 32, 32, 77 };
    matrix want = mat_from(2, 2, expected);
    CHECK(mat_approx_equal(&prod, &want, 0.0));
    CHECK_NEAR(mat_frobenius(&b), sqrt(91.0), 1e-12);

    const double sv[] = { 1, 2, 2, 4 };
    matrix singular = mat_from(2, 2, sv);
    matrix dummy;
    CHECK_EQ_INT(mat_det(&singular, &det), AC_E_OK);
    CHECK_NEAR(det, 0.0, 0.0);
    CHECK_EQ_INT(mat_inverse(&singular, &dummy), AC_E_DOMAIN);
    CHECK_EQ_INT(mat_det(&b, &det), AC_E_INVALID);

    mat_free(&singular);
    mat_free(&want);
    mat_free(&prod);
    mat_free(&bt);
    mat_free(&b);
    mat_free(&id);
    mat_free(&inv);
    mat_free(&a);
}

void test_rational(void)
{
    rational r;
    char buf[64];
    CHECK_EQ_INT(rat_add(RAT(1, 2), RAT(1, 3), &r), AC_E_OK);
    CHECK(rat_eq(r, RAT(5, 6)));
    CHECK_EQ_INT(rat_sub(RAT(1, 4), RAT(3, 4), &r), AC_E_OK);
    rat_format(r, buf, sizeof buf);
    CHECK_EQ_STR(buf, "-1/2");
    CHECK_EQ_INT(rat_mul(RAT(6, -8), RAT(4, 9), &r), AC_E_OK);
    rat_format(r, buf, sizeof buf);
    CHECK_EQ_STR(buf, "-1/3");
    CHECK_EQ_INT(rat_div(RAT(3, 5), RAT(9, 10), &r), AC_E_OK);
    CHECK(rat_eq(r, RAT(2, 3)));
    CHECK_EQ_INT(rat_div(RAT(1, 2), RAT(0, 1), &r), AC_E_DIVZERO);
    CHECK_EQ_INT(rat_make(1, 0, &r), AC_E_DIVZERO);
    CHECK_EQ_INT(rat_make(10, 4, &r), AC_E_OK);
    rat_format(r, buf, sizeof buf);
    CHECK_EQ_STR(buf, "5/2");
    CHECK(rat_cmp(RAT(2, 3), RAT(3, 5)) > 0 && rat_cmp(RAT(-1, 2), RAT(1, 3)) < 0);
    CHECK_NEAR(rat_to_double(RAT(7, 8)), 0.875, 0.0);

    /* Harmonic number H(20) exactly. */
    rational h = RAT(0, 1);
    for (int i = 1; i <= 20; i++)
        rat_add(h, RAT(1, i), &h);
    rat_format(h, buf, sizeof buf);
    CHECK_EQ_STR(buf, "55835135/15519504");

    CHECK_EQ_INT(rat_mul(RAT(INT64_MAX, 1), RAT(2, 1), &r), AC_E_OVERFLOW);
    CHECK_EQ_INT(rat_add(RAT(INT64_MAX, 1), RAT(1, 1), &r), AC_E_OVERFLOW);

    rational pi = rat_approx(3.14159265358979323846, 1000);
    CHECK(rat_eq(pi, RAT(355, 113)));
    CHECK(rat_eq(rat_approx(0.75, 100), RAT(3, 4)));
    CHECK_EQ_INT(rat_gcd(-48, 18), 6);
    snprintf(buf, sizeof buf, "%" PRId64, RAT(-84, 36).den);
    CHECK_EQ_STR(buf, "3");
}

void test_bigint(void)
{
    bigint a, b, c;
    big_init(&a);
    big_init(&b);
    big_init(&c);

    big_from_u64(&a, 1);
    for (int i = 0; i < 100; i++)
        big_mul_small(&a, 2);
    char *s = big_to_string(&a);
    CHECK_EQ_STR(s, "1267650600228229401496703205376");
    free(s);

    big_from_u64(&b, UINT64_C(1) << 50);
    big_mul(&c, &b, &b);
    big_copy(&b, &c);
    big_from_u64(&c, 1);
    big_mul_small(&c, 1);
    big_mul(&b, &b, &c); /* aliasing output */
    CHECK_EQ_INT(big_cmp(&a, &b), 0);

    big_factorial(&c, 25);
    s = big_to_string(&c);
    CHECK_EQ_STR(s, "15511210043330985984000000");
    free(s);
    big_factorial(&c, 50);
    s = big_to_string(&c);
    CHECK_EQ_STR(s, "30414093201713378043612608166064768844377641568960512000000000000");
    free(s);

    CHECK_EQ_INT(big_from_string(&a, "99999999999999999999"), AC_E_OK);
    big_from_u64(&b, 1);
    big_add(&a, &a, &b);
    s = big_to_string(&a);
    CHECK_EQ_STR(s, "100000000000000000000");
    free(s);

    CHECK_EQ_INT(big_from_string(&a, "123456789012345678901234567890"), AC_E_OK);
    CHECK_EQ_INT(big_from_string(&b, "987654321098765432109876543210"), AC_E_OK);
    big_mul(&c, &a, &b);
    s = big_to_string(&c);
    CHECK_EQ_STR(s, "121932631137021795226185032733622923332237463801111263526900");
    free(s);

    CHECK_EQ_INT(big_from_string(&a, "000"), AC_E_OK);
    CHECK(big_is_zero(&a));
    s = big_to_string(&a);
    CHECK_EQ_STR(s, "0");
    free(s);
    big_mul(&c, &a, &b);
    CHECK(big_is_zero(&c));
    CHECK_EQ_INT(big_from_string(&a, "12x"), AC_E_SYNTAX);
    CHECK(big_cmp(&b, &c) > 0 && big_cmp(&c, &b) < 0);

    big_free(&a);
    big_free(&b);
    big_free(&c);
}

void test_date(void)
{
    ymd epoch = { 1970, 1, 1 };
    CHECK_EQ_INT(date_to_days(epoch), 0);
    CHECK_EQ_STR(date_weekday_name(date_weekday(epoch)), "Thursday");

    static const struct {
        ymd d;
        long days;
        int weekday;
        int yday;
    } vectors[] = {
        { { 2000, 3, 1 }, 11017, 3, 61 },
        { { 2024, 12, 25 }, 20082, 3, 360 },
        { { 1600, 1, 1 }, -135140, 6, 1 },
        { { 2400, 12, 31 }, 157419, 0, 366 },
    };
    for (size_t i = 0; i < AC_ARRAY_LEN(vectors); i++) {
        CHECK_EQ_INT(date_to_days(vectors[i].d), vectors[i].days);
        CHECK_EQ_INT(date_weekday(vectors[i].d), vectors[i].weekday);
        CHECK_EQ_INT(date_day_of_year(vectors[i].d), vectors[i].yday);
    }

    CHECK(date_is_leap(2000) && date_is_leap(2024) && !date_is_leap(1900) && !date_is_leap(2023));
    CHECK_EQ_INT(date_days_in_month(2024, 2), 29);
    CHECK_EQ_INT(date_days_in_month(2023, 2), 28);
    CHECK_EQ_INT(date_days_in_month(2023, 13), 0);

    int roundtrip = 1;
    for (long z = -800000; z <= 800000; z += 97) {
        ymd d = date_from_days(z);
        roundtrip &= date_valid(d) && date_to_days(d) == z;
    }
    CHECK(roundtrip);

    ymd d;
    char buf[DATE_BUF_SIZE];
    CHECK_EQ_INT(date_parse("2024-02-29", &d), AC_E_OK);
    date_format(date_add_days(d, 366), buf, sizeof buf);
    CHECK_EQ_STR(buf, "2025-03-01");
    CHECK_EQ_INT(date_parse("2023-02-29", &d), AC_E_RANGE);
    CHECK_EQ_INT(date_parse("2023-2-28", &d), AC_E_SYNTAX);
    CHECK_EQ_INT(date_parse("20x3-02-28", &d), AC_E_SYNTAX);
    ymd a = { 2000, 1, 1 }, b = { 2038, 1, 19 };
    CHECK_EQ_INT(date_diff_days(a, b), 13898);
}

void test_prng(void)
{
    uint64_t sm = 0;
    CHECK(splitmix64(&sm) == UINT64_C(0xe220a8397b1dcdaf));

    prng r, r2;
    prng_seed(&r, 42);
    CHECK(prng_next(&r) == UINT64_C(0x15780b2e0c2ec716));
    CHECK(prng_next(&r) == UINT64_C(0x6104d9866d113a7e));
    CHECK(prng_next(&r) == UINT64_C(0xae17533239e499a1));

    prng_seed(&r, 99);
    prng_seed(&r2, 99);
    int same = 1;
    for (int i = 0; i < 100; i++)
        same &= prng_next(&r) == prng_next(&r2);
    CHECK(same);

    int in_range = 1;
    unsigned counts[6] = { 0 };
    for (int i = 0; i < 60000; i++) {
        uint32_t v = prng_below(&r, 6);
        in_range &= v < 6;
        if (v < 6)
            counts[v]++;
    }
    CHECK(in_range);
    int balanced = 1;
    for (int i = 0; i < 6; i++)
        balanced &= counts[i] > 9500 && counts[i] < 10500;
    CHECK(balanced);

    double sum = 0, min = 1, max = 0;
    for (int i = 0; i < 10000; i++) {
        double x = prng_double(&r);
        sum += x;
        min = AC_MIN(min, x);
        max = AC_MAX(max, x);
    }
    CHECK_NEAR(sum / 10000, 0.5, 0.02);
    CHECK(min >= 0.0 && max < 1.0);

    int perm[52];
    for (int i = 0; i < 52; i++)
        perm[i] = i;
    prng_shuffle(&r, perm, 52);
    int seen[52] = { 0 }, moved = 0;
    for (int i = 0; i < 52; i++) {
        seen[perm[i]]++;
        moved += perm[i] != i;
    }
    int is_perm = 1;
    for (int i = 0; i < 52; i++)
        is_perm &= seen[i] == 1;
    CHECK(is_perm);
    CHECK(moved > 40);
    CHECK_EQ_INT(prng_below(&r, 0), 0);
}
