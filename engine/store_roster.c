/*
 * store_roster.c - the roster and index layouts of a generation: writing
 * them (cc_stage) and reading them back (the rec look-ups, the idx
 * cursors). Each layout is encoded and decoded here and nowhere else, so a
 * change of a record's bytes is made in this file alone (the constants and
 * put_head/decode_rec for rec, cc_index_encode_idx/cc_index_decode_idx for
 * idx); a change that old databases cannot read bumps CC_DB_FORMAT.
 *
 * All integers are big-endian, so that byte order is numeric order.
 *
 * "gXXXXXXXX.rec": records, in file order, a chunk of consecutive records
 * of one roster per value.
 *
 *   key       offset  size  field
 *             0       2     u16 roster
 *             2       4     u32 line of the chunk's first record
 *
 *   value     offset  size  field
 *             0       4     u32 n, the records in the chunk
 *             4       8n    n x (u32 line, u32 offset of the record from
 *                           the start of the value)
 *             4+8n    ...   the records, each running to the next one's
 *                           offset (the last one to the value's end)
 *
 *   record    offset  size  field
 *             0       1     status (cc_status)
 *             1       1     ID verdict
 *             2       1     ID reason
 *             3       1     1: upgraded from 15 digits
 *             4       8     i64 grant (fen)
 *             12      8     i64 waiver (fen)
 *             20      1     L, the cleaned ID's length
 *             21      L     the cleaned ID
 *             21+L    ...   u16 length + bytes, as registered, of: name,
 *                           school_code, school_name, region_code,
 *                           record_id, study_mode, grade, enroll_date,
 *                           program_years, major (rec_columns)
 *
 *   A chunk is closed before it would pass half a page (see
 *   cc_index_stage_begin), so that two fill a leaf page: one LMDB append
 *   per chunk (11 records on average at national scale), not per record.
 *   One per record, the appends took 4.6 s on the thread that commits,
 *   most of the ingest stage on two threads. A record is found by the last
 *   chunk whose first line is not past its line, then its line in the
 *   chunk's table. A record too big for a chunk has one of its own.
 *
 * "gXXXXXXXX.idx": the hash index, in key order, a chunk of consecutive
 * entries per value (26 on average at national scale), closed as rec's
 * are. The key is the chunk's first entry's key.
 *
 *   value       offset  size  field
 *               0       4     u32 n, the entries in the chunk
 *               4       ...   n x (entry key, u16 length, entry value)
 *
 *   entry key   offset  size  field
 *               0       8     u64 XXH3-64 of the cleaned ID
 *               8       2     u16 roster
 *               10      4     u32 line
 *
 *   entry value offset  size  field
 *               0       21    as a record's offsets 0-20 (status, verdict,
 *                             reason, upgraded, grant, waiver, L)
 *               21      L     the cleaned ID
 *               21+L    1+S   u8 S + school code
 *               22+L+S  1+N   u8 N + folded name
 *
 *   Everything the exact comparison needs is in the value, so the compare
 *   stage reads this database sequentially and touches "rec" only for the
 *   members of findings. Equal hashes are resolved by the full ID. Read
 *   through cc_idx_cursor. With one entry per value, appending 17.5
 *   million entries took 2.1 s after the payloads had been copied into
 *   hash order (0.6 s); in chunks it takes 1.4-1.8 s reading the payloads
 *   where ingest left them, no copy.
 *
 * "gXXXXXXXX.blk" held the fuzzy tier's blocking index in databases
 * written before 2026-12; the blocks now live in memory for the run only
 * (run.c, fuzzy.c). The name stays in the list of a generation's databases
 * so that such generations are still dropped whole (cc_store_gen_drop).
 *
 * "gXXXXXXXX.schools": records per school, for rates.
 *
 *   key       roster label | 0x1F | school code
 *   value     offset  size  field
 *             0       8     u64 records
 *             8       8     u64 of which hold an enrollment
 *             16      1+R   u8 R + the smallest region code
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chachong/record.h"
#include "bytes_internal.h"
#include "error_internal.h"
#include "grow_internal.h"
#include "mem_internal.h"
#include "store_lmdb_internal.h"

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
   * it is address space, not memory (see cc_store_map_grow). */
  mdb_env_info(db->env, &info);
  mdb_env_stat(db->env, &ms);
  want = (info.me_last_pgno + 1) * (size_t)ms.ms_psize + estimate * 8 +
         ((size_t)1 << 30);
  if (want > info.me_mapsize && (rc = mdb_env_set_mapsize(db->env, want)) != 0)
    return cc_store_error(rc, "growing the map");
  /* Two chunks to a leaf page: half a page less the page header (16 bytes
   * in LMDB 0.9; 64 leaves room), a node header and its index slot (8 + 2)
   * and the key. Values past about half a page go to overflow pages, and
   * LMDB's dirty list counts a run of overflow pages as one entry: with
   * chunks of four pages a write transaction held 2 GB more before it
   * spilled (peak 5.5 GB at national scale instead of 4.0). */
  st->chunk_max = ((size_t)ms.ms_psize - 64) / 2 - 8 - 2 - 6;
  st->ichunk_max = ((size_t)ms.ms_psize - 64) / 2 - 8 - 2 - 14;
  if ((rc = mdb_txn_begin(db->env, NULL, 0, &st->txn)) != 0)
    return cc_store_error(rc, "begin");
  if ((rc = cc_store_next_gen(db, st->txn, &st->gen)) != 0)
    goto fail;
  cc_store_gen_name(name, st->gen, "rec");
  if ((rc = mdb_dbi_open(st->txn, name, MDB_CREATE, &st->rec)) != 0)
    goto fail;
  cc_store_gen_name(name, st->gen, "idx");
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
  return cc_store_error(rc, "staging");
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
    return cc_store_error(rc, "writing records");
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
    return cc_store_error(rc, "writing the index");
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
    return cc_store_error(rc, "commit");
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
    return cc_store_error(rc, "reading the index");
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
      return cc_store_error(rc, "reading the index");
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
    return cc_store_error(rc, "reading the index");
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
    return cc_store_error(rc, "reading a record");
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
    return cc_store_error(rc, "reading a record");
  rc = cc_index_cursor_rec(out, cur, roster, line);
  mdb_cursor_close(cur);
  return rc;
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
  cc_store_gen_name(name, st->gen, "schools");
  if ((rc = mdb_dbi_open(st->txn, name, MDB_CREATE, &dbi)) != 0 ||
      (rc = mdb_cursor_open(st->txn, dbi, &cur)) != 0)
    return cc_store_error(rc, "writing school counts");
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
      return cc_store_error(rc, "writing school counts");
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
  if ((rc = cc_store_begin_period(&txn, &gen, db, period)) < 0)
    return rc;
  cc_store_gen_name(name, gen, "schools");
  mrc = cc_store_dbi_read(txn, name, &dbi);
  if (mrc == MDB_NOTFOUND) {
    cc_store_txn_done(txn);
    return 0;
  }
  if (mrc != 0 || (mrc = mdb_cursor_open(txn, dbi, &cur)) != 0) {
    cc_store_txn_done(txn);
    return cc_store_error(mrc, "reading school counts");
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
  cc_store_txn_done(txn);
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


/* ------------------------------------------------------------------ */
/* Reading through a cc_read (store_internal.h). */

int cc_store_rec_get(cc_index_rec *out, cc_read *r, uint16_t roster,
                     uint32_t line)
{
  int rc;
  if (r->rec_cur == NULL &&
      (rc = mdb_cursor_open(r->txn, r->g->rec, &r->rec_cur)) != 0) {
    r->rec_cur = NULL;
    return cc_store_error(rc, "reading a record");
  }
  return cc_index_cursor_rec(out, r->rec_cur, roster, line);
}

int cc_store_idx_open(cc_idx_cursor *c, cc_read *r)
{
  return cc_idx_open(c, r->txn, r->g->idx);
}

/* ------------------------------------------------------------------ */
/* The pre-registration check. */

/*
 * Who holds a person's enrollments in a period: the
 * pre-registration check of the service (SPEC 5, `004_...` 四(一)).
 *
 * One read transaction: the period's generation, its hash index searched
 * for XXH3-64 of the cleaned ID (index.c draws the layout), each entry
 * with that hash and that very ID kept when its status holds an
 * enrollment (在籍, 休学), and its school name read from the record. The
 * roster labels come from the period's run information, in roster order.
 */

/* The n-th "label" of the run info's "rosters" list, into out. */
static void roster_label(char *out, size_t cap, const char *info, unsigned n)
{
  const char *p = info ? strstr(info, "\"rosters\"") : NULL;
  unsigned i;
  snprintf(out, cap, "%u", n);
  for (i = 0; p; i++) {
    const char *q;
    p = strstr(p, "\"label\": \"");
    if (p == NULL)
      return;
    p += 10;
    q = strchr(p, '"');
    if (q == NULL)
      return;
    if (i == n) {
      snprintf(out, cap, "%.*s", (int)(q - p), p);
      return;
    }
    p = q;
  }
}

static void copy_str(char *out, size_t cap, cc_str s)
{
  size_t n = s.len < cap - 1 ? s.len : cap - 1;
  if (n)
    memcpy(out, s.ptr, n);
  out[n] = '\0';
}

int cc_db_enrollments(cc_enrollment **out, size_t *n, cc_db *db,
                      const char *period, const char *id, size_t id_len)
{
  MDB_txn *txn = NULL;
  MDB_dbi rec, idx;
  cc_idx_cursor cur;
  cc_index_item it;
  cc_enrollment *list = NULL;
  size_t count = 0;
  uint64_t hash = cc_id_hash(id, id_len);
  uint32_t gen;
  char *info = NULL;
  int rc, opened = 0;

  *out = NULL;
  *n = 0;
  if ((rc = cc_db_period_info(&info, db, period)) < 0)
    return rc;
  if ((rc = cc_store_txn_read(db->env, &txn)) != 0) {
    rc = cc_error_set(CC_EIO, "database: begin: %s", mdb_strerror(rc));
    txn = NULL;
    goto done;
  }
  if ((rc = cc_index_period_gen(&gen, db, txn, period)) < 0)
    goto done;
  if ((rc = cc_index_open_gen(&rec, &idx, NULL, txn, gen)) != 0) {
    rc = cc_error_set(CC_EIO, "database: opening period %s: %s", period,
                      mdb_strerror(rc));
    goto done;
  }
  if ((rc = cc_idx_open(&cur, txn, idx)) < 0)
    goto done;
  opened = 1;
  for (rc = cc_idx_seek(&cur, &it, hash, 0, 0); rc == 0 && it.hash == hash;
       rc = cc_idx_next(&cur, &it)) {
    cc_index_rec r;
    cc_enrollment *e, *grown;
    if (it.id_len != id_len || memcmp(it.id, id, id_len) != 0 ||
        !cc_status_holds((cc_status)it.status))
      continue;
    grown = realloc(list, (count + 1) * sizeof *list);
    if (grown == NULL) {
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      goto done;
    }
    list = grown;
    e = &list[count++];
    memset(e, 0, sizeof *e);
    roster_label(e->label, sizeof e->label, info, it.roster);
    snprintf(e->school_code, sizeof e->school_code, "%.*s",
             (int)it.school_code_len, it.school_code);
    e->status = it.status;
    if (cc_index_get_rec(&r, txn, rec, it.roster, it.line) == 0)
      copy_str(e->school_name, sizeof e->school_name, r.text[CC_COL_SCHOOL_NAME]);
  }
  if (rc == CC_ENOTFOUND || rc == 0)
    rc = 0;
done:
  if (opened)
    cc_idx_close(&cur);
  if (txn)
    cc_store_txn_done(txn);
  free(info);
  if (rc < 0) {
    free(list);
    return rc;
  }
  *out = list;
  *n = count;
  return 0;
}
