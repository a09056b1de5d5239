/*
 * Names: the folding used to compare them (SPEC section 2.2). Folding is for
 * comparison only; every output shows the name as registered.
 */
#ifndef CHACHONG_NORMALIZE_NAME_H
#define CHACHONG_NORMALIZE_NAME_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest folded name kept, in bytes; longer names are an error. */
#define CC_NAME_MAX 255

/**
 * Folds a registered name for comparison: Unicode NFKC; all white space
 * removed; the middle-dot variants (U+00B7, U+2022, U+30FB, U+2027, '.',
 * U+FF0E, U+FF65) folded to U+00B7; traditional characters mapped to
 * simplified (OpenCC's character table); Latin letters upper-cased.
 * Characters outside the BMP survive.
 *
 * The hot path is one table lookup per code point; names holding
 * characters that combine with their neighbours under NFKC (combining
 * marks, Hangul jamo) go through ICU's full normalizer instead.
 *
 * White space here is Unicode White_Space (U+3000, U+00A0, tabs, ...) plus
 * U+200B and U+FEFF. Besides the SPEC's middle dots, U+2219, U+22C5,
 * U+2E31 and U+A78F also fold to U+00B7. OpenCC chains (薴→苧→苎) are
 * followed to their end, so folding a folded name changes nothing.
 *
 * @param[out] out     the folded name, UTF-8, NUL-terminated; "" on error
 *                     (when cap > 0)
 * @param cap          size of out; CC_NAME_MAX + 1 is always enough
 * @param[out] out_len length of the folded name, without the NUL; 0 on error
 * @param in           the registered name, UTF-8 (need not be terminated)
 * @param len          its length in bytes
 * @return 0; CC_EINVALID when `in` is not valid UTF-8 (a NUL byte counts as
 *         invalid) or folds to nothing; CC_ENOMEM when the result is longer
 *         than CC_NAME_MAX bytes or does not fit in cap.
 * @note Thread-safe, no locks. The tables are generated at build time from
 *       ICU and OpenCC and compiled in; OpenCC is not needed at run time.
 */
int cc_name_fold(char *out, size_t cap, size_t *out_len, const char *in,
                 size_t len);

#ifdef __cplusplus
}
#endif
#endif
