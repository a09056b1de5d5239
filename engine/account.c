/*
 * account.c - the accounts of the service (SPEC 5): roles, scopes,
 * Argon2id passwords and API tokens. The bytes are kept by
 * the storage layer (store.c), in the "accounts" sub-database:
 *
 *   key "u/" name            value (an account)
 *     0 u8 layout (1) | 1 u8 role | 2 u8 disabled | 3 u8 has token
 *     | 4 i64 created (s) | 12 i64 changed (us)
 *     | 20 32 bytes BLAKE2b-256 of the token (zero without one)
 *     | 52 u8 length | scope | u8 length | Argon2id string (crypto_pwhash_str)
 *   key "t/" 32-byte digest  value: the account's name
 *
 * Passwords: crypto_pwhash_str with Argon2id at libsodium's "interactive"
 * limits (2 passes, 64 MiB); the string carries its own salt and limits,
 * so they can be raised later without touching stored accounts. A login
 * for an unknown name verifies a dummy hash made once per process, so that
 * its time says nothing about which names exist.
 *
 * Tokens are 256 random bits, shown once as "cct_" and 64 hex digits; only
 * their digest is stored (a plain hash suffices for a random secret of
 * that size: there is nothing to guess word by word), under a key of its
 * own so that an API call finds its account in one lookup.
 *
 * Every change (add, password, disable/enable, token made or revoked) is
 * recorded in the audit log here, after it is stored, under the login
 * name of the process (cc_audit_user) with command "user", so that no
 * caller of the library can change an account without leaving an entry.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <sodium.h>

#include "chachong/account.h"
#include "audit_internal.h"
#include "chachong/region.h"
#include "store_internal.h"
#include "bytes_internal.h"
#include "error_internal.h"

#define LAYOUT 1
#define HEAD 52
#define DIGEST 32
#define TOKEN_PREFIX "cct_"

static const char *const role_code[CC_ROLE_COUNT_] = {
    "none", "national", "province", "city", "school"};
static const char *const role_zh[CC_ROLE_COUNT_] = {"无", "全国", "省级",
                                                    "地市级", "学校"};

const char *cc_role_code(cc_role r)
{
  return r < CC_ROLE_COUNT_ ? role_code[r] : "none";
}
const char *cc_role_zh(cc_role r)
{
  return r < CC_ROLE_COUNT_ ? role_zh[r] : "无";
}

int cc_role_parse(const char *code)
{
  int i;
  for (i = CC_ROLE_NATIONAL; i < CC_ROLE_COUNT_; i++)
    if (strcmp(code, role_code[i]) == 0)
      return i;
  return -1;
}

/* A stored account: what cc_account shows, and the secrets. */
typedef struct stored {
  cc_account a;
  uint8_t token[DIGEST];
  char hash[crypto_pwhash_STRBYTES];
} stored;

static int64_t now_us(void)
{
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static int sodium_ready(void)
{
  /* sodium_init is thread-safe and idempotent; < 0 only when it cannot
   * get randomness. */
  if (sodium_init() < 0)
    return cc_error_set(CC_ERROR, "libsodium could not be initialised");
  return 0;
}

static int name_check(const char *name)
{
  size_t i, n = strlen(name);
  if (n == 0 || n > CC_ACCOUNT_NAME_MAX)
    return cc_error_set(CC_EINVALID, "an account name has 1 to %d characters",
                        CC_ACCOUNT_NAME_MAX);
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
          c == '@'))
      return cc_error_set(CC_EINVALID,
                          "an account name has only the characters "
                          "A-Z a-z 0-9 . _ - @");
  }
  return 0;
}

int cc_account_scope_check(int role, const char *scope)
{
  size_t i, n = scope ? strlen(scope) : 0;
  switch (role) {
  case CC_ROLE_NATIONAL:
    if (n != 0)
      return cc_error_set(CC_EINVALID, "a national account has no scope");
    return 0;
  case CC_ROLE_PROVINCE:
  case CC_ROLE_CITY: {
    size_t want = role == CC_ROLE_PROVINCE ? 2 : 4;
    for (i = 0; i < n; i++)
      if (scope[i] < '0' || scope[i] > '9')
        break;
    if (n != want || i != n)
      return cc_error_set(CC_EINVALID,
                          "a %s account's scope is a %zu-digit "
                          "region code",
                          role_code[role], want);
    if (cc_region_lookup(scope, n) == NULL)
      return cc_error_set(CC_EINVALID, "region code %s is not in GB/T 2260",
                          scope);
    return 0;
  }
  case CC_ROLE_SCHOOL:
    if (n == 0 || n > CC_ACCOUNT_SCOPE_MAX)
      return cc_error_set(CC_EINVALID,
                          "a school account's scope is its school "
                          "code (1 to %d characters)",
                          CC_ACCOUNT_SCOPE_MAX);
    for (i = 0; i < n; i++)
      if ((unsigned char)scope[i] <= ' ' || (unsigned char)scope[i] >= 0x7f)
        return cc_error_set(CC_EINVALID, "a school code has printable ASCII "
                                         "characters and no spaces");
    return 0;
  default:
    return cc_error_set(CC_EINVALID, "unknown role");
  }
}

static int password_check(const char *pw, size_t len)
{
  if (len < CC_PASSWORD_MIN || len > CC_PASSWORD_MAX)
    return cc_error_set(CC_EINVALID, "a password has %d to %d bytes",
                        CC_PASSWORD_MIN, CC_PASSWORD_MAX);
  if (memchr(pw, '\0', len) != NULL)
    return cc_error_set(CC_EINVALID, "a password holds no NUL byte");
  return 0;
}

static int hash_password(char out[crypto_pwhash_STRBYTES], const char *pw,
                         size_t len)
{
  if (sodium_ready() < 0)
    return CC_ERROR;
  if (crypto_pwhash_str_alg(out, pw, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return cc_error_set(CC_ENOMEM, "hashing the password: out of memory");
  return 0;
}

static size_t encode(uint8_t *out, const stored *s)
{
  uint8_t *p = out;
  size_t sl = strlen(s->a.scope), hl = strlen(s->hash);
  p[0] = LAYOUT;
  p[1] = s->a.role;
  p[2] = s->a.disabled;
  p[3] = s->a.has_token;
  put_u64(p + 4, (uint64_t)s->a.created);
  put_u64(p + 12, (uint64_t)s->a.changed);
  memcpy(p + 20, s->token, DIGEST);
  p += HEAD;
  *p++ = (uint8_t)sl;
  memcpy(p, s->a.scope, sl);
  p += sl;
  *p++ = (uint8_t)hl;
  memcpy(p, s->hash, hl);
  p += hl;
  return (size_t)(p - out);
}

/* Upper bound of an encoded account. */
#define VALUE_MAX (HEAD + 1 + CC_ACCOUNT_SCOPE_MAX + 1 + crypto_pwhash_STRBYTES)

static int decode(stored *s, const char *name, size_t nl, const uint8_t *v,
                  size_t len)
{
  size_t sl, hl;
  memset(s, 0, sizeof *s);
  if (len < HEAD + 2 || v[0] != LAYOUT || nl > CC_ACCOUNT_NAME_MAX)
    goto bad;
  s->a.role = v[1];
  s->a.disabled = v[2];
  s->a.has_token = v[3];
  s->a.created = (int64_t)get_u64(v + 4);
  s->a.changed = (int64_t)get_u64(v + 12);
  memcpy(s->token, v + 20, DIGEST);
  sl = v[HEAD];
  if (sl > CC_ACCOUNT_SCOPE_MAX || HEAD + 1 + sl + 1 > len)
    goto bad;
  memcpy(s->a.scope, v + HEAD + 1, sl);
  hl = v[HEAD + 1 + sl];
  if (hl >= sizeof s->hash || HEAD + 2 + sl + hl != len)
    goto bad;
  memcpy(s->hash, v + HEAD + 2 + sl, hl);
  memcpy(s->a.name, name, nl);
  if (s->a.role == CC_ROLE_NONE || s->a.role >= CC_ROLE_COUNT_)
    goto bad;
  return 0;
bad:
  return cc_error_set(CC_ECORRUPT, "accounts: a stored account is damaged");
}

static size_t user_key(uint8_t *key, const char *name)
{
  size_t n = strlen(name);
  memcpy(key, "u/", 2);
  memcpy(key + 2, name, n);
  return n + 2;
}

static size_t token_key(uint8_t key[2 + DIGEST], const uint8_t digest[DIGEST])
{
  memcpy(key, "t/", 2);
  memcpy(key + 2, digest, DIGEST);
  return 2 + DIGEST;
}

static int load(stored *s, cc_db *db, const char *name)
{
  uint8_t key[2 + CC_ACCOUNT_NAME_MAX];
  void *v = NULL;
  size_t len;
  int rc;
  if (strlen(name) > CC_ACCOUNT_NAME_MAX || name_check(name) < 0)
    return cc_error_set(CC_ENOTFOUND, "no such account");
  rc = cc_astore_get(&v, &len, db, key, user_key(key, name));
  if (rc == CC_ENOTFOUND)
    return cc_error_set(CC_ENOTFOUND, "no account named %s", name);
  if (rc < 0)
    return rc;
  rc = decode(s, name, strlen(name), v, len);
  free(v);
  return rc;
}

/* After a change that succeeded (rc == 0), its audit entry (what as
 * printf's); returns rc, or the audit write's error. */
#define AUDITED(db, rc, ...)                                                   \
  ((rc) < 0 ? (rc) : cc_audit_action((db), NULL, "user", 1, __VA_ARGS__))

static int save(cc_db *db, const stored *s, int kind, const cc_astore_op *more,
                size_t n_more)
{
  uint8_t key[2 + CC_ACCOUNT_NAME_MAX], val[VALUE_MAX];
  cc_astore_op ops[3];
  size_t i;
  ops[0].kind = kind;
  ops[0].key = key;
  ops[0].klen = user_key(key, s->a.name);
  ops[0].val = val;
  ops[0].vlen = encode(val, s);
  for (i = 0; i < n_more && i < 2; i++)
    ops[1 + i] = more[i];
  return cc_astore_write(db, ops, 1 + i);
}

int cc_account_add(cc_db *db, const char *name, int role, const char *scope,
                   const char *password, size_t password_len)
{
  stored s;
  int rc;
  memset(&s, 0, sizeof s);
  if ((rc = name_check(name)) < 0 ||
      (rc = cc_account_scope_check(role, scope)) < 0 ||
      (rc = password_check(password, password_len)) < 0)
    return rc;
  snprintf(s.a.name, sizeof s.a.name, "%s", name);
  snprintf(s.a.scope, sizeof s.a.scope, "%s", scope ? scope : "");
  s.a.role = (uint8_t)role;
  s.a.changed = now_us();
  s.a.created = s.a.changed / 1000000;
  if ((rc = hash_password(s.hash, password, password_len)) < 0)
    goto done;
  rc = save(db, &s, CC_ASTORE_ADD, NULL, 0);
  if (rc == CC_EBUSY)
    rc = cc_error_set(CC_EBUSY, "an account named %s exists already", name);
  rc = AUDITED(db, rc, "add %s role=%s scope=%s", name,
               cc_role_code((cc_role)role), s.a.scope);
done:
  sodium_memzero(s.hash, sizeof s.hash);
  return rc;
}

int cc_account_get(cc_account *out, cc_db *db, const char *name)
{
  stored s;
  int rc = load(&s, db, name);
  memset(out, 0, sizeof *out);
  if (rc == 0)
    *out = s.a;
  sodium_memzero(&s, sizeof s);
  return rc;
}

typedef struct lister {
  cc_account *items;
  size_t n, cap;
} lister;

static int list_one(void *ctx, const void *k, size_t klen, const void *v,
                    size_t vlen)
{
  lister *l = ctx;
  stored s;
  int rc;
  if ((rc = decode(&s, (const char *)k + 2, klen - 2, v, vlen)) < 0)
    return rc;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    cc_account *grown = realloc(l->items, cap * sizeof *grown);
    if (grown == NULL)
      return cc_error_set(CC_ENOMEM, "out of memory");
    l->items = grown;
    l->cap = cap;
  }
  l->items[l->n++] = s.a;
  return 0;
}

int cc_account_list(cc_account **out, size_t *n, cc_db *db)
{
  lister l = {NULL, 0, 0};
  int rc = cc_astore_each(db, "u/", 2, list_one, &l);
  *out = NULL;
  *n = 0;
  if (rc < 0) {
    free(l.items);
    return rc;
  }
  *out = l.items;
  *n = l.n;
  return 0;
}

int cc_account_set_disabled(cc_db *db, const char *name, int disabled)
{
  stored s;
  int rc = load(&s, db, name);
  if (rc == 0) {
    s.a.disabled = disabled ? 1 : 0;
    s.a.changed = now_us();
    rc = save(db, &s, CC_ASTORE_PUT, NULL, 0);
    rc = AUDITED(db, rc, "%s %s", disabled ? "disable" : "enable", name);
  }
  sodium_memzero(&s, sizeof s);
  return rc;
}

int cc_account_set_password(cc_db *db, const char *name, const char *password,
                            size_t password_len)
{
  stored s;
  int rc;
  if ((rc = password_check(password, password_len)) < 0)
    return rc;
  if ((rc = load(&s, db, name)) == 0 &&
      (rc = hash_password(s.hash, password, password_len)) == 0) {
    s.a.changed = now_us();
    rc = save(db, &s, CC_ASTORE_PUT, NULL, 0);
    rc = AUDITED(db, rc, "passwd %s", name);
  }
  sodium_memzero(&s, sizeof s);
  return rc;
}

static void token_digest(uint8_t out[DIGEST], const char *token)
{
  crypto_generichash(out, DIGEST, (const unsigned char *)token, strlen(token),
                     NULL, 0);
}

int cc_account_token_new(char out[CC_TOKEN_TEXT], cc_db *db, const char *name)
{
  stored s;
  uint8_t raw[32], old_key[2 + DIGEST], new_key[2 + DIGEST];
  cc_astore_op more[2];
  size_t n_more = 0;
  int rc;

  out[0] = '\0';
  if ((rc = sodium_ready()) < 0 || (rc = load(&s, db, name)) < 0)
    goto done;
  randombytes_buf(raw, sizeof raw);
  memcpy(out, TOKEN_PREFIX, 4);
  sodium_bin2hex(out + 4, CC_TOKEN_TEXT - 4, raw, sizeof raw);
  if (s.a.has_token) { /* the old token stops working with this write */
    more[n_more].kind = CC_ASTORE_DEL;
    more[n_more].key = old_key;
    more[n_more].klen = token_key(old_key, s.token);
    more[n_more].val = NULL;
    more[n_more++].vlen = 0;
  }
  token_digest(s.token, out);
  s.a.has_token = 1;
  s.a.changed = now_us();
  more[n_more].kind = CC_ASTORE_PUT;
  more[n_more].key = new_key;
  more[n_more].klen = token_key(new_key, s.token);
  more[n_more].val = s.a.name;
  more[n_more++].vlen = strlen(s.a.name);
  rc = save(db, &s, CC_ASTORE_PUT, more, n_more);
  rc = AUDITED(db, rc, "token %s new", name);
done:
  if (rc < 0)
    sodium_memzero(out, CC_TOKEN_TEXT);
  sodium_memzero(raw, sizeof raw);
  sodium_memzero(&s, sizeof s);
  return rc;
}

int cc_account_token_revoke(cc_db *db, const char *name)
{
  stored s;
  uint8_t key[2 + DIGEST];
  cc_astore_op del;
  int rc = load(&s, db, name);
  if (rc < 0)
    return rc;
  if (!s.a.has_token) {
    rc = cc_error_set(CC_ENOTFOUND, "account %s has no API token", name);
    goto done;
  }
  del.kind = CC_ASTORE_DEL;
  del.key = key;
  del.klen = token_key(key, s.token);
  del.val = NULL;
  del.vlen = 0;
  memset(s.token, 0, sizeof s.token);
  s.a.has_token = 0;
  s.a.changed = now_us();
  rc = save(db, &s, CC_ASTORE_PUT, &del, 1);
  rc = AUDITED(db, rc, "token %s revoke", name);
done:
  sodium_memzero(&s, sizeof s);
  return rc;
}

/* The dummy hash an unknown name is checked against (made once). */
static char dummy_hash[crypto_pwhash_STRBYTES];
static int dummy_rc;
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_make(void)
{
  char pw[33];
  uint8_t raw[16];
  if (sodium_ready() < 0) {
    dummy_rc = CC_ERROR;
    return;
  }
  randombytes_buf(raw, sizeof raw);
  sodium_bin2hex(pw, sizeof pw, raw, sizeof raw);
  dummy_rc = hash_password(dummy_hash, pw, strlen(pw));
}

static int denied(void)
{
  return cc_error_set(CC_ENOTFOUND, "wrong name or password");
}

int cc_account_login(cc_account *out, cc_db *db, const char *name,
                     const char *password, size_t password_len)
{
  stored s;
  int rc, known;

  memset(out, 0, sizeof *out);
  pthread_once(&dummy_once, dummy_make);
  if (dummy_rc < 0)
    return cc_error_set(dummy_rc, "libsodium could not be initialised");
  rc = load(&s, db, name);
  if (rc < 0 && rc != CC_ENOTFOUND)
    return rc;
  known = rc == 0;
  /* Always one verification, of the account's hash or of the dummy. A
   * password of a length no account can have is verified all the same. */
  rc = crypto_pwhash_str_verify(known ? s.hash : dummy_hash, password,
                                password_len);
  if (!known || rc != 0 || s.a.disabled || password_len > CC_PASSWORD_MAX) {
    sodium_memzero(&s, sizeof s);
    return denied();
  }
  *out = s.a;
  sodium_memzero(&s, sizeof s);
  return 0;
}

int cc_account_token_auth(cc_account *out, cc_db *db, const char *token)
{
  uint8_t key[2 + DIGEST], digest[DIGEST];
  void *v = NULL;
  size_t len, i;
  char name[CC_ACCOUNT_NAME_MAX + 1];
  stored s;
  int rc;

  memset(out, 0, sizeof *out);
  if (strlen(token) != CC_TOKEN_TEXT - 1 || memcmp(token, TOKEN_PREFIX, 4) != 0)
    return cc_error_set(CC_ENOTFOUND, "unknown API token");
  for (i = 4; token[i]; i++)
    if (!((token[i] >= '0' && token[i] <= '9') ||
          (token[i] >= 'a' && token[i] <= 'f')))
      return cc_error_set(CC_ENOTFOUND, "unknown API token");
  if ((rc = sodium_ready()) < 0)
    return rc;
  token_digest(digest, token);
  rc = cc_astore_get(&v, &len, db, key, token_key(key, digest));
  if (rc == CC_ENOTFOUND)
    return cc_error_set(CC_ENOTFOUND, "unknown API token");
  if (rc < 0)
    return rc;
  if (len == 0 || len > CC_ACCOUNT_NAME_MAX) {
    free(v);
    return cc_error_set(CC_ECORRUPT, "accounts: a stored token is damaged");
  }
  memcpy(name, v, len);
  name[len] = '\0';
  free(v);
  if ((rc = load(&s, db, name)) < 0)
    return rc == CC_ENOTFOUND ? cc_error_set(CC_ENOTFOUND, "unknown API token")
                              : rc;
  /* The digest is the key, but the account must still point at it. */
  if (!s.a.has_token || sodium_memcmp(s.token, digest, DIGEST) != 0 ||
      s.a.disabled) {
    sodium_memzero(&s, sizeof s);
    return cc_error_set(CC_ENOTFOUND, "unknown API token");
  }
  *out = s.a;
  sodium_memzero(&s, sizeof s);
  return 0;
}
