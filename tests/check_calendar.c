/*
 * check_calendar.c - tests of the working-day calendar (engine/calendar.c).
 *
 * The expected values come from the State Council's notices and from the
 * holiday regulation worked by hand, never from the program's output:
 *   - published[] restates each notice the way it reads ("2月15日至23日
 *     放假调休 ... 2月14日、2月28日上班") as ranges and working weekends,
 *     a different form from data/calendar/cn-2015-2026.txt; a naive
 *     day-by-day loop over it, with its own date arithmetic, gives the
 *     deadline of every issue date 2015-01-01 .. 2026-12-31;
 *   - hand-worked deadlines, with the counting written out beside them;
 *   - provisional years: the regulation (全国年节及纪念日放假办法) applied
 *     by hand to lunar dates from the Hong Kong Observatory's almanac
 *     (lunar new year 2013-02-10, 2014-01-31, 2027-02-06, 2028-01-26,
 *     2030-02-03; 端午 2027-06-09; 中秋 2027-09-15, 2028-10-03) and 清明
 *     from the usual formula [Y*0.2422 + 4.81] - [Y/4];
 *   - user files: a 2027 schedule, whole-year replacement and malformed
 *     lines with the FILE:LINE:COL they must report.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chachong/calendar.h"
#include "chachong/errors.h"
#include "test_util.h"

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

static cc_date D(const char *text)
{
  cc_date d = 0;
  ck_assert_msg(cc_date_parse(&d, text) == 0, "bad test date %s", text);
  return d;
}

static cc_calendar *new_calendar(void)
{
  cc_calendar *cal = NULL;
  int rc = cc_calendar_new(&cal);
  ck_assert_msg(rc == 0, "cc_calendar_new: %d %s", rc, cc_error_last());
  ck_assert_ptr_nonnull(cal);
  return cal;
}

/* The deadline of `start` + n as text; provisional into *prov. */
static const char *deadline(const cc_calendar *cal, const char *start, int n,
                            int *prov)
{
  static char buf[11];
  cc_date out = 0;
  int rc = cc_calendar_add_workdays(&out, cal, D(start), n, prov);
  ck_assert_msg(rc == 0, "%s + %d: %d %s", start, n, rc, cc_error_last());
  cc_date_format(buf, out);
  return buf;
}

/* Asserts whether a day is worked and whether the answer is provisional. */
#define ck_day(cal, text, work, prov)                                          \
  do {                                                                         \
    int p_ = -1;                                                               \
    int w_ = cc_calendar_is_workday((cal), D(text), &p_);                      \
    ck_assert_msg(w_ == (work), "%s: working %d, expected %d", (text), w_,     \
                  (work));                                                     \
    ck_assert_msg(p_ == (prov), "%s: provisional %d, expected %d", (text), p_, \
                  (prov));                                                     \
  } while (0)

/* Writes `text` to a new temporary file; returns its path (static). */
static const char *temp_file(const char *text)
{
  static char path[64];
  int fd;
  size_t len = strlen(text);
  strcpy(path, "/tmp/check_calendar_XXXXXX");
  fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq((int)write(fd, text, len), (int)len);
  close(fd);
  return path;
}

/* ---------------------------------------------------------------------- */
/* The published schedules, as the notices state them                     */
/* ---------------------------------------------------------------------- */

/* "A..B" is the range A to B; a date alone is one day; lists use ", ". */
typedef struct notice_row {
  const char *off;  /* the days off the notice gives */
  const char *work; /* the weekend days it makes working days, or NULL */
} notice_row;

static const notice_row published[] = {
    /* 2015: 国办发明电〔2014〕28号, and 国发明电〔2015〕1号 (抗战胜利70周年) */
    {"2015-01-01..2015-01-03", "2015-01-04"},
    {"2015-02-18..2015-02-24", "2015-02-15, 2015-02-28"},
    {"2015-04-05, 2015-04-06", NULL}, /* 4月5日放假，6日补休 */
    {"2015-05-01", NULL},             /* 与周末连休 */
    {"2015-06-20, 2015-06-22", NULL}, /* 6月20日放假，22日补休 */
    {"2015-09-03..2015-09-05", "2015-09-06"}, /* 9月3日至5日调休放假 */
    {"2015-09-27", NULL}, /* 中秋，星期日，无补休 */
    {"2015-10-01..2015-10-07", "2015-10-10"},
    /* 2016: 国办发明电〔2015〕18号 */
    {"2016-01-01", NULL},
    {"2016-02-07..2016-02-13", "2016-02-06, 2016-02-14"},
    {"2016-04-04", NULL},
    {"2016-05-01, 2016-05-02", NULL},
    {"2016-06-09..2016-06-11", "2016-06-12"},
    {"2016-09-15..2016-09-17", "2016-09-18"},
    {"2016-10-01..2016-10-07", "2016-10-08, 2016-10-09"},
    /* 2017: 国办发明电〔2016〕17号 */
    {"2017-01-01, 2017-01-02", NULL},
    {"2017-01-27..2017-02-02", "2017-01-22, 2017-02-04"},
    {"2017-04-02..2017-04-04", "2017-04-01"},
    {"2017-05-01", NULL},
    {"2017-05-28..2017-05-30", "2017-05-27"},
    {"2017-10-01..2017-10-08", "2017-09-30"},
    /* 2018: 国办发明电〔2017〕12号 */
    {"2018-01-01", NULL},
    {"2018-02-15..2018-02-21", "2018-02-11, 2018-02-24"},
    {"2018-04-05..2018-04-07", "2018-04-08"},
    {"2018-04-29..2018-05-01", "2018-04-28"},
    {"2018-06-18", NULL},
    {"2018-09-24", NULL},
    {"2018-10-01..2018-10-07", "2018-09-29, 2018-09-30"},
    /* 2019: 国办发明电〔2018〕15号; 劳动节 as amended by 〔2019〕3号 */
    {"2018-12-30..2019-01-01", "2018-12-29"},
    {"2019-02-04..2019-02-10", "2019-02-02, 2019-02-03"},
    {"2019-04-05", NULL},
    {"2019-05-01..2019-05-04", "2019-04-28, 2019-05-05"},
    {"2019-06-07", NULL},
    {"2019-09-13", NULL},
    {"2019-10-01..2019-10-07", "2019-09-29, 2019-10-12"},
    /* 2020: 国办发明电〔2019〕16号; 春节 extended to 2月2日 by 〔2020〕1号,
       which also cancelled the working Saturday 2月1日 */
    {"2020-01-01", NULL},
    {"2020-01-24..2020-02-02", "2020-01-19"},
    {"2020-04-04..2020-04-06", NULL},
    {"2020-05-01..2020-05-05", "2020-04-26, 2020-05-09"},
    {"2020-06-25..2020-06-27", "2020-06-28"},
    {"2020-10-01..2020-10-08", "2020-09-27, 2020-10-10"},
    /* 2021: 国办发明电〔2020〕27号 */
    {"2021-01-01..2021-01-03", NULL},
    {"2021-02-11..2021-02-17", "2021-02-07, 2021-02-20"},
    {"2021-04-03..2021-04-05", NULL},
    {"2021-05-01..2021-05-05", "2021-04-25, 2021-05-08"},
    {"2021-06-12..2021-06-14", NULL},
    {"2021-09-19..2021-09-21", "2021-09-18"},
    {"2021-10-01..2021-10-07", "2021-09-26, 2021-10-09"},
    /* 2022: 国办发明电〔2021〕11号 */
    {"2022-01-01..2022-01-03", NULL},
    {"2022-01-31..2022-02-06", "2022-01-29, 2022-01-30"},
    {"2022-04-03..2022-04-05", "2022-04-02"},
    {"2022-04-30..2022-05-04", "2022-04-24, 2022-05-07"},
    {"2022-06-03..2022-06-05", NULL},
    {"2022-09-10..2022-09-12", NULL},
    {"2022-10-01..2022-10-07", "2022-10-08, 2022-10-09"},
    /* 2023: 国办发明电〔2022〕16号 */
    {"2022-12-31..2023-01-02", NULL},
    {"2023-01-21..2023-01-27", "2023-01-28, 2023-01-29"},
    {"2023-04-05", NULL},
    {"2023-04-29..2023-05-03", "2023-04-23, 2023-05-06"},
    {"2023-06-22..2023-06-24", "2023-06-25"},
    {"2023-09-29..2023-10-06", "2023-10-07, 2023-10-08"},
    /* 2024: 国办发明电〔2023〕7号 (除夕 2月9日 only "encouraged") */
    {"2024-01-01", NULL},
    {"2024-02-10..2024-02-17", "2024-02-04, 2024-02-18"},
    {"2024-04-04..2024-04-06", "2024-04-07"},
    {"2024-05-01..2024-05-05", "2024-04-28, 2024-05-11"},
    {"2024-06-10", NULL},
    {"2024-09-15..2024-09-17", "2024-09-14"},
    {"2024-10-01..2024-10-07", "2024-09-29, 2024-10-12"},
    /* 2025: 国办发明电〔2024〕12号 */
    {"2025-01-01", NULL},
    {"2025-01-28..2025-02-04", "2025-01-26, 2025-02-08"},
    {"2025-04-04..2025-04-06", NULL},
    {"2025-05-01..2025-05-05", "2025-04-27"},
    {"2025-05-31..2025-06-02", NULL},
    {"2025-10-01..2025-10-08", "2025-09-28, 2025-10-11"},
    /* 2026: 国办发明电〔2025〕7号 */
    {"2026-01-01..2026-01-03", "2026-01-04"},
    {"2026-02-15..2026-02-23", "2026-02-14, 2026-02-28"},
    {"2026-04-04..2026-04-06", NULL},
    {"2026-05-01..2026-05-05", "2026-05-09"},
    {"2026-06-19..2026-06-21", NULL},
    {"2026-09-25..2026-09-27", NULL},
    {"2026-10-01..2026-10-07", "2026-09-20, 2026-10-10"},
    /* 2027 has no notice: the regulation (2024 version) by hand. 元旦 Fri;
       春节 除夕 2/5 Fri, 初一 2/6 Sat, 初二 2/7 Sun, 初三 2/8 Mon, with
       2/9 and 2/10 in lieu of the weekend; 清明 4/5 Mon; 劳动节 5/1 Sat
       and 5/2 Sun, in lieu 5/3 and 5/4; 端午 6/9 Wed; 中秋 9/15 Wed;
       国庆 10/1 Fri, 10/2 Sat, 10/3 Sun, in lieu 10/4 and 10/5. */
    {"2027-01-01, 2027-02-05, 2027-02-08..2027-02-10, 2027-04-05", NULL},
    {"2027-05-03, 2027-05-04, 2027-06-09, 2027-09-15", NULL},
    {"2027-10-01, 2027-10-04, 2027-10-05", NULL},
};

/* The reference's own dates: y*10000 + m*100 + d, stepped by hand. */
static int ref_days_in_month(int y, int m)
{
  static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
    return 29;
  return dim[m - 1];
}

static int ref_next(int ymd)
{
  int y = ymd / 10000, m = ymd / 100 % 100, d = ymd % 100;
  if (++d > ref_days_in_month(y, m)) {
    d = 1;
    if (++m > 12) {
      m = 1;
      y++;
    }
  }
  return y * 10000 + m * 100 + d;
}

static int ref_read_date(const char **p)
{
  int y, m, d, used = 0;
  int got = sscanf(*p, "%4d-%2d-%2d%n", &y, &m, &d, &used);
  ck_assert_msg(got == 3 && used == 10, "bad table date at '%s'", *p);
  *p += used;
  return y * 10000 + m * 100 + d;
}

/* The table read once into ranges: [from, to] off, or one day worked. */
typedef struct ref_range {
  int from, to; /* yyyymmdd, inclusive */
  int work;     /* 1: a working weekend day (from == to) */
} ref_range;

static ref_range ref_ranges[512];
static size_t ref_nranges;

static void ref_read_list(const char *list, int work)
{
  const char *p = list;
  while (list != NULL && *p) {
    ref_range *r = &ref_ranges[ref_nranges++];
    ck_assert_uint_lt(ref_nranges, sizeof ref_ranges / sizeof ref_ranges[0]);
    r->from = r->to = ref_read_date(&p);
    r->work = work;
    if (strncmp(p, "..", 2) == 0) {
      ck_assert_msg(!work, "a range of working days in the table");
      p += 2;
      r->to = ref_read_date(&p);
    }
    while (*p == ',' || *p == ' ')
      p++;
  }
}

static void ref_load(void)
{
  size_t i;
  ref_nranges = 0;
  for (i = 0; i < sizeof published / sizeof published[0]; i++) {
    ref_read_list(published[i].off, 0);
    ref_read_list(published[i].work, 1);
  }
}

/* weekday: 0 = Sunday .. 6 = Saturday, tracked by the caller. */
static int ref_working(int ymd, int weekday)
{
  size_t i;
  int off = 0;
  for (i = 0; i < ref_nranges; i++) {
    if (ymd < ref_ranges[i].from || ymd > ref_ranges[i].to)
      continue;
    if (ref_ranges[i].work)
      return 1;
    off = 1;
  }
  return !off && weekday != 0 && weekday != 6;
}

/* ---------------------------------------------------------------------- */
/* Core                                                                    */
/* ---------------------------------------------------------------------- */

/* Every issue date of 2015-2026 against the notices, by a naive loop. */
START_TEST(test_calendar_every_deadline_2015_2026)
{
  cc_calendar *cal = new_calendar();
  int start = 20150101, weekday = 4; /* 2015-01-01 was a Thursday */
  int checked = 0;
  ref_load();
  while (start <= 20261231) {
    int d = start, wd = weekday, left = 10;
    char want[16], startbuf[16];
    const char *got;
    int prov = -1;
    while (left > 0) {
      d = ref_next(d);
      wd = (wd + 1) % 7;
      left -= ref_working(d, wd);
    }
    snprintf(want, sizeof want, "%04d-%02d-%02d", d / 10000, d / 100 % 100,
             d % 100);
    snprintf(startbuf, sizeof startbuf, "%04d-%02d-%02d", start / 10000,
             start / 100 % 100, start % 100);
    got = deadline(cal, startbuf, 10, &prov);
    ck_assert_msg(strcmp(got, want) == 0, "%s + 10: got %s, notices say %s",
                  startbuf, got, want);
    /* Days are stepped forward: the window touches 2027 iff it ends there. */
    ck_assert_msg(prov == (d >= 20270101), "%s + 10: provisional %d", startbuf,
                  prov);
    start = ref_next(start);
    weekday = (weekday + 1) % 7;
    checked++;
  }
  ck_assert_int_eq(checked, 365 * 12 + 3); /* 2016, 2020, 2024 are leap */
  cc_calendar_free(cal);
}
END_TEST

/* Deadlines worked by hand; "(k)" marks the k-th working day counted. */
START_TEST(test_calendar_hand_examples)
{
  cc_calendar *cal = new_calendar();
  int prov = -1;

  /* SPEC 3.1's example. Mon 11-23: 24(1) 25(2) 26(3) 27(4) 30(5)
     12-01(6) 02(7) 03(8) 04(9) 07(10). */
  ck_assert_str_eq(deadline(cal, "2026-11-23", 10, &prov), "2026-12-07");
  ck_assert_int_eq(prov, 0);

  /* Issued on the eve of National Day (Wed 2026-09-30). 10-01..07 off;
     08(1) 09(2) Sat 10(3, 调休上班) 12(4) 13(5) 14(6) 15(7) 16(8) 19(9)
     20(10). */
  ck_assert_str_eq(deadline(cal, "2026-09-30", 10, &prov), "2026-10-20");

  /* The day before the Spring Festival (Fri 2026-02-13). Sat 14(1, 上班),
     15..23 off, 24(2) 25(3) 26(4) 27(5) Sat 28(6, 上班) 03-02(7) 03(8)
     04(9) 05(10). */
  ck_assert_str_eq(deadline(cal, "2026-02-13", 10, &prov), "2026-03-05");

  /* Issued on a Saturday that is a working day (2026-02-28): the issue day
     is not counted. 03-02(1) .. 06(5) 09(6) .. 13(10). */
  ck_day(cal, "2026-02-28", 1, 0);
  ck_assert_str_eq(deadline(cal, "2026-02-28", 10, &prov), "2026-03-13");

  /* Issued on a holiday (Fri 2025-10-03; 10-01..08 off). 09(1) 10(2)
     Sat 11(3, 上班) 13(4) 14(5) 15(6) 16(7) 17(8) 20(9) 21(10). */
  ck_assert_str_eq(deadline(cal, "2025-10-03", 10, &prov), "2025-10-21");

  /* 2020: the extended Spring Festival (to Sun 02-02; Sat 02-01 no longer
     worked). Mon 01-20: 21(1) 22(2) 23(3), 24..02-02 off, 02-03(4) 04(5)
     05(6) 06(7) 07(8) 10(9) 11(10). */
  ck_assert_str_eq(deadline(cal, "2020-01-20", 10, &prov), "2020-02-11");
  ck_day(cal, "2020-02-01", 0, 0);

  /* 2015: 抗战胜利70周年, 09-03..05 off, Sun 09-06 worked. Tue 09-01:
     02(1), 06(2), 07(3) 08(4) 09(5) 10(6) 11(7) 14(8) 15(9) 16(10). */
  ck_assert_str_eq(deadline(cal, "2015-09-01", 10, &prov), "2015-09-16");

  /* The 2019 notice reaches into 2018: Sat 12-29 worked, 12-30..01-01 off.
     Fri 2018-12-28: 29(1), 01-02(2) 03(3) 04(4) 07(5) 08(6) 09(7) 10(8)
     11(9) 14(10). */
  ck_assert_str_eq(deadline(cal, "2018-12-28", 10, &prov), "2019-01-14");

  /* 2024: 除夕 (Fri 02-09) was only "encouraged" off, so it is worked.
     Thu 02-08: 09(1), 10..17 off, Sun 18(2, 上班) 19(3) 20(4) 21(5) 22(6)
     23(7) 26(8) 27(9) 28(10). */
  ck_day(cal, "2024-02-09", 1, 0);
  ck_assert_str_eq(deadline(cal, "2024-02-08", 10, &prov), "2024-02-28");

  /* n = 0 is the start itself, even on a day off. */
  ck_assert_str_eq(deadline(cal, "2026-10-01", 0, &prov), "2026-10-01");
  ck_assert_int_eq(prov, 0);
  /* One working day after a Friday is the Monday. */
  ck_assert_str_eq(deadline(cal, "2026-03-06", 1, NULL), "2026-03-09");
  cc_calendar_free(cal);
}
END_TEST

START_TEST(test_calendar_sources)
{
  static const struct {
    int year;
    const char *number;
  } numbers[] = {
      {2015, "国办发明电〔2014〕28号"}, {2015, "国发明电〔2015〕1号"},
      {2016, "国办发明电〔2015〕18号"}, {2017, "国办发明电〔2016〕17号"},
      {2018, "国办发明电〔2017〕12号"}, {2019, "国办发明电〔2018〕15号"},
      {2019, "国办发明电〔2019〕3号"},  {2020, "国办发明电〔2019〕16号"},
      {2020, "国办发明电〔2020〕1号"},  {2021, "国办发明电〔2020〕27号"},
      {2022, "国办发明电〔2021〕11号"}, {2023, "国办发明电〔2022〕16号"},
      {2024, "国办发明电〔2023〕7号"},  {2025, "国办发明电〔2024〕12号"},
      {2026, "国办发明电〔2025〕7号"},
  };
  cc_calendar *cal = new_calendar();
  size_t i;
  int y;
  for (y = 2015; y <= 2026; y++)
    ck_assert_msg(cc_calendar_source(cal, y) != NULL, "no source for %d", y);
  ck_assert_ptr_nonnull(strstr(cc_calendar_source(cal, 2026),
                               "国务院办公厅关于2026年部分节假日安排的通知"));
  for (i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
    ck_assert_msg(strstr(cc_calendar_source(cal, numbers[i].year),
                         numbers[i].number) != NULL,
                  "%d lacks %s", numbers[i].year, numbers[i].number);
  ck_assert_ptr_nonnull(strstr(cc_calendar_source(cal, 2020), "; "));
  ck_assert_ptr_null(cc_calendar_source(cal, 2014));
  ck_assert_ptr_null(cc_calendar_source(cal, 2027));
  cc_calendar_free(cal);
}
END_TEST

/* 2027 has no schedule: weekends and the 2024 regulation, by hand. */
START_TEST(test_calendar_provisional_2027)
{
  cc_calendar *cal = new_calendar();
  int prov = -1;

  ck_day(cal, "2027-10-01", 0, 1); /* 国庆 Fri */
  ck_day(cal, "2027-10-04", 0, 1); /* in lieu of Sat 10-02 */
  ck_day(cal, "2027-10-05", 0, 1); /* in lieu of Sun 10-03 */
  ck_day(cal, "2027-10-06", 1, 1);
  ck_day(cal, "2027-10-09", 0, 1); /* a Saturday: no 调休 is guessed */
  /* Lunar new year Sat 2027-02-06: 除夕 Fri 02-05, 初三 Mon 02-08, and
     Tue 02-09, Wed 02-10 in lieu of 初一 and 初二 on the weekend. */
  ck_day(cal, "2027-02-04", 1, 1);
  ck_day(cal, "2027-02-05", 0, 1);
  ck_day(cal, "2027-02-08", 0, 1);
  ck_day(cal, "2027-02-09", 0, 1);
  ck_day(cal, "2027-02-10", 0, 1);
  ck_day(cal, "2027-02-11", 1, 1);
  ck_day(cal, "2027-01-01", 0, 1);
  ck_day(cal, "2027-04-05", 0, 1); /* 清明 Mon */
  ck_day(cal, "2027-05-03", 0, 1); /* 劳动节 Sat 05-01 + Sun 05-02 */
  ck_day(cal, "2027-05-04", 0, 1);
  ck_day(cal, "2027-05-05", 1, 1);
  ck_day(cal, "2027-06-09", 0, 1); /* 端午 */
  ck_day(cal, "2027-09-15", 0, 1); /* 中秋 */

  /* A 2026 window reaching into 2027. Thu 2026-12-24: 25(1) 28(2) 29(3)
     30(4) 31(5), 2027-01-01 off, 04(6) 05(7) 06(8) 07(9) 08(10). */
  ck_assert_str_eq(deadline(cal, "2026-12-24", 10, &prov), "2027-01-08");
  ck_assert_int_eq(prov, 1);
  /* Ending on 2026-12-31 stays within the schedule. Thu 12-17: 18(1)
     21(2) .. 25(6) 28(7) 29(8) 30(9) 31(10). */
  ck_assert_str_eq(deadline(cal, "2026-12-17", 10, &prov), "2026-12-31");
  ck_assert_int_eq(prov, 0);
  /* Across the 2027 Spring Festival. Wed 2027-02-03: 04(1), 05..10 off,
     11(2) 12(3) 15(4) 16(5) 17(6) 18(7) 19(8) 22(9) 23(10). */
  ck_assert_str_eq(deadline(cal, "2027-02-03", 10, &prov), "2027-02-23");
  ck_assert_int_eq(prov, 1);
  cc_calendar_free(cal);
}
END_TEST

/* The regulation's days are computed once per process and copied into
 * every calendar: a second calendar answers every day of 2008-2199 as the
 * first does; in every year of the range 1 January and 1-3 October are
 * days off and a Wednesday of mid-March (no holiday falls near it) is a
 * working day, so no year's copy is missing or blank; and its provisional
 * 2027 (no schedule: the regulation alone) gives the hand-worked days of
 * the test above. */
START_TEST(test_calendar_second_same_as_first)
{
  cc_calendar *a = new_calendar(), *b = new_calendar();
  cc_date d, from = cc_date_from_ymd(2008, 1, 1),
             to = cc_date_from_ymd(2199, 12, 31);
  int y;
  for (y = 2008; y <= 2199; y++) {
    cc_date m = cc_date_from_ymd(y, 3, 15);
    while (cc_date_weekday(m) != 3)
      m++;
    ck_assert_int_eq(cc_calendar_is_workday(b, m, NULL), 1);
    ck_assert_int_eq(cc_calendar_is_workday(b, cc_date_from_ymd(y, 1, 1), NULL),
                     0);
    for (d = cc_date_from_ymd(y, 10, 1); d <= cc_date_from_ymd(y, 10, 3); d++)
      ck_assert_int_eq(cc_calendar_is_workday(b, d, NULL), 0);
  }
  for (d = from; d <= to; d++) {
    int pa = -1, pb = -1;
    ck_assert_int_eq(cc_calendar_is_workday(a, d, &pa),
                     cc_calendar_is_workday(b, d, &pb));
    ck_assert_int_eq(pa, pb);
  }
  ck_day(b, "2027-02-05", 0, 1); /* 除夕 */
  ck_day(b, "2027-02-11", 1, 1);
  ck_day(b, "2027-06-09", 0, 1); /* 端午 */
  ck_day(b, "2027-09-15", 0, 1); /* 中秋 */
  ck_day(b, "2027-10-06", 1, 1);
  cc_calendar_free(a);
  cc_calendar_free(b);
}
END_TEST

/* The three versions of the regulation, in years without a schedule. */
START_TEST(test_calendar_regulation_versions)
{
  cc_calendar *cal = new_calendar();
  /* 2013 (2007 text: 除夕, 初一, 初二). New year Sun 2013-02-10: 除夕 Sat
     02-09, 初二 Mon 02-11; in lieu Tue 02-12 and Wed 02-13. */
  ck_day(cal, "2013-02-08", 1, 1);
  ck_day(cal, "2013-02-11", 0, 1);
  ck_day(cal, "2013-02-12", 0, 1);
  ck_day(cal, "2013-02-13", 0, 1);
  ck_day(cal, "2013-02-14", 1, 1);
  /* 2014 (2013 text: 初一 to 初三). New year Fri 2014-01-31, so 除夕 Thu
     01-30 is worked; Sat 02-01 and Sun 02-02 give Mon 02-03, Tue 02-04. */
  ck_day(cal, "2014-01-30", 1, 1);
  ck_day(cal, "2014-01-31", 0, 1);
  ck_day(cal, "2014-02-03", 0, 1);
  ck_day(cal, "2014-02-04", 0, 1);
  ck_day(cal, "2014-02-05", 1, 1);
  ck_day(cal, "2014-05-01", 0, 1);
  ck_day(cal, "2014-05-02", 1, 1); /* 劳动节 was one day */
  /* 2028 (2024 text: 除夕 + 3 days, 劳动节 2 days). New year Wed 01-26. */
  ck_day(cal, "2028-01-24", 1, 1);
  ck_day(cal, "2028-01-25", 0, 1); /* 除夕 */
  ck_day(cal, "2028-01-28", 0, 1); /* 初三 */
  ck_day(cal, "2028-01-31", 1, 1);
  ck_day(cal, "2028-05-02", 0, 1);
  /* 中秋 Tue 2028-10-03 is also 国庆: one day off, not two. Sun 10-01 is
     made up on Wed 10-04; Thu 10-05 is worked. */
  ck_day(cal, "2028-10-02", 0, 1);
  ck_day(cal, "2028-10-03", 0, 1);
  ck_day(cal, "2028-10-04", 0, 1);
  ck_day(cal, "2028-10-05", 1, 1);
  /* 2030: new moon 00:07 Beijing time on 02-03, so the new year is Sun
     02-03, 除夕 Sat 02-02 (ICU alone says 02-02). Off: Mon 02-04 (初二),
     Tue 02-05 (初三), Wed 02-06 and Thu 02-07 in lieu. */
  ck_day(cal, "2030-02-01", 1, 1);
  ck_day(cal, "2030-02-04", 0, 1);
  ck_day(cal, "2030-02-07", 0, 1);
  ck_day(cal, "2030-02-08", 1, 1);
  /* 2008 (first year of the range): 元旦 Tue. */
  ck_day(cal, "2008-01-01", 0, 1);
  cc_calendar_free(cal);
}
END_TEST

/* 清明 against the formula [Y*0.2422 + 4.81] - [Y/4], 2027-2099. */
START_TEST(test_calendar_qingming_formula)
{
  cc_calendar *cal = new_calendar();
  int year;
  for (year = 2027; year <= 2099; year++) {
    int yy = year - 2000;
    int day = (yy * 2422 + 48100) / 10000 - yy / 4; /* 4 or 5 */
    char qm[16], other[16];
    cc_date d;
    int wd, prov;
    snprintf(qm, sizeof qm, "%d-04-%02d", year, day);
    snprintf(other, sizeof other, "%d-04-%02d", year, day == 4 ? 5 : 4);
    d = D(qm);
    wd = cc_date_weekday(d);
    if (wd != 0 && wd != 6) {
      ck_assert_msg(cc_calendar_is_workday(cal, d, &prov) == 0, "清明 %s", qm);
      wd = cc_date_weekday(D(other));
      ck_assert_msg(cc_calendar_is_workday(cal, D(other), &prov) ==
                        (wd != 0 && wd != 6),
                    "day next to 清明 %s", other);
    } else {
      /* On a weekend: the next Monday is the day in lieu. */
      cc_date mon = d + (wd == 6 ? 2 : 1);
      ck_assert_msg(cc_calendar_is_workday(cal, mon, &prov) == 0,
                    "no day in lieu of 清明 %s", qm);
      ck_assert_msg(cc_calendar_is_workday(cal, mon + 1, &prov) == 1,
                    "Tuesday after 清明 %s", qm);
    }
  }
  cc_calendar_free(cal);
}
END_TEST

/* A user file installs 2027; its days apply and provisional goes. */
START_TEST(test_calendar_load_file_2027)
{
  cc_calendar *cal = new_calendar();
  int prov = -1, rc;
  const char *path = temp_file(
      "# a 2027 schedule (made up for the test)\r\n"
      "year 2027 source 国务院办公厅关于2027年部分节假日安排的通知（测试）\r\n"
      "2027-01-01 off 元旦\n"
      "\t2027-02-05 off 春节\n"
      "2027-02-06   off   春节\n"
      "2027-02-07 off 春节\n"
      "2027-02-08 off 春节\n"
      "2027-02-09 off 春节\n"
      "2027-02-10 off 春节\n"
      "2027-02-11 off 春节\n"
      "2027-02-20 work 春节调休\n"
      "\n"
      "2027-10-01 off 国庆节\n"
      "2027-10-02 off 国庆节\n");

  rc = cc_calendar_load_file(cal, path);
  ck_assert_msg(rc == 0, "load: %d %s", rc, cc_error_last());
  unlink(path);
  ck_assert_str_eq(cc_calendar_source(cal, 2027),
                   "国务院办公厅关于2027年部分节假日安排的通知（测试）");
  ck_day(cal, "2027-02-11", 0, 0);
  ck_day(cal, "2027-02-20", 1, 0); /* a Saturday worked */
  ck_day(cal, "2027-10-04", 1, 0); /* not listed: worked */
  ck_day(cal, "2027-05-03", 1, 0);
  /* Thu 2026-12-24: 25(1) 28(2) 29(3) 30(4) 31(5), 01-01 off, 04(6)
     05(7) 06(8) 07(9) 08(10): same date, no longer provisional. */
  ck_assert_str_eq(deadline(cal, "2026-12-24", 10, &prov), "2027-01-08");
  ck_assert_int_eq(prov, 0);
  /* Thu 2027-02-04: 05..11 off, 12(1) 15(2) 16(3) 17(4) 18(5) 19(6)
     Sat 20(7) 22(8) 23(9) 24(10). */
  ck_assert_str_eq(deadline(cal, "2027-02-04", 10, &prov), "2027-02-24");
  ck_assert_int_eq(prov, 0);
  /* 2028 is still provisional. */
  ck_day(cal, "2028-05-02", 0, 1);
  cc_calendar_free(cal);
}
END_TEST

/* A year in a user file replaces the built-in year wholly. */
START_TEST(test_calendar_load_file_replaces_year)
{
  cc_calendar *cal = new_calendar();
  int rc;
  const char *path = temp_file("year 2019 source replacement\n"
                               "2019-10-01 off 国庆节\n"
                               "year 2026 source replacement\n"
                               "2026-10-01 off 国庆节\n");
  ck_day(cal, "2018-12-29", 1, 0); /* from the built-in 2019 notice */
  rc = cc_calendar_load_file(cal, path);
  ck_assert_msg(rc == 0, "load: %d %s", rc, cc_error_last());
  unlink(path);
  ck_day(cal, "2018-12-29", 0, 0); /* the 2019 block no longer sets it */
  ck_day(cal, "2018-12-31", 1, 0);
  ck_day(cal, "2019-10-01", 0, 0);
  ck_day(cal, "2019-10-02", 1, 0);
  ck_day(cal, "2026-01-01", 1, 0);
  ck_day(cal, "2026-10-02", 1, 0);
  ck_day(cal, "2026-10-10", 0, 0); /* a Saturday again */
  ck_day(cal, "2025-10-02", 0, 0); /* other years untouched */
  ck_assert_str_eq(cc_calendar_source(cal, 2026), "replacement");
  cc_calendar_free(cal);
}
END_TEST

/* The data file, loaded as a user file, is accepted and changes nothing. */
START_TEST(test_calendar_load_data_file)
{
  cc_calendar *cal = new_calendar();
  int rc = cc_calendar_load_file(cal, CC_SOURCE_DIR
                                 "/data/calendar/cn-2015-2026.txt");
  int prov = -1;
  ck_assert_msg(rc == 0, "load: %d %s", rc, cc_error_last());
  ck_assert_str_eq(deadline(cal, "2026-09-30", 10, &prov), "2026-10-20");
  ck_assert_str_eq(deadline(cal, "2018-12-28", 10, &prov), "2019-01-14");
  cc_calendar_free(cal);
}
END_TEST

/* Shared, read-only: threads get the same answers at once. */
static void *thread_body(void *arg)
{
  const cc_calendar *cal = arg;
  cc_date start = cc_date_from_ymd(2015, 1, 1), out;
  long sum = 0;
  int i, prov;
  for (i = 0; i < 4000; i++) {
    if (cc_calendar_add_workdays(&out, cal, start + i, 10, &prov) != 0)
      return NULL;
    sum += out - start;
  }
  return (void *)sum;
}

START_TEST(test_calendar_threads)
{
  cc_calendar *cal = new_calendar();
  pthread_t t[4];
  void *res[4];
  int i;
  for (i = 0; i < 4; i++)
    ck_assert_int_eq(pthread_create(&t[i], NULL, thread_body, cal), 0);
  for (i = 0; i < 4; i++)
    ck_assert_int_eq(pthread_join(t[i], &res[i]), 0);
  ck_assert_ptr_nonnull(res[0]);
  for (i = 1; i < 4; i++)
    ck_assert_ptr_eq(res[i], res[0]);
  cc_calendar_free(cal);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Limits                                                                  */
/* ---------------------------------------------------------------------- */

START_TEST(test_calendar_range_errors)
{
  cc_calendar *cal = new_calendar();
  cc_date out = 0;
  int prov = -1;

  ck_assert_int_eq(cc_calendar_is_workday(cal, D("2007-12-31"), &prov),
                   CC_EINVALID);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "2007-12-31"));
  ck_assert_int_eq(cc_calendar_is_workday(cal, D("2200-01-01"), NULL),
                   CC_EINVALID);
  ck_assert_int_eq(cc_calendar_is_workday(cal, D("2199-12-31"), &prov), 1);
  ck_assert_int_eq(prov, 1);

  ck_assert_int_eq(
      cc_calendar_add_workdays(&out, cal, D("2007-12-31"), 1, &prov),
      CC_EINVALID);
  ck_assert_int_eq(
      cc_calendar_add_workdays(&out, cal, D("2026-01-05"), -1, &prov),
      CC_EINVALID);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "-1"));
  /* Fri 2199-12-20: 23(1) 24(2) 25(3) 26(4) 27(5) 30(6) 31(7), then 2200. */
  ck_assert_str_eq(deadline(cal, "2199-12-20", 7, &prov), "2199-12-31");
  ck_assert_int_eq(prov, 1);
  ck_assert_int_eq(
      cc_calendar_add_workdays(&out, cal, D("2199-12-20"), 8, &prov),
      CC_EINVALID);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "2199-12-31"));
  ck_assert_int_eq(
      cc_calendar_add_workdays(&out, cal, D("2026-01-05"), 2147483647, &prov),
      CC_EINVALID);
  /* The first day of the range: Tue 2008-01-01 is 元旦; 02(1). */
  ck_assert_str_eq(deadline(cal, "2008-01-01", 1, &prov), "2008-01-02");
  ck_assert_ptr_null(cc_calendar_source(cal, 2007));
  ck_assert_ptr_null(cc_calendar_source(cal, 2200));
  cc_calendar_free(cal);
}
END_TEST

/* Malformed files: the code, and "FILE:LINE:COL" in the message. */
static const struct {
  const char *text;  /* file contents */
  const char *where; /* ":LINE:COL:" expected after the path */
  const char *what;  /* a word of the message */
} bad_files[] = {
    {"year 2027 source X\n2027-02-30 off 春节\n", ":2:1:", "real date"},
    {"year 2027 source X\n2027-02-10 of 春节\n", ":2:12:", "'off' or 'work'"},
    {"year 2027 source X\n2027-02-10 work 调休\n", ":2:1:", "weekday"},
    {"2027-02-10 off 春节\n", ":1:1:", "before the first"},
    {"year 2027\n2027-02-10 off 春节\n", ":1:10:", "'source'"},
    {"year 2027 source\n", ":1:17:", "notice"},
    {"year 2300 source X\n2300-01-01 off 元旦\n", ":1:6:", "range"},
    {"year 27 source X\n", ":1:6:", "four digits"},
    {"year 2027 source X\n2027-02-10 off 春节\n2027-02-10 off 春节\n",
     ":3:1:", "twice"},
    {"year 2027 source X\n  2025-05-01 off 劳动节\n", ":2:3:", "outside"},
    {"year 2027 source X\n2027-02-10 off\n", ":2:15:", "name"},
    {"year 2027 source X\n2027-02-10 off 春节\nyear 2027 source Y\n",
     ":3:6:", "twice"},
    {"year 2027 source X\n", ":1:1:", "no days"},
    {"# only a comment\n", ":1:1:", "no 'year'"},
    {"year 2027 source X\n2027-01-01 off 元旦\nsauce Y\n", ":3:1:", "expected"},
    {"year 2027 source \xE5\x9B\xBD\xFF\n", ":1:21:", "UTF-8"},
    {"year 2027 source X\n2027/01/01 off 元旦\n", ":2:1:", "YYYY-MM-DD"},
};

START_TEST(test_calendar_load_file_errors)
{
  cc_calendar *cal = new_calendar();
  const char *path = temp_file(bad_files[_i].text);
  char where[128];
  int rc = cc_calendar_load_file(cal, path);
  ck_assert_msg(rc == CC_EINVALID, "case %d: rc %d", _i, rc);
  snprintf(where, sizeof where, "%s%s", path, bad_files[_i].where);
  ck_assert_msg(strstr(cc_error_last(), where) == cc_error_last(),
                "case %d: message '%s', expected it to start with '%s'", _i,
                cc_error_last(), where);
  ck_assert_msg(strstr(cc_error_last(), bad_files[_i].what) != NULL,
                "case %d: message '%s' lacks '%s'", _i, cc_error_last(),
                bad_files[_i].what);
  unlink(path);
  /* A failed load changes nothing. */
  ck_assert_ptr_null(cc_calendar_source(cal, 2027));
  ck_day(cal, "2027-10-01", 0, 1);
  cc_calendar_free(cal);
}
END_TEST

START_TEST(test_calendar_load_file_missing)
{
  cc_calendar *cal = new_calendar();
  ck_assert_int_eq(cc_calendar_load_file(cal, "/nonexistent/cal.txt"),
                   CC_ENOTFOUND);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "/nonexistent/cal.txt"));
  cc_calendar_free(NULL);
  cc_calendar_free(cal);
}
END_TEST

static Suite *calendar_suite(void)
{
  Suite *s = suite_create("calendar");
  TCase *core = tcase_create("Core");
  TCase *limits = tcase_create("Limits");

  tcase_set_timeout(core, 120);
  tcase_add_test(core, test_calendar_every_deadline_2015_2026);
  tcase_add_test(core, test_calendar_hand_examples);
  tcase_add_test(core, test_calendar_second_same_as_first);
  tcase_add_test(core, test_calendar_sources);
  tcase_add_test(core, test_calendar_provisional_2027);
  tcase_add_test(core, test_calendar_regulation_versions);
  tcase_add_test(core, test_calendar_qingming_formula);
  tcase_add_test(core, test_calendar_load_file_2027);
  tcase_add_test(core, test_calendar_load_file_replaces_year);
  tcase_add_test(core, test_calendar_load_data_file);
  tcase_add_test(core, test_calendar_threads);
  suite_add_tcase(s, core);

  tcase_add_test(limits, test_calendar_range_errors);
  tcase_add_loop_test(limits, test_calendar_load_file_errors, 0,
                      (int)(sizeof bad_files / sizeof bad_files[0]));
  tcase_add_test(limits, test_calendar_load_file_missing);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  return tu_run_suite(calendar_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
