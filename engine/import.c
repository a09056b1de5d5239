/*
 * import.c - answers from schools that stay offline (issue 14, point 7):
 * the school packages of export.c come back, as workbooks or CSVs, with
 * the answer column (a drop-down: 保留本校学籍 / 已注销本校学籍 /
 * 已请对方学校注销) and the note beside it filled in; each answer becomes a
 * response to its finding (lifecycle.c), as `chachong resolve` makes one.
 *
 * Owns: the drop-down's vocabulary (export.c writes it, this file reads
 * it back), finding a package's columns by their header, the checks of a
 * row, and the reasons a row is refused.
 *
 * Which school answers: every row carries its school in the 学校代码
 * column, which the export fills with the package's school (a CSV has no
 * other place for it, and a file a city merges from several schools still
 * says whose each row is). An answer counts only when that school is a
 * member's school of the finding (by code, whatever the roster).
 *
 * Call order: the period's findings are loaded once and their ids sorted
 * (each row is a binary search); the responses already recorded give the
 * set of (finding, file digest) pairs imported before. Then each file:
 * read whole (XXH3-64 of its bytes is its digest), cut into rows (the
 * workbook reader, or the CSV reader below), its header found, and each
 * row checked and recorded. An accepted answer and its audit entry are
 * written in one transaction (cc_db_put_timed_n): both or neither; up to
 * BATCH answers of a file share it.
 */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

#include <xxhash.h>

#include "chachong/audit.h"
#include "chachong/errors.h"
#include "chachong/finding.h"
#include "chachong/import.h"
#include "chachong/xlsx_read.h"
#include "audit_internal.h"
#include "error_internal.h"
#include "grow_internal.h"
#include "index_internal.h"
#include "lifecycle_internal.h"
#include "utf8_internal.h"

/* A returned package is one school's cases (or a city's merge of them):
 * anything larger is not one. */
#define IMPORT_FILE_MAX ((size_t)64 << 20)
/* The header is one of the first rows (a title row may be added above). */
#define HEADER_ROWS 10

/* ------------------------------------------------------------------ */
/* Vocabulary. */

/* The drop-down, in cc_response_action order (POLICY: keep the enrollment
 * where the student studies, cancel your own, or ask the other school). */
static const char *const answer_zh[CC_ACTION_COUNT_] = {
    NULL, "保留本校学籍", "已注销本校学籍", "已请对方学校注销"};

const char *cc_import_answer_zh(cc_response_action a)
{
  return a > CC_ACTION_NONE && a < CC_ACTION_COUNT_ ? answer_zh[a] : NULL;
}

static int text_eq(const unsigned char *p, size_t n, const char *s)
{
  return strlen(s) == n && memcmp(p, s, n) == 0;
}

int cc_import_answer_parse(const char *text, size_t n)
{
  const unsigned char *p = (const unsigned char *)text;
  int a;
  utf8_trim_blanks(&p, &n, 1);
  for (a = CC_ACTION_NONE + 1; a < CC_ACTION_COUNT_; a++)
    if (text_eq(p, n, answer_zh[a]) ||
        text_eq(p, n, cc_response_action_code((cc_response_action)a)))
      return a;
  return -1;
}

static const char *const code_name[CC_IMPORT_CODE_COUNT_] = {
    "ok",
    "unreadable_file",
    "missing_column",
    "bad_finding_id",
    "finding_not_found",
    "missing_school",
    "not_member",
    "unknown_answer",
    "note_too_long",
    "bad_text",
    "duplicate_row"};

static const char *const code_zh[CC_IMPORT_CODE_COUNT_] = {
    "",
    "文件无法读取：请交回导出的工作簿（.xlsx）或CSV文件",
    "缺少这一列：请使用导出的问题清单，不要删除或改名表头",
    "问题编号不是16位的编号：请勿修改问题编号",
    "本期没有这个问题编号：请核对文件是否为本期导出的问题清单",
    "缺少学校代码：请勿删除学校代码",
    "该学校不是这个问题涉及的学校：只能反馈涉及本校的问题",
    "处理结果不是下拉列表中的选项（保留本校学籍、已注销本校学籍、"
    "已请对方学校注销）",
    "处理说明过长：请不超过170个汉字",
    "内容不是文字：请勿在此列填写公式或错误值",
    "同一问题在文件中出现多次：只登记第一行"};

const char *cc_import_code_name(cc_import_code c)
{
  return c > 0 && c < CC_IMPORT_CODE_COUNT_ ? code_name[c] : "unknown";
}

const char *cc_import_code_zh(cc_import_code c)
{
  return c > 0 && c < CC_IMPORT_CODE_COUNT_ ? code_zh[c] : "未知";
}

/* ------------------------------------------------------------------ */
/* A set of (finding, u64) pairs: the (finding, file digest) pairs
 * recorded, the findings answered in one file. Open addressing, grown at
 * half full; the second value 0 marks an empty slot. */

typedef struct pair_set {
  uint64_t *keys; /* 2 per slot: finding, digest; digest 0 = empty */
  size_t cap, n;  /* slots (a power of two), used */
} pair_set;

static size_t pair_slot(const pair_set *s, uint64_t f, uint64_t d)
{
  uint64_t h = (f ^ (d * 0x9E3779B97F4A7C15u)) * 0xBF58476D1CE4E5B9u;
  size_t i = (size_t)(h >> 17) & (s->cap - 1);
  while (s->keys[2 * i + 1] != 0 &&
         (s->keys[2 * i] != f || s->keys[2 * i + 1] != d))
    i = (i + 1) & (s->cap - 1);
  return i;
}

static int pair_has(const pair_set *s, uint64_t f, uint64_t d)
{
  return s->cap && s->keys[2 * pair_slot(s, f, d) + 1] != 0;
}

static int pair_add(pair_set *s, uint64_t f, uint64_t d)
{
  size_t i;
  if (d == 0)
    return 0; /* not from a file */
  if (2 * (s->n + 1) > s->cap) {
    pair_set g = {NULL, s->cap ? 2 * s->cap : 1024, 0};
    g.keys = calloc(2 * g.cap, sizeof *g.keys);
    if (g.keys == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory");
    for (i = 0; i < s->cap; i++)
      if (s->keys[2 * i + 1] != 0) {
        size_t j = pair_slot(&g, s->keys[2 * i], s->keys[2 * i + 1]);
        g.keys[2 * j] = s->keys[2 * i];
        g.keys[2 * j + 1] = s->keys[2 * i + 1];
        g.n++;
      }
    free(s->keys);
    *s = g;
  }
  i = pair_slot(s, f, d);
  if (s->keys[2 * i + 1] == 0) {
    s->keys[2 * i] = f;
    s->keys[2 * i + 1] = d;
    s->n++;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* The import's state. */

enum { COL_FINDING, COL_SCHOOL, COL_ANSWER, COL_NOTE, N_COLS };
static const char *const col_title[N_COLS] = {
    CC_IMPORT_COL_FINDING, CC_IMPORT_COL_SCHOOL, CC_IMPORT_COL_ANSWER,
    CC_IMPORT_COL_NOTE};

/*
 * Answers are written BATCH at a time, each with its audit entry, in one
 * transaction: a commit (an fsync) costs some 10 ms on the test machine,
 * and one per answer made 61,227 answers take 11 minutes. Within a batch
 * the audit keys share a microsecond, so the k-th takes k tries
 * (cc_db_put_timed_n): BATCH stays small. A batch holds one file's
 * answers (flushed at its end), so no two are for one finding.
 */
#define BATCH 128

typedef struct batch {
  cc_db_timed e[2 * BATCH]; /* response, audit entry; response, ... */
  uint8_t rkey[BATCH][CC_RESPONSE_KEY_LEN];
  uint8_t rval[BATCH][CC_RESPONSE_VALUE_MAX];
  uint8_t akey[BATCH][CC_AUDIT_KEY_LEN];
  uint8_t aval[BATCH][CC_AUDIT_VALUE_MAX];
  size_t n; /* answers queued */
} batch;

/* A finding_id and where its finding is in the period's list. */
typedef struct id_index {
  uint64_t id;
  size_t at;
} id_index;

typedef struct importer {
  cc_db *db;
  const cc_import_options *opts;
  cc_import_result *out;
  cc_finding_list list; /* the period's findings */
  id_index *by_id;      /* their ids, sorted */
  pair_set done;        /* (finding, digest) recorded before or now */
  char user[64];        /* the operator */
  batch *batch;         /* answers queued for writing */
  /* The file being read. */
  const char *path;
  const char *name; /* its last path component */
  uint64_t digest;
  int header_found; /* 1: found; -1: given up (a problem says so) */
  long col[N_COLS]; /* column of each field; -1 when absent */
  pair_set seen;    /* (finding, 1): answered in this file */
  size_t problems_cap;
} importer;

static int add_problem(importer *im, uint32_t row, const char *column,
                       cc_import_code code, const char *detail)
{
  cc_import_result *r = im->out;
  cc_import_problem *p;
  if (cc_grow((void **)&r->problems, &im->problems_cap, r->n_problems + 1,
              sizeof *r->problems) < 0)
    return cc_error_set(CC_ENOMEM, "out of memory");
  p = &r->problems[r->n_problems++];
  memset(p, 0, sizeof *p);
  snprintf(p->file, sizeof p->file, "%s", im->path);
  p->row = row;
  snprintf(p->column, sizeof p->column, "%s", column ? column : "");
  p->code = (uint8_t)code;
  snprintf(p->detail, sizeof p->detail, "%s", detail ? detail : "");
  return 0;
}

/* A refused row: counted, and listed. */
static int refuse(importer *im, uint32_t row, int col, cc_import_code code)
{
  im->out->refused++;
  return add_problem(im, row, col >= 0 ? col_title[col] : "", code, NULL);
}

static int id_cmp(const void *a, const void *b)
{
  uint64_t x = ((const id_index *)a)->id, y = ((const id_index *)b)->id;
  return x < y ? -1 : x > y;
}

static const cc_finding *find(const importer *im, uint64_t id)
{
  size_t lo = 0, hi = im->list.n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (im->by_id[mid].id == id)
      return &im->list.items[im->by_id[mid].at];
    if (im->by_id[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* One row. */

/* The cell of column c, blanks trimmed (a line break too: no field the
 * import reads spans lines); "" when the row is shorter. */
static cc_str cell(const importer *im, const cc_str *cells, size_t n, int c)
{
  cc_str s = {"", 0};
  const unsigned char *p;
  size_t len;
  if (im->col[c] < 0 || (size_t)im->col[c] >= n)
    return s;
  p = (const unsigned char *)cells[im->col[c]].ptr;
  len = cells[im->col[c]].len;
  utf8_trim_blanks(&p, &len, 1);
  /* The apostrophe the export's CSV puts before = + - @ (formula guard). */
  if (len >= 2 && p[0] == '\'' &&
      (p[1] == '=' || p[1] == '+' || p[1] == '-' || p[1] == '@'))
    p++, len--;
  s.ptr = (const char *)p;
  s.len = (uint32_t)len;
  return s;
}

static int parse_hex16(uint64_t *out, cc_str s)
{
  uint64_t v = 0;
  uint32_t i;
  /* Excel's text marker, as a school may type it before the number. */
  if (s.len && s.ptr[0] == '\'')
    s.ptr++, s.len--;
  if (s.len != 16)
    return -1;
  for (i = 0; i < 16; i++) {
    char c = s.ptr[i];
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0)
      return -1;
    v = v << 4 | (uint64_t)d;
  }
  *out = v;
  return 0;
}

static int is_member(const cc_finding *f, cc_str school)
{
  uint32_t j;
  for (j = 0; j < f->n_members; j++)
    if (f->members[j].school_code.len == school.len &&
        memcmp(f->members[j].school_code.ptr, school.ptr, school.len) == 0)
      return 1;
  return 0;
}

/* Writes the answers queued: each with its audit entry, all in one
 * transaction (all or none), then counts them recorded. */
static int flush(importer *im)
{
  batch *b = im->batch;
  struct timeval tv;
  int rc;
  if (b->n == 0)
    return 0;
  gettimeofday(&tv, NULL);
  rc = cc_db_put_timed_n(im->db, b->e, 2 * b->n,
                         (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec,
                         "responses");
  if (rc < 0)
    return rc;
  im->out->recorded += b->n;
  b->n = 0;
  return 0;
}

/* Queues one accepted answer and its audit entry (written by flush). */
static int record(importer *im, const cc_finding *f, int action, cc_str school,
                  cc_str note, uint32_t row)
{
  batch *b = im->batch;
  size_t k = b->n;
  cc_response r;
  cc_audit_entry ae;
  cc_db_timed *e = &b->e[2 * k];
  struct timeval tv;
  char hex[17], date[11];

  memset(&r, 0, sizeof r);
  r.finding_id = f->finding_id;
  r.date = im->opts->date ? im->opts->date : cc_date_today();
  r.action = (uint8_t)action;
  snprintf(r.school_code, sizeof r.school_code, "%.*s", (int)school.len,
           school.ptr);
  snprintf(r.by, sizeof r.by, "%s",
           im->opts->by && *im->opts->by ? im->opts->by : "学校回执");
  memcpy(r.note, note.ptr, note.len);
  r.note[note.len] = '\0';
  snprintf(r.source, sizeof r.source, "%s", im->name);
  r.source_row = row;
  r.source_digest = im->digest;

  /* The audit entry: who imported what, never the note (free text may
   * name a student). */
  memset(&ae, 0, sizeof ae);
  gettimeofday(&tv, NULL);
  ae.when = (int64_t)tv.tv_sec;
  memcpy(ae.user, im->user, sizeof ae.user);
  snprintf(ae.command, sizeof ae.command, "import-responses");
  cc_finding_id_hex(hex, f->finding_id);
  cc_date_format(date, r.date);
  snprintf(ae.what, sizeof ae.what,
           "period=%s finding=%s action=%s school=%s by=%s date=%s file=%s "
           "row=%u",
           im->opts->period, hex,
           cc_response_action_code((cc_response_action)action), r.school_code,
           r.by, date, r.source, (unsigned)row);
  ae.records = 1;

  e[0].name = CC_RESPONSE_DB;
  e[0].key = b->rkey[k];
  e[0].klen = CC_RESPONSE_KEY_LEN;
  e[0].at = 8;
  e[0].val = b->rval[k];
  e[0].vlen =
      cc_response_encode(b->rkey[k], b->rval[k], &r, (int64_t)tv.tv_sec);
  e[1].name = CC_AUDIT_DB;
  e[1].key = b->akey[k];
  e[1].klen = CC_AUDIT_KEY_LEN;
  e[1].at = 0;
  e[1].val = b->aval[k];
  e[1].vlen = cc_audit_encode(b->akey[k], b->aval[k], &ae);
  b->n++;
  return b->n == BATCH ? flush(im) : 0;
}

/* Finds the columns in a header row; 1 when this is the header. */
static int header(importer *im, const cc_str *cells, size_t n)
{
  size_t i;
  int c, any = 0;
  for (c = 0; c < N_COLS; c++)
    im->col[c] = -1;
  for (i = 0; i < n; i++) {
    const unsigned char *p = (const unsigned char *)cells[i].ptr;
    size_t len = cells[i].len;
    utf8_trim_blanks(&p, &len, 1);
    for (c = 0; c < N_COLS; c++)
      if (im->col[c] < 0 && text_eq(p, len, col_title[c])) {
        im->col[c] = (long)i;
        any = 1;
      }
  }
  return any && im->col[COL_FINDING] >= 0;
}

static int row_empty(const cc_str *cells, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) {
    const unsigned char *p = (const unsigned char *)cells[i].ptr;
    size_t len = cells[i].len;
    utf8_trim_blanks(&p, &len, 1);
    if (len)
      return 0;
  }
  return 1;
}

/*
 * One row of a file (row: its number, header = 1). Returns 0, 1 when the
 * file is to be given up (its header is not usable: a problem says so),
 * or an error code.
 */
static int process_row(importer *im, uint32_t row, const cc_str *cells,
                       size_t n, const uint8_t *bad)
{
  cc_str fid_s, school, answer, note;
  const cc_finding *f;
  uint64_t id;
  int action, c, rc;

  if (!im->header_found) {
    if (header(im, cells, n)) {
      im->header_found = 1;
      for (c = 0; c < N_COLS; c++)
        if (im->col[c] < 0 && c != COL_NOTE) {
          im->out->files_bad++;
          if ((rc = add_problem(im, row, col_title[c], CC_IMPORT_MISSING_COLUMN,
                                NULL)) < 0)
            return rc;
          return 1;
        }
      return 0;
    }
    if (row >= HEADER_ROWS) {
      im->header_found = -1;
      im->out->files_bad++;
      if ((rc = add_problem(im, 0, CC_IMPORT_COL_FINDING,
                            CC_IMPORT_MISSING_COLUMN,
                            "no header row among the first 10 rows")) < 0)
        return rc;
      return 1;
    }
    return 0;
  }
  if (row_empty(cells, n))
    return 0; /* Excel's trailing rows */
  im->out->rows++;
  answer = cell(im, cells, n, COL_ANSWER);
  if (answer.len == 0) {
    im->out->unanswered++;
    return 0;
  }
  for (c = 0; c < N_COLS; c++)
    if (bad && im->col[c] >= 0 && (size_t)im->col[c] < n && bad[im->col[c]])
      return refuse(im, row, c, CC_IMPORT_BAD_TEXT);
  fid_s = cell(im, cells, n, COL_FINDING);
  school = cell(im, cells, n, COL_SCHOOL);
  note = cell(im, cells, n, COL_NOTE);
  if (parse_hex16(&id, fid_s) < 0)
    return refuse(im, row, COL_FINDING, CC_IMPORT_BAD_FINDING_ID);
  action = cc_import_answer_parse(answer.ptr, answer.len);
  if (action < 0)
    return refuse(im, row, COL_ANSWER, CC_IMPORT_UNKNOWN_ANSWER);
  if ((f = find(im, id)) == NULL)
    return refuse(im, row, COL_FINDING, CC_IMPORT_NO_FINDING);
  if (school.len == 0)
    return refuse(im, row, COL_SCHOOL, CC_IMPORT_NO_SCHOOL);
  if (!is_member(f, school) ||
      school.len >= sizeof((cc_response *)0)->school_code)
    return refuse(im, row, COL_SCHOOL, CC_IMPORT_NOT_MEMBER);
  if (note.len >= sizeof((cc_response *)0)->note)
    return refuse(im, row, COL_NOTE, CC_IMPORT_NOTE_TOO_LONG);
  if (pair_has(&im->seen, id, 1))
    return refuse(im, row, COL_FINDING, CC_IMPORT_DUPLICATE_ROW);
  if ((rc = pair_add(&im->seen, id, 1)) < 0)
    return rc;
  if (pair_has(&im->done, id, im->digest)) {
    im->out->already++;
    return 0;
  }
  if ((rc = pair_add(&im->done, id, im->digest)) < 0)
    return rc;
  return record(im, f, action, school, note, row);
}

/* ------------------------------------------------------------------ */
/* Workbooks. */

static int read_xlsx(importer *im)
{
  cc_xlsx *x = NULL;
  cc_str *cells = NULL;
  uint8_t *bad = NULL;
  size_t cap = 0, cap_bad = 0, n, i;
  const cc_xlsx_cell *xc;
  uint32_t row;
  int rc;

  if ((rc = cc_xlsx_open(&x, im->path)) < 0)
    goto unreadable;
  while ((rc = cc_xlsx_next_row(x, &row, &xc, &n)) == 1) {
    if (cc_grow((void **)&cells, &cap, n, sizeof *cells) < 0 ||
        cc_grow((void **)&bad, &cap_bad, n, 1) < 0) {
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      goto done;
    }
    for (i = 0; i < n; i++) {
      cells[i] = xc[i].text;
      /* An error value (#N/A) or text that is not valid UTF-8 is not an
       * answer. */
      bad[i] =
          xc[i].type == CC_XLSX_ERROR ||
          !utf8_text_ok((const unsigned char *)xc[i].text.ptr, xc[i].text.len);
    }
    if ((rc = process_row(im, row, cells, n, bad)) != 0)
      goto done;
  }
  if (rc < 0)
    goto unreadable;
  goto done;
unreadable:
  /* Memory and I/O failures stop the import; a file that is not a
   * workbook chachong reads is a problem of that file. */
  if (rc == CC_EINVALID) {
    im->header_found = -1;
    im->out->files_bad++;
    rc = add_problem(im, 0, "", CC_IMPORT_UNREADABLE, cc_error_last());
  }
done:
  free(cells);
  free(bad);
  cc_xlsx_close(x);
  return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------ */
/* CSV (RFC 4180; the export writes UTF-8 with a BOM and CRLF, Excel saves
 * GB18030 without one). */

typedef struct csv_reader {
  const char *p, *end;
  uint32_t line; /* physical line at p (header = 1) */
  char *buf;     /* the record's unquoted fields, one after another */
  size_t len, cap;
  size_t *off;    /* field starts in buf, and the end of the last */
  size_t n, fcap; /* fields; room in off */
  cc_str *cells;  /* the fields, made from buf and off */
  size_t ccap;
} csv_reader;

static int csv_put(csv_reader *r, char c)
{
  if (cc_grow((void **)&r->buf, &r->cap, r->len + 1, 1) < 0)
    return cc_error_set(CC_ENOMEM, "out of memory");
  r->buf[r->len++] = c;
  return 0;
}

/* Starts a field; off keeps room for the end of the last one. */
static int csv_field(csv_reader *r)
{
  if (cc_grow((void **)&r->off, &r->fcap, r->n + 2, sizeof *r->off) < 0)
    return cc_error_set(CC_ENOMEM, "out of memory");
  r->off[r->n++] = r->len;
  return 0;
}

/* The next record: 1 with *row its first line; 0 at the end; < 0. A quote
 * left open runs to the end of the file (the row is then refused by its
 * cells, or is the last). */
static int csv_next(csv_reader *r, uint32_t *row)
{
  size_t i;
  int rc;
  if (r->p >= r->end)
    return 0;
  *row = r->line;
  r->len = 0;
  r->n = 0;
  for (;;) {
    if ((rc = csv_field(r)) < 0)
      return rc;
    if (r->p < r->end && *r->p == '"') {
      r->p++;
      while (r->p < r->end) {
        char c = *r->p++;
        if (c == '"') {
          if (r->p < r->end && *r->p == '"') {
            r->p++;
          } else {
            break;
          }
        } else if (c == '\n') {
          r->line++;
        }
        if ((rc = csv_put(r, c)) < 0)
          return rc;
      }
    }
    /* Unquoted text, or what follows a closing quote. */
    while (r->p < r->end && *r->p != ',' && *r->p != '\r' && *r->p != '\n')
      if ((rc = csv_put(r, *r->p++)) < 0)
        return rc;
    if (r->p < r->end && *r->p == ',') {
      r->p++;
      continue;
    }
    break;
  }
  if (r->p < r->end && *r->p == '\r')
    r->p++;
  if (r->p < r->end && *r->p == '\n')
    r->p++;
  r->line++;
  if (cc_grow((void **)&r->cells, &r->ccap, r->n, sizeof *r->cells) < 0)
    return cc_error_set(CC_ENOMEM, "out of memory");
  r->off[r->n] = r->len;
  for (i = 0; i < r->n; i++) {
    r->cells[i].ptr = r->buf ? r->buf + r->off[i] : "";
    r->cells[i].len = (uint32_t)(r->off[i + 1] - r->off[i]);
  }
  return 1;
}

/* GB18030 (GBK, GB2312) to UTF-8: *out malloc'd. CC_EINVALID when the
 * bytes are not GB18030 either. */
static int from_gb18030(char **out, size_t *out_len, const char *in, size_t n)
{
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  size_t cap = 2 * n + 16, left = cap, inleft = n;
  char *buf, *o, *i = (char *)in;
  *out = NULL;
  if (cd == (iconv_t)-1)
    return cc_error_set_errno(CC_EIO, errno, "iconv GB18030");
  buf = malloc(cap);
  if (buf == NULL) {
    iconv_close(cd);
    return cc_error_set(CC_ENOMEM, "out of memory");
  }
  o = buf;
  if (iconv(cd, &i, &inleft, &o, &left) == (size_t)-1) {
    iconv_close(cd);
    free(buf);
    return cc_error_set(CC_EINVALID, "neither UTF-8 nor GB18030");
  }
  iconv_close(cd);
  *out = buf;
  *out_len = cap - left;
  return 0;
}

static int read_csv(importer *im, const char *data, size_t n)
{
  csv_reader r;
  char *conv = NULL;
  uint32_t row;
  int rc;

  if (n >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
    data += 3, n -= 3;
  if (!utf8_text_ok((const unsigned char *)data, n)) {
    size_t len = 0;
    rc = from_gb18030(&conv, &len, data, n);
    if (rc == CC_EINVALID || (rc == 0 && memchr(conv, '\0', len))) {
      free(conv);
      im->header_found = -1;
      im->out->files_bad++;
      return add_problem(im, 0, "", CC_IMPORT_UNREADABLE,
                         "neither UTF-8 nor GB18030 text");
    }
    if (rc < 0)
      return rc;
    data = conv;
    n = len;
  }
  memset(&r, 0, sizeof r);
  r.p = data;
  r.end = data + n;
  r.line = 1;
  while ((rc = csv_next(&r, &row)) == 1)
    if ((rc = process_row(im, row, r.cells, r.n, NULL)) != 0)
      break;
  free(r.buf);
  free(r.off);
  free(r.cells);
  free(conv);
  return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------ */
/* Files. */

/* Reads a whole file: *out malloc'd (a NUL after the bytes). A file that
 * cannot be read is a problem (1), not an error. */
static int slurp(importer *im, char **out, size_t *n)
{
  FILE *fp = fopen(im->path, "rb");
  struct stat st;
  char *buf = NULL;
  const char *why = NULL;
  *out = NULL;
  if (fp == NULL) {
    why = strerror(errno);
  } else if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
    why = "not a regular file";
  } else if ((size_t)st.st_size > IMPORT_FILE_MAX) {
    why = "larger than 64 MiB: not a school package";
  } else if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
    fclose(fp);
    return cc_error_set(CC_ENOMEM, "out of memory");
  } else if (fread(buf, 1, (size_t)st.st_size, fp) != (size_t)st.st_size) {
    why = "read error";
  }
  if (fp)
    fclose(fp);
  if (why) {
    int rc;
    free(buf);
    im->out->files_bad++;
    rc = add_problem(im, 0, "", CC_IMPORT_UNREADABLE, why);
    return rc < 0 ? rc : 1;
  }
  buf[st.st_size] = '\0';
  *out = buf;
  *n = (size_t)st.st_size;
  return 0;
}

static int import_file(importer *im, const char *path)
{
  char *data = NULL;
  const char *slash = strrchr(path, '/');
  size_t n = 0;
  int rc;

  im->path = path;
  im->name = slash ? slash + 1 : path;
  im->header_found = 0;
  if (im->seen.cap)
    memset(im->seen.keys, 0, 2 * im->seen.cap * sizeof *im->seen.keys);
  im->seen.n = 0;
  if ((rc = slurp(im, &data, &n)) != 0)
    return rc < 0 ? rc : 0;
  im->digest = XXH3_64bits(data, n);
  if (im->digest == 0)
    im->digest = 1; /* 0 means "not from a file" */
  /* A workbook is read again from its path (cc_xlsx_open takes a path):
   * the digest is of the bytes read here, which an operator's copy of a
   * returned file does not change under us. */
  if (n >= 4 && memcmp(data, "PK\x03\x04", 4) == 0)
    rc = read_xlsx(im);
  else
    rc = read_csv(im, data, n);
  free(data);
  if (rc == 0)
    rc = flush(im);
  if (rc == 0 && im->header_found == 0) {
    /* Fewer rows than the header search looks at, none a header. */
    im->out->files_bad++;
    rc = add_problem(im, 0, CC_IMPORT_COL_FINDING, CC_IMPORT_MISSING_COLUMN,
                     "no header row");
  }
  return rc;
}

int cc_import_responses(cc_import_result *out, cc_db *db,
                        const char *const *files, size_t n_files,
                        const cc_import_options *opts)
{
  importer im;
  cc_response *resp = NULL;
  size_t n_resp = 0, i;
  int rc;

  memset(out, 0, sizeof *out);
  memset(&im, 0, sizeof im);
  if (opts == NULL || opts->version != CC_IMPORT_OPTIONS_VERSION ||
      opts->period == NULL)
    return cc_error_set(CC_EINVALID, "import: options without a period");
  im.db = db;
  im.opts = opts;
  im.out = out;
  out->files = n_files;
  cc_audit_user(im.user, opts->user);

  if ((rc = cc_db_load_findings(&im.list, db, opts->period)) < 0)
    return rc;
  im.by_id = malloc((im.list.n ? im.list.n : 1) * sizeof *im.by_id);
  im.batch = malloc(sizeof *im.batch);
  if (im.by_id == NULL || im.batch == NULL) {
    rc = cc_error_set(CC_ENOMEM, "out of memory");
    goto done;
  }
  for (i = 0; i < im.list.n; i++) {
    im.by_id[i].id = im.list.items[i].finding_id;
    im.by_id[i].at = i;
  }
  qsort(im.by_id, im.list.n, sizeof *im.by_id, id_cmp);

  /* What was imported before, from which file. */
  if ((rc = cc_response_list(&resp, &n_resp, db, 0)) < 0)
    goto done;
  for (i = 0; i < n_resp && rc == 0; i++)
    rc = pair_add(&im.done, resp[i].finding_id, resp[i].source_digest);
  free(resp);
  im.batch->n = 0;
  for (i = 0; i < n_files && rc == 0; i++)
    rc = import_file(&im, files[i]);
done:
  cc_finding_list_dispose(&im.list);
  free(im.by_id);
  free(im.batch);
  free(im.done.keys);
  free(im.seen.keys);
  return rc;
}

void cc_import_result_dispose(cc_import_result *r)
{
  if (r == NULL)
    return;
  free(r->problems);
  r->problems = NULL;
  r->n_problems = 0;
}
