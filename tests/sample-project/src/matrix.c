/* matrix.c - dense row-major double matrices. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "matrix.h"

#define MAT_SINGULAR_EPS 1e-12

matrix mat_new(size_t rows, size_t cols)
{
    matrix m = { rows, cols, ac_xcalloc(rows * cols, sizeof(double)) };
    return m;
}

matrix mat_from(size_t rows, size_t cols, const double *values)
{
    matrix m = mat_new(rows, cols);
    memcpy(m.a, values, rows * cols * sizeof(double));
    return m;
}

matrix mat_identity(size_t n)
{
    matrix m = mat_new(n, n);
    for (size_t i = 0; i < n; i++)
        MAT_AT(&m, i, i) = 1.0;
    return m;
}

void mat_free(matrix *m)
{
    free(m->a);
    m->a = NULL;
    m->rows = m->cols = 0;
}

ac_err mat_mul(const matrix *x, const matrix *y, matrix *out)
{
    if (x->cols != y->rows)
        return AC_E_INVALID;
    matrix r = mat_new(x->rows, y->cols);
    for (size_t i = 0; i < x->rows; i++) {
        for (size_t k = 0; k < x->cols; k++) {
            double xik = MAT_AT(x, i, k);
            for (size_t j = 0; j < y->cols; j++)
                MAT_AT(&r, i, j) += xik * MAT_AT(y, k, j);
        }
    }
    *out = r;
    return AC_E_OK;
}

matrix mat_transpose(const matrix *m)
{
    matrix t = mat_new(m->cols, m->rows);
    for (size_t i = 0; i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++)
            MAT_AT(&t, j, i) = MAT_AT(m, i, j);
    return t;
}

static void swap_rows(matrix *m, size_t r1, size_t r2)
{
    for (size_t j = 0; j < m->cols; j++) {
        double t = MAT_AT(m, r1, j);
        MAT_AT(m, r1, j) = MAT_AT(m, r2, j);
        MAT_AT(m, r2, j) = t;
    }
}

static size_t pivot_row(const matrix *m, size_t col)
{
    size_t best = col;
    for (size_t r = col + 1; r < m->rows; r++) {
        if (fabs(MAT_AT(m, r, col)) > fabs(MAT_AT(m, best, col)))
            best = r;
    }
    return best;
}

ac_err mat_det(const matrix *m, double *det)
{
    if (m->rows != m->cols)
        return AC_E_INVALID;
    matrix w = mat_from(m->rows, m->cols, m->a);
    double d = 1.0;
    for (size_t c = 0; c < w.cols; c++) {
        size_t p = pivot_row(&w, c);
        if (fabs(MAT_AT(&w, p, c)) < MAT_SINGULAR_EPS) {
            d = 0.0;
            break;
        }
        if (p != c) {
            swap_rows(&w, p, c);
            d = -d;
        }
        d *= MAT_AT(&w, c, c);
        for (size_t r = c + 1; r < w.rows; r++) {
            double f = MAT_AT(&w, r, c) / MAT_AT(&w, c, c);
            for (size_t j = c; j < w.cols; j++)
                MAT_AT(&w, r, j) -= f * MAT_AT(&w, c, j);
        }
    }
    mat_free(&w);
    *det = d;
    return AC_E_OK;
}

ac_err mat_inverse(const matrix *m, matrix *out)
{
    if (m->rows != m->cols)
        return AC_E_INVALID;
    size_t n = m->rows;
    matrix w = mat_from(n, n, m->a);
    matrix inv = mat_identity(n);
    for (size_t c = 0; c < n; c++) {
        size_t p = pivot_row(&w, c);
        if (fabs(MAT_AT(&w, p, c)) < MAT_SINGULAR_EPS) {
            mat_free(&w);
            mat_free(&inv);
            return AC_E_DOMAIN;
        }
        swap_rows(&w, p, c);
        swap_rows(&inv, p, c);
        double piv = MAT_AT(&w, c, c);
        for (size_t j = 0; j < n; j++) {
            MAT_AT(&w, c, j) /= piv;
            MAT_AT(&inv, c, j) /= piv;
        }
        for (size_t r = 0; r < n; r++) {
            if (r == c)
                continue;
            double f = MAT_AT(&w, r, c);
            for (size_t j = 0; j < n; j++) {
                MAT_AT(&w, r, j) -= f * MAT_AT(&w, c, j);
                MAT_AT(&inv, r, j) -= f * MAT_AT(&inv, c, j);
            }
        }
    }
    mat_free(&w);
    *out = inv;
    return AC_E_OK;
}

double mat_frobenius(const matrix *m)
{
    double sum = 0.0;
    for (size_t i = 0; i < m->rows * m->cols; i++)
        sum += m->a[i] * m->a[i];
    return sqrt(sum);
}

int mat_approx_equal(const matrix *x, const matrix *y, double eps)
{
    if (x->rows != y->rows || x->cols != y->cols)
        return 0;
    for (size_t i = 0; i < x->rows * x->cols; i++) {
        if (fabs(x->a[i] - y->a[i]) > eps)
            return 0;
    }
    return 1;
}
