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

static const char usage_text[] =
    "usage: chachong export --db DIR --period YYYY-MM --out DIR\n"
    "           [--school CODE] [--region PREFIX] [--user NAME]\n"
    "           [--format xlsx|csv|both] [--threads N]\n"
    "\n"
    "  --db DIR          the database of chachong run\n"
    "  --period YYYY-MM  the period to export\n"
    "  --out DIR         where the folders go (created 0700; files 0600):\n"
    "                      <省代码>-<省名>/<市代码>-<市名>/<学校代码>.xlsx|csv\n"
    "                      one row per finding involving the school\n"
    "                      汇总_<市代码>, <省>/汇总_<省代码>, 汇总_全国: roll-ups\n"
    "  --school CODE     only the school(s) with this code\n"
    "  --region PREFIX   only schools whose region code starts with PREFIX\n"
    "                    (37: a province, 3701: a city)\n"
    "  --user NAME       the operator recorded in the audit log (default:\n"
    "                    the login name)\n"
    "  --format F        xlsx, csv or both (default both)\n"
    "  --threads N       workers writing packages (default: every core)\n"
    "\n"
    "The packages show full ID numbers: each goes back to the school that\n"
    "holds the records. Every export is recorded in the audit log (chachong\n"
    "audit).\n";

int cc_cmd_export(int argc, char **argv)
{
  cc_export_options o = CC_EXPORT_OPTIONS_INIT;
  cc_export_stats st;
  cc_db_options dbo = CC_DB_OPTIONS_INIT;
  const char *db_dir = NULL;
  cc_db *db = NULL;
  int k, rc;

  for (k = 1; k < argc; k++) {
    const char *a = argv[k], *v = k + 1 < argc ? argv[k + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(usage_text, stdout);
      return CC_EXIT_OK;
    }
    if (v == NULL) {
      fprintf(stderr, "chachong export: %s needs a value\n%s", a, usage_text);
      return CC_EXIT_USAGE;
    }
    k++;
    if (strcmp(a, "--db") == 0) {
      db_dir = v;
    } else if (strcmp(a, "--period") == 0) {
      o.period = v;
    } else if (strcmp(a, "--out") == 0) {
      o.out_dir = v;
    } else if (strcmp(a, "--school") == 0) {
      o.school = v;
    } else if (strcmp(a, "--region") == 0) {
      o.region = v;
    } else if (strcmp(a, "--user") == 0) {
      o.user = v;
    } else if (strcmp(a, "--format") == 0) {
      if (strcmp(v, "xlsx") == 0)
        o.formats = CC_EXPORT_XLSX;
      else if (strcmp(v, "csv") == 0)
        o.formats = CC_EXPORT_CSV;
      else if (strcmp(v, "both") == 0)
        o.formats = CC_EXPORT_XLSX | CC_EXPORT_CSV;
      else {
        fprintf(stderr, "chachong export: --format takes xlsx, csv or both\n");
        return CC_EXIT_USAGE;
      }
    } else if (strcmp(a, "--threads") == 0) {
      char *end;
      long t = strtol(v, &end, 10);
      if (*end || t < 1 || t > 1024) {
        fprintf(stderr, "chachong export: --threads takes a number from 1 to 1024\n");
        return CC_EXIT_USAGE;
      }
      o.threads = (int)t;
    } else {
      fprintf(stderr, "chachong export: unknown option '%s'\n%s", a, usage_text);
      return CC_EXIT_USAGE;
    }
  }
  if (db_dir == NULL || o.period == NULL || o.out_dir == NULL) {
    fprintf(stderr, "chachong export: --db, --period and --out are required\n%s",
            usage_text);
    return CC_EXIT_USAGE;
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
         o.period, (unsigned long long)st.findings,
         (unsigned long long)st.rows, (unsigned long long)st.schools,
         (unsigned long long)st.cities, (unsigned long long)st.provinces,
         (unsigned long long)st.files, o.out_dir, st.load_seconds,
         st.write_seconds);
  return CC_EXIT_OK;
}
