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

/** Scores (sum of weights, x 10) at and above which a pair is one person. */
#define CC_FUZZY_UPPER10 90
/** Scores from here up to the upper threshold are "possible" matches. */
#define CC_FUZZY_LOWER10 50

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
                   const char *name_a, size_t na, const char *name_b,
                   size_t nb);

/**
 * The probability that a pair with this score is one person, x 10000:
 * prior odds 2^-6.6 (about 1 in 100 candidate pairs is a match) times the
 * likelihood ratio 2^score.
 */
uint16_t cc_fuzzy_confidence(int score10);

/**
 * The comparison levels of a pair, one per field (CC_EV_COUNT_ entries),
 * as cc_fuzzy_score() sees them; the score is then the sum of a weight
 * table's entries for these levels.
 */
void cc_fuzzy_levels(uint8_t level[CC_EV_COUNT_], const char *id_a, size_t la,
                     int valid_a, const char *id_b, size_t lb, int valid_b,
                     const char *name_a, size_t na, const char *name_b,
                     size_t nb);

/** Levels per field, at most (the ID has CC_IDL_COUNT_). */
#define CC_FUZZY_LEVELS_MAX 8
/** Distinct level combinations (patterns) of the five fields: 7*3*3*3*4. */
#define CC_FUZZY_PATTERNS 756
/** The pattern number of a level combination, in [0, CC_FUZZY_PATTERNS). */
unsigned cc_fuzzy_pattern(const uint8_t level[CC_EV_COUNT_]);
/** The levels of pattern number p (the inverse of cc_fuzzy_pattern). */
void cc_fuzzy_pattern_levels(uint8_t level[CC_EV_COUNT_], unsigned p);

/** Fewest candidate pairs for which the month's own weights are fitted. */
#define CC_FUZZY_EM_MIN_PAIRS 1000
/** Fewest expected matches among them (lambda x pairs) to keep a fit. */
#define CC_FUZZY_EM_MIN_MATCHES 20

/**
 * The m and u probabilities of every level and the weights scored with
 * them: either the documented values (docs/RULES.md) or those fitted to a
 * month's candidate pairs by expectation-maximisation.
 */
/** Sources of candidate pairs: the typo search (0) and the blocks (1). */
#define CC_FUZZY_SOURCES 2

typedef struct cc_fuzzy_model {
  double lambda; /**< share of candidate pairs that are one person */
  double lambda_src[CC_FUZZY_SOURCES];            /**< the same, per source */
  double m[CC_EV_COUNT_][CC_FUZZY_LEVELS_MAX];    /**< P(level | one person) */
  double u[CC_EV_COUNT_][CC_FUZZY_LEVELS_MAX];    /**< P(level | two people) */
  int16_t w10[CC_EV_COUNT_][CC_FUZZY_LEVELS_MAX]; /**< weight x 10 in use */
  uint64_t pairs;  /**< candidate pairs the fit saw */
  int iterations;  /**< EM iterations run (0: not fitted) */
  int fitted;      /**< 1: w10 from the fit; 0: the documented weights */
  const char *why; /**< "fitted", or why the documented values are used */
} cc_fuzzy_model;

/** The documented m, u and weights (docs/RULES.md); lambda 0.01. */
void cc_fuzzy_model_default(cc_fuzzy_model *out);

/**
 * Fits m, u and lambda to the level patterns of a month's candidate pairs
 * (counts[s][p] = pairs of source s with pattern p) by
 * expectation-maximisation over a two-class mixture whose fields are
 * independent given the class (the Fellegi-Sunter model, as Splink and
 * fastLink estimate it), started from the documented values, which also
 * act as a prior worth a few pairs per level (a level never seen is not
 * given an infinite weight). Levels `in_typo` carry no evidence and are
 * left out of the likelihood.
 *
 * Each source has its own share of matches, and a field is never
 * estimated from the pairs a source selected on it (Splink's rule for
 * blocking fields): the typo search chose its pairs for IDs one slip
 * apart, so their ID level is left out; the blocks chose theirs for
 * sharing the name's sound and the birth date and sex (or the county), so
 * their name, birth date and sex are left out. Estimated from all pairs
 * alike, the fit had two different people agree on names "by nature" (in
 * a block they agree by construction), set the weight of `name different`
 * to 0 and linked a mistyped ID to a stranger's.
 *
 * A fitted weight keeps the documented weight's sign and stays within a
 * factor of two of it (at most 15): a month can tune the model, not
 * overturn it. Falls back to cc_fuzzy_model_default() (fitted = 0, `why`
 * says why) when there are fewer than CC_FUZZY_EM_MIN_PAIRS pairs or the
 * fit expects fewer than CC_FUZZY_EM_MIN_MATCHES matches. Deterministic.
 */
void cc_fuzzy_em(cc_fuzzy_model *out,
                 const uint64_t counts[CC_FUZZY_SOURCES][CC_FUZZY_PATTERNS]);

/** How many levels a field has (CC_EV_ID: CC_IDL_COUNT_). */
int cc_fuzzy_level_count(int field);
/** 1 when a level of a field is `in_typo` (no evidence of its own). */
int cc_fuzzy_level_is_typo(int field, int level);

/** The score x 10 of a level combination under a model. */
int cc_fuzzy_model_score(const cc_fuzzy_model *m,
                         const uint8_t level[CC_EV_COUNT_]);

#ifdef __cplusplus
}
#endif
#endif
