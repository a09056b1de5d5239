/*
 * Auditor queries (issue 3, point 3): the findings of one or more periods
 * filtered by ID number, name, school, region, type and state, written as a
 * table, CSV or JSON lines with ID numbers masked unless asked otherwise.
 * Every query leaves one entry in the audit log ("谁导出、谁负责").
 */
#ifndef CHACHONG_QUERY_H
#define CHACHONG_QUERY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chachong/finding.h"
#include "chachong/index.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How cc_query_write() prints the findings. */
typedef enum cc_query_format {
  CC_QUERY_TABLE = 0, /**< aligned columns for people, Chinese headers */
  CC_QUERY_CSV,       /**< UTF-8, CRLF, RFC 4180, English header row */
  CC_QUERY_JSONL      /**< the findings.jsonl line of each finding */
} cc_query_format;

/**
 * What to look for; initialize with CC_QUERY_OPTIONS_INIT.
 *
 * Filters combine with AND; the values of one filter combine with OR (two
 * types: either type). A filter with no values does not filter. A finding
 * matches a member filter (name, school, region) when any of its members
 * does. The strings are the caller's and are only read during the call.
 */
typedef struct cc_query_options {
  unsigned version;           /**< CC_QUERY_OPTIONS_VERSION */
  const char *const *periods; /**< "YYYY-MM" each; none: the latest */
  size_t n_periods;
  int all_periods;        /**< 1: every period (periods must be empty) */
  const char *const *ids; /**< ID numbers as typed: cleaned like a
                                     roster cell (apostrophe, full-width,
                                     white space, 15 -> 18 digits) */
  size_t n_ids;
  const char *const *names; /**< names, compared folded (SPEC 2.2) with
                                     the person's and every member's */
  size_t n_names;
  const char *const *schools; /**< school codes (any roster), trimmed */
  size_t n_schools;
  const char *const *regions; /**< GB/T 2260 prefixes of a member's
                                     region_code: 2, 4 or 6 digits */
  size_t n_regions;
  const char *const *types; /**< "dual_enrollment", ... (English codes) */
  size_t n_types;
  const char *const *states; /**< "new", "open", "overdue", "cleared" */
  size_t n_states;
  size_t limit;               /**< at most this many findings; 0: all */
  int format;                 /**< cc_query_format (cc_query_write) */
  int unmasked;               /**< 1: full ID numbers in the output */
  const char *user;           /**< operator for the audit log; NULL or
                                     "": the login name */
  const char *const *reasons; /**< policy reasons (SPEC 3.2):
                                     "part_time", "third_year",
                                     "beyond_program", "over_age" */
  size_t n_reasons;
} cc_query_options;

#define CC_QUERY_OPTIONS_VERSION 1
#define CC_QUERY_OPTIONS_INIT                                                  \
  {                                                                            \
    CC_QUERY_OPTIONS_VERSION, NULL, 0, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0,  \
        NULL, 0, NULL, 0, 0, CC_QUERY_TABLE, 0, NULL, NULL, 0                  \
  }

/** Longest audit description (cc_audit_entry.what), NUL included. */
#define CC_QUERY_WHAT_MAX 1024

/** The findings a query matched. Dispose with cc_query_result_dispose(). */
typedef struct cc_query_result {
  cc_finding_list findings; /**< matches: periods oldest first, each period
                                 in output order (cc_finding_list_sort) */
  uint32_t *period_of;      /**< per finding: its index in periods */
  char (*periods)[8];       /**< the periods searched, oldest first */
  size_t n_periods;
  size_t matched;               /**< findings that matched, before the limit
                                 (findings.n is what came back) */
  char what[CC_QUERY_WHAT_MAX]; /**< the audit entry's description */
} cc_query_result;

/**
 * Runs a query: checks every filter, loads the findings of the periods
 * (cleared ones included), keeps those that match, and records one audit
 * entry (command "query", what = the filters with ID numbers masked, the
 * format and whether unmasked; records = findings.n) BEFORE returning
 * anything. When the entry cannot be written the query fails and `out`
 * holds nothing.
 *
 * @param[out] out the matches; emptied first, left empty on failure
 * @param db       opened read-write (the audit log is written)
 * @param q        what to look for
 * @return 0 (also when nothing matched); CC_EINVALID for a bad filter (a
 *         value that cannot be an ID number, a name that folds to nothing,
 *         a region that is not 2/4/6 digits, an unknown type or state, a
 *         period not of the form YYYY-MM, periods with all_periods, or a
 *         read-only database); CC_ENOTFOUND when a period is not in the
 *         database, or no period is given and the database holds none;
 *         CC_EIO / CC_ECORRUPT / CC_ENOMEM from the database or the audit.
 * @note Messages never hold a full ID number.
 */
int cc_query_run(cc_query_result *out, cc_db *db, const cc_query_options *q);

/** Frees what a result owns (not the struct); safe on an emptied result. */
void cc_query_result_dispose(cc_query_result *r);

/**
 * Writes a result in q->format, ID numbers masked (cc_id_mask: person ID,
 * and any 15-18 digit run inside names, record numbers and notes) unless
 * q->unmasked.
 *
 * - table: 期间 问题编号 类型 状态 身份证号 姓名 学校 涉及金额 截止日期,
 *   columns padded by display width (CJK wide characters count 2); schools
 *   are "label:code", distinct, in member order; a provisional deadline
 *   ends in '*'. Control characters are shown as spaces.
 * - csv: the header row period,finding_id,type,scope,state,id_number,
 *   id_valid,name,members,schools,school_names,region_codes,member_names,
 *   amount_at_risk,issued,deadline,deadline_provisional,first_period,
 *   cleared,claimed_resolved,reason; one row per finding (reason: a
 *   policy finding's, SPEC 3.2, else empty); member columns hold one
 *   value per member, in member order, joined by ';' (members:
 *   "label:line"; schools: "label:code"). No BOM.
 * - jsonl: each finding's findings.jsonl line with "period" its period.
 *
 * Text that is not UTF-8 is written as U+FFFD.
 * @return 0, or CC_EIO when writing failed.
 */
int cc_query_write(FILE *out, const cc_query_result *r,
                   const cc_query_options *q);

/**
 * Columns a UTF-8 string takes on a terminal: 2 for East Asian wide and
 * full-width characters (CJK, Hangul, kana, full-width forms, the
 * supplementary ideographic planes), 0 for combining marks, else 1; each
 * byte that is not UTF-8 counts 1.
 */
size_t cc_query_display_width(const char *s, size_t len);

#ifdef __cplusplus
}
#endif
#endif
