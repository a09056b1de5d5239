/*
 * chachong query - the auditor's questions: findings by ID number, name,
 * school, region, type, state and period, as a table, CSV or JSON lines,
 * ID numbers masked unless --unmasked. Every query is recorded in the audit
 * log before anything is printed (the library does it: cc_query_run).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chachong/chachong.h>
#include <chachong/query.h>

#include "commands.h"

static const char usage_text[] =
    "usage: chachong query --db DIR [--period YYYY-MM ... | --all-periods]\n"
    "           [--id VALUE] [--name NAME] [--school CODE] [--region PREFIX]\n"
    "           [--type TYPE] [--reason R] [--state STATE] [--format table|csv|jsonl]\n"
    "           [--unmasked] [--limit N] [--user NAME]\n"
    "\n"
    "  --period P      a period to search (default: the latest); repeatable\n"
    "  --all-periods   every period in the database, oldest first\n"
    "  --id VALUE      an ID number, cleaned like a roster cell (apostrophe,\n"
    "                  full-width digits, 15 -> 18 digits)\n"
    "  --name NAME     the person's or any member's name, compared folded\n"
    "                  (張偉 finds 张伟)\n"
    "  --school CODE   any member's school code\n"
    "  --region P      a prefix of any member's region code: 2 digits =\n"
    "                  province, 4 = city, 6 = county\n"
    "  --type TYPE     dual_enrollment, duplicate_record, double_grant,\n"
    "                  double_waiver, id_conflict, ineligible_grant,\n"
    "                  ineligible_waiver, subsidy_review\n"
    "  --reason R      a policy finding's reason: part_time, third_year,\n"
    "                  beyond_program, over_age\n"
    "  --state STATE   new, open, overdue, cleared\n"
    "  --format F      table (default), csv (UTF-8, English header), jsonl\n"
    "  --unmasked      full ID numbers (recorded as such in the audit log)\n"
    "  --limit N       print at most N findings\n"
    "  --user NAME     the operator for the audit log (default: login name)\n"
    "\n"
    "Filters combine with AND; a filter given twice matches either value.\n"
    "Every query is recorded in the audit log (chachong audit).\n"
    "Exit: 0 (also when nothing matched), 2 usage, 3 bad input, 4 database.\n";

int cc_cmd_query(int argc, char **argv)
{
  cc_query_options q = CC_QUERY_OPTIONS_INIT;
  cc_query_result r;
  cc_db_options dbo = CC_DB_OPTIONS_INIT;
  cc_db *db = NULL;
  const char *db_dir = NULL;
  const char **periods, **ids, **names, **schools, **regions, **types, **states, **reasons;
  size_t max = (size_t)argc;
  int i, rc, code = CC_EXIT_OK;

  memset(&r, 0, sizeof r);
  periods = calloc(max, sizeof *periods);
  ids = calloc(max, sizeof *ids);
  names = calloc(max, sizeof *names);
  schools = calloc(max, sizeof *schools);
  regions = calloc(max, sizeof *regions);
  types = calloc(max, sizeof *types);
  states = calloc(max, sizeof *states);
  reasons = calloc(max, sizeof *reasons);
  if (!periods || !ids || !names || !schools || !regions || !types || !states ||
      !reasons) {
    fprintf(stderr, "chachong query: out of memory\n");
    code = CC_EXIT_NOMEM;
    goto done;
  }
  q.periods = periods;
  q.ids = ids;
  q.names = names;
  q.schools = schools;
  q.regions = regions;
  q.types = types;
  q.states = states;
  q.reasons = reasons;

  for (i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(usage_text, stdout);
      goto done;
    }
    if (strcmp(a, "--all-periods") == 0) {
      q.all_periods = 1;
      continue;
    }
    if (strcmp(a, "--unmasked") == 0) {
      q.unmasked = 1;
      continue;
    }
    if (v == NULL) {
      fprintf(stderr, "chachong query: %s needs a value\n%s", a, usage_text);
      code = CC_EXIT_USAGE;
      goto done;
    }
    i++;
    if (strcmp(a, "--db") == 0) db_dir = v;
    else if (strcmp(a, "--period") == 0) periods[q.n_periods++] = v;
    else if (strcmp(a, "--id") == 0) ids[q.n_ids++] = v;
    else if (strcmp(a, "--name") == 0) names[q.n_names++] = v;
    else if (strcmp(a, "--school") == 0) schools[q.n_schools++] = v;
    else if (strcmp(a, "--region") == 0) regions[q.n_regions++] = v;
    else if (strcmp(a, "--type") == 0) types[q.n_types++] = v;
    else if (strcmp(a, "--state") == 0) states[q.n_states++] = v;
    else if (strcmp(a, "--reason") == 0) reasons[q.n_reasons++] = v;
    else if (strcmp(a, "--user") == 0) q.user = v;
    else if (strcmp(a, "--format") == 0) {
      if (strcmp(v, "table") == 0) q.format = CC_QUERY_TABLE;
      else if (strcmp(v, "csv") == 0) q.format = CC_QUERY_CSV;
      else if (strcmp(v, "jsonl") == 0) q.format = CC_QUERY_JSONL;
      else {
        fprintf(stderr, "chachong query: --format is table, csv or jsonl\n");
        code = CC_EXIT_USAGE;
        goto done;
      }
    } else if (strcmp(a, "--limit") == 0) {
      char *end;
      unsigned long long n = strtoull(v, &end, 10);
      if (*v < '0' || *v > '9' || *end || n == 0) {
        fprintf(stderr, "chachong query: --limit takes a positive number\n");
        code = CC_EXIT_USAGE;
        goto done;
      }
      q.limit = (size_t)n;
    } else {
      fprintf(stderr, "chachong query: unknown option '%s'\n%s", a, usage_text);
      code = CC_EXIT_USAGE;
      goto done;
    }
  }
  if (db_dir == NULL) {
    fprintf(stderr, "chachong query: --db is required\n%s", usage_text);
    code = CC_EXIT_USAGE;
    goto done;
  }
  if (q.all_periods && q.n_periods) {
    fprintf(stderr, "chachong query: --period and --all-periods exclude each other\n");
    code = CC_EXIT_USAGE;
    goto done;
  }

  /* Opened read-only first so that a mistyped --db is reported, not
   * created; then read-write, since the audit entry must be written. */
  dbo.read_only = 1;
  if ((rc = cc_db_open(&db, db_dir, &dbo)) < 0)
    goto fail;
  cc_db_close(db);
  db = NULL;
  dbo.read_only = 0;
  if ((rc = cc_db_open(&db, db_dir, &dbo)) < 0 ||
      (rc = cc_query_run(&r, db, &q)) < 0)
    goto fail;
  if ((rc = cc_query_write(stdout, &r, &q)) < 0)
    goto fail;
  if (q.format == CC_QUERY_TABLE) {
    if (r.findings.n < r.matched)
      fprintf(stderr, "%zu finding%s matched, %zu shown (--limit)\n", r.matched,
              r.matched == 1 ? "" : "s", r.findings.n);
    else
      fprintf(stderr, "%zu finding%s matched\n", r.matched,
              r.matched == 1 ? "" : "s");
  }
  goto done;
fail:
  fprintf(stderr, "chachong query: %s\n", cc_error_last());
  code = cc_exit_code(rc);
done:
  cc_query_result_dispose(&r);
  cc_db_close(db);
  free(periods);
  free(ids);
  free(names);
  free(schools);
  free(regions);
  free(types);
  free(states);
  free(reasons);
  return code;
}
