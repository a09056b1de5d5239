/*
 * The index stage's private interface: sorting the hash index's entries
 * into key order, in parallel, before the storage layer appends them
 * (store_internal.h, cc_index_stage_*), and the blocking entries into
 * blocks, which the fuzzy tier takes in memory.
 * Used by run.c.
 */
#ifndef CC_INDEX_INTERNAL_H
#define CC_INDEX_INTERNAL_H

#include "store_internal.h"

/* Sorts entries by (hash, roster, line), in parallel. */
int cc_index_sort(cc_index_entry *e, size_t n, int threads);
/* Sorts the concatenation of parts[0..k) (lens[i] entries each) into a new
 * array *out (to cc_mem_free), taking the parts over: blocks of cc_mem_alloc
 * (mem_internal.h), they are freed and set to NULL, also on error. At most
 * two arrays of all entries are held at once. */
int cc_index_sort_parts(cc_index_entry **out, cc_index_entry **parts,
                        const size_t *lens, int k, int threads);
/* Sorts blocking entries by (key, roster, line), in parallel. */
int cc_index_sort_blocks(cc_block_entry *e, size_t n, int threads);
/* Sorts the blocking entries of parts[0..k) (blocks of cc_mem_alloc, taken
 * over and freed, as by cc_index_sort_parts) by (key, roster, line) and keeps only those whose
 * key two or more entries share (a record alone in its block can pair with
 * nobody): *out (malloc'd) holds *n_out of them. */
int cc_index_group_blocks_parts(cc_block_entry **out, size_t *n_out,
                                cc_block_entry **parts, const size_t *lens,
                                int k, int threads);

#endif
