/*
 * check_account.c - the accounts of the service (engine/account.c, SPEC 5):
 * roles and scope codes, adding, listing, disabling, passwords (Argon2id,
 * never stored in clear), one answer for a wrong name or password, and API
 * tokens (shown once, stored as a digest, replaced and revoked).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chachong/account.h"
#include "chachong/audit.h"
#include "chachong/errors.h"
#include "chachong/index.h"
#include "test_util.h"

static char root[256];
static char scratch[320];
static char db_dir[400];
static cc_db *db;

static void setup(void)
{
  db = tu_db_scratch(scratch, sizeof scratch, db_dir, sizeof db_dir, root);
}

static void teardown(void)
{
  tu_db_scratch_end(&db, scratch);
}

static int add(const char *name, int role, const char *scope, const char *pw)
{
  return cc_account_add(db, name, role, scope, pw, strlen(pw));
}

static int login(const char *name, const char *pw)
{
  cc_account a;
  return cc_account_login(&a, db, name, pw, strlen(pw));
}

/* 1 when the bytes occur anywhere in the database file. */
static int in_file(const char *needle)
{
  char path[512];
  FILE *f;
  char *buf;
  long len;
  size_t n = strlen(needle);
  int hit = 0;
  snprintf(path, sizeof path, "%s/data.mdb", db_dir);
  f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  fseek(f, 0, SEEK_END);
  len = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = malloc((size_t)len);
  ck_assert_ptr_nonnull(buf);
  ck_assert_uint_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  for (long i = 0; i + (long)n <= len && !hit; i++)
    hit = memcmp(buf + i, needle, n) == 0;
  free(buf);
  return hit;
}

START_TEST(test_account_roles)
{
  ck_assert_int_eq(cc_role_parse("national"), CC_ROLE_NATIONAL);
  ck_assert_int_eq(cc_role_parse("province"), CC_ROLE_PROVINCE);
  ck_assert_int_eq(cc_role_parse("city"), CC_ROLE_CITY);
  ck_assert_int_eq(cc_role_parse("school"), CC_ROLE_SCHOOL);
  ck_assert_int_eq(cc_role_parse("none"), -1);
  ck_assert_int_eq(cc_role_parse("admin"), -1);
  ck_assert_str_eq(cc_role_code(CC_ROLE_CITY), "city");
  ck_assert_str_eq(cc_role_zh(CC_ROLE_PROVINCE), "省级");
}
END_TEST

/* {role, scope, valid}: GB/T 2260 37 = 山东省, 3701 = 济南市; 99 and 3799
 * are not listed. */
static const struct {
  int role;
  const char *scope;
  int ok;
} scopes[] = {
    {CC_ROLE_NATIONAL, "", 1},
    {CC_ROLE_NATIONAL, "37", 0},
    {CC_ROLE_PROVINCE, "37", 1},
    {CC_ROLE_PROVINCE, "3", 0},
    {CC_ROLE_PROVINCE, "99", 0},
    {CC_ROLE_PROVINCE, "3701", 0},
    {CC_ROLE_PROVINCE, "3a", 0},
    {CC_ROLE_PROVINCE, "", 0},
    {CC_ROLE_CITY, "3701", 1},
    {CC_ROLE_CITY, "37", 0},
    {CC_ROLE_CITY, "3799", 0},
    {CC_ROLE_CITY, "370102", 0},
    {CC_ROLE_SCHOOL, "4137010001", 1},
    {CC_ROLE_SCHOOL, "J3701001", 1},
    {CC_ROLE_SCHOOL, "", 0},
    {CC_ROLE_SCHOOL, "41 37", 0},
    {CC_ROLE_SCHOOL, "学校", 0},
    {CC_ROLE_SCHOOL,
     "0123456789012345678901234567890123456789012345678901234567890123", 0},
    {CC_ROLE_NONE, "", 0},
};

START_TEST(test_account_scope_codes)
{
  size_t i;
  for (i = 0; i < sizeof scopes / sizeof scopes[0]; i++) {
    int rc = cc_account_scope_check(scopes[i].role, scopes[i].scope);
    ck_assert_msg((rc == 0) == scopes[i].ok, "role %d scope '%s': %d",
                  scopes[i].role, scopes[i].scope, rc);
    if (!scopes[i].ok)
      ck_assert_int_eq(rc, CC_EINVALID);
  }
}
END_TEST

START_TEST(test_account_add_get_list)
{
  cc_account a, *list = NULL;
  size_t n = 0;
  ck_assert_int_eq(add("sd.audit", CC_ROLE_PROVINCE, "37", "correct horse 1"),
                   0);
  ck_assert_int_eq(
      add("jn_school-1@x", CC_ROLE_SCHOOL, "4137010001", "battery staple"), 0);
  ck_assert_int_eq(add("nat", CC_ROLE_NATIONAL, "", "national pass"), 0);
  /* taken, bad names, bad scope, short password: nothing stored */
  ck_assert_int_eq(add("nat", CC_ROLE_NATIONAL, "", "another pass"), CC_EBUSY);
  ck_assert_int_eq(add("", CC_ROLE_NATIONAL, "", "national pass"), CC_EINVALID);
  ck_assert_int_eq(add("张三", CC_ROLE_NATIONAL, "", "national pass"),
                   CC_EINVALID);
  ck_assert_int_eq(add("a b", CC_ROLE_NATIONAL, "", "national pass"),
                   CC_EINVALID);
  ck_assert_int_eq(add("x", CC_ROLE_PROVINCE, "99", "national pass"),
                   CC_EINVALID);
  ck_assert_int_eq(add("y", CC_ROLE_CITY, "3701", "123456789"), CC_EINVALID);
  ck_assert_int_eq(cc_account_get(&a, db, "sd.audit"), 0);
  ck_assert_str_eq(a.name, "sd.audit");
  ck_assert_int_eq(a.role, CC_ROLE_PROVINCE);
  ck_assert_str_eq(a.scope, "37");
  ck_assert_int_eq(a.disabled, 0);
  ck_assert_int_eq(a.has_token, 0);
  ck_assert_int_gt(a.created, 1700000000);
  ck_assert_int_eq(cc_account_get(&a, db, "nobody"), CC_ENOTFOUND);
  ck_assert_int_eq(cc_account_list(&list, &n, db), 0);
  ck_assert_uint_eq(n, 3);
  /* by name, bytewise */
  ck_assert_str_eq(list[0].name, "jn_school-1@x");
  ck_assert_str_eq(list[1].name, "nat");
  ck_assert_str_eq(list[2].name, "sd.audit");
  ck_assert_str_eq(list[0].scope, "4137010001");
  free(list);
}
END_TEST

/* Every change leaves its entry, written by the library: one per change
 * that was stored, none for a refused one, in order, command "user". */
START_TEST(test_account_changes_audited)
{
  static const char *const want[] = {"add sd.audit role=province scope=37",
                                     "add nat role=national scope=",
                                     "passwd sd.audit",
                                     "disable sd.audit",
                                     "enable sd.audit",
                                     "token nat new",
                                     "token nat revoke"};
  char token[CC_TOKEN_TEXT];
  cc_audit_entry *e = NULL;
  size_t n = 0, i;
  ck_assert_int_eq(add("sd.audit", CC_ROLE_PROVINCE, "37", "correct horse 1"),
                   0);
  ck_assert_int_eq(add("sd.audit", CC_ROLE_PROVINCE, "37", "correct horse 2"),
                   CC_EBUSY);
  ck_assert_int_eq(add("nat", CC_ROLE_NATIONAL, "", "national pass"), 0);
  ck_assert_int_eq(
      cc_account_set_password(db, "sd.audit", "a new password", 14), 0);
  ck_assert_int_eq(cc_account_set_password(db, "nobody", "a new password", 14),
                   CC_ENOTFOUND);
  ck_assert_int_eq(cc_account_set_disabled(db, "sd.audit", 1), 0);
  ck_assert_int_eq(cc_account_set_disabled(db, "sd.audit", 0), 0);
  ck_assert_int_eq(cc_account_token_new(token, db, "nat"), 0);
  ck_assert_int_eq(cc_account_token_revoke(db, "nat"), 0);
  ck_assert_int_eq(cc_account_token_revoke(db, "nat"), CC_ENOTFOUND);
  ck_assert_int_eq(cc_audit_list(&e, &n, db, 0), 0);
  ck_assert_uint_eq(n, sizeof want / sizeof want[0]);
  for (i = 0; i < n; i++) {
    ck_assert_str_eq(e[i].command, "user");
    ck_assert_str_eq(e[i].what, want[i]);
    ck_assert_uint_eq(e[i].records, 1);
    ck_assert_str_ne(e[i].user, "");
    ck_assert_str_ne(e[i].os_user, "");
    ck_assert(strstr(e[i].what, "password") == NULL); /* never the secret */
  }
  free(e);
}
END_TEST

START_TEST(test_account_password_not_stored)
{
  ck_assert_int_eq(add("s1", CC_ROLE_SCHOOL, "S1", "Pl@intext-Secret-77"), 0);
  ck_assert(!in_file("Pl@intext-Secret-77"));
  ck_assert(in_file("$argon2id$"));
}
END_TEST

START_TEST(test_account_login_one_answer)
{
  cc_account a;
  char msg_wrong[256], msg_unknown[256];
  ck_assert_int_eq(add("s1", CC_ROLE_SCHOOL, "S1", "right password"), 0);
  ck_assert_int_eq(cc_account_login(&a, db, "s1", "right password", 14), 0);
  ck_assert_str_eq(a.name, "s1");
  ck_assert_str_eq(a.scope, "S1");
  ck_assert_int_eq(login("s1", "wrong password"), CC_ENOTFOUND);
  snprintf(msg_wrong, sizeof msg_wrong, "%s", cc_error_last());
  ck_assert_int_eq(login("s2", "right password"), CC_ENOTFOUND);
  snprintf(msg_unknown, sizeof msg_unknown, "%s", cc_error_last());
  ck_assert_str_eq(msg_wrong, msg_unknown);
  ck_assert_str_eq(msg_wrong, "wrong name or password");
  /* a prefix of the password, and an embedded NUL after it, are wrong */
  ck_assert_int_eq(cc_account_login(&a, db, "s1", "right passwor", 13),
                   CC_ENOTFOUND);
  ck_assert_int_eq(cc_account_login(&a, db, "s1", "right password\0x", 16),
                   CC_ENOTFOUND);
  ck_assert_int_eq(login("", "right password"), CC_ENOTFOUND);
  ck_assert_str_eq(a.name, ""); /* nothing handed out on failure */
}
END_TEST

START_TEST(test_account_disable_enable)
{
  cc_account a;
  int64_t before;
  ck_assert_int_eq(add("c1", CC_ROLE_CITY, "3701", "city password"), 0);
  ck_assert_int_eq(cc_account_get(&a, db, "c1"), 0);
  before = a.changed;
  ck_assert_int_eq(cc_account_set_disabled(db, "c1", 1), 0);
  ck_assert_int_eq(login("c1", "city password"), CC_ENOTFOUND);
  ck_assert_int_eq(cc_account_get(&a, db, "c1"), 0);
  ck_assert_int_eq(a.disabled, 1);
  ck_assert_int_gt(a.changed, before);
  ck_assert_int_eq(cc_account_set_disabled(db, "c1", 0), 0);
  ck_assert_int_eq(login("c1", "city password"), 0);
  ck_assert_int_eq(cc_account_set_disabled(db, "c2", 1), CC_ENOTFOUND);
}
END_TEST

START_TEST(test_account_passwd)
{
  cc_account a;
  int64_t before;
  ck_assert_int_eq(add("p1", CC_ROLE_PROVINCE, "37", "old password"), 0);
  ck_assert_int_eq(cc_account_get(&a, db, "p1"), 0);
  before = a.changed;
  ck_assert_int_eq(cc_account_set_password(db, "p1", "short", 5), CC_EINVALID);
  ck_assert_int_eq(cc_account_set_password(db, "p1", "new password", 12), 0);
  ck_assert_int_eq(login("p1", "old password"), CC_ENOTFOUND);
  ck_assert_int_eq(login("p1", "new password"), 0);
  ck_assert_int_eq(cc_account_get(&a, db, "p1"), 0);
  ck_assert_int_gt(a.changed, before); /* sessions opened before end */
  ck_assert_int_eq(cc_account_set_password(db, "p9", "new password", 12),
                   CC_ENOTFOUND);
}
END_TEST

START_TEST(test_account_token)
{
  char t1[CC_TOKEN_TEXT], t2[CC_TOKEN_TEXT], bad[CC_TOKEN_TEXT];
  cc_account a;
  ck_assert_int_eq(add("sys", CC_ROLE_PROVINCE, "37", "system password"), 0);
  ck_assert_int_eq(cc_account_token_revoke(db, "sys"), CC_ENOTFOUND);
  ck_assert_int_eq(cc_account_token_new(t1, db, "sys"), 0);
  ck_assert_uint_eq(strlen(t1), 68);
  ck_assert(strncmp(t1, "cct_", 4) == 0);
  ck_assert(!in_file(t1 + 4)); /* only its digest is kept */
  ck_assert_int_eq(cc_account_token_auth(&a, db, t1), 0);
  ck_assert_str_eq(a.name, "sys");
  ck_assert_int_eq(a.has_token, 1);
  /* one digit changed, cut, upper case: unknown */
  snprintf(bad, sizeof bad, "%s", t1);
  bad[10] = bad[10] == '0' ? '1' : '0';
  ck_assert_int_eq(cc_account_token_auth(&a, db, bad), CC_ENOTFOUND);
  ck_assert_int_eq(cc_account_token_auth(&a, db, "cct_00"), CC_ENOTFOUND);
  ck_assert_int_eq(cc_account_token_auth(&a, db, ""), CC_ENOTFOUND);
  /* a new token replaces the old one */
  ck_assert_int_eq(cc_account_token_new(t2, db, "sys"), 0);
  ck_assert_str_ne(t1, t2);
  ck_assert_int_eq(cc_account_token_auth(&a, db, t1), CC_ENOTFOUND);
  ck_assert_int_eq(cc_account_token_auth(&a, db, t2), 0);
  /* disabled: refused; enabled again: accepted */
  ck_assert_int_eq(cc_account_set_disabled(db, "sys", 1), 0);
  ck_assert_int_eq(cc_account_token_auth(&a, db, t2), CC_ENOTFOUND);
  ck_assert_int_eq(cc_account_set_disabled(db, "sys", 0), 0);
  ck_assert_int_eq(cc_account_token_auth(&a, db, t2), 0);
  /* revoked */
  ck_assert_int_eq(cc_account_token_revoke(db, "sys"), 0);
  ck_assert_int_eq(cc_account_token_auth(&a, db, t2), CC_ENOTFOUND);
  ck_assert_int_eq(cc_account_get(&a, db, "sys"), 0);
  ck_assert_int_eq(a.has_token, 0);
  ck_assert_int_eq(cc_account_token_new(t1, db, "ghost"), CC_ENOTFOUND);
}
END_TEST

START_TEST(test_account_read_only_refused)
{
  cc_db *ro = NULL;
  cc_db_options o = CC_DB_OPTIONS_INIT;
  cc_account *list = NULL;
  size_t n = 9;
  o.read_only = 1;
  /* a database never holding an account lists none */
  ck_assert_int_eq(cc_account_list(&list, &n, db), 0);
  ck_assert_uint_eq(n, 0);
  ck_assert_ptr_null(list);
  cc_db_close(db);
  db = NULL;
  ck_assert_int_eq(cc_db_open(&ro, db_dir, &o), 0);
  ck_assert_int_eq(
      cc_account_add(ro, "x", CC_ROLE_NATIONAL, "", "national pass", 13),
      CC_EINVALID);
  cc_db_close(ro);
}
END_TEST

static Suite *account_suite(void)
{
  Suite *s = suite_create("account");
  TCase *core = tcase_create("Core");
  tcase_add_checked_fixture(core, setup, teardown);
  /* Argon2id at libsodium's interactive limits: 64 MiB and a few tens of
   * milliseconds per hash; generous for a busy machine. */
  tcase_set_timeout(core, 120);
  tcase_add_test(core, test_account_roles);
  tcase_add_test(core, test_account_scope_codes);
  tcase_add_test(core, test_account_add_get_list);
  tcase_add_test(core, test_account_changes_audited);
  tcase_add_test(core, test_account_password_not_stored);
  tcase_add_test(core, test_account_login_one_answer);
  tcase_add_test(core, test_account_disable_enable);
  tcase_add_test(core, test_account_passwd);
  tcase_add_test(core, test_account_token);
  tcase_add_test(core, test_account_read_only_refused);
  suite_add_tcase(s, core);
  return s;
}

int main(void)
{
  return tu_main(account_suite, root, sizeof root, "account");
}
