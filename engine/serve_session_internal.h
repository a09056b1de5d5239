/*
 * The service's sessions and login throttling (serve_session.c): in the
 * service's memory, so a restart logs everyone out and a login never waits
 * for the database's writer lock. Below every other file of the service;
 * it calls none of them.
 */
#ifndef CC_SERVE_SESSION_INTERNAL_H
#define CC_SERVE_SESSION_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "chachong/account.h"
#include "chachong/serve.h"

#define CC_SID_BYTES 32 /* 256 random bits */
#define CC_SID_TEXT 65  /* hex and a NUL */

typedef struct cc_session {
  char name[CC_ACCOUNT_NAME_MAX + 1]; /* the account */
  int64_t account_changed;            /* cc_account.changed at login */
  char csrf[CC_SID_TEXT];             /* the CSRF token of the session */
  int64_t created, last;              /* seconds (monotonic clock) */
} cc_session;

typedef struct cc_sessions cc_sessions;

int cc_sessions_new(cc_sessions **out, const cc_serve_options *o);
void cc_sessions_free(cc_sessions *s);
/* Opens a session for an account: a new id (hex, out_id) and CSRF token. */
int cc_sessions_open(cc_sessions *s, char out_id[CC_SID_TEXT], cc_session *out,
                     const cc_account *a);
/* The session of an id, its last use set to now; CC_ENOTFOUND when the id
 * is unknown or the session timed out (then it is dropped). */
int cc_sessions_find(cc_sessions *s, const char *id, cc_session *out);
/* Drops a session (logout, fixation); unknown ids are ignored. */
void cc_sessions_close(cc_sessions *s, const char *id);

/* Login throttling: seconds the key ("a:name", "ip:addr") must still wait
 * (0: it may try). */
unsigned cc_throttle_wait(cc_sessions *s, const char *key);
/* Counts a failed login of a key. */
void cc_throttle_fail(cc_sessions *s, const char *key);
/* Forgets a key's failures (a successful login). */
void cc_throttle_clear(cc_sessions *s, const char *key);

/* Seconds on a clock that never goes back. */
int64_t cc_serve_now(void);

/* What a login came to (cc_sessions_login). */
typedef enum cc_login_result {
  CC_LOGIN_OK = 0,
  CC_LOGIN_THROTTLED, /* the name or address is locked: nothing checked */
  CC_LOGIN_WRONG,     /* no such account, or a wrong password (counted) */
  CC_LOGIN_FULL,      /* too many sessions at once */
  CC_LOGIN_ERROR      /* the database failed */
} cc_login_result;

/* Logs an account in, for both the API and the form: throttled per name
 * ("a:name") and per address ("ip:addr"); on success the session the
 * client came with (old_sid, "" for none) is closed (fixation), a new one
 * opened (its id in sid, itself in *session) and the account is in *acct.
 * *retry is the seconds to wait when CC_LOGIN_THROTTLED, else 0. */
cc_login_result cc_sessions_login(cc_sessions *s, cc_db *db, const char *name,
                                  const char *password, size_t password_len,
                                  const char *addr, const char *old_sid,
                                  char sid[CC_SID_TEXT], cc_session *session,
                                  cc_account *acct, unsigned *retry);

#endif
