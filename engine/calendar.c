/*
 * calendar.c - China's working days and the clearing deadline (SPEC 3).
 *
 * Owns: the schedule file format (documented at the top of
 * data/calendar/cn-2015-2026.txt, which CMake compiles in as
 * calendar_data.inc), its parser (built-in data and user files alike), the
 * holiday regulation 全国年节及纪念日放假办法 for years without a schedule,
 * and the per-year working-day bitmaps that answer every query.
 *
 * Call order: cc_calendar_new() takes, for each year of the range
 * 2008-2199, the working days the regulation alone gives (statutory[]:
 * computed once per process, on the first call, and copied by every later
 * one; some 20 ms of ICU's Chinese calendar that the service's overview
 * page paid at every request), then parses the built-in schedules; cc_calendar_load_file() parses a
 * user file into scratch space and, only if it is wholly valid, swaps its
 * years in. Either way rebuild() recomputes work[]: a year with a schedule
 * starts from Monday-Friday, a year without one from statutory[]; then the
 * "off"/"work" days of every schedule are applied in year order (a notice
 * may set days of the adjacent December or January). After that the
 * calendar is read-only, so lookups are a bit test, O(1) and thread-safe.
 *
 * Lunar dates come from ICU's Chinese calendar, each lunar month start
 * snapped to the date of the astronomical new moon (Meeus), because ICU
 * misdates new moons that fall within minutes of Beijing midnight (it gives
 * 2027-02-07 and 2030-02-02 for the lunar new years of 2027-02-06 and
 * 2030-02-03). 清明 is computed from the Sun's longitude. See the astronomy
 * section for sources and accuracy.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucal.h>

#include "chachong/calendar.h"
#include "error_internal.h"

#include "calendar_data.inc"

#define CAL_FIRST 2008 /* first year of the range (the 2007 regulation) */
#define CAL_LAST 2199
#define CAL_NYEARS (CAL_LAST - CAL_FIRST + 1)
#define CAL_MAP_BYTES 46        /* 366 bits: bit i is day i of the year */
#define CAL_LINE_MAX 4096       /* longest line of a schedule file */
#define CAL_SOURCE_MAX 2048     /* longest joined source text of a year */
#define CAL_FILE_MAX (4u << 20) /* largest schedule file: 4 MiB */
#define CAL_MAX_HOLIDAYS 16     /* statutory days in one year, with room */

/* One day a schedule sets. */
typedef struct cal_entry {
  cc_date day;   /* the date; within the year or the adjacent Dec/Jan */
  uint32_t line; /* line in its file, for "listed twice" messages */
  uint8_t work;  /* 1: adjusted working day (调休上班); 0: day off */
} cal_entry;

/* The schedule of one year, as read from a file. */
typedef struct cal_year {
  char *source;       /* notices, "; "-joined; NULL: year not installed */
  cal_entry *entries; /* the days set, in file order; owned */
  size_t n, cap;      /* entries used / allocated */
} cal_year;

/*
 * The calendar. Every array is indexed by year - CAL_FIRST. Written by
 * cc_calendar_new() and cc_calendar_load_file() only; read-only after.
 */
struct cc_calendar {
  cal_year years[CAL_NYEARS];                   /* installed schedules */
  uint8_t statutory[CAL_NYEARS][CAL_MAP_BYTES]; /* regulation alone */
  uint8_t work[CAL_NYEARS][CAL_MAP_BYTES];      /* answers: 1 = working */
};

/* ---------------------------------------------------------------------- */
/* Small helpers                                                           */
/* ---------------------------------------------------------------------- */

static cc_date jan1(int year)
{
  return cc_date_from_ymd(year, 1, 1);
}

static int days_in_year(int year)
{
  return jan1(year + 1) - jan1(year);
}

static int is_weekend(cc_date d)
{
  int w = cc_date_weekday(d);
  return w == 0 || w == 6;
}

static int map_get(const uint8_t *map, int i)
{
  return (map[i >> 3] >> (i & 7)) & 1;
}

static void map_put(uint8_t *map, int i, int on)
{
  if (on)
    map[i >> 3] |= (uint8_t)(1u << (i & 7));
  else
    map[i >> 3] &= (uint8_t) ~(1u << (i & 7));
}

/* Monday-Friday of `year` as working days. */
static void weekday_map(uint8_t map[CAL_MAP_BYTES], int year)
{
  cc_date first = jan1(year);
  int i, n = days_in_year(year);
  memset(map, 0, CAL_MAP_BYTES);
  for (i = 0; i < n; i++)
    map_put(map, i, !is_weekend(first + i));
}

/* ---------------------------------------------------------------------- */
/* Astronomy: new moons and 清明                                          */
/*                                                                        */
/* Jean Meeus, Astronomical Algorithms, 2nd ed. (1998): chapter 49 (phases */
/* of the Moon, with all periodic and planetary terms; the book's example  */
/* 49.a, k = -283, gives JDE 2443192.65118 here too) and chapter 25 (the   */
/* Sun's apparent longitude, low accuracy, 0.01 degree). Times are TT; UT  */
/* = TT - delta T, with the Espenak-Meeus (NASA, 2006) polynomials. The    */
/* civil date is taken at UTC+8, China's time for the calendar (GB/T       */
/* 33661-2017).                                                            */
/*                                                                        */
/* Accuracy: new moons within a minute in this century; 清明 within about */
/* 15 minutes. Checked when written: 清明 agrees for 2008-2099 with the   */
/* usual formula [Y*0.2422 + 4.81] - [Y/4] (Y = year - 2000), and falls on */
/* April 4 or 5 in every year 2008-2199. Near-midnight cases stay          */
/* uncertain far ahead because delta T cannot be predicted; the closest    */
/* are 清明 2071 and 2199 (00:05; 2071 agrees with the formula) and the    */
/* new moon starting the 2164 端午 month (00:04).                          */
/* ---------------------------------------------------------------------- */

#define DEG (3.14159265358979323846 / 180.0)
#define JD_UNIX_EPOCH 2440587.5 /* Julian day of 1970-01-01 0h */

/* TT - UT in days around a decimal year (Espenak & Meeus 2006). */
static double delta_t(double y)
{
  double t, u, s;
  if (y < 2050) {
    t = y - 2000;
    s = 62.92 + 0.32217 * t + 0.005589 * t * t;
  } else if (y < 2150) {
    u = (y - 1820) / 100;
    s = -20 + 32 * u * u - 0.5628 * (2150 - y);
  } else {
    u = (y - 1820) / 100;
    s = -20 + 32 * u * u;
  }
  return s / 86400.0;
}

/* The civil date at UTC+8 of an instant given as a Julian Ephemeris Day. */
static cc_date beijing_date(double jde)
{
  double year = 2000.0 + (jde - 2451545.0) / 365.25;
  double jd = jde - delta_t(year) + 8.0 / 24.0;
  return (cc_date)floor(jd - JD_UNIX_EPOCH);
}

/* The instant (JDE) of new moon number k (k = 0: 2000-01-06). Meeus 49. */
static double new_moon_jde(double k)
{
  static const double a0[14] = {299.77, 251.88, 251.83, 349.42, 84.66,
                                141.74, 207.14, 154.84, 34.52,  207.19,
                                291.34, 161.72, 239.56, 331.55};
  static const double a1[14] = {0.107408,  0.016321,  26.651886, 36.412478,
                                18.206239, 53.303771, 2.453732,  7.306860,
                                27.261239, 0.121824,  1.844379,  24.198154,
                                25.513099, 3.592518};
  static const double amp[14] = {325, 165, 164, 126, 110, 62, 60,
                                 56,  47,  42,  40,  37,  35, 23};
  double t = k / 1236.85, t2 = t * t, t3 = t2 * t, t4 = t3 * t;
  double jde = 2451550.09766 + 29.530588861 * k + 0.00015437 * t2 -
               0.000000150 * t3 + 0.00000000073 * t4;
  double e = 1 - 0.002516 * t - 0.0000074 * t2;
  double m =
      (2.5534 + 29.10535670 * k - 0.0000014 * t2 - 0.00000011 * t3) * DEG;
  double mp = (201.5643 + 385.81693528 * k + 0.0107582 * t2 + 0.00001238 * t3 -
               0.000000058 * t4) *
              DEG;
  double f = (160.7108 + 390.67050284 * k - 0.0016118 * t2 - 0.00000227 * t3 +
              0.000000011 * t4) *
             DEG;
  double om =
      (124.7746 - 1.56375588 * k + 0.0020672 * t2 + 0.00000215 * t3) * DEG;
  double c = -0.40720 * sin(mp) + 0.17241 * e * sin(m) + 0.01608 * sin(2 * mp) +
             0.01039 * sin(2 * f) + 0.00739 * e * sin(mp - m) -
             0.00514 * e * sin(mp + m) + 0.00208 * e * e * sin(2 * m) -
             0.00111 * sin(mp - 2 * f) - 0.00057 * sin(mp + 2 * f) +
             0.00056 * e * sin(2 * mp + m) - 0.00042 * sin(3 * mp) +
             0.00042 * e * sin(m + 2 * f) + 0.00038 * e * sin(m - 2 * f) -
             0.00024 * e * sin(2 * mp - m) - 0.00017 * sin(om) -
             0.00007 * sin(mp + 2 * m) + 0.00004 * sin(2 * mp - 2 * f) +
             0.00004 * sin(3 * m) + 0.00003 * sin(mp + m - 2 * f) +
             0.00003 * sin(2 * mp + 2 * f) - 0.00003 * sin(mp + m + 2 * f) +
             0.00003 * sin(mp - m + 2 * f) - 0.00002 * sin(mp - m - 2 * f) -
             0.00002 * sin(3 * mp + m) + 0.00002 * sin(4 * mp);
  int i;
  for (i = 0; i < 14; i++) {
    double a = a0[i] + a1[i] * k - (i == 0 ? 0.009173 * t2 : 0);
    c += amp[i] * 1e-6 * sin(a * DEG);
  }
  return jde + c;
}

/*
 * A lunar month starts on the day (UTC+8) of its new moon. Returns the
 * start of the month ICU dates `approx`, corrected to the nearest new moon.
 */
static cc_date snap_to_new_moon(cc_date approx)
{
  double jd = approx + JD_UNIX_EPOCH;
  double k = floor((jd - 2451550.09766) / 29.530588861 + 0.5);
  cc_date exact = beijing_date(new_moon_jde(k));
  /* ICU is off by a day at most; anything else would be a bug here. */
  return abs(exact - approx) <= 1 ? exact : approx;
}

/* The Sun's apparent longitude in degrees [0, 360). Meeus 25, low accuracy. */
static double sun_longitude(double jde)
{
  double t = (jde - 2451545.0) / 36525;
  double l0 = 280.46646 + 36000.76983 * t + 0.0003032 * t * t;
  double m = (357.52911 + 35999.05029 * t - 0.0001537 * t * t) * DEG;
  double c = (1.914602 - 0.004817 * t - 0.000014 * t * t) * sin(m) +
             (0.019993 - 0.000101 * t) * sin(2 * m) + 0.000289 * sin(3 * m);
  double om = (125.04 - 1934.136 * t) * DEG;
  double l = fmod(l0 + c - 0.00569 - 0.00478 * sin(om), 360.0);
  return l < 0 ? l + 360.0 : l;
}

/* 清明: the day (UTC+8) the Sun's apparent longitude reaches 15 degrees. */
static cc_date qingming(int year)
{
  /* The Sun crosses 15 degrees between April 2 and 8 in every year here;
     in that week the longitude grows from about 12 to 19 degrees. */
  double lo = cc_date_from_ymd(year, 4, 1) + JD_UNIX_EPOCH;
  double hi = cc_date_from_ymd(year, 4, 9) + JD_UNIX_EPOCH;
  int i;
  for (i = 0; i < 50; i++) {
    double mid = (lo + hi) / 2;
    if (sun_longitude(mid) >= 15.0)
      hi = mid;
    else
      lo = mid;
  }
  return beijing_date(hi);
}

/* ---------------------------------------------------------------------- */
/* The holiday regulation (全国年节及纪念日放假办法)                       */
/* ---------------------------------------------------------------------- */

/*
 * Starts of lunar months 1, 5 and 8 of the Chinese year that begins in
 * Gregorian `year` (never a leap month: 端午 and 中秋 are in the ordinary
 * 5th and 8th months). ICU works in the calendar's zone, UTC here, so a
 * day is millis / 86400000.
 */
static int lunar_month_starts(UCalendar *uc, int year, cc_date out[3])
{
  static const int months[3] = {0, 4, 7}; /* ICU months are 0-based */
  UErrorCode status = U_ZERO_ERROR;
  int32_t ext;
  int i;
  /* The Chinese year in force on July 1 began in January/February. */
  ucal_setMillis(uc, (UDate)cc_date_from_ymd(year, 7, 1) * 86400000.0, &status);
  ext = ucal_get(uc, UCAL_EXTENDED_YEAR, &status);
  for (i = 0; i < 3 && U_SUCCESS(status); i++) {
    UDate ms;
    ucal_clear(uc);
    ucal_set(uc, UCAL_EXTENDED_YEAR, ext);
    ucal_set(uc, UCAL_MONTH, months[i]);
    ucal_set(uc, UCAL_IS_LEAP_MONTH, 0);
    ucal_set(uc, UCAL_DATE, 1);
    ms = ucal_getMillis(uc, &status);
    out[i] = snap_to_new_moon((cc_date)floor(ms / 86400000.0));
  }
  if (U_FAILURE(status))
    return cc_error_set(CC_ERROR, "ICU Chinese calendar failed for %d: %s",
                        year, u_errorName(status));
  return 0;
}

/*
 * The days off of `year` under the version of the regulation in force:
 *
 *   2008-2013  国务院令第513号 (2007-12-14): 新年 1月1日; 春节 3 days,
 *              农历除夕、正月初一、初二; 清明 1; 劳动节 5月1日; 端午 1;
 *              中秋 1; 国庆节 10月1日、2日、3日.
 *   2014-2024  国务院令第644号 (2013-12-11): the same, but 春节 is
 *              农历正月初一、初二、初三.
 *   2025-      国务院令第795号 (2024-11-10): 春节 4 days, 农历除夕、正月
 *              初一至初三; 劳动节 5月1日、2日; the rest unchanged.
 *
 * Every version says (第六条): a holiday of all citizens that falls on a
 * Saturday or Sunday is made up on a working day (补假). The regulation
 * does not say which; like the notices ("X月X日补休"), this takes the
 * first following Monday-Friday that is neither a holiday nor already a
 * day in lieu. 调休 (swapping weekends) is left to the yearly notices, so
 * a provisional year has none.
 */
static int statutory_map(UCalendar *uc, int year, uint8_t map[CAL_MAP_BYTES])
{
  cc_date days[CAL_MAX_HOLIDAYS], lunar[3], first = jan1(year);
  int n = 0, i, rc;

  rc = lunar_month_starts(uc, year, lunar);
  if (rc < 0)
    return rc;
  days[n++] = first; /* 元旦 */
  if (year <= 2013 || year >= 2025)
    days[n++] = lunar[0] - 1; /* 除夕 */
  days[n++] = lunar[0];       /* 正月初一 */
  days[n++] = lunar[0] + 1;
  if (year >= 2014)
    days[n++] = lunar[0] + 2; /* 初三 */
  days[n++] = qingming(year);
  days[n++] = cc_date_from_ymd(year, 5, 1);
  if (year >= 2025)
    days[n++] = cc_date_from_ymd(year, 5, 2);
  days[n++] = lunar[1] + 4;  /* 端午: 五月初五 */
  days[n++] = lunar[2] + 14; /* 中秋: 八月十五 */
  days[n++] = cc_date_from_ymd(year, 10, 1);
  days[n++] = cc_date_from_ymd(year, 10, 2);
  days[n++] = cc_date_from_ymd(year, 10, 3);
  assert(n <= CAL_MAX_HOLIDAYS);

  weekday_map(map, year);
  for (i = 0; i < n; i++) {
    /* 除夕 of a year whose lunar new year is January 1st would fall in
       December of the year before; it never does in 2008-2199. */
    if (days[i] >= first && days[i] - first < days_in_year(year))
      map_put(map, days[i] - first, 0);
  }
  /* Days in lieu, in date order so that two weekend holidays (劳动节 on a
     Saturday and Sunday) get the Monday and the Tuesday. A day that two
     holidays share (中秋 on 10月1日) counts once. */
  for (;;) {
    cc_date next = INT32_MAX;
    int j;
    for (j = 0; j < n; j++)
      if (days[j] < next)
        next = days[j];
    if (next == INT32_MAX)
      break;
    for (j = 0; j < n; j++)
      if (days[j] == next)
        days[j] = INT32_MAX; /* consumed */
    if (is_weekend(next)) {
      cc_date d = next + 1;
      while (d - first < days_in_year(year) &&
             (is_weekend(d) || !map_get(map, d - first)))
        d++;
      if (d - first < days_in_year(year))
        map_put(map, d - first, 0);
    }
  }
  return 0;
}

/* ---------------------------------------------------------------------- */
/* The schedule file parser                                                */
/* ---------------------------------------------------------------------- */

/* Parser state for one file. */
typedef struct cal_parse {
  const char *name;               /* file name for messages */
  uint32_t line;                  /* current line, 1-based */
  const char *bol;                /* first byte of the current line */
  cal_year *years;                /* [CAL_NYEARS] being filled; owned */
  uint32_t year_line[CAL_NYEARS]; /* line of each year's 'year'; 0: none */
  int cur;                        /* year index of the block; -1: none */
} cal_parse;

static void years_dispose(cal_year *years)
{
  int i;
  for (i = 0; i < CAL_NYEARS; i++) {
    free(years[i].source);
    free(years[i].entries);
    memset(&years[i], 0, sizeof years[i]);
  }
}

/* Reports an error at byte `at` of the current line. */
static int parse_error(const cal_parse *ps, const char *at, const char *fmt,
                       ...) __attribute__((format(printf, 3, 4)));

static int parse_error(const cal_parse *ps, const char *at, const char *fmt,
                       ...)
{
  char what[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return cc_error_set(CC_EINVALID, "%s:%u:%u: %s", ps->name, (unsigned)ps->line,
                      (unsigned)(at - ps->bol) + 1, what);
}

/* Length of the valid UTF-8 prefix of s[0..n), stopping at NUL too. */
static size_t utf8_valid_prefix(const unsigned char *s, size_t n)
{
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    size_t len, k;
    uint32_t cp;
    if (c == 0)
      return i;
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF)
      len = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
      len = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
      len = 4, cp = c & 0x07;
    else
      return i;
    if (i + len > n)
      return i;
    for (k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80)
        return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    /* overlong forms, surrogates, beyond U+10FFFF */
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return i;
    i += len;
  }
  return i;
}

static int is_blank(char c)
{
  return c == ' ' || c == '\t';
}

/* Skips blanks; returns the token [*tok, *tok + len) or len 0 at the end. */
static size_t next_token(const char **p, const char *end, const char **tok)
{
  const char *s = *p, *e;
  while (s < end && is_blank(*s))
    s++;
  e = s;
  while (e < end && !is_blank(*e))
    e++;
  *tok = s;
  *p = e;
  return (size_t)(e - s);
}

static int token_is(const char *tok, size_t len, const char *word)
{
  return len == strlen(word) && memcmp(tok, word, len) == 0;
}

/* Parses exactly YYYY-MM-DD; 0 ok, -1 not of that form, -2 not a real date. */
static int parse_ymd(const char *s, size_t len, cc_date *out, int *year)
{
  int y = 0, m = 0, d = 0, i;
  if (len != 10 || s[4] != '-' || s[7] != '-')
    return -1;
  for (i = 0; i < 10; i++)
    if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
      return -1;
  for (i = 0; i < 4; i++)
    y = y * 10 + (s[i] - '0');
  m = (s[5] - '0') * 10 + (s[6] - '0');
  d = (s[8] - '0') * 10 + (s[9] - '0');
  if (!cc_date_valid(y, m, d))
    return -2;
  *out = cc_date_from_ymd(y, m, d);
  *year = y;
  return 0;
}

/* Appends a notice to the year's source text. */
static int add_source(cal_parse *ps, const char *text, size_t len)
{
  cal_year *y = &ps->years[ps->cur];
  size_t old = y->source ? strlen(y->source) : 0;
  size_t need = old + (old ? 2 : 0) + len + 1;
  char *s;
  if (need > CAL_SOURCE_MAX)
    return parse_error(ps, text, "the sources of %d exceed %d bytes",
                       ps->cur + CAL_FIRST, CAL_SOURCE_MAX);
  s = realloc(y->source, need);
  if (s == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory reading %s", ps->name);
  if (old)
    memcpy(s + old, "; ", 2), old += 2;
  memcpy(s + old, text, len);
  s[old + len] = '\0';
  y->source = s;
  return 0;
}

/* year YYYY source TEXT */
static int parse_year_line(cal_parse *ps, const char *p, const char *end)
{
  const char *tok;
  size_t len = next_token(&p, end, &tok);
  int year = 0, idx;
  size_t i;
  if (len != 4)
    return parse_error(ps, tok, "expected a year of four digits after 'year'");
  for (i = 0; i < 4; i++) {
    if (tok[i] < '0' || tok[i] > '9')
      return parse_error(ps, tok,
                         "expected a year of four digits after 'year'");
    year = year * 10 + (tok[i] - '0');
  }
  if (year < CAL_FIRST || year > CAL_LAST)
    return parse_error(ps, tok, "year %d is outside the calendar's range %d-%d",
                       year, CAL_FIRST, CAL_LAST);
  idx = year - CAL_FIRST;
  if (ps->year_line[idx] != 0)
    return parse_error(ps, tok, "year %d appears twice (first on line %u)",
                       year, (unsigned)ps->year_line[idx]);
  len = next_token(&p, end, &tok);
  if (!token_is(tok, len, "source"))
    return parse_error(ps, tok,
                       "expected 'source' and the notice after the year");
  while (p < end && is_blank(*p))
    p++;
  if (p == end)
    return parse_error(ps, p,
                       "expected the notice's title and number after 'source'");
  ps->year_line[idx] = ps->line;
  ps->cur = idx;
  return add_source(ps, p, (size_t)(end - p));
}

/* YYYY-MM-DD off|work NAME */
static int parse_day_line(cal_parse *ps, const char *p, const char *end)
{
  const char *tok, *date_tok;
  size_t len, i;
  cc_date day;
  int dy, year, work, rc;
  cal_year *y;
  cal_entry *e;

  len = next_token(&p, end, &date_tok);
  rc = parse_ymd(date_tok, len, &day, &dy);
  if (rc == -1)
    return parse_error(ps, date_tok,
                       "expected 'year', 'source' or a date YYYY-MM-DD");
  if (rc == -2)
    return parse_error(ps, date_tok, "'%.10s' is not a real date", date_tok);
  if (ps->cur < 0)
    return parse_error(ps, date_tok, "a date before the first 'year' line");
  year = ps->cur + CAL_FIRST;
  if (!(dy == year ||
        (dy == year - 1 && day >= cc_date_from_ymd(year - 1, 12, 1)) ||
        (dy == year + 1 && day <= cc_date_from_ymd(year + 1, 1, 31))))
    return parse_error(ps, date_tok,
                       "%.10s is outside %d and its adjacent December and "
                       "January",
                       date_tok, year);
  if (dy < CAL_FIRST || dy > CAL_LAST)
    return parse_error(ps, date_tok,
                       "%.10s is outside the calendar's range %d-%d", date_tok,
                       CAL_FIRST, CAL_LAST);

  len = next_token(&p, end, &tok);
  if (token_is(tok, len, "off"))
    work = 0;
  else if (token_is(tok, len, "work"))
    work = 1;
  else
    return parse_error(ps, tok, "expected 'off' or 'work' after the date");
  if (work && !is_weekend(day))
    return parse_error(ps, date_tok,
                       "%.10s is a weekday; only a Saturday or Sunday can be "
                       "an adjusted working day",
                       date_tok);
  while (p < end && is_blank(*p))
    p++;
  if (p == end)
    return parse_error(ps, p, "expected the holiday's name after '%s'",
                       work ? "work" : "off");

  y = &ps->years[ps->cur];
  for (i = 0; i < y->n; i++)
    if (y->entries[i].day == day)
      return parse_error(ps, date_tok,
                         "%.10s is listed twice for %d (first on line %u)",
                         date_tok, year, (unsigned)y->entries[i].line);
  if (y->n == y->cap) {
    size_t cap = y->cap ? y->cap * 2 : 64;
    /* At most 31 + 366 + 31 distinct days, so this stays small. */
    e = realloc(y->entries, cap * sizeof *e);
    if (e == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory reading %s", ps->name);
    y->entries = e;
    y->cap = cap;
  }
  e = &y->entries[y->n++];
  e->day = day;
  e->line = ps->line;
  e->work = (uint8_t)work;
  return 0;
}

/* One line without its terminator. */
static int parse_line(cal_parse *ps, const char *s, size_t len)
{
  const char *end = s + len, *p = s, *tok;
  size_t ok, n;

  if (ps->line == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
    p += 3; /* a UTF-8 byte order mark, as some editors write it */
  if (len > CAL_LINE_MAX)
    return parse_error(ps, s + CAL_LINE_MAX, "line longer than %d bytes",
                       CAL_LINE_MAX);
  ok = utf8_valid_prefix((const unsigned char *)s, len);
  if (ok < len)
    return parse_error(ps, s + ok, "not UTF-8 text");
  while (end > p && (is_blank(end[-1]) || end[-1] == '\r'))
    end--;
  while (p < end && is_blank(*p))
    p++;
  if (p == end || *p == '#')
    return 0;

  {
    const char *q = p;
    n = next_token(&q, end, &tok);
    if (token_is(tok, n, "year"))
      return parse_year_line(ps, q, end);
    if (token_is(tok, n, "source")) {
      if (ps->cur < 0)
        return parse_error(ps, tok, "'source' before the first 'year' line");
      while (q < end && is_blank(*q))
        q++;
      if (q == end)
        return parse_error(
            ps, q, "expected the notice's title and number after 'source'");
      return add_source(ps, q, (size_t)(end - q));
    }
  }
  return parse_day_line(ps, p, end);
}

/*
 * Parses a whole schedule file into `years` (zeroed by the caller; filled
 * even on failure, for the caller to dispose).
 */
static int parse_buffer(cal_year *years, const char *buf, size_t len,
                        const char *name)
{
  cal_parse ps;
  const char *p = buf, *end = buf + len;
  int i, rc, any = 0;

  memset(&ps, 0, sizeof ps);
  ps.name = name;
  ps.years = years;
  ps.cur = -1;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    ps.line++;
    ps.bol = p;
    rc = parse_line(&ps, p, n);
    if (rc < 0)
      return rc;
    p += n + (nl != NULL);
  }
  for (i = 0; i < CAL_NYEARS; i++) {
    if (ps.year_line[i] == 0)
      continue;
    any = 1;
    if (years[i].n == 0)
      return cc_error_set(CC_EINVALID, "%s:%u:1: year %d lists no days", name,
                          (unsigned)ps.year_line[i], i + CAL_FIRST);
  }
  if (!any)
    return cc_error_set(CC_EINVALID,
                        "%s:1:1: no 'year' line: not a schedule file", name);
  return 0;
}

/* ---------------------------------------------------------------------- */
/* Building the answers                                                    */
/* ---------------------------------------------------------------------- */

/* Recomputes work[] from statutory[] and the installed schedules. */
static void rebuild(cc_calendar *cal)
{
  int i;
  size_t k;
  for (i = 0; i < CAL_NYEARS; i++) {
    if (cal->years[i].source != NULL)
      weekday_map(cal->work[i], i + CAL_FIRST);
    else
      memcpy(cal->work[i], cal->statutory[i], CAL_MAP_BYTES);
  }
  /* In year order, so that a later notice wins a day two notices set. */
  for (i = 0; i < CAL_NYEARS; i++) {
    const cal_year *y = &cal->years[i];
    for (k = 0; k < y->n; k++) {
      int yy, mm, dd;
      cc_date_to_ymd(y->entries[k].day, &yy, &mm, &dd);
      map_put(cal->work[yy - CAL_FIRST], y->entries[k].day - jan1(yy),
              y->entries[k].work);
    }
  }
}

/* Moves the parsed years into the calendar, replacing those years wholly. */
static void install(cc_calendar *cal, cal_year *parsed)
{
  int i;
  for (i = 0; i < CAL_NYEARS; i++) {
    if (parsed[i].source == NULL)
      continue;
    free(cal->years[i].source);
    free(cal->years[i].entries);
    cal->years[i] = parsed[i];
    memset(&parsed[i], 0, sizeof parsed[i]);
  }
  rebuild(cal);
}

/* ---------------------------------------------------------------------- */
/* Public API                                                              */
/* ---------------------------------------------------------------------- */

/* The regulation's working days of every year, the same for every
 * calendar: computed once per process (statutory_once), with the error
 * that stopped it, if any. */
static pthread_once_t statutory_once = PTHREAD_ONCE_INIT;
static uint8_t statutory_all[CAL_NYEARS][CAL_MAP_BYTES];
static int statutory_rc;
static char statutory_msg[256];

static void statutory_compute(void)
{
  static const UChar utc[] = {'U', 'T', 'C', 0};
  UErrorCode status = U_ZERO_ERROR;
  UCalendar *uc =
      ucal_open(utc, -1, "zh_CN@calendar=chinese", UCAL_DEFAULT, &status);
  int i, rc = 0;
  if (U_FAILURE(status))
    rc = cc_error_set(CC_ERROR, "ICU cannot open the Chinese calendar: %s",
                      u_errorName(status));
  for (i = 0; rc == 0 && i < CAL_NYEARS; i++)
    rc = statutory_map(uc, i + CAL_FIRST, statutory_all[i]);
  if (uc != NULL)
    ucal_close(uc);
  if (rc < 0)
    snprintf(statutory_msg, sizeof statutory_msg, "%s", cc_error_last());
  statutory_rc = rc;
}

int cc_calendar_new(cc_calendar **out)
{
  cc_calendar *cal = NULL;
  cal_year *parsed = NULL;
  int rc;

  *out = NULL;
  cal = calloc(1, sizeof *cal);
  parsed = calloc(CAL_NYEARS, sizeof *parsed);
  if (cal == NULL || parsed == NULL) {
    rc = cc_error_set(CC_ENOMEM, "out of memory creating a calendar");
    goto done;
  }
  pthread_once(&statutory_once, statutory_compute);
  if (statutory_rc < 0) {
    rc = cc_error_set(statutory_rc, "%s", statutory_msg);
    goto done;
  }
  memcpy(cal->statutory, statutory_all, sizeof cal->statutory);
  /* The built-in data is checked by the tests; failing here is a build
     error, reported like a user file's. */
  rc = parse_buffer(parsed, (const char *)calendar_data, calendar_data_len,
                    calendar_data_name);
  if (rc < 0) {
    rc = rc == CC_ENOMEM ? rc : CC_ERROR;
    goto done;
  }
  install(cal, parsed);
  *out = cal;
  cal = NULL;
  rc = 0;
done:
  if (parsed != NULL) {
    years_dispose(parsed);
    free(parsed);
  }
  cc_calendar_free(cal);
  return rc;
}

int cc_calendar_load_file(cc_calendar *cal, const char *path)
{
  FILE *f = NULL;
  char *buf = NULL;
  cal_year *parsed = NULL;
  size_t len = 0, got;
  int rc;

  f = fopen(path, "rb");
  if (f == NULL) {
    rc = cc_error_set_errno(errno == ENOENT ? CC_ENOTFOUND : CC_EIO, errno,
                            "cannot open calendar file %s", path);
    goto done;
  }
  buf = malloc(CAL_FILE_MAX + 1);
  parsed = calloc(CAL_NYEARS, sizeof *parsed);
  if (buf == NULL || parsed == NULL) {
    rc = cc_error_set(CC_ENOMEM, "out of memory reading %s", path);
    goto done;
  }
  /* One byte more than the cap tells a file at the cap from a longer one. */
  while ((got = fread(buf + len, 1, CAL_FILE_MAX + 1 - len, f)) > 0)
    len += got;
  if (ferror(f)) {
    rc =
        cc_error_set_errno(CC_EIO, errno, "cannot read calendar file %s", path);
    goto done;
  }
  if (len > CAL_FILE_MAX) {
    rc = cc_error_set(CC_EINVALID,
                      "%s:1:1: larger than %u bytes: not a schedule file", path,
                      CAL_FILE_MAX);
    goto done;
  }
  rc = parse_buffer(parsed, buf, len, path);
  if (rc < 0)
    goto done;
  install(cal, parsed);
  rc = 0;
done:
  if (f != NULL)
    fclose(f);
  free(buf);
  if (parsed != NULL) {
    years_dispose(parsed);
    free(parsed);
  }
  return rc;
}

void cc_calendar_free(cc_calendar *cal)
{
  if (cal == NULL)
    return;
  years_dispose(cal->years);
  free(cal);
}

/* 1 working day, 0 day off, CC_EINVALID outside the range (no message). */
static int day_status(const cc_calendar *cal, cc_date day, int *provisional)
{
  int y, m, d, i;
  cc_date_to_ymd(day, &y, &m, &d);
  if (y < CAL_FIRST || y > CAL_LAST)
    return CC_EINVALID;
  i = y - CAL_FIRST;
  *provisional = cal->years[i].source == NULL;
  return map_get(cal->work[i], day - jan1(y));
}

int cc_calendar_is_workday(const cc_calendar *cal, cc_date day,
                           int *provisional)
{
  int prov = 0, rc;
  char buf[11];
  rc = day_status(cal, day, &prov);
  if (rc < 0) {
    cc_date_format(buf, day);
    return cc_error_set(CC_EINVALID, "%s is outside the calendar's range %d-%d",
                        buf, CAL_FIRST, CAL_LAST);
  }
  if (provisional != NULL)
    *provisional = prov;
  return rc;
}

int cc_calendar_add_workdays(cc_date *out, const cc_calendar *cal,
                             cc_date start, int n, int *provisional)
{
  char buf[11];
  cc_date d = start;
  int prov = 0, any_prov = 0, rc, left = n;

  if (n < 0)
    return cc_error_set(CC_EINVALID,
                        "cannot add %d working days: the count "
                        "must be 0 or more",
                        n);
  if (day_status(cal, start, &prov) < 0) {
    cc_date_format(buf, start);
    return cc_error_set(CC_EINVALID, "%s is outside the calendar's range %d-%d",
                        buf, CAL_FIRST, CAL_LAST);
  }
  /* The start day is never counted; each later day is, if it is worked. */
  while (left > 0) {
    d++;
    rc = day_status(cal, d, &prov);
    if (rc < 0) {
      cc_date_format(buf, start);
      return cc_error_set(CC_EINVALID,
                          "%d working days after %s fall after "
                          "%d-12-31, the end of the calendar",
                          n, buf, CAL_LAST);
    }
    any_prov |= prov;
    left -= rc;
  }
  *out = d;
  if (provisional != NULL)
    *provisional = any_prov;
  return 0;
}

const char *cc_calendar_source(const cc_calendar *cal, int year)
{
  if (year < CAL_FIRST || year > CAL_LAST)
    return NULL;
  return cal->years[year - CAL_FIRST].source;
}
