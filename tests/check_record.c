/*
 * check_record.c - the vocabulary of the roster row against known answers:
 * money cells (cc_money_parse, cc_money_format), the seven statuses, the
 * column names of SPEC section 1 and the reject codes of docs/RULES.md.
 *
 * Every expected value is worked out by hand from SPEC.md and RULES.md:
 *
 *   money: fen = yuan * 100 + decimals; "1000.5" is 1000 yuan 50 fen =
 *   100050; "1,234.56" is 123456; "12" is 1200. A ',' needs 1-3 digits
 *   before the first one and exactly three digits between separators and
 *   after the last one. Shown in yuan without trailing zeros: 150050 fen is
 *   1500.50 yuan, shown "1500.5"; 5 fen is "0.05".
 *
 *   ¥ is U+00A5 = C2 A5, ￥ is U+FFE5 = EF BF A5, U+3000 is E3 80 80,
 *   U+00A0 (NBSP) is C2 A0.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <xxhash.h>

#include "chachong/record.h"
#include "test_util.h"

#define YEN "\xC2\xA5"        /* ¥ U+00A5 */
#define FW_YEN "\xEF\xBF\xA5" /* ￥ U+FFE5 */
#define IDSP "\xE3\x80\x80"   /* U+3000 ideographic space */
#define NBSP "\xC2\xA0"       /* U+00A0 */

/* ------------------------------------------------------------------ */
/* Money. */

typedef struct money_row {
  const char *text; /* the cell */
  int rc;           /* 0 or -1 */
  int64_t fen;      /* expected when rc == 0 */
} money_row;

static const money_row money_rows[] = {
    {"", 0, 0},
    {"   ", 0, 0}, /* blank is "none" too */
    {"0", 0, 0},
    {"1000", 0, 100000},
    {"1000.5", 0, 100050},
    {"1000.50", 0, 100050},
    {"1000.05", 0, 100005},
    {"0.25", 0, 25},
    {"1,000.00", 0, 100000},
    {"12,345,678", 0, 1234567800},
    {"999,999.99", 0, 99999999},
    {YEN "1000", 0, 100000},
    {FW_YEN "1,234.56", 0, 123456},
    {"  12 ", 0, 1200},
    {IDSP "12" NBSP, 0, 1200}, /* Excel's other blanks */
    {"\t" YEN "7.5\r", 0, 750},
    /* not amounts */
    {"1,00", -1, 0},     /* two digits after the separator */
    {"12,3456", -1, 0},  /* four digits after the separator */
    {"1234,567", -1, 0}, /* four digits before the first one */
    {"1,000,00", -1, 0},
    {"-5", -1, 0},    /* negative */
    {"1.234", -1, 0}, /* three decimals */
    {"abc", -1, 0},
    {"1e3", -1, 0},
    {",100", -1, 0},
    {"100,", -1, 0},
    {".5", -1, 0}, /* no yuan digits */
    {YEN, -1, 0},  /* the sign alone */
    {"12.3.4", -1, 0},
    {"1 000", -1, 0},
    {"+5", -1, 0},
    {"5" YEN, -1, 0},                /* the sign only leads */
    {"99999999999999999999", -1, 0}, /* does not fit in fen */
};

START_TEST(test_record_money_parse)
{
  const money_row *m = &money_rows[_i];
  int64_t fen = -12345;
  int rc = cc_money_parse(&fen, m->text, strlen(m->text));
  ck_assert_msg(rc == m->rc, "\"%s\": rc %d, expected %d", m->text, rc, m->rc);
  if (m->rc == 0)
    ck_assert_msg(fen == m->fen, "\"%s\": %lld fen, expected %lld", m->text,
                  (long long)fen, (long long)m->fen);
}
END_TEST

START_TEST(test_record_money_parse_uses_len)
{
  int64_t fen = -1;
  /* Only the first four bytes are the cell. */
  ck_assert_int_eq(cc_money_parse(&fen, "1000abc", 4), 0);
  ck_assert_int_eq(fen, 100000);
  ck_assert_int_eq(cc_money_parse(&fen, "12.5", 2), 0);
  ck_assert_int_eq(fen, 1200);
  ck_assert_int_eq(cc_money_parse(&fen, "xyz", 0), 0);
  ck_assert_int_eq(fen, 0);
}
END_TEST

typedef struct format_row {
  int64_t fen;
  const char *text;
} format_row;

static const format_row format_rows[] = {
    {100000, "1000"},
    {150050, "1500.5"},
    {25, "0.25"},
    {5, "0.05"},
    {0, "0"},
    {10, "0.1"},
    {100001, "1000.01"},
    {100, "1"},
    {99999999, "999999.99"},
    {INT64_MAX, "92233720368547758.07"},
    /* Not produced by a run (amounts are never negative), but shown
     * plainly: -1.50 yuan, and the most negative amount */
    {-150, "-1.5"},
    {-5, "-0.05"},
    {INT64_MIN, "-92233720368547758.08"},
};

START_TEST(test_record_money_format)
{
  const format_row *f = &format_rows[_i];
  char buf[24];
  int n;
  memset(buf, 'Z', sizeof buf);
  n = cc_money_format(buf, f->fen);
  ck_assert_str_eq(buf, f->text);
  ck_assert_int_eq(n, (int)strlen(f->text));
}
END_TEST

START_TEST(test_record_money_round_trip)
{
  /* Formatting then parsing gives the amount back. */
  static const int64_t amounts[] = {0, 1, 9, 10, 99, 100, 101, 150050, 123456};
  size_t i;
  for (i = 0; i < sizeof amounts / sizeof amounts[0]; i++) {
    char buf[24];
    int64_t fen = -1;
    cc_money_format(buf, amounts[i]);
    ck_assert_int_eq(cc_money_parse(&fen, buf, strlen(buf)), 0);
    ck_assert_int_eq(fen, amounts[i]);
  }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Statuses. */

typedef struct status_row {
  const char *text;
  cc_status st;
} status_row;

static const status_row status_rows[] = {
    {"在籍", CC_STATUS_ENROLLED},
    {"休学", CC_STATUS_SUSPENDED},
    {"退学", CC_STATUS_WITHDRAWN},
    {"转学", CC_STATUS_TRANSFERRED},
    {"毕业", CC_STATUS_GRADUATED},
    {"结业", CC_STATUS_COMPLETED},
    {"注销", CC_STATUS_CANCELLED},
    {"enrolled", CC_STATUS_ENROLLED},
    {"SUSPENDED", CC_STATUS_SUSPENDED},
    {"Withdrawn", CC_STATUS_WITHDRAWN},
    {"tRaNsFeRrEd", CC_STATUS_TRANSFERRED},
    {"graduated", CC_STATUS_GRADUATED},
    {"COMPLETED", CC_STATUS_COMPLETED},
    {"Cancelled", CC_STATUS_CANCELLED},
    /* surrounding white space of every kind */
    {" 在籍 ", CC_STATUS_ENROLLED},
    {"\t休学\r\n", CC_STATUS_SUSPENDED},
    {IDSP "退学" IDSP, CC_STATUS_WITHDRAWN},
    {NBSP "毕业" NBSP, CC_STATUS_GRADUATED},
    {IDSP " enrolled\t" IDSP, CC_STATUS_ENROLLED},
    /* white space at one end only (the trim looks at both ends first) */
    {"在籍\n", CC_STATUS_ENROLLED},
    {"\n注销", CC_STATUS_CANCELLED},
    {"结业" IDSP, CC_STATUS_COMPLETED},
    {NBSP "转学", CC_STATUS_TRANSFERRED},
    {"graduated" NBSP, CC_STATUS_GRADUATED},
    /* not one of ours */
    {"", CC_STATUS_UNKNOWN},
    {"   ", CC_STATUS_UNKNOWN},
    {IDSP, CC_STATUS_UNKNOWN},
    {"在校", CC_STATUS_UNKNOWN},
    {"在 籍", CC_STATUS_UNKNOWN},
    {"在籍x", CC_STATUS_UNKNOWN},
    {"enroll", CC_STATUS_UNKNOWN},
    {"enrolledx", CC_STATUS_UNKNOWN},
    {"canceled", CC_STATUS_UNKNOWN}, /* the alias is spelt "cancelled" */
    {"transferred out", CC_STATUS_UNKNOWN},
    {"1", CC_STATUS_UNKNOWN},
};

START_TEST(test_record_status_parse)
{
  const status_row *s = &status_rows[_i];
  cc_status got = cc_status_parse(s->text, strlen(s->text));
  ck_assert_msg(got == s->st, "\"%s\": %d, expected %d", s->text, (int)got,
                (int)s->st);
}
END_TEST

START_TEST(test_record_status_parse_uses_len)
{
  /* 在籍 is six bytes; what follows is not part of the cell. */
  ck_assert_int_eq(cc_status_parse("在籍XYZ", 6), CC_STATUS_ENROLLED);
  ck_assert_int_eq(cc_status_parse("graduatedness", 9), CC_STATUS_GRADUATED);
  ck_assert_int_eq(cc_status_parse("在籍", 3), CC_STATUS_UNKNOWN);
}
END_TEST

START_TEST(test_record_status_words)
{
  ck_assert_str_eq(cc_status_zh(CC_STATUS_ENROLLED), "在籍");
  ck_assert_str_eq(cc_status_zh(CC_STATUS_SUSPENDED), "休学");
  ck_assert_str_eq(cc_status_zh(CC_STATUS_WITHDRAWN), "退学");
  ck_assert_str_eq(cc_status_zh(CC_STATUS_TRANSFERRED), "转学");
  ck_assert_str_eq(cc_status_zh(CC_STATUS_GRADUATED), "毕业");
  ck_assert_str_eq(cc_status_zh(CC_STATUS_COMPLETED), "结业");
  ck_assert_str_eq(cc_status_zh(CC_STATUS_CANCELLED), "注销");
  ck_assert_str_eq(cc_status_zh(CC_STATUS_UNKNOWN), "");
  ck_assert_str_eq(cc_status_zh(CC_STATUS_COUNT_), "");
  /* The values are stored in the index: they may not move. */
  ck_assert_int_eq(CC_STATUS_UNKNOWN, 0);
  ck_assert_int_eq(CC_STATUS_ENROLLED, 1);
  ck_assert_int_eq(CC_STATUS_CANCELLED, 7);
}
END_TEST

START_TEST(test_record_status_holds)
{
  /* SPEC 1: a record holds an enrollment while 在籍 or 休学. */
  ck_assert_int_eq(cc_status_holds(CC_STATUS_ENROLLED), 1);
  ck_assert_int_eq(cc_status_holds(CC_STATUS_SUSPENDED), 1);
  ck_assert_int_eq(cc_status_holds(CC_STATUS_WITHDRAWN), 0);
  ck_assert_int_eq(cc_status_holds(CC_STATUS_TRANSFERRED), 0);
  ck_assert_int_eq(cc_status_holds(CC_STATUS_GRADUATED), 0);
  ck_assert_int_eq(cc_status_holds(CC_STATUS_COMPLETED), 0);
  ck_assert_int_eq(cc_status_holds(CC_STATUS_CANCELLED), 0);
  ck_assert_int_eq(cc_status_holds(CC_STATUS_UNKNOWN), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Columns. */

/* SPEC section 1, in order. */
static const char *const spec_zh[CC_COL_COUNT] = {
    "身份证号",     "姓名",     "学校代码", "学籍状态", "学校名称",
    "所在地区代码", "学籍号",   "学习形式", "年级",     "入学日期",
    "学制",         "专业名称", "助学金",   "免学费"};
static const char *const spec_en[CC_COL_COUNT] = {
    "id_number",     "name",      "school_code",  "status",       "school_name",
    "region_code",   "record_id", "study_mode",   "grade",        "enroll_date",
    "program_years", "major",     "grant_amount", "waiver_amount"};

START_TEST(test_record_column_names)
{
  int i;
  ck_assert_int_eq(CC_COL_COUNT, 14);
  ck_assert_int_eq(CC_COL_REQUIRED, 4);
  for (i = 0; i < CC_COL_COUNT; i++) {
    ck_assert_str_eq(cc_column_name_zh((cc_column)i), spec_zh[i]);
    ck_assert_str_eq(cc_column_name_en((cc_column)i), spec_en[i]);
  }
  ck_assert_int_eq(CC_COL_ID, 0);
  ck_assert_int_eq(CC_COL_STATUS, 3);
  ck_assert_int_eq(CC_COL_GRANT, 12);
  ck_assert_int_eq(CC_COL_WAIVER, 13);
}
END_TEST

typedef struct column_row {
  const char *header;
  int col;
} column_row;

static const column_row column_rows[] = {
    {"身份证号", CC_COL_ID},
    {"姓名", CC_COL_NAME},
    {"学校代码", CC_COL_SCHOOL_CODE},
    {"学籍状态", CC_COL_STATUS},
    {"学校名称", CC_COL_SCHOOL_NAME},
    {"所在地区代码", CC_COL_REGION_CODE},
    {"学籍号", CC_COL_RECORD_ID},
    {"学习形式", CC_COL_STUDY_MODE},
    {"年级", CC_COL_GRADE},
    {"入学日期", CC_COL_ENROLL_DATE},
    {"学制", CC_COL_PROGRAM_YEARS},
    {"专业名称", CC_COL_MAJOR},
    {"助学金", CC_COL_GRANT},
    {"免学费", CC_COL_WAIVER},
    {"id_number", CC_COL_ID},
    {"ID_NUMBER", CC_COL_ID},
    {"Name", CC_COL_NAME},
    {"School_Code", CC_COL_SCHOOL_CODE},
    {"STATUS", CC_COL_STATUS},
    {"school_NAME", CC_COL_SCHOOL_NAME},
    {"Region_Code", CC_COL_REGION_CODE},
    {"RECORD_ID", CC_COL_RECORD_ID},
    {"study_mode", CC_COL_STUDY_MODE},
    {"Grade", CC_COL_GRADE},
    {"Enroll_Date", CC_COL_ENROLL_DATE},
    {"PROGRAM_YEARS", CC_COL_PROGRAM_YEARS},
    {"Major", CC_COL_MAJOR},
    {"Grant_Amount", CC_COL_GRANT},
    {"WAIVER_amount", CC_COL_WAIVER},
    /* surrounding spaces */
    {"  姓名  ", CC_COL_NAME},
    {"\tSchool_Code\r", CC_COL_SCHOOL_CODE},
    {IDSP "学籍状态" IDSP, CC_COL_STATUS},
    {NBSP "id_number", CC_COL_ID},
    /* not ours */
    {"", -1},
    {"  ", -1},
    {"身份证", -1},
    {"身份证号码", -1},
    {"身份 证号", -1},
    {"id", -1},
    {"id number", -1},
    {"id_number2", -1},
    {"idnumber", -1},
    {"序号", -1},
};

START_TEST(test_record_column_lookup)
{
  const column_row *c = &column_rows[_i];
  int got = cc_column_lookup(c->header, strlen(c->header));
  ck_assert_msg(got == c->col, "\"%s\": %d, expected %d", c->header, got,
                c->col);
}
END_TEST

START_TEST(test_record_column_lookup_uses_len)
{
  ck_assert_int_eq(cc_column_lookup("姓名字段", 6), CC_COL_NAME);
  ck_assert_int_eq(cc_column_lookup("name_x", 4), CC_COL_NAME);
  ck_assert_int_eq(cc_column_lookup("name", 3), -1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Reject codes: the strings are written to rejects.csv and read by
 * auditors' scripts, so they are part of the stable face. */

static const char *const reject_codes[CC_REJ_COUNT_] = {
    "none",
    "unterminated_quote",
    "field_too_long",
    "bad_text",
    "id_empty",
    "id_scientific_notation",
    "id_not_digits",
    "id_too_short",
    "id_too_long",
    "name_empty",
    "name_too_long",
    "school_code_empty",
    "school_code_too_long",
    "status_empty",
    "status_unknown",
    "amount_invalid",
    "stray_quote",
};

START_TEST(test_record_reject_codes)
{
  int i, j;
  ck_assert_int_eq(CC_REJ_COUNT_, 17);
  /* The enum follows the priority order of RULES.md. */
  ck_assert_int_eq(CC_REJ_UNTERMINATED_QUOTE, 1);
  ck_assert_int_eq(CC_REJ_FIELD_TOO_LONG, 2);
  ck_assert_int_eq(CC_REJ_BAD_TEXT, 3);
  ck_assert_int_eq(CC_REJ_ID_EMPTY, 4);
  ck_assert_int_eq(CC_REJ_ID_SCIENTIFIC, 5);
  ck_assert_int_eq(CC_REJ_ID_NOT_DIGITS, 6);
  ck_assert_int_eq(CC_REJ_ID_TOO_SHORT, 7);
  ck_assert_int_eq(CC_REJ_ID_TOO_LONG, 8);
  ck_assert_int_eq(CC_REJ_NAME_EMPTY, 9);
  ck_assert_int_eq(CC_REJ_NAME_TOO_LONG, 10);
  ck_assert_int_eq(CC_REJ_SCHOOL_CODE_EMPTY, 11);
  ck_assert_int_eq(CC_REJ_SCHOOL_CODE_TOO_LONG, 12);
  ck_assert_int_eq(CC_REJ_STATUS_EMPTY, 13);
  ck_assert_int_eq(CC_REJ_STATUS_UNKNOWN, 14);
  ck_assert_int_eq(CC_REJ_AMOUNT_INVALID, 15);
  /* Found by the scan, before any field rule; appended, so the codes
   * already stored keep their numbers. */
  ck_assert_int_eq(CC_REJ_STRAY_QUOTE, 16);
  for (i = 0; i < CC_REJ_COUNT_; i++) {
    const char *zh = cc_reject_code_zh((cc_reject_code)i);
    ck_assert_str_eq(cc_reject_code_str((cc_reject_code)i), reject_codes[i]);
    ck_assert_ptr_nonnull(zh);
    ck_assert_uint_gt(strlen(zh), 0);
    for (j = 0; j < i; j++) {
      ck_assert_str_ne(cc_reject_code_str((cc_reject_code)i),
                       cc_reject_code_str((cc_reject_code)j));
      ck_assert_str_ne(zh, cc_reject_code_zh((cc_reject_code)j));
    }
  }
  ck_assert_str_eq(cc_reject_code_str(CC_REJ_COUNT_), "unknown");
  ck_assert_str_eq(cc_reject_code_str((cc_reject_code)200), "unknown");
  ck_assert_uint_gt(strlen(cc_reject_code_zh(CC_REJ_COUNT_)), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The ID hash is XXH3-64 of the cleaned ID (the index key). */

START_TEST(test_record_id_hash)
{
  const char *a = "110101200501011239", *b = "11010519491231002X";
  ck_assert_uint_eq(cc_id_hash(a, 18), XXH3_64bits(a, 18));
  ck_assert_uint_eq(cc_id_hash(b, 18), XXH3_64bits(b, 18));
  ck_assert_uint_ne(cc_id_hash(a, 18), cc_id_hash(b, 18));
  ck_assert_uint_eq(cc_id_hash(a, 18), cc_id_hash("110101200501011239xyz", 18));
}
END_TEST

static Suite *record_suite(void)
{
  Suite *s = suite_create("record");
  TCase *core = tcase_create("Core");
  TCase *limits = tcase_create("Limits");

  tcase_add_loop_test(core, test_record_money_parse, 0,
                      (int)(sizeof money_rows / sizeof money_rows[0]));
  tcase_add_loop_test(core, test_record_money_format, 0,
                      (int)(sizeof format_rows / sizeof format_rows[0]));
  tcase_add_test(core, test_record_money_round_trip);
  tcase_add_loop_test(core, test_record_status_parse, 0,
                      (int)(sizeof status_rows / sizeof status_rows[0]));
  tcase_add_test(core, test_record_status_words);
  tcase_add_test(core, test_record_status_holds);
  tcase_add_test(core, test_record_column_names);
  tcase_add_loop_test(core, test_record_column_lookup, 0,
                      (int)(sizeof column_rows / sizeof column_rows[0]));
  tcase_add_test(core, test_record_reject_codes);
  tcase_add_test(core, test_record_id_hash);

  tcase_add_test(limits, test_record_money_parse_uses_len);
  tcase_add_test(limits, test_record_status_parse_uses_len);
  tcase_add_test(limits, test_record_column_lookup_uses_len);

  suite_add_tcase(s, core);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  return tu_run_suite(record_suite()) != 0;
}
