/*
 * check_fuzzy.c - the fuzzy tier (docs/FUZZY.md, docs/RULES.md "The fuzzy
 * tier") against answers worked out by hand: the ID comparison, the score
 * of a pair with its evidence, the confidence, the vocabulary, and one
 * monthly run end to end on rosters written here.
 *
 * Check characters (ISO 7064 MOD 11-2): the sum of digits 1-17 times the
 * weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, taken mod 11, picks the
 * character from "10X98765432":
 *
 *   sum mod 11   0  1  2  3  4  5  6  7  8  9  10
 *   check        1  0  X  9  8  7  6  5  4  3  2
 *
 * The base ID Q = 370102 20080315 123 1 (济南市历下区, 2008-03-15, a man):
 *   digits    3  7  0  1  0  2 | 2  0  0  8  0  3  1  5 | 1  2  3
 *   weights   7  9 10  5  8  4 | 2  1  6  3  7  9 10  5 | 8  4  2
 *   products 21 63  0  5  0  8 | 4  0  0 24  0 27 10 25 | 8  8  6
 *   = 97 + 90 + 22 = 209 = 19*11 + 0 -> '1': Q = 370102200803151231 valid.
 *
 * Its neighbours (d = the change of the sum):
 *   S1  370112200803151231  digit 5 0->1, d = +1*8 = +8: 217 = 19*11+8,
 *                           '4' due, '1' kept: invalid
 *   S1V 370112200803151234  the same slip, check recomputed: valid
 *   S1C 370112200803151239  the same slip and the check mistyped: 217 ->
 *                           '4' due, '9' given: invalid
 *   S2  370122200803151231  digit 5 0->2, d = +16: 225 = 20*11+5, '7' due:
 *                           invalid
 *   W1  370102200803152131  digits 15,16 "12"->"21", d = (2*8+1*4) -
 *                           (1*8+2*4) = 20-16 = +4: 213 = 19*11+4, '8'
 *                           due: invalid
 *   W1V 370102200803152138  the same swap, check recomputed: valid
 *   C1  370102200803151239  only the check character: '1' due: invalid
 *   T2  370112200803151241  digits 5 (0->1) and 17 (3->4), d = +8+2 = +10:
 *                           219 = 19*11+10, '2' due: invalid
 *   T2A 370102200803151451  digits 16,17 "23"->"45" (adjacent, not a swap),
 *                           d = (4*4+5*2) - (2*4+3*2) = 26-14 = +12:
 *                           221 = 20*11+1, '0' due: invalid
 *   T2S 370102200803153211  digits 15 and 17 exchanged "1_3"->"3_1" (not
 *                           adjacent), d = (3*8+1*2) - (1*8+3*2) = +12:
 *                           221, '0' due: invalid
 *   B1  370102200803141231  digit 14 5->4 (born the 14th), d = -1*5 = -5:
 *                           204 = 18*11+6, '6' due: invalid
 *   BW  370102200803115231  digits 14,15 "51"->"15", d = (1*5+5*8) -
 *                           (5*5+1*8) = 45-33 = +12: 221, '0' due: invalid
 *   X17 370102200803151281  digit 17 3->8 (the sex digit, odd -> even),
 *                           d = +5*2 = +10: 219, '2' due: invalid
 *   N1  370102200803151434  digit 16 2->4, d = +2*4 = +8: 217, '4': valid
 *                           (a twin: the next sequence number but one)
 *   Q17 37010220080315123   Q without its check character (17 digits)
 * Other people:
 *   P   110101200803154518  region 1 1 0 1 0 1 -> 7+9+0+5+0+4 = 25, birth
 *                           as Q 90, sequence 4 5 1 -> 32+20+2 = 54:
 *                           169 = 15*11+4 -> '8': valid (北京, same day)
 *   R   370203200904021243  region 3 7 0 2 0 3 -> 21+63+0+10+0+12 = 106,
 *                           birth 2 0 0 9 0 4 0 2 -> 4+0+0+27+0+36+0+10 =
 *                           77, sequence 1 2 4 -> 8+8+8 = 24: 207 =
 *                           18*11+9 -> '3': valid (青岛, a woman)
 * (The rows' validity is also checked against cc_id_check_char, so a slip
 * in this arithmetic fails loudly.)
 *
 * The run end to end uses these and the IDs listed above its rosters.
 * Check forks every test by default; cc_run_monthly enters OpenMP only in
 * the forked child, never in this runner's parent (libgomp may hang in a
 * child forked after a parallel region).
 */
#define _GNU_SOURCE
#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chachong/errors.h"
#include "chachong/finding.h"
#include "chachong/fuzzy.h"
#include "chachong/name_match.h"
#include "chachong/normalize_id.h"
#include "chachong/run.h"
#include "chachong/record.h"
#include "chachong/review.h"
#include "chachong/types.h"
#include "fuzzy_internal.h"
#include "test_util.h"

#define Q "370102200803151231"
#define S1 "370112200803151231"
#define S1V "370112200803151234"
#define S1C "370112200803151239"
#define S2 "370122200803151231"
#define W1 "370102200803152131"
#define W1V "370102200803152138"
#define C1 "370102200803151239"
#define T2 "370112200803151241"
#define T2A "370102200803151451"
#define T2S "370102200803153211"
#define B1 "370102200803141231"
#define BW "370102200803115231"
#define X17 "370102200803151281"
#define N1 "370102200803151434"
#define Q17 "37010220080315123"
#define P "110101200803154518"
#define R "370203200904021243"

/* ------------------------------------------------------------------ */
/* The ID comparison. */

typedef struct id_row {
  const char *a;
  int va;
  const char *b;
  int vb;
  cc_id_level want;
  const char *why;
} id_row;

static const id_row id_core[] = {
    {Q, 1, S1, 0, CC_IDL_SUB_FIX, "digit 5 slipped, check kept: S1 fails"},
    {Q, 1, B1, 0, CC_IDL_SUB_FIX, "digit 14 slipped, check kept"},
    {Q, 1, X17, 0, CC_IDL_SUB_FIX, "digit 17 slipped, check kept"},
    {Q, 1, S1V, 1, CC_IDL_SUB_VALID, "digit 5 slipped, check recomputed"},
    {Q, 1, N1, 1, CC_IDL_SUB_VALID, "twins: sequence one digit apart"},
    {Q, 1, W1, 0, CC_IDL_SWAP_FIX, "digits 15,16 swapped, check kept"},
    {Q, 1, BW, 0, CC_IDL_SWAP_FIX, "digits 14,15 swapped across birth/seq"},
    {Q, 1, W1V, 1, CC_IDL_SWAP_VALID, "digits 15,16 swapped, recomputed"},
    {Q, 1, C1, 0, CC_IDL_CHECK_ONLY, "only the check character differs"},
    {Q, 1, T2, 0, CC_IDL_OTHER, "two substitutions (digits 5 and 17)"},
    {Q, 1, T2A, 0, CC_IDL_OTHER, "two adjacent substitutions, not a swap"},
    {Q, 1, T2S, 0, CC_IDL_OTHER, "digits 15 and 17 exchanged: not adjacent"},
    {Q, 1, S1C, 0, CC_IDL_OTHER, "a slip and a different check: 2 edits"},
    {S1, 0, S2, 0, CC_IDL_OTHER, "one digit apart, both fail: no good side"},
    {Q, 1, P, 1, CC_IDL_OTHER, "another person: 7 characters differ"},
    {Q, 1, R, 1, CC_IDL_OTHER, "another person: most digits differ"},
};

static const id_row id_limits[] = {
    /* Digits 8 and 9 of Q are "00": swapping equal digits gives Q again,
     * which is no swap and no typo. */
    {Q, 1, Q, 1, CC_IDL_OTHER, "a swap of equal digits (8,9): identical"},
    {S1, 0, S1, 0, CC_IDL_OTHER, "identical, both invalid"},
    {Q17, 0, Q, 1, CC_IDL_DIGIT_MISSING,
     "17 digits against 18: the check left out"},
    {Q17, 0, Q17, 0, CC_IDL_OTHER, "17 against 17"},
};

static void check_id_row(const id_row *r, int i)
{
  size_t la = strlen(r->a), lb = strlen(r->b);
  cc_id_level ab, ba;
  /* The hand-worked validity agrees with the engine's check character. */
  if (la == 18)
    ck_assert_msg((cc_id_check_char(r->a) == r->a[17]) == r->va,
                  "row %d: %s validity worked out wrong", i, r->a);
  if (lb == 18)
    ck_assert_msg((cc_id_check_char(r->b) == r->b[17]) == r->vb,
                  "row %d: %s validity worked out wrong", i, r->b);
  ab = cc_fuzzy_id_level(r->a, la, r->va, r->b, lb, r->vb);
  ba = cc_fuzzy_id_level(r->b, lb, r->vb, r->a, la, r->va);
  ck_assert_msg(ab == r->want, "row %d (%s): got %d, want %d", i, r->why,
                (int)ab, (int)r->want);
  ck_assert_msg(ba == r->want, "row %d (%s) reversed: got %d, want %d", i,
                r->why, (int)ba, (int)r->want);
}

START_TEST(test_fuzzy_id_level)
{
  check_id_row(&id_core[_i], _i);
}
END_TEST

START_TEST(test_fuzzy_id_level_limits)
{
  check_id_row(&id_limits[_i], _i);
}
END_TEST

/* A slip in a valid ID leaves the check character wrong 10 times in 11
 * (docs/FUZZY.md): of the 9 other digits at position 5 (weight 8), the sum
 * moves by 8, 16, ..., 72, whose residues mod 11 are 8 5 2 10 7 4 1 9 6;
 * none is 0, so all 9 keep '1' wrong and fix-level. At position 17 (weight
 * 2) the moves -6 -4 -2 +2 ... +12 of digit 3 -> 0..9 give residues 5 7 9 2
 * 4 6 8 10 1: again never 0. */
START_TEST(test_fuzzy_id_level_every_slip)
{
  static const int pos[] = {4, 16};
  size_t k;
  for (k = 0; k < 2; k++) {
    int d;
    for (d = 0; d < 10; d++) {
      char b[19];
      memcpy(b, Q, 19);
      if (b[pos[k]] == '0' + d)
        continue;
      b[pos[k]] = (char)('0' + d);
      ck_assert_int_ne(cc_id_check_char(b), b[17]);
      ck_assert_int_eq(cc_fuzzy_id_level(Q, 18, 1, b, 18, 0), CC_IDL_SUB_FIX);
    }
  }
}
END_TEST

/* ------------------------------------------------------------------ */
/* The score of a pair. Weights x 10 from docs/RULES.md: ID fix-level +8,
 * both valid +4, other -6; name equal +4, homophone +2, different -6;
 * birth equal +2, different -3.5; sex equal +1, different -5.5; region
 * county +2, province +0.5, different -4.5; a field holding the slip 0. */

typedef struct score_row {
  const char *a;
  int va;
  const char *b;
  int vb;
  const char *na, *nb;
  int level[CC_EV_COUNT_]; /* id, name, birth, sex, region */
  int weight[CC_EV_COUNT_];
  int total;
  const char *why;
} score_row;

static const score_row score_core[] = {
    {Q,
     1,
     S1,
     0,
     "张伟",
     "张伟",
     {CC_IDL_SUB_FIX, CC_NAMEL_EQUAL, CC_SAME, CC_SAME, CC_REGL_TYPO},
     {80, 40, 20, 10, 0},
     150,
     "slip in the county, same name: 8+4+2+1+0"},
    {Q,
     1,
     B1,
     0,
     "张伟",
     "张玮",
     {CC_IDL_SUB_FIX, CC_NAMEL_HOMOPHONE, CC_TYPO, CC_SAME, CC_REGL_COUNTY},
     {80, 20, 0, 10, 20},
     130,
     "slip in the birth date, 伟/玮: 8+2+0+1+2"},
    {Q,
     1,
     P,
     1,
     "张伟",
     "张伟",
     {CC_IDL_OTHER, CC_NAMEL_EQUAL, CC_SAME, CC_SAME, CC_REGL_DIFFERENT},
     {-60, 40, 20, 10, -45},
     -35,
     "same name+birth+sex, 山东/北京: -6+4+2+1-4.5"},
    {Q,
     1,
     N1,
     1,
     "蒋经国",
     "蒋纬国",
     {CC_IDL_SUB_VALID, CC_NAMEL_DIFFERENT, CC_SAME, CC_SAME, CC_REGL_COUNTY},
     {40, -60, 20, 10, 20},
     30,
     "twins 经国/纬国: 4-6+2+1+2"},
    {Q,
     1,
     X17,
     0,
     "张伟",
     "张伟",
     {CC_IDL_SUB_FIX, CC_NAMEL_EQUAL, CC_SAME, CC_TYPO, CC_REGL_COUNTY},
     {80, 40, 20, 0, 20},
     160,
     "slip on digit 17 (3 -> 8): sex in_typo, not different: 8+4+2+0+2"},
    {Q,
     1,
     W1,
     0,
     "张伟",
     "张伟",
     {CC_IDL_SWAP_FIX, CC_NAMEL_EQUAL, CC_SAME, CC_SAME, CC_REGL_COUNTY},
     {80, 40, 20, 10, 20},
     170,
     "swap of 15,16: 8+4+2+1+2"},
    {Q,
     1,
     BW,
     0,
     "张伟",
     "张伟",
     {CC_IDL_SWAP_FIX, CC_NAMEL_EQUAL, CC_TYPO, CC_SAME, CC_REGL_COUNTY},
     {80, 40, 0, 10, 20},
     150,
     "swap of 14,15 touches the birth: 8+4+0+1+2"},
    {Q,
     1,
     C1,
     0,
     "张伟",
     "张伟",
     {CC_IDL_CHECK_ONLY, CC_NAMEL_EQUAL, CC_SAME, CC_SAME, CC_REGL_COUNTY},
     {80, 40, 20, 10, 20},
     170,
     "check character only: 8+4+2+1+2"},
    {Q,
     1,
     S1V,
     1,
     "张伟",
     "张玮",
     {CC_IDL_SUB_VALID, CC_NAMEL_HOMOPHONE, CC_SAME, CC_SAME, CC_REGL_TYPO},
     {40, 20, 20, 10, 0},
     90,
     "valid slip in the county, 伟/玮: 4+2+2+1+0 = the upper threshold"},
    {"370102200912010569",
     1,
     "370102200912010769",
     0,
     "王芳",
     "刘洋",
     {CC_IDL_SUB_FIX, CC_NAMEL_DIFFERENT, CC_SAME, CC_SAME, CC_REGL_COUNTY},
     {80, -60, 20, 10, 20},
     70,
     "slip in digit 16, names differ: 8-6+2+1+2, a possible match"},
    {Q,
     1,
     R,
     1,
     "张伟",
     "张伟",
     {CC_IDL_OTHER, CC_NAMEL_EQUAL, CC_DIFFERENT, CC_DIFFERENT,
      CC_REGL_PROVINCE},
     {-60, 40, -35, -55, 5},
     -105,
     "same name only, 济南/青岛: -6+4-3.5-5.5+0.5"},
};

static const score_row score_limits[] = {
    /* 17 digits, Q with its check character left out: one character
     * missing (+8); birth date, sex and county of the 17 are read through
     * the missing character, so they weigh 0: 8 + 4 + 0 + 0 + 0 = 12. */
    {Q17,
     0,
     Q,
     1,
     "张伟",
     "张伟",
     {CC_IDL_DIGIT_MISSING, CC_NAMEL_EQUAL, CC_TYPO, CC_TYPO, CC_REGL_TYPO},
     {80, 40, 0, 0, 0},
     120,
     "17 digits against 18: 8+4+0+0+0"},
    /* Two slips: not one typo, so no field is in_typo; digit 5 moves the
     * county (province 37 kept), digit 17 3 -> 4 moves the sex. */
    {Q,
     1,
     T2,
     0,
     "张伟",
     "张伟",
     {CC_IDL_OTHER, CC_NAMEL_EQUAL, CC_SAME, CC_DIFFERENT, CC_REGL_PROVINCE},
     {-60, 40, 20, -55, 5},
     -50,
     "two slips: -6+4+2-5.5+0.5"},
    /* An empty name against a name: different. */
    {Q,
     1,
     S1,
     0,
     "",
     "张伟",
     {CC_IDL_SUB_FIX, CC_NAMEL_DIFFERENT, CC_SAME, CC_SAME, CC_REGL_TYPO},
     {80, -60, 20, 10, 0},
     50,
     "no name: 8-6+2+1+0 = the lower threshold"},
};

static void check_score_row(const score_row *r, int i)
{
  cc_evidence ev[CC_EV_COUNT_], rev[CC_EV_COUNT_];
  int f, s, sr, sum = 0;
  size_t la = strlen(r->a), lb = strlen(r->b);
  memset(ev, 0xAB, sizeof ev);
  memset(rev, 0xCD, sizeof rev);
  s = cc_fuzzy_score(ev, r->a, la, r->va, r->b, lb, r->vb, r->na, strlen(r->na),
                     r->nb, strlen(r->nb));
  for (f = 0; f < CC_EV_COUNT_; f++) {
    ck_assert_int_eq(ev[f].field, f);
    ck_assert_msg(ev[f].level == r->level[f],
                  "row %d (%s) field %s: level %d, want %d", i, r->why,
                  cc_evidence_field_code(f), ev[f].level, r->level[f]);
    ck_assert_msg(ev[f].weight10 == r->weight[f],
                  "row %d (%s) field %s: weight %d, want %d", i, r->why,
                  cc_evidence_field_code(f), ev[f].weight10, r->weight[f]);
    sum += r->weight[f];
  }
  ck_assert_msg(sum == r->total,
                "row %d: the table's weights add to %d, not %d", i, sum,
                r->total);
  ck_assert_msg(s == r->total, "row %d (%s): score %d, want %d", i, r->why, s,
                r->total);
  /* The order of the two records does not matter. */
  sr = cc_fuzzy_score(rev, r->b, lb, r->vb, r->a, la, r->va, r->nb,
                      strlen(r->nb), r->na, strlen(r->na));
  ck_assert_int_eq(sr, s);
  ck_assert_int_eq(memcmp(rev, ev, sizeof ev), 0);
}

START_TEST(test_fuzzy_score)
{
  check_score_row(&score_core[_i], _i);
}
END_TEST

START_TEST(test_fuzzy_score_limits)
{
  check_score_row(&score_limits[_i], _i);
}
END_TEST

/* The names of the table relate as the rows say (check_name_match.c has
 * the readings). */
START_TEST(test_fuzzy_score_names)
{
  ck_assert_int_eq(cc_name_compare("张伟", 6, "张玮", 6), CC_NAME_HOMOPHONE);
  ck_assert_int_eq(cc_name_compare("蒋经国", 9, "蒋纬国", 9),
                   CC_NAME_DIFFERENT);
  ck_assert_int_eq(cc_name_compare("王芳", 6, "刘洋", 6), CC_NAME_DIFFERENT);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Blocking keys (fuzzy_internal.h): key 1 = pinyin of the name, birth date
 * (digits 7-14), parity of digit 17; key 2 = pinyin, county (digits 1-6),
 * digits 15-16. One slip anywhere but in both the county and the birth
 * date keeps at least one of them, so a slip that keeps both IDs valid
 * (no typo search) still meets its twin in a block:
 *   Q / S1   county slip             key 1 same, key 2 differs
 *   Q / B1   birth slip              key 1 differs, key 2 same
 *   Q / N1   digit 16 slip           key 1 same, key 2 differs
 *   Q / X17  digit 17 3 -> 8 (sex)   key 1 differs (odd/even), key 2 same
 *   Q / W1   digits 15,16 swapped    key 1 same, key 2 differs
 * Names by sound: 张伟 / 张玮 share both keys, 蒋经国 / 蒋纬国 neither. */

typedef struct key_row {
  const char *a, *na, *b, *nb;
  int same1, same2;
} key_row;

static const key_row key_core[] = {
    {Q, "张伟", S1, "张伟", 1, 0},     {Q, "张伟", B1, "张伟", 0, 1},
    {Q, "张伟", N1, "张伟", 1, 0},     {Q, "张伟", X17, "张伟", 0, 1},
    {Q, "张伟", W1, "张伟", 1, 0},     {Q, "张伟", Q, "张玮", 1, 1},
    {Q, "蒋经国", N1, "蒋纬国", 0, 0}, {Q, "张伟", P, "张伟", 1, 0},
};

static int block_keys(uint64_t out[CC_FUZZY_BLOCK_KEYS_MAX], const char *id,
                      const char *name)
{
  cc_record r;
  memset(&r, 0, sizeof r);
  r.id_len = (uint8_t)strlen(id);
  memcpy(r.id, id, r.id_len);
  r.name_folded.ptr = name;
  r.name_folded.len = (uint32_t)strlen(name);
  return cc_fuzzy_block_keys(out, &r);
}

START_TEST(test_fuzzy_block_keys)
{
  const key_row *k = &key_core[_i];
  uint64_t ka[CC_FUZZY_BLOCK_KEYS_MAX], kb[CC_FUZZY_BLOCK_KEYS_MAX];
  ck_assert_int_eq(block_keys(ka, k->a, k->na), 2);
  ck_assert_int_eq(block_keys(kb, k->b, k->nb), 2);
  ck_assert_uint_ne(ka[0], ka[1]);
  ck_assert_msg((ka[0] == kb[0]) == k->same1, "row %d: %s/%s key 1", _i, k->a,
                k->b);
  ck_assert_msg((ka[1] == kb[1]) == k->same2, "row %d: %s/%s key 2", _i, k->a,
                k->b);
}
END_TEST

/* Heteronyms (issue 9): 王行 reads wang xing and wang hang, so it has two
 * readings and four keys (key 1, key 2 of each); 王航 (wang hang) has two,
 * and they are among 王行's: born on one day in one town, the two meet in
 * both blocks. 王长青 (长 in names: chang only) has two keys, none shared
 * with 王章青 (zhang). */
static int shares(const uint64_t *a, int na, const uint64_t *b, int nb,
                  int which)
{
  int i, j;
  for (i = which; i < na; i += 2)
    for (j = which; j < nb; j += 2)
      if (a[i] == b[j])
        return 1;
  return 0;
}

START_TEST(test_fuzzy_block_keys_heteronyms)
{
  uint64_t a[CC_FUZZY_BLOCK_KEYS_MAX], b[CC_FUZZY_BLOCK_KEYS_MAX];
  int na, nb;
  na = block_keys(a, Q, "王行");
  nb = block_keys(b, Q, "王航");
  ck_assert_int_eq(na, 4);
  ck_assert_int_eq(nb, 2);
  ck_assert(shares(a, na, b, nb, 0));
  ck_assert(shares(a, na, b, nb, 1));
  na = block_keys(a, Q, "王长青");
  nb = block_keys(b, Q, "王章青");
  ck_assert_int_eq(na, 2);
  ck_assert(!shares(a, na, b, nb, 0));
  ck_assert(!shares(a, na, b, nb, 1));
  nb = block_keys(b, Q, "王常青");
  ck_assert(shares(a, na, b, nb, 0));
}
END_TEST

START_TEST(test_fuzzy_block_keys_limits)
{
  uint64_t k[CC_FUZZY_BLOCK_KEYS_MAX];
  ck_assert_int_eq(block_keys(k, Q17, "张伟"), 0); /* 17 digits */
  ck_assert_int_eq(block_keys(k, Q, ""), 0);       /* no name, no key */
}
END_TEST

/* ------------------------------------------------------------------ */
/* Confidence = 1 / (1 + 2^(6.6 - score)), x 10000, rounded:
 *   6.6   2^0 = 1              -> 1/2           5000
 *   7.6   2^-1                 -> 1/1.5         6667 (6666.67)
 *   5.6   2^1                  -> 1/3           3333
 *   8.6   2^-2 = 0.25          -> 1/1.25        8000
 *   4.6   2^2 = 4              -> 1/5           2000
 *   9     2^-2.4 = 0.18946     -> 1/1.18946     8407 (0.84072)
 *   7     2^-0.4 = 0.75786     -> 1/1.75786     5689 (0.56887)
 *   15    2^-8.4 = 0.0029604   -> 1/1.0029604   9970 (0.99705)
 *   17    2^-10.4 = 0.00074009 -> 1/1.00074009  9993 (0.99926)
 *   -3.5  2^10.1 = 1097.6      -> 1/1098.6      9    (0.00091)  */

typedef struct conf_row {
  int score10;
  unsigned want;
} conf_row;

static const conf_row conf_core[] = {
    {66, 5000}, {76, 6667}, {56, 3333},  {86, 8000},  {46, 2000},
    {90, 8407}, {70, 5689}, {150, 9970}, {170, 9993}, {-35, 9},
};

START_TEST(test_fuzzy_confidence)
{
  ck_assert_uint_eq(cc_fuzzy_confidence(conf_core[_i].score10),
                    conf_core[_i].want);
}
END_TEST

/* 30 above the prior (score 36.6) 2^-30 ~ 1e-9 rounds to 1; far below, to
 * 0; in between never decreasing. */
START_TEST(test_fuzzy_confidence_limits)
{
  int s;
  unsigned last = 0;
  ck_assert_uint_eq(cc_fuzzy_confidence(366), 10000);
  ck_assert_uint_eq(cc_fuzzy_confidence(367), 10000);
  ck_assert_uint_eq(cc_fuzzy_confidence(INT_MAX), 10000);
  ck_assert_uint_eq(cc_fuzzy_confidence(-1000), 0);
  ck_assert_uint_eq(cc_fuzzy_confidence(INT_MIN), 0);
  for (s = -600; s <= 600; s++) {
    unsigned c = cc_fuzzy_confidence(s);
    ck_assert_uint_le(c, 10000);
    ck_assert_msg(c >= last, "confidence falls at %d: %u < %u", s, c, last);
    last = c;
  }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Vocabulary, weights, thresholds. */

static const int n_levels[CC_EV_COUNT_] = {CC_IDL_COUNT_, 3, 3, 3, 4};

/* docs/RULES.md, the weight column x 10; the in_typo levels weigh 0. */
static const int weights[CC_EV_COUNT_][CC_IDL_COUNT_] = {
    {80, 80, 80, 40, 40, -60,
     80},          /* fix, swap fix, check, sub/swap valid, other,
                                      one missing */
    {40, 20, -60}, /* equal, homophone, different */
    {20, -35, 0},  /* equal, different, in_typo */
    {10, -55, 0},
    {20, 5, -45, 0}, /* county, province, different, in_typo */
};

START_TEST(test_fuzzy_codes)
{
  int f, l, k;
  ck_assert_str_eq(cc_match_basis_code(CC_BASIS_ID_EXACT), "id_exact");
  ck_assert_str_eq(cc_match_basis_code(CC_BASIS_ID_TYPO), "id_typo");
  ck_assert_str_eq(cc_match_basis_code(CC_BASIS_NAME_BIRTH), "name_birth");
  ck_assert_str_eq(cc_evidence_field_code(CC_EV_ID), "id");
  ck_assert_str_eq(cc_evidence_field_code(CC_EV_NAME), "name");
  ck_assert_str_eq(cc_evidence_field_code(CC_EV_BIRTH), "birth_date");
  ck_assert_str_eq(cc_evidence_field_code(CC_EV_SEX), "sex");
  ck_assert_str_eq(cc_evidence_field_code(CC_EV_REGION), "region");
  ck_assert_str_eq(cc_evidence_level_code(CC_EV_NAME, CC_NAMEL_HOMOPHONE),
                   "homophone");
  ck_assert_str_eq(cc_evidence_level_code(CC_EV_ID, CC_IDL_SUB_FIX),
                   "one_substitution_check_fails");
  ck_assert_str_eq(cc_evidence_level_code(CC_EV_REGION, CC_REGL_TYPO),
                   "in_typo");
  for (f = 0; f < CC_EV_COUNT_; f++)
    for (l = 0; l < n_levels[f]; l++) {
      const char *code = cc_evidence_level_code(f, l);
      const char *zh = cc_evidence_zh(f, l);
      ck_assert_ptr_nonnull(code);
      ck_assert_ptr_nonnull(zh);
      ck_assert_uint_gt(strlen(code), 0);
      ck_assert_uint_gt(strlen(zh), 0);
      ck_assert_str_ne(code, "unknown");
      ck_assert_msg((unsigned char)zh[0] >= 0xE0, "%s/%s: zh is not Chinese",
                    cc_evidence_field_code(f), code);
      ck_assert_msg(cc_fuzzy_weight10(f, l) == weights[f][l],
                    "%s/%s: weight %d, docs/RULES.md says %d",
                    cc_evidence_field_code(f), code, cc_fuzzy_weight10(f, l),
                    weights[f][l]);
      for (k = 0; k < l; k++) {
        ck_assert_str_ne(code, cc_evidence_level_code(f, k));
        ck_assert_str_ne(zh, cc_evidence_zh(f, k));
      }
    }
  for (f = 0; f < CC_EV_COUNT_; f++)
    for (k = 0; k < f; k++)
      ck_assert_str_ne(cc_evidence_field_code(f), cc_evidence_field_code(k));
}
END_TEST

START_TEST(test_fuzzy_codes_limits)
{
  ck_assert_str_eq(cc_match_basis_code(CC_BASIS_COUNT_), "unknown");
  ck_assert_str_eq(cc_evidence_field_code(-1), "unknown");
  ck_assert_str_eq(cc_evidence_field_code(CC_EV_COUNT_), "unknown");
  ck_assert_str_eq(cc_evidence_level_code(CC_EV_ID, CC_IDL_COUNT_), "unknown");
  ck_assert_str_eq(cc_evidence_level_code(CC_EV_NAME, 3), "unknown");
  ck_assert_str_eq(cc_evidence_level_code(CC_EV_REGION, 4), "unknown");
  ck_assert_str_eq(cc_evidence_level_code(CC_EV_SEX, -1), "unknown");
  ck_assert_str_eq(cc_evidence_level_code(CC_EV_COUNT_, 0), "unknown");
  ck_assert_int_eq(cc_fuzzy_weight10(CC_EV_BIRTH, 3), 0);
  ck_assert_int_eq(cc_fuzzy_weight10(CC_EV_COUNT_, 0), 0);
  ck_assert_uint_gt(strlen(cc_evidence_zh(CC_EV_COUNT_, 0)), 0);
}
END_TEST

START_TEST(test_fuzzy_thresholds)
{
  ck_assert_int_eq(CC_FUZZY_UPPER10, 90);
  ck_assert_int_eq(CC_FUZZY_LOWER10, 50);
  ck_assert_int_lt(CC_FUZZY_LOWER10, CC_FUZZY_UPPER10);
  /* A fix-level typo with the same name, birth, sex and county is far
   * above; the same with a different name (70) is only possible; both
   * valid with a different name (twins, 30) is nothing. */
  ck_assert_int_ge(80 + 40 + 20 + 10 + 20, CC_FUZZY_UPPER10);
  ck_assert_uint_ge(cc_fuzzy_confidence(CC_FUZZY_UPPER10), 8400);
  ck_assert_uint_lt(cc_fuzzy_confidence(CC_FUZZY_LOWER10), 5000);
}
END_TEST

/* ------------------------------------------------------------------ */
/* One monthly run, end to end. Rosters (line 1 is the header):
 *
 *   moe                              mohrss
 *   2 110101200501011239 张三 S1     2 110101200501011239 张三 J1
 *   3 Q  张伟 S1                     3 S1 张伟 J1 (invalid, '4' due)
 *   4 370102200706200249 李娜 S2     4 440106200706203689 李娜 J2
 *   5 370102200912010569 王芳 S2     5 370102200912010769 刘洋 J2
 * all 在籍.
 *   110101200501011239: (7+9+0+5+0+4 = 25) + (4+0+0+15+0+9+0+5 = 33) +
 *     (1*8+2*4+3*2 = 22) = 80 = 7*11+3 -> '9' valid. Same ID at S1 and
 *     J1: the exact dual_enrollment moe:2,mohrss:2.
 *   Q / S1: one digit apart in the county, same name: 150 -> a fuzzy
 *     dual_enrollment (id_typo; the block also finds it, the typo search
 *     comes first), confidence 0.9970, person shown with Q.
 *   李娜 (a woman born 2007-06-20) twice:
 *     370102 20070620 024: 97 + (4+0+0+21+0+54+20+0 = 99) + (0+8+8 = 16)
 *       = 212 = 19*11+3 -> '9' valid
 *     440106 20070620 368: (28+36+0+5+0+24 = 93) + 99 + (24+24+16 = 64)
 *       = 256 = 23*11+3 -> '9' valid
 *     one block, -6+4+2+1-4.5 = -3.5: dropped, neither finding nor possible.
 *   王芳 / 刘洋: 370102 20091201 056: 97 + (4+0+0+27+7+18+0+5 = 61) +
 *     (0+20+12 = 32) = 190 = 17*11+3 -> '9' valid; digit 16 5 -> 7 adds
 *     2*4 = 8: 198 = 18*11+0 -> '1' due, '9' kept: invalid. The typo search
 *     finds the pair: 8-6+2+1+2 = 7, confidence 0.5689: possible.jsonl. */

static char root[256];
static char scratch[320];

static void setup(void)
{
  tu_scratch_make(scratch, sizeof scratch, root);
}

static void teardown(void)
{
  tu_scratch_remove(scratch);
}

static char *path_in(char *buf, size_t cap, const char *name)
{
  snprintf(buf, cap, "%s/%s", scratch, name);
  return buf;
}

static const char moe_csv[] = "身份证号,姓名,学校代码,学籍状态\n"
                              "110101200501011239,张三,S1,在籍\n"  /* 2 */
    Q ",张伟,S1,在籍\n"                                            /* 3 */
                              "370102200706200249,李娜,S2,在籍\n"  /* 4 */
                              "370102200912010569,王芳,S2,在籍\n"; /* 5 */

static const char mohrss_csv[] = "身份证号,姓名,学校代码,学籍状态\n"
                                 "110101200501011239,张三,J1,在籍\n"  /* 2 */
    S1 ",张伟,J1,在籍\n"                                              /* 3 */
                                 "440106200706203689,李娜,J2,在籍\n"  /* 4 */
                                 "370102200912010769,刘洋,J2,在籍\n"; /* 5 */

typedef struct run_out {
  char *findings, *possible, *summary;
  unsigned possible_mode;
} run_out;

static void run_texts(run_out *out, const char *tag, int no_fuzzy,
                      const char *moe_text, const char *mohrss_text);

static void run_rosters(run_out *out, const char *tag, int no_fuzzy)
{
  run_texts(out, tag, no_fuzzy, moe_csv, mohrss_csv);
}

static void run_period(run_out *out, const char *tag, const char *db_tag,
                       const char *period, int no_fuzzy, const char *moe_text,
                       const char *mohrss_text);

static void run_texts(run_out *out, const char *tag, int no_fuzzy,
                      const char *moe_text, const char *mohrss_text)
{
  run_period(out, tag, tag, "2026-11", no_fuzzy, moe_text, mohrss_text);
}

/* A run of `period` into database db_<db_tag>, outputs in out_<tag>. */
static void run_period(run_out *out, const char *tag, const char *db_tag,
                       const char *period, int no_fuzzy, const char *moe_text,
                       const char *mohrss_text)
{
  char moe[400], mohrss[400], db[400], dir[400], f[480], name[64];
  cc_roster_spec rosters[2];
  cc_run_options o = CC_RUN_OPTIONS_INIT;
  int rc;
  path_in(moe, sizeof moe, "moe.csv");
  path_in(mohrss, sizeof mohrss, "mohrss.csv");
  tu_write_file(moe, moe_text);
  tu_write_file(mohrss, mohrss_text);
  memset(rosters, 0, sizeof rosters);
  rosters[0].label = "moe";
  rosters[0].path = moe;
  rosters[1].label = "mohrss";
  rosters[1].path = mohrss;
  snprintf(name, sizeof name, "db_%s", db_tag);
  path_in(db, sizeof db, name);
  snprintf(name, sizeof name, "out_%s", tag);
  path_in(dir, sizeof dir, name);
  o.db_dir = db;
  o.period = period;
  o.issued = cc_date_from_ymd(2026, 11, 23); /* not today: reproducible */
  o.rosters = rosters;
  o.n_rosters = 2;
  o.out_dir = dir;
  o.threads = 2;
  o.no_sync = 1;
  o.no_fuzzy = no_fuzzy;
  rc = cc_run_monthly(&out->summary, &o);
  ck_assert_msg(rc == 0, "run %s: %d %s", tag, rc, cc_error_last());
  snprintf(f, sizeof f, "%s/findings.jsonl", dir);
  out->findings = tu_read_file(f);
  snprintf(f, sizeof f, "%s/possible.jsonl", dir);
  out->possible_mode = tu_mode_of(f);
  out->possible = tu_read_file(f);
}

static void run_out_dispose(run_out *r)
{
  free(r->findings);
  free(r->possible);
  free(r->summary);
}

static size_t count_lines(const char *text)
{
  size_t n = 0;
  for (; *text; text++)
    n += *text == '\n';
  return n;
}

/* The lines of `text` that contain `needle`, concatenated (malloc'd). */
static char *lines_with(const char *text, const char *needle, size_t *n)
{
  size_t len = strlen(text), k = 0;
  char *out = malloc(len + 1);
  const char *line = text;
  ck_assert_ptr_nonnull(out);
  *n = 0;
  while (*line) {
    const char *end = strchr(line, '\n');
    size_t ll = end ? (size_t)(end - line) + 1 : strlen(line);
    char *copy = strndup(line, ll);
    ck_assert_ptr_nonnull(copy);
    if (strstr(copy, needle)) {
      memcpy(out + k, line, ll);
      k += ll;
      (*n)++;
    }
    free(copy);
    line += ll;
  }
  out[k] = '\0';
  return out;
}

/* The text holds (or does not hold) the needle; the message shows it. */
#define HAS(text, needle)                                                      \
  ck_assert_msg(strstr((text), (needle)) != NULL, "missing: %s", (needle))
#define HASNT(text, needle)                                                    \
  ck_assert_msg(strstr((text), (needle)) == NULL, "unexpected: %s", (needle))

START_TEST(test_fuzzy_run_monthly)
{
  run_out on, off;
  char *exact_on, *exact_off, *typo, *nb;
  size_t n_exact_on, n_exact_off, n_typo, n_nb;

  memset(&on, 0, sizeof on);
  memset(&off, 0, sizeof off);
  run_rosters(&on, "on", 0);

  /* Two findings: the exact pair and the typo pair. */
  ck_assert_uint_eq(count_lines(on.findings), 2);
  exact_on = lines_with(on.findings, "\"basis\": \"id_exact\"", &n_exact_on);
  typo = lines_with(on.findings, "\"basis\": \"id_typo\"", &n_typo);
  nb = lines_with(on.findings, "\"basis\": \"name_birth\"", &n_nb);
  ck_assert_uint_eq(n_exact_on, 1);
  ck_assert_uint_eq(n_typo, 1);
  ck_assert_uint_eq(n_nb, 0);
  HAS(exact_on, "\"type\": \"dual_enrollment\"");
  HAS(exact_on, "\"id_number\": \"110101200501011239\"");

  /* The fuzzy finding: the valid ID for the person, each member with its
   * own ID, the evidence of the hand-worked score 150. */
  HAS(typo, "\"type\": \"dual_enrollment\"");
  HAS(typo, "\"scope\": \"cross\"");
  HAS(typo, "\"person\": {\"id_number\": \"" Q "\", \"name\": \"张伟\", "
            "\"id_valid\": true}");
  HAS(typo, "\"confidence\": 0.9970");
  HAS(typo, "{\"roster\": \"moe\", \"line\": 3, ");
  HAS(typo, "{\"roster\": \"mohrss\", \"line\": 3, ");
  HAS(typo, "\"name\": \"张伟\", \"id_number\": \"" Q "\"");
  HAS(typo, "\"name\": \"张伟\", \"id_number\": \"" S1 "\"");
  HAS(typo, "{\"field\": \"id\", \"level\": "
            "\"one_substitution_check_fails\", \"weight\": 8.0, ");
  HAS(typo, "{\"field\": \"name\", \"level\": \"equal\", "
            "\"weight\": 4.0, ");
  HAS(typo, "{\"field\": \"birth_date\", \"level\": "
            "\"equal\", \"weight\": 2.0, ");
  HAS(typo, "{\"field\": \"sex\", \"level\": \"equal\", "
            "\"weight\": 1.0, ");
  HAS(typo, "{\"field\": \"region\", \"level\": "
            "\"in_typo\", \"weight\": 0.0, ");
  /* Neither 李娜 nor the possible pair is a finding. */
  HASNT(on.findings, "李娜");
  HASNT(on.findings, "王芳");
  HASNT(on.findings, "刘洋");

  /* possible.jsonl: the one pair scoring 7, owner-only. */
  ck_assert_uint_eq(on.possible_mode, 0600);
  ck_assert_uint_eq(count_lines(on.possible), 1);
  HAS(on.possible, "\"score\": 7.0, \"confidence\": 0.5689, "
                   "\"basis\": \"id_typo\"");
  HAS(on.possible, "\"line\": 5, \"id_number\": "
                   "\"370102200912010569\"");
  HAS(on.possible, "\"line\": 5, \"id_number\": "
                   "\"370102200912010769\"");
  HASNT(on.possible, "李娜");
  ck_assert_ptr_nonnull(on.summary);
  HAS(on.summary, "fuzzy tier: ");

  /* --no-fuzzy: the exact finding byte for byte, nothing fuzzy. */
  run_rosters(&off, "off", 1);
  exact_off = lines_with(off.findings, "\"basis\": \"id_exact\"", &n_exact_off);
  ck_assert_uint_eq(count_lines(off.findings), 1);
  ck_assert_uint_eq(n_exact_off, 1);
  ck_assert_str_eq(exact_off, exact_on);
  HASNT(off.findings, "\"evidence\"");
  ck_assert_uint_eq(count_lines(off.possible), 0);
  HAS(off.summary, "fuzzy tier: off");

  free(exact_on);
  free(exact_off);
  free(typo);
  free(nb);
  run_out_dispose(&on);
  run_out_dispose(&off);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Issue 9: two valid IDs are two people; duplicates inside one school; a
 * mistyped ID one slip from two people's IDs. Rosters (line 1 the header):
 *
 *   moe                                      mohrss
 *   2 110105200803150117 王伟 S1             2 110105200803150133 王伟 J1
 *   3 110105200707040225 李娜 S2 grant 1000  3 110105200901010361 张敏 J3
 *   4 110105200807040225 李娜 S2 grant 1000  4 110105200901010365 张敏 J4
 *   5 110105200901010345 张敏 S3
 * all 在籍. Check characters (weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2,
 * sum mod 11 -> 1 0 X 9 8 7 6 5 4 3 2):
 *   11010520080315011: 137 = 12*11+5 -> '7'; ...013: 141 = 12*11+9 -> '3'
 *   11010520070704022: 161 = 14*11+7 -> '5'; the typed 2008 instead of
 *     2007: 164 = 14*11+10 -> '2' due, '5' kept: invalid
 *   11010520090101034: 106 = 9*11+7 -> '5'; ...036: 110 = 10*11+0 -> '1'
 *   110105200901010365: the first 17 of ...0361 with the check of ...0345:
 *     invalid.
 * 王伟 / 王伟: two valid IDs one digit apart (digit 17, the sequence: two
 *   boys born on one day in one town): 4 + 4 + 2 + 0 (sex: in the slip) +
 *   2 = 12, above 9, but both valid: possible, both_ids_valid; no finding.
 * 李娜 / 李娜 at one school: a slip in the birth year, check fails:
 *   8 + 4 + 0 (birth: in the slip) + 1 + 2 = 15: linked. The school holds
 *   her twice: duplicate_record (within) and, both paid, double_grant
 *   (within, 1000 at risk), basis id_typo.
 * 张敏 J4 (...0365) is one slip from S3's ...0345 (digit 17: 8 + 4 + 2 + 0
 *   + 2 = 16) and differs from J3's ...0361 in the check character only
 *   (8 + 4 + 2 + 1 + 2 = 17): both above 9, so it cannot say whose number
 *   it is: both pairs possible, ambiguous. S3 / J3 (both valid, digit 17):
 *   12, both_ids_valid. No finding: before issue 9 the three were merged
 *   into one person enrolled at three schools. */
static const char issue9_moe[] = "身份证号,姓名,学校代码,学籍状态,助学金\n"
                                 "110105200803150117,王伟,S1,在籍,0\n"
                                 "110105200707040225,李娜,S2,在籍,1000\n"
                                 "110105200807040225,李娜,S2,在籍,1000\n"
                                 "110105200901010345,张敏,S3,在籍,0\n";
static const char issue9_mohrss[] = "身份证号,姓名,学校代码,学籍状态,助学金\n"
                                    "110105200803150133,王伟,J1,在籍,0\n"
                                    "110105200901010361,张敏,J3,在籍,0\n"
                                    "110105200901010365,张敏,J4,在籍,0\n";

START_TEST(test_fuzzy_issue9_rules)
{
  run_out r;
  char *dup, *grant, *line;
  size_t n_dup, n_grant, n;
  memset(&r, 0, sizeof r);
  run_texts(&r, "issue9", 0, issue9_moe, issue9_mohrss);

  ck_assert_uint_eq(count_lines(r.findings), 2);
  dup = lines_with(r.findings, "\"type\": \"duplicate_record\"", &n_dup);
  grant = lines_with(r.findings, "\"type\": \"double_grant\"", &n_grant);
  ck_assert_uint_eq(n_dup, 1);
  ck_assert_uint_eq(n_grant, 1);
  HAS(dup, "\"scope\": \"within\"");
  HAS(dup, "\"basis\": \"id_typo\"");
  HAS(dup, "{\"roster\": \"moe\", \"line\": 3, ");
  HAS(dup, "{\"roster\": \"moe\", \"line\": 4, ");
  HAS(dup, "\"id_number\": \"110105200707040225\", \"name\": \"李娜\", "
           "\"id_valid\": true");
  HAS(dup, "\"level\": \"one_substitution_check_fails\", \"weight\": 8.0");
  HAS(dup,
      "{\"field\": \"birth_date\", \"level\": \"in_typo\", \"weight\": 0.0, ");
  HAS(grant, "\"amount_at_risk\": 1000");
  HAS(grant, "\"basis\": \"id_typo\"");
  HASNT(r.findings, "王伟");
  HASNT(r.findings, "张敏");

  /* possible.jsonl: four pairs, each with its reason. */
  ck_assert_uint_eq(count_lines(r.possible), 4);
  line = lines_with(r.possible, "\"review_reason\": \"both_ids_valid\"", &n);
  ck_assert_uint_eq(n, 2);
  HAS(line, "\"score\": 12.0");
  HAS(line, "\"110105200803150117\", \"id_valid\": true");
  HAS(line, "\"110105200803150133\", \"id_valid\": true");
  HAS(line, "\"110105200901010345\", \"id_valid\": true");
  HAS(line, "\"110105200901010361\", \"id_valid\": true");
  HAS(line, "人口信息核查");
  free(line);
  line = lines_with(r.possible, "\"review_reason\": \"ambiguous\"", &n);
  ck_assert_uint_eq(n, 2);
  HAS(line, "\"score\": 16.0");
  HAS(line, "\"score\": 17.0");
  HAS(line, "\"110105200901010365\", \"id_valid\": false");
  free(line);
  HAS(r.summary,
      "2 with two valid IDs for a population-registry check, 2 ambiguous");

  free(dup);
  free(grant);
  run_out_dispose(&r);
}
END_TEST

/* Human decisions outrank the model (issue 9.5): the rosters above as
 * 2026-10, then two decisions, then the same rosters as 2026-11.
 *   王伟 S1 / 王伟 J1 (two valid IDs): `same`: linked although two valid
 *     IDs are never linked by the model: dual_enrollment (cross), basis
 *     reviewed, confidence 1.
 *   张敏 J4 (...0365) / 张敏 S3 (...0345): `different`: no longer a link,
 *     so J4 reaches one valid ID only (J3's ...0361, check character only,
 *     17): linked, dual_enrollment within mohrss (J3, J4), basis id_typo.
 *   S3 / J3 stay a both_ids_valid pair; the decided pairs are not listed
 *     for review again. 李娜's two findings as before. */
START_TEST(test_fuzzy_review_next_period)
{
  run_out oct, nov;
  cc_review r;
  cc_db *db;
  char dbdir[400], *line;
  size_t n;
  memset(&oct, 0, sizeof oct);
  memset(&nov, 0, sizeof nov);
  run_period(&oct, "rev10", "rev", "2026-10", 0, issue9_moe, issue9_mohrss);
  ck_assert_uint_eq(count_lines(oct.findings), 2);
  ck_assert_uint_eq(count_lines(oct.possible), 4);

  db = tu_db_open(path_in(dbdir, sizeof dbdir, "db_rev"));
  memset(&r, 0, sizeof r);
  snprintf(r.id_a, sizeof r.id_a, "%s", "110105200803150117");
  snprintf(r.id_b, sizeof r.id_b, "%s", "110105200803150133");
  r.decision = CC_REVIEW_SAME;
  r.date = cc_date_from_ymd(2026, 11, 2);
  snprintf(r.by, sizeof r.by, "%s", "审核员甲");
  snprintf(r.note, sizeof r.note, "%s", "人口信息核查：同一人，旧号未注销");
  ck_assert_int_eq(cc_review_record(db, &r), 0);
  snprintf(r.id_a, sizeof r.id_a, "%s", "110105200901010365");
  snprintf(r.id_b, sizeof r.id_b, "%s", "110105200901010345");
  r.decision = CC_REVIEW_DIFFERENT;
  snprintf(r.note, sizeof r.note, "%s", "核实为不同的人");
  ck_assert_int_eq(cc_review_record(db, &r), 0);
  cc_db_close(db);

  run_period(&nov, "rev11", "rev", "2026-11", 0, issue9_moe, issue9_mohrss);
  ck_assert_uint_eq(count_lines(nov.findings), 4);
  line = lines_with(nov.findings, "\"name\": \"王伟\"", &n);
  ck_assert_uint_eq(n, 1);
  HAS(line, "\"type\": \"dual_enrollment\"");
  HAS(line, "\"scope\": \"cross\"");
  HAS(line, "\"basis\": \"reviewed\", \"confidence\": 1.0");
  free(line);
  line = lines_with(nov.findings, "\"name\": \"张敏\"", &n);
  ck_assert_uint_eq(n, 1);
  HAS(line, "\"type\": \"dual_enrollment\"");
  HAS(line, "\"scope\": \"within\"");
  HAS(line, "\"basis\": \"id_typo\"");
  HAS(line, "{\"roster\": \"mohrss\", \"line\": 3, ");
  HAS(line, "{\"roster\": \"mohrss\", \"line\": 4, ");
  HASNT(line, "\"roster\": \"moe\"");
  HAS(line, "\"level\": \"check_character_only\"");
  free(line);
  ck_assert_uint_eq(count_lines(nov.possible), 1);
  HAS(nov.possible, "\"review_reason\": \"both_ids_valid\"");
  HAS(nov.possible, "110105200901010345");
  HAS(nov.possible, "110105200901010361");
  HAS(nov.summary, "reviewer decisions honoured: 1 same, 1 different");
  run_out_dispose(&oct);
  run_out_dispose(&nov);
}
END_TEST

/* EM on a table whose answer is known: the expected counts of a mixture
 * with chosen m, u and shares of matches (exact expectations of 10^7
 * pairs per source, so the fit has nothing to learn but the truth). The
 * fields each source is selected on take one level there (they are left
 * out of its likelihood, whatever they hold). */
static const double em_m[CC_EV_COUNT_][4] = {{0.6, 0.2, 0.1, 0},
                                             {0.80, 0.15, 0.05},
                                             {0.95, 0.05},
                                             {0.98, 0.02},
                                             {0.85, 0.10, 0.05}};
static const double em_u[CC_EV_COUNT_][4] = {{0.001, 0.001, 0.001, 0},
                                             {0.04, 0.03, 0.93},
                                             {0.30, 0.70},
                                             {0.5, 0.5},
                                             {0.20, 0.05, 0.75}};

START_TEST(test_fuzzy_em_known)
{
  static uint64_t counts[CC_FUZZY_SOURCES][CC_FUZZY_PATTERNS];
  const double lambda[2] = {0.8, 0.05}, n = 1e7;
  cc_fuzzy_model m;
  uint8_t lv[CC_EV_COUNT_];
  unsigned p;
  int s, f, l;
  memset(counts, 0, sizeof counts);
  /* ID levels used: 0 (sub, check fails), 1 (swap), 2 (check only) and
   * 5 (different): m(5) = 0.1, u(5) = 0.997. */
  for (s = 0; s < 2; s++)
    for (p = 0; p < CC_FUZZY_PATTERNS; p++) {
      double pm = lambda[s], pu = 1 - lambda[s];
      cc_fuzzy_pattern_levels(lv, p);
      if (lv[CC_EV_BIRTH] == CC_TYPO || lv[CC_EV_SEX] == CC_TYPO ||
          lv[CC_EV_REGION] == CC_REGL_TYPO)
        continue;
      if (!(lv[0] <= 2 || lv[0] == 5))
        continue;
      if (s == 0 && lv[0] != 0)
        continue; /* selected on the ID: one level */
      if (s == 1 && (lv[1] != 0 || lv[2] != 0 || lv[3] != 0))
        continue; /* selected on name, birth date, sex */
      for (f = 0; f < CC_EV_COUNT_; f++) {
        if ((s == 0 && f == 0) || (s == 1 && f >= 1 && f <= 3))
          continue;
        if (f == 0) {
          pm *= lv[0] == 5 ? 0.1 : em_m[0][lv[0]];
          pu *= lv[0] == 5 ? 0.997 : em_u[0][lv[0]];
        } else {
          pm *= em_m[f][lv[f]];
          pu *= em_u[f][lv[f]];
        }
      }
      counts[s][p] = (uint64_t)((pm + pu) * n + 0.5);
    }
  cc_fuzzy_em(&m, (const uint64_t(*)[CC_FUZZY_PATTERNS])counts);
  ck_assert_int_eq(m.fitted, 1);
  ck_assert_msg(fabs(m.lambda_src[0] - 0.8) < 0.005, "lambda typo %f",
                m.lambda_src[0]);
  ck_assert_msg(fabs(m.lambda_src[1] - 0.05) < 0.005, "lambda blocks %f",
                m.lambda_src[1]);
  for (f = 1; f < CC_EV_COUNT_; f++)
    for (l = 0; l < cc_fuzzy_level_count(f); l++) {
      if (cc_fuzzy_level_is_typo(f, l))
        continue;
      ck_assert_msg(fabs(m.m[f][l] - em_m[f][l]) < 0.005, "m[%d][%d] %f", f, l,
                    m.m[f][l]);
      ck_assert_msg(fabs(m.u[f][l] - em_u[f][l]) < 0.005, "u[%d][%d] %f", f, l,
                    m.u[f][l]);
    }
  ck_assert_msg(fabs(m.m[0][5] - 0.1) < 0.005, "m id different %f", m.m[0][5]);
  ck_assert_msg(fabs(m.m[0][0] - 0.6) < 0.005, "m id sub %f", m.m[0][0]);
  ck_assert_msg(fabs(m.u[0][5] - 0.997) < 0.005, "u id different %f",
                m.u[0][5]);
  /* Weights: log2(m/u) within the documented bounds. name equal:
   * log2(0.80/0.04) = 4.32 (documented 4, bounds 2..8): 4.3. name
   * different: log2(0.05/0.93) = -4.22: -4.2. birth date different:
   * log2(0.05/0.70) = -3.81: -3.8. */
  ck_assert_int_eq(m.w10[CC_EV_NAME][CC_NAMEL_EQUAL], 43);
  ck_assert_int_eq(m.w10[CC_EV_NAME][CC_NAMEL_DIFFERENT], -42);
  ck_assert_int_eq(m.w10[CC_EV_BIRTH][CC_DIFFERENT], -38);
  /* sex different: log2(0.02/0.5) = -4.64, documented -5.5: -4.6. */
  ck_assert_int_eq(m.w10[CC_EV_SEX][CC_DIFFERENT], -46);
}
END_TEST

START_TEST(test_fuzzy_em_fallback)
{
  static uint64_t counts[CC_FUZZY_SOURCES][CC_FUZZY_PATTERNS];
  cc_fuzzy_model m, d;
  uint8_t lv[CC_EV_COUNT_] = {0, 0, 0, 0, 0};
  int f, l;
  memset(counts, 0, sizeof counts);
  /* 999 pairs: one short of a fit. */
  counts[0][cc_fuzzy_pattern(lv)] = 999;
  cc_fuzzy_em(&m, (const uint64_t(*)[CC_FUZZY_PATTERNS])counts);
  cc_fuzzy_model_default(&d);
  ck_assert_int_eq(m.fitted, 0);
  ck_assert_uint_eq(m.pairs, 999);
  ck_assert_ptr_nonnull(strstr(m.why, "too few candidate pairs"));
  for (f = 0; f < CC_EV_COUNT_; f++)
    for (l = 0; l < cc_fuzzy_level_count(f); l++)
      ck_assert_int_eq(m.w10[f][l], cc_fuzzy_weight10(f, l));
  ck_assert_int_eq(d.w10[CC_EV_ID][CC_IDL_SUB_FIX], 80);
  /* Patterns round-trip. */
  for (f = 0; f < CC_FUZZY_PATTERNS; f++) {
    uint8_t x[CC_EV_COUNT_];
    cc_fuzzy_pattern_levels(x, (unsigned)f);
    ck_assert_uint_eq(cc_fuzzy_pattern(x), (unsigned)f);
  }
}
END_TEST

/* The typo search's bit set, by hand. Three entries, hashes 0, 2^63 and
 * 0xFFF0...: 3 x 8 bits is under the least size, 4,096 bits, so a bit
 * is the top 12 bits of a hash (shift 52): bits 0, 2048 and 4095 set. */
START_TEST(test_fuzzy_id_filter)
{
  cc_index_entry e[3];
  cc_id_filter f;
  memset(e, 0, sizeof e);
  e[0].hash = 0;
  e[1].hash = UINT64_C(0x8000000000000000);
  e[2].hash = UINT64_C(0xFFF0000000000000);
  ck_assert_int_eq(cc_id_filter_build(&f, e, 3), 0);
  ck_assert_uint_eq(f.shift, 52);
  ck_assert_int_eq(cc_id_filter_may_have(&f, 0), 1);
  /* Same top 12 bits as an entry: may be there (a false positive). */
  ck_assert_int_eq(cc_id_filter_may_have(&f, UINT64_C(0x000FFFFFFFFFFFFF)), 1);
  ck_assert_int_eq(cc_id_filter_may_have(&f, UINT64_C(0x8000000000000001)), 1);
  ck_assert_int_eq(cc_id_filter_may_have(&f, UINT64_C(0xFFFFFFFFFFFFFFFF)), 1);
  /* Bits 1, 2047 and 4094: nobody's. */
  ck_assert_int_eq(cc_id_filter_may_have(&f, UINT64_C(0x0010000000000000)), 0);
  ck_assert_int_eq(cc_id_filter_may_have(&f, UINT64_C(0x7FFFFFFFFFFFFFFF)), 0);
  ck_assert_int_eq(cc_id_filter_may_have(&f, UINT64_C(0xFFE0000000000000)), 0);
  cc_id_filter_free(&f);
  ck_assert_ptr_null(f.bits);
  /* No filter, or a freed one: every ID may be there. */
  ck_assert_int_eq(cc_id_filter_may_have(NULL, 1), 1);
  ck_assert_int_eq(cc_id_filter_may_have(&f, 1), 1);
}
END_TEST

/* Sizes: at least 8 bits an entry, a power of two. 1,000 entries: 8,192
 * bits (shift 51); 1,024: exactly 8,192; 1,025: 16,384 (shift 50). None
 * of 1,000 entries' bits is lost. */
START_TEST(test_fuzzy_id_filter_sizes)
{
  static const size_t n[3] = {1000, 1024, 1025};
  static const unsigned shift[3] = {51, 51, 50};
  cc_index_entry *e = calloc(1025, sizeof *e);
  size_t i, t;
  ck_assert_ptr_nonnull(e);
  for (i = 0; i < 1025; i++)
    e[i].hash = (uint64_t)(i + 1) * UINT64_C(0x9E3779B97F4A7C15);
  for (t = 0; t < 3; t++) {
    cc_id_filter f;
    size_t set = 0;
    ck_assert_int_eq(cc_id_filter_build(&f, e, n[t]), 0);
    ck_assert_uint_eq(f.shift, shift[t]);
    for (i = 0; i < n[t]; i++)
      ck_assert_int_eq(cc_id_filter_may_have(&f, e[i].hash), 1);
    for (i = 0; i < ((size_t)1 << (64 - f.shift)) / 64; i++)
      set += (size_t)__builtin_popcountll(f.bits[i]);
    ck_assert_uint_le(set, n[t]);
    ck_assert_uint_ge(set, n[t] * 7 / 8); /* few collide at 8 bits each */
    cc_id_filter_free(&f);
  }
  free(e);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *fuzzy_suite(void)
{
  Suite *s = suite_create("fuzzy");
  TCase *core = tcase_create("Core");
  TCase *limits = tcase_create("Limits");

  tcase_add_loop_test(core, test_fuzzy_id_level, 0,
                      (int)(sizeof id_core / sizeof id_core[0]));
  tcase_add_test(core, test_fuzzy_id_level_every_slip);
  tcase_add_loop_test(core, test_fuzzy_score, 0,
                      (int)(sizeof score_core / sizeof score_core[0]));
  tcase_add_test(core, test_fuzzy_score_names);
  tcase_add_test(core, test_fuzzy_block_keys_heteronyms);
  tcase_add_loop_test(core, test_fuzzy_block_keys, 0,
                      (int)(sizeof key_core / sizeof key_core[0]));
  tcase_add_loop_test(core, test_fuzzy_confidence, 0,
                      (int)(sizeof conf_core / sizeof conf_core[0]));
  tcase_add_test(core, test_fuzzy_codes);
  tcase_add_test(core, test_fuzzy_thresholds);
  tcase_add_checked_fixture(core, setup, teardown);
  tcase_add_test(core, test_fuzzy_run_monthly);
  tcase_add_test(core, test_fuzzy_issue9_rules);
  tcase_add_test(core, test_fuzzy_review_next_period);
  tcase_add_test(core, test_fuzzy_em_known);
  tcase_add_test(core, test_fuzzy_em_fallback);
  tcase_set_timeout(core, 120);
  suite_add_tcase(s, core);

  tcase_add_loop_test(limits, test_fuzzy_id_level_limits, 0,
                      (int)(sizeof id_limits / sizeof id_limits[0]));
  tcase_add_loop_test(limits, test_fuzzy_score_limits, 0,
                      (int)(sizeof score_limits / sizeof score_limits[0]));
  tcase_add_test(limits, test_fuzzy_block_keys_limits);
  tcase_add_test(limits, test_fuzzy_id_filter);
  tcase_add_test(limits, test_fuzzy_id_filter_sizes);
  tcase_add_test(limits, test_fuzzy_confidence_limits);
  tcase_add_test(limits, test_fuzzy_codes_limits);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  return tu_main(fuzzy_suite, root, sizeof root, "fuzzy");
}
