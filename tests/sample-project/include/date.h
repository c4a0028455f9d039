#ifndef AC_DATE_H
#define AC_DATE_H

#include <stddef.h>
#include "errors.h"

/* Proleptic Gregorian calendar. Day numbers count from 1970-01-01. */
typedef struct ymd {
    int year;
    int month; /* 1..12 */
    int day;   /* 1..31 */
} ymd;

#define DATE_BUF_SIZE 32

int date_is_leap(int year);
int date_days_in_month(int year, int month);
int date_valid(ymd d);
long date_to_days(ymd d);
ymd date_from_days(long days);
int date_weekday(ymd d); /* 0 = Sunday */
const char *date_weekday_name(int weekday);
int date_day_of_year(ymd d);
ymd date_add_days(ymd d, long n);
ac_err date_parse(const char *s, ymd *out);
int date_format(ymd d, char *buf, size_t cap);

static inline long date_diff_days(ymd a, ymd b)
{
    return date_to_days(b) - date_to_days(a);
}

#endif /* AC_DATE_H */
