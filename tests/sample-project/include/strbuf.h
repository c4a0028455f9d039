#ifndef AC_STRBUF_H
#define AC_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include "common.h"

/* Growable, always NUL-terminated string. */
typedef struct strbuf {
    char *data;
    size_t len;
    size_t cap;
} strbuf;

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_init(strbuf *sb);
void strbuf_free(strbuf *sb);
void strbuf_reserve(strbuf *sb, size_t extra);
void strbuf_append(strbuf *sb, const char *s);
void strbuf_append_n(strbuf *sb, const char *s, size_t n);
void strbuf_append_char(strbuf *sb, char c);
void strbuf_append_repeat(strbuf *sb, char c, size_t count);
void strbuf_appendf(strbuf *sb, const char *fmt, ...) AC_PRINTF_FMT(2, 3);
void strbuf_vappendf(strbuf *sb, const char *fmt, va_list ap);
void strbuf_truncate(strbuf *sb, size_t len);
void strbuf_clear(strbuf *sb);
char *strbuf_detach(strbuf *sb);

static inline const char *strbuf_cstr(const strbuf *sb)
{
    return sb->data ? sb->data : "";
}

static inline size_t strbuf_len(const strbuf *sb)
{
    return sb->len;
}

#endif /* AC_STRBUF_H */
