/*
 * Policy: one record against the subsidy rules (SPEC section 3.2): grants
 * and waivers to part-time students, grants in year 3, subsidies past the
 * program's length, over-age students to verify. The rules, the columns
 * they read, and the operator's rules file.
 */
#ifndef CHACHONG_POLICY_H
#define CHACHONG_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "chachong/finding.h"
#include "chachong/record.h"
#include "chachong/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The rules, in the order of SPEC 3.2; rule r gives reason r + 1. */
typedef enum cc_policy_rule {
  CC_RULE_PART_TIME = 0, /**< "part_time": 非全日制 paid a grant or waiver */
  CC_RULE_THIRD_YEAR,    /**< "third_year": a grant in year 3 or later */
  CC_RULE_BEYOND_PROGRAM, /**< "beyond_program": paid past 入学日期 + 学制 */
  CC_RULE_OVER_AGE,       /**< "over_age": paid at 30 or older (to verify) */
  CC_RULE_COUNT_
} cc_policy_rule;

/** Most region prefixes one rule can exempt. */
#define CC_POLICY_EXEMPT_MAX 64

/**
 * The operator's settings. Initialize with cc_policy_rules_init() (the
 * defaults of SPEC 3.2) or load a file with cc_policy_rules_load().
 */
typedef struct cc_policy_rules {
  uint8_t on[CC_RULE_COUNT_];       /**< 1: the rule runs */
  int min_age;                      /**< over_age: age on the period's
                                          first day that draws a review */
  int grant_years;                  /**< third_year: grants stop from year
                                          grant_years + 1 (default 2) */
  uint8_t n_exempt[CC_RULE_COUNT_]; /**< prefixes in exempt[rule] */
  char exempt[CC_RULE_COUNT_][CC_POLICY_EXEMPT_MAX][7]; /**< region code
                                          prefixes (1-6 digits, NUL) where
                                          the rule does not apply */
  char source[256]; /**< the file, or "" for the defaults */
} cc_policy_rules;

/** Fills `rules` with the defaults of SPEC 3.2: every rule on, age 30,
 *  grants for years 1-2, no region exempt. */
void cc_policy_rules_init(cc_policy_rules *rules);

/**
 * Loads a rules file (docs/RULES.md, "Policy rules"): UTF-8 text, '#'
 * starts a comment, one setting per line, unnamed settings keep their
 * defaults:
 *
 *     part_time = on                  # or off
 *     over_age.min_age = 30
 *     third_year.grant_years = 2
 *     beyond_program.exempt = 44, 3301  # region prefixes, 1-6 digits
 *
 * @param[out] rules the settings (initialized here)
 * @return 0; CC_ENOTFOUND/CC_EIO when the file cannot be read; CC_EINVALID
 *         with "FILE:LINE: ..." for a line that is not such a setting.
 */
int cc_policy_rules_load(cc_policy_rules *rules, const char *path);

/** Stable English code of a rule ("part_time"); the reason it gives. */
const char *cc_policy_rule_code(cc_policy_rule rule);

/**
 * Writes the settings as one JSON object (for the period's run record):
 * {"source": "...", "rules": {"part_time": {"on": true, "exempt": [...]},
 * ..., "over_age": {..., "min_age": 30}}}. Same contract as snprintf.
 */
size_t cc_policy_rules_json(char *buf, size_t cap,
                            const cc_policy_rules *rules);

/** The period a record is judged for. */
typedef struct cc_policy_period {
  int year, month; /**< of the period "YYYY-MM" */
  cc_date first;   /**< its first day */
} cc_policy_period;

/** Parses "YYYY-MM". @return 0, or CC_EINVALID (message set). */
int cc_policy_period_parse(cc_policy_period *out, const char *period);

/** What reading one cell gave. */
typedef enum cc_policy_cell {
  CC_CELL_OK = 0,    /**< read */
  CC_CELL_EMPTY,     /**< empty: the rule does not judge the record */
  CC_CELL_UNREADABLE /**< not a value we know: not judged either */
} cc_policy_cell;

/** 学习形式: 全日制 (out 0) or 非全日制 (out 1), with the spellings people
 *  type (docs/RULES.md). */
cc_policy_cell cc_policy_parse_study_mode(int *part_time, const char *p,
                                          size_t n);

/** 年级 as the year of study in `period`: 1-9 (`2`, `二年级`, `2年级`) or a
 *  cohort (`2024`, `2024级`), whose year of study begins each September. A
 *  cohort not yet begun gives 0. */
cc_policy_cell cc_policy_parse_grade(int *year, const char *p, size_t n,
                                     const cc_policy_period *period);

/** 入学日期 (`2024-09-01`, `2024/9/1`, `2024.9.1`, `20240901`,
 *  `2024年9月1日`, a time after the date, a month alone as its first day,
 *  or an Excel serial day number 20000-99999). */
cc_policy_cell cc_policy_parse_date(cc_date *out, const char *p, size_t n);

/** 学制 in years, 1-9: `3`, `3年`, `三年`, `3.0`. */
cc_policy_cell cc_policy_parse_years(int *years, const char *p, size_t n);

/** One rule's counts over a run (or a thread's share of it). */
typedef struct cc_policy_count {
  uint64_t judged;     /**< records paid what the rule is about, judged */
  uint64_t found;      /**< of those, against the rule (records) */
  uint64_t empty;      /**< paid, not judged: a needed column is empty */
  uint64_t unreadable; /**< paid, not judged: a value not understood (or,
                             for over_age, an invalid ID) */
  uint64_t exempt;     /**< paid, not judged: region exempt in the file */
  int64_t amount;      /**< fen paid against the rule (grant + waiver) */
} cc_policy_count;

typedef struct cc_policy_tally {
  cc_policy_count rule[CC_RULE_COUNT_];
} cc_policy_tally;

/** Adds b's counts into a. */
void cc_policy_tally_add(cc_policy_tally *a, const cc_policy_tally *b);

/** One broken rule: the finding type it gives, the reason, the money. */
typedef struct cc_policy_hit {
  uint8_t type;   /**< CC_FT_INELIGIBLE_GRANT, _WAIVER or SUBSIDY_REVIEW */
  uint8_t reason; /**< cc_finding_reason */
  int64_t amount; /**< amount_at_risk in fen (0 for subsidy_review) */
} cc_policy_hit;

/** Most hits one record can give (part_time and beyond_program on both
 *  amounts, third_year, over_age). */
#define CC_POLICY_HITS_MAX 6

/**
 * Judges one record by every rule that is on (SPEC 3.2, docs/RULES.md).
 * Pure: no allocation, safe on any thread.
 * @param[out] out   the hits, in rule order then grant before waiver
 * @param tally      counts to add to (may be NULL)
 * @return the number of hits written (0..CC_POLICY_HITS_MAX).
 */
int cc_policy_check(cc_policy_hit out[CC_POLICY_HITS_MAX],
                    const cc_policy_rules *rules,
                    const cc_policy_period *period, const cc_record *r,
                    cc_policy_tally *tally);

#ifdef __cplusplus
}
#endif
#endif
