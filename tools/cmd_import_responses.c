/*
 * chachong import-responses - records the answers of schools that stay
 * offline: the school packages of `chachong export` (workbook or CSV)
 * returned with the answer column filled in. The work is the library's
 * (cc_import_responses, engine/import.c); this file reads the options and
 * prints what could not be read and why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chachong/chachong.h>

#include "commands.h"

static int cmd_import_responses(int argc, char **argv);

enum { OPT_DB = CC_OPT_KEY, OPT_PERIOD, OPT_USER, OPT_BY, OPT_DATE };

static const cc_opt options[] = {
    {"db", OPT_DB, "DIR", CC_OPT_REQUIRED, "the database of chachong run"},
    {"period", OPT_PERIOD, "YYYY-MM", CC_OPT_REQUIRED,
     "the period the packages were exported for"},
    {"user", OPT_USER, "NAME", 0,
     "the operator recording them (default: the login name)"},
    {"by", OPT_BY, "NAME", 0, "who gave the answers (default: 学校回执)"},
    {"date", OPT_DATE, "YYYY-MM-DD", 0,
     "when the schools acted (default: today)"},
    {NULL, 0, NULL, 0, NULL},
};

const cc_command cc_command_import_responses = {
    "import-responses",
    cmd_import_responses,
    "record the answers in school packages sent back (xlsx or CSV)",
    "chachong import-responses --db DIR --period YYYY-MM [--user NAME]\n"
    "    [--by NAME] [--date YYYY-MM-DD] FILE...",
    "Reads the school packages of 'chachong export' (.xlsx or .csv) returned\n"
    "with the column 本校处理结果 filled in (保留本校学籍 = keep, "
    "已注销本校学籍 =\n"
    "cancel_own, 已请对方学校注销 = ask_other) and 处理说明 as the note, and\n"
    "records each answer as a response to its finding. An answer counts only\n"
    "when the row's school (its 学校代码 cell) is one of the finding's "
    "schools.\n"
    "Rows without an answer are skipped; a file imported before (same bytes)\n"
    "records nothing again. What could not be read is listed on stdout, one\n"
    "line each: file, row, column, code, reason (tab-separated, after a\n"
    "header line); the counts go to stderr.",
    "FILE...",
    options,
    "Exit 0 when every file was read (refused rows are listed, not errors);\n"
    "3 when a file could not be read or the period is not in the database.",
};

/* A value as text that may leave: control characters made visible. */
static void put_visible(const char *s)
{
  char shown[1024];
  cc_text_visible(shown, sizeof shown, s, strlen(s), 0);
  fputs(shown, stdout);
}

static int cmd_import_responses(int argc, char **argv)
{
  cc_import_options opts = CC_IMPORT_OPTIONS_INIT;
  cc_import_result res;
  const char *db_dir = NULL;
  const char **files = NULL;
  size_t n_files = 0, i;
  cc_db *db = NULL;
  cc_args args;
  int key, rc;

  memset(&res, 0, sizeof res);
  files = malloc((size_t)(argc > 0 ? argc : 1) * sizeof *files);
  if (files == NULL) {
    fprintf(stderr, "chachong import-responses: out of memory\n");
    return CC_EXIT_NOMEM;
  }
  cc_args_init(&args, &cc_command_import_responses, argc, argv);
  while ((key = cc_args_next(&args)) != CC_ARGS_END) {
    switch (key) {
    case CC_ARGS_OPERAND:
      files[n_files++] = args.value;
      break;
    case OPT_DB:
      db_dir = args.value;
      break;
    case OPT_PERIOD:
      opts.period = args.value;
      break;
    case OPT_USER:
      opts.user = args.value;
      break;
    case OPT_BY:
      opts.by = args.value;
      break;
    case OPT_DATE:
      if (cc_date_parse(&opts.date, args.value) < 0) {
        fprintf(stderr, "chachong import-responses: --date: %s\n",
                cc_error_last());
        free(files);
        return CC_EXIT_INPUT;
      }
      break;
    case CC_ARGS_HELP:
      cc_command_help(stdout, &cc_command_import_responses);
      free(files);
      return CC_EXIT_OK;
    default:
      free(files);
      return CC_EXIT_USAGE;
    }
  }
  if (n_files == 0) {
    free(files);
    return cc_usage_error(&cc_command_import_responses,
                          "at least one FILE is required");
  }
  if (opts.by && strlen(opts.by) >= 64) {
    free(files);
    return cc_usage_error(&cc_command_import_responses,
                          "--by is longer than 63 bytes");
  }

  if ((rc = cc_cmd_open_existing(&db, db_dir)) < 0)
    goto fail;
  rc = cc_import_responses(&res, db, files, n_files, &opts);
  cc_db_close(db);
  db = NULL;
  if (rc < 0)
    goto fail;

  if (res.n_problems)
    fputs("file\trow\tcolumn\tcode\treason\n", stdout);
  for (i = 0; i < res.n_problems; i++) {
    const cc_import_problem *p = &res.problems[i];
    put_visible(p->file);
    printf("\t%u\t", (unsigned)p->row);
    put_visible(p->column);
    printf("\t%s\t%s", cc_import_code_name((cc_import_code)p->code),
           cc_import_code_zh((cc_import_code)p->code));
    if (p->detail[0]) {
      fputs("（", stdout);
      put_visible(p->detail);
      fputs("）", stdout);
    }
    fputc('\n', stdout);
  }
  fprintf(
      stderr,
      "import-responses: %zu file(s), %zu row(s): %zu recorded, %zu already "
      "recorded, %zu without an answer, %zu refused; %zu file(s) not read\n",
      res.files, res.rows, res.recorded, res.already, res.unanswered,
      res.refused, res.files_bad);
  rc = res.files_bad ? CC_EXIT_INPUT : CC_EXIT_OK;
  cc_import_result_dispose(&res);
  free(files);
  return rc;
fail:
  fprintf(stderr, "chachong import-responses: %s\n", cc_error_last());
  if (res.recorded)
    fprintf(stderr,
            "chachong import-responses: %zu answer(s) were recorded "
            "before the error\n",
            res.recorded);
  cc_import_result_dispose(&res);
  cc_db_close(db);
  free(files);
  return cc_exit_code(rc);
}
