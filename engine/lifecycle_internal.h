/* Applying the lifecycle to a run's findings (private: run.c). The
 * responses' layout is the findings store's (store_internal.h). */
#ifndef CC_LIFECYCLE_INTERNAL_H
#define CC_LIFECYCLE_INTERNAL_H

#include "chachong/lifecycle.h"

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
