/*
 * test_util.c - the helpers of test_util.h, shared by every check_ binary.
 */
#define _GNU_SOURCE
#include "test_util.h"

#include "chachong/audit.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zip.h>

/* ------------------------------------------------------------------ */
/* Directories. */

static int rm_entry(const char *path, const struct stat *sb, int flag,
                    struct FTW *ftw)
{
  (void)sb;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

void tu_remove_tree(const char *dir)
{
  if (dir[0])
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int tu_root_make(char *out, size_t cap, const char *prefix)
{
  const char *tmp = getenv("TMPDIR");
  snprintf(out, cap, "%s/%s_XXXXXX", tmp && *tmp ? tmp : "/tmp", prefix);
  if (mkdtemp(out) == NULL) {
    perror(out);
    return -1;
  }
  return 0;
}

void tu_scratch_make(char *out, size_t cap, const char *root)
{
  snprintf(out, cap, "%s/t_XXXXXX", root);
  ck_assert_ptr_nonnull(mkdtemp(out));
}

void tu_scratch_remove(char *scratch)
{
  tu_remove_tree(scratch);
  scratch[0] = '\0';
}

int tu_run_suite(Suite *s)
{
  SRunner *sr = srunner_create(s);
  int failed;
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed;
}

int tu_main(Suite *(*make)(void), char *root, size_t cap, const char *name)
{
  char prefix[64];
  int failed;
  snprintf(prefix, sizeof prefix, "cc_check_%s", name);
  if (tu_root_make(root, cap, prefix) < 0)
    return EXIT_FAILURE;
  failed = tu_run_suite(make());
  tu_remove_tree(root);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Files. */

void tu_write_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_ge(fputs(text, f), 0);
  ck_assert_int_eq(fclose(f), 0);
}

char *tu_read_file(const char *path)
{
  FILE *f = fopen(path, "r");
  char *buf;
  long n;
  ck_assert_msg(f != NULL, "cannot read %s", path);
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = malloc((size_t)n + 1);
  ck_assert_ptr_nonnull(buf);
  ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

unsigned tu_mode_of(const char *path)
{
  struct stat sb;
  ck_assert_msg(stat(path, &sb) == 0, "%s missing", path);
  return (unsigned)(sb.st_mode & 07777);
}

/* ------------------------------------------------------------------ */
/* Values. */

void tu_text_put(tu_text *t, const void *p, size_t n)
{
  if (t->len + n + 1 > t->cap) {
    size_t cap = t->cap ? t->cap : 1024;
    while (cap < t->len + n + 1)
      cap *= 2;
    t->p = realloc(t->p, cap);
    ck_assert_ptr_nonnull(t->p);
    t->cap = cap;
  }
  memcpy(t->p + t->len, p, n);
  t->len += n;
  t->p[t->len] = '\0';
}

cc_str tu_str(const char *s)
{
  cc_str r;
  r.ptr = s;
  r.len = s ? (uint32_t)strlen(s) : 0;
  return r;
}

char *tu_repeat(const char *unit, size_t times, size_t *len)
{
  size_t u = strlen(unit), i;
  char *s = malloc(u * times + 1);
  ck_assert_ptr_nonnull(s);
  for (i = 0; i < times; i++)
    memcpy(s + i * u, unit, u);
  s[u * times] = '\0';
  *len = u * times;
  return s;
}

char tu_check_char(const char *d17)
{
  static const int w[17] = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                            3, 7, 9,  10, 5, 8, 4, 2};
  int i, s = 0;
  for (i = 0; i < 17; i++)
    s += (d17[i] - '0') * w[i];
  return "10X98765432"[s % 11];
}

cc_db *tu_db_open(const char *dir)
{
  cc_db *db = NULL;
  cc_db_options o = CC_DB_OPTIONS_INIT;
  o.no_sync = 1;
  ck_assert_int_eq(cc_db_open(&db, dir, &o), 0);
  ck_assert_ptr_nonnull(db);
  return db;
}

size_t tu_audit_count(cc_db *db, const char *command)
{
  cc_audit_entry *list = NULL;
  size_t n = 0, i, k = 0;
  ck_assert_int_eq(cc_audit_list(&list, &n, db, 0), 0);
  for (i = 0; i < n; i++)
    k += strcmp(list[i].command, command) == 0;
  free(list);
  return k;
}

/* ------------------------------------------------------------------ */
/* Workbooks. */

static void tu_puts(tu_text *t, const char *s)
{
  tu_text_put(t, s, strlen(s));
}

static void zip_put(zip_t *z, const char *name, const char *text)
{
  size_t n = strlen(text);
  char *copy = malloc(n ? n : 1);
  zip_source_t *src;
  ck_assert_ptr_nonnull(copy);
  memcpy(copy, text, n);
  src = zip_source_buffer(z, copy, n, 1); /* libzip frees copy */
  ck_assert_ptr_nonnull(src);
  ck_assert_int_ge(zip_file_add(z, name, src, ZIP_FL_ENC_UTF_8), 0);
}

void tu_write_xlsx(const char *path, const char *sheet_part,
                   const char *sheet_xml, const char *strings_xml)
{
  static const char ns[] = "http://schemas.openxmlformats.org";
  tu_text t = {0};
  char *entry;
  int err = 0;
  zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
  ck_assert_msg(z != NULL, "zip_open %s: %d", path, err);

  {
    char buf[1024];
    snprintf(buf, sizeof buf,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
             "<workbook xmlns=\"%s/spreadsheetml/2006/main\" "
             "xmlns:r=\"%s/officeDocument/2006/relationships\"><sheets>"
             "<sheet name=\"名单\" sheetId=\"3\" r:id=\"rId7\"/>"
             "<sheet name=\"other\" sheetId=\"1\" r:id=\"rId1\"/>"
             "</sheets></workbook>",
             ns, ns);
    zip_put(z, "xl/workbook.xml", buf);
    snprintf(buf, sizeof buf,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
             "<Relationships xmlns=\"%s/package/2006/relationships\">"
             "<Relationship Id=\"rId1\" "
             "Type=\"%s/officeDocument/2006/relationships/worksheet\" "
             "Target=\"worksheets/sheet1.xml\"/>"
             "<Relationship Id=\"rId7\" "
             "Type=\"%s/officeDocument/2006/relationships/worksheet\" "
             "Target=\"%s\"/>"
             "<Relationship Id=\"rId9\" "
             "Type=\"%s/officeDocument/2006/relationships/sharedStrings\" "
             "Target=\"sharedStrings.xml\"/>"
             "</Relationships>",
             ns, ns, ns, sheet_part, ns);
    zip_put(z, "xl/_rels/workbook.xml.rels", buf);
    snprintf(buf, sizeof buf,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet "
             "xmlns=\"%s/spreadsheetml/2006/main\">"
             "<sheetData><row r=\"1\"><c r=\"A1\" "
             "t=\"inlineStr\"><is><t>second</t></is></c></row>"
             "</sheetData></worksheet>",
             ns);
    zip_put(z, "xl/worksheets/sheet1.xml", buf);
  }
  tu_puts(&t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet xmlns=\"");
  tu_puts(&t, ns);
  tu_puts(&t, "/spreadsheetml/2006/main\"><sheetData>");
  tu_puts(&t, sheet_xml);
  tu_puts(&t, "</sheetData></worksheet>");
  entry = malloc(strlen(sheet_part) + 4);
  ck_assert_ptr_nonnull(entry);
  if (sheet_part[0] == '/')
    strcpy(entry, sheet_part + 1);
  else
    sprintf(entry, "xl/%s", sheet_part);
  zip_put(z, entry, t.p);
  free(entry);
  if (strings_xml) {
    t.len = 0;
    tu_puts(&t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sst xmlns=\"");
    tu_puts(&t, ns);
    tu_puts(&t, "/spreadsheetml/2006/main\">");
    tu_puts(&t, strings_xml);
    tu_puts(&t, "</sst>");
    zip_put(z, "xl/sharedStrings.xml", t.p);
  }
  ck_assert_int_eq(zip_close(z), 0);
  free(t.p);
}

cc_db *tu_db_scratch(char *scratch, size_t scap, char *db_dir, size_t dcap,
                     const char *root)
{
  tu_scratch_make(scratch, scap, root);
  snprintf(db_dir, dcap, "%s/db", scratch);
  return tu_db_open(db_dir);
}

void tu_db_scratch_end(cc_db **db, char *scratch)
{
  cc_db_close(*db);
  *db = NULL;
  tu_scratch_remove(scratch);
}

size_t tu_count(const char *s, const char *needle)
{
  size_t n = 0, len = strlen(needle);
  while ((s = strstr(s, needle)) != NULL) {
    n++;
    s += len;
  }
  return n;
}
