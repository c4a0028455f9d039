/* args.c - a small getopt_long-like command-line parser. */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "strutil.h"

static const arg_spec *find_long(const arg_spec *specs, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        const char *ln = specs[i].long_name;
        if (ln != NULL && strlen(ln) == len && strncmp(ln, name, len) == 0)
            return &specs[i];
    }
    return NULL;
}

static const arg_spec *find_short(const arg_spec *specs, size_t n, char c)
{
    for (size_t i = 0; i < n; i++) {
        if (specs[i].short_name != 0 && specs[i].short_name == c)
            return &specs[i];
    }
    return NULL;
}

static ac_err store_value(const arg_spec *spec, const char *value, arg_parse_result *res)
{
    switch (spec->kind) {
    case ARG_FLAG:
        (*(int *)spec->target)++;
        return AC_E_OK;
    case ARG_INT: {
        long v;
        ac_err err = str_to_long(value, 0, &v);
        if (err != AC_E_OK) {
            snprintf(res->message, sizeof res->message, "invalid integer '%s'", value);
            return err;
        }
        *(long *)spec->target = v;
        return AC_E_OK;
    }
    case ARG_STRING:
        *(const char **)spec->target = value;
        return AC_E_OK;
    }
    return AC_E_INVALID;
}

ac_err args_parse(const arg_spec *specs, size_t nspecs, int argc, char **argv,
                  arg_parse_result *res)
{
    int only_positional = 0;
    res->npositional = 0;
    res->message[0] = '\0';

    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];

        if (only_positional || arg[0] != '-' || arg[1] == '\0') {
            if (res->npositional >= (int)AC_ARRAY_LEN(res->positional)) {
                snprintf(res->message, sizeof res->message, "too many arguments");
                return AC_E_RANGE;
            }
            res->positional[res->npositional++] = arg;
            continue;
        }

        if (strcmp(arg, "--") == 0) {
            only_positional = 1;
            continue;
        }

        if (arg[1] == '-') {
            const char *name = arg + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            const arg_spec *spec = find_long(specs, nspecs, name, len);
            if (spec == NULL) {
                snprintf(res->message, sizeof res->message, "unknown option '--%.*s'",
                         (int)AC_MIN(len, (size_t)64), name);
                return AC_E_UNKNOWN_NAME;
            }
            const char *value = NULL;
            if (spec->kind == ARG_FLAG) {
                if (eq != NULL) {
                    snprintf(res->message, sizeof res->message,
                             "option '--%s' takes no value", spec->long_name);
                    return AC_E_INVALID;
                }
            } else if (eq != NULL) {
                value = eq + 1;
            } else if (i + 1 < argc) {
                value = argv[++i];
            } else {
                snprintf(res->message, sizeof res->message,
                         "option '--%s' needs a value", spec->long_name);
                return AC_E_INVALID;
            }
            ac_err err = store_value(spec, value, res);
            if (err != AC_E_OK)
                return err;
            continue;
        }

        /* Cluster of short options: -vq, -n5, -n 5 */
        for (const char *p = arg + 1; *p; p++) {
            const arg_spec *spec = find_short(specs, nspecs, *p);
            if (spec == NULL) {
                snprintf(res->message, sizeof res->message, "unknown option '-%c'", *p);
                return AC_E_UNKNOWN_NAME;
            }
            if (spec->kind == ARG_FLAG) {
                store_value(spec, NULL, res);
                continue;
            }
            const char *value;
            if (p[1] != '\0') {
                value = p + 1;
            } else if (i + 1 < argc) {
                value = argv[++i];
            } else {
                snprintf(res->message, sizeof res->message, "option '-%c' needs a value", *p);
                return AC_E_INVALID;
            }
            ac_err err = store_value(spec, value, res);
            if (err != AC_E_OK)
                return err;
            break;
        }
    }
    return AC_E_OK;
}

void args_usage(const arg_spec *specs, size_t nspecs, strbuf *out)
{
    static const char *const kind_hint[] = { "", " N", " TEXT" };
    for (size_t i = 0; i < nspecs; i++) {
        const arg_spec *s = &specs[i];
        size_t start = strbuf_len(out);
        strbuf_append(out, "  ");
        if (s->short_name)
            strbuf_appendf(out, "-%c%s", s->short_name, s->long_name ? ", " : "");
        if (s->long_name)
            strbuf_appendf(out, "--%s", s->long_name);
        strbuf_append(out, kind_hint[s->kind]);
        size_t width = strbuf_len(out) - start;
        strbuf_append_repeat(out, ' ', width < 24 ? 24 - width : 1);
        strbuf_appendf(out, "%s\n", s->help ? s->help : "");
    }
}
