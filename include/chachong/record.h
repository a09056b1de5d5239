/*
 * The normalized roster row: the one type that ingest produces and the
 * index stores, with its columns, statuses and reject reasons.
 */
#ifndef CHACHONG_RECORD_H
#define CHACHONG_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "chachong/normalize_id.h"
#include "chachong/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Columns of SPEC section 1; the first four are required. */
typedef enum cc_column {
  CC_COL_ID = 0,        /**< 身份证号 id_number */
  CC_COL_NAME,          /**< 姓名 name */
  CC_COL_SCHOOL_CODE,   /**< 学校代码 school_code */
  CC_COL_STATUS,        /**< 学籍状态 status */
  CC_COL_SCHOOL_NAME,   /**< 学校名称 school_name */
  CC_COL_REGION_CODE,   /**< 所在地区代码 region_code */
  CC_COL_RECORD_ID,     /**< 学籍号 record_id */
  CC_COL_STUDY_MODE,    /**< 学习形式 study_mode */
  CC_COL_GRADE,         /**< 年级 grade */
  CC_COL_ENROLL_DATE,   /**< 入学日期 enroll_date */
  CC_COL_PROGRAM_YEARS, /**< 学制 program_years */
  CC_COL_MAJOR,         /**< 专业名称 major */
  CC_COL_GRANT,         /**< 助学金 grant_amount */
  CC_COL_WAIVER,        /**< 免学费 waiver_amount */
  CC_COL_COUNT
} cc_column;

#define CC_COL_REQUIRED 4 /**< columns 0..3 are required */

/** The canonical Chinese header of a column. */
const char *cc_column_name_zh(cc_column col);
/** The English alias of a column (lower case). */
const char *cc_column_name_en(cc_column col);
/**
 * The column a header cell names: Chinese canonical name, or English alias
 * case-insensitively; surrounding white space ignored.
 * @return the column, or -1 when the header is not one of ours.
 */
int cc_column_lookup(const char *header, size_t len);

/** Enrollment status (学籍状态). 0 is "unknown". */
typedef enum cc_status {
  CC_STATUS_UNKNOWN = 0,
  CC_STATUS_ENROLLED,    /**< 在籍 */
  CC_STATUS_SUSPENDED,   /**< 休学 */
  CC_STATUS_WITHDRAWN,   /**< 退学 */
  CC_STATUS_TRANSFERRED, /**< 转学 (transferred out) */
  CC_STATUS_GRADUATED,   /**< 毕业 */
  CC_STATUS_COMPLETED,   /**< 结业 */
  CC_STATUS_CANCELLED,   /**< 注销 */
  CC_STATUS_COUNT_
} cc_status;

/** Parses a status cell (Chinese word or English alias, trimmed). */
cc_status cc_status_parse(const char *text, size_t len);
/** The Chinese word of a status ("在籍"). */
const char *cc_status_zh(cc_status st);
/** 1 when a record with this status holds an enrollment (在籍, 休学). */
int cc_status_holds(cc_status st);

/**
 * Parses a money cell into fen (1/100 yuan): digits, optional ',' grouping,
 * at most two decimals, an optional leading ¥ or ￥, surrounding white
 * space. Empty means 0.
 * @return 0, or -1 when the cell is not such an amount.
 */
int cc_money_parse(int64_t *out_fen, const char *text, size_t len);

/**
 * Writes an amount in yuan the way JSON and the projection show it: no
 * trailing zeros ("1000", "1500.5", "0.25").
 * @return the length written (buf needs 24 bytes).
 */
int cc_money_format(char *buf, int64_t fen);

/** Why a row was rejected (docs/RULES.md). */
typedef enum cc_reject_code {
  CC_REJ_NONE = 0,
  CC_REJ_UNTERMINATED_QUOTE,
  CC_REJ_FIELD_TOO_LONG,
  CC_REJ_BAD_TEXT,
  CC_REJ_ID_EMPTY,
  CC_REJ_ID_SCIENTIFIC,
  CC_REJ_ID_NOT_DIGITS,
  CC_REJ_ID_TOO_SHORT,
  CC_REJ_ID_TOO_LONG,
  CC_REJ_NAME_EMPTY,
  CC_REJ_NAME_TOO_LONG,
  CC_REJ_SCHOOL_CODE_EMPTY,
  CC_REJ_SCHOOL_CODE_TOO_LONG,
  CC_REJ_STATUS_EMPTY,
  CC_REJ_STATUS_UNKNOWN,
  CC_REJ_AMOUNT_INVALID,
  CC_REJ_STRAY_QUOTE, /**< a quote opened a field that ran into the next
                           rows (docs/RULES.md); checked during the scan */
  CC_REJ_COUNT_
} cc_reject_code;

/** Stable English code of a reject reason, e.g. "id_scientific_notation". */
const char *cc_reject_code_str(cc_reject_code code);
/** Chinese description of a reject reason. */
const char *cc_reject_code_zh(cc_reject_code code);

/** One rejected row. */
typedef struct cc_reject {
  uint32_t line;   /**< physical line where the row starts (header = 1) */
  uint16_t column; /**< 1-based column of the bad field, 0 = whole row */
  uint8_t code;    /**< cc_reject_code */
} cc_reject;

/**
 * One normalized roster row. The cc_str fields point into memory owned by
 * whoever produced the record (for ingest: the block, valid until the block
 * callback returns); empty optional fields have len 0.
 */
typedef struct cc_record {
  uint64_t id_hash;       /**< XXH3-64 of the cleaned ID */
  uint32_t line;          /**< physical line where the row starts */
  uint16_t roster;        /**< roster number within the run (0-based) */
  uint8_t status;         /**< cc_status */
  uint8_t id_verdict;     /**< cc_id_verdict: VALID or INVALID */
  uint8_t id_reason;      /**< cc_id_reason */
  uint8_t id_upgraded;    /**< 1 when a 15-digit number was upgraded */
  uint8_t id_len;         /**< length of id */
  char id[CC_ID_MAX + 1]; /**< cleaned ID, NUL-terminated */
  int64_t grant;          /**< 助学金 in fen, 0 = none */
  int64_t waiver;         /**< 免学费 in fen, 0 = none */
  cc_str name;            /**< as registered (trimmed of outer white space) */
  cc_str name_folded;     /**< SPEC 2.2 fold, for comparison only */
  cc_str text[CC_COL_COUNT]; /**< other cells as registered, by cc_column;
                                text[CC_COL_ID] and text[CC_COL_NAME] unused */
} cc_record;

/** Hash of a cleaned ID: XXH3-64 (the index key). */
uint64_t cc_id_hash(const char *id, size_t len);

#ifdef __cplusplus
}
#endif
#endif
