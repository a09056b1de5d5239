/*
 * fuzz_xlsx.c - libFuzzer target for the workbook reader (xlsx_read.h).
 *
 * Any bytes are written to a file and opened as a workbook; every row is
 * read. Besides the sanitizers' checks it asserts the reader's contract:
 * rows increase within Excel's grid, a row has at most CC_XLSX_COLS_MAX
 * cells, cell text is within CC_XLSX_CELL_MAX, and an empty cell is "".
 * The seeds (fuzz/corpus/xlsx/) are small workbooks written by openpyxl,
 * some with their parts stored rather than deflated, so that mutations
 * reach the XML.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chachong/errors.h"
#include "chachong/xlsx_read.h"
#include "fuzz_file.h"

static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  fuzz_file_make(path, "fuzz_xlsx");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  cc_xlsx *x = NULL;
  const cc_xlsx_cell *cells;
  uint32_t row, last = 0;
  size_t n, i;
  int rc;
  fuzz_file_write(path, data, size);

  rc = cc_xlsx_open(&x, path);
  if (rc != 0) {
    if (x != NULL || (rc != CC_EINVALID && rc != CC_ENOTFOUND && rc != CC_EIO))
      abort();
    return 0;
  }
  while ((rc = cc_xlsx_next_row(x, &row, &cells, &n)) > 0) {
    if (row <= last || row > CC_XLSX_ROWS_MAX || n > CC_XLSX_COLS_MAX)
      abort();
    last = row;
    for (i = 0; i < n; i++) {
      if (cells[i].text.len > CC_XLSX_CELL_MAX || cells[i].type > CC_XLSX_DATE)
        abort();
      if ((cells[i].type == CC_XLSX_EMPTY) != (cells[i].text.len == 0))
        abort();
      if (cells[i].text.len > 0)
        (void)memchr(cells[i].text.ptr, 0, cells[i].text.len); /* readable */
    }
  }
  if (rc < 0 && rc != CC_EINVALID && rc != CC_EIO)
    abort();
  /* After the end or an error, the end again. */
  if (rc <= 0 && cc_xlsx_next_row(x, &row, &cells, &n) > 0)
    abort();
  cc_xlsx_close(x);
  return 0;
}
