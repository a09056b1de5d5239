/*
 * check_buf.c - the capped text buffer and its CSV and JSON writers
 * (engine/buf.c). Expected outputs are worked out by hand from the
 * contracts in engine/buf_internal.h: the cap and the first failure, the
 * snprintf-like fixed buffer, RFC 4180 quoting with the formula leads
 * (OWASP: = + - @ TAB CR) neutralised by an apostrophe, JSON escapes and
 * U+FFFD for each byte that starts no well-formed UTF-8 sequence, HTML
 * escapes of & < > " ' with controls dropped, and RFC 3986 percent-encoding.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf_internal.h"
#include "chachong/errors.h"
#include "test_util.h"

static char root[256];

START_TEST(test_buf_grows_and_takes)
{
  cc_buf b;
  char *s, *big;
  size_t i;
  cc_buf_init(&b, 0);
  ck_assert_uint_eq(b.max, CC_BUF_MAX_DEFAULT);
  cc_buf_puts(&b, "ab");
  cc_buf_putc(&b, 'c');
  cc_buf_put(&b, NULL, 0); /* an empty cc_str */
  cc_buf_printf(&b, "-%d-%s", 42, "x");
  ck_assert_str_eq(b.p, "abc-42-x");
  ck_assert_uint_eq(b.len, 8);
  /* Past the 256 bytes printf formats on the stack, and past the first
   * allocation: the text is still whole. */
  big = malloc(1001);
  memset(big, 'z', 1000);
  big[1000] = '\0';
  cc_buf_printf(&b, "[%s]", big);
  ck_assert_uint_eq(b.len, 8 + 1002);
  ck_assert_int_eq(b.p[8], '[');
  ck_assert_int_eq(b.p[8 + 1001], ']');
  ck_assert_int_eq(b.p[b.len], '\0');
  for (i = 0; i < 1000; i++)
    ck_assert_int_eq(b.p[9 + i], 'z');
  ck_assert_int_eq(cc_buf_error(&b), 0);
  ck_assert_int_eq(cc_buf_check(&b, "x"), 0);
  cc_buf_reset(&b);
  ck_assert_uint_eq(b.len, 0);
  ck_assert_str_eq(b.p, "");
  cc_buf_puts(&b, "again");
  s = cc_buf_take(&b);
  ck_assert_str_eq(s, "again");
  ck_assert_ptr_null(b.p);
  ck_assert_uint_eq(b.len, 0);
  free(s);
  /* An empty buffer hands over "", not NULL. */
  s = cc_buf_take(&b);
  ck_assert_str_eq(s, "");
  free(s);
  cc_buf_dispose(&b);
  free(big);
}
END_TEST

START_TEST(test_buf_zeroed_is_default)
{
  /* A zeroed struct (= {0}) is a default buffer. */
  cc_buf b = {0};
  cc_buf_puts(&b, "x");
  ck_assert_str_eq(b.p, "x");
  ck_assert_uint_eq(b.max, CC_BUF_MAX_DEFAULT);
  cc_buf_dispose(&b);
}
END_TEST

START_TEST(test_buf_cap_first_failure)
{
  cc_buf b;
  char *at;
  cc_buf_init(&b, 10);
  cc_buf_puts(&b, "0123456789"); /* exactly the cap: fits */
  ck_assert_int_eq(cc_buf_error(&b), 0);
  ck_assert_str_eq(b.p, "0123456789");
  cc_buf_reset(&b);
  cc_buf_puts(&b, "abcdef");
  cc_buf_puts(&b, "ghijk"); /* 11 bytes: over the cap, not appended */
  ck_assert_int_eq(cc_buf_error(&b), CC_ENOMEM);
  ck_assert_str_eq(b.p, "abcdef");
  ck_assert_uint_eq(b.len, 6);
  /* Every append after the first failure does nothing, even one that
   * would fit. */
  cc_buf_putc(&b, 'g');
  cc_buf_printf(&b, "%d", 1);
  at = cc_buf_extend(&b, 1);
  ck_assert_ptr_null(at);
  ck_assert_str_eq(b.p, "abcdef");
  /* A reset keeps the failure: the caller checks once, at the end. */
  cc_buf_reset(&b);
  cc_buf_puts(&b, "a");
  ck_assert_uint_eq(b.len, 0);
  ck_assert_int_eq(cc_buf_check(&b, "report.html"), CC_ENOMEM);
  ck_assert_str_eq(cc_error_last(), "report.html is too large (over 10 bytes)");
  ck_assert_ptr_null(cc_buf_take(&b)); /* and the buffer is freed */
  ck_assert_ptr_null(b.p);
  cc_buf_dispose(&b);
  ck_assert_int_eq(cc_buf_error(&b), 0); /* dispose: as new */
  ck_assert_uint_eq(b.max, 10);
}
END_TEST

START_TEST(test_buf_cap_in_mib)
{
  /* The message names the cap in MiB; a single piece larger than the cap
   * fails at once (no allocation is tried). */
  cc_buf b;
  cc_buf_init(&b, (size_t)2 << 20);
  ck_assert_ptr_null(cc_buf_extend(&b, ((size_t)2 << 20) + 1));
  ck_assert_int_eq(cc_buf_check(&b, "findings.jsonl"), CC_ENOMEM);
  ck_assert_str_eq(cc_error_last(), "findings.jsonl is too large (over 2 MiB)");
  cc_buf_dispose(&b);
}
END_TEST

START_TEST(test_buf_fail_is_out_of_memory)
{
  /* A writer whose own allocation failed marks the buffer: the first
   * failure is kept, later ones do not overwrite it. */
  cc_buf b;
  cc_buf_init(&b, 4);
  cc_buf_puts(&b, "ok");
  cc_buf_fail(&b);
  cc_buf_puts(&b, "toolong"); /* over the cap too, but second */
  ck_assert_int_eq(cc_buf_check(&b, "the page"), CC_ENOMEM);
  ck_assert_str_eq(cc_error_last(), "out of memory writing the page");
  ck_assert_str_eq(b.p, "ok");
  cc_buf_dispose(&b);
}
END_TEST

START_TEST(test_buf_fixed_like_snprintf)
{
  char mem[12];
  cc_buf b;
  /* Measuring: no memory, the whole length counted. */
  cc_buf_init_fixed(&b, NULL, 0);
  cc_buf_puts(&b, "hello");
  cc_buf_printf(&b, " %s", "world");
  ck_assert_uint_eq(b.len, 11);
  /* Enough room: written, and nothing after it (no NUL either). */
  memset(mem, 'Z', sizeof mem);
  cc_buf_init_fixed(&b, mem, 11);
  cc_buf_puts(&b, "hello");
  cc_buf_printf(&b, " %s", "world");
  ck_assert_uint_eq(b.len, 11);
  ck_assert_int_eq(cc_buf_error(&b), 0);
  ck_assert_int_eq(memcmp(mem, "hello world", 11), 0);
  ck_assert_int_eq(mem[11], 'Z');
  /* Too little: the prefix that fits, never a byte past cap, and len
   * still the length the whole text needs. */
  memset(mem, 'Z', sizeof mem);
  cc_buf_init_fixed(&b, mem, 8);
  cc_buf_puts(&b, "hello");
  cc_buf_puts(&b, " world");
  cc_buf_puts(&b, "!");
  ck_assert_uint_eq(b.len, 12);
  ck_assert_int_eq(memcmp(mem, "hello wo", 8), 0);
  ck_assert_int_eq(mem[8], 'Z');
  ck_assert_int_eq(cc_buf_error(&b), CC_ENOMEM);
  ck_assert_ptr_null(cc_buf_extend(&b, 1));
  ck_assert_uint_eq(b.len, 13);
  cc_buf_dispose(&b); /* frees nothing: the memory is the caller's */
  ck_assert_int_eq(mem[0], 'h');
}
END_TEST

START_TEST(test_buf_reuse)
{
  /* A growing buffer over memory kept from one text to the next: written
   * from the start, grown when needed, and handed back in p and cap. */
  char *mem = malloc(4);
  cc_buf b;
  memcpy(mem, "old", 4);
  cc_buf_init_reuse(&b, 0, mem, 4);
  ck_assert_uint_eq(b.len, 0);
  cc_buf_puts(&b, "ab");
  ck_assert_ptr_eq(b.p, mem); /* 2 bytes and the NUL fit */
  ck_assert_str_eq(b.p, "ab");
  cc_buf_puts(&b, "cdefghij");
  ck_assert_str_eq(b.p, "abcdefghij");
  ck_assert_uint_ge(b.cap, 11);
  cc_buf_dispose(&b); /* frees the grown memory */
  /* None to start with. */
  cc_buf_init_reuse(&b, 3, NULL, 0);
  cc_buf_puts(&b, "abcd");
  ck_assert_int_eq(cc_buf_error(&b), CC_ENOMEM);
  cc_buf_dispose(&b);
}
END_TEST

/* ------------------------------------------------------------------ */
/* CSV cells. */

static const struct {
  const char *in;
  unsigned flags;
  const char *out;
} csv_rows[] = {
    {"", CC_CSV_TEXT, ""},
    {"张伟", CC_CSV_TEXT, "张伟"},
    {"plain", 0, "plain"},
    /* Each formula lead, neutralised by an apostrophe in a text cell. */
    {"=cmd|' /C calc'!A0", CC_CSV_TEXT, "'=cmd|' /C calc'!A0"},
    {"+1", CC_CSV_TEXT, "'+1"},
    {"-1", CC_CSV_TEXT, "'-1"},
    {"@SUM(1)", CC_CSV_TEXT, "'@SUM(1)"},
    {"\tx", CC_CSV_TEXT, "'\\x09x"},      /* TAB shown as an escape */
    {"\rx", CC_CSV_TEXT, "'\\x0dx"},      /* a lone CR too */
    {"\r\nx", CC_CSV_TEXT, "\"'\r\nx\""}, /* CRLF kept, quoted */
    /* The same in a cell chachong formats itself (an amount): as it is. */
    {"-1", 0, "-1"},
    {"=1", 0, "=1"},
    /* Only the first byte counts. */
    {"a=b", CC_CSV_TEXT, "a=b"},
    {" =1", CC_CSV_TEXT, " =1"},
    {"张=1", CC_CSV_TEXT, "张=1"},
    /* RFC 4180: commas, quotes and line breaks quoted, quotes doubled. */
    {"a,b", CC_CSV_TEXT, "\"a,b\""},
    {"say \"hi\"", CC_CSV_TEXT, "\"say \"\"hi\"\"\""},
    {"\"", 0, "\"\"\"\""},
    {"a\nb", CC_CSV_TEXT, "\"a\nb\""},
    {"a\r\nb", 0, "\"a\r\nb\""},
    {"=a,\"b\"", CC_CSV_TEXT, "\"'=a,\"\"b\"\"\""},
    /* One line: line breaks shown as escapes, so no quotes are needed. */
    {"a\nb", CC_CSV_ONE_LINE, "a\\x0ab"},
    {"-a\r\nb", CC_CSV_TEXT | CC_CSV_ONE_LINE, "'-a\\x0d\\x0ab"},
    /* Controls and ill-formed bytes (cc_text_visible). */
    {"a\x1b[31mb", 0, "a\\x1b[31mb"},
    {"\xc2\x85x", 0, "\\u0085x"},
    {"\xffx", CC_CSV_TEXT, "\xef\xbf\xbdx"},
};

START_TEST(test_csv_cell_table)
{
  cc_buf b;
  cc_buf_init(&b, 0);
  cc_csv_cell(&b, csv_rows[_i].in, strlen(csv_rows[_i].in), csv_rows[_i].flags);
  ck_assert_int_eq(cc_buf_error(&b), 0);
  ck_assert_msg(b.len == strlen(csv_rows[_i].out) &&
                    memcmp(b.p ? b.p : "", csv_rows[_i].out, b.len) == 0,
                "row %d: got '%.*s', want '%s'", _i, (int)b.len, b.p ? b.p : "",
                csv_rows[_i].out);
  cc_buf_dispose(&b);
}
END_TEST

START_TEST(test_csv_cell_appends)
{
  /* Cells append to what the buffer holds; the row is the caller's. */
  cc_buf b;
  cc_buf_init(&b, 0);
  cc_buf_puts(&b, CC_CSV_BOM);
  cc_csv_cstr(&b, "name", 0);
  cc_buf_putc(&b, ',');
  cc_csv_cstr(&b, "+86 10", CC_CSV_TEXT);
  cc_buf_putc(&b, ',');
  cc_csv_cstr(&b, "-12.50", 0);
  cc_buf_puts(&b, "\r\n");
  ck_assert_str_eq(b.p, "\xEF\xBB\xBFname,'+86 10,-12.50\r\n");
  cc_buf_dispose(&b);
}
END_TEST

START_TEST(test_csv_cell_over_cap)
{
  /* A cell that does not fit fails the buffer, which keeps the cells
   * before it. */
  cc_buf b;
  cc_buf_init(&b, 8);
  cc_csv_cstr(&b, "abc", CC_CSV_TEXT);
  cc_csv_cstr(&b, "=toolong", CC_CSV_TEXT);
  ck_assert_int_eq(cc_buf_error(&b), CC_ENOMEM);
  ck_assert_int_eq(strncmp(b.p, "abc", 3), 0);
  ck_assert_uint_le(b.len, 8);
  cc_buf_dispose(&b);
}
END_TEST

/* ------------------------------------------------------------------ */
/* JSON strings. */

static const struct {
  const char *in;
  size_t n; /* 0: strlen */
  const char *out;
} json_rows[] = {
    {"", 0, "\"\""},
    {"abc", 0, "\"abc\""},
    {"张伟\xf0\xa0\xae\xb7", 0, "\"张伟\xf0\xa0\xae\xb7\""}, /* 𠮷: 4 bytes */
    {"a\"b\\c", 0, "\"a\\\"b\\\\c\""},
    {"/", 0, "\"/\""}, /* not escaped */
    {"\n\t\x01\x1f", 0, "\"\\u000a\\u0009\\u0001\\u001f\""},
    {"\x7f", 0, "\"\x7f\""},                 /* DEL is not C0 */
    {"\xe2\x80\xa8", 0, "\"\xe2\x80\xa8\""}, /* U+2028: valid JSON as is */
    {"a\0b", 3, "\"a\\u0000b\""},
    /* Ill-formed UTF-8: U+FFFD for each byte that starts no sequence. */
    {"a\xff"
     "b",
     0,
     "\"a\xef\xbf\xbd"
     "b\""},
    {"\xc0\xaf", 0, "\"\xef\xbf\xbd\xef\xbf\xbd\""}, /* overlong */
    {"\xed\xa0\x80", 0,
     "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},    /* surrogate */
    {"\xe5\xbc", 0, "\"\xef\xbf\xbd\xef\xbf\xbd\""}, /* cut */
    {"\xf4\x90\x80\x80", 0,
     "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""}, /* > U+10FFFF */
    {"\x80", 0, "\"\xef\xbf\xbd\""}, /* stray continuation */
};

START_TEST(test_json_str_table)
{
  cc_buf b;
  size_t n = json_rows[_i].n ? json_rows[_i].n : strlen(json_rows[_i].in);
  cc_buf_init(&b, 0);
  cc_json_str(&b, json_rows[_i].in, n);
  ck_assert_int_eq(cc_buf_error(&b), 0);
  ck_assert_msg(strcmp(b.p, json_rows[_i].out) == 0,
                "row %d: got '%s', want '%s'", _i, b.p, json_rows[_i].out);
  cc_buf_dispose(&b);
}
END_TEST

START_TEST(test_json_str_fixed)
{
  /* Into a fixed buffer, measured first, as cc_finding_to_json does. */
  char mem[16];
  cc_buf b;
  cc_buf_init_fixed(&b, NULL, 0);
  cc_json_cstr(&b, "a\"\xff");
  ck_assert_uint_eq(b.len, 8); /* " a \" U+FFFD " */
  cc_buf_init_fixed(&b, mem, sizeof mem);
  cc_json_cstr(&b, "a\"\xff");
  ck_assert_int_eq(memcmp(mem, "\"a\\\"\xef\xbf\xbd\"", 8), 0);
}
END_TEST

static const struct {
  const char *in;
  size_t n; /* 0: strlen */
  const char *out;
} html_rows[] = {
    {"", 0, ""},
    {"张伟 abc", 0, "张伟 abc"},
    {"<a href=\"x\">&'</a>", 0,
     "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"},
    {"<a href='x'>&\"</a>\x07", 0,
     "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"},
    {"&amp;", 0, "&amp;amp;"}, /* escaped again */
    {"a\nb\tc", 0, "a b c"},   /* LF, TAB: a space */
    {"a\rb\x01\x1b\x7f"
     "c",
     0, "abc"}, /* other controls dropped */
    {"a\0b", 3, "ab"},
    /* Ill-formed UTF-8: U+FFFD for each byte that starts no sequence. */
    {"<\xff>", 0, "&lt;\xef\xbf\xbd&gt;"},
    {"\xc0\xaf", 0, "\xef\xbf\xbd\xef\xbf\xbd"},                 /* overlong */
    {"\xe5\xbc<", 0, "\xef\xbf\xbd\xef\xbf\xbd&lt;"},            /* cut */
    {"\xed\xa0\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
};

START_TEST(test_html_str_table)
{
  cc_buf b;
  size_t n = html_rows[_i].n ? html_rows[_i].n : strlen(html_rows[_i].in);
  cc_buf_init(&b, 0);
  cc_buf_puts(&b, "[");
  cc_html_str(&b, html_rows[_i].in, n);
  cc_buf_puts(&b, "]");
  ck_assert_int_eq(cc_buf_error(&b), 0);
  ck_assert_uint_eq(b.len, strlen(html_rows[_i].out) + 2);
  ck_assert_msg(b.p[0] == '[' &&
                    memcmp(b.p + 1, html_rows[_i].out, b.len - 2) == 0,
                "row %d: got '%s', want '[%s]'", _i, b.p, html_rows[_i].out);
  cc_buf_dispose(&b);
}
END_TEST

START_TEST(test_url_str)
{
  cc_buf b;
  cc_buf_init(&b, 0);
  cc_url_str(&b, "");
  ck_assert_uint_eq(b.len, 0);
  cc_url_str(&b, "AZaz09-_.~");
  ck_assert_str_eq(b.p, "AZaz09-_.~");
  cc_buf_reset(&b);
  cc_url_str(&b, "a b&c=d/e?f+g%h#i");
  ck_assert_str_eq(b.p, "a%20b%26c%3Dd%2Fe%3Ff%2Bg%25h%23i");
  cc_buf_reset(&b);
  cc_url_str(&b, "张\x01\xff"); /* 张 = E5 BC A0: each byte, upper-case hex */
  ck_assert_str_eq(b.p, "%E5%BC%A0%01%FF");
  cc_buf_dispose(&b);
  /* Through the cap: the first failure stays, the text as before it. */
  cc_buf_init(&b, 4);
  cc_url_str(&b, "ab<");
  ck_assert_int_eq(cc_buf_error(&b), CC_ENOMEM);
  ck_assert_str_eq(b.p, "ab");
  cc_buf_dispose(&b);
}
END_TEST

static Suite *buf_suite(void)
{
  Suite *s = suite_create("buf");
  TCase *core = tcase_create("Core");
  TCase *limits = tcase_create("Limits");
  tcase_add_test(core, test_buf_grows_and_takes);
  tcase_add_test(core, test_buf_zeroed_is_default);
  tcase_add_test(core, test_buf_fixed_like_snprintf);
  tcase_add_test(core, test_buf_reuse);
  tcase_add_loop_test(core, test_csv_cell_table, 0,
                      (int)(sizeof csv_rows / sizeof csv_rows[0]));
  tcase_add_test(core, test_csv_cell_appends);
  tcase_add_loop_test(core, test_json_str_table, 0,
                      (int)(sizeof json_rows / sizeof json_rows[0]));
  tcase_add_test(core, test_json_str_fixed);
  tcase_add_loop_test(core, test_html_str_table, 0,
                      (int)(sizeof html_rows / sizeof html_rows[0]));
  tcase_add_test(core, test_url_str);
  tcase_add_test(limits, test_buf_cap_first_failure);
  tcase_add_test(limits, test_buf_cap_in_mib);
  tcase_add_test(limits, test_buf_fail_is_out_of_memory);
  tcase_add_test(limits, test_csv_cell_over_cap);
  suite_add_tcase(s, core);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  return tu_main(buf_suite, root, sizeof root, "buf");
}
