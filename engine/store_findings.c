/*
 * store_findings.c - the findings store: the findings of each published
 * period (written at publish, loaded whole, or one by its finding_id) and
 * the schools' responses to them.
 *
 * All integers are big-endian, so that byte order is numeric order.
 *
 * "gXXXXXXXX.find": the findings of the period, in output order.
 *
 *   key       u32 sequence
 *   value     offset  size  field
 *             0       1     layout: 1, or 2 when a policy reason ends it
 *             1       1     type
 *             2       1     cross
 *             3       1     ID valid
 *             4       1     ID reason
 *             5       1     state
 *             6       1     deadline provisional
 *             7       1     cleared on time
 *             8       1     claimed
 *             9       1     response action
 *             10      8     u64 finding_id
 *             18      8     i64 amount at risk (fen)
 *             26      4     i32 issued (cc_date day number)
 *             30      4     i32 deadline
 *             34      4     i32 seen
 *             38      4     i32 cleared
 *             42      4     i32 response date
 *             46      7     first period "YYYY-MM"
 *             53      1+L   str8 cleaned ID
 *             ...           str16 person name, response by, response
 *                           school, response note
 *             ...     2     u16 member count, then per member: str8 roster
 *                           label, u32 line, u8 status, i64 grant, i64
 *                           waiver, str16 name, record_id, school_code,
 *                           school_name, region_code
 *             ...           fuzzy findings only: u8 basis, u16 confidence
 *                           x 10000, u8 evidence count, per evidence u8
 *                           field, u8 level, i16 weight x 10; per member
 *                           str8 cleaned ID
 *             last    1     layout 2 only: u8 policy reason. Layout 1
 *                           (every other finding, and every finding of a
 *                           database written before the policy rules)
 *                           decodes with reason 0, as before.
 *   (strN: an N-bit length, then the bytes)
 *
 * "gXXXXXXXX.fid": the findings of the period by finding_id, written at
 * publish beside "find", so that one finding of one period is read without
 * decoding the others (cc_store_finding_get), as the web service asks.
 * New in this version, format 2 unchanged: an older chachong ignores it,
 * and a generation without it is searched by reading the u64 at offset 10
 * of each "find" value.
 *
 *   key       offset  size  field
 *             0       8     u64 finding_id
 *             8       4     u32 sequence in "find"
 *   value     u32 sequence
 *
 * "responses": a log that outlives every period; one finding's responses
 * are adjacent and in the order recorded.
 *
 *   key       offset  size  field
 *             0       8     u64 finding_id
 *             8       8     u64 microseconds since 1970
 *   value     offset  size  field
 *             0       4     i32 date (cc_date)
 *             4       8     i64 recorded_at (Unix seconds)
 *             12      1     action
 *             13      1+S   str8 school code
 *             ...     1+B   str8 by
 *             ...     2+N   str16 note
 *             ...     1+F   str8 source: the file an imported answer came
 *                           from (chachong import-responses), else empty
 *             ...     4     u32 its row in that file, else 0
 *             ...     8     u64 XXH3-64 of that file's bytes, else 0
 *   A value that ends after the note was written before sources were kept
 *   and decodes with none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/time.h>

#include "buf_internal.h"
#include "bytes_internal.h"
#include "error_internal.h"
#include "finding_internal.h"
#include "store_lmdb_internal.h"

/* ------------------------------------------------------------------ */
/* Findings. */

/* A finding's value is built in a cc_buf (buf.c) over the caller's reused
 * memory. */
typedef cc_buf wbuf;

static uint8_t *wb_room(wbuf *w, size_t n)
{
  return (uint8_t *)cc_buf_extend(w, n);
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
  wbuf w;
  uint32_t i;
  size_t idl = strlen(f->id);
  cc_buf_init_reuse(&w, 0, *buf, *cap);
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
  /* The memory goes back to the caller, grown or not, failed or not. */
  *buf = (uint8_t *)w.p;
  *cap = w.cap;
  return cc_buf_error(&w) ? -1 : (long)w.len;
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
    if (rb_str(&r, &m->name, list, 1) < 0 ||
        rb_str(&r, &m->record_id, list, 1) < 0 ||
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

/* A key of the finding_id index, sorted before it is appended. */
typedef struct fid_key {
  uint64_t id;
  uint32_t seq;
} fid_key;

static int fid_cmp(const void *a, const void *b)
{
  const fid_key *x = a, *y = b;
  if (x->id != y->id)
    return x->id < y->id ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* One try of cc_index_publish: 0 or LMDB's code (*what says where). */
static int publish_txn(cc_db *db, const char *period, uint32_t gen,
                       const cc_finding_list *findings, const char *run_info,
                       const char **what)
{
  MDB_txn *txn;
  MDB_dbi find, fid;
  MDB_cursor *cur = NULL;
  char name[32];
  uint8_t key[14], seq[4], skey[12], fkey[12];
  MDB_val k, v;
  uint32_t old_gen = 0;
  int rc, had_old;
  size_t i, info_len = strlen(run_info), cap = 0;
  uint8_t *val, *buf = NULL;
  fid_key *ids = NULL;

  *what = "begin";
  if ((rc = mdb_txn_begin(db->env, NULL, 0, &txn)) != 0)
    return rc;
  *what = "publishing the period";
  cc_store_gen_name(name, gen, "find");
  if ((rc = mdb_dbi_open(txn, name, MDB_CREATE, &find)) != 0)
    goto fail;
  cc_store_gen_name(name, gen, "fid");
  if ((rc = mdb_dbi_open(txn, name, MDB_CREATE, &fid)) != 0 ||
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
  /* The finding_id index: findings are in output order, not id order, so
   * the keys are sorted first and appended, rather than each put into a
   * random leaf of the tree. */
  if (findings->n > 0 && (ids = malloc(findings->n * sizeof *ids)) == NULL) {
    rc = ENOMEM;
    goto fail;
  }
  for (i = 0; i < findings->n; i++) {
    ids[i].id = findings->items[i].finding_id;
    ids[i].seq = (uint32_t)i;
  }
  if (findings->n > 1)
    qsort(ids, findings->n, sizeof *ids, fid_cmp);
  if ((rc = mdb_cursor_open(txn, fid, &cur)) != 0)
    goto fail;
  for (i = 0; i < findings->n; i++) {
    put_u64(fkey, ids[i].id);
    put_u32(fkey + 8, ids[i].seq);
    put_u32(seq, ids[i].seq);
    k.mv_data = fkey;
    k.mv_size = sizeof fkey;
    v.mv_data = seq;
    v.mv_size = sizeof seq;
    if ((rc = mdb_cursor_put(cur, &k, &v, MDB_APPEND)) != 0)
      goto fail;
  }
  free(ids);
  ids = NULL;
  mdb_cursor_close(cur);
  cur = NULL;

  cc_store_period_key(key, period);
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

  if (had_old && old_gen != gen && (rc = cc_store_gen_drop(txn, old_gen)) != 0)
    goto fail;
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
  free(ids);
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
  for (tries = 0; tries < CC_STORE_MAP_TRIES; tries++) {
    rc = publish_txn(db, period, gen, findings, run_info, &what);
    if (rc != MDB_MAP_FULL)
      break;
    if ((rc = cc_store_map_grow(db, (size_t)findings->n * 1024 +
                                        strlen(run_info))) != 0)
      break;
    rc = MDB_MAP_FULL;
  }
  return rc ? cc_store_error(rc, what) : 0;
}

/* A read transaction on a published period, its generation and its find
 * database; on error nothing is left open. */
static int begin_find(MDB_txn **txn, MDB_dbi *find, uint32_t *gen, cc_db *db,
                      const char *period)
{
  char name[32];
  int rc;
  if ((rc = cc_store_begin_period(txn, gen, db, period)) < 0)
    return rc;
  cc_store_gen_name(name, *gen, "find");
  if ((rc = cc_store_dbi_read(*txn, name, find)) != 0) {
    cc_store_txn_done(*txn);
    return cc_store_error(rc, "opening findings");
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
  int rc, mrc;

  memset(out, 0, sizeof *out);
  if ((rc = begin_find(&txn, &find, &gen, db, period)) < 0)
    return rc;
  if ((mrc = mdb_cursor_open(txn, find, &cur)) != 0) {
    cc_store_txn_done(txn);
    return cc_store_error(mrc, "opening findings");
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
  cc_store_txn_done(txn);
  if (rc < 0)
    cc_finding_list_dispose(out);
  return rc;
}

/* The sequence number of finding `id` in a generation: through its fid
 * database, or, for a generation published before fid existed, by reading
 * the finding_id (offset 10) of each stored finding. LMDB's code. */
static int find_seq(uint32_t *seq, MDB_txn *txn, MDB_dbi find, uint32_t gen,
                    uint64_t id)
{
  MDB_dbi fid;
  MDB_cursor *cur;
  MDB_val k, v;
  uint8_t key[12] = {0};
  char name[32];
  int rc;

  cc_store_gen_name(name, gen, "fid");
  rc = cc_store_dbi_read(txn, name, &fid);
  if (rc == 0) {
    put_u64(key, id);
    k.mv_data = key;
    k.mv_size = sizeof key;
    if ((rc = mdb_cursor_open(txn, fid, &cur)) != 0)
      return rc;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (rc == 0 && (k.mv_size != 12 || memcmp(k.mv_data, key, 8) != 0))
      rc = MDB_NOTFOUND;
    if (rc == 0)
      *seq = get_u32((const uint8_t *)k.mv_data + 8);
    mdb_cursor_close(cur);
    return rc;
  }
  if (rc != MDB_NOTFOUND)
    return rc;
  if ((rc = mdb_cursor_open(txn, find, &cur)) != 0)
    return rc;
  for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    if (k.mv_size == 4 && v.mv_size >= 18 &&
        get_u64((const uint8_t *)v.mv_data + 10) == id) {
      *seq = get_u32(k.mv_data);
      break;
    }
  mdb_cursor_close(cur);
  return rc;
}

int cc_store_finding_get(cc_finding *out, cc_finding_list *list, cc_db *db,
                         const char *period, uint64_t finding_id)
{
  MDB_txn *txn;
  MDB_dbi find;
  MDB_val k, v;
  uint32_t gen, seq = 0;
  uint8_t key[4];
  char hex[17];
  int rc = 0, mrc;

  memset(out, 0, sizeof *out);
  if ((rc = begin_find(&txn, &find, &gen, db, period)) < 0)
    return rc;
  if ((mrc = find_seq(&seq, txn, find, gen, finding_id)) != 0)
    goto done;
  put_u32(key, seq);
  k.mv_data = key;
  k.mv_size = sizeof key;
  if ((mrc = mdb_get(txn, find, &k, &v)) == 0)
    rc = cc_index_decode_finding(out, list, v.mv_data, v.mv_size);
done:
  cc_store_txn_done(txn);
  if (mrc == MDB_NOTFOUND) {
    cc_finding_id_hex(hex, finding_id);
    return cc_error_set(CC_ENOTFOUND, "period %s has no finding %s", period,
                        hex);
  }
  if (mrc != 0)
    return cc_store_error(mrc, "reading a finding");
  return rc;
}

int cc_db_load_finding(cc_finding_list *out, cc_db *db, const char *period,
                       uint64_t finding_id)
{
  cc_finding f;
  int rc;
  memset(out, 0, sizeof *out);
  rc = cc_store_finding_get(&f, out, db, period, finding_id);
  if (rc == 0 && cc_finding_push(out, &f) < 0)
    rc = cc_error_set(CC_ENOMEM, "out of memory");
  if (rc < 0)
    cc_finding_list_dispose(out);
  return rc;
}

/* ------------------------------------------------------------------ */
/* Responses. */

static int decode_response(cc_response *r, const cc_bytes *k, const cc_bytes *v)
{
  const uint8_t *p = v->p, *end = p + v->n;
  size_t len;
  memset(r, 0, sizeof *r);
  if (k->n != 16 || v->n < 13)
    return cc_error_set(CC_ECORRUPT, "database: bad response");
  r->finding_id = get_u64(k->p);
  r->date = (cc_date)(int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                               (uint32_t)p[2] << 8 | p[3]);
  r->recorded_at = (int64_t)get_u64(p + 4);
  r->action = p[12];
  p += 13;
  len = p < end ? *p++ : 0;
  if (p + len > end || len >= sizeof r->school_code)
    return cc_error_set(CC_ECORRUPT, "database: bad response");
  memcpy(r->school_code, p, len);
  p += len;
  len = p < end ? *p++ : 0;
  if (p + len > end || len >= sizeof r->by)
    return cc_error_set(CC_ECORRUPT, "database: bad response");
  memcpy(r->by, p, len);
  p += len;
  if (p + 2 > end)
    return cc_error_set(CC_ECORRUPT, "database: bad response");
  len = (size_t)p[0] << 8 | p[1];
  p += 2;
  if (p + len > end || len >= sizeof r->note)
    return cc_error_set(CC_ECORRUPT, "database: bad response");
  memcpy(r->note, p, len);
  p += len;
  if (p == end)
    return 0; /* written before sources were kept */
  len = *p++;
  if (p + len + 12 > end || len >= sizeof r->source)
    return cc_error_set(CC_ECORRUPT, "database: bad response");
  memcpy(r->source, p, len);
  p += len;
  r->source_row =
      (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
  r->source_digest = get_u64(p + 4);
  return 0;
}

size_t cc_response_encode(uint8_t key[CC_RESPONSE_KEY_LEN], uint8_t *val,
                          const cc_response *r, int64_t now)
{
  uint8_t *p = val;
  size_t sl = strnlen(r->school_code, sizeof r->school_code - 1);
  size_t bl = strnlen(r->by, sizeof r->by - 1);
  size_t nl = strnlen(r->note, sizeof r->note - 1);
  size_t ol = strnlen(r->source, sizeof r->source - 1);

  memset(key, 0, CC_RESPONSE_KEY_LEN);
  put_u64(key, r->finding_id);
  p[0] = (uint8_t)((uint32_t)r->date >> 24);
  p[1] = (uint8_t)((uint32_t)r->date >> 16);
  p[2] = (uint8_t)((uint32_t)r->date >> 8);
  p[3] = (uint8_t)r->date;
  put_u64(p + 4, (uint64_t)(r->recorded_at ? r->recorded_at : now));
  p[12] = r->action;
  p += 13;
  *p++ = (uint8_t)sl;
  memcpy(p, r->school_code, sl);
  p += sl;
  *p++ = (uint8_t)bl;
  memcpy(p, r->by, bl);
  p += bl;
  *p++ = (uint8_t)(nl >> 8);
  *p++ = (uint8_t)nl;
  memcpy(p, r->note, nl);
  p += nl;
  *p++ = (uint8_t)ol;
  memcpy(p, r->source, ol);
  p += ol;
  p[0] = (uint8_t)(r->source_row >> 24);
  p[1] = (uint8_t)(r->source_row >> 16);
  p[2] = (uint8_t)(r->source_row >> 8);
  p[3] = (uint8_t)r->source_row;
  put_u64(p + 4, r->source_digest);
  p += 12;
  return (size_t)(p - val);
}

int cc_store_response_put(cc_db *db, const cc_response *r)
{
  uint8_t key[CC_RESPONSE_KEY_LEN], val[CC_RESPONSE_VALUE_MAX];
  struct timeval tv;
  size_t len;

  gettimeofday(&tv, NULL);
  len = cc_response_encode(key, val, r, (int64_t)tv.tv_sec);
  return cc_db_put_timed(db, CC_RESPONSE_DB, key, sizeof key, 8,
                         (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec,
                         val, len, "responses");
}

typedef struct each_ctx {
  uint64_t id;
  int (*fn)(void *ctx, const cc_response *r);
  void *ctx;
  int rc; /* fn's answer, or a decoding error */
} each_ctx;

static int each_one(void *vctx, const cc_bytes *k, const cc_bytes *v)
{
  each_ctx *e = vctx;
  cc_response r;
  if ((e->rc = decode_response(&r, k, v)) < 0)
    return 1;
  if (e->id && r.finding_id != e->id)
    return 1; /* past the finding's responses */
  e->rc = e->fn(e->ctx, &r);
  return e->rc != 0;
}

int cc_store_each_response(cc_db *db, uint64_t finding_id,
                           int (*fn)(void *ctx, const cc_response *r),
                           void *ctx)
{
  uint8_t key[16] = {0};
  each_ctx e;
  int rc;
  e.id = finding_id;
  e.fn = fn;
  e.ctx = ctx;
  e.rc = 0;
  put_u64(key, finding_id);
  rc = cc_db_each(db, "responses", finding_id ? key : NULL, sizeof key,
                  each_one, &e, "responses");
  return rc < 0 ? rc : e.rc;
}
