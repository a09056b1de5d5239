/*
 * chachong workdays add YYYY-MM-DD N [--calendar FILE]... - working-day
 * arithmetic (SPEC 3): prints the date N working days after the given one
 * (the day itself not counted), one line YYYY-MM-DD. When a year crossed
 * has no installed schedule the date is provisional and a warning on stderr
 * names the notice to install. Exit codes: tools/commands.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chachong/chachong.h>

#include "commands.h"

static int cmd_workdays(int argc, char **argv);

enum { OPT_CALENDAR = CC_OPT_KEY };

static const cc_opt options[] = {
    {"calendar", OPT_CALENDAR, "FILE", 0,
     "also load the holiday schedules in FILE, in the format of\n"
     "data/calendar/cn-2015-2026.txt; a year in FILE replaces\n"
     "that year; may be repeated (at most 16)"},
    {NULL, 0, NULL, 0, NULL},
};

const cc_command cc_command_workdays = {
    "workdays",
    cmd_workdays,
    "working-day arithmetic (clearing deadlines)",
    "chachong workdays add YYYY-MM-DD N [--calendar FILE]...",
    "Prints the date N working days after YYYY-MM-DD (which is not counted);\n"
    "N = 10 gives a finding's clearing deadline. When a year crossed has no\n"
    "schedule installed, the date is provisional (weekends and statutory\n"
    "holidays only) and a warning on stderr names the notice to install.",
    "add YYYY-MM-DD N",
    options,
    NULL,
};

/* N: decimal digits, at most 9 of them (no sign, no blanks). */
static int parse_count(const char *text, int *out)
{
  size_t i, len = strlen(text);
  if (len == 0 || len > 9)
    return -1;
  for (i = 0; i < len; i++)
    if (text[i] < '0' || text[i] > '9')
      return -1;
  *out = atoi(text);
  return 0;
}

/* Warns about each year crossed that has no schedule, with its notice. */
static void warn_provisional(const cc_calendar *cal, cc_date start, cc_date end)
{
  int y, m, d, first, last, n = 0;
  char years[256] = "";
  cc_date_to_ymd(start + 1, &first, &m, &d);
  cc_date_to_ymd(end, &last, &m, &d);
  for (y = first; y <= last; y++) {
    size_t used = strlen(years);
    if (cc_calendar_source(cal, y) != NULL)
      continue;
    if (n < 8)
      snprintf(years + used, sizeof years - used, "%s%d", n ? ", " : "", y);
    else if (n == 8)
      snprintf(years + used, sizeof years - used, ", ...");
    n++;
  }
  fprintf(stderr,
          "warning: no schedule installed for %s; deadline is provisional "
          "(weekends and statutory holidays only); install the State "
          "Council's %s notice%s with --calendar FILE\n",
          years, years, n > 1 ? "s" : "");
}

static int cmd_workdays(int argc, char **argv)
{
  const char *action = NULL, *date_arg = NULL, *count_arg = NULL;
  const char *files[16];
  int nfiles = 0, i, n = 0, prov = 0, rc, exit_code, key;
  cc_calendar *cal = NULL;
  cc_date start, out;
  cc_args args;

  cc_args_init(&args, &cc_command_workdays, argc, argv);
  while ((key = cc_args_next(&args)) != CC_ARGS_END) {
    switch (key) {
    case OPT_CALENDAR:
      if (*args.value == '\0')
        return cc_usage_error(&cc_command_workdays, "--calendar needs a FILE");
      if (nfiles == (int)(sizeof files / sizeof files[0]))
        return cc_usage_error(&cc_command_workdays,
                              "at most %d --calendar files", nfiles);
      files[nfiles++] = args.value;
      break;
    case CC_ARGS_OPERAND:
      if (action == NULL) {
        action = args.value;
        if (strcmp(action, "add") != 0)
          return cc_usage_error(&cc_command_workdays,
                                "unknown action (the action is 'add')");
      } else if (date_arg == NULL) {
        date_arg = args.value;
      } else if (count_arg == NULL) {
        count_arg = args.value;
      } else {
        return cc_usage_error(&cc_command_workdays,
                              "unexpected argument after N");
      }
      break;
    case CC_ARGS_HELP:
      cc_command_help(stdout, &cc_command_workdays);
      return CC_EXIT_OK;
    default:
      return CC_EXIT_USAGE;
    }
  }
  if (action == NULL)
    return cc_usage_error(&cc_command_workdays, "missing the action 'add'");
  if (date_arg == NULL || count_arg == NULL)
    return cc_usage_error(&cc_command_workdays, "missing %s",
                          date_arg ? "N" : "YYYY-MM-DD and N");

  if (cc_date_parse(&start, date_arg) != 0) {
    fprintf(stderr, "chachong workdays: %s\n", cc_error_last());
    return CC_EXIT_INPUT;
  }
  if (parse_count(count_arg, &n) != 0) {
    fprintf(stderr,
            "chachong workdays: N must be a whole number from 0 to "
            "999999999, not '%s'\n",
            count_arg);
    return CC_EXIT_INPUT;
  }

  rc = cc_calendar_new(&cal);
  for (i = 0; rc == 0 && i < nfiles; i++)
    rc = cc_calendar_load_file(cal, files[i]);
  if (rc == 0)
    rc = cc_calendar_add_workdays(&out, cal, start, n, &prov);
  if (rc != 0) {
    fprintf(stderr, "chachong workdays: %s\n", cc_error_last());
    exit_code = cc_exit_code(rc);
  } else {
    char buf[11];
    cc_date_format(buf, out);
    printf("%s\n", buf);
    if (prov)
      warn_provisional(cal, start, out);
    exit_code = CC_EXIT_OK;
  }
  cc_calendar_free(cal);
  return exit_code;
}
