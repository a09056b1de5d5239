/*
 * normalize_name.c - the folded form of a registered name (SPEC 2.2).
 *
 * Owns cc_name_fold(): NFKC, white space removed, middle-dot variants to
 * U+00B7, traditional characters to simplified (OpenCC's character table),
 * Latin letters upper-cased. Folding is for comparison only (id_conflict,
 * fuzzy tier); outputs always show the name as registered.
 *
 * Where the answers come from: engine/gen/gen_fold_table.c runs at build
 * time, asks ICU and OpenCC what every code point folds to, and writes
 * fold_table.inc (included below): a two-stage table for the BMP, 32 code
 * points per block with identical blocks shared (about 140 KB with the
 * string pool), and a sorted list for the 2,500 code points above the BMP
 * that change (mathematical letters, CJK compatibility ideographs, ...).
 * Each entry says "unchanged", "drop" (white space) or "replace by these
 * UTF-8 bytes of the pool", plus a FULL flag. The library therefore never
 * loads OpenCC.
 *
 * Algorithm: one pass over the bytes, decoding UTF-8 strictly, one table
 * lookup per code point, copying bytes out. This per-code-point fold equals
 * the whole-string fold only when every code point has an NFKC boundary
 * before it. Code points that lack one (combining marks, conjoining Hangul
 * jamo) or fold to one (U+00B4 to U+0301) carry the FULL flag: a name
 * holding one is normalized as a whole by ICU (UTF-16, unorm2_normalize),
 * the table is applied to the NFKC text, and the two repeat until the text
 * stops changing (white space removed between a letter and its mark lets
 * them compose), so folding is idempotent. Such names are rare.
 *
 * Thread-safe without locks: the tables are const data and ICU's NFKC
 * instance is immutable once created (ICU creates it once, thread-safely).
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "chachong/normalize_name.h"
#include "error_internal.h"
#include "utf8_internal.h"

#include "fold_table.inc"

/* Entry bits (see the comment at the top of fold_table.inc). */
#define E_FULL 0x80000000u
#define E_DROP 0x40000000u
#define E_LEN(e) (((e) >> 24) & 0x3Fu)
#define E_OFF(e) ((e)&0xFFFFFFu)

/* UTF-16 buffers of the full path that live on the stack; longer names
 * (only possible with runs of white space or marks) use the heap. */
#define STACK_UNITS 512

static uint32_t astral_entry(uint32_t c)
{
  size_t lo = 0, hi = FOLD_ASTRAL_COUNT;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (fold_astral_cp[mid] < c)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < FOLD_ASTRAL_COUNT && fold_astral_cp[lo] == c
             ? fold_astral_entry[lo]
             : 0;
}

static inline uint32_t fold_entry(uint32_t c)
{
  if (c < 0x10000)
    return fold_stage2[((uint32_t)fold_stage1[c >> FOLD_SHIFT] << FOLD_SHIFT) +
                       (c & ((1u << FOLD_SHIFT) - 1))];
  return astral_entry(c);
}

static size_t utf8_encode(uint32_t c, unsigned char *o)
{
  if (c < 0x80) {
    o[0] = (unsigned char)c;
    return 1;
  }
  if (c < 0x800) {
    o[0] = (unsigned char)(0xC0 | c >> 6);
    o[1] = (unsigned char)(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    o[0] = (unsigned char)(0xE0 | c >> 12);
    o[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
    o[2] = (unsigned char)(0x80 | (c & 0x3F));
    return 3;
  }
  o[0] = (unsigned char)(0xF0 | c >> 18);
  o[1] = (unsigned char)(0x80 | (c >> 12 & 0x3F));
  o[2] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
  o[3] = (unsigned char)(0x80 | (c & 0x3F));
  return 4;
}

/* Output under construction: bytes beyond `limit` are counted, not
 * written, so an overlong name is reported once at the end. */
typedef struct fold_out {
  unsigned char *buf; /* caller's buffer */
  size_t len;         /* bytes produced so far (may exceed limit) */
  size_t limit;       /* most bytes allowed: min(cap - 1, CC_NAME_MAX) */
} fold_out;

static inline void out_put(fold_out *o, const unsigned char *s, size_t n)
{
  if (o->len + n <= o->limit) {
    unsigned char *d = o->buf + o->len;
    size_t i;
    /* A code point is 1-4 bytes: a byte loop beats a call to memcpy. */
    for (i = 0; i < n; i++)
      d[i] = s[i];
  }
  o->len += n;
}

/* Appends the fold of code point c, whose UTF-8 bytes are src[0..n). */
static inline void out_fold(fold_out *o, uint32_t e, const unsigned char *src,
                            size_t n)
{
  if (e & E_DROP)
    return;
  if (E_LEN(e) == 0)
    out_put(o, src, n);
  else
    out_put(o, fold_pool + E_OFF(e), E_LEN(e));
}

static int finish(fold_out *o, char *out, size_t cap, size_t *out_len)
{
  if (o->len > o->limit) {
    if (cap > 0)
      out[0] = '\0';
    *out_len = 0;
    return cc_error_set(CC_ENOMEM, "folded name is %zu bytes, more than %zu",
                        o->len, o->limit);
  }
  if (o->len == 0) {
    out[0] = '\0';
    *out_len = 0;
    return cc_error_set(CC_EINVALID, "name is empty after folding");
  }
  out[o->len] = '\0';
  *out_len = o->len;
  return 0;
}

/*
 * A scratch buffer that starts on the stack and moves to the heap when a
 * round needs more; its contents are not kept across a move.
 */
typedef struct scratch {
  void *buf;   /* the stack array or a heap block */
  size_t cap;  /* capacity in elements */
  void *stack; /* the stack array, never freed */
  size_t elem; /* element size */
} scratch;

static int scratch_need(scratch *s, size_t n)
{
  void *p;
  if (n <= s->cap)
    return 0;
  if (n > INT32_MAX / 4)
    return cc_error_set(CC_ENOMEM, "name of %zu units is too long", n);
  p = malloc(n * s->elem);
  if (p == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory folding a name");
  if (s->buf != s->stack)
    free(s->buf);
  s->buf = p;
  s->cap = n;
  return 0;
}

static void scratch_dispose(scratch *s)
{
  if (s->buf != s->stack)
    free(s->buf);
}

/* The table applied to each code point of UTF-16 text, FULL flags
 * ignored. Writes at most cap bytes; returns the bytes needed. */
static size_t table_pass(const UChar *s, int32_t n, unsigned char *t,
                         size_t cap, int *has_full)
{
  size_t k = 0;
  int32_t i;
  *has_full = 0;
  for (i = 0; i < n;) {
    unsigned char u8[4];
    const unsigned char *bytes;
    uint32_t c = s[i++], e;
    size_t m;
    if (c >= 0xD800 && c <= 0xDBFF && i < n && s[i] >= 0xDC00 && s[i] <= 0xDFFF)
      c = 0x10000 + ((c - 0xD800) << 10) + (s[i++] - 0xDC00u);
    e = fold_entry(c);
    if (e & E_DROP)
      continue;
    if (e & E_FULL)
      *has_full = 1;
    if (E_LEN(e) == 0) {
      m = utf8_encode(c, u8);
      bytes = u8;
    } else {
      m = E_LEN(e);
      bytes = fold_pool + E_OFF(e);
    }
    if (k + m <= cap)
      memcpy(t + k, bytes, m);
    k += m;
  }
  return k;
}

/* Rounds of the full path before giving up on a fixed point; two suffice
 * for every case we know (white space removed between a letter and its
 * combining mark, then composed). */
#define FULL_ROUNDS 4

/*
 * The full path: NFKC of the whole name by ICU, then the table on each
 * code point of the result. Removing white space (e + ' ' + U+0301) or a
 * table output (U+00B4 gives U+0301) can bring together what NFKC would
 * compose, so rounds repeat until the text no longer changes and folding
 * stays idempotent. `in` is known to be well-formed UTF-8 without NUL.
 */
static int fold_full(fold_out *o, const char *in, size_t len)
{
  UChar s16[STACK_UNITS], d16[STACK_UNITS * 2];
  unsigned char a8[STACK_UNITS * 2], b8[STACK_UNITS * 2];
  scratch src = {s16, STACK_UNITS, s16, sizeof(UChar)};
  scratch dst = {d16, STACK_UNITS * 2, d16, sizeof(UChar)};
  /* Each round writes one text buffer and reads the other's last round. */
  scratch txt[2] = {{a8, sizeof a8, a8, 1}, {b8, sizeof b8, b8, 1}};
  scratch *t = &txt[0];
  const char *cur = in;
  size_t curlen = len, tlen = 0;
  UErrorCode err = U_ZERO_ERROR;
  const UNormalizer2 *nfkc = unorm2_getNFKCInstance(&err);
  int rc = 0, round;

  if (U_FAILURE(err))
    return cc_error_set(CC_ERROR, "ICU NFKC unavailable: %s", u_errorName(err));
  for (round = 0; round < FULL_ROUNDS; round++) {
    int32_t slen = 0, dlen;
    int has_full;
    t = &txt[round & 1];
    /* UTF-8 never needs more UTF-16 units than bytes. */
    rc = scratch_need(&src, curlen);
    if (rc != 0)
      goto done;
    u_strFromUTF8(src.buf, (int32_t)src.cap, &slen, cur, (int32_t)curlen, &err);
    if (U_FAILURE(err)) {
      rc = cc_error_set(CC_EINVALID, "name is not valid UTF-8");
      goto done;
    }
    dlen =
        unorm2_normalize(nfkc, src.buf, slen, dst.buf, (int32_t)dst.cap, &err);
    if (err == U_BUFFER_OVERFLOW_ERROR) {
      /* NFKC can expand up to 18 times (U+FDFA); size it exactly. */
      err = U_ZERO_ERROR;
      rc = scratch_need(&dst, (size_t)dlen);
      if (rc != 0)
        goto done;
      dlen = unorm2_normalize(nfkc, src.buf, slen, dst.buf, (int32_t)dst.cap,
                              &err);
    }
    if (U_FAILURE(err)) {
      rc = cc_error_set(CC_ERROR, "ICU NFKC failed: %s", u_errorName(err));
      goto done;
    }
    err = U_ZERO_ERROR; /* drop U_STRING_NOT_TERMINATED_WARNING */
    tlen = table_pass(dst.buf, dlen, t->buf, t->cap, &has_full);
    if (tlen > t->cap) {
      rc = scratch_need(t, tlen);
      if (rc != 0)
        goto done;
      tlen = table_pass(dst.buf, dlen, t->buf, t->cap, &has_full);
    }
    if (!has_full || (tlen == curlen && memcmp(t->buf, cur, tlen) == 0))
      break;
    cur = t->buf;
    curlen = tlen;
  }
  out_put(o, t->buf, tlen);

done:
  scratch_dispose(&src);
  scratch_dispose(&dst);
  scratch_dispose(&txt[0]);
  scratch_dispose(&txt[1]);
  return rc;
}

/* The contract is in normalize_name.h. The fast path below writes into
 * `out` as it goes; a FULL code point discards that and starts over. */
int cc_name_fold(char *out, size_t cap, size_t *out_len, const char *in,
                 size_t len)
{
  const unsigned char *p = (const unsigned char *)in;
  const unsigned char *end = len ? p + len : p; /* NULL + 0 is UB */
  fold_out o;
  int full = 0;

  assert(out != NULL || cap == 0);
  assert(out_len != NULL);
  assert(in != NULL || len == 0);
  o.buf = (unsigned char *)out;
  o.len = 0;
  o.limit = cap == 0 ? 0 : cap - 1 < CC_NAME_MAX ? cap - 1 : CC_NAME_MAX;
  *out_len = 0;
  if (cap == 0)
    return cc_error_set(CC_ENOMEM, "no room for a folded name");

  while (p < end) {
    const unsigned char *start = p;
    uint32_t c = *p, e;
    if (c < 0x80) {
      /* NUL would cut the NUL-terminated result short: not text. */
      if (c == 0)
        goto bad_utf8;
      p++;
    } else {
      size_t n = utf8_decode(p, end, &c);
      if (n == 0)
        goto bad_utf8;
      p += n;
    }
    e = fold_entry(c);
    if (e & E_FULL)
      full = 1; /* finish validating, then take the full path */
    if (!full)
      out_fold(&o, e, start, (size_t)(p - start));
  }
  if (full) {
    int rc;
    o.len = 0;
    rc = fold_full(&o, in, len);
    if (rc != 0) {
      out[0] = '\0';
      return rc;
    }
  }
  return finish(&o, out, cap, out_len);

bad_utf8:
  out[0] = '\0';
  return cc_error_set(CC_EINVALID, "name is not valid UTF-8 (byte %zu)",
                      (size_t)(p - (const unsigned char *)in));
}
