/*
 * enrollment_store.c - who holds a person's enrollments in a period: the
 * pre-registration check of the service (SPEC 5, `004_...` 四(一)).
 *
 * One read transaction: the period's generation, its hash index searched
 * for XXH3-64 of the cleaned ID (index.c draws the layout), each entry
 * with that hash and that very ID kept when its status holds an
 * enrollment (在籍, 休学), and its school name read from the record. The
 * roster labels come from the period's run information, in roster order.
 * Like account_store.c, a file that alone touches LMDB for its caller, to
 * be folded into the storage layer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "chachong/record.h"
#include "error_internal.h"
#include "index_internal.h"
#include "serve_store_internal.h"

/* The n-th "label" of the run info's "rosters" list, into out. */
static void roster_label(char *out, size_t cap, const char *info, unsigned n)
{
  const char *p = info ? strstr(info, "\"rosters\"") : NULL;
  unsigned i;
  snprintf(out, cap, "%u", n);
  for (i = 0; p; i++) {
    const char *q;
    p = strstr(p, "\"label\": \"");
    if (p == NULL)
      return;
    p += 10;
    q = strchr(p, '"');
    if (q == NULL)
      return;
    if (i == n) {
      snprintf(out, cap, "%.*s", (int)(q - p), p);
      return;
    }
    p = q;
  }
}

static void copy_str(char *out, size_t cap, cc_str s)
{
  size_t n = s.len < cap - 1 ? s.len : cap - 1;
  if (n)
    memcpy(out, s.ptr, n);
  out[n] = '\0';
}

int cc_db_enrollments(cc_enrollment **out, size_t *n, cc_db *db,
                      const char *period, const char *id, size_t id_len)
{
  MDB_txn *txn = NULL;
  MDB_dbi rec, idx;
  cc_idx_cursor cur;
  cc_index_item it;
  cc_enrollment *list = NULL;
  size_t count = 0;
  uint64_t hash = cc_id_hash(id, id_len);
  uint32_t gen;
  char *info = NULL;
  int rc, opened = 0;

  *out = NULL;
  *n = 0;
  if ((rc = cc_db_period_info(&info, db, period)) < 0)
    return rc;
  if ((rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn)) != 0) {
    rc = cc_error_set(CC_EIO, "database: begin: %s", mdb_strerror(rc));
    txn = NULL;
    goto done;
  }
  if ((rc = cc_index_period_gen(&gen, db, txn, period)) < 0)
    goto done;
  if ((rc = cc_index_open_gen(&rec, &idx, NULL, txn, gen)) != 0) {
    rc = cc_error_set(CC_EIO, "database: opening period %s: %s", period,
                      mdb_strerror(rc));
    goto done;
  }
  if ((rc = cc_idx_open(&cur, txn, idx)) < 0)
    goto done;
  opened = 1;
  for (rc = cc_idx_seek(&cur, &it, hash, 0, 0); rc == 0 && it.hash == hash;
       rc = cc_idx_next(&cur, &it)) {
    cc_index_rec r;
    cc_enrollment *e, *grown;
    if (it.id_len != id_len || memcmp(it.id, id, id_len) != 0 ||
        !cc_status_holds((cc_status)it.status))
      continue;
    grown = realloc(list, (count + 1) * sizeof *list);
    if (grown == NULL) {
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      goto done;
    }
    list = grown;
    e = &list[count++];
    memset(e, 0, sizeof *e);
    roster_label(e->label, sizeof e->label, info, it.roster);
    snprintf(e->school_code, sizeof e->school_code, "%.*s",
             (int)it.school_code_len, it.school_code);
    e->status = it.status;
    if (cc_index_get_rec(&r, txn, rec, it.roster, it.line) == 0)
      copy_str(e->school_name, sizeof e->school_name, r.text[CC_COL_SCHOOL_NAME]);
  }
  if (rc == CC_ENOTFOUND || rc == 0)
    rc = 0;
done:
  if (opened)
    cc_idx_close(&cur);
  if (txn)
    mdb_txn_abort(txn);
  free(info);
  if (rc < 0) {
    free(list);
    return rc;
  }
  *out = list;
  *n = count;
  return 0;
}
