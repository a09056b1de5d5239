/*
 * check_audit.c - the audit log (engine/audit.c): entries recorded and
 * listed back field for field, oldest first, the `since` filter, who the
 * operator is when nobody says, fields at and past their size, a
 * database opened read-only, the operating-system account kept beside
 * --user (os_user; entries written before it list it as ""), and the
 * listing's line (cc_audit_format), where a forged line in --by or --note
 * shows as escapes.
 *
 * The service's store (audit-serve.log, written by group commit): N calls
 * queued while the committer is held make N entries in at most two
 * batches, each call told only once its entry is in the file (and, durable,
 * synced); many threads writing at once; a failed sync kept; a torn tail
 * and a damaged entry skipped with a warning naming the file and the
 * offset; and cc_audit_list merging the file with the database's own
 * entries in time order.
 *
 * Every database lives in a mkdtemp directory removed after the test.
 */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chachong/audit.h"
#include "chachong/errors.h"
#include "chachong/index.h"
#include "audit_internal.h"
#include "bytes_internal.h"
#include "index_internal.h"
#include "test_util.h"

static char root[256];
static char scratch[320];
static char db_dir[400];
static cc_db *db;

static cc_db *open_ro(void)
{
  cc_db *d = NULL;
  cc_db_options o = CC_DB_OPTIONS_INIT;
  o.read_only = 1;
  ck_assert_int_eq(cc_db_open(&d, db_dir, &o), 0);
  return d;
}

static void setup(void)
{
  db = tu_db_scratch(scratch, sizeof scratch, db_dir, sizeof db_dir, root);
}

static void teardown(void)
{
  tu_db_scratch_end(&db, scratch);
}

static cc_audit_entry entry(int64_t when, const char *user, const char *command,
                            const char *what, uint64_t records)
{
  cc_audit_entry e;
  memset(&e, 0, sizeof e);
  e.when = when;
  snprintf(e.user, sizeof e.user, "%s", user);
  snprintf(e.command, sizeof e.command, "%s", command);
  snprintf(e.what, sizeof e.what, "%s", what);
  e.records = records;
  return e;
}

/* The process's account as the test works it out: getpwuid(geteuid()). */
static void os_user_want(char *out)
{
  struct passwd *pw = getpwuid(geteuid());
  if (pw)
    snprintf(out, 64, "%s", pw->pw_name);
  else
    snprintf(out, 64, "uid:%u", (unsigned)geteuid());
}

/* want was recorded with os_user "": it comes back as the process's. */
static void assert_entry(const cc_audit_entry *got, const cc_audit_entry *want)
{
  char os[64];
  os_user_want(os);
  ck_assert_int_eq(got->when, want->when);
  ck_assert_str_eq(got->user, want->user);
  ck_assert_str_eq(got->command, want->command);
  ck_assert_str_eq(got->what, want->what);
  ck_assert_uint_eq(got->records, want->records);
  ck_assert_str_eq(got->os_user, want->os_user[0] ? want->os_user : os);
}

/* Three entries of a day at the bureau: 2026-12-01 (day 20788) 00:00,
 * 01:00 and 02:00 UTC = 20788 * 86400 = 1796083200, +3600, +7200. */
static cc_audit_entry day[3];

static void record_day(cc_db *d)
{
  size_t i;
  day[0] = entry(1796083200, "张老师", "query", "--id 110101********1239", 1);
  day[1] = entry(1796086800, "li.si", "export",
                 "--school 4137010001 --format xlsx \"济南 一中\"", 25);
  day[2] = entry(1796090400, "uid:1000", "resolve",
                 "0123456789abcdef cancel_own --date 2026-12-01", UINT64_MAX);
  for (i = 0; i < 3; i++)
    ck_assert_msg(cc_audit_record(d, &day[i]) == 0, "%s", cc_error_last());
}

/* ------------------------------------------------------------------ */

START_TEST(test_audit_empty)
{
  cc_audit_entry *list = (cc_audit_entry *)1;
  size_t n = 99;
  ck_assert_int_eq(cc_audit_list(&list, &n, db, 0), 0);
  ck_assert_ptr_null(list);
  ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_audit_roundtrip)
{
  cc_audit_entry *list = NULL;
  size_t n = 0, i;
  record_day(db);
  ck_assert_int_eq(cc_audit_list(&list, &n, db, 0), 0);
  ck_assert_uint_eq(n, 3);
  for (i = 0; i < 3; i++)
    assert_entry(&list[i], &day[i]);
  free(list);

  /* Kept across a reopen, and readable read-only. */
  cc_db_close(db);
  db = open_ro();
  ck_assert_int_eq(cc_audit_list(&list, &n, db, 0), 0);
  ck_assert_uint_eq(n, 3);
  for (i = 0; i < 3; i++)
    assert_entry(&list[i], &day[i]);
  free(list);
}
END_TEST

START_TEST(test_audit_order_by_time)
{
  /* Many entries in quick succession (several per microsecond is possible):
   * every one kept, listed in the order recorded. */
  enum { N = 500 };
  cc_audit_entry *list = NULL, e;
  size_t n = 0, i;
  for (i = 0; i < N; i++) {
    char what[32];
    snprintf(what, sizeof what, "entry %zu", i);
    e = entry(1796083200 + (int64_t)i / 10, "op", "query", what, i);
    ck_assert_int_eq(cc_audit_record(db, &e), 0);
  }
  ck_assert_int_eq(cc_audit_list(&list, &n, db, 0), 0);
  ck_assert_uint_eq(n, N);
  for (i = 0; i < N; i++) {
    char what[32];
    snprintf(what, sizeof what, "entry %zu", i);
    ck_assert_str_eq(list[i].what, what);
    ck_assert_uint_eq(list[i].records, i);
    if (i)
      ck_assert_int_le(list[i - 1].when, list[i].when);
  }
  free(list);

  /* Entries written by another handle (another run of the tool) join in
   * recording order too. */
  {
    cc_db *other = NULL;
    cc_db_options o = CC_DB_OPTIONS_INIT;
    o.no_sync = 1;
    cc_db_close(db);
    ck_assert_int_eq(cc_db_open(&other, db_dir, &o), 0);
    e = entry(1796169600, "later", "report", "2026-12", 7);
    ck_assert_int_eq(cc_audit_record(other, &e), 0);
    cc_db_close(other);
    db = tu_db_open(db_dir);
    ck_assert_int_eq(cc_audit_list(&list, &n, db, 0), 0);
    ck_assert_uint_eq(n, N + 1);
    assert_entry(&list[N], &e);
    free(list);
  }
}
END_TEST

START_TEST(test_audit_since)
{
  static const struct {
    int64_t since;
    size_t first, n; /* the entries of `day` listed */
  } rows[] = {{INT64_MIN, 0, 3},  {0, 0, 3},          {1796083200, 0, 3},
              {1796083201, 1, 2}, {1796086800, 1, 2}, {1796090400, 2, 1},
              {1796090401, 0, 0}, {INT64_MAX, 0, 0}};
  size_t r;
  record_day(db);
  for (r = 0; r < sizeof rows / sizeof rows[0]; r++) {
    cc_audit_entry *list = (cc_audit_entry *)1;
    size_t n = 99, i;
    ck_assert_int_eq(cc_audit_list(&list, &n, db, rows[r].since), 0);
    ck_assert_msg(n == rows[r].n, "since %lld: %zu entries",
                  (long long)rows[r].since, n);
    if (n == 0)
      ck_assert_ptr_null(list);
    for (i = 0; i < n; i++)
      assert_entry(&list[i], &day[rows[r].first + i]);
    free(list);
  }
}
END_TEST

START_TEST(test_audit_user_default)
{
  char out[64], want[64];
  char given[100];
  os_user_want(want);

  memset(out, 'Z', sizeof out);
  cc_audit_user(out, NULL);
  ck_assert_str_eq(out, want);
  memset(out, 'Z', sizeof out);
  cc_audit_user(out, "");
  ck_assert_str_eq(out, want);
  cc_audit_user(out, "张老师");
  ck_assert_str_eq(out, "张老师");
  cc_audit_user(out, "uid:0");
  ck_assert_str_eq(out, "uid:0");
  /* A long name is cut to fit 64 bytes with its NUL. */
  memset(given, 'u', sizeof given - 1);
  given[sizeof given - 1] = '\0';
  memset(out, 'Z', sizeof out);
  cc_audit_user(out, given);
  ck_assert_uint_eq(strlen(out), 63);
  ck_assert_int_eq(memcmp(out, given, 63), 0);
}
END_TEST

START_TEST(test_audit_long_fields)
{
  /* Fields filled to the last byte with no NUL: the log keeps what fits
   * with a NUL (63, 31, 1023 bytes) and reads nothing beyond. */
  cc_audit_entry e, *list = NULL;
  size_t n = 0, i;
  memset(&e, 0, sizeof e);
  e.when = 1796083200;
  memset(e.user, 'u', sizeof e.user);
  memset(e.command, 'c', sizeof e.command);
  memset(e.what, 'w', sizeof e.what);
  e.records = 3;
  ck_assert_int_eq(cc_audit_record(db, &e), 0);

  /* At the limit with a NUL, and UTF-8: 341 x 中 = 1023 bytes. */
  {
    cc_audit_entry f = entry(1796083201, "李", "export", "", 0);
    for (i = 0; i < 341; i++)
      memcpy(f.what + 3 * i, "中", 3);
    f.what[1023] = '\0';
    ck_assert_int_eq(cc_audit_record(db, &f), 0);
  }

  ck_assert_int_eq(cc_audit_list(&list, &n, db, 0), 0);
  ck_assert_uint_eq(n, 2);
  ck_assert_uint_eq(strlen(list[0].user), 63);
  ck_assert_uint_eq(strspn(list[0].user, "u"), 63);
  ck_assert_uint_eq(strlen(list[0].command), 31);
  ck_assert_uint_eq(strspn(list[0].command, "c"), 31);
  ck_assert_uint_eq(strlen(list[0].what), 1023);
  ck_assert_uint_eq(strspn(list[0].what, "w"), 1023);
  ck_assert_uint_eq(list[0].records, 3);
  ck_assert_uint_eq(strlen(list[1].what), 1023);
  for (i = 0; i < 341; i++)
    ck_assert_int_eq(memcmp(list[1].what + 3 * i, "中", 3), 0);
  ck_assert_str_eq(list[1].user, "李");
  free(list);
}
END_TEST

START_TEST(test_audit_os_user)
{
  /* Beside --user, the entry keeps the account the process runs as:
   * filled in when the caller leaves it "", kept when the caller gives
   * one; an entry written before os_user was kept (its value ends after
   * `what`) lists with os_user "". */
  cc_audit_entry e = entry(1796083200, "auditor-1", "query", "--school S1", 2);
  cc_audit_entry g = entry(1796083201, "张老师", "export", "all", 5);
  cc_audit_entry *list = NULL;
  uint8_t key[CC_AUDIT_KEY_LEN], val[CC_AUDIT_VALUE_MAX];
  size_t n = 0, len;
  char os[64], line[512];
  os_user_want(os);
  snprintf(g.os_user, sizeof g.os_user, "chachong-svc");
  ck_assert_int_eq(cc_audit_record(db, &e), 0);
  ck_assert_int_eq(cc_audit_record(db, &g), 0);
  /* An old entry: when 1796083202, records 1, user "op", command
   * "resolve", what "x", and nothing after. */
  memset(key, 0, sizeof key);
  put_u64(val, 1796083202u);
  put_u64(val + 8, 1);
  memcpy(val + 16, "\x02op\x07resolve\x00\x01x", 14);
  len = 30;
  ck_assert_int_eq(cc_db_put_timed(db, CC_AUDIT_DB, key, sizeof key, 0,
                                   UINT64_C(1796083202000000), val, len,
                                   "audit log"),
                   0);
  ck_assert_int_eq(cc_audit_list(&list, &n, db, 0), 0);
  ck_assert_uint_eq(n, 3);
  /* Keys sort by the time of recording: the old entry's is 2026-12-01,
   * before today's two. */
  ck_assert_str_eq(list[0].user, "op");
  ck_assert_str_eq(list[0].command, "resolve");
  ck_assert_str_eq(list[0].what, "x");
  ck_assert_str_eq(list[0].os_user, "");
  ck_assert_str_eq(list[1].user, "auditor-1");
  ck_assert_str_eq(list[1].os_user, os);
  ck_assert_str_eq(list[2].os_user, "chachong-svc");
  /* The listing: os_user is the last column. 1796083201 is
   * 2026-12-01T00:00:01Z (see `day`). */
  cc_audit_format(line, sizeof line, &list[2]);
  ck_assert_str_eq(line, "2026-12-01T00:00:01Z\t张老师\texport\t5\tall\t"
                         "chachong-svc\n");
  cc_audit_format(line, sizeof line, &list[0]);
  ck_assert_str_eq(line, "2026-12-01T00:00:02Z\top\tresolve\t1\tx\t\n");
  free(list);

  /* cc_audit_os_user and the default operator agree with getpwuid. */
  memset(line, 'Z', 64);
  cc_audit_os_user(line);
  ck_assert_str_eq(line, os);
}
END_TEST

START_TEST(test_audit_read_only_refused)
{
  /* An export that cannot be audited must not happen: recording into a
   * read-only database is an error, and nothing is added. */
  cc_audit_entry e = entry(1796083200, "op", "export", "--school S1", 1);
  cc_audit_entry *list = NULL;
  size_t n = 0;
  cc_db *ro;
  record_day(db);
  cc_db_close(db);
  db = NULL;
  ro = open_ro();
  ck_assert_int_eq(cc_audit_record(ro, &e), CC_EINVALID);
  ck_assert_uint_gt(strlen(cc_error_last()), 0);
  ck_assert_int_eq(cc_audit_list(&list, &n, ro, 0), 0);
  ck_assert_uint_eq(n, 3);
  free(list);
  cc_db_close(ro);

  /* A read-only database that never had an audit log lists nothing. */
  db = tu_db_open(db_dir);
  {
    char dir2[512];
    cc_db *d2 = NULL, *r2 = NULL;
    cc_db_options o = CC_DB_OPTIONS_INIT, r = CC_DB_OPTIONS_INIT;
    snprintf(dir2, sizeof dir2, "%s/db2", scratch);
    ck_assert_int_eq(cc_db_open(&d2, dir2, &o), 0);
    cc_db_close(d2);
    r.read_only = 1;
    ck_assert_int_eq(cc_db_open(&r2, dir2, &r), 0);
    list = (cc_audit_entry *)1;
    ck_assert_int_eq(cc_audit_list(&list, &n, r2, 0), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(list);
    ck_assert_int_eq(cc_audit_record(r2, &e), CC_EINVALID);
    cc_db_close(r2);
  }
}
END_TEST

START_TEST(test_audit_forged_line)
{
  /* issue 10: --by with a line feed and tabs printed a line that looked
   * like a 2020 export by "boss". Stored as given, listed as escapes: one
   * line, four tabs. 1767225600 is 2026-01-01T00:00:00Z (1735689600 for
   * 2025-01-01, plus 365 days of 86400 s). */
  cc_audit_entry e =
      entry(1767225600, "ops\x1b]0;x\x07\\", "resolve",
            "finding=ab action=keep by=x\n2020-01-01T00:00:00Z\tboss"
            "\texport\t99\tall school= date=today",
            1);
  cc_audit_entry *list = NULL;
  size_t n = 0, len, i, tabs = 0;
  char line[4096], small[16];
  const char *want =
      "2026-01-01T00:00:00Z\tops\\x1b]0;x\\x07\\\\\tresolve\t1\t"
      "finding=ab action=keep by=x\\x0a2020-01-01T00:00:00Z\\x09boss"
      "\\x09export\\x0999\\x09all school= date=today\tsvc\\x09root\n";
  /* os_user as a caller may set it, with a tab of its own. */
  snprintf(e.os_user, sizeof e.os_user, "svc\troot");
  ck_assert_int_eq(cc_audit_record(db, &e), 0);
  ck_assert_int_eq(cc_audit_list(&list, &n, db, 0), 0);
  ck_assert_uint_eq(n, 1);
  /* The entry keeps the text as given. */
  ck_assert_str_eq(list[0].what, e.what);
  ck_assert_str_eq(list[0].user, e.user);
  len = cc_audit_format(line, sizeof line, &list[0]);
  ck_assert_str_eq(line, want);
  ck_assert_uint_eq(len, strlen(want));
  for (i = 0; i < len; i++)
    tabs += line[i] == '\t';
  ck_assert_uint_eq(tabs, 5);
  ck_assert_ptr_eq(strchr(line, '\n'), line + len - 1);
  /* Too small a buffer: cut, terminated, the whole length returned. */
  ck_assert_uint_eq(cc_audit_format(small, sizeof small, &list[0]), len);
  ck_assert_uint_eq(strlen(small), sizeof small - 1);
  ck_assert_int_eq(strncmp(small, want, sizeof small - 1), 0);
  free(list);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The service's store. An entry with user "u<i>" (2 bytes), command
 * "serve", what "w" and os_user "os" has the value 8 + 8 + 1 + 2 + 1 + 5 +
 * 2 + 1 + 1 + 2 = 31 bytes, and in the file 16 + 31 + 8 + 1 = 56 bytes;
 * the file is grown by 16 MiB of zeros at a time. */
#define STORE_ENTRY 56
#define STORE_CHUNK (16 << 20)

static cc_audit_entry store_entry(int i)
{
  cc_audit_entry e = entry(1796083200 + i, "u0", "serve", "w", (uint64_t)i);
  e.user[1] = (char)('0' + i % 10);
  snprintf(e.os_user, sizeof e.os_user, "os");
  return e;
}

static char store_path[600];

/* Where the store's data end: after the last byte that is not 0. */
static long data_end(void)
{
  FILE *f = fopen(store_path, "rb");
  long end = 0, at = 0;
  int c;
  ck_assert_ptr_nonnull(f);
  while ((c = getc(f)) != EOF) {
    at++;
    if (c != 0)
      end = at;
  }
  fclose(f);
  return end;
}

/* Lists db's entries with stderr caught into err (cap bytes). */
static size_t list_catching(cc_audit_entry **list, char *err, size_t cap)
{
  char tmp[700];
  size_t n = 0, got;
  int saved, fd;
  FILE *f;
  snprintf(tmp, sizeof tmp, "%s/stderr.txt", scratch);
  fflush(stderr);
  saved = dup(2);
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ck_assert_int_ge(fd, 0);
  dup2(fd, 2);
  close(fd);
  ck_assert_int_eq(cc_audit_list(list, &n, db, 0), 0);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  f = fopen(tmp, "r");
  ck_assert_ptr_nonnull(f);
  got = fread(err, 1, cap - 1, f);
  err[got] = '\0';
  fclose(f);
  return n;
}

typedef struct done_log {
  pthread_mutex_t mu;
  int calls;
  int rc[8];
  size_t listed[8]; /* entries in the store when the call was told */
} done_log;

static done_log dl;

static void told(void *ctx, int rc)
{
  int i = (int)(intptr_t)ctx;
  cc_audit_entry *list = NULL;
  size_t n = 0;
  /* Listed from the file, as another process would read it. */
  ck_assert_int_eq(cc_audit_list(&list, &n, db, 0), 0);
  free(list);
  pthread_mutex_lock(&dl.mu);
  dl.rc[i] = rc;
  dl.listed[i] = n;
  dl.calls++;
  pthread_mutex_unlock(&dl.mu);
}

/* _i: 1 durable (told after the sync), 0 told once written. */
START_TEST(test_audit_store_group_commit)
{
  cc_audit_log *log = NULL;
  cc_audit_entry e[8], *list = NULL;
  uint64_t entries, batches;
  size_t n = 0;
  int i, fd;
  struct stat sb;

  memset(&dl, 0, sizeof dl);
  pthread_mutex_init(&dl.mu, NULL);
  ck_assert_int_eq(cc_audit_log_open(&log, db, _i), 0);
  cc_audit_file_path(store_path, sizeof store_path, db);
  ck_assert_int_eq(stat(store_path, &sb), 0);
  ck_assert_int_eq(sb.st_mode & 0777, 0600);
  /* The file held: the committer blocks in its first batch, the others
   * queue behind it. */
  fd = open(store_path, O_RDONLY);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(flock(fd, LOCK_EX), 0);
  for (i = 0; i < 8; i++) {
    e[i] = store_entry(i);
    ck_assert_int_eq(
        cc_audit_log_submit(log, &e[i], 1, told, (void *)(intptr_t)i), 0);
  }
  usleep(100000);
  pthread_mutex_lock(&dl.mu);
  ck_assert_int_eq(dl.calls, 0); /* nobody told before the write */
  pthread_mutex_unlock(&dl.mu);
  flock(fd, LOCK_UN);
  close(fd);
  cc_audit_log_stop(log); /* writes what is queued */
  ck_assert_int_eq(dl.calls, 8);
  cc_audit_log_stats(log, &entries, &batches);
  ck_assert_uint_eq(entries, 8);
  ck_assert_uint_ge(batches, 1);
  ck_assert_uint_le(batches, 2); /* the first, and all the others */
  for (i = 0; i < 8; i++) {
    ck_assert_int_eq(dl.rc[i], 0);
    ck_assert_uint_ge(dl.listed[i], (size_t)i + 1);
  }
  /* A stopped store takes nothing more. */
  ck_assert_int_eq(cc_audit_log_submit(log, &e[0], 1, told, NULL), CC_EIO);
  cc_audit_log_close(log);
  ck_assert_int_eq(stat(store_path, &sb), 0);
  ck_assert_int_eq(sb.st_size, STORE_CHUNK);
  ck_assert_int_eq(data_end(), 8 * STORE_ENTRY);
  ck_assert_int_eq(cc_audit_list(&list, &n, db, 0), 0);
  ck_assert_uint_eq(n, 8);
  for (i = 0; i < 8; i++) /* in the order queued */
    assert_entry(&list[i], &e[i]);
  free(list);
  pthread_mutex_destroy(&dl.mu);
}
END_TEST

typedef struct writer_arg {
  cc_audit_log *log;
  int i, rc;
} writer_arg;

static void *writer(void *v)
{
  writer_arg *a = v;
  cc_audit_entry e = store_entry(a->i);
  a->rc = cc_audit_log_write(a->log, &e);
  return NULL;
}

START_TEST(test_audit_store_threads)
{
  cc_audit_log *log = NULL;
  pthread_t t[16];
  writer_arg a[16];
  cc_audit_entry *list = NULL;
  size_t n = 0;
  int i, seen[16] = {0};

  ck_assert_int_eq(cc_audit_log_open(&log, db, _i), 0);
  for (i = 0; i < 16; i++) {
    a[i].log = log;
    a[i].i = i;
    a[i].rc = -99;
    ck_assert_int_eq(pthread_create(&t[i], NULL, writer, &a[i]), 0);
  }
  for (i = 0; i < 16; i++) {
    pthread_join(t[i], NULL);
    ck_assert_int_eq(a[i].rc, 0);
  }
  cc_audit_log_close(log);
  ck_assert_int_eq(cc_audit_list(&list, &n, db, 0), 0);
  ck_assert_uint_eq(n, 16);
  for (i = 0; i < 16; i++) {
    ck_assert_str_eq(list[i].command, "serve");
    ck_assert_uint_lt(list[i].records, 16);
    seen[list[i].records]++;
  }
  for (i = 0; i < 16; i++)
    ck_assert_int_eq(seen[i], 1);
  free(list);
}
END_TEST

/* Writes k entries (0..k-1) through a store opened and closed. */
static void store_write(int from, int k)
{
  cc_audit_log *log = NULL;
  int i;
  ck_assert_int_eq(cc_audit_log_open(&log, db, 1), 0);
  for (i = from; i < from + k; i++) {
    cc_audit_entry e = store_entry(i);
    ck_assert_int_eq(cc_audit_log_write(log, &e), 0);
  }
  cc_audit_log_close(log);
  cc_audit_file_path(store_path, sizeof store_path, db);
}

/* Writes n bytes where the data end (over the zeros after them). */
static void append_bytes(const void *p, size_t n)
{
  long end = data_end();
  int fd = open(store_path, O_WRONLY);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(pwrite(fd, p, n, end), (ssize_t)n);
  close(fd);
}

/* The store lists the entries numbered `want` (their records field), in
 * that order, and warns "audit store <file>: <what> at offset <at> (<skipped>
 * bytes skipped)". */
static void assert_store(const uint64_t *want, size_t k, const char *what,
                         long at, long skipped)
{
  cc_audit_entry *list = NULL;
  char err[2048], line[1024];
  size_t n = list_catching(&list, err, sizeof err), i;
  ck_assert_uint_eq(n, k);
  for (i = 0; i < k; i++)
    ck_assert_uint_eq(list[i].records, want[i]);
  free(list);
  snprintf(line, sizeof line,
           "audit store %s: %s at offset %ld (%ld bytes skipped)", store_path,
           what, at, skipped);
  ck_assert_msg(strstr(err, line) != NULL, "stderr: %s", err);
}

START_TEST(test_audit_store_torn_tail)
{
  /* A crash in the middle of the third entry: its head, then what came
   * of its value. */
  static const uint8_t head[20] = {'C', 'C', 'A', '1', 0,   0,  0,
                                   31,  0,   6,   1,   2,   3,  4,
                                   5,   6,   't', 'o', 'r', 'n'};
  static const uint64_t two[] = {0, 1}, three[] = {0, 1, 2};

  store_write(0, 2);
  ck_assert_int_eq(data_end(), 2 * STORE_ENTRY);
  append_bytes(head, sizeof head);
  assert_store(two, 2, "torn or damaged tail", 2 * STORE_ENTRY, 20);
  /* The service started again appends after it: the torn bytes are
   * skipped up to the new entry. */
  store_write(2, 1);
  assert_store(three, 3, "damaged entry", 2 * STORE_ENTRY, 20);
}
END_TEST

START_TEST(test_audit_store_damaged_entry)
{
  static const uint64_t first_last[] = {0, 2};
  int fd;
  uint8_t b;

  store_write(0, 3);
  /* One byte of the second entry's what changes: its checksum fails. */
  fd = open(store_path, O_RDWR);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(pread(fd, &b, 1, STORE_ENTRY + 16 + 27), 1);
  ck_assert_int_eq(b, 'w');
  b = 'x';
  ck_assert_int_eq(pwrite(fd, &b, 1, STORE_ENTRY + 16 + 27), 1);
  close(fd);
  assert_store(first_last, 2, "damaged entry", STORE_ENTRY, STORE_ENTRY);
  /* Nothing at all but damage: no entry, one warning. */
  fd = open(store_path, O_WRONLY | O_TRUNC);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, "garbage", 7), 7);
  close(fd);
  assert_store(NULL, 0, "torn or damaged tail", 0, 7);
}
END_TEST

/* A failed fdatasync behind the answers is kept: the entry already told
 * stays told (it is in the file), every later submit fails, so that the
 * service answers 503 rather than hand out data whose entry may not
 * survive a power loss; the store opened again syncs. */
START_TEST(test_audit_store_sync_fails)
{
  cc_audit_log *log = NULL;
  cc_audit_entry e0 = store_entry(0), e1 = store_entry(1), *list = NULL;
  size_t n = 0;

  ck_assert_int_eq(cc_audit_log_open(&log, db, 0), 0);
  cc_audit_fail_sync = 1;
  ck_assert_int_eq(cc_audit_log_write(log, &e0), 0); /* written */
  ck_assert_int_eq(cc_audit_log_synced(log), CC_EIO);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "fdatasync"));
  ck_assert_int_eq(cc_audit_log_submit(log, &e1, 1, told, NULL), CC_EIO);
  ck_assert_int_eq(cc_audit_log_write(log, &e1), CC_EIO);
  cc_audit_fail_sync = 0;
  cc_audit_log_close(log);
  /* Durable: the failed sync fails the call itself. */
  ck_assert_int_eq(cc_audit_log_open(&log, db, 1), 0);
  cc_audit_fail_sync = 1;
  ck_assert_int_eq(cc_audit_log_write(log, &e1), CC_EIO);
  cc_audit_fail_sync = 0;
  cc_audit_log_close(log);
  ck_assert_int_eq(cc_audit_log_open(&log, db, 0), 0);
  ck_assert_int_eq(cc_audit_log_write(log, &e1), 0);
  ck_assert_int_eq(cc_audit_log_synced(log), 0);
  cc_audit_log_close(log);
  /* e0 and both e1: a failed sync does not take back what was written. */
  ck_assert_int_eq(cc_audit_list(&list, &n, db, 0), 0);
  ck_assert_uint_eq(n, 3);
  assert_entry(&list[0], &e0);
  assert_entry(&list[1], &e1);
  assert_entry(&list[2], &e1);
  free(list);
}
END_TEST

START_TEST(test_audit_store_merged)
{
  cc_audit_log *log = NULL;
  cc_audit_entry db1 = entry(1796083200, "cli", "export", "first", 1);
  cc_audit_entry db2 = entry(1796083300, "cli", "report", "third", 3);
  cc_audit_entry f1 = store_entry(2), f2 = store_entry(4), *list = NULL;
  size_t n = 0;

  /* Written in turn: the database, the file, the database, the file. */
  ck_assert_int_eq(cc_audit_log_open(&log, db, 1), 0);
  ck_assert_int_eq(cc_audit_record(db, &db1), 0);
  usleep(2000);
  ck_assert_int_eq(cc_audit_log_write(log, &f1), 0);
  usleep(2000);
  ck_assert_int_eq(cc_audit_record(db, &db2), 0);
  usleep(2000);
  ck_assert_int_eq(cc_audit_log_write(log, &f2), 0);
  cc_audit_log_close(log);
  ck_assert_int_eq(cc_audit_list(&list, &n, db, 0), 0);
  ck_assert_uint_eq(n, 4);
  assert_entry(&list[0], &db1);
  assert_entry(&list[1], &f1);
  assert_entry(&list[2], &db2);
  assert_entry(&list[3], &f2);
  free(list);
  /* since applies to both: f1 (1796083202) and f2 (...204) are before
   * db2's 1796083300, db1 is before all. */
  ck_assert_int_eq(cc_audit_list(&list, &n, db, 1796083203), 0);
  ck_assert_uint_eq(n, 2);
  assert_entry(&list[0], &db2);
  assert_entry(&list[1], &f2);
  free(list);
}
END_TEST

static Suite *audit_suite(void)
{
  Suite *s = suite_create("audit");
  TCase *core = tcase_create("Core");
  TCase *limits = tcase_create("Limits");
  tcase_add_checked_fixture(core, setup, teardown);
  tcase_add_test(core, test_audit_empty);
  tcase_add_test(core, test_audit_roundtrip);
  tcase_add_test(core, test_audit_since);
  tcase_add_test(core, test_audit_user_default);
  tcase_add_test(core, test_audit_os_user);
  tcase_add_test(core, test_audit_read_only_refused);
  tcase_add_test(core, test_audit_forged_line);
  tcase_add_checked_fixture(limits, setup, teardown);
  tcase_set_timeout(limits, 120);
  tcase_add_test(limits, test_audit_order_by_time);
  tcase_add_test(limits, test_audit_long_fields);
  tcase_add_loop_test(limits, test_audit_store_group_commit, 0, 2);
  tcase_add_loop_test(limits, test_audit_store_threads, 0, 2);
  tcase_add_test(limits, test_audit_store_sync_fails);
  tcase_add_test(limits, test_audit_store_torn_tail);
  tcase_add_test(limits, test_audit_store_damaged_entry);
  tcase_add_test(limits, test_audit_store_merged);
  suite_add_tcase(s, core);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  return tu_main(audit_suite, root, sizeof root, "audit");
}
