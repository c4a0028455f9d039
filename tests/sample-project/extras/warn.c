/* warn.c - NOT part of the Makefile build.
 *
 * Compiles successfully but produces exactly one diagnostic with -Wall:
 *   warning: unused variable 'unused_total' [-Wunused-variable]
 * Used by the ActorCompile tests to compare warnings from remote and local
 * compilations.
 */
#include <stdio.h>

static int sum_to(int n)
{
    int unused_total = 0;
    int total = 0;
    for (int i = 1; i <= n; i++)
        total += i;
    return total;
}

int main(void)
{
    printf("%d\n", sum_to(10));
    return 0;
}
