/*
 * lifecycle.c - findings across months (SPEC 3, docs/RULES.md "Across
 * months"): states, deadlines carried over, and the responses of schools.
 *
 * A run's findings are matched with those of the previous period (the
 * latest earlier period in the database) by finding_id, which compare makes
 * from the person, the type and the schools, so it survives new lines and
 * amounts. What a finding was last month decides what it is now:
 *
 *   previous         now        state           issued / deadline
 *   -, cleared       present    new             this run / +10 working days
 *   active           present    open | overdue  carried over
 *   active           gone       cleared         carried over; cleared = D
 *
 * A response is checked here and kept by the findings store
 * (store_findings.c, the "responses" log), one finding's responses
 * adjacent and in the order recorded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit_internal.h"
#include "chachong/lifecycle.h"
#include "error_internal.h"
#include "finding_internal.h"
#include "store_internal.h"
#include "lifecycle_internal.h"

/* ------------------------------------------------------------------ */
/* Responses. */

/* The audit entry of a recorded response: inside the library, so that
 * every caller of cc_response_record leaves one. */
static int response_audit(cc_db *db, const cc_response *r)
{
  char hex[17], date[11];
  cc_finding_id_hex(hex, r->finding_id);
  cc_date_format(date, r->date);
  return cc_audit_action(db, r->user, "resolve", 1,
                         "finding=%s action=%s by=%.*s school=%.*s date=%s",
                         hex,
                         cc_response_action_code((cc_response_action)r->action),
                         (int)strnlen(r->by, sizeof r->by), r->by,
                         (int)strnlen(r->school_code, sizeof r->school_code),
                         r->school_code, date);
}

int cc_response_record(cc_db *db, const cc_response *r)
{
  size_t bl = strnlen(r->by, sizeof r->by - 1);
  int rc, found = 0;
  char **periods = NULL;
  size_t n_periods = 0, i;

  if (r->action <= CC_ACTION_NONE || r->action >= CC_ACTION_COUNT_)
    return cc_error_set(CC_EINVALID,
                        "unknown action (keep, cancel_own, ask_other)");
  if (bl == 0)
    return cc_error_set(CC_EINVALID, "a response needs who gave it (--by)");
  /* The finding must be one the database has issued. */
  if ((rc = cc_db_periods(&periods, &n_periods, db)) < 0)
    return rc;
  for (i = n_periods; i-- > 0 && !found;) {
    cc_finding_list l = {0};
    cc_finding f;
    rc = cc_store_finding_get(&f, &l, db, periods[i], r->finding_id);
    cc_finding_list_dispose(&l);
    if (rc == CC_ENOTFOUND) {
      rc = 0;
      continue;
    }
    if (rc < 0)
      break;
    found = 1;
  }
  for (i = 0; i < n_periods; i++)
    free(periods[i]);
  free(periods);
  if (rc < 0)
    return rc;
  if (!found) {
    char hex[17];
    cc_finding_id_hex(hex, r->finding_id);
    return cc_error_set(CC_ENOTFOUND,
                        "no period in the database has finding %s", hex);
  }

  if ((rc = cc_store_response_put(db, r)) < 0)
    return rc;
  return response_audit(db, r);
}

typedef struct collect {
  cc_response *list;
  size_t n, cap;
} collect;

static int collect_one(void *vctx, const cc_response *r)
{
  collect *c = vctx;
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 8;
    cc_response *grown = realloc(c->list, cap * sizeof *grown);
    if (grown == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory");
    c->list = grown;
    c->cap = cap;
  }
  c->list[c->n++] = *r;
  return 0;
}

int cc_response_list(cc_response **out, size_t *n, cc_db *db,
                     uint64_t finding_id)
{
  collect c = {0};
  int rc = cc_store_each_response(db, finding_id, collect_one, &c);
  if (rc < 0) {
    free(c.list);
    *out = NULL;
    *n = 0;
    return rc;
  }
  *out = c.list;
  *n = c.n;
  return 0;
}

/* ------------------------------------------------------------------ */
/* States. */

typedef struct id_pos {
  uint64_t id;
  size_t pos;
} id_pos;

static int id_pos_cmp(const void *a, const void *b)
{
  const id_pos *x = a, *y = b;
  return x->id < y->id ? -1 : x->id > y->id;
}

static id_pos *find_id(id_pos *map, size_t n, uint64_t id)
{
  id_pos key = {id, 0};
  return bsearch(&key, map, n, sizeof *map, id_pos_cmp);
}

typedef struct apply_ctx {
  cc_finding_list *cur;
  id_pos *map;
  size_t n;
  cc_date seen;
} apply_ctx;

/* The latest response wins; a claim of "resolved" made before this run's
 * issue date, on a finding still present, is flagged. */
static int apply_response(void *vctx, const cc_response *r)
{
  apply_ctx *a = vctx;
  id_pos *hit = find_id(a->map, a->n, r->finding_id);
  cc_finding *f;
  if (hit == NULL)
    return 0;
  /* Responses dated after this run's issue date are not known to it (a
   * re-run of an old period must not see later responses). */
  if (r->date > a->seen)
    return 0;
  f = &a->cur->items[hit->pos];
  f->response_action = r->action;
  f->response_date = r->date;
  if (cc_finding_strdup(&f->response_by, a->cur, r->by, strlen(r->by)) < 0 ||
      cc_finding_strdup(&f->response_school, a->cur, r->school_code,
                        strlen(r->school_code)) < 0 ||
      cc_finding_strdup(&f->response_note, a->cur, r->note, strlen(r->note)) <
          0)
    return cc_error_set(CC_ENOMEM, "out of memory");
  f->claimed =
      f->state != CC_STATE_CLEARED && r->date < a->seen &&
      (r->action == CC_ACTION_CANCEL_OWN || r->action == CC_ACTION_ASK_OTHER);
  return 0;
}

int cc_lifecycle_apply(cc_finding_list *cur, cc_finding_list *prev,
                       const cc_lifecycle_run *run, cc_db *db)
{
  id_pos *map = NULL;
  size_t i, n_cur = cur->n;
  int rc = 0;
  apply_ctx a;

  /* Index the previous period's active findings by id. */
  if (prev && prev->n) {
    size_t k = 0;
    map = malloc(prev->n * sizeof *map);
    if (map == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory");
    for (i = 0; i < prev->n; i++)
      if (prev->items[i].state != CC_STATE_CLEARED) {
        map[k].id = prev->items[i].finding_id;
        map[k].pos = i;
        k++;
      }
    qsort(map, k, sizeof *map, id_pos_cmp);
    for (i = 0; i < n_cur; i++) {
      cc_finding *f = &cur->items[i];
      id_pos *hit = find_id(map, k, f->finding_id);
      f->seen = run->issued;
      if (hit == NULL)
        goto fresh;
      {
        const cc_finding *p = &prev->items[hit->pos];
        f->issued = p->issued;
        f->deadline = p->deadline;
        f->deadline_provisional = p->deadline_provisional;
        memcpy(f->first_period, p->first_period, sizeof f->first_period);
        f->state =
            run->issued <= p->deadline ? CC_STATE_OPEN : CC_STATE_OVERDUE;
        hit->pos = (size_t)-1; /* still present: not cleared */
        continue;
      }
    fresh:
      f->state = CC_STATE_NEW;
      f->issued = run->issued;
      f->deadline = run->deadline;
      f->deadline_provisional = (uint8_t)run->deadline_provisional;
      snprintf(f->first_period, sizeof f->first_period, "%s", run->period);
    }
    /* What was active last month and is gone now is cleared. */
    for (i = 0; i < k; i++) {
      cc_finding f;
      if (map[i].pos == (size_t)-1)
        continue;
      f = prev->items[map[i].pos];
      f.state = CC_STATE_CLEARED;
      f.cleared = run->issued;
      f.cleared_on_time = run->issued <= f.deadline;
      f.seen = run->issued;
      f.claimed = 0;
      if (cc_finding_push(cur, &f) < 0) {
        rc = cc_error_set(CC_ENOMEM, "out of memory");
        goto done;
      }
    }
    /* The cleared findings point into prev's storage: cur takes it over. */
    cc_finding_list_adopt(cur, prev);
  } else {
    for (i = 0; i < n_cur; i++) {
      cc_finding *f = &cur->items[i];
      f->seen = run->issued;
      f->state = CC_STATE_NEW;
      f->issued = run->issued;
      f->deadline = run->deadline;
      f->deadline_provisional = (uint8_t)run->deadline_provisional;
      snprintf(f->first_period, sizeof f->first_period, "%s", run->period);
    }
  }

  /* Responses, by finding id over the whole list. */
  free(map);
  map = malloc((cur->n ? cur->n : 1) * sizeof *map);
  if (map == NULL) {
    rc = cc_error_set(CC_ENOMEM, "out of memory");
    goto done;
  }
  for (i = 0; i < cur->n; i++) {
    map[i].id = cur->items[i].finding_id;
    map[i].pos = i;
  }
  qsort(map, cur->n, sizeof *map, id_pos_cmp);
  a.cur = cur;
  a.map = map;
  a.n = cur->n;
  a.seen = run->issued;
  rc = cc_store_each_response(db, 0, apply_response, &a);
  if (rc == 0)
    cc_finding_list_sort(cur);
done:
  free(map);
  return rc;
}
