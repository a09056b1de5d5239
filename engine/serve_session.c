/*
 * serve_session.c - login sessions and login throttling of the service, in
 * its memory (OWASP Session Management cheat sheet):
 *
 *  - an id is 256 bits from libsodium's randombytes (the kernel's CSPRNG),
 *    written as 64 hex digits; a session is found by hashing its id into a
 *    bucket and comparing ids in constant time (sodium_memcmp);
 *  - every login makes a new id (no fixation: an id a client brings is
 *    never adopted), with a CSRF token of its own, also 256 bits;
 *  - a session ends after idle_timeout seconds unused or absolute_timeout
 *    seconds after login, whichever comes first, on a clock that never
 *    goes back (CLOCK_MONOTONIC: setting the date moves nothing);
 *  - at most max_sessions at once: when full, expired sessions are swept,
 *    and a login that still finds no room is refused rather than pushing
 *    another user out.
 *
 * Throttling counts failed logins per key ("a:" name, "ip:" address).
 * Once a key has failed `limit` times within 15 minutes, it waits
 * lockout_seconds, doubled by each further failure, at most 15 minutes;
 * a successful login clears the name's count. Names that do not exist
 * are counted like the others, so the lock says nothing about them.
 *
 * Sessions live in memory only: a restart logs everyone out, and a login
 * never waits for the database's writer lock, which a monthly run holds
 * while it stages a period. One mutex guards both tables; what it covers
 * is a few comparisons.
 *
 * A login (cc_sessions_login) is decided here too: throttle, password,
 * fixation, new session; serve.c and serve_pages.c turn its result into
 * their reply. This file calls no other file of the service.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "chachong/errors.h"
#include "error_internal.h"
#include "serve_session_internal.h"

#define BUCKETS 65536u
#define WINDOW 900   /* seconds a failure counts */
#define LOCK_MAX 900 /* the longest lock */
#define THROTTLE_MAX 100000

typedef struct entry {
  uint8_t id[CC_SID_BYTES];
  cc_session s;
  int next; /* next in the bucket, or -1 */
  int used;
} entry;

typedef struct tkey {
  char key[96];
  unsigned fails;
  int64_t first, until;
  int next;
  int used;
} tkey;

struct cc_sessions {
  pthread_mutex_t lock;
  entry *e;
  size_t cap, n;
  int free_head; /* a free entry's index via next, or -1 */
  int bucket[BUCKETS];
  tkey *t;
  size_t t_cap, t_n;
  int t_bucket[BUCKETS];
  unsigned idle, absolute, limit_a, limit_ip, lockout;
};

int64_t cc_serve_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec;
}

static unsigned bucket_of(const void *p, size_t n)
{
  uint8_t h[8];
  /* A keyed hash is not needed for the ids (random already); for the
   * throttling keys, which a client chooses, the table only gets slower. */
  crypto_generichash(h, sizeof h, p, n, NULL, 0);
  return (unsigned)(h[0] | h[1] << 8) % BUCKETS;
}

int cc_sessions_new(cc_sessions **out, const cc_serve_options *o)
{
  cc_sessions *s = calloc(1, sizeof *s);
  size_t i;
  *out = NULL;
  if (s == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  if (sodium_init() < 0) {
    free(s);
    return cc_error_set(CC_ERROR, "libsodium could not be initialised");
  }
  s->cap = o->max_sessions ? o->max_sessions : 1;
  s->t_cap = THROTTLE_MAX;
  s->e = calloc(s->cap, sizeof *s->e);
  s->t = calloc(s->t_cap, sizeof *s->t);
  if (s->e == NULL || s->t == NULL) {
    free(s->e);
    free(s->t);
    free(s);
    return cc_error_set(CC_ENOMEM, "out of memory");
  }
  for (i = 0; i < BUCKETS; i++)
    s->bucket[i] = s->t_bucket[i] = -1;
  for (i = 0; i < s->cap; i++)
    s->e[i].next = i + 1 < s->cap ? (int)(i + 1) : -1;
  s->free_head = 0;
  s->idle = o->idle_timeout;
  s->absolute = o->absolute_timeout;
  s->limit_a = o->account_failures;
  s->limit_ip = o->address_failures;
  s->lockout = o->lockout_seconds;
  pthread_mutex_init(&s->lock, NULL);
  *out = s;
  return 0;
}

void cc_sessions_free(cc_sessions *s)
{
  if (s == NULL)
    return;
  pthread_mutex_destroy(&s->lock);
  sodium_memzero(s->e, s->cap * sizeof *s->e);
  free(s->e);
  free(s->t);
  free(s);
}

static int expired(const cc_sessions *s, const cc_session *x, int64_t now)
{
  return now - x->last >= (int64_t)s->idle ||
         now - x->created >= (int64_t)s->absolute;
}

/* Unlinks entry i of bucket b (lock held). */
static void drop(cc_sessions *s, unsigned b, int i)
{
  int *link = &s->bucket[b];
  while (*link != i)
    link = &s->e[*link].next;
  *link = s->e[i].next;
  sodium_memzero(&s->e[i], sizeof s->e[i]);
  s->e[i].next = s->free_head;
  s->free_head = i;
  s->n--;
}

static void sweep(cc_sessions *s, int64_t now)
{
  unsigned b;
  for (b = 0; b < BUCKETS; b++) {
    int i = s->bucket[b];
    while (i >= 0) {
      int next = s->e[i].next;
      if (expired(s, &s->e[i].s, now))
        drop(s, b, i);
      i = next;
    }
  }
}

static int parse_id(uint8_t out[CC_SID_BYTES], const char *hex)
{
  size_t bin_len = 0;
  if (hex == NULL || strlen(hex) != 2 * CC_SID_BYTES)
    return -1;
  if (sodium_hex2bin(out, CC_SID_BYTES, hex, 2 * CC_SID_BYTES, NULL, &bin_len,
                     NULL) != 0 ||
      bin_len != CC_SID_BYTES)
    return -1;
  return 0;
}

int cc_sessions_open(cc_sessions *s, char out_id[CC_SID_TEXT], cc_session *out,
                     const cc_account *a)
{
  uint8_t id[CC_SID_BYTES], csrf[CC_SID_BYTES];
  int64_t now = cc_serve_now();
  unsigned b;
  int i;

  randombytes_buf(id, sizeof id);
  randombytes_buf(csrf, sizeof csrf);
  memset(out, 0, sizeof *out);
  snprintf(out->name, sizeof out->name, "%s", a->name);
  out->account_changed = a->changed;
  sodium_bin2hex(out->csrf, sizeof out->csrf, csrf, sizeof csrf);
  out->created = out->last = now;
  b = bucket_of(id, sizeof id);
  pthread_mutex_lock(&s->lock);
  if (s->free_head < 0)
    sweep(s, now);
  i = s->free_head;
  if (i < 0) {
    pthread_mutex_unlock(&s->lock);
    return cc_error_set(CC_EBUSY, "too many sessions at once");
  }
  s->free_head = s->e[i].next;
  memcpy(s->e[i].id, id, sizeof id);
  s->e[i].s = *out;
  s->e[i].used = 1;
  s->e[i].next = s->bucket[b];
  s->bucket[b] = i;
  s->n++;
  pthread_mutex_unlock(&s->lock);
  sodium_bin2hex(out_id, CC_SID_TEXT, id, sizeof id);
  sodium_memzero(id, sizeof id);
  return 0;
}

int cc_sessions_find(cc_sessions *s, const char *hex, cc_session *out)
{
  uint8_t id[CC_SID_BYTES];
  int64_t now = cc_serve_now();
  unsigned b;
  int i, rc = CC_ENOTFOUND;

  if (parse_id(id, hex) < 0)
    return CC_ENOTFOUND;
  b = bucket_of(id, sizeof id);
  pthread_mutex_lock(&s->lock);
  for (i = s->bucket[b]; i >= 0; i = s->e[i].next) {
    if (sodium_memcmp(s->e[i].id, id, sizeof id) != 0)
      continue;
    if (expired(s, &s->e[i].s, now)) {
      drop(s, b, i);
      break;
    }
    s->e[i].s.last = now;
    *out = s->e[i].s;
    rc = 0;
    break;
  }
  pthread_mutex_unlock(&s->lock);
  return rc;
}

void cc_sessions_close(cc_sessions *s, const char *hex)
{
  uint8_t id[CC_SID_BYTES];
  unsigned b;
  int i;
  if (parse_id(id, hex) < 0)
    return;
  b = bucket_of(id, sizeof id);
  pthread_mutex_lock(&s->lock);
  for (i = s->bucket[b]; i >= 0; i = s->e[i].next)
    if (sodium_memcmp(s->e[i].id, id, sizeof id) == 0) {
      drop(s, b, i);
      break;
    }
  pthread_mutex_unlock(&s->lock);
}

/* ------------------------------------------------------------------ */
/* Throttling. */

static unsigned limit_of(const cc_sessions *s, const char *key)
{
  return key[0] == 'a' ? s->limit_a : s->limit_ip;
}

/* The entry of a key (lock held); NULL when absent. */
static tkey *t_find(cc_sessions *s, const char *key, unsigned b)
{
  int i;
  for (i = s->t_bucket[b]; i >= 0; i = s->t[i].next)
    if (strcmp(s->t[i].key, key) == 0)
      return &s->t[i];
  return NULL;
}

/* Forgets the keys whose failures have all aged out (lock held). */
static void t_sweep(cc_sessions *s, int64_t now)
{
  unsigned b;
  size_t k = 0;
  for (b = 0; b < BUCKETS; b++)
    s->t_bucket[b] = -1;
  /* Compact the array, keeping the live keys, and rebuild the buckets. */
  for (size_t i = 0; i < s->t_n; i++) {
    tkey *x = &s->t[i];
    if (now - x->first >= WINDOW && now >= x->until)
      continue;
    if (k != i)
      s->t[k] = *x;
    b = bucket_of(s->t[k].key, strlen(s->t[k].key));
    s->t[k].next = s->t_bucket[b];
    s->t_bucket[b] = (int)k;
    k++;
  }
  s->t_n = k;
}

unsigned cc_throttle_wait(cc_sessions *s, const char *key)
{
  unsigned b = bucket_of(key, strlen(key)), wait = 0;
  int64_t now = cc_serve_now();
  tkey *x;
  pthread_mutex_lock(&s->lock);
  x = t_find(s, key, b);
  if (x && x->until > now)
    wait = (unsigned)(x->until - now);
  pthread_mutex_unlock(&s->lock);
  return wait;
}

void cc_throttle_fail(cc_sessions *s, const char *key)
{
  unsigned b = bucket_of(key, strlen(key)), limit = limit_of(s, key);
  int64_t now = cc_serve_now();
  tkey *x;
  pthread_mutex_lock(&s->lock);
  x = t_find(s, key, b);
  if (x == NULL) {
    if (s->t_n == s->t_cap)
      t_sweep(s, now);
    if (s->t_n == s->t_cap) {
      /* Full of live keys (an attack from very many addresses): the
       * oldest entry's slot is taken over. */
      memmove(s->t, s->t + 1, (s->t_cap - 1) * sizeof *s->t);
      s->t_n--;
      t_sweep(s, now);
    }
    x = &s->t[s->t_n++];
    memset(x, 0, sizeof *x);
    snprintf(x->key, sizeof x->key, "%s", key);
    x->first = now;
    x->used = 1;
    x->next = s->t_bucket[b];
    s->t_bucket[b] = (int)(x - s->t);
  }
  if (now - x->first >= WINDOW && now >= x->until) {
    x->fails = 0; /* the earlier failures have aged out */
    x->first = now;
  }
  x->fails++;
  if (limit > 0 && x->fails >= limit) {
    unsigned extra = x->fails - limit;
    int64_t lock = (int64_t)s->lockout << (extra > 10 ? 10 : extra);
    x->until = now + (lock > LOCK_MAX ? LOCK_MAX : lock);
  }
  pthread_mutex_unlock(&s->lock);
}

void cc_throttle_clear(cc_sessions *s, const char *key)
{
  unsigned b = bucket_of(key, strlen(key));
  tkey *x;
  pthread_mutex_lock(&s->lock);
  x = t_find(s, key, b);
  if (x) {
    x->fails = 0;
    x->until = 0;
    x->first = 0; /* aged out: swept when room is needed */
  }
  pthread_mutex_unlock(&s->lock);
}

/* ------------------------------------------------------------------ */
/* Logging in. */

cc_login_result cc_sessions_login(cc_sessions *s, cc_db *db, const char *name,
                                  const char *password, size_t password_len,
                                  const char *addr, const char *old_sid,
                                  char sid[CC_SID_TEXT], cc_session *session,
                                  cc_account *acct, unsigned *retry)
{
  char akey[96], ikey[96];
  unsigned wait_a, wait_i;
  cc_account a;
  int rc;

  *retry = 0;
  snprintf(akey, sizeof akey, "a:%.64s", name);
  snprintf(ikey, sizeof ikey, "ip:%s", addr);
  wait_a = cc_throttle_wait(s, akey);
  wait_i = cc_throttle_wait(s, ikey);
  if (wait_a || wait_i) {
    /* Locked: the password is not even checked, so guessing stops. */
    *retry = wait_a > wait_i ? wait_a : wait_i;
    return CC_LOGIN_THROTTLED;
  }
  rc = cc_account_login(&a, db, name, password, password_len);
  if (rc == CC_ENOTFOUND) {
    cc_throttle_fail(s, akey);
    cc_throttle_fail(s, ikey);
    return CC_LOGIN_WRONG;
  }
  if (rc < 0)
    return CC_LOGIN_ERROR;
  cc_throttle_clear(s, akey);
  /* Fixation: whatever session the client came with ends here, and the
   * login gets an id of its own. */
  if (old_sid[0])
    cc_sessions_close(s, old_sid);
  if (cc_sessions_open(s, sid, session, &a) < 0)
    return CC_LOGIN_FULL;
  *acct = a;
  return CC_LOGIN_OK;
}
