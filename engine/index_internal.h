/*
 * The index stage's private interface: sorting the hash index's entries
 * into key order, in parallel, before the storage layer appends them
 * (store_internal.h, cc_index_stage_*), and the fuzzy tier's blocks, made
 * from them and taken by the fuzzy tier in memory.
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
/* A record's blocking key (cc_fuzzy_block_keys) and its place: entry j of
 * worker t's index entries, of k workers, is at = j * k + t. 12 bytes
 * (packed), against 24 for a whole cc_block_entry. */
typedef struct __attribute__((packed, aligned(4))) cc_block_ref {
  uint64_t key;
  uint32_t at;
} cc_block_ref;

/* The fuzzy tier's blocks: the refs of parts[0..k) (blocks of cc_mem_alloc,
 * taken over and freed, also on error), whose places are in entries[0..k)
 * (the workers' index entries, still unsorted), of which only those whose
 * key two or more refs share are kept (a record alone in its block can
 * pair with nobody), as whole entries sorted by (key, roster, line) in
 * *out (malloc'd, *n_out of them). */
int cc_index_group_blocks(cc_block_entry **out, size_t *n_out,
                          cc_block_ref **parts, const size_t *lens, int k,
                          const cc_index_entry *const *entries, int threads);

#endif
