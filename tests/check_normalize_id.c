/*
 * check_normalize_id.c - cc_id_normalize and friends against known answers.
 *
 * Every expected check character below is worked out by hand, never taken
 * from the program: ISO 7064 MOD 11-2, weights (positions 1-17)
 *
 *     7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
 *
 * S = sum of digit * weight, check = "10X98765432"[S mod 11], i.e.
 *
 *     S mod 11:  0  1  2  3  4  5  6  7  8  9  10
 *     check:     1  0  X  9  8  7  6  5  4  3  2
 *
 * Worked examples used throughout:
 *
 * A. 11010519491231002X (GB 11643's own example)
 *    1*7 + 1*9 + 0*10 + 1*5 + 0*8 + 5*4 + 1*2 + 9*1 + 4*6 + 9*3
 *    + 1*7 + 2*9 + 3*10 + 1*5 + 0*8 + 0*4 + 2*2
 *    = 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 = 15*11 + 2 -> X
 *    Its 15-digit legacy form is 110105491231002: insert "19" after
 *    "110105" to get 11010519491231002 and the check is X as above.
 *
 * B. 440524188001010014 (the standard's other example, born 1880)
 *    28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195 = 17*11 + 8 -> 4
 *
 * C. 440524800101001 (15 digits) -> 44052419800101001?
 *    4*7 + 4*9 + 0 + 5*5 + 2*8 + 4*4 + 1*2 + 9*1 + 8*6 + 0*3 + 0*7
 *    + 1*9 + 0*10 + 1*5 + 0*8 + 0*4 + 1*2
 *    = 28+36+0+25+16+16+2+9+48+0+0+9+0+5+0+0+2 = 196 = 17*11 + 9 -> 3
 *
 * D. 110101200501011239 (SPEC 3.1's example)
 *    7+9+0+5+0+4+4+0+0+15+0+9+0+5+8+8+6 = 80 = 7*11 + 3 -> 9
 *
 * E. Province rows: PQ 0101 20000101 001 C. Positions 3-17 give
 *    0*10+1*5+0*8+1*4+2*2+0*1+0*6+0*3+0*7+1*9+0*10+1*5+0*8+0*4+1*2 = 29,
 *    so S = 7*P + 9*Q + 29:
 *    10:  7+ 0+29 =  36 = 3*11+3  -> 9     11:  7+ 9+29 =  45 = 4*11+1 -> 0
 *    15:  7+45+29 =  81 = 7*11+4  -> 8     16:  7+54+29 =  90 = 8*11+2 -> X
 *    21: 14+ 9+29 =  52 = 4*11+8  -> 4     65: 42+45+29 = 116 = 10*11+6 -> 6
 *    66: 42+54+29 = 125 = 11*11+4 -> 8     71: 49+ 9+29 =  87 = 7*11+10 -> 2
 *    80: 56+ 0+29 =  85 = 7*11+8  -> 4     81: 56+ 9+29 =  94 = 8*11+6 -> 6
 *    82: 56+18+29 = 103 = 9*11+4  -> 8     83: 56+27+29 = 112 = 10*11+2 -> X
 *    84: 56+36+29 = 121 = 11*11+0 -> 1     99: 63+81+29 = 173 = 15*11+8 -> 4
 *
 * F. Date rows: 110101 YYYYMMDD 001 C. Positions 1-6 and 15-17 give
 *    7+9+0+5+0+4 + 0+0+2 = 27; date digits weigh 2 1 6 3 | 7 9 | 10 5:
 *    2001-02-30: (4+0+0+3)+(0+18)+(30+0)  = 55, S =  82 = 7*11+5  -> 7
 *    2001-02-29: 7+18+(20+45)             = 90, S = 117 = 10*11+7 -> 5
 *    2000-02-29: (4+0+0+0)+18+65          = 87, S = 114 = 10*11+4 -> 8
 *    1900-02-29: (2+9+0+0)+18+65          = 94, S = 121 = 11*11+0 -> 1
 *    2001-13-01: 7+(7+27)+(0+5)           = 46, S =  73 = 6*11+7  -> 5
 *    2001-01-00: 7+(0+9)+(0+0)            = 16, S =  43 = 3*11+10 -> 2
 *    2026-11-24: (4+0+12+18)+(7+9)+(20+20) = 90, S = 117 = 10*11+7 -> 5
 *    2026-11-23: 34+16+(20+15)            = 85, S = 112 = 10*11+2 -> X
 *    so each date row fails (or passes) on its date alone.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "chachong/normalize_id.h"
#include "chachong/types.h"
#include "test_util.h"

/* The `today` of every row: 2026-11-23 (built in the fixture below). */
static cc_date today;

static void setup(void)
{
  today = cc_date_from_ymd(2026, 11, 23);
}

#define V CC_ID_VALID
#define I CC_ID_INVALID
#define R CC_ID_REJECTED

typedef struct id_row {
  const char *raw;     /* the cell as read */
  const char *cleaned; /* expected digits ("" when rejected) */
  int verdict;         /* cc_id_verdict */
  int reason;          /* cc_id_reason */
  int upgraded;        /* 15 -> 18 */
} id_row;

static const id_row rows[] = {
    /* Valid, check character X (example A), lower-case x. */
    {"11010519491231002X", "11010519491231002X", V, CC_IDR_OK, 0},
    {"11010519491231002x", "11010519491231002X", V, CC_IDR_OK, 0},
    {"440524188001010014", "440524188001010014", V, CC_IDR_OK, 0}, /* B */
    {"110101200501011239", "110101200501011239", V, CC_IDR_OK, 0}, /* D */

    /* Excel's text markers: ' and its typographic forms, quotes. */
    {"'11010519491231002X", "11010519491231002X", V, CC_IDR_OK, 0},
    {"\xe2\x80\x98"
     "11010519491231002X",
     "11010519491231002X", V, CC_IDR_OK, 0}, /* U+2018 */
    {"\xe2\x80\x99"
     "11010519491231002X",
     "11010519491231002X", V, CC_IDR_OK, 0}, /* U+2019 */
    {"\xe2\x80\x9c"
     "11010519491231002X\xe2\x80\x9d",
     "11010519491231002X", V, CC_IDR_OK, 0}, /* U+201C ... U+201D */
    {"`11010519491231002X", "11010519491231002X", V, CC_IDR_OK, 0},
    {"\"11010519491231002X\"", "11010519491231002X", V, CC_IDR_OK, 0},
    {"'11010519491231002X'", "11010519491231002X", V, CC_IDR_OK, 0},
    {"\xef\xbc\x87"
     "11010519491231002X",
     "11010519491231002X", V, CC_IDR_OK, 0}, /* full-width apostrophe U+FF07 */
    /* Excel's ="..." wrapper; '=' without quotes is a formula. */
    {"=\"11010519491231002X\"", "11010519491231002X", V, CC_IDR_OK, 0},
    {" = \" 11010519491231002X \" ", "11010519491231002X", V, CC_IDR_OK, 0},
    {"=11010519491231002X", "", R, CC_IDR_NOT_DIGITS, 0},
    {"=", "", R, CC_IDR_NOT_DIGITS, 0},
    {"11010519491231002X'", "", R, CC_IDR_NOT_DIGITS, 0}, /* no opener */
    {"'110105194912'31002X", "", R, CC_IDR_NOT_DIGITS, 0},

    /* Full-width digits and X / x (U+FF10-FF19, U+FF38, U+FF58). */
    {"\xef\xbc\x91\xef\xbc\x91\xef\xbc\x90\xef\xbc\x91\xef\xbc\x90\xef\xbc\x95"
     "\xef\xbc\x91\xef\xbc\x99\xef\xbc\x94\xef\xbc\x99\xef\xbc\x91\xef\xbc\x92"
     "\xef\xbc\x93\xef\xbc\x91\xef\xbc\x90\xef\xbc\x90\xef\xbc\x92\xef\xbc\xb8",
     "11010519491231002X", V, CC_IDR_OK, 0},
    {"1101051949123100\xef\xbc\x92\xef\xbd\x98", "11010519491231002X", V,
     CC_IDR_OK, 0},

    /* White space of every kind, inside and around. */
    {"\xe3\x80\x80"
     "110105 19491231\xc2\xa0"
     "002X\t",
     "11010519491231002X", V, CC_IDR_OK, 0}, /* U+3000, space, NBSP, tab */
    {"\t110105\t19491231\t002X\r\n", "11010519491231002X", V, CC_IDR_OK, 0},
    {"\xef\xbb\xbf"
     "110105\xe2\x80\x8b"
     "19491231002X\xe2\x80\x83",
     "11010519491231002X", V, CC_IDR_OK, 0}, /* FEFF, 200B, 2003 */
    {"\xe3\x80\x80'11010519491231002X", "11010519491231002X", V, CC_IDR_OK,
     0}, /* space before the apostrophe */

    /* 15-digit legacy numbers: "19" inserted, check computed (A, C). */
    {"110105491231002", "11010519491231002X", V, CC_IDR_OK, 1},
    {"440524800101001", "440524198001010013", V, CC_IDR_OK, 1},
    {"'440524800101001", "440524198001010013", V, CC_IDR_OK, 1},
    /* ... and still checked. 99 is no province; 99052419800101001:
     * 63+81+0+25+16+16+2+9+48+0+0+9+0+5+0+0+2 = 276 = 25*11+1 -> 0.
     * 1980-02-30 is no date; 11010119800230001: 27 (F) + date
     * (2+9+48+0)+(0+18)+(30+0) = 107, S = 134 = 12*11+2 -> X. */
    {"990524800101001", "990524198001010010", I, CC_IDR_PROVINCE, 1},
    {"110101800230001", "11010119800230001X", I, CC_IDR_BIRTH_DATE, 1},

    /* Wrong check digit (11 row of E is ...0, here ...1). */
    {"110101200001010011", "110101200001010011", I, CC_IDR_CHECK_DIGIT, 0},
    {"110105194912310021", "110105194912310021", I, CC_IDR_CHECK_DIGIT, 0},
    {"440524188001010013", "440524188001010013", I, CC_IDR_CHECK_DIGIT, 0},

    /* Dates (F). */
    {"110101200102300017", "110101200102300017", I, CC_IDR_BIRTH_DATE, 0},
    {"110101200102290015", "110101200102290015", I, CC_IDR_BIRTH_DATE, 0},
    {"110101200002290018", "110101200002290018", V, CC_IDR_OK, 0},
    {"110101190002290011", "110101190002290011", I, CC_IDR_BIRTH_DATE, 0},
    {"110101200113010015", "110101200113010015", I, CC_IDR_BIRTH_DATE, 0},
    {"110101200101000012", "110101200101000012", I, CC_IDR_BIRTH_DATE, 0},
    {"110101202611240015", "110101202611240015", I, CC_IDR_FUTURE_BIRTH, 0},
    {"11010120261123001X", "11010120261123001X", V, CC_IDR_OK, 0},
    /* Priority: province before date, date before check digit. */
    {"990101200113010015", "990101200113010015", I, CC_IDR_PROVINCE, 0},
    {"110101200102300010", "110101200102300010", I, CC_IDR_BIRTH_DATE, 0},
    {"110101202611240010", "110101202611240010", I, CC_IDR_FUTURE_BIRTH, 0},

    /* Province boundaries (E). */
    {"100101200001010019", "100101200001010019", I, CC_IDR_PROVINCE, 0},
    {"110101200001010010", "110101200001010010", V, CC_IDR_OK, 0},
    {"150101200001010018", "150101200001010018", V, CC_IDR_OK, 0},
    {"16010120000101001X", "16010120000101001X", I, CC_IDR_PROVINCE, 0},
    {"210101200001010014", "210101200001010014", V, CC_IDR_OK, 0},
    {"650101200001010016", "650101200001010016", V, CC_IDR_OK, 0},
    {"660101200001010018", "660101200001010018", I, CC_IDR_PROVINCE, 0},
    {"710101200001010012", "710101200001010012", V, CC_IDR_OK, 0},
    {"800101200001010014", "800101200001010014", I, CC_IDR_PROVINCE, 0},
    {"810101200001010016", "810101200001010016", V, CC_IDR_OK, 0},
    {"820101200001010018", "820101200001010018", V, CC_IDR_OK, 0},
    {"83010120000101001X", "83010120000101001X", V, CC_IDR_OK, 0},
    {"840101200001010011", "840101200001010011", I, CC_IDR_PROVINCE, 0},
    {"990101200001010014", "990101200001010014", I, CC_IDR_PROVINCE, 0},

    /* 16 and 17 characters: invalid but kept. */
    {"1101051949123100", "1101051949123100", I, CC_IDR_LENGTH, 0},
    {"11010519491231002", "11010519491231002", I, CC_IDR_LENGTH, 0},
    {"110105491231002X", "110105491231002X", I, CC_IDR_LENGTH, 0},
    {" 1101051949123100 ", "1101051949123100", I, CC_IDR_LENGTH, 0},

    /* Scientific notation, as Excel shows an 18-digit number. */
    {"1.10101E+17", "", R, CC_IDR_SCIENTIFIC, 0},
    {"1.10101e17", "", R, CC_IDR_SCIENTIFIC, 0},
    {"1.10101E17", "", R, CC_IDR_SCIENTIFIC, 0},
    {"4.40524E+17", "", R, CC_IDR_SCIENTIFIC, 0},
    {"1E+17", "", R, CC_IDR_SCIENTIFIC, 0},
    {"1,10101E+17", "", R, CC_IDR_SCIENTIFIC, 0},
    {"'1.10101E+17", "", R, CC_IDR_SCIENTIFIC, 0},
    {" 1.10101E+17\t", "", R, CC_IDR_SCIENTIFIC, 0},
    {"\xef\xbc\x91\xef\xbc\x8e\xef\xbc\x91\xef\xbc\xa5\xef\xbc\x8b\xef\xbc\x91"
     "\xef\xbc\x97",
     "", R, CC_IDR_SCIENTIFIC, 0}, /* １．１Ｅ＋１７ */
    {"1.10101E+", "", R, CC_IDR_NOT_DIGITS, 0},
    {"1.1E+1.7", "", R, CC_IDR_NOT_DIGITS, 0},
    {"E+17", "", R, CC_IDR_NOT_DIGITS, 0},

    /* Letters and other characters; X only last. */
    {"11010519491231002A", "", R, CC_IDR_NOT_DIGITS, 0},
    {"1101051949X231002X", "", R, CC_IDR_NOT_DIGITS, 0},
    {"X11010519491231002", "", R, CC_IDR_NOT_DIGITS, 0},
    {"110105-19491231-002X", "", R, CC_IDR_NOT_DIGITS, 0},
    {"abc", "", R, CC_IDR_NOT_DIGITS, 0},
    {"\xe5\xbc\xa0\xe4\xb8\x89", "", R, CC_IDR_NOT_DIGITS, 0}, /* 张三 */
    {"\xff"
     "11010519491231002X",
     "", R, CC_IDR_NOT_DIGITS, 0},                              /* bad UTF-8 */
    {"11010519491231002\xef\xbc", "", R, CC_IDR_NOT_DIGITS, 0}, /* cut */
    {"\xe3\x80"
     "11010519491231002X",
     "", R, CC_IDR_NOT_DIGITS, 0},
    {"11010519491231002X1", "", R, CC_IDR_NOT_DIGITS, 0},

    /* Empty. */
    {"", "", R, CC_IDR_EMPTY, 0},
    {" \t\xe3\x80\x80\xc2\xa0\r\n", "", R, CC_IDR_EMPTY, 0},
    {"'", "", R, CC_IDR_EMPTY, 0},
    {"=\"\"", "", R, CC_IDR_EMPTY, 0},

    /* Too short, too long. */
    {"X", "", R, CC_IDR_TOO_SHORT, 0},
    {"12345", "", R, CC_IDR_TOO_SHORT, 0},
    {"11010519491231", "", R, CC_IDR_TOO_SHORT, 0},
    {"11010549123100X", "", R, CC_IDR_TOO_SHORT, 0}, /* 14 digits + X */
    {"1101051949123100211", "", R, CC_IDR_TOO_LONG, 0},
    {"1101051949123100201X", "", R, CC_IDR_TOO_LONG, 0},
    {"110105194912310020110105194912310020", "", R, CC_IDR_TOO_LONG, 0},
};

static void check_row(const id_row *row)
{
  cc_id id;
  cc_id_verdict v = cc_id_normalize(&id, row->raw, strlen(row->raw), today);
  ck_assert_msg((int)v == row->verdict && id.verdict == row->verdict,
                "'%s': verdict %d, want %d", row->raw, (int)v, row->verdict);
  ck_assert_msg(id.reason == row->reason, "'%s': reason %s, want %s", row->raw,
                cc_id_reason_code(id.reason), cc_id_reason_code(row->reason));
  ck_assert_str_eq(id.digits, row->cleaned);
  ck_assert_uint_eq(id.len, strlen(row->cleaned));
  ck_assert_int_eq(id.upgraded, row->upgraded);
}

START_TEST(test_normalize_id_known_answers)
{
  check_row(&rows[_i]);
}
END_TEST

/* The check character alone, from 17 digits (examples A-F). */
START_TEST(test_normalize_id_check_digit)
{
  static const struct {
    const char *d17;
    char check;
  } cases[] = {
      {"11010519491231002", 'X'}, /* A: S = 167, 167 mod 11 = 2 */
      {"44052418800101001", '4'}, /* B: S = 195, mod 11 = 8 */
      {"44052419800101001", '3'}, /* C: S = 196, mod 11 = 9 */
      {"11010120050101123", '9'}, /* D: S = 80, mod 11 = 3 */
      {"11010120000101001", '0'}, /* E: S = 45, mod 11 = 1 */
      {"84010120000101001", '1'}, /* E: S = 121, mod 11 = 0 */
      {"71010120000101001", '2'}, /* E: S = 87, mod 11 = 10 */
      {"00000000000000000", '1'}, /* S = 0 */
      /* 9 in every place: S = 9 * (sum of weights = 7+9+10+5+8+4+2+1+6
       * +3+7+9+10+5+8+4+2 = 100) = 900 = 81*11 + 9 -> 3 */
      {"99999999999999999", '3'},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    ck_assert_msg(cc_id_check_char(cases[i].d17) == cases[i].check,
                  "%s: got %c, want %c", cases[i].d17,
                  cc_id_check_char(cases[i].d17), cases[i].check);
}
END_TEST

/* The check character against the weighted sum worked out digit by digit
 * (the library sums eight digits at a time): every digit in every place,
 * and many random numbers. */
START_TEST(test_normalize_id_check_digit_sum)
{
  static const unsigned w[17] = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                                 3, 7, 9,  10, 5, 8, 4, 2};
  uint64_t x = 0x9E3779B97F4A7C15ull;
  char d[18];
  int iter, i;
  for (iter = 0; iter < 200000; iter++) {
    unsigned sum = 0;
    if (iter < 170) {
      memset(d, '0', 17); /* one place at a time, each digit */
      d[iter / 10] = (char)('0' + iter % 10);
    } else {
      for (i = 0; i < 17; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        d[i] = (char)('0' + x % 10);
      }
    }
    d[17] = '\0';
    for (i = 0; i < 17; i++)
      sum += (unsigned)(d[i] - '0') * w[i];
    ck_assert_msg(cc_id_check_char(d) == "10X98765432"[sum % 11],
                  "%s: got %c, want %c", d, cc_id_check_char(d),
                  "10X98765432"[sum % 11]);
  }
}
END_TEST

/* Birth date on `today` is valid; the day after is not. */
START_TEST(test_normalize_id_today)
{
  cc_id id;
  cc_date day_before = cc_date_from_ymd(2026, 11, 22);
  ck_assert_int_eq(cc_id_normalize(&id, "11010120261123001X", 18, today),
                   CC_ID_VALID);
  ck_assert_int_eq(cc_id_normalize(&id, "11010120261123001X", 18, day_before),
                   CC_ID_INVALID);
  ck_assert_int_eq(id.reason, CC_IDR_FUTURE_BIRTH);
}
END_TEST

/* The length argument is honoured: no NUL needed, bytes past it unread. */
START_TEST(test_normalize_id_length_argument)
{
  cc_id id;
  const char cell[] = "11010519491231002Xjunk";
  ck_assert_int_eq(cc_id_normalize(&id, cell, 18, today), CC_ID_VALID);
  ck_assert_str_eq(id.digits, "11010519491231002X");
  ck_assert_int_eq(cc_id_normalize(&id, cell, 17, today), CC_ID_INVALID);
  ck_assert_int_eq(id.reason, CC_IDR_LENGTH);
  ck_assert_int_eq(cc_id_normalize(&id, NULL, 0, today), CC_ID_REJECTED);
  ck_assert_int_eq(id.reason, CC_IDR_EMPTY);
  /* An embedded NUL is a character like any other: not a digit. */
  ck_assert_int_eq(cc_id_normalize(&id,
                                   "110105\0"
                                   "19491231002X",
                                   19, today),
                   CC_ID_REJECTED);
  ck_assert_int_eq(id.reason, CC_IDR_NOT_DIGITS);
}
END_TEST

START_TEST(test_normalize_id_reason_text)
{
  int r, s;
  for (r = 0; r < CC_IDR_COUNT_; r++) {
    ck_assert_ptr_nonnull(cc_id_reason_code((cc_id_reason)r));
    ck_assert_ptr_nonnull(cc_id_reason_zh((cc_id_reason)r));
    ck_assert_uint_gt(strlen(cc_id_reason_zh((cc_id_reason)r)), 0);
    for (s = 0; s < r; s++)
      ck_assert_str_ne(cc_id_reason_code((cc_id_reason)r),
                       cc_id_reason_code((cc_id_reason)s));
  }
  ck_assert_str_eq(cc_id_reason_code(CC_IDR_OK), "ok");
  ck_assert_str_eq(cc_id_reason_code(CC_IDR_LENGTH), "length");
  ck_assert_str_eq(cc_id_reason_code(CC_IDR_PROVINCE), "province");
  ck_assert_str_eq(cc_id_reason_code(CC_IDR_BIRTH_DATE), "birth_date");
  ck_assert_str_eq(cc_id_reason_code(CC_IDR_FUTURE_BIRTH), "future_birth_date");
  ck_assert_str_eq(cc_id_reason_code(CC_IDR_CHECK_DIGIT), "check_digit");
  ck_assert_str_eq(cc_id_reason_code(CC_IDR_EMPTY), "empty");
  ck_assert_str_eq(cc_id_reason_code(CC_IDR_SCIENTIFIC), "scientific_notation");
  ck_assert_str_eq(cc_id_reason_code(CC_IDR_NOT_DIGITS), "not_digits");
  ck_assert_str_eq(cc_id_reason_code(CC_IDR_TOO_SHORT), "too_short");
  ck_assert_str_eq(cc_id_reason_code(CC_IDR_TOO_LONG), "too_long");
  ck_assert_str_eq(cc_id_reason_zh(CC_IDR_CHECK_DIGIT), "校验码错误");
  ck_assert_str_eq(cc_id_reason_code(CC_IDR_COUNT_), "unknown");
  ck_assert_str_eq(cc_id_reason_code((cc_id_reason)-1), "unknown");
}
END_TEST

START_TEST(test_normalize_id_mask)
{
  static const struct {
    const char *id, *masked;
  } cases[] = {
      {"11010519491231002X", "110105********002X"},
      {"440524188001010014", "440524********0014"},
      {"11010519491231002", "11*************02"},
      {"1101051949123100", "11************00"},
      {"12345678", "12****78"},
      {"1234567", "1*****7"},
      {"1234", "1**4"},
      {"123", "***"},
      {"", ""},
      /* Longer than a cleaned ID can be: only the first 18 are used. */
      {"1101051949123100201234", "110105********0020"},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[CC_ID_MAX + 1];
    memset(out, '#', sizeof out);
    cc_id_mask(out, cases[i].id);
    ck_assert_str_eq(out, cases[i].masked);
  }
}
END_TEST

/* A 64 KiB cell (ingest's cap): white space around a number, or digits. */
START_TEST(test_normalize_id_huge_cell)
{
  size_t n = 65536, i;
  char *cell = malloc(n);
  cc_id id;
  ck_assert_ptr_nonnull(cell);
  memset(cell, ' ', n);
  memcpy(cell + n / 2, "11010519491231002X", 18);
  ck_assert_int_eq(cc_id_normalize(&id, cell, n, today), CC_ID_VALID);
  ck_assert_str_eq(id.digits, "11010519491231002X");
  for (i = 0; i < n; i++)
    cell[i] = (char)('0' + i % 10);
  ck_assert_int_eq(cc_id_normalize(&id, cell, n, today), CC_ID_REJECTED);
  ck_assert_int_eq(id.reason, CC_IDR_TOO_LONG);
  ck_assert_str_eq(id.digits, "");
  free(cell);
}
END_TEST

static Suite *normalize_id_suite(void)
{
  Suite *s = suite_create("normalize_id");
  TCase *core = tcase_create("Core");
  TCase *limits = tcase_create("Limits");
  tcase_add_checked_fixture(core, setup, NULL);
  tcase_add_loop_test(core, test_normalize_id_known_answers, 0,
                      (int)(sizeof rows / sizeof rows[0]));
  tcase_add_test(core, test_normalize_id_check_digit);
  tcase_add_test(core, test_normalize_id_check_digit_sum);
  tcase_add_test(core, test_normalize_id_today);
  tcase_add_test(core, test_normalize_id_reason_text);
  tcase_add_test(core, test_normalize_id_mask);
  tcase_add_checked_fixture(limits, setup, NULL);
  tcase_add_test(limits, test_normalize_id_length_argument);
  tcase_add_test(limits, test_normalize_id_huge_cell);
  suite_add_tcase(s, core);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  return tu_run_suite(normalize_id_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
