/*
 * check_review.c - reviewers' decisions (engine/review.c) against
 * docs/RULES.md "Review decisions":
 *
 *   - a decision is on the unordered pair of cleaned IDs: found in both
 *     orders, and the raw values are cleaned as roster cells are;
 *   - the latest decision recorded on a pair is the one that counts;
 *   - a decision on a fuzzy finding holds for every pair of distinct IDs
 *     among its members (3 IDs: 3 pairs), read from the period given or
 *     the latest period holding the finding;
 *   - decisions survive closing and reopening the database;
 *   - every decision writes one audit entry with it (IDs masked, the
 *     operator and the login name), and a refused one writes neither.
 *
 * Findings are built by hand and published into periods with no records.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chachong/audit.h"
#include "chachong/errors.h"
#include "chachong/finding.h"
#include "chachong/index.h"
#include "chachong/review.h"
#include "finding_internal.h"
#include "store_internal.h"
#include "test_util.h"

static char root[256];
static char scratch[320];
static char db_dir[400];
static cc_db *db;

static void setup(void)
{
  db = tu_db_scratch(scratch, sizeof scratch, db_dir, sizeof db_dir, root);
}

static void teardown(void)
{
  tu_db_scratch_end(&db, scratch);
}

/* Three IDs of one person's typo family and one of someone else. */
#define IDX "370102200803152461" /* valid */
#define IDY "370102200803152761" /* one digit apart, check fails */
#define IDZ "370102200803125461" /* a swap of digits 14-15 */
#define IDW "370112200907022349" /* another person */

static cc_review pair(const char *a, const char *b, int decision,
                      const char *by)
{
  cc_review r;
  memset(&r, 0, sizeof r);
  snprintf(r.id_a, sizeof r.id_a, "%s", a);
  snprintf(r.id_b, sizeof r.id_b, "%s", b);
  r.decision = (uint8_t)decision;
  r.date = cc_date_from_ymd(2026, 10, 8);
  snprintf(r.by, sizeof r.by, "%s", by);
  snprintf(r.user, sizeof r.user, "%s", "auditor-7");
  return r;
}

static int find(const char *a, const char *b)
{
  cc_review_set *s = NULL;
  int d;
  ck_assert_int_eq(cc_review_load(&s, db), 0);
  ck_assert_ptr_nonnull(s);
  d = cc_review_find(s, a, strlen(a), b, strlen(b));
  cc_review_set_free(s);
  return d;
}

/* Adds a finding whose members (one school each) carry the given IDs; an
 * exact finding (fuzzy 0) keeps member IDs empty, as compare does. */
static void add_finding(cc_finding_list *l, uint64_t fid, int fuzzy,
                        const char *const *ids, size_t n)
{
  cc_finding f;
  size_t i;
  memset(&f, 0, sizeof f);
  f.finding_id = fid;
  f.type = CC_FT_DUAL_ENROLLMENT;
  f.id_valid = 1;
  snprintf(f.id, sizeof f.id, "%s", ids[0]);
  ck_assert_int_eq(
      cc_finding_strdup(&f.person_name, l, "张明华", strlen("张明华")), 0);
  f.members = cc_finding_alloc(l, n * sizeof *f.members);
  ck_assert_ptr_nonnull(f.members);
  memset(f.members, 0, n * sizeof *f.members);
  for (i = 0; i < n; i++) {
    char code[8];
    cc_member *m = &f.members[i];
    snprintf(code, sizeof code, "S%zu", i);
    ck_assert_int_eq(cc_finding_strdup(&m->label, l, "moe", 3), 0);
    ck_assert_int_eq(cc_finding_strdup(&m->name, l, "张明华", strlen("张明华")),
                     0);
    ck_assert_int_eq(cc_finding_strdup(&m->school_code, l, code, strlen(code)),
                     0);
    m->line = (uint32_t)(i + 2);
    if (fuzzy)
      ck_assert_int_eq(cc_finding_strdup(&m->id, l, ids[i], strlen(ids[i])), 0);
  }
  f.n_members = (uint32_t)n;
  f.basis = fuzzy ? CC_BASIS_ID_TYPO : CC_BASIS_ID_EXACT;
  f.confidence = fuzzy ? 9993 : 10000;
  ck_assert_int_eq(cc_finding_push(l, &f), 0);
}

static void publish(const char *period, const cc_finding_list *l)
{
  cc_stage st;
  ck_assert_int_eq(cc_index_stage_begin(&st, db, period, 1 << 20), 0);
  ck_assert_int_eq(cc_index_stage_commit(&st), 0);
  ck_assert_int_eq(cc_index_publish(db, period, st.gen, l, "{}"), 0);
}

/* 2026-09: fuzzy finding 0xF1 of X, Y, Z, X (four records, three IDs) and
 * exact finding 0xE1; 2026-10: fuzzy finding 0xF2 of X and Y only;
 * 2026-11: 0xE1 alone. */
static void publish_periods(void)
{
  static const char *const f1[] = {IDX, IDY, IDZ, IDX};
  static const char *const f2[] = {IDY, IDX};
  static const char *const e1[] = {IDW, IDW};
  cc_finding_list l;
  memset(&l, 0, sizeof l);
  add_finding(&l, 0xF1, 1, f1, 4);
  add_finding(&l, 0xE1, 0, e1, 2);
  publish("2026-09", &l);
  cc_finding_list_dispose(&l);
  memset(&l, 0, sizeof l);
  add_finding(&l, 0xF2, 1, f2, 2);
  publish("2026-10", &l);
  cc_finding_list_dispose(&l);
  memset(&l, 0, sizeof l);
  add_finding(&l, 0xE1, 0, e1, 2);
  publish("2026-11", &l);
  cc_finding_list_dispose(&l);
}

/* ------------------------------------------------------------------ */

START_TEST(test_review_pair_found_in_both_orders)
{
  cc_review r = pair(IDX, IDW, CC_REVIEW_DIFFERENT, "王审核");
  cc_review_set *s = NULL;

  ck_assert_int_eq(find(IDX, IDW), CC_REVIEW_NONE);
  ck_assert_int_eq(cc_review_record(db, &r), 0);
  ck_assert_int_eq(find(IDX, IDW), CC_REVIEW_DIFFERENT);
  ck_assert_int_eq(find(IDW, IDX), CC_REVIEW_DIFFERENT);
  /* Other pairs, one ID in common or none. */
  ck_assert_int_eq(find(IDX, IDY), CC_REVIEW_NONE);
  ck_assert_int_eq(find(IDY, IDW), CC_REVIEW_NONE);
  ck_assert_int_eq(find(IDX, IDX), CC_REVIEW_NONE);

  /* Raw values are cleaned like roster cells: Excel's apostrophe, a
   * lower-case x; a 15-digit number is upgraded (110101050101123 ->
   * 11010119050101123 + its check character). */
  {
    char up[19];
    memcpy(up, "11010119050101123", 17);
    up[17] = tu_check_char(up);
    up[18] = '\0';
    r = pair("'110101050101123", "37010520081111005x", CC_REVIEW_SAME,
             "王审核");
    ck_assert_int_eq(cc_review_record(db, &r), 0);
    ck_assert_int_eq(find(up, "37010520081111005X"), CC_REVIEW_SAME);
    ck_assert_int_eq(find("37010520081111005X", up), CC_REVIEW_SAME);
    ck_assert_int_eq(find("110101050101123", "37010520081111005X"),
                     CC_REVIEW_NONE);
  }

  /* The set: two pairs; the SAME iterator gives the one SAME pair, ordered. */
  ck_assert_int_eq(cc_review_load(&s, db), 0);
  ck_assert_uint_eq(cc_review_set_size(s), 2);
  {
    size_t it = 0, k = 0;
    cc_review_pair p;
    while (cc_review_next(&p, s, &it, CC_REVIEW_SAME)) {
      ck_assert_uint_eq(p.la, 18);
      ck_assert_uint_eq(p.lb, 18);
      ck_assert_int_eq(memcmp(p.id_a, "1101011905010112", 16), 0);
      ck_assert_int_eq(memcmp(p.id_b, "37010520081111005X", 18), 0);
      ck_assert_uint_eq(p.decision, CC_REVIEW_SAME);
      k++;
    }
    ck_assert_uint_eq(k, 1);
    it = 0;
    k = 0;
    while (cc_review_next(&p, s, &it, CC_REVIEW_DIFFERENT)) {
      ck_assert_int_eq(memcmp(p.id_a, IDX, 18), 0); /* 370102 < 370112 */
      ck_assert_int_eq(memcmp(p.id_b, IDW, 18), 0);
      k++;
    }
    ck_assert_uint_eq(k, 1);
  }
  cc_review_set_free(s);
  cc_review_set_free(NULL);
}
END_TEST

START_TEST(test_review_latest_wins)
{
  cc_review r, *list = NULL;
  size_t n = 0;

  r = pair(IDY, IDX, CC_REVIEW_SAME, "甲");
  ck_assert_int_eq(cc_review_record(db, &r), 0);
  ck_assert_int_eq(find(IDX, IDY), CC_REVIEW_SAME);
  r = pair(IDX, IDY, CC_REVIEW_DIFFERENT, "乙");
  ck_assert_int_eq(cc_review_record(db, &r), 0);
  ck_assert_int_eq(find(IDX, IDY), CC_REVIEW_DIFFERENT);
  ck_assert_int_eq(find(IDY, IDX), CC_REVIEW_DIFFERENT);
  /* A decision dated earlier but recorded later still wins: recording
   * order, not the date the reviewer gives. */
  r = pair(IDY, IDX, CC_REVIEW_SAME, "丙");
  r.date = cc_date_from_ymd(2026, 1, 2);
  snprintf(r.note, sizeof r.note, "%s", "户籍核查：同一人");
  ck_assert_int_eq(cc_review_record(db, &r), 0);
  ck_assert_int_eq(find(IDX, IDY), CC_REVIEW_SAME);

  /* All three are kept, in recording order; the first two superseded. */
  ck_assert_int_eq(cc_review_list(&list, &n, db, "tester", 0), 0);
  ck_assert_uint_eq(n, 3);
  ck_assert_str_eq(list[0].by, "甲");
  ck_assert_str_eq(list[1].by, "乙");
  ck_assert_str_eq(list[2].by, "丙");
  ck_assert_uint_eq(list[0].superseded, 1);
  ck_assert_uint_eq(list[1].superseded, 1);
  ck_assert_uint_eq(list[2].superseded, 0);
  ck_assert_uint_eq(list[0].decision, CC_REVIEW_SAME);
  ck_assert_uint_eq(list[1].decision, CC_REVIEW_DIFFERENT);
  /* Stored ordered: the bytewise smaller ID first, whatever was given. */
  ck_assert_str_eq(list[0].id_a, IDX);
  ck_assert_str_eq(list[0].id_b, IDY);
  ck_assert_str_eq(list[1].id_a, IDX);
  ck_assert_str_eq(list[2].note, "户籍核查：同一人");
  ck_assert_int_eq(list[2].date, cc_date_from_ymd(2026, 1, 2));
  ck_assert_str_eq(list[2].user, "auditor-7");
  ck_assert_uint_eq(list[2].finding_id, 0);
  ck_assert_str_eq(list[2].period, "");
  free(list);
  {
    cc_review_set *s = NULL;
    ck_assert_int_eq(cc_review_load(&s, db), 0);
    ck_assert_uint_eq(cc_review_set_size(s), 1);
    cc_review_set_free(s);
  }
}
END_TEST

START_TEST(test_review_finding_expanded)
{
  cc_review r, *list = NULL;
  size_t n = 0, i;

  publish_periods();
  /* 0xF1 (2026-09 only): IDs X, Y, Z (X twice) give 3 pairs. */
  memset(&r, 0, sizeof r);
  r.finding_id = 0xF1;
  r.decision = CC_REVIEW_DIFFERENT;
  r.date = cc_date_from_ymd(2026, 10, 9);
  snprintf(r.by, sizeof r.by, "%s", "赵审核");
  ck_assert_int_eq(cc_review_record(db, &r), 0);
  ck_assert_int_eq(find(IDX, IDY), CC_REVIEW_DIFFERENT);
  ck_assert_int_eq(find(IDZ, IDX), CC_REVIEW_DIFFERENT);
  ck_assert_int_eq(find(IDY, IDZ), CC_REVIEW_DIFFERENT);
  ck_assert_int_eq(find(IDX, IDW), CC_REVIEW_NONE);
  ck_assert_int_eq(cc_review_list(&list, &n, db, "tester", 0), 0);
  ck_assert_uint_eq(n, 3);
  for (i = 0; i < n; i++) {
    ck_assert_uint_eq(list[i].finding_id, 0xF1);
    ck_assert_str_eq(list[i].period, "2026-09"); /* the latest holding it */
    ck_assert_str_eq(list[i].by, "赵审核");
    ck_assert_int_lt(strcmp(list[i].id_a, list[i].id_b), 0);
  }
  /* One decision: its pairs listed in ID order. X=...152461, Y=...152761,
   * Z=...125461: Z < X < Y. */
  ck_assert_str_eq(list[0].id_a, IDZ);
  ck_assert_str_eq(list[0].id_b, IDX);
  ck_assert_str_eq(list[1].id_a, IDZ);
  ck_assert_str_eq(list[1].id_b, IDY);
  ck_assert_str_eq(list[2].id_a, IDX);
  ck_assert_str_eq(list[2].id_b, IDY);
  free(list);
  /* The decision's entry and the listing's (cc_review_list audits). */
  ck_assert_uint_eq(tu_audit_count(db, "review"), 2);

  /* 0xF2 with its period given; then "same" on X, Y overrides 0xF1's
   * "different" for that pair only. */
  r.finding_id = 0xF2;
  r.decision = CC_REVIEW_SAME;
  snprintf(r.period, sizeof r.period, "%s", "2026-10");
  ck_assert_int_eq(cc_review_record(db, &r), 0);
  ck_assert_int_eq(find(IDY, IDX), CC_REVIEW_SAME);
  ck_assert_int_eq(find(IDZ, IDX), CC_REVIEW_DIFFERENT);

  /* A period that does not hold it, a period the database lacks, a
   * finding no period holds: not found, nothing written. */
  snprintf(r.period, sizeof r.period, "%s", "2026-09");
  ck_assert_int_eq(cc_review_record(db, &r), CC_ENOTFOUND);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "00000000000000f2"));
  snprintf(r.period, sizeof r.period, "%s", "2025-01");
  ck_assert_int_eq(cc_review_record(db, &r), CC_ENOTFOUND);
  r.period[0] = '\0';
  r.finding_id = 0xF3;
  ck_assert_int_eq(cc_review_record(db, &r), CC_ENOTFOUND);
  /* An exact finding: its members share one ID, no pair to decide. */
  r.finding_id = 0xE1;
  ck_assert_int_eq(cc_review_record(db, &r), CC_EINVALID);
  ck_assert_ptr_null(strstr(cc_error_last(), IDW));
  ck_assert_int_eq(cc_review_list(&list, &n, db, "tester", 0), 0);
  ck_assert_uint_eq(n, 4);
  free(list);
  /* Two decisions and two listings; the refused ones left none. */
  ck_assert_uint_eq(tu_audit_count(db, "review"), 4);
}
END_TEST

START_TEST(test_review_persists_across_reopen)
{
  cc_review r = pair(IDX, IDY, CC_REVIEW_SAME, "钱审核");
  cc_review_set *s = NULL;
  ck_assert_int_eq(cc_review_record(db, &r), 0);
  cc_db_close(db);
  db = NULL;
  {
    cc_db_options o = CC_DB_OPTIONS_INIT;
    o.read_only = 1;
    ck_assert_int_eq(cc_db_open(&db, db_dir, &o), 0);
  }
  ck_assert_int_eq(cc_review_load(&s, db), 0);
  ck_assert_int_eq(cc_review_find(s, IDY, 18, IDX, 18), CC_REVIEW_SAME);
  /* Lengths count: a prefix of an ID is another ID. */
  ck_assert_int_eq(cc_review_find(s, IDY, 17, IDX, 18), CC_REVIEW_NONE);
  cc_review_set_free(s);
  /* A read-only database takes no decision. */
  r = pair(IDX, IDW, CC_REVIEW_SAME, "钱审核");
  ck_assert_int_eq(cc_review_record(db, &r), CC_EINVALID);
  cc_db_close(db);
  db = tu_db_open(db_dir);
  ck_assert_int_eq(find(IDX, IDW), CC_REVIEW_NONE);
  ck_assert_int_eq(find(IDX, IDY), CC_REVIEW_SAME);
}
END_TEST

START_TEST(test_review_audit_entry)
{
  cc_review r = pair(IDX, IDW, CC_REVIEW_DIFFERENT, "孙审核");
  cc_audit_entry *list = NULL;
  size_t n = 0;
  char os_user[64], want[128];

  snprintf(r.note, sizeof r.note, "%s", "note-not-logged");
  ck_assert_int_eq(cc_review_record(db, &r), 0);
  ck_assert_int_eq(cc_audit_list(&list, &n, db, 0), 0);
  ck_assert_uint_eq(n, 1);
  ck_assert_str_eq(list[0].command, "review");
  ck_assert_str_eq(list[0].user, "auditor-7");
  ck_assert_uint_eq(list[0].records, 1);
  /* IDs masked (first 6, last 4), never in full; the note not at all. */
  ck_assert_ptr_nonnull(
      strstr(list[0].what, "pair=370102********2461,370112********2349"));
  ck_assert_ptr_nonnull(
      strstr(list[0].what, " decision=different by=孙审核 date=2026-10-08"));
  ck_assert_ptr_null(strstr(list[0].what, IDX));
  ck_assert_ptr_null(strstr(list[0].what, IDW));
  ck_assert_ptr_null(strstr(list[0].what, "note-not-logged"));
  /* The login name beside the operator. */
  cc_audit_user(os_user, NULL);
  snprintf(want, sizeof want, " os_user=%s", os_user);
  ck_assert_ptr_nonnull(strstr(list[0].what, want));
  free(list);

  /* No operator given: the login name. */
  r = pair(IDX, IDY, CC_REVIEW_SAME, "孙审核");
  r.user[0] = '\0';
  ck_assert_int_eq(cc_review_record(db, &r), 0);
  ck_assert_int_eq(cc_audit_list(&list, &n, db, 0), 0);
  ck_assert_uint_eq(n, 2);
  ck_assert_str_eq(list[1].user, os_user);
  free(list);
}
END_TEST

START_TEST(test_review_list_audited)
{
  /* Listing the decisions shows IDs: the library writes the audit entry,
   * with the operator, "unmasked" when the caller shows them in full, and
   * the number listed. */
  cc_review r = pair(IDX, IDW, CC_REVIEW_DIFFERENT, "孙审核"), *rs = NULL;
  cc_audit_entry *list = NULL;
  size_t n = 0, k = 0;
  char os_user[64], want[128];
  ck_assert_int_eq(cc_review_record(db, &r), 0);
  ck_assert_int_eq(cc_review_list(&rs, &k, db, "lister-1", 1), 0);
  ck_assert_uint_eq(k, 1);
  free(rs);
  ck_assert_int_eq(cc_review_list(&rs, &k, db, NULL, 0), 0);
  free(rs);
  ck_assert_int_eq(cc_audit_list(&list, &n, db, 0), 0);
  ck_assert_uint_eq(n, 3); /* the decision, two listings */
  cc_audit_user(os_user, NULL);
  ck_assert_str_eq(list[1].command, "review");
  ck_assert_str_eq(list[1].user, "lister-1");
  ck_assert_uint_eq(list[1].records, 1);
  snprintf(want, sizeof want, "list unmasked os_user=%s", os_user);
  ck_assert_str_eq(list[1].what, want);
  ck_assert_str_eq(list[2].user, os_user);
  snprintf(want, sizeof want, "list os_user=%s", os_user);
  ck_assert_str_eq(list[2].what, want);
  free(list);
}
END_TEST

START_TEST(test_review_refused)
{
  cc_review r, *list = NULL;
  size_t n = 0;

  r = pair(IDX, IDY, CC_REVIEW_NONE, "x");
  ck_assert_int_eq(cc_review_record(db, &r), CC_EINVALID);
  r.decision = CC_REVIEW_COUNT_;
  ck_assert_int_eq(cc_review_record(db, &r), CC_EINVALID);
  r.decision = 255;
  ck_assert_int_eq(cc_review_record(db, &r), CC_EINVALID);
  r = pair(IDX, IDY, CC_REVIEW_SAME, "");
  ck_assert_int_eq(cc_review_record(db, &r), CC_EINVALID);
  /* Not an ID: letters, too short; the message names no value. */
  r = pair("37010220080315246A", IDY, CC_REVIEW_SAME, "x");
  ck_assert_int_eq(cc_review_record(db, &r), CC_EINVALID);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "first"));
  ck_assert_ptr_null(strstr(cc_error_last(), "370102"));
  r = pair(IDX, "12345", CC_REVIEW_SAME, "x");
  ck_assert_int_eq(cc_review_record(db, &r), CC_EINVALID);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "second"));
  /* One ID twice, once with a lower-case x: not a pair. */
  r = pair("37010520081111005X", "37010520081111005x", CC_REVIEW_SAME, "x");
  ck_assert_int_eq(cc_review_record(db, &r), CC_EINVALID);
  ck_assert_ptr_null(strstr(cc_error_last(), "370105"));

  /* Nothing stored, no decision audited: the one entry is the listing's
   * own. */
  ck_assert_uint_eq(tu_audit_count(db, "review"), 0);
  ck_assert_int_eq(cc_review_list(&list, &n, db, "tester", 0), 0);
  ck_assert_uint_eq(n, 0);
  ck_assert_ptr_null(list);
  ck_assert_uint_eq(tu_audit_count(db, "review"), 1);
  ck_assert_int_eq(find(IDX, IDY), CC_REVIEW_NONE);
}
END_TEST

START_TEST(test_review_decision_names)
{
  ck_assert_str_eq(cc_review_decision_code(CC_REVIEW_SAME), "same");
  ck_assert_str_eq(cc_review_decision_code(CC_REVIEW_DIFFERENT), "different");
  ck_assert_str_eq(cc_review_decision_code(CC_REVIEW_NONE), "none");
  ck_assert_str_eq(cc_review_decision_code(CC_REVIEW_COUNT_), "unknown");
  ck_assert_str_eq(cc_review_decision_zh(CC_REVIEW_SAME), "同一人");
  ck_assert_str_eq(cc_review_decision_zh(CC_REVIEW_DIFFERENT), "不同的人");
  ck_assert_int_eq(cc_review_decision_parse("same"), CC_REVIEW_SAME);
  ck_assert_int_eq(cc_review_decision_parse("different"), CC_REVIEW_DIFFERENT);
  ck_assert_int_eq(cc_review_decision_parse("none"), -1);
  ck_assert_int_eq(cc_review_decision_parse("Same"), -1);
  ck_assert_int_eq(cc_review_decision_parse(""), -1);
  /* An empty database: an empty set, nothing found, nothing listed. */
  {
    cc_review_set *s = NULL;
    cc_review_pair p;
    size_t it = 0;
    ck_assert_int_eq(cc_review_load(&s, db), 0);
    ck_assert_uint_eq(cc_review_set_size(s), 0);
    ck_assert_int_eq(cc_review_find(s, IDX, 18, IDY, 18), CC_REVIEW_NONE);
    ck_assert_int_eq(cc_review_next(&p, s, &it, CC_REVIEW_SAME), 0);
    cc_review_set_free(s);
  }
}
END_TEST

static Suite *review_suite(void)
{
  Suite *s = suite_create("review");
  TCase *core = tcase_create("Core");
  TCase *limits = tcase_create("Limits");
  tcase_add_checked_fixture(core, setup, teardown);
  tcase_set_timeout(core, 120);
  tcase_add_test(core, test_review_pair_found_in_both_orders);
  tcase_add_test(core, test_review_latest_wins);
  tcase_add_test(core, test_review_finding_expanded);
  tcase_add_test(core, test_review_persists_across_reopen);
  tcase_add_test(core, test_review_audit_entry);
  tcase_add_test(core, test_review_list_audited);
  tcase_add_test(core, test_review_decision_names);
  tcase_add_checked_fixture(limits, setup, teardown);
  tcase_set_timeout(limits, 120);
  tcase_add_test(limits, test_review_refused);
  suite_add_tcase(s, core);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  return tu_main(review_suite, root, sizeof root, "review");
}
