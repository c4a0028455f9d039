/* log.c - levelled logger with printf-style varargs. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "strbuf.h"

static log_level g_level = LOG_LVL_INFO;
static log_sink_fn g_sink;
static void *g_sink_userdata;
static unsigned long g_lines;

static const char *const k_level_names[] = { "DEBUG", "INFO", "WARN", "ERROR", "OFF" };

void log_set_level(log_level level)
{
    g_level = level;
}

log_level log_get_level(void)
{
    return g_level;
}

void log_set_sink(log_sink_fn sink, void *userdata)
{
    g_sink = sink;
    g_sink_userdata = userdata;
}

const char *log_level_name(log_level level)
{
    if ((unsigned)level >= AC_ARRAY_LEN(k_level_names))
        return "?";
    return k_level_names[level];
}

unsigned long log_lines_written(void)
{
    return g_lines;
}

/* Keep only the last path component so logs stay short. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

void log_vwrite(log_level level, const char *file, int line, const char *fmt, va_list ap)
{
    if (level < g_level || level >= LOG_LVL_OFF)
        return;

    strbuf sb = STRBUF_INIT;
    strbuf_appendf(&sb, "[%s] %s:%d: ", log_level_name(level), base_name(file), line);
    strbuf_vappendf(&sb, fmt, ap);

    if (g_sink != NULL)
        g_sink(g_sink_userdata, level, strbuf_cstr(&sb));
    else
        fprintf(stderr, "%s\n", strbuf_cstr(&sb));
    g_lines++;
    strbuf_free(&sb);
}

void log_write(log_level level, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, file, line, fmt, ap);
    va_end(ap);
}
