/*
 * chachong export - the school packages of one period (issue 3, point 2).
 * Parses options into cc_export_options and calls cc_export_period, which
 * writes the files and records the audit entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chachong/chachong.h>
#include <chachong/export.h>

#include "commands.h"

static int cmd_export(int argc, char **argv);

enum {
  OPT_DB = CC_OPT_KEY,
  OPT_PERIOD,
  OPT_OUT,
  OPT_SCHOOL,
  OPT_REGION,
  OPT_USER,
  OPT_FORMAT,
  OPT_THREADS
};

static const cc_opt options[] = {
    {"db", OPT_DB, "DIR", CC_OPT_REQUIRED, "the database of chachong run"},
    {"period", OPT_PERIOD, "YYYY-MM", CC_OPT_REQUIRED, "the period to export"},
    {"out", OPT_OUT, "DIR", CC_OPT_REQUIRED,
     "where the folders go (created 0700; files 0600):\n"
     "  <省代码>-<省名>/<市代码>-<市名>/<学校代码>.xlsx|csv\n"
     "  one row per finding involving the school\n"
     "  汇总_<市代码>, <省>/汇总_<省代码>, 汇总_全国: roll-ups"},
    {"school", OPT_SCHOOL, "CODE", 0, "only the school(s) with this code"},
    {"region", OPT_REGION, "PREFIX", 0,
     "only schools whose region code starts with PREFIX\n"
     "(37: a province, 3701: a city)"},
    {"user", OPT_USER, "NAME", 0,
     "the operator recorded in the audit log (default:\n"
     "the login name)"},
    {"format", OPT_FORMAT, "F", 0, "xlsx, csv or both (default both)"},
    {"threads", OPT_THREADS, "N", 0,
     "workers writing packages (default: every core)"},
    {NULL, 0, NULL, 0, NULL},
};

const cc_command cc_command_export = {
    "export",
    cmd_export,
    "write each school's cases (xlsx + CSV) and roll-ups for a period",
    "chachong export --db DIR --period YYYY-MM --out DIR\n"
    "    [--school CODE] [--region PREFIX] [--user NAME]\n"
    "    [--format xlsx|csv|both] [--threads N]",
    NULL,
    NULL,
    options,
    "The packages show full ID numbers: each goes back to the school that\n"
    "holds the records. Every export is recorded in the audit log (chachong\n"
    "audit).",
};

static int cmd_export(int argc, char **argv)
{
  cc_export_options o = CC_EXPORT_OPTIONS_INIT;
  cc_export_stats st;
  cc_db_options dbo = CC_DB_OPTIONS_INIT;
  const char *db_dir = NULL;
  cc_db *db = NULL;
  cc_args args;
  int rc, key;

  cc_args_init(&args, &cc_command_export, argc, argv);
  while ((key = cc_args_next(&args)) != CC_ARGS_END) {
    const char *v = args.value;
    switch (key) {
    case OPT_DB:
      db_dir = v;
      break;
    case OPT_PERIOD:
      o.period = v;
      break;
    case OPT_OUT:
      o.out_dir = v;
      break;
    case OPT_SCHOOL:
      o.school = v;
      break;
    case OPT_REGION:
      o.region = v;
      break;
    case OPT_USER:
      o.user = v;
      break;
    case OPT_FORMAT:
      if (strcmp(v, "xlsx") == 0)
        o.formats = CC_EXPORT_XLSX;
      else if (strcmp(v, "csv") == 0)
        o.formats = CC_EXPORT_CSV;
      else if (strcmp(v, "both") == 0)
        o.formats = CC_EXPORT_XLSX | CC_EXPORT_CSV;
      else
        return cc_usage_error(&cc_command_export,
                              "--format takes xlsx, csv or both");
      break;
    case OPT_THREADS: {
      long t;
      if (cc_args_number(&args, 1, 1024, &t) != 0)
        return CC_EXIT_USAGE;
      o.threads = (int)t;
      break;
    }
    case CC_ARGS_HELP:
      cc_command_help(stdout, &cc_command_export);
      return CC_EXIT_OK;
    default:
      return CC_EXIT_USAGE;
    }
  }

  /* A missing database is bad input, not a new empty one: look first. */
  dbo.read_only = 1;
  rc = cc_db_open(&db, db_dir, &dbo);
  cc_db_close(db);
  db = NULL;
  if (rc == 0) {
    dbo.read_only = 0; /* the audit log is written */
    rc = cc_db_open(&db, db_dir, &dbo);
  }
  if (rc == 0)
    rc = cc_export_period(&st, db, &o);
  cc_db_close(db);
  if (rc < 0) {
    fprintf(stderr, "chachong export: %s\n", cc_error_last());
    return cc_exit_code(rc);
  }
  printf("period %s: %llu findings; %llu rows in %llu school packages, "
         "%llu city and %llu province roll-ups, %llu files -> %s\n"
         "time: load %.2f s, write %.2f s\n",
         o.period, (unsigned long long)st.findings, (unsigned long long)st.rows,
         (unsigned long long)st.schools, (unsigned long long)st.cities,
         (unsigned long long)st.provinces, (unsigned long long)st.files,
         o.out_dir, st.load_seconds, st.write_seconds);
  return CC_EXIT_OK;
}
