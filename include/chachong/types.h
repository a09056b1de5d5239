/*
 * Small value types shared by every stage: dates and string views.
 */
#ifndef CHACHONG_TYPES_H
#define CHACHONG_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A calendar date as a day number: days since 1970-01-01 in the proleptic
 * Gregorian calendar (1970-01-01 is 0, 1969-12-31 is -1). Subtracting two
 * dates gives the days between them; (day + 4) mod 7 is the weekday with
 * 0 = Sunday.
 */
typedef int32_t cc_date;

/** A byte range that the caller does not own. Not NUL-terminated. */
typedef struct cc_str {
  const char *ptr; /**< first byte; may be NULL when len is 0 */
  uint32_t len;    /**< length in bytes */
} cc_str;

/**
 * Checks that year-month-day is a real Gregorian date (year 1..9999).
 * @return 1 when it is, 0 otherwise.
 */
int cc_date_valid(int year, int month, int day);

/**
 * The day number of a date.
 * @pre cc_date_valid(year, month, day)
 */
cc_date cc_date_from_ymd(int year, int month, int day);

/** Splits a day number into year, month (1-12) and day (1-31). */
void cc_date_to_ymd(cc_date d, int *year, int *month, int *day);

/** Weekday of a date: 0 = Sunday, 1 = Monday, ... 6 = Saturday. */
int cc_date_weekday(cc_date d);

/**
 * Parses exactly "YYYY-MM-DD".
 * @param[out] out the date
 * @return 0, or CC_EINVALID (message set) when the text is not a real date.
 */
int cc_date_parse(cc_date *out, const char *text);

/** Writes "YYYY-MM-DD" and a NUL into buf (at least 11 bytes). */
void cc_date_format(char buf[11], cc_date d);

/** Today's date in local time. */
cc_date cc_date_today(void);

/** Records of one cleaned ID past which the ID is generic, not a person
 *  (docs/RULES.md "Data quality"): the run's default
 *  (cc_run_options.max_records_per_id) and the exact walk's. */
#define CC_MAX_RECORDS_PER_ID_DEFAULT 20u

#ifdef __cplusplus
}
#endif
#endif
