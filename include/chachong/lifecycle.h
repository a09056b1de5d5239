/*
 * Findings across months (SPEC section 3): the state of each finding
 * (new, open, overdue, cleared) and the responses schools record.
 */
#ifndef CHACHONG_LIFECYCLE_H
#define CHACHONG_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "chachong/finding.h"
#include "chachong/index.h"
#include "chachong/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Records a response, and its entry in the audit log (command "resolve",
 * by r->user: "finding=<id> action=<code> by=<by> school=<code>
 * date=<YYYY-MM-DD>", 1 record). The finding must exist in some period of
 * the database.
 * @return 0; CC_ENOTFOUND when no period holds the finding; CC_EINVALID for
 *         a bad action or empty `by`; CC_EIO / CC_ECORRUPT (the response is
 *         then not recorded, or, when only the audit write failed, recorded
 *         without its entry and the error returned).
 */
int cc_response_record(cc_db *db, const cc_response *r);

/**
 * The responses to a finding (finding_id 0: to every finding), in the
 * order they were recorded.
 * @param[out] out malloc'd array (free it); NULL when none
 */
int cc_response_list(cc_response **out, size_t *n, cc_db *db,
                     uint64_t finding_id);

#ifdef __cplusplus
}
#endif
#endif
