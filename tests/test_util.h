/*
 * test_util.h - helpers shared by the tests/check_*.c binaries: scratch
 * directories under a per-binary root, whole files written and read back,
 * a growable text buffer, and small builders (cc_str, check characters).
 *
 * Helpers that take a test's side fail the running Check test through
 * ck_assert on error; they are meant to be called inside a test (or its
 * fixture). Everything returned on the heap is freed by the caller.
 */
#ifndef CC_TEST_UTIL_H
#define CC_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>

#include "chachong/index.h"
#include "chachong/types.h"

/* ------------------------------------------------------------------ */
/* Directories. */

/* Removes dir and everything under it (no error if missing; "" is a no-op). */
void tu_remove_tree(const char *dir);

/* Makes the directory "$TMPDIR/<prefix>_XXXXXX" in out: 0, or -1 after perror. */
int tu_root_make(char *out, size_t cap, const char *prefix);

/* Makes a fresh "<root>/t_XXXXXX" directory in out; fails the test if it cannot. */
void tu_scratch_make(char *out, size_t cap, const char *root);

/* Removes the directory named by scratch and empties the string. */
void tu_scratch_remove(char *scratch);

/* Runs s (CK_NORMAL) and frees the runner; returns how many tests failed. */
int tu_run_suite(Suite *s);

/* A check binary's main: fresh root "cc_check_<name>_...", make() run, root removed. */
int tu_main(Suite *(*make)(void), char *root, size_t cap, const char *name);

/* ------------------------------------------------------------------ */
/* Files. */

/* Writes text to path (created or truncated); fails the test on error. */
void tu_write_file(const char *path, const char *text);

/* Returns all of path, NUL-terminated and malloc'd; fails the test if unreadable. */
char *tu_read_file(const char *path);

/* Returns path's permission bits (st_mode & 07777); fails the test if path is missing. */
unsigned tu_mode_of(const char *path);

/*
 * Writes a minimal .xlsx at path (libzip): xl/workbook.xml naming two
 * sheets, the first of which (r:id rId7, so that no name is guessed) is
 * sheet_xml's <sheetData> wrapped in a <worksheet>, at the part
 * `sheet_part` ("worksheets/a.xml" or an absolute "/xl/..." target); the
 * second sheet, which a reader must not take, holds one cell "second".
 * strings_xml, when not NULL, is the <sst> body (the <si> elements).
 * Parts are deflated; fails the test on error.
 */
void tu_write_xlsx(const char *path, const char *sheet_part,
                   const char *sheet_xml, const char *strings_xml);

/* ------------------------------------------------------------------ */
/* Values. */

/* A growable, always NUL-terminated buffer; start from {0}, free(p) when done. */
typedef struct tu_text {
  char *p;
  size_t len, cap;
} tu_text;

/* Appends n bytes of p to t; fails the test if out of memory. */
void tu_text_put(tu_text *t, const void *p, size_t n);

/* A cc_str viewing s (NULL gives the empty view); valid while s is. */
cc_str tu_str(const char *s);

/* Returns unit repeated times over in a malloc'd string, its length in *len. */
char *tu_repeat(const char *unit, size_t times, size_t *len);

/* The ISO 7064 MOD 11-2 check character of the 17 digits at d17. */
char tu_check_char(const char *d17);

/* Opens (creating) dir read-write without fsync; fails the test if it cannot. */
cc_db *tu_db_open(const char *dir);

/* The number of audit entries of `command` in db; fails the test if the
 * log cannot be read. */
size_t tu_audit_count(cc_db *db, const char *command);

/* A test's scratch folder under root (into scratch) and a database made
 * in its "db" (path into db_dir), opened; tu_db_scratch_end closes it,
 * sets *db to NULL and removes the folder. */
cc_db *tu_db_scratch(char *scratch, size_t scap, char *db_dir, size_t dcap,
                     const char *root);
void tu_db_scratch_end(cc_db **db, char *scratch);

/* How many times needle (not empty) occurs in s, without overlaps. */
size_t tu_count(const char *s, const char *needle);

#endif
