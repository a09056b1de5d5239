/* Applying the lifecycle to a run's findings (private: run.c), and the
 * responses' layout (private: lifecycle.c and import.c). */
#ifndef CC_LIFECYCLE_INTERNAL_H
#define CC_LIFECYCLE_INTERNAL_H

#include "chachong/lifecycle.h"

/* The schools' responses (layout at the top of lifecycle.c): the
 * sub-database, its key (u64 finding_id | u64 microseconds) and the
 * longest value. */
#define CC_RESPONSE_DB "responses"
#define CC_RESPONSE_KEY_LEN 16
#define CC_RESPONSE_VALUE_MAX (13 + 1 + 64 + 1 + 64 + 2 + 512 + 1 + 256 + 12)

/*
 * Encodes a response: its key, whose time (bytes 8-15) is left 0 for
 * cc_db_put_timed / cc_db_put_timed_n to write, and its value into val
 * (CC_RESPONSE_VALUE_MAX bytes); recorded_at 0 is stored as `now`.
 * Returns the value's length. For cc_response_record, and for the answer
 * import, which writes a response and its audit entry in one transaction.
 */
size_t cc_response_encode(uint8_t key[CC_RESPONSE_KEY_LEN], uint8_t *val,
                          const cc_response *r, int64_t now);

/* What the run knows when it applies the lifecycle. */
typedef struct cc_lifecycle_run {
  const char *period;       /* "YYYY-MM" of the run */
  cc_date issued;           /* the run's issue date (D) */
  cc_date deadline;         /* D + 10 working days, for new findings */
  int deadline_provisional; /* 1 when that deadline is provisional */
} cc_lifecycle_run;

/*
 * Sets state, issued, deadline, first_period and seen on every finding of
 * `cur` from the previous period's findings `prev` (NULL or empty: all
 * new), appends prev's active findings that are gone as cleared (cur takes
 * over prev's storage; prev is left empty), applies the schools' responses
 * from the database, and sorts cur into output order.
 */
int cc_lifecycle_apply(cc_finding_list *cur, cc_finding_list *prev,
                       const cc_lifecycle_run *run, cc_db *db);

#endif
