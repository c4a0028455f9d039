#ifndef AC_CALC_H
#define AC_CALC_H

#include <stddef.h>
#include "errors.h"

/* Recursive-descent evaluator for arithmetic expressions such as
 *   x = 2 * (3 + 4) ^ 2 / sqrt(16) - max(1, 2, 3)
 */

typedef struct calc_env calc_env;

typedef struct calc_result {
    ac_err err;
    double value;
    size_t error_offset;
    char message[96];
} calc_result;

calc_env *calc_env_new(void);
void calc_env_free(calc_env *env);
void calc_env_set(calc_env *env, const char *name, double value);
int calc_env_get(const calc_env *env, const char *name, double *value);
calc_result calc_eval(calc_env *env, const char *expr);

#endif /* AC_CALC_H */
