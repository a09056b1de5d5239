/*
 * bench_export.c - how long does `chachong export` take at national scale?
 *
 * A national monthly run finds about 300,000 findings over some 10,000
 * schools (issue 3: "exports of a national-scale period take seconds").
 * This program synthesizes such a period directly as findings (same seed,
 * same findings), so the figure is export alone, without the hour of
 * generating and running 17.5 million records:
 *
 *   - SCHOOLS schools, 70% moe and 30% mohrss, spread over every
 *     prefecture of the built-in GB/T 2260 table (region codes as schools
 *     register them, "370102");
 *   - FINDINGS findings: 60% dual_enrollment (a moe and a mohrss school of
 *     one province, a tenth with a third member), 10% duplicate_record (two
 *     records at one school), 15% double_grant, 10% double_waiver, 5%
 *     id_conflict; states new/open/overdue/cleared 55/25/15/5%;
 *
 * then times cc_export_plan_build (grouping by school and roll-up tallies)
 * and cc_export_write (every workbook and CSV, the roll-ups) and prints
 * seconds, files and bytes written.
 *
 * Usage: bench_export [FINDINGS] [SCHOOLS] [THREADS] [OUTDIR]
 *   defaults 300000 10000, every core, $TMPDIR/chachong-bench-export
 *   (OUTDIR is emptied first). BENCH_FORMATS=xlsx or csv writes only
 *   those. Loading findings from the database is not included: measure it
 *   with `chachong export` on a generated period.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "chachong/errors.h"
#include "chachong/export.h"
#include "chachong/finding.h"
#include "chachong/lifecycle.h"
#include "chachong/record.h"
#include "chachong/region.h"
#include "export_internal.h"

static uint64_t rng = 20261122;

static uint32_t next(void)
{
  /* xorshift64*: deterministic for the seed */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (uint32_t)((rng * UINT64_C(2685821657736338717)) >> 32);
}

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct school {
  char label[8], code[16], name[64], region[8];
  int province; /* index into provinces */
} school;

static cc_str S(const char *s)
{
  cc_str r;
  r.ptr = s;
  r.len = (uint32_t)strlen(s);
  return r;
}

static uint64_t dir_bytes(const char *dir, uint64_t *files)
{
  char cmd[1200], buf[64];
  FILE *p;
  uint64_t bytes = 0;
  int n =
      snprintf(cmd, sizeof cmd,
               "du -sb '%s' | cut -f1; find '%s' -type f | wc -l", dir, dir);
  if (n < 0 || (size_t)n >= sizeof cmd)
    return 0; /* a path too long to quote here: no figure */
  p = popen(cmd, "r");
  if (p == NULL)
    return 0;
  if (fgets(buf, sizeof buf, p))
    bytes = strtoull(buf, NULL, 10);
  if (fgets(buf, sizeof buf, p))
    *files = strtoull(buf, NULL, 10);
  pclose(p);
  return bytes;
}

int main(int argc, char **argv)
{
  size_t n_findings = argc > 1 ? strtoul(argv[1], NULL, 10) : 300000;
  size_t n_schools = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000;
  int threads = argc > 3 ? atoi(argv[3]) : 0;
  char out_dir[1024], cmd[1200];
  char cities[600][5];
  size_t n_cities = 0, i;
  school *sch;
  cc_finding *items;
  cc_member *members;
  char(*names)[16];
  cc_finding_list list;
  cc_export_options o = CC_EXPORT_OPTIONS_INIT;
  cc_export_plan plan;
  cc_export_stats st;
  uint64_t bytes, files = 0;
  double t0, t1, t2;
  int rc;

  if (argc > 4)
    snprintf(out_dir, sizeof out_dir, "%s", argv[4]);
  else
    snprintf(out_dir, sizeof out_dir, "%s/chachong-bench-export",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", out_dir);
  if (system(cmd) != 0)
    return 1;

  /* Every prefecture of the table (not the municipalities' 县). */
  for (i = 1100; i < 8300 && n_cities < 600; i++) {
    char c[5];
    snprintf(c, sizeof c, "%04zu", i);
    if (cc_region_lookup(c, 4) != NULL && cc_region_lookup(c, 2) != NULL)
      memcpy(cities[n_cities++], c, 5);
  }

  sch = calloc(n_schools, sizeof *sch);
  items = calloc(n_findings, sizeof *items);
  members = calloc(n_findings * 3, sizeof *members);
  names = calloc(n_findings, sizeof *names);
  if (sch == NULL || items == NULL || members == NULL || names == NULL)
    return 1;
  for (i = 0; i < n_schools; i++) {
    int moe = i % 10 < 7;
    const char *city = cities[next() % n_cities];
    strcpy(sch[i].label, moe ? "moe" : "mohrss");
    snprintf(sch[i].code, sizeof sch[i].code, moe ? "41%s%04zu" : "J%s%03zu",
             city, i % (moe ? 10000 : 1000));
    snprintf(sch[i].name, sizeof sch[i].name, "%s第%zu%s", cc_region_name(city),
             i, moe ? "职业中等专业学校" : "技工学校");
    snprintf(sch[i].region, sizeof sch[i].region, "%s%02u", city,
             1 + next() % 20);
    sch[i].province = (city[0] - '0') * 10 + (city[1] - '0');
  }

  for (i = 0; i < n_findings; i++) {
    cc_finding *f = &items[i];
    cc_member *m = &members[3 * i];
    uint32_t r = next() % 100, st_r = next() % 100;
    size_t a = next() % n_schools, b, k, n = 2;
    snprintf(names[i], sizeof names[i], "学生%zu", i % 99991);
    f->finding_id = ((uint64_t)next() << 32) | next();
    snprintf(f->id, sizeof f->id, "%02u%04u2008%02u%02u%03u%u",
             11 + next() % 50, next() % 10000, 1 + next() % 12, 1 + next() % 28,
             next() % 1000, next() % 10);
    f->id_valid = 1;
    f->person_name = S(names[i]);
    if (r < 60) {
      f->type = CC_FT_DUAL_ENROLLMENT;
      /* the other school: a school of the other roster, same province */
      for (k = 0, b = next() % n_schools; k < 50; k++, b = next() % n_schools)
        if (strcmp(sch[b].label, sch[a].label) != 0 &&
            sch[b].province == sch[a].province)
          break;
      if (next() % 10 == 0)
        n = 3;
    } else if (r < 70) {
      f->type = CC_FT_DUPLICATE_RECORD;
      b = a;
    } else {
      f->type = r < 85   ? CC_FT_DOUBLE_GRANT
                : r < 95 ? CC_FT_DOUBLE_WAIVER
                         : CC_FT_ID_CONFLICT;
      b = next() % n_schools;
    }
    for (k = 0; k < n; k++) {
      const school *s = &sch[k == 0 ? a : k == 1 ? b : next() % n_schools];
      m[k].label = S(s->label);
      m[k].school_code = S(s->code);
      m[k].school_name = S(s->name);
      m[k].region_code = S(s->region);
      m[k].name = f->person_name;
      m[k].record_id = S(s->code); /* any text of realistic length */
      m[k].status = CC_STATUS_ENROLLED;
      if (f->type == CC_FT_DOUBLE_GRANT)
        m[k].grant = 100000;
      if (f->type == CC_FT_DOUBLE_WAIVER)
        m[k].waiver = 120000;
    }
    f->members = m;
    f->n_members = (uint32_t)n;
    f->cross = strcmp(m[0].label.ptr, m[1].label.ptr) != 0;
    f->amount_at_risk =
        f->type == CC_FT_DOUBLE_GRANT    ? 100000 * (int64_t)(n - 1)
        : f->type == CC_FT_DOUBLE_WAIVER ? 120000 * (int64_t)(n - 1)
                                         : 0;
    f->state = st_r < 55   ? CC_STATE_NEW
               : st_r < 80 ? CC_STATE_OPEN
               : st_r < 95 ? CC_STATE_OVERDUE
                           : CC_STATE_CLEARED;
    f->issued = cc_date_from_ymd(2026, 9, 15);
    f->deadline = cc_date_from_ymd(2026, 9, 29);
    f->seen = f->issued;
  }
  list.items = items;
  list.n = n_findings;
  list.mem_ = NULL;

  o.period = "2026-09";
  o.out_dir = out_dir;
  o.threads = threads;
  if (getenv("BENCH_FORMATS") && strcmp(getenv("BENCH_FORMATS"), "xlsx") == 0)
    o.formats = CC_EXPORT_XLSX;
  if (getenv("BENCH_FORMATS") && strcmp(getenv("BENCH_FORMATS"), "csv") == 0)
    o.formats = CC_EXPORT_CSV;
  t0 = now();
  rc = cc_export_plan_build(&plan, &list, &o);
  t1 = now();
  if (rc == 0)
    rc = cc_export_write(&st, &plan, &o);
  t2 = now();
  if (rc < 0) {
    fprintf(stderr, "bench_export: %s\n", cc_error_last());
    return 1;
  }
  bytes = dir_bytes(out_dir, &files);
  printf("findings %zu, schools with a finding %zu (of %zu), cities %zu, "
         "provinces %zu, rows %zu\n",
         n_findings, plan.n_kept, n_schools, plan.n_cities, plan.n_provinces,
         plan.n_rows);
  printf("plan (group by school, tallies): %.3f s\n", t1 - t0);
  printf("write (%llu files, %.1f MB, threads %d): %.3f s\n",
         (unsigned long long)files, (double)bytes / 1e6,
         threads > 0 ? threads : -1, t2 - t1);
  printf("total: %.3f s\n", t2 - t0);
  cc_export_plan_dispose(&plan);
  free(sch);
  free(items);
  free(members);
  free(names);
  return 0;
}
