/*
 * date.c - Gregorian dates as day numbers (support for every stage).
 *
 * Owns the conversions between year-month-day and cc_date (days since
 * 1970-01-01). The arithmetic is the usual "days from civil" algorithm over
 * 400-year eras, exact for every date from year 1 to 9999 and free of
 * floating point and of the C library's time zone rules.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "chachong/types.h"
#include "error_internal.h"

static int is_leap(int y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
  static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

int cc_date_valid(int year, int month, int day)
{
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1)
    return 0;
  return day <= days_in_month(year, month);
}

cc_date cc_date_from_ymd(int y, int m, int d)
{
  /* Shift the year to start in March so the leap day is the last day. */
  int era, yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (cc_date)(era * 146097 + doe - 719468);
}

void cc_date_to_ymd(cc_date z0, int *year, int *month, int *day)
{
  int z = z0 + 719468;
  int era = (z >= 0 ? z : z - 146096) / 146097;
  int doe = z - era * 146097;
  int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int mp = (5 * doy + 2) / 153;
  int d = doy - (153 * mp + 2) / 5 + 1;
  int m = mp < 10 ? mp + 3 : mp - 9;
  *year = yoe + era * 400 + (m <= 2);
  *month = m;
  *day = d;
}

int cc_date_weekday(cc_date d)
{
  int w = (int)((d + 4) % 7); /* 1970-01-01 was a Thursday */
  return w < 0 ? w + 7 : w;
}

int cc_date_parse(cc_date *out, const char *text)
{
  int y, m, d;
  size_t i;
  if (text == NULL || strlen(text) != 10 || text[4] != '-' || text[7] != '-')
    return cc_error_set(CC_EINVALID,
                        "'%.32s' is not a date of the form YYYY-MM-DD",
                        text ? text : "");
  for (i = 0; i < 10; i++)
    if (i != 4 && i != 7 && (text[i] < '0' || text[i] > '9'))
      return cc_error_set(CC_EINVALID,
                          "'%s' is not a date of the form YYYY-MM-DD", text);
  y = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 +
      (text[3] - '0');
  m = (text[5] - '0') * 10 + (text[6] - '0');
  d = (text[8] - '0') * 10 + (text[9] - '0');
  if (!cc_date_valid(y, m, d))
    return cc_error_set(CC_EINVALID, "'%s' is not a real date", text);
  *out = cc_date_from_ymd(y, m, d);
  return 0;
}

void cc_date_format(char buf[11], cc_date d)
{
  int y, m, day;
  cc_date_to_ymd(d, &y, &m, &day);
  y = y < 0 ? 0 : y % 10000;
  buf[0] = (char)('0' + y / 1000);
  buf[1] = (char)('0' + y / 100 % 10);
  buf[2] = (char)('0' + y / 10 % 10);
  buf[3] = (char)('0' + y % 10);
  buf[4] = '-';
  buf[5] = (char)('0' + m / 10);
  buf[6] = (char)('0' + m % 10);
  buf[7] = '-';
  buf[8] = (char)('0' + day / 10);
  buf[9] = (char)('0' + day % 10);
  buf[10] = '\0';
}

cc_date cc_date_today(void)
{
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  return cc_date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}
