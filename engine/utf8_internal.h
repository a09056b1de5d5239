/* Decoding UTF-8 (private): one definition for the name fold and the pinyin
 * keys, so that every name the fold accepts decodes the same way. */
#ifndef CC_UTF8_INTERNAL_H
#define CC_UTF8_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decodes one well-formed UTF-8 sequence at p (lead byte >= 0x80). Returns
 * its length (2-4) and the code point in *cp, or 0 when ill-formed
 * (truncated, overlong, a surrogate, above U+10FFFF).
 */
static inline size_t utf8_decode(const unsigned char *p, const unsigned char *end,
                                 uint32_t *cp)
{
  uint32_t c = p[0], min;
  size_t need, i;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1, min = 0x80, c &= 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2, min = 0x800, c &= 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3, min = 0x10000, c &= 0x07;
  } else {
    return 0;
  }
  if ((size_t)(end - p) <= need)
    return 0;
  for (i = 1; i <= need; i++) {
    if ((p[i] & 0xC0) != 0x80)
      return 0;
    c = (c << 6) | (p[i] & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
    return 0;
  *cp = c;
  return need + 1;
}

#endif
