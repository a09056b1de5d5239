/*
 * audit.c - the audit log: who queried, exported, reported or resolved what
 * ("谁导出、谁负责", POLICY.md).
 *
 * Entries live in the "audit" database of the environment, never dropped:
 *
 *   key:   0 u64 microseconds since 1970 | 8 u32 process id     (12 bytes)
 *   value: 0 i64 when (seconds) | 8 u64 records
 *          | u8 length | user | u8 length | command | u16 length | what
 *          | u8 length | os_user
 *
 * os_user (the process's operating-system account, beside --user) came
 * later: an entry that ends after `what` was written before it and lists
 * with os_user "".
 *
 * Keys sort by time. Each entry is its own write transaction, committed
 * before the caller hands any data out: an export whose audit entry cannot
 * be written does not happen.
 *
 * The service's entries (chachong serve, issue 14) go to a store of their
 * own, the append-only file "audit-serve.log" beside the environment
 * (cc_audit_log), and cc_audit_list lists both merged in time order. Why:
 * the rule "an entry is durable before the data leaves" made every
 * personal-data call of the service an fsync'ed LMDB write transaction of
 * its own; they queued on LMDB's one writer at the disk's commit rate
 * (~100 calls/s) and, during a monthly run, behind the run's staging
 * transaction, which holds the writer lock through ingest and index (10 s
 * p99 in bench/RESULTS.md). The file has its own lock (flock), so a run
 * never blocks it, and it is written by group commit: a request appends
 * its entry to a queue and waits; one committer thread writes everything
 * queued in one pwrite() and wakes the requests of that batch, whose
 * answers leave only then: an entry is in the store (in the file, where a
 * crash or kill of the service cannot take it back) before its data leave.
 * A second thread, the syncer, makes the file durable with fdatasync()
 * behind the committer, so that a power loss can take at most the entries
 * of the sync in progress (usually under 1 ms of calls; see "durable").
 * While one pwrite or fdatasync runs the next batch gathers: with 64
 * clients one write covers tens of calls, and nobody waits for a timer.
 *
 * "durable" (chachong serve --audit-durable): the committer also waits for
 * its batch's fdatasync before waking it, so that an answer leaves only
 * once its entry would survive a power loss. The price is the disk's
 * queue: while a monthly run writes its gigabytes, one fdatasync waited
 * 50-780 ms behind the run's writeback in bench/serve.sh (the virtual
 * disk serves its queue in order), and every answer with it; the check's
 * p99 was 273 ms against 33 ms (bench/RESULTS.md). Hence the default
 * writes before the answer and syncs behind it, as auditd's
 * incremental_async flush does. A failed fdatasync is kept: from then on
 * every submit fails (the service answers 503) until it is restarted.
 *
 * A separate LMDB environment would have done the same with two syncs per
 * commit and mdb_* calls outside store*.c; the file needs neither.
 *
 * The file's entries:
 *
 *   0 "CCA1" | 4 u32 length L | 8 u64 microseconds since 1970
 *   | 16 the value above (L bytes) | 16+L u64 XXH3-64 of bytes [0, 16+L)
 *   | 24+L u8 0x0A
 *
 * and after the last one zeros: the file is grown 16 MiB at a time with
 * written zeros, so that an append changes neither its size nor its
 * blocks and fdatasync commits no journal transaction (which waited for a
 * run's writeback). The data end after the last byte that is not 0.
 *
 * A crash can leave a torn last entry (a power loss during its write or
 * before its sync), and a disk can damage one: the
 * reader skips bytes that are not a whole entry with a good checksum up
 * to the next one that is, and warns on stderr with the file and offset.
 * The writer never truncates: what it cannot read stays for inspection.
 *
 * Entries keep the text as given (--user, and --by and --note in what);
 * the listing (cc_audit_format) shows their control characters as
 * escapes, so that a line feed and tabs in --by cannot print a line that
 * looks like another entry.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "chachong/audit.h"
#include "chachong/text.h"
#include "audit_internal.h"
#include "bytes_internal.h"
#include "error_internal.h"
#include "store_internal.h"

void cc_audit_os_user(char *out)
{
  struct passwd pw, *res = NULL;
  char buf[1024];
  uid_t uid = geteuid();
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res)
    snprintf(out, 64, "%s", res->pw_name);
  else
    snprintf(out, 64, "uid:%u", (unsigned)uid);
}

void cc_audit_user(char *out, const char *given)
{
  if (given && *given)
    snprintf(out, 64, "%s", given);
  else
    cc_audit_os_user(out);
}

size_t cc_audit_encode(uint8_t key[CC_AUDIT_KEY_LEN], uint8_t *val,
                       const cc_audit_entry *e)
{
  uint8_t *p = val;
  size_t ul = strnlen(e->user, sizeof e->user - 1);
  size_t cl = strnlen(e->command, sizeof e->command - 1);
  size_t wl = strnlen(e->what, sizeof e->what - 1);
  size_t ol;
  uint32_t pid = (uint32_t)getpid();
  char os_user[sizeof e->os_user];

  if (e->os_user[0])
    snprintf(os_user, sizeof os_user, "%s", e->os_user);
  else
    cc_audit_os_user(os_user);
  ol = strnlen(os_user, sizeof os_user - 1);

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
  *p++ = (uint8_t)ol;
  memcpy(p, os_user, ol);
  p += ol;

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

  if (cc_db_read_only(db))
    return cc_error_set(CC_EINVALID, "the audit log needs a writable database");
  gettimeofday(&tv, NULL);
  len = cc_audit_encode(key, val, e);
  return cc_db_put_timed(db, CC_AUDIT_DB, key, sizeof key, 0,
                         (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec,
                         val, len, "audit log");
}

int cc_audit_action(cc_db *db, const char *user, const char *command,
                    uint64_t records, const char *fmt, ...)
{
  cc_audit_entry ae;
  va_list ap;
  memset(&ae, 0, sizeof ae);
  ae.when = (int64_t)time(NULL);
  cc_audit_user(ae.user, user);
  snprintf(ae.command, sizeof ae.command, "%s", command);
  va_start(ap, fmt);
  vsnprintf(ae.what, sizeof ae.what, fmt, ap);
  va_end(ap);
  ae.records = records;
  return cc_audit_record(db, &ae);
}

size_t cc_audit_format(char *out, size_t cap, const cc_audit_entry *e)
{
  /* A visible form takes at most 4 bytes per byte (a C0 control as \xHH):
   * the whole line fits here whatever the entry holds. */
  char line[16 +
            4 * (sizeof e->user + sizeof e->command + sizeof e->what +
                 sizeof e->os_user) +
            64];
  time_t t = (time_t)e->when;
  struct tm tm;
  size_t len;
  gmtime_r(&t, &tm);
  len = strftime(line, 32, "%Y-%m-%dT%H:%M:%SZ\t", &tm);
  len += cc_text_visible(line + len, sizeof line - len, e->user,
                         strnlen(e->user, sizeof e->user), CC_TEXT_BACKSLASH);
  line[len++] = '\t';
  len += cc_text_visible(line + len, sizeof line - len, e->command,
                         strnlen(e->command, sizeof e->command),
                         CC_TEXT_BACKSLASH);
  len += (size_t)snprintf(line + len, sizeof line - len, "\t%llu\t",
                          (unsigned long long)e->records);
  len += cc_text_visible(line + len, sizeof line - len, e->what,
                         strnlen(e->what, sizeof e->what), 0);
  line[len++] = '\t';
  len += cc_text_visible(line + len, sizeof line - len, e->os_user,
                         strnlen(e->os_user, sizeof e->os_user),
                         CC_TEXT_BACKSLASH);
  line[len++] = '\n';
  line[len] = '\0';
  snprintf(out, cap, "%s", line);
  return len;
}

/* cc_audit_list: the entries kept, and since when, with the time of each
 * (microseconds: the LMDB key's, the file entry's) to merge the stores. */
typedef struct list_ctx {
  cc_audit_entry *list;
  uint64_t *us;
  size_t n, cap;
  int64_t since;
} list_ctx;

/* Decodes a value (the layout at the top) into e; -1 when malformed. */
static int decode_value(cc_audit_entry *e, const uint8_t *p, size_t n)
{
  const uint8_t *end = p + n;
  size_t len;
  memset(e, 0, sizeof *e);
  if (n < 20)
    return -1;
  e->when = (int64_t)get_u64(p);
  e->records = get_u64(p + 8);
  p += 16;
  len = *p++;
  if (p + len > end || len >= sizeof e->user)
    return -1;
  memcpy(e->user, p, len);
  p += len;
  len = p < end ? *p++ : 0;
  if (p + len > end || len >= sizeof e->command)
    return -1;
  memcpy(e->command, p, len);
  p += len;
  if (p + 2 > end)
    return -1;
  len = (size_t)p[0] << 8 | p[1];
  p += 2;
  if (p + len > end || len >= sizeof e->what)
    return -1;
  memcpy(e->what, p, len);
  p += len;
  /* os_user: absent from entries written before it was kept. */
  if (p < end) {
    len = *p++;
    if (p + len > end || len >= sizeof e->os_user)
      return -1;
    memcpy(e->os_user, p, len);
  }
  return 0;
}

static int list_add(list_ctx *c, const cc_audit_entry *e, uint64_t us)
{
  if (e->when < c->since)
    return 0;
  if (c->n == c->cap) {
    size_t ncap = c->cap ? c->cap * 2 : 64;
    cc_audit_entry *grown = realloc(c->list, ncap * sizeof *grown);
    uint64_t *gus;
    if (grown == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory");
    c->list = grown;
    gus = realloc(c->us, ncap * sizeof *gus);
    if (gus == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory");
    c->us = gus;
    c->cap = ncap;
  }
  c->list[c->n] = *e;
  c->us[c->n++] = us;
  return 0;
}

static int list_one(void *vctx, const cc_bytes *k, const cc_bytes *v)
{
  cc_audit_entry e;
  if (decode_value(&e, v->p, v->n) < 0)
    return cc_error_set(CC_ECORRUPT, "audit log: bad entry");
  return list_add(vctx, &e, k->n >= 8 ? get_u64(k->p) : 0);
}

/* ------------------------------------------------------------------ */
/* The service's store: the file (layout at the top). */

#define FILE_MAGIC "CCA1"
#define FILE_HEAD 16
#define FILE_TAIL 9 /* the checksum and the end mark */
#define FILE_END 0x0A
#define FILE_ENTRY_MAX (FILE_HEAD + CC_AUDIT_VALUE_MAX + FILE_TAIL)
/* The file grows by zeros written ahead, this much at a time. */
#define FILE_CHUNK ((off_t)16 << 20)

/* Frames an encoded value as a file entry into out (FILE_ENTRY_MAX
 * bytes); returns its length. */
static size_t file_entry(uint8_t *out, uint64_t us, const uint8_t *val,
                         size_t len)
{
  memcpy(out, FILE_MAGIC, 4);
  put_u32(out + 4, (uint32_t)len);
  put_u64(out + 8, us);
  memcpy(out + FILE_HEAD, val, len);
  put_u64(out + FILE_HEAD + len, XXH3_64bits(out, FILE_HEAD + len));
  out[FILE_HEAD + len + 8] = FILE_END;
  return FILE_HEAD + len + FILE_TAIL;
}

/* The length of a whole, undamaged entry at p (n bytes left), else 0. */
static size_t file_entry_ok(const uint8_t *p, size_t n)
{
  size_t len;
  if (n < FILE_HEAD + FILE_TAIL || memcmp(p, FILE_MAGIC, 4) != 0)
    return 0;
  len = get_u32(p + 4);
  if (len > CC_AUDIT_VALUE_MAX || n - FILE_HEAD - FILE_TAIL < len ||
      p[FILE_HEAD + len + 8] != FILE_END ||
      get_u64(p + FILE_HEAD + len) != XXH3_64bits(p, FILE_HEAD + len))
    return 0;
  return FILE_HEAD + len + FILE_TAIL;
}

void cc_audit_file_path(char *out, size_t cap, cc_db *db)
{
  snprintf(out, cap, "%s/%s", cc_db_dir(db), CC_AUDIT_FILE);
}

/* Adds the file's entries to c; a missing file holds none. Damage is
 * skipped up to the next whole entry, with a warning on stderr. */
static int list_file(list_ctx *c, cc_db *db)
{
  char path[4200];
  struct stat sb;
  const uint8_t *map = NULL;
  size_t size, off = 0;
  int fd, rc = 0;

  memset(&sb, 0, sizeof sb);
  cc_audit_file_path(path, sizeof path, db);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT
               ? 0
               : cc_error_set_errno(CC_EIO, errno, "audit store %s", path);
  /* Shared: the service holds it exclusively while a batch is written,
   * so no half-written batch is read as damage. */
  if (flock(fd, LOCK_SH) != 0 || fstat(fd, &sb) != 0) {
    rc = cc_error_set_errno(CC_EIO, errno, "audit store %s", path);
    goto done;
  }
  size = (size_t)sb.st_size;
  if (size == 0)
    goto done;
  map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) {
    map = NULL;
    rc = cc_error_set_errno(CC_EIO, errno, "audit store %s", path);
    goto done;
  }
  /* The zeros after the last entry are room written ahead. */
  while (size > 0 && map[size - 1] == 0)
    size--;
  while (off < size) {
    size_t len = file_entry_ok(map + off, size - off), bad = off;
    cc_audit_entry e;
    if (len && decode_value(&e, map + off + FILE_HEAD,
                            len - FILE_HEAD - FILE_TAIL) == 0) {
      if ((rc = list_add(c, &e, get_u64(map + off + 8))) < 0)
        goto done;
      off += len;
      continue;
    }
    /* Damage: on to the next whole entry, or the end. */
    for (off++; off < size; off++) {
      const uint8_t *m = memchr(map + off, FILE_MAGIC[0], size - off);
      if (m == NULL) {
        off = size;
        break;
      }
      off = (size_t)(m - map);
      if ((len = file_entry_ok(map + off, size - off)) != 0 &&
          decode_value(&e, map + off + FILE_HEAD,
                       len - FILE_HEAD - FILE_TAIL) == 0)
        break;
    }
    fprintf(stderr,
            "chachong: warning: audit store %s: %s at offset %zu "
            "(%zu bytes skipped)\n",
            path, off == size ? "torn or damaged tail" : "damaged entry", bad,
            off - bad);
  }
done:
  if (map)
    munmap((void *)map, (size_t)sb.st_size);
  close(fd);
  return rc;
}

/* Orders the listing by time (stable: the order read among equal times). */
typedef struct by_time {
  uint64_t us;
  size_t at;
} by_time;

static int by_time_cmp(const void *a, const void *b)
{
  const by_time *x = a, *y = b;
  if (x->us != y->us)
    return x->us < y->us ? -1 : 1;
  return x->at < y->at ? -1 : x->at > y->at;
}

static int list_sort(list_ctx *c)
{
  by_time *order;
  cc_audit_entry *sorted;
  size_t i;
  for (i = 1; i < c->n && c->us[i - 1] <= c->us[i]; i++)
    ;
  if (i >= c->n)
    return 0;
  order = malloc(c->n * sizeof *order);
  sorted = malloc(c->n * sizeof *sorted);
  if (order == NULL || sorted == NULL) {
    free(order);
    free(sorted);
    return cc_error_set(CC_ENOMEM, "out of memory");
  }
  for (i = 0; i < c->n; i++) {
    order[i].us = c->us[i];
    order[i].at = i;
  }
  qsort(order, c->n, sizeof *order, by_time_cmp);
  for (i = 0; i < c->n; i++)
    sorted[i] = c->list[order[i].at];
  free(order);
  free(c->list);
  c->list = sorted;
  return 0;
}

int cc_audit_list(cc_audit_entry **out, size_t *n, cc_db *db, int64_t since)
{
  list_ctx c = {NULL, NULL, 0, 0, since};
  int rc;
  *out = NULL;
  *n = 0;
  if ((rc = cc_db_each(db, CC_AUDIT_DB, NULL, 0, list_one, &c, "audit log")) <
          0 ||
      (rc = list_file(&c, db)) < 0 || (rc = list_sort(&c)) < 0) {
    free(c.list);
    free(c.us);
    return rc;
  }
  free(c.us);
  *out = c.list;
  *n = c.n;
  return 0;
}

/* ------------------------------------------------------------------ */
/* The service's store: group commit (cc_audit_log). */

typedef struct pending {
  struct pending *next;
  cc_audit_done done;
  void *ctx;
  size_t len;
  uint8_t bytes[]; /* the file entries of one call */
} pending;

struct cc_audit_log {
  int fd;
  off_t end; /* the end of the data (zeros follow) */
  char path[4200];
  pthread_mutex_t mu;
  pthread_cond_t wake;    /* the committer: work or stop */
  pthread_cond_t written; /* cc_audit_log_write's waiters */
  pthread_t thread;
  pending *head, *tail;      /* the queue, oldest first */
  uint64_t last_us;          /* the time of the latest entry queued */
  uint64_t batches, entries; /* counters (cc_audit_log_stats) */
  int stop, running;
  /* The syncer (under mu): the data end written and the end made durable,
   * the first failed fdatasync (0: none; sticky), and its own stop. */
  int durable;
  pthread_cond_t sync_wake, synced;
  pthread_t syncer;
  off_t written_end, synced_end;
  int sync_rc, sync_stop, syncer_running;
  char sync_message[512];
};

/* Writes all of buf at off; 0 or -1 (errno). */
static int pwrite_all(int fd, const uint8_t *buf, size_t len, off_t off)
{
  while (len > 0) {
    ssize_t w = pwrite(fd, buf, len, off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      if (w == 0)
        errno = EIO;
      return -1;
    }
    buf += w;
    len -= (size_t)w;
    off += w;
  }
  return 0;
}

/* The end of the data: after the last byte that is not 0 (every entry
 * ends with FILE_END), the zeros after it being room written ahead. */
static int data_end(int fd, off_t size, off_t *end)
{
  uint8_t block[65536];
  off_t at = size;
  while (at > 0) {
    size_t n = at < (off_t)sizeof block ? (size_t)at : sizeof block;
    size_t i;
    if (pread(fd, block, n, at - (off_t)n) != (ssize_t)n)
      return -1;
    for (i = n; i > 0; i--)
      if (block[i - 1] != 0) {
        *end = at - (off_t)n + (off_t)i;
        return 0;
      }
    at -= (off_t)n;
  }
  *end = 0;
  return 0;
}

/*
 * Writes a batch after the data, under the file's lock (the fdatasync is
 * sync_file's, on the syncer or, when durable, on the committer). The file
 * is grown ahead by FILE_CHUNK of written zeros, so that an append changes
 * neither its size nor its blocks: fdatasync then
 * writes the data alone and commits no journal transaction, which under a
 * monthly run's writeback (ext4, data=ordered) waited for the run's dirty
 * pages (100-300 ms; bench/RESULTS.md). Another process appending to the
 * same file (a second service) is seen by a byte other than 0 at the end
 * this one knows. Returns 0 or a cc_error code.
 */
static int commit_batch(cc_audit_log *log, const uint8_t *buf, size_t len)
{
  static const uint8_t zeros[65536];
  struct stat sb;
  uint8_t c;
  int rc = 0;
  if (flock(log->fd, LOCK_EX) != 0)
    return cc_error_set_errno(CC_EIO, errno, "audit store %s: lock", log->path);
  if (fstat(log->fd, &sb) != 0 ||
      (pread(log->fd, &c, 1, log->end) == 1 && c != 0 &&
       data_end(log->fd, sb.st_size, &log->end) < 0)) {
    rc = cc_error_set_errno(CC_EIO, errno, "audit store %s: read", log->path);
    goto done;
  }
  if (log->end + (off_t)len > sb.st_size) {
    off_t grown =
        (log->end + (off_t)len + FILE_CHUNK - 1) / FILE_CHUNK * FILE_CHUNK;
    off_t at;
    for (at = sb.st_size; at < grown; at += (off_t)sizeof zeros)
      if (pwrite_all(log->fd, zeros,
                     grown - at < (off_t)sizeof zeros ? (size_t)(grown - at)
                                                      : sizeof zeros,
                     at) < 0) {
        rc = cc_error_set_errno(CC_EIO, errno, "audit store %s: write",
                                log->path);
        goto done;
      }
  }
  if (pwrite_all(log->fd, buf, len, log->end) < 0) {
    rc = cc_error_set_errno(CC_EIO, errno, "audit store %s: write", log->path);
    goto done;
  }
  log->end += (off_t)len;
done:
  flock(log->fd, LOCK_UN);
  return rc;
}

int cc_audit_fail_sync;

/* One fdatasync of the store; 0 or a cc_error code. */
static int sync_file(cc_audit_log *log)
{
  if (cc_audit_fail_sync) {
    errno = EIO;
    return cc_error_set_errno(CC_EIO, errno, "audit store %s: fdatasync",
                              log->path);
  }
  if (fdatasync(log->fd) != 0)
    return cc_error_set_errno(CC_EIO, errno, "audit store %s: fdatasync",
                              log->path);
  return 0;
}

/* A failed sync, kept (log->mu held): every later submit fails. */
static void sync_failed(cc_audit_log *log, int rc)
{
  if (log->sync_rc == 0) {
    log->sync_rc = rc;
    snprintf(log->sync_message, sizeof log->sync_message, "%s",
             cc_error_last());
    fprintf(stderr, "chachong serve: %s; calls that return data now fail\n",
            log->sync_message);
  }
}

/* The syncer: fdatasync after each write of the committer, until stopped
 * with nothing left unsynced. */
static void *syncer(void *arg)
{
  cc_audit_log *log = arg;
  pthread_mutex_lock(&log->mu);
  for (;;) {
    off_t target;
    int rc;
    while (log->synced_end == log->written_end && !log->sync_stop)
      pthread_cond_wait(&log->sync_wake, &log->mu);
    if (log->synced_end == log->written_end)
      break; /* stopped, and everything synced */
    target = log->written_end;
    pthread_mutex_unlock(&log->mu);
    rc = sync_file(log);
    pthread_mutex_lock(&log->mu);
    if (rc < 0)
      sync_failed(log, rc);
    log->synced_end = target;
    pthread_cond_broadcast(&log->synced);
  }
  pthread_mutex_unlock(&log->mu);
  return NULL;
}

static void *committer(void *arg)
{
  cc_audit_log *log = arg;
  uint8_t *buf = NULL;
  size_t cap = 0;
  for (;;) {
    pending *batch, *p, *next;
    size_t len = 0;
    int rc = 0;
    pthread_mutex_lock(&log->mu);
    while (log->head == NULL && !log->stop)
      pthread_cond_wait(&log->wake, &log->mu);
    batch = log->head;
    log->head = log->tail = NULL;
    pthread_mutex_unlock(&log->mu);
    if (batch == NULL)
      break; /* stopped, and nothing left */
    for (p = batch; p; p = p->next)
      len += p->len;
    if (len > cap) {
      uint8_t *grown = realloc(buf, len);
      if (grown == NULL) {
        rc = cc_error_set(CC_ENOMEM, "out of memory");
      } else {
        buf = grown;
        cap = len;
      }
    }
    if (rc == 0) {
      len = 0;
      for (p = batch; p; p = p->next) {
        memcpy(buf + len, p->bytes, p->len);
        len += p->len;
      }
      rc = commit_batch(log, buf, len);
      if (rc == 0 && log->durable && (rc = sync_file(log)) < 0) {
        pthread_mutex_lock(&log->mu);
        sync_failed(log, rc);
        pthread_mutex_unlock(&log->mu);
      }
    }
    pthread_mutex_lock(&log->mu);
    log->batches++;
    if (rc == 0 && log->sync_rc < 0)
      rc = cc_error_set(log->sync_rc, "%s", log->sync_message);
    if (rc == 0 && !log->durable) {
      log->written_end = log->end;
      pthread_cond_signal(&log->sync_wake);
    }
    pthread_mutex_unlock(&log->mu);
    for (p = batch; p; p = next) {
      next = p->next;
      p->done(p->ctx, rc);
      free(p);
    }
  }
  free(buf);
  return NULL;
}

int cc_audit_log_open(cc_audit_log **out, cc_db *db, int durable)
{
  cc_audit_log *log;
  char dir[4200];
  struct stat sb;
  int dfd;

  *out = NULL;
  if (cc_db_read_only(db))
    return cc_error_set(CC_EINVALID, "the audit log needs a writable database");
  log = calloc(1, sizeof *log);
  if (log == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  cc_audit_file_path(log->path, sizeof log->path, db);
  log->fd = open(log->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (log->fd < 0 || fstat(log->fd, &sb) != 0 || flock(log->fd, LOCK_SH) != 0 ||
      data_end(log->fd, sb.st_size, &log->end) < 0) {
    int rc = cc_error_set_errno(CC_EIO, errno, "audit store %s", log->path);
    if (log->fd >= 0)
      close(log->fd);
    free(log);
    return rc;
  }
  flock(log->fd, LOCK_UN);
  /* The file's name is durable too: sync the directory once. */
  snprintf(dir, sizeof dir, "%s", cc_db_dir(db));
  if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
    fsync(dfd);
    close(dfd);
  }
  log->durable = durable;
  log->written_end = log->synced_end = log->end;
  pthread_mutex_init(&log->mu, NULL);
  pthread_cond_init(&log->wake, NULL);
  pthread_cond_init(&log->written, NULL);
  pthread_cond_init(&log->sync_wake, NULL);
  pthread_cond_init(&log->synced, NULL);
  /* Durable, the committer syncs each batch itself: no syncer. */
  if (!durable) {
    if (pthread_create(&log->syncer, NULL, syncer, log) != 0) {
      cc_audit_log_close(log);
      return cc_error_set(CC_ENOMEM, "cannot start the audit syncer");
    }
    log->syncer_running = 1;
  }
  if (pthread_create(&log->thread, NULL, committer, log) != 0) {
    cc_audit_log_close(log);
    return cc_error_set(CC_ENOMEM, "cannot start the audit committer");
  }
  log->running = 1;
  *out = log;
  return 0;
}

/* Sets *flag, wakes the thread waiting on cond and joins it (if running). */
static void stop_thread(cc_audit_log *log, int *flag, pthread_cond_t *cond,
                        pthread_t thread, int *running)
{
  pthread_mutex_lock(&log->mu);
  *flag = 1;
  pthread_cond_signal(cond);
  pthread_mutex_unlock(&log->mu);
  if (*running)
    pthread_join(thread, NULL);
  *running = 0;
}

void cc_audit_log_stop(cc_audit_log *log)
{
  if (log == NULL)
    return;
  /* The committer after the last batch is written, then the syncer after
   * the last write is synced. */
  stop_thread(log, &log->stop, &log->wake, log->thread, &log->running);
  stop_thread(log, &log->sync_stop, &log->sync_wake, log->syncer,
              &log->syncer_running);
}

void cc_audit_log_close(cc_audit_log *log)
{
  if (log == NULL)
    return;
  cc_audit_log_stop(log);
  pthread_mutex_destroy(&log->mu);
  pthread_cond_destroy(&log->wake);
  pthread_cond_destroy(&log->written);
  pthread_cond_destroy(&log->sync_wake);
  pthread_cond_destroy(&log->synced);
  close(log->fd);
  free(log);
}

int cc_audit_log_submit(cc_audit_log *log, const cc_audit_entry *e, size_t n,
                        cc_audit_done done, void *ctx)
{
  pending *p;
  uint8_t key[CC_AUDIT_KEY_LEN], val[CC_AUDIT_VALUE_MAX];
  size_t at[8], i;
  struct timeval tv;
  uint64_t us;

  if (n == 0 || n > sizeof at / sizeof at[0])
    return cc_error_set(CC_EINVALID, "%zu audit entries in one call", n);
  if ((p = malloc(sizeof *p + n * FILE_ENTRY_MAX)) == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  p->next = NULL;
  p->done = done;
  p->ctx = ctx;
  p->len = 0;
  /* Encoded outside the lock; the time and checksum are set under it. */
  for (i = 0; i < n; i++) {
    at[i] = p->len;
    p->len +=
        file_entry(p->bytes + p->len, 0, val, cc_audit_encode(key, val, &e[i]));
  }
  gettimeofday(&tv, NULL);
  us = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
  pthread_mutex_lock(&log->mu);
  if (log->stop) {
    pthread_mutex_unlock(&log->mu);
    free(p);
    return cc_error_set(CC_EIO, "the audit store is closed");
  }
  if (log->sync_rc < 0) {
    int rc = cc_error_set(log->sync_rc, "%s", log->sync_message);
    pthread_mutex_unlock(&log->mu);
    free(p);
    return rc;
  }
  /* Times in the order queued, which is the file's order. */
  for (i = 0; i < n; i++) {
    uint8_t *q = p->bytes + at[i];
    size_t len = get_u32(q + 4);
    if (us <= log->last_us)
      us = log->last_us + 1;
    log->last_us = us;
    put_u64(q + 8, us);
    put_u64(q + FILE_HEAD + len, XXH3_64bits(q, FILE_HEAD + len));
  }
  log->entries += n;
  if (log->tail)
    log->tail->next = p;
  else
    log->head = p;
  log->tail = p;
  pthread_cond_signal(&log->wake);
  pthread_mutex_unlock(&log->mu);
  return 0;
}

/* cc_audit_log_write: waits for its batch. */
typedef struct waiter {
  cc_audit_log *log;
  int rc, finished;
  char message[512];
} waiter;

static void written(void *ctx, int rc)
{
  waiter *w = ctx;
  pthread_mutex_lock(&w->log->mu);
  w->rc = rc;
  if (rc < 0)
    snprintf(w->message, sizeof w->message, "%s", cc_error_last());
  w->finished = 1;
  pthread_cond_broadcast(&w->log->written);
  pthread_mutex_unlock(&w->log->mu);
}

int cc_audit_log_write(cc_audit_log *log, const cc_audit_entry *e)
{
  waiter w;
  int rc;
  memset(&w, 0, sizeof w);
  w.log = log;
  if ((rc = cc_audit_log_submit(log, e, 1, written, &w)) < 0)
    return rc;
  pthread_mutex_lock(&log->mu);
  while (!w.finished)
    pthread_cond_wait(&log->written, &log->mu);
  pthread_mutex_unlock(&log->mu);
  if (w.rc < 0)
    return cc_error_set(w.rc, "%s", w.message);
  return 0;
}

int cc_audit_log_synced(cc_audit_log *log)
{
  int rc = 0;
  pthread_mutex_lock(&log->mu);
  while (log->synced_end != log->written_end && log->syncer_running)
    pthread_cond_wait(&log->synced, &log->mu);
  if (log->sync_rc < 0)
    rc = cc_error_set(log->sync_rc, "%s", log->sync_message);
  pthread_mutex_unlock(&log->mu);
  return rc;
}

void cc_audit_log_stats(cc_audit_log *log, uint64_t *entries, uint64_t *batches)
{
  pthread_mutex_lock(&log->mu);
  *entries = log->entries;
  *batches = log->batches;
  pthread_mutex_unlock(&log->mu);
}
