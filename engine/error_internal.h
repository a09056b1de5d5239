/* Setting the per-thread last error (private to the engine). */
#ifndef CC_ERROR_INTERNAL_H
#define CC_ERROR_INTERNAL_H

#include <stddef.h>

#include "chachong/errors.h"

/*
 * Records a one-line message for cc_error_last() and returns `code`, so a
 * failure reads: return cc_error_set(CC_EINVALID, "%s:%u: ...", path, line);
 * Messages must not contain ID numbers or names: mask them first
 * (cc_mask_id in record.h).
 */
int cc_error_set(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Like cc_error_set, but appends ": <strerror(errno)>". */
int cc_error_set_errno(int code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * For the workers of a parallel step: keeps the first failure, its code in
 * *first and its message (the failing thread's cc_error_last()) in msg;
 * later ones are dropped. The caller sets it as the step's error once the
 * step is over: cc_error_set(*first, "%s", msg).
 */
void cc_error_keep_first(int *first, char *msg, size_t cap, int rc);

#endif
