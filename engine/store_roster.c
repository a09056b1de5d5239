/*
 * store_roster.c - the roster and index layouts of a generation: writing
 * them (cc_stage) and reading them back (the rec look-ups, the idx
 * cursors). Each layout is encoded and decoded here and nowhere else, so a
 * change of a record's bytes is made in this file alone (the constants and
 * put_head/decode_rec for rec, cc_index_encode_idx/cc_index_decode_idx for
 * idx); a change that old databases cannot read bumps CC_DB_FORMAT.
 *
 * Integers in keys are big-endian, so that byte order is numeric order.
 * In values, numbers are varints: unsigned LEB128, 7 bits a byte, the
 * low group first, the high bit set on every byte but the last (0-127 take
 * one byte, up to 16383 two); a signed amount is zigzagged first (0 is 0,
 * -1 is 1, 1 is 2, ...). A "text" is
 *
 *   varint 2L + 1, then its L bytes as registered; or
 *   varint 2L, then L characters of 0-9 and X as nibbles, two a byte, the
 *         high nibble first (0-9 as themselves, X as 10), an odd one out
 *         padded with 15: texts of such characters only, no longer than
 *         the field allows (the ID 18, a record ID 32, others 0 - so an
 *         empty text is always the single byte 0).
 *
 * Either form decodes to the very bytes that were stored: an invalid ID
 * that holds another character, or a record ID of 33 digits, goes as
 * bytes.
 *
 * The head of a record, in rec and in idx:
 *
 *   offset  size  field
 *   0       1     status (cc_status, bits 0-2) | upgraded from 15 digits
 *                 (bit 3) | ID reason (bits 4-7)
 *   1       1     ID verdict
 *   2       ...   text: the cleaned ID
 *   ...     ...   varint zigzag grant (fen), varint zigzag waiver (fen)
 *
 * "gXXXXXXXX.rec": records, in file order, a chunk of consecutive records
 * of one roster per value; after them, keyed past every roster, the
 * generation's dictionary.
 *
 *   key       offset  size  field
 *             0       2     u16 roster (0xFFFF: a dictionary entry)
 *             2       4     u32 line of the chunk's first record (of a
 *                           dictionary entry: its number, from 0)
 *
 *   value     size  field
 *             ...   varint n, the records in the chunk
 *             ...   n x (varint line less the previous record's line, the
 *                   first record's less the key's, so 0; varint size of
 *                   the record)
 *             ...   the records, one after another
 *
 *   record    size  field
 *             ...   the head
 *             ...   text: the name as registered
 *             ...   text: record_id as registered
 *             ...   varint: dictionary entry of school code, school name
 *                   and region code (the school)
 *             ...   varint: dictionary entry of study mode, grade,
 *                   enrollment date and program years (the term)
 *             ...   varint: dictionary entry of the major
 *
 *   dictionary entry value: its texts (3, 4 or 1, as the record's
 *   reference says), never as nibbles, so that a reader points into the
 *   map. Entries are numbered in the order first met, records in file
 *   order; an entry is stored once per generation however many records
 *   use it. A reader of many records (cc_read) reads the dictionary once;
 *   a single look-up (cc_index_get_rec) fetches the entries it needs.
 *
 *   A chunk is closed before it would pass half a page (see
 *   cc_index_stage_begin), so that two fill a leaf page: one LMDB append
 *   per chunk, not per record.
 *   One per record, the appends took 4.6 s on the thread that commits,
 *   most of the ingest stage on two threads. A record is found by the last
 *   chunk whose first line is not past its line, then its line in the
 *   chunk's table. A record too big for a chunk has one of its own.
 *
 *   Bytes per record at the bench's 1M (a valid ID, no grant, a 3-char
 *   name, a 14-digit record ID, 10-digit school code): before 2026-12-07
 *   (format 2) 8 of slot + 21 of head + 18 of ID + 10 x 2 of lengths + the
 *   texts (about 100) = about 170; now 2 of slot + 2 of head + 10 of ID +
 *   2 of amounts + 10 of name + 8 of record ID + 4-6 of references = about
 *   40 (bench/RESULTS.md has the measured figures: 43.8 with the pages'
 *   slack, 54.2 an idx entry; 268.6 -> 99.0 bytes written a record).
 *
 * "gXXXXXXXX.idx": the hash index, in key order, a chunk of consecutive
 * entries per value, closed as rec's are. The key is the chunk's first
 * entry's key.
 *
 *   value       size  field
 *               4     u32 n, the entries in the chunk
 *               ...   n x (entry key, varint length, entry value)
 *
 *   entry key   offset  size  field
 *               0       8     u64 XXH3-64 of the cleaned ID
 *               8       2     u16 roster
 *               10      4     u32 line
 *
 *   entry value size  field
 *               ...   the head
 *               1+S   u8 S + school code
 *               1+N   u8 N + folded name
 *
 *   Before (format 2): 16 + 21 + 18 + 11 + 10 = 76 bytes an entry at the
 *   bench's 1M; now 15 + 14 + 11 + 10 = 50.
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

#include <xxhash.h>

#include "chachong/record.h"
#include "bytes_internal.h"
#include "error_internal.h"
#include "grow_internal.h"
#include "mem_internal.h"
#include "store_lmdb_internal.h"

/* ------------------------------------------------------------------ */
/* Numbers and texts (the layout at the top of the file). */

/* rec keys of dictionary entries: past every roster. */
#define DICT_ROSTER 0xFFFF
/* Longest record ID stored as nibbles (cc_index_rec's record_id_buf). */
#define CC_REC_PACK_MAX 32
_Static_assert(sizeof((cc_index_rec *)0)->record_id_buf == CC_REC_PACK_MAX,
               "record_id_buf holds a packed record ID");
/* The head's first byte: status in 3 bits, the ID reason in 4. */
_Static_assert(CC_STATUS_COUNT_ <= 8 && CC_IDR_COUNT_ <= 16,
               "status and ID reason fit the head's bits");

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
  while (v >= 0x80) {
    *p++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *p++ = (uint8_t)v;
  return p;
}

static size_t varint_len(uint64_t v)
{
  size_t n = 1;
  for (; v >= 0x80; v >>= 7)
    n++;
  return n;
}

/* The varint at p into *v; the byte after it, or NULL when it runs past
 * end or past 64 bits. */
static const uint8_t *get_varint(const uint8_t *p, const uint8_t *end,
                                 uint64_t *v)
{
  uint64_t x = 0;
  unsigned shift;
  for (shift = 0; p < end && shift < 64; shift += 7) {
    uint8_t b = *p++;
    if (shift == 63 && b > 1)
      return NULL;
    x |= (uint64_t)(b & 0x7F) << shift;
    if (!(b & 0x80)) {
      *v = x;
      return p;
    }
  }
  return NULL;
}

static uint64_t zigzag(int64_t v)
{
  return v < 0 ? ~((uint64_t)v << 1) : (uint64_t)v << 1;
}

static int64_t unzigzag(uint64_t u)
{
  return u & 1 ? (int64_t) ~(u >> 1) : (int64_t)(u >> 1);
}

/* The nibble of a character of a packed text, or -1. */
static int nibble_of(char c)
{
  return c >= '0' && c <= '9' ? c - '0' : c == 'X' ? 10 : -1;
}

/* 1 when s goes as nibbles in a field that packs up to pack_max. */
static int packable(const char *s, size_t len, size_t pack_max)
{
  size_t i;
  if (len > pack_max)
    return 0;
  for (i = 0; i < len; i++)
    if (nibble_of(s[i]) < 0)
      return 0;
  return 1;
}

static size_t text_size(cc_str s, size_t pack_max)
{
  return packable(s.ptr, s.len, pack_max)
             ? 1 + (s.len + 1) / 2
             : varint_len(2 * (uint64_t)s.len + 1) + s.len;
}

static uint8_t *put_text(uint8_t *p, cc_str s, size_t pack_max)
{
  size_t i;
  if (!packable(s.ptr, s.len, pack_max)) {
    p = put_varint(p, 2 * (uint64_t)s.len + 1);
    memcpy(p, s.ptr, s.len); /* not empty: an empty text packs */
    return p + s.len;
  }
  *p++ = (uint8_t)(2 * s.len); /* s.len <= 32: one byte */
  for (i = 0; i + 1 < s.len; i += 2)
    *p++ = (uint8_t)(nibble_of(s.ptr[i]) << 4 | nibble_of(s.ptr[i + 1]));
  if (s.len % 2)
    *p++ = (uint8_t)(nibble_of(s.ptr[s.len - 1]) << 4 | 0xF);
  return p;
}

/* The text at p into *out: nibbles are unpacked into buf (cap bytes),
 * bytes are pointed at. The byte after it, or NULL when it is damaged. */
static const uint8_t *get_text(cc_str *out, const uint8_t *p,
                               const uint8_t *end, char *buf, size_t cap)
{
  uint64_t h, n;
  size_t i;
  if ((p = get_varint(p, end, &h)) == NULL)
    return NULL;
  n = h >> 1;
  if (h & 1) {
    if (n > (uint64_t)(end - p))
      return NULL;
    out->ptr = (const char *)p;
    out->len = (size_t)n;
    return p + n;
  }
  if (n > cap || (n + 1) / 2 > (uint64_t)(end - p))
    return NULL;
  for (i = 0; i < n; i++) {
    unsigned d = i % 2 ? p[i / 2] & 0xFu : (unsigned)p[i / 2] >> 4;
    if (d > 10)
      return NULL;
    buf[i] = d == 10 ? 'X' : (char)('0' + d);
  }
  if (n % 2 && (p[n / 2] & 0xF) != 0xF)
    return NULL;
  out->ptr = buf;
  out->len = (size_t)n;
  return p + (n + 1) / 2;
}

/* ------------------------------------------------------------------ */
/* Encoding. */

static cc_str id_str(const cc_record *rec)
{
  cc_str s = {rec->id, rec->id_len};
  return s;
}

static size_t head_size(const cc_record *rec)
{
  return 2 + text_size(id_str(rec), CC_ID_MAX) +
         varint_len(zigzag(rec->grant)) + varint_len(zigzag(rec->waiver));
}

static uint8_t *put_head(uint8_t *p, const cc_record *rec)
{
  /* Ingest's values: cc_status, cc_id_reason, 0 or 1. */
  assert(rec->status < 8 && rec->id_upgraded < 2 && rec->id_reason < 16);
  p[0] = (uint8_t)(rec->status | rec->id_upgraded << 3 | rec->id_reason << 4);
  p[1] = rec->id_verdict;
  p = put_text(p + 2, id_str(rec), CC_ID_MAX);
  p = put_varint(p, zigzag(rec->grant));
  return put_varint(p, zigzag(rec->waiver));
}

/* A decoded head; the ID is copied into id (CC_ID_MAX bytes). */
typedef struct head {
  uint8_t status, id_verdict, id_reason, id_upgraded;
  int64_t grant, waiver;
  uint8_t id_len;
} head;

/* A decoded head's fields into out (a cc_index_item or a cc_index_rec). */
#define SET_HEAD_FIELDS(out, h)                                                \
  do {                                                                         \
    (out)->status = (h).status;                                                \
    (out)->id_verdict = (h).id_verdict;                                        \
    (out)->id_reason = (h).id_reason;                                          \
    (out)->id_upgraded = (h).id_upgraded;                                      \
    (out)->grant = (h).grant;                                                  \
    (out)->waiver = (h).waiver;                                                \
  } while (0)

static const uint8_t *get_head(head *h, char *id, const uint8_t *p,
                               const uint8_t *end)
{
  cc_str s;
  uint64_t g, w;
  if (end - p < 3)
    return NULL;
  h->status = p[0] & 7;
  h->id_upgraded = p[0] >> 3 & 1;
  h->id_reason = p[0] >> 4;
  h->id_verdict = p[1];
  if ((p = get_text(&s, p + 2, end, id, CC_ID_MAX)) == NULL ||
      s.len > CC_ID_MAX)
    return NULL;
  if (s.ptr != id && s.len)
    memcpy(id, s.ptr, s.len);
  h->id_len = (uint8_t)s.len;
  if ((p = get_varint(p, end, &g)) == NULL ||
      (p = get_varint(p, end, &w)) == NULL)
    return NULL;
  h->grant = unzigzag(g);
  h->waiver = unzigzag(w);
  return p;
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

/* The dictionary's kinds of entry, in the order a record refers to them. */
static const cc_column dict_school[] = {CC_COL_SCHOOL_CODE, CC_COL_SCHOOL_NAME,
                                        CC_COL_REGION_CODE};
static const cc_column dict_term[] = {CC_COL_STUDY_MODE, CC_COL_GRADE,
                                      CC_COL_ENROLL_DATE, CC_COL_PROGRAM_YEARS};
static const cc_column dict_major[] = {CC_COL_MAJOR};
static const struct {
  const cc_column *col;
  size_t n;
} dict_kinds[] = {{dict_school, 3}, {dict_term, 4}, {dict_major, 1}};
#define N_DICT_KINDS (sizeof dict_kinds / sizeof dict_kinds[0])

/* The dictionary being built while a generation is staged. */
struct cc_dict_build {
  uint8_t *bytes; /* the entries' values, one after another */
  size_t len, cap;
  size_t *off;       /* entry i is bytes[off[i], off[i + 1]) */
  size_t n, cap_off; /* entries; off holds n + 1 */
  uint32_t *slot;    /* open addressing: entry number + 1, 0 empty */
  size_t n_slot;     /* a power of two, at least twice n */
  uint8_t *tmp;      /* the value being looked up */
  size_t tmp_cap;
  uint32_t last[N_DICT_KINDS]; /* each kind's entry of the last record + 1 */
};

static void dict_free(struct cc_dict_build *d)
{
  if (d == NULL)
    return;
  free(d->bytes);
  free(d->off);
  free(d->slot);
  free(d->tmp);
  free(d);
}

/* Puts entry e into the table (which has room). */
static void dict_slot_put(struct cc_dict_build *d, uint32_t e)
{
  size_t mask = d->n_slot - 1;
  size_t i =
      XXH3_64bits(d->bytes + d->off[e], d->off[e + 1] - d->off[e]) & mask;
  while (d->slot[i])
    i = (i + 1) & mask;
  d->slot[i] = e + 1;
}

/* The dictionary entry of kind k of rec, added when new, into *ref. */
static int dict_ref(struct cc_dict_build *d, size_t k, const cc_record *rec,
                    uint32_t *ref)
{
  size_t size = 0, i, mask;
  uint64_t h;
  uint8_t *p;
  for (i = 0; i < dict_kinds[k].n; i++)
    size += text_size(rec->text[dict_kinds[k].col[i]], 0);
  if (size > d->tmp_cap) {
    uint8_t *grown = realloc(d->tmp, size);
    if (grown == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory");
    d->tmp = grown;
    d->tmp_cap = size;
  }
  for (p = d->tmp, i = 0; i < dict_kinds[k].n; i++)
    p = put_text(p, rec->text[dict_kinds[k].col[i]], 0);
  /* Neighbouring records mostly share their school and term. */
  if (d->last[k]) {
    uint32_t e = d->last[k] - 1;
    if (d->off[e + 1] - d->off[e] == size &&
        memcmp(d->bytes + d->off[e], d->tmp, size) == 0) {
      *ref = e;
      return 0;
    }
  }
  if (2 * (d->n + 1) > d->n_slot) {
    size_t n_slot = d->n_slot ? 2 * d->n_slot : 1024;
    uint32_t *slot = calloc(n_slot, sizeof *slot);
    if (slot == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory");
    free(d->slot);
    d->slot = slot;
    d->n_slot = n_slot;
    for (i = 0; i < d->n; i++)
      dict_slot_put(d, (uint32_t)i);
  }
  mask = d->n_slot - 1;
  h = XXH3_64bits(d->tmp, size);
  for (i = h & mask; d->slot[i]; i = (i + 1) & mask) {
    uint32_t e = d->slot[i] - 1;
    if (d->off[e + 1] - d->off[e] == size &&
        memcmp(d->bytes + d->off[e], d->tmp, size) == 0) {
      *ref = e;
      d->last[k] = e + 1;
      return 0;
    }
  }
  if (d->n >= UINT32_MAX - 1 ||
      cc_grow((void **)&d->off, &d->cap_off, d->n + 2, sizeof *d->off) < 0 ||
      cc_grow((void **)&d->bytes, &d->cap, d->len + size, 1) < 0)
    return cc_error_set(CC_ENOMEM, "out of memory");
  memcpy(d->bytes + d->len, d->tmp, size);
  d->off[d->n] = d->len;
  d->len += size;
  d->off[d->n + 1] = d->len;
  d->slot[i] = (uint32_t)d->n + 1;
  *ref = (uint32_t)d->n;
  d->last[k] = (uint32_t)++d->n;
  return 0;
}

/* Appends the dictionary to rec, after the records. */
static int dict_write(cc_stage *st)
{
  struct cc_dict_build *d = st->dict;
  uint8_t key[6];
  MDB_val k = {6, key}, v;
  size_t i;
  int rc;
  for (i = 0; d && i < d->n; i++) {
    put_u16(key, DICT_ROSTER);
    put_u32(key + 2, (uint32_t)i);
    v.mv_data = d->bytes + d->off[i];
    v.mv_size = d->off[i + 1] - d->off[i];
    if ((rc = mdb_put(st->txn, st->rec, &k, &v, MDB_APPEND)) != 0)
      return cc_store_error(rc, "writing the dictionary");
  }
  return 0;
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

/* Bytes of the slot of a record of `len` bytes at `line` in the chunk
 * being filled. */
static size_t slot_size(const cc_stage *st, uint32_t line, size_t len)
{
  uint32_t prev = st->n_chunk ? st->slots[st->n_chunk - 1].line : line;
  return varint_len(line - prev) + varint_len(len);
}

/* Appends the chunk being filled to rec, and empties it. */
static int flush_chunk(cc_stage *st)
{
  uint8_t key[6], *p;
  MDB_val k = {6, key}, v;
  size_t head = varint_len(st->n_chunk) + st->chunk_tab, i;
  int rc;
  if (st->n_chunk == 0)
    return 0;
  put_u16(key, st->chunk_roster);
  put_u32(key + 2, st->slots[0].line);
  v.mv_size = head + st->chunk_len;
  /* MDB_RESERVE: written straight into the overflow pages. */
  if ((rc = mdb_put(st->txn, st->rec, &k, &v, MDB_APPEND | MDB_RESERVE)) != 0)
    return cc_store_error(rc, "writing records");
  p = put_varint(v.mv_data, st->n_chunk);
  for (i = 0; i < st->n_chunk; i++) {
    size_t to = i + 1 < st->n_chunk ? st->slots[i + 1].off : st->chunk_len;
    p = put_varint(p, st->slots[i].line - st->slots[i ? i - 1 : 0].line);
    p = put_varint(p, to - st->slots[i].off);
  }
  assert((size_t)(p - (uint8_t *)v.mv_data) == head);
  memcpy(p, st->chunk, st->chunk_len);
  st->n_chunk = 0;
  st->chunk_len = 0;
  st->chunk_tab = 0;
  return 0;
}

int cc_index_stage_record(cc_stage *st, const cc_record *rec)
{
  cc_str name = rec->name, rid = rec->text[CC_COL_RECORD_ID];
  uint32_t ref[N_DICT_KINDS];
  size_t len, i;
  uint8_t *p;
  int rc;

  if (rec->roster == DICT_ROSTER)
    return cc_error_set(CC_EINVALID, "too many rosters");
  if (st->dict == NULL && (st->dict = calloc(1, sizeof *st->dict)) == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  for (i = 0; i < N_DICT_KINDS; i++)
    if ((rc = dict_ref(st->dict, i, rec, &ref[i])) < 0)
      return rc;
  len = head_size(rec) + text_size(name, 0) + text_size(rid, CC_REC_PACK_MAX);
  for (i = 0; i < N_DICT_KINDS; i++)
    len += varint_len(ref[i]);
  /* A new chunk at a new roster, or when this record would push the chunk
   * past its pages (a record bigger than that has a chunk of its own). */
  if (st->n_chunk > 0 &&
      (rec->roster != st->chunk_roster ||
       varint_len(st->n_chunk + 1) + st->chunk_tab +
               slot_size(st, rec->line, len) + st->chunk_len + len >
           st->chunk_max) &&
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
  st->chunk_tab += slot_size(st, rec->line, len);
  st->chunk_roster = rec->roster;
  st->slots[st->n_chunk].line = rec->line;
  st->slots[st->n_chunk++].off = (uint32_t)st->chunk_len;
  p = put_head(st->chunk + st->chunk_len, rec);
  p = put_text(p, name, 0);
  p = put_text(p, rid, CC_REC_PACK_MAX);
  for (i = 0; i < N_DICT_KINDS; i++)
    p = put_varint(p, ref[i]);
  assert((size_t)(p - (st->chunk + st->chunk_len)) == len);
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
    size_t len = 14 + varint_len(e[i].len) + e[i].len;
    uint8_t *p;
    /* Payloads were written in file order and are read in hash order: ask
     * for them well ahead (both cache lines a payload may straddle) so
     * that the misses overlap. */
    if (i + IDX_PREFETCH < n) {
      __builtin_prefetch(e[i + IDX_PREFETCH].payload);
      __builtin_prefetch(e[i + IDX_PREFETCH].payload + e[i + IDX_PREFETCH].len -
                         1);
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
    p = put_varint(p + 14, e[i].len);
    memcpy(p, e[i].payload, e[i].len);
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
  dict_free(st->dict);
  st->chunk = st->ichunk = NULL;
  st->slots = NULL;
  st->dict = NULL;
  st->n_chunk = st->cap_chunk = st->chunk_len = st->chunk_cap = 0;
  st->chunk_tab = 0;
  st->n_ichunk = st->ichunk_len = st->ichunk_cap = 0;
}

int cc_index_stage_commit(cc_stage *st)
{
  int rc = flush_chunk(st);
  if (rc == 0)
    rc = flush_ichunk(st);
  if (rc == 0)
    rc = dict_write(st);
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
  head h;
  if (key->mv_size != 14 || (p = get_head(&h, out->id, p, end)) == NULL)
    return cc_error_set(CC_ECORRUPT, "database: bad index entry");
  out->hash = get_u64(k);
  out->roster = get_u16(k + 8);
  out->line = get_u32(k + 10);
  SET_HEAD_FIELDS(out, h);
  out->id_len = h.id_len;
  if (p >= end)
    return cc_error_set(CC_ECORRUPT, "database: bad index entry");
  out->school_code_len = *p++;
  out->school_code = (const char *)p;
  if (out->school_code_len >= end - p)
    return cc_error_set(CC_ECORRUPT, "database: bad index entry");
  p += out->school_code_len;
  out->name_folded_len = *p++;
  out->name_folded = (const char *)p;
  if (p + out->name_folded_len != end)
    return cc_error_set(CC_ECORRUPT, "database: bad index entry");
  return 0;
}

/* ------------------------------------------------------------------ */
/* The idx cursor. */

static void idx_key(uint8_t key[14], uint64_t hash, uint16_t roster,
                    uint32_t line)
{
  put_u64(key, hash);
  put_u16(key + 8, roster);
  put_u32(key + 10, line);
}

/* Takes the chunk the LMDB cursor is on. */
static int load_ichunk(cc_idx_cursor *c, const MDB_val *v)
{
  const uint8_t *p = v->mv_data;
  if (v->mv_size < 4 + 15 || get_u32(p) == 0)
    return cc_error_set(CC_ECORRUPT, "database: bad index chunk");
  c->chunk = p;
  c->p = p + 4;
  c->last = NULL;
  c->end = p + v->mv_size;
  return 0;
}

/* The value of the entry at p, whose key is p's first 14 bytes, into v;
 * NULL when the entry runs past end. */
static const uint8_t *entry_value(MDB_val *v, const uint8_t *p,
                                  const uint8_t *end)
{
  uint64_t len;
  if (end - p < 15 || (p = get_varint(p + 14, end, &len)) == NULL ||
      len > (uint64_t)(end - p))
    return NULL;
  v->mv_data = (void *)p;
  v->mv_size = (size_t)len;
  return p;
}

/* Decodes the entry at c->p and steps past it. */
static int take_entry(cc_idx_cursor *c, cc_index_item *out)
{
  MDB_val k, v;
  if (entry_value(&v, c->p, c->end) == NULL)
    return cc_error_set(CC_ECORRUPT, "database: bad index chunk");
  k.mv_data = (void *)c->p;
  k.mv_size = 14;
  c->last = c->p;
  c->p = (const uint8_t *)v.mv_data + v.mv_size;
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
  while (p < c->end) {
    MDB_val v;
    if (entry_value(&v, p, c->end) == NULL || /* take_entry says so */
        entry_key_cmp(p, hash, roster, line) >= 0) {
      c->p = p;
      return 1;
    }
    p = (const uint8_t *)v.mv_data + v.mv_size;
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

/* The in-memory entry e decoded as take_entry decodes its stored copy
 * (cc_index_stage_entries stores the same key and payload bytes). */
static int mem_entry(const cc_index_entry *e, cc_index_item *out)
{
  uint8_t key[14];
  MDB_val k = {14, key}, v;
  put_u64(key, e->hash);
  put_u16(key + 8, e->roster);
  put_u32(key + 10, e->line);
  v.mv_size = e->len;
  v.mv_data = (void *)e->payload;
  return cc_index_decode_idx(out, &k, &v);
}

/* (hash, roster, line) of e against the key given, as entry_key_cmp. */
static int mem_key_cmp(const cc_index_entry *e, uint64_t hash, uint16_t roster,
                       uint32_t line)
{
  if (e->hash != hash)
    return e->hash < hash ? -1 : 1;
  if (e->roster != roster)
    return e->roster < roster ? -1 : 1;
  return e->line < line ? -1 : e->line > line;
}

void cc_idx_close(cc_idx_cursor *c)
{
  if (c->cur)
    mdb_cursor_close(c->cur);
  c->cur = NULL;
}

int cc_idx_next(cc_idx_cursor *c, cc_index_item *out)
{
  if (c->mem) {
    if (c->at >= c->n_mem)
      return CC_ENOTFOUND;
    /* The walks go in key order; the payloads may lie in another (file
     * order, unless the caller gathered them): ask for one some entries
     * ahead (cc_index_stage_entries does the same). */
    if (c->at + IDX_PREFETCH < c->n_mem)
      __builtin_prefetch(c->mem[c->at + IDX_PREFETCH].payload);
    return mem_entry(&c->mem[c->at++], out);
  }
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
  if (c->mem) {
    /* The first entry at or after the key, by bisection; when the key is
     * past the last entry returned (the walks ask in key order), between
     * there and a bound found in steps doubling from there. */
    size_t lo = 0, hi = c->n_mem, step = 1;
    if (c->at > 0 && c->at <= c->n_mem &&
        mem_key_cmp(&c->mem[c->at - 1], hash, roster, line) < 0) {
      lo = hi = c->at;
      while (hi < c->n_mem &&
             mem_key_cmp(&c->mem[hi], hash, roster, line) < 0) {
        lo = hi + 1;
        hi += step;
        step *= 2;
      }
      if (hi > c->n_mem)
        hi = c->n_mem;
    }
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (mem_key_cmp(&c->mem[mid], hash, roster, line) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    c->at = lo;
    return cc_idx_next(c, out);
  }
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
  if (rc == 0 &&
      (out->hash != hash || out->roster != roster || out->line != line))
    rc = CC_ENOTFOUND;
  return rc;
}

/* Where a record's dictionary entries are read from: the whole
 * dictionary read beforehand (cc_read), or else look-ups in rec. */
typedef struct dict_src {
  int whole; /* 1: all[0, n) */
  const MDB_val *all;
  size_t n;
  MDB_txn *txn;
  MDB_dbi rec;
} dict_src;

static int dict_get(MDB_val *v, const dict_src *d, uint64_t ref)
{
  uint8_t key[6];
  MDB_val k = {6, key};
  int rc;
  if (d->whole) {
    if (ref >= d->n)
      return cc_error_set(CC_ECORRUPT, "database: bad record");
    *v = d->all[ref];
    return 0;
  }
  if (ref > UINT32_MAX)
    return cc_error_set(CC_ECORRUPT, "database: bad record");
  put_u16(key, DICT_ROSTER);
  put_u32(key + 2, (uint32_t)ref);
  rc = mdb_get(d->txn, d->rec, &k, v);
  if (rc == MDB_NOTFOUND)
    return cc_error_set(CC_ECORRUPT, "database: bad record");
  return rc ? cc_store_error(rc, "reading the dictionary") : 0;
}

/* Decodes one record of a rec chunk (layout at the top of the file). */
static int decode_rec(cc_index_rec *out, const uint8_t *p, size_t size,
                      const dict_src *d)
{
  const uint8_t *end = p + size;
  head h;
  size_t k, i;
  int rc;

  memset(out, 0, sizeof *out);
  if ((p = get_head(&h, out->id_buf, p, end)) == NULL ||
      (p = get_text(&out->text[CC_COL_NAME], p, end, NULL, 0)) == NULL ||
      (p = get_text(&out->text[CC_COL_RECORD_ID], p, end, out->record_id_buf,
                    CC_REC_PACK_MAX)) == NULL)
    return cc_error_set(CC_ECORRUPT, "database: bad record");
  SET_HEAD_FIELDS(out, h);
  out->id.ptr = out->id_buf;
  out->id.len = h.id_len;
  for (k = 0; k < N_DICT_KINDS; k++) {
    uint64_t ref;
    MDB_val v;
    const uint8_t *q, *qend;
    if ((p = get_varint(p, end, &ref)) == NULL)
      return cc_error_set(CC_ECORRUPT, "database: bad record");
    if ((rc = dict_get(&v, d, ref)) < 0)
      return rc;
    q = v.mv_data;
    qend = q + v.mv_size;
    for (i = 0; i < dict_kinds[k].n; i++)
      if ((q = get_text(&out->text[dict_kinds[k].col[i]], q, qend, NULL, 0)) ==
          NULL)
        return cc_error_set(CC_ECORRUPT, "database: bad dictionary entry");
    if (q != qend)
      return cc_error_set(CC_ECORRUPT, "database: bad dictionary entry");
  }
  if (p != end)
    return cc_error_set(CC_ECORRUPT, "database: bad record");
  return 0;
}

/* Finds record `line` in a chunk whose first record is at `first`:
 * CC_ENOTFOUND when the chunk does not hold it. */
static int chunk_find(cc_index_rec *out, const MDB_val *v, uint32_t first,
                      uint32_t line, const dict_src *d)
{
  const uint8_t *p = v->mv_data, *end = p + v->mv_size;
  uint64_t n, i, at = first, off = 0, len = 0, tab;
  /* The table first, to learn where the records start. */
  if ((p = get_varint(p, end, &n)) == NULL || n == 0 ||
      n > (uint64_t)(end - p) / 2)
    return cc_error_set(CC_ECORRUPT, "database: bad record chunk");
  {
    const uint8_t *q = p;
    uint64_t a, b;
    for (i = 0; i < n; i++)
      if ((q = get_varint(q, end, &a)) == NULL ||
          (q = get_varint(q, end, &b)) == NULL)
        return cc_error_set(CC_ECORRUPT, "database: bad record chunk");
    tab = (uint64_t)(q - (const uint8_t *)v->mv_data);
  }
  for (i = 0; i < n; i++) {
    uint64_t delta = 0;
    off += len;
    p = get_varint(p, end, &delta);
    p = get_varint(p, end, &len);
    at += delta;
    if (at >= line)
      break;
  }
  if (i == n || at != line)
    return CC_ENOTFOUND;
  if (off + len > v->mv_size - tab)
    return cc_error_set(CC_ECORRUPT, "database: bad record chunk");
  return decode_rec(out, (const uint8_t *)v->mv_data + tab + off, (size_t)len,
                    d);
}

/* cc_index_cursor_rec with the dictionary from d. */
static int cursor_rec(cc_index_rec *out, MDB_cursor *cur, uint16_t roster,
                      uint32_t line, const dict_src *d)
{
  uint8_t key[6];
  MDB_val k = {6, key}, v;
  int rc;

  put_u16(key, roster);
  put_u32(key + 2, line);
  /* The chunk holding the line is the last whose first line is not past
   * it: the first key at or after (roster, line), or the one before.
   * Keys asked for in order mostly stay on the cursor's leaf page. */
  rc = roster == DICT_ROSTER ? MDB_NOTFOUND
                             : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  if (rc == 0 && memcmp(k.mv_data, key, 6) != 0)
    rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
  else if (rc == MDB_NOTFOUND && roster != DICT_ROSTER)
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
  if (rc == MDB_NOTFOUND)
    return cc_error_set(CC_ENOTFOUND, "database: no record %u:%u", roster,
                        line);
  if (rc != 0)
    return cc_store_error(rc, "reading a record");
  if (k.mv_size != 6 || get_u16(k.mv_data) != roster ||
      (rc = chunk_find(out, &v, get_u32((const uint8_t *)k.mv_data + 2), line,
                       d)) == CC_ENOTFOUND)
    return cc_error_set(CC_ENOTFOUND, "database: no record %u:%u", roster,
                        line);
  return rc;
}

int cc_index_cursor_rec(cc_index_rec *out, MDB_cursor *cur, uint16_t roster,
                        uint32_t line)
{
  dict_src d = {0, NULL, 0, mdb_cursor_txn(cur), mdb_cursor_dbi(cur)};
  return cursor_rec(out, cur, roster, line, &d);
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

/* Reads r's generation's dictionary into r->dict (pointing into the map):
 * the entries numbered from 0, at the end of rec. */
static int dict_read(cc_read *r)
{
  uint8_t key[6];
  MDB_val k = {6, key}, v;
  size_t cap = 0;
  int rc;
  put_u16(key, DICT_ROSTER);
  put_u32(key + 2, 0);
  for (rc = mdb_cursor_get(r->rec_cur, &k, &v, MDB_SET_RANGE); rc == 0;
       rc = mdb_cursor_get(r->rec_cur, &k, &v, MDB_NEXT)) {
    if (k.mv_size != 6 || get_u16(k.mv_data) != DICT_ROSTER ||
        get_u32((const uint8_t *)k.mv_data + 2) != r->n_dict)
      return cc_error_set(CC_ECORRUPT, "database: bad dictionary");
    if (cc_grow((void **)&r->dict, &cap, r->n_dict + 1, sizeof *r->dict) < 0)
      return cc_error_set(CC_ENOMEM, "out of memory");
    r->dict[r->n_dict++] = v;
  }
  if (rc != MDB_NOTFOUND)
    return cc_store_error(rc, "reading the dictionary");
  r->dict_read = 1;
  return 0;
}

int cc_store_rec_get(cc_index_rec *out, cc_read *r, uint16_t roster,
                     uint32_t line)
{
  dict_src d = {1, NULL, 0, NULL, 0};
  int rc;
  if (r->g->mem)
    return cc_error_set(CC_ERROR, "internal error: a generation in memory "
                                  "has no records");
  if (r->rec_cur == NULL &&
      (rc = mdb_cursor_open(r->txn, r->g->rec, &r->rec_cur)) != 0) {
    r->rec_cur = NULL;
    return cc_store_error(rc, "reading a record");
  }
  if (!r->dict_read && (rc = dict_read(r)) < 0)
    return rc;
  d.all = r->dict;
  d.n = r->n_dict;
  return cursor_rec(out, r->rec_cur, roster, line, &d);
}

int cc_store_idx_open(cc_idx_cursor *c, cc_read *r)
{
  if (r->g->mem) {
    memset(c, 0, sizeof *c);
    c->mem = r->g->mem;
    c->n_mem = r->g->n_mem;
    return 0;
  }
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

/* 1 when rec holds records but no dictionary: a generation written in
 * format 1 or 2, whose records and index this version cannot read; 0
 * when it is of this format; < 0 on error. */
static int old_layout(MDB_txn *txn, MDB_dbi rec)
{
  uint8_t key[6];
  MDB_val k = {6, key}, v;
  MDB_stat ms;
  int rc;
  put_u16(key, DICT_ROSTER);
  put_u32(key + 2, 0);
  rc = mdb_get(txn, rec, &k, &v);
  if (rc == 0)
    return 0;
  if (rc != MDB_NOTFOUND || (rc = mdb_stat(txn, rec, &ms)) != 0)
    return cc_store_error(rc, "reading the dictionary");
  return ms.ms_entries > 0;
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
  if ((rc = old_layout(txn, rec)) != 0) {
    if (rc == 1)
      rc = cc_error_set(CC_ECORRUPT,
                        "database: period %s was stored by an "
                        "older chachong (format 2): run it again to look up "
                        "its records",
                        period);
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
      copy_str(e->school_name, sizeof e->school_name,
               r.text[CC_COL_SCHOOL_NAME]);
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
