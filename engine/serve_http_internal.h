/*
 * The service's requests and replies (serve_http.c): what serve.c hands a
 * handler, what a handler gives back, and the helpers every handler uses
 * to read one and write the other. It calls no other file of the service;
 * serve.c, serve_api.c and serve_pages.c call it.
 */
#ifndef CC_SERVE_HTTP_INTERNAL_H
#define CC_SERVE_HTTP_INTERNAL_H

#include <stddef.h>

#include "chachong/account.h"
#include "chachong/audit.h"
#include "chachong/serve.h"
#include "buf_internal.h"
#include "serve_session_internal.h"

typedef struct cc_server cc_server;
typedef struct cc_serve_cache cc_serve_cache;
typedef struct cc_audit_log cc_audit_log;

/* The server's parts the handlers use. */
struct cc_server {
  struct MHD_Daemon *daemon;
  cc_db *db;
  cc_serve_options opts;
  cc_sessions *sessions;
  cc_serve_cache *cache;
  cc_audit_log *audit; /* the service's audit store (audit.c) */
  char os_user[64];    /* the process's account, for its entries */
  int tls;
  unsigned port;
};

/* One name=value of a query string or form, decoded. */
typedef struct cc_param {
  char *name, *value;
} cc_param;

typedef struct cc_request {
  cc_server *srv;
  const char *method; /* "GET", "POST" */
  const char *path;   /* without the query */
  cc_param *args;     /* query string and, for forms, the body */
  size_t n_args;
  const char *body; /* NUL-terminated */
  size_t body_len;
  cc_account acct;       /* the caller (name[0] == 0: nobody) */
  int by_token;          /* 1: an API token, not a session */
  cc_session session;    /* when by session */
  char sid[CC_SID_TEXT]; /* the session id, when by session */
  char addr[64];         /* the client's address */
  /* The audit entries of the call (cc_api_audit_call): serve.c holds the
   * reply until they are durable, and sends a 503 instead if they fail. */
  cc_audit_entry audit[2];
  size_t n_audit;
} cc_request;

typedef struct cc_reply {
  int status;
  const char *type; /* Content-Type */
  char *body;       /* malloc'd */
  size_t len;
  char cookie[256];      /* Set-Cookie, or "" */
  char location[512];    /* Location, or "" */
  char disposition[256]; /* Content-Disposition, or "" */
  unsigned retry_after;  /* Retry-After seconds, or 0 */
  int report;            /* 1: the report's CSP (inline style, SVG) */
} cc_reply;

/* The query or form value of a name, or NULL. */
const char *cc_req_arg(const cc_request *r, const char *name);

/* The Set-Cookie value for a session id ("" id: the cookie removed). */
void cc_serve_cookie(char *out, size_t cap, const cc_server *s,
                     const char *sid);

/* A JSON reply {"error": code, "message": zh} with a status. */
void cc_reply_error(cc_reply *out, int status, const char *code,
                    const char *zh);
/* Gives a buffer's text to the reply (status and type set); on failure
 * of the buffer, a 500. */
void cc_reply_take(cc_reply *out, int status, const char *type, cc_buf *b);

/* The reply to a login that failed (res not CC_LOGIN_OK): 429 with
 * Retry-After `retry`, 401, 503 or 500; returns -1 then, 0 for CC_LOGIN_OK
 * (out untouched). */
int cc_reply_login(cc_reply *out, cc_login_result res, unsigned retry);

#endif
