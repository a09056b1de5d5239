/*
 * report.c - the report page (issue 3, point 5; include/chachong/report.h).
 *
 * Owns: the aggregation of one period's findings into the numbers of the
 * page, the per-period totals of the trend, the HTML itself (inline CSS and
 * SVG: no script, nothing fetched), and writing it with its audit entry.
 *
 * Interface: cc_report_new(), then cc_report_add_period() for each period
 * of the trend and cc_report_set_current() for the one reported (any
 * order), cc_report_set_school_records() for the denominators of the
 * ranking, cc_report_render(). cc_report_write() does all of it from a
 * database.
 *
 * Algorithm: one pass over the current period's findings. A finding is in
 * scope when one of its members' region codes starts with the scope prefix,
 * and only those members count for schools and areas. Schools (roster
 * label, school code), provinces and cities live in open-addressing hash
 * tables; each entry remembers the last finding that counted it, so a
 * finding with two members at one school counts once there without a set
 * per finding. Overdue cases are collected as indexes and sorted once.
 * Nothing rescans the findings per school or per area: 300,000 findings
 * over 10,000 schools aggregate in about 0.05 s and render in 0.03 s
 * (bench/bench_report.c); loading the periods from the database is the
 * rest of `chachong report`'s time.
 *
 * Counting rules (also printed at the foot of the page): "not cleared" is
 * new + open + overdue; money at risk is summed over the findings not
 * cleared (RULES: only double_grant and double_waiver carry money, so
 * nothing is counted twice); a finding that involves two schools counts at
 * each, so school and area rows may add up to more than the total.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "chachong/audit.h"
#include "buf_internal.h"
#include "utf8_internal.h"
#include "chachong/chachong.h"
#include "chachong/index.h"
#include "chachong/normalize_id.h"
#include "chachong/record.h"
#include "chachong/region.h"
#include "chachong/report.h"
#include "error_internal.h"
#include "fs_internal.h"

#define NT CC_FT_COUNT_              /* finding types */
#define NS CC_STATE_COUNT_           /* finding states */
#define PAGE_CAP ((size_t)512 << 20) /* the page never passes 512 MiB */
#define TEXT_CAP 255 /* longest label, code, name or region kept */

/* ------------------------------------------------------------------ */
/* Region names. */

/* The name of a province (2 digits) or city (4), or NULL when not listed
 * (the page then shows the code alone). */
static const char *region_name(const char *code, size_t len)
{
  return cc_region_lookup(code, len);
}

/* The Chinese name of a roster label's system, or NULL for another label. */
static const char *system_zh(const char *label, size_t len)
{
  if (len == 3 && memcmp(label, "moe", 3) == 0)
    return "教育部中职系统";
  if (len == 6 && memcmp(label, "mohrss", 6) == 0)
    return "人社部技工院校系统";
  return NULL;
}

/* ------------------------------------------------------------------ */
/* The page is built in one cc_buf (engine/buf.c) capped at PAGE_CAP. */

/*
 * Writes text into HTML (element content or a quoted attribute): the five
 * special characters as entities, C0 controls other than tab, LF and CR and
 * every byte that does not start valid UTF-8 as U+FFFD (a roster may hold
 * any bytes; the page stays valid UTF-8).
 */
static void sb_esc(cc_buf *b, const char *text, size_t n)
{
  const unsigned char *s = (const unsigned char *)text;
  size_t i = 0, run = 0;
  while (i < n) {
    unsigned char c = s[i];
    const char *rep = NULL;
    size_t len = 1;
    if (c == '&')
      rep = "&amp;";
    else if (c == '<')
      rep = "&lt;";
    else if (c == '>')
      rep = "&gt;";
    else if (c == '"')
      rep = "&quot;";
    else if (c == '\'')
      rep = "&#39;";
    else if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F)
      rep = "\xEF\xBF\xBD";
    else if (c >= 0x80 && (len = utf8_seq(s + i, n - i)) == 0) {
      rep = "\xEF\xBF\xBD";
      len = 1;
    }
    if (rep == NULL) {
      i += len;
      continue;
    }
    cc_buf_put(b, text + run, i - run);
    cc_buf_puts(b, rep);
    i += len;
    run = i;
  }
  cc_buf_put(b, text + run, n - run);
}

static void sb_escs(cc_buf *b, const char *s)
{
  sb_esc(b, s, strlen(s));
}

/* 1234567 as "1,234,567". */
static void sb_count(cc_buf *b, uint64_t v)
{
  char digits[24], out[32];
  int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
  int i, o = 0;
  for (i = 0; i < n; i++) {
    if (i > 0 && (n - i) % 3 == 0)
      out[o++] = ',';
    out[o++] = digits[i];
  }
  cc_buf_put(b, out, (size_t)o);
}

/* Fen as yuan with grouping and two decimals: 695050 -> "6,950.50". */
static void sb_money(cc_buf *b, int64_t fen)
{
  uint64_t a = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
  if (fen < 0)
    cc_buf_puts(b, "-");
  sb_count(b, a / 100);
  cc_buf_printf(b, ".%02u", (unsigned)(a % 100));
}

/* A short amount for chart labels: "6,950", "12.3万", "4.56亿". */
static void sb_money_short(cc_buf *b, int64_t fen)
{
  double yuan = (double)fen / 100.0;
  if (yuan >= 1e8)
    cc_buf_printf(b, "%.2f亿", yuan / 1e8);
  else if (yuan >= 1e4)
    cc_buf_printf(b, "%.1f万", yuan / 1e4);
  else
    sb_count(b, (uint64_t)(yuan + 0.5));
}

static void sb_date(cc_buf *b, cc_date d)
{
  char buf[11];
  cc_date_format(buf, d);
  cc_buf_put(b, buf, 10);
}

/* ------------------------------------------------------------------ */
/* Hash tables: byte keys to entry indexes (open addressing). */

typedef struct map_slot {
  uint64_t hash;   /* XXH3-64 of the key */
  const char *key; /* the entry's own copy of the key */
  uint32_t len;    /* key length */
  uint32_t idx;    /* entry index + 1; 0 = empty */
} map_slot;

typedef struct keymap {
  map_slot *slots; /* cap slots */
  size_t cap;      /* a power of two, or 0 */
  size_t n;        /* slots in use; kept at most half of cap */
} keymap;

static int map_grow(keymap *m)
{
  size_t cap = m->cap ? m->cap * 2 : 256, i;
  map_slot *slots = calloc(cap, sizeof *slots);
  if (slots == NULL)
    return -1;
  for (i = 0; i < m->cap; i++) {
    size_t j;
    if (m->slots[i].idx == 0)
      continue;
    j = (size_t)m->slots[i].hash & (cap - 1);
    while (slots[j].idx != 0)
      j = (j + 1) & (cap - 1);
    slots[j] = m->slots[i];
  }
  free(m->slots);
  m->slots = slots;
  m->cap = cap;
  return 0;
}

/*
 * The slot of a key. When the key is absent the slot comes back empty
 * (idx 0) with hash and len set; the caller then stores its own copy of the
 * key and the index, and counts it in m->n. NULL when out of memory.
 */
static map_slot *map_get(keymap *m, const char *key, size_t len)
{
  uint64_t h;
  size_t i;
  if ((m->n + 1) * 2 > m->cap && map_grow(m) != 0)
    return NULL;
  h = XXH3_64bits(key, len);
  for (i = (size_t)h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
    map_slot *s = &m->slots[i];
    if (s->idx == 0) {
      s->hash = h;
      s->len = (uint32_t)len;
      s->key = NULL;
      return s;
    }
    if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0)
      return s;
  }
}

/* ------------------------------------------------------------------ */
/* What is counted. */

/* Counts of findings by type and state, and money at risk. */
typedef struct tally {
  uint64_t by[NT][NS];   /* findings by type and state */
  int64_t amount[NT];    /* fen, over the findings not cleared */
  uint64_t claimed;      /* not cleared, though a school said resolved */
  uint64_t cleared_late; /* cleared after the deadline */
} tally;

typedef struct period_totals {
  char period[8]; /* "YYYY-MM" */
  tally t;        /* its findings in scope */
} period_totals;

/* A province ("37") or a city ("3701"); code "" = no code registered. */
typedef struct area {
  char *key;        /* 'P' or 'C' then the code: the map's key */
  char code[8];     /* the code alone */
  uint8_t level;    /* 0 province, 1 city */
  uint32_t schools; /* schools with a finding (render time) */
  size_t last;      /* 1 + index of the last finding counted */
  tally t;
} area;

/* A school: (roster label, school code), as RULES.md defines it. */
typedef struct school {
  char *key; /* label '\x1f' code: the map's key */
  uint32_t key_len;
  uint32_t label_len;   /* key[0, label_len) is the label */
  char *name;           /* registered name (first non-empty), or NULL */
  char *region;         /* region code of the first member seen */
  area *prov, *city;    /* its areas (owned by the report) */
  uint64_t records;     /* records in the period: the "students" */
  uint8_t has_records;  /* 1 when records was given */
  uint8_t has_findings; /* 1 when a finding in scope counts here */
  size_t last;          /* 1 + index of the last finding counted */
  tally t;
} school;

struct cc_report {
  cc_report_options o; /* copy; the strings below are owned */
  char period_opt[8];  /* o.period's copy, or "" */
  char scope[8];       /* region prefix, "" = nation */
  size_t scope_len;
  char user[64];          /* o.user's copy */
  period_totals *periods; /* the trend, unsorted until render */
  size_t n_periods, cap_periods;
  /* The current period. */
  int has_current;
  char current[8];
  const cc_finding_list *list; /* the caller's, alive until render */
  cc_date seen;                /* the run's issue date (latest `seen`) */
  tally cur;                   /* findings in scope */
  tally basis[2];              /* the same, exact (0) and fuzzy (1) apart */
  uint32_t *overdue;           /* indexes into list of overdue findings */
  size_t n_overdue, cap_overdue;
  school **schools;
  size_t n_schools, cap_schools;
  area **areas;
  size_t n_areas, cap_areas;
  keymap school_map, area_map;
};

static const char *const type_colour[NT] = {"#2f6db5", "#7b5ea7", "#e08a2c",
                                            "#3a9a5b", "#8d6e63", "#b03a2e",
                                            "#d4ac0d", "#5d6d7e"};

static uint64_t tally_state(const tally *t, int s)
{
  uint64_t n = 0;
  int k;
  for (k = 0; k < NT; k++)
    n += t->by[k][s];
  return n;
}

static uint64_t tally_open_type(const tally *t, int k)
{
  return t->by[k][CC_STATE_NEW] + t->by[k][CC_STATE_OPEN] +
         t->by[k][CC_STATE_OVERDUE];
}

static uint64_t tally_open(const tally *t)
{
  uint64_t n = 0;
  int k;
  for (k = 0; k < NT; k++)
    n += tally_open_type(t, k);
  return n;
}

/* Money paid twice: the duplicates' types. Money paid against the rules
 * (the policy types, SPEC 3.2) is counted apart (tally_amount_policy): one
 * payment can be both, and is then never added up twice. */
static int64_t tally_amount(const tally *t)
{
  int64_t a = 0;
  int k;
  for (k = 0; k < CC_FT_POLICY_FIRST; k++)
    a += t->amount[k];
  return a;
}

static int64_t tally_amount_policy(const tally *t)
{
  int64_t a = 0;
  int k;
  for (k = CC_FT_POLICY_FIRST; k < NT; k++)
    a += t->amount[k];
  return a;
}

static void tally_add(tally *t, const cc_finding *f)
{
  /* Unknown values from a newer database are counted as the first type or
   * state rather than dropped, so totals still agree with the findings. */
  int k = f->type < NT ? f->type : 0;
  int s = f->state < NS ? f->state : 0;
  t->by[k][s]++;
  if (s == CC_STATE_CLEARED) {
    if (!f->cleared_on_time)
      t->cleared_late++;
    return;
  }
  t->amount[k] += f->amount_at_risk;
  if (f->claimed)
    t->claimed++;
}

static int member_in_scope(const cc_report *r, const cc_member *m)
{
  return r->scope_len == 0 ||
         (m->region_code.len >= r->scope_len &&
          memcmp(m->region_code.ptr, r->scope, r->scope_len) == 0);
}

static int finding_in_scope(const cc_report *r, const cc_finding *f)
{
  uint32_t i;
  if (r->scope_len == 0)
    return 1;
  for (i = 0; i < f->n_members; i++)
    if (member_in_scope(r, &f->members[i]))
      return 1;
  return 0;
}

/* "YYYY-MM" with a month 01-12. */
static int period_ok(const char *p)
{
  int i;
  if (p == NULL || strlen(p) != 7 || p[4] != '-')
    return 0;
  for (i = 0; i < 7; i++)
    if (i != 4 && (p[i] < '0' || p[i] > '9'))
      return 0;
  return (p[5] == '0' && p[6] >= '1') || (p[5] == '1' && p[6] <= '2');
}

/* ------------------------------------------------------------------ */
/* Entities. */

/* The area of a code (len 0: no code), created when new; NULL on ENOMEM. */
static area *area_get(cc_report *r, int level, const char *code, size_t len)
{
  char key[8];
  map_slot *s;
  area *a;
  key[0] = level ? 'C' : 'P';
  memcpy(key + 1, code, len);
  s = map_get(&r->area_map, key, len + 1);
  if (s == NULL)
    return NULL;
  if (s->idx != 0)
    return r->areas[s->idx - 1];
  if (r->n_areas == r->cap_areas) {
    size_t cap = r->cap_areas ? r->cap_areas * 2 : 64;
    area **p = realloc(r->areas, cap * sizeof *p);
    if (p == NULL)
      return NULL;
    r->areas = p;
    r->cap_areas = cap;
  }
  a = calloc(1, sizeof *a);
  if (a == NULL || (a->key = malloc(len + 1)) == NULL) {
    free(a);
    return NULL;
  }
  memcpy(a->key, key, len + 1);
  memcpy(a->code, code, len);
  a->code[len] = '\0';
  a->level = (uint8_t)level;
  r->areas[r->n_areas++] = a;
  s->key = a->key;
  s->idx = (uint32_t)r->n_areas;
  r->area_map.n++;
  return a;
}

/* Trims ASCII blanks (RULES: school codes compare trimmed). */
static void trim(const char **p, size_t *n)
{
  while (*n > 0 && (**p == ' ' || **p == '\t')) {
    (*p)++;
    (*n)--;
  }
  while (*n > 0 && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
    (*n)--;
}

/* The school of (label, code), created when new; NULL on ENOMEM. */
static school *school_get(cc_report *r, const char *label, size_t label_len,
                          const char *code, size_t code_len)
{
  char key[2 * TEXT_CAP + 2];
  size_t len;
  map_slot *s;
  school *sc;
  trim(&code, &code_len);
  if (label_len > TEXT_CAP)
    label_len = TEXT_CAP;
  if (code_len > TEXT_CAP)
    code_len = TEXT_CAP;
  memcpy(key, label, label_len);
  key[label_len] = '\x1f';
  memcpy(key + label_len + 1, code, code_len);
  len = label_len + 1 + code_len;
  s = map_get(&r->school_map, key, len);
  if (s == NULL)
    return NULL;
  if (s->idx != 0)
    return r->schools[s->idx - 1];
  if (r->n_schools == r->cap_schools) {
    size_t cap = r->cap_schools ? r->cap_schools * 2 : 256;
    school **p = realloc(r->schools, cap * sizeof *p);
    if (p == NULL)
      return NULL;
    r->schools = p;
    r->cap_schools = cap;
  }
  sc = calloc(1, sizeof *sc);
  if (sc == NULL || (sc->key = malloc(len + 1)) == NULL) {
    free(sc);
    return NULL;
  }
  memcpy(sc->key, key, len);
  sc->key[len] = '\0';
  sc->key_len = (uint32_t)len;
  sc->label_len = (uint32_t)label_len;
  r->schools[r->n_schools++] = sc;
  s->key = sc->key;
  s->idx = (uint32_t)r->n_schools;
  r->school_map.n++;
  return sc;
}

static char *dup_text(const char *p, size_t n)
{
  char *s;
  if (n > TEXT_CAP)
    n = TEXT_CAP;
  s = malloc(n + 1);
  if (s != NULL) {
    memcpy(s, p, n);
    s[n] = '\0';
  }
  return s;
}

/* A school's first finding: its name, region and areas. */
static int school_place(cc_report *r, school *sc, const cc_member *m)
{
  const char *reg = m->region_code.ptr;
  size_t n = m->region_code.len;
  trim(&reg, &n);
  if (m->school_name.len > 0 && sc->name == NULL &&
      (sc->name = dup_text(m->school_name.ptr, m->school_name.len)) == NULL)
    return -1;
  if ((sc->region = dup_text(reg ? reg : "", n)) == NULL)
    return -1;
  /* A code too short for a province or city goes to "no code". */
  sc->prov = area_get(r, 0, reg, n >= 2 ? 2 : 0);
  sc->city = area_get(r, 1, reg, n >= 4 ? 4 : 0);
  if (sc->prov == NULL || sc->city == NULL)
    return -1;
  sc->has_findings = 1;
  return 0;
}

/* ------------------------------------------------------------------ */
/* The report object. */

int cc_report_new(cc_report **out, const cc_report_options *opts)
{
  static const cc_report_options defaults = CC_REPORT_OPTIONS_INIT;
  cc_report *r;
  size_t i, n;
  *out = NULL;
  if (opts == NULL)
    opts = &defaults;
  if (opts->period != NULL && !period_ok(opts->period))
    return cc_error_set(CC_EINVALID, "period must be YYYY-MM, not '%.16s'",
                        opts->period);
  n = opts->region ? strlen(opts->region) : 0;
  for (i = 0; i < n; i++)
    if (opts->region[i] < '0' || opts->region[i] > '9')
      break;
  if (n != 0 && ((n != 2 && n != 4) || i != n))
    return cc_error_set(CC_EINVALID,
                        "region must be a province code (2 digits) or a "
                        "city code (4 digits), not '%.16s'",
                        opts->region);
  r = calloc(1, sizeof *r);
  if (r == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  r->o = *opts;
  if (opts->period)
    memcpy(r->period_opt, opts->period, 8);
  memcpy(r->scope, opts->region ? opts->region : "", n + 1);
  r->scope_len = n;
  snprintf(r->user, sizeof r->user, "%s", opts->user ? opts->user : "");
  r->o.period = opts->period ? r->period_opt : NULL;
  r->o.region = r->scope;
  r->o.user = r->user;
  *out = r;
  return 0;
}

void cc_report_free(cc_report *r)
{
  size_t i;
  if (r == NULL)
    return;
  for (i = 0; i < r->n_schools; i++) {
    free(r->schools[i]->key);
    free(r->schools[i]->name);
    free(r->schools[i]->region);
    free(r->schools[i]);
  }
  for (i = 0; i < r->n_areas; i++) {
    free(r->areas[i]->key);
    free(r->areas[i]);
  }
  free(r->schools);
  free(r->areas);
  free(r->school_map.slots);
  free(r->area_map.slots);
  free(r->periods);
  free(r->overdue);
  free(r);
}

/* The trend slot of a period (created when new); NULL on ENOMEM. */
static period_totals *period_slot(cc_report *r, const char *period)
{
  size_t i;
  for (i = 0; i < r->n_periods; i++)
    if (strcmp(r->periods[i].period, period) == 0) {
      memset(&r->periods[i].t, 0, sizeof r->periods[i].t);
      return &r->periods[i];
    }
  if (r->n_periods == r->cap_periods) {
    size_t cap = r->cap_periods ? r->cap_periods * 2 : 16;
    period_totals *p = realloc(r->periods, cap * sizeof *p);
    if (p == NULL)
      return NULL;
    r->periods = p;
    r->cap_periods = cap;
  }
  memset(&r->periods[r->n_periods], 0, sizeof *r->periods);
  memcpy(r->periods[r->n_periods].period, period, 8);
  return &r->periods[r->n_periods++];
}

int cc_report_add_period(cc_report *r, const char *period,
                         const cc_finding_list *list)
{
  period_totals *pt;
  size_t i;
  if (!period_ok(period))
    return cc_error_set(CC_EINVALID, "period must be YYYY-MM");
  if ((pt = period_slot(r, period)) == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  for (i = 0; i < list->n; i++)
    if (finding_in_scope(r, &list->items[i]))
      tally_add(&pt->t, &list->items[i]);
  return 0;
}

int cc_report_set_current(cc_report *r, const char *period,
                          const cc_finding_list *list)
{
  size_t i;
  uint32_t j;
  int rc;
  if (!period_ok(period))
    return cc_error_set(CC_EINVALID, "period must be YYYY-MM");
  if (r->has_current)
    return cc_error_set(CC_EINVALID, "the report's period is already set");
  if (list->n > UINT32_MAX - 1)
    return cc_error_set(CC_EINVALID, "too many findings for one report");
  if ((rc = cc_report_add_period(r, period, list)) != 0)
    return rc;
  r->has_current = 1;
  memcpy(r->current, period, 8);
  r->list = list;
  for (i = 0; i < list->n; i++) {
    const cc_finding *f = &list->items[i];
    if (!finding_in_scope(r, f))
      continue;
    tally_add(&r->cur, f);
    /* The bases are how records were found to be one person: the
     * duplicates'. A policy finding judges one record (put_policy). */
    if (!cc_finding_type_is_policy((cc_finding_type)f->type))
      tally_add(&r->basis[f->basis != CC_BASIS_ID_EXACT], f);
    if (f->seen > r->seen)
      r->seen = f->seen;
    if (f->state == CC_STATE_OVERDUE) {
      if (r->n_overdue == r->cap_overdue) {
        size_t cap = r->cap_overdue ? r->cap_overdue * 2 : 1024;
        uint32_t *p = realloc(r->overdue, cap * sizeof *p);
        if (p == NULL)
          return cc_error_set(CC_ENOMEM, "out of memory");
        r->overdue = p;
        r->cap_overdue = cap;
      }
      r->overdue[r->n_overdue++] = (uint32_t)i;
    }
    for (j = 0; j < f->n_members; j++) {
      const cc_member *m = &f->members[j];
      school *sc;
      area *a;
      if (!member_in_scope(r, m))
        continue;
      sc = school_get(r, m->label.ptr, m->label.len, m->school_code.ptr,
                      m->school_code.len);
      if (sc == NULL || (!sc->has_findings && school_place(r, sc, m) != 0))
        return cc_error_set(CC_ENOMEM, "out of memory");
      if (sc->last == i + 1)
        continue; /* two members at one school: one finding there */
      sc->last = i + 1;
      tally_add(&sc->t, f);
      a = sc->prov;
      if (a->last != i + 1) {
        a->last = i + 1;
        tally_add(&a->t, f);
      }
      a = sc->city;
      if (a->last != i + 1) {
        a->last = i + 1;
        tally_add(&a->t, f);
      }
    }
  }
  return 0;
}

int cc_report_set_school_records(cc_report *r, const char *label,
                                 const char *school_code, uint64_t records)
{
  school *sc =
      school_get(r, label, strlen(label), school_code, strlen(school_code));
  if (sc == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  sc->records = records;
  sc->has_records = 1;
  return 0;
}

void cc_report_get_summary(cc_report_summary *out, const cc_report *r)
{
  size_t i;
  memset(out, 0, sizeof *out);
  if (!r->has_current)
    return;
  memcpy(out->period, r->current, 8);
  out->periods = r->n_periods;
  out->open = tally_open(&r->cur);
  out->overdue = tally_state(&r->cur, CC_STATE_OVERDUE);
  out->cleared = tally_state(&r->cur, CC_STATE_CLEARED);
  out->findings = out->open + out->cleared;
  out->amount_at_risk = tally_amount(&r->cur);
  out->amount_policy = tally_amount_policy(&r->cur);
  for (i = 0; i < r->n_schools; i++)
    out->schools += r->schools[i]->has_findings;
}

/* ------------------------------------------------------------------ */
/* Rendering: pieces of the page. */

static const char page_css[] =
    ":root{--ink:#1f2933;--muted:#616e7c;--line:#dde3ea;--bg:#f3f5f8;"
    "--brand:#16365c;--red:#c0392b;--amber:#b7791f;--green:#2e7d4f}\n"
    "*{box-sizing:border-box}\n"
    "html{-webkit-text-size-adjust:100%}\n"
    "body{margin:0;background:var(--bg);color:var(--ink);"
    "font:14px/1.6 \"Noto Sans CJK SC\",\"Source Han Sans SC\",\"PingFang SC\","
    "\"Microsoft YaHei\",\"WenQuanYi Micro Hei\",\"Noto Sans\",sans-serif}\n"
    "header{background:var(--brand);color:#fff;padding:26px 0 22px}\n"
    ".wrap{max-width:1200px;margin:0 auto;padding:0 32px}\n"
    "header .org{font-size:13px;color:#b8c7dc;letter-spacing:.08em}\n"
    "header h1{margin:4px 0 6px;font-size:26px;font-weight:700;"
    "letter-spacing:.03em}\n"
    "header .meta{font-size:13px;color:#d3deec}\n"
    "header .meta span{margin-right:22px}\n"
    "main{padding:22px 0 36px}\n"
    "section{background:#fff;border:1px solid var(--line);border-radius:6px;"
    "padding:18px 22px 20px;margin:0 0 18px}\n"
    "h2{font-size:17px;margin:0 0 12px;padding-left:10px;"
    "border-left:4px solid var(--brand);line-height:1.3}\n"
    "h2 small{font-weight:400;color:var(--muted);font-size:13px;"
    "margin-left:8px}\n"
    "h3{font-size:15px;margin:16px 0 8px}\n"
    ".kpis{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;"
    "margin:0 0 18px}\n"
    ".kpi{background:#fff;border:1px solid var(--line);border-radius:6px;"
    "padding:12px 14px;border-top:3px solid var(--brand)}\n"
    ".kpi .v{font-size:23px;font-weight:700;white-space:nowrap;"
    "font-variant-numeric:tabular-nums}\n"
    ".kpi .l{color:var(--muted);font-size:12px}\n"
    ".kpi .d{color:var(--muted);font-size:12px}\n"
    ".kpi.red{border-top-color:var(--red)}.kpi.red .v{color:var(--red)}\n"
    ".kpi.amber{border-top-color:var(--amber)}\n"
    ".kpi.green{border-top-color:var(--green)}\n"
    "table{border-collapse:collapse;width:100%;font-size:13px}\n"
    "th,td{padding:6px 9px;border-bottom:1px solid var(--line);"
    "text-align:left;vertical-align:top}\n"
    "thead th{background:#edf1f6;font-weight:600;white-space:nowrap;"
    "border-bottom:1px solid #c9d3df}\n"
    "tbody tr:nth-child(even) td{background:#fafbfc}\n"
    ".n{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}\n"
    "tfoot td{font-weight:700;background:#f4f6f9;border-top:1px solid "
    "#c9d3df}\n"
    "tr.city td{background:#eef3f9 !important;font-weight:600}\n"
    "tr.school td:first-child{padding-left:26px}\n"
    ".code{color:var(--muted);font-size:12px;font-family:\"Noto Sans Mono\","
    "\"DejaVu Sans Mono\",monospace}\n"
    ".muted{color:var(--muted)}\n"
    ".red{color:var(--red)}\n"
    ".tag{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;"
    "line-height:18px;white-space:nowrap}\n"
    ".t-claim{background:#fdecea;color:#a12a1d}\n"
    ".sw{display:inline-block;width:10px;height:10px;border-radius:2px;"
    "margin-right:6px;vertical-align:-1px}\n"
    ".legend{display:flex;flex-wrap:wrap;gap:6px 18px;font-size:12px;"
    "color:var(--muted);margin:4px 0 0 64px}\n"
    ".bar{display:inline-block;height:8px;border-radius:2px;"
    "background:#d9826f;vertical-align:middle;margin-left:6px}\n"
    "details{border:1px solid var(--line);border-radius:5px;margin:8px 0}\n"
    "details>summary{cursor:pointer;padding:8px 12px;background:#f6f8fb;"
    "font-weight:600}\n"
    "details>table{margin:0}\n"
    ".charts{display:grid;grid-template-columns:1fr;gap:8px}\n"
    "svg{display:block;width:100%;height:auto}\n"
    "svg text{font-size:12px;fill:#52606d}\n"
    "svg .ax{stroke:#c9d3df;stroke-width:1}\n"
    "svg .gr{stroke:#edf1f6;stroke-width:1}\n"
    "svg text.cur{font-weight:700;fill:#16365c}\n"
    "svg text.val{fill:#1f2933}\n"
    ".empty{color:var(--muted);padding:8px 0}\n"
    "ol.notes{margin:0;padding-left:20px;color:var(--muted);font-size:12px}\n"
    "footer{color:var(--muted);font-size:12px;text-align:center;"
    "padding:0 0 28px}\n"
    "@media (max-width:900px){.kpis{grid-template-columns:repeat(2,1fr)}}\n"
    ".nw{white-space:nowrap}\n"
    ".sch+.sch{margin-top:4px}\n"
    ".sch .code{white-space:nowrap}\n"
    "@media print{body{background:#fff}header{background:#fff;color:#000;"
    "border-bottom:2px solid #000}header .org,header .meta{color:#333}"
    "section{break-inside:avoid;border-color:#999}"
    "details>*{display:block}}\n";

/* The scope as a title: "全国", "山东省（37）" or "地区 37". */
static void put_scope(cc_buf *b, const cc_report *r)
{
  const char *name;
  if (r->scope_len == 0) {
    cc_buf_puts(b, "全国");
    return;
  }
  name = region_name(r->scope, r->scope_len);
  if (name != NULL) {
    sb_escs(b, name);
    cc_buf_printf(b, "（%s）", r->scope);
  } else {
    cc_buf_printf(b, "%s %s", r->scope_len == 2 ? "省级地区" : "地市",
                  r->scope);
  }
}

/* An area's label: name and code, the code alone, or "未填地区代码". */
static void put_area(cc_buf *b, const area *a)
{
  const char *name;
  size_t n = strlen(a->code);
  if (n == 0) {
    cc_buf_puts(b, a->level ? "未填地市代码" : "未填地区代码");
    return;
  }
  name = region_name(a->code, n);
  if (name != NULL) {
    sb_escs(b, name);
    cc_buf_puts(b, " <span class=\"code\">");
    sb_esc(b, a->code, n);
    cc_buf_puts(b, "</span>");
  } else {
    /* Codes come from rosters: escaped like any registered text. */
    cc_buf_puts(b, a->level ? "地市 " : "省份 ");
    sb_esc(b, a->code, n);
  }
}

/* A school's region code as its city's (else province's) name and the
 * code, or the code alone when neither is listed. */
static void put_region(cc_buf *b, const char *code)
{
  size_t n = code ? strlen(code) : 0;
  const char *name = n >= 4 ? region_name(code, 4) : NULL;
  if (name == NULL && n >= 2)
    name = region_name(code, 2);
  if (n == 0) {
    cc_buf_puts(b, "<span class=\"muted\">未填</span>");
    return;
  }
  if (name != NULL) {
    sb_escs(b, name);
    cc_buf_puts(b, " ");
  }
  cc_buf_puts(b, "<span class=\"code\">");
  sb_escs(b, code);
  cc_buf_puts(b, "</span>");
}

static void put_system(cc_buf *b, const char *label, size_t len)
{
  const char *zh = system_zh(label, len);
  if (zh != NULL)
    cc_buf_puts(b, zh);
  else
    sb_esc(b, label, len);
}

/* "name 〔code〕 · system" of a school. */
static void put_school(cc_buf *b, const school *sc)
{
  const char *code = sc->key + sc->label_len + 1;
  if (sc->name != NULL)
    sb_escs(b, sc->name);
  else
    cc_buf_puts(b, "<span class=\"muted\">（未填校名）</span>");
  cc_buf_puts(b, " <span class=\"code\">");
  sb_esc(b, code, sc->key_len - sc->label_len - 1);
  cc_buf_puts(b, "</span>");
}

static void put_head(cc_buf *b, const cc_report *r)
{
  char when[32];
  time_t t = r->o.generated_at ? (time_t)r->o.generated_at : time(NULL);
  struct tm tm;
  localtime_r(&t, &tm);
  strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);

  cc_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n"
                 "<meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, "
                 "initial-scale=1\">\n"
                 /* Belt and braces: even a page someone edits may load nothing
              * and run nothing. */
                 "<meta http-equiv=\"Content-Security-Policy\" "
                 "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
                 "<meta name=\"generator\" content=\"chachong report\">\n"
                 "<title>");
  put_scope(b, r);
  cc_buf_printf(b, " %s 学籍与资助查重报告</title>\n<style>\n", r->current);
  cc_buf_put(b, page_css, sizeof page_css - 1);
  cc_buf_puts(b, "</style>\n</head>\n<body>\n<header><div class=\"wrap\">\n"
                 "<div class=\"org\">全国中等职业学校学生学籍与资助 · "
                 "教育部 / 人力资源社会保障部 月度查重比对</div>\n<h1>");
  put_scope(b, r);
  cc_buf_printf(b, " · %s 期 学籍与资助查重报告</h1>\n<div class=\"meta\">",
                r->current);
  cc_buf_puts(b, "<span>范围：<b data-k=\"scope\">");
  put_scope(b, r);
  cc_buf_printf(b, "</b></span><span>期次：<b data-k=\"period\">%s</b></span>",
                r->current);
  if (r->seen != 0) {
    cc_buf_puts(b, "<span>比对日：");
    sb_date(b, r->seen);
    cc_buf_puts(b, "</span>");
  }
  cc_buf_printf(b, "<span>生成时间：%s</span>", when);
  if (r->user[0] != '\0') {
    cc_buf_puts(b, "<span>生成人：");
    sb_escs(b, r->user);
    cc_buf_puts(b, "</span>");
  }
  cc_buf_puts(b, "</div>\n</div></header>\n<main><div class=\"wrap\">\n");
}

/* One key figure: label, value (already HTML), a line under it. */
static void kpi_begin(cc_buf *b, const char *colour, const char *label,
                      const char *key)
{
  cc_buf_printf(b,
                "<div class=\"kpi%s%s\"><div class=\"l\">%s</div>"
                "<div class=\"v\" data-k=\"%s\">",
                *colour ? " " : "", colour, label, key);
}

static void put_kpis(cc_buf *b, const cc_report *r)
{
  const tally *t = &r->cur;
  uint64_t cleared = tally_state(t, CC_STATE_CLEARED), provinces = 0;
  cc_report_summary s;
  size_t i;
  cc_report_get_summary(&s, r);
  for (i = 0; i < r->n_areas; i++)
    if (r->areas[i]->level == 0 && r->areas[i]->code[0] != '\0')
      provinces++;

  cc_buf_puts(b, "<div class=\"kpis\">\n");
  kpi_begin(b, "", "未清理问题（条）", "open");
  sb_count(b, s.open);
  cc_buf_printf(b, "</div><div class=\"d\">%s + %s + %s</div></div>\n",
                cc_finding_state_zh(CC_STATE_NEW),
                cc_finding_state_zh(CC_STATE_OPEN),
                cc_finding_state_zh(CC_STATE_OVERDUE));

  kpi_begin(b, s.overdue ? "red" : "", "其中已逾期（条）", "overdue");
  sb_count(b, s.overdue);
  cc_buf_printf(b, "</div><div class=\"d\">占未清理的 %.1f%%</div></div>\n",
                s.open ? 100.0 * (double)s.overdue / (double)s.open : 0.0);

  kpi_begin(b, "amber", "涉及金额（元）", "amount");
  sb_money(b, s.amount_at_risk);
  cc_buf_puts(b, "</div><div class=\"d\">重复享受的国家助学金与免学费</div>"
                 "</div>\n");

  kpi_begin(b, s.amount_policy ? "amber" : "", "违规资助金额（元）",
            "amount-policy");
  sb_money(b, s.amount_policy);
  cc_buf_puts(b, "</div><div class=\"d\">不符合资助政策发放的国家助学金与免学费"
                 "（另计）</div></div>\n");

  kpi_begin(b, "", "涉及学校（所）", "schools");
  sb_count(b, s.schools);
  cc_buf_puts(b, "</div><div class=\"d\">分布在 ");
  sb_count(b, provinces);
  cc_buf_puts(b, " 个省级地区</div></div>\n");

  kpi_begin(b, "", "本期新发现（条）", "new");
  sb_count(b, tally_state(t, CC_STATE_NEW));
  cc_buf_puts(b, "</div><div class=\"d\">须在 10 个工作日内清理</div></div>\n");

  kpi_begin(b, "green", "本期已清理（条）", "cleared");
  sb_count(b, cleared);
  cc_buf_puts(b, "</div><div class=\"d\">按期 ");
  sb_count(b, cleared - t->cleared_late);
  cc_buf_puts(b, " 条 · 逾期后清理 ");
  sb_count(b, t->cleared_late);
  cc_buf_puts(b, " 条</div></div>\n");

  kpi_begin(b, "green", "按期清理率", "on-time-rate");
  if (cleared > 0)
    cc_buf_printf(b, "%.1f%%",
                  100.0 * (double)(cleared - t->cleared_late) /
                      (double)cleared);
  else
    cc_buf_puts(b, "—");
  cc_buf_puts(b, "</div><div class=\"d\">本期已清理问题中按期清理的比例</div>"
                 "</div>\n");

  kpi_begin(b, t->claimed ? "red" : "", "称已处理但仍存在（条）", "claimed");
  sb_count(b, t->claimed);
  cc_buf_puts(b, "</div><div class=\"d\">学校答复已注销或已请对方注销，"
                 "本期仍被发现</div></div>\n</div>\n");
}

/* Exact findings (one ID) and fuzzy ones (IDs that differ, linked by the
 * evidence) apart: an auditor weighs a fuzzy case before acting on it. */
static void put_bases(cc_buf *b, const cc_report *r)
{
  static const char *const key[2] = {"exact", "fuzzy"};
  static const char *const label[2] = {
      "身份证号相同 <span class=\"code\">id_exact</span>",
      "疑似同一人（号码录入差异） <span class=\"code\">id_typo · "
      "name_birth</span>"};
  int k;
  cc_buf_puts(b, "<h3>按认定依据</h3>\n<table>\n<thead><tr><th>认定依据</th>"
                 "<th class=\"n\">问题（条）</th><th class=\"n\">未清理</th>"
                 "<th class=\"n\">其中已逾期</th>");
  cc_buf_printf(b,
                "<th class=\"n\">%s</th><th class=\"n\">涉及金额（元）</th>"
                "</tr></thead>\n<tbody>\n",
                cc_finding_state_zh(CC_STATE_CLEARED));
  for (k = 0; k < 2; k++) {
    const tally *t = &r->basis[k];
    cc_buf_printf(b, "<tr><td>%s</td><td class=\"n\" data-k=\"bf:%s\">",
                  label[k], key[k]);
    sb_count(b, tally_open(t) + tally_state(t, CC_STATE_CLEARED));
    cc_buf_printf(b, "</td><td class=\"n\" data-k=\"bo:%s\">", key[k]);
    sb_count(b, tally_open(t));
    cc_buf_printf(b, "</td><td class=\"n\" data-k=\"bd:%s\">", key[k]);
    sb_count(b, tally_state(t, CC_STATE_OVERDUE));
    cc_buf_printf(b, "</td><td class=\"n\" data-k=\"bc:%s\">", key[k]);
    sb_count(b, tally_state(t, CC_STATE_CLEARED));
    cc_buf_printf(b, "</td><td class=\"n\" data-k=\"ba:%s\">", key[k]);
    sb_money(b, tally_amount(t));
    cc_buf_puts(b, "</td></tr>\n");
  }
  cc_buf_puts(b, "</tbody>\n</table>\n");
}

static void put_types(cc_buf *b, const cc_report *r)
{
  static const int cols[] = {CC_STATE_NEW, CC_STATE_OPEN, CC_STATE_OVERDUE};
  const tally *t = &r->cur;
  int k, c;

  cc_buf_puts(b, "<section id=\"types\">\n<h2>一、按问题类型和状态统计</h2>\n"
                 "<table>\n<thead><tr><th>问题类型</th>");
  for (c = 0; c < 3; c++)
    cc_buf_printf(b, "<th class=\"n\">%s</th>",
                  cc_finding_state_zh((cc_finding_state)cols[c]));
  cc_buf_printf(b,
                "<th class=\"n\">未清理合计</th><th class=\"n\">%s</th>"
                "<th class=\"n\">涉及金额（元）</th></tr></thead>\n<tbody>\n",
                cc_finding_state_zh(CC_STATE_CLEARED));
  for (k = 0; k < NT; k++) {
    const char *code = cc_finding_type_code((cc_finding_type)k);
    cc_buf_printf(b,
                  "<tr><td><span class=\"sw\" style=\"background:%s\"></span>"
                  "%s <span class=\"code\">%s</span></td>",
                  type_colour[k], cc_finding_type_zh((cc_finding_type)k), code);
    for (c = 0; c < 3; c++) {
      cc_buf_printf(b, "<td class=\"n\" data-k=\"ts:%s:%s\">", code,
                    cc_finding_state_code((cc_finding_state)cols[c]));
      sb_count(b, t->by[k][cols[c]]);
      cc_buf_puts(b, "</td>");
    }
    cc_buf_printf(b, "<td class=\"n\" data-k=\"t:%s\"><b>", code);
    sb_count(b, tally_open_type(t, k));
    cc_buf_printf(b, "</b></td><td class=\"n\" data-k=\"ts:%s:cleared\">",
                  code);
    sb_count(b, t->by[k][CC_STATE_CLEARED]);
    cc_buf_printf(b, "</td><td class=\"n\" data-k=\"ta:%s\">", code);
    sb_money(b, t->amount[k]);
    cc_buf_puts(b, "</td></tr>\n");
  }
  cc_buf_puts(b, "</tbody>\n<tfoot><tr><td>合计</td>");
  for (c = 0; c < 3; c++) {
    cc_buf_printf(b, "<td class=\"n\" data-k=\"s:%s\">",
                  cc_finding_state_code((cc_finding_state)cols[c]));
    sb_count(b, tally_state(t, cols[c]));
    cc_buf_puts(b, "</td>");
  }
  cc_buf_puts(b, "<td class=\"n\">");
  sb_count(b, tally_open(t));
  cc_buf_puts(b, "</td><td class=\"n\" data-k=\"s:cleared\">");
  sb_count(b, tally_state(t, CC_STATE_CLEARED));
  cc_buf_puts(b, "</td><td class=\"n\">");
  sb_money(b, tally_amount(t));
  cc_buf_puts(b, "</td></tr></tfoot>\n</table>\n");
  put_bases(b, r);
  cc_buf_puts(b, "</section>\n");
}

/* The policy findings (SPEC 3.2) by type and reason: counts by state and
 * the money paid against the rules, apart from the duplicates. */
static void put_policy(cc_buf *b, const cc_report *r)
{
  static const int cols[] = {CC_STATE_NEW, CC_STATE_OPEN, CC_STATE_OVERDUE,
                             CC_STATE_CLEARED};
  uint64_t by[NT][CC_REASON_COUNT_][NS];
  int64_t money[NT][CC_REASON_COUNT_], all = 0;
  size_t i;
  int k, q, c;

  memset(by, 0, sizeof by);
  memset(money, 0, sizeof money);
  for (i = 0; r->list && i < r->list->n; i++) {
    const cc_finding *f = &r->list->items[i];
    if (!cc_finding_type_is_policy((cc_finding_type)f->type) ||
        f->reason >= CC_REASON_COUNT_ || f->state >= NS ||
        !finding_in_scope(r, f))
      continue;
    by[f->type][f->reason][f->state]++;
    if (f->state != CC_STATE_CLEARED) {
      money[f->type][f->reason] += f->amount_at_risk;
      all += f->amount_at_risk;
    }
  }
  cc_buf_puts(
      b, "<section id=\"policy\">\n<h2>违反资助政策的问题<small>按类型和原因；"
         "金额与重复资助分开统计</small></h2>\n<table>\n<thead><tr>"
         "<th>问题类型</th><th>原因</th>");
  for (c = 0; c < 4; c++)
    cc_buf_printf(b, "<th class=\"n\">%s</th>",
                  cc_finding_state_zh((cc_finding_state)cols[c]));
  cc_buf_puts(
      b,
      "<th class=\"n\">违规资助金额（元）</th><th>处理要求</th></tr></thead>\n"
      "<tbody>\n");
  for (k = CC_FT_POLICY_FIRST; k < NT; k++)
    for (q = 1; q < CC_REASON_COUNT_; q++) {
      const char *todo =
          cc_finding_reason_todo_zh((cc_finding_type)k, (cc_finding_reason)q);
      const char *code = cc_finding_reason_code((cc_finding_reason)q);
      /* Only the pairs SPEC 3.2 defines (third_year: grants only). */
      if (!cc_finding_reason_fits((cc_finding_type)k, (cc_finding_reason)q))
        continue;
      cc_buf_printf(
          b,
          "<tr data-k=\"policy\"><td>%s <span class=\"code\">%s</span></td>"
          "<td>%s <span class=\"code\">%s</span></td>",
          cc_finding_type_zh((cc_finding_type)k),
          cc_finding_type_code((cc_finding_type)k),
          cc_finding_reason_zh((cc_finding_reason)q), code);
      for (c = 0; c < 4; c++) {
        cc_buf_printf(b, "<td class=\"n\" data-k=\"ps:%s:%s:%s\">",
                      cc_finding_type_code((cc_finding_type)k), code,
                      cc_finding_state_code((cc_finding_state)cols[c]));
        sb_count(b, by[k][q][cols[c]]);
        cc_buf_puts(b, "</td>");
      }
      cc_buf_printf(b, "<td class=\"n\" data-k=\"pa:%s:%s\">",
                    cc_finding_type_code((cc_finding_type)k), code);
      sb_money(b, money[k][q]);
      cc_buf_puts(b, "</td><td>");
      sb_escs(b, todo);
      cc_buf_puts(b, "</td></tr>\n");
    }
  cc_buf_puts(b, "</tbody>\n<tfoot><tr><td colspan=\"6\">合计（未清理）</td>"
                 "<td class=\"n\" data-k=\"amount-policy-total\">");
  sb_money(b, all);
  cc_buf_puts(b, "</td><td></td></tr></tfoot>\n</table>\n</section>\n");
}

/* Days past the deadline on the day of the run that saw it overdue. */
static int32_t days_overdue(const cc_finding *f, cc_date seen)
{
  return (f->seen ? f->seen : seen) - f->deadline;
}

/* An overdue case and its sort key (qsort has no context argument). */
typedef struct overdue_key {
  int32_t days;
  int64_t amount;
  uint64_t id;
  uint32_t idx; /* index into the list */
} overdue_key;

/* Most overdue first, then most money, then finding_id. */
static int overdue_cmp(const void *pa, const void *pb)
{
  const overdue_key *a = pa, *b = pb;
  if (a->days != b->days)
    return a->days > b->days ? -1 : 1;
  if (a->amount != b->amount)
    return a->amount > b->amount ? -1 : 1;
  return a->id < b->id ? -1 : a->id > b->id;
}

static void put_overdue(cc_buf *b, cc_report *r)
{
  size_t i, shown = r->n_overdue;
  overdue_key *keys;
  if (shown > r->o.top_overdue)
    shown = r->o.top_overdue;
  keys = malloc((r->n_overdue ? r->n_overdue : 1) * sizeof *keys);
  if (keys == NULL) {
    cc_buf_fail(b);
    return;
  }
  for (i = 0; i < r->n_overdue; i++) {
    const cc_finding *f = &r->list->items[r->overdue[i]];
    keys[i].days = days_overdue(f, r->seen);
    keys[i].amount = f->amount_at_risk;
    keys[i].id = f->finding_id;
    keys[i].idx = r->overdue[i];
  }
  qsort(keys, r->n_overdue, sizeof *keys, overdue_cmp);

  cc_buf_puts(b, "<section id=\"overdue\">\n<h2>五、逾期未清理问题");
  cc_buf_puts(b, "<small>共 <span data-k=\"overdue-total\">");
  sb_count(b, r->n_overdue);
  cc_buf_puts(b, "</span> 条");
  if (shown < r->n_overdue) {
    cc_buf_puts(b, "，列出逾期最久的 ");
    sb_count(b, shown);
    cc_buf_puts(b, " 条");
  }
  cc_buf_puts(
      b, "；身份证号已脱敏，凭问题编号查询（chachong query）</small></h2>\n");
  if (shown == 0) {
    cc_buf_puts(b, "<p class=\"empty\">本期没有逾期未清理的问题。</p>\n"
                   "</section>\n");
    free(keys);
    return;
  }
  cc_buf_puts(b,
              "<table>\n<thead><tr><th class=\"n\">序号</th><th>问题编号</th>"
              "<th>类型</th><th>身份证号</th><th>涉及学校</th>"
              "<th class=\"n\">下发日期</th><th class=\"n\">清理期限</th>"
              "<th class=\"n\">逾期天数</th><th class=\"n\">涉及金额（元）</th>"
              "<th>备注</th></tr></thead>\n<tbody>\n");
  for (i = 0; i < shown; i++) {
    const cc_finding *f = &r->list->items[keys[i].idx];
    char hex[17], masked[CC_ID_MAX + 1];
    uint32_t j;
    cc_finding_id_hex(hex, f->finding_id);
    cc_id_mask(masked, f->id);
    cc_buf_printf(
        b,
        "<tr data-k=\"od\"><td class=\"n\">%zu</td>"
        "<td class=\"code\">%s</td><td class=\"nw\">%s</td>"
        "<td class=\"code nw\">",
        i + 1, hex,
        cc_finding_type_zh((cc_finding_type)(f->type < NT ? f->type : 0)));
    sb_escs(b, masked);
    cc_buf_puts(b, "</td><td>");
    for (j = 0; j < f->n_members; j++) {
      const cc_member *m = &f->members[j];
      uint32_t k;
      /* One line per school, even with two members there. */
      for (k = 0; k < j; k++)
        if (f->members[k].label.len == m->label.len &&
            f->members[k].school_code.len == m->school_code.len &&
            memcmp(f->members[k].label.ptr, m->label.ptr, m->label.len) == 0 &&
            memcmp(f->members[k].school_code.ptr, m->school_code.ptr,
                   m->school_code.len) == 0)
          break;
      if (k < j)
        continue;
      cc_buf_puts(b, "<div class=\"sch\">");
      if (m->school_name.len > 0)
        sb_esc(b, m->school_name.ptr, m->school_name.len);
      else
        cc_buf_puts(b, "<span class=\"muted\">（未填校名）</span>");
      cc_buf_puts(b, " <span class=\"code\">");
      put_system(b, m->label.ptr, m->label.len);
      cc_buf_puts(b, " ");
      sb_esc(b, m->school_code.ptr, m->school_code.len);
      cc_buf_puts(b, "</span></div>");
    }
    cc_buf_puts(b, "</td><td class=\"n\">");
    sb_date(b, f->issued);
    cc_buf_puts(b, "</td><td class=\"n\">");
    sb_date(b, f->deadline);
    cc_buf_printf(b,
                  "</td><td class=\"n red\"><b>%ld</b> 天</td><td class=\"n\">",
                  (long)days_overdue(f, r->seen));
    sb_money(b, f->amount_at_risk);
    cc_buf_puts(b, "</td><td>");
    if (f->claimed)
      cc_buf_puts(b, "<span class=\"tag t-claim\">学校称已处理，仍存在</span>");
    else if (f->response_action != 0)
      cc_buf_printf(
          b, "<span class=\"muted\">已答复：%s</span>",
          cc_response_action_zh((cc_response_action)f->response_action));
    cc_buf_puts(b, "</td></tr>\n");
  }
  cc_buf_puts(b, "</tbody>\n</table>\n</section>\n");
  free(keys);
}

/* Cells of a tally: open, new, open (not due), overdue, cleared, amount. */
static void put_tally_cells(cc_buf *b, const tally *t)
{
  uint64_t open = tally_open(t), od = tally_state(t, CC_STATE_OVERDUE);
  cc_buf_puts(b, "<td class=\"n\"><b>");
  sb_count(b, open);
  cc_buf_puts(b, "</b></td><td class=\"n\">");
  sb_count(b, tally_state(t, CC_STATE_NEW));
  cc_buf_puts(b, "</td><td class=\"n\">");
  sb_count(b, tally_state(t, CC_STATE_OPEN));
  cc_buf_printf(b, "</td><td class=\"n%s\">", od ? " red" : "");
  sb_count(b, od);
  cc_buf_puts(b, "</td><td class=\"n\">");
  sb_count(b, tally_state(t, CC_STATE_CLEARED));
  cc_buf_puts(b, "</td><td class=\"n\">");
  sb_money(b, tally_amount(t));
  cc_buf_puts(b, "</td>");
}

/* The heads of put_tally_cells' columns. */
static void put_tally_head(cc_buf *b)
{
  int s;
  cc_buf_puts(b, "<th class=\"n\">未清理</th>");
  for (s = 0; s < NS; s++)
    cc_buf_printf(b, "<th class=\"n\">%s</th>",
                  cc_finding_state_zh((cc_finding_state)s));
  cc_buf_puts(b, "<th class=\"n\">涉及金额（元）</th>");
}

/* Areas: provinces by code, then cities by code; "no code" last. */
static int area_code_cmp(const char *a, const char *b)
{
  if (a[0] == '\0' || b[0] == '\0')
    return (a[0] == '\0') - (b[0] == '\0');
  return strcmp(a, b);
}

static int area_cmp(const void *pa, const void *pb)
{
  const area *a = *(area *const *)pa, *b = *(area *const *)pb;
  return area_code_cmp(a->code, b->code);
}

/* Schools within the breakdown: province, city, most open first, key. */
static int school_area_cmp(const void *pa, const void *pb)
{
  const school *a = *(school *const *)pa, *b = *(school *const *)pb;
  uint64_t oa, ob;
  int c;
  if (a->prov != b->prov &&
      (c = area_code_cmp(a->prov->code, b->prov->code)) != 0)
    return c;
  if (a->city != b->city &&
      (c = area_code_cmp(a->city->code, b->city->code)) != 0)
    return c;
  oa = tally_open(&a->t);
  ob = tally_open(&b->t);
  if (oa != ob)
    return oa > ob ? -1 : 1;
  return strcmp(a->key, b->key);
}

static void put_rate(cc_buf *b, const school *sc)
{
  if (!sc->has_records || sc->records == 0) {
    cc_buf_puts(b, "<td class=\"n muted\">—</td><td class=\"n muted\">—</td>");
    return;
  }
  cc_buf_puts(b, "<td class=\"n\">");
  sb_count(b, sc->records);
  cc_buf_printf(b, "</td><td class=\"n\">%.1f</td>",
                1000.0 * (double)tally_open(&sc->t) / (double)sc->records);
}

static void put_areas(cc_buf *b, cc_report *r, school **list, size_t n)
{
  area **prov = NULL;
  size_t np = 0, i, k, s0;
  int open_all;

  cc_buf_puts(b, "<section id=\"areas\">\n<h2>三、分地区统计"
                 "<small>省 → 地市 → 学校；一条问题涉及几所学校，在每所学校"
                 "各计一次</small></h2>\n");
  if (n == 0) {
    cc_buf_puts(b, "<p class=\"empty\">本期没有问题。</p>\n</section>\n");
    return;
  }
  prov = malloc(r->n_areas * sizeof *prov);
  if (prov == NULL) {
    cc_buf_fail(b);
    return;
  }
  for (i = 0; i < r->n_areas; i++)
    if (r->areas[i]->level == 0)
      prov[np++] = r->areas[i];
  qsort(prov, np, sizeof *prov, area_cmp);
  qsort(list, n, sizeof *list, school_area_cmp);
  for (i = 0; i < n; i++) {
    list[i]->prov->schools++;
    list[i]->city->schools++;
  }

  /* The province table: one row each. */
  cc_buf_puts(b,
              "<table>\n<thead><tr><th>省份</th><th class=\"n\">涉及学校</th>");
  put_tally_head(b);
  cc_buf_puts(b, "<th>逾期占比</th></tr></thead>\n<tbody>\n");
  for (k = 0; k < np; k++) {
    const area *a = prov[k];
    uint64_t open = tally_open(&a->t),
             od = tally_state(&a->t, CC_STATE_OVERDUE);
    double share = open ? (double)od / (double)open : 0.0;
    cc_buf_puts(b, "<tr data-k=\"prov\"><td>");
    put_area(b, a);
    cc_buf_puts(b, "</td><td class=\"n\">");
    sb_count(b, a->schools);
    cc_buf_puts(b, "</td>");
    put_tally_cells(b, &a->t);
    cc_buf_printf(b,
                  "<td class=\"n\">%.1f%%<span class=\"bar\" "
                  "style=\"width:%dpx\"></span></td></tr>\n",
                  100.0 * share, (int)(share * 80.0 + 0.5));
  }
  cc_buf_puts(b, "</tbody>\n</table>\n");

  /* Then each province's cities and schools, folded (no script needed)
   * unless the page is about one province or the whole list is short. */
  open_all = r->scope_len > 0 || n <= 60;
  cc_buf_puts(b, "<h3>地市与学校明细</h3>\n");
  for (s0 = 0; s0 < n;) {
    const area *pa = list[s0]->prov;
    size_t e = s0;
    while (e < n && list[e]->prov == list[s0]->prov)
      e++;
    cc_buf_printf(b, "<details%s><summary>", open_all ? " open" : "");
    put_area(b, pa);
    cc_buf_puts(b, " · 涉及学校 ");
    sb_count(b, pa->schools);
    cc_buf_puts(b, " 所 · 未清理 ");
    sb_count(b, tally_open(&pa->t));
    cc_buf_puts(b, " 条</summary>\n<table>\n<thead><tr><th>地市 / 学校</th>"
                   "<th>系统</th>");
    put_tally_head(b);
    cc_buf_puts(b, "<th class=\"n\">学生记录数</th><th class=\"n\">每千人</th>"
                   "</tr></thead>\n<tbody>\n");
    for (i = s0; i < e;) {
      const area *ca = list[i]->city;
      size_t ce = i;
      while (ce < e && list[ce]->city == list[i]->city)
        ce++;
      cc_buf_puts(b, "<tr class=\"city\"><td>");
      put_area(b, ca);
      cc_buf_puts(b, " <span class=\"muted\">（");
      sb_count(b, ca->schools);
      cc_buf_puts(b, " 所）</span></td><td></td>");
      put_tally_cells(b, &ca->t);
      cc_buf_puts(b, "<td></td><td></td></tr>\n");
      for (; i < ce; i++) {
        const school *sc = list[i];
        cc_buf_puts(b, "<tr class=\"school\" data-k=\"school\"><td>");
        put_school(b, sc);
        cc_buf_puts(b, "</td><td>");
        put_system(b, sc->key, sc->label_len);
        cc_buf_puts(b, "</td>");
        put_tally_cells(b, &sc->t);
        put_rate(b, sc);
        cc_buf_puts(b, "</tr>\n");
      }
    }
    cc_buf_puts(b, "</tbody>\n</table>\n</details>\n");
    s0 = e;
  }
  cc_buf_puts(b, "</section>\n");
  free(prov);
}

/* The ranking: findings not cleared per thousand records, highest first. */
static int rate_cmp(const void *pa, const void *pb)
{
  const school *a = *(school *const *)pa, *b = *(school *const *)pb;
  /* open_a / rec_a against open_b / rec_b by cross products: no division,
   * and equal rates compare equal. */
  double x = (double)tally_open(&a->t) * (double)b->records;
  double y = (double)tally_open(&b->t) * (double)a->records;
  if (x != y)
    return x > y ? -1 : 1;
  if (tally_open(&a->t) != tally_open(&b->t))
    return tally_open(&a->t) > tally_open(&b->t) ? -1 : 1;
  return strcmp(a->key, b->key);
}

static void put_ranking(cc_buf *b, cc_report *r, school **list, size_t n)
{
  size_t i, m = 0, with_records = 0;
  double top = 0.0;
  school **rank = malloc((n ? n : 1) * sizeof *rank);
  if (rank == NULL) {
    cc_buf_fail(b);
    return;
  }
  for (i = 0; i < n; i++) {
    if (list[i]->has_records)
      with_records++;
    if (list[i]->has_records && list[i]->records > 0 &&
        list[i]->records >= r->o.min_records && tally_open(&list[i]->t) > 0)
      rank[m++] = list[i];
  }
  qsort(rank, m, sizeof *rank, rate_cmp);
  if (m > r->o.top_schools)
    m = r->o.top_schools;

  cc_buf_printf(b,
                "<section id=\"ranking\">\n<h2>四、问题率最高的学校"
                "<small>每千名学生（本期学校记录数）的未清理问题数，前 %u 所",
                r->o.top_schools);
  if (r->o.min_records > 1)
    cc_buf_printf(b, "；记录数不足 %u 的学校不参与排名", r->o.min_records);
  cc_buf_puts(b, "</small></h2>\n");
  if (m == 0) {
    cc_buf_puts(b, with_records == 0 && n > 0
                       ? "<p class=\"empty\">本期各校的学生记录数不可用，"
                         "无法计算问题率。</p>\n</section>\n"
                       : "<p class=\"empty\">没有可排名的学校。</p>\n"
                         "</section>\n");
    free(rank);
    return;
  }
  top = (double)tally_open(&rank[0]->t) / (double)rank[0]->records;
  cc_buf_puts(b, "<table>\n<thead><tr><th class=\"n\">排名</th><th>学校</th>"
                 "<th>系统</th><th>地区</th><th class=\"n\">学生记录数</th>"
                 "<th class=\"n\">未清理问题</th><th class=\"n\">其中逾期</th>"
                 "<th class=\"n\">涉及金额（元）</th><th>每千人</th></tr>"
                 "</thead>\n<tbody>\n");
  for (i = 0; i < m; i++) {
    const school *sc = rank[i];
    double rate = (double)tally_open(&sc->t) / (double)sc->records;
    uint64_t od = tally_state(&sc->t, CC_STATE_OVERDUE);
    cc_buf_printf(b, "<tr data-k=\"rank\"><td class=\"n\">%zu</td><td>", i + 1);
    put_school(b, sc);
    cc_buf_puts(b, "</td><td>");
    put_system(b, sc->key, sc->label_len);
    cc_buf_puts(b, "</td><td>");
    put_region(b, sc->region);
    cc_buf_puts(b, "</td><td class=\"n\">");
    sb_count(b, sc->records);
    cc_buf_puts(b, "</td><td class=\"n\">");
    sb_count(b, tally_open(&sc->t));
    cc_buf_printf(b, "</td><td class=\"n%s\">", od ? " red" : "");
    sb_count(b, od);
    cc_buf_puts(b, "</td><td class=\"n\">");
    sb_money(b, tally_amount(&sc->t));
    cc_buf_printf(b,
                  "</td><td class=\"n\"><b>%.1f</b><span class=\"bar\" "
                  "style=\"width:%dpx\"></span></td></tr>\n",
                  1000.0 * rate, top > 0 ? (int)(rate / top * 120.0 + 0.5) : 0);
  }
  cc_buf_puts(b, "</tbody>\n</table>\n</section>\n");
  free(rank);
}

/* ------------------------------------------------------------------ */
/* The trend: inline SVG. */

#define CW 1120 /* chart width (viewBox units) */
#define CH 300  /* chart height */
#define ML 72   /* left margin: the y labels */
#define MR 16
#define MT 26
#define MB 44 /* bottom margin: the periods */

/* A step of 1, 2 or 5 times a power of ten giving about `ticks` ticks. */
static double nice_step(double max, int ticks)
{
  double raw = max / ticks, mag, f;
  if (raw <= 0)
    return 1;
  mag = pow(10.0, floor(log10(raw)));
  f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

static int period_cmp(const void *a, const void *b)
{
  return strcmp(((const period_totals *)a)->period,
                ((const period_totals *)b)->period);
}

/* Grid lines and y labels (money in yuan: one unit, 元, 万 or 亿, for the
 * whole axis); returns the top of the scale. */
static double put_axis(cc_buf *b, double max, int money, double min_step)
{
  double step = nice_step(max, 5), top, v, unit = 1;
  double ph = CH - MT - MB;
  const char *suffix = "";
  int decimals = 0;
  if (step < min_step)
    step = min_step;
  top = ceil(max / step) * step;
  if (top <= 0)
    top = step;
  if (money && top >= 1e8) {
    unit = 1e8;
    suffix = "亿";
  } else if (money && top >= 1e4) {
    unit = 1e4;
    suffix = "万";
  }
  if (unit > 1)
    decimals = step / unit >= 1 ? 0 : step / unit >= 0.1 ? 1 : 2;
  for (v = 0; v <= top + step / 2; v += step) {
    double y = MT + ph - v / top * ph;
    cc_buf_printf(b,
                  "<line class=\"%s\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" "
                  "y2=\"%.1f\"/>",
                  v == 0 ? "ax" : "gr", ML, CW - MR, y, y);
    cc_buf_printf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", ML - 8,
                  y + 4);
    if (unit > 1)
      cc_buf_printf(b, "%.*f%s", decimals, v / unit, v == 0 ? "" : suffix);
    else
      sb_count(b, (uint64_t)(v + 0.5));
    cc_buf_puts(b, "</text>");
  }
  return top;
}

static void put_x_labels(cc_buf *b, const period_totals *p, size_t n,
                         const char *current)
{
  double band = (double)(CW - ML - MR) / (double)n;
  size_t every = n > 18 ? (n + 17) / 18 : 1, i;
  for (i = 0; i < n; i++) {
    int cur = strcmp(p[i].period, current) == 0;
    if (i % every != 0 && !cur && i != n - 1)
      continue;
    cc_buf_printf(
        b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\"%s>%s</text>",
        ML + band * ((double)i + 0.5), CH - MB + 18,
        cur ? " class=\"cur\"" : "", p[i].period);
    if (cur)
      cc_buf_printf(b,
                    "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
                    "class=\"cur\">本期</text>",
                    ML + band * ((double)i + 0.5), CH - MB + 34);
  }
}

static void chart_findings(cc_buf *b, const period_totals *p, size_t n,
                           const char *current)
{
  double band = (double)(CW - ML - MR) / (double)n, bw, top, max = 0;
  double ph = CH - MT - MB;
  size_t i;
  int k;
  for (i = 0; i < n; i++)
    if ((double)tally_open(&p[i].t) > max)
      max = (double)tally_open(&p[i].t);
  bw = band * 0.56;
  if (bw > 64)
    bw = 64;
  cc_buf_printf(
      b,
      "<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"各期未清理"
      "问题数（按类型堆叠）\" data-k=\"chart-findings\">",
      CW, CH);
  top = put_axis(b, max, 0, 1);
  for (i = 0; i < n; i++) {
    double x = ML + band * (double)i + (band - bw) / 2, y = MT + ph;
    uint64_t total = tally_open(&p[i].t);
    for (k = 0; k < NT; k++) {
      uint64_t v = tally_open_type(&p[i].t, k);
      double h = (double)v / top * ph;
      if (v == 0)
        continue;
      y -= h;
      cc_buf_printf(b,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                    "height=\"%.1f\" fill=\"%s\"><title>%s %s：",
                    x, y, bw, h, type_colour[k], p[i].period,
                    cc_finding_type_zh((cc_finding_type)k));
      sb_count(b, v);
      cc_buf_puts(b, "</title></rect>");
    }
    if (n <= 24) {
      cc_buf_printf(b,
                    "<text class=\"val\" x=\"%.1f\" y=\"%.1f\" "
                    "text-anchor=\"middle\">",
                    x + bw / 2, y - 6);
      sb_count(b, total);
      cc_buf_puts(b, "</text>");
    }
  }
  put_x_labels(b, p, n, current);
  cc_buf_puts(b, "</svg>\n<div class=\"legend\">");
  for (k = 0; k < NT; k++)
    cc_buf_printf(b,
                  "<span><span class=\"sw\" style=\"background:%s\"></span>%s"
                  "</span>",
                  type_colour[k], cc_finding_type_zh((cc_finding_type)k));
  cc_buf_puts(b, "</div>\n");
}

static void chart_amount(cc_buf *b, const period_totals *p, size_t n,
                         const char *current)
{
  double band = (double)(CW - ML - MR) / (double)n, top, max = 0;
  double ph = CH - MT - MB;
  size_t i;
  for (i = 0; i < n; i++)
    if ((double)tally_amount(&p[i].t) / 100.0 > max)
      max = (double)tally_amount(&p[i].t) / 100.0;
  cc_buf_printf(b,
                "<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"各期涉及"
                "金额（元）\" data-k=\"chart-amount\">",
                CW, CH);
  top = put_axis(b, max, 1, 1);
  if (n > 1) {
    /* The area under the line, then the line. */
    cc_buf_printf(b,
                  "<polygon fill=\"#c0392b\" fill-opacity=\"0.08\" "
                  "points=\"%.1f,%.1f",
                  ML + band * 0.5, MT + ph);
    for (i = 0; i < n; i++)
      cc_buf_printf(b, " %.1f,%.1f", ML + band * ((double)i + 0.5),
                    MT + ph - (double)tally_amount(&p[i].t) / 100.0 / top * ph);
    cc_buf_printf(b, " %.1f,%.1f\"/>", ML + band * ((double)n - 0.5), MT + ph);
    cc_buf_puts(b, "<polyline fill=\"none\" stroke=\"#c0392b\" "
                   "stroke-width=\"2.5\" stroke-linejoin=\"round\" points=\"");
    for (i = 0; i < n; i++)
      cc_buf_printf(b, "%s%.1f,%.1f", i ? " " : "",
                    ML + band * ((double)i + 0.5),
                    MT + ph - (double)tally_amount(&p[i].t) / 100.0 / top * ph);
    cc_buf_puts(b, "\"/>");
  }
  for (i = 0; i < n; i++) {
    double x = ML + band * ((double)i + 0.5);
    double y = MT + ph - (double)tally_amount(&p[i].t) / 100.0 / top * ph;
    cc_buf_printf(b,
                  "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#fff\" "
                  "stroke=\"#c0392b\" stroke-width=\"2\"><title>%s 涉及金额：",
                  x, y, p[i].period);
    sb_money(b, tally_amount(&p[i].t));
    cc_buf_puts(b, " 元</title></circle>");
    if (n <= 24) {
      cc_buf_printf(b,
                    "<text class=\"val\" x=\"%.1f\" y=\"%.1f\" "
                    "text-anchor=\"middle\">",
                    x, y - 10);
      sb_money_short(b, tally_amount(&p[i].t));
      cc_buf_puts(b, "</text>");
    }
  }
  put_x_labels(b, p, n, current);
  cc_buf_puts(b, "</svg>\n");
}

static void put_trend(cc_buf *b, cc_report *r)
{
  size_t i;
  int k;
  qsort(r->periods, r->n_periods, sizeof *r->periods, period_cmp);
  cc_buf_puts(b, "<section id=\"trend\">\n<h2>二、历期趋势<small>数据库中的全部"
                 "期次");
  cc_buf_puts(b,
              "；各期按当期比对结果统计</small></h2>\n<div class=\"charts\">\n"
              "<h3>各期未清理问题数（按类型）</h3>\n");
  chart_findings(b, r->periods, r->n_periods, r->current);
  cc_buf_puts(b, "<h3>各期涉及金额（元）</h3>\n");
  chart_amount(b, r->periods, r->n_periods, r->current);
  cc_buf_puts(b,
              "</div>\n<h3>各期数据</h3>\n<table>\n<thead><tr><th>期次</th>");
  for (k = 0; k < NT; k++)
    cc_buf_printf(b, "<th class=\"n\">%s</th>",
                  cc_finding_type_zh((cc_finding_type)k));
  cc_buf_puts(
      b, "<th class=\"n\">未清理合计</th><th class=\"n\">其中逾期</th>"
         "<th class=\"n\">已清理</th><th class=\"n\">涉及金额（元）</th>"
         "<th class=\"n\">违规资助金额（元）</th></tr></thead>\n<tbody>\n");
  for (i = 0; i < r->n_periods; i++) {
    const tally *t = &r->periods[i].t;
    int cur = strcmp(r->periods[i].period, r->current) == 0;
    cc_buf_printf(b, "<tr data-k=\"trend\"><td>%s%s%s</td>", cur ? "<b>" : "",
                  r->periods[i].period, cur ? "</b>" : "");
    for (k = 0; k < NT; k++) {
      cc_buf_puts(b, "<td class=\"n\">");
      sb_count(b, tally_open_type(t, k));
      cc_buf_puts(b, "</td>");
    }
    cc_buf_puts(b, "<td class=\"n\"><b>");
    sb_count(b, tally_open(t));
    cc_buf_puts(b, "</b></td><td class=\"n\">");
    sb_count(b, tally_state(t, CC_STATE_OVERDUE));
    cc_buf_puts(b, "</td><td class=\"n\">");
    sb_count(b, tally_state(t, CC_STATE_CLEARED));
    cc_buf_puts(b, "</td><td class=\"n\">");
    sb_money(b, tally_amount(t));
    cc_buf_puts(b, "</td><td class=\"n\">");
    sb_money(b, tally_amount_policy(t));
    cc_buf_puts(b, "</td></tr>\n");
  }
  cc_buf_puts(b, "</tbody>\n</table>\n</section>\n");
}

static void put_notes(cc_buf *b)
{
  cc_buf_printf(b,
                "<section id=\"notes\">\n<h2>口径说明</h2>\n"
                "<ol class=\"notes\">\n<li>“未清理”指%s、%s和%s的问题；"
                "“%s”指上期存在、本期比对已消失的问题。清理期限为下发后第 10 个"
                "工作日（按国务院节假日安排），逾期天数按自然日计至本期比对日。"
                "</li>\n",
                cc_finding_state_zh(CC_STATE_NEW),
                cc_finding_state_zh(CC_STATE_OPEN),
                cc_finding_state_zh(CC_STATE_OVERDUE),
                cc_finding_state_zh(CC_STATE_CLEARED));
  cc_buf_puts(
      b, "<li>涉及金额为重复享受的国家助学金和免学费中超出一份的部分（元），"
         "只统计未清理的问题；双重学籍等其他类型不计金额，因此金额不会重复"
         "计算。</li>\n"
         "<li>违规资助金额为不符合资助政策（非全日制、三年级领取助学金、超学制"
         "年限）发放的国家助学金和免学费，与重复资助的涉及金额分开统计：同一笔"
         "资金可能既重复又违规；大龄学生待核实，不计金额。</li>\n"
         "<li>范围按学校所在地区代码（GB/T 2260）确定：一条问题只要有一所"
         "学校在范围内即计入。一条问题涉及几所学校（或几个地区），在每所"
         "学校（每个地区）各计一次，故分学校、分地区的数字相加可能大于"
         "合计。</li>\n"
         "<li>“身份证号相同”的问题由完全相同的身份证号认定；“疑似同一人"
         "（号码录入差异）”的问题各记录身份证号不同（如录错一位、两位颠倒），"
         "由姓名、出生日期、性别和户籍地等证据认定为同一人，附置信度和"
         "逐项依据，处理前请先核对学生本人身份证件。</li>\n"
         "<li>学校以“系统 + 学校代码”区分：一校两牌的学校在两个系统中是"
         "两所学校。学生记录数为该校本期名册中的记录数。</li>\n"
         "<li>身份证号已脱敏；本报告含学校信息，请按“谁导出、谁负责”的"
         "要求妥善保管。</li>\n</ol>\n</section>\n");
}

int cc_report_render(char **out, size_t *out_len, cc_report *r)
{
  cc_buf b;
  school **list = NULL;
  size_t n = 0, i;

  *out = NULL;
  if (out_len)
    *out_len = 0;
  if (!r->has_current)
    return cc_error_set(CC_EINVALID, "the report has no period to show");
  cc_buf_init(&b, PAGE_CAP);
  for (i = 0; i < r->n_areas; i++)
    r->areas[i]->schools = 0;
  list = malloc((r->n_schools ? r->n_schools : 1) * sizeof *list);
  if (list == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  for (i = 0; i < r->n_schools; i++)
    if (r->schools[i]->has_findings)
      list[n++] = r->schools[i];

  put_head(&b, r);
  put_kpis(&b, r);
  put_types(&b, r);
  put_policy(&b, r);
  put_trend(&b, r);
  put_areas(&b, r, list, n);
  put_ranking(&b, r, list, n);
  put_overdue(&b, r);
  put_notes(&b);
  cc_buf_printf(&b,
                "</div></main>\n<footer>chachong %s · 本页为离线文件，"
                "不加载任何外部资源</footer>\n</body>\n</html>\n",
                CHACHONG_VERSION);
  free(list);
  if (cc_buf_check(&b, "the report") < 0) {
    cc_buf_dispose(&b);
    return CC_ENOMEM;
  }
  if (out_len)
    *out_len = b.len;
  *out = cc_buf_take(&b);
  return *out ? 0 : cc_error_set(CC_ENOMEM, "out of memory");
}

/* ------------------------------------------------------------------ */
/* From a database. */

/* The records of each school in the period: the "students" of the
 * ranking, counted when the run published the period. */
static int school_records(cc_report *r, cc_db *db, const char *period)
{
  cc_school_count *c = NULL;
  size_t n = 0, i;
  int rc = cc_db_school_counts(&c, &n, db, period);
  for (i = 0; rc == 0 && i < n; i++)
    rc = cc_report_set_school_records(r, c[i].label, c[i].school_code,
                                      c[i].records);
  free(c);
  return rc;
}

/* Writes the page to a new file beside `path`; *tmp is its name. */
static int write_temp(char **tmp, const char *path, const char *html,
                      size_t len)
{
  size_t n = strlen(path) + 32, off = 0;
  char *name = malloc(n);
  int fd;
  *tmp = NULL;
  if (name == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  snprintf(name, n, "%s.tmp.%ld", path, (long)getpid());
  unlink(name);
  fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    int rc = cc_error_set_errno(CC_EIO, errno, "cannot create %s", name);
    free(name);
    return rc;
  }
  while (off < len) {
    ssize_t w = write(fd, html + off, len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      break;
    off += (size_t)w;
  }
  if (off < len || fsync(fd) != 0) {
    int rc = cc_error_set_errno(CC_EIO, errno, "cannot write %s", path);
    close(fd);
    unlink(name);
    free(name);
    return rc;
  }
  if (close(fd) != 0) {
    int rc = cc_error_set_errno(CC_EIO, errno, "cannot write %s", path);
    unlink(name);
    free(name);
    return rc;
  }
  *tmp = name;
  return 0;
}

/* The directory part of a path, created (0700) when missing. */
static int make_parent(const char *path)
{
  const char *slash = strrchr(path, '/');
  char *dir;
  int rc;
  if (slash == NULL || slash == path)
    return 0;
  dir = malloc((size_t)(slash - path) + 1);
  if (dir == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  memcpy(dir, path, (size_t)(slash - path));
  dir[slash - path] = '\0';
  rc = cc_mkdir_p(dir, 0700);
  free(dir);
  return rc;
}

int cc_report_write(cc_report_summary *out, cc_db *db, const char *path,
                    const cc_report_options *opts)
{
  static const cc_report_options defaults = CC_REPORT_OPTIONS_INIT;
  cc_report *r = NULL;
  char **periods = NULL, *html = NULL, *tmp = NULL;
  size_t np = 0, sel = 0, i, len = 0;
  cc_finding_list cur = {NULL, 0, NULL};
  cc_report_summary sum;
  cc_audit_entry e;
  int rc;

  if (out)
    memset(out, 0, sizeof *out);
  if (opts == NULL)
    opts = &defaults;
  if ((rc = cc_report_new(&r, opts)) != 0)
    goto done;
  if ((rc = cc_db_periods(&periods, &np, db)) != 0)
    goto done;
  if (np == 0) {
    rc = cc_error_set(CC_ENOTFOUND, "the database holds no period");
    goto done;
  }
  sel = np - 1;
  if (opts->period != NULL) {
    for (sel = 0; sel < np; sel++)
      if (strcmp(periods[sel], opts->period) == 0)
        break;
    if (sel == np) {
      rc = cc_error_set(CC_ENOTFOUND, "the database holds no period %s",
                        opts->period);
      goto done;
    }
  }
  /* One period's findings in memory at a time, and the reported one. */
  for (i = 0; i < np; i++) {
    cc_finding_list l = {NULL, 0, NULL};
    if (i == sel) {
      if ((rc = cc_db_load_findings(&cur, db, periods[i])) != 0 ||
          (rc = cc_report_set_current(r, periods[i], &cur)) != 0)
        goto done;
      continue;
    }
    rc = cc_db_load_findings(&l, db, periods[i]);
    if (rc == 0)
      rc = cc_report_add_period(r, periods[i], &l);
    cc_finding_list_dispose(&l);
    if (rc != 0)
      goto done;
  }
  if ((rc = school_records(r, db, periods[sel])) != 0)
    goto done;
  if ((rc = cc_report_render(&html, &len, r)) != 0)
    goto done;
  cc_report_get_summary(&sum, r);

  if ((rc = make_parent(path)) != 0 ||
      (rc = write_temp(&tmp, path, html, len)) != 0)
    goto done;
  /* The audit entry before the page appears: no report without one. */
  memset(&e, 0, sizeof e);
  e.when = (int64_t)time(NULL);
  cc_audit_user(e.user, opts->user);
  snprintf(e.command, sizeof e.command, "report");
  snprintf(e.what, sizeof e.what, "period=%s region=%s out=%s", sum.period,
           r->scope_len ? r->scope : "nation", path);
  e.records = sum.findings;
  if ((rc = cc_audit_record(db, &e)) != 0)
    goto done;
  if (rename(tmp, path) != 0) {
    rc = cc_error_set_errno(CC_EIO, errno, "cannot write %s", path);
    goto done;
  }
  free(tmp);
  tmp = NULL;
  if (out)
    *out = sum;

done:
  if (tmp != NULL) {
    unlink(tmp);
    free(tmp);
  }
  free(html);
  cc_finding_list_dispose(&cur);
  for (i = 0; i < np; i++)
    free(periods[i]);
  free(periods);
  cc_report_free(r);
  return rc;
}
