/* errors.c - name and message tables generated from errors.def. */
#include <string.h>

#include "common.h"
#include "errors.h"

static const char *const k_names[] = {
#define AC_ERR(sym, msg) #sym,
#include "errors.def"
#undef AC_ERR
};

static const char *const k_messages[] = {
#define AC_ERR(sym, msg) msg,
#include "errors.def"
#undef AC_ERR
};

_Static_assert(AC_ARRAY_LEN(k_names) == AC_E__COUNT, "one name per error code");
_Static_assert(AC_ARRAY_LEN(k_messages) == AC_E__COUNT, "one message per error code");

const char *ac_err_name(ac_err e)
{
    if ((unsigned)e >= AC_E__COUNT)
        return "?";
    return k_names[e];
}

const char *ac_err_message(ac_err e)
{
    if ((unsigned)e >= AC_E__COUNT)
        return "unknown error";
    return k_messages[e];
}

ac_err ac_err_from_name(const char *name)
{
    for (size_t i = 0; i < AC_ARRAY_LEN(k_names); i++) {
        if (strcmp(k_names[i], name) == 0)
            return (ac_err)i;
    }
    return AC_E__COUNT;
}
