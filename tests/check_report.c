/*
 * check_report.c - the report page (engine/report.c) on hand-built findings.
 *
 * Every number expected below is counted by hand from the findings built
 * here; the page's numbers are read back through their data-k attributes
 * (the same hooks tests/cli/test_report.sh reads with html.parser). Money
 * is fen in, yuan with grouping and two decimals out (175050 fen =
 * "1,750.50"). Days overdue are calendar days from the deadline to the day
 * of the run that saw the finding (`seen`).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chachong/errors.h"
#include "chachong/finding.h"
#include "chachong/lifecycle.h"
#include "chachong/report.h"
#include "test_util.h"

/* One member: roster label, school code, school name, region code. */
typedef struct mspec {
  const char *label, *code, *name, *region;
} mspec;

#define MAXF 64
#define MAXM 8

/* A hand-built list: its findings and members live in static arrays. */
typedef struct fixture {
  cc_finding items[MAXF];
  cc_member members[MAXF][MAXM];
  cc_finding_list list;
} fixture;

static cc_date D(int y, int m, int d)
{
  return cc_date_from_ymd(y, m, d);
}

/* Appends a finding; members from `ms` (n of them). */
static cc_finding *add(fixture *fx, uint64_t id, int type, int state,
                       int64_t fen, const char *idnum, const mspec *ms, int n)
{
  cc_finding *f = &fx->items[fx->list.n];
  int i;
  ck_assert_uint_lt(fx->list.n, MAXF);
  ck_assert_int_le(n, MAXM);
  memset(f, 0, sizeof *f);
  f->finding_id = id;
  f->type = (uint8_t)type;
  f->state = (uint8_t)state;
  f->amount_at_risk = fen;
  f->id_valid = 1;
  snprintf(f->id, sizeof f->id, "%s", idnum);
  f->issued = D(2026, 9, 25);
  f->deadline = D(2026, 10, 16);
  f->seen = D(2026, 11, 20);
  f->cleared_on_time = 1;
  memcpy(f->first_period, "2026-09", 8);
  f->members = fx->members[fx->list.n];
  f->n_members = (uint32_t)n;
  for (i = 0; i < n; i++) {
    cc_member *m = &f->members[i];
    memset(m, 0, sizeof *m);
    m->roster = strcmp(ms[i].label, "moe") == 0 ? 0 : 1;
    m->label = tu_str(ms[i].label);
    m->line = (uint32_t)(2 + i);
    m->school_code = tu_str(ms[i].code);
    m->school_name = tu_str(ms[i].name);
    m->region_code = tu_str(ms[i].region);
    m->name = tu_str("张三");
  }
  f->person_name = tu_str("张三");
  fx->list.items = fx->items;
  fx->list.n++;
  return f;
}

static const mspec JN1 = {"moe", "4137010001", "济南第一职业中等专业学校",
                          "370102"};
static const mspec JN2 = {"moe", "4137010002", "济南市历城职业中等专业学校",
                          "370112"};
static const mspec JNT = {"mohrss", "J3701001", "济南技师学院", "370112"};
static const mspec QD1 = {"mohrss", "J3702001", "青岛技师学院", "370211"};
static const mspec BJ1 = {"moe", "4111010001", "北京市商业学校", "110105"};
#define P11 "北京市 <span class=\"code\">11</span>"
#define P37 "山东省 <span class=\"code\">37</span>"

static const mspec NOREG = {"sd", "SD370101", "", ""};

/*
 * The main fixture, period 2026-11 (seen 2026-11-20, deadline 2026-10-16):
 *   1 dual_enrollment  new      JN1 + JNT                 0
 *   2 dual_enrollment  overdue  JN1 + BJ1 (cross-province) 0    35 days
 *   3 duplicate_record open     JN2 + JN2 (one school)    0
 *   4 double_grant     overdue  JN1 + QD1 + NOREG         175050
 *   5 double_waiver    cleared  JN2 + JNT                 120000
 *   6 double_waiver    new      BJ1 + BJ1                 200000
 *   7 id_conflict      overdue  QD1 + JNT                 0
 * finding 4's deadline is 2026-10-09 (42 days), finding 7's 2026-11-13 (7).
 */
static void build_main(fixture *fx)
{
  mspec a[3];
  cc_finding *f;
  memset(fx, 0, sizeof *fx);
  a[0] = JN1, a[1] = JNT;
  add(fx, 0x1111, CC_FT_DUAL_ENROLLMENT, CC_STATE_NEW, 0, "370102200803151231",
      a, 2);
  a[0] = JN1, a[1] = BJ1;
  add(fx, 0x2222, CC_FT_DUAL_ENROLLMENT, CC_STATE_OVERDUE, 0,
      "110105200901010011", a, 2);
  a[0] = JN2, a[1] = JN2;
  add(fx, 0x3333, CC_FT_DUPLICATE_RECORD, CC_STATE_OPEN, 0,
      "370105200811020281", a, 2);
  a[0] = JN1, a[1] = QD1, a[2] = NOREG;
  f = add(fx, 0x4444, CC_FT_DOUBLE_GRANT, CC_STATE_OVERDUE, 175050,
          "371425200901300247", a, 3);
  f->deadline = D(2026, 10, 9);
  f->claimed = 1;
  a[0] = JN2, a[1] = JNT;
  f = add(fx, 0x5555, CC_FT_DOUBLE_WAIVER, CC_STATE_CLEARED, 120000,
          "650102200907210467", a, 2);
  f->cleared_on_time = 0;
  a[0] = BJ1, a[1] = BJ1;
  add(fx, 0x6666, CC_FT_DOUBLE_WAIVER, CC_STATE_NEW, 200000,
      "110105200902020022", a, 2);
  a[0] = QD1, a[1] = JNT;
  f = add(fx, 0x7777, CC_FT_ID_CONFLICT, CC_STATE_OVERDUE, 0,
          "371302200801200150", a, 2);
  f->deadline = D(2026, 11, 13);
}

/* Renders a report of `fx` with the given options; the page is malloc'd. */
static char *render(const fixture *fx, const cc_report_options *o,
                    const char *period)
{
  cc_report *r = NULL;
  char *html = NULL;
  size_t len = 0;
  ck_assert_int_eq(cc_report_new(&r, o), 0);
  ck_assert_int_eq(cc_report_set_current(r, period, &fx->list), 0);
  ck_assert_int_eq(cc_report_render(&html, &len, r), 0);
  ck_assert_ptr_nonnull(html);
  ck_assert_uint_eq(strlen(html), len);
  cc_report_free(r);
  return html;
}

static cc_report_options opts(void)
{
  cc_report_options o = CC_REPORT_OPTIONS_INIT;
  o.generated_at = 1795000000;
  o.min_records = 0;
  return o;
}

/*
 * The number shown in the element carrying data-k="KEY" (the n-th such
 * element, from 0): the text after its tag, tags inside skipped, grouping
 * commas dropped. -1 when there is no such element.
 */
static double num_at(const char *html, const char *key, int nth)
{
  char pat[128], digits[64];
  const char *p = html;
  size_t n = 0;
  snprintf(pat, sizeof pat, "data-k=\"%s\"", key);
  for (;;) {
    p = strstr(p, pat);
    if (p == NULL)
      return -1;
    p += strlen(pat);
    if (nth-- == 0)
      break;
  }
  p = strchr(p, '>') + 1;
  while (*p == '<')
    p = strchr(p, '>') + 1;
  while ((*p >= '0' && *p <= '9') || *p == ',' || *p == '.' || *p == '-') {
    if (*p != ',' && n + 1 < sizeof digits)
      digits[n++] = *p;
    p++;
  }
  digits[n] = '\0';
  return n ? atof(digits) : -1;
}

static double num(const char *html, const char *key)
{
  return num_at(html, key, 0);
}

/* 1 when s is valid UTF-8 (no overlongs, surrogates or values past
 * U+10FFFF). */
static int valid_utf8(const unsigned char *s)
{
  while (*s) {
    int len, i;
    unsigned cp;
    if (*s < 0x80) {
      s++;
      continue;
    }
    if ((*s & 0xE0) == 0xC0)
      len = 2, cp = *s & 0x1F;
    else if ((*s & 0xF0) == 0xE0)
      len = 3, cp = *s & 0x0F;
    else if ((*s & 0xF8) == 0xF0)
      len = 4, cp = *s & 0x07;
    else
      return 0;
    for (i = 1; i < len; i++) {
      if ((s[i] & 0xC0) != 0x80)
        return 0;
      cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
        (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return 0;
    s += len;
  }
  return 1;
}

/* ------------------------------------------------------------------ */

START_TEST(test_report_counts_by_type_and_state)
{
  static fixture fx;
  cc_report_options o = opts();
  char *h;
  build_main(&fx);
  h = render(&fx, &o, "2026-11");
  ck_assert_double_eq(num(h, "ts:dual_enrollment:new"), 1);
  ck_assert_double_eq(num(h, "ts:dual_enrollment:overdue"), 1);
  ck_assert_double_eq(num(h, "ts:dual_enrollment:open"), 0);
  ck_assert_double_eq(num(h, "t:dual_enrollment"), 2);
  ck_assert_double_eq(num(h, "ts:duplicate_record:open"), 1);
  ck_assert_double_eq(num(h, "ts:double_grant:overdue"), 1);
  ck_assert_double_eq(num(h, "ts:double_waiver:cleared"), 1);
  ck_assert_double_eq(num(h, "ts:double_waiver:new"), 1);
  ck_assert_double_eq(num(h, "t:double_waiver"), 1);
  ck_assert_double_eq(num(h, "ts:id_conflict:overdue"), 1);
  ck_assert_double_eq(num(h, "s:new"), 2);
  ck_assert_double_eq(num(h, "s:open"), 1);
  ck_assert_double_eq(num(h, "s:overdue"), 3);
  ck_assert_double_eq(num(h, "s:cleared"), 1);
  ck_assert_double_eq(num(h, "open"), 6);
  ck_assert_double_eq(num(h, "overdue"), 3);
  ck_assert_double_eq(num(h, "cleared"), 1);
  ck_assert_double_eq(num(h, "claimed"), 1);
  /* The cleared waiver's 1200 is not at risk any more. */
  ck_assert_double_eq(num(h, "amount"), 3750.50);
  ck_assert_double_eq(num(h, "ta:double_grant"), 1750.50);
  ck_assert_double_eq(num(h, "ta:double_waiver"), 2000);
  ck_assert_ptr_nonnull(strstr(h, "3,750.50"));
  /* JN1 JN2 JNT QD1 BJ1 and the school with no region code. */
  ck_assert_double_eq(num(h, "schools"), 6);
  ck_assert_ptr_nonnull(strstr(h, "双重学籍"));
  ck_assert_ptr_nonnull(strstr(h, "已逾期"));
  ck_assert_ptr_nonnull(strstr(h, "<title>全国 2026-11"));
  free(h);
}
END_TEST

/* Exact and fuzzy findings apart. build_main with findings 1 (dual, new),
 * 4 (grant, overdue, 1750.50) and 5 (waiver, cleared, 1200) made fuzzy:
 *   exact 2, 3, 6, 7: 4 findings, 4 not cleared, 2 overdue (2, 7), 0
 *     cleared, 2000.00 at risk (6);
 *   fuzzy 1, 4, 5: 3 findings, 2 not cleared (1, 4), 1 overdue (4), 1
 *     cleared (5, whose 1200 no longer counts), 1750.50 at risk (4). */
START_TEST(test_report_exact_and_fuzzy_apart)
{
  static fixture fx;
  cc_report_options o = opts();
  char *h;
  build_main(&fx);
  h = render(&fx, &o, "2026-11");
  /* All exact. */
  ck_assert_double_eq(num(h, "bf:exact"), 7);
  ck_assert_double_eq(num(h, "bo:exact"), 6);
  ck_assert_double_eq(num(h, "bd:exact"), 3);
  ck_assert_double_eq(num(h, "bc:exact"), 1);
  ck_assert_double_eq(num(h, "ba:exact"), 3750.50);
  ck_assert_double_eq(num(h, "bf:fuzzy"), 0);
  ck_assert_double_eq(num(h, "ba:fuzzy"), 0);
  free(h);

  fx.items[0].basis = CC_BASIS_ID_TYPO;
  fx.items[3].basis = CC_BASIS_NAME_BIRTH;
  fx.items[4].basis = CC_BASIS_ID_TYPO;
  h = render(&fx, &o, "2026-11");
  ck_assert_double_eq(num(h, "bf:exact"), 4);
  ck_assert_double_eq(num(h, "bo:exact"), 4);
  ck_assert_double_eq(num(h, "bd:exact"), 2);
  ck_assert_double_eq(num(h, "bc:exact"), 0);
  ck_assert_double_eq(num(h, "ba:exact"), 2000);
  ck_assert_double_eq(num(h, "bf:fuzzy"), 3);
  ck_assert_double_eq(num(h, "bo:fuzzy"), 2);
  ck_assert_double_eq(num(h, "bd:fuzzy"), 1);
  ck_assert_double_eq(num(h, "bc:fuzzy"), 1);
  ck_assert_double_eq(num(h, "ba:fuzzy"), 1750.50);
  ck_assert_ptr_nonnull(strstr(h, "身份证号相同"));
  ck_assert_ptr_nonnull(strstr(h, "疑似同一人（号码录入差异）"));
  /* The totals do not change. */
  ck_assert_double_eq(num(h, "open"), 6);
  ck_assert_double_eq(num(h, "amount"), 3750.50);
  free(h);
}
END_TEST

START_TEST(test_report_summary_matches_page)
{
  static fixture fx;
  cc_report_options o = opts();
  cc_report *r = NULL;
  cc_report_summary s;
  build_main(&fx);
  ck_assert_int_eq(cc_report_new(&r, &o), 0);
  cc_report_get_summary(&s, r);
  ck_assert_uint_eq(s.findings, 0);
  ck_assert_int_eq(cc_report_set_current(r, "2026-11", &fx.list), 0);
  cc_report_get_summary(&s, r);
  ck_assert_str_eq(s.period, "2026-11");
  ck_assert_uint_eq(s.findings, 7);
  ck_assert_uint_eq(s.open, 6);
  ck_assert_uint_eq(s.overdue, 3);
  ck_assert_uint_eq(s.cleared, 1);
  ck_assert_int_eq(s.amount_at_risk, 375050);
  ck_assert_uint_eq(s.schools, 6);
  ck_assert_uint_eq(s.periods, 1);
  /* A second current period is a programming mistake, reported. */
  ck_assert_int_eq(cc_report_set_current(r, "2026-12", &fx.list), CC_EINVALID);
  cc_report_free(r);
}
END_TEST

START_TEST(test_report_scope_province)
{
  static fixture fx;
  cc_report_options o = opts();
  char *h;
  build_main(&fx);
  o.region = "11";
  h = render(&fx, &o, "2026-11");
  /* Findings 2 (JN1 + BJ1) and 6 (BJ1 + BJ1) touch Beijing. */
  ck_assert_double_eq(num(h, "open"), 2);
  ck_assert_double_eq(num(h, "ts:dual_enrollment:overdue"), 1);
  ck_assert_double_eq(num(h, "ts:double_waiver:new"), 1);
  ck_assert_double_eq(num(h, "amount"), 2000);
  ck_assert_double_eq(num(h, "schools"), 1);
  /* Only Beijing's school has a row; Jinan's appears as the other school
   * of the overdue case. */
  ck_assert_int_eq(tu_count(h, "data-k=\"school\""), 1);
  ck_assert_int_eq(tu_count(h, "data-k=\"prov\""), 1);
  ck_assert_int_eq(tu_count(h, "data-k=\"od\""), 1);
  ck_assert_ptr_nonnull(strstr(h, "济南第一职业中等专业学校"));
  ck_assert_ptr_nonnull(strstr(h, "北京市（11）"));
  free(h);

  o.region = "3702";
  h = render(&fx, &o, "2026-11");
  /* Qingdao: findings 4 and 7. */
  ck_assert_double_eq(num(h, "open"), 2);
  ck_assert_double_eq(num(h, "overdue"), 2);
  ck_assert_double_eq(num(h, "amount"), 1750.50);
  ck_assert_int_eq(tu_count(h, "data-k=\"school\""), 1);
  free(h);

  o.region = "44";
  h = render(&fx, &o, "2026-11");
  ck_assert_double_eq(num(h, "open"), 0);
  ck_assert_ptr_nonnull(strstr(h, "本期没有逾期未清理的问题"));
  free(h);
}
END_TEST

START_TEST(test_report_areas_count_a_finding_once)
{
  static fixture fx;
  cc_report_options o = opts();
  char *h;
  build_main(&fx);
  h = render(&fx, &o, "2026-11");
  /* Provinces in code order, "no code" last: 11, 37, (none). Province 37
   * counts finding 1 (JN1 + JNT) once, though both schools are there:
   * 1, 2, 3, 4, 7 not cleared = 5. */
  ck_assert_int_eq(tu_count(h, "data-k=\"prov\""), 3);
  ck_assert_ptr_nonnull(strstr(h, P11));
  ck_assert_ptr_nonnull(strstr(h, "未填地区代码"));
  ck_assert(strstr(h, P11) < strstr(h, P37));
  ck_assert(strstr(h, P37) < strstr(h, "未填地区代码"));
  {
    const char *row = strstr(h, P37);
    char *copy = strdup(row);
    char *end = strstr(copy, "</tr>");
    *end = '\0';
    /* schools 4, not cleared 5, new 1, open 1, overdue 3, cleared 1 */
    ck_assert_ptr_nonnull(strstr(copy, "<td class=\"n\">4</td><td class=\"n\">"
                                       "<b>5</b></td><td class=\"n\">1</td>"
                                       "<td class=\"n\">1</td>"
                                       "<td class=\"n red\">3</td>"
                                       "<td class=\"n\">1</td>"));
    free(copy);
  }
  /* JN2's duplicate_record (two members there) counts once at JN2. */
  {
    const char *row = strstr(h, "济南市历城职业中等专业学校 <span");
    char *copy;
    ck_assert_ptr_nonnull(row);
    copy = strdup(row);
    *strstr(copy, "</tr>") = '\0';
    ck_assert_ptr_nonnull(strstr(copy, "<b>1</b>"));
    free(copy);
  }
  free(h);
}
END_TEST

START_TEST(test_report_masks_ids)
{
  static fixture fx;
  cc_report_options o = opts();
  char *h;
  size_t i;
  build_main(&fx);
  h = render(&fx, &o, "2026-11");
  for (i = 0; i < fx.list.n; i++)
    ck_assert_msg(strstr(h, fx.items[i].id) == NULL,
                  "finding %zu's ID appears unmasked", i);
  ck_assert_ptr_nonnull(strstr(h, "371425********0247"));
  ck_assert_ptr_nonnull(strstr(h, "110105********0011"));
  /* Registered person names are not on the page at all. */
  ck_assert_ptr_null(strstr(h, "张三"));
  free(h);
}
END_TEST

START_TEST(test_report_overdue_order_and_days)
{
  static fixture fx;
  cc_report_options o = opts();
  char *h;
  const char *a, *b, *c;
  build_main(&fx);
  h = render(&fx, &o, "2026-11");
  ck_assert_double_eq(num(h, "overdue-total"), 3);
  ck_assert_int_eq(tu_count(h, "data-k=\"od\""), 3);
  a = strstr(h, "0000000000004444");
  b = strstr(h, "0000000000002222");
  c = strstr(h, "0000000000007777");
  ck_assert_ptr_nonnull(a);
  ck_assert_ptr_nonnull(b);
  ck_assert_ptr_nonnull(c);
  /* 42, 35 and 7 days: most overdue first. */
  ck_assert(a < b);
  ck_assert(b < c);
  ck_assert_ptr_nonnull(strstr(a, "<b>42</b> 天"));
  ck_assert_ptr_nonnull(strstr(b, "<b>35</b> 天"));
  ck_assert_ptr_nonnull(strstr(c, "<b>7</b> 天"));
  ck_assert_ptr_nonnull(strstr(a, "学校称已处理，仍存在"));
  ck_assert_ptr_nonnull(strstr(a, "人社部技工院校系统"));
  free(h);

  o.top_overdue = 2;
  h = render(&fx, &o, "2026-11");
  ck_assert_int_eq(tu_count(h, "data-k=\"od\""), 2);
  ck_assert_double_eq(num(h, "overdue-total"), 3);
  ck_assert_ptr_null(strstr(h, "0000000000007777"));
  free(h);
}
END_TEST

START_TEST(test_report_escapes_text)
{
  static fixture fx;
  static const mspec evil = {"moe", "<b>&\"'", "<script>alert(1)</script>",
                             "370102"};
  static const mspec bad = {"x\"><i", "C1", "校\xff\xfe名\x01", "3701\xe4"};
  cc_report_options o = opts();
  mspec a[2];
  char *h;
  memset(&fx, 0, sizeof fx);
  a[0] = evil, a[1] = bad;
  add(&fx, 1, CC_FT_DUAL_ENROLLMENT, CC_STATE_OVERDUE, 0, "370102200803151231",
      a, 2);
  o.user = "<u>&";
  h = render(&fx, &o, "2026-11");
  ck_assert_ptr_null(strstr(h, "<script"));
  ck_assert_ptr_null(strstr(h, "<b>&\""));
  ck_assert_ptr_null(strstr(h, "<u>"));
  ck_assert_ptr_null(strstr(h, "x\"><i"));
  ck_assert_ptr_nonnull(strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  ck_assert_ptr_nonnull(strstr(h, "&lt;b&gt;&amp;&quot;&#39;"));
  ck_assert_ptr_nonnull(strstr(h, "&lt;u&gt;&amp;"));
  /* Bytes that are not UTF-8, and controls, become U+FFFD. */
  ck_assert_ptr_nonnull(strstr(h, "校\xEF\xBF\xBD\xEF\xBF\xBD名\xEF\xBF\xBD"));
  ck_assert_int_eq(valid_utf8((const unsigned char *)h), 1);
  free(h);
}
END_TEST

START_TEST(test_report_self_contained)
{
  static fixture fx;
  cc_report_options o = opts();
  char *h;
  build_main(&fx);
  h = render(&fx, &o, "2026-11");
  ck_assert_ptr_nonnull(strstr(h, "<meta charset=\"utf-8\">"));
  ck_assert_ptr_nonnull(strstr(h, "<html lang=\"zh-CN\">"));
  ck_assert_ptr_null(strstr(h, "<script"));
  ck_assert_ptr_null(strstr(h, "http:"));
  ck_assert_ptr_null(strstr(h, "https:"));
  ck_assert_ptr_null(strstr(h, "url("));
  ck_assert_ptr_null(strstr(h, "<img"));
  ck_assert_ptr_null(strstr(h, "<link"));
  ck_assert_ptr_null(strstr(h, "@import"));
  ck_assert_ptr_nonnull(strstr(h, "<svg"));
  ck_assert_ptr_nonnull(strstr(h, "</html>\n"));
  ck_assert_int_eq(valid_utf8((const unsigned char *)h), 1);
  free(h);
}
END_TEST

START_TEST(test_report_rate_ranking)
{
  static fixture fx;
  cc_report_options o = opts();
  cc_report *r = NULL;
  char *h = NULL;
  const char *q, *j1, *b;
  build_main(&fx);

  /* Without records there is no rate to rank by. */
  h = render(&fx, &o, "2026-11");
  ck_assert_int_eq(tu_count(h, "data-k=\"rank\""), 0);
  ck_assert_ptr_nonnull(strstr(h, "学生记录数不可用"));
  free(h);

  /* Not cleared: JN1 3 (1, 2, 4), QD1 2 (4, 7), BJ1 2 (2, 6), JNT 2
   * (1, 7), JN2 1 (3). Per thousand: QD1 2/40 = 50, JN1 3/600 = 5,
   * BJ1 2/1000 = 2, JN2 1/20 = 50 but under min_records 30. JNT has no
   * count: not ranked. */
  o.min_records = 30;
  ck_assert_int_eq(cc_report_new(&r, &o), 0);
  ck_assert_int_eq(cc_report_set_school_records(r, "moe", "4137010001", 600),
                   0);
  ck_assert_int_eq(cc_report_set_current(r, "2026-11", &fx.list), 0);
  ck_assert_int_eq(cc_report_set_school_records(r, "mohrss", "J3702001", 40),
                   0);
  ck_assert_int_eq(cc_report_set_school_records(r, "moe", "4111010001", 1000),
                   0);
  ck_assert_int_eq(cc_report_set_school_records(r, "moe", "4137010002", 20), 0);
  /* A school with records but no finding is not ranked either. */
  ck_assert_int_eq(cc_report_set_school_records(r, "moe", "4199999999", 5), 0);
  ck_assert_int_eq(cc_report_render(&h, NULL, r), 0);
  cc_report_free(r);
  ck_assert_int_eq(tu_count(h, "data-k=\"rank\""), 3);
  q = strstr(h, "data-k=\"rank\"><td class=\"n\">1</td><td>青岛技师学院");
  j1 = strstr(h, "data-k=\"rank\"><td class=\"n\">2</td><td>济南第一职业");
  b = strstr(h, "data-k=\"rank\"><td class=\"n\">3</td><td>北京市商业学校");
  ck_assert_ptr_nonnull(q);
  ck_assert_ptr_nonnull(j1);
  ck_assert_ptr_nonnull(b);
  ck_assert_ptr_nonnull(strstr(q, "<b>50.0</b>"));
  ck_assert_ptr_nonnull(strstr(j1, "<b>5.0</b>"));
  ck_assert_ptr_nonnull(strstr(b, "<b>2.0</b>"));
  ck_assert_ptr_nonnull(strstr(h, "记录数不足 30 的学校不参与排名"));
  free(h);
}
END_TEST

START_TEST(test_report_trend_periods)
{
  static fixture cur, p1, p2;
  cc_report_options o = opts();
  cc_report *r = NULL;
  char *h = NULL;
  const char *a, *b, *c;
  mspec m[2];
  build_main(&cur);
  memset(&p1, 0, sizeof p1);
  memset(&p2, 0, sizeof p2);
  m[0] = JN1, m[1] = JNT;
  add(&p1, 1, CC_FT_DUAL_ENROLLMENT, CC_STATE_NEW, 0, "370102200803151231", m,
      2);
  add(&p2, 1, CC_FT_DUAL_ENROLLMENT, CC_STATE_OPEN, 0, "370102200803151231", m,
      2);
  add(&p2, 2, CC_FT_DOUBLE_GRANT, CC_STATE_NEW, 99900, "370102200803151231", m,
      2);
  ck_assert_int_eq(cc_report_new(&r, &o), 0);
  /* Out of order, and one period given twice (replaced). */
  ck_assert_int_eq(cc_report_add_period(r, "2026-10", &p2.list), 0);
  ck_assert_int_eq(cc_report_set_current(r, "2026-11", &cur.list), 0);
  ck_assert_int_eq(cc_report_add_period(r, "2026-09", &cur.list), 0);
  ck_assert_int_eq(cc_report_add_period(r, "2026-09", &p1.list), 0);
  ck_assert_int_eq(cc_report_add_period(r, "2026-9", &p1.list), CC_EINVALID);
  ck_assert_int_eq(cc_report_render(&h, NULL, r), 0);
  cc_report_free(r);
  ck_assert_int_eq(tu_count(h, "data-k=\"trend\""), 3);
  a = strstr(h, "data-k=\"trend\"><td>2026-09");
  b = strstr(h, "data-k=\"trend\"><td>2026-10");
  c = strstr(h, "data-k=\"trend\"><td><b>2026-11</b>");
  ck_assert_ptr_nonnull(a);
  ck_assert_ptr_nonnull(b);
  ck_assert_ptr_nonnull(c);
  ck_assert(a < b);
  ck_assert(b < c);
  ck_assert_ptr_nonnull(strstr(b, "999.00"));
  ck_assert_ptr_nonnull(strstr(c, "3,750.50"));
  ck_assert_ptr_nonnull(strstr(h, "data-k=\"chart-findings\""));
  ck_assert_ptr_nonnull(strstr(h, "data-k=\"chart-amount\""));
  ck_assert_ptr_nonnull(strstr(h, "<polyline"));
  ck_assert_ptr_nonnull(strstr(h, "class=\"cur\">2026-11</text>"));
  free(h);
}
END_TEST

START_TEST(test_report_empty_period)
{
  static fixture fx;
  cc_report_options o = opts();
  char *h;
  memset(&fx, 0, sizeof fx);
  h = render(&fx, &o, "2026-11");
  ck_assert_double_eq(num(h, "open"), 0);
  ck_assert_double_eq(num(h, "amount"), 0);
  ck_assert_ptr_nonnull(strstr(h, "本期没有问题"));
  ck_assert_ptr_nonnull(strstr(h, "</html>"));
  free(h);
}
END_TEST

START_TEST(test_report_options_invalid)
{
  cc_report_options o = opts();
  cc_report *r = NULL;
  static const char *const regions[] = {"3", "370", "37a1", "370102", "x"};
  static const char *const periods[] = {"2026-13", "2026-00", "2026-1", "26-11",
                                        "2026/11"};
  size_t i;
  for (i = 0; i < sizeof regions / sizeof *regions; i++) {
    o.region = regions[i];
    ck_assert_int_eq(cc_report_new(&r, &o), CC_EINVALID);
    ck_assert_ptr_null(r);
  }
  o.region = NULL;
  for (i = 0; i < sizeof periods / sizeof *periods; i++) {
    o.period = periods[i];
    ck_assert_int_eq(cc_report_new(&r, &o), CC_EINVALID);
  }
  o.period = "2026-12";
  o.region = "";
  ck_assert_int_eq(cc_report_new(&r, &o), 0);
  /* Nothing to show yet. */
  {
    char *h = (char *)1;
    ck_assert_int_eq(cc_report_render(&h, NULL, r), CC_EINVALID);
    ck_assert_ptr_null(h);
  }
  cc_report_free(r);
  cc_report_free(NULL);
  ck_assert_int_eq(cc_report_new(&r, NULL), 0);
  cc_report_free(r);
}
END_TEST

static Suite *report_suite(void)
{
  Suite *s = suite_create("report");
  TCase *core = tcase_create("Core");
  TCase *limits = tcase_create("Limits");
  tcase_add_test(core, test_report_counts_by_type_and_state);
  tcase_add_test(core, test_report_summary_matches_page);
  tcase_add_test(core, test_report_exact_and_fuzzy_apart);
  tcase_add_test(core, test_report_scope_province);
  tcase_add_test(core, test_report_areas_count_a_finding_once);
  tcase_add_test(core, test_report_masks_ids);
  tcase_add_test(core, test_report_overdue_order_and_days);
  tcase_add_test(core, test_report_rate_ranking);
  tcase_add_test(core, test_report_trend_periods);
  tcase_add_test(limits, test_report_escapes_text);
  tcase_add_test(limits, test_report_self_contained);
  tcase_add_test(limits, test_report_empty_period);
  tcase_add_test(limits, test_report_options_invalid);
  suite_add_tcase(s, core);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  return tu_run_suite(report_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
