/*
 * check_serve.c - the service's parts that need no network
 * (engine/serve_session.c, serve_api.c, serve.c): sessions and their
 * timeouts, login throttling, scope and masking (the text buffer and its
 * JSON, HTML and URL writers: check_buf.c). The HTTP side is tested end to
 * end by tests/cli/test_serve.sh.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chachong/account.h"
#include "chachong/errors.h"
#include "serve_api_internal.h"
#include "serve_session_internal.h"
#include "test_util.h"

static char root[256];

static cc_sessions *sessions(unsigned idle, unsigned absolute, unsigned max)
{
  cc_serve_options o = CC_SERVE_OPTIONS_INIT;
  cc_sessions *s = NULL;
  o.idle_timeout = idle;
  o.absolute_timeout = absolute;
  o.max_sessions = max;
  o.account_failures = 3;
  o.address_failures = 5;
  o.lockout_seconds = 60;
  ck_assert_int_eq(cc_sessions_new(&s, &o), 0);
  return s;
}

static cc_account account(const char *name, int role, const char *scope)
{
  cc_account a;
  memset(&a, 0, sizeof a);
  snprintf(a.name, sizeof a.name, "%s", name);
  snprintf(a.scope, sizeof a.scope, "%s", scope);
  a.role = (uint8_t)role;
  a.changed = 42;
  return a;
}

/* Options of another version are refused before anything is touched (a
 * caller built against an older header passes a shorter struct). */
START_TEST(test_serve_options_version)
{
  cc_serve_options o = CC_SERVE_OPTIONS_INIT;
  cc_server *srv = (cc_server *)&o;
  o.version = CC_SERVE_OPTIONS_VERSION - 1;
  ck_assert_int_eq(cc_serve_start(&srv, NULL, &o), CC_EINVALID);
  ck_assert_ptr_null(srv);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "version"));
}
END_TEST

START_TEST(test_serve_session_open_find_close)
{
  cc_sessions *s = sessions(600, 3600, 10);
  cc_account a = account("s1", CC_ROLE_SCHOOL, "S1");
  char id1[CC_SID_TEXT], id2[CC_SID_TEXT], bad[CC_SID_TEXT];
  cc_session x, y;
  size_t i;
  ck_assert_int_eq(cc_sessions_open(s, id1, &x, &a), 0);
  ck_assert_int_eq(cc_sessions_open(s, id2, &y, &a), 0);
  ck_assert_uint_eq(strlen(id1), 64);
  for (i = 0; i < 64; i++)
    ck_assert(strchr("0123456789abcdef", id1[i]) != NULL);
  ck_assert_str_ne(id1, id2); /* a new id at every login */
  ck_assert_str_ne(x.csrf, y.csrf);
  ck_assert_str_ne(x.csrf, id1);
  ck_assert_int_eq(x.account_changed, 42);
  memset(&y, 0, sizeof y);
  ck_assert_int_eq(cc_sessions_find(s, id1, &y), 0);
  ck_assert_str_eq(y.name, "s1");
  ck_assert_str_eq(y.csrf, x.csrf);
  snprintf(bad, sizeof bad, "%s", id1);
  bad[63] = bad[63] == '0' ? '1' : '0';
  ck_assert_int_eq(cc_sessions_find(s, bad, &y), CC_ENOTFOUND);
  ck_assert_int_eq(cc_sessions_find(s, "abc", &y), CC_ENOTFOUND);
  ck_assert_int_eq(cc_sessions_find(s, "", &y), CC_ENOTFOUND);
  cc_sessions_close(s, id1);
  ck_assert_int_eq(cc_sessions_find(s, id1, &y), CC_ENOTFOUND);
  ck_assert_int_eq(cc_sessions_find(s, id2, &y), 0);
  cc_sessions_free(s);
}
END_TEST

START_TEST(test_serve_session_full)
{
  cc_sessions *s = sessions(600, 3600, 2);
  cc_account a = account("s1", CC_ROLE_SCHOOL, "S1");
  char id[3][CC_SID_TEXT];
  cc_session x;
  ck_assert_int_eq(cc_sessions_open(s, id[0], &x, &a), 0);
  ck_assert_int_eq(cc_sessions_open(s, id[1], &x, &a), 0);
  /* full of live sessions: refused, nobody pushed out */
  ck_assert_int_eq(cc_sessions_open(s, id[2], &x, &a), CC_EBUSY);
  ck_assert_int_eq(cc_sessions_find(s, id[0], &x), 0);
  cc_sessions_close(s, id[1]);
  ck_assert_int_eq(cc_sessions_open(s, id[2], &x, &a), 0);
  cc_sessions_free(s);
}
END_TEST

/* Only expiry is asserted: a slow machine can only make the wait longer. */
static void expires(unsigned idle, unsigned absolute)
{
  cc_sessions *s = sessions(idle, absolute, 10);
  cc_account a = account("s1", CC_ROLE_SCHOOL, "S1");
  char id[CC_SID_TEXT];
  cc_session x;
  ck_assert_int_eq(cc_sessions_open(s, id, &x, &a), 0);
  sleep(2);
  ck_assert_int_eq(cc_sessions_find(s, id, &x), CC_ENOTFOUND);
  cc_sessions_free(s);
}

START_TEST(test_serve_session_idle_timeout)
{
  expires(1, 3600);
}
END_TEST

START_TEST(test_serve_session_absolute_timeout)
{
  expires(3600, 1);
}
END_TEST

START_TEST(test_serve_throttle)
{
  cc_sessions *s = sessions(600, 3600, 10);
  unsigned w;
  cc_throttle_fail(s, "a:s1");
  cc_throttle_fail(s, "a:s1");
  ck_assert_uint_eq(cc_throttle_wait(s, "a:s1"), 0); /* 2 of 3 */
  cc_throttle_fail(s, "a:s1");
  w = cc_throttle_wait(s, "a:s1"); /* locked 60 s */
  ck_assert_uint_gt(w, 0);
  ck_assert_uint_le(w, 60);
  cc_throttle_fail(s, "a:s1"); /* doubled */
  ck_assert_uint_gt(cc_throttle_wait(s, "a:s1"), 60);
  ck_assert_uint_eq(cc_throttle_wait(s, "a:s2"), 0); /* per name */
  cc_throttle_clear(s, "a:s1");
  ck_assert_uint_eq(cc_throttle_wait(s, "a:s1"), 0);
  /* addresses have their own limit (5) */
  for (int i = 0; i < 4; i++)
    cc_throttle_fail(s, "ip:10.0.0.1");
  ck_assert_uint_eq(cc_throttle_wait(s, "ip:10.0.0.1"), 0);
  cc_throttle_fail(s, "ip:10.0.0.1");
  ck_assert_uint_gt(cc_throttle_wait(s, "ip:10.0.0.1"), 0);
  /* the lock never passes 15 minutes */
  for (int i = 0; i < 40; i++)
    cc_throttle_fail(s, "a:s3");
  ck_assert_uint_le(cc_throttle_wait(s, "a:s3"), 900);
  ck_assert_uint_gt(cc_throttle_wait(s, "a:s3"), 800);
  cc_sessions_free(s);
}
END_TEST

/* A finding of 张伟 between school A (Jinan, 370102) and school B (Beijing,
 * 110101), the second record under another spelling. */
static cc_str str(const char *s)
{
  cc_str x;
  x.ptr = s;
  x.len = (uint32_t)strlen(s);
  return x;
}

static void make_finding(cc_finding *f, cc_member m[2])
{
  memset(f, 0, sizeof *f);
  memset(m, 0, 2 * sizeof *m);
  f->finding_id = 0x1234;
  snprintf(f->id, sizeof f->id, "370102200803151231");
  f->id_valid = 1;
  f->person_name = str("张伟");
  f->members = m;
  f->n_members = 2;
  f->confidence = 10000;
  m[0].label = str("moe");
  m[0].line = 2;
  m[0].name = str("张伟");
  m[0].record_id = str("2024370100001");
  m[0].school_code = str("A");
  m[0].region_code = str("370102");
  m[1].label = str("mohrss");
  m[1].line = 5;
  m[1].name = str("張偉");
  m[1].record_id = str("T2024001");
  m[1].school_code = str("B");
  m[1].region_code = str("110101");
}

START_TEST(test_serve_scope)
{
  cc_finding f;
  cc_member m[2];
  cc_account a;
  make_finding(&f, m);
  a = account("n", CC_ROLE_NATIONAL, "");
  ck_assert(cc_scope_finding(&a, &f));
  a = account("p", CC_ROLE_PROVINCE, "37");
  ck_assert(cc_scope_finding(&a, &f));
  ck_assert(cc_scope_member(&a, &m[0]));
  ck_assert(!cc_scope_member(&a, &m[1]));
  a = account("p", CC_ROLE_PROVINCE, "44");
  ck_assert(!cc_scope_finding(&a, &f));
  a = account("c", CC_ROLE_CITY, "1101");
  ck_assert(cc_scope_finding(&a, &f));
  a = account("c", CC_ROLE_CITY, "3702");
  ck_assert(!cc_scope_finding(&a, &f));
  a = account("s", CC_ROLE_SCHOOL, "B");
  ck_assert(cc_scope_finding(&a, &f));
  a = account("s", CC_ROLE_SCHOOL, "AB"); /* whole codes, not prefixes */
  ck_assert(!cc_scope_finding(&a, &f));
  a = account("x", CC_ROLE_NONE, "");
  ck_assert(!cc_scope_finding(&a, &f));
}
END_TEST

START_TEST(test_serve_masking)
{
  cc_finding f;
  cc_member m[2];
  cc_account a = account("s", CC_ROLE_SCHOOL, "A");
  cc_buf b = {0};
  char *t;
  make_finding(&f, m);
  cc_api_finding_json(&b, &a, &f, "2026-09");
  t = cc_buf_take(&b);
  ck_assert_ptr_nonnull(t);
  ck_assert(strchr(t, '\n') == NULL);
  /* own student: full ID, name, record number */
  ck_assert_ptr_nonnull(strstr(t, "\"id_number\": \"370102200803151231\""));
  ck_assert_ptr_nonnull(strstr(t, "\"record_id\": \"2024370100001\""));
  /* the other school's record: name and record number masked */
  ck_assert_ptr_nonnull(strstr(t, "\"name\": \"張*\""));
  ck_assert_ptr_nonnull(strstr(t, "\"record_id\": \"T2****01\""));
  ck_assert_ptr_null(strstr(t, "T2024001"));
  ck_assert_ptr_null(strstr(t, "張偉"));
  free(t);
  /* a fuzzy finding whose ID is the other school's: masked */
  m[0].id = str("370102200803151239");
  m[1].id = str("370102200803151231");
  cc_api_finding_json(&b, &a, &f, "2026-09");
  t = cc_buf_take(&b);
  ck_assert_ptr_nonnull(strstr(t, "\"id_number\": \"370102********1231\""));
  ck_assert_ptr_null(strstr(t, "370102200803151231"));
  free(t);
}
END_TEST

static Suite *serve_suite(void)
{
  Suite *s = suite_create("serve");
  TCase *core = tcase_create("Core");
  TCase *limits = tcase_create("Limits");
  tcase_add_test(core, test_serve_options_version);
  tcase_add_test(core, test_serve_session_open_find_close);
  tcase_add_test(core, test_serve_session_full);
  tcase_add_test(core, test_serve_throttle);
  tcase_add_test(core, test_serve_scope);
  tcase_add_test(core, test_serve_masking);
  tcase_set_timeout(limits, 120);
  tcase_add_test(limits, test_serve_session_idle_timeout);
  tcase_add_test(limits, test_serve_session_absolute_timeout);
  suite_add_tcase(s, core);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  return tu_main(serve_suite, root, sizeof root, "serve");
}
