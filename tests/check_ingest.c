/*
 * check_ingest.c - roster files into records and rejects (SPEC section 1,
 * docs/RULES.md), through cc_ingest_file and its sink callbacks.
 *
 * Each test writes its roster to a temporary directory, reads it with a
 * sink whose commit callback copies every record and reject, and compares
 * lines, columns, codes and field values with answers worked out by hand:
 *
 *   line   = physical line where the row starts, the header being line 1;
 *            a quoted field holding one newline makes the next row start
 *            two lines further down.
 *   column = 1-based position of the offending field in the row (0 when
 *            the reason is about the whole row).
 *
 * ID numbers used below (check characters worked out by hand, ISO 7064
 * MOD 11-2, weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, check =
 * "10X98765432"[S mod 11]; see tests/check_normalize_id.c for A to D):
 *
 *   D  110101200501011239  S = 80  = 7*11+3  -> 9, valid
 *   A  11010519491231002X  S = 167 = 15*11+2 -> X, valid
 *   E  210101200001010014  S = 52  = 4*11+8  -> 4, valid
 *   C  440524800101001 (15 digits): "19" after the sixth digit gives
 *      44052419800101001, S = 196 = 17*11+9 -> 3, so 440524198001010013
 *   D' 110101200501011238  D with a wrong check character: invalid, kept
 *
 * GB18030 bytes (GB2312 rows of the characters): 张 D5 C5, 三 C8 FD. The
 * UTF-8 bytes of 你好, E4 BD A0 E5 A5 BD, read as GB18030 are the pairs
 * E4BD 浣, A0E5 犲, A5BD ソ: the well-known mojibake 浣犲ソ.
 *
 * No test calls the reader from a fixture: Check forks each test, and the
 * reader uses OpenMP, which must not start in the runner's parent.
 */
#include <check.h>
#include <errno.h>
#include <iconv.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chachong/errors.h"
#include "chachong/ingest.h"
#include "chachong/normalize_id.h"
#include "chachong/record.h"
#include "chachong/types.h"
#include "test_util.h"
#include "utf8_internal.h"

#define ID_D "110101200501011239"
#define ID_A "11010519491231002X"
#define ID_E "210101200001010014"
#define IDSP "\xE3\x80\x80" /* U+3000 */
#define NBSP "\xC2\xA0"     /* U+00A0 */

/* The header most tests use: columns 1 to 7. */
#define HDR7 "身份证号,姓名,学校代码,学籍状态,学校名称,助学金,免学费"

/* ------------------------------------------------------------------ */
/* Temporary files: one directory per test (process), removed after it. */

static char tmpdir[64];
static char *made[64];
static int n_made;

static void tmp_setup(void)
{
  strcpy(tmpdir, "/tmp/check_ingest_XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
  n_made = 0;
}

static void tmp_teardown(void)
{
  int i;
  for (i = 0; i < n_made; i++) {
    unlink(made[i]);
    free(made[i]);
  }
  n_made = 0;
  rmdir(tmpdir);
}

/* Writes `len` bytes to a new file of the test's directory. */
static const char *write_file(const char *name, const void *data, size_t len)
{
  char *path = malloc(strlen(tmpdir) + strlen(name) + 2);
  FILE *f;
  ck_assert_ptr_nonnull(path);
  sprintf(path, "%s/%s", tmpdir, name);
  f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(data, 1, len, f), len);
  ck_assert_int_eq(fclose(f), 0);
  ck_assert_int_lt(n_made, 64);
  made[n_made++] = path;
  return path;
}

static const char *write_str(const char *name, const char *text)
{
  return write_file(name, text, strlen(text));
}

/* A growing byte buffer for building rosters. */
typedef struct sbuf {
  char *p;
  size_t n, cap;
} sbuf;

static void sb_addn(sbuf *b, const char *s, size_t n)
{
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + n + 1)
      cap *= 2;
    b->p = realloc(b->p, cap);
    ck_assert_ptr_nonnull(b->p);
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}

static void sb_add(sbuf *b, const char *s)
{
  sb_addn(b, s, strlen(s));
}

static void sb_fill(sbuf *b, char c, size_t n)
{
  char chunk[4096];
  memset(chunk, c, sizeof chunk);
  while (n > 0) {
    size_t k = n < sizeof chunk ? n : sizeof chunk;
    sb_addn(b, chunk, k);
    n -= k;
  }
}

static void sb_printf(sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
  char tmp[1024];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  ck_assert_int_lt(n, (int)sizeof tmp);
  sb_addn(b, tmp, (size_t)n);
}

/* UTF-8 to GB18030 with iconv(3); malloc'd, NUL-terminated. */
static char *to_gb18030(const char *utf8)
{
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  size_t in_left = strlen(utf8), out_left = in_left * 2 + 8;
  char *out = calloc(1, out_left + 1), *src = (char *)utf8, *dst = out;
  ck_assert_ptr_ne(cd, (iconv_t)-1);
  ck_assert_ptr_nonnull(out);
  ck_assert_uint_ne(iconv(cd, &src, &in_left, &dst, &out_left), (size_t)-1);
  ck_assert_uint_eq(in_left, 0);
  *dst = '\0';
  iconv_close(cd);
  return out;
}

/* ------------------------------------------------------------------ */
/* The sink: copies what it is handed, checks the order of blocks. */

typedef struct got_rec {
  uint32_t line;
  uint16_t roster;
  uint8_t status, verdict, reason, upgraded, id_len;
  uint64_t id_hash;
  char id[CC_ID_MAX + 1];
  int64_t grant, waiver;
  char *name, *folded;
  char *text[CC_COL_COUNT];
} got_rec;

/* What the work callback saw of one block. */
typedef struct work_slot {
  atomic_int calls;
  int thread;
  size_t n_records, n_rejects;
  const cc_record *records;
  uint64_t digest;
} work_slot;

typedef struct coll {
  got_rec *rec;
  size_t n_rec, cap_rec;
  cc_reject *rej;
  size_t n_rej, cap_rej;
  uint64_t blocks; /* commit calls */
  int seq_bad;     /* a block arrived out of order */
  uint16_t roster; /* expected in every block */
  int roster_bad;
  sbuf trace; /* one line per row, in file order */
  /* work callback */
  work_slot *slots;
  size_t n_slots;
  int threads;
  atomic_int work_bad; /* seq out of range or thread number wrong */
  /* cancel / errors */
  volatile sig_atomic_t *cancel;
  uint64_t cancel_after; /* set *cancel after this many commits (0 = never) */
  int commit_rc;         /* returned by commit (from the first block) */
  int work_rc;           /* returned by work */
  /* progress */
  uint64_t progress_last;
  int progress_calls, progress_backwards;
} coll;

static void coll_init(coll *c)
{
  memset(c, 0, sizeof *c);
}

static void coll_dispose(coll *c)
{
  size_t i;
  int k;
  for (i = 0; i < c->n_rec; i++) {
    free(c->rec[i].name);
    free(c->rec[i].folded);
    for (k = 0; k < CC_COL_COUNT; k++)
      free(c->rec[i].text[k]);
  }
  free(c->rec);
  free(c->rej);
  free(c->trace.p);
  free(c->slots);
  memset(c, 0, sizeof *c);
}

static char *dup_str(cc_str s)
{
  char *d = malloc((size_t)s.len + 1);
  ck_assert_ptr_nonnull(d);
  if (s.len)
    memcpy(d, s.ptr, s.len);
  d[s.len] = '\0';
  return d;
}

/* FNV-1a over what identifies the rows of a block. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
  const unsigned char *s = p;
  size_t i;
  for (i = 0; i < n; i++) {
    h ^= s[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

static uint64_t block_digest(const cc_block *b)
{
  uint64_t h = 0xcbf29ce484222325ULL;
  size_t i;
  for (i = 0; i < b->n_records; i++) {
    const cc_record *r = &b->records[i];
    h = fnv(h, &r->line, sizeof r->line);
    h = fnv(h, r->id, r->id_len);
    h = fnv(h, r->name.ptr, r->name.len);
    h = fnv(h, r->text[CC_COL_SCHOOL_CODE].ptr,
            r->text[CC_COL_SCHOOL_CODE].len);
  }
  for (i = 0; i < b->n_rejects; i++) {
    const cc_reject *j = &b->rejects[i];
    h = fnv(h, &j->line, sizeof j->line);
    h = fnv(h, &j->column, sizeof j->column);
    h = fnv(h, &j->code, sizeof j->code);
  }
  return h;
}

static int on_work(void *ctx, const cc_block *b, int thread)
{
  coll *c = ctx;
  work_slot *s;
  if (c->work_rc)
    return c->work_rc;
  if (c->slots == NULL)
    return 0;
  if (b->seq >= c->n_slots || thread < 0 ||
      (c->threads > 0 && thread >= c->threads)) {
    atomic_store(&c->work_bad, 1);
    return 0;
  }
  s = &c->slots[b->seq];
  atomic_fetch_add(&s->calls, 1);
  s->thread = thread;
  s->n_records = b->n_records;
  s->n_rejects = b->n_rejects;
  s->records = b->records;
  s->digest = block_digest(b);
  return 0;
}

static void trace_record(sbuf *t, const cc_record *r)
{
  sb_printf(t, "R %u %.*s ", r->line, (int)r->id_len, r->id);
  sb_addn(t, r->name.ptr, r->name.len);
  sb_add(t, " ");
  sb_addn(t, r->text[CC_COL_SCHOOL_CODE].ptr, r->text[CC_COL_SCHOOL_CODE].len);
  sb_add(t, " ");
  sb_addn(t, r->text[CC_COL_SCHOOL_NAME].ptr, r->text[CC_COL_SCHOOL_NAME].len);
  sb_printf(t, " %lld\n", (long long)r->grant);
}

static int on_commit(void *ctx, const cc_block *b)
{
  coll *c = ctx;
  size_t i, j;
  if (b->seq != c->blocks)
    c->seq_bad = 1;
  if (b->roster != c->roster)
    c->roster_bad = 1;
  c->blocks++;
  if (c->slots) {
    /* The work callback saw this very block. */
    if (b->seq < c->n_slots) {
      work_slot *s = &c->slots[b->seq];
      if (atomic_load(&s->calls) != 1 || s->n_records != b->n_records ||
          s->n_rejects != b->n_rejects || s->records != b->records ||
          s->digest != block_digest(b))
        atomic_store(&c->work_bad, 2);
    }
  }
  for (i = 0; i < b->n_records; i++) {
    const cc_record *r = &b->records[i];
    got_rec *g;
    int k;
    if (c->n_rec == c->cap_rec) {
      c->cap_rec = c->cap_rec ? c->cap_rec * 2 : 64;
      c->rec = realloc(c->rec, c->cap_rec * sizeof *c->rec);
      ck_assert_ptr_nonnull(c->rec);
    }
    g = &c->rec[c->n_rec++];
    g->line = r->line;
    g->roster = r->roster;
    g->status = r->status;
    g->verdict = r->id_verdict;
    g->reason = r->id_reason;
    g->upgraded = r->id_upgraded;
    g->id_len = r->id_len;
    g->id_hash = r->id_hash;
    memcpy(g->id, r->id, sizeof g->id);
    g->grant = r->grant;
    g->waiver = r->waiver;
    g->name = dup_str(r->name);
    g->folded = dup_str(r->name_folded);
    for (k = 0; k < CC_COL_COUNT; k++)
      g->text[k] = dup_str(r->text[k]);
  }
  for (i = 0; i < b->n_rejects; i++) {
    if (c->n_rej == c->cap_rej) {
      c->cap_rej = c->cap_rej ? c->cap_rej * 2 : 64;
      c->rej = realloc(c->rej, c->cap_rej * sizeof *c->rej);
      ck_assert_ptr_nonnull(c->rej);
    }
    c->rej[c->n_rej++] = b->rejects[i];
  }
  /* Records and rejects merged by line: the rows in file order. */
  for (i = 0, j = 0; i < b->n_records || j < b->n_rejects;) {
    if (j == b->n_rejects ||
        (i < b->n_records && b->records[i].line < b->rejects[j].line)) {
      trace_record(&c->trace, &b->records[i++]);
    } else {
      const cc_reject *rj = &b->rejects[j++];
      sb_printf(&c->trace, "J %u %u %s\n", rj->line, rj->column,
                cc_reject_code_str((cc_reject_code)rj->code));
    }
  }
  if (c->cancel && c->cancel_after && c->blocks >= c->cancel_after)
    *c->cancel = 1;
  if (c->commit_rc)
    return c->commit_rc;
  return 0;
}

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
  coll *c = ctx;
  if (done < c->progress_last || done > total)
    c->progress_backwards = 1;
  c->progress_last = done;
  c->progress_calls++;
}

static cc_ingest_options base_opts(void)
{
  cc_ingest_options o = CC_INGEST_OPTIONS_INIT;
  o.today = cc_date_from_ymd(2026, 11, 23);
  o.threads = 2;
  return o;
}

static int ingest_opts(coll *c, cc_ingest_stats *st, const char *path,
                       const cc_ingest_options *o)
{
  cc_ingest_sink sink = {on_work, on_commit, c};
  return cc_ingest_file(st, path, c->roster, o, &sink);
}

/* Reads with the default options; 0 expected. */
static void ingest_ok(coll *c, cc_ingest_stats *st, const char *path)
{
  cc_ingest_options o = base_opts();
  int rc = ingest_opts(c, st, path, &o);
  ck_assert_msg(rc == 0, "rc %d: %s", rc, cc_error_last());
  ck_assert_int_eq(c->seq_bad, 0);
}

static const got_rec *rec_at(const coll *c, uint32_t line)
{
  size_t i;
  for (i = 0; i < c->n_rec; i++)
    if (c->rec[i].line == line)
      return &c->rec[i];
  return NULL;
}

static const cc_reject *rej_at(const coll *c, uint32_t line)
{
  size_t i;
  for (i = 0; i < c->n_rej; i++)
    if (c->rej[i].line == line)
      return &c->rej[i];
  return NULL;
}

/* A record at `line` with these ID, name and school code. */
#define ck_rec(c, ln, idv, namev, schoolv)                                     \
  do {                                                                         \
    const got_rec *g_ = rec_at((c), (ln));                                     \
    ck_assert_msg(g_ != NULL, "no record at line %u", (unsigned)(ln));         \
    ck_assert_str_eq(g_->id, (idv));                                           \
    ck_assert_str_eq(g_->name, (namev));                                       \
    ck_assert_str_eq(g_->text[CC_COL_SCHOOL_CODE], (schoolv));                 \
  } while (0)

/* A reject at `line` with this column and code. */
#define ck_rej(c, ln, col, codev)                                              \
  do {                                                                         \
    const cc_reject *j_ = rej_at((c), (ln));                                   \
    ck_assert_msg(j_ != NULL, "no reject at line %u", (unsigned)(ln));         \
    ck_assert_msg(                                                             \
        j_->code == (codev) && j_->column == (col),                            \
        "line %u: %s column %u, expected %s column %u", (unsigned)(ln),        \
        cc_reject_code_str((cc_reject_code)j_->code), (unsigned)j_->column,    \
        cc_reject_code_str((cc_reject_code)(codev)), (unsigned)(col));         \
  } while (0)

/* ------------------------------------------------------------------ */
/* Core: the CSV dialect. */

/* The same four rows, written with LF and with CRLF. */
static const char *basic_rows[] = {
    HDR7,
    ID_D ",张三,S1,在籍,第一中学,1000,0",
    ID_A ",李四,S2,休学,,,1200.5",
    ID_E ",王五,S1,enrolled,,\"1,000.00\",",
    "440524800101001,赵六,S3,毕业,技校,,",
};

static void check_basic(const coll *c, const cc_ingest_stats *st)
{
  const got_rec *g;
  ck_assert_uint_eq(st->records, 4);
  ck_assert_uint_eq(st->rejects, 0);
  ck_assert_uint_eq(st->blank, 0);
  ck_assert_uint_eq(st->lines, 5);
  ck_assert_int_eq(st->encoding, CC_ENC_UTF8);
  ck_assert_int_eq(st->delimiter, ',');
  ck_assert_uint_eq(c->n_rec, 4);
  ck_assert_uint_eq(c->n_rej, 0);
  ck_rec(c, 2, ID_D, "张三", "S1");
  ck_rec(c, 3, ID_A, "李四", "S2");
  ck_rec(c, 4, ID_E, "王五", "S1");
  ck_rec(c, 5, "440524198001010013", "赵六", "S3");
  /* in file order */
  ck_assert_uint_eq(c->rec[0].line, 2);
  ck_assert_uint_eq(c->rec[3].line, 5);

  g = rec_at(c, 2);
  ck_assert_int_eq(g->status, CC_STATUS_ENROLLED);
  ck_assert_int_eq(g->grant, 100000);
  ck_assert_int_eq(g->waiver, 0);
  ck_assert_str_eq(g->text[CC_COL_SCHOOL_NAME], "第一中学");
  ck_assert_str_eq(g->text[CC_COL_STATUS], "在籍");
  ck_assert_str_eq(g->text[CC_COL_MAJOR], ""); /* absent column */
  ck_assert_str_eq(g->text[CC_COL_WAIVER], "0");
  ck_assert_int_eq(g->verdict, CC_ID_VALID);
  ck_assert_int_eq(g->id_len, 18);
  ck_assert_uint_eq(g->id_hash, cc_id_hash(ID_D, 18));
  ck_assert_int_eq(g->roster, 3);

  g = rec_at(c, 3);
  ck_assert_int_eq(g->status, CC_STATUS_SUSPENDED);
  ck_assert_int_eq(g->grant, 0);
  ck_assert_int_eq(g->waiver, 120050);
  ck_assert_str_eq(g->text[CC_COL_WAIVER], "1200.5"); /* no CR left */

  g = rec_at(c, 4);
  ck_assert_int_eq(g->status, CC_STATUS_ENROLLED);
  ck_assert_int_eq(g->grant, 100000);

  g = rec_at(c, 5);
  ck_assert_int_eq(g->status, CC_STATUS_GRADUATED);
  ck_assert_int_eq(g->upgraded, 1);
  ck_assert_int_eq(g->verdict, CC_ID_VALID);
  ck_assert_str_eq(g->text[CC_COL_SCHOOL_NAME], "技校");
  ck_assert_uint_eq(st->id_upgraded, 1);
}

static void basic_with_eol(const char *eol, const char *name)
{
  sbuf b = {0};
  coll c;
  cc_ingest_stats st;
  size_t i;
  for (i = 0; i < sizeof basic_rows / sizeof basic_rows[0]; i++) {
    sb_add(&b, basic_rows[i]);
    sb_add(&b, eol);
  }
  coll_init(&c);
  c.roster = 3;
  ingest_ok(&c, &st, write_file(name, b.p, b.n));
  ck_assert_uint_eq(st.bytes, b.n);
  ck_assert_int_eq(c.roster_bad, 0);
  check_basic(&c, &st);
  coll_dispose(&c);
  free(b.p);
}

START_TEST(test_ingest_lf)
{
  basic_with_eol("\n", "lf.csv");
}
END_TEST

START_TEST(test_ingest_crlf)
{
  basic_with_eol("\r\n", "crlf.csv");
}
END_TEST

START_TEST(test_ingest_no_final_newline)
{
  /* The last row has no newline: it is still a row and a line. */
  coll c;
  cc_ingest_stats st;
  coll_init(&c);
  ingest_ok(&c, &st,
            write_str("nofinal.csv", HDR7 "\n" ID_D ",张三,S1,在籍,,,\n" ID_A
                                          ",李四,S1,在籍,,,"));
  ck_assert_uint_eq(c.n_rec, 2);
  ck_rec(&c, 3, ID_A, "李四", "S1");
  ck_assert_uint_eq(st.lines, 3);
  coll_dispose(&c);
}
END_TEST

START_TEST(test_ingest_header_only)
{
  coll c;
  cc_ingest_stats st;
  coll_init(&c);
  ingest_ok(&c, &st, write_str("hdr.csv", HDR7 "\n"));
  ck_assert_uint_eq(c.n_rec + c.n_rej, 0);
  ck_assert_uint_eq(st.records, 0);
  ck_assert_uint_eq(st.lines, 1);
  coll_dispose(&c);
  coll_init(&c);
  ingest_ok(&c, &st, write_str("hdr2.csv", HDR7));
  ck_assert_uint_eq(st.lines, 1);
  coll_dispose(&c);
}
END_TEST

START_TEST(test_ingest_quoted_comma_and_quotes)
{
  coll c;
  cc_ingest_stats st;
  const got_rec *g;
  coll_init(&c);
  ingest_ok(&c, &st,
            write_str("quoted.csv", HDR7
                      "\n"
                      "\"" ID_D
                      "\",\"张,三\",\"S1\",\"在籍\",\"一中\"\"实验\"\"校区\","
                      "\"1,234.56\",\"\"\n" ID_A
                      ",\"\"\"李四\"\"\",S2,在籍,\"\",,\n"));
  ck_assert_uint_eq(c.n_rec, 2);
  ck_rec(&c, 2, ID_D, "张,三", "S1");
  g = rec_at(&c, 2);
  ck_assert_str_eq(g->text[CC_COL_SCHOOL_NAME], "一中\"实验\"校区");
  ck_assert_int_eq(g->grant, 123456);
  ck_assert_int_eq(g->waiver, 0);
  ck_rec(&c, 3, ID_A, "\"李四\"", "S2");
  ck_assert_str_eq(rec_at(&c, 3)->text[CC_COL_SCHOOL_NAME], "");
  coll_dispose(&c);
}
END_TEST

START_TEST(test_ingest_quoted_newline)
{
  /*
   * line 1 header
   * line 2 D    school name "第一\n中学" (LF inside quotes)
   * line 3      ...continued
   * line 4 A    school name "a\r\nb\nc" (CRLF and LF inside quotes)
   * line 5      ...
   * line 6      ...
   * line 7 E    plain
   * line 8 D    name "张\n三"
   * line 9      ...
   * line 10 A   plain, CRLF
   */
  coll c;
  cc_ingest_stats st;
  coll_init(&c);
  ingest_ok(&c, &st,
            write_str("qnl.csv", HDR7
                      "\n" ID_D ",张三,S1,在籍,\"第一\n中学\",,\n" ID_A
                      ",李四,S2,在籍,\"a\r\nb\nc\",,\r\n" ID_E
                      ",王五,S3,在籍,,,\n" ID_D ",\"张\n三\",S4,在籍,,,\n" ID_A
                      ",赵六,S5,在籍,,,\r\n"));
  ck_assert_uint_eq(c.n_rec, 5);
  ck_assert_uint_eq(c.n_rej, 0);
  ck_rec(&c, 2, ID_D, "张三", "S1");
  ck_assert_str_eq(rec_at(&c, 2)->text[CC_COL_SCHOOL_NAME], "第一\n中学");
  ck_rec(&c, 4, ID_A, "李四", "S2");
  ck_assert_str_eq(rec_at(&c, 4)->text[CC_COL_SCHOOL_NAME], "a\r\nb\nc");
  ck_rec(&c, 7, ID_E, "王五", "S3");
  ck_rec(&c, 8, ID_D, "张\n三", "S4");
  ck_assert_str_eq(rec_at(&c, 8)->folded, "张三"); /* white space removed */
  ck_rec(&c, 10, ID_A, "赵六", "S5");
  ck_assert_uint_eq(st.lines, 10);
  coll_dispose(&c);
}
END_TEST

START_TEST(test_ingest_quote_inside_unquoted_field)
{
  /* A quote that does not start a field is a character (5'11" style) and
   * opens nothing: the next row is read at its own line. */
  coll c;
  cc_ingest_stats st;
  coll_init(&c);
  ingest_ok(&c, &st,
            write_str("midq.csv", HDR7
                      "\n" ID_D ",abc\"def,S1,在籍,5'11\",,\n" ID_A
                      ",李四,S\"2,在籍,a\"\"b,,\n" ID_E ",王五,S3,在籍,,,\n"));
  ck_assert_uint_eq(c.n_rec, 3);
  ck_rec(&c, 2, ID_D, "abc\"def", "S1");
  ck_assert_str_eq(rec_at(&c, 2)->text[CC_COL_SCHOOL_NAME], "5'11\"");
  ck_rec(&c, 3, ID_A, "李四", "S\"2");
  ck_assert_str_eq(rec_at(&c, 3)->text[CC_COL_SCHOOL_NAME], "a\"\"b");
  ck_rec(&c, 4, ID_E, "王五", "S3");
  coll_dispose(&c);
}
END_TEST

START_TEST(test_ingest_text_after_closing_quote)
{
  /* "ab"cd is kept as abcd, as Excel does; also before CRLF, and with a
   * bare CR after the quote (line 4). */
  coll c;
  cc_ingest_stats st;
  coll_init(&c);
  ingest_ok(&c, &st,
            write_str("tail.csv",
                      "身份证号,姓名,学校代码,学籍状态,学校名称\r\n" ID_D
                      ",\"ab\"cd,S1,在籍,\"x\"y\"z\r\n" ID_A
                      ",李四,\"S\"2,在籍,\"第一\"中学\n" ID_E
                      ",王五,S3,在籍,\"x\"\ry\n"));
  ck_assert_uint_eq(c.n_rec, 3);
  ck_assert_uint_eq(c.n_rej, 0);
  ck_rec(&c, 2, ID_D, "abcd", "S1");
  ck_assert_str_eq(rec_at(&c, 2)->text[CC_COL_SCHOOL_NAME], "xy\"z");
  ck_rec(&c, 3, ID_A, "李四", "S2");
  ck_assert_str_eq(rec_at(&c, 3)->text[CC_COL_SCHOOL_NAME], "第一中学");
  /* a bare CR (not CRLF) after the quote is text, not the end of the row */
  ck_rec(&c, 4, ID_E, "王五", "S3");
  ck_assert_str_eq(rec_at(&c, 4)->text[CC_COL_SCHOOL_NAME], "x\ry");
  coll_dispose(&c);
}
END_TEST

START_TEST(test_ingest_bom)
{
  coll c;
  cc_ingest_stats st;
  coll_init(&c);
  ingest_ok(&c, &st,
            write_str("bom.csv",
                      "\xEF\xBB\xBF" HDR7 "\r\n" ID_D ",张三,S1,在籍,,,\r\n"));
  ck_assert_uint_eq(c.n_rec, 1);
  ck_rec(&c, 2, ID_D, "张三", "S1");
  ck_assert_int_eq(st.encoding, CC_ENC_UTF8);
  ck_assert_uint_eq(st.lines, 2);
  coll_dispose(&c);
}
END_TEST

START_TEST(test_ingest_tsv)
{
  /* More tabs than commas in the header: tab-separated. A comma is then a
   * character, and quotes work as in CSV. */
  coll c;
  cc_ingest_stats st;
  coll_init(&c);
  ingest_ok(
      &c, &st,
      write_str("tab.tsv",
                "身份证号\t姓名\t学校代码\t学籍状态\t学校名称\t助学金\n" ID_D
                "\t张三\tS1\t在籍\t青岛技师学院,西海岸校区\t1,000\n" ID_A
                "\t李四\tS2\t在籍\t\"a\tb\nc\"\t\n" ID_E
                "\t王五\tS3\t在籍\t\t\r\n"));
  ck_assert_int_eq(st.delimiter, '\t');
  ck_assert_uint_eq(c.n_rec, 3);
  ck_rec(&c, 2, ID_D, "张三", "S1");
  ck_assert_str_eq(rec_at(&c, 2)->text[CC_COL_SCHOOL_NAME],
                   "青岛技师学院,西海岸校区");
  ck_assert_int_eq(rec_at(&c, 2)->grant, 100000);
  ck_rec(&c, 3, ID_A, "李四", "S2");
  ck_assert_str_eq(rec_at(&c, 3)->text[CC_COL_SCHOOL_NAME], "a\tb\nc");
  ck_rec(&c, 5, ID_E, "王五", "S3");
  coll_dispose(&c);
}
END_TEST

START_TEST(test_ingest_header_aliases)
{
  /* English aliases any case, spaces around; other columns ignored; the
   * columns in another order, so reject columns follow the file. */
  coll c;
  cc_ingest_stats st;
  coll_init(&c);
  ingest_ok(&c, &st,
            write_str("english.csv",
                      " NAME ,序号,  Status,ID_Number , school_CODE,"
                      "Grant_Amount\r\n"
                      "张三,1,Enrolled," ID_D ",S1,5\r\n"
                      "李四,2,在籍,,S1,\r\n"
                      "王五,3,SUSPENDED," ID_A ",S2,abc\r\n"));
  ck_assert_uint_eq(c.n_rec, 1);
  ck_rec(&c, 2, ID_D, "张三", "S1");
  ck_assert_int_eq(rec_at(&c, 2)->grant, 500);
  ck_assert_int_eq(rec_at(&c, 2)->status, CC_STATUS_ENROLLED);
  ck_rej(&c, 3, 4, CC_REJ_ID_EMPTY);
  ck_rej(&c, 4, 6, CC_REJ_AMOUNT_INVALID);
  coll_dispose(&c);
}
END_TEST

START_TEST(test_ingest_header_map)
{
  coll c;
  cc_ingest_stats st;
  cc_header_map *map = NULL;
  cc_ingest_options o = base_opts();
  const char *mp = write_str("m.map", "\xEF\xBB\xBF# mapping of province X\n"
                                      "公民身份号码=身份证号\n"
                                      "\n"
                                      "  学生姓名 = name   # trailing comment\n"
                                      "学校标识码=SCHOOL_CODE\r\n"
                                      "当前状态=学籍状态\n"
                                      "国家助学金=grant_amount\n");
  ck_assert_int_eq(cc_header_map_load(&map, mp), 0);
  ck_assert_ptr_nonnull(map);
  o.map = map;
  coll_init(&c);
  ck_assert_int_eq(
      ingest_opts(
          &c, &st,
          write_str(
              "mapped.csv",
              "公民身份号码,学生姓名,学校标识码,当前状态,国家助学金\n" ID_D
              ",张三,S1,在籍,1500\n"),
          &o),
      0);
  ck_assert_uint_eq(c.n_rec, 1);
  ck_rec(&c, 2, ID_D, "张三", "S1");
  ck_assert_int_eq(rec_at(&c, 2)->grant, 150000);
  coll_dispose(&c);
  cc_header_map_free(map);
  cc_header_map_free(NULL);
}
END_TEST

START_TEST(test_ingest_header_map_errors)
{
  cc_header_map *map = (cc_header_map *)1;
  const char *p;
  char want[512];

  /* line 3 has no '=' */
  p = write_str("bad1.map", "# c\n证件号=身份证号\n学生姓名 name\n");
  ck_assert_int_eq(cc_header_map_load(&map, p), CC_EINVALID);
  ck_assert_ptr_null(map);
  snprintf(want, sizeof want, "%s:3:1:", p);
  ck_assert_msg(strncmp(cc_error_last(), want, strlen(want)) == 0,
                "message \"%s\", expected it to start with \"%s\"",
                cc_error_last(), want);

  /* line 2: the right side is no column; it starts at byte 9:
   * "  foo = nonsense" -> 0,1 blanks, 2-4 foo, 5 blank, 6 '=', 7 blank, 8 n */
  map = (cc_header_map *)1;
  p = write_str("bad2.map", "学生姓名=姓名\n  foo = nonsense  # x\n");
  ck_assert_int_eq(cc_header_map_load(&map, p), CC_EINVALID);
  ck_assert_ptr_null(map);
  snprintf(want, sizeof want, "%s:2:9:", p);
  ck_assert_msg(strncmp(cc_error_last(), want, strlen(want)) == 0,
                "message \"%s\", expected it to start with \"%s\"",
                cc_error_last(), want);

  /* an empty left side */
  map = (cc_header_map *)1;
  p = write_str("bad3.map", "=姓名\n");
  ck_assert_int_eq(cc_header_map_load(&map, p), CC_EINVALID);
  snprintf(want, sizeof want, "%s:1:1:", p);
  ck_assert_msg(strncmp(cc_error_last(), want, strlen(want)) == 0,
                "message \"%s\"", cc_error_last());

  map = (cc_header_map *)1;
  snprintf(want, sizeof want, "%s/no-such.map", tmpdir);
  ck_assert_int_eq(cc_header_map_load(&map, want), CC_ENOTFOUND);
  ck_assert_ptr_null(map);

  /* comments and blank lines only: an empty map */
  p = write_str("empty.map", "# nothing\n\n   \n");
  ck_assert_int_eq(cc_header_map_load(&map, p), 0);
  ck_assert_ptr_nonnull(map);
  cc_header_map_free(map);
}
END_TEST

START_TEST(test_ingest_missing_column)
{
  coll c;
  cc_ingest_stats st;
  cc_ingest_options o = base_opts();
  const char *p =
      write_str("missing.csv",
                "身份证号,姓名,学校代码,学校名称\n" ID_D ",张三,S1,一中\n");
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), CC_EINVALID);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), p));
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "学籍状态"));
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "status"));
  ck_assert_uint_eq(c.blocks, 0);
  coll_dispose(&c);

  p = write_str("missing2.csv", "name,status,school_code\n张三,在籍,S1\n");
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), CC_EINVALID);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "身份证号"));
  coll_dispose(&c);
}
END_TEST

START_TEST(test_ingest_duplicate_column)
{
  coll c;
  cc_ingest_stats st;
  cc_ingest_options o = base_opts();
  const char *p =
      write_str("dup.csv", "身份证号,姓名,学校代码,学籍状态, ID_NUMBER\n" ID_D
                           ",张三,S1,在籍," ID_A "\n");
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), CC_EINVALID);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), p));
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "身份证号"));
  ck_assert_uint_eq(c.blocks, 0);
  coll_dispose(&c);
}
END_TEST

START_TEST(test_ingest_blank_rows)
{
  /* Lines 3, 4, 6, 7, 8 and 10 are blank rows: skipped, counted, not
   * rejected. */
  coll c;
  cc_ingest_stats st;
  coll_init(&c);
  ingest_ok(&c, &st,
            write_str("blank.csv",
                      HDR7 "\n" ID_D ",张三,S1,在籍,,,\n"
                           ",,,,,,\n"
                           "\n" ID_A ",李四,S2,在籍,,,\n"
                           ",,\r\n"
                           "\r\n"
                           " , ,\"\",\t,,,\n" ID_E ",王五,S3,在籍,,,\n"
                           ",,,,,,"));
  ck_assert_uint_eq(c.n_rec, 3);
  ck_assert_uint_eq(c.n_rej, 0);
  ck_rec(&c, 2, ID_D, "张三", "S1");
  ck_rec(&c, 5, ID_A, "李四", "S2");
  ck_rec(&c, 9, ID_E, "王五", "S3");
  ck_assert_uint_eq(st.blank, 6);
  ck_assert_uint_eq(st.rejects, 0);
  ck_assert_uint_eq(st.records, 3);
  ck_assert_uint_eq(st.lines, 10);
  coll_dispose(&c);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Rejects: one row per line after the HDR7 header, so the row of index i
 * is at line i + 2. A row is prefix + fill * n + suffix. */

typedef struct rej_row {
  const char *prefix;
  char fill;
  size_t n;
  const char *suffix;
  int code; /* 0: accepted */
  int column;
} rej_row;

#define BAD "\xE5\xBC" /* 张 cut short: not UTF-8 */

static const rej_row reject_rows[] = {
    {ID_D ",张三,S1,在籍,一中,0,0", 0, 0, "", 0, 0},
    {",李四,S1,在籍,,,", 0, 0, "", CC_REJ_ID_EMPTY, 1},
    {" " IDSP " ,李四,S1,在籍,,,", 0, 0, "", CC_REJ_ID_EMPTY, 1},
    {"1.10101E+17,王五,S1,在籍,,,", 0, 0, "", CC_REJ_ID_SCIENTIFIC, 1},
    {"11010120050101ABCD,赵六,S1,在籍,,,", 0, 0, "", CC_REJ_ID_NOT_DIGITS, 1},
    {"1101012005010X1239,赵六,S1,在籍,,,", 0, 0, "", CC_REJ_ID_NOT_DIGITS, 1},
    {"12345678901234,钱七,S1,在籍,,,", 0, 0, "", CC_REJ_ID_TOO_SHORT, 1},
    {"1101012005010112391,孙八,S1,在籍,,,", 0, 0, "", CC_REJ_ID_TOO_LONG, 1},
    {ID_D ",  ,S1,在籍,,,", 0, 0, "", CC_REJ_NAME_EMPTY, 2},
    {ID_D "," IDSP ",S1,在籍,,,", 0, 0, "", CC_REJ_NAME_EMPTY, 2},
    {ID_D ",", 'a', 256, ",S1,在籍,,,", CC_REJ_NAME_TOO_LONG, 2},
    {ID_D ",", 'a', 255, ",S1,在籍,,,", 0, 0},
    {ID_D ",周九,,在籍,,,", 0, 0, "", CC_REJ_SCHOOL_CODE_EMPTY, 3},
    {ID_D ",周九,  ,在籍,,,", 0, 0, "", CC_REJ_SCHOOL_CODE_EMPTY, 3},
    {ID_D ",周九," IDSP NBSP ",在籍,,,", 0, 0, "", CC_REJ_SCHOOL_CODE_EMPTY, 3},
    {ID_D ",吴十,", 'S', 256, ",在籍,,,", CC_REJ_SCHOOL_CODE_TOO_LONG, 3},
    {ID_D ",吴十,", 'S', 255, ",在籍,,,", 0, 0},
    {ID_D ",郑一,S1,,,,", 0, 0, "", CC_REJ_STATUS_EMPTY, 4},
    {ID_D ",郑一,S1, \t ,,,", 0, 0, "", CC_REJ_STATUS_EMPTY, 4},
    {ID_D ",郑一,S1," IDSP ",,,", 0, 0, "", CC_REJ_STATUS_EMPTY, 4},
    {ID_D ",冯二,S1,在校,,,", 0, 0, "", CC_REJ_STATUS_UNKNOWN, 4},
    {ID_D ",冯二,S1,enrol,,,", 0, 0, "", CC_REJ_STATUS_UNKNOWN, 4},
    {ID_D ",陈三,S1,在籍,,-5,", 0, 0, "", CC_REJ_AMOUNT_INVALID, 6},
    {ID_D ",陈三,S1,在籍,,\"1,00\",", 0, 0, "", CC_REJ_AMOUNT_INVALID, 6},
    {ID_D ",褚四,S1,在籍,,,abc", 0, 0, "", CC_REJ_AMOUNT_INVALID, 7},
    {ID_D ",褚四,S1,在籍,,,1.234", 0, 0, "", CC_REJ_AMOUNT_INVALID, 7},
    {ID_D ",卫五,S1,在籍,,\"1,000.50\",\xEF\xBF\xA5"
          "200",
     0, 0, "", 0, 0},
    {ID_D ",蒋" BAD "六,S1,在籍,,,", 0, 0, "", CC_REJ_BAD_TEXT, 2},
    {ID_D ",蒋六,S" BAD ",在籍,,,", 0, 0, "", CC_REJ_BAD_TEXT, 3},
    {ID_D ",蒋六,S1,在" BAD ",,,", 0, 0, "", CC_REJ_BAD_TEXT, 4},
    {ID_D BAD ",蒋六,S1,在籍,,,", 0, 0, "", CC_REJ_BAD_TEXT, 1},
    {ID_D ",蒋六,S1,在籍,一中" BAD ",,", 0, 0, "", CC_REJ_BAD_TEXT, 5},
    {ID_D ",蒋", '\0', 1, "六,S1,在籍,,,", CC_REJ_BAD_TEXT, 2}, /* NUL */
    {ID_D ",沈七,S1,在籍,", 'x', 65536, ",,", CC_REJ_FIELD_TOO_LONG, 5},
    {ID_D ",沈七,S1,在籍,,,,", 'x', 65536, "", CC_REJ_FIELD_TOO_LONG, 8},
    {ID_D ",沈七,S1,在籍,", 'x', 65535, ",,", 0, 0},
};

/* Two faults in one row: the first reason of RULES.md wins, whatever the
 * columns. */
static const rej_row priority_rows[] = {
    /* field_too_long beats bad_text and id_empty */
    {"," BAD ",S1,在籍,", 'x', 65536, ",,", CC_REJ_FIELD_TOO_LONG, 5},
    /* the first over-long field */
    {ID_D ",张三,S1,在籍,y,,", 'x', 65536, "", CC_REJ_FIELD_TOO_LONG, 7},
    /* bad_text (column 3) beats id_empty (column 1) */
    {",张三,S" BAD ",在籍,,,", 0, 0, "", CC_REJ_BAD_TEXT, 3},
    /* bad_text beats every later ID, name, school and status fault */
    {"ABC," BAD ",,,,,", 0, 0, "", CC_REJ_BAD_TEXT, 2},
    /* the first bad column */
    {"1" BAD "," BAD ",S1,在籍,,,", 0, 0, "", CC_REJ_BAD_TEXT, 1},
    /* id_* beats name_* */
    {"1.10101E+17,", 'a', 256, ",S1,在籍,,,", CC_REJ_ID_SCIENTIFIC, 1},
    {"ABC,  ,S1,在籍,,,", 0, 0, "", CC_REJ_ID_NOT_DIGITS, 1},
    {",,S1,在籍,,,", 0, 0, "", CC_REJ_ID_EMPTY, 1},
    {"123,,,,,,", 0, 0, "", CC_REJ_ID_TOO_SHORT, 1},
    /* name_* beats school_code_* */
    {ID_D ",  ,,在籍,,,", 0, 0, "", CC_REJ_NAME_EMPTY, 2},
    {ID_D ",", 'a', 256, ",,在籍,,,", CC_REJ_NAME_TOO_LONG, 2},
    /* school_code_* beats status_* */
    {ID_D ",张三,", 'S', 256, ",,,,", CC_REJ_SCHOOL_CODE_TOO_LONG, 3},
    {ID_D ",张三,,在校,,,", 0, 0, "", CC_REJ_SCHOOL_CODE_EMPTY, 3},
    /* status_* beats amount_invalid */
    {ID_D ",张三,S1,,,abc,", 0, 0, "", CC_REJ_STATUS_EMPTY, 4},
    {ID_D ",张三,S1,在校,,abc,", 0, 0, "", CC_REJ_STATUS_UNKNOWN, 4},
    /* both amounts bad: the grant column comes first */
    {ID_D ",张三,S1,在籍,,abc,xyz", 0, 0, "", CC_REJ_AMOUNT_INVALID, 6},
    {ID_D ",张三,S1,在籍,,1,xyz", 0, 0, "", CC_REJ_AMOUNT_INVALID, 7},
};

static void run_reject_table(const rej_row *rows, size_t n, const char *name)
{
  sbuf b = {0};
  coll c;
  cc_ingest_stats st;
  cc_ingest_options o = base_opts();
  size_t i, want_rej = 0;
  int rc;

  sb_add(&b, HDR7 "\n");
  for (i = 0; i < n; i++) {
    sb_add(&b, rows[i].prefix);
    sb_fill(&b, rows[i].fill, rows[i].n);
    sb_add(&b, rows[i].suffix);
    sb_add(&b, i % 2 ? "\r\n" : "\n");
    want_rej += rows[i].code != 0;
  }
  /* The bad bytes would make the automatic choice GB18030. */
  o.encoding = CC_ENC_UTF8;
  coll_init(&c);
  rc = ingest_opts(&c, &st, write_file(name, b.p, b.n), &o);
  ck_assert_msg(rc == 0, "rc %d: %s", rc, cc_error_last());
  for (i = 0; i < n; i++) {
    uint32_t line = (uint32_t)i + 2;
    if (rows[i].code) {
      ck_rej(&c, line, rows[i].column, rows[i].code);
      ck_assert_msg(rec_at(&c, line) == NULL, "line %u also a record", line);
    } else {
      ck_assert_msg(
          rec_at(&c, line) != NULL, "no record at line %u (%s)", line,
          rej_at(&c, line)
              ? cc_reject_code_str((cc_reject_code)rej_at(&c, line)->code)
              : "-");
    }
  }
  ck_assert_uint_eq(c.n_rej, want_rej);
  ck_assert_uint_eq(c.n_rec, n - want_rej);
  ck_assert_uint_eq(st.rejects, want_rej);
  ck_assert_uint_eq(st.records, n - want_rej);
  ck_assert_uint_eq(st.lines, n + 1);
  coll_dispose(&c);
  free(b.p);
}

START_TEST(test_ingest_reject_codes)
{
  run_reject_table(reject_rows, sizeof reject_rows / sizeof reject_rows[0],
                   "rejects.csv");
}
END_TEST

START_TEST(test_ingest_reject_priority)
{
  run_reject_table(priority_rows,
                   sizeof priority_rows / sizeof priority_rows[0],
                   "priority.csv");
}
END_TEST

START_TEST(test_ingest_accepted_edges)
{
  /* The rows of the reject table that pass keep their values whole. */
  sbuf b = {0};
  coll c;
  cc_ingest_stats st;
  const got_rec *g;
  sb_add(&b, HDR7 "\n" ID_D ",");
  sb_fill(&b, 'a', 255);
  sb_add(&b, ",");
  sb_fill(&b, 'S', 255);
  sb_add(&b, ",在籍,\"");
  sb_fill(&b, 'x', 65534);
  sb_add(&b, "\"\"\",,\n"); /* 65534 x and one escaped quote: 65535 bytes */
  coll_init(&c);
  ingest_ok(&c, &st, write_file("edges.csv", b.p, b.n));
  ck_assert_uint_eq(c.n_rec, 1);
  g = rec_at(&c, 2);
  ck_assert_ptr_nonnull(g);
  ck_assert_uint_eq(strlen(g->name), 255);
  ck_assert_uint_eq(strlen(g->folded), 255);
  ck_assert_int_eq(g->folded[0], 'A');
  ck_assert_uint_eq(strlen(g->text[CC_COL_SCHOOL_CODE]), 255);
  ck_assert_uint_eq(strlen(g->text[CC_COL_SCHOOL_NAME]), 65535);
  ck_assert_int_eq(g->text[CC_COL_SCHOOL_NAME][65534], '"');
  coll_dispose(&c);
  free(b.p);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Encodings. */

START_TEST(test_ingest_encoding_names)
{
  ck_assert_int_eq(cc_encoding_parse("auto"), CC_ENC_AUTO);
  ck_assert_int_eq(cc_encoding_parse("UTF-8"), CC_ENC_UTF8);
  ck_assert_int_eq(cc_encoding_parse("utf8"), CC_ENC_UTF8);
  ck_assert_int_eq(cc_encoding_parse("GB18030"), CC_ENC_GB18030);
  ck_assert_int_eq(cc_encoding_parse("gbk"), CC_ENC_GB18030);
  ck_assert_int_eq(cc_encoding_parse("GB2312"), CC_ENC_GB18030);
  ck_assert_int_eq(cc_encoding_parse("latin1"), -1);
  ck_assert_int_eq(cc_encoding_parse(""), -1);
  ck_assert_str_eq(cc_encoding_name(CC_ENC_UTF8), "UTF-8");
  ck_assert_str_eq(cc_encoding_name(CC_ENC_GB18030), "GB18030");
}
END_TEST

/* A GB18030 roster: header and words through iconv, names as known bytes.
 * line 2 张三 (D5C5 C8FD), line 3 张 and a byte 0xFF that is no GB18030,
 * line 4 张 with its second byte cut (D5 then ','), line 5 张三 again,
 * line 6 王𠮷 (王 two bytes, 𠮷 four), CRLF throughout. */
static char *gb_roster(size_t *len)
{
  sbuf b = {0};
  char *hdr = to_gb18030("身份证号,姓名,学校代码,学籍状态,学校名称\r\n");
  char *st = to_gb18030("在籍");
  char *school = to_gb18030("第一中学");
  /* The hand-made bytes agree with iconv. */
  char *zs = to_gb18030("张三");
  /* 𠮷 (U+20BB7) takes a four-byte sequence, whose bytes 2 and 4 are
   * ASCII digits */
  char *wang = to_gb18030("王𠮷");
  ck_assert_str_eq(zs, "\xD5\xC5\xC8\xFD");
  sb_add(&b, hdr);
  sb_printf(&b, ID_D ",\xD5\xC5\xC8\xFD,S1,%s,%s\r\n", st, school);
  sb_printf(&b, ID_A ",\xD5\xC5\xFF,S1,%s,\r\n", st);
  sb_printf(&b, ID_E ",\xD5,S1,%s,\r\n", st);
  sb_printf(&b, ID_A ",\xD5\xC5\xC8\xFD,S2,%s,\r\n", st);
  sb_printf(&b, ID_E ",%s,S3,%s,\r\n", wang, st);
  free(wang);
  free(hdr);
  free(st);
  free(school);
  free(zs);
  *len = b.n;
  return b.p;
}

static void check_gb(const coll *c, const cc_ingest_stats *st)
{
  char *wang_gb = to_gb18030("王𠮷");
  ck_assert_int_eq(st->encoding, CC_ENC_GB18030);
  ck_assert_uint_eq(c->n_rec, 3);
  ck_rec(c, 2, ID_D, "张三", "S1");
  ck_assert_str_eq(rec_at(c, 2)->text[CC_COL_SCHOOL_NAME], "第一中学");
  ck_assert_int_eq(rec_at(c, 2)->status, CC_STATUS_ENROLLED);
  ck_rej(c, 3, 2, CC_REJ_BAD_TEXT);
  ck_rej(c, 4, 2, CC_REJ_BAD_TEXT);
  ck_rec(c, 5, ID_A, "张三", "S2");
  ck_rec(c, 6, ID_E, "王𠮷", "S3");
  ck_assert_uint_eq(strlen(wang_gb), 6);
  ck_assert_uint_eq(st->lines, 6);
  free(wang_gb);
}

START_TEST(test_ingest_gb18030_detected)
{
  coll c;
  cc_ingest_stats st;
  size_t n;
  char *data = gb_roster(&n);
  coll_init(&c);
  ingest_ok(&c, &st, write_file("gb.csv", data, n));
  check_gb(&c, &st);
  coll_dispose(&c);
  free(data);
}
END_TEST

START_TEST(test_ingest_gb18030_forced)
{
  coll c;
  cc_ingest_stats st;
  cc_ingest_options o = base_opts();
  size_t n;
  char *data = gb_roster(&n);
  o.encoding = CC_ENC_GB18030;
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, write_file("gbf.csv", data, n), &o), 0);
  check_gb(&c, &st);
  coll_dispose(&c);
  free(data);
}
END_TEST

START_TEST(test_ingest_encoding_forced_wins)
{
  /* An ASCII header, so that either reading finds the columns.
   * line 2: GB18030 张三; line 3: the UTF-8 bytes of 你好. */
  const char *p =
      write_str("either.csv", "id_number,name,school_code,status\n" ID_D
                              ",\xD5\xC5\xC8\xFD,S1,enrolled\n" ID_A
                              ",\xE4\xBD\xA0\xE5\xA5\xBD,S1,enrolled\n");
  cc_ingest_options o = base_opts();
  cc_ingest_stats st;
  coll c;

  /* Automatic: not UTF-8, so GB18030; line 3 is UTF-8 (it would read as
   * 浣犲ソ): a mixed file, refused with the line named. */
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), CC_EINVALID);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "mixed encodings"));
  ck_assert_ptr_nonnull(strstr(
      cc_error_last(), "reads as GB18030, but 1 line is UTF-8 (line 3)"));
  ck_assert_uint_eq(st.mixed_lines, 1);
  ck_assert_uint_eq(st.mixed_first[0], 3);
  coll_dispose(&c);

  /* Forced GB18030: the operator's word; line 3 reads as 浣犲ソ. */
  o.encoding = CC_ENC_GB18030;
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), 0);
  ck_assert_int_eq(st.encoding, CC_ENC_GB18030);
  ck_rec(&c, 2, ID_D, "张三", "S1");
  ck_rec(&c, 3, ID_A, "浣犲ソ", "S1");
  coll_dispose(&c);

  /* Forced UTF-8: the GB18030 name is bad text, 你好 is fine. */
  o.encoding = CC_ENC_UTF8;
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), 0);
  ck_assert_int_eq(st.encoding, CC_ENC_UTF8);
  ck_rej(&c, 2, 2, CC_REJ_BAD_TEXT);
  ck_rec(&c, 3, ID_A, "你好", "S1");
  ck_assert_uint_eq(c.n_rec, 1);
  coll_dispose(&c);

  /* A valid UTF-8 file read automatically stays UTF-8. */
  o.encoding = CC_ENC_AUTO;
  coll_init(&c);
  ck_assert_int_eq(
      ingest_opts(&c, &st,
                  write_str("u8.csv",
                            "id_number,name,school_code,status\n" ID_A
                            ",\xE4\xBD\xA0\xE5\xA5\xBD,S1,enrolled\n"),
                  &o),
      0);
  ck_assert_int_eq(st.encoding, CC_ENC_UTF8);
  ck_rec(&c, 2, ID_A, "你好", "S1");
  coll_dispose(&c);
}
END_TEST

/* ------------------------------------------------------------------ */
/* IDs and names as stored. */

START_TEST(test_ingest_id_cleaning)
{
  /*
   * line 2 'D (Excel's text marker)     -> D, valid
   * line 3 D with spaces and U+3000     -> D, valid
   * line 4 D' (check character 8)       -> kept, invalid check_digit
   * line 5 16 digits                    -> kept, invalid length
   * line 6 440524800101001 (15 digits)  -> 440524198001010013, upgraded
   * line 7 11010519491231002x           -> X upper-cased, valid
   */
  coll c;
  cc_ingest_stats st;
  const got_rec *g;
  coll_init(&c);
  ingest_ok(&c, &st,
            write_str("ids.csv",
                      HDR7 "\n"
                           "'" ID_D ",张三,S1,在籍,,,\n"
                           " 110101 " IDSP "200501011239 ,张三,S2,在籍,,,\n"
                           "110101200501011238,李四,S1,在籍,,,\n"
                           "1101012005010112,王五,S1,在籍,,,\n"
                           "440524800101001,赵六,S1,在籍,,,\n"
                           "11010519491231002x,钱七,S1,在籍,,,\n"));
  ck_assert_uint_eq(c.n_rec, 6);
  ck_assert_uint_eq(c.n_rej, 0);
  ck_rec(&c, 2, ID_D, "张三", "S1");
  ck_assert_int_eq(rec_at(&c, 2)->verdict, CC_ID_VALID);
  ck_rec(&c, 3, ID_D, "张三", "S2");
  ck_assert_uint_eq(rec_at(&c, 2)->id_hash, rec_at(&c, 3)->id_hash);
  g = rec_at(&c, 4);
  ck_assert_str_eq(g->id, "110101200501011238");
  ck_assert_int_eq(g->verdict, CC_ID_INVALID);
  ck_assert_int_eq(g->reason, CC_IDR_CHECK_DIGIT);
  ck_assert_uint_ne(g->id_hash, rec_at(&c, 2)->id_hash);
  g = rec_at(&c, 5);
  ck_assert_str_eq(g->id, "1101012005010112");
  ck_assert_int_eq(g->id_len, 16);
  ck_assert_int_eq(g->verdict, CC_ID_INVALID);
  ck_assert_int_eq(g->reason, CC_IDR_LENGTH);
  g = rec_at(&c, 6);
  ck_assert_str_eq(g->id, "440524198001010013");
  ck_assert_int_eq(g->upgraded, 1);
  ck_assert_int_eq(g->verdict, CC_ID_VALID);
  ck_assert_str_eq(rec_at(&c, 7)->id, ID_A);
  ck_assert_int_eq(rec_at(&c, 7)->verdict, CC_ID_VALID);
  ck_assert_uint_eq(st.id_invalid[CC_IDR_CHECK_DIGIT], 1);
  ck_assert_uint_eq(st.id_invalid[CC_IDR_LENGTH], 1);
  ck_assert_uint_eq(st.id_invalid[CC_IDR_OK], 0);
  ck_assert_uint_eq(st.id_upgraded, 1);
  coll_dispose(&c);
}
END_TEST

START_TEST(test_ingest_name_forms)
{
  /* rec.name as registered (outer blanks trimmed), rec.name_folded as
   * SPEC 2.2 folds it. */
  coll c;
  cc_ingest_stats st;
  coll_init(&c);
  ingest_ok(&c, &st,
            write_str("names.csv", HDR7 "\n" ID_D ",張偉,S1,在籍,,,\n" ID_D
                                        ",  张 伟 ,S1,在籍,,,\n" ID_D
                                        ",John Smith,S1,在籍,,,\n" ID_D
                                        ",阿依古丽•买买提,S1,在籍,,,\n" ID_D
                                        "," IDSP "王𠮷" IDSP ",S1,在籍,,,\n"));
  ck_assert_uint_eq(c.n_rec, 5);
  ck_assert_str_eq(rec_at(&c, 2)->name, "張偉");
  ck_assert_str_eq(rec_at(&c, 2)->folded, "张伟");
  ck_assert_str_eq(rec_at(&c, 3)->name, "张 伟");
  ck_assert_str_eq(rec_at(&c, 3)->folded, "张伟");
  ck_assert_str_eq(rec_at(&c, 4)->name, "John Smith");
  ck_assert_str_eq(rec_at(&c, 4)->folded, "JOHNSMITH");
  ck_assert_str_eq(rec_at(&c, 5)->name, "阿依古丽•买买提");
  ck_assert_str_eq(rec_at(&c, 5)->folded, "阿依古丽·买买提");
  ck_assert_str_eq(rec_at(&c, 6)->name, "王𠮷");
  ck_assert_str_eq(rec_at(&c, 6)->folded, "王𠮷");
  coll_dispose(&c);
}
END_TEST

START_TEST(test_ingest_cell_trim)
{
  /* School codes are compared after trimming surrounding white space
   * (RULES.md): Excel's U+3000 and NBSP included. */
  coll c;
  cc_ingest_stats st;
  coll_init(&c);
  ingest_ok(&c, &st,
            write_str("trim.csv",
                      HDR7 "\n" ID_D ", 张三 ," IDSP "S1" NBSP ", 在籍 ," NBSP
                           "一中" IDSP ", 1000 ,\n" ID_D
                           ",张三,\t S1 \t,在籍,一中,,\n"));
  ck_assert_uint_eq(c.n_rec, 2);
  ck_rec(&c, 2, ID_D, "张三", "S1");
  ck_rec(&c, 3, ID_D, "张三", "S1");
  ck_assert_str_eq(rec_at(&c, 2)->text[CC_COL_SCHOOL_NAME], "一中");
  ck_assert_int_eq(rec_at(&c, 2)->grant, 100000);
  coll_dispose(&c);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Files that cannot be read, and stopping. */

START_TEST(test_ingest_nonexistent)
{
  coll c;
  cc_ingest_stats st;
  cc_ingest_options o = base_opts();
  char path[128];
  snprintf(path, sizeof path, "%s/no-such-file.csv", tmpdir);
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, path, &o), CC_ENOTFOUND);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "no-such-file.csv"));
  ck_assert_uint_eq(c.blocks, 0);
  coll_dispose(&c);
}
END_TEST

START_TEST(test_ingest_empty_file)
{
  coll c;
  cc_ingest_stats st;
  cc_ingest_options o = base_opts();
  const char *p = write_file("empty.csv", "", 0);
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), CC_EINVALID);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), p));
  ck_assert_uint_eq(c.blocks, 0);
  /* a byte order mark alone is empty too */
  p = write_str("bomonly.csv", "\xEF\xBB\xBF");
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), CC_EINVALID);
  coll_dispose(&c);
}
END_TEST

/* n plain rows: line i + 2 holds ID_D, 学生<i>, S<i % 50>, 在籍. */
static sbuf plain_roster(int n)
{
  sbuf b = {0};
  int i;
  sb_add(&b, HDR7 "\n");
  for (i = 0; i < n; i++)
    sb_printf(&b, ID_D ",学生%d,S%d,在籍,中学%d,,\n", i, i % 50, i);
  return b;
}

START_TEST(test_ingest_cancel)
{
  coll c;
  cc_ingest_stats st;
  cc_ingest_options o = base_opts();
  volatile sig_atomic_t flag = 0;
  sbuf b = plain_roster(3000);
  const char *p = write_file("cancel.csv", b.p, b.n);

  /* Raised by the first commit: the read stops at the next step. */
  o.block_bytes = 4096;
  o.cancel = &flag;
  coll_init(&c);
  c.cancel = &flag;
  c.cancel_after = 1;
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), CC_EINTERRUPTED);
  ck_assert_uint_ge(c.blocks, 1);
  ck_assert_uint_lt(c.n_rec, 3000);
  coll_dispose(&c);

  /* Raised before the call. */
  flag = 1;
  o.block_bytes = 0;
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), CC_EINTERRUPTED);
  coll_dispose(&c);
  free(b.p);
}
END_TEST

START_TEST(test_ingest_callback_error)
{
  /* What a callback returns stops the read and is returned. */
  coll c;
  cc_ingest_stats st;
  cc_ingest_options o = base_opts();
  sbuf b = plain_roster(2000);
  const char *p = write_file("cb.csv", b.p, b.n);
  o.block_bytes = 4096;
  coll_init(&c);
  c.commit_rc = 42;
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), 42);
  ck_assert_uint_eq(c.blocks, 1);
  coll_dispose(&c);
  coll_init(&c);
  c.work_rc = CC_EINVALID;
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), CC_EINVALID);
  ck_assert_uint_eq(c.blocks, 0);
  coll_dispose(&c);
  free(b.p);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Limits. */

START_TEST(test_ingest_field_max)
{
  /* 65,535 bytes is the longest field; the unquoted field of line 3 and
   * the quoted one of line 5 hold 65,536; line 4 holds 65,535 after its
   * escaped quote is undone; the text after a closing quote counts, and
   * the CR of CRLF does not (line 6: 65,535, line 7: 65,536). */
  sbuf b = {0};
  coll c;
  cc_ingest_stats st;
  sb_add(&b, HDR7 "\n" ID_D ",张三,S1,在籍,");
  sb_fill(&b, 'x', 65535);
  sb_add(&b, ",,\n" ID_D ",张三,S1,在籍,");
  sb_fill(&b, 'x', 65536);
  sb_add(&b, ",,\n" ID_D ",张三,S1,在籍,\"");
  sb_fill(&b, 'x', 65534);
  sb_add(&b, "\"\"\",,\n" ID_D ",张三,S1,在籍,\"");
  sb_fill(&b, 'x', 65536);
  sb_add(&b, "\",,\n" ID_D ",张三,S1,在籍,\"a\"");
  sb_fill(&b, 'x', 65534);
  sb_add(&b, "\r\n" ID_D ",张三,S1,在籍,\"a\"");
  sb_fill(&b, 'x', 65535);
  sb_add(&b, "\r\n" ID_A ",李四,S1,在籍,,,\n");
  coll_init(&c);
  ingest_ok(&c, &st, write_file("fieldmax.csv", b.p, b.n));
  ck_assert_ptr_nonnull(rec_at(&c, 2));
  ck_assert_uint_eq(strlen(rec_at(&c, 2)->text[CC_COL_SCHOOL_NAME]), 65535);
  ck_rej(&c, 3, 5, CC_REJ_FIELD_TOO_LONG);
  ck_assert_ptr_nonnull(rec_at(&c, 4));
  ck_rej(&c, 5, 5, CC_REJ_FIELD_TOO_LONG);
  ck_assert_ptr_nonnull(rec_at(&c, 6));
  ck_assert_uint_eq(strlen(rec_at(&c, 6)->text[CC_COL_SCHOOL_NAME]), 65535);
  ck_rej(&c, 7, 5, CC_REJ_FIELD_TOO_LONG);
  ck_rec(&c, 8, ID_A, "李四", "S1");
  ck_assert_uint_eq(c.n_rec, 4);
  ck_assert_uint_eq(c.n_rej, 3);
  coll_dispose(&c);
  free(b.p);
}
END_TEST

START_TEST(test_ingest_unterminated_quote)
{
  /*
   * line 3 opens a quote in its name (column 2) that nothing closes: the
   * row is rejected at line 3, and lines 4 and 5 are read as rows.
   * Then the same with the quote in column 5, CRLF, no final newline, and
   * the row's other fault (empty ID) outranked. No quote may follow the
   * open one: it would close it, and the row would then be well formed.
   */
  coll c;
  cc_ingest_stats st;
  coll_init(&c);
  ingest_ok(&c, &st,
            write_str("unterm.csv",
                      HDR7 "\n" ID_D ",张三,S1,在籍,,,\n" ID_A
                           ",\"李四,S1,在籍,,,\n" ID_E ",王五,S2,在籍,,,\n" ID_D
                           ",赵六,S3,在籍,,,\n"));
  ck_rec(&c, 2, ID_D, "张三", "S1");
  ck_rej(&c, 3, 2, CC_REJ_UNTERMINATED_QUOTE);
  ck_rec(&c, 4, ID_E, "王五", "S2");
  ck_rec(&c, 5, ID_D, "赵六", "S3");
  ck_assert_uint_eq(c.n_rec, 3);
  ck_assert_uint_eq(c.n_rej, 1);
  ck_assert_uint_eq(st.lines, 5);
  coll_dispose(&c);

  coll_init(&c);
  ingest_ok(&c, &st,
            write_str("unterm2.csv",
                      HDR7 "\r\n" ID_D ",张三,S1,在籍,\"a\nb\",,\r\n"
                           ",李四,S1,在籍,\"一中,,\r\n" ID_E
                           ",王五,S2,在籍,,,\r\n" ID_A
                           ",赵六,S3,在籍,,,\r\n" ID_D ",钱七,S4,在籍,,,"));
  ck_rec(&c, 2, ID_D, "张三", "S1");
  ck_rej(&c, 4, 5, CC_REJ_UNTERMINATED_QUOTE);
  ck_rec(&c, 5, ID_E, "王五", "S2");
  ck_rec(&c, 6, ID_A, "赵六", "S3");
  ck_rec(&c, 7, ID_D, "钱七", "S4");
  ck_assert_uint_eq(c.n_rec, 4);
  ck_assert_uint_eq(c.n_rej, 1);
  ck_assert_uint_eq(st.lines, 7);
  coll_dispose(&c);

  /* The last line itself is the broken row, without a newline. */
  coll_init(&c);
  ingest_ok(&c, &st,
            write_str("unterm3.csv", HDR7 "\n" ID_D ",张三,S1,在籍,,,\n" ID_A
                                          ",李四,\"S1,在籍,,,"));
  ck_rec(&c, 2, ID_D, "张三", "S1");
  ck_rej(&c, 3, 3, CC_REJ_UNTERMINATED_QUOTE);
  ck_assert_uint_eq(st.lines, 3);
  coll_dispose(&c);
}
END_TEST

/* The four settings of the runaway test and the six of the block test. */
static const size_t block_sizes[] = {4096, 65536, 0};

START_TEST(test_ingest_runaway_quote)
{
  /*
   * line 2 plain; line 3 opens a quote in column 5 and runs on for more
   * than CC_ROW_MAX bytes (1.1 MiB on that one physical line, then more
   * rows that no quote closes): a broken row, field_too_long at line 3,
   * column 5; lines 4 to 6 are read as rows.
   */
  sbuf b = {0};
  coll c;
  cc_ingest_stats st;
  cc_ingest_options o = base_opts();
  int rc;
  o.block_bytes = _i / 2 ? 0 : 4096;
  o.threads = 1 + _i % 2;
  sb_add(&b, HDR7 "\n" ID_D ",张三,S1,在籍,,,\n" ID_A ",李四,S2,在籍,\"");
  sb_fill(&b, 'x', 1100 * 1024);
  sb_add(&b, ",,\n" ID_E ",王五,S3,在籍,,,\n" ID_D
             ",赵六,S4,在籍,\"a\nb\",,\n" ID_A ",钱七,S5,在籍,,,\n");
  coll_init(&c);
  rc = ingest_opts(&c, &st, write_file("runaway.csv", b.p, b.n), &o);
  ck_assert_msg(rc == 0, "rc %d: %s", rc, cc_error_last());
  ck_assert_int_eq(c.seq_bad, 0);
  ck_rec(&c, 2, ID_D, "张三", "S1");
  ck_rej(&c, 3, 5, CC_REJ_FIELD_TOO_LONG);
  ck_rec(&c, 4, ID_E, "王五", "S3");
  ck_rec(&c, 5, ID_D, "赵六", "S4");
  ck_assert_str_eq(rec_at(&c, 5)->text[CC_COL_SCHOOL_NAME], "a\nb");
  ck_rec(&c, 7, ID_A, "钱七", "S5");
  ck_assert_msg(c.n_rej == 1, "%zu rejects", c.n_rej);
  ck_assert_uint_eq(c.n_rec, 4);
  ck_assert_uint_eq(st.lines, 7);
  coll_dispose(&c);
  free(b.p);
}
END_TEST

START_TEST(test_ingest_tiny_blocks)
{
  /* Blocks smaller than the header and than a character: the rows of
   * test_ingest_quoted_newline all the same. */
  static const size_t sizes[] = {1, 2, 7, 61};
  const char *p = write_str("tiny.csv", HDR7
                            "\n" ID_D ",张三,S1,在籍,\"第一\n中学\",,\n" ID_A
                            ",李四,S2,在籍,\"a\r\nb\nc\",,\r\n" ID_E
                            ",王五,S3,在籍,,,\n" ID_D
                            ",\"张\n三\",S4,在籍,,,\n" ID_A ",赵六,S5,在籍,,,");
  size_t k;
  for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    coll c;
    cc_ingest_stats st;
    cc_ingest_options o = base_opts();
    int rc;
    o.block_bytes = sizes[k];
    coll_init(&c);
    rc = ingest_opts(&c, &st, p, &o);
    ck_assert_msg(rc == 0, "block %zu: rc %d: %s", sizes[k], rc,
                  cc_error_last());
    ck_assert_int_eq(st.encoding, CC_ENC_UTF8);
    ck_assert_int_eq(c.seq_bad, 0);
    ck_assert_uint_eq(c.n_rec, 5);
    ck_assert_uint_eq(c.n_rej, 0);
    ck_rec(&c, 2, ID_D, "张三", "S1");
    ck_assert_str_eq(rec_at(&c, 2)->text[CC_COL_SCHOOL_NAME], "第一\n中学");
    ck_rec(&c, 4, ID_A, "李四", "S2");
    ck_assert_str_eq(rec_at(&c, 4)->text[CC_COL_SCHOOL_NAME], "a\r\nb\nc");
    ck_rec(&c, 7, ID_E, "王五", "S3");
    ck_rec(&c, 8, ID_D, "张\n三", "S4");
    ck_rec(&c, 10, ID_A, "赵六", "S5");
    ck_assert_uint_eq(st.lines, 10);
    coll_dispose(&c);
  }
}
END_TEST

/*
 * The block-boundary roster: a header and N rows, with their expected
 * trace (the on_commit format), built side by side. Row i:
 *   i % 101 == 50   ",,,,,," (blank)      i % 211 == 100  empty line
 *   otherwise       ID 1101012000MMDD<i%1000><check>, name 学生<i>
 *                   (i % 13 == 0: "学""生<i>" = 学"生<i>; i % 31 == 0:
 *                   "张,<i>"), school S<i%50> (i % 37 == 0: S5'11"<i>),
 *                   status 在籍 (i % 89 == 0: Enrolled; i % 97 == 0: 在校,
 *                   rejected at column 4), school name 中学<i> (i % 17:
 *                   "第一\n中学", i % 19: "第二\r\n中学", i % 23:
 *                   "北京,海淀", i % 43: "a\n\nb"), grant "1,000.50" when
 *                   i % 29 == 0; CRLF when i % 7 == 3.
 */
#define BLOCK_ROWS 5000

static void gen_block_roster(sbuf *file, sbuf *trace, uint64_t *records,
                             uint64_t *rejects, uint64_t *blank,
                             uint64_t *lines)
{
  uint32_t line = 2;
  int i;
  *records = *rejects = *blank = 0;
  sb_add(file, HDR7 "\r\n");
  for (i = 0; i < BLOCK_ROWS; i++) {
    const char *eol = i % 7 == 3 ? "\r\n" : "\n";
    char d17[18], id[19], name[64], name_csv[64], school[32], sname[64],
        sname_csv[64];
    const char *status = "在籍", *grant_csv = "";
    long long grant = 0;
    int extra = 0, reject = 0;
    if (i % 101 == 50) {
      sb_add(file, ",,,,,,");
      sb_add(file, eol);
      (*blank)++;
      line++;
      continue;
    }
    if (i % 211 == 100) {
      sb_add(file, eol);
      (*blank)++;
      line++;
      continue;
    }
    snprintf(d17, sizeof d17, "1101012000%02d%02d%03d", 1 + i % 12, 1 + i % 28,
             i % 1000);
    snprintf(id, sizeof id, "%s%c", d17, tu_check_char(d17));
    if (i % 13 == 0) {
      snprintf(name, sizeof name, "学\"生%d", i);
      snprintf(name_csv, sizeof name_csv, "\"学\"\"生%d\"", i);
    } else if (i % 31 == 0) {
      snprintf(name, sizeof name, "张,%d", i);
      snprintf(name_csv, sizeof name_csv, "\"张,%d\"", i);
    } else {
      snprintf(name, sizeof name, "学生%d", i);
      snprintf(name_csv, sizeof name_csv, "学生%d", i);
    }
    if (i % 37 == 0)
      snprintf(school, sizeof school, "S5'11\"%d", i);
    else
      snprintf(school, sizeof school, "S%d", i % 50);
    if (i % 97 == 0) {
      status = "在校";
      reject = 1;
    } else if (i % 89 == 0) {
      status = "Enrolled";
    }
    if (i % 17 == 0) {
      strcpy(sname, "第一\n中学");
      strcpy(sname_csv, "\"第一\n中学\"");
      extra = 1;
    } else if (i % 19 == 0) {
      strcpy(sname, "第二\r\n中学");
      strcpy(sname_csv, "\"第二\r\n中学\"");
      extra = 1;
    } else if (i % 23 == 0) {
      strcpy(sname, "北京,海淀");
      strcpy(sname_csv, "\"北京,海淀\"");
    } else if (i % 43 == 0) {
      strcpy(sname, "a\n\nb");
      strcpy(sname_csv, "\"a\n\nb\"");
      extra = 2;
    } else {
      snprintf(sname, sizeof sname, "中学%d", i);
      snprintf(sname_csv, sizeof sname_csv, "中学%d", i);
    }
    if (i % 29 == 0) {
      grant_csv = "\"1,000.50\"";
      grant = 100050;
    }
    sb_printf(file, "%s,%s,%s,%s,%s,%s,%s", id, name_csv, school, status,
              sname_csv, grant_csv, eol);
    if (reject) {
      sb_printf(trace, "J %u 4 status_unknown\n", line);
      (*rejects)++;
    } else {
      sb_printf(trace, "R %u %s %s %s %s %lld\n", line, id, name, school, sname,
                grant);
      (*records)++;
    }
    line += 1 + extra;
  }
  *lines = line - 1;
}

/* Where two traces part, for the failure message. */
static const char *first_difference(const char *a, const char *b, char *out,
                                    size_t cap)
{
  size_t i = 0, ls = 0;
  while (a[i] && a[i] == b[i]) {
    if (a[i] == '\n')
      ls = i + 1;
    i++;
  }
  snprintf(out, cap, "got \"%.80s\" expected \"%.80s\"", a + ls, b + ls);
  return out;
}

START_TEST(test_ingest_block_boundaries)
{
  sbuf file = {0}, want = {0};
  uint64_t records, rejects, blank, lines, k;
  coll c;
  cc_ingest_stats st;
  cc_ingest_options o = base_opts();
  char diff[256];
  int rc;
  size_t min_blocks;

  o.block_bytes = block_sizes[_i / 2];
  o.threads = 1 + _i % 2;
  gen_block_roster(&file, &want, &records, &rejects, &blank, &lines);
  coll_init(&c);
  c.threads = o.threads;
  c.n_slots = 100000;
  c.slots = calloc(c.n_slots, sizeof *c.slots);
  ck_assert_ptr_nonnull(c.slots);
  o.progress = on_progress;
  o.progress_ctx = &c;
  rc = ingest_opts(&c, &st, write_file("blocks.csv", file.p, file.n), &o);
  ck_assert_msg(rc == 0, "rc %d: %s", rc, cc_error_last());

  /* The rows, in order, whatever the block size and threads. */
  ck_assert_msg(
      c.trace.p != NULL && strcmp(c.trace.p, want.p) == 0,
      "block %zu threads %d: %s", o.block_bytes, o.threads,
      first_difference(c.trace.p ? c.trace.p : "", want.p, diff, sizeof diff));
  ck_assert_uint_eq(st.records, records);
  ck_assert_uint_eq(st.rejects, rejects);
  ck_assert_uint_eq(st.blank, blank);
  ck_assert_uint_eq(st.lines, lines);
  ck_assert_uint_eq(st.bytes, file.n);

  /* Blocks in order; small reads make many of them. */
  ck_assert_int_eq(c.seq_bad, 0);
  min_blocks = file.n / (2 * (o.block_bytes ? o.block_bytes : 65536));
  ck_assert_msg(c.blocks >= min_blocks, "%llu blocks, expected at least %zu",
                (unsigned long long)c.blocks, min_blocks);
  ck_assert_uint_lt(c.blocks, c.n_slots);

  /* `work` ran once per block, with what commit then got. */
  ck_assert_int_eq(atomic_load(&c.work_bad), 0);
  for (k = 0; k < c.blocks; k++)
    ck_assert_int_eq(atomic_load(&c.slots[k].calls), 1);
  for (; k < c.n_slots; k++)
    ck_assert_int_eq(atomic_load(&c.slots[k].calls), 0);

  ck_assert_int_gt(c.progress_calls, 0);
  ck_assert_int_eq(c.progress_backwards, 0);
  ck_assert_uint_eq(c.progress_last, file.n);
  coll_dispose(&c);
  free(file.p);
  free(want.p);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The cell-text check (utf8_internal.h): the SSE2 version, when built,
 * and the scalar one against a plain reference, on edge cases at every
 * offset of a 16-byte block. */

/* The reference: utf8_decode one character at a time, then NUL and
 * U+FFFD looked for separately. */
static int text_ok_ref(const unsigned char *s, size_t n)
{
  size_t i = 0;
  while (i < n) {
    uint32_t cp;
    if (s[i] == 0)
      return 0;
    if (s[i] < 0x80) {
      i++;
      continue;
    }
    {
      size_t k = utf8_decode(s + i, s + n, &cp);
      if (k == 0 || cp == 0xFFFD)
        return 0;
      i += k;
    }
  }
  return 1;
}

/* Checks both versions on s[0, n), copied to the heap without slack so
 * that a read past either end is caught by the sanitizers. */
static void ck_text(const unsigned char *s, size_t n)
{
  unsigned char *h = malloc(n ? n : 1);
  int want;
  ck_assert_ptr_nonnull(h);
  memcpy(h, s, n);
  want = text_ok_ref(h, n);
  if (utf8_text_ok_scalar(h, n) != want || utf8_text_ok(h, n) != want) {
    char hex[3 * 80 + 1] = "";
    size_t i;
    for (i = 0; i < n && i < 80; i++)
      snprintf(hex + 3 * i, 4, "%02X ", h[i]);
    ck_abort_msg("text_ok(%zu bytes: %s): scalar %d, fast %d, want %d", n, hex,
                 utf8_text_ok_scalar(h, n), utf8_text_ok(h, n), want);
  }
  free(h);
}

/* Bytes that matter to a validator: edges of every range. */
static const unsigned char probe_bytes[] = {
    0x00, 0x01, 0x20, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBD,
    0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xE4, 0xEC, 0xED, 0xEE,
    0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF8, 0xFE, 0xFF};

/* Third bytes: the edges that matter after a lead and a second byte. */
static const unsigned char probe_third[] = {0x00, 0x41, 0x80, 0x8F, 0x90,
                                            0x9F, 0xA0, 0xBD, 0xBF, 0xC2,
                                            0xE4, 0xF0, 0xFF};

/* Where a sequence starts: around the edges of the first two 16-byte
 * blocks and the end of the buffer (ASCII padding), or on character
 * boundaries of 中 padding. */
static const size_t probe_off[2][16] = {
    {0, 1, 2, 3, 12, 13, 14, 15, 16, 17, 18, 29, 30, 31, 32, 33},
    {0, 3, 12, 15, 18, 30, 33}};

START_TEST(test_text_ok_sequences)
{
  /* Every sequence of two probe bytes and a third, and of four with a
   * lead from F0-F4, at the offsets above in ASCII or 中 (E4 B8 AD)
   * padding, with the buffer ending right after the sequence or later. */
  const size_t np = sizeof probe_bytes;
  unsigned char buf[64];
  size_t a, b, c, o, off, len;
  int pad;
  for (pad = 0; pad < 2; pad++)
    for (a = 0; a < np; a++)
      for (b = 0; b < np; b++)
        for (c = 0; c < sizeof probe_third; c++)
          for (o = 0; o < 16 && (o == 0 || probe_off[pad][o] != 0); o++) {
            size_t k;
            off = probe_off[pad][o];
            for (k = 0; k < sizeof buf; k++)
              buf[k] = pad ? (unsigned char)"\xE4\xB8\xAD"[k % 3] : 'a';
            buf[off] = probe_bytes[a];
            buf[off + 1] = probe_bytes[b];
            buf[off + 2] = probe_third[c];
            for (len = off + 1; len <= off + 3; len++)
              ck_text(buf, len);
            ck_text(buf, off + 3 + 3 * (size_t)pad + 7);
            if (probe_bytes[a] >= 0xF0 && probe_bytes[a] <= 0xF4) {
              buf[off + 3] = 0x80;
              ck_text(buf, off + 4);
              buf[off + 3] = 0x41;
              ck_text(buf, off + 4);
            }
          }
}
END_TEST

START_TEST(test_text_ok_marks)
{
  /* U+FFFD, NUL and a lone continuation byte at every offset of buffers
   * of 1 to 70 bytes; a character cut by the end at every length. */
  static const char *const marks[] = {"\xEF\xBF\xBD", "",
                                      "\x80",         "\xEF\xBF\xBC",
                                      "\xEF\xBE\xBD", "\xF0\x9F\x98\x80"};
  unsigned char buf[80];
  size_t n, at, m, k;
  for (m = 0; m < sizeof marks / sizeof marks[0]; m++) {
    size_t ml = m == 1 ? 1 : strlen(marks[m]);
    for (n = 1; n <= 70; n++)
      for (at = 0; at + ml <= n; at++) {
        for (k = 0; k < n; k++)
          buf[k] = (k / 3) % 2 ? (unsigned char)"\xE5\xBC\xA0"[k % 3] : '7';
        /* keep the padding whole around the mark: ASCII on both sides */
        for (k = at >= 3 ? at - 3 : 0; k < at + ml + 3 && k < n; k++)
          buf[k] = 'x';
        memcpy(buf + at, m == 1 ? "\0" : marks[m], ml);
        ck_text(buf, n);
      }
  }
  for (n = 0; n <= 40; n++) {
    for (k = 0; k < n; k++)
      buf[k] =
          (unsigned char)"\xE5\xBC\xA0"[k % 3]; /* 张张张... cut anywhere */
    ck_text(buf, n);
    for (k = 0; k < n; k++)
      buf[k] = (unsigned char)"\xF0\xA0\xAE\xB7"[k % 4]; /* 𠮷 */
    ck_text(buf, n);
  }
  ck_assert_int_eq(utf8_text_ok((const unsigned char *)"", 0), 1);
}
END_TEST

START_TEST(test_text_ok_random)
{
  /* Random text built from pieces that are mostly right (ASCII, CJK,
   * two- and four-byte characters) with now and then a wrong byte. */
  static const char *const pieces[] = {"a",
                                       "0",
                                       ",",
                                       " ",
                                       "\xE5\xBC\xA0",
                                       "\xE4\xB8\x89",
                                       "\xC2\xA0",
                                       "\xE3\x80\x80",
                                       "\xF0\xA0\xAE\xB7",
                                       "\xED\x9F\xBF",
                                       "\xEE\x80\x80",
                                       "\xEF\xBF\xBF",
                                       "\xE0\xA0\x80",
                                       "\xF4\x8F\xBF\xBF",
                                       "\xF0\x90\x80\x80"};
  static const unsigned char wrong[] = {0x00, 0x80, 0xBF, 0xC0, 0xC1, 0xE0,
                                        0xED, 0xF0, 0xF4, 0xF5, 0xFF, 0xA0};
  uint64_t x = 88172645463325252ull;
  unsigned char buf[512];
  int iter;
  for (iter = 0; iter < 50000; iter++) {
    size_t n = 0, want;
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    want = (size_t)(x % 300);
    while (n < want) {
      const char *pc;
      size_t pl;
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      if (x % 97 == 0) {
        buf[n++] = wrong[(x >> 8) % sizeof wrong];
        continue;
      }
      pc = pieces[(x >> 8) % (sizeof pieces / sizeof pieces[0])];
      pl = strlen(pc);
      if (n + pl > sizeof buf)
        break;
      memcpy(buf + n, pc, pl);
      n += pl;
    }
    ck_text(buf, n);
    if (n > 0)
      ck_text(buf, n - 1 - (size_t)((x >> 20) % n)); /* cut anywhere */
  }
}
END_TEST

START_TEST(test_utf8_decode_three_bytes)
{
  /* utf8_decode's three-byte path against the rules worked out here:
   * every lead E0-EF with every pair of following bytes. */
  unsigned lead, b1, b2;
  for (lead = 0xE0; lead <= 0xEF; lead++)
    for (b1 = 0; b1 < 256; b1++)
      for (b2 = 0; b2 < 256; b2++) {
        unsigned char s[3] = {(unsigned char)lead, (unsigned char)b1,
                              (unsigned char)b2};
        uint32_t cp = 0,
                 want = (lead & 0x0F) << 12 | (b1 & 0x3F) << 6 | (b2 & 0x3F);
        int ok = (b1 & 0xC0) == 0x80 && (b2 & 0xC0) == 0x80 && want >= 0x800 &&
                 !(want >= 0xD800 && want <= 0xDFFF);
        size_t k = utf8_decode(s, s + 3, &cp);
        ck_assert_uint_eq(k, ok ? 3 : 0);
        if (ok)
          ck_assert_uint_eq(cp, want);
        ck_assert_uint_eq(utf8_decode(s, s + 2, &cp), 0); /* cut short */
      }
}
END_TEST

START_TEST(test_ingest_text_checks_in_rows)
{
  /* Whole files: U+FFFD and NUL in each column at many row offsets (the
   * file-wide check finds the chunk unclean, the per-cell one names the
   * column), and a clean file around them. */
  sbuf f = {0};
  coll c;
  cc_ingest_stats st;
  int row, col;
  uint32_t line = 2;
  coll_init(&c);
  sb_add(&f, HDR7 "\n");
  for (row = 0; row < 40; row++)
    for (col = 1; col <= 5; col++) {
      const char *mark =
          row % 2 ? "\xEF\xBF\xBD" : "\x01"; /* \x01: NUL below */
      char cells[5][64];
      char pad[32];
      int k;
      memset(pad, 'a', sizeof pad);
      pad[row % 17] = '\0';
      snprintf(cells[0], sizeof cells[0], "%s", ID_D);
      snprintf(cells[1], sizeof cells[1], "张三");
      snprintf(cells[2], sizeof cells[2], "S1");
      snprintf(cells[3], sizeof cells[3], "在籍");
      snprintf(cells[4], sizeof cells[4], "一中%s", pad);
      snprintf(cells[col - 1] + strlen(cells[col - 1]),
               sizeof cells[0] - strlen(cells[col - 1]), "%s%s", pad, mark);
      for (k = 0; k < 5; k++) {
        if (k)
          sb_add(&f, ",");
        sb_add(&f, cells[k]);
      }
      sb_add(&f, ",,\n");
      sb_add(&f, ID_E ",李四,S2,在籍,二中,,\n");
    }
  {
    size_t i;
    for (i = 0; i < f.n; i++)
      if (f.p[i] == '\x01')
        f.p[i] = '\0';
  }
  ingest_ok(&c, &st, write_file("marks.csv", f.p, f.n));
  ck_assert_uint_eq(c.n_rec, 200);
  ck_assert_uint_eq(c.n_rej, 200);
  for (row = 0; row < 40; row++)
    for (col = 1; col <= 5; col++) {
      ck_rej(&c, line, col, CC_REJ_BAD_TEXT);
      ck_rec(&c, line + 1, ID_E, "李四", "S2");
      line += 2;
    }
  coll_dispose(&c);
  free(f.p);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The files real users have (issue 10). */

/* Old Mac exports end lines in a lone CR: the same four rows as LF. */
START_TEST(test_ingest_lone_cr)
{
  basic_with_eol("\r", "cr.csv");
}
END_TEST

/* A lone-CR file with a line break (a CR) inside a quoted school name:
 * the name keeps it (as LF) and the next row starts two lines down. */
START_TEST(test_ingest_lone_cr_quoted)
{
  coll c;
  cc_ingest_stats st;
  coll_init(&c);
  ingest_ok(&c, &st,
            write_str("crq.csv",
                      HDR7 "\r" ID_D ",张三,S1,在籍,\"第一\r中学\",,\r" ID_A
                           ",李四,S2,在籍,,,\r"));
  ck_rec(&c, 2, ID_D, "张三", "S1");
  ck_assert_str_eq(rec_at(&c, 2)->text[CC_COL_SCHOOL_NAME], "第一\n中学");
  ck_rec(&c, 4, ID_A, "李四", "S2");
  ck_assert_uint_eq(st.lines, 4);
  ck_assert_uint_eq(c.n_rec, 2);
  coll_dispose(&c);
}
END_TEST

/* A quote in the header is an error naming file, line and column; a
 * wholly quoted cell (even holding the delimiter) is fine. */
START_TEST(test_ingest_header_quote)
{
  coll c;
  cc_ingest_stats st;
  cc_ingest_options o = base_opts();
  char want[512];
  const char *p;

  /* 免学费 is column 7; the stray quote opens column 8 (备注). */
  p = write_str("hq.csv", HDR7 ",\"备注\n" ID_D ",张三,S1,在籍,,,,x\n");
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), CC_EINVALID);
  snprintf(want, sizeof want, "%s:1:8: a quote in the header row (column 8)",
           p);
  ck_assert_msg(strncmp(cc_error_last(), want, strlen(want)) == 0, "%s",
                cc_error_last());
  ck_assert_uint_eq(c.blocks, 0);
  coll_dispose(&c);

  /* In a required column's cell, and after a title row: line 2, column 2. */
  p = write_str("hq2.csv",
                "学生信息表,,,\n身份证号,姓\"名,学校代码,学籍状态\n");
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), CC_EINVALID);
  snprintf(want, sizeof want, "%s:2:2:", p);
  ck_assert_msg(strncmp(cc_error_last(), want, strlen(want)) == 0, "%s",
                cc_error_last());
  coll_dispose(&c);

  /* Text after a closing quote. */
  p = write_str("hq3.csv", "身份证号,姓名,\"学校代码\"x,学籍状态\n");
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), CC_EINVALID);
  snprintf(want, sizeof want, "%s:1:3:", p);
  ck_assert_msg(strncmp(cc_error_last(), want, strlen(want)) == 0, "%s",
                cc_error_last());
  coll_dispose(&c);

  /* A quoted header cell holding a line break (an optional column's
   * "备注\n（选填）"): the header spans lines 1-2, data from line 3. */
  coll_init(&c);
  ingest_ok(
      &c, &st,
      write_str("hq5.csv",
                "身份证号,姓名,\"备注\n（选填）\",学校代码,学籍状态\n" ID_D
                ",张三,x,S1,在籍\n"));
  ck_assert_uint_eq(st.header_line, 1);
  ck_rec(&c, 3, ID_D, "张三", "S1");
  ck_assert_uint_eq(st.lines, 3);
  coll_dispose(&c);

  /* The stray "备注 of issue 10 with data rows below holding quotes: still
   * the quote error at 1:8, not a header running into the rows. */
  p = write_str("hq6.csv",
                HDR7 ",\"备注\n" ID_D ",张三,S1,在籍,\"一中,东\",,\n" ID_A
                     ",李四,S2,在籍,,,\n");
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), CC_EINVALID);
  snprintf(want, sizeof want, "%s:1:8:", p);
  ck_assert_msg(strncmp(cc_error_last(), want, strlen(want)) == 0, "%s",
                cc_error_last());
  coll_dispose(&c);

  /* Wholly quoted cells, one holding a comma: five header cells. */
  coll_init(&c);
  ingest_ok(
      &c, &st,
      write_str("hq4.csv",
                "\"身份证号\",\"学校,名称\",\"姓名\", 学校代码 ,学籍状态\n" ID_D
                ",\"一中,东\",张三,S1,在籍\n"));
  ck_rec(&c, 2, ID_D, "张三", "S1");
  coll_dispose(&c);
}
END_TEST

/* Title rows above the header are skipped; lines stay physical. */
START_TEST(test_ingest_title_rows)
{
  coll c;
  cc_ingest_stats st;
  cc_ingest_options o = base_opts();
  char notes[256];
  sbuf b = {0};
  const char *p;
  int i;

  coll_init(&c);
  ingest_ok(&c, &st,
            write_str("title.csv",
                      "全国中等职业学校学生信息表,,,,\n"
                      "填报单位：某省,,,,\n" HDR7 "\n" ID_D
                      ",张三,S1,在籍,,,\n" ID_A ",李四,S2,毕业,,,\n"));
  ck_assert_uint_eq(st.header_line, 3);
  ck_rec(&c, 4, ID_D, "张三", "S1");
  ck_rec(&c, 5, ID_A, "李四", "S2");
  ck_assert_uint_eq(c.n_rec, 2);
  ck_assert_uint_eq(c.n_rej, 0);
  ck_assert_uint_eq(st.lines, 5);
  cc_ingest_stats_notes(notes, sizeof notes, &st);
  ck_assert_str_eq(
      notes, "2 title rows above the header skipped (the header is line 3).");
  coll_dispose(&c);

  /* No title: nothing to note. */
  coll_init(&c);
  ingest_ok(&c, &st,
            write_str("notitle.csv", HDR7 "\n" ID_D ",张三,S1,在籍,,,\n"));
  ck_assert_uint_eq(st.header_line, 1);
  cc_ingest_stats_notes(notes, sizeof notes, &st);
  ck_assert_str_eq(notes, "");
  coll_dispose(&c);

  /* The same in GB18030 (the title decides nothing: the file does). */
  {
    char *gb = to_gb18030("学生信息表\n" HDR7 "\n" ID_D ",张三,S1,在籍,,,\n");
    coll_init(&c);
    ingest_ok(&c, &st, write_str("titlegb.csv", gb));
    ck_assert_int_eq(st.encoding, CC_ENC_GB18030);
    ck_assert_uint_eq(st.header_line, 2);
    ck_rec(&c, 3, ID_D, "张三", "S1");
    coll_dispose(&c);
    free(gb);
  }

  /* Ten lines above the header: not looked at so far down, and the
   * message says so. */
  for (i = 0; i < 10; i++)
    sb_add(&b, "title,,,\n");
  sb_add(&b, HDR7 "\n" ID_D ",张三,S1,在籍,,,\n");
  p = write_file("title11.csv", b.p, b.n);
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), CC_EINVALID);
  ck_assert_ptr_nonnull(
      strstr(cc_error_last(), "missing required column 身份证号"));
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "first 10"));
  coll_dispose(&c);
  free(b.p);

  /* Nine are fine, with blocks smaller than the title lines. */
  b.p = NULL;
  b.n = b.cap = 0;
  for (i = 0; i < 9; i++)
    sb_add(&b, "全国中等职业学校学生信息表,,,,,,\n");
  sb_add(&b, HDR7 "\n" ID_D ",张三,S1,在籍,,,\n");
  o.block_bytes = 16;
  coll_init(&c);
  ck_assert_int_eq(
      ingest_opts(&c, &st, write_file("title10.csv", b.p, b.n), &o), 0);
  ck_assert_uint_eq(st.header_line, 10);
  ck_rec(&c, 11, ID_D, "张三", "S1");
  coll_dispose(&c);
  free(b.p);
}
END_TEST

/* UTF-8 text in UTF-16 (BOM first), as Excel's "Unicode text" writes it:
 * tab-separated, CRLF. */
static char *to_utf16(const char *utf8, const char *enc, size_t *len)
{
  iconv_t cd = iconv_open(enc, "UTF-8");
  size_t in_left = strlen(utf8), out_left = in_left * 4 + 8;
  char *out = calloc(1, out_left + 2), *src = (char *)utf8, *dst = out;
  ck_assert_ptr_ne(cd, (iconv_t)-1);
  ck_assert_ptr_nonnull(out);
  ck_assert_uint_ne(iconv(cd, &src, &in_left, &dst, &out_left), (size_t)-1);
  *len = (size_t)(dst - out);
  iconv_close(cd);
  return out;
}

#define HDR7_TAB "身份证号\t姓名\t学校代码\t学籍状态\t学校名称\t助学金\t免学费"

START_TEST(test_ingest_utf16)
{
  static const char text[] =
      HDR7_TAB "\r\n" ID_D "\t张三\tS1\t在籍\t第一中学\t1000\t0\r\n" ID_A
               "\t王𠮷\tS2\t休学\t\"青岛\r\n西海岸\"\t\t1200.5\r\n" ID_E
               "\t李四\tS1\t在籍\t\t\t\r\n";
  static const char *encs[2] = {"UTF-16LE", "UTF-16BE"};
  static const unsigned char boms[2][2] = {{0xFF, 0xFE}, {0xFE, 0xFF}};
  int k;
  for (k = 0; k < 2; k++) {
    size_t n;
    char *u = to_utf16(text, encs[k], &n);
    sbuf b = {0};
    coll c;
    cc_ingest_stats st;
    cc_ingest_options o = base_opts();
    sb_addn(&b, (const char *)boms[k], 2);
    sb_addn(&b, u, n);
    o.block_bytes = k ? 0 : 64; /* blocks cutting characters too */
    coll_init(&c);
    ck_assert_int_eq(
        ingest_opts(&c, &st, write_file(k ? "be.txt" : "le.txt", b.p, b.n), &o),
        0);
    ck_assert_int_eq(st.encoding, k ? CC_ENC_UTF16BE : CC_ENC_UTF16LE);
    ck_assert_int_eq(st.delimiter, '\t');
    ck_rec(&c, 2, ID_D, "张三", "S1");
    ck_assert_str_eq(rec_at(&c, 2)->text[CC_COL_SCHOOL_NAME], "第一中学");
    ck_rec(&c, 3, ID_A, "王𠮷", "S2");
    ck_assert_str_eq(rec_at(&c, 3)->text[CC_COL_SCHOOL_NAME], "青岛\r\n西海岸");
    ck_assert_int_eq(rec_at(&c, 3)->waiver, 120050);
    ck_rec(&c, 5, ID_E, "李四", "S1");
    ck_assert_uint_eq(c.n_rec, 3);
    ck_assert_uint_eq(st.lines, 5);
    ck_assert_str_eq(cc_encoding_name((cc_encoding)st.encoding),
                     k ? "UTF-16BE" : "UTF-16LE");
    coll_dispose(&c);
    free(u);
    free(b.p);
  }
}
END_TEST

/* A large UTF-16 file read in small blocks; an unpaired surrogate makes
 * its row bad_text and nothing else. */
START_TEST(test_ingest_utf16_blocks)
{
  sbuf t = {0}, b = {0};
  size_t n;
  char *u;
  int i;
  coll c;
  cc_ingest_stats st;
  cc_ingest_options o = base_opts();
  sb_add(&t, HDR7_TAB "\r\n");
  for (i = 0; i < 3000; i++)
    sb_add(&t, i % 2 ? ID_D "\t张三\tS1\t在籍\t\t\t\r\n"
                     : ID_A "\t李四\tS2\t在籍\t\t\t\r\n");
  u = to_utf16(t.p, "UTF-16LE", &n);
  sb_addn(&b, "\xFF\xFE", 2);
  sb_addn(&b, u, n);
  /* line 1502: 李四 becomes 李 + a lone high surrogate (D800) */
  {
    sbuf row = {0};
    size_t rn;
    char *ru = to_utf16(ID_A "\t李", "UTF-16LE", &rn);
    sb_addn(&row, ru, rn);
    sb_addn(&row, "\x00\xD8", 2);
    free(ru);
    ru = to_utf16("\tS2\t在籍\t\t\t\r\n", "UTF-16LE", &rn);
    sb_addn(&row, ru, rn);
    free(ru);
    /* insert after the 1501st line end (header + 1500 rows) */
    {
      size_t off = 2, k;
      int lines = 0;
      for (k = 2; k + 1 < b.n && lines < 1501; k += 2)
        if (b.p[k] == '\n' && b.p[k + 1] == 0) {
          lines++;
          off = k + 2;
        }
      sbuf all = {0};
      sb_addn(&all, b.p, off);
      sb_addn(&all, row.p, row.n);
      sb_addn(&all, b.p + off, b.n - off);
      free(b.p);
      b = all;
    }
    free(row.p);
  }
  o.block_bytes = 4096;
  o.threads = 2;
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, write_file("big16.txt", b.p, b.n), &o),
                   0);
  ck_assert_uint_eq(st.records, 3000);
  ck_assert_uint_eq(st.rejects, 1);
  ck_rej(&c, 1502, 2, CC_REJ_BAD_TEXT);
  ck_rec(&c, 1501, ID_D, "张三", "S1");
  ck_rec(&c, 1503, ID_A, "李四", "S2");
  ck_rec(&c, 3002, ID_D, "张三", "S1");
  ck_assert_uint_eq(st.lines, 3002);
  coll_dispose(&c);
  free(u);
  free(t.p);
  free(b.p);
}
END_TEST

/* A file mostly in one encoding with lines in the other is refused, the
 * disagreeing lines named, first in file order. */
START_TEST(test_ingest_mixed_encodings)
{
  coll c;
  cc_ingest_stats st;
  cc_ingest_options o = base_opts();
  sbuf b = {0};
  char *gb = to_gb18030(HDR7 "\n" ID_D ",张三,S1,在籍,第一中学,,\n" ID_A
                             ",李四,S2,在籍,第二中学,,\n");
  char *gb2 = to_gb18030(ID_E ",赵六,S1,在籍,第三中学,,\n");
  const char *p;

  /* GB18030 with UTF-8 lines 4 and 6. */
  sb_add(&b, gb);
  sb_add(&b, ID_E ",王五,S3,在籍,技师学院,,\n");
  sb_add(&b, gb2);
  sb_add(&b, ID_D ",钱七,S4,在籍,职业中专,,\n");
  p = write_file("mixed.csv", b.p, b.n);
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), CC_EINVALID);
  ck_assert_msg(strstr(cc_error_last(),
                       "mixed encodings: the file reads as GB18030, "
                       "but 2 lines are UTF-8 (lines 4, 6)") != NULL,
                "%s", cc_error_last());
  ck_assert_ptr_nonnull(strstr(cc_error_last(), p));
  ck_assert_uint_eq(st.mixed_lines, 2);
  coll_dispose(&c);

  /* The same read in blocks of 32 bytes and with two threads: same lines. */
  o.block_bytes = 32;
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), CC_EINVALID);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "(lines 4, 6)"));
  coll_dispose(&c);
  o.block_bytes = 0;

  /* A UTF-8 header above GB18030 rows: the header is read (it was "missing
   * required column" before) and the file named mixed at line 1. */
  free(b.p);
  b.p = NULL;
  b.n = b.cap = 0;
  {
    char *rows = to_gb18030(ID_D ",张三,S1,在籍,第一中学,,\n" ID_A
                                 ",李四,S2,在籍,第二中学,,\n" ID_E
                                 ",王五,S3,在籍,技师学院,,\n");
    sb_add(&b, HDR7 "\n");
    sb_add(&b, rows);
    free(rows);
  }
  p = write_file("mixed2.csv", b.p, b.n);
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), CC_EINVALID);
  ck_assert_msg(strstr(cc_error_last(), "but 1 line is UTF-8 (line 1)") != NULL,
                "%s", cc_error_last());
  coll_dispose(&c);

  /* Mostly UTF-8 (header and 30 rows) with one GB18030 line (32): named
   * as GB18030. */
  free(b.p);
  b.p = NULL;
  b.n = b.cap = 0;
  sb_add(&b, HDR7 "\n");
  {
    int i;
    for (i = 0; i < 30; i++)
      sb_add(&b, ID_D ",张三,S1,在籍,第一职业中等专业学校,,\n");
  }
  sb_add(&b, gb2);
  p = write_file("mixed3.csv", b.p, b.n);
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), CC_EINVALID);
  ck_assert_msg(strstr(cc_error_last(),
                       "reads as UTF-8, but 1 line is GB18030 (line 32)") !=
                    NULL,
                "%s", cc_error_last());
  coll_dispose(&c);
  free(gb);
  free(gb2);
  free(b.p);
}
END_TEST

/* Any number of columns: 300, the required ones at 281, 282, 290, 300. */
START_TEST(test_ingest_many_columns)
{
  sbuf b = {0};
  coll c;
  cc_ingest_stats st;
  int i, row;
  for (i = 1; i <= 300; i++) {
    const char *name = i == 281   ? "身份证号"
                       : i == 282 ? "姓名"
                       : i == 290 ? "学校代码"
                       : i == 295 ? "助学金"
                       : i == 300 ? "学籍状态"
                                  : NULL;
    if (i > 1)
      sb_add(&b, ",");
    if (name)
      sb_add(&b, name);
    else
      sb_printf(&b, "c%d", i);
  }
  sb_add(&b, "\n");
  for (row = 0; row < 3; row++) {
    for (i = 1; i <= 300; i++) {
      if (i > 1)
        sb_add(&b, ",");
      if (row == 2)
        continue; /* line 4: 300 empty fields, a blank row */
      sb_add(&b, i == 281   ? (row ? ID_A : ID_D)
                 : i == 282 ? "张三"
                 : i == 290 ? "S1"
                 : i == 295 ? (row ? "abc" : "1000")
                 : i == 300 ? "在籍"
                            : "x");
    }
    sb_add(&b, "\n");
  }
  /* line 5: only the 300th field is set: not blank, and every required
   * cell before it is empty: id_empty at column 281 */
  for (i = 1; i < 300; i++)
    sb_add(&b, ",");
  sb_add(&b, "在籍\n");
  coll_init(&c);
  ingest_ok(&c, &st, write_file("wide.csv", b.p, b.n));
  ck_rec(&c, 2, ID_D, "张三", "S1");
  ck_assert_int_eq(rec_at(&c, 2)->grant, 100000);
  ck_rej(&c, 3, 295, CC_REJ_AMOUNT_INVALID);
  ck_rej(&c, 5, 281, CC_REJ_ID_EMPTY);
  ck_assert_uint_eq(st.blank, 1);
  ck_assert_uint_eq(c.n_rec, 1);
  ck_assert_uint_eq(c.n_rej, 2);
  coll_dispose(&c);
  free(b.p);
}
END_TEST

/* Map lines of any length. */
START_TEST(test_ingest_map_long_lines)
{
  sbuf m = {0}, f = {0};
  size_t n;
  char *longname = tu_repeat("证", 600, &n); /* 1,800 bytes */
  char *comment = tu_repeat("#", 5000, &n);
  cc_header_map *map = NULL;
  coll c;
  cc_ingest_stats st;
  cc_ingest_options o = base_opts();
  char want[600];
  int rc;

  sb_add(&m, comment);
  sb_add(&m, "\n");
  sb_add(&m, longname);
  sb_add(&m, "=身份证号\n学生姓名=姓名\n");
  rc = cc_header_map_load(&map, write_file("long.map", m.p, m.n));
  ck_assert_msg(rc == 0, "%s", cc_error_last());
  sb_add(&f, longname);
  sb_add(&f, ",学生姓名,学校代码,学籍状态\n" ID_D ",张三,S1,在籍\n");
  o.map = map;
  coll_init(&c);
  ck_assert_int_eq(
      ingest_opts(&c, &st, write_file("longhdr.csv", f.p, f.n), &o), 0);
  ck_rec(&c, 2, ID_D, "张三", "S1");
  coll_dispose(&c);
  cc_header_map_free(map);

  /* An error after the long lines names the right line (4). */
  sb_add(&m, "x y\n");
  map = (cc_header_map *)1;
  {
    const char *p = write_file("long2.map", m.p, m.n);
    ck_assert_int_eq(cc_header_map_load(&map, p), CC_EINVALID);
    snprintf(want, sizeof want, "%s:4:1:", p);
    ck_assert_msg(strncmp(cc_error_last(), want, strlen(want)) == 0, "%s",
                  cc_error_last());
  }
  free(longname);
  free(comment);
  free(m.p);
  free(f.p);
}
END_TEST

/*
 * A stray quote opening a field of a data row: the row is rejected as
 * stray_quote at its line and column, and the rows after it are read. The
 * quote would have run to the first quote after it, on line 10: lines 4
 * to 10, seven rows, would have been merged into line 3.
 */
START_TEST(test_ingest_stray_quote)
{
  coll c;
  cc_ingest_stats st;
  cc_ingest_options o = base_opts();
  char notes[256];
  const char *p = write_str(
      "stray.csv", HDR7 "\n" ID_D ",张三,S1,在籍,,,\n" ID_A
                        ",\"李四,S2,在籍,,,\n" ID_E ",王五,S3,在籍,,,\n" ID_D
                        ",赵六,S4,在籍,,,\n" ID_A ",钱七,S5,在籍,,,\n" ID_E
                        ",孙八,S6,在籍,,,\n" ID_D ",周九,S7,在籍,,,\n" ID_A
                        ",吴十,S8,在籍,,,\n" ID_E ",郑一,S9,在籍,\"一中\",,\n");
  int k;
  for (k = 0; k < 3; k++) {
    o.block_bytes = k == 0 ? 0 : k == 1 ? 64 : 16;
    o.threads = 1 + k % 2;
    coll_init(&c);
    ck_assert_int_eq(ingest_opts(&c, &st, p, &o), 0);
    ck_rec(&c, 2, ID_D, "张三", "S1");
    ck_rej(&c, 3, 2, CC_REJ_STRAY_QUOTE);
    ck_rec(&c, 4, ID_E, "王五", "S3");
    ck_rec(&c, 9, ID_A, "吴十", "S8");
    ck_rec(&c, 10, ID_E, "郑一", "S9");
    ck_assert_str_eq(rec_at(&c, 10)->text[CC_COL_SCHOOL_NAME], "一中");
    ck_assert_uint_eq(c.n_rec, 8);
    ck_assert_uint_eq(c.n_rej, 1);
    ck_assert_uint_eq(st.stray_quotes, 1);
    ck_assert_uint_eq(st.stray_swallowed, 7);
    ck_assert_uint_eq(st.lines, 10);
    coll_dispose(&c);
  }
  cc_ingest_stats_notes(notes, sizeof notes, &st);
  ck_assert_str_eq(notes,
                   "1 row rejected for a stray quote; the 7 rows it ran into "
                   "were read as rows.");
  ck_assert_str_eq(cc_reject_code_str(CC_REJ_STRAY_QUOTE), "stray_quote");
}
END_TEST

/* Line breaks inside quoted fields stay legitimate in any column: in the
 * first (the continuation line holds every other field), in the middle
 * and in the last. */
START_TEST(test_ingest_quoted_breaks_not_stray)
{
  coll c;
  cc_ingest_stats st;
  coll_init(&c);
  ingest_ok(&c, &st,
            write_str("breaks.csv",
                      "学校名称,身份证号,姓名,学校代码,学籍状态,专业名称\n"
                      "\"济南\n职业学校\"," ID_D ",张三,S1,在籍,机电\n"
                      "一中," ID_A ",\"李\n四\",S2,在籍,\"机电\n一体化\"\n"
                      "\"青岛\n技师\n学院\"," ID_E ",王五,S3,在籍,\n"));
  ck_rec(&c, 2, ID_D, "张三", "S1");
  ck_assert_str_eq(rec_at(&c, 2)->text[CC_COL_SCHOOL_NAME], "济南\n职业学校");
  ck_rec(&c, 4, ID_A, "李\n四", "S2"); /* as registered; it folds to 李四 */
  ck_assert_str_eq(rec_at(&c, 4)->folded, "李四");
  ck_assert_str_eq(rec_at(&c, 4)->text[CC_COL_MAJOR], "机电\n一体化");
  ck_rec(&c, 7, ID_E, "王五", "S3");
  ck_assert_uint_eq(c.n_rej, 0);
  ck_assert_uint_eq(st.stray_quotes, 0);
  coll_dispose(&c);
}
END_TEST

/* A workbook given as a roster: title row, shared and inline strings, an
 * 18-digit ID stored as a number (digits lost), rows left out. */
START_TEST(test_ingest_xlsx)
{
  coll c;
  cc_ingest_stats st;
  char notes[256];
  char path[512];
  snprintf(path, sizeof path, "%s/roster.xlsx", tmpdir);
  tu_write_xlsx(
      path, "worksheets/roster.xml",
      "<row r=\"1\"><c r=\"A1\" "
      "t=\"inlineStr\"><is><t>全国中等职业学校学生信息表</t></is></c></row>"
      "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>0</v></c><c r=\"B2\" "
      "t=\"s\"><v>1</v></c>"
      "<c r=\"C2\" t=\"s\"><v>2</v></c><c r=\"D2\" t=\"s\"><v>3</v></c>"
      "<c r=\"E2\" t=\"s\"><v>4</v></c><c r=\"F2\" t=\"s\"><v>5</v></c></row>"
      /* line 3: a record; the grant a number */
      "<row r=\"3\"><c r=\"A3\" t=\"inlineStr\"><is><t>" ID_D "</t></is></c>"
      "<c r=\"B3\" t=\"s\"><v>6</v></c><c r=\"C3\" "
      "t=\"inlineStr\"><is><t>S1</t></is></c>"
      "<c r=\"D3\" t=\"s\"><v>7</v></c><c r=\"E3\" "
      "t=\"inlineStr\"><is><r><t>第一</t></r>"
      "<r><t>中学</t></r></is></c><c r=\"F3\"><v>1000</v></c></row>"
      /* row 4 left out; line 5: the ID a number of 18 digits */
      "<row r=\"5\"><c r=\"A5\"><v>110101200501011000</v></c>"
      "<c r=\"B5\" t=\"s\"><v>6</v></c><c r=\"C5\" "
      "t=\"inlineStr\"><is><t>S1</t></is></c>"
      "<c r=\"D5\" t=\"s\"><v>7</v></c></row>"
      /* line 6: as Excel writes it */
      "<row r=\"6\"><c r=\"A6\"><v>1.10101200501012E+17</v></c>"
      "<c r=\"B6\" t=\"s\"><v>6</v></c><c r=\"C6\" "
      "t=\"inlineStr\"><is><t>S1</t></is></c>"
      "<c r=\"D6\" t=\"s\"><v>7</v></c></row>"
      /* line 7: a 15-digit number holds every digit */
      "<row r=\"7\"><c r=\"A7\"><v>440524800101001</v></c>"
      "<c r=\"B7\" t=\"inlineStr\"><is><t>赵六</t></is></c><c r=\"C7\" "
      "t=\"inlineStr\"><is><t>S3</t></is></c>"
      "<c r=\"D7\" t=\"inlineStr\"><is><t>毕业</t></is></c><c r=\"E7\" "
      "t=\"e\"><v>#N/A</v></c></row>"
      /* line 8: styled cells only: blank */
      "<row r=\"8\"><c r=\"A8\" s=\"1\"/><c r=\"B8\" s=\"1\"/></row>"
      /* line 9: status missing */
      "<row r=\"9\"><c r=\"A9\" t=\"inlineStr\"><is><t>" ID_A "</t></is></c>"
      "<c r=\"B9\" t=\"inlineStr\"><is><t>李四</t></is></c><c r=\"C9\" "
      "t=\"inlineStr\"><is><t>S2</t></is></c></row>",
      "<si><t>身份证号</t></si><si><t>姓名</t></si><si><t>学校代码</t></si>"
      "<si><t>学籍状态</t></si><si><t>学校名称</t></si><si><t>助学金</t></si>"
      "<si><t>张三</t></si><si><t>在籍</t></si>");
  coll_init(&c);
  ingest_ok(&c, &st, path);
  ck_assert_int_eq(st.encoding, CC_ENC_XLSX);
  ck_assert_int_eq(st.delimiter, 0);
  ck_assert_uint_eq(st.header_line, 2);
  ck_rec(&c, 3, ID_D, "张三", "S1");
  ck_assert_str_eq(rec_at(&c, 3)->text[CC_COL_SCHOOL_NAME], "第一中学");
  ck_assert_int_eq(rec_at(&c, 3)->grant, 100000);
  ck_rej(&c, 5, 1, CC_REJ_ID_SCIENTIFIC);
  ck_rej(&c, 6, 1, CC_REJ_ID_SCIENTIFIC);
  ck_rec(&c, 7, "440524198001010013", "赵六", "S3");
  ck_rej(&c, 9, 4, CC_REJ_STATUS_EMPTY);
  ck_assert_uint_eq(c.n_rec, 2);
  ck_assert_uint_eq(c.n_rej, 3);
  ck_assert_uint_eq(st.blank, 1);
  ck_assert_uint_eq(st.lines, 9);
  cc_ingest_stats_notes(notes, sizeof notes, &st);
  ck_assert_str_eq(
      notes, "1 title row above the header skipped (the header is line 2).");
  coll_dispose(&c);
}
END_TEST

/* Workbooks that cannot be read are refused with how to export them. */
START_TEST(test_ingest_xlsx_refused)
{
  coll c;
  cc_ingest_stats st;
  cc_ingest_options o = base_opts();
  const char *p;
  char path[512];

  /* An OLE compound file: an .xls, or an encrypted .xlsx. */
  p = write_file("old.xls", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\0\0", 12);
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), CC_EINVALID);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), p));
  ck_assert_ptr_nonnull(strstr(cc_error_last(), ".xls"));
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "CSV UTF-8"));
  coll_dispose(&c);

  /* "PK" but cut short. */
  p = write_file("cut.xlsx", "PK\x03\x04\x14\0\0\0", 8);
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, p, &o), CC_EINVALID);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "CSV UTF-8"));
  coll_dispose(&c);

  /* A workbook without the required columns: named like a CSV's. */
  snprintf(path, sizeof path, "%s/nocols.xlsx", tmpdir);
  tu_write_xlsx(
      path, "worksheets/a.xml",
      "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>姓名</t></is></c></row>",
      NULL);
  coll_init(&c);
  ck_assert_int_eq(ingest_opts(&c, &st, path, &o), CC_EINVALID);
  ck_assert_ptr_nonnull(
      strstr(cc_error_last(), "missing required column 身份证号"));
  coll_dispose(&c);
}
END_TEST

static Suite *ingest_suite(void)
{
  Suite *s = suite_create("ingest");
  TCase *core = tcase_create("Core");
  TCase *limits = tcase_create("Limits");
  TCase *users = tcase_create("Users"); /* the files real users have */

  tcase_add_checked_fixture(core, tmp_setup, tmp_teardown);
  tcase_add_test(core, test_ingest_lf);
  tcase_add_test(core, test_ingest_crlf);
  tcase_add_test(core, test_ingest_no_final_newline);
  tcase_add_test(core, test_ingest_header_only);
  tcase_add_test(core, test_ingest_quoted_comma_and_quotes);
  tcase_add_test(core, test_ingest_quoted_newline);
  tcase_add_test(core, test_ingest_quote_inside_unquoted_field);
  tcase_add_test(core, test_ingest_text_after_closing_quote);
  tcase_add_test(core, test_ingest_bom);
  tcase_add_test(core, test_ingest_tsv);
  tcase_add_test(core, test_ingest_header_aliases);
  tcase_add_test(core, test_ingest_header_map);
  tcase_add_test(core, test_ingest_header_map_errors);
  tcase_add_test(core, test_ingest_missing_column);
  tcase_add_test(core, test_ingest_duplicate_column);
  tcase_add_test(core, test_ingest_blank_rows);
  tcase_add_test(core, test_ingest_reject_codes);
  tcase_add_test(core, test_ingest_reject_priority);
  tcase_add_test(core, test_ingest_encoding_names);
  tcase_add_test(core, test_ingest_gb18030_detected);
  tcase_add_test(core, test_ingest_gb18030_forced);
  tcase_add_test(core, test_ingest_encoding_forced_wins);
  tcase_add_test(core, test_ingest_id_cleaning);
  tcase_add_test(core, test_ingest_name_forms);
  tcase_add_test(core, test_ingest_cell_trim);
  tcase_add_test(core, test_ingest_nonexistent);
  tcase_add_test(core, test_ingest_empty_file);
  tcase_add_test(core, test_ingest_cancel);
  tcase_add_test(core, test_ingest_callback_error);
  tcase_add_test(core, test_text_ok_sequences);
  tcase_add_test(core, test_text_ok_marks);
  tcase_add_test(core, test_text_ok_random);
  tcase_add_test(core, test_utf8_decode_three_bytes);
  tcase_add_test(core, test_ingest_text_checks_in_rows);
  tcase_set_timeout(core, 60);

  tcase_add_checked_fixture(users, tmp_setup, tmp_teardown);
  tcase_add_test(users, test_ingest_lone_cr);
  tcase_add_test(users, test_ingest_lone_cr_quoted);
  tcase_add_test(users, test_ingest_header_quote);
  tcase_add_test(users, test_ingest_title_rows);
  tcase_add_test(users, test_ingest_utf16);
  tcase_add_test(users, test_ingest_utf16_blocks);
  tcase_add_test(users, test_ingest_mixed_encodings);
  tcase_add_test(users, test_ingest_many_columns);
  tcase_add_test(users, test_ingest_map_long_lines);
  tcase_add_test(users, test_ingest_stray_quote);
  tcase_add_test(users, test_ingest_quoted_breaks_not_stray);
  tcase_add_test(users, test_ingest_xlsx);
  tcase_add_test(users, test_ingest_xlsx_refused);
  tcase_set_timeout(users, 120);

  tcase_add_checked_fixture(limits, tmp_setup, tmp_teardown);
  tcase_add_test(limits, test_ingest_accepted_edges);
  tcase_add_test(limits, test_ingest_field_max);
  tcase_add_test(limits, test_ingest_unterminated_quote);
  tcase_add_test(limits, test_ingest_tiny_blocks);
  tcase_add_loop_test(limits, test_ingest_runaway_quote, 0, 4);
  tcase_add_loop_test(limits, test_ingest_block_boundaries, 0, 6);
  tcase_set_timeout(limits, 300);

  suite_add_tcase(s, core);
  suite_add_tcase(s, users);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  return tu_run_suite(ingest_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
