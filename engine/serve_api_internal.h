/*
 * The service's data (serve_api.c): the JSON calls, the cache of loaded
 * periods, scope and masking, and the selections and audited reads the
 * pages share. It calls serve_http.c only.
 */
#ifndef CC_SERVE_API_INTERNAL_H
#define CC_SERVE_API_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "chachong/audit.h"
#include "chachong/finding.h"
#include "chachong/normalize_id.h"
#include "serve_http_internal.h"
#include "store_internal.h"

/* A period's findings, shared between requests until released. */
typedef struct cc_period_data cc_period_data;
struct cc_period_data {
  char period[8];
  char *info; /* the run info it was loaded under */
  cc_finding_list list;
  int refs;   /* under the cache's lock */
  int cached; /* 1 while a cache slot holds it */
  /* Selections made in it (scope, filters, order), remembered for the
   * next page (serve_api.c, "Selections remembered"). */
  pthread_mutex_t memo_lock;
  struct cc_memo *memo;
  uint64_t memo_tick;
};

int cc_serve_cache_new(cc_serve_cache **out);
void cc_serve_cache_free(cc_serve_cache *c);

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
int cc_api_check_select(char period[8], cc_id *id, cc_enrollment **e, size_t *n,
                        cc_reply *out, cc_request *r);

/* The audit entry of a call under the caller's name (command "serve"),
 * kept in r: serve.c sends the reply only once it is durable (group
 * commit, audit.c), a 503 instead when it cannot be written. 0, or the
 * error after which nothing may be sent. */
int cc_api_audit_call(cc_request *r, const char *what, uint64_t records);

/* The same, written now and waited for: a call that changes something
 * records its entry before the change. */
int cc_api_audit_now(cc_request *r, const char *what, uint64_t records);

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
  cc_period_data *data;     /* to release */
  const cc_finding **items; /* the page's findings */
  size_t n;                 /* on this page */
  size_t total;             /* that matched */
  size_t page, per_page;
} cc_selection;

/* Filters, sorts and pages the findings of a period for r's caller, from
 * r's arguments; on error `out` holds the reply to send (returns < 0). */
int cc_api_select(cc_selection *sel, cc_reply *out, cc_request *r);
void cc_selection_dispose(cc_server *s, cc_selection *sel);

#endif
