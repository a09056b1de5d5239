/*
 * mem.c - memory for the large buffers of a run, in big pages.
 *
 * A block of cc_mem_alloc is an anonymous map that starts with a 64-byte
 * header (its length) before the caller's bytes:
 *
 *   base                        base + 64                base + len
 *   | size_t len | (padding)    | caller's bytes ...     |
 *
 * Maps of 2 MiB or more are aligned to 2 MiB and advised MADV_HUGEPAGE
 * (with transparent huge pages in `madvise` mode, the usual default, only
 * advised memory gets them), and their length is a multiple of 2 MiB, so
 * every 2 MiB of the block can be one page: a fault per 2 MiB instead of
 * one per 4 KiB. cc_mem_realloc grows a map in place with mremap, or moves
 * its pages (not their bytes) into a new aligned map.
 *
 * The malloc heap: LMDB keeps the pages a write transaction dirties in
 * malloc'd 4 KiB blocks on the thread that writes (run.c's main thread),
 * and the stages malloc and free their working arrays. cc_mem_setup makes
 * the main heap grow in 64 MiB steps and shrink only past 256 MiB free
 * (M_TOP_PAD, M_TRIM_THRESHOLD), and serves blocks up to 32 MiB from the
 * heaps (M_MMAP_THRESHOLD), so that freed memory is reused by the next
 * stage rather than given back and faulted in again; cc_mem_heap_advise advises
 * MADV_HUGEPAGE on what the heap grew since it was last called. (The heap
 * grows by brk, and the kernel does not carry the advice over to a brk
 * extension: hence the call between blocks.) The advice changes no byte of
 * the heap, only how its untouched pages are brought in.
 *
 * Under AddressSanitizer blocks are malloc'd (same header) and the heap is
 * the sanitizer's, so neither advice applies.
 */
#define _GNU_SOURCE /* mremap */
#include "mem_internal.h"

#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define CC_MEM_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CC_MEM_MALLOC 1
#endif
#endif

#define HDR 64                      /* header bytes before the caller's */
#define HUGE_PAGE ((size_t)2 << 20) /* x86-64 and arm64 (4 KiB base) PMD */
#define HEAP_PAD ((size_t)64 << 20) /* the main heap grows by this much */

static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
#ifndef CC_MEM_MALLOC
static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;
static uintptr_t
    heap_advised; /* end of the heap advised so far; 0 before setup */
#endif

static void setup(void)
{
#ifndef CC_MEM_MALLOC
  /* Setting any of these turns off glibc's sliding mmap threshold (which
   * starts at 128 KiB and rises to 32 MiB as mapped blocks are freed), so
   * the threshold is set where it would end: blocks under 32 MiB come from
   * the heaps and are reused, not mapped and faulted in afresh each time.
   * The heap is given back only past 256 MiB free at its top. */
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TOP_PAD, (int)HEAP_PAD);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  pthread_mutex_lock(&heap_lock);
  heap_advised = (uintptr_t)sbrk(0);
  pthread_mutex_unlock(&heap_lock);
#endif
}

void cc_mem_setup(void)
{
  pthread_once(&setup_once, setup);
}

void cc_mem_heap_advise(void)
{
#ifndef CC_MEM_MALLOC
  uintptr_t top, from;
  pthread_mutex_lock(&heap_lock);
  top = (uintptr_t)sbrk(0);
  if (heap_advised != 0 && top != (uintptr_t)-1 && top > heap_advised) {
    /* From the page where the advice stopped (the page holding the last
     * advised byte may have been faulted in already; advising it again
     * is harmless). */
    from = heap_advised & ~(uintptr_t)(sysconf(_SC_PAGESIZE) - 1);
    if (madvise((void *)from, top - from, MADV_HUGEPAGE) == 0)
      heap_advised = top;
  }
  pthread_mutex_unlock(&heap_lock);
#endif
}

/* The map length for size caller bytes: 0 on overflow. */
static size_t map_len(size_t size)
{
  size_t pg = (size_t)sysconf(_SC_PAGESIZE), len;
  if (size > SIZE_MAX - HDR - HUGE_PAGE)
    return 0;
  len = size + HDR;
  if (len >= HUGE_PAGE)
    return (len + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
  return (len + pg - 1) & ~(pg - 1);
}

#ifndef CC_MEM_MALLOC
/* A fresh anonymous map of len bytes, 2 MiB-aligned and advised when len
 * is a multiple of 2 MiB; NULL when out of memory. */
static void *map_new(size_t len)
{
  uint8_t *p, *al;
  size_t head;
  if (len < HUGE_PAGE) {
    p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
             0);
    return p == MAP_FAILED ? NULL : p;
  }
  /* Map 2 MiB more and cut off both ends to align. */
  p = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return NULL;
  al =
      (uint8_t *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
  head = (size_t)(al - p);
  if (head)
    munmap(p, head);
  munmap(al + len, HUGE_PAGE - head);
  madvise(al, len, MADV_HUGEPAGE); /* advice only: nothing to do if refused */
  return al;
}
#endif

void *cc_mem_alloc(size_t size)
{
  size_t len = map_len(size);
  uint8_t *base;
  if (len == 0)
    return NULL;
#ifdef CC_MEM_MALLOC
  len = size + HDR; /* what malloc gives: realloc must not trust more */
  /* Aligned to 64 as the maps are (malloc gives 16 under the sanitizer). */
  base = aligned_alloc(64, (len + 63) & ~(size_t)63);
#else
  base = map_new(len);
#endif
  if (base == NULL)
    return NULL;
  memcpy(base, &len, sizeof len);
  return base + HDR;
}

void *cc_mem_realloc(void *p, size_t size)
{
  uint8_t *base, *nb;
  size_t len, nlen;
  if (p == NULL)
    return cc_mem_alloc(size);
  base = (uint8_t *)p - HDR;
  memcpy(&len, base, sizeof len);
  nlen = map_len(size);
  if (nlen == 0)
    return NULL;
#ifdef CC_MEM_MALLOC
  nlen = size + HDR;
#endif
  if (nlen <= len)
    return p;
#ifdef CC_MEM_MALLOC
  /* realloc would not keep the alignment: a new block, the bytes copied. */
  nb = aligned_alloc(64, (nlen + 63) & ~(size_t)63);
  if (nb == NULL)
    return NULL;
  memcpy(nb, base, len);
  free(base);
#else
  nb = mremap(base, len, nlen, 0); /* in place when the next pages are free */
  if (nb == MAP_FAILED) {
    /* Move the old pages to the start of a new aligned map: the kernel
     * remaps them, no byte is copied and none faults again. */
    nb = map_new(nlen);
    if (nb == NULL)
      return NULL;
    if (mremap(base, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, nb) ==
        MAP_FAILED) {
      memcpy(nb, base, len);
      munmap(base, len);
    }
  } else if (nlen >= HUGE_PAGE) {
    madvise(nb, nlen, MADV_HUGEPAGE);
  }
#endif
  memcpy(nb, &nlen, sizeof nlen);
  return nb + HDR;
}

void cc_mem_free(void *p)
{
  uint8_t *base;
  if (p == NULL)
    return;
  base = (uint8_t *)p - HDR;
#ifdef CC_MEM_MALLOC
  free(base);
#else
  {
    size_t len;
    memcpy(&len, base, sizeof len);
    munmap(base, len);
  }
#endif
}

int cc_mem_grow(void **arr, size_t *cap, size_t need, size_t size)
{
  size_t ncap;
  void *grown;
  if (need <= *cap)
    return 0;
  ncap = *cap ? *cap : 4096;
  while (ncap < need) {
    if (ncap > SIZE_MAX / 2)
      return -1;
    ncap *= 2;
  }
  if (size != 0 && ncap > SIZE_MAX / size)
    return -1;
  grown = cc_mem_realloc(*arr, ncap * size);
  if (grown == NULL)
    return -1;
  *arr = grown;
  *cap = ncap;
  return 0;
}
