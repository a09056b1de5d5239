/*
 * The storage layer as the stages see it (private to the engine). Three
 * files own it and alone call LMDB (docs/ARCHITECTURE.md):
 *   store.c          the environment, transactions, meta, generations, the
 *                    logs, and the one mapping of LMDB's errors
 *   store_roster.c   the roster and index layouts (rec, idx, schools)
 *                    with their writers and cursors
 *   store_findings.c the findings store (write, load, one finding by id)
 *                    and the schools' responses
 * The stages hold a cc_db, a cc_stage while writing a generation, and a
 * cc_gen and one cc_read per thread while reading one; they never see an
 * LMDB handle or a byte layout. Errors of LMDB come back as: not found
 * CC_ENOTFOUND, a damaged or foreign database CC_ECORRUPT, out of memory
 * CC_ENOMEM, anything else (I/O, disk or map full, readers full, a lock)
 * CC_EIO (cc_store_error in store.c).
 */
#ifndef CC_STORE_INTERNAL_H
#define CC_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "chachong/finding.h"
#include "chachong/index.h"
#include "chachong/record.h"

struct MDB_txn;
struct MDB_cursor;

/* 1 when the database was opened read-only. */
int cc_db_read_only(const cc_db *db);

/*
 * For a process whose threads read while it also writes (the service):
 * opens and keeps the handles of the logs it writes (the sub-databases
 * `names`, created when missing, in a write transaction of their own:
 * call before any other transaction), so that its write transactions
 * never make a new handle while its readers make theirs (store.c,
 * "Handles of named databases"). Nothing for a read-only database.
 */
int cc_db_keep_dbis(cc_db *db, const char *const *names, size_t n);

/* The directory the database was opened at (files of its own beside the
 * environment: the service's audit store). */
const char *cc_db_dir(const cc_db *db);

/* ------------------------------------------------------------------ */
/* Writing a generation (store_roster.c). */

/* An index entry waiting to be sorted and appended (kept in memory). */
typedef struct cc_index_entry {
  uint64_t hash;          /* XXH3-64 of the cleaned ID */
  uint32_t line;          /* physical line */
  uint16_t roster;        /* roster number */
  uint16_t len;           /* payload length */
  const uint8_t *payload; /* encoded idx value (cc_index_encode_idx) */
} cc_index_entry;

/* A fuzzy-tier blocking entry (docs/FUZZY.md): which block a record is in
 * and where its idx entry is. */
typedef struct cc_block_entry {
  uint64_t key;     /* XXH3-64 of name pinyin, birth date, sex */
  uint64_t id_hash; /* the record's idx key: XXH3-64 of its cleaned ID */
  uint32_t line;
  uint16_t roster;
} cc_block_entry;

/* A period being written: one write transaction. The LMDB handles are
 * store_roster.c's; the stage only passes the struct back. */
typedef struct cc_stage {
  cc_db *db;
  struct MDB_txn *txn;
  unsigned rec, idx; /* the generation's databases (MDB_dbi) */
  uint32_t gen;      /* generation number */
  char period[8];    /* "YYYY-MM" */
  /* The rec chunk being filled (store_roster.c, "gXXXXXXXX.rec"). */
  uint8_t *chunk; /* its records, encoded */
  size_t chunk_len, chunk_cap, chunk_max;
  struct cc_chunk_slot {
    uint32_t line, off; /* a record's line, its offset in `chunk` */
  } * slots;
  size_t n_chunk, cap_chunk;
  size_t chunk_tab; /* bytes its slot table takes, less the count */
  uint16_t chunk_roster;
  struct cc_dict_build *dict; /* the generation's dictionary (rec) */
  /* The idx chunk being filled. */
  uint8_t *ichunk;
  size_t ichunk_len, ichunk_cap, ichunk_max, n_ichunk;
} cc_stage;

/* Upper bound of an idx value's size (store_roster.c: a 2-byte head, the
 * ID with its length, two varints of at most 10 bytes, school code and
 * folded name with a byte of length each). */
#define CC_IDX_VALUE_MAX (2 + 1 + CC_ID_MAX + 10 + 10 + 1 + 255 + 1 + 255)

/* Encodes the idx value of a record into out (CC_IDX_VALUE_MAX bytes);
 * returns its length. */
size_t cc_index_encode_idx(uint8_t *out, const cc_record *rec);

/* Starts staging a period in a new generation. `estimate` is the expected
 * number of bytes to write (the map is grown for it). */
int cc_index_stage_begin(cc_stage *out, cc_db *db, const char *period,
                         uint64_t estimate);
/* Appends one record (records must come in (roster, line) order). */
int cc_index_stage_record(cc_stage *st, const cc_record *rec);
/* Sorts nothing: appends entries already sorted by (hash, roster, line). */
int cc_index_stage_entries(cc_stage *st, const cc_index_entry *e, size_t n);
/* Stores the records per school of the staged generation. */
int cc_index_stage_schools(cc_stage *st, const cc_school_count *c, size_t n);
/* Commits the staged generation (not yet visible as the period). */
int cc_index_stage_commit(cc_stage *st);
/* Abandons the stage; the database is as it was. */
void cc_index_stage_abort(cc_stage *st);

/* ------------------------------------------------------------------ */
/* Reading a generation (store.c, store_roster.c). */

/* The databases of a generation, opened once by one thread before any
 * reader starts (lmdb.h: mdb_dbi_open must not run in two transactions at
 * once); valid while the cc_db is open. */
typedef struct cc_gen {
  cc_db *db;
  uint32_t gen;
  unsigned rec, idx;                /* MDB_dbi handles, for store*.c only */
  const struct cc_index_entry *mem; /* or: the idx in memory (below) */
  size_t n_mem;
} cc_gen;

/*
 * A generation whose idx is read from memory: the sorted entries that
 * cc_index_stage_entries appends (e[0, n) in key order, their payloads
 * alive until the last reader ends), so that the exact and fuzzy tiers can
 * read it while the write transaction that stores it is still going on.
 * Its readers and idx cursors answer as the database's would, from the
 * same bytes; it has no rec database (cc_store_rec_get fails).
 */
void cc_store_gen_memory(cc_gen *out, const struct cc_index_entry *e, size_t n);

/* Opens a generation's rec and idx databases. CC_ENOTFOUND when the
 * generation lacks one. */
int cc_store_gen_open(cc_gen *out, cc_db *db, uint32_t gen);

/* A read transaction over a generation, for one thread: it keeps a cursor
 * on rec, opened when first used. What it returns points
 * into the map and is valid until cc_store_read_end. */
typedef struct cc_read cc_read;

int cc_store_read_begin(cc_read **out, const cc_gen *g);
/* Ends the transaction; NULL is allowed. */
void cc_store_read_end(cc_read *r);

/* A decoded idx entry; pointers valid while the read transaction lives. */
typedef struct cc_index_item {
  uint64_t hash;
  uint32_t line;
  uint16_t roster;
  uint8_t status, id_verdict, id_reason, id_upgraded;
  int64_t grant, waiver;
  char id[CC_ID_MAX];
  uint8_t id_len; /* a copy: idx packs it */
  const char *school_code;
  uint8_t school_code_len;
  const char *name_folded;
  uint8_t name_folded_len;
} cc_index_item;

/* A decoded rec value; pointers valid while the read transaction lives.
 * id, and text[CC_COL_RECORD_ID] when rec packs it, point into the
 * struct's own buffers: use it where it was decoded, do not copy it. */
typedef struct cc_index_rec {
  uint8_t status, id_verdict, id_reason, id_upgraded;
  int64_t grant, waiver;
  cc_str id;
  cc_str text[CC_COL_COUNT]; /* text[CC_COL_NAME] is the registered name */
  char id_buf[CC_ID_MAX];
  char record_id_buf[32]; /* CC_REC_PACK_MAX (store_roster.c) */
} cc_index_rec;

/* The record (roster, line) through r's rec cursor: cheapest when the keys
 * come in order. CC_ENOTFOUND when there is none. */
int cc_store_rec_get(cc_index_rec *out, cc_read *r, uint16_t roster,
                     uint32_t line);

/* Reading idx, whose values are chunks of entries (store_roster.c): a
 * cursor over its entries, in (hash, roster, line) order. Items point into
 * the map (valid while the read transaction lives). */
typedef struct cc_idx_cursor {
  struct MDB_cursor *cur;
  const uint8_t *chunk, *p,
      *end;            /* the chunk loaded, the next entry, its end */
  const uint8_t *last; /* the entry last returned, or NULL */
  const struct cc_index_entry *mem; /* a generation in memory: entries, */
  size_t n_mem, at;                 /* how many, the next one */
} cc_idx_cursor;

/* Opens a cursor on r's generation's idx; close it with cc_idx_close. */
int cc_store_idx_open(cc_idx_cursor *c, cc_read *r);
void cc_idx_close(cc_idx_cursor *c);
/* The first entry whose key is at or after (hash, roster, line);
 * CC_ENOTFOUND when there is none. */
int cc_idx_seek(cc_idx_cursor *c, cc_index_item *out, uint64_t hash,
                uint16_t roster, uint32_t line);
/* The entry after the last one read; CC_ENOTFOUND at the end. */
int cc_idx_next(cc_idx_cursor *c, cc_index_item *out);
/* The entry with this key; CC_ENOTFOUND when there is none. Cheapest when
 * asked in key order. */
int cc_idx_get(cc_idx_cursor *c, cc_index_item *out, uint64_t hash,
               uint16_t roster, uint32_t line);

/* Lets go of the map's pages holding [lo, hi], addresses of values read
 * from the database (read-only transactions only). */
void cc_index_release_span(const void *lo, const void *hi);

/* Lets go of the pages of the map this process has read (they stay in the
 * page cache); safe while read transactions are open. Not free: it zaps
 * the page tables of the whole map and stalls the other threads' page
 * faults meanwhile, so it is called between parallel steps (after the
 * fuzzy tier), not inside them: called after every range, it cost compare
 * 0.6 s and its scaling at national scale. Inside a parallel step, a
 * thread lets go of what it alone has read with cc_index_release_span. */
void cc_index_release_pages(cc_db *db);

/* ------------------------------------------------------------------ */
/* Periods (store.c). */

/* The latest period before `period` that the database holds, into prev
 * (8 bytes); CC_ENOTFOUND when there is none. */
int cc_index_previous_period(char *prev, cc_db *db, const char *period);

/* The records the roster `label` had in `period` (its run info; for a
 * period stored without a roster list, the sum of its school counts).
 * CC_ENOTFOUND when the period holds no count for that label. */
int cc_index_roster_records(uint64_t *out, cc_db *db, const char *period,
                            const char *label);

/* ------------------------------------------------------------------ */
/* The findings store (store_findings.c). */

/* Publishes a staged generation as `period`: stores the findings (in list
 * order, encoded as the layout at the top of store_findings.c says) with
 * their finding_id index, points the period at the generation, drops the
 * period's previous generation, and stores `run_info` (JSON) — all in one
 * transaction. */
int cc_index_publish(cc_db *db, const char *period, uint32_t gen,
                     const cc_finding_list *findings, const char *run_info);

/* Encodes a finding into buf (grown as needed); returns the length or -1. */
long cc_index_encode_finding(uint8_t **buf, size_t *cap, const cc_finding *f);
/* Decodes a stored finding into `out`, copying strings into `list`. */
int cc_index_decode_finding(cc_finding *out, cc_finding_list *list,
                            const void *data, size_t len);

/*
 * Finding `finding_id` of a published period, decoding that finding only
 * (through the period's finding_id index; a period published before the
 * index existed is scanned, reading each finding's id, not decoding it).
 * Its strings go into `list`, which the caller disposes.
 * @return 0; CC_ENOTFOUND when the period or the finding is not there;
 *         CC_EINVALID for a malformed period; CC_ECORRUPT; CC_EIO.
 */
int cc_store_finding_get(cc_finding *out, cc_finding_list *list, cc_db *db,
                         const char *period, uint64_t finding_id);

/* Stores a school's response (the "responses" log). The caller has
 * checked it; its text fields are cut at their sizes. */
int cc_store_response_put(cc_db *db, const cc_response *r);

/* Calls fn(ctx, response) for every response (of one finding when
 * finding_id != 0), in the order recorded, until fn returns non-zero,
 * which is then returned. The response is valid during the call only. */
int cc_store_each_response(cc_db *db, uint64_t finding_id,
                           int (*fn)(void *ctx, const cc_response *r),
                           void *ctx);

/* ------------------------------------------------------------------ */
/* Logs that outlive every period (store.c): the audit log, the review
 * decisions. Their values are laid out by the file that owns each log. */

/* A key or value handed to a log's reader; valid during the call only. */
typedef struct cc_bytes {
  const uint8_t *p;
  size_t n;
} cc_bytes;

/*
 * Stores val under key in the sub-database `name` (created when new), in a
 * transaction of its own: an append-only log (the audit log, the schools'
 * responses). The key's 8 bytes at `at` are a time in microseconds, `us`;
 * when another entry has that key, the next microsecond is tried. Errors
 * are cc_store_error's, their message starting with `what`.
 */
int cc_db_put_timed(cc_db *db, const char *name, uint8_t *key, size_t klen,
                    size_t at, uint64_t us, const void *val, size_t vlen,
                    const char *what);

/*
 * Calls fn(ctx, key, value) for the entries of the sub-database `name`, in
 * key order from the first key at or after `from` (NULL: the first), in a
 * read transaction of its own, until fn returns non-zero, which is then
 * returned. A sub-database never written is empty (0). The values are
 * valid during the call only. Errors are cc_store_error's, the message
 * starting with `what`. For the logs (the audit log, responses, review
 * decisions).
 */
int cc_db_each(cc_db *db, const char *name, const void *from, size_t from_len,
               int (*fn)(void *ctx, const cc_bytes *k, const cc_bytes *v),
               void *ctx, const char *what);

/* One entry of cc_db_put_timed_n: as the arguments of cc_db_put_timed. */
typedef struct cc_db_timed {
  const char *name; /* the sub-database (created when new) */
  uint8_t *key;     /* its key; the 8 bytes at `at` are written */
  size_t klen, at;
  const void *val;
  size_t vlen;
} cc_db_timed;

/*
 * cc_db_put_timed for n entries, all in one transaction: all are stored or
 * none (a review decision and its audit entry).
 */
int cc_db_put_timed_n(cc_db *db, const cc_db_timed *e, size_t n, uint64_t us,
                      const char *what);

/* ------------------------------------------------------------------ */
/* Responses (store_findings.c). */

/* The schools' responses (layout in store_findings.c): the
 * sub-database, its key (u64 finding_id | u64 microseconds) and the
 * longest value. */
#define CC_RESPONSE_DB "responses"
#define CC_RESPONSE_KEY_LEN 16
#define CC_RESPONSE_VALUE_MAX (13 + 1 + 64 + 1 + 64 + 2 + 512 + 1 + 256 + 12)

/*
 * Encodes a response: its key, whose time (bytes 8-15) is left 0 for
 * cc_db_put_timed / cc_db_put_timed_n to write, and its value into val
 * (CC_RESPONSE_VALUE_MAX bytes); recorded_at 0 is stored as `now`.
 * Returns the value's length. For cc_response_record, and for the answer
 * import, which writes a response and its audit entry in one transaction.
 */
size_t cc_response_encode(uint8_t key[CC_RESPONSE_KEY_LEN], uint8_t *val,
                          const cc_response *r, int64_t now);

/* ------------------------------------------------------------------ */
/* Accounts of the service (store.c). */

/* The sub-database of the environment that holds accounts and tokens. */
#define CC_ACCOUNT_DB "accounts"

/* One change of cc_astore_write. */
typedef struct cc_astore_op {
  int kind; /* CC_ASTORE_PUT, CC_ASTORE_ADD or CC_ASTORE_DEL */
  const void *key;
  size_t klen;
  const void *val; /* PUT and ADD */
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

/* ------------------------------------------------------------------ */
/* The pre-registration check (store_roster.c). */

/* An active enrollment of a person. */
typedef struct cc_enrollment {
  char label[33];        /* roster label */
  char school_code[256]; /* as registered */
  char school_name[256]; /* as registered, or "" */
  uint8_t status;        /* cc_status: enrolled or suspended */
} cc_enrollment;

/*
 * The records of a period whose cleaned ID is id and whose status holds an
 * enrollment (在籍, 休学), in index order (roster, line).
 * @param[out] out malloc'd (free it); NULL when none
 * @return 0; CC_ENOTFOUND when the period is not held; CC_ECORRUPT when it
 *         was stored in format 1 or 2 (store.c); CC_EIO; CC_ENOMEM.
 */
int cc_db_enrollments(cc_enrollment **out, size_t *n, cc_db *db,
                      const char *period, const char *id, size_t id_len);

#endif
