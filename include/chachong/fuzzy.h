/*
 * The fuzzy tier (SPEC 2.3, docs/FUZZY.md): records whose cleaned IDs differ
 * but whose evidence says one person. Field comparisons, Fellegi-Sunter
 * weights and the score of a pair.
 */
#ifndef CHACHONG_FUZZY_H
#define CHACHONG_FUZZY_H

#include <stddef.h>
#include <stdint.h>

#include "chachong/finding.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Levels of the ID comparison (field CC_EV_ID). */
typedef enum cc_id_level {
  CC_IDL_SUB_FIX = 0,   /**< one digit apart; one ID fails its check: a typo */
  CC_IDL_SWAP_FIX,      /**< two adjacent digits swapped; one ID fails its check */
  CC_IDL_CHECK_ONLY,    /**< only the check character differs */
  CC_IDL_SUB_VALID,     /**< one digit apart, both IDs valid */
  CC_IDL_SWAP_VALID,    /**< adjacent digits swapped, both valid */
  CC_IDL_OTHER,         /**< more than that */
  CC_IDL_DIGIT_MISSING, /**< 17 characters: the 18 with one left out */
  CC_IDL_COUNT_
} cc_id_level;

/** Levels of the other fields: name, birth date, sex, region. */
enum {
  CC_NAMEL_EQUAL = 0, CC_NAMEL_HOMOPHONE, CC_NAMEL_DIFFERENT,
  CC_SAME = 0, CC_DIFFERENT = 1, CC_TYPO = 2,    /* birth date, sex */
  CC_REGL_COUNTY = 0, CC_REGL_PROVINCE, CC_REGL_DIFFERENT, CC_REGL_TYPO
};

/** Scores (sum of weights, x 10) at and above which a pair is one person. */
#define CC_FUZZY_UPPER10 90
/** Scores from here up to the upper threshold are "possible" matches. */
#define CC_FUZZY_LOWER10 50

/** "id_exact", "id_typo", "name_birth". */
const char *cc_match_basis_code(cc_match_basis b);
/** "id", "name", "birth_date", "sex", "region". */
const char *cc_evidence_field_code(int field);
/** e.g. "one_substitution_check_fails", "homophone". */
const char *cc_evidence_level_code(int field, int level);
/** The Chinese explanation of a level, for auditors. */
const char *cc_evidence_zh(int field, int level);
/** The weight log2(m/u) of a level, x 10 (docs/RULES.md lists m and u). */
int cc_fuzzy_weight10(int field, int level);

/**
 * Compares the IDs (cleaned; 17 or 18 characters) of two records.
 * @param valid_a, valid_b 1 when that ID is valid
 */
cc_id_level cc_fuzzy_id_level(const char *a, size_t la, int valid_a,
                              const char *b, size_t lb, int valid_b);

/**
 * Scores a pair of records from their cleaned IDs and folded names.
 * @param[out] ev   the evidence, one entry per field (CC_EV_COUNT_ entries)
 * @return the score x 10 (sum of the weights)
 */
int cc_fuzzy_score(cc_evidence ev[CC_EV_COUNT_], const char *id_a, size_t la,
                   int valid_a, const char *id_b, size_t lb, int valid_b,
                   const char *name_a, size_t na, const char *name_b, size_t nb);

/**
 * The probability that a pair with this score is one person, x 10000:
 * prior odds 2^-6.6 (about 1 in 100 candidate pairs is a match) times the
 * likelihood ratio 2^score.
 */
uint16_t cc_fuzzy_confidence(int score10);

#ifdef __cplusplus
}
#endif
#endif
