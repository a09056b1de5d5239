/*
 * fuzz_name.c - libFuzzer target for name folding (cc_name_fold).
 *
 * The first byte picks the output capacity (so the "does not fit" paths
 * are reached too); the rest is the name. Besides the sanitizers' checks,
 * it asserts the contract of normalize_name.h: on success the result is
 * NUL-terminated, of the length reported, at most CC_NAME_MAX bytes, and
 * folding it again changes nothing; on error the output is "".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chachong/errors.h"
#include "chachong/normalize_name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char out[CC_NAME_MAX + 1], again[CC_NAME_MAX + 1];
  size_t cap, len = 99, len2 = 99;
  int rc;

  if (size == 0)
    return 0;
  /* 0 stands for "always enough"; otherwise a capacity of 1-255 bytes. */
  cap = data[0] == 0 ? sizeof out : data[0];
  rc = cc_name_fold(out, cap, &len, (const char *)data + 1, size - 1);
  if (rc != 0) {
    if ((rc != CC_EINVALID && rc != CC_ENOMEM) || out[0] != '\0' || len != 0)
      abort();
    return 0;
  }
  if (len == 0 || len > CC_NAME_MAX || len >= cap || strlen(out) != len)
    abort();
  if (cc_name_fold(again, sizeof again, &len2, out, len) != 0 || len2 != len ||
      memcmp(again, out, len) != 0)
    abort();
  return 0;
}
