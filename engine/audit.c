/*
 * audit.c - the audit log: who queried, exported, reported or resolved what
 * ("谁导出、谁负责", POLICY.md).
 *
 * Entries live in the "audit" database of the environment, never dropped:
 *
 *   key:   0 u64 microseconds since 1970 | 8 u32 process id     (12 bytes)
 *   value: 0 i64 when (seconds) | 8 u64 records
 *          | u8 length | user | u8 length | command | u16 length | what
 *
 * Keys sort by time. Each entry is its own write transaction, committed
 * before the caller hands any data out: an export whose audit entry cannot
 * be written does not happen.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "chachong/audit.h"
#include "audit_internal.h"
#include "bytes_internal.h"
#include "error_internal.h"
#include "index_internal.h"

void cc_audit_user(char *out, const char *given)
{
  struct passwd pw, *res = NULL;
  char buf[1024];
  if (given && *given) {
    snprintf(out, 64, "%s", given);
    return;
  }
  if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &res) == 0 && res)
    snprintf(out, 64, "%s", res->pw_name);
  else
    snprintf(out, 64, "uid:%u", (unsigned)getuid());
}


size_t cc_audit_encode(uint8_t key[CC_AUDIT_KEY_LEN], uint8_t *val,
                       const cc_audit_entry *e)
{
  uint8_t *p = val;
  size_t ul = strnlen(e->user, sizeof e->user - 1);
  size_t cl = strnlen(e->command, sizeof e->command - 1);
  size_t wl = strnlen(e->what, sizeof e->what - 1);
  uint32_t pid = (uint32_t)getpid();

  put_u64(p, (uint64_t)e->when);
  put_u64(p + 8, e->records);
  p += 16;
  *p++ = (uint8_t)ul;
  memcpy(p, e->user, ul);
  p += ul;
  *p++ = (uint8_t)cl;
  memcpy(p, e->command, cl);
  p += cl;
  *p++ = (uint8_t)(wl >> 8);
  *p++ = (uint8_t)wl;
  memcpy(p, e->what, wl);
  p += wl;

  memset(key, 0, 8);
  key[8] = (uint8_t)(pid >> 24);
  key[9] = (uint8_t)(pid >> 16);
  key[10] = (uint8_t)(pid >> 8);
  key[11] = (uint8_t)pid;
  return (size_t)(p - val);
}

int cc_audit_record(cc_db *db, const cc_audit_entry *e)
{
  uint8_t key[CC_AUDIT_KEY_LEN], val[CC_AUDIT_VALUE_MAX];
  struct timeval tv;
  size_t len;

  if (db->read_only)
    return cc_error_set(CC_EINVALID, "the audit log needs a writable database");
  gettimeofday(&tv, NULL);
  len = cc_audit_encode(key, val, e);
  return cc_db_put_timed(db, CC_AUDIT_DB, key, sizeof key, 0,
                         (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec,
                         val, len, "audit log");
}

int cc_audit_list(cc_audit_entry **out, size_t *n, cc_db *db, int64_t since)
{
  MDB_txn *txn;
  MDB_dbi dbi;
  MDB_cursor *cur;
  MDB_val k, v;
  cc_audit_entry *list = NULL;
  size_t count = 0, cap = 0;
  int rc, mrc;

  *out = NULL;
  *n = 0;
  if ((rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn)) != 0)
    return cc_error_set(CC_EIO, "audit log: %s", mdb_strerror(rc));
  rc = mdb_dbi_open(txn, CC_AUDIT_DB, 0, &dbi);
  if (rc == MDB_NOTFOUND) {
    mdb_txn_abort(txn);
    return 0;
  }
  if (rc != 0 || (rc = mdb_cursor_open(txn, dbi, &cur)) != 0) {
    mdb_txn_abort(txn);
    return cc_error_set(CC_EIO, "audit log: %s", mdb_strerror(rc));
  }
  rc = 0;
  for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
       mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    const uint8_t *p = v.mv_data, *end = p + v.mv_size;
    cc_audit_entry e;
    size_t len;
    memset(&e, 0, sizeof e);
    if (v.mv_size < 20) {
      rc = cc_error_set(CC_ECORRUPT, "audit log: bad entry");
      break;
    }
    e.when = (int64_t)get_u64(p);
    e.records = get_u64(p + 8);
    p += 16;
    len = *p++;
    if (p + len > end || len >= sizeof e.user) {
      rc = cc_error_set(CC_ECORRUPT, "audit log: bad entry");
      break;
    }
    memcpy(e.user, p, len);
    p += len;
    len = p < end ? *p++ : 0;
    if (p + len > end || len >= sizeof e.command) {
      rc = cc_error_set(CC_ECORRUPT, "audit log: bad entry");
      break;
    }
    memcpy(e.command, p, len);
    p += len;
    if (p + 2 > end) {
      rc = cc_error_set(CC_ECORRUPT, "audit log: bad entry");
      break;
    }
    len = (size_t)p[0] << 8 | p[1];
    p += 2;
    if (p + len > end || len >= sizeof e.what) {
      rc = cc_error_set(CC_ECORRUPT, "audit log: bad entry");
      break;
    }
    memcpy(e.what, p, len);
    if (e.when < since)
      continue;
    if (count == cap) {
      size_t ncap = cap ? cap * 2 : 64;
      cc_audit_entry *grown = realloc(list, ncap * sizeof *grown);
      if (grown == NULL) {
        rc = cc_error_set(CC_ENOMEM, "out of memory");
        break;
      }
      list = grown;
      cap = ncap;
    }
    list[count++] = e;
  }
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  if (rc < 0) {
    free(list);
    return rc;
  }
  *out = list;
  *n = count;
  return 0;
}
