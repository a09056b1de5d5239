/*
 * Reading an .xlsx workbook: the cells of its first worksheet, row by row.
 * Used by ingest (a roster given as a workbook) and meant for the
 * service's answer import, which reads the workbooks schools send back.
 */
#ifndef CHACHONG_XLSX_READ_H
#define CHACHONG_XLSX_READ_H

#include <stddef.h>
#include <stdint.h>

#include "chachong/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An open workbook. Opaque; one thread at a time. */
typedef struct cc_xlsx cc_xlsx;

/** What a cell holds. */
typedef enum cc_xlsx_type {
  CC_XLSX_EMPTY = 0, /**< no cell, or a cell without a value */
  CC_XLSX_TEXT,      /**< a shared, inline or formula string */
  CC_XLSX_NUMBER,    /**< a number as the file writes it ("1.10101E+17",
                          "45123" for a date: numbers are not formatted) */
  CC_XLSX_BOOL,      /**< "0" or "1" */
  CC_XLSX_ERROR,     /**< an error value such as "#N/A" */
  CC_XLSX_DATE       /**< an ISO 8601 date cell (t="d"), text as given */
} cc_xlsx_type;

/** One cell of a row. */
typedef struct cc_xlsx_cell {
  cc_str text;  /**< the value as text; "" when empty */
  uint8_t type; /**< cc_xlsx_type */
} cc_xlsx_cell;

#ifndef CC_FUZZ_LIMITS
/** Longest cell text kept, in bytes; a longer one is cut to this length
 *  (callers with a smaller limit see that it is over theirs). */
#define CC_XLSX_CELL_MAX (1024 * 1024)
/** Most text of one row, and of all shared strings together. */
#define CC_XLSX_ROW_MAX (64 * 1024 * 1024)
#define CC_XLSX_STRINGS_MAX ((size_t)1024 * 1024 * 1024)
#else
#define CC_XLSX_CELL_MAX 256
#define CC_XLSX_ROW_MAX 8192
#define CC_XLSX_STRINGS_MAX ((size_t)1024 * 1024)
#endif
/** Excel's own limits: columns A-XFD, rows 1-1,048,576. */
#define CC_XLSX_COLS_MAX 16384
#define CC_XLSX_ROWS_MAX 1048576

/**
 * Opens a workbook and reads its shared strings. The first worksheet is
 * the first <sheet> of xl/workbook.xml, found through its relationship.
 *
 * @param[out] out the workbook, to close with cc_xlsx_close(); NULL on error
 * @return 0; CC_ENOTFOUND/CC_EIO when the file cannot be read; CC_EINVALID
 *         with "FILE: ..." when it is not a workbook chachong can read (not
 *         a zip, no worksheet, an encrypted part, malformed XML), the
 *         message saying to save it as CSV UTF-8; CC_ENOMEM.
 */
int cc_xlsx_open(cc_xlsx **out, const char *path);

/**
 * The next row of the first worksheet that the file holds (rows it leaves
 * out are empty and skipped).
 *
 * @param[out] row   the row number (1-based), increasing
 * @param[out] cells the cells, indexed by column (0 = A); gaps are
 *                   CC_XLSX_EMPTY
 * @param[out] n     the number of cells: the last column with a cell, + 1
 * @return 1 with a row; 0 at the end; CC_EINVALID for malformed XML, a
 *         cell outside Excel's grid, rows out of order or a row over
 *         CC_XLSX_ROW_MAX; CC_EIO; CC_ENOMEM.
 * @note cells and their text stay valid until the next call or close.
 */
int cc_xlsx_next_row(cc_xlsx *x, uint32_t *row, const cc_xlsx_cell **cells,
                     size_t *n);

/** Closes a workbook; NULL is fine. */
void cc_xlsx_close(cc_xlsx *x);

#ifdef __cplusplus
}
#endif
#endif
