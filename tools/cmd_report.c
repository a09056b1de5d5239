/*
 * chachong report --db DIR [--period YYYY-MM] [--region CODE] --out FILE
 * [--user NAME] [--top N] [--top-schools N] [--min-records N] - writes the
 * report page of one period (issue 3, point 5): a self-contained HTML file
 * for the nation or one province or city, with the trend over every period
 * of the database. Parses options into cc_report_options and calls
 * cc_report_write, which also records the audit entry. Exit codes:
 * tools/commands.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chachong/chachong.h>
#include <chachong/report.h>

#include "commands.h"

static int cmd_report(int argc, char **argv);

enum {
  OPT_DB = CC_OPT_KEY,
  OPT_PERIOD,
  OPT_REGION,
  OPT_OUT,
  OPT_USER,
  OPT_TOP,
  OPT_TOP_SCHOOLS,
  OPT_MIN_RECORDS
};

static const cc_opt options[] = {
    {"db", OPT_DB, "DIR", CC_OPT_REQUIRED,
     "the database that `chachong run` writes"},
    {"period", OPT_PERIOD, "YYYY-MM", 0,
     "the period to report (default: the latest)"},
    {"region", OPT_REGION, "CODE", 0,
     "a province (2 digits, e.g. 37) or city (4 digits);\n"
     "default: the nation"},
    {"out", OPT_OUT, "FILE", CC_OPT_REQUIRED,
     "the HTML page to write, mode 0600"},
    {"user", OPT_USER, "NAME", 0,
     "operator recorded in the audit log (default: login)"},
    {"top", OPT_TOP, "N", 0, "overdue cases listed (default 50)"},
    {"top-schools", OPT_TOP_SCHOOLS, "N", 0,
     "schools in the per-thousand ranking (default 20)"},
    {"min-records", OPT_MIN_RECORDS, "N", 0,
     "rank only schools with at least N records (default 30)"},
    {NULL, 0, NULL, 0, NULL},
};

const cc_command cc_command_report = {
    "report",
    cmd_report,
    "write the HTML report of a period (nation or region)",
    "chachong report --db DIR [--period YYYY-MM] [--region CODE]\n"
    "    --out FILE.html [--user NAME] [options]",
    "Writes one self-contained HTML page (no script, nothing fetched):\n"
    "counts by type and state, money at risk, overdue cases (ID numbers\n"
    "masked), province -> city -> school, the schools with the most\n"
    "findings per thousand students, and the trend over every period.\n"
    "Each report is recorded in the audit log.",
    NULL,
    options,
    NULL,
};

static int cmd_report(int argc, char **argv)
{
  cc_report_options o = CC_REPORT_OPTIONS_INIT;
  cc_db_options dbo = CC_DB_OPTIONS_INIT;
  cc_report_summary s;
  const char *db_dir = NULL, *out = NULL;
  cc_db *db = NULL;
  char money[24];
  cc_args args;
  int key, rc;

  cc_args_init(&args, &cc_command_report, argc, argv);
  while ((key = cc_args_next(&args)) != CC_ARGS_END) {
    const char *v = args.value;
    unsigned *count = NULL;
    switch (key) {
    case OPT_DB:
      db_dir = v;
      break;
    case OPT_PERIOD:
      o.period = v;
      break;
    case OPT_REGION:
      o.region = v;
      break;
    case OPT_OUT:
      out = v;
      break;
    case OPT_USER:
      o.user = v;
      break;
    case OPT_TOP:
      count = &o.top_overdue;
      break;
    case OPT_TOP_SCHOOLS:
      count = &o.top_schools;
      break;
    case OPT_MIN_RECORDS:
      count = &o.min_records;
      break;
    case CC_ARGS_HELP:
      cc_command_help(stdout, &cc_command_report);
      return CC_EXIT_OK;
    default:
      return CC_EXIT_USAGE;
    }
    if (count != NULL) {
      long n;
      if (cc_args_number(&args, 0, 1000000, &n) != 0)
        return CC_EXIT_USAGE;
      *count = (unsigned)n;
    }
  }
  /* Options the library would refuse are usage errors, said before the
   * database is touched. */
  {
    cc_report *probe = NULL;
    if (cc_report_new(&probe, &o) != 0)
      return cc_usage_error(&cc_command_report, "%s", cc_error_last());
    cc_report_free(probe);
  }
  /* A report needs a database that a run made: do not create one. */
  dbo.read_only = 1;
  rc = cc_db_open(&db, db_dir, &dbo);
  cc_db_close(db);
  db = NULL;
  if (rc == 0) {
    dbo.read_only = 0; /* the audit entry is written */
    rc = cc_db_open(&db, db_dir, &dbo);
  }
  if (rc == 0)
    rc = cc_report_write(&s, db, out, &o);
  cc_db_close(db);
  if (rc != 0) {
    fprintf(stderr, "chachong report: %s\n", cc_error_last());
    return cc_exit_code(rc);
  }
  cc_money_format(money, s.amount_at_risk);
  printf("report: %s\n  period %s, %s%s: %llu findings (%llu not cleared, "
         "%llu overdue, %llu cleared), %s yuan at risk, %llu schools, "
         "%zu period%s in the trend\n",
         out, s.period, o.region && *o.region ? "region " : "nation",
         o.region && *o.region ? o.region : "", (unsigned long long)s.findings,
         (unsigned long long)s.open, (unsigned long long)s.overdue,
         (unsigned long long)s.cleared, money, (unsigned long long)s.schools,
         s.periods, s.periods == 1 ? "" : "s");
  return CC_EXIT_OK;
}
