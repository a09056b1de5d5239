/*
 * index.c - the index stage: the entries of the hash index and of the fuzzy
 * tier's blocks, put in key order before the storage layer appends them
 * (store_roster.c draws the layouts and writes them). The sort runs on
 * every thread: buckets by the top bits of the hash, each bucket sorted on
 * its own; the parts that ingest's threads produced are merged so that at
 * most two arrays of all entries are held at once.
 */
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "error_internal.h"
#include "index_internal.h"
#include "mem_internal.h"

/* Sorting: buckets by the top bits of the hash, each sorted alone. */
#define SORT_BITS 12
#define SORT_BUCKETS (1u << SORT_BITS)

/* ------------------------------------------------------------------ */
/* Sorting entries: by the top 12 bits of the hash into buckets, then each
 * bucket sorted on its own thread. Keys (hash, roster, line) are unique. */

static int entry_less(const cc_index_entry *a, const cc_index_entry *b)
{
  if (a->hash != b->hash)
    return a->hash < b->hash;
  if (a->roster != b->roster)
    return a->roster < b->roster;
  return a->line < b->line;
}

/* Sorts a small range (a bucket): quicksort with median of three down to
 * 24 elements, then insertion sort, the comparison inlined. */
// clang-format off
#define DEFINE_RANGE_SORT(NAME, TYPE, LESS)                                    \
  static void NAME(TYPE *e, size_t n)                                          \
  {                                                                            \
    while (n > 24) {                                                           \
      TYPE pivot, tmp;                                                         \
      size_t i = 0, j = n - 1, m = n / 2;                                      \
      if (LESS(&e[m], &e[0])) { tmp = e[m]; e[m] = e[0]; e[0] = tmp; }         \
      if (LESS(&e[j], &e[0])) { tmp = e[j]; e[j] = e[0]; e[0] = tmp; }         \
      if (LESS(&e[j], &e[m])) { tmp = e[j]; e[j] = e[m]; e[m] = tmp; }         \
      pivot = e[m];                                                            \
      for (;;) {                                                               \
        while (LESS(&e[i], &pivot))                                            \
          i++;                                                                 \
        while (LESS(&pivot, &e[j]))                                            \
          j--;                                                                 \
        if (i >= j)                                                            \
          break;                                                               \
        tmp = e[i]; e[i] = e[j]; e[j] = tmp;                                   \
        i++;                                                                   \
        j--;                                                                   \
      }                                                                        \
      /* Recurse on the smaller side, loop on the larger. */                   \
      if (j + 1 < n - j - 1) {                                                 \
        NAME(e, j + 1);                                                        \
        e += j + 1;                                                            \
        n -= j + 1;                                                            \
      } else {                                                                 \
        NAME(e + j + 1, n - j - 1);                                            \
        n = j + 1;                                                             \
      }                                                                        \
    }                                                                          \
    for (size_t i = 1; i < n; i++) {                                           \
      TYPE x = e[i];                                                           \
      size_t j;                                                                \
      for (j = i; j > 0 && LESS(&x, &e[j - 1]); j--)                           \
        e[j] = e[j - 1];                                                       \
      e[j] = x;                                                                \
    }                                                                          \
  }

// clang-format on
DEFINE_RANGE_SORT(sort_range, cc_index_entry, entry_less)

static int block_less(const cc_block_entry *a, const cc_block_entry *b)
{
  if (a->key != b->key)
    return a->key < b->key;
  if (a->roster != b->roster)
    return a->roster < b->roster;
  return a->line < b->line;
}

DEFINE_RANGE_SORT(sort_blocks_range, cc_block_entry, block_less)

static int ref_less(const cc_block_ref *a, const cc_block_ref *b)
{
  if (a->key != b->key)
    return a->key < b->key;
  return a->at < b->at;
}

DEFINE_RANGE_SORT(sort_refs_range, cc_block_ref, ref_less)

/*
 * Radix sort, most significant digits first, for keys that are uniform
 * hashes:
 *  1. scatter: each part (a worker's array) is counted and scattered by
 *     the top SORT_BITS of the key into one array, every part on its own
 *     thread (sequential reads, 4096 write streams per thread);
 *  2. each bucket (some 4,000 entries at national scale, in L2) is
 *     scattered by the next SORT_BITS into its place in the output, and
 *     the runs that share their top 24 bits (one or two entries, as a
 *     rule) are finished by insertion sort, or by quicksort past 32
 *     entries so that many equal keys cannot make it quadratic.
 * Against one gathering copy, one serial scatter and quicksort within
 * buckets, this took the national sorts (17.5 million index entries, 35
 * million blocking entries, 2 threads) from 0.92 and 1.67 s to 0.66 and
 * 0.75 s, measured with another build running on the machine.
 * The in-place variant (swapping each element home) saves the second
 * array but is 2.5 times slower at national scale (random swaps over
 * 840 MB).
 */
#define RUN_INSERTION_MAX 32

// clang-format off
#define DEFINE_RADIX_SORT(NAME, TYPE, KEY, RANGE_SORT, LESS)                   \
  /* Scatters parts[0..k) by the top bits into tmp; start[b] is where        \
   * bucket b begins (start[SORT_BUCKETS] = n). */                            \
  static int NAME##_scatter(TYPE *tmp, size_t *start, TYPE *const *parts,    \
                            const size_t *lens, int k, int threads)           \
  {                                                                           \
    size_t *hist = calloc((size_t)k * SORT_BUCKETS, sizeof *hist);            \
    size_t b, sum = 0;                                                        \
    int p;                                                                    \
    if (hist == NULL)                                                         \
      return cc_error_set(CC_ENOMEM, "out of memory sorting");                \
    _Pragma("omp parallel for schedule(static, 1) num_threads(threads)")      \
    for (p = 0; p < k; p++) {                                                 \
      size_t *h = hist + (size_t)p * SORT_BUCKETS, i;                         \
      for (i = 0; i < lens[p]; i++)                                           \
        h[parts[p][i].KEY >> (64 - SORT_BITS)]++;                             \
    }                                                                         \
    /* Bucket-major offsets: bucket b holds part 0's entries, then part 1's  \
     * and so on, so the order of equal keys does not matter to callers    \
     * (the full key breaks every tie). */                                  \
    for (b = 0; b < SORT_BUCKETS; b++) {                                      \
      start[b] = sum;                                                         \
      for (p = 0; p < k; p++) {                                               \
        size_t c = hist[(size_t)p * SORT_BUCKETS + b];                        \
        hist[(size_t)p * SORT_BUCKETS + b] = sum;                             \
        sum += c;                                                             \
      }                                                                       \
    }                                                                         \
    start[SORT_BUCKETS] = sum;                                                \
    _Pragma("omp parallel for schedule(static, 1) num_threads(threads)")      \
    for (p = 0; p < k; p++) {                                                 \
      size_t *h = hist + (size_t)p * SORT_BUCKETS, i;                         \
      for (i = 0; i < lens[p]; i++)                                           \
        tmp[h[parts[p][i].KEY >> (64 - SORT_BITS)]++] = parts[p][i];          \
    }                                                                         \
    free(hist);                                                               \
    return 0;                                                                 \
  }                                                                           \
                                                                              \
  /* Sorts the n entries of one bucket, src, into dst. */                   \
  static void NAME##_bucket(TYPE *dst, const TYPE *src, size_t n)            \
  {                                                                           \
    size_t cnt[SORT_BUCKETS + 1], i, r;                                       \
    const int shift = 64 - 2 * SORT_BITS;                                     \
    if (n <= RUN_INSERTION_MAX) {                                             \
      memcpy(dst, src, n * sizeof *dst);                                      \
      RANGE_SORT(dst, n);                                                     \
      return;                                                                 \
    }                                                                         \
    memset(cnt, 0, sizeof cnt);                                               \
    for (i = 0; i < n; i++)                                                   \
      cnt[((src[i].KEY >> shift) & (SORT_BUCKETS - 1)) + 1]++;                \
    for (i = 0; i < SORT_BUCKETS; i++)                                        \
      cnt[i + 1] += cnt[i];                                                   \
    for (i = 0; i < n; i++)                                                   \
      dst[cnt[(src[i].KEY >> shift) & (SORT_BUCKETS - 1)]++] = src[i];        \
    /* cnt[r] is now the end of run r. */                                     \
    for (r = 0, i = 0; r < SORT_BUCKETS; r++) {                               \
      size_t end = cnt[r], m = end - i;                                       \
      if (m > RUN_INSERTION_MAX)                                              \
        RANGE_SORT(dst + i, m);                                               \
      else if (m > 1) {                                                       \
        size_t a, c;                                                          \
        for (a = i + 1; a < end; a++) {                                       \
          TYPE x = dst[a];                                                    \
          for (c = a; c > i && LESS(&x, &dst[c - 1]); c--)                    \
            dst[c] = dst[c - 1];                                              \
          dst[c] = x;                                                         \
        }                                                                     \
      }                                                                       \
      i = end;                                                                \
    }                                                                         \
  }                                                                           \
                                                                              \
  /* Sorts every bucket of tmp into out. */                                   \
  static void NAME##_buckets(TYPE *out, const TYPE *tmp, const size_t *start, \
                             int threads)                                     \
  {                                                                           \
    long bk;                                                                  \
    _Pragma("omp parallel for schedule(dynamic, 16) num_threads(threads)")    \
    for (bk = 0; bk < (long)SORT_BUCKETS; bk++)                               \
      NAME##_bucket(out + start[bk], tmp + start[bk],                         \
                    start[bk + 1] - start[bk]);                               \
  }                                                                           \
                                                                              \
  static int __attribute__((unused))                                         \
      NAME##_parts(TYPE **out, TYPE **parts, const size_t *lens, int k,       \
                   int threads)                                               \
  {                                                                           \
    size_t *start = malloc((SORT_BUCKETS + 1) * sizeof *start), n = 0;        \
    TYPE *tmp, *res;                                                          \
    int p, rc;                                                                \
    for (p = 0; p < k; p++)                                                   \
      n += lens[p];                                                           \
    tmp = cc_mem_alloc((n ? n : 1) * sizeof *tmp);                            \
    rc = start == NULL || tmp == NULL                                         \
             ? cc_error_set(CC_ENOMEM, "out of memory sorting")               \
             : NAME##_scatter(tmp, start, parts, lens, k, threads);           \
    /* The parts are in tmp now: give their memory back before the output   \
     * is allocated, so the peak is two arrays, not three. */                 \
    for (p = 0; p < k; p++) {                                                 \
      cc_mem_free(parts[p]);                                                  \
      parts[p] = NULL;                                                        \
    }                                                                         \
    if (rc < 0) {                                                             \
      free(start);                                                            \
      cc_mem_free(tmp);                                                       \
      return rc;                                                              \
    }                                                                         \
    res = cc_mem_alloc((n ? n : 1) * sizeof *res);                            \
    if (res == NULL) {                                                        \
      free(start);                                                            \
      cc_mem_free(tmp);                                                       \
      return cc_error_set(CC_ENOMEM, "out of memory sorting");                \
    }                                                                         \
    NAME##_buckets(res, tmp, start, threads);                                 \
    free(start);                                                              \
    cc_mem_free(tmp);                                                         \
    *out = res;                                                               \
    return 0;                                                                 \
  }                                                                           \
                                                                              \
  static int __attribute__((unused)) NAME(TYPE *e, size_t n, int threads)    \
  {                                                                           \
    size_t *start = malloc((SORT_BUCKETS + 1) * sizeof *start);               \
    TYPE *tmp = cc_mem_alloc((n ? n : 1) * sizeof *tmp);                      \
    TYPE *const parts[1] = {e};                                               \
    int rc;                                                                   \
    if (start == NULL || tmp == NULL) {                                       \
      free(start);                                                            \
      cc_mem_free(tmp);                                                       \
      return cc_error_set(CC_ENOMEM, "out of memory sorting");                \
    }                                                                         \
    if ((rc = NAME##_scatter(tmp, start, parts, &n, 1, threads)) == 0)       \
      NAME##_buckets(e, tmp, start, threads);                                 \
    free(start);                                                              \
    cc_mem_free(tmp);                                                         \
    return rc;                                                                \
  }

// clang-format on
DEFINE_RADIX_SORT(radix_sort_entries, cc_index_entry, hash, sort_range,
                  entry_less)
DEFINE_RADIX_SORT(radix_sort_refs, cc_block_ref, key, sort_refs_range, ref_less)

int cc_index_sort(cc_index_entry *e, size_t n, int threads)
{
  return radix_sort_entries(e, n, threads);
}

int cc_index_sort_parts(cc_index_entry **out, cc_index_entry **parts,
                        const size_t *lens, int k, int threads)
{
  return radix_sort_entries_parts(out, parts, lens, k, threads);
}

/*
 * The fuzzy tier's blocks:
 *  1. the refs of every part (a worker's, made as it read its records) are
 *     scattered by the top bits of the key into one array (the sort above);
 *  2. each bucket is sorted into a scratch array of its own size and only
 *     its runs of two or more equal keys are written back, at the bucket's
 *     start;
 *  3. the refs kept (most records are alone in their blocks: at 1M records
 *     2 million refs, of which some 80,000 are kept) are made whole from
 *     their workers' index entries and put in (key, roster, line) order.
 * A ref is 12 bytes against 24 for a whole entry, and the grouping runs on
 * every thread before the index entries are sorted (which frees the
 * workers' arrays the refs point into): against whole entries grouped on
 * one thread beside the writer, this takes half the fresh memory, which a
 * virtual machine makes expensive to touch, and half the wall time
 * (bench/RESULTS.md).
 */
int cc_index_group_blocks(cc_block_entry **out, size_t *n_out,
                          cc_block_ref **parts, const size_t *lens, int k,
                          const cc_index_entry *const *entries, int threads)
{
  size_t *start = malloc((SORT_BUCKETS + 1) * sizeof *start);
  size_t *kept = calloc(SORT_BUCKETS, sizeof *kept);
  size_t n = 0, total = 0, b, at, i;
  cc_block_ref *tmp;
  cc_block_entry *res = NULL;
  int p, rc = 0, failed = 0;
  long bk;

  *out = NULL;
  *n_out = 0;
  for (p = 0; p < k; p++)
    n += lens[p];
  tmp = cc_mem_alloc((n ? n : 1) * sizeof *tmp);
  rc = start == NULL || kept == NULL || tmp == NULL
           ? cc_error_set(CC_ENOMEM, "out of memory grouping blocks")
           : radix_sort_refs_scatter(tmp, start, parts, lens, k, threads);
  for (p = 0; p < k; p++) {
    cc_mem_free(parts[p]);
    parts[p] = NULL;
  }
  if (rc < 0)
    goto done;
#pragma omp parallel num_threads(threads) reduction(| : failed)
  {
    cc_block_ref *scratch = NULL;
    size_t cap = 0;
#pragma omp for schedule(dynamic, 16)
    for (bk = 0; bk < (long)SORT_BUCKETS; bk++) {
      cc_block_ref *src = tmp + start[bk];
      size_t m = start[bk + 1] - start[bk], r = 0, w = 0;
      if (m < 2 || failed)
        continue;
      if (m > cap) {
        free(scratch);
        cap = m * 2;
        if ((scratch = malloc(cap * sizeof *scratch)) == NULL) {
          cap = 0;
          failed = 1;
          continue;
        }
      }
      radix_sort_refs_bucket(scratch, src, m);
      while (r < m) {
        size_t j = r + 1;
        while (j < m && scratch[j].key == scratch[r].key)
          j++;
        if (j - r >= 2) {
          memcpy(src + w, scratch + r, (j - r) * sizeof *src);
          w += j - r;
        }
        r = j;
      }
      kept[bk] = w;
    }
    free(scratch);
  }
  if (failed) {
    rc = cc_error_set(CC_ENOMEM, "out of memory grouping blocks");
    goto done;
  }
  for (b = 0; b < SORT_BUCKETS; b++)
    total += kept[b];
  if ((res = malloc((total ? total : 1) * sizeof *res)) == NULL) {
    rc = cc_error_set(CC_ENOMEM, "out of memory grouping blocks");
    goto done;
  }
  for (b = 0, at = 0; b < SORT_BUCKETS; b++)
    for (i = 0; i < kept[b]; i++, at++) {
      const cc_block_ref *x = &tmp[start[b] + i];
      const cc_index_entry *e =
          &entries[x->at % (uint32_t)k][x->at / (uint32_t)k];
      res[at].key = x->key;
      res[at].id_hash = e->hash;
      res[at].line = e->line;
      res[at].roster = e->roster;
    }
  /* Within a block the refs are in the order of their places: put them in
   * (roster, line) order, the order a block's first 64 members are taken
   * in. */
  for (i = 0; i < total;) {
    size_t j = i + 1;
    while (j < total && res[j].key == res[i].key)
      j++;
    sort_blocks_range(res + i, j - i);
    i = j;
  }
  *out = res;
  *n_out = total;
done:
  free(start);
  free(kept);
  cc_mem_free(tmp);
  return rc;
}
