/*
 * check_query.c - auditor queries (engine/query.c): every filter alone,
 * filters combined, OR within a filter, periods, ID cleaning, name folding,
 * masking in the three formats, display width, and one audit entry per
 * query (none for a query refused).
 *
 * Data: three small periods written here and run with cc_run_monthly into
 * one database. IDs (check characters by hand as in tests/check_run.c;
 * positions 1-14 of 110101 20050101 weigh to 58, positions 15-17 weigh
 * 8 4 2):
 *
 *   A 110101200501011239  58+8+8+6 = 80 -> 80 mod 11 = 3 -> 9   valid
 *   B 110101200501010017  58+2 = 60     -> 5             -> 7   valid
 *   C 110101200501010025  58+4 = 62     -> 7             -> 5   valid
 *   D 110101200501010033  58+6 = 64     -> 9             -> 3   valid
 *   E 110101200501010041  58+8 = 66     -> 0             -> 1   valid
 *   X 110101200501010018  7 is due, 8 given: invalid (check_digit), kept
 *   F 110101190501011232  the 15-digit 110101050101123 with "19" after the
 *     sixth digit; 1 1 0 1 0 1 1 9 0 5 0 1 0 1 1 2 3 times 7 9 10 5 8 4 2
 *     1 6 3 7 9 10 5 8 4 2 = 7+9+0+5+0+4+2+9+0+15+0+9+0+5+8+8+6 = 87,
 *     87 mod 11 = 10 -> '2'                                       valid
 *
 * Schools and regions: moe M1 110101, M2 120102, M3 110105; mohrss J1
 * 110102, J2 120101 (11 = Beijing, 12 = Tianjin).
 *
 * Period 2026-10 (issued 2026-10-26, a Monday; deadline 2026-11-09: Oct 27
 * 28 29 30, Nov 2 3 4 5 6 9), both rosters in full, by docs/RULES.md:
 *   A 张伟 M1 / 張偉 J1, both paid 1000: dual_enrollment, double_grant
 *   B 李娜 M1 / 李 娜 J2: dual_enrollment
 *   C 王芳 M2 / 王芳 J2, both waived 1200: dual_enrollment, double_waiver
 *   D 赵磊 M2 在籍 / 孙涛 J1 退学: id_conflict only (one holder)
 *   X 黄强 M3 / J1: dual_enrollment, invalid ID
 *   F 钱七 M2 / J2 (15 digits in mohrss): dual_enrollment
 *   = 8 findings, all new.
 * Period 2026-11 (issued 2026-11-09 = the deadline: still open): B left
 * mohrss, E 周杰 M1 / J1 came:
 *   7 open (A A C C D X F), E dual_enrollment new, B's cleared = 9.
 * Period 2026-12 (issued 2026-12-01, rosters of 2026-11): the same 8 are
 *   past their deadlines (11-09, E's 11-23): 8 overdue; B not repeated.
 * All periods: 8 + 9 + 8 = 25.
 *
 * The database is built by a child process before the suite runs, so the
 * runner never enters OpenMP (libgomp may hang in a child forked after a
 * parallel region); queries use no OpenMP.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chachong/audit.h"
#include "chachong/errors.h"
#include "chachong/finding.h"
#include "chachong/index.h"
#include "chachong/lifecycle.h"
#include "chachong/query.h"
#include "chachong/run.h"
#include "chachong/types.h"
#include "test_util.h"

#define A "110101200501011239"
#define B "110101200501010017"
#define C "110101200501010025"
#define D "110101200501010033"
#define E "110101200501010041"
#define X "110101200501010018"
#define F "110101190501011232"
#define F15 "110101050101123"

static const char moe_full[] =
    "身份证号,姓名,学校代码,学籍状态,所在地区代码,学籍号,助学金,免学费\n" A
    ",张伟,M1,在籍,110101,G" A ",1000,\n" B ",李娜,M1,在籍,110101,,,\n" C
    ",王芳,M2,在籍,120102,,,1200\n" D ",赵磊,M2,在籍,120102,,,\n" X
    ",黄强,M3,在籍,110105,,,\n" F ",钱七,M2,在籍,120102,,,\n";
static const char mohrss_full[] =
    "身份证号,姓名,学校代码,学籍状态,所在地区代码,学籍号,助学金,免学费\n" A
    ",張偉,J1,在籍,110102,,1000,\n" B ",李 娜,J2,在籍,120101,,,\n" C
    ",王芳,J2,在籍,120101,,,1200\n" D ",孙涛,J1,退学,110102,,,\n" X
    ",黄强,J1,在籍,110102,,,\n" F15 ",钱七,J2,在籍,120101,,,\n";
/* 2026-11 and 2026-12: B gone from mohrss, E in both. */
static const char moe_later[] =
    "身份证号,姓名,学校代码,学籍状态,所在地区代码,学籍号,助学金,免学费\n" A
    ",张伟,M1,在籍,110101,G" A ",1000,\n" B ",李娜,M1,在籍,110101,,,\n" C
    ",王芳,M2,在籍,120102,,,1200\n" D ",赵磊,M2,在籍,120102,,,\n" X
    ",黄强,M3,在籍,110105,,,\n" F ",钱七,M2,在籍,120102,,,\n" E
    ",周杰,M1,在籍,110101,,,\n";
static const char mohrss_later[] =
    "身份证号,姓名,学校代码,学籍状态,所在地区代码,学籍号,助学金,免学费\n" A
    ",張偉,J1,在籍,110102,,1000,\n" C ",王芳,J2,在籍,120101,,,1200\n" D
    ",孙涛,J1,退学,110102,,,\n" X ",黄强,J1,在籍,110102,,,\n" F15
    ",钱七,J2,在籍,120101,,,\n" E ",周杰,J1,在籍,110102,,,\n";

static char root[256];
static char dbdir[320];

static int write_text(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  if (f == NULL)
    return -1;
  fputs(text, f);
  return fclose(f);
}

/* One run into dbdir; returns cc_run_monthly's code. */
static int run_period(const char *period, const char *issued, const char *moe,
                      const char *mohrss)
{
  char pm[400], ph[400], out[400];
  cc_roster_spec r[2];
  cc_run_options o = CC_RUN_OPTIONS_INIT;
  char *summary = NULL;
  int rc;
  snprintf(pm, sizeof pm, "%s/moe-%s.csv", root, period);
  snprintf(ph, sizeof ph, "%s/mohrss-%s.csv", root, period);
  snprintf(out, sizeof out, "%s/out-%s", root, period);
  if (write_text(pm, moe) < 0 || write_text(ph, mohrss) < 0)
    return -1;
  memset(r, 0, sizeof r);
  r[0].label = "moe";
  r[0].path = pm;
  r[1].label = "mohrss";
  r[1].path = ph;
  o.db_dir = dbdir;
  o.period = period;
  if (cc_date_parse(&o.issued, issued) < 0)
    return -1;
  o.rosters = r;
  o.n_rosters = 2;
  o.out_dir = out;
  o.threads = 1;
  o.no_sync = 1;
  rc = cc_run_monthly(&summary, &o);
  if (rc < 0)
    fprintf(stderr, "run %s: %s\n", period, cc_error_last());
  free(summary);
  return rc;
}

/* Builds the database in a child process (see the top of the file). */
static int build_db(void)
{
  pid_t pid = fork();
  int status;
  if (pid < 0)
    return -1;
  if (pid == 0) {
    int rc = run_period("2026-10", "2026-10-26", moe_full, mohrss_full);
    if (rc == 0)
      rc = run_period("2026-11", "2026-11-09", moe_later, mohrss_later);
    if (rc == 0)
      rc = run_period("2026-12", "2026-12-01", moe_later, mohrss_later);
    _exit(rc == 0 ? 0 : 1);
  }
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
    return -1;
  return WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Queries from a compact spec: "key=value|key=value|flag". Keys: period,
 * id, name, school, region, type, state, limit, format (table, csv,
 * jsonl), user; flags: all, unmasked. */

#define MAXV 8
typedef struct spec {
  const char *v[7][MAXV];
  size_t n[7];
  char buf[1024];
  cc_query_options q;
} spec;

static const char *const keys[7] = {"period", "id",   "name", "school",
                                    "region", "type", "state"};

static void parse_spec(spec *s, const char *text)
{
  char *p, *save = NULL, *tok;
  cc_query_options init = CC_QUERY_OPTIONS_INIT;
  memset(s, 0, sizeof *s);
  s->q = init;
  snprintf(s->buf, sizeof s->buf, "%s", text);
  for (tok = strtok_r(s->buf, "|", &save); tok;
       tok = strtok_r(NULL, "|", &save)) {
    int k;
    p = strchr(tok, '=');
    if (p == NULL) {
      if (strcmp(tok, "all") == 0)
        s->q.all_periods = 1;
      else if (strcmp(tok, "unmasked") == 0)
        s->q.unmasked = 1;
      else
        ck_abort_msg("bad spec flag %s", tok);
      continue;
    }
    *p++ = '\0';
    for (k = 0; k < 7 && strcmp(tok, keys[k]) != 0; k++)
      ;
    if (k < 7) {
      ck_assert_uint_lt(s->n[k], MAXV);
      s->v[k][s->n[k]++] = p;
    } else if (strcmp(tok, "limit") == 0) {
      s->q.limit = (size_t)atoi(p);
    } else if (strcmp(tok, "user") == 0) {
      s->q.user = p;
    } else if (strcmp(tok, "format") == 0) {
      s->q.format = strcmp(p, "csv") == 0     ? CC_QUERY_CSV
                    : strcmp(p, "jsonl") == 0 ? CC_QUERY_JSONL
                                              : CC_QUERY_TABLE;
    } else {
      ck_abort_msg("bad spec key %s", tok);
    }
  }
  s->q.periods = s->v[0];
  s->q.n_periods = s->n[0];
  s->q.ids = s->v[1];
  s->q.n_ids = s->n[1];
  s->q.names = s->v[2];
  s->q.n_names = s->n[2];
  s->q.schools = s->v[3];
  s->q.n_schools = s->n[3];
  s->q.regions = s->v[4];
  s->q.n_regions = s->n[4];
  s->q.types = s->v[5];
  s->q.n_types = s->n[5];
  s->q.states = s->v[6];
  s->q.n_states = s->n[6];
}

static cc_db *db;

static void open_db(void)
{
  cc_db_options o = CC_DB_OPTIONS_INIT;
  ck_assert_msg(cc_db_open(&db, dbdir, &o) == 0, "%s", cc_error_last());
}

static void close_db(void)
{
  cc_db_close(db);
  db = NULL;
}

static int run_spec(cc_query_result *r, const char *text)
{
  spec s;
  parse_spec(&s, text);
  return cc_query_run(r, db, &s.q);
}

/* The letter of a test ID. */
static char letter(const char *id)
{
  static const char *const ids[] = {A, B, C, D, E, X, F};
  static const char names[] = "ABCDEXF";
  size_t i;
  for (i = 0; i < 7; i++)
    if (strcmp(id, ids[i]) == 0)
      return names[i];
  return '?';
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What a query found: sorted "type:LETTER" (or "period:type:LETTER:state"
 * with `full`), space-separated; malloc'd. Asserts success. */
static char *found(const char *text, int full)
{
  cc_query_result r;
  char **items, *out;
  size_t i, len = 1;
  int rc = run_spec(&r, text);
  ck_assert_msg(rc == 0, "query '%s': %d %s", text, rc, cc_error_last());
  items = calloc(r.findings.n + 1, sizeof *items);
  ck_assert_ptr_nonnull(items);
  for (i = 0; i < r.findings.n; i++) {
    const cc_finding *f = &r.findings.items[i];
    char t[128];
    if (full)
      snprintf(t, sizeof t, "%s:%s:%c:%s", r.periods[r.period_of[i]],
               cc_finding_type_code((cc_finding_type)f->type), letter(f->id),
               cc_finding_state_code((cc_finding_state)f->state));
    else
      snprintf(t, sizeof t, "%s:%c",
               cc_finding_type_code((cc_finding_type)f->type), letter(f->id));
    items[i] = strdup(t);
    len += strlen(t) + 1;
  }
  qsort(items, r.findings.n, sizeof *items, cmp_str);
  out = calloc(len, 1);
  ck_assert_ptr_nonnull(out);
  for (i = 0; i < r.findings.n; i++) {
    if (i)
      strcat(out, " ");
    strcat(out, items[i]);
    free(items[i]);
  }
  free(items);
  cc_query_result_dispose(&r);
  return out;
}

#define ck_found(spec_, want_)                                                 \
  do {                                                                         \
    char *got_ = found(spec_, 0);                                              \
    ck_assert_msg(strcmp(got_, want_) == 0, "query '%s'\n got: %s\nwant: %s",  \
                  spec_, got_, want_);                                         \
    free(got_);                                                                \
  } while (0)

static size_t count(const char *text)
{
  cc_query_result r;
  size_t n;
  int rc = run_spec(&r, text);
  ck_assert_msg(rc == 0, "query '%s': %d %s", text, rc, cc_error_last());
  n = r.findings.n;
  ck_assert_uint_eq(r.matched, n);
  cc_query_result_dispose(&r);
  return n;
}

static size_t audit_count(void)
{
  cc_audit_entry *list = NULL;
  size_t n = 0;
  ck_assert_int_eq(cc_audit_list(&list, &n, db, 0), 0);
  free(list);
  return n;
}

/* The last audit entry. */
static cc_audit_entry last_audit(void)
{
  cc_audit_entry *list = NULL, e;
  size_t n = 0;
  ck_assert_int_eq(cc_audit_list(&list, &n, db, 0), 0);
  ck_assert_uint_ge(n, 1);
  e = list[n - 1];
  free(list);
  return e;
}

/* Runs a query and writes it; returns the output (malloc'd). */
static char *output(const char *text)
{
  spec s;
  cc_query_result r;
  char *buf = NULL;
  size_t len = 0;
  FILE *f;
  int rc;
  parse_spec(&s, text);
  rc = cc_query_run(&r, db, &s.q);
  ck_assert_msg(rc == 0, "query '%s': %s", text, cc_error_last());
  f = open_memstream(&buf, &len);
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(cc_query_write(f, &r, &s.q), 0);
  fclose(f);
  cc_query_result_dispose(&r);
  return buf;
}

static size_t lines(const char *s)
{
  size_t n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

/* ------------------------------------------------------------------ */
/* Core: each filter alone. */

START_TEST(test_query_periods)
{
  cc_query_result r;
  /* The default is the latest period. */
  ck_assert_int_eq(run_spec(&r, ""), 0);
  ck_assert_uint_eq(r.n_periods, 1);
  ck_assert_str_eq(r.periods[0], "2026-12");
  ck_assert_uint_eq(r.findings.n, 8);
  cc_query_result_dispose(&r);
  ck_assert_uint_eq(count("period=2026-10"), 8);
  ck_assert_uint_eq(count("period=2026-11"), 9);
  ck_assert_uint_eq(count("period=2026-10|period=2026-11"), 17);
  /* Given twice or out of order: searched once each, oldest first. */
  ck_assert_int_eq(run_spec(&r, "period=2026-12|period=2026-10|period=2026-12"),
                   0);
  ck_assert_uint_eq(r.n_periods, 2);
  ck_assert_str_eq(r.periods[0], "2026-10");
  ck_assert_str_eq(r.periods[1], "2026-12");
  ck_assert_uint_eq(r.findings.n, 16);
  ck_assert_uint_eq(r.period_of[0], 0);
  ck_assert_uint_eq(r.period_of[15], 1);
  cc_query_result_dispose(&r);
  ck_assert_int_eq(run_spec(&r, "all"), 0);
  ck_assert_uint_eq(r.n_periods, 3);
  ck_assert_uint_eq(r.findings.n, 25);
  {
    size_t i;
    for (i = 1; i < r.findings.n; i++)
      ck_assert_uint_le(r.period_of[i - 1], r.period_of[i]);
  }
  cc_query_result_dispose(&r);
}
END_TEST

START_TEST(test_query_bad_input)
{
  static const struct {
    const char *spec;
    int rc;
  } cases[] = {
      {"period=2027-01", CC_ENOTFOUND},
      {"period=2026-13", CC_EINVALID},
      {"period=2026-1", CC_EINVALID},
      {"period=2026-10|all", CC_EINVALID},
      {"type=dual", CC_EINVALID},
      {"type=双重学籍", CC_EINVALID},
      {"state=done", CC_EINVALID},
      {"region=1", CC_EINVALID},
      {"region=110", CC_EINVALID},
      {"region=11a1", CC_EINVALID},
      {"id=abc", CC_EINVALID},
      {"id=1.10101E+17", CC_EINVALID},
      {"id=11010120050101", CC_EINVALID},
      {"id=" A "|id=", CC_EINVALID},
      {"name= ", CC_EINVALID},
      {"school= ", CC_EINVALID},
  };
  size_t i, before = audit_count();
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cc_query_result r;
    int rc = run_spec(&r, cases[i].spec);
    ck_assert_msg(rc == cases[i].rc, "'%s' gave %d, want %d", cases[i].spec, rc,
                  cases[i].rc);
    ck_assert_uint_eq(r.findings.n, 0);
    ck_assert_ptr_null(r.findings.items);
    /* Messages never hold a full ID. */
    ck_assert_ptr_null(strstr(cc_error_last(), A));
  }
  /* A refused query returns nothing, so it leaves no entry. */
  ck_assert_uint_eq(audit_count(), before);
}
END_TEST

START_TEST(test_query_id)
{
  ck_found("id=" A, "double_grant:A dual_enrollment:A");
  /* Cleaned like a roster cell: Excel's apostrophe, full-width digits,
   * U+3000 and blanks inside, a lower-case x, the 15-digit card. */
  ck_found("id='" A, "double_grant:A dual_enrollment:A");
  ck_found("id=１１０１０１２００５０１０１１２３９",
           "double_grant:A dual_enrollment:A");
  ck_found("id= 110101\xE3\x80\x80"
           "200501011239 ",
           "double_grant:A dual_enrollment:A");
  ck_found("id=" F15, "dual_enrollment:F");
  ck_found("id=" F, "dual_enrollment:F");
  /* An invalid number is still a key. */
  ck_found("id=" X, "dual_enrollment:X");
  /* Nobody: nothing, and no error. */
  ck_found("id=" B, "");
  ck_found("id=" B "|period=2026-10", "dual_enrollment:B");
  /* OR within the filter. */
  ck_found(
      "id=" A "|id=" C,
      "double_grant:A double_waiver:C dual_enrollment:A dual_enrollment:C");
}
END_TEST

START_TEST(test_query_name)
{
  /* The person's name is the first member's (张伟, moe); 張偉 folds to it. */
  ck_found("name=张伟", "double_grant:A dual_enrollment:A");
  ck_found("name=張偉", "double_grant:A dual_enrollment:A");
  /* A member's name: 孙涛 is only the mohrss record of D. */
  ck_found("name=孙涛", "id_conflict:D");
  ck_found("name=孫濤", "id_conflict:D");
  /* White space is not part of a name. */
  ck_found("name=王 芳", "double_waiver:C dual_enrollment:C");
  ck_found("name=李娜|period=2026-10", "dual_enrollment:B");
  /* Whole names, not parts. */
  ck_found("name=张", "");
  ck_found("name=黄强|name=钱七", "dual_enrollment:F dual_enrollment:X");
}
END_TEST

START_TEST(test_query_school)
{
  ck_found("school=J2", "double_waiver:C dual_enrollment:C dual_enrollment:F");
  ck_found("school= J2 ",
           "double_waiver:C dual_enrollment:C dual_enrollment:F");
  ck_found("school=M3", "dual_enrollment:X");
  ck_found("school=M9", "");
  ck_found(
      "school=M3|school=J2",
      "double_waiver:C dual_enrollment:C dual_enrollment:F dual_enrollment:X");
  /* Codes are compared whole and case-sensitively, as RULES compares them. */
  ck_found("school=j2", "");
  ck_found("school=J", "");
}
END_TEST

START_TEST(test_query_region)
{
  ck_found("region=11", "double_grant:A dual_enrollment:A dual_enrollment:E "
                        "dual_enrollment:X id_conflict:D");
  ck_found("region=1101", "double_grant:A dual_enrollment:A dual_enrollment:E "
                          "dual_enrollment:X id_conflict:D");
  ck_found("region=12", "double_waiver:C dual_enrollment:C dual_enrollment:F "
                        "id_conflict:D");
  ck_found("region=110105", "dual_enrollment:X");
  ck_found("region=120101",
           "double_waiver:C dual_enrollment:C dual_enrollment:F");
  ck_found("region=37", "");
  ck_assert_uint_eq(count("region=11|region=12"), 8);
}
END_TEST

START_TEST(test_query_type)
{
  ck_found("type=dual_enrollment", "dual_enrollment:A dual_enrollment:C "
                                   "dual_enrollment:E dual_enrollment:F "
                                   "dual_enrollment:X");
  ck_found("type=double_grant", "double_grant:A");
  ck_found("type=double_grant|type=double_waiver",
           "double_grant:A double_waiver:C");
  ck_found("type=id_conflict", "id_conflict:D");
  ck_found("type=duplicate_record", "");
}
END_TEST

START_TEST(test_query_state)
{
  char *got;
  ck_assert_uint_eq(count("state=overdue"), 8);
  ck_assert_uint_eq(count("state=new"), 0);
  ck_assert_uint_eq(count("period=2026-10|state=new"), 8);
  ck_assert_uint_eq(count("period=2026-11|state=open"), 7);
  ck_found("period=2026-11|state=new", "dual_enrollment:E");
  ck_found("period=2026-11|state=cleared", "dual_enrollment:B");
  ck_found("period=2026-11|state=new|state=cleared",
           "dual_enrollment:B dual_enrollment:E");
  ck_assert_uint_eq(count("all|state=new"), 9);
  ck_assert_uint_eq(count("all|state=cleared"), 1);
  got = found("all|id=" B, 1);
  ck_assert_str_eq(got, "2026-10:dual_enrollment:B:new "
                        "2026-11:dual_enrollment:B:cleared");
  free(got);
}
END_TEST

/* Filters combined: AND across filters. */
START_TEST(test_query_combined)
{
  ck_found("region=11|type=dual_enrollment",
           "dual_enrollment:A dual_enrollment:E dual_enrollment:X");
  ck_found("school=J1|name=孙涛", "id_conflict:D");
  ck_found("school=J2|name=孙涛", "");
  ck_found("id=" A "|type=double_grant", "double_grant:A");
  ck_found("id=" A "|type=double_waiver", "");
  ck_found("region=12|state=overdue|type=double_waiver", "double_waiver:C");
  ck_found("region=12|state=open|type=double_waiver", "");
  ck_found("period=2026-11|region=11|region=12|type=dual_enrollment|"
           "type=id_conflict|state=new|state=cleared",
           "dual_enrollment:B dual_enrollment:E");
  ck_found("all|name=张伟|name=周杰|type=dual_enrollment|state=overdue",
           "dual_enrollment:A dual_enrollment:E");
}
END_TEST

START_TEST(test_query_limit)
{
  cc_query_result r;
  cc_audit_entry e;
  ck_assert_int_eq(run_spec(&r, "all|limit=3"), 0);
  ck_assert_uint_eq(r.findings.n, 3);
  ck_assert_uint_eq(r.matched, 25);
  cc_query_result_dispose(&r);
  e = last_audit();
  ck_assert_uint_eq(e.records, 3); /* what came back */
  ck_assert_ptr_nonnull(strstr(e.what, "limit=3"));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Masking and formats. */

START_TEST(test_query_mask_table)
{
  char *t = output("id=" A);
  const char *p;
  ck_assert_ptr_null(strstr(t, A));
  ck_assert_ptr_nonnull(strstr(t, "110101********1239"));
  ck_assert_ptr_nonnull(strstr(t, "双重学籍"));
  ck_assert_ptr_nonnull(strstr(t, "重复享受国家助学金"));
  ck_assert_ptr_nonnull(strstr(t, "已逾期"));
  ck_assert_ptr_nonnull(strstr(t, "moe:M1, mohrss:J1"));
  /* Header, rule, two rows. */
  ck_assert_uint_eq(lines(t), 4);
  ck_assert_int_eq(strncmp(t, "期间", strlen("期间")), 0);
  /* Columns line up by display width: 身份证号 and 截止日期 start at the
   * same column in the header and in every row (the rule line aside). */
  {
    size_t col_id = (size_t)-1, col_dl = (size_t)-1;
    for (p = t; *p;) {
      const char *nl = strchr(p, '\n');
      const char *id = strstr(p, "110101********1239");
      const char *dl = strstr(p, "2026-11-09");
      size_t wi, wd;
      ck_assert_ptr_nonnull(nl);
      /* No blanks at the end of a line. */
      ck_assert_int_ne(nl[-1], ' ');
      if (p[0] == '-') {
        p = nl + 1;
        continue;
      }
      if (p == t) {
        id = strstr(p, "身份证号");
        dl = strstr(p, "截止日期");
      }
      ck_assert_msg(id && id < nl && dl && dl < nl, "line: %.*s", (int)(nl - p),
                    p);
      wi = cc_query_display_width(p, (size_t)(id - p));
      wd = cc_query_display_width(p, (size_t)(dl - p));
      if (col_id == (size_t)-1) {
        col_id = wi;
        col_dl = wd;
      }
      ck_assert_uint_eq(wi, col_id);
      ck_assert_uint_eq(wd, col_dl);
      p = nl + 1;
    }
    ck_assert_uint_gt(col_dl, col_id);
  }
  free(t);
  t = output("id=" A "|unmasked");
  ck_assert_ptr_nonnull(strstr(t, A));
  free(t);
  /* Nothing matched: nothing printed. */
  t = output("id=" B);
  ck_assert_str_eq(t, "");
  free(t);
}
END_TEST

START_TEST(test_query_mask_jsonl)
{
  char *t = output("id=" A "|format=jsonl"), *u;
  /* Neither the person's ID nor the "G" + ID record number in full. */
  ck_assert_ptr_null(strstr(t, A));
  ck_assert_ptr_nonnull(strstr(t, "\"id_number\": \"110101********1239\""));
  ck_assert_ptr_nonnull(strstr(t, "\"record_id\": \"G110101********1239\""));
  ck_assert_ptr_nonnull(strstr(t, "\"period\": \"2026-12\""));
  ck_assert_uint_eq(lines(t), 2);
  ck_assert_int_eq(t[0], '{');
  free(t);
  u = output("id=" A "|format=jsonl|unmasked");
  ck_assert_ptr_nonnull(strstr(u, "\"id_number\": \"" A "\""));
  ck_assert_ptr_nonnull(strstr(u, "\"record_id\": \"G" A "\""));
  free(u);
  /* The invalid key X (18 characters) and a cleared finding. */
  t = output("all|id=" B "|format=jsonl");
  ck_assert_ptr_nonnull(strstr(t, "\"id_number\": \"110101********0017\""));
  ck_assert_ptr_nonnull(strstr(t, "\"state\": \"cleared\""));
  ck_assert_ptr_nonnull(strstr(t, "\"period\": \"2026-11\""));
  free(t);
}
END_TEST

START_TEST(test_query_csv)
{
  char *t = output("id=" A "|format=csv");
  const char *header =
      "\xEF\xBB\xBF" /* the BOM: Excel reads the file as UTF-8 */
      "period,finding_id,type,scope,state,id_number,id_valid,name,members,"
      "schools,school_names,region_codes,member_names,amount_at_risk,issued,"
      "deadline,deadline_provisional,first_period,cleared,claimed_resolved,"
      "reason\r\n";
  ck_assert_int_eq(strncmp(t, header, strlen(header)), 0);
  ck_assert_uint_eq(lines(t), 3);
  ck_assert_ptr_null(strstr(t, A));
  ck_assert_ptr_nonnull(strstr(t,
                               ",double_grant,cross,overdue,110101********1239,"
                               "true,张伟,moe:2;mohrss:2,moe:M1;mohrss:J1,;,"
                               "110101;110102,张伟;張偉,1000,2026-10-26,"
                               "2026-11-09,false,2026-10,,false,\r\n"));
  free(t);
  t = output("id=" A "|format=csv|unmasked");
  ck_assert_ptr_nonnull(strstr(t, "," A ","));
  free(t);
  /* No match: the header alone. */
  t = output("id=" B "|format=csv");
  ck_assert_str_eq(t, header);
  free(t);
}
END_TEST

START_TEST(test_query_csv_controls)
{
  /* issue 10: ESC and BEL in a name reached the terminal through
   * --format csv. A database of its own (this test's process only), with
   * A under a name holding ESC [31m, a lone CR and BEL at moe and a
   * school code holding DEL: the CSV shows them as escapes, and holds no
   * byte below 0x20 but the CRLF that ends each row. */
  char *t;
  const char *p;
  close_db();
  snprintf(dbdir, sizeof dbdir, "%s/db_controls", root);
  ck_assert_int_eq(run_period("2030-01", "2030-01-07",
                              "身份证号,姓名,学校代码,学籍状态\n" A
                              ",\"张\x1b[31m\r伟\x07\",M\x7f"
                              "1,在籍\n",
                              "身份证号,姓名,学校代码,学籍状态\n" A
                              ",张伟,J1,在籍\n"),
                   0);
  open_db();
  t = output("period=2030-01|type=dual_enrollment|format=csv");
  ck_assert_ptr_nonnull(strstr(t, ",张\\x1b[31m\\x0d伟\\x07,moe:2;mohrss:2,"
                                  "moe:M\\x7f"
                                  "1;mohrss:J1,"));
  for (p = t; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      ck_assert_msg((p[0] == '\r' && p[1] == '\n') ||
                        (p[0] == '\n' && p > t && p[-1] == '\r'),
                    "raw control 0x%02x at %td", *p, p - t);
  free(t);
}
END_TEST

START_TEST(test_query_display_width)
{
  static const struct {
    const char *s;
    size_t w;
  } cases[] = {
      {"", 0},
      {"2026-12", 7},
      {"张伟", 4},
      {"王𠮷", 4},             /* U+20BB7, outside the BMP: wide */
      {"阿依古丽·买买提", 15}, /* U+00B7 is narrow */
      {"ＡＢ", 4},             /* full-width forms */
      {"e\xCC\x81", 1},        /* e + combining acute */
      {"\xFF"
       "a",
       2},       /* a stray byte counts 1 */
      {"김", 2}, /* Hangul */
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    ck_assert_msg(cc_query_display_width(cases[i].s, strlen(cases[i].s)) ==
                      cases[i].w,
                  "width of '%s'", cases[i].s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The audit log. */

START_TEST(test_query_audit_one_entry)
{
  cc_query_result r;
  cc_audit_entry e;
  size_t before = audit_count();
  ck_assert_int_eq(run_spec(&r, "id='" A "|name=张伟|type=double_grant|"
                                "user=auditor-7|format=csv"),
                   0);
  ck_assert_uint_eq(r.findings.n, 1);
  ck_assert_uint_eq(audit_count(), before + 1);
  e = last_audit();
  ck_assert_str_eq(e.command, "query");
  ck_assert_str_eq(e.user, "auditor-7");
  ck_assert_uint_eq(e.records, 1);
  ck_assert_str_eq(e.what, "period=2026-12(latest) id=110101********1239 "
                           "name=张伟 type=double_grant format=csv");
  ck_assert_str_eq(r.what, e.what);
  ck_assert_ptr_null(strstr(e.what, A));
  cc_query_result_dispose(&r);

  /* Nothing matched: still one entry, 0 records. */
  ck_assert_int_eq(run_spec(&r, "id=" B "|unmasked"), 0);
  cc_query_result_dispose(&r);
  ck_assert_uint_eq(audit_count(), before + 2);
  e = last_audit();
  ck_assert_uint_eq(e.records, 0);
  ck_assert_str_eq(e.what, "period=2026-12(latest) id=110101********0017 "
                           "format=table unmasked");

  /* All periods, several values, a value with a blank and a tab. */
  ck_assert_int_eq(run_spec(&r,
                            "all|school=J1|school=M1|name=王 芳\t|state=new|"
                            "format=jsonl|limit=5"),
                   0);
  cc_query_result_dispose(&r);
  ck_assert_uint_eq(audit_count(), before + 3);
  e = last_audit();
  ck_assert_str_eq(e.what, "period=all name=\"王 芳 \" school=J1,M1 state=new "
                           "limit=5 format=jsonl");
  ck_assert_ptr_null(strchr(e.what, '\t'));
}
END_TEST

START_TEST(test_query_needs_writable_db)
{
  cc_db *ro = NULL;
  cc_db_options o = CC_DB_OPTIONS_INIT;
  cc_query_result r;
  spec s;
  size_t before = audit_count();
  close_db();
  o.read_only = 1;
  ck_assert_int_eq(cc_db_open(&ro, dbdir, &o), 0);
  parse_spec(&s, "id=" A);
  /* The audit entry cannot be written, so nothing comes back. */
  ck_assert_int_eq(cc_query_run(&r, ro, &s.q), CC_EINVALID);
  ck_assert_uint_eq(r.findings.n, 0);
  ck_assert_ptr_null(r.findings.items);
  cc_db_close(ro);
  open_db();
  ck_assert_uint_eq(audit_count(), before);
}
END_TEST

static Suite *query_suite(void)
{
  Suite *s = suite_create("query");
  TCase *core = tcase_create("Core");
  TCase *fmt = tcase_create("Formats");
  TCase *audit = tcase_create("Audit");
  tcase_add_checked_fixture(core, open_db, close_db);
  tcase_add_test(core, test_query_periods);
  tcase_add_test(core, test_query_bad_input);
  tcase_add_test(core, test_query_id);
  tcase_add_test(core, test_query_name);
  tcase_add_test(core, test_query_school);
  tcase_add_test(core, test_query_region);
  tcase_add_test(core, test_query_type);
  tcase_add_test(core, test_query_state);
  tcase_add_test(core, test_query_combined);
  tcase_add_test(core, test_query_limit);
  suite_add_tcase(s, core);
  tcase_add_checked_fixture(fmt, open_db, close_db);
  tcase_add_test(fmt, test_query_mask_table);
  tcase_add_test(fmt, test_query_mask_jsonl);
  tcase_add_test(fmt, test_query_csv);
  tcase_add_test(fmt, test_query_display_width);
  tcase_add_test(fmt, test_query_csv_controls);
  suite_add_tcase(s, fmt);
  tcase_add_checked_fixture(audit, open_db, close_db);
  tcase_add_test(audit, test_query_audit_one_entry);
  tcase_add_test(audit, test_query_needs_writable_db);
  suite_add_tcase(s, audit);
  return s;
}

int main(void)
{
  int failed;
  if (tu_root_make(root, sizeof root, "check_query") < 0)
    return 1;
  snprintf(dbdir, sizeof dbdir, "%s/db", root);
  if (build_db() < 0) {
    fprintf(stderr, "check_query: could not build the test database\n");
    tu_remove_tree(root);
    return 1;
  }
  failed = tu_run_suite(query_suite());
  tu_remove_tree(root);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
