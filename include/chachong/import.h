/*
 * Answers from schools that stay offline (issue 14, point 7): the school
 * packages of `chachong export` (workbook or CSV) come back with the
 * answer column filled in, and each answer is recorded as a response to
 * its finding, as `chachong resolve` records one by hand.
 */
#ifndef CHACHONG_IMPORT_H
#define CHACHONG_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "chachong/index.h"
#include "chachong/lifecycle.h"
#include "chachong/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The columns of a school package that the import reads (the header row
 *  names them; other columns are ignored). */
#define CC_IMPORT_COL_FINDING "问题编号" /**< the finding_id, 16 hex digits */
#define CC_IMPORT_COL_SCHOOL "学校代码"  /**< the school the row belongs to */
#define CC_IMPORT_COL_ANSWER "本校处理结果" /**< the drop-down */
#define CC_IMPORT_COL_NOTE "处理说明" /**< free text beside it (optional) */

/**
 * The drop-down's choice for an action: 保留本校学籍 (keep), 已注销本校学籍
 * (cancel_own), 已请对方学校注销 (ask_other); NULL for CC_ACTION_NONE and
 * out of range. The workbook lists exactly these three, in this order.
 */
const char *cc_import_answer_zh(cc_response_action a);

/**
 * The action an answer cell names: one of the three choices, or an action
 * code ("keep", "cancel_own", "ask_other"), blanks around it ignored.
 * @return the cc_response_action; -1 when it names none.
 */
int cc_import_answer_parse(const char *text, size_t n);

/** Why a row (or a whole file) was not recorded. */
typedef enum cc_import_code {
  CC_IMPORT_UNREADABLE = 1, /**< "unreadable_file": not a workbook or CSV
                                 that can be read (the message says why) */
  CC_IMPORT_MISSING_COLUMN, /**< "missing_column": the header lacks it */
  CC_IMPORT_BAD_FINDING_ID, /**< "bad_finding_id": not 16 hex digits */
  CC_IMPORT_NO_FINDING,     /**< "finding_not_found": the period has none */
  CC_IMPORT_NO_SCHOOL,      /**< "missing_school": no school code */
  CC_IMPORT_NOT_MEMBER,     /**< "not_member": the school is not one of
                                 the finding's */
  CC_IMPORT_UNKNOWN_ANSWER, /**< "unknown_answer": not one of the choices */
  CC_IMPORT_NOTE_TOO_LONG,  /**< "note_too_long": over 511 bytes */
  CC_IMPORT_BAD_TEXT,       /**< "bad_text": a cell that is not text */
  CC_IMPORT_DUPLICATE_ROW,  /**< "duplicate_row": the finding answered
                                 again in the same file */
  CC_IMPORT_CODE_COUNT_
} cc_import_code;

/** Stable English code ("not_member"). */
const char *cc_import_code_name(cc_import_code c);
/** Chinese explanation for the school ("本校不是该问题涉及的学校…"). */
const char *cc_import_code_zh(cc_import_code c);

/** One thing not imported: a row, or a whole file (row 0). */
typedef struct cc_import_problem {
  char file[256];   /**< the file as given (cut to fit) */
  uint32_t row;     /**< workbook row or CSV line (header = 1); 0: file */
  char column[32];  /**< the column's header, "" for the file or row */
  uint8_t code;     /**< cc_import_code */
  char detail[256]; /**< more for an unreadable file (English), else "";
                         never an ID number or a name */
} cc_import_problem;

/** What an import did. */
typedef struct cc_import_result {
  size_t files;      /**< files given */
  size_t files_bad;  /**< files that could not be read at all */
  size_t rows;       /**< data rows read (rows with every cell empty not
                          counted) */
  size_t recorded;   /**< answers recorded */
  size_t already;    /**< answers recorded before from the same file */
  size_t unanswered; /**< rows without an answer: skipped */
  size_t refused;    /**< rows refused (each a problem) */
  cc_import_problem *problems; /**< malloc'd; n_problems entries */
  size_t n_problems;
} cc_import_result;

#define CC_IMPORT_OPTIONS_VERSION 1

/** Options of cc_import_responses; initialize with CC_IMPORT_OPTIONS_INIT. */
typedef struct cc_import_options {
  unsigned version;   /**< CC_IMPORT_OPTIONS_VERSION */
  const char *period; /**< "YYYY-MM": the period the packages came from
                           (required) */
  const char *user;   /**< the operator for the audit log; NULL or "":
                           the login name */
  const char *by;     /**< who gave the answers; NULL or "": "学校回执"
                           (the school's returned form) */
  cc_date date;       /**< when the schools acted; 0 (1970-01-01, never
                           an answer's date): today */
} cc_import_options;

#define CC_IMPORT_OPTIONS_INIT                                                 \
  {                                                                            \
    CC_IMPORT_OPTIONS_VERSION, NULL, NULL, NULL, 0                             \
  }

/**
 * Reads returned school packages and records their answers.
 *
 * A file is a workbook (.xlsx, its first worksheet, whatever its name) or
 * a CSV (UTF-8 with or without BOM, or GB18030 as Excel saves it). Its
 * header row (one of the first 10) names the columns CC_IMPORT_COL_*; a
 * row's school is its CC_IMPORT_COL_SCHOOL cell, which the export fills
 * with the package's school. A row is recorded when its answer names an
 * action, its finding is one of `period`'s and the school is one of the
 * finding's members' schools; it is recorded with the file's name, the
 * row and the file's digest, together with one audit entry (command
 * "import-responses", the operator, the finding, action, school, file and
 * row; never the note), both in one transaction. Rows without an answer
 * are counted and skipped; an answer already recorded from a file with
 * the same bytes is counted and not recorded again. Everything else is a
 * problem in `out`, and the import goes on.
 *
 * @param[out] out the counts and problems; dispose with
 *                 cc_import_result_dispose (also after an error)
 * @return 0 (problems are data); CC_EINVALID for bad options;
 *         CC_ENOTFOUND when the period is not in the database; CC_EIO,
 *         CC_ECORRUPT, CC_ENOMEM (answers recorded before stay recorded).
 */
int cc_import_responses(cc_import_result *out, cc_db *db,
                        const char *const *files, size_t n_files,
                        const cc_import_options *opts);

/** Frees the problems of a result; the struct itself is the caller's. */
void cc_import_result_dispose(cc_import_result *r);

#ifdef __cplusplus
}
#endif
#endif
