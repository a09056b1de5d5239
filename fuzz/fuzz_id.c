/*
 * fuzz_id.c - libFuzzer target for ID cleaning (cc_id_normalize, cc_id_mask).
 *
 * Any bytes are a raw cell. Besides the sanitizers' checks, it asserts the
 * contract of normalize_id.h: the verdict and the reason agree, a kept ID
 * is 16-18 characters of digits with at most a final X, cleaning a cleaned
 * ID gives it back unchanged, and the mask keeps the length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chachong/normalize_id.h"
#include "chachong/types.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  cc_id id, again;
  char mask[CC_ID_MAX + 1];
  cc_date today = cc_date_from_ymd(2026, 9, 25); /* fixed: reproducible */
  size_t i;
  cc_id_verdict v = cc_id_normalize(&id, (const char *)data, size, today);

  if (v != id.verdict)
    abort();
  if (v == CC_ID_REJECTED) {
    if (id.len != 0 || id.digits[0] != '\0' || id.reason < CC_IDR_EMPTY ||
        id.reason >= CC_IDR_COUNT_)
      abort();
    return 0;
  }
  if ((v == CC_ID_VALID) != (id.reason == CC_IDR_OK))
    abort();
  if (id.len < 16 || id.len > 18 || strlen(id.digits) != id.len)
    abort();
  for (i = 0; i < id.len; i++)
    if (!(id.digits[i] >= '0' && id.digits[i] <= '9') &&
        !(i == (size_t)id.len - 1 && id.digits[i] == 'X'))
      abort();
  if (cc_id_normalize(&again, id.digits, id.len, today) != v ||
      strcmp(again.digits, id.digits) != 0 || again.reason != id.reason)
    abort();
  cc_id_mask(mask, id.digits);
  if (strlen(mask) != id.len)
    abort();
  return 0;
}
