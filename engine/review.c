/*
 * review.c - reviewers' decisions on pairs of IDs (issue 9, point 5;
 * docs/RULES.md "Review decisions"): recording them with their audit
 * entry, listing them, and the set a run consults.
 *
 * A decision is about two cleaned IDs, "same" (one person) or "different"
 * (two people); its identity is the unordered pair, so it holds from month
 * to month as a finding_id does. A decision on a fuzzy finding is stored as
 * one decision per pair of distinct IDs among its members. Nothing is ever
 * overwritten: a new decision on a pair is a new entry, and the latest
 * recorded is the one that counts.
 *
 * Decisions live in the "reviews" database of the environment:
 *
 *   key (16 bytes)
 *     offset  size  field
 *     0       8     u64 XXH3-64 of the ordered pair: id_a 0x1F id_b
 *     8       8     u64 microseconds since 1970 when recorded
 *   value
 *     offset  size  field
 *     0       1     u8 layout (1)
 *     1       1     u8 decision (cc_review_decision)
 *     2       4     i32 date decided (cc_date day number)
 *     6       8     i64 recorded_at (Unix seconds)
 *     14      8     u64 finding_id (0: decided on a pair)
 *     22      7     period "YYYY-MM" of the finding (zeros for a pair)
 *     29      1+n   u8 length | id_a (the bytewise smaller ID)
 *     ...     1+n   u8 length | id_b
 *     ...     1+n   u8 length | by
 *     ...     1+n   u8 length | user (the operator)
 *     ...     2+n   u16 length | note
 *
 * so one pair's decisions are adjacent and in the order recorded (a hash
 * shared by two pairs only interleaves them; the IDs in the value tell
 * them apart). A decision and its audit entry are written in one
 * transaction (cc_db_put_timed_n).
 *
 * The set a run loads (cc_review_load) is the latest decision per pair,
 * sorted by the pair's hash: cc_review_find is a binary search and a
 * comparison of the IDs, cheap enough to ask for every candidate pair.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <xxhash.h>

#include "chachong/review.h"
#include "audit_internal.h"
#include "bytes_internal.h"
#include "error_internal.h"
#include "grow_internal.h"
#include "store_internal.h"

#define REVIEW_DB "reviews"
#define REVIEW_LAYOUT 1
#define REVIEW_KEY_LEN 16
#define REVIEW_FIXED 29
#define REVIEW_VALUE_MAX                                                       \
  (REVIEW_FIXED + 2 * (1 + CC_ID_MAX) + 2 * (1 + 64) + 2 + 512)
/* A finding with more distinct IDs than this is not a fuzzy finding a
 * person reviews (the fuzzy tier links a few records). */
#define REVIEW_MAX_IDS 64

static const char *const decision_code[CC_REVIEW_COUNT_] = {"none", "same",
                                                            "different"};
static const char *const decision_zh[CC_REVIEW_COUNT_] = {"未复核", "同一人",
                                                          "不同的人"};

const char *cc_review_decision_code(cc_review_decision d)
{
  return d < CC_REVIEW_COUNT_ ? decision_code[d] : "unknown";
}

const char *cc_review_decision_zh(cc_review_decision d)
{
  return d < CC_REVIEW_COUNT_ ? decision_zh[d] : "未知";
}

int cc_review_decision_parse(const char *code)
{
  int i;
  for (i = CC_REVIEW_SAME; i < CC_REVIEW_COUNT_; i++)
    if (strcmp(code, decision_code[i]) == 0)
      return i;
  return -1;
}

/* ------------------------------------------------------------------ */
/* Pairs. */

/* Bytewise order of two IDs, a prefix first. */
static int id_cmp(const char *a, size_t la, const char *b, size_t lb)
{
  int c = memcmp(a, b, la < lb ? la : lb);
  if (c != 0)
    return c;
  return la < lb ? -1 : la > lb;
}

/* Puts the smaller ID first. */
static void order_pair(const char **a, size_t *la, const char **b, size_t *lb)
{
  if (id_cmp(*a, *la, *b, *lb) > 0) {
    const char *t = *a;
    size_t tl = *la;
    *a = *b;
    *la = *lb;
    *b = t;
    *lb = tl;
  }
}

/* XXH3-64 of an ordered pair. IDs are digits and X, so 0x1F separates. */
static uint64_t pair_hash(const char *a, size_t la, const char *b, size_t lb)
{
  char buf[2 * CC_ID_MAX + 1];
  if (la > CC_ID_MAX)
    la = CC_ID_MAX;
  if (lb > CC_ID_MAX)
    lb = CC_ID_MAX;
  memcpy(buf, a, la);
  buf[la] = 0x1F;
  memcpy(buf + la + 1, b, lb);
  return XXH3_64bits(buf, la + 1 + lb);
}

/* ------------------------------------------------------------------ */
/* Encoding. */

static uint8_t *put_str8(uint8_t *p, const char *s, size_t cap)
{
  size_t n = strnlen(s, cap - 1);
  *p++ = (uint8_t)n;
  memcpy(p, s, n);
  return p + n;
}

/* Encodes r (its IDs ordered) into val; returns the length. */
static size_t encode_review(uint8_t *val, const cc_review *r)
{
  uint8_t *p = val;
  size_t nl = strnlen(r->note, sizeof r->note - 1);
  p[0] = REVIEW_LAYOUT;
  p[1] = r->decision;
  put_u32(p + 2, (uint32_t)r->date);
  put_u64(p + 6, (uint64_t)r->recorded_at);
  put_u64(p + 14, r->finding_id);
  memset(p + 22, 0, 7);
  memcpy(p + 22, r->period, strnlen(r->period, 7));
  p += REVIEW_FIXED;
  p = put_str8(p, r->id_a, sizeof r->id_a);
  p = put_str8(p, r->id_b, sizeof r->id_b);
  p = put_str8(p, r->by, sizeof r->by);
  p = put_str8(p, r->user, sizeof r->user);
  put_u16(p, (uint16_t)nl);
  memcpy(p + 2, r->note, nl);
  p += 2 + nl;
  return (size_t)(p - val);
}

/* Reads a u8-length string into out (cap bytes with the NUL). */
static int get_str8(char *out, size_t cap, const uint8_t **p,
                    const uint8_t *end)
{
  size_t n;
  if (*p >= end)
    return -1;
  n = **p;
  (*p)++;
  if (n >= cap || (size_t)(end - *p) < n)
    return -1;
  memcpy(out, *p, n);
  out[n] = '\0';
  *p += n;
  return 0;
}

static int decode_review(cc_review *r, uint64_t *us, const cc_bytes *k,
                         const cc_bytes *v)
{
  const uint8_t *p = v->p, *end = p + v->n;
  size_t nl;
  memset(r, 0, sizeof *r);
  if (k->n != REVIEW_KEY_LEN || v->n < REVIEW_FIXED || p[0] != REVIEW_LAYOUT ||
      p[1] <= CC_REVIEW_NONE || p[1] >= CC_REVIEW_COUNT_)
    return cc_error_set(CC_ECORRUPT, "database: bad review decision");
  *us = get_u64(k->p + 8);
  r->decision = p[1];
  r->date = (cc_date)(int32_t)get_u32(p + 2);
  r->recorded_at = (int64_t)get_u64(p + 6);
  r->finding_id = get_u64(p + 14);
  memcpy(r->period, p + 22, 7);
  p += REVIEW_FIXED;
  if (get_str8(r->id_a, sizeof r->id_a, &p, end) < 0 ||
      get_str8(r->id_b, sizeof r->id_b, &p, end) < 0 ||
      get_str8(r->by, sizeof r->by, &p, end) < 0 ||
      get_str8(r->user, sizeof r->user, &p, end) < 0 || end - p < 2)
    return cc_error_set(CC_ECORRUPT, "database: bad review decision");
  nl = get_u16(p);
  p += 2;
  if (nl >= sizeof r->note || (size_t)(end - p) < nl)
    return cc_error_set(CC_ECORRUPT, "database: bad review decision");
  memcpy(r->note, p, nl);
  return 0;
}

/* ------------------------------------------------------------------ */
/* Recording. */

/* Cleans one raw ID value of a pair (which = "first" or "second"). */
static int clean_id(char out[CC_ID_MAX + 1], const char *raw, const char *which)
{
  cc_id id;
  if (cc_id_normalize(&id, raw, strlen(raw), cc_date_today()) == CC_ID_REJECTED)
    return cc_error_set(CC_EINVALID,
                        "the %s ID of the pair is not an ID number (%s)", which,
                        cc_id_reason_code((cc_id_reason)id.reason));
  memcpy(out, id.digits, (size_t)id.len + 1);
  return 0;
}

/*
 * The distinct cleaned IDs of finding `id` in `period` (or, period "", the
 * latest period holding it), into ids (REVIEW_MAX_IDS); the period found
 * into period_out.
 */
static int finding_ids(char ids[][CC_ID_MAX + 1], size_t *n_ids,
                       char period_out[8], cc_db *db, const char *period,
                       uint64_t id)
{
  char **periods = NULL;
  size_t n_periods = 0, i, j, k;
  int rc = 0, found = 0;
  char hex[17];

  *n_ids = 0;
  cc_finding_id_hex(hex, id);
  if (period[0] != '\0') {
    if ((periods = malloc(sizeof *periods)) == NULL ||
        (periods[0] = malloc(8)) == NULL) {
      free(periods);
      return cc_error_set(CC_ENOMEM, "out of memory");
    }
    snprintf(periods[0], 8, "%s", period);
    n_periods = 1;
  } else if ((rc = cc_db_periods(&periods, &n_periods, db)) < 0) {
    return rc;
  }
  for (i = n_periods; i-- > 0 && !found && rc == 0;) {
    cc_finding_list l;
    if ((rc = cc_db_load_findings(&l, db, periods[i])) < 0)
      break;
    for (j = 0; j < l.n && !found; j++) {
      const cc_finding *f = &l.items[j];
      if (f->finding_id != id)
        continue;
      found = 1;
      snprintf(period_out, 8, "%s", periods[i]);
      for (k = 0; k < f->n_members && rc == 0; k++) {
        const cc_str *m = &f->members[k].id;
        size_t q;
        if (m->len == 0 || m->len > CC_ID_MAX)
          continue;
        for (q = 0; q < *n_ids && !(strlen(ids[q]) == m->len &&
                                    memcmp(ids[q], m->ptr, m->len) == 0);
             q++)
          ;
        if (q < *n_ids)
          continue;
        if (*n_ids == REVIEW_MAX_IDS)
          rc = cc_error_set(CC_EINVALID, "finding %s has more than %d IDs", hex,
                            REVIEW_MAX_IDS);
        else {
          memcpy(ids[*n_ids], m->ptr, m->len);
          ids[(*n_ids)++][m->len] = '\0';
        }
      }
    }
    cc_finding_list_dispose(&l);
  }
  for (i = 0; i < n_periods; i++)
    free(periods[i]);
  free(periods);
  if (rc < 0)
    return rc;
  if (!found && period[0])
    return cc_error_set(CC_ENOTFOUND, "period %s has no finding %s", period,
                        hex);
  if (!found)
    return cc_error_set(CC_ENOTFOUND,
                        "no period in the database has finding %s", hex);
  if (*n_ids < 2)
    return cc_error_set(CC_EINVALID,
                        "finding %s is not a fuzzy finding: its "
                        "members share one ID",
                        hex);
  return 0;
}

/* The audit entry's "what": no ID unmasked, never the note. */
static void audit_what(char *out, size_t cap, const cc_review *r,
                       const char *period, size_t n_pairs)
{
  char os_user[64], date[11];
  cc_audit_user(os_user, NULL);
  cc_date_format(date, r->date);
  if (r->finding_id) {
    char hex[17];
    cc_finding_id_hex(hex, r->finding_id);
    snprintf(out, cap,
             "finding=%s period=%s pairs=%zu decision=%s by=%s "
             "date=%s os_user=%s",
             hex, period, n_pairs,
             cc_review_decision_code((cc_review_decision)r->decision), r->by,
             date, os_user);
  } else {
    char ma[CC_ID_MAX + 1], mb[CC_ID_MAX + 1];
    cc_id_mask(ma, r->id_a);
    cc_id_mask(mb, r->id_b);
    snprintf(out, cap, "pair=%s,%s decision=%s by=%s date=%s os_user=%s", ma,
             mb, cc_review_decision_code((cc_review_decision)r->decision),
             r->by, date, os_user);
  }
}

int cc_review_record(cc_db *db, const cc_review *r)
{
  char(*ids)[CC_ID_MAX + 1] = NULL;
  size_t n_ids = 0, n_pairs, i, j, e;
  cc_review one;
  cc_db_timed *puts_ = NULL;
  uint8_t *keys = NULL, *vals = NULL;
  uint8_t akey[CC_AUDIT_KEY_LEN], aval[CC_AUDIT_VALUE_MAX];
  cc_audit_entry ae;
  struct timeval tv;
  int rc = 0;

  if (r->decision <= CC_REVIEW_NONE || r->decision >= CC_REVIEW_COUNT_)
    return cc_error_set(CC_EINVALID, "unknown decision (same, different)");
  if (strnlen(r->by, sizeof r->by) == 0)
    return cc_error_set(CC_EINVALID, "a decision needs who took it (--by)");
  if (cc_db_read_only(db))
    return cc_error_set(CC_EINVALID,
                        "recording a decision needs a writable database");

  one = *r;
  one.superseded = 0;
  one.by[sizeof one.by - 1] = '\0';
  one.note[sizeof one.note - 1] = '\0';
  one.period[sizeof one.period - 1] = '\0';
  cc_audit_user(one.user, r->user);
  gettimeofday(&tv, NULL);
  one.recorded_at = (int64_t)tv.tv_sec;

  ids = malloc(REVIEW_MAX_IDS * sizeof *ids);
  if (ids == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  if (r->finding_id) {
    char found[8] = "";
    if ((rc = finding_ids(ids, &n_ids, found, db, one.period, r->finding_id)) <
        0)
      goto done;
    memcpy(one.period, found, sizeof found);
  } else {
    char a[CC_ID_MAX + 1], b[CC_ID_MAX + 1];
    if ((rc = clean_id(a, r->id_a, "first")) < 0 ||
        (rc = clean_id(b, r->id_b, "second")) < 0)
      goto done;
    if (strcmp(a, b) == 0) {
      rc = cc_error_set(CC_EINVALID,
                        "the two IDs of the pair are the same "
                        "after cleaning: that is one ID, not a pair");
      goto done;
    }
    memcpy(ids[0], a, sizeof a);
    memcpy(ids[1], b, sizeof b);
    n_ids = 2;
    one.period[0] = '\0';
  }

  n_pairs = n_ids * (n_ids - 1) / 2;
  puts_ = malloc((n_pairs + 1) * sizeof *puts_);
  keys = malloc(n_pairs * REVIEW_KEY_LEN);
  vals = malloc(n_pairs * REVIEW_VALUE_MAX);
  if (puts_ == NULL || keys == NULL || vals == NULL) {
    rc = cc_error_set(CC_ENOMEM, "out of memory");
    goto done;
  }
  e = 0;
  for (i = 0; i < n_ids; i++)
    for (j = i + 1; j < n_ids; j++, e++) {
      const char *a = ids[i], *b = ids[j];
      size_t la = strlen(a), lb = strlen(b);
      uint8_t *key = keys + e * REVIEW_KEY_LEN,
              *val = vals + e * REVIEW_VALUE_MAX;
      order_pair(&a, &la, &b, &lb);
      memcpy(one.id_a, a, la + 1);
      memcpy(one.id_b, b, lb + 1);
      put_u64(key, pair_hash(a, la, b, lb));
      puts_[e].name = REVIEW_DB;
      puts_[e].key = key;
      puts_[e].klen = REVIEW_KEY_LEN;
      puts_[e].at = 8;
      puts_[e].val = val;
      puts_[e].vlen = encode_review(val, &one);
    }
  /* The audit entry names the pair in the order given (cleaned; masked by
   * audit_what). */
  if (!r->finding_id) {
    memcpy(one.id_a, ids[0], sizeof ids[0]);
    memcpy(one.id_b, ids[1], sizeof ids[1]);
  }
  memset(&ae, 0, sizeof ae);
  ae.when = (int64_t)tv.tv_sec;
  snprintf(ae.user, sizeof ae.user, "%s", one.user);
  snprintf(ae.command, sizeof ae.command, "review");
  audit_what(ae.what, sizeof ae.what, &one, one.period, n_pairs);
  ae.records = n_pairs;
  puts_[e].name = CC_AUDIT_DB;
  puts_[e].key = akey;
  puts_[e].klen = sizeof akey;
  puts_[e].at = 0;
  puts_[e].vlen = cc_audit_encode(akey, aval, &ae);
  puts_[e].val = aval;
  rc = cc_db_put_timed_n(db, puts_, n_pairs + 1,
                         (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec,
                         "review decisions");
done:
  free(ids);
  free(puts_);
  free(keys);
  free(vals);
  return rc;
}

/* ------------------------------------------------------------------ */
/* Reading. */

/* Calls fn for every stored decision, in key order (pair hash, time). */
typedef int (*review_fn)(void *ctx, const cc_review *r, uint64_t hash,
                         uint64_t us);

typedef struct each_ctx {
  review_fn fn;
  void *ctx;
} each_ctx;

static int each_entry(void *vctx, const cc_bytes *k, const cc_bytes *v)
{
  each_ctx *e = vctx;
  cc_review r;
  uint64_t us = 0;
  int rc = decode_review(&r, &us, k, v);
  if (rc < 0)
    return rc;
  return e->fn(e->ctx, &r, get_u64(k->p), us);
}

static int each_review(cc_db *db, review_fn fn, void *ctx)
{
  each_ctx e;
  e.fn = fn;
  e.ctx = ctx;
  return cc_db_each(db, REVIEW_DB, NULL, 0, each_entry, &e, "review decisions");
}

/* cc_review_list: every decision, with its key. */
typedef struct listed {
  cc_review r;
  uint64_t hash, us;
} listed;

typedef struct list_ctx {
  listed *items;
  size_t n, cap;
} list_ctx;

static int list_one(void *vctx, const cc_review *r, uint64_t hash, uint64_t us)
{
  list_ctx *c = vctx;
  size_t i;
  if (cc_grow((void **)&c->items, &c->cap, c->n + 1, sizeof *c->items) < 0)
    return cc_error_set(CC_ENOMEM, "out of memory");
  /* Key order puts a pair's earlier decisions just before: this one
   * supersedes them. */
  for (i = c->n; i-- > 0 && c->items[i].hash == hash;)
    if (strcmp(c->items[i].r.id_a, r->id_a) == 0 &&
        strcmp(c->items[i].r.id_b, r->id_b) == 0)
      c->items[i].r.superseded = 1;
  c->items[c->n].r = *r;
  c->items[c->n].hash = hash;
  c->items[c->n].us = us;
  c->n++;
  return 0;
}

static int listed_time_cmp(const void *a, const void *b)
{
  const listed *x = a, *y = b;
  int c;
  if (x->us != y->us)
    return x->us < y->us ? -1 : 1;
  /* One decision on a finding: its pairs in ID order. */
  c = id_cmp(x->r.id_a, strlen(x->r.id_a), y->r.id_a, strlen(y->r.id_a));
  if (c != 0)
    return c;
  return id_cmp(x->r.id_b, strlen(x->r.id_b), y->r.id_b, strlen(y->r.id_b));
}

/* The audit entry of a listing: inside the library, so that every caller
 * of cc_review_list leaves one. */
static int list_audit(cc_db *db, const char *user, int unmasked, size_t n)
{
  char os_user[64];
  cc_audit_user(os_user, NULL);
  return cc_audit_action(db, user, "review", n, "list%s os_user=%s",
                         unmasked ? " unmasked" : "", os_user);
}

int cc_review_list(cc_review **out, size_t *n, cc_db *db, const char *user,
                   int unmasked)
{
  list_ctx c = {0};
  cc_review *list = NULL;
  size_t i;
  int rc;

  *out = NULL;
  *n = 0;
  if ((rc = each_review(db, list_one, &c)) < 0) {
    free(c.items);
    return rc;
  }
  if ((rc = list_audit(db, user, unmasked, c.n)) < 0) {
    free(c.items);
    return rc;
  }
  if (c.n == 0)
    return 0;
  qsort(c.items, c.n, sizeof *c.items, listed_time_cmp);
  if ((list = malloc(c.n * sizeof *list)) == NULL) {
    free(c.items);
    return cc_error_set(CC_ENOMEM, "out of memory");
  }
  for (i = 0; i < c.n; i++)
    list[i] = c.items[i].r;
  free(c.items);
  *out = list;
  *n = c.n;
  return 0;
}

/* ------------------------------------------------------------------ */
/* The set a run consults. */

typedef struct set_item {
  uint64_t hash;     /* pair_hash of (a, b) */
  uint8_t decision;  /* the latest recorded */
  uint8_t la, lb;    /* lengths of a and b */
  char a[CC_ID_MAX]; /* the bytewise smaller ID */
  char b[CC_ID_MAX]; /* the other */
} set_item;

struct cc_review_set {
  set_item *items; /* sorted by hash; one per pair */
  size_t n, cap;
};

/* Key order is (hash, time): the latest decision on a pair comes last and
 * replaces the earlier ones, and items stay sorted by hash. */
static int load_one(void *vctx, const cc_review *r, uint64_t hash, uint64_t us)
{
  cc_review_set *s = vctx;
  size_t i, la = strlen(r->id_a), lb = strlen(r->id_b);
  set_item *it;
  (void)us;
  for (i = s->n; i-- > 0 && s->items[i].hash == hash;) {
    it = &s->items[i];
    if (it->la == la && it->lb == lb && memcmp(it->a, r->id_a, la) == 0 &&
        memcmp(it->b, r->id_b, lb) == 0) {
      it->decision = r->decision;
      return 0;
    }
  }
  if (cc_grow((void **)&s->items, &s->cap, s->n + 1, sizeof *s->items) < 0)
    return cc_error_set(CC_ENOMEM, "out of memory");
  it = &s->items[s->n++];
  it->hash = hash;
  it->decision = r->decision;
  it->la = (uint8_t)la;
  it->lb = (uint8_t)lb;
  memcpy(it->a, r->id_a, la);
  memcpy(it->b, r->id_b, lb);
  return 0;
}

int cc_review_load(cc_review_set **out, cc_db *db)
{
  cc_review_set *s = calloc(1, sizeof *s);
  int rc;
  *out = NULL;
  if (s == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  if ((rc = each_review(db, load_one, s)) < 0) {
    cc_review_set_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

int cc_review_find(const cc_review_set *s, const char *id_a, size_t la,
                   const char *id_b, size_t lb)
{
  uint64_t h;
  size_t lo = 0, hi;
  if (s == NULL || s->n == 0 || la > CC_ID_MAX || lb > CC_ID_MAX)
    return CC_REVIEW_NONE;
  order_pair(&id_a, &la, &id_b, &lb);
  h = pair_hash(id_a, la, id_b, lb);
  hi = s->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->items[mid].hash < h)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (; lo < s->n && s->items[lo].hash == h; lo++) {
    const set_item *it = &s->items[lo];
    if (it->la == la && it->lb == lb && memcmp(it->a, id_a, la) == 0 &&
        memcmp(it->b, id_b, lb) == 0)
      return it->decision;
  }
  return CC_REVIEW_NONE;
}

int cc_review_next(cc_review_pair *out, const cc_review_set *s, size_t *it,
                   int decision)
{
  if (s == NULL)
    return 0;
  for (; *it < s->n; (*it)++) {
    const set_item *x = &s->items[*it];
    if (x->decision != decision)
      continue;
    out->id_a = x->a;
    out->la = x->la;
    out->id_b = x->b;
    out->lb = x->lb;
    out->decision = x->decision;
    (*it)++;
    return 1;
  }
  return 0;
}

size_t cc_review_set_size(const cc_review_set *s)
{
  return s ? s->n : 0;
}

void cc_review_set_free(cc_review_set *s)
{
  if (s == NULL)
    return;
  free(s->items);
  free(s);
}
