/*
 * serve_http.c - the service's requests and replies (serve_http_internal.h):
 * reading a request's arguments, writing a reply (JSON errors, a buffer's
 * text, the reply to a failed login) and the session cookie. serve.c,
 * serve_api.c and serve_pages.c use these; this file uses none of them,
 * which keeps the service's files in a graph without loops
 * (docs/ARCHITECTURE.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf_internal.h"
#include "serve_http_internal.h"

/* ------------------------------------------------------------------ */
/* Replies. */

void cc_reply_error(cc_reply *out, int status, const char *code, const char *zh)
{
  cc_buf b = {0};
  cc_buf_puts(&b, "{\"error\":");
  cc_json_cstr(&b, code);
  cc_buf_puts(&b, ",\"message\":");
  cc_json_cstr(&b, zh);
  cc_buf_puts(&b, "}\n");
  free(out->body);
  out->len = b.len;
  out->body = cc_buf_take(&b);
  if (out->body == NULL)
    out->len = 0;
  out->status = status;
  out->type = "application/json; charset=utf-8";
}

void cc_reply_take(cc_reply *out, int status, const char *type, cc_buf *b)
{
  free(out->body);
  out->len = b->len;
  out->body = cc_buf_take(b);
  if (out->body == NULL) {
    cc_reply_error(out, 500, "too_large", "结果过大，请缩小查询范围");
    return;
  }
  out->status = status;
  out->type = type;
}

const char *cc_req_arg(const cc_request *r, const char *name)
{
  size_t i;
  for (i = 0; i < r->n_args; i++)
    if (strcmp(r->args[i].name, name) == 0)
      return r->args[i].value;
  return NULL;
}

void cc_serve_cookie(char *out, size_t cap, const cc_server *s, const char *sid)
{
  /* __Host-: the browser keeps it only from HTTPS, for this host and
   * Path=/, so a sibling subdomain cannot plant or shadow it. */
  snprintf(out, cap, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s",
           s->tls ? "__Host-cc_session" : "cc_session", sid,
           s->tls ? "; Secure" : "", sid[0] ? "" : "; Max-Age=0");
}

int cc_reply_login(cc_reply *out, cc_login_result res, unsigned retry)
{
  switch (res) {
  case CC_LOGIN_OK:
    return 0;
  case CC_LOGIN_THROTTLED:
    cc_reply_error(out, 429, "too_many_attempts",
                   "登录失败次数过多，请稍后再试");
    out->retry_after = retry;
    break;
  case CC_LOGIN_WRONG:
    cc_reply_error(out, 401, "unauthorized", "用户名或密码错误");
    break;
  case CC_LOGIN_FULL:
    cc_reply_error(out, 503, "busy", "登录人数过多，请稍后再试");
    break;
  default:
    cc_reply_error(out, 500, "internal", "服务器内部错误");
  }
  return -1;
}
