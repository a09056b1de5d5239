/*
 * check_index.c - the LMDB database of engine/store*.c and the index stage
 * of engine/index.c: opening, the byte layouts drawn at the top of the
 * store files, sorting index entries, and the
 * generation life cycle stage -> commit -> publish (or abort, or a run
 * killed between commit and publish).
 *
 * Every database lives in a mkdtemp directory removed after the test.
 * Expected bytes are written out by hand from the layout table, e.g. for
 * the layout test below (grant 2000 yuan = 200000 fen = 0x030D40, waiver
 * 1000 yuan = 100000 fen = 0x0186A0, line 74565 = 0x00012345, "张三" =
 * e5 bc a0 e4 b8 89).
 *
 * Findings are stored in the binary layout of "gXXXXXXXX.find" (store_findings.c).
 * Dates there are cc_date day numbers as big-endian i32: 2026-01-01 is day
 * 10957 (2000-01-01) + 26 * 365 + 7 leap days = 20454; November starts 304
 * days into a common year, December 334, so
 *   2026-11-23 = 20454 + 304 + 22 = 20780 = 0x512C
 *   2026-12-01 = 20454 + 334      = 20788 = 0x5134
 *   2026-12-07 = 20788 + 6        = 20794 = 0x513A
 *   2026-12-08 = 20794 + 1        = 20795 = 0x513B
 * and 1969-12-31 = -1 = ff ff ff ff. "王" = e7 8e 8b, "𠮷" = f0 a0 ae b7,
 * "李" = e6 9d 8e; 80050 fen = 0x0138B2, 100000 fen = 0x0186A0.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lmdb.h>

#include "chachong/errors.h"
#include "chachong/index.h"
#include "chachong/lifecycle.h"
#include "chachong/record.h"
#include "index_internal.h"
#include "store_lmdb_internal.h"
#include "mem_internal.h"
#include "test_util.h"

/* ------------------------------------------------------------------ */
/* Scratch directories: main() makes `root` and removes it after every test
 * ran (a failed test leaves its forked child through _exit, skipping the
 * teardown); each test gets its own directory under it. */

static char root[256];
static char scratch[320];

static void setup(void)
{
  tu_scratch_make(scratch, sizeof scratch, root);
}

static void teardown(void)
{
  tu_scratch_remove(scratch);
}

static char *path_in(const char *name)
{
  static char buf[4][512];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", scratch, name);
  return buf[k];
}

/* ------------------------------------------------------------------ */
/* Records. */

static void mkrec(cc_record *r, uint16_t roster, uint32_t line, const char *id,
                  const char *name, const char *school, cc_status status,
                  int64_t grant, int64_t waiver)
{
  memset(r, 0, sizeof *r);
  r->roster = roster;
  r->line = line;
  r->id_len = (uint8_t)strlen(id);
  memcpy(r->id, id, r->id_len);
  r->id_hash = cc_id_hash(id, r->id_len);
  r->status = (uint8_t)status;
  r->id_verdict = CC_ID_VALID;
  r->id_reason = CC_IDR_OK;
  r->grant = grant;
  r->waiver = waiver;
  r->name = tu_str(name);
  r->name_folded = tu_str(name);
  r->text[CC_COL_SCHOOL_CODE] = tu_str(school);
}

/* Stages records (in (roster, line) order) and their index entries, sorted
 * by the engine, and the school counts when `schools` is not NULL, and
 * commits. Returns the generation. With `keep`, the sorted entries and the
 * block of their payloads are handed back in keep[0] and keep[1] (to
 * free), else freed. */
static uint32_t stage_records_keep(cc_db *db, const char *period,
                                   const cc_record *recs, size_t n,
                                   const cc_school_count *schools,
                                   size_t n_schools, void *keep[2])
{
  cc_stage st;
  cc_index_entry *e = calloc(n ? n : 1, sizeof *e);
  uint8_t *payload = malloc((n ? n : 1) * CC_IDX_VALUE_MAX);
  size_t i;
  ck_assert_ptr_nonnull(e);
  ck_assert_ptr_nonnull(payload);
  ck_assert_int_eq(cc_index_stage_begin(&st, db, period, 1 << 20), 0);
  for (i = 0; i < n; i++) {
    ck_assert_int_eq(cc_index_stage_record(&st, &recs[i]), 0);
    e[i].hash = recs[i].id_hash;
    e[i].roster = recs[i].roster;
    e[i].line = recs[i].line;
    e[i].payload = payload + i * CC_IDX_VALUE_MAX;
    e[i].len =
        (uint16_t)cc_index_encode_idx(payload + i * CC_IDX_VALUE_MAX, &recs[i]);
  }
  ck_assert_int_eq(cc_index_sort(e, n, 1), 0);
  ck_assert_int_eq(cc_index_stage_entries(&st, e, n), 0);
  if (schools)
    ck_assert_int_eq(cc_index_stage_schools(&st, schools, n_schools), 0);
  ck_assert_int_eq(cc_index_stage_commit(&st), 0);
  if (keep) {
    keep[0] = e;
    keep[1] = payload;
  } else {
    free(e);
    free(payload);
  }
  return st.gen;
}

static uint32_t stage_records_schools(cc_db *db, const char *period,
                                      const cc_record *recs, size_t n,
                                      const cc_school_count *schools,
                                      size_t n_schools)
{
  return stage_records_keep(db, period, recs, n, schools, n_schools, NULL);
}

static uint32_t stage_records(cc_db *db, const char *period,
                              const cc_record *recs, size_t n)
{
  return stage_records_schools(db, period, recs, n, NULL, 0);
}

/* Publishes a list of findings (the caller's structs; publish only reads
 * them). */
static void publish_list(cc_db *db, const char *period, uint32_t gen,
                         cc_finding *f, size_t n, const char *info)
{
  cc_finding_list l;
  l.items = n ? f : NULL;
  l.n = n;
  l.mem_ = NULL;
  ck_assert_int_eq(cc_index_publish(db, period, gen, &l, info), 0);
}

/* Publishes findings told apart by their person's name: the i-th has
 * finding_id 0x1000 + i and one member at moe line i + 2. */
static void publish(cc_db *db, const char *period, uint32_t gen,
                    const char *const *names, size_t n, const char *info)
{
  cc_finding f[16];
  cc_member m[16];
  size_t i;
  ck_assert_uint_le(n, 16);
  for (i = 0; i < n; i++) {
    memset(&f[i], 0, sizeof f[i]);
    memset(&m[i], 0, sizeof m[i]);
    m[i].label = tu_str("moe");
    m[i].line = (uint32_t)i + 2;
    m[i].name = tu_str(names[i]);
    f[i].finding_id = 0x1000 + i;
    f[i].type = CC_FT_DUAL_ENROLLMENT;
    f[i].id_valid = 1;
    strcpy(f[i].id, "110101200501011239");
    f[i].person_name = tu_str(names[i]);
    f[i].members = &m[i];
    f[i].n_members = 1;
    strcpy(f[i].first_period, period);
  }
  publish_list(db, period, gen, f, n, info);
}

/* ------------------------------------------------------------------ */
/* Raw views of the database. */

static void thex(tu_text *t, const MDB_val *v)
{
  static const char hex[] = "0123456789abcdef";
  size_t i;
  for (i = 0; i < v->mv_size; i++) {
    char b[2];
    b[0] = hex[((const uint8_t *)v->mv_data)[i] >> 4];
    b[1] = hex[((const uint8_t *)v->mv_data)[i] & 15];
    tu_text_put(t, b, 2);
  }
}

/* Every named database and every key and value in it, as text: two dumps
 * are equal when the database holds the same data. The caller frees. */
static char *db_dump(cc_db *db)
{
  MDB_txn *txn;
  MDB_dbi main_dbi;
  MDB_cursor *cur;
  MDB_val k, v;
  tu_text t = {0};
  char names[256][64];
  size_t n = 0, i;

  ck_assert_int_eq(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn), 0);
  ck_assert_int_eq(mdb_dbi_open(txn, NULL, 0, &main_dbi), 0);
  ck_assert_int_eq(mdb_cursor_open(txn, main_dbi, &cur), 0);
  while (mdb_cursor_get(cur, &k, &v, n ? MDB_NEXT : MDB_FIRST) == 0) {
    ck_assert_uint_lt(k.mv_size, 64);
    ck_assert_uint_lt(n, 256);
    memcpy(names[n], k.mv_data, k.mv_size);
    names[n][k.mv_size] = '\0';
    n++;
  }
  mdb_cursor_close(cur);
  for (i = 0; i < n; i++) {
    MDB_dbi dbi;
    int mrc;
    tu_text_put(&t, "[", 1);
    tu_text_put(&t, names[i], strlen(names[i]));
    tu_text_put(&t, "]\n", 2);
    ck_assert_int_eq(mdb_dbi_open(txn, names[i], 0, &dbi), 0);
    ck_assert_int_eq(mdb_cursor_open(txn, dbi, &cur), 0);
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
      thex(&t, &k);
      tu_text_put(&t, "=", 1);
      thex(&t, &v);
      tu_text_put(&t, "\n", 1);
    }
    mdb_cursor_close(cur);
  }
  mdb_txn_abort(txn);
  if (t.p == NULL)
    tu_text_put(&t, "", 0);
  return t.p;
}

/* The names of the named databases, one per line. */
static char *db_names(cc_db *db)
{
  MDB_txn *txn;
  MDB_dbi main_dbi;
  MDB_cursor *cur;
  MDB_val k, v;
  tu_text t = {0};
  int mrc;
  ck_assert_int_eq(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn), 0);
  ck_assert_int_eq(mdb_dbi_open(txn, NULL, 0, &main_dbi), 0);
  ck_assert_int_eq(mdb_cursor_open(txn, main_dbi, &cur), 0);
  for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
       mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    tu_text_put(&t, k.mv_data, k.mv_size);
    tu_text_put(&t, "\n", 1);
  }
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  if (t.p == NULL)
    tu_text_put(&t, "", 0);
  return t.p;
}

/* The findings stored for a period, raw: each value in hex, one per line
 * (checking that keys are the sequence 0, 1, 2, ...). */
static char *period_findings(cc_db *db, const char *period)
{
  MDB_txn *txn;
  MDB_dbi find;
  MDB_cursor *cur;
  MDB_val k, v;
  tu_text t = {0};
  uint32_t gen, seq = 0;
  int mrc;
  ck_assert_int_eq(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn), 0);
  ck_assert_int_eq(cc_index_period_gen(&gen, db, txn, period), 0);
  ck_assert_int_eq(cc_index_open_gen(NULL, NULL, &find, txn, gen), 0);
  ck_assert_int_eq(mdb_cursor_open(txn, find, &cur), 0);
  for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
       mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    const uint8_t *kp = k.mv_data;
    /* key: u32 sequence, big-endian, from 0 */
    ck_assert_uint_eq(k.mv_size, 4);
    ck_assert_uint_eq((uint32_t)kp[0] << 24 | (uint32_t)kp[1] << 16 |
                          (uint32_t)kp[2] << 8 | kp[3],
                      seq);
    seq++;
    thex(&t, &v);
    tu_text_put(&t, "\n", 1);
  }
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  if (t.p == NULL)
    tu_text_put(&t, "", 0);
  return t.p;
}

/* The person names of a period's findings, through cc_db_load_findings,
 * one per line in stored order. */
static char *loaded(cc_db *db, const char *period)
{
  cc_finding_list l;
  tu_text t = {0};
  size_t i;
  ck_assert_int_eq(cc_db_load_findings(&l, db, period), 0);
  for (i = 0; i < l.n; i++) {
    tu_text_put(&t, l.items[i].person_name.ptr, l.items[i].person_name.len);
    tu_text_put(&t, "\n", 1);
  }
  cc_finding_list_dispose(&l);
  if (t.p == NULL)
    tu_text_put(&t, "", 0);
  return t.p;
}

static int meta_get(cc_db *db, const char *key, size_t klen, MDB_val *out,
                    uint8_t *copy, size_t cap)
{
  MDB_txn *txn;
  MDB_val k;
  int rc;
  k.mv_data = (void *)key;
  k.mv_size = klen;
  ck_assert_int_eq(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn), 0);
  rc = mdb_get(txn, db->meta, &k, out);
  if (rc == 0) {
    ck_assert_uint_le(out->mv_size, cap);
    memcpy(copy, out->mv_data, out->mv_size);
    out->mv_data = copy;
  }
  mdb_txn_abort(txn);
  return rc;
}

static size_t count_staging(cc_db *db)
{
  MDB_txn *txn;
  MDB_cursor *cur;
  MDB_val k, v;
  size_t n = 0;
  int mrc;
  ck_assert_int_eq(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn), 0);
  ck_assert_int_eq(mdb_cursor_open(txn, db->meta, &cur), 0);
  for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
       mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    if (k.mv_size >= 8 && memcmp(k.mv_data, "staging/", 8) == 0)
      n++;
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  return n;
}

static void free_periods(char **p, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    free(p[i]);
  free(p);
}

/* ------------------------------------------------------------------ */
/* Opening. */

START_TEST(test_index_open_creates_private_dir)
{
  const char *dir = path_in("a/b/db");
  struct stat sb;
  mode_t old = umask(0); /* the modes must come from the code */
  cc_db *db = tu_db_open(dir);
  MDB_val v;
  uint8_t fmt[8];
  umask(old);

  ck_assert_int_eq(stat(path_in("a"), &sb), 0);
  ck_assert_uint_eq(sb.st_mode & 07777, 0700);
  ck_assert_int_eq(stat(dir, &sb), 0);
  ck_assert(S_ISDIR(sb.st_mode));
  ck_assert_uint_eq(sb.st_mode & 07777, 0700);
  ck_assert_int_eq(stat(path_in("a/b/db/data.mdb"), &sb), 0);
  ck_assert_uint_eq(sb.st_mode & 07777, 0600);
  ck_assert_int_eq(stat(path_in("a/b/db/lock.mdb"), &sb), 0);
  ck_assert_uint_eq(sb.st_mode & 07777, 0600);

  /* "format" = u32 big-endian CC_DB_FORMAT (3: compact records, a
   * dictionary). */
  ck_assert_int_eq(meta_get(db, "format", 6, &v, fmt, sizeof fmt), 0);
  ck_assert_uint_eq(v.mv_size, 4);
  ck_assert_int_eq(memcmp(v.mv_data, "\0\0\0\3", 4), 0);
  ck_assert_int_eq(CC_DB_FORMAT, 3);
  cc_db_close(db);

  /* Reopening keeps it and finds no periods. */
  db = tu_db_open(dir);
  {
    char **p;
    size_t n = 99;
    ck_assert_int_eq(cc_db_periods(&p, &n, db), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(p);
  }
  cc_db_close(db);
  cc_db_close(NULL);
}
END_TEST

/* Writes "format" = bytes into the meta database of dir, bypassing the
 * engine. */
static void force_format(const char *dir, const void *bytes, size_t len)
{
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi meta;
  MDB_val k = {6, "format"}, v;
  v.mv_data = (void *)bytes;
  v.mv_size = len;
  ck_assert_int_eq(mdb_env_create(&env), 0);
  ck_assert_int_eq(mdb_env_set_maxdbs(env, 16), 0);
  ck_assert_int_eq(mdb_env_open(env, dir, 0, 0600), 0);
  ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
  ck_assert_int_eq(mdb_dbi_open(txn, "meta", 0, &meta), 0);
  ck_assert_int_eq(mdb_put(txn, meta, &k, &v, 0), 0);
  ck_assert_int_eq(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
}

START_TEST(test_index_open_other_format_is_corrupt)
{
  const char *dir = path_in("db");
  cc_db *db = tu_db_open(dir);
  MDB_val v;
  uint8_t fmt[8];
  cc_db_options ro = CC_DB_OPTIONS_INIT;
  int i;
  ro.read_only = 1;
  cc_db_close(db);

  /* Formats 1 (records one per value) and 2 (every field spelt out) are
   * read as they are, and marked 3 when opened for writing: only a run
   * reads records, those of its own generation, and the pre-registration
   * check refuses a period stored in them
   * (test_index_enrollments_old_layout). */
  {
    static const char *const old[] = {"\0\0\0\1", "\0\0\0\2"};
    for (i = 0; i < 2; i++) {
      force_format(dir, old[i], 4);
      ck_assert_int_eq(cc_db_open(&db, dir, &ro), 0);
      ck_assert_int_eq(meta_get(db, "format", 6, &v, fmt, sizeof fmt), 0);
      ck_assert_int_eq(memcmp(v.mv_data, old[i], 4), 0);
      cc_db_close(db);
      db = tu_db_open(dir);
      ck_assert_int_eq(meta_get(db, "format", 6, &v, fmt, sizeof fmt), 0);
      ck_assert_uint_eq(v.mv_size, 4);
      ck_assert_int_eq(memcmp(v.mv_data, "\0\0\0\3", 4), 0);
      cc_db_close(db);
    }
  }
  /* A later format is refused, and format 0. */
  force_format(dir, "\0\0\0\4", 4);
  db = (cc_db *)1;
  {
    cc_db_options o = CC_DB_OPTIONS_INIT;
    ck_assert_int_eq(cc_db_open(&db, dir, &o), CC_ECORRUPT);
    ck_assert_ptr_null(db);
    ck_assert_ptr_nonnull(strstr(cc_error_last(), "version 4"));
  }
  db = (cc_db *)1;
  ck_assert_int_eq(cc_db_open(&db, dir, &ro), CC_ECORRUPT);
  ck_assert_ptr_null(db);
  force_format(dir, "\0\0\0\0", 4);
  ck_assert_int_eq(cc_db_open(&db, dir, &ro), CC_ECORRUPT);
  ck_assert_ptr_null(db);

  /* A value of the wrong size is not format 3 either. */
  force_format(dir, "\0\0\3", 3);
  {
    cc_db_options o = CC_DB_OPTIONS_INIT;
    ck_assert_int_eq(cc_db_open(&db, dir, &o), CC_ECORRUPT);
    ck_assert_ptr_null(db);
  }

  /* Back to 3: opens again. */
  force_format(dir, "\0\0\0\3", 4);
  db = tu_db_open(dir);
  cc_db_close(db);
}
END_TEST

START_TEST(test_index_open_read_only_missing)
{
  cc_db *db = (cc_db *)1;
  cc_db_options ro = CC_DB_OPTIONS_INIT;
  struct stat sb;
  ro.read_only = 1;
  ck_assert_int_eq(cc_db_open(&db, path_in("nothing/here"), &ro), CC_ENOTFOUND);
  ck_assert_ptr_null(db);
  /* Reading creates nothing. */
  ck_assert_int_ne(stat(path_in("nothing"), &sb), 0);

  /* An existing directory without a database is a missing database too. */
  ck_assert_int_eq(mkdir(path_in("empty"), 0700), 0);
  db = (cc_db *)1;
  ck_assert_int_eq(cc_db_open(&db, path_in("empty"), &ro), CC_ENOTFOUND);
  ck_assert_ptr_null(db);
  ck_assert_int_ne(stat(path_in("empty/data.mdb"), &sb), 0);
}
END_TEST

START_TEST(test_index_open_read_only_reads)
{
  const char *dir = path_in("db");
  cc_db *db = tu_db_open(dir);
  cc_db_options ro = CC_DB_OPTIONS_INIT;
  cc_record r;
  uint32_t gen;
  static const char *const lines[] = {"x"};
  char **p;
  size_t n;
  char *f;

  mkrec(&r, 0, 2, "110101200501011239", "张三", "S1", CC_STATUS_ENROLLED, 0, 0);
  gen = stage_records(db, "2026-09", &r, 1);
  publish(db, "2026-09", gen, lines, 1, "{}");
  cc_db_close(db);

  ro.read_only = 1;
  db = NULL;
  ck_assert_int_eq(cc_db_open(&db, dir, &ro), 0);
  ck_assert_int_eq(cc_db_periods(&p, &n, db), 0);
  ck_assert_uint_eq(n, 1);
  ck_assert_str_eq(p[0], "2026-09");
  free_periods(p, n);
  f = loaded(db, "2026-09");
  ck_assert_str_eq(f, "x\n");
  free(f);
  /* Reading the run information and school counts needs no writing. */
  f = NULL;
  ck_assert_int_eq(cc_db_period_info(&f, db, "2026-09"), 0);
  ck_assert_str_eq(f, "{}");
  free(f);
  {
    cc_school_count *c = (cc_school_count *)1;
    ck_assert_int_eq(cc_db_school_counts(&c, &n, db, "2026-09"), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(c);
  }
  cc_db_close(db);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Byte layouts. */

START_TEST(test_index_layout_known_bytes)
{
  const char *id = "110101200501010018";
  cc_db *db = tu_db_open(path_in("db"));
  cc_record r;
  uint32_t gen;
  MDB_txn *txn;
  MDB_dbi rec, idx;
  MDB_val k, v;
  uint8_t key[14];
  uint64_t h = cc_id_hash(id, 18);
  int i;
  /* idx value (format 3): head 2 (休学) | upgraded 1 << 3 | reason 5
   * (check_digit) << 4 = 0x5A, verdict 1 | the ID as 18 nibbles (text
   * header 2 x 18 = 0x24) | grant 200000 zigzag 400000 = 0 + 53 x 128 +
   * 24 x 16384: varint 80 B5 18 | waiver 100000 zigzag 200000 = 64 + 26 x
   * 128 + 12 x 16384: C0 9A 0C | 2 "S1" | 6 "张三" */
  static const uint8_t idx_val[] = {0x5A, 1,    0x24, 0x11, 0x01, 0x01, 0x20,
                                    0x05, 0x01, 0x01, 0x00, 0x18, 0x80, 0xB5,
                                    0x18, 0xC0, 0x9A, 0x0C, 2,    'S',  '1',
                                    6,    0xe5, 0xbc, 0xa0, 0xe4, 0xb8, 0x89};
  /* rec value: a chunk of one record: n = 1 | line less the key's 0 |
   * size 29 | the record: the same head, name "张三" as bytes (text header
   * 2 x 6 + 1 = 13), record_id "" (0), dictionary entries 0 (the school
   * "S1", "", "370102"), 1 (the term "", "2", "", "") and 2 (the major
   * "") */
  static const uint8_t rec_val[] = {
      1,    0,    29,   0x5A, 1,    0x24, 0x11, 0x01, 0x01, 0x20, 0x05,
      0x01, 0x01, 0x00, 0x18, 0x80, 0xB5, 0x18, 0xC0, 0x9A, 0x0C, 13,
      0xe5, 0xbc, 0xa0, 0xe4, 0xb8, 0x89, 0,    0,    1,    2};
  /* The dictionary, in rec under u16 0xFFFF | u32 entry number: texts as
   * bytes only (2L + 1, then L bytes; "" is 0). */
  static const uint8_t dict0[] = {5,   'S', '1', 0,   13, '3',
                                  '7', '0', '1', '0', '2'};
  static const uint8_t dict1[] = {0, 3, '2', 0, 0};
  static const uint8_t dict2[] = {0};
  uint8_t enc[CC_IDX_VALUE_MAX];

  mkrec(&r, 1, 74565, id, "张三", "S1", CC_STATUS_SUSPENDED, 200000, 100000);
  r.id_verdict = CC_ID_INVALID;
  r.id_reason = CC_IDR_CHECK_DIGIT;
  r.id_upgraded = 1;
  r.text[CC_COL_REGION_CODE] = tu_str("370102");
  r.text[CC_COL_GRADE] = tu_str("2");
  ck_assert_uint_eq(cc_index_encode_idx(enc, &r), sizeof idx_val);
  ck_assert_int_eq(memcmp(enc, idx_val, sizeof idx_val), 0);

  gen = stage_records(db, "2026-09", &r, 1);
  ck_assert_int_eq(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn), 0);
  ck_assert_int_eq(cc_index_open_gen(&rec, &idx, NULL, txn, gen), 0);

  /* rec key: u16 roster | u32 line of the chunk's first record */
  k.mv_data = "\x00\x01\x00\x01\x23\x45";
  k.mv_size = 6;
  ck_assert_int_eq(mdb_get(txn, rec, &k, &v), 0);
  ck_assert_uint_eq(v.mv_size, sizeof rec_val);
  ck_assert_int_eq(memcmp(v.mv_data, rec_val, sizeof rec_val), 0);
  k.mv_data = "\xFF\xFF\x00\x00\x00\x00";
  ck_assert_int_eq(mdb_get(txn, rec, &k, &v), 0);
  ck_assert_uint_eq(v.mv_size, sizeof dict0);
  ck_assert_int_eq(memcmp(v.mv_data, dict0, sizeof dict0), 0);
  k.mv_data = "\xFF\xFF\x00\x00\x00\x01";
  ck_assert_int_eq(mdb_get(txn, rec, &k, &v), 0);
  ck_assert_uint_eq(v.mv_size, sizeof dict1);
  ck_assert_int_eq(memcmp(v.mv_data, dict1, sizeof dict1), 0);
  k.mv_data = "\xFF\xFF\x00\x00\x00\x02";
  ck_assert_int_eq(mdb_get(txn, rec, &k, &v), 0);
  ck_assert_uint_eq(v.mv_size, sizeof dict2);
  ck_assert_int_eq(memcmp(v.mv_data, dict2, sizeof dict2), 0);
  k.mv_data = "\xFF\xFF\x00\x00\x00\x03";
  ck_assert_int_eq(mdb_get(txn, rec, &k, &v), MDB_NOTFOUND);

  /* idx key: the chunk's first entry's key, u64 hash | u16 roster |
   * u32 line, big-endian; value: n = 1 | that key | varint length |
   * idx_val */
  for (i = 0; i < 8; i++)
    key[i] = (uint8_t)(h >> (56 - 8 * i));
  memcpy(key + 8, "\x00\x01\x00\x01\x23\x45", 6);
  k.mv_data = key;
  k.mv_size = 14;
  ck_assert_int_eq(mdb_get(txn, idx, &k, &v), 0);
  ck_assert_uint_eq(v.mv_size, 4 + 14 + 1 + sizeof idx_val);
  ck_assert_int_eq(memcmp(v.mv_data, "\0\0\0\1", 4), 0);
  ck_assert_int_eq(memcmp((const uint8_t *)v.mv_data + 4, key, 14), 0);
  ck_assert_uint_eq(((const uint8_t *)v.mv_data)[18], 28);
  ck_assert_uint_eq(sizeof idx_val, 28);
  ck_assert_int_eq(
      memcmp((const uint8_t *)v.mv_data + 19, idx_val, sizeof idx_val), 0);
  mdb_txn_abort(txn);
  cc_db_close(db);
}
END_TEST

/* A 255-byte school code: 251 'S' and 𠮷 (f0 a0 ae b7). */
static char long_code[256];
/* A 255-byte name: 85 x 李 (e6 9d 8e). */
static char long_name[256];
/* A 1000-byte school name. */
static char long_school_name[1001];

static void fill_long_strings(void)
{
  int i;
  memset(long_code, 'S', 251);
  memcpy(long_code + 251, "\xf0\xa0\xae\xb7", 4);
  long_code[255] = '\0';
  for (i = 0; i < 85; i++)
    memcpy(long_name + 3 * i, "\xe6\x9d\x8e", 3);
  long_name[255] = '\0';
  memset(long_school_name, 'x', 1000);
  long_school_name[1000] = '\0';
}

/* Fills the six records of the round trip, in (roster, line) order. */
static size_t roundtrip_records(cc_record *r)
{
  fill_long_strings();
  ck_assert_uint_eq(strlen(long_code), 255);
  ck_assert_uint_eq(strlen(long_name), 255);

  mkrec(&r[0], 0, 2, "110101200501011239", "张三", "4137010001",
        CC_STATUS_ENROLLED, 100000, 120000);
  r[0].text[CC_COL_SCHOOL_NAME] = tu_str("济南第一职业中等专业学校");
  r[0].text[CC_COL_REGION_CODE] = tu_str("370102");
  r[0].text[CC_COL_RECORD_ID] = tu_str("2024370100001");
  r[0].text[CC_COL_STUDY_MODE] = tu_str("全日制");
  r[0].text[CC_COL_GRADE] = tu_str("2");
  r[0].text[CC_COL_ENROLL_DATE] = tu_str("2024-09-01");
  r[0].text[CC_COL_PROGRAM_YEARS] = tu_str("3");
  r[0].text[CC_COL_MAJOR] = tu_str("数控技术应用");

  mkrec(&r[1], 0, 3, "11010120050101005X", "王\xf0\xa0\xae\xb7", long_code,
        CC_STATUS_SUSPENDED, 0, 0);
  r[1].id_upgraded = 1;

  mkrec(&r[2], 1, 2, "1101012005010100", "阿依古丽·买买提", "J1",
        CC_STATUS_WITHDRAWN, INT64_C(9007199254740993), 1);
  r[2].id_verdict = CC_ID_INVALID;
  r[2].id_reason = CC_IDR_LENGTH;
  r[2].name = tu_str(" 阿依古丽•买买提 ");

  mkrec(&r[3], 1, 4, "110101200501011239", "张三", "J1", CC_STATUS_GRADUATED, 0,
        0);
  r[3].text[CC_COL_SCHOOL_NAME] = tu_str(long_school_name);

  mkrec(&r[4], 1, 70000, "110101200501010018", long_name, long_code,
        CC_STATUS_CANCELLED, 0, 99);
  r[4].id_verdict = CC_ID_INVALID;
  r[4].id_reason = CC_IDR_CHECK_DIGIT;

  mkrec(&r[5], 2, 5, "11010120050101005X", "王\xf0\xa0\xae\xb7", "4137010001",
        CC_STATUS_TRANSFERRED, 5, 0);
  return 6;
}

static void assert_str(const char *p, size_t len, cc_str want)
{
  ck_assert_uint_eq(len, want.len);
  if (len)
    ck_assert_int_eq(memcmp(p, want.ptr, len), 0);
}

static int rec_order(const void *pa, const void *pb)
{
  const cc_record *a = *(const cc_record *const *)pa;
  const cc_record *b = *(const cc_record *const *)pb;
  if (a->id_hash != b->id_hash)
    return a->id_hash < b->id_hash ? -1 : 1;
  if (a->roster != b->roster)
    return a->roster < b->roster ? -1 : 1;
  return a->line < b->line ? -1 : a->line > b->line;
}

START_TEST(test_index_stage_roundtrip)
{
  static const cc_column cols[] = {
      CC_COL_SCHOOL_CODE, CC_COL_SCHOOL_NAME,   CC_COL_REGION_CODE,
      CC_COL_RECORD_ID,   CC_COL_STUDY_MODE,    CC_COL_GRADE,
      CC_COL_ENROLL_DATE, CC_COL_PROGRAM_YEARS, CC_COL_MAJOR};
  cc_record r[6];
  const cc_record *order[6];
  size_t n = roundtrip_records(r), i, j;
  cc_db *db = tu_db_open(path_in("db"));
  uint32_t gen = stage_records(db, "2026-09", r, n);
  MDB_txn *txn;
  MDB_dbi rec, idx;
  cc_idx_cursor icur;
  cc_index_item it;
  int mrc;
  char **p;
  size_t np;

  /* Committed but not published: no period yet. */
  ck_assert_int_eq(cc_db_periods(&p, &np, db), 0);
  ck_assert_uint_eq(np, 0);

  ck_assert_int_eq(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn), 0);
  ck_assert_int_eq(cc_index_open_gen(&rec, &idx, NULL, txn, gen), 0);

  /* Every record back, every field, byte for byte. */
  for (i = 0; i < n; i++) {
    cc_index_rec x;
    ck_assert_int_eq(cc_index_get_rec(&x, txn, rec, r[i].roster, r[i].line), 0);
    ck_assert_uint_eq(x.status, r[i].status);
    ck_assert_uint_eq(x.id_verdict, r[i].id_verdict);
    ck_assert_uint_eq(x.id_reason, r[i].id_reason);
    ck_assert_uint_eq(x.id_upgraded, r[i].id_upgraded);
    ck_assert_int_eq(x.grant, r[i].grant);
    ck_assert_int_eq(x.waiver, r[i].waiver);
    assert_str(x.id.ptr, x.id.len, tu_str(r[i].id));
    assert_str(x.text[CC_COL_NAME].ptr, x.text[CC_COL_NAME].len, r[i].name);
    for (j = 0; j < sizeof cols / sizeof cols[0]; j++)
      assert_str(x.text[cols[j]].ptr, x.text[cols[j]].len, r[i].text[cols[j]]);
  }
  {
    cc_index_rec x;
    ck_assert_int_eq(cc_index_get_rec(&x, txn, rec, 0, 4), CC_ENOTFOUND);
    ck_assert_int_eq(cc_index_get_rec(&x, txn, rec, 3, 2), CC_ENOTFOUND);
  }

  /* The index, in (hash, roster, line) order, every field. */
  for (i = 0; i < n; i++)
    order[i] = &r[i];
  qsort(order, n, sizeof order[0], rec_order);
  ck_assert_int_eq(cc_idx_open(&icur, txn, idx), 0);
  i = 0;
  for (mrc = cc_idx_next(&icur, &it); mrc == 0;
       mrc = cc_idx_next(&icur, &it), i++) {
    const cc_record *w;
    ck_assert_uint_lt(i, n);
    w = order[i];
    ck_assert_uint_eq(it.hash, w->id_hash);
    ck_assert_uint_eq(it.hash, cc_id_hash(w->id, w->id_len));
    ck_assert_uint_eq(it.roster, w->roster);
    ck_assert_uint_eq(it.line, w->line);
    ck_assert_uint_eq(it.status, w->status);
    ck_assert_uint_eq(it.id_verdict, w->id_verdict);
    ck_assert_uint_eq(it.id_reason, w->id_reason);
    ck_assert_uint_eq(it.id_upgraded, w->id_upgraded);
    ck_assert_int_eq(it.grant, w->grant);
    ck_assert_int_eq(it.waiver, w->waiver);
    assert_str(it.id, it.id_len, tu_str(w->id));
    assert_str(it.school_code, it.school_code_len, w->text[CC_COL_SCHOOL_CODE]);
    assert_str(it.name_folded, it.name_folded_len, w->name_folded);
  }
  ck_assert_int_eq(mrc, CC_ENOTFOUND);
  ck_assert_uint_eq(i, n);
  cc_idx_close(&icur);
  mdb_txn_abort(txn);
  cc_db_close(db);
}
END_TEST

static int item_key_cmp(const void *pa, const void *pb)
{
  const cc_record *a = *(const cc_record *const *)pa,
                  *b = *(const cc_record *const *)pb;
  return rec_order(&a, &b);
}

/* Records in many chunks: two rosters, gaps in the lines, cells of every
 * size up to one record bigger than a chunk's pages. Every record comes
 * back by itself and through one cursor in order; every gap, the lines
 * before the first and after the last of each roster, and a roster that
 * is not there are not found. The idx entries of the same records, in
 * chunks too: every one found by its key, alone and in order; a seek
 * between two keys lands on the later one; the walk sees all. */
START_TEST(test_index_rec_chunks)
{
  enum { N0 = 3000, N1 = 700 };
  static char big[40001];
  cc_record *r = calloc(N0 + N1, sizeof *r);
  char(*ids)[19] = calloc(N0 + N1, sizeof *ids);
  char(*names)[16] = calloc(N0 + N1, sizeof *names);
  cc_db *db = tu_db_open(path_in("db"));
  uint32_t gen;
  MDB_txn *txn;
  MDB_dbi rec, idx;
  MDB_cursor *cur;
  size_t i;
  ck_assert_ptr_nonnull(r);
  memset(big, 'm', sizeof big - 1);
  for (i = 0; i < N0 + N1; i++) {
    uint16_t roster = i < N0 ? 0 : 2;
    /* roster 0: lines 2, 5, 8, ...; roster 2: 10, 11, 12, ... */
    uint32_t line = i < N0 ? (uint32_t)(2 + 3 * i) : (uint32_t)(10 + i - N0);
    snprintf(ids[i], sizeof ids[i], "1101012005%08zu", i);
    snprintf(names[i], sizeof names[i], "n%zu", i);
    mkrec(&r[i], roster, line, ids[i], names[i], "S1", CC_STATUS_ENROLLED,
          (int64_t)i, 0);
    /* school names of 0 to 300 bytes, one in 97 of 1,500 (past half a
     * chunk), one 40,000-byte major (past a chunk) */
    r[i].text[CC_COL_SCHOOL_NAME].ptr = big;
    r[i].text[CC_COL_SCHOOL_NAME].len = i % 97 == 0 ? 1500 : (i * 7919) % 301;
    if (i == 1234) {
      r[i].text[CC_COL_MAJOR].ptr = big;
      r[i].text[CC_COL_MAJOR].len = sizeof big - 1;
    }
  }
  gen = stage_records(db, "2026-09", r, N0 + N1);
  ck_assert_int_eq(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn), 0);
  ck_assert_int_eq(cc_index_open_gen(&rec, &idx, NULL, txn, gen), 0);
  {
    MDB_stat ms;
    ck_assert_int_eq(mdb_stat(txn, rec, &ms), 0);
    /* several records to a chunk, and more than a handful of chunks */
    ck_assert_uint_gt(ms.ms_entries, 20);
    ck_assert_uint_lt(ms.ms_entries, (N0 + N1) / 4);
  }
  ck_assert_int_eq(mdb_cursor_open(txn, rec, &cur), 0);
  for (i = 0; i < N0 + N1; i++) {
    cc_index_rec a, b;
    ck_assert_int_eq(cc_index_get_rec(&a, txn, rec, r[i].roster, r[i].line), 0);
    ck_assert_int_eq(cc_index_cursor_rec(&b, cur, r[i].roster, r[i].line), 0);
    ck_assert_int_eq(a.grant, (int64_t)i);
    ck_assert_int_eq(b.grant, (int64_t)i);
    assert_str(a.id.ptr, a.id.len, tu_str(ids[i]));
    assert_str(b.text[CC_COL_NAME].ptr, b.text[CC_COL_NAME].len,
               tu_str(names[i]));
    assert_str(a.text[CC_COL_SCHOOL_NAME].ptr, a.text[CC_COL_SCHOOL_NAME].len,
               r[i].text[CC_COL_SCHOOL_NAME]);
    assert_str(b.text[CC_COL_MAJOR].ptr, b.text[CC_COL_MAJOR].len,
               r[i].text[CC_COL_MAJOR]);
    if (i < N0) { /* the two lines after each roster-0 line are gaps */
      ck_assert_int_eq(cc_index_get_rec(&a, txn, rec, 0, r[i].line + 1),
                       CC_ENOTFOUND);
      ck_assert_int_eq(cc_index_cursor_rec(&b, cur, 0, r[i].line + 2),
                       CC_ENOTFOUND);
    }
  }
  {
    cc_index_rec x;
    ck_assert_int_eq(cc_index_get_rec(&x, txn, rec, 0, 1), CC_ENOTFOUND);
    ck_assert_int_eq(cc_index_get_rec(&x, txn, rec, 0, 0), CC_ENOTFOUND);
    ck_assert_int_eq(cc_index_get_rec(&x, txn, rec, 1, 10), CC_ENOTFOUND);
    ck_assert_int_eq(cc_index_get_rec(&x, txn, rec, 2, 9), CC_ENOTFOUND);
    ck_assert_int_eq(cc_index_get_rec(&x, txn, rec, 2, 10 + N1), CC_ENOTFOUND);
    ck_assert_int_eq(cc_index_get_rec(&x, txn, rec, 3, 10), CC_ENOTFOUND);
    ck_assert_int_eq(cc_index_cursor_rec(&x, cur, 2, 11), 0);
    ck_assert_int_eq(x.grant, N0 + 1);
  }
  mdb_cursor_close(cur);

  /* idx */
  {
    const cc_record **order = malloc((N0 + N1) * sizeof *order);
    cc_idx_cursor ic, alone;
    cc_index_item it;
    MDB_stat ms;
    size_t seen = 0;
    int irc;
    ck_assert_ptr_nonnull(order);
    for (i = 0; i < N0 + N1; i++)
      order[i] = &r[i];
    qsort(order, N0 + N1, sizeof order[0], item_key_cmp);
    ck_assert_int_eq(mdb_stat(txn, idx, &ms), 0);
    ck_assert_uint_gt(ms.ms_entries, 20);
    ck_assert_uint_lt(ms.ms_entries, (N0 + N1) / 10);
    ck_assert_int_eq(cc_idx_open(&ic, txn, idx), 0);
    for (irc = cc_idx_next(&ic, &it); irc == 0; irc = cc_idx_next(&ic, &it)) {
      ck_assert_uint_lt(seen, N0 + N1);
      ck_assert_uint_eq(it.hash, order[seen]->id_hash);
      ck_assert_uint_eq(it.line, order[seen]->line);
      seen++;
    }
    ck_assert_int_eq(irc, CC_ENOTFOUND);
    ck_assert_uint_eq(seen, N0 + N1);
    for (i = 0; i < N0 + N1; i++) {
      const cc_record *w = order[i];
      /* in order, through one cursor */
      ck_assert_int_eq(cc_idx_get(&ic, &it, w->id_hash, w->roster, w->line), 0);
      ck_assert_int_eq(it.grant, w->grant);
      assert_str(it.id, it.id_len, tu_str(w->id));
      /* alone, on a fresh cursor */
      ck_assert_int_eq(cc_idx_open(&alone, txn, idx), 0);
      ck_assert_int_eq(cc_idx_get(&alone, &it, w->id_hash, w->roster, w->line),
                       0);
      ck_assert_int_eq(it.grant, w->grant);
      /* a key just after this one (no record has line + 1 under this
       * hash) is not there, and seeking it lands on the next entry */
      ck_assert_int_eq(
          cc_idx_get(&alone, &it, w->id_hash, w->roster, w->line + 1),
          CC_ENOTFOUND);
      irc = cc_idx_seek(&alone, &it, w->id_hash, w->roster, w->line + 1);
      if (i + 1 < N0 + N1) {
        ck_assert_int_eq(irc, 0);
        ck_assert_uint_eq(it.hash, order[i + 1]->id_hash);
        ck_assert_uint_eq(it.line, order[i + 1]->line);
      } else {
        ck_assert_int_eq(irc, CC_ENOTFOUND);
      }
      cc_idx_close(&alone);
    }
    /* Before the first key: the first entry. */
    ck_assert_int_eq(cc_idx_seek(&ic, &it, 0, 0, 0), 0);
    ck_assert_uint_eq(it.hash, order[0]->id_hash);
    /* Backwards through one cursor works too. */
    for (i = N0 + N1; i-- > 0;)
      ck_assert_int_eq(cc_idx_get(&ic, &it, order[i]->id_hash, order[i]->roster,
                                  order[i]->line),
                       0);
    cc_idx_close(&ic);
    free(order);
  }
  mdb_txn_abort(txn);
  cc_db_close(db);
  free(r);
  free(ids);
  free(names);
}
END_TEST

/* cc_records by (roster, line): the order the rec database takes. */
static int roster_line_order(const void *pa, const void *pb)
{
  const cc_record *a = pa, *b = pb;
  if (a->roster != b->roster)
    return a->roster < b->roster ? -1 : 1;
  return a->line < b->line ? -1 : a->line > b->line;
}

/* Two items read of the same entry, field by field. */
static void assert_same_item(const cc_index_item *a, const cc_index_item *b)
{
  ck_assert_uint_eq(a->hash, b->hash);
  ck_assert_uint_eq(a->roster, b->roster);
  ck_assert_uint_eq(a->line, b->line);
  ck_assert_uint_eq(a->status, b->status);
  ck_assert_uint_eq(a->id_verdict, b->id_verdict);
  ck_assert_uint_eq(a->id_reason, b->id_reason);
  ck_assert_uint_eq(a->id_upgraded, b->id_upgraded);
  ck_assert_int_eq(a->grant, b->grant);
  ck_assert_int_eq(a->waiver, b->waiver);
  ck_assert_uint_eq(a->id_len, b->id_len);
  ck_assert_int_eq(memcmp(a->id, b->id, a->id_len), 0);
  ck_assert_uint_eq(a->school_code_len, b->school_code_len);
  ck_assert_int_eq(memcmp(a->school_code, b->school_code, a->school_code_len),
                   0);
  ck_assert_uint_eq(a->name_folded_len, b->name_folded_len);
  ck_assert_int_eq(memcmp(a->name_folded, b->name_folded, a->name_folded_len),
                   0);
}

/* A generation in memory (cc_store_gen_memory) reads as the stored one:
 * the same entries in the same order through cc_idx_next; the same answer
 * (an item, or CC_ENOTFOUND) from cc_idx_seek and cc_idx_get for every
 * key, a key just past each, keys before the first and past the last,
 * asked in key order through one cursor (the doubling steps), backwards,
 * and in a scattered order; and no records (cc_store_rec_get fails). 600
 * IDs of one to four records each over two rosters, so that many keys
 * share a hash. */
START_TEST(test_index_memory_generation)
{
  enum { IDS = 600, MAXR = 4 * IDS };
  cc_record *r = calloc(MAXR, sizeof *r);
  char(*ids)[19] = calloc(IDS, sizeof *ids);
  char(*names)[16] = calloc(MAXR, sizeof *names);
  void *keep[2];
  cc_index_entry *e;
  cc_db *db = tu_db_open(path_in("db"));
  uint32_t gen;
  cc_gen gd, gm;
  cc_read *rd, *rm;
  cc_idx_cursor cd, cm, walk_d, walk_m;
  cc_index_item a, b;
  size_t n = 0, i, k;
  int ra, rb;
  ck_assert_ptr_nonnull(r);
  for (i = 0; i < IDS; i++) {
    snprintf(ids[i], sizeof ids[i], "1101012006%08zu", i * 7);
    for (k = 0; k <= i % 4; k++, n++) {
      snprintf(names[n], sizeof names[n], "n%zu", n);
      mkrec(&r[n], (uint16_t)(k % 2), (uint32_t)(2 + n), ids[i], names[n],
            k % 2 ? "S2" : "S1", CC_STATUS_ENROLLED, (int64_t)n * 100,
            (int64_t)k);
    }
  }
  /* Records in (roster, line) order, as the rec database takes them. */
  qsort(r, n, sizeof *r, roster_line_order);
  gen = stage_records_keep(db, "2026-09", r, n, NULL, 0, keep);
  e = keep[0];

  ck_assert_int_eq(cc_store_gen_open(&gd, db, gen), 0);
  cc_store_gen_memory(&gm, e, n);
  ck_assert_int_eq(cc_store_read_begin(&rd, &gd), 0);
  ck_assert_int_eq(cc_store_read_begin(&rm, &gm), 0);
  ck_assert_int_eq(cc_store_idx_open(&walk_d, rd), 0);
  ck_assert_int_eq(cc_store_idx_open(&walk_m, rm), 0);
  for (i = 0;; i++) {
    ra = cc_idx_next(&walk_d, &a);
    rb = cc_idx_next(&walk_m, &b);
    ck_assert_int_eq(ra, rb);
    if (ra != 0)
      break;
    assert_same_item(&a, &b);
  }
  ck_assert_int_eq(ra, CC_ENOTFOUND);
  ck_assert_uint_eq(i, n);

  ck_assert_int_eq(cc_store_idx_open(&cd, rd), 0);
  ck_assert_int_eq(cc_store_idx_open(&cm, rm), 0);
  /* pass 0: in key order; 1: backwards; 2: scattered (i * 389 mod n) */
  for (k = 0; k < 3; k++)
    for (i = 0; i < n; i++) {
      size_t j = k == 0 ? i : k == 1 ? n - 1 - i : (i * 389) % n;
      const cc_index_entry *x = &e[j];
      ra = cc_idx_seek(&cd, &a, x->hash, x->roster, x->line);
      rb = cc_idx_seek(&cm, &b, x->hash, x->roster, x->line);
      ck_assert_int_eq(ra, 0);
      ck_assert_int_eq(rb, 0);
      assert_same_item(&a, &b);
      ck_assert_uint_eq(b.line, x->line);
      /* a key just past this one: the next entry, or none */
      ra = cc_idx_seek(&cd, &a, x->hash, x->roster, x->line + 1);
      rb = cc_idx_seek(&cm, &b, x->hash, x->roster, x->line + 1);
      ck_assert_int_eq(ra, rb);
      if (ra == 0)
        assert_same_item(&a, &b);
      ck_assert_int_eq(cc_idx_get(&cm, &b, x->hash, x->roster, x->line + 1),
                       CC_ENOTFOUND);
      ck_assert_int_eq(cc_idx_get(&cm, &b, x->hash, x->roster, x->line), 0);
      ck_assert_int_eq(cc_idx_get(&cd, &a, x->hash, x->roster, x->line), 0);
      assert_same_item(&a, &b);
    }
  /* Before the first key, past the last. */
  ck_assert_int_eq(cc_idx_seek(&cm, &b, 0, 0, 0), 0);
  ck_assert_int_eq(cc_idx_seek(&cd, &a, 0, 0, 0), 0);
  assert_same_item(&a, &b);
  ck_assert_int_eq(cc_idx_seek(&cm, &b, UINT64_MAX, UINT16_MAX, UINT32_MAX),
                   cc_idx_seek(&cd, &a, UINT64_MAX, UINT16_MAX, UINT32_MAX));
  /* No records in memory. */
  {
    cc_index_rec x;
    ck_assert_int_eq(cc_store_rec_get(&x, rm, r[0].roster, r[0].line),
                     CC_ERROR);
    ck_assert_int_eq(cc_store_rec_get(&x, rd, r[0].roster, r[0].line), 0);
  }
  cc_idx_close(&cd);
  cc_idx_close(&cm);
  cc_idx_close(&walk_d);
  cc_idx_close(&walk_m);
  cc_store_read_end(rd);
  cc_store_read_end(rm);
  cc_db_close(db);
  free(r);
  free(ids);
  free(names);
  free(keep[0]);
  free(keep[1]);
}
END_TEST

START_TEST(test_index_decode_rejects_damage)
{
  /* A well-formed value, then cut or stretched by one byte, or with an
   * ID length that runs past the value or past CC_ID_MAX. */
  cc_record r;
  uint8_t enc[CC_IDX_VALUE_MAX + 64], key[14] = {0};
  MDB_val k = {14, key}, v;
  cc_index_item it;
  size_t len;
  mkrec(&r, 0, 2, "110101200501011239", "张三", "S1", CC_STATUS_ENROLLED, 0, 0);
  len = cc_index_encode_idx(enc, &r);
  v.mv_data = enc;
  v.mv_size = len;
  ck_assert_int_eq(cc_index_decode_idx(&it, &k, &v), 0);
  v.mv_size = len - 1;
  ck_assert_int_eq(cc_index_decode_idx(&it, &k, &v), CC_ECORRUPT);
  v.mv_size = len + 1;
  ck_assert_int_eq(cc_index_decode_idx(&it, &k, &v), CC_ECORRUPT);
  v.mv_size = 22;
  ck_assert_int_eq(cc_index_decode_idx(&it, &k, &v), CC_ECORRUPT);
  v.mv_size = len;
  k.mv_size = 13;
  ck_assert_int_eq(cc_index_decode_idx(&it, &k, &v), CC_ECORRUPT);
  k.mv_size = 14;
  /* id length 40: longer than any cleaned ID, so not an index value */
  {
    uint8_t bad[128];
    size_t n = 0;
    memset(bad, 0, sizeof bad);
    n = 21;
    bad[20] = 40;
    memset(bad + 21, '1', 40);
    n += 40;
    bad[n++] = 0; /* school code "" */
    bad[n++] = 0; /* name "" */
    v.mv_data = bad;
    v.mv_size = n;
    ck_assert_int_eq(cc_index_decode_idx(&it, &k, &v), CC_ECORRUPT);
  }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Format 3: texts, varints and the dictionary, by hand. */

/* Appends n bytes at *at. */
static void cat(uint8_t *buf, size_t *at, const void *p, size_t n)
{
  memcpy(buf + *at, p, n);
  *at += n;
}

/* Every field of a record read back, against what was staged. */
static void assert_rec(const cc_index_rec *x, const cc_record *w)
{
  static const cc_column cols[] = {
      CC_COL_SCHOOL_CODE, CC_COL_SCHOOL_NAME,   CC_COL_REGION_CODE,
      CC_COL_RECORD_ID,   CC_COL_STUDY_MODE,    CC_COL_GRADE,
      CC_COL_ENROLL_DATE, CC_COL_PROGRAM_YEARS, CC_COL_MAJOR};
  size_t j;
  ck_assert_uint_eq(x->status, w->status);
  ck_assert_uint_eq(x->id_verdict, w->id_verdict);
  ck_assert_uint_eq(x->id_reason, w->id_reason);
  ck_assert_uint_eq(x->id_upgraded, w->id_upgraded);
  ck_assert_int_eq(x->grant, w->grant);
  ck_assert_int_eq(x->waiver, w->waiver);
  ck_assert_uint_eq(x->id.len, w->id_len);
  if (w->id_len)
    ck_assert_int_eq(memcmp(x->id.ptr, w->id, w->id_len), 0);
  assert_str(x->text[CC_COL_NAME].ptr, x->text[CC_COL_NAME].len, w->name);
  for (j = 0; j < sizeof cols / sizeof cols[0]; j++)
    assert_str(x->text[cols[j]].ptr, x->text[cols[j]].len, w->text[cols[j]]);
}

/* Every record staged, read back alone (cc_index_get_rec: dictionary
 * entries looked up), through one cursor, and through a cc_read (the
 * dictionary read whole); the index entries by key. */
static void assert_staged(cc_db *db, uint32_t gen, const cc_record *r, size_t n)
{
  MDB_txn *txn;
  MDB_dbi rec, idx;
  MDB_cursor *cur;
  cc_idx_cursor icur;
  cc_gen g;
  cc_read *rd;
  size_t i;
  ck_assert_int_eq(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn), 0);
  ck_assert_int_eq(cc_index_open_gen(&rec, &idx, NULL, txn, gen), 0);
  ck_assert_int_eq(mdb_cursor_open(txn, rec, &cur), 0);
  ck_assert_int_eq(cc_idx_open(&icur, txn, idx), 0);
  for (i = 0; i < n; i++) {
    cc_index_rec x;
    cc_index_item it;
    ck_assert_int_eq(cc_index_get_rec(&x, txn, rec, r[i].roster, r[i].line), 0);
    assert_rec(&x, &r[i]);
    ck_assert_int_eq(cc_index_cursor_rec(&x, cur, r[i].roster, r[i].line), 0);
    assert_rec(&x, &r[i]);
    ck_assert_int_eq(
        cc_idx_get(&icur, &it, r[i].id_hash, r[i].roster, r[i].line), 0);
    ck_assert_uint_eq(it.status, r[i].status);
    ck_assert_uint_eq(it.id_verdict, r[i].id_verdict);
    ck_assert_uint_eq(it.id_reason, r[i].id_reason);
    ck_assert_uint_eq(it.id_upgraded, r[i].id_upgraded);
    ck_assert_int_eq(it.grant, r[i].grant);
    ck_assert_int_eq(it.waiver, r[i].waiver);
    assert_str(it.id, it.id_len, tu_str(r[i].id));
    assert_str(it.school_code, it.school_code_len,
               r[i].text[CC_COL_SCHOOL_CODE]);
    assert_str(it.name_folded, it.name_folded_len, r[i].name_folded);
  }
  {
    cc_index_rec x;
    /* The dictionary's keys are no roster's. */
    ck_assert_int_eq(cc_index_get_rec(&x, txn, rec, 0xFFFF, 0), CC_ENOTFOUND);
    ck_assert_int_eq(cc_index_get_rec(&x, txn, rec, 0xFFFE, 0), CC_ENOTFOUND);
  }
  cc_idx_close(&icur);
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);

  ck_assert_int_eq(cc_store_gen_open(&g, db, gen), 0);
  ck_assert_int_eq(cc_store_read_begin(&rd, &g), 0);
  for (i = 0; i < n; i++) {
    cc_index_rec x;
    ck_assert_int_eq(cc_store_rec_get(&x, rd, r[i].roster, r[i].line), 0);
    assert_rec(&x, &r[i]);
  }
  cc_store_read_end(rd);
}

/* The three records of the dictionary test. */
static const char rid33[] = "123456789012345678901234567890123";
static const char rid32[] = "12345678901234567890123456789012";

static size_t dict_records(cc_record *r)
{
  mkrec(&r[0], 0, 7, "11010519491231002X", "李四", "S1", CC_STATUS_ENROLLED, 0,
        1600);
  r[0].text[CC_COL_SCHOOL_NAME] = tu_str("一中");
  r[0].text[CC_COL_REGION_CODE] = tu_str("110105");
  r[0].text[CC_COL_RECORD_ID] = tu_str("2024001");
  r[0].text[CC_COL_STUDY_MODE] = tu_str("全日制");
  r[0].text[CC_COL_GRADE] = tu_str("1");
  r[0].text[CC_COL_ENROLL_DATE] = tu_str("2024-09-01");
  r[0].text[CC_COL_PROGRAM_YEARS] = tu_str("3");
  r[0].text[CC_COL_MAJOR] = tu_str("数控");
  /* The same school and term, no major; an invalid ID with a character
   * that is no digit; a record ID one past the nibbles' 32. */
  r[1] = r[0];
  mkrec(&r[1], 0, 9, "11-0X", "", "S1", CC_STATUS_WITHDRAWN, 150000, 0);
  memcpy(r[1].text, r[0].text, sizeof r[1].text);
  r[1].text[CC_COL_MAJOR] = tu_str("");
  r[1].text[CC_COL_RECORD_ID] = tu_str(rid33);
  r[1].id_verdict = CC_ID_INVALID;
  r[1].id_reason = CC_IDR_LENGTH;
  /* Another roster, the same school, term and major; 15 characters (an
   * odd count of nibbles), amounts at a varint's one-byte edge. */
  r[2] = r[0];
  mkrec(&r[2], 1, 2, "110105194912310", "李四", "S1", CC_STATUS_GRADUATED, 63,
        64);
  memcpy(r[2].text, r[0].text, sizeof r[2].text);
  r[2].text[CC_COL_RECORD_ID] = tu_str(rid32);
  r[2].id_upgraded = 1;
  return 3;
}

START_TEST(test_index_layout_dictionary_bytes)
{
  cc_db *db = tu_db_open(path_in("db"));
  cc_record r[3];
  size_t n = dict_records(r), at;
  uint32_t gen = stage_records(db, "2026-09", r, n);
  MDB_txn *txn;
  MDB_dbi rec, idx;
  MDB_val k = {6, NULL}, v;
  uint8_t want[256], enc[CC_IDX_VALUE_MAX];
  /* r[0]: head 1 (在籍), verdict 0 | 18 nibbles (0x24), X as 10 | grant 0 |
   * waiver 1600 zigzag 3200 = 25 x 128: 80 19 | "李四" as 6 bytes (13) |
   * "2024001" as 7 nibbles (14), padded with F | school 0, term 1,
   * major 2: 30 bytes. */
  static const uint8_t id0[] = {0x24, 0x11, 0x01, 0x05, 0x19,
                                0x49, 0x12, 0x31, 0x00, 0x2A};
  /* r[1]: 3 (退学) | reason 1 (length) << 4 = 0x13, verdict 1 | "11-0X" as
   * 5 bytes (11) | grant 150000 zigzag 300000 = 96 + 39 x 128 + 18 x
   * 16384: E0 A7 12 | waiver 0 | name "" | 33 digits as bytes (67) |
   * school 0, term 1, major "" new: 3; 50 bytes. */
  /* r[2]: 5 (毕业) | upgraded 8 = 0x0D, 0 | 15 nibbles (30), the last
   * padded | grant 63 zigzag 126: 7E | waiver 64 zigzag 128: 80 01 |
   * "李四" | 32 digits as 16 bytes (64) | 0, 1, 2; 41 bytes. */
  static const uint8_t id2[] = {0x1E, 0x11, 0x01, 0x05, 0x19,
                                0x49, 0x12, 0x31, 0x0F};
  static const uint8_t rid32_nibbles[] = {0x12, 0x34, 0x56, 0x78, 0x90, 0x12,
                                          0x34, 0x56, 0x78, 0x90, 0x12, 0x34,
                                          0x56, 0x78, 0x90, 0x12};

  ck_assert_int_eq(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn), 0);
  ck_assert_int_eq(cc_index_open_gen(&rec, &idx, NULL, txn, gen), 0);

  /* Roster 0: one chunk, n = 2 | (0, 30) | (9 - 7 = 2, 50) | the records */
  at = 0;
  cat(want, &at, "\x02\x00\x1E\x02\x32", 5);
  cat(want, &at, "\x01\x00", 2);
  cat(want, &at, id0, sizeof id0);
  cat(want, &at, "\x00\x80\x19\x0D", 4);
  cat(want, &at, "李四", 6);
  cat(want, &at, "\x0E\x20\x24\x00\x1F\x00\x01\x02", 8);
  ck_assert_uint_eq(at, 5 + 30);
  cat(want, &at,
      "\x13\x01\x0B"
      "11-0X"
      "\xE0\xA7\x12\x00\x00\x43",
      14);
  cat(want, &at, rid33, 33);
  cat(want, &at, "\x00\x01\x03", 3);
  ck_assert_uint_eq(at, 5 + 30 + 50);
  k.mv_data = "\x00\x00\x00\x00\x00\x07";
  ck_assert_int_eq(mdb_get(txn, rec, &k, &v), 0);
  ck_assert_uint_eq(v.mv_size, at);
  ck_assert_int_eq(memcmp(v.mv_data, want, at), 0);

  /* Roster 1: n = 1 | (0, 41) | the record */
  at = 0;
  cat(want, &at, "\x01\x00\x29\x0D\x00", 5);
  cat(want, &at, id2, sizeof id2);
  cat(want, &at, "\x7E\x80\x01\x0D", 4);
  cat(want, &at, "李四", 6);
  cat(want, &at, "\x40", 1);
  cat(want, &at, rid32_nibbles, sizeof rid32_nibbles);
  cat(want, &at, "\x00\x01\x02", 3);
  ck_assert_uint_eq(at, 3 + 41);
  k.mv_data = "\x00\x01\x00\x00\x00\x02";
  ck_assert_int_eq(mdb_get(txn, rec, &k, &v), 0);
  ck_assert_uint_eq(v.mv_size, at);
  ck_assert_int_eq(memcmp(v.mv_data, want, at), 0);

  /* The dictionary: four entries, the school once for three records. */
  at = 0;
  cat(want, &at,
      "\x05"
      "S1"
      "\x0D",
      4);
  cat(want, &at, "一中", 6);
  cat(want, &at,
      "\x0D"
      "110105",
      7);
  k.mv_data = "\xFF\xFF\x00\x00\x00\x00";
  ck_assert_int_eq(mdb_get(txn, rec, &k, &v), 0);
  ck_assert_uint_eq(v.mv_size, at);
  ck_assert_int_eq(memcmp(v.mv_data, want, at), 0);
  at = 0;
  cat(want, &at, "\x13", 1);
  cat(want, &at, "全日制", 9);
  cat(want, &at,
      "\x03"
      "1"
      "\x15"
      "2024-09-01"
      "\x03"
      "3",
      15);
  k.mv_data = "\xFF\xFF\x00\x00\x00\x01";
  ck_assert_int_eq(mdb_get(txn, rec, &k, &v), 0);
  ck_assert_uint_eq(v.mv_size, at);
  ck_assert_int_eq(memcmp(v.mv_data, want, at), 0);
  at = 0;
  cat(want, &at, "\x0D", 1);
  cat(want, &at, "数控", 6);
  k.mv_data = "\xFF\xFF\x00\x00\x00\x02";
  ck_assert_int_eq(mdb_get(txn, rec, &k, &v), 0);
  ck_assert_uint_eq(v.mv_size, at);
  ck_assert_int_eq(memcmp(v.mv_data, want, at), 0);
  k.mv_data = "\xFF\xFF\x00\x00\x00\x03";
  ck_assert_int_eq(mdb_get(txn, rec, &k, &v), 0);
  ck_assert_uint_eq(v.mv_size, 1);
  ck_assert_uint_eq(*(const uint8_t *)v.mv_data, 0);
  k.mv_data = "\xFF\xFF\x00\x00\x00\x04";
  ck_assert_int_eq(mdb_get(txn, rec, &k, &v), MDB_NOTFOUND);
  mdb_txn_abort(txn);

  /* r[1]'s idx value: its head | 2 "S1" | 0 (folded name "") */
  at = 0;
  cat(want, &at,
      "\x13\x01\x0B"
      "11-0X"
      "\xE0\xA7\x12\x00\x02"
      "S1"
      "\x00",
      16);
  ck_assert_uint_eq(cc_index_encode_idx(enc, &r[1]), at);
  ck_assert_int_eq(memcmp(enc, want, at), 0);

  assert_staged(db, gen, r, n);
  cc_db_close(db);
}
END_TEST

START_TEST(test_index_layout_boundaries)
{
  cc_db *db = tu_db_open(path_in("db"));
  cc_record r[8], base;
  uint8_t enc[CC_IDX_VALUE_MAX];
  size_t n = 0, len0;
  uint32_t gen;

  /* The sizes of idx values by hand: head 2 + 18 nibbles 10 + two amounts
   * + school "S1" 3 + name "张三" 7. */
  mkrec(&base, 0, 2, "110101200501011239", "张三", "S1", CC_STATUS_ENROLLED, 0,
        0);
  len0 = cc_index_encode_idx(enc, &base);
  ck_assert_uint_eq(len0, 2 + 10 + 1 + 1 + 3 + 7);
  base.grant = 63; /* zigzag 126: one byte */
  ck_assert_uint_eq(cc_index_encode_idx(enc, &base), len0);
  base.grant = 64; /* 128: two */
  ck_assert_uint_eq(cc_index_encode_idx(enc, &base), len0 + 1);
  base.grant = -64; /* 127: one */
  ck_assert_uint_eq(cc_index_encode_idx(enc, &base), len0);
  base.grant = INT64_MIN; /* 2^64 - 1: ten */
  ck_assert_uint_eq(cc_index_encode_idx(enc, &base), len0 + 9);
  base.grant = 0;
  base.id_len = 0; /* "": the text header alone */
  ck_assert_uint_eq(cc_index_encode_idx(enc, &base), len0 - 9);

  /* Round trips: the widest head, the extreme amounts. */
  mkrec(&r[n], 0, 2, "11010120050101123x", "张三", "S1", CC_STATUS_CANCELLED,
        INT64_MAX, INT64_MIN);
  r[n].id_verdict = 255;
  r[n].id_reason = 15;
  r[n].id_upgraded = 1;
  n++;
  /* An empty ID, empty everything, negative amounts. */
  mkrec(&r[n], 0, 3, "", "", "", CC_STATUS_UNKNOWN, -1, -64);
  n++;
  /* IDs of odd characters kept exactly: full-width digits, a space. */
  mkrec(&r[n], 0, 4, "\xef\xbc\x91\xef\xbc\x92", "X", "0", CC_STATUS_ENROLLED,
        1, 2);
  r[n].text[CC_COL_RECORD_ID] = tu_str("12 3");
  n++;
  mkrec(&r[n], 0, 5, "1 2", "123", "S1", CC_STATUS_ENROLLED, 0, 0);
  r[n].text[CC_COL_RECORD_ID] =
      tu_str("XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"); /* 32 */
  n++;
  /* The longest fields of the round trip test, a new roster. */
  fill_long_strings();
  mkrec(&r[n], 1, 1, "12345678901234567X", long_name, long_code,
        CC_STATUS_SUSPENDED, 0, 0);
  r[n].text[CC_COL_SCHOOL_NAME] = tu_str(long_school_name);
  r[n].text[CC_COL_MAJOR] = tu_str(long_school_name);
  r[n].text[CC_COL_ENROLL_DATE] = tu_str(long_school_name);
  r[n].text[CC_COL_RECORD_ID] = tu_str(long_school_name);
  n++;
  /* Records far apart: a line delta of more than one varint byte. */
  mkrec(&r[n], 1, 70000, "1", "1", "S1", CC_STATUS_ENROLLED, 0, 0);
  n++;
  mkrec(&r[n], 1, UINT32_MAX, "2", "2", "S1", CC_STATUS_ENROLLED, 0, 0);
  n++;
  gen = stage_records(db, "2026-09", r, n);
  assert_staged(db, gen, r, n);
  cc_db_close(db);
}
END_TEST

START_TEST(test_index_layout_rejects_damage)
{
  /* idx values by hand: a well-formed one, then a nibble past X, a bad
   * pad, an ID longer than CC_ID_MAX as bytes or as nibbles, a varint
   * running off the end or past 64 bits. */
  static const struct {
    uint8_t v[40];
    size_t n;
    int rc;
  } cases[] = {
      {{0x01, 0x00, 0x04, 0x12, 0x00, 0x00, 0x00, 0x00}, 8, 0},
      {{0x01, 0x00, 0x04, 0x1B, 0x00, 0x00, 0x00, 0x00}, 8, CC_ECORRUPT},
      {{0x01, 0x00, 0x02, 0x1F, 0x00, 0x00, 0x00, 0x00}, 8, 0},
      {{0x01, 0x00, 0x02, 0x10, 0x00, 0x00, 0x00, 0x00}, 8, CC_ECORRUPT},
      {{0x01, 0x00, 39,  '1', '1', '1', '1', '1', '1', '1', '1', '1', '1',
        '1',  '1',  '1', '1', '1', '1', '1', '1', '1', 0,   0,   0,   0},
       26,
       CC_ECORRUPT},
      {{0x01, 0x00, 37,  '1', '1', '1', '1', '1', '1', '1', '1', '1', '1',
        '1',  '1',  '1', '1', '1', '1', '1', '1', 0,   0,   0,   0},
       25,
       0},
      {{0x01, 0x00, 40, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
        0x11, 0, 0, 0, 0},
       17,
       CC_ECORRUPT},
      {{0x01, 0x00, 0x00, 0x80}, 4, CC_ECORRUPT},
      {{0x01, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x01, 0x00, 0x00, 0x00},
       16,
       0},
      {{0x01, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x02, 0x00, 0x00, 0x00},
       16,
       CC_ECORRUPT},
      {{0x01, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0x01, 0x00, 0x00, 0x00},
       17,
       CC_ECORRUPT},
  };
  uint8_t key[14] = {0};
  MDB_val k = {14, key}, v;
  cc_index_item it;
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    v.mv_data = (void *)cases[i].v;
    v.mv_size = cases[i].n;
    ck_assert_msg(cc_index_decode_idx(&it, &k, &v) == cases[i].rc, "case %zu",
                  i);
  }
  /* What the good ones hold. */
  v.mv_data = (void *)cases[0].v;
  v.mv_size = cases[0].n;
  ck_assert_int_eq(cc_index_decode_idx(&it, &k, &v), 0);
  assert_str(it.id, it.id_len, tu_str("12"));
  ck_assert_uint_eq(it.status, 1);
  v.mv_data = (void *)cases[2].v;
  v.mv_size = cases[2].n;
  ck_assert_int_eq(cc_index_decode_idx(&it, &k, &v), 0);
  assert_str(it.id, it.id_len, tu_str("1"));
  v.mv_data = (void *)cases[5].v;
  v.mv_size = cases[5].n;
  ck_assert_int_eq(cc_index_decode_idx(&it, &k, &v), 0);
  assert_str(it.id, it.id_len, tu_str("111111111111111111"));
  v.mv_data = (void *)cases[8].v;
  v.mv_size = cases[8].n;
  ck_assert_int_eq(cc_index_decode_idx(&it, &k, &v), 0);
  ck_assert_int_eq(it.grant, INT64_MIN);
}
END_TEST

/* Deletes the dictionary entries of generation gen numbered from `from`. */
static void drop_dictionary(cc_db *db, uint32_t gen, uint32_t from)
{
  MDB_txn *txn;
  MDB_dbi rec;
  MDB_cursor *cur;
  MDB_val k, v;
  uint8_t key[6] = {0xFF, 0xFF, 0, 0, 0, 0};
  int rc;
  key[2] = (uint8_t)(from >> 24);
  key[3] = (uint8_t)(from >> 16);
  key[4] = (uint8_t)(from >> 8);
  key[5] = (uint8_t)from;
  k.mv_data = key;
  k.mv_size = 6;
  ck_assert_int_eq(mdb_txn_begin(db->env, NULL, 0, &txn), 0);
  ck_assert_int_eq(cc_index_open_gen(&rec, NULL, NULL, txn, gen), 0);
  ck_assert_int_eq(mdb_cursor_open(txn, rec, &cur), 0);
  for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    ck_assert_int_eq(mdb_cursor_del(cur, 0), 0);
  ck_assert_int_eq(rc, MDB_NOTFOUND);
  mdb_cursor_close(cur);
  ck_assert_int_eq(mdb_txn_commit(txn), 0);
}

START_TEST(test_index_layout_dictionary_missing)
{
  /* A record whose dictionary entry is gone is damage, read alone or
   * with the dictionary read whole. */
  cc_db *db = tu_db_open(path_in("db"));
  cc_record r[3];
  size_t n = dict_records(r);
  uint32_t gen = stage_records(db, "2026-09", r, n);
  MDB_txn *txn;
  MDB_dbi rec;
  cc_index_rec x;
  cc_gen g;
  cc_read *rd;
  drop_dictionary(db, gen, 3);
  ck_assert_int_eq(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn), 0);
  ck_assert_int_eq(cc_index_open_gen(&rec, NULL, NULL, txn, gen), 0);
  ck_assert_int_eq(cc_index_get_rec(&x, txn, rec, 0, 7), 0);
  ck_assert_int_eq(cc_index_get_rec(&x, txn, rec, 0, 9), CC_ECORRUPT);
  mdb_txn_abort(txn);
  ck_assert_int_eq(cc_store_gen_open(&g, db, gen), 0);
  ck_assert_int_eq(cc_store_read_begin(&rd, &g), 0);
  ck_assert_int_eq(cc_store_rec_get(&x, rd, 0, 7), 0);
  assert_rec(&x, &r[0]);
  ck_assert_int_eq(cc_store_rec_get(&x, rd, 0, 9), CC_ECORRUPT);
  cc_store_read_end(rd);
  cc_db_close(db);
}
END_TEST

START_TEST(test_index_enrollments_old_layout)
{
  cc_db *db = tu_db_open(path_in("db"));
  cc_record r[3];
  size_t n = dict_records(r), ne;
  uint32_t gen = stage_records(db, "2026-09", r, n), empty;
  static const char *const lines[] = {"x"};
  cc_enrollment *e;
  publish(db, "2026-09", gen, lines, 1,
          "{\"rosters\": [{\"label\": \"moe\", \"records\": 2}, "
          "{\"label\": \"mohrss\", \"records\": 1}]}");
  /* The school's name comes from the dictionary. */
  ck_assert_int_eq(
      cc_db_enrollments(&e, &ne, db, "2026-09", "11010519491231002X", 18), 0);
  ck_assert_uint_eq(ne, 1);
  ck_assert_str_eq(e[0].label, "moe");
  ck_assert_str_eq(e[0].school_code, "S1");
  ck_assert_str_eq(e[0].school_name, "一中");
  ck_assert_uint_eq(e[0].status, CC_STATUS_ENROLLED);
  free(e);
  /* Withdrawn and graduated hold no enrollment. */
  ck_assert_int_eq(cc_db_enrollments(&e, &ne, db, "2026-09", "11-0X", 5), 0);
  ck_assert_uint_eq(ne, 0);
  ck_assert_ptr_null(e);
  /* A period without records has no dictionary and is no old layout. */
  empty = stage_records(db, "2026-10", r, 0);
  publish(db, "2026-10", empty, lines, 1, "{}");
  ck_assert_int_eq(
      cc_db_enrollments(&e, &ne, db, "2026-10", "11010519491231002X", 18), 0);
  ck_assert_uint_eq(ne, 0);
  /* Records without a dictionary: stored by format 2, refused. */
  drop_dictionary(db, gen, 0);
  e = (cc_enrollment *)1;
  ck_assert_int_eq(
      cc_db_enrollments(&e, &ne, db, "2026-09", "11010519491231002X", 18),
      CC_ECORRUPT);
  ck_assert_ptr_null(e);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "older chachong"));
  cc_db_close(db);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Findings: the "gXXXXXXXX.find" layout. */

START_TEST(test_index_finding_known_bytes)
{
  /* An overdue double_grant with an ask_other response and one member. */
  static const uint8_t want[] = {
      1, /* 0 layout */
      2, /* 1 type: double_grant */
      1, /* 2 cross */
      0, /* 3 id valid */
      5, /* 4 id reason: check_digit */
      2, /* 5 state: overdue */
      1, /* 6 deadline provisional */
      0, /* 7 cleared on time */
      1, /* 8 claimed */
      3, /* 9 response action: ask_other */
      0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, /* 10 finding_id */
      0,    0,    0,    0,    0,    0x01, 0x38, 0xB2, /* 18 80050 fen */
      0,    0,    0x51, 0x2C,                         /* 26 issued 2026-11-23 */
      0,    0,    0x51, 0x3A, /* 30 deadline 2026-12-07 */
      0,    0,    0x51, 0x3B, /* 34 seen 2026-12-08 */
      0xff, 0xff, 0xff, 0xff, /* 38 cleared: -1 (pins the sign) */
      0,    0,    0x51, 0x34, /* 42 response date 2026-12-01 */
      '2',  '0',  '2',  '6',  '-',  '1',  '1', /* 46 first period */
      18,   '1',  '1',  '0',  '1',  '0',  '1',  '2',  '0',  '0',
      '5',  '0',  '1',  '0',  '1',  '0',  '0',  '1',  '8', /* 53 id */
      0,    7,    0xe7, 0x8e, 0x8b, 0xf0, 0xa0, 0xae, 0xb7, /* person "王𠮷" */
      0,    3,    0xe6, 0x9d, 0x8e,                   /* response by "李" */
      0,    2,    'S',  '1',                          /* response school */
      0,    0,                                        /* response note "" */
      0,    1,                                        /* one member: */
      3,    'm',  'o',  'e',                          /* str8 label */
      0,    0x01, 0x23, 0x45,                         /* line 74565 */
      1,                                              /* status 在籍 */
      0,    0,    0,    0,    0,    0x01, 0x86, 0xA0, /* grant 100000 fen */
      0,    0,    0,    0,    0,    0,    0,    0,    /* waiver 0 */
      0,    7,    0xe7, 0x8e, 0x8b, 0xf0, 0xa0, 0xae, 0xb7, /* name */
      0,    0,                                              /* record_id "" */
      0,    2,    'S',  '1',                                /* school_code */
      0,    0,                                              /* school_name "" */
      0,    6,    '3',  '7',  '0',  '1',  '0',  '2'};       /* region_code */
  cc_finding f;
  cc_member m;
  uint8_t *buf = NULL;
  size_t cap = 0;
  long len;
  cc_db *db;
  uint32_t gen;
  char *hex, *want_hex;
  tu_text t = {0};
  MDB_val wv;

  ck_assert_int_eq(cc_date_from_ymd(2026, 11, 23), 20780);
  ck_assert_int_eq(cc_date_from_ymd(2026, 12, 1), 20788);
  memset(&f, 0, sizeof f);
  memset(&m, 0, sizeof m);
  f.finding_id = UINT64_C(0x0123456789abcdef);
  f.type = CC_FT_DOUBLE_GRANT;
  f.cross = 1;
  f.id_reason = CC_IDR_CHECK_DIGIT;
  f.state = CC_STATE_OVERDUE;
  f.deadline_provisional = 1;
  f.claimed = 1;
  f.response_action = CC_ACTION_ASK_OTHER;
  f.amount_at_risk = 80050;
  f.issued = cc_date_from_ymd(2026, 11, 23);
  f.deadline = cc_date_from_ymd(2026, 12, 7);
  f.seen = cc_date_from_ymd(2026, 12, 8);
  f.cleared = -1;
  f.response_date = cc_date_from_ymd(2026, 12, 1);
  strcpy(f.first_period, "2026-11");
  strcpy(f.id, "110101200501010018");
  f.person_name = tu_str("王\xf0\xa0\xae\xb7");
  f.response_by = tu_str("李");
  f.response_school = tu_str("S1");
  f.response_note.ptr = NULL; /* empty strings may have no pointer */
  m.label = tu_str("moe");
  m.line = 74565;
  m.status = CC_STATUS_ENROLLED;
  m.grant = 100000;
  m.name = tu_str("王\xf0\xa0\xae\xb7");
  m.school_code = tu_str("S1");
  m.region_code = tu_str("370102");
  f.members = &m;
  f.n_members = 1;

  len = cc_index_encode_finding(&buf, &cap, &f);
  ck_assert_int_eq(len, (long)sizeof want);
  ck_assert_uint_ge(cap, sizeof want);
  ck_assert_int_eq(memcmp(buf, want, sizeof want), 0);
  free(buf);

  /* The same bytes in the database, under key 0. */
  db = tu_db_open(path_in("db"));
  gen = stage_records(db, "2026-12", NULL, 0);
  publish_list(db, "2026-12", gen, &f, 1, "{}");
  hex = period_findings(db, "2026-12");
  wv.mv_data = (void *)want;
  wv.mv_size = sizeof want;
  thex(&t, &wv);
  tu_text_put(&t, "\n", 1);
  want_hex = t.p;
  ck_assert_str_eq(hex, want_hex);
  free(hex);
  free(want_hex);
  cc_db_close(db);
}
END_TEST

/* 255 bytes: 251 'L' and 𠮷 (the most a str8 label holds). */
static char long_label[256];
/* 65535 bytes: 65531 'x' and 𠮷 (the most a str16 holds). */
static char huge_text[65536];
/* 511 bytes: 170 x 中 and '!' (a response note near its cap). */
static char long_note[512];

static void assert_same_str(cc_str got, cc_str want, const char *what)
{
  ck_assert_msg(got.len == want.len, "%s: length %u, want %u", what, got.len,
                want.len);
  if (got.len)
    ck_assert_msg(memcmp(got.ptr, want.ptr, got.len) == 0, "%s differs", what);
}

/* Every field of two findings, members included. */
static void assert_same_finding(const cc_finding *a, const cc_finding *b)
{
  uint32_t i;
  ck_assert_uint_eq(a->finding_id, b->finding_id);
  ck_assert_uint_eq(a->type, b->type);
  ck_assert_uint_eq(a->cross, b->cross);
  ck_assert_uint_eq(a->id_valid, b->id_valid);
  ck_assert_uint_eq(a->id_reason, b->id_reason);
  ck_assert_str_eq(a->id, b->id);
  ck_assert_int_eq(a->amount_at_risk, b->amount_at_risk);
  ck_assert_uint_eq(a->state, b->state);
  ck_assert_uint_eq(a->deadline_provisional, b->deadline_provisional);
  ck_assert_uint_eq(a->cleared_on_time, b->cleared_on_time);
  ck_assert_uint_eq(a->claimed, b->claimed);
  ck_assert_uint_eq(a->response_action, b->response_action);
  ck_assert_int_eq(a->response_date, b->response_date);
  ck_assert_int_eq(a->issued, b->issued);
  ck_assert_int_eq(a->deadline, b->deadline);
  ck_assert_int_eq(a->seen, b->seen);
  ck_assert_int_eq(a->cleared, b->cleared);
  ck_assert_str_eq(a->first_period, b->first_period);
  assert_same_str(a->person_name, b->person_name, "person_name");
  assert_same_str(a->response_by, b->response_by, "response_by");
  assert_same_str(a->response_school, b->response_school, "response_school");
  assert_same_str(a->response_note, b->response_note, "response_note");
  ck_assert_uint_eq(a->n_members, b->n_members);
  for (i = 0; i < a->n_members; i++) {
    const cc_member *x = &a->members[i], *y = &b->members[i];
    assert_same_str(x->label, y->label, "label");
    ck_assert_uint_eq(x->line, y->line);
    ck_assert_uint_eq(x->status, y->status);
    ck_assert_int_eq(x->grant, y->grant);
    ck_assert_int_eq(x->waiver, y->waiver);
    assert_same_str(x->name, y->name, "name");
    assert_same_str(x->record_id, y->record_id, "record_id");
    assert_same_str(x->school_code, y->school_code, "school_code");
    assert_same_str(x->school_name, y->school_name, "school_name");
    assert_same_str(x->region_code, y->region_code, "region_code");
  }
}

static cc_member rt_members[4];

/* Three findings at the edges of the layout. */
static size_t roundtrip_findings(cc_finding *f)
{
  size_t i;
  fill_long_strings();
  memset(long_label, 'L', 251);
  memcpy(long_label + 251, "\xf0\xa0\xae\xb7", 4);
  memset(huge_text, 'x', 65531);
  memcpy(huge_text + 65531, "\xf0\xa0\xae\xb7", 4);
  for (i = 0; i < 170; i++)
    memcpy(long_note + 3 * i, "中", 3);
  long_note[510] = '!';
  ck_assert_uint_eq(strlen(long_label), 255);
  ck_assert_uint_eq(strlen(huge_text), 65535);
  ck_assert_uint_eq(strlen(long_note), 511);
  memset(f, 0, 3 * sizeof *f);
  memset(rt_members, 0, sizeof rt_members);

  /* 0: everything set, at its limit. */
  f[0].finding_id = UINT64_MAX;
  f[0].type = CC_FT_ID_CONFLICT;
  f[0].cross = 1;
  f[0].id_valid = 1;
  f[0].state = CC_STATE_CLEARED;
  f[0].deadline_provisional = 1;
  f[0].cleared_on_time = 1;
  f[0].response_action = CC_ACTION_KEEP;
  f[0].amount_at_risk = INT64_MAX;
  f[0].issued = cc_date_from_ymd(2026, 9, 25);
  f[0].deadline = cc_date_from_ymd(2026, 10, 15);
  f[0].seen = cc_date_from_ymd(2026, 10, 15);
  f[0].cleared = cc_date_from_ymd(2026, 10, 15);
  f[0].response_date = cc_date_from_ymd(1969, 12, 31);
  strcpy(f[0].first_period, "2026-09");
  strcpy(f[0].id, "37010220080516321X");
  f[0].person_name = tu_str("孙浩然\xf0\xa0\xae\xb7");
  f[0].response_by = tu_str(long_name);
  f[0].response_school = tu_str(long_code);
  f[0].response_note = tu_str(long_note);
  rt_members[0].label = tu_str(long_label);
  rt_members[0].line = UINT32_MAX;
  rt_members[0].status = CC_STATUS_CANCELLED;
  rt_members[0].grant = INT64_MAX;
  rt_members[0].name = tu_str("王\xf0\xa0\xae\xb7");
  rt_members[0].school_code = tu_str(long_code);
  rt_members[0].school_name = tu_str(huge_text);
  rt_members[0].region_code = tu_str("370102");
  rt_members[1].label = tu_str("moe");
  rt_members[1].line = 2;
  rt_members[1].status = CC_STATUS_ENROLLED;
  rt_members[1].grant = 100000;
  rt_members[1].waiver = 99;
  rt_members[1].name = tu_str(long_name);
  rt_members[1].record_id.ptr = "R\0\x01"; /* bytes, NUL included */
  rt_members[1].record_id.len = 3;
  rt_members[1].school_code = tu_str("S1");
  rt_members[1].school_name = tu_str("济南第一职业中等专业学校");
  /* never negative in a roster; pins the i64 round trip */
  rt_members[2].label = tu_str("mohrss");
  rt_members[2].grant = -5;
  rt_members[2].waiver = INT64_MIN;
  f[0].members = rt_members;
  f[0].n_members = 3;

  /* 1: nothing set but the first period; no members. */
  strcpy(f[1].first_period, "2026-10");

  /* 2: a 15-digit ID, one member of empty strings without pointers. */
  f[2].finding_id = 42;
  f[2].type = CC_FT_DUPLICATE_RECORD;
  f[2].id_reason = CC_IDR_LENGTH;
  f[2].state = CC_STATE_NEW;
  strcpy(f[2].id, "110101050101001");
  strcpy(f[2].first_period, "2026-11");
  f[2].issued = f[2].deadline = f[2].seen = cc_date_from_ymd(2026, 11, 23);
  f[2].members = &rt_members[3];
  f[2].n_members = 1;
  return 3;
}

START_TEST(test_index_finding_roundtrip)
{
  cc_finding f[3];
  size_t n = roundtrip_findings(f), i;
  for (i = 0; i < n; i++) {
    uint8_t *a = NULL, *b = NULL;
    size_t ca = 0, cb = 0;
    long la, lb;
    cc_finding g;
    cc_finding_list l = {0};
    la = cc_index_encode_finding(&a, &ca, &f[i]);
    ck_assert_int_gt(la, 0);
    ck_assert_int_eq(cc_index_decode_finding(&g, &l, a, (size_t)la), 0);
    assert_same_finding(&g, &f[i]);
    /* Decoded strings are copies owned by the list. */
    ck_assert_ptr_ne(g.person_name.ptr, f[i].person_name.ptr);
    lb = cc_index_encode_finding(&b, &cb, &g);
    ck_assert_int_eq(lb, la);
    ck_assert_int_eq(memcmp(a, b, (size_t)la), 0);
    /* Encoding again into the grown buffer gives the same bytes. */
    ck_assert_int_eq(cc_index_encode_finding(&b, &cb, &f[i]), la);
    ck_assert_int_eq(memcmp(a, b, (size_t)la), 0);
    free(a);
    free(b);
    cc_finding_list_dispose(&l);
  }
}
END_TEST

START_TEST(test_index_finding_decode_rejects_damage)
{
  cc_finding f[3], g;
  uint8_t *a = NULL, *bad;
  size_t cap = 0, k;
  long len;
  cc_finding_list l = {0};
  roundtrip_findings(f);

  /* Every strict prefix of a small finding is refused. */
  len = cc_index_encode_finding(&a, &cap, &f[2]);
  ck_assert_int_gt(len, 0);
  for (k = 0; k < (size_t)len; k++)
    ck_assert_msg(cc_index_decode_finding(&g, &l, a, k) == CC_ECORRUPT,
                  "prefix of %zu bytes accepted", k);
  /* So is one byte more. */
  bad = malloc((size_t)len + 1);
  ck_assert_ptr_nonnull(bad);
  memcpy(bad, a, (size_t)len);
  bad[len] = 0;
  ck_assert_int_eq(cc_index_decode_finding(&g, &l, bad, (size_t)len + 1),
                   CC_ECORRUPT);
  /* Another layout, an unknown type, an ID longer than CC_ID_MAX. */
  bad[0] = 2;
  ck_assert_int_eq(cc_index_decode_finding(&g, &l, bad, (size_t)len),
                   CC_ECORRUPT);
  bad[0] = 1;
  bad[1] = CC_FT_COUNT_;
  ck_assert_int_eq(cc_index_decode_finding(&g, &l, bad, (size_t)len),
                   CC_ECORRUPT);
  bad[1] = CC_FT_DUPLICATE_RECORD;
  ck_assert_int_eq(cc_index_decode_finding(&g, &l, bad, (size_t)len), 0);
  bad[53] = CC_ID_MAX + 1;
  ck_assert_int_eq(cc_index_decode_finding(&g, &l, bad, (size_t)len),
                   CC_ECORRUPT);
  free(bad);

  /* The big one cut by one byte. */
  len = cc_index_encode_finding(&a, &cap, &f[0]);
  ck_assert_int_eq(cc_index_decode_finding(&g, &l, a, (size_t)len - 1),
                   CC_ECORRUPT);
  ck_assert_int_eq(cc_index_decode_finding(&g, &l, a, (size_t)len), 0);
  free(a);
  cc_finding_list_dispose(&l);
}
END_TEST

START_TEST(test_index_load_findings)
{
  cc_finding f[3];
  size_t n = roundtrip_findings(f), i;
  cc_db *db = tu_db_open(path_in("db"));
  cc_db_options ro = CC_DB_OPTIONS_INIT;
  cc_finding_list l;
  uint32_t gen;
  char *raw, *p;

  gen = stage_records(db, "2026-11", NULL, 0);
  publish_list(db, "2026-11", gen, f, n, "{}");

  /* In the order published, every field as it went in. */
  ck_assert_int_eq(cc_db_load_findings(&l, db, "2026-11"), 0);
  ck_assert_uint_eq(l.n, n);
  for (i = 0; i < n; i++)
    assert_same_finding(&l.items[i], &f[i]);
  cc_finding_list_dispose(&l);

  /* The stored values are the encoder's bytes. */
  raw = period_findings(db, "2026-11");
  p = raw;
  for (i = 0; i < n; i++) {
    uint8_t *a = NULL;
    size_t cap = 0;
    long len = cc_index_encode_finding(&a, &cap, &f[i]);
    MDB_val v;
    tu_text t = {0};
    v.mv_data = a;
    v.mv_size = (size_t)len;
    thex(&t, &v);
    tu_text_put(&t, "\n", 1);
    ck_assert_int_eq(strncmp(p, t.p, t.len), 0);
    p += t.len;
    free(t.p);
    free(a);
  }
  ck_assert_str_eq(p, "");
  free(raw);

  /* No such period; not a period. */
  l.n = 99;
  ck_assert_int_eq(cc_db_load_findings(&l, db, "2026-12"), CC_ENOTFOUND);
  ck_assert_uint_eq(l.n, 0);
  ck_assert_ptr_null(l.items);
  ck_assert_int_eq(cc_db_load_findings(&l, db, "2026-1"), CC_EINVALID);
  ck_assert_int_eq(cc_db_load_findings(&l, db, "2026-111"), CC_EINVALID);
  cc_db_close(db);

  /* A read-only database loads the same. */
  ro.read_only = 1;
  ck_assert_int_eq(cc_db_open(&db, path_in("db"), &ro), 0);
  ck_assert_int_eq(cc_db_load_findings(&l, db, "2026-11"), 0);
  ck_assert_uint_eq(l.n, n);
  for (i = 0; i < n; i++)
    assert_same_finding(&l.items[i], &f[i]);
  cc_finding_list_dispose(&l);
  cc_db_close(db);
}
END_TEST

/* One finding by its id, through the fid index (key u64 finding_id | u32
 * sequence, value u32 sequence) and, for a period published before the
 * index, by reading each stored finding's id. */
START_TEST(test_index_finding_get)
{
  static const char *const names[] = {"甲", "乙", "丙"};
  cc_finding f[3], got;
  size_t n = roundtrip_findings(f), i, pass;
  cc_db *db = tu_db_open(path_in("db"));
  cc_finding_list l = {0};
  uint32_t gen, g2;
  MDB_txn *txn;
  MDB_dbi fid;
  MDB_val k, v;
  uint8_t want[12] = {0, 0, 0, 0, 0, 0, 0x10, 0x01, 0, 0, 0, 1};

  gen = stage_records(db, "2026-11", NULL, 0);
  publish_list(db, "2026-11", gen, f, n, "{}");
  g2 = stage_records(db, "2026-12", NULL, 0);
  publish(db, "2026-12", g2, names, 3, "{}");

  /* The second finding of 2026-12 (finding_id 0x1001) is entry 1. */
  ck_assert_int_eq(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn), 0);
  {
    char name[32];
    snprintf(name, sizeof name, "g%08x.fid", g2);
    ck_assert_int_eq(mdb_dbi_open(txn, name, 0, &fid), 0);
  }
  k.mv_data = want;
  k.mv_size = sizeof want;
  ck_assert_int_eq(mdb_get(txn, fid, &k, &v), 0);
  ck_assert_uint_eq(v.mv_size, 4);
  ck_assert_int_eq(memcmp(v.mv_data, "\0\0\0\1", 4), 0);
  mdb_txn_abort(txn);

  for (pass = 0; pass < 2; pass++) {
    for (i = 0; i < n; i++) {
      ck_assert_int_eq(
          cc_store_finding_get(&got, &l, db, "2026-11", f[i].finding_id), 0);
      assert_same_finding(&got, &f[i]);
    }
    ck_assert_int_eq(cc_store_finding_get(&got, &l, db, "2026-12", 0x1002), 0);
    assert_same_str(got.person_name, tu_str("丙"), "person name");
    ck_assert_uint_eq(got.finding_id, 0x1002);
    /* Not in this period, no such period, not a period. */
    ck_assert_int_eq(cc_store_finding_get(&got, &l, db, "2026-12", 0x1003),
                     CC_ENOTFOUND);
    ck_assert_int_eq(cc_store_finding_get(&got, &l, db, "2026-11", 0x1001),
                     CC_ENOTFOUND);
    ck_assert_int_eq(cc_store_finding_get(&got, &l, db, "2027-01", 0x1001),
                     CC_ENOTFOUND);
    ck_assert_int_eq(cc_store_finding_get(&got, &l, db, "2026-1", 0x1001),
                     CC_EINVALID);
    cc_finding_list_dispose(&l);
    /* The public form: a list of the one finding, empty when none. */
    ck_assert_int_eq(cc_db_load_finding(&l, db, "2026-12", 0x1001), 0);
    ck_assert_uint_eq(l.n, 1);
    assert_same_str(l.items[0].person_name, tu_str("乙"), "person name");
    cc_finding_list_dispose(&l);
    ck_assert_int_eq(cc_db_load_finding(&l, db, "2026-12", 0x0fff),
                     CC_ENOTFOUND);
    ck_assert_uint_eq(l.n, 0);
    ck_assert_ptr_null(l.items);
    memset(&l, 0, sizeof l);
    if (pass == 1)
      break;
    /* A database published before the index: the fid databases gone. */
    ck_assert_int_eq(mdb_txn_begin(db->env, NULL, 0, &txn), 0);
    {
      char name[32];
      uint32_t g;
      for (g = gen; g <= g2; g += g2 - gen) {
        snprintf(name, sizeof name, "g%08x.fid", g);
        ck_assert_int_eq(mdb_dbi_open(txn, name, 0, &fid), 0);
        ck_assert_int_eq(mdb_drop(txn, fid, 1), 0);
      }
    }
    ck_assert_int_eq(mdb_txn_commit(txn), 0);
  }
  cc_db_close(db);
}
END_TEST

START_TEST(test_index_period_info)
{
  cc_db *db = tu_db_open(path_in("db"));
  char *info = (char *)1, *big;
  uint32_t gen;
  size_t i;

  ck_assert_int_eq(cc_db_period_info(&info, db, "2026-11"), CC_ENOTFOUND);
  ck_assert_ptr_null(info);
  /* Run information of any length, stored as given. */
  big = malloc(20001);
  ck_assert_ptr_nonnull(big);
  for (i = 0; i < 20000; i++)
    big[i] = "{\"rosters\": [中文]}"[i % 21]; /* 21 bytes, no NUL */
  big[20000] = '\0';
  gen = stage_records(db, "2026-11", NULL, 0);
  publish_list(db, "2026-11", gen, NULL, 0, big);
  gen = stage_records(db, "2026-10", NULL, 0);
  publish_list(db, "2026-10", gen, NULL, 0, "");
  ck_assert_int_eq(cc_db_period_info(&info, db, "2026-11"), 0);
  ck_assert_str_eq(info, big);
  free(info);
  ck_assert_int_eq(cc_db_period_info(&info, db, "2026-10"), 0);
  ck_assert_str_eq(info, "");
  free(info);
  info = (char *)1;
  ck_assert_int_eq(cc_db_period_info(&info, db, "2026-9"), CC_EINVALID);
  ck_assert_ptr_null(info);
  free(big);
  cc_db_close(db);
}
END_TEST

START_TEST(test_index_school_counts)
{
  /* Given in any order; read back sorted by label, then code, bytewise:
   * "moe" < "moe2" < "mohrss" ('e' < 'h'), "S10" < "S2". */
  static cc_school_count in[7];
  static const char *const want_order[][2] = {
      {NULL, NULL}, /* the 32-byte label, the 255-byte code */
      {"moe", "4137010001"}, {"moe", "S10"},           {"moe", "S2"},
      {"moe2", "S1"},        {"mohrss", "4137010001"}, {"mohrss", "J1"}};
  static const int from[] = {6, 4, 3, 1, 2, 5, 0}; /* index into in[] */
  const char *l32 = "abcdefghijabcdefghijabcdefghij_-";
  cc_db *db = tu_db_open(path_in("db"));
  cc_school_count *c = (cc_school_count *)1;
  size_t n = 99, i;
  uint32_t gen;

  fill_long_strings();
  memset(in, 0, sizeof in);
  strcpy(in[0].label, "mohrss");
  strcpy(in[0].school_code, "J1");
  in[0].records = 2;
  in[0].holding = 2;
  strcpy(in[1].label, "moe");
  strcpy(in[1].school_code, "S2");
  strcpy(in[1].region_code, "370103");
  in[1].records = 2;
  in[1].holding = 1;
  strcpy(in[2].label, "moe2");
  strcpy(in[2].school_code, "S1");
  strcpy(in[2].region_code, "370102");
  in[2].records = 1;
  strcpy(in[3].label, "moe");
  strcpy(in[3].school_code, "S10");
  strcpy(in[3].region_code, "370102");
  in[3].records = 3;
  in[3].holding = 3;
  strcpy(in[4].label, "moe");
  strcpy(in[4].school_code, "4137010001");
  strcpy(in[4].region_code, "370102");
  in[4].records = 5;
  in[4].holding = 4;
  strcpy(in[5].label, "mohrss");
  strcpy(in[5].school_code, "4137010001");
  in[5].records = 7;
  ck_assert_uint_eq(strlen(l32), 32);
  strcpy(in[6].label, l32);
  strcpy(in[6].school_code, long_code);
  strcpy(in[6].region_code, "123456789012345"); /* 15, the most */
  in[6].records = (UINT64_C(1) << 40) + 1;
  in[6].holding = UINT64_C(1) << 33;

  gen = stage_records_schools(db, "2026-11", NULL, 0, in, 7);
  /* Not published yet: no period. */
  ck_assert_int_eq(cc_db_school_counts(&c, &n, db, "2026-11"), CC_ENOTFOUND);
  ck_assert_ptr_null(c);
  ck_assert_uint_eq(n, 0);
  publish_list(db, "2026-11", gen, NULL, 0, "{}");
  ck_assert_int_eq(cc_db_school_counts(&c, &n, db, "2026-11"), 0);
  ck_assert_uint_eq(n, 7);
  for (i = 0; i < 7; i++) {
    const cc_school_count *w = &in[from[i]];
    if (want_order[i][0]) {
      ck_assert_str_eq(c[i].label, want_order[i][0]);
      ck_assert_str_eq(c[i].school_code, want_order[i][1]);
    }
    ck_assert_str_eq(c[i].label, w->label);
    ck_assert_str_eq(c[i].school_code, w->school_code);
    ck_assert_str_eq(c[i].region_code, w->region_code);
    ck_assert_uint_eq(c[i].records, w->records);
    ck_assert_uint_eq(c[i].holding, w->holding);
  }
  free(c);

  /* A period staged without counts has none; a bad period is refused. */
  gen = stage_records(db, "2026-12", NULL, 0);
  publish_list(db, "2026-12", gen, NULL, 0, "{}");
  c = (cc_school_count *)1;
  ck_assert_int_eq(cc_db_school_counts(&c, &n, db, "2026-12"), 0);
  ck_assert_ptr_null(c);
  ck_assert_uint_eq(n, 0);
  ck_assert_int_eq(cc_db_school_counts(&c, &n, db, "26-12"), CC_EINVALID);
  ck_assert_ptr_null(c);
  cc_db_close(db);
}
END_TEST

START_TEST(test_index_previous_period)
{
  static const char *const periods[] = {"2026-10", "2025-12", "2026-09"};
  static const struct {
    const char *period, *prev; /* NULL: none */
  } rows[] = {{"2025-11", NULL},      {"2025-12", NULL},
              {"2026-01", "2025-12"}, {"2026-09", "2025-12"},
              {"2026-10", "2026-09"}, {"2026-11", "2026-10"},
              {"2027-01", "2026-10"}};
  cc_db *db = tu_db_open(path_in("db"));
  char prev[8];
  size_t i;

  ck_assert_int_eq(cc_index_previous_period(prev, db, "2026-11"), CC_ENOTFOUND);
  for (i = 0; i < 3; i++) {
    uint32_t gen = stage_records(db, periods[i], NULL, 0);
    publish_list(db, periods[i], gen, NULL, 0, "{}");
  }
  /* A staged, unpublished period is no previous period. */
  stage_records(db, "2026-10", NULL, 0);
  stage_records(db, "2026-11", NULL, 0);
  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    int rc;
    memset(prev, 'Z', sizeof prev);
    rc = cc_index_previous_period(prev, db, rows[i].period);
    if (rows[i].prev == NULL) {
      ck_assert_msg(rc == CC_ENOTFOUND, "%s: %d", rows[i].period, rc);
    } else {
      ck_assert_msg(rc == 0, "%s: %d", rows[i].period, rc);
      ck_assert_str_eq(prev, rows[i].prev);
    }
  }
  cc_db_close(db);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Sorting. */

static uint64_t rng_state;
static uint64_t rng(void)
{
  /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * UINT64_C(2685821657736338717);
}

static int entry_cmp(const void *pa, const void *pb)
{
  const cc_index_entry *a = pa, *b = pb;
  if (a->hash != b->hash)
    return a->hash < b->hash ? -1 : 1;
  if (a->roster != b->roster)
    return a->roster < b->roster ? -1 : 1;
  return a->line < b->line ? -1 : a->line > b->line;
}

static const size_t sort_sizes[] = {0,   1,    2,    3,    24,    25,    26,
                                    100, 1000, 4096, 4097, 60000, 300000};

START_TEST(test_index_sort_matches_qsort)
{
  size_t n = sort_sizes[_i], i;
  static const int threads[] = {1, 2, 3};
  uint64_t pool[8];
  size_t t;
  cc_index_entry *a = calloc(n + 1, sizeof *a);
  cc_index_entry *b = calloc(n + 1, sizeof *b);
  ck_assert_ptr_nonnull(a);
  ck_assert_ptr_nonnull(b);
  rng_state = UINT64_C(0x9E3779B97F4A7C15) ^ n;
  /* A few hashes used over and over (equal hashes, ties by roster then
   * line), some sharing their top 12 bits, plus the extremes. */
  pool[0] = 0;
  pool[1] = UINT64_MAX;
  pool[2] = UINT64_C(0x8000000000000000);
  pool[3] = UINT64_C(0x8000000000000001);
  pool[4] = UINT64_C(0x800FFFFFFFFFFFFF);
  for (i = 5; i < 8; i++)
    pool[i] = rng();
  for (t = 0; t < sizeof threads / sizeof threads[0]; t++) {
    for (i = 0; i < n; i++) {
      uint64_t r = rng();
      a[i].hash = (r & 3) == 0 ? rng() : pool[(r >> 2) % 8];
      a[i].roster = (uint16_t)((r >> 8) % 3);
      /* (roster, line) unique: the line is the position, shuffled below */
      a[i].line = (uint32_t)i + 2;
      a[i].len = (uint16_t)(r >> 16);
      a[i].payload = (const uint8_t *)&a[i]; /* travels with its entry */
    }
    for (i = n; i > 1; i--) { /* shuffle */
      size_t j = rng() % i;
      cc_index_entry x = a[i - 1];
      a[i - 1] = a[j];
      a[j] = x;
    }
    memcpy(b, a, n * sizeof *a);
    if (n)
      qsort(b, n, sizeof *b, entry_cmp);
    ck_assert_int_eq(cc_index_sort(a, n, threads[t]), 0);
    for (i = 0; i < n; i++) {
      ck_assert_uint_eq(a[i].hash, b[i].hash);
      ck_assert_uint_eq(a[i].roster, b[i].roster);
      ck_assert_uint_eq(a[i].line, b[i].line);
      ck_assert_uint_eq(a[i].len, b[i].len);
      ck_assert_ptr_eq(a[i].payload, b[i].payload);
    }
  }
  free(a);
  free(b);
}
END_TEST

START_TEST(test_index_sort_sorted_and_reversed)
{
  /* Already sorted and reversed input, all in one bucket and all one
   * hash: the quicksort's worst shapes. */
  size_t n = 20000, i;
  cc_index_entry *a = calloc(n, sizeof *a);
  ck_assert_ptr_nonnull(a);
  for (i = 0; i < n; i++) {
    a[i].hash = 42;
    a[i].roster = (uint16_t)(i / 10000);
    a[i].line = (uint32_t)(n - i);
  }
  ck_assert_int_eq(cc_index_sort(a, n, 2), 0);
  for (i = 1; i < n; i++)
    ck_assert_int_lt(entry_cmp(&a[i - 1], &a[i]), 0);
  for (i = 0; i < n; i++)
    a[i].hash = UINT64_MAX - i;
  ck_assert_int_eq(cc_index_sort(a, n, 2), 0);
  for (i = 1; i < n; i++)
    ck_assert_int_lt(entry_cmp(&a[i - 1], &a[i]), 0);
  free(a);
}
END_TEST

static int block_cmp(const void *pa, const void *pb)
{
  const cc_block_entry *a = pa, *b = pb;
  if (a->key != b->key)
    return a->key < b->key ? -1 : 1;
  if (a->roster != b->roster)
    return a->roster < b->roster ? -1 : 1;
  return a->line < b->line ? -1 : a->line > b->line;
}

/* Sizes of the parts a worker's arrays come in: empty ones, uneven ones. */
static const size_t part_sizes[][4] = {
    {0, 0, 0, 0}, {1, 0, 0, 0},         {0, 0, 0, 5},
    {7, 0, 3, 0}, {50000, 1, 0, 20000}, {40000, 40000, 40000, 40000}};

START_TEST(test_index_sort_parts_matches_qsort)
{
  const size_t *sizes = part_sizes[_i];
  size_t n = 0, i, p, at;
  int k = 4, threads;
  for (p = 0; p < 4; p++)
    n += sizes[p];
  for (threads = 1; threads <= 2; threads++) {
    cc_index_entry *all = calloc(n + 1, sizeof *all), *parts[4], *out = NULL;
    ck_assert_ptr_nonnull(all);
    rng_state = UINT64_C(0x243F6A8885A308D3) ^ n;
    for (i = 0; i < n; i++) {
      uint64_t r = rng();
      /* One hash in four from a small set: long runs of equal keys, and
       * keys equal in their top 24 bits but not after. */
      all[i].hash = (r & 3) ? rng() : UINT64_C(0x1234560000000000) | (r >> 60);
      all[i].roster = (uint16_t)(r >> 8 & 1);
      all[i].line = (uint32_t)i + 2;
      all[i].len = (uint16_t)r;
      all[i].payload = (const uint8_t *)&all[i];
    }
    for (p = 0, at = 0; p < 4; p++) {
      parts[p] = cc_mem_alloc((sizes[p] ? sizes[p] : 1) * sizeof *parts[p]);
      ck_assert_ptr_nonnull(parts[p]);
      memcpy(parts[p], all + at, sizes[p] * sizeof *all);
      at += sizes[p];
    }
    if (n)
      qsort(all, n, sizeof *all, entry_cmp);
    ck_assert_int_eq(cc_index_sort_parts(&out, parts, sizes, k, threads), 0);
    for (p = 0; p < 4; p++) /* taken over */
      ck_assert_ptr_null(parts[p]);
    ck_assert_ptr_nonnull(out);
    for (i = 0; i < n; i++) {
      ck_assert_uint_eq(out[i].hash, all[i].hash);
      ck_assert_uint_eq(out[i].roster, all[i].roster);
      ck_assert_uint_eq(out[i].line, all[i].line);
      ck_assert_uint_eq(out[i].len, all[i].len);
      ck_assert_ptr_eq(out[i].payload, all[i].payload);
    }
    cc_mem_free(out);
    free(all);
  }
}
END_TEST

/* Refs into parts of workers' entries, worked by hand. Two workers (k = 2):
 * worker 0 holds entries (hash 101, roster 0, line 3), (102, 0, 1),
 * (103, 1, 1); worker 1 holds (104, 0, 2), (105, 0, 2), (106, 1, 4),
 * (107, 0, 9). Entry j of worker t is at = 2j + t. Keys: 5 for 101, 103
 * and 105, 9 (top bit set: another bucket) for 102 and 106, 7 for 104,
 * 1 for 107. Kept: the five of keys 5 and 9, by (key, roster, line): key 5
 * as 105 (0:2), 101 (0:3), 103 (1:1); key 9 as 102 (0:1), 106 (1:4). The
 * refs come in part 0 in another order than their places. */
START_TEST(test_index_group_blocks_by_hand)
{
  const uint64_t k9 = UINT64_C(0x8000000000000009);
  static const cc_index_entry w0[3] = {
      {101, 3, 0, 0, NULL}, {102, 1, 0, 0, NULL}, {103, 1, 1, 0, NULL}};
  static const cc_index_entry w1[4] = {{104, 2, 0, 0, NULL},
                                       {105, 2, 0, 0, NULL},
                                       {106, 4, 1, 0, NULL},
                                       {107, 9, 0, 0, NULL}};
  const cc_index_entry *const entries[2] = {w0, w1};
  const cc_block_ref r0[3] = {
      {5, 4}, {UINT64_C(0x8000000000000009), 2}, {5, 0}};
  const cc_block_ref r1[4] = {
      {7, 1}, {5, 3}, {UINT64_C(0x8000000000000009), 5}, {1, 7}};
  cc_block_ref *parts[2];
  cc_block_entry *out = NULL;
  size_t lens[2] = {3, 4}, n = 0;
  int threads;
  for (threads = 1; threads <= 2; threads++) {
    parts[0] = cc_mem_alloc(sizeof r0);
    parts[1] = cc_mem_alloc(sizeof r1);
    ck_assert_ptr_nonnull(parts[0]);
    ck_assert_ptr_nonnull(parts[1]);
    memcpy(parts[0], r0, sizeof r0);
    memcpy(parts[1], r1, sizeof r1);
    ck_assert_int_eq(
        cc_index_group_blocks(&out, &n, parts, lens, 2, entries, threads), 0);
    ck_assert_ptr_null(parts[0]);
    ck_assert_ptr_null(parts[1]);
    ck_assert_uint_eq(n, 5);
    ck_assert_uint_eq(out[0].key, 5);
    ck_assert_uint_eq(out[0].id_hash, 105);
    ck_assert_uint_eq(out[0].roster, 0);
    ck_assert_uint_eq(out[0].line, 2);
    ck_assert_uint_eq(out[1].id_hash, 101);
    ck_assert_uint_eq(out[1].line, 3);
    ck_assert_uint_eq(out[2].id_hash, 103);
    ck_assert_uint_eq(out[2].roster, 1);
    ck_assert_uint_eq(out[3].key, k9);
    ck_assert_uint_eq(out[3].id_hash, 102);
    ck_assert_uint_eq(out[4].key, k9);
    ck_assert_uint_eq(out[4].id_hash, 106);
    free(out);
  }
}
END_TEST

/* Many shared keys (runs of 1 to dozens, some past a bucket's insertion
 * cut-off), three workers with uneven parts (one empty): the entries kept
 * are exactly those of keys two or more records share, made whole from
 * their places, in (key, roster, line) order, as qsort and a filter give. */
START_TEST(test_index_group_blocks_matches_qsort)
{
  const size_t n = 120000, sizes[3] = {70000, 0, 50000};
  cc_block_entry *all = malloc(n * sizeof *all), *out = NULL;
  cc_index_entry *ent[3];
  cc_block_ref *parts[3];
  size_t i, w, kept = 0, lens[3];
  int p, threads;
  ck_assert_ptr_nonnull(all);
  rng_state = UINT64_C(0x13198A2E03707344);
  /* Record j of worker p has two keys (as one reading of a name gives);
   * ent[p][j] is its entry, all[] its two blocking entries as expected. */
  for (p = 0, w = 0; p < 3; p++) {
    ent[p] = calloc(sizes[p] / 2 + 1, sizeof *ent[p]);
    ck_assert_ptr_nonnull(ent[p]);
    for (i = 0; i < sizes[p] / 2; i++) {
      int t;
      ent[p][i].hash = rng();
      ent[p][i].roster = (uint16_t)(rng() & 1);
      ent[p][i].line = (uint32_t)(w / 2) + 2; /* (roster, line) unique */
      for (t = 0; t < 2; t++, w++) {
        /* Small key numbers repeat; spread them over the 64 bits. A
         * tenth of the keys are one of 40, so long runs occur. */
        uint64_t x = rng() % 10 == 0 ? rng() % 40 : rng() % 90000;
        all[w].key = (x + 1) * UINT64_C(0x9E3779B97F4A7C15);
        all[w].id_hash = ent[p][i].hash;
        all[w].roster = ent[p][i].roster;
        all[w].line = ent[p][i].line;
      }
    }
  }
  ck_assert_uint_eq(w, n);
  for (threads = 1; threads <= 2; threads++) {
    cc_block_entry *want = malloc(n * sizeof *want);
    size_t at = 0;
    ck_assert_ptr_nonnull(want);
    for (p = 0; p < 3; p++) {
      lens[p] = sizes[p];
      parts[p] = cc_mem_alloc((sizes[p] ? sizes[p] : 1) * sizeof *parts[p]);
      ck_assert_ptr_nonnull(parts[p]);
      for (i = 0; i < sizes[p]; i++, at++) {
        parts[p][i].key = all[at].key;
        parts[p][i].at = (uint32_t)((i / 2) * 3 + (size_t)p);
      }
    }
    memcpy(want, all, n * sizeof *all);
    qsort(want, n, sizeof *want, block_cmp);
    for (i = 0, w = 0; i < n;) {
      size_t j = i + 1;
      while (j < n && want[j].key == want[i].key)
        j++;
      if (j - i >= 2) {
        memmove(want + w, want + i, (j - i) * sizeof *want);
        w += j - i;
      }
      i = j;
    }
    ck_assert_uint_gt(w, n / 2); /* the case has many shared keys... */
    ck_assert_uint_lt(w, n);     /* ...and some alone */
    ck_assert_int_eq(cc_index_group_blocks(&out, &kept, parts, lens, 3,
                                           (const cc_index_entry *const *)ent,
                                           threads),
                     0);
    ck_assert_uint_eq(kept, w);
    for (i = 0; i < w; i++) {
      ck_assert_uint_eq(out[i].key, want[i].key);
      ck_assert_uint_eq(out[i].id_hash, want[i].id_hash);
      ck_assert_uint_eq(out[i].roster, want[i].roster);
      ck_assert_uint_eq(out[i].line, want[i].line);
    }
    free(out);
    free(want);
  }
  for (p = 0; p < 3; p++)
    free(ent[p]);
  free(all);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Generations. */

START_TEST(test_index_publish_replaces_period)
{
  cc_db *db = tu_db_open(path_in("db"));
  cc_record r[2];
  uint32_t g1, g2, g3, g;
  static const char *const f1[] = {"a", "b"};
  static const char *const f2[] = {"c"};
  static const char *const f3[] = {"d"};
  /* Each generation also counts its schools. */
  static const cc_school_count sc[] = {{"moe", "S1", "370102", 1, 1},
                                       {"mohrss", "J1", "", 1, 1}};
  char **p;
  size_t n;
  char *s, name[32];
  MDB_txn *txn;
  MDB_dbi dbi;
  MDB_val v;
  uint8_t buf[256];

  mkrec(&r[0], 0, 2, "110101200501011239", "张三", "S1", CC_STATUS_ENROLLED, 0,
        0);
  mkrec(&r[1], 1, 2, "110101200501011239", "张三", "J1", CC_STATUS_ENROLLED, 0,
        0);
  g1 = stage_records_schools(db, "2026-09", r, 2, sc, 2);
  publish(db, "2026-09", g1, f1, 2, "{\"run\": 1}");
  s = loaded(db, "2026-09");
  ck_assert_str_eq(s, "a\nb\n");
  free(s);

  /* "period/2026-09" = u32 generation | run info */
  ck_assert_int_eq(meta_get(db, "period/2026-09", 14, &v, buf, sizeof buf), 0);
  ck_assert_uint_eq(v.mv_size, 4 + 10);
  ck_assert_uint_eq((uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
                        (uint32_t)buf[2] << 8 | buf[3],
                    g1);
  ck_assert_int_eq(memcmp(buf + 4, "{\"run\": 1}", 10), 0);

  /* The same period again: replaced, listed once, old generation gone. */
  g2 = stage_records_schools(db, "2026-09", r, 1, sc, 1);
  ck_assert_uint_ne(g2, g1);
  publish(db, "2026-09", g2, f2, 1, "{\"run\": 2}");
  ck_assert_int_eq(cc_db_periods(&p, &n, db), 0);
  ck_assert_uint_eq(n, 1);
  ck_assert_str_eq(p[0], "2026-09");
  free_periods(p, n);
  s = loaded(db, "2026-09");
  ck_assert_str_eq(s, "c\n");
  free(s);
  s = NULL;
  ck_assert_int_eq(cc_db_period_info(&s, db, "2026-09"), 0);
  ck_assert_str_eq(s, "{\"run\": 2}");
  free(s);
  {
    cc_school_count *c;
    size_t nc;
    ck_assert_int_eq(cc_db_school_counts(&c, &nc, db, "2026-09"), 0);
    ck_assert_uint_eq(nc, 1);
    ck_assert_str_eq(c[0].label, "moe");
    free(c);
  }
  ck_assert_int_eq(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn), 0);
  ck_assert_int_eq(cc_index_period_gen(&g, db, txn, "2026-09"), 0);
  ck_assert_uint_eq(g, g2);
  ck_assert_int_eq(cc_index_open_gen(&dbi, NULL, NULL, txn, g1), CC_ENOTFOUND);
  ck_assert_int_eq(cc_index_open_gen(NULL, &dbi, NULL, txn, g1), CC_ENOTFOUND);
  ck_assert_int_eq(cc_index_open_gen(NULL, NULL, &dbi, txn, g1), CC_ENOTFOUND);
  ck_assert_int_eq(cc_index_period_gen(&g, db, txn, "2026-10"), CC_ENOTFOUND);
  mdb_txn_abort(txn);

  /* Only meta and the live generation's five databases remain (fid: the
   * findings by finding_id). */
  s = db_names(db);
  {
    char want[192];
    char a[32], b[32], c[32], d[32], e[32];
    snprintf(e, sizeof e, "g%08x.fid", g2);
    snprintf(a, sizeof a, "g%08x.find", g2);
    snprintf(b, sizeof b, "g%08x.idx", g2);
    snprintf(c, sizeof c, "g%08x.rec", g2);
    snprintf(d, sizeof d, "g%08x.schools", g2);
    snprintf(want, sizeof want, "%s\n%s\n%s\n%s\n%s\nmeta\n", e, a, b, c, d);
    ck_assert_str_eq(s, want);
  }
  free(s);
  ck_assert_uint_eq(count_staging(db), 0);

  /* Other periods are listed oldest first, whatever the publishing order. */
  g3 = stage_records(db, "2026-10", r, 2);
  publish(db, "2026-10", g3, f3, 1, "{}");
  g = stage_records(db, "2025-12", r, 2);
  publish(db, "2025-12", g, NULL, 0, "{}");
  ck_assert_int_eq(cc_db_periods(&p, &n, db), 0);
  ck_assert_uint_eq(n, 3);
  ck_assert_str_eq(p[0], "2025-12");
  ck_assert_str_eq(p[1], "2026-09");
  ck_assert_str_eq(p[2], "2026-10");
  free_periods(p, n);
  s = period_findings(db, "2025-12");
  ck_assert_str_eq(s, "");
  free(s);
  s = loaded(db, "2025-12");
  ck_assert_str_eq(s, "");
  free(s);
  s = loaded(db, "2026-09");
  ck_assert_str_eq(s, "c\n");
  free(s);
  snprintf(name, sizeof name, "g%08x.rec", g1);
  s = db_names(db);
  ck_assert_ptr_null(strstr(s, name));
  free(s);
  cc_db_close(db);

  /* And all of it survives a reopen. */
  db = tu_db_open(path_in("db"));
  s = loaded(db, "2026-10");
  ck_assert_str_eq(s, "d\n");
  free(s);
  cc_db_close(db);
}
END_TEST

/* Shrinks the map to the pages in use (LMDB keeps it at least that). */
static size_t shrink_map(cc_db *db)
{
  MDB_envinfo info;
  ck_assert_int_eq(mdb_env_set_mapsize(db->env, 1), 0);
  mdb_env_info(db->env, &info);
  return info.me_mapsize;
}

START_TEST(test_index_map_full_grows)
{
  /* issue 10: a full map ended the run as "out of memory". Publishing
   * into a map with no room left grows it and goes through; so does an
   * audit-log append (cc_db_put_timed). */
  cc_db *db = tu_db_open(path_in("db"));
  size_t small, n = (size_t)8 << 20, i;
  char *info = malloc(n + 3), *back = NULL;
  uint8_t key[12] = {0};
  MDB_envinfo me;
  uint32_t gen;
  ck_assert_ptr_nonnull(info);
  info[0] = '"';
  for (i = 1; i <= n; i++)
    info[i] = (char)('a' + i % 26);
  info[n + 1] = '"';
  info[n + 2] = '\0';
  gen = stage_records(db, "2026-11", NULL, 0);
  small = shrink_map(db);
  ck_assert_uint_lt(small, n);
  publish_list(db, "2026-11", gen, NULL, 0, info);
  mdb_env_info(db->env, &me);
  ck_assert_uint_gt(me.me_mapsize, small + n);
  ck_assert_int_eq(cc_db_period_info(&back, db, "2026-11"), 0);
  ck_assert_str_eq(back, info);
  free(back);

  small = shrink_map(db);
  info[n / 2] = '\0'; /* 4 MB: more than the map has left */
  ck_assert_int_eq(cc_db_put_timed(db, "audit", key, sizeof key, 0, 1, info,
                                   n / 2, "audit log"),
                   0);
  mdb_env_info(db->env, &me);
  ck_assert_uint_gt(me.me_mapsize, small);
  free(info);
  cc_db_close(db);
}
END_TEST

START_TEST(test_index_stage_abort_leaves_db)
{
  cc_db *db = tu_db_open(path_in("db"));
  cc_record r[6];
  size_t n = roundtrip_records(r), i;
  uint32_t g;
  cc_stage st;
  cc_index_entry e[6];
  uint8_t payload[6][CC_IDX_VALUE_MAX];
  static const char *const f[] = {"kept"};
  char *before, *after;

  g = stage_records(db, "2026-09", r, n);
  publish(db, "2026-09", g, f, 1, "{}");
  before = db_dump(db);

  ck_assert_int_eq(cc_index_stage_begin(&st, db, "2026-09", 1 << 20), 0);
  for (i = 0; i < n; i++) {
    ck_assert_int_eq(cc_index_stage_record(&st, &r[i]), 0);
    e[i].hash = r[i].id_hash;
    e[i].roster = r[i].roster;
    e[i].line = r[i].line;
    e[i].payload = payload[i];
    e[i].len = (uint16_t)cc_index_encode_idx(payload[i], &r[i]);
  }
  ck_assert_int_eq(cc_index_sort(e, n, 1), 0);
  ck_assert_int_eq(cc_index_stage_entries(&st, e, n), 0);
  cc_index_stage_abort(&st);
  cc_index_stage_abort(&st); /* twice is harmless */

  after = db_dump(db);
  ck_assert_str_eq(after, before);
  free(after);
  cc_db_close(db);

  /* Also after a reopen. */
  db = tu_db_open(path_in("db"));
  after = db_dump(db);
  ck_assert_str_eq(after, before);
  free(after);
  free(before);
  cc_db_close(db);
}
END_TEST

START_TEST(test_index_unpublished_stage_dropped_at_open)
{
  const char *dir = path_in("db");
  cc_db *db = tu_db_open(dir);
  cc_db_options ro = CC_DB_OPTIONS_INIT;
  cc_record r[6];
  size_t n = roundtrip_records(r);
  uint32_t g1, g2, g3, g;
  static const char *const f[] = {"one", "two"};
  char *before, *names, *s, name[32];
  char **p;
  size_t np;
  MDB_txn *txn;

  g1 = stage_records(db, "2026-09", r, n);
  publish(db, "2026-09", g1, f, 2, "{}");
  before = db_dump(db);

  /* A run killed after its stage committed: two of them, one for the
   * published period and one for a new period. */
  g2 = stage_records(db, "2026-09", r, n);
  g3 = stage_records(db, "2026-10", r, 3);
  cc_db_close(db);

  /* A read-only open sees the leftovers (it may not write) and still the
   * published period only. */
  ro.read_only = 1;
  ck_assert_int_eq(cc_db_open(&db, dir, &ro), 0);
  ck_assert_uint_eq(count_staging(db), 2);
  names = db_names(db);
  snprintf(name, sizeof name, "g%08x.rec", g2);
  ck_assert_ptr_nonnull(strstr(names, name));
  snprintf(name, sizeof name, "g%08x.idx", g3);
  ck_assert_ptr_nonnull(strstr(names, name));
  free(names);
  ck_assert_int_eq(cc_db_periods(&p, &np, db), 0);
  ck_assert_uint_eq(np, 1);
  free_periods(p, np);
  cc_db_close(db);

  /* The next open drops them; the published period is as it was. */
  db = tu_db_open(dir);
  ck_assert_uint_eq(count_staging(db), 0);
  names = db_names(db);
  snprintf(name, sizeof name, "g%08x.", g2);
  ck_assert_ptr_null(strstr(names, name));
  snprintf(name, sizeof name, "g%08x.", g3);
  ck_assert_ptr_null(strstr(names, name));
  snprintf(name, sizeof name, "g%08x.rec", g1);
  ck_assert_ptr_nonnull(strstr(names, name));
  free(names);
  ck_assert_int_eq(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn), 0);
  ck_assert_int_eq(cc_index_period_gen(&g, db, txn, "2026-09"), 0);
  ck_assert_uint_eq(g, g1);
  ck_assert_int_eq(cc_index_period_gen(&g, db, txn, "2026-10"), CC_ENOTFOUND);
  mdb_txn_abort(txn);
  s = loaded(db, "2026-09");
  ck_assert_str_eq(s, "one\ntwo\n");
  free(s);
  ck_assert_int_eq(cc_db_periods(&p, &np, db), 0);
  ck_assert_uint_eq(np, 1);
  ck_assert_str_eq(p[0], "2026-09");
  free_periods(p, np);
  /* Everything but the generation counter is as it was. */
  {
    char *after = db_dump(db);
    char *a = strstr(after, "6e6578745f67656e="); /* "next_gen=" */
    char *b = strstr(before, "6e6578745f67656e=");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(memcmp(after, before, (size_t)(b - before)), 0);
    ck_assert_str_eq(strchr(a, '\n'), strchr(b, '\n'));
    free(after);
  }
  free(before);

  /* A later stage gets a fresh generation number, not a reused one. */
  g = stage_records(db, "2026-10", r, 1);
  ck_assert_uint_gt(g, g3);
  cc_db_close(db);
}
END_TEST

static Suite *index_suite(void)
{
  Suite *s = suite_create("index");
  TCase *core = tcase_create("Core");
  TCase *limits = tcase_create("Limits");
  tcase_add_checked_fixture(core, setup, teardown);
  tcase_add_test(core, test_index_open_creates_private_dir);
  tcase_add_test(core, test_index_open_other_format_is_corrupt);
  tcase_add_test(core, test_index_open_read_only_missing);
  tcase_add_test(core, test_index_open_read_only_reads);
  tcase_add_test(core, test_index_layout_known_bytes);
  tcase_add_test(core, test_index_stage_roundtrip);
  tcase_add_test(core, test_index_rec_chunks);
  tcase_add_test(core, test_index_memory_generation);
  tcase_add_test(core, test_index_finding_known_bytes);
  tcase_add_test(core, test_index_finding_roundtrip);
  tcase_add_test(core, test_index_load_findings);
  tcase_add_test(core, test_index_layout_dictionary_bytes);
  tcase_add_test(core, test_index_layout_boundaries);
  tcase_add_test(core, test_index_layout_dictionary_missing);
  tcase_add_test(core, test_index_enrollments_old_layout);
  tcase_add_test(core, test_index_finding_get);
  tcase_add_test(core, test_index_period_info);
  tcase_add_test(core, test_index_school_counts);
  tcase_add_test(core, test_index_previous_period);
  tcase_add_test(core, test_index_publish_replaces_period);
  tcase_add_test(core, test_index_map_full_grows);
  tcase_add_test(core, test_index_stage_abort_leaves_db);
  tcase_add_test(core, test_index_unpublished_stage_dropped_at_open);
  tcase_add_checked_fixture(limits, setup, teardown);
  tcase_set_timeout(limits, 120);
  tcase_add_test(limits, test_index_decode_rejects_damage);
  tcase_add_test(limits, test_index_layout_rejects_damage);
  tcase_add_test(limits, test_index_finding_decode_rejects_damage);
  tcase_add_loop_test(limits, test_index_sort_matches_qsort, 0,
                      (int)(sizeof sort_sizes / sizeof sort_sizes[0]));
  tcase_add_test(limits, test_index_sort_sorted_and_reversed);
  tcase_add_test(limits, test_index_group_blocks_by_hand);
  tcase_add_test(limits, test_index_group_blocks_matches_qsort);
  tcase_add_loop_test(limits, test_index_sort_parts_matches_qsort, 0,
                      (int)(sizeof part_sizes / sizeof part_sizes[0]));
  suite_add_tcase(s, core);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  return tu_main(index_suite, root, sizeof root, "index");
}
