/*
 * check_policy.c - the policy rules (engine/policy.c, SPEC 3.2, docs/RULES.md
 * "Policy findings"): reading 学习形式, 年级, 入学日期 and 学制 as exports
 * write them, each rule on one record, what is not judged, the rules file,
 * the settings' JSON, the policy findings' identity, and their reason in
 * the finding's JSON and in the database's byte layout.
 *
 * Expected values are worked out by hand from the SPEC. The period is
 * 2026-11 unless said otherwise: it begins on 2026-11-01; the school year
 * begins in September, so the cohort 2024 is in year 2026 - 2024 + 1 = 3,
 * 2025 in year 2, 2026 in year 1, 2027 not begun (0). In 2026-03 (before
 * September) the cohort 2024 is in year 2 and 2023 in year 3. Excel's day
 * 45536 is 2024-09-01 (45292 is 2024-01-01, and 244 days to 1 September in
 * a leap year). Money is in fen: 1000 yuan = 100000.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chachong/errors.h"
#include "chachong/finding.h"
#include "chachong/policy.h"
#include "chachong/record.h"
#include "finding_internal.h"
#include "store_internal.h"
#include "policy_internal.h"
#include "test_util.h"

static char root[4096];

static cc_policy_period period_of(const char *p)
{
  cc_policy_period per;
  ck_assert_int_eq(cc_policy_period_parse(&per, p), 0);
  return per;
}

static cc_date ymd(int y, int m, int d)
{
  return cc_date_from_ymd(y, m, d);
}

/* ------------------------------------------------------------------ */
/* Cells. */

START_TEST(test_policy_study_mode)
{
  static const struct {
    const char *cell;
    int verdict, part;
  } rows[] = {
      {"全日制", CC_CELL_OK, 0},
      {"非全日制", CC_CELL_OK, 1},
      {" 非全日制 ", CC_CELL_OK, 1},
      {"非 全日制", CC_CELL_OK, 1},                  /* a blank typed inside */
      {"\xE3\x80\x80全日制\xC2\xA0", CC_CELL_OK, 0}, /* U+3000, NBSP */
      {"非全", CC_CELL_OK, 1},
      {"全日", CC_CELL_OK, 0},
      {"函授", CC_CELL_OK, 1},
      {"业余", CC_CELL_OK, 1},
      {"脱产", CC_CELL_OK, 0},
      {"Part-Time", CC_CELL_OK, 1},
      {"FULL-TIME", CC_CELL_OK, 0},
      {"part time", CC_CELL_OK, 1},
      {"ｐａｒｔ－ｔｉｍｅ", CC_CELL_OK, 1}, /* full-width */
      {"", CC_CELL_EMPTY, 0},
      {"   ", CC_CELL_EMPTY, 0},
      {"半日制", CC_CELL_UNREADABLE, 0},
      {"1", CC_CELL_UNREADABLE, 0},
  };
  size_t i;
  for (i = 0; i < sizeof rows / sizeof *rows; i++) {
    int part = -1;
    int v =
        cc_policy_parse_study_mode(&part, rows[i].cell, strlen(rows[i].cell));
    ck_assert_msg(v == rows[i].verdict, "'%s': %d", rows[i].cell, v);
    if (v == CC_CELL_OK)
      ck_assert_msg(part == rows[i].part, "'%s': %d", rows[i].cell, part);
  }
}
END_TEST

START_TEST(test_policy_grade)
{
  static const struct {
    const char *period, *cell;
    int verdict, year;
  } rows[] = {
      {"2026-11", "1", CC_CELL_OK, 1},
      {"2026-11", "3", CC_CELL_OK, 3},
      {"2026-11", "３", CC_CELL_OK, 3},
      {"2026-11", "一年级", CC_CELL_OK, 1},
      {"2026-11", "三年级", CC_CELL_OK, 3},
      {"2026-11", "3年级", CC_CELL_OK, 3},
      {"2026-11", "二", CC_CELL_OK, 2},
      {"2026-11", "2024", CC_CELL_OK, 3},
      {"2026-11", "2024级", CC_CELL_OK, 3},
      {"2026-11", " 2024 级 ", CC_CELL_OK, 3},
      {"2026-11", "2024年级", CC_CELL_OK, 3},
      {"2026-11", "2025级", CC_CELL_OK, 2},
      {"2026-11", "2026级", CC_CELL_OK, 1},
      {"2026-11", "2027级", CC_CELL_OK, 0},
      {"2026-03", "2024级", CC_CELL_OK, 2},
      {"2026-03", "2023级", CC_CELL_OK, 3},
      {"2026-09", "2024", CC_CELL_OK, 3},
      {"2026-08", "2024", CC_CELL_OK, 2},
      {"2026-11", "", CC_CELL_EMPTY, 0},
      {"2026-11", "0", CC_CELL_UNREADABLE, 0},
      {"2026-11", "10", CC_CELL_UNREADABLE, 0},
      {"2026-11", "高三", CC_CELL_UNREADABLE, 0},
      {"2026-11", "2024届", CC_CELL_UNREADABLE,
       0}, /* 届 is the year they leave */
      {"2026-11", "1949级", CC_CELL_UNREADABLE, 0},
      {"2026-11", "202", CC_CELL_UNREADABLE, 0},
  };
  size_t i;
  for (i = 0; i < sizeof rows / sizeof *rows; i++) {
    cc_policy_period per = period_of(rows[i].period);
    int year = -1;
    int v =
        cc_policy_parse_grade(&year, rows[i].cell, strlen(rows[i].cell), &per);
    ck_assert_msg(v == rows[i].verdict, "%s '%s': %d", rows[i].period,
                  rows[i].cell, v);
    if (v == CC_CELL_OK)
      ck_assert_msg(year == rows[i].year, "%s '%s': year %d", rows[i].period,
                    rows[i].cell, year);
  }
}
END_TEST

START_TEST(test_policy_date)
{
  static const struct {
    const char *cell;
    int verdict, y, m, d;
  } rows[] = {
      {"2024-09-01", CC_CELL_OK, 2024, 9, 1},
      {"2024/9/1", CC_CELL_OK, 2024, 9, 1},
      {"2024.9.1", CC_CELL_OK, 2024, 9, 1},
      {"20240901", CC_CELL_OK, 2024, 9, 1},
      {"2024年9月1日", CC_CELL_OK, 2024, 9, 1},
      {"2024年09月01号", CC_CELL_OK, 2024, 9, 1},
      {"2024-09-01 00:00:00", CC_CELL_OK, 2024, 9, 1},
      {"2024/9/1 8:00", CC_CELL_OK, 2024, 9, 1},
      {"2024-09-01T08:00:00", CC_CELL_OK, 2024, 9, 1},
      {"２０２４－０９－０１", CC_CELL_OK, 2024, 9, 1},
      {"2024-09", CC_CELL_OK, 2024, 9, 1},
      {"2024年9月", CC_CELL_OK, 2024, 9, 1},
      {"45536", CC_CELL_OK, 2024, 9, 1},
      {"45292", CC_CELL_OK, 2024, 1, 1},
      {"2024-02-29", CC_CELL_OK, 2024, 2, 29},
      {"", CC_CELL_EMPTY, 0, 0, 0},
      {"2024-9/1", CC_CELL_UNREADABLE, 0, 0, 0},
      {"2023-02-29", CC_CELL_UNREADABLE, 0, 0, 0},
      {"9/1/2024", CC_CELL_UNREADABLE, 0, 0, 0},
      {"2024", CC_CELL_UNREADABLE, 0, 0, 0},
      {"12345", CC_CELL_UNREADABLE, 0, 0, 0},
      {"1900-09-01", CC_CELL_UNREADABLE, 0, 0, 0},
      {"秋季", CC_CELL_UNREADABLE, 0, 0, 0},
  };
  size_t i;
  for (i = 0; i < sizeof rows / sizeof *rows; i++) {
    cc_date d = 0;
    int v = cc_policy_parse_date(&d, rows[i].cell, strlen(rows[i].cell));
    ck_assert_msg(v == rows[i].verdict, "'%s': %d", rows[i].cell, v);
    if (v == CC_CELL_OK)
      ck_assert_msg(d == ymd(rows[i].y, rows[i].m, rows[i].d), "'%s'",
                    rows[i].cell);
  }
}
END_TEST

START_TEST(test_policy_years)
{
  static const struct {
    const char *cell;
    int verdict, years;
  } rows[] = {
      {"3", CC_CELL_OK, 3},
      {"3年", CC_CELL_OK, 3},
      {"三年", CC_CELL_OK, 3},
      {"3年制", CC_CELL_OK, 3},
      {"三年制", CC_CELL_OK, 3},
      {"3.0", CC_CELL_OK, 3},
      {" 2 ", CC_CELL_OK, 2},
      {"５年", CC_CELL_OK, 5},
      {"", CC_CELL_EMPTY, 0},
      {"2.5", CC_CELL_UNREADABLE, 0},
      {"0", CC_CELL_UNREADABLE, 0},
      {"十", CC_CELL_UNREADABLE, 0},
      {"3个月", CC_CELL_UNREADABLE, 0},
  };
  size_t i;
  for (i = 0; i < sizeof rows / sizeof *rows; i++) {
    int y = -1;
    int v = cc_policy_parse_years(&y, rows[i].cell, strlen(rows[i].cell));
    ck_assert_msg(v == rows[i].verdict, "'%s': %d", rows[i].cell, v);
    if (v == CC_CELL_OK)
      ck_assert_int_eq(y, rows[i].years);
  }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Rules on one record. */

typedef struct rec_spec {
  const char *id17;      /* 17 digits; the check character is computed */
  int valid;             /* 0: an invalid ID (check character flipped) */
  int64_t grant, waiver; /* yuan */
  const char *mode, *grade, *date, *years, *region;
} rec_spec;

static cc_record make(const rec_spec *s)
{
  cc_record r;
  char c;
  memset(&r, 0, sizeof r);
  memcpy(r.id, s->id17, 17);
  c = tu_check_char(s->id17);
  if (!s->valid)
    c = c == '0' ? '1' : '0';
  r.id[17] = c;
  r.id[18] = '\0';
  r.id_len = 18;
  r.id_verdict = s->valid ? CC_ID_VALID : CC_ID_INVALID;
  r.id_reason = s->valid ? 0 : CC_IDR_CHECK_DIGIT;
  r.status = CC_STATUS_ENROLLED;
  r.grant = s->grant * 100;
  r.waiver = s->waiver * 100;
  r.name = tu_str("张三");
  r.line = 2;
  r.text[CC_COL_SCHOOL_CODE] = tu_str("S1");
  r.text[CC_COL_STUDY_MODE] = tu_str(s->mode);
  r.text[CC_COL_GRADE] = tu_str(s->grade);
  r.text[CC_COL_ENROLL_DATE] = tu_str(s->date);
  r.text[CC_COL_PROGRAM_YEARS] = tu_str(s->years);
  r.text[CC_COL_REGION_CODE] = tu_str(s->region);
  return r;
}

/* Born 2010-05-01 (16 in 2026): no over_age. */
#define YOUNG "37010220100501123"

/* The hits of one record as "type/reason/yuan" joined by ' '. */
static char *hits_of(const cc_policy_rules *rules, const char *period,
                     const rec_spec *s, cc_policy_tally *tally)
{
  static char out[512];
  cc_policy_hit h[CC_POLICY_HITS_MAX];
  cc_policy_period per = period_of(period);
  cc_record r = make(s);
  int n = cc_policy_check(h, rules, &per, &r, tally), i;
  out[0] = '\0';
  for (i = 0; i < n; i++) {
    char one[96];
    snprintf(one, sizeof one, "%s%s/%s/%lld", i ? " " : "",
             cc_finding_type_code((cc_finding_type)h[i].type),
             cc_finding_reason_code((cc_finding_reason)h[i].reason),
             (long long)(h[i].amount / 100));
    strcat(out, one);
  }
  return out;
}

START_TEST(test_policy_rules_defaults)
{
  static const struct {
    rec_spec s;
    const char *want;
  } rows[] = {
      /* part_time on both amounts. */
      {{YOUNG, 1, 1000, 2000, "非全日制", "1", "2026-09-01", "3", "370102"},
       "ineligible_grant/part_time/1000 ineligible_waiver/part_time/2000"},
      /* Look-alike: a part-time student paid nothing. */
      {{YOUNG, 1, 0, 0, "非全日制", "3", "2020-09-01", "3", "370102"}, ""},
      /* third_year: year 3 with a grant; a cohort in year 3; not a waiver. */
      {{YOUNG, 1, 1000, 0, "全日制", "3", "2024-09-01", "3", "370102"},
       "ineligible_grant/third_year/1000"},
      {{YOUNG, 1, 1000, 0, "全日制", "2024级", "2024-09-01", "3", "370102"},
       "ineligible_grant/third_year/1000"},
      {{YOUNG, 1, 0, 2000, "全日制", "三年级", "2024-09-01", "3", "370102"},
       ""},
      /* Look-alike: a cohort-written 年级 in year 1. */
      {{YOUNG, 1, 1000, 2000, "全日制", "2026级", "2026/9/1", "3年", "370102"},
       ""},
      /* beyond_program: 2023-09-01 + 3 = 2026-09-01, before 2026-11-01. */
      {{YOUNG, 1, 1000, 2000, "全日制", "2", "20230901", "3", "370102"},
       "ineligible_grant/beyond_program/1000 "
       "ineligible_waiver/beyond_program/2000"},
      /* Look-alike: the program ends on the period's first day. */
      {{YOUNG, 1, 1000, 2000, "全日制", "2", "2023-11-01", "3", "370102"}, ""},
      /* ... and one day before it. */
      {{YOUNG, 1, 1000, 0, "全日制", "2", "2023-10-31", "3", "370102"},
       "ineligible_grant/beyond_program/1000"},
      /* Year 3 and past the program: two reasons, two findings. */
      {{YOUNG, 1, 1000, 0, "全日制", "3", "2022-09-01", "三年", "370102"},
       "ineligible_grant/third_year/1000 ineligible_grant/beyond_program/1000"},
      /* over_age: born 1996-11-01 is 30 on 2026-11-01; 1996-11-02 is 29. */
      {{"37010219961101123", 1, 0, 2000, "全日制", "1", "2026-09-01", "3",
        "370102"},
       "subsidy_review/over_age/0"},
      {{"37010219961102123", 1, 0, 2000, "全日制", "1", "2026-09-01", "3",
        "370102"},
       ""},
      /* Over age but paid nothing. */
      {{"37010219801101123", 1, 0, 0, "全日制", "1", "2026-09-01", "3",
        "370102"},
       ""},
      /* Over age by an invalid ID: not judged. */
      {{"37010219801101123", 0, 0, 2000, "全日制", "1", "2026-09-01", "3",
        "370102"},
       ""},
      /* Every rule at once. */
      {{"37010219801101123", 1, 1000, 2000, "非全日制", "3", "2020-09-01", "3",
        ""},
       "ineligible_grant/part_time/1000 ineligible_waiver/part_time/2000 "
       "ineligible_grant/third_year/1000 ineligible_grant/beyond_program/1000 "
       "ineligible_waiver/beyond_program/2000 subsidy_review/over_age/0"},
      /* Columns missing: nothing judged, nothing found. */
      {{YOUNG, 1, 1000, 2000, "", "", "", "", ""}, ""},
      {{YOUNG, 1, 1000, 2000, "全日制", "2", "2020-09-01", "", ""}, ""},
  };
  cc_policy_rules rules;
  size_t i;
  cc_policy_rules_init(&rules);
  for (i = 0; i < sizeof rows / sizeof *rows; i++) {
    const char *got = hits_of(&rules, "2026-11", &rows[i].s, NULL);
    ck_assert_msg(strcmp(got, rows[i].want) == 0, "row %zu: '%s', want '%s'", i,
                  got, rows[i].want);
  }
}
END_TEST

START_TEST(test_policy_counts)
{
  /* Each rule counts the paid records it judged, found, and could not
   * judge (empty, unreadable, exempt); a record paid nothing counts
   * nowhere. */
  static const rec_spec recs[] = {
      {YOUNG, 1, 1000, 0, "非全日制", "3", "2020-09-01", "3", "370102"},
      {YOUNG, 1, 1000, 500, "", "三", "2020.9.1", "", "440305"},
      {YOUNG, 1, 0, 500, "半日制", "", "9/1/2020", "3", "440305"},
      {YOUNG, 0, 1000, 0, "全日制", "2", "", "3", "370102"},
      {YOUNG, 1, 0, 0, "非全日制", "3", "2020-09-01", "3", "370102"},
  };
  cc_policy_rules rules;
  cc_policy_tally t;
  size_t i;
  cc_policy_rules_init(&rules);
  memset(&t, 0, sizeof t);
  for (i = 0; i < sizeof recs / sizeof *recs; i++)
    hits_of(&rules, "2026-11", &recs[i], &t);
  /* part_time: rec 0 judged and found (1000), rec 1 empty, rec 2
   * unreadable, rec 3 judged. */
  ck_assert_uint_eq(t.rule[CC_RULE_PART_TIME].judged, 2);
  ck_assert_uint_eq(t.rule[CC_RULE_PART_TIME].found, 1);
  ck_assert_uint_eq(t.rule[CC_RULE_PART_TIME].empty, 1);
  ck_assert_uint_eq(t.rule[CC_RULE_PART_TIME].unreadable, 1);
  ck_assert_int_eq(t.rule[CC_RULE_PART_TIME].amount, 100000);
  /* third_year (grants only: recs 0, 1, 3): all judged, 0 and 1 found. */
  ck_assert_uint_eq(t.rule[CC_RULE_THIRD_YEAR].judged, 3);
  ck_assert_uint_eq(t.rule[CC_RULE_THIRD_YEAR].found, 2);
  ck_assert_int_eq(t.rule[CC_RULE_THIRD_YEAR].amount, 200000);
  /* beyond_program: rec 0 judged, found; rec 1 empty 学制; rec 2 an
   * unreadable date; rec 3 empty date. */
  ck_assert_uint_eq(t.rule[CC_RULE_BEYOND_PROGRAM].judged, 1);
  ck_assert_uint_eq(t.rule[CC_RULE_BEYOND_PROGRAM].found, 1);
  ck_assert_uint_eq(t.rule[CC_RULE_BEYOND_PROGRAM].empty, 2);
  ck_assert_uint_eq(t.rule[CC_RULE_BEYOND_PROGRAM].unreadable, 1);
  /* over_age: recs 0-2 judged (16), rec 3 has an invalid ID. */
  ck_assert_uint_eq(t.rule[CC_RULE_OVER_AGE].judged, 3);
  ck_assert_uint_eq(t.rule[CC_RULE_OVER_AGE].found, 0);
  ck_assert_uint_eq(t.rule[CC_RULE_OVER_AGE].unreadable, 1);
  ck_assert_uint_eq(t.rule[CC_RULE_OVER_AGE].exempt, 0);
}
END_TEST

START_TEST(test_policy_rules_file)
{
  char dir[4096], path[4200];
  cc_policy_rules rules;
  cc_policy_tally t;
  char json[2048];
  static const rec_spec guangdong = {
      "37010219801101123", 1,   1000,    2000, "非全日制", "3",
      "2020-09-01",        "3", "440305"};
  static const rec_spec shandong = {
      "37010219801101123", 1,   1000,    2000, "非全日制", "3",
      "2020-09-01",        "3", "370102"};
  tu_scratch_make(dir, sizeof dir, root);
  snprintf(path, sizeof path, "%s/rules.txt", dir);
  tu_write_file(path, "\xEF\xBB\xBF# provincial grants for year 3 in 广东\n"
                      "part_time = off\n"
                      "  third_year.exempt = 44, 4201   # 广东 and 武汉\n"
                      "\n"
                      "over_age.min_age = 45\n"
                      "beyond_program = on\n");
  ck_assert_int_eq(cc_policy_rules_load(&rules, path), 0);
  ck_assert_int_eq(rules.on[CC_RULE_PART_TIME], 0);
  ck_assert_int_eq(rules.on[CC_RULE_THIRD_YEAR], 1);
  ck_assert_int_eq(rules.n_exempt[CC_RULE_THIRD_YEAR], 2);
  ck_assert_str_eq(rules.exempt[CC_RULE_THIRD_YEAR][0], "44");
  ck_assert_str_eq(rules.exempt[CC_RULE_THIRD_YEAR][1], "4201");
  ck_assert_int_eq(rules.min_age, 45);
  /* Born 1980-11-01: 46 in 2026-11 -> still over 45. Part-time is off;
   * third_year is exempt in 44 but not in 37. */
  memset(&t, 0, sizeof t);
  ck_assert_str_eq(
      hits_of(&rules, "2026-11", &guangdong, &t),
      "ineligible_grant/beyond_program/1000 "
      "ineligible_waiver/beyond_program/2000 subsidy_review/over_age/0");
  ck_assert_uint_eq(t.rule[CC_RULE_THIRD_YEAR].exempt, 1);
  ck_assert_uint_eq(
      t.rule[CC_RULE_PART_TIME].judged + t.rule[CC_RULE_PART_TIME].exempt, 0);
  ck_assert_str_eq(
      hits_of(&rules, "2026-11", &shandong, NULL),
      "ineligible_grant/third_year/1000 "
      "ineligible_grant/beyond_program/1000 "
      "ineligible_waiver/beyond_program/2000 subsidy_review/over_age/0");
  /* 1980-11-01 is 45 on 2025-11-01 (not yet 45 on 2025-10-01). */
  ck_assert_str_eq(hits_of(&rules, "2025-10", &shandong, NULL),
                   "ineligible_grant/third_year/1000 "
                   "ineligible_grant/beyond_program/1000 "
                   "ineligible_waiver/beyond_program/2000");

  cc_policy_rules_json(json, sizeof json, &rules);
  ck_assert_msg(
      strstr(json, "\"part_time\": {\"on\": false, \"exempt\": []}") != NULL,
      "%s", json);
  ck_assert_msg(strstr(json,
                       "\"third_year\": {\"on\": true, \"grant_years\": 2, "
                       "\"exempt\": [\"44\", \"4201\"]}") != NULL,
                "%s", json);
  ck_assert_msg(strstr(json, "\"over_age\": {\"on\": true, \"min_age\": 45, "
                             "\"exempt\": []}") != NULL,
                "%s", json);
  ck_assert_msg(strncmp(json, "{\"source\": \"", 12) == 0, "%s", json);

  cc_policy_rules_init(&rules);
  cc_policy_rules_json(json, sizeof json, &rules);
  ck_assert_str_eq(
      json,
      "{\"source\": \"defaults\", \"rules\": {"
      "\"part_time\": {\"on\": true, \"exempt\": []}, "
      "\"third_year\": {\"on\": true, \"grant_years\": 2, \"exempt\": []}, "
      "\"beyond_program\": {\"on\": true, \"exempt\": []}, "
      "\"over_age\": {\"on\": true, \"min_age\": 30, \"exempt\": []}}}");
  tu_scratch_remove(dir);
}
END_TEST

START_TEST(test_policy_rules_file_errors)
{
  static const struct {
    const char *text, *msg;
  } rows[] = {
      {"part_time = maybe\n", ":1: part_time is 'on' or 'off'"},
      {"\n\nsecond_year = on\n", ":3: unknown rule 'second_year'"},
      {"over_age.min_age = 0\n", ":1: over_age.min_age is 1-120 years"},
      {"over_age.min_age = 30x\n", ":1: over_age.min_age is 1-120 years"},
      {"third_year.exempt = 44, 1234567\n",
       ":1: a region prefix is 1-6 digits"},
      {"third_year.exempt = 4a\n", ":1: a region prefix is 1-6 digits"},
      {"part_time.min_age = 3\n", ":1: part_time has no setting 'min_age'"},
      {"part_time\n", ":1: expected 'setting = value'"},
  };
  char dir[4096], path[4200];
  size_t i;
  cc_policy_rules rules;
  tu_scratch_make(dir, sizeof dir, root);
  snprintf(path, sizeof path, "%s/rules.txt", dir);
  for (i = 0; i < sizeof rows / sizeof *rows; i++) {
    tu_write_file(path, rows[i].text);
    ck_assert_int_eq(cc_policy_rules_load(&rules, path), CC_EINVALID);
    ck_assert_msg(strstr(cc_error_last(), rows[i].msg) != NULL, "%s",
                  cc_error_last());
  }
  snprintf(path, sizeof path, "%s/none.txt", dir);
  ck_assert_int_eq(cc_policy_rules_load(&rules, path), CC_ENOTFOUND);
  tu_scratch_remove(dir);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Findings. */

START_TEST(test_policy_findings)
{
  static const rec_spec a = {YOUNG,        1,   1000,    0, "非全日制", "1",
                             "2026-09-01", "3", "370102"};
  cc_finding_list parts[2] = {{0}}, all = {0};
  cc_policy_hit h[CC_POLICY_HITS_MAX];
  cc_policy_rules rules;
  cc_policy_period per = period_of("2026-11");
  cc_record r1 = make(&a), r2 = make(&a), r3 = make(&a);
  uint64_t id_school1, id_third;
  char *json;
  size_t len;
  cc_finding_context fc = {"2026-11"};
  uint8_t *buf = NULL;
  size_t cap = 0;
  long enc;
  cc_finding back;
  cc_finding_list store = {0};

  cc_policy_rules_init(&rules);
  /* r1 and r2: the same person twice at school S1 (lines 2 and 9), both
   * part-time with a grant: one finding, two members, 2000 at risk. r3:
   * the same person at S2, another finding. */
  r2.line = 9;
  r3.line = 4;
  r3.text[CC_COL_SCHOOL_CODE] = tu_str("S2");
  ck_assert_int_eq(cc_policy_check(h, &rules, &per, &r1, NULL), 1);
  ck_assert_int_eq(cc_policy_finding_add(&parts[1], &h[0], &r1, "moe"), 0);
  ck_assert_int_eq(cc_policy_finding_add(&parts[0], &h[0], &r2, "moe"), 0);
  ck_assert_int_eq(cc_policy_finding_add(&parts[0], &h[0], &r3, "moe"), 0);
  ck_assert_int_eq(cc_policy_findings_gather(&all, parts, 2), 0);
  ck_assert_uint_eq(all.n, 2);
  {
    const cc_finding *f =
        all.items[0].n_members == 2 ? &all.items[0] : &all.items[1];
    const cc_finding *g = f == &all.items[0] ? &all.items[1] : &all.items[0];
    ck_assert_int_eq(f->type, CC_FT_INELIGIBLE_GRANT);
    ck_assert_int_eq(f->reason, CC_REASON_PART_TIME);
    ck_assert_uint_eq(f->members[0].line, 2);
    ck_assert_uint_eq(f->members[1].line, 9);
    ck_assert_int_eq(f->amount_at_risk, 200000);
    ck_assert_uint_eq(g->n_members, 1);
    ck_assert_uint_eq(g->members[0].line, 4);
    ck_assert(f->finding_id != g->finding_id);
    id_school1 = f->finding_id;

    /* JSON: the reason after the scope, the single member. */
    len = cc_finding_to_json(NULL, 0, g, &fc);
    json = malloc(len + 1);
    cc_finding_to_json(json, len + 1, g, &fc);
    ck_assert_msg(
        strstr(json,
               "\"type\": \"ineligible_grant\", \"scope\": \"within\", "
               "\"reason\": \"part_time\", \"reason_zh\": \"非全日制学生\", "
               "\"period\": \"2026-11\"") != NULL,
        "%s", json);
    ck_assert_msg(strstr(json, "\"amount_at_risk\": 1000, ") != NULL, "%s",
                  json);
    free(json);

    /* The database's layout: the reason survives, a duplicate's does not
     * change (layout 1). */
    enc = cc_index_encode_finding(&buf, &cap, g);
    ck_assert_int_gt(enc, 0);
    ck_assert_uint_eq(buf[0], 2);
    ck_assert_uint_eq(buf[enc - 1], CC_REASON_PART_TIME);
    ck_assert_int_eq(cc_index_decode_finding(&back, &store, buf, (size_t)enc),
                     0);
    ck_assert_int_eq(back.reason, CC_REASON_PART_TIME);
    ck_assert_int_eq(back.type, CC_FT_INELIGIBLE_GRANT);
    ck_assert_uint_eq(back.n_members, 1);
    ck_assert_uint_eq(back.members[0].line, 4);
    ck_assert_int_eq(back.amount_at_risk, 100000);
    {
      cc_finding dup = *g;
      dup.type = CC_FT_DOUBLE_GRANT;
      dup.reason = 0;
      enc = cc_index_encode_finding(&buf, &cap, &dup);
      ck_assert_uint_eq(buf[0], 1);
      ck_assert_int_eq(cc_index_decode_finding(&back, &store, buf, (size_t)enc),
                       0);
      ck_assert_int_eq(back.reason, 0);
      /* A layout-1 value read as layout 2: its last byte is no reason. */
      buf[0] = 2;
      ck_assert_int_eq(
          cc_index_decode_finding(&back, &store, buf, (size_t)enc + 0),
          CC_ECORRUPT);
    }
  }
  /* The same person and school, another reason: another finding_id. */
  r1.text[CC_COL_STUDY_MODE] = tu_str("全日制");
  r1.text[CC_COL_GRADE] = tu_str("3");
  ck_assert_int_eq(cc_policy_check(h, &rules, &per, &r1, NULL), 1);
  ck_assert_int_eq(h[0].reason, CC_REASON_THIRD_YEAR);
  cc_finding_list_dispose(&parts[0]);
  ck_assert_int_eq(cc_policy_finding_add(&parts[0], &h[0], &r1, "moe"), 0);
  id_third = parts[0].items[0].finding_id;
  ck_assert(id_third != id_school1);
  /* Stable: the same record next month (another line, amount, name). */
  r1.line = 77;
  r1.grant = 50000;
  r1.name = tu_str("張三");
  ck_assert_int_eq(cc_policy_check(h, &rules, &per, &r1, NULL), 1);
  ck_assert_int_eq(cc_policy_finding_add(&parts[0], &h[0], &r1, "moe"), 0);
  ck_assert(parts[0].items[1].finding_id == id_third);

  free(buf);
  cc_finding_list_dispose(&store);
  cc_finding_list_dispose(&parts[0]);
  cc_finding_list_dispose(&parts[1]);
  cc_finding_list_dispose(&all);
}
END_TEST

START_TEST(test_policy_vocabulary)
{
  cc_policy_period per;
  ck_assert_int_eq(cc_policy_period_parse(&per, "2026-11"), 0);
  ck_assert_int_eq(per.year, 2026);
  ck_assert_int_eq(per.month, 11);
  ck_assert_int_eq(per.first, ymd(2026, 11, 1));
  ck_assert_int_eq(cc_policy_period_parse(&per, "2026-1x"), CC_EINVALID);
  ck_assert_int_eq(cc_policy_period_parse(&per, "2026-13"), CC_EINVALID);
  ck_assert_int_eq(cc_policy_period_parse(&per, "2026/11"), CC_EINVALID);
  ck_assert_int_eq(cc_policy_period_parse(&per, NULL), CC_EINVALID);
  ck_assert_str_eq(cc_finding_type_code(CC_FT_INELIGIBLE_GRANT),
                   "ineligible_grant");
  ck_assert_str_eq(cc_finding_type_code(CC_FT_INELIGIBLE_WAIVER),
                   "ineligible_waiver");
  ck_assert_str_eq(cc_finding_type_code(CC_FT_SUBSIDY_REVIEW),
                   "subsidy_review");
  ck_assert(!cc_finding_type_is_policy(CC_FT_ID_CONFLICT));
  ck_assert(cc_finding_type_is_policy(CC_FT_SUBSIDY_REVIEW));
  ck_assert_int_eq(cc_finding_reason_parse("over_age"), CC_REASON_OVER_AGE);
  ck_assert_int_eq(cc_finding_reason_parse(""), -1);
  ck_assert_int_eq(cc_finding_reason_parse("part-time"), -1);
  ck_assert(
      cc_finding_reason_fits(CC_FT_INELIGIBLE_GRANT, CC_REASON_THIRD_YEAR));
  ck_assert(
      !cc_finding_reason_fits(CC_FT_INELIGIBLE_WAIVER, CC_REASON_THIRD_YEAR));
  ck_assert(
      !cc_finding_reason_fits(CC_FT_INELIGIBLE_GRANT, CC_REASON_OVER_AGE));
  /* What to do, in Chinese, per reason. */
  ck_assert_ptr_nonnull(strstr(
      cc_finding_reason_todo_zh(CC_FT_INELIGIBLE_GRANT, CC_REASON_PART_TIME),
      "更正学籍系统中的学习形式"));
  ck_assert_ptr_nonnull(strstr(
      cc_finding_reason_todo_zh(CC_FT_INELIGIBLE_GRANT, CC_REASON_THIRD_YEAR),
      "更正学籍系统中的年级"));
  ck_assert_ptr_nonnull(
      strstr(cc_finding_reason_todo_zh(CC_FT_INELIGIBLE_WAIVER,
                                       CC_REASON_BEYOND_PROGRAM),
             "退回"));
  ck_assert_ptr_nonnull(strstr(
      cc_finding_reason_todo_zh(CC_FT_SUBSIDY_REVIEW, CC_REASON_OVER_AGE),
      "年龄"));
  ck_assert_ptr_null(
      cc_finding_reason_todo_zh(CC_FT_DOUBLE_GRANT, CC_REASON_NONE));
}
END_TEST

static Suite *policy_suite(void)
{
  Suite *s = suite_create("policy");
  TCase *tc = tcase_create("Core");
  tcase_add_test(tc, test_policy_study_mode);
  tcase_add_test(tc, test_policy_grade);
  tcase_add_test(tc, test_policy_date);
  tcase_add_test(tc, test_policy_years);
  tcase_add_test(tc, test_policy_rules_defaults);
  tcase_add_test(tc, test_policy_counts);
  tcase_add_test(tc, test_policy_rules_file);
  tcase_add_test(tc, test_policy_rules_file_errors);
  tcase_add_test(tc, test_policy_findings);
  tcase_add_test(tc, test_policy_vocabulary);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return tu_main(policy_suite, root, sizeof root, "policy");
}
