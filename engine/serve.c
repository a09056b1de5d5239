/*
 * serve.c - the service's HTTP side (SPEC 5, issue 14): GNU libmicrohttpd
 * in thread-pool mode, HTTPS through its GnuTLS support when a certificate
 * is given. This file owns the connection and everything about security
 * that is the same for every call; serve_api.c and serve_pages.c compute
 * the answers.
 *
 * A request goes:
 *   1. limits: a body over max_body is refused (413) before it is read,
 *      the request line and headers must fit memory_limit (libmicrohttpd
 *      answers 431 itself), a connection silent for connection_timeout
 *      seconds is closed (slow clients), and max_connections /
 *      per_ip_connections bound the rest;
 *   2. the caller: an API token ("Authorization: Bearer cct_...") or the
 *      session cookie (HttpOnly, SameSite=Strict, Path=/, and under HTTPS
 *      Secure with the __Host- prefix); each request re-reads the account,
 *      so a disabled account or a changed password ends its sessions at
 *      once;
 *   3. a state-changing call (POST) with a session must carry the
 *      session's CSRF token (X-CSRF-Token header, or the form's "csrf"
 *      field) and, when the browser sends an Origin, come from this
 *      service's own origin; API logins must be JSON, which a form on
 *      another site cannot send without the browser asking first;
 *   4. routing: /healthz, /static/, /api/v1/... here; pages elsewhere;
 *   5. the reply, with the security headers on every response: a strict
 *      Content-Security-Policy (nothing but this origin's style sheet; no
 *      script at all), frame-ancestors 'none' and X-Frame-Options DENY,
 *      X-Content-Type-Options nosniff, Referrer-Policy same-origin (not
 *      no-referrer: with it browsers send "Origin: null" on form posts),
 *      Cache-Control no-store, and HSTS under HTTPS.
 *
 * Data are read in short LMDB read transactions per request (the engine's
 * own functions), so the monthly run's writer is never blocked and a
 * newly published period is seen by the next request.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

#include "chachong/errors.h"
#include "store_internal.h"
#include "audit_internal.h"
#include "error_internal.h"
#include "serve_api_internal.h"
#include "serve_http_internal.h"
#include "serve_pages_internal.h"
#include "serve_session_internal.h"

/* ------------------------------------------------------------------ */
/* A small JSON reader for the request bodies: one flat object whose
 * values are strings (others are skipped); enough for login and answers. */

static const char *ws(const char *p)
{
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
    p++;
  return p;
}

static int hex4(const char *p, unsigned *out)
{
  unsigned v = 0;
  int i;
  for (i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (unsigned)(c - 'A' + 10);
    else
      return -1;
  }
  *out = v;
  return 0;
}

/* Reads a JSON string at p (at its quote) into b; the end, or NULL. */
static const char *json_string(const char *p, cc_buf *b)
{
  if (*p++ != '"')
    return NULL;
  while (*p != '"') {
    unsigned char c = (unsigned char)*p;
    if (c == '\0' || c < 0x20)
      return NULL;
    if (c != '\\') {
      cc_buf_put(b, p++, 1);
      continue;
    }
    p++;
    switch (*p) {
    case '"':
    case '\\':
    case '/':
      cc_buf_put(b, p, 1);
      break;
    case 'b':
      cc_buf_put(b, "\b", 1);
      break;
    case 'f':
      cc_buf_put(b, "\f", 1);
      break;
    case 'n':
      cc_buf_put(b, "\n", 1);
      break;
    case 'r':
      cc_buf_put(b, "\r", 1);
      break;
    case 't':
      cc_buf_put(b, "\t", 1);
      break;
    case 'u': {
      unsigned u, lo;
      char enc[4];
      size_t k;
      if (hex4(p + 1, &u) < 0)
        return NULL;
      p += 4;
      if (u >= 0xd800 && u <= 0xdbff) {
        if (p[1] != '\\' || p[2] != 'u' || hex4(p + 3, &lo) < 0 ||
            lo < 0xdc00 || lo > 0xdfff)
          return NULL;
        u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
        p += 6;
      } else if (u >= 0xdc00 && u <= 0xdfff) {
        return NULL;
      }
      if (u == 0)
        return NULL; /* no NUL inside a C string */
      if (u < 0x80) {
        enc[0] = (char)u;
        k = 1;
      } else if (u < 0x800) {
        enc[0] = (char)(0xc0 | u >> 6);
        enc[1] = (char)(0x80 | (u & 0x3f));
        k = 2;
      } else if (u < 0x10000) {
        enc[0] = (char)(0xe0 | u >> 12);
        enc[1] = (char)(0x80 | ((u >> 6) & 0x3f));
        enc[2] = (char)(0x80 | (u & 0x3f));
        k = 3;
      } else {
        enc[0] = (char)(0xf0 | u >> 18);
        enc[1] = (char)(0x80 | ((u >> 12) & 0x3f));
        enc[2] = (char)(0x80 | ((u >> 6) & 0x3f));
        enc[3] = (char)(0x80 | (u & 0x3f));
        k = 4;
      }
      cc_buf_put(b, enc, k);
      break;
    }
    default:
      return NULL;
    }
    p++;
  }
  return p + 1;
}

/* Skips a scalar that is not a string (number, true, false, null). */
static const char *json_scalar(const char *p)
{
  const char *s = p;
  while (*p && strchr("+-.0123456789eEtruefalsn", *p))
    p++;
  return p > s ? p : NULL;
}

/*
 * Finds the string values of `keys` in a flat JSON object; values[i] get
 * malloc'd copies (NULL when absent). Returns 0, or -1 for text that is
 * not such an object (nested values included).
 */
static int json_fields(const char *body, const char *const *keys, size_t nk,
                       char **values)
{
  const char *p = ws(body);
  size_t i;
  for (i = 0; i < nk; i++)
    values[i] = NULL;
  if (*p++ != '{')
    goto bad;
  p = ws(p);
  if (*p == '}')
    goto end;
  for (;;) {
    cc_buf k = {0}, v = {0};
    int is_string;
    p = json_string(ws(p), &k);
    if (p == NULL || k.err || *(p = ws(p)) != ':') {
      cc_buf_dispose(&k);
      goto bad;
    }
    p = ws(p + 1);
    is_string = *p == '"';
    p = is_string ? json_string(p, &v) : json_scalar(p);
    if (p == NULL || v.err) {
      cc_buf_dispose(&k);
      cc_buf_dispose(&v);
      goto bad;
    }
    for (i = 0; i < nk; i++)
      if (k.p && strcmp(k.p, keys[i]) == 0 && is_string && values[i] == NULL) {
        values[i] = cc_buf_take(&v);
        break;
      }
    cc_buf_dispose(&k);
    cc_buf_dispose(&v);
    p = ws(p);
    if (*p == ',') {
      p++;
      continue;
    }
    if (*p == '}')
      break;
    goto bad;
  }
end:
  if (*ws(p + 1) != '\0')
    goto bad;
  return 0;
bad:
  for (i = 0; i < nk; i++) {
    free(values[i]);
    values[i] = NULL;
  }
  return -1;
}

static void api_login(cc_reply *out, cc_request *r, const char *ctype)
{
  static const char *const keys[] = {"user", "password"};
  char *v[2] = {NULL, NULL};
  char sid[CC_SID_TEXT];
  cc_session se;
  cc_login_result res;
  unsigned retry;
  cc_buf b = {0};

  if (ctype == NULL || strncmp(ctype, "application/json", 16) != 0) {
    cc_reply_error(out, 415, "unsupported_media_type",
                   "请求须为 JSON (Content-Type: application/json)");
    return;
  }
  if (json_fields(r->body ? r->body : "", keys, 2, v) < 0 || v[0] == NULL ||
      v[1] == NULL) {
    cc_reply_error(out, 400, "bad_request", "请求格式错误");
    goto done;
  }
  res =
      cc_sessions_login(r->srv->sessions, r->srv->db, v[0], v[1], strlen(v[1]),
                        r->addr, r->sid, sid, &se, &r->acct, &retry);
  if (cc_reply_login(out, res, retry) < 0)
    goto done;
  cc_serve_cookie(out->cookie, sizeof out->cookie, r->srv, sid);
  cc_buf_puts(&b, "{\"csrf_token\":");
  cc_json_cstr(&b, se.csrf);
  cc_buf_puts(&b, ",\"user\":");
  cc_json_cstr(&b, r->acct.name);
  cc_buf_printf(&b, ",\"role\":\"%s\",\"scope\":", cc_role_code(r->acct.role));
  cc_json_cstr(&b, r->acct.scope);
  cc_buf_puts(&b, "}\n");
  cc_reply_take(out, 200, "application/json; charset=utf-8", &b);
  sodium_memzero(sid, sizeof sid);
done:
  if (v[1])
    sodium_memzero(v[1], strlen(v[1]));
  free(v[0]);
  free(v[1]);
}

/* ------------------------------------------------------------------ */
/* The connection. */

typedef struct conn {
  cc_buf body;
  int too_big;
  int answered;
  /* A reply held, the connection suspended, until its audit entries are
   * written (audited()). */
  int held;
  int audit_rc;
  int api; /* 1: an /api/ call (a JSON 503), 0: a page */
  cc_reply reply;
  struct MHD_Connection *c;
} conn;

/* The audit store's committer: the entries of k's call are written (rc 0;
 * with --audit-durable, synced too) or could not be. The reply goes out on
 * the connection's thread. */
static void audited(void *ctx, int rc)
{
  conn *k = ctx;
  k->audit_rc = rc;
  MHD_resume_connection(k->c);
}

/* The held reply once resumed: sent when its entries are written, else
 * dropped for a 503 (nothing is sent whose entry is not written). */
static enum MHD_Result send_reply(struct MHD_Connection *c, cc_server *s,
                                  cc_reply *rep);

static enum MHD_Result send_held(struct MHD_Connection *c, cc_server *s,
                                 conn *k)
{
  static const char page[] =
      "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
      "<title>出错了</title></"
      "head><body><p>审计日志暂时无法写入，本次请求未返回数据。"
      "</p></body></html>\n";
  k->held = 0;
  if (k->audit_rc < 0) {
    free(k->reply.body);
    memset(&k->reply, 0, sizeof k->reply);
    if (k->api) {
      cc_reply_error(
          &k->reply, 503, "audit_unavailable",
          "审计日志暂时无法写入，为保护个人信息，本次请求未返回数据");
    } else {
      cc_buf b = {0};
      cc_buf_puts(&b, page);
      cc_reply_take(&k->reply, 503, "text/html; charset=utf-8", &b);
    }
  }
  return send_reply(c, s, &k->reply);
}

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind,
                               const char *key, const char *value)
{
  cc_request *r = cls;
  cc_param *grown;
  if (r->n_args >= 256)
    return MHD_NO;
  grown = realloc(r->args, (r->n_args + 1) * sizeof *grown);
  if (grown == NULL)
    return MHD_NO;
  r->args = grown;
  grown[r->n_args].name = strdup(key);
  grown[r->n_args].value = strdup(value ? value : "");
  if (grown[r->n_args].name == NULL || grown[r->n_args].value == NULL) {
    free(grown[r->n_args].name);
    free(grown[r->n_args].value);
    return MHD_NO;
  }
  r->n_args++;
  return MHD_YES;
}

static int unhex(int c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Decodes a form's value in place (+ and %XX). */
static void form_decode(char *s)
{
  char *w = s;
  for (; *s; s++) {
    if (*s == '+') {
      *w++ = ' ';
    } else if (*s == '%' && unhex(s[1]) >= 0 && unhex(s[2]) >= 0) {
      char c = (char)(unhex(s[1]) << 4 | unhex(s[2]));
      *w++ = c ? c : ' ';
      s += 2;
    } else {
      *w++ = *s;
    }
  }
  *w = '\0';
}

/* Adds the fields of an application/x-www-form-urlencoded body. */
static void form_fields(cc_request *r, char *body)
{
  char *save = NULL, *tok;
  for (tok = strtok_r(body, "&", &save); tok;
       tok = strtok_r(NULL, "&", &save)) {
    char *eq = strchr(tok, '=');
    if (eq)
      *eq++ = '\0';
    form_decode(tok);
    if (eq)
      form_decode(eq);
    if (collect(r, MHD_POSTDATA_KIND, tok, eq ? eq : "") != MHD_YES)
      break;
  }
}

static void security_headers(struct MHD_Response *resp, const cc_server *s,
                             const cc_reply *rep)
{
  MHD_add_response_header(
      resp, "Content-Security-Policy",
      rep->report
          ? "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
          : "default-src 'none'; style-src 'self'; img-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  MHD_add_response_header(resp, "X-Frame-Options", "DENY");
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
  MHD_add_response_header(resp, "Cache-Control", "no-store");
  MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
  MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
  if (s->tls)
    MHD_add_response_header(resp, "Strict-Transport-Security",
                            "max-age=31536000");
}

static enum MHD_Result send_reply(struct MHD_Connection *c, cc_server *s,
                                  cc_reply *rep)
{
  struct MHD_Response *resp;
  enum MHD_Result ret;
  if (rep->body == NULL) {
    rep->body = calloc(1, 1);
    rep->len = 0;
    if (rep->body == NULL)
      return MHD_NO;
  }
  resp = MHD_create_response_from_buffer(rep->len, rep->body,
                                         MHD_RESPMEM_MUST_FREE);
  if (resp == NULL) {
    free(rep->body);
    return MHD_NO;
  }
  rep->body = NULL;
  security_headers(resp, s, rep);
  if (rep->type)
    MHD_add_response_header(resp, "Content-Type", rep->type);
  if (rep->cookie[0])
    MHD_add_response_header(resp, "Set-Cookie", rep->cookie);
  if (rep->location[0])
    MHD_add_response_header(resp, "Location", rep->location);
  if (rep->disposition[0])
    MHD_add_response_header(resp, "Content-Disposition", rep->disposition);
  if (rep->retry_after) {
    char v[16];
    snprintf(v, sizeof v, "%u", rep->retry_after);
    MHD_add_response_header(resp, "Retry-After", v);
  }
  ret = MHD_queue_response(c, (unsigned)rep->status, resp);
  MHD_destroy_response(resp);
  return ret;
}

static void client_addr(char *out, size_t cap, struct MHD_Connection *c)
{
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  snprintf(out, cap, "unknown");
  if (ci == NULL || ci->client_addr == NULL)
    return;
  if (ci->client_addr->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr,
              out, (socklen_t)cap);
  else if (ci->client_addr->sa_family == AF_INET6)
    inet_ntop(AF_INET6,
              &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, out,
              (socklen_t)cap);
}

/* Who calls: an API token or a session; r->acct.name stays "" for nobody. */
static void authenticate(cc_request *r, struct MHD_Connection *c)
{
  cc_server *s = r->srv;
  const char *auth =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
  const char *sid;
  cc_account a;

  if (auth && strncmp(auth, "Bearer ", 7) == 0) {
    if (cc_account_token_auth(&a, s->db, auth + 7) == 0) {
      r->acct = a;
      r->by_token = 1;
    }
    return;
  }
  sid = MHD_lookup_connection_value(
      c, MHD_COOKIE_KIND, s->tls ? "__Host-cc_session" : "cc_session");
  if (sid == NULL || strlen(sid) != CC_SID_TEXT - 1)
    return;
  snprintf(r->sid, sizeof r->sid, "%s", sid);
  if (cc_sessions_find(s->sessions, sid, &r->session) < 0)
    return;
  /* The account as it is now: disabled, or its password or token changed
   * since the login, ends the session. */
  if (cc_account_get(&a, s->db, r->session.name) < 0 || a.disabled ||
      a.changed != r->session.account_changed) {
    cc_sessions_close(s->sessions, sid);
    return;
  }
  r->acct = a;
}

/* The origin this service is reached at, from the Host header. */
static int same_origin(struct MHD_Connection *c, const cc_server *s)
{
  const char *origin =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
  const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
  char want[600];
  if (origin == NULL)
    return 1; /* not a browser's cross-site request: CSRF tokens decide */
  if (host == NULL)
    return 0;
  snprintf(want, sizeof want, "%s://%s", s->tls ? "https" : "http", host);
  return strcmp(origin, want) == 0;
}

static int csrf_ok(const cc_request *r, struct MHD_Connection *c)
{
  const char *t;
  if (r->by_token)
    return 1; /* no cookie, so no cross-site forgery */
  t = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
  if (t == NULL)
    t = cc_req_arg(r, "csrf");
  return t && strlen(t) == CC_SID_TEXT - 1 &&
         sodium_memcmp(t, r->session.csrf, CC_SID_TEXT - 1) == 0;
}

static const char style_css[] =
    "body{font-family:\"Noto Sans CJK SC\",\"Microsoft YaHei\",sans-serif;"
    "margin:0;color:#222;background:#f6f7f9}"
    "header{background:#1f4e79;color:#fff;padding:.6em 1em}"
    "header a{color:#fff;margin-right:1em}header form{display:inline}"
    "main{padding:1em;max-width:72em}"
    "table{border-collapse:collapse;background:#fff;width:100%}"
    "th,td{border:1px solid #ccd;padding:.3em "
    ".5em;text-align:left;vertical-align:top}"
    "th{background:#e8edf3}.num{text-align:right}.warn{color:#b00}"
    ".box{background:#fff;border:1px solid #ccd;padding:1em;margin:1em 0}"
    "label{display:inline-block;margin:.2em 1em .2em 0}"
    "input,select,textarea,button{font:inherit}"
    ".err{background:#fde;border:1px solid #c88;padding:.5em}"
    ".ok{background:#efe;border:1px solid #8c8;padding:.5em}\n";

static void route(cc_reply *out, cc_request *r, struct MHD_Connection *c)
{
  const char *p = r->path;
  int post = strcmp(r->method, "POST") == 0;

  if (strcmp(p, "/healthz") == 0) {
    cc_buf b = {0};
    cc_buf_puts(&b, "ok\n");
    cc_reply_take(out, 200, "text/plain; charset=utf-8", &b);
    return;
  }
  if (strcmp(p, "/static/style.css") == 0) {
    cc_buf b = {0};
    cc_buf_puts(&b, style_css);
    cc_reply_take(out, 200, "text/css; charset=utf-8", &b);
    return;
  }
  if (post && !same_origin(c, r->srv)) {
    cc_reply_error(out, 403, "cross_origin", "拒绝跨站请求");
    return;
  }
  if (strncmp(p, "/api/", 5) != 0) {
    /* A login form needs no token: it opens a new session whatever came
     * with it (and SameSite and the Origin check stand against login CSRF). */
    if (post && r->acct.name[0] && strcmp(p, "/login") != 0 && !csrf_ok(r, c)) {
      cc_reply_error(out, 403, "csrf",
                     "请求缺少有效的 CSRF 令牌，请刷新页面后重试");
      return;
    }
    cc_page_route(out, r);
    return;
  }
  if (strcmp(p, "/api/v1/login") == 0) {
    if (!post) {
      cc_reply_error(out, 405, "method_not_allowed", "请求方法不允许");
      return;
    }
    api_login(out, r,
              MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"));
    return;
  }
  if (r->acct.name[0] == '\0') {
    cc_reply_error(out, 401, "unauthorized", "请先登录");
    return;
  }
  if (post && !csrf_ok(r, c)) {
    cc_reply_error(out, 403, "csrf", "请求缺少有效的 CSRF 令牌 (X-CSRF-Token)");
    return;
  }
  if (strcmp(p, "/api/v1/logout") == 0 && post) {
    if (r->sid[0])
      cc_sessions_close(r->srv->sessions, r->sid);
    cc_serve_cookie(out->cookie, sizeof out->cookie, r->srv, "");
    out->status = 204;
    return;
  }
  if (!post && strcmp(p, "/api/v1/periods") == 0) {
    cc_api_periods(out, r);
  } else if (!post && strcmp(p, "/api/v1/findings") == 0) {
    cc_api_findings(out, r);
  } else if (strncmp(p, "/api/v1/findings/", 17) == 0) {
    const char *id = p + 17, *slash = strchr(id, '/');
    char hex[32];
    size_t n = slash ? (size_t)(slash - id) : strlen(id);
    snprintf(hex, sizeof hex, "%.*s", (int)(n < 31 ? n : 31), id);
    if (!post && slash == NULL) {
      cc_api_finding(out, r, hex);
    } else if (post && slash && strcmp(slash, "/responses") == 0) {
      static const char *const keys[] = {"action", "note"};
      char *v[2];
      const char *ct =
          MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
      if (ct == NULL || strncmp(ct, "application/json", 16) != 0) {
        cc_reply_error(out, 415, "unsupported_media_type", "请求须为 JSON");
        return;
      }
      if (json_fields(r->body ? r->body : "", keys, 2, v) < 0 || v[0] == NULL) {
        cc_reply_error(out, 400, "bad_request", "请求格式错误");
        return;
      }
      cc_api_respond(out, r, hex, v[0], v[1] ? v[1] : "");
      free(v[0]);
      free(v[1]);
    } else {
      cc_reply_error(out, 404, "not_found", "未找到");
    }
  } else if (!post && strcmp(p, "/api/v1/check") == 0) {
    cc_api_check(out, r);
  } else if (!post && strcmp(p, "/api/v1/export") == 0) {
    cc_api_export(out, r);
  } else if (!post && strcmp(p, "/api/v1/report") == 0) {
    cc_api_report(out, r);
  } else if (!post && strcmp(p, "/api/v1/audit") == 0) {
    cc_api_audit(out, r);
  } else {
    cc_reply_error(out, 404, "not_found", "未找到");
  }
}

static void request_dispose(cc_request *r)
{
  size_t i;
  for (i = 0; i < r->n_args; i++) {
    free(r->args[i].name);
    free(r->args[i].value);
  }
  free(r->args);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
                              const char *url, const char *method,
                              const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
  cc_server *s = cls;
  conn *k = *con_cls;
  cc_request r;
  cc_reply rep;
  const char *ctype;
  int rc;

  if (k == NULL) {
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    k = calloc(1, sizeof *k);
    if (k == NULL)
      return MHD_NO;
    k->body.max = s->opts.max_body + 1;
    *con_cls = k;
    if (cl && strtoull(cl, NULL, 10) > s->opts.max_body) {
      /* Refused before a byte of it is read. */
      memset(&rep, 0, sizeof rep);
      cc_reply_error(&rep, 413, "too_large", "请求体过大");
      k->answered = 1;
      return send_reply(c, s, &rep);
    }
    return MHD_YES;
  }
  if (k->held)
    return send_held(c, s, k); /* resumed by audited() */
  if (*upload_data_size) {
    if (!k->too_big && !k->answered) {
      cc_buf_put(&k->body, upload_data, *upload_data_size);
      if (k->body.err || k->body.len > s->opts.max_body)
        k->too_big = 1;
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (k->answered)
    return MHD_YES;
  k->answered = 1;
  memset(&rep, 0, sizeof rep);
  if (k->too_big) {
    cc_reply_error(&rep, 413, "too_large", "请求体过大");
    return send_reply(c, s, &rep);
  }
  if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0 &&
      strcmp(method, "HEAD") != 0) {
    cc_reply_error(&rep, 405, "method_not_allowed", "请求方法不允许");
    return send_reply(c, s, &rep);
  }
  memset(&r, 0, sizeof r);
  r.srv = s;
  r.method = strcmp(method, "HEAD") == 0 ? "GET" : method;
  r.path = url;
  r.body = k->body.p ? k->body.p : "";
  r.body_len = k->body.len;
  client_addr(r.addr, sizeof r.addr, c);
  ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
  if (strcmp(r.method, "POST") == 0 && ctype &&
      strncmp(ctype, "application/x-www-form-urlencoded", 33) == 0 &&
      k->body.p) {
    char *copy = strdup(k->body.p);
    if (copy) {
      form_fields(&r, copy);
      free(copy);
    }
  }
  MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect, &r);
  authenticate(&r, c);
  route(&rep, &r, c);
  request_dispose(&r);
  sodium_memzero(&r.session, sizeof r.session);
  if (r.n_audit == 0)
    return send_reply(c, s, &rep);
  /* Audited before the data leave: the reply waits, its connection
   * suspended (the thread serves others), for the batch that holds its
   * entries; suspended first, so that audited() always finds it so. */
  k->reply = rep;
  k->held = 1;
  k->api = strncmp(url, "/api/", 5) == 0;
  k->c = c;
  MHD_suspend_connection(c);
  if ((rc = cc_audit_log_submit(s->audit, r.audit, r.n_audit, audited, k)) < 0)
    audited(k, rc);
  return MHD_YES;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
  conn *k = *con_cls;
  if (k == NULL)
    return;
  if (k->held)
    free(k->reply.body); /* the daemon stopped before it was resumed */
  if (k->body.p)
    sodium_memzero(k->body.p, k->body.cap); /* passwords pass through here */
  cc_buf_dispose(&k->body);
  free(k);
  *con_cls = NULL;
}

/* ------------------------------------------------------------------ */
/* Starting and stopping. */

static int parse_listen(struct sockaddr_in *sa, const char *listen)
{
  const char *colon = strrchr(listen, ':');
  char host[256];
  char *end;
  unsigned long port;
  memset(sa, 0, sizeof *sa);
  if (colon == NULL || (size_t)(colon - listen) >= sizeof host)
    return cc_error_set(CC_EINVALID, "--listen takes HOST:PORT");
  memcpy(host, listen, (size_t)(colon - listen));
  host[colon - listen] = '\0';
  port = strtoul(colon + 1, &end, 10);
  if (*end || colon[1] == '\0' || port > 65535)
    return cc_error_set(CC_EINVALID, "--listen: bad port '%s'", colon + 1);
  sa->sin_family = AF_INET;
  sa->sin_port = htons((uint16_t)port);
  if (strcmp(host, "localhost") == 0)
    snprintf(host, sizeof host, "127.0.0.1");
  if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
    return cc_error_set(CC_EINVALID, "--listen: '%s' is not an IPv4 address",
                        host);
  return 0;
}

static int read_all(char **out, const char *path)
{
  FILE *f = fopen(path, "rb");
  cc_buf b;
  char chunk[4096];
  size_t n;
  *out = NULL;
  if (f == NULL)
    return cc_error_set_errno(CC_EINVALID, errno, "cannot read %s", path);
  cc_buf_init(&b, 1 << 20);
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    cc_buf_put(&b, chunk, n);
  fclose(f);
  *out = cc_buf_take(&b);
  if (*out == NULL)
    return cc_error_set(CC_EINVALID, "%s is too large for a PEM file", path);
  return 0;
}

int cc_serve_start(cc_server **out, cc_db *db, const cc_serve_options *opts)
{
  cc_server *s;
  struct sockaddr_in sa;
  char *cert = NULL, *key = NULL;
  unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
  unsigned threads;
  const union MHD_DaemonInfo *di;
  /* The logs the service writes in LMDB (the downloads' audit entries,
   * the schools' answers) while its threads read. */
  static const char *const logs[] = {CC_AUDIT_DB, CC_RESPONSE_DB};
  int rc;

  *out = NULL;
  if (opts->version != CC_SERVE_OPTIONS_VERSION)
    return cc_error_set(CC_EINVALID, "cc_serve_options version %u, expected %u",
                        opts->version, CC_SERVE_OPTIONS_VERSION);
  if ((rc = parse_listen(&sa, opts->listen ? opts->listen : "")) < 0)
    return rc;
  if ((opts->tls_cert == NULL) != (opts->tls_key == NULL))
    return cc_error_set(CC_EINVALID, "--tls-cert and --tls-key go together");
  if (opts->max_body == 0 || opts->memory_limit < 4096 ||
      opts->idle_timeout == 0 || opts->absolute_timeout == 0)
    return cc_error_set(CC_EINVALID, "a limit of the service is zero");
  s = calloc(1, sizeof *s);
  if (s == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  s->db = db;
  s->opts = *opts;
  cc_audit_os_user(s->os_user);
  /* 1 TiB of address space (64-bit): the monthly run grows the file while
   * the service reads (see cc_astore_map_reserve). */
  if ((rc = cc_astore_map_reserve(
           db, sizeof(size_t) >= 8 ? (size_t)1 << 40 : (size_t)1 << 30)) < 0 ||
      (rc = cc_db_keep_dbis(db, logs, sizeof logs / sizeof logs[0])) < 0 ||
      (rc = cc_audit_log_open(&s->audit, db, opts->audit_durable)) < 0 ||
      (rc = cc_sessions_new(&s->sessions, opts)) < 0 ||
      (rc = cc_serve_cache_new(&s->cache)) < 0)
    goto fail;
  if (opts->tls_cert) {
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
      rc = cc_error_set(CC_EINVALID, "this libmicrohttpd has no HTTPS support");
      goto fail;
    }
    if ((rc = read_all(&cert, opts->tls_cert)) < 0 ||
        (rc = read_all(&key, opts->tls_key)) < 0)
      goto fail;
    flags |= MHD_USE_TLS;
    s->tls = 1;
  }
  threads = opts->threads;
  if (threads == 0) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    threads = cores > 0 ? (unsigned)cores * 2 : 2;
  }
  s->daemon = MHD_start_daemon(
      flags, 0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, threads,
      MHD_OPTION_CONNECTION_LIMIT, opts->max_connections,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, opts->per_ip_connections,
      MHD_OPTION_CONNECTION_TIMEOUT, opts->connection_timeout,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, opts->memory_limit,
      MHD_OPTION_NOTIFY_COMPLETED, completed, s,
      s->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
      MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
  if (s->daemon == NULL) {
    rc = cc_error_set(CC_EIO,
                      "cannot serve on %s (address in use, or a bad "
                      "certificate or key)",
                      opts->listen);
    goto fail;
  }
  di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  s->port = di ? di->port : ntohs(sa.sin_port);
  if (key)
    sodium_memzero(key, strlen(key));
  free(cert);
  free(key);
  *out = s;
  return 0;
fail:
  if (key)
    sodium_memzero(key, strlen(key));
  free(cert);
  free(key);
  cc_serve_stop(s);
  return rc;
}

unsigned cc_serve_port(const cc_server *s)
{
  return s->port;
}

void cc_serve_stop(cc_server *s)
{
  if (s == NULL)
    return;
  /* The audit store first: its last batch is written and every reply it
   * held resumed (the daemon must not stop with a connection suspended);
   * a call after it is answered 503. */
  cc_audit_log_stop(s->audit);
  if (s->daemon)
    MHD_stop_daemon(s->daemon);
  cc_audit_log_close(s->audit);
  cc_sessions_free(s->sessions);
  cc_serve_cache_free(s->cache);
  free(s);
}
