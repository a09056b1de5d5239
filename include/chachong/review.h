/*
 * Review decisions (issue 9, point 5): a reviewer says whether two records
 * with different cleaned IDs are one person ("same") or two ("different"),
 * on a possible pair (possible.jsonl) or on a fuzzy finding. Later runs
 * honour the latest decision on each pair of IDs: a pair decided
 * "different" is never linked, a pair decided "same" is linked even below
 * the threshold (docs/RULES.md, "Review decisions").
 */
#ifndef CHACHONG_REVIEW_H
#define CHACHONG_REVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "chachong/index.h"
#include "chachong/normalize_id.h"
#include "chachong/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A reviewer's decision on a pair of IDs. */
typedef enum cc_review_decision {
  CC_REVIEW_NONE = 0,  /**< no decision recorded */
  CC_REVIEW_SAME,      /**< "same": one person; link the records */
  CC_REVIEW_DIFFERENT, /**< "different": two people; never link them */
  CC_REVIEW_COUNT_
} cc_review_decision;

/** Stable English code of a decision ("same", "different", "none"). */
const char *cc_review_decision_code(cc_review_decision d);
/** Chinese name of a decision ("同一人", "不同的人", "未复核"). */
const char *cc_review_decision_zh(cc_review_decision d);
/** Parses "same" or "different"; -1 otherwise. */
int cc_review_decision_parse(const char *code);

/** One decision, as recorded (one pair of IDs). */
typedef struct cc_review {
  char id_a[CC_ID_MAX + 1]; /**< cleaned ID of one record; the bytewise
                                 smaller of the two once recorded */
  char id_b[CC_ID_MAX + 1]; /**< cleaned ID of the other record */
  uint64_t finding_id;      /**< the fuzzy finding decided on; 0 for a pair */
  char period[8];           /**< the period whose findings hold finding_id
                                 ("YYYY-MM"; "" for a pair) */
  uint8_t decision;         /**< cc_review_decision */
  uint8_t superseded;       /**< cc_review_list: 1 when a later decision on
                                 the same pair replaces this one */
  cc_date date;             /**< when the reviewer decided */
  int64_t recorded_at;      /**< when it was recorded (Unix seconds) */
  char by[64];              /**< the reviewer (a person's name or account) */
  char user[64];            /**< the operator who recorded it (--user, else
                                 the login name) */
  char note[512];           /**< free text, UTF-8 */
} cc_review;

/**
 * Records a decision and its audit entry, in one transaction: both are
 * stored or neither.
 *
 * On a pair: `id_a` and `id_b` are ID values, cleaned as roster cells
 * are (cc_id_normalize; a longer raw cell is cleaned by the caller first,
 * as the fields hold CC_ID_MAX bytes); `finding_id` is 0. On a fuzzy finding:
 * `finding_id` is set and the IDs are empty; the finding is read from the
 * findings of `period`, or when `period` is "" from the latest period
 * holding it, and the decision is stored for every pair of distinct
 * cleaned IDs among its members (3 IDs: 3 pairs). `user` empty: the login
 * name. The audit entry (command "review") names the operator, the login
 * name beside it (os_user=), the IDs masked, the decision, `by` and the
 * date; never the note.
 *
 * @return 0; CC_EINVALID for a bad decision, an empty `by`, an ID value
 *         that is not an ID, two equal IDs, or a finding whose members
 *         share one ID (an exact finding); CC_ENOTFOUND when no period (or
 *         not `period`) holds the finding; CC_EIO, CC_ECORRUPT, CC_ENOMEM.
 *         Messages never show an ID unmasked.
 */
int cc_review_record(cc_db *db, const cc_review *r);

/**
 * Every decision recorded, in the order recorded, with `superseded` set on
 * those a later decision on the same pair replaces. The listing shows IDs,
 * so it leaves an entry in the audit log (command "review", by `user`:
 * "list[ unmasked] os_user=<login name>", the number of decisions).
 * @param[out] out malloc'd array (free it); NULL when none
 * @param[out] n   its length
 * @param user     the operator (NULL or "": the login name)
 * @param unmasked 1 when the caller shows the IDs unmasked (recorded)
 * @return 0, CC_EIO, CC_ECORRUPT or CC_ENOMEM (then *out is NULL); an
 *         audit write that fails fails the listing.
 */
int cc_review_list(cc_review **out, size_t *n, cc_db *db, const char *user,
                   int unmasked);

/**
 * The decisions that count, for a run: the latest recorded per pair.
 * Opaque; read-only once loaded, so any number of threads may call
 * cc_review_find and cc_review_next on it at once.
 */
typedef struct cc_review_set cc_review_set;

/**
 * Loads the decisions that count (an empty set when there are none).
 * @param[out] out the set, to free with cc_review_set_free; NULL on error
 * @return 0, CC_EIO, CC_ECORRUPT or CC_ENOMEM
 */
int cc_review_load(cc_review_set **out, cc_db *db);

/**
 * The decision on a pair of cleaned IDs, in either order: a binary search
 * over 64-bit hashes of the ordered pair, the full IDs compared on a hit.
 * @return CC_REVIEW_NONE, CC_REVIEW_SAME or CC_REVIEW_DIFFERENT
 */
int cc_review_find(const cc_review_set *s, const char *id_a, size_t la,
                   const char *id_b, size_t lb);

/** A pair of a set; the pointers are valid as long as the set. */
typedef struct cc_review_pair {
  const char *id_a; /**< the bytewise smaller cleaned ID (not NUL-ended) */
  size_t la;
  const char *id_b; /**< the other */
  size_t lb;
  uint8_t decision; /**< cc_review_decision */
} cc_review_pair;

/**
 * Steps through the pairs of a set whose decision is `decision` (for a
 * run: every CC_REVIEW_SAME pair, to link even when no candidate search
 * produced it):
 *
 *     size_t it = 0;
 *     cc_review_pair p;
 *     while (cc_review_next(&p, s, &it, CC_REVIEW_SAME))
 *       ...
 *
 * @param[in,out] it 0 to start; advanced past the pair returned
 * @return 1 with *out set, 0 when there are no more
 */
int cc_review_next(cc_review_pair *out, const cc_review_set *s, size_t *it,
                   int decision);

/** Pairs in the set (every decision that counts, of any kind). */
size_t cc_review_set_size(const cc_review_set *s);

/** Frees a set; NULL is safe. */
void cc_review_set_free(cc_review_set *s);

#ifdef __cplusplus
}
#endif
#endif
