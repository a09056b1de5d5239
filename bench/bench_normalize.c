/*
 * bench_normalize.c - how fast are cc_id_normalize and cc_name_fold?
 *
 * A monthly run normalizes 17.5 million IDs and names, so both are on the
 * hot path. This program generates N deterministic inputs (same seed, same
 * bytes) that look like roster cells - mostly clean 18-digit IDs, some with
 * Excel's damage (a leading ', ="...", full-width digits, U+3000, 15-digit
 * legacy numbers); mostly 2-4 character simplified names, some traditional,
 * some with a middle dot or spaces, a few Latin or with combining marks -
 * and prints nanoseconds per call:
 *
 *   id        cc_id_normalize (single thread)
 *   name      cc_name_fold, the generated table (single thread)
 *   naive     the same fold done the obvious way per name: ICU NFKC on
 *             UTF-16, white space and dots by hand, OpenCC t2s on the
 *             UTF-8, ICU upper-casing - the figure that justifies the table
 *   parallel  cc_id_normalize + cc_name_fold under OpenMP (all threads)
 *
 * It also counts names where the table and the naive fold disagree (OpenCC's
 * t2s.json converts whole phrases, the table characters only).
 *
 * Usage: bench_normalize [N]   (default 2000000; the naive fold runs on
 * N/10 names, it is that slow).
 * Build: the bench CMake links the library and ICU; by hand:
 *   gcc -O2 -fopenmp -I include bench/bench_normalize.c \
 *       build/engine/libchachong.a $(pkg-config --libs icu-uc icu-i18n)
 * OpenCC is loaded with dlopen() for the naive fold only (the library does
 * not link it: its table is generated at build time); without it the naive
 * figures are skipped.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dlfcn.h>
#include <omp.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>

#include "chachong/errors.h"
#include "chachong/normalize_id.h"
#include "chachong/normalize_name.h"
#include "chachong/types.h"

/* One generated cell: bytes in a shared arena. */
typedef struct cell {
  uint32_t off; /* offset in the arena */
  uint32_t len; /* length in bytes */
} cell;

typedef struct arena {
  char *buf;  /* all cells, back to back */
  size_t len; /* bytes used */
  size_t cap; /* bytes allocated */
} arena;

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

/* xorshift64*: deterministic, good enough for test data. */
static uint32_t rnd(uint32_t n)
{
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 33) % n;
}

static void put(arena *a, const char *s, size_t n)
{
  if (a->len + n > a->cap) {
    a->cap = (a->cap + n) * 2;
    a->buf = realloc(a->buf, a->cap);
    if (a->buf == NULL) {
      perror("bench_normalize");
      exit(1);
    }
  }
  memcpy(a->buf + a->len, s, n);
  a->len += n;
}

static void puts_(arena *a, const char *s)
{
  put(a, s, strlen(s));
}

static double now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static const char *const provinces[] = {"11", "13", "32", "37", "41",
                                        "44", "51", "65", "53", "81"};

static cell make_id(arena *a)
{
  char d[19];
  cell c;
  int i, kind = (int)rnd(100);
  int year = 1995 + (int)rnd(15), month = 1 + (int)rnd(12),
      day = 1 + (int)rnd(28);
  c.off = (uint32_t)a->len;
  memcpy(d, provinces[rnd(10)], 2);
  for (i = 2; i < 6; i++)
    d[i] = (char)('0' + rnd(10));
  snprintf(d + 6, 9, "%04d%02d%02d", year, month, day);
  for (i = 14; i < 17; i++)
    d[i] = (char)('0' + rnd(10));
  d[17] = cc_id_check_char(d);
  d[18] = '\0';
  if (kind < 80) { /* clean */
    put(a, d, 18);
  } else if (kind < 85) { /* Excel's text marker */
    puts_(a, "'");
    put(a, d, 18);
  } else if (kind < 88) { /* ="..." */
    puts_(a, "=\"");
    put(a, d, 18);
    puts_(a, "\"");
  } else if (kind < 91) { /* spaces around, U+3000 */
    puts_(a, " ");
    put(a, d, 18);
    puts_(a, "\xe3\x80\x80");
  } else if (kind < 93) { /* full-width digits */
    for (i = 0; i < 18; i++) {
      /* ０-９ are U+FF10-FF19, Ｘ is U+FF38: EF BC 90+k */
      int k = d[i] == 'X' ? 0x28 : d[i] - '0';
      char fw[3] = {'\xef', '\xbc', (char)(0x90 + k)};
      put(a, fw, 3);
    }
  } else if (kind < 96) { /* 15-digit legacy */
    put(a, d, 6);
    put(a, d + 8, 9);
  } else if (kind < 98) { /* wrong check digit */
    d[17] = d[17] == '0' ? '1' : '0';
    put(a, d, 18);
  } else { /* Excel's scientific notation */
    puts_(a, "1.10101E+17");
  }
  c.len = (uint32_t)(a->len - c.off);
  return c;
}

/* Common surname and given-name characters; a few traditional ones. */
static const char *const surnames[] = {
    "王", "李", "张", "刘", "陈", "杨", "黄",   "赵",   "吴",  "周", "徐",
    "孙", "马", "朱", "胡", "郭", "何", "林",   "罗",   "高",  "郑", "梁",
    "谢", "宋", "張", "劉", "陳", "黃", "歐陽", "司马", "诸葛"};
static const char *const given[] = {
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇",
    "艳", "杰", "娟", "涛", "明", "超", "秀", "霞", "平", "刚", "桂",
    "英", "华", "玉", "萍", "红", "鹏", "辉", "建", "国", "晓", "婷",
    "浩", "宇", "欣", "偉", "麗", "國", "華", "鵬", "輝", "曉", "𠮷"};
static const char *const uyghur[] = {"阿依古丽", "买买提", "艾力",  "热依拉",
                                     "古丽娜尔", "吐尔逊", "阿不都"};
static const char *const dots[] = {"\xc2\xb7", "\xe2\x80\xa2", "\xe3\x83\xbb",
                                   ".", "\xef\xbc\x8e"};

static cell make_name(arena *a)
{
  cell c;
  int kind = (int)rnd(1000), i, n;
  c.off = (uint32_t)a->len;
  if (kind < 900) {
    puts_(a, surnames[rnd(sizeof surnames / sizeof *surnames)]);
    n = 1 + (int)rnd(2);
    for (i = 0; i < n; i++)
      puts_(a, given[rnd(sizeof given / sizeof *given)]);
    if (kind < 30)
      puts_(a, " ");
  } else if (kind < 960) {
    puts_(a, uyghur[rnd(7)]);
    puts_(a, dots[rnd(5)]);
    puts_(a, uyghur[rnd(7)]);
  } else if (kind < 990) {
    puts_(a, kind & 1 ? "John Smith"
                      : "\xef\xbd\x8a\xef\xbd\x8f\xef\xbd\x88"
                        "\xef\xbd\x8e");
  } else if (kind < 995) {
    puts_(a, "\xe3\x80\x80");
    puts_(a, surnames[rnd(10)]);
    puts_(a, "\xc2\xa0");
    puts_(a, given[rnd(10)]);
  } else {
    /* A combining mark: the full ICU path. */
    puts_(a, "Jose\xcc\x81 Garci\xcc\x81"
             "a");
  }
  c.len = (uint32_t)(a->len - c.off);
  return c;
}

/* ---- the naive fold: libraries called per name ---- */

/* OpenCC's C API (opencc.h), resolved at run time. */
typedef void *opencc_t;
static struct {
  opencc_t (*open)(const char *config);
  int (*close)(opencc_t od);
  char *(*convert_utf8)(opencc_t od, const char *in, size_t len);
  void (*convert_utf8_free)(char *s);
} occ;

static int load_opencc(void)
{
  static const char *const names[] = {"libopencc.so.1.1", "libopencc.so.1",
                                      "libopencc.so"};
  void *h = NULL;
  size_t i;
  for (i = 0; i < sizeof names / sizeof *names && h == NULL; i++)
    h = dlopen(names[i], RTLD_NOW);
  if (h == NULL)
    return -1;
  /* POSIX's way to turn dlsym's void * into a function pointer. */
  *(void **)&occ.open = dlsym(h, "opencc_open");
  *(void **)&occ.close = dlsym(h, "opencc_close");
  *(void **)&occ.convert_utf8 = dlsym(h, "opencc_convert_utf8");
  *(void **)&occ.convert_utf8_free = dlsym(h, "opencc_convert_utf8_free");
  return occ.open && occ.close && occ.convert_utf8 && occ.convert_utf8_free
             ? 0
             : -1;
}

static int is_dot(UChar32 c)
{
  return c == 0xB7 || c == 0x2022 || c == 0x30FB || c == 0x2027 || c == '.' ||
         c == 0xFF0E || c == 0xFF65 || c == 0x2219 || c == 0x22C5 ||
         c == 0x2E31 || c == 0xA78F;
}

static int naive_fold(opencc_t cc, char *out, size_t cap, size_t *out_len,
                      const char *in, size_t len)
{
  UChar src[512], nf[1024], ws[1024];
  char u8[1024], *t;
  int32_t slen, nlen, k = 0, i, u8len, tlen, o = 0;
  UErrorCode err = U_ZERO_ERROR;
  const UNormalizer2 *nfkc = unorm2_getNFKCInstance(&err);

  u_strFromUTF8(src, 512, &slen, in, (int32_t)len, &err);
  nlen = unorm2_normalize(nfkc, src, slen, nf, 1024, &err);
  if (U_FAILURE(err))
    return CC_EINVALID;
  for (i = 0; i < nlen;) {
    UChar32 c;
    U16_NEXT(nf, i, nlen, c);
    if (u_isUWhiteSpace(c) || c == 0x200B || c == 0xFEFF)
      continue;
    if (is_dot(c))
      c = 0xB7;
    U16_APPEND_UNSAFE(ws, k, c);
  }
  u_strToUTF8(u8, sizeof u8, &u8len, ws, k, &err);
  if (U_FAILURE(err))
    return CC_EINVALID;
  t = occ.convert_utf8(cc, u8, (size_t)u8len);
  if (t == NULL)
    return CC_ERROR;
  tlen = (int32_t)strlen(t);
  for (i = 0; i < tlen;) {
    UChar32 c;
    UBool bad = 0;
    UErrorCode e2 = U_ZERO_ERROR;
    U8_NEXT(t, i, tlen, c);
    if (uscript_getScript(c, &e2) == USCRIPT_LATIN)
      c = u_toupper(c);
    if (o + 4 >= (int32_t)cap) {
      occ.convert_utf8_free(t);
      return CC_ENOMEM;
    }
    U8_APPEND(out, o, (int32_t)cap, c, bad);
    (void)bad;
  }
  occ.convert_utf8_free(t);
  out[o] = '\0';
  *out_len = (size_t)o;
  return o ? 0 : CC_EINVALID;
}

int main(int argc, char **argv)
{
  size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000, i, naive_n;
  arena ids = {0}, names = {0};
  cell *idc = malloc(n * sizeof *idc), *nmc = malloc(n * sizeof *nmc);
  cc_date today = cc_date_from_ymd(2026, 11, 23);
  double t0, t_id, t_name, t_naive = 0, t_par;
  size_t valid = 0, folded = 0, differ = 0, naive_ok = 0;
  unsigned long long sink = 0;
  opencc_t cc = NULL;

  if (n == 0 || idc == NULL || nmc == NULL) {
    fprintf(stderr, "usage: bench_normalize [N > 0]\n");
    return 2;
  }
  for (i = 0; i < n; i++)
    idc[i] = make_id(&ids);
  for (i = 0; i < n; i++)
    nmc[i] = make_name(&names);

  /* Warm-up (page faults, ICU's first NFKC instance). */
  for (i = 0; i < n / 100; i++) {
    cc_id id;
    char out[CC_NAME_MAX + 1];
    size_t ol;
    cc_id_normalize(&id, ids.buf + idc[i].off, idc[i].len, today);
    cc_name_fold(out, sizeof out, &ol, names.buf + nmc[i].off, nmc[i].len);
  }

  t0 = now_ns();
  for (i = 0; i < n; i++) {
    cc_id id;
    if (cc_id_normalize(&id, ids.buf + idc[i].off, idc[i].len, today) ==
        CC_ID_VALID)
      valid++;
    sink += (unsigned char)id.digits[17];
  }
  t_id = now_ns() - t0;

  t0 = now_ns();
  for (i = 0; i < n; i++) {
    char out[CC_NAME_MAX + 1];
    size_t ol = 0;
    if (cc_name_fold(out, sizeof out, &ol, names.buf + nmc[i].off,
                     nmc[i].len) == 0)
      folded++;
    sink += ol;
  }
  t_name = now_ns() - t0;

  naive_n = n / 10 ? n / 10 : 1;
  if (load_opencc() == 0)
    cc = occ.open("t2s.json");
  if (cc == NULL || cc == (opencc_t)-1) {
    fprintf(stderr, "bench_normalize: OpenCC not available, no naive fold\n");
    cc = NULL;
    naive_n = 0;
  }
  t0 = now_ns();
  for (i = 0; i < naive_n; i++) {
    char out[1024];
    size_t ol = 0;
    if (naive_fold(cc, out, sizeof out, &ol, names.buf + nmc[i].off,
                   nmc[i].len) == 0)
      naive_ok++;
    sink += ol;
  }
  t_naive = now_ns() - t0;
  for (i = 0; i < naive_n; i++) {
    char a[CC_NAME_MAX + 1], b[1024];
    size_t al = 0, bl = 0;
    int ra = cc_name_fold(a, sizeof a, &al, names.buf + nmc[i].off, nmc[i].len);
    int rb =
        naive_fold(cc, b, sizeof b, &bl, names.buf + nmc[i].off, nmc[i].len);
    if (ra != rb || al != bl || memcmp(a, b, al) != 0)
      differ++;
  }
  if (cc != NULL)
    occ.close(cc);

  t0 = now_ns();
#pragma omp parallel for schedule(static) reduction(+ : sink)
  for (i = 0; i < n; i++) {
    cc_id id;
    char out[CC_NAME_MAX + 1];
    size_t ol = 0;
    cc_id_normalize(&id, ids.buf + idc[i].off, idc[i].len, today);
    cc_name_fold(out, sizeof out, &ol, names.buf + nmc[i].off, nmc[i].len);
    sink += ol + (unsigned char)id.digits[0];
  }
  t_par = now_ns() - t0;

  printf("inputs      %zu IDs (%zu valid), %zu names (%zu folded)\n", n, valid,
         n, folded);
  printf("id          %8.1f ns/call   cc_id_normalize\n", t_id / n);
  printf("name        %8.1f ns/call   cc_name_fold (generated table)\n",
         t_name / n);
  if (naive_n > 0) {
    printf("naive       %8.1f ns/call   ICU NFKC + OpenCC t2s per name "
           "(%zu names, %zu ok)\n",
           t_naive / naive_n, naive_n, naive_ok);
    printf("speed-up    %8.1fx          table vs naive\n",
           (t_naive / naive_n) / (t_name / n));
    printf("differ      %8zu            names where table != naive "
           "(OpenCC phrases)\n",
           differ);
  }
  printf("parallel    %8.1f ns/record id+name, %d threads; 17.5M records "
         "in %.2f s\n",
         t_par / n, omp_get_max_threads(), t_par / n * 17.5e6 / 1e9);
  fprintf(stderr, "(checksum %llu)\n", sink);
  free(ids.buf);
  free(names.buf);
  free(idc);
  free(nmc);
  return 0;
}
