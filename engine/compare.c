/*
 * compare.c - the exact tier: one person = one cleaned ID (SPEC 2.3, 3).
 *
 * Owns the rules of docs/RULES.md, applied to each group of index entries
 * that share a cleaned ID, and the parallel walk that finds those groups.
 *
 * The idx database is sorted by XXH3-64 of the cleaned ID, so all records
 * of one person are adjacent. The 64-bit hash space is cut into
 * RANGES_PER_THREAD x threads equal ranges (the hash is uniform, so they
 * hold about equal work); OpenMP hands them out dynamically. Each worker
 * opens one read transaction and one cursor, positions it at its range's
 * first key (MDB_SET_RANGE) and walks forward: no locks, no shared writes.
 * A group of equal hashes is split by the full ID, so a hash collision can
 * never merge two people. Most groups hold one record and cost one cursor
 * step; only groups of two or more are examined. Each range writes its own
 * finding list and sorts it; the sorted lists are merged on every thread
 * (cc_finding_list_merge_sorted). Only then are the members' texts
 * fetched from the rec database, in the file's order (fill_members).
 */
#include <stdlib.h>
#include <string.h>

#include <omp.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "chachong/name_match.h"
#include "chachong/record.h"
#include "chachong/run.h"
#include "compare_internal.h"
#include "error_internal.h"
#include "finding_internal.h"
#include "grow_internal.h"

#define RANGES_PER_THREAD 16

/* The records of one ID within the current hash group (nearly always one
 * ID per group), counted so that an ID past max_per_id stops being kept. */
typedef struct tally {
  const char *id;        /* into the map, as the items' */
  uint8_t id_len;
  uint64_t count;        /* records of this ID so far */
  uint64_t *set;         /* once generic: distinct school hashes (0 = empty) */
  size_t set_n, set_cap; /* set_cap a power of two */
  cc_generic_id *g;      /* once generic: what is reported (malloc'd) */
} tally;

typedef struct worker {
  cc_index_item *items;  /* the current hash group */
  size_t n, cap;
  size_t *pick;          /* scratch: indexes of a finding's members */
  size_t pick_cap;
  tally *t;              /* the IDs of the current hash group */
  size_t n_t, cap_t;
  uint64_t items_hash;   /* the hash of the current group */
  unsigned max_per_id;   /* records of one ID past which it is generic */
  cc_generic_ids *generic; /* this range's generic IDs */
} worker;

typedef struct ctx {
  MDB_txn *txn;
  MDB_dbi rec;
  const char *const *labels;
  worker *w;
  cc_finding_list *list;
  const cc_finding *match; /* NULL: exact tier; else the fuzzy match (basis,
                              confidence, evidence) of the group */
  int defer;               /* 1: leave the members' text for fill_members */
} ctx;

static int item_id_cmp(const cc_index_item *a, const cc_index_item *b)
{
  int c;
  size_t n = a->id_len < b->id_len ? a->id_len : b->id_len;
  c = memcmp(a->id, b->id, n);
  if (c)
    return c;
  if (a->id_len != b->id_len)
    return a->id_len < b->id_len ? -1 : 1;
  if (a->roster != b->roster)
    return a->roster < b->roster ? -1 : 1;
  return a->line < b->line ? -1 : a->line > b->line;
}

static int same_school(const cc_index_item *a, const cc_index_item *b)
{
  return a->roster == b->roster && a->school_code_len == b->school_code_len &&
         memcmp(a->school_code, b->school_code, a->school_code_len) == 0;
}

static int cmp_school(const cc_index_item *a, const cc_index_item *b,
                      const char *const *labels)
{
  int c = strcmp(labels[a->roster], labels[b->roster]);
  size_t n;
  if (c)
    return c;
  n = a->school_code_len < b->school_code_len ? a->school_code_len
                                              : b->school_code_len;
  c = memcmp(a->school_code, b->school_code, n);
  if (c)
    return c;
  return (int)a->school_code_len - (int)b->school_code_len;
}

/*
 * finding_id: XXH3-64 of the type, the cleaned ID and the sorted distinct
 * schools (label 0x1F code 0x1E), so it survives new lines, amounts and
 * names from month to month.
 */
static uint64_t finding_id(const ctx *c, int type, const cc_index_item *it,
                           const size_t *pick, size_t n)
{
  XXH3_state_t st;
  const cc_index_item *sorted[256];
  size_t m = 0, i, j;
  unsigned char t = (unsigned char)type;

  /* Distinct schools by insertion (groups are small; cap for safety). */
  for (i = 0; i < n && m < 256; i++) {
    const cc_index_item *x = &it[pick[i]];
    int dup = 0;
    for (j = 0; j < m && !dup; j++)
      dup = same_school(sorted[j], x);
    if (dup)
      continue;
    for (j = m; j > 0 && cmp_school(x, sorted[j - 1], c->labels) < 0; j--)
      sorted[j] = sorted[j - 1];
    sorted[j] = x;
    m++;
  }
  XXH3_64bits_reset(&st);
  XXH3_64bits_update(&st, &t, 1);
  XXH3_64bits_update(&st, "\x1e", 1);
  if (c->match == NULL) {
    XXH3_64bits_update(&st, it[pick[0]].id, it[pick[0]].id_len);
    XXH3_64bits_update(&st, "\x1e", 1);
  } else {
    /* A fuzzy group has several IDs: all of them, sorted, in a 0x1D list so
     * that no exact finding_id can come out. */
    const cc_index_item *ids[256];
    size_t k = 0, a, b;
    for (a = 0; a < n && k < 256; a++) {
      const cc_index_item *x = &it[pick[a]];
      int dup = 0;
      for (b = 0; b < k && !dup; b++)
        dup = ids[b]->id_len == x->id_len && memcmp(ids[b]->id, x->id, x->id_len) == 0;
      if (dup)
        continue;
      for (b = k; b > 0 && item_id_cmp(x, ids[b - 1]) < 0; b--)
        ids[b] = ids[b - 1];
      ids[b] = x;
      k++;
    }
    for (a = 0; a < k; a++) {
      XXH3_64bits_update(&st, "\x1d", 1);
      XXH3_64bits_update(&st, ids[a]->id, ids[a]->id_len);
    }
    XXH3_64bits_update(&st, "\x1e", 1);
  }
  for (i = 0; i < m; i++) {
    const char *label = c->labels[sorted[i]->roster];
    XXH3_64bits_update(&st, label, strlen(label));
    XXH3_64bits_update(&st, "\x1f", 1);
    XXH3_64bits_update(&st, sorted[i]->school_code, sorted[i]->school_code_len);
    XXH3_64bits_update(&st, "\x1e", 1);
  }
  return XXH3_64bits_digest(&st);
}

static int copy_str(cc_str *dst, cc_finding_list *l, cc_str src)
{
  return cc_finding_strdup(dst, l, src.ptr ? src.ptr : "", src.len);
}

/* Emits one finding whose members are it[pick[0..n)] (in roster, line
 * order). */
static int emit(ctx *c, int type, const cc_index_item *it, const size_t *pick,
                size_t n, int64_t at_risk)
{
  cc_finding f;
  size_t i;
  int rc;

  size_t person_at = 0;

  memset(&f, 0, sizeof f);
  if (c->match) {
    /* Fuzzy: only what the exact tier cannot see, members of two or more
     * IDs; the person is shown with a valid ID when one has it. */
    for (i = 1; i < n; i++)
      if (it[pick[i]].id_len != it[pick[0]].id_len ||
          memcmp(it[pick[i]].id, it[pick[0]].id, it[pick[0]].id_len) != 0)
        break;
    if (i == n)
      return 0;
    for (i = 0; i < n; i++)
      if (it[pick[i]].id_verdict == CC_ID_VALID) {
        person_at = i;
        break;
      }
    f.basis = c->match->basis;
    f.confidence = c->match->confidence;
    f.n_evidence = c->match->n_evidence;
    memcpy(f.evidence, c->match->evidence, sizeof f.evidence);
  } else {
    f.basis = CC_BASIS_ID_EXACT;
    f.confidence = 10000;
  }
  f.type = (uint8_t)type;
  f.finding_id = finding_id(c, type, it, pick, n);
  f.id_valid = it[pick[person_at]].id_verdict == CC_ID_VALID;
  f.id_reason = it[pick[person_at]].id_reason;
  memcpy(f.id, it[pick[person_at]].id, it[pick[person_at]].id_len);
  f.id[it[pick[person_at]].id_len] = '\0';
  f.amount_at_risk = at_risk;
  f.n_members = (uint32_t)n;
  f.members = cc_finding_alloc(c->list, n * sizeof *f.members);
  if (f.members == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  for (i = 0; i < n; i++) {
    const cc_index_item *x = &it[pick[i]];
    cc_member *m = &f.members[i];
    cc_index_rec r;
    memset(m, 0, sizeof *m);
    m->roster = x->roster;
    if (cc_finding_strdup(&m->label, c->list, c->labels[x->roster],
                          strlen(c->labels[x->roster])) < 0)
      return cc_error_set(CC_ENOMEM, "out of memory");
    m->line = x->line;
    m->status = x->status;
    m->grant = x->grant;
    m->waiver = x->waiver;
    if (x->roster != it[pick[0]].roster)
      f.cross = 1;
    if (c->defer)
      continue;
    if ((rc = cc_index_get_rec(&r, c->txn, c->rec, x->roster, x->line)) < 0)
      return rc;
    if (copy_str(&m->name, c->list, r.text[CC_COL_NAME]) < 0 ||
        copy_str(&m->record_id, c->list, r.text[CC_COL_RECORD_ID]) < 0 ||
        copy_str(&m->school_code, c->list, r.text[CC_COL_SCHOOL_CODE]) < 0 ||
        copy_str(&m->school_name, c->list, r.text[CC_COL_SCHOOL_NAME]) < 0 ||
        copy_str(&m->region_code, c->list, r.text[CC_COL_REGION_CODE]) < 0)
      return cc_error_set(CC_ENOMEM, "out of memory");
    if (c->match && cc_finding_strdup(&m->id, c->list, x->id, x->id_len) < 0)
      return cc_error_set(CC_ENOMEM, "out of memory");
  }
  f.person_name = f.members[person_at].name;
  if (cc_finding_push(c->list, &f) < 0)
    return cc_error_set(CC_ENOMEM, "out of memory");
  return 0;
}

static int reserve_pick(worker *w, size_t n)
{
  if (n > w->pick_cap) {
    size_t *grown = realloc(w->pick, n * sizeof *grown);
    if (grown == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory");
    w->pick = grown;
    w->pick_cap = n;
  }
  return 0;
}

/* Money paid more than once: members with amount > 0, at risk sum - max. */
static int money_rule(ctx *c, int type, const cc_index_item *it, size_t n,
                      int grant)
{
  size_t *pick = c->w->pick, k = 0, i;
  int64_t sum = 0, max = 0;
  for (i = 0; i < n; i++) {
    int64_t a = grant ? it[i].grant : it[i].waiver;
    if (a > 0) {
      pick[k++] = i;
      sum += a;
      if (a > max)
        max = a;
    }
  }
  return k >= 2 ? emit(c, type, it, pick, k, sum - max) : 0;
}

/*
 * Applies docs/RULES.md to the records of one person: it[0..n), n >= 2,
 * sorted by roster then line.
 */
static int person(ctx *c, const cc_index_item *it, size_t n)
{
  size_t *pick, k = 0, i, j, schools = 0;
  int rc;

  if ((rc = reserve_pick(c->w, n)) < 0)
    return rc;
  pick = c->w->pick;

  /* H: the records that hold an enrollment. */
  for (i = 0; i < n; i++)
    if (cc_status_holds((cc_status)it[i].status))
      pick[k++] = i;

  /* duplicate_record: per school with two or more records in H. Each
   * school is handled at its first record in H. In a fuzzy group these are
   * one person registered twice at one school under two IDs (emit keeps
   * only members of two or more IDs). */
  for (i = 0; i < k; i++) {
    size_t first = 1, cnt = 0;
    for (j = 0; j < i && first; j++)
      if (same_school(&it[pick[j]], &it[pick[i]]))
        first = 0;
    if (!first)
      continue;
    schools++;
    for (j = i; j < k; j++)
      if (same_school(&it[pick[j]], &it[pick[i]]))
        cnt++;
    if (cnt >= 2) {
      size_t sub[64], m = 0;
      size_t *members = cnt <= 64 ? sub : malloc(cnt * sizeof *members);
      if (members == NULL)
        return cc_error_set(CC_ENOMEM, "out of memory");
      for (j = i; j < k; j++)
        if (same_school(&it[pick[j]], &it[pick[i]]))
          members[m++] = pick[j];
      rc = emit(c, CC_FT_DUPLICATE_RECORD, it, members, m, 0);
      if (members != sub)
        free(members);
      if (rc < 0)
        return rc;
    }
  }
  /* dual_enrollment: H covers two or more schools. */
  if (schools >= 2 && (rc = emit(c, CC_FT_DUAL_ENROLLMENT, it, pick, k, 0)) < 0)
    return rc;
  if ((rc = money_rule(c, CC_FT_DOUBLE_GRANT, it, n, 1)) < 0 ||
      (rc = money_rule(c, CC_FT_DOUBLE_WAIVER, it, n, 0)) < 0)
    return rc;
  /* id_conflict: one ID under names that are not the same name: a
   * homophone (丽/俐) or a traditional form under one ID is a typo of the
   * name, not another person (docs/FUZZY.md). Not for fuzzy groups, whose
   * IDs differ by construction. */
  for (i = 1; i < n && c->match == NULL; i++)
    if (cc_name_compare(it[0].name_folded, it[0].name_folded_len, it[i].name_folded,
                        it[i].name_folded_len) == CC_NAME_DIFFERENT)
      break;
  if (c->match == NULL && i < n) {
    for (i = 0; i < n; i++)
      pick[i] = i;
    if ((rc = emit(c, CC_FT_ID_CONFLICT, it, pick, n, 0)) < 0)
      return rc;
  }
  return 0;
}

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
    return person(c, w->items, w->n);
  /* Rare: sort by (id, roster, line), insertion sort (small groups). */
  for (i = 1; i < w->n; i++) {
    cc_index_item x = w->items[i];
    for (j = i; j > 0 && item_id_cmp(&x, &w->items[j - 1]) < 0; j--)
      w->items[j] = w->items[j - 1];
    w->items[j] = x;
  }
  for (start = 0; start < w->n; start = i) {
    for (i = start + 1; i < w->n; i++)
      if (w->items[i].id_len != w->items[start].id_len ||
          memcmp(w->items[i].id, w->items[start].id, w->items[start].id_len) != 0)
        break;
    if (i - start >= 2 && (rc = person(c, w->items + start, i - start)) < 0)
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
    if (w->t[i].id_len == x->id_len && memcmp(w->t[i].id, x->id, x->id_len) == 0)
      return &w->t[i];
  if (cc_grow((void **)&w->t, &w->cap_t, w->n_t + 1, sizeof *w->t) < 0)
    return NULL;
  memset(&w->t[w->n_t], 0, sizeof *w->t);
  w->t[w->n_t].id = x->id;
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
  uint64_t h = XXH3_64bits_withSeed(x->school_code, x->school_code_len, x->roster) | 1;
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
    if (cc_grow((void **)&w->generic->items, &w->generic->cap, w->generic->n + 1,
                sizeof *w->generic->items) < 0) {
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

static int generic_cmp(const void *a, const void *b)
{
  const cc_generic_id *x = a, *y = b;
  if (x->hash != y->hash)
    return x->hash < y->hash ? -1 : 1;
  return strcmp(x->id, y->id);
}

int cc_generic_ids_has(const cc_generic_ids *g, uint64_t hash, const char *id,
                       size_t id_len)
{
  size_t lo = 0, hi;
  if (g == NULL)
    return 0;
  hi = g->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (g->items[mid].hash < hash)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (; lo < g->n && g->items[lo].hash == hash; lo++)
    if (id == NULL ||
        (strlen(g->items[lo].id) == id_len && memcmp(g->items[lo].id, id, id_len) == 0))
      return 1;
  return 0;
}

void cc_generic_ids_dispose(cc_generic_ids *g)
{
  if (g == NULL)
    return;
  free(g->items);
  memset(g, 0, sizeof *g);
}

/* Walks the keys of [lo, hi] (hi inclusive, so the last range ends at
 * UINT64_MAX). */
static int walk_range(ctx *c, MDB_dbi idx, uint64_t lo, uint64_t hi)
{
  cc_idx_cursor cur;
  cc_index_item x;
  int rc, irc;

  if ((rc = cc_idx_open(&cur, c->txn, idx)) < 0)
    return rc;
  c->w->n = 0;
  rc = 0;
  c->w->n_t = 0;
  for (irc = cc_idx_seek(&cur, &x, lo, 0, 0); irc == 0; irc = cc_idx_next(&cur, &x)) {
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

/* ------------------------------------------------------------------ */
/* The members' text. Looking each member up in rec as its finding is made
 * costs a descent through the B-tree and a page fault at a random place of
 * the file per member: at national scale 1.35 s of the 2.2 s of the stage
 * on one thread, and the faults of two threads on one map scale poorly.
 * So the walk leaves the text empty and this pass fetches it afterwards,
 * in (roster, line) order: the file's order, one cursor per thread, each
 * page visited once, and each thread lets go of the pages behind it. */

typedef struct member_ref {
  uint64_t key;    /* roster << 32 | line: the order of the rec database */
  cc_member *m;
} member_ref;

/* LSD radix sort on the key, a byte at a time; bytes equal in every key
 * (most of them) cost one counting pass and no move. */
static int sort_refs(member_ref *a, size_t n)
{
  member_ref *tmp = malloc((n ? n : 1) * sizeof *tmp), *src = a, *dst = tmp;
  size_t count[256], i;
  int shift;
  if (tmp == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  for (shift = 0; shift < 64; shift += 8) {
    size_t sum = 0, skip = 0;
    memset(count, 0, sizeof count);
    for (i = 0; i < n; i++)
      count[(src[i].key >> shift) & 0xFF]++;
    for (i = 0; i < 256; i++) {
      size_t c = count[i];
      skip |= c == n;
      count[i] = sum;
      sum += c;
    }
    if (skip)
      continue;
    for (i = 0; i < n; i++)
      dst[count[(src[i].key >> shift) & 0xFF]++] = src[i];
    {
      member_ref *t = src;
      src = dst;
      dst = t;
    }
  }
  if (src != a)
    memcpy(a, src, n * sizeof *a);
  free(tmp);
  return 0;
}

/* Members fetched between two releases of the pages behind a thread. */
#define FILL_RELEASE_EVERY 8192

static int fill_part(cc_finding_list *store, MDB_txn *txn, MDB_dbi rec,
                     const member_ref *refs, size_t n)
{
  MDB_cursor *cur;
  const char *lo = NULL, *hi = NULL;
  size_t i;
  int rc = 0, mrc;

  if ((mrc = mdb_cursor_open(txn, rec, &cur)) != 0)
    return cc_error_set(CC_ERROR, "database: cursor: %s", mdb_strerror(mrc));
  for (i = 0; i < n && rc == 0; i++) {
    cc_member *m = refs[i].m;
    cc_index_rec r;
    const char *at;
    if ((rc = cc_index_cursor_rec(&r, cur, m->roster, m->line)) < 0)
      break;
    at = r.text[CC_COL_NAME].ptr;
    if (lo == NULL || at < lo)
      lo = at;
    if (hi == NULL || at > hi)
      hi = at;
    if (copy_str(&m->name, store, r.text[CC_COL_NAME]) < 0 ||
        copy_str(&m->record_id, store, r.text[CC_COL_RECORD_ID]) < 0 ||
        copy_str(&m->school_code, store, r.text[CC_COL_SCHOOL_CODE]) < 0 ||
        copy_str(&m->school_name, store, r.text[CC_COL_SCHOOL_NAME]) < 0 ||
        copy_str(&m->region_code, store, r.text[CC_COL_REGION_CODE]) < 0)
      rc = cc_error_set(CC_ENOMEM, "out of memory");
    if (i % FILL_RELEASE_EVERY == FILL_RELEASE_EVERY - 1) {
      cc_index_release_span(lo, hi);
      lo = hi = NULL;
    }
  }
  cc_index_release_span(lo, hi);
  mdb_cursor_close(cur);
  return rc;
}

static int fill_members(cc_finding_list *out, cc_db *db, MDB_dbi rec,
                        int threads)
{
  member_ref *refs;
  cc_finding_list *stores;
  size_t n = 0, i, j, k = 0;
  int failed = 0, t;
  char errmsg[512] = "";

  for (i = 0; i < out->n; i++)
    n += out->items[i].n_members;
  refs = malloc((n ? n : 1) * sizeof *refs);
  stores = calloc((size_t)threads, sizeof *stores);
  if (refs == NULL || stores == NULL) {
    free(refs);
    free(stores);
    return cc_error_set(CC_ENOMEM, "out of memory");
  }
  for (i = 0; i < out->n; i++)
    for (j = 0; j < out->items[i].n_members; j++) {
      cc_member *m = &out->items[i].members[j];
      refs[k].key = (uint64_t)m->roster << 32 | m->line;
      refs[k++].m = m;
    }
  if ((failed = sort_refs(refs, n)) < 0) {
    free(refs);
    free(stores);
    return failed;
  }
#pragma omp parallel num_threads(threads)
  {
    int me = omp_get_thread_num(), nt = omp_get_num_threads(), my_rc = 0, mrc;
    size_t from = n * (size_t)me / (size_t)nt, to = n * (size_t)(me + 1) / (size_t)nt;
    MDB_txn *txn = NULL;
    if ((mrc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn)) != 0)
      my_rc = cc_error_set(CC_ERROR, "database: begin: %s", mdb_strerror(mrc));
    else
      my_rc = fill_part(&stores[me], txn, rec, refs + from, to - from);
    if (txn)
      mdb_txn_abort(txn);
    if (my_rc < 0)
      cc_error_keep_first(&failed, errmsg, sizeof errmsg, my_rc);
  }
  for (t = 0; t < threads; t++) {
    if (!failed && cc_finding_list_merge(out, &stores[t]) < 0) {
      failed = CC_ENOMEM;
      strcpy(errmsg, "out of memory");
    }
    cc_finding_list_dispose(&stores[t]);
  }
  free(refs);
  free(stores);
  if (failed)
    return cc_error_set(failed, "%s", errmsg);
  /* The exact tier shows a finding's person under its first member. */
  for (i = 0; i < out->n; i++)
    out->items[i].person_name = out->items[i].members[0].name;
  return 0;
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
  MDB_txn *txn;
  MDB_dbi rec, idx;
  long n_ranges, r;
  cc_finding_list *lists;
  cc_generic_ids *glists;
  int rc, mrc, failed = 0;
  char errmsg[512] = "";

  memset(out, 0, sizeof *out);
  if (generic)
    memset(generic, 0, sizeof *generic);
  if (max_per_id == 0)
    max_per_id = CC_MAX_RECORDS_PER_ID_DEFAULT;
  if (threads < 1)
    threads = omp_get_max_threads();
  /* Database handles are opened once, by this thread, before the region
   * (lmdb.h: mdb_dbi_open must not run in two transactions at once). */
  if ((mrc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn)) != 0)
    return cc_error_set(CC_ERROR, "database: begin: %s", mdb_strerror(mrc));
  if ((rc = cc_index_open_gen(&rec, &idx, NULL, txn, gen)) < 0) {
    mdb_txn_abort(txn);
    return rc;
  }
  if ((mrc = mdb_txn_commit(txn)) != 0)
    return cc_error_set(CC_ERROR, "database: commit: %s", mdb_strerror(mrc));

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
    MDB_txn *rtxn = NULL;
    int my_rc = 0, my_mrc; /* mrc is shared: each worker keeps its own */
    memset(&w, 0, sizeof w);
    w.max_per_id = max_per_id;
    if ((my_mrc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &rtxn)) != 0)
      my_rc = cc_error_set(CC_ERROR, "database: begin: %s",
                           mdb_strerror(my_mrc));
    c.txn = rtxn;
    c.rec = rec;
    c.labels = labels;
    c.w = &w;
    c.match = NULL;
    c.defer = 1;
#pragma omp for schedule(dynamic, 1)
    for (r = 0; r < n_ranges; r++) {
      /* Range r covers [r * 2^64 / n, (r + 1) * 2^64 / n - 1]. */
      uint64_t step = UINT64_MAX / (uint64_t)n_ranges + 1;
      uint64_t lo = (uint64_t)r * step;
      uint64_t hi = r == n_ranges - 1 ? UINT64_MAX : lo + step - 1;
      if (my_rc < 0 || failed)
        continue;
      c.list = &lists[r];
      w.generic = &glists[r];
      my_rc = walk_range(&c, idx, lo, hi);
      /* Sorted here, on every thread; merged below. */
      cc_finding_list_sort_here(&lists[r]);
    }
    if (rtxn)
      mdb_txn_abort(rtxn);
    free(w.items);
    free(w.pick);
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
  if (generic && generic->n > 1)
    qsort(generic->items, generic->n, sizeof *generic->items, generic_cmp);
  if (rc == 0 && cc_finding_list_merge_sorted(out, lists, (size_t)n_ranges, threads) < 0)
    rc = cc_error_set(CC_ENOMEM, "out of memory");
  for (r = 0; r < n_ranges; r++)
    cc_finding_list_dispose(&lists[r]);
  free(lists);
  if (failed)
    cc_error_set(failed, "%s", errmsg);
  if (rc == 0)
    rc = fill_members(out, db, rec, threads);
  if (rc < 0) {
    cc_finding_list_dispose(out);
    cc_generic_ids_dispose(generic);
    return rc;
  }
  return 0;
}

int cc_compare_fuzzy_group(cc_finding_list *out, MDB_txn *txn, MDB_dbi rec,
                           const char *const *labels, const cc_index_item *items,
                           size_t n, const cc_finding *match)
{
  worker w;
  ctx c;
  int rc;
  memset(&w, 0, sizeof w);
  c.txn = txn;
  c.rec = rec;
  c.labels = labels;
  c.w = &w;
  c.list = out;
  c.match = match;
  c.defer = 0;
  rc = n >= 2 ? person(&c, items, n) : 0;
  free(w.items);
  free(w.pick);
  return rc;
}
