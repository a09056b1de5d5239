/*
 * check_run.c - cc_run_monthly end to end on small CSV files written here:
 * outputs and their modes, the summary, bad options, and above all that a
 * run which fails, is cancelled or is killed leaves the database as it was.
 *
 * IDs (check characters by hand, method in tests/check_normalize_id.c;
 * positions 1-14 of 110101 20050101 give 58, positions 15-17 weigh 8 4 2):
 *
 *   A 110101200501011239  58+8+8+6 = 80 = 7*11+3  -> 9  valid
 *   B 110101200501010017  58+2     = 60 = 5*11+5  -> 7  valid
 *   C 110101200501010025  58+4     = 62 = 5*11+7  -> 5  valid
 *   D 110101200501010033  58+6     = 64 = 5*11+9  -> 3  valid
 *   E 110101200501010041  58+8     = 66 = 6*11+0  -> 1  valid
 *   X 110101200501010018  7 is due, 8 given: invalid (check_digit),
 *                         masked 110101********0018
 *
 * Issue date 2026-11-23 (a Monday); ten working days later, no holiday
 * in between: Nov 24 25 26 27, Nov 30, Dec 1 2 3 4, Dec 7 -> 2026-12-07.
 * Issued 2026-12-07: Dec 8 9 10 11, 14 15 16 17 18, 21 -> 2026-12-21;
 * issued 2026-12-08: Dec 9 10 11, 14 15 16 17 18, 21 22 -> 2026-12-22
 * (no holiday in December 2026; 元旦 2027 comes later).
 *
 * The database stores findings in a binary layout; tests read them back
 * with cc_db_load_findings and write them as findings.jsonl lines
 * (cc_finding_to_json), so "the database holds what the file says" is a
 * comparison of text.
 *
 * Test processes call cc_run_monthly, which uses OpenMP; a test that forks
 * (the killed run) makes every run in a child and never enters OpenMP
 * itself, since libgomp may hang in a child forked after a parallel region.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "chachong/errors.h"
#include "chachong/finding.h"
#include "chachong/index.h"
#include "chachong/lifecycle.h"
#include "chachong/normalize_id.h"
#include "chachong/run.h"
#include "chachong/types.h"
#include "fs_internal.h"
#include "index_internal.h"
#include "store_lmdb_internal.h"
#include "test_util.h"

/* ------------------------------------------------------------------ */
/* Scratch directories: main() makes `root` and removes it at the end (a
 * failed test leaves its forked child through _exit, without teardown). */

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

static char *P(const char *name)
{
  static char buf[8][512];
  static int k;
  k = (k + 1) % 8;
  snprintf(buf[k], sizeof buf[k], "%s/%s", scratch, name);
  return buf[k];
}

static int exists(const char *path)
{
  struct stat sb;
  return stat(path, &sb) == 0;
}

/* ------------------------------------------------------------------ */
/* Rosters. */

#define A "110101200501011239"
#define B "110101200501010017"
#define C "110101200501010025"
#define D "110101200501010033"
#define E "110101200501010041"
#define X "110101200501010018"

/* Line numbers are the physical lines (header = 1). */
static const char moe_csv[] =
    "身份证号,姓名,学校代码,学籍状态,学校名称,所在地区代码,学籍号,助学金,"
    "免学费\n" A ",张三,S1,在籍,一中,370102,M001,1000,\n" /* 2 */
    B ",李四,S1,在籍,一中,370102,M002,,\n"                /* 3 */
    B ",李 四,S1,休学,一中,370102,M003,,\n" /* 4 folds to 李四 */
    C ",王五,S2,转学,二中,370103,M004,,\n"  /* 5 */
    ",,,,,,,,\n"                            /* 6 blank */
    "abc,赵六,S1,在籍,一中,370102,M006,,\n" /* 7 id_not_digits */
    X ",钱七,S2,在籍,二中,370103,M007,,\n"; /* 8 invalid ID */

static const char mohrss_csv[] =
    "id_number,name,school_code,status,grant_amount,waiver_amount\n" A
    ",张三,J1,在籍,800,\n"       /* 2 */
    C ",王五,J2,在籍,,\n"        /* 3 */
    X ",钱七,J1,休学,,\n"        /* 4 */
    D ",孙八,J3,在籍,1.5E+3,\n"; /* 5 amount_invalid */

/* Worked out by hand from docs/RULES.md:
 *   A: moe:2 S1 and mohrss:2 J1 both 在籍 -> dual_enrollment cross;
 *      grants 1000 and 800 -> double_grant, at risk 1800 - 1000 = 800
 *   B: moe:3 and moe:4 at S1, 在籍 and 休学 -> duplicate_record
 *   C: 转学 + 在籍 -> nothing
 *   X: moe:8 在籍 and mohrss:4 休学 -> dual_enrollment cross, invalid ID
 * Output order: type, then ID ("...0018" < "...1239"). */
static const char *const first_findings[] = {
    "dual_enrollment cross invalid 0 moe:8,mohrss:4",
    "dual_enrollment cross valid 0 moe:2,mohrss:2",
    "duplicate_record within valid 0 moe:3,moe:4",
    "double_grant cross valid 800 moe:2,mohrss:2", NULL};

/* A second pair for the same period:
 *   B: moe:2 S1 and mohrss:3 J1 在籍, waivers 2000 and 1500 ->
 *      dual_enrollment and double_waiver (3500 - 2000 = 1500)
 *   E: 周九 (毕业) and 郑十 (在籍): names differ -> id_conflict only */
static const char moe_b_csv[] =
    "身份证号,姓名,学校代码,学籍状态,免学费\n" B ",李四,S1,在籍,2000\n" /* 2 */
    E ",周九,S3,毕业,\n";                                               /* 3 */
static const char mohrss_b_csv[] =
    "身份证号,姓名,学校代码,学籍状态,免学费\n" E ",郑十,J4,在籍,\n" /* 2 */
    B ",李四,J1,在籍,\"1,500.00\"\n";                               /* 3 */
static const char *const second_findings[] =
    {/* sorted bytewise */
     "double_waiver cross valid 1500 moe:2,mohrss:3",
     "dual_enrollment cross valid 0 moe:2,mohrss:3",
     "id_conflict cross valid 0 moe:3,mohrss:2", NULL};

static cc_roster_spec rosters[3];

/* Paths are copied: P() hands out rotating buffers. */
static char roster_path[2][512], db_path[512], out_path[512];

static void set_rosters(const char *moe_path, const char *mohrss_path)
{
  memset(rosters, 0, sizeof rosters);
  snprintf(roster_path[0], sizeof roster_path[0], "%s", moe_path);
  snprintf(roster_path[1], sizeof roster_path[1], "%s", mohrss_path);
  rosters[0].label = "moe";
  rosters[0].path = roster_path[0];
  rosters[1].label = "mohrss";
  rosters[1].path = roster_path[1];
}

static cc_run_options options(const char *db, const char *period,
                              const char *out)
{
  cc_run_options o = CC_RUN_OPTIONS_INIT;
  snprintf(db_path, sizeof db_path, "%s", db);
  snprintf(out_path, sizeof out_path, "%s", out);
  db = db_path;
  out = out_path;
  o.db_dir = db;
  o.period = period;
  o.issued = cc_date_from_ymd(2026, 11, 23);
  o.rosters = rosters;
  o.n_rosters = 2;
  o.out_dir = out;
  o.threads = 2;
  o.no_sync = 1;
  return o;
}

/* ------------------------------------------------------------------ */
/* Findings as text: the projection of docs/RULES.md, one line each, in
 * file order. */

static const char *after(const char *s, const char *key)
{
  const char *p = strstr(s, key);
  ck_assert_msg(p != NULL, "no %s in %s", key, s);
  return p + strlen(key);
}

/* Projects one JSON line (up to its '\n'). */
static void project_line(char *out, size_t cap, const char *line)
{
  const char *end = strchr(line, '\n'), *p, *q;
  char type[32], scope[16], valid[8], amount[32];
  size_t len;
  ck_assert_ptr_nonnull(end);
  sscanf(after(line, "\"type\": \""), "%31[^\"]", type);
  sscanf(after(line, "\"scope\": \""), "%15[^\"]", scope);
  strcpy(valid, strncmp(after(line, "\"id_valid\": "), "true", 4) == 0
                    ? "valid"
                    : "invalid");
  sscanf(after(line, "\"amount_at_risk\": "), "%31[^,]", amount);
  len = (size_t)snprintf(out, cap, "%s %s %s %s ", type, scope, valid, amount);
  /* members appear in roster number, then line order; moe is roster 0 */
  p = after(line, "\"members\": [");
  for (q = strstr(p, "{\"roster\": \""); q && q < end;
       q = strstr(q + 1, "{\"roster\": \"")) {
    char label[33];
    unsigned ln;
    ck_assert_int_eq(
        sscanf(q, "{\"roster\": \"%32[^\"]\", \"line\": %u", label, &ln), 2);
    len += (size_t)snprintf(out + len, cap - len, "%s%s:%u",
                            q == strstr(p, "{\"roster\": \"") ? "" : ",", label,
                            ln);
  }
}

static void assert_findings_text(const char *text, const char *const *want)
{
  const char *line = text;
  size_t i = 0;
  char got[512];
  while (*line) {
    ck_assert_msg(want[i] != NULL, "extra finding: %s", line);
    project_line(got, sizeof got, line);
    ck_assert_msg(strcmp(got, want[i]) == 0, "finding %zu: got '%s', want '%s'",
                  i, got, want[i]);
    line = strchr(line, '\n') + 1;
    i++;
  }
  ck_assert_msg(want[i] == NULL, "missing finding: %s", want[i]);
}

/* Sorts projected lines for an order-free comparison. */
static int str_cmp(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void assert_findings_set(const char *text, const char *const *want)
{
  char *got[16];
  size_t n = 0, i, nw = 0;
  const char *line;
  for (line = text; *line; line = strchr(line, '\n') + 1) {
    ck_assert_uint_lt(n, 16);
    got[n] = malloc(512);
    project_line(got[n], 512, line);
    n++;
  }
  while (want[nw])
    nw++;
  ck_assert_uint_eq(n, nw);
  qsort(got, n, sizeof got[0], str_cmp);
  for (i = 0; i < n; i++) {
    ck_assert_str_eq(got[i], want[i]);
    free(got[i]);
  }
}

/* ------------------------------------------------------------------ */
/* The database, read directly (no OpenMP). */

/* A period's stored findings, as findings.jsonl lines. */
static char *findings_of(const char *dir, const char *period)
{
  cc_db *db = tu_db_open(dir);
  cc_finding_list l;
  cc_finding_context fc;
  tu_text t = {0};
  size_t i;
  ck_assert_int_eq(cc_db_load_findings(&l, db, period), 0);
  fc.period = period;
  for (i = 0; i < l.n; i++) {
    size_t n = cc_finding_to_json(NULL, 0, &l.items[i], &fc);
    char *buf = malloc(n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(cc_finding_to_json(buf, n + 1, &l.items[i], &fc), n);
    tu_text_put(&t, buf, n);
    free(buf);
  }
  cc_finding_list_dispose(&l);
  cc_db_close(db);
  tu_text_put(&t, "", 0);
  return t.p;
}

/* Everything in the database but the generation counter, as text. */
static char *db_dump(const char *dir)
{
  cc_db *db = tu_db_open(dir);
  MDB_txn *txn;
  MDB_dbi main_dbi;
  MDB_cursor *cur;
  MDB_val k, v;
  tu_text t = {0};
  char names[64][64];
  size_t n = 0, i, j;
  int mrc;

  ck_assert_int_eq(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn), 0);
  ck_assert_int_eq(mdb_dbi_open(txn, NULL, 0, &main_dbi), 0);
  ck_assert_int_eq(mdb_cursor_open(txn, main_dbi, &cur), 0);
  for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
       mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    ck_assert_uint_lt(n, 64);
    ck_assert_uint_lt(k.mv_size, 64);
    memcpy(names[n], k.mv_data, k.mv_size);
    names[n++][k.mv_size] = '\0';
  }
  mdb_cursor_close(cur);
  for (i = 0; i < n; i++) {
    MDB_dbi dbi;
    tu_text_put(&t, "[", 1);
    tu_text_put(&t, names[i], strlen(names[i]));
    tu_text_put(&t, "]\n", 2);
    ck_assert_int_eq(mdb_dbi_open(txn, names[i], 0, &dbi), 0);
    ck_assert_int_eq(mdb_cursor_open(txn, dbi, &cur), 0);
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
      if (k.mv_size == 8 && memcmp(k.mv_data, "next_gen", 8) == 0)
        continue;
      for (j = 0; j < k.mv_size; j++) {
        char h[3];
        snprintf(h, sizeof h, "%02x", ((const uint8_t *)k.mv_data)[j]);
        tu_text_put(&t, h, 2);
      }
      tu_text_put(&t, "=", 1);
      for (j = 0; j < v.mv_size; j++) {
        char h[3];
        snprintf(h, sizeof h, "%02x", ((const uint8_t *)v.mv_data)[j]);
        tu_text_put(&t, h, 2);
      }
      tu_text_put(&t, "\n", 1);
    }
    mdb_cursor_close(cur);
  }
  mdb_txn_abort(txn);
  cc_db_close(db);
  tu_text_put(&t, "", 0);
  return t.p;
}

/* Checks that the database holds only meta (and the responses and audit
 * databases), the published periods' generations, and no "staging/" key.
 * Returns the number of periods. */
static size_t assert_no_leftovers(const char *dir)
{
  cc_db *db = tu_db_open(dir);
  MDB_txn *txn;
  MDB_dbi main_dbi;
  MDB_cursor *cur;
  MDB_val k, v;
  uint32_t gens[16];
  size_t n_gens = 0, i;
  int mrc;

  ck_assert_int_eq(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn), 0);
  ck_assert_int_eq(mdb_cursor_open(txn, db->meta, &cur), 0);
  for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
       mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    const uint8_t *p = v.mv_data;
    ck_assert_msg(!(k.mv_size >= 8 && memcmp(k.mv_data, "staging/", 8) == 0),
                  "a staged generation survived the open");
    if (k.mv_size == 14 && memcmp(k.mv_data, "period/", 7) == 0) {
      ck_assert_uint_lt(n_gens, 16);
      gens[n_gens++] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                       (uint32_t)p[2] << 8 | p[3];
    }
  }
  mdb_cursor_close(cur);
  ck_assert_int_eq(mdb_dbi_open(txn, NULL, 0, &main_dbi), 0);
  ck_assert_int_eq(mdb_cursor_open(txn, main_dbi, &cur), 0);
  for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
       mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    char name[64];
    unsigned g;
    int live = 0;
    ck_assert_uint_lt(k.mv_size, 64);
    memcpy(name, k.mv_data, k.mv_size);
    name[k.mv_size] = '\0';
    /* meta, and the environment-wide responses and audit log */
    if (strcmp(name, "meta") == 0 || strcmp(name, "responses") == 0 ||
        strcmp(name, "audit") == 0)
      continue;
    ck_assert_int_eq(sscanf(name, "g%8x.", &g), 1);
    for (i = 0; i < n_gens; i++)
      live |= gens[i] == g;
    ck_assert_msg(live, "%s belongs to no period", name);
  }
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  cc_db_close(db);
  return n_gens;
}

/* Lists the entries of a directory that start with '.', other than . and
 * .. and the run lock (temporary output files). */
static int hidden_entries(const char *dir)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  ck_assert_ptr_nonnull(d);
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 &&
        strcmp(e->d_name, "..") != 0 &&
        strcmp(e->d_name, ".chachong-run.lock") != 0)
      n++;
  closedir(d);
  return n;
}

/* Reads the cross/within/total counts of a type from the summary. */
static void summary_counts(const char *sum, const char *type, unsigned *cross,
                           unsigned *within, unsigned *total)
{
  char key[64];
  const char *p;
  snprintf(key, sizeof key, "\n  %s ", type);
  p = strstr(sum, key);
  ck_assert_msg(p != NULL, "no row %s in the summary", type);
  ck_assert_int_eq(sscanf(p + strlen(key), "%u %u %u", cross, within, total),
                   3);
}

/* ------------------------------------------------------------------ */

START_TEST(test_run_end_to_end)
{
  char *summary = NULL, *s, *file, *jsonl;
  cc_run_options o;
  unsigned c, w, t;
  mode_t old;
  char want[1024];
  cc_db *db;
  char **periods;
  size_t np;

  tu_write_file(P("moe.csv"), moe_csv);
  tu_write_file(P("mohrss.csv"), mohrss_csv);
  set_rosters(P("moe.csv"), P("mohrss.csv"));
  o = options(P("db"), "2026-11", P("out/sub"));
  old = umask(0); /* the modes must come from the code */
  ck_assert_msg(cc_run_monthly(&summary, &o) == 0, "%s", cc_error_last());
  umask(old);
  ck_assert_ptr_nonnull(summary);

  /* Outputs, private. */
  ck_assert_uint_eq(tu_mode_of(P("out")), 0700);
  ck_assert_uint_eq(tu_mode_of(P("out/sub")), 0700);
  ck_assert_uint_eq(tu_mode_of(P("db")), 0700);
  ck_assert_uint_eq(tu_mode_of(P("out/sub/findings.jsonl")), 0600);
  ck_assert_uint_eq(tu_mode_of(P("out/sub/rejects.csv")), 0600);
  ck_assert_uint_eq(tu_mode_of(P("out/sub/invalid_ids.csv")), 0600);
  ck_assert_uint_eq(tu_mode_of(P("out/sub/summary.txt")), 0600);
  ck_assert_uint_eq(tu_mode_of(P("db/data.mdb")), 0600);
  ck_assert_int_eq(hidden_entries(P("out/sub")), 0);

  /* Findings. */
  jsonl = tu_read_file(P("out/sub/findings.jsonl"));
  assert_findings_text(jsonl, first_findings);
  /* The first line in full, the finding_id aside. */
  ck_assert_int_eq(strncmp(jsonl, "{\"finding_id\": \"", 16), 0);
  ck_assert_uint_eq(strspn(jsonl + 16, "0123456789abcdef"), 16);
  {
    const char *line1 =
        "\", \"type\": \"dual_enrollment\", \"scope\": \"cross\", "
        "\"period\": \"2026-11\", \"person\": {\"id_number\": \"" X "\", "
        "\"name\": \"钱七\", \"id_valid\": false, \"id_reason\": "
        "\"check_digit\"}, "
        "\"match\": {\"basis\": \"id_exact\", \"confidence\": 1.0}, "
        "\"members\": [{\"roster\": \"moe\", \"line\": 8, \"record_id\": "
        "\"M007\", "
        "\"school_code\": \"S2\", \"school_name\": \"二中\", "
        "\"region_code\": \"370103\", \"status\": \"在籍\", \"name\": "
        "\"钱七\", "
        "\"grant_amount\": 0, \"waiver_amount\": 0}, "
        "{\"roster\": \"mohrss\", \"line\": 4, \"record_id\": \"\", "
        "\"school_code\": \"J1\", \"school_name\": \"\", \"region_code\": "
        "\"\", "
        "\"status\": \"休学\", \"name\": \"钱七\", \"grant_amount\": 0, "
        "\"waiver_amount\": 0}], \"amount_at_risk\": 0, "
        "\"issued\": \"2026-11-23\", \"deadline\": \"2026-12-07\", "
        "\"deadline_provisional\": false, \"state\": \"new\", "
        "\"first_period\": \"2026-11\", \"seen\": \"2026-11-23\", "
        "\"claimed_resolved\": false}\n";
    ck_assert_int_eq(strncmp(jsonl + 32, line1, strlen(line1)), 0);
  }
  /* The database holds the same findings. */
  s = findings_of(P("db"), "2026-11");
  ck_assert_str_eq(s, jsonl);
  free(s);

  /* Rejects and invalid IDs. */
  file = tu_read_file(P("out/sub/rejects.csv"));
  /* A BOM first (Excel reads the file as UTF-8), then the header. */
  ck_assert_int_eq(strncmp(file,
                           "\xEF\xBB\xBF"
                           "file,roster,line,column,code,message\n",
                           40),
                   0);
  snprintf(want, sizeof want, "\n%s,moe,7,1,id_not_digits,", P("moe.csv"));
  ck_assert_ptr_nonnull(strstr(file, want));
  snprintf(want, sizeof want, "\n%s,mohrss,5,5,amount_invalid,",
           P("mohrss.csv"));
  ck_assert_ptr_nonnull(strstr(file, want));
  ck_assert_ptr_null(strstr(file, ",moe,6,")); /* the blank row */
  free(file);
  file = tu_read_file(P("out/sub/invalid_ids.csv"));
  ck_assert_int_eq(strncmp(file,
                           "\xEF\xBB\xBF"
                           "file,roster,line,id_masked,code,message\n",
                           43),
                   0);
  snprintf(want, sizeof want, "\n%s,moe,8,110101********0018,check_digit,",
           P("moe.csv"));
  ck_assert_ptr_nonnull(strstr(file, want));
  snprintf(want, sizeof want, "\n%s,mohrss,4,110101********0018,check_digit,",
           P("mohrss.csv"));
  ck_assert_ptr_nonnull(strstr(file, want));
  ck_assert_ptr_null(strstr(file, X));
  free(file);

  /* The summary, returned and written. */
  file = tu_read_file(P("out/sub/summary.txt"));
  ck_assert_str_eq(file, summary);
  free(file);
  ck_assert_ptr_nonnull(
      strstr(summary, "issued 2026-11-23, clearing deadline 2026-12-07\n"));
  summary_counts(summary, "dual_enrollment", &c, &w, &t);
  ck_assert(c == 2 && w == 0 && t == 2);
  summary_counts(summary, "duplicate_record", &c, &w, &t);
  ck_assert(c == 0 && w == 1 && t == 1);
  summary_counts(summary, "double_grant", &c, &w, &t);
  ck_assert(c == 1 && w == 0 && t == 1);
  summary_counts(summary, "double_waiver", &c, &w, &t);
  ck_assert(c == 0 && w == 0 && t == 0);
  summary_counts(summary, "id_conflict", &c, &w, &t);
  ck_assert(c == 0 && w == 0 && t == 0);
  {
    unsigned all;
    const char *p = strstr(summary, "\n  all ");
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(sscanf(p + 7, "%u", &all), 1);
    ck_assert_uint_eq(all, 4);
  }
  ck_assert_ptr_nonnull(strstr(summary, "amount at risk: 800 yuan\n"));
  /* schools: moe S1 S2, mohrss J1 J2 */
  ck_assert_ptr_nonnull(
      strstr(summary, "records 8, rejected 2, invalid IDs 2, schools 4\n"));
  ck_assert_ptr_nonnull(strstr(summary,
                               "6 rows, 5 records, 1 rejected, 1 blank, "
                               "1 invalid IDs, 0 upgraded"));
  ck_assert_ptr_nonnull(strstr(summary,
                               "4 rows, 3 records, 1 rejected, 0 blank, "
                               "1 invalid IDs, 0 upgraded"));
  free(summary);

  /* summary.json: the same facts under English keys. */
  ck_assert_uint_eq(tu_mode_of(P("out/sub/summary.json")), 0600);
  file = tu_read_file(P("out/sub/summary.json"));
  ck_assert_ptr_nonnull(
      strstr(file, "{\"period\": \"2026-11\", \"issued\": \"2026-11-23\", "
                   "\"deadline\": \"2026-12-07\", "
                   "\"deadline_provisional\": false,"));
  ck_assert_ptr_nonnull(strstr(file, "{\"label\": \"moe\", \"file\": "));
  ck_assert_ptr_nonnull(strstr(file,
                               "\"rows\": 6, \"records\": 5, \"rejected\": 1, "
                               "\"blank\": 1, \"invalid_ids\": 1, "
                               "\"upgraded_from_15\": 0"));
  ck_assert_ptr_nonnull(strstr(file,
                               "\"rows\": 4, \"records\": 3, \"rejected\": 1, "
                               "\"blank\": 0, \"invalid_ids\": 1, "
                               "\"upgraded_from_15\": 0"));
  ck_assert_ptr_nonnull(
      strstr(file, "\"findings\": {\"dual_enrollment\": {\"cross\": 2, "
                   "\"within\": 0, \"total\": 2}, "
                   "\"duplicate_record\": {\"cross\": 0, "
                   "\"within\": 1, \"total\": 1}, "
                   "\"double_grant\": {\"cross\": 1, "
                   "\"within\": 0, \"total\": 1}, "
                   "\"double_waiver\": {\"cross\": 0, "
                   "\"within\": 0, \"total\": 0}, "
                   "\"id_conflict\": {\"cross\": 0, "
                   "\"within\": 0, \"total\": 0}, "
                   "\"all\": 4, \"amount_at_risk\": 800}"));
  ck_assert_ptr_nonnull(
      strstr(file, "\"lifecycle\": {\"previous_period\": null, "));
  ck_assert_ptr_nonnull(strstr(file,
                               "\"totals\": {\"records\": 8, \"rejected\": 2, "
                               "\"invalid_ids\": 2, \"schools\": 4}"));
  ck_assert_ptr_nonnull(strstr(file,
                               "\"outputs\": [\"findings.jsonl\", "
                               "\"rejects.csv\", \"invalid_ids.csv\", "
                               "\"possible.jsonl\", \"data_quality.csv\", "
                               "\"summary.json\", \"summary.txt\"]}\n"));
  ck_assert_ptr_null(strstr(file, X));
  free(file);

  /* The period, and its run information. */
  db = tu_db_open(P("db"));
  ck_assert_int_eq(cc_db_periods(&periods, &np, db), 0);
  ck_assert_uint_eq(np, 1);
  ck_assert_str_eq(periods[0], "2026-11");
  free(periods[0]);
  free(periods);
  {
    MDB_txn *txn;
    MDB_val k = {14, "period/2026-11"}, v;
    char info[8192];
    ck_assert_int_eq(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn), 0);
    ck_assert_int_eq(mdb_get(txn, db->meta, &k, &v), 0);
    ck_assert_uint_lt(v.mv_size, sizeof info);
    memcpy(info, (const char *)v.mv_data + 4, v.mv_size - 4);
    info[v.mv_size - 4] = '\0';
    mdb_txn_abort(txn);
    ck_assert_ptr_nonnull(strstr(info, "\"period\": \"2026-11\""));
    ck_assert_ptr_nonnull(strstr(info, "\"findings\": 4"));
    ck_assert_ptr_nonnull(
        strstr(info, "{\"label\": \"moe\", \"records\": 5, \"rejects\": 1}"));
    ck_assert_ptr_nonnull(strstr(
        info, "{\"label\": \"mohrss\", \"records\": 3, \"rejects\": 1}"));
    /* The fuzzy tier's weights are kept with the period: a handful of
     * pairs is too few to fit, so the documented values, said so. */
    ck_assert_ptr_nonnull(strstr(info, "\"fuzzy_model\": {\"fitted\": false, "
                                       "\"why\": \"too few candidate pairs"));
    ck_assert_ptr_nonnull(
        strstr(info, "{\"field\": \"name\", \"level\": \"different\", \"m\": "
                     "0.014000, \"u\": 0.913000, \"weight\": -6.0}"));
    /* cc_db_period_info gives the same text. */
    {
      char *pi = NULL;
      ck_assert_int_eq(cc_db_period_info(&pi, db, "2026-11"), 0);
      ck_assert_str_eq(pi, info);
      free(pi);
    }
  }
  cc_db_close(db);
  free(jsonl);
  ck_assert_uint_eq(assert_no_leftovers(P("db")), 1);
}
END_TEST

START_TEST(test_run_same_for_any_thread_count)
{
  static const int threads[] = {1, 3, 7};
  char *ref, *s;
  cc_run_options o;
  size_t i;
  tu_write_file(P("moe.csv"), moe_csv);
  tu_write_file(P("mohrss.csv"), mohrss_csv);
  set_rosters(P("moe.csv"), P("mohrss.csv"));
  o = options(P("db"), "2026-11", P("out"));
  o.threads = 2;
  ck_assert_int_eq(cc_run_monthly(NULL, &o), 0);
  ref = tu_read_file(P("out/findings.jsonl"));
  for (i = 0; i < 3; i++) {
    o.threads = threads[i];
    ck_assert_int_eq(cc_run_monthly(NULL, &o), 0);
    s = tu_read_file(P("out/findings.jsonl"));
    ck_assert_str_eq(s, ref);
    free(s);
  }
  free(ref);
}
END_TEST

/* findings.jsonl is written in batches of 8,192 findings (run.c,
 * EMIT_BATCH), each line first given 4,096 bytes (EMIT_GUESS): 8,300
 * persons, each registered at school S1 of one roster and J1 of the
 * other, with no money, are 8,300 dual_enrollment findings, and one more
 * person registered at 19 schools of the first roster (long school names)
 * and J1 is one more, whose line of 20 members is over 4,096 bytes; nothing
 * else. So the file has 8,301 lines, one finding each, over two batches;
 * 1 and 2 threads write it the same. */
START_TEST(test_run_findings_past_one_batch)
{
  enum { PERSONS = 8300 };
  size_t cap = 8192 + PERSONS * 64, i, lines = 0;
  char *moe = malloc(cap), *mohrss = malloc(cap), *one, *two, *p;
  size_t a = 0, b = 0;
  cc_run_options o;
  ck_assert_ptr_nonnull(moe);
  ck_assert_ptr_nonnull(mohrss);
  a += (size_t)snprintf(moe + a, cap - a,
                        "身份证号,姓名,学校代码,学籍状态,学校名称\n");
  b += (size_t)snprintf(mohrss + b, cap - b,
                        "id_number,name,school_code,status\n");
  for (i = 0; i < PERSONS; i++) {
    char id[19];
    /* 370102, born 2008-01-01 plus i days' worth of sequence numbers:
     * county 370102, date 20080101 + (i / 999) days, sequence i % 999 + 1. */
    snprintf(id, sizeof id, "370102200801%02u%03u", (unsigned)(1 + i / 999),
             (unsigned)(i % 999 + 1));
    id[17] = cc_id_check_char(id);
    id[18] = '\0';
    a += (size_t)snprintf(moe + a, cap - a, "%s,张三,S1,在籍,一中\n", id);
    b += (size_t)snprintf(mohrss + b, cap - b, "%s,张三,J1,在籍\n", id);
  }
  {
    char id[19] = "37010220080201001";
    id[17] = cc_id_check_char(id);
    id[18] = '\0';
    for (i = 1; i <= 19; i++)
      a += (size_t)snprintf(moe + a, cap - a,
                            "%s,李四,T%zu,在籍,山东省济南市历下区第%"
                            "zu职业中等专业学校附属实训基地分校\n",
                            id, i, i);
    b += (size_t)snprintf(mohrss + b, cap - b, "%s,李四,J1,在籍\n", id);
  }
  tu_write_file(P("moe.csv"), moe);
  tu_write_file(P("mohrss.csv"), mohrss);
  free(moe);
  free(mohrss);
  set_rosters(P("moe.csv"), P("mohrss.csv"));
  o = options(P("db"), "2026-11", P("out"));
  o.threads = 1;
  ck_assert_int_eq(cc_run_monthly(NULL, &o), 0);
  one = tu_read_file(P("out/findings.jsonl"));
  for (p = one; *p; p++)
    if (*p == '\n') {
      lines++;
      ck_assert_msg(p[1] == '\0' ||
                        strncmp(p + 1, "{\"finding_id\": \"", 16) == 0,
                    "line %zu does not begin a finding", lines + 1);
    }
  ck_assert_uint_eq(lines, PERSONS + 1);
  ck_assert_uint_eq(tu_count(one, "\"type\": \"dual_enrollment\""),
                    PERSONS + 1);
  {
    /* The long line: whole, 20 members, past the first guess. */
    const char *s = strstr(one, "\"name\": \"李四\", \"id_valid\"");
    const char *start, *end;
    char *line;
    ck_assert_ptr_nonnull(s);
    for (start = s; start > one && start[-1] != '\n'; start--)
      ;
    end = strchr(s, '\n');
    ck_assert_ptr_nonnull(end);
    ck_assert_uint_gt((size_t)(end - start), 4096);
    ck_assert(end[-1] == '}');
    line = strndup(start, (size_t)(end - start));
    ck_assert_uint_eq(tu_count(line, "\"roster\": "), 20);
    free(line);
  }
  o.threads = 2;
  ck_assert_int_eq(cc_run_monthly(NULL, &o), 0);
  two = tu_read_file(P("out/findings.jsonl"));
  ck_assert_str_eq(two, one);
  free(one);
  free(two);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Bad options: refused before anything is created. */

typedef struct bad_row {
  const char *period;
  const char *label0, *label1;
  size_t n_rosters;
} bad_row;

static const bad_row bad_rows[] = {
    {NULL, "moe", "mohrss", 2},
    {"", "moe", "mohrss", 2},
    {"2026-13", "moe", "mohrss", 2},
    {"2026-00", "moe", "mohrss", 2},
    {"2026-1", "moe", "mohrss", 2},
    {"2026-011", "moe", "mohrss", 2},
    {"26-11", "moe", "mohrss", 2},
    {"2026/11", "moe", "mohrss", 2},
    {"2026-11 ", "moe", "mohrss", 2},
    {"2026-11-23", "moe", "mohrss", 2},
    {"2026-11", "", "mohrss", 2},
    {"2026-11", "moe", "mo hrss", 2},
    {"2026-11", "a,b", "mohrss", 2},
    {"2026-11", "moe", "教育部", 2},
    {"2026-11", "moe=x", "mohrss", 2},
    {"2026-11", "abcdefghijabcdefghijabcdefghijabc", "mohrss", 2}, /* 33 */
    {"2026-11", "moe", "moe", 2},
    {"2026-11", "moe", "mohrss", 1},
    {"2026-11", "moe", "mohrss", 0},
};

static void assert_refused(const bad_row *r)
{
  cc_run_options o;
  char *summary = (char *)1;
  tu_write_file(P("moe.csv"), moe_csv);
  tu_write_file(P("mohrss.csv"), mohrss_csv);
  set_rosters(P("moe.csv"), P("mohrss.csv"));
  rosters[0].label = r->label0;
  rosters[1].label = r->label1;
  o = options(P("db"), r->period, P("out"));
  o.n_rosters = r->n_rosters;
  ck_assert_msg(cc_run_monthly(&summary, &o) == CC_EINVALID,
                "period '%s', labels '%s' '%s', %zu rosters: accepted",
                r->period ? r->period : "(null)", r->label0, r->label1,
                r->n_rosters);
  ck_assert_ptr_null(summary);
  ck_assert_uint_gt(strlen(cc_error_last()), 0);
  ck_assert(!exists(P("db")));
  ck_assert(!exists(P("out")));
}

START_TEST(test_run_rejects_bad_options)
{
  assert_refused(&bad_rows[_i]);
}
END_TEST

START_TEST(test_run_period_month_must_be_digits)
{
  /* "%4d-%2d" reads "1x" as month 1: the month's second character must be
   * a digit too. */
  static const bad_row rows[] = {{"2026-1x", "moe", "mohrss", 2},
                                 {"2026-1-", "moe", "mohrss", 2},
                                 {"2026-0a", "moe", "mohrss", 2}};
  size_t i;
  for (i = 0; i < 3; i++)
    assert_refused(&rows[i]);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Failing runs leave the database as it was. */

/* Publishes 2026-11 from the first pair and returns the findings. */
static char *first_run(void)
{
  cc_run_options o;
  tu_write_file(P("moe.csv"), moe_csv);
  tu_write_file(P("mohrss.csv"), mohrss_csv);
  set_rosters(P("moe.csv"), P("mohrss.csv"));
  o = options(P("db"), "2026-11", P("out"));
  ck_assert_msg(cc_run_monthly(NULL, &o) == 0, "%s", cc_error_last());
  return tu_read_file(P("out/findings.jsonl"));
}

START_TEST(test_run_missing_column_leaves_db)
{
  char *before_findings = first_run(), *before, *after, *s;
  char *summary = (char *)1;
  cc_run_options o;
  /* mohrss without 学籍状态 */
  tu_write_file(P("mohrss_nostatus.csv"),
                "身份证号,姓名,学校代码,助学金\n" A ",张三,J9,1000\n");
  before = db_dump(P("db"));
  set_rosters(P("moe.csv"), P("mohrss_nostatus.csv"));
  o = options(P("db"), "2026-11", P("out"));
  ck_assert_int_eq(cc_run_monthly(&summary, &o), CC_EINVALID);
  ck_assert_ptr_null(summary);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "mohrss_nostatus.csv"));
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "学籍状态"));
  after = db_dump(P("db"));
  ck_assert_str_eq(after, before);
  free(after);
  s = findings_of(P("db"), "2026-11");
  ck_assert_str_eq(s, before_findings);
  assert_findings_text(s, first_findings);
  free(s);
  /* The earlier outputs stay; no temporary file is left behind. */
  s = tu_read_file(P("out/findings.jsonl"));
  ck_assert_str_eq(s, before_findings);
  free(s);
  ck_assert_int_eq(hidden_entries(P("out")), 0);

  /* The same for a file that does not exist, and one that is empty. */
  set_rosters(P("moe.csv"), P("no_such.csv"));
  ck_assert_int_eq(cc_run_monthly(NULL, &o), CC_ENOTFOUND);
  tu_write_file(P("empty.csv"), "");
  set_rosters(P("empty.csv"), P("mohrss.csv"));
  ck_assert_int_eq(cc_run_monthly(NULL, &o), CC_EINVALID);
  after = db_dump(P("db"));
  ck_assert_str_eq(after, before);
  free(after);
  ck_assert_uint_eq(assert_no_leftovers(P("db")), 1);
  free(before);
  free(before_findings);
}
END_TEST

START_TEST(test_run_cancelled_leaves_db)
{
  char *before_findings = first_run(), *before, *after, *s;
  volatile sig_atomic_t cancel = 1;
  cc_run_options o;
  tu_write_file(P("moe_b.csv"), moe_b_csv);
  tu_write_file(P("mohrss_b.csv"), mohrss_b_csv);
  before = db_dump(P("db"));
  set_rosters(P("moe_b.csv"), P("mohrss_b.csv"));
  o = options(P("db"), "2026-11", P("out"));
  o.cancel = &cancel;
  ck_assert_int_eq(cc_run_monthly(NULL, &o), CC_EINTERRUPTED);
  after = db_dump(P("db"));
  ck_assert_str_eq(after, before);
  free(after);
  s = findings_of(P("db"), "2026-11");
  ck_assert_str_eq(s, before_findings);
  free(s);
  s = tu_read_file(P("out/findings.jsonl"));
  ck_assert_str_eq(s, before_findings);
  free(s);
  ck_assert_int_eq(hidden_entries(P("out")), 0);
  /* A cancelled run of a new period leaves no period behind either. */
  o.period = "2026-12";
  ck_assert_int_eq(cc_run_monthly(NULL, &o), CC_EINTERRUPTED);
  after = db_dump(P("db"));
  ck_assert_str_eq(after, before);
  free(after);
  ck_assert_uint_eq(assert_no_leftovers(P("db")), 1);
  free(before);
  free(before_findings);
}
END_TEST

START_TEST(test_run_output_failure_leaves_db)
{
  /* findings.jsonl cannot be written (cc_fs_fail_temp stands for a full
   * disk): the run fails, and "on failure the database holds what it held
   * before" (run.h). */
  char *before_findings = first_run(), *before, *after, *s;
  cc_run_options o;
  tu_write_file(P("moe_b.csv"), moe_b_csv);
  tu_write_file(P("mohrss_b.csv"), mohrss_b_csv);
  cc_fs_fail_temp = "findings.jsonl";
  before = db_dump(P("db"));
  set_rosters(P("moe_b.csv"), P("mohrss_b.csv"));
  o = options(P("db"), "2026-11", P("out"));
  ck_assert_int_eq(cc_run_monthly(NULL, &o), CC_EIO);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "No space left"));
  after = db_dump(P("db"));
  ck_assert_msg(strcmp(after, before) == 0,
                "the failed run changed the database");
  free(after);
  s = findings_of(P("db"), "2026-11");
  ck_assert_str_eq(s, before_findings);
  free(s);
  s = tu_read_file(P("out/findings.jsonl"));
  ck_assert_str_eq(s, before_findings);
  free(s);
  /* The other temporary files are gone. */
  ck_assert_int_eq(hidden_entries(P("out")), 0);

  /* The same when the last output, summary.txt, cannot be written (after
   * findings.jsonl was, under its temporary name). */
  cc_fs_fail_temp = "summary.txt";
  ck_assert_int_eq(cc_run_monthly(NULL, &o), CC_EIO);
  after = db_dump(P("db"));
  ck_assert_msg(strcmp(after, before) == 0,
                "the failed run changed the database");
  free(after);
  s = tu_read_file(P("out/findings.jsonl"));
  ck_assert_str_eq(s, before_findings);
  free(s);
  ck_assert_int_eq(hidden_entries(P("out")), 0);
  ck_assert_uint_eq(assert_no_leftovers(P("db")), 1);
  cc_fs_fail_temp = NULL;
  free(before);
  free(before_findings);
}
END_TEST

START_TEST(test_run_rename_failure_after_publish)
{
  /* possible.jsonl cannot be put in place (a directory holds its name):
   * the period is stored, the error names the temporary file, and every
   * output in the folder is this run's: findings.jsonl (renamed before)
   * and summary.txt (after) are the new ones. */
  char *s, *f;
  cc_run_options o;
  free(first_run());
  tu_write_file(P("moe_b.csv"), moe_b_csv);
  tu_write_file(P("mohrss_b.csv"), mohrss_b_csv);
  ck_assert_int_eq(unlink(P("out/possible.jsonl")), 0);
  ck_assert_int_eq(mkdir(P("out/possible.jsonl"), 0700), 0);
  tu_write_file(P("out/possible.jsonl/keep"), "x");
  set_rosters(P("moe_b.csv"), P("mohrss_b.csv"));
  o = options(P("db"), "2026-11", P("out"));
  ck_assert_int_eq(cc_run_monthly(NULL, &o), CC_EIO);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "the period was stored, but "
                                                "possible.jsonl stays as"));
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "/.possible.jsonl."));
  s = findings_of(P("db"), "2026-11");
  ck_assert_ptr_nonnull(strstr(s, "double_waiver"));
  f = tu_read_file(P("out/findings.jsonl"));
  ck_assert_str_eq(f, s);
  free(f);
  free(s);
  s = tu_read_file(P("out/summary.txt"));
  ck_assert_ptr_nonnull(strstr(s, "moe_b.csv"));
  free(s);
  /* The one output left under its temporary name, which the next run in
   * this folder sweeps away. */
  ck_assert_int_eq(hidden_entries(P("out")), 1);
  ck_assert_int_eq(unlink(P("out/possible.jsonl/keep")), 0);
  ck_assert_int_eq(rmdir(P("out/possible.jsonl")), 0);
  ck_assert_int_eq(cc_run_monthly(NULL, &o), 0);
  ck_assert_int_eq(hidden_entries(P("out")), 0);
}
END_TEST

START_TEST(test_run_planted_symlink_not_followed)
{
  /* Symbolic links planted at the old fixed temporary names and at the
   * final names: the run writes through none of them, and its outputs
   * are regular files of mode 0600. */
  static const char *const names[] = {
      "findings.jsonl",   "rejects.csv",  "invalid_ids.csv", "possible.jsonl",
      "data_quality.csv", "summary.json", "summary.txt"};
  char link[512], target[512], *s;
  cc_run_options o;
  struct stat sb;
  size_t i;
  ck_assert_int_eq(mkdir(P("out"), 0700), 0);
  tu_write_file(P("victim"), "victim\n");
  for (i = 0; i < sizeof names / sizeof names[0]; i++) {
    snprintf(target, sizeof target, "%s", P("victim"));
    snprintf(link, sizeof link, "%s/out/.%s.tmp", scratch, names[i]);
    ck_assert_int_eq(symlink(target, link), 0);
    snprintf(link, sizeof link, "%s/out/%s", scratch, names[i]);
    ck_assert_int_eq(symlink(target, link), 0);
  }
  tu_write_file(P("moe.csv"), moe_csv);
  tu_write_file(P("mohrss.csv"), mohrss_csv);
  set_rosters(P("moe.csv"), P("mohrss.csv"));
  o = options(P("db"), "2026-11", P("out"));
  ck_assert_msg(cc_run_monthly(NULL, &o) == 0, "%s", cc_error_last());
  s = tu_read_file(P("victim"));
  ck_assert_str_eq(s, "victim\n");
  free(s);
  for (i = 0; i < sizeof names / sizeof names[0]; i++) {
    snprintf(link, sizeof link, "%s/out/%s", scratch, names[i]);
    ck_assert_int_eq(lstat(link, &sb), 0);
    ck_assert_msg(S_ISREG(sb.st_mode), "%s is not a regular file", names[i]);
    ck_assert_uint_eq(sb.st_mode & 07777, 0600);
  }
}
END_TEST

START_TEST(test_run_refuses_open_folders)
{
  /* An existing --out or --db that group or others can write is refused
   * before anything is written into it; 0755 is fine. */
  static const struct {
    const char *dir;
    unsigned mode;
    const char *who;
  } rows[] = {{"out", 0777, "others"},
              {"out", 0770, "its group"},
              {"out", 01777, "others"},
              {"db", 0777, "others"},
              {"db", 0775, "its group"}};
  size_t i;
  cc_run_options o;
  tu_write_file(P("moe.csv"), moe_csv);
  tu_write_file(P("mohrss.csv"), mohrss_csv);
  set_rosters(P("moe.csv"), P("mohrss.csv"));
  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    char dir[512], want[64];
    snprintf(dir, sizeof dir, "%s/%s%zu", scratch, rows[i].dir, i);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    ck_assert_int_eq(chmod(dir, rows[i].mode), 0);
    if (strcmp(rows[i].dir, "out") == 0)
      o = options(P("db"), "2026-11", dir);
    else
      o = options(dir, "2026-11", P("out"));
    ck_assert_int_eq(cc_run_monthly(NULL, &o), CC_EINVALID);
    snprintf(want, sizeof want, "can be written by %s", rows[i].who);
    ck_assert_msg(strstr(cc_error_last(), want) != NULL, "row %zu: %s", i,
                  cc_error_last());
    ck_assert_ptr_nonnull(strstr(cc_error_last(), "chmod 700"));
    /* Nothing written there, and the mode left as it was. */
    ck_assert_int_eq(hidden_entries(dir), 0);
    ck_assert_uint_eq(tu_mode_of(dir), rows[i].mode);
    {
      char f[600];
      snprintf(f, sizeof f, "%s/%s", dir,
               strcmp(rows[i].dir, "out") == 0 ? "findings.jsonl" : "data.mdb");
      ck_assert(!exists(f));
    }
  }
  /* 0755 (a umask of 022) is not writable by others: accepted. */
  ck_assert_int_eq(mkdir(P("out755"), 0755), 0);
  ck_assert_int_eq(chmod(P("out755"), 0755), 0);
  o = options(P("db"), "2026-11", P("out755"));
  ck_assert_msg(cc_run_monthly(NULL, &o) == 0, "%s", cc_error_last());
  ck_assert(exists(P("out755/findings.jsonl")));
}
END_TEST

START_TEST(test_run_one_at_a_time)
{
  /* Another run holds the database, then the output folder (a lock taken
   * here as cc_run_monthly takes it): the run stops with CC_EBUSY, naming
   * the folder and the holder's pid and command, and changes nothing. */
  int fd;
  char pid[32], *before;
  cc_run_options o;
  free(first_run());
  before = db_dump(P("db"));
  snprintf(pid, sizeof pid, "pid %ld on ", (long)getpid());
  tu_write_file(P("moe_b.csv"), moe_b_csv);
  tu_write_file(P("mohrss_b.csv"), mohrss_b_csv);
  set_rosters(P("moe_b.csv"), P("mohrss_b.csv"));
  o = options(P("db"), "2026-11", P("out"));

  ck_assert_int_eq(
      cc_lock_take(&fd, P("db"), "chachong-run.lock", "database",
                   "chachong run --period 2026-11 (the other one)"),
      0);
  ck_assert_int_eq(cc_run_monthly(NULL, &o), CC_EBUSY);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "database "));
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "is in use by another run"));
  ck_assert_ptr_nonnull(strstr(cc_error_last(), pid));
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "(the other one)"));
  cc_lock_release(&fd);
  ck_assert_int_eq(fd, -1);

  ck_assert_int_eq(cc_lock_take(&fd, P("out"), ".chachong-run.lock",
                                "output folder", "chachong run\x1b[2J"),
                   0);
  ck_assert_int_eq(cc_run_monthly(NULL, &o), CC_EBUSY);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "output folder "));
  /* The holder's command is shown with its ESC made visible. */
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "chachong run\\x1b[2J"));
  cc_lock_release(&fd);
  {
    char *after = db_dump(P("db"));
    ck_assert_str_eq(after, before);
    free(after);
  }
  ck_assert_int_eq(hidden_entries(P("out")), 0);
  /* Released: the run goes through, and leaves its own line in the lock. */
  o.command = "chachong run (this one)";
  ck_assert_msg(cc_run_monthly(NULL, &o) == 0, "%s", cc_error_last());
  {
    char *line = tu_read_file(P("db/chachong-run.lock"));
    ck_assert_ptr_nonnull(strstr(line, pid));
    ck_assert_ptr_nonnull(strstr(line, ": chachong run (this one)\n"));
    free(line);
    ck_assert_uint_eq(tu_mode_of(P("db/chachong-run.lock")), 0600);
  }
  free(before);
}
END_TEST

/* Counts the findings of a period in a state ("cleared", ...). */
static size_t count_state(const char *dir, const char *period,
                          const char *state)
{
  char *s = findings_of(dir, period), key[64];
  const char *p = s;
  size_t n = 0;
  snprintf(key, sizeof key, "\"state\": \"%s\"", state);
  while ((p = strstr(p, key)) != NULL) {
    n++;
    p++;
  }
  free(s);
  return n;
}

START_TEST(test_run_rail_empty_roster)
{
  /* The period after first_run (2026-11, four open findings) with a moe
   * roster that yields no records: a header alone, rows that are all
   * rejected, and the damaged files of issue 10 (lone CR line ends, a
   * stray quote in the header). Each is stopped before publishing, or
   * (once ingest reads the file right) run with nothing cleared. */
  static const char *const bad[] = {
      "身份证号,姓名,学校代码,学籍状态\n",
      "身份证号,姓名,学校代码,学籍状态\nabc,赵六,S1,在籍\nxyz,钱七,S1,在籍\n",
      "身份证号,姓名,学校代码,学籍状态,学校名称,所在地区代码,学籍号,助学金,"
      "免学费\r" A ",张三,S1,在籍,一中,370102,M001,1000,\r" B
      ",李四,S1,在籍,一中,370102,M002,,\r" B
      ",李 四,S1,休学,一中,370102,M003,,\r" X
      ",钱七,S2,在籍,二中,370103,M007,,\r",
      "身份证号,姓名,学校代码,学籍状态,学校名称,所在地区代码,学籍号,助学金,"
      "免学费,\"备注\n" A ",张三,S1,在籍,一中,370102,M001,1000,,\n" B
      ",李四,S1,在籍,一中,370102,M002,,,\n" B
      ",李 四,S1,休学,一中,370102,M003,,,\n" X
      ",钱七,S2,在籍,二中,370103,M007,,,\n"};
  char *before = NULL;
  size_t i;
  cc_run_options o;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc;
    /* Each case from the same 2026-11 database. */
    tu_remove_tree(P("db"));
    free(first_run());
    free(before);
    before = db_dump(P("db"));
    tu_write_file(P("moe_12.csv"), bad[i]);
    set_rosters(P("moe_12.csv"), P("mohrss.csv"));
    o = options(P("db"), "2026-12", P("out12"));
    o.issued = cc_date_from_ymd(2026, 12, 7);
    rc = cc_run_monthly(NULL, &o);
    if (i >= 2 && rc == 0) {
      /* Read right: the same students, nothing cleared. */
      ck_assert_uint_eq(count_state(P("db"), "2026-12", "cleared"), 0);
      ck_assert_uint_eq(count_state(P("db"), "2026-12", "open"), 4);
      tu_remove_tree(P("out12"));
      continue;
    }
    ck_assert_msg(rc == CC_EINVALID, "case %zu: %d %s", i, rc, cc_error_last());
    {
      char *after = db_dump(P("db"));
      ck_assert_str_eq(after, before);
      free(after);
    }
    ck_assert(!exists(P("out12/findings.jsonl")));
    if (i < 2) {
      ck_assert_msg(strstr(cc_error_last(), "roster 'moe'") != NULL, "%s",
                    cc_error_last());
      ck_assert_ptr_nonnull(strstr(cc_error_last(), "moe_12.csv"));
      ck_assert_ptr_nonnull(strstr(cc_error_last(), "yields no records"));
      ck_assert_ptr_nonnull(strstr(cc_error_last(), "--allow-empty"));
    }
  }
  /* Confirmed: the empty roster is taken, and moe's findings are cleared. */
  tu_write_file(P("moe_12.csv"), bad[0]);
  set_rosters(P("moe_12.csv"), P("mohrss.csv"));
  o = options(P("db"), "2026-12", P("out12"));
  o.issued = cc_date_from_ymd(2026, 12, 7);
  o.allow_empty = 1;
  ck_assert_msg(cc_run_monthly(NULL, &o) == 0, "%s", cc_error_last());
  ck_assert_uint_eq(count_state(P("db"), "2026-12", "cleared"), 4);
  free(before);
}
END_TEST

START_TEST(test_run_rail_shrunken_roster)
{
  /* first_run's moe has 5 records (lines 2, 3, 4, 5, 8; 7 is rejected).
   * A 2026-12 moe of 2 records is under half of 5 (2 < 2.5): stopped;
   * with a share of 0.4 (2 >= 2.0) it goes through, as with
   * --allow-shrink. mohrss (3 records, line 5 rejected) is unchanged. */
  static const char moe_small[] = "身份证号,姓名,学校代码,学籍状态\n" A
                                  ",张三,S1,在籍\n" C ",王五,S2,转学\n";
  char *before, *after;
  cc_run_options o;
  free(first_run());
  before = db_dump(P("db"));
  tu_write_file(P("moe_small.csv"), moe_small);
  set_rosters(P("moe_small.csv"), P("mohrss.csv"));
  o = options(P("db"), "2026-12", P("out12"));
  o.issued = cc_date_from_ymd(2026, 12, 7);
  ck_assert_int_eq(cc_run_monthly(NULL, &o), CC_EINVALID);
  ck_assert_msg(strstr(cc_error_last(), "roster 'moe' (") != NULL, "%s",
                cc_error_last());
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "moe_small.csv"));
  ck_assert_ptr_nonnull(
      strstr(cc_error_last(), "has 2 records against 5 in 2026-11"));
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "under 50% of them"));
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "--allow-shrink"));
  after = db_dump(P("db"));
  ck_assert_str_eq(after, before);
  free(after);

  o.min_roster_share = 0.41; /* 2 < 2.05 */
  ck_assert_int_eq(cc_run_monthly(NULL, &o), CC_EINVALID);
  o.min_roster_share = 0.4;
  ck_assert_msg(cc_run_monthly(NULL, &o) == 0, "%s", cc_error_last());
  o.min_roster_share = 0.5;
  o.allow_shrink = 1;
  ck_assert_msg(cc_run_monthly(NULL, &o) == 0, "%s", cc_error_last());
  o.allow_shrink = 0;
  o.min_roster_share = 0;
  ck_assert_msg(cc_run_monthly(NULL, &o) == 0, "%s", cc_error_last());
  /* Re-running 2026-12 was held against 2026-11 each time, not against
   * itself. A 2027-01 run is held against 2026-12's 2 records: 1 is
   * exactly half (not under it), and under a share of 0.6 (1 < 1.2). */
  tu_write_file(P("moe_one.csv"),
                "身份证号,姓名,学校代码,学籍状态\n" A ",张三,S1,在籍\n");
  set_rosters(P("moe_one.csv"), P("mohrss.csv"));
  o = options(P("db"), "2027-01", P("out12"));
  o.issued = cc_date_from_ymd(2027, 1, 11);
  o.min_roster_share = 0.6;
  ck_assert_int_eq(cc_run_monthly(NULL, &o), CC_EINVALID);
  ck_assert_ptr_nonnull(strstr(cc_error_last(),
                               "has 1 records against 2 in 2026-12, "
                               "under 60% of them"));
  o.min_roster_share = 0.5;
  ck_assert_msg(cc_run_monthly(NULL, &o) == 0, "%s", cc_error_last());
  free(before);
}
END_TEST

START_TEST(test_run_generic_id)
{
  /* With max_records_per_id 3, A (5 records: moe 2, 3, 4, mohrss 2, 3 at
   * S1, S1, S2, J1, J1) is a generic ID: no finding, one line of
   * data_quality.csv with its masked ID, 5 records, 3 schools (moe:S1,
   * moe:S2, mohrss:J1) in line order. B (3 records: not over 3) still
   * gives its duplicate_record finding. */
  static const char moe[] =
      "身份证号,姓名,学校代码,学籍状态\n" A ",张三,S1,在籍\n" A
      ",张三,S1,在籍\n" A ",李四,S2,在籍\n" B ",王五,S3,在籍\n" B
      ",王五,S3,在籍\n";
  static const char mohrss[] =
      "身份证号,姓名,学校代码,学籍状态\n" A ",张三,J1,在籍\n" A
      ",赵六,J1,在籍\n" B ",王五,J2,毕业\n";
  static const char *const want[] = {
      "duplicate_record within valid 0 moe:5,moe:6", NULL};
  char *s;
  cc_run_options o;
  tu_write_file(P("moe_g.csv"), moe);
  tu_write_file(P("mohrss_g.csv"), mohrss);
  set_rosters(P("moe_g.csv"), P("mohrss_g.csv"));
  o = options(P("db"), "2026-11", P("out"));
  o.max_records_per_id = 3;
  ck_assert_msg(cc_run_monthly(NULL, &o) == 0, "%s", cc_error_last());
  s = tu_read_file(P("out/findings.jsonl"));
  assert_findings_text(s, want);
  free(s);
  s = tu_read_file(P("out/data_quality.csv"));
  ck_assert_str_eq(s,
                   "\xEF\xBB\xBF"
                   "code,id_masked,records,schools,school_codes,message\n"
                   "generic_id,110101********1239,5,3,moe:S1;moe:S2;mohrss:J1,"
                   "同一身份证号下有5条记录，超过一人可能有的3条，疑为占位号或"
                   "测试号，未展开为疑点，请核查\n");
  free(s);
  ck_assert_uint_eq(tu_mode_of(P("out/data_quality.csv")), 0600);
  s = tu_read_file(P("out/summary.txt"));
  ck_assert_ptr_nonnull(strstr(s,
                               "data quality: 1 IDs carry more than 3 records "
                               "each (5 records in all)"));
  free(s);
  /* The default (20): A is a person again, with its findings. */
  o.max_records_per_id = 0;
  ck_assert_msg(cc_run_monthly(NULL, &o) == 0, "%s", cc_error_last());
  s = tu_read_file(P("out/data_quality.csv"));
  ck_assert_str_eq(s, "\xEF\xBB\xBF"
                      "code,id_masked,records,schools,school_codes,message\n");
  free(s);
  s = tu_read_file(P("out/summary.txt"));
  ck_assert_ptr_nonnull(
      strstr(s, "data quality: no ID carries more than 20 records"));
  free(s);
}
END_TEST

START_TEST(test_run_rerun_replaces_period)
{
  char *first = first_run(), *s, *summary = NULL, *other;
  cc_run_options o;
  cc_db *db;
  char **periods;
  size_t np;

  /* Another period with the first pair, kept apart. It comes after
   * 2026-11, so it is not 2026-11's previous period (RULES.md, lifecycle)
   * and the rerun below has nothing to carry over. */
  o = options(P("db"), "2026-12", P("out12"));
  ck_assert_int_eq(cc_run_monthly(NULL, &o), 0);
  other = findings_of(P("db"), "2026-12");
  ck_assert_ptr_nonnull(strstr(other, "\"period\": \"2026-12\""));
  assert_findings_text(other, first_findings);
  /* 2026-11 is 2026-12's previous period: the same four findings, seen
   * again on 2026-11-23 (not after their deadline), are open. */
  {
    const char *q = other;
    int n = 0;
    while (
        (q = strstr(q, "\"state\": \"open\", \"first_period\": \"2026-11\"")) !=
        NULL) {
      n++;
      q++;
    }
    ck_assert_int_eq(n, 4);
  }

  /* 2026-11 again, with the second pair. */
  tu_write_file(P("moe_b.csv"), moe_b_csv);
  tu_write_file(P("mohrss_b.csv"), mohrss_b_csv);
  set_rosters(P("moe_b.csv"), P("mohrss_b.csv"));
  o = options(P("db"), "2026-11", P("out"));
  ck_assert_msg(cc_run_monthly(&summary, &o) == 0, "%s", cc_error_last());
  s = tu_read_file(P("out/findings.jsonl"));
  assert_findings_set(s, second_findings);
  ck_assert_str_ne(s, first);
  ck_assert_ptr_nonnull(strstr(summary, "amount at risk: 1500 yuan\n"));
  free(summary);
  {
    char *d = findings_of(P("db"), "2026-11");
    ck_assert_str_eq(d, s);
    free(d);
  }
  free(s);
  s = findings_of(P("db"), "2026-12");
  ck_assert_str_eq(s, other);
  free(s);
  db = tu_db_open(P("db"));
  ck_assert_int_eq(cc_db_periods(&periods, &np, db), 0);
  ck_assert_uint_eq(np, 2);
  ck_assert_str_eq(periods[0], "2026-11");
  ck_assert_str_eq(periods[1], "2026-12");
  free(periods[0]);
  free(periods[1]);
  free(periods);
  cc_db_close(db);
  /* Two periods, three databases each, nothing else. */
  ck_assert_uint_eq(assert_no_leftovers(P("db")), 2);
  free(first);
  free(other);
}
END_TEST

/* ------------------------------------------------------------------ */
/* What a run stores besides findings: run information, school counts. */

/* School codes are trimmed (moe:2 " S1 ", moe:4 "S1" + U+3000); a school is
 * (roster, code), so S1 in mohrss is another school. Rejected and blank
 * rows count nowhere. */
static const char moe_s_csv[] =
    "身份证号,姓名,学校代码,学籍状态,所在地区代码\n" A
    ",张三, S1 ,在籍,370102\n"             /* 2 S1 holds */
    B ",李四,S1,退学,370102\n"             /* 3 S1 */
    C ",王五,S1\xe3\x80\x80,毕业,370102\n" /* 4 S1 */
    D ",孙八,S10,休学,370105\n"            /* 5 S10 holds */
    ",,,,\n"                               /* 6 blank */
    E ",周九,,在籍,370102\n"               /* 7 school_code_empty */
    "abc,赵六,S1,在籍,370102\n"            /* 8 id_not_digits */
    X ",钱七,S2,注销,370103\n";            /* 9 S2 */
static const char mohrss_s_csv[] =
    "身份证号,姓名,学校代码,学籍状态,所在地区代码\n" A
    ",张三,S1,在籍,370112\n" /* 2 S1 holds */
    B ",李四,J1,转学,\n"     /* 3 J1 */
    C ",王五,J1,结业,\n"     /* 4 J1 */
    D ",孙八,J1,在籍,\n";    /* 5 J1 holds */

START_TEST(test_run_period_info_and_school_counts)
{
  /* By hand, sorted by label then code ("S10" < "S2"):
   *   moe S1: lines 2 3 4, 在籍 退学 毕业 -> 3 records, 1 holding, 370102
   *   moe S10: line 5 休学 -> 1, 1, 370105
   *   moe S2: line 9 注销 -> 1, 0, 370103
   *   mohrss J1: lines 3 4 5, 转学 结业 在籍 -> 3, 1, no region
   *   mohrss S1: line 2 在籍 -> 1, 1, 370112
   * Findings: A (moe S1 + mohrss S1) and D (moe S10 休学 + mohrss J1)
   * are dual_enrollment cross; 2 in all. moe: 5 records, 2 rejects. */
  static const cc_school_count want[] = {{"moe", "S1", "370102", 3, 1},
                                         {"moe", "S10", "370105", 1, 1},
                                         {"moe", "S2", "370103", 1, 0},
                                         {"mohrss", "J1", "", 3, 1},
                                         {"mohrss", "S1", "370112", 1, 1}};
  static const int threads[] = {1, 2, 7};
  size_t t;
  tu_write_file(P("moe_s.csv"), moe_s_csv);
  tu_write_file(P("mohrss_s.csv"), mohrss_s_csv);
  set_rosters(P("moe_s.csv"), P("mohrss_s.csv"));
  for (t = 0; t < sizeof threads / sizeof threads[0]; t++) {
    cc_run_options o = options(P("db"), "2026-11", P("out"));
    char *summary = NULL, *info = NULL, want_info[512];
    cc_school_count *c = NULL;
    size_t n = 0, i;
    long long run_at = 0;
    unsigned uid = 0;
    time_t t0, t1;
    cc_db *db;
    o.threads = threads[t];
    t0 = time(NULL);
    ck_assert_msg(cc_run_monthly(&summary, &o) == 0, "%s", cc_error_last());
    t1 = time(NULL);
    ck_assert_ptr_nonnull(strstr(summary, ", schools 5\n"));
    free(summary);

    db = tu_db_open(P("db"));
    ck_assert_int_eq(cc_db_school_counts(&c, &n, db, "2026-11"), 0);
    ck_assert_uint_eq(n, sizeof want / sizeof want[0]);
    for (i = 0; i < n; i++) {
      ck_assert_str_eq(c[i].label, want[i].label);
      ck_assert_str_eq(c[i].school_code, want[i].school_code);
      ck_assert_str_eq(c[i].region_code, want[i].region_code);
      ck_assert_uint_eq(c[i].records, want[i].records);
      ck_assert_uint_eq(c[i].holding, want[i].holding);
    }
    free(c);

    ck_assert_int_eq(cc_db_period_info(&info, db, "2026-11"), 0);
    snprintf(want_info, sizeof want_info,
             "{\"period\": \"2026-11\", \"issued\": \"2026-11-23\", "
             "\"deadline\": \"2026-12-07\", \"deadline_provisional\": false, "
             "\"findings\": 2, \"cleared\": 0, \"rosters\": ["
             "{\"label\": \"moe\", \"records\": 5, \"rejects\": 2}, "
             "{\"label\": \"mohrss\", \"records\": 4, \"rejects\": 0}], "
             "\"run_at\": ");
    ck_assert_msg(strncmp(info, want_info, strlen(want_info)) == 0, "%s", info);
    ck_assert_int_eq(
        sscanf(info + strlen(want_info), "%lld, \"uid\": %u", &run_at, &uid),
        2);
    ck_assert_int_ge(run_at, (long long)t0);
    ck_assert_int_le(run_at, (long long)t1);
    ck_assert_uint_eq(uid, (unsigned)getuid());
    ck_assert_int_eq(info[strlen(info) - 1], '}');
    free(info);
    info = (char *)1;
    ck_assert_int_eq(cc_db_period_info(&info, db, "2026-10"), CC_ENOTFOUND);
    ck_assert_ptr_null(info);
    cc_db_close(db);
  }
  /* Re-running the period replaced its counts (still one period). */
  ck_assert_uint_eq(assert_no_leftovers(P("db")), 1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Across months, through the run. */

/* Projects a line with its lifecycle:
 *   <type> <state> <issued> <deadline> <first_period> <seen>
 *   <cleared|-> <on_time|-> <claimed 0|1> <roster>:<line>,... */
static void project_life(char *out, size_t cap, const char *line)
{
  char type[32], state[16], issued[16], deadline[16], first[16], seen[16];
  char cleared[16] = "-", on_time[8] = "-", members[256];
  const char *p, *end = strchr(line, '\n');
  char proj[512];
  ck_assert_ptr_nonnull(end);
  sscanf(after(line, "\"type\": \""), "%31[^\"]", type);
  sscanf(after(line, "\"state\": \""), "%15[^\"]", state);
  sscanf(after(line, "\"issued\": \""), "%15[^\"]", issued);
  sscanf(after(line, "\"deadline\": \""), "%15[^\"]", deadline);
  sscanf(after(line, "\"first_period\": \""), "%15[^\"]", first);
  sscanf(after(line, "\"seen\": \""), "%15[^\"]", seen);
  p = strstr(line, "\"cleared\": \"");
  if (p && p < end) {
    sscanf(p + 12, "%15[^\"]", cleared);
    sscanf(after(line, "\"cleared_on_time\": "), "%7[a-z]", on_time);
  }
  /* members: the last field of the RULES.md projection */
  project_line(proj, sizeof proj, line);
  p = strrchr(proj, ' ');
  snprintf(members, sizeof members, "%s", p + 1);
  snprintf(out, cap, "%s %s %s %s %s %s %s %s %d %s", type, state, issued,
           deadline, first, seen, cleared, on_time,
           strncmp(after(line, "\"claimed_resolved\": "), "true", 4) == 0,
           members);
}

static void assert_life(const char *text, const char *const *want)
{
  char *got[16];
  size_t n = 0, i, nw = 0;
  const char *line;
  for (line = text; *line; line = strchr(line, '\n') + 1) {
    ck_assert_uint_lt(n, 16);
    got[n] = malloc(512);
    project_life(got[n], 512, line);
    n++;
  }
  while (want[nw])
    nw++;
  qsort(got, n, sizeof got[0], str_cmp);
  for (i = 0; i < n && i < nw; i++)
    ck_assert_msg(strcmp(got[i], want[i]) == 0,
                  "finding %zu: got '%s', want '%s'", i, got[i], want[i]);
  ck_assert_msg(n == nw, "%zu findings, want %zu", n, nw);
  for (i = 0; i < n; i++)
    free(got[i]);
}

/* The finding_id of the line of `text` that starts with type and has the
 * member roster:line first. */
static uint64_t fid_of(const char *text, const char *type, const char *member)
{
  const char *line;
  for (line = text; *line; line = strchr(line, '\n') + 1) {
    char proj[512], key[128];
    project_line(proj, sizeof proj, line);
    snprintf(key, sizeof key, "%s ", type);
    if (strncmp(proj, key, strlen(key)) == 0 &&
        strncmp(strrchr(proj, ' ') + 1, member, strlen(member)) == 0)
      return strtoull(line + 16, NULL, 16);
  }
  ck_abort_msg("no %s with %s", type, member);
  return 0;
}

/* The second month: X's mohrss row is gone (its dual_enrollment clears);
 * B is enrolled in mohrss too (a new dual_enrollment). */
static const char mohrss_c_csv[] =
    "id_number,name,school_code,status,grant_amount,waiver_amount\n" A
    ",张三,J1,在籍,800,\n" /* 2 */
    C ",王五,J2,在籍,,\n"  /* 3 */
    B ",李四,J9,在籍,,\n"; /* 4 */

START_TEST(test_run_lifecycle_across_months)
{
  /* 2026-11 (D 11-23): the four first_findings, new, deadline 12-07.
   * Then A's dual_enrollment gets cancel_own dated 12-01 (before the next
   * D, still present: claimed) and X's ask_other dated 12-01 (X is gone:
   * carried, not claimed).
   * 2026-12 issued on the deadline, 12-07: A, A, B open; X cleared on time
   * with its 2026-11 members; B's new dual_enrollment new, 12-07/12-21. */
  static const char *const dec_on_deadline[] = {
      "double_grant open 2026-11-23 2026-12-07 2026-11 2026-12-07 - - 0 "
      "moe:2,mohrss:2",
      "dual_enrollment cleared 2026-11-23 2026-12-07 2026-11 2026-12-07 "
      "2026-12-07 true 0 moe:8,mohrss:4",
      "dual_enrollment new 2026-12-07 2026-12-21 2026-12 2026-12-07 - - 0 "
      "moe:3,moe:4,mohrss:4",
      "dual_enrollment open 2026-11-23 2026-12-07 2026-11 2026-12-07 - - 1 "
      "moe:2,mohrss:2",
      "duplicate_record open 2026-11-23 2026-12-07 2026-11 2026-12-07 - - 0 "
      "moe:3,moe:4",
      NULL};
  /* 2026-12 re-run issued a day later, 12-08: recomputed against 2026-11,
   * overdue and cleared late; the new one 12-08/12-22. */
  static const char *const dec_day_after[] = {
      "double_grant overdue 2026-11-23 2026-12-07 2026-11 2026-12-08 - - 0 "
      "moe:2,mohrss:2",
      "dual_enrollment cleared 2026-11-23 2026-12-07 2026-11 2026-12-08 "
      "2026-12-08 false 0 moe:8,mohrss:4",
      "dual_enrollment new 2026-12-08 2026-12-22 2026-12 2026-12-08 - - 0 "
      "moe:3,moe:4,mohrss:4",
      "dual_enrollment overdue 2026-11-23 2026-12-07 2026-11 2026-12-08 - - 1 "
      "moe:2,mohrss:2",
      "duplicate_record overdue 2026-11-23 2026-12-07 2026-11 2026-12-08 - - 0 "
      "moe:3,moe:4",
      NULL};
  /* 2027-01 (issued 2026-12-28), the same rosters: X, cleared in
   * 2026-12, is not repeated; B's finding of 12-08 is past 12-22. */
  static const char *const jan[] = {
      "double_grant overdue 2026-11-23 2026-12-07 2026-11 2026-12-28 - - 0 "
      "moe:2,mohrss:2",
      "dual_enrollment overdue 2026-11-23 2026-12-07 2026-11 2026-12-28 - - 1 "
      "moe:2,mohrss:2",
      "dual_enrollment overdue 2026-12-08 2026-12-22 2026-12 2026-12-28 - - 0 "
      "moe:3,moe:4,mohrss:4",
      "duplicate_record overdue 2026-11-23 2026-12-07 2026-11 2026-12-28 - - 0 "
      "moe:3,moe:4",
      NULL};
  char *nov = first_run(), *s, *summary = NULL;
  cc_run_options o;
  cc_response r;
  cc_db *db;
  uint64_t a_dual = fid_of(nov, "dual_enrollment", "moe:2");
  uint64_t x_dual = fid_of(nov, "dual_enrollment", "moe:8");

  db = tu_db_open(P("db"));
  memset(&r, 0, sizeof r);
  r.finding_id = a_dual;
  r.date = cc_date_from_ymd(2026, 12, 1);
  r.action = CC_ACTION_CANCEL_OWN;
  strcpy(r.school_code, "S1");
  strcpy(r.by, "李老师");
  strcpy(r.note, "已注销");
  ck_assert_int_eq(cc_response_record(db, &r), 0);
  r.finding_id = x_dual;
  r.action = CC_ACTION_ASK_OTHER;
  strcpy(r.school_code, "J1");
  strcpy(r.by, "钱老师");
  strcpy(r.note, "");
  ck_assert_int_eq(cc_response_record(db, &r), 0);
  cc_db_close(db);

  tu_write_file(P("mohrss_c.csv"), mohrss_c_csv);
  set_rosters(P("moe.csv"), P("mohrss_c.csv"));
  o = options(P("db"), "2026-12", P("out12"));
  o.issued = cc_date_from_ymd(2026, 12, 7);
  ck_assert_msg(cc_run_monthly(&summary, &o) == 0, "%s", cc_error_last());
  s = tu_read_file(P("out12/findings.jsonl"));
  assert_life(s, dec_on_deadline);
  /* The responses, carried as recorded. */
  {
    char want[512], *line = strstr(s, "\"line\": 8, ");
    ck_assert_ptr_nonnull(line);
    ck_assert_ptr_nonnull(strstr(s, "\"claimed_resolved\": true, \"response\": "
                                    "{\"action\": \"cancel_own\", "
                                    "\"date\": \"2026-12-01\", \"by\": "
                                    "\"李老师\", \"school_code\": \"S1\", "
                                    "\"note\": \"已注销\"}}\n"));
    snprintf(want, sizeof want,
             "\"cleared\": \"2026-12-07\", \"cleared_on_time\": true, "
             "\"claimed_resolved\": false, \"response\": {\"action\": "
             "\"ask_other\", "
             "\"date\": \"2026-12-01\", \"by\": \"钱老师\", \"school_code\": "
             "\"J1\", "
             "\"note\": \"\"}}\n");
    ck_assert_ptr_nonnull(strstr(line, want));
  }
  /* finding_id carried over. */
  ck_assert_uint_eq(fid_of(s, "dual_enrollment", "moe:2"), a_dual);
  ck_assert_uint_eq(fid_of(s, "dual_enrollment", "moe:8"), x_dual);
  ck_assert_ptr_nonnull(
      strstr(summary, "\nagainst 2026-11: 1 new, 3 open, 0 overdue, "
                      "1 cleared; 1 claimed resolved but still present\n"));
  /* Cleared findings are not counted as findings of the month. */
  ck_assert_ptr_nonnull(strstr(summary, "amount at risk: 800 yuan\n"));
  {
    unsigned all;
    const char *p = strstr(summary, "\n  all ");
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(sscanf(p + 7, "%u", &all), 1);
    ck_assert_uint_eq(all, 4);
  }
  free(summary);
  {
    char *d = findings_of(P("db"), "2026-12");
    ck_assert_str_eq(d, s);
    free(d);
  }
  free(s);

  o.issued = cc_date_from_ymd(2026, 12, 8);
  ck_assert_msg(cc_run_monthly(&summary, &o) == 0, "%s", cc_error_last());
  s = tu_read_file(P("out12/findings.jsonl"));
  assert_life(s, dec_day_after);
  ck_assert_ptr_nonnull(
      strstr(summary, "\nagainst 2026-11: 1 new, 0 open, 3 overdue, "
                      "1 cleared; 1 claimed resolved but still present\n"));
  free(summary);
  free(s);
  /* 2026-11 itself is as it was. */
  s = findings_of(P("db"), "2026-11");
  ck_assert_str_eq(s, nov);
  free(s);

  o = options(P("db"), "2027-01", P("out01"));
  o.issued = cc_date_from_ymd(2026, 12, 28);
  ck_assert_msg(cc_run_monthly(&summary, &o) == 0, "%s", cc_error_last());
  s = tu_read_file(P("out01/findings.jsonl"));
  assert_life(s, jan);
  ck_assert_ptr_nonnull(
      strstr(summary, "\nagainst 2026-12: 0 new, 0 open, 4 overdue, "
                      "0 cleared; 1 claimed resolved but still present\n"));
  free(summary);
  free(s);
  ck_assert_uint_eq(assert_no_leftovers(P("db")), 3);
  free(nov);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A killed run. */

/* The n-th generated ID: 110101 2005MMDD SSS C (336 dates x 1000). */
static void gen_id(char out[32], unsigned n)
{
  unsigned date = n / 1000, seq = n % 1000;
  snprintf(out, 32, "1101012005%02u%02u%03u", date / 28 + 1, date % 28 + 1,
           seq);
  out[17] = tu_check_char(out);
  out[18] = '\0';
}

/* Two rosters of `rows` rows each; every 20th moe student is enrolled in
 * mohrss too. */
static void write_big(const char *moe, const char *mohrss, unsigned rows)
{
  FILE *a = fopen(moe, "w"), *b = fopen(mohrss, "w");
  unsigned i;
  char id[32];
  ck_assert_ptr_nonnull(a);
  ck_assert_ptr_nonnull(b);
  fputs("身份证号,姓名,学校代码,学籍状态,学校名称,助学金\n", a);
  fputs("身份证号,姓名,学校代码,学籍状态,学校名称,助学金\n", b);
  for (i = 0; i < rows; i++) {
    gen_id(id, i);
    fprintf(a, "%s,学生%u,S%u,在籍,第%u职业学校,%s\n", id, i, i % 500, i % 500,
            i % 3 == 0 ? "1000" : "");
    if (i % 20 != 0)
      gen_id(id, i + rows);
    fprintf(b, "%s,学生%u,J%u,在籍,第%u技工学校,%s\n", id, i, i % 300, i % 300,
            i % 7 == 0 ? "1000" : "");
  }
  ck_assert_int_eq(fclose(a), 0);
  ck_assert_int_eq(fclose(b), 0);
}

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Starts cc_run_monthly in a child process. */
static pid_t spawn_run(const cc_run_options *o)
{
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    int rc = cc_run_monthly(NULL, o);
    if (rc < 0)
      fprintf(stderr, "child run: %s\n", cc_error_last());
    _exit(rc == 0 ? 0 : 100 - rc);
  }
  return pid;
}

/* Runs to the end in a child; returns the child's exit status. */
static int child_run(const cc_run_options *o)
{
  int status;
  pid_t pid = spawn_run(o);
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert(WIFEXITED(status));
  return WEXITSTATUS(status);
}

/* Counts the staged generations a killed run left (read-only: the open
 * must not drop them). */
static size_t staged_leftovers(const char *dir)
{
  cc_db *db = NULL;
  cc_db_options ro = CC_DB_OPTIONS_INIT;
  MDB_txn *txn;
  MDB_cursor *cur;
  MDB_val k, v;
  size_t n = 0;
  int mrc;
  ro.read_only = 1;
  ck_assert_int_eq(cc_db_open(&db, dir, &ro), 0);
  ck_assert_int_eq(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn), 0);
  ck_assert_int_eq(mdb_cursor_open(txn, db->meta, &cur), 0);
  for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
       mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    n += k.mv_size >= 8 && memcmp(k.mv_data, "staging/", 8) == 0;
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  cc_db_close(db);
  return n;
}

START_TEST(test_run_killed_leaves_db)
{
  const unsigned rows = 100000; /* 200,000 rows in all */
  static const double fixed[] = {0.020, 0.060, 0.150};
  static const double fractions[] = {0.2, 0.35, 0.5, 0.6,  0.7,
                                     0.8, 0.85, 0.9, 0.95, 1.0};
  cc_run_options o, small, bigrun;
  char *f12, *f11, *big, *s;
  double t0, full, delays[16];
  size_t n_delays = 0, i, kept_old = 0, killed = 0, staged = 0;

  /* Two published periods, small; 2026-12 is later than the period the
   * killed runs write, so nothing carries over from it. */
  tu_write_file(P("moe.csv"), moe_csv);
  tu_write_file(P("mohrss.csv"), mohrss_csv);
  set_rosters(P("moe.csv"), P("mohrss.csv"));
  o = options(P("db"), "2026-12", P("out"));
  ck_assert_int_eq(child_run(&o), 0);
  o.period = "2026-11";
  ck_assert_int_eq(child_run(&o), 0);
  f12 = findings_of(P("db"), "2026-12");
  f11 = findings_of(P("db"), "2026-11");
  assert_findings_text(f11, first_findings);

  /* The large rosters, run to the end in another database: what a run
   * that got through publishing leaves, and how long a run takes. */
  write_big(P("moe_big.csv"), P("mohrss_big.csv"), rows);
  {
    static cc_roster_spec big_rosters[2];
    static char paths[2][512];
    snprintf(paths[0], sizeof paths[0], "%s", P("moe_big.csv"));
    snprintf(paths[1], sizeof paths[1], "%s", P("mohrss_big.csv"));
    big_rosters[0].label = "moe";
    big_rosters[0].path = paths[0];
    big_rosters[1].label = "mohrss";
    big_rosters[1].path = paths[1];
    bigrun = options(P("db_ref"), "2026-11", P("out_ref"));
    bigrun.rosters = big_rosters;
    t0 = now_s();
    ck_assert_int_eq(child_run(&bigrun), 0);
    full = now_s() - t0;
    big = findings_of(P("db_ref"), "2026-11");
    ck_assert_uint_gt(strlen(big), 1000);
    /* From now on the big run goes to the shared database. */
    {
      static char db2[512], out2[512];
      snprintf(db2, sizeof db2, "%s", P("db"));
      snprintf(out2, sizeof out2, "%s", P("out_killed"));
      bigrun.db_dir = db2;
      bigrun.out_dir = out2;
    }
  }
  small = options(P("db"), "2026-11", P("out"));

  /* Kill points: fixed, and through the whole run (ingest, index,
   * commit, compare, publish). */
  for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
    delays[n_delays++] = fixed[i];
  for (i = 0; i < sizeof fractions / sizeof fractions[0]; i++)
    delays[n_delays++] = full * fractions[i];

  for (i = 0; i < n_delays; i++) {
    struct timespec ts;
    int status;
    pid_t pid = spawn_run(&bigrun);
    ts.tv_sec = (time_t)delays[i];
    ts.tv_nsec = (long)((delays[i] - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
      killed++;
    else
      ck_assert_int_eq(WEXITSTATUS(status), 0);
    staged += staged_leftovers(P("db"));

    /* Reopened: no leftovers, 2026-12 untouched, 2026-11 either as it was
     * or wholly the new run's. */
    ck_assert_uint_eq(assert_no_leftovers(P("db")), 2);
    s = findings_of(P("db"), "2026-12");
    ck_assert_str_eq(s, f12);
    free(s);
    s = findings_of(P("db"), "2026-11");
    if (strcmp(s, f11) == 0) {
      kept_old++;
    } else {
      ck_assert_msg(strcmp(s, big) == 0,
                    "killed after %.3f s: 2026-11 is neither the old nor the "
                    "new findings",
                    delays[i]);
      /* Back to the old findings for the next kill (and the database
       * still works after a kill). */
      ck_assert_int_eq(child_run(&small), 0);
      free(s);
      s = findings_of(P("db"), "2026-11");
      ck_assert_str_eq(s, f11);
    }
    free(s);
  }
  if (getenv("CC_TEST_VERBOSE"))
    fprintf(stderr,
            "full run %.3f s; %zu of %zu killed; %zu kept the old "
            "period; %zu left a committed stage\n",
            full, killed, n_delays, kept_old, staged);
  ck_assert_uint_ge(killed, 1);
  ck_assert_uint_ge(kept_old, 1);

  /* The database still works: the small run again gives the old bytes. */
  ck_assert_int_eq(child_run(&small), 0);
  s = findings_of(P("db"), "2026-11");
  ck_assert_str_eq(s, f11);
  free(s);
  ck_assert_uint_eq(assert_no_leftovers(P("db")), 2);
  free(f12);
  free(f11);
  free(big);
}
END_TEST

static Suite *run_suite(void)
{
  Suite *s = suite_create("run");
  TCase *core = tcase_create("Core");
  TCase *limits = tcase_create("Limits");
  tcase_add_checked_fixture(core, setup, teardown);
  tcase_set_timeout(core, 60);
  tcase_add_test(core, test_run_end_to_end);
  tcase_add_test(core, test_run_same_for_any_thread_count);
  tcase_add_test(core, test_run_findings_past_one_batch);
  tcase_add_loop_test(core, test_run_rejects_bad_options, 0,
                      (int)(sizeof bad_rows / sizeof bad_rows[0]));
  tcase_add_test(core, test_run_period_month_must_be_digits);
  tcase_add_test(core, test_run_missing_column_leaves_db);
  tcase_add_test(core, test_run_cancelled_leaves_db);
  tcase_add_test(core, test_run_output_failure_leaves_db);
  tcase_add_test(core, test_run_rename_failure_after_publish);
  tcase_add_test(core, test_run_planted_symlink_not_followed);
  tcase_add_test(core, test_run_refuses_open_folders);
  tcase_add_test(core, test_run_one_at_a_time);
  tcase_add_test(core, test_run_rail_empty_roster);
  tcase_add_test(core, test_run_rail_shrunken_roster);
  tcase_add_test(core, test_run_generic_id);
  tcase_add_test(core, test_run_rerun_replaces_period);
  tcase_add_test(core, test_run_period_info_and_school_counts);
  tcase_add_test(core, test_run_lifecycle_across_months);
  tcase_add_checked_fixture(limits, setup, teardown);
  tcase_set_timeout(limits, 600);
  tcase_add_test(limits, test_run_killed_leaves_db);
  suite_add_tcase(s, core);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  return tu_main(run_suite, root, sizeof root, "run");
}
