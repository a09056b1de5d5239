/*
 * bench_policy - the cost of the policy rules (SPEC 3.2) per record.
 *
 *   build/bench/bench_policy ROSTER.csv PERIOD ROUNDS [THREADS]
 *
 * Reads the roster with cc_ingest_file (as a run does) and, in the ingest
 * workers, judges every record ROUNDS times with cc_policy_check, timing
 * only those calls in CPU time of the thread (per thread, summed, so a
 * busy machine does not inflate it): the ns per record of the rules
 * pass alone, and the findings and counts it gives. Multiply by the
 * national 17.5 million records and divide by the threads to compare with
 * a national run's wall time (bench/RESULTS.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <omp.h>

#include "chachong/chachong.h"

typedef struct slot {
  double seconds;
  uint64_t records, hits;
  cc_policy_tally tally; /* the first round's counts */
  cc_policy_tally again; /* the other rounds' (a run always counts) */
  char pad[64];
} slot;

typedef struct bench {
  cc_policy_rules rules;
  cc_policy_period period;
  int rounds;
  slot *slots;
} bench;

static double cpu_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int work(void *vctx, const cc_block *b, int thread)
{
  bench *x = vctx;
  slot *s = &x->slots[thread];
  double t0 = cpu_now();
  int r;
  size_t i;
  /* Each record ROUNDS times in a row: in a run the rules judge a record
   * right after its index entry was encoded from it, in cache. */
  for (i = 0; i < b->n_records; i++)
    for (r = 0; r < x->rounds; r++) {
      const cc_record *rec = &b->records[i];
      cc_policy_hit h[CC_POLICY_HITS_MAX];
      /* As run.c does: only paid records reach the rules. */
      if (rec->grant > 0 || rec->waiver > 0)
        s->hits += (uint64_t)cc_policy_check(h, &x->rules, &x->period, rec,
                                             r == 0 ? &s->tally : &s->again);
    }
  s->seconds += cpu_now() - t0;
  s->records += b->n_records;
  return 0;
}

static int commit(void *vctx, const cc_block *b)
{
  (void)vctx;
  (void)b;
  return 0;
}

int main(int argc, char **argv)
{
  bench x;
  cc_ingest_options io = CC_INGEST_OPTIONS_INIT;
  cc_ingest_sink sink = {work, commit, NULL};
  cc_ingest_stats st;
  cc_policy_tally all;
  double sum = 0;
  uint64_t records = 0, hits = 0;
  int threads, i, k;

  if (argc < 4) {
    fprintf(stderr, "usage: bench_policy ROSTER.csv PERIOD ROUNDS [THREADS]\n");
    return 2;
  }
  memset(&x, 0, sizeof x);
  cc_policy_rules_init(&x.rules);
  if (cc_policy_period_parse(&x.period, argv[2]) < 0) {
    fprintf(stderr, "bench_policy: %s\n", cc_error_last());
    return 2;
  }
  x.rounds = atoi(argv[3]) > 0 ? atoi(argv[3]) : 1;
  threads = argc > 4 ? atoi(argv[4]) : omp_get_max_threads();
  x.slots = calloc((size_t)threads, sizeof *x.slots);
  if (x.slots == NULL)
    return 5;
  sink.ctx = &x;
  io.threads = threads;
  io.today = cc_date_today();
  if (cc_ingest_file(&st, argv[1], 0, &io, &sink) < 0) {
    fprintf(stderr, "bench_policy: %s\n", cc_error_last());
    return 3;
  }
  memset(&all, 0, sizeof all);
  for (i = 0; i < threads; i++) {
    sum += x.slots[i].seconds;
    records += x.slots[i].records;
    hits += x.slots[i].hits;
    cc_policy_tally_add(&all, &x.slots[i].tally);
  }
  printf("records %llu, rounds %d, threads %d\n", (unsigned long long)records,
         x.rounds, threads);
  printf("rules pass: %.1f ns per record (thread CPU time), %.3f s of CPU time "
         "per "
         "round\n",
         sum * 1e9 / ((double)records * x.rounds), sum / x.rounds);
  printf("national (17.5 M records) on %d threads: %.3f s of wall time\n",
         threads, sum / x.rounds / (double)records * 17.5e6 / threads);
  printf("hits per round %llu\n",
         (unsigned long long)(hits / (uint64_t)x.rounds));
  for (k = 0; k < CC_RULE_COUNT_; k++)
    printf("  %-14s judged %llu found %llu empty %llu unreadable %llu\n",
           cc_policy_rule_code((cc_policy_rule)k),
           (unsigned long long)all.rule[k].judged,
           (unsigned long long)all.rule[k].found,
           (unsigned long long)all.rule[k].empty,
           (unsigned long long)all.rule[k].unreadable);
  free(x.slots);
  return 0;
}
