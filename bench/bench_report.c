/*
 * bench_report.c - how long does the report page take at national scale?
 *
 * A national period holds about 300,000 findings over some 10,000 schools
 * (7,000 中职 in moe, 3,000 技工 in mohrss) in 31 provinces. This program
 * synthesizes such periods deterministically (same seed, same findings):
 * 2-3 members per finding, most of them within one city, some across
 * provinces; types and states in realistic shares; money on the grant and
 * waiver findings. It then times, with the findings already in memory:
 *
 *   trend     cc_report_add_period over every period but the last
 *   current   cc_report_set_current over the last (the one-pass aggregation)
 *   records   cc_report_set_school_records for every school
 *   render    cc_report_render (sorting, the tables, the SVG)
 *
 * and prints the page's size. Loading the findings from the database
 * (cc_db_load_findings) is not included: time `chachong report` on a real
 * database for that.
 *
 * Usage: bench_report [FINDINGS_PER_PERIOD [PERIODS]]
 *        (default 300000 6). The page is written to bench_report.html when
 *        BENCH_REPORT_HTML is set (to look at it).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chachong/errors.h"
#include "chachong/finding.h"
#include "chachong/lifecycle.h"
#include "chachong/report.h"

#define N_SCHOOLS 10000
#define N_MOE 7000

/* The 31 provinces of the mainland (GB/T 2260). */
static const char *const provinces[31] = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33",
    "34", "35", "36", "37", "41", "42", "43", "44", "45", "46", "50",
    "51", "52", "53", "54", "61", "62", "63", "64", "65"};

typedef struct bschool {
  char code[16];
  char name[64];
  char region[8];
  uint64_t records;
} bschool;

static bschool schools[N_SCHOOLS];

static uint64_t rng_state;

/* SplitMix64: deterministic and fast. */
static uint64_t rnd(void)
{
  uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static unsigned below(unsigned n)
{
  return (unsigned)(rnd() % n);
}

static cc_str S(const char *s)
{
  cc_str r;
  r.ptr = s;
  r.len = (uint32_t)strlen(s);
  return r;
}

static void make_schools(void)
{
  unsigned i;
  for (i = 0; i < N_SCHOOLS; i++) {
    bschool *s = &schools[i];
    const char *p = provinces[below(31)];
    unsigned city = 1 + below(12), county = 1 + below(20);
    snprintf(s->region, sizeof s->region, "%s%02u%02u", p, city, county);
    if (i < N_MOE)
      snprintf(s->code, sizeof s->code, "41%s%06u", s->region + 0, i);
    else
      snprintf(s->code, sizeof s->code, "J%s%04u", s->region, i - N_MOE);
    snprintf(s->name, sizeof s->name, "%s第%u职业学校", s->region, i);
    /* 17.5 million records over 10,000 schools: 300 to 3,200 each. */
    s->records = 300 + below(2900);
  }
}

/* A school near `a` (same province most of the time) or anywhere. */
static unsigned other_school(unsigned a)
{
  unsigned tries;
  if (below(10) == 0)
    return below(N_SCHOOLS);
  for (tries = 0; tries < 64; tries++) {
    unsigned b = below(N_SCHOOLS);
    if (memcmp(schools[b].region, schools[a].region, 2) == 0 && b != a)
      return b;
  }
  return below(N_SCHOOLS);
}

/* One period's findings; `items` and `members` malloc'd by the caller. */
static void make_period(cc_finding_list *list, cc_finding *items,
                        cc_member *members, size_t n, uint64_t seed)
{
  static const unsigned type_share[] = {45, 10, 20, 20, 5}; /* percent */
  static const char *const labels[2] = {"moe", "mohrss"};
  size_t i, used = 0;
  rng_state = seed;
  for (i = 0; i < n; i++) {
    cc_finding *f = &items[i];
    unsigned t = 0, x = below(100), acc = 0, k, nm = 2 + (below(5) == 0);
    unsigned a = below(N_SCHOOLS);
    for (t = 0; t < 5; t++) {
      acc += type_share[t];
      if (x < acc)
        break;
    }
    memset(f, 0, sizeof *f);
    f->finding_id = rnd();
    f->type = (uint8_t)(t < 5 ? t : 0);
    x = below(100);
    f->state = x < 35   ? CC_STATE_NEW
               : x < 60 ? CC_STATE_OPEN
               : x < 85 ? CC_STATE_OVERDUE
                        : CC_STATE_CLEARED;
    f->cleared_on_time = below(2);
    f->claimed = f->state != CC_STATE_CLEARED && below(50) == 0;
    snprintf(f->id, sizeof f->id, "%.6s19%02u%02u%02u%03u%c", schools[a].region,
             80 + below(20), 1 + below(12), 1 + below(28), below(1000),
             "0123456789X"[below(11)]);
    f->id_valid = 1;
    f->issued = 20000 + (cc_date)below(200);
    f->deadline = f->issued + 14;
    f->seen = 20300;
    f->members = &members[used];
    f->n_members = nm;
    for (k = 0; k < nm; k++) {
      unsigned s = k == 0                              ? a
                   : f->type == CC_FT_DUPLICATE_RECORD ? a
                                                       : other_school(a);
      cc_member *m = &members[used++];
      memset(m, 0, sizeof *m);
      m->roster = s < N_MOE ? 0 : 1;
      m->label = S(labels[m->roster]);
      m->line = 2 + below(1000000);
      m->school_code = S(schools[s].code);
      m->school_name = S(schools[s].name);
      m->region_code = S(schools[s].region);
      m->status = 1;
    }
    if (f->type == CC_FT_DOUBLE_GRANT)
      f->amount_at_risk = 100000 * (int64_t)(nm - 1);
    else if (f->type == CC_FT_DOUBLE_WAIVER)
      f->amount_at_risk = (120000 + 10000 * (int64_t)below(10)) * (nm - 1);
  }
  list->items = items;
  list->n = n;
  list->mem_ = NULL;
}

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
  size_t n = argc > 1 ? (size_t)atol(argv[1]) : 300000;
  int periods = argc > 2 ? atoi(argv[2]) : 6, p;
  cc_finding *items = malloc((n ? n : 1) * sizeof *items);
  cc_member *members = malloc((n ? n : 1) * 3 * sizeof *members);
  cc_finding_list list;
  cc_report_options o = CC_REPORT_OPTIONS_INIT;
  cc_report *r = NULL;
  char *html = NULL;
  size_t len = 0, i;
  double t0, t_trend = 0, t_cur, t_rec, t_render;
  cc_report_summary s;

  if (items == NULL || members == NULL || periods < 1) {
    fprintf(stderr, "bench_report: out of memory or bad arguments\n");
    return 1;
  }
  rng_state = 20261122;
  make_schools();
  o.generated_at = 1795000000;
  if (cc_report_new(&r, &o) != 0) {
    fprintf(stderr, "bench_report: %s\n", cc_error_last());
    return 1;
  }
  for (p = 0; p < periods - 1; p++) {
    char period[8];
    snprintf(period, sizeof period, "2026-%02d", 1 + p % 12);
    make_period(&list, items, members, n, 1000 + (uint64_t)p);
    t0 = now();
    if (cc_report_add_period(r, period, &list) != 0)
      return 1;
    t_trend += now() - t0;
  }
  make_period(&list, items, members, n, 999);
  t0 = now();
  if (cc_report_set_current(r, "2026-12", &list) != 0) {
    fprintf(stderr, "bench_report: %s\n", cc_error_last());
    return 1;
  }
  t_cur = now() - t0;
  t0 = now();
  for (i = 0; i < N_SCHOOLS; i++)
    if (cc_report_set_school_records(r, i < N_MOE ? "moe" : "mohrss",
                                     schools[i].code, schools[i].records))
      return 1;
  t_rec = now() - t0;
  t0 = now();
  if (cc_report_render(&html, &len, r) != 0) {
    fprintf(stderr, "bench_report: %s\n", cc_error_last());
    return 1;
  }
  t_render = now() - t0;
  cc_report_get_summary(&s, r);
  if (getenv("BENCH_REPORT_HTML")) {
    FILE *f = fopen("bench_report.html", "w");
    if (f) {
      fwrite(html, 1, len, f);
      fclose(f);
    }
  }
  printf("findings per period %zu, periods %d, schools %llu with findings\n", n,
         periods, (unsigned long long)s.schools);
  printf("trend    %8.3f s  (%d periods, %.0f ns per finding)\n", t_trend,
         periods - 1,
         periods > 1 ? t_trend * 1e9 / (double)n / (periods - 1) : 0.0);
  printf("current  %8.3f s  (%.0f ns per finding)\n", t_cur,
         t_cur * 1e9 / (double)(n ? n : 1));
  printf("records  %8.3f s\n", t_rec);
  printf("render   %8.3f s  (page %.1f MB)\n", t_render, (double)len / 1e6);
  printf("total    %8.3f s\n", t_trend + t_cur + t_rec + t_render);
  free(html);
  cc_report_free(r);
  free(items);
  free(members);
  return 0;
}
