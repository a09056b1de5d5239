/*
 * The one text buffer of the engine (private), and the two writers that
 * fill it: CSV cells and JSON strings. Every file, line or page chachong
 * builds in memory is built in a cc_buf (engine/buf.c).
 *
 * A cc_buf grows to a cap and remembers its first failure (out of memory,
 * or the cap passed): after one, every later append does nothing, so a
 * writer appends without checking and asks cc_buf_check once at the end
 * (curl's dynbuf and its `toobig`). A runaway cell thus fails one output
 * with CC_ENOMEM instead of eating the machine or cutting a file short
 * without a word.
 *
 * A buffer can also be laid over the caller's memory (cc_buf_init_fixed):
 * then it writes what fits, never past it and never a NUL, and counts the
 * length the whole text needs, as snprintf does (mem[0..min(len, cap))
 * holds the text's prefix); cc_finding_to_json is
 * written this way so that a run measures every finding, then writes each
 * one in place on its own thread.
 */
#ifndef CC_BUF_INTERNAL_H
#define CC_BUF_INTERNAL_H

#include <stddef.h>

/** The cap of a buffer that does not name one: 256 MiB. */
#define CC_BUF_MAX_DEFAULT ((size_t)256 << 20)

typedef struct cc_buf {
  char *p;    /* the bytes; NUL-terminated while growing and cap > 0 */
  size_t len; /* bytes held (fixed: bytes the text needs, held or not) */
  size_t cap; /* bytes allocated (fixed: the caller's size) */
  size_t max; /* the most bytes the text may take, its NUL aside */
  int err;    /* first failure: 0, or CC_ENOMEM; sticky until dispose */
  int toobig; /* that failure was the cap (or, fixed, the caller's size) */
  int fixed;  /* p is the caller's memory: never grown, never freed */
} cc_buf;

/** A growing buffer capped at max bytes (0: CC_BUF_MAX_DEFAULT). */
void cc_buf_init(cc_buf *b, size_t max);

/**
 * A growing buffer (capped at max, 0: the default) that starts over the
 * caller's malloc'd mem[0..cap) (NULL, 0: none): for memory reused from
 * one text to the next. It may realloc it; b->p and b->cap then say where
 * it is, and whoever holds them frees it (cc_buf_dispose, or free).
 */
void cc_buf_init_reuse(cc_buf *b, size_t max, void *mem, size_t cap);

/**
 * A buffer over the caller's mem[0..cap) (mem may be NULL when cap is 0,
 * to measure). Appends write what fits (mem[0..min(len, cap)) is always a
 * prefix of the text) and never a NUL; len counts every byte appended, so
 * len > cap says the text did not fit.
 */
void cc_buf_init_fixed(cc_buf *b, char *mem, size_t cap);

/** Frees what a growing buffer holds; the buffer is then empty, as new. */
void cc_buf_dispose(cc_buf *b);

/** Empties the buffer (its memory kept); a failure stays remembered. */
void cc_buf_reset(cc_buf *b);

void cc_buf_put(cc_buf *b, const void *s, size_t n);
void cc_buf_puts(cc_buf *b, const char *s);
void cc_buf_putc(cc_buf *b, char c);
void cc_buf_printf(cc_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * Appends n bytes for the caller to fill and returns where they start, or
 * NULL after a failure (also when they do not fit a fixed buffer, whose
 * len still counts them).
 */
char *cc_buf_extend(cc_buf *b, size_t n);

/** Marks the buffer failed (out of memory): for a writer whose own
 *  allocation, made while building the text, failed. */
void cc_buf_fail(cc_buf *b);

/** 0, or the first failure (CC_ENOMEM). */
int cc_buf_error(const cc_buf *b);

/**
 * 0, or the first failure with the message set: "WHAT is too large (over
 * N MiB)" (or "N bytes", under 1 MiB) when the cap was passed, else "out
 * of memory writing WHAT".
 */
int cc_buf_check(const cc_buf *b, const char *what);

/**
 * Hands the text over (malloc'd, NUL-terminated, "" when empty; the caller
 * frees it) and leaves the buffer empty; NULL after a failure or when out
 * of memory (the buffer is then disposed of).
 */
char *cc_buf_take(cc_buf *b);

/* ------------------------------------------------------------------ */
/* CSV (RFC 4180). Every CSV chachong writes is built with these. */

/** The cell carries text from outside (a roster, a file path, a label):
 *  a leading `=`, `+`, `-`, `@`, TAB or CR is neutralised. */
#define CC_CSV_TEXT 1u
/** A line break is shown as an escape (`\x0a`), as every other control,
 *  rather than kept inside quotes: for files read line by line. */
#define CC_CSV_ONE_LINE 2u

/** The UTF-8 byte order mark, for Excel to read the file as UTF-8. */
#define CC_CSV_BOM "\xEF\xBB\xBF"

/**
 * Appends one cell (no separator): control characters made visible
 * (cc_text_visible: `\x1b`, `\u0085`; a line break kept unless
 * CC_CSV_ONE_LINE), then, under CC_CSV_TEXT, a text that Excel or
 * LibreOffice would read as a formula (its first byte `=`, `+`, `-`, `@`,
 * TAB or CR) prefixed with an apostrophe `'` (OWASP, "CSV Injection"), and
 * the whole quoted when it holds a comma, a quote or a line break, its
 * quotes doubled.
 */
void cc_csv_cell(cc_buf *b, const char *p, size_t n, unsigned flags);

/** cc_csv_cell of a NUL-terminated string. */
void cc_csv_cstr(cc_buf *b, const char *s, unsigned flags);

/* ------------------------------------------------------------------ */
/* JSON. */

/**
 * Appends p[0..n) as a JSON string, quotes included: `"` and `\` escaped,
 * C0 controls as `\u00XX`, each byte that does not start a well-formed
 * UTF-8 sequence as U+FFFD, everything else as it is.
 */
void cc_json_str(cc_buf *b, const char *p, size_t n);

/** cc_json_str of a NUL-terminated string. */
void cc_json_cstr(cc_buf *b, const char *s);

/* ------------------------------------------------------------------ */
/* HTML and URLs (the service's pages). */

/**
 * Appends p[0..n) as HTML text or a quoted attribute value: `&`, `<`, `>`,
 * `"` and `'` as `&amp;` `&lt;` `&gt;` `&quot;` `&#39;`, a line feed or
 * TAB as a space, the other C0 controls and DEL dropped, each byte that
 * does not start a well-formed UTF-8 sequence as U+FFFD.
 */
void cc_html_str(cc_buf *b, const char *p, size_t n);

/** cc_html_str of a NUL-terminated string. */
void cc_html_cstr(cc_buf *b, const char *s);

/**
 * Appends the NUL-terminated s percent-encoded for a query string value
 * (RFC 3986): every byte but the unreserved `A-Z a-z 0-9 - _ . ~` as
 * `%XX` (upper-case hex).
 */
void cc_url_str(cc_buf *b, const char *s);

#endif
