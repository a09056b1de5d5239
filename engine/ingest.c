/*
 * ingest.c - roster files into normalized records (SPEC section 1).
 *
 * Owns: reading a CSV/TSV file in blocks, telling UTF-8 from GB18030 (and
 * a mixed file from either), UTF-16 by its BOM, the header and its aliases
 * (below title rows), splitting rows into fields (RFC 4180 quoting, CRLF,
 * LF or lone CR), and turning each row into a cc_record or a cc_reject. A
 * workbook ("PK") is handed to xlsx_read.c and its rows go through the
 * same row rules.
 *
 * Call order, per file: the first bytes say workbook, OLE (refused) or
 * UTF-16 (then the source converts to UTF-8 as it reads, so every later
 * step sees UTF-8 and physical lines); the first block is read; the first
 * line end says whether lone CRs end lines (the source then turns them
 * into LF); the encoding is settled (BOM, else "is the block valid
 * UTF-8?", else GB18030: GB18030 text is almost never valid UTF-8, while
 * UTF-8 is often valid GB18030, so UTF-8 is tried first); the header is
 * found among the first lines and mapped to columns. Then, per block:
 *
 *   1. scan (one thread): walk the rows with the quoting rules to find row
 *      boundaries and cut the block into chunks of whole rows, one per
 *      worker task; a row whose quoted field stays open past CC_ROW_MAX, or
 *      to the end of the file, is cut out as a broken row and the scan
 *      resumes on the next physical line; a quoted field whose next line
 *      is a whole row of its own is a stray quote (line_is_row): its row
 *      is cut out and the scan resumes on that line;
 *   2. parse (all threads, OpenMP): each chunk is converted to UTF-8 if
 *      needed, split into fields and normalized; the sink's `work` callback
 *      runs there too;
 *   3. commit (calling thread): chunks are handed to the sink in file order.
 *
 * The unfinished row at the end of a block is carried into the next one, so
 * memory is bounded by the block size, not the file size. Every buffer has
 * a cap: a field over CC_FIELD_MAX rejects its row; a row over CC_ROW_MAX
 * is broken. Byte 0x22 (") and 0x0A never occur inside a GB18030 multi-byte
 * character, so the scan works on the raw bytes of either encoding.
 */
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <omp.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "chachong/ingest.h"
#include "chachong/normalize_name.h"
#include "chachong/xlsx_read.h"
#include "error_internal.h"
#include "grow_internal.h"
#include "mem_internal.h"
#include "utf8_internal.h"

#define HEADER_LINES 10 /* the header is looked for in these lines */
#define MIXED_KEEP 5    /* line numbers kept of a mixed file */
/* Arena growth step: a segment and its header fill one 2 MiB map, which
 * mem.c brings in as one big page. */
#define ARENA_SEGMENT (((size_t)2 << 20) - 64 - sizeof(arena_seg))

/* ------------------------------------------------------------------ */
/* Arena: bump allocation in segments; pointers stay valid until reset. */

typedef struct arena_seg {
  struct arena_seg *next;
  size_t used, cap;
  char data[];
} arena_seg;

typedef struct arena {
  arena_seg *head;  /* newest segment first */
  arena_seg *spare; /* emptied by arena_reset, taken again before a new one */
} arena;

static char *arena_alloc(arena *a, size_t n)
{
  arena_seg *s = a->head;
  if (s == NULL || s->cap - s->used < n) {
    if (a->spare != NULL && a->spare->cap >= n) {
      /* Its pages are in memory already: no fresh page faults. */
      s = a->spare;
      a->spare = s->next;
    } else {
      size_t cap = n > ARENA_SEGMENT ? n : ARENA_SEGMENT;
      s = cc_mem_alloc(sizeof *s + cap);
      if (s == NULL)
        return NULL;
      s->cap = cap;
    }
    s->used = 0;
    s->next = a->head;
    a->head = s;
  }
  s->used += n;
  return s->data + s->used - n;
}

/* Empties the arena and keeps its segments for the next block (one block
 * needs about what the one before did). */
static void arena_reset(arena *a)
{
  arena_seg *s = a->head;
  while (s) {
    arena_seg *next = s->next;
    s->next = a->spare;
    a->spare = s;
    s = next;
  }
  a->head = NULL;
}

static void arena_dispose(arena *a)
{
  arena_seg *s;
  arena_reset(a);
  while ((s = a->spare) != NULL) {
    a->spare = s->next;
    cc_mem_free(s);
  }
}

/* ------------------------------------------------------------------ */
/* Header map. */

typedef struct map_entry {
  char *spelling; /* trimmed header text */
  int column;
} map_entry;

struct cc_header_map {
  map_entry *entries;
  size_t n;
};

void cc_header_map_free(cc_header_map *map)
{
  size_t i;
  if (map == NULL)
    return;
  for (i = 0; i < map->n; i++)
    free(map->entries[i].spelling);
  free(map->entries);
  free(map);
}

/*
 * Which bytes a blank (below) can start or end with: bit 1, the first byte
 * of ' ', '\t', '\r', U+3000 (E3 80 80) or U+00A0 (C2 A0); bit 2, their
 * last byte.
 */
static const unsigned char blank_edge[256] = {
    ['\t'] = 3, ['\r'] = 3, [' '] = 3, [0xE3] = 1,
    [0xC2] = 1, [0x80] = 2, [0xA0] = 2};

/* Trims blanks around a cell: ASCII space, tab, CR, and the U+3000 and
 * U+00A0 that Excel exports carry (SPEC 2.1: white space of every kind).
 * Almost no cell has any: two table lookups at its ends settle that
 * before the loops are entered. */
static inline void trim_span(const char **p, size_t *n)
{
  const unsigned char *s = (const unsigned char *)*p;
  size_t k = *n;
  if (k != 0 && ((blank_edge[s[0]] & 1) | (blank_edge[s[k - 1]] & 2))) {
    utf8_trim_blanks(&s, &k, 0);
    *p = (const char *)s;
    *n = k;
  }
}

int cc_header_map_load(cc_header_map **out, const char *path)
{
  FILE *f;
  char *line = NULL; /* one line of any length (getline) */
  size_t line_cap = 0;
  unsigned lineno = 0;
  int rc = 0;
  cc_header_map *map = calloc(1, sizeof *map);

  *out = NULL;
  if (map == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  f = fopen(path, "r");
  if (f == NULL) {
    cc_header_map_free(map);
    return cc_error_set_errno(errno == ENOENT ? CC_ENOTFOUND : CC_EIO, errno,
                              "%s", path);
  }
  while (getline(&line, &line_cap, f) >= 0) {
    char *eq, *hash;
    const char *left = line, *right;
    size_t ln, rn;
    int col;
    map_entry *grown;

    lineno++;
    if (lineno == 1 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
      left += 3;
    hash = strchr(left, '#');
    if (hash)
      *hash = '\0';
    ln = strcspn(left, "\n");
    trim_span(&left, &ln);
    if (ln == 0)
      continue;
    eq = memchr(left, '=', ln);
    if (eq == NULL) {
      rc = cc_error_set(CC_EINVALID, "%s:%u:1: expected HEADER=COLUMN", path,
                        lineno);
      goto done;
    }
    right = eq + 1;
    rn = (size_t)(left + ln - right);
    ln = (size_t)(eq - left);
    trim_span(&left, &ln);
    trim_span(&right, &rn);
    col = cc_column_lookup(right, rn);
    if (ln == 0 || col < 0) {
      rc = cc_error_set(CC_EINVALID, "%s:%u:%d: %s", path, lineno,
                        (int)(ln == 0 ? 1 : right - line + 1),
                        ln == 0
                            ? "empty header spelling"
                            : "unknown column (use a name of SPEC section 1)");
      goto done;
    }
    grown = realloc(map->entries, (map->n + 1) * sizeof *grown);
    if (grown == NULL) {
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      goto done;
    }
    map->entries = grown;
    map->entries[map->n].spelling = strndup(left, ln);
    map->entries[map->n].column = col;
    if (map->entries[map->n].spelling == NULL) {
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      goto done;
    }
    map->n++;
  }
  if (ferror(f))
    rc = cc_error_set_errno(CC_EIO, errno, "%s", path);
done:
  fclose(f);
  free(line);
  if (rc < 0)
    cc_header_map_free(map);
  else
    *out = map;
  return rc;
}

/* ------------------------------------------------------------------ */
/* Encodings. */

int cc_encoding_parse(const char *name)
{
  if (strcasecmp(name, "auto") == 0)
    return CC_ENC_AUTO;
  if (strcasecmp(name, "utf8") == 0 || strcasecmp(name, "utf-8") == 0)
    return CC_ENC_UTF8;
  if (strcasecmp(name, "gb18030") == 0 || strcasecmp(name, "gbk") == 0 ||
      strcasecmp(name, "gb2312") == 0 || strcasecmp(name, "cp936") == 0)
    return CC_ENC_GB18030;
  if (strcasecmp(name, "utf-16le") == 0 || strcasecmp(name, "utf16le") == 0)
    return CC_ENC_UTF16LE;
  if (strcasecmp(name, "utf-16be") == 0 || strcasecmp(name, "utf16be") == 0)
    return CC_ENC_UTF16BE;
  return -1;
}

const char *cc_encoding_name(cc_encoding enc)
{
  switch (enc) {
  case CC_ENC_GB18030:
    return "GB18030";
  case CC_ENC_UTF16LE:
    return "UTF-16LE";
  case CC_ENC_UTF16BE:
    return "UTF-16BE";
  case CC_ENC_XLSX:
    return "workbook";
  default:
    return "UTF-8";
  }
}

/*
 * Length of the valid UTF-8 prefix of s (shortest forms, no surrogates, at
 * most U+10FFFF). ASCII is skipped eight bytes at a time.
 */
static size_t utf8_valid_prefix(const unsigned char *s, size_t n)
{
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    if (c < 0x80) {
      uint64_t w;
      if (i + 8 <= n) {
        memcpy(&w, s + i, 8);
        if ((w & 0x8080808080808080ULL) == 0) {
          i += 8;
          continue;
        }
      }
      i++;
    } else if (c >= 0xC2 && c <= 0xDF) {
      if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80)
        return i;
      i += 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      if (i + 2 >= n || (s[i + 1] & 0xC0) != 0x80 ||
          (s[i + 2] & 0xC0) != 0x80 || (c == 0xE0 && s[i + 1] < 0xA0) ||
          (c == 0xED && s[i + 1] > 0x9F))
        return i;
      i += 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      if (i + 3 >= n || (s[i + 1] & 0xC0) != 0x80 ||
          (s[i + 2] & 0xC0) != 0x80 || (s[i + 3] & 0xC0) != 0x80 ||
          (c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] > 0x8F))
        return i;
      i += 4;
    } else {
      return i;
    }
  }
  return i;
}

/*
 * Settles UTF-8 or GB18030 from the first DETECT_BYTES of a file. Chinese
 * text in GB18030 is almost never valid UTF-8, while a UTF-8 file may
 * carry a stray bad byte from some upstream system: one such byte must not
 * turn the whole file into GB18030 (every row would be garbled). So the
 * sample counts as UTF-8 when its valid multi-byte characters outnumber
 * its invalid bytes ten to one; the rows holding the bad bytes are then
 * rejected as bad_text. Looking at a bounded sample keeps this off the
 * critical path of a large file.
 */
#define DETECT_BYTES ((size_t)4 << 20)

static int guess_encoding(const unsigned char *s, size_t n, int eof)
{
  size_t i = 0, good = 0, bad = 0;
  if (n > DETECT_BYTES) {
    n = DETECT_BYTES;
    eof = 0;
  }
  while (i < n) {
    size_t ok = utf8_valid_prefix(s + i, n - i);
    /* Count multi-byte characters in the valid run. */
    size_t j;
    for (j = i; j < i + ok; j++)
      good += (s[j] & 0xC0) == 0xC0;
    i += ok;
    if (i >= n)
      break;
    if (!eof && n - i < 4)
      break; /* a character cut by the end of the sample */
    bad++;
    i++;
  }
  return bad == 0 || good >= 10 * bad ? CC_ENC_UTF8 : CC_ENC_GB18030;
}

/* Valid UTF-8 holding no U+FFFD (the mark of bytes lost in conversion)
 * and no NUL (not text; the name folding refuses it too), in one pass
 * (utf8_internal.h). */
static int cell_text_ok(const char *p, size_t n)
{
  return utf8_text_ok((const unsigned char *)p, n);
}

/* ------------------------------------------------------------------ */
/* The reader. */

typedef struct chunk {
  size_t start, end;   /* byte range of the block buffer */
  uint32_t first_line; /* physical line of its first row */
  uint8_t broken;      /* cc_reject_code when the range is one broken row */
  uint8_t text_ok;     /* the chunk is valid UTF-8 without NUL or U+FFFD */
  uint16_t broken_col; /* its column (the field left open) */
  cc_record *recs;     /* accepted rows */
  size_t n_recs, cap_recs;
  cc_reject *rejs; /* rejected rows */
  size_t n_rejs, cap_rejs;
  uint64_t blank, upgraded;
  uint64_t id_invalid[CC_IDR_COUNT_];
  uint32_t swallowed; /* a stray_quote row: the rows it would have merged */
  uint32_t n_mixed;   /* lines not in the file's encoding */
  uint32_t mixed[MIXED_KEEP]; /* the first of them */
  arena mem;                  /* strings of the records */
  char *conv;                 /* GB18030 converted to UTF-8 */
  size_t conv_cap;
  int err; /* a worker's failure, turned into the error later */
  char errmsg[256];
} chunk;

/* The chunks of one block. */
typedef struct chunk_set {
  chunk *chunks;
  size_t n, cap;
} chunk_set;

typedef struct reader {
  const char *path;
  uint16_t roster;
  const cc_ingest_options *opts;
  const cc_ingest_sink *sink;
  int threads;
  int encoding;             /* settled cc_encoding */
  char delim;               /* ',' or '\t' */
  int pos_of[CC_COL_COUNT]; /* field index of each column, -1 if absent */
  signed char *col_at;      /* column of each field up to the last mapped
                               one, -1 if none (parse_rows) */
  int max_pos;              /* last mapped field index */
  size_t n_fields;          /* cells of the header row */
  cc_ingest_stats *st;      /* the counts being added up (mixed lines) */
  int detect_mixed;         /* the encoding was detected, not forced: look
                               for lines in the other one */
  chunk_set sets[2];        /* chunks of the block being parsed and of the
                               block being committed (see cc_ingest_file) */
  chunk_set *set;           /* the one scan_block fills */
  iconv_t *cd;              /* per thread, opened lazily */
  uint64_t seq;
  int skip_line; /* the rest of a broken row's first line is
                               still to come: skip it in the next block */
} reader;

static chunk *new_chunk(reader *r)
{
  chunk *c;
  chunk_set *set = r->set;
  if (set->n == set->cap) {
    size_t cap = set->cap ? set->cap * 2 : 16;
    chunk *grown = realloc(set->chunks, cap * sizeof *grown);
    if (grown == NULL)
      return NULL;
    memset(grown + set->cap, 0, (cap - set->cap) * sizeof *grown);
    set->chunks = grown;
    set->cap = cap;
  }
  c = &set->chunks[set->n++];
  c->n_recs = c->n_rejs = 0;
  c->blank = c->upgraded = 0;
  memset(c->id_invalid, 0, sizeof c->id_invalid);
  c->broken = 0;
  c->swallowed = 0;
  c->n_mixed = 0;
  c->err = 0;
  arena_reset(&c->mem);
  return c;
}

static int push_chunk(reader *r, size_t start, size_t end, uint32_t line,
                      int broken, int column)
{
  chunk *c;
  if (end <= start)
    return 0;
  c = new_chunk(r);
  if (c == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  c->start = start;
  c->end = end;
  c->first_line = line;
  c->broken = (uint8_t)broken;
  c->broken_col = (uint16_t)column;
  return 0;
}

/*
 * 1-based column of the field still open at `upto` in the row starting at
 * `row`, with the quoting rules of scan_block: the field a broken row's
 * reject names.
 */
static int open_field_column(const char *row, const char *upto, char delim)
{
  const char *s;
  int col = 1, inq = 0;
  for (s = row; s < upto; s++) {
    if (inq) {
      if (*s == '"') {
        if (s + 1 < upto && s[1] == '"')
          s++;
        else
          inq = 0;
      }
    } else if (*s == '"') {
      if (s == row || s[-1] == delim)
        inq = 1;
    } else if (*s == delim) {
      col++;
    }
  }
  return col > UINT16_MAX ? UINT16_MAX : col;
}

/* Next '"' or '\n' in [p, end), or NULL. Sixteen bytes at a time with
 * SSE2, else eight. */
static const char *find_special(const char *p, const char *end)
{
#ifdef __SSE2__
  const __m128i q16 = _mm_set1_epi8('"'), nl16 = _mm_set1_epi8('\n');
  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    unsigned m = (unsigned)_mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(v, q16), _mm_cmpeq_epi8(v, nl16)));
    if (m != 0)
      return p + __builtin_ctz(m);
    p += 16;
  }
#endif
  const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  const uint64_t q = ones * '"', nl = ones * '\n';
  while (end - p >= 8) {
    uint64_t w, a, b;
    memcpy(&w, p, 8);
    a = w ^ q;
    b = w ^ nl;
    /* Classic "has zero byte" test on both XORs. */
    if ((((a - ones) & ~a) | ((b - ones) & ~b)) & highs)
      break;
    p += 8;
  }
  for (; p < end; p++)
    if (*p == '"' || *p == '\n')
      return p;
  return NULL;
}

/*
 * The stray-quote rule (docs/RULES.md). A quoted field that crosses a line
 * break is legitimate (a school name or a major on two lines, which Excel
 * writes and the generator plants), but not when the line after the break
 * is a row of its own: read as a new row, it reaches as many fields as the
 * header has (n_fields - 1 delimiters, at least 3) before any quote that
 * stands inside an unquoted field. Such a quote, in a legitimate field on
 * two lines, is the one closing it ("（东校区）",370102,...), so the
 * continuation of a real multi-line field never counts as a row, whichever
 * column the field is in.
 *
 * Returns 1 when the line at p is a row of its own, 0 when not, -1 when
 * the buffer ends before that can be told (and more is to come).
 */
static int line_is_row(const reader *r, const char *p, const char *end, int eof)
{
  size_t need = r->n_fields > 4 ? r->n_fields - 1 : 3, delims = 0;
  const char *field = p;
  int inq = 0;
  for (; p < end; p++) {
    if (inq) {
      if (*p == '"') {
        if (p + 1 < end && p[1] == '"')
          p++;
        else if (p + 1 == end && !eof)
          return -1;
        else
          inq = 0;
      } else if (*p == '\n') {
        return 0; /* a field of this line runs on: not a plain row */
      }
    } else if (*p == '"') {
      if (p != field)
        return 0; /* closes a field left open above */
      inq = 1;
    } else if (*p == r->delim) {
      if (++delims >= need)
        return 1;
      field = p + 1;
    } else if (*p == '\n') {
      return 0;
    }
  }
  return eof ? 0 : -1;
}

/* Lines from p to the one where the quoted field open at p would have
 * closed (p's own line counted), looking no further than end: the rows a
 * stray quote would have merged into its row. *closes: a quote closes it
 * before end. */
static uint32_t swallowed_rows(const char *p, const char *end, int *closes)
{
  uint32_t n = 1;
  *closes = 0;
  for (;;) {
    const char *s = find_special(p, end);
    if (s == NULL)
      return n;
    if (*s == '\n') {
      if (s + 1 < end)
        n++;
      p = s + 1;
    } else if (s + 1 < end && s[1] == '"') {
      p = s + 2;
    } else {
      *closes = 1;
      return n;
    }
  }
}

/*
 * Cuts buf[0, len) into chunks of whole rows (see the top of the file).
 * `line` is the line of the row at buf[0] and is advanced past the rows
 * consumed. Returns the number of bytes consumed; the rest is an
 * unfinished row to carry into the next block (none when eof).
 */
static int scan_block(reader *r, const char *buf, size_t len, int eof,
                      uint32_t *line, size_t *consumed)
{
  const char *end = buf + len, *p = buf, *row = buf, *chunk_at = buf;
  uint32_t ln = *line, row_line = *line, chunk_line = *line, swallowed = 0;
  size_t target = len / ((size_t)r->threads * 4 + 1);
  int inq = 0, rc, stray = 0; /* stray: the line after a break in quotes is
                                 a row of its own (line_is_row) */

  if (target < 65536)
    target = 65536;
  r->set->n = 0;
  if (r->skip_line) {
    /* The last block ended inside a broken row's first line: its rest is
     * not a row of its own. */
    const char *nl = memchr(buf, '\n', len);
    if (nl == NULL) {
      *consumed = len;
      if (eof) {
        r->skip_line = 0;
        *line += 1; /* that line ends the file */
      }
      return 0;
    }
    r->skip_line = 0;
    p = row = chunk_at = nl + 1;
    ln = row_line = chunk_line = *line + 1;
  }
  for (;;) {
    const char *s = find_special(p, end);
    int broken = 0, need_more = 0;
    if (s == NULL) {
      if (!eof)
        need_more = 1;
      else if (inq)
        broken = CC_REJ_UNTERMINATED_QUOTE;
      else {
        p = end;
        break;
      }
    } else if (*s == '\n') {
      ln++;
      p = s + 1;
      if (inq) {
        /* A line break inside quotes: a school name or a major written on
         * two lines, unless the next line is a whole row of its own. */
        int own =
            (size_t)(p - row) > CC_ROW_MAX ? 0 : line_is_row(r, p, end, eof);
        stray = own > 0;
        if (own < 0) {
          need_more = 1;
        } else if (own) {
          /* How far the quote would have run: to its closing quote, the
           * end of the file (an unterminated quote, as ever), or the row
           * cap, all counted from the row so that the block size does
           * not change the answer. */
          const char *lim =
              (size_t)(end - row) > CC_ROW_MAX ? row + CC_ROW_MAX : end;
          int closes;
          swallowed = swallowed_rows(p, lim, &closes);
          if (!closes && lim == end && !eof)
            need_more = 1;
          else
            broken = closes || lim != end ? CC_REJ_STRAY_QUOTE
                                          : CC_REJ_UNTERMINATED_QUOTE;
        } else if ((size_t)(p - row) <= CC_ROW_MAX) {
          continue;
        }
      } else {
        row = p;
        row_line = ln;
        if ((size_t)(row - chunk_at) >= target) {
          if ((rc = push_chunk(r, (size_t)(chunk_at - buf), (size_t)(row - buf),
                               chunk_line, 0, 0)) < 0)
            return rc;
          chunk_at = row;
          chunk_line = ln;
        }
        continue;
      }
    } else if (!inq) {
      /* A quote opens a quoted field only at the start of a field. */
      if (s == row || s[-1] == r->delim)
        inq = 1;
      p = s + 1;
    } else if (s + 1 < end && s[1] == '"') {
      p = s + 2; /* "" inside quotes */
    } else if (s + 1 == end && !eof) {
      need_more = 1; /* cannot tell "" from a closing quote yet */
    } else {
      inq = 0;
      p = s + 1;
    }
    /* A row may not outgrow CC_ROW_MAX: that bounds the carried bytes. */
    if (!broken && ((need_more && (size_t)(end - row) > CC_ROW_MAX) ||
                    (inq && (size_t)(p - row) > CC_ROW_MAX)))
      broken = CC_REJ_FIELD_TOO_LONG;
    if (need_more && !broken)
      break;
    if (broken && stray) {
      /* The row up to the line that is a row of its own is the reject;
       * the scan resumes there, out of quotes. */
      int col = open_field_column(row, p, r->delim);
      if (broken == CC_REJ_UNTERMINATED_QUOTE)
        swallowed = 0; /* it merged nothing that was a row */
      if ((rc = push_chunk(r, (size_t)(chunk_at - buf), (size_t)(row - buf),
                           chunk_line, 0, 0)) < 0 ||
          (rc = push_chunk(r, (size_t)(row - buf), (size_t)(p - buf), row_line,
                           broken, col)) < 0)
        return rc;
      r->set->chunks[r->set->n - 1].swallowed = swallowed;
      inq = 0;
      stray = 0;
      row = chunk_at = p;
      row_line = chunk_line = ln;
      continue;
    }
    if (broken) {
      /* Cut the row's first physical line out as a reject, resume after.
       * Past [p, end) nothing was scanned when a special was found. */
      const char *nl = memchr(row, '\n', (size_t)(end - row));
      const char *resume = nl ? nl + 1 : end;
      int col = open_field_column(row, s ? p : end, r->delim);
      if ((rc = push_chunk(r, (size_t)(chunk_at - buf), (size_t)(row - buf),
                           chunk_line, 0, 0)) < 0 ||
          (rc = push_chunk(r, (size_t)(row - buf), (size_t)(resume - buf),
                           row_line, broken, col)) < 0)
        return rc;
      inq = 0;
      p = row = chunk_at = resume;
      /* Without its newline yet, the line goes on in the next block. */
      if (nl == NULL && !eof)
        r->skip_line = 1;
      ln = row_line + (nl || eof ? 1 : 0);
      row_line = chunk_line = ln;
      if (resume == end)
        break;
    }
  }
  if (eof) {
    if (row < end)
      ln++;    /* a last line without a newline is a line all the same */
    row = end; /* a last row without a newline is complete */
  }
  if ((rc = push_chunk(r, (size_t)(chunk_at - buf), (size_t)(row - buf),
                       chunk_line, 0, 0)) < 0)
    return rc;
  /* Lines inside the carried-over row are counted again next time. */
  *line = row_line;
  if (eof && row == end)
    *line = ln;
  *consumed = (size_t)(row - buf);
  return 0;
}

/* One field of a row, located in the chunk's text or copied to the arena. */
typedef struct field {
  const char *p;
  uint32_t n;
} field;

static int add_reject(chunk *c, uint32_t line, int column, int code)
{
  cc_reject *rj;
  if (cc_grow((void **)&c->rejs, &c->cap_rejs, c->n_rejs + 1, sizeof *c->rejs) <
      0)
    return -1;
  rj = &c->rejs[c->n_rejs++];
  rj->line = line;
  rj->column = (uint16_t)column;
  rj->code = (uint8_t)code;
  return 0;
}

static cc_reject_code id_reject_code(int reason)
{
  switch (reason) {
  case CC_IDR_EMPTY:
    return CC_REJ_ID_EMPTY;
  case CC_IDR_SCIENTIFIC:
    return CC_REJ_ID_SCIENTIFIC;
  case CC_IDR_TOO_SHORT:
    return CC_REJ_ID_TOO_SHORT;
  case CC_IDR_TOO_LONG:
    return CC_REJ_ID_TOO_LONG;
  default:
    return CC_REJ_ID_NOT_DIGITS;
  }
}

static int blank_text(const char *p, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
      return 0;
  return 1;
}

/*
 * Turns one split row that is not blank into a record or a reject, in the
 * order of docs/RULES.md. `cell` holds the trimmed cell of each column
 * ("" when the file or the row lacks it). Returns 0, or -1 when out of
 * memory.
 */
static int build_row(reader *r, chunk *c, const cc_str *cell, uint32_t line,
                     int row_err, int row_err_col)
{
  const int *pos = r->pos_of;
  char folded[CC_NAME_MAX + 1];
  cc_id id;
  cc_record *rec;
  size_t flen;
  int i, rc, st, bad;
  int64_t grant, waiver;

  if (row_err)
    return add_reject(c, line, row_err_col, row_err);
  /* Every cell kept, not only the required ones: they all reach the
   * outputs. The reject names the first bad column of the file. */
  bad = -1;
  for (i = 0; i < CC_COL_COUNT && !c->text_ok; i++)
    if (pos[i] >= 0 && (bad < 0 || pos[i] < bad) &&
        !cell_text_ok(cell[i].ptr, cell[i].len))
      bad = pos[i];
  if (bad >= 0)
    return add_reject(c, line, bad + 1, CC_REJ_BAD_TEXT);

  if (cc_id_normalize(&id, cell[CC_COL_ID].ptr, cell[CC_COL_ID].len,
                      r->opts->today) == CC_ID_REJECTED)
    return add_reject(c, line, pos[CC_COL_ID] + 1, id_reject_code(id.reason));

  rc = cc_name_fold(folded, sizeof folded, &flen, cell[CC_COL_NAME].ptr,
                    cell[CC_COL_NAME].len);
  if (rc == CC_ENOMEM)
    return add_reject(c, line, pos[CC_COL_NAME] + 1, CC_REJ_NAME_TOO_LONG);
  if (rc < 0)
    return add_reject(
        c, line, pos[CC_COL_NAME] + 1,
        cell[CC_COL_NAME].len == 0 ? CC_REJ_NAME_EMPTY
        : cell_text_ok(cell[CC_COL_NAME].ptr, cell[CC_COL_NAME].len)
            ? CC_REJ_NAME_EMPTY
            : CC_REJ_BAD_TEXT);
  if (cell[CC_COL_SCHOOL_CODE].len == 0)
    return add_reject(c, line, pos[CC_COL_SCHOOL_CODE] + 1,
                      CC_REJ_SCHOOL_CODE_EMPTY);
  if (cell[CC_COL_SCHOOL_CODE].len > 255)
    return add_reject(c, line, pos[CC_COL_SCHOOL_CODE] + 1,
                      CC_REJ_SCHOOL_CODE_TOO_LONG);
  if (cell[CC_COL_STATUS].len == 0)
    return add_reject(c, line, pos[CC_COL_STATUS] + 1, CC_REJ_STATUS_EMPTY);
  st = cc_status_parse(cell[CC_COL_STATUS].ptr, cell[CC_COL_STATUS].len);
  if (st == CC_STATUS_UNKNOWN)
    return add_reject(c, line, pos[CC_COL_STATUS] + 1, CC_REJ_STATUS_UNKNOWN);
  if (cc_money_parse(&grant, cell[CC_COL_GRANT].ptr, cell[CC_COL_GRANT].len) <
      0)
    return add_reject(c, line, pos[CC_COL_GRANT] + 1, CC_REJ_AMOUNT_INVALID);
  if (cc_money_parse(&waiver, cell[CC_COL_WAIVER].ptr,
                     cell[CC_COL_WAIVER].len) < 0)
    return add_reject(c, line, pos[CC_COL_WAIVER] + 1, CC_REJ_AMOUNT_INVALID);

  if (cc_mem_grow((void **)&c->recs, &c->cap_recs, c->n_recs + 1,
                  sizeof *c->recs) < 0)
    return -1;
  rec = &c->recs[c->n_recs++];
  memcpy(rec->id, id.digits, sizeof rec->id);
  rec->id_len = id.len;
  rec->id_verdict = id.verdict;
  rec->id_reason = id.reason;
  rec->id_upgraded = id.upgraded;
  rec->id_hash = cc_id_hash(id.digits, id.len);
  rec->line = line;
  rec->roster = r->roster;
  rec->status = (uint8_t)st;
  rec->grant = grant;
  rec->waiver = waiver;
  rec->name.ptr = cell[CC_COL_NAME].ptr;
  rec->name.len = cell[CC_COL_NAME].len;
  rec->name_folded.ptr = arena_alloc(&c->mem, flen ? flen : 1);
  if (rec->name_folded.ptr == NULL)
    return -1;
  memcpy((char *)rec->name_folded.ptr, folded, flen);
  rec->name_folded.len = (uint32_t)flen;
  memcpy(rec->text, cell, sizeof rec->text);
  if (id.verdict == CC_ID_INVALID)
    c->id_invalid[id.reason]++;
  c->upgraded += id.upgraded;
  return 0;
}

/*
 * End of the unquoted field at t[p]: the next delimiter or '\n' in
 * [p, n), or n. Sixteen bytes at a time with SSE2 (a field is about ten
 * bytes, so most take one step), else eight.
 */
static inline size_t field_end(const char *t, size_t p, size_t n, char delim)
{
#ifdef __SSE2__
  const __m128i d16 = _mm_set1_epi8(delim), nl16 = _mm_set1_epi8('\n');
  while (n - p >= 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(t + p));
    unsigned m = (unsigned)_mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(v, d16), _mm_cmpeq_epi8(v, nl16)));
    if (m != 0)
      return p + (size_t)__builtin_ctz(m);
    p += 16;
  }
#endif
  /* Without SSE2 the whole field, with it the last bytes of the chunk. */
  const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  const uint64_t dl = ones * (unsigned char)delim, nl = ones * '\n';
  while (n - p >= 8) {
    uint64_t w, a, b;
    memcpy(&w, t + p, 8);
    a = w ^ dl;
    b = w ^ nl;
    /* Any zero byte in either XOR: finish byte by byte below. */
    if ((((a - ones) & ~a) | ((b - ones) & ~b)) & highs)
      break;
    p += 8;
  }
  while (p < n && t[p] != delim && t[p] != '\n')
    p++;
  return p;
}

/*
 * Splits the rows of t[0, n) (whole rows, UTF-8) into fields and builds
 * records. Quoted fields that hold "" are copied, unescaped, to the arena.
 *
 * Each field is trimmed into the cell of its column as soon as it is
 * split (col_at maps a field's position to its column), so a row is not
 * walked a second time to find its cells. A row is blank when every one of
 * its fields is, however many it has.
 */
static int parse_rows(reader *r, chunk *c, const char *t, size_t n,
                      uint32_t line)
{
  const signed char *col_at = r->col_at;
  cc_str cell[CC_COL_COUNT];
  size_t p = 0;
  const char delim = r->delim;
  const int max_pos = r->max_pos;
  int i;

  for (i = 0; i < CC_COL_COUNT; i++) {
    cell[i].ptr = ""; /* columns the file lacks stay so */
    cell[i].len = 0;
  }

  while (p < n) {
    uint32_t row_line = line;
    int nf = 0, row_err = 0, row_err_col = 0, done = 0, blank = 1;
    while (!done) {
      const char *fp;
      size_t fl;
      if (p < n && t[p] == '"') {
        /* Quoted: up to the closing quote; "" is a quote. Text after the
         * closing quote, up to the delimiter, is kept as it is (Excel does
         * the same with such malformed cells). */
        size_t s = ++p, out_len = 0;
        char *copy = NULL;
        int escaped = 0;
        for (;;) {
          const char *q = memchr(t + p, '"', n - p);
          size_t upto = q ? (size_t)(q - t) : n;
          const char *nl = t + p;
          while ((nl = memchr(nl, '\n', (size_t)(t + upto - nl))) != NULL) {
            line++;
            nl++;
          }
          if (q && upto + 1 < n && t[upto + 1] == '"') {
            escaped = 1;
            p = upto + 2;
            continue;
          }
          p = q ? upto + 1 : n;
          fl = upto - s;
          break;
        }
        if (escaped) {
          size_t i, end = s + fl;
          copy = arena_alloc(&c->mem, fl);
          if (copy == NULL)
            return -1;
          for (i = s; i < end; i++) {
            copy[out_len++] = t[i];
            if (t[i] == '"')
              i++;
          }
          fp = copy;
          fl = out_len;
        } else {
          fp = t + s;
        }
        if (p < n && t[p] != delim && t[p] != '\n' &&
            !(t[p] == '\r' && (p + 1 == n || t[p + 1] == '\n'))) {
          size_t tail = p;
          char *joined;
          while (tail < n && t[tail] != delim && t[tail] != '\n')
            tail++;
          if (t[tail - 1] == '\r' && (tail == n || t[tail] == '\n'))
            tail--; /* CRLF: skipped below */
          joined = arena_alloc(&c->mem, fl + (tail - p));
          if (joined == NULL)
            return -1;
          memcpy(joined, fp, fl);
          memcpy(joined + fl, t + p, tail - p);
          fp = joined;
          fl += tail - p;
          p = tail;
        }
        if (p < n && t[p] == '\r' && (p + 1 == n || t[p + 1] == '\n'))
          p++;
      } else {
        size_t s = p;
        p = field_end(t, p, n, delim);
        fp = t + s;
        fl = p - s;
        if (fl > 0 && fp[fl - 1] == '\r' && (p == n || t[p] == '\n'))
          fl--; /* CRLF */
      }
      if (fl > CC_FIELD_MAX && !row_err) {
        row_err = CC_REJ_FIELD_TOO_LONG;
        row_err_col = nf + 1;
      }
      if (blank && !blank_text(fp, fl))
        blank = 0;
      if (nf <= max_pos && col_at[nf] >= 0) {
        int col = col_at[nf];
        size_t cl = (uint32_t)fl; /* a field length is 32 bits, as ever */
        trim_span(&fp, &cl);
        cell[col].ptr = fp;
        cell[col].len = (uint32_t)cl;
      }
      nf++;
      if (p < n && t[p] == delim) {
        p++;
      } else {
        if (p < n && t[p] == '\n') {
          p++;
          line++;
        }
        done = 1;
      }
    }
    if (blank) {
      c->blank++;
      continue;
    }
    if (nf <= max_pos) {
      /* A short row: the columns it does not reach are empty, not left
       * over from the row before. */
      for (i = 0; i < CC_COL_COUNT; i++)
        if (r->pos_of[i] >= nf) {
          cell[i].ptr = "";
          cell[i].len = 0;
        }
    }
    if (build_row(r, c, cell, row_line, row_err, row_err_col) < 0)
      return -1;
  }
  return 0;
}

/* GB18030 to UTF-8; a byte that is not GB18030 becomes U+FFFD. */
static int convert_gb18030(reader *r, chunk *c, const char *in, size_t n,
                           size_t *out_len)
{
  int t = omp_get_thread_num();
  char *src = (char *)in, *dst;
  size_t left = n, room, need = n * 3 + 16;
  if (r->cd[t] == (iconv_t)-1) {
    r->cd[t] = iconv_open("UTF-8", "GB18030");
    if (r->cd[t] == (iconv_t)-1)
      return -1;
  }
  if (c->conv_cap < need) {
    char *grown = realloc(c->conv, need);
    if (grown == NULL)
      return -1;
    c->conv = grown;
    c->conv_cap = need;
  }
  dst = c->conv;
  room = c->conv_cap;
  iconv(r->cd[t], NULL, NULL, NULL, NULL);
  while (left > 0) {
    if (iconv(r->cd[t], &src, &left, &dst, &room) != (size_t)-1)
      break;
    if (errno == EILSEQ || errno == EINVAL) {
      memcpy(dst, "\xEF\xBF\xBD", 3);
      dst += 3;
      room -= 3;
      src++;
      left--;
      iconv(r->cd[t], NULL, NULL, NULL, NULL);
    } else {
      return -1;
    }
  }
  *out_len = (size_t)(dst - c->conv);
  return 0;
}

/*
 * 1 when one line is not in the file's encoding `enc`. In a GB18030 file:
 * a line holding non-ASCII bytes that are all valid UTF-8 (Chinese in
 * GB18030 is almost never valid UTF-8: see guess_encoding). In a UTF-8
 * file: a line with four or more invalid bytes (two GB18030 characters)
 * and more than four times as many as its valid multi-byte characters (one
 * GB18030 character in twelve happens to be valid UTF-8), so that a stray
 * byte or a cut character in a UTF-8 line stays a bad_text reject and does
 * not make the file "mixed".
 */
static int line_disagrees(int enc, const unsigned char *s, size_t n)
{
  size_t i = 0, good = 0, bad = 0;
  if (enc == CC_ENC_GB18030) {
    for (i = 0; i < n && s[i] < 0x80; i++)
      ;
    return i < n && utf8_valid_prefix(s + i, n - i) == n - i;
  }
  while (i < n) {
    size_t ok = utf8_valid_prefix(s + i, n - i), j;
    for (j = i; j < i + ok; j++)
      good += (s[j] & 0xC0) == 0xC0;
    i += ok;
    if (i < n) {
      bad++;
      i++;
    }
  }
  return bad >= 4 && bad > 4 * good;
}

/* Keeps the count and the first numbers of the lines of t[0, n) (raw
 * bytes, first line c->first_line) that line_disagrees. */
static void note_mixed_lines(const reader *r, chunk *c, const char *t, size_t n)
{
  const char *p = t, *end = t + n;
  uint32_t line = c->first_line;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    if (line_disagrees(r->encoding, (const unsigned char *)p,
                       (size_t)(le - p))) {
      if (c->n_mixed < MIXED_KEEP)
        c->mixed[c->n_mixed] = line;
      c->n_mixed++;
    }
    line++;
    p = le + 1;
  }
}

/* Adds n lines (the first of them in first[]) to the file's mixed lines. */
static void add_mixed(cc_ingest_stats *st, const uint32_t *first, uint32_t n)
{
  uint32_t i;
  for (i = 0; i < n && i < MIXED_KEEP; i++)
    if (st->mixed_lines + i < MIXED_KEEP)
      st->mixed_first[st->mixed_lines + i] = first[i];
  st->mixed_lines += n;
}

static void work_chunk(reader *r, chunk *c, const char *buf)
{
  const char *t = buf + c->start;
  size_t n = c->end - c->start;
  if (c->broken) {
    if (add_reject(c, c->first_line, c->broken_col, c->broken) < 0)
      goto nomem;
  } else {
    if (r->encoding == CC_ENC_GB18030) {
      if (r->detect_mixed)
        note_mixed_lines(r, c, t, n);
      if (convert_gb18030(r, c, t, n, &n) < 0)
        goto nomem;
      t = c->conv;
    }
    /* One pass over the whole chunk instead of one per cell: almost every
     * chunk is clean, and then no cell needs looking at. */
    c->text_ok = cell_text_ok(t, n);
    if (!c->text_ok && r->encoding == CC_ENC_UTF8 && r->detect_mixed)
      note_mixed_lines(r, c, t, n);
    if (parse_rows(r, c, t, n, c->first_line) < 0)
      goto nomem;
  }
  return;
nomem:
  c->err = CC_ENOMEM;
  snprintf(c->errmsg, sizeof c->errmsg, "%s: out of memory while parsing",
           r->path);
}

/* ------------------------------------------------------------------ */
/* The header. */

/*
 * Splits one header line t[0, n) (UTF-8, no line end) into cells. A cell
 * is plain text or wholly quoted ("..." with "" for a quote, a delimiter
 * allowed inside). Any other quote (an opening quote never closed, text
 * after a closing quote, a quote inside a plain cell) is a header error:
 * *quote_col gets the first such cell's 1-based column, and that cell is
 * read up to the next delimiter with its quotes dropped, so the other
 * columns still map. Cell text goes to scratch (n bytes at least).
 */
static int split_header(cc_str **cells, size_t *n_cells, size_t *cap,
                        const char *t, size_t n, char delim, char *scratch,
                        int *quote_col)
{
  size_t pos = 0, out = 0;
  int col = 1;
  *n_cells = 0;
  *quote_col = 0;
  for (;;) {
    size_t start = pos, q = pos, from = out, i;
    int ok = 0;
    while (q < n && (t[q] == ' ' || (t[q] == '\t' && delim != '\t')))
      q++;
    if (q < n && t[q] == '"') {
      for (i = q + 1; i < n; i++) {
        if (t[i] == '"') {
          if (i + 1 < n && t[i + 1] == '"')
            i++;
          else
            break;
        }
        scratch[out++] = t[i];
      }
      if (i < n) {
        for (i++; i < n && (t[i] == ' ' || (t[i] == '\t' && delim != '\t'));
             i++)
          ;
        if (i == n || t[i] == delim) {
          ok = 1;
          pos = i;
        }
      }
      if (!ok) {
        out = from;
        if (*quote_col == 0)
          *quote_col = col;
      }
    }
    if (!ok) {
      const char *d = memchr(t + start, delim, n - start);
      pos = d ? (size_t)(d - t) : n;
      for (i = start; i < pos; i++) {
        if (t[i] == '"' || t[i] == '\n') { /* a break outside quotes: one
                                              opened amiss */
          if (*quote_col == 0)
            *quote_col = col;
        } else {
          scratch[out++] = t[i];
        }
      }
    }
    if (cc_grow((void **)cells, cap, *n_cells + 1, sizeof **cells) < 0)
      return -1;
    (*cells)[*n_cells].ptr = scratch + from;
    (*cells)[*n_cells].len = (uint32_t)(out - from);
    (*n_cells)++;
    if (pos >= n)
      return 0;
    pos++; /* the delimiter */
    col++;
  }
}

/* What mapping one candidate header row found. */
typedef struct header_try {
  int pos_of[CC_COL_COUNT]; /* field index of each column, -1 if absent */
  int required;             /* required columns present */
  int dup_col;              /* 1-based column naming a column again, or 0 */
  int dup_which;            /* that column (cc_column) */
} header_try;

static void map_header(const reader *r, const cc_str *cells, size_t n,
                       header_try *h)
{
  size_t i, k;
  memset(h, 0, sizeof *h);
  for (i = 0; i < CC_COL_COUNT; i++)
    h->pos_of[i] = -1;
  for (i = 0; i < n; i++) {
    const char *p = cells[i].ptr;
    size_t len = cells[i].len;
    int col = -1;
    trim_span(&p, &len);
    if (r->opts->map) {
      for (k = 0; k < r->opts->map->n; k++)
        if (strlen(r->opts->map->entries[k].spelling) == len &&
            memcmp(r->opts->map->entries[k].spelling, p, len) == 0)
          col = r->opts->map->entries[k].column;
    }
    if (col < 0)
      col = cc_column_lookup(p, len);
    if (col < 0)
      continue;
    if (h->pos_of[col] >= 0) {
      if (h->dup_col == 0) {
        h->dup_col = (int)i + 1;
        h->dup_which = col;
      }
      continue;
    }
    h->pos_of[col] = (int)i;
    if (col < CC_COL_REQUIRED)
      h->required++;
  }
}

/* Settles the reader's columns from a header: pos_of, col_at, max_pos. */
static int use_header(reader *r, const header_try *h, size_t n_fields)
{
  int i;
  memcpy(r->pos_of, h->pos_of, sizeof r->pos_of);
  r->n_fields = n_fields;
  r->max_pos = -1;
  for (i = 0; i < CC_COL_COUNT; i++)
    if (r->pos_of[i] > r->max_pos)
      r->max_pos = r->pos_of[i];
  r->col_at = malloc((size_t)r->max_pos + 1);
  if (r->col_at == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  memset(r->col_at, -1, (size_t)r->max_pos + 1);
  for (i = 0; i < CC_COL_COUNT; i++)
    if (r->pos_of[i] >= 0)
      r->col_at[r->pos_of[i]] = (signed char)i;
  return 0;
}

/* The error for a file whose best header candidate (line `line`) lacks a
 * required column, names one twice, or holds a stray quote. */
static int header_error(const reader *r, const header_try *h, uint32_t line,
                        int quote_col)
{
  int i;
  if (quote_col)
    return cc_error_set(CC_EINVALID,
                        "%s:%u:%d: a quote in the header row (column %d): a "
                        "header cell is plain text or wholly quoted; remove "
                        "the quote and read the file again",
                        r->path, line, quote_col, quote_col);
  if (h->dup_col)
    return cc_error_set(CC_EINVALID, "%s:%u:%d: column %s (%s) appears twice",
                        r->path, line, h->dup_col,
                        cc_column_name_zh(h->dup_which),
                        cc_column_name_en(h->dup_which));
  for (i = 0; i < CC_COL_REQUIRED; i++)
    if (h->pos_of[i] < 0)
      break;
  return cc_error_set(
      CC_EINVALID,
      "%s:%u: missing required column %s (%s) (no line among "
      "the first %d names all of 身份证号, 姓名, 学校代码, 学籍状态)",
      r->path, line, cc_column_name_zh((cc_column)i),
      cc_column_name_en((cc_column)i), HEADER_LINES);
}

/*
 * Finds the header among the first HEADER_LINES lines of buf[0, len) (the
 * file from its first byte after a BOM): the first line that names every
 * required column. The lines above it are title rows ("全国中等职业学校学生
 * 信息表,,,,"), skipped. Each line is split with its own delimiter (tab when
 * it holds more tabs than commas) and read in its own encoding when it
 * disagrees with the file's (noted as a mixed line). *hdr_end is the
 * offset of the first data line, *hdr_line and *hdr_last the header's
 * first and last physical lines (more than one when a quoted cell holds a
 * line break).
 */
static int find_header(reader *r, const char *buf, size_t len, size_t *hdr_end,
                       uint32_t *hdr_line, uint32_t *hdr_last)
{
  cc_str *cells = NULL;
  size_t n_cells = 0, cap_cells = 0, off = 0;
  char *scratch = NULL;
  chunk tmp;
  header_try h, best;
  uint32_t line, best_line = 1;
  int rc = 0, best_quote = 0, found = 0;

  memset(&tmp, 0, sizeof tmp);
  memset(&best, 0, sizeof best);
  for (line = 0; line < CC_COL_COUNT; line++)
    best.pos_of[line] = -1;
  best.required = -1;
  for (line = 1; line <= HEADER_LINES && off < len; line++) {
    const char *t = buf + off, *nl = memchr(t, '\n', len - off);
    size_t n, i, commas = 0, tabs = 0;
    int enc = r->encoding, quote_col;
    uint32_t extra = 0;
    char delim;

    /* A quoted cell may hold line breaks ("备注\n（选填）"): the row runs
     * on while a quote is open, within the lines looked at. A quote still
     * open there is left to split_header to report. */
    {
      const char *p = t, *end_nl = nl;
      int inq = 0;
      uint32_t k = 0;
      for (;;) {
        const char *stop = end_nl ? end_nl : buf + len;
        for (; p < stop; p++)
          inq ^= *p == '"';
        if (!inq || end_nl == NULL || line + k + 1 > HEADER_LINES)
          break;
        k++;
        p = end_nl + 1;
        end_nl = memchr(p, '\n', len - (size_t)(p - buf));
      }
      if (!inq) {
        extra = k;
        nl = end_nl;
      }
    }
    n = nl ? (size_t)(nl - t) : len - off;

    if (n > 0 && t[n - 1] == '\r')
      n--;
    if (r->detect_mixed && line_disagrees(enc, (const unsigned char *)t, n)) {
      enc = enc == CC_ENC_GB18030 ? CC_ENC_UTF8 : CC_ENC_GB18030;
      add_mixed(r->st, &line, 1);
    }
    if (enc == CC_ENC_GB18030) {
      if (convert_gb18030(r, &tmp, t, n, &n) < 0) {
        rc = cc_error_set(CC_ENOMEM, "out of memory");
        goto done;
      }
      t = tmp.conv;
    }
    for (i = 0; i < n; i++) {
      commas += t[i] == ',';
      tabs += t[i] == '\t';
    }
    delim = tabs > commas ? '\t' : ',';
    free(scratch);
    scratch = malloc(n + 1);
    if (scratch == NULL || split_header(&cells, &n_cells, &cap_cells, t, n,
                                        delim, scratch, &quote_col) < 0) {
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      goto done;
    }
    map_header(r, cells, n_cells, &h);
    if (h.required == CC_COL_REQUIRED && !quote_col && !h.dup_col) {
      r->delim = delim;
      if ((rc = use_header(r, &h, n_cells)) < 0)
        goto done;
      *hdr_end = nl ? (size_t)(nl - buf) + 1 : len;
      *hdr_line = line;
      *hdr_last = line + extra;
      found = 1;
      break;
    }
    if (h.required > best.required) {
      best = h;
      best_line = line;
      best_quote = quote_col;
    }
    if (h.required == CC_COL_REQUIRED)
      break; /* the header, but broken: say so */
    off = nl ? (size_t)(nl - buf) + 1 : len;
    line += extra;
  }
  if (!found)
    rc = header_error(r, &best, best_line, best_quote);
done:
  free(tmp.conv);
  free(cells);
  free(scratch);
  return rc;
}

/* 1 when buf[0, len) holds the HEADER_LINES lines the header is looked
 * for in (or the file ends there: eof). */
static int header_lines_ready(const char *buf, size_t len, int eof)
{
  size_t lines = 0;
  const char *p = buf, *end = buf + len;
  if (eof)
    return 1;
  while (lines < HEADER_LINES && (p = memchr(p, '\n', (size_t)(end - p)))) {
    lines++;
    p++;
  }
  return lines >= HEADER_LINES;
}

static ssize_t read_full(int fd, char *buf, size_t n)
{
  size_t got = 0;
  while (got < n) {
    ssize_t k = read(fd, buf + got, n - got);
    if (k < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (k == 0)
      break;
    got += (size_t)k;
  }
  return (ssize_t)got;
}

/* Hands a parsed block's chunks to the sink in file order (calling thread
 * only: the sink may hold an LMDB write transaction) and adds up its
 * counts. */
static int commit_set(reader *r, chunk_set *set, uint64_t seq0,
                      cc_ingest_stats *st)
{
  size_t i;
  int k, rc;
  for (i = 0; i < set->n; i++) {
    chunk *c = &set->chunks[i];
    cc_block b;
    if (c->err)
      return cc_error_set(c->err, "%s", c->errmsg);
    st->records += c->n_recs;
    st->rejects += c->n_rejs;
    st->blank += c->blank;
    st->id_upgraded += c->upgraded;
    st->stray_quotes += c->broken == CC_REJ_STRAY_QUOTE;
    st->stray_swallowed += c->swallowed;
    add_mixed(st, c->mixed, c->n_mixed);
    for (k = 0; k < CC_IDR_COUNT_; k++)
      st->id_invalid[k] += c->id_invalid[k];
    if (r->sink && r->sink->commit) {
      b.seq = seq0 + i;
      b.roster = r->roster;
      b.records = c->recs;
      b.n_records = c->n_recs;
      b.rejects = c->rejs;
      b.n_rejects = c->n_rejs;
      if ((rc = r->sink->commit(r->sink->ctx, &b)) != 0)
        return rc;
    }
  }
  set->n = 0;
  return 0;
}

/* ------------------------------------------------------------------ */
/* The byte source: the file as the scan wants it. UTF-16 is converted to
 * UTF-8 as it is read (so line numbers stay physical), and in a file whose
 * lines end in a lone CR (old Mac exports) each CR becomes LF. */

#define SOURCE_RAW 65536            /* UTF-16 bytes read per refill */
#define SOURCE_OUT (SOURCE_RAW * 2) /* room for them as UTF-8 (x1.5) */

typedef struct source {
  int fd;
  int utf16;    /* CC_ENC_UTF16LE or CC_ENC_UTF16BE; 0 = bytes as read */
  int cr_lines; /* a lone CR ends lines: each becomes LF */
  iconv_t cd;   /* UTF-16 to UTF-8 */
  char *raw;    /* UTF-16 bytes read, not yet converted */
  size_t raw_len;
  int raw_eof; /* the file has no more bytes */
  char *out;   /* converted bytes not yet handed out */
  size_t out_len, out_off;
} source;

/* Every CR not followed by LF in p[0, n) becomes LF. */
static void cr_to_lf(char *p, size_t n)
{
  char *end = p + n;
  while ((p = memchr(p, '\r', (size_t)(end - p))) != NULL) {
    if (p + 1 == end || p[1] != '\n')
      *p = '\n';
    p++;
  }
}

/* Refills src->out from the file's UTF-16 bytes; an unpaired surrogate or
 * a last odd byte becomes U+FFFD (its row is then rejected as bad_text).
 * 0 (out_len 0 at the end of the file), or -1 with errno. */
static int source_convert(source *src)
{
  src->out_off = src->out_len = 0;
  for (;;) {
    char *in = src->raw, *o = src->out + src->out_len;
    size_t inleft, oleft = SOURCE_OUT - src->out_len, used;
    size_t res;
    if (!src->raw_eof && src->raw_len < SOURCE_RAW / 2) {
      ssize_t k = read_full(src->fd, src->raw + src->raw_len,
                            SOURCE_RAW - src->raw_len);
      if (k < 0)
        return -1;
      if ((size_t)k < SOURCE_RAW - src->raw_len)
        src->raw_eof = 1;
      src->raw_len += (size_t)k;
    }
    if (src->raw_len == 0)
      return 0;
    inleft = src->raw_len;
    res = iconv(src->cd, &in, &inleft, &o, &oleft);
    used = src->raw_len - inleft;
    memmove(src->raw, src->raw + used, inleft);
    src->raw_len = inleft;
    src->out_len = (size_t)(o - src->out);
    if (res != (size_t)-1 || errno == E2BIG) {
      if (src->out_len > 0 || (src->raw_eof && src->raw_len == 0))
        return 0;
      continue;
    }
    if (errno == EINVAL && !src->raw_eof)
      continue; /* a character cut by the end of what was read */
    if (errno != EILSEQ && errno != EINVAL)
      return -1;
    if (oleft < 3)
      return 0; /* hand out what is there first */
    memcpy(src->out + src->out_len, "\xEF\xBF\xBD", 3);
    src->out_len += 3;
    used = src->raw_len < 2 ? src->raw_len : 2;
    memmove(src->raw, src->raw + used, src->raw_len - used);
    src->raw_len -= used;
    iconv(src->cd, NULL, NULL, NULL, NULL);
  }
}

/* Reads up to n bytes as the scan wants them: n unless the file ends. */
static ssize_t source_read(source *src, char *buf, size_t n)
{
  size_t got = 0;
  if (!src->utf16) {
    ssize_t k = read_full(src->fd, buf, n);
    if (k > 0 && src->cr_lines)
      cr_to_lf(buf, (size_t)k);
    return k;
  }
  while (got < n) {
    size_t k;
    if (src->out_off == src->out_len) {
      if (source_convert(src) < 0)
        return -1;
      if (src->out_len == 0)
        break;
    }
    k = src->out_len - src->out_off;
    if (k > n - got)
      k = n - got;
    memcpy(buf + got, src->out + src->out_off, k);
    src->out_off += k;
    got += k;
  }
  if (src->cr_lines)
    cr_to_lf(buf, got);
  return (ssize_t)got;
}

/* Decides, from the first line end in buf[0, len), whether lines end in a
 * lone CR; then converts the CRs already read. 0 while undecided. */
static int decide_cr(source *src, char *buf, size_t len, int eof)
{
  const char *cr = memchr(buf, '\r', len), *lf = memchr(buf, '\n', len);
  if (cr && (lf == NULL || cr < lf)) {
    if ((size_t)(cr - buf) + 1 == len && !eof)
      return 0; /* CR or CRLF: the next block will tell */
    src->cr_lines = (size_t)(cr - buf) + 1 == len || cr[1] != '\n';
  } else if (lf == NULL && !eof) {
    return 0;
  }
  if (src->cr_lines)
    cr_to_lf(buf, len);
  return 1;
}

/* The error of a file mixing encodings, naming the first lines that
 * disagree with the one it was read in. */
static int mixed_error(const char *path, const cc_ingest_stats *st, int enc)
{
  char lines[96] = "";
  size_t k, used = 0;
  for (k = 0; k < MIXED_KEEP && k < st->mixed_lines; k++)
    used += (size_t)snprintf(lines + used, sizeof lines - used, "%s%u",
                             k ? ", " : "", st->mixed_first[k]);
  return cc_error_set(
      CC_EINVALID,
      "%s: mixed encodings: the file reads as %s, but %llu "
      "line%s %s (line%s %s%s); save the whole file in one "
      "encoding (in Excel: Save As, CSV UTF-8) and read it again",
      path, cc_encoding_name((cc_encoding)enc),
      (unsigned long long)st->mixed_lines, st->mixed_lines == 1 ? "" : "s",
      st->mixed_lines == 1
          ? (enc == CC_ENC_GB18030 ? "is UTF-8" : "is GB18030")
          : (enc == CC_ENC_GB18030 ? "are UTF-8" : "are GB18030"),
      st->mixed_lines == 1 ? "" : "s", lines,
      st->mixed_lines > MIXED_KEEP ? ", ..." : "");
}

/* Runs the sink's worker callback on a parsed chunk. */
static void parse_chunk_sink(reader *r, chunk *c, uint64_t seq)
{
  cc_block b;
  if (c->err == 0 && r->sink && r->sink->work) {
    b.seq = seq;
    b.roster = r->roster;
    b.records = c->recs;
    b.n_records = c->n_recs;
    b.rejects = c->rejs;
    b.n_rejects = c->n_rejs;
    c->err = r->sink->work(r->sink->ctx, &b, omp_get_thread_num());
    if (c->err)
      snprintf(c->errmsg, sizeof c->errmsg, "%s", cc_error_last());
  }
}

/* Parses one chunk and runs the sink's worker callback on it. */
static void parse_chunk(reader *r, chunk *c, const char *base, uint64_t seq)
{
  work_chunk(r, c, base);
  parse_chunk_sink(r, c, seq);
}

void cc_ingest_stats_notes(char *out, size_t cap, const cc_ingest_stats *st)
{
  size_t used = 0;
  if (cap == 0)
    return;
  out[0] = '\0';
  if (st->header_line > 1)
    used += (size_t)snprintf(out + used, cap - used,
                             "%u title row%s above the header skipped (the "
                             "header is line %u).",
                             st->header_line - 1,
                             st->header_line == 2 ? "" : "s", st->header_line);
  if (used < cap && st->stray_quotes > 0)
    used +=
        (size_t)snprintf(out + used, cap - used,
                         "%s%llu row%s rejected for a stray quote; the %llu "
                         "row%s it ran into were read as rows.",
                         used ? " " : "", (unsigned long long)st->stray_quotes,
                         st->stray_quotes == 1 ? "" : "s",
                         (unsigned long long)st->stray_swallowed,
                         st->stray_swallowed == 1 ? "" : "s");
}

/* ------------------------------------------------------------------ */
/* Workbooks: the first worksheet, row by row, through xlsx_read.h. */

#define XLSX_BLOCK_ROWS 4096 /* rows per block handed to the sink */

/* 1 when a number cell cannot hold an ID: Excel keeps 15 significant
 * digits, so an 18-digit ID typed as a number lost its last digits (and
 * shows as 1.10101E+17); an exponent says the same. */
static int number_lost_digits(const char *p, size_t n)
{
  size_t i, digits = 0;
  int leading = 1;
  for (i = 0; i < n; i++) {
    if (p[i] == 'E' || p[i] == 'e')
      return 1;
    if (p[i] >= '0' && p[i] <= '9') {
      if (p[i] != '0' || !leading) {
        leading = 0;
        digits++;
      }
    }
  }
  return digits > 15;
}

/* Hands the one chunk of set to the sink (work, then commit). */
static int flush_xlsx(reader *r, chunk_set *set, cc_ingest_stats *st)
{
  int rc;
  chunk *c = &set->chunks[0];
  parse_chunk_sink(r, c, r->seq);
  if (c->err)
    return cc_error_set(c->err, "%s", c->errmsg);
  if ((rc = commit_set(r, set, r->seq, st)) != 0)
    return rc;
  r->seq++;
  if (r->opts->cancel && *r->opts->cancel)
    return cc_error_set(CC_EINTERRUPTED, "%s: interrupted", r->path);
  return new_chunk(r) ? 0 : cc_error_set(CC_ENOMEM, "out of memory");
}

/*
 * Reads a workbook as cc_ingest_file reads a CSV: the header is the first
 * of the first HEADER_LINES rows naming every required column, `line` is
 * the worksheet row number, cells are text as the workbook holds them
 * (numbers and dates as given), and a number cell under 身份证号 that lost
 * digits is rejected as id_scientific_notation. Single-threaded: the zip
 * inflates on one thread anyway, and Excel stops at 1,048,576 rows.
 */
static int ingest_xlsx(reader *r, cc_ingest_stats *st)
{
  cc_xlsx *x = NULL;
  cc_str *hcells = NULL;
  size_t hcap = 0, n, i;
  const cc_xlsx_cell *cells;
  header_try h, best;
  uint32_t row = 0, best_line = 1, last = 0;
  int rc, found = 0;
  chunk *c;

  memset(&best, 0, sizeof best);
  for (i = 0; i < CC_COL_COUNT; i++)
    best.pos_of[i] = -1;
  best.required = -1;
  r->delim = ',';
  r->set = &r->sets[0];
  if ((rc = cc_xlsx_open(&x, r->path)) < 0)
    return rc;
  while ((rc = cc_xlsx_next_row(x, &row, &cells, &n)) > 0 &&
         row <= HEADER_LINES) {
    last = row;
    if (cc_grow((void **)&hcells, &hcap, n ? n : 1, sizeof *hcells) < 0) {
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      goto done;
    }
    for (i = 0; i < n; i++)
      hcells[i] = cells[i].text;
    map_header(r, hcells, n, &h);
    if (h.required == CC_COL_REQUIRED && !h.dup_col) {
      if ((rc = use_header(r, &h, n)) < 0)
        goto done;
      st->header_line = row;
      found = 1;
      break;
    }
    if (h.required > best.required) {
      best = h;
      best_line = row;
    }
    if (h.required == CC_COL_REQUIRED)
      break;
  }
  if (rc < 0)
    goto done;
  if (!found) {
    rc = header_error(r, &best, best_line, 0);
    goto done;
  }
  if ((c = new_chunk(r)) == NULL) {
    rc = cc_error_set(CC_ENOMEM, "out of memory");
    goto done;
  }
  while ((rc = cc_xlsx_next_row(x, &row, &cells, &n)) > 0) {
    cc_str cell[CC_COL_COUNT];
    int blank = 1, row_err = 0, row_err_col = 0, k;
    c = &r->set->chunks[0];
    last = row;
    for (i = 0; i < n; i++) {
      if (blank && !blank_text(cells[i].text.ptr, cells[i].text.len))
        blank = 0;
      if (cells[i].text.len > CC_FIELD_MAX && !row_err) {
        row_err = CC_REJ_FIELD_TOO_LONG;
        row_err_col = (int)i + 1;
      }
    }
    if (blank) {
      c->blank++;
      continue;
    }
    for (k = 0; k < CC_COL_COUNT; k++) {
      int pos = r->pos_of[k];
      cell[k].ptr = "";
      cell[k].len = 0;
      if (pos >= 0 && (size_t)pos < n && cells[pos].text.len > 0 &&
          cells[pos].text.len <= CC_FIELD_MAX) {
        /* The reader's text lives until its next row; the block's, until
         * its commit. */
        char *copy = arena_alloc(&c->mem, cells[pos].text.len);
        const char *cp = copy;
        size_t cl = cells[pos].text.len;
        if (copy == NULL) {
          rc = cc_error_set(CC_ENOMEM, "out of memory");
          goto done;
        }
        memcpy(copy, cells[pos].text.ptr, cl);
        trim_span(&cp, &cl);
        cell[k].ptr = cp;
        cell[k].len = (uint32_t)cl;
      }
    }
    k = r->pos_of[CC_COL_ID];
    if (!row_err && (size_t)k < n && cells[k].type == CC_XLSX_NUMBER &&
        number_lost_digits(cells[k].text.ptr, cells[k].text.len)) {
      row_err = CC_REJ_ID_SCIENTIFIC;
      row_err_col = k + 1;
    }
    c->text_ok = 0; /* each cell is checked */
    if (build_row(r, c, cell, row, row_err, row_err_col) < 0) {
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      goto done;
    }
    if (c->n_recs + c->n_rejs >= XLSX_BLOCK_ROWS &&
        (rc = flush_xlsx(r, r->set, st)) < 0)
      goto done;
  }
  if (rc < 0)
    goto done;
  r->set->chunks[0].first_line = 0;
  if ((rc = flush_xlsx(r, r->set, st)) < 0)
    goto done;
  st->lines = last;
  st->encoding = CC_ENC_XLSX;
  st->delimiter = 0;
  rc = 0;
done:
  cc_xlsx_close(x);
  free(hcells);
  return rc;
}

/*
 * The read loop is a two-stage pipeline over two buffers: while the workers
 * parse block k (in buffer k % 2), the calling thread, as OpenMP's master,
 * commits block k-1, whose records still point into the other buffer, and
 * then reads block k+1 into that buffer. Only the scan for row boundaries
 * is left between parallel steps.
 */
int cc_ingest_file(cc_ingest_stats *stats, const char *path, uint16_t roster,
                   const cc_ingest_options *opts, const cc_ingest_sink *sink)
{
  reader r;
  cc_ingest_stats st;
  struct stat sb;
  char *bufs[2] = {NULL, NULL}, *buf;
  chunk_set *pending = NULL; /* parsed, not yet committed */
  uint64_t pending_seq = 0;
  size_t block, cap, have = 0, i, k;
  uint64_t done_bytes = 0;
  uint32_t line = 1;
  int fd = -1, rc = 0, eof = 0, first = 1, t, cur = 0;
  int prefetched = 0, next_errno = 0; /* the master read the next block */
  ssize_t next_got = 0;
  size_t next_want = 0, carry = 0;
  source src;
  int cr_decided = 0;
  unsigned char sig[4];
  ssize_t sig_len;

  memset(&r, 0, sizeof r);
  memset(&st, 0, sizeof st);
  r.path = path;
  r.roster = roster;
  r.opts = opts;
  r.sink = sink;
  r.threads = opts->threads > 0 ? opts->threads : omp_get_max_threads();
  r.encoding = opts->encoding;
  r.st = &st;
  block = opts->block_bytes;
  cap = 0;
  memset(&src, 0, sizeof src);
  src.cd = (iconv_t)-1;

  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return cc_error_set_errno(errno == ENOENT ? CC_ENOTFOUND : CC_EIO, errno,
                              "%s", path);
  if (fstat(fd, &sb) < 0) {
    rc = cc_error_set_errno(CC_EIO, errno, "%s", path);
    goto done;
  }
  st.bytes = (uint64_t)sb.st_size;
  /* What the first bytes say the file is. */
  sig_len = pread(fd, sig, sizeof sig, 0);
  if (sig_len == 4 && memcmp(sig, "PK\x03\x04", 4) == 0) {
    rc = ingest_xlsx(&r, &st);
    goto done;
  }
  if (sig_len == 4 && memcmp(sig, "\xD0\xCF\x11\xE0", 4) == 0) {
    rc = cc_error_set(CC_EINVALID,
                      "%s: an Excel 97-2003 workbook (.xls) or an encrypted "
                      "workbook, which chachong cannot read: open it in Excel "
                      "(removing the password) and save it as \"CSV UTF-8\" or "
                      "\"Excel Workbook (.xlsx)\"",
                      path);
    goto done;
  }
  if (sig_len >= 2 &&
      (r.encoding == CC_ENC_AUTO || r.encoding == CC_ENC_UTF16LE ||
       r.encoding == CC_ENC_UTF16BE) &&
      (memcmp(sig, "\xFF\xFE", 2) == 0 || memcmp(sig, "\xFE\xFF", 2) == 0)) {
    /* A UTF-16 byte order mark: it says which UTF-16. */
    r.encoding = sig[0] == 0xFF ? CC_ENC_UTF16LE : CC_ENC_UTF16BE;
    if (lseek(fd, 2, SEEK_SET) < 0) {
      rc = cc_error_set_errno(CC_EIO, errno, "%s", path);
      goto done;
    }
  }
  src.fd = fd;
  if (r.encoding == CC_ENC_UTF16LE || r.encoding == CC_ENC_UTF16BE) {
    src.utf16 = r.encoding;
    r.encoding = CC_ENC_UTF8; /* what the scan and the parse see */
    src.cd = iconv_open("UTF-8",
                        src.utf16 == CC_ENC_UTF16LE ? "UTF-16LE" : "UTF-16BE");
    src.raw = malloc(SOURCE_RAW);
    src.out = malloc(SOURCE_OUT);
    if (src.cd == (iconv_t)-1 || src.raw == NULL || src.out == NULL) {
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      goto done;
    }
  }
  if (block == 0) {
    /* A thirty-second of the file, from 2 to 64 MiB: the first block's
     * read and the last block's commit are not overlapped with parsing,
     * so a small file needs small blocks to keep every thread busy (1M
     * records, files of 112 and 38 MB: ingest scaled 1.45x from 1 to 2
     * threads with 64 MiB blocks, 1.54x with a sixteenth of the file,
     * 1.67-1.71x with a thirty-second); a big file, big blocks to keep
     * the steps few. */
    block = (size_t)(st.bytes / 32);
    if (block < (size_t)2 << 20)
      block = (size_t)2 << 20;
    if (block > (size_t)64 << 20)
      block = (size_t)64 << 20;
  }
  cap = block + CC_ROW_MAX + 16;
#ifdef POSIX_FADV_SEQUENTIAL
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  bufs[0] = cc_mem_alloc(cap);
  bufs[1] = cc_mem_alloc(cap);
  r.cd = malloc((size_t)r.threads * sizeof *r.cd);
  if (bufs[0] == NULL || bufs[1] == NULL || r.cd == NULL) {
    rc = cc_error_set(CC_ENOMEM, "out of memory");
    goto done;
  }
  for (t = 0; t < r.threads; t++)
    r.cd[t] = (iconv_t)-1;

  while (!eof || have > 0) {
    size_t start = 0, consumed = 0;
    ssize_t got = 0;
    int commit_rc = 0;
    buf = bufs[cur];
    if (prefetched) {
      /* The master read this block during the last parallel step. */
      prefetched = 0;
    } else if (!eof) {
      /* One block per step (the carried row is at most CC_ROW_MAX, so it
       * always fits): reading up to `cap` would make block_bytes moot. */
      size_t want = cap - have < block ? cap - have : block;
      got = source_read(&src, buf + have, want);
      if (got < 0) {
        rc = cc_error_set_errno(CC_EIO, errno, "%s", path);
        goto done;
      }
      if ((size_t)got < want)
        eof = 1;
      have += (size_t)got;
    }
    if (first && !cr_decided)
      cr_decided = decide_cr(&src, buf, have, eof || have >= cap);
    if (first && !eof && have < cap &&
        (!cr_decided || !header_lines_ready(buf, have, eof)))
      continue; /* a block smaller than the header's lines: read on */
    if (first) {
      first = 0;
      if (have >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        start = 3;
        if (r.encoding == CC_ENC_AUTO) {
          r.encoding = CC_ENC_UTF8;
          r.detect_mixed = 1;
        }
      }
      if (r.encoding == CC_ENC_AUTO) {
        r.encoding = guess_encoding((const unsigned char *)buf, have, eof);
        r.detect_mixed = !src.utf16;
      }
      if (have == start) {
        rc = cc_error_set(CC_EINVALID, "%s: the file is empty (no header row)",
                          path);
        goto done;
      }
      {
        size_t hdr_len = 0;
        uint32_t hdr_line = 0, hdr_last = 0;
        if ((rc = find_header(&r, buf + start, have - start, &hdr_len,
                              &hdr_line, &hdr_last)) < 0)
          goto done;
        start += hdr_len;
        line = hdr_last + 1;
        st.header_line = hdr_line;
      }
    }
    r.set = &r.sets[cur];
    if ((rc = scan_block(&r, buf + start, have - start, eof, &line,
                         &consumed)) < 0)
      goto done;

    carry = have - start - consumed;
#pragma omp parallel num_threads(r.threads)
    {
#pragma omp master
      {
        /* The previous block is committed, which frees its buffer: move
         * the unfinished row there and read the next block behind it, all
         * while the other threads parse this block. */
        if (pending)
          commit_rc = commit_set(&r, pending, pending_seq, &st);
        if (commit_rc == 0 && !eof) {
          size_t want = cap - carry < block ? cap - carry : block;
          memcpy(bufs[1 - cur], buf + start + consumed, carry);
          next_got = source_read(&src, bufs[1 - cur] + carry, want);
          next_errno = errno;
          next_want = want;
          prefetched = 1;
        }
      }
#pragma omp for schedule(dynamic, 1) nowait
      for (k = 0; k < r.set->n; k++)
        parse_chunk(&r, &r.set->chunks[k], buf + start, r.seq + k);
    }
    if (commit_rc != 0) {
      rc = commit_rc;
      goto done;
    }
    if (prefetched && next_got < 0) {
      rc = cc_error_set_errno(CC_EIO, next_errno, "%s", path);
      goto done;
    }
    for (k = 0; k < r.set->n; k++)
      if (r.set->chunks[k].err) {
        rc = cc_error_set(r.set->chunks[k].err, "%s", r.set->chunks[k].errmsg);
        goto done;
      }
    pending = r.set;
    pending_seq = r.seq;
    r.seq += r.set->n;
    done_bytes += (uint64_t)(start + consumed);
    if (opts->progress) /* UTF-16 becomes more or fewer bytes as UTF-8 */
      opts->progress(opts->progress_ctx,
                     done_bytes < st.bytes ? done_bytes : st.bytes, st.bytes);
    if (opts->cancel && *opts->cancel) {
      rc = cc_error_set(CC_EINTERRUPTED, "%s: interrupted", path);
      goto done;
    }
    if (eof && have - start - consumed > 0 && consumed == 0 &&
        pending->n == 0) {
      rc = cc_error_set(CC_ERROR, "%s: internal error: no progress at line %u",
                        path, line);
      goto done;
    }
    /* The unfinished row goes to the front of the other buffer (the master
     * has done so if it read ahead); this one stays as it is until its
     * chunks are committed. */
    have = carry;
    if (prefetched) {
      have += (size_t)next_got;
      if ((size_t)next_got < next_want)
        eof = 1;
    } else {
      memcpy(bufs[1 - cur], buf + start + consumed, have);
    }
    cur = 1 - cur;
  }
  if (pending && (rc = commit_set(&r, pending, pending_seq, &st)) != 0)
    goto done;
  st.lines = line - 1;
  st.encoding = src.utf16 ? src.utf16 : r.encoding;
  st.delimiter = r.delim;
  if (st.mixed_lines > 0)
    rc = mixed_error(path, &st, r.encoding);

done:
  if (fd >= 0)
    close(fd);
  cc_mem_free(bufs[0]);
  cc_mem_free(bufs[1]);
  free(r.col_at);
  free(src.raw);
  free(src.out);
  if (src.cd != (iconv_t)-1)
    iconv_close(src.cd);
  if (r.cd) {
    for (t = 0; t < r.threads; t++)
      if (r.cd[t] != (iconv_t)-1)
        iconv_close(r.cd[t]);
    free(r.cd);
  }
  for (k = 0; k < 2; k++) {
    for (i = 0; i < r.sets[k].cap; i++) {
      cc_mem_free(r.sets[k].chunks[i].recs);
      free(r.sets[k].chunks[i].rejs);
      free(r.sets[k].chunks[i].conv);
      arena_dispose(&r.sets[k].chunks[i].mem);
    }
    free(r.sets[k].chunks);
  }
  if (stats)
    *stats = st;
  return rc;
}
