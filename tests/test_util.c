/*
 * test_util.c - the helpers of test_util.h, shared by every check_ binary.
 */
#define _GNU_SOURCE
#include "test_util.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Directories. */

static int rm_entry(const char *path, const struct stat *sb, int flag,
                    struct FTW *ftw)
{
  (void)sb;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

void tu_remove_tree(const char *dir)
{
  if (dir[0])
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int tu_root_make(char *out, size_t cap, const char *prefix)
{
  const char *tmp = getenv("TMPDIR");
  snprintf(out, cap, "%s/%s_XXXXXX", tmp && *tmp ? tmp : "/tmp", prefix);
  if (mkdtemp(out) == NULL) {
    perror(out);
    return -1;
  }
  return 0;
}

void tu_scratch_make(char *out, size_t cap, const char *root)
{
  snprintf(out, cap, "%s/t_XXXXXX", root);
  ck_assert_ptr_nonnull(mkdtemp(out));
}

void tu_scratch_remove(char *scratch)
{
  tu_remove_tree(scratch);
  scratch[0] = '\0';
}

int tu_run_suite(Suite *s)
{
  SRunner *sr = srunner_create(s);
  int failed;
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed;
}

int tu_main(Suite *(*make)(void), char *root, size_t cap, const char *name)
{
  char prefix[64];
  int failed;
  snprintf(prefix, sizeof prefix, "cc_check_%s", name);
  if (tu_root_make(root, cap, prefix) < 0)
    return EXIT_FAILURE;
  failed = tu_run_suite(make());
  tu_remove_tree(root);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Files. */

void tu_write_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_ge(fputs(text, f), 0);
  ck_assert_int_eq(fclose(f), 0);
}

char *tu_read_file(const char *path)
{
  FILE *f = fopen(path, "r");
  char *buf;
  long n;
  ck_assert_msg(f != NULL, "cannot read %s", path);
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = malloc((size_t)n + 1);
  ck_assert_ptr_nonnull(buf);
  ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

unsigned tu_mode_of(const char *path)
{
  struct stat sb;
  ck_assert_msg(stat(path, &sb) == 0, "%s missing", path);
  return (unsigned)(sb.st_mode & 07777);
}

/* ------------------------------------------------------------------ */
/* Values. */

void tu_text_put(tu_text *t, const void *p, size_t n)
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

cc_str tu_str(const char *s)
{
  cc_str r;
  r.ptr = s;
  r.len = s ? (uint32_t)strlen(s) : 0;
  return r;
}

char *tu_repeat(const char *unit, size_t times, size_t *len)
{
  size_t u = strlen(unit), i;
  char *s = malloc(u * times + 1);
  ck_assert_ptr_nonnull(s);
  for (i = 0; i < times; i++)
    memcpy(s + i * u, unit, u);
  s[u * times] = '\0';
  *len = u * times;
  return s;
}

char tu_check_char(const char *d17)
{
  static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int i, s = 0;
  for (i = 0; i < 17; i++)
    s += (d17[i] - '0') * w[i];
  return "10X98765432"[s % 11];
}

cc_db *tu_db_open(const char *dir)
{
  cc_db *db = NULL;
  cc_db_options o = CC_DB_OPTIONS_INIT;
  o.no_sync = 1;
  ck_assert_int_eq(cc_db_open(&db, dir, &o), 0);
  ck_assert_ptr_nonnull(db);
  return db;
}
