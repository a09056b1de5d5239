/*
 * chachong run - the monthly cross-check of one period (SPEC section 4).
 * Parses options into cc_run_options and calls cc_run_monthly.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chachong/chachong.h>

#include "commands.h"

static volatile sig_atomic_t cancelled;

static void on_signal(int sig)
{
  (void)sig;
  cancelled = 1;
}

static int cmd_run(int argc, char **argv);

enum {
  OPT_DB = CC_OPT_KEY,
  OPT_PERIOD,
  OPT_ISSUED,
  OPT_ROSTER,
  OPT_OUT,
  OPT_THREADS,
  OPT_ENCODING,
  OPT_MAP,
  OPT_CALENDAR,
  OPT_RULES,
  OPT_NO_SYNC,
  OPT_NO_FUZZY,
  OPT_MAX_PER_ID,
  OPT_ALLOW_EMPTY,
  OPT_MIN_SHARE,
  OPT_ALLOW_SHRINK,
  OPT_QUIET
};

static const cc_opt options[] = {
    {"db", OPT_DB, "DIR", CC_OPT_REQUIRED,
     "LMDB database (created if missing); holds every period"},
    {"period", OPT_PERIOD, "YYYY-MM", CC_OPT_REQUIRED,
     "the period the rosters are for; re-running replaces it"},
    {"issued", OPT_ISSUED, "DATE", 0,
     "issue date of the findings (default: today)"},
    {"roster", OPT_ROSTER, "LABEL=FILE", CC_OPT_REQUIRED,
     "a roster (CSV or TSV in UTF-8, GB18030 or UTF-16, or an\n"
     ".xlsx workbook); two or more"},
    {"out", OPT_OUT, "DIR", CC_OPT_REQUIRED,
     "findings.jsonl, rejects.csv, invalid_ids.csv, summary.txt"},
    {"threads", OPT_THREADS, "N", 0, "worker threads (default: every core)"},
    {"encoding", OPT_ENCODING, "ENC", 0,
     "utf8|gb18030|utf-16le|utf-16be|auto for every roster,\n"
     "or LABEL=ENC (auto: BOM, UTF-8, else GB18030)"},
    {"map", OPT_MAP, "FILE", 0,
     "header mapping file (lines: 其他表头=身份证号)"},
    {"calendar", OPT_CALENDAR, "FILE", 0,
     "extra holiday schedule (a year not yet built in)"},
    {"rules", OPT_RULES, "FILE", 0,
     "policy rules (SPEC 3.2): age threshold, rules on/off,\n"
     "exempt regions (docs/RULES.md); default: the SPEC's"},
    {"no-sync", OPT_NO_SYNC, NULL, 0,
     "do not fsync the database at commit (faster; a power\n"
     "failure may lose this run, a killed run still cannot\n"
     "damage the database)"},
    {"no-fuzzy", OPT_NO_FUZZY, NULL, 0,
     "exact tier only (same cleaned ID); by default the fuzzy\n"
     "tier also links IDs one typo apart and same name +\n"
     "birth date + sex (docs/FUZZY.md)"},
    {"max-records-per-id", OPT_MAX_PER_ID, "N", 0,
     "an ID under more than N records (default 20) is a\n"
     "placeholder, not a person: listed in data_quality.csv,\n"
     "not expanded into findings"},
    {"quiet", OPT_QUIET, NULL, 0, "no summary on stdout, no progress"},
    {NULL, 0, NULL, 0,
     "Safety rails (checked before anything is published; exit 3 when they "
     "stop\n"
     "the run, so that a misread file never clears findings):"},
    {"allow-empty", OPT_ALLOW_EMPTY, NULL, 0,
     "accept a roster that yields no records"},
    {"min-roster-share", OPT_MIN_SHARE, "X", 0,
     "stop when a roster has fewer than X times the records\n"
     "of the same label in the previous period (default 0.5;\n"
     "0 turns the check off)"},
    {"allow-shrink", OPT_ALLOW_SHRINK, NULL, 0,
     "accept a roster under that share"},
    {NULL, 0, NULL, 0, NULL},
};

const cc_command cc_command_run = {
    "run",
    cmd_run,
    "run the monthly cross-check of one period",
    "chachong run --db DIR --period YYYY-MM [--issued YYYY-MM-DD]\n"
    "    --roster moe=FILE --roster mohrss=FILE [--roster LABEL=FILE ...]\n"
    "    --out DIR [options]",
    "Reads the rosters, cleans their ID numbers and names, indexes them in "
    "the\n"
    "database and compares them: every student found twice is a finding\n"
    "(findings.jsonl), with its deadline of 10 working days from the issue "
    "date.",
    NULL,
    options,
    "The --db and --out folders must be yours and not writable by group or\n"
    "others. One run at a time per database and per output folder: a second\n"
    "run exits 6 and says which run holds them.",
};

#define MAX_ROSTERS 256

static int cmd_run(int argc, char **argv)
{
  cc_run_options o = CC_RUN_OPTIONS_INIT;
  cc_roster_spec rosters[MAX_ROSTERS];
  const char *enc_args[MAX_ROSTERS];
  size_t n = 0, n_enc = 0, i, k;
  int quiet = 0, rc, key, default_enc = CC_ENC_AUTO;
  cc_args args;
  char *summary = NULL, command[512];
  struct sigaction sa;

  o.progress = 1;
  /* The command line, for the run locks (a second run is told who holds
   * them), taken before --roster values are split; cut, it only has to
   * be recognised. */
  {
    size_t len = (size_t)snprintf(command, sizeof command, "chachong run");
    for (k = 1; k < (size_t)argc && len < sizeof command; k++)
      len +=
          (size_t)snprintf(command + len, sizeof command - len, " %s", argv[k]);
    o.command = command;
  }
  cc_args_init(&args, &cc_command_run, argc, argv);
  while ((key = cc_args_next(&args)) != CC_ARGS_END) {
    const char *v = args.value;
    char *end;
    long number;
    switch (key) {
    case OPT_QUIET:
      quiet = 1;
      o.progress = 0;
      break;
    case OPT_NO_SYNC:
      o.no_sync = 1;
      break;
    case OPT_NO_FUZZY:
      o.no_fuzzy = 1;
      break;
    case OPT_ALLOW_EMPTY:
      o.allow_empty = 1;
      break;
    case OPT_ALLOW_SHRINK:
      o.allow_shrink = 1;
      break;
    case OPT_DB:
      o.db_dir = v;
      break;
    case OPT_PERIOD:
      o.period = v;
      break;
    case OPT_ISSUED:
      /* A date that does not exist is bad input (exit 3), as README says. */
      if (cc_date_parse(&o.issued, v) < 0) {
        fprintf(stderr, "chachong run: --issued: %s\n", cc_error_last());
        return CC_EXIT_INPUT;
      }
      break;
    case OPT_ROSTER: {
      char *eq = strchr(v, '=');
      if (eq == NULL || eq == v || eq[1] == '\0')
        return cc_usage_error(&cc_command_run,
                              "--roster takes LABEL=FILE, "
                              "not '%s'",
                              v);
      if (n == MAX_ROSTERS)
        return cc_usage_error(&cc_command_run, "at most %d rosters",
                              MAX_ROSTERS);
      *eq = '\0';
      rosters[n].label = v;
      rosters[n].path = eq + 1;
      rosters[n].encoding = CC_ENC_AUTO;
      n++;
      break;
    }
    case OPT_OUT:
      o.out_dir = v;
      break;
    case OPT_THREADS:
      if (cc_args_number(&args, 1, 1024, &number) != 0)
        return CC_EXIT_USAGE;
      o.threads = (int)number;
      break;
    case OPT_ENCODING:
      if (n_enc == MAX_ROSTERS)
        return cc_usage_error(&cc_command_run, "too many --encoding options");
      enc_args[n_enc++] = v;
      break;
    case OPT_MIN_SHARE: {
      double x = strtod(v, &end);
      if (*v == '\0' || *end || !(x >= 0 && x <= 1))
        return cc_usage_error(&cc_command_run,
                              "--min-roster-share takes a number from 0 to 1");
      o.min_roster_share = x;
      break;
    }
    case OPT_MAX_PER_ID:
      if (cc_args_number(&args, 2, 1000000, &number) != 0)
        return CC_EXIT_USAGE;
      o.max_records_per_id = (unsigned)number;
      break;
    case OPT_MAP:
      o.map_path = v;
      break;
    case OPT_CALENDAR:
      o.calendar_path = v;
      break;
    case OPT_RULES:
      o.rules_path = v;
      break;
    case CC_ARGS_HELP:
      cc_command_help(stdout, &cc_command_run);
      return CC_EXIT_OK;
    default:
      return CC_EXIT_USAGE;
    }
  }
  if (n < 2)
    return cc_usage_error(&cc_command_run, "two --roster are needed, %zu given",
                          n);
  /* --encoding ENC applies to all; --encoding LABEL=ENC to one roster. */
  for (k = 0; k < n_enc; k++) {
    const char *eq = strchr(enc_args[k], '=');
    int e = cc_encoding_parse(eq ? eq + 1 : enc_args[k]);
    if (e < 0) {
      return cc_usage_error(&cc_command_run,
                            "unknown encoding '%s' (utf8, "
                            "gb18030, utf-16le, utf-16be, auto)",
                            eq ? eq + 1 : enc_args[k]);
    }
    if (eq == NULL) {
      default_enc = e;
      continue;
    }
    for (i = 0; i < n; i++)
      if (strlen(rosters[i].label) == (size_t)(eq - enc_args[k]) &&
          strncmp(rosters[i].label, enc_args[k], (size_t)(eq - enc_args[k])) ==
              0)
        break;
    if (i == n) {
      return cc_usage_error(&cc_command_run, "--encoding names no roster: '%s'",
                            enc_args[k]);
    }
    rosters[i].encoding = e;
  }
  for (i = 0; i < n; i++)
    if (rosters[i].encoding == CC_ENC_AUTO)
      rosters[i].encoding = default_enc;
  /* A per-roster setting wins over the default, whatever the order given. */
  for (k = 0; k < n_enc; k++) {
    const char *eq = strchr(enc_args[k], '=');
    if (eq == NULL)
      continue;
    for (i = 0; i < n; i++)
      if (strlen(rosters[i].label) == (size_t)(eq - enc_args[k]) &&
          strncmp(rosters[i].label, enc_args[k], (size_t)(eq - enc_args[k])) ==
              0)
        rosters[i].encoding = cc_encoding_parse(eq + 1);
  }
  o.rosters = rosters;
  o.n_rosters = n;

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  o.cancel = &cancelled;

  rc = cc_run_monthly(&summary, &o);
  if (rc < 0) {
    fprintf(stderr, "chachong run: %s\n", cc_error_last());
    if (rc == CC_EINTERRUPTED)
      fprintf(stderr, "chachong run: the database is unchanged\n");
    return cc_exit_code(rc);
  }
  if (!quiet)
    fputs(summary, stdout);
  else if (strstr(summary, "warning:"))
    fputs(strstr(summary, "warning:"), stderr);
  free(summary);
  return CC_EXIT_OK;
}
