/*
 * query.c - auditor queries (issue 3, point 3; include/chachong/query.h).
 *
 * Owns: checking and compiling the filters of a query, choosing the periods
 * it searches, matching findings, the audit entry every query leaves, and
 * the three ways a result is printed (table, CSV, JSON lines), with ID
 * numbers masked unless the caller asks for them in full.
 *
 * Call order: cc_query_run() (filters, periods, matches, audit entry, in
 * that order: a bad filter costs no database read, and nothing is handed
 * out before its audit entry is committed), then cc_query_write(), then
 * cc_query_result_dispose().
 *
 * Algorithm: one period at a time, the stored findings are loaded
 * (cc_db_load_findings) and each is tested against the compiled filters,
 * the cheap ones first (type and state are bit masks, the ID one strcmp per
 * value; school, region and name look at every member, the name last since
 * it folds each member's name). Matches are deep-copied into the result's
 * own list, so a period's other findings are freed before the next period
 * is loaded: an --all-periods query holds one period plus the matches.
 *
 * Masking: the person's ID goes through cc_id_mask(); in free text (names,
 * record numbers, school names, notes: an Excel column pasted one to the
 * right puts an ID there, and MOE record numbers are often "G" + ID) every
 * run of 15 to 18 digits, or 17 digits and an X, is masked the same way.
 * The finding_id is never touched: it is hex and may be all digits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chachong/audit.h"
#include "chachong/errors.h"
#include "chachong/index.h"
#include "chachong/normalize_id.h"
#include "chachong/normalize_name.h"
#include "chachong/query.h"
#include "chachong/record.h"
#include "chachong/text.h"
#include "buf_internal.h"
#include "error_internal.h"
#include "finding_internal.h"
#include "store_internal.h"
#include "utf8_internal.h"

/* ------------------------------------------------------------------ */
/* Compiled filters. */

typedef struct folded_name {
  char text[CC_NAME_MAX + 1]; /* SPEC 2.2 fold of the value */
  size_t len;
} folded_name;

typedef struct filters {
  char (*ids)[CC_ID_MAX + 1]; /* cleaned IDs */
  size_t n_ids;
  folded_name *names; /* folded names */
  size_t n_names;
  cc_str *schools; /* trimmed codes (pointing into the options) */
  size_t n_schools;
  cc_str *regions; /* digit prefixes (into the options) */
  size_t n_regions;
  unsigned types;   /* bit per cc_finding_type; 0: any */
  unsigned states;  /* bit per cc_finding_state; 0: any */
  unsigned reasons; /* bit per cc_finding_reason; 0: any */
} filters;

static void filters_dispose(filters *f)
{
  free(f->ids);
  free(f->names);
  free(f->schools);
  free(f->regions);
  memset(f, 0, sizeof *f);
}

/* Trims what ingest trims around a cell (ASCII blanks, U+3000, U+00A0), so
 * a school code typed as on the roster compares equal. */
static cc_str trim(const char *p)
{
  const unsigned char *s = (const unsigned char *)p;
  size_t k = strlen(p);
  cc_str out;
  utf8_trim_blanks(&s, &k, 1);
  out.ptr = (const char *)s;
  out.len = (uint32_t)k;
  return out;
}

static int all_digits(const char *p, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (p[i] < '0' || p[i] > '9')
      return 0;
  return 1;
}

/* "YYYY-MM" with a month 01-12. */
static int period_valid(const char *p)
{
  return p != NULL && strlen(p) == 7 && all_digits(p, 4) && p[4] == '-' &&
         all_digits(p + 5, 2) && (p[5] - '0') * 10 + (p[6] - '0') >= 1 &&
         (p[5] - '0') * 10 + (p[6] - '0') <= 12;
}

static void *alloc_array(size_t n, size_t size)
{
  return calloc(n ? n : 1, size);
}

/* Checks every filter value and compiles it; messages name the option. */
static int filters_compile(filters *f, const cc_query_options *q)
{
  size_t i;
  cc_date today = cc_date_today();

  memset(f, 0, sizeof *f);
  f->ids = alloc_array(q->n_ids, sizeof *f->ids);
  f->names = alloc_array(q->n_names, sizeof *f->names);
  f->schools = alloc_array(q->n_schools, sizeof *f->schools);
  f->regions = alloc_array(q->n_regions, sizeof *f->regions);
  if (!f->ids || !f->names || !f->schools || !f->regions) {
    filters_dispose(f);
    return cc_error_set(CC_ENOMEM, "out of memory");
  }
  for (i = 0; i < q->n_ids; i++) {
    cc_id id;
    const char *v = q->ids[i] ? q->ids[i] : "";
    /* Cleaned exactly as a roster cell, so whatever the auditor pasted
     * (an Excel cell with its apostrophe, a full-width number, an old
     * 15-digit card) finds the key the run stored. Invalid numbers are
     * keys too (RULES: "invalid but kept"); rejected ones cannot be. */
    if (cc_id_normalize(&id, v, strlen(v), today) == CC_ID_REJECTED) {
      filters_dispose(f);
      return cc_error_set(CC_EINVALID, "--id: not an ID number (%s)",
                          cc_id_reason_code((cc_id_reason)id.reason));
    }
    memcpy(f->ids[f->n_ids++], id.digits, sizeof id.digits);
  }
  for (i = 0; i < q->n_names; i++) {
    const char *v = q->names[i] ? q->names[i] : "";
    folded_name *fn = &f->names[f->n_names];
    if (cc_name_fold(fn->text, sizeof fn->text, &fn->len, v, strlen(v)) < 0) {
      filters_dispose(f);
      return cc_error_set(CC_EINVALID, "--name: not a name (empty, too long "
                                       "or not UTF-8)");
    }
    f->n_names++;
  }
  for (i = 0; i < q->n_schools; i++) {
    cc_str s = trim(q->schools[i] ? q->schools[i] : "");
    if (s.len == 0 || s.len > 255) {
      filters_dispose(f);
      return cc_error_set(CC_EINVALID,
                          "--school: a school code has 1 to 255 bytes");
    }
    f->schools[f->n_schools++] = s;
  }
  for (i = 0; i < q->n_regions; i++) {
    cc_str s = trim(q->regions[i] ? q->regions[i] : "");
    if ((s.len != 2 && s.len != 4 && s.len != 6) || !all_digits(s.ptr, s.len)) {
      filters_dispose(f);
      return cc_error_set(CC_EINVALID,
                          "--region: '%.32s' is not a region code "
                          "prefix (2 digits: province, 4: city, 6: county)",
                          q->regions[i] ? q->regions[i] : "");
    }
    f->regions[f->n_regions++] = s;
  }
  for (i = 0; i < q->n_types; i++) {
    int t, found = -1;
    for (t = 0; t < CC_FT_COUNT_; t++)
      if (q->types[i] &&
          strcmp(q->types[i], cc_finding_type_code((cc_finding_type)t)) == 0)
        found = t;
    if (found < 0) {
      filters_dispose(f);
      return cc_error_set(CC_EINVALID,
                          "--type: unknown type '%.40s' (dual_enrollment, "
                          "duplicate_record, double_grant, double_waiver, "
                          "id_conflict, ineligible_grant, ineligible_waiver, "
                          "subsidy_review)",
                          q->types[i] ? q->types[i] : "");
    }
    f->types |= 1u << found;
  }
  for (i = 0; i < q->n_states; i++) {
    int s = q->states[i] ? cc_finding_state_parse(q->states[i]) : -1;
    if (s < 0) {
      filters_dispose(f);
      return cc_error_set(CC_EINVALID,
                          "--state: unknown state '%.40s' (new, open, "
                          "overdue, cleared)",
                          q->states[i] ? q->states[i] : "");
    }
    f->states |= 1u << s;
  }
  for (i = 0; i < q->n_reasons; i++) {
    int s = q->reasons[i] ? cc_finding_reason_parse(q->reasons[i]) : -1;
    if (s < 0) {
      filters_dispose(f);
      return cc_error_set(CC_EINVALID,
                          "--reason: unknown reason '%.40s' (part_time, "
                          "third_year, beyond_program, over_age)",
                          q->reasons[i] ? q->reasons[i] : "");
    }
    f->reasons |= 1u << s;
  }
  return 0;
}

static int str_eq(cc_str a, cc_str b)
{
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Folds a stored name and compares it with the folded filter values. A
 * stored name that does not fold (not UTF-8) is compared as it is. */
static int name_matches(const filters *f, cc_str name)
{
  char buf[CC_NAME_MAX + 1];
  size_t len = 0, i;
  const char *p = buf;
  if (cc_name_fold(buf, sizeof buf, &len, name.ptr ? name.ptr : "", name.len) <
      0) {
    p = name.ptr;
    len = name.len;
  }
  for (i = 0; i < f->n_names; i++)
    if (f->names[i].len == len && memcmp(f->names[i].text, p, len) == 0)
      return 1;
  return 0;
}

static int matches(const filters *f, const cc_finding *x)
{
  size_t i;
  uint32_t m;
  /* The decoder checks the type, not the state: a byte out of range
   * matches no filter value rather than shifting past the mask. */
  if (f->types && (x->type >= CC_FT_COUNT_ || !(f->types & (1u << x->type))))
    return 0;
  if (f->states &&
      (x->state >= CC_STATE_COUNT_ || !(f->states & (1u << x->state))))
    return 0;
  if (f->reasons &&
      (x->reason >= CC_REASON_COUNT_ || !(f->reasons & (1u << x->reason))))
    return 0;
  if (f->n_ids) {
    /* The person's ID, or (fuzzy findings) any member's own ID. */
    int hit = 0;
    for (i = 0; i < f->n_ids && !hit; i++) {
      hit = strcmp(f->ids[i], x->id) == 0;
      for (m = 0; m < x->n_members && !hit; m++)
        hit =
            x->members[m].id.len == strlen(f->ids[i]) &&
            memcmp(x->members[m].id.ptr, f->ids[i], x->members[m].id.len) == 0;
    }
    if (!hit)
      return 0;
  }
  if (f->n_schools) {
    int hit = 0;
    for (m = 0; m < x->n_members && !hit; m++)
      for (i = 0; i < f->n_schools && !hit; i++)
        hit = str_eq(x->members[m].school_code, f->schools[i]);
    if (!hit)
      return 0;
  }
  if (f->n_regions) {
    int hit = 0;
    for (m = 0; m < x->n_members && !hit; m++) {
      cc_str rc = x->members[m].region_code;
      for (i = 0; i < f->n_regions && !hit; i++)
        hit = rc.len >= f->regions[i].len &&
              memcmp(rc.ptr, f->regions[i].ptr, f->regions[i].len) == 0;
    }
    if (!hit)
      return 0;
  }
  if (f->n_names) {
    int hit = name_matches(f, x->person_name);
    for (m = 0; m < x->n_members && !hit; m++)
      hit = name_matches(f, x->members[m].name);
    if (!hit)
      return 0;
  }
  return 1;
}

/* ------------------------------------------------------------------ */
/* Results. */

static void copy_str(cc_str *s, char **p)
{
  if (s->len) {
    memcpy(*p, s->ptr, s->len);
    s->ptr = *p;
    *p += s->len;
  } else {
    s->ptr = NULL;
  }
}

/* Appends a deep copy of x (its strings and members) to the result. */
static int result_push(cc_query_result *r, const cc_finding *x, uint32_t period,
                       size_t *cap)
{
  cc_finding f = *x;
  size_t text = (size_t)x->person_name.len + x->response_by.len +
                x->response_school.len + x->response_note.len;
  uint32_t i;
  char *p;
  cc_member *mem = NULL;

  for (i = 0; i < x->n_members; i++) {
    const cc_member *m = &x->members[i];
    text += (size_t)m->label.len + m->name.len + m->record_id.len +
            m->school_code.len + m->school_name.len + m->region_code.len +
            m->id.len;
  }
  if (x->n_members) {
    mem = cc_finding_alloc(&r->findings, x->n_members * sizeof *mem);
    if (mem == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory");
    memcpy(mem, x->members, x->n_members * sizeof *mem);
  }
  p = cc_finding_alloc(&r->findings, text ? text : 1);
  if (p == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  copy_str(&f.person_name, &p);
  copy_str(&f.response_by, &p);
  copy_str(&f.response_school, &p);
  copy_str(&f.response_note, &p);
  for (i = 0; i < x->n_members; i++) {
    copy_str(&mem[i].label, &p);
    copy_str(&mem[i].name, &p);
    copy_str(&mem[i].record_id, &p);
    copy_str(&mem[i].school_code, &p);
    copy_str(&mem[i].school_name, &p);
    copy_str(&mem[i].region_code, &p);
    copy_str(&mem[i].id, &p); /* fuzzy findings: each member's own ID */
  }
  f.members = mem;
  if (r->findings.n == *cap) {
    size_t ncap = *cap ? *cap * 2 : 64;
    uint32_t *grown = realloc(r->period_of, ncap * sizeof *grown);
    if (grown == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory");
    r->period_of = grown;
    *cap = ncap;
  }
  if (cc_finding_push(&r->findings, &f) < 0)
    return cc_error_set(CC_ENOMEM, "out of memory");
  r->period_of[r->findings.n - 1] = period;
  return 0;
}

void cc_query_result_dispose(cc_query_result *r)
{
  if (r == NULL)
    return;
  cc_finding_list_dispose(&r->findings);
  free(r->period_of);
  free(r->periods);
  memset(r, 0, sizeof *r);
}

static int cmp_period(const void *a, const void *b)
{
  return strcmp(a, b);
}

/* Fills r->periods: the periods to search, oldest first. */
static int choose_periods(cc_query_result *r, cc_db *db,
                          const cc_query_options *q)
{
  char **list = NULL;
  size_t n = 0, i, j;
  int rc;

  for (i = 0; i < q->n_periods; i++)
    if (!period_valid(q->periods[i]))
      return cc_error_set(CC_EINVALID,
                          "--period: '%.20s' is not of the form YYYY-MM",
                          q->periods[i] ? q->periods[i] : "");
  if ((rc = cc_db_periods(&list, &n, db)) < 0)
    return rc;
  r->periods = alloc_array(q->all_periods ? n
                           : q->n_periods ? q->n_periods
                                          : 1,
                           sizeof *r->periods);
  if (r->periods == NULL) {
    rc = cc_error_set(CC_ENOMEM, "out of memory");
    goto done;
  }
  if (q->all_periods) {
    for (i = 0; i < n; i++)
      snprintf(r->periods[r->n_periods++], 8, "%s", list[i]);
  } else if (q->n_periods == 0) {
    if (n == 0) {
      rc = cc_error_set(CC_ENOTFOUND, "the database holds no period yet");
      goto done;
    }
    snprintf(r->periods[r->n_periods++], 8, "%s", list[n - 1]);
  } else {
    for (i = 0; i < q->n_periods; i++) {
      for (j = 0; j < n && strcmp(list[j], q->periods[i]) != 0; j++)
        ;
      if (j == n) {
        rc = cc_error_set(CC_ENOTFOUND, "the database holds no period %s",
                          q->periods[i]);
        goto done;
      }
      for (j = 0; j < r->n_periods && strcmp(r->periods[j], q->periods[i]) != 0;
           j++)
        ;
      if (j == r->n_periods)
        snprintf(r->periods[r->n_periods++], 8, "%s", q->periods[i]);
    }
    qsort(r->periods, r->n_periods, sizeof *r->periods, cmp_period);
  }
  rc = 0;
done:
  for (i = 0; i < n; i++)
    free(list[i]);
  free(list);
  return rc;
}

/* ------------------------------------------------------------------ */
/* The audit description. */

/* Text modes of put_text. */
#define TEXT_PLAIN 0   /* only bad UTF-8 replaced */
#define TEXT_CONTROL 1 /* also control characters shown as spaces */

static void put_text(cc_buf *b, const char *p, size_t n, int mode)
{
  const unsigned char *s = (const unsigned char *)p;
  size_t i = 0, start = 0, k;
  while (i < n) {
    if (s[i] < 0x80) {
      if (mode == TEXT_CONTROL && (s[i] < 0x20 || s[i] == 0x7F)) {
        cc_buf_put(b, p + start, i - start);
        cc_buf_put(b, " ", 1);
        start = ++i;
      } else {
        i++;
      }
    } else if ((k = utf8_seq(s + i, n - i)) == 0) {
      cc_buf_put(b, p + start, i - start);
      cc_buf_put(b, "\xEF\xBF\xBD", 3);
      start = ++i;
    } else {
      i += k;
    }
  }
  cc_buf_put(b, p + start, n - start);
}

/* One value of the description: quoted when it holds a blank, a comma, a
 * quote or '='; control characters become spaces (the audit listing is
 * one tab-separated line per entry). */
static void put_what_value(cc_buf *b, const char *v)
{
  size_t n = strlen(v), i;
  int quote = n == 0 || strpbrk(v, " ,\"=") != NULL;
  cc_buf c = {0};
  put_text(&c, v, n, TEXT_CONTROL);
  if (cc_buf_error(&c)) {
    cc_buf_fail(b);
    cc_buf_dispose(&c);
    return;
  }
  if (quote)
    cc_buf_put(b, "\"", 1);
  for (i = 0; i < c.len; i++) {
    if (c.p[i] == '"' || c.p[i] == '\\')
      cc_buf_put(b, "\\", 1);
    cc_buf_put(b, c.p + i, 1);
  }
  if (quote)
    cc_buf_put(b, "\"", 1);
  cc_buf_dispose(&c);
}

static void put_what_list(cc_buf *b, const char *key, const char *const *v,
                          size_t n)
{
  size_t i;
  if (n == 0)
    return;
  if (b->len)
    cc_buf_put(b, " ", 1);
  cc_buf_puts(b, key);
  cc_buf_put(b, "=", 1);
  for (i = 0; i < n; i++) {
    if (i)
      cc_buf_put(b, ",", 1);
    put_what_value(b, v[i] ? v[i] : "");
  }
}

static const char *const format_name[] = {"table", "csv", "jsonl"};

/* The audit entry's "what": every filter as given, IDs cleaned and masked,
 * the periods actually searched, the format, the limit, and "unmasked".
 * Cut at a character boundary to fit CC_QUERY_WHAT_MAX. */
static int describe(char *out, const cc_query_options *q, const filters *f,
                    const cc_query_result *r)
{
  cc_buf b = {0};
  size_t i;
  char num[32];
  int rc;

  cc_buf_puts(&b, "period=");
  if (q->all_periods) {
    cc_buf_puts(&b, "all");
  } else {
    for (i = 0; i < r->n_periods; i++) {
      if (i)
        cc_buf_put(&b, ",", 1);
      cc_buf_puts(&b, r->periods[i]);
    }
    if (q->n_periods == 0)
      cc_buf_puts(&b, "(latest)");
  }
  if (f->n_ids) {
    cc_buf_puts(&b, " id=");
    for (i = 0; i < f->n_ids; i++) {
      char masked[CC_ID_MAX + 1];
      cc_id_mask(masked, f->ids[i]);
      if (i)
        cc_buf_put(&b, ",", 1);
      cc_buf_puts(&b, masked);
    }
  }
  put_what_list(&b, "name", q->names, q->n_names);
  put_what_list(&b, "school", q->schools, q->n_schools);
  put_what_list(&b, "region", q->regions, q->n_regions);
  put_what_list(&b, "type", q->types, q->n_types);
  put_what_list(&b, "state", q->states, q->n_states);
  put_what_list(&b, "reason", q->reasons, q->n_reasons);
  if (q->limit) {
    snprintf(num, sizeof num, " limit=%zu", q->limit);
    cc_buf_puts(&b, num);
  }
  cc_buf_puts(&b, " format=");
  cc_buf_puts(&b, q->format >= 0 && q->format <= CC_QUERY_JSONL
                      ? format_name[q->format]
                      : "?");
  if (q->unmasked)
    cc_buf_puts(&b, " unmasked");
  if ((rc = cc_buf_check(&b, "the audit entry")) < 0) {
    cc_buf_dispose(&b);
    return rc;
  }
  if (b.len >= CC_QUERY_WHAT_MAX) {
    /* Back up to the start of a UTF-8 sequence, and say it was cut. */
    size_t cut = CC_QUERY_WHAT_MAX - 4;
    while (cut > 0 && ((unsigned char)b.p[cut] & 0xC0) == 0x80)
      cut--;
    memcpy(b.p + cut, "...", 4);
    b.len = cut + 3;
  }
  memcpy(out, b.p, b.len + 1);
  cc_buf_dispose(&b);
  return 0;
}

/* ------------------------------------------------------------------ */
/* Running a query. */

int cc_query_run(cc_query_result *out, cc_db *db, const cc_query_options *q)
{
  filters f;
  cc_audit_entry ae;
  size_t cap = 0, p, i;
  int rc;

  memset(out, 0, sizeof *out);
  if (q == NULL || q->version != CC_QUERY_OPTIONS_VERSION)
    return cc_error_set(CC_EINVALID, "query options of another version");
  if (q->all_periods && q->n_periods)
    return cc_error_set(CC_EINVALID,
                        "--period and --all-periods exclude each other");
  if (q->format < CC_QUERY_TABLE || q->format > CC_QUERY_JSONL)
    return cc_error_set(CC_EINVALID, "unknown output format");
  if (cc_db_read_only(db))
    return cc_error_set(CC_EINVALID, "a query writes the audit log: open the "
                                     "database read-write");
  if ((rc = filters_compile(&f, q)) < 0)
    return rc;
  if ((rc = choose_periods(out, db, q)) < 0)
    goto fail;

  for (p = 0; p < out->n_periods; p++) {
    cc_finding_list list;
    if ((rc = cc_db_load_findings(&list, db, out->periods[p])) < 0)
      goto fail;
    for (i = 0; i < list.n; i++) {
      if (!matches(&f, &list.items[i]))
        continue;
      out->matched++;
      if (q->limit && out->findings.n >= q->limit)
        continue;
      if ((rc = result_push(out, &list.items[i], (uint32_t)p, &cap)) < 0)
        break;
    }
    cc_finding_list_dispose(&list);
    if (rc < 0)
      goto fail;
  }

  memset(&ae, 0, sizeof ae);
  if ((rc = describe(out->what, q, &f, out)) < 0)
    goto fail;
  ae.when = (int64_t)time(NULL);
  cc_audit_user(ae.user, q->user);
  snprintf(ae.command, sizeof ae.command, "query");
  memcpy(ae.what, out->what, sizeof ae.what);
  ae.records = out->findings.n;
  /* Nothing leaves without its entry (谁导出、谁负责). */
  if ((rc = cc_audit_record(db, &ae)) < 0)
    goto fail;
  filters_dispose(&f);
  return 0;
fail:
  filters_dispose(&f);
  cc_query_result_dispose(out);
  return rc;
}

/* ------------------------------------------------------------------ */
/* Masked views. */

/* Masks, in place, every run of 15-18 digits (or 17 digits and an X) in
 * s: the same length comes back, so offsets stay valid. */
static void scrub_ids(char *s, size_t n)
{
  size_t i = 0;
  while (i < n) {
    size_t j = i, len;
    if (s[i] < '0' || s[i] > '9') {
      i++;
      continue;
    }
    while (j < n && s[j] >= '0' && s[j] <= '9')
      j++;
    len = j - i;
    if (len == 17 && j < n && (s[j] == 'X' || s[j] == 'x'))
      len++, j++;
    if (len >= 15 && len <= 18) {
      char id[CC_ID_MAX + 1], masked[CC_ID_MAX + 1];
      memcpy(id, s + i, len);
      id[len] = '\0';
      cc_id_mask(masked, id);
      memcpy(s + i, masked, len);
    }
    i = j;
  }
}

/* A finding as it may be shown: a copy whose strings live in `text` and
 * whose members live in `members`, both reused from finding to finding. */
typedef struct view {
  cc_finding f;
  cc_member *members;
  size_t members_cap;
  char *text;
  size_t text_cap;
} view;

static void view_dispose(view *v)
{
  free(v->members);
  free(v->text);
}

static void view_str(cc_str *s, char **p)
{
  if (s->len) {
    memcpy(*p, s->ptr, s->len);
    scrub_ids(*p, s->len);
    s->ptr = *p;
    *p += s->len;
  }
}

/* Points *shown at x itself when unmasked, else at a masked copy in v. */
static int view_make(const cc_finding **shown, view *v, const cc_finding *x,
                     int unmasked)
{
  size_t text = (size_t)x->person_name.len + x->response_by.len +
                x->response_school.len + x->response_note.len;
  uint32_t i;
  char *p;

  if (unmasked) {
    *shown = x;
    return 0;
  }
  for (i = 0; i < x->n_members; i++) {
    const cc_member *m = &x->members[i];
    text += (size_t)m->label.len + m->name.len + m->record_id.len +
            m->school_code.len + m->school_name.len + m->region_code.len +
            m->id.len;
  }
  if (x->n_members > v->members_cap) {
    cc_member *grown = realloc(v->members, x->n_members * sizeof *grown);
    if (grown == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory");
    v->members = grown;
    v->members_cap = x->n_members;
  }
  if (text + 1 > v->text_cap) {
    char *grown = realloc(v->text, text + 1);
    if (grown == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory");
    v->text = grown;
    v->text_cap = text + 1;
  }
  v->f = *x;
  cc_id_mask(v->f.id, x->id);
  if (x->n_members)
    memcpy(v->members, x->members, x->n_members * sizeof *v->members);
  v->f.members = v->members;
  p = v->text;
  view_str(&v->f.person_name, &p);
  view_str(&v->f.response_by, &p);
  view_str(&v->f.response_school, &p);
  view_str(&v->f.response_note, &p);
  for (i = 0; i < x->n_members; i++) {
    view_str(&v->members[i].label, &p);
    view_str(&v->members[i].name, &p);
    view_str(&v->members[i].record_id, &p);
    view_str(&v->members[i].school_code, &p);
    view_str(&v->members[i].school_name, &p);
    view_str(&v->members[i].region_code, &p);
    view_str(&v->members[i].id, &p); /* masked by scrub_ids like the rest */
  }
  *shown = &v->f;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Display width. */

static uint32_t decode(const unsigned char *s, size_t k)
{
  switch (k) {
  case 1:
    return s[0];
  case 2:
    return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
  case 3:
    return (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 |
           (s[2] & 0x3F);
  default:
    return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
           (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
  }
}

/* East Asian Wide (W) and Fullwidth (F) blocks that names, school names
 * and our headers use; emoji ranges for good measure. */
static const uint32_t wide[][2] = {
    {0x1100, 0x115F},   {0x2E80, 0x303E},   {0x3041, 0x33FF},
    {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},
    {0xA960, 0xA97F},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},
    {0xFE10, 0xFE19},   {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},
    {0xFFE0, 0xFFE6},   {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF},
    {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD}};
/* Combining marks and zero-width characters. */
static const uint32_t zero[][2] = {
    {0x0300, 0x036F}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200B, 0x200F},
    {0x20D0, 0x20FF}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xE0100, 0xE01EF}};

static size_t cp_width(uint32_t c)
{
  size_t i;
  if (c < 0x300)
    return 1;
  for (i = 0; i < sizeof zero / sizeof zero[0]; i++)
    if (c >= zero[i][0] && c <= zero[i][1])
      return 0;
  for (i = 0; i < sizeof wide / sizeof wide[0]; i++)
    if (c >= wide[i][0] && c <= wide[i][1])
      return 2;
  return 1;
}

size_t cc_query_display_width(const char *s, size_t len)
{
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0, w = 0, k;
  while (i < len) {
    if (u[i] < 0x80) {
      w++;
      i++;
    } else if ((k = utf8_seq(u + i, len - i)) == 0) {
      w++;
      i++;
    } else {
      w += cp_width(decode(u + i, k));
      i += k;
    }
  }
  return w;
}

/* ------------------------------------------------------------------ */
/* Output. */

/* Writes and empties the buffer. */
static int flush_sb(FILE *out, cc_buf *b)
{
  int rc = cc_buf_check(b, "the query result");
  if (rc < 0)
    return rc;
  if (b->len && fwrite(b->p, 1, b->len, out) != b->len)
    return cc_error_set(CC_EIO, "writing the query result failed");
  cc_buf_reset(b);
  return 0;
}

#define TABLE_COLS 9
static const char *const table_head[TABLE_COLS] = {
    "期间", "问题编号", "类型",     "状态",    "身份证号",
    "姓名", "学校",     "涉及金额", "截止日期"};

/* The cells of one table row, written one after another into b; ends[c] is
 * where cell c ends. */
static void table_cells(cc_buf *b, size_t ends[TABLE_COLS], const cc_finding *f,
                        const char *period)
{
  char hex[17], date[11], money[24];
  uint32_t i, j;
  int c = 0;

  cc_buf_reset(b);
  cc_buf_puts(b, period);
  ends[c++] = b->len;
  cc_finding_id_hex(hex, f->finding_id);
  cc_buf_puts(b, hex);
  ends[c++] = b->len;
  cc_buf_puts(b, cc_finding_type_zh((cc_finding_type)f->type));
  if (f->reason) {
    cc_buf_puts(b, "（");
    cc_buf_puts(b, cc_finding_reason_zh((cc_finding_reason)f->reason));
    cc_buf_puts(b, "）");
  }
  ends[c++] = b->len;
  cc_buf_puts(b, cc_finding_state_zh((cc_finding_state)f->state));
  ends[c++] = b->len;
  put_text(b, f->id, strlen(f->id), TEXT_CONTROL);
  ends[c++] = b->len;
  put_text(b, f->person_name.ptr, f->person_name.len, TEXT_CONTROL);
  ends[c++] = b->len;
  /* Schools: distinct (label, code), in member order. */
  for (i = 0; i < f->n_members; i++) {
    const cc_member *m = &f->members[i];
    for (j = 0; j < i; j++)
      if (str_eq(f->members[j].label, m->label) &&
          str_eq(f->members[j].school_code, m->school_code))
        break;
    if (j < i)
      continue;
    if (b->len > ends[c - 1])
      cc_buf_puts(b, ", ");
    put_text(b, m->label.ptr, m->label.len, TEXT_CONTROL);
    cc_buf_put(b, ":", 1);
    put_text(b, m->school_code.ptr, m->school_code.len, TEXT_CONTROL);
  }
  ends[c++] = b->len;
  cc_money_format(money, f->amount_at_risk);
  cc_buf_puts(b, money);
  ends[c++] = b->len;
  cc_date_format(date, f->deadline);
  cc_buf_puts(b, date);
  if (f->deadline_provisional)
    cc_buf_puts(b, "*");
  ends[c++] = b->len;
}

static void pad(cc_buf *b, size_t n)
{
  static const char spaces[] = "                                ";
  while (n > 0) {
    size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
    cc_buf_put(b, spaces, k);
    n -= k;
  }
}

/* Appends one aligned line: cells separated by two spaces, the amount
 * right-aligned, no blanks at the end of the line. */
static void table_line(cc_buf *line, const char *cells,
                       const size_t ends[TABLE_COLS],
                       const size_t width[TABLE_COLS])
{
  size_t c, start = 0;
  for (c = 0; c < TABLE_COLS; c++) {
    size_t n = ends[c] - start;
    size_t w = cc_query_display_width(cells + start, n);
    if (c)
      cc_buf_put(line, "  ", 2);
    if (c == 7)
      pad(line, width[c] - w);
    cc_buf_put(line, cells + start, n);
    if (c != 7 && c != TABLE_COLS - 1)
      pad(line, width[c] - w);
    start = ends[c];
  }
  cc_buf_put(line, "\n", 1);
}

static int write_table(FILE *out, const cc_query_result *r, int unmasked)
{
  cc_buf cells = {0}, line = {0};
  view v = {0};
  size_t width[TABLE_COLS], ends[TABLE_COLS], i, c, start;
  const cc_finding *f;
  int rc = 0, pass;

  if (r->findings.n == 0)
    return 0;
  for (c = 0; c < TABLE_COLS; c++)
    width[c] = cc_query_display_width(table_head[c], strlen(table_head[c]));
  /* Pass 0 measures every cell; pass 1 prints. */
  for (pass = 0; pass < 2 && rc == 0; pass++) {
    if (pass == 1) {
      cc_buf_reset(&cells);
      for (c = 0; c < TABLE_COLS; c++) {
        cc_buf_puts(&cells, table_head[c]);
        ends[c] = cells.len;
      }
      table_line(&line, cells.p, ends, width);
      for (c = 0; c < TABLE_COLS; c++) {
        if (c)
          cc_buf_put(&line, "  ", 2);
        for (i = 0; i < width[c]; i++)
          cc_buf_put(&line, "-", 1);
      }
      cc_buf_put(&line, "\n", 1);
    }
    for (i = 0; i < r->findings.n && rc == 0; i++) {
      if ((rc = view_make(&f, &v, &r->findings.items[i], unmasked)) < 0)
        break;
      table_cells(&cells, ends, f, r->periods[r->period_of[i]]);
      if ((rc = cc_buf_check(&cells, "the query result")) < 0)
        break;
      if (pass == 0) {
        for (c = 0, start = 0; c < TABLE_COLS; c++) {
          size_t w = cc_query_display_width(cells.p + start, ends[c] - start);
          if (w > width[c])
            width[c] = w;
          start = ends[c];
        }
      } else {
        table_line(&line, cells.p, ends, width);
        if (line.len >= 65536)
          rc = flush_sb(out, &line);
      }
    }
  }
  if (rc == 0)
    rc = flush_sb(out, &line);
  cc_buf_dispose(&cells);
  cc_buf_dispose(&line);
  view_dispose(&v);
  return rc;
}

/* The CSV's cells (engine/buf.c): what chachong itself writes (periods,
 * finding IDs, codes, dates, amounts, true/false) as it is; the cells that
 * carry a roster's or the operator's text (id_number, name, members,
 * schools, school_names, region_codes, member_names) with CC_CSV_TEXT, so
 * that one Excel would read as a formula is neutralised. */
static void csv_cstr(cc_buf *b, const char *s)
{
  cc_csv_cell(b, s, strlen(s), 0);
}

/* Which per-member column csv_members writes. */
enum { MCOL_MEMBER, MCOL_SCHOOL, MCOL_SCHOOL_NAME, MCOL_REGION, MCOL_NAME };

static void csv_members(cc_buf *b, const cc_finding *f, int col)
{
  cc_buf t = {0};
  uint32_t i;
  char num[16];
  for (i = 0; i < f->n_members; i++) {
    const cc_member *m = &f->members[i];
    if (i)
      cc_buf_put(&t, ";", 1);
    switch (col) {
    case MCOL_MEMBER:
      cc_buf_put(&t, m->label.ptr, m->label.len);
      snprintf(num, sizeof num, ":%u", m->line);
      cc_buf_puts(&t, num);
      break;
    case MCOL_SCHOOL:
      cc_buf_put(&t, m->label.ptr, m->label.len);
      cc_buf_put(&t, ":", 1);
      cc_buf_put(&t, m->school_code.ptr, m->school_code.len);
      break;
    case MCOL_SCHOOL_NAME:
      cc_buf_put(&t, m->school_name.ptr, m->school_name.len);
      break;
    case MCOL_REGION:
      cc_buf_put(&t, m->region_code.ptr, m->region_code.len);
      break;
    default:
      cc_buf_put(&t, m->name.ptr, m->name.len);
      break;
    }
  }
  if (cc_buf_error(&t))
    cc_buf_fail(b);
  else
    cc_csv_cell(b, t.p, t.len, CC_CSV_TEXT);
  cc_buf_dispose(&t);
}

static const char csv_header[] =
    "period,finding_id,type,scope,state,id_number,id_valid,name,members,"
    "schools,school_names,region_codes,member_names,amount_at_risk,issued,"
    "deadline,deadline_provisional,first_period,cleared,claimed_resolved,"
    "reason\r\n";

static int write_csv(FILE *out, const cc_query_result *r, int unmasked)
{
  cc_buf b = {0};
  view v = {0};
  const cc_finding *f;
  size_t i;
  int rc = 0;

  cc_buf_puts(&b, CC_CSV_BOM); /* Excel then reads UTF-8 */
  cc_buf_puts(&b, csv_header);
  for (i = 0; i < r->findings.n && rc == 0; i++) {
    char hex[17], date[11], money[24];
    if ((rc = view_make(&f, &v, &r->findings.items[i], unmasked)) < 0)
      break;
    cc_finding_id_hex(hex, f->finding_id);
    csv_cstr(&b, r->periods[r->period_of[i]]);
    cc_buf_put(&b, ",", 1);
    cc_buf_puts(&b, hex);
    cc_buf_put(&b, ",", 1);
    cc_buf_puts(&b, cc_finding_type_code((cc_finding_type)f->type));
    cc_buf_puts(&b, f->cross ? ",cross," : ",within,");
    cc_buf_puts(&b, cc_finding_state_code((cc_finding_state)f->state));
    cc_buf_put(&b, ",", 1);
    cc_csv_cell(&b, f->id, strlen(f->id), CC_CSV_TEXT);
    cc_buf_puts(&b, f->id_valid ? ",true," : ",false,");
    cc_csv_cell(&b, f->person_name.ptr, f->person_name.len, CC_CSV_TEXT);
    cc_buf_put(&b, ",", 1);
    csv_members(&b, f, MCOL_MEMBER);
    cc_buf_put(&b, ",", 1);
    csv_members(&b, f, MCOL_SCHOOL);
    cc_buf_put(&b, ",", 1);
    csv_members(&b, f, MCOL_SCHOOL_NAME);
    cc_buf_put(&b, ",", 1);
    csv_members(&b, f, MCOL_REGION);
    cc_buf_put(&b, ",", 1);
    csv_members(&b, f, MCOL_NAME);
    cc_buf_put(&b, ",", 1);
    cc_money_format(money, f->amount_at_risk);
    cc_buf_puts(&b, money);
    cc_date_format(date, f->issued);
    cc_buf_put(&b, ",", 1);
    cc_buf_puts(&b, date);
    cc_date_format(date, f->deadline);
    cc_buf_put(&b, ",", 1);
    cc_buf_puts(&b, date);
    cc_buf_puts(&b, f->deadline_provisional ? ",true," : ",false,");
    csv_cstr(&b, f->first_period);
    cc_buf_put(&b, ",", 1);
    if (f->state == CC_STATE_CLEARED) {
      cc_date_format(date, f->cleared);
      cc_buf_puts(&b, date);
    }
    cc_buf_puts(&b, f->claimed ? ",true," : ",false,");
    cc_buf_puts(&b, cc_finding_reason_code((cc_finding_reason)f->reason));
    cc_buf_puts(&b, "\r\n");
    if (b.len >= 65536)
      rc = flush_sb(out, &b);
  }
  if (rc == 0)
    rc = flush_sb(out, &b);
  cc_buf_dispose(&b);
  view_dispose(&v);
  return rc;
}

static int write_jsonl(FILE *out, const cc_query_result *r, int unmasked)
{
  view v = {0};
  cc_buf b = {0};
  size_t i;
  const cc_finding *f;
  int rc = 0;

  for (i = 0; i < r->findings.n && rc == 0; i++) {
    cc_finding_context ctx;
    size_t len;
    char *at;
    if ((rc = view_make(&f, &v, &r->findings.items[i], unmasked)) < 0)
      break;
    memset(&ctx, 0, sizeof ctx);
    ctx.period = r->periods[r->period_of[i]];
    /* Measured, then written in place (the buffer keeps the NUL's byte
     * that cc_finding_to_json's cap counts). */
    len = cc_finding_to_json(NULL, 0, f, &ctx);
    cc_buf_reset(&b);
    if ((at = cc_buf_extend(&b, len)) == NULL) {
      rc = cc_buf_check(&b, "the query result");
      break;
    }
    cc_finding_to_json(at, len + 1, f, &ctx);
    if (fwrite(b.p, 1, b.len, out) != b.len)
      rc = cc_error_set(CC_EIO, "writing the query result failed");
  }
  cc_buf_dispose(&b);
  view_dispose(&v);
  return rc;
}

int cc_query_write(FILE *out, const cc_query_result *r,
                   const cc_query_options *q)
{
  int rc;
  switch (q->format) {
  case CC_QUERY_CSV:
    rc = write_csv(out, r, q->unmasked);
    break;
  case CC_QUERY_JSONL:
    rc = write_jsonl(out, r, q->unmasked);
    break;
  default:
    rc = write_table(out, r, q->unmasked);
    break;
  }
  if (rc == 0 && fflush(out) != 0)
    rc = cc_error_set(CC_EIO, "writing the query result failed");
  return rc;
}
