/* The compare stage (exact tier), over a staged generation of the index. */
#ifndef CC_COMPARE_INTERNAL_H
#define CC_COMPARE_INTERNAL_H

#include "chachong/finding.h"
#include "index_internal.h"

/* Schools listed for a generic ID, and the bytes of a code kept. */
#define CC_GENERIC_SCHOOLS_SHOWN 5
#define CC_GENERIC_CODE_MAX 40

/*
 * An ID carried by more records than any person could have (docs/RULES.md
 * "Data quality": a placeholder or a system's test ID). It is reported
 * once and never expanded into findings.
 */
typedef struct cc_generic_id {
  uint64_t hash;              /* XXH3-64 of the cleaned ID (the idx key) */
  char id[CC_ID_MAX + 1];     /* the cleaned ID */
  uint64_t records;           /* records under it, every roster */
  uint64_t schools;           /* distinct (roster, school code) among them */
  uint8_t n_shown;            /* entries of shown[] */
  struct {
    uint16_t roster;
    char code[CC_GENERIC_CODE_MAX + 1]; /* cut at CC_GENERIC_CODE_MAX bytes */
  } shown[CC_GENERIC_SCHOOLS_SHOWN];   /* the first schools, (roster, line) order */
} cc_generic_id;

/* The generic IDs of a generation, sorted by (hash, id). */
typedef struct cc_generic_ids {
  cc_generic_id *items;
  size_t n, cap;
} cc_generic_ids;

/*
 * 1 when (hash, id) is one of g's generic IDs: the fuzzy tier calls this
 * to leave such records out of its blocks and typo seeds, as the exact
 * walk leaves them out of its groups. With id NULL, the hash alone is
 * matched (for the blocking entries, which carry the ID's hash only; a
 * person whose ID's XXH3-64 equals a generic ID's would be left out too).
 * g may be NULL (then 0). Binary search; safe from any number of threads.
 */
int cc_generic_ids_has(const cc_generic_ids *g, uint64_t hash, const char *id,
                       size_t id_len);

void cc_generic_ids_dispose(cc_generic_ids *g);

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
