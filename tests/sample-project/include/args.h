#ifndef AC_ARGS_H
#define AC_ARGS_H

#include <stddef.h>
#include "errors.h"
#include "strbuf.h"

typedef enum arg_kind {
    ARG_FLAG,   /* int target, incremented for each occurrence */
    ARG_INT,    /* long target */
    ARG_STRING  /* const char * target */
} arg_kind;

typedef struct arg_spec {
    char short_name;       /* 0 if none */
    const char *long_name; /* NULL if none */
    arg_kind kind;
    void *target;
    const char *help;
} arg_spec;

typedef struct arg_parse_result {
    int npositional;
    const char *positional[32];
    char message[128];
} arg_parse_result;

/* Parses argv[1..argc-1]. Options and positionals may be mixed; "--" ends
 * option processing. */
ac_err args_parse(const arg_spec *specs, size_t nspecs, int argc, char **argv,
                  arg_parse_result *result);
void args_usage(const arg_spec *specs, size_t nspecs, strbuf *out);

#endif /* AC_ARGS_H */
