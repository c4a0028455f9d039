#ifndef AC_ERRORS_H
#define AC_ERRORS_H

typedef enum ac_err {
#define AC_ERR(sym, msg) AC_E_##sym,
#include "errors.def"
#undef AC_ERR
    AC_E__COUNT
} ac_err;

const char *ac_err_name(ac_err e);
const char *ac_err_message(ac_err e);
/* Returns AC_E__COUNT when the name is unknown. */
ac_err ac_err_from_name(const char *name);

#endif /* AC_ERRORS_H */
