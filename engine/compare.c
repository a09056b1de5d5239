/*
 * compare.c - the exact tier: one person = one cleaned ID (SPEC 2.3, 3).
 *
 * Owns the parallel walk that finds each group of index entries sharing a
 * cleaned ID, hands it to the rules of docs/RULES.md for one person
 * (person.c), and the generic IDs it meets on the way.
 *
 * The idx database is sorted by XXH3-64 of the cleaned ID, so all records
 * of one person are adjacent. The 64-bit hash space is cut into
 * RANGES_PER_THREAD x threads equal ranges (the hash is uniform, so they
 * hold about equal work); OpenMP hands them out dynamically. Each worker
 * opens one read transaction and one cursor, positions it at its range's
 * first key and walks forward: no locks, no shared writes.
 * A group of equal hashes is split by the full ID, so a hash collision can
 * never merge two people. Most groups hold one record and cost one cursor
 * step; only groups of two or more are examined. Each range writes its own
 * finding list and sorts it; the sorted lists are merged on every thread
 * (cc_finding_list_merge_sorted). Only then are the members' texts
 * fetched from the rec database, in the file's order (cc_person_fill_text).
 */
#include <stdlib.h>
#include <string.h>

#include <omp.h>
#include <xxhash.h>

#include "chachong/record.h"
#include "compare_internal.h"
#include "error_internal.h"
#include "finding_internal.h"
#include "grow_internal.h"

#define RANGES_PER_THREAD 16

/* The records of one ID within the current hash group (nearly always one
 * ID per group), counted so that an ID past max_per_id stops being kept. */
typedef struct tally {
  char id[CC_ID_MAX]; /* a copy: the item it came from is reused */
  uint8_t id_len;
  uint64_t count;        /* records of this ID so far */
  uint64_t *set;         /* once generic: distinct school hashes (0 = empty) */
  size_t set_n, set_cap; /* set_cap a power of two */
  cc_generic_id *g;      /* once generic: what is reported (malloc'd) */
} tally;

typedef struct worker {
  cc_index_item *items; /* the current hash group */
  size_t n, cap;
  tally *t; /* the IDs of the current hash group */
  size_t n_t, cap_t;
  uint64_t items_hash;     /* the hash of the current group */
  unsigned max_per_id;     /* records of one ID past which it is generic */
  cc_generic_ids *generic; /* this range's generic IDs */
} worker;

typedef struct ctx {
  worker *w;
  cc_person p; /* the rules, with p.rd NULL: the members' text
                              is left for fill_members */
} ctx;

/* A group of equal hashes: split by full ID (a collision is two people). */
static int hash_group(ctx *c)
{
  worker *w = c->w;
  size_t i, j, start;
  int rc;

  for (i = 1; i < w->n; i++)
    if (w->items[i].id_len != w->items[0].id_len ||
        memcmp(w->items[i].id, w->items[0].id, w->items[0].id_len) != 0)
      break;
  if (i == w->n)
    return cc_person_rules(&c->p, w->items, w->n);
  /* Rare: sort by (id, roster, line), insertion sort (small groups). */
  for (i = 1; i < w->n; i++) {
    cc_index_item x = w->items[i];
    for (j = i; j > 0 && cc_person_item_cmp(&x, &w->items[j - 1]) < 0; j--)
      w->items[j] = w->items[j - 1];
    w->items[j] = x;
  }
  for (start = 0; start < w->n; start = i) {
    for (i = start + 1; i < w->n; i++)
      if (w->items[i].id_len != w->items[start].id_len ||
          memcmp(w->items[i].id, w->items[start].id, w->items[start].id_len) !=
              0)
        break;
    if (i - start >= 2 &&
        (rc = cc_person_rules(&c->p, w->items + start, i - start)) < 0)
      return rc;
  }
  return 0;
}

static int push_item(worker *w, const cc_index_item *x)
{
  if (w->n == w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 64;
    cc_index_item *grown = realloc(w->items, cap * sizeof *grown);
    if (grown == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory");
    w->items = grown;
    w->cap = cap;
  }
  w->items[w->n++] = *x;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Generic IDs (docs/RULES.md, "Data quality"). The walk counts each ID of
 * a hash group; the first max_per_id records are kept as usual, and when
 * one more comes the ID is generic: from then on its records are only
 * counted, with their schools, and at the group's end its kept records
 * are dropped before the rules run. Memory stays bounded by max_per_id
 * records per ID whatever the input (2 million rows under one ID cost
 * one tally). */

static tally *tally_of(worker *w, const cc_index_item *x)
{
  size_t i;
  for (i = 0; i < w->n_t; i++)
    if (w->t[i].id_len == x->id_len &&
        memcmp(w->t[i].id, x->id, x->id_len) == 0)
      return &w->t[i];
  if (cc_grow((void **)&w->t, &w->cap_t, w->n_t + 1, sizeof *w->t) < 0)
    return NULL;
  memset(&w->t[w->n_t], 0, sizeof *w->t);
  memcpy(w->t[w->n_t].id, x->id, x->id_len);
  w->t[w->n_t].id_len = x->id_len;
  return &w->t[w->n_t++];
}

static void tally_clear(worker *w)
{
  size_t i;
  for (i = 0; i < w->n_t; i++) {
    free(w->t[i].set);
    free(w->t[i].g);
  }
  w->n_t = 0;
}

/* Counts x's school among the generic ID's distinct schools. */
static int tally_school(tally *t, const cc_index_item *x)
{
  uint64_t h =
      XXH3_64bits_withSeed(x->school_code, x->school_code_len, x->roster) | 1;
  size_t i;
  if ((t->set_n + 1) * 2 > t->set_cap) {
    size_t cap = t->set_cap ? t->set_cap * 2 : 64, k;
    uint64_t *grown = calloc(cap, sizeof *grown);
    if (grown == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory");
    for (k = 0; k < t->set_cap; k++) {
      if (t->set[k] == 0)
        continue;
      for (i = t->set[k] & (cap - 1); grown[i]; i = (i + 1) & (cap - 1))
        ;
      grown[i] = t->set[k];
    }
    free(t->set);
    t->set = grown;
    t->set_cap = cap;
  }
  for (i = h & (t->set_cap - 1); t->set[i]; i = (i + 1) & (t->set_cap - 1))
    if (t->set[i] == h)
      return 0;
  t->set[i] = h;
  t->set_n++;
  if (t->g->n_shown < CC_GENERIC_SCHOOLS_SHOWN) {
    size_t n = x->school_code_len < CC_GENERIC_CODE_MAX ? x->school_code_len
                                                        : CC_GENERIC_CODE_MAX;
    t->g->shown[t->g->n_shown].roster = x->roster;
    if (n)
      memcpy(t->g->shown[t->g->n_shown].code, x->school_code, n);
    t->g->shown[t->g->n_shown].code[n] = '\0';
    t->g->n_shown++;
  }
  return 0;
}

/* Takes x into the current group: kept, or counted under a generic ID. */
static int group_add(worker *w, const cc_index_item *x)
{
  tally *t = tally_of(w, x);
  size_t i;
  int rc;
  if (t == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  t->count++;
  if (t->count <= w->max_per_id)
    return push_item(w, x);
  if (t->count == (uint64_t)w->max_per_id + 1) {
    /* Just became generic: its kept records' schools first, in order. */
    if ((t->g = calloc(1, sizeof *t->g)) == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory");
    for (i = 0; i < w->n; i++)
      if (w->items[i].id_len == t->id_len &&
          memcmp(w->items[i].id, t->id, t->id_len) == 0 &&
          (rc = tally_school(t, &w->items[i])) < 0)
        return rc;
  }
  return tally_school(t, x);
}

/* Ends the current group: its generic IDs reported and their kept records
 * dropped, then the rules over what is left. */
static int group_end(ctx *c)
{
  worker *w = c->w;
  size_t i, j, k;
  int rc = 0;
  for (i = 0; i < w->n_t && rc == 0; i++) {
    tally *t = &w->t[i];
    cc_generic_id *g;
    if (t->count <= w->max_per_id)
      continue;
    for (j = 0, k = 0; j < w->n; j++)
      if (!(w->items[j].id_len == t->id_len &&
            memcmp(w->items[j].id, t->id, t->id_len) == 0))
        w->items[k++] = w->items[j];
    w->n = k;
    if (w->generic == NULL)
      continue;
    if (cc_grow((void **)&w->generic->items, &w->generic->cap,
                w->generic->n + 1, sizeof *w->generic->items) < 0) {
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      break;
    }
    g = &w->generic->items[w->generic->n++];
    *g = *t->g;
    g->hash = w->items_hash;
    memcpy(g->id, t->id, t->id_len);
    g->id[t->id_len] = '\0';
    g->records = t->count;
    g->schools = t->set_n;
  }
  tally_clear(w);
  if (rc == 0 && w->n >= 2)
    rc = hash_group(c);
  w->n = 0;
  return rc;
}

/* Walks the keys of [lo, hi] (hi inclusive, so the last range ends at
 * UINT64_MAX). */
static int walk_range(ctx *c, cc_read *rd, uint64_t lo, uint64_t hi)
{
  cc_idx_cursor cur;
  cc_index_item x;
  int rc, irc;

  if ((rc = cc_store_idx_open(&cur, rd)) < 0)
    return rc;
  c->w->n = 0;
  rc = 0;
  c->w->n_t = 0;
  for (irc = cc_idx_seek(&cur, &x, lo, 0, 0); irc == 0;
       irc = cc_idx_next(&cur, &x)) {
    if (x.hash > hi)
      break;
    if (c->w->n_t > 0 && x.hash != c->w->items_hash && (rc = group_end(c)) < 0)
      break;
    c->w->items_hash = x.hash;
    if ((rc = group_add(c->w, &x)) < 0)
      break;
  }
  if (rc == 0 && irc < 0 && irc != CC_ENOTFOUND)
    rc = irc;
  if (rc == 0 && c->w->n_t > 0)
    rc = group_end(c);
  tally_clear(c->w);
  c->w->n = 0;
  cc_idx_close(&cur);
  return rc;
}

int cc_compare_exact(cc_finding_list *out, cc_db *db, uint32_t gen,
                     const char *const *labels, int threads)
{
  return cc_compare_exact_generic(out, NULL, db, gen, labels, threads, 0);
}

int cc_compare_exact_generic(cc_finding_list *out, cc_generic_ids *generic,
                             cc_db *db, uint32_t gen, const char *const *labels,
                             int threads, unsigned max_per_id)
{
  cc_gen g;
  int rc;
  memset(out, 0, sizeof *out);
  if (generic)
    memset(generic, 0, sizeof *generic);
  /* Database handles are opened once, by this thread, before the region
   * (cc_store_gen_open). */
  if ((rc = cc_store_gen_open(&g, db, gen)) < 0 ||
      (rc = cc_compare_exact_gen(out, generic, &g, labels, threads,
                                 max_per_id)) < 0 ||
      (rc = cc_person_fill_text(out, 0, &g, threads)) < 0) {
    cc_finding_list_dispose(out);
    cc_generic_ids_dispose(generic);
    return rc;
  }
  return 0;
}

int cc_compare_exact_gen(cc_finding_list *out, cc_generic_ids *generic,
                         const cc_gen *gp, const char *const *labels,
                         int threads, unsigned max_per_id)
{
  const cc_gen g = *gp;
  long n_ranges, r;
  cc_finding_list *lists;
  cc_generic_ids *glists;
  int rc, failed = 0;
  char errmsg[512] = "";

  memset(out, 0, sizeof *out);
  if (generic)
    memset(generic, 0, sizeof *generic);
  if (max_per_id == 0)
    max_per_id = CC_MAX_RECORDS_PER_ID_DEFAULT;
  if (threads < 1)
    threads = omp_get_max_threads();

  n_ranges = (long)threads * RANGES_PER_THREAD;
  lists = calloc((size_t)n_ranges, sizeof *lists);
  glists = calloc((size_t)n_ranges, sizeof *glists);
  if (lists == NULL || glists == NULL) {
    free(lists);
    free(glists);
    return cc_error_set(CC_ENOMEM, "out of memory");
  }

#pragma omp parallel num_threads(threads)
  {
    worker w;
    ctx c;
    cc_read *rd = NULL;
    int my_rc;
    memset(&w, 0, sizeof w);
    memset(&c, 0, sizeof c);
    w.max_per_id = max_per_id;
    my_rc = cc_store_read_begin(&rd, &g);
    c.w = &w;
    c.p.labels = labels;
#pragma omp for schedule(dynamic, 1)
    for (r = 0; r < n_ranges; r++) {
      /* Range r covers [r * 2^64 / n, (r + 1) * 2^64 / n - 1]. */
      uint64_t step = UINT64_MAX / (uint64_t)n_ranges + 1;
      uint64_t lo = (uint64_t)r * step;
      uint64_t hi = r == n_ranges - 1 ? UINT64_MAX : lo + step - 1;
      if (my_rc < 0 || failed)
        continue;
      c.p.list = &lists[r];
      w.generic = &glists[r];
      my_rc = walk_range(&c, rd, lo, hi);
      /* Sorted here, on every thread; merged below. */
      cc_finding_list_sort_here(&lists[r]);
    }
    cc_store_read_end(rd);
    cc_person_dispose(&c.p);
    free(w.items);
    free(w.t);
    if (my_rc < 0)
      cc_error_keep_first(&failed, errmsg, sizeof errmsg, my_rc);
  }

  rc = failed;
  /* The ranges' generic IDs, in one list sorted by (hash, id). */
  for (r = 0; r < n_ranges; r++) {
    if (rc == 0 && generic && glists[r].n > 0) {
      if (cc_grow((void **)&generic->items, &generic->cap,
                  generic->n + glists[r].n, sizeof *generic->items) < 0) {
        rc = cc_error_set(CC_ENOMEM, "out of memory");
      } else {
        memcpy(generic->items + generic->n, glists[r].items,
               glists[r].n * sizeof *generic->items);
        generic->n += glists[r].n;
      }
    }
    cc_generic_ids_dispose(&glists[r]);
  }
  free(glists);
  if (generic)
    cc_generic_ids_sort(generic);
  if (rc == 0 &&
      cc_finding_list_merge_sorted(out, lists, (size_t)n_ranges, threads) < 0)
    rc = cc_error_set(CC_ENOMEM, "out of memory");
  for (r = 0; r < n_ranges; r++)
    cc_finding_list_dispose(&lists[r]);
  free(lists);
  if (failed)
    cc_error_set(failed, "%s", errmsg);
  if (rc < 0) {
    cc_finding_list_dispose(out);
    cc_generic_ids_dispose(generic);
    return rc;
  }
  return 0;
}
