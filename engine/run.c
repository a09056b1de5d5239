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
 *   index     entries sorted (parallel) and appended; the stage committed
 *   compare   exact tier over the staged generation (parallel)
 *   publish   findings stored and the period pointed at the generation, in
 *             one transaction; then the output files
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
  uint64_t hash;        /* 0 = empty */
  char *code;           /* malloc'd school code */
  uint16_t roster;
  uint64_t records, holding;
  char region[16];
} school_slot;

typedef struct school_table {
  school_slot *slots;
  size_t n, cap;        /* cap is a power of two */
} school_table;

typedef struct thread_store {
  cc_index_entry *e;      /* idx entries */
  size_t n, cap;
  cc_block_entry *blk;    /* fuzzy blocking entries */
  size_t n_blk, cap_blk;
  cc_typo_seed *seeds;    /* records with an invalid ID, for the typo search */
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
  const char *path;       /* file being read */
  const char *label;
  char *path_csv;         /* the path, CSV-quoted */
  int fuzzy;              /* build the fuzzy tier's blocks and seeds */
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
    size_t cap = ((size_t)16 << 20) - 64 - sizeof *s; /* 16 MiB maps, in big pages */
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
      for (i = t->slots[k].hash & (cap - 1); grown[i].hash; i = (i + 1) & (cap - 1))
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
  school_slot *s = school_slot_get(t, r->roster, code.ptr ? code.ptr : "", code.len,
                                   reg.ptr ? reg.ptr : "", reg.len);
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
      if (nk && cc_mem_grow((void **)&t->blk, &t->cap_blk, t->n_blk + (size_t)nk,
                            sizeof *t->blk) < 0)
        return cc_error_set(CC_ENOMEM, "out of memory");
      for (k = 0; k < nk; k++) {
        cc_block_entry *be = &t->blk[t->n_blk++];
        be->key = bk[k];
        be->id_hash = r->id_hash;
        be->line = r->line;
        be->roster = r->roster;
      }
      if (r->id_verdict == CC_ID_INVALID && (r->id_len == 18 || r->id_len == 17)) {
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
      fprintf(rs->invalid, "%s,%s,%u,%s,%s,%s\n", rs->path_csv, rs->label,
              r->line, masked, cc_id_reason_code((cc_id_reason)r->id_reason),
              cc_id_reason_zh((cc_id_reason)r->id_reason));
    }
  }
  for (i = 0; i < b->n_rejects; i++) {
    const cc_reject *j = &b->rejects[i];
    fprintf(rs->rejects, "%s,%s,%u,%u,%s,%s\n", rs->path_csv, rs->label,
            j->line, j->column, cc_reject_code_str((cc_reject_code)j->code),
            cc_reject_code_zh((cc_reject_code)j->code));
  }
  return 0;
}

static void progress(void *vctx, uint64_t done, uint64_t total)
{
  run_state *rs = vctx;
  fprintf(stderr, "\r%s: %3d%% of %.0f MB, %.1f s", rs->label,
          total ? (int)(done * 100 / total) : 100, total / 1e6, now_s() - rs->t0);
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
 * The index stage before its commit: sorts the workers' index entries and
 * appends them to the staged generation, sorts the blocking entries and
 * keeps those of blocks of two or more (returned in *blocks, for the fuzzy
 * tier; they are never written to the database) and gathers the typo
 * seeds.
 *
 * The entries' payloads were written in file order and are read in hash
 * order, each one a cache miss; the writer asks for them a few entries
 * ahead and packs them into idx chunks (cc_index_stage_entries), one LMDB
 * append per 26 entries on average. On two or more threads the blocking
 * entries are sorted on the other thread meanwhile, hidden behind the
 * writer, the one part that cannot be split. (While idx held one entry
 * per value, the appends took 2.1 s at national scale, and the payloads
 * were first copied into hash order so that they read memory in order.)
 */
static int load_index(run_state *rs, cc_block_entry **blocks, size_t *nb,
                      cc_typo_seed **seeds, size_t *n_seeds)
{
  cc_index_entry *all = NULL, **parts = NULL;
  cc_block_entry **bparts = NULL;
  size_t *lens = NULL, *blens = NULL, total = 0, ns = 0, i;
  int rc = 0, brc = 0, k = rs->threads;
  char bmsg[512] = "";

  *blocks = NULL;
  *nb = 0;
  *seeds = NULL;
  *n_seeds = 0;
  parts = malloc((size_t)k * sizeof *parts);
  lens = malloc((size_t)k * sizeof *lens);
  bparts = calloc((size_t)k, sizeof *bparts);
  blens = calloc((size_t)k, sizeof *blens);
  if (parts == NULL || lens == NULL || bparts == NULL || blens == NULL) {
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
      bparts[i] = rs->ts[i].blk;
      blens[i] = rs->ts[i].n_blk;
      rs->ts[i].blk = NULL;
      if (rs->ts[i].n_seeds)
        memcpy(*seeds + *n_seeds, rs->ts[i].seeds,
               rs->ts[i].n_seeds * sizeof **seeds);
      *n_seeds += rs->ts[i].n_seeds;
      free(rs->ts[i].seeds);
      rs->ts[i].seeds = NULL;
    }
  }

#pragma omp parallel num_threads(k >= 2 ? 2 : 1)
  {
    int me = omp_get_thread_num(), team = omp_get_num_threads();
    if (me == 0) {
      /* The thread that began the write transaction writes (lmdb.h: a
       * write transaction belongs to its thread). */
      cc_mem_heap_advise();
      rc = cc_index_stage_entries(&rs->stage, all, total);
      free_payloads(rs);
    }
    if (rs->fuzzy && (team == 1 ? rc == 0 : me == 1) &&
        (brc = cc_index_group_blocks_parts(blocks, nb, bparts, blens, k, 1)) < 0)
      snprintf(bmsg, sizeof bmsg, "%s", cc_error_last());
  }
  if (rc == 0 && brc < 0)
    rc = cc_error_set(brc, "%s", bmsg[0] ? bmsg : cc_error_last());

done:
  for (i = 0; bparts && i < (size_t)k; i++)
    cc_mem_free(bparts[i]);
  free(parts);
  free(lens);
  free(bparts);
  free(blens);
  cc_mem_free(all);
  if (rc < 0) {
    free(*blocks);
    *blocks = NULL;
    free(*seeds);
    *seeds = NULL;
  }
  return rc;
}

/* s with its control characters made visible (cc_text_visible), malloc'd. */
static char *visible_dup(const char *s)
{
  size_t n = strlen(s), need = cc_text_visible(NULL, 0, s, n, 0);
  char *out = malloc(need + 1);
  if (out != NULL)
    cc_text_visible(out, need + 1, s, n, 0);
  return out;
}

/* A CSV field: control characters made visible, then quoted when it needs
 * it. */
static char *csv_quote(const char *raw)
{
  char *s = visible_dup(raw), *out, *p;
  size_t n, q = 0, i;
  if (s == NULL)
    return NULL;
  n = strlen(s);
  if (strpbrk(s, ",\"") == NULL)
    return s;
  for (i = 0; i < n; i++)
    q += s[i] == '"';
  out = malloc(n + q + 3);
  if (out == NULL) {
    free(s);
    return NULL;
  }
  p = out;
  *p++ = '"';
  for (i = 0; i < n; i++) {
    if (s[i] == '"')
      *p++ = '"';
    *p++ = s[i];
  }
  *p++ = '"';
  *p = '\0';
  free(s);
  return out;
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
enum { OUT_FIND, OUT_REJ, OUT_INV, OUT_POSS, OUT_DQ, OUT_SUM, N_OUTPUTS };
static const char *const output_name[N_OUTPUTS] = {
    "findings.jsonl", "rejects.csv", "invalid_ids.csv", "possible.jsonl",
    "data_quality.csv", "summary.txt"};

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
      (rc = cc_lock_take(lock_db, o->db_dir, DB_LOCK, "database", o->command)) < 0)
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
    return cc_error_set(CC_EINVALID,
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
    return cc_error_set(CC_EINVALID,
                        "roster '%s' (%s) has %llu records against %llu in %s, "
                        "under %g%% of them: stopped before publishing, so that "
                        "no finding is cleared by a misread file; check the "
                        "file, or confirm with --allow-shrink (the share is "
                        "set with --min-roster-share)",
                        r->label, r->path, (unsigned long long)st->records,
                        (unsigned long long)before, prev,
                        o->min_roster_share * 100);
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

/* A growing text buffer for the summary. */
typedef struct text {
  char *p;
  size_t len, cap;
} text;

static void tprintf(text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void tprintf(text *t, const char *fmt, ...)
{
  va_list ap;
  int n;
  for (;;) {
    size_t room = t->cap - t->len;
    va_start(ap, fmt);
    n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? room : 0, fmt, ap);
    va_end(ap);
    if (n < 0)
      return;
    if (t->p && (size_t)n < room) {
      t->len += (size_t)n;
      return;
    }
    {
      size_t cap = t->cap ? t->cap * 2 : 4096;
      char *grown;
      while (cap < t->len + (size_t)n + 1)
        cap *= 2;
      grown = realloc(t->p, cap);
      if (grown == NULL)
        return;
      t->p = grown;
      t->cap = cap;
    }
  }
}

static void fmt_money(char *buf, int64_t fen) { cc_money_format(buf, fen); }

/* The fuzzy tier's lines of the summary: what it decided and the weights
 * the month was scored with. */
static void fuzzy_summary(text *t, const cc_fuzzy_stats *fz)
{
  const cc_fuzzy_model *m = &fz->model;
  int f, l;
  tprintf(t, "fuzzy tier: %llu pairs scored, %llu linked into %llu persons, "
          "%llu possible (possible.jsonl, for review: %llu with two valid IDs for a "
          "population-registry check, %llu ambiguous, %llu with different names); reviewer decisions honoured: "
          "%llu same, %llu different\n",
          (unsigned long long)fz->candidates, (unsigned long long)fz->links,
          (unsigned long long)fz->groups, (unsigned long long)fz->possible,
          (unsigned long long)fz->both_valid, (unsigned long long)fz->ambiguous,
          (unsigned long long)fz->names_differ,
          (unsigned long long)fz->reviewed_same,
          (unsigned long long)fz->reviewed_different);
  tprintf(t, "fuzzy weights: %s (%llu pairs, %d EM iterations, match share %.4f)\n",
          m->why, (unsigned long long)m->pairs, m->iterations, m->lambda);
  for (f = 0; f < CC_EV_COUNT_; f++)
    for (l = 0; l < cc_fuzzy_level_count(f); l++)
      if (!cc_fuzzy_level_is_typo(f, l))
        tprintf(t, "  %-10s %-30s m %.4f  u %.5f  weight %+.1f\n",
                cc_evidence_field_code(f), cc_evidence_level_code(f, l), m->m[f][l],
                m->u[f][l], m->w10[f][l] / 10.0);
}

/* The same for the period's run record (JSON). */
static void model_json(text *t, const cc_fuzzy_model *m)
{
  int f, l, first = 1;
  tprintf(t, ", \"fuzzy_model\": {\"fitted\": %s, \"why\": \"%s\", \"pairs\": %llu, "
          "\"iterations\": %d, \"lambda\": %.6f, \"levels\": [",
          m->fitted ? "true" : "false", m->why, (unsigned long long)m->pairs,
          m->iterations, m->lambda);
  for (f = 0; f < CC_EV_COUNT_; f++)
    for (l = 0; l < cc_fuzzy_level_count(f); l++)
      if (!cc_fuzzy_level_is_typo(f, l)) {
        tprintf(t, "%s{\"field\": \"%s\", \"level\": \"%s\", \"m\": %.6f, "
                "\"u\": %.6f, \"weight\": %.1f}", first ? "" : ", ",
                cc_evidence_field_code(f), cc_evidence_level_code(f, l), m->m[f][l],
                m->u[f][l], m->w10[f][l] / 10.0);
        first = 0;
      }
  tprintf(t, "]}");
}

/* The policy findings' lines of the summary: per type, their money (apart
 * from the duplicates'), and per rule what was judged and what was not. */
static void policy_summary(text *t, const cc_policy_rules *rules,
                           const cc_policy_tally *tally, size_t by_type[][2],
                           const int64_t *risk)
{
  char money[24];
  int i;
  int64_t all = 0;
  size_t n = 0;
  tprintf(t, "\npolicy findings (SPEC 3.2; rules: %s)\n",
          rules->source[0] ? rules->source : "defaults");
  for (i = CC_FT_POLICY_FIRST; i < CC_FT_COUNT_; i++) {
    fmt_money(money, risk[i]);
    tprintf(t, "  %-24s %8zu   amount at risk: %s yuan\n",
            cc_finding_type_code((cc_finding_type)i), by_type[i][0] + by_type[i][1],
            money);
    n += by_type[i][0] + by_type[i][1];
    all += risk[i];
  }
  fmt_money(money, all);
  tprintf(t, "  %-24s %8zu   amount at risk: %s yuan (apart from the duplicates')\n",
          "all", n, money);
  tprintf(t, "  rule             judged    found   not judged: empty unreadable exempt\n");
  for (i = 0; i < CC_RULE_COUNT_; i++) {
    const cc_policy_count *c = &tally->rule[i];
    if (!rules->on[i]) {
      tprintf(t, "  %-14s off (rules file)\n", cc_policy_rule_code((cc_policy_rule)i));
      continue;
    }
    tprintf(t, "  %-14s %8llu %8llu %18llu %10llu %6llu\n",
            cc_policy_rule_code((cc_policy_rule)i), (unsigned long long)c->judged,
            (unsigned long long)c->found, (unsigned long long)c->empty,
            (unsigned long long)c->unreadable, (unsigned long long)c->exempt);
  }
  tprintf(t, "  (records paid a subsidy; not judged: the column a rule needs is empty "
          "or not readable, or for over_age the ID is invalid, or the region is "
          "exempt)\n");
}

/* The same for the period's run record: the settings used and the counts. */
static void policy_json(text *t, const cc_policy_rules *rules,
                        const cc_policy_tally *tally)
{
  /* At most 4 rules x 64 prefixes and a 255-byte path, escaped. */
  char buf[8192];
  int i;
  cc_policy_rules_json(buf, sizeof buf, rules);
  tprintf(t, ", \"policy_rules\": %s, \"policy_counts\": {", buf);
  for (i = 0; i < CC_RULE_COUNT_; i++) {
    const cc_policy_count *c = &tally->rule[i];
    char money[24];
    fmt_money(money, c->amount);
    tprintf(t, "%s\"%s\": {\"judged\": %llu, \"found\": %llu, \"empty\": %llu, "
            "\"unreadable\": %llu, \"exempt\": %llu, \"amount\": %s}",
            i ? ", " : "", cc_policy_rule_code((cc_policy_rule)i),
            (unsigned long long)c->judged, (unsigned long long)c->found,
            (unsigned long long)c->empty, (unsigned long long)c->unreadable,
            (unsigned long long)c->exempt, money);
  }
  tprintf(t, "}");
}

static int valid_period(const char *p)
{
  int y, m, i;
  if (p == NULL || strlen(p) != 7 || p[4] != '-')
    return 0;
  for (i = 0; i < 7; i++)
    if (i != 4 && (p[i] < '0' || p[i] > '9'))
      return 0;
  y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
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
  text line = {0};
  size_t i, k;
  if (order == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  for (i = 0; i < g->n; i++)
    order[i] = &g->items[i];
  qsort(order, g->n, sizeof *order, generic_by_count);
  fputs("code,id_masked,records,schools,school_codes,message\n", f);
  for (i = 0; i < g->n; i++) {
    const cc_generic_id *x = order[i];
    char masked[CC_ID_MAX + 1], *codes;
    line.len = 0;
    if (line.p)
      line.p[0] = '\0';
    for (k = 0; k < x->n_shown; k++)
      tprintf(&line, "%s%s:%s", k ? ";" : "", labels[x->shown[k].roster],
              x->shown[k].code);
    if (x->schools > x->n_shown)
      tprintf(&line, "%s...", x->n_shown ? ";" : "");
    codes = csv_quote(line.p ? line.p : "");
    if (codes == NULL) {
      free(line.p);
      free(order);
      return cc_error_set(CC_ENOMEM, "out of memory");
    }
    cc_id_mask(masked, x->id);
    fprintf(f, "generic_id,%s,%llu,%llu,%s,同一身份证号下有%llu条记录，超过一人可能"
            "有的%u条，疑为占位号或测试号，未展开为疑点，请核查\n", masked,
            (unsigned long long)x->records, (unsigned long long)x->schools, codes,
            (unsigned long long)x->records, max);
    free(codes);
  }
  free(line.p);
  free(order);
  return 0;
}

int cc_run_monthly(char **summary, const cc_run_options *opts)
{
  run_state rs;
  cc_db *db = NULL;
  cc_db_options dbo = CC_DB_OPTIONS_INIT;
  cc_calendar *cal = NULL;
  cc_header_map *map = NULL;
  cc_ingest_stats *stats = NULL;
  cc_finding_list found = {0}, prev = {0};
  cc_school_count *schools = NULL;
  size_t n_schools = 0, by_state[CC_STATE_COUNT_] = {0}, claimed = 0;
  char prev_label[8] = "";
  int published = 0;
  const char **labels = NULL;
  char *json = NULL;
  char tmp[N_OUTPUTS][4096];
  FILE *ffind = NULL, *fsum = NULL, *fdq = NULL;
  int lock_db = -1, lock_out = -1;
  char prev_period[8] = "";
  int have_prev = 0;
  cc_generic_ids generic = {0};
  uint64_t generic_records = 0;
  text sum = {0}, info = {0};
  cc_date issued, deadline;
  int provisional = 0, rc = 0, staged = 0;
  size_t i, j, json_len = 0;
  uint64_t estimate = 0, records = 0, rejects = 0;
  double t_start = now_s(), t_ingest = 0, t_index = 0, t_compare = 0, t_fuzzy = 0, t;
  cc_typo_seed *seeds = NULL;
  cc_block_entry *blocks = NULL;
  size_t n_seeds = 0, nb = 0;
  cc_fuzzy_stats fz;
  FILE *fposs = NULL;
  size_t by_type[CC_FT_COUNT_][2];
  int64_t at_risk = 0, policy_risk[CC_FT_COUNT_] = {0};
  struct rusage ru;
  cc_meter_mark mk[7]; /* start, then the end of each stage (meter.c) */
  cc_policy_rules rules;
  cc_policy_tally tally;
  cc_finding_list policy = {0};

  cc_meter_mark_now(&mk[0]);
  cc_mem_setup();
  memset(&rs, 0, sizeof rs);
  memset(by_type, 0, sizeof by_type);
  memset(tmp, 0, sizeof tmp);
  if (summary)
    *summary = NULL;
  rs.opts = opts;
  rs.threads = opts->threads > 0 ? opts->threads : omp_get_max_threads();
  rs.fuzzy = !opts->no_fuzzy;
  memset(&fz, 0, sizeof fz);
  memset(&tally, 0, sizeof tally);
  rs.rules = &rules;

  /* Options. */
  if (!valid_period(opts->period))
    return cc_error_set(CC_EINVALID, "period '%s' is not of the form YYYY-MM",
                        opts->period ? opts->period : "");
  if (opts->n_rosters < 2)
    return cc_error_set(CC_EINVALID, "a run needs two or more rosters (--roster LABEL=FILE)");
  if (opts->n_rosters > 256)
    return cc_error_set(CC_EINVALID, "at most 256 rosters");
  for (i = 0; i < opts->n_rosters; i++) {
    if (!valid_label(opts->rosters[i].label))
      return cc_error_set(CC_EINVALID,
                          "roster label '%s': use 1-32 letters, digits, '_' or '-'",
                          opts->rosters[i].label);
    for (j = 0; j < i; j++)
      if (strcmp(opts->rosters[i].label, opts->rosters[j].label) == 0)
        return cc_error_set(CC_EINVALID, "roster label '%s' is given twice",
                            opts->rosters[i].label);
  }
  issued = opts->issued == CC_DATE_NONE ? cc_date_today() : opts->issued;

  /* Calendar: the deadline is the same for every finding of the run. */
  if ((rc = cc_calendar_new(&cal)) < 0)
    goto done;
  if (opts->calendar_path && (rc = cc_calendar_load_file(cal, opts->calendar_path)) < 0)
    goto done;
  if ((rc = cc_calendar_add_workdays(&deadline, cal, issued, 10, &provisional)) < 0)
    goto done;
  if (opts->map_path && (rc = cc_header_map_load(&map, opts->map_path)) < 0)
    goto done;
  if (opts->rules_path)
    rc = cc_policy_rules_load(&rules, opts->rules_path);
  else
    cc_policy_rules_init(&rules);
  if (rc < 0 || (rc = cc_policy_period_parse(&rs.period, opts->period)) < 0)
    goto done;

  /* Every input must be readable before anything is written. */
  for (i = 0; i < opts->n_rosters; i++) {
    struct stat sb;
    if (stat(opts->rosters[i].path, &sb) != 0) {
      rc = cc_error_set_errno(errno == ENOENT ? CC_ENOTFOUND : CC_EIO, errno,
                              "%s", opts->rosters[i].path);
      goto done;
    }
    estimate += (uint64_t)sb.st_size * 2;
  }
  if ((rc = take_folders(&lock_db, &lock_out, opts)) < 0)
    goto done;
  if ((rs.rejects = open_private(opts->out_dir, output_name[OUT_REJ], tmp[OUT_REJ],
                                 sizeof tmp[OUT_REJ])) == NULL ||
      (rs.invalid = open_private(opts->out_dir, output_name[OUT_INV], tmp[OUT_INV],
                                 sizeof tmp[OUT_INV])) == NULL) {
    rc = CC_EIO;
    goto done;
  }
  fputs("file,roster,line,column,code,message\n", rs.rejects);
  fputs("file,roster,line,id_masked,code,message\n", rs.invalid);

  dbo.no_sync = opts->no_sync;
  if ((rc = cc_db_open(&db, opts->db_dir, &dbo)) < 0)
    goto done;
  rc = cc_index_previous_period(prev_period, db, opts->period);
  if (rc < 0 && rc != CC_ENOTFOUND)
    goto done;
  have_prev = rc == 0;
  if ((rc = cc_index_stage_begin(&rs.stage, db, opts->period, estimate)) < 0)
    goto done;
  staged = 1;

  /* Ingest, roster by roster. */
  rs.ts = calloc((size_t)rs.threads, sizeof *rs.ts);
  stats = calloc(opts->n_rosters, sizeof *stats);
  labels = calloc(opts->n_rosters, sizeof *labels);
  if (rs.ts == NULL || stats == NULL || labels == NULL) {
    rc = cc_error_set(CC_ENOMEM, "out of memory");
    goto done;
  }
  t = now_s();
  cc_meter_mark_now(&mk[1]);
  for (i = 0; i < opts->n_rosters; i++) {
    cc_ingest_options io = CC_INGEST_OPTIONS_INIT;
    cc_ingest_sink sink = {sink_work, sink_commit, &rs};
    labels[i] = opts->rosters[i].label;
    io.encoding = (cc_encoding)opts->rosters[i].encoding;
    io.map = map;
    io.today = issued;
    io.threads = rs.threads;
    io.cancel = opts->cancel;
    rs.path = opts->rosters[i].path;
    rs.label = opts->rosters[i].label;
    free(rs.path_csv);
    rs.path_csv = csv_quote(rs.path);
    rs.t0 = now_s();
    if (opts->progress && isatty(2)) {
      io.progress = progress;
      io.progress_ctx = &rs;
    }
    rc = cc_ingest_file(&stats[i], rs.path, (uint16_t)i, &io, &sink);
    if (io.progress)
      fputs("\n", stderr);
    if (rc < 0)
      goto done;
    if ((rc = roster_rail(db, opts, i, &stats[i], have_prev ? prev_period : NULL)) < 0)
      goto done;
    records += stats[i].records;
    rejects += stats[i].rejects;
  }
  t_ingest = now_s() - t;
  cc_meter_mark_now(&mk[2]);

  /* Index: sort, append, commit. */
  t = now_s();
  if ((rc = load_index(&rs, &blocks, &nb, &seeds, &n_seeds)) < 0)
    goto done;
  if ((rc = merge_schools(&schools, &n_schools, &rs, labels)) < 0 ||
      (rc = cc_index_stage_schools(&rs.stage, schools, n_schools)) < 0)
    goto done;
  if ((rc = cc_index_stage_commit(&rs.stage)) < 0)
    goto done;
  staged = 0;
  t_index = now_s() - t;
  cc_meter_mark_now(&mk[3]);

  /* Compare, then carry the findings over from the previous period. */
  t = now_s();
  if ((rc = cc_compare_exact_generic(&found, &generic, db, rs.stage.gen, labels,
                                      rs.threads, opts->max_records_per_id)) < 0)
    goto done;
  for (i = 0; i < generic.n; i++)
    generic_records += generic.items[i].records;
  fdq = open_private(opts->out_dir, output_name[OUT_DQ], tmp[OUT_DQ],
                     sizeof tmp[OUT_DQ]);
  if (fdq == NULL) {
    rc = CC_EIO;
    goto done;
  }
  if ((rc = write_data_quality(fdq, &generic, labels, max_per_id(opts))) < 0 ||
      (rc = close_file(&fdq, tmp[OUT_DQ])) < 0)
    goto done;
  t_compare = now_s() - t;
  cc_meter_mark_now(&mk[4]);
  t = now_s();
  fposs = open_private(opts->out_dir, output_name[OUT_POSS], tmp[OUT_POSS],
                       sizeof tmp[OUT_POSS]);
  if (fposs == NULL) {
    rc = CC_EIO;
    goto done;
  }
  if (rs.fuzzy) {
    /* The reviewers' decisions outrank the model (chachong review). */
    cc_review_set *reviews = NULL;
    if ((rc = cc_review_load(&reviews, db)) < 0)
      goto done;
    rc = cc_fuzzy_run(&found, &fz, fposs, db, rs.stage.gen, labels, seeds, n_seeds,
                      blocks, nb, reviews, &generic, rs.threads);
    cc_review_set_free(reviews);
    free(blocks);
    blocks = NULL;
    if (rc < 0)
      goto done;
  }
  if ((rc = close_file(&fposs, tmp[OUT_POSS])) < 0)
    goto done;
  t_fuzzy = now_s() - t;
  cc_meter_mark_now(&mk[5]);
  t = now_s();
  /* The policy findings the ingest workers made, beside the duplicates. */
  {
    cc_finding_list *parts = malloc((size_t)rs.threads * sizeof *parts);
    if (parts == NULL) {
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      goto done;
    }
    for (i = 0; i < (size_t)rs.threads; i++) {
      parts[i] = rs.ts[i].policy;
      memset(&rs.ts[i].policy, 0, sizeof rs.ts[i].policy);
      cc_policy_tally_add(&tally, &rs.ts[i].tally);
    }
    rc = cc_policy_findings_gather(&policy, parts, (size_t)rs.threads);
    for (i = 0; i < (size_t)rs.threads; i++)
      cc_finding_list_dispose(&parts[i]);
    free(parts);
    if (rc < 0 || cc_finding_list_merge(&found, &policy) < 0) {
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      goto done;
    }
  }
  {
    cc_lifecycle_run lr;
    lr.period = opts->period;
    lr.issued = issued;
    lr.deadline = deadline;
    lr.deadline_provisional = provisional;
    if (have_prev) {
      if ((rc = cc_db_load_findings(&prev, db, prev_period)) < 0)
        goto done;
      snprintf(prev_label, sizeof prev_label, "%s", prev_period);
    }
    if ((rc = cc_lifecycle_apply(&found, &prev, &lr, db)) < 0)
      goto done;
  }

  /* Write every output under a temporary name, publish, then rename: a run
   * whose outputs cannot be written does not change the database. (The
   * "emit" time counts from the lifecycle above to here.) */
  {
    cc_finding_context fc;
    size_t cap = 0, off = 0;
    char d1[11], d2[11];
    size_t *at = malloc((found.n + 1) * sizeof *at);
    long q;
    fc.period = opts->period;
    if (at == NULL) {
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      goto done;
    }
    /* Measured, then written, on every thread: each finding's line has its
     * own place (cc_finding_to_json writes nothing past the length it
     * returns). */
#pragma omp parallel for schedule(static, 4096) num_threads(rs.threads)
    for (q = 0; q < (long)found.n; q++)
      at[q + 1] = cc_finding_to_json(NULL, 0, &found.items[q], &fc);
    at[0] = 0;
    for (i = 0; i < found.n; i++)
      at[i + 1] += at[i];
    cap = at[found.n];
    json = cc_mem_alloc(cap + 1); /* ~100 bytes a finding, in big pages */
    if (json == NULL) {
      free(at);
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      goto done;
    }
#pragma omp parallel for schedule(static, 4096) num_threads(rs.threads)
    for (q = 0; q < (long)found.n; q++)
      cc_finding_to_json(json + at[q], at[q + 1] - at[q] + 1, &found.items[q], &fc);
    free(at);
    off = cap;
    for (i = 0; i < found.n; i++) {
      const cc_finding *f = &found.items[i];
      by_state[f->state < CC_STATE_COUNT_ ? f->state : 0]++;
      if (f->state == CC_STATE_CLEARED)
        continue;
      by_type[f->type][f->cross]++;
      /* Money against the rules is counted apart from money paid twice:
       * the same payment can be both. */
      if (cc_finding_type_is_policy((cc_finding_type)f->type))
        policy_risk[f->type] += f->amount_at_risk;
      else
        at_risk += f->amount_at_risk;
      claimed += f->claimed;
    }
    json_len = off;
    cc_date_format(d1, issued);
    cc_date_format(d2, deadline);
    tprintf(&info, "{\"period\": \"%s\", \"issued\": \"%s\", \"deadline\": \"%s\", "
            "\"deadline_provisional\": %s, \"findings\": %zu, \"cleared\": %zu, "
            "\"rosters\": [", opts->period, d1, d2, provisional ? "true" : "false",
            found.n - by_state[CC_STATE_CLEARED], by_state[CC_STATE_CLEARED]);
    for (i = 0; i < opts->n_rosters; i++)
      tprintf(&info, "%s{\"label\": \"%s\", \"records\": %llu, \"rejects\": %llu}",
              i ? ", " : "", labels[i], (unsigned long long)stats[i].records,
              (unsigned long long)stats[i].rejects);
    tprintf(&info, "], \"run_at\": %lld, \"uid\": %u", (long long)time(NULL),
            (unsigned)getuid());
    if (rs.fuzzy)
      model_json(&info, &fz.model);
    policy_json(&info, &rules, &tally);
    tprintf(&info, "}");
    if (info.p == NULL) {
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      goto done;
    }
  }
  ffind = open_private(opts->out_dir, output_name[OUT_FIND], tmp[OUT_FIND],
                       sizeof tmp[OUT_FIND]);
  if (ffind == NULL) {
    rc = CC_EIO;
    goto done;
  }
  fwrite(json, 1, json_len, ffind);
  rc = close_file(&ffind, tmp[OUT_FIND]);
  if (rc == 0)
    rc = close_file(&rs.rejects, tmp[OUT_REJ]);
  if (rc == 0)
    rc = close_file(&rs.invalid, tmp[OUT_INV]);
  if (rc < 0)
    goto done;

  /* The summary. */
  {
    char d1[11], d2[11], money[24];
    uint64_t invalid_total = 0;
    size_t total_findings = 0;
    cc_date_format(d1, issued);
    cc_date_format(d2, deadline);
    tprintf(&sum, "chachong run %s: issued %s, clearing deadline %s%s\n",
            opts->period, d1, d2, provisional ? " (provisional)" : "");
    if (provisional) {
      int y, m, d;
      cc_date_to_ymd(deadline, &y, &m, &d);
      tprintf(&sum, "warning: the deadline falls in a year with no installed holiday "
              "schedule; it counts weekends and statutory holidays only. Install "
              "the State Council's schedule for %d with --calendar FILE.\n", y);
    }
    tprintf(&sum, "\nrosters\n");
    for (i = 0; i < opts->n_rosters; i++) {
      uint64_t inv = 0;
      int k;
      char *shown = visible_dup(opts->rosters[i].path);
      for (k = 0; k < CC_IDR_COUNT_; k++)
        inv += stats[i].id_invalid[k];
      invalid_total += inv;
      tprintf(&sum, "  %-10s %s (%s, %s): %llu rows, %llu records, %llu rejected, "
              "%llu blank, %llu invalid IDs, %llu upgraded from 15 digits\n",
              labels[i], shown ? shown : "?",
              cc_encoding_name((cc_encoding)stats[i].encoding),
              stats[i].delimiter == '\t' ? "TSV"
              : stats[i].delimiter == ',' ? "CSV" : "first worksheet",
              (unsigned long long)(stats[i].records + stats[i].rejects),
              (unsigned long long)stats[i].records,
              (unsigned long long)stats[i].rejects,
              (unsigned long long)stats[i].blank, (unsigned long long)inv,
              (unsigned long long)stats[i].id_upgraded);
      free(shown);
      {
        char notes[512];
        cc_ingest_stats_notes(notes, sizeof notes, &stats[i]);
        if (notes[0])
          tprintf(&sum, "             %s\n", notes);
      }
    }
    tprintf(&sum, "\nfindings                     cross   within    total\n");
    for (i = 0; i < CC_FT_POLICY_FIRST; i++) {
      tprintf(&sum, "  %-24s %8zu %8zu %8zu\n",
              cc_finding_type_code((cc_finding_type)i), by_type[i][1],
              by_type[i][0], by_type[i][0] + by_type[i][1]);
      total_findings += by_type[i][0] + by_type[i][1];
    }
    fmt_money(money, at_risk);
    tprintf(&sum, "  %-24s %26zu\n  amount at risk: %s yuan\n", "all", total_findings,
            money);
    policy_summary(&sum, &rules, &tally, by_type, policy_risk);
    tprintf(&sum, "\nagainst %s: %zu new, %zu open, %zu overdue, %zu cleared; "
            "%zu claimed resolved but still present\n",
            prev_label[0] ? prev_label : "no earlier period",
            by_state[CC_STATE_NEW], by_state[CC_STATE_OPEN],
            by_state[CC_STATE_OVERDUE], by_state[CC_STATE_CLEARED], claimed);
    if (rs.fuzzy)
      fuzzy_summary(&sum, &fz);
    else
      tprintf(&sum, "fuzzy tier: off (--no-fuzzy)\n");
    if (generic.n > 0)
      tprintf(&sum, "data quality: %zu IDs carry more than %u records each (%llu "
              "records in all): placeholders or test IDs, not persons; not "
              "expanded into findings (data_quality.csv)\n", generic.n,
              max_per_id(opts), (unsigned long long)generic_records);
    else
      tprintf(&sum, "data quality: no ID carries more than %u records\n",
              max_per_id(opts));
    tprintf(&sum, "\nrecords %llu, rejected %llu, invalid IDs %llu, schools %zu\n",
            (unsigned long long)records, (unsigned long long)rejects,
            (unsigned long long)invalid_total, n_schools);
    getrusage(RUSAGE_SELF, &ru);
    tprintf(&sum, "time: ingest+normalize %.2f s, index %.2f s, compare %.2f s, "
            "fuzzy %.2f s, emit %.2f s, total %.2f s on %d threads; peak memory %ld MB\n",
            t_ingest, t_index, t_compare, t_fuzzy, now_s() - t, now_s() - t_start,
            rs.threads, ru.ru_maxrss / 1024);
    {
      /* The cost of each stage (meter.c), for bench/run.sh; "setup" is
       * everything before ingest (the database opened, the previous
       * period read). */
      static const char *const stage_name[6] = {"setup", "ingest+normalize", "index",
                                                "compare", "fuzzy", "emit"};
      char line[256];
      cc_meter_mark_now(&mk[6]);
      for (i = 0; i < 6; i++) {
        cc_meter_format(line, sizeof line, stage_name[i], &mk[i], &mk[i + 1]);
        tprintf(&sum, "%s\n", line);
      }
    }
    {
      char *od = visible_dup(opts->out_dir);
      tprintf(&sum, "output: %s/findings.jsonl, %s/rejects.csv, %s/invalid_ids.csv, "
              "%s/possible.jsonl, %s/data_quality.csv, %s/summary.txt\n",
              od ? od : "?", od ? od : "?", od ? od : "?", od ? od : "?",
              od ? od : "?", od ? od : "?");
      free(od);
    }
    if (sum.p == NULL) {
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      goto done;
    }
    fsum = open_private(opts->out_dir, output_name[OUT_SUM], tmp[OUT_SUM],
                        sizeof tmp[OUT_SUM]);
    if (fsum == NULL) {
      rc = CC_EIO;
      goto done;
    }
    fputs(sum.p, fsum);
    if ((rc = close_file(&fsum, tmp[OUT_SUM])) < 0)
      goto done;
  }

  if ((rc = cc_index_publish(db, opts->period, rs.stage.gen, &found, info.p)) < 0)
    goto done;
  published = 1;
  /* Past this point the period is in the database. The renames are in one
   * directory that this run holds locked, so none should fail; one that
   * does leaves its output under the temporary name (the message gives
   * it) and removes the earlier run's file of that name (rename_into):
   * every output in the folder is this run's, or missing. Every rename is
   * tried, summary.txt last. */
  for (i = 0; i < N_OUTPUTS; i++)
    if (rename_into(tmp[i], opts->out_dir, output_name[i]) < 0 && rc == 0)
      rc = cc_error_set(CC_EIO, "the period was stored, but %s stays as %s: %s",
                        output_name[i], tmp[i], cc_error_last());
  if (rc < 0)
    goto done;
  if (summary) {
    *summary = sum.p;
    sum.p = NULL;
  }

done:
  if (staged)
    cc_index_stage_abort(&rs.stage);
  if (rs.rejects)
    fclose(rs.rejects);
  if (rs.invalid)
    fclose(rs.invalid);
  if (ffind)
    fclose(ffind);
  if (fsum)
    fclose(fsum);
  if (fposs)
    fclose(fposs);
  if (fdq)
    fclose(fdq);
  free(seeds);
  free(blocks);
  if (!published) {
    /* Nothing half-written stays behind. */
    for (i = 0; i < N_OUTPUTS; i++)
      if (tmp[i][0])
        unlink(tmp[i]);
  }
  cc_generic_ids_dispose(&generic);
  if (rs.ts) {
    free_payloads(&rs);
    for (i = 0; i < (size_t)rs.threads; i++) {
      cc_mem_free(rs.ts[i].e);
      cc_mem_free(rs.ts[i].blk);
      free(rs.ts[i].seeds);
      school_table_dispose(&rs.ts[i].schools);
      cc_finding_list_dispose(&rs.ts[i].policy);
    }
    free(rs.ts);
  }
  free(rs.path_csv);
  cc_mem_free(json);
  free(schools);
  cc_finding_list_dispose(&prev);
  free(stats);
  free(labels);
  free(sum.p);
  free(info.p);
  cc_finding_list_dispose(&found);
  cc_finding_list_dispose(&policy);
  cc_header_map_free(map);
  cc_calendar_free(cal);
  cc_db_close(db);
  /* Released last: the database is closed, every output in place. */
  cc_lock_release(&lock_out);
  cc_lock_release(&lock_db);
  return rc;
}
