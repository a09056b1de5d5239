/*
 * ingest.c - roster files into normalized records (SPEC section 1).
 *
 * Owns: reading a CSV/TSV file in blocks, telling UTF-8 from GB18030, the
 * header and its aliases, splitting rows into fields (RFC 4180 quoting,
 * CRLF or LF), and turning each row into a cc_record or a cc_reject.
 *
 * Call order, per file: the first block is read; the encoding is settled
 * (BOM, else "is the block valid UTF-8?", else GB18030: GB18030 text is
 * almost never valid UTF-8, while UTF-8 is often valid GB18030, so UTF-8 is
 * tried first); the header row is mapped to columns. Then, per block:
 *
 *   1. scan (one thread): walk the rows with the quoting rules to find row
 *      boundaries and cut the block into chunks of whole rows, one per
 *      worker task; a row whose quoted field stays open past CC_ROW_MAX, or
 *      to the end of the file, is cut out as a broken row and the scan
 *      resumes on the next physical line;
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
#include "error_internal.h"
#include "grow_internal.h"
#include "utf8_internal.h"

#define MAX_FIELDS 256          /* fields kept per row; more are ignored */
#define ARENA_SEGMENT (1 << 20) /* arena growth step */

/* ------------------------------------------------------------------ */
/* Arena: bump allocation in segments; pointers stay valid until reset. */

typedef struct arena_seg {
  struct arena_seg *next;
  size_t used, cap;
  char data[];
} arena_seg;

typedef struct arena {
  arena_seg *head; /* newest segment first */
} arena;

static char *arena_alloc(arena *a, size_t n)
{
  arena_seg *s = a->head;
  if (s == NULL || s->cap - s->used < n) {
    size_t cap = n > ARENA_SEGMENT ? n : ARENA_SEGMENT;
    s = malloc(sizeof *s + cap);
    if (s == NULL)
      return NULL;
    s->used = 0;
    s->cap = cap;
    s->next = a->head;
    a->head = s;
  }
  s->used += n;
  return s->data + s->used - n;
}

/* Keeps the newest segment (emptied), frees the others. */
static void arena_reset(arena *a)
{
  arena_seg *s = a->head, *next;
  if (s == NULL)
    return;
  next = s->next;
  s->next = NULL;
  s->used = 0;
  while (next) {
    arena_seg *n = next->next;
    free(next);
    next = n;
  }
}

static void arena_dispose(arena *a)
{
  arena_reset(a);
  free(a->head);
  a->head = NULL;
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
    ['\t'] = 3, ['\r'] = 3, [' '] = 3, [0xE3] = 1, [0xC2] = 1,
    [0x80] = 2, [0xA0] = 2};


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
  char line[1024];
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
  while (fgets(line, sizeof line, f)) {
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
                        ln == 0 ? "empty header spelling"
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
  return -1;
}

const char *cc_encoding_name(cc_encoding enc)
{
  return enc == CC_ENC_GB18030 ? "GB18030" : "UTF-8";
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
      if (i + 2 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 ||
          (c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] > 0x9F))
        return i;
      i += 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      if (i + 3 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 ||
          (s[i + 3] & 0xC0) != 0x80 || (c == 0xF0 && s[i + 1] < 0x90) ||
          (c == 0xF4 && s[i + 1] > 0x8F))
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
  size_t start, end;     /* byte range of the block buffer */
  uint32_t first_line;   /* physical line of its first row */
  uint8_t broken;        /* cc_reject_code when the range is one broken row */
  uint8_t text_ok;       /* the chunk is valid UTF-8 without NUL or U+FFFD */
  uint16_t broken_col;   /* its column (the field left open) */
  cc_record *recs;       /* accepted rows */
  size_t n_recs, cap_recs;
  cc_reject *rejs;       /* rejected rows */
  size_t n_rejs, cap_rejs;
  uint64_t blank, upgraded;
  uint64_t id_invalid[CC_IDR_COUNT_];
  arena mem;             /* strings of the records */
  char *conv;            /* GB18030 converted to UTF-8 */
  size_t conv_cap;
  int err;               /* a worker's failure, turned into the error later */
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
  chunk_set sets[2];        /* chunks of the block being parsed and of the
                               block being committed (see cc_ingest_file) */
  chunk_set *set;           /* the one scan_block fills */
  iconv_t *cd;              /* per thread, opened lazily */
  uint64_t seq;
  int skip_line;            /* the rest of a broken row's first line is
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
 * Cuts buf[0, len) into chunks of whole rows (see the top of the file).
 * `line` is the line of the row at buf[0] and is advanced past the rows
 * consumed. Returns the number of bytes consumed; the rest is an
 * unfinished row to carry into the next block (none when eof).
 */
static int scan_block(reader *r, const char *buf, size_t len, int eof,
                      uint32_t *line, size_t *consumed)
{
  const char *end = buf + len, *p = buf, *row = buf, *chunk_at = buf;
  uint32_t ln = *line, row_line = *line, chunk_line = *line;
  size_t target = len / ((size_t)r->threads * 4 + 1);
  int inq = 0, rc;

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
      if (!inq) {
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
      ln++; /* a last line without a newline is a line all the same */
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
  if (cc_grow((void **)&c->rejs, &c->cap_rejs, c->n_rejs + 1, sizeof *c->rejs) < 0)
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
  case CC_IDR_EMPTY: return CC_REJ_ID_EMPTY;
  case CC_IDR_SCIENTIFIC: return CC_REJ_ID_SCIENTIFIC;
  case CC_IDR_TOO_SHORT: return CC_REJ_ID_TOO_SHORT;
  case CC_IDR_TOO_LONG: return CC_REJ_ID_TOO_LONG;
  default: return CC_REJ_ID_NOT_DIGITS;
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
    return add_reject(c, line, pos[CC_COL_NAME] + 1,
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
  if (cc_money_parse(&grant, cell[CC_COL_GRANT].ptr, cell[CC_COL_GRANT].len) < 0)
    return add_reject(c, line, pos[CC_COL_GRANT] + 1, CC_REJ_AMOUNT_INVALID);
  if (cc_money_parse(&waiver, cell[CC_COL_WAIVER].ptr, cell[CC_COL_WAIVER].len) < 0)
    return add_reject(c, line, pos[CC_COL_WAIVER] + 1, CC_REJ_AMOUNT_INVALID);

  if (cc_grow((void **)&c->recs, &c->cap_recs, c->n_recs + 1, sizeof *c->recs) < 0)
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
 * walked a second time to find its cells. Fields past MAX_FIELDS are
 * ignored, as for the blank-row test: a row is blank when every field
 * before MAX_FIELDS is.
 */
static int parse_rows(reader *r, chunk *c, const char *t, size_t n,
                      uint32_t line)
{
  signed char col_at[MAX_FIELDS];
  cc_str cell[CC_COL_COUNT];
  size_t p = 0;
  const char delim = r->delim;
  int i, max_pos = -1;

  memset(col_at, -1, sizeof col_at);
  for (i = 0; i < CC_COL_COUNT; i++) {
    cell[i].ptr = ""; /* columns the file lacks stay so */
    cell[i].len = 0;
    if (r->pos_of[i] >= 0) {
      col_at[r->pos_of[i]] = (signed char)i;
      if (r->pos_of[i] > max_pos)
        max_pos = r->pos_of[i];
    }
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
      if (nf < MAX_FIELDS) {
        int col = col_at[nf];
        if (blank && !blank_text(fp, fl))
          blank = 0;
        if (col >= 0) {
          size_t cl = (uint32_t)fl; /* a field length is 32 bits, as ever */
          trim_span(&fp, &cl);
          cell[col].ptr = fp;
          cell[col].len = (uint32_t)cl;
        }
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

static void work_chunk(reader *r, chunk *c, const char *buf)
{
  const char *t = buf + c->start;
  size_t n = c->end - c->start;
  if (c->broken) {
    if (add_reject(c, c->first_line, c->broken_col, c->broken) < 0)
      goto nomem;
  } else {
    if (r->encoding == CC_ENC_GB18030) {
      if (convert_gb18030(r, c, t, n, &n) < 0)
        goto nomem;
      t = c->conv;
    }
    /* One pass over the whole chunk instead of one per cell: almost every
     * chunk is clean, and then no cell needs looking at. */
    c->text_ok = cell_text_ok(t, n);
    if (parse_rows(r, c, t, n, c->first_line) < 0)
      goto nomem;
  }
  return;
nomem:
  c->err = CC_ENOMEM;
  snprintf(c->errmsg, sizeof c->errmsg, "%s: out of memory while parsing",
           r->path);
}

/* Splits the header row and maps its cells to columns. */
static int read_header(reader *r, const char *buf, size_t len, size_t *hdr_end,
                       uint32_t *lines)
{
  chunk tmp;
  const char *t = buf;
  size_t n, i, commas = 0, tabs = 0, end;
  int inq = 0, nf = 0, col;
  field f[MAX_FIELDS];
  const char *p, *fs;

  /* The header ends at the first newline outside quotes. */
  for (end = 0; end < len; end++) {
    if (buf[end] == '"')
      inq = !inq;
    else if (!inq && buf[end] == '\n')
      break;
    else if (!inq && buf[end] == ',')
      commas++;
    else if (!inq && buf[end] == '\t')
      tabs++;
  }
  r->delim = tabs > commas ? '\t' : ',';
  *lines = 1;
  for (i = 0; i < end; i++)
    if (buf[i] == '\n')
      (*lines)++;
  *hdr_end = end < len ? end + 1 : len;
  n = end;
  memset(&tmp, 0, sizeof tmp);
  if (r->encoding == CC_ENC_GB18030) {
    if (convert_gb18030(r, &tmp, buf, n, &n) < 0) {
      free(tmp.conv);
      return cc_error_set(CC_ENOMEM, "out of memory");
    }
    t = tmp.conv;
  }
  for (i = 0; i < CC_COL_COUNT; i++)
    r->pos_of[i] = -1;
  p = t;
  while (nf < MAX_FIELDS) {
    size_t fl;
    fs = p;
    while (p < t + n && *p != r->delim)
      p++;
    fl = (size_t)(p - fs);
    if (fl > 0 && fs[fl - 1] == '\r')
      fl--;
    if (fl >= 2 && fs[0] == '"' && fs[fl - 1] == '"') {
      fs++;
      fl -= 2;
    }
    f[nf].p = fs;
    f[nf].n = (uint32_t)fl;
    nf++;
    if (p >= t + n)
      break;
    p++;
  }
  for (i = 0; i < (size_t)nf; i++) {
    const char *h = f[i].p;
    size_t hl = f[i].n;
    size_t k;
    col = -1;
    trim_span(&h, &hl);
    if (r->opts->map) {
      for (k = 0; k < r->opts->map->n; k++)
        if (strlen(r->opts->map->entries[k].spelling) == hl &&
            memcmp(r->opts->map->entries[k].spelling, h, hl) == 0)
          col = r->opts->map->entries[k].column;
    }
    if (col < 0)
      col = cc_column_lookup(h, hl);
    if (col < 0)
      continue;
    if (r->pos_of[col] >= 0) {
      free(tmp.conv);
      return cc_error_set(CC_EINVALID, "%s:1:%zu: column %s (%s) appears twice",
                          r->path, i + 1, cc_column_name_zh(col),
                          cc_column_name_en(col));
    }
    r->pos_of[col] = (int)i;
  }
  free(tmp.conv);
  for (i = 0; i < CC_COL_REQUIRED; i++)
    if (r->pos_of[i] < 0)
      return cc_error_set(CC_EINVALID, "%s: missing required column %s (%s)",
                          r->path, cc_column_name_zh((cc_column)i),
                          cc_column_name_en((cc_column)i));
  return 0;
}

/* 1 when buf holds a newline outside quotes: the header row is whole. */
static int header_complete(const char *buf, size_t len)
{
  size_t i;
  int inq = 0;
  for (i = 0; i < len; i++) {
    if (buf[i] == '"')
      inq = !inq;
    else if (!inq && buf[i] == '\n')
      return 1;
  }
  return 0;
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

/* Parses one chunk and runs the sink's worker callback on it. */
static void parse_chunk(reader *r, chunk *c, const char *base, uint64_t seq)
{
  cc_block b;
  work_chunk(r, c, base);
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
  chunk_set *pending = NULL;  /* parsed, not yet committed */
  uint64_t pending_seq = 0;
  size_t block, cap, have = 0, i, k;
  uint64_t done_bytes = 0;
  uint32_t line = 1;
  int fd = -1, rc = 0, eof = 0, first = 1, t, cur = 0;
  int prefetched = 0, next_errno = 0; /* the master read the next block */
  ssize_t next_got = 0;
  size_t next_want = 0, carry = 0;

  memset(&r, 0, sizeof r);
  memset(&st, 0, sizeof st);
  r.path = path;
  r.roster = roster;
  r.opts = opts;
  r.sink = sink;
  r.threads = opts->threads > 0 ? opts->threads : omp_get_max_threads();
  r.encoding = opts->encoding;
  block = opts->block_bytes;
  cap = 0;

  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return cc_error_set_errno(errno == ENOENT ? CC_ENOTFOUND : CC_EIO, errno,
                              "%s", path);
  if (fstat(fd, &sb) < 0) {
    rc = cc_error_set_errno(CC_EIO, errno, "%s", path);
    goto done;
  }
  st.bytes = (uint64_t)sb.st_size;
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
  bufs[0] = malloc(cap);
  bufs[1] = malloc(cap);
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
      got = read_full(fd, buf + have, want);
      if (got < 0) {
        rc = cc_error_set_errno(CC_EIO, errno, "%s", path);
        goto done;
      }
      if ((size_t)got < want)
        eof = 1;
      have += (size_t)got;
    }
    if (first && !eof && have < cap && !header_complete(buf, have))
      continue; /* a block smaller than the header: read on */
    if (first) {
      first = 0;
      if (have >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        start = 3;
        if (r.encoding == CC_ENC_AUTO)
          r.encoding = CC_ENC_UTF8;
      }
      if (r.encoding == CC_ENC_AUTO)
        r.encoding = guess_encoding((const unsigned char *)buf, have, eof);
      if (have == start) {
        rc = cc_error_set(CC_EINVALID, "%s: the file is empty (no header row)",
                          path);
        goto done;
      }
      {
        size_t hdr_len;
        if ((rc = read_header(&r, buf + start, have - start, &hdr_len, &line)) < 0)
          goto done;
        start += hdr_len;
        line++;
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
          next_got = read_full(fd, bufs[1 - cur] + carry, want);
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
    if (opts->progress)
      opts->progress(opts->progress_ctx, done_bytes, st.bytes);
    if (opts->cancel && *opts->cancel) {
      rc = cc_error_set(CC_EINTERRUPTED, "%s: interrupted", path);
      goto done;
    }
    if (eof && have - start - consumed > 0 && consumed == 0 && pending->n == 0) {
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
  st.encoding = r.encoding;
  st.delimiter = r.delim;

done:
  if (fd >= 0)
    close(fd);
  free(bufs[0]);
  free(bufs[1]);
  if (r.cd) {
    for (t = 0; t < r.threads; t++)
      if (r.cd[t] != (iconv_t)-1)
        iconv_close(r.cd[t]);
    free(r.cd);
  }
  for (k = 0; k < 2; k++) {
    for (i = 0; i < r.sets[k].cap; i++) {
      free(r.sets[k].chunks[i].recs);
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
