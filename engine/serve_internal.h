/*
 * The service's private interface, shared by serve.c (HTTP, routing,
 * security), serve_session.c (sessions and login throttling, in memory),
 * serve_api.c (the data of each call, scope and masking) and
 * serve_pages.c (the Chinese pages).
 */
#ifndef CC_SERVE_INTERNAL_H
#define CC_SERVE_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "chachong/account.h"
#include "chachong/audit.h"
#include "chachong/normalize_id.h"
#include "chachong/finding.h"
#include "chachong/serve.h"
#include "buf_internal.h"
#include "store_internal.h"

/* ------------------------------------------------------------------ */
/* Sessions (serve_session.c): in the service's memory, so a restart logs
 * everyone out and a login never waits for the database's writer lock. */

#define CC_SID_BYTES 32   /* 256 random bits */
#define CC_SID_TEXT 65    /* hex and a NUL */

typedef struct cc_session {
  char name[CC_ACCOUNT_NAME_MAX + 1]; /* the account */
  int64_t account_changed;   /* cc_account.changed at login */
  char csrf[CC_SID_TEXT];    /* the CSRF token of the session */
  int64_t created, last;     /* seconds (monotonic clock) */
} cc_session;

typedef struct cc_sessions cc_sessions;

int cc_sessions_new(cc_sessions **out, const cc_serve_options *o);
void cc_sessions_free(cc_sessions *s);
/* Opens a session for an account: a new id (hex, out_id) and CSRF token. */
int cc_sessions_open(cc_sessions *s, char out_id[CC_SID_TEXT],
                     cc_session *out, const cc_account *a);
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

/* ------------------------------------------------------------------ */
/* A request as the handlers see it, and their reply. */

typedef struct cc_server cc_server;

/* One name=value of a query string or form, decoded. */
typedef struct cc_param {
  char *name, *value;
} cc_param;

typedef struct cc_request {
  cc_server *srv;
  const char *method;        /* "GET", "POST" */
  const char *path;          /* without the query */
  cc_param *args;            /* query string and, for forms, the body */
  size_t n_args;
  const char *body;          /* NUL-terminated */
  size_t body_len;
  cc_account acct;           /* the caller (name[0] == 0: nobody) */
  int by_token;              /* 1: an API token, not a session */
  cc_session session;        /* when by session */
  char sid[CC_SID_TEXT];     /* the session id, when by session */
  char addr[64];             /* the client's address */
} cc_request;

typedef struct cc_reply {
  int status;
  const char *type;          /* Content-Type */
  char *body;                /* malloc'd */
  size_t len;
  char cookie[256];          /* Set-Cookie, or "" */
  char location[512];        /* Location, or "" */
  char disposition[256];     /* Content-Disposition, or "" */
  unsigned retry_after;      /* Retry-After seconds, or 0 */
  int report;                /* 1: the report's CSP (inline style, SVG) */
} cc_reply;

/* The query or form value of a name, or NULL. */
const char *cc_req_arg(const cc_request *r, const char *name);

/* A JSON reply {"error": code, "message": zh} with a status. */
void cc_reply_error(cc_reply *out, int status, const char *code,
                    const char *zh);
/* Gives a buffer's text to the reply (status and type set); on failure
 * of the buffer, a 500. */
void cc_reply_take(cc_reply *out, int status, const char *type, cc_buf *b);

/* ------------------------------------------------------------------ */
/* The data (serve_api.c). */

/* A period's findings, shared between requests until released. */
typedef struct cc_period_data cc_period_data;
struct cc_period_data {
  char period[8];
  char *info;                /* the run info it was loaded under */
  cc_finding_list list;
  int refs;                  /* under the cache's lock */
  int cached;                /* 1 while a cache slot holds it */
};

typedef struct cc_serve_cache cc_serve_cache;
int cc_serve_cache_new(cc_serve_cache **out);
void cc_serve_cache_free(cc_serve_cache *c);

/* The server's parts the handlers use. */
struct cc_server {
  struct MHD_Daemon *daemon;
  cc_db *db;
  cc_serve_options opts;
  cc_sessions *sessions;
  cc_serve_cache *cache;
  int tls;
  unsigned port;
};

/* 1 when a finding is within an account's scope (SPEC 5). */
int cc_scope_finding(const cc_account *a, const cc_finding *f);
/* 1 when a member's record is within the scope. */
int cc_scope_member(const cc_account *a, const cc_member *m);

/* The API calls: each fills `out`. */
void cc_api_periods(cc_reply *out, cc_request *r);
void cc_api_findings(cc_reply *out, cc_request *r);
void cc_api_finding(cc_reply *out, cc_request *r, const char *hex);
void cc_api_respond(cc_reply *out, cc_request *r, const char *hex,
                    const char *action, const char *note);
void cc_api_check(cc_reply *out, cc_request *r);
void cc_api_export(cc_reply *out, cc_request *r);
void cc_api_report(cc_reply *out, cc_request *r);
void cc_api_audit(cc_reply *out, cc_request *r);

/* The audit entries a caller may read (national: all; province: its own
 * accounts and those below), since `since` ("" or NULL: all), already
 * audited as a call. On error `out` holds the reply (returns < 0). */
int cc_api_audit_select(cc_audit_entry **entries, size_t *n, cc_reply *out,
                        cc_request *r);

/* The pre-registration check of r's "id": the latest period, the cleaned
 * ID and the active enrollments, already audited. On error `out` holds the
 * reply (returns < 0). */
int cc_api_check_select(char period[8], cc_id *id, cc_enrollment **e,
                        size_t *n, cc_reply *out, cc_request *r);

/* Records the audit entry of a call under the caller's name (command
 * "serve"): 0, or the error after which nothing may be sent. */
int cc_api_audit_call(cc_request *r, const char *what, uint64_t records);

/* Loads (or shares) a period's findings; period NULL or "": the latest.
 * Release with cc_period_release. CC_ENOTFOUND when not held. */
int cc_period_get(cc_period_data **out, cc_server *s, const char *period);
void cc_period_release(cc_server *s, cc_period_data *d);

/* A finding as the caller may see it: a copy whose members outside the
 * scope are masked (IDs as cc_id_mask, names as their first character and
 * '*', record numbers as cc_id_mask), written as SPEC 3.1 JSON (no line
 * feed) into b. */
void cc_api_finding_json(cc_buf *b, const cc_account *a, const cc_finding *f,
                         const char *period);

/* Selecting findings for a list (the API and the page share it). */
typedef struct cc_selection {
  cc_period_data *data;       /* to release */
  const cc_finding **items;   /* the page's findings */
  size_t n;                   /* on this page */
  size_t total;               /* that matched */
  size_t page, per_page;
} cc_selection;

/* Filters, sorts and pages the findings of a period for r's caller, from
 * r's arguments; on error `out` holds the reply to send (returns < 0). */
int cc_api_select(cc_selection *sel, cc_reply *out, cc_request *r);
void cc_selection_dispose(cc_server *s, cc_selection *sel);

/* ------------------------------------------------------------------ */
/* The pages (serve_pages.c): path and method routed there by serve.c. */
void cc_page_route(cc_reply *out, cc_request *r);
/* The login page, with a message ("" for none). */
void cc_page_login(cc_reply *out, cc_request *r, int status, const char *msg);

/* Logs in (both the API and the form): on success the new session id is in
 * sid and the session in *session; otherwise `out` holds the 401 or 429. */
int cc_serve_login(cc_reply *out, cc_request *r, const char *name,
                   const char *password, size_t password_len,
                   char sid[CC_SID_TEXT], cc_session *session);
/* The Set-Cookie value for a session id ("" id: the cookie removed). */
void cc_serve_cookie(char *out, size_t cap, const cc_server *s, const char *sid);

#endif
