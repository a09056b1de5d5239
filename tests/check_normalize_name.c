/*
 * check_normalize_name.c - cc_name_fold against known answers.
 *
 * The expected folds follow SPEC 2.2 step by step (NFKC, white space out,
 * middle dots to U+00B7, traditional to simplified, Latin upper-cased) and
 * were worked out from the Unicode and OpenCC data by hand, e.g.
 *   U+F900 豈 (compatibility) --NFKC--> U+8C48 豈 --t2s--> U+5C82 岂
 *   U+2F800 (compatibility supplement) --NFKC--> U+4E3D 丽
 *   U+3231 ㈱ --NFKC--> "(株)"
 *   e U+0301 --NFKC--> U+00E9 é --upper--> U+00C9 É   (full ICU path)
 *   U+1100 U+1161 (conjoining jamo) --NFKC--> U+AC00 가 (full ICU path)
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "chachong/errors.h"
#include "chachong/normalize_name.h"
#include "test_util.h"

typedef struct name_row {
  const char *in;  /* the registered name */
  size_t len;      /* its length; 0 means strlen(in) */
  int rc;          /* expected return */
  const char *out; /* expected fold when rc == 0 */
} name_row;

#define DOT "\xc2\xb7" /* U+00B7, the one middle dot kept */

static const name_row rows[] = {
    /* Every middle-dot variant folds to U+00B7. */
    {"阿依古丽" DOT "买买提", 0, 0, "阿依古丽" DOT "买买提"},
    {"阿依古丽•买买提", 0, 0, "阿依古丽" DOT "买买提"},  /* U+2022 */
    {"阿依古丽・买买提", 0, 0, "阿依古丽" DOT "买买提"}, /* U+30FB */
    {"阿依古丽‧买买提", 0, 0, "阿依古丽" DOT "买买提"},  /* U+2027 */
    {"阿依古丽.买买提", 0, 0, "阿依古丽" DOT "买买提"},  /* U+002E */
    {"阿依古丽．买买提", 0, 0, "阿依古丽" DOT "买买提"}, /* U+FF0E */
    {"阿依古丽･买买提", 0, 0, "阿依古丽" DOT "买买提"},  /* U+FF65 */
    {"阿依古丽 · 买买提", 0, 0, "阿依古丽" DOT "买买提"},
    {"阿依古丽\xe2\x88\x99买买提", 0, 0, "阿依古丽" DOT "买买提"}, /* U+2219 */

    /* Outside the BMP: 𠮷 (U+20BB7) survives, and is not 吉. */
    {"𠮷田", 0, 0, "𠮷田"},
    {"吉田", 0, 0, "吉田"},
    {"\xf0\xa0\xae\xb7", 0, 0, "\xf0\xa0\xae\xb7"},
    {"\xf0\xaf\xa0\x80", 0, 0, "丽"}, /* U+2F800 -> U+4E3D */

    /* Traditional to simplified (OpenCC's character table). */
    {"張偉", 0, 0, "张伟"},
    {"劉麗", 0, 0, "刘丽"},
    {"陳國華", 0, 0, "陈国华"},
    {"张伟", 0, 0, "张伟"},
    {"歐陽 修", 0, 0, "欧阳修"},

    /* Latin: full-width and lower case to upper-case ASCII. */
    {"ｊｏｈｎ", 0, 0, "JOHN"},
    {"john", 0, 0, "JOHN"},
    {"Ｊｏｈｎ　Ｓｍｉｔｈ", 0, 0, "JOHNSMITH"},
    {"John.Smith", 0, 0, "JOHN" DOT "SMITH"},
    {"José", 0, 0, "JOSÉ"},       /* precomposed U+00E9: the table */
    {"\xef\xac\x81", 0, 0, "FI"}, /* U+FB01 ligature */
    {"αβ", 0, 0, "αβ"},           /* Greek is not Latin: unchanged */

    /* White space of every kind, anywhere. */
    {"\xe3\x80\x80张\xc2\xa0三\t ", 0, 0, "张三"}, /* U+3000, NBSP */
    {" 张 三 ", 0, 0, "张三"},
    {"张\xe2\x80\x8b三\xef\xbb\xbf", 0, 0, "张三"}, /* U+200B, U+FEFF */
    {"张\r\n三\xe2\x80\x83", 0, 0, "张三"},         /* U+2003 */

    /* NFKC compatibility forms. */
    {"\xef\xa4\x80", 0, 0, "岂"}, /* U+F900 -> 豈 -> 岂 */
    {"豈", 0, 0, "岂"},
    {"㈱", 0, 0, "(株)"},
    {"\xe2\x85\xa0", 0, 0, "I"}, /* U+2160 ROMAN NUMERAL ONE */

    /* Combining sequences: the full ICU path. */
    {"e\xcc\x81", 0, 0, "É"},
    {"Jose\xcc\x81", 0, 0, "JOSÉ"},
    {"Jose\xcc\x81．Maria", 0, 0, "JOSÉ" DOT "MARIA"},
    {"張e\xcc\x81 偉", 0, 0, "张É伟"},
    {"\xe1\x84\x80\xe1\x85\xa1", 0, 0, "가"}, /* U+1100 U+1161 */
    /* White space removed between a letter and its mark, or a spacing
     * accent (U+00B4 is NFKC ' ' U+0301): the mark then composes, so that
     * folding a folded name changes nothing. */
    {"e \xcc\x81", 0, 0, "É"},
    {"e\xc2\xb4", 0, 0, "É"},
    {"\xe1\x84\x80\xe3\x80\x80\xe1\x85\xa1", 0, 0, "가"},
    {"가", 0, 0, "가"},

    /* Not UTF-8, or empty. */
    {"\xff", 0, CC_EINVALID, ""},
    {"张\xe4\xb8", 0, CC_EINVALID, ""},       /* cut short */
    {"\xc0\xaf", 0, CC_EINVALID, ""},         /* overlong '/' */
    {"\xed\xa0\x80", 0, CC_EINVALID, ""},     /* a surrogate */
    {"\xf4\x90\x80\x80", 0, CC_EINVALID, ""}, /* above U+10FFFF */
    {"\x80张三", 0, CC_EINVALID, ""},         /* stray continuation */
    {"e\xcc\x81\xff", 0, CC_EINVALID, ""},    /* bad after a mark */
    {"张\0三", 7, CC_EINVALID, ""},           /* NUL inside */
    {"", 0, CC_EINVALID, ""},
    {" \t\xe3\x80\x80\xc2\xa0", 0, CC_EINVALID, ""},
    {"\xe2\x80\x8b", 0, CC_EINVALID, ""},
};

START_TEST(test_normalize_name_known_answers)
{
  const name_row *row = &rows[_i];
  char out[CC_NAME_MAX + 1], again[CC_NAME_MAX + 1];
  size_t len = row->len ? row->len : strlen(row->in), olen = 99, alen;
  int rc = cc_name_fold(out, sizeof out, &olen, row->in, len);
  ck_assert_msg(rc == row->rc, "row %d: rc %d, want %d", _i, rc, row->rc);
  if (rc != 0) {
    ck_assert_str_eq(out, "");
    ck_assert_uint_eq(olen, 0);
    return;
  }
  ck_assert_str_eq(out, row->out);
  ck_assert_uint_eq(olen, strlen(row->out));
  /* Folding a folded name changes nothing. */
  ck_assert_int_eq(cc_name_fold(again, sizeof again, &alen, out, olen), 0);
  ck_assert_str_eq(again, out);
}
END_TEST

/* Two spellings of one name compare equal once folded. */
START_TEST(test_normalize_name_same_person)
{
  static const char *pairs[][2] = {
      {"阿依古丽•买买提", "阿依古丽．买买提"},
      {"陳國華", "陈 国 华"},
      {"José", "JOSE\xcc\x81"},
      {"\xef\xa4\x80", "岂"},
  };
  size_t i;
  for (i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
    char a[CC_NAME_MAX + 1], b[CC_NAME_MAX + 1];
    size_t al, bl;
    ck_assert_int_eq(
        cc_name_fold(a, sizeof a, &al, pairs[i][0], strlen(pairs[i][0])), 0);
    ck_assert_int_eq(
        cc_name_fold(b, sizeof b, &bl, pairs[i][1], strlen(pairs[i][1])), 0);
    ck_assert_str_eq(a, b);
  }
}
END_TEST

/* cap too small, and the 255-byte boundary of a folded name. */
START_TEST(test_normalize_name_limits)
{
  char out[1024];
  size_t olen, len;
  char *s;

  /* "张三" is 6 bytes: cap 7 fits, cap 6 does not, cap 0 never. */
  ck_assert_int_eq(cc_name_fold(out, 7, &olen, "张三", 6), 0);
  ck_assert_uint_eq(olen, 6);
  ck_assert_int_eq(cc_name_fold(out, 6, &olen, "张三", 6), CC_ENOMEM);
  ck_assert_str_eq(out, "");
  ck_assert_int_eq(cc_name_fold(out, 1, &olen, "张三", 6), CC_ENOMEM);
  ck_assert_int_eq(cc_name_fold(NULL, 0, &olen, "张三", 6), CC_ENOMEM);
  ck_assert_int_eq(cc_name_fold(out, sizeof out, &olen, NULL, 0), CC_EINVALID);

  /* 85 x 张 = 255 bytes fit; 86 x = 258 do not, whatever the cap. */
  s = tu_repeat("张", 85, &len);
  ck_assert_int_eq(cc_name_fold(out, CC_NAME_MAX + 1, &olen, s, len), 0);
  ck_assert_uint_eq(olen, 255);
  free(s);
  s = tu_repeat("張", 86, &len);
  ck_assert_int_eq(cc_name_fold(out, sizeof out, &olen, s, len), CC_ENOMEM);
  free(s);

  /* 255 x 'a' -> 255 x 'A'; 256 -> too long even with a big buffer. */
  s = tu_repeat("a", 255, &len);
  ck_assert_int_eq(cc_name_fold(out, sizeof out, &olen, s, len), 0);
  ck_assert_uint_eq(olen, 255);
  ck_assert_int_eq(out[0], 'A');
  ck_assert_int_eq(out[254], 'A');
  ck_assert_int_eq(out[255], '\0');
  free(s);
  s = tu_repeat("a", 256, &len);
  ck_assert_int_eq(cc_name_fold(out, sizeof out, &olen, s, len), CC_ENOMEM);
  free(s);

  /* White space does not count: 255 letters in 510 bytes of input. */
  s = tu_repeat("a ", 255, &len);
  ck_assert_int_eq(cc_name_fold(out, sizeof out, &olen, s, len), 0);
  ck_assert_uint_eq(olen, 255);
  free(s);

  /* The full path has the same limit: 127 x É = 254 bytes, 128 = 256. */
  s = tu_repeat("e\xcc\x81", 127, &len);
  ck_assert_int_eq(cc_name_fold(out, sizeof out, &olen, s, len), 0);
  ck_assert_uint_eq(olen, 254);
  free(s);
  s = tu_repeat("e\xcc\x81", 128, &len);
  ck_assert_int_eq(cc_name_fold(out, sizeof out, &olen, s, len), CC_ENOMEM);
  free(s);
  /* ... and a cap that is too small. */
  ck_assert_int_eq(cc_name_fold(out, 2, &olen, "e\xcc\x81", 3), CC_ENOMEM);
  ck_assert_int_eq(cc_name_fold(out, 3, &olen, "e\xcc\x81", 3), 0);
}
END_TEST

/* Inputs larger than the full path's stack buffers. */
START_TEST(test_normalize_name_large_input)
{
  char out[CC_NAME_MAX + 1];
  size_t olen, len;
  char *s = tu_repeat(" ", 5000, &len);
  /* 5000 spaces, then e + U+0301: the full path on 5003 bytes. */
  s = realloc(s, len + 4);
  ck_assert_ptr_nonnull(s);
  memcpy(s + len, "e\xcc\x81", 4);
  ck_assert_int_eq(cc_name_fold(out, sizeof out, &olen, s, len + 3), 0);
  ck_assert_str_eq(out, "É");
  free(s);
  /* U+FDFA expands to 18 code points under NFKC: 60 of them and a mark
   * overflow the normalizer's stack buffer and the name limit. */
  s = tu_repeat("\xef\xb7\xba", 60, &len);
  s = realloc(s, len + 3);
  ck_assert_ptr_nonnull(s);
  memcpy(s + len, "\xcc\x81", 3);
  ck_assert_int_eq(cc_name_fold(out, sizeof out, &olen, s, len + 2), CC_ENOMEM);
  free(s);
}
END_TEST

static Suite *normalize_name_suite(void)
{
  Suite *s = suite_create("normalize_name");
  TCase *core = tcase_create("Core");
  TCase *limits = tcase_create("Limits");
  tcase_add_loop_test(core, test_normalize_name_known_answers, 0,
                      (int)(sizeof rows / sizeof rows[0]));
  tcase_add_test(core, test_normalize_name_same_person);
  tcase_add_test(limits, test_normalize_name_limits);
  tcase_add_test(limits, test_normalize_name_large_input);
  suite_add_tcase(s, core);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  return tu_run_suite(normalize_name_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
