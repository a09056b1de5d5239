/* UTF-8 text (private): decoding, one definition for the name fold and the
 * pinyin keys, so that every name the fold accepts decodes the same way;
 * the length of a valid sequence for the JSON and CSV writers; the text
 * check of every roster cell; trimming a cell's blanks. */
#ifndef CC_UTF8_INTERNAL_H
#define CC_UTF8_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/*
 * Decodes one well-formed UTF-8 sequence at p (lead byte >= 0x80). Returns
 * its length (2-4) and the code point in *cp, or 0 when ill-formed
 * (truncated, overlong, a surrogate, above U+10FFFF).
 */
static inline size_t utf8_decode(const unsigned char *p,
                                 const unsigned char *end, uint32_t *cp)
{
  uint32_t c = p[0], min;
  size_t need, i;
  if (c >= 0xE0 && c <= 0xEF) {
    /* Three bytes, as nearly every Chinese character: decoded straight,
     * with the same checks as the general case below (three bytes cannot
     * pass U+10FFFF). */
    uint32_t c1, c2;
    if (end - p < 3)
      return 0;
    c1 = p[1];
    c2 = p[2];
    if ((c1 & 0xC0) != 0x80 || (c2 & 0xC0) != 0x80)
      return 0;
    c = (c & 0x0F) << 12 | (c1 & 0x3F) << 6 | (c2 & 0x3F);
    if (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))
      return 0;
    *cp = c;
    return 3;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1, min = 0x80, c &= 0x1F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3, min = 0x10000, c &= 0x07;
  } else {
    return 0;
  }
  if ((size_t)(end - p) <= need)
    return 0;
  for (i = 1; i <= need; i++) {
    if ((p[i] & 0xC0) != 0x80)
      return 0;
    c = (c << 6) | (p[i] & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
    return 0;
  *cp = c;
  return need + 1;
}

/* Length of the valid UTF-8 sequence at s (1-4; n >= 1 bytes there), or 0
 * when s does not start one (overlong, surrogate, past U+10FFFF, cut). */
static inline size_t utf8_seq(const unsigned char *s, size_t n)
{
  uint32_t cp;
  return s[0] < 0x80 ? 1 : utf8_decode(s, s + n, &cp);
}

/*
 * Trims the blanks SPEC 2.1 names around a cell: space, tab, CR (and LF
 * when `newline`: ingest keeps a quoted line break, the other readers of a
 * cell do not), and the U+3000 and U+00A0 that Excel exports carry.
 */
static inline void utf8_trim_blanks(const unsigned char **p, size_t *n,
                                    int newline)
{
  const unsigned char *s = *p;
  size_t k = *n;
#define CC_ASCII_BLANK(c)                                                      \
  ((c) == ' ' || (c) == '\t' || (c) == '\r' || (newline && (c) == '\n'))
  for (;;) {
    if (k >= 1 && CC_ASCII_BLANK(s[0]))
      s++, k--;
    else if (k >= 3 && s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80)
      s += 3, k -= 3;
    else if (k >= 2 && s[0] == 0xC2 && s[1] == 0xA0)
      s += 2, k -= 2;
    else
      break;
  }
  for (;;) {
    if (k >= 1 && CC_ASCII_BLANK(s[k - 1]))
      k--;
    else if (k >= 3 && s[k - 3] == 0xE3 && s[k - 2] == 0x80 && s[k - 1] == 0x80)
      k -= 3;
    else if (k >= 2 && s[k - 2] == 0xC2 && s[k - 1] == 0xA0)
      k -= 2;
    else
      break;
  }
#undef CC_ASCII_BLANK
  *p = s;
  *n = k;
}

/*
 * Cell text (ingest, docs/RULES.md "bad_text"): well-formed UTF-8 in the
 * sense of utf8_decode, no NUL (not text; the name fold refuses it) and no
 * U+FFFD (the mark of bytes lost in a conversion). All three are decided
 * in one pass, since ingest runs this over every byte of every roster.
 *
 * utf8_text_ok_scalar is the portable version; with SSE2, utf8_text_ok
 * checks 16 bytes a step. tests/check_ingest.c holds both to a plain
 * reference.
 */
static inline int utf8_text_ok_scalar(const unsigned char *s, size_t n)
{
  const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    if (c < 0x80) {
      if (c == 0)
        return 0;
      i++;
      /* Runs of ASCII eight bytes at a time. With no high bit set in w,
       * (w - ones) has a high bit exactly in the bytes that were zero,
       * so one test rules out both non-ASCII bytes and NUL. */
      while (n - i >= 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (((w | (w - ones)) & highs) != 0)
          break;
        i += 8;
      }
    } else if (c >= 0xE0 && c <= 0xEF) {
      /* Checked first: the bulk of Chinese text is three-byte sequences. */
      unsigned c1, c2;
      if (n - i < 3)
        return 0;
      c1 = s[i + 1];
      c2 = s[i + 2];
      if ((c1 & 0xC0) != 0x80 || (c2 & 0xC0) != 0x80 ||
          (c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) ||
          (c == 0xEF && c1 == 0xBF && c2 == 0xBD))
        return 0;
      i += 3;
    } else if (c >= 0xC2 && c <= 0xDF) {
      if (n - i < 2 || (s[i + 1] & 0xC0) != 0x80)
        return 0;
      i += 2;
    } else if (c >= 0xF0 && c <= 0xF4) {
      if (n - i < 4 || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 ||
          (s[i + 3] & 0xC0) != 0x80 || (c == 0xF0 && s[i + 1] < 0x90) ||
          (c == 0xF4 && s[i + 1] > 0x8F))
        return 0;
      i += 4;
    } else {
      return 0; /* a stray continuation byte, C0, C1 or F5-FF */
    }
  }
  return 1;
}

#ifdef __SSE2__
/*
 * Checks the 16 bytes q[0, 16) given the 3 bytes before them, q[-3, 0):
 * 1 when none of them breaks the rules above. The sequences may run
 * across either edge; the caller checks every byte once, in order.
 *
 * Rather than decoding, every position is tested on its own (SSE2 has no
 * byte shuffle, so no table lookups): a byte must be a continuation byte
 * (80-BF) exactly when one of the three before it announces one: q[-1]
 * >= C0, q[-2] >= E0 or q[-3] >= F0. That alone gives sequences their
 * length; what is left is the lead bytes that never occur (C0, C1,
 * F5-FF), the second bytes that make an overlong form, a surrogate or a
 * value past U+10FFFF (after E0, ED, F0, F4), NUL, and EF BF BD.
 */
#if defined(__GNUC__)
/* Inlined into the loop of utf8_text_ok, where its constants stay in
 * registers: as a call, ingest spent some 15% more instructions here. */
__attribute__((always_inline))
#endif
static inline int
utf8_block16_ok(const unsigned char *q)
{
  const __m128i zero = _mm_setzero_si128();
  __m128i cur = _mm_loadu_si128((const __m128i *)q);
  __m128i p3 = _mm_loadu_si128((const __m128i *)(q - 3));
  __m128i p1, p2, need, is_cont, bad, special;

  /* Pure ASCII from q[-3] on (cur | p3 covers q[-3, 16)): NUL is all
   * there is to look for. */
  if (_mm_movemask_epi8(_mm_or_si128(cur, p3)) == 0)
    return _mm_movemask_epi8(_mm_cmpeq_epi8(cur, zero)) == 0;

  p1 = _mm_loadu_si128((const __m128i *)(q - 1));
  p2 = _mm_loadu_si128((const __m128i *)(q - 2));
  /* Saturating subtraction leaves a non-zero byte exactly where the byte
   * before is >= C0, two before >= E0, three before >= F0. */
  need =
      _mm_or_si128(_mm_or_si128(_mm_subs_epu8(p1, _mm_set1_epi8((char)0xBF)),
                                _mm_subs_epu8(p2, _mm_set1_epi8((char)0xDF))),
                   _mm_subs_epu8(p3, _mm_set1_epi8((char)0xEF)));
  /* 80-BF are the signed bytes below -64 (C0). */
  is_cont = _mm_cmpgt_epi8(_mm_set1_epi8((char)0xC0), cur);
  /* An error where "is a continuation" equals "none is needed". */
  bad = _mm_cmpeq_epi8(is_cont, _mm_cmpeq_epi8(need, zero));
  /* C0, C1 and anything above F4. */
  bad = _mm_or_si128(
      bad, _mm_cmpeq_epi8(_mm_and_si128(cur, _mm_set1_epi8((char)0xFE)),
                          _mm_set1_epi8((char)0xC0)));
  bad = _mm_or_si128(bad, _mm_subs_epu8(cur, _mm_set1_epi8((char)0xF4)));
  bad = _mm_or_si128(bad, _mm_cmpeq_epi8(cur, zero));
  /* EF BF BD. */
  bad = _mm_or_si128(
      bad, _mm_and_si128(
               _mm_and_si128(_mm_cmpeq_epi8(p2, _mm_set1_epi8((char)0xEF)),
                             _mm_cmpeq_epi8(p1, _mm_set1_epi8((char)0xBF))),
               _mm_cmpeq_epi8(cur, _mm_set1_epi8((char)0xBD))));
  if (_mm_movemask_epi8(_mm_cmpeq_epi8(bad, zero)) != 0xFFFF)
    return 0;

  /* The second byte after E0, ED, F0 or F4 has a narrower range. Such
   * leads (U+0800-0FFF, U+D000-D7FF, astral planes) are rare in these
   * files, hence the early exit. Past this point a byte after one of
   * them is known to be 80-BF, and signed compares order that range. */
  {
    __m128i e0 = _mm_cmpeq_epi8(p1, _mm_set1_epi8((char)0xE0));
    __m128i ed = _mm_cmpeq_epi8(p1, _mm_set1_epi8((char)0xED));
    __m128i f0 = _mm_cmpeq_epi8(p1, _mm_set1_epi8((char)0xF0));
    __m128i f4 = _mm_cmpeq_epi8(p1, _mm_set1_epi8((char)0xF4));
    special = _mm_or_si128(_mm_or_si128(e0, ed), _mm_or_si128(f0, f4));
    if (_mm_movemask_epi8(special) == 0)
      return 1;
    /* E0 needs A0-BF, ED 80-9F, F0 90-BF, F4 80-8F. */
    bad = _mm_and_si128(e0, _mm_cmpgt_epi8(_mm_set1_epi8((char)0xA0), cur));
    bad = _mm_or_si128(
        bad, _mm_and_si128(ed, _mm_cmpgt_epi8(cur, _mm_set1_epi8((char)0x9F))));
    bad = _mm_or_si128(
        bad, _mm_and_si128(f0, _mm_cmpgt_epi8(_mm_set1_epi8((char)0x90), cur)));
    bad = _mm_or_si128(
        bad, _mm_and_si128(f4, _mm_cmpgt_epi8(cur, _mm_set1_epi8((char)0x8F))));
    return _mm_movemask_epi8(bad) == 0;
  }
}

/*
 * utf8_block16_ok on s[i, i + m), m <= 16, through a copy: the three bytes
 * before (spaces before the start of s) and spaces after. A space where a
 * continuation byte is needed makes a sequence cut by the end an error,
 * as it must be.
 */
static inline int utf8_block16_padded_ok(const unsigned char *s, size_t i,
                                         size_t m)
{
  unsigned char tmp[3 + 16];
  size_t k;
  memset(tmp, ' ', sizeof tmp);
  for (k = 1; k <= 3 && k <= i; k++)
    tmp[3 - k] = s[i - k];
  memcpy(tmp + 3, s + i, m);
  return utf8_block16_ok(tmp + 3);
}

static inline int utf8_text_ok(const unsigned char *s, size_t n)
{
  size_t i;
  /* The first block has no bytes before it in s, the last may be short:
   * both go through a padded copy. The last always does, even when empty,
   * so that a sequence cut by the end of s meets a space: hence n < 16,
   * not <= 16, for a single block. */
  if (n < 16)
    return utf8_block16_padded_ok(s, 0, n);
  if (!utf8_block16_padded_ok(s, 0, 16))
    return 0;
  for (i = 16; n - i >= 16; i += 16)
    if (!utf8_block16_ok(s + i))
      return 0;
  return utf8_block16_padded_ok(s, i, n - i);
}
#else
static inline int utf8_text_ok(const unsigned char *s, size_t n)
{
  return utf8_text_ok_scalar(s, n);
}
#endif

#endif
