/*
 * check_finding.c - the finding type (engine/finding.c): its JSON line
 * (SPEC 3.1), string escaping, money, type names, and list storage/order.
 *
 * Expected lines are written out by hand. Escaping: '"' and '\' get a
 * backslash, bytes below 0x20 are written \u00XX (lower-case hex), valid
 * UTF-8 is kept as is (non-BMP included), and each byte that does not start
 * a valid UTF-8 sequence becomes U+FFFD (EF BF BD). The rows below use only
 * damage where "one U+FFFD per byte" and Unicode's "maximal subpart"
 * substitution agree (e.g. ED A0 80: ED cannot be followed by A0, so ED,
 * A0 and 80 are each one replacement). Money is fen shown as yuan without
 * trailing zeros: 80050 fen = 800.5, 125 fen = 1.25.
 *
 * The lifecycle tail (SPEC 3, RULES.md "Across months"): "issued",
 * "deadline", "deadline_provisional", "state", "first_period", "seen",
 * then for a cleared finding "cleared" and "cleared_on_time", then
 * "claimed_resolved", then "response" {action, date, by, school_code, note}
 * only when the finding carries one. Dates are cc_date day numbers written
 * YYYY-MM-DD: 2026-11-23 is the Monday of the sample, its deadline 10
 * working days later 2026-12-07; the sample is seen again on 2026-12-07.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chachong/finding.h"
#include "chachong/lifecycle.h"
#include "chachong/record.h"
#include "finding_internal.h"
#include "test_util.h"

#define FFFD "\xEF\xBF\xBD"

static cc_finding_context context(void)
{
  cc_finding_context fc;
  fc.period = "2026-12";
  return fc;
}

static cc_member members[2];

/* The hand-built finding of the known-answer line. */
static cc_finding sample(void)
{
  cc_finding f;
  memset(&f, 0, sizeof f);
  memset(members, 0, sizeof members);
  f.finding_id = UINT64_C(0x0123456789abcdef);
  f.type = CC_FT_DOUBLE_GRANT;
  f.cross = 1;
  f.id_valid = 0;
  f.id_reason = CC_IDR_CHECK_DIGIT;
  strcpy(f.id, "110101200501010018");
  f.person_name = tu_str("王\"\xf0\xa0\xae\xb7\\\n");
  members[0].roster = 0;
  members[0].label = tu_str("moe");
  members[0].line = 17;
  members[0].status = CC_STATUS_ENROLLED;
  members[0].grant = 100000;
  members[0].waiver = 0;
  members[0].name = tu_str("王\xf0\xa0\xae\xb7");
  members[0].record_id = tu_str("R\x01");
  members[0].school_code = tu_str("41370100\xff"
                                  "01");
  members[0].school_name = tu_str("济南\xc0\x80一中");
  members[0].region_code = tu_str("370102");
  members[1].roster = 1;
  members[1].label = tu_str("mohrss");
  members[1].line = 3;
  members[1].status = CC_STATUS_GRADUATED;
  members[1].grant = 80050;
  members[1].waiver = 125;
  members[1].name = tu_str("a\tb/c");
  members[1].record_id.ptr = NULL; /* empty cells may have no pointer */
  members[1].school_code = tu_str("J1");
  members[1].school_name = tu_str("\xed\xa0\x80");
  members[1].region_code = tu_str("");
  f.members = members;
  f.n_members = 2;
  f.amount_at_risk = 80050;
  /* First found in 2026-11, seen again on its deadline: open. */
  f.state = CC_STATE_OPEN;
  f.issued = cc_date_from_ymd(2026, 11, 23);
  f.deadline = cc_date_from_ymd(2026, 12, 7);
  f.seen = cc_date_from_ymd(2026, 12, 7);
  strcpy(f.first_period, "2026-11");
  return f;
}

static const char sample_json[] =
    "{\"finding_id\": \"0123456789abcdef\", \"type\": \"double_grant\", "
    "\"scope\": \"cross\", \"period\": \"2026-12\", "
    "\"person\": {\"id_number\": \"110101200501010018\", "
    "\"name\": \"王\\\"\xf0\xa0\xae\xb7\\\\\\u000a\", \"id_valid\": false, "
    "\"id_reason\": \"check_digit\"}, "
    "\"match\": {\"basis\": \"id_exact\", \"confidence\": 1.0}, "
    "\"members\": ["
    "{\"roster\": \"moe\", \"line\": 17, \"record_id\": \"R\\u0001\", "
    "\"school_code\": \"41370100" FFFD "01\", "
    "\"school_name\": \"济南" FFFD FFFD "一中\", \"region_code\": \"370102\", "
    "\"status\": \"在籍\", \"name\": \"王\xf0\xa0\xae\xb7\", "
    "\"grant_amount\": 1000, \"waiver_amount\": 0}, "
    "{\"roster\": \"mohrss\", \"line\": 3, \"record_id\": \"\", "
    "\"school_code\": \"J1\", \"school_name\": \"" FFFD FFFD FFFD "\", "
    "\"region_code\": \"\", \"status\": \"毕业\", \"name\": \"a\\u0009b/c\", "
    "\"grant_amount\": 800.5, \"waiver_amount\": 1.25}], "
    "\"amount_at_risk\": 800.5, \"issued\": \"2026-11-23\", "
    "\"deadline\": \"2026-12-07\", \"deadline_provisional\": false, "
    "\"state\": \"open\", \"first_period\": \"2026-11\", "
    "\"seen\": \"2026-12-07\", \"claimed_resolved\": false}\n";

static char *to_json(const cc_finding *f, const cc_finding_context *fc)
{
  size_t n = cc_finding_to_json(NULL, 0, f, fc);
  char *buf = malloc(n + 1);
  ck_assert_ptr_nonnull(buf);
  ck_assert_uint_eq(cc_finding_to_json(buf, n + 1, f, fc), n);
  buf[n] = '\0';
  return buf;
}

START_TEST(test_finding_json_known_line)
{
  cc_finding f = sample();
  cc_finding_context fc = context();
  char *s = to_json(&f, &fc);
  ck_assert_str_eq(s, sample_json);
  free(s);
}
END_TEST

START_TEST(test_finding_json_valid_id_has_no_reason)
{
  cc_finding f = sample();
  cc_finding_context fc = context();
  char *s;
  f.id_valid = 1;
  f.id_reason = CC_IDR_OK;
  f.cross = 0;
  f.type = CC_FT_ID_CONFLICT;
  f.amount_at_risk = 0;
  f.deadline_provisional = 1;
  f.state = CC_STATE_NEW;
  f.seen = f.issued;
  s = to_json(&f, &fc);
  ck_assert_ptr_null(strstr(s, "id_reason"));
  ck_assert_ptr_nonnull(strstr(s, "\\u000a\", \"id_valid\": true}, \"match\""));
  ck_assert_ptr_nonnull(
      strstr(s, "\"type\": \"id_conflict\", \"scope\": \"within\""));
  ck_assert_ptr_nonnull(strstr(s, "\"amount_at_risk\": 0, "));
  ck_assert_ptr_nonnull(
      strstr(s, "\"deadline_provisional\": true, \"state\": \"new\", "
                "\"first_period\": \"2026-11\", "
                "\"seen\": \"2026-11-23\", "
                "\"claimed_resolved\": false}\n"));
  /* One line: the only newline is the last byte. */
  ck_assert_ptr_eq(strchr(s, '\n'), s + strlen(s) - 1);
  free(s);

  /* Every invalid reason is named. */
  f.id_valid = 0;
  f.id_reason = CC_IDR_PROVINCE;
  s = to_json(&f, &fc);
  ck_assert_ptr_nonnull(
      strstr(s, "\"id_valid\": false, \"id_reason\": \"province\"}"));
  free(s);
}
END_TEST

START_TEST(test_finding_json_measure)
{
  cc_finding f = sample();
  cc_finding_context fc = context();
  size_t want = strlen(sample_json), n;
  char buf[4096];
  ck_assert_uint_lt(want, sizeof buf - 64);
  /* Measuring, with any cap, writes nothing and says the full length. */
  ck_assert_uint_eq(cc_finding_to_json(NULL, 0, &f, &fc), want);
  ck_assert_uint_eq(cc_finding_to_json(NULL, 100, &f, &fc), want);
  /* Exactly enough room (the length plus one). */
  memset(buf, 'Z', sizeof buf);
  ck_assert_uint_eq(cc_finding_to_json(buf, want + 1, &f, &fc), want);
  ck_assert_int_eq(memcmp(buf, sample_json, want), 0);
  for (n = want + 1; n < sizeof buf; n++)
    ck_assert_int_eq(buf[n], 'Z');
  /* Too little room: the full length again, and nothing past cap. */
  {
    static const size_t caps[] = {0, 1, 10, 200};
    size_t c;
    for (c = 0; c < 4; c++) {
      memset(buf, 'Z', sizeof buf);
      ck_assert_uint_eq(cc_finding_to_json(buf, caps[c], &f, &fc), want);
      for (n = caps[c]; n < sizeof buf; n++)
        ck_assert_int_eq(buf[n], 'Z');
    }
    memset(buf, 'Z', sizeof buf);
    ck_assert_uint_eq(cc_finding_to_json(buf, want, &f, &fc), want);
    for (n = want; n < sizeof buf; n++)
      ck_assert_int_eq(buf[n], 'Z');
  }
}
END_TEST

/* ------------------------------------------------------------------ */
/* The lifecycle tail. */

/* Checks that the line ends with `tail`. */
static void assert_tail(const char *s, const char *tail)
{
  size_t n = strlen(s), t = strlen(tail);
  ck_assert_msg(n >= t && strcmp(s + n - t, tail) == 0, "line ends %s\nwant %s",
                n >= t ? s + n - t : s, tail);
}

START_TEST(test_finding_json_states)
{
  static const struct {
    int state;
    const char *code;
  } rows[] = {{CC_STATE_NEW, "new"},
              {CC_STATE_OPEN, "open"},
              {CC_STATE_OVERDUE, "overdue"}};
  cc_finding f = sample();
  cc_finding_context fc = context();
  size_t i;
  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    char want[256], *s;
    f.state = (uint8_t)rows[i].state;
    /* cleared fields are only written for a cleared finding */
    f.cleared = cc_date_from_ymd(2026, 12, 1);
    f.cleared_on_time = 1;
    snprintf(want, sizeof want,
             "\"amount_at_risk\": 800.5, \"issued\": \"2026-11-23\", "
             "\"deadline\": \"2026-12-07\", \"deadline_provisional\": false, "
             "\"state\": \"%s\", \"first_period\": \"2026-11\", "
             "\"seen\": \"2026-12-07\", \"claimed_resolved\": false}\n",
             rows[i].code);
    s = to_json(&f, &fc);
    assert_tail(s, want);
    ck_assert_ptr_null(strstr(s, "\"cleared"));
    free(s);
  }
}
END_TEST

START_TEST(test_finding_json_cleared)
{
  cc_finding f = sample();
  cc_finding_context fc = context();
  char *s;
  /* Gone on Tuesday 2026-12-08, a day after its deadline: late. */
  f.state = CC_STATE_CLEARED;
  f.seen = cc_date_from_ymd(2026, 12, 8);
  f.cleared = cc_date_from_ymd(2026, 12, 8);
  f.cleared_on_time = 0;
  s = to_json(&f, &fc);
  assert_tail(s, "\"deadline_provisional\": false, \"state\": \"cleared\", "
                 "\"first_period\": \"2026-11\", \"seen\": \"2026-12-08\", "
                 "\"cleared\": \"2026-12-08\", \"cleared_on_time\": false, "
                 "\"claimed_resolved\": false}\n");
  free(s);
  /* Gone on its deadline: on time. */
  f.seen = cc_date_from_ymd(2026, 12, 7);
  f.cleared = cc_date_from_ymd(2026, 12, 7);
  f.cleared_on_time = 1;
  s = to_json(&f, &fc);
  assert_tail(s, "\"state\": \"cleared\", \"first_period\": \"2026-11\", "
                 "\"seen\": \"2026-12-07\", \"cleared\": \"2026-12-07\", "
                 "\"cleared_on_time\": true, \"claimed_resolved\": false}\n");
  free(s);
}
END_TEST

START_TEST(test_finding_json_response)
{
  cc_finding f = sample();
  cc_finding_context fc = context();
  char *s;
  /* The note is escaped like every other string: '"' gets a backslash,
   * '\n' becomes \u000a and the lone 0xFF one U+FFFD. */
  static const char note[] = "已注销\"学籍\"\n\xff";
  f.claimed = 1;
  f.response_action = CC_ACTION_CANCEL_OWN;
  f.response_date = cc_date_from_ymd(2026, 11, 30);
  f.response_by = tu_str("李老师");
  f.response_school = tu_str("41370100");
  f.response_note = tu_str(note);
  s = to_json(&f, &fc);
  assert_tail(s, "\"seen\": \"2026-12-07\", \"claimed_resolved\": true, "
                 "\"response\": {\"action\": \"cancel_own\", "
                 "\"date\": \"2026-11-30\", \"by\": \"李老师\", "
                 "\"school_code\": \"41370100\", "
                 "\"note\": \"已注销\\\"学籍\\\"\\u000a" FFFD "\"}}\n");
  ck_assert_ptr_eq(strchr(s, '\n'), s + strlen(s) - 1);
  free(s);

  /* The other actions; empty strings (no pointer) as "". */
  f.claimed = 0;
  f.response_action = CC_ACTION_KEEP;
  f.response_school.ptr = NULL;
  f.response_school.len = 0;
  f.response_note.ptr = NULL;
  f.response_note.len = 0;
  s = to_json(&f, &fc);
  assert_tail(
      s, "\"claimed_resolved\": false, \"response\": {\"action\": \"keep\", "
         "\"date\": \"2026-11-30\", \"by\": \"李老师\", "
         "\"school_code\": \"\", \"note\": \"\"}}\n");
  free(s);
  f.response_action = CC_ACTION_ASK_OTHER;
  s = to_json(&f, &fc);
  ck_assert_ptr_nonnull(
      strstr(s, "\"response\": {\"action\": \"ask_other\", "));
  free(s);

  /* No action: no "response", whatever the other fields hold. */
  f.response_action = CC_ACTION_NONE;
  s = to_json(&f, &fc);
  ck_assert_ptr_null(strstr(s, "\"response\""));
  assert_tail(s, "\"claimed_resolved\": false}\n");
  free(s);
}
END_TEST

START_TEST(test_finding_json_provisional_and_dates)
{
  cc_finding f = sample();
  cc_finding_context fc = context();
  char *s;
  /* Dates far apart: 1970-01-01 is day 0; 2100 is not a leap year, so
   * 2100-02-28 ends its February; an empty first_period is written "". */
  f.issued = 0;
  f.deadline = cc_date_from_ymd(2100, 2, 28);
  f.deadline_provisional = 1;
  f.seen = cc_date_from_ymd(2099, 12, 31);
  f.first_period[0] = '\0';
  s = to_json(&f, &fc);
  assert_tail(s, "\"issued\": \"1970-01-01\", \"deadline\": \"2100-02-28\", "
                 "\"deadline_provisional\": true, \"state\": \"open\", "
                 "\"first_period\": \"\", \"seen\": \"2099-12-31\", "
                 "\"claimed_resolved\": false}\n");
  free(s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Escaping, through the person's name. */

typedef struct esc_row {
  const char *in;
  size_t len;
  const char *out; /* the JSON string, quotes included */
} esc_row;

#define E(in, out)                                                             \
  {                                                                            \
    in, sizeof in - 1, out                                                     \
  }

static const esc_row esc_rows[] = {
    E("", "\"\""),
    E("abc", "\"abc\""),
    E("a\"b", "\"a\\\"b\""),
    E("a\\b", "\"a\\\\b\""),
    E("\\\"", "\"\\\\\\\"\""),
    E("\n", "\"\\u000a\""),
    E("\t\r", "\"\\u0009\\u000d\""),
    E("\x1f", "\"\\u001f\""),
    E("\x01"
      "x",
      "\"\\u0001x\""),
    E("a\0b", "\"a\\u0000b\""),
    E(" ", "\" \""),
    E("\x7f", "\"\x7f\""),
    E("a/b", "\"a/b\""),
    E("\xf0\xa0\xae\xb7", "\"\xf0\xa0\xae\xb7\""), /* 𠮷 */
    E("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""), /* U+10FFFF */
    E("\xe0\xa0\x80", "\"\xe0\xa0\x80\""),         /* U+0800 */
    E("\xc2\x80", "\"\xc2\x80\""),                 /* U+0080 */
    E("\xe2\x80\xa8", "\"\xe2\x80\xa8\""),         /* U+2028 */
    E("\xef\xbf\xbd", "\"" FFFD "\""),             /* U+FFFD */
    E("\xff", "\"" FFFD "\""),
    E("\x80", "\"" FFFD "\""),
    E("\xc0\x80", "\"" FFFD FFFD "\""),                   /* overlong */
    E("\xc1\xbf", "\"" FFFD FFFD "\""),                   /* overlong */
    E("\xe0\x80\x80", "\"" FFFD FFFD FFFD "\""),          /* overlong */
    E("\xf0\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD "\""), /* overlong */
    E("\xed\xa0\x80", "\"" FFFD FFFD FFFD "\""),          /* surrogate */
    E("\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\""), /* > 10FFFF */
    E("\xf5\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD "\""),
    E("中\xff文", "\"中" FFFD "文\""),
    E("\xfe\"", "\"" FFFD "\\\"\""),
};

START_TEST(test_finding_json_escaping)
{
  const esc_row *r = &esc_rows[_i];
  cc_finding f = sample();
  cc_finding_context fc = context();
  char *s, *p, want[128];
  f.person_name.ptr = r->in;
  f.person_name.len = (uint32_t)r->len;
  s = to_json(&f, &fc);
  p = strstr(s,
             "\"person\": {\"id_number\": \"110101200501010018\", \"name\": ");
  ck_assert_ptr_nonnull(p);
  p += strlen("\"person\": {\"id_number\": \"110101200501010018\", \"name\": ");
  snprintf(want, sizeof want, "%s, \"id_valid\": ", r->out);
  ck_assert_msg(strncmp(p, want, strlen(want)) == 0, "row %d: got %.40s", _i,
                p);
  free(s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Money. */

typedef struct money_row {
  int64_t fen;
  const char *yuan;
} money_row;

static const money_row money_rows[] = {
    {0, "0"},
    {1, "0.01"},
    {5, "0.05"},
    {10, "0.1"},
    {25, "0.25"},
    {99, "0.99"},
    {100, "1"},
    {101, "1.01"},
    {110, "1.1"},
    {199, "1.99"},
    {100000, "1000"},
    {150050, "1500.5"},
    {130000, "1300"},
    {123456789, "1234567.89"},
    {INT64_C(900719925474099300), "9007199254740993"},
};

START_TEST(test_finding_json_money)
{
  const money_row *r = &money_rows[_i];
  cc_finding f = sample();
  cc_finding_context fc = context();
  char *s, want[64];
  f.amount_at_risk = r->fen;
  members[1].waiver = r->fen;
  s = to_json(&f, &fc);
  snprintf(want, sizeof want, "\"amount_at_risk\": %s, \"issued\"", r->yuan);
  ck_assert_msg(strstr(s, want) != NULL, "%lld fen: %s", (long long)r->fen, s);
  snprintf(want, sizeof want, "\"waiver_amount\": %s}]", r->yuan);
  ck_assert_msg(strstr(s, want) != NULL, "%lld fen", (long long)r->fen);
  free(s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Names and ids. */

/* The vocabulary is the finding's own (finding.c): states, actions, bases
 * and evidence levels, with what an out-of-range value reads as. */
START_TEST(test_finding_vocabulary)
{
  ck_assert_str_eq(cc_finding_state_code(CC_STATE_OVERDUE), "overdue");
  ck_assert_str_eq(cc_finding_state_zh(CC_STATE_OVERDUE), "已逾期");
  ck_assert_str_eq(cc_finding_state_zh(CC_STATE_COUNT_), "未知");
  ck_assert_int_eq(cc_finding_state_parse("cleared"), CC_STATE_CLEARED);
  ck_assert_str_eq(cc_response_action_code(CC_ACTION_CANCEL_OWN), "cancel_own");
  ck_assert_str_eq(cc_response_action_zh(CC_ACTION_COUNT_), "未知");
  ck_assert_int_eq(cc_response_action_parse("none"), -1);
  ck_assert_int_eq(cc_response_action_parse("ask_other"), CC_ACTION_ASK_OTHER);
  ck_assert_str_eq(cc_match_basis_code(CC_BASIS_REVIEWED), "reviewed");
  ck_assert_str_eq(cc_match_basis_code(CC_BASIS_COUNT_), "unknown");
  ck_assert_str_eq(cc_evidence_field_code(CC_EV_COUNT_), "unknown");
  ck_assert_str_eq(cc_evidence_level_code(CC_EV_ID, CC_IDL_DIGIT_MISSING),
                   "one_digit_missing");
  ck_assert_str_eq(cc_evidence_level_code(CC_EV_SEX, 3), "unknown");
  ck_assert_str_eq(cc_evidence_zh(CC_EV_BIRTH, CC_SAME), "出生日期相同");
  ck_assert_str_eq(cc_evidence_zh(CC_EV_NAME, -1), "未知");
}
END_TEST

START_TEST(test_finding_type_names)
{
  static const char *const codes[] = {"dual_enrollment",   "duplicate_record",
                                      "double_grant",      "double_waiver",
                                      "id_conflict",       "ineligible_grant",
                                      "ineligible_waiver", "subsidy_review"};
  int t;
  char hex[17];
  ck_assert_int_eq(CC_FT_COUNT_, 8);
  for (t = 0; t < CC_FT_COUNT_; t++) {
    ck_assert_str_eq(cc_finding_type_code((cc_finding_type)t), codes[t]);
    ck_assert_uint_gt(strlen(cc_finding_type_zh((cc_finding_type)t)), 0);
  }
  ck_assert_str_eq(cc_finding_type_zh(CC_FT_DUAL_ENROLLMENT), "双重学籍");
  ck_assert_str_eq(cc_finding_type_code(CC_FT_COUNT_), "unknown");
  cc_finding_id_hex(hex, 0);
  ck_assert_str_eq(hex, "0000000000000000");
  cc_finding_id_hex(hex, UINT64_C(0x0123456789abcdef));
  ck_assert_str_eq(hex, "0123456789abcdef");
  cc_finding_id_hex(hex, UINT64_MAX);
  ck_assert_str_eq(hex, "ffffffffffffffff");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Lists. */

/* Pushes n findings numbered from `base`, each with a list-owned string
 * "f<number>" as person name and one list-owned member. */
static void fill(cc_finding_list *l, size_t base, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) {
    cc_finding f;
    char name[32];
    memset(&f, 0, sizeof f);
    f.finding_id = base + i;
    snprintf(name, sizeof name, "f%zu", base + i);
    ck_assert_int_eq(cc_finding_strdup(&f.person_name, l, name, strlen(name)),
                     0);
    f.members = cc_finding_alloc(l, sizeof *f.members);
    ck_assert_ptr_nonnull(f.members);
    memset(f.members, 0, sizeof *f.members);
    f.members[0].line = (uint32_t)(base + i);
    f.n_members = 1;
    ck_assert_int_eq(cc_finding_push(l, &f), 0);
  }
}

static void check_seq(const cc_finding_list *l, size_t base, size_t n)
{
  size_t i;
  ck_assert_uint_eq(l->n, n);
  for (i = 0; i < n; i++) {
    char name[32];
    const cc_finding *f = &l->items[i];
    snprintf(name, sizeof name, "f%zu", base + i);
    ck_assert_uint_eq(f->finding_id, base + i);
    ck_assert_uint_eq(f->person_name.len, strlen(name));
    ck_assert_int_eq(memcmp(f->person_name.ptr, name, strlen(name)), 0);
    ck_assert_uint_eq(f->members[0].line, base + i);
  }
}

static const size_t merge_sizes[][2] = {
    {0, 0}, {0, 9}, {7, 1}, {8, 8}, {9, 1000}, {1000, 0}, {15, 17}, {16, 16}};

START_TEST(test_finding_list_merge)
{
  size_t a = merge_sizes[_i][0], b = merge_sizes[_i][1];
  cc_finding_list dst = {0}, src = {0};
  fill(&dst, 0, a);
  fill(&src, a, b);
  check_seq(&dst, 0, a);
  check_seq(&src, a, b);
  ck_assert_int_eq(cc_finding_list_merge(&dst, &src), 0);
  ck_assert_uint_eq(src.n, 0);
  ck_assert_ptr_null(src.items);
  ck_assert_ptr_null(src.mem_);
  check_seq(&dst, 0, a + b);
  /* dst keeps growing after the merge, and src can be reused. */
  fill(&dst, a + b, 3);
  check_seq(&dst, 0, a + b + 3);
  fill(&src, 0, 2);
  check_seq(&src, 0, 2);
  cc_finding_list_dispose(&src);
  cc_finding_list_dispose(&dst);
  ck_assert_uint_eq(dst.n, 0);
  ck_assert_ptr_null(dst.items);
  cc_finding_list_dispose(&dst); /* twice is harmless */
}
END_TEST

START_TEST(test_finding_list_adopt)
{
  /* dst copies src's findings (shallow), then takes over src's storage:
   * the copies' strings and members stay valid after src is emptied. */
  size_t a = merge_sizes[_i][0], b = merge_sizes[_i][1], i;
  cc_finding_list dst = {0}, src = {0};
  fill(&dst, 0, a);
  fill(&src, a, b);
  for (i = 0; i < b; i++)
    ck_assert_int_eq(cc_finding_push(&dst, &src.items[i]), 0);
  cc_finding_list_adopt(&dst, &src);
  ck_assert_uint_eq(src.n, 0);
  ck_assert_ptr_null(src.items);
  ck_assert_ptr_null(src.mem_);
  /* src's storage is now dst's: overwrite whatever src might still hold
   * by reusing it, then read every copy. */
  fill(&src, 5000, 20);
  check_seq(&dst, 0, a + b);
  cc_finding_list_dispose(&src);
  check_seq(&dst, 0, a + b);
  cc_finding_list_dispose(&dst);
}
END_TEST

START_TEST(test_finding_list_adopt_some)
{
  /* Only some of src's findings are copied (as lifecycle does with the
   * cleared ones); the rest are dropped with src's item array. */
  cc_finding_list dst = {0}, src = {0};
  size_t i;
  fill(&src, 0, 10);
  for (i = 0; i < 10; i += 3)
    ck_assert_int_eq(cc_finding_push(&dst, &src.items[i]), 0);
  cc_finding_list_adopt(&dst, &src);
  ck_assert_uint_eq(dst.n, 4);
  for (i = 0; i < 4; i++) {
    char name[32];
    snprintf(name, sizeof name, "f%zu", 3 * i);
    ck_assert_uint_eq(dst.items[i].finding_id, 3 * i);
    ck_assert_uint_eq(dst.items[i].person_name.len, strlen(name));
    ck_assert_int_eq(memcmp(dst.items[i].person_name.ptr, name, strlen(name)),
                     0);
    ck_assert_uint_eq(dst.items[i].members[0].line, 3 * i);
  }
  /* Adopting an empty list changes nothing. */
  cc_finding_list_adopt(&dst, &src);
  ck_assert_uint_eq(dst.n, 4);
  cc_finding_list_dispose(&dst);
}
END_TEST

START_TEST(test_finding_list_big_allocations)
{
  /* Larger than a pool block, and strings of every small size. */
  cc_finding_list l = {0};
  size_t big = (size_t)1 << 20, i;
  char *p = cc_finding_alloc(&l, big);
  cc_str s[64];
  ck_assert_ptr_nonnull(p);
  memset(p, 'x', big);
  for (i = 0; i < 64; i++) {
    char src[64];
    memset(src, (int)('a' + i % 26), i);
    ck_assert_int_eq(cc_finding_strdup(&s[i], &l, src, i), 0);
    ck_assert_uint_eq(s[i].len, i);
    ck_assert_ptr_nonnull(s[i].ptr);
  }
  for (i = 1; i < 64; i++)
    ck_assert_int_eq(s[i].ptr[i - 1], (int)('a' + i % 26));
  ck_assert_int_eq(p[big - 1], 'x');
  cc_finding_list_dispose(&l);
}
END_TEST

START_TEST(test_finding_list_sort_order)
{
  /* type, then cleaned ID, then finding_id */
  static const struct {
    int type;
    const char *id;
    uint64_t fid;
  } in[] = {
      {CC_FT_ID_CONFLICT, "110101200501010017", 5},
      {CC_FT_DUAL_ENROLLMENT, "110101200501011239", 9},
      {CC_FT_DUPLICATE_RECORD, "110101200501010017", 2},
      {CC_FT_DUPLICATE_RECORD, "110101200501010017", 1},
      {CC_FT_DUAL_ENROLLMENT, "1101012005010100", 7},
      {CC_FT_DUAL_ENROLLMENT, "110101200501010017", 8},
      {CC_FT_DOUBLE_WAIVER, "110101200501010017", 3},
      {CC_FT_DOUBLE_GRANT, "11010120050101005X", 4},
      {CC_FT_DOUBLE_GRANT, "110101200501010050", 6},
  };
  /* by hand: positions in the output */
  static const uint64_t want[] = {7, 8, 9, 1, 2, 6, 4, 3, 5};
  cc_finding_list l = {0};
  size_t i;
  for (i = 0; i < sizeof in / sizeof in[0]; i++) {
    cc_finding f;
    memset(&f, 0, sizeof f);
    f.type = (uint8_t)in[i].type;
    strcpy(f.id, in[i].id);
    f.finding_id = in[i].fid;
    ck_assert_int_eq(cc_finding_push(&l, &f), 0);
  }
  cc_finding_list_sort(&l);
  for (i = 0; i < sizeof want / sizeof want[0]; i++)
    ck_assert_uint_eq(l.items[i].finding_id, want[i]);
  cc_finding_list_dispose(&l);
  /* Empty and one-element lists. */
  cc_finding_list_sort(&l);
  fill(&l, 0, 1);
  cc_finding_list_sort(&l);
  check_seq(&l, 0, 1);
  cc_finding_list_dispose(&l);
}
END_TEST

/* Lists of (type, id, finding_id) keys for the k-way merge: the sizes of
 * the k lists, below and above the size where the merge goes parallel. */
static const size_t kmerge_sizes[][5] = {
    {0, 0, 0, 0, 0},        {1, 0, 0, 0, 0},
    {0, 0, 0, 0, 3},        {5, 1, 0, 7, 2},
    {20000, 0, 1, 9000, 3}, {12000, 12000, 12000, 12000, 12000}};

static int key_qcmp(const void *a, const void *b)
{
  return cc_finding_cmp(a, b);
}

START_TEST(test_finding_list_merge_sorted)
{
  const size_t *sizes = kmerge_sizes[_i];
  uint64_t rng = 0x9E3779B97F4A7C15ull ^ (uint64_t)_i;
  size_t total = 0, i, l;
  int threads;
  for (l = 0; l < 5; l++)
    total += sizes[l];
  for (threads = 1; threads <= 3; threads++) {
    cc_finding_list src[5], dst = {0};
    cc_finding *want = calloc(total + 1, sizeof *want);
    size_t w = 0;
    ck_assert_ptr_nonnull(want);
    memset(src, 0, sizeof src);
    fill(&dst, 0, 2); /* what dst held is dropped */
    for (l = 0; l < 5; l++) {
      for (i = 0; i < sizes[l]; i++) {
        cc_finding f;
        memset(&f, 0, sizeof f);
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        /* few types and IDs, so that many keys tie on them */
        f.type = (uint8_t)((rng >> 60) % CC_FT_COUNT_);
        snprintf(f.id, sizeof f.id, "1101012005%08u",
                 (unsigned)((rng >> 33) % 50));
        f.finding_id = rng >> 1;
        f.members = cc_finding_alloc(&src[l], sizeof *f.members);
        ck_assert_ptr_nonnull(f.members);
        memset(f.members, 0, sizeof *f.members);
        f.members[0].line = (uint32_t)(l * 100000 + i);
        f.n_members = 1;
        ck_assert_int_eq(cc_finding_push(&src[l], &f), 0);
        want[w++] = f;
      }
      cc_finding_list_sort_here(&src[l]);
    }
    if (total)
      qsort(want, total, sizeof *want, key_qcmp);
    ck_assert_int_eq(cc_finding_list_merge_sorted(&dst, src, 5, threads), 0);
    ck_assert_uint_eq(dst.n, total);
    for (l = 0; l < 5; l++) {
      ck_assert_uint_eq(src[l].n, 0);
      ck_assert_ptr_null(src[l].mem_);
    }
    for (i = 0; i < total; i++) {
      ck_assert_uint_eq(dst.items[i].finding_id, want[i].finding_id);
      ck_assert_uint_eq(dst.items[i].type, want[i].type);
      ck_assert_str_eq(dst.items[i].id, want[i].id);
      /* the members came along and are still readable */
      ck_assert_uint_eq(dst.items[i].members[0].line, want[i].members[0].line);
    }
    cc_finding_list_dispose(&dst);
    free(want);
  }
}
END_TEST

static Suite *finding_suite(void)
{
  Suite *s = suite_create("finding");
  TCase *core = tcase_create("Core");
  TCase *limits = tcase_create("Limits");
  tcase_add_test(core, test_finding_json_known_line);
  tcase_add_test(core, test_finding_json_valid_id_has_no_reason);
  tcase_add_test(core, test_finding_json_states);
  tcase_add_test(core, test_finding_json_cleared);
  tcase_add_test(core, test_finding_json_response);
  tcase_add_test(core, test_finding_json_provisional_and_dates);
  tcase_add_loop_test(core, test_finding_json_escaping, 0,
                      (int)(sizeof esc_rows / sizeof esc_rows[0]));
  tcase_add_loop_test(core, test_finding_json_money, 0,
                      (int)(sizeof money_rows / sizeof money_rows[0]));
  tcase_add_test(core, test_finding_type_names);
  tcase_add_test(core, test_finding_vocabulary);
  tcase_add_test(core, test_finding_list_sort_order);
  tcase_add_test(limits, test_finding_json_measure);
  tcase_add_loop_test(limits, test_finding_list_merge, 0,
                      (int)(sizeof merge_sizes / sizeof merge_sizes[0]));
  tcase_add_loop_test(limits, test_finding_list_adopt, 0,
                      (int)(sizeof merge_sizes / sizeof merge_sizes[0]));
  tcase_add_test(limits, test_finding_list_adopt_some);
  tcase_add_loop_test(limits, test_finding_list_merge_sorted, 0,
                      (int)(sizeof kmerge_sizes / sizeof kmerge_sizes[0]));
  tcase_add_test(limits, test_finding_list_big_allocations);
  /* Check's default is 4 s: the merges of large lists under ASan on a busy
   * machine take longer, and no test may fail for that. */
  tcase_set_timeout(core, 60);
  tcase_set_timeout(limits, 300);
  suite_add_tcase(s, core);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  return tu_run_suite(finding_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
