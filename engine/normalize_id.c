/*
 * normalize_id.c - resident ID numbers (公民身份号码, GB 11643-1999).
 *
 * Owns the road from a roster cell to an ID key (SPEC 2.1, RULES "Rows"):
 * cleaning, the 15 to 18 digit upgrade, the ISO 7064 MOD 11-2 check
 * character, the birth date and province checks, the verdict with its
 * reason, and the masked form used in messages and reports.
 *
 * Interface: cc_id_normalize() per cell; cc_id_check_char(),
 * cc_id_reason_code()/cc_id_reason_zh() and cc_id_mask() are helpers that
 * need no state. Everything is a pure function over bytes: thread-safe, no
 * allocation, no locale.
 *
 * Algorithm: an untouched 18-character cell (the usual case) is recognised
 * 8 bytes at a time (plain18) and goes straight to the checks. Anything
 * else takes one pass over the cell's bytes: ASCII bytes are classified by
 * a 128-entry table; only a non-ASCII byte starts a UTF-8 decode, which
 * folds full-width forms (U+FF01-U+FF5E) to ASCII, drops Unicode white
 * space and recognises typographic quote marks. Content characters are
 * copied into out->digits while counters (characters, digits), a "bad
 * character" flag and a small scientific-notation automaton run alongside,
 * so the verdict is decided after the pass without a second look at the
 * input. A cell of any length is handled (ingest caps them at 64 KiB):
 * only its first 18 content characters are kept.
 */
#include <assert.h>
#include <string.h>

#include "chachong/normalize_id.h"
#include "chachong/types.h"

/* Classes of an ASCII character in a cell. */
enum {
  K_OTHER = 0, /* any other character: makes the value "not digits" */
  K_DIGIT,     /* 0-9 */
  K_X,         /* X or x: allowed as the last character only */
  K_SPACE,     /* white space: removed wherever it is */
  K_QUOTE,     /* ' " ` : Excel's text markers */
  K_EQ,        /* = : opens Excel's ="..." wrapper */
  K_DOT,       /* . or , : a decimal separator, for scientific notation */
  K_E,         /* E or e: an exponent, for scientific notation */
  K_SIGN       /* + or - : an exponent's sign */
};

static const unsigned char ascii_class[128] = {
    ['\t'] = K_SPACE, ['\n'] = K_SPACE, ['\v'] = K_SPACE, ['\f'] = K_SPACE,
    ['\r'] = K_SPACE, [' '] = K_SPACE,  ['0'] = K_DIGIT,  ['1'] = K_DIGIT,
    ['2'] = K_DIGIT,  ['3'] = K_DIGIT,  ['4'] = K_DIGIT,  ['5'] = K_DIGIT,
    ['6'] = K_DIGIT,  ['7'] = K_DIGIT,  ['8'] = K_DIGIT,  ['9'] = K_DIGIT,
    ['X'] = K_X,      ['x'] = K_X,      ['\''] = K_QUOTE, ['"'] = K_QUOTE,
    ['`'] = K_QUOTE,  ['='] = K_EQ,     ['.'] = K_DOT,    [','] = K_DOT,
    ['E'] = K_E,      ['e'] = K_E,      ['+'] = K_SIGN,   ['-'] = K_SIGN,
};

/*
 * Scientific notation as Excel shows a long number: digits, an optional
 * fraction, an exponent (1.10101E+17, 1.10101e17, 1E+17). States:
 * 0 start, 1 integer digits, 2 separator, 3 fraction digits, 4 E,
 * 5 exponent sign, 6 exponent digits (accepting), 7 dead.
 */
enum { SCI_ACCEPT = 6, SCI_DEAD = 7 };

/* sci_next[state][class]; classes as in the enum above. */
static const unsigned char sci_next[8][9] = {
    /*        OTHER DIGIT X  SPACE QUOTE EQ DOT E  SIGN */
    /* 0 */ {7, 1, 7, 7, 7, 7, 7, 7, 7},
    /* 1 */ {7, 1, 7, 7, 7, 7, 2, 4, 7},
    /* 2 */ {7, 3, 7, 7, 7, 7, 7, 4, 7},
    /* 3 */ {7, 3, 7, 7, 7, 7, 7, 4, 7},
    /* 4 */ {7, 6, 7, 7, 7, 7, 7, 7, 5},
    /* 5 */ {7, 6, 7, 7, 7, 7, 7, 7, 7},
    /* 6 */ {7, 6, 7, 7, 7, 7, 7, 7, 7},
    /* 7 */ {7, 7, 7, 7, 7, 7, 7, 7, 7},
};

/* Province codes (GB/T 2260, first two digits), 81-83 included: the
 * residence permits of Hong Kong, Macao and Taiwan residents. */
static const unsigned char province_ok[100] = {
    [11] = 1, [12] = 1, [13] = 1, [14] = 1, [15] = 1, [21] = 1, [22] = 1,
    [23] = 1, [31] = 1, [32] = 1, [33] = 1, [34] = 1, [35] = 1, [36] = 1,
    [37] = 1, [41] = 1, [42] = 1, [43] = 1, [44] = 1, [45] = 1, [46] = 1,
    [50] = 1, [51] = 1, [52] = 1, [53] = 1, [54] = 1, [61] = 1, [62] = 1,
    [63] = 1, [64] = 1, [65] = 1, [71] = 1, [81] = 1, [82] = 1, [83] = 1,
};

/*
 * Decodes one UTF-8 sequence starting at p (a non-ASCII lead byte).
 * Returns the code point and sets *adv to its length, or returns
 * 0xFFFFFFFF with *adv = 1 for an ill-formed sequence (overlong forms,
 * surrogates and values above U+10FFFF included).
 */
static uint32_t utf8_decode(const unsigned char *p, const unsigned char *end,
                            size_t *adv)
{
  uint32_t c = p[0];
  size_t need, i;
  uint32_t min;
  *adv = 1;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1, min = 0x80, c &= 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2, min = 0x800, c &= 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3, min = 0x10000, c &= 0x07;
  } else {
    return 0xFFFFFFFFu;
  }
  if ((size_t)(end - p) <= need)
    return 0xFFFFFFFFu;
  for (i = 1; i <= need; i++) {
    if ((p[i] & 0xC0) != 0x80)
      return 0xFFFFFFFFu;
    c = (c << 6) | (p[i] & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
    return 0xFFFFFFFFu;
  *adv = need + 1;
  return c;
}

/*
 * Class of a non-ASCII code point; *ascii receives the ASCII character a
 * full-width form folds to (then classified as that character).
 */
static unsigned char wide_class(uint32_t c, unsigned char *ascii)
{
  if (c >= 0xFF01 && c <= 0xFF5E) {
    /* Full-width ASCII (０-９, Ｘ, ｘ, ＇, ＂, ...) is ASCII shifted
     * by 0xFEE0; fold the whole block so that ＝＂...＂ and
     * １．１Ｅ＋１７ are recognised too. */
    *ascii = (unsigned char)(c - 0xFEE0);
    return ascii_class[*ascii];
  }
  *ascii = '?';
  switch (c) {
  case 0x0085:
  case 0x00A0:
  case 0x1680:
  case 0x180E:
  case 0x2028:
  case 0x2029:
  case 0x202F:
  case 0x205F:
  case 0x2060:
  case 0x3000:
  case 0xFEFF:
    return K_SPACE;
  case 0x2018:
  case 0x2019:
  case 0x201C:
  case 0x201D:
    return K_QUOTE;
  default:
    /* U+2000-U+200A are spaces, U+200B-U+200D zero-width characters that
     * Excel and web forms leave behind invisibly. */
    return c >= 0x2000 && c <= 0x200D ? K_SPACE : K_OTHER;
  }
}

static int two(const char *d)
{
  return (d[0] - '0') * 10 + (d[1] - '0');
}

static int four(const char *d)
{
  return two(d) * 100 + two(d + 2);
}

/* Checks an 18-character number (17 digits and 0-9 or X). */
static cc_id_reason check18(const char d[18], cc_date today)
{
  int year = four(d + 6), month = two(d + 10), day = two(d + 12);
  if (!province_ok[two(d)])
    return CC_IDR_PROVINCE;
  if (!cc_date_valid(year, month, day))
    return CC_IDR_BIRTH_DATE;
  if (cc_date_from_ymd(year, month, day) > today)
    return CC_IDR_FUTURE_BIRTH;
  if (cc_id_check_char(d) != d[17])
    return CC_IDR_CHECK_DIGIT;
  return CC_IDR_OK;
}

static cc_id_verdict finish(cc_id *out, cc_id_verdict verdict,
                            cc_id_reason reason)
{
  out->verdict = (uint8_t)verdict;
  out->reason = (uint8_t)reason;
  if (verdict == CC_ID_REJECTED) {
    /* The pass wrote what it saw into digits: no trace of it is kept. */
    memset(out->digits, 0, sizeof out->digits);
    out->len = 0;
    out->upgraded = 0;
  }
  return verdict;
}

/* 1 when all 8 bytes of x are ASCII digits: each byte is 0x3_ and adding
 * 6 to it does not carry out of its low nibble (SWAR, no branch per byte). */
static int eight_digits(uint64_t x)
{
  const uint64_t hi = 0xF0F0F0F0F0F0F0F0ull, three = 0x3030303030303030ull;
  return (x & hi) == three && ((x + 0x0606060606060606ull) & hi) == three;
}

/*
 * The common case, an untouched 18-character cell (17 digits and a digit or
 * X/x), tested 8 bytes at a time. Returns 0 when the cell is anything else,
 * for the general pass to handle.
 */
static int plain18(cc_id *out, const char *raw)
{
  uint64_t a, b;
  unsigned char c16 = (unsigned char)raw[16], c17 = (unsigned char)raw[17];
  memcpy(&a, raw, 8); /* fixed-size copies: compiled to plain loads */
  memcpy(&b, raw + 8, 8);
  if (!eight_digits(a) || !eight_digits(b) || (unsigned)(c16 - '0') > 9u)
    return 0;
  if ((unsigned)(c17 - '0') > 9u && c17 != 'X' && c17 != 'x')
    return 0;
  memcpy(out->digits, raw, 18);
  out->digits[17] = c17 == 'x' ? 'X' : (char)c17;
  out->digits[18] = '\0';
  out->len = 18;
  return 1;
}

cc_id_verdict cc_id_normalize(cc_id *out, const char *raw, size_t len,
                              cc_date today)
{
  const unsigned char *p = (const unsigned char *)raw;
  const unsigned char *end = len ? p + len : p; /* NULL + 0 is UB */
  char *buf = out->digits; /* receives the first 18 content characters */
  size_t n = 0;            /* content characters seen (may exceed 18) */
  size_t ndigits = 0;      /* of which digits */
  int bad = 0;             /* a character that cannot be in an ID */
  int prev_x = 0;          /* the last content character was an X */
  int opened = 0;          /* a leading quote mark was removed */
  int closed = 0;          /* a quote mark followed the content */
  int eq = 0;              /* a leading '=' was seen */
  unsigned char sci = 0;   /* scientific-notation automaton state */

  assert(out != NULL);
  assert(raw != NULL || len == 0);
  memset(out, 0, sizeof *out);

  if (len == 18 && plain18(out, raw)) {
    cc_id_reason r = check18(out->digits, today);
    return finish(out, r == CC_IDR_OK ? CC_ID_VALID : CC_ID_INVALID, r);
  }

  while (p < end) {
    unsigned char ch = *p, k;
    if (ch < 0x80) {
      k = ascii_class[ch];
      p++;
    } else {
      size_t adv;
      uint32_t c = utf8_decode(p, end, &adv);
      k = c == 0xFFFFFFFFu ? K_OTHER : wide_class(c, &ch);
      if (c == 0xFFFFFFFFu)
        ch = '?';
      p += adv;
    }
    if (k == K_SPACE)
      continue;
    if (n == 0 && !closed) {
      /* Leading text markers: ' " ` (and typographic quotes), or Excel's
       * ="..." wrapper, whose '=' must be followed by a quote mark. */
      if (k == K_QUOTE) {
        opened = 1;
        continue;
      }
      if (k == K_EQ && !eq && !opened) {
        eq = 1;
        continue;
      }
      if (eq && !opened) {
        /* "=110..." is a formula, not the wrapper: count the '='. */
        buf[0] = '=';
        bad = 1;
        n = 1;
        sci = SCI_DEAD;
      }
    }
    if (k == K_QUOTE && opened) {
      closed = 1; /* the closing mark of '...' or ="..." */
      continue;
    }
    /* A content character. */
    if (closed || prev_x)
      bad = 1; /* text after the closing quote, or an X not last */
    /* Digits in state 1 (the common case) stay in state 1: skipping the
     * table load there keeps it off the loop's dependency chain. */
    if (sci != 1 || k != K_DIGIT)
      sci = sci_next[sci][k];
    if (k == K_DIGIT) {
      ndigits++;
    } else if (k == K_X) {
      ch = 'X';
    } else {
      bad = 1;
    }
    prev_x = k == K_X;
    if (n < CC_ID_MAX)
      buf[n] = (char)ch;
    n++;
  }
  if (eq && !opened && n == 0) {
    buf[0] = '='; /* a lone '=' */
    bad = 1;
    n = 1;
  }

  if (n == 0)
    return finish(out, CC_ID_REJECTED, CC_IDR_EMPTY);
  if (sci == SCI_ACCEPT)
    return finish(out, CC_ID_REJECTED, CC_IDR_SCIENTIFIC);
  if (bad)
    return finish(out, CC_ID_REJECTED, CC_IDR_NOT_DIGITS);
  if (ndigits < 15)
    return finish(out, CC_ID_REJECTED, CC_IDR_TOO_SHORT);
  if (n > CC_ID_MAX)
    return finish(out, CC_ID_REJECTED, CC_IDR_TOO_LONG);

  /* Now 15-18 characters, already in out->digits: digits, maybe a final
   * X. (Byte loops rather than memcpy/memmove: a library call costs more
   * than the whole check here.) */
  if (n == 15) {
    /* Legacy 15-digit numbers (issued until 1999) carry a two-digit birth
     * year and were only ever issued to people born in the 1900s, so the
     * 18-digit form inserts "19" after the six-digit region code and
     * appends the check character. */
    int i;
    for (i = 14; i >= 6; i--)
      buf[i + 2] = buf[i];
    buf[6] = '1';
    buf[7] = '9';
    buf[17] = cc_id_check_char(buf);
    n = 18;
    out->upgraded = 1;
  }
  out->len = (uint8_t)n;
  out->digits[n] = '\0';
  if (out->len != 18)
    return finish(out, CC_ID_INVALID, CC_IDR_LENGTH);
  {
    cc_id_reason r = check18(out->digits, today);
    return finish(out, r == CC_IDR_OK ? CC_ID_VALID : CC_ID_INVALID, r);
  }
}

char cc_id_check_char(const char digits17[17])
{
  /* ISO 7064 MOD 11-2: weight of position i (1-based from the left) is
   * 2^(18-i) mod 11; the check character makes the weighted sum of all 18
   * characters (X = 10) congruent to 1 mod 11, hence the map below. */
  static const char map[11] = {'1', '0', 'X', '9', '8', '7',
                               '6', '5', '4', '3', '2'};
  unsigned sum;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  /*
   * Every ID of every roster row comes through here, so the sum is taken
   * eight digits at a time. The digits of each half go into four 16-bit
   * lanes (even positions, then odd ones); multiplying the lanes
   * (v0, v1, v2, v3) by w0 << 48 | w1 << 32 | w2 << 16 | w3 puts
   * v0*w0 + v1*w1 + v2*w2 + v3*w3 in the top lane. Each lane of the four
   * products added up stays below 16 * 9 * 10 < 2^16, so nothing carries
   * between lanes; what passes bit 63 is dropped and never needed.
   */
  const uint64_t lo = 0x00FF00FF00FF00FFull, zeros = 0x3030303030303030ull;
#define W4(a, b, c, d)                                                         \
  ((uint64_t)(a) << 48 | (uint64_t)(b) << 32 | (uint64_t)(c) << 16 |           \
   (uint64_t)(d))
  uint64_t a, b;
  int i;
  for (i = 0; i < 17; i++)
    assert(digits17[i] >= '0' && digits17[i] <= '9');
  memcpy(&a, digits17, 8);
  memcpy(&b, digits17 + 8, 8);
  a -= zeros; /* digits, 0-9, so no byte borrows */
  b -= zeros;
  /* Weights 7 9 10 5 8 4 2 1 | 6 3 7 9 10 5 8 4 | 2. */
  sum =
      (unsigned)(((a & lo) * W4(7, 10, 8, 2) + (a >> 8 & lo) * W4(9, 5, 4, 1) +
                  (b & lo) * W4(6, 7, 10, 8) +
                  (b >> 8 & lo) * W4(3, 9, 5, 4)) >>
                 48) +
      (unsigned)(digits17[16] - '0') * 2;
#undef W4
#else
  static const unsigned char weight[17] = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                                           3, 7, 9,  10, 5, 8, 4, 2};
  int i;
  sum = 0;
  for (i = 0; i < 17; i++) {
    assert(digits17[i] >= '0' && digits17[i] <= '9');
    sum += (unsigned)(digits17[i] - '0') * weight[i];
  }
#endif
  return map[sum % 11];
}

static const char *const reason_code[CC_IDR_COUNT_] = {
    [CC_IDR_OK] = "ok",
    [CC_IDR_LENGTH] = "length",
    [CC_IDR_PROVINCE] = "province",
    [CC_IDR_BIRTH_DATE] = "birth_date",
    [CC_IDR_FUTURE_BIRTH] = "future_birth_date",
    [CC_IDR_CHECK_DIGIT] = "check_digit",
    [CC_IDR_EMPTY] = "empty",
    [CC_IDR_SCIENTIFIC] = "scientific_notation",
    [CC_IDR_NOT_DIGITS] = "not_digits",
    [CC_IDR_TOO_SHORT] = "too_short",
    [CC_IDR_TOO_LONG] = "too_long",
};

static const char *const reason_zh[CC_IDR_COUNT_] = {
    [CC_IDR_OK] = "有效",
    [CC_IDR_LENGTH] = "位数错误（16或17位）",
    [CC_IDR_PROVINCE] = "省级行政区划代码无效",
    [CC_IDR_BIRTH_DATE] = "出生日期不存在",
    [CC_IDR_FUTURE_BIRTH] = "出生日期晚于今天",
    [CC_IDR_CHECK_DIGIT] = "校验码错误",
    [CC_IDR_EMPTY] = "身份证号为空",
    [CC_IDR_SCIENTIFIC] = "被Excel转为科学计数法",
    [CC_IDR_NOT_DIGITS] = "含有数字以外的字符",
    [CC_IDR_TOO_SHORT] = "不足15位",
    [CC_IDR_TOO_LONG] = "超过18位",
};

const char *cc_id_reason_code(cc_id_reason reason)
{
  return (unsigned)reason < CC_IDR_COUNT_ ? reason_code[reason] : "unknown";
}

const char *cc_id_reason_zh(cc_id_reason reason)
{
  return (unsigned)reason < CC_IDR_COUNT_ ? reason_zh[reason] : "未知原因";
}

void cc_id_mask(char *out, const char *id)
{
  size_t n, head, tail, i;
  assert(out != NULL && id != NULL);
  /* A cleaned ID is at most 18 characters; never read or write past that
   * even if handed something longer. */
  for (n = 0; n < CC_ID_MAX && id[n] != '\0'; n++)
    ;
  if (n == CC_ID_MAX) {
    head = 6;
    tail = 4;
  } else {
    /* Shorter values: at most 2 and 2, and never more than half shown
     * (a 4-character value keeps 1 and 1, 3 or fewer keep nothing). */
    head = tail = n / 4 < 2 ? n / 4 : 2;
  }
  for (i = 0; i < n; i++)
    out[i] = i < head || i >= n - tail ? id[i] : '*';
  out[n] = '\0';
}
