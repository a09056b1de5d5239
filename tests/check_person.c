/*
 * check_person.c - the rules of docs/RULES.md for the records of one
 * person (engine/person.c), as the exact walk and the fuzzy tier call
 * them: in memory, no database (the members' text is left for later,
 * person.rd = NULL, as the exact walk does).
 *
 * The person of the main case, worked out from RULES.md "Findings":
 *   a  moe    line 2  school S1  在籍  grant 2000 yuan   张三
 *   b  moe    line 3  school S1  在籍                   张三
 *   c  mohrss line 5  school J2  休学  grant 1500 yuan   张三
 *   d  mohrss line 9  school J3  毕业  grant 1000 yuan   李四
 * H (holding an enrollment) = a, b, c.
 *   duplicate_record  a, b (S1 twice in H)                   within, 0
 *   dual_enrollment   a, b, c (H covers S1 and J2)           cross, 0
 *   double_grant      a, c, d: 2000 + 1500 + 1000 - 2000 = 2500 yuan
 *   double_waiver     none (no waiver paid)
 *   id_conflict       a, b, c, d (张三 and 李四 are not one name)
 * In a fuzzy group whose a, b carry ID X and c, d ID Y, only the findings
 * whose members hold both IDs stay: dual_enrollment and double_grant, with
 * the group's basis and confidence, the person shown under c's valid ID
 * (X, a's and b's, is invalid); no duplicate_record (a, b: one ID, the exact tier's)
 * and no id_conflict.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "chachong/errors.h"
#include "chachong/finding.h"
#include "chachong/record.h"
#include "person_internal.h"
#include "test_util.h"

static char root[256];

#define X "110101200501011239"
#define Y "110101200501011230"

static const char *const labels[] = {"moe", "mohrss"};

static cc_index_item item(uint16_t roster, uint32_t line, const char *id,
                          int valid, const char *school, cc_status status,
                          int64_t grant, const char *name)
{
  cc_index_item x;
  memset(&x, 0, sizeof x);
  x.hash = XXH3_64bits(id, strlen(id));
  x.roster = roster;
  x.line = line;
  x.status = (uint8_t)status;
  x.id_verdict = valid ? CC_ID_VALID : CC_ID_INVALID;
  x.grant = grant;
  x.id_len = (uint8_t)strlen(id);
  memcpy(x.id, id, x.id_len);
  x.school_code = school;
  x.school_code_len = (uint8_t)strlen(school);
  x.name_folded = name;
  x.name_folded_len = (uint8_t)strlen(name);
  return x;
}

/* The person of the header; fuzzy: a and b under X (taken as invalid, a
 * typo of Y), c and d under Y. */
static void person_items(cc_index_item it[4], int fuzzy)
{
  const char *cd = fuzzy ? Y : X;
  it[0] = item(0, 2, X, !fuzzy, "S1", CC_STATUS_ENROLLED, 200000, "张三");
  it[1] = item(0, 3, X, !fuzzy, "S1", CC_STATUS_ENROLLED, 0, "张三");
  it[2] = item(1, 5, cd, 1, "J2", CC_STATUS_SUSPENDED, 150000, "张三");
  it[3] = item(1, 9, cd, 1, "J3", CC_STATUS_GRADUATED, 100000, "李四");
}

/* A list-owned string (not NUL-terminated) equals want. */
static void assert_cc_str(cc_str got, const char *want)
{
  size_t n = strlen(want);
  ck_assert_uint_eq(got.len, n);
  ck_assert_int_eq(memcmp(got.ptr, want, n), 0);
}

/* "type:roster.line,roster.line,...:cross:at_risk" per finding. */
static char *shape(const cc_finding_list *l)
{
  tu_text t = {0};
  size_t i;
  uint32_t m;
  for (i = 0; i < l->n; i++) {
    const cc_finding *f = &l->items[i];
    char buf[64];
    tu_text_put(&t, cc_finding_type_code((cc_finding_type)f->type),
                strlen(cc_finding_type_code((cc_finding_type)f->type)));
    for (m = 0; m < f->n_members; m++) {
      snprintf(buf, sizeof buf, "%c%u.%u", m ? ',' : ':', f->members[m].roster,
               f->members[m].line);
      tu_text_put(&t, buf, strlen(buf));
    }
    snprintf(buf, sizeof buf, ":%s:%lld\n", f->cross ? "cross" : "within",
             (long long)f->amount_at_risk);
    tu_text_put(&t, buf, strlen(buf));
  }
  if (t.p == NULL)
    tu_text_put(&t, "", 0);
  return t.p;
}

START_TEST(test_person_exact_rules)
{
  cc_index_item it[4];
  cc_finding_list l = {0};
  cc_person p;
  char *s;
  uint32_t i;
  memset(&p, 0, sizeof p);
  p.list = &l;
  p.labels = labels;
  person_items(it, 0);
  ck_assert_int_eq(cc_person_rules(&p, it, 4), 0);
  s = shape(&l);
  ck_assert_str_eq(s, "duplicate_record:0.2,0.3:within:0\n"
                      "dual_enrollment:0.2,0.3,1.5:cross:0\n"
                      "double_grant:0.2,1.5,1.9:cross:250000\n"
                      "id_conflict:0.2,0.3,1.5,1.9:cross:0\n");
  free(s);
  for (i = 0; i < (uint32_t)l.n; i++) {
    const cc_finding *f = &l.items[i];
    ck_assert_int_eq(f->basis, CC_BASIS_ID_EXACT);
    ck_assert_uint_eq(f->confidence, 10000);
    ck_assert_str_eq(f->id, X);
    ck_assert_int_eq(f->id_valid, 1);
    /* The text is the exact walk's to fetch afterwards. */
    ck_assert_uint_eq(f->members[0].name.len, 0);
    assert_cc_str(f->members[0].label, "moe");
  }
  ck_assert_uint_eq(l.items[1].members[0].grant, 200000);
  ck_assert_uint_eq(l.items[1].members[2].status, CC_STATUS_SUSPENDED);
  cc_person_dispose(&p);
  cc_finding_list_dispose(&l);
}
END_TEST

/* One name typed two ways (a homophone) under one ID is no id_conflict;
 * withdrawn or graduated records beside one live record are nothing. */
START_TEST(test_person_exact_not_findings)
{
  cc_index_item it[3];
  cc_finding_list l = {0};
  cc_person p;
  memset(&p, 0, sizeof p);
  p.list = &l;
  p.labels = labels;
  it[0] = item(0, 2, X, 1, "S1", CC_STATUS_ENROLLED, 0, "王丽");
  it[1] = item(0, 7, X, 1, "S4", CC_STATUS_WITHDRAWN, 0, "王俐");
  it[2] = item(1, 3, X, 1, "J2", CC_STATUS_GRADUATED, 0, "王丽");
  ck_assert_int_eq(cc_person_rules(&p, it, 3), 0);
  ck_assert_uint_eq(l.n, 0);
  cc_person_dispose(&p);
  cc_finding_list_dispose(&l);
}
END_TEST

START_TEST(test_person_fuzzy_group)
{
  cc_index_item it[4];
  cc_finding_list l = {0};
  cc_finding match;
  cc_person p;
  char *s;
  size_t i;
  /* finding_id of a fuzzy group: type 0x1E, each distinct ID (sorted) after
   * 0x1D, 0x1E, then the schools as for the exact tier. */
  static const char dual[] = "\x00\x1e\x1d" Y "\x1d" X "\x1e"
                             "moe\x1fS1\x1e"
                             "mohrss\x1fJ2\x1e";
  memset(&p, 0, sizeof p);
  memset(&match, 0, sizeof match);
  match.basis = CC_BASIS_ID_TYPO;
  match.confidence = 9876;
  match.n_evidence = 1;
  match.evidence[0].field = CC_EV_ID;
  match.evidence[0].level = CC_IDL_CHECK_ONLY;
  match.evidence[0].weight10 = 80;
  p.list = &l;
  p.labels = labels;
  p.match = &match;
  person_items(it, 1);
  ck_assert_int_eq(cc_person_rules(&p, it, 4), 0);
  s = shape(&l);
  ck_assert_str_eq(s, "dual_enrollment:0.2,0.3,1.5:cross:0\n"
                      "double_grant:0.2,1.5,1.9:cross:250000\n");
  free(s);
  for (i = 0; i < l.n; i++) {
    const cc_finding *f = &l.items[i];
    ck_assert_int_eq(f->basis, CC_BASIS_ID_TYPO);
    ck_assert_uint_eq(f->confidence, 9876);
    ck_assert_uint_eq(f->n_evidence, 1);
    ck_assert_int_eq(f->evidence[0].weight10, 80);
    ck_assert_str_eq(f->id, Y); /* c's: the first valid ID */
    ck_assert_int_eq(f->id_valid, 1);
    /* Each member keeps its own ID. */
    assert_cc_str(f->members[0].id, X);
  }
  ck_assert_uint_eq(l.items[0].finding_id, XXH3_64bits(dual, sizeof dual - 1));
  cc_person_dispose(&p);
  cc_finding_list_dispose(&l);
}
END_TEST

START_TEST(test_person_generic_ids)
{
  cc_generic_ids g = {0};
  uint64_t hx = XXH3_64bits(X, 18), hy = XXH3_64bits(Y, 18);
  g.items = calloc(3, sizeof *g.items);
  ck_assert_ptr_nonnull(g.items);
  g.n = g.cap = 3;
  /* Out of order; the second shares Y's hash under another ID (a
   * collision: only the hash-only look-up matches it). */
  g.items[0].hash = hy;
  strcpy(g.items[0].id, "110101200501011247");
  g.items[1].hash = hx;
  strcpy(g.items[1].id, X);
  g.items[2].hash = 1;
  strcpy(g.items[2].id, "000000000000000000");
  cc_generic_ids_sort(&g);
  ck_assert_uint_eq(g.items[0].hash, 1);
  ck_assert_int_eq(cc_generic_ids_has(&g, hx, X, 18), 1);
  ck_assert_int_eq(cc_generic_ids_has(&g, hy, Y, 18), 0);
  ck_assert_int_eq(cc_generic_ids_has(&g, hy, NULL, 0), 1);
  ck_assert_int_eq(cc_generic_ids_has(&g, 2, NULL, 0), 0);
  ck_assert_int_eq(cc_generic_ids_has(NULL, hx, X, 18), 0);
  cc_generic_ids_dispose(&g);
  ck_assert_ptr_null(g.items);
}
END_TEST

static Suite *person_suite(void)
{
  Suite *s = suite_create("person");
  TCase *core = tcase_create("Core");
  tcase_add_test(core, test_person_exact_rules);
  tcase_add_test(core, test_person_exact_not_findings);
  tcase_add_test(core, test_person_fuzzy_group);
  tcase_add_test(core, test_person_generic_ids);
  tcase_set_timeout(core, 60);
  suite_add_tcase(s, core);
  return s;
}

int main(void)
{
  return tu_main(person_suite, root, sizeof root, "person");
}
