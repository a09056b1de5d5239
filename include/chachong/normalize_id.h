/*
 * Resident ID numbers (公民身份号码, GB 11643-1999): cleaning, the 15 to 18
 * digit upgrade and validation (SPEC section 2.1). Pure functions over bytes;
 * thread-safe.
 */
#ifndef CHACHONG_NORMALIZE_ID_H
#define CHACHONG_NORMALIZE_ID_H

#include <stddef.h>
#include <stdint.h>

#include "chachong/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest cleaned ID kept as a key. */
#define CC_ID_MAX 18

/** What became of a value. */
typedef enum cc_id_verdict {
  CC_ID_VALID = 0,   /**< a valid 18-character number (maybe upgraded) */
  CC_ID_INVALID = 1, /**< number-shaped, kept as a key, reported invalid */
  CC_ID_REJECTED = 2 /**< cannot be an ID at all: the row is rejected */
} cc_id_verdict;

/**
 * Why a value is invalid or rejected (the first rule that failed, in the
 * order listed). Stable English codes come from cc_id_reason_code().
 */
typedef enum cc_id_reason {
  CC_IDR_OK = 0, /**< "ok": valid */
  /* invalid: still a key */
  CC_IDR_LENGTH,       /**< "length": 16 or 17 digits */
  CC_IDR_PROVINCE,     /**< "province": first two digits not a province */
  CC_IDR_BIRTH_DATE,   /**< "birth_date": digits 7-14 not a real date */
  CC_IDR_FUTURE_BIRTH, /**< "future_birth_date": after today */
  CC_IDR_CHECK_DIGIT,  /**< "check_digit": MOD 11-2 mismatch */
  /* rejected: not an ID */
  CC_IDR_EMPTY,      /**< "empty": nothing left after cleaning */
  CC_IDR_SCIENTIFIC, /**< "scientific_notation": Excel's 1.10101E+17 */
  CC_IDR_NOT_DIGITS, /**< "not_digits": letters or other characters */
  CC_IDR_TOO_SHORT,  /**< "too_short": fewer than 15 digits */
  CC_IDR_TOO_LONG,   /**< "too_long": more than 18 characters */
  CC_IDR_COUNT_
} cc_id_reason;

/** A cleaned ID number. */
typedef struct cc_id {
  char digits[CC_ID_MAX + 1]; /**< cleaned, NUL-terminated; "" if rejected */
  uint8_t len;                /**< strlen(digits): 0, 16, 17 or 18 */
  uint8_t verdict;            /**< cc_id_verdict */
  uint8_t reason;             /**< cc_id_reason */
  uint8_t upgraded;           /**< 1 when a 15-digit number was upgraded */
} cc_id;

/**
 * Cleans and checks one raw ID value as it came from a roster cell.
 *
 * Cleaning: every kind of white space (ASCII, U+0085, U+00A0, U+1680,
 * U+180E, U+2000-U+200D, U+2028, U+2029, U+202F, U+205F, U+2060, U+3000,
 * U+FEFF) is removed wherever it is; a leading apostrophe or quote mark
 * (' ` " and their typographic forms U+2018/2019/201C/201D), with the
 * matching mark after the number if there is one, and Excel's ="..."
 * wrapper, are removed; full-width forms (U+FF01-U+FF5E: digits, Ｘ/ｘ,
 * quotes) are folded to ASCII; x is upper-cased. Any other character makes
 * the value CC_IDR_NOT_DIGITS; an X is allowed only last. Too short means
 * fewer than 15 digits; too long, more than 18 characters. Scientific
 * notation is digits, an optional '.' or ',' fraction and an exponent
 * (1.10101E+17, 1.10101e17, 1E17). A 15-digit number gets "19" after its sixth digit and a
 * computed check character. An 18-character number is valid when its
 * check character matches (ISO 7064 MOD 11-2), digits 7-14 are a real date
 * not after `today`, and digits 1-2 are a province code of GB/T 2260
 * (11-15, 21-23, 31-37, 41-46, 50-54, 61-65, 71, 81-83).
 *
 * @param[out] out   the result; always written
 * @param raw        the cell's bytes (UTF-8); need not be NUL-terminated
 * @param len        its length
 * @param today      the date a birth date may not be after
 * @return the verdict (also in out->verdict)
 */
cc_id_verdict cc_id_normalize(cc_id *out, const char *raw, size_t len,
                              cc_date today);

/** The ISO 7064 MOD 11-2 check character ('0'-'9' or 'X') of 17 digits. */
char cc_id_check_char(const char digits17[17]);

/** Stable English code of a reason, e.g. "check_digit". Never NULL. */
const char *cc_id_reason_code(cc_id_reason reason);

/** Chinese description of a reason, e.g. "校验码错误". Never NULL. */
const char *cc_id_reason_zh(cc_id_reason reason);

/**
 * Masks a cleaned ID for display: the first 6 and last 4 characters are
 * kept and the rest replaced by '*' (110101********123X). Shorter values
 * keep at most their first 2 and last 2 characters: n / 4 of each, capped
 * at 2 (1101010101010101 gives 11************01, 1234 gives 1**4, 3
 * characters or fewer are all '*').
 * @param[out] out at least CC_ID_MAX + 1 bytes; NUL-terminated
 */
void cc_id_mask(char *out, const char *id);

#ifdef __cplusplus
}
#endif
#endif
