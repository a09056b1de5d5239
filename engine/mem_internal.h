/*
 * Memory for the large buffers of a run, in big pages (private).
 *
 * A page fault is a trap into the kernel, and on a virtual machine an
 * expensive one: a run that touches 800 MB of fresh 4 KiB pages takes
 * 200,000 of them. The buffers that live for a run (the ingest workers'
 * index arrays and payload arenas, the read buffers, the sort buffers)
 * come from cc_mem_alloc: anonymous maps advised MADV_HUGEPAGE, so that
 * with transparent huge pages in `madvise` mode one fault brings in 2 MiB;
 * they grow with mremap, which moves pages instead of copying and faulting
 * them again. cc_mem_setup and cc_mem_heap_advise do the same for the
 * malloc heap of the main thread, where LMDB takes its dirty pages.
 *
 * Built with AddressSanitizer, cc_mem_alloc is malloc underneath, so that
 * the sanitizer still sees every overrun.
 */
#ifndef CC_MEM_INTERNAL_H
#define CC_MEM_INTERNAL_H

#include <stddef.h>

/*
 * Sets the process's malloc policy for a run, once per process (later
 * calls do nothing): the main heap grows 64 MiB at a time and is given
 * back only past 256 MiB free, and blocks under 32 MiB come from the heaps,
 * so that what a stage frees the next one reuses instead of faulting fresh
 * pages in. Thread-safe.
 */
void cc_mem_setup(void);

/*
 * Advises MADV_HUGEPAGE on the part of the main malloc heap that grew since
 * the last call (the pages not yet touched then fault in 2 MiB at a time).
 * Cheap when the heap did not grow; call it where the heap grows, between
 * blocks. Does nothing before cc_mem_setup.
 */
void cc_mem_heap_advise(void);

/*
 * Returns at least size bytes (not zeroed), aligned to 64 bytes, from an
 * anonymous map advised MADV_HUGEPAGE when it is 2 MiB or more; NULL when
 * out of memory. Free it with cc_mem_free, never free().
 */
void *cc_mem_alloc(size_t size);

/*
 * Grows (never shrinks) the block p of cc_mem_alloc to size bytes, keeping
 * its bytes; p NULL is cc_mem_alloc(size). The pages move without a copy
 * when the map cannot grow in place. Returns the block, or NULL when out of
 * memory (then p is still valid and unchanged).
 */
void *cc_mem_realloc(void *p, size_t size);

/* Gives back a block of cc_mem_alloc; NULL is a no-op. */
void cc_mem_free(void *p);

/*
 * cc_grow (grow_internal.h) over cc_mem_realloc: makes room for `need`
 * elements of `size` bytes in *arr (capacity *cap), doubling from 4096.
 * Returns 0, or -1 when out of memory (then *arr and *cap are as they
 * were). Free the array with cc_mem_free.
 */
int cc_mem_grow(void **arr, size_t *cap, size_t need, size_t size);

#endif
