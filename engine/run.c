/*
 * run.c - the conductor of one monthly run.
 *
 * Calls the stages in order and owns nothing else:
 *
 *   calendar  issue date -> clearing deadline (10 working days)
 *   ingest    each roster file -> records (parallel), and as each block
 *             is committed: records appended to the staged generation,
 *             rejects and invalid IDs written out; index entries collected;
 *             each record judged by the policy rules (SPEC 3.2) on the
 *             worker that parsed it
 *   index     entries sorted (parallel), their payloads gathered in that
 *             order, and appended; the stage committed. Beside the
 *             appends and the commit, on a thread of its own: the exact
 *             tier, then the fuzzy tier, over the sorted entries in
 *             memory (parallel)
 *   compare   the findings' members' texts from the stored records; the
 *             policy findings gathered; the lifecycle carried over from
 *             the previous period
 *   emit      findings.jsonl (parallel), the run record, summary.json and
 *             summary.txt, all under temporary names
 *   publish   findings stored and the period pointed at the generation, in
 *             one transaction; then the output files renamed into place
 *
 * cc_run_monthly (at the end of the file) reads as these steps, each a
 * static function over one run state (`monthly`); every text the run
 * builds goes through a cc_buf and its CSV and JSON writers (buf.c).
 *
 * A failure at any step aborts the write transaction (or leaves a staged
 * generation that no period points to, dropped at the next open), so the
 * database keeps what it held. Output files are written under temporary
 * names and renamed, with mode 0600 in a 0700 directory.
 *
 * Before anything is written, the database and output folders must be the
 * user's own and closed to others, and each is locked for the run (one run
 * at a time). Before anything is published, the safety rails check each
 * roster's record count (roster_rail): a misread file stops the run rather
 * than clear every open finding. IDs with more records than a person could
 * have are left out of the comparison and listed in data_quality.csv.
 *
 * Index entries are the only per-record memory kept for the whole run: a
 * 24-byte entry and its encoded idx value (about 60 bytes), in per-thread
 * arenas filled by the ingest workers.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <omp.h>
#include <xxhash.h>

#include "chachong/calendar.h"
#include "chachong/ingest.h"
#include "chachong/run.h"
#include "chachong/text.h"
#include "buf_internal.h"
#include "compare_internal.h"
#include "error_internal.h"
#include "finding_internal.h"
#include "fs_internal.h"
#include "index_internal.h"
#include "chachong/review.h"
#include "fuzzy_internal.h"
#include "grow_internal.h"
#include "lifecycle_internal.h"
#include "mem_internal.h"
#include "meter_internal.h"
#include "policy_internal.h"

/* Per-thread storage of index entries and their payloads. */
typedef struct payload_seg {
  struct payload_seg *next;
  size_t used, cap;
  uint8_t data[];
} payload_seg;

/* Records per school, counted by each worker in its own table (open
 * addressing on XXH3 of roster + code) and merged after ingest. */
typedef struct school_slot {
  uint64_t hash; /* 0 = empty */
  char *code;    /* malloc'd school code */
  uint16_t roster;
  uint64_t records, holding;
  char region[16];
} school_slot;

typedef struct school_table {
  school_slot *slots;
  size_t n, cap; /* cap is a power of two */
} school_table;

typedef struct thread_store {
  cc_index_entry *e; /* idx entries */
  size_t n, cap;
  cc_block_ref *refs; /* the fuzzy tier's blocking keys, with places in e */
  size_t n_refs, cap_refs;
  cc_typo_seed *seeds; /* records with an invalid ID, for the typo search */
  size_t n_seeds, cap_seeds;
  payload_seg *seg;
  school_table schools;
  cc_finding_list policy; /* policy findings of this thread's records */
  cc_policy_tally tally;  /* the rules' counts over its records */
  int err;
} thread_store;

typedef struct run_state {
  const cc_run_options *opts;
  cc_stage stage;
  thread_store *ts;
  int threads;
  FILE *rejects, *invalid;
  const char *path; /* file being read */
  const char *label;
  char *path_csv;               /* the path as a CSV cell (csv_text_dup) */
  char *label_csv;              /* the label as a CSV cell */
  cc_buf cell;                  /* scratch: one CSV cell */
  int fuzzy;                    /* build the fuzzy tier's blocks and seeds */
  const cc_policy_rules *rules; /* the policy rules of the run */
  cc_policy_period period;      /* the period they judge */
  double t0;
  uint64_t roster_records, roster_rejects;
} run_state;

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint8_t *payload_alloc(thread_store *t, size_t n)
{
  payload_seg *s = t->seg;
  if (s == NULL || s->cap - s->used < n) {
    size_t cap =
        ((size_t)16 << 20) - 64 - sizeof *s; /* 16 MiB maps, in big pages */
    s = cc_mem_alloc(sizeof *s + cap);
    if (s == NULL)
      return NULL;
    s->used = 0;
    s->cap = cap;
    s->next = t->seg;
    t->seg = s;
  }
  s->used += n;
  return s->data + s->used - n;
}

/* The slot of (roster, code), inserted with zero counts when new; NULL when
 * out of memory. */
static school_slot *school_slot_get(school_table *t, uint16_t roster,
                                    const char *code, size_t len,
                                    const char *region, size_t rlen)
{
  uint64_t h = XXH3_64bits_withSeed(code, len, roster) | 1; /* 0 = empty */
  size_t i;
  if ((t->n + 1) * 2 > t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 1024, k;
    school_slot *grown = calloc(cap, sizeof *grown);
    if (grown == NULL)
      return NULL;
    for (k = 0; k < t->cap; k++) {
      if (t->slots[k].hash == 0)
        continue;
      for (i = t->slots[k].hash & (cap - 1); grown[i].hash;
           i = (i + 1) & (cap - 1))
        ;
      grown[i] = t->slots[k];
    }
    free(t->slots);
    t->slots = grown;
    t->cap = cap;
  }
  for (i = h & (t->cap - 1); t->slots[i].hash; i = (i + 1) & (t->cap - 1)) {
    school_slot *s = &t->slots[i];
    if (s->hash == h && s->roster == roster && strlen(s->code) == len &&
        memcmp(s->code, code, len) == 0) {
      /* The smallest region code seen, so that the result does not depend
       * on which thread saw which record first. Nearly always the same
       * code again: checked without copying. */
      size_t have = strlen(s->region), m = rlen < 15 ? rlen : 15;
      if (m > 0 && (have != m || memcmp(s->region, region, m) != 0)) {
        int c = memcmp(region, s->region, m < have ? m : have);
        if (have == 0 || c < 0 || (c == 0 && m < have)) {
          memcpy(s->region, region, m);
          s->region[m] = '\0';
        }
      }
      return s;
    }
  }
  t->slots[i].code = strndup(code, len);
  if (t->slots[i].code == NULL)
    return NULL;
  t->slots[i].hash = h;
  t->slots[i].roster = roster;
  snprintf(t->slots[i].region, sizeof t->slots[i].region, "%.*s",
           (int)(rlen < 15 ? rlen : 15), region);
  t->n++;
  return &t->slots[i];
}

static int school_count(school_table *t, const cc_record *r)
{
  cc_str code = r->text[CC_COL_SCHOOL_CODE], reg = r->text[CC_COL_REGION_CODE];
  school_slot *s = school_slot_get(t, r->roster, code.ptr ? code.ptr : "",
                                   code.len, reg.ptr ? reg.ptr : "", reg.len);
  if (s == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  s->records++;
  s->holding += (uint64_t)cc_status_holds((cc_status)r->status);
  return 0;
}

static void school_table_dispose(school_table *t)
{
  size_t i;
  for (i = 0; i < t->cap; i++)
    free(t->slots[i].code);
  free(t->slots);
  memset(t, 0, sizeof *t);
}

static int school_cmp(const void *a, const void *b)
{
  const cc_school_count *x = a, *y = b;
  int c = strcmp(x->label, y->label);
  return c ? c : strcmp(x->school_code, y->school_code);
}

/* Merges the workers' tables into one sorted array. */
static int merge_schools(cc_school_count **out, size_t *n, run_state *rs,
                         const char *const *labels)
{
  school_table all = {0};
  size_t i, k, m = 0;
  cc_school_count *arr = NULL;
  int rc = 0;
  for (i = 0; i < (size_t)rs->threads && rc == 0; i++) {
    school_table *t = &rs->ts[i].schools;
    for (k = 0; k < t->cap; k++) {
      school_slot *s = &t->slots[k], *d;
      if (s->hash == 0)
        continue;
      d = school_slot_get(&all, s->roster, s->code, strlen(s->code), s->region,
                          strlen(s->region));
      if (d == NULL) {
        rc = cc_error_set(CC_ENOMEM, "out of memory");
        break;
      }
      d->records += s->records;
      d->holding += s->holding;
    }
  }
  if (rc == 0 && (arr = malloc((all.n ? all.n : 1) * sizeof *arr)) == NULL)
    rc = cc_error_set(CC_ENOMEM, "out of memory");
  for (k = 0; rc == 0 && k < all.cap; k++) {
    school_slot *s = &all.slots[k];
    if (s->hash == 0)
      continue;
    memset(&arr[m], 0, sizeof arr[m]);
    snprintf(arr[m].label, sizeof arr[m].label, "%s", labels[s->roster]);
    snprintf(arr[m].school_code, sizeof arr[m].school_code, "%s", s->code);
    snprintf(arr[m].region_code, sizeof arr[m].region_code, "%s", s->region);
    arr[m].records = s->records;
    arr[m].holding = s->holding;
    m++;
  }
  school_table_dispose(&all);
  if (rc < 0) {
    free(arr);
    return rc;
  }
  qsort(arr, m, sizeof *arr, school_cmp);
  *out = arr;
  *n = m;
  return 0;
}

/* Worker side: encode the idx values of a block into this thread's store. */
static int sink_work(void *vctx, const cc_block *b, int thread)
{
  run_state *rs = vctx;
  thread_store *t = &rs->ts[thread];
  size_t i;
  if (t->n + b->n_records > t->cap) {
    size_t cap = t->cap ? t->cap : 65536;
    cc_index_entry *grown;
    while (cap < t->n + b->n_records)
      cap *= 2;
    grown = cc_mem_realloc(t->e, cap * sizeof *grown);
    if (grown == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory");
    t->e = grown;
    t->cap = cap;
  }
  for (i = 0; i < b->n_records; i++) {
    const cc_record *r = &b->records[i];
    /* Encode in place: reserve the most a value can take, give back the
     * rest (the segment's tail is ours until the next allocation). */
    uint8_t *p = payload_alloc(t, CC_IDX_VALUE_MAX);
    size_t len;
    cc_index_entry *e = &t->e[t->n++];
    if (p == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory");
    len = cc_index_encode_idx(p, r);
    t->seg->used -= CC_IDX_VALUE_MAX - len;
    e->hash = r->id_hash;
    e->line = r->line;
    e->roster = r->roster;
    e->len = (uint16_t)len;
    e->payload = p;
    if (school_count(&t->schools, r) < 0)
      return CC_ENOMEM;
    if (r->grant > 0 || r->waiver > 0) {
      cc_policy_hit hits[CC_POLICY_HITS_MAX];
      int nh = cc_policy_check(hits, rs->rules, &rs->period, r, &t->tally), h;
      for (h = 0; h < nh; h++)
        if (cc_policy_finding_add(&t->policy, &hits[h], r,
                                  rs->opts->rosters[r->roster].label) < 0)
          return cc_error_set(CC_ENOMEM, "out of memory");
    }
    if (rs->fuzzy) {
      uint64_t bk[CC_FUZZY_BLOCK_KEYS_MAX];
      int nk = cc_fuzzy_block_keys(bk, r), k;
      /* The place of e among every worker's entries (cc_block_ref). */
      uint64_t at =
          (uint64_t)(t->n - 1) * (uint64_t)rs->threads + (uint64_t)thread;
      if (nk && at > UINT32_MAX)
        return cc_error_set(CC_EINVALID,
                            "too many records for the fuzzy tier's blocks "
                            "(use --no-fuzzy)");
      if (nk && cc_mem_grow((void **)&t->refs, &t->cap_refs,
                            t->n_refs + (size_t)nk, sizeof *t->refs) < 0)
        return cc_error_set(CC_ENOMEM, "out of memory");
      for (k = 0; k < nk; k++) {
        t->refs[t->n_refs].key = bk[k];
        t->refs[t->n_refs].at = (uint32_t)at;
        t->n_refs++;
      }
      if (r->id_verdict == CC_ID_INVALID &&
          (r->id_len == 18 || r->id_len == 17)) {
        cc_typo_seed *sd;
        if (cc_grow((void **)&t->seeds, &t->cap_seeds, t->n_seeds + 1,
                    sizeof *t->seeds) < 0)
          return cc_error_set(CC_ENOMEM, "out of memory");
        sd = &t->seeds[t->n_seeds++];
        sd->hash = r->id_hash;
        sd->line = r->line;
        sd->roster = r->roster;
        sd->id_len = r->id_len;
        memcpy(sd->id, r->id, sizeof sd->id);
      }
    }
  }
  return 0;
}

/* Calling thread, file order: records into LMDB, rejects into files. */
static int sink_commit(void *vctx, const cc_block *b)
{
  run_state *rs = vctx;
  size_t i;
  int rc;
  /* LMDB takes the pages this block dirties from the heap (mem.c). */
  cc_mem_heap_advise();
  for (i = 0; i < b->n_records; i++) {
    const cc_record *r = &b->records[i];
    if ((rc = cc_index_stage_record(&rs->stage, r)) < 0)
      return rc;
    if (r->id_verdict == CC_ID_INVALID) {
      char masked[CC_ID_MAX + 1];
      cc_id_mask(masked, r->id);
      cc_buf_reset(&rs->cell);
      cc_csv_cstr(&rs->cell, masked, CC_CSV_TEXT | CC_CSV_ONE_LINE);
      if ((rc = cc_buf_check(&rs->cell, "invalid_ids.csv")) < 0)
        return rc;
      fprintf(rs->invalid, "%s,%s,%u,%s,%s,%s\n", rs->path_csv, rs->label_csv,
              r->line, rs->cell.p,
              cc_id_reason_code((cc_id_reason)r->id_reason),
              cc_id_reason_zh((cc_id_reason)r->id_reason));
    }
  }
  for (i = 0; i < b->n_rejects; i++) {
    const cc_reject *j = &b->rejects[i];
    fprintf(rs->rejects, "%s,%s,%u,%u,%s,%s\n", rs->path_csv, rs->label_csv,
            j->line, j->column, cc_reject_code_str((cc_reject_code)j->code),
            cc_reject_code_zh((cc_reject_code)j->code));
  }
  return 0;
}

static void progress(void *vctx, uint64_t done, uint64_t total)
{
  run_state *rs = vctx;
  fprintf(stderr, "\r%s: %3d%% of %.0f MB, %.1f s", rs->label,
          total ? (int)(done * 100 / total) : 100, total / 1e6,
          now_s() - rs->t0);
  fflush(stderr);
}

static void free_payloads(run_state *rs)
{
  int i;
  for (i = 0; i < rs->threads; i++) {
    payload_seg *s = rs->ts[i].seg;
    while (s) {
      payload_seg *next = s->next;
      cc_mem_free(s);
      s = next;
    }
    rs->ts[i].seg = NULL;
  }
}

/*
 * The index stage before its store: makes the fuzzy tier's blocks from
 * the workers' blocking keys and keeps those of two or more records
 * (returned in *blocks; they are never written to the database), sorts the
 * workers' index entries into *out (*n_out of them; cc_mem_free it, and
 * the payloads it points into with free_payloads), gathers the typo seeds
 * and sets the bits of every ID in *ids.
 */
static int sort_index(run_state *rs, cc_block_entry **blocks, size_t *nb,
                      cc_typo_seed **seeds, size_t *n_seeds, cc_id_filter *ids,
                      cc_index_entry **out, size_t *n_out)
{
  cc_index_entry *all = NULL, **parts = NULL;
  size_t *lens = NULL, total = 0, ns = 0, i;
  int rc = 0, k = rs->threads;

  *out = NULL;
  *n_out = 0;
  *blocks = NULL;
  *nb = 0;
  *seeds = NULL;
  *n_seeds = 0;
  parts = malloc((size_t)k * sizeof *parts);
  lens = malloc((size_t)k * sizeof *lens);
  if (parts == NULL || lens == NULL) {
    rc = cc_error_set(CC_ENOMEM, "out of memory");
    goto done;
  }
  /* The workers' arrays are scattered straight into the sort (which frees
   * them): no gathering copy. */
  for (i = 0; i < (size_t)k; i++) {
    total += rs->ts[i].n;
    parts[i] = rs->ts[i].e;
    lens[i] = rs->ts[i].n;
    rs->ts[i].e = NULL;
  }
  if (rs->fuzzy) {
    /* Before the sort frees the workers' entries, which the refs point
     * into. */
    cc_block_ref **rparts = calloc((size_t)k, sizeof *rparts);
    size_t *rlens = calloc((size_t)k, sizeof *rlens);
    if (rparts == NULL || rlens == NULL) {
      free(rparts);
      free(rlens);
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      goto done;
    }
    for (i = 0; i < (size_t)k; i++) {
      rparts[i] = rs->ts[i].refs;
      rlens[i] = rs->ts[i].n_refs;
      rs->ts[i].refs = NULL;
    }
    rc = cc_index_group_blocks(blocks, nb, rparts, rlens, k,
                               (const cc_index_entry *const *)parts, k);
    free(rparts);
    free(rlens);
    if (rc < 0) {
      for (i = 0; i < (size_t)k; i++)
        cc_mem_free(parts[i]);
      goto done;
    }
  }
  if ((rc = cc_index_sort_parts(&all, parts, lens, k, k)) < 0)
    goto done;
  if (rs->fuzzy) {
    for (i = 0; i < (size_t)k; i++)
      ns += rs->ts[i].n_seeds;
    *seeds = malloc((ns ? ns : 1) * sizeof **seeds);
    if (*seeds == NULL) {
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      goto done;
    }
    for (i = 0; i < (size_t)k; i++) {
      if (rs->ts[i].n_seeds)
        memcpy(*seeds + *n_seeds, rs->ts[i].seeds,
               rs->ts[i].n_seeds * sizeof **seeds);
      *n_seeds += rs->ts[i].n_seeds;
      free(rs->ts[i].seeds);
      rs->ts[i].seeds = NULL;
    }
  }

  /* The typo search's bit set of every ID, while the sorted entries are
   * at hand. */
  if (rs->fuzzy && *n_seeds > 0)
    rc = cc_id_filter_build(ids, all, total);

done:
  free(parts);
  free(lens);
  if (rc == 0) {
    *out = all;
    *n_out = total;
  } else {
    cc_mem_free(all);
  }
  if (rc < 0) {
    free(*blocks);
    *blocks = NULL;
    free(*seeds);
    *seeds = NULL;
  }
  return rc;
}

/* s with its control characters made visible (cc_text_visible), for
 * summary.txt. */
static void put_visible(cc_buf *b, const char *s)
{
  size_t n = strlen(s), need = cc_text_visible(NULL, 0, s, n, 0);
  char *at = cc_buf_extend(b, need);
  if (at != NULL)
    cc_text_visible(at, need + 1, s, n, 0); /* extend keeps the NUL's room */
}

/* The CSV cell of a text from outside (a file path, a label: CC_CSV_TEXT,
 * on one line), malloc'd for the rows of rejects.csv and invalid_ids.csv;
 * NULL when out of memory. */
static char *csv_text_dup(const char *raw)
{
  cc_buf b;
  cc_buf_init(&b, 0);
  cc_csv_cstr(&b, raw, CC_CSV_TEXT | CC_CSV_ONE_LINE);
  return cc_buf_take(&b);
}

/* Opens a new temporary file for the output `name` in dir (cc_temp_create:
 * a random name, O_EXCL, O_NOFOLLOW, mode 0600); NULL with the error set. */
static FILE *open_private(const char *dir, const char *name, char *tmp_path,
                          size_t cap)
{
  int fd = cc_temp_create(tmp_path, cap, dir, name);
  FILE *f;
  if (fd < 0)
    return NULL;
  f = fdopen(fd, "w");
  if (f == NULL) {
    cc_error_set_errno(CC_EIO, errno, "writing %s", tmp_path);
    close(fd);
  } else {
    setvbuf(f, NULL, _IOFBF, 1 << 20);
  }
  return f;
}

/* The outputs, in the order they are put in place: summary.txt last, so
 * that a summary in the folder means the files beside it are its run's. */
enum {
  OUT_FIND,
  OUT_REJ,
  OUT_INV,
  OUT_POSS,
  OUT_DQ,
  OUT_SJSON,
  OUT_SUM,
  N_OUTPUTS
};
static const char *const output_name[N_OUTPUTS] = {
    "findings.jsonl",   "rejects.csv",  "invalid_ids.csv", "possible.jsonl",
    "data_quality.csv", "summary.json", "summary.txt"};

#define DB_LOCK "chachong-run.lock"
#define OUT_LOCK ".chachong-run.lock"

/*
 * The run's folders: created 0700 when missing, refused when someone else
 * could plant files there, and locked (one run at a time per database and
 * per output folder; a second run is told which run holds them). The
 * output folder's leftovers of killed runs are swept once it is ours.
 */
static int take_folders(int *lock_db, int *lock_out, const cc_run_options *o)
{
  int rc, i;
  if ((rc = cc_mkdir_p(o->db_dir, 0700)) < 0 ||
      (rc = cc_dir_check_private(o->db_dir, "database folder")) < 0 ||
      (rc = cc_lock_take(lock_db, o->db_dir, DB_LOCK, "database", o->command)) <
          0)
    return rc;
  if ((rc = cc_mkdir_p(o->out_dir, 0700)) < 0 ||
      (rc = cc_dir_check_private(o->out_dir, "output folder")) < 0 ||
      (rc = cc_lock_take(lock_out, o->out_dir, OUT_LOCK, "output folder",
                         o->command)) < 0)
    return rc;
  for (i = 0; i < N_OUTPUTS; i++)
    cc_temp_sweep(o->out_dir, output_name[i]);
  return 0;
}

/*
 * The safety rails of one roster, before anything is published: a roster
 * with no records, or with fewer than min_roster_share of the records its
 * label had in the previous period `prev` (NULL: none), stops the run
 * unless the operator confirmed it. A file misread as empty (lone CR line
 * ends, a quote that swallows the file) would otherwise clear every open
 * finding of the period before.
 */
static int roster_rail(cc_db *db, const cc_run_options *o, size_t i,
                       const cc_ingest_stats *st, const char *prev)
{
  const cc_roster_spec *r = &o->rosters[i];
  uint64_t before = 0;
  int rc;
  if (st->records == 0) {
    if (o->allow_empty)
      return 0;
    return cc_error_set(
        CC_EINVALID,
        "roster '%s' (%s) yields no records (%llu rows rejected, "
        "%llu blank): stopped before publishing, so that no "
        "finding is cleared by a misread file; check the file, "
        "or confirm an empty roster with --allow-empty",
        r->label, r->path, (unsigned long long)st->rejects,
        (unsigned long long)st->blank);
  }
  if (prev == NULL || o->min_roster_share <= 0 || o->allow_shrink)
    return 0;
  rc = cc_index_roster_records(&before, db, prev, r->label);
  if (rc == CC_ENOTFOUND)
    return 0; /* a label the previous period did not have */
  if (rc < 0)
    return rc;
  if ((double)st->records < o->min_roster_share * (double)before)
    return cc_error_set(
        CC_EINVALID,
        "roster '%s' (%s) has %llu records against %llu in %s, "
        "under %g%% of them: stopped before publishing, so that "
        "no finding is cleared by a misread file; check the "
        "file, or confirm with --allow-shrink (the share is "
        "set with --min-roster-share)",
        r->label, r->path, (unsigned long long)st->records,
        (unsigned long long)before, prev, o->min_roster_share * 100);
  return 0;
}

/* Closes a temporary output file, reporting any write error. */
static int close_file(FILE **f, const char *tmp_path)
{
  int bad = ferror(*f);
  int closed = fclose(*f);
  *f = NULL;
  if (closed != 0 || bad)
    return cc_error_set_errno(CC_EIO, errno, "writing %s", tmp_path);
  return 0;
}

/* Puts a temporary output in place. If that fails, the earlier run's file
 * of that name is removed, so that the folder never shows an output of
 * another run beside this run's (the data stay under the temporary name,
 * which the message gives). */
static int rename_into(const char *tmp_path, const char *dir, const char *name)
{
  char final[4096];
  snprintf(final, sizeof final, "%s/%s", dir, name);
  if (rename(tmp_path, final) != 0) {
    int e = errno;
    unlink(final);
    return cc_error_set_errno(CC_EIO, e, "renaming to %s", final);
  }
  return 0;
}

/* The fuzzy tier's lines of the summary: what it decided and the weights
 * the month was scored with. */
static void fuzzy_summary(cc_buf *t, const cc_fuzzy_stats *fz)
{
  const cc_fuzzy_model *m = &fz->model;
  int f, l;
  cc_buf_printf(
      t,
      "fuzzy tier: %llu pairs scored, %llu linked into %llu persons, "
      "%llu possible (possible.jsonl, for review: %llu with two valid IDs for "
      "a "
      "population-registry check, %llu ambiguous, %llu with different names); "
      "reviewer decisions honoured: "
      "%llu same, %llu different\n",
      (unsigned long long)fz->candidates, (unsigned long long)fz->links,
      (unsigned long long)fz->groups, (unsigned long long)fz->possible,
      (unsigned long long)fz->both_valid, (unsigned long long)fz->ambiguous,
      (unsigned long long)fz->names_differ,
      (unsigned long long)fz->reviewed_same,
      (unsigned long long)fz->reviewed_different);
  cc_buf_printf(
      t, "fuzzy weights: %s (%llu pairs, %d EM iterations, match share %.4f)\n",
      m->why, (unsigned long long)m->pairs, m->iterations, m->lambda);
  for (f = 0; f < CC_EV_COUNT_; f++)
    for (l = 0; l < cc_fuzzy_level_count(f); l++)
      if (!cc_fuzzy_level_is_typo(f, l))
        cc_buf_printf(t, "  %-10s %-30s m %.4f  u %.5f  weight %+.1f\n",
                      cc_evidence_field_code(f), cc_evidence_level_code(f, l),
                      m->m[f][l], m->u[f][l], m->w10[f][l] / 10.0);
}

/* The model as a JSON object, for the period's run record and
 * summary.json. */
static void model_json(cc_buf *t, const cc_fuzzy_model *m)
{
  int f, l, first = 1;
  cc_buf_printf(t, "{\"fitted\": %s, \"why\": ", m->fitted ? "true" : "false");
  cc_json_cstr(t, m->why);
  cc_buf_printf(t,
                ", \"pairs\": %llu, \"iterations\": %d, \"lambda\": %.6f, "
                "\"levels\": [",
                (unsigned long long)m->pairs, m->iterations, m->lambda);
  for (f = 0; f < CC_EV_COUNT_; f++)
    for (l = 0; l < cc_fuzzy_level_count(f); l++)
      if (!cc_fuzzy_level_is_typo(f, l)) {
        cc_buf_printf(t,
                      "%s{\"field\": \"%s\", \"level\": \"%s\", \"m\": %.6f, "
                      "\"u\": %.6f, \"weight\": %.1f}",
                      first ? "" : ", ", cc_evidence_field_code(f),
                      cc_evidence_level_code(f, l), m->m[f][l], m->u[f][l],
                      m->w10[f][l] / 10.0);
        first = 0;
      }
  cc_buf_puts(t, "]}");
}

/* The policy findings' lines of the summary: per type, their money (apart
 * from the duplicates'), and per rule what was judged and what was not. */
static void policy_summary(cc_buf *t, const cc_policy_rules *rules,
                           const cc_policy_tally *tally, size_t by_type[][2],
                           const int64_t *risk)
{
  char money[24];
  int i;
  int64_t all = 0;
  size_t n = 0;
  cc_buf_printf(t, "\npolicy findings (SPEC 3.2; rules: %s)\n",
                rules->source[0] ? rules->source : "defaults");
  for (i = CC_FT_POLICY_FIRST; i < CC_FT_COUNT_; i++) {
    cc_money_format(money, risk[i]);
    cc_buf_printf(t, "  %-24s %8zu   amount at risk: %s yuan\n",
                  cc_finding_type_code((cc_finding_type)i),
                  by_type[i][0] + by_type[i][1], money);
    n += by_type[i][0] + by_type[i][1];
    all += risk[i];
  }
  cc_money_format(money, all);
  cc_buf_printf(
      t,
      "  %-24s %8zu   amount at risk: %s yuan (apart from the duplicates')\n",
      "all", n, money);
  cc_buf_printf(t, "  rule             judged    found   not judged: empty "
                   "unreadable exempt\n");
  for (i = 0; i < CC_RULE_COUNT_; i++) {
    const cc_policy_count *c = &tally->rule[i];
    if (!rules->on[i]) {
      cc_buf_printf(t, "  %-14s off (rules file)\n",
                    cc_policy_rule_code((cc_policy_rule)i));
      continue;
    }
    cc_buf_printf(
        t, "  %-14s %8llu %8llu %18llu %10llu %6llu\n",
        cc_policy_rule_code((cc_policy_rule)i), (unsigned long long)c->judged,
        (unsigned long long)c->found, (unsigned long long)c->empty,
        (unsigned long long)c->unreadable, (unsigned long long)c->exempt);
  }
  cc_buf_printf(
      t,
      "  (records paid a subsidy; not judged: the column a rule needs is empty "
      "or not readable, or for over_age the ID is invalid, or the region is "
      "exempt)\n");
}

/* The same for the period's run record and summary.json: the settings used
 * and the counts, as two members of an object. */
static void policy_json(cc_buf *t, const cc_policy_rules *rules,
                        const cc_policy_tally *tally)
{
  char *at;
  size_t n = cc_policy_rules_json(NULL, 0, rules);
  int i;
  cc_buf_puts(t, "\"policy_rules\": ");
  if ((at = cc_buf_extend(t, n)) != NULL)
    cc_policy_rules_json(at, n + 1, rules); /* extend keeps the NUL's room */
  cc_buf_puts(t, ", \"policy_counts\": {");
  for (i = 0; i < CC_RULE_COUNT_; i++) {
    const cc_policy_count *c = &tally->rule[i];
    char money[24];
    cc_money_format(money, c->amount);
    cc_buf_printf(
        t,
        "%s\"%s\": {\"judged\": %llu, \"found\": %llu, \"empty\": %llu, "
        "\"unreadable\": %llu, \"exempt\": %llu, \"amount\": %s}",
        i ? ", " : "", cc_policy_rule_code((cc_policy_rule)i),
        (unsigned long long)c->judged, (unsigned long long)c->found,
        (unsigned long long)c->empty, (unsigned long long)c->unreadable,
        (unsigned long long)c->exempt, money);
  }
  cc_buf_puts(t, "}");
}

static int valid_period(const char *p)
{
  int y, m, i;
  if (p == NULL || strlen(p) != 7 || p[4] != '-')
    return 0;
  for (i = 0; i < 7; i++)
    if (i != 4 && (p[i] < '0' || p[i] > '9'))
      return 0;
  y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 +
      (p[3] - '0');
  m = (p[5] - '0') * 10 + (p[6] - '0');
  return y >= 2000 && y <= 2199 && m >= 1 && m <= 12;
}

static int valid_label(const char *s)
{
  size_t i, n = strlen(s);
  if (n == 0 || n > 32)
    return 0;
  for (i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return 0;
  }
  return 1;
}

static unsigned max_per_id(const cc_run_options *o)
{
  return o->max_records_per_id ? o->max_records_per_id
                               : CC_MAX_RECORDS_PER_ID_DEFAULT;
}

static int generic_by_count(const void *a, const void *b)
{
  const cc_generic_id *x = *(const cc_generic_id *const *)a;
  const cc_generic_id *y = *(const cc_generic_id *const *)b;
  if (x->records != y->records)
    return x->records > y->records ? -1 : 1;
  return strcmp(x->id, y->id);
}

/*
 * data_quality.csv: one row per generic ID (docs/RULES.md, "Data
 * quality"), the most records first: a stable code, the masked ID, its
 * records and distinct schools, the first schools (label:code, ';'
 * between) and a Chinese message.
 */
static int write_data_quality(FILE *f, const cc_generic_ids *g,
                              const char *const *labels, unsigned max)
{
  const cc_generic_id **order = malloc((g->n ? g->n : 1) * sizeof *order);
  cc_buf line = {0}, codes = {0};
  size_t i, k;
  int rc = 0;
  if (order == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  for (i = 0; i < g->n; i++)
    order[i] = &g->items[i];
  qsort(order, g->n, sizeof *order, generic_by_count);
  fputs(CC_CSV_BOM "code,id_masked,records,schools,school_codes,message\n", f);
  for (i = 0; i < g->n && rc == 0; i++) {
    const cc_generic_id *x = order[i];
    char masked[CC_ID_MAX + 1];
    cc_buf_reset(&line);
    cc_buf_reset(&codes);
    for (k = 0; k < x->n_shown; k++)
      cc_buf_printf(&codes, "%s%s:%s", k ? ";" : "", labels[x->shown[k].roster],
                    x->shown[k].code);
    if (x->schools > x->n_shown)
      cc_buf_printf(&codes, "%s...", x->n_shown ? ";" : "");
    cc_id_mask(masked, x->id);
    cc_buf_puts(&line, "generic_id,");
    cc_csv_cstr(&line, masked, CC_CSV_TEXT | CC_CSV_ONE_LINE);
    cc_buf_printf(&line, ",%llu,%llu,", (unsigned long long)x->records,
                  (unsigned long long)x->schools);
    cc_csv_cell(&line, codes.p, codes.len, CC_CSV_TEXT | CC_CSV_ONE_LINE);
    cc_buf_printf(&line,
                  ",同一身份证号下有%llu条记录，超过一人可能"
                  "有的%u条，疑为占位号或测试号，未展开为疑点，请核查\n",
                  (unsigned long long)x->records, max);
    if ((rc = cc_buf_check(&codes, "data_quality.csv")) == 0 &&
        (rc = cc_buf_check(&line, "data_quality.csv")) == 0)
      fwrite(line.p, 1, line.len, f);
  }
  cc_buf_dispose(&line);
  cc_buf_dispose(&codes);
  free(order);
  return rc;
}

/* ------------------------------------------------------------------ */
/* The run, step by step. */

/* What one step of a run leaves for the next: cc_run_monthly calls the
 * steps in order, each a function below, and run_dispose frees it all. */
typedef struct monthly {
  const cc_run_options *opts;
  run_state rs; /* the ingest workers' context */
  cc_db *db;
  cc_calendar *cal;
  cc_header_map *map;        /* --map, or NULL */
  cc_policy_rules rules;     /* the policy rules of the run */
  cc_policy_tally tally;     /* their counts over every record */
  cc_date issued, deadline;  /* the same for every finding of the run */
  int provisional;           /* the deadline's year has no schedule */
  uint64_t estimate;         /* bytes the staged generation may take */
  int lock_db, lock_out;     /* the folders' locks, -1 when not held */
  char tmp[N_OUTPUTS][4096]; /* the outputs' temporary names ("": none) */
  FILE *out[N_OUTPUTS];      /* the outputs still open */
  char prev_period[8];       /* the period before this one ... */
  int have_prev;             /* ... when there is one */
  int staged;                /* a staged generation to abort on failure */
  int published;             /* the period is in the database */
  const char **labels;       /* the rosters' labels, by roster number */
  cc_ingest_stats *stats;    /* per roster */
  uint64_t records, rejects; /* over every roster */
  cc_block_entry *blocks;    /* the fuzzy tier's blocking entries */
  size_t n_blocks;
  cc_typo_seed *seeds; /* records with an invalid ID */
  size_t n_seeds;
  cc_id_filter ids;         /* every ID, for the typo search */
  cc_school_count *schools; /* records per school, sorted */
  size_t n_schools;
  cc_finding_list found;    /* every finding of the period */
  cc_finding_list prev;     /* the previous period's findings */
  cc_generic_ids generic;   /* IDs left out as placeholders */
  uint64_t generic_records; /* their records */
  cc_fuzzy_stats fz;        /* what the fuzzy tier decided */
  /* The open findings counted (cleared ones only in by_state). */
  size_t by_state[CC_STATE_COUNT_], by_type[CC_FT_COUNT_][2], claimed;
  int64_t at_risk;                   /* money paid twice */
  int64_t policy_risk[CC_FT_COUNT_]; /* money against the rules, by type */
  uint64_t invalid_ids;              /* over every roster */
  cc_buf info;                       /* the period's run record (JSON) */
  cc_buf sum;                        /* summary.txt */
  cc_buf sjson;                      /* summary.json */
  double t_start, t_ingest, t_index, t_compare, t_fuzzy, t_emit;
  double t_compare_walk, t_fuzzy_walk; /* the tiers' walks, within index */
  cc_review_set *reviews; /* the reviewers' decisions (chachong review) */
  cc_meter_mark mk[7];    /* start, then the end of each stage (meter.c) */
} monthly;

/* Options: checked before anything is read or written. */
static int check_options(const cc_run_options *opts)
{
  size_t i, j;
  if (!valid_period(opts->period))
    return cc_error_set(CC_EINVALID, "period '%s' is not of the form YYYY-MM",
                        opts->period ? opts->period : "");
  if (opts->n_rosters < 2)
    return cc_error_set(
        CC_EINVALID, "a run needs two or more rosters (--roster LABEL=FILE)");
  if (opts->n_rosters > 256)
    return cc_error_set(CC_EINVALID, "at most 256 rosters");
  for (i = 0; i < opts->n_rosters; i++) {
    if (!valid_label(opts->rosters[i].label))
      return cc_error_set(
          CC_EINVALID,
          "roster label '%s': use 1-32 letters, digits, '_' or '-'",
          opts->rosters[i].label);
    for (j = 0; j < i; j++)
      if (strcmp(opts->rosters[i].label, opts->rosters[j].label) == 0)
        return cc_error_set(CC_EINVALID, "roster label '%s' is given twice",
                            opts->rosters[i].label);
  }
  return 0;
}

/* The calendar and deadline, the header map, the policy rules, and every
 * input readable: all before anything is written. */
static int prepare(monthly *m)
{
  const cc_run_options *opts = m->opts;
  size_t i;
  int rc = 0;
  m->issued = opts->issued == CC_DATE_NONE ? cc_date_today() : opts->issued;
  if ((rc = cc_calendar_new(&m->cal)) < 0)
    return rc;
  if (opts->calendar_path &&
      (rc = cc_calendar_load_file(m->cal, opts->calendar_path)) < 0)
    return rc;
  if ((rc = cc_calendar_add_workdays(&m->deadline, m->cal, m->issued, 10,
                                     &m->provisional)) < 0)
    return rc;
  if (opts->map_path && (rc = cc_header_map_load(&m->map, opts->map_path)) < 0)
    return rc;
  if (opts->rules_path)
    rc = cc_policy_rules_load(&m->rules, opts->rules_path);
  else
    cc_policy_rules_init(&m->rules);
  if (rc < 0 || (rc = cc_policy_period_parse(&m->rs.period, opts->period)) < 0)
    return rc;
  for (i = 0; i < opts->n_rosters; i++) {
    struct stat sb;
    if (stat(opts->rosters[i].path, &sb) != 0)
      return cc_error_set_errno(errno == ENOENT ? CC_ENOTFOUND : CC_EIO, errno,
                                "%s", opts->rosters[i].path);
    m->estimate += (uint64_t)sb.st_size * 2;
  }
  return 0;
}

/* Opens output i under a temporary name; CC_EIO with the error set. */
static int open_output(monthly *m, int i)
{
  m->out[i] = open_private(m->opts->out_dir, output_name[i], m->tmp[i],
                           sizeof m->tmp[i]);
  return m->out[i] ? 0 : CC_EIO;
}

/* Closes output i, reporting any write error. */
static int close_output(monthly *m, int i)
{
  return close_file(&m->out[i], m->tmp[i]);
}

/* Writes text to output i and closes it. */
static int write_output(monthly *m, int i, const cc_buf *text)
{
  int rc = cc_buf_check(text, output_name[i]);
  if (rc == 0)
    rc = open_output(m, i);
  if (rc < 0)
    return rc;
  if (text->len)
    fwrite(text->p, 1, text->len, m->out[i]);
  return close_output(m, i);
}

/* The folders taken, the rejects' files begun, the database opened and a
 * generation staged. */
static int open_run(monthly *m)
{
  const cc_run_options *opts = m->opts;
  cc_db_options dbo = CC_DB_OPTIONS_INIT;
  int rc;
  if ((rc = take_folders(&m->lock_db, &m->lock_out, opts)) < 0 ||
      (rc = open_output(m, OUT_REJ)) < 0 || (rc = open_output(m, OUT_INV)) < 0)
    return rc;
  m->rs.rejects = m->out[OUT_REJ];
  m->rs.invalid = m->out[OUT_INV];
  /* A BOM first: Excel then reads the Chinese messages as UTF-8. */
  fputs(CC_CSV_BOM "file,roster,line,column,code,message\n", m->rs.rejects);
  fputs(CC_CSV_BOM "file,roster,line,id_masked,code,message\n", m->rs.invalid);

  dbo.no_sync = opts->no_sync;
  if ((rc = cc_db_open(&m->db, opts->db_dir, &dbo)) < 0)
    return rc;
  rc = cc_index_previous_period(m->prev_period, m->db, opts->period);
  if (rc < 0 && rc != CC_ENOTFOUND)
    return rc;
  m->have_prev = rc == 0;
  /* The reviewers' decisions outrank the model (chachong review). Read
   * before the write transaction begins: no other write can come between
   * (the run holds LMDB's writer lock until it publishes), and the fuzzy
   * tier's thread then opens no handle while the writer holds one open. */
  if (m->rs.fuzzy && (rc = cc_review_load(&m->reviews, m->db)) < 0)
    return rc;
  if ((rc = cc_index_stage_begin(&m->rs.stage, m->db, opts->period,
                                 m->estimate)) < 0)
    return rc;
  m->staged = 1;
  return 0;
}

/* Ingest, roster by roster, each through the safety rails. */
static int ingest_rosters(monthly *m)
{
  const cc_run_options *opts = m->opts;
  run_state *rs = &m->rs;
  double t = now_s();
  size_t i;
  int rc;
  cc_meter_mark_now(&m->mk[1]);
  rs->ts = calloc((size_t)rs->threads, sizeof *rs->ts);
  m->stats = calloc(opts->n_rosters, sizeof *m->stats);
  m->labels = calloc(opts->n_rosters, sizeof *m->labels);
  if (rs->ts == NULL || m->stats == NULL || m->labels == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  for (i = 0; i < opts->n_rosters; i++) {
    cc_ingest_options io = CC_INGEST_OPTIONS_INIT;
    cc_ingest_sink sink = {sink_work, sink_commit, rs};
    m->labels[i] = opts->rosters[i].label;
    io.encoding = (cc_encoding)opts->rosters[i].encoding;
    io.map = m->map;
    io.today = m->issued;
    io.threads = rs->threads;
    io.cancel = opts->cancel;
    rs->path = opts->rosters[i].path;
    rs->label = opts->rosters[i].label;
    free(rs->path_csv);
    free(rs->label_csv);
    rs->path_csv = csv_text_dup(rs->path);
    rs->label_csv = csv_text_dup(rs->label);
    if (rs->path_csv == NULL || rs->label_csv == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory");
    rs->t0 = now_s();
    if (opts->progress && isatty(2)) {
      io.progress = progress;
      io.progress_ctx = rs;
    }
    rc = cc_ingest_file(&m->stats[i], rs->path, (uint16_t)i, &io, &sink);
    if (io.progress)
      fputs("\n", stderr);
    if (rc < 0)
      return rc;
    if ((rc = roster_rail(m->db, opts, i, &m->stats[i],
                          m->have_prev ? m->prev_period : NULL)) < 0)
      return rc;
    m->records += m->stats[i].records;
    m->rejects += m->stats[i].rejects;
  }
  m->t_ingest = now_s() - t;
  cc_meter_mark_now(&m->mk[2]);
  return 0;
}

/*
 * The exact and fuzzy tiers over the sorted index in memory
 * (cc_store_gen_memory), which they read as they would the stored one:
 * run on a thread of their own while the main thread stores the index
 * (build_index). The members' texts of their findings come from the
 * stored records once it is committed (compare_exact).
 */
typedef struct checker {
  monthly *m;
  cc_gen g; /* the generation in memory */
  int rc;
  char msg[512];             /* the error of rc, from the checker's thread */
  double t_compare, t_fuzzy; /* walls of the two tiers */
} checker;

static int check_tiers(checker *c)
{
  monthly *m = c->m;
  double t = now_s();
  int rc = cc_compare_exact_gen(&m->found, &m->generic, &c->g, m->labels,
                                m->rs.threads, m->opts->max_records_per_id);
  c->t_compare = now_s() - t;
  if (rc == 0 && m->rs.fuzzy) {
    t = now_s();
    rc = cc_fuzzy_run_gen(&m->found, &m->fz, m->out[OUT_POSS], &c->g, m->labels,
                          m->seeds, m->n_seeds, &m->ids, m->blocks, m->n_blocks,
                          m->reviews, &m->generic, m->rs.threads);
    c->t_fuzzy = now_s() - t;
  }
  if (rc < 0)
    snprintf(c->msg, sizeof c->msg, "%s", cc_error_last());
  return rc;
}

static void *checker_main(void *arg)
{
  checker *c = arg;
  c->rc = check_tiers(c);
  return NULL;
}

/*
 * The entries' payloads copied into one block (*out, to cc_mem_free) in
 * the entries' order, each entry pointed at its copy, and the workers'
 * payload segments freed. The payloads were written in file order and
 * the index is read in hash order: without the copy every entry read is
 * a cache miss, for the store and for each tier's walk again. Each
 * thread copies a contiguous share of the entries.
 */
static int gather_payloads(run_state *rs, cc_index_entry *all, size_t n,
                           uint8_t **out)
{
  int nt = rs->threads, t;
  size_t *start = calloc((size_t)nt + 1, sizeof *start), i, bytes = 0;
  uint8_t *buf;
  *out = NULL;
  if (start == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  for (t = 0; t < nt; t++) {
    size_t lo = n * (size_t)t / (size_t)nt,
           hi = n * (size_t)(t + 1) / (size_t)nt;
    start[t] = bytes;
    for (i = lo; i < hi; i++)
      bytes += all[i].len;
  }
  start[nt] = bytes;
  if ((buf = cc_mem_alloc(bytes ? bytes : 1)) == NULL) {
    free(start);
    return cc_error_set(CC_ENOMEM, "out of memory");
  }
#pragma omp parallel for num_threads(nt) schedule(static, 1)
  for (t = 0; t < nt; t++) {
    size_t lo = n * (size_t)t / (size_t)nt,
           hi = n * (size_t)(t + 1) / (size_t)nt;
    uint8_t *at = buf + start[t];
    size_t j;
    for (j = lo; j < hi; j++) {
      if (j + 32 < hi)
        __builtin_prefetch(all[j + 32].payload);
      memcpy(at, all[j].payload, all[j].len);
      all[j].payload = at;
      at += all[j].len;
    }
  }
  free(start);
  free_payloads(rs);
  *out = buf;
  return 0;
}

/* Stores the sorted entries (packed into idx chunks by
 * cc_index_stage_entries, one LMDB append per 26 entries on average) and
 * the schools, and commits the generation: on the thread that began the
 * write transaction (lmdb.h: a write transaction belongs to its thread). */
static int store_index(monthly *m, const cc_index_entry *all, size_t total)
{
  int rc;
  cc_mem_heap_advise();
  if ((rc = cc_index_stage_entries(&m->rs.stage, all, total)) < 0 ||
      (rc = merge_schools(&m->schools, &m->n_schools, &m->rs, m->labels)) < 0 ||
      (rc = cc_index_stage_schools(&m->rs.stage, m->schools, m->n_schools)) < 0)
    return rc;
  rc = cc_index_stage_commit(&m->rs.stage);
  m->staged = 0; /* committed, or aborted by the failed commit */
  return rc;
}

/*
 * Index: sort, then store and commit the staged generation while the
 * exact and fuzzy tiers walk the sorted entries in memory beside it (on
 * two or more threads; one after the other on one). Storing is one
 * thread's work (LMDB's writer) and ends in the commit's write and
 * fdatasync, during which the other cores had nothing to do; the tiers
 * used to wait for the commit to read the stored index (bench/RESULTS.md,
 * "Side by side with DuckDB, seventh session", gives the times before
 * and after). Their findings are the same, from the same bytes: the
 * store writes exactly the entries the walks read.
 */
static int build_index(monthly *m)
{
  double t = now_s();
  cc_index_entry *all = NULL;
  uint8_t *payloads = NULL;
  size_t total = 0;
  checker c;
  pthread_t th;
  int rc, beside = 0;
  memset(&c, 0, sizeof c);
  if ((rc = sort_index(&m->rs, &m->blocks, &m->n_blocks, &m->seeds, &m->n_seeds,
                       &m->ids, &all, &total)) < 0)
    return rc;
  if ((rc = gather_payloads(&m->rs, all, total, &payloads)) < 0 ||
      (rc = open_output(m, OUT_POSS)) < 0)
    goto done;
  c.m = m;
  cc_store_gen_memory(&c.g, all, total);
  if (m->rs.threads > 1 && pthread_create(&th, NULL, checker_main, &c) == 0)
    beside = 1;
  else
    c.rc = check_tiers(&c);
  if (beside || c.rc == 0)
    rc = store_index(m, all, total);
  if (beside)
    pthread_join(th, NULL);
  if (rc == 0 && c.rc < 0)
    rc = cc_error_set(c.rc, "%s", c.msg);
  m->t_compare_walk = c.t_compare;
  m->t_fuzzy_walk = c.t_fuzzy;
done:
  free_payloads(&m->rs);
  cc_mem_free(payloads);
  cc_mem_free(all);
  if (rc < 0)
    return rc;
  m->t_index = now_s() - t;
  cc_meter_mark_now(&m->mk[3]);
  return 0;
}

/* The members' texts of the findings of both tiers, from the stored
 * records, and data_quality.csv for the IDs the exact tier left out. */
static int compare_exact(monthly *m)
{
  double t = now_s();
  cc_gen g;
  size_t i;
  int rc;
  if ((rc = cc_store_gen_open(&g, m->db, m->rs.stage.gen)) < 0 ||
      (rc = cc_person_fill_text(&m->found, 0, &g, m->rs.threads)) < 0)
    return rc;
  /* The map's pages the texts were read from are not this process's
   * memory any more (cc_index_release_pages). */
  cc_index_release_pages(m->db);
  for (i = 0; i < m->generic.n; i++)
    m->generic_records += m->generic.items[i].records;
  if ((rc = open_output(m, OUT_DQ)) < 0 ||
      (rc = write_data_quality(m->out[OUT_DQ], &m->generic, m->labels,
                               max_per_id(m->opts))) < 0 ||
      (rc = close_output(m, OUT_DQ)) < 0)
    return rc;
  m->t_compare = now_s() - t;
  cc_meter_mark_now(&m->mk[4]);
  return 0;
}

/* possible.jsonl, which the fuzzy tier wrote, closed. */
static int compare_fuzzy(monthly *m)
{
  double t = now_s();
  int rc;
  free(m->blocks);
  m->blocks = NULL;
  cc_id_filter_free(&m->ids);
  if ((rc = close_output(m, OUT_POSS)) < 0)
    return rc;
  m->t_fuzzy = now_s() - t;
  cc_meter_mark_now(&m->mk[5]);
  return 0;
}

/* The policy findings the ingest workers made, beside the duplicates. */
static int gather_policy(monthly *m)
{
  run_state *rs = &m->rs;
  cc_finding_list policy = {0};
  cc_finding_list *parts = malloc((size_t)rs->threads * sizeof *parts);
  size_t i;
  int rc;
  if (parts == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  for (i = 0; i < (size_t)rs->threads; i++) {
    parts[i] = rs->ts[i].policy;
    memset(&rs->ts[i].policy, 0, sizeof rs->ts[i].policy);
    cc_policy_tally_add(&m->tally, &rs->ts[i].tally);
  }
  rc = cc_policy_findings_gather(&policy, parts, (size_t)rs->threads);
  for (i = 0; i < (size_t)rs->threads; i++)
    cc_finding_list_dispose(&parts[i]);
  free(parts);
  if (rc < 0 || cc_finding_list_merge(&m->found, &policy) < 0)
    rc = cc_error_set(CC_ENOMEM, "out of memory");
  cc_finding_list_dispose(&policy);
  return rc;
}

/* Carries the findings over from the previous period: new, open, overdue,
 * cleared. */
static int apply_lifecycle(monthly *m)
{
  cc_lifecycle_run lr;
  int rc;
  lr.period = m->opts->period;
  lr.issued = m->issued;
  lr.deadline = m->deadline;
  lr.deadline_provisional = m->provisional;
  if (m->have_prev &&
      (rc = cc_db_load_findings(&m->prev, m->db, m->prev_period)) < 0)
    return rc;
  return cc_lifecycle_apply(&m->found, &m->prev, &lr, m->db);
}

/* Findings formatted at a time for findings.jsonl: some 20 MiB of text
 * at national scale (2.6 KB a finding). */
#define EMIT_BATCH 8192
/* Bytes a finding's line is first given room for (most take under 3 KB). */
#define EMIT_GUESS 4096

/* Appends f's line to b; 0 or CC_ENOMEM (b failed). */
static int finding_line(cc_buf *b, const cc_finding *f,
                        const cc_finding_context *fc)
{
  char *at = cc_buf_extend(b, EMIT_GUESS);
  size_t need;
  if (at == NULL)
    return CC_ENOMEM;
  /* extend keeps room for the NUL: EMIT_GUESS + 1 bytes at `at` */
  need = cc_finding_to_json(at, EMIT_GUESS + 1, f, fc);
  b->len -= EMIT_GUESS;
  if (need <= EMIT_GUESS) {
    b->len += need;
    return 0;
  }
  if ((at = cc_buf_extend(b, need)) == NULL)
    return CC_ENOMEM;
  cc_finding_to_json(at, need + 1, f, fc);
  return 0;
}

/*
 * findings.jsonl written, the findings counted, and the period's run
 * record. The findings go out in batches, each cut into one contiguous
 * share per thread; every thread formats its share once into its own
 * buffer (reused from batch to batch), and the buffers are written in
 * order. (Made whole in memory, the file took 1.3 GB at national scale,
 * every page of it fresh; and each line was formatted twice, once to
 * measure it.)
 */
static int emit_findings(monthly *m)
{
  const cc_finding_list *found = &m->found;
  cc_finding_context fc;
  int nt = m->rs.threads, t, rc = 0;
  cc_buf *bufs = calloc((size_t)nt, sizeof *bufs);
  size_t i, from;
  char d1[11], d2[11];
  fc.period = m->opts->period;
  if (bufs == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  for (t = 0; t < nt; t++)
    cc_buf_init(&bufs[t], (size_t)-1 / 2);
  if ((rc = open_output(m, OUT_FIND)) < 0)
    goto done;
  for (from = 0; from < found->n && rc == 0; from += EMIT_BATCH) {
    const cc_finding *batch = found->items + from;
    size_t nb = found->n - from < EMIT_BATCH ? found->n - from : EMIT_BATCH;
#pragma omp parallel num_threads(nt)
    {
      int me = omp_get_thread_num(), team = omp_get_num_threads();
      size_t q, lo = nb * (size_t)me / (size_t)team;
      size_t hi = nb * (size_t)(me + 1) / (size_t)team;
      cc_buf_reset(&bufs[me]);
      for (q = lo; q < hi; q++)
        if (finding_line(&bufs[me], &batch[q], &fc) < 0)
          break;
    }
    for (t = 0; t < nt && rc == 0; t++) {
      if ((rc = cc_buf_check(&bufs[t], "findings.jsonl")) < 0)
        break;
      if (bufs[t].len &&
          fwrite(bufs[t].p, 1, bufs[t].len, m->out[OUT_FIND]) != bufs[t].len)
        rc = cc_error_set_errno(CC_EIO, errno, "writing findings.jsonl");
    }
  }
done:
  for (t = 0; t < nt; t++)
    cc_buf_dispose(&bufs[t]);
  free(bufs);
  if (rc < 0)
    return rc;

  for (i = 0; i < found->n; i++) {
    const cc_finding *f = &found->items[i];
    m->by_state[f->state < CC_STATE_COUNT_ ? f->state : 0]++;
    if (f->state == CC_STATE_CLEARED)
      continue;
    m->by_type[f->type][f->cross]++;
    /* Money against the rules is counted apart from money paid twice:
     * the same payment can be both. */
    if (cc_finding_type_is_policy((cc_finding_type)f->type))
      m->policy_risk[f->type] += f->amount_at_risk;
    else
      m->at_risk += f->amount_at_risk;
    m->claimed += f->claimed;
  }

  cc_date_format(d1, m->issued);
  cc_date_format(d2, m->deadline);
  cc_buf_printf(
      &m->info,
      "{\"period\": \"%s\", \"issued\": \"%s\", \"deadline\": \"%s\", "
      "\"deadline_provisional\": %s, \"findings\": %zu, \"cleared\": %zu, "
      "\"rosters\": [",
      m->opts->period, d1, d2, m->provisional ? "true" : "false",
      found->n - m->by_state[CC_STATE_CLEARED], m->by_state[CC_STATE_CLEARED]);
  for (i = 0; i < m->opts->n_rosters; i++)
    cc_buf_printf(
        &m->info, "%s{\"label\": \"%s\", \"records\": %llu, \"rejects\": %llu}",
        i ? ", " : "", m->labels[i], (unsigned long long)m->stats[i].records,
        (unsigned long long)m->stats[i].rejects);
  cc_buf_printf(&m->info, "], \"run_at\": %lld, \"uid\": %u",
                (long long)time(NULL), (unsigned)getuid());
  if (m->rs.fuzzy) {
    cc_buf_puts(&m->info, ", \"fuzzy_model\": ");
    model_json(&m->info, &m->fz.model);
  }
  cc_buf_puts(&m->info, ", ");
  policy_json(&m->info, &m->rules, &m->tally);
  cc_buf_puts(&m->info, "}");
  return cc_buf_check(&m->info, "the run record");
}

/* The invalid IDs of roster i, over every reason. */
static uint64_t roster_invalid(const cc_ingest_stats *st)
{
  uint64_t inv = 0;
  int k;
  for (k = 0; k < CC_IDR_COUNT_; k++)
    inv += st->id_invalid[k];
  return inv;
}

static const char *roster_format(const cc_ingest_stats *st)
{
  return st->delimiter == '\t'  ? "TSV"
         : st->delimiter == ',' ? "CSV"
                                : "first worksheet";
}

/* summary.txt: for the operator. */
static void summary_text(monthly *m, double emit, double total, long peak_mb)
{
  const cc_run_options *opts = m->opts;
  cc_buf *sum = &m->sum;
  char d1[11], d2[11], money[24];
  size_t total_findings = 0, i;
  cc_date_format(d1, m->issued);
  cc_date_format(d2, m->deadline);
  cc_buf_printf(sum, "chachong run %s: issued %s, clearing deadline %s%s\n",
                opts->period, d1, d2, m->provisional ? " (provisional)" : "");
  if (m->provisional) {
    int y, mo, d;
    cc_date_to_ymd(m->deadline, &y, &mo, &d);
    cc_buf_printf(
        sum,
        "warning: the deadline falls in a year with no installed holiday "
        "schedule; it counts weekends and statutory holidays only. Install "
        "the State Council's schedule for %d with --calendar FILE.\n",
        y);
  }
  cc_buf_puts(sum, "\nrosters\n");
  for (i = 0; i < opts->n_rosters; i++) {
    const cc_ingest_stats *st = &m->stats[i];
    char notes[512];
    cc_buf_printf(sum, "  %-10s ", m->labels[i]);
    put_visible(sum, opts->rosters[i].path);
    cc_buf_printf(
        sum,
        " (%s, %s): %llu rows, %llu records, %llu rejected, "
        "%llu blank, %llu invalid IDs, %llu upgraded from 15 digits\n",
        cc_encoding_name((cc_encoding)st->encoding), roster_format(st),
        (unsigned long long)(st->records + st->rejects),
        (unsigned long long)st->records, (unsigned long long)st->rejects,
        (unsigned long long)st->blank, (unsigned long long)roster_invalid(st),
        (unsigned long long)st->id_upgraded);
    cc_ingest_stats_notes(notes, sizeof notes, st);
    if (notes[0])
      cc_buf_printf(sum, "             %s\n", notes);
  }
  cc_buf_puts(sum, "\nfindings                     cross   within    total\n");
  for (i = 0; i < CC_FT_POLICY_FIRST; i++) {
    cc_buf_printf(sum, "  %-24s %8zu %8zu %8zu\n",
                  cc_finding_type_code((cc_finding_type)i), m->by_type[i][1],
                  m->by_type[i][0], m->by_type[i][0] + m->by_type[i][1]);
    total_findings += m->by_type[i][0] + m->by_type[i][1];
  }
  cc_money_format(money, m->at_risk);
  cc_buf_printf(sum, "  %-24s %26zu\n  amount at risk: %s yuan\n", "all",
                total_findings, money);
  policy_summary(sum, &m->rules, &m->tally, m->by_type, m->policy_risk);
  cc_buf_printf(sum,
                "\nagainst %s: %zu new, %zu open, %zu overdue, %zu cleared; "
                "%zu claimed resolved but still present\n",
                m->have_prev ? m->prev_period : "no earlier period",
                m->by_state[CC_STATE_NEW], m->by_state[CC_STATE_OPEN],
                m->by_state[CC_STATE_OVERDUE], m->by_state[CC_STATE_CLEARED],
                m->claimed);
  if (m->rs.fuzzy)
    fuzzy_summary(sum, &m->fz);
  else
    cc_buf_puts(sum, "fuzzy tier: off (--no-fuzzy)\n");
  if (m->generic.n > 0)
    cc_buf_printf(sum,
                  "data quality: %zu IDs carry more than %u records each (%llu "
                  "records in all): placeholders or test IDs, not persons; not "
                  "expanded into findings (data_quality.csv)\n",
                  m->generic.n, max_per_id(opts),
                  (unsigned long long)m->generic_records);
  else
    cc_buf_printf(sum, "data quality: no ID carries more than %u records\n",
                  max_per_id(opts));
  cc_buf_printf(
      sum, "\nrecords %llu, rejected %llu, invalid IDs %llu, schools %zu\n",
      (unsigned long long)m->records, (unsigned long long)m->rejects,
      (unsigned long long)m->invalid_ids, m->n_schools);
  cc_buf_printf(sum,
                "time: ingest+normalize %.2f s, index %.2f s, compare %.2f s, "
                "fuzzy %.2f s, emit %.2f s, total %.2f s on %d threads; peak "
                "memory %ld MB\n",
                m->t_ingest, m->t_index, m->t_compare, m->t_fuzzy, emit, total,
                m->rs.threads, peak_mb);
  cc_buf_printf(sum,
                "      within index: the exact tier %.2f s and the fuzzy tier "
                "%.2f s, beside the store (compare: the members' texts)\n",
                m->t_compare_walk, m->t_fuzzy_walk);
  {
    /* The cost of each stage (meter.c), for bench/run.sh; "setup" is
     * everything before ingest (the database opened, the previous period
     * read). */
    static const char *const stage_name[6] = {
        "setup", "ingest+normalize", "index", "compare", "fuzzy", "emit"};
    char line[256];
    int st;
    cc_meter_mark_now(&m->mk[6]);
    for (st = 0; st < 6; st++) {
      cc_meter_format(line, sizeof line, stage_name[st], &m->mk[st],
                      &m->mk[st + 1]);
      cc_buf_printf(sum, "%s\n", line);
    }
  }
  cc_buf_puts(sum, "output:");
  for (i = 0; i < N_OUTPUTS; i++) {
    cc_buf_puts(sum, i ? ", " : " ");
    put_visible(sum, opts->out_dir);
    cc_buf_printf(sum, "/%s", output_name[i]);
  }
  cc_buf_puts(sum, "\n");
}

/* A "key": count pair of summary.json. */
static void jcount(cc_buf *b, const char *key, unsigned long long v, int first)
{
  cc_buf_printf(b, "%s\"%s\": %llu", first ? "" : ", ", key, v);
}

/* summary.json: the facts of summary.txt for machines, under stable
 * English keys (README.md, "summary.json"). Amounts are yuan as JSON
 * numbers with at most two decimals; times are seconds. */
static void summary_json(monthly *m, double emit, double total, long peak_mb)
{
  const cc_run_options *opts = m->opts;
  cc_buf *j = &m->sjson;
  char d1[11], d2[11], money[24];
  size_t i, n = 0;
  int64_t all = 0;
  cc_date_format(d1, m->issued);
  cc_date_format(d2, m->deadline);
  cc_buf_printf(
      j,
      "{\"period\": \"%s\", \"issued\": \"%s\", \"deadline\": \"%s\", "
      "\"deadline_provisional\": %s,\n \"rosters\": [",
      opts->period, d1, d2, m->provisional ? "true" : "false");
  for (i = 0; i < opts->n_rosters; i++) {
    const cc_ingest_stats *st = &m->stats[i];
    char notes[512];
    cc_buf_printf(j, "%s{\"label\": \"%s\", \"file\": ", i ? ",\n  " : "\n  ",
                  m->labels[i]);
    cc_json_cstr(j, opts->rosters[i].path);
    cc_buf_printf(j, ", \"encoding\": \"%s\", \"format\": \"%s\", ",
                  cc_encoding_name((cc_encoding)st->encoding),
                  roster_format(st));
    jcount(j, "rows", st->records + st->rejects, 1);
    jcount(j, "records", st->records, 0);
    jcount(j, "rejected", st->rejects, 0);
    jcount(j, "blank", st->blank, 0);
    jcount(j, "invalid_ids", roster_invalid(st), 0);
    jcount(j, "upgraded_from_15", st->id_upgraded, 0);
    cc_ingest_stats_notes(notes, sizeof notes, st);
    cc_buf_puts(j, ", \"notes\": ");
    cc_json_cstr(j, notes);
    cc_buf_puts(j, "}");
  }
  cc_buf_puts(j, "],\n \"findings\": {");
  for (i = 0; i < CC_FT_POLICY_FIRST; i++) {
    cc_buf_printf(j, "%s\"%s\": {", i ? ", " : "",
                  cc_finding_type_code((cc_finding_type)i));
    jcount(j, "cross", m->by_type[i][1], 1);
    jcount(j, "within", m->by_type[i][0], 0);
    jcount(j, "total", m->by_type[i][0] + m->by_type[i][1], 0);
    cc_buf_puts(j, "}");
    n += m->by_type[i][0] + m->by_type[i][1];
  }
  cc_money_format(money, m->at_risk);
  cc_buf_printf(
      j, ", \"all\": %zu, \"amount_at_risk\": %s},\n \"policy_findings\": {", n,
      money);
  n = 0;
  for (i = CC_FT_POLICY_FIRST; i < CC_FT_COUNT_; i++) {
    cc_money_format(money, m->policy_risk[i]);
    cc_buf_printf(j, "%s\"%s\": {\"total\": %zu, \"amount_at_risk\": %s}",
                  i > CC_FT_POLICY_FIRST ? ", " : "",
                  cc_finding_type_code((cc_finding_type)i),
                  m->by_type[i][0] + m->by_type[i][1], money);
    n += m->by_type[i][0] + m->by_type[i][1];
    all += m->policy_risk[i];
  }
  cc_money_format(money, all);
  cc_buf_printf(j, ", \"all\": %zu, \"amount_at_risk\": %s},\n ", n, money);
  policy_json(j, &m->rules, &m->tally);
  cc_buf_puts(j, ",\n \"lifecycle\": {\"previous_period\": ");
  if (m->have_prev)
    cc_json_cstr(j, m->prev_period);
  else
    cc_buf_puts(j, "null");
  jcount(j, "new", m->by_state[CC_STATE_NEW], 0);
  jcount(j, "open", m->by_state[CC_STATE_OPEN], 0);
  jcount(j, "overdue", m->by_state[CC_STATE_OVERDUE], 0);
  jcount(j, "cleared", m->by_state[CC_STATE_CLEARED], 0);
  jcount(j, "claimed_resolved", m->claimed, 0);
  cc_buf_puts(j, "},\n \"fuzzy\": ");
  if (m->rs.fuzzy) {
    const cc_fuzzy_stats *fz = &m->fz;
    cc_buf_puts(j, "{");
    jcount(j, "pairs_scored", fz->candidates, 1);
    jcount(j, "linked", fz->links, 0);
    jcount(j, "persons", fz->groups, 0);
    jcount(j, "possible", fz->possible, 0);
    jcount(j, "both_ids_valid", fz->both_valid, 0);
    jcount(j, "ambiguous", fz->ambiguous, 0);
    jcount(j, "names_differ", fz->names_differ, 0);
    jcount(j, "reviewed_same", fz->reviewed_same, 0);
    jcount(j, "reviewed_different", fz->reviewed_different, 0);
    cc_buf_puts(j, ", \"model\": ");
    model_json(j, &fz->model);
    cc_buf_puts(j, "}");
  } else {
    cc_buf_puts(j, "null");
  }
  cc_buf_puts(j, ",\n \"data_quality\": {");
  jcount(j, "generic_ids", m->generic.n, 1);
  jcount(j, "records", m->generic_records, 0);
  jcount(j, "max_records_per_id", max_per_id(opts), 0);
  cc_buf_puts(j, "},\n \"totals\": {");
  jcount(j, "records", m->records, 1);
  jcount(j, "rejected", m->rejects, 0);
  jcount(j, "invalid_ids", m->invalid_ids, 0);
  jcount(j, "schools", m->n_schools, 0);
  cc_buf_printf(
      j,
      "},\n \"time\": {\"ingest\": %.2f, \"index\": %.2f, \"compare\": %.2f, "
      "\"fuzzy\": %.2f, \"emit\": %.2f, \"total\": %.2f, \"threads\": %d, "
      "\"peak_memory_mb\": %ld, \"compare_walk\": %.2f, \"fuzzy_walk\": %.2f},"
      "\n \"outputs\": [",
      m->t_ingest, m->t_index, m->t_compare, m->t_fuzzy, emit, total,
      m->rs.threads, peak_mb, m->t_compare_walk, m->t_fuzzy_walk);
  for (i = 0; i < N_OUTPUTS; i++) {
    cc_buf_puts(j, i ? ", " : "");
    cc_json_cstr(j, output_name[i]);
  }
  cc_buf_puts(j, "]}\n");
}

/* Every output but the two summaries closed (findings.jsonl, written by
 * emit_findings); then summary.json and summary.txt. */
static int write_outputs(monthly *m)
{
  struct rusage ru;
  double emit, total;
  size_t i;
  int rc;
  if ((rc = close_output(m, OUT_FIND)) < 0 ||
      (rc = close_output(m, OUT_REJ)) < 0 ||
      (rc = close_output(m, OUT_INV)) < 0)
    return rc;
  m->rs.rejects = m->rs.invalid = NULL;
  for (i = 0; i < m->opts->n_rosters; i++)
    m->invalid_ids += roster_invalid(&m->stats[i]);
  /* The "emit" time counts from the policy findings to here. */
  emit = now_s() - m->t_emit;
  total = now_s() - m->t_start;
  getrusage(RUSAGE_SELF, &ru);
  summary_text(m, emit, total, ru.ru_maxrss / 1024);
  summary_json(m, emit, total, ru.ru_maxrss / 1024);
  if ((rc = write_output(m, OUT_SJSON, &m->sjson)) < 0 ||
      (rc = write_output(m, OUT_SUM, &m->sum)) < 0)
    return rc;
  return 0;
}

/*
 * Publishes the period, then puts the outputs in place. Past
 * cc_index_publish the period is in the database. The renames are in one
 * directory that this run holds locked, so none should fail; one that
 * does leaves its output under the temporary name (the message gives it)
 * and removes the earlier run's file of that name (rename_into): every
 * output in the folder is this run's, or missing. Every rename is tried,
 * summary.txt last.
 */
static int publish(monthly *m)
{
  int rc, i;
  if ((rc = cc_index_publish(m->db, m->opts->period, m->rs.stage.gen, &m->found,
                             m->info.p)) < 0)
    return rc;
  m->published = 1;
  for (i = 0; i < N_OUTPUTS; i++)
    if (rename_into(m->tmp[i], m->opts->out_dir, output_name[i]) < 0 && rc == 0)
      rc = cc_error_set(CC_EIO, "the period was stored, but %s stays as %s: %s",
                        output_name[i], m->tmp[i], cc_error_last());
  return rc;
}

static void run_dispose(monthly *m)
{
  run_state *rs = &m->rs;
  size_t i;
  if (m->staged)
    cc_index_stage_abort(&rs->stage);
  for (i = 0; i < N_OUTPUTS; i++)
    if (m->out[i])
      fclose(m->out[i]);
  if (!m->published) {
    /* Nothing half-written stays behind. */
    for (i = 0; i < N_OUTPUTS; i++)
      if (m->tmp[i][0])
        unlink(m->tmp[i]);
  }
  free(m->seeds);
  free(m->blocks);
  cc_id_filter_free(&m->ids);
  cc_review_set_free(m->reviews);
  cc_generic_ids_dispose(&m->generic);
  if (rs->ts) {
    free_payloads(rs);
    for (i = 0; i < (size_t)rs->threads; i++) {
      cc_mem_free(rs->ts[i].e);
      cc_mem_free(rs->ts[i].refs);
      free(rs->ts[i].seeds);
      school_table_dispose(&rs->ts[i].schools);
      cc_finding_list_dispose(&rs->ts[i].policy);
    }
    free(rs->ts);
  }
  free(rs->path_csv);
  free(rs->label_csv);
  cc_buf_dispose(&rs->cell);
  free(m->schools);
  cc_finding_list_dispose(&m->prev);
  cc_finding_list_dispose(&m->found);
  free(m->stats);
  free(m->labels);
  cc_buf_dispose(&m->info);
  cc_buf_dispose(&m->sum);
  cc_buf_dispose(&m->sjson);
  cc_header_map_free(m->map);
  cc_calendar_free(m->cal);
  cc_db_close(m->db);
  /* Released last: the database is closed, every output in place. */
  cc_lock_release(&m->lock_out);
  cc_lock_release(&m->lock_db);
}

int cc_run_monthly(char **summary, const cc_run_options *opts)
{
  monthly *m;
  int rc;

  if (summary)
    *summary = NULL;
  if ((rc = check_options(opts)) < 0)
    return rc;
  /* On the heap: the outputs' temporary names alone take 28 KiB. */
  if ((m = calloc(1, sizeof *m)) == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  m->opts = opts;
  m->t_start = now_s();
  cc_meter_mark_now(&m->mk[0]);
  cc_mem_setup();
  m->lock_db = m->lock_out = -1;
  m->rs.opts = opts;
  m->rs.threads = opts->threads > 0 ? opts->threads : omp_get_max_threads();
  m->rs.fuzzy = !opts->no_fuzzy;
  m->rs.rules = &m->rules;
  cc_buf_init(&m->info, 0);
  cc_buf_init(&m->sum, 0);
  cc_buf_init(&m->sjson, 0);
  cc_buf_init(&m->rs.cell, 0);

  if ((rc = prepare(m)) < 0 || (rc = open_run(m)) < 0 ||
      (rc = ingest_rosters(m)) < 0 || (rc = build_index(m)) < 0 ||
      (rc = compare_exact(m)) < 0 || (rc = compare_fuzzy(m)) < 0)
    goto done;
  m->t_emit = now_s();
  if ((rc = gather_policy(m)) < 0 || (rc = apply_lifecycle(m)) < 0 ||
      (rc = emit_findings(m)) < 0 || (rc = write_outputs(m)) < 0 ||
      (rc = publish(m)) < 0)
    goto done;
  if (summary && (*summary = cc_buf_take(&m->sum)) == NULL)
    rc = cc_error_set(CC_ENOMEM, "out of memory");

done:
  run_dispose(m);
  free(m);
  return rc;
}
