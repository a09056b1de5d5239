/*
 * check_meter.c - what a stage cost (engine/meter.c): the "stage:" line
 * of summary.txt worked out by hand from two marks, counters that went
 * backwards printed as 0, a short buffer cut, and the marks themselves:
 * fresh pages touched show as minor faults, file bytes written show as
 * written (except on tmpfs, whose pages the kernel does not count).
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "meter_internal.h"
#include "test_util.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

static char root[256];

START_TEST(test_meter_format_known)
{
  cc_meter_mark a = {1.0, 0.5, 0.25, 100, 2, 4096};
  cc_meter_mark b = {3.5, 1.75, 0.5, 1100, 2, 4096 + 1048576};
  char line[256];
  int n = cc_meter_format(line, sizeof line, "index", &a, &b);
  ck_assert_str_eq(
      line, "stage: index wall 2.50 s, user 1.25 s, sys 0.25 s, faults 1000 "
            "minor 0 major, written 1048576 bytes");
  ck_assert_int_eq(n, (int)strlen(line));
}
END_TEST

START_TEST(test_meter_format_backwards)
{
  /* A mark left at zero (a failed getrusage) must not wrap around. */
  cc_meter_mark a = {2.0, 1.0, 1.0, 500, 7, 8192};
  cc_meter_mark b = {2.0, 1.0, 1.0, 0, 0, 0};
  char line[256];
  cc_meter_format(line, sizeof line, "emit", &a, &b);
  ck_assert_str_eq(
      line,
      "stage: emit wall 0.00 s, user 0.00 s, sys 0.00 s, faults 0 minor 0 "
      "major, written 0 bytes");
}
END_TEST

START_TEST(test_meter_format_cut)
{
  cc_meter_mark a = {0}, b = {0};
  char line[16];
  memset(line, 'Z', sizeof line);
  ck_assert_int_gt(cc_meter_format(line, 12, "setup", &a, &b), 12);
  ck_assert_str_eq(line, "stage: setu"); /* 11 characters and the NUL */
  ck_assert_int_eq(line[12], 'Z');
}
END_TEST

START_TEST(test_meter_mark_faults)
{
  /* 256 fresh small pages, each touched once: at least 256 minor faults. */
  size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = 256, i;
  cc_meter_mark a, b;
  char *p = mmap(NULL, n * pg, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ck_assert_ptr_ne(p, MAP_FAILED);
  madvise(p, n * pg, MADV_NOHUGEPAGE);
  cc_meter_mark_now(&a);
  for (i = 0; i < n; i++)
    p[i * pg] = 1;
  cc_meter_mark_now(&b);
  ck_assert_uint_ge(b.minflt - a.minflt, n);
  ck_assert(b.wall >= a.wall && b.user >= a.user && b.sys >= a.sys);
  munmap(p, n * pg);
}
END_TEST

START_TEST(test_meter_mark_written)
{
  char dir[512], path[600];
  static char block[65536];
  struct statfs fs;
  cc_meter_mark a, b;
  int fd, i;
  tu_scratch_make(dir, sizeof dir, root);
  snprintf(path, sizeof path, "%s/w", dir);
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ck_assert_int_ge(fd, 0);
  memset(block, 'x', sizeof block);
  cc_meter_mark_now(&a);
  for (i = 0; i < 16; i++) /* 1 MiB */
    ck_assert_int_eq(write(fd, block, sizeof block), (int)sizeof block);
  cc_meter_mark_now(&b);
  ck_assert_int_eq(fstatfs(fd, &fs), 0);
  if (fs.f_type == TMPFS_MAGIC)
    ck_assert_uint_eq(b.written - a.written, 0);
  else
    ck_assert_uint_ge(b.written - a.written, 1048576);
  close(fd);
  tu_scratch_remove(dir);
}
END_TEST

static Suite *meter_suite(void)
{
  Suite *s = suite_create("meter");
  TCase *core = tcase_create("Core");
  tcase_add_test(core, test_meter_format_known);
  tcase_add_test(core, test_meter_format_backwards);
  tcase_add_test(core, test_meter_format_cut);
  tcase_add_test(core, test_meter_mark_faults);
  tcase_add_test(core, test_meter_mark_written);
  suite_add_tcase(s, core);
  return s;
}

int main(void)
{
  return tu_main(meter_suite, root, sizeof root, "meter");
}
