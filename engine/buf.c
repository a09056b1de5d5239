/*
 * buf.c - the capped text buffer and the CSV and JSON writers over it
 * (engine/buf_internal.h).
 *
 * Every text chachong builds in memory (findings.jsonl and possible.jsonl
 * lines, CSV files, query output, the HTML report, summary.txt and
 * summary.json, run records) is appended to a cc_buf. A growing buffer
 * doubles from 256 bytes up to its cap; an append that would pass the cap,
 * or a realloc that fails, marks the buffer failed, and from then on every
 * append is a no-op and the text stays as it was before that append. The
 * writer checks once, with cc_buf_check, before the text is used.
 *
 * The CSV cell writer is the one place that decides how a cell is quoted,
 * which control characters are shown as escapes and which cells are
 * neutralised against formula injection; the JSON string writer is the
 * one place that escapes a JSON string and replaces ill-formed UTF-8;
 * the HTML writer does the same for the service's pages.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf_internal.h"
#include "chachong/errors.h"
#include "chachong/text.h"
#include "error_internal.h"
#include "utf8_internal.h"

void cc_buf_init(cc_buf *b, size_t max)
{
  memset(b, 0, sizeof *b);
  b->max = max ? max : CC_BUF_MAX_DEFAULT;
}

void cc_buf_init_reuse(cc_buf *b, size_t max, void *mem, size_t cap)
{
  cc_buf_init(b, max);
  b->p = mem;
  b->cap = mem ? cap : 0;
  if (b->cap)
    b->p[0] = '\0';
}

void cc_buf_init_fixed(cc_buf *b, char *mem, size_t cap)
{
  memset(b, 0, sizeof *b);
  b->p = mem;
  b->cap = mem ? cap : 0;
  b->max = b->cap;
  b->fixed = 1;
}

void cc_buf_dispose(cc_buf *b)
{
  size_t max = b->max;
  if (!b->fixed)
    free(b->p);
  memset(b, 0, sizeof *b);
  b->max = max;
}

void cc_buf_reset(cc_buf *b)
{
  b->len = 0;
  if (!b->fixed && b->cap)
    b->p[0] = '\0';
}

static void fail(cc_buf *b, int toobig)
{
  if (b->err == 0) {
    b->err = CC_ENOMEM;
    b->toobig = toobig;
  }
}

/* Room for n more bytes and a NUL; 0, or -1 with the buffer failed. */
static int reserve(cc_buf *b, size_t n)
{
  size_t need, cap;
  char *p;
  if (b->err)
    return -1;
  if (b->max == 0)
    b->max = CC_BUF_MAX_DEFAULT; /* a zeroed struct is a default buffer */
  if (n > b->max || b->len > b->max - n) {
    fail(b, 1);
    return -1;
  }
  need = b->len + n + 1;
  if (need <= b->cap)
    return 0;
  /* The first allocation is the size asked (one large extend takes no
   * more than it needs); from then on the size doubles. */
  cap = b->cap ? b->cap : (need > 256 ? need : 256);
  while (cap < need)
    cap = cap > (b->max + 1) / 2 ? b->max + 1 : cap * 2;
  if (cap > b->max + 1)
    cap = b->max + 1; /* a small cap: never more than it allows */
  p = realloc(b->p, cap);
  if (p == NULL) {
    fail(b, 0);
    return -1;
  }
  b->p = p;
  b->cap = cap;
  return 0;
}

char *cc_buf_extend(cc_buf *b, size_t n)
{
  char *at;
  if (b->fixed) {
    int fits = b->len <= b->cap && n <= b->cap - b->len;
    at = fits ? b->p + b->len : NULL;
    if (!fits)
      fail(b, 1);
    b->len += n;
    return at;
  }
  if (reserve(b, n) < 0)
    return NULL;
  at = b->p + b->len;
  b->len += n;
  b->p[b->len] = '\0';
  return at;
}

void cc_buf_put(cc_buf *b, const void *s, size_t n)
{
  char *at;
  if (n == 0) /* s may be NULL: an empty cc_str */
    return;
  if (b->fixed && b->len < b->cap && n > b->cap - b->len) {
    /* As snprintf: what fits, so the bytes held are always a prefix. */
    memcpy(b->p + b->len, s, b->cap - b->len);
    fail(b, 1);
    b->len += n;
    return;
  }
  at = cc_buf_extend(b, n);
  if (at != NULL)
    memcpy(at, s, n);
}

void cc_buf_puts(cc_buf *b, const char *s)
{
  cc_buf_put(b, s, strlen(s));
}

void cc_buf_putc(cc_buf *b, char c)
{
  cc_buf_put(b, &c, 1);
}

void cc_buf_printf(cc_buf *b, const char *fmt, ...)
{
  va_list ap;
  char small[256], *at;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) {
    fail(b, 0);
    return;
  }
  if ((size_t)n < sizeof small) {
    cc_buf_put(b, small, (size_t)n);
    return;
  }
  if (b->fixed) {
    char *big = malloc((size_t)n + 1);
    if (big == NULL) {
      fail(b, 0);
      b->len += (size_t)n;
      return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    cc_buf_put(b, big, (size_t)n);
    free(big);
    return;
  }
  /* Growing: formatted in place (extend leaves room for the NUL that
   * vsnprintf writes). */
  if ((at = cc_buf_extend(b, (size_t)n)) == NULL)
    return;
  va_start(ap, fmt);
  vsnprintf(at, (size_t)n + 1, fmt, ap);
  va_end(ap);
}

void cc_buf_fail(cc_buf *b)
{
  fail(b, 0);
}

int cc_buf_error(const cc_buf *b)
{
  return b->err;
}

int cc_buf_check(const cc_buf *b, const char *what)
{
  if (b->err == 0)
    return 0;
  if (b->toobig && b->max >= ((size_t)1 << 20))
    return cc_error_set(b->err, "%s is too large (over %zu MiB)", what,
                        b->max >> 20);
  if (b->toobig)
    return cc_error_set(b->err, "%s is too large (over %zu bytes)", what,
                        b->max);
  return cc_error_set(b->err, "out of memory writing %s", what);
}

char *cc_buf_take(cc_buf *b)
{
  char *s;
  if (b->fixed || b->err) {
    cc_buf_dispose(b);
    return NULL;
  }
  s = b->cap ? b->p : calloc(1, 1);
  b->p = NULL;
  b->len = b->cap = 0;
  return s;
}

/* ------------------------------------------------------------------ */
/* CSV. */

/* A first byte with which Excel (or LibreOffice) would take a cell for a
 * formula, or which it drops to find one just after (TAB, CR). */
static int formula_lead(unsigned char c)
{
  return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

void cc_csv_cell(cc_buf *b, const char *p, size_t n, unsigned flags)
{
  unsigned vis = (flags & CC_CSV_ONE_LINE) ? 0 : CC_TEXT_KEEP_NEWLINE;
  cc_buf shown;
  const char *s = p;
  size_t len = n, i;
  int quote = 0;

  cc_buf_init(&shown, 0);
  if (n > 0 && !cc_text_is_visible(p, n, vis)) {
    size_t need = cc_text_visible(NULL, 0, p, n, vis);
    char *at = cc_buf_extend(&shown, need);
    if (at == NULL) {
      fail(b, shown.toobig);
      cc_buf_dispose(&shown);
      return;
    }
    /* extend left room for the NUL that cc_text_visible writes */
    cc_text_visible(at, need + 1, p, n, vis);
    s = shown.p;
    len = need;
  }
  for (i = 0; i < len && !quote; i++)
    quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
  if (quote)
    cc_buf_putc(b, '"');
  /* Decided on the text as given: a leading TAB is shown as `\x09`,
   * harmless itself, but the cell still says where it came from. */
  if ((flags & CC_CSV_TEXT) && n > 0 && formula_lead((unsigned char)p[0]))
    cc_buf_putc(b, '\'');
  if (!quote) {
    cc_buf_put(b, s, len);
  } else {
    size_t run = 0;
    for (i = 0; i < len; i++)
      if (s[i] == '"') {
        cc_buf_put(b, s + run, i + 1 - run);
        cc_buf_putc(b, '"');
        run = i + 1;
      }
    cc_buf_put(b, s + run, len - run);
    cc_buf_putc(b, '"');
  }
  cc_buf_dispose(&shown);
}

void cc_csv_cstr(cc_buf *b, const char *s, unsigned flags)
{
  cc_csv_cell(b, s, strlen(s), flags);
}

/* ------------------------------------------------------------------ */
/* JSON. */

void cc_json_str(cc_buf *b, const char *p, size_t n)
{
  static const char hex[] = "0123456789abcdef";
  const unsigned char *s = (const unsigned char *)p;
  size_t i = 0, run = 0;
  cc_buf_putc(b, '"');
  while (i < n) {
    unsigned c = s[i];
    size_t k;
    char esc[6];
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      i++;
      continue;
    }
    if (c >= 0x80 && (k = utf8_seq(s + i, n - i)) > 0) {
      i += k;
      continue;
    }
    cc_buf_put(b, p + run, i - run);
    if (c == '"' || c == '\\') {
      esc[0] = '\\';
      esc[1] = (char)c;
      cc_buf_put(b, esc, 2);
    } else if (c < 0x20) {
      memcpy(esc, "\\u00", 4);
      esc[4] = hex[c >> 4];
      esc[5] = hex[c & 15];
      cc_buf_put(b, esc, 6);
    } else {
      cc_buf_put(b, "\xEF\xBF\xBD", 3);
    }
    run = ++i;
  }
  cc_buf_put(b, p + run, n - run);
  cc_buf_putc(b, '"');
}

void cc_json_cstr(cc_buf *b, const char *s)
{
  cc_json_str(b, s, strlen(s));
}

void cc_html_str(cc_buf *b, const char *p, size_t n)
{
  const unsigned char *s = (const unsigned char *)p;
  size_t i = 0, run = 0;
  while (i < n) {
    unsigned c = s[i];
    size_t k;
    const char *esc;
    if (c >= 0x80 && (k = utf8_seq(s + i, n - i)) > 0) {
      i += k;
      continue;
    }
    switch (c) {
    case '&':
      esc = "&amp;";
      break;
    case '<':
      esc = "&lt;";
      break;
    case '>':
      esc = "&gt;";
      break;
    case '"':
      esc = "&quot;";
      break;
    case '\'':
      esc = "&#39;";
      break;
    case '\n':
    case '\t':
      esc = " ";
      break;
    default:
      if (c >= 0x80)
        esc = "\xEF\xBF\xBD"; /* not well-formed UTF-8 */
      else if (c < 0x20 || c == 0x7f)
        esc = ""; /* other controls: dropped */
      else {
        i++;
        continue;
      }
    }
    cc_buf_put(b, p + run, i - run);
    cc_buf_puts(b, esc);
    run = ++i;
  }
  cc_buf_put(b, p + run, n - run);
}

void cc_html_cstr(cc_buf *b, const char *s)
{
  cc_html_str(b, s, strlen(s));
}

void cc_url_str(cc_buf *b, const char *s)
{
  static const char hex[] = "0123456789ABCDEF";
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      cc_buf_putc(b, (char)c);
    } else {
      char e[3] = {'%', hex[c >> 4], hex[c & 15]};
      cc_buf_put(b, e, 3);
    }
  }
}
