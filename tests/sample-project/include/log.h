#ifndef AC_LOG_H
#define AC_LOG_H

#include <stdarg.h>
#include "common.h"

typedef enum log_level {
    LOG_LVL_DEBUG,
    LOG_LVL_INFO,
    LOG_LVL_WARN,
    LOG_LVL_ERROR,
    LOG_LVL_OFF
} log_level;

/* A sink receives one fully formatted line (without trailing newline). */
typedef void (*log_sink_fn)(void *userdata, log_level level, const char *line);

void log_set_level(log_level level);
log_level log_get_level(void);
void log_set_sink(log_sink_fn sink, void *userdata); /* NULL: stderr */
const char *log_level_name(log_level level);
unsigned long log_lines_written(void);

void log_write(log_level level, const char *file, int line, const char *fmt, ...)
    AC_PRINTF_FMT(4, 5);
void log_vwrite(log_level level, const char *file, int line, const char *fmt,
                va_list ap);

#define LOG_AT(level, ...) log_write((level), __FILE__, __LINE__, __VA_ARGS__)
#define LOG_DEBUG(...) LOG_AT(LOG_LVL_DEBUG, __VA_ARGS__)
#define LOG_INFO(...) LOG_AT(LOG_LVL_INFO, __VA_ARGS__)
#define LOG_WARN(...) LOG_AT(LOG_LVL_WARN, __VA_ARGS__)
#define LOG_ERROR(...) LOG_AT(LOG_LVL_ERROR, __VA_ARGS__)

#endif /* AC_LOG_H */
