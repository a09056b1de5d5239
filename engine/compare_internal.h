/* The compare stage (exact tier), over a staged generation of the index. */
#ifndef CC_COMPARE_INTERNAL_H
#define CC_COMPARE_INTERNAL_H

#include "chachong/finding.h"
#include "index_internal.h"

/*
 * Finds every exact-tier finding (docs/RULES.md) of generation `gen`.
 * The hash space is cut into ranges handed to `threads` OpenMP workers, each
 * with its own read transaction, cursor and scratch space; the result is
 * sorted (cc_finding_list_sort) so it does not depend on the thread count.
 * `labels` names the rosters (for finding_id). Returns 0 or an error code.
 */
int cc_compare_exact(cc_finding_list *out, cc_db *db, uint32_t gen,
                     const char *const *labels, int threads);

/*
 * Applies the rules to one group of records linked by the fuzzy tier
 * (items sorted by roster, line), appending to `out` the findings whose
 * members hold two or more different IDs; `match` gives their basis,
 * confidence and evidence. Single-threaded; txn is a read transaction.
 */
int cc_compare_fuzzy_group(cc_finding_list *out, MDB_txn *txn, MDB_dbi rec,
                           const char *const *labels, const cc_index_item *items,
                           size_t n, const cc_finding *match);

#endif
