/* error.c - NOT part of the Makefile build.
 *
 * Fails to compile with exactly one error:
 *   error: 'undeclared_limit' undeclared (first use in this function)
 * (gcc follows it with an explanatory "note:" line).  Used by the
 * ActorCompile tests to compare errors from remote and local compilations.
 */
#include <stdio.h>

static int count_below(int n)
{
    int count = 0;
    for (int i = 0; i < n; i++) {
        if (i < undeclared_limit)
            count++;
    }
    return count;
}

int main(void)
{
    printf("%d\n", count_below(10));
    return 0;
}
