/*
 * check_import.c - answers from schools that stay offline
 * (engine/import.c): the drop-down's vocabulary; a returned CSV and
 * workbook read back, each row's fate worked out by hand from the rules
 * of include/chachong/import.h (a member school's answer recorded with
 * its file, row and digest and one audit entry; a non-member's, an
 * unknown answer, a finding the period lacks, a bad finding_id, a missing
 * school, a second row of one finding refused; a row without an answer
 * skipped); a re-import that records nothing again; files that cannot be
 * read; GB18030 as Excel saves a CSV; bad options and a missing period;
 * more answers than one transaction takes, each with its own audit entry.
 *
 * The database holds one published period, 2026-11, with three findings
 * (made here, not by a run):
 *
 *   0xA1  dual_enrollment   members: moe S1, mohrss S2
 *   0xA2  dual_enrollment   members: moe S2, mohrss S3
 *   0xA3  duplicate_record  members: moe S1, moe S1
 */
#define _GNU_SOURCE
#include <check.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>
#include <xxhash.h>

#include "chachong/audit.h"
#include "chachong/errors.h"
#include "chachong/finding.h"
#include "chachong/import.h"
#include "chachong/index.h"
#include "chachong/lifecycle.h"
#include "finding_internal.h"
#include "index_internal.h"
#include "test_util.h"

static char root[256];
static char scratch[320];
static char db_dir[400];
static cc_db *db;

/* Adds a finding whose members are at the schools codes[0..n). */
static void add(cc_finding_list *l, uint64_t fid, int type,
                const char *const *labels, const char *const *codes, uint32_t n)
{
  cc_finding f;
  uint32_t j;
  memset(&f, 0, sizeof f);
  f.finding_id = fid;
  f.type = (uint8_t)type;
  f.id_valid = 1;
  snprintf(f.id, sizeof f.id, "110101200501011239");
  ck_assert_int_eq(cc_finding_strdup(&f.person_name, l, "张三", 6), 0);
  f.members = cc_finding_alloc(l, n * sizeof *f.members);
  ck_assert_ptr_nonnull(f.members);
  memset(f.members, 0, n * sizeof *f.members);
  for (j = 0; j < n; j++) {
    cc_member *m = &f.members[j];
    ck_assert_int_eq(
        cc_finding_strdup(&m->label, l, labels[j], strlen(labels[j])), 0);
    ck_assert_int_eq(cc_finding_strdup(&m->name, l, "张三", 6), 0);
    ck_assert_int_eq(
        cc_finding_strdup(&m->school_code, l, codes[j], strlen(codes[j])), 0);
    m->line = 10 * j + 2;
  }
  f.n_members = n;
  f.state = CC_STATE_NEW;
  f.issued = cc_date_from_ymd(2026, 11, 23);
  f.deadline = cc_date_from_ymd(2026, 12, 7);
  snprintf(f.first_period, sizeof f.first_period, "2026-11");
  ck_assert_int_eq(cc_finding_push(l, &f), 0);
}

/* Publishes l as the findings of `period` (an empty roster generation). */
static void publish(const char *period, cc_finding_list *l)
{
  cc_stage st;
  cc_finding_list_sort(l);
  ck_assert_int_eq(cc_index_stage_begin(&st, db, period, 1 << 20), 0);
  ck_assert_int_eq(cc_index_stage_commit(&st), 0);
  ck_assert_int_eq(cc_index_publish(db, period, st.gen, l, "{}"), 0);
  cc_finding_list_dispose(l);
}

static void setup(void)
{
  static const char *const l1[] = {"moe", "mohrss"}, *const c1[] = {"S1", "S2"};
  static const char *const c2[] = {"S2", "S3"};
  static const char *const l3[] = {"moe", "moe"}, *const c3[] = {"S1", "S1"};
  cc_finding_list l = {0};
  db = tu_db_scratch(scratch, sizeof scratch, db_dir, sizeof db_dir, root);
  add(&l, 0xA1, CC_FT_DUAL_ENROLLMENT, l1, c1, 2);
  add(&l, 0xA2, CC_FT_DUAL_ENROLLMENT, l1, c2, 2);
  add(&l, 0xA3, CC_FT_DUPLICATE_RECORD, l3, c3, 2);
  publish("2026-11", &l);
}

static void teardown(void)
{
  tu_db_scratch_end(&db, scratch);
}

static void path_of(char *out, size_t cap, const char *name)
{
  snprintf(out, cap, "%s/%s", scratch, name);
}

/* Options: period 2026-11, operator op-1, the schools acted 2026-12-01. */
static cc_import_options options(void)
{
  cc_import_options o = CC_IMPORT_OPTIONS_INIT;
  o.period = "2026-11";
  o.user = "op-1";
  o.date = cc_date_from_ymd(2026, 12, 1);
  return o;
}

static int import1(cc_import_result *res, const char *path)
{
  cc_import_options o = options();
  const char *files[1];
  files[0] = path;
  return cc_import_responses(res, db, files, 1, &o);
}

static void assert_problem(const cc_import_result *r, size_t i,
                           const char *file, uint32_t row, const char *column,
                           int code)
{
  ck_assert_uint_gt(r->n_problems, i);
  ck_assert_str_eq(r->problems[i].file, file);
  ck_assert_uint_eq(r->problems[i].row, row);
  ck_assert_str_eq(r->problems[i].column, column);
  ck_assert_int_eq(r->problems[i].code, code);
}

static size_t responses_of(uint64_t fid, cc_response **out)
{
  size_t n = 0;
  ck_assert_int_eq(cc_response_list(out, &n, db, fid), 0);
  return n;
}

static uint64_t digest_of(const char *path)
{
  char *data = tu_read_file(path);
  FILE *fp = fopen(path, "rb");
  long n;
  uint64_t d;
  ck_assert_ptr_nonnull(fp);
  fseek(fp, 0, SEEK_END);
  n = ftell(fp);
  fclose(fp);
  d = XXH3_64bits(data, (size_t)n);
  free(data);
  return d;
}

/* ------------------------------------------------------------------ */

START_TEST(test_import_answer_vocabulary)
{
  /* The drop-down lists exactly three choices, in action order. */
  ck_assert_ptr_null(cc_import_answer_zh(CC_ACTION_NONE));
  ck_assert_str_eq(cc_import_answer_zh(CC_ACTION_KEEP), "保留本校学籍");
  ck_assert_str_eq(cc_import_answer_zh(CC_ACTION_CANCEL_OWN), "已注销本校学籍");
  ck_assert_str_eq(cc_import_answer_zh(CC_ACTION_ASK_OTHER),
                   "已请对方学校注销");
  ck_assert_ptr_null(cc_import_answer_zh(CC_ACTION_COUNT_));
  /* Read back: the choices, the codes, blanks (U+3000, NBSP, a line
   * break) around them ignored. */
  ck_assert_int_eq(
      cc_import_answer_parse("保留本校学籍", strlen("保留本校学籍")),
      CC_ACTION_KEEP);
  ck_assert_int_eq(cc_import_answer_parse("\xE3\x80\x80已注销本校学籍 \n", 25),
                   CC_ACTION_CANCEL_OWN);
  ck_assert_int_eq(cc_import_answer_parse("\xC2\xA0已请对方学校注销", 26),
                   CC_ACTION_ASK_OTHER);
  ck_assert_int_eq(cc_import_answer_parse("ask_other", 9), CC_ACTION_ASK_OTHER);
  ck_assert_int_eq(cc_import_answer_parse("keep", 4), CC_ACTION_KEEP);
  /* Not a choice: part of one, the other vocabulary, a case change. */
  ck_assert_int_eq(cc_import_answer_parse("保留", 6), -1);
  ck_assert_int_eq(cc_import_answer_parse("学生在本校就读，保留本校学籍", 42),
                   -1);
  ck_assert_int_eq(cc_import_answer_parse("KEEP", 4), -1);
  ck_assert_int_eq(cc_import_answer_parse("none", 4), -1);
  ck_assert_int_eq(cc_import_answer_parse("", 0), -1);
  /* The reasons have codes and Chinese text. */
  ck_assert_str_eq(cc_import_code_name(CC_IMPORT_NOT_MEMBER), "not_member");
  ck_assert_str_eq(cc_import_code_name(CC_IMPORT_UNKNOWN_ANSWER),
                   "unknown_answer");
  ck_assert_str_eq(cc_import_code_name(CC_IMPORT_NO_FINDING),
                   "finding_not_found");
  ck_assert_ptr_nonnull(
      strstr(cc_import_code_zh(CC_IMPORT_NOT_MEMBER), "不是"));
}
END_TEST

/*
 * A CSV in the export's layout (BOM, CRLF, the package's columns, some of
 * them here), school S1's, with every kind of row:
 *
 *   line 2  A1 S1 保留本校学籍 + note    recorded (S1 is A1's)
 *   line 3  A2 S1 已注销本校学籍         not_member (A2 is S2's and S3's)
 *   line 4  A3 S1 (no answer)            skipped, counted
 *   line 5  b0 S1 keep                   finding_not_found
 *   line 6  A3 S1 撤销                   unknown_answer
 *   line 7  xyz S1 keep                  bad_finding_id
 *   line 8  A1 S1 ask_other              duplicate_row (A1 answered above)
 *   line 9  A3 "" keep                   missing_school
 *   line 10 ,,,,                         an empty row: not counted
 *
 * rows 8, recorded 1, unanswered 1, refused 6.
 */
static const char answers_csv[] =
    "\xEF\xBB\xBF问题编号,问题类型,学生姓名,学校代码,本校处理结果,处理说明\r\n"
    "00000000000000a1,双重学籍,张三,S1,保留本校学籍,"
    "\"学生在本校就读，\"\"已核实\"\"\"\r\n"
    "00000000000000a2,双重学籍,张三,S1,已注销本校学籍,\r\n"
    "00000000000000a3,同校重复注册,张三,S1,,无\r\n"
    "00000000000000b0,双重学籍,张三,S1,keep,\r\n"
    "00000000000000a3,同校重复注册,张三,S1,撤销,\r\n"
    "xyz,双重学籍,张三,S1,keep,\r\n"
    "00000000000000A1,双重学籍,张三,S1,ask_other,\r\n"
    "00000000000000a3,同校重复注册,张三,,keep,\r\n"
    ",,,,,\r\n";

START_TEST(test_import_csv_rows)
{
  cc_import_result res;
  cc_response *list = NULL;
  cc_audit_entry *audit = NULL;
  char path[512], os[64];
  size_t n, i, found = 0;

  path_of(path, sizeof path, "answers.csv");
  tu_write_file(path, answers_csv);
  ck_assert_msg(import1(&res, path) == 0, "%s", cc_error_last());
  ck_assert_uint_eq(res.files, 1);
  ck_assert_uint_eq(res.files_bad, 0);
  ck_assert_uint_eq(res.rows, 8);
  ck_assert_uint_eq(res.recorded, 1);
  ck_assert_uint_eq(res.already, 0);
  ck_assert_uint_eq(res.unanswered, 1);
  ck_assert_uint_eq(res.refused, 6);
  ck_assert_uint_eq(res.n_problems, 6);
  assert_problem(&res, 0, path, 3, "学校代码", CC_IMPORT_NOT_MEMBER);
  assert_problem(&res, 1, path, 5, "问题编号", CC_IMPORT_NO_FINDING);
  assert_problem(&res, 2, path, 6, "本校处理结果", CC_IMPORT_UNKNOWN_ANSWER);
  assert_problem(&res, 3, path, 7, "问题编号", CC_IMPORT_BAD_FINDING_ID);
  assert_problem(&res, 4, path, 8, "问题编号", CC_IMPORT_DUPLICATE_ROW);
  assert_problem(&res, 5, path, 9, "学校代码", CC_IMPORT_NO_SCHOOL);
  cc_import_result_dispose(&res);

  /* The one recorded: the member's answer, with its file, row, digest. */
  n = responses_of(0xA1, &list);
  ck_assert_uint_eq(n, 1);
  ck_assert_int_eq(list[0].action, CC_ACTION_KEEP);
  ck_assert_str_eq(list[0].school_code, "S1");
  ck_assert_str_eq(list[0].by, "学校回执");
  ck_assert_str_eq(list[0].note, "学生在本校就读，\"已核实\"");
  ck_assert_int_eq(list[0].date, cc_date_from_ymd(2026, 12, 1));
  ck_assert_str_eq(list[0].source, "answers.csv");
  ck_assert_uint_eq(list[0].source_row, 2);
  ck_assert(list[0].source_digest == digest_of(path));
  free(list);
  /* Nothing for the refused rows' findings. */
  ck_assert_uint_eq(responses_of(0xA2, &list), 0);
  ck_assert_uint_eq(responses_of(0xA3, &list), 0);

  /* One audit entry, under the operator, the OS account beside it; the
   * note is not in it. */
  ck_assert_int_eq(cc_audit_list(&audit, &n, db, 0), 0);
  cc_audit_os_user(os);
  for (i = 0; i < n; i++) {
    if (strcmp(audit[i].command, "import-responses") != 0)
      continue;
    found++;
    ck_assert_str_eq(audit[i].user, "op-1");
    ck_assert_str_eq(audit[i].os_user, os);
    ck_assert_uint_eq(audit[i].records, 1);
    ck_assert_str_eq(
        audit[i].what,
        "period=2026-11 finding=00000000000000a1 action=keep "
        "school=S1 by=学校回执 date=2026-12-01 file=answers.csv row=2");
  }
  ck_assert_uint_eq(found, 1);
  free(audit);
}
END_TEST

START_TEST(test_import_reimport)
{
  cc_import_result res;
  cc_import_options o = options();
  cc_response *list = NULL;
  char path[512], path2[512];
  const char *twice[2];

  path_of(path, sizeof path, "answers.csv");
  tu_write_file(path, answers_csv);
  ck_assert_int_eq(import1(&res, path), 0);
  ck_assert_uint_eq(res.recorded, 1);
  cc_import_result_dispose(&res);

  /* The same file again: nothing recorded, the answer counted as already
   * there; the refused rows are refused again. */
  ck_assert_int_eq(import1(&res, path), 0);
  ck_assert_uint_eq(res.recorded, 0);
  ck_assert_uint_eq(res.already, 1);
  ck_assert_uint_eq(res.refused, 6);
  cc_import_result_dispose(&res);
  ck_assert_uint_eq(responses_of(0xA1, &list), 1);
  free(list);
  ck_assert_uint_eq(tu_audit_count(db, "import-responses"), 1);

  /* The same bytes under another name, twice in one call: still nothing. */
  path_of(path2, sizeof path2, "copy.csv");
  tu_write_file(path2, answers_csv);
  twice[0] = path2;
  twice[1] = path2;
  ck_assert_int_eq(cc_import_responses(&res, db, twice, 2, &o), 0);
  ck_assert_uint_eq(res.files, 2);
  ck_assert_uint_eq(res.recorded, 0);
  ck_assert_uint_eq(res.already, 2);
  cc_import_result_dispose(&res);

  /* A file the school changed (another answer for A1) is a new answer:
   * recorded, and the latest. */
  tu_write_file(path2, "问题编号,学校代码,本校处理结果,处理说明\n"
                       "00000000000000a1,S1,已请对方学校注销,已发函\n");
  ck_assert_int_eq(import1(&res, path2), 0);
  ck_assert_uint_eq(res.recorded, 1);
  ck_assert_uint_eq(res.n_problems, 0);
  cc_import_result_dispose(&res);
  ck_assert_uint_eq(responses_of(0xA1, &list), 2);
  ck_assert_int_eq(list[1].action, CC_ACTION_ASK_OTHER);
  ck_assert_str_eq(list[1].note, "已发函");
  ck_assert_str_eq(list[1].source, "copy.csv");
  free(list);
  ck_assert_uint_eq(tu_audit_count(db, "import-responses"), 2);
}
END_TEST

/*
 * A workbook as the export writes it and a school returns it: a title
 * row above the header (rows 1-2), columns in another order, the note
 * column absent, a number cell where the school retyped a code:
 *
 *   row 3  A2 S3 已请对方学校注销    recorded (S3 is A2's)
 *   row 4  A2 S1 保留本校学籍        not_member
 *   row 6  A3 S1 (a number 1 in the school column) keep   not_member
 *   (row 5 left out of the file: skipped)
 */
START_TEST(test_import_xlsx)
{
  cc_import_result res;
  cc_response *list = NULL;
  char path[512];
  lxw_workbook *wb;
  lxw_worksheet *ws;

  path_of(path, sizeof path, "back.xlsx");
  wb = workbook_new(path);
  ws = workbook_add_worksheet(wb, "问题清单");
  workbook_add_worksheet(wb, "说明");
  worksheet_write_string(ws, 0, 0, "查重问题清单 2026-11", NULL);
  worksheet_write_string(ws, 1, 0, "本校处理结果", NULL);
  worksheet_write_string(ws, 1, 1, "状态", NULL);
  worksheet_write_string(ws, 1, 2, "问题编号", NULL);
  worksheet_write_string(ws, 1, 3, "学校代码", NULL);
  worksheet_write_string(ws, 2, 0, "已请对方学校注销", NULL);
  worksheet_write_string(ws, 2, 2, "00000000000000a2", NULL);
  worksheet_write_string(ws, 2, 3, "S3", NULL);
  worksheet_write_string(ws, 3, 0, "保留本校学籍", NULL);
  worksheet_write_string(ws, 3, 2, "00000000000000a2", NULL);
  worksheet_write_string(ws, 3, 3, "S1", NULL);
  worksheet_write_string(ws, 5, 0, "keep", NULL);
  worksheet_write_string(ws, 5, 2, "00000000000000a3", NULL);
  worksheet_write_number(ws, 5, 3, 1, NULL);
  ck_assert_int_eq(workbook_close(wb), LXW_NO_ERROR);

  ck_assert_msg(import1(&res, path) == 0, "%s", cc_error_last());
  ck_assert_uint_eq(res.files_bad, 0);
  ck_assert_uint_eq(res.rows, 3);
  ck_assert_uint_eq(res.recorded, 1);
  ck_assert_uint_eq(res.refused, 2);
  ck_assert_uint_eq(res.n_problems, 2);
  assert_problem(&res, 0, path, 4, "学校代码", CC_IMPORT_NOT_MEMBER);
  assert_problem(&res, 1, path, 6, "学校代码", CC_IMPORT_NOT_MEMBER);
  cc_import_result_dispose(&res);
  ck_assert_uint_eq(responses_of(0xA2, &list), 1);
  ck_assert_int_eq(list[0].action, CC_ACTION_ASK_OTHER);
  ck_assert_str_eq(list[0].school_code, "S3");
  ck_assert_str_eq(list[0].note, "");
  ck_assert_str_eq(list[0].source, "back.xlsx");
  ck_assert_uint_eq(list[0].source_row, 3);
  free(list);
}
END_TEST

START_TEST(test_import_unreadable_files)
{
  cc_import_result res;
  cc_import_options o = options();
  char missing[512], noanswer[512], binary[512], zip[512], late[512];
  const char *files[5];
  FILE *fp;
  size_t i;

  path_of(missing, sizeof missing, "missing.csv");
  path_of(noanswer, sizeof noanswer, "noanswer.csv");
  tu_write_file(noanswer, "问题编号,学校代码,备注\n00000000000000a1,S1,keep\n");
  /* Bytes that are neither UTF-8 nor GB18030 (0xFF leads nothing). */
  path_of(binary, sizeof binary, "binary.csv");
  fp = fopen(binary, "wb");
  ck_assert_ptr_nonnull(fp);
  fputs("\xFF\xFE\xFF\x80 問", fp);
  fclose(fp);
  /* A zip's signature and then nothing a workbook has. */
  path_of(zip, sizeof zip, "broken.xlsx");
  tu_write_file(zip, "PK\x03\x04garbage");
  /* Ten rows and no header among them. */
  path_of(late, sizeof late, "late.csv");
  tu_write_file(
      late, "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n问题编号,学校代码,本校处理结果\n");
  files[0] = missing;
  files[1] = noanswer;
  files[2] = binary;
  files[3] = zip;
  files[4] = late;
  ck_assert_int_eq(cc_import_responses(&res, db, files, 5, &o), 0);
  ck_assert_uint_eq(res.files, 5);
  ck_assert_uint_eq(res.files_bad, 5);
  ck_assert_uint_eq(res.recorded, 0);
  ck_assert_uint_eq(res.n_problems, 5);
  assert_problem(&res, 0, missing, 0, "", CC_IMPORT_UNREADABLE);
  assert_problem(&res, 1, noanswer, 1, "本校处理结果",
                 CC_IMPORT_MISSING_COLUMN);
  assert_problem(&res, 2, binary, 0, "", CC_IMPORT_UNREADABLE);
  assert_problem(&res, 3, zip, 0, "", CC_IMPORT_UNREADABLE);
  assert_problem(&res, 4, late, 0, "问题编号", CC_IMPORT_MISSING_COLUMN);
  ck_assert_uint_gt(strlen(res.problems[0].detail), 0);
  for (i = 0; i < res.n_problems; i++)
    ck_assert_ptr_null(strstr(res.problems[i].detail, "110101"));
  cc_import_result_dispose(&res);
  ck_assert_uint_eq(tu_audit_count(db, "import-responses"), 0);
}
END_TEST

START_TEST(test_import_gb18030)
{
  /* Excel on a Chinese Windows saves "CSV (逗号分隔)" in GB18030 without
   * a BOM: read as such. */
  static const char utf8[] = "问题编号,学校代码,本校处理结果,处理说明\r\n"
                             "00000000000000a1,S2,已注销本校学籍,已注销\r\n";
  char gb[512], path[512], *in = (char *)utf8, *out = gb;
  size_t inleft = strlen(utf8), outleft = sizeof gb;
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  cc_import_result res;
  cc_response *list = NULL;
  FILE *fp;
  ck_assert(cd != (iconv_t)-1);
  ck_assert(iconv(cd, &in, &inleft, &out, &outleft) != (size_t)-1);
  iconv_close(cd);
  path_of(path, sizeof path, "gb.csv");
  fp = fopen(path, "wb");
  ck_assert_ptr_nonnull(fp);
  fwrite(gb, 1, sizeof gb - outleft, fp);
  fclose(fp);

  ck_assert_int_eq(import1(&res, path), 0);
  ck_assert_uint_eq(res.recorded, 1);
  ck_assert_uint_eq(res.n_problems, 0);
  cc_import_result_dispose(&res);
  ck_assert_uint_eq(responses_of(0xA1, &list), 1);
  ck_assert_int_eq(list[0].action, CC_ACTION_CANCEL_OWN);
  ck_assert_str_eq(list[0].school_code, "S2");
  ck_assert_str_eq(list[0].note, "已注销");
  free(list);
}
END_TEST

START_TEST(test_import_bad_options)
{
  cc_import_result res;
  cc_import_options o = options();
  char path[512];
  const char *files[1];
  path_of(path, sizeof path, "answers.csv");
  tu_write_file(path, answers_csv);
  files[0] = path;
  /* A period the database does not hold. */
  o.period = "2026-12";
  ck_assert_int_eq(cc_import_responses(&res, db, files, 1, &o), CC_ENOTFOUND);
  cc_import_result_dispose(&res);
  /* No period; options of an unknown version. */
  o.period = NULL;
  ck_assert_int_eq(cc_import_responses(&res, db, files, 1, &o), CC_EINVALID);
  cc_import_result_dispose(&res);
  o = options();
  o.version = 99;
  ck_assert_int_eq(cc_import_responses(&res, db, files, 1, &o), CC_EINVALID);
  cc_import_result_dispose(&res);
  /* Nothing recorded by any of them. */
  {
    cc_response *list = NULL;
    ck_assert_uint_eq(responses_of(0xA1, &list), 0);
    ck_assert_uint_eq(tu_audit_count(db, "import-responses"), 0);
  }
}
END_TEST

/*
 * More answers than one transaction takes (import.c writes them 128 at a
 * time): period 2026-12 with 300 findings 0x1000 + i, each at school S1;
 * a CSV answers them all, row 2 + i for finding 0x1000 + i. Every answer
 * is recorded once, with its own row, and every audit entry names its own
 * finding and row (not a neighbour's in the same transaction).
 */
START_TEST(test_import_many)
{
  enum { N = 300 };
  static const char *const lab[] = {"moe"}, *const code[] = {"S1"};
  cc_finding_list l = {0};
  cc_import_result res;
  cc_import_options o = options();
  cc_response *list = NULL;
  cc_audit_entry *audit = NULL;
  tu_text csv = {0};
  char path[512], line[128];
  uint8_t *seen;
  size_t i, n = 0;

  for (i = 0; i < N; i++)
    add(&l, 0x1000 + i, CC_FT_DUAL_ENROLLMENT, lab, code, 1);
  publish("2026-12", &l);
  tu_text_put(&csv, "问题编号,学校代码,本校处理结果\n",
              strlen("问题编号,学校代码,本校处理结果\n"));
  for (i = 0; i < N; i++) {
    int len = snprintf(line, sizeof line, "%016zx,S1,%s\n", 0x1000 + i,
                       i % 2 ? "已注销本校学籍" : "保留本校学籍");
    tu_text_put(&csv, line, (size_t)len);
  }
  path_of(path, sizeof path, "many.csv");
  tu_write_file(path, csv.p);
  free(csv.p);
  o.period = "2026-12";
  {
    const char *files[1];
    files[0] = path;
    ck_assert_msg(cc_import_responses(&res, db, files, 1, &o) == 0, "%s",
                  cc_error_last());
  }
  ck_assert_uint_eq(res.rows, N);
  ck_assert_uint_eq(res.recorded, N);
  ck_assert_uint_eq(res.n_problems, 0);
  cc_import_result_dispose(&res);

  ck_assert_int_eq(cc_response_list(&list, &n, db, 0), 0);
  ck_assert_uint_eq(n, N);
  seen = calloc(N, 1);
  ck_assert_ptr_nonnull(seen);
  for (i = 0; i < n; i++) {
    uint64_t k = list[i].finding_id - 0x1000;
    ck_assert_uint_lt(k, N);
    ck_assert_int_eq(seen[k], 0);
    seen[k] = 1;
    ck_assert_uint_eq(list[i].source_row, k + 2);
    ck_assert_int_eq(list[i].action,
                     k % 2 ? CC_ACTION_CANCEL_OWN : CC_ACTION_KEEP);
  }
  free(list);

  ck_assert_int_eq(cc_audit_list(&audit, &n, db, 0), 0);
  ck_assert_uint_eq(n, N);
  memset(seen, 0, N);
  for (i = 0; i < n; i++) {
    unsigned long long fid;
    unsigned row;
    char act[16];
    ck_assert_int_eq(sscanf(audit[i].what,
                            "period=2026-12 finding=%llx "
                            "action=%15s school=S1 by=学校回执 date=2026-12-01 "
                            "file=many.csv row=%u",
                            &fid, act, &row),
                     3);
    ck_assert_uint_lt(fid - 0x1000, N);
    ck_assert_uint_eq(row, fid - 0x1000 + 2);
    ck_assert_str_eq(act, (fid - 0x1000) % 2 ? "cancel_own" : "keep");
    ck_assert_int_eq(seen[fid - 0x1000], 0);
    seen[fid - 0x1000] = 1;
  }
  free(audit);
  free(seen);
}
END_TEST

static Suite *import_suite(void)
{
  Suite *s = suite_create("import");
  TCase *core = tcase_create("Core");
  TCase *limits = tcase_create("Limits");
  tcase_add_checked_fixture(core, setup, teardown);
  tcase_add_test(core, test_import_answer_vocabulary);
  tcase_add_test(core, test_import_csv_rows);
  tcase_add_test(core, test_import_reimport);
  tcase_add_test(core, test_import_xlsx);
  tcase_add_checked_fixture(limits, setup, teardown);
  tcase_add_test(limits, test_import_unreadable_files);
  tcase_add_test(limits, test_import_gb18030);
  tcase_add_test(limits, test_import_bad_options);
  tcase_add_test(limits, test_import_many);
  suite_add_tcase(s, core);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  return tu_main(import_suite, root, sizeof root, "import");
}
