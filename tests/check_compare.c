/*
 * check_compare.c - the exact tier (engine/compare.c, the rules in
 * engine/person.c) against docs/RULES.md.
 *
 * Small rosters are written through the index API (records, idx entries,
 * commit) and compared; findings are checked through the projection of
 * RULES.md ("Projection (for tests)"), sorted bytewise:
 *
 *     <type> <scope> <valid|invalid> <amount_at_risk> <roster>:<line>,...
 *
 * Rosters are numbered 0 moe, 1 mohrss, 2 prov. The IDs (check characters
 * worked out by hand, see tests/check_normalize_id.c for the method):
 * positions 1-14 of 110101 20050101 weigh 7 9 10 5 8 4 2 1 6 3 7 9 10 5 and
 * give 58; positions 15-17 weigh 8 4 2:
 *
 *   A 110101200501011239  seq 123: 58+8+8+6 = 80 = 7*11+3  -> 9  valid
 *   B 110101200501010017  seq 001: 58+2    = 60 = 5*11+5  -> 7  valid
 *   C 110101200501010025  seq 002: 58+4    = 62 = 5*11+7  -> 5  valid
 *   X 110101200501010018  seq 001, check 8 but 7 is due: invalid
 *
 * Every expected line below is worked out by hand from RULES.md; amounts
 * at risk are sum - max (e.g. 1000 + 800 + 500 - 1000 = 1300).
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "chachong/errors.h"
#include "chachong/finding.h"
#include "chachong/index.h"
#include "chachong/record.h"
#include "compare_internal.h"
#include "index_internal.h"
#include "store_lmdb_internal.h"
#include "test_util.h"

#define A "110101200501011239"
#define B "110101200501010017"
#define C "110101200501010025"
#define X "110101200501010018"

static const char *const labels[] = {"moe", "mohrss", "prov"};

/* ------------------------------------------------------------------ */
/* Scratch directories: main() makes `root` and removes it after every test
 * ran (a failed test leaves its forked child through _exit, skipping the
 * teardown); each test gets its own directory under it. */

static char root[256];
static char scratch[320];

static cc_db *db;

static void setup(void)
{
  char dir[400];
  tu_scratch_make(scratch, sizeof scratch, root);
  snprintf(dir, sizeof dir, "%s/db", scratch);
  db = tu_db_open(dir);
}

static void teardown(void)
{
  cc_db_close(db);
  db = NULL;
  tu_scratch_remove(scratch);
}

/* ------------------------------------------------------------------ */
/* Rosters through the index API. */

enum {
  EN = CC_STATUS_ENROLLED,
  SU = CC_STATUS_SUSPENDED,
  WD = CC_STATUS_WITHDRAWN,
  TR = CC_STATUS_TRANSFERRED,
  GR = CC_STATUS_GRADUATED,
  CO = CC_STATUS_COMPLETED,
  CA = CC_STATUS_CANCELLED
};

/* One roster row; grant and waiver in fen. */
typedef struct row {
  uint16_t roster;
  uint32_t line;
  const char *id;
  const char *name; /* folded name (what id_conflict compares) */
  const char *school;
  int status;
  int64_t grant, waiver;
  const char *reg; /* registered name; NULL = name */
  uint64_t hash;   /* 0: XXH3 of the ID; else forced (collisions) */
} row;

/* R(roster, line, id, name, school, status, grant yuan, waiver yuan) */
#define R(ro, li, id, nm, sc, st, g, w)                                        \
  {                                                                            \
    ro, li, id, nm, sc, st, (int64_t)((g)*100 + 0.5),                          \
        (int64_t)((w)*100 + 0.5), NULL, 0                                      \
  }

static int row_line_cmp(const void *pa, const void *pb)
{
  const row *a = pa, *b = pb;
  if (a->roster != b->roster)
    return a->roster < b->roster ? -1 : 1;
  return a->line < b->line ? -1 : a->line > b->line;
}

/* Stages rows (any order) as one generation and commits it. */
static uint32_t build(const row *rows_in, size_t n)
{
  row *rows = malloc((n ? n : 1) * sizeof *rows);
  cc_index_entry *e = calloc(n ? n : 1, sizeof *e);
  uint8_t *payload = malloc((n ? n : 1) * CC_IDX_VALUE_MAX);
  cc_stage st;
  size_t i;
  uint32_t gen;

  ck_assert_ptr_nonnull(rows);
  ck_assert_ptr_nonnull(e);
  ck_assert_ptr_nonnull(payload);
  if (n)
    memcpy(rows, rows_in, n * sizeof *rows);
  qsort(rows, n, sizeof *rows, row_line_cmp);
  ck_assert_int_eq(cc_index_stage_begin(&st, db, "2026-11", 1 << 20), 0);
  for (i = 0; i < n; i++) {
    cc_record r;
    char rid[32], sname[64];
    memset(&r, 0, sizeof r);
    r.roster = rows[i].roster;
    r.line = rows[i].line;
    r.id_len = (uint8_t)strlen(rows[i].id);
    memcpy(r.id, rows[i].id, r.id_len);
    r.id_hash = rows[i].hash ? rows[i].hash : cc_id_hash(r.id, r.id_len);
    r.status = (uint8_t)rows[i].status;
    if (strcmp(rows[i].id, X) == 0) {
      r.id_verdict = CC_ID_INVALID;
      r.id_reason = CC_IDR_CHECK_DIGIT;
    }
    r.grant = rows[i].grant;
    r.waiver = rows[i].waiver;
    r.name = tu_str(rows[i].reg ? rows[i].reg : rows[i].name);
    r.name_folded = tu_str(rows[i].name);
    r.text[CC_COL_SCHOOL_CODE] = tu_str(rows[i].school);
    snprintf(rid, sizeof rid, "R%u-%u", (unsigned)r.roster, (unsigned)r.line);
    snprintf(sname, sizeof sname, "学校%s", rows[i].school);
    r.text[CC_COL_RECORD_ID] = tu_str(rid);
    r.text[CC_COL_SCHOOL_NAME] = tu_str(sname);
    r.text[CC_COL_REGION_CODE] = tu_str("370102");
    ck_assert_int_eq(cc_index_stage_record(&st, &r), 0);
    e[i].hash = r.id_hash;
    e[i].roster = r.roster;
    e[i].line = r.line;
    e[i].payload = payload + i * CC_IDX_VALUE_MAX;
    e[i].len =
        (uint16_t)cc_index_encode_idx(payload + i * CC_IDX_VALUE_MAX, &r);
  }
  ck_assert_int_eq(cc_index_sort(e, n, 1), 0);
  ck_assert_int_eq(cc_index_stage_entries(&st, e, n), 0);
  ck_assert_int_eq(cc_index_stage_commit(&st), 0);
  gen = st.gen;
  free(rows);
  free(e);
  free(payload);
  return gen;
}

static void compare(cc_finding_list *out, uint32_t gen, int threads)
{
  ck_assert_int_eq(cc_compare_exact(out, db, gen, labels, threads), 0);
}

/* ------------------------------------------------------------------ */
/* The projection. */

typedef struct mref {
  const char *label;
  uint32_t line;
} mref;

static int mref_cmp(const void *pa, const void *pb)
{
  const mref *a = pa, *b = pb;
  int c = strcmp(a->label, b->label);
  if (c)
    return c;
  return a->line < b->line ? -1 : a->line > b->line;
}

static int str_cmp(const void *pa, const void *pb)
{
  return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

static char *project_one(const cc_finding *f)
{
  char *s = malloc(64 + f->n_members * 24), money[24];
  mref m[64];
  uint32_t i;
  size_t len;
  ck_assert_ptr_nonnull(s);
  ck_assert_uint_le(f->n_members, 64);
  cc_money_format(money, f->amount_at_risk);
  len = (size_t)sprintf(
      s, "%s %s %s %s ", cc_finding_type_code((cc_finding_type)f->type),
      f->cross ? "cross" : "within", f->id_valid ? "valid" : "invalid", money);
  for (i = 0; i < f->n_members; i++) {
    const cc_member *x = &f->members[i];
    /* Each member carries its roster's label, copied into the list. */
    ck_assert_uint_lt(x->roster, 3);
    ck_assert_uint_eq(x->label.len, strlen(labels[x->roster]));
    ck_assert_int_eq(memcmp(x->label.ptr, labels[x->roster], x->label.len), 0);
    ck_assert_ptr_ne(x->label.ptr, labels[x->roster]);
    m[i].label = labels[x->roster];
    m[i].line = x->line;
  }
  qsort(m, f->n_members, sizeof m[0], mref_cmp);
  for (i = 0; i < f->n_members; i++)
    len += (size_t)sprintf(s + len, "%s%s:%u", i ? "," : "", m[i].label,
                           m[i].line);
  return s;
}

/* Checks the list's projection against expected lines (sorted bytewise,
 * NULL-terminated). */
static void assert_projection(const cc_finding_list *l,
                              const char *const *expected, const char *name)
{
  char **got = calloc(l->n + 1, sizeof *got);
  size_t i, n_exp = 0;
  ck_assert_ptr_nonnull(got);
  while (expected[n_exp])
    n_exp++;
  for (i = 0; i < l->n; i++)
    got[i] = project_one(&l->items[i]);
  qsort(got, l->n, sizeof *got, str_cmp);
  for (i = 0; i < l->n && i < n_exp; i++)
    ck_assert_msg(strcmp(got[i], expected[i]) == 0,
                  "%s: finding %zu: got '%s', expected '%s'", name, i, got[i],
                  expected[i]);
  ck_assert_msg(l->n == n_exp,
                "%s: %zu findings, expected %zu (first extra: '%s')", name,
                l->n, n_exp, l->n > n_exp ? got[n_exp] : expected[l->n]);
  for (i = 0; i < l->n; i++)
    free(got[i]);
  free(got);
}

/* ------------------------------------------------------------------ */
/* The rules, one case per row of this table. */

typedef struct rule_case {
  const char *name;
  row rows[8];
  const char *expected[6];
} rule_case;

static const rule_case rule_cases[] = {
    {"dual_enrollment cross",
     {R(0, 2, A, "张三", "S1", EN, 0, 0), R(1, 2, A, "张三", "J1", EN, 0, 0)},
     {"dual_enrollment cross valid 0 moe:2,mohrss:2"}},
    {"dual_enrollment within",
     {R(0, 2, A, "张三", "S1", EN, 0, 0), R(0, 3, A, "张三", "S2", EN, 0, 0)},
     {"dual_enrollment within valid 0 moe:2,moe:3"}},
    {"休学 holds an enrollment",
     {R(0, 2, A, "张三", "S1", SU, 0, 0), R(1, 5, A, "张三", "J1", EN, 0, 0)},
     {"dual_enrollment cross valid 0 moe:2,mohrss:5"}},
    {"three rosters, two suspended",
     {R(2, 9, A, "张三", "P1", EN, 0, 0), R(1, 3, A, "张三", "J1", SU, 0, 0),
      R(0, 4, A, "张三", "S1", SU, 0, 0)},
     {"dual_enrollment cross valid 0 moe:4,mohrss:3,prov:9"}},
    {"duplicate_record",
     {R(0, 2, A, "张三", "S1", EN, 0, 0), R(0, 4, A, "张三", "S1", SU, 0, 0)},
     {"duplicate_record within valid 0 moe:2,moe:4"}},
    {"duplicate_record and dual_enrollment; 退学 not held",
     {R(0, 2, A, "张三", "S1", EN, 0, 0), R(0, 3, A, "张三", "S1", EN, 0, 0),
      R(1, 2, A, "张三", "J1", EN, 0, 0), R(1, 7, A, "张三", "J1", WD, 0, 0)},
     {"dual_enrollment cross valid 0 moe:2,moe:3,mohrss:2",
      "duplicate_record within valid 0 moe:2,moe:3"}},
    {"two duplicated schools",
     {R(0, 2, A, "张三", "S1", EN, 0, 0), R(0, 3, A, "张三", "S2", EN, 0, 0),
      R(0, 4, A, "张三", "S1", EN, 0, 0), R(0, 5, A, "张三", "S2", SU, 0, 0)},
     {"dual_enrollment within valid 0 moe:2,moe:3,moe:4,moe:5",
      "duplicate_record within valid 0 moe:2,moe:4",
      "duplicate_record within valid 0 moe:3,moe:5"}},
    {"dual-brand school: same code in two rosters",
     {R(0, 2, A, "张三", "4137010001", EN, 0, 0),
      R(1, 2, A, "张三", "4137010001", EN, 0, 0)},
     {"dual_enrollment cross valid 0 moe:2,mohrss:2"}},
    {"double_grant 1000 + 800 + 500, any status",
     {R(0, 2, A, "张三", "S1", EN, 1000, 0),
      R(1, 2, A, "张三", "J1", GR, 800, 0),
      R(2, 2, A, "张三", "P1", WD, 500, 0)},
     {"double_grant cross valid 1300 moe:2,mohrss:2,prov:2"}},
    {"double_grant in fen: 1000.50 + 1000.25 - 1000.50",
     {R(0, 2, A, "张三", "S1", EN, 1000.50, 0),
      R(0, 3, A, "张三", "S2", TR, 1000.25, 0)},
     {"double_grant within valid 1000.25 moe:2,moe:3"}},
    {"double_waiver at one school",
     {R(0, 2, A, "张三", "S1", EN, 0, 2000),
      R(0, 3, A, "张三", "S1", EN, 0, 2000)},
     {"double_waiver within valid 2000 moe:2,moe:3",
      "duplicate_record within valid 0 moe:2,moe:3"}},
    {"double_grant but a single waiver",
     {R(0, 2, A, "张三", "S1", EN, 1000, 2000),
      R(1, 2, A, "张三", "J1", EN, 1000, 0),
      R(1, 3, A, "张三", "J2", GR, 0, 0)},
     {"double_grant cross valid 1000 moe:2,mohrss:2",
      "dual_enrollment cross valid 0 moe:2,mohrss:2"}},
    {"id_conflict cross",
     {R(0, 2, A, "张三", "S1", TR, 0, 0), R(1, 2, A, "李四", "J1", EN, 0, 0)},
     {"id_conflict cross valid 0 moe:2,mohrss:2"}},
    {"id_conflict within, all records",
     {R(0, 2, A, "张三", "S1", EN, 0, 0), R(0, 3, A, "王五", "S1", GR, 0, 0),
      R(0, 4, A, "张三", "S1", CA, 0, 0)},
     {"id_conflict within valid 0 moe:2,moe:3,moe:4"}},
    {"no id_conflict: a homophone (张叁) is a typo of the name",
     {R(0, 2, A, "张三", "S1", EN, 0, 0), R(1, 3, A, "张叁", "J1", GR, 0, 0)},
     {NULL}},
    {"id_conflict: siblings 蒋经国 / 蒋纬国 are different names",
     {R(0, 2, A, "蒋经国", "S1", EN, 0, 0),
      R(1, 3, A, "蒋纬国", "J1", GR, 0, 0)},
     {"id_conflict cross valid 0 moe:2,mohrss:3"}},
    {"no finding: 转学 + 在籍",
     {R(0, 2, A, "张三", "S1", TR, 0, 0), R(1, 2, A, "张三", "J1", EN, 0, 0)},
     {NULL}},
    {"no finding: 毕业 + 在籍",
     {R(0, 2, A, "张三", "S1", GR, 0, 0), R(1, 2, A, "张三", "J1", EN, 0, 0)},
     {NULL}},
    {"no finding: 结业 + 在籍",
     {R(0, 2, A, "张三", "S1", CO, 0, 0), R(0, 3, A, "张三", "S2", EN, 0, 0)},
     {NULL}},
    {"no finding: 退学 + 在籍",
     {R(0, 2, A, "张三", "S1", WD, 0, 0), R(1, 2, A, "张三", "J1", EN, 0, 0)},
     {NULL}},
    {"no finding: 注销 + 在籍 at the same school",
     {R(0, 2, A, "张三", "S1", CA, 0, 0), R(0, 3, A, "张三", "S1", EN, 0, 0)},
     {NULL}},
    {"no finding: 转学 + 在籍, paid once",
     {R(0, 2, A, "张三", "S1", TR, 1000, 0),
      R(1, 2, A, "张三", "J1", EN, 0, 2000)},
     {NULL}},
    {"转学 + 在籍 paid twice: double_grant only",
     {R(0, 2, A, "张三", "S1", TR, 1000, 0),
      R(1, 2, A, "张三", "J1", EN, 1000, 0)},
     {"double_grant cross valid 1000 moe:2,mohrss:2"}},
    {"no finding: one record paid both",
     {R(0, 2, A, "张三", "S1", EN, 1000, 2000),
      R(1, 2, B, "李四", "J1", EN, 1000, 2000)},
     {NULL}},
    {"no finding: same folded name, registered differently",
     {{0, 2, A, "李娜", "S1", TR, 0, 0, "李 娜", 0},
      {1, 2, A, "李娜", "J1", EN, 0, 0, "李娜", 0}},
     {NULL}},
    {"invalid ID",
     {R(0, 2, X, "钱七", "S1", EN, 0, 0), R(1, 3, X, "钱七", "J1", SU, 0, 0)},
     {"dual_enrollment cross invalid 0 moe:2,mohrss:3"}},
    {"three people in one generation",
     {R(0, 2, A, "张三", "S1", EN, 0, 0), R(0, 3, B, "李四", "S1", EN, 0, 0),
      R(0, 4, C, "王五", "S2", TR, 500, 0), R(1, 2, B, "李四", "S1", EN, 0, 0),
      R(1, 3, A, "张三", "J1", EN, 0, 0), R(2, 2, C, "王五", "P1", EN, 600, 0),
      R(0, 5, B, "李四", "S1", SU, 0, 0)},
     {"double_grant cross valid 500 moe:4,prov:2",
      "dual_enrollment cross valid 0 moe:2,mohrss:3",
      "dual_enrollment cross valid 0 moe:3,moe:5,mohrss:2",
      "duplicate_record within valid 0 moe:3,moe:5"}},
};

static size_t case_rows(const rule_case *c)
{
  size_t n = 0;
  while (n < 8 && c->rows[n].id)
    n++;
  return n;
}

START_TEST(test_compare_rules)
{
  const rule_case *c = &rule_cases[_i];
  cc_finding_list l;
  uint32_t gen = build(c->rows, case_rows(c));
  compare(&l, gen, 1);
  assert_projection(&l, c->expected, c->name);
  cc_finding_list_dispose(&l);
  /* The same with more threads than ranges have records. */
  compare(&l, gen, 3);
  assert_projection(&l, c->expected, c->name);
  cc_finding_list_dispose(&l);
}
END_TEST

START_TEST(test_compare_empty_generation)
{
  cc_finding_list l;
  uint32_t gen = build(NULL, 0);
  compare(&l, gen, 2);
  ck_assert_uint_eq(l.n, 0);
  cc_finding_list_dispose(&l);
  ck_assert_int_eq(cc_compare_exact(&l, db, gen + 100, labels, 1),
                   CC_ENOTFOUND);
  ck_assert_uint_eq(l.n, 0);
}
END_TEST

START_TEST(test_compare_members_from_rec)
{
  /* Members carry what was registered, read back from the rec database. */
  static const row rows[] = {
      {1, 3, A, "李娜", "J1", SU, 0, 150050, "李娜", 0},
      {0, 2, A, "李娜", "S1", EN, 100000, 0, "李 娜", 0}};
  cc_finding_list l;
  const cc_finding *f;
  uint32_t gen = build(rows, 2);
  compare(&l, gen, 1);
  ck_assert_uint_eq(l.n, 1);
  f = &l.items[0];
  ck_assert_uint_eq(f->type, CC_FT_DUAL_ENROLLMENT);
  ck_assert_uint_eq(f->cross, 1);
  ck_assert_uint_eq(f->id_valid, 1);
  ck_assert_str_eq(f->id, A);
  ck_assert_uint_eq(f->amount_at_risk, 0);
  ck_assert_uint_eq(f->n_members, 2);
  /* person name: the first member's, as registered */
  ck_assert_uint_eq(f->person_name.len, strlen("李 娜"));
  ck_assert_int_eq(memcmp(f->person_name.ptr, "李 娜", f->person_name.len), 0);
  ck_assert_uint_eq(f->members[0].roster, 0);
  ck_assert_uint_eq(f->members[0].label.len, 3);
  ck_assert_int_eq(memcmp(f->members[0].label.ptr, "moe", 3), 0);
  ck_assert_uint_eq(f->members[0].line, 2);
  ck_assert_uint_eq(f->members[0].status, EN);
  ck_assert_int_eq(f->members[0].grant, 100000);
  ck_assert_int_eq(f->members[0].waiver, 0);
  ck_assert_uint_eq(f->members[0].record_id.len, 4);
  ck_assert_int_eq(memcmp(f->members[0].record_id.ptr, "R0-2", 4), 0);
  ck_assert_uint_eq(f->members[0].school_code.len, 2);
  ck_assert_int_eq(memcmp(f->members[0].school_code.ptr, "S1", 2), 0);
  ck_assert_uint_eq(f->members[0].school_name.len, strlen("学校S1"));
  ck_assert_int_eq(memcmp(f->members[0].school_name.ptr, "学校S1",
                          f->members[0].school_name.len),
                   0);
  ck_assert_uint_eq(f->members[0].region_code.len, 6);
  ck_assert_uint_eq(f->members[1].roster, 1);
  ck_assert_uint_eq(f->members[1].label.len, 6);
  ck_assert_int_eq(memcmp(f->members[1].label.ptr, "mohrss", 6), 0);
  ck_assert_uint_eq(f->members[1].line, 3);
  ck_assert_uint_eq(f->members[1].status, SU);
  ck_assert_int_eq(f->members[1].waiver, 150050);
  ck_assert_uint_eq(f->members[1].name.len, strlen("李娜"));
  ck_assert_int_eq(
      memcmp(f->members[1].name.ptr, "李娜", f->members[1].name.len), 0);
  /* The lifecycle fields are the run's to set: compare leaves them zero. */
  ck_assert_uint_eq(f->state, 0);
  ck_assert_int_eq(f->issued, 0);
  ck_assert_int_eq(f->deadline, 0);
  ck_assert_int_eq(f->seen, 0);
  ck_assert_int_eq(f->cleared, 0);
  ck_assert_uint_eq(f->claimed, 0);
  ck_assert_uint_eq(f->response_action, 0);
  ck_assert_uint_eq(f->response_by.len, 0);
  ck_assert_str_eq(f->first_period, "");
  cc_finding_list_dispose(&l);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Hash collisions: two IDs forced onto one hash are two people. */

#define H1 UINT64_C(0x5555555555555555)

START_TEST(test_compare_hash_collision_not_merged)
{
  /* A and B share hash H1 and a school; interleaved in key order
   * (H1, moe, 2) A, (H1, moe, 5) B, (H1, mohrss, 2) B, (H1, mohrss, 3) A. */
  static const row rows[] = {{0, 2, A, "张三", "S1", EN, 100000, 0, NULL, H1},
                             {0, 5, B, "李四", "S1", EN, 100000, 0, NULL, H1},
                             {1, 2, B, "李四", "J1", EN, 0, 0, NULL, H1},
                             {1, 3, A, "张三", "J2", EN, 0, 0, NULL, H1}};
  static const char *const expected[] = {
      "dual_enrollment cross valid 0 moe:2,mohrss:3",
      "dual_enrollment cross valid 0 moe:5,mohrss:2", NULL};
  cc_finding_list l;
  uint32_t gen = build(rows, 4);
  compare(&l, gen, 2);
  /* Merged, they would also give duplicate_record (moe S1 twice),
   * double_grant 1000 and id_conflict. */
  assert_projection(&l, expected, "collision");
  /* Sorted by ID: "...0017" (B) before "...1239" (A). */
  ck_assert_str_eq(l.items[0].id, B);
  ck_assert_str_eq(l.items[1].id, A);
  ck_assert_uint_eq(l.items[0].members[0].line, 5);
  ck_assert_uint_eq(l.items[1].members[0].line, 2);
  cc_finding_list_dispose(&l);
}
END_TEST

START_TEST(test_compare_hash_collision_singletons)
{
  /* One record each: nothing at all, although the group has two records. */
  static const row rows[] = {
      {0, 2, A, "张三", "S1", EN, 100000, 100000, NULL, H1},
      {1, 2, B, "李四", "J1", EN, 100000, 100000, NULL, H1},
      {2, 2, C, "王五", "P1", EN, 100000, 100000, NULL, H1}};
  static const char *const none[] = {NULL};
  cc_finding_list l;
  uint32_t gen = build(rows, 3);
  compare(&l, gen, 1);
  assert_projection(&l, none, "collision singletons");
  cc_finding_list_dispose(&l);
  /* At the extremes of the hash space too. */
  {
    row r2[4];
    memcpy(r2, rows, 2 * sizeof *rows);
    r2[0].hash = r2[1].hash = UINT64_MAX;
    r2[2] = rows[0];
    r2[2].roster = 2;
    r2[2].hash = 1;
    r2[3] = rows[1];
    r2[3].roster = 2;
    r2[3].line = 3;
    r2[3].hash = 1;
    gen = build(r2, 4);
    compare(&l, gen, 7);
    assert_projection(&l, none, "collision at the extremes");
    cc_finding_list_dispose(&l);
  }
}
END_TEST

START_TEST(test_compare_generic_id)
{
  /* max_per_id 3. A has 4 records (moe 2 S1, moe 3 S1, mohrss 2 J1,
   * prov 2 P1): generic, no finding, reported with 4 records and 3
   * schools, shown in (roster, line) order. B shares A's hash H1 (the
   * walk keeps IDs apart inside a group) with 3 records, exactly the
   * limit: a person, its dual_enrollment stays. */
  static const row rows[] = {{0, 2, A, "张三", "S1", EN, 0, 0, NULL, H1},
                             {0, 3, A, "张三", "S1", EN, 0, 0, NULL, H1},
                             {0, 4, B, "李四", "S2", EN, 0, 0, NULL, H1},
                             {1, 2, A, "王五", "J1", EN, 0, 0, NULL, H1},
                             {1, 3, B, "李四", "J2", EN, 0, 0, NULL, H1},
                             {1, 4, B, "李四", "J2", GR, 0, 0, NULL, H1},
                             {2, 2, A, "赵六", "P1", EN, 0, 0, NULL, H1}};
  static const char *const expected[] = {
      "dual_enrollment cross valid 0 moe:4,mohrss:3", NULL};
  cc_finding_list l;
  cc_generic_ids g;
  uint32_t gen = build(rows, 7);
  ck_assert_int_eq(cc_compare_exact_generic(&l, &g, db, gen, labels, 2, 3), 0);
  assert_projection(&l, expected, "generic");
  cc_finding_list_dispose(&l);
  ck_assert_uint_eq(g.n, 1);
  ck_assert_str_eq(g.items[0].id, A);
  ck_assert_uint_eq(g.items[0].hash, H1);
  ck_assert_uint_eq(g.items[0].records, 4);
  ck_assert_uint_eq(g.items[0].schools, 3);
  ck_assert_uint_eq(g.items[0].n_shown, 3);
  ck_assert_uint_eq(g.items[0].shown[0].roster, 0);
  ck_assert_str_eq(g.items[0].shown[0].code, "S1");
  ck_assert_uint_eq(g.items[0].shown[1].roster, 1);
  ck_assert_str_eq(g.items[0].shown[1].code, "J1");
  ck_assert_uint_eq(g.items[0].shown[2].roster, 2);
  ck_assert_str_eq(g.items[0].shown[2].code, "P1");
  /* The predicate the fuzzy tier asks. */
  ck_assert_int_eq(cc_generic_ids_has(&g, H1, A, 18), 1);
  ck_assert_int_eq(cc_generic_ids_has(&g, H1, B, 18), 0);
  ck_assert_int_eq(cc_generic_ids_has(&g, H1 + 1, A, 18), 0);
  ck_assert_int_eq(cc_generic_ids_has(&g, H1, A, 17), 0);
  ck_assert_int_eq(cc_generic_ids_has(NULL, H1, A, 18), 0);
  ck_assert_int_eq(cc_generic_ids_has(&g, H1, NULL, 0), 1);
  ck_assert_int_eq(cc_generic_ids_has(&g, H1 - 1, NULL, 0), 0);
  cc_generic_ids_dispose(&g);
  ck_assert_ptr_null(g.items);

  /* The same rows under a limit of 4: A is a person (4 records, two
   * schools holding, four names). */
  ck_assert_int_eq(cc_compare_exact_generic(&l, &g, db, gen, labels, 1, 4), 0);
  ck_assert_uint_eq(g.n, 0);
  ck_assert_uint_gt(l.n, 1);
  cc_finding_list_dispose(&l);
  cc_generic_ids_dispose(&g);
}
END_TEST

/* ------------------------------------------------------------------ */
/* finding_id. */

static uint64_t id_of(const cc_finding_list *l, int type)
{
  size_t i, hits = 0;
  uint64_t id = 0;
  for (i = 0; i < l->n; i++)
    if (l->items[i].type == type) {
      id = l->items[i].finding_id;
      hits++;
    }
  ck_assert_uint_eq(hits, 1);
  return id;
}

START_TEST(test_compare_finding_id_stable)
{
  /* Month 1. */
  static const row m1[] = {R(0, 2, A, "张三", "S1", EN, 1000, 0),
                           R(1, 2, A, "张三", "J1", EN, 800, 0)};
  /* Month 2: other lines, amounts, registered and folded names, one more
   * record at a school already listed. */
  static const row m2[] = {{0, 17, A, "张叁", "S1", SU, 50000, 0, "张 叁", 0},
                           {0, 40, A, "张叁", "S1", EN, 0, 0, NULL, 0},
                           {1, 9, A, "张叁", "J1", EN, 100000, 0, NULL, 0}};
  /* Month 3: a different school in mohrss. */
  static const row m3[] = {R(0, 2, A, "张三", "S1", EN, 1000, 0),
                           R(1, 2, A, "张三", "J2", EN, 800, 0)};
  /* The same schools, another person. */
  static const row m4[] = {R(0, 2, B, "张三", "S1", EN, 1000, 0),
                           R(1, 2, B, "张三", "J1", EN, 800, 0)};
  cc_finding_list l1, l2, l3, l4;
  uint64_t d1, g1;

  compare(&l1, build(m1, 2), 1);
  compare(&l2, build(m2, 3), 2);
  compare(&l3, build(m3, 2), 1);
  compare(&l4, build(m4, 2), 1);
  ck_assert_uint_eq(l1.n, 2);
  d1 = id_of(&l1, CC_FT_DUAL_ENROLLMENT);
  g1 = id_of(&l1, CC_FT_DOUBLE_GRANT);
  ck_assert_uint_ne(d1, g1); /* the type is part of it */
  ck_assert_uint_eq(id_of(&l2, CC_FT_DUAL_ENROLLMENT), d1);
  ck_assert_uint_eq(id_of(&l2, CC_FT_DOUBLE_GRANT), g1);
  ck_assert_uint_ne(id_of(&l3, CC_FT_DUAL_ENROLLMENT), d1);
  ck_assert_uint_ne(id_of(&l3, CC_FT_DOUBLE_GRANT), g1);
  ck_assert_uint_ne(id_of(&l4, CC_FT_DUAL_ENROLLMENT), d1);
  ck_assert_uint_ne(id_of(&l4, CC_FT_DOUBLE_GRANT), g1);
  cc_finding_list_dispose(&l1);
  cc_finding_list_dispose(&l2);
  cc_finding_list_dispose(&l3);
  cc_finding_list_dispose(&l4);
}
END_TEST

START_TEST(test_compare_finding_id_bytes)
{
  /* The documented input (person.c, finding_id): type byte 0x1E ID 0x1E
   * then each distinct school, sorted by label then code, as
   * label 0x1F code 0x1E. Pinned: a change breaks every open finding. */
  static const row rows[] = {
      R(1, 2, A, "张三", "J1", EN, 0, 0), R(0, 2, A, "张三", "S2", EN, 0, 0),
      R(0, 3, A, "张三", "S10", EN, 0, 0), R(0, 4, A, "张三", "S2", EN, 0, 0)};
  static const char dual[] = "\x00\x1e" A "\x1e"
                             "moe\x1fS10\x1e"
                             "moe\x1fS2\x1e"
                             "mohrss\x1fJ1\x1e";
  static const char dup[] = "\x01\x1e" A "\x1e"
                            "moe\x1fS2\x1e";
  cc_finding_list l;
  char hex[17];
  compare(&l, build(rows, 4), 1);
  ck_assert_uint_eq(l.n, 2);
  ck_assert_uint_eq(id_of(&l, CC_FT_DUAL_ENROLLMENT),
                    XXH3_64bits(dual, sizeof dual - 1));
  ck_assert_uint_eq(id_of(&l, CC_FT_DUPLICATE_RECORD),
                    XXH3_64bits(dup, sizeof dup - 1));
  cc_finding_id_hex(hex, l.items[0].finding_id);
  ck_assert_uint_eq(strlen(hex), 16);
  cc_finding_list_dispose(&l);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The same result for any number of threads. */

static uint64_t rng_state;
static uint64_t rng(void)
{
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * UINT64_C(2685821657736338717);
}

static char *json_of(const cc_finding_list *l)
{
  cc_finding_context fc;
  size_t cap = 0, off = 0, i;
  char *s;
  fc.period = "2026-11";
  for (i = 0; i < l->n; i++)
    cap += cc_finding_to_json(NULL, 0, &l->items[i], &fc);
  s = malloc(cap + 1);
  ck_assert_ptr_nonnull(s);
  for (i = 0; i < l->n; i++)
    off += cc_finding_to_json(s + off, cap - off + 1, &l->items[i], &fc);
  ck_assert_uint_eq(off, cap);
  s[off] = '\0';
  return s;
}

START_TEST(test_compare_threads_same_result)
{
  enum { N = 20000, PEOPLE = 8000 };
  static char ids[PEOPLE][19];
  static const char *const names[] = {"张三", "李四", "王五", "赵六"};
  static const char *const schools[] = {"S1", "S2", "S3", "J1", "4137010001"};
  static const int statuses[] = {EN, EN, EN, SU, WD, TR, GR, CO, CA};
  static const int threads[] = {1, 2, 3, 7};
  row *rows = calloc(N, sizeof *rows);
  uint32_t next_line[3] = {2, 2, 2}, gen;
  char *ref = NULL;
  size_t i, t, ref_n = 0;

  ck_assert_ptr_nonnull(rows);
  rng_state = 20261123;
  for (i = 0; i < PEOPLE; i++)
    snprintf(ids[i], sizeof ids[i], "%017llu%c",
             (unsigned long long)(rng() % UINT64_C(100000000000000000)),
             "0123456789X"[rng() % 11]);
  for (i = 0; i < N; i++) {
    uint64_t r = rng();
    size_t p = (size_t)(r % PEOPLE);
    row *w = &rows[i];
    w->roster = (uint16_t)((r >> 16) % 3);
    w->line = next_line[w->roster]++;
    w->id = ids[p];
    /* mostly the person's own name, sometimes another (id_conflict) */
    w->name = names[(p + ((r >> 20) % 16 == 0)) % 4];
    w->school = schools[(r >> 24) % 5];
    w->status = statuses[(r >> 28) % 9];
    w->grant = (r >> 32) % 4 == 0 ? 100000 + (int64_t)((r >> 36) % 5) * 5 : 0;
    w->waiver = (r >> 40) % 5 == 0 ? 200000 : 0;
    /* a few forced collisions between neighbouring people */
    if (p % 97 == 0 || p % 97 == 1)
      w->hash = UINT64_C(0xABCDEF0000000000) + p / 97;
  }
  gen = build(rows, N);
  for (t = 0; t < sizeof threads / sizeof threads[0]; t++) {
    cc_finding_list l;
    char *s;
    compare(&l, gen, threads[t]);
    /* output order: type, then cleaned ID, then finding_id */
    for (i = 1; i < l.n; i++) {
      const cc_finding *a = &l.items[i - 1], *b = &l.items[i];
      int c = strcmp(a->id, b->id);
      ck_assert(a->type < b->type ||
                (a->type == b->type &&
                 (c < 0 || (c == 0 && a->finding_id < b->finding_id))));
    }
    s = json_of(&l);
    if (ref == NULL) {
      ref = s;
      ref_n = l.n;
      ck_assert_uint_gt(ref_n, 100);
    } else {
      ck_assert_uint_eq(l.n, ref_n);
      ck_assert_msg(strcmp(s, ref) == 0, "threads = %d differs", threads[t]);
      free(s);
    }
    cc_finding_list_dispose(&l);
  }
  free(ref);
  free(rows);
}
END_TEST

static Suite *compare_suite(void)
{
  Suite *s = suite_create("compare");
  TCase *core = tcase_create("Core");
  TCase *limits = tcase_create("Limits");
  tcase_add_checked_fixture(core, setup, teardown);
  tcase_add_loop_test(core, test_compare_rules, 0,
                      (int)(sizeof rule_cases / sizeof rule_cases[0]));
  tcase_add_test(core, test_compare_empty_generation);
  tcase_add_test(core, test_compare_members_from_rec);
  tcase_add_test(core, test_compare_hash_collision_not_merged);
  tcase_add_test(core, test_compare_hash_collision_singletons);
  tcase_add_test(core, test_compare_generic_id);
  tcase_add_test(core, test_compare_finding_id_stable);
  tcase_add_test(core, test_compare_finding_id_bytes);
  tcase_add_checked_fixture(limits, setup, teardown);
  tcase_set_timeout(limits, 300);
  tcase_add_test(limits, test_compare_threads_same_result);
  suite_add_tcase(s, core);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  return tu_main(compare_suite, root, sizeof root, "compare");
}
