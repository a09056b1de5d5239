/*
 * School packages (issue 3, point 2): for one period, every school gets its
 * own cases back as a workbook and a CSV, in folders by province and city,
 * with roll-ups per city, per province and for the nation.
 *
 * Layout under the output directory (folders 0700, files 0600):
 *
 *   OUT/汇总_全国.xlsx|csv                       one row per province
 *   OUT/<pp>-<省名>/汇总_<pp>.xlsx|csv            one row per city
 *   OUT/<pp>-<省名>/<cccc>-<市名>/汇总_<cccc>.xlsx|csv   one row per school
 *   OUT/<pp>-<省名>/<cccc>-<市名>/<学校代码>.xlsx|csv    the school's cases
 *
 * pp and cccc are the first 2 and 4 digits of the school's GB/T 2260 region
 * code (cc_region_name() gives the names; an unlisted code is its own
 * name); a school without a usable code goes to 00-地区代码缺失/0000-地区代码
 * 缺失. A school is (roster label, school code): when one code is used by
 * schools of two rosters (一校两牌), each file is <学校代码>_<label>.
 *
 * A school package holds one row per finding with a member at that school,
 * however many of its records take part, and shows the student's FULL ID
 * number: the package goes back to the school that holds the record, which
 * must match it against its own roster. Handle it as personal data (谁导出、
 * 谁负责): every export is recorded in the database's audit log.
 *
 * The workbook is the file for people: its cells are typed (IDs and record
 * numbers are text). The CSV is for other programs: RFC 4180, UTF-8 with a
 * BOM, CRLF; a cell starting with = + - @ gets a leading ' so that a
 * spreadsheet does not run it as a formula. Excel opening the CSV directly
 * shows 18-digit ID numbers as numbers and drops digits: use the workbook.
 */
#ifndef CHACHONG_EXPORT_H
#define CHACHONG_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "chachong/index.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What an export writes (bits of cc_export_options.formats). */
#define CC_EXPORT_XLSX 1u /**< .xlsx workbooks */
#define CC_EXPORT_CSV 2u  /**< .csv: UTF-8 with BOM, CRLF, RFC 4180 */

/** Options of cc_export_period(); initialize with CC_EXPORT_OPTIONS_INIT. */
typedef struct cc_export_options {
  unsigned version;    /**< CC_EXPORT_OPTIONS_VERSION */
  const char *period;  /**< "YYYY-MM", required */
  const char *out_dir; /**< created (0700) when missing, required; files of
                            the same name are replaced, others left alone */
  const char *school;  /**< only schools with this code (any roster); NULL
                            or "": all */
  const char *region;  /**< only schools whose region code starts with
                            these digits ("37", "3701"); NULL or "": all */
  const char *user;    /**< operator for the audit log; NULL: login name */
  unsigned formats;    /**< CC_EXPORT_XLSX | CC_EXPORT_CSV (both: 0 too) */
  int threads;         /**< workers writing packages; 0: every core */
} cc_export_options;

#define CC_EXPORT_OPTIONS_VERSION 1
#define CC_EXPORT_OPTIONS_INIT                                                 \
  {                                                                            \
    CC_EXPORT_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL,                   \
        CC_EXPORT_XLSX | CC_EXPORT_CSV, 0                                      \
  }

/** What an export wrote. */
typedef struct cc_export_stats {
  uint64_t findings;    /**< findings of the period, any state */
  uint64_t rows;        /**< rows written to school packages (a finding
                            between two schools is a row in each) */
  uint64_t schools;     /**< school packages written */
  uint64_t cities;      /**< city roll-ups written */
  uint64_t provinces;   /**< province roll-ups written */
  uint64_t files;       /**< files written, roll-ups included */
  double load_seconds;  /**< reading the findings from the database */
  double write_seconds; /**< grouping and writing */
} cc_export_stats;

/**
 * Exports one period of a database: the school packages and roll-ups above.
 *
 * The audit entry (command "export", what = the options, records = the
 * number of rows) is recorded before any file is written, so no package
 * leaves without one; when it cannot be recorded nothing is written.
 *
 * @param[out] out  what was written; may be NULL. Zeroed on error.
 * @param db        an open database (not read-only: the audit log is
 *                  written)
 * @param opts      the options; period and out_dir are required
 * @return 0; CC_EINVALID for a bad period, region or missing option;
 *         CC_ENOTFOUND when the database holds no such period; CC_EIO
 *         when a file cannot be written (the files written so far stay);
 *         CC_ENOMEM; or the audit log's error.
 * @note Uses up to opts->threads OpenMP workers; one export at a time per
 *       database.
 */
int cc_export_period(cc_export_stats *out, cc_db *db,
                     const cc_export_options *opts);

/**
 * What a school must do about a finding of this type (POLICY.md), in
 * Chinese, as the packages show it.
 *
 * @param type          a cc_finding_type
 * @param other_school  1 when another school takes part in the finding
 * @return a static string; never NULL.
 */
const char *cc_export_action_zh(int type, int other_school);

/**
 * The Chinese name of the system behind a roster label: "教育部中职" for
 * "moe", "人社部技工" for "mohrss"; any other label is returned as it is.
 * @param label  NUL-terminated
 * @return a static string or `label`.
 */
const char *cc_export_system_zh(const char *label);

#ifdef __cplusplus
}
#endif
#endif
