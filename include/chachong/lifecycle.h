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

/** State of a finding in a run. */
typedef enum cc_finding_state {
  CC_STATE_NEW = 0,  /**< "new": not in the previous period */
  CC_STATE_OPEN,     /**< "open": seen before, deadline not passed */
  CC_STATE_OVERDUE,  /**< "overdue": seen again after its deadline */
  CC_STATE_CLEARED,  /**< "cleared": in the previous period, gone now */
  CC_STATE_COUNT_
} cc_finding_state;

/** Stable English code of a state ("overdue"). */
const char *cc_finding_state_code(cc_finding_state s);
/** Chinese name of a state ("已逾期"). */
const char *cc_finding_state_zh(cc_finding_state s);
/** Parses a state code; -1 when unknown. */
int cc_finding_state_parse(const char *code);

/** What a school did about a finding (POLICY: who keeps the enrollment). */
typedef enum cc_response_action {
  CC_ACTION_NONE = 0,
  CC_ACTION_KEEP,        /**< "keep": the student studies here; enrollment kept */
  CC_ACTION_CANCEL_OWN,  /**< "cancel_own": this school cancelled its record */
  CC_ACTION_ASK_OTHER,   /**< "ask_other": asked the other school to cancel */
  CC_ACTION_COUNT_
} cc_response_action;

const char *cc_response_action_code(cc_response_action a);
const char *cc_response_action_zh(cc_response_action a);
/** Parses an action code; -1 when unknown. */
int cc_response_action_parse(const char *code);

/** A school's response to a finding. */
typedef struct cc_response {
  uint64_t finding_id;   /**< the finding */
  cc_date date;          /**< when the school acted */
  int64_t recorded_at;   /**< when it was recorded (Unix seconds) */
  uint8_t action;        /**< cc_response_action */
  char school_code[64];  /**< the responding school */
  char by[64];           /**< who (a person's name or account) */
  char note[512];        /**< free text, UTF-8 */
  char user[64];         /**< the operator recording it, for the audit log
                              ("": the login name); not stored with it */
  char source[256];      /**< the file an imported answer came from (its
                              name; chachong import-responses), "" when
                              recorded by hand (resolve) */
  uint32_t source_row;   /**< its row in that file (header = 1), else 0 */
  uint64_t source_digest;/**< XXH3-64 of that file's bytes, else 0: a file
                              imported again is known by it */
} cc_response;

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
