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
 * Entries keep the text as given (--user, and --by and --note in what);
 * the listing (cc_audit_format) shows their control characters as
 * escapes, so that a line feed and tabs in --by cannot print a line that
 * looks like another entry.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

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

/* cc_audit_list: the entries kept, and since when. */
typedef struct list_ctx {
  cc_audit_entry *list;
  size_t n, cap;
  int64_t since;
} list_ctx;

static int list_one(void *vctx, const cc_bytes *k, const cc_bytes *v)
{
  list_ctx *c = vctx;
  const uint8_t *p = v->p, *end = p + v->n;
  cc_audit_entry e;
  size_t len;
  (void)k;
  memset(&e, 0, sizeof e);
  if (v->n < 20)
    return cc_error_set(CC_ECORRUPT, "audit log: bad entry");
  e.when = (int64_t)get_u64(p);
  e.records = get_u64(p + 8);
  p += 16;
  len = *p++;
  if (p + len > end || len >= sizeof e.user)
    return cc_error_set(CC_ECORRUPT, "audit log: bad entry");
  memcpy(e.user, p, len);
  p += len;
  len = p < end ? *p++ : 0;
  if (p + len > end || len >= sizeof e.command)
    return cc_error_set(CC_ECORRUPT, "audit log: bad entry");
  memcpy(e.command, p, len);
  p += len;
  if (p + 2 > end)
    return cc_error_set(CC_ECORRUPT, "audit log: bad entry");
  len = (size_t)p[0] << 8 | p[1];
  p += 2;
  if (p + len > end || len >= sizeof e.what)
    return cc_error_set(CC_ECORRUPT, "audit log: bad entry");
  memcpy(e.what, p, len);
  p += len;
  /* os_user: absent from entries written before it was kept. */
  if (p < end) {
    len = *p++;
    if (p + len > end || len >= sizeof e.os_user)
      return cc_error_set(CC_ECORRUPT, "audit log: bad entry");
    memcpy(e.os_user, p, len);
  }
  if (e.when < c->since)
    return 0;
  if (c->n == c->cap) {
    size_t ncap = c->cap ? c->cap * 2 : 64;
    cc_audit_entry *grown = realloc(c->list, ncap * sizeof *grown);
    if (grown == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory");
    c->list = grown;
    c->cap = ncap;
  }
  c->list[c->n++] = e;
  return 0;
}

int cc_audit_list(cc_audit_entry **out, size_t *n, cc_db *db, int64_t since)
{
  list_ctx c = {NULL, 0, 0, since};
  int rc;
  *out = NULL;
  *n = 0;
  rc = cc_db_each(db, CC_AUDIT_DB, NULL, 0, list_one, &c, "audit log");
  if (rc < 0) {
    free(c.list);
    return rc;
  }
  *out = c.list;
  *n = c.n;
  return 0;
}
