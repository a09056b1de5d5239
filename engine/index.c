/*
 * index.c - the LMDB database: environment, sub-databases, byte layouts.
 *
 * One environment (--db DIR) holds every period. A period's data live in a
 * *generation*: three sub-databases named by an 8-hex-digit number. A run
 * writes a new generation (stage), compares over it, then publishes it:
 * one transaction points the period at the new generation, stores the
 * findings and drops the old generation. Until then the period still
 * points at its old data, so a run that fails or is killed at any moment
 * leaves the database as it was; the orphaned generation of a killed run
 * is dropped when the database is next opened.
 *
 * All integers are big-endian, so that byte order is numeric order.
 *
 * "meta" (one per environment)
 *   key                      value
 *   "format"                 u32 CC_DB_FORMAT (2; a format-1 database,
 *                            whose records were one per value, is taken
 *                            as it is: see cc_db_open)
 *   "next_gen"               u32 next generation number
 *   "period/YYYY-MM"         u32 generation | run info (JSON text)
 *   "staging/" u32 gen       "YYYY-MM" | u32 pid of the run (a generation
 *                            not yet published; dropped at open once that
 *                            process is gone)
 *
 * "gXXXXXXXX.rec" records, in file order, a chunk of consecutive records of
 *   one roster per value
 *   key:   0 u16 roster | 2 u32 line of the chunk's first record (6 bytes)
 *   value: 0 u32 n (records) | n x (u32 line | u32 offset) | the records,
 *          each at its offset from the start of the value, running to the
 *          next one's offset (the last one to the value's end):
 *          0 u8 status | 1 u8 id verdict | 2 u8 id reason | 3 u8 upgraded
 *          4 i64 grant (fen) | 12 i64 waiver (fen) | 20 u8 id length | id
 *          then name, school_code, school_name, region_code, record_id,
 *          study_mode, grade, enroll_date, program_years, major:
 *          each u16 length | bytes (as registered)
 *   A chunk is closed before it would pass half a page (see
 *   cc_index_stage_begin), so that two fill a leaf page: one LMDB append
 *   per chunk (11 records on average at national scale), not per record.
 *   One per record, the appends took 4.6 s on the thread that commits,
 *   most of the ingest stage on two threads. A record is found by the last
 *   chunk whose first line is not past its line, then its line in the
 *   chunk's table. A record too big for a chunk has one of its own.
 *
 * "gXXXXXXXX.idx" the hash index, in key order, a chunk of consecutive
 *   entries per value (26 on average at national scale), closed as rec's are
 *   key:   the chunk's first entry's key
 *   value: 0 u32 n (entries) | n x (entry key | u16 length | entry value)
 *   entry key:   0 u64 XXH3-64(cleaned ID) | 8 u16 roster | 10 u32 line
 *                (14 bytes)
 *   entry value: 0 u8 status | 1 u8 verdict | 2 u8 reason | 3 u8 upgraded
 *          4 i64 grant | 12 i64 waiver | 20 u8 id length | id
 *          | u8 length | school code | u8 length | folded name
 *   Everything the exact comparison needs is in the value, so the compare
 *   stage reads this database sequentially and touches "rec" only for the
 *   members of findings. Equal hashes are resolved by the full ID. Read
 *   through cc_idx_cursor. With one entry per value, appending 17.5
 *   million entries took 2.1 s after the payloads had been copied into
 *   hash order (0.6 s); in chunks it takes 1.4-1.8 s reading the payloads
 *   where ingest left them, no copy.
 *
 * "gXXXXXXXX.find" the findings of the period, in output order
 *   key:   u32 sequence
 *   value: 0 u8 layout (1, or 2: see the end) | 1 u8 type | 2 u8 cross | 3 u8 id valid
 *          | 4 u8 id reason | 5 u8 state | 6 u8 deadline provisional
 *          | 7 u8 cleared on time | 8 u8 claimed | 9 u8 response action
 *          | 10 u64 finding_id | 18 i64 amount at risk (fen)
 *          | 26 i32 issued | 30 i32 deadline | 34 i32 seen | 38 i32 cleared
 *          | 42 i32 response date (cc_date day numbers)
 *          | 46 7 bytes first period "YYYY-MM" | 53 u8 id length | id
 *          | str16 person name | str16 response by | str16 response school
 *          | str16 response note | u16 member count, then per member:
 *          str8 roster label | u32 line | u8 status | i64 grant | i64 waiver
 *          | str16 name | str16 record_id | str16 school_code
 *          | str16 school_name | str16 region_code
 *          then, for fuzzy findings only: u8 basis | u16 confidence x 10000
 *          | u8 evidence count | per evidence: u8 field | u8 level
 *          | i16 weight x 10 | per member: str8 cleaned ID
 *          then, for policy findings only (layout 2): u8 reason, the last
 *          byte of the value. Layout 1 (every other finding, and every
 *          finding of a database written before the policy rules) decodes
 *          with reason 0, as before.
 *   (strN: an N-bit length, then the bytes)
 *
 * "gXXXXXXXX.blk" held the fuzzy tier's blocking index in databases
 *   written before 2026-12; the blocks now live in memory for the run
 *   only (run.c, fuzzy.c). The name stays in the lists of a generation's
 *   databases so that such generations are still dropped whole.
 *
 * "gXXXXXXXX.schools" records per school, for rates
 *   key:   roster label | 0x1F | school code
 *   value: 0 u64 records | 8 u64 holding | 16 u8 length | region code
 *
 * Logs that outlive every period, each drawn in the file that owns it:
 * "audit" (audit.c), "responses" (lifecycle.c), "reviews" (review.c).
 *
 * Settings: MDB_NOTLS (OpenMP workers each hold a read transaction) and the
 * map grown before each run to fit it. Not MDB_WRITEMAP: with it, every
 * page a run writes stays mapped into the process until it ends (7.5 GB
 * resident at national scale, against 6.1 GB without, and 3 s slower);
 * without it LMDB keeps a bounded list of dirty pages and spills the rest
 * to the file during the transaction, which an append-only load never
 * touches again. Either way nothing is visible before commit. Commits are fsync'ed unless the
 * caller asks for no_sync (then a power failure, not a killed process, may
 * lose the last run).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <omp.h>

#include "bytes_internal.h"
#include "error_internal.h"
#include "finding_internal.h"
#include "fs_internal.h"
#include "grow_internal.h"
#include "index_internal.h"
#include "mem_internal.h"

#define META_NAME "meta"
/* Sorting: buckets by the top bits of the hash, each sorted alone. */
#define SORT_BITS 12
#define SORT_BUCKETS (1u << SORT_BITS)
#define MAX_DBS 4096

static int lmdb_error(int rc, const char *what)
{
  int code = CC_ERROR;
  if (rc == MDB_NOTFOUND)
    code = CC_ENOTFOUND;
  else if (rc == MDB_CORRUPTED || rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH ||
           rc == MDB_PAGE_NOTFOUND)
    code = CC_ECORRUPT;
  else if (rc == ENOMEM)
    code = CC_ENOMEM;
  else if (rc == EIO || rc == ENOSPC || rc == EACCES || rc == MDB_MAP_FULL)
    code = CC_EIO;
  /* A full map is the database's limit, not the machine's memory: the map
   * is sized before each run and grown on MDB_MAP_FULL where the
   * transaction can be tried again (map_grow), so this is rare. */
  if (rc == MDB_MAP_FULL)
    return cc_error_set(code, "database: %s: the database map is full", what);
  return cc_error_set(code, "database: %s: %s", what, mdb_strerror(rc));
}

/*
 * Grows the map after MDB_MAP_FULL, to twice its size and at least `need`
 * bytes more: only between transactions (lmdb.h, mdb_env_set_mapsize: no
 * transaction of this process may be active), so the caller has aborted
 * the one that filled it and retries it. The map is address space, not
 * memory: without MDB_WRITEMAP the file grows only by the pages written.
 */
static int map_grow(cc_db *db, size_t need)
{
  MDB_envinfo info;
  size_t want;
  mdb_env_info(db->env, &info);
  want = info.me_mapsize * 2;
  if (want < info.me_mapsize + need)
    want = info.me_mapsize + need;
  return mdb_env_set_mapsize(db->env, want);
}

/* Tries of a write transaction that filled the map, each after map_grow. */
#define MAP_TRIES 6

static void gen_name(char *buf, uint32_t gen, const char *suffix)
{
  snprintf(buf, 32, "g%08x.%s", gen, suffix);
}

/* Drops the staged generations that were never published (killed runs). */
static int drop_orphans(cc_db *db)
{
  MDB_txn *txn;
  MDB_cursor *cur;
  MDB_val k, v;
  int rc, mrc;
  uint32_t gens[64];
  size_t n = 0, i;

  if ((rc = mdb_txn_begin(db->env, NULL, 0, &txn)) != 0)
    return lmdb_error(rc, "begin");
  if ((rc = mdb_cursor_open(txn, db->meta, &cur)) != 0)
    goto fail;
  k.mv_data = "staging/";
  k.mv_size = 8;
  for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0 && n < 64;
       mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    if (k.mv_size != 12 || memcmp(k.mv_data, "staging/", 8) != 0)
      break;
    /* A stage whose run is still alive (another process, between its stage
     * commit and its publish) is not an orphan. */
    if (v.mv_size >= 11) {
      pid_t owner = (pid_t)get_u32((const uint8_t *)v.mv_data + 7);
      if (owner != getpid() && (kill(owner, 0) == 0 || errno == EPERM))
        continue;
    }
    gens[n++] = get_u32((const uint8_t *)k.mv_data + 8);
  }
  mdb_cursor_close(cur);
  for (i = 0; i < n; i++) {
    static const char *const parts[] = {"rec", "idx", "find", "schools", "blk"};
    uint8_t key[12];
    size_t j;
    for (j = 0; j < 5; j++) {
      char name[32];
      MDB_dbi dbi;
      gen_name(name, gens[i], parts[j]);
      if (mdb_dbi_open(txn, name, 0, &dbi) == 0 &&
          (rc = mdb_drop(txn, dbi, 1)) != 0)
        goto fail;
    }
    memcpy(key, "staging/", 8);
    put_u32(key + 8, gens[i]);
    k.mv_data = key;
    k.mv_size = 12;
    if ((rc = mdb_del(txn, db->meta, &k, NULL)) != 0)
      goto fail;
  }
  if ((rc = mdb_txn_commit(txn)) != 0)
    return lmdb_error(rc, "commit");
  return 0;
fail:
  mdb_txn_abort(txn);
  return lmdb_error(rc, "dropping an unfinished run");
}

int cc_db_open(cc_db **out, const char *dir, const cc_db_options *opts)
{
  cc_db *db;
  MDB_txn *txn = NULL;
  MDB_val k, v;
  unsigned flags = MDB_NOTLS;
  int rc, old_format;
  struct stat sb;

  *out = NULL;
  if (opts->read_only) {
    /* Look for the data file, not the directory: LMDB would create a lock
     * file in an empty directory and then fail with ENOENT. */
    char data[4096];
    snprintf(data, sizeof data, "%s/data.mdb", dir);
    if (stat(dir, &sb) != 0 || stat(data, &sb) != 0)
      return cc_error_set(CC_ENOTFOUND, "database %s does not exist", dir);
    flags |= MDB_RDONLY;
  } else {
    if ((rc = cc_mkdir_p(dir, 0700)) < 0)
      return rc;
    if (opts->no_sync)
      flags |= MDB_NOSYNC;
  }
  db = calloc(1, sizeof *db);
  if (db == NULL || (db->dir = strdup(dir)) == NULL) {
    free(db);
    return cc_error_set(CC_ENOMEM, "out of memory");
  }
  db->read_only = opts->read_only;
  if ((rc = mdb_env_create(&db->env)) != 0 ||
      (rc = mdb_env_set_maxdbs(db->env, MAX_DBS)) != 0 ||
      (rc = mdb_env_set_maxreaders(db->env, 1024)) != 0) {
    rc = lmdb_error(rc, "create");
    goto fail;
  }
  if ((rc = mdb_env_open(db->env, dir, flags, 0600)) != 0) {
    rc = lmdb_error(rc, dir);
    goto fail;
  }
  if ((rc = mdb_txn_begin(db->env, NULL, opts->read_only ? MDB_RDONLY : 0,
                          &txn)) != 0) {
    rc = lmdb_error(rc, "begin");
    goto fail;
  }
  rc = mdb_dbi_open(txn, META_NAME, opts->read_only ? 0 : MDB_CREATE, &db->meta);
  if (rc == MDB_NOTFOUND) {
    mdb_txn_abort(txn);
    txn = NULL;
    rc = cc_error_set(CC_ENOTFOUND, "database %s holds no chachong data", dir);
    goto fail;
  }
  if (rc != 0) {
    rc = lmdb_error(rc, "meta");
    goto fail;
  }
  k.mv_data = "format";
  k.mv_size = 6;
  rc = mdb_get(txn, db->meta, &k, &v);
  /* Format 1 kept one record per rec value. Only a run reads rec, and
   * only its own generation's, before it publishes: a format-1 database
   * holds nothing that this version reads differently, and is marked
   * format 2 when opened for writing. */
  old_format = rc == 0 && v.mv_size == 4 && get_u32(v.mv_data) == 1;
  if ((rc == MDB_NOTFOUND || old_format) && !opts->read_only) {
    uint8_t fmt[4];
    put_u32(fmt, CC_DB_FORMAT);
    v.mv_data = fmt;
    v.mv_size = 4;
    rc = mdb_put(txn, db->meta, &k, &v, 0);
    if (rc != 0) {
      rc = lmdb_error(rc, "format");
      goto fail;
    }
  } else if (rc != 0) {
    rc = lmdb_error(rc, "format");
    goto fail;
  } else if (!old_format && (v.mv_size != 4 || get_u32(v.mv_data) != CC_DB_FORMAT)) {
    rc = cc_error_set(CC_ECORRUPT,
                      "database %s has layout version %u; this chachong reads %u",
                      dir, v.mv_size == 4 ? get_u32(v.mv_data) : 0, CC_DB_FORMAT);
    goto fail;
  }
  /* Committed even when read-only: a handle opened in a transaction that
   * is aborted is closed with it (lmdb.h, mdb_dbi_open), and db->meta must
   * outlive this one. */
  rc = mdb_txn_commit(txn);
  txn = NULL;
  if (rc != 0) {
    rc = lmdb_error(rc, "commit");
    goto fail;
  }
  if (!opts->read_only && (rc = drop_orphans(db)) < 0)
    goto fail;
  *out = db;
  return 0;
fail:
  if (txn)
    mdb_txn_abort(txn);
  cc_db_close(db);
  return rc;
}

void cc_db_close(cc_db *db)
{
  if (db == NULL)
    return;
  if (db->env)
    mdb_env_close(db->env);
  free(db->dir);
  free(db);
}

int cc_db_periods(char ***out, size_t *count, cc_db *db)
{
  MDB_txn *txn;
  MDB_cursor *cur;
  MDB_val k, v;
  char **list = NULL;
  size_t n = 0;
  int rc, mrc;

  *out = NULL;
  *count = 0;
  if ((rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn)) != 0)
    return lmdb_error(rc, "begin");
  if ((rc = mdb_cursor_open(txn, db->meta, &cur)) != 0) {
    mdb_txn_abort(txn);
    return lmdb_error(rc, "cursor");
  }
  k.mv_data = "period/";
  k.mv_size = 7;
  for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
       mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    char **grown;
    if (k.mv_size < 7 || memcmp(k.mv_data, "period/", 7) != 0)
      break;
    grown = realloc(list, (n + 1) * sizeof *list);
    if (grown == NULL || (grown[n] = strndup((const char *)k.mv_data + 7,
                                             k.mv_size - 7)) == NULL) {
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      list = grown ? grown : list;
      break;
    }
    list = grown;
    n++;
  }
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  if (rc < 0) {
    while (n > 0)
      free(list[--n]);
    free(list);
    return rc;
  }
  *out = list;
  *count = n;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Encoding. */

static uint8_t *put_head(uint8_t *p, const cc_record *rec)
{
  p[0] = rec->status;
  p[1] = rec->id_verdict;
  p[2] = rec->id_reason;
  p[3] = rec->id_upgraded;
  put_u64(p + 4, (uint64_t)rec->grant);
  put_u64(p + 12, (uint64_t)rec->waiver);
  p[20] = rec->id_len;
  memcpy(p + 21, rec->id, rec->id_len);
  return p + 21 + rec->id_len;
}

size_t cc_index_encode_idx(uint8_t *out, const cc_record *rec)
{
  uint8_t *p = put_head(out, rec);
  uint32_t sl = rec->text[CC_COL_SCHOOL_CODE].len;
  uint32_t nl = rec->name_folded.len;
  /* Ingest guarantees both fit a byte (school_code_too_long, CC_NAME_MAX). */
  *p++ = (uint8_t)sl;
  if (sl) /* an empty cc_str may have a NULL ptr */
    memcpy(p, rec->text[CC_COL_SCHOOL_CODE].ptr, sl);
  p += sl;
  *p++ = (uint8_t)nl;
  if (nl)
    memcpy(p, rec->name_folded.ptr, nl);
  p += nl;
  return (size_t)(p - out);
}

/* Columns stored in a rec value after the head, in this order. */
static const cc_column rec_columns[] = {
    CC_COL_NAME, CC_COL_SCHOOL_CODE, CC_COL_SCHOOL_NAME, CC_COL_REGION_CODE,
    CC_COL_RECORD_ID, CC_COL_STUDY_MODE, CC_COL_GRADE, CC_COL_ENROLL_DATE,
    CC_COL_PROGRAM_YEARS, CC_COL_MAJOR};
#define N_REC_COLUMNS (sizeof rec_columns / sizeof rec_columns[0])

static cc_str rec_cell(const cc_record *rec, cc_column col)
{
  return col == CC_COL_NAME ? rec->name : rec->text[col];
}

/* ------------------------------------------------------------------ */
/* Staging. */

static int meta_next_gen(cc_db *db, MDB_txn *txn, uint32_t *gen)
{
  MDB_val k = {8, "next_gen"}, v;
  uint8_t buf[4];
  int rc = mdb_get(txn, db->meta, &k, &v);
  *gen = rc == 0 && v.mv_size == 4 ? get_u32(v.mv_data) : 1;
  if (rc != 0 && rc != MDB_NOTFOUND)
    return rc;
  put_u32(buf, *gen + 1);
  v.mv_data = buf;
  v.mv_size = 4;
  return mdb_put(txn, db->meta, &k, &v, 0);
}

int cc_index_stage_begin(cc_stage *st, cc_db *db, const char *period,
                         uint64_t estimate)
{
  MDB_envinfo info;
  MDB_stat ms;
  char name[32];
  uint8_t key[12], owner[11];
  MDB_val k, v;
  size_t want;
  int rc;

  memset(st, 0, sizeof *st);
  st->db = db;
  snprintf(st->period, sizeof st->period, "%s", period);
  /* Grow the map to hold what is there plus this run, eight times its
   * estimate (twice the input's bytes): the old generation stays until
   * publish, and short rows take more in the database than in the file (a
   * 38-byte row stored 145 bytes of record, idx entry and blocking keys). The staging transaction cannot
   * be retried on MDB_MAP_FULL, so the map is sized generously up front:
   * it is address space, not memory (see map_grow). */
  mdb_env_info(db->env, &info);
  mdb_env_stat(db->env, &ms);
  want = (info.me_last_pgno + 1) * (size_t)ms.ms_psize + estimate * 8 +
         ((size_t)1 << 30);
  if (want > info.me_mapsize && (rc = mdb_env_set_mapsize(db->env, want)) != 0)
    return lmdb_error(rc, "growing the map");
  /* Two chunks to a leaf page: half a page less the page header (16 bytes
   * in LMDB 0.9; 64 leaves room), a node header and its index slot (8 + 2)
   * and the key. Values past about half a page go to overflow pages, and
   * LMDB's dirty list counts a run of overflow pages as one entry: with
   * chunks of four pages a write transaction held 2 GB more before it
   * spilled (peak 5.5 GB at national scale instead of 4.0). */
  st->chunk_max = ((size_t)ms.ms_psize - 64) / 2 - 8 - 2 - 6;
  st->ichunk_max = ((size_t)ms.ms_psize - 64) / 2 - 8 - 2 - 14;
  if ((rc = mdb_txn_begin(db->env, NULL, 0, &st->txn)) != 0)
    return lmdb_error(rc, "begin");
  if ((rc = meta_next_gen(db, st->txn, &st->gen)) != 0)
    goto fail;
  gen_name(name, st->gen, "rec");
  if ((rc = mdb_dbi_open(st->txn, name, MDB_CREATE, &st->rec)) != 0)
    goto fail;
  gen_name(name, st->gen, "idx");
  if ((rc = mdb_dbi_open(st->txn, name, MDB_CREATE, &st->idx)) != 0)
    goto fail;
  memcpy(key, "staging/", 8);
  put_u32(key + 8, st->gen);
  k.mv_data = key;
  k.mv_size = 12;
  memcpy(owner, st->period, 7);
  put_u32(owner + 7, (uint32_t)getpid());
  v.mv_data = owner;
  v.mv_size = sizeof owner;
  if ((rc = mdb_put(st->txn, db->meta, &k, &v, 0)) != 0)
    goto fail;
  return 0;
fail:
  mdb_txn_abort(st->txn);
  st->txn = NULL;
  return lmdb_error(rc, "staging");
}

/* Appends the chunk being filled to rec, and empties it. */
static int flush_chunk(cc_stage *st)
{
  uint8_t key[6], *p;
  MDB_val k = {6, key}, v;
  size_t head = 4 + 8 * st->n_chunk, i;
  int rc;
  if (st->n_chunk == 0)
    return 0;
  put_u16(key, st->chunk_roster);
  put_u32(key + 2, st->slots[0].line);
  v.mv_size = head + st->chunk_len;
  /* MDB_RESERVE: written straight into the overflow pages. */
  if ((rc = mdb_put(st->txn, st->rec, &k, &v, MDB_APPEND | MDB_RESERVE)) != 0)
    return lmdb_error(rc, "writing records");
  p = v.mv_data;
  put_u32(p, (uint32_t)st->n_chunk);
  for (i = 0; i < st->n_chunk; i++) {
    put_u32(p + 4 + 8 * i, st->slots[i].line);
    put_u32(p + 8 + 8 * i, (uint32_t)(head + st->slots[i].off));
  }
  memcpy(p + head, st->chunk, st->chunk_len);
  st->n_chunk = 0;
  st->chunk_len = 0;
  return 0;
}

int cc_index_stage_record(cc_stage *st, const cc_record *rec)
{
  size_t len = 21 + rec->id_len, i;
  uint8_t *p;
  int rc;

  for (i = 0; i < N_REC_COLUMNS; i++)
    len += 2 + rec_cell(rec, rec_columns[i]).len;
  /* A new chunk at a new roster, or when this record would push the chunk
   * past its pages (a record bigger than that has a chunk of its own). */
  if (st->n_chunk > 0 &&
      (rec->roster != st->chunk_roster ||
       4 + 8 * (st->n_chunk + 1) + st->chunk_len + len > st->chunk_max) &&
      (rc = flush_chunk(st)) < 0)
    return rc;
  if (cc_grow((void **)&st->slots, &st->cap_chunk, st->n_chunk + 1,
              sizeof *st->slots) < 0)
    return cc_error_set(CC_ENOMEM, "out of memory");
  if (st->chunk_len + len > st->chunk_cap) {
    size_t cap = st->chunk_cap ? st->chunk_cap : 4 * st->chunk_max;
    uint8_t *grown;
    while (cap < st->chunk_len + len)
      cap *= 2;
    grown = realloc(st->chunk, cap);
    if (grown == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory");
    st->chunk = grown;
    st->chunk_cap = cap;
  }
  st->chunk_roster = rec->roster;
  st->slots[st->n_chunk].line = rec->line;
  st->slots[st->n_chunk++].off = (uint32_t)st->chunk_len;
  p = put_head(st->chunk + st->chunk_len, rec);
  for (i = 0; i < N_REC_COLUMNS; i++) {
    cc_str s = rec_cell(rec, rec_columns[i]);
    put_u16(p, (uint16_t)s.len);
    if (s.len) /* an empty cell may have a NULL ptr (cc_str) */
      memcpy(p + 2, s.ptr, s.len);
    p += 2 + s.len;
  }
  st->chunk_len += len;
  return 0;
}

/* Entries ahead of the one being packed whose payload is asked for. */
#define IDX_PREFETCH 32

/* Appends the idx chunk being filled, and empties it. */
static int flush_ichunk(cc_stage *st)
{
  MDB_val k, v;
  int rc;
  if (st->n_ichunk == 0)
    return 0;
  k.mv_data = st->ichunk + 4; /* the first entry's key */
  k.mv_size = 14;
  put_u32(st->ichunk, (uint32_t)st->n_ichunk);
  v.mv_data = st->ichunk;
  v.mv_size = st->ichunk_len;
  cc_mem_heap_advise(); /* LMDB mallocs the pages it dirties (mem.c) */
  if ((rc = mdb_put(st->txn, st->idx, &k, &v, MDB_APPEND)) != 0)
    return lmdb_error(rc, "writing the index");
  st->n_ichunk = 0;
  st->ichunk_len = 0;
  return 0;
}

int cc_index_stage_entries(cc_stage *st, const cc_index_entry *e, size_t n)
{
  size_t i;
  int rc;

  if ((rc = flush_chunk(st)) < 0)
    return rc;
  if (st->ichunk == NULL) {
    /* A chunk of one entry may pass ichunk_max (an entry can take up to
     * 4 + 16 + CC_IDX_VALUE_MAX bytes). */
    st->ichunk_cap = st->ichunk_max + 4 + 16 + CC_IDX_VALUE_MAX;
    if ((st->ichunk = malloc(st->ichunk_cap)) == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory");
  }
  for (i = 0; i < n; i++) {
    size_t len = 16 + e[i].len;
    uint8_t *p;
    /* Payloads were written in file order and are read in hash order: ask
     * for them well ahead (both cache lines a payload may straddle) so
     * that the misses overlap. */
    if (i + IDX_PREFETCH < n) {
      __builtin_prefetch(e[i + IDX_PREFETCH].payload);
      __builtin_prefetch(e[i + IDX_PREFETCH].payload + e[i + IDX_PREFETCH].len - 1);
    }
    if (st->n_ichunk > 0 && st->ichunk_len + len > st->ichunk_max &&
        (rc = flush_ichunk(st)) < 0)
      return rc;
    if (st->n_ichunk == 0)
      st->ichunk_len = 4;
    p = st->ichunk + st->ichunk_len;
    put_u64(p, e[i].hash);
    put_u16(p + 8, e[i].roster);
    put_u32(p + 10, e[i].line);
    put_u16(p + 14, e[i].len);
    memcpy(p + 16, e[i].payload, e[i].len);
    st->ichunk_len += len;
    st->n_ichunk++;
  }
  return 0;
}

static void free_chunk(cc_stage *st)
{
  free(st->chunk);
  free(st->slots);
  free(st->ichunk);
  st->chunk = st->ichunk = NULL;
  st->slots = NULL;
  st->n_chunk = st->cap_chunk = st->chunk_len = st->chunk_cap = 0;
  st->n_ichunk = st->ichunk_len = st->ichunk_cap = 0;
}

int cc_index_stage_commit(cc_stage *st)
{
  int rc = flush_chunk(st);
  if (rc == 0)
    rc = flush_ichunk(st);
  free_chunk(st);
  if (rc < 0) {
    cc_index_stage_abort(st);
    return rc;
  }
  rc = mdb_txn_commit(st->txn);
  st->txn = NULL;
  if (rc != 0)
    return lmdb_error(rc, "commit");
  return 0;
}

void cc_index_stage_abort(cc_stage *st)
{
  free_chunk(st);
  if (st->txn)
    mdb_txn_abort(st->txn);
  st->txn = NULL;
}

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
  static int NAME(TYPE *e, size_t n, int threads)                             \
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

DEFINE_RADIX_SORT(radix_sort_entries, cc_index_entry, hash, sort_range, entry_less)
DEFINE_RADIX_SORT(radix_sort_blocks, cc_block_entry, key, sort_blocks_range, block_less)

int cc_index_sort(cc_index_entry *e, size_t n, int threads)
{
  return radix_sort_entries(e, n, threads);
}

int cc_index_sort_blocks(cc_block_entry *e, size_t n, int threads)
{
  return radix_sort_blocks(e, n, threads);
}

int cc_index_sort_parts(cc_index_entry **out, cc_index_entry **parts,
                        const size_t *lens, int k, int threads)
{
  return radix_sort_entries_parts(out, parts, lens, k, threads);
}

/*
 * The fuzzy tier's blocks: the scatter of the sort above, then each bucket
 * sorted into a scratch array of its own size and only its runs of two or
 * more equal keys written back, at the bucket's start; a last pass gathers
 * them. Against the full sort and a pass that kept the runs, this writes
 * no second array of every entry (most records are alone in their blocks:
 * at 1M records 2 million entries, of which some 80,000 are kept), so a
 * third of the fresh pages and one pass over the entries go.
 */
int cc_index_group_blocks_parts(cc_block_entry **out, size_t *n_out,
                                cc_block_entry **parts, const size_t *lens,
                                int k, int threads)
{
  size_t *start = malloc((SORT_BUCKETS + 1) * sizeof *start);
  size_t *kept = calloc(SORT_BUCKETS, sizeof *kept);
  size_t n = 0, total = 0, b, at;
  cc_block_entry *tmp, *res;
  int p, rc = 0, failed = 0;
  long bk;

  *out = NULL;
  *n_out = 0;
  for (p = 0; p < k; p++)
    n += lens[p];
  tmp = cc_mem_alloc((n ? n : 1) * sizeof *tmp);
  rc = start == NULL || kept == NULL || tmp == NULL
           ? cc_error_set(CC_ENOMEM, "out of memory sorting")
           : radix_sort_blocks_scatter(tmp, start, parts, lens, k, threads);
  for (p = 0; p < k; p++) {
    cc_mem_free(parts[p]);
    parts[p] = NULL;
  }
  if (rc < 0)
    goto done;
#pragma omp parallel num_threads(threads) reduction(| : failed)
  {
    cc_block_entry *scratch = NULL;
    size_t cap = 0;
#pragma omp for schedule(dynamic, 16)
    for (bk = 0; bk < (long)SORT_BUCKETS; bk++) {
      cc_block_entry *src = tmp + start[bk];
      size_t m = start[bk + 1] - start[bk], i = 0, w = 0;
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
      radix_sort_blocks_bucket(scratch, src, m);
      while (i < m) {
        size_t j = i + 1;
        while (j < m && scratch[j].key == scratch[i].key)
          j++;
        if (j - i >= 2) {
          memcpy(src + w, scratch + i, (j - i) * sizeof *src);
          w += j - i;
        }
        i = j;
      }
      kept[bk] = w;
    }
    free(scratch);
  }
  if (failed) {
    rc = cc_error_set(CC_ENOMEM, "out of memory sorting");
    goto done;
  }
  for (b = 0; b < SORT_BUCKETS; b++)
    total += kept[b];
  if ((res = malloc((total ? total : 1) * sizeof *res)) == NULL) {
    rc = cc_error_set(CC_ENOMEM, "out of memory sorting");
    goto done;
  }
  for (b = 0, at = 0; b < SORT_BUCKETS; b++) {
    memcpy(res + at, tmp + start[b], kept[b] * sizeof *res);
    at += kept[b];
  }
  *out = res;
  *n_out = total;
done:
  free(start);
  free(kept);
  cc_mem_free(tmp);
  return rc;
}

/* ------------------------------------------------------------------ */
/* Reading. */

int cc_index_decode_idx(cc_index_item *out, const MDB_val *key,
                        const MDB_val *val)
{
  const uint8_t *k = key->mv_data, *p = val->mv_data, *end = p + val->mv_size;
  if (key->mv_size != 14 || val->mv_size < 23)
    return cc_error_set(CC_ECORRUPT, "database: bad index entry");
  out->hash = get_u64(k);
  out->roster = get_u16(k + 8);
  out->line = get_u32(k + 10);
  out->status = p[0];
  out->id_verdict = p[1];
  out->id_reason = p[2];
  out->id_upgraded = p[3];
  out->grant = (int64_t)get_u64(p + 4);
  out->waiver = (int64_t)get_u64(p + 12);
  out->id_len = p[20];
  out->id = (const char *)p + 21;
  if (out->id_len > CC_ID_MAX || out->id_len + 23u > val->mv_size)
    return cc_error_set(CC_ECORRUPT, "database: bad index entry");
  p += 21 + out->id_len;
  if (p >= end)
    return cc_error_set(CC_ECORRUPT, "database: bad index entry");
  out->school_code_len = *p++;
  out->school_code = (const char *)p;
  p += out->school_code_len;
  if (p >= end)
    return cc_error_set(CC_ECORRUPT, "database: bad index entry");
  out->name_folded_len = *p++;
  out->name_folded = (const char *)p;
  if (p + out->name_folded_len != end)
    return cc_error_set(CC_ECORRUPT, "database: bad index entry");
  return 0;
}

/* ------------------------------------------------------------------ */
/* The idx cursor. */

static void idx_key(uint8_t key[14], uint64_t hash, uint16_t roster, uint32_t line)
{
  put_u64(key, hash);
  put_u16(key + 8, roster);
  put_u32(key + 10, line);
}

/* Takes the chunk the LMDB cursor is on. */
static int load_ichunk(cc_idx_cursor *c, const MDB_val *v)
{
  const uint8_t *p = v->mv_data;
  if (v->mv_size < 4 + 16 || get_u32(p) == 0)
    return cc_error_set(CC_ECORRUPT, "database: bad index chunk");
  c->chunk = p;
  c->p = p + 4;
  c->last = NULL;
  c->end = p + v->mv_size;
  return 0;
}

/* Decodes the entry at c->p and steps past it. */
static int take_entry(cc_idx_cursor *c, cc_index_item *out)
{
  MDB_val k, v;
  if (c->end - c->p < 16)
    return cc_error_set(CC_ECORRUPT, "database: bad index chunk");
  k.mv_data = (void *)c->p;
  k.mv_size = 14;
  v.mv_data = (void *)(c->p + 16);
  v.mv_size = get_u16(c->p + 14);
  if ((size_t)(c->end - c->p) - 16 < v.mv_size)
    return cc_error_set(CC_ECORRUPT, "database: bad index chunk");
  c->last = c->p;
  c->p += 16 + v.mv_size;
  return cc_index_decode_idx(out, &k, &v);
}

/* Compares an entry's key with (hash, roster, line), as numbers (the
 * big-endian bytes sort the same way). */
static int entry_key_cmp(const uint8_t *p, uint64_t hash, uint16_t roster,
                         uint32_t line)
{
  uint64_t h = get_u64(p);
  uint16_t r;
  uint32_t l;
  if (h != hash)
    return h < hash ? -1 : 1;
  r = get_u16(p + 8);
  if (r != roster)
    return r < roster ? -1 : 1;
  l = get_u32(p + 10);
  return l < line ? -1 : l > line;
}

/* Moves c->p to the first entry of the loaded chunk whose key is >= the
 * given one; 1 when there is one, 0 when the chunk has none. Starts from
 * the entry last returned when that one is not past the key: lookups in
 * key order then cost a step or two, not a scan from the chunk's start. */
static int scan_chunk(cc_idx_cursor *c, uint64_t hash, uint16_t roster,
                      uint32_t line)
{
  const uint8_t *p = c->chunk + 4;
  if (c->last && entry_key_cmp(c->last, hash, roster, line) <= 0)
    p = c->last;
  while (c->end - p >= 16) {
    if (entry_key_cmp(p, hash, roster, line) >= 0) {
      c->p = p;
      return 1;
    }
    p += 16 + get_u16(p + 14);
  }
  c->p = c->end;
  return 0;
}

int cc_idx_open(cc_idx_cursor *c, MDB_txn *txn, MDB_dbi idx)
{
  int rc;
  memset(c, 0, sizeof *c);
  if ((rc = mdb_cursor_open(txn, idx, &c->cur)) != 0)
    return lmdb_error(rc, "reading the index");
  return 0;
}

void cc_idx_close(cc_idx_cursor *c)
{
  if (c->cur)
    mdb_cursor_close(c->cur);
  c->cur = NULL;
}

int cc_idx_next(cc_idx_cursor *c, cc_index_item *out)
{
  if (c->chunk == NULL || c->p >= c->end) {
    MDB_val k, v;
    int rc = mdb_cursor_get(c->cur, &k, &v, c->chunk ? MDB_NEXT : MDB_FIRST);
    if (rc == MDB_NOTFOUND) {
      c->p = c->end;
      return CC_ENOTFOUND;
    }
    if (rc != 0)
      return lmdb_error(rc, "reading the index");
    if ((rc = load_ichunk(c, &v)) < 0)
      return rc;
  }
  return take_entry(c, out);
}

int cc_idx_seek(cc_idx_cursor *c, cc_index_item *out, uint64_t hash,
                uint16_t roster, uint32_t line)
{
  uint8_t key[14];
  MDB_val k, v;
  int rc;
  idx_key(key, hash, roster, line);
  /* Within the chunk already loaded, when it starts at or before the key
   * and holds an entry at or after it (chunks do not overlap). */
  if (c->chunk && entry_key_cmp(c->chunk + 4, hash, roster, line) <= 0 &&
      scan_chunk(c, hash, roster, line))
    return take_entry(c, out);
  /* Else the last chunk starting at or before the key; the first chunk
   * when none does. */
  k.mv_data = key;
  k.mv_size = 14;
  rc = mdb_cursor_get(c->cur, &k, &v, MDB_SET_RANGE);
  if (rc == MDB_NOTFOUND)
    rc = mdb_cursor_get(c->cur, &k, &v, MDB_LAST);
  else if (rc == 0 && memcmp(k.mv_data, key, 14) > 0 &&
           (rc = mdb_cursor_get(c->cur, &k, &v, MDB_PREV)) == MDB_NOTFOUND)
    rc = mdb_cursor_get(c->cur, &k, &v, MDB_FIRST);
  if (rc == MDB_NOTFOUND) { /* an empty index */
    c->chunk = NULL;
    return CC_ENOTFOUND;
  }
  if (rc != 0)
    return lmdb_error(rc, "reading the index");
  if ((rc = load_ichunk(c, &v)) < 0)
    return rc;
  if (scan_chunk(c, hash, roster, line))
    return take_entry(c, out);
  return cc_idx_next(c, out); /* the next chunk's first entry */
}

int cc_idx_get(cc_idx_cursor *c, cc_index_item *out, uint64_t hash,
               uint16_t roster, uint32_t line)
{
  int rc = cc_idx_seek(c, out, hash, roster, line);
  if (rc == 0 && (out->hash != hash || out->roster != roster || out->line != line))
    rc = CC_ENOTFOUND;
  return rc;
}

/* Decodes one record of a rec chunk (layout at the top of the file). */
static int decode_rec(cc_index_rec *out, const uint8_t *p, size_t size)
{
  const uint8_t *end = p + size;
  size_t i;

  memset(out, 0, sizeof *out);
  if (size < 21)
    return cc_error_set(CC_ECORRUPT, "database: bad record");
  out->status = p[0];
  out->id_verdict = p[1];
  out->id_reason = p[2];
  out->id_upgraded = p[3];
  out->grant = (int64_t)get_u64(p + 4);
  out->waiver = (int64_t)get_u64(p + 12);
  out->id.len = p[20];
  out->id.ptr = (const char *)p + 21;
  if (out->id.len > CC_ID_MAX || 21u + out->id.len > size)
    return cc_error_set(CC_ECORRUPT, "database: bad record");
  p += 21 + out->id.len;
  for (i = 0; i < N_REC_COLUMNS; i++) {
    uint16_t len;
    if (p + 2 > end)
      return cc_error_set(CC_ECORRUPT, "database: bad record");
    len = get_u16(p);
    if (p + 2 + len > end)
      return cc_error_set(CC_ECORRUPT, "database: bad record");
    out->text[rec_columns[i]].ptr = (const char *)p + 2;
    out->text[rec_columns[i]].len = len;
    p += 2 + len;
  }
  if (p != end)
    return cc_error_set(CC_ECORRUPT, "database: bad record");
  return 0;
}

/* Finds record `line` in a chunk: CC_ENOTFOUND when the chunk does not
 * hold it. */
static int chunk_find(cc_index_rec *out, const MDB_val *v, uint32_t line)
{
  const uint8_t *p = v->mv_data;
  size_t n, lo = 0, hi, from, to;
  if (v->mv_size < 4 || (n = get_u32(p)) == 0 || (v->mv_size - 4) / 8 < n)
    return cc_error_set(CC_ECORRUPT, "database: bad record chunk");
  hi = n;
  while (lo < hi) { /* first entry whose line is >= line */
    size_t mid = lo + (hi - lo) / 2;
    if (get_u32(p + 4 + 8 * mid) < line)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == n || get_u32(p + 4 + 8 * lo) != line)
    return CC_ENOTFOUND;
  from = get_u32(p + 8 + 8 * lo);
  to = lo + 1 < n ? get_u32(p + 8 + 8 * (lo + 1)) : v->mv_size;
  if (from < 4 + 8 * n || to < from || to > v->mv_size)
    return cc_error_set(CC_ECORRUPT, "database: bad record chunk");
  return decode_rec(out, p + from, to - from);
}

int cc_index_cursor_rec(cc_index_rec *out, MDB_cursor *cur, uint16_t roster,
                        uint32_t line)
{
  uint8_t key[6];
  MDB_val k = {6, key}, v;
  int rc;

  put_u16(key, roster);
  put_u32(key + 2, line);
  /* The chunk holding the line is the last whose first line is not past
   * it: the first key at or after (roster, line), or the one before.
   * Keys asked for in order mostly stay on the cursor's leaf page. */
  rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  if (rc == 0 && memcmp(k.mv_data, key, 6) != 0)
    rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
  else if (rc == MDB_NOTFOUND)
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
  if (rc == MDB_NOTFOUND)
    return cc_error_set(CC_ENOTFOUND, "database: no record %u:%u", roster, line);
  if (rc != 0)
    return lmdb_error(rc, "reading a record");
  if (k.mv_size != 6 || get_u16(k.mv_data) != roster ||
      (rc = chunk_find(out, &v, line)) == CC_ENOTFOUND)
    return cc_error_set(CC_ENOTFOUND, "database: no record %u:%u", roster, line);
  return rc;
}

int cc_index_get_rec(cc_index_rec *out, MDB_txn *txn, MDB_dbi rec,
                     uint16_t roster, uint32_t line)
{
  MDB_cursor *cur;
  int rc;
  if ((rc = mdb_cursor_open(txn, rec, &cur)) != 0)
    return lmdb_error(rc, "reading a record");
  rc = cc_index_cursor_rec(out, cur, roster, line);
  mdb_cursor_close(cur);
  return rc;
}

void cc_index_release_span(const void *lo, const void *hi)
{
  long ps = sysconf(_SC_PAGESIZE);
  uintptr_t a, b;
  if (lo == NULL || hi == NULL || (uintptr_t)hi < (uintptr_t)lo || ps <= 0)
    return;
  a = (uintptr_t)lo & ~(uintptr_t)(ps - 1);
  b = ((uintptr_t)hi + (uintptr_t)ps) & ~(uintptr_t)(ps - 1);
  /* Read-only shared file pages: dropping them loses nothing (see
   * cc_index_release_pages). */
  madvise((void *)a, b - a, MADV_DONTNEED);
}

void cc_index_release_pages(cc_db *db)
{
  /* LMDB does not say where it mapped the file (me_mapaddr is set only for
   * MDB_FIXEDMAP), so the mapping of data.mdb is looked up in
   * /proc/self/maps. The map is read-only and shared (no MDB_WRITEMAP):
   * dropping this process's view of pages it has read loses nothing, the
   * next access maps them again from the page cache. It keeps the compare
   * stage, which reads the index and the records of every finding's
   * members, from counting gigabytes of clean file pages as its memory. */
  char want[4096], line[4608];
  struct stat target;
  FILE *maps;
  snprintf(want, sizeof want, "%s/data.mdb", db->dir);
  if (stat(want, &target) != 0)
    return;
  maps = fopen("/proc/self/maps", "r");
  if (maps == NULL)
    return;
  while (fgets(line, sizeof line, maps)) {
    unsigned long lo, hi;
    char *path = strchr(line, '/');
    struct stat sb;
    size_t n;
    if (path == NULL || sscanf(line, "%lx-%lx", &lo, &hi) != 2)
      continue;
    n = strcspn(path, "\n");
    path[n] = '\0';
    if (n < 9 || strcmp(path + n - 9, "/data.mdb") != 0)
      continue;
    if (stat(path, &sb) == 0 && sb.st_dev == target.st_dev &&
        sb.st_ino == target.st_ino)
      madvise((void *)lo, hi - lo, MADV_DONTNEED);
  }
  fclose(maps);
}

int cc_db_put_timed_n(cc_db *db, const cc_db_timed *e, size_t n, uint64_t us,
                      const char *what)
{
  MDB_txn *txn;
  MDB_dbi dbi;
  size_t i;
  int rc, tries, grown;
  for (grown = 0;; grown++) {
    if ((rc = mdb_txn_begin(db->env, NULL, 0, &txn)) != 0)
      return cc_error_set(CC_EIO, "%s: %s", what, mdb_strerror(rc));
    for (i = 0; i < n && rc == 0; i++) {
      MDB_val k = {e[i].klen, e[i].key}, v = {e[i].vlen, (void *)e[i].val};
      if ((rc = mdb_dbi_open(txn, e[i].name, MDB_CREATE, &dbi)) != 0)
        break;
      for (tries = 0; tries < 1000; tries++) {
        /* Two entries in one microsecond: take the next free one. */
        put_u64(e[i].key + e[i].at, us + (uint64_t)tries);
        rc = mdb_put(txn, dbi, &k, &v, MDB_NOOVERWRITE);
        if (rc != MDB_KEYEXIST)
          break;
      }
    }
    if (rc != 0)
      mdb_txn_abort(txn);
    else
      rc = mdb_txn_commit(txn);
    /* A map filled to the last page: grown, and the entries written again
     * (the aborted transaction kept none of them). */
    if (rc != MDB_MAP_FULL || grown == MAP_TRIES || map_grow(db, 1 << 20) != 0)
      break;
  }
  if (rc != 0)
    return cc_error_set(CC_EIO, "%s: %s", what, rc == MDB_MAP_FULL
                        ? "the database map is full and could not be grown"
                        : mdb_strerror(rc));
  return 0;
}

int cc_db_each(cc_db *db, const char *name, const void *from, size_t from_len,
               int (*fn)(void *ctx, const MDB_val *k, const MDB_val *v),
               void *ctx, const char *what)
{
  MDB_txn *txn;
  MDB_dbi dbi;
  MDB_cursor *cur;
  MDB_val k, v;
  int rc, mrc;

  if ((rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn)) != 0)
    return cc_error_set(CC_EIO, "%s: %s", what, mdb_strerror(rc));
  rc = mdb_dbi_open(txn, name, 0, &dbi);
  if (rc == MDB_NOTFOUND) {
    mdb_txn_abort(txn);
    return 0;
  }
  if (rc != 0 || (rc = mdb_cursor_open(txn, dbi, &cur)) != 0) {
    mdb_txn_abort(txn);
    return cc_error_set(CC_EIO, "%s: %s", what, mdb_strerror(rc));
  }
  k.mv_data = (void *)from;
  k.mv_size = from_len;
  rc = 0;
  for (mrc = mdb_cursor_get(cur, &k, &v, from ? MDB_SET_RANGE : MDB_FIRST);
       mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    if ((rc = fn(ctx, &k, &v)) != 0)
      break;
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  return rc;
}

int cc_db_put_timed(cc_db *db, const char *name, uint8_t *key, size_t klen,
                    size_t at, uint64_t us, const void *val, size_t vlen,
                    const char *what)
{
  cc_db_timed e;
  e.name = name;
  e.key = key;
  e.klen = klen;
  e.at = at;
  e.val = val;
  e.vlen = vlen;
  return cc_db_put_timed_n(db, &e, 1, us, what);
}

int cc_index_open_gen(MDB_dbi *rec, MDB_dbi *idx, MDB_dbi *find, MDB_txn *txn,
                      uint32_t gen)
{
  char name[32];
  int rc = 0;
  if (rec) {
    gen_name(name, gen, "rec");
    rc = mdb_dbi_open(txn, name, 0, rec);
  }
  if (rc == 0 && idx) {
    gen_name(name, gen, "idx");
    rc = mdb_dbi_open(txn, name, 0, idx);
  }
  if (rc == 0 && find) {
    gen_name(name, gen, "find");
    rc = mdb_dbi_open(txn, name, 0, find);
  }
  return rc ? lmdb_error(rc, "opening a period") : 0;
}

static void period_key(uint8_t *key, const char *period)
{
  memcpy(key, "period/", 7);
  memcpy(key + 7, period, 7);
}

int cc_index_period_gen(uint32_t *gen, cc_db *db, MDB_txn *txn,
                        const char *period)
{
  uint8_t key[14];
  MDB_val k = {14, key}, v;
  int rc;
  period_key(key, period);
  rc = mdb_get(txn, db->meta, &k, &v);
  if (rc == MDB_NOTFOUND)
    return cc_error_set(CC_ENOTFOUND, "the database holds no period %s", period);
  if (rc != 0)
    return lmdb_error(rc, "reading the period");
  if (v.mv_size < 4)
    return cc_error_set(CC_ECORRUPT, "database: bad period entry");
  *gen = get_u32(v.mv_data);
  return 0;
}

/* ------------------------------------------------------------------ */
/* Findings. */

typedef struct wbuf {
  uint8_t **buf;
  size_t *cap;
  size_t len;
  int failed;
} wbuf;

static uint8_t *wb_room(wbuf *w, size_t n)
{
  if (w->failed)
    return NULL;
  if (w->len + n > *w->cap) {
    size_t cap = *w->cap ? *w->cap * 2 : 1024;
    uint8_t *grown;
    while (cap < w->len + n)
      cap *= 2;
    grown = realloc(*w->buf, cap);
    if (grown == NULL) {
      w->failed = 1;
      return NULL;
    }
    *w->buf = grown;
    *w->cap = cap;
  }
  w->len += n;
  return *w->buf + w->len - n;
}

static void wb_bytes(wbuf *w, const void *p, size_t n)
{
  uint8_t *d = wb_room(w, n);
  if (d && n)
    memcpy(d, p, n);
}

static void wb_u8(wbuf *w, unsigned v)
{
  uint8_t b = (uint8_t)v;
  wb_bytes(w, &b, 1);
}

static void wb_u32(wbuf *w, uint32_t v)
{
  uint8_t *d = wb_room(w, 4);
  if (d)
    put_u32(d, v);
}

static void wb_u64(wbuf *w, uint64_t v)
{
  uint8_t *d = wb_room(w, 8);
  if (d)
    put_u64(d, v);
}

static void wb_str8(wbuf *w, cc_str s)
{
  size_t n = s.len > 255 ? 255 : s.len;
  wb_u8(w, (unsigned)n);
  wb_bytes(w, s.ptr, n);
}

static void wb_str16(wbuf *w, cc_str s)
{
  size_t n = s.len > 65535 ? 65535 : s.len;
  uint8_t *d = wb_room(w, 2);
  if (d)
    put_u16(d, (uint16_t)n);
  wb_bytes(w, s.ptr, n);
}

long cc_index_encode_finding(uint8_t **buf, size_t *cap, const cc_finding *f)
{
  wbuf w = {buf, cap, 0, 0};
  uint32_t i;
  size_t idl = strlen(f->id);
  /* Layout 2 = layout 1 and a trailing u8 reason (policy findings); the
   * rest are written as layout 1, byte for byte as before. */
  wb_u8(&w, f->reason ? 2 : 1);
  wb_u8(&w, f->type);
  wb_u8(&w, f->cross);
  wb_u8(&w, f->id_valid);
  wb_u8(&w, f->id_reason);
  wb_u8(&w, f->state);
  wb_u8(&w, f->deadline_provisional);
  wb_u8(&w, f->cleared_on_time);
  wb_u8(&w, f->claimed);
  wb_u8(&w, f->response_action);
  wb_u64(&w, f->finding_id);
  wb_u64(&w, (uint64_t)f->amount_at_risk);
  wb_u32(&w, (uint32_t)f->issued);
  wb_u32(&w, (uint32_t)f->deadline);
  wb_u32(&w, (uint32_t)f->seen);
  wb_u32(&w, (uint32_t)f->cleared);
  wb_u32(&w, (uint32_t)f->response_date);
  wb_bytes(&w, f->first_period[0] ? f->first_period : "0000-00", 7);
  wb_u8(&w, (unsigned)idl);
  wb_bytes(&w, f->id, idl);
  wb_str16(&w, f->person_name);
  wb_str16(&w, f->response_by);
  wb_str16(&w, f->response_school);
  wb_str16(&w, f->response_note);
  {
    uint8_t *d = wb_room(&w, 2);
    if (d)
      put_u16(d, (uint16_t)f->n_members);
  }
  for (i = 0; i < f->n_members; i++) {
    const cc_member *m = &f->members[i];
    wb_str8(&w, m->label);
    wb_u32(&w, m->line);
    wb_u8(&w, m->status);
    wb_u64(&w, (uint64_t)m->grant);
    wb_u64(&w, (uint64_t)m->waiver);
    wb_str16(&w, m->name);
    wb_str16(&w, m->record_id);
    wb_str16(&w, m->school_code);
    wb_str16(&w, m->school_name);
    wb_str16(&w, m->region_code);
  }
  /* Fuzzy findings only: the match and each member's ID (exact findings
   * end above, so their bytes are as before the fuzzy tier). */
  if (f->basis != CC_BASIS_ID_EXACT) {
    uint8_t e;
    wb_u8(&w, f->basis);
    {
      uint8_t *d = wb_room(&w, 2);
      if (d)
        put_u16(d, f->confidence);
    }
    wb_u8(&w, f->n_evidence);
    for (e = 0; e < f->n_evidence && e < CC_EVIDENCE_MAX; e++) {
      uint8_t *d = wb_room(&w, 4);
      if (d) {
        d[0] = f->evidence[e].field;
        d[1] = f->evidence[e].level;
        put_u16(d + 2, (uint16_t)f->evidence[e].weight10);
      }
    }
    for (i = 0; i < f->n_members; i++)
      wb_str8(&w, f->members[i].id);
  }
  if (f->reason)
    wb_u8(&w, f->reason);
  return w.failed ? -1 : (long)w.len;
}

typedef struct rbuf {
  const uint8_t *p, *end;
  int bad;
} rbuf;

static const uint8_t *rb_take(rbuf *r, size_t n)
{
  const uint8_t *p = r->p;
  if (r->bad || (size_t)(r->end - r->p) < n) {
    r->bad = 1;
    return NULL;
  }
  r->p += n;
  return p;
}

static unsigned rb_u8(rbuf *r)
{
  const uint8_t *p = rb_take(r, 1);
  return p ? *p : 0;
}

static uint32_t rb_u32(rbuf *r)
{
  const uint8_t *p = rb_take(r, 4);
  return p ? get_u32(p) : 0;
}

static uint64_t rb_u64(rbuf *r)
{
  const uint8_t *p = rb_take(r, 8);
  return p ? get_u64(p) : 0;
}

static int rb_str(rbuf *r, cc_str *out, cc_finding_list *list, int bits16)
{
  size_t n;
  const uint8_t *p;
  if (bits16) {
    p = rb_take(r, 2);
    n = p ? get_u16(p) : 0;
  } else {
    n = rb_u8(r);
  }
  p = rb_take(r, n);
  if (r->bad)
    return -1;
  return cc_finding_strdup(out, list, (const char *)p, n);
}

int cc_index_decode_finding(cc_finding *f, cc_finding_list *list,
                            const void *data, size_t len)
{
  rbuf r = {data, (const uint8_t *)data + len, 0};
  const uint8_t *p;
  unsigned idl, i, layout;
  memset(f, 0, sizeof *f);
  layout = rb_u8(&r);
  if (layout == 2 && r.end > r.p) {
    /* A policy finding: its reason is the last byte. */
    f->reason = r.end[-1];
    r.end--;
    if (f->reason == CC_REASON_NONE || f->reason >= CC_REASON_COUNT_)
      return cc_error_set(CC_ECORRUPT, "database: bad finding");
  } else if (layout != 1) {
    return cc_error_set(CC_ECORRUPT, "database: bad finding");
  }
  f->type = (uint8_t)rb_u8(&r);
  f->cross = (uint8_t)rb_u8(&r);
  f->id_valid = (uint8_t)rb_u8(&r);
  f->id_reason = (uint8_t)rb_u8(&r);
  f->state = (uint8_t)rb_u8(&r);
  f->deadline_provisional = (uint8_t)rb_u8(&r);
  f->cleared_on_time = (uint8_t)rb_u8(&r);
  f->claimed = (uint8_t)rb_u8(&r);
  f->response_action = (uint8_t)rb_u8(&r);
  f->finding_id = rb_u64(&r);
  f->amount_at_risk = (int64_t)rb_u64(&r);
  f->issued = (cc_date)rb_u32(&r);
  f->deadline = (cc_date)rb_u32(&r);
  f->seen = (cc_date)rb_u32(&r);
  f->cleared = (cc_date)rb_u32(&r);
  f->response_date = (cc_date)rb_u32(&r);
  p = rb_take(&r, 7);
  if (p)
    memcpy(f->first_period, p, 7);
  idl = rb_u8(&r);
  if (idl > CC_ID_MAX || f->type >= CC_FT_COUNT_)
    return cc_error_set(CC_ECORRUPT, "database: bad finding");
  p = rb_take(&r, idl);
  if (p)
    memcpy(f->id, p, idl);
  if (rb_str(&r, &f->person_name, list, 1) < 0 ||
      rb_str(&r, &f->response_by, list, 1) < 0 ||
      rb_str(&r, &f->response_school, list, 1) < 0 ||
      rb_str(&r, &f->response_note, list, 1) < 0)
    goto bad;
  p = rb_take(&r, 2);
  if (p == NULL)
    goto bad;
  f->n_members = get_u16(p);
  f->members = cc_finding_alloc(list, (f->n_members ? f->n_members : 1) *
                                          sizeof *f->members);
  if (f->members == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  for (i = 0; i < f->n_members; i++) {
    cc_member *m = &f->members[i];
    memset(m, 0, sizeof *m);
    if (rb_str(&r, &m->label, list, 0) < 0)
      goto bad;
    m->line = rb_u32(&r);
    m->status = (uint8_t)rb_u8(&r);
    m->grant = (int64_t)rb_u64(&r);
    m->waiver = (int64_t)rb_u64(&r);
    if (rb_str(&r, &m->name, list, 1) < 0 || rb_str(&r, &m->record_id, list, 1) < 0 ||
        rb_str(&r, &m->school_code, list, 1) < 0 ||
        rb_str(&r, &m->school_name, list, 1) < 0 ||
        rb_str(&r, &m->region_code, list, 1) < 0)
      goto bad;
  }
  f->basis = CC_BASIS_ID_EXACT;
  f->confidence = 10000;
  if (!r.bad && r.p != r.end) {
    /* The fuzzy extension (see the layout at the top). */
    unsigned e;
    f->basis = (uint8_t)rb_u8(&r);
    p = rb_take(&r, 2);
    f->confidence = p ? get_u16(p) : 0;
    f->n_evidence = (uint8_t)rb_u8(&r);
    if (f->basis == CC_BASIS_ID_EXACT || f->basis >= CC_BASIS_COUNT_ ||
        f->n_evidence > CC_EVIDENCE_MAX)
      goto bad;
    for (e = 0; e < f->n_evidence; e++) {
      p = rb_take(&r, 4);
      if (p == NULL)
        goto bad;
      f->evidence[e].field = p[0];
      f->evidence[e].level = p[1];
      f->evidence[e].weight10 = (int16_t)get_u16(p + 2);
    }
    for (i = 0; i < f->n_members; i++)
      if (rb_str(&r, &f->members[i].id, list, 0) < 0)
        goto bad;
  }
  if (r.bad || r.p != r.end)
    goto bad;
  return 0;
bad:
  return cc_error_set(CC_ECORRUPT, "database: bad finding");
}

/* One try of cc_index_publish: 0 or LMDB's code (*what says where). */
static int publish_txn(cc_db *db, const char *period, uint32_t gen,
                       const cc_finding_list *findings, const char *run_info,
                       const char **what)
{
  MDB_txn *txn;
  MDB_dbi find;
  MDB_cursor *cur = NULL;
  char name[32];
  uint8_t key[14], seq[4], skey[12];
  MDB_val k, v;
  uint32_t old_gen = 0;
  int rc, had_old;
  size_t i, info_len = strlen(run_info), cap = 0;
  uint8_t *val, *buf = NULL;

  *what = "begin";
  if ((rc = mdb_txn_begin(db->env, NULL, 0, &txn)) != 0)
    return rc;
  *what = "publishing the period";
  gen_name(name, gen, "find");
  if ((rc = mdb_dbi_open(txn, name, MDB_CREATE, &find)) != 0 ||
      (rc = mdb_cursor_open(txn, find, &cur)) != 0)
    goto fail;
  for (i = 0; i < findings->n; i++) {
    long len = cc_index_encode_finding(&buf, &cap, &findings->items[i]);
    if (len < 0) {
      rc = ENOMEM;
      goto fail;
    }
    put_u32(seq, (uint32_t)i);
    k.mv_data = seq;
    k.mv_size = 4;
    v.mv_data = buf;
    v.mv_size = (size_t)len;
    if ((rc = mdb_cursor_put(cur, &k, &v, MDB_APPEND)) != 0)
      goto fail;
  }
  free(buf);
  buf = NULL;
  mdb_cursor_close(cur);
  cur = NULL;

  period_key(key, period);
  k.mv_data = key;
  k.mv_size = 14;
  rc = mdb_get(txn, db->meta, &k, &v);
  had_old = rc == 0 && v.mv_size >= 4;
  if (had_old)
    old_gen = get_u32(v.mv_data);
  else if (rc != 0 && rc != MDB_NOTFOUND)
    goto fail;
  v.mv_size = 4 + info_len;
  if ((rc = mdb_put(txn, db->meta, &k, &v, MDB_RESERVE)) != 0)
    goto fail;
  val = v.mv_data;
  put_u32(val, gen);
  memcpy(val + 4, run_info, info_len);

  if (had_old && old_gen != gen) {
    static const char *const parts[] = {"rec", "idx", "find", "schools", "blk"};
    size_t j;
    for (j = 0; j < 5; j++) {
      MDB_dbi dbi;
      gen_name(name, old_gen, parts[j]);
      if (mdb_dbi_open(txn, name, 0, &dbi) == 0 && (rc = mdb_drop(txn, dbi, 1)) != 0)
        goto fail;
    }
  }
  memcpy(skey, "staging/", 8);
  put_u32(skey + 8, gen);
  k.mv_data = skey;
  k.mv_size = 12;
  rc = mdb_del(txn, db->meta, &k, NULL);
  if (rc != 0 && rc != MDB_NOTFOUND)
    goto fail;
  *what = "commit";
  return mdb_txn_commit(txn);
fail:
  free(buf);
  if (cur)
    mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  return rc;
}

int cc_index_publish(cc_db *db, const char *period, uint32_t gen,
                     const cc_finding_list *findings, const char *run_info)
{
  const char *what = "publishing the period";
  int rc = 0, tries;
  /* The findings are written only here, and their size is not known when
   * the map is sized for the stage: a full map is grown and the whole
   * transaction tried again (it was aborted, nothing of it is kept). */
  for (tries = 0; tries < MAP_TRIES; tries++) {
    rc = publish_txn(db, period, gen, findings, run_info, &what);
    if (rc != MDB_MAP_FULL)
      break;
    if ((rc = map_grow(db, (size_t)findings->n * 1024 + strlen(run_info))) != 0)
      break;
    rc = MDB_MAP_FULL;
  }
  return rc ? lmdb_error(rc, what) : 0;
}

/* Opens a read transaction on a published period's generation. */
static int begin_period(MDB_txn **txn, uint32_t *gen, cc_db *db,
                        const char *period)
{
  int rc;
  if (strlen(period) != 7)
    return cc_error_set(CC_EINVALID, "period '%s' is not of the form YYYY-MM", period);
  if ((rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, txn)) != 0)
    return lmdb_error(rc, "begin");
  if ((rc = cc_index_period_gen(gen, db, *txn, period)) < 0) {
    mdb_txn_abort(*txn);
    return rc;
  }
  return 0;
}

int cc_db_load_findings(cc_finding_list *out, cc_db *db, const char *period)
{
  MDB_txn *txn;
  MDB_dbi find;
  MDB_cursor *cur;
  MDB_val k, v;
  uint32_t gen;
  char name[32];
  int rc, mrc;

  memset(out, 0, sizeof *out);
  if ((rc = begin_period(&txn, &gen, db, period)) < 0)
    return rc;
  gen_name(name, gen, "find");
  if ((mrc = mdb_dbi_open(txn, name, 0, &find)) != 0 ||
      (mrc = mdb_cursor_open(txn, find, &cur)) != 0) {
    mdb_txn_abort(txn);
    return lmdb_error(mrc, "opening findings");
  }
  rc = 0;
  for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
       mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    cc_finding f;
    if ((rc = cc_index_decode_finding(&f, out, v.mv_data, v.mv_size)) < 0)
      break;
    if (cc_finding_push(out, &f) < 0) {
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      break;
    }
  }
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  if (rc < 0)
    cc_finding_list_dispose(out);
  return rc;
}

int cc_db_period_info(char **json, cc_db *db, const char *period)
{
  MDB_txn *txn;
  uint8_t key[14];
  MDB_val k = {14, key}, v;
  int rc;
  *json = NULL;
  if (strlen(period) != 7)
    return cc_error_set(CC_EINVALID, "period '%s' is not of the form YYYY-MM", period);
  if ((rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn)) != 0)
    return lmdb_error(rc, "begin");
  period_key(key, period);
  rc = mdb_get(txn, db->meta, &k, &v);
  if (rc == 0 && v.mv_size >= 4) {
    *json = strndup((const char *)v.mv_data + 4, v.mv_size - 4);
    rc = *json ? 0 : cc_error_set(CC_ENOMEM, "out of memory");
  } else if (rc == MDB_NOTFOUND) {
    rc = cc_error_set(CC_ENOTFOUND, "the database holds no period %s", period);
  } else {
    rc = lmdb_error(rc ? rc : MDB_CORRUPTED, "reading the period");
  }
  mdb_txn_abort(txn);
  return rc;
}

int cc_index_previous_period(char *prev, cc_db *db, const char *period)
{
  char **list = NULL;
  size_t n = 0, i;
  int rc = cc_db_periods(&list, &n, db), found = 0;
  if (rc < 0)
    return rc;
  /* Listed oldest first: the last one before `period` is the previous. */
  for (i = 0; i < n; i++) {
    if (strcmp(list[i], period) < 0) {
      snprintf(prev, 8, "%s", list[i]);
      found = 1;
    }
    free(list[i]);
  }
  free(list);
  return found ? 0 : CC_ENOTFOUND;
}

int cc_index_stage_schools(cc_stage *st, const cc_school_count *c, size_t n)
{
  MDB_dbi dbi;
  MDB_cursor *cur;
  char name[32];
  uint8_t key[33 + 1 + 256], val[8 + 8 + 1 + 16];
  MDB_val k, v;
  size_t i;
  int rc;
  gen_name(name, st->gen, "schools");
  if ((rc = mdb_dbi_open(st->txn, name, MDB_CREATE, &dbi)) != 0 ||
      (rc = mdb_cursor_open(st->txn, dbi, &cur)) != 0)
    return lmdb_error(rc, "writing school counts");
  for (i = 0; i < n; i++) {
    size_t ll = strlen(c[i].label), cl = strlen(c[i].school_code);
    size_t rl = strlen(c[i].region_code);
    memcpy(key, c[i].label, ll);
    key[ll] = 0x1F;
    memcpy(key + ll + 1, c[i].school_code, cl);
    put_u64(val, c[i].records);
    put_u64(val + 8, c[i].holding);
    val[16] = (uint8_t)rl;
    memcpy(val + 17, c[i].region_code, rl);
    k.mv_data = key;
    k.mv_size = ll + 1 + cl;
    v.mv_data = val;
    v.mv_size = 17 + rl;
    if ((rc = mdb_cursor_put(cur, &k, &v, 0)) != 0) {
      mdb_cursor_close(cur);
      return lmdb_error(rc, "writing school counts");
    }
  }
  mdb_cursor_close(cur);
  return 0;
}

int cc_db_school_counts(cc_school_count **out, size_t *n, cc_db *db,
                        const char *period)
{
  MDB_txn *txn;
  MDB_dbi dbi;
  MDB_cursor *cur;
  MDB_val k, v;
  uint32_t gen;
  char name[32];
  cc_school_count *list = NULL;
  size_t count = 0, cap = 0;
  int rc, mrc;

  *out = NULL;
  *n = 0;
  if ((rc = begin_period(&txn, &gen, db, period)) < 0)
    return rc;
  gen_name(name, gen, "schools");
  mrc = mdb_dbi_open(txn, name, 0, &dbi);
  if (mrc == MDB_NOTFOUND) {
    mdb_txn_abort(txn);
    return 0;
  }
  if (mrc != 0 || (mrc = mdb_cursor_open(txn, dbi, &cur)) != 0) {
    mdb_txn_abort(txn);
    return lmdb_error(mrc, "reading school counts");
  }
  for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
       mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    const uint8_t *kp = k.mv_data, *sep = memchr(kp, 0x1F, k.mv_size);
    const uint8_t *vp = v.mv_data;
    cc_school_count *c;
    size_t ll, cl, rl;
    if (sep == NULL || v.mv_size < 17) {
      rc = cc_error_set(CC_ECORRUPT, "database: bad school count");
      break;
    }
    ll = (size_t)(sep - kp);
    cl = k.mv_size - ll - 1;
    rl = vp[16];
    if (ll > 32 || cl > 255 || rl > 15 || 17 + rl > v.mv_size) {
      rc = cc_error_set(CC_ECORRUPT, "database: bad school count");
      break;
    }
    if (count == cap) {
      size_t ncap = cap ? cap * 2 : 1024;
      cc_school_count *grown = realloc(list, ncap * sizeof *grown);
      if (grown == NULL) {
        rc = cc_error_set(CC_ENOMEM, "out of memory");
        break;
      }
      list = grown;
      cap = ncap;
    }
    c = &list[count++];
    memset(c, 0, sizeof *c);
    memcpy(c->label, kp, ll);
    memcpy(c->school_code, sep + 1, cl);
    c->records = get_u64(vp);
    c->holding = get_u64(vp + 8);
    memcpy(c->region_code, vp + 17, rl);
  }
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  if (rc < 0) {
    free(list);
    return rc;
  }
  *out = list;
  *n = count;
  return 0;
}

int cc_index_roster_records(uint64_t *out, cc_db *db, const char *period,
                            const char *label)
{
  char *info = NULL, pat[64];
  const char *at;
  cc_school_count *sc = NULL;
  size_t n = 0, i;
  int rc, found = 0;

  *out = 0;
  if ((rc = cc_db_period_info(&info, db, period)) < 0)
    return rc;
  /* The run info is written by run.c, labels are [A-Za-z0-9_-]: the
   * roster's entry reads exactly {"label": "moe", "records": N, ...}. */
  snprintf(pat, sizeof pat, "{\"label\": \"%s\", \"records\": ", label);
  at = strstr(info, pat);
  if (at != NULL) {
    const char *p = at + strlen(pat);
    uint64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++)
      v = v * 10 + (uint64_t)(*p - '0');
    *out = v;
    found = 1;
  } else if (strstr(info, "\"rosters\": [") == NULL) {
    /* A period stored without its roster list: its school counts add up
     * to the same records. */
    if ((rc = cc_db_school_counts(&sc, &n, db, period)) < 0) {
      free(info);
      return rc;
    }
    for (i = 0; i < n; i++)
      if (strcmp(sc[i].label, label) == 0) {
        *out += sc[i].records;
        found = 1;
      }
    free(sc);
  }
  free(info);
  return found ? 0 : CC_ENOTFOUND;
}
