/*
 * name_match.c - names compared by sound (the name field of the fuzzy tier).
 *
 * Owns cc_name_pinyin(), the toneless pinyin key of a folded name, and
 * cc_name_compare(), which calls two folded names equal (same bytes),
 * homophones (same key) or different. The key also goes into the fuzzy
 * tier's blocking key, so 张伟 and 张玮 born on one day land in one block.
 *
 * Where the readings come from: engine/gen/gen_pinyin_table.c runs at build
 * time, asks ICU's Han-Latin transliterator for the reading of every Han
 * ideograph below U+40000 (planes 0 to 3: the BMP blocks and extensions B
 * to H) and writes pinyin_table.inc (included below): a two-stage table of
 * 16-bit entries, 64 code points per block with identical blocks shared
 * (about 190 KB), whose entry holds a syllable index (one of some 420
 * toneless syllables), a HAN bit and a SURNAME bit. Surname readings (ICU's
 * Han-Latin/Names, corrected by the generator's lists from public sources)
 * sit in two small sorted arrays looked up only for the first character of
 * a name whose entry has the SURNAME bit.
 *
 * Algorithm: one pass over the bytes, decoding UTF-8 strictly, one table
 * lookup per code point, the syllable (at most 6 letters, kept in an 8-byte
 * slot) or the code point's own bytes copied out, a space written between a
 * Han character and its neighbours unless one of them is the middle dot.
 * cc_name_compare() builds both keys in stack buffers and compares them.
 *
 * Thread-safe without locks: the tables are const data; no allocation.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "chachong/name_match.h"
#include "error_internal.h"
#include "utf8_internal.h"

#include "pinyin_table.inc"

/* Entry bits (see the comment at the top of pinyin_table.inc). */
#define E_SURNAME 0x8000u
#define E_HAN 0x4000u
#define E_SYL 0x0FFFu

#define MIDDLE_DOT 0x00B7u

/* The bound CC_NAME_PINYIN_MAX rests on: a Han character (3 or 4 bytes)
 * writes its syllable or its own bytes plus at most two spaces, which
 * must be no more than 3 bytes of key per byte of name. */
_Static_assert(PINYIN_SYL_MAXLEN <= 7 && PINYIN_SYL_MAXLEN + 2 <= 9,
               "a syllable does not fit the key bound");
_Static_assert(PINYIN_SYL_COUNT <= E_SYL + 1, "syllable index overflow");

static inline unsigned pinyin_entry(uint32_t c)
{
  if (c >= PINYIN_LIMIT)
    return 0;
  return pinyin_stage2[((uint32_t)pinyin_stage1[c >> PINYIN_SHIFT]
                        << PINYIN_SHIFT) +
                       (c & ((1u << PINYIN_SHIFT) - 1))];
}

/* The surname reading of c (whose entry has E_SURNAME), or 0. */
static unsigned surname_syl(uint32_t c)
{
  size_t lo = 0, hi = PINYIN_SURNAME_COUNT;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (pinyin_surname_cp[mid] < c)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < PINYIN_SURNAME_COUNT && pinyin_surname_cp[lo] == c
             ? pinyin_surname_syl[lo]
             : 0;
}

/* The compound surname c1 c2: its row in pinyin_compound, or -1. */
static int compound_row(uint32_t c1, uint32_t c2)
{
  size_t lo = 0, hi = PINYIN_COMPOUND_COUNT;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const uint32_t *r = pinyin_compound[mid];
    if (r[0] < c1 || (r[0] == c1 && r[1] < c2))
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < PINYIN_COMPOUND_COUNT && pinyin_compound[lo][0] == c1 &&
      pinyin_compound[lo][1] == c2)
    return (int)lo;
  return -1;
}

/* Decodes the code point at p into *c; returns its length, 0 if invalid
 * (ill-formed or NUL). */
static inline size_t next_cp(const unsigned char *p, const unsigned char *end,
                             uint32_t *c)
{
  if (*p < 0x80) {
    *c = *p;
    return *p != 0;
  }
  return utf8_decode(p, end, c);
}

/* What the previous code point was, for the spaces. */
enum prev_kind { PREV_NONE, PREV_OTHER, PREV_HAN, PREV_DOT };

/* Outcomes of key(); the public function turns them into error codes. */
enum key_rc { KEY_OK = 0, KEY_BAD_UTF8 = 1, KEY_TOO_LONG = 2 };

typedef struct key_out {
  unsigned char *buf; /* caller's buffer */
  size_t len;         /* bytes written so far */
  size_t limit;       /* most bytes allowed: cap - 1 */
} key_out;

static inline int put_space(key_out *o)
{
  if (o->len >= o->limit)
    return KEY_TOO_LONG;
  o->buf[o->len++] = ' ';
  return KEY_OK;
}

static inline int put_bytes(key_out *o, const unsigned char *s, size_t n)
{
  size_t i;
  if (n > o->limit - o->len)
    return KEY_TOO_LONG;
  /* A code point is 1-4 bytes: a byte loop beats a call to memcpy. */
  for (i = 0; i < n; i++)
    o->buf[o->len + i] = s[i];
  o->len += n;
  return KEY_OK;
}

static inline int put_syl(key_out *o, unsigned syl)
{
  const char *s = pinyin_syl[syl];
  size_t n = (unsigned char)s[7];
  if (o->limit - o->len >= 8) {
    /* The whole 8-byte slot in one store; the bytes past n are
     * overwritten by what follows or cut by the final NUL. */
    memcpy(o->buf + o->len, s, 8);
    o->len += n;
    return KEY_OK;
  }
  return put_bytes(o, (const unsigned char *)s, n);
}

/* A Han character (syllable syl, 0 if none; bytes src[0..n)) after a
 * code point of kind prev: the space if one is due, then the syllable or
 * the bytes. */
static inline int put_han(key_out *o, enum prev_kind prev, unsigned syl,
                          const unsigned char *src, size_t n)
{
  int rc = KEY_OK;
  if (prev == PREV_HAN || prev == PREV_OTHER)
    rc = put_space(o);
  if (rc != KEY_OK)
    return rc;
  return syl != 0 ? put_syl(o, syl) : put_bytes(o, src, n);
}

/*
 * The first character c of a name (entry e), followed by the bytes
 * p[0..end): a compound surname gives both readings and *used says how
 * many bytes of p its second character took; otherwise the surname
 * reading of c, if it has one, replaces the syllable of e.
 */
static int put_surname(key_out *o, uint32_t c, unsigned e,
                       const unsigned char *src, size_t n,
                       const unsigned char *p, const unsigned char *end,
                       size_t *used)
{
  uint32_t c2 = 0;
  size_t n2 = p < end ? next_cp(p, end, &c2) : 0;
  int row = n2 != 0 ? compound_row(c, c2) : -1, rc;
  unsigned s;

  *used = 0;
  if (row >= 0) {
    /* The compound wins: 单于 "chan yu", not 单 "shan" + 于. */
    rc = put_syl(o, pinyin_compound[row][2]);
    if (rc == KEY_OK)
      rc = put_space(o);
    if (rc == KEY_OK)
      rc = put_syl(o, pinyin_compound[row][3]);
    *used = n2;
    return rc;
  }
  s = surname_syl(c);
  return put_han(o, PREV_NONE, s != 0 ? s : e & E_SYL, src, n);
}

/*
 * The key of in[0..len) into o (NUL not written). The contract is that of
 * cc_name_pinyin(); returns a key_rc, with *at the byte offset of bad
 * UTF-8.
 */
static int key(key_out *o, const char *in, size_t len, size_t *at)
{
  const unsigned char *p = (const unsigned char *)in;
  const unsigned char *end = len ? p + len : p; /* NULL + 0 is UB */
  enum prev_kind prev = PREV_NONE;
  int rc = KEY_OK;

  while (p < end && rc == KEY_OK) {
    const unsigned char *start = p;
    uint32_t c;
    unsigned e;
    size_t n = next_cp(p, end, &c), used = 0;
    if (n == 0) {
      *at = (size_t)(p - (const unsigned char *)in);
      return KEY_BAD_UTF8;
    }
    p += n;
    e = pinyin_entry(c);
    if (!(e & E_HAN)) {
      /* Latin, digits, the middle dot, anything else: as it is; a space
       * only after a Han character and not before the dot. */
      if (prev == PREV_HAN && c != MIDDLE_DOT)
        rc = put_space(o);
      if (rc == KEY_OK)
        rc = put_bytes(o, start, n);
      prev = c == MIDDLE_DOT ? PREV_DOT : PREV_OTHER;
    } else if ((e & E_SURNAME) && prev == PREV_NONE) {
      rc = put_surname(o, c, e, start, n, p, end, &used);
      p += used;
      prev = PREV_HAN;
    } else {
      rc = put_han(o, prev, e & E_SYL, start, n);
      prev = PREV_HAN;
    }
  }
  return rc;
}

/* The contract is in name_match.h. */
int cc_name_pinyin(char *out, size_t cap, size_t *out_len, const char *folded,
                   size_t len)
{
  key_out o;
  size_t at = 0;
  int rc;

  assert(out != NULL || cap == 0);
  assert(out_len != NULL);
  assert(folded != NULL || len == 0);
  *out_len = 0;
  if (cap == 0)
    return cc_error_set(CC_ENOMEM, "no room for a pinyin key");
  o.buf = (unsigned char *)out;
  o.len = 0;
  o.limit = cap - 1;
  rc = key(&o, folded, len, &at);
  if (rc != KEY_OK) {
    out[0] = '\0';
    if (rc == KEY_BAD_UTF8)
      return cc_error_set(CC_EINVALID, "name is not valid UTF-8 (byte %zu)",
                          at);
    return cc_error_set(CC_ENOMEM, "pinyin key longer than %zu bytes",
                        o.limit);
  }
  out[o.len] = '\0';
  *out_len = o.len;
  return 0;
}

/* The contract is in name_match.h. */
cc_name_relation cc_name_compare(const char *a, size_t alen, const char *b,
                                 size_t blen)
{
  unsigned char ka[CC_NAME_PINYIN_MAX], kb[CC_NAME_PINYIN_MAX];
  key_out oa = {ka, 0, sizeof ka}, ob = {kb, 0, sizeof kb};
  size_t at;

  assert(a != NULL || alen == 0);
  assert(b != NULL || blen == 0);
  if (alen == blen && (alen == 0 || memcmp(a, b, alen) == 0))
    return CC_NAME_EQUAL;
  /* key() writes no NUL, so the buffers need no room for one. */
  if (key(&oa, a, alen, &at) != KEY_OK)
    return CC_NAME_DIFFERENT;
  if (key(&ob, b, blen, &at) != KEY_OK)
    return CC_NAME_DIFFERENT;
  return oa.len == ob.len && memcmp(ka, kb, oa.len) == 0 ? CC_NAME_HOMOPHONE
                                                         : CC_NAME_DIFFERENT;
}
