/*
 * check_export.c - school packages (engine/export.c) and region names
 * (engine/region.c), on hand-built findings.
 *
 * The sample period (sample() below) has six findings over seven schools,
 * chosen so that each rule of the grouping shows:
 *   F0 dual_enrollment   moe/A (370102) + mohrss/B (370112)     new
 *   F1 duplicate_record  moe/A twice                             open
 *   F2 double_grant      moe/A + mohrss/A (same code, 2 rosters) overdue, 500 yuan
 *   F3 id_conflict       moe/C (440305) + sd/D (no region)      new, claimed
 *   F4 double_waiver     moe/A + moe/E (370203)                  cleared, 1200 yuan
 *   F5 dual_enrollment   moe/A + moe/"=cmd" (formula-like code,  new
 *                        name with a comma, quote and newline, region 3790)
 * Worked out by hand from that table: moe/A takes part in F0 F1 F2 F4 F5
 * (5 rows: F1 involves it twice, still one row); mohrss/B F0; mohrss/A F2;
 * moe/C F3; sd/D F3; moe/E F4; moe/=cmd F5. City 3701 (A, B, mohrss/A)
 * counts F0 F1 F2 F4 F5 once each = 5, money 500 (F4 is cleared); province
 * 37 adds E (3702: F4) and =cmd (3790: F5), still 5 findings; 44 has F3;
 * 00 (no region) has F3; the nation has 6 findings and 500 yuan.
 * Money is fen in the structs and yuan in the files.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chachong/errors.h"
#include "chachong/export.h"
#include "chachong/finding.h"
#include "chachong/fuzzy.h"
#include "chachong/lifecycle.h"
#include "chachong/record.h"
#include "chachong/region.h"
#include "export_internal.h"
#include "test_util.h"

/* ------------------------------------------------------------------ */
/* The sample period. */

#define N_SAMPLE 6
static cc_finding items[N_SAMPLE];
static cc_member mem[N_SAMPLE][3];
static cc_finding_list sample_list;

static cc_member M(const char *label, const char *code, const char *school,
                   const char *region, const char *name, const char *record,
                   uint8_t status, int64_t grant, int64_t waiver)
{
  cc_member m;
  memset(&m, 0, sizeof m);
  m.label = tu_str(label);
  m.school_code = tu_str(code);
  m.school_name = tu_str(school);
  m.region_code = tu_str(region);
  m.name = tu_str(name);
  m.record_id = tu_str(record);
  m.status = status;
  m.grant = grant;
  m.waiver = waiver;
  return m;
}

static void F(int i, uint64_t id, int type, int cross, const char *idnum,
              int state, int64_t risk, int n)
{
  cc_finding *f = &items[i];
  memset(f, 0, sizeof *f);
  f->finding_id = id;
  f->type = (uint8_t)type;
  f->cross = (uint8_t)cross;
  f->id_valid = 1;
  snprintf(f->id, sizeof f->id, "%s", idnum);
  f->person_name = mem[i][0].name;
  f->members = mem[i];
  f->n_members = (uint32_t)n;
  f->amount_at_risk = risk;
  f->state = (uint8_t)state;
  f->issued = cc_date_from_ymd(2026, 9, 15);
  f->deadline = cc_date_from_ymd(2026, 9, 29);
  f->seen = f->issued;
  snprintf(f->first_period, sizeof f->first_period, "2026-09");
}

static const cc_finding_list *sample(void)
{
  const uint8_t EN = CC_STATUS_ENROLLED, TR = CC_STATUS_TRANSFERRED;
  mem[0][0] = M("moe", "A", "甲校", "370102", "张伟", "R-A-1", EN, 0, 0);
  mem[0][1] = M("mohrss", "B", "乙技校", "370112", "張偉", "T-B-1", EN, 0, 0);
  F(0, 0x10, CC_FT_DUAL_ENROLLMENT, 1, "370102200803151231", CC_STATE_NEW, 0,
    2);

  mem[1][0] = M("moe", "A", "甲校", "370102", "李娜", "R-A-2", EN, 0, 0);
  mem[1][1] = M("moe", "A", "甲校", "370102", "李 娜", "", EN, 0, 0);
  F(1, 0x11, CC_FT_DUPLICATE_RECORD, 0, "370105200811020281", CC_STATE_OPEN, 0,
    2);

  mem[2][0] = M("moe", "A", "甲校", "370102", "王芳", "R-A-3", EN, 100000, 0);
  mem[2][1] =
      M("mohrss", "A", "甲技校", "370102", "王芳", "T-A-3", TR, 50000, 0);
  F(2, 0x12, CC_FT_DOUBLE_GRANT, 1, "370112200902080646", CC_STATE_OVERDUE,
    50000, 2);

  mem[3][0] = M("moe", "C", "丙校", "440305", "赵磊", "R-C-1", EN, 0, 0);
  mem[3][1] = M("sd", "D", "", "", "孙涛", "", EN, 0, 0);
  F(3, 0x13, CC_FT_ID_CONFLICT, 1, "371302200801200150", CC_STATE_NEW, 0, 2);
  items[3].claimed = 1;
  items[3].response_action = CC_ACTION_ASK_OTHER;
  items[3].response_date = cc_date_from_ymd(2026, 9, 20);
  items[3].response_school = tu_str("C");
  items[3].response_by = tu_str("刘老师");
  items[3].response_note = tu_str("已发函");
  items[3].id_valid = 0;
  items[3].id_reason = CC_IDR_CHECK_DIGIT;

  mem[4][0] = M("moe", "A", "甲校", "370102", "周敏", "R-A-4", EN, 0, 120000);
  mem[4][1] = M("moe", "E", "戊校", "370203", "周敏", "R-E-1", EN, 0, 120000);
  F(4, 0x14, CC_FT_DOUBLE_WAIVER, 0, "370602200905120820", CC_STATE_CLEARED,
    120000, 2);
  items[4].cleared = cc_date_from_ymd(2026, 10, 15);
  items[4].cleared_on_time = 0;

  mem[5][0] =
      M("moe", "A", "甲校", "370102", "=HYPERLINK(1)", "R-A-5", EN, 0, 0);
  mem[5][1] =
      M("moe", "=cmd", "某校,\"东\"\n校区", "3790", "吴\xffX", "", EN, 0, 0);
  F(5, 0x15, CC_FT_DUAL_ENROLLMENT, 0, "370181200812300572", CC_STATE_NEW, 0,
    2);

  sample_list.items = items;
  sample_list.n = N_SAMPLE;
  sample_list.mem_ = NULL;
  return &sample_list;
}

/* The kept school (label, code), or NULL. */
static const cc_export_school *find_school(const cc_export_plan *p,
                                           const char *label, const char *code)
{
  size_t i;
  for (i = 0; i < p->n_kept; i++) {
    const cc_export_school *s = &p->schools[p->order[i]];
    if (s->label.len == strlen(label) &&
        memcmp(s->label.ptr, label, s->label.len) == 0 &&
        s->code.len == strlen(code) &&
        memcmp(s->code.ptr, code, s->code.len) == 0)
      return s;
  }
  return NULL;
}

static const cc_export_area *find_area(const cc_export_area *a, size_t n,
                                       const char *code)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (strcmp(a[i].code, code) == 0)
      return &a[i];
  return NULL;
}

/* ------------------------------------------------------------------ */
/* What the school must do. */

START_TEST(test_export_action_per_type)
{
  const char *t;
  t = cc_export_action_zh(CC_FT_DUAL_ENROLLMENT, 1);
  ck_assert_ptr_nonnull(strstr(t, "实际就读"));
  ck_assert_ptr_nonnull(strstr(t, "保留本校学籍"));
  ck_assert_ptr_nonnull(strstr(t, "请对方学校注销"));
  ck_assert_ptr_nonnull(strstr(t, "注销本校学籍"));
  t = cc_export_action_zh(CC_FT_DUPLICATE_RECORD, 0);
  ck_assert_ptr_nonnull(strstr(t, "保留一条"));
  ck_assert_ptr_nonnull(strstr(t, "注销重复"));
  t = cc_export_action_zh(CC_FT_DOUBLE_GRANT, 1);
  ck_assert_ptr_nonnull(strstr(t, "助学金"));
  ck_assert_ptr_nonnull(strstr(t, "追回"));
  ck_assert_ptr_nonnull(strstr(t, "其他学校协调"));
  t = cc_export_action_zh(CC_FT_DOUBLE_GRANT, 0);
  ck_assert_ptr_nonnull(strstr(t, "追回"));
  ck_assert_ptr_null(strstr(t, "其他学校"));
  t = cc_export_action_zh(CC_FT_DOUBLE_WAIVER, 1);
  ck_assert_ptr_nonnull(strstr(t, "免学费"));
  ck_assert_ptr_nonnull(strstr(t, "追回"));
  ck_assert_ptr_nonnull(strstr(t, "其他学校协调"));
  t = cc_export_action_zh(CC_FT_DOUBLE_WAIVER, 0);
  ck_assert_ptr_null(strstr(t, "其他学校"));
  t = cc_export_action_zh(CC_FT_ID_CONFLICT, 1);
  ck_assert_ptr_nonnull(strstr(t, "身份证件"));
  ck_assert_ptr_nonnull(strstr(t, "更正"));
  ck_assert_ptr_nonnull(strstr(t, "其他学校"));
  t = cc_export_action_zh(CC_FT_ID_CONFLICT, 0);
  ck_assert_ptr_null(strstr(t, "其他学校"));
  ck_assert_ptr_nonnull(cc_export_action_zh(99, 0));
}
END_TEST

START_TEST(test_export_system_names)
{
  ck_assert_str_eq(cc_export_system_zh("moe"), "教育部中职");
  ck_assert_str_eq(cc_export_system_zh("mohrss"), "人社部技工");
  ck_assert_str_eq(cc_export_system_zh("sd"), "sd");
  ck_assert_str_eq(cc_export_system_zh("MOE"), "MOE"); /* labels are exact */
}
END_TEST

/* ------------------------------------------------------------------ */
/* File names. */

static const struct {
  const char *code, *label, *want;
} name_rows[] = {
    {"4137010001", NULL, "4137010001"},
    {"J3701001", NULL, "J3701001"},
    {"a-b_c.d", NULL, "a-b_c.d"},
    {"../etc", NULL, "%2E.%2Fetc"},
    {".hidden", NULL, "%2Ehidden"},
    {"a/b", NULL, "a%2Fb"},
    {"a b%", NULL, "a%20b%25"},
    {"汇总", NULL, "%E6%B1%87%E6%80%BB"},
    {"4137011234", "moe", "4137011234_moe"},
    {"4137011234", "mohrss", "4137011234_mohrss"},
    {"X", "a/b", "X_a%2Fb"},
};

START_TEST(test_export_file_name_known)
{
  char out[CC_EXPORT_FILE_MAX];
  const char *lab = name_rows[_i].label;
  size_t n =
      cc_export_file_name(out, name_rows[_i].code, strlen(name_rows[_i].code),
                          lab, lab ? strlen(lab) : 0);
  ck_assert_str_eq(out, name_rows[_i].want);
  ck_assert_uint_eq(n, strlen(name_rows[_i].want));
}
END_TEST

START_TEST(test_export_file_name_long)
{
  char code[256], out[CC_EXPORT_FILE_MAX], out2[CC_EXPORT_FILE_MAX];
  size_t n, i;
  memset(code, '/', 255); /* every byte escapes to 3 */
  code[255] = '\0';
  n = cc_export_file_name(out, code, 255, NULL, 0);
  ck_assert_uint_le(n, 96);
  ck_assert_ptr_nonnull(strchr(out, '~'));
  /* The cut never splits a %XX: what precedes ~ is whole escapes. */
  ck_assert_uint_eq((size_t)(strchr(out, '~') - out) % 3, 0);
  for (i = 0; i < (size_t)(strchr(out, '~') - out); i += 3)
    ck_assert_int_eq(strncmp(out + i, "%2F", 3), 0);
  /* Same beginning, another end: another name. */
  code[254] = 'x';
  cc_export_file_name(out2, code, 255, NULL, 0);
  ck_assert_str_ne(out, out2);
  /* With a label, still within bounds. */
  n = cc_export_file_name(out, code, 255, code, 255);
  ck_assert_uint_lt(n, CC_EXPORT_FILE_MAX);
  ck_assert_uint_eq(strlen(out), n);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Region names. */

START_TEST(test_region_known_names)
{
  ck_assert_str_eq(cc_region_lookup("37", 2), "山东省");
  ck_assert_str_eq(cc_region_lookup("3701", 4), "济南市");
  ck_assert_str_eq(cc_region_lookup("3702", 4), "青岛市");
  ck_assert_str_eq(cc_region_lookup("11", 2), "北京市");
  ck_assert_str_eq(cc_region_lookup("1101", 4), "市辖区");
  ck_assert_str_eq(cc_region_lookup("65", 2), "新疆维吾尔自治区");
  ck_assert_str_eq(cc_region_lookup("6590", 4), "自治区直辖县级行政区划");
  ck_assert_str_eq(cc_region_lookup("71", 2), "台湾省");
  ck_assert_str_eq(cc_region_lookup("81", 2), "香港特别行政区");
  ck_assert_str_eq(cc_region_lookup("82", 2), "澳门特别行政区");
  ck_assert_ptr_nonnull(cc_region_lookup("83", 2));
  ck_assert_str_eq(cc_region_lookup("3712", 4), "莱芜市"); /* abolished 2019 */
  /* Only the first 2 or 4 digits are codes here. */
  ck_assert_str_eq(cc_region_lookup("370102", 2), "山东省");
  ck_assert_ptr_null(cc_region_lookup("370102", 6));
  ck_assert_ptr_null(cc_region_lookup("99", 2));
  ck_assert_ptr_null(cc_region_lookup("3799", 4));
  ck_assert_ptr_null(cc_region_lookup("3x", 2));
  ck_assert_ptr_null(cc_region_lookup("", 0));
  ck_assert_str_eq(cc_region_name("99"), "99");
  ck_assert_str_eq(cc_region_name("3799"), "3799");
  ck_assert_str_eq(cc_region_name("4403"), "深圳市");
}
END_TEST

/* Every code line of the data file is in the table, and every province
 * code an ID number may carry (SPEC 2.1) has a name. */
START_TEST(test_region_every_line_parses)
{
  static const char *const provinces[] = {
      "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34",
      "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52",
      "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83"};
  FILE *fp = fopen(CC_SOURCE_DIR "/data/regions/gbt2260.txt", "r");
  char line[512];
  size_t codes = 0, i;
  ck_assert_ptr_nonnull(fp);
  while (fgets(line, sizeof line, fp) != NULL) {
    size_t d = strspn(line, "0123456789");
    if ((d == 2 || d == 4) && line[d] == ' ') {
      char *name = line + d + 1;
      name[strcspn(name, "\r\n")] = '\0';
      codes++;
      ck_assert_str_eq(cc_region_lookup(line, d), name);
      if (d == 4) /* a city's province is listed */
        ck_assert_ptr_nonnull(cc_region_lookup(line, 2));
    }
  }
  fclose(fp);
  ck_assert_uint_gt(codes, 370);
  ck_assert_uint_eq(cc_region_count(), codes);
  for (i = 0; i < sizeof provinces / sizeof provinces[0]; i++)
    ck_assert_ptr_nonnull(cc_region_lookup(provinces[i], 2));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Grouping. */

static cc_export_plan plan_of(const char *school, const char *region)
{
  cc_export_options o = CC_EXPORT_OPTIONS_INIT;
  cc_export_plan p;
  o.school = school;
  o.region = region;
  ck_assert_int_eq(cc_export_plan_build(&p, sample(), &o), 0);
  return p;
}

START_TEST(test_export_grouping)
{
  static const struct {
    const char *label, *code, *city, *file;
    uint32_t rows[5];
    uint32_t n;
  } want[] = {
      {"moe", "A", "3701", "A_moe", {0, 1, 2, 4, 5}, 5},
      {"mohrss", "B", "3701", "B", {0}, 1},
      {"mohrss", "A", "3701", "A_mohrss", {2}, 1},
      {"moe", "C", "4403", "C", {3}, 1},
      {"sd", "D", "0000", "D", {3}, 1},
      {"moe", "E", "3702", "E", {4}, 1},
      {"moe", "=cmd", "3790", "%3Dcmd", {5}, 1},
  };
  cc_export_plan p = plan_of(NULL, NULL);
  size_t i, j;
  ck_assert_uint_eq(p.n_schools, 7);
  ck_assert_uint_eq(p.n_kept, 7);
  ck_assert_uint_eq(p.n_rows, 11);
  for (i = 0; i < sizeof want / sizeof want[0]; i++) {
    const cc_export_school *s = find_school(&p, want[i].label, want[i].code);
    ck_assert_msg(s != NULL, "school %s/%s", want[i].label, want[i].code);
    ck_assert_str_eq(s->city, want[i].city);
    ck_assert_int_eq(strncmp(s->prov, want[i].city, 2), 0);
    ck_assert_str_eq(s->file, want[i].file);
    ck_assert_uint_eq(s->n_rows, want[i].n);
    for (j = 0; j < want[i].n; j++)
      ck_assert_uint_eq(p.rows[s->first_row + j], want[i].rows[j]);
  }
  /* The first name and region seen win; a school without a name has
   * none. */
  ck_assert_int_eq(memcmp(find_school(&p, "moe", "A")->name.ptr, "甲校", 6), 0);
  ck_assert_uint_eq(find_school(&p, "sd", "D")->name.len, 0);
  /* Output order: by city code, then file name. */
  for (i = 1; i < p.n_kept; i++) {
    const cc_export_school *a = &p.schools[p.order[i - 1]];
    const cc_export_school *b = &p.schools[p.order[i]];
    int c = strcmp(a->city, b->city);
    ck_assert(c < 0 || (c == 0 && strcmp(a->file, b->file) < 0));
  }
  ck_assert_uint_eq(p.n_cities, 5);    /* 0000 3701 3702 3790 4403 */
  ck_assert_uint_eq(p.n_provinces, 3); /* 00 37 44 */
  ck_assert_str_eq(p.cities[0].code, "0000");
  ck_assert_str_eq(p.provinces[1].code, "37");
  ck_assert_uint_eq(p.provinces[1].n, 3);
  cc_export_plan_dispose(&p);
}
END_TEST

START_TEST(test_export_rollup_counts)
{
  cc_export_plan p = plan_of(NULL, NULL);
  const cc_export_school *a = find_school(&p, "moe", "A");
  const cc_export_area *c3701 = find_area(p.cities, p.n_cities, "3701");
  const cc_export_area *p37 = find_area(p.provinces, p.n_provinces, "37");
  const cc_export_area *p44 = find_area(p.provinces, p.n_provinces, "44");
  const cc_export_area *p00 = find_area(p.provinces, p.n_provinces, "00");

  /* School A: its five rows. */
  ck_assert_uint_eq(a->tally.findings, 5);
  ck_assert_uint_eq(a->tally.by_type[CC_FT_DUAL_ENROLLMENT], 2);
  ck_assert_uint_eq(a->tally.by_type[CC_FT_DUPLICATE_RECORD], 1);
  ck_assert_uint_eq(a->tally.by_type[CC_FT_DOUBLE_GRANT], 1);
  ck_assert_uint_eq(a->tally.by_type[CC_FT_DOUBLE_WAIVER], 1);
  ck_assert_uint_eq(a->tally.by_state[CC_STATE_NEW], 2);
  ck_assert_uint_eq(a->tally.by_state[CC_STATE_OPEN], 1);
  ck_assert_uint_eq(a->tally.by_state[CC_STATE_OVERDUE], 1);
  ck_assert_uint_eq(a->tally.by_state[CC_STATE_CLEARED], 1);
  ck_assert_int_eq(a->tally.amount, 50000); /* F4 is cleared */

  /* City 3701: F0 F1 F2 F4 F5, F0 (A and B) and F2 (both A's) once each. */
  ck_assert_ptr_nonnull(c3701);
  ck_assert_uint_eq(c3701->tally.findings, 5);
  ck_assert_uint_eq(c3701->tally.schools, 3);
  ck_assert_int_eq(c3701->tally.amount, 50000);

  /* Province 37: F0 F1 F2 F4 F5, each once, over 3 cities and 5 schools. */
  ck_assert_uint_eq(p37->tally.findings, 5);
  ck_assert_uint_eq(p37->tally.cities, 3);
  ck_assert_uint_eq(p37->tally.schools, 5);
  ck_assert_uint_eq(p37->tally.by_type[CC_FT_DUAL_ENROLLMENT], 2);
  ck_assert_uint_eq(p37->tally.by_state[CC_STATE_CLEARED], 1);
  ck_assert_int_eq(p37->tally.amount, 50000);

  /* F3 is in 44 (moe/C) and in 00 (sd/D): once in each, once in all. */
  ck_assert_uint_eq(p44->tally.findings, 1);
  ck_assert_uint_eq(p44->tally.claimed, 1);
  ck_assert_uint_eq(p00->tally.findings, 1);
  ck_assert_uint_eq(p.total.findings, 6);
  ck_assert_uint_eq(p.total.schools, 7);
  ck_assert_uint_eq(p.total.cities, 5);
  ck_assert_uint_eq(p.total.claimed, 1);
  ck_assert_uint_eq(p.total.by_type[CC_FT_ID_CONFLICT], 1);
  ck_assert_int_eq(p.total.amount, 50000);
  cc_export_plan_dispose(&p);
}
END_TEST

START_TEST(test_export_filters)
{
  cc_export_plan p;
  cc_export_options o = CC_EXPORT_OPTIONS_INIT;

  /* --school A: the school A of both rosters, nothing else. */
  p = plan_of("A", NULL);
  ck_assert_uint_eq(p.n_kept, 2);
  ck_assert_uint_eq(p.n_rows, 6);
  ck_assert_ptr_nonnull(find_school(&p, "moe", "A"));
  ck_assert_ptr_nonnull(find_school(&p, "mohrss", "A"));
  /* The label stays in the names although the filter keeps both. */
  ck_assert_str_eq(find_school(&p, "mohrss", "A")->file, "A_mohrss");
  ck_assert_uint_eq(p.total.findings, 5);
  cc_export_plan_dispose(&p);

  /* --region 4403: moe/C only; F3's row is there, sd/D is not kept. */
  p = plan_of(NULL, "4403");
  ck_assert_uint_eq(p.n_kept, 1);
  ck_assert_uint_eq(p.n_rows, 1);
  ck_assert_uint_eq(p.n_provinces, 1);
  cc_export_plan_dispose(&p);

  /* --region 37: five schools of Shandong. */
  p = plan_of(NULL, "37");
  ck_assert_uint_eq(p.n_kept, 5);
  ck_assert_uint_eq(p.total.findings, 5);
  cc_export_plan_dispose(&p);

  /* No school matches: an empty plan, not an error. */
  p = plan_of("nope", NULL);
  ck_assert_uint_eq(p.n_kept, 0);
  ck_assert_uint_eq(p.n_rows, 0);
  cc_export_plan_dispose(&p);

  o.region = "3a";
  ck_assert_int_eq(cc_export_plan_build(&p, sample(), &o), CC_EINVALID);
  o.region = "3701021";
  ck_assert_int_eq(cc_export_plan_build(&p, sample(), &o), CC_EINVALID);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Files. */

static char tmp_root[256];

static void make_tmp(void)
{
  snprintf(tmp_root, sizeof tmp_root, "%s/check_export.XXXXXX",
           getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  ck_assert_ptr_nonnull(mkdtemp(tmp_root));
}

static void remove_tmp(void)
{
  char cmd[512];
  if (tmp_root[0] == '\0')
    return;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", tmp_root);
  tmp_root[0] = '\0';
}

static char *slurp(const char *path, size_t *len)
{
  FILE *fp = fopen(path, "rb");
  char *buf;
  long n;
  if (fp == NULL)
    return NULL;
  fseek(fp, 0, SEEK_END);
  n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  buf = malloc((size_t)n + 1);
  if (fread(buf, 1, (size_t)n, fp) != (size_t)n)
    n = 0;
  buf[n] = '\0';
  fclose(fp);
  *len = (size_t)n;
  return buf;
}

/* RFC 4180 records of a CSV (quoted CR/LF do not end one). */
static size_t csv_records(const char *s, size_t n)
{
  size_t i, rec = 0;
  int q = 0;
  for (i = 0; i < n; i++) {
    if (s[i] == '"')
      q = !q;
    else if (!q && s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
      rec++;
  }
  return rec;
}

static int mode_of(const char *path)
{
  struct stat sb;
  if (stat(path, &sb) != 0)
    return -1;
  return (int)(sb.st_mode & 0777);
}

static int export_sample(cc_export_stats *st, unsigned formats)
{
  cc_export_options o = CC_EXPORT_OPTIONS_INIT;
  char out[512];
  snprintf(out, sizeof out, "%s/out", tmp_root);
  o.period = "2026-09";
  o.out_dir = out;
  o.threads = 1; /* no parallel region in a forked test */
  o.formats = formats;
  return cc_export_findings(st, sample(), &o);
}

START_TEST(test_export_files_written)
{
  static const struct {
    const char *rel;
    size_t records; /* CSV records, header and 合计 included */
  } files[] = {
      {"37-山东省/3701-济南市/A_moe", 6},
      {"37-山东省/3701-济南市/A_mohrss", 2},
      {"37-山东省/3701-济南市/B", 2},
      {"37-山东省/3702-青岛市/E", 2},
      {"37-山东省/3790-3790/%3Dcmd", 2}, /* an unlisted city: its code */
      {"44-广东省/4403-深圳市/C", 2},
      {"00-地区代码缺失/0000-地区代码缺失/D", 2},
      {"37-山东省/3701-济南市/汇总_3701", 5},
      {"37-山东省/汇总_37", 5},
      {"汇总_全国", 5},
  };
  cc_export_stats st;
  char path[1024];
  size_t i, len;
  make_tmp();
  ck_assert_int_eq(export_sample(&st, 0), 0);
  ck_assert_uint_eq(st.findings, 6);
  ck_assert_uint_eq(st.rows, 11);
  ck_assert_uint_eq(st.schools, 7);
  ck_assert_uint_eq(st.cities, 5);
  ck_assert_uint_eq(st.provinces, 3);
  ck_assert_uint_eq(st.files, 2 * (7 + 5 + 3 + 1));
  for (i = 0; i < sizeof files / sizeof files[0]; i++) {
    char *csv;
    snprintf(path, sizeof path, "%s/out/%s.xlsx", tmp_root, files[i].rel);
    ck_assert_msg(mode_of(path) == 0600, "%s mode %o", path, mode_of(path));
    snprintf(path, sizeof path, "%s/out/%s.csv", tmp_root, files[i].rel);
    ck_assert_msg(mode_of(path) == 0600, "%s mode %o", path, mode_of(path));
    csv = slurp(path, &len);
    ck_assert_ptr_nonnull(csv);
    ck_assert_int_eq(memcmp(csv, "\xEF\xBB\xBF", 3), 0);
    ck_assert_msg(csv_records(csv, len) == files[i].records, "%s: %zu records",
                  path, csv_records(csv, len));
    ck_assert(len >= 2 && csv[len - 2] == '\r' && csv[len - 1] == '\n');
    free(csv);
  }
  snprintf(path, sizeof path, "%s/out/37-山东省/3701-济南市", tmp_root);
  ck_assert_int_eq(mode_of(path), 0700);
  snprintf(path, sizeof path, "%s/out/37-山东省", tmp_root);
  ck_assert_int_eq(mode_of(path), 0700);
  remove_tmp();
}
END_TEST

START_TEST(test_export_row_contents)
{
  cc_export_stats st;
  char path[1024], *csv;
  size_t len;
  make_tmp();
  ck_assert_int_eq(export_sample(&st, CC_EXPORT_CSV), 0);

  /* School A: headers, one duplicate_record row for two records, the
   * other school of a dual-brand pair, money in yuan. */
  snprintf(path, sizeof path, "%s/out/37-山东省/3701-济南市/A_moe.csv",
           tmp_root);
  csv = slurp(path, &len);
  ck_assert_ptr_nonnull(csv);
  ck_assert_ptr_nonnull(
      strstr(csv, "\xEF\xBB\xBF问题编号,问题类型,范围,状态,学生姓名,"
                  "身份证号,匹配依据,本校学籍号,本校学籍状态,"));
  ck_assert_ptr_nonnull(strstr(
      csv, ",应采取的措施,学校反馈,备注,学校代码,本校处理结果,处理说明\r\n"));
  ck_assert_ptr_nonnull(
      strstr(csv, "0000000000000011,同校重复注册,系统内,整改中,李娜；李 娜,"
                  "370105200811020281,身份证号完全相同,R-A-2；（无学籍号）,"
                  "在籍；在籍,0,0,0,"
                  "无（本校内重复）,2026-09-15,2026-09-29,"));
  ck_assert_ptr_nonnull(
      strstr(csv, "0000000000000012,重复享受国家助学金,跨系统,已逾期,王芳,"
                  "370112200902080646,身份证号完全相同,R-A-3,在籍,1000,0,500,"
                  "甲技校（A，人社部技工）,"));
  /* A cleared finding: nothing to do, and when it was cleared; then the
   * school's code (whose row it is) and the answer and note left empty. */
  ck_assert_ptr_nonnull(strstr(
      csv, ",已清理，无需处理,,已于2026-10-15清理（超过截止日期）,A,,\r\n"));
  /* RFC 4180: the other school's name with a comma, quotes and a newline;
   * a cell that starts with '=' gets an apostrophe. */
  ck_assert_ptr_nonnull(strstr(csv, ",'=HYPERLINK(1),"));
  ck_assert_ptr_nonnull(
      strstr(csv, ",\"某校,\"\"东\"\"\n校区（=cmd，教育部中职）\","));
  free(csv);

  /* School C: the response, the claim and the invalid ID in 备注. */
  snprintf(path, sizeof path, "%s/out/44-广东省/4403-深圳市/C.csv", tmp_root);
  csv = slurp(path, &len);
  ck_assert_ptr_nonnull(csv);
  ck_assert_ptr_nonnull(strstr(csv, "（D，sd，登记姓名：孙涛）"));
  ck_assert_ptr_nonnull(strstr(
      csv, ",2026-09-20 学校C：已请对方学校注销学籍（刘老师）：已发函,"));
  ck_assert_ptr_nonnull(
      strstr(csv, "学校声称已处理但仍存在；身份证号校验未通过："));
  free(csv);

  /* School =cmd: a byte that is not UTF-8 becomes U+FFFD. */
  snprintf(path, sizeof path, "%s/out/37-山东省/3790-3790/%%3Dcmd.csv",
           tmp_root);
  csv = slurp(path, &len);
  ck_assert_ptr_nonnull(csv);
  ck_assert_ptr_nonnull(strstr(csv, ",吴\xEF\xBF\xBDX,"));
  free(csv);

  /* Roll-ups: the nation counts F3 once although two provinces have it. */
  snprintf(path, sizeof path, "%s/out/汇总_全国.csv", tmp_root);
  csv = slurp(path, &len);
  ck_assert_ptr_nonnull(csv);
  ck_assert_ptr_nonnull(strstr(
      csv, "\r\n00,地区代码缺失,1,1,1,0,0,0,0,1,0,0,0,1,0,0,0,1,0,0\r\n"));
  ck_assert_ptr_nonnull(
      strstr(csv, "\r\n37,山东省,3,5,5,2,1,1,1,0,0,0,0,2,1,1,1,0,500,0\r\n"));
  ck_assert_ptr_nonnull(
      strstr(csv, "\r\n合计,,5,7,6,2,1,1,1,1,0,0,0,3,1,1,1,1,500,0\r\n"));
  free(csv);
  remove_tmp();
}
END_TEST

/*
 * The 匹配依据 column (issue 9, point 6) on four findings worked out by
 * hand; the IDs are masked as cc_id_mask does (first 6, last 4):
 *   G0 dual_enrollment, id_typo 0.9993: moe/A 张明华 V + mohrss/B T;
 *      evidence ID one substitution +8, name equal +4, birth +2, sex +1,
 *      county +2. A sees V in full and T masked; B the other way round.
 *   G1 duplicate_record, name_birth 0.9548: moe/A twice, X1 and X2; the
 *      birth date weighs 0 (in the typo) and is not said; both IDs are
 *      A's own: both in full, no other record's ID.
 *   G2 double_grant, id_typo 0.9000 (two evidence entries): moe/A P1,
 *      mohrss/B P2, moe/C P1. A and C hold P1 themselves, so each sees
 *      only P2 (masked, once); B sees P1 masked once.
 *   G3 dual_enrollment exact: moe/A + moe/C, one ID Q.
 */
#define IDV "370102200803152461"
#define IDT "370102200803152761"
#define IDX1 "110101200501011239"
#define IDX2 "110101200501012139"
#define IDP1 "371302200801200150"
#define IDP2 "371302200801200510"
#define IDQ "370181200812300572"

static cc_finding fz[4];
static cc_member fzm[4][3];

static cc_member FM(const char *label, const char *code, const char *region,
                    const char *id, int64_t grant)
{
  cc_member m =
      M(label, code, "", region, "张明华", "", CC_STATUS_ENROLLED, grant, 0);
  m.id = tu_str(id);
  return m;
}

static void FZ(int i, uint64_t fid, int type, const char *idnum, int basis,
               uint16_t confidence, int n)
{
  cc_finding *f = &fz[i];
  memset(f, 0, sizeof *f);
  f->finding_id = fid;
  f->type = (uint8_t)type;
  f->cross = 1;
  f->id_valid = 1;
  snprintf(f->id, sizeof f->id, "%s", idnum);
  f->person_name = fzm[i][0].name;
  f->members = fzm[i];
  f->n_members = (uint32_t)n;
  f->state = CC_STATE_NEW;
  f->issued = cc_date_from_ymd(2026, 9, 25);
  f->deadline = cc_date_from_ymd(2026, 10, 15);
  f->seen = f->issued;
  f->basis = (uint8_t)basis;
  f->confidence = confidence;
  snprintf(f->first_period, sizeof f->first_period, "2026-09");
}

static void EV(int i, int field, int level, int weight10)
{
  cc_evidence *e = &fz[i].evidence[fz[i].n_evidence++];
  e->field = (uint8_t)field;
  e->level = (uint8_t)level;
  e->weight10 = (int16_t)weight10;
}

START_TEST(test_export_match_basis_column)
{
  cc_finding_list l;
  cc_export_options o = CC_EXPORT_OPTIONS_INIT;
  cc_export_stats st;
  char out[512], path[1024], *csv;
  size_t len;

  fzm[0][0] = FM("moe", "A", "370102", IDV, 0);
  fzm[0][1] = FM("mohrss", "B", "370112", IDT, 0);
  FZ(0, 0x20, CC_FT_DUAL_ENROLLMENT, IDV, CC_BASIS_ID_TYPO, 9993, 2);
  EV(0, CC_EV_ID, CC_IDL_SUB_FIX, 80);
  EV(0, CC_EV_NAME, CC_NAMEL_EQUAL, 40);
  EV(0, CC_EV_BIRTH, CC_SAME, 20);
  EV(0, CC_EV_SEX, CC_SAME, 10);
  EV(0, CC_EV_REGION, CC_REGL_COUNTY, 20);

  fzm[1][0] = FM("moe", "A", "370102", IDX1, 0);
  fzm[1][1] = FM("moe", "A", "370102", IDX2, 0);
  FZ(1, 0x21, CC_FT_DUPLICATE_RECORD, IDX1, CC_BASIS_NAME_BIRTH, 9548, 2);
  fz[1].cross = 0;
  EV(1, CC_EV_ID, CC_IDL_SWAP_FIX, 80);
  EV(1, CC_EV_NAME, CC_NAMEL_HOMOPHONE, 20);
  EV(1, CC_EV_BIRTH, CC_TYPO, 0);
  EV(1, CC_EV_SEX, CC_SAME, 10);
  EV(1, CC_EV_REGION, CC_REGL_COUNTY, 20);

  fzm[2][0] = FM("moe", "A", "370102", IDP1, 100000);
  fzm[2][1] = FM("mohrss", "B", "370112", IDP2, 100000);
  fzm[2][2] = FM("moe", "C", "440305", IDP1, 100000);
  FZ(2, 0x22, CC_FT_DOUBLE_GRANT, IDP1, CC_BASIS_ID_TYPO, 9000, 3);
  fz[2].amount_at_risk = 200000;
  EV(2, CC_EV_ID, CC_IDL_SWAP_FIX, 80);
  EV(2, CC_EV_NAME, CC_NAMEL_EQUAL, 40);

  fzm[3][0] = FM("moe", "A", "370102", "", 0);
  fzm[3][1] = FM("moe", "C", "440305", "", 0);
  FZ(3, 0x23, CC_FT_DUAL_ENROLLMENT, IDQ, CC_BASIS_ID_EXACT, 10000, 2);

  l.items = fz;
  l.n = 4;
  l.mem_ = NULL;
  make_tmp();
  snprintf(out, sizeof out, "%s/out", tmp_root);
  o.period = "2026-09";
  o.out_dir = out;
  o.threads = 1;
  o.formats = CC_EXPORT_CSV;
  ck_assert_int_eq(cc_export_findings(&st, &l, &o), 0);

  snprintf(path, sizeof path, "%s/out/37-山东省/3701-济南市/A.csv", tmp_root);
  csv = slurp(path, &len);
  ck_assert_ptr_nonnull(csv);
  ck_assert_ptr_nonnull(
      strstr(csv, "\xEF\xBB\xBF问题编号,问题类型,范围,状态,学生姓名,"
                  "身份证号,匹配依据,本校学籍号,"));
  ck_assert_ptr_nonnull(strstr(
      csv, ",张明华," IDV ",疑似同一人，置信度99.93%：身份证号仅一位数字不同，"
           "且其中一个校验码不符（典型录入错误）；姓名相同；出生日期相同；"
           "性别相同；身份证号前六位（户籍县）相同；对方记录身份证号："
           "370102********2761,"));
  ck_assert_ptr_nonnull(strstr(
      csv,
      ",张明华," IDX1 "；" IDX2 ",疑似同一人，置信度95.48%：身份证号相邻两位"
      "颠倒，且其中一个校验码不符（典型录入错误）；姓名同音不同字（如拼音"
      "输入法选错字）；性别相同；身份证号前六位（户籍县）相同,"));
  ck_assert_ptr_nonnull(strstr(
      csv, ",张明华," IDP1 ",疑似同一人，置信度90.00%：身份证号相邻两位颠倒，"
           "且其中一个校验码不符（典型录入错误）；姓名相同；对方记录身份证号："
           "371302********0510,"));
  ck_assert_ptr_nonnull(strstr(csv, ",张明华," IDQ ",身份证号完全相同,"));
  /* A's package shows no other school's ID in full. */
  ck_assert_ptr_null(strstr(csv, IDT));
  ck_assert_ptr_null(strstr(csv, IDP2));
  free(csv);

  snprintf(path, sizeof path, "%s/out/37-山东省/3701-济南市/B.csv", tmp_root);
  csv = slurp(path, &len);
  ck_assert_ptr_nonnull(csv);
  ck_assert_ptr_nonnull(
      strstr(csv, ",张明华," IDT ",疑似同一人，置信度99.93%："));
  ck_assert_ptr_nonnull(strstr(csv, "；对方记录身份证号：370102********2461,"));
  ck_assert_ptr_nonnull(strstr(
      csv, ",张明华," IDP2 ",疑似同一人，置信度90.00%：身份证号相邻两位颠倒，"
           "且其中一个校验码不符（典型录入错误）；姓名相同；对方记录身份证号："
           "371302********0150,"));
  ck_assert_ptr_null(strstr(csv, IDV));
  ck_assert_ptr_null(strstr(csv, IDP1));
  free(csv);

  snprintf(path, sizeof path, "%s/out/44-广东省/4403-深圳市/C.csv", tmp_root);
  csv = slurp(path, &len);
  ck_assert_ptr_nonnull(csv);
  ck_assert_ptr_nonnull(
      strstr(csv, "；姓名相同；对方记录身份证号：371302********0510,"));
  ck_assert_ptr_nonnull(strstr(csv, ",张明华," IDQ ",身份证号完全相同,"));
  ck_assert_ptr_null(strstr(csv, IDP2));
  free(csv);
  remove_tmp();
}
END_TEST

START_TEST(test_export_empty_period)
{
  cc_export_options o = CC_EXPORT_OPTIONS_INIT;
  cc_finding_list empty = {NULL, 0, NULL};
  cc_export_stats st;
  char out[512], path[600];
  make_tmp();
  snprintf(out, sizeof out, "%s/out", tmp_root);
  o.period = "2026-09";
  o.out_dir = out;
  o.threads = 1;
  ck_assert_int_eq(cc_export_findings(&st, &empty, &o), 0);
  ck_assert_uint_eq(st.schools, 0);
  ck_assert_uint_eq(st.rows, 0);
  snprintf(path, sizeof path, "%s/汇总_全国.csv", out);
  ck_assert_int_eq(mode_of(path), 0600);
  remove_tmp();
}
END_TEST

START_TEST(test_export_bad_options)
{
  cc_export_options o = CC_EXPORT_OPTIONS_INIT;
  cc_export_stats st;
  o.out_dir = "/nonexistent/never";
  o.threads = 1;
  o.period = "2026-13";
  ck_assert_int_eq(cc_export_findings(&st, sample(), &o), CC_EINVALID);
  o.period = "202609";
  ck_assert_int_eq(cc_export_findings(&st, sample(), &o), CC_EINVALID);
  o.period = "2026-09";
  o.out_dir = NULL;
  ck_assert_int_eq(cc_export_findings(&st, sample(), &o), CC_EINVALID);
  /* An output directory that cannot be made is an I/O error. */
  o.out_dir = "/proc/chachong-export-cannot-be-here";
  ck_assert_int_eq(cc_export_findings(&st, sample(), &o), CC_EIO);
  ck_assert_str_ne(cc_error_last(), "");
}
END_TEST

static Suite *export_suite(void)
{
  Suite *s = suite_create("export");
  TCase *core = tcase_create("Core");
  TCase *limits = tcase_create("Limits");
  tcase_add_test(core, test_export_action_per_type);
  tcase_add_test(core, test_export_system_names);
  tcase_add_loop_test(core, test_export_file_name_known, 0,
                      (int)(sizeof name_rows / sizeof name_rows[0]));
  tcase_add_test(core, test_region_known_names);
  tcase_add_test(core, test_region_every_line_parses);
  tcase_add_test(core, test_export_grouping);
  tcase_add_test(core, test_export_rollup_counts);
  tcase_add_test(core, test_export_filters);
  tcase_add_test(core, test_export_files_written);
  tcase_add_test(core, test_export_row_contents);
  tcase_add_test(core, test_export_match_basis_column);
  tcase_add_test(limits, test_export_file_name_long);
  tcase_add_test(limits, test_export_empty_period);
  tcase_add_test(limits, test_export_bad_options);
  tcase_set_timeout(core, 60);
  suite_add_tcase(s, core);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  return tu_run_suite(export_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
