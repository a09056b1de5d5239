/*
 * check_xlsx_read.c - the workbook reader (xlsx_read.h): which sheet it
 * takes, what each kind of cell reads as, rows and columns as the file
 * numbers them, and what it refuses.
 *
 * Workbooks are written by tu_write_xlsx (libzip, hand-written XML: every
 * byte of the worksheet is the test's own) and by libxlsxwriter, the
 * writer of the schools' workbooks, in both of its string modes (shared
 * strings, and inline strings in constant-memory mode), so the reader is
 * also checked against a real producer.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#include "chachong/errors.h"
#include "chachong/xlsx_read.h"
#include <zip.h>

#include "test_util.h"

static char root[256];
static char scratch[512];
static char path[600];

static void setup(void)
{
  tu_scratch_make(scratch, sizeof scratch, root);
  snprintf(path, sizeof path, "%s/w.xlsx", scratch);
}

static void teardown(void)
{
  tu_scratch_remove(scratch);
}

/* One row read: its number and its cells as "type:text|type:text|...". */
static char *row_text(cc_xlsx *x, uint32_t *row)
{
  const cc_xlsx_cell *cells;
  size_t n, i;
  tu_text t = {0};
  int rc = cc_xlsx_next_row(x, row, &cells, &n);
  ck_assert_msg(rc == 1, "next_row %d: %s", rc, cc_error_last());
  tu_text_put(&t, "", 0);
  for (i = 0; i < n; i++) {
    char type[16];
    snprintf(type, sizeof type, "%s%d:", i ? "|" : "", cells[i].type);
    tu_text_put(&t, type, strlen(type));
    tu_text_put(&t, cells[i].text.ptr, cells[i].text.len);
  }
  return t.p;
}

#define ck_row(x, want_row, want)                                              \
  do {                                                                         \
    uint32_t r_;                                                               \
    char *got_ = row_text((x), &r_);                                           \
    ck_assert_uint_eq(r_, (want_row));                                         \
    ck_assert_str_eq(got_, (want));                                            \
    free(got_);                                                                \
  } while (0)

static void ck_end(cc_xlsx *x)
{
  uint32_t row;
  const cc_xlsx_cell *cells;
  size_t n;
  ck_assert_int_eq(cc_xlsx_next_row(x, &row, &cells, &n), 0);
  ck_assert_int_eq(cc_xlsx_next_row(x, &row, &cells, &n), 0); /* and again */
}

/* Types: 1 text, 2 number, 3 bool, 4 error, 5 date; 0 empty. */
START_TEST(test_xlsx_read_cells)
{
  cc_xlsx *x = NULL;
  tu_write_xlsx(
      path, "worksheets/名单.xml",
      /* row 1: shared, rich shared with a phonetic run, inline,
                 * rich inline; B is left out */
      "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c>"
      "<c r=\"C1\" t=\"s\"><v>1</v></c>"
      "<c r=\"D1\" t=\"inlineStr\"><is><t>身份证号</t></is></c>"
      "<c r=\"E1\" t=\"inlineStr\"><is><r><t>王</t></r><r><t>𠮷</t></r>"
      "<rPh sb=\"0\" eb=\"1\"><t>wang</t></rPh></is></c></row>"
      /* rows 2 and 3 left out; row 4: numbers, bool, error,
                 * formula string, date, a styled empty cell, and cells
                 * without r (the next column) */
      "<row r=\"4\"><c r=\"A4\"><v>1.10101200501012E+17</v></c>"
      "<c r=\"B4\" t=\"n\"><v>440524800101001</v></c>"
      "<c r=\"C4\" t=\"b\"><v>1</v></c><c r=\"D4\" t=\"e\"><v>#N/A</v></c>"
      "<c r=\"E4\" t=\"str\"><f>A1&amp;\"x\"</f><v>a&lt;b&amp;c</v></c>"
      "<c r=\"F4\" t=\"d\"><v>2026-09-01</v></c><c r=\"G4\" s=\"3\"/>"
      "<c t=\"inlineStr\"><is><t xml:space=\"preserve\"> 一 </t></is></c>"
      "<c><v>45123</v></c></row>"
      /* an empty row, then a row without r: row 6 */
      "<row r=\"5\"/><row><c r=\"AA6\" "
      "t=\"inlineStr\"><is><t>z</t></is></c></row>",
      "<si><t>姓名</t></si><si><r><t>学籍</t></r><rPh><t>xueji</t></rPh>"
      "<r><t>状态</t></r></si>");
  ck_assert_int_eq(cc_xlsx_open(&x, path), 0);
  ck_row(x, 1, "1:姓名|0:|1:学籍状态|1:身份证号|1:王𠮷");
  ck_row(x, 4,
         "2:1.10101200501012E+17|2:440524800101001|3:1|4:#N/A|1:a<b&c|"
         "5:2026-09-01|0:|1: 一 |2:45123");
  ck_row(x, 5, "");
  /* AA is column 27: 26 empty cells before it */
  {
    uint32_t r;
    const cc_xlsx_cell *cells;
    size_t n;
    ck_assert_int_eq(cc_xlsx_next_row(x, &r, &cells, &n), 1);
    ck_assert_uint_eq(r, 6);
    ck_assert_uint_eq(n, 27);
    ck_assert_int_eq(cells[25].type, CC_XLSX_EMPTY);
    ck_assert_int_eq(cells[26].type, CC_XLSX_TEXT);
    ck_assert_uint_eq(cells[26].text.len, 1);
  }
  ck_end(x);
  cc_xlsx_close(x);
}
END_TEST

/* Prefixed element names and an absolute target, no shared strings. */
START_TEST(test_xlsx_read_prefixed)
{
  cc_xlsx *x = NULL;
  tu_write_xlsx(
      path, "/xl/worksheets/first.xml",
      "<x:row xmlns:x=\"urn:x\" r=\"2\"><x:c r=\"B2\" t=\"inlineStr\">"
      "<x:is><x:t>在籍</x:t></x:is></x:c></x:row>",
      NULL);
  ck_assert_int_eq(cc_xlsx_open(&x, path), 0);
  ck_row(x, 2, "0:|1:在籍");
  ck_end(x);
  cc_xlsx_close(x);
}
END_TEST

/* What the reader refuses, and how it says so. */
static void ck_refused_at_open(const char *what, const char *want)
{
  cc_xlsx *x = (cc_xlsx *)1;
  int rc = cc_xlsx_open(&x, path);
  ck_assert_msg(rc == CC_EINVALID, "%s: rc %d: %s", what, rc, cc_error_last());
  ck_assert_ptr_null(x);
  ck_assert_msg(strstr(cc_error_last(), want) != NULL, "%s: %s", what,
                cc_error_last());
  ck_assert_ptr_nonnull(strstr(cc_error_last(), path));
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "CSV UTF-8"));
}

static void ck_refused_in_rows(const char *sheet, const char *strings,
                               const char *want)
{
  cc_xlsx *x = NULL;
  uint32_t row;
  const cc_xlsx_cell *cells;
  size_t n;
  int rc;
  tu_write_xlsx(path, "worksheets/s.xml", sheet, strings);
  ck_assert_int_eq(cc_xlsx_open(&x, path), 0);
  while ((rc = cc_xlsx_next_row(x, &row, &cells, &n)) == 1)
    ;
  ck_assert_msg(rc == CC_EINVALID, "%s: rc %d", sheet, rc);
  ck_assert_msg(strstr(cc_error_last(), want) != NULL, "%s: %s", sheet,
                cc_error_last());
  ck_assert_int_eq(cc_xlsx_next_row(x, &row, &cells, &n), 0);
  cc_xlsx_close(x);
}

START_TEST(test_xlsx_read_refused)
{
  FILE *f;
  /* Not a zip at all (the reader is only given "PK" files by ingest, but
   * the service may give it anything). */
  tu_write_file(path, "身份证号,姓名\n");
  ck_refused_at_open("text", "not a readable .xlsx");
  /* A zip without a workbook (an .ods, a zip of CSVs). */
  {
    int err;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
    zip_source_t *s = zip_source_buffer(z, "a,b\n", 4, 0);
    ck_assert_int_ge(zip_file_add(z, "roster.csv", s, 0), 0);
    ck_assert_int_eq(zip_close(z), 0);
  }
  ck_refused_at_open("zip of csv", "no xl/workbook.xml");
  /* Malformed XML in the worksheet, rows out of order, a cell past XFD, a
   * missing shared string. */
  ck_refused_in_rows("<row r=\"1\"><c r=\"A1\"><v>1</v></row>", NULL,
                     "mismatched tag");
  ck_refused_in_rows("<row r=\"2\"/><row r=\"2\"/>", NULL, "out of order");
  ck_refused_in_rows("<row r=\"1048577\"/>", NULL, "out of order or outside");
  ck_refused_in_rows("<row r=\"1\"><c r=\"XFE1\"><v>1</v></c></row>", NULL,
                     "outside Excel's grid");
  ck_refused_in_rows("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>2</v></c></row>",
                     "<si><t>a</t></si><si><t>b</t></si>",
                     "shared string that is not there");
  /* The messages name the file. */
  f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  fclose(f);
}
END_TEST

/* Cells longer than CC_XLSX_CELL_MAX are cut to it (ingest then rejects
 * the row as field_too_long); the row is still read. */
START_TEST(test_xlsx_read_long_cell)
{
  cc_xlsx *x = NULL;
  size_t len;
  char *big = tu_repeat("x", CC_XLSX_CELL_MAX + 10, &len);
  tu_text t = {0};
  uint32_t row;
  const cc_xlsx_cell *cells;
  size_t n;
  tu_text_put(&t, "<row r=\"1\"><c t=\"inlineStr\"><is><t>", 35);
  tu_text_put(&t, big, len);
  tu_text_put(
      &t, "</t></is></c><c t=\"inlineStr\"><is><t>ok</t></is></c></row>", 59);
  tu_write_xlsx(path, "worksheets/s.xml", t.p, NULL);
  ck_assert_int_eq(cc_xlsx_open(&x, path), 0);
  ck_assert_int_eq(cc_xlsx_next_row(x, &row, &cells, &n), 1);
  ck_assert_uint_eq(n, 2);
  ck_assert_uint_eq(cells[0].text.len, CC_XLSX_CELL_MAX);
  ck_assert_uint_eq(cells[1].text.len, 2);
  ck_assert_int_eq(memcmp(cells[1].text.ptr, "ok", 2), 0);
  cc_xlsx_close(x);
  free(big);
  free(t.p);
}
END_TEST

/* libxlsxwriter's workbooks, both string modes, 3000 rows: every row
 * back with its number and cells. */
START_TEST(test_xlsx_read_libxlsxwriter)
{
  int mode;
  for (mode = 0; mode < 2; mode++) {
    lxw_workbook_options wo = {.constant_memory = (uint8_t)mode,
                               .tmpdir = scratch};
    lxw_workbook *wb = workbook_new_opt(path, &wo);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "名单");
    lxw_worksheet *other = workbook_add_worksheet(wb, "other");
    cc_xlsx *x = NULL;
    uint32_t r;
    char buf[64], want[128];
    worksheet_write_string(other, 0, 0, "second", NULL);
    worksheet_write_string(ws, 0, 0, "身份证号", NULL);
    worksheet_write_string(ws, 0, 1, "姓名", NULL);
    for (r = 1; r < 3000; r++) {
      snprintf(buf, sizeof buf, "1101012005%08u", r);
      worksheet_write_string(ws, (lxw_row_t)r, 0, buf, NULL);
      worksheet_write_string(ws, (lxw_row_t)r, 1, r % 2 ? "张三" : "李四",
                             NULL);
      worksheet_write_number(ws, (lxw_row_t)r, 2, r * 0.5, NULL);
    }
    ck_assert_int_eq(workbook_close(wb), LXW_NO_ERROR);
    ck_assert_int_eq(cc_xlsx_open(&x, path), 0);
    ck_row(x, 1, "1:身份证号|1:姓名");
    for (r = 1; r < 3000; r++) {
      snprintf(want, sizeof want, "1:1101012005%08u|1:%s|2:%g", r,
               r % 2 ? "张三" : "李四", r * 0.5);
      ck_row(x, r + 1, want);
    }
    ck_end(x);
    cc_xlsx_close(x);
  }
}
END_TEST

static Suite *xlsx_suite(void)
{
  Suite *s = suite_create("xlsx_read");
  TCase *core = tcase_create("Core");
  TCase *limits = tcase_create("Limits");
  tcase_add_checked_fixture(core, setup, teardown);
  tcase_add_test(core, test_xlsx_read_cells);
  tcase_add_test(core, test_xlsx_read_prefixed);
  tcase_add_test(core, test_xlsx_read_refused);
  tcase_set_timeout(core, 60);
  tcase_add_checked_fixture(limits, setup, teardown);
  tcase_add_test(limits, test_xlsx_read_long_cell);
  tcase_add_test(limits, test_xlsx_read_libxlsxwriter);
  tcase_set_timeout(limits, 300);
  suite_add_tcase(s, core);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  return tu_main(xlsx_suite, root, sizeof root, "xlsx_read");
}
