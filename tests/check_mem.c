/*
 * check_mem.c - memory for the large buffers of a run (engine/mem.c):
 * blocks keep their bytes through growth (in place and moved), grow by
 * doubling from 4096 elements as cc_grow does, refuse sizes that overflow
 * and leave the array as it was; large blocks are advised MADV_HUGEPAGE
 * and aligned to 2 MiB (read back from /proc/self/smaps, "hg" in
 * VmFlags), and so is the main heap after cc_mem_heap_advise. Under
 * AddressSanitizer blocks are malloc'd and nothing is advised: the smaps
 * tests then check that instead.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem_internal.h"
#include "test_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif
#ifndef ASAN
#define ASAN 0
#endif

static char root[256];

/* 1 when the mapping holding p is advised MADV_HUGEPAGE ("hg" among its
 * VmFlags in /proc/self/smaps), 0 when not, -1 when p is in no mapping. */
static int advised(const void *p)
{
  FILE *f = fopen("/proc/self/smaps", "r");
  char line[512];
  int in = 0, found = -1;
  uintptr_t a = (uintptr_t)p;
  ck_assert_ptr_nonnull(f);
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
        strchr(line, '-') < strchr(line, ' ')) {
      in = a >= lo && a < hi;
      if (in)
        found = 0;
    } else if (in && strncmp(line, "VmFlags:", 8) == 0) {
      found = strstr(line, " hg") != NULL;
      in = 0;
    }
  }
  fclose(f);
  return found;
}

START_TEST(test_mem_alloc_small)
{
  unsigned char *p = cc_mem_alloc(100);
  ck_assert_ptr_nonnull(p);
  ck_assert_uint_eq((uintptr_t)p % 64, 0);
  memset(p, 0xab, 100);
  ck_assert_uint_eq(p[99], 0xab);
  /* Grown within the page it was rounded up to: all 4000 bytes are its
   * own (under AddressSanitizer, an overrun here would be reported). */
  p = cc_mem_realloc(p, 4000);
  ck_assert_ptr_nonnull(p);
  ck_assert_uint_eq(p[99], 0xab);
  memset(p + 100, 0xcd, 3900);
  ck_assert_uint_eq(p[3999], 0xcd);
  cc_mem_free(p);
  cc_mem_free(NULL); /* a no-op */
}
END_TEST

START_TEST(test_mem_realloc_keeps_bytes)
{
  /* 1 KiB -> 3 MiB -> 64 MiB -> 100 MiB: each step keeps what was there,
   * whether the map grew in place or its pages moved. */
  static const size_t sizes[] = {1024, (size_t)3 << 20, (size_t)64 << 20,
                                 (size_t)100 << 20};
  uint32_t *p = NULL;
  size_t have = 0, i, k, wrong;
  for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    uint32_t *q = cc_mem_realloc(p, sizes[k]);
    ck_assert_ptr_nonnull(q);
    /* Counted, then asserted once (each ck_assert is a message to Check). */
    for (i = 0, wrong = 0; i < have; i++)
      wrong += q[i] != (uint32_t)(i * 2654435761u);
    ck_assert_uint_eq(wrong, 0);
    have = sizes[k] / sizeof *q;
    for (i = 0; i < have; i++)
      q[i] = (uint32_t)(i * 2654435761u);
    p = q;
  }
  /* Asking for less keeps the block as it is. */
  ck_assert_ptr_eq(cc_mem_realloc(p, 10), p);
  ck_assert_uint_eq(p[have - 1], (uint32_t)((have - 1) * 2654435761u));
  cc_mem_free(p);
}
END_TEST

START_TEST(test_mem_grow_doubles)
{
  uint64_t *a = NULL;
  size_t cap = 0;
  ck_assert_int_eq(cc_mem_grow((void **)&a, &cap, 0, sizeof *a), 0);
  ck_assert_ptr_null(a); /* nothing needed, nothing taken */
  ck_assert_int_eq(cc_mem_grow((void **)&a, &cap, 1, sizeof *a), 0);
  ck_assert_uint_eq(cap, 4096);
  a[4095] = 7;
  ck_assert_int_eq(cc_mem_grow((void **)&a, &cap, 4096, sizeof *a), 0);
  ck_assert_uint_eq(cap, 4096);
  ck_assert_int_eq(cc_mem_grow((void **)&a, &cap, 4097, sizeof *a), 0);
  ck_assert_uint_eq(cap, 8192);
  ck_assert_int_eq(cc_mem_grow((void **)&a, &cap, 40000, sizeof *a), 0);
  ck_assert_uint_eq(cap, 65536); /* 8192 -> 16384 -> 32768 -> 65536 */
  ck_assert_uint_eq(a[4095], 7);
  cc_mem_free(a);
}
END_TEST

START_TEST(test_mem_overflow)
{
  uint64_t *a = NULL, *before;
  size_t cap = 0;
  ck_assert_ptr_null(cc_mem_alloc(SIZE_MAX));
  ck_assert_ptr_null(cc_mem_alloc(SIZE_MAX - 63));
  ck_assert_int_eq(cc_mem_grow((void **)&a, &cap, 10, sizeof *a), 0);
  before = a;
  a[9] = 42;
  /* need * size overflows: refused, the array as it was. */
  ck_assert_int_eq(cc_mem_grow((void **)&a, &cap, SIZE_MAX / 4, sizeof *a), -1);
  ck_assert_int_eq(cc_mem_grow((void **)&a, &cap, SIZE_MAX, sizeof *a), -1);
  ck_assert_ptr_eq(a, before);
  ck_assert_uint_eq(cap, 4096);
  ck_assert_uint_eq(a[9], 42);
  ck_assert_ptr_null(cc_mem_realloc(a, SIZE_MAX));
  ck_assert_uint_eq(a[9], 42);
  cc_mem_free(a);
}
END_TEST

START_TEST(test_mem_large_advised)
{
  size_t big = (size_t)8 << 20;
  unsigned char *p = cc_mem_alloc(big), *q;
  ck_assert_ptr_nonnull(p);
  memset(p, 1, big);
  if (ASAN) {
    ck_assert_int_eq(advised(p), 0); /* malloc'd: no advice */
  } else {
    ck_assert_int_eq(advised(p), 1);
    ck_assert_int_eq(advised(p + big - 1), 1);
    ck_assert_uint_eq(((uintptr_t)p - 64) % ((uintptr_t)2 << 20),
                      0); /* the map is aligned */
  }
  /* Grown, wherever its pages went, still advised. */
  q = cc_mem_realloc(p, (size_t)40 << 20);
  ck_assert_ptr_nonnull(q);
  ck_assert_uint_eq(q[big - 1], 1);
  ck_assert_int_eq(advised(q + ((size_t)40 << 20) - 1), ASAN ? 0 : 1);
  cc_mem_free(q);
  /* A small block is not worth a big page. */
  p = cc_mem_alloc(1000);
  ck_assert_int_eq(advised(p), 0);
  cc_mem_free(p);
}
END_TEST

START_TEST(test_mem_heap_advised)
{
  /* The heap grows by 64 MiB after setup; the part grown since the last
   * advice is advised by the next call. 4 KiB blocks, as LMDB takes. */
  enum { N = 4096 };
  static void *blocks[N];
  int i;
  cc_mem_setup();
  cc_mem_heap_advise();
  for (i = 0; i < N; i++)
    ck_assert_ptr_nonnull(blocks[i] = malloc(4096));
  cc_mem_heap_advise();
  if (ASAN)
    ck_assert_int_eq(advised(blocks[N - 1]), 0);
  else
    ck_assert_int_eq(advised(blocks[N - 1]), 1);
  for (i = 0; i < N; i++)
    free(blocks[i]);
}
END_TEST

static Suite *mem_suite(void)
{
  Suite *s = suite_create("mem");
  TCase *core = tcase_create("Core");
  TCase *limits = tcase_create("Limits");
  tcase_add_test(core, test_mem_alloc_small);
  tcase_add_test(core, test_mem_realloc_keeps_bytes);
  tcase_add_test(core, test_mem_grow_doubles);
  tcase_add_test(core, test_mem_large_advised);
  tcase_add_test(core, test_mem_heap_advised);
  tcase_add_test(limits, test_mem_overflow);
  suite_add_tcase(s, core);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  return tu_main(mem_suite, root, sizeof root, "mem");
}
