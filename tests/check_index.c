/*
 * check_index.c - the LMDB database of engine/index.c: opening, the byte
 * layouts drawn at the top of index.c, sorting index entries, and the
 * generation life cycle stage -> commit -> publish (or abort, or a run
 * killed between commit and publish).
 *
 * Every database lives in a mkdtemp directory removed after the test.
 * Expected bytes are written out by hand from the layout table, e.g. for
 * the layout test below (grant 2000 yuan = 200000 fen = 0x030D40, waiver
 * 1000 yuan = 100000 fen = 0x0186A0, line 74565 = 0x00012345, "张三" =
 * e5 bc a0 e4 b8 89).
 */
#define _GNU_SOURCE
#include <check.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lmdb.h>

#include "chachong/errors.h"
#include "chachong/index.h"
#include "chachong/record.h"
#include "index_internal.h"

/* ------------------------------------------------------------------ */
/* Scratch directories: main() makes `root` and removes it after every test
 * ran (a failed test leaves its forked child through _exit, skipping the
 * teardown); each test gets its own directory under it. */

static char root[256];
static char scratch[320];

static int rm_entry(const char *path, const struct stat *sb, int flag,
                    struct FTW *ftw)
{
  (void)sb;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

static void remove_tree(const char *dir)
{
  if (dir[0])
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void scratch_remove(void)
{
  remove_tree(scratch);
  scratch[0] = '\0';
}

static void setup(void)
{
  snprintf(scratch, sizeof scratch, "%s/t_XXXXXX", root);
  ck_assert_ptr_nonnull(mkdtemp(scratch));
}

static void teardown(void) { scratch_remove(); }

static char *path_in(const char *name)
{
  static char buf[4][512];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", scratch, name);
  return buf[k];
}

static cc_db *open_db(const char *dir)
{
  cc_db *db = NULL;
  cc_db_options o = CC_DB_OPTIONS_INIT;
  o.no_sync = 1;
  ck_assert_int_eq(cc_db_open(&db, dir, &o), 0);
  ck_assert_ptr_nonnull(db);
  return db;
}

/* ------------------------------------------------------------------ */
/* Records. */

static cc_str S(const char *s)
{
  cc_str r;
  r.ptr = s;
  r.len = (uint32_t)strlen(s);
  return r;
}

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
  r->name = S(name);
  r->name_folded = S(name);
  r->text[CC_COL_SCHOOL_CODE] = S(school);
}

/* Stages records (in (roster, line) order) and their index entries, sorted
 * by the engine, and commits. Returns the generation. */
static uint32_t stage_records(cc_db *db, const char *period,
                              const cc_record *recs, size_t n)
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
    e[i].len = (uint16_t)cc_index_encode_idx(payload + i * CC_IDX_VALUE_MAX,
                                             &recs[i]);
  }
  ck_assert_int_eq(cc_index_sort(e, n, 1), 0);
  ck_assert_int_eq(cc_index_stage_entries(&st, e, n), 0);
  ck_assert_int_eq(cc_index_stage_commit(&st), 0);
  free(e);
  free(payload);
  return st.gen;
}

static void publish(cc_db *db, const char *period, uint32_t gen,
                    const char *const *lines, size_t n, const char *info)
{
  cc_index_finding f[16];
  size_t i;
  ck_assert_uint_le(n, 16);
  for (i = 0; i < n; i++) {
    f[i].json = lines[i];
    f[i].len = strlen(lines[i]);
  }
  ck_assert_int_eq(cc_index_publish(db, period, gen, f, n, info), 0);
}

/* ------------------------------------------------------------------ */
/* Raw views of the database. */

typedef struct text {
  char *p;
  size_t len, cap;
} text;

static void tput(text *t, const void *p, size_t n)
{
  if (t->len + n + 1 > t->cap) {
    size_t cap = t->cap ? t->cap : 1024;
    while (cap < t->len + n + 1)
      cap *= 2;
    t->p = realloc(t->p, cap);
    ck_assert_ptr_nonnull(t->p);
    t->cap = cap;
  }
  memcpy(t->p + t->len, p, n);
  t->len += n;
  t->p[t->len] = '\0';
}

static void thex(text *t, const MDB_val *v)
{
  static const char hex[] = "0123456789abcdef";
  size_t i;
  for (i = 0; i < v->mv_size; i++) {
    char b[2];
    b[0] = hex[((const uint8_t *)v->mv_data)[i] >> 4];
    b[1] = hex[((const uint8_t *)v->mv_data)[i] & 15];
    tput(t, b, 2);
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
  text t = {0};
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
    tput(&t, "[", 1);
    tput(&t, names[i], strlen(names[i]));
    tput(&t, "]\n", 2);
    ck_assert_int_eq(mdb_dbi_open(txn, names[i], 0, &dbi), 0);
    ck_assert_int_eq(mdb_cursor_open(txn, dbi, &cur), 0);
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
      thex(&t, &k);
      tput(&t, "=", 1);
      thex(&t, &v);
      tput(&t, "\n", 1);
    }
    mdb_cursor_close(cur);
  }
  mdb_txn_abort(txn);
  if (t.p == NULL)
    tput(&t, "", 0);
  return t.p;
}

/* The names of the named databases, one per line. */
static char *db_names(cc_db *db)
{
  MDB_txn *txn;
  MDB_dbi main_dbi;
  MDB_cursor *cur;
  MDB_val k, v;
  text t = {0};
  int mrc;
  ck_assert_int_eq(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn), 0);
  ck_assert_int_eq(mdb_dbi_open(txn, NULL, 0, &main_dbi), 0);
  ck_assert_int_eq(mdb_cursor_open(txn, main_dbi, &cur), 0);
  for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
       mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    tput(&t, k.mv_data, k.mv_size);
    tput(&t, "\n", 1);
  }
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  if (t.p == NULL)
    tput(&t, "", 0);
  return t.p;
}

/* The findings stored for a period, concatenated. */
static char *period_findings(cc_db *db, const char *period)
{
  MDB_txn *txn;
  MDB_dbi find;
  MDB_cursor *cur;
  MDB_val k, v;
  text t = {0};
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
    tput(&t, v.mv_data, v.mv_size);
  }
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  if (t.p == NULL)
    tput(&t, "", 0);
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
  cc_db *db = open_db(dir);
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

  /* "format" = u32 big-endian CC_DB_FORMAT (1). */
  ck_assert_int_eq(meta_get(db, "format", 6, &v, fmt, sizeof fmt), 0);
  ck_assert_uint_eq(v.mv_size, 4);
  ck_assert_int_eq(memcmp(v.mv_data, "\0\0\0\1", 4), 0);
  ck_assert_int_eq(CC_DB_FORMAT, 1);
  cc_db_close(db);

  /* Reopening keeps it and finds no periods. */
  db = open_db(dir);
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
  cc_db *db = open_db(dir);
  cc_db_options ro = CC_DB_OPTIONS_INIT;
  ro.read_only = 1;
  cc_db_close(db);

  force_format(dir, "\0\0\0\2", 4);
  db = (cc_db *)1;
  {
    cc_db_options o = CC_DB_OPTIONS_INIT;
    ck_assert_int_eq(cc_db_open(&db, dir, &o), CC_ECORRUPT);
    ck_assert_ptr_null(db);
    ck_assert_ptr_nonnull(strstr(cc_error_last(), "version 2"));
  }
  db = (cc_db *)1;
  ck_assert_int_eq(cc_db_open(&db, dir, &ro), CC_ECORRUPT);
  ck_assert_ptr_null(db);

  /* A value of the wrong size is not format 1 either. */
  force_format(dir, "\0\0\1", 3);
  {
    cc_db_options o = CC_DB_OPTIONS_INIT;
    ck_assert_int_eq(cc_db_open(&db, dir, &o), CC_ECORRUPT);
    ck_assert_ptr_null(db);
  }

  /* Back to 1: opens again. */
  force_format(dir, "\0\0\0\1", 4);
  db = open_db(dir);
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
  cc_db *db = open_db(dir);
  cc_db_options ro = CC_DB_OPTIONS_INIT;
  cc_record r;
  uint32_t gen;
  static const char *const lines[] = {"{\"x\": 1}\n"};
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
  f = period_findings(db, "2026-09");
  ck_assert_str_eq(f, "{\"x\": 1}\n");
  free(f);
  cc_db_close(db);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Byte layouts. */

START_TEST(test_index_layout_known_bytes)
{
  const char *id = "110101200501010018";
  cc_db *db = open_db(path_in("db"));
  cc_record r;
  uint32_t gen;
  MDB_txn *txn;
  MDB_dbi rec, idx;
  MDB_val k, v;
  uint8_t key[14];
  uint64_t h = cc_id_hash(id, 18);
  int i;
  /* idx value: status 2 (休学) | verdict 1 | reason 5 (check_digit) |
   * upgraded 1 | grant 200000 | waiver 100000 | 18 | id | 2 "S1" |
   * 6 "张三" */
  static const uint8_t idx_val[] = {
      2, 1, 5, 1,
      0, 0, 0, 0, 0, 0x03, 0x0D, 0x40,
      0, 0, 0, 0, 0, 0x01, 0x86, 0xA0,
      18, '1', '1', '0', '1', '0', '1', '2', '0', '0', '5', '0', '1', '0',
      '1', '0', '0', '1', '8',
      2, 'S', '1',
      6, 0xe5, 0xbc, 0xa0, 0xe4, 0xb8, 0x89};
  /* rec value: the same head, then ten u16-length cells: name "张三",
   * school_code "S1", school_name "", region_code "370102", record_id "",
   * study_mode "", grade "2", enroll_date "", program_years "", major "" */
  static const uint8_t rec_val[] = {
      2, 1, 5, 1,
      0, 0, 0, 0, 0, 0x03, 0x0D, 0x40,
      0, 0, 0, 0, 0, 0x01, 0x86, 0xA0,
      18, '1', '1', '0', '1', '0', '1', '2', '0', '0', '5', '0', '1', '0',
      '1', '0', '0', '1', '8',
      0, 6, 0xe5, 0xbc, 0xa0, 0xe4, 0xb8, 0x89,
      0, 2, 'S', '1',
      0, 0,
      0, 6, '3', '7', '0', '1', '0', '2',
      0, 0,
      0, 0,
      0, 1, '2',
      0, 0,
      0, 0,
      0, 0};
  uint8_t enc[CC_IDX_VALUE_MAX];

  mkrec(&r, 1, 74565, id, "张三", "S1", CC_STATUS_SUSPENDED, 200000, 100000);
  r.id_verdict = CC_ID_INVALID;
  r.id_reason = CC_IDR_CHECK_DIGIT;
  r.id_upgraded = 1;
  r.text[CC_COL_REGION_CODE] = S("370102");
  r.text[CC_COL_GRADE] = S("2");
  ck_assert_uint_eq(cc_index_encode_idx(enc, &r), sizeof idx_val);
  ck_assert_int_eq(memcmp(enc, idx_val, sizeof idx_val), 0);

  gen = stage_records(db, "2026-09", &r, 1);
  ck_assert_int_eq(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn), 0);
  ck_assert_int_eq(cc_index_open_gen(&rec, &idx, NULL, txn, gen), 0);

  /* rec key: u16 roster | u32 line */
  k.mv_data = "\x00\x01\x00\x01\x23\x45";
  k.mv_size = 6;
  ck_assert_int_eq(mdb_get(txn, rec, &k, &v), 0);
  ck_assert_uint_eq(v.mv_size, sizeof rec_val);
  ck_assert_int_eq(memcmp(v.mv_data, rec_val, sizeof rec_val), 0);

  /* idx key: u64 hash | u16 roster | u32 line, big-endian */
  for (i = 0; i < 8; i++)
    key[i] = (uint8_t)(h >> (56 - 8 * i));
  memcpy(key + 8, "\x00\x01\x00\x01\x23\x45", 6);
  k.mv_data = key;
  k.mv_size = 14;
  ck_assert_int_eq(mdb_get(txn, idx, &k, &v), 0);
  ck_assert_uint_eq(v.mv_size, sizeof idx_val);
  ck_assert_int_eq(memcmp(v.mv_data, idx_val, sizeof idx_val), 0);
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
  r[0].text[CC_COL_SCHOOL_NAME] = S("济南第一职业中等专业学校");
  r[0].text[CC_COL_REGION_CODE] = S("370102");
  r[0].text[CC_COL_RECORD_ID] = S("2024370100001");
  r[0].text[CC_COL_STUDY_MODE] = S("全日制");
  r[0].text[CC_COL_GRADE] = S("2");
  r[0].text[CC_COL_ENROLL_DATE] = S("2024-09-01");
  r[0].text[CC_COL_PROGRAM_YEARS] = S("3");
  r[0].text[CC_COL_MAJOR] = S("数控技术应用");

  mkrec(&r[1], 0, 3, "11010120050101005X", "王\xf0\xa0\xae\xb7", long_code,
        CC_STATUS_SUSPENDED, 0, 0);
  r[1].id_upgraded = 1;

  mkrec(&r[2], 1, 2, "1101012005010100", "阿依古丽·买买提", "J1",
        CC_STATUS_WITHDRAWN, INT64_C(9007199254740993), 1);
  r[2].id_verdict = CC_ID_INVALID;
  r[2].id_reason = CC_IDR_LENGTH;
  r[2].name = S(" 阿依古丽•买买提 ");

  mkrec(&r[3], 1, 4, "110101200501011239", "张三", "J1", CC_STATUS_GRADUATED,
        0, 0);
  r[3].text[CC_COL_SCHOOL_NAME] = S(long_school_name);

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
      CC_COL_SCHOOL_CODE, CC_COL_SCHOOL_NAME, CC_COL_REGION_CODE,
      CC_COL_RECORD_ID, CC_COL_STUDY_MODE, CC_COL_GRADE, CC_COL_ENROLL_DATE,
      CC_COL_PROGRAM_YEARS, CC_COL_MAJOR};
  cc_record r[6];
  const cc_record *order[6];
  size_t n = roundtrip_records(r), i, j;
  cc_db *db = open_db(path_in("db"));
  uint32_t gen = stage_records(db, "2026-09", r, n);
  MDB_txn *txn;
  MDB_dbi rec, idx;
  MDB_cursor *cur;
  MDB_val k, v;
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
    assert_str(x.id.ptr, x.id.len, S(r[i].id));
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
  ck_assert_int_eq(mdb_cursor_open(txn, idx, &cur), 0);
  i = 0;
  for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
       mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), i++) {
    cc_index_item it;
    const cc_record *w;
    ck_assert_uint_lt(i, n);
    w = order[i];
    ck_assert_int_eq(cc_index_decode_idx(&it, &k, &v), 0);
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
    assert_str(it.id, it.id_len, S(w->id));
    assert_str(it.school_code, it.school_code_len, w->text[CC_COL_SCHOOL_CODE]);
    assert_str(it.name_folded, it.name_folded_len, w->name_folded);
  }
  ck_assert_int_eq(mrc, MDB_NOTFOUND);
  ck_assert_uint_eq(i, n);
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  cc_db_close(db);
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
  mkrec(&r, 0, 2, "110101200501011239", "张三", "S1", CC_STATUS_ENROLLED, 0,
        0);
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

static const size_t sort_sizes[] = {0, 1, 2, 3, 24, 25, 26, 100, 1000,
                                    4096, 4097, 60000};

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

/* ------------------------------------------------------------------ */
/* Generations. */

START_TEST(test_index_publish_replaces_period)
{
  cc_db *db = open_db(path_in("db"));
  cc_record r[2];
  uint32_t g1, g2, g3, g;
  static const char *const f1[] = {"{\"a\": 1}\n", "{\"b\": 2}\n"};
  static const char *const f2[] = {"{\"c\": 3}\n"};
  static const char *const f3[] = {"{\"d\": 4}\n"};
  char **p;
  size_t n;
  char *s, name[32];
  MDB_txn *txn;
  MDB_dbi dbi;
  MDB_val v;
  uint8_t buf[256];

  mkrec(&r[0], 0, 2, "110101200501011239", "张三", "S1", CC_STATUS_ENROLLED, 0, 0);
  mkrec(&r[1], 1, 2, "110101200501011239", "张三", "J1", CC_STATUS_ENROLLED, 0, 0);
  g1 = stage_records(db, "2026-09", r, 2);
  publish(db, "2026-09", g1, f1, 2, "{\"run\": 1}");
  s = period_findings(db, "2026-09");
  ck_assert_str_eq(s, "{\"a\": 1}\n{\"b\": 2}\n");
  free(s);

  /* "period/2026-09" = u32 generation | run info */
  ck_assert_int_eq(meta_get(db, "period/2026-09", 14, &v, buf, sizeof buf), 0);
  ck_assert_uint_eq(v.mv_size, 4 + 10);
  ck_assert_uint_eq((uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
                        (uint32_t)buf[2] << 8 | buf[3], g1);
  ck_assert_int_eq(memcmp(buf + 4, "{\"run\": 1}", 10), 0);

  /* The same period again: replaced, listed once, old generation gone. */
  g2 = stage_records(db, "2026-09", r, 1);
  ck_assert_uint_ne(g2, g1);
  publish(db, "2026-09", g2, f2, 1, "{\"run\": 2}");
  ck_assert_int_eq(cc_db_periods(&p, &n, db), 0);
  ck_assert_uint_eq(n, 1);
  ck_assert_str_eq(p[0], "2026-09");
  free_periods(p, n);
  s = period_findings(db, "2026-09");
  ck_assert_str_eq(s, "{\"c\": 3}\n");
  free(s);
  ck_assert_int_eq(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn), 0);
  ck_assert_int_eq(cc_index_period_gen(&g, db, txn, "2026-09"), 0);
  ck_assert_uint_eq(g, g2);
  ck_assert_int_eq(cc_index_open_gen(&dbi, NULL, NULL, txn, g1), CC_ENOTFOUND);
  ck_assert_int_eq(cc_index_open_gen(NULL, &dbi, NULL, txn, g1), CC_ENOTFOUND);
  ck_assert_int_eq(cc_index_open_gen(NULL, NULL, &dbi, txn, g1), CC_ENOTFOUND);
  ck_assert_int_eq(cc_index_period_gen(&g, db, txn, "2026-10"), CC_ENOTFOUND);
  mdb_txn_abort(txn);

  /* Only meta and the live generation's three databases remain. */
  s = db_names(db);
  {
    char want[128];
    char a[32], b[32], c[32];
    snprintf(a, sizeof a, "g%08x.find", g2);
    snprintf(b, sizeof b, "g%08x.idx", g2);
    snprintf(c, sizeof c, "g%08x.rec", g2);
    snprintf(want, sizeof want, "%s\n%s\n%s\nmeta\n", a, b, c);
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
  s = period_findings(db, "2026-09");
  ck_assert_str_eq(s, "{\"c\": 3}\n");
  free(s);
  snprintf(name, sizeof name, "g%08x.rec", g1);
  s = db_names(db);
  ck_assert_ptr_null(strstr(s, name));
  free(s);
  cc_db_close(db);

  /* And all of it survives a reopen. */
  db = open_db(path_in("db"));
  s = period_findings(db, "2026-10");
  ck_assert_str_eq(s, "{\"d\": 4}\n");
  free(s);
  cc_db_close(db);
}
END_TEST

START_TEST(test_index_stage_abort_leaves_db)
{
  cc_db *db = open_db(path_in("db"));
  cc_record r[6];
  size_t n = roundtrip_records(r), i;
  uint32_t g;
  cc_stage st;
  cc_index_entry e[6];
  uint8_t payload[6][CC_IDX_VALUE_MAX];
  static const char *const f[] = {"{\"kept\": true}\n"};
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
  db = open_db(path_in("db"));
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
  cc_db *db = open_db(dir);
  cc_db_options ro = CC_DB_OPTIONS_INIT;
  cc_record r[6];
  size_t n = roundtrip_records(r);
  uint32_t g1, g2, g3, g;
  static const char *const f[] = {"{\"one\": 1}\n", "{\"two\": 2}\n"};
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
  db = open_db(dir);
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
  s = period_findings(db, "2026-09");
  ck_assert_str_eq(s, "{\"one\": 1}\n{\"two\": 2}\n");
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
  tcase_add_test(core, test_index_publish_replaces_period);
  tcase_add_test(core, test_index_stage_abort_leaves_db);
  tcase_add_test(core, test_index_unpublished_stage_dropped_at_open);
  tcase_add_checked_fixture(limits, setup, teardown);
  tcase_set_timeout(limits, 120);
  tcase_add_test(limits, test_index_decode_rejects_damage);
  tcase_add_loop_test(limits, test_index_sort_matches_qsort, 0,
                      (int)(sizeof sort_sizes / sizeof sort_sizes[0]));
  tcase_add_test(limits, test_index_sort_sorted_and_reversed);
  suite_add_tcase(s, core);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  const char *tmp = getenv("TMPDIR");
  SRunner *sr;
  int failed;
  snprintf(root, sizeof root, "%s/cc_check_index_XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (mkdtemp(root) == NULL) {
    perror(root);
    return EXIT_FAILURE;
  }
  sr = srunner_create(index_suite());
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  remove_tree(root);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
