/*
 * person.c - the rules of docs/RULES.md for the records of one person.
 *
 * The exact walk (compare.c) hands over the records of one cleaned ID, the
 * fuzzy tier (fuzzy.c) those of a group it has linked under several IDs;
 * both get the same findings from the same code:
 *   duplicate_record  two or more records holding an enrollment at one
 *                     school
 *   dual_enrollment   records holding an enrollment at two or more schools
 *   double_grant,     the grant (waiver) paid to two or more records; at
 *   double_waiver     risk: the sum less the largest payment
 *   id_conflict       one ID under names that are not the same name (the
 *                     exact tier only: a fuzzy group's IDs differ)
 * and a finding's finding_id, which survives new lines, amounts and names
 * from month to month. A fuzzy group yields only the findings whose
 * members hold two or more IDs (the others are the exact tier's). Also
 * here: the generic IDs ("Data quality"), which are no person and which
 * both tiers leave out.
 */
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "chachong/name_match.h"
#include "chachong/record.h"
#include "error_internal.h"
#include "finding_internal.h"
#include "person_internal.h"

int cc_person_item_cmp(const cc_index_item *a, const cc_index_item *b)
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
static uint64_t finding_id(const cc_person *c, int type,
                           const cc_index_item *it, const size_t *pick,
                           size_t n)
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
        dup = ids[b]->id_len == x->id_len &&
              memcmp(ids[b]->id, x->id, x->id_len) == 0;
      if (dup)
        continue;
      for (b = k; b > 0 && cc_person_item_cmp(x, ids[b - 1]) < 0; b--)
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

int cc_person_member_text(cc_member *m, cc_finding_list *l,
                          const cc_index_rec *r)
{
  if (copy_str(&m->name, l, r->text[CC_COL_NAME]) < 0 ||
      copy_str(&m->record_id, l, r->text[CC_COL_RECORD_ID]) < 0 ||
      copy_str(&m->school_code, l, r->text[CC_COL_SCHOOL_CODE]) < 0 ||
      copy_str(&m->school_name, l, r->text[CC_COL_SCHOOL_NAME]) < 0 ||
      copy_str(&m->region_code, l, r->text[CC_COL_REGION_CODE]) < 0)
    return cc_error_set(CC_ENOMEM, "out of memory");
  return 0;
}

/* Emits one finding whose members are it[pick[0..n)] (in roster, line
 * order). */
static int emit(cc_person *c, int type, const cc_index_item *it,
                const size_t *pick, size_t n, int64_t at_risk)
{
  cc_finding f;
  size_t i, person_at = 0;

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
    /* A fuzzy finding's members differ in ID: each keeps its own. */
    if (c->match && cc_finding_strdup(&m->id, c->list, x->id, x->id_len) < 0)
      return cc_error_set(CC_ENOMEM, "out of memory");
    /* The text (name, school, ...) is fetched for all findings at once,
     * in file order, by cc_person_fill_text. */
  }
  if (cc_finding_push(c->list, &f) < 0)
    return cc_error_set(CC_ENOMEM, "out of memory");
  return 0;
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
  uint64_t key; /* roster << 32 | line: the order of the rec database */
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

static int fill_part(cc_finding_list *store, cc_read *rd,
                     const member_ref *refs, size_t n)
{
  const char *lo = NULL, *hi = NULL;
  size_t i;
  int rc = 0;

  for (i = 0; i < n && rc == 0; i++) {
    cc_member *m = refs[i].m;
    cc_index_rec r;
    const char *at;
    if ((rc = cc_store_rec_get(&r, rd, m->roster, m->line)) < 0)
      break;
    at = r.text[CC_COL_NAME].ptr;
    if (lo == NULL || at < lo)
      lo = at;
    if (hi == NULL || at > hi)
      hi = at;
    rc = cc_person_member_text(m, store, &r);
    if (i % FILL_RELEASE_EVERY == FILL_RELEASE_EVERY - 1) {
      cc_index_release_span(lo, hi);
      lo = hi = NULL;
    }
  }
  cc_index_release_span(lo, hi);
  return rc;
}

int cc_person_fill_text(cc_finding_list *out, size_t from, const cc_gen *g,
                        int threads)
{
  member_ref *refs;
  cc_finding_list *stores;
  size_t n = 0, i, j, k = 0;
  int failed = 0, t;
  char errmsg[512] = "";

  for (i = from; i < out->n; i++)
    n += out->items[i].n_members;
  refs = malloc((n ? n : 1) * sizeof *refs);
  stores = calloc((size_t)threads, sizeof *stores);
  if (refs == NULL || stores == NULL) {
    free(refs);
    free(stores);
    return cc_error_set(CC_ENOMEM, "out of memory");
  }
  for (i = from; i < out->n; i++)
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
    int me = omp_get_thread_num(), nt = omp_get_num_threads(), my_rc;
    size_t from = n * (size_t)me / (size_t)nt,
           to = n * (size_t)(me + 1) / (size_t)nt;
    cc_read *rd = NULL;
    if ((my_rc = cc_store_read_begin(&rd, g)) == 0)
      my_rc = fill_part(&stores[me], rd, refs + from, to - from);
    cc_store_read_end(rd);
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
  /* A finding's person is shown under the name of its first member that
   * carries the finding's ID (a fuzzy finding's members keep their own
   * IDs: emit chose the first valid one), else of its first member. */
  for (i = from; i < out->n; i++) {
    cc_finding *f = &out->items[i];
    size_t at = 0, len = strlen(f->id);
    for (j = 0; j < f->n_members; j++)
      if (f->members[j].id.len == len &&
          memcmp(f->members[j].id.ptr, f->id, len) == 0) {
        at = j;
        break;
      }
    f->person_name = f->members[at].name;
  }
  return 0;
}

static int reserve_pick(cc_person *w, size_t n)
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
static int money_rule(cc_person *c, int type, const cc_index_item *it, size_t n,
                      int grant)
{
  size_t *pick = c->pick, k = 0, i;
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
int cc_person_rules(cc_person *c, const cc_index_item *it, size_t n)
{
  size_t *pick, k = 0, i, j, schools = 0;
  int rc;

  if ((rc = reserve_pick(c, n)) < 0)
    return rc;
  pick = c->pick;

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
    if (cc_name_compare(it[0].name_folded, it[0].name_folded_len,
                        it[i].name_folded,
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
    if (id == NULL || (strlen(g->items[lo].id) == id_len &&
                       memcmp(g->items[lo].id, id, id_len) == 0))
      return 1;
  return 0;
}

void cc_generic_ids_sort(cc_generic_ids *g)
{
  if (g->n > 1)
    qsort(g->items, g->n, sizeof *g->items, generic_cmp);
}

void cc_generic_ids_dispose(cc_generic_ids *g)
{
  if (g == NULL)
    return;
  free(g->items);
  memset(g, 0, sizeof *g);
}

void cc_person_dispose(cc_person *p)
{
  free(p->pick);
  p->pick = NULL;
  p->pick_cap = 0;
}
