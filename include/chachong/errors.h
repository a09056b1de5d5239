/*
 * chachong error codes and the per-thread "last error" message.
 *
 * Every fallible chachong function returns an int: 0 on success, one of the
 * negative codes below on failure. The human-readable detail of the most
 * recent failure on the calling thread is kept aside and read with
 * cc_error_last(). Messages never contain ID numbers or names unmasked.
 */
#ifndef CHACHONG_ERRORS_H
#define CHACHONG_ERRORS_H

#ifdef __cplusplus
extern "C" {
#endif

/** Return codes shared by the whole library. */
typedef enum cc_error_code {
  CC_OK = 0,            /**< success */
  CC_ERROR = -1,        /**< any other failure */
  CC_ENOTFOUND = -2,    /**< a file, period, roster or key does not exist */
  CC_EINVALID = -3,     /**< bad input: arguments, file contents, dates */
  CC_EIO = -4,          /**< a read, write or sync failed */
  CC_ENOMEM = -5,       /**< out of memory, or a capped buffer overflowed */
  CC_ECORRUPT = -6,     /**< the database is damaged or of another format */
  CC_EINTERRUPTED = -7, /**< the run was cancelled (signal) */
  CC_EBUSY = -8         /**< another run holds the database or output folder */
} cc_error_code;

/**
 * The message of the last failure on this thread.
 *
 * @return a NUL-terminated one-line message, or "" when none was set.
 * @note The string is owned by the library and valid until the next chachong
 *       call on the same thread.
 */
const char *cc_error_last(void);

/**
 * The fixed text of a code, e.g. "invalid input" for CC_EINVALID.
 * @return a static string; never NULL.
 */
const char *cc_strerror(int code);

/** Forget the last error of this thread. */
void cc_error_clear(void);

#ifdef __cplusplus
}
#endif
#endif
