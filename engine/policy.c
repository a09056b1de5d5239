/*
 * policy.c - one record against the subsidy rules (SPEC 3.2).
 *
 * Owns the four rules of docs/RULES.md "Policy findings" (part_time,
 * third_year, beyond_program, over_age), the reading of the columns they
 * need as real exports write them (学习形式, 年级, 入学日期, 学制), and the
 * operator's rules file (age threshold, rules on or off, exempt regions).
 *
 * cc_policy_check is a pure function of one record: run.c calls it from the
 * ingest workers, on every record of every roster, in the same parallel
 * pass that encodes the index entries, so the rules cost no second pass
 * over the data. A record paid nothing is never judged (every rule is about
 * money paid); a paid record that lacks a column a rule needs, or whose
 * value cannot be read, is counted as not judged by that rule, never
 * guessed.
 *
 * Cells are read after folding: white space of every kind removed (kept as
 * one space for dates, where a time may follow), full-width ASCII folded,
 * Latin letters lower-cased; longer than 63 bytes after that is
 * unreadable.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "chachong/policy.h"
#include "buf_internal.h"
#include "error_internal.h"
#include "finding_internal.h"
#include "policy_internal.h"

static const char *const rule_code[CC_RULE_COUNT_] = {
    "part_time", "third_year", "beyond_program", "over_age"};

const char *cc_policy_rule_code(cc_policy_rule rule)
{
  return rule < CC_RULE_COUNT_ ? rule_code[rule] : "unknown";
}

void cc_policy_rules_init(cc_policy_rules *rules)
{
  int i;
  memset(rules, 0, sizeof *rules);
  for (i = 0; i < CC_RULE_COUNT_; i++)
    rules->on[i] = 1;
  rules->min_age = 30;    /* 003_: 大龄人群 */
  rules->grant_years = 2; /* 001_ 四: grants for years 1 and 2 */
}

/* ------------------------------------------------------------------ */
/* Reading cells. */

#define FOLD_MAX 64

/*
 * Folds a cell into buf (NUL-terminated): white space (ASCII, NBSP, U+3000)
 * removed, or with keep_space collapsed to one ' ' inside; full-width
 * ASCII (U+FF01-FF5E) to ASCII; A-Z lower-cased. Returns the length, or -1
 * when the fold does not fit.
 */
static int fold(char buf[FOLD_MAX], const char *p, size_t n, int keep_space)
{
  const unsigned char *s = (const unsigned char *)p;
  size_t i = 0;
  int len = 0, space = 0;
  while (i < n) {
    unsigned c = s[i];
    size_t k = 1;
    int ws = 0;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
        c == '\f') {
      ws = 1;
    } else if (c == 0xC2 && i + 1 < n && s[i + 1] == 0xA0) {
      ws = 1;
      k = 2;
    } else if (c == 0xE3 && i + 2 < n && s[i + 1] == 0x80 && s[i + 2] == 0x80) {
      ws = 1;
      k = 3;
    } else if (c == 0xEF && i + 2 < n &&
               (s[i + 1] == 0xBC || s[i + 1] == 0xBD)) {
      /* U+FF01..U+FF5E: EF BC 81..BF, EF BD 80..9E. */
      unsigned cp = ((unsigned)(s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
      cp |= 0xF000;
      if (cp >= 0xFF01 && cp <= 0xFF5E) {
        c = cp - 0xFF01 + 0x21;
        k = 3;
      }
    }
    if (ws) {
      space = len > 0;
      i += k;
      continue;
    }
    if (space && keep_space) {
      if (len + 1 >= FOLD_MAX)
        return -1;
      buf[len++] = ' ';
    }
    space = 0;
    if (k == 3 && c < 0x80) {
      if (len + 1 >= FOLD_MAX)
        return -1;
      buf[len++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    } else {
      if (len + (int)k >= FOLD_MAX)
        return -1;
      if (k == 1 && c >= 'A' && c <= 'Z')
        c += 32;
      if (k == 1)
        buf[len++] = (char)c;
      else {
        memcpy(buf + len, s + i, k);
        len += (int)k;
      }
    }
    i += k;
  }
  buf[len] = '\0';
  return len;
}

/* Folds a cell for reading into b: CC_CELL_OK, or the verdict on an empty
 * cell or one whose fold does not fit. */
static cc_policy_cell fold_cell(char b[FOLD_MAX], const char *p, size_t n,
                                int keep_space)
{
  int len = fold(b, p, n, keep_space);
  return len == 0 ? CC_CELL_EMPTY : len < 0 ? CC_CELL_UNREADABLE : CC_CELL_OK;
}

/* A lone ASCII digit 1-9, the common 年级 and 学制: its value, else 0. */
static int lone_digit(const char *p, size_t n)
{
  return n == 1 && p[0] >= '1' && p[0] <= '9' ? p[0] - '0' : 0;
}

/* Reads 1..max ASCII digits at *s into *v; advances *s. 0 when none. */
static int digits(const char **s, int max, int *v, int *count)
{
  int n = 0, x = 0;
  while (**s >= '0' && **s <= '9' && n < max) {
    x = x * 10 + (**s - '0');
    (*s)++;
    n++;
  }
  if (**s >= '0' && **s <= '9')
    return 0; /* more digits than allowed */
  *v = x;
  if (count)
    *count = n;
  return n > 0;
}

/* A Chinese numeral 一..九 at *s: its value, and *s advanced; 0 if none. */
static int zh_numeral(const char **s)
{
  static const char *const num[9] = {"一", "二", "三", "四", "五",
                                     "六", "七", "八", "九"};
  int i;
  for (i = 0; i < 9; i++) {
    size_t n = strlen(num[i]);
    if (strncmp(*s, num[i], n) == 0) {
      *s += n;
      return i + 1;
    }
  }
  return 0;
}

/* 1 when s begins with word (advancing s past it). */
static int eat(const char **s, const char *word)
{
  size_t n = strlen(word);
  if (strncmp(*s, word, n) != 0)
    return 0;
  *s += n;
  return 1;
}

cc_policy_cell cc_policy_parse_study_mode(int *part_time, const char *p,
                                          size_t n)
{
  /* 全日制 / 非全日制 and what people type for them: the short forms,
   * the older words for the same thing (脱产 = full-time study; 半脱产,
   * 不脱产, 业余, 函授, 夜大, 在职 are ways of studying part-time), and
   * the English. */
  static const char *const full[] = {"全日制",    "全日",      "全脱产",
                                     "脱产",      "full-time", "fulltime",
                                     "full_time", "ft"};
  static const char *const part[] = {
      "非全日制", "非全日",    "非全", "半脱产", "不脱产",
      "业余",     "函授",      "夜大", "在职",   "part-time",
      "parttime", "part_time", "pt"};
  char b[FOLD_MAX];
  cc_policy_cell c;
  size_t i;
  /* The two words as the systems write them, without folding: nearly
   * every cell, and the fold is most of the rules' cost. */
  if (n == 9 && memcmp(p, "全日制", 9) == 0) {
    *part_time = 0;
    return CC_CELL_OK;
  }
  if (n == 12 && memcmp(p, "非全日制", 12) == 0) {
    *part_time = 1;
    return CC_CELL_OK;
  }
  if ((c = fold_cell(b, p, n, 0)) != CC_CELL_OK)
    return c;
  for (i = 0; i < sizeof full / sizeof *full; i++)
    if (strcmp(b, full[i]) == 0) {
      *part_time = 0;
      return CC_CELL_OK;
    }
  for (i = 0; i < sizeof part / sizeof *part; i++)
    if (strcmp(b, part[i]) == 0) {
      *part_time = 1;
      return CC_CELL_OK;
    }
  return CC_CELL_UNREADABLE;
}

/* The year of study of a cohort (入学年份) in a period: the school year
 * begins in September. 0 when the cohort has not begun. */
static int cohort_year(int cohort, const cc_policy_period *period)
{
  int y = period->year - cohort + (period->month >= 9 ? 1 : 0);
  return y < 1 ? 0 : y;
}

cc_policy_cell cc_policy_parse_grade(int *year, const char *p, size_t n,
                                     const cc_policy_period *period)
{
  char b[FOLD_MAX];
  const char *s = b;
  int v = 0, nd = 0;
  cc_policy_cell c;
  if ((*year = lone_digit(p, n)) != 0)
    return CC_CELL_OK;
  if ((c = fold_cell(b, p, n, 0)) != CC_CELL_OK)
    return c;
  if (digits(&s, 4, &v, &nd)) {
    if (nd == 4) {
      /* A cohort: 2024, 2024级, 2024年级. */
      if (v < 1950 || v > 2199)
        return CC_CELL_UNREADABLE;
      if (*s && !eat(&s, "级") && !eat(&s, "年级"))
        return CC_CELL_UNREADABLE;
      if (*s)
        return CC_CELL_UNREADABLE;
      *year = cohort_year(v, period);
      return CC_CELL_OK;
    }
    if (nd != 1 || v < 1)
      return CC_CELL_UNREADABLE;
  } else if ((v = zh_numeral(&s)) == 0) {
    return CC_CELL_UNREADABLE;
  }
  /* A year of study: 2, 二, 2年级, 二年级. */
  if (*s && !eat(&s, "年级"))
    return CC_CELL_UNREADABLE;
  if (*s)
    return CC_CELL_UNREADABLE;
  *year = v;
  return CC_CELL_OK;
}

/* 入学日期 as year, month, day (cc_policy_parse_date). */
static cc_policy_cell read_date(int *oy, int *om, int *od, const char *p,
                                size_t n)
{
  char b[FOLD_MAX];
  const char *s = b;
  int y, m, d = 1, nd;
  char *cut;
  cc_policy_cell c;
  if (n == 10 && p[4] == '-' && p[7] == '-') {
    /* The common "2024-09-01", without folding. */
    const unsigned char *u = (const unsigned char *)p;
    unsigned d0 = u[0] - '0', d1 = u[1] - '0', d2 = u[2] - '0', d3 = u[3] - '0';
    unsigned d5 = u[5] - '0', d6 = u[6] - '0', d8 = u[8] - '0', d9 = u[9] - '0';
    if (d0 < 10 && d1 < 10 && d2 < 10 && d3 < 10 && d5 < 10 && d6 < 10 &&
        d8 < 10 && d9 < 10) {
      y = (int)(d0 * 1000 + d1 * 100 + d2 * 10 + d3);
      m = (int)(d5 * 10 + d6);
      d = (int)(d8 * 10 + d9);
      /* Days 1-28 of months 1-12 are real; the rest are asked. */
      if (y < 1950 || y > 2199 || m < 1 || m > 12 || d < 1 ||
          (d > 28 && !cc_date_valid(y, m, d)))
        return CC_CELL_UNREADABLE;
      *oy = y;
      *om = m;
      *od = d;
      return CC_CELL_OK;
    }
  }
  if ((c = fold_cell(b, p, n, 1)) != CC_CELL_OK)
    return c;
  /* A time after the date ("2024-09-01 00:00:00", "2024-09-01t08:00"). */
  if ((cut = strchr(b, ' ')) != NULL)
    *cut = '\0';
  if ((cut = strchr(b, 't')) != NULL)
    *cut = '\0';
  if (!digits(&s, 8, &y, &nd))
    return CC_CELL_UNREADABLE;
  if (nd == 8 && *s == '\0') {
    /* 20240901 */
    d = y % 100;
    m = y / 100 % 100;
    y /= 10000;
  } else if (nd == 5 && (*s == '\0' || strcmp(s, ".0") == 0)) {
    /* An Excel serial day number (a date cell exported as a number, or
     * read from a workbook): day 1 is 1900-01-01, counted from 1899-12-30
     * because of Excel's 1900 leap day; 20000-99999 is 1954-2173. */
    if (y < 20000)
      return CC_CELL_UNREADABLE;
    cc_date_to_ymd(cc_date_from_ymd(1899, 12, 30) + y, oy, om, od);
    return CC_CELL_OK;
  } else if (nd == 4) {
    int zh = 0;
    if (*s == '-' || *s == '/' || *s == '.')
      s++;
    else if (eat(&s, "年"))
      zh = 1;
    else
      return CC_CELL_UNREADABLE;
    if (!digits(&s, 2, &m, NULL))
      return CC_CELL_UNREADABLE;
    if (*s != '\0') {
      if (zh ? !eat(&s, "月") : (*s != b[4] ? 1 : (s++, 0)))
        return CC_CELL_UNREADABLE;
      /* "2024年9月" is a month alone. */
      if (*s != '\0') {
        if (!digits(&s, 2, &d, NULL))
          return CC_CELL_UNREADABLE;
        if (zh && !eat(&s, "日"))
          eat(&s, "号");
      }
    }
    if (*s != '\0')
      return CC_CELL_UNREADABLE;
  } else {
    return CC_CELL_UNREADABLE;
  }
  if (y < 1950 || y > 2199 || !cc_date_valid(y, m, d))
    return CC_CELL_UNREADABLE;
  *oy = y;
  *om = m;
  *od = d;
  return CC_CELL_OK;
}

cc_policy_cell cc_policy_parse_date(cc_date *out, const char *p, size_t n)
{
  int y, m, d;
  cc_policy_cell c = read_date(&y, &m, &d, p, n);
  if (c == CC_CELL_OK)
    *out = cc_date_from_ymd(y, m, d);
  return c;
}

cc_policy_cell cc_policy_parse_years(int *years, const char *p, size_t n)
{
  char b[FOLD_MAX];
  const char *s = b;
  int v = 0;
  cc_policy_cell c;
  if ((*years = lone_digit(p, n)) != 0)
    return CC_CELL_OK;
  if ((c = fold_cell(b, p, n, 0)) != CC_CELL_OK)
    return c;
  if (!digits(&s, 1, &v, NULL)) {
    if ((v = zh_numeral(&s)) == 0)
      return CC_CELL_UNREADABLE;
  } else if (*s == '.') {
    /* 3.0 or 3.00 as Excel writes a number; 2.5 is not a whole year. */
    s++;
    if (*s != '0')
      return CC_CELL_UNREADABLE;
    while (*s == '0')
      s++;
  }
  if (v < 1)
    return CC_CELL_UNREADABLE;
  if (*s && !eat(&s, "年制") && !eat(&s, "年"))
    return CC_CELL_UNREADABLE;
  if (*s)
    return CC_CELL_UNREADABLE;
  *years = v;
  return CC_CELL_OK;
}

int cc_policy_period_parse(cc_policy_period *out, const char *period)
{
  int y = 0, m = 0, i;
  if (period != NULL && strlen(period) == 7 && period[4] == '-')
    for (i = 0; i < 7; i++) {
      if (i == 4)
        continue;
      if (period[i] < '0' || period[i] > '9') {
        y = 0;
        break;
      }
      if (i < 4)
        y = y * 10 + (period[i] - '0');
      else
        m = m * 10 + (period[i] - '0');
    }
  if (y < 1 || !cc_date_valid(y, m, 1))
    return cc_error_set(CC_EINVALID, "period '%s' is not of the form YYYY-MM",
                        period ? period : "");
  out->year = y;
  out->month = m;
  out->first = cc_date_from_ymd(y, m, 1);
  return 0;
}

/* ------------------------------------------------------------------ */
/* The rules. */

static int exempt_region(const cc_policy_rules *rules, int rule,
                         const cc_record *r)
{
  cc_str reg = r->text[CC_COL_REGION_CODE];
  char b[FOLD_MAX];
  int len, i;
  if (reg.len == 0)
    return 0;
  len = fold(b, reg.ptr, reg.len, 0);
  for (i = 0; len > 0 && i < rules->n_exempt[rule]; i++) {
    size_t k = strlen(rules->exempt[rule][i]);
    if ((size_t)len >= k && memcmp(b, rules->exempt[rule][i], k) == 0)
      return 1;
  }
  return 0;
}

/* 1 when the rules file exempts r's region from the rule (most rules
 * exempt none: one test on the hot path). */
static inline int exempt(const cc_policy_rules *rules, int rule,
                         const cc_record *r)
{
  return rules->n_exempt[rule] != 0 && exempt_region(rules, rule, r);
}

/* Counts a cell that stops a rule from judging; 1 when it did. */
static int not_judged(cc_policy_count *c, cc_policy_cell cell)
{
  if (cell == CC_CELL_EMPTY)
    c->empty++;
  else if (cell == CC_CELL_UNREADABLE)
    c->unreadable++;
  return cell != CC_CELL_OK;
}

static void hit(cc_policy_hit *out, int *n, int type, int reason,
                int64_t amount)
{
  out[*n].type = (uint8_t)type;
  out[*n].reason = (uint8_t)reason;
  out[*n].amount = amount;
  (*n)++;
}

/* A rule broken on both amounts (part_time, beyond_program): counted once,
 * a finding for each amount paid. */
static void found_paid(cc_policy_count *c, cc_policy_hit *out, int *n,
                       int reason, int64_t g, int64_t w)
{
  c->found++;
  c->amount += g + w;
  if (g)
    hit(out, n, CC_FT_INELIGIBLE_GRANT, reason, g);
  if (w)
    hit(out, n, CC_FT_INELIGIBLE_WAIVER, reason, w);
}

/* The birth date in digits 7-14 of a valid 18-character ID. */
static int birth_date(int *y, int *m, int *d, const cc_record *r)
{
  const char *id = r->id;
  /* A valid ID is 18 characters whose digits 7-14 are a real birth date
   * (SPEC 2.1, normalize_id.c): nothing to check again. */
  if (r->id_verdict != CC_ID_VALID || r->id_len != 18)
    return 0;
  *y = (id[6] - '0') * 1000 + (id[7] - '0') * 100 + (id[8] - '0') * 10 +
       (id[9] - '0');
  *m = (id[10] - '0') * 10 + (id[11] - '0');
  *d = (id[12] - '0') * 10 + (id[13] - '0');
  return 1;
}

int cc_policy_check(cc_policy_hit out[CC_POLICY_HITS_MAX],
                    const cc_policy_rules *rules,
                    const cc_policy_period *period, const cc_record *r,
                    cc_policy_tally *tally)
{
  cc_policy_tally scratch;
  cc_policy_count *c;
  int64_t g = r->grant > 0 ? r->grant : 0, w = r->waiver > 0 ? r->waiver : 0;
  int n = 0;

  if (g == 0 && w == 0)
    return 0; /* every rule is about money paid */
  if (tally == NULL) {
    memset(&scratch, 0, sizeof scratch);
    tally = &scratch;
  }

  /* part_time: 000_ 二(二)1, part-time students and trainees never qualify. */
  c = &tally->rule[CC_RULE_PART_TIME];
  if (rules->on[CC_RULE_PART_TIME]) {
    cc_str cell = r->text[CC_COL_STUDY_MODE];
    int part = 0;
    if (exempt(rules, CC_RULE_PART_TIME, r)) {
      c->exempt++;
    } else if (!not_judged(
                   c, cc_policy_parse_study_mode(&part, cell.ptr, cell.len))) {
      c->judged++;
      if (part)
        found_paid(c, out, &n, CC_REASON_PART_TIME, g, w);
    }
  }

  /* third_year: 001_ 四, grants are for years 1 and 2 (grants only). */
  c = &tally->rule[CC_RULE_THIRD_YEAR];
  if (rules->on[CC_RULE_THIRD_YEAR] && g) {
    cc_str cell = r->text[CC_COL_GRADE];
    int year = 0;
    if (exempt(rules, CC_RULE_THIRD_YEAR, r)) {
      c->exempt++;
    } else if (!not_judged(c, cc_policy_parse_grade(&year, cell.ptr, cell.len,
                                                    period))) {
      c->judged++;
      if (year > rules->grant_years) {
        c->found++;
        c->amount += g;
        hit(out, &n, CC_FT_INELIGIBLE_GRANT, CC_REASON_THIRD_YEAR, g);
      }
    }
  }

  /* beyond_program: 001_ 四, 禁止超学制年限资助. The program ends on the
   * anniversary of 入学日期 after 学制 years (29 February ends on the 28th);
   * a period that begins after that day is beyond it. Periods begin on
   * the 1st, so that is: the end's (year, month) is before the period's
   * (the day, and so the 29 February question, never decides). */
  c = &tally->rule[CC_RULE_BEYOND_PROGRAM];
  if (rules->on[CC_RULE_BEYOND_PROGRAM]) {
    cc_str dc = r->text[CC_COL_ENROLL_DATE], yc = r->text[CC_COL_PROGRAM_YEARS];
    int years = 0, y = 0, m = 0, d = 0;
    cc_policy_cell a, b;
    if (exempt(rules, CC_RULE_BEYOND_PROGRAM, r)) {
      c->exempt++;
    } else {
      a = read_date(&y, &m, &d, dc.ptr, dc.len);
      b = cc_policy_parse_years(&years, yc.ptr, yc.len);
      if (!not_judged(c, a == CC_CELL_EMPTY || b == CC_CELL_EMPTY
                             ? CC_CELL_EMPTY
                         : a != CC_CELL_OK ? a
                                           : b)) {
        int end_y = y + years;
        c->judged++;
        if (end_y < period->year ||
            (end_y == period->year && m < period->month))
          found_paid(c, out, &n, CC_REASON_BEYOND_PROGRAM, g, w);
      }
    }
  }

  /* over_age: 003_, 大龄人群 to be verified; age on the period's first day
   * by the birth date of a valid ID. Nothing at risk until verified. */
  c = &tally->rule[CC_RULE_OVER_AGE];
  if (rules->on[CC_RULE_OVER_AGE]) {
    int y, m, d;
    if (exempt(rules, CC_RULE_OVER_AGE, r)) {
      c->exempt++;
    } else if (!birth_date(&y, &m, &d, r)) {
      c->unreadable++;
    } else {
      /* The period begins on day 1: the birthday of that year is passed
       * when it falls in an earlier month or on the 1st. */
      int age = period->year - y -
                (m > period->month || (m == period->month && d > 1));
      c->judged++;
      if (age >= rules->min_age) {
        c->found++;
        hit(out, &n, CC_FT_SUBSIDY_REVIEW, CC_REASON_OVER_AGE, 0);
      }
    }
  }
  return n;
}

void cc_policy_tally_add(cc_policy_tally *a, const cc_policy_tally *b)
{
  int i;
  for (i = 0; i < CC_RULE_COUNT_; i++) {
    a->rule[i].judged += b->rule[i].judged;
    a->rule[i].found += b->rule[i].found;
    a->rule[i].empty += b->rule[i].empty;
    a->rule[i].unreadable += b->rule[i].unreadable;
    a->rule[i].exempt += b->rule[i].exempt;
    a->rule[i].amount += b->rule[i].amount;
  }
}

/* ------------------------------------------------------------------ */
/* The rules file. */

static char *trim(char *s)
{
  char *e;
  while (*s == ' ' || *s == '\t')
    s++;
  e = s + strlen(s);
  while (e > s &&
         (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
    e--;
  *e = '\0';
  return s;
}

static int rule_lookup(const char *s, size_t n)
{
  int i;
  for (i = 0; i < CC_RULE_COUNT_; i++)
    if (strlen(rule_code[i]) == n && memcmp(s, rule_code[i], n) == 0)
      return i;
  return -1;
}

/* Parses a whole number in [lo, hi]; -1 when it is not one. */
static int whole(const char *s, int lo, int hi)
{
  long v;
  char *end;
  if (*s < '0' || *s > '9')
    return -1;
  errno = 0;
  v = strtol(s, &end, 10);
  if (*end || errno || v < lo || v > hi)
    return -1;
  return (int)v;
}

static int setting(cc_policy_rules *rules, const char *path, unsigned long line,
                   char *key, char *value)
{
  char *dot = strchr(key, '.');
  int rule = rule_lookup(key, dot ? (size_t)(dot - key) : strlen(key));
  const char *attr = dot ? dot + 1 : "";
  int v;
  if (rule < 0)
    return cc_error_set(CC_EINVALID,
                        "%s:%lu: unknown rule '%.40s' (part_time, third_year, "
                        "beyond_program, over_age)",
                        path, line, key);
  if (*attr == '\0') {
    if (strcmp(value, "on") == 0)
      rules->on[rule] = 1;
    else if (strcmp(value, "off") == 0)
      rules->on[rule] = 0;
    else
      return cc_error_set(CC_EINVALID, "%s:%lu: %s is 'on' or 'off'", path,
                          line, rule_code[rule]);
    return 0;
  }
  if (strcmp(attr, "exempt") == 0) {
    /* Region prefixes, separated by commas or blanks. */
    char *p = value;
    while (*p) {
      size_t k = 0;
      while (*p == ',' || *p == ' ' || *p == '\t')
        p++;
      if (*p == '\0')
        break;
      while (p[k] >= '0' && p[k] <= '9')
        k++;
      if (k == 0 || k > 6 ||
          (p[k] && p[k] != ',' && p[k] != ' ' && p[k] != '\t'))
        return cc_error_set(
            CC_EINVALID,
            "%s:%lu: a region prefix is 1-6 digits (44, 4403, 440305)", path,
            line);
      if (rules->n_exempt[rule] >= CC_POLICY_EXEMPT_MAX)
        return cc_error_set(CC_EINVALID, "%s:%lu: more than %d regions for %s",
                            path, line, CC_POLICY_EXEMPT_MAX, rule_code[rule]);
      memcpy(rules->exempt[rule][rules->n_exempt[rule]], p, k);
      rules->exempt[rule][rules->n_exempt[rule]][k] = '\0';
      rules->n_exempt[rule]++;
      p += k;
    }
    return 0;
  }
  if (rule == CC_RULE_OVER_AGE && strcmp(attr, "min_age") == 0) {
    if ((v = whole(value, 1, 120)) < 0)
      return cc_error_set(
          CC_EINVALID, "%s:%lu: over_age.min_age is 1-120 years", path, line);
    rules->min_age = v;
    return 0;
  }
  if (rule == CC_RULE_THIRD_YEAR && strcmp(attr, "grant_years") == 0) {
    if ((v = whole(value, 1, 9)) < 0)
      return cc_error_set(CC_EINVALID, "%s:%lu: third_year.grant_years is 1-9",
                          path, line);
    rules->grant_years = v;
    return 0;
  }
  return cc_error_set(CC_EINVALID, "%s:%lu: %s has no setting '%.40s'", path,
                      line, rule_code[rule], attr);
}

int cc_policy_rules_load(cc_policy_rules *rules, const char *path)
{
  FILE *f;
  char *buf = NULL;
  size_t cap = 0;
  ssize_t got;
  unsigned long line = 0;
  int rc = 0;

  cc_policy_rules_init(rules);
  f = fopen(path, "r");
  if (f == NULL)
    return cc_error_set_errno(errno == ENOENT ? CC_ENOTFOUND : CC_EIO, errno,
                              "%s", path);
  snprintf(rules->source, sizeof rules->source, "%s", path);
  while (rc == 0 && (got = getline(&buf, &cap, f)) >= 0) {
    char *s = buf, *eq, *hash;
    line++;
    if (line == 1 && got >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
      s += 3;
    if ((hash = strchr(s, '#')) != NULL)
      *hash = '\0';
    s = trim(s);
    if (*s == '\0')
      continue;
    eq = strchr(s, '=');
    if (eq == NULL) {
      rc = cc_error_set(CC_EINVALID, "%s:%lu: expected 'setting = value'", path,
                        line);
      break;
    }
    *eq = '\0';
    rc = setting(rules, path, line, trim(s), trim(eq + 1));
  }
  if (rc == 0 && ferror(f))
    rc = cc_error_set_errno(CC_EIO, errno, "reading %s", path);
  free(buf);
  fclose(f);
  return rc;
}

size_t cc_policy_rules_json(char *buf, size_t cap, const cc_policy_rules *rules)
{
  cc_buf b;
  int i, k;
  /* The NUL's byte is kept out of the buffer's reach, for snprintf's
   * contract. */
  cc_buf_init_fixed(&b, buf, cap ? cap - 1 : 0);
  cc_buf_puts(&b, "{\"source\": ");
  cc_json_cstr(&b, rules->source[0] ? rules->source : "defaults");
  cc_buf_puts(&b, ", \"rules\": {");
  for (i = 0; i < CC_RULE_COUNT_; i++) {
    cc_buf_puts(&b, i ? ", " : "");
    cc_json_cstr(&b, rule_code[i]);
    cc_buf_puts(&b, rules->on[i] ? ": {\"on\": true" : ": {\"on\": false");
    if (i == CC_RULE_THIRD_YEAR)
      cc_buf_printf(&b, ", \"grant_years\": %d", rules->grant_years);
    if (i == CC_RULE_OVER_AGE)
      cc_buf_printf(&b, ", \"min_age\": %d", rules->min_age);
    cc_buf_puts(&b, ", \"exempt\": [");
    for (k = 0; k < rules->n_exempt[i]; k++) {
      cc_buf_puts(&b, k ? ", " : "");
      cc_json_cstr(&b, rules->exempt[i][k]);
    }
    cc_buf_puts(&b, "]}");
  }
  cc_buf_puts(&b, "}}");
  if (buf && cap)
    buf[b.len < cap ? b.len : cap - 1] = '\0';
  return b.len;
}

/* ------------------------------------------------------------------ */
/* Findings. */

static int copy_cell(cc_str *out, cc_finding_list *list, cc_str s)
{
  return cc_finding_strdup(out, list, s.ptr ? s.ptr : "", s.len);
}

/*
 * finding_id of a policy finding: XXH3-64 of the type, the cleaned ID, the
 * school (label 0x1F code 0x1E) as a duplicate's, then 0x1C and the
 * reason's code: the same person, type, school and reason give the same
 * finding_id every month, and no duplicate's finding_id can come out.
 */
static uint64_t policy_finding_id(const cc_policy_hit *hit, const cc_record *r,
                                  const char *label)
{
  XXH3_state_t st;
  unsigned char t = hit->type;
  cc_str code = r->text[CC_COL_SCHOOL_CODE];
  const char *reason = cc_finding_reason_code((cc_finding_reason)hit->reason);
  XXH3_64bits_reset(&st);
  XXH3_64bits_update(&st, &t, 1);
  XXH3_64bits_update(&st, "\x1e", 1);
  XXH3_64bits_update(&st, r->id, r->id_len);
  XXH3_64bits_update(&st, "\x1e", 1);
  XXH3_64bits_update(&st, label, strlen(label));
  XXH3_64bits_update(&st, "\x1f", 1);
  if (code.len)
    XXH3_64bits_update(&st, code.ptr, code.len);
  XXH3_64bits_update(&st, "\x1e", 1);
  XXH3_64bits_update(&st, "\x1c", 1);
  XXH3_64bits_update(&st, reason, strlen(reason));
  return XXH3_64bits_digest(&st);
}

int cc_policy_finding_add(cc_finding_list *list, const cc_policy_hit *hit,
                          const cc_record *r, const char *label)
{
  cc_finding f;
  cc_member *m;
  cc_str lab = {label, (uint32_t)strlen(label)};
  memset(&f, 0, sizeof f);
  m = cc_finding_alloc(list, sizeof *m);
  if (m == NULL)
    return -1;
  memset(m, 0, sizeof *m);
  f.finding_id = policy_finding_id(hit, r, label);
  f.type = hit->type;
  f.reason = hit->reason;
  f.id_valid = r->id_verdict == CC_ID_VALID;
  f.id_reason = f.id_valid ? 0 : r->id_reason;
  memcpy(f.id, r->id, r->id_len);
  f.id[r->id_len] = '\0';
  f.amount_at_risk = hit->amount;
  f.basis = CC_BASIS_ID_EXACT;
  f.confidence = 10000;
  m->roster = r->roster;
  m->line = r->line;
  m->status = r->status;
  m->grant = r->grant;
  m->waiver = r->waiver;
  if (copy_cell(&m->label, list, lab) < 0 ||
      copy_cell(&m->name, list, r->name) < 0 ||
      copy_cell(&m->record_id, list, r->text[CC_COL_RECORD_ID]) < 0 ||
      copy_cell(&m->school_code, list, r->text[CC_COL_SCHOOL_CODE]) < 0 ||
      copy_cell(&m->school_name, list, r->text[CC_COL_SCHOOL_NAME]) < 0 ||
      copy_cell(&m->region_code, list, r->text[CC_COL_REGION_CODE]) < 0)
    return -1;
  f.person_name = m->name;
  f.members = m;
  f.n_members = 1;
  return cc_finding_push(list, &f);
}

static int member_cmp(const cc_member *a, const cc_member *b)
{
  if (a->roster != b->roster)
    return a->roster < b->roster ? -1 : 1;
  return a->line < b->line ? -1 : a->line > b->line;
}

int cc_policy_findings_gather(cc_finding_list *out, cc_finding_list *parts,
                              size_t k)
{
  size_t i, o = 0;
  cc_finding_list_dispose(out);
  for (i = 0; i < k; i++)
    if (cc_finding_list_merge(out, &parts[i]) < 0)
      return -1;
  cc_finding_list_sort_here(out);
  for (i = 0; i < out->n; i++) {
    cc_finding *f = &out->items[i];
    if (o > 0 && out->items[o - 1].finding_id == f->finding_id &&
        out->items[o - 1].type == f->type) {
      /* The same person, school, type and reason twice: one finding. */
      cc_finding *d = &out->items[o - 1];
      uint32_t n = d->n_members + f->n_members, a = 0, b = 0, j = 0;
      cc_member *m = cc_finding_alloc(out, n * sizeof *m);
      if (m == NULL)
        return -1;
      while (a < d->n_members || b < f->n_members)
        m[j++] = b >= f->n_members ||
                         (a < d->n_members &&
                          member_cmp(&d->members[a], &f->members[b]) < 0)
                     ? d->members[a++]
                     : f->members[b++];
      d->members = m;
      d->n_members = n;
      d->person_name = m[0].name;
      d->amount_at_risk += f->amount_at_risk;
      continue;
    }
    out->items[o++] = *f;
  }
  out->n = o;
  return 0;
}
