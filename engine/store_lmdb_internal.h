/*
 * The storage layer's own header: LMDB handles and helpers shared by
 * store.c, store_roster.c and store_findings.c (and the white-box tests).
 * No stage includes it: a stage that needs LMDB asks store_internal.h.
 */
#ifndef CC_STORE_LMDB_INTERNAL_H
#define CC_STORE_LMDB_INTERNAL_H

#include <lmdb.h>

#include "store_internal.h"

struct cc_db {
  MDB_env *env; /* the environment; MDB_NOTLS so any thread may read */
  MDB_dbi meta; /* the "meta" database */
  char *dir;    /* path of the directory */
  int read_only;
};

/* A read transaction over a generation (store_internal.h). */
struct cc_read {
  const cc_gen *g;
  MDB_txn *txn;
  MDB_cursor *rec_cur; /* opened when first used, or NULL */
  MDB_val *dict;       /* the generation's dictionary, read when first
                           used (store_roster.c); into the map */
  size_t n_dict;
  int dict_read; /* 1 once dict has been read */
};

/* Tries of a write transaction that filled the map, each after
 * cc_store_map_grow. */
#define CC_STORE_MAP_TRIES 6

/*
 * The one mapping of LMDB's codes to chachong's, with the message
 * "database: <what>: <LMDB's text>": MDB_NOTFOUND is CC_ENOTFOUND;
 * MDB_CORRUPTED, MDB_INVALID, MDB_VERSION_MISMATCH and MDB_PAGE_NOTFOUND
 * CC_ECORRUPT; ENOMEM CC_ENOMEM; everything else (EIO, ENOSPC, EACCES,
 * MDB_MAP_FULL, MDB_READERS_FULL, ...) CC_EIO. Returns the code.
 */
int cc_store_error(int mrc, const char *what);

/*
 * The handle of the named database `name` in a read-only transaction,
 * safe while other threads do the same (store.c, "Handles of named
 * databases"): the first time a name is asked for in this environment the
 * handle is opened and kept in a transaction of its own, and txn is
 * renewed (reset and begun again: hold no cursor or value of it across
 * this call). LMDB's code: MDB_NOTFOUND when the database does not exist.
 */
int cc_store_dbi_read(MDB_txn *txn, const char *name, MDB_dbi *dbi);

/*
 * A short read transaction, the thread's own renewed when it has one free
 * (store.c, "Read transactions kept per thread"); end it with
 * cc_store_txn_done, never mdb_txn_abort, after closing its cursors.
 * LMDB's code.
 */
int cc_store_txn_read(MDB_env *env, MDB_txn **txn);
void cc_store_txn_done(MDB_txn *txn);

/* Grows the map after MDB_MAP_FULL (no transaction of this process may be
 * active); returns LMDB's code. */
int cc_store_map_grow(cc_db *db, size_t need);

/* "gXXXXXXXX.<suffix>" into buf (32 bytes). */
void cc_store_gen_name(char *buf, uint32_t gen, const char *suffix);

/* Drops every database of generation gen in txn; LMDB's code. */
int cc_store_gen_drop(MDB_txn *txn, uint32_t gen);

/* The meta key "period/YYYY-MM" (14 bytes) into key. */
void cc_store_period_key(uint8_t *key, const char *period);

/* Takes the next generation number from meta; LMDB's code. */
int cc_store_next_gen(cc_db *db, MDB_txn *txn, uint32_t *gen);

/* Opens a read transaction on a published period's generation (end it with
 * cc_store_txn_done). */
int cc_store_begin_period(MDB_txn **txn, uint32_t *gen, cc_db *db,
                          const char *period);

/* The generation a period points to; CC_ENOTFOUND if none. */
int cc_index_period_gen(uint32_t *gen, cc_db *db, MDB_txn *txn,
                        const char *period);

/* Opens the databases of a generation for reading in txn (NULL: not that
 * one). */
int cc_index_open_gen(MDB_dbi *rec, MDB_dbi *idx, MDB_dbi *find, MDB_txn *txn,
                      uint32_t gen);

/* Decodes one idx entry: its 14-byte key and its value. */
int cc_index_decode_idx(cc_index_item *out, const MDB_val *key,
                        const MDB_val *val);
int cc_idx_open(cc_idx_cursor *c, MDB_txn *txn, MDB_dbi idx);
int cc_index_get_rec(cc_index_rec *out, MDB_txn *txn, MDB_dbi rec,
                     uint16_t roster, uint32_t line);
/* The same through a cursor of the rec database: cheaper when the keys
 * come in order. */
int cc_index_cursor_rec(cc_index_rec *out, MDB_cursor *cur, uint16_t roster,
                        uint32_t line);

#endif
