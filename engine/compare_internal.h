/* The compare stage (exact tier), over a staged generation of the index. */
#ifndef CC_COMPARE_INTERNAL_H
#define CC_COMPARE_INTERNAL_H

#include "chachong/finding.h"
#include "person_internal.h"
#include "store_internal.h"

/*
 * cc_compare_exact with the generic IDs: an ID with more than max_per_id
 * records (0: CC_MAX_RECORDS_PER_ID_DEFAULT) yields no finding and goes
 * into *generic instead (when not NULL). The walk keeps at most
 * max_per_id records of any one ID in memory.
 */
int cc_compare_exact_generic(cc_finding_list *out, cc_generic_ids *generic,
                             cc_db *db, uint32_t gen, const char *const *labels,
                             int threads, unsigned max_per_id);

/*
 * cc_compare_exact_generic over the generation g (from cc_store_gen_open,
 * or in memory: cc_store_gen_memory), without the members' texts: the
 * caller fills them from the stored generation (cc_person_fill_text).
 */
int cc_compare_exact_gen(cc_finding_list *out, cc_generic_ids *generic,
                         const cc_gen *g, const char *const *labels,
                         int threads, unsigned max_per_id);

/*
 * Finds every exact-tier finding (docs/RULES.md) of generation `gen`.
 * The hash space is cut into ranges handed to `threads` OpenMP workers, each
 * with its own read transaction, cursor and scratch space; the result is
 * sorted (cc_finding_list_sort) so it does not depend on the thread count.
 * `labels` names the rosters (for finding_id). IDs with more than
 * CC_MAX_RECORDS_PER_ID_DEFAULT records are left out (see
 * cc_compare_exact_generic). Returns 0 or an error code.
 */
int cc_compare_exact(cc_finding_list *out, cc_db *db, uint32_t gen,
                     const char *const *labels, int threads);

#endif
