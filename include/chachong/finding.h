/*
 * The finding: the one type that compare produces and that lifecycle, export
 * and query consume (SPEC section 3).
 */
#ifndef CHACHONG_FINDING_H
#define CHACHONG_FINDING_H

#include <stddef.h>
#include <stdint.h>

#include "chachong/normalize_id.h"
#include "chachong/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Finding types, in output order. */
typedef enum cc_finding_type {
  CC_FT_DUAL_ENROLLMENT = 0, /**< "dual_enrollment" 双重学籍 */
  CC_FT_DUPLICATE_RECORD,    /**< "duplicate_record" 重复注册 */
  CC_FT_DOUBLE_GRANT,        /**< "double_grant" 重复领取助学金 */
  CC_FT_DOUBLE_WAIVER,       /**< "double_waiver" 重复免学费 */
  CC_FT_ID_CONFLICT,       /**< "id_conflict" 身份证号对应不同姓名 */
  CC_FT_INELIGIBLE_GRANT,  /**< "ineligible_grant" 违规享受国家助学金
                                  (SPEC 3.2; one member, with a reason) */
  CC_FT_INELIGIBLE_WAIVER, /**< "ineligible_waiver" 违规享受免学费 */
  CC_FT_SUBSIDY_REVIEW,    /**< "subsidy_review" 资助待核实 */
  CC_FT_COUNT_
} cc_finding_type;

/** The first policy type (SPEC 3.2): types from it on judge one record. */
#define CC_FT_POLICY_FIRST CC_FT_INELIGIBLE_GRANT

/** 1 when a type is a policy finding (one record against the rules). */
int cc_finding_type_is_policy(cc_finding_type t);

/** Why a policy finding was made (SPEC 3.2); 0 for the duplicates. */
typedef enum cc_finding_reason {
  CC_REASON_NONE = 0,       /**< a duplicate finding: no reason */
  CC_REASON_PART_TIME,      /**< "part_time" 非全日制学生 */
  CC_REASON_THIRD_YEAR,     /**< "third_year" 三年级学生领取助学金 */
  CC_REASON_BEYOND_PROGRAM, /**< "beyond_program" 超学制年限 */
  CC_REASON_OVER_AGE,       /**< "over_age" 大龄学生 */
  CC_REASON_COUNT_
} cc_finding_reason;

/** Stable English code of a reason ("part_time"; "" for none). */
const char *cc_finding_reason_code(cc_finding_reason r);
/** Chinese name of a reason ("非全日制学生"; "" for none). */
const char *cc_finding_reason_zh(cc_finding_reason r);
/** What the school must do about a finding of this type and reason, in
 *  Chinese (export, query); NULL for the duplicate types. */
const char *cc_finding_reason_todo_zh(cc_finding_type t, cc_finding_reason r);
/** 1 when SPEC 3.2 gives findings of this type for this reason
 *  (ineligible_grant: part_time, third_year, beyond_program;
 *  ineligible_waiver: part_time, beyond_program; subsidy_review: over_age). */
int cc_finding_reason_fits(cc_finding_type t, cc_finding_reason r);
/** The reason a code names, or -1. */
int cc_finding_reason_parse(const char *code);

/** Stable English code of a type ("dual_enrollment"). */
const char *cc_finding_type_code(cc_finding_type t);
/** Chinese name of a type ("双重学籍"). */
const char *cc_finding_type_zh(cc_finding_type t);

/** How the members of a finding were found to be one person (SPEC 2.3). */
typedef enum cc_match_basis {
  CC_BASIS_ID_EXACT = 0, /**< "id_exact": equal cleaned IDs */
  CC_BASIS_ID_TYPO,      /**< "id_typo": IDs one typo apart (fuzzy tier) */
  CC_BASIS_NAME_BIRTH,   /**< "name_birth": same name, birth date and sex,
                              IDs alike (fuzzy tier) */
  CC_BASIS_REVIEWED,     /**< "reviewed": a reviewer decided the records are
                              one person (chachong review) */
  CC_BASIS_COUNT_
} cc_match_basis;

/** Fields compared by the fuzzy tier. */
typedef enum cc_evidence_field {
  CC_EV_ID = 0,
  CC_EV_NAME,
  CC_EV_BIRTH,
  CC_EV_SEX,
  CC_EV_REGION,
  CC_EV_COUNT_
} cc_evidence_field;

/** One field's comparison: its level and Fellegi-Sunter weight. */
typedef struct cc_evidence {
  uint8_t field;    /**< cc_evidence_field */
  uint8_t level;    /**< field-specific level (fuzzy.c) */
  int16_t weight10; /**< weight log2(m/u), times 10 */
} cc_evidence;

#define CC_EVIDENCE_MAX 8

/** Levels of the ID comparison (field CC_EV_ID). */
typedef enum cc_id_level {
  CC_IDL_SUB_FIX = 0, /**< one digit apart; one ID fails its check: a typo */
  CC_IDL_SWAP_FIX,   /**< two adjacent digits swapped; one ID fails its check */
  CC_IDL_CHECK_ONLY, /**< only the check character differs */
  CC_IDL_SUB_VALID,  /**< one digit apart, both IDs valid */
  CC_IDL_SWAP_VALID, /**< adjacent digits swapped, both valid */
  CC_IDL_OTHER,      /**< more than that */
  CC_IDL_DIGIT_MISSING, /**< 17 characters: the 18 with one left out */
  CC_IDL_COUNT_
} cc_id_level;

/** Levels of the other fields: name, birth date, sex, region. */
enum {
  CC_NAMEL_EQUAL = 0,
  CC_NAMEL_HOMOPHONE,
  CC_NAMEL_DIFFERENT,
  CC_SAME = 0,
  CC_DIFFERENT = 1,
  CC_TYPO = 2, /* birth date, sex */
  CC_REGL_COUNTY = 0,
  CC_REGL_PROVINCE,
  CC_REGL_DIFFERENT,
  CC_REGL_TYPO
};

/** "id_exact", "id_typo", "name_birth". */
const char *cc_match_basis_code(cc_match_basis b);
/** "id", "name", "birth_date", "sex", "region". */
const char *cc_evidence_field_code(int field);
/** e.g. "one_substitution_check_fails", "homophone". */
const char *cc_evidence_level_code(int field, int level);
/** The Chinese explanation of a level, for auditors. */
const char *cc_evidence_zh(int field, int level);

/** State of a finding in a run. */
typedef enum cc_finding_state {
  CC_STATE_NEW = 0, /**< "new": not in the previous period */
  CC_STATE_OPEN,    /**< "open": seen before, deadline not passed */
  CC_STATE_OVERDUE, /**< "overdue": seen again after its deadline */
  CC_STATE_CLEARED, /**< "cleared": in the previous period, gone now */
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
  CC_ACTION_KEEP, /**< "keep": the student studies here; enrollment kept */
  CC_ACTION_CANCEL_OWN, /**< "cancel_own": this school cancelled its record */
  CC_ACTION_ASK_OTHER,  /**< "ask_other": asked the other school to cancel */
  CC_ACTION_COUNT_
} cc_response_action;

const char *cc_response_action_code(cc_response_action a);
const char *cc_response_action_zh(cc_response_action a);
/** Parses an action code; -1 when unknown. */
int cc_response_action_parse(const char *code);

/** A school's response to a finding. */
typedef struct cc_response {
  uint64_t finding_id;    /**< the finding */
  cc_date date;           /**< when the school acted */
  int64_t recorded_at;    /**< when it was recorded (Unix seconds) */
  uint8_t action;         /**< cc_response_action */
  char school_code[64];   /**< the responding school */
  char by[64];            /**< who (a person's name or account) */
  char note[512];         /**< free text, UTF-8 */
  char user[64];          /**< the operator recording it, for the audit log
                              ("": the login name); not stored with it */
  char source[256];       /**< the file an imported answer came from (its
                              name; chachong import-responses), "" when
                              recorded by hand (resolve) */
  uint32_t source_row;    /**< its row in that file (header = 1), else 0 */
  uint64_t source_digest; /**< XXH3-64 of that file's bytes, else 0: a file
                              imported again is known by it */
} cc_response;

/** One record taking part in a finding. Strings as registered. */
typedef struct cc_member {
  uint16_t roster; /**< roster number of the run that found it */
  cc_str label;    /**< roster label ("moe"); owned by the list */
  uint32_t line;   /**< physical line in the roster file */
  uint8_t status;  /**< cc_status */
  int64_t grant;   /**< fen */
  int64_t waiver;  /**< fen */
  cc_str name, record_id, school_code, school_name, region_code;
  cc_str id; /**< the record's cleaned ID; set for fuzzy findings
                          (their members' IDs differ), empty otherwise */
} cc_member;

/** A finding. Strings and members are owned by the cc_finding_list. */
typedef struct cc_finding {
  uint64_t finding_id;    /**< stable across months (docs/RULES.md) */
  uint8_t type;           /**< cc_finding_type */
  uint8_t cross;          /**< 1: members from two or more rosters */
  uint8_t id_valid;       /**< 1 when the cleaned ID is valid */
  uint8_t id_reason;      /**< cc_id_reason when invalid */
  uint8_t reason;         /**< cc_finding_reason: policy findings only */
  char id[CC_ID_MAX + 1]; /**< cleaned ID */
  cc_str person_name;     /**< registered name of the first member */
  cc_member *members;     /**< sorted by roster, then line */
  uint32_t n_members;
  int64_t amount_at_risk; /**< fen: paid beyond one payment */
  /* Lifecycle (SPEC 3): set by the run, stored with the finding. */
  uint8_t state;                /**< cc_finding_state (lifecycle.h) */
  uint8_t deadline_provisional; /**< 1: deadline from a provisional year */
  uint8_t cleared_on_time;      /**< state cleared: 1 if gone by the deadline */
  uint8_t claimed;              /**< a response claimed it resolved before this
                              run, and it is still here */
  uint8_t response_action; /**< latest response's cc_response_action, 0 none */
  cc_date response_date;   /**< when the school acted */
  cc_str response_by, response_school,
      response_note;    /**< who, which school, note */
  cc_date issued;       /**< issue date of the run that first found it */
  cc_date deadline;     /**< issued + 10 working days */
  cc_date seen;         /**< issue date of this run */
  cc_date cleared;      /**< state cleared: issue date of the run that
                              found it gone */
  char first_period[8]; /**< "YYYY-MM" of the run that first found it */
  /* Match (SPEC 2.3): exact findings have basis id_exact, confidence 1. */
  uint8_t basis;       /**< cc_match_basis */
  uint8_t n_evidence;  /**< entries of evidence (fuzzy findings) */
  uint16_t confidence; /**< posterior probability x 10000 */
  cc_evidence evidence[CC_EVIDENCE_MAX]; /**< why, field by field */
} cc_finding;

/** The findings of one comparison. */
typedef struct cc_finding_list {
  cc_finding *items;
  size_t n;
  void *mem_; /**< private: storage of strings and members */
} cc_finding_list;

/**
 * Takes over src's storage (strings and members) without its findings:
 * findings copied from src into dst stay valid; src is left empty.
 */
void cc_finding_list_adopt(cc_finding_list *dst, cc_finding_list *src);

/** Frees what a list owns (not the struct itself). */
void cc_finding_list_dispose(cc_finding_list *list);

/**
 * Sorts findings into output order: type, then cleaned ID, then finding_id.
 * The order does not depend on the number of threads that found them.
 */
void cc_finding_list_sort(cc_finding_list *list);

/** What a run adds to each finding when it is written out. */
typedef struct cc_finding_context {
  const char *period; /**< "YYYY-MM" of the run */
} cc_finding_context;

/**
 * Writes one finding as a JSON object (one line, with a final '\n') in the
 * form of SPEC section 3.1.
 * @param[out] buf  where to write; may be NULL to measure
 * @param cap       its size
 * @return the length the full line needs (without a NUL); when it is >= cap
 *         nothing useful was written.
 */
size_t cc_finding_to_json(char *buf, size_t cap, const cc_finding *f,
                          const cc_finding_context *ctx);

/** The finding_id as 16 lower-case hex digits and a NUL. */
void cc_finding_id_hex(char out[17], uint64_t id);

#ifdef __cplusplus
}
#endif
#endif
