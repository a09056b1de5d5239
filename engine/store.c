/*
 * store.c - the storage layer's base: the LMDB environment, transactions,
 * the meta database, generations and periods, the logs, and the one
 * mapping of LMDB's errors to chachong's (cc_store_error). With
 * store_roster.c and store_findings.c it is the only code that calls LMDB
 * (docs/ARCHITECTURE.md); the stages use store_internal.h.
 *
 * One environment (--db DIR) holds every period. A period's data live in a
 * *generation*: sub-databases named by an 8-hex-digit number (rec, idx,
 * schools: store_roster.c; find, fid: store_findings.c). A run
 * writes a new generation (stage), compares over it, then publishes it:
 * one transaction points the period at the new generation, stores the
 * findings and drops the old generation. Until then the period still
 * points at its old data, so a run that fails or is killed at any moment
 * leaves the database as it was; the orphaned generation of a killed run
 * is dropped when the database is next opened.
 *
 * All integers are big-endian, so that byte order is numeric order.
 * store_roster.c draws the roster databases (rec, idx, schools),
 * store_findings.c the findings (find, fid) and the responses;
 * docs/ARCHITECTURE.md has them all as byte tables.
 *
 * "meta" (one per environment)
 *   key                      value
 *   "format"                 u32 CC_DB_FORMAT (3; a database of format
 *                            1, whose records were one per value, or 2,
 *                            whose records and index entries spelt every
 *                            field out, is taken as it is: see cc_db_open)
 *   "next_gen"               u32 next generation number
 *   "period/YYYY-MM"         u32 generation | run info (JSON text)
 *   "staging/" u32 gen       "YYYY-MM" | u32 pid of the run (a generation
 *                            not yet published; dropped at open once that
 *                            process is gone)
 *
 * Logs that outlive every period, each drawn in the file that owns it:
 * "audit" (audit.c), "responses" (store_findings.c), "reviews" (review.c).
 *
 * Settings: MDB_NOTLS (OpenMP workers each hold a read transaction) and the
 * map grown before each run to fit it. Not MDB_WRITEMAP: with it, every
 * page a run writes stays mapped into the process until it ends (7.5 GB
 * resident at national scale, against 6.1 GB without, and 3 s slower);
 * without it LMDB keeps a bounded list of dirty pages and spills the rest
 * to the file during the transaction, which an append-only load never
 * touches again. Either way nothing is visible before commit. Commits are
 * fsync'ed unless the caller asks for no_sync (then a power failure, not a killed process, may
 * lose the last run).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes_internal.h"
#include "error_internal.h"
#include "fs_internal.h"
#include "store_lmdb_internal.h"

#define META_NAME "meta"
#define MAX_DBS 4096

int cc_store_error(int rc, const char *what)
{
  int code = CC_EIO;
  if (rc == MDB_NOTFOUND)
    code = CC_ENOTFOUND;
  else if (rc == MDB_CORRUPTED || rc == MDB_INVALID ||
           rc == MDB_VERSION_MISMATCH || rc == MDB_PAGE_NOTFOUND)
    code = CC_ECORRUPT;
  else if (rc == ENOMEM)
    code = CC_ENOMEM;
  /* A full map is the database's limit, not the machine's memory: the map
   * is sized before each run and grown on MDB_MAP_FULL where the
   * transaction can be tried again (cc_store_map_grow), so this is rare. */
  if (rc == MDB_MAP_FULL)
    return cc_error_set(code, "database: %s: the database map is full", what);
  return cc_error_set(code, "database: %s: %s", what, mdb_strerror(rc));
}

/*
 * Grows the map after MDB_MAP_FULL, to twice its size and at least `need`
 * bytes more: only between transactions (lmdb.h, mdb_env_set_mapsize: no
 * transaction of this process may be active), so the caller has aborted
 * the one that filled it and retries it. The map is address space, not
 * memory: without MDB_WRITEMAP the file grows only by the pages written.
 */
int cc_store_map_grow(cc_db *db, size_t need)
{
  MDB_envinfo info;
  size_t want;
  mdb_env_info(db->env, &info);
  want = info.me_mapsize * 2;
  if (want < info.me_mapsize + need)
    want = info.me_mapsize + need;
  return mdb_env_set_mapsize(db->env, want);
}

void cc_store_gen_name(char *buf, uint32_t gen, const char *suffix)
{
  snprintf(buf, 32, "g%08x.%s", gen, suffix);
}

static void forget_dbi(MDB_env *env, const char *name);

int cc_store_gen_drop(MDB_txn *txn, uint32_t gen)
{
  /* "fid" is new with the finding_id index: a generation written before
   * it has none, and mdb_dbi_open finds nothing to drop. */
  static const char *const parts[] = {"rec", "idx",     "find",
                                      "fid", "schools", "blk"};
  size_t j;
  int rc;
  for (j = 0; j < sizeof parts / sizeof parts[0]; j++) {
    char name[32];
    MDB_dbi dbi;
    cc_store_gen_name(name, gen, parts[j]);
    if (mdb_dbi_open(txn, name, 0, &dbi) != 0)
      continue;
    /* mdb_drop closes the handle at once: it is kept no more. */
    forget_dbi(mdb_txn_env(txn), name);
    if ((rc = mdb_drop(txn, dbi, 1)) != 0)
      return rc;
  }
  return 0;
}

/* Drops the staged generations that were never published (killed runs). */
static int drop_orphans(cc_db *db)
{
  MDB_txn *txn;
  MDB_cursor *cur;
  MDB_val k, v;
  int rc, mrc;
  uint32_t gens[64];
  size_t n = 0, i;

  if ((rc = mdb_txn_begin(db->env, NULL, 0, &txn)) != 0)
    return cc_store_error(rc, "begin");
  if ((rc = mdb_cursor_open(txn, db->meta, &cur)) != 0)
    goto fail;
  k.mv_data = "staging/";
  k.mv_size = 8;
  for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0 && n < 64;
       mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    if (k.mv_size != 12 || memcmp(k.mv_data, "staging/", 8) != 0)
      break;
    /* A stage whose run is still alive (another process, between its stage
     * commit and its publish) is not an orphan. */
    if (v.mv_size >= 11) {
      pid_t owner = (pid_t)get_u32((const uint8_t *)v.mv_data + 7);
      if (owner != getpid() && (kill(owner, 0) == 0 || errno == EPERM))
        continue;
    }
    gens[n++] = get_u32((const uint8_t *)k.mv_data + 8);
  }
  mdb_cursor_close(cur);
  for (i = 0; i < n; i++) {
    uint8_t key[12];
    if ((rc = cc_store_gen_drop(txn, gens[i])) != 0)
      goto fail;
    memcpy(key, "staging/", 8);
    put_u32(key + 8, gens[i]);
    k.mv_data = key;
    k.mv_size = 12;
    if ((rc = mdb_del(txn, db->meta, &k, NULL)) != 0)
      goto fail;
  }
  if ((rc = mdb_txn_commit(txn)) != 0)
    return cc_store_error(rc, "commit");
  return 0;
fail:
  mdb_txn_abort(txn);
  return cc_store_error(rc, "dropping an unfinished run");
}

int cc_db_open(cc_db **out, const char *dir, const cc_db_options *opts)
{
  cc_db *db;
  MDB_txn *txn = NULL;
  MDB_val k, v;
  unsigned flags = MDB_NOTLS;
  int rc, old_format;
  struct stat sb;

  *out = NULL;
  if (opts->read_only) {
    /* Look for the data file, not the directory: LMDB would create a lock
     * file in an empty directory and then fail with ENOENT. */
    char data[4096];
    snprintf(data, sizeof data, "%s/data.mdb", dir);
    if (stat(dir, &sb) != 0 || stat(data, &sb) != 0)
      return cc_error_set(CC_ENOTFOUND, "database %s does not exist", dir);
    flags |= MDB_RDONLY;
  } else {
    if ((rc = cc_mkdir_p(dir, 0700)) < 0)
      return rc;
    if (opts->no_sync)
      flags |= MDB_NOSYNC;
  }
  db = calloc(1, sizeof *db);
  if (db == NULL || (db->dir = strdup(dir)) == NULL) {
    free(db);
    return cc_error_set(CC_ENOMEM, "out of memory");
  }
  db->read_only = opts->read_only;
  if ((rc = mdb_env_create(&db->env)) != 0 ||
      (rc = mdb_env_set_maxdbs(db->env, MAX_DBS)) != 0 ||
      (rc = mdb_env_set_maxreaders(db->env, 1024)) != 0) {
    rc = cc_store_error(rc, "create");
    goto fail;
  }
  if ((rc = mdb_env_open(db->env, dir, flags, 0600)) != 0) {
    rc = cc_store_error(rc, dir);
    goto fail;
  }
  if ((rc = mdb_txn_begin(db->env, NULL, opts->read_only ? MDB_RDONLY : 0,
                          &txn)) != 0) {
    rc = cc_store_error(rc, "begin");
    goto fail;
  }
  rc =
      mdb_dbi_open(txn, META_NAME, opts->read_only ? 0 : MDB_CREATE, &db->meta);
  if (rc == MDB_NOTFOUND) {
    mdb_txn_abort(txn);
    txn = NULL;
    rc = cc_error_set(CC_ENOTFOUND, "database %s holds no chachong data", dir);
    goto fail;
  }
  if (rc != 0) {
    rc = cc_store_error(rc, "meta");
    goto fail;
  }
  k.mv_data = "format";
  k.mv_size = 6;
  rc = mdb_get(txn, db->meta, &k, &v);
  /* Format 1 kept one record per rec value, format 2 spelt out every
   * field of a record and of an index entry (store_roster.c). A run reads
   * rec and idx of its own generation only; the one reader of a published
   * period's records, the pre-registration check, refuses a generation
   * without a dictionary (cc_db_enrollments). Everything else (findings,
   * school counts, the logs, accounts) is read as before: such a database
   * is taken as it is, and marked format 3 when opened for writing. */
  old_format = rc == 0 && v.mv_size == 4 &&
               (get_u32(v.mv_data) == 1 || get_u32(v.mv_data) == 2);
  if ((rc == MDB_NOTFOUND || old_format) && !opts->read_only) {
    uint8_t fmt[4];
    put_u32(fmt, CC_DB_FORMAT);
    v.mv_data = fmt;
    v.mv_size = 4;
    rc = mdb_put(txn, db->meta, &k, &v, 0);
    if (rc != 0) {
      rc = cc_store_error(rc, "format");
      goto fail;
    }
  } else if (rc != 0) {
    rc = cc_store_error(rc, "format");
    goto fail;
  } else if (!old_format &&
             (v.mv_size != 4 || get_u32(v.mv_data) != CC_DB_FORMAT)) {
    rc = cc_error_set(
        CC_ECORRUPT,
        "database %s has layout version %u; this chachong reads %u", dir,
        v.mv_size == 4 ? get_u32(v.mv_data) : 0, CC_DB_FORMAT);
    goto fail;
  }
  /* Committed even when read-only: a handle opened in a transaction that
   * is aborted is closed with it (lmdb.h, mdb_dbi_open), and db->meta must
   * outlive this one. */
  rc = mdb_txn_commit(txn);
  txn = NULL;
  if (rc != 0) {
    rc = cc_store_error(rc, "commit");
    goto fail;
  }
  if (!opts->read_only && (rc = drop_orphans(db)) < 0)
    goto fail;
  *out = db;
  return 0;
fail:
  if (txn)
    mdb_txn_abort(txn);
  cc_db_close(db);
  return rc;
}

int cc_db_read_only(const cc_db *db)
{
  return db->read_only;
}

const char *cc_db_dir(const cc_db *db)
{
  return db->dir;
}

/* ------------------------------------------------------------------ */
/* Handles of named databases for read transactions. lmdb.h: mdb_dbi_open
 * must not run in two transactions of a process at once, and a handle
 * opened in a transaction that aborts is closed with it; the service's
 * threads each open and abort read transactions by the thousand, and two
 * of them opening a handle at once took the same slot of the environment
 * and corrupted the heap (found under load, issue 14). So a read
 * transaction gets its handles here: each name is opened once per
 * environment, in a transaction of its own that commits (so the handle
 * stays), under one lock, and handed out from then on without
 * mdb_dbi_open; a transaction begun before that renews itself
 * (mdb_txn_reset, mdb_txn_renew: no cursor or value of it may be held) to
 * know it. A database dropped since (a period published again) answers
 * MDB_NOTFOUND through its old handle, as LMDB reloads a named database's
 * record in each transaction. */

typedef struct kept_dbi {
  MDB_env *env;
  MDB_dbi dbi;
  char name[40];
} kept_dbi;

static pthread_mutex_t dbi_mu = PTHREAD_MUTEX_INITIALIZER;
static kept_dbi *kept; /* under dbi_mu */
static size_t n_kept, cap_kept;

/* Opens and keeps the handle of `name` (under dbi_mu): in a read
 * transaction of its own, or, with `create` and when the database does not
 * exist yet, in a write transaction that creates it. LMDB's code. */
static int keep_dbi(MDB_env *env, const char *name, int create)
{
  MDB_txn *side;
  MDB_dbi d;
  int rc;
  if (n_kept == cap_kept) {
    size_t ncap = cap_kept ? cap_kept * 2 : 32;
    kept_dbi *grown = realloc(kept, ncap * sizeof *grown);
    if (grown == NULL)
      return ENOMEM;
    kept = grown;
    cap_kept = ncap;
  }
  if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &side)) != 0)
    return rc;
  if ((rc = mdb_dbi_open(side, name, 0, &d)) == MDB_NOTFOUND && create) {
    mdb_txn_abort(side); /* not found: no handle was made */
    if ((rc = mdb_txn_begin(env, NULL, 0, &side)) != 0)
      return rc;
    rc = mdb_dbi_open(side, name, MDB_CREATE, &d);
  }
  if (rc != 0) {
    mdb_txn_abort(side);
    return rc;
  }
  if ((rc = mdb_txn_commit(side)) != 0)
    return rc;
  kept[n_kept].env = env;
  kept[n_kept].dbi = d;
  snprintf(kept[n_kept].name, sizeof kept[n_kept].name, "%s", name);
  n_kept++;
  return 0;
}

/* The kept handle of name, or NULL (under dbi_mu). */
static const kept_dbi *find_kept(MDB_env *env, const char *name)
{
  size_t i;
  for (i = 0; i < n_kept; i++)
    if (kept[i].env == env && strcmp(kept[i].name, name) == 0)
      return &kept[i];
  return NULL;
}

int cc_store_dbi_read(MDB_txn *txn, const char *name, MDB_dbi *dbi)
{
  MDB_env *env = mdb_txn_env(txn);
  const kept_dbi *k;
  unsigned flags;
  int rc = 0, tries;

  if (strlen(name) >= sizeof kept->name)
    return EINVAL;
  for (tries = 0; tries < 2; tries++) {
    pthread_mutex_lock(&dbi_mu);
    if ((k = find_kept(env, name)) == NULL &&
        (rc = keep_dbi(env, name, 0)) == 0)
      k = find_kept(env, name);
    if (k)
      *dbi = k->dbi;
    pthread_mutex_unlock(&dbi_mu);
    if (rc != 0)
      return rc;
    if (mdb_dbi_flags(txn, *dbi, &flags) == 0)
      return 0;
    /* Kept after txn began: txn does not know the handle yet. */
    mdb_txn_reset(txn);
    if ((rc = mdb_txn_renew(txn)) != 0)
      return rc;
    if (mdb_dbi_flags(txn, *dbi, &flags) == 0)
      return 0;
    /* Closed since in this process (dropped other than by
     * cc_store_gen_drop): opened again by its name. */
    forget_dbi(env, name);
  }
  return EINVAL;
}

int cc_db_keep_dbis(cc_db *db, const char *const *names, size_t n)
{
  size_t i;
  int rc = 0;
  if (db->read_only)
    return 0;
  pthread_mutex_lock(&dbi_mu);
  for (i = 0; i < n && rc == 0; i++)
    if (strlen(names[i]) >= sizeof kept->name)
      rc = EINVAL;
    else if (find_kept(db->env, names[i]) == NULL)
      rc = keep_dbi(db->env, names[i], 1);
  pthread_mutex_unlock(&dbi_mu);
  return rc ? cc_store_error(rc, names[i - 1]) : 0;
}

/* ------------------------------------------------------------------ */
/* Read transactions kept per thread. mdb_txn_begin allocates and zeroes a
 * transaction sized for every handle the environment may have (MAX_DBS:
 * ~200 kB), and the service's calls each began several: under wrk, zeroing
 * them and the page faults of those allocations took a third of the CPU.
 * The short read transactions of the calls below are therefore begun with
 * cc_store_txn_read and ended with cc_store_txn_done, which resets the
 * thread's one transaction (mdb_txn_reset) to renew it next time. A
 * transaction asked for while the thread's is in use is a new one. */

typedef struct tl_read {
  MDB_env *env;
  MDB_txn *txn; /* reset when not busy; NULL when none */
  int busy;
  struct tl_read *next; /* every thread's, under dbi_mu */
} tl_read;

static pthread_key_t rd_key;
static pthread_once_t rd_once = PTHREAD_ONCE_INIT;
static tl_read *rd_all;

/* A thread ends: its transaction goes with it. */
static void rd_gone(void *v)
{
  tl_read *t = v, **pp;
  pthread_mutex_lock(&dbi_mu);
  for (pp = &rd_all; *pp; pp = &(*pp)->next)
    if (*pp == t) {
      *pp = t->next;
      break;
    }
  if (t->txn)
    mdb_txn_abort(t->txn);
  pthread_mutex_unlock(&dbi_mu);
  free(t);
}

static void rd_init(void)
{
  pthread_key_create(&rd_key, rd_gone);
}

int cc_store_txn_read(MDB_env *env, MDB_txn **txn)
{
  tl_read *t;
  pthread_once(&rd_once, rd_init);
  t = pthread_getspecific(rd_key);
  if (t && t->txn && !t->busy && t->env == env && mdb_txn_renew(t->txn) == 0) {
    t->busy = 1;
    *txn = t->txn;
    return 0;
  }
  return mdb_txn_begin(env, NULL, MDB_RDONLY, txn);
}

void cc_store_txn_done(MDB_txn *txn)
{
  tl_read *t;
  if (txn == NULL)
    return;
  pthread_once(&rd_once, rd_init);
  t = pthread_getspecific(rd_key);
  if (t && t->txn == txn) {
    mdb_txn_reset(txn);
    t->busy = 0;
    return;
  }
  if (t && t->busy) { /* the thread's is in use: this one was extra */
    mdb_txn_abort(txn);
    return;
  }
  if (t == NULL) {
    if ((t = calloc(1, sizeof *t)) == NULL ||
        pthread_setspecific(rd_key, t) != 0) {
      free(t);
      mdb_txn_abort(txn);
      return;
    }
    pthread_mutex_lock(&dbi_mu);
    t->next = rd_all;
    rd_all = t;
    pthread_mutex_unlock(&dbi_mu);
  }
  /* Kept as the thread's (one of another environment is let go). */
  mdb_txn_reset(txn);
  pthread_mutex_lock(&dbi_mu);
  if (t->txn)
    mdb_txn_abort(t->txn);
  t->txn = txn;
  t->env = mdb_txn_env(txn);
  t->busy = 0;
  pthread_mutex_unlock(&dbi_mu);
}

/* The environment closes: every thread's transaction on it is ended
 * (nobody may be using one then). */
static void forget_txns(MDB_env *env)
{
  tl_read *t;
  pthread_mutex_lock(&dbi_mu);
  for (t = rd_all; t; t = t->next)
    if (t->txn && t->env == env) {
      mdb_txn_abort(t->txn);
      t->txn = NULL;
      t->env = NULL;
      t->busy = 0;
    }
  pthread_mutex_unlock(&dbi_mu);
}

/* Forgets the kept handle of name (its database is being dropped). */
static void forget_dbi(MDB_env *env, const char *name)
{
  size_t i;
  pthread_mutex_lock(&dbi_mu);
  for (i = 0; i < n_kept; i++)
    if (kept[i].env == env && strcmp(kept[i].name, name) == 0) {
      kept[i] = kept[--n_kept];
      break;
    }
  pthread_mutex_unlock(&dbi_mu);
}

/* Forgets the handles of an environment being closed. */
static void forget_dbis(MDB_env *env)
{
  size_t i, k = 0;
  pthread_mutex_lock(&dbi_mu);
  for (i = 0; i < n_kept; i++)
    if (kept[i].env != env)
      kept[k++] = kept[i];
  n_kept = k;
  if (n_kept == 0) {
    free(kept);
    kept = NULL;
    cap_kept = 0;
  }
  pthread_mutex_unlock(&dbi_mu);
}

void cc_db_close(cc_db *db)
{
  if (db == NULL)
    return;
  if (db->env) {
    forget_txns(db->env);
    forget_dbis(db->env);
    mdb_env_close(db->env);
  }
  free(db->dir);
  free(db);
}

int cc_db_periods(char ***out, size_t *count, cc_db *db)
{
  MDB_txn *txn;
  MDB_cursor *cur;
  MDB_val k, v;
  char **list = NULL;
  size_t n = 0;
  int rc, mrc;

  *out = NULL;
  *count = 0;
  if ((rc = cc_store_txn_read(db->env, &txn)) != 0)
    return cc_store_error(rc, "begin");
  if ((rc = mdb_cursor_open(txn, db->meta, &cur)) != 0) {
    cc_store_txn_done(txn);
    return cc_store_error(rc, "cursor");
  }
  k.mv_data = "period/";
  k.mv_size = 7;
  for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
       mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    char **grown;
    if (k.mv_size < 7 || memcmp(k.mv_data, "period/", 7) != 0)
      break;
    grown = realloc(list, (n + 1) * sizeof *list);
    if (grown == NULL || (grown[n] = strndup((const char *)k.mv_data + 7,
                                             k.mv_size - 7)) == NULL) {
      rc = cc_error_set(CC_ENOMEM, "out of memory");
      list = grown ? grown : list;
      break;
    }
    list = grown;
    n++;
  }
  mdb_cursor_close(cur);
  cc_store_txn_done(txn);
  if (rc < 0) {
    while (n > 0)
      free(list[--n]);
    free(list);
    return rc;
  }
  *out = list;
  *count = n;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Staging. */

int cc_store_next_gen(cc_db *db, MDB_txn *txn, uint32_t *gen)
{
  MDB_val k = {8, "next_gen"}, v;
  uint8_t buf[4];
  int rc = mdb_get(txn, db->meta, &k, &v);
  *gen = rc == 0 && v.mv_size == 4 ? get_u32(v.mv_data) : 1;
  if (rc != 0 && rc != MDB_NOTFOUND)
    return rc;
  put_u32(buf, *gen + 1);
  v.mv_data = buf;
  v.mv_size = 4;
  return mdb_put(txn, db->meta, &k, &v, 0);
}

void cc_index_release_span(const void *lo, const void *hi)
{
  long ps = sysconf(_SC_PAGESIZE);
  uintptr_t a, b;
  if (lo == NULL || hi == NULL || (uintptr_t)hi < (uintptr_t)lo || ps <= 0)
    return;
  a = (uintptr_t)lo & ~(uintptr_t)(ps - 1);
  b = ((uintptr_t)hi + (uintptr_t)ps) & ~(uintptr_t)(ps - 1);
  /* Read-only shared file pages: dropping them loses nothing (see
   * cc_index_release_pages). */
  madvise((void *)a, b - a, MADV_DONTNEED);
}

void cc_index_release_pages(cc_db *db)
{
  /* LMDB does not say where it mapped the file (me_mapaddr is set only for
   * MDB_FIXEDMAP), so the mapping of data.mdb is looked up in
   * /proc/self/maps. The map is read-only and shared (no MDB_WRITEMAP):
   * dropping this process's view of pages it has read loses nothing, the
   * next access maps them again from the page cache. It keeps the compare
   * stage, which reads the index and the records of every finding's
   * members, from counting gigabytes of clean file pages as its memory. */
  char want[4096], line[4608];
  struct stat target;
  FILE *maps;
  snprintf(want, sizeof want, "%s/data.mdb", db->dir);
  if (stat(want, &target) != 0)
    return;
  maps = fopen("/proc/self/maps", "r");
  if (maps == NULL)
    return;
  while (fgets(line, sizeof line, maps)) {
    unsigned long lo, hi;
    char *path = strchr(line, '/');
    struct stat sb;
    size_t n;
    if (path == NULL || sscanf(line, "%lx-%lx", &lo, &hi) != 2)
      continue;
    n = strcspn(path, "\n");
    path[n] = '\0';
    if (n < 9 || strcmp(path + n - 9, "/data.mdb") != 0)
      continue;
    if (stat(path, &sb) == 0 && sb.st_dev == target.st_dev &&
        sb.st_ino == target.st_ino)
      madvise((void *)lo, hi - lo, MADV_DONTNEED);
  }
  fclose(maps);
}

int cc_db_put_timed_n(cc_db *db, const cc_db_timed *e, size_t n, uint64_t us,
                      const char *what)
{
  MDB_txn *txn;
  MDB_dbi dbi;
  size_t i;
  int rc, tries, grown;
  for (grown = 0;; grown++) {
    if ((rc = mdb_txn_begin(db->env, NULL, 0, &txn)) != 0)
      return cc_store_error(rc, what);
    for (i = 0; i < n && rc == 0; i++) {
      MDB_val k = {e[i].klen, e[i].key}, v;
      if ((rc = mdb_dbi_open(txn, e[i].name, MDB_CREATE, &dbi)) != 0)
        break;
      for (tries = 0; tries < 1000; tries++) {
        /* Two entries in one microsecond: take the next free one. (On
         * MDB_KEYEXIST, mdb_put points v at the entry already there: v is
         * set again before each try, or the next key would get that
         * entry's value.) */
        v.mv_size = e[i].vlen;
        v.mv_data = (void *)e[i].val;
        put_u64(e[i].key + e[i].at, us + (uint64_t)tries);
        rc = mdb_put(txn, dbi, &k, &v, MDB_NOOVERWRITE);
        if (rc != MDB_KEYEXIST)
          break;
      }
    }
    if (rc != 0)
      mdb_txn_abort(txn);
    else
      rc = mdb_txn_commit(txn);
    /* A map filled to the last page: grown, and the entries written again
     * (the aborted transaction kept none of them). */
    if (rc != MDB_MAP_FULL || grown == CC_STORE_MAP_TRIES ||
        cc_store_map_grow(db, 1 << 20) != 0)
      break;
  }
  return rc ? cc_store_error(rc, what) : 0;
}

int cc_db_each(cc_db *db, const char *name, const void *from, size_t from_len,
               int (*fn)(void *ctx, const cc_bytes *k, const cc_bytes *v),
               void *ctx, const char *what)
{
  MDB_txn *txn;
  MDB_dbi dbi;
  MDB_cursor *cur;
  MDB_val k, v;
  int rc, mrc;

  if ((rc = cc_store_txn_read(db->env, &txn)) != 0)
    return cc_store_error(rc, what);
  rc = cc_store_dbi_read(txn, name, &dbi);
  if (rc == MDB_NOTFOUND) {
    cc_store_txn_done(txn);
    return 0;
  }
  if (rc != 0 || (rc = mdb_cursor_open(txn, dbi, &cur)) != 0) {
    cc_store_txn_done(txn);
    return cc_store_error(rc, what);
  }
  k.mv_data = (void *)from;
  k.mv_size = from_len;
  rc = 0;
  for (mrc = mdb_cursor_get(cur, &k, &v, from ? MDB_SET_RANGE : MDB_FIRST);
       mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    cc_bytes kb = {k.mv_data, k.mv_size}, vb = {v.mv_data, v.mv_size};
    if ((rc = fn(ctx, &kb, &vb)) != 0)
      break;
  }
  mdb_cursor_close(cur);
  cc_store_txn_done(txn);
  return rc;
}

int cc_db_put_timed(cc_db *db, const char *name, uint8_t *key, size_t klen,
                    size_t at, uint64_t us, const void *val, size_t vlen,
                    const char *what)
{
  cc_db_timed e;
  e.name = name;
  e.key = key;
  e.klen = klen;
  e.at = at;
  e.val = val;
  e.vlen = vlen;
  return cc_db_put_timed_n(db, &e, 1, us, what);
}

int cc_index_open_gen(MDB_dbi *rec, MDB_dbi *idx, MDB_dbi *find, MDB_txn *txn,
                      uint32_t gen)
{
  char name[32];
  int rc = 0;
  if (rec) {
    cc_store_gen_name(name, gen, "rec");
    rc = cc_store_dbi_read(txn, name, rec);
  }
  if (rc == 0 && idx) {
    cc_store_gen_name(name, gen, "idx");
    rc = cc_store_dbi_read(txn, name, idx);
  }
  if (rc == 0 && find) {
    cc_store_gen_name(name, gen, "find");
    rc = cc_store_dbi_read(txn, name, find);
  }
  return rc ? cc_store_error(rc, "opening a period") : 0;
}

void cc_store_period_key(uint8_t *key, const char *period)
{
  memcpy(key, "period/", 7);
  memcpy(key + 7, period, 7);
}

int cc_index_period_gen(uint32_t *gen, cc_db *db, MDB_txn *txn,
                        const char *period)
{
  uint8_t key[14];
  MDB_val k = {14, key}, v;
  int rc;
  cc_store_period_key(key, period);
  rc = mdb_get(txn, db->meta, &k, &v);
  if (rc == MDB_NOTFOUND)
    return cc_error_set(CC_ENOTFOUND, "the database holds no period %s",
                        period);
  if (rc != 0)
    return cc_store_error(rc, "reading the period");
  if (v.mv_size < 4)
    return cc_error_set(CC_ECORRUPT, "database: bad period entry");
  *gen = get_u32(v.mv_data);
  return 0;
}

/* Opens a read transaction on a published period's generation. */
int cc_store_begin_period(MDB_txn **txn, uint32_t *gen, cc_db *db,
                          const char *period)
{
  int rc;
  if (strlen(period) != 7)
    return cc_error_set(CC_EINVALID, "period '%s' is not of the form YYYY-MM",
                        period);
  if ((rc = cc_store_txn_read(db->env, txn)) != 0)
    return cc_store_error(rc, "begin");
  if ((rc = cc_index_period_gen(gen, db, *txn, period)) < 0) {
    cc_store_txn_done(*txn);
    return rc;
  }
  return 0;
}

int cc_db_period_info(char **json, cc_db *db, const char *period)
{
  MDB_txn *txn;
  uint8_t key[14];
  MDB_val k = {14, key}, v;
  int rc;
  *json = NULL;
  if (strlen(period) != 7)
    return cc_error_set(CC_EINVALID, "period '%s' is not of the form YYYY-MM",
                        period);
  if ((rc = cc_store_txn_read(db->env, &txn)) != 0)
    return cc_store_error(rc, "begin");
  cc_store_period_key(key, period);
  rc = mdb_get(txn, db->meta, &k, &v);
  if (rc == 0 && v.mv_size >= 4) {
    *json = strndup((const char *)v.mv_data + 4, v.mv_size - 4);
    rc = *json ? 0 : cc_error_set(CC_ENOMEM, "out of memory");
  } else if (rc == MDB_NOTFOUND) {
    rc = cc_error_set(CC_ENOTFOUND, "the database holds no period %s", period);
  } else {
    rc = cc_store_error(rc ? rc : MDB_CORRUPTED, "reading the period");
  }
  cc_store_txn_done(txn);
  return rc;
}

int cc_index_previous_period(char *prev, cc_db *db, const char *period)
{
  char **list = NULL;
  size_t n = 0, i;
  int rc = cc_db_periods(&list, &n, db), found = 0;
  if (rc < 0)
    return rc;
  /* Listed oldest first: the last one before `period` is the previous. */
  for (i = 0; i < n; i++) {
    if (strcmp(list[i], period) < 0) {
      snprintf(prev, 8, "%s", list[i]);
      found = 1;
    }
    free(list[i]);
  }
  free(list);
  return found ? 0 : CC_ENOTFOUND;
}

/* ------------------------------------------------------------------ */
/* Reading a generation. */

int cc_store_gen_open(cc_gen *out, cc_db *db, uint32_t gen)
{
  MDB_txn *txn;
  MDB_dbi rec, idx;
  int rc;

  memset(out, 0, sizeof *out);
  if ((rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn)) != 0)
    return cc_store_error(rc, "begin");
  if ((rc = cc_index_open_gen(&rec, &idx, NULL, txn, gen)) < 0) {
    mdb_txn_abort(txn);
    return rc;
  }
  /* Committed, not aborted: handles opened in a transaction that aborts
   * are closed with it (lmdb.h, mdb_dbi_open). */
  if ((rc = mdb_txn_commit(txn)) != 0)
    return cc_store_error(rc, "commit");
  out->db = db;
  out->gen = gen;
  out->rec = rec;
  out->idx = idx;
  return 0;
}

void cc_store_gen_memory(cc_gen *out, const cc_index_entry *e, size_t n)
{
  memset(out, 0, sizeof *out);
  out->mem = e;
  out->n_mem = n;
}

int cc_store_read_begin(cc_read **out, const cc_gen *g)
{
  cc_read *r = calloc(1, sizeof *r);
  int rc;
  *out = NULL;
  if (r == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  r->g = g;
  if (g->mem) { /* no transaction: the entries are in memory */
    *out = r;
    return 0;
  }
  if ((rc = mdb_txn_begin(g->db->env, NULL, MDB_RDONLY, &r->txn)) != 0) {
    free(r);
    return cc_store_error(rc, "begin");
  }
  *out = r;
  return 0;
}

void cc_store_read_end(cc_read *r)
{
  if (r == NULL)
    return;
  if (r->rec_cur)
    mdb_cursor_close(r->rec_cur);
  if (r->txn)
    mdb_txn_abort(r->txn);
  free(r->dict);
  free(r);
}

/* ------------------------------------------------------------------ */
/* Accounts of the service: a byte-blob store. */

/*
 * Accounts and API tokens (account.c draws their keys and values).
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

int cc_astore_get(void **out, size_t *len, cc_db *db, const void *key,
                  size_t klen)
{
  MDB_txn *txn = NULL;
  MDB_dbi dbi;
  MDB_val k, v;
  int rc;

  *out = NULL;
  *len = 0;
  if ((rc = cc_store_txn_read(db->env, &txn)) != 0)
    return cc_store_error(rc, "accounts: begin");
  rc = cc_store_dbi_read(txn, CC_ACCOUNT_DB, &dbi);
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
    rc = cc_store_error(rc, "accounts: read");
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
  cc_store_txn_done(txn);
  return rc;
}

int cc_astore_write(cc_db *db, const cc_astore_op *ops, size_t n)
{
  MDB_txn *txn = NULL;
  MDB_dbi dbi;
  size_t i;
  int rc;

  if (db->read_only)
    return cc_error_set(CC_EINVALID,
                        "accounts: the database is open read-only");
  if ((rc = mdb_txn_begin(db->env, NULL, 0, &txn)) != 0)
    return cc_store_error(rc, "accounts: begin");
  if ((rc = mdb_dbi_open(txn, CC_ACCOUNT_DB, MDB_CREATE, &dbi)) != 0) {
    rc = cc_store_error(rc, "accounts: open");
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
      rc = cc_store_error(rc, "accounts: write");
      goto fail;
    }
  }
  rc = mdb_txn_commit(txn);
  return rc ? cc_store_error(rc, "accounts: commit") : 0;
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

  if ((rc = cc_store_txn_read(db->env, &txn)) != 0)
    return cc_store_error(rc, "accounts: begin");
  rc = cc_store_dbi_read(txn, CC_ACCOUNT_DB, &dbi);
  if (rc == MDB_NOTFOUND) { /* never written: no accounts */
    rc = 0;
    goto done;
  }
  if (rc != 0 || (rc = mdb_cursor_open(txn, dbi, &cur)) != 0) {
    rc = cc_store_error(rc, "accounts: list");
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
    rc = cc_store_error(mrc, "accounts: list");
done:
  if (cur)
    mdb_cursor_close(cur);
  cc_store_txn_done(txn);
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
    return cc_store_error(rc, "accounts: reserving the map");
  return 0;
}
