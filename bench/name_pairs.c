/*
 * name_pairs.c - the library's name relation for pairs of names on stdin,
 * for bench/homophone_eval.mjs (which compares it with an independent
 * pinyin library). Not a test and not part of any run.
 *
 *   name_pairs fold      one registered name a line in; its folded form
 *                        (cc_name_fold) out, an empty line where the fold
 *                        refuses it
 *   name_pairs compare   "A<TAB>B" a line in (folded names); out one line
 *                        each: equal|homophone|different, then, when the
 *                        library has cc_name_pinyin_keys(), a TAB,
 *                        meet|apart (do the key sets intersect?) and the
 *                        number of capped names of the pair (0-2)
 *   name_pairs time N    N rounds over the names on stdin (folded, one a
 *                        line): ns per cc_name_pinyin, cc_name_compare
 *                        (each name against the next) and, where there,
 *                        cc_name_pinyin_keys
 *
 * It builds against an older library too (no cc_name_pinyin_keys: the
 * key columns are left out), so "before" and "after" run the same code:
 *   gcc -O2 -std=c11 -I OLD/include bench/name_pairs.c \
 *       OLD/build/engine/libchachong.a $(pkg-config --libs icu-uc icu-i18n \
 *       libxxhash) -fopenmp -lm -o name_pairs_before
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime, getline under -std=c11 */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chachong/name_match.h"
#include "chachong/normalize_name.h"

static const char *const rel_name[] = {"equal", "homophone", "different"};

static size_t chomp(char *s, ssize_t n)
{
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
    s[--n] = '\0';
  return (size_t)n;
}

static int do_fold(void)
{
  char *line = NULL, out[CC_NAME_MAX + 1];
  size_t cap = 0, olen;
  ssize_t n;
  while ((n = getline(&line, &cap, stdin)) >= 0) {
    size_t len = chomp(line, n);
    if (cc_name_fold(out, sizeof out, &olen, line, len) != 0)
      olen = 0;
    fwrite(out, 1, olen, stdout);
    putchar('\n');
  }
  free(line);
  return 0;
}

#ifdef CC_NAME_PINYIN_KEYS_MAX
/* "meet" or "apart", and how many of the two names were capped. */
static void print_keys(const char *a, size_t al, const char *b, size_t bl)
{
  uint64_t ka[CC_NAME_PINYIN_KEYS_MAX], kb[CC_NAME_PINYIN_KEYS_MAX];
  int ca = 0, cb = 0, na, nb, i, j, meet = 0;
  na = cc_name_pinyin_keys(ka, &ca, a, al);
  nb = cc_name_pinyin_keys(kb, &cb, b, bl);
  for (i = 0; i < na; i++)
    for (j = 0; j < nb; j++)
      meet |= ka[i] == kb[j];
  printf("\t%s\t%d", meet ? "meet" : "apart", ca + cb);
}
#endif

static int do_compare(void)
{
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, stdin)) >= 0) {
    size_t len = chomp(line, n);
    char *tab = memchr(line, '\t', len);
    size_t al, bl;
    if (tab == NULL) {
      fprintf(stderr, "name_pairs: a line without a TAB\n");
      free(line);
      return 1;
    }
    al = (size_t)(tab - line);
    bl = len - al - 1;
    fputs(rel_name[cc_name_compare(line, al, tab + 1, bl)], stdout);
#ifdef CC_NAME_PINYIN_KEYS_MAX
    print_keys(line, al, tab + 1, bl);
#endif
    putchar('\n');
  }
  free(line);
  return 0;
}

static double now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID,
                &ts); /* CPU time: the machine is shared */
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int do_time(long rounds)
{
  char **names = NULL, *line = NULL, key[CC_NAME_PINYIN_MAX + 1];
  size_t *lens = NULL, cap = 0, count = 0, room = 0, i, klen;
  ssize_t n;
  long r;
  double t0, sink = 0;
  while ((n = getline(&line, &cap, stdin)) >= 0) {
    size_t len = chomp(line, n);
    if (count == room) {
      room = room ? 2 * room : 1024;
      names = realloc(names, room * sizeof *names);
      lens = realloc(lens, room * sizeof *lens);
      if (names == NULL || lens == NULL)
        return 1;
    }
    names[count] = strdup(line);
    lens[count++] = len;
  }
  free(line);
  if (count < 2)
    return 1;
  t0 = now_ns();
  for (r = 0; r < rounds; r++)
    for (i = 0; i < count; i++) {
      cc_name_pinyin(key, sizeof key, &klen, names[i], lens[i]);
      sink += klen;
    }
  printf("cc_name_pinyin\t%.1f ns\n", (now_ns() - t0) / (rounds * count));
  t0 = now_ns();
  for (r = 0; r < rounds; r++)
    for (i = 0; i + 1 < count; i++)
      sink += cc_name_compare(names[i], lens[i], names[i + 1], lens[i + 1]);
  printf("cc_name_compare\t%.1f ns\n",
         (now_ns() - t0) / (rounds * (count - 1)));
#ifdef CC_NAME_PINYIN_KEYS_MAX
  t0 = now_ns();
  for (r = 0; r < rounds; r++)
    for (i = 0; i < count; i++) {
      uint64_t k[CC_NAME_PINYIN_KEYS_MAX];
      sink += cc_name_pinyin_keys(k, NULL, names[i], lens[i]);
    }
  printf("cc_name_pinyin_keys\t%.1f ns\n", (now_ns() - t0) / (rounds * count));
#endif
  for (i = 0; i < count; i++)
    free(names[i]);
  free(names);
  free(lens);
  return sink < 0; /* keeps the loops from being optimized away */
}

int main(int argc, char **argv)
{
  if (argc == 2 && strcmp(argv[1], "fold") == 0)
    return do_fold();
  if (argc == 2 && strcmp(argv[1], "compare") == 0)
    return do_compare();
  if (argc == 3 && strcmp(argv[1], "time") == 0 && atol(argv[2]) > 0)
    return do_time(atol(argv[2]));
  fprintf(stderr, "usage: name_pairs fold|compare|time N  (stdin)\n");
  return 2;
}
