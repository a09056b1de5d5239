/*
 * bench_compare - times the compare stage (exact tier) or the fuzzy tier
 * alone, over a period that a run has already published, at each thread
 * count given.
 *
 *   bench_compare [--fuzzy] DB PERIOD ROUNDS THREADS...
 *
 * With --fuzzy, the typo seeds (records whose 17- or 18-character ID is
 * invalid) are first rebuilt from the index, as the run gathers them while
 * reading, and the fuzzy tier is timed; its possible matches are not
 * written.
 *
 * Before each round the process drops its view of the map (the pages stay
 * in the page cache), so every round starts as the run's compare stage
 * does: the index freshly written, in the page cache, not yet mapped.
 * Prints seconds, minor faults and findings per round, then the median.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "chachong/chachong.h"
#include "compare_internal.h"
#include "fuzzy_internal.h"
#include "index_internal.h"
#include "mem_internal.h"
#include "store_lmdb_internal.h"

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long minflt(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

/* The typo seeds of a generation, in idx order, and its blocking entries
 * of blocks of two or more, sorted (as the run makes them). */
static cc_typo_seed *load_seeds(cc_db *db, uint32_t gen, size_t *n,
                                cc_block_entry **blocks, size_t *nb)
{
  MDB_txn *txn;
  MDB_dbi rec, idx;
  cc_idx_cursor cur;
  cc_index_item x;
  cc_typo_seed *seeds = NULL;
  cc_block_ref *refs = NULL;
  cc_index_entry *ents = NULL;
  size_t cap = 0, cap_b = 0, cap_e = 0, n_refs = 0, n_ents = 0;
  *n = 0;
  *blocks = NULL;
  *nb = 0;
  if (mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn) != 0 ||
      cc_index_open_gen(&rec, &idx, NULL, txn, gen) < 0 ||
      cc_idx_open(&cur, txn, idx) < 0)
    return NULL;
  while (cc_idx_next(&cur, &x) == 0) {
    cc_record r;
    uint64_t bk[CC_FUZZY_BLOCK_KEYS_MAX];
    int nk, k;
    memset(&r, 0, sizeof r);
    r.id_len = x.id_len;
    memcpy(r.id, x.id, x.id_len);
    r.name_folded.ptr = x.name_folded;
    r.name_folded.len = x.name_folded_len;
    nk = cc_fuzzy_block_keys(bk, &r);
    if (n_ents == cap_e) {
      cap_e = cap_e ? cap_e * 2 : 4096;
      ents = realloc(ents, cap_e * sizeof *ents);
      if (ents == NULL)
        exit(1);
    }
    memset(&ents[n_ents], 0, sizeof ents[n_ents]);
    ents[n_ents].hash = x.hash;
    ents[n_ents].line = x.line;
    ents[n_ents].roster = x.roster;
    for (k = 0; k < nk; k++) {
      if (n_refs == cap_b) {
        cap_b = cap_b ? cap_b * 2 : 4096;
        refs = cc_mem_realloc(refs, cap_b * sizeof *refs);
        if (refs == NULL)
          exit(1);
      }
      refs[n_refs].key = bk[k];
      refs[n_refs].at = (uint32_t)n_ents;
      n_refs++;
    }
    n_ents++;
    if (x.id_verdict != CC_ID_INVALID || (x.id_len != 17 && x.id_len != 18))
      continue;
    if (*n == cap) {
      cap = cap ? cap * 2 : 1024;
      seeds = realloc(seeds, cap * sizeof *seeds);
      if (seeds == NULL)
        exit(1);
    }
    memset(&seeds[*n], 0, sizeof seeds[*n]);
    seeds[*n].hash = x.hash;
    seeds[*n].line = x.line;
    seeds[*n].roster = x.roster;
    seeds[*n].id_len = x.id_len;
    memcpy(seeds[*n].id, x.id, x.id_len);
    (*n)++;
  }
  cc_idx_close(&cur);
  mdb_txn_abort(txn);
  {
    cc_block_ref *parts[1] = {refs};
    const cc_index_entry *const places[1] = {ents};
    if (cc_index_group_blocks(blocks, nb, parts, &n_refs, 1, places, 2) < 0)
      exit(1);
    free(ents);
  }
  return seeds;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
  cc_db_options o = CC_DB_OPTIONS_INIT;
  const char *labels[] = {"moe", "mohrss"};
  cc_db *db;
  MDB_txn *txn;
  uint32_t gen;
  int rounds, a, fuzzy = 0;
  cc_typo_seed *seeds = NULL;
  cc_block_entry *blocks = NULL;
  size_t n_seeds = 0, n_blocks = 0;

  if (argc > 1 && strcmp(argv[1], "--fuzzy") == 0) {
    fuzzy = 1;
    argv++;
    argc--;
  }
  if (argc < 5) {
    fprintf(stderr,
            "usage: bench_compare [--fuzzy] DB PERIOD ROUNDS THREADS...\n");
    return 2;
  }
  rounds = atoi(argv[3]);
  o.read_only = 1;
  if (cc_db_open(&db, argv[1], &o) < 0) {
    fprintf(stderr, "bench_compare: %s\n", cc_error_last());
    return 1;
  }
  if (mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn) != 0 ||
      cc_index_period_gen(&gen, db, txn, argv[2]) < 0) {
    fprintf(stderr, "bench_compare: no period %s\n", argv[2]);
    return 1;
  }
  mdb_txn_abort(txn);
  if (fuzzy)
    seeds = load_seeds(db, gen, &n_seeds, &blocks, &n_blocks);
  for (a = 4; a < argc; a++) {
    int threads = atoi(argv[a]), r;
    double *t = calloc((size_t)rounds, sizeof *t);
    for (r = 0; r < rounds; r++) {
      cc_finding_list out;
      double t0;
      long f0;
      cc_index_release_pages(db);
      f0 = minflt();
      t0 = now_s();
      if (fuzzy) {
        cc_fuzzy_stats fs;
        memset(&out, 0, sizeof out);
        if (cc_fuzzy_run(&out, &fs, NULL, db, gen, labels, seeds, n_seeds, NULL,
                         blocks, n_blocks, NULL, NULL, threads) < 0) {
          fprintf(stderr, "bench_compare: %s\n", cc_error_last());
          return 1;
        }
      } else if (cc_compare_exact(&out, db, gen, labels, threads) < 0) {
        fprintf(stderr, "bench_compare: %s\n", cc_error_last());
        return 1;
      }
      t[r] = now_s() - t0;
      printf("threads=%d round=%d %.3f s, %ld minor faults, %zu findings\n",
             threads, r, t[r], minflt() - f0, out.n);
      cc_finding_list_dispose(&out);
    }
    qsort(t, (size_t)rounds, sizeof *t, cmp_double);
    printf("threads=%d median %.3f s (min %.3f, max %.3f)\n", threads,
           t[rounds / 2], t[0], t[rounds - 1]);
    free(t);
  }
  free(seeds);
  free(blocks);
  cc_db_close(db);
  return 0;
}
