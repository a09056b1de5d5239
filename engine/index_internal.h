/*
 * The index stage's private interface: staging a period, appending records
 * and index entries, reading them back in hash ranges, publishing.
 * Used by run.c (writing) and compare.c (reading).
 */
#ifndef CC_INDEX_INTERNAL_H
#define CC_INDEX_INTERNAL_H

#include <lmdb.h>

#include "chachong/finding.h"
#include "chachong/index.h"
#include "chachong/record.h"

struct cc_db {
  MDB_env *env;       /* the environment; MDB_NOTLS so any thread may read */
  MDB_dbi meta;       /* the "meta" database */
  char *dir;          /* path of the directory */
  int read_only;
};

/* An index entry waiting to be sorted and appended (kept in memory). */
typedef struct cc_index_entry {
  uint64_t hash;        /* XXH3-64 of the cleaned ID */
  uint32_t line;        /* physical line */
  uint16_t roster;      /* roster number */
  uint16_t len;         /* payload length */
  const uint8_t *payload; /* encoded idx value (cc_index_encode_idx) */
} cc_index_entry;

/* A period being written: one write transaction. */
typedef struct cc_stage {
  cc_db *db;
  MDB_txn *txn;
  MDB_dbi rec, idx;   /* the generation's databases */
  uint32_t gen;       /* generation number */
  char period[8];     /* "YYYY-MM" */
  /* The rec chunk being filled (index.c, "gXXXXXXXX.rec"). */
  uint8_t *chunk;     /* its records, encoded */
  size_t chunk_len, chunk_cap, chunk_max;
  struct cc_chunk_slot {
    uint32_t line, off;  /* a record's line, its offset in `chunk` */
  } *slots;
  size_t n_chunk, cap_chunk;
  uint16_t chunk_roster;
  /* The idx chunk being filled. */
  uint8_t *ichunk;
  size_t ichunk_len, ichunk_cap, ichunk_max, n_ichunk;
} cc_stage;

/* Upper bound of an idx value's size. */
#define CC_IDX_VALUE_MAX (21 + CC_ID_MAX + 1 + 255 + 1 + 255)

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
/* A fuzzy-tier blocking entry (docs/FUZZY.md): which block a record is in
 * and where its idx entry is. */
typedef struct cc_block_entry {
  uint64_t key;        /* XXH3-64 of name pinyin, birth date, sex */
  uint64_t id_hash;    /* the record's idx key: XXH3-64 of its cleaned ID */
  uint32_t line;
  uint16_t roster;
} cc_block_entry;

/* Sorts blocking entries by (key, roster, line), in parallel. */
int cc_index_sort_blocks(cc_block_entry *e, size_t n, int threads);
/* Sorts the blocking entries of parts[0..k) (taken over and freed, as by
 * cc_index_sort_parts) by (key, roster, line) and keeps only those whose
 * key two or more entries share (a record alone in its block can pair with
 * nobody): *out (malloc'd) holds *n_out of them. */
int cc_index_group_blocks_parts(cc_block_entry **out, size_t *n_out,
                                cc_block_entry **parts, const size_t *lens,
                                int k, int threads);
/* Commits the staged generation (not yet visible as the period). */
int cc_index_stage_commit(cc_stage *st);
/* Abandons the stage; the database is as it was. */
void cc_index_stage_abort(cc_stage *st);

/* Sorts entries by (hash, roster, line), in parallel. */
int cc_index_sort(cc_index_entry *e, size_t n, int threads);
/* Sorts the concatenation of parts[0..k) (lens[i] entries each) into a new
 * array *out (to cc_mem_free), taking the parts over: blocks of cc_mem_alloc
 * (mem_internal.h), they are freed and set to NULL, also on error. At most
 * two arrays of all entries are held at once. */
int cc_index_sort_parts(cc_index_entry **out, cc_index_entry **parts,
                        const size_t *lens, int k, int threads);

/* A decoded idx entry; pointers valid while the read transaction lives. */
typedef struct cc_index_item {
  uint64_t hash;
  uint32_t line;
  uint16_t roster;
  uint8_t status, id_verdict, id_reason, id_upgraded;
  int64_t grant, waiver;
  const char *id;          uint8_t id_len;
  const char *school_code; uint8_t school_code_len;
  const char *name_folded; uint8_t name_folded_len;
} cc_index_item;

/* A decoded rec value; pointers valid while the read transaction lives. */
typedef struct cc_index_rec {
  uint8_t status, id_verdict, id_reason, id_upgraded;
  int64_t grant, waiver;
  cc_str id;
  cc_str text[CC_COL_COUNT]; /* text[CC_COL_NAME] is the registered name */
} cc_index_rec;

/* Decodes one idx entry: its 14-byte key and its value. */
int cc_index_decode_idx(cc_index_item *out, const MDB_val *key,
                        const MDB_val *val);

/* Reading idx, whose values are chunks of entries (index.c): a cursor
 * over its entries, in (hash, roster, line) order. Items point into the
 * map (valid while the read transaction lives). */
typedef struct cc_idx_cursor {
  MDB_cursor *cur;
  const uint8_t *chunk, *p, *end; /* the chunk loaded, the next entry, its end */
  const uint8_t *last;            /* the entry last returned, or NULL */
} cc_idx_cursor;

int cc_idx_open(cc_idx_cursor *c, MDB_txn *txn, MDB_dbi idx);
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
int cc_index_get_rec(cc_index_rec *out, MDB_txn *txn, MDB_dbi rec,
                     uint16_t roster, uint32_t line);
/* The same through a cursor of the rec database: cheaper when the keys
 * come in order (see cc_index_cursor_rec in index.c). */
int cc_index_cursor_rec(cc_index_rec *out, MDB_cursor *cur, uint16_t roster,
                        uint32_t line);
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

/* Opens the databases of a generation for reading in txn. */
int cc_index_open_gen(MDB_dbi *rec, MDB_dbi *idx, MDB_dbi *find, MDB_txn *txn,
                      uint32_t gen);

/* Publishes a staged generation as `period`: stores the findings (in list
 * order, encoded as the layout at the top of index.c says), points the
 * period at the generation, drops the period's previous generation, and
 * stores `run_info` (JSON) — all in one transaction. */
int cc_index_publish(cc_db *db, const char *period, uint32_t gen,
                     const cc_finding_list *findings, const char *run_info);

/* Encodes a finding into buf (grown as needed); returns the length or -1. */
long cc_index_encode_finding(uint8_t **buf, size_t *cap, const cc_finding *f);
/* Decodes a stored finding into `out`, copying strings into `list`. */
int cc_index_decode_finding(cc_finding *out, cc_finding_list *list,
                            const void *data, size_t len);

/* The latest period before `period` that the database holds, into prev
 * (8 bytes); CC_ENOTFOUND when there is none. */
int cc_index_previous_period(char *prev, cc_db *db, const char *period);

/* The records the roster `label` had in `period` (its run info; for a
 * period stored without a roster list, the sum of its school counts).
 * CC_ENOTFOUND when the period holds no count for that label. */
int cc_index_roster_records(uint64_t *out, cc_db *db, const char *period,
                            const char *label);

/*
 * Stores val under key in the sub-database `name` (created when new), in a
 * transaction of its own: an append-only log (the audit log, the schools'
 * responses). The key's 8 bytes at `at` are a time in microseconds, `us`;
 * when another entry has that key, the next microsecond is tried. Errors
 * are CC_EIO, their message starting with `what`.
 */
int cc_db_put_timed(cc_db *db, const char *name, uint8_t *key, size_t klen,
                    size_t at, uint64_t us, const void *val, size_t vlen,
                    const char *what);

/*
 * Calls fn(ctx, key, value) for the entries of the sub-database `name`, in
 * key order from the first key at or after `from` (NULL: the first), in a
 * read transaction of its own, until fn returns non-zero, which is then
 * returned. A sub-database never written is empty (0). The values are
 * valid during the call only. LMDB errors are CC_EIO, the message starting
 * with `what`. For the logs (the audit log, responses, review decisions).
 */
int cc_db_each(cc_db *db, const char *name, const void *from, size_t from_len,
               int (*fn)(void *ctx, const MDB_val *k, const MDB_val *v),
               void *ctx, const char *what);

/* One entry of cc_db_put_timed_n: as the arguments of cc_db_put_timed. */
typedef struct cc_db_timed {
  const char *name;  /* the sub-database (created when new) */
  uint8_t *key;      /* its key; the 8 bytes at `at` are written */
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

/* The generation a period points to; CC_ENOTFOUND if none. */
int cc_index_period_gen(uint32_t *gen, cc_db *db, MDB_txn *txn,
                        const char *period);

#endif
