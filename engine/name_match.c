/*
 * name_match.c - names compared by sound (the name field of the fuzzy tier).
 *
 * Owns cc_name_pinyin(), the toneless pinyin key of a folded name read by
 * the primary reading of each character; cc_name_pinyin_keys(), the keys of
 * its other readings for blocking; and cc_name_compare(), which calls two
 * folded names equal (same bytes), homophones (every position shares a
 * reading) or different.
 *
 * Where the readings come from: engine/gen/gen_pinyin_table.c runs at build
 * time, reads Unihan's readings (kMandarin, the modern dictionaries
 * kTGHZ2013 and kXHC1983, kHanyuPinyin for characters they lack; ICU's
 * Han-Latin where Unihan has none), drops neutral tones, restricts the
 * heteronyms of given names to the readings names use (its name list) and
 * writes pinyin_table.inc (included below): a two-stage table of 16-bit
 * entries, 64 code points per block with identical blocks shared, whose
 * entry holds a reading code, a HAN bit and a SURNAME bit. A reading code
 * is the index of the character's one syllable (among some 420 toneless
 * syllables) or, with its MULTI bit, the index of a reading set: up to
 * PINYIN_READINGS (4) syllable indexes, primary first (about 4,500
 * characters, most of them rare). Surname readings (the generator's lists,
 * then ICU's Han-Latin/Names) sit in two small sorted arrays looked up only
 * for the first character of a name whose entry has the SURNAME bit;
 * compound surnames (尉迟, 拓跋) in a third.
 *
 * Algorithm: a walker decodes a name strictly and yields its positions one
 * by one: the code point, its bytes and its reading code (the surname's
 * at the first position; both characters of a compound surname, each with
 * its one reading). The key writes each position's chosen syllable, or its own
 * bytes when it has no reading, with a space between a Han character and
 * its neighbours unless one of them is the middle dot. The comparison walks
 * both names in step and stops at the first position whose readings share
 * no syllable (one compare of the codes for characters of one reading; at
 * most 16 of small integers for two sets); positions without readings must
 * be the same code point. The walker, the position and the key writer are
 * inlined by force, and the surname look-up kept out of line, so that the
 * walk stays in registers: cc_name_pinyin() costs no more than with the
 * one-reading table it replaced (bench/RESULTS.md).
 *
 * Thread-safe without locks: the tables are const data; no allocation.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

/* Inlined: a name's keys are hashed for every record of the run, where a
 * call into the shared library costs as much as the hash of a few bytes. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "chachong/name_match.h"
#include "error_internal.h"
#include "utf8_internal.h"

#include "pinyin_table.inc"

/* Entry bits (see the comment at the top of pinyin_table.inc). */
#define E_SURNAME 0x8000u
#define E_HAN 0x4000u
#define E_CODE 0x3FFFu
/* A reading code: 0 = no reading; without R_MULTI the one syllable index,
 * with it (two or more readings) an index into pinyin_set. */
#define R_MULTI 0x2000u
#define R_INDEX 0x1FFFu

#define MIDDLE_DOT 0x00B7u

/* The bound CC_NAME_PINYIN_MAX rests on: a Han character (3 or 4 bytes)
 * writes its syllable or its own bytes plus at most two spaces, which
 * must be no more than 3 bytes of key per byte of name. */
_Static_assert(PINYIN_SYL_MAXLEN <= 7 && PINYIN_SYL_MAXLEN + 2 <= 9,
               "a syllable does not fit the key bound");
_Static_assert(PINYIN_SET_COUNT <= R_INDEX + 1, "reading-set index overflow");
_Static_assert(PINYIN_SYL_COUNT <= R_MULTI, "syllable index overflow");
_Static_assert(PINYIN_READINGS == 4, "a reading set is 4 syllables");

static inline unsigned pinyin_entry(uint32_t c)
{
  if (c >= PINYIN_LIMIT)
    return 0;
  return pinyin_stage2[((uint32_t)pinyin_stage1[c >> PINYIN_SHIFT]
                        << PINYIN_SHIFT) +
                       (c & ((1u << PINYIN_SHIFT) - 1))];
}

/* The surname reading code of c (whose entry has E_SURNAME), or 0. */
static unsigned surname_code(uint32_t c)
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
             ? pinyin_surname_code[lo]
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

/* ------------------------------------------------------------------ */
/* Positions. */

/* One position of a name: a code point, where its bytes are, and its
 * readings. */
typedef struct pos {
  uint32_t cp;
  unsigned code;            /* reading code; 0 = none: compare cp */
  unsigned han;             /* a Han character (for the spaces) */
  const unsigned char *src; /* its bytes */
  size_t n;
} pos;

/* Walks a name position by position. */
typedef struct walker {
  const unsigned char *p, *end, *start;
  int first;        /* no position yielded yet */
  unsigned pending; /* the reading code of the next character, the
                        second of a compound surname; 0 = none */
} walker;

enum { W_END = 0, W_POS = 1, W_BAD = -1 };

static inline void walk_init(walker *w, const char *s, size_t len)
{
  w->start = (const unsigned char *)s;
  w->p = w->start;
  w->end = len ? w->p + len : w->p; /* NULL + 0 is UB */
  w->first = 1;
  w->pending = 0;
}

/*
 * The reading code of the first character c of a name as a surname, p[0..
 * end) being what follows: when c and the next character are a compound
 * surname, c's code in it, and the next character's in *code2; otherwise
 * c's surname reading (0 if it has none: then its plain one stands), *code2
 * untouched. Out of line, and without the walker's address, so that the
 * walker stays in registers: it runs once per name at most.
 */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static unsigned
surname_reading(uint32_t c, const unsigned char *p, const unsigned char *end,
                unsigned *code2)
{
  uint32_t c2 = 0;
  size_t n = p < end ? next_cp(p, end, &c2) : 0;
  int row = n != 0 ? compound_row(c, c2) : -1;
  if (row >= 0) {
    /* The compound wins: 单于 "chan yu", not 单 "shan" + 于. */
    *code2 = pinyin_compound[row][3];
    return pinyin_compound[row][2];
  }
  return surname_code(c);
}

/*
 * The next position into *o, read plainly (no surname, nothing queued),
 * its table entry into *entry: W_POS, W_END at the end, W_BAD on bad
 * UTF-8 (w->p then points at it).
 */
#if defined(__GNUC__)
__attribute__((always_inline)) /* the inner loop of every function here */
#endif
static inline int
walk_plain(walker *w, pos *o, unsigned *entry)
{
  uint32_t c;
  unsigned e;
  size_t n;
  if (w->p >= w->end)
    return W_END;
  n = next_cp(w->p, w->end, &c);
  if (n == 0)
    return W_BAD;
  e = pinyin_entry(c);
  o->cp = c;
  o->code = e & E_CODE;
  o->han = (e & E_HAN) != 0;
  o->src = w->p;
  o->n = n;
  w->p += n;
  *entry = e;
  return W_POS;
}

/*
 * The next position, as walk_plain() but the first position takes the
 * surname reading of its character, or, when the first two characters are
 * a compound surname, the first one's reading, and the next position the
 * second's. Once w->first and w->pending are both 0, walk_plain() is the
 * same.
 */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int
walk_next(walker *w, pos *o)
{
  unsigned e = 0;
  int r;
  if (w->pending != 0) {
    r = walk_plain(w, o, &e); /* a Han character: the compound matched */
    o->code = w->pending;
    w->pending = 0;
    return r;
  }
  r = walk_plain(w, o, &e);
  if (w->first) {
    w->first = 0;
    if (r == W_POS && (e & E_SURNAME)) {
      unsigned code2 = 0; /* not &w->pending: w stays in registers */
      unsigned code = surname_reading(o->cp, w->p, w->end, &code2);
      if (code != 0)
        o->code = code;
      w->pending = code2;
    }
  }
  return r;
}

/* Do two positions share a reading (or, without readings, a code point)? */
static inline int pos_share(const pos *a, const pos *b)
{
  const uint16_t *x, *y;
  uint16_t one_a, one_b;
  unsigned i, j;
  if (a->code == b->code)
    return a->code != 0 || a->cp == b->cp;
  if (a->code == 0 || b->code == 0 || !((a->code | b->code) & R_MULTI))
    return 0; /* no reading on one side, or two single syllables */
  one_a = (uint16_t)a->code;
  one_b = (uint16_t)b->code;
  x = a->code & R_MULTI ? pinyin_set[a->code & R_INDEX] : &one_a;
  y = b->code & R_MULTI ? pinyin_set[b->code & R_INDEX] : &one_b;
  for (i = 0; i < PINYIN_READINGS && x[i] != 0; i++) {
    for (j = 0; j < PINYIN_READINGS && y[j] != 0; j++) {
      if (x[i] == y[j])
        return 1;
      if (y == &one_b)
        break;
    }
    if (x == &one_a)
      break;
  }
  return 0;
}

/* The syllable in slot k of a reading code (0 past the last). */
static inline unsigned code_syl(unsigned code, unsigned k)
{
  if (code & R_MULTI)
    return pinyin_set[code & R_INDEX][k];
  return k == 0 ? code : 0;
}

/* How many readings a code has. */
static inline unsigned code_size(unsigned code)
{
  unsigned k = 0;
  if (!(code & R_MULTI))
    return code != 0;
  while (k < PINYIN_READINGS && pinyin_set[code & R_INDEX][k] != 0)
    k++;
  return k;
}

/* ------------------------------------------------------------------ */
/* Keys. */

/* What the previous code point was, for the spaces. */
enum prev_kind { PREV_NONE, PREV_OTHER, PREV_HAN, PREV_DOT };

/* Outcomes of key(); the public functions turn them into error codes. */
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

/* Position p after a code point of kind *prev, read by its syllable syl
 * (0: its own bytes): the space if one is due, then the text. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int
put_pos(key_out *o, enum prev_kind *prev, const pos *p, unsigned syl)
{
  int rc = KEY_OK;
  if (p->han) {
    if (*prev == PREV_HAN || *prev == PREV_OTHER)
      rc = put_space(o);
    if (rc == KEY_OK)
      rc = syl != 0 ? put_syl(o, syl) : put_bytes(o, p->src, p->n);
    *prev = PREV_HAN;
    return rc;
  }
  /* Latin, digits, the middle dot, anything else: as it is; a space only
   * after a Han character and not before the dot. */
  if (*prev == PREV_HAN && p->cp != MIDDLE_DOT)
    rc = put_space(o);
  if (rc == KEY_OK)
    rc = put_bytes(o, p->src, p->n);
  *prev = p->cp == MIDDLE_DOT ? PREV_DOT : PREV_OTHER;
  return rc;
}

/* A choice of other than the primary reading at up to two positions. */
typedef struct combo {
  unsigned at[2];   /* position ordinals; ~0u = unused */
  unsigned slot[2]; /* reading slot at that position */
} combo;

static const combo PRIMARY = {{~0u, ~0u}, {0, 0}};

/*
 * The key of in[0..len) into o (NUL not written), each position read by
 * its primary reading except where cb (NULL: nowhere) says otherwise. The contract is that
 * of cc_name_pinyin(); returns a key_rc, with *at the byte offset of bad
 * UTF-8.
 */
#if defined(__GNUC__)
__attribute__((always_inline)) /* one copy with cb NULL, the fast one */
#endif
static inline int
key(key_out *o, const char *in, size_t len, const combo *cb, size_t *at)
{
  walker w;
  pos p;
  enum prev_kind prev = PREV_NONE;
  unsigned ord = 0, e;
  int rc = KEY_OK, r;

  walk_init(&w, in, len);
  /* walk_next() for the surname (one or two positions), then the lean
   * walk_plain() for the rest. */
  for (r = walk_next(&w, &p); rc == KEY_OK && r == W_POS;
       r = w.pending != 0 ? walk_next(&w, &p) : walk_plain(&w, &p, &e)) {
    unsigned slot = cb == NULL         ? 0
                    : ord == cb->at[0] ? cb->slot[0]
                    : ord == cb->at[1] ? cb->slot[1]
                                       : 0;
    rc = put_pos(o, &prev, &p, code_syl(p.code, slot));
    ord++;
  }
  if (rc == KEY_OK && r == W_BAD) {
    *at = (size_t)(w.p - w.start);
    return KEY_BAD_UTF8;
  }
  return rc;
}

/* The error of a key_rc, as cc_error_set() returns it. */
static int key_error(int rc, size_t at, size_t limit)
{
  if (rc == KEY_BAD_UTF8)
    return cc_error_set(CC_EINVALID, "name is not valid UTF-8 (byte %zu)", at);
  return cc_error_set(CC_ENOMEM, "pinyin key longer than %zu bytes", limit);
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
  rc = key(&o, folded, len, NULL, &at);
  if (rc != KEY_OK) {
    out[0] = '\0';
    return key_error(rc, at, o.limit);
  }
  out[o.len] = '\0';
  *out_len = o.len;
  return 0;
}

/*
 * The combinations whose keys cc_name_pinyin_keys() returns, into cb:
 * all of them when there are at most CC_NAME_PINYIN_KEYS_MAX (then at most
 * two positions have more than one reading), else the primary one and
 * those that change one position, left to right (*capped set). Returns
 * the count, or W_BAD on bad UTF-8 (*at set).
 */
static int combos(combo cb[CC_NAME_PINYIN_KEYS_MAX], int *capped,
                  const char *in, size_t len, size_t *at)
{
  walker w;
  pos p;
  unsigned ord = 0, nmulti = 0, product = 1, n = 1, i;
  unsigned mord[CC_NAME_PINYIN_KEYS_MAX], msize[CC_NAME_PINYIN_KEYS_MAX];
  int r;

  walk_init(&w, in, len);
  while ((r = walk_next(&w, &p)) == W_POS) {
    unsigned k = code_size(p.code);
    if (k > 1) {
      if (nmulti < CC_NAME_PINYIN_KEYS_MAX) {
        mord[nmulti] = ord;
        msize[nmulti] = k;
      }
      nmulti++;
      product = product > CC_NAME_PINYIN_KEYS_MAX ? product : product * k;
    }
    ord++;
  }
  if (r == W_BAD) {
    *at = (size_t)(w.p - w.start);
    return W_BAD;
  }
  cb[0] = PRIMARY;
  *capped = product > CC_NAME_PINYIN_KEYS_MAX;
  if (!*capped && nmulti == 2) {
    /* 2 x 2: (0,0) (0,1) (1,0) (1,1). */
    for (i = 1; i < 4; i++) {
      cb[i].at[0] = mord[0];
      cb[i].slot[0] = i >> 1;
      cb[i].at[1] = mord[1];
      cb[i].slot[1] = i & 1;
    }
    return 4;
  }
  /* One multi position (all its readings), or capped: primary, then one
   * position changed at a time. */
  for (i = 0; i < nmulti && i < CC_NAME_PINYIN_KEYS_MAX; i++) {
    unsigned s;
    for (s = 1; s < msize[i] && n < CC_NAME_PINYIN_KEYS_MAX; s++) {
      cb[n] = PRIMARY;
      cb[n].at[0] = mord[i];
      cb[n].slot[0] = s;
      n++;
    }
  }
  return (int)n;
}

/* The contract is in name_match.h. */
int cc_name_pinyin_keys(uint64_t out[CC_NAME_PINYIN_KEYS_MAX], int *capped,
                        const char *folded, size_t len)
{
  combo cb[CC_NAME_PINYIN_KEYS_MAX];
  unsigned char buf[CC_NAME_PINYIN_MAX];
  int n, i, cap = 0;
  size_t at = 0;

  assert(out != NULL);
  assert(folded != NULL || len == 0);
  if (capped != NULL)
    *capped = 0;
  n = combos(cb, &cap, folded, len, &at);
  if (n == W_BAD)
    return key_error(KEY_BAD_UTF8, at, 0);
  for (i = 0; i < n; i++) {
    key_out o = {buf, 0, sizeof buf};
    int rc = key(&o, folded, len, &cb[i], &at);
    if (rc != KEY_OK)
      return key_error(rc, at, o.limit);
    out[i] = XXH3_64bits(buf, o.len);
  }
  if (capped != NULL)
    *capped = cap;
  return n;
}

/* The contract is in name_match.h. */
cc_name_relation cc_name_compare(const char *a, size_t alen, const char *b,
                                 size_t blen)
{
  walker wa, wb;
  pos pa = {0, 0, 0, NULL, 0}, pb = pa;

  assert(a != NULL || alen == 0);
  assert(b != NULL || blen == 0);
  if (alen == blen && (alen == 0 || memcmp(a, b, alen) == 0))
    return CC_NAME_EQUAL;
  if (alen > CC_NAME_MAX || blen > CC_NAME_MAX)
    return CC_NAME_DIFFERENT;
  walk_init(&wa, a, alen);
  walk_init(&wb, b, blen);
  for (;;) {
    int ra = walk_next(&wa, &pa), rb = walk_next(&wb, &pb);
    if (ra == W_BAD || rb == W_BAD)
      return CC_NAME_DIFFERENT;
    if (ra == W_END || rb == W_END)
      return ra == rb ? CC_NAME_HOMOPHONE : CC_NAME_DIFFERENT;
    if (!pos_share(&pa, &pb))
      return CC_NAME_DIFFERENT;
  }
}
