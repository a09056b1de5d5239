/*
 * serve_api.c - the data of the service's calls (SPEC 5): scope, masking,
 * the findings cache and the JSON answers. serve_pages.c shows the same
 * data as pages through cc_api_select and cc_api_finding_json's helpers.
 *
 * Scope (SPEC 5): a finding is within a caller's scope when one of its
 * members is (national: all; province, city: the member's school region
 * code starts with the scope; school: the member's school code is the
 * scope). Everything is cut to it first; filters only narrow what is left,
 * so no filter widens a scope, and a finding outside it answers 404, like
 * one that does not exist.
 *
 * Masking: inside a finding in scope, the members outside the scope keep
 * their school, status and amounts (a school must know whom to ask), but
 * their names, record numbers and IDs are masked; the person's ID is shown
 * in full when an in-scope member carries it (a school sees the full IDs
 * of its own students).
 *
 * Audit: every call that returns personal data, and every answer, records
 * its entry (command "serve", user = the account) before the reply is
 * made; when the entry cannot be written, the call fails with 503 and
 * nothing leaves. Export and report use the engine's own functions, which
 * record their entries (export, query, report) under the account's name.
 *
 * The cache: a period's findings are loaded once (cc_db_load_findings)
 * and shared by the requests until the period's run information changes,
 * that is until a run publishes the period again; the check is made with
 * one small read per request, so a new run is seen at the next request.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* nftw */
#endif
#include <ftw.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chachong/audit.h"
#include "chachong/export.h"
#include "chachong/lifecycle.h"
#include "chachong/normalize_id.h"
#include "chachong/query.h"
#include "chachong/record.h"
#include "chachong/report.h"
#include "chachong/text.h"
#include "audit_internal.h"
#include "error_internal.h"
#include "serve_api_internal.h"
#include "serve_http_internal.h"
#include "store_internal.h"

#define JSON_TYPE "application/json; charset=utf-8"
#define CACHE_SLOTS 4
#define PER_PAGE_MAX 200

/* ------------------------------------------------------------------ */
/* The findings cache. */

struct cc_serve_cache {
  pthread_mutex_t lock;
  cc_period_data *slot[CACHE_SLOTS];
  uint64_t used[CACHE_SLOTS]; /* last use, for eviction */
  uint64_t tick;
  /* The periods being loaded ("YYYY-MM" + run info), one thread each:
   * a national period takes seconds, and every worker loading it at once
   * just after a run published it took four times as long. */
  char *loading[CACHE_SLOTS];
  pthread_cond_t loaded;
};

int cc_serve_cache_new(cc_serve_cache **out)
{
  cc_serve_cache *c = calloc(1, sizeof *c);
  *out = NULL;
  if (c == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  pthread_mutex_init(&c->lock, NULL);
  pthread_cond_init(&c->loaded, NULL);
  *out = c;
  return 0;
}

/* Under the cache's lock: the slot of `key` in c->loading, or -1. */
static int loading_slot(cc_serve_cache *c, const char *key)
{
  int i;
  for (i = 0; i < CACHE_SLOTS; i++)
    if (c->loading[i] && strcmp(c->loading[i], key) == 0)
      return i;
  return -1;
}

/* ------------------------------------------------------------------ */
/* Selections remembered: the findings a list call matched (scope,
 * filters, order), as indices into the period's list, kept per period for
 * the next pages. A national list holds hundreds of thousands of findings;
 * scanning it per request cost ~20 ms of cache misses (12 pages/s at
 * national scale, bench/RESULTS.md). */

#define MEMO_SLOTS 16

typedef struct cc_memo {
  char key[512]; /* "" when the slot is free */
  uint32_t *idx;
  size_t n;
  uint64_t used;
} cc_memo;

static void memo_free(cc_period_data *d)
{
  size_t i;
  if (d->memo == NULL)
    return;
  for (i = 0; i < MEMO_SLOTS; i++)
    free(d->memo[i].idx);
  free(d->memo);
  pthread_mutex_destroy(&d->memo_lock);
}

/* The page [first, first + per) of the selection `key` into items (per
 * pointers); -1 when it is not remembered. */
static int memo_page(cc_selection *sel, const char *key, size_t first)
{
  cc_period_data *d = sel->data;
  size_t i, k;
  int found = -1;
  pthread_mutex_lock(&d->memo_lock);
  for (i = 0; i < MEMO_SLOTS && found < 0; i++) {
    cc_memo *m = &d->memo[i];
    if (m->key[0] == '\0' || strcmp(m->key, key) != 0)
      continue;
    m->used = ++d->memo_tick;
    sel->total = m->n;
    sel->n = first >= m->n ? 0
                           : (m->n - first < sel->per_page ? m->n - first
                                                           : sel->per_page);
    for (k = 0; k < sel->n; k++)
      sel->items[k] = &d->list.items[m->idx[first + k]];
    found = 0;
  }
  pthread_mutex_unlock(&d->memo_lock);
  return found;
}

/* Remembers a selection (v: n matches in order), replacing the least
 * recently used; nothing when memory is short. */
static void memo_put(cc_period_data *d, const char *key, const cc_finding **v,
                     size_t n)
{
  uint32_t *idx = malloc((n ? n : 1) * sizeof *idx);
  size_t i, victim = 0;
  if (idx == NULL)
    return;
  for (i = 0; i < n; i++)
    idx[i] = (uint32_t)(v[i] - d->list.items);
  pthread_mutex_lock(&d->memo_lock);
  for (i = 0; i < MEMO_SLOTS; i++) {
    if (d->memo[i].key[0] == '\0' || strcmp(d->memo[i].key, key) == 0) {
      victim = i;
      break;
    }
    if (d->memo[i].used < d->memo[victim].used)
      victim = i;
  }
  free(d->memo[victim].idx);
  snprintf(d->memo[victim].key, sizeof d->memo[victim].key, "%s", key);
  d->memo[victim].idx = idx;
  d->memo[victim].n = n;
  d->memo[victim].used = ++d->memo_tick;
  pthread_mutex_unlock(&d->memo_lock);
}

static void data_free(cc_period_data *d)
{
  if (d == NULL)
    return;
  memo_free(d);
  cc_finding_list_dispose(&d->list);
  free(d->info);
  free(d);
}

void cc_serve_cache_free(cc_serve_cache *c)
{
  size_t i;
  if (c == NULL)
    return;
  for (i = 0; i < CACHE_SLOTS; i++)
    data_free(c->slot[i]);
  pthread_cond_destroy(&c->loaded);
  pthread_mutex_destroy(&c->lock);
  free(c);
}

static int latest_period(char out[8], cc_db *db)
{
  char **list = NULL;
  size_t n = 0, i;
  int rc = cc_db_periods(&list, &n, db);
  if (rc < 0)
    return rc;
  if (n == 0)
    rc = cc_error_set(CC_ENOTFOUND, "the database holds no period");
  else
    snprintf(out, 8, "%s", list[n - 1]);
  for (i = 0; i < n; i++)
    free(list[i]);
  free(list);
  return rc;
}

static int period_ok(const char *p)
{
  return strlen(p) == 7 && p[4] == '-' && p[0] >= '0' && p[0] <= '9' &&
         p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9' &&
         p[3] >= '0' && p[3] <= '9' && p[5] >= '0' && p[5] <= '1' &&
         p[6] >= '0' && p[6] <= '9';
}

static int load_period(cc_period_data **out, cc_server *s, const char *want,
                       char *info);
static int cache_put(cc_period_data **out, cc_serve_cache *c, cc_period_data *d,
                     const char *want);

int cc_period_get(cc_period_data **out, cc_server *s, const char *period)
{
  cc_serve_cache *c = s->cache;
  char want[8], *info = NULL, *key;
  cc_period_data *d = NULL;
  size_t i;
  int rc, slot;

  *out = NULL;
  if (period && *period) {
    if (!period_ok(period))
      return cc_error_set(CC_EINVALID, "period is not YYYY-MM");
    snprintf(want, sizeof want, "%s", period);
  } else if ((rc = latest_period(want, s->db)) < 0) {
    return rc;
  }
  if ((rc = cc_db_period_info(&info, s->db, want)) < 0)
    return rc;
  if ((key = malloc(strlen(want) + strlen(info) + 2)) == NULL) {
    free(info);
    return cc_error_set(CC_ENOMEM, "out of memory");
  }
  sprintf(key, "%s\n%s", want, info);
  pthread_mutex_lock(&c->lock);
  for (;;) {
    for (i = 0; i < CACHE_SLOTS; i++) {
      cc_period_data *x = c->slot[i];
      if (x && strcmp(x->period, want) == 0 && strcmp(x->info, info) == 0) {
        x->refs++;
        c->used[i] = ++c->tick;
        pthread_mutex_unlock(&c->lock);
        free(info);
        free(key);
        *out = x;
        return 0;
      }
    }
    /* Another request loads it: wait for it (then it is cached, or that
     * load failed and this one tries). */
    if (loading_slot(c, key) < 0)
      break;
    pthread_cond_wait(&c->loaded, &c->lock);
  }
  /* Loaded outside the lock, by this request alone (when every loading
   * slot is taken, by others' periods, it loads without one). */
  for (slot = 0; slot < CACHE_SLOTS && c->loading[slot]; slot++)
    ;
  if (slot < CACHE_SLOTS)
    c->loading[slot] = key;
  else
    slot = -1;
  pthread_mutex_unlock(&c->lock);
  if ((rc = load_period(&d, s, want, info)) == 0)
    rc = cache_put(out, c, d, want); /* cached before the waiters look */
  pthread_mutex_lock(&c->lock);
  if (slot >= 0)
    c->loading[slot] = NULL;
  pthread_cond_broadcast(&c->loaded);
  pthread_mutex_unlock(&c->lock);
  free(key);
  return rc;
}

/* Loads a period's findings (info: its run info, owned by d after). */
static int load_period(cc_period_data **out, cc_server *s, const char *want,
                       char *info)
{
  cc_period_data *d;
  int rc;
  *out = NULL;
  d = calloc(1, sizeof *d);
  if (d == NULL) {
    free(info);
    return cc_error_set(CC_ENOMEM, "out of memory");
  }
  snprintf(d->period, sizeof d->period, "%s", want);
  d->info = info;
  if ((d->memo = calloc(MEMO_SLOTS, sizeof *d->memo)) == NULL) {
    data_free(d);
    return cc_error_set(CC_ENOMEM, "out of memory");
  }
  pthread_mutex_init(&d->memo_lock, NULL);
  if ((rc = cc_db_load_findings(&d->list, s->db, want)) < 0) {
    data_free(d);
    return rc;
  }
  d->refs = 1;
  *out = d;
  return 0;
}

/* Puts a period just loaded (one reference: the caller's) in the cache. */
static int cache_put(cc_period_data **out, cc_serve_cache *c, cc_period_data *d,
                     const char *want)
{
  size_t i, victim = CACHE_SLOTS;
  pthread_mutex_lock(&c->lock);
  for (i = 0; i < CACHE_SLOTS; i++) {
    cc_period_data *x = c->slot[i];
    if (x == NULL || strcmp(x->period, want) == 0) {
      victim = i;
      break;
    }
    if (x->refs == 0 && (victim == CACHE_SLOTS || c->used[i] < c->used[victim]))
      victim = i;
  }
  if (victim < CACHE_SLOTS) {
    cc_period_data *old = c->slot[victim];
    if (old) {
      old->cached = 0;
      if (old->refs == 0)
        data_free(old);
    }
    c->slot[victim] = d;
    c->used[victim] = ++c->tick;
    d->cached = 1;
  }
  pthread_mutex_unlock(&c->lock);
  *out = d;
  return 0;
}

void cc_period_release(cc_server *s, cc_period_data *d)
{
  int gone;
  if (d == NULL)
    return;
  pthread_mutex_lock(&s->cache->lock);
  d->refs--;
  gone = d->refs == 0 && !d->cached;
  pthread_mutex_unlock(&s->cache->lock);
  if (gone)
    data_free(d);
}

/* ------------------------------------------------------------------ */
/* Scope and masking. */

static int str_is(cc_str s, const char *c)
{
  size_t n = strlen(c);
  return s.len == n && (n == 0 || memcmp(s.ptr, c, n) == 0);
}

static int str_starts(cc_str s, const char *c)
{
  size_t n = strlen(c);
  return s.len >= n && memcmp(s.ptr, c, n) == 0;
}

int cc_scope_member(const cc_account *a, const cc_member *m)
{
  switch (a->role) {
  case CC_ROLE_NATIONAL:
    return 1;
  case CC_ROLE_PROVINCE:
  case CC_ROLE_CITY:
    return a->scope[0] && str_starts(m->region_code, a->scope);
  case CC_ROLE_SCHOOL:
    return str_is(m->school_code, a->scope);
  default:
    return 0;
  }
}

int cc_scope_finding(const cc_account *a, const cc_finding *f)
{
  uint32_t i;
  for (i = 0; i < f->n_members; i++)
    if (cc_scope_member(a, &f->members[i]))
      return 1;
  return 0;
}

/* A name shown as its first character and one '*' per other character. */
static size_t mask_name(char *out, size_t cap, cc_str s)
{
  size_t i = 0, k = 0;
  const unsigned char *u = (const unsigned char *)s.ptr;
  if (s.len == 0 || cap < 8)
    return 0;
  /* the first character, whole */
  do {
    out[k++] = (char)u[i++];
  } while (i < s.len && (u[i] & 0xc0) == 0x80 && k < 4);
  for (; i < s.len && k + 1 < cap; i++)
    if ((u[i] & 0xc0) != 0x80)
      out[k++] = '*';
  out[k] = '\0';
  return k;
}

static size_t mask_code(char *out, cc_str s)
{
  char raw[CC_ID_MAX + 1];
  size_t n = s.len > CC_ID_MAX ? CC_ID_MAX : s.len;
  if (n == 0)
    return 0;
  memcpy(raw, s.ptr, n);
  raw[n] = '\0';
  cc_id_mask(out, raw);
  return strlen(out);
}

/* Scratch of a masked copy: per member, its three masked strings. */
typedef struct masked {
  char name[256], record[CC_ID_MAX + 1], id[CC_ID_MAX + 1];
} masked;

void cc_api_finding_json(cc_buf *b, const cc_account *a, const cc_finding *f,
                         const char *period)
{
  cc_finding v = *f;
  cc_member *mem = NULL;
  masked *mk = NULL;
  cc_finding_context ctx;
  int id_shown = 0;
  uint32_t i;
  size_t need;
  char *line;

  ctx.period = period;
  if (f->n_members) {
    mem = malloc(f->n_members * sizeof *mem);
    mk = malloc(f->n_members * sizeof *mk);
    if (mem == NULL || mk == NULL) {
      cc_buf_fail(b);
      goto done;
    }
  }
  for (i = 0; i < f->n_members; i++) {
    const cc_member *m = &f->members[i];
    mem[i] = *m;
    if (cc_scope_member(a, m)) {
      if (m->id.len == 0 || str_is(m->id, f->id))
        id_shown = 1;
      continue;
    }
    mem[i].name.ptr = mk[i].name;
    mem[i].name.len =
        (uint32_t)mask_name(mk[i].name, sizeof mk[i].name, m->name);
    mem[i].record_id.ptr = mk[i].record;
    mem[i].record_id.len = (uint32_t)mask_code(mk[i].record, m->record_id);
    mem[i].id.ptr = mk[i].id;
    mem[i].id.len = (uint32_t)mask_code(mk[i].id, m->id);
  }
  v.members = mem;
  if (!id_shown) {
    cc_id_mask(v.id, f->id);
    /* the name of the first member, masked with it when out of scope */
    if (f->n_members && !cc_scope_member(a, &f->members[0]))
      v.person_name = mem[0].name;
  }
  need = cc_finding_to_json(NULL, 0, &v, &ctx);
  line = malloc(need + 1);
  if (line == NULL) {
    cc_buf_fail(b);
    goto done;
  }
  cc_finding_to_json(line, need + 1, &v, &ctx);
  while (need > 0 && (line[need - 1] == '\n' || line[need - 1] == '\r'))
    need--;
  cc_buf_put(b, line, need);
  free(line);
done:
  free(mem);
  free(mk);
}

/* ------------------------------------------------------------------ */
/* The audit entry of a call. */

static void audit_entry(cc_audit_entry *e, const cc_request *r,
                        const char *what, uint64_t records)
{
  memset(e, 0, sizeof *e);
  e->when = (int64_t)time(NULL);
  snprintf(e->user, sizeof e->user, "%s", r->acct.name);
  snprintf(e->command, sizeof e->command, "serve");
  snprintf(e->what, sizeof e->what, "%s role=%s scope=%s via=%s from=%s", what,
           cc_role_code(r->acct.role), r->acct.scope[0] ? r->acct.scope : "-",
           r->by_token ? "token" : "session", r->addr);
  snprintf(e->os_user, sizeof e->os_user, "%s", r->srv->os_user);
  e->records = records;
}

int cc_api_audit_call(cc_request *r, const char *what, uint64_t records)
{
  size_t max = sizeof r->audit / sizeof r->audit[0];
  if (r->n_audit == max) /* not seen: one entry per call */
    return cc_error_set(CC_EINVALID, "more than %zu audit entries in one call",
                        max);
  audit_entry(&r->audit[r->n_audit++], r, what, records);
  return 0;
}

int cc_api_audit_now(cc_request *r, const char *what, uint64_t records)
{
  cc_audit_entry e;
  audit_entry(&e, r, what, records);
  return cc_audit_log_write(r->srv->audit, &e);
}

static void audit_failed(cc_reply *out)
{
  cc_reply_error(out, 503, "audit_unavailable",
                 "审计日志暂时无法写入，为保护个人信息，本次请求未返回数据");
}

static void load_failed(cc_reply *out, int rc)
{
  if (rc == CC_ENOTFOUND)
    cc_reply_error(out, 404, "not_found", "没有该期数据");
  else if (rc == CC_EINVALID)
    cc_reply_error(out, 400, "bad_request", "期间格式应为 YYYY-MM");
  else
    cc_reply_error(out, 500, "internal", "服务器内部错误");
}

/* ------------------------------------------------------------------ */
/* GET /api/v1/periods */

void cc_api_periods(cc_reply *out, cc_request *r)
{
  char **list = NULL;
  size_t n = 0, i;
  cc_buf b = {0};
  if (cc_db_periods(&list, &n, r->srv->db) < 0) {
    cc_reply_error(out, 500, "internal", "服务器内部错误");
    return;
  }
  cc_buf_puts(&b, "{\"periods\":[");
  for (i = 0; i < n; i++) {
    if (i)
      cc_buf_puts(&b, ",");
    cc_json_cstr(&b, list[i]);
    free(list[i]);
  }
  free(list);
  cc_buf_puts(&b, "]}\n");
  cc_reply_take(out, 200, JSON_TYPE, &b);
}

/* ------------------------------------------------------------------ */
/* Selecting findings. */

static int type_parse(const char *code)
{
  int t;
  for (t = 0; t < CC_FT_COUNT_; t++)
    if (strcmp(code, cc_finding_type_code((cc_finding_type)t)) == 0)
      return t;
  return -1;
}

static int digits(const char *s, size_t n)
{
  size_t i;
  if (strlen(s) != n)
    return 0;
  for (i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return 0;
  return 1;
}

typedef struct sort_key {
  int by; /* 0 output order, 1 deadline, 2 amount, 3 state */
  int desc;
} sort_key;

static int cmp_findings(const cc_finding *x, const cc_finding *y,
                        const sort_key *k)
{
  long long a = 0, b = 0;
  int c;
  switch (k->by) {
  case 1:
    a = x->deadline;
    b = y->deadline;
    break;
  case 2:
    a = x->amount_at_risk;
    b = y->amount_at_risk;
    break;
  case 3:
    a = x->state;
    b = y->state;
    break;
  default:
    break;
  }
  c = a < b ? -1 : a > b;
  return k->desc ? -c : c;
}

/* A stable merge sort of the selected pointers (qsort has no context
 * argument in C11, and the order of equal keys must stay the output
 * order). */
static void sort_items(const cc_finding **v, const cc_finding **tmp, size_t n,
                       const sort_key *k)
{
  size_t mid = n / 2, i = 0, j, o = 0;
  if (n < 2)
    return;
  sort_items(v, tmp, mid, k);
  sort_items(v + mid, tmp, n - mid, k);
  j = mid;
  while (i < mid && j < n)
    tmp[o++] = cmp_findings(v[j], v[i], k) < 0 ? v[j++] : v[i++];
  while (i < mid)
    tmp[o++] = v[i++];
  while (j < n)
    tmp[o++] = v[j++];
  memcpy(v, tmp, n * sizeof *v);
}

void cc_selection_dispose(cc_server *s, cc_selection *sel)
{
  cc_period_release(s, sel->data);
  free(sel->items);
  memset(sel, 0, sizeof *sel);
}

int cc_api_select(cc_selection *sel, cc_reply *out, cc_request *r)
{
  const char *type = cc_req_arg(r, "type"), *state = cc_req_arg(r, "state");
  const char *school = cc_req_arg(r, "school"),
             *region = cc_req_arg(r, "region");
  const char *page = cc_req_arg(r, "page"), *per = cc_req_arg(r, "per_page");
  const char *sort = cc_req_arg(r, "sort"), *order = cc_req_arg(r, "order");
  int t = -1, st = -1, rc, memo;
  sort_key key_sort = {0, 0};
  const cc_finding **all = NULL, **tmp = NULL;
  size_t n = 0, i, first;
  cc_finding_list *list;
  char key[512];

  memset(sel, 0, sizeof *sel);
  sel->page = 1;
  sel->per_page = 50;
  if (type && *type && (t = type_parse(type)) < 0) {
    cc_reply_error(out, 400, "bad_request", "未知的问题类型 (type)");
    return -1;
  }
  if (state && *state && (st = cc_finding_state_parse(state)) < 0) {
    cc_reply_error(out, 400, "bad_request", "未知的状态 (state)");
    return -1;
  }
  if (region && *region && !digits(region, 2) && !digits(region, 4) &&
      !digits(region, 6)) {
    cc_reply_error(out, 400, "bad_request",
                   "地区代码应为 2、4 或 6 位数字 (region)");
    return -1;
  }
  if (page && *page) {
    char *end;
    unsigned long v = strtoul(page, &end, 10);
    if (*end || v == 0 || v > 10000000) {
      cc_reply_error(out, 400, "bad_request", "页码错误 (page)");
      return -1;
    }
    sel->page = v;
  }
  if (per && *per) {
    char *end;
    unsigned long v = strtoul(per, &end, 10);
    if (*end || v == 0 || v > PER_PAGE_MAX) {
      cc_reply_error(out, 400, "bad_request",
                     "每页条数应为 1 到 200 (per_page)");
      return -1;
    }
    sel->per_page = v;
  }
  if (sort && *sort) {
    if (strcmp(sort, "deadline") == 0)
      key_sort.by = 1;
    else if (strcmp(sort, "amount") == 0)
      key_sort.by = 2;
    else if (strcmp(sort, "state") == 0)
      key_sort.by = 3;
    else if (strcmp(sort, "default") != 0) {
      cc_reply_error(out, 400, "bad_request",
                     "排序应为 deadline、amount 或 state (sort)");
      return -1;
    }
  }
  if (order && strcmp(order, "desc") == 0)
    key_sort.desc = 1;
  if ((rc = cc_period_get(&sel->data, r->srv, cc_req_arg(r, "period"))) < 0) {
    load_failed(out, rc);
    return -1;
  }
  list = &sel->data->list;
  first = (sel->page - 1) * sel->per_page;
  sel->items = malloc(sel->per_page * sizeof *sel->items);
  if (sel->items == NULL) {
    cc_selection_dispose(r->srv, sel);
    cc_reply_error(out, 500, "internal", "服务器内部错误");
    return -1;
  }
  /* The selection's key: what decides which findings match, in which
   * order (too long a filter is not remembered). */
  memo = (size_t)snprintf(key, sizeof key, "%d|%s|%d|%d|%s|%s|%d|%d",
                          (int)r->acct.role, r->acct.scope, t, st,
                          school && *school ? school : "",
                          region && *region ? region : "", key_sort.by,
                          key_sort.desc) < sizeof key;
  if (memo && memo_page(sel, key, first) == 0)
    return 0;
  all = malloc((list->n ? list->n : 1) * sizeof *all);
  tmp = key_sort.by ? malloc((list->n ? list->n : 1) * sizeof *tmp) : NULL;
  if (all == NULL || (key_sort.by && tmp == NULL)) {
    free(all);
    free(tmp);
    cc_selection_dispose(r->srv, sel);
    cc_reply_error(out, 500, "internal", "服务器内部错误");
    return -1;
  }
  for (i = 0; i < list->n; i++) {
    const cc_finding *f = &list->items[i];
    uint32_t m;
    int hit_school = !(school && *school), hit_region = !(region && *region);
    if (!cc_scope_finding(&r->acct, f))
      continue;
    if ((t >= 0 && f->type != t) || (st >= 0 && f->state != st))
      continue;
    for (m = 0; m < f->n_members; m++) {
      if (!hit_school && str_is(f->members[m].school_code, school))
        hit_school = 1;
      if (!hit_region && str_starts(f->members[m].region_code, region))
        hit_region = 1;
    }
    if (hit_school && hit_region)
      all[n++] = f;
  }
  if (key_sort.by)
    sort_items(all, tmp, n, &key_sort);
  free(tmp);
  sel->total = n;
  if (first >= n) {
    sel->n = 0;
  } else {
    sel->n = n - first < sel->per_page ? n - first : sel->per_page;
    memcpy(sel->items, all + first, sel->n * sizeof *all);
  }
  if (memo)
    memo_put(sel->data, key, all, n);
  free(all);
  return 0;
}

/* The filters of a list call, for its audit entry (no personal data). */
static void describe_args(cc_buf *b, const cc_request *r,
                          const char *const *names)
{
  size_t i;
  for (i = 0; names[i]; i++) {
    const char *v = cc_req_arg(r, names[i]);
    if (v && *v) {
      char shown[128];
      cc_text_visible(shown, sizeof shown, v, strlen(v), CC_TEXT_BACKSLASH);
      cc_buf_printf(b, " %s=%s", names[i], shown);
    }
  }
}

void cc_api_findings(cc_reply *out, cc_request *r)
{
  static const char *const args[] = {"period", "type", "state",    "school",
                                     "region", "page", "per_page", "sort",
                                     "order",  NULL};
  cc_selection sel;
  cc_buf b = {0}, what = {0};
  size_t i;

  if (cc_api_select(&sel, out, r) < 0)
    return;
  cc_buf_printf(&what, "GET /api/v1/findings period=%s", sel.data->period);
  describe_args(&what, r, args + 1);
  if (what.err || cc_api_audit_call(r, what.p, sel.n) < 0) {
    cc_buf_dispose(&what);
    cc_selection_dispose(r->srv, &sel);
    audit_failed(out);
    return;
  }
  cc_buf_dispose(&what);
  cc_buf_printf(
      &b,
      "{\"period\":\"%s\",\"total\":%zu,\"page\":%zu,\"per_page\":%zu,"
      "\"items\":[",
      sel.data->period, sel.total, sel.page, sel.per_page);
  for (i = 0; i < sel.n; i++) {
    if (i)
      cc_buf_puts(&b, ",");
    cc_api_finding_json(&b, &r->acct, sel.items[i], sel.data->period);
  }
  cc_buf_puts(&b, "]}\n");
  cc_selection_dispose(r->srv, &sel);
  cc_reply_take(out, 200, JSON_TYPE, &b);
}

/* ------------------------------------------------------------------ */
/* GET /api/v1/findings/{id} */

static int parse_hex(uint64_t *out, const char *hex)
{
  char *end;
  if (strlen(hex) != 16)
    return -1;
  *out = strtoull(hex, &end, 16);
  return *end ? -1 : 0;
}

static const cc_finding *find_in(const cc_period_data *d, uint64_t id)
{
  size_t i;
  for (i = 0; i < d->list.n; i++)
    if (d->list.items[i].finding_id == id)
      return &d->list.items[i];
  return NULL;
}

/* The finding of a call: in scope, or 404 in `out`. */
static const cc_finding *scoped_finding(cc_period_data **data, cc_reply *out,
                                        cc_request *r, const char *hex)
{
  uint64_t id;
  const cc_finding *f;
  int rc;
  *data = NULL;
  if (parse_hex(&id, hex) < 0) {
    cc_reply_error(out, 404, "not_found", "未找到该问题");
    return NULL;
  }
  if ((rc = cc_period_get(data, r->srv, cc_req_arg(r, "period"))) < 0) {
    load_failed(out, rc);
    return NULL;
  }
  f = find_in(*data, id);
  if (f == NULL || !cc_scope_finding(&r->acct, f)) {
    cc_period_release(r->srv, *data);
    *data = NULL;
    cc_reply_error(out, 404, "not_found", "未找到该问题");
    return NULL;
  }
  return f;
}

static void finding_history(cc_buf *b, cc_request *r, uint64_t id)
{
  char **list = NULL;
  size_t n = 0, i;
  int first = 1;
  cc_buf_puts(b, "[");
  if (cc_db_periods(&list, &n, r->srv->db) < 0) {
    cc_buf_fail(b);
    return;
  }
  for (i = 0; i < n; i++) {
    cc_period_data *d = NULL;
    const cc_finding *f;
    char dl[11];
    if (cc_period_get(&d, r->srv, list[i]) == 0 &&
        (f = find_in(d, id)) != NULL && cc_scope_finding(&r->acct, f)) {
      cc_date_format(dl, f->deadline);
      cc_buf_printf(b,
                    "%s{\"period\":\"%s\",\"state\":\"%s\",\"deadline\":\"%s\","
                    "\"amount_at_risk\":%lld,\"members\":%u}",
                    first ? "" : ",", d->period,
                    cc_finding_state_code((cc_finding_state)f->state), dl,
                    (long long)(f->amount_at_risk / 100), f->n_members);
      first = 0;
    }
    cc_period_release(r->srv, d);
    free(list[i]);
  }
  free(list);
  cc_buf_puts(b, "]");
}

static void responses_json(cc_buf *b, cc_request *r, uint64_t id)
{
  cc_response *rs = NULL;
  size_t n = 0, i;
  cc_buf_puts(b, "[");
  if (cc_response_list(&rs, &n, r->srv->db, id) < 0) {
    cc_buf_fail(b);
    return;
  }
  for (i = 0; i < n; i++) {
    char d[11];
    cc_date_format(d, rs[i].date);
    cc_buf_printf(b, "%s{\"date\":\"%s\",\"action\":\"%s\",\"school_code\":",
                  i ? "," : "", d,
                  cc_response_action_code((cc_response_action)rs[i].action));
    cc_json_str(b, rs[i].school_code,
                strnlen(rs[i].school_code, sizeof rs[i].school_code));
    cc_buf_puts(b, ",\"by\":");
    cc_json_str(b, rs[i].by, strnlen(rs[i].by, sizeof rs[i].by));
    cc_buf_puts(b, ",\"note\":");
    cc_json_str(b, rs[i].note, strnlen(rs[i].note, sizeof rs[i].note));
    cc_buf_printf(b, ",\"recorded_at\":%lld}", (long long)rs[i].recorded_at);
  }
  free(rs);
  cc_buf_puts(b, "]");
}

void cc_api_finding(cc_reply *out, cc_request *r, const char *hex)
{
  cc_period_data *d;
  const cc_finding *f = scoped_finding(&d, out, r, hex);
  cc_buf b = {0};
  char what[128];
  if (f == NULL)
    return;
  snprintf(what, sizeof what, "GET /api/v1/findings/%016llx period=%s",
           (unsigned long long)f->finding_id, d->period);
  if (cc_api_audit_call(r, what, 1) < 0) {
    cc_period_release(r->srv, d);
    audit_failed(out);
    return;
  }
  cc_buf_puts(&b, "{\"finding\":");
  cc_api_finding_json(&b, &r->acct, f, d->period);
  cc_buf_puts(&b, ",\"history\":");
  finding_history(&b, r, f->finding_id);
  cc_buf_puts(&b, ",\"responses\":");
  responses_json(&b, r, f->finding_id);
  cc_buf_puts(&b, "}\n");
  cc_period_release(r->srv, d);
  cc_reply_take(out, 200, JSON_TYPE, &b);
}

/* ------------------------------------------------------------------ */
/* POST /api/v1/findings/{id}/responses */

void cc_api_respond(cc_reply *out, cc_request *r, const char *hex,
                    const char *action, const char *note)
{
  cc_period_data *d;
  const cc_finding *f;
  cc_response resp;
  char what[256];
  int act, rc;

  if (r->acct.role != CC_ROLE_SCHOOL) {
    cc_reply_error(out, 403, "forbidden", "只有学校账号可以反馈处理结果");
    return;
  }
  act = cc_response_action_parse(action);
  if (act <= CC_ACTION_NONE) {
    cc_reply_error(out, 400, "bad_request",
                   "处理方式应为 keep、cancel_own 或 ask_other (action)");
    return;
  }
  if (strlen(note) >= sizeof resp.note ||
      !cc_text_is_visible(note, strlen(note), CC_TEXT_KEEP_NEWLINE)) {
    cc_reply_error(out, 400, "bad_request", "说明过长或含有控制字符 (note)");
    return;
  }
  if ((f = scoped_finding(&d, out, r, hex)) == NULL)
    return;
  memset(&resp, 0, sizeof resp);
  resp.finding_id = f->finding_id;
  resp.action = (uint8_t)act;
  resp.date = cc_date_today();
  snprintf(resp.school_code, sizeof resp.school_code, "%s", r->acct.scope);
  snprintf(resp.by, sizeof resp.by, "%s", r->acct.name);
  snprintf(resp.note, sizeof resp.note, "%s", note);
  snprintf(what, sizeof what,
           "POST /api/v1/findings/%016llx/responses action=%s "
           "period=%s",
           (unsigned long long)f->finding_id, action, d->period);
  cc_period_release(r->srv, d);
  /* The entry first, durable: an answer is never stored without it. */
  if (cc_api_audit_now(r, what, 1) < 0) {
    audit_failed(out);
    return;
  }
  if ((rc = cc_response_record(r->srv->db, &resp)) < 0) {
    cc_reply_error(out, rc == CC_ENOTFOUND ? 404 : 500,
                   rc == CC_ENOTFOUND ? "not_found" : "internal",
                   rc == CC_ENOTFOUND ? "未找到该问题" : "服务器内部错误");
    return;
  }
  {
    cc_buf b = {0};
    char dd[11];
    cc_date_format(dd, resp.date);
    cc_buf_printf(
        &b,
        "{\"finding_id\":\"%016llx\",\"action\":\"%s\",\"date\":\"%s\","
        "\"school_code\":",
        (unsigned long long)resp.finding_id,
        cc_response_action_code((cc_response_action)act), dd);
    cc_json_cstr(&b, resp.school_code);
    cc_buf_puts(&b, ",\"by\":");
    cc_json_cstr(&b, resp.by);
    cc_buf_puts(&b, "}\n");
    cc_reply_take(out, 201, JSON_TYPE, &b);
  }
}

/* ------------------------------------------------------------------ */
/* GET /api/v1/check?id= */

int cc_api_check_select(char period[8], cc_id *id, cc_enrollment **e, size_t *n,
                        cc_reply *out, cc_request *r)
{
  const char *raw = cc_req_arg(r, "id");
  char masked[CC_ID_MAX + 1], what[128];
  int rc;

  *e = NULL;
  *n = 0;
  if (raw == NULL || *raw == '\0' || strlen(raw) > 64) {
    cc_reply_error(out, 400, "bad_request", "请提供身份证号 (id)");
    return -1;
  }
  cc_id_normalize(id, raw, strlen(raw), cc_date_today());
  if (id->verdict == CC_ID_REJECTED) {
    cc_reply_error(out, 400, "bad_request", "不是身份证号");
    return -1;
  }
  if ((rc = latest_period(period, r->srv->db)) < 0 ||
      (rc = cc_db_enrollments(e, n, r->srv->db, period, id->digits, id->len)) <
          0) {
    load_failed(out, rc);
    return -1;
  }
  cc_id_mask(masked, id->digits);
  snprintf(what, sizeof what, "GET %s id=%s period=%s", r->path, masked,
           period);
  if (cc_api_audit_call(r, what, *n) < 0) {
    free(*e);
    *e = NULL;
    audit_failed(out);
    return -1;
  }
  return 0;
}

void cc_api_check(cc_reply *out, cc_request *r)
{
  char period[8];
  cc_enrollment *e = NULL;
  cc_id id;
  size_t n = 0, i;
  cc_buf b = {0};

  if (cc_api_check_select(period, &id, &e, &n, out, r) < 0)
    return;
  cc_buf_printf(&b, "{\"period\":\"%s\",\"id_valid\":%s,\"enrolled\":[", period,
                id.verdict == CC_ID_VALID ? "true" : "false");
  for (i = 0; i < n; i++) {
    cc_buf_puts(&b, i ? ",{\"roster\":" : "{\"roster\":");
    cc_json_cstr(&b, e[i].label);
    cc_buf_puts(&b, ",\"school_code\":");
    cc_json_cstr(&b, e[i].school_code);
    cc_buf_puts(&b, ",\"school_name\":");
    cc_json_cstr(&b, e[i].school_name);
    cc_buf_puts(&b, ",\"status\":");
    cc_json_str(&b, cc_status_zh((cc_status)e[i].status),
                strlen(cc_status_zh((cc_status)e[i].status)));
    cc_buf_puts(&b, "}");
  }
  cc_buf_puts(&b, "]}\n");
  free(e);
  cc_reply_take(out, 200, JSON_TYPE, &b);
}

/* ------------------------------------------------------------------ */
/* Downloads: export, report. The engine writes them into a private
 * temporary folder (0700), which is read back and removed. */

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
  (void)sb;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

static void rm_tree(const char *dir)
{
  nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int make_tmp(char *out, size_t cap)
{
  const char *t = getenv("TMPDIR");
  snprintf(out, cap, "%s/chachong-serve-XXXXXX", t && *t ? t : "/tmp");
  return mkdtemp(out) ? 0 : -1;
}

static int read_file(char **out, size_t *len, const char *path)
{
  FILE *f = fopen(path, "rb");
  cc_buf b = {0};
  char chunk[65536];
  size_t n;
  if (f == NULL)
    return -1;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    cc_buf_put(&b, chunk, n);
  fclose(f);
  *len = b.len;
  *out = cc_buf_take(&b);
  return *out ? 0 : -1;
}

/* The school's workbook in an export tree: "<code>.xlsx" or
 * "<code>_<label>.xlsx" (一校两牌: the first one). */
typedef struct wb_find {
  const char *code;
  char path[4096];
} wb_find;
static _Thread_local wb_find *tl_find;

static int wb_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
  const char *base = path + ftw->base;
  size_t n = strlen(tl_find->code), bl = strlen(base);
  (void)sb;
  if (flag != FTW_F || tl_find->path[0])
    return 0;
  if (bl >= n + 5 && strncmp(base, tl_find->code, n) == 0 &&
      strcmp(base + bl - 5, ".xlsx") == 0 && (base[n] == '.' || base[n] == '_'))
    snprintf(tl_find->path, sizeof tl_find->path, "%s", path);
  return 0;
}

static void safe_name(char *out, size_t cap, const char *s)
{
  size_t k = 0;
  for (; *s && k + 1 < cap; s++)
    out[k++] = ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                (*s >= '0' && *s <= '9') || *s == '-')
                   ? *s
                   : '_';
  out[k] = '\0';
}

void cc_api_export(cc_reply *out, cc_request *r)
{
  char dir[4096], period[8], name[128];
  const char *p = cc_req_arg(r, "period");
  int rc;

  if (p && *p) {
    if (!period_ok(p)) {
      load_failed(out, CC_EINVALID);
      return;
    }
    snprintf(period, sizeof period, "%s", p);
  } else if ((rc = latest_period(period, r->srv->db)) < 0) {
    load_failed(out, rc);
    return;
  }
  if (r->acct.role == CC_ROLE_SCHOOL) {
    cc_export_options eo = CC_EXPORT_OPTIONS_INIT;
    wb_find wf;
    if (make_tmp(dir, sizeof dir) < 0) {
      cc_reply_error(out, 500, "internal", "服务器内部错误");
      return;
    }
    eo.period = period;
    eo.out_dir = dir;
    eo.school = r->acct.scope;
    eo.user = r->acct.name;
    eo.formats = CC_EXPORT_XLSX;
    eo.threads = 1;
    /* cc_export_period records its audit entry before writing a file. */
    rc = cc_export_period(NULL, r->srv->db, &eo);
    memset(&wf, 0, sizeof wf);
    wf.code = r->acct.scope;
    tl_find = &wf;
    if (rc == 0)
      nftw(dir, wb_one, 16, FTW_PHYS);
    tl_find = NULL;
    if (rc < 0) {
      load_failed(out, rc);
    } else if (wf.path[0] == '\0') {
      cc_reply_error(out, 404, "not_found", "本期没有本校的问题");
    } else if (read_file(&out->body, &out->len, wf.path) < 0) {
      cc_reply_error(out, 500, "internal", "服务器内部错误");
    } else {
      safe_name(name, sizeof name, r->acct.scope);
      out->status = 200;
      out->type =
          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
      snprintf(out->disposition, sizeof out->disposition,
               "attachment; filename=\"%s_%s.xlsx\"", name, period);
    }
    rm_tree(dir);
    return;
  }
  {
    cc_query_options q = CC_QUERY_OPTIONS_INIT;
    cc_query_result res;
    const char *periods[1] = {period}, *regions[1] = {r->acct.scope};
    char *buf = NULL;
    size_t len = 0;
    FILE *mem;
    memset(&res, 0, sizeof res);
    q.periods = periods;
    q.n_periods = 1;
    if (r->acct.role != CC_ROLE_NATIONAL) {
      q.regions = regions;
      q.n_regions = 1;
    }
    q.format = CC_QUERY_CSV;
    q.user = r->acct.name;
    /* cc_query_run records its audit entry before returning anything. */
    if ((rc = cc_query_run(&res, r->srv->db, &q)) < 0) {
      load_failed(out, rc);
      return;
    }
    mem = open_memstream(&buf, &len);
    if (mem == NULL || cc_query_write(mem, &res, &q) < 0) {
      if (mem)
        fclose(mem);
      free(buf);
      cc_query_result_dispose(&res);
      cc_reply_error(out, 500, "internal", "服务器内部错误");
      return;
    }
    fclose(mem);
    cc_query_result_dispose(&res);
    out->body = buf;
    out->len = len;
    out->status = 200;
    out->type = "text/csv; charset=utf-8";
    safe_name(name, sizeof name, r->acct.scope[0] ? r->acct.scope : "national");
    snprintf(out->disposition, sizeof out->disposition,
             "attachment; filename=\"findings_%s_%s.csv\"", name, period);
  }
}

void cc_api_report(cc_reply *out, cc_request *r)
{
  cc_report_options ro = CC_REPORT_OPTIONS_INIT;
  const char *p = cc_req_arg(r, "period");
  char dir[4096], path[4200];
  int rc;

  if (r->acct.role == CC_ROLE_SCHOOL) {
    cc_reply_error(out, 403, "forbidden",
                   "报告面向全国、省级和地市级账号；学校请下载本校工作簿");
    return;
  }
  if (p && *p && !period_ok(p)) {
    load_failed(out, CC_EINVALID);
    return;
  }
  ro.period = p && *p ? p : NULL;
  ro.region = r->acct.role == CC_ROLE_NATIONAL ? NULL : r->acct.scope;
  ro.user = r->acct.name;
  if (make_tmp(dir, sizeof dir) < 0) {
    cc_reply_error(out, 500, "internal", "服务器内部错误");
    return;
  }
  snprintf(path, sizeof path, "%s/report.html", dir);
  /* cc_report_write records its audit entry before the page exists. */
  rc = cc_report_write(NULL, r->srv->db, path, &ro);
  if (rc < 0)
    load_failed(out, rc);
  else if (read_file(&out->body, &out->len, path) < 0)
    cc_reply_error(out, 500, "internal", "服务器内部错误");
  else {
    out->status = 200;
    out->type = "text/html; charset=utf-8";
    out->report = 1;
  }
  rm_tree(dir);
}

/* ------------------------------------------------------------------ */
/* GET /api/v1/audit?since= */

/* The accounts whose entries a province sees: its own level and below. */
static int audit_visible(const cc_account *me, const char *user,
                         const cc_account *accts, size_t na,
                         const cc_school_count *schools, size_t ns)
{
  size_t i, k = strlen(me->scope);
  if (me->role == CC_ROLE_NATIONAL)
    return 1;
  for (i = 0; i < na; i++) {
    const cc_account *a = &accts[i];
    if (strcmp(a->name, user) != 0)
      continue;
    if (a->role == CC_ROLE_PROVINCE || a->role == CC_ROLE_CITY)
      return strncmp(a->scope, me->scope, k) == 0;
    if (a->role == CC_ROLE_SCHOOL) {
      size_t j;
      for (j = 0; j < ns; j++)
        if (strcmp(schools[j].school_code, a->scope) == 0 &&
            strncmp(schools[j].region_code, me->scope, k) == 0)
          return 1;
    }
    return 0;
  }
  return 0;
}

int cc_api_audit_select(cc_audit_entry **entries, size_t *count, cc_reply *out,
                        cc_request *r)
{
  const char *since = cc_req_arg(r, "since");
  cc_audit_entry *e = NULL;
  cc_account *accts = NULL;
  cc_school_count *schools = NULL;
  size_t n = 0, na = 0, ns = 0, i, k = 0;
  int64_t from = 0;
  char period[8], what[96];

  *entries = NULL;
  *count = 0;
  if (r->acct.role != CC_ROLE_NATIONAL && r->acct.role != CC_ROLE_PROVINCE) {
    cc_reply_error(out, 403, "forbidden", "审计日志仅向全国和省级账号开放");
    return -1;
  }
  if (since && *since) {
    cc_date d;
    if (cc_date_parse(&d, since) < 0) {
      cc_reply_error(out, 400, "bad_request",
                     "日期格式应为 YYYY-MM-DD (since)");
      return -1;
    }
    from = (int64_t)d * 86400;
  }
  if (cc_audit_list(&e, &n, r->srv->db, from) < 0 ||
      (r->acct.role == CC_ROLE_PROVINCE &&
       (cc_account_list(&accts, &na, r->srv->db) < 0 ||
        (latest_period(period, r->srv->db) == 0 &&
         cc_db_school_counts(&schools, &ns, r->srv->db, period) < 0)))) {
    free(e);
    free(accts);
    free(schools);
    cc_reply_error(out, 500, "internal", "服务器内部错误");
    return -1;
  }
  for (i = 0; i < n; i++)
    if (audit_visible(&r->acct, e[i].user, accts, na, schools, ns))
      e[k++] = e[i];
  free(accts);
  free(schools);
  snprintf(what, sizeof what, "GET %s since=%s", r->path,
           since && *since ? since : "-"); /* a date: checked above */
  if (cc_api_audit_call(r, what, k) < 0) {
    free(e);
    audit_failed(out);
    return -1;
  }
  *entries = e;
  *count = k;
  return 0;
}

void cc_api_audit(cc_reply *out, cc_request *r)
{
  cc_audit_entry *e = NULL;
  size_t n = 0, i;
  cc_buf b = {0};

  if (cc_api_audit_select(&e, &n, out, r) < 0)
    return;
  cc_buf_puts(&b, "{\"entries\":[");
  for (i = 0; i < n; i++) {
    char t[32];
    time_t tt = (time_t)e[i].when;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cc_buf_printf(&b, "%s{\"time\":\"%s\",\"user\":", i ? "," : "", t);
    cc_json_str(&b, e[i].user, strnlen(e[i].user, sizeof e[i].user));
    cc_buf_puts(&b, ",\"command\":");
    cc_json_str(&b, e[i].command, strnlen(e[i].command, sizeof e[i].command));
    cc_buf_printf(
        &b, ",\"records\":%llu,\"what\":", (unsigned long long)e[i].records);
    cc_json_str(&b, e[i].what, strnlen(e[i].what, sizeof e[i].what));
    cc_buf_puts(&b, "}");
  }
  cc_buf_puts(&b, "]}\n");
  free(e);
  cc_reply_take(out, 200, JSON_TYPE, &b);
}
