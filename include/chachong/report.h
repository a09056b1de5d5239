/*
 * The report (issue 3, point 5): one self-contained HTML page for the nation
 * or one region, for the national operators and the provincial auditors.
 *
 * The page holds, for one period: counts by type and state, the money at
 * risk, the overdue cases (ID numbers masked), a province -> city -> school
 * breakdown, the schools with the most findings per thousand students, and
 * the trend over every period of the database as inline SVG charts. It is
 * UTF-8 with inline CSS and SVG only: no script, no font, no image and no
 * request of any kind, so it opens offline and can be mailed as it is.
 *
 * Two levels: cc_report_write() does everything from a database (and
 * records the audit entry); the cc_report object underneath takes findings
 * already loaded, so it can be fed by tests and benchmarks, and holds only
 * per-period totals for the trend (one period's findings at a time in
 * memory, however many periods the database holds).
 */
#ifndef CHACHONG_REPORT_H
#define CHACHONG_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "chachong/finding.h"
#include "chachong/index.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options of a report; initialize with CC_REPORT_OPTIONS_INIT. */
typedef struct cc_report_options {
  unsigned version;     /**< CC_REPORT_OPTIONS_VERSION */
  const char *period;   /**< "YYYY-MM"; NULL: the latest period held */
  const char *region;   /**< GB/T 2260 prefix: 2 digits (province) or 4
                               (city); NULL or "": the nation */
  const char *user;     /**< operator for the audit log; NULL: login name */
  unsigned top_overdue; /**< overdue cases listed, most overdue first */
  unsigned top_schools; /**< schools in the per-thousand ranking */
  unsigned min_records; /**< schools with fewer records in the period are
                               not ranked (a rate over 3 students says
                               little); 0 ranks every school */
  int64_t generated_at; /**< Unix seconds printed as the time the page was
                               made; 0: now (tests pin it) */
} cc_report_options;

#define CC_REPORT_OPTIONS_VERSION 1
#define CC_REPORT_OPTIONS_INIT                                                 \
  {                                                                            \
    CC_REPORT_OPTIONS_VERSION, NULL, NULL, NULL, 50, 20, 30, 0                 \
  }

/** What a report counted: for the caller's message and the audit log. */
typedef struct cc_report_summary {
  char period[8];         /**< the period reported, "YYYY-MM" */
  size_t periods;         /**< periods in the trend */
  uint64_t findings;      /**< findings of the period in scope, any state */
  uint64_t open;          /**< of which new, open or overdue */
  uint64_t overdue;       /**< of which overdue */
  uint64_t cleared;       /**< of which cleared */
  int64_t amount_at_risk; /**< fen, over the findings not cleared: money
                                paid twice (the duplicates) */
  uint64_t schools;       /**< schools in scope with a finding */
  int64_t amount_policy;  /**< fen, over the policy findings not cleared
                                (SPEC 3.2): money paid against the rules,
                                counted apart from amount_at_risk */
} cc_report_summary;

/** A report being assembled. Opaque; one thread at a time. */
typedef struct cc_report cc_report;

/**
 * Starts a report.
 * @param[out] out the report, to free with cc_report_free(); NULL on error
 * @param opts     copied (its strings too); NULL means the defaults
 * @return 0; CC_EINVALID when opts->region is not 2 or 4 digits or
 *         opts->period is not "YYYY-MM"; CC_ENOMEM.
 */
int cc_report_new(cc_report **out, const cc_report_options *opts);

/** Frees a report; NULL is allowed. */
void cc_report_free(cc_report *r);

/**
 * Adds one period to the trend: its findings in scope are counted by type
 * and state, with their money at risk. Periods may come in any order; a
 * period given twice replaces its totals.
 * @note Nothing of `list` is kept: it may be disposed on return.
 * @return 0; CC_EINVALID for a bad period; CC_ENOMEM.
 */
int cc_report_add_period(cc_report *r, const char *period,
                         const cc_finding_list *list);

/**
 * Sets the period the page is about (and adds it to the trend): every
 * section but the trend is computed from `list`, in one pass.
 * @note `list` must stay alive, unchanged, until cc_report_render() has
 *       returned: the overdue cases point into it.
 * @return 0; CC_EINVALID for a bad period or a second call; CC_ENOMEM.
 */
int cc_report_set_current(cc_report *r, const char *period,
                          const cc_finding_list *list);

/**
 * Gives the number of records a school (roster label, school code) holds in
 * the current period: the "students" of the per-thousand ranking. Schools
 * without a count are not ranked. May be called before or after
 * cc_report_set_current(); a second call for a school replaces the count.
 * @return 0; CC_ENOMEM.
 */
int cc_report_set_school_records(cc_report *r, const char *label,
                                 const char *school_code, uint64_t records);

/**
 * Renders the page.
 * @param[out] out     the HTML (UTF-8, NUL-terminated), malloc'd: free it;
 *                     NULL on error
 * @param[out] out_len its length in bytes; may be NULL
 * @return 0; CC_EINVALID when no current period was set; CC_ENOMEM (also
 *         when the page would pass 512 MiB).
 */
int cc_report_render(char **out, size_t *out_len, cc_report *r);

/** The totals of the current period (all zero before it is set). */
void cc_report_get_summary(cc_report_summary *out, const cc_report *r);

/**
 * Writes the report of one period of a database to `path` (mode 0600: the
 * page names schools and carries masked ID numbers), with the trend over
 * every period held, and records one audit entry (command "report",
 * records = the findings counted). The page appears whole or not at all:
 * it is written beside `path` and renamed once the audit entry is stored,
 * so there is no report without its audit entry.
 * @param[out] out what was counted; may be NULL
 * @return 0; CC_EINVALID (options); CC_ENOTFOUND when the database holds no
 *         period, or not opts->period; CC_EIO; CC_ECORRUPT; CC_ENOMEM.
 */
int cc_report_write(cc_report_summary *out, cc_db *db, const char *path,
                    const cc_report_options *opts);

#ifdef __cplusplus
}
#endif
#endif
