/*
 * Text that leaves chachong for a terminal, a listing or a CSV: control
 * characters made visible, so that a name, a note or an operator's name can
 * never move the cursor, ring the bell, start an escape sequence or begin
 * a line of its own (a forged audit line).
 */
#ifndef CHACHONG_TEXT_H
#define CHACHONG_TEXT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Also write a backslash as two, so that an escape cannot be forged. */
#define CC_TEXT_BACKSLASH 1u
/** Keep a line feed (and a CR just before one) as it is: for a field that
 *  a CSV writer quotes, where RFC 4180 allows a line break. */
#define CC_TEXT_KEEP_NEWLINE 2u

/**
 * Copies s[0..n) to out with every C0 control (U+0000-U+001F, tab and line
 * breaks included), DEL and C1 control (U+0080-U+009F) written as a visible
 * escape: `\x1b` for C0 and DEL, `\u0085` for C1. Bytes that are not
 * well-formed UTF-8 become U+FFFD. Everything else is copied as it is.
 *
 * @param[out] out  cap bytes; always NUL-terminated when cap > 0 (cut at
 *                  a character boundary when the text does not fit)
 * @param flags     0, or CC_TEXT_BACKSLASH and/or CC_TEXT_KEEP_NEWLINE
 * @return the length the whole result needs, not counting the NUL (as
 *         snprintf: it did not fit when the return is >= cap).
 */
size_t cc_text_visible(char *out, size_t cap, const char *s, size_t n,
                       unsigned flags);

/**
 * 1 when cc_text_visible would return s[0..n) unchanged (no control but
 * the line breaks CC_TEXT_KEEP_NEWLINE keeps, no ill-formed byte, and no
 * backslash under CC_TEXT_BACKSLASH), else 0.
 */
int cc_text_is_visible(const char *s, size_t n, unsigned flags);

#ifdef __cplusplus
}
#endif
#endif
