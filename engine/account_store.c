/*
 * account_store.c - the only file where accounts and API tokens meet LMDB.
 *
 * Accounts live in the "accounts" sub-database of the run's environment
 * (account.c draws the keys and values); this file stores and reads
 * opaque byte blobs:
 *
 *   cc_astore_get    one value, copied out of a read transaction
 *   cc_astore_write  puts and deletes, all in one write transaction
 *   cc_astore_each   the entries under a key prefix, in key order
 *
 * Read transactions are short (one copy) so that a service holding the
 * environment open never keeps the monthly run from reusing pages. A
 * write waits for LMDB's writer lock, so it waits for a run that is
 * staging a period: account changes are rare and made from the command
 * line. cc_astore_map_reserve sizes the map of a long-lived reader (the
 * service) so that runs in other processes never make its reads fail.
 * Login sessions are not stored here (serve_session.c keeps them in
 * the service's memory).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "account_store_internal.h"
#include "error_internal.h"
#include "index_internal.h"

static int store_error(int rc, const char *what)
{
  if (rc == ENOMEM)
    return cc_error_set(CC_ENOMEM, "accounts: %s: out of memory", what);
  return cc_error_set(CC_EIO, "accounts: %s: %s", what, mdb_strerror(rc));
}

int cc_astore_get(void **out, size_t *len, cc_db *db, const void *key,
                  size_t klen)
{
  MDB_txn *txn = NULL;
  MDB_dbi dbi;
  MDB_val k, v;
  int rc;

  *out = NULL;
  *len = 0;
  if ((rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn)) != 0)
    return store_error(rc, "begin");
  rc = mdb_dbi_open(txn, CC_ACCOUNT_DB, 0, &dbi);
  if (rc == 0) {
    k.mv_data = (void *)key;
    k.mv_size = klen;
    rc = mdb_get(txn, dbi, &k, &v);
  }
  if (rc == MDB_NOTFOUND) {
    rc = CC_ENOTFOUND; /* no message: the caller says what was missing */
    goto done;
  }
  if (rc != 0) {
    rc = store_error(rc, "read");
    goto done;
  }
  /* One byte more, so that a text value may be used as a C string. */
  *out = malloc(v.mv_size + 1);
  if (*out == NULL) {
    rc = cc_error_set(CC_ENOMEM, "out of memory");
    goto done;
  }
  memcpy(*out, v.mv_data, v.mv_size);
  ((char *)*out)[v.mv_size] = '\0';
  *len = v.mv_size;
done:
  mdb_txn_abort(txn);
  return rc;
}

int cc_astore_write(cc_db *db, const cc_astore_op *ops, size_t n)
{
  MDB_txn *txn = NULL;
  MDB_dbi dbi;
  size_t i;
  int rc;

  if (db->read_only)
    return cc_error_set(CC_EINVALID, "accounts: the database is open read-only");
  if ((rc = mdb_txn_begin(db->env, NULL, 0, &txn)) != 0)
    return store_error(rc, "begin");
  if ((rc = mdb_dbi_open(txn, CC_ACCOUNT_DB, MDB_CREATE, &dbi)) != 0) {
    rc = store_error(rc, "open");
    goto fail;
  }
  for (i = 0; i < n; i++) {
    MDB_val k, v;
    k.mv_data = (void *)ops[i].key;
    k.mv_size = ops[i].klen;
    v.mv_data = (void *)ops[i].val;
    v.mv_size = ops[i].vlen;
    if (ops[i].kind == CC_ASTORE_DEL) {
      rc = mdb_del(txn, dbi, &k, NULL);
      if (rc == MDB_NOTFOUND)
        rc = 0;
    } else {
      rc = mdb_put(txn, dbi, &k, &v,
                   ops[i].kind == CC_ASTORE_ADD ? MDB_NOOVERWRITE : 0);
      if (rc == MDB_KEYEXIST) {
        rc = cc_error_set(CC_EBUSY, "accounts: the entry exists already");
        goto fail;
      }
    }
    if (rc != 0) {
      rc = store_error(rc, "write");
      goto fail;
    }
  }
  rc = mdb_txn_commit(txn);
  return rc ? store_error(rc, "commit") : 0;
fail:
  mdb_txn_abort(txn);
  return rc;
}

int cc_astore_each(cc_db *db, const void *prefix, size_t plen,
                   int (*fn)(void *ctx, const void *k, size_t klen,
                             const void *v, size_t vlen),
                   void *ctx)
{
  MDB_txn *txn = NULL;
  MDB_cursor *cur = NULL;
  MDB_dbi dbi;
  MDB_val k, v;
  int rc, mrc;

  if ((rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn)) != 0)
    return store_error(rc, "begin");
  rc = mdb_dbi_open(txn, CC_ACCOUNT_DB, 0, &dbi);
  if (rc == MDB_NOTFOUND) { /* never written: no accounts */
    rc = 0;
    goto done;
  }
  if (rc != 0 || (rc = mdb_cursor_open(txn, dbi, &cur)) != 0) {
    rc = store_error(rc, "list");
    goto done;
  }
  k.mv_data = (void *)prefix;
  k.mv_size = plen;
  for (mrc = mdb_cursor_get(cur, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
       mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
      break;
    if ((rc = fn(ctx, k.mv_data, k.mv_size, v.mv_data, v.mv_size)) != 0)
      break;
  }
  if (mrc != 0 && mrc != MDB_NOTFOUND && rc == 0)
    rc = store_error(mrc, "list");
done:
  if (cur)
    mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  return rc;
}

int cc_astore_map_reserve(cc_db *db, size_t bytes)
{
  MDB_envinfo info;
  int rc;
  mdb_env_info(db->env, &info);
  if (info.me_mapsize >= bytes)
    return 0;
  if ((rc = mdb_env_set_mapsize(db->env, bytes)) != 0)
    return store_error(rc, "reserving the map");
  return 0;
}
