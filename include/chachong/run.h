/*
 * One monthly run: rosters in, findings with their clearing deadlines out.
 * The conductor that calls ingest, index, compare and the outputs in order.
 */
#ifndef CHACHONG_RUN_H
#define CHACHONG_RUN_H

#include <signal.h>
#include <stddef.h>

#include "chachong/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One roster of a run: `--roster LABEL=FILE`. */
typedef struct cc_roster_spec {
  const char *label; /**< e.g. "moe"; letters, digits, '_' and '-' */
  const char *path;  /**< the file */
  int encoding;      /**< cc_encoding; CC_ENC_AUTO to detect */
} cc_roster_spec;

/** Options of a run; initialize with CC_RUN_OPTIONS_INIT. */
typedef struct cc_run_options {
  unsigned version;              /**< CC_RUN_OPTIONS_VERSION */
  const char *db_dir;            /**< the LMDB directory (created if missing) */
  const char *period;            /**< "YYYY-MM" */
  cc_date issued;                /**< issue date; CC_DATE_NONE = today */
  const cc_roster_spec *rosters; /**< two or more, distinct labels */
  size_t n_rosters;
  const char *out_dir;           /**< findings.jsonl, rejects.csv, ... */
  int threads;                   /**< 0 = every core */
  const char *map_path;          /**< header mapping file, or NULL */
  const char *calendar_path;     /**< extra calendar file, or NULL */
  int no_sync;                   /**< see cc_db_options */
  int progress;                  /**< 1: progress on stderr (when a terminal) */
  volatile sig_atomic_t *cancel; /**< set to stop between blocks; or NULL */
  int no_fuzzy;                  /**< 1: exact tier only (--no-fuzzy) */
  /** Safety rail: a roster with fewer records than this share of the same
   *  label's roster in the previous period stops the run before anything
   *  is published (default 0.5; 0 turns the check off). */
  double min_roster_share;
  int allow_shrink; /**< 1: the operator confirms a shrunken roster */
  int allow_empty;  /**< 1: the operator confirms a roster of 0 records */
  /** An ID carried by more records than this is a placeholder, not a
   *  person: one data-quality item, no findings (default 20; 0 = 20). */
  unsigned max_records_per_id;
  /** The command line, written into the run locks so that a second run is
   *  told who holds them; or NULL. */
  const char *command;
  const char *rules_path; /**< policy rules file (--rules), or NULL for
                                  the defaults of SPEC 3.2 */
} cc_run_options;

#define CC_DATE_NONE INT32_MIN
#define CC_RUN_OPTIONS_VERSION 1
#define CC_MIN_ROSTER_SHARE_DEFAULT 0.5
#define CC_RUN_OPTIONS_INIT                                                    \
  {                                                                            \
    CC_RUN_OPTIONS_VERSION, NULL, NULL, CC_DATE_NONE, NULL, 0, NULL, 0, NULL,  \
        NULL, 0, 0, NULL, 0, CC_MIN_ROSTER_SHARE_DEFAULT, 0, 0,                \
        CC_MAX_RECORDS_PER_ID_DEFAULT, NULL, NULL                              \
  }

/**
 * Runs the monthly cross-check of one period.
 *
 * Reads every roster, indexes them in the database as the period (replacing
 * an earlier run of the same period only when this one succeeds), compares,
 * judges every record by the policy rules (SPEC 3.2; opts->rules_path),
 * and writes findings.jsonl, rejects.csv, invalid_ids.csv, possible.jsonl
 * (fuzzy pairs for review, not findings) and summary.txt
 * (mode 0600) into out_dir (mode 0700, created if missing).
 *
 * @param[out] summary the human summary (also in summary.txt), malloc'd,
 *                     for the caller to free; NULL on failure. May be NULL.
 * Before anything is written, out_dir and db_dir must be the user's own and
 * not writable by group or others, and each is locked for the run (one run
 * at a time per database and per output folder). Before anything is
 * published, each roster must yield records, and no fewer than
 * min_roster_share of the same label's records in the previous period,
 * unless allow_empty / allow_shrink confirm it: a misread file never
 * clears findings.
 *
 * @return 0; CC_EINVALID (bad options, a missing required column: the message
 *         names the file and column; a folder others can write; a roster
 *         stopped by a safety rail: the message names the label, the file
 *         and the counts); CC_EBUSY (another run holds the database or the
 *         output folder: the message names it); CC_ENOTFOUND / CC_EIO
 *         (files); CC_ECORRUPT (database); CC_ENOMEM; CC_EINTERRUPTED.
 *         On failure the database holds what it held before, with one
 *         exception: the period is stored last but one, and if renaming an
 *         output file into place then fails, the error says which file is
 *         left under its temporary name (the period is stored).
 */
int cc_run_monthly(char **summary, const cc_run_options *opts);

#ifdef __cplusplus
}
#endif
#endif
