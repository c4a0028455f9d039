#ifndef AC_MATRIX_H
#define AC_MATRIX_H

#include <stddef.h>
#include "errors.h"

typedef struct matrix {
    size_t rows;
    size_t cols;
    double *a; /* row-major */
} matrix;

#define MAT_AT(m, r, c) ((m)->a[(r) * (m)->cols + (c)])

matrix mat_new(size_t rows, size_t cols);
matrix mat_from(size_t rows, size_t cols, const double *values);
matrix mat_identity(size_t n);
void mat_free(matrix *m);
ac_err mat_mul(const matrix *x, const matrix *y, matrix *out);
matrix mat_transpose(const matrix *m);
ac_err mat_det(const matrix *m, double *det);
ac_err mat_inverse(const matrix *m, matrix *out);
double mat_frobenius(const matrix *m);
int mat_approx_equal(const matrix *x, const matrix *y, double eps);

#endif /* AC_MATRIX_H */
