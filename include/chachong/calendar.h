/*
 * The China working-day calendar: weekends, the statutory holidays announced
 * by the State Council each year and the adjusted working weekends (调休上班),
 * and the clearing deadline of a finding (SPEC section 3).
 */
#ifndef CHACHONG_CALENDAR_H
#define CHACHONG_CALENDAR_H

#include "chachong/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A working-day calendar. Opaque; built from the schedules compiled into the
 * library (2015-2026, each year with the notice it comes from) plus any
 * files the user loads. Covers the years 2008-2199. A year without a
 * schedule is provisional: weekends and the statutory holidays of
 * 全国年节及纪念日放假办法 (with days in lieu, 补假), no 调休.
 * @note Read-only after loading: the query functions may be called from any
 *       number of threads at once; cc_calendar_load_file() must not run
 *       while another thread uses the calendar.
 */
typedef struct cc_calendar cc_calendar;

/**
 * Creates a calendar holding the built-in schedules.
 * @param[out] out the calendar, to free with cc_calendar_free(); NULL on error
 * @return 0; CC_ENOMEM; CC_ERROR when ICU's Chinese calendar is unavailable
 *         (or the built-in data is damaged, a build error).
 */
int cc_calendar_new(cc_calendar **out);

/**
 * Adds the schedules of a file (same format as
 * data/calendar/cn-2015-2026.txt, whose opening comment describes it). A
 * year present in the file replaces that year wholly. The file is read
 * whole first: on any error the calendar is unchanged.
 * @return 0; CC_ENOTFOUND / CC_EIO if it cannot be read; CC_EINVALID with
 *         "FILE:LINE:COL: ..." (COL counts bytes from 1) when a line is
 *         malformed; CC_ENOMEM.
 */
int cc_calendar_load_file(cc_calendar *cal, const char *path);

/** Frees a calendar; NULL is allowed. */
void cc_calendar_free(cc_calendar *cal);

/**
 * Whether a day is a working day.
 * @param[out] provisional set to 1 when the day's year has no installed
 *             schedule and the answer comes from the holiday regulation
 *             (全国年节及纪念日放假办法) alone, else 0. May be NULL.
 * @return 1 working day, 0 day off, CC_EINVALID for a year outside
 *         the calendar's range (2008-2199).
 */
int cc_calendar_is_workday(const cc_calendar *cal, cc_date day,
                           int *provisional);

/**
 * The date `n` working days after `start`; `start` itself is never counted
 * (n = 0 gives `start`). This is the clearing deadline for n = 10.
 * @param[out] out         the date
 * @param[out] provisional 1 when any day counted or skipped lies in a year
 *                         without an installed schedule; may be NULL
 * @return 0; CC_EINVALID when n < 0 or a date leaves the range.
 */
int cc_calendar_add_workdays(cc_date *out, const cc_calendar *cal,
                             cc_date start, int n, int *provisional);

/**
 * The notice a year's schedule comes from.
 * @return the source text (owned by the calendar), or NULL when the year has
 *         no installed schedule.
 */
const char *cc_calendar_source(const cc_calendar *cal, int year);

#ifdef __cplusplus
}
#endif
#endif
