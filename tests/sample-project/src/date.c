/* date.c - civil calendar conversions (after H. Hinnant's algorithms). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "date.h"

static const char *const k_weekdays[] = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
};

int date_is_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int date_days_in_month(int year, int month)
{
    static const unsigned char days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (month < 1 || month > 12)
        return 0;
    return days[month - 1] + (month == 2 && date_is_leap(year));
}

int date_valid(ymd d)
{
    return d.month >= 1 && d.month <= 12 && d.day >= 1 &&
           d.day <= date_days_in_month(d.year, d.month);
}

long date_to_days(ymd d)
{
    long y = d.year - (d.month <= 2);
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned m = (unsigned)d.month;
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + (unsigned)d.day - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

ymd date_from_days(long z)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = (long)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    ymd r = { (int)(y + (m <= 2)), (int)m, (int)d };
    return r;
}

int date_weekday(ymd d)
{
    long z = date_to_days(d);
    return (int)(z >= -4 ? (z + 4) % 7 : (z + 5) % 7 + 6);
}

const char *date_weekday_name(int weekday)
{
    return (weekday >= 0 && weekday < 7) ? k_weekdays[weekday] : "?";
}

int date_day_of_year(ymd d)
{
    ymd jan1 = { d.year, 1, 1 };
    return (int)(date_to_days(d) - date_to_days(jan1)) + 1;
}

ymd date_add_days(ymd d, long n)
{
    return date_from_days(date_to_days(d) + n);
}

static int parse_fixed_int(const char *s, size_t width, int *out)
{
    int v = 0;
    for (size_t i = 0; i < width; i++) {
        if (!isdigit((unsigned char)s[i]))
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

ac_err date_parse(const char *s, ymd *out)
{
    ymd d;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return AC_E_SYNTAX;
    if (!parse_fixed_int(s, 4, &d.year) || !parse_fixed_int(s + 5, 2, &d.month) ||
        !parse_fixed_int(s + 8, 2, &d.day))
        return AC_E_SYNTAX;
    if (!date_valid(d))
        return AC_E_RANGE;
    *out = d;
    return AC_E_OK;
}

int date_format(ymd d, char *buf, size_t cap)
{
    return snprintf(buf, cap, "%04d-%02d-%02d", d.year, d.month, d.day);
}
