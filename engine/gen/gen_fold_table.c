/*
 * gen_fold_table.c - builds the name folding table (build time only).
 *
 * Owns the truth behind cc_name_fold(): for every Unicode code point it asks
 * the real libraries what the code point folds to, and writes the answers
 * as C arrays (fold_table.inc) that normalize_name.c compiles in. So the
 * library's hot path is a table lookup and OpenCC is needed only here.
 *
 * Per code point c, the fold is the SPEC 2.2 pipeline applied to the
 * one-character string, repeated until nothing changes (at most a few
 * rounds; see fold_fix):
 *   1. NFKC                          ICU unorm2_getNFKCInstance()
 *   2. white space removed           ICU White_Space, plus U+200B, U+FEFF
 *   3. middle-dot variants to U+00B7 the SPEC's list plus a few look-alikes
 *   4. traditional to simplified     OpenCC t2s.json, one character at a
 *                                    time (its TSCharacters table; chains
 *                                    like 薴→苧→苎 followed to the end)
 *   5. Latin letters upper-cased     ICU script = Latin, u_toupper()
 * and flagged FULL when it, or a code point of its fold, lacks an NFKC
 * boundary before it (unorm2_hasBoundaryBefore false: combining marks,
 * conjoining jamo), i.e. when it can change the character before it, so
 * the run-time code must normalize the whole name with ICU rather than per
 * code point. (A boundary after is not needed: whatever follows is either
 * split off by its own boundary before or flagged itself.)
 *
 * Usage: gen_fold_table OUT.inc   (output is deterministic for given
 * ICU and OpenCC versions; written to OUT.inc.tmp then renamed).
 * Table layout: see the comment written at the top of the output.
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <opencc.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/uversion.h>

#ifndef CC_OPENCC_VERSION
#define CC_OPENCC_VERSION "unknown"
#endif

#define MAXCP 0x110000
#define MAXSTR 64 /* code points in one folded string, generously */

/* BMP blocks of 1 << SHIFT code points; identical blocks are stored once. */
#ifndef SHIFT
#define SHIFT 5
#endif
#define BLK (1u << SHIFT)
#define NSTAGE1 (0x10000u >> SHIFT)

/* Entry bits; must match normalize_name.c. */
#define E_FULL 0x80000000u
#define E_DROP 0x40000000u
#define E_LEN_SHIFT 24
#define E_LEN_MAX 63u
#define E_OFF_MAX 0xFFFFFFu

static const UNormalizer2 *nfkc;
static UChar32 *t2s; /* t2s[c]: OpenCC's simplified form of c, or c */

static void die(const char *what)
{
  fprintf(stderr, "gen_fold_table: %s\n", what);
  exit(1);
}

static int is_space(UChar32 c)
{
  return u_hasBinaryProperty(c, UCHAR_WHITE_SPACE) || c == 0x200B ||
         c == 0xFEFF;
}

static int is_middle_dot(UChar32 c)
{
  switch (c) {
  /* SPEC 2.2's list (U+FF0E and U+FF65 reach here as '.' and U+30FB
   * after NFKC, but are listed for clarity). */
  case 0x00B7:
  case 0x2022:
  case 0x30FB:
  case 0x2027:
  case 0x002E:
  case 0xFF0E:
  case 0xFF65:
  /* Look-alikes that input methods and web forms also produce:
   * BULLET OPERATOR, DOT OPERATOR, WORD SEPARATOR MIDDLE DOT and
   * LATIN LETTER SINOLOGICAL DOT. */
  case 0x2219:
  case 0x22C5:
  case 0x2E31:
  case 0xA78F:
    return 1;
  default:
    return 0;
  }
}

/* NFKC of a code point string, in place semantics: out may not alias in. */
static int nfkc_str(const UChar32 *in, int n, UChar32 *out)
{
  UChar src[MAXSTR * 2], dst[MAXSTR * 4];
  int32_t slen = 0, dlen, i, m = 0;
  UErrorCode err = U_ZERO_ERROR;
  for (i = 0; i < n; i++)
    U16_APPEND_UNSAFE(src, slen, in[i]);
  dlen = unorm2_normalize(nfkc, src, slen, dst, MAXSTR * 4, &err);
  if (U_FAILURE(err))
    die("unorm2_normalize failed");
  for (i = 0; i < dlen;) {
    UChar32 c;
    U16_NEXT_UNSAFE(dst, i, c);
    if (m == MAXSTR)
      die("NFKC expansion longer than MAXSTR");
    out[m++] = c;
  }
  return m;
}

/* One round of the pipeline (steps 1-5). */
static int fold_round(const UChar32 *in, int n, UChar32 *out)
{
  UChar32 tmp[MAXSTR];
  int m = nfkc_str(in, n, tmp), i, k = 0;
  for (i = 0; i < m; i++) {
    UChar32 c = tmp[i];
    UErrorCode err = U_ZERO_ERROR;
    if (is_space(c))
      continue;
    if (is_middle_dot(c))
      c = 0x00B7;
    c = t2s[c];
    if (uscript_getScript(c, &err) == USCRIPT_LATIN && U_SUCCESS(err))
      c = u_toupper(c);
    out[k++] = c;
  }
  return k;
}

/* The pipeline repeated to a fixed point, so folding is idempotent even
 * where a later step yields something an earlier one would change. */
static int fold_fix(const UChar32 *in, int n, UChar32 *out, int *rounds)
{
  UChar32 a[MAXSTR], b[MAXSTR];
  int na = n, nb, r;
  memcpy(a, in, sizeof *in * (size_t)n);
  for (r = 1; r <= 8; r++) {
    nb = fold_round(a, na, b);
    if (nb == na && memcmp(a, b, sizeof *a * (size_t)na) == 0) {
      memcpy(out, a, sizeof *a * (size_t)na);
      *rounds = r;
      return na;
    }
    memcpy(a, b, sizeof *b * (size_t)nb);
    na = nb;
  }
  die("folding does not converge");
  return 0;
}

static int is_han(UChar32 c)
{
  UErrorCode err = U_ZERO_ERROR;
  return u_hasBinaryProperty(c, UCHAR_IDEOGRAPHIC) ||
         u_hasBinaryProperty(c, UCHAR_RADICAL) ||
         uscript_getScript(c, &err) == USCRIPT_HAN;
}

/* Asks OpenCC about every Han code point, one character at a time. */
static void build_t2s(void)
{
  opencc_t od = opencc_open("t2s.json");
  UChar32 c;
  long mapped = 0;
  if (od == (opencc_t)-1)
    die(opencc_error());
  t2s = malloc(sizeof *t2s * MAXCP);
  if (t2s == NULL)
    die("out of memory");
  for (c = 0; c < MAXCP; c++)
    t2s[c] = c;
  for (c = 0x2E80; c < MAXCP; c++) {
    char in[8], *res;
    int32_t n = 0, i = 0;
    UBool bad = 0;
    UChar32 d;
    if ((c >= 0xD800 && c <= 0xDFFF) || !is_han(c))
      continue;
    U8_APPEND(in, n, 8, c, bad);
    (void)bad; /* c is a scalar value and 8 bytes are room enough */
    res = opencc_convert_utf8(od, in, (size_t)n);
    if (res == NULL)
      die(opencc_error());
    n = (int32_t)strlen(res);
    U8_NEXT(res, i, n, d);
    /* A character table maps one character to one; skip anything else. */
    if (d >= 0 && i == n && d != c) {
      t2s[c] = d;
      mapped++;
    }
    opencc_convert_utf8_free(res);
  }
  opencc_close(od);
  /* Chains (a→b→c) are followed to their end so that t2s is idempotent. */
  for (c = 0; c < MAXCP; c++) {
    int steps = 0;
    while (t2s[t2s[c]] != t2s[c]) {
      t2s[c] = t2s[t2s[c]];
      if (++steps > 8)
        die("cycle in OpenCC's t2s table");
    }
  }
  fprintf(stderr, "gen_fold_table: %ld OpenCC t2s character mappings\n",
          mapped);
}

/* The string pool: folded forms in UTF-8, each stored once. */
static unsigned char *pool;
static size_t pool_len, pool_cap;

static uint32_t pool_add(const unsigned char *s, size_t n)
{
  /* Reuse any earlier occurrence of the bytes (whole strings, but also
   * suffixes and infixes); first match wins, so the output is
   * deterministic. */
  const unsigned char *hit = pool_len ? memmem(pool, pool_len, s, n) : NULL;
  if (hit != NULL)
    return (uint32_t)(hit - pool);
  if (pool_len + n > pool_cap) {
    pool_cap = pool_cap ? pool_cap * 2 : 65536;
    pool = realloc(pool, pool_cap);
    if (pool == NULL)
      die("out of memory");
  }
  memcpy(pool + pool_len, s, n);
  pool_len += n;
  return (uint32_t)(pool_len - n);
}

static size_t to_utf8(const UChar32 *s, int n, unsigned char *out, size_t cap)
{
  int32_t k = 0, i;
  UBool bad = 0;
  for (i = 0; i < n; i++) {
    U8_APPEND(out, k, (int32_t)cap, s[i], bad);
    if (bad)
      die("folded form too long");
  }
  return (size_t)k;
}

static uint32_t *entry; /* entry[c] for every code point */

static void build_entries(void)
{
  UChar32 c;
  long changed = 0, dropped = 0, full = 0, multi = 0, inconsistent = 0;
  entry = calloc(MAXCP, sizeof *entry);
  if (entry == NULL)
    die("out of memory");
  for (c = 0; c < MAXCP; c++) {
    UChar32 out[MAXSTR];
    unsigned char u8[MAXSTR * 4];
    int n, rounds;
    uint32_t e = 0;
    if (c >= 0xD800 && c <= 0xDFFF)
      continue; /* never decoded: ill-formed UTF-8 */
    n = fold_fix(&c, 1, out, &rounds);
    if (rounds > 2)
      multi++;
    if (n == 0) {
      e = E_DROP;
      dropped++;
    } else if (n != 1 || out[0] != c) {
      size_t len = to_utf8(out, n, u8, sizeof u8);
      uint32_t off;
      if (len > E_LEN_MAX)
        die("folded form longer than 63 bytes");
      off = pool_add(u8, len);
      if (off > E_OFF_MAX)
        die("string pool too large");
      e = (uint32_t)len << E_LEN_SHIFT | off;
      changed++;
    }
    /* FULL when c can combine with what precedes it, or when its fold
     * brings in something that can (U+00B4 folds to U+0301). */
    {
      int i, needs = !unorm2_hasBoundaryBefore(nfkc, c);
      for (i = 0; i < n && !needs; i++)
        needs = !unorm2_hasBoundaryBefore(nfkc, out[i]);
      if (needs) {
        e |= E_FULL;
        full++;
      }
    }
    entry[c] = e;
  }
  /* Self-check: where a code point is folded per code point at run time,
   * folding its NFKC form per code point must give the same answer, or the
   * fast path and the full path would disagree. */
  for (c = 0; c < MAXCP; c++) {
    UChar32 one[MAXSTR], parts[MAXSTR * 4], d[MAXSTR], tmp[MAXSTR];
    int n, i, np = 0, rounds;
    if ((c >= 0xD800 && c <= 0xDFFF) || (entry[c] & E_FULL))
      continue;
    n = fold_fix(&c, 1, one, &rounds);
    {
      int m = nfkc_str(&c, 1, d);
      for (i = 0; i < m; i++) {
        int k = fold_fix(&d[i], 1, tmp, &rounds);
        memcpy(parts + np, tmp, sizeof *tmp * (size_t)k);
        np += k;
      }
    }
    if (np != n || memcmp(parts, one, sizeof *one * (size_t)n) != 0) {
      if (inconsistent < 10)
        fprintf(stderr, "gen_fold_table: U+%04X folds differently by parts\n",
                (unsigned)c);
      inconsistent++;
    }
  }
  fprintf(stderr,
          "gen_fold_table: %ld changed, %ld dropped, %ld need full NFKC, "
          "%ld needed 3+ rounds, %ld inconsistent; pool %zu bytes\n",
          changed, dropped, full, multi, inconsistent, pool_len);
  if (inconsistent)
    die("per-code-point folding is not consistent with NFKC");
}

static void emit(FILE *f)
{
  uint16_t stage1[NSTAGE1];
  uint32_t *blocks = malloc(sizeof *blocks * 65536);
  unsigned nblocks = 0, b, i, nastral = 0;
  UVersionInfo uv;
  char uvs[U_MAX_VERSION_STRING_LENGTH];
  UChar32 c;

  if (blocks == NULL)
    die("out of memory");
  for (b = 0; b < NSTAGE1; b++) {
    const uint32_t *blk = entry + b * BLK;
    unsigned k;
    for (k = 0; k < nblocks; k++)
      if (memcmp(blocks + k * BLK, blk, BLK * sizeof *blk) == 0)
        break;
    if (k == nblocks) {
      memcpy(blocks + k * BLK, blk, BLK * sizeof *blk);
      nblocks++;
    }
    stage1[b] = (uint16_t)k;
  }
  for (c = 0x10000; c < MAXCP; c++)
    if (entry[c])
      nastral++;

  u_getUnicodeVersion(uv);
  u_versionToString(uv, uvs);
  fprintf(f,
          "/* fold_table.inc - GENERATED by engine/gen/gen_fold_table.c; do "
          "not edit.\n"
          " * Sources: ICU %s (Unicode %s) NFKC, White_Space, script and case"
          ";\n"
          " * OpenCC %s t2s.json character conversions.\n"
          " *\n"
          " * Entry (uint32): bit 31 FULL (no NFKC boundary before: normalize\n"
          " * the whole name), bit 30 DROP (white space), bits 24-29 length "
          "in\n"
          " * bytes of the folded form, bits 0-23 its offset in fold_pool; "
          "an\n"
          " * entry without DROP and of length 0 means unchanged.\n"
          " * BMP: fold_stage2[fold_stage1[c >> %u] * %u + (c & %u)].\n"
          " * Above the BMP: fold_astral_cp (sorted) / fold_astral_entry.\n"
          " * Sizes: stage1 %u B, stage2 %u blocks = %u B, pool %zu B, "
          "astral %u entries = %u B.\n */\n",
          U_ICU_VERSION, uvs, CC_OPENCC_VERSION, SHIFT, BLK, BLK - 1,
          NSTAGE1 * 2u, nblocks, nblocks * BLK * 4u, pool_len, nastral,
          nastral * 8u);
  fprintf(f, "#define FOLD_SOURCES \"ICU %s, Unicode %s, OpenCC %s\"\n",
          U_ICU_VERSION, uvs, CC_OPENCC_VERSION);
  fprintf(f, "#define FOLD_SHIFT %u\n", SHIFT);
  fprintf(f, "#define FOLD_ASTRAL_COUNT %u\n\n", nastral);

  fprintf(f, "static const uint16_t fold_stage1[%u] = {", NSTAGE1);
  for (i = 0; i < NSTAGE1; i++)
    fprintf(f, "%s%u,", i % 16 ? " " : "\n  ", stage1[i]);
  fprintf(f, "\n};\n\nstatic const uint32_t fold_stage2[%u] = {",
          nblocks * BLK);
  for (i = 0; i < nblocks * BLK; i++)
    fprintf(f, "%s0x%08x,", i % 6 ? " " : "\n  ", blocks[i]);
  fprintf(f, "\n};\n\nstatic const unsigned char fold_pool[%zu] = {",
          pool_len ? pool_len : 1);
  for (i = 0; i < pool_len; i++)
    fprintf(f, "%s0x%02x,", i % 12 ? " " : "\n  ", pool[i]);
  if (pool_len == 0)
    fprintf(f, "0");
  fprintf(f, "\n};\n\nstatic const uint32_t fold_astral_cp[%u] = {",
          nastral ? nastral : 1);
  for (i = 0, c = 0x10000; c < MAXCP; c++)
    if (entry[c])
      fprintf(f, "%s0x%06x,", i++ % 6 ? " " : "\n  ", (unsigned)c);
  fprintf(f, "\n};\n\nstatic const uint32_t fold_astral_entry[%u] = {",
          nastral ? nastral : 1);
  for (i = 0, c = 0x10000; c < MAXCP; c++)
    if (entry[c])
      fprintf(f, "%s0x%08x,", i++ % 6 ? " " : "\n  ", entry[c]);
  fprintf(f, "\n};\n");
  free(blocks);
}

int main(int argc, char **argv)
{
  UErrorCode err = U_ZERO_ERROR;
  char tmp[4096];
  FILE *f;
  if (argc != 2)
    die("usage: gen_fold_table OUT.inc");
  nfkc = unorm2_getNFKCInstance(&err);
  if (U_FAILURE(err))
    die("no ICU NFKC instance");
  build_t2s();
  build_entries();
  if (snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]) >= (int)sizeof tmp)
    die("path too long");
  f = fopen(tmp, "w");
  if (f == NULL)
    die("cannot write the output");
  emit(f);
  if (fclose(f) != 0 || rename(tmp, argv[1]) != 0)
    die("cannot write the output");
  free(entry);
  free(t2s);
  free(pool);
  return 0;
}
