/*
 * The index stage's private interface: sorting the hash index's entries
 * and the blocking entries into key order, in parallel, before the
 * storage layer appends them (store_internal.h, cc_index_stage_*).
 * Used by run.c.
 */
#ifndef CC_INDEX_INTERNAL_H
#define CC_INDEX_INTERNAL_H

#include "store_internal.h"

/* Sorts entries by (hash, roster, line), in parallel. */
int cc_index_sort(cc_index_entry *e, size_t n, int threads);
/* Sorts the concatenation of parts[0..k) (lens[i] entries each) into a new
 * array *out (to free), taking the parts over: they are freed and set to
 * NULL, also on error. At most two arrays of all entries are held at once. */
int cc_index_sort_parts(cc_index_entry **out, cc_index_entry **parts,
                        const size_t *lens, int k, int threads);
/* Sorts blocking entries by (key, roster, line), in parallel. */
int cc_index_sort_blocks(cc_block_entry *e, size_t n, int threads);
/* The same as cc_index_sort_parts, for blocking entries. */
int cc_index_sort_blocks_parts(cc_block_entry **out, cc_block_entry **parts,
                               const size_t *lens, int k, int threads);

#endif
