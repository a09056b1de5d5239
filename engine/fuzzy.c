/*
 * fuzzy.c - the fuzzy tier: one person under different IDs (SPEC 2.3,
 * docs/FUZZY.md).
 *
 * Owns the field comparisons and their Fellegi-Sunter weights, the two
 * sources of candidate pairs, the scoring, and the linking of pairs into
 * persons whose findings person.c then decides with the same rules as the
 * exact tier.
 *
 * Candidates come without comparing every record with every other:
 *   - typo search: a record whose ID fails its checks is a typo more often
 *     than not. Its one-edit neighbours (a digit of 1-17 replaced, two
 *     adjacent digits swapped, the check character replaced; a digit
 *     inserted into a 17-digit number) that pass every check are looked up
 *     in the exact index. Only the neighbours whose check character works
 *     out are looked up, about one in eleven: some 15-35 look-ups per
 *     invalid record.
 *   - blocks: the blocking entries (made while reading, sorted and kept in
 *     memory by the index stage) group records by pinyin of the name, birth
 *     date and sex; the records of one block with different IDs are
 *     candidates. This finds typos that keep the check valid and
 *     names typed as homophones or in traditional characters.
 * Both run on every thread (hash ranges or seeds split by OpenMP), each with
 * its own read transaction. Scored pairs are merged, sorted and
 * de-duplicated, so the result does not depend on the thread count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>
/* Inlined: the blocking keys hash some 18 bytes a few times per record,
 * where a call into the shared library costs as much as the hash. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "chachong/name_match.h"
#include "chachong/review.h"
#include "buf_internal.h"
#include "error_internal.h"
#include "finding_internal.h"
#include "fuzzy_internal.h"
#include "grow_internal.h"
#include "mem_internal.h"

/* ------------------------------------------------------------------ */
/* Weights (the levels' codes and Chinese names are the finding's:
 * finding.c). */

/*
 * Weights are log2(m/u) x 10: m = P(level | one person), u = P(level | two
 * people) among candidate pairs. The m values follow the typist's errors
 * planted by the generator and reported in record-linkage practice (one
 * slip per ID at most; names typed through a pinyin input method); the u
 * values are what two different people who fall in one block, or whose IDs
 * are one edit apart, show (docs/RULES.md gives both for every level).
 * Birth date, sex and region are read from the IDs; where the two IDs
 * differ by one slip, the field holding the slip says nothing the ID level
 * has not said already (it is not independent evidence), so it weighs 0.
 */
static const int id_w10[CC_IDL_COUNT_] = {80, 80, 80, 40, 40, -60, 80};
static const int name_w10[3] = {40, 20, -60}; /* equal, homophone, different */
static const int birth_w10[3] = {20, -35, 0}; /* equal, different, in_typo */
static const int sex_w10[3] = {10, -55, 0};   /* equal, different, in_typo */
static const int region_w10[4] = {20, 5, -45, 0}; /* county, province,
                                                     different, in_typo */

int cc_fuzzy_weight10(int field, int level)
{
  switch (field) {
  case CC_EV_ID:
    return level >= 0 && level < CC_IDL_COUNT_ ? id_w10[level] : 0;
  case CC_EV_NAME:
    return level >= 0 && level < 3 ? name_w10[level] : 0;
  case CC_EV_BIRTH:
    return level >= 0 && level < 3 ? birth_w10[level] : 0;
  case CC_EV_SEX:
    return level >= 0 && level < 3 ? sex_w10[level] : 0;
  case CC_EV_REGION:
    return level >= 0 && level < 4 ? region_w10[level] : 0;
  default:
    return 0;
  }
}

cc_id_level cc_fuzzy_id_level(const char *a, size_t la, int valid_a,
                              const char *b, size_t lb, int valid_b)
{
  int diff[18], nd = 0, check_differs, one_valid = valid_a != valid_b;
  size_t i;
  if ((la == 17 && lb == 18) || (la == 18 && lb == 17)) {
    /* A character left out: the 17 is the 18 less one of its characters. */
    const char *s17 = la == 17 ? a : b, *s18 = la == 17 ? b : a;
    size_t p = 0;
    while (p < 17 && s17[p] == s18[p])
      p++;
    return memcmp(s17 + p, s18 + p + 1, 17 - p) == 0 ? CC_IDL_DIGIT_MISSING
                                                     : CC_IDL_OTHER;
  }
  if (la != 18 || lb != 18)
    return CC_IDL_OTHER;
  for (i = 0; i < 17; i++)
    if (a[i] != b[i]) {
      if (nd == 2)
        return CC_IDL_OTHER;
      diff[nd++] = (int)i;
    }
  check_differs = a[17] != b[17];
  if (nd == 0)
    return check_differs ? CC_IDL_CHECK_ONLY : CC_IDL_OTHER;
  if (nd == 1) {
    /* A slip leaves the check character as it was: exactly one of the two
     * fails. A slip whose check was recomputed gives two valid IDs. */
    if (!check_differs && one_valid)
      return CC_IDL_SUB_FIX;
    if (valid_a && valid_b)
      return CC_IDL_SUB_VALID;
    return CC_IDL_OTHER;
  }
  if (diff[1] == diff[0] + 1 && a[diff[0]] == b[diff[1]] &&
      a[diff[1]] == b[diff[0]]) {
    if (!check_differs && one_valid)
      return CC_IDL_SWAP_FIX;
    if (valid_a && valid_b)
      return CC_IDL_SWAP_VALID;
  }
  return CC_IDL_OTHER;
}

void cc_fuzzy_levels(uint8_t out[CC_EV_COUNT_], const char *id_a, size_t la,
                     int valid_a, const char *id_b, size_t lb, int valid_b,
                     const char *name_a, size_t na, const char *name_b,
                     size_t nb)
{
  int level[CC_EV_COUNT_], f;
  cc_name_relation rel = cc_name_compare(name_a, na, name_b, nb);
  level[CC_EV_ID] = cc_fuzzy_id_level(id_a, la, valid_a, id_b, lb, valid_b);
  level[CC_EV_NAME] = rel == CC_NAME_EQUAL       ? CC_NAMEL_EQUAL
                      : rel == CC_NAME_HOMOPHONE ? CC_NAMEL_HOMOPHONE
                                                 : CC_NAMEL_DIFFERENT;
  level[CC_EV_BIRTH] =
      la >= 14 && lb >= 14 && memcmp(id_a + 6, id_b + 6, 8) == 0 ? CC_SAME
                                                                 : CC_DIFFERENT;
  /* Digit 17 is odd for men, even for women. */
  level[CC_EV_SEX] =
      la >= 17 && lb >= 17 && (id_a[16] - '0') % 2 == (id_b[16] - '0') % 2
          ? CC_SAME
          : CC_DIFFERENT;
  level[CC_EV_REGION] = memcmp(id_a, id_b, 6) == 0   ? CC_REGL_COUNTY
                        : memcmp(id_a, id_b, 2) == 0 ? CC_REGL_PROVINCE
                                                     : CC_REGL_DIFFERENT;
  if (level[CC_EV_ID] == CC_IDL_DIGIT_MISSING) {
    /* Birth date, sex and county of the 17 are shifted by the missing
     * character: they say nothing the ID level has not said. */
    level[CC_EV_BIRTH] = CC_TYPO;
    level[CC_EV_SEX] = CC_TYPO;
    level[CC_EV_REGION] = CC_REGL_TYPO;
  } else if (level[CC_EV_ID] != CC_IDL_OTHER && la == 18 && lb == 18) {
    /* One slip: the fields it falls in are explained by it. */
    size_t i;
    for (i = 0; i < 17; i++) {
      if (id_a[i] == id_b[i])
        continue;
      if (i < 6)
        level[CC_EV_REGION] = CC_REGL_TYPO;
      else if (i < 14)
        level[CC_EV_BIRTH] = CC_TYPO;
      else if (i == 16)
        level[CC_EV_SEX] = CC_TYPO;
    }
  }
  for (f = 0; f < CC_EV_COUNT_; f++)
    out[f] = (uint8_t)level[f];
}

int cc_fuzzy_score(cc_evidence ev[CC_EV_COUNT_], const char *id_a, size_t la,
                   int valid_a, const char *id_b, size_t lb, int valid_b,
                   const char *name_a, size_t na, const char *name_b, size_t nb)
{
  uint8_t level[CC_EV_COUNT_];
  int f, score = 0;
  cc_fuzzy_levels(level, id_a, la, valid_a, id_b, lb, valid_b, name_a, na,
                  name_b, nb);
  for (f = 0; f < CC_EV_COUNT_; f++) {
    ev[f].field = (uint8_t)f;
    ev[f].level = level[f];
    ev[f].weight10 = (int16_t)cc_fuzzy_weight10(f, level[f]);
    score += ev[f].weight10;
  }
  return score;
}

/* ------------------------------------------------------------------ */
/* The model: documented m and u, and the month's own by EM. */

/* Levels per field, and the level that carries no evidence (-1: none). */
static const int n_levels[CC_EV_COUNT_] = {CC_IDL_COUNT_, 3, 3, 3, 4};
static const int typo_level[CC_EV_COUNT_] = {-1, -1, CC_TYPO, CC_TYPO,
                                             CC_REGL_TYPO};

/*
 * The documented values (docs/RULES.md): m = P(level | one person), u =
 * P(level | two people), each field's column adding up to 1 over the
 * levels that carry evidence. Their log2(m/u), rounded to halves, are the
 * weights of the level tables above.
 */
static const double doc_m[CC_EV_COUNT_][CC_FUZZY_LEVELS_MAX] = {
    {0.550, 0.180, 0.090, 0.070, 0.016, 0.014, 0.080},
    {0.850, 0.136, 0.014},
    {0.920, 0.080},
    {0.990, 0.010},
    {0.920, 0.050, 0.030},
};
static const double doc_u[CC_EV_COUNT_][CC_FUZZY_LEVELS_MAX] = {
    {0.0025, 0.0008, 0.0004, 0.0045, 0.0010, 0.99048, 0.00032},
    {0.053, 0.034, 0.913},
    {0.230, 0.770},
    {0.500, 0.500},
    {0.230, 0.035, 0.735},
};
/* The prior's strength, in pairs of each class, and the weight bound. */
#define EM_PRIOR 10.0
#define EM_MAX_W10 150
#define EM_MAX_ITER 20000

int cc_fuzzy_level_count(int field)
{
  return field >= 0 && field < CC_EV_COUNT_ ? n_levels[field] : 0;
}

int cc_fuzzy_level_is_typo(int field, int level)
{
  return field >= 0 && field < CC_EV_COUNT_ && level == typo_level[field];
}

unsigned cc_fuzzy_pattern(const uint8_t level[CC_EV_COUNT_])
{
  unsigned p = 0;
  int f;
  for (f = 0; f < CC_EV_COUNT_; f++)
    p = p * (unsigned)n_levels[f] +
        (level[f] < n_levels[f] ? level[f] : (unsigned)n_levels[f] - 1);
  return p;
}

void cc_fuzzy_pattern_levels(uint8_t level[CC_EV_COUNT_], unsigned p)
{
  int f;
  for (f = CC_EV_COUNT_ - 1; f >= 0; f--) {
    level[f] = (uint8_t)(p % (unsigned)n_levels[f]);
    p /= (unsigned)n_levels[f];
  }
}

void cc_fuzzy_model_default(cc_fuzzy_model *out)
{
  int f, l;
  memset(out, 0, sizeof *out);
  out->lambda = 0.01;
  for (f = 0; f < CC_EV_COUNT_; f++)
    for (l = 0; l < n_levels[f]; l++) {
      out->m[f][l] = doc_m[f][l];
      out->u[f][l] = doc_u[f][l];
      out->w10[f][l] = (int16_t)cc_fuzzy_weight10(f, l);
    }
  out->why = "documented values";
}

int cc_fuzzy_model_score(const cc_fuzzy_model *m,
                         const uint8_t level[CC_EV_COUNT_])
{
  int f, s = 0;
  for (f = 0; f < CC_EV_COUNT_; f++)
    s += m->w10[f][level[f] < CC_FUZZY_LEVELS_MAX ? level[f] : 0];
  return s;
}

/* A fitted weight, x 10: within a factor of two of the documented one
 * (same sign, at least half and at most twice its size, at most 15), so a
 * month's data can tune the model but not overturn it. */
static int16_t fitted_w10(double m, double u, int doc)
{
  double w = 10.0 * __builtin_log2(m / u);
  long r = w >= 0 ? (long)(w + 0.5) : -(long)(-w + 0.5);
  long lo = doc >= 0 ? doc / 2 : 2L * doc, hi = doc >= 0 ? 2L * doc : doc / 2;
  if (lo < -EM_MAX_W10)
    lo = -EM_MAX_W10;
  if (hi > EM_MAX_W10)
    hi = EM_MAX_W10;
  if (r < lo)
    r = lo;
  if (r > hi)
    r = hi;
  return (int16_t)r;
}

/* The fields each source of candidates selected its pairs on: they say
 * nothing about that source's pairs and are left out of its likelihood. */
static const uint8_t selected_on[CC_FUZZY_SOURCES][CC_EV_COUNT_] = {
    /* typo search: the ID one slip from an invalid one */
    {1, 0, 0, 0, 0},
    /* blocks: the name's sound with birth date and sex, or with county */
    {0, 1, 1, 1, 0},
};

void cc_fuzzy_em(cc_fuzzy_model *out,
                 const uint64_t counts[CC_FUZZY_SOURCES][CC_FUZZY_PATTERNS])
{
  uint8_t lv[CC_FUZZY_PATTERNS][CC_EV_COUNT_];
  double total[CC_FUZZY_SOURCES] = {0}, all = 0;
  double(*g)[CC_FUZZY_PATTERNS] = malloc(CC_FUZZY_SOURCES * sizeof *g);
  cc_fuzzy_model m;
  unsigned p;
  int it, f, l, s;

  cc_fuzzy_model_default(out);
  for (p = 0; p < CC_FUZZY_PATTERNS; p++)
    cc_fuzzy_pattern_levels(lv[p], p);
  for (s = 0; s < CC_FUZZY_SOURCES; s++)
    for (p = 0; p < CC_FUZZY_PATTERNS; p++)
      total[s] += (double)counts[s][p];
  all = total[0] + total[1];
  out->pairs = (uint64_t)all;
  if (g == NULL) {
    out->why = "out of memory for the fit: documented values";
    return;
  }
  if (all < CC_FUZZY_EM_MIN_PAIRS) {
    out->why = "too few candidate pairs to fit: documented values";
    free(g);
    return;
  }
  m = *out;
  for (s = 0; s < CC_FUZZY_SOURCES; s++)
    m.lambda_src[s] = s == 0 ? 0.5 : 0.01;
  for (it = 1; it <= EM_MAX_ITER; it++) {
    double sm[CC_EV_COUNT_][CC_FUZZY_LEVELS_MAX],
        su[CC_EV_COUNT_][CC_FUZZY_LEVELS_MAX];
    double delta = 0, gm_all = 0;
    /* E: the probability that each pattern's pairs are one person. */
    for (s = 0; s < CC_FUZZY_SOURCES; s++) {
      double gm = 0, lambda;
      for (p = 0; p < CC_FUZZY_PATTERNS; p++) {
        double pm = m.lambda_src[s], pu = 1.0 - m.lambda_src[s];
        if (counts[s][p] == 0)
          continue;
        for (f = 0; f < CC_EV_COUNT_; f++) {
          if (selected_on[s][f] || lv[p][f] == typo_level[f])
            continue;
          pm *= m.m[f][lv[p][f]];
          pu *= m.u[f][lv[p][f]];
        }
        g[s][p] = pm + pu > 0 ? pm / (pm + pu) : 0;
        gm += g[s][p] * (double)counts[s][p];
      }
      lambda = total[s] > 0 ? gm / total[s] : m.lambda_src[s];
      if (lambda < 1e-9)
        lambda = 1e-9;
      if (lambda > 1 - 1e-9)
        lambda = 1 - 1e-9;
      if (__builtin_fabs(lambda - m.lambda_src[s]) / m.lambda_src[s] > delta)
        delta = __builtin_fabs(lambda - m.lambda_src[s]) / m.lambda_src[s];
      m.lambda_src[s] = lambda;
      gm_all += gm;
    }
    m.lambda = gm_all / all;
    /* M: the expected counts of each level in each class, over the pairs
     * that were not selected on the field, with the documented values as a
     * prior worth EM_PRIOR pairs per class. */
    memset(sm, 0, sizeof sm);
    memset(su, 0, sizeof su);
    for (s = 0; s < CC_FUZZY_SOURCES; s++)
      for (p = 0; p < CC_FUZZY_PATTERNS; p++) {
        double c = (double)counts[s][p];
        if (c == 0)
          continue;
        for (f = 0; f < CC_EV_COUNT_; f++)
          if (!selected_on[s][f]) {
            sm[f][lv[p][f]] += c * g[s][p];
            su[f][lv[p][f]] += c * (1.0 - g[s][p]);
          }
      }
    for (f = 0; f < CC_EV_COUNT_; f++) {
      double tm = EM_PRIOR, tu = EM_PRIOR;
      for (l = 0; l < n_levels[f]; l++)
        if (l != typo_level[f]) {
          tm += sm[f][l];
          tu += su[f][l];
        }
      for (l = 0; l < n_levels[f]; l++) {
        double nm, nu;
        if (l == typo_level[f])
          continue;
        nm = (sm[f][l] + EM_PRIOR * doc_m[f][l]) / tm;
        nu = (su[f][l] + EM_PRIOR * doc_u[f][l]) / tu;
        if (__builtin_fabs(nm - m.m[f][l]) / m.m[f][l] > delta)
          delta = __builtin_fabs(nm - m.m[f][l]) / m.m[f][l];
        if (__builtin_fabs(nu - m.u[f][l]) / m.u[f][l] > delta)
          delta = __builtin_fabs(nu - m.u[f][l]) / m.u[f][l];
        m.m[f][l] = nm;
        m.u[f][l] = nu;
      }
    }
    m.iterations = it;
    if (delta < 1e-6)
      break;
  }
  free(g);
  if (m.lambda * all < CC_FUZZY_EM_MIN_MATCHES) {
    out->iterations = m.iterations;
    out->why = "too few likely matches to fit: documented values";
    return;
  }
  for (f = 0; f < CC_EV_COUNT_; f++)
    for (l = 0; l < n_levels[f]; l++)
      m.w10[f][l] = l == typo_level[f] ? 0
                                       : fitted_w10(m.m[f][l], m.u[f][l],
                                                    cc_fuzzy_weight10(f, l));
  m.fitted = 1;
  m.why = "fitted to this month's candidate pairs";
  *out = m;
}

uint16_t cc_fuzzy_confidence(int score10)
{
  /* odds = 2^(score - 6.6); p = odds / (1 + odds) */
  double x = score10 / 10.0 - 6.6, p;
  if (x > 30)
    return 10000;
  p = 1.0 / (1.0 + __builtin_exp2(-x));
  return (uint16_t)(p * 10000.0 + 0.5);
}

/* ------------------------------------------------------------------ */
/* Blocking key. */

int cc_fuzzy_block_keys(uint64_t out[CC_FUZZY_BLOCK_KEYS_MAX],
                        const cc_record *r)
{
  uint64_t names[CC_NAME_PINYIN_KEYS_MAX];
  unsigned char key[8 + 1 + 8 + 1];
  const char *id = r->id;
  int n, i, t;
  if (r->id_len != 18 || r->name_folded.len == 0)
    return 0;
  /* One key per combination of the name's readings (cc_name_pinyin_keys),
   * so that homophones through any reading meet in a block. */
  n = cc_name_pinyin_keys(names, NULL, r->name_folded.ptr, r->name_folded.len);
  if (n <= 0)
    return 0;
  for (i = 0; i < n; i++) {
    for (t = 0; t < 8; t++)
      key[t] = (unsigned char)(names[i] >> (56 - 8 * t));
    /* Key 1: name, birth date, sex: a slip in the county or the sequence
     * digits keeps it. */
    key[8] = 0x1F;
    memcpy(key + 9, id + 6, 8);
    key[17] = (unsigned char)('0' + (id[16] - '0') % 2);
    out[2 * i] = XXH3_64bits(key, 18);
    /* Key 2: name, county and sequence digits 15-16: a slip in the birth
     * date or the sex digit 17 keeps it (key 1 misses a slip in digit 17
     * that changes the parity). */
    key[8] = 0x1E;
    memcpy(key + 9, id, 6);
    memcpy(key + 15, id + 14, 2);
    out[2 * i + 1] = XXH3_64bits(key, 17);
  }
  return 2 * n;
}

/* ------------------------------------------------------------------ */
/* The IDs' bit set (fuzzy_internal.h). */

int cc_id_filter_build(cc_id_filter *f, const cc_index_entry *e, size_t n)
{
  unsigned bits = 12; /* at least 4,096 bits */
  size_t i;
  /* At least 8 bits per entry: a free bit at least 7 times in 8. */
  while (bits < 40 && ((uint64_t)1 << bits) < (uint64_t)n * 8)
    bits++;
  f->shift = 64 - bits;
  f->bits = calloc((size_t)1 << (bits - 6), sizeof *f->bits);
  if (f->bits == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  for (i = 0; i < n; i++) {
    uint64_t b = e[i].hash >> f->shift;
    f->bits[b >> 6] |= (uint64_t)1 << (b & 63);
  }
  return 0;
}

void cc_id_filter_free(cc_id_filter *f)
{
  free(f->bits);
  f->bits = NULL;
}

/* ------------------------------------------------------------------ */
/* Candidate pairs. */

typedef struct node {
  uint64_t hash; /* idx key: ID hash | roster | line */
  uint32_t line;
  uint16_t roster;
  uint16_t vec;  /* a pair's: the pair_vec that keeps its record's item, */
  uint32_t item; /* and where in its items (neither is part of the key) */
} node;

/* Flags of a pair. An anchor is an ID the police issued as far as the
 * number can tell: 18 characters, every check passed, not upgraded from a
 * 15-digit number (whose check character the upgrade computed). */
enum {
  PF_ANCHOR_A = 1,
  PF_ANCHOR_B = 2, /* a's (b's) ID is an anchor */
  PF_SAME = 4,
  PF_DIFFERENT = 8 /* a reviewer's decision on the pair */
};

/* What becomes of a scored pair (decide_pairs). */
enum {
  FATE_DROP = 0,          /* below the lower threshold */
  FATE_LINK,              /* one person */
  FATE_POSSIBLE,          /* between the thresholds: for review */
  FATE_BOTH_VALID,        /* above the upper threshold, but two valid IDs */
  FATE_AMBIGUOUS,         /* linking it would merge two valid IDs */
  FATE_NAME_DIFFERS,      /* above the upper threshold, but the names differ */
  FATE_REVIEWED_DIFFERENT /* a reviewer said two people */
};

typedef struct pair {
  node a, b;       /* a < b */
  int16_t score10; /* under the model in use (cc_fuzzy_run) */
  uint8_t basis;
  uint8_t flags; /* PF_* */
  uint8_t fate;  /* FATE_* */
  uint8_t level[CC_EV_COUNT_];
} pair;

typedef struct pair_vec {
  pair *p;
  size_t n, cap;
  cc_index_item *items; /* the pairs' records, as the search read
                                    them (node.item indexes them) */
  size_t n_items, cap_items;
  const cc_generic_ids
      *generic;            /* IDs left out (docs/RULES.md, Data quality) */
  const cc_id_filter *ids; /* the generation's IDs, for the typo search */
  uint16_t id;             /* this vector's place among the threads' */
} pair_vec;

/* The record of a pair's node, kept by the pair_vec that found the pair. */
static const cc_index_item *item_of(const pair_vec *vecs, const node *n)
{
  return &vecs[n->vec].items[n->item];
}

static int node_cmp(const node *a, const node *b)
{
  if (a->hash != b->hash)
    return a->hash < b->hash ? -1 : 1;
  if (a->roster != b->roster)
    return a->roster < b->roster ? -1 : 1;
  return a->line < b->line ? -1 : a->line > b->line;
}

static int pair_cmp(const void *x, const void *y)
{
  const pair *p = x, *q = y;
  int c = node_cmp(&p->a, &q->a);
  if (c)
    return c;
  c = node_cmp(&p->b, &q->b);
  if (c)
    return c;
  return (int)p->basis - (int)q->basis; /* id_typo before name_birth */
}

static int is_anchor(const cc_index_item *x)
{
  return x->id_verdict == CC_ID_VALID && x->id_len == 18 && !x->id_upgraded;
}

/* Compares x with y and keeps the pair, whatever its score: the month's
 * weights are fitted to every candidate pair before any is decided. Pairs
 * of one school count too: a school can register one student twice. */
static int consider(pair_vec *v, const cc_index_item *x, const cc_index_item *y,
                    int basis)
{
  pair p;
  node nx = {x->hash, x->line, x->roster, v->id, 0},
       ny = {y->hash, y->line, y->roster, v->id, 0};
  int swap;
  if (x->id_len == y->id_len && memcmp(x->id, y->id, x->id_len) == 0)
    return 0; /* the exact tier's */
  if (cc_generic_ids_has(v->generic, x->hash, x->id, x->id_len) ||
      cc_generic_ids_has(v->generic, y->hash, y->id, y->id_len))
    return 0; /* a placeholder ID carried by more records than a person has */
  if (v->n_items + 2 > UINT32_MAX)
    return cc_error_set(CC_ENOMEM, "too many candidate pairs");
  if (cc_mem_grow((void **)&v->items, &v->cap_items, v->n_items + 2,
                  sizeof *v->items) < 0)
    return cc_error_set(CC_ENOMEM, "out of memory");
  nx.item = (uint32_t)v->n_items;
  v->items[v->n_items++] = *x;
  ny.item = (uint32_t)v->n_items;
  v->items[v->n_items++] = *y;
  memset(&p, 0, sizeof p);
  cc_fuzzy_levels(p.level, x->id, x->id_len, x->id_verdict == CC_ID_VALID,
                  y->id, y->id_len, y->id_verdict == CC_ID_VALID,
                  x->name_folded, x->name_folded_len, y->name_folded,
                  y->name_folded_len);
  p.basis = (uint8_t)basis;
  swap = node_cmp(&nx, &ny) > 0;
  p.a = swap ? ny : nx;
  p.b = swap ? nx : ny;
  if (is_anchor(swap ? y : x))
    p.flags |= PF_ANCHOR_A;
  if (is_anchor(swap ? x : y))
    p.flags |= PF_ANCHOR_B;
  if (cc_mem_grow((void **)&v->p, &v->cap, v->n + 1, sizeof *v->p) < 0)
    return cc_error_set(CC_ENOMEM, "out of memory");
  v->p[v->n++] = p;
  return 1;
}

static int id_valid18(const char *id)
{
  int y, m, d, p;
  if (cc_id_check_char(id) != id[17])
    return 0;
  p = (id[0] - '0') * 10 + (id[1] - '0');
  if (!((p >= 11 && p <= 15) || (p >= 21 && p <= 23) || (p >= 31 && p <= 37) ||
        (p >= 41 && p <= 46) || (p >= 50 && p <= 54) || (p >= 61 && p <= 65) ||
        p == 71 || (p >= 81 && p <= 83)))
    return 0;
  y = (id[6] - '0') * 1000 + (id[7] - '0') * 100 + (id[8] - '0') * 10 +
      (id[9] - '0');
  m = (id[10] - '0') * 10 + (id[11] - '0');
  d = (id[12] - '0') * 10 + (id[13] - '0');
  return cc_date_valid(y, m, d);
}

/* Looks up every record whose cleaned ID is `id` and considers it against
 * the seed. */
static int lookup_variant(pair_vec *v, cc_idx_cursor *cur,
                          const cc_index_item *seed, const char *id, int *count)
{
  uint64_t h = cc_id_hash(id, 18);
  cc_index_item y;
  int irc, rc;
  if (!cc_id_filter_may_have(v->ids, h))
    return 0; /* nobody's ID */
  for (irc = cc_idx_seek(cur, &y, h, 0, 0); irc == 0 && y.hash == h;
       irc = cc_idx_next(cur, &y)) {
    if (y.id_len != 18 || memcmp(y.id, id, 18) != 0)
      continue;
    (*count)++;
    if ((rc = consider(v, seed, &y, CC_BASIS_ID_TYPO)) < 0)
      return rc;
  }
  return irc < 0 && irc != CC_ENOTFOUND ? irc : 0;
}

/* The one-edit neighbours of an invalid ID that pass every check. */
static int typo_search(pair_vec *v, cc_idx_cursor *cur,
                       const cc_index_item *seed, uint64_t *scored)
{
  char id[19], base[19];
  int p, d, rc, count = 0;
  memset(base, 0, sizeof base);
  if (seed->id_len == 18) {
    memcpy(base, seed->id, 18);
    /* A digit of 1-17 replaced (the check character stays as typed). */
    for (p = 0; p < 17; p++)
      for (d = 0; d < 10; d++) {
        if (base[p] == '0' + d)
          continue;
        memcpy(id, base, 19);
        id[p] = (char)('0' + d);
        if (id_valid18(id) &&
            (rc = lookup_variant(v, cur, seed, id, &count)) < 0)
          return rc;
      }
    /* Two adjacent digits swapped. */
    for (p = 0; p + 1 < 17; p++) {
      if (base[p] == base[p + 1])
        continue;
      memcpy(id, base, 19);
      id[p] = base[p + 1];
      id[p + 1] = base[p];
      if (id_valid18(id) && (rc = lookup_variant(v, cur, seed, id, &count)) < 0)
        return rc;
    }
    /* The check character mistyped. */
    memcpy(id, base, 19);
    id[17] = cc_id_check_char(id);
    if (id[17] != base[17] && id_valid18(id) &&
        (rc = lookup_variant(v, cur, seed, id, &count)) < 0)
      return rc;
  } else if (seed->id_len == 17) {
    /* A digit left out: insert one anywhere in 1-17 (the last of the 17
     * typed characters stays the check character). */
    for (p = 0; p <= 16; p++)
      for (d = 0; d < 10; d++) {
        memcpy(id, seed->id, (size_t)p);
        id[p] = (char)('0' + d);
        memcpy(id + p + 1, seed->id + p, (size_t)(17 - p));
        id[18] = '\0';
        if (id_valid18(id) &&
            (rc = lookup_variant(v, cur, seed, id, &count)) < 0)
          return rc;
      }
    /* The check character left out. */
    memcpy(id, seed->id, 17);
    id[17] = cc_id_check_char(id);
    id[18] = '\0';
    if (id_valid18(id) && (rc = lookup_variant(v, cur, seed, id, &count)) < 0)
      return rc;
  }
  *scored += (uint64_t)count;
  return 0;
}

/* Reads the idx item of a record by its full key. */
static int get_item(cc_index_item *out, cc_idx_cursor *cur, const node *n)
{
  int rc = cc_idx_get(cur, out, n->hash, n->roster, n->line);
  if (rc == CC_ENOTFOUND)
    return cc_error_set(CC_ECORRUPT, "database: index entry missing");
  return rc;
}

/*
 * Blocks are read in three steps. Reading each member's idx entry as its
 * block is met costs a descent through the B-tree at a random place per
 * member (3.1 million at national scale: 3 s on two threads, most of it
 * waiting on cache and TLB misses in LMDB's page search). So:
 *  1. collect: every thread walks its ranges of the blocking entries and
 *     keeps the blocks of two or more (their members' idx keys);
 *  2. fetch: all members, sorted by idx key, are read through one cursor
 *     per thread in the file's order, most of them from the page the
 *     previous one was on;
 *  3. score: every thread scores the pairs of its ranges' blocks.
 */

/* The blocks of one range: members[start[g], start[g + 1]) is block g. */
typedef struct block_set {
  node *members;
  size_t n, cap;
  size_t *start; /* n_blocks + 1 entries once closed */
  size_t n_blocks, cap_blocks;
  size_t first; /* index of members[0] among all ranges' members */
} block_set;

/* The first of the n sorted blocking entries whose key is lo or more. */
static size_t blocks_lower_bound(const cc_block_entry *e, size_t n, uint64_t lo)
{
  size_t a = 0, b = n;
  while (a < b) {
    size_t m = a + (b - a) / 2;
    if (e[m].key < lo)
      a = m + 1;
    else
      b = m;
  }
  return a;
}

/* Keeps the blocks of two or more records whose key lies in [lo, hi]. A
 * block past 64 records (a very common name on one day) is cut. */
static int collect_blocks(block_set *bs, const cc_block_entry *e, size_t ne,
                          uint64_t lo, uint64_t hi)
{
  size_t i = blocks_lower_bound(e, ne, lo);
  while (i < ne && e[i].key <= hi) {
    size_t j = i + 1, m;
    while (j < ne && e[j].key == e[i].key)
      j++;
    if (j - i >= 2) {
      size_t take = j - i < 64 ? j - i : 64;
      if (cc_grow((void **)&bs->start, &bs->cap_blocks, bs->n_blocks + 2,
                  sizeof *bs->start) < 0 ||
          cc_grow((void **)&bs->members, &bs->cap, bs->n + take,
                  sizeof *bs->members) < 0)
        return cc_error_set(CC_ENOMEM, "out of memory");
      bs->start[bs->n_blocks++] = bs->n;
      for (m = i; m < i + take; m++) {
        node *nd = &bs->members[bs->n++];
        nd->hash = e[m].id_hash;
        nd->item = 0;
        nd->roster = e[m].roster;
        nd->line = e[m].line;
      }
    }
    i = j; /* a block of one pairs with nobody */
  }
  if (cc_grow((void **)&bs->start, &bs->cap_blocks, bs->n_blocks + 1,
              sizeof *bs->start) < 0)
    return cc_error_set(CC_ENOMEM, "out of memory");
  bs->start[bs->n_blocks] = bs->n;
  return 0;
}

/* A member to fetch: its idx key and where its item goes. */
typedef struct fetch {
  node key;
  size_t slot;
} fetch;

static int fetch_less(const fetch *a, const fetch *b)
{
  return node_cmp(&a->key, &b->key) < 0;
}

/* Sorts by idx key: by the top 16 bits of the hash into buckets (the hash
 * is uniform), then insertion sort within each (some 50 entries at
 * national scale). */
static int sort_fetches(fetch *a, size_t n)
{
  enum { BITS = 16, BUCKETS = 1 << BITS };
  size_t *start = calloc(BUCKETS + 1, sizeof *start), i, b;
  fetch *tmp = cc_mem_alloc((n ? n : 1) * sizeof *tmp);
  if (start == NULL || tmp == NULL) {
    free(start);
    cc_mem_free(tmp);
    return cc_error_set(CC_ENOMEM, "out of memory");
  }
  for (i = 0; i < n; i++)
    start[(a[i].key.hash >> (64 - BITS)) + 1]++;
  for (b = 0; b < BUCKETS; b++)
    start[b + 1] += start[b];
  for (i = 0; i < n; i++)
    tmp[start[a[i].key.hash >> (64 - BITS)]++] = a[i];
  /* start[b] is now the end of bucket b */
  for (b = 0, i = 0; b < BUCKETS; b++) {
    size_t end = start[b], j, c;
    for (j = i + 1; j < end; j++) {
      fetch x = tmp[j];
      for (c = j; c > i && fetch_less(&x, &tmp[c - 1]); c--)
        tmp[c] = tmp[c - 1];
      tmp[c] = x;
    }
    i = end;
  }
  memcpy(a, tmp, n * sizeof *a);
  free(start);
  cc_mem_free(tmp);
  return 0;
}

/* Reads the items of fetches[0, n) (sorted) into items[slot]. */
static int fetch_part(cc_index_item *items, const fetch *f, size_t n,
                      cc_read *rd)
{
  cc_idx_cursor cur;
  size_t i;
  int rc;
  if ((rc = cc_store_idx_open(&cur, rd)) < 0)
    return rc;
  /* In key order, most entries are in the chunk already loaded. */
  for (i = 0; i < n && rc == 0; i++)
    rc = get_item(&items[f[i].slot], &cur, &f[i].key);
  cc_idx_close(&cur);
  return rc;
}

/* Scores every pair of different IDs at different schools in each block
 * of bs; items[bs->first + i] is member i. */
static int score_blocks(pair_vec *v, const block_set *bs,
                        const cc_index_item *items, uint64_t *scored)
{
  size_t g, i, j;
  int rc;
  for (g = 0; g < bs->n_blocks; g++)
    for (i = bs->start[g]; i < bs->start[g + 1]; i++)
      for (j = i + 1; j < bs->start[g + 1]; j++) {
        rc = consider(v, &items[bs->first + i], &items[bs->first + j],
                      CC_BASIS_NAME_BIRTH);
        if (rc < 0)
          return rc;
        *scored += (uint64_t)rc;
      }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Linking. */

static size_t uf_find(size_t *parent, size_t x)
{
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

static node *node_bsearch(node *nodes, size_t n, const node *key)
{
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = node_cmp(&nodes[mid], key);
    if (c == 0)
      return &nodes[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

static int node_qcmp(const void *a, const void *b)
{
  return node_cmp(a, b);
}

typedef struct member_ref {
  size_t root;
  size_t node;
} member_ref;

static int member_ref_cmp(const void *a, const void *b)
{
  const member_ref *x = a, *y = b;
  if (x->root != y->root)
    return x->root < y->root ? -1 : 1;
  return x->node < y->node ? -1 : x->node > y->node;
}

static int item_rl_cmp(const void *a, const void *b)
{
  const cc_index_item *x = a, *y = b;
  if (x->roster != y->roster)
    return x->roster < y->roster ? -1 : 1;
  return x->line < y->line ? -1 : x->line > y->line;
}

/* Why a pair goes to possible.jsonl: its code and what a reviewer does. */
static const char *review_code(int fate)
{
  switch (fate) {
  case FATE_BOTH_VALID:
    return "both_ids_valid";
  case FATE_AMBIGUOUS:
    return "ambiguous";
  case FATE_NAME_DIFFERS:
    return "names_differ";
  default:
    return "score_between_thresholds";
  }
}

static const char *review_zh(int fate)
{
  switch (fate) {
  case FATE_BOTH_VALID:
    return "两个身份证号均通过校验，一次录入错误不会把一个有效号码变成另一个有"
           "效号码："
           "在人口信息核查确认之前视为两个人，请提交人口信息核查";
  case FATE_AMBIGUOUS:
    return "这条记录与两个不同的有效身份证号都很接近，无法确定属于哪一个人，请"
           "人工复核";
  case FATE_NAME_DIFFERS:
    return "身份证号相近，但姓名既不相同也不同音：可能是另一个人的号码，请人工"
           "复核";
  default:
    return "证据不足以认定为同一人，也不足以排除，请人工复核";
  }
}

/* One line of possible.jsonl, built in a cc_buf (the JSON string writer
 * of every output), then written to f (whose errors the caller finds with
 * ferror when it closes f). 0, or CC_ENOMEM. */
static int write_possible(FILE *f, const pair *p, const cc_fuzzy_model *model,
                          const cc_index_item *x, const cc_index_item *y,
                          const char *const *labels)
{
  cc_buf b;
  int e, rc;
  cc_buf_init(&b, 0);
  cc_buf_printf(&b,
                "{\"score\": %.1f, \"confidence\": %.4f, \"basis\": \"%s\", "
                "\"review_reason\": \"%s\", \"review_zh\": ",
                p->score10 / 10.0, cc_fuzzy_confidence(p->score10) / 10000.0,
                cc_match_basis_code((cc_match_basis)p->basis),
                review_code(p->fate));
  cc_json_cstr(&b, review_zh(p->fate));
  cc_buf_puts(&b, ", \"records\": [");
  for (e = 0; e < 2; e++) {
    const cc_index_item *r = e ? y : x;
    cc_buf_printf(&b, "%s{\"roster\": \"%s\", \"line\": %u, \"id_number\": ",
                  e ? ", " : "", labels[r->roster], r->line);
    cc_json_str(&b, r->id, r->id_len);
    cc_buf_printf(&b, ", \"id_valid\": %s, \"school_code\": ",
                  r->id_verdict == CC_ID_VALID ? "true" : "false");
    cc_json_str(&b, r->school_code, r->school_code_len);
    cc_buf_puts(&b, ", \"name_folded\": ");
    cc_json_str(&b, r->name_folded, r->name_folded_len);
    cc_buf_puts(&b, "}");
  }
  cc_buf_puts(&b, "], \"evidence\": [");
  for (e = 0; e < CC_EV_COUNT_; e++) {
    cc_buf_printf(&b,
                  "%s{\"field\": \"%s\", \"level\": \"%s\", \"weight\": %.1f, "
                  "\"zh\": ",
                  e ? ", " : "", cc_evidence_field_code(e),
                  cc_evidence_level_code(e, p->level[e]),
                  model->w10[e][p->level[e]] / 10.0);
    cc_json_cstr(&b, cc_evidence_zh(e, p->level[e]));
    cc_buf_puts(&b, "}");
  }
  cc_buf_puts(&b, "]}\n");
  rc = cc_buf_check(&b, "possible.jsonl");
  if (rc == 0)
    fwrite(b.p, 1, b.len, f);
  cc_buf_dispose(&b);
  return rc;
}

/* Fits the month's model to the patterns of all candidate pairs and scores
 * every pair with it. */
static int fit_model(cc_fuzzy_model *model, pair_vec *all)
{
  uint64_t(*counts)[CC_FUZZY_PATTERNS] =
      calloc(CC_FUZZY_SOURCES, sizeof *counts);
  size_t i;
  if (counts == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  for (i = 0; i < all->n; i++)
    if (all->p[i].basis != CC_BASIS_REVIEWED) /* no search chose it */
      counts[all->p[i].basis == CC_BASIS_ID_TYPO ? 0 : 1]
            [cc_fuzzy_pattern(all->p[i].level)]++;
  cc_fuzzy_em(model, counts);
  free(counts);
  for (i = 0; i < all->n; i++)
    all->p[i].score10 = (int16_t)cc_fuzzy_model_score(model, all->p[i].level);
  return 0;
}

/* An anchor a record links to: (the record, the anchor's ID hash). */
typedef struct anchor_ref {
  node rec;
  uint64_t anchor;
} anchor_ref;

static int anchor_ref_cmp(const void *x, const void *y)
{
  const anchor_ref *a = x, *b = y;
  int c = node_cmp(&a->rec, &b->rec);
  if (c)
    return c;
  return a->anchor < b->anchor ? -1 : a->anchor > b->anchor;
}

static anchor_ref *anchor_bsearch(anchor_ref *refs, size_t n, const node *key)
{
  size_t lo = 0, hi = n;
  while (lo < hi) { /* the first entry of key */
    size_t mid = lo + (hi - lo) / 2;
    if (node_cmp(&refs[mid].rec, key) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && node_cmp(&refs[lo].rec, key) == 0 ? &refs[lo] : NULL;
}

/* Does the record whose refs start at r link to two or more anchors? */
static int links_two_anchors(const anchor_ref *r, const anchor_ref *end)
{
  const anchor_ref *q;
  for (q = r + 1; q < end && node_cmp(&q->rec, &r->rec) == 0; q++)
    if (q->anchor != r->anchor)
      return 1;
  return 0;
}

/*
 * Decides every pair (docs/RULES.md, "The fuzzy tier"):
 *  - a reviewer's decision first: `different` is never linked, `same` is;
 *  - at or above the upper threshold: linked, unless both IDs are anchors
 *    (two valid numbers are two people until a population-registry check
 *    says otherwise: possible, reason both_ids_valid) or the names are
 *    neither equal nor homophones (an invalid ID one slip from a
 *    stranger's valid one, in a county where many are born on one day:
 *    possible, reason names_differ);
 *  - between the thresholds: possible; below: dropped;
 *  - then a record whose links reach two different anchors (a mistyped
 *    number one slip from two people's valid numbers) cannot say whose it
 *    is: all its links become possible, reason ambiguous.
 */
static int decide_pairs(pair_vec *all, cc_fuzzy_stats *st)
{
  anchor_ref *refs;
  size_t i, n = 0;
  for (i = 0; i < all->n; i++) {
    pair *p = &all->p[i];
    if (p->flags & PF_DIFFERENT) {
      p->fate = FATE_REVIEWED_DIFFERENT;
      st->reviewed_different++;
    } else if (p->flags & PF_SAME) {
      p->fate = FATE_LINK;
      st->reviewed_same++;
    } else if (p->score10 >= CC_FUZZY_UPPER10) {
      p->fate = (p->flags & PF_ANCHOR_A) && (p->flags & PF_ANCHOR_B)
                    ? FATE_BOTH_VALID
                : p->level[CC_EV_NAME] == CC_NAMEL_DIFFERENT ? FATE_NAME_DIFFERS
                                                             : FATE_LINK;
    } else if (p->score10 >= CC_FUZZY_LOWER10) {
      p->fate = FATE_POSSIBLE;
    } else {
      p->fate = FATE_DROP;
    }
  }
  /* The anchors each record links to, both ways round. */
  refs = malloc((all->n * 2 + 1) * sizeof *refs);
  if (refs == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  for (i = 0; i < all->n; i++) {
    const pair *p = &all->p[i];
    if (p->fate != FATE_LINK || (p->flags & PF_SAME))
      continue;
    if (p->flags & PF_ANCHOR_B) {
      refs[n].rec = p->a;
      refs[n++].anchor = p->b.hash;
    }
    if (p->flags & PF_ANCHOR_A) {
      refs[n].rec = p->b;
      refs[n++].anchor = p->a.hash;
    }
  }
  qsort(refs, n, sizeof *refs, anchor_ref_cmp);
  for (i = 0; i < all->n; i++) {
    pair *p = &all->p[i];
    anchor_ref *r;
    if (p->fate != FATE_LINK || (p->flags & PF_SAME))
      continue;
    if (((r = anchor_bsearch(refs, n, &p->a)) &&
         links_two_anchors(r, refs + n)) ||
        ((r = anchor_bsearch(refs, n, &p->b)) &&
         links_two_anchors(r, refs + n)))
      p->fate = FATE_AMBIGUOUS;
  }
  free(refs);
  return 0;
}

/*
 * Union-find over the linked pairs, in their sorted order, under one
 * constraint: a person holds at most one anchor ID (unless a reviewer
 * said so). A link that would join two persons of different anchors
 * (a chain through two mistyped numbers) is refused: possible, ambiguous.
 */
static int link_pairs(pair_vec *all, const node *nodes, size_t n_nodes,
                      size_t *parent)
{
  uint64_t *anchor = malloc((n_nodes + 1) * sizeof *anchor);
  uint8_t *has = calloc(n_nodes + 1, 1);
  size_t i;
  if (anchor == NULL || has == NULL) {
    free(anchor);
    free(has);
    return cc_error_set(CC_ENOMEM, "out of memory");
  }
  for (i = 0; i < n_nodes; i++)
    parent[i] = i;
  for (i = 0; i < all->n; i++) {
    pair *p = &all->p[i];
    size_t a, b;
    if (p->fate != FATE_LINK)
      continue;
    a = (size_t)(node_bsearch((node *)nodes, n_nodes, &p->a) - nodes);
    b = (size_t)(node_bsearch((node *)nodes, n_nodes, &p->b) - nodes);
    if (p->flags & PF_ANCHOR_A && !has[a]) {
      has[a] = 1;
      anchor[a] = p->a.hash;
    }
    if (p->flags & PF_ANCHOR_B && !has[b]) {
      has[b] = 1;
      anchor[b] = p->b.hash;
    }
  }
  for (i = 0; i < all->n; i++) {
    pair *p = &all->p[i];
    size_t a, b, lo, hi;
    if (p->fate != FATE_LINK)
      continue;
    a = uf_find(parent,
                (size_t)(node_bsearch((node *)nodes, n_nodes, &p->a) - nodes));
    b = uf_find(parent,
                (size_t)(node_bsearch((node *)nodes, n_nodes, &p->b) - nodes));
    if (a == b)
      continue;
    if (has[a] && has[b] && anchor[a] != anchor[b] && !(p->flags & PF_SAME)) {
      p->fate = FATE_AMBIGUOUS;
      continue;
    }
    lo = a < b ? a : b;
    hi = a < b ? b : a;
    parent[hi] = lo;
    if (!has[lo] && has[hi]) {
      has[lo] = 1;
      anchor[lo] = anchor[hi];
    }
  }
  free(anchor);
  free(has);
  return 0;
}

/* The records whose cleaned ID is `id`, into items (at most cap);
 * returns how many, or an error. Items point into the map. */
static int records_of(cc_index_item *items, size_t cap, cc_idx_cursor *cur,
                      const char *id, size_t len)
{
  uint64_t h = cc_id_hash(id, len);
  cc_index_item y;
  size_t n = 0;
  int irc;
  for (irc = cc_idx_seek(cur, &y, h, 0, 0); irc == 0 && y.hash == h;
       irc = cc_idx_next(cur, &y))
    if (y.id_len == len && memcmp(y.id, id, len) == 0 && n < cap)
      items[n++] = y;
  if (irc < 0 && irc != CC_ENOTFOUND)
    return irc;
  return (int)n;
}

/* Adds a pair for every two records of the IDs of each `same` decision
 * (basis reviewed; the search's own pair of them, if any, comes first
 * when pairs are merged). */
static int inject_same(pair_vec *v, const cc_review_set *reviews, cc_read *rd)
{
  cc_idx_cursor cur;
  cc_review_pair rp;
  cc_index_item a[16], b[16];
  size_t it = 0;
  int rc = 0, na, nb, i, j;
  memset(&cur, 0, sizeof cur);
  if ((rc = cc_store_idx_open(&cur, rd)) < 0)
    goto done;
  while (cc_review_next(&rp, reviews, &it, CC_REVIEW_SAME)) {
    if ((na = records_of(a, 16, &cur, rp.id_a, rp.la)) < 0 ||
        (nb = records_of(b, 16, &cur, rp.id_b, rp.lb)) < 0) {
      rc = na < 0 ? na : nb;
      goto done;
    }
    for (i = 0; i < na; i++)
      for (j = 0; j < nb; j++)
        if ((rc = consider(v, &a[i], &b[j], CC_BASIS_REVIEWED)) < 0)
          goto done;
  }
  rc = 0;
done:
  cc_idx_close(&cur);
  return rc;
}

/* Marks the pairs a reviewer decided (PF_SAME, PF_DIFFERENT). */
static void apply_reviews(pair_vec *all, const pair_vec *vecs,
                          const cc_review_set *reviews)
{
  size_t i;
  for (i = 0; i < all->n; i++) {
    pair *p = &all->p[i];
    const cc_index_item *x = item_of(vecs, &p->a), *y = item_of(vecs, &p->b);
    int d = cc_review_find(reviews, x->id, x->id_len, y->id, y->id_len);
    if (d == CC_REVIEW_SAME)
      p->flags |= PF_SAME;
    else if (d == CC_REVIEW_DIFFERENT)
      p->flags |= PF_DIFFERENT;
  }
}

int cc_fuzzy_run(cc_finding_list *out, cc_fuzzy_stats *stats, FILE *possible,
                 cc_db *db, uint32_t gen, const char *const *labels,
                 const cc_typo_seed *seeds, size_t n_seeds,
                 const cc_id_filter *ids, const cc_block_entry *blocks,
                 size_t n_blocks, const cc_review_set *reviews,
                 const cc_generic_ids *generic, int threads)
{
  cc_gen g;
  size_t n_before = out->n;
  int rc;
  memset(stats, 0, sizeof *stats);
  /* Database handles are opened once, by this thread, before the regions
   * (cc_store_gen_open). */
  if ((rc = cc_store_gen_open(&g, db, gen)) < 0)
    return rc;
  rc = cc_fuzzy_run_gen(out, stats, possible, &g, labels, seeds, n_seeds, ids,
                        blocks, n_blocks, reviews, generic, threads);
  if (rc == 0)
    rc = cc_person_fill_text(out, n_before, &g, threads);
  cc_index_release_pages(db);
  return rc;
}

int cc_fuzzy_run_gen(cc_finding_list *out, cc_fuzzy_stats *stats,
                     FILE *possible, const cc_gen *gp,
                     const char *const *labels, const cc_typo_seed *seeds,
                     size_t n_seeds, const cc_id_filter *ids,
                     const cc_block_entry *blocks, size_t n_blocks,
                     const cc_review_set *reviews,
                     const cc_generic_ids *generic, int threads)
{
  const cc_gen g = *gp;
  cc_read *rd = NULL;
  cc_person person;
  pair_vec *vecs = NULL, all = {0};
  node *nodes = NULL;
  size_t *parent = NULL, *best = NULL, *at = NULL, n_nodes = 0;
  size_t i, k;
  member_ref *refs = NULL;
  block_set *sets = NULL;
  fetch *fetches = NULL;
  cc_index_item *members = NULL;
  size_t n_members = 0;
  long r, n_ranges = 0;
  int rc = 0, failed = 0, fetch_failed = 0;
  char errmsg[512] = "";
  uint64_t scored = 0;

  memset(stats, 0, sizeof *stats);
  if (threads < 1)
    threads = omp_get_max_threads();
  if (threads > UINT16_MAX + 1)
    threads = UINT16_MAX + 1; /* node.vec names a thread's pair_vec */
  memset(&person, 0, sizeof person);
  /* This read transaction lives until the end: the items the pairs keep
   * point into the map, some of them read by the workers' transactions,
   * which end with their regions. No page this one sees can be reused
   * while it is open (LMDB frees a page for reuse only once no reader
   * older than the write that let go of it remains), so those items stay
   * valid too. */
  if ((rc = cc_store_read_begin(&rd, &g)) < 0)
    return rc;

  n_ranges = (long)threads * 16;
  vecs = calloc((size_t)threads, sizeof *vecs);
  sets = calloc((size_t)n_ranges, sizeof *sets);
  if (vecs == NULL || sets == NULL) {
    rc = cc_error_set(CC_ENOMEM, "out of memory");
    goto done;
  }
  for (i = 0; i < (size_t)threads; i++) {
    vecs[i].generic = generic;
    vecs[i].ids = ids;
    vecs[i].id = (uint16_t)i;
  }

  /* The typo search, and step 1 of the blocks (see collect_blocks). */
#pragma omp parallel num_threads(threads) reduction(+ : scored)
  {
    cc_read *rt = NULL;
    cc_idx_cursor cur;
    pair_vec *v = &vecs[omp_get_thread_num()];
    int my;
    memset(&cur, 0, sizeof cur);
    if ((my = cc_store_read_begin(&rt, &g)) == 0)
      my = cc_store_idx_open(&cur, rt);
      /* Typo search, seeds split between threads. */
#pragma omp for schedule(dynamic, 64) nowait
    for (r = 0; r < (long)n_seeds; r++) {
      node sn;
      cc_index_item seed;
      if (my < 0)
        continue;
      if (cc_generic_ids_has(generic, seeds[r].hash, seeds[r].id,
                             seeds[r].id_len))
        continue; /* a placeholder ID: not searched for typos */
      sn.hash = seeds[r].hash;
      sn.item = 0;
      sn.roster = seeds[r].roster;
      sn.line = seeds[r].line;
      if ((my = get_item(&seed, &cur, &sn)) < 0)
        continue;
      my = typo_search(v, &cur, &seed, &scored);
    }
    /* Blocks, hash ranges split between threads. */
#pragma omp for schedule(dynamic, 1)
    for (r = 0; r < n_ranges; r++) {
      uint64_t step = UINT64_MAX / (uint64_t)n_ranges + 1;
      uint64_t lo = (uint64_t)r * step;
      uint64_t hi = r == n_ranges - 1 ? UINT64_MAX : lo + step - 1;
      if (my < 0)
        continue;
      my = collect_blocks(&sets[r], blocks, n_blocks, lo, hi);
    }
    cc_idx_close(&cur);
    cc_store_read_end(rt);
    if (my < 0)
      cc_error_keep_first(&failed, errmsg, sizeof errmsg, my);
  }
  if (failed) {
    rc = cc_error_set(failed, "%s", errmsg);
    goto done;
  }

  /* Step 2: every block member, in idx order. */
  for (r = 0; r < n_ranges; r++) {
    sets[r].first = n_members;
    n_members += sets[r].n;
  }
  fetches = cc_mem_alloc((n_members ? n_members : 1) * sizeof *fetches);
  members = cc_mem_alloc((n_members ? n_members : 1) * sizeof *members);
  if (fetches == NULL || members == NULL) {
    rc = cc_error_set(CC_ENOMEM, "out of memory");
    goto done;
  }
  for (r = 0, k = 0; r < n_ranges; r++)
    for (i = 0; i < sets[r].n; i++, k++) {
      fetches[k].key = sets[r].members[i];
      fetches[k].slot = k;
    }
  if ((rc = sort_fetches(fetches, n_members)) < 0)
    goto done;

    /* Steps 2 and 3 on every thread. The items point into the map: every
   * thread keeps its read transaction until all have scored. */
#pragma omp parallel num_threads(threads) reduction(+ : scored)
  {
    cc_read *rt = NULL;
    pair_vec *v = &vecs[omp_get_thread_num()];
    int me = omp_get_thread_num(), nt = omp_get_num_threads(), my;
    size_t from = n_members * (size_t)me / (size_t)nt;
    size_t to = n_members * (size_t)(me + 1) / (size_t)nt;
    if ((my = cc_store_read_begin(&rt, &g)) == 0)
      my = fetch_part(members, fetches + from, to - from, rt);
    if (my < 0) {
#pragma omp atomic write
      fetch_failed = 1;
    }
#pragma omp barrier
    {
      int any_failed;
#pragma omp atomic read
      any_failed = fetch_failed;
#pragma omp for schedule(dynamic, 1)
      for (r = 0; r < n_ranges; r++)
        if (my == 0 && !any_failed)
          my = score_blocks(v, &sets[r], members, &scored);
    }
#pragma omp barrier
    cc_store_read_end(rt);
    if (my < 0)
      cc_error_keep_first(&failed, errmsg, sizeof errmsg, my);
  }
  if (failed) {
    rc = cc_error_set(failed, "%s", errmsg);
    goto done;
  }
  stats->candidates = scored;

  /* Pairs a reviewer called one person, whether or not a search met them. */
  if (reviews && (rc = inject_same(&vecs[0], reviews, rd)) < 0)
    goto done;

    /* Sort, merge, keep one pair per record pair (the typo search's first:
   * the pairs of two records are ordered by basis). Each thread sorts its
   * own pairs; the sorted lists are merged into one. The records stay where
   * the threads kept them (node.vec, node.item): copied into one array
   * they took a quarter of a gigabyte of fresh memory at national scale,
   * and the copy and one sort on one thread took 1.3 s of the stage. */
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (r = 0; r < (long)threads; r++)
    if (vecs[r].n > 1) /* none: p may be NULL, which qsort may not take */
      qsort(vecs[r].p, vecs[r].n, sizeof *vecs[r].p, pair_cmp);
  for (i = 0; i < (size_t)threads; i++)
    all.n += vecs[i].n;
  all.p = cc_mem_alloc((all.n ? all.n : 1) * sizeof *all.p);
  at = calloc((size_t)threads, sizeof *at);
  if (all.p == NULL || at == NULL) {
    rc = cc_error_set(CC_ENOMEM, "out of memory");
    goto done;
  }
  for (k = 0;;) {
    const pair *q = NULL;
    size_t from = 0;
    for (i = 0; i < (size_t)threads; i++)
      if (at[i] < vecs[i].n &&
          (q == NULL || pair_cmp(&vecs[i].p[at[i]], q) < 0)) {
        q = &vecs[i].p[at[i]];
        from = i;
      }
    if (q == NULL)
      break;
    at[from]++;
    if (k == 0 || node_cmp(&all.p[k - 1].a, &q->a) != 0 ||
        node_cmp(&all.p[k - 1].b, &q->b) != 0)
      all.p[k++] = *q;
  }
  all.n = k;
  for (i = 0; i < (size_t)threads; i++) {
    cc_mem_free(vecs[i].p);
    vecs[i].p = NULL;
  }

  /* The reviewers' decisions on the pairs, then the month's weights,
   * fitted to its candidate pairs. */
  if (reviews && cc_review_set_size(reviews) > 0)
    apply_reviews(&all, vecs, reviews);
  if ((rc = fit_model(&stats->model, &all)) < 0)
    goto done;
  if ((rc = decide_pairs(&all, stats)) < 0)
    goto done;

  /* Nodes of the linked pairs, union-find over them. */
  nodes = malloc((all.n * 2 + 1) * sizeof *nodes);
  if (nodes == NULL) {
    rc = cc_error_set(CC_ENOMEM, "out of memory");
    goto done;
  }
  for (i = 0; i < all.n; i++)
    if (all.p[i].fate == FATE_LINK) {
      nodes[n_nodes++] = all.p[i].a;
      nodes[n_nodes++] = all.p[i].b;
    }
  qsort(nodes, n_nodes, sizeof *nodes, node_qcmp);
  for (i = 0, k = 0; i < n_nodes; i++)
    if (k == 0 || node_cmp(&nodes[k - 1], &nodes[i]) != 0)
      nodes[k++] = nodes[i];
  n_nodes = k;
  parent = malloc((n_nodes + 1) * sizeof *parent);
  best = malloc((n_nodes + 1) * sizeof *best);
  refs = malloc((n_nodes + 1) * sizeof *refs);
  if (parent == NULL || best == NULL || refs == NULL) {
    rc = cc_error_set(CC_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = link_pairs(&all, nodes, n_nodes, parent)) < 0)
    goto done;

  person.list = out;
  person.labels = labels;
  for (i = 0; i < all.n; i++) {
    const pair *p = &all.p[i];
    if (p->fate == FATE_LINK) {
      stats->links++;
    } else if (p->fate == FATE_POSSIBLE || p->fate == FATE_BOTH_VALID ||
               p->fate == FATE_AMBIGUOUS || p->fate == FATE_NAME_DIFFERS) {
      stats->possible++;
      stats->both_valid += p->fate == FATE_BOTH_VALID;
      stats->ambiguous += p->fate == FATE_AMBIGUOUS;
      stats->names_differ += p->fate == FATE_NAME_DIFFERS;
      if (possible &&
          (rc = write_possible(possible, p, &stats->model, item_of(vecs, &p->a),
                               item_of(vecs, &p->b), labels)) < 0)
        goto done;
    }
  }

  /* The strongest pair of each person gives its basis and evidence. */
  for (i = 0; i < n_nodes; i++)
    best[i] = (size_t)-1;
  for (i = 0; i < all.n; i++) {
    const pair *p = &all.p[i];
    size_t root;
    if (p->fate != FATE_LINK)
      continue;
    root =
        uf_find(parent, (size_t)(node_bsearch(nodes, n_nodes, &p->a) - nodes));
    if (best[root] == (size_t)-1 || p->score10 > all.p[best[root]].score10)
      best[root] = i;
  }
  /* Each person: its records, then the rules. */
  for (i = 0; i < n_nodes; i++) {
    refs[i].root = uf_find(parent, i);
    refs[i].node = i;
  }
  qsort(refs, n_nodes, sizeof *refs, member_ref_cmp);
  for (i = 0; i < n_nodes; i = k) {
    cc_index_item items[64];
    size_t n = 0;
    cc_finding match;
    const pair *bp;
    int f;
    for (k = i; k < n_nodes && refs[k].root == refs[i].root; k++)
      if (n < 64)
        items[n++] = *item_of(vecs, &nodes[refs[k].node]);
    if (n < 2 || best[refs[i].root] == (size_t)-1)
      continue; /* its links were refused: a record alone */
    bp = &all.p[best[refs[i].root]];
    memset(&match, 0, sizeof match);
    match.basis = bp->flags & PF_SAME ? CC_BASIS_REVIEWED : bp->basis;
    match.confidence =
        bp->flags & PF_SAME ? 10000 : cc_fuzzy_confidence(bp->score10);
    match.n_evidence = CC_EV_COUNT_;
    for (f = 0; f < CC_EV_COUNT_; f++) {
      match.evidence[f].field = (uint8_t)f;
      match.evidence[f].level = bp->level[f];
      match.evidence[f].weight10 = stats->model.w10[f][bp->level[f]];
    }
    qsort(items, n, sizeof *items, item_rl_cmp);
    stats->groups++;
    person.match = &match;
    if ((rc = cc_person_rules(&person, items, n)) < 0)
      goto done;
  }
  rc = 0;

done:
  cc_store_read_end(rd);
  cc_person_dispose(&person);
  if (vecs)
    for (i = 0; i < (size_t)threads; i++) {
      cc_mem_free(vecs[i].p);
      cc_mem_free(vecs[i].items);
    }
  free(vecs);
  if (sets)
    for (r = 0; r < n_ranges; r++) {
      free(sets[r].members);
      free(sets[r].start);
    }
  free(sets);
  cc_mem_free(fetches);
  cc_mem_free(members);
  cc_mem_free(all.p);
  free(at);
  free(nodes);
  free(parent);
  free(best);
  free(refs);
  return rc;
}
