/*
 * serve_pages.c - the service's pages, in Chinese, made on the server and
 * usable without script (issue 14, point 5): login, the scope's
 * dashboard, the findings list (filters, sorting, paging), a finding with
 * its members, evidence, deadline, history and answers, the school's
 * answer form, the pre-registration check, downloads and the audit log.
 *
 * Each page uses the same functions as the API (serve_api.c): the same
 * scope, masking and audit entries. Forms post back to the service with
 * the session's CSRF token in a hidden field; after a post the browser is
 * sent on with 303 (post/redirect/get). Every text from the data goes
 * through cc_html_str.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chachong/calendar.h"
#include "chachong/errors.h"
#include "chachong/export.h"
#include "chachong/lifecycle.h"
#include "chachong/record.h"
#include "serve_api_internal.h"
#include "serve_http_internal.h"
#include "serve_pages_internal.h"
#include "serve_session_internal.h"
#include "store_internal.h"

#define HTML_TYPE "text/html; charset=utf-8"

static void h(cc_buf *b, const char *s)
{
  cc_html_cstr(b, s);
}
static void hs(cc_buf *b, cc_str s)
{
  cc_html_str(b, s.ptr, s.len);
}

static void head(cc_buf *b, const cc_request *r, const char *title)
{
  cc_buf_puts(
      b, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width\">"
         "<link rel=\"stylesheet\" href=\"/static/style.css\"><title>");
  h(b, title);
  cc_buf_puts(b, " - 学籍查重比对结果查询</title></head><body><header>"
                 "<strong>学籍查重比对结果查询</strong> ");
  if (r->acct.name[0]) {
    cc_buf_puts(
        b,
        "<a href=\"/\">概况</a><a href=\"/findings\">问题清单</a>"
        "<a href=\"/check\">新生学籍核验</a><a href=\"/downloads\">下载</a>");
    if (r->acct.role == CC_ROLE_NATIONAL || r->acct.role == CC_ROLE_PROVINCE)
      cc_buf_puts(b, "<a href=\"/audit\">审计日志</a>");
    cc_buf_puts(b, " 当前用户：");
    h(b, r->acct.name);
    cc_buf_printf(b, "（%s", cc_role_zh(r->acct.role));
    if (r->acct.scope[0]) {
      cc_buf_puts(b, " ");
      h(b, r->acct.scope);
    }
    cc_buf_puts(b, "）<form method=\"post\" action=\"/logout\">"
                   "<input type=\"hidden\" name=\"csrf\" value=\"");
    h(b, r->session.csrf);
    cc_buf_puts(b, "\"><button>退出</button></form>");
  }
  cc_buf_puts(b, "</header><main><h1>");
  h(b, title);
  cc_buf_puts(b, "</h1>");
}

static void foot(cc_buf *b)
{
  cc_buf_puts(b, "</main></body></html>\n");
}

static void redirect(cc_reply *out, const char *to)
{
  cc_buf b = {0};
  cc_buf_puts(&b, "<!DOCTYPE html><html lang=\"zh-CN\"><body><a href=\"");
  h(&b, to);
  cc_buf_puts(&b, "\">继续</a></body></html>\n");
  cc_reply_take(out, 303, HTML_TYPE, &b);
  snprintf(out->location, sizeof out->location, "%s", to);
}

static void page_error(cc_reply *out, cc_request *r, int status,
                       const char *msg)
{
  cc_buf b = {0};
  head(&b, r, "出错了");
  cc_buf_puts(&b, "<p class=\"err\">");
  h(&b, msg);
  cc_buf_puts(&b, "</p>");
  foot(&b);
  cc_reply_take(out, status, HTML_TYPE, &b);
}

/* An API reply turned into a page: its Chinese message. */
static void page_from_api(cc_reply *out, cc_request *r, cc_reply *api)
{
  const char *m = api->body ? strstr(api->body, "\"message\":\"") : NULL;
  char msg[512] = "请求失败";
  int status = api->status;
  if (m) {
    const char *e = strchr(m + 11, '"');
    if (e)
      snprintf(msg, sizeof msg, "%.*s", (int)(e - m - 11), m + 11);
  }
  free(api->body);
  api->body = NULL;
  page_error(out, r, status, msg);
}

void cc_page_login(cc_reply *out, cc_request *r, int status, const char *msg)
{
  cc_buf b = {0};
  head(&b, r, "登录");
  if (msg && *msg) {
    cc_buf_puts(&b, "<p class=\"err\">");
    h(&b, msg);
    cc_buf_puts(&b, "</p>");
  }
  cc_buf_puts(&b, "<form method=\"post\" action=\"/login\" class=\"box\">"
                  "<label>用户名 <input name=\"user\" "
                  "autocomplete=\"username\" required></label>"
                  "<label>密码 <input name=\"password\" type=\"password\" "
                  "autocomplete=\"current-password\" required></label>"
                  "<button>登录</button></form>"
                  "<p>账号由上级管理部门开设，每人一个账号，不得共用。</p>");
  foot(&b);
  cc_reply_take(out, status, HTML_TYPE, &b);
}

static void money(cc_buf *b, int64_t fen)
{
  cc_buf_printf(b, "%lld.%02lld", (long long)(fen / 100),
                (long long)llabs(fen % 100));
}

/* ------------------------------------------------------------------ */

/* The schools in scope with the most overdue findings (they answer late):
 * at most 10, most first, then by code. */
typedef struct late {
  cc_str code, name;
  unsigned n;
} late;

static int late_cmp(const void *a, const void *b)
{
  const late *x = a, *y = b;
  size_t n = x->code.len < y->code.len ? x->code.len : y->code.len;
  int c;
  if (x->n != y->n)
    return x->n > y->n ? -1 : 1;
  c = n ? memcmp(x->code.ptr, y->code.ptr, n) : 0;
  return c ? c : (int)x->code.len - (int)y->code.len;
}

static void late_schools(cc_buf *b, const cc_request *r,
                         const cc_period_data *d)
{
  late *v = NULL;
  size_t n = 0, cap = 0, i, k;
  for (i = 0; i < d->list.n; i++) {
    const cc_finding *f = &d->list.items[i];
    uint32_t m;
    if (f->state != CC_STATE_OVERDUE || !cc_scope_finding(&r->acct, f))
      continue;
    for (m = 0; m < f->n_members; m++) {
      const cc_member *x = &f->members[m];
      if (!cc_scope_member(&r->acct, x))
        continue;
      for (k = 0; k < n; k++)
        if (v[k].code.len == x->school_code.len &&
            (x->school_code.len == 0 ||
             memcmp(v[k].code.ptr, x->school_code.ptr, x->school_code.len) ==
                 0))
          break;
      if (k == n) {
        if (n == cap) {
          late *grown = realloc(v, (cap ? cap * 2 : 16) * sizeof *v);
          if (grown == NULL) {
            cc_buf_fail(b);
            free(v);
            return;
          }
          v = grown;
          cap = cap ? cap * 2 : 16;
        }
        v[n].code = x->school_code;
        v[n].name = x->school_name;
        v[n++].n = 0;
      }
      v[k].n++;
    }
  }
  cc_buf_puts(b, "<h2>逾期未整改较多的学校</h2>");
  if (n == 0) {
    cc_buf_puts(b, "<p>本期没有逾期问题。</p>");
    free(v);
    return;
  }
  qsort(v, n, sizeof *v, late_cmp);
  cc_buf_puts(
      b, "<table><tr><th>学校代码</th><th>学校名称</th><th>逾期问题</th></tr>");
  for (i = 0; i < n && i < 10; i++) {
    cc_buf_puts(b, "<tr><td>");
    hs(b, v[i].code);
    cc_buf_puts(b, "</td><td>");
    hs(b, v[i].name);
    cc_buf_printf(b, "</td><td class=\"num\">%u</td></tr>", v[i].n);
  }
  cc_buf_puts(b, "</table>");
  free(v);
}

static void dashboard(cc_reply *out, cc_request *r)
{
  cc_period_data *d = NULL;
  cc_calendar *cal = NULL;
  char **periods = NULL;
  size_t np = 0, i;
  uint64_t open = 0, overdue = 0, due = 0, cleared = 0;
  int64_t risk = 0;
  cc_date today = cc_date_today(), soon = today;
  cc_buf b = {0};
  int rc = cc_period_get(&d, r->srv, NULL);

  if (rc < 0) {
    page_error(out, r, rc == CC_ENOTFOUND ? 404 : 500,
               rc == CC_ENOTFOUND ? "数据库中还没有比对结果"
                                  : "服务器内部错误");
    return;
  }
  if (cc_calendar_new(&cal) == 0)
    cc_calendar_add_workdays(&soon, cal, today, 3, NULL);
  cc_calendar_free(cal);
  for (i = 0; i < d->list.n; i++) {
    const cc_finding *f = &d->list.items[i];
    if (!cc_scope_finding(&r->acct, f))
      continue;
    if (f->state == CC_STATE_CLEARED) {
      cleared++;
      continue;
    }
    open++;
    risk += f->amount_at_risk;
    if (f->state == CC_STATE_OVERDUE || f->deadline < today)
      overdue++;
    else if (f->deadline <= soon)
      due++;
  }
  head(&b, r, "概况");
  cc_buf_printf(
      &b,
      "<p>期间 %s（最新一期）</p><table><tr><th>未清理</th><th>已逾期</th>"
      "<th>3 个工作日内到期</th><th>本期已清理</th><th>涉及金额（元）</th></tr>"
      "<tr><td class=\"num\">%llu</td><td class=\"num warn\">%llu</td>"
      "<td class=\"num\">%llu</td><td class=\"num\">%llu</td><td "
      "class=\"num\">",
      d->period, (unsigned long long)open, (unsigned long long)overdue,
      (unsigned long long)due, (unsigned long long)cleared);
  money(&b, risk);
  cc_buf_puts(&b, "</td></tr></table>");
  late_schools(&b, r, d);
  cc_period_release(r->srv, d);
  d = NULL;
  cc_buf_puts(&b, "<h2>各期趋势</h2><table><tr><th>期间</th><th>未清理</th>"
                  "<th>已逾期</th><th>已清理</th></tr>");
  if (cc_db_periods(&periods, &np, r->srv->db) == 0) {
    for (i = 0; i < np; i++) {
      uint64_t o = 0, od = 0, c = 0;
      size_t k;
      if (cc_period_get(&d, r->srv, periods[i]) == 0) {
        for (k = 0; k < d->list.n; k++) {
          const cc_finding *f = &d->list.items[k];
          if (!cc_scope_finding(&r->acct, f))
            continue;
          if (f->state == CC_STATE_CLEARED)
            c++;
          else if (f->state == CC_STATE_OVERDUE)
            od++, o++;
          else
            o++;
        }
        cc_period_release(r->srv, d);
        d = NULL;
      }
      cc_buf_printf(
          &b,
          "<tr><td>%s</td><td class=\"num\">%llu</td><td class=\"num\">"
          "%llu</td><td class=\"num\">%llu</td></tr>",
          periods[i], (unsigned long long)o, (unsigned long long)od,
          (unsigned long long)c);
      free(periods[i]);
    }
    free(periods);
  }
  cc_buf_puts(&b, "</table>");
  foot(&b);
  cc_reply_take(out, 200, HTML_TYPE, &b);
}

static void option(cc_buf *b, const char *value, const char *label,
                   const char *cur)
{
  cc_buf_puts(b, "<option value=\"");
  h(b, value);
  cc_buf_puts(b, cur && strcmp(cur, value) == 0 ? "\" selected>" : "\">");
  h(b, label);
  cc_buf_puts(b, "</option>");
}

static void page_link(cc_buf *b, const cc_request *r, size_t page,
                      const char *label)
{
  static const char *const keep[] = {"period", "type",   "state",
                                     "school", "region", "per_page",
                                     "sort",   "order",  NULL};
  size_t i;
  cc_buf_puts(b, "<a href=\"/findings?");
  for (i = 0; keep[i]; i++) {
    const char *v = cc_req_arg(r, keep[i]);
    if (v && *v) {
      cc_buf_printf(b, "%s=", keep[i]);
      cc_url_str(b, v);
      cc_buf_puts(b, "&amp;");
    }
  }
  cc_buf_printf(b, "page=%zu\">%s</a> ", page, label);
}

static void findings_page(cc_reply *out, cc_request *r)
{
  cc_selection sel;
  cc_reply api;
  cc_buf b = {0};
  char what[256];
  size_t i;
  int t;

  memset(&api, 0, sizeof api);
  if (cc_api_select(&sel, &api, r) < 0) {
    page_from_api(out, r, &api);
    return;
  }
  snprintf(what, sizeof what, "GET /findings period=%s page=%zu",
           sel.data->period, sel.page);
  if (cc_api_audit_call(r, what, sel.n) < 0) {
    cc_selection_dispose(r->srv, &sel);
    page_error(out, r, 503, "审计日志暂时无法写入，本次请求未返回数据");
    return;
  }
  head(&b, r, "问题清单");
  cc_buf_puts(&b, "<form method=\"get\" action=\"/findings\" class=\"box\">"
                  "<label>期间 <input name=\"period\" size=\"8\" value=\"");
  h(&b, sel.data->period);
  cc_buf_puts(&b, "\"></label><label>类型 <select name=\"type\">");
  option(&b, "", "全部", cc_req_arg(r, "type"));
  for (t = 0; t < CC_FT_COUNT_; t++)
    option(&b, cc_finding_type_code((cc_finding_type)t),
           cc_finding_type_zh((cc_finding_type)t), cc_req_arg(r, "type"));
  cc_buf_puts(&b, "</select></label><label>状态 <select name=\"state\">");
  option(&b, "", "全部", cc_req_arg(r, "state"));
  for (t = 0; t < CC_STATE_COUNT_; t++)
    option(&b, cc_finding_state_code((cc_finding_state)t),
           cc_finding_state_zh((cc_finding_state)t), cc_req_arg(r, "state"));
  cc_buf_puts(&b, "</select></label>");
  if (r->acct.role != CC_ROLE_SCHOOL) {
    cc_buf_puts(&b,
                "<label>学校代码 <input name=\"school\" size=\"12\" value=\"");
    h(&b, cc_req_arg(r, "school") ? cc_req_arg(r, "school") : "");
    cc_buf_puts(&b, "\"></label><label>地区代码 <input name=\"region\" "
                    "size=\"6\" value=\"");
    h(&b, cc_req_arg(r, "region") ? cc_req_arg(r, "region") : "");
    cc_buf_puts(&b, "\"></label>");
  }
  cc_buf_puts(&b, "<label>排序 <select name=\"sort\">");
  option(&b, "default", "默认", cc_req_arg(r, "sort"));
  option(&b, "deadline", "截止日期", cc_req_arg(r, "sort"));
  option(&b, "amount", "涉及金额", cc_req_arg(r, "sort"));
  option(&b, "state", "状态", cc_req_arg(r, "sort"));
  cc_buf_puts(&b, "</select></label><label>顺序 <select name=\"order\">");
  option(&b, "asc", "升序", cc_req_arg(r, "order"));
  option(&b, "desc", "降序", cc_req_arg(r, "order"));
  cc_buf_puts(&b, "</select></label><button>查询</button></form>");
  cc_buf_printf(
      &b,
      "<p>共 %zu 条，第 %zu 页</p><table><tr><th>问题编号</th><th>类型</th>"
      "<th>状态</th><th>姓名</th><th>学校</th><th>涉及金额（元）</th>"
      "<th>截止日期</th></tr>",
      sel.total, sel.page);
  for (i = 0; i < sel.n; i++) {
    const cc_finding *f = sel.items[i];
    char hex[17], dl[11];
    uint32_t m;
    cc_finding_id_hex(hex, f->finding_id);
    cc_date_format(dl, f->deadline);
    cc_buf_printf(
        &b,
        "<tr><td><a href=\"/findings/%s?period=%s\">%s</a></td><td>%s</td>"
        "<td>%s</td><td>",
        hex, sel.data->period, hex,
        cc_finding_type_zh((cc_finding_type)f->type),
        cc_finding_state_zh((cc_finding_state)f->state));
    /* the name only when an in-scope member carries it */
    for (m = 0; m < f->n_members; m++)
      if (cc_scope_member(&r->acct, &f->members[m])) {
        hs(&b, f->members[m].name);
        break;
      }
    cc_buf_puts(&b, "</td><td>");
    for (m = 0; m < f->n_members; m++) {
      if (m)
        cc_buf_puts(&b, "<br>");
      hs(&b, f->members[m].school_name.len ? f->members[m].school_name
                                           : f->members[m].school_code);
    }
    cc_buf_puts(&b, "</td><td class=\"num\">");
    money(&b, f->amount_at_risk);
    cc_buf_printf(&b, "</td><td>%s%s</td></tr>", dl,
                  f->deadline_provisional ? "*" : "");
  }
  cc_buf_puts(&b, "</table><p>");
  if (sel.page > 1)
    page_link(&b, r, sel.page - 1, "上一页");
  if (sel.page * sel.per_page < sel.total)
    page_link(&b, r, sel.page + 1, "下一页");
  cc_buf_puts(&b, "</p>");
  cc_selection_dispose(r->srv, &sel);
  foot(&b);
  cc_reply_take(out, 200, HTML_TYPE, &b);
}

static const char *const evidence_zh[CC_EV_COUNT_] = {
    "身份证号", "姓名", "出生日期", "性别", "地区"};
static const char *const basis_zh[CC_BASIS_COUNT_] = {
    "身份证号一致", "身份证号一位之差", "姓名、出生日期、性别一致",
    "人工复核为同一人"};

static void finding_page(cc_reply *out, cc_request *r, const char *hex)
{
  cc_period_data *d = NULL;
  cc_buf b = {0};
  const cc_finding *f;
  char dl[11], is[11], what[128];
  cc_response *rs = NULL;
  size_t nr = 0, i;
  uint64_t id;
  char *end;
  int rc;

  id = strtoull(hex, &end, 16);
  if (strlen(hex) != 16 || *end) {
    page_error(out, r, 404, "未找到该问题");
    return;
  }
  if ((rc = cc_period_get(&d, r->srv, cc_req_arg(r, "period"))) < 0) {
    page_error(out, r, rc == CC_ENOTFOUND ? 404 : 400, "没有该期数据");
    return;
  }
  for (f = NULL, i = 0; i < d->list.n; i++)
    if (d->list.items[i].finding_id == id)
      f = &d->list.items[i];
  if (f == NULL || !cc_scope_finding(&r->acct, f)) {
    cc_period_release(r->srv, d);
    page_error(out, r, 404, "未找到该问题");
    return;
  }
  snprintf(what, sizeof what, "GET /findings/%s period=%s", hex, d->period);
  if (cc_api_audit_call(r, what, 1) < 0) {
    cc_period_release(r->srv, d);
    page_error(out, r, 503, "审计日志暂时无法写入，本次请求未返回数据");
    return;
  }
  head(&b, r, "问题详情");
  cc_date_format(dl, f->deadline);
  cc_date_format(is, f->issued);
  cc_buf_printf(
      &b, "<table><tr><th>问题编号</th><td>%s</td></tr><tr><th>类型</th><td>%s",
      hex, cc_finding_type_zh((cc_finding_type)f->type));
  if (f->reason) {
    cc_buf_puts(&b, "（");
    h(&b, cc_finding_reason_zh((cc_finding_reason)f->reason));
    cc_buf_puts(&b, "）");
  }
  cc_buf_printf(
      &b,
      "</td></tr><tr><th>期间</th><td>%s</td></tr><tr><th>状态</th><td>%s"
      "</td></tr><tr><th>发现日期</th><td>%s</td></tr><tr><th>整改截止</th>"
      "<td>%s%s</td></tr><tr><th>涉及金额（元）</th><td>",
      d->period, cc_finding_state_zh((cc_finding_state)f->state), is, dl,
      f->deadline_provisional ? "（按放假办法推算，待国务院公布当年安排后确认）"
                              : "");
  money(&b, f->amount_at_risk);
  cc_buf_puts(&b, "</td></tr><tr><th>处理建议</th><td>");
  h(&b, cc_export_action_zh(f->type, f->n_members > 1));
  cc_buf_printf(&b, "</td></tr><tr><th>认定依据</th><td>%s，可信度 %.2f%%",
                f->basis < CC_BASIS_COUNT_ ? basis_zh[f->basis] : "",
                f->confidence / 100.0);
  for (i = 0; i < f->n_evidence; i++)
    if (f->evidence[i].field < CC_EV_COUNT_)
      cc_buf_printf(&b, "<br>%s：级别 %u，权重 %.1f",
                    evidence_zh[f->evidence[i].field], f->evidence[i].level,
                    f->evidence[i].weight10 / 10.0);
  cc_buf_puts(
      &b,
      "</td></tr></table><h2>涉及记录</h2><table><tr><th>系统</th><th>行号</th>"
      "<th>学校</th><th>地区</th><th>姓名</th><th>学籍号</th><th>学籍状态</th>"
      "<th>助学金</th><th>免学费</th></tr>");
  for (i = 0; i < f->n_members; i++) {
    const cc_member *m = &f->members[i];
    char lab[64];
    int in = cc_scope_member(&r->acct, m);
    snprintf(lab, sizeof lab, "%.*s", (int)m->label.len,
             m->label.ptr ? m->label.ptr : "");
    cc_buf_puts(&b, "<tr><td>");
    h(&b, cc_export_system_zh(lab));
    cc_buf_printf(&b, "</td><td>%u</td><td>", m->line);
    hs(&b, m->school_name);
    cc_buf_puts(&b, " (");
    hs(&b, m->school_code);
    cc_buf_puts(&b, ")</td><td>");
    hs(&b, m->region_code);
    cc_buf_puts(&b, "</td><td>");
    if (in)
      hs(&b, m->name);
    else
      cc_buf_puts(&b, "（他校记录，已隐去）");
    cc_buf_puts(&b, "</td><td>");
    if (in)
      hs(&b, m->record_id);
    cc_buf_puts(&b, "</td><td>");
    h(&b, cc_status_zh((cc_status)m->status));
    cc_buf_puts(&b, "</td><td class=\"num\">");
    money(&b, m->grant);
    cc_buf_puts(&b, "</td><td class=\"num\">");
    money(&b, m->waiver);
    cc_buf_puts(&b, "</td></tr>");
  }
  cc_buf_puts(&b, "</table><h2>各期情况</h2>");
  {
    char **periods = NULL;
    size_t np = 0, k;
    cc_buf_puts(&b,
                "<table><tr><th>期间</th><th>状态</th><th>截止日期</th></tr>");
    if (cc_db_periods(&periods, &np, r->srv->db) == 0) {
      for (k = 0; k < np; k++) {
        cc_period_data *x = NULL;
        size_t j;
        if (cc_period_get(&x, r->srv, periods[k]) == 0) {
          for (j = 0; j < x->list.n; j++) {
            const cc_finding *g = &x->list.items[j];
            char gd[11];
            if (g->finding_id != id || !cc_scope_finding(&r->acct, g))
              continue;
            cc_date_format(gd, g->deadline);
            cc_buf_printf(&b, "<tr><td>%s</td><td>%s</td><td>%s</td></tr>",
                          x->period,
                          cc_finding_state_zh((cc_finding_state)g->state), gd);
          }
          cc_period_release(r->srv, x);
        }
        free(periods[k]);
      }
      free(periods);
    }
    cc_buf_puts(&b, "</table>");
  }
  cc_buf_puts(
      &b, "<h2>学校反馈</h2><table><tr><th>日期</th><th>学校</th><th>处理</th>"
          "<th>填报人</th><th>说明</th></tr>");
  if (cc_response_list(&rs, &nr, r->srv->db, id) == 0) {
    for (i = 0; i < nr; i++) {
      char rd[11];
      cc_date_format(rd, rs[i].date);
      cc_buf_printf(&b, "<tr><td>%s</td><td>", rd);
      h(&b, rs[i].school_code);
      cc_buf_puts(&b, "</td><td>");
      h(&b, cc_response_action_zh((cc_response_action)rs[i].action));
      cc_buf_puts(&b, "</td><td>");
      h(&b, rs[i].by);
      cc_buf_puts(&b, "</td><td>");
      h(&b, rs[i].note);
      cc_buf_puts(&b, "</td></tr>");
    }
    free(rs);
  }
  cc_buf_puts(&b, "</table>");
  if (r->acct.role == CC_ROLE_SCHOOL && f->state != CC_STATE_CLEARED) {
    int a;
    cc_buf_printf(
        &b,
        "<h2>本校反馈</h2><form method=\"post\" action=\"/findings/%s/answer\" "
        "class=\"box\"><input type=\"hidden\" name=\"csrf\" value=\"%s\">"
        "<input type=\"hidden\" name=\"period\" value=\"%s\">",
        hex, r->session.csrf, d->period);
    for (a = CC_ACTION_KEEP; a < CC_ACTION_COUNT_; a++)
      cc_buf_printf(
          &b,
          "<label><input type=\"radio\" name=\"action\" value=\"%s\"%s> %s"
          "</label><br>",
          cc_response_action_code((cc_response_action)a),
          a == CC_ACTION_KEEP ? " required" : "",
          cc_response_action_zh((cc_response_action)a));
    cc_buf_puts(&b,
                "<label>说明 <textarea name=\"note\" rows=\"3\" cols=\"60\" "
                "maxlength=\"500\"></textarea></label><br><button>提交反馈</"
                "button></form>");
  }
  cc_period_release(r->srv, d);
  foot(&b);
  cc_reply_take(out, 200, HTML_TYPE, &b);
}

static void answer_post(cc_reply *out, cc_request *r, const char *hex)
{
  cc_reply api;
  const char *action = cc_req_arg(r, "action"), *note = cc_req_arg(r, "note");
  char to[128];
  memset(&api, 0, sizeof api);
  cc_api_respond(&api, r, hex, action ? action : "", note ? note : "");
  if (api.status != 201) {
    page_from_api(out, r, &api);
    return;
  }
  free(api.body);
  snprintf(to, sizeof to, "/findings/%.16s", hex);
  redirect(out, to);
}

static void check_page(cc_reply *out, cc_request *r)
{
  const char *id = cc_req_arg(r, "id");
  cc_buf b = {0};
  head(&b, r, "新生学籍核验");
  cc_buf_puts(
      &b,
      "<p>新生注册前，核验其是否已在任一系统中持有学籍（在籍或休学）。</p>"
      "<form method=\"get\" action=\"/check\" class=\"box\"><label>身份证号 "
      "<input name=\"id\" size=\"20\" maxlength=\"64\" required></label>"
      "<button>核验</button></form>");
  if (id && *id) {
    cc_reply api;
    cc_enrollment *e = NULL;
    cc_id cid;
    char period[8];
    size_t n = 0, i;
    memset(&api, 0, sizeof api);
    if (cc_api_check_select(period, &cid, &e, &n, &api, r) < 0) {
      cc_buf_dispose(&b);
      page_from_api(out, r, &api);
      return;
    }
    cc_buf_printf(&b, "<div class=\"box\"><p>比对数据期间：%s</p>", period);
    if (n == 0)
      cc_buf_puts(&b,
                  "<p "
                  "class=\"ok\">"
                  "最新一期比对数据中，该身份证号没有在籍或休学的学籍。</p>");
    else
      cc_buf_puts(&b,
                  "<p "
                  "class=\"err\">该学生已持有学籍，请先核实：</"
                  "p><table><tr><th>系统</th>"
                  "<th>学校代码</th><th>学校名称</th><th>学籍状态</th></tr>");
    for (i = 0; i < n; i++) {
      cc_buf_puts(&b, "<tr><td>");
      h(&b, cc_export_system_zh(e[i].label));
      cc_buf_puts(&b, "</td><td>");
      h(&b, e[i].school_code);
      cc_buf_puts(&b, "</td><td>");
      h(&b, e[i].school_name);
      cc_buf_puts(&b, "</td><td>");
      h(&b, cc_status_zh((cc_status)e[i].status));
      cc_buf_puts(&b, "</td></tr>");
    }
    cc_buf_puts(&b, n ? "</table></div>" : "</div>");
    free(e);
  }
  foot(&b);
  cc_reply_take(out, 200, HTML_TYPE, &b);
}

static void downloads_page(cc_reply *out, cc_request *r)
{
  cc_buf b = {0};
  head(&b, r, "下载");
  cc_buf_puts(&b, "<ul>");
  if (r->acct.role == CC_ROLE_SCHOOL)
    cc_buf_puts(
        &b,
        "<li><a href=\"/api/v1/export\">本校问题工作簿（.xlsx，含完整身份证号，"
        "请妥善保管）</a></li>");
  else
    cc_buf_puts(
        &b,
        "<li><a "
        "href=\"/api/v1/export\">本辖区问题清单（CSV，身份证号已隐去）</a></li>"
        "<li><a href=\"/api/v1/report\">本辖区比对报告（HTML）</a></li>");
  cc_buf_puts(&b, "</ul><p>下载均记入审计日志（谁导出、谁负责）。</p>");
  foot(&b);
  cc_reply_take(out, 200, HTML_TYPE, &b);
}

static void audit_page(cc_reply *out, cc_request *r)
{
  cc_reply api;
  cc_audit_entry *e = NULL;
  size_t n = 0, i;
  cc_buf b = {0};
  memset(&api, 0, sizeof api);
  if (cc_api_audit_select(&e, &n, &api, r) < 0) {
    page_from_api(out, r, &api);
    return;
  }
  head(&b, r, "审计日志");
  cc_buf_puts(
      &b,
      "<table><tr><th>时间 (UTC)</th><th>用户</th><th>操作</th><th>条数</th>"
      "<th>内容</th></tr>");
  for (i = n; i-- > 0;) { /* newest first */
    char t[32];
    time_t tt = (time_t)e[i].when;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(t, sizeof t, "%Y-%m-%d %H:%M:%S", &tm);
    cc_buf_printf(&b, "<tr><td>%s</td><td>", t);
    cc_html_str(&b, e[i].user, strnlen(e[i].user, sizeof e[i].user));
    cc_buf_puts(&b, "</td><td>");
    cc_html_str(&b, e[i].command, strnlen(e[i].command, sizeof e[i].command));
    cc_buf_printf(&b, "</td><td class=\"num\">%llu</td><td>",
                  (unsigned long long)e[i].records);
    cc_html_str(&b, e[i].what, strnlen(e[i].what, sizeof e[i].what));
    cc_buf_puts(&b, "</td></tr>");
  }
  cc_buf_puts(&b, "</table>");
  free(e);
  foot(&b);
  cc_reply_take(out, 200, HTML_TYPE, &b);
}

void cc_page_route(cc_reply *out, cc_request *r)
{
  const char *p = r->path;
  int post = strcmp(r->method, "POST") == 0;

  if (strcmp(p, "/login") == 0) {
    const char *u = cc_req_arg(r, "user"), *pw = cc_req_arg(r, "password");
    char sid[CC_SID_TEXT];
    cc_session se;
    cc_login_result res;
    unsigned retry;
    if (!post) {
      if (r->acct.name[0])
        redirect(out, "/");
      else
        cc_page_login(out, r, 200, "");
      return;
    }
    if (u == NULL || pw == NULL) {
      cc_page_login(out, r, 400, "请输入用户名和密码");
      return;
    }
    res = cc_sessions_login(r->srv->sessions, r->srv->db, u, pw, strlen(pw),
                            r->addr, r->sid, sid, &se, &r->acct, &retry);
    if (cc_reply_login(out, res, retry) < 0) {
      int status = out->status;
      unsigned retry = out->retry_after;
      cc_page_login(out, r, status,
                    status == 429 ? "登录失败次数过多，请稍后再试"
                                  : "用户名或密码错误");
      out->retry_after = retry;
      return;
    }
    redirect(out, "/");
    cc_serve_cookie(out->cookie, sizeof out->cookie, r->srv, sid);
    return;
  }
  if (r->acct.name[0] == '\0') {
    redirect(out, "/login");
    return;
  }
  if (post && strcmp(p, "/logout") == 0) {
    if (r->sid[0])
      cc_sessions_close(r->srv->sessions, r->sid);
    redirect(out, "/login");
    cc_serve_cookie(out->cookie, sizeof out->cookie, r->srv, "");
    return;
  }
  if (post && strncmp(p, "/findings/", 10) == 0 && strlen(p) == 10 + 16 + 7 &&
      strcmp(p + 26, "/answer") == 0) {
    char hex[17];
    memcpy(hex, p + 10, 16);
    hex[16] = '\0';
    answer_post(out, r, hex);
    return;
  }
  if (post) {
    page_error(out, r, 405, "请求方法不允许");
    return;
  }
  if (strcmp(p, "/") == 0)
    dashboard(out, r);
  else if (strcmp(p, "/findings") == 0)
    findings_page(out, r);
  else if (strncmp(p, "/findings/", 10) == 0)
    finding_page(out, r, p + 10);
  else if (strcmp(p, "/check") == 0)
    check_page(out, r);
  else if (strcmp(p, "/downloads") == 0)
    downloads_page(out, r);
  else if (strcmp(p, "/audit") == 0)
    audit_page(out, r);
  else
    page_error(out, r, 404, "页面不存在");
}
