/*
 * text.c - text that leaves the program made visible: every printer of
 * text that came from outside (roster names and school names, --user,
 * --by, --note, file paths) passes it through cc_text_visible, so that a
 * control character in it reaches no terminal, audit listing or CSV raw.
 * What is stored keeps the text as given; only its printing escapes.
 *
 * C0 controls and DEL become `\xHH`, C1 controls (U+0080-U+009F, two
 * bytes C2 80-9F in UTF-8, which some terminals obey like ESC [) become
 * `\u00HH`, and bytes that are not well-formed UTF-8 become U+FFFD, so the
 * result is valid UTF-8 with no control character at all (but for the
 * line breaks that CC_TEXT_KEEP_NEWLINE keeps in a quoted CSV field: a
 * roster's school name may hold one, and the workbook shows it too; a
 * lone CR, which would redraw a terminal line, is still escaped).
 */
#include <string.h>

#include "chachong/text.h"
#include "utf8_internal.h"

static const char hex_digits[] = "0123456789abcdef";

/* What the character at s[0..n) becomes: its length in *k, and the escape
 * in esc (returns its length) or 0 when it is copied as it is. */
static size_t visible_one(char esc[8], const unsigned char *s, size_t n,
                          size_t *k, unsigned flags)
{
  if (s[0] < 0x80) {
    *k = 1;
    if ((flags & CC_TEXT_KEEP_NEWLINE) &&
        (s[0] == '\n' || (s[0] == '\r' && n >= 2 && s[1] == '\n'))) {
      *k = s[0] == '\r' ? 2 : 1;
      return 0;
    }
    if (s[0] < 0x20 || s[0] == 0x7F) {
      memcpy(esc, "\\x", 2);
      esc[2] = hex_digits[s[0] >> 4];
      esc[3] = hex_digits[s[0] & 15];
      return 4;
    }
    if (s[0] == '\\' && (flags & CC_TEXT_BACKSLASH)) {
      memcpy(esc, "\\\\", 2);
      return 2;
    }
    return 0;
  }
  *k = utf8_seq(s, n);
  if (*k == 0) {
    *k = 1;
    memcpy(esc, "\xEF\xBF\xBD", 3);
    return 3;
  }
  if (*k == 2 && s[0] == 0xC2 && s[1] < 0xA0) {
    /* U+0080-U+009F: s[1] is 0x80-0x9F, the code point's low byte. */
    memcpy(esc, "\\u00", 4);
    esc[4] = hex_digits[s[1] >> 4];
    esc[5] = hex_digits[s[1] & 15];
    return 6;
  }
  return 0;
}

size_t cc_text_visible(char *out, size_t cap, const char *s, size_t n,
                       unsigned flags)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, len = 0, cut = 0, k, e;
  int fits = 1;
  char esc[8];
  while (i < n) {
    const char *src;
    size_t m;
    e = visible_one(esc, p + i, n - i, &k, flags);
    src = e ? esc : s + i;
    m = e ? e : k;
    /* Nothing after the first piece that does not fit: the output is cut
     * at a character boundary, never inside an escape. */
    if (fits && len + m < cap) {
      memcpy(out + len, src, m);
      cut = len + m;
    } else {
      fits = 0;
    }
    len += m;
    i += k;
  }
  if (cap > 0)
    out[cut] = '\0';
  return len;
}

int cc_text_is_visible(const char *s, size_t n, unsigned flags)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, k;
  char esc[8];
  while (i < n) {
    if (visible_one(esc, p + i, n - i, &k, flags))
      return 0;
    i += k;
  }
  return 1;
}
