/*
 * export.c - school packages: each school's cases back to it, as a workbook
 * and a CSV, in folders by province and city, with roll-ups (issue 3.2).
 *
 * Owns: grouping a period's findings by school, the columns of a package
 * and what each says (the action per finding type, from POLICY.md), the
 * names of files and folders, the roll-ups, and the CSV dialect: UTF-8
 * with a BOM (so Excel reads it as UTF-8), CRLF, RFC 4180 quoting, and a
 * leading ' before a cell that starts with = + - @ (a CSV opened in Excel
 * must not run formulas that came from a roster). Workbooks are written
 * with libxlsxwriter; their cells are typed, so they need no such guard.
 *
 * Call order: cc_export_period() loads the period, builds the plan
 * (cc_export_plan_build), records the audit entry, then writes
 * (cc_export_write). The plan:
 *   1. each member gets its school's number: the key (label, code) is
 *      looked up in an open-addressing table (XXH3), one pass over members;
 *   2. each school keeps the first name and region code seen, then the
 *      filters (--school, --region) mark the schools kept;
 *   3. rows: the distinct (school, finding) pairs, counting-sorted by
 *      school, so a school's rows are contiguous and in finding order
 *      (no per-school scan of all findings);
 *   4. kept schools are sorted by city code and file name: cities and
 *      provinces are runs of that order;
 *   5. tallies: a school counts its rows; a city, a province and the
 *      nation count each finding once, however many of their schools it
 *      involves, so money at risk is never added twice.
 * Writing: folders first (one thread), then the packages, one school per
 * OpenMP iteration, each worker with its own buffers; a failure goes into
 * the worker's slot and the first failing school in output order becomes
 * cc_error_last(). Then the roll-ups, on one thread.
 *
 * Every file is created 0600 before it is written (libxlsxwriter's fopen
 * "wb" keeps an existing file's mode), and folders are made 0700.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xlsxwriter.h>
#include <xxhash.h>

#include "chachong/audit.h"
#include "chachong/errors.h"
#include "chachong/finding.h"
#include "chachong/import.h"
#include "chachong/index.h"
#include "chachong/record.h"
#include "chachong/region.h"
#include "chachong/text.h"
#include "buf_internal.h"
#include "error_internal.h"
#include "export_internal.h"
#include "fs_internal.h"
#include "utf8_internal.h"

#define NO_SCHOOL UINT32_MAX
#define SEP "；" /* between the values of one cell */

/* ------------------------------------------------------------------ */
/* Names shown to people. */

const char *cc_export_system_zh(const char *label)
{
  if (strcmp(label, "moe") == 0)
    return "教育部中职";
  if (strcmp(label, "mohrss") == 0)
    return "人社部技工";
  return label;
}

/* POLICY.md, "Who uses the results": keep the enrollment where the student
 * really studies, ask the other school to cancel, or cancel your own. */
const char *cc_export_action_zh(int type, int other_school)
{
  switch (type) {
  case CC_FT_DUAL_ENROLLMENT:
    return "核实学生实际就读学校：在本校就读的，保留本校学籍，并请对方学校注销"
           "其学籍；不在本校就读的，注销本校学籍";
  case CC_FT_DUPLICATE_RECORD:
    return "本校为同一学生重复注册了学籍：保留一条学籍记录，注销重复的记录";
  case CC_FT_DOUBLE_GRANT:
    return other_school
               ? "核实本期国家助学金发放情况：停发并追回重复发放的助学金，"
                 "与涉及的其他学校协调，只保留一处发放"
               : "核实本期国家助学金发放情况：停发并追回本校重复发放的"
                 "助学金，只保留一笔";
  case CC_FT_DOUBLE_WAIVER:
    return other_school ? "核实本期免学费情况：停止并追回重复免除的学费，"
                          "与涉及的其他学校协调，只保留一处免学费"
                        : "核实本期免学费情况：停止并追回本校重复免除的学费，"
                          "只保留一笔";
  case CC_FT_ID_CONFLICT:
    return other_school
               ? "核对学生本人身份证件，更正本校记录中有误的身份证号或姓名；"
                 "本校记录无误的，请与涉及的其他学校核对"
               : "核对学生本人身份证件，更正本校记录中有误的身份证号或姓名";
  default:
    return "核实并处理";
  }
}

static const char *scope_zh(const cc_finding *f)
{
  return f->cross ? "跨系统" : "系统内";
}

/* ------------------------------------------------------------------ */
/* Cell text, built in cc_bufs (engine/buf.c: capped at 256 MiB, so a
 * runaway cell fails the export with CC_ENOMEM instead of eating the
 * machine). */

/* Appends text as a cell may hold it: valid UTF-8 kept, each byte that
 * does not start a valid sequence and each C0 control other than tab, LF
 * and CR becomes U+FFFD (ingest only lets valid text through, but a
 * workbook with a bad byte will not open at all, so this is cheap
 * insurance). */
static void sb_text(cc_buf *b, const char *p, size_t n)
{
  const unsigned char *s = (const unsigned char *)p;
  size_t i = 0, run = 0;
  if (n == 0)
    return;
  while (i < n) {
    size_t k = utf8_seq(s + i, n - i);
    if (k == 1 && s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
      k = 0;
    if (k > 0) {
      i += k;
      continue;
    }
    cc_buf_put(b, s + run, i - run);
    cc_buf_puts(b, "\xEF\xBF\xBD");
    i++;
    run = i;
  }
  cc_buf_put(b, s + run, n - run);
}

static void sb_str(cc_buf *b, cc_str s)
{
  sb_text(b, s.ptr, s.len);
}

static void sb_date(cc_buf *b, cc_date d)
{
  char day[11];
  cc_date_format(day, d);
  cc_buf_puts(b, day);
}

static int str_eq(cc_str a, cc_str b)
{
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Trims what ingest trims around a cell: space, tab, CR, U+3000, U+00A0. */
static cc_str trim(cc_str s)
{
  const unsigned char *p = (const unsigned char *)s.ptr;
  size_t n = s.len;
  utf8_trim_blanks(&p, &n, 0);
  s.ptr = (const char *)p;
  s.len = (uint32_t)n;
  return s;
}

static int is_digit(char c)
{
  return c >= '0' && c <= '9';
}

/* ------------------------------------------------------------------ */
/* File names. */

static size_t encode_part(char *out, size_t cap, const char *p, size_t n)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t i, o = 0;
  for (i = 0; i < n && o + 3 < cap; i++) {
    unsigned char c = (unsigned char)p[i];
    int safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
               (c >= '0' && c <= '9') || c == '-' || c == '_' ||
               (c == '.' && i > 0);
    if (safe) {
      out[o++] = (char)c;
    } else {
      out[o++] = '%';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    }
  }
  out[o] = '\0';
  return i < n ? cap : o; /* cap: did not fit */
}

/* Encodes p into at most `limit` bytes; a longer name is cut (never inside
 * a %XX) and ends in ~ and the XXH3 of the raw bytes, so two long codes
 * sharing a beginning still get two files. */
static size_t encode_limited(char *out, size_t limit, const char *p, size_t n)
{
  char full[3 * 256 + 1];
  size_t len;
  if (n > 256)
    len = sizeof full; /* too long for `full`: cut */
  else
    len = encode_part(full, sizeof full, p, n);
  if (len <= limit) {
    memcpy(out, full, len + 1);
    return len;
  }
  {
    size_t cut = limit - 17;
    if (n > 256)
      encode_part(full, sizeof full, p, 200); /* the first bytes suffice */
    if (cut >= 1 && full[cut - 1] == '%')
      cut -= 1;
    else if (cut >= 2 && full[cut - 2] == '%')
      cut -= 2;
    memcpy(out, full, cut);
    snprintf(out + cut, 18, "~%016llx", (unsigned long long)XXH3_64bits(p, n));
    return cut + 17;
  }
}

size_t cc_export_file_name(char out[CC_EXPORT_FILE_MAX], const char *code,
                           size_t code_len, const char *label, size_t label_len)
{
  size_t n = encode_limited(out, 96, code, code_len);
  if (label != NULL) {
    out[n++] = '_';
    n += encode_limited(out + n, 64, label, label_len);
  }
  assert(n < CC_EXPORT_FILE_MAX);
  return n;
}

/* ------------------------------------------------------------------ */
/* The plan. */

typedef struct school_table {
  uint32_t *slots; /* school number or NO_SCHOOL */
  size_t mask;     /* slots - 1, a power of two minus one */
} school_table;

static uint64_t school_hash(cc_str label, cc_str code)
{
  return XXH3_64bits_withSeed(code.ptr, code.len,
                              XXH3_64bits(label.ptr, label.len));
}

void cc_export_plan_dispose(cc_export_plan *plan)
{
  if (plan == NULL)
    return;
  free(plan->schools);
  free(plan->member_school);
  free(plan->moff);
  free(plan->order);
  free(plan->rows);
  free(plan->cities);
  free(plan->provinces);
  memset(plan, 0, sizeof *plan);
}

static int bytes_cmp(cc_str a, cc_str b)
{
  size_t n = a.len < b.len ? a.len : b.len;
  int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
  return c ? c : (a.len > b.len) - (a.len < b.len);
}

/* Output order of kept schools: city code (so province), file, label.
 * Sorted as pointers, so the comparators need no global. */
static int order_cmp(const void *a, const void *b)
{
  const cc_export_school *x = *(const cc_export_school *const *)a;
  const cc_export_school *y = *(const cc_export_school *const *)b;
  int c = strcmp(x->city, y->city);
  if (c == 0)
    c = strcmp(x->file, y->file);
  return c ? c : bytes_cmp(x->label, y->label);
}

/* Order of code then label, to find codes used by two rosters. */
static int code_cmp(const void *a, const void *b)
{
  const cc_export_school *x = *(const cc_export_school *const *)a;
  const cc_export_school *y = *(const cc_export_school *const *)b;
  int c = bytes_cmp(x->code, y->code);
  return c ? c : bytes_cmp(x->label, y->label);
}

/* Sorts school numbers by cmp through a pointer array. */
static int sort_order(uint32_t *order, size_t n, cc_export_school *schools,
                      int (*cmp)(const void *, const void *))
{
  cc_export_school **tmp = malloc((n ? n : 1) * sizeof *tmp);
  size_t i;
  if (tmp == NULL)
    return -1;
  for (i = 0; i < n; i++)
    tmp[i] = &schools[order[i]];
  qsort(tmp, n, sizeof *tmp, cmp);
  for (i = 0; i < n; i++)
    order[i] = (uint32_t)(tmp[i] - schools);
  free(tmp);
  return 0;
}

static void tally_add(cc_export_tally *t, const cc_finding *f)
{
  t->findings++;
  if (f->type < CC_FT_COUNT_)
    t->by_type[f->type]++;
  if (f->state < CC_STATE_COUNT_)
    t->by_state[f->state]++;
  if (f->claimed)
    t->claimed++;
  if (f->state != CC_STATE_CLEARED) {
    if (cc_finding_type_is_policy((cc_finding_type)f->type))
      t->amount_policy += f->amount_at_risk;
    else
      t->amount += f->amount_at_risk;
  }
}

/* Province and city of a school from its region code. */
static void school_area(cc_export_school *s)
{
  const char *r = s->region.ptr;
  if (s->region.len >= 2 && is_digit(r[0]) && is_digit(r[1]) &&
      !(r[0] == '0' && r[1] == '0')) {
    s->prov[0] = r[0];
    s->prov[1] = r[1];
    if (s->region.len >= 4 && is_digit(r[2]) && is_digit(r[3])) {
      s->city[2] = r[2];
      s->city[3] = r[3];
    } else {
      s->city[2] = '0';
      s->city[3] = '0';
    }
  } else {
    s->prov[0] = s->prov[1] = '0';
    s->city[2] = s->city[3] = '0';
  }
  s->prov[2] = '\0';
  s->city[0] = s->prov[0];
  s->city[1] = s->prov[1];
  s->city[4] = '\0';
}

static int region_usable(cc_str r)
{
  return r.len >= 2 && is_digit(r.ptr[0]) && is_digit(r.ptr[1]);
}

static int validate_region_prefix(const char *region)
{
  size_t i, n;
  if (region == NULL || region[0] == '\0')
    return 0;
  n = strlen(region);
  for (i = 0; i < n; i++)
    if (!is_digit(region[i]))
      break;
  if (i < n || n > 6)
    return cc_error_set(CC_EINVALID,
                        "--region takes up to 6 digits of a GB/T 2260 code, "
                        "not '%s'",
                        region);
  return 0;
}

int cc_export_plan_build(cc_export_plan *out, const cc_finding_list *list,
                         const cc_export_options *opts)
{
  cc_export_plan p;
  school_table tab = {NULL, 0};
  size_t i, j, n_members = 0, cap_schools = 0, slots;
  uint32_t *pos = NULL, *stamp_city = NULL, *stamp_prov = NULL;
  const char *only_school =
      opts->school && opts->school[0] ? opts->school : NULL;
  const char *only_region =
      opts->region && opts->region[0] ? opts->region : NULL;
  int rc = 0;

  memset(&p, 0, sizeof p);
  memset(out, 0, sizeof *out);
  p.list = list;
  rc = validate_region_prefix(only_region);
  if (rc < 0)
    return rc;

  /* 1. Each member's school. */
  p.moff = malloc((list->n + 1) * sizeof *p.moff);
  if (p.moff == NULL)
    goto nomem;
  for (i = 0; i < list->n; i++) {
    p.moff[i] = n_members;
    n_members += list->items[i].n_members;
  }
  p.moff[list->n] = n_members;
  p.member_school =
      malloc((n_members ? n_members : 1) * sizeof *p.member_school);
  for (slots = 16; slots < 2 * n_members; slots *= 2)
    ;
  tab.slots = malloc(slots * sizeof *tab.slots);
  if (p.member_school == NULL || tab.slots == NULL)
    goto nomem;
  memset(tab.slots, 0xff, slots * sizeof *tab.slots); /* NO_SCHOOL */
  tab.mask = slots - 1;

  for (i = 0; i < list->n; i++) {
    const cc_finding *f = &list->items[i];
    for (j = 0; j < f->n_members; j++) {
      const cc_member *m = &f->members[j];
      cc_str code = trim(m->school_code);
      size_t h = (size_t)school_hash(m->label, code) & tab.mask;
      uint32_t sid;
      cc_export_school *s;
      /* Linear probing: at most half the slots are ever used. */
      for (;;) {
        sid = tab.slots[h];
        if (sid == NO_SCHOOL || (str_eq(p.schools[sid].code, code) &&
                                 str_eq(p.schools[sid].label, m->label)))
          break;
        h = (h + 1) & tab.mask;
      }
      if (sid == NO_SCHOOL) {
        if (p.n_schools == cap_schools) {
          size_t cap = cap_schools ? 2 * cap_schools : 1024;
          cc_export_school *g = realloc(p.schools, cap * sizeof *g);
          if (g == NULL)
            goto nomem;
          p.schools = g;
          cap_schools = cap;
        }
        sid = (uint32_t)p.n_schools++;
        tab.slots[h] = sid;
        s = &p.schools[sid];
        memset(s, 0, sizeof *s);
        s->label = m->label;
        s->code = code;
      }
      s = &p.schools[sid];
      p.member_school[p.moff[i] + j] = sid;
      if (s->name.len == 0 && trim(m->school_name).len > 0)
        s->name = trim(m->school_name);
      if (s->region.len == 0 && region_usable(trim(m->region_code)))
        s->region = trim(m->region_code);
    }
  }
  free(tab.slots);
  tab.slots = NULL;

  /* 2. Filters, areas, file names. A code used by schools of two rosters
   * gets the label in its file names, whatever the filters, so a school's
   * file is named the same in every export of the period. */
  p.order = malloc((p.n_schools ? p.n_schools : 1) * sizeof *p.order);
  if (p.order == NULL)
    goto nomem;
  for (i = 0; i < p.n_schools; i++)
    p.order[i] = (uint32_t)i;
  if (sort_order(p.order, p.n_schools, p.schools, code_cmp) < 0)
    goto nomem;
  for (i = 0; i < p.n_schools; i++) {
    cc_export_school *s = &p.schools[p.order[i]];
    int shared = (i > 0 && str_eq(p.schools[p.order[i - 1]].code, s->code)) ||
                 (i + 1 < p.n_schools &&
                  str_eq(p.schools[p.order[i + 1]].code, s->code));
    school_area(s);
    cc_export_file_name(s->file, s->code.ptr, s->code.len,
                        shared ? s->label.ptr : NULL, s->label.len);
    s->kept = 1;
    if (only_school != NULL &&
        !(s->code.len == strlen(only_school) &&
          memcmp(s->code.ptr, only_school, s->code.len) == 0))
      s->kept = 0;
    if (only_region != NULL &&
        !(s->region.len >= strlen(only_region) &&
          memcmp(s->region.ptr, only_region, strlen(only_region)) == 0))
      s->kept = 0;
  }

  /* 3. Rows: count the distinct kept schools of each finding. A finding
   * has few members, so "seen before in this finding" is a short scan. */
  for (i = 0; i < list->n; i++) {
    const uint32_t *ms = p.member_school + p.moff[i];
    size_t n = list->items[i].n_members, k;
    for (j = 0; j < n; j++) {
      if (!p.schools[ms[j]].kept)
        continue;
      for (k = 0; k < j && ms[k] != ms[j]; k++)
        ;
      if (k == j) {
        p.schools[ms[j]].n_rows++;
        p.n_rows++;
      }
    }
  }

  /* 4. Output order of the kept schools, and their rows' places. */
  p.n_kept = 0;
  for (i = 0; i < p.n_schools; i++)
    if (p.schools[i].kept)
      p.order[p.n_kept++] = (uint32_t)i;
  if (sort_order(p.order, p.n_kept, p.schools, order_cmp) < 0)
    goto nomem;
  p.rows = malloc((p.n_rows ? p.n_rows : 1) * sizeof *p.rows);
  pos = malloc((p.n_schools ? p.n_schools : 1) * sizeof *pos);
  if (p.rows == NULL || pos == NULL)
    goto nomem;
  {
    uint32_t at = 0;
    for (i = 0; i < p.n_kept; i++) {
      cc_export_school *s = &p.schools[p.order[i]];
      s->first_row = at;
      pos[p.order[i]] = at;
      at += s->n_rows;
    }
  }
  for (i = 0; i < list->n; i++) {
    const uint32_t *ms = p.member_school + p.moff[i];
    size_t n = list->items[i].n_members, k;
    for (j = 0; j < n; j++) {
      if (!p.schools[ms[j]].kept)
        continue;
      for (k = 0; k < j && ms[k] != ms[j]; k++)
        ;
      if (k == j)
        p.rows[pos[ms[j]]++] = (uint32_t)i;
    }
  }

  /* Cities and provinces: runs of the order. */
  p.cities = malloc((p.n_kept ? p.n_kept : 1) * sizeof *p.cities);
  p.provinces = malloc((p.n_kept ? p.n_kept : 1) * sizeof *p.provinces);
  if (p.cities == NULL || p.provinces == NULL)
    goto nomem;
  for (i = 0; i < p.n_kept; i++) {
    cc_export_school *s = &p.schools[p.order[i]];
    if (p.n_cities == 0 ||
        strcmp(p.cities[p.n_cities - 1].code, s->city) != 0) {
      cc_export_area *c = &p.cities[p.n_cities++];
      memset(c, 0, sizeof *c);
      memcpy(c->code, s->city, 5);
      c->first = (uint32_t)i;
      if (p.n_provinces == 0 ||
          strcmp(p.provinces[p.n_provinces - 1].code, s->prov) != 0) {
        cc_export_area *v = &p.provinces[p.n_provinces++];
        memset(v, 0, sizeof *v);
        memcpy(v->code, s->prov, 3);
        v->first = (uint32_t)(p.n_cities - 1);
      }
      p.provinces[p.n_provinces - 1].n++;
    }
    p.cities[p.n_cities - 1].n++;
    s->city_index = (uint32_t)(p.n_cities - 1);
  }

  /* 5. Tallies. A city or province counts a finding once: the stamp of an
   * area is the last finding (+1) that counted there. */
  stamp_city = calloc(p.n_cities ? p.n_cities : 1, sizeof *stamp_city);
  stamp_prov = calloc(p.n_provinces ? p.n_provinces : 1, sizeof *stamp_prov);
  if (stamp_city == NULL || stamp_prov == NULL)
    goto nomem;
  {
    uint32_t *city_prov = pos; /* reuse: province of each city */
    for (i = 0; i < p.n_provinces; i++)
      for (j = 0; j < p.provinces[i].n; j++)
        city_prov[p.provinces[i].first + j] = (uint32_t)i;
    for (i = 0; i < p.n_kept; i++) {
      cc_export_school *s = &p.schools[p.order[i]];
      cc_export_area *c = &p.cities[s->city_index];
      c->tally.schools++;
      p.provinces[city_prov[s->city_index]].tally.schools++;
      p.total.schools++;
      if (c->tally.schools == 1) {
        p.provinces[city_prov[s->city_index]].tally.cities++;
        p.total.cities++;
      }
      for (j = 0; j < s->n_rows; j++)
        tally_add(&s->tally, &list->items[p.rows[s->first_row + j]]);
    }
    for (i = 0; i < list->n; i++) {
      const cc_finding *f = &list->items[i];
      const uint32_t *ms = p.member_school + p.moff[i];
      uint32_t mark = (uint32_t)i + 1;
      int any = 0;
      for (j = 0; j < f->n_members; j++) {
        const cc_export_school *s = &p.schools[ms[j]];
        uint32_t pv;
        if (!s->kept)
          continue;
        any = 1;
        if (stamp_city[s->city_index] != mark) {
          stamp_city[s->city_index] = mark;
          tally_add(&p.cities[s->city_index].tally, f);
        }
        pv = city_prov[s->city_index];
        if (stamp_prov[pv] != mark) {
          stamp_prov[pv] = mark;
          tally_add(&p.provinces[pv].tally, f);
        }
      }
      if (any)
        tally_add(&p.total, f);
    }
  }
  free(pos);
  free(stamp_city);
  free(stamp_prov);
  *out = p;
  return 0;

nomem:
  rc = cc_error_set(CC_ENOMEM, "out of memory grouping %zu findings by school",
                    list->n);
  free(tab.slots);
  free(pos);
  free(stamp_city);
  free(stamp_prov);
  cc_export_plan_dispose(&p);
  return rc;
}

/* ------------------------------------------------------------------ */
/* Files. */

/* Creates (or truncates) a file with mode 0600 and returns its descriptor,
 * or -1 with the error set. fchmod covers a file that existed with another
 * mode; O_NOFOLLOW refuses a symbolic link planted in its place. */
static int create_0600(const char *path)
{
  int fd =
      open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return cc_error_set_errno(CC_EIO, errno, "cannot create %s", path);
  if (fchmod(fd, 0600) != 0) {
    int e = errno;
    close(fd);
    return cc_error_set_errno(CC_EIO, e, "cannot set the mode of %s", path);
  }
  return fd;
}

static int write_file(const char *path, const char *data, size_t len)
{
  int fd = create_0600(path);
  size_t done = 0;
  if (fd < 0)
    return fd;
  while (done < len) {
    ssize_t w = write(fd, data + done, len - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0) {
      int e = errno;
      close(fd);
      return cc_error_set_errno(CC_EIO, e, "cannot write %s", path);
    }
    done += (size_t)w;
  }
  if (close(fd) != 0)
    return cc_error_set_errno(CC_EIO, errno, "cannot write %s", path);
  return 0;
}

static int make_dir(const char *path)
{
  int rc = cc_mkdir_p(path, 0700);
  if (rc < 0)
    return rc;
  if (chmod(path, 0700) != 0)
    return cc_error_set_errno(CC_EIO, errno, "cannot set the mode of %s", path);
  return 0;
}

/* dir/name.ext into out; CC_EINVALID when it does not fit. */
static int make_path(char *out, size_t cap, const char *dir, const char *name,
                     const char *ext)
{
  int n = snprintf(out, cap, "%s/%s%s", dir, name, ext);
  if (n < 0 || (size_t)n >= cap)
    return cc_error_set(CC_EINVALID, "output path too long under %s", dir);
  return 0;
}

/* ------------------------------------------------------------------ */
/* Tables: one sheet and its CSV, filled row by row, cell by cell in
 * column order. */

enum { K_TEXT, K_WRAP, K_MONEY, K_COUNT };

typedef struct table_col {
  const char *title; /* Chinese header */
  double width;      /* Excel column width (characters) */
  int kind;          /* K_* */
} table_col;

typedef struct table {
  const table_col *cols;
  int n_cols;
  unsigned formats; /* CC_EXPORT_XLSX | CC_EXPORT_CSV */
  lxw_workbook *wb;
  lxw_worksheet *ws;
  lxw_format *f_head, *f_wrap, *f_money;
  cc_buf csv;    /* the CSV so far */
  cc_buf cell;   /* scratch: one cell's text */
  lxw_row_t row; /* the row being filled (0: header) */
  int col;       /* the next column */
  lxw_error lxw; /* first libxlsxwriter error */
} table;

/* A CSV cell (engine/buf.c): flags CC_CSV_TEXT for a text cell. */
static void csv_cell(table *t, const char *p, size_t n, unsigned flags)
{
  if (t->col > 0)
    cc_buf_putc(&t->csv, ',');
  cc_csv_cell(&t->csv, p, n, flags);
}

/* Workbook cells hold at most 32,767 characters: cut longer text at a
 * character boundary (bytes are never fewer than characters). */
static void xlsx_string(table *t, const char *s, size_t n, lxw_format *fmt)
{
  lxw_error e;
  if (n == 0)
    return;
  if (n > 32767) {
    n = 32767;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
      n--;
    ((char *)s)[n] = '\0'; /* s is the table's own scratch */
  }
  e = worksheet_write_string(t->ws, t->row, (lxw_col_t)t->col, s, fmt);
  if (e != LXW_NO_ERROR && t->lxw == LXW_NO_ERROR)
    t->lxw = e;
}

/* A text cell: the bytes are sanitized (sb_text) first. */
static void cell_text(table *t, const char *p, size_t n)
{
  const char *s;
  size_t len;
  assert(t->col < t->n_cols);
  cc_buf_reset(&t->cell);
  sb_text(&t->cell, p, n);
  s = t->cell.len ? t->cell.p : "";
  len = t->cell.len;
  /* Every text cell below the header may carry a roster's text: one that
   * Excel would read as a formula is neutralised (cc_csv_cell). */
  if (t->formats & CC_EXPORT_CSV)
    csv_cell(t, s, len, t->row > 0 ? CC_CSV_TEXT : 0);
  if (t->formats & CC_EXPORT_XLSX)
    xlsx_string(t, t->cell.p, len,
                t->row == 0
                    ? t->f_head
                    : (t->cols[t->col].kind == K_WRAP ? t->f_wrap : NULL));
  t->col++;
}

static void cell_cstr(table *t, const char *s)
{
  cell_text(t, s, strlen(s));
}

static void cell_money(table *t, int64_t fen)
{
  char m[24];
  int n = cc_money_format(m, fen);
  if (t->formats & CC_EXPORT_CSV)
    csv_cell(t, m, (size_t)n, 0);
  if (t->formats & CC_EXPORT_XLSX) {
    lxw_error e = worksheet_write_number(t->ws, t->row, (lxw_col_t)t->col,
                                         (double)fen / 100.0, t->f_money);
    if (e != LXW_NO_ERROR && t->lxw == LXW_NO_ERROR)
      t->lxw = e;
  }
  t->col++;
}

static void cell_count(table *t, uint64_t v)
{
  char m[24];
  int n = snprintf(m, sizeof m, "%llu", (unsigned long long)v);
  if (t->formats & CC_EXPORT_CSV)
    csv_cell(t, m, (size_t)n, 0);
  if (t->formats & CC_EXPORT_XLSX) {
    lxw_error e = worksheet_write_number(t->ws, t->row, (lxw_col_t)t->col,
                                         (double)v, NULL);
    if (e != LXW_NO_ERROR && t->lxw == LXW_NO_ERROR)
      t->lxw = e;
  }
  t->col++;
}

static void end_row(table *t)
{
  assert(t->col == t->n_cols);
  if (t->formats & CC_EXPORT_CSV)
    cc_buf_put(&t->csv, "\r\n", 2);
  t->row++;
  t->col = 0;
}

/* Starts a table: a workbook at path.xlsx whose first sheet is `sheet`,
 * and the CSV in memory; writes the header row. */
static int table_open(table *t, const char *xlsx_path, const char *sheet,
                      const table_col *cols, int n_cols, unsigned formats,
                      const char *title)
{
  int i;
  t->cols = cols;
  t->n_cols = n_cols;
  t->formats = formats;
  t->row = 0;
  t->col = 0;
  t->lxw = LXW_NO_ERROR;
  t->wb = NULL;
  cc_buf_reset(&t->csv);
  if (formats & CC_EXPORT_CSV)
    cc_buf_puts(&t->csv, CC_CSV_BOM); /* Excel then reads UTF-8 */
  if (formats & CC_EXPORT_XLSX) {
    lxw_doc_properties props;
    int fd = create_0600(xlsx_path);
    if (fd < 0)
      return fd;
    close(fd);
    t->wb = workbook_new(xlsx_path);
    if (t->wb == NULL)
      return cc_error_set(CC_ENOMEM, "cannot start the workbook %s", xlsx_path);
    memset(&props, 0, sizeof props);
    props.title = (char *)title;
    props.author = (char *)"chachong";
    workbook_set_properties(t->wb, &props);
    t->ws = workbook_add_worksheet(t->wb, sheet);
    t->f_head = workbook_add_format(t->wb);
    t->f_wrap = workbook_add_format(t->wb);
    t->f_money = workbook_add_format(t->wb);
    if (t->ws == NULL || t->f_head == NULL || t->f_wrap == NULL ||
        t->f_money == NULL)
      return cc_error_set(CC_ENOMEM, "cannot start the workbook %s", xlsx_path);
    format_set_bold(t->f_head);
    format_set_bg_color(t->f_head, 0xDDEBF7);
    format_set_border(t->f_head, LXW_BORDER_THIN);
    format_set_text_wrap(t->f_head);
    format_set_text_wrap(t->f_wrap);
    format_set_num_format(t->f_money, "0.00");
    for (i = 0; i < n_cols; i++)
      worksheet_set_column(t->ws, (lxw_col_t)i, (lxw_col_t)i, cols[i].width,
                           NULL);
    worksheet_freeze_panes(t->ws, 1, 0);
  }
  for (i = 0; i < n_cols; i++)
    cell_cstr(t, cols[i].title);
  end_row(t);
  return 0;
}

/* Finishes a table: the workbook is written, then the CSV next to it. */
static int table_close(table *t, const char *xlsx_path, const char *csv_path)
{
  int rc = 0;
  if (t->wb != NULL) {
    lxw_error e;
    if (t->row > 1)
      worksheet_autofilter(t->ws, 0, 0, t->row - 1, (lxw_col_t)(t->n_cols - 1));
    e = workbook_close(t->wb);
    t->wb = NULL;
    if (t->lxw != LXW_NO_ERROR)
      e = t->lxw;
    if (e != LXW_NO_ERROR)
      rc = cc_error_set(CC_EIO, "cannot write %s: %s", xlsx_path,
                        lxw_strerror(e));
    else if (chmod(xlsx_path, 0600) != 0)
      rc = cc_error_set_errno(CC_EIO, errno, "cannot set the mode of %s",
                              xlsx_path);
  }
  if (rc == 0 && (t->formats & CC_EXPORT_CSV)) {
    if ((rc = cc_buf_check(&t->cell, csv_path)) < 0 ||
        (rc = cc_buf_check(&t->csv, csv_path)) < 0)
      return rc;
    rc = write_file(csv_path, t->csv.p, t->csv.len);
  }
  return rc;
}

/* Drops a table that failed half-way (the workbook is not written). */
static void table_abort(table *t)
{
  if (t->wb != NULL) {
    workbook_close(t->wb); /* libxlsxwriter has no "discard" */
    t->wb = NULL;
  }
}

/* ------------------------------------------------------------------ */
/* A school's package. */

static const table_col school_cols[] = {
    {"问题编号", 18, K_TEXT},
    {"问题类型", 20, K_TEXT},
    {"范围", 8, K_TEXT},
    {"状态", 8, K_TEXT},
    {"学生姓名", 12, K_TEXT},
    {"身份证号", 21, K_TEXT},
    {"匹配依据", 50, K_WRAP},
    {"本校学籍号", 18, K_WRAP},
    {"本校学籍状态", 10, K_WRAP},
    {"本校助学金（元）", 10, K_MONEY},
    {"本校免学费（元）", 10, K_MONEY},
    {"重复发放金额（元）", 10, K_MONEY},
    {"涉及的其他学校", 40, K_WRAP},
    {"下发日期", 12, K_TEXT},
    {"整改截止日期", 14, K_TEXT},
    {"应采取的措施", 60, K_WRAP},
    {"学校反馈", 30, K_WRAP},
    {"备注", 30, K_WRAP},
    /* What import.c reads back: whose row it is, and the school's answer
     * (a drop-down in the workbook) with its note. */
    {CC_IMPORT_COL_SCHOOL, 14, K_TEXT},
    {CC_IMPORT_COL_ANSWER, 20, K_TEXT},
    {CC_IMPORT_COL_NOTE, 40, K_WRAP},
};
#define N_SCHOOL_COLS ((int)(sizeof school_cols / sizeof school_cols[0]))
/* The answer column: the drop-down's. */
#define SCHOOL_ANSWER_COL (N_SCHOOL_COLS - 2)

/* Per-worker scratch. */
typedef struct worker {
  table t;
  cc_buf a; /* one cell being assembled */
  char path[4096];
  char path2[4096];
} worker;

static void worker_free(worker *w)
{
  table_abort(&w->t);
  cc_buf_dispose(&w->t.csv);
  cc_buf_dispose(&w->t.cell);
  cc_buf_dispose(&w->a);
}

static void put_sep(cc_buf *b, int *first)
{
  if (!*first)
    cc_buf_puts(b, SEP);
  *first = 0;
}

/* The "other school" text of one member's school: name (code, system). */
static void other_school_text(cc_buf *b, const cc_export_school *s,
                              const cc_finding *f, const cc_member *m)
{
  char label[64];
  size_t n = s->label.len < sizeof label - 1 ? s->label.len : sizeof label - 1;
  memcpy(label, s->label.ptr, n);
  label[n] = '\0';
  if (s->name.len) {
    sb_str(b, s->name);
    cc_buf_puts(b, "（");
  } else {
    cc_buf_puts(b, "（");
  }
  sb_str(b, s->code);
  cc_buf_puts(b, "，");
  sb_text(b, cc_export_system_zh(label), strlen(cc_export_system_zh(label)));
  /* For an ID carried under two names, the name the other school holds is
   * the evidence the school needs. */
  if (f->type == CC_FT_ID_CONFLICT && m->name.len) {
    cc_buf_puts(b, "，登记姓名：");
    sb_str(b, m->name);
  }
  cc_buf_puts(b, "）");
}

/* 1 when a member before j at school sid carries the ID `id`. */
static int own_id_before(const cc_finding *f, const uint32_t *ms, uint32_t sid,
                         uint32_t j, cc_str id)
{
  uint32_t k;
  for (k = 0; k < j; k++)
    if (ms[k] == sid && str_eq(f->members[k].id, id))
      return 1;
  return 0;
}

/*
 * The 匹配依据 cell (issue 9, point 6): why the members are taken for one
 * person. Exact: the one ID. Fuzzy: the confidence, the Chinese evidence
 * of every field that weighed (a field of weight 0 is the typo itself, said
 * by the ID's entry), and the other records' IDs as this school may see
 * them: another school's masked as everywhere else (cc_id_mask), this
 * school's own in full (they are in the 身份证号 cell already and not
 * repeated).
 */
static void basis_text(cc_buf *a, const cc_finding *f, const uint32_t *ms,
                       uint32_t sid)
{
  char pct[32];
  uint32_t j, k;
  int e, first = 1;
  if (f->reason) {
    /* A policy finding is one record judged by the subsidy rules: no
     * records were matched. */
    cc_buf_puts(a, "单条记录，按资助政策核查（");
    cc_buf_puts(a, cc_finding_reason_zh((cc_finding_reason)f->reason));
    cc_buf_puts(a, "）");
    return;
  }
  if (f->basis == CC_BASIS_ID_EXACT) {
    cc_buf_puts(a, "身份证号完全相同");
    return;
  }
  snprintf(pct, sizeof pct, "%u.%02u%%", (unsigned)f->confidence / 100,
           (unsigned)f->confidence % 100);
  cc_buf_puts(a, "疑似同一人，置信度");
  cc_buf_puts(a, pct);
  cc_buf_puts(a, "：");
  for (e = 0; e < f->n_evidence && e < CC_EVIDENCE_MAX; e++) {
    const cc_evidence *ev = &f->evidence[e];
    if (ev->weight10 == 0)
      continue;
    put_sep(a, &first);
    cc_buf_puts(a, cc_evidence_zh(ev->field, ev->level));
  }
  first = 1;
  for (j = 0; j < f->n_members; j++) {
    const cc_str id = f->members[j].id;
    char id0[CC_ID_MAX + 1], masked[CC_ID_MAX + 1];
    size_t n = id.len < CC_ID_MAX ? id.len : CC_ID_MAX;
    if (ms[j] == sid || id.len == 0)
      continue;
    /* Each ID once; none this school holds itself. */
    for (k = 0; k < f->n_members; k++)
      if (str_eq(f->members[k].id, id) && (ms[k] == sid || (k < j)))
        break;
    if (k < f->n_members)
      continue;
    memcpy(id0, id.ptr, n);
    id0[n] = '\0';
    cc_id_mask(masked, id0);
    cc_buf_puts(a, first ? (f->n_evidence ? SEP "对方记录身份证号："
                                          : "对方记录身份证号：")
                         : "、");
    first = 0;
    cc_buf_puts(a, masked);
  }
}

static void school_row(worker *w, const cc_export_plan *p, uint32_t sid,
                       uint32_t fi)
{
  const cc_finding *f = &p->list->items[fi];
  const uint32_t *ms = p->member_school + p->moff[fi];
  table *t = &w->t;
  cc_buf *a = &w->a;
  char hex[17];
  uint32_t j, k, here = 0, others = 0;
  int64_t grant = 0, waiver = 0;
  int first;

  for (j = 0; j < f->n_members; j++) {
    if (ms[j] == sid) {
      here++;
      grant += f->members[j].grant;
      waiver += f->members[j].waiver;
    } else {
      for (k = 0; k < j && ms[k] != ms[j]; k++)
        ;
      if (k == j)
        others++;
    }
  }

  cc_finding_id_hex(hex, f->finding_id);
  cell_cstr(t, hex);
  if (f->reason) {
    /* A policy finding: its type and why (违规享受国家助学金（非全日制学生）). */
    cc_buf_reset(a);
    cc_buf_puts(a, cc_finding_type_zh((cc_finding_type)f->type));
    cc_buf_puts(a, "（");
    cc_buf_puts(a, cc_finding_reason_zh((cc_finding_reason)f->reason));
    cc_buf_puts(a, "）");
    cell_text(t, a->p, a->len);
  } else {
    cell_cstr(t, cc_finding_type_zh((cc_finding_type)f->type));
  }
  cell_cstr(t, scope_zh(f));
  cell_cstr(t, cc_finding_state_zh((cc_finding_state)f->state));

  /* Names as registered at this school, each once. */
  cc_buf_reset(a);
  first = 1;
  for (j = 0; j < f->n_members; j++) {
    if (ms[j] != sid)
      continue;
    for (k = 0; k < j && !(ms[k] == sid &&
                           str_eq(f->members[k].name, f->members[j].name));
         k++)
      ;
    if (k < j)
      continue;
    put_sep(a, &first);
    sb_str(a, f->members[j].name);
  }
  cell_text(t, a->p ? a->p : "", a->len);

  /* The ID: a fuzzy finding's members carry IDs that differ; the school
   * sees its own records' IDs in full (the others' masked, below). */
  cc_buf_reset(a);
  first = 1;
  for (j = 0; j < f->n_members && f->basis != CC_BASIS_ID_EXACT; j++) {
    if (ms[j] != sid || f->members[j].id.len == 0 ||
        own_id_before(f, ms, sid, j, f->members[j].id))
      continue;
    put_sep(a, &first);
    sb_str(a, f->members[j].id);
  }
  if (a->len)
    cell_text(t, a->p, a->len);
  else
    cell_cstr(t, f->id);
  cc_buf_reset(a);
  basis_text(a, f, ms, sid);
  cell_text(t, a->p, a->len);

  /* One value per record of this school, in roster order. */
  cc_buf_reset(a);
  first = 1;
  for (j = 0; j < f->n_members; j++) {
    if (ms[j] != sid)
      continue;
    put_sep(a, &first);
    if (f->members[j].record_id.len)
      sb_str(a, f->members[j].record_id);
    else if (here > 1)
      cc_buf_puts(a, "（无学籍号）");
  }
  cell_text(t, a->p ? a->p : "", a->len);
  cc_buf_reset(a);
  first = 1;
  for (j = 0; j < f->n_members; j++) {
    if (ms[j] != sid)
      continue;
    put_sep(a, &first);
    cc_buf_puts(a, cc_status_zh((cc_status)f->members[j].status));
  }
  cell_text(t, a->p ? a->p : "", a->len);
  cell_money(t, grant);
  cell_money(t, waiver);
  cell_money(t, f->amount_at_risk);

  /* The other schools, each once. */
  cc_buf_reset(a);
  first = 1;
  for (j = 0; j < f->n_members; j++) {
    if (ms[j] == sid)
      continue;
    for (k = 0; k < j && ms[k] != ms[j]; k++)
      ;
    if (k < j)
      continue;
    put_sep(a, &first);
    other_school_text(a, &p->schools[ms[j]], f, &f->members[j]);
  }
  if (others == 0)
    cc_buf_puts(a, f->reason ? "无（本校记录不符合资助政策）"
                             : "无（本校内重复）");
  cell_text(t, a->p, a->len);

  cc_buf_reset(a);
  sb_date(a, f->issued);
  cell_text(t, a->p, a->len);
  cc_buf_reset(a);
  sb_date(a, f->deadline);
  if (f->deadline_provisional)
    cc_buf_puts(a, "（暂定）");
  cell_text(t, a->p, a->len);

  if (f->state == CC_STATE_CLEARED)
    cell_cstr(t, "已清理，无需处理");
  else if (f->reason)
    cell_cstr(t, cc_finding_reason_todo_zh((cc_finding_type)f->type,
                                           (cc_finding_reason)f->reason));
  else
    cell_cstr(t, cc_export_action_zh(f->type, others > 0));

  /* The latest response: "date 学校 code：what it did（by）：note". */
  cc_buf_reset(a);
  if (f->response_action != CC_ACTION_NONE) {
    sb_date(a, f->response_date);
    cc_buf_puts(a, " 学校");
    sb_str(a, f->response_school);
    cc_buf_puts(a, "：");
    cc_buf_puts(a,
                cc_response_action_zh((cc_response_action)f->response_action));
    if (f->response_by.len) {
      cc_buf_puts(a, "（");
      sb_str(a, f->response_by);
      cc_buf_puts(a, "）");
    }
    if (f->response_note.len) {
      cc_buf_puts(a, "：");
      sb_str(a, f->response_note);
    }
  }
  cell_text(t, a->p ? a->p : "", a->len);

  cc_buf_reset(a);
  first = 1;
  if (f->claimed) {
    put_sep(a, &first);
    cc_buf_puts(a, "学校声称已处理但仍存在");
  }
  if (f->state == CC_STATE_CLEARED) {
    put_sep(a, &first);
    cc_buf_puts(a, "已于");
    sb_date(a, f->cleared);
    cc_buf_puts(a, f->cleared_on_time ? "按期清理" : "清理（超过截止日期）");
  }
  if (!f->id_valid) {
    put_sep(a, &first);
    cc_buf_puts(a, "身份证号校验未通过：");
    cc_buf_puts(a, cc_id_reason_zh((cc_id_reason)f->id_reason));
  }
  cell_text(t, a->p ? a->p : "", a->len);
  /* Left for the school: the answer and its note. */
  cell_text(t, p->schools[sid].code.ptr, p->schools[sid].code.len);
  cell_cstr(t, "");
  cell_cstr(t, "");
  end_row(t);
}

/*
 * The answer column's drop-down (Excel data validation): exactly the three
 * choices of cc_import_answer_zh, nothing else accepted, over the rows of
 * the school's cases.
 */
static void school_answer_list(table *t, uint32_t n_rows)
{
  const char *list[CC_ACTION_COUNT_];
  lxw_data_validation dv;
  lxw_error e;
  int a, n = 0;
  if (t->wb == NULL || n_rows == 0)
    return;
  for (a = CC_ACTION_NONE + 1; a < CC_ACTION_COUNT_; a++)
    list[n++] = cc_import_answer_zh((cc_response_action)a);
  list[n] = NULL;
  memset(&dv, 0, sizeof dv);
  dv.validate = LXW_VALIDATION_TYPE_LIST;
  dv.value_list = (char **)list;
  dv.ignore_blank = LXW_VALIDATION_ON;
  dv.show_input = LXW_VALIDATION_ON;
  dv.show_error = LXW_VALIDATION_ON;
  dv.error_type = LXW_VALIDATION_ERROR_TYPE_STOP;
  dv.input_title = (char *)"本校处理结果";
  dv.input_message = (char *)"请从下拉列表中选择本校的处理结果，"
                             "并在右侧“处理说明”中简要说明。";
  dv.error_title = (char *)"处理结果无效";
  dv.error_message = (char *)"请从下拉列表中选择：保留本校学籍、"
                             "已注销本校学籍或已请对方学校注销。";
  e = worksheet_data_validation_range(t->ws, 1, SCHOOL_ANSWER_COL, n_rows,
                                      SCHOOL_ANSWER_COL, &dv);
  if (e != LXW_NO_ERROR && t->lxw == LXW_NO_ERROR)
    t->lxw = e;
}

/* The 说明 sheet: who the package is for and how to handle it. */
static void school_notes(table *t, const cc_export_school *s,
                         const char *period, cc_buf *a)
{
  lxw_worksheet *ws;
  char label[64];
  size_t n = s->label.len < sizeof label - 1 ? s->label.len : sizeof label - 1;
  const char *prov = cc_region_lookup(s->prov, 2);
  const char *city = cc_region_lookup(s->city, 4);
  lxw_row_t r = 0;
  if (t->wb == NULL)
    return;
  ws = workbook_add_worksheet(t->wb, "说明");
  if (ws == NULL)
    return;
  memcpy(label, s->label.ptr, n);
  label[n] = '\0';
  worksheet_set_column(ws, 0, 0, 14, NULL);
  worksheet_set_column(ws, 1, 1, 80, t->f_wrap);
#define NOTE(key, text)                                                        \
  do {                                                                         \
    worksheet_write_string(ws, r, 0, key, t->f_head);                          \
    worksheet_write_string(ws, r, 1, text, t->f_wrap);                         \
    r++;                                                                       \
  } while (0)
  cc_buf_reset(a);
  sb_str(a, s->code);
  NOTE("学校代码", a->p);
  cc_buf_reset(a);
  sb_str(a, s->name);
  NOTE("学校名称", a->len ? a->p : "");
  NOTE("所属系统", cc_export_system_zh(label));
  cc_buf_reset(a);
  if (s->prov[0] == '0' && s->prov[1] == '0') {
    cc_buf_puts(a, "地区代码缺失");
  } else {
    cc_buf_puts(a, prov ? prov : s->prov);
    cc_buf_puts(a, " ");
    cc_buf_puts(a, city ? city : s->city);
    cc_buf_puts(a, "（");
    sb_str(a, s->region);
    cc_buf_puts(a, "）");
  }
  NOTE("所在地区", a->p);
  NOTE("统计期", period);
  {
    char count[24];
    snprintf(count, sizeof count, "%u", (unsigned)s->n_rows);
    NOTE("问题数", count);
  }
  NOTE("说明",
       "本表列出本期查重比对发现的、涉及本校学生记录的问题，每个问题一行。"
       "请在整改截止日期（下发日期后第10个工作日）前核实并处理，"
       "并将处理结果报上级主管部门登记。");
  NOTE("如何反馈",
       "请在“问题清单”表“本校处理结果”列的下拉列表中为每个问题选择："
       "保留本校学籍（学生在本校就读）、已注销本校学籍、"
       "已请对方学校注销；在“处理说明”列简要说明，然后将本表交回"
       "上级主管部门导入登记。请勿修改问题编号和学校代码，"
       "只能反馈涉及本校的问题。");
  NOTE("个人信息", "本表含学生完整身份证号，仅供本校核对本校学籍记录使用，"
                   "不得转发或公开（谁导出、谁负责）。");
#undef NOTE
}

static int area_dir(char *out, size_t cap, const char *out_dir,
                    const char *prov, const char *city)
{
  int n;
  const char *pn = (prov[0] == '0' && prov[1] == '0') ? "地区代码缺失"
                                                      : cc_region_name(prov);
  if (city == NULL) {
    n = snprintf(out, cap, "%s/%s-%s", out_dir, prov, pn);
  } else {
    const char *cn = (prov[0] == '0' && prov[1] == '0') ? "地区代码缺失"
                                                        : cc_region_name(city);
    n = snprintf(out, cap, "%s/%s-%s/%s-%s", out_dir, prov, pn, city, cn);
  }
  if (n < 0 || (size_t)n >= cap)
    return cc_error_set(CC_EINVALID, "output path too long under %s", out_dir);
  return 0;
}

static int write_school(worker *w, const cc_export_plan *p,
                        const cc_export_school *s,
                        const cc_export_options *opts)
{
  char dir[4096], title[64];
  uint32_t i, sid = (uint32_t)(s - p->schools);
  int rc;
  rc = area_dir(dir, sizeof dir, opts->out_dir, s->prov, s->city);
  if (rc < 0)
    return rc;
  rc = make_path(w->path, sizeof w->path, dir, s->file, ".xlsx");
  if (rc == 0)
    rc = make_path(w->path2, sizeof w->path2, dir, s->file, ".csv");
  if (rc < 0)
    return rc;
  snprintf(title, sizeof title, "查重问题清单 %s", opts->period);
  rc = table_open(&w->t, w->path, "问题清单", school_cols, N_SCHOOL_COLS,
                  opts->formats, title);
  if (rc < 0) {
    table_abort(&w->t);
    return rc;
  }
  for (i = 0; i < s->n_rows; i++) {
    uint32_t fi = p->rows[s->first_row + i];
    school_row(w, p, sid, fi);
  }
  school_answer_list(&w->t, s->n_rows);
  school_notes(&w->t, s, opts->period, &w->a);
  if ((rc = cc_buf_check(&w->a, w->path)) < 0) {
    table_abort(&w->t);
    return rc;
  }
  return table_close(&w->t, w->path, w->path2);
}

/* ------------------------------------------------------------------ */
/* Roll-ups. */

#define N_TALLY_COLS (1 + CC_FT_COUNT_ + CC_STATE_COUNT_ + 3)

/* Builds the columns of a roll-up: `lead` leading columns, then the
 * tally. */
static int tally_cols(table_col *cols, const table_col *lead, int n_lead)
{
  int i, n = 0;
  for (i = 0; i < n_lead; i++)
    cols[n++] = lead[i];
  cols[n].title = "问题总数";
  cols[n].width = 10;
  cols[n++].kind = K_COUNT;
  for (i = 0; i < CC_FT_COUNT_; i++) {
    cols[n].title = cc_finding_type_zh((cc_finding_type)i);
    cols[n].width = 12;
    cols[n++].kind = K_COUNT;
  }
  for (i = 0; i < CC_STATE_COUNT_; i++) {
    cols[n].title = cc_finding_state_zh((cc_finding_state)i);
    cols[n].width = 8;
    cols[n++].kind = K_COUNT;
  }
  cols[n].title = "声称已处理但仍存在";
  cols[n].width = 12;
  cols[n++].kind = K_COUNT;
  cols[n].title = "风险金额（元，不含已清理）";
  cols[n].width = 14;
  cols[n++].kind = K_MONEY;
  cols[n].title = "违规资助金额（元，不含已清理）";
  cols[n].width = 14;
  cols[n++].kind = K_MONEY;
  return n;
}

static void tally_cells(table *t, const cc_export_tally *x)
{
  int i;
  cell_count(t, x->findings);
  for (i = 0; i < CC_FT_COUNT_; i++)
    cell_count(t, x->by_type[i]);
  for (i = 0; i < CC_STATE_COUNT_; i++)
    cell_count(t, x->by_state[i]);
  cell_count(t, x->claimed);
  cell_money(t, x->amount);
  cell_money(t, x->amount_policy);
}

/* Opens a roll-up "汇总_<scope>" (xlsx and CSV) in dir, titled with the
 * scope (an area code, or 全国) and the period. */
static int rollup_open(worker *w, const char *dir, const char *scope,
                       const table_col *cols, int n,
                       const cc_export_options *opts)
{
  char title[64], name[32];
  int rc;
  snprintf(name, sizeof name, "汇总_%s", scope);
  rc = make_path(w->path, sizeof w->path, dir, name, ".xlsx");
  if (rc == 0)
    rc = make_path(w->path2, sizeof w->path2, dir, name, ".csv");
  if (rc < 0)
    return rc;
  snprintf(title, sizeof title, "查重汇总 %s %s", scope, opts->period);
  rc = table_open(&w->t, w->path, "汇总", cols, n, opts->formats, title);
  if (rc < 0)
    table_abort(&w->t);
  return rc;
}

static int rollup_city(worker *w, const cc_export_plan *p,
                       const cc_export_area *c, const char *dir,
                       const cc_export_options *opts)
{
  static const table_col lead[] = {{"学校代码", 16, K_TEXT},
                                   {"学校名称", 36, K_TEXT},
                                   {"所属系统", 12, K_TEXT}};
  table_col cols[3 + N_TALLY_COLS];
  uint32_t i;
  int n = tally_cols(cols, lead, 3), rc;
  if ((rc = rollup_open(w, dir, c->code, cols, n, opts)) < 0)
    return rc;
  for (i = 0; i < c->n; i++) {
    const cc_export_school *s = &p->schools[p->order[c->first + i]];
    char label[64];
    size_t ln =
        s->label.len < sizeof label - 1 ? s->label.len : sizeof label - 1;
    memcpy(label, s->label.ptr, ln);
    label[ln] = '\0';
    cell_text(&w->t, s->code.ptr, s->code.len);
    cell_text(&w->t, s->name.ptr, s->name.len);
    cell_cstr(&w->t, cc_export_system_zh(label));
    tally_cells(&w->t, &s->tally);
    end_row(&w->t);
  }
  cell_cstr(&w->t, "合计");
  cell_cstr(&w->t, "");
  cell_cstr(&w->t, "");
  tally_cells(&w->t, &c->tally);
  end_row(&w->t);
  return table_close(&w->t, w->path, w->path2);
}

static int rollup_province(worker *w, const cc_export_plan *p,
                           const cc_export_area *v, const char *dir,
                           const cc_export_options *opts)
{
  static const table_col lead[] = {{"城市代码", 10, K_TEXT},
                                   {"城市名称", 24, K_TEXT},
                                   {"学校数", 8, K_COUNT}};
  table_col cols[3 + N_TALLY_COLS];
  uint32_t i;
  int n = tally_cols(cols, lead, 3), rc;
  if ((rc = rollup_open(w, dir, v->code, cols, n, opts)) < 0)
    return rc;
  for (i = 0; i < v->n; i++) {
    const cc_export_area *c = &p->cities[v->first + i];
    cell_cstr(&w->t, c->code);
    cell_cstr(&w->t, strcmp(c->code, "0000") == 0 ? "地区代码缺失"
                                                  : cc_region_name(c->code));
    cell_count(&w->t, c->tally.schools);
    tally_cells(&w->t, &c->tally);
    end_row(&w->t);
  }
  cell_cstr(&w->t, "合计");
  cell_cstr(&w->t, "");
  cell_count(&w->t, v->tally.schools);
  tally_cells(&w->t, &v->tally);
  end_row(&w->t);
  return table_close(&w->t, w->path, w->path2);
}

static int rollup_nation(worker *w, const cc_export_plan *p,
                         const cc_export_options *opts)
{
  static const table_col lead[] = {{"省份代码", 10, K_TEXT},
                                   {"省份名称", 20, K_TEXT},
                                   {"城市数", 8, K_COUNT},
                                   {"学校数", 8, K_COUNT}};
  table_col cols[4 + N_TALLY_COLS];
  size_t i;
  int n = tally_cols(cols, lead, 4), rc;
  if ((rc = rollup_open(w, opts->out_dir, "全国", cols, n, opts)) < 0)
    return rc;
  for (i = 0; i < p->n_provinces; i++) {
    const cc_export_area *v = &p->provinces[i];
    cell_cstr(&w->t, v->code);
    cell_cstr(&w->t, strcmp(v->code, "00") == 0 ? "地区代码缺失"
                                                : cc_region_name(v->code));
    cell_count(&w->t, v->tally.cities);
    cell_count(&w->t, v->tally.schools);
    tally_cells(&w->t, &v->tally);
    end_row(&w->t);
  }
  cell_cstr(&w->t, "合计");
  cell_cstr(&w->t, "");
  cell_count(&w->t, p->total.cities);
  cell_count(&w->t, p->total.schools);
  tally_cells(&w->t, &p->total);
  end_row(&w->t);
  return table_close(&w->t, w->path, w->path2);
}

/* ------------------------------------------------------------------ */
/* Writing a plan. */

typedef struct slot {
  int rc;        /* the worker's first failure, 0 when none */
  size_t at;     /* output position of the school that failed */
  char msg[512]; /* its cc_error_last() */
} slot;

static double now_seconds(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int validate(const cc_export_options *opts)
{
  const char *pd = opts->period;
  if (opts->version != CC_EXPORT_OPTIONS_VERSION)
    return cc_error_set(CC_EINVALID,
                        "cc_export_options version %u, expected %u",
                        opts->version, CC_EXPORT_OPTIONS_VERSION);
  if (opts->out_dir == NULL || opts->out_dir[0] == '\0')
    return cc_error_set(CC_EINVALID, "no output directory given");
  if (pd == NULL || strlen(pd) != 7 || !is_digit(pd[0]) || !is_digit(pd[1]) ||
      !is_digit(pd[2]) || !is_digit(pd[3]) || pd[4] != '-' ||
      !is_digit(pd[5]) || !is_digit(pd[6]) ||
      (pd[5] - '0') * 10 + (pd[6] - '0') < 1 ||
      (pd[5] - '0') * 10 + (pd[6] - '0') > 12)
    return cc_error_set(CC_EINVALID, "the period must be YYYY-MM, not '%s'",
                        pd ? pd : "");
  return validate_region_prefix(opts->region);
}

int cc_export_write(cc_export_stats *out, const cc_export_plan *p,
                    const cc_export_options *opts_in)
{
  cc_export_options opts = *opts_in;
  cc_export_stats st;
  slot *slots = NULL;
  worker *main_w = NULL;
  char dir[4096];
  size_t i;
  int threads, rc = 0, stop = 0;
  double t0 = now_seconds();

  memset(&st, 0, sizeof st);
  if (out != NULL)
    memset(out, 0, sizeof *out);
  rc = validate(&opts);
  if (rc < 0)
    return rc;
  if ((opts.formats & (CC_EXPORT_XLSX | CC_EXPORT_CSV)) == 0)
    opts.formats = CC_EXPORT_XLSX | CC_EXPORT_CSV;
  threads = opts.threads > 0 ? opts.threads : omp_get_max_threads();
  if ((size_t)threads > p->n_kept)
    threads = p->n_kept > 0 ? (int)p->n_kept : 1;

  /* Folders first, on this thread. */
  rc = cc_mkdir_p(opts.out_dir, 0700);
  for (i = 0; rc == 0 && i < p->n_cities; i++) {
    const cc_export_area *c = &p->cities[i];
    char prov[3] = {c->code[0], c->code[1], '\0'};
    rc = area_dir(dir, sizeof dir, opts.out_dir, prov, NULL);
    if (rc == 0)
      rc = make_dir(dir);
    if (rc == 0)
      rc = area_dir(dir, sizeof dir, opts.out_dir, prov, c->code);
    if (rc == 0)
      rc = make_dir(dir);
  }
  if (rc < 0)
    return rc;

  slots = calloc((size_t)threads, sizeof *slots);
  main_w = calloc(1, sizeof *main_w);
  if (slots == NULL || main_w == NULL) {
    rc = cc_error_set(CC_ENOMEM, "out of memory");
    goto done;
  }

  /* The packages. One thread means no parallel region at all: Check forks
   * its tests, and libgomp can hang in a child forked after one. */
  if (threads <= 1) {
    for (i = 0; i < p->n_kept && rc == 0; i++)
      rc = write_school(main_w, p, &p->schools[p->order[i]], &opts);
  } else {
#pragma omp parallel num_threads(threads)
    {
      worker *w = calloc(1, sizeof *w);
      slot *me = &slots[omp_get_thread_num()];
      size_t k;
      if (w == NULL) {
        me->rc = CC_ENOMEM;
        me->at = 0;
        snprintf(me->msg, sizeof me->msg, "out of memory");
      }
#pragma omp for schedule(dynamic, 8)
      for (k = 0; k < p->n_kept; k++) {
        int r, halt;
#pragma omp atomic read
        halt = stop;
        if (halt || w == NULL)
          continue;
        r = write_school(w, p, &p->schools[p->order[k]], &opts);
        if (r < 0) {
          if (me->rc == 0 || k < me->at) {
            me->rc = r;
            me->at = k;
            snprintf(me->msg, sizeof me->msg, "%s", cc_error_last());
          }
#pragma omp atomic write
          stop = 1;
        }
      }
      if (w != NULL) {
        worker_free(w);
        free(w);
      }
    }
    {
      const slot *first = NULL;
      int k;
      for (k = 0; k < threads; k++)
        if (slots[k].rc < 0 && (first == NULL || slots[k].at < first->at))
          first = &slots[k];
      if (first != NULL)
        rc = cc_error_set(first->rc, "%s", first->msg);
    }
  }
  if (rc < 0)
    goto done;
  st.schools = p->n_kept;
  st.rows = p->n_rows;

  /* Roll-ups. */
  for (i = 0; rc == 0 && i < p->n_cities; i++) {
    const cc_export_area *c = &p->cities[i];
    char prov[3] = {c->code[0], c->code[1], '\0'};
    rc = area_dir(dir, sizeof dir, opts.out_dir, prov, c->code);
    if (rc == 0)
      rc = rollup_city(main_w, p, c, dir, &opts);
  }
  for (i = 0; rc == 0 && i < p->n_provinces; i++) {
    rc = area_dir(dir, sizeof dir, opts.out_dir, p->provinces[i].code, NULL);
    if (rc == 0)
      rc = rollup_province(main_w, p, &p->provinces[i], dir, &opts);
  }
  if (rc == 0)
    rc = rollup_nation(main_w, p, &opts);
  if (rc < 0)
    goto done;
  st.cities = p->n_cities;
  st.provinces = p->n_provinces;
  {
    uint64_t per = ((opts.formats & CC_EXPORT_XLSX) ? 1 : 0) +
                   ((opts.formats & CC_EXPORT_CSV) ? 1 : 0);
    st.files = per * (st.schools + st.cities + st.provinces + 1);
  }
  st.findings = p->list->n;
  st.write_seconds = now_seconds() - t0;
  if (out != NULL)
    *out = st;

done:
  if (main_w != NULL) {
    worker_free(main_w);
    free(main_w);
  }
  free(slots);
  return rc;
}

int cc_export_findings(cc_export_stats *out, const cc_finding_list *list,
                       const cc_export_options *opts)
{
  cc_export_plan plan;
  int rc = validate(opts);
  if (rc < 0)
    return rc;
  rc = cc_export_plan_build(&plan, list, opts);
  if (rc < 0)
    return rc;
  rc = cc_export_write(out, &plan, opts);
  cc_export_plan_dispose(&plan);
  return rc;
}

/* ------------------------------------------------------------------ */
/* From a database. */

static void audit_what(char *out, size_t cap, const cc_export_options *o)
{
  unsigned f = o->formats ? o->formats : CC_EXPORT_XLSX | CC_EXPORT_CSV;
  snprintf(out, cap, "period=%s out=%s school=%s region=%s formats=%s",
           o->period, o->out_dir, o->school && o->school[0] ? o->school : "*",
           o->region && o->region[0] ? o->region : "*",
           f == (CC_EXPORT_XLSX | CC_EXPORT_CSV) ? "xlsx,csv"
           : f & CC_EXPORT_XLSX                  ? "xlsx"
                                                 : "csv");
}

int cc_export_period(cc_export_stats *out, cc_db *db,
                     const cc_export_options *opts)
{
  cc_finding_list list;
  cc_export_plan plan;
  cc_audit_entry e;
  double t0 = now_seconds(), t1;
  int rc, have_list = 0, have_plan = 0;

  if (out != NULL)
    memset(out, 0, sizeof *out);
  memset(&list, 0, sizeof list);
  rc = validate(opts);
  if (rc < 0)
    return rc;
  rc = cc_db_load_findings(&list, db, opts->period);
  if (rc < 0)
    return rc;
  have_list = 1;
  t1 = now_seconds();
  rc = cc_export_plan_build(&plan, &list, opts);
  if (rc < 0)
    goto done;
  have_plan = 1;

  /* The audit entry goes first: no package leaves without one. */
  memset(&e, 0, sizeof e);
  e.when = (int64_t)time(NULL);
  cc_audit_user(e.user, opts->user);
  snprintf(e.command, sizeof e.command, "export");
  audit_what(e.what, sizeof e.what, opts);
  e.records = plan.n_rows;
  rc = cc_audit_record(db, &e);
  if (rc < 0)
    goto done;

  rc = cc_export_write(out, &plan, opts);
  if (rc == 0 && out != NULL)
    out->load_seconds = t1 - t0;

done:
  if (have_plan)
    cc_export_plan_dispose(&plan);
  if (have_list)
    cc_finding_list_dispose(&list);
  return rc;
}
