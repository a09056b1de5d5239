/*
 * chachong import-responses - records the answers of schools that stay
 * offline: the school packages of `chachong export` (workbook or CSV)
 * returned with the answer column filled in. The work is the library's
 * (cc_import_responses, engine/import.c); this file reads the options and
 * prints what could not be read and why.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chachong/chachong.h>

#include "commands.h"

static const char usage_text[] =
    "usage: chachong import-responses --db DIR --period YYYY-MM [--user NAME]\n"
    "           [--by NAME] [--date YYYY-MM-DD] FILE...\n"
    "\n"
    "Reads the school packages of 'chachong export' (.xlsx or .csv) returned\n"
    "with the column 本校处理结果 filled in (保留本校学籍 = keep, 已注销本校学籍 =\n"
    "cancel_own, 已请对方学校注销 = ask_other) and 处理说明 as the note, and\n"
    "records each answer as a response to its finding. An answer counts only\n"
    "when the row's school (its 学校代码 cell) is one of the finding's schools.\n"
    "Rows without an answer are skipped; a file imported before (same bytes)\n"
    "records nothing again. What could not be read is listed on stdout, one\n"
    "line each: file, row, column, code, reason (tab-separated, after a\n"
    "header line); the counts go to stderr.\n"
    "\n"
    "  --period P   the period the packages were exported for\n"
    "  --user NAME  the operator recording them (default: the login name)\n"
    "  --by NAME    who gave the answers (default: 学校回执)\n"
    "  --date DATE  when the schools acted (default: today)\n"
    "\n"
    "exit: 0 every file read (refused rows are listed, not errors); 3 a file\n"
    "could not be read, or no such period; 2 usage; 4 I/O or database error\n";

/* A value as text that may leave: control characters made visible. */
static void put_visible(const char *s)
{
  char shown[1024];
  cc_text_visible(shown, sizeof shown, s, strlen(s), 0);
  fputs(shown, stdout);
}

int cc_cmd_import_responses(int argc, char **argv)
{
  static const struct option longopts[] = {
      {"db", required_argument, NULL, 'd'},
      {"period", required_argument, NULL, 'p'},
      {"user", required_argument, NULL, 'u'},
      {"by", required_argument, NULL, 'b'},
      {"date", required_argument, NULL, 't'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  cc_import_options opts = CC_IMPORT_OPTIONS_INIT;
  cc_import_result res;
  const char *db_dir = NULL;
  cc_db *db = NULL;
  size_t i;
  int c, rc;

  memset(&res, 0, sizeof res);
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
    switch (c) {
    case 'd': db_dir = optarg; break;
    case 'p': opts.period = optarg; break;
    case 'u': opts.user = optarg; break;
    case 'b': opts.by = optarg; break;
    case 't':
      if (cc_date_parse(&opts.date, optarg) < 0) {
        fprintf(stderr, "chachong import-responses: --date: %s\n", cc_error_last());
        return CC_EXIT_USAGE;
      }
      break;
    case 'h': fputs(usage_text, stdout); return CC_EXIT_OK;
    default:
      /* getopt_long sets optopt to a known option's value when that
       * option lacks its argument (to 0 or the letter when unknown). */
      if (optopt && strchr("dpubt", optopt))
        fprintf(stderr, "chachong import-responses: %s needs a value\n%s",
                argv[optind - 1], usage_text);
      else
        fprintf(stderr, "chachong import-responses: unknown option '%s'\n%s",
                argv[optind - 1], usage_text);
      return CC_EXIT_USAGE;
    }
  }
  if (db_dir == NULL || opts.period == NULL || optind >= argc) {
    fprintf(stderr, "chachong import-responses: --db, --period and at least "
                    "one FILE are required\n%s", usage_text);
    return CC_EXIT_USAGE;
  }
  if (opts.by && strlen(opts.by) >= 64) {
    fprintf(stderr, "chachong import-responses: --by is longer than 63 bytes\n");
    return CC_EXIT_USAGE;
  }

  if ((rc = cc_cmd_open_existing(&db, db_dir)) < 0)
    goto fail;
  rc = cc_import_responses(&res, db, (const char *const *)argv + optind,
                           (size_t)(argc - optind), &opts);
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
  fprintf(stderr,
          "import-responses: %zu file(s), %zu row(s): %zu recorded, %zu already "
          "recorded, %zu without an answer, %zu refused; %zu file(s) not read\n",
          res.files, res.rows, res.recorded, res.already, res.unanswered,
          res.refused, res.files_bad);
  rc = res.files_bad ? CC_EXIT_INPUT : CC_EXIT_OK;
  cc_import_result_dispose(&res);
  return rc;
fail:
  fprintf(stderr, "chachong import-responses: %s\n", cc_error_last());
  if (res.recorded)
    fprintf(stderr, "chachong import-responses: %zu answer(s) were recorded "
                    "before the error\n", res.recorded);
  cc_import_result_dispose(&res);
  cc_db_close(db);
  return cc_exit_code(rc);
}
