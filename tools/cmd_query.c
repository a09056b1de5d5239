/*
 * chachong query - the auditor's questions: findings by ID number, name,
 * school, region, type, state and period, as a table, CSV or JSON lines,
 * ID numbers masked unless --unmasked. Every query is recorded in the audit
 * log before anything is printed (the library does it: cc_query_run).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chachong/chachong.h>
#include <chachong/query.h>

#include "commands.h"

static int cmd_query(int argc, char **argv);

enum {
  OPT_DB = CC_OPT_KEY,
  OPT_PERIOD,
  OPT_ALL_PERIODS,
  OPT_ID,
  OPT_NAME,
  OPT_SCHOOL,
  OPT_REGION,
  OPT_TYPE,
  OPT_REASON,
  OPT_STATE,
  OPT_FORMAT,
  OPT_UNMASKED,
  OPT_LIMIT,
  OPT_USER
};

static const cc_opt options[] = {
    {"db", OPT_DB, "DIR", CC_OPT_REQUIRED, "the database of chachong run"},
    {"period", OPT_PERIOD, "P", 0,
     "a period to search (default: the latest); repeatable"},
    {"all-periods", OPT_ALL_PERIODS, NULL, 0,
     "every period in the database, oldest first"},
    {"id", OPT_ID, "VALUE", 0,
     "an ID number, cleaned like a roster cell (apostrophe,\n"
     "full-width digits, 15 -> 18 digits)"},
    {"name", OPT_NAME, "NAME", 0,
     "the person's or any member's name, compared folded\n"
     "(張偉 finds 张伟)"},
    {"school", OPT_SCHOOL, "CODE", 0, "any member's school code"},
    {"region", OPT_REGION, "P", 0,
     "a prefix of any member's region code: 2 digits =\n"
     "province, 4 = city, 6 = county"},
    {"type", OPT_TYPE, "TYPE", 0,
     "dual_enrollment, duplicate_record, double_grant,\n"
     "double_waiver, id_conflict, ineligible_grant,\n"
     "ineligible_waiver, subsidy_review"},
    {"reason", OPT_REASON, "R", 0,
     "a policy finding's reason: part_time, third_year,\n"
     "beyond_program, over_age"},
    {"state", OPT_STATE, "STATE", 0, "new, open, overdue, cleared"},
    {"format", OPT_FORMAT, "F", 0,
     "table (default), csv (UTF-8, English header), jsonl"},
    {"unmasked", OPT_UNMASKED, NULL, 0,
     "full ID numbers (recorded as such in the audit log)"},
    {"limit", OPT_LIMIT, "N", 0, "print at most N findings"},
    {"user", OPT_USER, "NAME", 0,
     "the operator for the audit log (default: login name)"},
    {NULL, 0, NULL, 0, NULL},
};

const cc_command cc_command_query = {
    "query",
    cmd_query,
    "find findings by ID, name, school, region, type, state",
    "chachong query --db DIR [--period YYYY-MM ... | --all-periods]\n"
    "    [--id VALUE] [--name NAME] [--school CODE] [--region PREFIX]\n"
    "    [--type TYPE] [--reason R] [--state STATE] [--format "
    "table|csv|jsonl]\n"
    "    [--unmasked] [--limit N] [--user NAME]",
    "The auditor's questions: findings by ID number, name, school, region,\n"
    "type, state and period, ID numbers masked unless --unmasked.",
    NULL,
    options,
    "Filters combine with AND; a filter given twice matches either value.\n"
    "Every query is recorded in the audit log (chachong audit). Nothing\n"
    "matched is still exit 0.",
};

static int cmd_query(int argc, char **argv)
{
  cc_query_options q = CC_QUERY_OPTIONS_INIT;
  cc_query_result r;
  cc_db_options dbo = CC_DB_OPTIONS_INIT;
  cc_db *db = NULL;
  const char *db_dir = NULL;
  const char **periods, **ids, **names, **schools, **regions, **types, **states,
      **reasons;
  size_t max = (size_t)argc;
  cc_args args;
  int key, rc, code = CC_EXIT_OK;

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

  cc_args_init(&args, &cc_command_query, argc, argv);
  while ((key = cc_args_next(&args)) != CC_ARGS_END) {
    const char *v = args.value;
    switch (key) {
    case OPT_ALL_PERIODS:
      q.all_periods = 1;
      break;
    case OPT_UNMASKED:
      q.unmasked = 1;
      break;
    case OPT_DB:
      db_dir = v;
      break;
    case OPT_PERIOD:
      periods[q.n_periods++] = v;
      break;
    case OPT_ID:
      ids[q.n_ids++] = v;
      break;
    case OPT_NAME:
      names[q.n_names++] = v;
      break;
    case OPT_SCHOOL:
      schools[q.n_schools++] = v;
      break;
    case OPT_REGION:
      regions[q.n_regions++] = v;
      break;
    case OPT_TYPE:
      types[q.n_types++] = v;
      break;
    case OPT_STATE:
      states[q.n_states++] = v;
      break;
    case OPT_REASON:
      reasons[q.n_reasons++] = v;
      break;
    case OPT_USER:
      q.user = v;
      break;
    case OPT_FORMAT:
      if (strcmp(v, "table") == 0)
        q.format = CC_QUERY_TABLE;
      else if (strcmp(v, "csv") == 0)
        q.format = CC_QUERY_CSV;
      else if (strcmp(v, "jsonl") == 0)
        q.format = CC_QUERY_JSONL;
      else {
        code = cc_usage_error(&cc_command_query,
                              "--format is table, csv or jsonl");
        goto done;
      }
      break;
    case OPT_LIMIT: {
      long n;
      if (cc_args_number(&args, 1, LONG_MAX, &n) != 0) {
        code = CC_EXIT_USAGE;
        goto done;
      }
      q.limit = (size_t)n;
      break;
    }
    case CC_ARGS_HELP:
      cc_command_help(stdout, &cc_command_query);
      goto done;
    default:
      code = CC_EXIT_USAGE;
      goto done;
    }
  }
  if (q.all_periods && q.n_periods) {
    code = cc_usage_error(&cc_command_query,
                          "--period and --all-periods exclude each other");
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
