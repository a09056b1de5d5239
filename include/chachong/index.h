/*
 * The database: an LMDB environment holding every roster and the findings of
 * every period, keyed by the hash of the cleaned ID (layouts: engine/store*.c,
 * docs/ARCHITECTURE.md).
 */
#ifndef CHACHONG_INDEX_H
#define CHACHONG_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "chachong/finding.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An open database. Opaque; one per process and directory. */
typedef struct cc_db cc_db;

/** Options of cc_db_open; initialize with CC_DB_OPTIONS_INIT. */
typedef struct cc_db_options {
  unsigned version; /**< CC_DB_OPTIONS_VERSION */
  int no_sync;      /**< 1: do not fsync at commit (MDB_NOSYNC): a killed
                          process still leaves the database whole, a power
                          failure may lose the last run */
  int read_only;    /**< 1: open for reading only */
} cc_db_options;

#define CC_DB_OPTIONS_VERSION 1
#define CC_DB_OPTIONS_INIT                                                     \
  {                                                                            \
    CC_DB_OPTIONS_VERSION, 0, 0                                                \
  }

/** Version of the on-disk layout; one of versions 1 and 2 is taken as it
 *  is (cc_db_open), any other is refused. */
#define CC_DB_FORMAT 3

/**
 * Opens (creating if needed, mode 0700 directory, 0600 files) a database.
 * Leftovers of a run that was killed before it published are removed.
 * @param[out] out the database, to close with cc_db_close(); NULL on error
 * @return 0; CC_EIO; CC_ECORRUPT when the directory holds another format;
 *         CC_ENOTFOUND when read_only and the database does not exist.
 */
int cc_db_open(cc_db **out, const char *dir, const cc_db_options *opts);

/** Closes a database; NULL is allowed. */
void cc_db_close(cc_db *db);

/**
 * Lists the periods the database holds, oldest first.
 * @param[out] out   a malloc'd array of malloc'd "YYYY-MM" strings (free
 *                   each and the array); NULL when there are none
 * @param[out] count how many
 * @return 0 or an error code.
 */
int cc_db_periods(char ***out, size_t *count, cc_db *db);

/**
 * Loads the findings stored for a published period: its current findings
 * and, with state cleared, those it found gone, in output order.
 * @param[out] out the list; dispose with cc_finding_list_dispose()
 * @return 0; CC_ENOTFOUND when the database holds no such period.
 */
int cc_db_load_findings(cc_finding_list *out, cc_db *db, const char *period);

/**
 * Loads one finding of a published period by its finding_id, without
 * decoding the period's other findings (the findings store keeps an index
 * by finding_id).
 * @param[out] out a list of that one finding; dispose with
 *                 cc_finding_list_dispose() (empty on error)
 * @return 0; CC_ENOTFOUND when the database holds no such period or the
 *         period no such finding; CC_EINVALID for a malformed period;
 *         CC_ECORRUPT; CC_EIO.
 */
int cc_db_load_finding(cc_finding_list *out, cc_db *db, const char *period,
                       uint64_t finding_id);

/**
 * The run information of a period: JSON text {"period", "issued",
 * "deadline", "deadline_provisional", "findings" (present), "cleared",
 * "rosters": [{"label",
 * "records", "rejects"}], "run_at", "uid"}.
 * @param[out] json malloc'd, NUL-terminated; free it
 * @return 0 or CC_ENOTFOUND.
 */
int cc_db_period_info(char **json, cc_db *db, const char *period);

/** Records per school in a period (a school is roster label + code). */
typedef struct cc_school_count {
  char label[33];        /**< roster label */
  char school_code[256]; /**< as registered (trimmed) */
  char region_code[16];  /**< the smallest region code its records carry */
  uint64_t records;      /**< accepted records */
  uint64_t holding;      /**< of which hold an enrollment (在籍, 休学) */
} cc_school_count;

/**
 * The schools of a period with their record counts, sorted by label then
 * code (for rates such as findings per thousand students).
 * @param[out] out malloc'd array (free it); NULL when none
 * @return 0 or CC_ENOTFOUND.
 */
int cc_db_school_counts(cc_school_count **out, size_t *n, cc_db *db,
                        const char *period);

#ifdef __cplusplus
}
#endif
#endif
