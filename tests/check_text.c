/*
 * check_text.c - text that leaves the program (engine/text.c): a table of
 * known answers for cc_text_visible, worked out by hand from its contract
 * (C0 and DEL as \xHH, C1 as \u00HH, ill-formed bytes as U+FFFD,
 * backslashes doubled under CC_TEXT_BACKSLASH, LF and CRLF kept under
 * CC_TEXT_KEEP_NEWLINE), and cutting at a
 * character boundary when the output is too small.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chachong/text.h"
#include "test_util.h"

static char root[256];

static const struct {
  const char *in;
  unsigned flags;
  const char *out;
} rows[] = {
    {"", 0, ""},
    {"张三", 0, "张三"},
    {"plain ascii ~", 0, "plain ascii ~"},
    {"a\x1b[31mb", 0, "a\\x1b[31mb"},       /* ESC */
    {"bell\x07", 0, "bell\\x07"},           /* BEL */
    {"x\ny\tz\r", 0, "x\\x0ay\\x09z\\x0d"}, /* line breaks and tab */
    {"\x01\x1f\x7f", 0, "\\x01\\x1f\\x7f"}, /* first, last C0, DEL */
    {"\xc2\x85"
     "next",
     0, "\\u0085next"}, /* NEL, a C1 control */
    {"\xc2\x9b"
     "2J",
     0, "\\u009b2J"}, /* CSI, a C1 control */
    {"\xc2\xa0"
     "nbsp",
     0,
     "\xc2\xa0"
     "nbsp"}, /* U+00A0 is not C1 */
    {"\xff"
     "x",
     0,
     "\xef\xbf\xbd"
     "x"},                                       /* ill-formed: U+FFFD */
    {"\xe5\xbc", 0, "\xef\xbf\xbd\xef\xbf\xbd"}, /* cut sequence: two */
    {"a\\b", 0, "a\\b"},
    {"a\\b", CC_TEXT_BACKSLASH, "a\\\\b"},
    {"\\x1b", CC_TEXT_BACKSLASH, "\\\\x1b"}, /* no forged escape */
    {"a\nb\r\nc\rd\te", CC_TEXT_KEEP_NEWLINE, "a\nb\r\nc\\x0dd\\x09e"},
    {"\r", CC_TEXT_KEEP_NEWLINE, "\\x0d"}, /* a lone CR at the end */
    {"\x1b\n", CC_TEXT_KEEP_NEWLINE | CC_TEXT_BACKSLASH, "\\x1b\n"},
};

START_TEST(test_text_visible_table)
{
  const char *in = rows[_i].in, *want = rows[_i].out;
  char out[128];
  size_t len = cc_text_visible(out, sizeof out, in, strlen(in), rows[_i].flags);
  ck_assert_msg(strcmp(out, want) == 0, "row %d: got '%s', want '%s'", _i, out,
                want);
  ck_assert_uint_eq(len, strlen(want));
  ck_assert_int_eq(cc_text_is_visible(in, strlen(in), rows[_i].flags),
                   strcmp(in, want) == 0);
  /* Measuring alone (cap 0) gives the same length and writes nothing. */
  ck_assert_uint_eq(cc_text_visible(NULL, 0, in, strlen(in), rows[_i].flags),
                    len);
}
END_TEST

START_TEST(test_text_visible_cut)
{
  /* "张\x1b三": 张 (3 bytes), \x1b (4), 三 (3) = 10 bytes. */
  const char *in = "\xe5\xbc\xa0\x1b\xe4\xb8\x89";
  char out[16];
  size_t cap;
  static const char *const want[] = {
      "",   "",   "",        "",        "张",      "张",
      "张", "张", "张\\x1b", "张\\x1b", "张\\x1b", "张\\x1b三"};
  for (cap = 1; cap <= 11; cap++) {
    memset(out, 'Z', sizeof out);
    ck_assert_uint_eq(cc_text_visible(out, cap, in, strlen(in), 0), 10);
    ck_assert_msg(strcmp(out, want[cap]) == 0, "cap %zu: got '%s'", cap, out);
    ck_assert_int_eq(out[cap], 'Z'); /* nothing past cap */
  }
  /* NUL inside the text is a control too. */
  ck_assert_uint_eq(cc_text_visible(out, sizeof out, "a\0b", 3, 0), 6);
  ck_assert_str_eq(out, "a\\x00b");
}
END_TEST

static Suite *text_suite(void)
{
  Suite *s = suite_create("text");
  TCase *core = tcase_create("Core");
  tcase_add_loop_test(core, test_text_visible_table, 0,
                      (int)(sizeof rows / sizeof rows[0]));
  tcase_add_test(core, test_text_visible_cut);
  suite_add_tcase(s, core);
  return s;
}

int main(void)
{
  return tu_main(text_suite, root, sizeof root, "text");
}
