/*
 * error.c - the per-thread last error.
 *
 * Owns the message buffer behind cc_error_last(). Each thread has its own
 * (_Thread_local), so OpenMP workers can fail independently; the coordinator
 * of a parallel region copies a worker's message into its own slot after the
 * region (see run.c). Messages are truncated to one line of at most 511
 * bytes, with control characters shown as escapes (cc_text_visible).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "chachong/text.h"
#include "error_internal.h"

static _Thread_local char last_message[512];

const char *cc_error_last(void)
{
  return last_message;
}

void cc_error_clear(void)
{
  last_message[0] = '\0';
}

/* A message ends up on a terminal: what came from outside in it (a
 * path, a header cell) has its control characters made visible there, and
 * a line break cannot start a line of its own. */
static void keep_visible(const char *raw)
{
  cc_text_visible(last_message, sizeof last_message, raw, strlen(raw), 0);
}

int cc_error_set(int code, const char *fmt, ...)
{
  va_list ap;
  char raw[sizeof last_message];
  va_start(ap, fmt);
  vsnprintf(raw, sizeof raw, fmt, ap);
  va_end(ap);
  keep_visible(raw);
  return code;
}

int cc_error_set_errno(int code, int errnum, const char *fmt, ...)
{
  va_list ap;
  char raw[sizeof last_message];
  size_t used;
  va_start(ap, fmt);
  vsnprintf(raw, sizeof raw, fmt, ap);
  va_end(ap);
  used = strlen(raw);
  snprintf(raw + used, sizeof raw - used, ": %s", strerror(errnum));
  keep_visible(raw);
  return code;
}

const char *cc_strerror(int code)
{
  switch (code) {
  case CC_OK:
    return "success";
  case CC_ENOTFOUND:
    return "not found";
  case CC_EINVALID:
    return "invalid input";
  case CC_EIO:
    return "input/output error";
  case CC_ENOMEM:
    return "out of memory";
  case CC_ECORRUPT:
    return "database damaged or of another format";
  case CC_EINTERRUPTED:
    return "interrupted";
  case CC_EBUSY:
    return "in use by another run";
  default:
    return "error";
  }
}

void cc_error_keep_first(int *first, char *msg, size_t cap, int rc)
{
#pragma omp critical(cc_error_keep_first)
  {
    if (!*first) {
      *first = rc;
      snprintf(msg, cap, "%s", cc_error_last());
    }
  }
}
