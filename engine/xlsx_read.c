/*
 * xlsx_read.c - the cells of a workbook's first worksheet (xlsx_read.h).
 *
 * Owns: opening an .xlsx (a zip, through libzip), finding its first
 * worksheet (xl/workbook.xml names the sheets in order; its first <sheet>
 * points through xl/_rels/workbook.xml.rels to the part), reading the
 * shared string table, and streaming the worksheet's XML (expat) one row
 * at a time.
 *
 * Call order: cc_xlsx_open reads workbook.xml, the relationships and the
 * whole shared string table (strings are referred to by index from any
 * row), then opens the worksheet part. cc_xlsx_next_row feeds the
 * worksheet to expat 16 KiB at a time; the end of a <row> suspends the
 * parser (XML_StopParser, resumable), so one row is in memory at a time,
 * whatever the size of the sheet.
 *
 * Cells: <c r="B2" t="s"><v>3</v></c> is shared string 3; t="inlineStr"
 * holds <is><t>...</t></is> (rich text: the <t> of every run, phonetic
 * runs <rPh> left out); t="str" a formula's string; no t or t="n" a number
 * as the file writes it; t="b" a boolean, t="e" an error, t="d" an ISO
 * date. Every buffer is capped (xlsx_read.h): a zip bomb or a runaway row
 * is an error, not an exhausted machine. expat (2.4 and later) refuses
 * entity expansion attacks itself, and external entities are never loaded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>
#include <zip.h>

#include "chachong/errors.h"
#include "chachong/xlsx_read.h"
#include "error_internal.h"
#include "grow_internal.h"

#define FEED_BYTES 16384 /* worksheet bytes given to expat per step */

/* How to say "save it as CSV" in every refusal. */
#define SAVE_AS_CSV                                                            \
  "open it in Excel and save it as \"CSV UTF-8\", then read the CSV"

/* A cell of the row being read: its text is row_text[off, off + len). */
typedef struct pending_cell {
  uint32_t col; /* 0-based column */
  size_t off;
  size_t len;
  uint8_t type; /* cc_xlsx_type */
} pending_cell;

struct cc_xlsx {
  const char *path; /* as given to open; for messages */
  zip_t *zip;
  zip_file_t *sheet; /* the first worksheet, being read */
  XML_Parser parser;
  int suspended; /* the parser stopped at the end of a row */
  int fed_final; /* the last bytes were given to expat */
  int finished;  /* the worksheet has no more rows */
  int err;       /* a callback's failure (cc error code) */
  char errmsg[200];

  /* shared strings: the text of string i is ss_text[ss_off[i], ss_off[i+1]) */
  char *ss_text;
  size_t ss_len, ss_cap;
  size_t *ss_off;
  size_t n_ss, cap_ss;

  /* the row being read */
  uint32_t row;      /* its number */
  uint32_t last_row; /* the row handed out before, 0 at first */
  int row_done;      /* a whole row is ready */
  char *row_text;
  size_t row_len, row_cap;
  pending_cell *cells;
  size_t n_cells, cap_cells;
  cc_xlsx_cell *out; /* the row handed out, by column */
  size_t cap_out;

  /* the cell being read */
  int in_cell, in_v, in_is, in_t, in_rph, in_si;
  long col;       /* its column (-1 before the first); the next
                              cell's default is col + 1 */
  char type;      /* 's' shared, 'i' inline, 't' str, 'b', 'e', 'n', 'd' */
  size_t val_off; /* where its text starts in row_text (or ss_text) */
};

/* The local part of an XML name: "x:row" and "row" are both "row". */
static const char *local(const char *name)
{
  const char *c = strrchr(name, ':');
  return c ? c + 1 : name;
}

static const char *attr(const char **atts, const char *name)
{
  size_t i;
  for (i = 0; atts[i]; i += 2)
    if (strcmp(local(atts[i]), name) == 0)
      return atts[i + 1];
  return NULL;
}

static void fail(cc_xlsx *x, int code, const char *msg)
{
  if (x->err == 0) {
    x->err = code;
    snprintf(x->errmsg, sizeof x->errmsg, "%s", msg);
  }
  XML_StopParser(x->parser, XML_FALSE);
}

/* ------------------------------------------------------------------ */
/* Reading one part with expat. */

/* Parses the whole zip entry `name` with the handlers already set on p.
 * 1 when the entry is absent (and `optional`), 0, or an error. */
static int parse_part(cc_xlsx *x, XML_Parser p, const char *name, int optional)
{
  zip_file_t *f = zip_fopen(x->zip, name, 0);
  int rc = 0;
  if (f == NULL) {
    zip_error_t *ze = zip_get_error(x->zip);
    int ze_code = zip_error_code_zip(ze);
    if (ze_code == ZIP_ER_NOENT && optional)
      return 1;
    if (ze_code == ZIP_ER_NOPASSWD || ze_code == ZIP_ER_WRONGPASSWD ||
        ze_code == ZIP_ER_ENCRNOTSUPP)
      return cc_error_set(CC_EINVALID, "%s: the workbook is encrypted; %s",
                          x->path, SAVE_AS_CSV);
    return cc_error_set(CC_EINVALID, "%s: no %s in the workbook (%s); %s",
                        x->path, name, zip_error_strerror(ze), SAVE_AS_CSV);
  }
  for (;;) {
    void *buf = XML_GetBuffer(p, FEED_BYTES);
    zip_int64_t got;
    if (buf == NULL) {
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      break;
    }
    got = zip_fread(f, buf, FEED_BYTES);
    if (got < 0) {
      rc = cc_error_set(CC_EINVALID, "%s: %s cannot be inflated (%s); %s",
                        x->path, name, zip_strerror(x->zip), SAVE_AS_CSV);
      break;
    }
    if (XML_ParseBuffer(p, (int)got, got == 0) != XML_STATUS_OK) {
      if (x->err)
        rc = cc_error_set(x->err, "%s: %s: %s", x->path, name, x->errmsg);
      else
        rc = cc_error_set(CC_EINVALID, "%s: %s line %lu: %s; %s", x->path, name,
                          (unsigned long)XML_GetCurrentLineNumber(p),
                          XML_ErrorString(XML_GetErrorCode(p)), SAVE_AS_CSV);
      break;
    }
    if (got == 0)
      break;
  }
  zip_fclose(f);
  return rc;
}

/* ------------------------------------------------------------------ */
/* workbook.xml and its relationships: which part is the first sheet. */

typedef struct part_find {
  char *first_sheet_rid; /* r:id of the first <sheet> */
  char *sheet_target;    /* the part it points to */
  char *strings_target;  /* the shared strings part */
  const char *want_rid;
} part_find;

static void wb_start(void *ud, const char *name, const char **atts)
{
  part_find *pf = ud;
  if (pf->first_sheet_rid == NULL && strcmp(local(name), "sheet") == 0) {
    const char *id = attr(atts, "id");
    if (id)
      pf->first_sheet_rid = strdup(id);
  }
}

static void rels_start(void *ud, const char *name, const char **atts)
{
  part_find *pf = ud;
  const char *id, *type, *target;
  size_t tl;
  if (strcmp(local(name), "Relationship") != 0)
    return;
  id = attr(atts, "Id");
  type = attr(atts, "Type");
  target = attr(atts, "Target");
  if (id == NULL || type == NULL || target == NULL)
    return;
  tl = strlen(type);
  if (pf->sheet_target == NULL && pf->want_rid && strcmp(id, pf->want_rid) == 0)
    pf->sheet_target = strdup(target);
  else if (pf->strings_target == NULL && tl >= 14 &&
           strcmp(type + tl - 14, "/sharedStrings") == 0)
    pf->strings_target = strdup(target);
}

/* A relationship's target as a zip entry name: "/xl/a.xml" is absolute,
 * "worksheets/sheet1.xml" is relative to xl/. */
static char *part_name(const char *target)
{
  char *out;
  if (target[0] == '/')
    return strdup(target + 1);
  out = malloc(strlen(target) + 4);
  if (out)
    sprintf(out, "xl/%s", target);
  return out;
}

/* ------------------------------------------------------------------ */
/* Shared strings. */

/* A text buffer that cells are appended to (the shared strings, or the
 * row being read). */
typedef struct text_buf {
  char **text;
  size_t *len, *cap;
  size_t max;         /* the most it may hold */
  const char *toobig; /* what to say when that is passed */
} text_buf;

/*
 * Appends s[0, n) to the cell that started at offset `from` of t: a cell
 * is cut at CC_XLSX_CELL_MAX (its reader sees it is over its own limit),
 * the buffer may not pass t->max. 0, or -1 after fail().
 */
static int text_append(cc_xlsx *x, const text_buf *t, size_t from,
                       const char *s, size_t n)
{
  size_t have = *t->len - from;
  if (have >= CC_XLSX_CELL_MAX)
    return 0;
  if (n > CC_XLSX_CELL_MAX - have)
    n = CC_XLSX_CELL_MAX - have;
  if (*t->len + n > t->max) {
    fail(x, CC_EINVALID, t->toobig);
    return -1;
  }
  if (cc_grow((void **)t->text, t->cap, *t->len + n, 1) < 0) {
    fail(x, CC_ENOMEM, "out of memory");
    return -1;
  }
  memcpy(*t->text + *t->len, s, n);
  *t->len += n;
  return 0;
}

static int ss_append(cc_xlsx *x, const char *s, size_t n)
{
  const text_buf t = {&x->ss_text, &x->ss_len, &x->ss_cap, CC_XLSX_STRINGS_MAX,
                      "the shared strings are larger than chachong reads"};
  return text_append(x, &t, x->ss_off[x->n_ss], s, n);
}

static void ss_start(void *ud, const char *name, const char **atts)
{
  cc_xlsx *x = ud;
  const char *l = local(name);
  (void)atts;
  if (strcmp(l, "si") == 0)
    x->in_si = 1;
  else if (strcmp(l, "rPh") == 0)
    x->in_rph++;
  else if (strcmp(l, "t") == 0 && x->in_si && !x->in_rph)
    x->in_t = 1;
}

static void ss_end(void *ud, const char *name)
{
  cc_xlsx *x = ud;
  const char *l = local(name);
  if (strcmp(l, "t") == 0) {
    x->in_t = 0;
  } else if (strcmp(l, "rPh") == 0) {
    if (x->in_rph)
      x->in_rph--;
  } else if (strcmp(l, "si") == 0 && x->in_si) {
    x->in_si = 0;
    if (cc_grow((void **)&x->ss_off, &x->cap_ss, x->n_ss + 2,
                sizeof *x->ss_off) < 0) {
      fail(x, CC_ENOMEM, "out of memory");
      return;
    }
    x->n_ss++;
    x->ss_off[x->n_ss] = x->ss_len;
  }
}

static void ss_text(void *ud, const char *s, int len)
{
  cc_xlsx *x = ud;
  if (x->in_t && x->err == 0)
    ss_append(x, s, (size_t)len);
}

/* ------------------------------------------------------------------ */
/* The worksheet. */

static int row_append(cc_xlsx *x, const char *s, size_t n)
{
  const text_buf t = {&x->row_text, &x->row_len, &x->row_cap, CC_XLSX_ROW_MAX,
                      "a row holds more text than chachong reads"};
  return text_append(x, &t, x->val_off, s, n);
}

/* 0-based column of a reference such as "AB12", or -1 when malformed or
 * outside Excel's grid. */
static long ref_column(const char *ref)
{
  long col = 0;
  int letters = 0;
  for (; *ref >= 'A' && *ref <= 'Z'; ref++) {
    if (++letters > 3)
      return -1;
    col = col * 26 + (*ref - 'A' + 1);
  }
  if (letters == 0 || col > CC_XLSX_COLS_MAX)
    return -1;
  return col - 1;
}

static void sheet_start(void *ud, const char *name, const char **atts)
{
  cc_xlsx *x = ud;
  const char *l = local(name), *a;
  if (x->err)
    return;
  if (strcmp(l, "row") == 0) {
    unsigned long r = x->row + 1;
    char *end;
    a = attr(atts, "r");
    if (a) {
      errno = 0;
      r = strtoul(a, &end, 10);
      if (errno || end == a || *end)
        r = 0;
    }
    if (r == 0 || r > CC_XLSX_ROWS_MAX || r <= x->last_row) {
      fail(x, CC_EINVALID, "a row number out of order or outside Excel's grid");
      return;
    }
    x->row = (uint32_t)r;
    x->n_cells = 0;
    x->row_len = 0;
    x->col = -1;
  } else if (strcmp(l, "c") == 0) {
    long c = x->col + 1;
    a = attr(atts, "r");
    if (a)
      c = ref_column(a);
    if (c < 0 || c >= CC_XLSX_COLS_MAX) {
      fail(x, CC_EINVALID, "a cell outside Excel's grid");
      return;
    }
    x->col = c;
    a = attr(atts, "t");
    x->type = a == NULL                     ? 'n'
              : strcmp(a, "s") == 0         ? 's'
              : strcmp(a, "inlineStr") == 0 ? 'i'
              : strcmp(a, "str") == 0       ? 't'
              : strcmp(a, "b") == 0         ? 'b'
              : strcmp(a, "e") == 0         ? 'e'
              : strcmp(a, "d") == 0         ? 'd'
                                            : 'n';
    x->in_cell = 1;
    x->val_off = x->row_len;
  } else if (x->in_cell && strcmp(l, "v") == 0) {
    x->in_v = 1;
  } else if (x->in_cell && strcmp(l, "is") == 0) {
    x->in_is = 1;
  } else if (x->in_is && strcmp(l, "rPh") == 0) {
    x->in_rph++;
  } else if (x->in_is && strcmp(l, "t") == 0 && !x->in_rph) {
    x->in_t = 1;
  }
}

/* The end of a <c>: its value becomes a pending cell. */
static void end_cell(cc_xlsx *x)
{
  pending_cell *pc;
  uint8_t type;
  size_t off = x->val_off, len = x->row_len - x->val_off;
  switch (x->type) {
  case 's': {
    /* The value is an index into the shared strings. */
    unsigned long i = 0;
    size_t k;
    for (k = 0; k < len; k++) {
      char ch = x->row_text[off + k];
      if (ch < '0' || ch > '9' || i > x->n_ss) {
        i = (unsigned long)-1;
        break;
      }
      i = i * 10 + (unsigned long)(ch - '0');
    }
    if (len == 0 || i >= x->n_ss) {
      fail(x, CC_EINVALID,
           "a cell refers to a shared string that is not there");
      return;
    }
    x->row_len = off;
    if (row_append(x, x->ss_text + x->ss_off[i],
                   x->ss_off[i + 1] - x->ss_off[i]) < 0)
      return;
    len = x->row_len - off;
    type = CC_XLSX_TEXT;
    break;
  }
  case 'i':
  case 't':
    type = CC_XLSX_TEXT;
    break;
  case 'b':
    type = CC_XLSX_BOOL;
    break;
  case 'e':
    type = CC_XLSX_ERROR;
    break;
  case 'd':
    type = CC_XLSX_DATE;
    break;
  default:
    type = CC_XLSX_NUMBER;
    break;
  }
  if (len == 0)
    return; /* a styled cell without a value is an empty cell */
  if (cc_grow((void **)&x->cells, &x->cap_cells, x->n_cells + 1,
              sizeof *x->cells) < 0) {
    fail(x, CC_ENOMEM, "out of memory");
    return;
  }
  pc = &x->cells[x->n_cells++];
  pc->col = (uint32_t)x->col;
  pc->off = off;
  pc->len = len;
  pc->type = type;
}

static void sheet_end(void *ud, const char *name)
{
  cc_xlsx *x = ud;
  const char *l = local(name);
  if (x->err)
    return;
  if (strcmp(l, "v") == 0) {
    x->in_v = 0;
  } else if (strcmp(l, "t") == 0) {
    x->in_t = 0;
  } else if (strcmp(l, "rPh") == 0) {
    if (x->in_rph)
      x->in_rph--;
  } else if (strcmp(l, "is") == 0) {
    x->in_is = 0;
  } else if (strcmp(l, "c") == 0 && x->in_cell) {
    x->in_cell = x->in_v = x->in_is = x->in_t = x->in_rph = 0;
    end_cell(x);
  } else if (strcmp(l, "row") == 0) {
    x->row_done = 1;
    XML_StopParser(x->parser, XML_TRUE); /* resumed by the next call */
  }
}

static void sheet_text(void *ud, const char *s, int len)
{
  cc_xlsx *x = ud;
  if (x->err || !x->in_cell)
    return;
  if (x->in_v || x->in_t)
    row_append(x, s, (size_t)len);
}

/* ------------------------------------------------------------------ */

int cc_xlsx_open(cc_xlsx **out, const char *path)
{
  cc_xlsx *x;
  part_find pf;
  XML_Parser p = NULL;
  char *name = NULL;
  int zerr = 0, rc = 0;

  *out = NULL;
  memset(&pf, 0, sizeof pf);
  x = calloc(1, sizeof *x);
  if (x == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  x->path = path;
  x->zip = zip_open(path, ZIP_RDONLY, &zerr);
  if (x->zip == NULL) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, zerr);
    rc = zerr == ZIP_ER_NOENT || zerr == ZIP_ER_OPEN
             ? cc_error_set(zerr == ZIP_ER_NOENT ? CC_ENOTFOUND : CC_EIO,
                            "%s: %s", path, zip_error_strerror(&ze))
             : cc_error_set(CC_EINVALID,
                            "%s: not a readable .xlsx workbook (%s); %s", path,
                            zip_error_strerror(&ze), SAVE_AS_CSV);
    zip_error_fini(&ze);
    goto done;
  }

  /* Which part is the first worksheet, and where the strings are. */
  p = XML_ParserCreate(NULL);
  if (p == NULL) {
    rc = cc_error_set(CC_ENOMEM, "out of memory");
    goto done;
  }
  x->parser = p;
  XML_SetUserData(p, &pf);
  XML_SetStartElementHandler(p, wb_start);
  if ((rc = parse_part(x, p, "xl/workbook.xml", 0)) < 0)
    goto done;
  if (pf.first_sheet_rid == NULL) {
    rc = cc_error_set(CC_EINVALID, "%s: the workbook has no worksheet; %s",
                      path, SAVE_AS_CSV);
    goto done;
  }
  pf.want_rid = pf.first_sheet_rid;
  XML_ParserReset(p, NULL);
  XML_SetUserData(p, &pf);
  XML_SetStartElementHandler(p, rels_start);
  if ((rc = parse_part(x, p, "xl/_rels/workbook.xml.rels", 0)) < 0)
    goto done;
  if (pf.sheet_target == NULL) {
    rc = cc_error_set(CC_EINVALID,
                      "%s: the first worksheet's part is not named; %s", path,
                      SAVE_AS_CSV);
    goto done;
  }

  /* The shared strings: all of them, since any row may use any. */
  if (cc_grow((void **)&x->ss_off, &x->cap_ss, 1, sizeof *x->ss_off) < 0) {
    rc = cc_error_set(CC_ENOMEM, "out of memory");
    goto done;
  }
  x->ss_off[0] = 0;
  if (pf.strings_target) {
    name = part_name(pf.strings_target);
    if (name == NULL) {
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      goto done;
    }
    XML_ParserReset(p, NULL);
    XML_SetUserData(p, x);
    XML_SetElementHandler(p, ss_start, ss_end);
    XML_SetCharacterDataHandler(p, ss_text);
    if ((rc = parse_part(x, p, name, 1)) < 0)
      goto done;
    rc = 0;
    free(name);
    name = NULL;
  }

  /* The worksheet, read row by row from here on. */
  name = part_name(pf.sheet_target);
  if (name == NULL) {
    rc = cc_error_set(CC_ENOMEM, "out of memory");
    goto done;
  }
  x->sheet = zip_fopen(x->zip, name, 0);
  if (x->sheet == NULL) {
    int code = zip_error_code_zip(zip_get_error(x->zip));
    rc = cc_error_set(CC_EINVALID, "%s: %s (%s); %s", path,
                      code == ZIP_ER_NOPASSWD || code == ZIP_ER_WRONGPASSWD ||
                              code == ZIP_ER_ENCRNOTSUPP
                          ? "the worksheet is encrypted"
                          : "the first worksheet cannot be opened",
                      zip_strerror(x->zip), SAVE_AS_CSV);
    goto done;
  }
  XML_ParserReset(p, NULL);
  XML_SetUserData(p, x);
  XML_SetElementHandler(p, sheet_start, sheet_end);
  XML_SetCharacterDataHandler(p, sheet_text);
  x->in_rph = 0;

done:
  free(name);
  free(pf.first_sheet_rid);
  free(pf.sheet_target);
  free(pf.strings_target);
  if (rc < 0)
    cc_xlsx_close(x);
  else
    *out = x;
  return rc;
}

int cc_xlsx_next_row(cc_xlsx *x, uint32_t *row, const cc_xlsx_cell **cells,
                     size_t *n)
{
  for (;;) {
    enum XML_Status st;
    if (x->row_done) {
      size_t i, width = 0;
      x->row_done = 0;
      for (i = 0; i < x->n_cells; i++)
        if (x->cells[i].col + 1 > width)
          width = x->cells[i].col + 1;
      if (cc_grow((void **)&x->out, &x->cap_out, width ? width : 1,
                  sizeof *x->out) < 0)
        return cc_error_set(CC_ENOMEM, "out of memory");
      for (i = 0; i < width; i++) {
        x->out[i].text.ptr = "";
        x->out[i].text.len = 0;
        x->out[i].type = CC_XLSX_EMPTY;
      }
      for (i = 0; i < x->n_cells; i++) {
        cc_xlsx_cell *o = &x->out[x->cells[i].col];
        o->text.ptr = x->row_text + x->cells[i].off;
        o->text.len = (uint32_t)x->cells[i].len;
        o->type = x->cells[i].type;
      }
      x->last_row = x->row;
      *row = x->row;
      *cells = x->out;
      *n = width;
      return 1;
    }
    if (x->finished)
      return 0;
    if (x->suspended) {
      x->suspended = 0;
      st = XML_ResumeParser(x->parser);
    } else {
      void *buf = XML_GetBuffer(x->parser, FEED_BYTES);
      zip_int64_t got;
      if (buf == NULL)
        return cc_error_set(CC_ENOMEM, "out of memory");
      got = zip_fread(x->sheet, buf, FEED_BYTES);
      if (got < 0)
        return cc_error_set(CC_EINVALID,
                            "%s: the worksheet cannot be inflated (%s); %s",
                            x->path, zip_file_strerror(x->sheet), SAVE_AS_CSV);
      x->fed_final = got == 0;
      st = XML_ParseBuffer(x->parser, (int)got, got == 0);
    }
    if (st == XML_STATUS_ERROR) {
      x->finished = 1;
      x->row_done = 0;
      if (x->err)
        return cc_error_set(x->err, "%s: worksheet row %u: %s", x->path,
                            (unsigned)x->row, x->errmsg);
      return cc_error_set(
          CC_EINVALID, "%s: worksheet line %lu: %s; %s", x->path,
          (unsigned long)XML_GetCurrentLineNumber(x->parser),
          XML_ErrorString(XML_GetErrorCode(x->parser)), SAVE_AS_CSV);
    }
    if (st == XML_STATUS_SUSPENDED)
      x->suspended = 1;
    else if (x->fed_final)
      x->finished = 1;
  }
}

void cc_xlsx_close(cc_xlsx *x)
{
  if (x == NULL)
    return;
  if (x->parser)
    XML_ParserFree(x->parser);
  if (x->sheet)
    zip_fclose(x->sheet);
  if (x->zip)
    zip_discard(x->zip);
  free(x->ss_text);
  free(x->ss_off);
  free(x->row_text);
  free(x->cells);
  free(x->out);
  free(x);
}
