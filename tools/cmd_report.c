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

/* The options, also the --help text. */
static const struct option_doc {
  const char *name; /* as typed */
  const char *arg;  /* its argument, or NULL */
  const char *help; /* one line */
} options[] = {
    {"--db", "DIR", "the database that `chachong run` writes (required)"},
    {"--period", "YYYY-MM", "the period to report (default: the latest)"},
    {"--region", "CODE", "a province (2 digits, e.g. 37) or city (4 digits);"
                         "\n                       default: the nation"},
    {"--out", "FILE", "the HTML page to write, mode 0600 (required)"},
    {"--user", "NAME", "operator recorded in the audit log (default: login)"},
    {"--top", "N", "overdue cases listed (default 50)"},
    {"--top-schools", "N", "schools in the per-thousand ranking (default 20)"},
    {"--min-records", "N", "rank only schools with at least N records "
                           "(default 30)"},
    {"--help", NULL, "print this help"},
};

static void usage(FILE *out)
{
  size_t i;
  fprintf(out,
          "usage: chachong report --db DIR [--period YYYY-MM] [--region CODE]\n"
          "           --out FILE.html [--user NAME] [options]\n"
          "  writes one self-contained HTML page (no script, nothing fetched):\n"
          "  counts by type and state, money at risk, overdue cases (ID numbers\n"
          "  masked), province -> city -> school, the schools with the most\n"
          "  findings per thousand students, and the trend over every period.\n"
          "  Each report is recorded in the audit log.\n"
          "options:\n");
  for (i = 0; i < sizeof options / sizeof options[0]; i++) {
    char spec[32];
    snprintf(spec, sizeof spec, "%s%s%s", options[i].name,
             options[i].arg ? " " : "", options[i].arg ? options[i].arg : "");
    fprintf(out, "  %-20s %s\n", spec, options[i].help);
  }
  fprintf(out, "exit codes: 0 ok, 2 usage, 3 no such period or database, "
               "4 I/O or database\n            error, 5 out of memory\n");
}

/* A count option: 0 to 1000000, digits only. */
static int parse_count(const char *text, unsigned *out)
{
  size_t i, len = strlen(text);
  if (len == 0 || len > 7)
    return -1;
  for (i = 0; i < len; i++)
    if (text[i] < '0' || text[i] > '9')
      return -1;
  *out = (unsigned)atol(text);
  return *out <= 1000000 ? 0 : -1;
}

int cc_cmd_report(int argc, char **argv)
{
  cc_report_options o = CC_REPORT_OPTIONS_INIT;
  cc_db_options dbo = CC_DB_OPTIONS_INIT;
  cc_report_summary s;
  const char *db_dir = NULL, *out = NULL;
  cc_db *db = NULL;
  char money[24];
  int i, rc;

  for (i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    unsigned *count = NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return CC_EXIT_OK;
    }
    if (strncmp(a, "--", 2) != 0) {
      fprintf(stderr, "chachong report: unexpected argument '%s'\n", a);
      usage(stderr);
      return CC_EXIT_USAGE;
    }
    if (v == NULL) {
      fprintf(stderr, "chachong report: %s needs a value\n", a);
      usage(stderr);
      return CC_EXIT_USAGE;
    }
    i++;
    if (strcmp(a, "--db") == 0)
      db_dir = v;
    else if (strcmp(a, "--period") == 0)
      o.period = v;
    else if (strcmp(a, "--region") == 0)
      o.region = v;
    else if (strcmp(a, "--out") == 0)
      out = v;
    else if (strcmp(a, "--user") == 0)
      o.user = v;
    else if (strcmp(a, "--top") == 0)
      count = &o.top_overdue;
    else if (strcmp(a, "--top-schools") == 0)
      count = &o.top_schools;
    else if (strcmp(a, "--min-records") == 0)
      count = &o.min_records;
    else {
      fprintf(stderr, "chachong report: unknown option '%s'\n", a);
      usage(stderr);
      return CC_EXIT_USAGE;
    }
    if (count != NULL && parse_count(v, count) != 0) {
      fprintf(stderr, "chachong report: %s takes a number from 0 to 1000000, "
                      "not '%s'\n", a, v);
      return CC_EXIT_USAGE;
    }
  }
  if (db_dir == NULL || out == NULL) {
    fprintf(stderr, "chachong report: --db and --out are required\n");
    usage(stderr);
    return CC_EXIT_USAGE;
  }
  /* Options the library would refuse are usage errors, said before the
   * database is touched. */
  {
    cc_report *probe = NULL;
    if (cc_report_new(&probe, &o) != 0) {
      fprintf(stderr, "chachong report: %s\n", cc_error_last());
      return CC_EXIT_USAGE;
    }
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
         o.region && *o.region ? o.region : "",
         (unsigned long long)s.findings, (unsigned long long)s.open,
         (unsigned long long)s.overdue, (unsigned long long)s.cleared, money,
         (unsigned long long)s.schools, s.periods, s.periods == 1 ? "" : "s");
  return CC_EXIT_OK;
}
