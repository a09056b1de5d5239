/*
 * The account store's private interface (engine/account_store.c): a small
 * byte-blob API over the "accounts" sub-database, so that account.c and
 * the service never call LMDB themselves. Keys and values are opaque
 * bytes here; account.c draws their layout.
 */
#ifndef CC_ACCOUNT_STORE_INTERNAL_H
#define CC_ACCOUNT_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "chachong/index.h"

/* The sub-database of the environment that holds accounts and tokens. */
#define CC_ACCOUNT_DB "accounts"

/* One change of cc_astore_write. */
typedef struct cc_astore_op {
  int kind;          /* CC_ASTORE_PUT, CC_ASTORE_ADD or CC_ASTORE_DEL */
  const void *key;
  size_t klen;
  const void *val;   /* PUT and ADD */
  size_t vlen;
} cc_astore_op;

#define CC_ASTORE_PUT 1 /* store, replacing any value */
#define CC_ASTORE_ADD 2 /* store; the key must be new (else CC_EBUSY) */
#define CC_ASTORE_DEL 3 /* delete; a missing key is no error */

/*
 * The value stored under key, copied.
 * @param[out] out malloc'd copy (free it); NULL on error
 * @return 0; CC_ENOTFOUND when the key (or the sub-database) is missing;
 *         CC_EIO; CC_ENOMEM.
 */
int cc_astore_get(void **out, size_t *len, cc_db *db, const void *key,
                  size_t klen);

/*
 * Applies ops in order, in one write transaction: all or none. An ADD of a
 * key that exists fails the whole write with CC_EBUSY.
 * @return 0; CC_EBUSY; CC_EINVALID on a read-only database; CC_EIO.
 */
int cc_astore_write(cc_db *db, const cc_astore_op *ops, size_t n);

/*
 * Calls fn for each entry whose key starts with prefix, in key order, in
 * one read transaction, until fn returns non-zero (then returned). The
 * bytes are valid during the call only.
 * @return 0, fn's value, or CC_EIO.
 */
int cc_astore_each(cc_db *db, const void *prefix, size_t plen,
                   int (*fn)(void *ctx, const void *k, size_t klen,
                             const void *v, size_t vlen),
                   void *ctx);

/*
 * For a long-lived reader (the service): maps at least `bytes` of the
 * environment's address space, so that a run in another process can grow
 * the file without this process's read transactions failing with
 * MDB_MAP_RESIZED (LMDB adopts another process's larger map only between
 * transactions, which a thread pool never has). Address space only: the
 * file is not grown. Call before any transaction of this process.
 * @return 0 or CC_EIO.
 */
int cc_astore_map_reserve(cc_db *db, size_t bytes);

#endif
