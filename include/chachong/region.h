/*
 * Region names: GB/T 2260 province (2-digit) and prefecture (4-digit)
 * codes to their names, from data/regions/gbt2260.txt compiled in.
 */
#ifndef CHACHONG_REGION_H
#define CHACHONG_REGION_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The name of a province-level ("37") or prefecture-level ("3701") code.
 *
 * @param code  2 or 4 ASCII digits; need not be NUL-terminated
 * @param len   its length
 * @return the name ("山东省", "济南市"), or NULL when the code is not listed
 *         (any other length included).
 * @note The string is static, valid for the life of the process. The table
 *       is built on first use; the call is thread-safe.
 */
const char *cc_region_lookup(const char *code, size_t len);

/**
 * Like cc_region_lookup(), but falls back to the code itself.
 *
 * @param code  a NUL-terminated code
 * @return the name, or `code` when the code is not listed (then valid as
 *         long as `code` is).
 */
const char *cc_region_name(const char *code);

/**
 * How many codes the table holds (provinces and prefectures).
 */
size_t cc_region_count(void);

#ifdef __cplusplus
}
#endif
#endif
