/*
 * The database: an LMDB environment holding every roster and the findings of
 * every period, keyed by the hash of the cleaned ID (layouts: engine/index.c).
 */
#ifndef CHACHONG_INDEX_H
#define CHACHONG_INDEX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An open database. Opaque; one per process and directory. */
typedef struct cc_db cc_db;

/** Options of cc_db_open; initialize with CC_DB_OPTIONS_INIT. */
typedef struct cc_db_options {
  unsigned version;  /**< CC_DB_OPTIONS_VERSION */
  int no_sync;       /**< 1: do not fsync at commit (MDB_NOSYNC): a killed
                          process still leaves the database whole, a power
                          failure may lose the last run */
  int read_only;     /**< 1: open for reading only */
} cc_db_options;

#define CC_DB_OPTIONS_VERSION 1
#define CC_DB_OPTIONS_INIT {CC_DB_OPTIONS_VERSION, 0, 0}

/** Version of the on-disk layout; a database of another version is refused. */
#define CC_DB_FORMAT 1

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

#ifdef __cplusplus
}
#endif
#endif
