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

static const char usage_text[] =
    "usage: chachong run --db DIR --period YYYY-MM [--issued YYYY-MM-DD]\n"
    "           --roster moe=FILE --roster mohrss=FILE [--roster LABEL=FILE ...]\n"
    "           --out DIR [options]\n"
    "\n"
    "  --db DIR             LMDB database (created if missing); holds every period\n"
    "  --period YYYY-MM     the period the rosters are for; re-running replaces it\n"
    "  --issued DATE        issue date of the findings (default: today)\n"
    "  --roster LABEL=FILE  a roster (CSV or TSV in UTF-8, GB18030 or UTF-16, or an\n"
    "                       .xlsx workbook); two or more\n"
    "  --out DIR            findings.jsonl, rejects.csv, invalid_ids.csv, summary.txt\n"
    "  --threads N          worker threads (default: every core)\n"
    "  --encoding ENC       utf8|gb18030|utf-16le|utf-16be|auto for every roster,\n"
    "                       or LABEL=ENC (auto: BOM, UTF-8, else GB18030)\n"
    "  --map FILE           header mapping file (lines: 其他表头=身份证号)\n"
    "  --calendar FILE      extra holiday schedule (a year not yet built in)\n"
    "  --rules FILE         policy rules (SPEC 3.2): age threshold, rules on/off,\n"
    "                       exempt regions (docs/RULES.md); default: the SPEC's\n"
    "  --no-sync            do not fsync the database at commit (faster; a power\n"
    "                       failure may lose this run, a killed run still cannot\n"
    "                       damage the database)\n"
    "  --no-fuzzy           exact tier only (same cleaned ID); by default the fuzzy\n"
    "                       tier also links IDs one typo apart and same name +\n"
    "                       birth date + sex (docs/FUZZY.md)\n"
    "  --max-records-per-id N  an ID under more than N records (default 20) is a\n"
    "                       placeholder, not a person: listed in data_quality.csv,\n"
    "                       not expanded into findings\n"
    "\n"
    "Safety rails (checked before anything is published; exit 3 when they stop\n"
    "the run, so that a misread file never clears findings):\n"
    "  --allow-empty        accept a roster that yields no records\n"
    "  --min-roster-share X stop when a roster has fewer than X times the records\n"
    "                       of the same label in the previous period (default 0.5;\n"
    "                       0 turns the check off)\n"
    "  --allow-shrink       accept a roster under that share\n"
    "\n"
    "The --db and --out folders must be yours and not writable by group or\n"
    "others. One run at a time per database and per output folder: a second\n"
    "run exits 6 and says which run holds them.\n"
    "  --quiet              no summary on stdout, no progress\n";

#define MAX_ROSTERS 256

int cc_cmd_run(int argc, char **argv)
{
  cc_run_options o = CC_RUN_OPTIONS_INIT;
  cc_roster_spec rosters[MAX_ROSTERS];
  const char *enc_args[MAX_ROSTERS];
  size_t n = 0, n_enc = 0, i, k;
  int quiet = 0, rc, default_enc = CC_ENC_AUTO;
  char *summary = NULL, command[512];
  struct sigaction sa;

  o.progress = 1;
  /* The command line, for the run locks (a second run is told who holds
   * them), taken before --roster values are split; cut, it only has to
   * be recognised. */
  {
    size_t len = (size_t)snprintf(command, sizeof command, "chachong run");
    for (k = 1; k < (size_t)argc && len < sizeof command; k++)
      len += (size_t)snprintf(command + len, sizeof command - len, " %s", argv[k]);
    o.command = command;
  }
  for (i = 1; i < (size_t)argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < (size_t)argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(usage_text, stdout);
      return CC_EXIT_OK;
    }
    if (strcmp(a, "--quiet") == 0) {
      quiet = 1;
      o.progress = 0;
      continue;
    }
    if (strcmp(a, "--no-sync") == 0) {
      o.no_sync = 1;
      continue;
    }
    if (strcmp(a, "--no-fuzzy") == 0) {
      o.no_fuzzy = 1;
      continue;
    }
    if (strcmp(a, "--allow-empty") == 0) {
      o.allow_empty = 1;
      continue;
    }
    if (strcmp(a, "--allow-shrink") == 0) {
      o.allow_shrink = 1;
      continue;
    }
    if (v == NULL) {
      fprintf(stderr, "chachong run: %s needs a value\n%s", a, usage_text);
      return CC_EXIT_USAGE;
    }
    i++;
    if (strcmp(a, "--db") == 0) {
      o.db_dir = v;
    } else if (strcmp(a, "--period") == 0) {
      o.period = v;
    } else if (strcmp(a, "--issued") == 0) {
      if (cc_date_parse(&o.issued, v) < 0) {
        fprintf(stderr, "chachong run: --issued: %s\n", cc_error_last());
        return CC_EXIT_USAGE;
      }
    } else if (strcmp(a, "--roster") == 0) {
      char *eq = strchr(v, '=');
      if (eq == NULL || eq == v || eq[1] == '\0') {
        fprintf(stderr, "chachong run: --roster takes LABEL=FILE, not '%s'\n", v);
        return CC_EXIT_USAGE;
      }
      if (n == MAX_ROSTERS) {
        fprintf(stderr, "chachong run: at most %d rosters\n", MAX_ROSTERS);
        return CC_EXIT_USAGE;
      }
      *eq = '\0';
      rosters[n].label = v;
      rosters[n].path = eq + 1;
      rosters[n].encoding = CC_ENC_AUTO;
      n++;
    } else if (strcmp(a, "--out") == 0) {
      o.out_dir = v;
    } else if (strcmp(a, "--threads") == 0) {
      char *end;
      long t = strtol(v, &end, 10);
      if (*end || t < 1 || t > 1024) {
        fprintf(stderr, "chachong run: --threads takes a number from 1 to 1024\n");
        return CC_EXIT_USAGE;
      }
      o.threads = (int)t;
    } else if (strcmp(a, "--encoding") == 0) {
      if (n_enc == MAX_ROSTERS) {
        fprintf(stderr, "chachong run: too many --encoding options\n");
        return CC_EXIT_USAGE;
      }
      enc_args[n_enc++] = v;
    } else if (strcmp(a, "--min-roster-share") == 0) {
      char *end;
      double x = strtod(v, &end);
      if (*v == '\0' || *end || !(x >= 0 && x <= 1)) {
        fprintf(stderr, "chachong run: --min-roster-share takes a number from 0 to 1\n");
        return CC_EXIT_USAGE;
      }
      o.min_roster_share = x;
    } else if (strcmp(a, "--max-records-per-id") == 0) {
      char *end;
      long t = strtol(v, &end, 10);
      if (*v == '\0' || *end || t < 2 || t > 1000000) {
        fprintf(stderr, "chachong run: --max-records-per-id takes a number from 2 "
                        "to 1000000\n");
        return CC_EXIT_USAGE;
      }
      o.max_records_per_id = (unsigned)t;
    } else if (strcmp(a, "--map") == 0) {
      o.map_path = v;
    } else if (strcmp(a, "--calendar") == 0) {
      o.calendar_path = v;
    } else if (strcmp(a, "--rules") == 0) {
      o.rules_path = v;
    } else {
      fprintf(stderr, "chachong run: unknown option '%s'\n%s", a, usage_text);
      return CC_EXIT_USAGE;
    }
  }
  if (o.db_dir == NULL || o.period == NULL || o.out_dir == NULL || n < 2) {
    fprintf(stderr, "chachong run: --db, --period, --out and two --roster are "
                    "required\n%s", usage_text);
    return CC_EXIT_USAGE;
  }
  /* --encoding ENC applies to all; --encoding LABEL=ENC to one roster. */
  for (k = 0; k < n_enc; k++) {
    const char *eq = strchr(enc_args[k], '=');
    int e = cc_encoding_parse(eq ? eq + 1 : enc_args[k]);
    if (e < 0) {
      fprintf(stderr, "chachong run: unknown encoding '%s' (utf8, gb18030, utf-16le, utf-16be, auto)\n",
              eq ? eq + 1 : enc_args[k]);
      return CC_EXIT_USAGE;
    }
    if (eq == NULL) {
      default_enc = e;
      continue;
    }
    for (i = 0; i < n; i++)
      if (strlen(rosters[i].label) == (size_t)(eq - enc_args[k]) &&
          strncmp(rosters[i].label, enc_args[k], (size_t)(eq - enc_args[k])) == 0)
        break;
    if (i == n) {
      fprintf(stderr, "chachong run: --encoding names no roster: '%s'\n", enc_args[k]);
      return CC_EXIT_USAGE;
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
          strncmp(rosters[i].label, enc_args[k], (size_t)(eq - enc_args[k])) == 0)
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
